"""make_figures: the files the build gets, SVG/PNG properties, captions, determinism."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from analysis.figures import make_figures
from analysis.figures.output import save_figure
from analysis.figures.prisma import prisma_flow
from tests import figure_cases as fc


def results_dict(example: bool = True) -> dict:
    outcome = fc.bcg_subgroups()
    return {
        "review": {"example": example},
        "outcomes": [outcome, {**fc.normand_smd(), "id": "empty", "studies": []}],
        "risk_of_bias": fc.risk_of_bias(outcome),
        "prisma": fc.prisma(),
    }


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The same results built twice into two directories."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    return make_figures(results_dict(), first), make_figures(results_dict(), second)


def test_the_build_gets_every_figure(builds):
    stems = [f.stem for f in builds[0]]
    assert stems == [
        "forest-tb",
        "forest-tb-by-alloc",
        "funnel-tb",
        "funnel-contour-tb",
        "rob-traffic-light",
        "rob-summary",
        "prisma-flow",
    ]
    for figure in builds[0]:
        assert figure.svg.is_file() and figure.png.is_file()
        record = figure.to_dict()
        assert record["svg"] == f"{figure.stem}.svg" and record["png"] == f"{figure.stem}.png"
        note = (
            "the counts of this flow are illustrative."
            if figure.stem == "prisma-flow"
            else ("the per-study data are synthetic.")
        )
        assert figure.caption.endswith("Example review: " + note)
        assert figure.alt and "synthetic" not in figure.alt
        assert figure.width_mm <= 174.0 + 1e-9 and figure.height_mm <= 234.0


def test_two_builds_are_byte_identical(builds):
    for a, b in zip(*builds, strict=True):
        assert a.svg.read_bytes() == b.svg.read_bytes(), a.stem
        assert a.png.read_bytes() == b.png.read_bytes(), a.stem


def test_svg_keeps_text_as_text_in_one_font_without_a_date(builds):
    for figure in builds[0]:
        svg = figure.svg.read_text(encoding="utf-8")
        assert "<text" in svg
        families = set(re.findall(r"font-family: '?([^;'\"]+)'?", svg)) | set(
            re.findall(r"font: [^;\"]*?px '([^']+)'", svg)
        )
        assert families == {"DejaVu Sans"}, (figure.stem, families)
        assert "<dc:date>" not in svg
        assert "Matplotlib" not in svg


def test_png_is_at_least_300_dpi(builds):
    for figure in builds[0]:
        with Image.open(figure.png) as image:
            dpi = image.info["dpi"]
            assert min(dpi) >= 299.9
            assert image.width == pytest.approx(figure.width_mm / 25.4 * 300, abs=2)


def test_no_temporary_files_are_left(builds):
    directory = builds[0][0].svg.parent
    assert sorted(p.name for p in directory.iterdir() if p.name.startswith(".")) == []


def test_real_data_captions_carry_no_synthetic_note(tmp_path):
    results = results_dict(example=False)
    results["outcomes"] = []
    results["risk_of_bias"] = []
    (figure,) = make_figures(results, tmp_path)
    assert figure.stem == "prisma-flow"
    assert "synthetic" not in figure.caption


def test_low_resolution_png_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 300 dpi"):
        save_figure(prisma_flow(fc.prisma()), "x", tmp_path, "c", "a", dpi=150)
    assert list(tmp_path.iterdir()) == []


def test_prediction_interval_follows_the_review_setting(tmp_path):
    results = results_dict()
    results["review"]["analysis"] = {"prediction_interval": False}
    results["risk_of_bias"], results["prisma"] = [], None
    figures = {f.stem: f for f in make_figures(results, tmp_path)}
    svg = figures["forest-tb"].svg.read_text(encoding="utf-8")
    assert "Prediction interval" not in svg
    assert "prediction interval" not in figures["forest-tb"].caption


def test_subgroup_forest_caption_names_the_variable_and_the_test(builds):
    figure = {f.stem: f for f in builds[0]}["forest-tb-by-alloc"]
    assert figure.caption.startswith("Forest plot of Tuberculosis by alloc:")
    assert "Test for subgroup differences: Q = " in figure.alt


def test_funnel_plots_from_three_studies_with_the_caveat_below_ten(tmp_path):
    outcome = fc.normand_smd()  # k = 9
    figures = {f.stem: f for f in make_figures({"outcomes": [outcome]}, tmp_path)}
    assert list(figures) == ["forest-los", "funnel-los", "funnel-contour-los"]
    assert "With 9 studies, asymmetry cannot be judged reliably" in figures["funnel-los"].caption
    two = {**outcome, "studies": outcome["studies"][:2]}
    assert [f.stem for f in make_figures({"outcomes": [two]}, tmp_path)] == ["forest-los"]
    stems = [f.stem for f in make_figures({"outcomes": [outcome]}, tmp_path, funnel_min_k=10)]
    assert stems == ["forest-los"]


def test_a_failed_save_leaves_the_last_good_files(tmp_path):
    fig = prisma_flow(fc.prisma())
    first = save_figure(fig, "flow", tmp_path, "c", "a")
    before = first.svg.read_bytes(), first.png.read_bytes()

    class Broken(type(fig)):
        def savefig(self, fname, **kwargs):
            with open(fname, "wb") as handle:
                handle.write(b"half a figure")
            raise OSError("disk full")

    fig.__class__ = Broken
    with pytest.raises(OSError, match="disk full"):
        save_figure(fig, "flow", tmp_path, "c", "a")
    assert (first.svg.read_bytes(), first.png.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.png", "flow.svg"]


def test_forest_plots_take_the_arm_names_from_the_reviews_terms(tmp_path):
    """No figure names an intervention of its own: the arms are the review's terms."""
    results = results_dict()
    results["risk_of_bias"] = []
    results["prisma"] = None
    terms = {"intervention_arm": "Drug X", "comparator_arm": "Placebo"}
    forest = next(f for f in make_figures(results, tmp_path, terms=terms) if "forest" in f.stem)
    svg = forest.svg.read_text(encoding="utf-8")
    assert "Favours Drug X" in svg and "Favours placebo" in svg
    assert "(Drug X vs placebo)" in forest.caption
    assert "MSCS" not in svg + forest.caption
