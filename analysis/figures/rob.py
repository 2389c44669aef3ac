"""RoB 2 risk-of-bias figures as robvis draws them: the traffic-light plot (studies × D1–D5 and
overall) and the summary bar plot (share of studies per judgment in each domain, optionally
weighted).

Input: the ``risk_of_bias`` list of results.json, entries ``{study_id, label, outcome, d1 … d5,
overall}`` with judgments "low" | "some concerns" | "high" (and "no information" where a domain
could not be judged). ``outcome`` null means the entry applies to every outcome; for a given
outcome an outcome-specific entry takes precedence.

Judgments are shown by colour and by symbol (+ low, − some concerns, × high, ? no
information), so the plots read without colour vision.

SVG ids: ``rob-label-<i>`` (study rows), ``rob-<i>-<domain>`` (judgment symbols),
``summary-<domain>-<judgment>`` (bar percentages).

References
----------
Sterne JAC, Savović J, Page MJ, et al. (2019). RoB 2: a revised tool for assessing risk of bias
in randomised trials. BMJ 366:l4898.
McGuinness LA, Higgins JPT (2021). Risk-of-bias VISualization (robvis): an R package and Shiny
web app for visualizing risk-of-bias assessments. Res Synth Methods 12(1):55-61.
"""

from __future__ import annotations

import itertools

from matplotlib.patches import Patch

from analysis.figures.style import (
    FONT_SIZE,
    GREY,
    INK,
    LIGHT_GREY,
    MAX_HEIGHT_MM,
    PAGE_WIDTH_MM,
    ROB_COLOURS,
    ROB_DOMAIN_NAMES,
    ROB_DOMAINS,
    ROB_JUDGMENTS,
    ROB_LABELS,
    ROB_SYMBOLS,
    SMALL_SIZE,
    WRAP_SLACK,
    figure_style,
    line_height_mm,
    mm_canvas,
    new_figure,
    text_width_mm,
    wrap_text,
)
from analysis.text import fmt_num

COLUMNS = (*ROB_DOMAINS, "overall")
CELL_MM = 7.0
ROW_MM = 5.6
MIN_ROW_MM = 4.2
DOT_MM = 4.6
KEY_DOT_MM = 3.4
MARGIN_MM = 2.0
MAX_LABEL_MM = 60.0
PT_PER_MM = 72 / 25.4


def rob_for_outcome(rob: list[dict] | None, outcome_id: str | None) -> dict[str, dict]:
    """study_id -> RoB 2 entry for this outcome: the outcome-specific entry where there is one,
    otherwise the entry that applies to all outcomes (``outcome`` null)."""
    chosen: dict[str, dict] = {}
    for entry in rob or []:
        if entry.get("outcome") in (None, ""):
            chosen.setdefault(entry["study_id"], entry)
    for entry in rob or []:
        if outcome_id is not None and entry.get("outcome") == outcome_id:
            chosen[entry["study_id"]] = entry
    return chosen


def _entries(rob: list[dict], outcome: str | None) -> list[dict]:
    """The entries to plot, in the order studies first appear, each checked."""
    chosen = rob_for_outcome(rob, outcome)
    order = list(dict.fromkeys(e["study_id"] for e in rob if e["study_id"] in chosen))
    entries = [chosen[s] for s in order]
    for entry in entries:
        for column in COLUMNS:
            if entry.get(column) not in ROB_JUDGMENTS:
                raise ValueError(
                    f"risk of bias for study {entry['study_id']!r}, {column}: "
                    f"{entry.get(column)!r} — expected one of {', '.join(ROB_JUDGMENTS)}"
                )
    if not entries:
        raise ValueError("no risk-of-bias judgments to plot")
    return entries


def _dot(ax, x, y, judgment, size, gid=None, diameter=DOT_MM):
    ax.scatter(
        [x],
        [y],
        s=(diameter * PT_PER_MM) ** 2,
        color=ROB_COLOURS[judgment],
        edgecolors=INK,
        linewidths=0.4,
        zorder=3,
    )
    ax.text(
        x,
        y,
        ROB_SYMBOLS[judgment],
        ha="center",
        va="center_baseline",
        fontsize=size,
        fontweight="bold",
        color=INK,
        zorder=4,
        gid=gid,
    )


