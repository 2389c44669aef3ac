"""Estimators of the between-study variance tau² (metafor ``rma.uni`` ``method=``).

Closed forms (DL, HE, HS, SJ) follow metafor exactly. The iterative estimators (ML, REML, EB)
use metafor's Fisher scoring with step halving, but stop at a change in tau² of 1e-12 instead
of metafor's 1e-5; PM solves its estimating equation with R's ``uniroot`` algorithm as metafor
does. All are truncated at zero, and a solver that does not converge raises
:class:`~analysis.errors.AnalysisError` instead of returning a number.
"""

from __future__ import annotations

import numpy as np

from analysis.errors import AnalysisError
from analysis.stats.linear_model import weighted_fit
from analysis.stats.roots import R_UNIROOT_TOL, zeroin

#: Convergence threshold on the change in tau² between iterations (metafor's default: 1e-5).
THRESHOLD = 1e-12
MAX_ITERATIONS = 10_000


def dersimonian_laird(yi, vi, X) -> float:
    """DerSimonian–Laird method-of-moments estimator.

    Notes
    -----
    tau² = max(0, (Q − (k − p)) / tr P₀), Q the inverse-variance weighted residual sum of
    squares and P₀ the projection with weights 1/vi (tr P₀ = Σw − Σw²/Σw with an intercept).

    References
    ----------
    DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin Trials
    7(3):177-188.
    """
    k, p = X.shape
    fit = weighted_fit(yi, vi, X)
    return max(0.0, (fit.rss - (k - p)) / fit.trace_p())


def hedges(yi, vi, X) -> float:
    """Hedges' (Hedges–Olkin) unweighted method-of-moments estimator.

    Notes
    -----
    tau² = max(0, (RSS_OLS − tr(P_OLS V)) / (k − p)) with the ordinary least-squares residual
    sum of squares and P_OLS = I − X(XᵀX)⁻¹Xᵀ.

    References
    ----------
    Hedges LV, Olkin I (1985). Statistical Methods for Meta-Analysis. Academic Press.
    """
    k, p = X.shape
    ols = weighted_fit(yi, np.ones(k), X)
    hat_diag = np.einsum("ij,jk,ik->i", X, ols.cov, X)
    return max(0.0, (ols.rss - np.sum(vi * (1 - hat_diag))) / (k - p))


def hunter_schmidt(yi, vi, X) -> float:
    """Hunter–Schmidt estimator, as metafor implements it.

    Notes
    -----
    tau² = max(0, (Q − k) / Σw), w = 1/vi.

    References
    ----------
    Hunter JE, Schmidt FL (2004). Methods of Meta-Analysis, 2nd ed. Sage.
    Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. J Educ Behav Stat 30(3):261-293.
    """
    k = X.shape[0]
    fit = weighted_fit(yi, vi, X)
    return max(0.0, (fit.rss - k) / fit.w.sum())


def sidik_jonkman(yi, vi, X) -> float:
    """Sidik–Jonkman estimator (metafor's default start value, one step).

    Notes
    -----
    tau²₀ = Σ(y − ȳ)²/k (also with moderators, as metafor starts);
    tau² = tau²₀ · yᵀP y / (k − p), P with weights 1/(vi + tau²₀).

    References
    ----------
    Sidik K, Jonkman JN (2005). Simple heterogeneity variance estimation for meta-analysis.
    J R Stat Soc C 54(2):367-384.
    """
    k, p = X.shape
    tau2_0 = float(np.var(yi))  # Σ(y − ȳ)²/k, metafor's var(yi)·(k−1)/k
    if tau2_0 <= 0:
        return 0.0
    return tau2_0 * weighted_fit(yi, vi, X, tau2_0).rss / (k - p)


