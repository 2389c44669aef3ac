"""Forest plot: rows, printed numbers (formatted by analysis.text), labels, layout."""

from __future__ import annotations

import math

import pytest

from analysis.figures.forest import NOTE_MARKS, forest_caption, forest_plot
from analysis.figures.scale import display
from analysis.figures.style import PAGE_WIDTH_MM
from analysis.text import fmt_ci_brackets, fmt_num, fmt_p
from tests import figure_cases as fc
from tests.figure_svg import clipped_texts, overlapping_texts, svg_root, texts_by_id

CASES = {
    "normand1999 SMD": fc.normand_smd,
    "bcg RR": fc.bcg_rr,
    "bcg RR by allocation": fc.bcg_subgroups,
    "one study": fc.single_study,
    "forty studies": fc.forty_studies,
    "seventy studies": fc.seventy_studies,
    "long labels": fc.long_labels,
    "CI spanning the axis": fc.wide_ci,
    "zero-event arms": fc.zero_events,
}
WITH_ROB = ("normand1999 SMD", "forty studies", "long labels")


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    outcome = CASES[request.param]()
    rob = fc.risk_of_bias(outcome) if request.param in WITH_ROB else None
    fig = forest_plot(outcome, rob=rob)
    return request.param, outcome, rob, fig, texts_by_id(svg_root(fig))


def _effect(measure, est, lo, hi):
    return fmt_ci_brackets(display(est, measure), display(lo, measure), display(hi, measure), 2)


def test_one_row_per_study(case):
    _, outcome, _, _, texts = case
    labels = [key for key in texts if key.startswith("study-label-") and key.count("-") == 2]
    assert len(labels) == len(outcome["studies"])
    for i, study in enumerate(outcome["studies"]):
        # wrapped labels continue in study-label-<i>-<n>
        parts = [texts[f"study-label-{i}"]]
        n = 1
        while f"study-label-{i}-{n}" in texts:
            parts.append(texts[f"study-label-{i}-{n}"])
            n += 1
        label = " ".join(parts)
        if study.get("conversion"):  # the note's superscript letter follows the label
            label, mark = label.rsplit("\u00a0", 1)
            assert mark in NOTE_MARKS
        assert label == study["label"]


def test_study_numbers_are_the_results_formatted_one_way(case):
    _, outcome, _, _, texts = case
    measure = outcome["measure"]
    for i, s in enumerate(outcome["studies"]):
        assert texts[f"study-effect-{i}"] == _effect(measure, s["yi"], s["ci_lower"], s["ci_upper"])
        assert texts[f"study-weight-{i}"] == f"{fmt_num(s['weight_percent'], 1)}%"
        # arm columns are shown when they fit at 7 pt (else left out, never set smaller)
        if f"study-n1-{i}" not in texts:
            continue
        assert texts[f"study-n1-{i}"] == fmt_num(s["n1"], 0)
        assert texts[f"study-n2-{i}"] == fmt_num(s["n2"], 0)
        if s.get("events1") is not None:
            assert texts[f"study-events1-{i}"] == fmt_num(s["events1"], 0)
            assert texts[f"study-events2-{i}"] == fmt_num(s["events2"], 0)
        else:
            # means and SDs are shown when they fit at 7 pt (else left out, never shrunk)
            for key in [k for k in ("mean1", "sd1", "mean2", "sd2") if f"study-{k}-{i}" in texts]:
                assert float(texts[f"study-{key}-{i}"].replace("\u2212", "-")) == pytest.approx(
                    s[key], abs=0.006
                )


def test_pooled_row_and_footer(case):
    _, outcome, _, _, texts = case
    p, measure = outcome["pooled"], outcome["measure"]
    assert texts["pooled-effect"] == _effect(measure, p["estimate"], p["ci_lower"], p["ci_upper"])
    assert texts["pooled-weight"] == "100.0%"
    if "pooled-n1" in texts:  # arm columns shown (they fit at 7 pt)
        assert texts["pooled-n1"] == fmt_num(sum(s["n1"] for s in outcome["studies"]), 0)
    overall = texts["footer-overall"]
    assert overall == f"Test for overall effect: z = {fmt_num(p['stat'], 2)} ({fmt_p(p['pval'])})"
    heterogeneity = texts["footer-heterogeneity"]
    if p["k"] > 1:
        assert f"Q = {fmt_num(p['q'], 2)}, df = {p['q_df']} ({fmt_p(p['q_pval'])})" in heterogeneity
        assert f"I² = {fmt_num(p['i2'], 0)}%" in heterogeneity
        assert f"τ² = {fmt_num(p['tau2'], 2)}" in heterogeneity
    else:
        assert "not applicable" in heterogeneity


def test_prediction_interval_row_when_available(case):
    _, outcome, _, _, texts = case
    p, measure = outcome["pooled"], outcome["measure"]
    if p["pi_lower"] is None:
        assert "pi-effect" not in texts
    else:
        lo, hi = display(p["pi_lower"], measure), display(p["pi_upper"], measure)
        assert texts["pi-effect"] == f"[{fmt_num(lo, 2)}, {fmt_num(hi, 2)}]"


def test_favours_labels_follow_the_outcome_direction(case):
    _, outcome, _, _, texts = case
    assert outcome["lower_is_better"] is True
    assert texts["favours-left"] == "Favours Intervention"
    assert texts["favours-right"] == "Favours comparator"


