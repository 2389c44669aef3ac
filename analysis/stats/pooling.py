"""Common-effect and random-effects pooling (metafor ``rma.uni``), intercept-only.

Fit apart from use: :func:`rma` computes and returns a frozen :class:`MetaResult`; formatting,
printing and plotting happen elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.errors import AnalysisError
from analysis.stats.distributions import chi2_sf, norm_ppf, norm_sf, t_ppf, t_sf
from analysis.stats.heterogeneity import (
    Tau2Interval,
    i2_from_q,
    i2_h2_from_tau2,
    prediction_interval,
    tau2_confint,
)
from analysis.stats.linear_model import WeightedFit, typical_within_variance, weighted_fit
from analysis.stats.tau2 import estimate_tau2, log_likelihood
from analysis.vocabulary import CI_METHODS, RATIO_MEASURES, RMA_METHODS

#: the magnitudes the engine computes with: beyond them 1/vi, yi²/vi or (vi + tau²)² overflow
#: or underflow double precision (a variance of 1e-320 makes Fisher scoring step by -inf)
MAX_ABS_EFFECT = 1e100
VARIANCE_RANGE = (1e-100, 1e100)


def check_magnitudes(yi, vi) -> None:
    """Raise AnalysisError (with the reason) for effect sizes or sampling variances outside
    :data:`MAX_ABS_EFFECT` and :data:`VARIANCE_RANGE`."""
    low, high = VARIANCE_RANGE
    if np.any(np.abs(yi) > MAX_ABS_EFFECT):
        raise AnalysisError(
            f"an effect size beyond ±{MAX_ABS_EFFECT:g} cannot be pooled in double precision"
        )
    if np.any(vi < low) or np.any(vi > high):
        raise AnalysisError(
            f"a sampling variance outside {low:g} to {high:g} cannot be pooled in double "
            "precision (check the SDs and units)"
        )


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """Options are checked where they enter, against the declared allowed values."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


@dataclass(frozen=True)
class MetaResult:
    """A fitted meta-analysis (metafor's vocabulary; ratio measures on the log scale).

    Percentages say so in their names: ``i2_pct`` (I² from tau², metafor's and Cochrane's
    definition), ``i2_q_pct`` (Higgins–Thompson I² from Q), ``weights_pct``.
    ``notes`` holds the stated reasons where a quantity does not apply.
    """

    measure: str
    method: str
    ci_method: str
    level: float
    k: int
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float
    pval: float
    df: int | None
    tau2: float
    tau2_ci: Tau2Interval | None
    q: float | None
    q_df: int | None
    q_pval: float | None
    i2_pct: float | None
    h2: float | None
    i2_q_pct: float | None
    h2_q: float | None
    pi_lb: float | None
    pi_ub: float | None
    weights_pct: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    loglik: float | None = None
    extra: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES


def wald_test(estimate: float, se: float, df: int | None, level: float):
    """Wald-type test and CI: (stat, p, ci_lb, ci_ub) with normal quantiles when df is None,
    else t(df)."""
    stat = estimate / se
    if df is None:
        crit = norm_ppf(1 - (1 - level) / 2)
        pval = 2 * norm_sf(abs(stat))
    else:
        crit = t_ppf(1 - (1 - level) / 2, df)
        pval = 2 * t_sf(abs(stat), df)
    return stat, pval, estimate - crit * se, estimate + crit * se


def knapp_hartung_factor(fit: WeightedFit, k: int, p: int, ci_method: str) -> float:
    """Variance factor s² of the Knapp–Hartung adjustment (1 for ci_method "z").

    Notes
    -----
    s² = yᵀPy/(k − p) with weights 1/(vi + tau²); Var(β̂) = s²·(XᵀWX)⁻¹ and t(k − p) quantiles.
    The modified ("adhoc") version truncates s² below at 1, so the interval is never narrower
    than the z-based one.

    References
    ----------
    Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a single
    covariate. Stat Med 22(17):2693-2710.
    Röver C, Knapp G, Friede T (2015). Hartung-Knapp-Sidik-Jonkman approach and its
    modification for random-effects meta-analysis with few studies. BMC Med Res Methodol 15:99.
    """
    if ci_method == "z":
        return 1.0
    s2 = fit.rss / (k - p)
    return max(1.0, s2) if ci_method == "adhoc" else s2