def traffic_light_plot(rob: list[dict], *, outcome: str | None = None, settings=None):
    """RoB 2 traffic-light plot: one row per study, columns D1–D5 and overall; legend naming
    each domain and judgment below."""
    entries = _entries(rob, outcome)
    size, small = FONT_SIZE, SMALL_SIZE
    line = line_height_mm(size, 1.15)
    label_need = max(text_width_mm(e["label"], size) for e in entries) / WRAP_SLACK
    label_w = min(max(label_need, text_width_mm("Study", size, "bold")), MAX_LABEL_MM)
    labels = [wrap_text(e["label"], label_w, size) for e in entries]
    # the overall column is as wide as its header needs (robvis's "Overall" would run into D5)
    overall_w = max(CELL_MM, text_width_mm("Overall", small, "bold") + 1.2)
    widths = [CELL_MM] * len(ROB_DOMAINS) + [overall_w]
    edges = [0.0, *itertools.accumulate(widths)]
    centres = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    grid_w = edges[-1]
    legend_lines = [f"{d.upper()}: {ROB_DOMAIN_NAMES[d]}" for d in ROB_DOMAINS]
    legend_w = max(text_width_mm(t, small) for t in legend_lines) + 4
    judgments = [j for j in ROB_JUDGMENTS if any(e[c] == j for e in entries for c in COLUMNS)]
    key_w = max(text_width_mm(ROB_LABELS[j], small) for j in judgments) + KEY_DOT_MM + 2
    width = max(label_w + grid_w + 2 * MARGIN_MM + 3, legend_w + key_w + 2 * MARGIN_MM)
    width = min(width, PAGE_WIDTH_MM)
    header_h = 2 * line + 1.0
    key_pitch = max(line_height_mm(small, 1.3), KEY_DOT_MM + 0.6)
    legend_h = max(len(ROB_DOMAINS) * line_height_mm(small, 1.3), len(judgments) * key_pitch)
    legend_h += line_height_mm(small, 1.3) + 2
    fixed_h = 2 * MARGIN_MM + header_h + 3 + legend_h
    # many studies: rows shrink (down to MIN_ROW_MM) so the plot stays within a page
    row_mm = min(ROW_MM, max(MIN_ROW_MM, (MAX_HEIGHT_MM - fixed_h) / len(entries)))
    dot_mm = min(DOT_MM, row_mm - 1.0)
    heights = [max(row_mm, len(lines) * line + 1.2) for lines in labels]
    height = fixed_h + sum(heights)

    with figure_style():
        fig, ax = mm_canvas(width, height)
        x_label = MARGIN_MM
        x_grid = x_label + label_w + 3
        top = MARGIN_MM + header_h
        ax.text(
            x_grid + edges[-2] / 2,
            MARGIN_MM + line / 2,
            "Risk of bias domains",
            ha="center",
            va="center",
            fontweight="bold",
        )
        ax.text(x_label, top - line / 2 - 0.5, "Study", va="center", fontweight="bold")
        for n, column in enumerate(COLUMNS):
            name = "Overall" if column == "overall" else column.upper()
            ax.text(
                x_grid + centres[n],
                top - line / 2 - 0.5,
                name,
                ha="center",
                va="center",
                fontweight="bold",
                fontsize=small if column == "overall" else size,
            )
        y = top
        ax.plot([x_label, x_grid + grid_w], [y, y], color=INK, lw=0.6)
        for i, (entry, lines, h) in enumerate(zip(entries, labels, heights, strict=True)):
            centre = y + h / 2
            first = centre - (len(lines) - 1) * line / 2
            for n, text in enumerate(lines):
                ax.text(
                    x_label,
                    first + n * line,
                    text,
                    va="center",
                    parse_math=False,
                    gid=f"rob-label-{i}" if n == 0 else f"rob-label-{i}-{n}",
                )
            for n, column in enumerate(COLUMNS):
                _dot(
                    ax,
                    x_grid + centres[n],
                    centre,
                    entry[column],
                    size,
                    gid=f"rob-{i}-{column}",
                    diameter=dot_mm,
                )
            y += h
            ax.plot([x_label, x_grid + grid_w], [y, y], color=LIGHT_GREY, lw=0.4, zorder=1)
        for edge in edges:
            ax.plot([x_grid + edge] * 2, [top, y], color=LIGHT_GREY, lw=0.4, zorder=1)
        ax.plot([x_grid + edges[-2]] * 2, [top, y], color=GREY, lw=0.6, zorder=1)

        # legend: domains on the left, judgments on the right
        small_line = line_height_mm(small, 1.3)
        ly = y + 3 + small_line / 2
        ax.text(MARGIN_MM, ly, "Domains:", fontsize=small, fontweight="bold", va="center")
        for n, text in enumerate(legend_lines):
            ax.text(MARGIN_MM, ly + (n + 1) * small_line, text, fontsize=small, va="center")
        kx = MARGIN_MM + legend_w
        ax.text(kx, ly, "Judgement", fontsize=small, fontweight="bold", va="center")
        for n, judgment in enumerate(judgments):
            yy = ly + small_line / 2 + (n + 0.5) * key_pitch + 0.3
            _dot(ax, kx + KEY_DOT_MM / 2, yy, judgment, small, diameter=KEY_DOT_MM)
            ax.text(kx + KEY_DOT_MM + 1.5, yy, ROB_LABELS[judgment], fontsize=small, va="center")
    return fig


