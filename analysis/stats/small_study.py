"""Small-study effects: Egger's regression test, Begg's rank correlation, trim-and-fill.

Each takes a fitted intercept-only :class:`~analysis.stats.pooling.MetaResult` (as metafor's
``regtest``, ``ranktest`` and ``trimfill`` take an ``rma`` object) and returns a frozen result.
With fewer than :data:`MIN_STUDIES_FOR_TESTS` studies every result carries the Cochrane caveat
(``caveat`` is set): the tests have too little power to tell chance from asymmetry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.errors import AnalysisError
from analysis.stats.distributions import kendall_exact_pvalue, norm_sf
from analysis.stats.linear_model import weighted_fit
from analysis.stats.metareg import mixed_effects_fit
from analysis.stats.pooling import MetaResult, knapp_hartung_factor, rma, wald_test

#: Cochrane Handbook v6.5 §13.3.5.4: tests for funnel plot asymmetry should be used only when
#: there are at least 10 studies.
MIN_STUDIES_FOR_TESTS = 10
#: the fewest studies for a funnel plot and the tests (Egger's regression needs k − 2 ≥ 1 df)
MIN_STUDIES_FOR_FUNNEL = 3
CAVEAT = (
    "fewer than 10 studies: tests for funnel plot asymmetry have too little power to "
    "distinguish chance from real asymmetry (Cochrane Handbook, section 13.3.5.4)"
)


def _require_varying_precision(vi: np.ndarray, what: str) -> None:
    """Tests of small-study effects relate effects to precision: they need it to vary."""
    if np.ptp(vi) == 0:
        raise AnalysisError(
            f"{what} is undefined: every study has the same sampling variance, so effects "
            "cannot be related to precision"
        )


def small_study_caveat(k: int) -> str | None:
    """The Cochrane caveat when k < 10, else None."""
    return CAVEAT if k < MIN_STUDIES_FOR_TESTS else None


@dataclass(frozen=True)
class EggerTest:
    """Egger's regression test (``stat`` = t of the slope on the standard error)."""

    k: int
    stat: float
    pval: float
    df: int
    slope: float
    limit_estimate: float
    limit_ci_lb: float
    limit_ci_ub: float
    level: float
    caveat: str | None


def egger_test(model: MetaResult) -> EggerTest:
    """Egger's regression test for funnel plot asymmetry, the classical version.

    Notes
    -----
    Weighted least squares ``lm(yi ~ sei, weights = 1/vi)`` (metafor ``regtest(model,
    model = "lm", predictor = "sei")``): the residual variance is estimated, so
    Var(b) = σ̂²(XᵀWX)⁻¹ with σ̂² = Σ w·e²/(k − 2). The test is t = b₁/SE(b₁) on k − 2 df; the
    intercept b₀ is the limit estimate as the standard error goes to 0, with CI
    b₀ ± t_{k−2}·SE(b₀). Equivalent to regressing yi/sei on 1/sei (Egger et al. 1997).

    References
    ----------
    Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a
    simple, graphical test. BMJ 315(7109):629-634.
    Sterne JAC, Egger M (2005). Regression methods to detect publication and other bias in
    meta-analysis. In: Rothstein HR, Sutton AJ, Borenstein M (eds). Publication Bias in
    Meta-Analysis. Wiley.
    """
    yi, vi = model.yi, model.vi
    k = len(yi)
    if k < 3:
        raise AnalysisError(f"Egger's test needs at least 3 studies; there are {k}")
    _require_varying_precision(vi, "Egger's test")
    X = np.column_stack([np.ones(k), np.sqrt(vi)])
    fit = weighted_fit(yi, vi, X)
    cov = knapp_hartung_factor(fit, k, 2, "knha") * fit.cov
    se = np.sqrt(np.diag(cov))
    df = k - 2
    stat, pval, ci_lb, ci_ub = wald_test(fit.beta, se, df, model.level)
    return EggerTest(
        k=k,
        stat=float(stat[1]),
        pval=float(pval[1]),
        df=df,
        slope=float(fit.beta[1]),
        limit_estimate=float(fit.beta[0]),
        limit_ci_lb=float(ci_lb[0]),
        limit_ci_ub=float(ci_ub[0]),
        level=model.level,
        caveat=small_study_caveat(k),
    )


