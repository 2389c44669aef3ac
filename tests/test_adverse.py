"""Adverse events: per-type counts, Mantel–Haenszel RR/RD and Peto OR against metafor, and the
serious-events statement."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.adverse import NO_EVENTS_NOTE, analyse_adverse_events
from analysis.data.schema import AdverseEvent
from tests.secondary_reference import CLOSED_FORM_RTOL, FIXTURE_DIR, assert_close, load

FIXTURE = FIXTURE_DIR / "adverse_yusuf1985_hine1989.json"


def _rows(case):
    return [
        AdverseEvent(
            r["study"], r["event"], r["serious"], r["events1"], r["n1"], r["events2"], r["n2"]
        )
        for r in case["rows"]
    ]


def test_pooled_adverse_effects_match_rma_mh_and_rma_peto():
    case = load(FIXTURE)
    result = analyse_adverse_events(_rows(case))
    assert [e.event for e in result.events] == list(case["results"])
    for summary in result.events:
        expected = case["results"][summary.event]
        for fit, key in ((summary.rr, "rr"), (summary.rd, "rd"), (summary.peto_or, "peto")):
            ref = expected[key]
            ours = [fit.estimate, fit.se, fit.ci_lb, fit.ci_ub, fit.pval]
            theirs = [ref["estimate"], ref["se"], ref["ci_lower"], ref["ci_upper"], ref["pval"]]
            assert_close(ours, theirs, CLOSED_FORM_RTOL, what=f"{summary.event} {key}")


def test_counts_percentages_and_zero_event_trials():
    case = load(FIXTURE)
    rows = [r for r in case["rows"] if r["event"] == "yusuf1985 table 9"]
    summary = next(
        e for e in analyse_adverse_events(_rows(case)).events if e.event == "yusuf1985 table 9"
    )
    assert summary.k == len(rows)
    assert summary.events1 == sum(r["events1"] for r in rows)
    assert summary.n2 == sum(r["n2"] for r in rows)
    assert summary.pct1 == pytest.approx(100 * summary.events1 / summary.n1)
    double_zero = sum(1 for r in rows if r["events1"] == 0 and r["events2"] == 0)
    assert double_zero > 0 and summary.trials_without_events == double_zero
    assert any("no events in either arm" in n for n in summary.notes)


def _ae(study, event, serious, e1, e2, n=50):
    return AdverseEvent(study, event, serious, e1, n, e2, n)


@pytest.mark.parametrize(
    ("rows", "status"),
    [
        (
            [
                _ae("A", "headache", False, 3, 2),
                _ae("A", "death", True, 0, 0),
                _ae("B", "death", True, 0, 0),
            ],
            "none",
        ),
        ([_ae("A", "headache", False, 3, 2), _ae("B", "death", True, 0, 1)], "some"),
        ([_ae("A", "headache", False, 3, 2)], "not_reported"),
    ],
)
def test_no_serious_events_sentence_only_when_the_data_say_so(rows, status):
    result = analyse_adverse_events(rows)
    assert result.serious_status == status
    assert result.to_dict()["serious_status"] == status
    assert "no_serious_events_reported" not in result.to_dict()  # serious_status says it


def test_effects_that_cannot_be_estimated_are_none_with_a_reason():
    result = analyse_adverse_events([_ae("A", "death", True, 0, 0), _ae("B", "death", True, 0, 0)])
    (summary,) = result.events
    assert summary.rr is None and summary.rd is None and summary.peto_or is None
    assert summary.notes == (NO_EVENTS_NOTE,)
    one_arm = analyse_adverse_events([_ae("A", "death", True, 2, 0), _ae("B", "death", True, 1, 0)])
    (summary,) = one_arm.events
    assert summary.rr is None and summary.rd is not None and summary.peto_or is not None
    assert any(n.startswith("risk ratio:") for n in summary.notes)
    assert summary.to_dict()["rr_mh"] is None


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # RD: 0 with SE 0
def test_no_pooled_effect_when_everybody_or_nobody_had_the_event_in_every_trial():
    rows = [_ae("A", "rash", False, 50, 50), _ae("B", "rash", False, 0, 0)]
    result = analyse_adverse_events(rows)
    (summary,) = result.events
    assert summary.peto_or is None and summary.rr is None and summary.rd is None
    for what in ("Peto", "risk ratio", "risk difference"):
        assert any(n.startswith(what) for n in summary.notes), what
    assert any("has no variance" in n for n in summary.notes)


def test_event_names_differing_in_case_or_spacing_are_one_event_type():
    rows = [
        _ae("A", "Fever", False, 3, 1),
        _ae("B", "fever ", False, 2, 0),
        _ae("C", "FEVER", False, 1, 1),
        _ae("C", "Upper  respiratory infection", False, 1, 0),
        _ae("D", "upper respiratory infection", False, 0, 1),
    ]
    result = analyse_adverse_events(rows)
    assert [(e.event, e.k, e.events1, e.events2) for e in result.events] == [
        ("Fever", 3, 6, 2),
        ("Upper  respiratory infection", 2, 1, 1),
    ]


def test_rare_flag_and_labels():
    rows = [_ae("s1", "rash", False, 1, 0, n=200), _ae("s2", "rash", False, 0, 1, n=200)]
    result = analyse_adverse_events(rows, labels={"s1": "Smith 2020", "s2": "Lee 2021"})
    (summary,) = result.events
    assert summary.rare and summary.studies == ("Smith 2020", "Lee 2021")
    assert np.isfinite(summary.peto_or.estimate)


def _decisions(rows):
    from analysis.interpret import review_decisions

    return review_decisions(analyse_adverse_events(rows).to_dict())


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_not_estimable_effects_have_the_true_reason():
    rows = [
        _ae("A", "death", True, 0, 1),
        _ae("B", "death", True, 0, 0),
        _ae("A", "stroke", True, 0, 0),
        _ae("A", "fall", False, 2, 0),
        _ae("A", "rash", False, 50, 50),
    ]
    decisions = _decisions(rows)
    assert decisions["adverse_event_arms"] == ["comparator", "neither", "intervention", "both"]
    assert decisions["adverse_not_estimable"] == [
        {"rr": "ratio_zero", "peto": None},  # 0/100 vs 1/100: RR 0, no CI; Peto estimable
        {"rr": "no_events", "peto": "no_events"},
        {"rr": "ratio_infinite", "peto": None},
        {"rr": "all_or_none", "peto": "all_or_none"},
    ]


@pytest.mark.parametrize(
    ("rows", "occurred", "types"),
    [
        ([_ae("A", "death", True, 0, 0)], [], "none"),
        ([_ae("A", "death", True, 0, 1), _ae("A", "stroke", True, 0, 0)], [0], "one"),
        ([_ae("A", "death", True, 0, 1), _ae("A", "stroke", True, 2, 1)], [0, 1], "several"),
    ],
)
def test_the_serious_event_types_that_occurred(rows, occurred, types):
    decisions = _decisions(rows)
    assert decisions["serious_events_occurred"] == occurred
    assert decisions["serious_types_occurred"] == types
