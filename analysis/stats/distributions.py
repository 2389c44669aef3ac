"""The few distribution functions the builder needs, from ``scipy.special``.

``scipy.stats`` computes the same values with the same special functions but takes about 1 s
to import (measured with ``python -X importtime``), a third of the edit loop's budget; ``meta``
and ``build`` are commands users run many times, so every module calls the special functions
through here, and nothing in ``analysis`` imports ``scipy.stats``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special


def norm_sf(x):
    """P(Z > x) for a standard normal Z."""
    return special.ndtr(-x)


def norm_ppf(q):
    """Quantile of the standard normal distribution."""
    return special.ndtri(q)


def t_sf(x, df):
    """P(T > x) for Student's t with df degrees of freedom."""
    return special.stdtr(df, -x)


def t_ppf(q, df):
    """Quantile of Student's t with df degrees of freedom."""
    return special.stdtrit(df, q)


def chi2_sf(x, df):
    """P(X > x) for a chi-square X with df degrees of freedom."""
    return special.chdtrc(df, x)


def chi2_cdf(x, df):
    """P(X ≤ x) for a chi-square X with df degrees of freedom."""
    return special.chdtr(df, x)


def f_sf(x, dfn, dfd):
    """P(F > x) for an F distribution with (dfn, dfd) degrees of freedom."""
    return special.fdtrc(dfn, dfd, x)


def chi2_ppf(q, df):
    """Quantile of the chi-square distribution with df degrees of freedom."""
    return special.chdtri(df, 1 - q)


def kendall_exact_pvalue(n: int, discordant: int) -> float:
    """Two-sided exact p-value of Kendall's tau for ``n`` untied pairs with ``discordant``
    discordant pairs, as R's ``cor.test(method = "kendall", exact = TRUE)`` and
    ``scipy.stats.kendalltau(method = "exact")`` compute it.

    Notes
    -----
    Under independence every ranking is equally likely, so the number of discordant pairs
    counts the inversions of a random permutation. The counts N(n, c) of permutations of n
    with c inversions follow N(n, c) = Σ_{i=0}^{min(c, n−1)} N(n − 1, c − i) (a running sum,
    computed as cumulative sums); the distribution is symmetric about n(n − 1)/4, so
    p = 2·Σ_{c' ≤ c} N(n, c')/n! with c the smaller of the discordant and concordant counts,
    capped at 1. For n ≥ 171 (n! beyond floating point) each step divides by j instead.

    References
    ----------
    Kendall MG, Gibbons JD (1990). Rank Correlation Methods, 5th ed. Edward Arnold, ch. 4.
    """
    total = n * (n - 1) // 2
    c = int(min(discordant, total - discordant))
    if n <= 2 or 4 * c == n * (n - 1):
        return 1.0
    if c == 0:
        return 2.0 / math.factorial(n) if n < 171 else 0.0
    if c == 1:
        return 2.0 / math.factorial(n - 1) if n < 172 else 0.0
    counts = np.zeros(c + 1)
    counts[0:2] = 1.0
    for j in range(3, n + 1):
        counts = np.cumsum(counts) if n < 171 else np.cumsum(counts) / j
        if j <= c:
            counts[j:] -= counts[: c + 1 - j]
    prob = 2.0 * np.sum(counts) / math.factorial(n) if n < 171 else np.sum(counts)
    return float(np.clip(prob, 0.0, 1.0))