@dataclass(frozen=True)
class BeggTest:
    """Begg and Mazumdar's rank correlation test (Kendall's tau, two-sided p)."""

    k: int
    tau: float
    pval: float
    exact: bool
    caveat: str | None


def _tie_counts(x: np.ndarray) -> np.ndarray:
    """Sizes of the groups of exactly equal values that have more than one member."""
    _, counts = np.unique(x, return_counts=True)
    return counts[counts > 1]


def kendall_test(x, y) -> tuple[float, float, bool]:
    """Kendall's tau-b and its two-sided p-value as R's ``cor.test(method = "kendall",
    exact = TRUE)``: exact null distribution without ties, else the normal approximation with
    the tie-corrected variance of S (no continuity correction).

    Notes
    -----
    S = Σ_{i<j} sign(xᵢ − xⱼ)·sign(yᵢ − yⱼ); tau-b = S/√((T₀ − T₁)(T₀ − T₂)). With ties,
    Var(S) = [n(n−1)(2n+5) − Σt(t−1)(2t+5) − Σu(u−1)(2u+5)]/18
    + Σt(t−1)·Σu(u−1)/(2n(n−1)) + Σt(t−1)(t−2)·Σu(u−1)(u−2)/(9n(n−1)(n−2)).

    References
    ----------
    Kendall MG, Gibbons JD (1990). Rank Correlation Methods, 5th ed. Edward Arnold, ch. 4.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    t, u = _tie_counts(x), _tie_counts(y)
    i, j = np.triu_indices(n, 1)
    s = float(np.sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])))
    t0 = n * (n - 1) / 2
    if len(t) == 0 and len(u) == 0:
        return s / t0, kendall_exact_pvalue(n, round((t0 - s) / 2)), True
    tau = s / np.sqrt((t0 - np.sum(t * (t - 1)) / 2) * (t0 - np.sum(u * (u - 1)) / 2))
    var_s = (
        (
            n * (n - 1) * (2 * n + 5)
            - np.sum(t * (t - 1) * (2 * t + 5))
            - np.sum(u * (u - 1) * (2 * u + 5))
        )
        / 18
        + np.sum(t * (t - 1)) * np.sum(u * (u - 1)) / (2 * n * (n - 1))
        + np.sum(t * (t - 1) * (t - 2))
        * np.sum(u * (u - 1) * (u - 2))
        / (9 * n * (n - 1) * (n - 2))
    )
    z = s / np.sqrt(var_s)
    return float(tau), float(2 * norm_sf(abs(z))), False


def begg_test(model: MetaResult) -> BeggTest:
    """Begg and Mazumdar's rank correlation test (metafor ``ranktest``).

    Notes
    -----
    Kendall's tau between the standardized deviates (yᵢ − θ̂)/√(vᵢ − 1/Σw) and vᵢ, θ̂ the
    inverse-variance common-effect estimate, w = 1/v; p-value by :func:`kendall_test`.

    References
    ----------
    Begg CB, Mazumdar M (1994). Operating characteristics of a rank correlation test for
    publication bias. Biometrics 50(4):1088-1101.
    """
    yi, vi = model.yi, model.vi
    k = len(yi)
    if k < 3:
        raise AnalysisError(f"Begg's test needs at least 3 studies; there are {k}")
    _require_varying_precision(vi, "Begg's test")
    w = 1 / vi
    theta = np.sum(w * yi) / np.sum(w)
    deviates = (yi - theta) / np.sqrt(vi - 1 / np.sum(w))
    tau, pval, exact = kendall_test(deviates, vi)
    return BeggTest(k=k, tau=tau, pval=pval, exact=exact, caveat=small_study_caveat(k))


@dataclass(frozen=True)
class TrimFill:
    """Trim-and-fill result: the number of imputed studies and the refitted model."""

    estimator: str
    side: str
    k0: int
    se_k0: float
    filled_yi: np.ndarray
    filled_vi: np.ndarray
    fit: MetaResult
    caveat: str | None


def asymmetry_side(yi, vi, method: str) -> str:
    """Side on which studies are presumed missing, as metafor: fit
    ``rma(yi, vi, mods = sqrt(vi), method)``; a negative slope means small studies sit to the
    left, so the missing ones are on the "right"; otherwise "left"."""
    _require_varying_precision(vi, "the side of the missing studies")
    X = np.column_stack([np.ones(len(yi)), np.sqrt(vi)])
    _, fit = mixed_effects_fit(yi, vi, X, method)
    return "right" if fit.beta[1] < 0 else "left"


def _l0(centred: np.ndarray) -> tuple[float, float]:
    """L0 estimate of the number of missing studies and its standard error.

    Notes
    -----
    With signed ranks of |yᵢ − θ̂| (ties broken by order) and Sᵣ the sum of the positive ones:
    L0 = (4Sᵣ − k(k + 1))/(2k − 1); Var(Sᵣ) = [k(k+1)(2k+1) + 10L0³ + 27L0² + 17L0 − 18kL0²
    − 18kL0 + 6k²L0]/24; SE(L0) = 4√Var(Sᵣ)/(2k − 1).

    References
    ----------
    Duval S, Tweedie R (2000). A nonparametric "trim and fill" method of accounting for
    publication bias in meta-analysis. J Am Stat Assoc 95(449):89-98.
    """
    k = len(centred)
    ranks = np.empty(k)
    ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)
    signed = np.sign(centred) * ranks
    sr = np.sum(signed[signed > 0])
    k0 = (4 * sr - k * (k + 1)) / (2 * k - 1)
    var_sr = (
        k * (k + 1) * (2 * k + 1)
        + 10 * k0**3
        + 27 * k0**2
        + 17 * k0
        - 18 * k * k0**2
        - 18 * k * k0
        + 6 * k**2 * k0
    ) / 24
    return k0, 4 * np.sqrt(var_sr) / (2 * k - 1)


def trim_and_fill(model: MetaResult, side: str | None = None, max_iter: int = 100) -> TrimFill:
    """Duval and Tweedie's trim-and-fill with the L0 estimator, as metafor ``trimfill``.

    Notes
    -----
    The side is chosen by :func:`asymmetry_side` unless given. On that side's scale (effects
    negated for "right"), the studies are sorted; repeatedly the k0 most extreme are trimmed,
    the model (same method) refitted to the rest, and k0 re-estimated by L0 from all k
    deviations from that estimate, until k0 no longer changes. The k0 trimmed studies are then
    mirrored about the last estimate (2θ̂ − yᵢ, same vᵢ) and the model (same method, z test)
    refitted to the observed plus filled studies.

    References
    ----------
    Duval S, Tweedie R (2000). Trim and fill: a simple funnel-plot-based method of testing and
    adjusting for publication bias in meta-analysis. Biometrics 56(2):455-463.
    Duval S, Tweedie R (2000). J Am Stat Assoc 95(449):89-98.
    """
    yi, vi = model.yi, model.vi
    k = len(yi)
    if k < 3:
        raise AnalysisError(f"trim-and-fill needs at least 3 studies; there are {k}")
    if side is None:
        side = asymmetry_side(yi, vi, model.method)
    elif side not in ("left", "right"):
        raise ValueError(f"side must be one of left, right; got {side!r}")
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * yi, kind="stable")
    ys, vs = sign * yi[order], vi[order]
    k0, previous = 0, -1
    for _ in range(max_iter):
        if k0 == previous:
            break
        previous = k0
        beta = rma(ys[: k - k0], vs[: k - k0], method=model.method).estimate
        k0_raw, se_k0 = _l0(ys - beta)
        k0 = max(0, round(k0_raw))  # R's round: halves to even, as Python's
        se_k0 = max(0.0, float(se_k0))
    else:
        raise AnalysisError(f"trim-and-fill did not converge in {max_iter} iterations")
    if k0 > k - 1:
        raise AnalysisError("trim-and-fill would impute as many studies as were observed")
    if k0 > 0:
        filled_yi = sign * (2 * beta - ys[k - k0 :])
        filled_vi = vs[k - k0 :]
        fit = rma(
            np.concatenate([yi, filled_yi]),
            np.concatenate([vi, filled_vi]),
            method=model.method,
            level=model.level,
            measure=model.measure,
        )
    else:
        filled_yi = filled_vi = np.array([])
        fit = model
    return TrimFill(
        estimator="L0",
        side=side,
        k0=k0,
        se_k0=se_k0,
        filled_yi=filled_yi,
        filled_vi=filled_vi,
        fit=fit,
        caveat=small_study_caveat(k),
    )
