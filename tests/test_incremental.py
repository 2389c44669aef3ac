"""The fast edit loop: a build or render with unchanged inputs does nothing, the figure cache
redraws exactly the figures whose inputs changed (and gives the bytes a cold build gives), the
change report, and ``watch``. Every build here runs on a copy of the example data in a
temporary folder."""

from __future__ import annotations

import copy
import csv
import hashlib
from pathlib import Path

import pytest

from analysis import changes, interpret
from analysis.build import build
from analysis.figures import make_figures
from analysis.incremental import render_if_changed
from analysis.watch import watch_loop
from tests import figure_cases as fc

from .conftest import copy_project

#: outputs that describe the history of builds, not the manuscript
HISTORY = {changes.REPORT_JSON, changes.REPORT_MD, changes.BOX_PART}


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every output file (the cache and the history left out)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".cache" not in p.relative_to(folder).parts and p.name not in HISTORY
    }


def bump_first_mean(data_dir: Path, delta: float) -> str:
    """Add ``delta`` to the first ``mean1`` in outcomes.csv; returns that row's outcome id."""
    path = data_dir / "outcomes.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    row = next(r for r in rows if r.get("mean1"))
    row["mean1"] = f"{float(row['mean1']) + delta:g}"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return row["outcome"]


def redrawn(log: list[str]) -> tuple[int, int]:
    """(figures redrawn, figures in all) from the build's log."""
    line = next(line for line in log if line.startswith("  figures:"))
    words = line.split()
    return int(words[1]), int(words[3])


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the example project built once (HTML only: SVG figures)."""
    root = tmp_path_factory.mktemp("incremental")
    data_dir, report = copy_project(root)
    log: list[str] = []
    build(data_dir, report / "_generated", log=log.append, formats=("html",))
    return data_dir, report / "_generated", log


def test_the_first_build_draws_every_figure_and_says_there_is_nothing_to_compare(project):
    _, generated, log = project
    drawn, total = redrawn(log)
    assert drawn == total > 0
    assert "First build" in (generated / changes.REPORT_MD).read_text(encoding="utf-8")


def test_an_unchanged_build_does_nothing_and_says_so(project):
    data_dir, generated, _ = project
    before = {p: p.stat().st_mtime_ns for p in generated.rglob("*") if p.is_file()}
    log: list[str] = []
    build(data_dir, generated, log=log.append, formats=("html",))
    assert any("nothing to do" in line for line in log)
    assert not any(line.startswith("build [") for line in log)
    assert {p: p.stat().st_mtime_ns for p in generated.rglob("*") if p.is_file()} == before


def test_an_output_edited_by_hand_is_rebuilt_and_force_rebuilds(project, tmp_path):
    data_dir, generated, _ = project
    out = tmp_path / "_generated"
    import shutil

    shutil.copytree(generated, out)
    (out / "results.md").write_text("edited by hand\n", encoding="utf-8")
    log: list[str] = []
    build(data_dir, out, log=log.append, formats=("html",))
    assert redrawn(log)[0] == 0  # every figure from the cache
    assert (out / "results.md").read_text(encoding="utf-8") != "edited by hand\n"
    log.clear()
    build(data_dir, out, log=log.append, formats=("html",), force=True)
    assert any(line.startswith("build [1/6]") for line in log)


@pytest.fixture(scope="module")
def one_number_change(project):
    """The project rebuilt after one mean of one trial changed."""
    data_dir, generated, _ = project
    before = snapshot(generated)
    outcome = bump_first_mean(data_dir, 0.3)
    log: list[str] = []
    build(data_dir, generated, log=log.append, formats=("html",), show_changes=True)
    return outcome, before, snapshot(generated), log


def test_a_one_number_change_redraws_exactly_the_figures_of_its_outcome(project, one_number_change):
    outcome, before, after, log = one_number_change
    figures = {
        p.removeprefix("figures/")
        for p in after
        if p.startswith("figures/") and p != "figures/figures.json"  # the manifest, not a figure
    }
    own = {
        f
        for f in figures
        if f.startswith((f"forest-{outcome}.", f"forest-{outcome}-by-"))
        or f in {f"funnel-{outcome}.svg", f"funnel-contour-{outcome}.svg"}
    }
    changed = {f for f in figures if before.get(f"figures/{f}") != after[f"figures/{f}"]}
    assert own and changed == own
    assert redrawn(log)[0] == len(own)


def test_the_change_report_names_the_moved_estimate_with_its_sentence(project, one_number_change):
    _, generated, _ = project
    outcome, *_ = one_number_change
    import json

    report = json.loads((generated / changes.REPORT_JSON).read_text(encoding="utf-8"))
    (estimate,) = report["estimates"]
    assert estimate["outcome"] == outcome and estimate["old"] != estimate["new"]
    assert estimate["line"].endswith(f"{estimate['old']} → {estimate['new']}")
    new_value = estimate["new"].split(" ")[0]
    assert any(new_value in n["sentence"] for n in report["numbers"])
    markdown = (generated / changes.REPORT_MD).read_text(encoding="utf-8")
    assert markdown.startswith("# Changes since the version of ") and estimate["line"] in markdown
    box = (generated / changes.BOX_PART).read_text(encoding="utf-8")
    assert box.startswith('::: {.callout-important title="Changes since the version of ')
    assert estimate["line"] in box


def test_a_cached_build_is_byte_identical_to_a_cold_one(project, one_number_change, tmp_path):
    data_dir, generated, _ = project
    cold = tmp_path / "_generated"
    build(data_dir, cold, log=lambda _: None, formats=("html",), show_changes=True)
    assert snapshot(cold) == snapshot(generated)


# --- the figure cache on its own --------------------------------------------------------------


def figure_results() -> dict:
    outcome = fc.bcg_subgroups()
    return {
        "review": {"example": True},
        "outcomes": [outcome],
        "risk_of_bias": fc.risk_of_bias(outcome),
        "prisma": fc.prisma(),
    }


def drawn_count(results, out, cache) -> int:
    log: list[str] = []
    make_figures(results, out, cache_dir=cache, log=log.append)
    return redrawn(log)[0]


@pytest.fixture(scope="module")
def cached_figures(tmp_path_factory):
    """The figure cases drawn cold (SVG and PNG) into a cache."""
    root = tmp_path_factory.mktemp("figure-cache")
    cold = make_figures(figure_results(), root / "cold", cache_dir=root / "cache")
    return root, cold


def test_cached_figures_are_the_bytes_of_cold_ones(cached_figures):
    root, cold = cached_figures
    assert drawn_count(figure_results(), root / "again", root / "cache") == 0
    for figure in cold:
        for fmt in ("svg", "png"):
            name = f"{figure.stem}.{fmt}"
            assert (root / "again" / name).read_bytes() == (root / "cold" / name).read_bytes()


def test_a_style_change_redraws_every_figure(cached_figures, monkeypatch):
    from analysis.figures import cache

    root, cold = cached_figures
    monkeypatch.setattr(cache, "RC_PARAMS", {**cache.RC_PARAMS, "lines.linewidth": 1.0})
    assert drawn_count(figure_results(), root / "style", root / "style-cache") == len(cold)
    assert drawn_count(figure_results(), root / "style", root / "style-cache") == 0


def test_a_code_change_redraws_every_figure(cached_figures, monkeypatch, tmp_path):
    from analysis.figures import cache

    _, cold = cached_figures
    shared = tmp_path / "cache"
    assert drawn_count(figure_results(), tmp_path / "a", shared) == len(cold)
    monkeypatch.setattr(cache, "code_version", lambda: "another version of the code")
    assert drawn_count(figure_results(), tmp_path / "b", shared) == len(cold)


def test_a_forest_setting_redraws_only_the_forest_plots(cached_figures, tmp_path):
    _, cold = cached_figures
    results = figure_results()
    shared = tmp_path / "cache"
    drawn_count(results, tmp_path / "a", shared)
    log: list[str] = []
    make_figures(results, tmp_path / "b", cache_dir=shared, settings={"digits": 3}, log=log.append)
    forests = [f for f in cold if f.stem.startswith("forest-")]
    assert redrawn(log)[0] == len(forests)


# --- the change report --------------------------------------------------------------------------


def results_with(estimate: float, lo: float, hi: float, certainty: str = "low") -> dict:
    pooled = {"measure": "SMD", "estimate": estimate, "ci_lower": lo, "ci_upper": hi}
    return {
        "studies": [
            {"study_id": "S1", "label": "Ames 2020"},
            {"study_id": "S2", "label": "Bo 2021"},
        ],
        "outcomes": [
            {
                "id": "pain",
                "label": "Pain",
                "measure": "SMD",
                "lower_is_better": True,
                "pooled": pooled,
                "decisions": {"effect": interpret.effect(pooled, lower_is_better=True)},
            }
        ],
        "grade": [{"outcome": "pain", "certainty": certainty}],
    }


PARTS = {"results.md": "Pain fell (SMD −0.78, 95% CI −1.25 to −0.31). Nine trials were included.\n"}


def test_no_change_is_reported_as_none():
    old = results_with(-0.78, -1.25, -0.31)
    report = changes.compare(old, copy.deepcopy(old), PARTS, dict(PARTS))
    assert report["unchanged"]
    assert changes.body_markdown(report, full=True) == "Nothing in the manuscript changed.\n"


def test_an_added_trial_is_reported():
    old = results_with(-0.78, -1.25, -0.31)
    new = copy.deepcopy(old)
    new["studies"].append({"study_id": "S3", "label": "Cruz 2024"})
    report = changes.compare(old, new, PARTS, PARTS)
    assert report["studies_added"] == [{"study_id": "S3", "label": "Cruz 2024"}]
    assert report["studies_removed"] == [] and not report["unchanged"]
    assert "- Cruz 2024 (S3)" in changes.body_markdown(report, full=True)


def test_the_data_text_in_the_report_is_printed_literally():
    """Labels are the data's text: in the report (and the HTML box) they show as typed, never
    as markup; the quoted sentences are the manuscript's Markdown, left as they are."""
    old = results_with(-0.78, -1.25, -0.31)
    new = copy.deepcopy(old)
    new["studies"].append({"study_id": "S_3", "label": "<b>Cruz</b> *2024*"})
    body = changes.body_markdown(changes.compare(old, new, PARTS, PARTS), full=True)
    assert r"- \<b\>Cruz\</b\> \*2024\* (S\_3)" in body


