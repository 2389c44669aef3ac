"""Weighted least squares pieces shared by the estimators, in O(k·p²) memory.

metafor builds the k × k projection matrix P = W − W X (XᵀWX)⁻¹ XᵀW. We never form it: every
quantity the estimators need (P y, yᵀPy, tr P, tr PP) has a closed form in p × p matrices, so
memory stays linear in the number of studies k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WeightedFit:
    """Weighted least-squares fit of y on X with weights w = 1/(vi + tau2).

    Attributes: ``beta`` (p), ``cov`` = (XᵀWX)⁻¹ (p × p), ``w`` (k), ``resid`` = y − Xβ,
    ``rss`` = yᵀPy = Σ w·resid², ``py`` = P y = w·resid.
    """

    beta: np.ndarray
    cov: np.ndarray
    w: np.ndarray
    resid: np.ndarray
    rss: float
    X: np.ndarray

    @property
    def py(self) -> np.ndarray:
        return self.w * self.resid

    def trace_p(self) -> float:
        """tr P = Σ w − tr((XᵀWX)⁻¹ XᵀW²X)."""
        XtW2X = (self.X * self.w[:, None] ** 2).T @ self.X
        return float(self.w.sum() - np.trace(self.cov @ XtW2X))

    def trace_pp(self) -> float:
        """tr PP = Σ w² − 2 tr(A XᵀW³X) + tr(A XᵀW²X A XᵀW²X), A = (XᵀWX)⁻¹."""
        w, X, A = self.w, self.X, self.cov
        XtW2X = (X * w[:, None] ** 2).T @ X
        XtW3X = (X * w[:, None] ** 3).T @ X
        B = A @ XtW2X
        return float((w**2).sum() - 2 * np.trace(A @ XtW3X) + np.trace(B @ B))


def weighted_fit(yi: np.ndarray, vi: np.ndarray, X: np.ndarray, tau2: float = 0.0) -> WeightedFit:
    """Generalized least squares with weights 1/(vi + tau2)."""
    w = 1.0 / (vi + tau2)
    XtWX = (X * w[:, None]).T @ X
    cov = np.linalg.inv(XtWX)
    beta = cov @ ((X * w[:, None]).T @ yi)
    resid = yi - X @ beta
    return WeightedFit(beta, cov, w, resid, float(np.sum(w * resid**2)), X)


def typical_within_variance(vi: np.ndarray, X: np.ndarray) -> float:
    """metafor's "typical" within-study variance s² used for I² and H².

    Notes
    -----
    s² = (k − p) / tr P with P computed at tau2 = 0 (weights 1/vi); with an intercept only this
    is (k − 1)·Σw / ((Σw)² − Σw²) (Higgins & Thompson 2002, eq. 9).

    References
    ----------
    Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat Med
    21(11):1539-1558.
    """
    k, p = X.shape
    return (k - p) / weighted_fit(np.zeros(k), vi, X).trace_p()
