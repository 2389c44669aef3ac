"""Root finding as R's ``uniroot`` does it, for parity with metafor.

metafor finds the Paule–Mandel tau² and the Q-profile confidence bounds with ``uniroot`` at
its default tolerance (``.Machine$double.eps^0.25`` ≈ 1.2e-4, absolute, in tau² units). At that
tolerance the root R returns can differ from the exact root by more than 1e-4 relative
(e.g. the lower Q-profile bound for log RR on ``dat.bcg``: 0.119695 vs 0.119718). To agree with
metafor beyond the printed digits we run the same algorithm, Brent's zeroin as R's
``R_zeroin2`` implements it, from the same interval with the same tolerance. The exact root is
one call away: pass a smaller ``tol``.

References
----------
Brent RP (1973). Algorithms for Minimization without Derivatives. Prentice-Hall, ch. 4.
R Core Team. ``uniroot`` and ``src/library/stats/src/zeroin.c`` (R 4.2).
"""

from __future__ import annotations

import sys

from analysis.errors import AnalysisError

#: R's default ``uniroot`` tolerance, ``.Machine$double.eps^0.25``.
R_UNIROOT_TOL = sys.float_info.epsilon**0.25
_EPS = sys.float_info.epsilon


def zeroin(f, lower: float, upper: float, tol: float = R_UNIROOT_TOL, maxiter: int = 1000):
    """Root of ``f`` in [lower, upper] by Brent's zeroin, step for step as R's ``uniroot``.

    ``f(lower)`` and ``f(upper)`` must have opposite signs (or one be zero). Raises
    :class:`AnalysisError` when ``maxiter`` iterations do not reach the tolerance.
    """
    a, b = float(lower), float(upper)
    fa, fb = f(a), f(b)
    if fa * fb > 0:
        raise AnalysisError(f"no sign change of the target function in [{a:g}, {b:g}]")
    if fa == 0:
        return a
    if fb == 0:
        return b
    c, fc = a, fa
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * _EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # linear interpolation
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:  # inverse quadratic interpolation
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise AnalysisError(f"root finding did not converge in {maxiter} iterations")
