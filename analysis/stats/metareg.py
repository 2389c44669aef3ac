"""Mixed-effects meta-regression (metafor ``rma(yi, vi, mods = ~ ..., method = "REML")``).

Fit apart from use: :func:`meta_regression` returns a frozen :class:`MetaRegression`; the
bubble plot (:mod:`analysis.figures.bubble`) and the text use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.errors import AnalysisError
from analysis.stats.distributions import chi2_sf, f_sf
from analysis.stats.linear_model import WeightedFit, typical_within_variance, weighted_fit
from analysis.stats.pooling import (
    CI_METHODS,
    RMA_METHODS,
    check_choice,
    knapp_hartung_factor,
    rma,
    wald_test,
)
from analysis.stats.tau2 import estimate_tau2

#: metafor's name for the intercept
INTERCEPT = "intrcpt"


def mixed_effects_fit(yi, vi, X, method: str) -> tuple[float, WeightedFit]:
    """tau² by ``method`` (0 for "FE") and the weighted least-squares fit at that tau²."""
    tau2 = 0.0 if method == "FE" else estimate_tau2(yi, vi, X, method)
    return tau2, weighted_fit(yi, vi, X, tau2)


@dataclass(frozen=True)
class Coefficient:
    """One model coefficient with its Wald-type (z or Knapp–Hartung t) test and CI."""

    name: str
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float
    pval: float


@dataclass(frozen=True)
class MetaRegression:
    """A fitted mixed-effects meta-regression.

    ``qm_df`` is ``(m,)`` for the chi-square omnibus test and ``(m, k − p)`` for the F-test
    under (modified) Knapp–Hartung, as metafor's ``QMdf``; :attr:`qm_test` names the test.
    ``r2_pct`` is metafor's pseudo-R² (percent); ``None`` for the common-effect model.
    ``moderators`` maps each CSV column to the columns of the design matrix it produced (one
    per non-reference level for categorical columns); ``vcov`` is Var(β̂) (Knapp–Hartung-scaled
    where used), for prediction bands.
    """

    method: str
    ci_method: str
    level: float
    k: int
    coefficients: tuple[Coefficient, ...]
    qm: float
    qm_df: tuple[int, ...]
    qm_pval: float
    tau2: float
    tau2_re: float | None
    r2_pct: float | None
    qe: float
    qe_df: int
    qe_pval: float
    i2_pct: float | None
    moderators: dict
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    vcov: np.ndarray

    @property
    def qm_test(self) -> str:
        """The omnibus test: "F" (Knapp–Hartung, QM ~ F(m, k − p)) or "chisq" (QM ~ χ²(m))."""
        return "chisq" if len(self.qm_df) == 1 else "F"

    def coefficient(self, name: str) -> Coefficient:
        for coef in self.coefficients:
            if coef.name == name:
                return coef
        raise KeyError(name)


def design_matrix(moderators: Mapping[str, Sequence]) -> tuple[np.ndarray, list[str], dict]:
    """Intercept plus one column per numeric moderator, or treatment-coded dummies (first
    level in sorted order as reference, named column + level as R does) for text moderators."""
    columns: list[np.ndarray] = []
    names: list[str] = []
    produced: dict[str, list[str]] = {}
    k = None
    for name, values in moderators.items():
        values = list(values)
        k = len(values) if k is None else k
        if len(values) != k:
            raise AnalysisError("every moderator needs one value per study")
        if any(v is None or str(v).strip() in ("", "nan", "NA") for v in values):
            raise AnalysisError(f"moderator {name!r} has missing values")
        try:
            numeric = np.array([float(v) for v in values])
        except (TypeError, ValueError):
            numeric = None
        if numeric is not None:
            if not np.all(np.isfinite(numeric)):
                raise AnalysisError(f"moderator {name!r} has non-finite values")
            columns.append(numeric)
            names.append(name)
            produced[name] = [name]
            continue
        labels = [str(v).strip() for v in values]
        levels = sorted(set(labels))
        if len(levels) < 2:
            raise AnalysisError(
                f"moderator {name!r} takes one value only ({levels[0]!r}), so its effect cannot "
                "be estimated"
            )
        produced[name] = []
        for level in levels[1:]:
            columns.append(np.array([1.0 if lab == level else 0.0 for lab in labels]))
            names.append(f"{name}{level}")
            produced[name].append(f"{name}{level}")
    if k is None:
        raise AnalysisError("meta-regression needs at least one moderator")
    X = np.column_stack([np.ones(k), *columns])
    return X, [INTERCEPT, *names], produced


def meta_regression(
    yi,
    vi,
    moderators: Mapping[str, Sequence],
    method: str = "REML",
    ci_method: str = "z",
    level: float = 0.95,
) -> MetaRegression:
    """Mixed-effects meta-regression of yi on the moderators (with intercept).

    Notes
    -----
    β̂ = (XᵀWX)⁻¹XᵀWy with W = diag(1/(vi + tau²)), tau² the residual heterogeneity by
    ``method``; Var(β̂) = (XᵀWX)⁻¹, times s² = yᵀPy/(k − p) with t(k − p) quantiles under
    Knapp–Hartung (s² truncated below at 1 for "adhoc"). Omnibus test of the moderators (all
    but the intercept, m = p − 1):
    QM = β̂ₘᵀ Var(β̂ₘ)⁻¹ β̂ₘ ~ χ²(m), or F = QM/m ~ F(m, k − p) under Knapp–Hartung.
    QE = yᵀP₀y ~ χ²(k − p) (weights 1/vi) tests residual heterogeneity.
    Pseudo-R² = 100·max(0, (tau²_RE − tau²_ME)/tau²_RE), tau²_RE from the intercept-only model
    by the same method (0 when tau²_RE = 0), as metafor.

    References
    ----------
    Raudenbush SW (2009). Analyzing effect sizes: random-effects models. In: Cooper H, Hedges
    LV, Valentine JC (eds). The Handbook of Research Synthesis and Meta-Analysis, 2nd ed.
    Russell Sage Foundation. Knapp G, Hartung J (2003). Stat Med 22(17):2693-2710.
    Viechtbauer W (2010). J Stat Softw 36(3):1-48.
    """
    check_choice("method", method, RMA_METHODS)
    check_choice("ci_method", ci_method, CI_METHODS)
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    X, names, produced = design_matrix(moderators)
    k, p = X.shape
    if X.shape[0] != len(yi):
        raise AnalysisError("every moderator needs one value per study")
    if k <= p:
        raise AnalysisError(
            f"meta-regression with {p - 1} moderator column(s) needs more than {p} studies; "
            f"there are {k}"
        )
    if np.linalg.matrix_rank(X) < p:
        raise AnalysisError(
            "the moderators are constant or collinear across the studies, so their effects "
            "cannot be separated"
        )
    tau2, fit = mixed_effects_fit(yi, vi, X, method)
    s2 = knapp_hartung_factor(fit, k, p, ci_method)
    cov = s2 * fit.cov
    se = np.sqrt(np.diag(cov))
    stat, pvals, ci_lb, ci_ub = wald_test(fit.beta, se, None if ci_method == "z" else k - p, level)
    coefficients = tuple(
        Coefficient(
            name=names[j],
            estimate=float(fit.beta[j]),
            se=float(se[j]),
            ci_lb=float(ci_lb[j]),
            ci_ub=float(ci_ub[j]),
            stat=float(stat[j]),
            pval=float(pvals[j]),
        )
        for j in range(p)
    )
    b = fit.beta[1:]
    m = p - 1
    qm = float(b @ np.linalg.solve(cov[1:, 1:], b))
    if ci_method == "z":
        qm_df: tuple[int, ...] = (m,)
        qm_pval = float(chi2_sf(qm, m))
    else:
        qm /= m
        qm_df = (m, k - p)
        qm_pval = float(f_sf(qm, m, k - p))
    qe = weighted_fit(yi, vi, X).rss
    if method == "FE":
        tau2_re = r2 = i2 = None
    else:
        tau2_re = rma(yi, vi, method=method).tau2
        r2 = 0.0 if tau2_re == 0 else 100 * max(0.0, (tau2_re - tau2) / tau2_re)
        s2_typical = typical_within_variance(vi, X)
        i2 = 100 * tau2 / (tau2 + s2_typical)
    return MetaRegression(
        method=method,
        ci_method=ci_method,
        level=level,
        k=k,
        coefficients=coefficients,
        qm=qm,
        qm_df=qm_df,
        qm_pval=qm_pval,
        tau2=float(tau2),
        tau2_re=tau2_re,
        r2_pct=r2,
        qe=float(qe),
        qe_df=k - p,
        qe_pval=float(chi2_sf(qe, k - p)),
        i2_pct=i2,
        moderators=produced,
        yi=yi,
        vi=vi,
        X=X,
        vcov=cov,
    )
