"""Leave-one-out (metafor ``leave1out``), influence diagnostics, high-RoB exclusion and the
alternative estimators. Which trial is called influential is interpret's decision
(tests/test_interpret.py)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.public import to_public
from analysis.stats.linear_model import weighted_fit
from analysis.stats.pooling import rma
from analysis.stats.sensitivity import (
    alternative_estimators,
    excluding_high_risk,
    influence_diagnostics,
    leave_one_out,
    sensitivity_analysis,
)
from tests.secondary_reference import (
    CLOSED_FORM_RTOL,
    I2_PCT_ATOL,
    ITERATIVE_ATOL,
    ITERATIVE_RTOL,
    METAFOR_TAU2_THRESHOLD,
    as_array,
    assert_close,
    fixture_cases,
    load,
    shared_cases,
    yi_vi,
)

#: leave1out key in the JSON -> LeaveOneOut attribute
FIELDS = {
    "estimate": "estimate",
    "se": "se",
    "ci_lower": "ci_lb",
    "ci_upper": "ci_ub",
    "pval": "pval",
    "tau2": "tau2",
    "q": "q",
    "q_pval": "q_pval",
}


def _loo_cases():
    out = [
        pytest.param(p, "leave1out", "z", id=f"{p.stem}-z")
        for p in shared_cases() + fixture_cases()
    ]
    out += [pytest.param(p, "leave1out_knha", "knha", id=f"{p.stem}-knha") for p in fixture_cases()]
    return out


@pytest.mark.parametrize(("path", "key", "test"), _loo_cases())
def test_leave1out_matches_metafor(path, key, test):
    case = load(path)
    expected = case[key]
    yi, vi = yi_vi(case)
    loo = leave_one_out(rma(yi, vi, ci_method=test))
    ref_tau2 = as_array(expected["tau2"])
    # metafor's default threshold (shared cases) can leave tau² up to 1e-5 from the root; the
    # refits where that exceeds the iterative tolerance are checked at metafor's own tau² below.
    agree = np.abs(loo.tau2 - ref_tau2) <= ITERATIVE_RTOL * ref_tau2
    assert np.all(
        np.abs(loo.tau2 - ref_tau2) <= np.maximum(ITERATIVE_RTOL * ref_tau2, METAFOR_TAU2_THRESHOLD)
    )
    if "control" in case:  # fixtures: metafor converged to 1e-10
        assert agree.all()
    for name, attr in FIELDS.items():
        rel, abs_ = (
            (CLOSED_FORM_RTOL, 0.0) if name in ("q", "q_pval") else (ITERATIVE_RTOL, ITERATIVE_ATOL)
        )
        ours, ref = getattr(loo, attr)[agree], as_array(expected[name])[agree]
        assert_close(ours, ref, rel, abs_, what=name)
    i2 = expected.get("i2", expected.get("i2_metafor"))
    assert_close(loo.i2_pct[agree], as_array(i2)[agree], ITERATIVE_RTOL, I2_PCT_ATOL, what="I²")
    for i in np.flatnonzero(~agree):
        keep = np.arange(len(yi)) != i
        fit = weighted_fit(yi[keep], vi[keep], np.ones((keep.sum(), 1)), ref_tau2[i])
        assert_close(
            fit.beta[0],
            expected["estimate"][i],
            CLOSED_FORM_RTOL,
            what="estimate at metafor's tau²",
        )
        assert_close(
            np.sqrt(fit.cov[0, 0]), expected["se"][i], CLOSED_FORM_RTOL, what="se at metafor's tau²"
        )


INFLUENCE_FIELDS = {
    "rstudent": "rstudent",
    "dffits": "dffits",
    "cook_d": "cook_d",
    "cov_r": "cov_r",
    "tau2_del": "tau2_del",
    "qe_del": "qe_del",
    "hat": "hat",
    "weight": "weight_pct",
    "dfbetas": "dfbetas",
}


@pytest.mark.parametrize(
    ("path", "key", "test"),
    [
        pytest.param(p, k, t, id=f"{p.stem}-{t}")
        for p in fixture_cases()
        for k, t in (("influence", "z"), ("influence_knha", "knha"))
    ],
)
def test_influence_matches_metafor(path, key, test):
    case = load(path)
    expected = case[key]
    yi, vi = yi_vi(case)
    influence = influence_diagnostics(rma(yi, vi, ci_method=test))
    for name, attr in INFLUENCE_FIELDS.items():
        assert_close(
            getattr(influence, attr), expected[name], ITERATIVE_RTOL, ITERATIVE_ATOL, what=name
        )
    assert influence.flagged.tolist() == expected["influential"]


def test_leave1out_to_dict_has_the_meta_json_shape():
    yi, vi = yi_vi(load(shared_cases()[0]))
    out = to_public(leave_one_out(rma(yi, vi)))
    assert {"estimate", "se", "ci_lower", "ci_upper", "tau2", "i2", "q", "q_pval"} <= set(out)
    assert all(len(v) == len(yi) for v in out.values())


def test_excluding_high_risk_refits_without_those_trials():
    yi = np.array([0.1, 0.5, 0.3, 0.9])
    vi = np.array([0.02, 0.03, 0.02, 0.04])
    model = rma(yi, vi, measure="SMD")
    result = excluding_high_risk(model, list("ABCD"), ["low", "high", "some concerns", "high"])
    assert result.excluded == ("B", "D")
    assert result.fit.estimate == pytest.approx(rma(yi[[0, 2]], vi[[0, 2]]).estimate, rel=1e-12)
    none = excluding_high_risk(model, list("ABCD"), ["low"] * 4)
    assert none.fit is None and "no trial" in none.note
    everyone = excluding_high_risk(model, list("ABCD"), ["high"] * 4)
    assert everyone.fit is None and "every trial" in everyone.note


def test_alternative_estimators_side_by_side():
    yi, vi = yi_vi(load(shared_cases()[0]))
    fits = {f.name: f.fit for f in alternative_estimators(rma(yi, vi))}
    assert list(fits) == ["main", "dl", "knha", "fe"]
    assert (fits["dl"].method, fits["knha"].ci_method, fits["fe"].method) == ("DL", "knha", "FE")
    assert fits["knha"].estimate == pytest.approx(fits["main"].estimate, rel=1e-12)


def test_sensitivity_analysis_to_dict():
    yi, vi = yi_vi(load(shared_cases()[0]))
    labels = [f"S{i}" for i in range(len(yi))]
    out = to_public(sensitivity_analysis(rma(yi, vi), labels, ["low"] * len(yi)))
    assert out["labels"] == labels
    assert out["excluding_high_rob"]["pooled"] is None
    assert len(out["leave1out"]["estimate"]) == len(yi)


def test_sensitivity_analysis_runs_only_the_named_analyses():
    yi, vi = yi_vi(load(shared_cases()[0]))
    labels = [f"S{i}" for i in range(len(yi))]
    model = rma(yi, vi)
    only_loo = sensitivity_analysis(model, labels, ["high"] * len(yi), ["leave_one_out"])
    assert (
        only_loo.leave1out is not None and only_loo.low_rob is None and only_loo.alternatives == ()
    )
    alt = sensitivity_analysis(model, labels, analyses=["alternative_estimators"])
    assert [a.name for a in alt.alternatives] == ["main", "dl", "knha"] and alt.leave1out is None
    fe = sensitivity_analysis(model, labels, analyses=["common_effect"])
    assert [a.name for a in fe.alternatives] == ["fe"]
    with pytest.raises(ValueError, match="sensitivity analysis must be one of"):
        sensitivity_analysis(model, labels, analyses=["jackknife"])


def test_common_effect_main_model_has_no_knapp_hartung_variant():
    yi, vi = yi_vi(load(shared_cases()[0]))
    names = [a.name for a in alternative_estimators(rma(yi, vi, method="FE"))]
    assert names == ["main", "dl"]


def test_an_alternative_the_data_do_not_allow_is_noted_not_raised():
    """Identical effects: the Knapp–Hartung factor is 0, so that variant has no fit and says
    why; the other variants are still fitted."""
    model = rma([0.5, 0.5, 0.5], [0.1, 0.2, 0.3])
    alternatives = {a.name: a for a in alternative_estimators(model)}
    assert list(alternatives) == ["main", "dl", "knha", "fe"]
    knha = alternatives["knha"]
    assert knha.fit is None and "same effect size" in knha.note
    assert to_public(knha)["pooled"] is None and to_public(knha)["note"] == knha.note
    assert all(alternatives[name].fit is not None for name in ("main", "dl", "fe"))
