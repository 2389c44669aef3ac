"""PRISMA 2020 flow diagram for new systematic reviews (databases and registers, and other
methods when the review used them), laid out as the official template.

Input: the validated ``prisma`` dict of results.json (the shape of ``data/prisma.yml``):
``identification`` {databases, registers, removed_before_screening{duplicates, automation,
other}}, ``screening`` {screened, excluded}, ``retrieval`` {sought, not_retrieved},
``eligibility`` {assessed, excluded{reason: n}}, ``included`` {studies, reports} and optionally
``other_methods`` {identified{source: n}, sought, not_retrieved, assessed, excluded{reason: n}}.

Every count is printed as "(n = N)" and kept on one line with its label's end. SVG ids:
``prisma-<item>`` for the first line of each counted item and ``prisma-<item>--<n>`` for its
continuation lines (items: databases, database-<i>, registers, register-<i>, duplicates,
automation, removed-other, screened, screen-excluded, sought, not-retrieved, assessed,
reason-<i>, studies, reports, other-<i>, other-sought, other-not-retrieved, other-assessed,
other-reason-<i>).

References
----------
Page MJ, McKenzie JE, Bossuyt PM, et al. (2021). The PRISMA 2020 statement: an updated guideline
for reporting systematic reviews. BMJ 372:n71 (Figure 1, flow diagram template).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from matplotlib.patches import FancyBboxPatch

from analysis.figures.style import (
    FONT_SIZE,
    INK,
    PAGE_WIDTH_MM,
    figure_style,
    line_height_mm,
    mm_canvas,
    text_width_mm,
    wrap_text,
)
from analysis.text import fmt_num

NBSP = "\u00a0"
HEADER_MAIN = "#F2C14E"  # the template's gold header for databases and registers
HEADER_OTHER = "#D9D9D9"  # its grey header for other methods
PHASE_FILL = "#A9CCE3"  # its light-blue phase labels
MARGIN_MM = 2.0
PHASE_W_MM = 6.5
GAP_X_MM = 5.0
GAP_Y_MM = 5.5
PAD_MM = 1.6
INDENT_MM = 3.0
HEADER_H_MM = 9.0
#: phase labels down the left side: (text, first row, last row)
PHASES = (("Identification", 0, 0), ("Screening", 1, 3), ("Included", 4, 4))


@dataclass
class Line:
    text: str
    gid: str | None = None
    indent: int = 0
    bold: bool = False


@dataclass
class Box:
    col: int
    row: int
    lines: list[Line]
    centred: bool = False
    rendered: list = field(default_factory=list)  # (text, gid, indent, bold)


def _n(count) -> str:
    """ "(n = 412)" with non-breaking spaces, so wrapping never splits it."""
    return f"(n{NBSP}={NBSP}{fmt_num(count, 0)})"


def _counted(label: str, count, gid: str, indent: int = 0) -> Line:
    return Line(f"{label} {_n(count)}", gid, indent)


def _boxes(prisma: dict) -> list[Box]:
    ident = prisma["identification"]
    databases = ident.get("databases") or {}
    registers = ident.get("registers") or {}
    removed = ident.get("removed_before_screening") or {}
    screening, retrieval = prisma["screening"], prisma["retrieval"]
    eligibility, included = prisma["eligibility"], prisma["included"]
    identified = [Line("Records identified from:", bold=True)]
    identified.append(_counted("Databases", sum(databases.values()), "databases"))
    identified += [
        _counted(name, n, f"database-{i}", indent=1)
        for i, (name, n) in enumerate(databases.items())
    ]
    identified.append(_counted("Registers", sum(registers.values()), "registers"))
    identified += [
        _counted(name, n, f"register-{i}", indent=1)
        for i, (name, n) in enumerate(registers.items())
    ]
    removed_lines = [
        Line("Records removed before screening:", bold=True),
        _counted("Duplicate records removed", removed.get("duplicates", 0), "duplicates", 1),
        _counted(
            "Records marked as ineligible by automation tools",
            removed.get("automation", 0),
            "automation",
            1,
        ),
        _counted("Records removed for other reasons", removed.get("other", 0), "removed-other", 1),
    ]
    reasons = [Line("Reports excluded:", bold=True)] + [
        _counted(reason, n, f"reason-{i}", 1)
        for i, (reason, n) in enumerate((eligibility.get("excluded") or {}).items())
    ]
    boxes = [
        Box(0, 0, identified),
        Box(1, 0, removed_lines),
        Box(0, 1, [_counted("Records screened", screening["screened"], "screened")], True),
        Box(1, 1, [_counted("Records excluded", screening["excluded"], "screen-excluded")], True),
        Box(0, 2, [_counted("Reports sought for retrieval", retrieval["sought"], "sought")], True),
        Box(
            1,
            2,
            [_counted("Reports not retrieved", retrieval["not_retrieved"], "not-retrieved")],
            True,
        ),
        Box(
            0,
            3,
            [_counted("Reports assessed for eligibility", eligibility["assessed"], "assessed")],
            True,
        ),
        Box(1, 3, reasons),
        Box(
            0,
            4,
            [
                _counted("Studies included in review", included["studies"], "studies"),
                _counted("Reports of included studies", included["reports"], "reports"),
            ],
            True,
        ),
    ]
    other = prisma.get("other_methods")
    if other:
        boxes += [
            Box(
                2,
                0,
                [Line("Records identified from:", bold=True)]
                + [
                    _counted(source, n, f"other-{i}", 1)
                    for i, (source, n) in enumerate((other.get("identified") or {}).items())
                ],
            ),
            Box(
                2,
                2,
                [_counted("Reports sought for retrieval", other["sought"], "other-sought")],
                True,
            ),
            Box(
                3,
                2,
                [_counted("Reports not retrieved", other["not_retrieved"], "other-not-retrieved")],
                True,
            ),
            Box(
                2,
                3,
                [_counted("Reports assessed for eligibility", other["assessed"], "other-assessed")],
                True,
            ),
            Box(
                3,
                3,
                [Line("Reports excluded:", bold=True)]
                + [
                    _counted(reason, n, f"other-reason-{i}", 1)
                    for i, (reason, n) in enumerate((other.get("excluded") or {}).items())
                ],
            ),
        ]
    return boxes


def prisma_flow(prisma: dict, *, settings: dict | None = None):
    """PRISMA 2020 flow diagram of ``prisma`` (see the module docstring)."""
    settings = settings or {}
    boxes = _boxes(prisma)
    has_other = bool(prisma.get("other_methods"))
    width = settings.get("width_mm", PAGE_WIDTH_MM)
    size = FONT_SIZE - (0.5 if has_other else 0.0)
    line = line_height_mm(size, 1.2)
    n_cols = 4 if has_other else 2
    shares = (0.23, 0.27, 0.23, 0.27) if has_other else (0.46, 0.54)
    x0 = MARGIN_MM + PHASE_W_MM + GAP_X_MM
    free = width - x0 - MARGIN_MM - (n_cols - 1) * GAP_X_MM
    col_w = [free * s / sum(shares) for s in shares]
    col_x = [x0 + sum(col_w[:c]) + c * GAP_X_MM for c in range(n_cols)]

    for box in boxes:
        inner = col_w[box.col] - 2 * PAD_MM
        for item in box.lines:
            wrapped = wrap_text(
                item.text, inner - item.indent * INDENT_MM, size, "bold" if item.bold else "normal"
            )
            for n, text in enumerate(wrapped):
                gid = None if item.gid is None else f"prisma-{item.gid}" + (f"--{n}" if n else "")
                box.rendered.append((text.replace(NBSP, " "), gid, item.indent, item.bold))
    n_rows = 5
    row_h = [
        max([len(b.rendered) * line + 2 * PAD_MM for b in boxes if b.row == r] + [3 * line])
        for r in range(n_rows)
    ]
    for text, r0, r1 in PHASES:  # a phase label must fit along its rows
        need = text_width_mm(text, size, "bold") + 2 * PAD_MM - (r1 - r0) * GAP_Y_MM
        short = need - sum(row_h[r0 : r1 + 1])
        if short > 0:
            row_h[r1] += short
    top = MARGIN_MM + HEADER_H_MM + GAP_Y_MM
    row_y = [top + sum(row_h[:r]) + r * GAP_Y_MM for r in range(n_rows)]
    height = row_y[-1] + row_h[-1] + MARGIN_MM

    with figure_style():
        fig, ax = mm_canvas(width, height)

        def rect(x, y, w, h, fill="white", rounded=False):
            style = "round,pad=0,rounding_size=1.5" if rounded else "square,pad=0"
            ax.add_patch(
                FancyBboxPatch(
                    (x, y), w, h, boxstyle=style, facecolor=fill, edgecolor=INK, linewidth=0.6
                )
            )

        def arrow(points):
            for (xa, ya), (xb, yb) in pairwise(points[:-1]):
                ax.plot([xa, xb], [ya, yb], color=INK, lw=0.7, solid_capstyle="butt")
            ax.annotate(
                "",
                xy=points[-1],
                xytext=points[-2],
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": INK,
                    "lw": 0.7,
                    "shrinkA": 0,
                    "shrinkB": 0,
                    "mutation_scale": 6,
                },
            )

        # headers and phase labels
        headers = [("Identification of studies via databases and registers", 0, 1, HEADER_MAIN)]
        if has_other:
            headers.append(("Identification of studies via other methods", 2, 3, HEADER_OTHER))
        for text, c0, c1, fill in headers:
            x, w = col_x[c0], col_x[c1] + col_w[c1] - col_x[c0]
            rect(x, MARGIN_MM, w, HEADER_H_MM, fill, rounded=True)
            parts = wrap_text(text, w - 2 * PAD_MM, size, "bold")
            for n, part in enumerate(parts):
                y = MARGIN_MM + HEADER_H_MM / 2 + (n - (len(parts) - 1) / 2) * line
                ax.text(
                    x + w / 2, y, part, ha="center", va="center", fontsize=size, fontweight="bold"
                )
        for text, r0, r1 in PHASES:
            y, h = row_y[r0], row_y[r1] + row_h[r1] - row_y[r0]
            rect(MARGIN_MM, y, PHASE_W_MM, h, PHASE_FILL, rounded=True)
            ax.text(
                MARGIN_MM + PHASE_W_MM / 2,
                y + h / 2,
                text,
                rotation=90,
                ha="center",
                va="center",
                fontsize=size,
                fontweight="bold",
            )

        # boxes
        placed = {}
        for box in boxes:
            x, y, w = col_x[box.col], row_y[box.row], col_w[box.col]
            h = row_h[box.row]
            rect(x, y, w, h)
            placed[(box.col, box.row)] = (x, y, w, h)
            first = y + h / 2 - (len(box.rendered) - 1) * line / 2
            for n, (text, gid, indent, bold) in enumerate(box.rendered):
                tx = x + w / 2 if box.centred else x + PAD_MM + indent * INDENT_MM
                ax.text(
                    tx,
                    first + n * line,
                    text,
                    ha="center" if box.centred else "left",
                    va="center",
                    fontsize=size,
                    fontweight="bold" if bold else "normal",
                    gid=gid,
                    parse_math=False,
                )

        # arrows: down the main columns, right into the side boxes
        for c in (0, 2):
            rows = sorted(r for (cc, r) in placed if cc == c)
            for ra, rb in pairwise(rows):
                xa, ya, wa, ha = placed[(c, ra)]
                arrow([(xa + wa / 2, ya + ha), (xa + wa / 2, placed[(c, rb)][1])])
            for r in rows:
                if (c + 1, r) in placed:
                    xa, ya, wa, ha = placed[(c, r)]
                    arrow([(xa + wa, ya + ha / 2), (placed[(c + 1, r)][0], ya + ha / 2)])
        if has_other:
            xa, ya, wa, ha = placed[(2, 3)]
            xi, yi, wi, hi = placed[(0, 4)]
            arrow([(xa + wa / 2, ya + ha), (xa + wa / 2, yi + hi / 2), (xi + wi, yi + hi / 2)])
    return fig


#: what the flow diagram's caption cites (report/references.bib): the PRISMA 2020 statement
PRISMA_CITES = ("page2021",)


def prisma_caption(prisma: dict) -> tuple[str, str]:
    """(caption, alt text) of the flow diagram, with the key counts."""
    included = prisma["included"]
    ident = prisma["identification"]
    records = sum((ident.get("databases") or {}).values()) + sum(
        (ident.get("registers") or {}).values()
    )
    caption = "PRISMA 2020 flow diagram of the search and selection of studies."
    alt = (
        f"Flow diagram: {fmt_num(records, 0)} records identified from databases and registers, "
        f"{fmt_num(prisma['screening']['screened'], 0)} screened, "
        f"{fmt_num(prisma['eligibility']['assessed'], 0)} reports assessed for eligibility, "
        f"{fmt_num(included['studies'], 0)} studies ({fmt_num(included['reports'], 0)} reports) "
        "included."
    )
    if prisma.get("other_methods"):
        other = sum((prisma["other_methods"].get("identified") or {}).values())
        alt += f" A further {fmt_num(other, 0)} records came from other methods."
    return caption, alt
