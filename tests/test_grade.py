"""GRADE summary of findings: suggestions from the data, reviewer overrides, absolute effects."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.data.schema import GradeJudgment
from analysis.grade import (
    GradeRules,
    absolute_effect,
    grade_outcome,
    optimal_information_size,
    suggest_inconsistency,
    suggest_risk_of_bias,
)
from analysis.interpret import fit_decisions
from analysis.stats.pooling import rma

RULES = GradeRules()


def test_risk_of_bias_by_share_of_weight():
    w = [40.0, 30.0, 20.0, 10.0]
    assert suggest_risk_of_bias(w, ["high", "high", "low", "low"], RULES).downgrade == 2  # 70%
    assert suggest_risk_of_bias(w, ["low", "high", "low", "low"], RULES).downgrade == 1  # 30%
    assert suggest_risk_of_bias(w, ["some concerns", "low", "high", "low"], RULES).downgrade == 1
    assert suggest_risk_of_bias(w, ["low", "low", "some concerns", "high"], RULES).downgrade == 0
    unknown = suggest_risk_of_bias(w, ["low", None, "low", "low"], RULES)
    assert unknown.downgrade == 0 and "not assessed" in unknown.reason


def test_inconsistency_needs_high_i2_and_a_prediction_interval_through_no_effect():
    heterogeneous = rma([-1.2, 0.3, -0.9, 0.5, -0.2], [0.02, 0.03, 0.02, 0.03, 0.02])
    assert heterogeneous.i2_pct > 75 and heterogeneous.pi_lb < 0 < heterogeneous.pi_ub
    assert (
        suggest_inconsistency(heterogeneous, fit_decisions(heterogeneous, True), RULES).downgrade
        == 1
    )
    consistent = rma([-0.50, -0.52, -0.48, -0.51], [0.02, 0.02, 0.02, 0.02])
    rating = suggest_inconsistency(consistent, fit_decisions(consistent, True), RULES)
    assert rating.downgrade == 0 and rating.reason.startswith("I² = 0%")
    same_direction = rma([-2.0, -0.6, -1.5, -0.8, -1.2, -1.0, -1.4, -0.9, -1.3, -1.1], [0.002] * 10)
    assert same_direction.i2_pct > 75 and same_direction.pi_ub < 0
    decisions = fit_decisions(same_direction, True)
    assert suggest_inconsistency(same_direction, decisions, RULES).downgrade == 0


def test_optimal_information_size_formulas():
    z2 = (1.959963984540054 + 0.8416212335729143) ** 2
    assert optimal_information_size("SMD", None, RULES) == 2 * np.ceil(2 * z2 / 0.04)  # 786
    p0, p1 = 0.2, 0.15
    per_arm = z2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p0 - p1) ** 2
    assert optimal_information_size("RR", 0.2, RULES) == 2 * np.ceil(per_arm)


def _smd_pooled():
    yi = np.array([-0.9, -0.6, -0.4, -0.8, -0.7, -0.5])
    return rma(yi, np.array([0.08, 0.07, 0.09, 0.08, 0.1, 0.06]), measure="SMD")


def test_grade_outcome_suggested_from_data_and_overridden():
    pooled = _smd_pooled()
    rob = ["high", "low", "low", "low", "some concerns", "low"]
    row = grade_outcome("sledai", "SLEDAI", "SMD", pooled, 180, rob)
    ratings = {r.domain: r for r in row.ratings}
    assert ratings["imprecision"].downgrade == 1  # CI excludes 0, 180 < OIS 786
    assert "fewer than the optimal information size of 786" in ratings["imprecision"].reason
    assert (
        ratings["publication_bias"].downgrade == 0
        and "too few" in ratings["publication_bias"].reason
    )
    assert row.certainty == {0: "high", 1: "moderate", 2: "low"}[row.levels_down]
    override = {"indirectness": GradeJudgment("sledai", "indirectness", 2, "surrogate outcome")}
    overridden = grade_outcome("sledai", "SLEDAI", "SMD", pooled, 180, rob, judgments=override)
    indirect = {r.domain: r for r in overridden.ratings}["indirectness"]
    assert (indirect.downgrade, indirect.source, indirect.suggested) == (2, "reviewer", 0)
    assert overridden.levels_down == row.levels_down + 2
    out = overridden.to_dict()
    assert "Indirectness: surrogate outcome" in out["footnotes"]
    assert out["certainty"] == ("very low" if overridden.levels_down >= 3 else "low")


def test_certainty_floor_is_very_low():
    pooled = rma([0.1, 0.3, -0.2], [0.2, 0.3, 0.25], measure="SMD")
    judgments = {d: GradeJudgment("x", d, 2, "serious") for d in ("risk_of_bias", "indirectness")}
    row = grade_outcome("x", "X", "SMD", pooled, 60, ["high"] * 3, judgments=judgments)
    assert row.levels_down >= 4 and row.certainty == "very low"


def test_absolute_effect_per_1000_for_risk_ratio():
    pooled = rma(np.log([0.5, 0.7, 0.6]), [0.04, 0.05, 0.03], measure="RR")
    effect = absolute_effect("RR", pooled, 0.2, lower_is_better=True)
    assert effect.intervention_risk == pytest.approx(0.2 * np.exp(pooled.estimate))
    assert effect.difference == pytest.approx(1000 * 0.2 * (np.exp(pooled.estimate) - 1))
    assert effect.difference_lb < effect.difference < effect.difference_ub
    row = grade_outcome(
        "ae", "AE", "RR", pooled, 300, ["low"] * 3, control_events=30, control_n=150
    )
    out = row.to_dict()
    assert out["relative"]["estimate"] == pytest.approx(np.exp(pooled.estimate))
    assert out["absolute"]["control_per_1000"] == pytest.approx(200)


def test_absolute_effect_for_odds_ratio():
    pooled = rma(np.log([2.0, 2.0]), [0.04, 0.04], method="FE", measure="OR")
    effect = absolute_effect("OR", pooled, 0.5, lower_is_better=True)
    assert effect.intervention_risk == pytest.approx(2 / 3)


def test_smd_interpretation_words():
    effect = absolute_effect("SMD", _smd_pooled(), None, lower_is_better=True)
    assert effect.kind == "smd"
    assert effect.interpretation.startswith("a moderate effect: values lower with the intervention")
    assert "favouring the intervention" in effect.interpretation
    tiny = rma([0.05, -0.02, 0.1], [0.05, 0.05, 0.05], measure="SMD")
    assert absolute_effect("SMD", tiny, None, True).interpretation.startswith("a negligible")


def test_grade_from_the_example_review_uses_grade_yml_and_rob():
    from analysis.data import load_review
    from analysis.grade import grade_review_outcome
    from analysis.stats.effect_sizes import smd

    review = load_review()
    for spec in review.outcomes:
        if spec.measure != "SMD":
            continue
        rows = review.data_for(spec.id)
        columns = ("n1", "mean1", "sd1", "n2", "mean2", "sd2")
        es = smd(*([getattr(r, c) for r in rows] for c in columns))
        pooled = rma(es.yi, es.vi, measure="SMD")
        decisions = fit_decisions(pooled, spec.lower_is_better)
        outcome = {"decisions": decisions, "bias": None}
        out = grade_review_outcome(review, spec.id, pooled, outcome).to_dict()
        assert out["participants"] == sum(r.n1 + r.n2 for r in rows)
        assert out["k"] == len(rows)
        for domain, judgment in review.grade_for(spec.id).items():
            rating = out["ratings"][domain]
            assert (rating["source"], rating["downgrade"]) == ("reviewer", judgment.downgrade)
        overall = [review.rob_for(r.study_id, spec.id).overall for r in rows]
        weights = list(zip(pooled.weights_pct, overall, strict=True))
        high = sum(w for w, o in weights if o == "high")
        concern = sum(w for w, o in weights if o != "low")
        reason = out["ratings"]["risk_of_bias"]["reason"]
        assert f"carry {high:.0f}% of the weight" in reason or f"carry {concern:.0f}%" in reason
        assert out["certainty"] in ("high", "moderate", "low", "very low")
        assert len(out["footnotes"]) == sum(r["downgrade"] > 0 for r in out["ratings"].values())


def test_rob_footnote_names_only_the_rule_that_rated_down():
    """Rated down for trials with some concerns: the footnote never cites the high-risk
    share (once "trials at high risk of bias carry 0% of the weight" rated C3 down)."""
    from analysis.grade import GradeRules, suggest_risk_of_bias

    rating = suggest_risk_of_bias(
        [30, 30, 40], ["some concerns", "some concerns", "low"], GradeRules()
    )
    assert rating.downgrade == 1
    assert "some concerns or at high risk of bias carry 60% of the weight" in rating.reason
    assert "at high risk of bias carry 0%" not in rating.reason
    none = suggest_risk_of_bias([30, 30, 40], ["low", "low", "some concerns"], GradeRules())
    assert none.downgrade == 0
