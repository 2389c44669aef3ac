"""Heterogeneity: I² and H², the Q-profile confidence interval for tau², prediction interval."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.stats.distributions import chi2_ppf, t_ppf
from analysis.stats.tau2 import generalized_q, root_of_decreasing


def i2_from_q(q: float, df: int) -> tuple[float, float]:
    """Higgins–Thompson I² (percent) and H² from Cochran's Q.

    Notes
    -----
    I² = 100·max(0, (Q − df)/Q) (0 when Q = 0), H² = Q/df.

    References
    ----------
    Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat Med
    21(11):1539-1558.
    """
    i2 = 100 * max(0.0, (q - df) / q) if q > 0 else 0.0
    return i2, q / df


def i2_h2_from_tau2(tau2: float, s2: float) -> tuple[float, float]:
    """I² (percent) and H² from tau² and the typical within-study variance s².

    Notes
    -----
    I² = 100·tau²/(tau² + s²), H² = (tau² + s²)/s² (metafor; Cochrane Handbook v6.5 §10.10.2).

    References
    ----------
    Higgins JPT, Thompson SG (2002). Stat Med 21(11):1539-1558, eq. 9.
    """
    return 100 * tau2 / (tau2 + s2), (tau2 + s2) / s2


def prediction_interval(estimate: float, se: float, tau2: float, k: int, level: float):
    """Prediction interval for the effect in a new study, or None when k < 3.

    Notes
    -----
    μ̂ ± t_{k−2}·√(tau² + SE²).

    References
    ----------
    Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
    meta-analysis. J R Stat Soc A 172(1):137-159.
    """
    if k < 3:
        return None
    half = t_ppf(1 - (1 - level) / 2, k - 2) * np.sqrt(tau2 + se**2)
    return float(estimate - half), float(estimate + half)


@dataclass(frozen=True)
class Tau2Interval:
    """Q-profile confidence interval for tau², with the matching I² interval (percent).

    ``null_set`` is True when the generalized Q at tau² = 0 already lies below the lower
    chi-square quantile: no tau² ≥ 0 is compatible with the data, and metafor reports the
    interval as the "null set" (both bounds 0).
    """

    level: float
    tau2_lb: float
    tau2_ub: float
    i2_lb_pct: float
    i2_ub_pct: float
    null_set: bool


def tau2_confint(yi, vi, X, level: float, s2: float, tau2: float) -> Tau2Interval:
    """Q-profile confidence interval for tau² (metafor ``confint.rma.uni``).

    Notes
    -----
    The generalized Q(tau²) = Σ w(tau²)(y − Xβ̂(tau²))² follows χ²_{k−p}; the bounds solve
    Q(tau²) = χ²_{k−p; 1−α/2} (lower) and Q(tau²) = χ²_{k−p; α/2} (upper), truncated at 0.
    The bounds are found as metafor finds them (R's ``uniroot`` on [0, max(100, 10·tau²)] at
    its default tolerance, :mod:`analysis.stats.roots`); where metafor's search interval is too
    narrow and it reports the interval's end (">"), the interval is widened instead.

    References
    ----------
    Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in
    meta-analysis. Stat Med 26(1):37-52.
    """
    k, p = X.shape
    alpha = 1 - level
    q_upper = chi2_ppf(1 - alpha / 2, k - p)
    q_lower = chi2_ppf(alpha / 2, k - p)
    q0 = generalized_q(yi, vi, X, 0.0)
    search_max = max(100.0, 10 * tau2)

    def q_at(t: float) -> float:
        return generalized_q(yi, vi, X, t)

    null_set = q0 < q_lower
    lb = (
        0.0
        if q0 < q_upper
        else root_of_decreasing(q_at, q_upper, search_max, "tau² lower bound", 1000)
    )
    ub = (
        0.0 if null_set else root_of_decreasing(q_at, q_lower, search_max, "tau² upper bound", 1000)
    )
    return Tau2Interval(
        level, lb, ub, i2_h2_from_tau2(lb, s2)[0], i2_h2_from_tau2(ub, s2)[0], bool(null_set)
    )