def test_nothing_overlaps_or_is_clipped(case):
    name, outcome, _, fig, _ = case
    assert overlapping_texts(fig) == [], name
    assert clipped_texts(fig) == [], name
    width_mm, height_mm = (x * 25.4 for x in fig.get_size_inches())
    assert width_mm == pytest.approx(PAGE_WIDTH_MM)
    if len(outcome["studies"]) <= 50:  # more rows than that do not fit a page at 7 pt
        assert height_mm < 234


def test_rob_dots_show_the_judgments():
    outcome = fc.normand_smd()
    rob = fc.risk_of_bias(outcome)
    root = svg_root(forest_plot(outcome, rob=rob))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    symbols = {"low": "+", "some concerns": "\u2212", "high": "\u00d7"}
    expected = sum(
        1 for e in rob for d in ("d1", "d2", "d3", "d4", "d5", "overall") if e[d] == "high"
    )
    assert texts.count(symbols["high"]) == expected
    assert any(t.startswith("Risk of bias (RoB 2): D1 randomisation process") for t in texts)


def test_subgroup_blocks_subtotals_and_test():
    outcome = fc.bcg_subgroups()
    texts = texts_by_id(svg_root(forest_plot(outcome)))
    sub = outcome["subgroups"]
    for j, level in enumerate(sub["levels"].values()):
        assert texts[f"subgroup-{j}-effect"] == _effect(
            "RR", level["estimate"], level["ci_lower"], level["ci_upper"]
        )
        assert f"Q = {fmt_num(level['q'], 2)}" in texts[f"subgroup-{j}-heterogeneity"]
    assert texts["footer-subgroups"] == (
        f"Test for subgroup differences: Q = {fmt_num(sub['q_between'], 2)}, "
        f"df = {sub['q_between_df']} ({fmt_p(sub['q_between_pval'])})"
    )


def test_subgroup_levels_may_name_studies_by_position():
    outcome = fc.bcg_subgroups()
    index = {s["study_id"]: i for i, s in enumerate(outcome["studies"])}
    by_position = {
        **outcome["subgroups"],
        "levels": {
            name: {
                **{k: v for k, v in level.items() if k != "study_ids"},
                "studies": [index[s] for s in level["study_ids"]],
            }
            for name, level in outcome["subgroups"]["levels"].items()
        },
    }
    plain = {k: v for k, v in outcome.items() if k != "subgroups"}
    assert texts_by_id(svg_root(forest_plot(plain, subgroups=by_position))) == texts_by_id(
        svg_root(forest_plot(outcome))
    )


def test_higher_is_better_swaps_the_favours_labels():
    outcome = {**fc.normand_smd(), "lower_is_better": False}
    texts = texts_by_id(svg_root(forest_plot(outcome)))
    assert texts["favours-left"] == "Favours comparator"
    assert texts["favours-right"] == "Favours Intervention"


def test_ratio_axis_is_logarithmic_with_back_transformed_labels():
    fig = forest_plot(fc.bcg_rr())
    plot = fig.axes[1]
    labels = [t.get_text() for t in plot.get_xticklabels()]
    assert "1" in labels
    ticks = dict(zip(labels, plot.get_xticks(), strict=True))
    assert ticks["1"] == pytest.approx(0.0)
    assert ticks["10"] == pytest.approx(math.log(10))


def test_whiskers_beyond_the_axis_end_in_arrows():
    outcome = fc.wide_ci()
    fig = forest_plot(outcome)
    plot = fig.axes[1]
    lower, _ = plot.get_xlim()
    tiny = outcome["studies"][-1]
    assert tiny["ci_lower"] < lower  # the axis did not stretch to the tiny trial's CI
    arrows = [line for line in plot.get_lines() if line.get_marker() in ("<", ">")]
    assert any(line.get_marker() == "<" and line.get_xdata()[0] == lower for line in arrows)


def test_no_studies_is_a_clear_error():
    outcome = {**fc.normand_smd(), "studies": []}
    with pytest.raises(ValueError, match="no studies"):
        forest_plot(outcome)


def test_generic_effects_without_arm_data_and_knapp_hartung():
    outcome = fc.outcome_from_rows(
        fc.read_csv("normand1999.csv"),
        outcome_id="gen",
        label="Generic",
        measure="MD",
        test="knha",
        lower_is_better=None,
    )
    for study in outcome["studies"]:
        for key in ("n1", "mean1", "sd1", "n2", "mean2", "sd2"):
            study.pop(key)
    fig = forest_plot(outcome)
    texts = texts_by_id(svg_root(fig))
    p = outcome["pooled"]
    assert texts["footer-overall"] == (
        f"Test for overall effect: t = {fmt_num(p['stat'], 2)}, df = {p['df']} ({fmt_p(p['pval'])})"
    )
    assert not any(key.startswith("study-n1-") for key in texts)
    assert "favours-left" not in texts  # no direction given, no "favours" labels
    assert overlapping_texts(fig) == []
    caption, _ = forest_caption(outcome)
    assert "Knapp–Hartung" in caption


def test_converted_arm_data_are_marked_and_explained():
    outcome = fc.normand_smd()
    texts = texts_by_id(svg_root(forest_plot(outcome)))
    assert texts["study-label-2"].endswith("\u00a0ᵃ")
    assert texts["study-label-5"].endswith("\u00a0ᵃ")  # one letter per distinct note
    assert texts["footer-conversion-0"] == f"ᵃ {fc.CONVERSION_NOTE}"
    assert "footer-conversion-1" not in texts
    caption, _ = forest_caption(outcome)
    assert "Superscript letters mark trials" in caption