def test_a_moved_estimate_is_reported_with_old_and_new_values_and_its_sentence():
    old, new = results_with(-0.78, -1.25, -0.31), results_with(-0.77, -1.24, -0.30)
    new_parts = {
        "results.md": PARTS["results.md"]
        .replace("−0.78", "−0.77")
        .replace("−1.25", "−1.24")
        .replace("−0.31", "−0.30")
    }
    report = changes.compare(old, new, PARTS, new_parts)
    (estimate,) = report["estimates"]
    # the intervals are held together by no-break spaces (analysis.text.pooled_ci)
    line = estimate["line"].replace("\u00a0", " ")
    assert line == "Pain: SMD −0.78 (−1.25 to −0.31) → −0.77 (−1.24 to −0.30)"
    (sentence,) = report["numbers"]
    assert sentence["sentence"] == "Pain fell (SMD −0.77, 95% CI −1.24 to −0.30)."
    assert sentence["moved"] == [
        {"old": "−0.78", "new": "−0.77"},
        {"old": "−1.25", "new": "−1.24"},
        {"old": "−0.31", "new": "−0.30"},
    ]
    assert report["conclusions"] == [] and report["wording"] == []


def test_a_flipped_conclusion_and_a_new_certainty_are_reported():
    old = results_with(-0.78, -1.25, -0.31, certainty="low")
    new = results_with(-0.30, -0.70, 0.10, certainty="very low")
    new_parts = {
        "results.md": "Pain did not differ (SMD −0.30, 95% CI −0.70 to 0.10). "
        "Nine trials were included.\n"
    }
    report = changes.compare(old, new, PARTS, new_parts)
    aspects = {c["aspect"]: (c["old"], c["new"]) for c in report["conclusions"]}
    assert aspects == {
        "significance": ("statistically significant", "not statistically significant"),
        "favours": ("intervention", "neither"),
        "certainty": ("low", "very low"),
    }
    (wording,) = report["wording"]
    assert wording["old"].startswith("Pain fell") and wording["new"].startswith("Pain did not")


