"""The options several commands share, defined once: the same name, metavar, default and
wording wherever they appear (``check``, ``build``, ``render``, ``watch``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import paths
from analysis.errors import AnalysisError

#: the formats a render can write (and a build can make figure files for)
FORMATS = ("html", "pdf", "docx")


def add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=paths.DATA_DIR,
        metavar="DIR",
        help="the data folder of the review (default: data/)",
    )


def add_generated(parser: argparse.ArgumentParser) -> None:
    """The build's output folder, which the manuscript source includes."""
    parser.add_argument(
        "--generated",
        type=Path,
        default=paths.GENERATED_DIR,
        metavar="DIR",
        help="the build's output folder (default: report/_generated/)",
    )


def add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        type=Path,
        default=paths.MANUSCRIPT_SOURCE,
        metavar="FILE",
        help="the manuscript source (default: report/index.qmd)",
    )


def add_output(parser: argparse.ArgumentParser) -> None:
    """The rendered manuscript's folder (``--out`` of ``render`` and ``watch``)."""
    parser.add_argument(
        "--out",
        type=Path,
        default=paths.MANUSCRIPT_OUTPUT_DIR,
        metavar="DIR",
        help="the output folder (default: _output/report/, where `quarto render` writes too)",
    )


def add_formats(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--formats",
        default=",".join(FORMATS),
        metavar="LIST",
        help="comma-separated subset of html,pdf,docx (default: all three; a build makes the "
        "figure files these formats show: PNGs only for docx)",
    )


def add_show_changes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--show-changes",
        action="store_true",
        help='show the change report in the HTML as a "Changes since the version of DATE" box '
        "(leave it out for a submission build)",
    )


def formats_option(value: str) -> tuple[str, ...]:
    """The formats named by ``--formats``; an unknown one is an AnalysisError naming it."""
    formats = tuple(f.strip() for f in value.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise AnalysisError(
            f"unknown format {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    return formats
