"""One look for every figure: font, sizes, colours, and the settings that make output
deterministic.

- One font family, DejaVu Sans (Debian ``fonts-dejavu-core``, installed by the Makefile), at
  7 pt for all text — the smallest size legible in print (journals ask for 6–8 pt at
  printed size); figures are drawn at the width they print at, so 7 pt stays 7 pt.
- Widths fit the manuscript's page: one column 84 mm, full text width 170 mm (A4 less the
  print stylesheet's 20 mm margins, report/styles/print.css); heights at most 234 mm.
- Risk-of-bias colours are robvis's "cochrane" palette, always paired with a symbol
  (+, −, ×, ?) so the judgment reads without colour (McGuinness & Higgins 2021, robvis,
  Res Synth Methods 12(1):55-61).
- SVG keeps text as text (``svg.fonttype = "none"``), uses a fixed hash salt for element ids and
  carries no date, so the same data give byte-identical files.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import lru_cache

import matplotlib
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import LoadFlags

from analysis import vocabulary

FONT_FAMILY = "DejaVu Sans"
#: fonts matplotlib falls back to, glyph by glyph, for characters DejaVu lacks (CJK: Debian
#: ``fonts-droid-fallback``, 7 MB, in tools/setup_env.py); see :func:`uncovered_characters`
FALLBACK_FONTS = ("Droid Sans Fallback",)


class _FallbackWeightNotice(logging.Filter):
    """Drops matplotlib's "findfont: Failed to find font weight bold for Droid Sans Fallback"
    notice: the fallback fonts have one weight, and bold labels fall back to it for the
    characters DejaVu lacks, as intended; the notice printed on every build that draws."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            message.startswith("findfont: Failed to find font weight")
            and any(name in message for name in FALLBACK_FONTS)
        )


logging.getLogger("matplotlib.font_manager").addFilter(_FallbackWeightNotice())

#: the smallest text size at printed size (pt); tests/test_figure_print_size.py checks it
MIN_PRINT_SIZE = 7.0
FONT_SIZE = 7.0
SMALL_SIZE = MIN_PRINT_SIZE
TITLE_SIZE = 7.5

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0
COLUMN_WIDTH_MM = 84.0
PAGE_WIDTH_MM = 170.0
MAX_HEIGHT_MM = 234.0

PNG_DPI = 300
#: wrapped lines are kept this fraction of their width: renderers' hinting moves glyphs ~1%
WRAP_SLACK = 0.98

INK = "#1a1a1a"
GREY = "#6e6e6e"
LIGHT_GREY = "#d9d9d9"
STUDY_COLOUR = "#3b5b92"
POOLED_COLOUR = "#1a1a1a"
PI_COLOUR = "#b2182b"
IMPUTED_COLOUR = "#b2182b"

#: RoB 2 judgments in display order, with robvis colours and the colour-free symbol.
ROB_JUDGMENTS = vocabulary.ROB_DISPLAY_JUDGEMENTS
ROB_COLOURS = {
    "low": "#02C100",
    "some concerns": "#E2DF07",
    "high": "#BF0000",
    "no information": "#4EA1F7",
}
ROB_SYMBOLS = {"low": "+", "some concerns": "\u2212", "high": "\u00d7", "no information": "?"}
ROB_LABELS = {
    **{code: j.label for code, j in vocabulary.ROB_JUDGEMENTS_TABLE.items()},
    "no information": "No information",
}
ROB_DOMAINS = vocabulary.ROB_DOMAINS
ROB_DOMAIN_NAMES = {
    **{code: d.label for code, d in vocabulary.ROB_DOMAINS_TABLE.items()},
    "overall": "Overall",
}

RC_PARAMS = {
    "font.family": [FONT_FAMILY, *FALLBACK_FONTS],  # per-glyph fallback (matplotlib >= 3.6)
    "font.sans-serif": [FONT_FAMILY, *FALLBACK_FONTS],
    "font.size": FONT_SIZE,
    "mathtext.fontset": "dejavusans",
    "axes.linewidth": 0.6,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": SMALL_SIZE,
    "ytick.labelsize": SMALL_SIZE,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "lines.linewidth": 0.8,
    "legend.fontsize": SMALL_SIZE,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "metabuild-figures",
    "svg.image_inline": True,
    "path.simplify": False,
}


