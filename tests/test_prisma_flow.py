"""PRISMA arithmetic: every broken rule of prisma.yml at once, each with a suggested fix."""

from __future__ import annotations

import copy
import re

import pytest

from analysis.data import load_review
from analysis.data.prisma_flow import flat_counts, flow_problems, rules
from tests.data_cases import check_exit_code, copy_example, edit_yaml, problems_of

#: a flow that adds up (1251 identified, 9 studies)
FLOW = {
    "identification": {
        "databases": {"A": 700, "B": 551},
        "registers": {},
        "removed_before_screening": {"duplicates": 402},
    },
    "screening": {"screened": 849, "excluded": 801},
    "retrieval": {"sought": 48, "not_retrieved": 2},
    "eligibility": {"assessed": 46, "excluded": {"design": 30, "population": 7}},
    "included": {"studies": 9, "reports": 9},
}


def broken(edit, n_studies: int = 9) -> list[tuple[str, int, str]]:
    flow = copy.deepcopy(FLOW)
    edit(flow)
    return flow_problems(flow, n_studies)


def holds_after(flow: dict, n_studies: int, suggestion: str) -> bool:
    """Apply the first alternative of a suggestion ("raise `a` by 1 (9 → 10) and ...") to the
    flat counts and check that every rule then holds."""
    counts = flat_counts(flow, n_studies)
    first = suggestion.split(", or ")[0]
    for key, new in re.findall(
        r"`([\w.]+)`(?: counts)? by \d+(?: in total)? \(\d+ → (\d+)\)", first
    ):
        counts[key] = int(new)
    return all(rule.gap(counts) == 0 for rule in rules(False))


def test_a_consistent_flow_has_no_problems():
    assert flow_problems(FLOW, 9) == []


def test_three_inconsistencies_give_three_messages_with_suggestions():
    def edit(flow):
        flow["screening"]["excluded"] = 803  # sought should then be 46
        flow["eligibility"]["excluded"]["design"] = 31  # reports should then be 8
        flow["included"]["studies"] = 8  # studies.csv lists 9

    problems = broken(edit)
    keys = [key for key, _, _ in problems]
    assert keys == ["retrieval.sought", "included.reports", "included.studies"]
    for _, _, expected in problems:
        assert "to make the flow add up, " in expected
    sought = problems[0][2]
    assert sought.startswith("46 (records screened minus records excluded)")
    # the one change that breaks nothing comes first; lowering `retrieval.sought` alone would
    # break the next stage, so it is offered only together with a change there
    alternatives = sought.split("add up, ", 1)[1].split(", or ")
    assert alternatives[0] == "lower `screening.excluded` by 2 (803 → 801)"
    assert "lower `retrieval.sought` by 2 (48 → 46)" not in alternatives


def test_suggestion_names_the_count_that_makes_the_flow_add_up():
    problems = broken(lambda flow: flow["included"].update(reports=10))
    assert len(problems) == 1
    key, value, expected = problems[0]
    assert (key, value) == ("included.reports", 10)
    assert expected.startswith("9 (reports assessed minus reports excluded)")
    assert "lower the `eligibility.excluded` counts by 1 in total (37 → 36)" in expected
    assert ", or raise `eligibility.assessed` by 1 (46 → 47)" in expected


def test_a_tenth_trial_is_fixed_in_one_round():
    """studies.csv gains a trial: one message names all three counts to change."""
    problems = broken(lambda flow: None, n_studies=10)
    assert [key for key, _, _ in problems] == ["included.studies"]
    suggestion = problems[0][2]
    assert "raise `included.studies` by 1 (9 → 10)" in suggestion
    assert "raise `included.reports` by 1 (9 → 10)" in suggestion
    assert holds_after(FLOW, 10, suggestion.split("add up, ", 1)[1])


@pytest.mark.parametrize(
    "edit",
    [
        lambda f: f["screening"].update(screened=850),
        lambda f: f["retrieval"].update(not_retrieved=3),
        lambda f: f["eligibility"].update(assessed=45),
        lambda f: f["included"].update(reports=8),
        lambda f: f["identification"]["removed_before_screening"].update(duplicates=400),
    ],
)
def test_every_first_suggestion_makes_the_flow_add_up(edit):
    flow = copy.deepcopy(FLOW)
    edit(flow)
    problems = flow_problems(flow, 9)
    assert problems
    for _, _, expected in problems:
        suggestion = expected.split("add up, ", 1)[1]
        if len(problems) == 1:
            assert holds_after(flow, 9, suggestion), suggestion


def test_check_prints_every_prisma_problem_in_one_run(tmp_path, capsys):
    data = copy_example(tmp_path)

    def edit(content):
        content["screening"]["screened"] += 1
        content["retrieval"]["not_retrieved"] += 1
        content["included"]["reports"] += 1

    edit_yaml(data / "prisma.yml", edit)
    assert check_exit_code(data) == 2
    err = capsys.readouterr().err
    messages = [line for line in err.splitlines() if line.lstrip("- ").startswith("prisma.yml")]
    assert len(messages) >= 3, err
    for line in messages:
        assert ", key '" in line and "column" not in line
        assert "to make the flow add up" in line


def test_an_unknown_reason_for_removal_before_screening_is_refused(tmp_path):
    """A reason beyond duplicates, automation and other would be counted but never named."""
    data = copy_example(tmp_path)

    def edit(content):
        content["identification"]["removed_before_screening"] = {
            "duplicates": 400, "automation": 0, "other": 0, "dupes": 2
        }  # fmt: skip

    edit_yaml(data / "prisma.yml", edit)
    problem = next(
        p for p in problems_of(data) if p.column == "identification.removed_before_screening.dupes"
    )
    assert "did you mean duplicates?" in problem.expected


def test_a_reason_for_removal_left_out_is_0(tmp_path):
    """The text names every reason: one left out is 0, not a failed template at build time."""
    data = copy_example(tmp_path)
    edit_yaml(
        data / "prisma.yml",
        lambda c: c["identification"].update(removed_before_screening={"duplicates": 402}),
    )
    removed = load_review(data).prisma.removed_before_screening
    assert removed == {"duplicates": 402, "automation": 0, "other": 0}
