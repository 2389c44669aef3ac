"""Reading figures back for the figure tests: the SVG's text by element id, marker counts, and
text boxes measured by the Agg renderer (for overlap and clipping checks)."""

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ET

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from analysis.figures.output import SVG_METADATA
from analysis.figures.style import figure_style

SVG = "{http://www.w3.org/2000/svg}"


def svg_bytes(fig) -> bytes:
    buffer = io.BytesIO()
    with figure_style():
        fig.savefig(buffer, format="svg", metadata=SVG_METADATA)
    return buffer.getvalue()


def svg_root(fig) -> ET.Element:
    return ET.fromstring(svg_bytes(fig))


def texts_by_id(root: ET.Element) -> dict[str, str]:
    """id of each group holding text -> its text (lines joined by a space)."""
    out = {}
    for group in root.iter(f"{SVG}g"):
        gid = group.get("id")
        texts = [t.text or "" for t in group.findall(f"{SVG}text")]
        if gid and texts:
            out[gid] = " ".join(texts)
    return out


def all_texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def marker_count(root: ET.Element, gid: str) -> int:
    """Number of markers (``<use>`` elements) drawn by the collection with this id."""
    for group in root.iter(f"{SVG}g"):
        if group.get("id") == gid:
            return len(list(group.iter(f"{SVG}use")))
    return 0


def text_boxes(fig, dpi: int = 300):
    """(text, window extent) of every visible, non-empty text once the figure is drawn at
    ``dpi`` (at low resolution Agg snaps font sizes, which distorts text widths)."""
    with figure_style():
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        return [
            (t.get_text(), t.get_window_extent(renderer))
            for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip()
        ]


def overlapping_texts(fig, tolerance_px: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap by more than ``tolerance_px`` in both directions."""
    boxes = text_boxes(fig)
    pairs = []
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        dx = min(a.x1, b.x1) - max(a.x0, b.x0)
        dy = min(a.y1, b.y1) - max(a.y0, b.y0)
        if dx > tolerance_px and dy > tolerance_px:
            pairs.append((ta, tb))
    return pairs


def clipped_texts(fig, tolerance_px: float = 0.5) -> list[str]:
    """Texts that reach beyond the figure's edges."""
    width, height = fig.bbox.width, fig.bbox.height
    return [
        text
        for text, box in text_boxes(fig)
        if box.x0 < -tolerance_px
        or box.y0 < -tolerance_px
        or box.x1 > width + tolerance_px
        or box.y1 > height + tolerance_px
    ]
