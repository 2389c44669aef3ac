"""review.yml settings, binary outcomes in outcomes.csv, and the look-ups of ``Review``."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.data import load_review
from analysis.data.check import summary
from tests.conftest import MSCS_EXAMPLE
from tests.data_cases import (
    check_exit_code,
    copy_example,
    edit_yaml,
    problems_of,
    read_rows,
    write_rows,
)


def test_alpha_instead_of_level_and_the_hksj_alias(tmp_path):
    data = copy_example(tmp_path)

    def edit(c):
        del c["analysis"]["level"]
        c["analysis"].update(alpha=0.1, ci_method="HKSJ", model="common")

    edit_yaml(data / "review.yml", edit)
    settings = load_review(data).analysis
    assert settings.level == 0.9 and settings.alpha == 0.1
    assert settings.ci_method == "knha"
    assert settings.method == "FE"


def test_defaults_when_analysis_is_left_out(tmp_path):
    data = copy_example(tmp_path)
    edit_yaml(data / "review.yml", lambda c: c.pop("analysis"))
    settings = load_review(data).analysis
    assert (settings.model, settings.method, settings.ci_method) == ("random", "REML", "z")
    assert settings.level == 0.95 and settings.prediction_interval is True
    assert settings.subgroups == () and settings.sensitivity == ()


def test_level_and_alpha_together_are_refused(tmp_path):
    data = copy_example(tmp_path)
    edit_yaml(data / "review.yml", lambda c: c["analysis"].update(alpha=0.05))
    problem = next(p for p in problems_of(data) if p.column == "analysis.alpha")
    assert "not both" in problem.expected


def test_unknown_sensitivity_analysis(tmp_path):
    data = copy_example(tmp_path)
    edit_yaml(data / "review.yml", lambda c: c["analysis"].update(sensitivity=["trim"]))
    problem = next(p for p in problems_of(data) if p.column == "analysis.sensitivity")
    assert problem.value == "trim" and "leave_one_out" in problem.expected


def test_missing_lower_is_better(tmp_path):
    data = copy_example(tmp_path)
    edit_yaml(data / "review.yml", lambda c: c["outcomes"][2].pop("lower_is_better"))
    problem = next(p for p in problems_of(data) if p.column == "outcomes[3].lower_is_better")
    assert "true or false" in problem.expected


def _add_binary_outcome(data, rows):
    edit_yaml(
        data / "review.yml",
        lambda c: c["outcomes"].append(
            {"id": "remission", "label": "Remission", "measure": "RR", "lower_is_better": False}
        ),
    )
    table = read_rows(data / "outcomes.csv")
    header = table[0]
    for column in ("events1", "events2"):
        header.append(column)
        for line in table[1:]:
            line.append("")
    for values in rows:
        line = [""] * len(header)
        for key, value in values.items():
            line[header.index(key)] = value
        table.append(line)
    write_rows(data / "outcomes.csv", table)
    return len(table)


def test_binary_outcome_rows(tmp_path):
    data = copy_example(tmp_path)
    _add_binary_outcome(
        data,
        [
            {"study_id": "S02", "outcome": "remission", "n1": "24", "n2": "22",
             "events1": "9", "events2": "4"},
            {"study_id": "S03", "outcome": "remission", "n1": "30", "n2": "30",
             "events1": "0", "events2": "0"},
        ],
    )  # fmt: skip
    review = load_review(data)
    rows = review.data_for("remission")
    assert [(r.study_id, r.events1, r.events2) for r in rows] == [("S02", 9, 4), ("S03", 0, 0)]
    assert rows[0].mean1 is None and review.outcome("remission").is_binary


def test_binary_outcome_events_above_n(tmp_path):
    data = copy_example(tmp_path)
    last = _add_binary_outcome(
        data,
        [{"study_id": "S02", "outcome": "remission", "n1": "24", "n2": "22",
          "events1": "9", "events2": "23"}],
    )  # fmt: skip
    problem = next(p for p in problems_of(data) if p.column == "events2")
    assert problem.row == last and problem.value == "23"
    assert check_exit_code(data) == 2


def test_outcome_specific_rob_takes_precedence(tmp_path):
    data = copy_example(tmp_path)
    table = read_rows(data / "risk_of_bias.csv")
    table.append(["S02", "c3", "low", "low", "high", "low", "low", "high"])
    write_rows(data / "risk_of_bias.csv", table)
    review = load_review(data)
    assert review.rob_for("S02", "c3").overall == "high"
    assert review.rob_for("S02", "sledai").overall == "low"
    assert review.rob_for("S02").outcome is None


def test_lookups_and_summary():
    review = load_review(MSCS_EXAMPLE)
    assert review.study("S04").label == "Dorne 2018"
    assert review.study("S04").get("age_mean") == pytest.approx(33.8)
    with pytest.raises(KeyError):
        review.study("S99")
    assert review.grade_for("anti_dsdna")["indirectness"].downgrade == 1
    text = summary(review)
    assert "Dorne 2018" in text and "median, interquartile range and range" in text


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        ("title: 1.10", "title", 1.1),
        ("short_title: 0x1F", "short_title", 31),
        ("title: true", "title", True),
        ("keywords: [lupus, 2020]", "keywords[2]", 2020),
        ("keywords: false", "keywords[1]", False),
    ],
)
def test_a_number_or_boolean_where_text_belongs_is_refused(tmp_path, line, key, value):
    data = copy_example(tmp_path)
    path = data / "review.yml"
    edit_yaml(path, lambda c: c.pop(line.split(":")[0]))
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    problem = next(p for p in problems_of(data) if p.column == key)
    assert problem.value == value and type(problem.value) is type(value)
    assert "put it in quotes" in str(problem)


def test_a_number_as_a_prisma_reason_is_refused_and_a_date_as_text_is_kept(tmp_path):
    data = copy_example(tmp_path)
    prisma = data / "prisma.yml"
    prisma.write_text(
        prisma.read_text(encoding="utf-8").replace("Not randomised: 14", "1.10: 14"),
        encoding="utf-8",
    )
    problem = next(p for p in problems_of(data) if p.column == "eligibility.excluded.1.1")
    assert "YAML reads this as a number" in problem.expected
    prisma.write_text((MSCS_EXAMPLE / "prisma.yml").read_text(encoding="utf-8"), encoding="utf-8")
    edit_yaml(data / "review.yml", lambda c: c.update(registration=dt.date(2024, 3, 1)))
    assert load_review(data).registration == "2024-03-01"
