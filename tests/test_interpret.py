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
    assert "leaving out any one trial did not change the conclusion (SMD from" in section
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
        "side": "below",
        "null_value": 0,
        "benefit_expected": True,
    }
    two = interpret.prediction({"k": 2, "pi_lower": None, "pi_upper": None}, None)
    assert two["available"] is False and two["too_few_trials"] and two["includes_null"] is None
    assert two["side"] is None


def test_prediction_interval_side_and_null_of_a_ratio():
    """A ratio's interval (log scale) above 0 lies above 1, the null the text prints."""
    pooled = {"k": 5, "pi_lower": 0.1, "pi_upper": 0.9, "measure": "RR"}
    decision = interpret.prediction(pooled, "control")
    assert (decision["side"], decision["null_value"]) == ("above", 1)
    assert decision["benefit_expected"] is False
    across = interpret.prediction({**pooled, "pi_lower": -0.1}, None)
    assert across["includes_null"] and across["side"] is None


@pytest.mark.parametrize(
    ("review", "prespecified"),
    [
        ({"registration": "PROSPERO CRD42024000001"}, True),
        ({"registration": "Synthetic example review; not registered"}, False),
        ({"registration": "Unregistered"}, False),
        ({"registration": "none"}, False),
        ({"registration": None, "protocol": "doi:10.1000/protocol"}, True),
        ({"registration": "Not registered", "protocol": "https://example.org/p"}, True),
        ({"registration": None, "protocol": None}, False),
        ({}, False),
    ],
)
def test_analyses_are_prespecified_only_with_a_protocol_or_registration(review, prespecified):
    assert interpret.prespecified(review) is prespecified


def test_adverse_event_outcomes_are_found_by_label_or_definition():
    outcomes = [
        {"id": "pain", "label": "Pain", "definition": "pain on a VAS"},
        {"id": "any", "label": "Any adverse event", "definition": None},
        {"id": "tox", "label": "Toxicity", "definition": "Serious adverse reactions"},
        {"id": "averse", "label": "Risk-averse choices", "definition": "adverse childhood score"},
    ]
    assert interpret.adverse_event_outcomes(outcomes) == ["any", "tox"]


def test_methods_say_prespecified_only_with_a_protocol():
    results = copy.deepcopy(fixed_results())
    methods = render_parts(interpret.add_decisions(results), fixed_figures())["methods.md"]
    assert "prespecified" not in methods and "post hoc" not in methods
    assert "Secondary analyses comprised subgroup analyses by" in methods
    results["review"]["protocol"] = "doi:10.1000/protocol"
    methods = render_parts(interpret.add_decisions(results), fixed_figures())["methods.md"]
    assert "Secondary analyses were prespecified: subgroup analyses by" in methods


def test_methods_name_only_the_adverse_event_effects_the_results_report():
    """The tables print Mantel–Haenszel RRs and Peto ORs; no risk difference is reported."""
    parts = render_parts(interpret.add_decisions(copy.deepcopy(fixed_results())), fixed_figures())
    assert "risk difference" not in " ".join(parts.values()).lower()
    assert "risk ratios (RRs) with the Mantel–Haenszel method" in parts["methods.md"]


def engine_influence(yi, method="REML"):
    """interpret.influence on a fit made by the engine (results.json's shapes)."""
    import numpy as np

    from analysis.public import pooled_to_public, to_public
    from analysis.stats.pooling import rma
    from analysis.stats.sensitivity import sensitivity_analysis

    model = rma(np.asarray(yi), np.full(len(yi), 0.01), method=method)
    labels = [chr(ord("A") + i) for i in range(len(yi))]
    sens = to_public(sensitivity_analysis(model, labels, analyses=("leave_one_out",)))
    return interpret.influence(pooled_to_public(model), sens, 0.05)


def test_influence_flags_a_significance_flip():
    decision = engine_influence([0.10, 0.15, 0.05, 0.12, 0.08, 0.11, 0.90])
    flipped = [
        t["label"]
        for t in decision["influential"]
        if any(c["criterion"] == "significance_changed" for c in t["criteria"])
    ]
    assert flipped == ["G"]


def test_influence_flags_an_estimate_leaving_the_ci():
    decision = engine_influence([0.10, 0.12, 0.08, 0.11, 0.09, 1.00], method="FE")
    outside = [
        t["label"]
        for t in decision["influential"]
        if any(c["criterion"] == "estimate_outside_ci" for c in t["criteria"])
    ]
    assert outside == ["F"]


def test_influence_flags_nothing_in_homogeneous_data():
    decision = engine_influence([0.50, 0.52, 0.48, 0.51, 0.49])
    assert decision["any"] is False and decision["influential"] == []


def abstract_text(results: dict) -> str:
    return render_parts(interpret.add_decisions(results), fixed_figures())["abstract.md"]


