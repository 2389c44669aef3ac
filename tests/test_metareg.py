"""Mixed-effects meta-regression against metafor ``rma(yi, vi, mods = ...)``."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.public import to_public
from analysis.stats.metareg import INTERCEPT, design_matrix, meta_regression
from analysis.stats.pooling import rma
from tests.secondary_reference import (
    ITERATIVE_ATOL,
    ITERATIVE_RTOL,
    assert_close,
    blocks,
    columns,
    fixture_cases,
    load,
    shared_cases,
    yi_vi,
)


def _metareg_cases():
    out = []
    for path in shared_cases() + fixture_cases():
        case = load(path)
        for n, block in enumerate(blocks(case, "metareg")):
            name = "+".join(block["columns"])
            out.append(
                pytest.param(path, block, id=f"{path.stem}-{name}-{block.get('test', 'z')}-{n}")
            )
    return out


@pytest.mark.parametrize(("path", "expected"), _metareg_cases())
def test_metareg_matches_metafor(path, expected):
    case = load(path)
    yi, vi = yi_vi(case)
    data = columns(path, case)
    result = meta_regression(
        yi,
        vi,
        {name: data[name] for name in expected["columns"]},
        method=expected.get("method", "REML"),
        ci_method=expected.get("test", "z"),
    )
    iterative = (ITERATIVE_RTOL, ITERATIVE_ATOL)
    assert [c.name for c in result.coefficients] == list(expected["coefficients"])
    for coef in result.coefficients:
        ref = expected["coefficients"][coef.name]
        for key in ("estimate", "se", "ci_lower", "ci_upper", "stat", "pval"):
            assert_close(to_public(coef)[key], ref[key], *iterative, what=f"{coef.name} {key}")
    out = to_public(result)
    assert np.atleast_1d(out["qm_df"]).tolist() == np.atleast_1d(expected["qm_df"]).tolist()
    assert out["qm_test"] == ("chisq" if np.ndim(expected["qm_df"]) == 0 else "F")
    for key in ("qm", "qm_pval", "tau2", "r2"):
        assert_close(out[key], expected[key], *iterative, what=key)
    if "qe" in expected:
        assert_close(
            [out["qe"], out["qe_pval"], out["i2"]],
            [expected["qe"], expected["qe_pval"], expected["i2"]],
            *iterative,
        )


def test_categorical_moderator_is_treatment_coded_like_r():
    X, names, produced = design_matrix({"source": ["UC", "BM", "AD", "BM"], "dose": [1, 2, 3, 4]})
    assert names == [INTERCEPT, "sourceBM", "sourceUC", "dose"]
    assert produced == {"source": ["sourceBM", "sourceUC"], "dose": ["dose"]}
    assert X[:, 1].tolist() == [0, 1, 0, 1] and X[:, 2].tolist() == [1, 0, 0, 0]


def test_r2_is_zero_when_there_is_no_heterogeneity_to_explain():
    yi = np.array([0.1, 0.12, 0.11, 0.09, 0.1])
    vi = np.full(5, 0.5)
    assert rma(yi, vi).tau2 == 0
    assert meta_regression(yi, vi, {"x": [1, 2, 3, 4, 5]}).r2_pct == 0


@pytest.mark.parametrize(
    ("moderators", "message"),
    [
        ({"x": [1, 1, 1, 1]}, "constant or collinear"),
        ({"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]}, "constant or collinear"),
        ({"x": [1, 2, 3, 4], "y": [1, 5, 2, 3], "z": [3, 1, 1, 0]}, "needs more than 4 studies"),
        ({"x": [1, None, 3, 4]}, "missing"),
        ({"source": ["UC", "UC", "UC", "UC"]}, "takes one value only"),
    ],
)
def test_unfittable_moderators_are_stated(moderators, message):
    with pytest.raises(AnalysisError, match=message):
        meta_regression([0.1, 0.4, 0.2, 0.5], [0.04, 0.05, 0.03, 0.06], moderators)
