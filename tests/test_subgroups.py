"""Subgroup analyses and the test for subgroup differences against metafor."""

from __future__ import annotations

import pytest

from analysis.errors import AnalysisError
from analysis.public import to_public
from analysis.stats.subgroups import SINGLE_STUDY_NOTE, subgroup_analysis
from tests.secondary_reference import (
    CLOSED_FORM_RTOL,
    I2_PCT_ATOL,
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


def _subgroup_cases():
    out = []
    for path in shared_cases() + fixture_cases():
        case = load(path)
        for n, block in enumerate(blocks(case, "subgroups")):
            out.append(pytest.param(path, block, id=f"{path.stem}-{block['column']}-{n}"))
    return out


@pytest.mark.parametrize(("path", "expected"), _subgroup_cases())
def test_subgroups_match_metafor(path, expected):
    case = load(path)
    yi, vi = yi_vi(case)
    labels = columns(path, case)[expected["column"]]
    result = subgroup_analysis(
        yi,
        vi,
        labels,
        method=expected.get("method", "REML"),
        ci_method=expected.get("test", "z"),
        variable=expected["column"],
    )
    assert {lev.label for lev in result.levels} == set(expected["levels"])
    iterative = (ITERATIVE_RTOL, ITERATIVE_ATOL)
    for level in result.levels:
        ref = expected["levels"][level.label]
        assert level.k == ref["k"]
        if level.k == 1:
            assert not level.pooled and level.note == SINGLE_STUDY_NOTE
            assert_close([level.estimate, level.se], [ref["estimate"], ref["se"]], CLOSED_FORM_RTOL)
            continue
        for ours, key in (
            (level.estimate, "estimate"),
            (level.se, "se"),
            (level.ci_lb, "ci_lower"),
            (level.ci_ub, "ci_upper"),
            (level.tau2, "tau2"),
        ):
            assert_close(ours, ref[key], *iterative, what=f"{level.label} {key}")
        assert_close(level.i2_pct, ref["i2"], ITERATIVE_RTOL, I2_PCT_ATOL, what="I²")
    assert result.q_between_df == expected["q_between_df"]
    assert_close(result.q_between, expected["q_between"], *iterative, what="Q between")
    assert_close(result.q_between_pval, expected["q_between_pval"], *iterative, what="p")


def test_single_study_subgroups_are_stated_and_left_out_of_the_test():
    result = subgroup_analysis(
        [0.1, 0.3, -0.2, 0.5], [0.04, 0.05, 0.03, 0.06], ["a", "a", "b", "c"], variable="x"
    )
    assert [lev.label for lev in result.levels] == ["a", "b", "c"]
    lone = result.levels[1]
    assert not lone.pooled and lone.tau2 is None and lone.estimate == -0.2
    assert result.q_between is None
    assert "at least two subgroups" in result.test_note and "there is 1" in result.test_note
    out = to_public(result)
    assert out["levels"]["b"]["note"] == SINGLE_STUDY_NOTE
    assert out["q_between"] is None


def test_ratio_measures_get_exponentiated_levels():
    result = subgroup_analysis(
        [0.1, 0.3, -0.2, -0.5], [0.04, 0.05, 0.03, 0.06], list("aabb"), measure="RR"
    )
    level = to_public(result)["levels"]["a"]
    assert level["estimate_exp"] == pytest.approx(2.718281828459045 ** level["estimate"])


def test_missing_label_names_the_study():
    with pytest.raises(AnalysisError, match="missing for study number"):
        subgroup_analysis([0.1, 0.3, 0.2], [0.04, 0.05, 0.03], ["a", "", "b"], variable="source")
