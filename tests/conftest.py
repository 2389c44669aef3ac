"""Session-wide fixtures: the example manuscript built and rendered once per test session.

``manuscript_build`` copies ``report/`` (sources, styles, filter) and ``data/`` into a temporary
folder and runs the build there; ``manuscript_render`` renders that copy to HTML, PDF and DOCX.
Tests read these outputs; none of them touches the repository's own ``report/_generated``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis import paths


@dataclass(frozen=True)
class BuiltManuscript:
    root: Path  # temporary copy holding data/ and report/
    data_dir: Path
    generated: Path
    source: Path
    results: dict
    figures: list  # the figure manifest, figures/figures.json
    log: tuple[str, ...]


def copy_project(dest: Path) -> tuple[Path, Path]:
    """data/ and report/ (without its generated parts) copied under ``dest``."""
    data_dir = dest / "data"
    report = dest / "report"
    shutil.copytree(paths.DATA_DIR, data_dir)
    shutil.copytree(paths.REPORT_DIR, report, ignore=shutil.ignore_patterns("_generated", ".*"))
    return data_dir, report


@pytest.fixture(scope="session")
def manuscript_build(tmp_path_factory) -> BuiltManuscript:
    from analysis.build import FIGURES_DIR, FIGURES_MANIFEST, RESULTS_FILE, build

    root = tmp_path_factory.mktemp("manuscript")
    data_dir, report = copy_project(root)
    log: list[str] = []
    build(data_dir, report / "_generated", log=log.append)
    generated = report / "_generated"
    results = json.loads((generated / RESULTS_FILE).read_text(encoding="utf-8"))
    manifest = generated / FIGURES_DIR / FIGURES_MANIFEST
    figures = json.loads(manifest.read_text(encoding="utf-8"))
    return BuiltManuscript(
        root, data_dir, generated, report / "index.qmd", results, figures, tuple(log)
    )


@dataclass(frozen=True)
class RenderedManuscript:
    html: Path
    pdf: Path
    docx: Path


@pytest.fixture(scope="session")
def manuscript_render(manuscript_build, tmp_path_factory) -> RenderedManuscript:
    from analysis.render import render

    out = tmp_path_factory.mktemp("output")
    files = {p.suffix[1:]: p for p in render(manuscript_build.source, out, log=lambda _: None)}
    return RenderedManuscript(files["html"], files["pdf"], files["docx"])


def pytest_report_header(config):
    """Say which metafor reference cases the run compares with (tests/reference_cases.py)."""
    from tests.reference_cases import SHARED_REFERENCE

    return f"metafor reference cases: {SHARED_REFERENCE}"
