"""The one serializer and renamer from the engine's results to what outside consumers see.

The engine (``analysis/stats``) returns frozen dataclasses in metafor's vocabulary (``ci_lb``,
``i2_pct``...); ``meta --json``, ``results.json`` and the templates read them only through
:func:`to_public` (and :func:`pooled_to_public` for a pooled fit), so a field is renamed and
made JSON-safe in exactly one place.
"""

from __future__ import annotations

import math
from functools import singledispatch

import numpy as np

from analysis.stats.metareg import Coefficient, MetaRegression
from analysis.stats.pooling import MetaResult
from analysis.stats.sensitivity import (
    Influence,
    LeaveOneOut,
    NamedFit,
    SensitivityAnalysis,
)
from analysis.stats.small_study import BeggTest, EggerTest, TrimFill
from analysis.stats.subgroups import SubgroupAnalysis, SubgroupLevel

#: engine attribute -> public key (scalars of a pooled fit)
PUBLIC_NAMES = {
    "k": "k",
    "measure": "measure",
    "method": "method",
    "ci_method": "ci_method",
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


@singledispatch
def to_public(result) -> dict:
    """The public (JSON-ready, renamed) dict of an engine result."""
    raise TypeError(f"no public form for {type(result).__name__}")


@to_public.register
def _meta_result(r: MetaResult) -> dict:
    return pooled_to_public(r)


@to_public.register
def _coefficient(r: Coefficient) -> dict:
    return {
        "estimate": clean_number(r.estimate),
        "se": clean_number(r.se),
        "ci_lower": clean_number(r.ci_lb),
        "ci_upper": clean_number(r.ci_ub),
        "stat": clean_number(r.stat),
        "pval": clean_number(r.pval),
    }


@to_public.register
def _meta_regression(r: MetaRegression) -> dict:
    """The ``metareg`` block of ``meta --json`` and ``results.json``: ``qm_df`` is m for
    the chi-square test (``qm_test`` "chisq") and [m, k − p] for the F-test ("F")."""
    return {
        "k": r.k,
        "method": r.method,
        "ci_method": r.ci_method,
        "level": r.level,
        "coefficients": {c.name: to_public(c) for c in r.coefficients},
        "qm_test": r.qm_test,
        "qm": clean_number(r.qm),
        "qm_df": r.qm_df[0] if len(r.qm_df) == 1 else list(r.qm_df),
        "qm_pval": clean_number(r.qm_pval),
        "tau2": clean_number(r.tau2),
        "r2": clean_number(r.r2_pct),
        "qe": clean_number(r.qe),
        "qe_df": r.qe_df,
        "qe_pval": clean_number(r.qe_pval),
        "i2": clean_number(r.i2_pct),
        "moderators": {name: list(cols) for name, cols in r.moderators.items()},
        "x": {
            coef.name: [float(v) for v in r.X[:, j]]
            for j, coef in enumerate(r.coefficients)
            if j > 0
        },
        "vcov": [[float(v) for v in row] for row in r.vcov],
        "yi": [float(v) for v in r.yi],
        "vi": [float(v) for v in r.vi],
    }


@to_public.register
def _leave_one_out(r: LeaveOneOut) -> dict:
    """The ``leave1out`` block of ``meta --json`` and ``results.json`` (public names)."""
    fields = (
        "estimate", "se", "ci_lb", "ci_ub", "stat", "pval", "tau2", "i2_pct", "h2", "q",
        "q_pval",
    )  # fmt: skip
    return {PUBLIC_NAMES[name]: [clean_number(x) for x in getattr(r, name)] for name in fields}


@to_public.register
def _influence(r: Influence) -> dict:
    names = {
        "rstudent": "rstudent",
        "dffits": "dffits",
        "cook_d": "cook_d",
        "cov_r": "cov_r",
        "tau2_del": "tau2_del",
        "qe_del": "qe_del",
        "hat": "hat",
        "weight_pct": "weight",
        "dfbetas": "dfbetas",
    }
    out = {public: [clean_number(x) for x in getattr(r, n)] for n, public in names.items()}
    out["influential"] = [bool(x) for x in r.flagged]
    return out


@to_public.register
def _named_fit(r: NamedFit) -> dict:
    return {
        "name": r.name,
        "description": r.description,
        "pooled": None if r.fit is None else pooled_to_public(r.fit),
        "note": r.note,
        "excluded": list(r.excluded),
    }


@to_public.register
def _sensitivity_analysis(r: SensitivityAnalysis) -> dict:
    return {
        "labels": list(r.labels),
        "leave1out": None if r.leave1out is None else to_public(r.leave1out),
        "influence": None if r.influence is None else to_public(r.influence),
        "excluding_high_rob": None if r.low_rob is None else to_public(r.low_rob),
        "alternatives": [to_public(a) for a in r.alternatives],
    }


@to_public.register
def _egger_test(r: EggerTest) -> dict:
    return {
        "k": r.k,
        "stat": clean_number(r.stat),
        "pval": clean_number(r.pval),
        "df": r.df,
        "slope": clean_number(r.slope),
        "limit_estimate": clean_number(r.limit_estimate),
        "limit_ci_lower": clean_number(r.limit_ci_lb),
        "limit_ci_upper": clean_number(r.limit_ci_ub),
        "caveat": r.caveat,
    }


@to_public.register
def _begg_test(r: BeggTest) -> dict:
    return {
        "k": r.k,
        "tau": clean_number(r.tau),
        "pval": clean_number(r.pval),
        "exact_pvalue": r.exact,
        "caveat": r.caveat,
    }


@to_public.register
def _trim_fill(r: TrimFill) -> dict:
    out = {
        "estimator": r.estimator,
        "method": r.fit.method,
        "k0": r.k0,
        "se_k0": clean_number(r.se_k0),
        "side": r.side,
        "k": r.fit.k,
        "estimate": clean_number(r.fit.estimate),
        "se": clean_number(r.fit.se),
        "ci_lower": clean_number(r.fit.ci_lb),
        "ci_upper": clean_number(r.fit.ci_ub),
        "stat": clean_number(r.fit.stat),
        "pval": clean_number(r.fit.pval),
        "tau2": clean_number(r.fit.tau2),
        "filled_yi": [clean_number(x) for x in r.filled_yi],
        "filled_vi": [clean_number(x) for x in r.filled_vi],
        "caveat": r.caveat,
    }
    if r.fit.is_ratio:
        for key in ("estimate", "ci_lower", "ci_upper"):
            out[f"{key}_exp"] = float(np.exp(out[key]))
    return out


@to_public.register
def _subgroup_level(r: SubgroupLevel) -> dict:
    return {
        "k": r.k,
        "estimate": clean_number(r.estimate),
        "se": clean_number(r.se),
        "ci_lower": clean_number(r.ci_lb),
        "ci_upper": clean_number(r.ci_ub),
        "stat": clean_number(r.stat),
        "pval": clean_number(r.pval),
        "tau2": clean_number(r.tau2),
        "i2": clean_number(r.i2_pct),
        "pooled": r.pooled,
        "note": r.note,
        "studies": list(r.study_index),
    }


@to_public.register
def _subgroup_analysis(r: SubgroupAnalysis) -> dict:
    """The ``subgroups`` block of ``meta --json`` and ``results.json``."""
    out = {
        "variable": r.variable,
        "method": r.method,
        "ci_method": r.ci_method,
        "measure": r.measure,
        "levels": {lev.label: to_public(lev) for lev in r.levels},
        "q_between": clean_number(r.q_between),
        "q_between_df": r.q_between_df,
        "q_between_pval": clean_number(r.q_between_pval),
        "test_note": r.test_note,
    }
    if r.measure in ("RR", "OR"):
        for lev in out["levels"].values():
            for key in ("estimate", "ci_lower", "ci_upper"):
                lev[f"{key}_exp"] = float(np.exp(lev[key]))
    return out
