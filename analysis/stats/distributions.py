"""The few distribution functions the engine needs, from ``scipy.special``.

``scipy.stats`` computes the same values with the same special functions but takes about
0.3 s to import; ``meta`` is a command users run many times, so the engine calls the special
functions directly.
"""

from __future__ import annotations

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


def f_sf(x, dfn, dfd):
    """P(F > x) for an F distribution with (dfn, dfd) degrees of freedom."""
    return special.fdtrc(dfn, dfd, x)


def chi2_ppf(q, df):
    """Quantile of the chi-square distribution with df degrees of freedom."""
    return special.chdtri(df, 1 - q)
