"""The synthetic example review (the tests' own copy, examples/mscs-sle/, which data/ ships
with): its contents, and that pooling it reproduces the published abstract it imitates (random
effects, REML, z-based CI; SMD as Hedges' g)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.data import load_review
from analysis.stats.effect_sizes import smd
from analysis.stats.pooling import rma

from .conftest import MSCS_EXAMPLE, example_generator

#: the abstract: SMD, 95% CI (2 decimals) and p (3 decimals)
PUBLISHED = {
    "sledai": (-0.78, -1.25, -0.31, 0.001),
    "anti_dsdna": (-0.62, -1.01, -0.23, 0.002),
    "c3": (0.55, 0.21, 0.89, 0.002),
}


@pytest.fixture(scope="module")
def review():
    return load_review(MSCS_EXAMPLE)


def pooled(review, outcome):
    rows = review.data_for(outcome)
    columns = [
        np.array([getattr(r, f) for r in rows], dtype=float)
        for f in ("n1", "mean1", "sd1", "n2", "mean2", "sd2")
    ]
    es = smd(*columns)
    return rma(es.yi, es.vi, method=review.analysis.method, ci_method=review.analysis.ci_method)


@pytest.mark.parametrize("outcome", PUBLISHED)
def test_pooling_reproduces_the_published_abstract(review, outcome):
    fit = pooled(review, outcome)
    estimate, lower, upper, p = PUBLISHED[outcome]
    assert (fit.method, fit.ci_method) == ("REML", "z")
    assert round(fit.estimate, 2) == estimate
    assert round(fit.ci_lb, 2) == lower
    assert round(fit.ci_ub, 2) == upper
    assert round(fit.pval, 3) == p
    # heterogeneity is present but not extreme (see data/README.md for why SLEDAI's I2 cannot
    # be moderate with 485 patients and this CI)
    assert 50 < fit.i2_pct < 90
    assert fit.q_pval < 0.05


def test_example_is_flagged_as_synthetic(review):
    assert review.labelling.synthetic_data is True and review.labelling.example
    assert "Synthetic example" in (MSCS_EXAMPLE / "references.bib").read_text(encoding="utf-8")


def test_nine_rcts_2013_to_2024_with_485_patients(review):
    assert len(review.studies) == 9
    assert review.total_participants == 485
    assert {s.year for s in review.studies} <= set(range(2013, 2025))
    assert min(s.year for s in review.studies) == 2013
    assert max(s.year for s in review.studies) == 2024
    assert all(12 <= s.get("follow_up_weeks") <= 52 for s in review.studies)
    assert {s.get("msc_source") for s in review.studies} == {
        "umbilical cord",
        "bone marrow",
        "adipose",
    }
    assert {s.get("secretome") for s in review.studies} == {
        "conditioned medium",
        "extracellular vesicles",
    }
    assert {s.get("control") for s in review.studies} == {"placebo", "standard care"}


def test_outcome_coverage_and_direction(review):
    assert [len(review.data_for(o)) for o in ("sledai", "anti_dsdna", "c3")] == [9, 8, 7]
    assert review.outcome("sledai").primary
    assert review.outcome("sledai").lower_is_better
    assert review.outcome("anti_dsdna").lower_is_better
    assert not review.outcome("c3").lower_is_better


def test_conversions_are_exercised_and_recorded(review):
    methods = {(c.study_id, c.outcome, c.method) for c in review.conversions}
    assert {m for _, _, m in methods} == {"se", "ci", "median_iqr", "median_iqr_range"}
    for c in review.conversions:
        row = next(r for r in review.data_for(c.outcome) if r.study_id == c.study_id)
        assert getattr(row, f"mean{c.arm}") == c.mean
        assert getattr(row, f"sd{c.arm}") == c.sd
        assert row.conversion_text and c.description in row.conversion_text


def test_adverse_events_have_no_serious_events(review):
    assert len({a.study_id for a in review.adverse_events}) == 9
    serious = [a for a in review.adverse_events if a.serious]
    assert serious and all(a.events1 == a.events2 == 0 for a in serious)
    kinds = {a.event for a in review.adverse_events if not a.serious}
    assert len(kinds) >= 5


def test_risk_of_bias_mix_and_consistency(review):
    overall = [r.overall for r in review.risk_of_bias]
    assert set(overall) == {"low", "some concerns", "high"}
    assert not review.warnings  # no RoB contradiction, no SD-like-SE, no change-score mix


def test_prisma_flow_adds_up_to_nine(review):
    prisma = review.prisma
    assert set(prisma.databases) == {"PubMed", "Embase", "Web of Science"}
    assert prisma.included_studies == 9
    assert prisma.to_dict()["included"] == {"studies": 9, "reports": 9}


def test_every_citation_is_in_the_bibliography(review):
    assert all(s.citation in review.bibliography for s in review.studies)


def test_to_dict_is_json_ready_and_shaped_like_results_json(review):
    data = json.loads(json.dumps(review.to_dict()))
    assert set(data) >= {"review", "studies", "outcomes", "risk_of_bias", "prisma"}
    assert data["review"]["analysis"]["method"] == "REML"
    assert data["review"]["example"] is True
    assert [o["id"] for o in data["outcomes"]] == ["sledai", "anti_dsdna", "c3"]
    first = data["outcomes"][0]["studies"][0]
    assert {"study_id", "label", "n1", "mean1", "sd1", "n2", "mean2", "sd2", "conversion"} <= set(
        first
    )
    assert data["studies"][0]["study_id"] == "S01"
    assert data["risk_of_bias"][0]["overall"] in ("low", "some concerns", "high")


def test_generator_is_deterministic(tmp_path):
    """The example generator writes the example's tables byte for byte."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_example", example_generator())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make(tmp_path)
    for name in ("studies.csv", "outcomes.csv", "adverse_events.csv", "risk_of_bias.csv"):
        assert (tmp_path / name).read_bytes() == (MSCS_EXAMPLE / name).read_bytes(), name
