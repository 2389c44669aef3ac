"""Funnel plots: one marker per study, imputed studies hollow, contour legend, layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.figures.funnel import CONTOUR_LEVELS, funnel_caption, funnel_plot
from analysis.figures.style import COLUMN_WIDTH_MM, IMPUTED_COLOUR
from analysis.text import fmt_num
from tests import figure_cases as fc
from tests.figure_svg import all_texts, clipped_texts, marker_count, overlapping_texts, svg_root

# metafor trimfill(rma(yi, vi, method = "REML")) on dat.bcg, RR (see the fixture's README)
BCG_TRIMFILL = json.loads(
    (Path(__file__).parent / "fixtures" / "figures" / "bcg_RR_trimfill.json").read_text()
)


@pytest.mark.parametrize("contour", [False, True])
@pytest.mark.parametrize("make", [fc.normand_smd, fc.bcg_rr, fc.single_study, fc.zero_events])
def test_one_marker_per_study_and_clean_layout(make, contour):
    outcome = make()
    fig = funnel_plot(outcome, contour=contour)
    root = svg_root(fig)
    assert marker_count(root, "funnel-observed") == len(outcome["studies"])
    assert marker_count(root, "funnel-imputed") == 0
    assert overlapping_texts(fig) == []
    assert clipped_texts(fig) == []
    assert fig.get_size_inches()[0] * 25.4 == pytest.approx(COLUMN_WIDTH_MM)


def test_se_axis_is_inverted_with_zero_at_the_top():
    fig = funnel_plot(fc.normand_smd())
    bottom, top = fig.axes[0].get_ylim()
    assert top == 0 and bottom > 0


def test_trimfill_studies_are_drawn_hollow():
    outcome = fc.bcg_rr()
    fig = funnel_plot(outcome, trimfill=BCG_TRIMFILL)
    root = svg_root(fig)
    assert marker_count(root, "funnel-imputed") == len(BCG_TRIMFILL["filled_yi"]) == 1
    imputed = next(c for c in fig.axes[0].collections if c.get_gid() == "funnel-imputed")
    assert tuple(imputed.get_facecolor()[0]) == (1.0, 1.0, 1.0, 1.0)
    assert imputed.get_edgecolor()[0][:3] == pytest.approx(
        tuple(int(IMPUTED_COLOUR[i : i + 2], 16) / 255 for i in (1, 3, 5))
    )
    assert "Imputed (trim-and-fill)" in all_texts(root)
    caption, alt = funnel_caption(outcome, trimfill=BCG_TRIMFILL)
    assert "1 study imputed by trim-and-fill" in caption
    assert alt.endswith("1 study imputed by trim-and-fill drawn hollow.")


def test_trimfill_is_read_from_the_outcome_bias_block():
    outcome = {**fc.bcg_rr(), "bias": {"trimfill": BCG_TRIMFILL}}
    assert marker_count(svg_root(funnel_plot(outcome)), "funnel-imputed") == 1
    outcome["bias"] = {"trimfill": None}
    assert marker_count(svg_root(funnel_plot(outcome)), "funnel-imputed") == 0


def test_contour_legend_names_the_significance_bands():
    texts = all_texts(svg_root(funnel_plot(fc.bcg_rr(), contour=True)))
    a = [fmt_num(x, 2) for x in CONTOUR_LEVELS]
    assert f"p > {a[0]}" in texts
    assert f"{a[1]} < p ≤ {a[0]}" in texts
    assert f"p ≤ {a[2]}" in texts


def test_ratio_funnel_is_labelled_on_the_ratio_scale():
    fig = funnel_plot(fc.bcg_rr())
    assert fig.axes[0].get_xlabel() == "Risk ratio (log scale)"
    assert "1" in [t.get_text() for t in fig.axes[0].get_xticklabels()]