@pytest.mark.parametrize(
    ("certainty", "significant", "wording"),
    [
        (
            "high",
            True,
            "MSCS therapy reduces disease activity (SLEDAI) compared with controls "
            "(high certainty)",
        ),
        ("moderate", True, "MSCS therapy probably reduces disease activity (SLEDAI)"),
        ("low", True, "MSCS therapy may reduce disease activity (SLEDAI)"),
        (
            "very low",
            True,
            "the evidence is very uncertain about the effect of MSCS therapy on disease activity",
        ),
        (
            "low",
            False,
            "MSCS therapy may result in little or no difference in disease activity (SLEDAI)",
        ),
        ("moderate", False, "probably results in little or no difference in disease activity"),
    ],
)
def test_conclusion_is_worded_by_grade_certainty(certainty, significant, wording):
    """GRADE's informative statements (Santesso et al. 2020); the Results keep "significantly"."""
    results = copy.deepcopy(fixed_results())
    primary = results["outcomes"][0]
    results["grade"][0]["certainty"] = certainty
    if not significant:
        primary["pooled"].update(estimate=-0.15, ci_lower=-0.52, ci_upper=0.22, pval=0.43)
    text = abstract_text(results)
    conclusion = text.split("**Conclusions:**")[1]
    assert wording in conclusion
    statement = primary["decisions"]["statement"]
    assert statement["certainty"] == certainty
    assert statement["change"] == ("reduce" if significant else "little_or_no_difference")
    assert f"; {certainty}-certainty evidence" in text.split("**Results:**")[1]
    # the statistical statement stays in the Results text
    assert (" significantly reduced SLEDAI" in text) is significant
    for other in ("reduces disease", "probably reduces", "may reduce", "very uncertain"):
        if other not in wording:
            assert other not in conclusion


def test_conclusion_without_grade_says_certainty_not_rated():
    results = copy.deepcopy(fixed_results())
    results["grade"] = []
    conclusion = abstract_text(results).split("**Conclusions:**")[1]
    assert "MSCS therapy reduced disease activity (SLEDAI) compared with controls" in conclusion
    assert "(certainty of the evidence not rated)" in conclusion
    assert "very uncertain" not in conclusion


@pytest.mark.parametrize(
    ("concerns", "expected"),
    [
        (
            {"d1": 3, "d2": 3, "d4": 3},
            "in the randomisation process, deviations from the intended "
            "interventions and measurement of the outcome (3 trials each).",
        ),
        ({"d3": 2, "d1": 1}, "in missing outcome data (2 trials)."),
    ],
)
def test_rob_ties_are_named_together(concerns, expected):
    results = copy.deepcopy(fixed_results())
    rob = results["summary"]["risk_of_bias"]
    most = max(concerns.values())
    rob["most_concerns_domains"] = [d for d in sorted(concerns) if concerns[d] == most]
    rob["most_concerns_count"] = most
    assert f"Concerns arose most often {expected}" in results_text(results)


def test_rob_summary_computes_the_tie():
    from analysis.data.schema import RobAssessment
    from analysis.results import rob_summary

    def row(study, d1, d2, d4):
        return RobAssessment(study, None, d1, d2, "low", d4, "low", "some concerns")

    class Stub:
        outcomes = ()
        risk_of_bias = (
            row("A", "some concerns", "low", "high"),
            row("B", "low", "some concerns", "some concerns"),
            row("C", "high", "high", "low"),
        )

    summary = rob_summary(Stub())
    assert summary["most_concerns_domains"] == ["d1", "d2", "d4"]
    assert summary["most_concerns_count"] == 2


def test_adverse_event_signal_and_order_are_decisions():
    results = copy.deepcopy(fixed_results())
    interpret.add_decisions(results)
    events = results["adverse_events"]["events"]
    decisions = results["decisions"]
    assert [events[i]["event"] for i in decisions["adverse_event_signals"]] == ["Fever"]
    types = [events[i] for i in decisions["adverse_event_types"]]
    assert not any(e["serious"] for e in types)
    totals = [e["events1"] + e["events2"] for e in types]
    assert totals == sorted(totals, reverse=True)
    text = results_text(results)
    assert (
        f"{len(types)} types of adverse event were reported".capitalize()
        in text.replace("Seven", "7")
        or "Seven types of adverse event were reported" in text
    )
    assert "Fever was more frequent with MSCS therapy" in abstract_text(results)


def test_unbalanced_trials_and_skewed_arms():
    studies = [{"label": "A", "n1": 40, "n2": 20}, {"label": "B", "n1": 30, "n2": 28}]
    assert interpret.unbalanced_trials(studies) == [{"label": "A", "n1": 40, "n2": 20}]
    outcome = {
        "nonnegative": True,
        "studies": [
            {"label": "A", "mean1": 10.0, "sd1": 6.0, "mean2": 12.0, "sd2": 5.0},
            {"label": "B", "mean1": 10.0, "sd1": 4.0, "mean2": 9.0, "sd2": 4.0},
        ],
    }
    assert interpret.skewed_arms(outcome) == [{"label": "A", "arm": 1}]
    assert interpret.skewed_arms({**outcome, "nonnegative": False}) == []


def test_the_methods_define_every_word_the_text_uses_for_heterogeneity():
    """The methods' reading of I² is built from the thresholds the text's word comes from, so
    every word ("very low" included) is defined there."""
    from analysis.context import _i2_bands

    bands = _i2_bands()
    for i2 in (0, 24.9, 25, 49.9, 50, 74.9, 75, 100):
        assert interpret.heterogeneity_level(i2) in bands
