"""Saving figures: SVG (vector, text kept as text) and PNG (≥ 300 dpi), written atomically, and
the :class:`FigureFile` record the build and the templates use (paths, caption, alt text)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from analysis.figures.style import MM_PER_INCH, PNG_DPI, figure_style

SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
PNG_METADATA = {"Software": None}


@dataclass(frozen=True)
class FigureFile:
    """One saved figure: its files, caption and alternative text, and its size in mm."""

    stem: str
    svg: Path
    png: Path
    caption: str
    alt: str
    width_mm: float
    height_mm: float
    #: BibTeX keys the caption's first sentence cites (the manuscript adds the citation)
    cites: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready record; file names are relative to the output directory."""
        return {
            "stem": self.stem,
            "svg": self.svg.name,
            "png": self.png.name,
            "caption": self.caption,
            "alt": self.alt,
            "width_mm": round(self.width_mm, 1),
            "height_mm": round(self.height_mm, 1),
            "cites": list(self.cites),
        }


def _write_atomically(path: Path, write) -> None:
    """Write through a temporary file in the same directory, then rename it into place, so a
    failed save never leaves a half-written figure."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: the formats a figure is saved in: SVG for the HTML and the PDF, PNG for the DOCX
FORMATS = ("svg", "png")


def save_figure(
    fig: Figure,
    stem: str,
    out_dir,
    caption: str,
    alt: str,
    dpi: int = PNG_DPI,
    formats: tuple[str, ...] = FORMATS,
) -> FigureFile:
    """Save ``fig`` as ``<out_dir>/<stem>.svg`` and ``<stem>.png`` (``dpi`` ≥ 300), or only in
    the ``formats`` given; the record names both files either way."""
    if dpi < 300:
        raise ValueError(f"PNG resolution must be at least 300 dpi; got {dpi}")
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown figure format {sorted(unknown)}; choose from {FORMATS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    svg, png = out_dir / f"{stem}.svg", out_dir / f"{stem}.png"
    with figure_style():
        if "svg" in formats:
            _write_atomically(svg, lambda p: fig.savefig(p, format="svg", metadata=SVG_METADATA))
        if "png" in formats:
            _write_atomically(
                png, lambda p: fig.savefig(p, format="png", dpi=dpi, metadata=PNG_METADATA)
            )
    width_in, height_in = fig.get_size_inches()
    return FigureFile(
        stem=stem,
        svg=svg,
        png=png,
        caption=caption,
        alt=alt,
        width_mm=float(width_in * MM_PER_INCH),
        height_mm=float(height_in * MM_PER_INCH),
    )
