"""Session-wide fixtures: the example manuscript built and rendered once per test session.

The tests never read the user's ``data/``: after a reviewer replaces it with their own review,
the suite still passes (``make check`` validates their data). They use the example reviews the
repository ships under ``examples/`` instead: :data:`MSCS_EXAMPLE` (the synthetic example that
``data/`` holds on a fresh clone) and :data:`BCG_EXAMPLE` (real trial counts).

``manuscript_build`` copies ``report/`` (sources, styles, filter) and the MSCS example into a
temporary folder and runs the build there; ``manuscript_render`` renders that copy to HTML, PDF
and DOCX. Tests read these outputs; none of them touches the repository's own
``report/_generated``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis import paths

EXAMPLES_DIR = paths.ROOT / "examples"
#: the synthetic MSCS-in-SLE example (a copy of what data/ ships with)
MSCS_EXAMPLE = EXAMPLES_DIR / "mscs-sle"
#: BCG vaccine trials (Colditz et al. 1994): real counts, illustrative surroundings
BCG_EXAMPLE = EXAMPLES_DIR / "bcg-vaccine"
#: where the MSCS example's generator may live (it is moving from data/ to tools/)
GENERATOR_PLACES = ("tools/make_example.py", "data/make_example.py")


def example_generator() -> Path:
    """The script that writes the MSCS example's four tables."""
    for place in GENERATOR_PLACES:
        if (paths.ROOT / place).is_file():
            return paths.ROOT / place
    raise AssertionError(f"the example generator is in none of {', '.join(GENERATOR_PLACES)}")


@dataclass(frozen=True)
class BuiltManuscript:
    root: Path  # temporary copy holding data/ and report/
    data_dir: Path
    generated: Path
    source: Path
    results: dict
    figures: list  # the figure manifest, figures/figures.json
    log: tuple[str, ...]


def copy_project(dest: Path, review: Path = MSCS_EXAMPLE) -> tuple[Path, Path]:
    """A review folder (as ``data/``) and report/ (without its generated parts) copied under
    ``dest``."""
    data_dir = dest / "data"
    report = dest / "report"
    shutil.copytree(review, data_dir)
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
