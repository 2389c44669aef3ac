"""Subgroup analysis: a separate random-effects model per subgroup and the test for subgroup
differences (Cochrane Handbook v6.5 §10.11.3).

A subgroup with a single study is stated, not computed: it is reported with that study's own
estimate and standard error (``pooled`` is False, ``note`` says why) and it is left out of the
test for subgroup differences, because a lone study gives no within-subgroup heterogeneity
and its estimate is not a pooled subgroup estimate. The test needs at least two subgroups that
were pooled; otherwise ``q_between`` is None and ``test_note`` gives the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.errors import AnalysisError
from analysis.stats.pooling import MetaResult, rma, wald_test

SINGLE_STUDY_NOTE = (
    "one study only: its own estimate is shown; no pooling, no tau², and the subgroup is left "
    "out of the test for subgroup differences"
)


@dataclass(frozen=True)
class SubgroupLevel:
    """One subgroup: its pooled estimate (or its single study's), on the analysis scale."""

    label: str
    k: int
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float
    pval: float
    tau2: float | None
    i2_pct: float | None
    pooled: bool
    note: str | None
    study_index: tuple[int, ...]


@dataclass(frozen=True)
class SubgroupAnalysis:
    """Per-subgroup fits (in order of first appearance) and the test for differences."""

    variable: str | None
    method: str
    ci_method: str
    level: float
    measure: str
    levels: tuple[SubgroupLevel, ...]
    q_between: float | None
    q_between_df: int | None
    q_between_pval: float | None
    test_note: str | None


def _level_from_fit(label: str, fit: MetaResult, index: tuple[int, ...]) -> SubgroupLevel:
    return SubgroupLevel(
        label=label,
        k=fit.k,
        estimate=fit.estimate,
        se=fit.se,
        ci_lb=fit.ci_lb,
        ci_ub=fit.ci_ub,
        stat=fit.stat,
        pval=fit.pval,
        tau2=fit.tau2,
        i2_pct=fit.i2_pct,
        pooled=True,
        note=None,
        study_index=index,
    )


def subgroup_analysis(
    yi,
    vi,
    labels: Sequence,
    method: str = "REML",
    ci_method: str = "z",
    level: float = 0.95,
    measure: str = "GEN",
    variable: str | None = None,
) -> SubgroupAnalysis:
    """Random-effects model within each subgroup and the test for subgroup differences.

    Notes
    -----
    Each subgroup with k ≥ 2 is pooled alone (its own tau², ``method``; metafor
    ``rma(yi, vi, subset = group == level)``). The test for subgroup differences is a
    common-effect analysis of the subgroup estimates: Q_between = Σ wⱼ(θ̂ⱼ − θ̄)²,
    wⱼ = 1/SE(θ̂ⱼ)², θ̄ = Σwⱼθ̂ⱼ/Σwⱼ, compared with χ²(J − 1) over the J pooled subgroups
    (metafor ``rma(est, sei = se, method = "FE")``, its QE).

    References
    ----------
    Borenstein M, Higgins JPT (2013). Meta-analysis and subgroups. Prev Sci 14(2):134-143.
    Deeks JJ, Higgins JPT, Altman DG (eds). Chapter 10: Analysing data and undertaking
    meta-analyses. Cochrane Handbook for Systematic Reviews of Interventions, §10.11.3.
    """
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    labels = [None if lab is None else str(lab).strip() for lab in labels]
    if len(labels) != len(yi):
        raise AnalysisError("every study needs a subgroup label")
    missing = [i for i, lab in enumerate(labels) if not lab]
    if missing:
        raise AnalysisError(
            f"subgroup variable {variable or ''!s} is missing for study number(s) "
            + ", ".join(str(i + 1) for i in missing)
        )
    levels: list[SubgroupLevel] = []
    for label in dict.fromkeys(labels):
        index = tuple(i for i, lab in enumerate(labels) if lab == label)
        if len(index) >= 2:
            fit = rma(
                yi[list(index)], vi[list(index)], method=method, ci_method=ci_method, level=level
            )
            levels.append(_level_from_fit(label, fit, index))
            continue
        (i,) = index
        se = float(np.sqrt(vi[i]))
        stat, pval, ci_lb, ci_ub = wald_test(float(yi[i]), se, None, level)
        levels.append(
            SubgroupLevel(
                label=label,
                k=1,
                estimate=float(yi[i]),
                se=se,
                ci_lb=float(ci_lb),
                ci_ub=float(ci_ub),
                stat=float(stat),
                pval=float(pval),
                tau2=None,
                i2_pct=None,
                pooled=False,
                note=SINGLE_STUDY_NOTE,
                study_index=index,
            )
        )
    pooled = [lev for lev in levels if lev.pooled]
    if len(pooled) >= 2:
        between = rma([lev.estimate for lev in pooled], [lev.se**2 for lev in pooled], method="FE")
        q, q_df, q_pval, note = between.q, between.q_df, between.q_pval, None
    else:
        q = q_df = q_pval = None
        note = (
            "the test for subgroup differences needs at least two subgroups with two or more "
            f"studies each; there {'is' if len(pooled) == 1 else 'are'} {len(pooled)}"
        )
    return SubgroupAnalysis(
        variable=variable,
        method=method,
        ci_method=ci_method,
        level=level,
        measure=measure,
        levels=tuple(levels),
        q_between=q,
        q_between_df=q_df,
        q_between_pval=q_pval,
        test_note=note,
    )
