"""The pooling engine agrees with metafor on every reference case (shared and fixtures)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.stats.binary_pooling import mantel_haenszel, peto
from analysis.stats.pooling import rma
from tests.reference_cases import (
    CLOSED_FORM_RTOL,
    ITERATIVE_ATOL,
    ITERATIVE_RTOL,
    TIGHT_REFERENCE,
    all_cases,
    close,
)

CASES = all_cases()

#: MetaResult attribute -> key in the reference JSON
MODEL_FIELDS = {
    "estimate": "estimate",
    "se": "se",
    "ci_lb": "ci_lower",
    "ci_ub": "ci_upper",
    "stat": "stat",
    "pval": "pval",
    "tau2": "tau2",
    "q": "q",
    "q_pval": "q_pval",
    "i2_pct": "i2_metafor",
    "h2": "h2_metafor",
    "i2_q_pct": "i2_ht",
    "pi_lb": "pi_lower",
    "pi_ub": "pi_upper",
    "loglik": "loglik",
}
TAU2_CI_FIELDS = {"tau2_lb": "tau2_ci_lower", "tau2_ub": "tau2_ci_upper"}


def model_params(estimated_tau2_only: bool = False):
    for case in CASES:
        for key, expected in case.expected["models"].items():
            degenerate = expected.get("se") == 0 and key.endswith("knha")
            if estimated_tau2_only and (key.startswith("FE") or degenerate):
                continue
            yield pytest.param(case, key, expected, id=f"{case}-{key}")


def test_there_are_many_reference_cases():
    names = {case.name for case in CASES}
    assert {"normand1999", "bcg"} <= names
    assert len(names) >= 12


@pytest.mark.parametrize("case", CASES, ids=str)
def test_effect_sizes(case):
    es = case.data.effect_sizes()
    for ours, theirs in (
        (es.yi, case.expected["escalc"]["yi"]),
        (es.vi, case.expected["escalc"]["vi"]),
    ):
        for a, b in zip(ours, theirs, strict=True):
            assert close(a, b, CLOSED_FORM_RTOL), (a, b)


CLOSED_FORM_METHODS = ("FE", "DL", "HE", "HS", "SJ")
FISHER_SCORING_METHODS = ("ML", "REML", "EB")


def tight_reference(case, key) -> dict:
    path = TIGHT_REFERENCE / f"{case}.json"
    return json.loads(path.read_text())["models"].get(key, {}) if path.exists() else {}


@pytest.mark.parametrize(("case", "key", "expected"), list(model_params()))
def test_models(case, key, expected):
    method, test = key.split("_")
    es = case.data.effect_sizes()
    if expected.get("se") == 0 and test == "knha":
        # identical effects: metafor returns a zero-width CI; we refuse with a reason.
        with pytest.raises(AnalysisError, match="same effect size"):
            rma(es.yi, es.vi, method=method, ci_method=test)
        return
    result = rma(es.yi, es.vi, method=method, ci_method=test, measure=case.measure)
    closed = method in CLOSED_FORM_METHODS
    rtol, atol = (CLOSED_FORM_RTOL, 1e-12) if closed else (ITERATIVE_RTOL, ITERATIVE_ATOL)
    if expected.get("k", case.data.k) < 3:
        expected = {**expected, "pi_lower": None, "pi_upper": None}
    tight = tight_reference(case, key) if method in FISHER_SCORING_METHODS else {}
    checked = 0
    for name, ref_key in MODEL_FIELDS.items():
        if ref_key not in expected:
            continue
        ours, theirs = getattr(result, name), expected[ref_key]
        checked += 1
        if close(ours, theirs, rtol, atol):
            continue
        assert ref_key in tight, f"{name}: ours {ours!r}, metafor {theirs!r}"
        converged = tight[ref_key]
        assert close(ours, converged, CLOSED_FORM_RTOL, 1e-12), (
            f"{name}: ours {ours!r}, metafor converged {converged!r}"
        )
        assert abs(theirs - converged) > abs(ours - converged), name
    assert checked >= 6
    if "weights_percent" in expected:
        weights = tight.get("weights_percent", expected["weights_percent"])
        tol = (CLOSED_FORM_RTOL, 1e-12) if tight else (rtol, atol)
        np.testing.assert_allclose(result.weights_pct, weights, rtol=tol[0], atol=tol[1])
    check_tau2_ci(result, expected)


@pytest.mark.parametrize(("case", "key", "expected"), list(model_params(estimated_tau2_only=True)))
def test_models_at_metafor_tau2(case, key, expected):
    """Given metafor's tau², everything downstream is closed form and agrees to 1e-8: what
    separates the full results is only where each program stops iterating."""
    method, test = key.split("_")
    es = case.data.effect_sizes()
    result = rma(es.yi, es.vi, method=method, ci_method=test, tau2=expected["tau2"])
    for name, ref_key in MODEL_FIELDS.items():
        if (
            ref_key in expected
            and name not in ("loglik",)
            and (name, case.data.k) not in (("pi_lb", 2), ("pi_ub", 2))
        ):
            assert close(getattr(result, name), expected[ref_key], CLOSED_FORM_RTOL, 1e-12), (
                f"{name}: ours {getattr(result, name)!r}, metafor {expected[ref_key]!r}"
            )


def check_tau2_ci(result, expected):
    """Q-profile CI: metafor's bound, or the one from its wider search where metafor's default
    interval was too narrow (our search widens by itself)."""
    if expected.get("tau2_ci_lower") is None:
        return
    wide = expected.get("tau2_ci_wide") or {}
    for name, ref_key in TAU2_CI_FIELDS.items():
        reference = (
            wide.get(ref_key, expected[ref_key])
            if expected.get(f"{ref_key}_sign")
            else expected[ref_key]
        )
        assert close(getattr(result.tau2_ci, name), reference, ITERATIVE_RTOL, ITERATIVE_ATOL), (
            f"{name}: ours {getattr(result.tau2_ci, name)!r}, metafor {reference!r}"
        )
    assert result.tau2_ci.null_set == bool(expected.get("tau2_ci_null", False))


def binary_params(kind):
    for case in CASES:
        if kind in case.expected and "error" not in case.expected[kind]:
            yield pytest.param(case, case.expected[kind], id=str(case))


@pytest.mark.parametrize(("case", "expected"), list(binary_params("mh")))
def test_mantel_haenszel(case, expected):
    v = case.data.values
    result = mantel_haenszel(v["events1"], v["n1"], v["events2"], v["n2"], case.measure)
    check_common_effect(result, expected)
    for key in ("CMH", "CMHp", "CO", "COp", "BD", "BDp", "TA", "TAp", "k_pos"):
        if key in expected:
            assert close(result.extra[key], expected[key], CLOSED_FORM_RTOL), key


@pytest.mark.parametrize(("case", "expected"), list(binary_params("peto")))
def test_peto(case, expected):
    v = case.data.values
    check_common_effect(peto(v["events1"], v["n1"], v["events2"], v["n2"]), expected)


def check_common_effect(result, expected):
    fields = {"estimate": "estimate", "se": "se", "ci_lb": "ci_lower", "ci_ub": "ci_upper",
              "stat": "stat", "pval": "pval", "q": "q", "q_pval": "q_pval"}  # fmt: skip
    for name, key in fields.items():
        assert close(getattr(result, name), expected[key], CLOSED_FORM_RTOL), name
    i2 = expected.get("i2_ht", expected.get("i2"))
    assert close(result.i2_pct, i2, CLOSED_FORM_RTOL)
    assert result.extra["k_yi"] == expected["k_yi"]
