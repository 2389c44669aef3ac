"""Sensitivity analyses: leave-one-out with metafor's influence diagnostics, excluding trials
at high risk of bias, alternative estimators side by side.

The engine computes; which trial the manuscript calls influential is a judgement, made once in
:func:`analysis.interpret.influence` from the leave-one-out fits and these diagnostics.
``Influence.flagged`` is metafor's own ``inf`` column (``influence.rma.uni``), kept for the
reference tests and ``meta --json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.errors import AnalysisError
from analysis.stats.distributions import chi2_cdf
from analysis.stats.pooling import MetaResult, check_choice, rma
from analysis.vocabulary import SENSITIVITY_ANALYSES

HIGH_RISK = "high"


@dataclass(frozen=True)
class LeaveOneOut:
    """One refit per omitted study (metafor ``leave1out``), arrays in input order."""

    method: str
    ci_method: str
    estimate: np.ndarray
    se: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    tau2: np.ndarray
    i2_pct: np.ndarray
    h2: np.ndarray
    q: np.ndarray
    q_pval: np.ndarray


def leave_one_out(model: MetaResult) -> LeaveOneOut:
    """Refit ``model`` (same method, CI method and level) without each study in turn.

    Notes
    -----
    As metafor ``leave1out(model)``; with k = 2 each refit is a single study (its own estimate,
    tau² = 0 and I², H², Q undefined (NaN), as metafor).

    References
    ----------
    Viechtbauer W, Cheung MW-L (2010). Outlier and influence diagnostics for meta-analysis.
    Res Synth Methods 1(2):112-125.
    """
    k = model.k
    if k < 2:
        raise AnalysisError("leave-one-out needs at least 2 studies")
    fits = []
    for i in range(k):
        keep = np.arange(k) != i
        fits.append(
            rma(
                model.yi[keep],
                model.vi[keep],
                method=model.method,
                ci_method=model.ci_method,
                level=model.level,
            )
        )

    def column(attr):
        return np.array(
            [np.nan if getattr(f, attr) is None else getattr(f, attr) for f in fits], dtype=float
        )

    return LeaveOneOut(
        method=model.method,
        ci_method=model.ci_method,
        estimate=column("estimate"),
        se=column("se"),
        ci_lb=column("ci_lb"),
        ci_ub=column("ci_ub"),
        stat=column("stat"),
        pval=column("pval"),
        tau2=column("tau2"),
        i2_pct=column("i2_pct"),
        h2=column("h2"),
        q=column("q"),
        q_pval=column("q_pval"),
    )


@dataclass(frozen=True)
class Influence:
    """Case-deletion diagnostics of an intercept-only model (metafor ``influence()``), arrays in
    input order; ``flagged`` marks the studies meeting one of metafor's criteria."""

    rstudent: np.ndarray
    dffits: np.ndarray
    cook_d: np.ndarray
    cov_r: np.ndarray
    tau2_del: np.ndarray
    qe_del: np.ndarray
    hat: np.ndarray
    weight_pct: np.ndarray
    dfbetas: np.ndarray
    flagged: np.ndarray


def influence_diagnostics(model: MetaResult) -> Influence:
    """Case-deletion diagnostics as metafor ``influence(model)`` computes them (p = 1).

    Notes
    -----
    With w = 1/(vᵢ + tau²), hᵢ = wᵢ/Σw, β̂₍₋ᵢ₎, tau²₍₋ᵢ₎, Var₍₋ᵢ₎ and the Knapp–Hartung factor
    s²₍₋ᵢ₎ (1 for z) of the refit without study i, and Var the full model's variance:
    DFFITS = (β̂ − β̂₍₋ᵢ₎)/√(s²₍₋ᵢ₎·hᵢ·(tau²₍₋ᵢ₎ + vᵢ));
    DFBETAS = (β̂ − β̂₍₋ᵢ₎)/√(s²₍₋ᵢ₎/Σⱼ 1/(vⱼ + tau²₍₋ᵢ₎)) (sum over all k studies);
    Cook's D = (β̂ − β̂₍₋ᵢ₎)²/Var; COVRATIO = Var₍₋ᵢ₎/Var;
    externally standardized residual = (yᵢ − β̂₍₋ᵢ₎)/√(s²₍₋ᵢ₎(vᵢ + tau²₍₋ᵢ₎) + Var₍₋ᵢ₎).

    References
    ----------
    Viechtbauer W, Cheung MW-L (2010). Outlier and influence diagnostics for meta-analysis.
    Res Synth Methods 1(2):112-125.
    """
    k = model.k
    if k < 3:
        raise AnalysisError("influence diagnostics need at least 3 studies")
    yi, vi = model.yi, model.vi
    w = 1 / (vi + model.tau2)
    hat = w / w.sum()
    var_full = model.se**2
    rows = []
    for i in range(k):
        keep = np.arange(k) != i
        fit = rma(
            yi[keep], vi[keep], method=model.method, ci_method=model.ci_method, level=model.level
        )
        var_del = fit.se**2
        s2w = 1.0 if fit.ci_method == "z" else var_del * np.sum(1 / (vi[keep] + fit.tau2))
        diff = model.estimate - fit.estimate
        rows.append(
            (
                (yi[i] - fit.estimate) / np.sqrt(s2w * (vi[i] + fit.tau2) + var_del),
                diff / np.sqrt(s2w * hat[i] * (fit.tau2 + vi[i])),
                diff**2 / var_full,
                var_del / var_full,
                fit.tau2,
                np.nan if fit.q is None else fit.q,
                diff / np.sqrt(s2w / np.sum(1 / (vi + fit.tau2))),
            )
        )
    columns = (np.array(c) for c in zip(*rows, strict=True))
    rstudent, dffits, cook_d, cov_r, tau2_del, qe_del, dfbetas = columns
    flagged = (
        (np.abs(dffits) > 3 * np.sqrt(1 / (k - 1)))
        | (chi2_cdf(cook_d, 1) > 0.5)
        | (hat > 3 / k)
        | (np.abs(dfbetas) > 1)
    )
    return Influence(
        rstudent, dffits, cook_d, cov_r, tau2_del, qe_del, hat, model.weights_pct, dfbetas, flagged
    )


