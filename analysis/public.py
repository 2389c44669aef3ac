"""The one mapping from the engine's metafor vocabulary to the names outside consumers see.

``meta --json``, ``results.json`` and the templates all read pooled results through
:func:`pooled_to_public`, so a field is renamed in exactly one place.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.stats.pooling import MetaResult

#: engine attribute -> public key (scalars)
PUBLIC_NAMES = {
    "k": "k",
    "measure": "measure",
    "method": "method",
    "test": "ci_method",
    "level": "level",
    "estimate": "estimate",
    "se": "se",
    "ci_lb": "ci_lower",
    "ci_ub": "ci_upper",
    "stat": "stat",
    "pval": "pval",
    "df": "df",
    "tau2": "tau2",
    "tau": "tau",
    "q": "q",
    "q_df": "q_df",
    "q_pval": "q_pval",
    "i2_pct": "i2",
    "h2": "h2",
    "i2_q_pct": "i2_q",
    "h2_q": "h2_q",
    "pi_lb": "pi_lower",
    "pi_ub": "pi_upper",
    "loglik": "loglik",
}
#: Tau2Interval attribute -> public key
TAU2_CI_NAMES = {
    "tau2_lb": "tau2_ci_lower",
    "tau2_ub": "tau2_ci_upper",
    "i2_lb_pct": "i2_ci_lower",
    "i2_ub_pct": "i2_ci_upper",
    "null_set": "tau2_ci_null",
}
#: keys that get an exp() twin for ratio measures (RR, OR)
EXPONENTIATED = ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper")


def clean_number(value):
    """JSON-safe scalar: numpy types to Python, NaN and ±inf to None."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def pooled_to_public(result: MetaResult) -> dict:
    """Public dict of a pooled result: scalars, the tau² CI, per-study arrays, notes and, for
    RR and OR, the back-transformed estimate, CI and prediction interval (``*_exp``)."""
    out = {public: clean_number(getattr(result, name)) for name, public in PUBLIC_NAMES.items()}
    for public in TAU2_CI_NAMES.values():
        out[public] = None
    if result.tau2_ci is not None:
        for name, public in TAU2_CI_NAMES.items():
            out[public] = clean_number(getattr(result.tau2_ci, name))
    out["weights_percent"] = [clean_number(x) for x in result.weights_pct]
    out["yi"] = [clean_number(x) for x in result.yi]
    out["vi"] = [clean_number(x) for x in result.vi]
    for key, value in result.extra.items():
        out[key] = clean_number(value) if not isinstance(value, (list, dict)) else value
    if result.is_ratio:
        for key in EXPONENTIATED:
            out[f"{key}_exp"] = None if out[key] is None else math.exp(out[key])
    out["notes"] = list(result.notes)
    return out