def test_a_first_build_has_nothing_to_compare():
    report = changes.compare(None, results_with(-0.78, -1.25, -0.31), {}, PARTS)
    assert report["first_build"]
    assert "no previous version" in changes.box_markdown(report, None)


def test_sentences_split_prose_and_keep_table_rows_whole():
    units = changes.sentences(
        "A is 1.5 (p = 0.002). B rose.\n\n| x | 1.0 |\n|---|---|\n| y | 2.0 |\n"
    )
    assert units == ["A is 1.5 (p = 0.002).", "B rose.", "| x | 1.0 |", "| y | 2.0 |"]


# --- render and watch --------------------------------------------------------------------------


def test_an_unchanged_render_does_nothing_and_a_changed_source_renders_again(project, tmp_path):
    _, generated, _ = project
    source = generated.parent / "index.qmd"
    out = tmp_path / "out"
    log: list[str] = []
    assert [p.name for p in render_if_changed(source, out, ("html",), log=log.append)] == [
        "manuscript.html"
    ]
    assert render_if_changed(source, out, ("html",), log=log.append) == []
    assert "render: nothing to do (use --force to render anyway)" in log
    assert render_if_changed(source, out, ("html",), force=True, log=log.append)


def test_watch_rebuilds_on_each_change_and_stops_cleanly_on_ctrl_c(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "studies.csv").write_text("a\n", encoding="utf-8")
    builds: list[int] = []
    edits = iter(["b\n", None, "cc\n"])
    log: list[str] = []

    def sleep(_):
        try:
            edit = next(edits)
        except StopIteration:
            raise KeyboardInterrupt from None
        if edit is not None:
            (data / "studies.csv").write_text(edit, encoding="utf-8")

    watch_loop(data, lambda: builds.append(1), interval=0, log=log.append, sleep=sleep)
    assert len(builds) == 3  # the first build, then one per change (none for the idle look)
    assert log[-1] == "watch: stopped"
    assert sum("changed: studies.csv" in line for line in log) == 2


