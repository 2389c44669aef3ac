"""Bubble plot of a meta-regression: the fitted band, the figure's elements, determinism."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from analysis.figures.bubble import bubble_caption, bubble_plot, fitted_band
from analysis.figures.output import save_figure
from analysis.public import to_public
from analysis.stats import effect_sizes
from analysis.stats.metareg import meta_regression
from tests.secondary_reference import CLOSED_FORM_RTOL, SHARED_DIR


def _bcg(columns=("ablat",), test="z"):
    with open(SHARED_DIR / "bcg.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    counts = [np.array([float(r[c]) for r in rows]) for c in ("events1", "n1", "events2", "n2")]
    es = effect_sizes.binary("RR", *counts)
    reg = meta_regression(es.yi, es.vi, {c: [r[c] for r in rows] for c in columns}, ci_method=test)
    outcome = {
        "measure": "RR",
        "label": "Tuberculosis",
        "studies": [{"label": r["study"]} for r in rows],
    }
    return outcome, to_public(reg)


@pytest.mark.parametrize("test", ["z", "knha"])
def test_band_at_zero_is_the_intercept_and_its_ci(test):
    _, reg = _bcg(test=test)
    fit, lower, upper = fitted_band(reg, "ablat", np.array([0.0]))
    intercept = reg["coefficients"]["intrcpt"]
    assert fit[0] == pytest.approx(intercept["estimate"], rel=CLOSED_FORM_RTOL)
    assert lower[0] == pytest.approx(intercept["ci_lower"], rel=CLOSED_FORM_RTOL)
    assert upper[0] == pytest.approx(intercept["ci_upper"], rel=CLOSED_FORM_RTOL)


def test_bubble_plot_elements_and_determinism(tmp_path):
    outcome, reg = _bcg()
    files = [
        save_figure(
            bubble_plot(outcome, reg, moderator_label="Absolute latitude"),
            "b",
            tmp_path / d,
            "c",
            "a",
        )
        for d in ("one", "two")
    ]
    first, second = (f.svg.read_bytes() for f in files)
    assert first == second
    assert files[0].png.read_bytes() == files[1].png.read_bytes()
    for gid in (b"bubble-studies", b"bubble-fit", b"bubble-band"):
        assert gid in first
    assert b"Absolute latitude" in first and b"log scale" in first


def test_several_moderators_need_a_choice_and_categorical_levels_are_refused():
    outcome, reg = _bcg(columns=("ablat", "year", "alloc"))
    with pytest.raises(ValueError, match="choose the moderator"):
        bubble_plot(outcome, reg)
    with pytest.raises(ValueError, match="categorical level"):
        bubble_plot(outcome, reg, moderator="allocrandom")
    caption, alt = bubble_caption(outcome, reg, moderator="year")
    assert "Other moderators held at their means" in caption
    assert "13 studies" in alt