@dataclass(frozen=True)
class NamedFit:
    """A pooled result under a named variation of the main analysis."""

    name: str
    description: str
    fit: MetaResult | None
    note: str | None = None
    excluded: tuple[str, ...] = ()


def alternative_estimators(model: MetaResult, common_effect: bool = True) -> tuple[NamedFit, ...]:
    """The main model beside DerSimonian–Laird (z) and the same tau² estimator with the
    Knapp–Hartung adjustment, and (``common_effect``) the common-effect model; variants equal
    to the main model, and Knapp–Hartung for a common-effect main model, are left out. A
    variant the data do not allow (Knapp–Hartung when every study has the same effect) has no
    fit and the reason as its ``note``."""
    variants = [
        ("main", f"{model.method}, {model.ci_method}", model.method, model.ci_method),
        ("dl", "DerSimonian–Laird, z", "DL", "z"),
        ("knha", f"{model.method}, Knapp–Hartung", model.method, "knha"),
    ]
    if common_effect:
        variants.append(("fe", "common effect (inverse variance)", "FE", "z"))
    out, seen = [], set()
    for name, description, method, ci_method in variants:
        skip = (method, ci_method) in seen or (model.k < 2 and name != "main")
        if skip or (name == "knha" and method == "FE"):
            continue
        seen.add((method, ci_method))
        try:
            fit = rma(
                model.yi,
                model.vi,
                method=method,
                ci_method=ci_method,
                level=model.level,
                measure=model.measure,
            )
        except AnalysisError as error:
            out.append(NamedFit(name, description, None, str(error)))
            continue
        out.append(NamedFit(name, description, fit))
    return tuple(out)


def excluding_high_risk(
    model: MetaResult, labels: Sequence[str], overall_rob: Sequence[str | None]
) -> NamedFit:
    """The main model refitted without the trials whose overall RoB 2 judgement is "high".

    ``fit`` is None (with ``note``) when no trial is at high risk or fewer than one remains.
    """
    high = [i for i, judgement in enumerate(overall_rob) if judgement == HIGH_RISK]
    description = "excluding trials at high overall risk of bias"
    excluded = tuple(str(labels[i]) for i in high)
    if not high:
        return NamedFit("low_rob", description, None, "no trial is at high overall risk of bias")
    keep = np.array([i not in high for i in range(model.k)])
    if keep.sum() == 0:
        return NamedFit(
            "low_rob", description, None, "every trial is at high overall risk of bias", excluded
        )
    fit = rma(
        model.yi[keep],
        model.vi[keep],
        method=model.method,
        ci_method=model.ci_method,
        level=model.level,
        measure=model.measure,
    )
    return NamedFit("low_rob", description, fit, None, excluded)


@dataclass(frozen=True)
class SensitivityAnalysis:
    """Everything the sensitivity section of the manuscript reports for one outcome."""

    leave1out: LeaveOneOut | None
    influence: Influence | None
    low_rob: NamedFit | None
    alternatives: tuple[NamedFit, ...]
    labels: tuple[str, ...]


def sensitivity_analysis(
    model: MetaResult,
    labels: Sequence[str],
    overall_rob: Sequence[str | None] | None = None,
    analyses: Sequence[str] = SENSITIVITY_ANALYSES,
) -> SensitivityAnalysis:
    """The named sensitivity analyses (default all): ``leave_one_out`` (with influence
    diagnostics), ``exclude_high_risk`` (needs
    ``overall_rob``), ``alternative_estimators`` (DL, Knapp–Hartung) and ``common_effect``.
    Analyses not asked for are None or empty."""
    for name in analyses:
        check_choice("sensitivity analysis", name, SENSITIVITY_ANALYSES)
    loo = influence = None
    if "leave_one_out" in analyses and model.k >= 2:
        loo = leave_one_out(model)
        influence = influence_diagnostics(model) if model.k >= 3 else None
    low_rob = None
    if "exclude_high_risk" in analyses and overall_rob is not None:
        low_rob = excluding_high_risk(model, labels, overall_rob)
    alternatives: tuple[NamedFit, ...] = ()
    if "alternative_estimators" in analyses:
        alternatives = alternative_estimators(model, "common_effect" in analyses)
    elif "common_effect" in analyses and model.k >= 2:
        fe = rma(model.yi, model.vi, method="FE", level=model.level, measure=model.measure)
        alternatives = (NamedFit("fe", "common effect (inverse variance)", fe),)
    return SensitivityAnalysis(
        leave1out=loo,
        influence=influence,
        low_rob=low_rob,
        alternatives=alternatives,
        labels=tuple(str(x) for x in labels),
    )