def test_watch_reports_bad_data_and_goes_on(tmp_path):
    from analysis.errors import AnalysisError

    (tmp_path / "data").mkdir()
    log: list[str] = []

    def rebuild():
        raise AnalysisError("too few studies to pool")

    def sleep(_):
        raise KeyboardInterrupt

    watch_loop(tmp_path / "data", rebuild, interval=0, log=log.append, sleep=sleep)
    assert log[0] == "error: too few studies to pool" and log[-1] == "watch: stopped"


def test_watch_imports_what_a_rebuild_needs_before_the_first_change():
    """A fresh interpreter has none of the rebuild's modules; ``preload`` imports them all, so
    the first edit does not wait for them."""
    import subprocess
    import sys

    probe = (
        "import sys; from analysis import watch; "
        "print(sum(m in sys.modules for m in watch.REBUILD_MODULES)); "
        "watch.preload(); print(sum(m in sys.modules for m in watch.REBUILD_MODULES))"
    )
    from analysis import paths, watch

    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=paths.ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["0", str(len(watch.REBUILD_MODULES))]


def test_the_commands_modules_import_no_numerics_or_printer():
    """An unchanged `make manuscript` is two start-ups that decide there is nothing to do: the
    modules they import at start bring in neither SciPy, NumPy, matplotlib nor weasyprint (a
    top-level import of the statistics once doubled its time)."""
    import subprocess
    import sys

    from analysis import paths

    heavy = ("scipy", "numpy", "matplotlib", "weasyprint")
    probe = (
        "import sys, analysis.__main__, analysis.build, analysis.incremental, analysis.render; "
        f"print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=paths.ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""
