"""RoB 2 traffic-light and summary plots: rows, judgments, percentages, legend, layout."""

from __future__ import annotations

import itertools

import pytest

from analysis.figures.rob import (
    COLUMNS,
    judgment_shares,
    rob_for_outcome,
    summary_plot,
    traffic_light_plot,
)
from analysis.figures.style import ROB_DOMAIN_NAMES, ROB_SYMBOLS
from analysis.text import fmt_num
from tests import figure_cases as fc
from tests.figure_svg import (
    all_texts,
    clipped_texts,
    overlapping_texts,
    svg_root,
    text_boxes,
    texts_by_id,
)

CASES = {
    "normand1999": fc.normand_smd,
    "one study": fc.single_study,
    "forty studies": fc.forty_studies,
    "long labels": fc.long_labels,
}


@pytest.fixture(scope="module", params=list(CASES))
def rob(request):
    return fc.risk_of_bias(CASES[request.param]())


def test_traffic_light_has_one_row_per_study_with_its_judgments(rob):
    fig = traffic_light_plot(rob)
    texts = texts_by_id(svg_root(fig))
    rows = [key for key in texts if key.startswith("rob-label-") and key.count("-") == 2]
    assert len(rows) == len(rob)
    for i, entry in enumerate(rob):
        parts = [texts[f"rob-label-{i}"]]
        n = 1
        while f"rob-label-{i}-{n}" in texts:
            parts.append(texts[f"rob-label-{i}-{n}"])
            n += 1
        assert " ".join(parts) == entry["label"]
        for column in COLUMNS:
            assert texts[f"rob-{i}-{column}"] == ROB_SYMBOLS[entry[column]]
    assert overlapping_texts(fig) == []
    assert clipped_texts(fig) == []
    width_in, height_in = fig.get_size_inches()
    assert width_in * 25.4 <= 174 + 1e-9
    assert height_in * 25.4 <= 234 + 1e-9


def test_traffic_light_column_headers_keep_a_gap(rob):
    """Agg measures text a little narrower than PDF and SVG renderers set it: "D5" and
    "Overall" that merely did not overlap printed as "D5Overall". Headers keep 1 mm apart."""
    dpi = 300
    headers = {"Overall" if c == "overall" else c.upper() for c in COLUMNS}
    boxes = sorted(
        (box for text, box in text_boxes(traffic_light_plot(rob), dpi) if text in headers),
        key=lambda box: box.x0,
    )
    assert len(boxes) == len(COLUMNS)
    gaps_mm = [(b.x0 - a.x1) / dpi * 25.4 for a, b in itertools.pairwise(boxes)]
    assert min(gaps_mm) >= 1.0, gaps_mm


def test_traffic_light_legend_names_each_domain():
    texts = all_texts(svg_root(traffic_light_plot(fc.risk_of_bias(fc.normand_smd()))))
    for n, domain in enumerate(("d1", "d2", "d3", "d4", "d5"), start=1):
        assert f"D{n}: {ROB_DOMAIN_NAMES[domain]}" in texts
    assert "D1: Randomisation process" in texts
    assert "D5: Selection of the reported result" in texts


def test_summary_percentages_are_the_shares_formatted_one_way(rob):
    fig = summary_plot(rob)
    texts = texts_by_id(svg_root(fig))
    shares = judgment_shares(rob)
    for column in COLUMNS:
        assert sum(shares[column].values()) == pytest.approx(100)
        for judgment, share in shares[column].items():
            key = f"summary-{column}-{judgment.replace(' ', '-')}"
            if share >= 6:
                assert texts[key] == f"{fmt_num(share, 0)}%"
            else:
                assert key not in texts
    assert overlapping_texts(fig) == []
    assert clipped_texts(fig) == []


def test_shares_count_studies_or_weights():
    rob = [
        {"study_id": "A", "label": "A", "outcome": None, **dict.fromkeys(COLUMNS, "low")},
        {"study_id": "B", "label": "B", "outcome": None, **dict.fromkeys(COLUMNS, "high")},
        {"study_id": "C", "label": "C", "outcome": None, **dict.fromkeys(COLUMNS, "high")},
    ]
    assert judgment_shares(rob)["d1"]["high"] == pytest.approx(200 / 3)
    weighted = judgment_shares(rob, {"A": 60.0, "B": 30.0, "C": 10.0})
    assert weighted["overall"] == pytest.approx(
        {"low": 60.0, "some concerns": 0.0, "high": 40.0, "no information": 0.0}
    )


def test_outcome_specific_judgments_take_precedence():
    general = {"study_id": "A", "label": "A", "outcome": None, **dict.fromkeys(COLUMNS, "low")}
    specific = {**general, "outcome": "c3", "d4": "high", "overall": "high"}
    rob = [general, specific]
    assert rob_for_outcome(rob, None)["A"] is general
    assert rob_for_outcome(rob, "c3")["A"] is specific
    assert rob_for_outcome(rob, "sledai")["A"] is general
    texts = texts_by_id(svg_root(traffic_light_plot(rob, outcome="c3")))
    assert texts["rob-0-d4"] == ROB_SYMBOLS["high"]


def test_unknown_judgment_is_a_clear_error():
    entry = {"study_id": "A", "label": "A", "outcome": None, **dict.fromkeys(COLUMNS, "low")}
    entry["d2"] = "unclear"
    with pytest.raises(ValueError, match=r"study 'A', d2: 'unclear' — expected one of low"):
        traffic_light_plot([entry])
