"""Effect sizes and their sampling variances, as metafor's ``escalc`` computes them.

Arm 1 is the intervention arm, arm 2 the control arm. Ratio measures (RR, OR) are on
the log scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from analysis.vocabulary import BINARY_MEASURES


@dataclass(frozen=True)
class EffectSizes:
    """Per-study effect sizes ``yi`` and sampling variances ``vi`` (metafor's names).

    ``corrected`` marks 2x2 tables to which 1/2 was added (binary measures only).
    """

    measure: str
    yi: np.ndarray
    vi: np.ndarray
    corrected: np.ndarray | None = None

    @property
    def k(self) -> int:
        return len(self.yi)

    @property
    def sei(self) -> np.ndarray:
        return np.sqrt(self.vi)


def _arrays(*values) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


def hedges_correction(m) -> np.ndarray:
    """Exact small-sample correction factor J(m) of Hedges' g.

    Notes
    -----
    J(m) = Γ(m/2) / (√(m/2) · Γ((m−1)/2)), computed on the log scale, with m = n1 + n2 − 2.

    References
    ----------
    Hedges LV (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. J Educ Stat 6(2):107-128, eq. 6e.
    """
    m = np.asarray(m, dtype=float)
    return np.exp(gammaln(m / 2) - np.log(np.sqrt(m / 2)) - gammaln((m - 1) / 2))


def smd(n1, mean1, sd1, n2, mean2, sd2) -> EffectSizes:
    """Standardized mean difference as Hedges' g (metafor ``escalc("SMD")``, vtype "LS").

    Notes
    -----
    s_p = √(((n1−1)·sd1² + (n2−1)·sd2²)/(n1+n2−2)),  d = (mean1 − mean2)/s_p,
    g = J(n1+n2−2)·d,  v = 1/n1 + 1/n2 + g²/(2(n1+n2)).

    References
    ----------
    Hedges LV, Olkin I (1985). Statistical Methods for Meta-Analysis. Academic Press, ch. 5.
    Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw
    36(3):1-48.
    """
    n1, mean1, sd1, n2, mean2, sd2 = _arrays(n1, mean1, sd1, n2, mean2, sd2)
    sd_pooled = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))
    yi = hedges_correction(n1 + n2 - 2) * (mean1 - mean2) / sd_pooled
    vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
    return EffectSizes("SMD", yi, vi)


def md(n1, mean1, sd1, n2, mean2, sd2) -> EffectSizes:
    """Raw mean difference (metafor ``escalc("MD")``, unequal variances).

    Notes
    -----
    y = mean1 − mean2,  v = sd1²/n1 + sd2²/n2.
    """
    n1, mean1, sd1, n2, mean2, sd2 = _arrays(n1, mean1, sd1, n2, mean2, sd2)
    return EffectSizes("MD", mean1 - mean2, sd1**2 / n1 + sd2**2 / n2)


def corrected_tables(events1, n1, events2, n2, add: float = 0.5, drop00: bool = False):
    """2x2 cells (a, b, c, d) with metafor's default zero-cell handling (``to = "only0"``).

    ``add`` is added to all four cells of any table with a zero cell. With ``drop00`` the
    tables without events in either arm (or with all events in both) are returned as NaN, as
    metafor's ``drop00 = TRUE`` excludes them.
    """
    a, n1, c, n2 = _arrays(events1, n1, events2, n2)
    b, d = n1 - a, n2 - c
    has_zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    cells = [np.where(has_zero, x + add, x) for x in (a, b, c, d)]
    if drop00:
        double_zero = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
        cells = [np.where(double_zero, np.nan, x) for x in cells]
        has_zero = has_zero & ~double_zero
    return (*cells, has_zero)


def binary(measure: str, events1, n1, events2, n2, drop00: bool = False) -> EffectSizes:
    """Log risk ratio, log odds ratio or risk difference (metafor ``escalc``, add = 1/2,
    to = "only0").

    Notes
    -----
    With cells a, b (arm 1) and c, d (arm 2), after correction, n1 = a+b and n2 = c+d:

    * RR: y = log((a/n1)/(c/n2)),  v = 1/a − 1/n1 + 1/c − 1/n2
    * OR: y = log(ad/(bc)),        v = 1/a + 1/b + 1/c + 1/d
    * RD: y = a/n1 − c/n2,         v = p1(1−p1)/n1 + p2(1−p2)/n2

    References
    ----------
    Deeks JJ, Higgins JPT, Altman DG (eds). Chapter 10, Cochrane Handbook for Systematic
    Reviews of Interventions, version 6.5 (2024), section 10.4.4.2 (zero cells).
    """
    a, b, c, d, corrected = corrected_tables(events1, n1, events2, n2, drop00=drop00)
    m1, m2 = a + b, c + d
    if measure == "RR":
        yi = np.log((a / m1) / (c / m2))
        vi = 1 / a - 1 / m1 + 1 / c - 1 / m2
    elif measure == "OR":
        yi = np.log(a * d / (b * c))
        vi = 1 / a + 1 / b + 1 / c + 1 / d
    elif measure == "RD":
        p1, p2 = a / m1, c / m2
        yi = p1 - p2
        vi = p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2
    else:
        raise ValueError(f"measure {measure!r} is not binary; expected one of {BINARY_MEASURES}")
    return EffectSizes(measure, yi, vi, corrected)


def generic(yi, vi) -> EffectSizes:
    """Precomputed effect sizes and variances, used as given."""
    yi, vi = _arrays(yi, vi)
    return EffectSizes("GEN", yi, vi)