@contextmanager
def figure_style():
    """Apply the project's rcParams while a figure is made or saved."""
    with matplotlib.rc_context(RC_PARAMS):
        yield


def mm(value_mm: float) -> float:
    """Millimetres to inches (matplotlib's figure unit)."""
    return value_mm / MM_PER_INCH


def new_figure(width_mm: float, height_mm: float) -> Figure:
    """A pyplot-free figure of the given size (no global state, nothing to close)."""
    return Figure(figsize=(mm(width_mm), mm(height_mm)))


def mm_canvas(width_mm: float, height_mm: float):
    """A figure and one axes spanning it, in millimetres from the top-left corner (y grows
    downwards), without axis lines: the canvas the table-like figures draw on."""
    fig = new_figure(width_mm, height_mm)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width_mm)
    ax.set_ylim(height_mm, 0)
    ax.set_axis_off()
    return fig, ax


@lru_cache(maxsize=8192)
def text_width_mm(text: str, size: float = FONT_SIZE, weight: str = "normal") -> float:
    """Width of one line of text set in the project font, in millimetres: the glyph advances
    with kerning, unhinted, as FreeType lays the line out (what Agg draws, independent of dpi)."""
    if not text:
        return 0.0
    font = get_font(findfont(FontProperties(family=FONT_FAMILY, weight=weight)))
    font.set_size(size, PT_PER_INCH)  # at 72 dpi one pixel is one point
    font.set_text(text, 0.0, flags=LoadFlags.NO_HINTING)
    width_pt = font.get_width_height()[0] / 64  # FreeType's 26.6 fixed point
    return width_pt * MM_PER_INCH / PT_PER_INCH


def line_height_mm(size: float = FONT_SIZE, spacing: float = 1.25) -> float:
    """Baseline-to-baseline distance for text of ``size`` points."""
    return size * spacing * MM_PER_INCH / PT_PER_INCH


def wrap_text(text: str, width_mm: float, size: float = FONT_SIZE, weight: str = "normal"):
    """Greedy word wrap to a measured width; a single word longer than the width is broken.
    Lines are kept to :data:`WRAP_SLACK` of the width."""
    width_mm *= WRAP_SLACK
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = word if not current else f"{current} {word}"
            if text_width_mm(candidate, size, weight) <= width_mm:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = word
            while text_width_mm(current, size, weight) > width_mm and len(current) > 1:
                cut = _longest_fitting_prefix(current, width_mm, size, weight)
                lines.append(current[:cut] + "-")
                current = current[cut:]
        lines.append(current)
    return lines


def _longest_fitting_prefix(word: str, width_mm: float, size: float, weight: str) -> int:
    """The most characters of ``word`` (at least 1, fewer than all) that fit ``width_mm`` with
    a hyphen: a binary search, widths growing with the prefix, so a label of thousands of
    characters is measured a few dozen times per line, not once per character."""
    lo, hi = 1, len(word) - 1  # word[:lo] is kept even when it does not fit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width_mm(word[:mid] + "-", size, weight) <= width_mm:
            lo = mid
        else:
            hi = mid - 1
    return lo


@lru_cache(maxsize=1)
def _covered_code_points() -> frozenset[int]:
    """Code points the figure font and the installed fallback fonts have glyphs for."""
    covered: set[int] = set()
    for family in (FONT_FAMILY, *FALLBACK_FONTS):
        try:
            path = findfont(FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue  # that fallback font is not installed
        covered |= set(get_font(path).get_charmap())
    return frozenset(covered)


def uncovered_characters(text: str) -> list[str]:
    """The characters of ``text`` that no figure font can draw (they would show as empty boxes
    in the PNG figures), e.g. emoji, or CJK without ``fonts-droid-fallback``."""
    covered = _covered_code_points()
    return sorted({ch for ch in str(text) if not ch.isspace() and ord(ch) not in covered})
