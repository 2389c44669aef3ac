"""The judgements of analysis/interpret.py, and that the Results text and GRADE word the same
decision (rendered from the fixed results.json of tests/snapshots)."""

from __future__ import annotations

import copy

import pytest

from analysis import interpret
from analysis.build import render_parts
from analysis.grade import suggest_publication_bias
from analysis.text import fmt_p
from tests.test_snapshots import fixed_figures, fixed_results


def results_text(results: dict) -> str:
    return render_parts(interpret.add_decisions(results), fixed_figures())["results.md"]


def outcome_section(text: str, label: str) -> str:
    # no-break spaces read as spaces (tests/test_typography.py checks where they are)
    return text.split(f"## {label}")[1].split("\n## ")[0].replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("pval", "suggested"),
    [(0.093, True), (0.099, True), (0.10, False), (0.112, False), (0.04, True)],
)
def test_egger_results_text_and_grade_use_one_threshold(pval, suggested):
    """A 10th trial with Egger p = 0.093 once gave "did not suggest asymmetry" in the Results
    and "suggests small-study effects" (rated down) in GRADE: now both read one decision."""
    results = copy.deepcopy(fixed_results())
    primary = results["outcomes"][0]
    primary["k"] = 10
    primary["bias"]["caveat"] = None
    primary["bias"]["egger"]["pval"] = pval
    section = outcome_section(results_text(results), primary["label"])
    decision = primary["decisions"]["small_study"]
    assert decision["asymmetry_suggested"] is suggested
    verb = "suggested" if suggested else "did not suggest"
    assert (
        f"Egger's regression test {verb} asymmetry ({fmt_p(pval)})".replace("\u00a0", " ")
        in section
    )
    rating = suggest_publication_bias(10, pval, primary["decisions"])
    assert rating.downgrade == (1 if suggested else 0)
    assert ("suggests small-study effects" in rating.reason) is suggested
    assert fmt_p(pval) in rating.reason and "threshold 0.10" in rating.reason


def test_below_ten_trials_grade_does_not_rate_down_whatever_egger_says():
    results = copy.deepcopy(fixed_results())
    primary = results["outcomes"][0]
    primary["bias"]["egger"]["pval"] = 0.01
    interpret.add_decisions(results)
    assert primary["decisions"]["small_study"]["asymmetry_suggested"] is True
    assert primary["decisions"]["small_study"]["informative"] is False
    rating = suggest_publication_bias(primary["k"], 0.01, primary["decisions"])
    assert rating.downgrade == 0 and "too few" in rating.reason


def test_an_influential_trial_is_named_with_its_criterion_and_numbers():
    results = copy.deepcopy(fixed_results())
    text = results_text(results)
    anti = results["outcomes"][1]
    influence = anti["decisions"]["influence"]
    assert influence["any"] is True
    (trial,) = influence["influential"]
    assert [c["criterion"] for c in trial["criteria"]] == ["cook_d", "dfbetas"]
    loo = anti["sensitivity"]["leave1out"]
    index = anti["sensitivity"]["labels"].index(trial["label"])
    assert trial["estimate"] == loo["estimate"][index]
    section = outcome_section(text, anti["label"])
    assert f"{trial['label']} was influential (Cook's distance" in section
    assert "moved the estimate outside" not in section  # not the criterion that applied
    assert "without it, SMD −0.77 (−1.05 to −0.49)" in section


def test_leave_one_out_criteria_are_named_when_they_apply():
    """Narrow the CI of all trials so that leaving a trial out moves the estimate outside it."""
    results = copy.deepcopy(fixed_results())
    primary = results["outcomes"][0]
    primary["pooled"].update(ci_lower=-0.80, ci_upper=-0.76)
    section = outcome_section(results_text(results), primary["label"])
    flagged = primary["decisions"]["influence"]["influential"]
    assert flagged and all(
        c["criterion"] == "estimate_outside_ci" for t in flagged for c in t["criteria"]
    )
    assert "leaving it out moved the estimate outside the confidence interval" in section
    assert "Cook's distance" not in section


def test_no_influential_trial():
    results = copy.deepcopy(fixed_results())
    primary = results["outcomes"][0]
    section = outcome_section(results_text(results), primary["label"])
    influence = primary["decisions"]["influence"]
    assert influence["any"] is False and influence["influential"] == []
    assert "leaving out any one trial did not change the conclusion (estimates from" in section
    assert "was influential" not in section


@pytest.mark.parametrize(
    ("smd", "size"), [(0.19, "negligible"), (-0.2, "small"), (0.5, "moderate"), (-0.8, "large")]
)
def test_size_of_an_smd(smd, size):
    assert interpret.smd_size(smd) == size


def test_prediction_interval_decision():
    pooled = {"k": 9, "pi_lower": -1.2, "pi_upper": -0.1}
    assert interpret.prediction(pooled, "intervention") == {
        "available": True,
        "too_few_trials": False,
        "includes_null": False,
        "benefit_expected": True,
    }
    two = interpret.prediction({"k": 2, "pi_lower": None, "pi_upper": None}, None)
    assert two["available"] is False and two["too_few_trials"] and two["includes_null"] is None