def _fisher_scoring(yi, vi, X, step, method: str) -> float:
    """Iterate tau² ← tau² + step(fit) from the Hedges estimate, halving steps that would go
    below zero, until the change is below :data:`THRESHOLD` (metafor's algorithm)."""
    tau2 = hedges(yi, vi, X)
    for _ in range(MAX_ITERATIONS):
        adj = step(weighted_fit(yi, vi, X, tau2))
        if not np.isfinite(adj):
            raise AnalysisError(
                f"the {method} estimator of tau² cannot be computed: a Fisher scoring step is "
                "not finite (extreme sampling variances); try method DL or check the data"
            )
        while tau2 + adj < 0:
            adj /= 2
            if abs(adj) < THRESHOLD:
                adj = -tau2
                break
        tau2_new = tau2 + adj
        if abs(tau2_new - tau2) < THRESHOLD * max(1.0, tau2_new):
            return max(0.0, tau2_new)
        tau2 = tau2_new
    raise AnalysisError(
        f"the {method} estimator of tau² did not converge in {MAX_ITERATIONS} iterations; "
        "try method DL or PM, or check the data for extreme variances"
    )


def log_likelihood(yi, vi, X, tau2: float, restricted: bool) -> float:
    """Log-likelihood of the random-effects model at tau2: restricted (REML) or ordinary (ML).

    Notes
    -----
    ML:   −½ k log 2π − ½ Σ log(vi + tau²) − ½ yᵀPy
    REML: −½ (k−p) log 2π + ½ log|XᵀX| − ½ Σ log(vi + tau²) − ½ log|XᵀWX| − ½ yᵀPy
    (metafor's definitions, including the ½ log|XᵀX| term of its REML likelihood).
    """
    k, p = X.shape
    fit = weighted_fit(yi, vi, X, tau2)
    ll = -0.5 * np.sum(np.log(vi + tau2)) - 0.5 * fit.rss
    if restricted:
        logdet_xx = np.linalg.slogdet(X.T @ X)[1]
        logdet_xwx = -np.linalg.slogdet(fit.cov)[1]
        return float(ll - 0.5 * (k - p) * np.log(2 * np.pi) + 0.5 * logdet_xx - 0.5 * logdet_xwx)
    return float(ll - 0.5 * k * np.log(2 * np.pi))


def _boundary_check(yi, vi, X, tau2: float, restricted: bool) -> float:
    """metafor's check after Fisher scoring: if the likelihood at tau² = 0 exceeds that at the
    solution (by more than R's ``uniroot`` tolerance), scoring stopped at a local maximum and
    tau² = 0 is returned instead (e.g. ML on ``dat.gibson2002``, mean differences)."""
    if tau2 > 1e-5:
        at_zero = log_likelihood(yi, vi, X, 0.0, restricted)
        if at_zero - log_likelihood(yi, vi, X, tau2, restricted) > R_UNIROOT_TOL:
            return 0.0
    return tau2


def maximum_likelihood(yi, vi, X) -> float:
    """Maximum-likelihood estimator (Fisher scoring).

    Notes
    -----
    Step = (yᵀPPy − Σw) / Σw², w = 1/(vi + tau²); then metafor's check against a local
    maximum (:func:`_boundary_check`).

    References
    ----------
    Hardy RJ, Thompson SG (1996). A likelihood approach to meta-analysis with random effects.
    Stat Med 15(6):619-629. Viechtbauer W (2005), J Educ Behav Stat 30(3):261-293.
    """
    step = lambda f: (np.sum(f.py**2) - f.w.sum()) / np.sum(f.w**2)  # noqa: E731
    return _boundary_check(yi, vi, X, _fisher_scoring(yi, vi, X, step, "ML"), restricted=False)


def restricted_maximum_likelihood(yi, vi, X) -> float:
    """Restricted maximum-likelihood estimator (Fisher scoring).

    Notes
    -----
    Step = (yᵀPPy − tr P) / tr PP; then metafor's check against a local maximum.

    References
    ----------
    Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. J Educ Behav Stat 30(3):261-293.
    Raudenbush SW (2009). Analyzing effect sizes: random-effects models. In: Cooper H, Hedges
    LV, Valentine JC (eds). The Handbook of Research Synthesis and Meta-Analysis, 2nd ed.
    """
    step = lambda f: (np.sum(f.py**2) - f.trace_p()) / f.trace_pp()  # noqa: E731
    return _boundary_check(yi, vi, X, _fisher_scoring(yi, vi, X, step, "REML"), restricted=True)