def judgment_shares(entries: list[dict], weights: dict | None = None) -> dict[str, dict]:
    """Percentage of studies (or of total weight) per judgment in each domain and overall.

    ``weights`` maps study_id to a weight (e.g. the meta-analysis weights); studies without a
    weight count 0. Returns ``{column: {judgment: percent}}``.
    """
    shares = {}
    for column in COLUMNS:
        w = [1.0 if weights is None else float(weights.get(e["study_id"], 0.0)) for e in entries]
        total = sum(w)
        if total <= 0:
            raise ValueError("risk-of-bias summary weights sum to zero")
        shares[column] = {
            j: 100 * sum(wi for wi, e in zip(w, entries, strict=True) if e[column] == j) / total
            for j in ROB_JUDGMENTS
        }
    return shares


def summary_plot(
    rob: list[dict], *, outcome: str | None = None, weights: dict | None = None, settings=None
):
    """RoB 2 summary bar plot: for each domain and overall, the percentage of studies (or of
    the weight, with ``weights``) judged low, some concerns, high."""
    entries = _entries(rob, outcome)
    shares = judgment_shares(entries, weights)
    size, small = FONT_SIZE, SMALL_SIZE
    names = [ROB_DOMAIN_NAMES[c] if c != "overall" else "Overall risk of bias" for c in COLUMNS]
    label_w = max(text_width_mm(n, size, "bold") for n in names) + 2
    width = PAGE_WIDTH_MM
    bar_h, gap = 4.6, 1.8
    legend_h = 4.0
    axis_h = 7.0
    height = MARGIN_MM + legend_h + len(COLUMNS) * (bar_h + gap) + axis_h + MARGIN_MM
    judgments = [j for j in ROB_JUDGMENTS if any(shares[c][j] > 0 for c in COLUMNS)]
    with figure_style():
        fig = new_figure(width, height)
        left = (MARGIN_MM + label_w) / width
        bottom = axis_h / height
        ax = fig.add_axes(
            (
                left,
                bottom,
                1 - left - 5.0 / width,
                (len(COLUMNS) * (bar_h + gap)) / height,
            )
        )
        ax.set_xlim(0, 100)
        ax.set_ylim(len(COLUMNS) - 0.5, -0.5)
        ticks = [0, 25, 50, 75, 100]
        ax.set_xticks(ticks, [f"{fmt_num(t, 0)}%" for t in ticks])
        ax.set_yticks(range(len(COLUMNS)), names)
        for tick, column in zip(ax.get_yticklabels(), COLUMNS, strict=True):
            tick.set_fontsize(size)
            tick.set_fontweight("bold" if column == "overall" else "normal")
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        height_frac = bar_h / (bar_h + gap)
        for row, column in enumerate(COLUMNS):
            start = 0.0
            for judgment in judgments:
                share = shares[column][judgment]
                if share <= 0:
                    continue
                ax.barh(
                    row,
                    share,
                    left=start,
                    height=height_frac,
                    color=ROB_COLOURS[judgment],
                    edgecolor=INK,
                    linewidth=0.4,
                )
                if share >= 6:
                    ax.text(
                        start + share / 2,
                        row,
                        f"{fmt_num(share, 0)}%",
                        ha="center",
                        va="center",
                        fontsize=small,
                        color="white" if judgment == "high" else INK,
                        gid=f"summary-{column}-{judgment.replace(' ', '-')}",
                    )
                start += share
        handles = [
            Patch(facecolor=ROB_COLOURS[j], edgecolor=INK, linewidth=0.4, label=ROB_LABELS[j])
            for j in judgments
        ]
        fig.legend(
            handles=handles,
            loc="upper center",
            ncols=len(judgments),
            bbox_to_anchor=(left + (1 - left) / 2, 1 - MARGIN_MM / height / 2),
            handlelength=1.2,
            columnspacing=2.0,
            fontsize=small,
        )
    return fig


def rob_caption(kind: str, entries_count: int, outcome_label: str | None = None, weighted=False):
    """(caption, alt text) of the traffic-light (``kind="traffic"``) or summary plot."""
    scope = f" for {outcome_label}" if outcome_label else ""
    if kind == "traffic":
        caption = (
            f"Risk of bias (RoB 2) of the {entries_count} included trials{scope}: judgment per "
            "domain (D1 randomisation process, D2 deviations from intended interventions, D3 "
            "missing outcome data, D4 measurement of the outcome, D5 selection of the reported "
            "result) and overall. + low risk, − some concerns, × high risk."
        )
        alt = (
            f"Traffic-light table of risk-of-bias judgments for {entries_count} trials across "
            "five RoB 2 domains and overall, each shown as a coloured circle with a symbol."
        )
    else:
        basis = "weight in the meta-analysis" if weighted else "number of trials"
        caption = (
            f"Risk of bias (RoB 2) summary{scope}: percentage of trials judged at low risk, some "
            f"concerns or high risk in each domain and overall (by {basis}, "
            f"{entries_count} trials)."
        )
        alt = (
            "Stacked horizontal bar chart with one bar per RoB 2 domain and one for overall risk "
            "of bias, showing the percentage of trials at low risk, some concerns and high risk."
        )
    return caption, alt