def rma(
    yi,
    vi,
    method: str = "REML",
    ci_method: str = "z",
    level: float = 0.95,
    measure: str = "GEN",
    tau2: float | None = None,
) -> MetaResult:
    """Fit the common-effect (``method="FE"``) or random-effects model to yi with variances vi.

    Notes
    -----
    Weights w = 1/(vi + tau²); μ̂ = Σ w y / Σ w; SE = √(1/Σw) (times the Knapp–Hartung factor
    for ``ci_method`` "knha" or "adhoc", with t(k−1) quantiles). Heterogeneity: Cochran's Q with
    weights 1/vi, I² and H² from tau² and from Q, the Q-profile CI for tau², and the prediction
    interval (k ≥ 3). A given ``tau2`` is used as fixed instead of estimated (metafor's
    ``tau2=`` argument); there is then no confidence interval for it.

    References
    ----------
    Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw
    36(3):1-48. Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2010). A basic introduction
    to fixed-effect and random-effects models for meta-analysis. Res Synth Methods 1(2):97-111.
    """
    check_choice("method", method, RMA_METHODS)
    check_choice("ci_method", ci_method, CI_METHODS)
    if not 0 < level < 1:
        raise ValueError(f"level must lie between 0 and 1; got {level!r}")
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    k = len(yi)
    if k == 0:
        raise AnalysisError("no studies to pool")
    if not (np.all(np.isfinite(yi)) and np.all(np.isfinite(vi))):
        raise AnalysisError("every study needs a finite effect size and sampling variance")
    if np.any(vi <= 0):
        raise AnalysisError("sampling variances must be positive")
    check_magnitudes(yi, vi)
    notes: list[str] = []
    if k == 1:
        notes.append(
            "k = 1: the pooled result is the single study's own estimate (z-based CI); "
            "heterogeneity, tau² and the prediction interval cannot be estimated"
        )
        ci_method = "z"
    X = np.ones((k, 1))
    p = 1

    fixed_tau2 = tau2 is not None
    if method == "FE" or k == 1:
        tau2 = 0.0
    elif fixed_tau2:
        if not tau2 >= 0:
            raise ValueError(f"a fixed tau2 must be 0 or more; got {tau2!r}")
    else:
        tau2 = estimate_tau2(yi, vi, X, method)
    fit = weighted_fit(yi, vi, X, tau2)
    s2_kh = knapp_hartung_factor(fit, k, p, ci_method) if k > p else 1.0
    df = k - p if ci_method != "z" else None
    estimate = float(fit.beta[0])
    if s2_kh <= 0:
        raise AnalysisError(
            "all studies have the same effect size, so the Knapp–Hartung variance factor is 0 "
            "and the confidence interval collapses to a point; use the z-based or the modified "
            "Knapp–Hartung (adhoc) interval"
        )
    se = float(np.sqrt(s2_kh * fit.cov[0, 0]))
    stat, pval, ci_lb, ci_ub = wald_test(estimate, se, df, level)

    if k > 1:
        q = weighted_fit(yi, vi, X).rss
        q_df = k - p
        q_pval = float(chi2_sf(q, q_df))
        i2_q, h2_q = i2_from_q(q, q_df)
        if method == "FE":
            i2, h2 = i2_q, h2_q
            tau2_ci = None
        else:
            s2 = typical_within_variance(vi, X)
            i2, h2 = i2_h2_from_tau2(tau2, s2)
            tau2_ci = None if fixed_tau2 else tau2_confint(yi, vi, X, level, s2, tau2)
    else:
        q = q_df = q_pval = i2_q = h2_q = i2 = h2 = tau2_ci = None
    if method != "FE" and not fixed_tau2 and tau2 == 0 and k > 1:
        notes.append(
            f"tau² was estimated as 0 ({method}): the random-effects model gives the same result "
            "as the common-effect model"
        )
    pi = prediction_interval(estimate, se, tau2, k, level)
    if pi is None and k > 1:
        notes.append(f"k = {k}: the prediction interval needs at least 3 studies")
    weights = fit.w / fit.w.sum() * 100
    return MetaResult(
        measure=measure,
        method=method,
        ci_method=ci_method,
        level=level,
        k=k,
        estimate=estimate,
        se=se,
        ci_lb=ci_lb,
        ci_ub=ci_ub,
        stat=float(stat),
        pval=float(pval),
        df=df,
        tau2=float(tau2),
        tau2_ci=tau2_ci,
        q=q,
        q_df=q_df,
        q_pval=q_pval,
        i2_pct=i2,
        h2=h2,
        i2_q_pct=i2_q,
        h2_q=h2_q,
        pi_lb=pi[0] if pi else None,
        pi_ub=pi[1] if pi else None,
        weights_pct=weights,
        yi=yi,
        vi=vi,
        loglik=log_likelihood(yi, vi, X, tau2, restricted=method == "REML"),
        notes=tuple(notes),
    )