def empirical_bayes(yi, vi, X) -> float:
    """Empirical Bayes estimator (Morris 1983), metafor's iteration.

    Notes
    -----
    Step = (yᵀPy · k/(k − p) − k) / Σw; its fixed point solves yᵀPy = k − p, the Paule–Mandel
    equation.

    References
    ----------
    Morris CN (1983). Parametric empirical Bayes inference: theory and applications. J Am Stat
    Assoc 78(381):47-55.
    """
    k, p = X.shape
    return _fisher_scoring(yi, vi, X, lambda f: (f.rss * k / (k - p) - k) / f.w.sum(), "EB")


def generalized_q(yi, vi, X, tau2: float) -> float:
    """Generalized Q statistic yᵀP y with weights 1/(vi + tau2)."""
    return weighted_fit(yi, vi, X, tau2).rss


def metafor_tau2_max(yi) -> float:
    """Upper end of metafor's search interval for tau²: max(100, 10·mad(yi)²), with R's
    ``mad`` (median absolute deviation times 1.4826)."""
    mad = 1.4826 * np.median(np.abs(yi - np.median(yi)))
    return max(100.0, 10 * mad**2)


def root_of_decreasing(func, target: float, upper: float, what: str, maxiter: int) -> float:
    """Solve func(tau2) = target on [0, upper] with R's zeroin at metafor's tolerance, for a
    function decreasing in tau2 with func(0) ≥ target.

    Where metafor would stop ("Value of 'tau2.max' too low"), the interval is widened to 1e8
    (metafor's own advice) and then by factors of 10 until the root is bracketed.
    """
    while func(upper) > target:
        if upper >= 1e300:
            raise AnalysisError(f"could not bracket the {what}: the data give no finite solution")
        upper = max(upper * 10, 1e8)
    return zeroin(lambda t: func(t) - target, 0.0, upper, R_UNIROOT_TOL, maxiter)


def paule_mandel(yi, vi, X) -> float:
    """Paule–Mandel estimator: the tau² at which the generalized Q equals its expectation.

    Notes
    -----
    Solve Σ w(tau²)·(y − Xβ̂(tau²))² = k − p; tau² = 0 when Q < k − p already at zero. Solved
    as metafor does (R's ``uniroot`` on [0, max(100, 10·mad(y)²)], mean-centred y), see
    :mod:`analysis.stats.roots`.

    References
    ----------
    Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res Natl Bur Stand
    87(5):377-385.
    """
    k, p = X.shape
    centred = yi - yi.mean()
    if generalized_q(centred, vi, X, 0.0) < k - p:
        return 0.0
    return root_of_decreasing(
        lambda t: generalized_q(centred, vi, X, t),
        k - p,
        metafor_tau2_max(yi),
        "Paule–Mandel tau²",
        maxiter=100,
    )


#: the function of each tau² estimator that :data:`analysis.vocabulary.TAU2_ESTIMATORS` names
ESTIMATORS = {
    "DL": dersimonian_laird,
    "HE": hedges,
    "HS": hunter_schmidt,
    "SJ": sidik_jonkman,
    "ML": maximum_likelihood,
    "REML": restricted_maximum_likelihood,
    "EB": empirical_bayes,
    "PM": paule_mandel,
}


def estimate_tau2(yi, vi, X, method: str) -> float:
    """tau² by the named method (one of :data:`analysis.vocabulary.TAU2_METHODS`); arithmetic
    that breaks down on extreme data is an AnalysisError with the reason, never a crash."""
    try:
        with np.errstate(all="ignore"):
            tau2 = ESTIMATORS[method](yi, vi, X)
    except (ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError) as error:
        raise AnalysisError(
            f"the {method} estimator of tau² cannot be computed on these data ({error}); "
            "check for extreme or identical sampling variances"
        ) from None
    if not np.isfinite(tau2):
        raise AnalysisError(f"the {method} estimator of tau² is not finite on these data")
    return tau2
