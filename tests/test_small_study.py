"""Egger, Begg and trim-and-fill against metafor (regtest, ranktest, trimfill)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.public import to_public
from analysis.stats.pooling import rma
from analysis.stats.small_study import (
    CAVEAT,
    begg_test,
    egger_test,
    kendall_test,
    trim_and_fill,
)
from tests.secondary_reference import (
    CLOSED_FORM_RTOL,
    ITERATIVE_ATOL,
    ITERATIVE_RTOL,
    assert_close,
    fixture_cases,
    load,
    shared_cases,
    yi_vi,
)

CASES = shared_cases() + fixture_cases()


def _model(case, method="REML"):
    yi, vi = yi_vi(case)
    return rma(yi, vi, method=method, measure=case["measure"])


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_egger_matches_regtest_lm(path):
    case = load(path)
    expected = case["egger"]
    result = egger_test(_model(case))
    assert result.df == expected["df"]
    assert_close(result.stat, expected["stat"], CLOSED_FORM_RTOL, what="t")
    assert_close(result.pval, expected["pval"], CLOSED_FORM_RTOL, what="p")
    est = expected.get("limit_estimate", expected.get("est"))
    lower = expected.get("limit_ci_lower", expected.get("est_ci_lower"))
    upper = expected.get("limit_ci_upper", expected.get("est_ci_upper"))
    assert_close(result.limit_estimate, est, CLOSED_FORM_RTOL, what="limit estimate")
    assert_close([result.limit_ci_lb, result.limit_ci_ub], [lower, upper], CLOSED_FORM_RTOL)
    assert (result.caveat == CAVEAT) == (case["k"] < 10)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_begg_matches_ranktest(path):
    case = load(path)
    expected = case["begg"]
    result = begg_test(_model(case))
    assert result.exact == expected["exact_pvalue"]
    assert_close(result.tau, expected["tau"], CLOSED_FORM_RTOL, what="tau")
    assert_close(result.pval, expected["pval"], CLOSED_FORM_RTOL, what="p")


def test_begg_fixtures_cover_both_p_value_branches():
    flags = {load(p)["begg"]["exact_pvalue"] for p in CASES}
    assert flags == {True, False}


def test_kendall_with_ties_uses_tie_corrected_normal_approximation():
    # R 4.2.2: r <- cor.test(c(1,2,2,3,4), c(1,3,2,2,5), method = "kendall", exact = TRUE)
    # (warns "Cannot compute exact p-value with ties"); print(r$p.value, digits = 15)
    tau, pval, exact = kendall_test([1, 2, 2, 3, 4], [1, 3, 2, 2, 5])
    assert not exact
    assert tau == pytest.approx(2 / 3, rel=1e-12)
    assert pval == pytest.approx(0.118432928916672, rel=CLOSED_FORM_RTOL)


def _trimfill_cases():
    out = []
    for path in CASES:
        case = load(path)
        out.append(pytest.param(path, "REML", case["trimfill"], id=f"{path.stem}-REML"))
        fe = case["trimfill"].get("fe", case.get("trimfill_fe"))
        out.append(pytest.param(path, "FE", fe, id=f"{path.stem}-FE"))
    return out


@pytest.mark.parametrize(("path", "method", "expected"), _trimfill_cases())
def test_trimfill_matches_metafor(path, method, expected):
    case = load(path)
    result = trim_and_fill(_model(case, method))
    assert result.k0 == expected["k0"]
    assert result.side == expected["side"]
    assert result.fit.k == expected["k"]
    assert_close(result.se_k0, expected["se_k0"], CLOSED_FORM_RTOL, what="se k0")
    # the filled studies mirror the trimmed ones about an estimate: iterative for REML
    rel, abs_ = (CLOSED_FORM_RTOL, 0.0) if method == "FE" else (ITERATIVE_RTOL, ITERATIVE_ATOL)
    assert_close(result.filled_yi, expected["filled_yi"], rel, abs_, what="filled yi")
    assert_close(result.filled_vi, expected["filled_vi"], CLOSED_FORM_RTOL, what="filled vi")
    for ours, key in (
        (result.fit.estimate, "estimate"),
        (result.fit.se, "se"),
        (result.fit.ci_lb, "ci_lower"),
        (result.fit.ci_ub, "ci_upper"),
        (result.fit.tau2, "tau2"),
    ):
        assert_close(ours, expected[key], rel, abs_, what=key)


def test_trimfill_to_dict_reports_public_names_and_ratio_scale():
    case = load(next(p for p in CASES if p.stem == "bcg_RR"))
    out = to_public(trim_and_fill(_model(case)))
    assert {"k0", "side", "estimate", "se", "ci_lower", "ci_upper", "estimate_exp"} <= set(out)
    assert out["estimate_exp"] == pytest.approx(np.exp(out["estimate"]))


def test_trimfill_explicit_side_and_bad_side():
    case = load(CASES[0])
    model = _model(case)
    assert trim_and_fill(model, side="left").side == "left"
    with pytest.raises(ValueError, match="side must be one of left, right"):
        trim_and_fill(model, side="up")


def test_too_few_studies_is_a_stated_error():
    model = rma([0.1, 0.3], [0.01, 0.02])
    for func in (egger_test, begg_test, trim_and_fill):
        with pytest.raises(AnalysisError, match="at least 3 studies"):
            func(model)


def test_equal_variances_are_a_stated_error():
    model = rma([0.1, 0.3, 0.2, 0.5], [0.04] * 4)
    for func in (egger_test, begg_test, trim_and_fill):
        with pytest.raises(AnalysisError, match="same sampling variance"):
            func(model)
    assert trim_and_fill(model, side="left").side == "left"
