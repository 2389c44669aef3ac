"""Forest plot in the layout of RevMan 5 and R meta's ``forest.meta``.

Columns, left to right: study label; per arm mean, SD and N (continuous) or events and N
(binary); the plot (squares with area proportional to the weight, CI whiskers ending in arrows
where they leave the axis, the pooled diamond, the prediction interval as a bar); the effect with
its CI as text; the weight (%); optionally the RoB 2 judgments as coloured dots with symbols.
Footer: heterogeneity (tau², I², Q, df, p), the test for the overall effect and, with subgroups,
the test for subgroup differences.

Input: one outcome dict of ``results.json`` (``id``, ``label``, ``measure``, ``lower_is_better``,
``studies``, ``pooled`` and optionally ``subgroups``). Per-study intervals are
``yi ± z·√vi`` (the study dict's ``ci_lower``/``ci_upper``), pooled values come from ``pooled``
(``analysis.public.pooled_to_public``). Ratio measures are drawn on a log axis with
back-transformed labels.

Subgroup analysis shape (analysis scale, like ``pooled``; one entry of the outcome's
``subgroup_analyses``, or the outcome's ``subgroups``)::

    {"variable": "setting",
     "levels": {"Community": {"k": 4, "estimate": -0.8, "ci_lower": -1.2, "ci_upper": -0.4,
                             "tau2": 0.1, "i2": 40.0, "q": 5.1, "q_df": 3, "q_pval": 0.16,
                             "studies": [0, 2, 5, 7]}, ...},
     "q_between": 3.2, "q_between_df": 1, "q_between_pval": 0.07, "test_note": null}

A level names its studies by position in ``studies`` (``studies``) or by ``study_ids``; ``q``,
``q_df``, ``q_pval`` are optional. When ``q_between`` is null, ``test_note`` says why.

Every printed number goes through :mod:`analysis.text`. Texts carry SVG ids (``gid``) so tests
can read them back: ``study-label-<i>``, ``study-effect-<i>``, ``study-weight-<i>``,
``study-<col>-<i>`` for arm columns, ``pooled-effect``, ``pi-effect``, ``subgroup-<j>-effect``,
``footer-heterogeneity``, ``footer-overall``, ``footer-subgroups``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from analysis import vocabulary
from analysis.figures.rob import rob_for_outcome
from analysis.figures.scale import (
    MEASURE_NAMES,
    MEASURE_PHRASES,
    METHOD_NAMES,
    display,
    effect_axis,
    is_ratio,
)
from analysis.figures.style import (
    FONT_SIZE,
    GREY,
    INK,
    LIGHT_GREY,
    MAX_HEIGHT_MM,
    PAGE_WIDTH_MM,
    PI_COLOUR,
    POOLED_COLOUR,
    ROB_COLOURS,
    ROB_DOMAIN_NAMES,
    ROB_DOMAINS,
    ROB_SYMBOLS,
    SMALL_SIZE,
    STUDY_COLOUR,
    WRAP_SLACK,
    figure_style,
    line_height_mm,
    mm_canvas,
    text_width_mm,
    wrap_text,
)
from analysis.text import column_name, fmt_ci_brackets, fmt_num, fmt_p, lower_first, respell

#: the arm labels are the review's words (review.yml ``vocabulary``: ``intervention_arm`` and
#: ``comparator_arm``, passed by :func:`analysis.figures.make_figures`); these neutral words
#: stand in only when a caller gives none
DEFAULT_SETTINGS = {
    "experimental_label": "Intervention",
    "control_label": "Comparator",
    "digits": 2,
    "arm_digits": None,
    "width_mm": PAGE_WIDTH_MM,
    "prediction_interval": True,
    "xlim": None,
    "language": vocabulary.LANGUAGES[0],  # the spelling of "Favours" (review.yml language)
}
ROW_MM = 3.7
COL_GAP_MM = 2.0
GROUP_GAP_MM = 1.5
MARGIN_MM = 2.0
MIN_PLOT_MM = 36.0
MIN_LABEL_MM = 18.0
ROB_COL_MM = 4.4  # a 7 pt "D1"…"D5" heading per column without overlap
#: rows whose labels size the label column (group and prediction-interval rows have no arm
#: cells, so their labels may run across the arm columns)
IN_LABEL_COLUMN = ("study", "subtotal", "total")
NBSP = "\u00a0"
#: superscript letters marking studies whose arm data were derived from other statistics
NOTE_MARKS = "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"
TICK_SPACING_MM = 7.0  # at least this much axis per labelled tick
PAGE_OVERHEAD_MM = 50.0  # headers, axis, footer: what a forest plot needs besides its rows
MAX_SQUARE_MM = 2.8
MIN_SQUARE_MM = 0.9
PT_PER_MM = 72 / 25.4


@dataclass
class Row:
    """One table row: texts per column key, and what to draw in the plot column."""

    kind: str  # "study" | "group" | "subtotal" | "total" | "pi" | "note" | "gap"
    cells: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)
    label_lines: list = field(default_factory=list)
    bold: bool = False
    height: float = ROW_MM
    y: float = 0.0
    est: float | None = None
    lo: float | None = None
    hi: float | None = None
    weight: float | None = None
    rob: dict | None = None
    note: str | None = None  # how the study's arm data were derived (``conversion``)


def _mark_conversions(rows: list[Row]) -> list[tuple[str, str]]:
    """Give each distinct conversion note a superscript letter, append it to the labels of the
    studies it applies to (kept with the last word), and return (letter, note) in order."""
    letters: dict[str, str] = {}
    for r in rows:
        if r.kind == "study" and r.note:
            if r.note not in letters:
                n = len(letters)
                letters[r.note] = NOTE_MARKS[n] if n < len(NOTE_MARKS) else f"({n + 1})"
            r.label_lines = [f"{r.label_lines[0]}{NBSP}{letters[r.note]}"]
    return [(mark, note) for note, mark in letters.items()]


def _arm_columns(measure_kind: str, settings: dict):
    """(key, header, group) of the per-arm columns."""
    if measure_kind == "binary":
        fields = (("events", "Events"), ("n", "Total"))
    else:
        fields = (("mean", "Mean"), ("sd", "SD"), ("n", "Total"))
    out = []
    for arm, group in ((1, settings["experimental_label"]), (2, settings["control_label"])):
        out += [(f"{name}{arm}", header, group) for name, header in fields]
    return out


def _arm_column_choices(arm_cols):
    """The per-arm columns to try, fullest first: all of them, then the arm sizes (and events)
    without means and SDs, then none. Text is never set below 7 pt to make room (it would be
    illegible in print); the columns that do not fit are left out instead."""
    counts = [c for c in arm_cols if c[0].startswith(("n", "events"))]
    choices = [arm_cols, counts, []]
    return [c for n, c in enumerate(choices) if c not in choices[:n]]


def _data_kind(studies: list[dict]) -> str:
    if studies and all(s.get("events1") is not None for s in studies):
        return "binary"
    if studies and all(s.get("mean1") is not None for s in studies):
        return "continuous"
    return "generic"


def _arm_text(study: dict, key: str, arm_digits: int) -> str:
    value = study.get(key)
    if value is None:
        return ""
    if key.startswith(("n", "events")):
        return fmt_num(value, 0)
    return fmt_num(value, arm_digits)


def _heterogeneity_text(res: dict, digits: int) -> str:
    """ "Heterogeneity: τ² = 0.79; I² = 95%; Q = 123.45, df = 8 (p < 0.001)" (Q where known)."""
    if not res.get("k") or res["k"] < 2:
        return "Heterogeneity: not applicable (one study)"
    parts = []
    if res.get("tau2") is not None:
        parts.append(f"τ² = {fmt_num(res['tau2'], digits)}")
    if res.get("i2") is not None:
        parts.append(f"I² = {fmt_num(res['i2'], 0)}%")
    if res.get("q") is not None:
        parts.append(
            f"Q = {fmt_num(res['q'], 2)}, df = {fmt_num(res['q_df'], 0)} ({fmt_p(res['q_pval'])})"
        )
    return "Heterogeneity: " + ("; ".join(parts) if parts else "not estimated")


def _overall_text(pooled: dict) -> str:
    """ "Test for overall effect: z = −2.34 (p = 0.019)" (t with its df for Knapp–Hartung)."""
    if pooled.get("df") is not None and pooled.get("ci_method") in vocabulary.T_CI_METHODS:
        stat = f"t = {fmt_num(pooled['stat'], 2)}, df = {fmt_num(pooled['df'], 0)}"
    else:
        stat = f"z = {fmt_num(pooled['stat'], 2)}"
    return f"Test for overall effect: {stat} ({fmt_p(pooled['pval'])})"


def _subgroup_text(sub: dict) -> str:
    """ "Test for subgroup differences: Q = 3.21, df = 2 (p = 0.201)", or the stated reason."""
    if sub.get("q_between") is None:
        note = sub.get("test_note") or "not applicable"
        return f"Test for subgroup differences: {note}"
    return (
        f"Test for subgroup differences: Q = {fmt_num(sub['q_between'], 2)}, "
        f"df = {fmt_num(sub['q_between_df'], 0)} ({fmt_p(sub['q_between_pval'])})"
    )


def _level_pct(pooled: dict) -> str:
    return fmt_num(100 * (pooled.get("level") or 0.95), 0)


def _model_phrase(pooled: dict) -> str:
    """ "random-effects model (REML)", "common-effect model (inverse variance)" …"""
    method = pooled.get("method", "")
    if method in ("FE", "MH", "PETO"):
        name = "inverse variance" if method == "FE" else METHOD_NAMES[method]
        return f"common-effect model ({name})"
    return f"random-effects model ({METHOD_NAMES.get(method, method)})"


def _ci_phrase(pooled: dict) -> str:
    """How the pooled CI was made, when it is not the normal (z) interval."""
    method = pooled.get("ci_method")
    if method not in vocabulary.T_CI_METHODS:
        return ""
    return f" with the {vocabulary.CI_METHODS_TABLE[method].label} confidence interval"


def _build_rows(outcome: dict, settings: dict, rob_map: dict, arm_cols, subgroups) -> list[Row]:
    measure = outcome["measure"]
    digits = settings["digits"]
    studies = outcome["studies"]
    pooled = outcome["pooled"]
    index = {s["study_id"]: i for i, s in enumerate(studies)}

    def study_row(i: int) -> Row:
        s = studies[i]
        cells = {key: _arm_text(s, key, settings["arm_digits"]) for key, _, _ in arm_cols}
        est, lo, hi = s["yi"], s["ci_lower"], s["ci_upper"]
        cells["effect"] = fmt_ci_brackets(
            display(est, measure), display(lo, measure), display(hi, measure), digits
        )
        if s.get("weight_percent") is not None:
            cells["weight"] = f"{fmt_num(s['weight_percent'], 1)}%"
        ids = {key: f"study-{key}-{i}" for key in cells}
        ids["label"] = f"study-label-{i}"
        return Row(
            "study",
            cells=cells,
            ids=ids,
            label_lines=[s["label"]],
            est=est,
            lo=lo,
            hi=hi,
            weight=s.get("weight_percent"),
            rob=rob_map.get(s["study_id"]),
            note=s.get("conversion") or None,
        )

    def summary_row(kind, label, res, members, gid) -> Row:
        cells = {}
        for key, _, _ in arm_cols:
            if key.startswith(("n", "events")):
                values = [studies[i].get(key) for i in members]
                if values and all(v is not None for v in values):
                    cells[key] = fmt_num(sum(values), 0)
        cells["effect"] = fmt_ci_brackets(
            display(res["estimate"], measure),
            display(res["ci_lower"], measure),
            display(res["ci_upper"], measure),
            digits,
        )
        weights = [studies[i].get("weight_percent") for i in members]
        if all(w is not None for w in weights):
            cells["weight"] = f"{fmt_num(sum(weights), 1)}%"
        ids = {key: f"{gid}-{key}" for key in cells}
        return Row(
            kind,
            cells=cells,
            ids=ids,
            label_lines=[label],
            bold=True,
            est=res["estimate"],
            lo=res["ci_lower"],
            hi=res["ci_upper"],
        )

    rows: list[Row] = []
    if subgroups:
        for j, (level, res) in enumerate(subgroups["levels"].items()):
            if res.get("study_ids") is not None:
                members = [index[sid] for sid in res["study_ids"] if sid in index]
            else:
                members = [int(i) for i in res["studies"]]
            rows.append(Row("group", label_lines=[str(level)], bold=True))
            rows += [study_row(i) for i in members]
            rows.append(
                summary_row(
                    "subtotal",
                    f"Subtotal ({_level_pct(pooled)}% CI)",
                    res,
                    members,
                    f"subgroup-{j}",
                ),
            )
            rows.append(
                Row(
                    "note",
                    label_lines=[_heterogeneity_text(res, digits)],
                    ids={"label": f"subgroup-{j}-heterogeneity"},
                )
            )
            rows.append(Row("gap", height=ROW_MM * 0.5))
    else:
        rows += [study_row(i) for i in range(len(studies))]
        rows.append(Row("gap", height=ROW_MM * 0.5))
    level = _level_pct(pooled)
    total = summary_row(
        "total", f"Total ({level}% CI)", pooled, list(range(len(studies))), "pooled"
    )
    rows.append(total)
    show_pi = settings["prediction_interval"] and pooled.get("pi_lower") is not None
    if show_pi:
        text = (
            f"[{fmt_num(display(pooled['pi_lower'], measure), digits)}, "
            f"{fmt_num(display(pooled['pi_upper'], measure), digits)}]"
        )
        rows.append(
            Row(
                "pi",
                cells={"effect": text},
                ids={"effect": "pi-effect", "label": "pi-label"},
                label_lines=["Prediction interval"],
                lo=pooled["pi_lower"],
                hi=pooled["pi_upper"],
            )
        )
    return rows


def _favours(outcome: dict, settings: dict) -> tuple[str, str] | None:
    """(left, right) labels: with lower_is_better, effects below the null favour the
    intervention ("Favours Exercise", "Favours control")."""
    lower_is_better = outcome.get("lower_is_better")
    if lower_is_better is None:
        return None
    exp_, ctl = settings["experimental_label"], settings["control_label"]
    favours = respell("Favours", settings["language"])
    pair = (f"{favours} {exp_}", f"{favours} {lower_first(ctl)}")
    return pair if lower_is_better else pair[::-1]


@dataclass
class Columns:
    """Horizontal layout (mm) at one font size: column right edges, plot span, RoB start."""

    size: float
    label_x: float
    label_w: float
    right: dict
    group_left: dict
    plot_x0: float
    plot_x1: float
    rob_x0: float


def _fit_columns(
    rows, arm_cols, headers, width, show_rob, size, break_words: bool = False
) -> Columns | None:
    """Measure every column at font ``size``; the plot takes what is left. ``None`` if the plot
    would be narrower than its minimum, or the label column narrower than its minimum or (unless
    ``break_words``: a long word is then hyphenated across lines by ``wrap_text``) than the
    longest word of a label."""

    def col_width(key, header):
        cells = [
            text_width_mm(r.cells.get(key, ""), size, "bold" if r.bold else "normal") for r in rows
        ]
        return max([text_width_mm(header, size, "bold"), *cells]) + COL_GAP_MM

    arm_w = [col_width(key, header) for key, header, _ in arm_cols]
    extra = [
        GROUP_GAP_MM if n > 0 and arm_cols[n][2] != arm_cols[n - 1][2] else 0.0
        for n in range(len(arm_cols))
    ]
    arm_w = [w + e for w, e in zip(arm_w, extra, strict=True)]
    # an arm's group heading ("Intervention") spans its columns: they are widened to hold it
    for group in dict.fromkeys(g for _, _, g in arm_cols):
        members = [n for n, c in enumerate(arm_cols) if c[2] == group]
        need = text_width_mm(str(group), size, "bold") + COL_GAP_MM + extra[members[0]]
        short = need - sum(arm_w[n] for n in members)
        if short > 0:
            for n in members:
                arm_w[n] += short / len(members)
    effect_w = col_width("effect", headers["effect"])
    weight_w = col_width("weight", headers["weight"])
    rob_w = 6 * ROB_COL_MM + COL_GAP_MM if show_rob else 0.0
    min_plot = max(MIN_PLOT_MM, *(text_width_mm(h, size, "bold") for h in headers["plot"]))
    min_plot += COL_GAP_MM
    fixed = 2 * MARGIN_MM + sum(arm_w) + effect_w + weight_w + rob_w
    label_need = max(
        text_width_mm(line, size, "bold" if r.bold else "normal") / WRAP_SLACK
        for r in rows
        if r.kind in IN_LABEL_COLUMN
        for line in r.label_lines
    )
    longest_word = max(
        text_width_mm(word, size, "bold" if r.bold else "normal") / WRAP_SLACK
        for r in rows
        if r.kind in IN_LABEL_COLUMN
        for line in r.label_lines
        for word in line.split(" ")
    )
    label_room = width - fixed - min_plot
    if break_words:
        longest_word = 0.0
    if label_room < min(label_need, max(MIN_LABEL_MM, longest_word)):
        return None  # labels would have to break inside words
    label_w = min(label_need, label_room, 0.4 * width) + COL_GAP_MM
    x = MARGIN_MM + label_w
    right, group_left = {}, {}
    for (key, _, group), w, e in zip(arm_cols, arm_w, extra, strict=True):
        group_left.setdefault(group, x + e)
        right[key] = x + w - COL_GAP_MM
        x += w
    plot_x0 = x
    x = width - MARGIN_MM - rob_w
    right["weight"] = x - COL_GAP_MM
    x -= weight_w
    right["effect"] = x - COL_GAP_MM
    x -= effect_w
    return Columns(
        size,
        MARGIN_MM,
        label_w,
        right,
        group_left,
        plot_x0,
        x - COL_GAP_MM,
        width - MARGIN_MM - rob_w + COL_GAP_MM,
    )


def _label_room(row: Row, cols: Columns, arm_cols) -> float:
    """Width a row's label may take: its column, or further right up to the first arm cell
    that holds text in this row (total rows have no means, group rows no cells at all)."""
    weight = "bold" if row.bold else "normal"
    lefts = [
        cols.right[key] - text_width_mm(row.cells[key], cols.size, weight)
        for key, _, _ in arm_cols
        if row.cells.get(key)
    ]
    edge = (min(lefts) if lefts else cols.plot_x0) - COL_GAP_MM
    return max(cols.label_w - COL_GAP_MM, edge - cols.label_x)


def _arm_digits(studies: list[dict]) -> int:
    """Decimals of the per-arm means and SDs: as many as the data carry, at most 2."""
    values = [
        s[k] for s in studies for k in ("mean1", "sd1", "mean2", "sd2") if s.get(k) is not None
    ]
    for digits in range(3):
        if all(abs(round(v, digits) - v) < 1e-9 for v in values):
            return digits
    return 2


def forest_plot(
    outcome: dict,
    *,
    rob: list | None = None,
    settings: dict | None = None,
    subgroups: dict | None = None,
):
    """Forest plot of one outcome (see the module docstring); returns a matplotlib Figure.

    ``rob``: the ``risk_of_bias`` list of results.json; when given, each study row carries its
    RoB 2 judgments for D1–D5 and overall. ``settings``: overrides of :data:`DEFAULT_SETTINGS`.
    ``subgroups``: one subgroup analysis (default: the outcome's ``subgroups``, if any).
    The table is set at 7 pt; when the columns would not leave the plot its minimum width, the
    arms' means and SDs (then the arm columns) are left out (:func:`_arm_column_choices`);
    long labels wrap.
    """
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    measure, studies, pooled = outcome["measure"], outcome["studies"], outcome["pooled"]
    if not studies:
        raise ValueError(f"outcome {outcome.get('id')!r}: no studies to plot")
    if settings["arm_digits"] is None:
        settings["arm_digits"] = _arm_digits(studies)
    kind = _data_kind(studies)
    arm_cols = _arm_columns(kind, settings) if kind != "generic" else []
    rob_map = rob_for_outcome(rob, outcome.get("id")) if rob else {}
    show_rob = bool(rob_map)
    if subgroups is None:
        subgroups = outcome.get("subgroups")
    rows = _build_rows(outcome, settings, rob_map, arm_cols, subgroups)
    conversion_notes = _mark_conversions(rows)
    width = settings["width_mm"]
    level = _level_pct(pooled)
    method = METHOD_NAMES.get(pooled.get("method"), pooled.get("method") or "")
    headers = {
        "effect": f"{measure} [{level}% CI]",
        "weight": "Weight",
        "plot": (
            MEASURE_NAMES.get(measure, measure),
            f"{method[:1].upper()}{method[1:]}, {level}% CI",
        ),
    }
    # the fullest arm columns that fit; failing all, a long word in a label
    # ("Castellanos-Fernández-Villanueva 2016") is hyphenated across lines
    choices = _arm_column_choices(arm_cols)
    cols = None
    for break_words in (False, True):
        for shown in choices:
            cols = _fit_columns(rows, shown, headers, width, show_rob, FONT_SIZE, break_words)
            if cols is not None:
                arm_cols = shown
                break
        if cols is not None:
            break
    if cols is None:
        raise ValueError(
            f"outcome {outcome.get('id')!r}: the forest plot's columns do not fit "
            f"{width:.0f} mm; give a wider 'width_mm'"
        )
    size, small = cols.size, max(cols.size - 1, SMALL_SIZE)
    line, small_line = line_height_mm(size, 1.15), line_height_mm(small, 1.3)
    row_mm = max(ROW_MM * size / FONT_SIZE, line + 0.5)
    # many studies: rows tighten (down to a line and a hair) so the plot stays within a page
    n_rows = sum(r.kind != "gap" for r in rows)
    if n_rows * row_mm + PAGE_OVERHEAD_MM > MAX_HEIGHT_MM:
        row_mm = max(line + 0.25, (MAX_HEIGHT_MM - PAGE_OVERHEAD_MM) / n_rows)
    left_block = cols.plot_x0 - cols.label_x
    for r in rows:
        if r.kind == "note":
            r.label_lines = wrap_text(r.label_lines[0], left_block - COL_GAP_MM, small)
            r.height = max(row_mm, len(r.label_lines) * small_line + 0.6)
        elif r.kind == "gap":
            r.height = row_mm / 2
        else:
            weight = "bold" if r.bold else "normal"
            r.label_lines = wrap_text(
                r.label_lines[0], _label_room(r, cols, arm_cols), size, weight
            )
            r.height = max(row_mm, len(r.label_lines) * line + 0.7)

    # --- vertical layout ---------------------------------------------------------------------
    header_h = 2 * line + 1.5
    y = MARGIN_MM + header_h + 0.8
    rows_top = y
    for r in rows:
        r.y = y + r.height / 2
        y += r.height
    rows_bottom = y
    axis_h = 1.0 + line_height_mm(SMALL_SIZE, 1.0) + 1.6
    favours = _favours(outcome, settings)
    favours_h = small_line + 0.4 if favours else 0.0
    footer = [("footer-heterogeneity", _heterogeneity_text(pooled, settings["digits"]))]
    footer.append(("footer-overall", _overall_text(pooled)))
    if subgroups:
        footer.append(("footer-subgroups", _subgroup_text(subgroups)))
    for n, (mark, note) in enumerate(conversion_notes):
        footer += [
            (f"footer-conversion-{n}" + (f"-{m}" if m else ""), text)
            for m, text in enumerate(wrap_text(f"{mark} {note}", width - 2 * MARGIN_MM, small))
        ]
    if show_rob:
        legend = "Risk of bias (RoB 2): " + "; ".join(
            f"{d.upper()} {ROB_DOMAIN_NAMES[d].lower()}" for d in ROB_DOMAINS
        )
        legend += f"; O overall. {ROB_SYMBOLS['low']} low, {ROB_SYMBOLS['some concerns']} "
        legend += f"some concerns, {ROB_SYMBOLS['high']} high risk of bias."
        footer += [
            (f"footer-rob-{n}", text)
            for n, text in enumerate(wrap_text(legend, width - 2 * MARGIN_MM, small))
        ]
    footer_top = rows_bottom + axis_h + favours_h + 0.8
    height = footer_top + len(footer) * small_line + MARGIN_MM

    # --- drawing -----------------------------------------------------------------------------
    with figure_style():
        fig, table = mm_canvas(width, height)

        def put(x, y, s, ha="left", size=size, bold=False, gid=None, **kw):
            kw.setdefault("color", INK)
            table.text(
                x,
                y,
                s,
                ha=ha,
                va="center",
                fontsize=size,
                fontweight="bold" if bold else "normal",
                gid=gid,
                parse_math=False,
                **kw,
            )

        # headers
        h1 = MARGIN_MM + line / 2
        h2 = h1 + line
        put(cols.label_x, h2, "Study", bold=True)
        for key, header, _ in arm_cols:
            put(cols.right[key], h2, header, ha="right", bold=True)
        for group, left in cols.group_left.items():
            keys = [k for k, _, g in arm_cols if g == group]
            right = cols.right[keys[-1]]
            put((left + right) / 2, h1, group, ha="center", bold=True)
            table.plot([left, right], [h1 + line / 2] * 2, color=INK, lw=0.5)
        centre = (cols.plot_x0 + cols.plot_x1) / 2
        put(centre, h1, headers["plot"][0], ha="center", bold=True)
        put(centre, h2, headers["plot"][1], ha="center", bold=True)
        put(cols.right["effect"], h2, headers["effect"], ha="right", bold=True)
        put(cols.right["weight"], h2, headers["weight"], ha="right", bold=True)
        if show_rob:
            put(cols.rob_x0 + 3 * ROB_COL_MM, h1, "Risk of bias", ha="center", bold=True)
            for n, d in enumerate((*ROB_DOMAINS, "o")):
                put(
                    cols.rob_x0 + (n + 0.5) * ROB_COL_MM,
                    h2,
                    d.upper(),
                    ha="center",
                    size=small,
                    bold=True,
                )
        rule_y = MARGIN_MM + header_h
        table.plot([MARGIN_MM, width - MARGIN_MM], [rule_y, rule_y], color=INK, lw=0.5)

        # table cells
        for r in rows:
            if r.kind == "gap":
                continue
            text_size = small if r.kind == "note" else size
            pitch = small_line if r.kind == "note" else line
            first = r.y - (len(r.label_lines) - 1) * pitch / 2
            label_id = r.ids.get("label")
            for n, text in enumerate(r.label_lines):
                gid = label_id if n == 0 else (f"{label_id}-{n}" if label_id else None)
                put(
                    cols.label_x,
                    first + n * pitch,
                    text,
                    size=text_size,
                    bold=r.bold,
                    gid=gid,
                    style="italic" if r.kind == "note" else "normal",
                )
            for key, text in r.cells.items():
                if key in cols.right:  # arm columns left out for want of room are not drawn
                    put(cols.right[key], r.y, text, ha="right", bold=r.bold, gid=r.ids.get(key))
            if show_rob and r.rob:
                for n, d in enumerate((*ROB_DOMAINS, "overall")):
                    judgment = r.rob.get(d)
                    if judgment not in ROB_COLOURS:
                        continue
                    cx = cols.rob_x0 + (n + 0.5) * ROB_COL_MM
                    table.scatter(
                        [cx],
                        [r.y],
                        s=(ROB_COL_MM * 0.8 * PT_PER_MM) ** 2,
                        color=ROB_COLOURS[judgment],
                        edgecolors=INK,
                        linewidths=0.3,
                        zorder=3,
                    )
                    put(
                        cx, r.y, ROB_SYMBOLS[judgment], ha="center", size=small, bold=True, zorder=4
                    )

        # plot column
        axis = effect_axis(
            core=[r.est for r in rows if r.est is not None]
            + [v for r in rows if r.kind in ("total", "subtotal", "pi") for v in (r.lo, r.hi)],
            full=[v for r in rows if r.kind == "study" for v in (r.lo, r.hi)],
            measure=measure,
            limits=settings["xlim"],
            max_ticks=max(3, int((cols.plot_x1 - cols.plot_x0) / TICK_SPACING_MM) + 1),
        )
        ax = fig.add_axes(
            (
                cols.plot_x0 / width,
                (height - rows_bottom) / height,
                (cols.plot_x1 - cols.plot_x0) / width,
                (rows_bottom - rows_top) / height,
            )
        )
        _draw_plot(ax, rows, axis, rows_top, rows_bottom, row_mm)
        if favours:
            fy = rows_bottom + axis_h + small_line / 2
            span = cols.plot_x1 - cols.plot_x0
            null_x = cols.plot_x0 + (axis.null - axis.lower) / (axis.upper - axis.lower) * span
            # the row below the ticks is empty across the table, so the labels may reach
            # beyond the plot's edges; they never cross the null line, so never each other
            left_x, right_x = null_x - 1.0, null_x + 1.0
            put(left_x, fy, favours[0], ha="right", size=small, gid="favours-left")
            put(right_x, fy, favours[1], ha="left", size=small, gid="favours-right")
        for n, (gid, text) in enumerate(footer):
            put(MARGIN_MM, footer_top + (n + 0.5) * small_line, text, size=small, gid=gid)
    return fig


def _draw_plot(ax, rows: list[Row], axis, top: float, bottom: float, row_mm: float) -> None:
    """Squares, whiskers (arrows off-axis), diamonds, the prediction-interval bar, null line."""
    ax.set_xlim(axis.lower, axis.upper)
    ax.set_ylim(bottom, top)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xticks(axis.ticks, axis.labels)
    ax.patch.set_alpha(0)
    ax.axvline(axis.null, color=INK, lw=0.6, zorder=1)
    weights = [r.weight for r in rows if r.kind == "study" and r.weight]
    w_max = max(weights) if weights else 1.0
    max_square = min(MAX_SQUARE_MM, 0.72 * row_mm)  # squares never touch the next row
    for r in rows:
        if r.kind == "study":
            lo_c, hi_c = axis.clip(r.lo), axis.clip(r.hi)
            ax.plot([lo_c, hi_c], [r.y, r.y], color=INK, lw=0.7, zorder=2, solid_capstyle="butt")
            if r.lo < axis.lower:
                ax.plot([axis.lower], [r.y], marker="<", ms=2.6, color=INK, clip_on=False, zorder=2)
            if r.hi > axis.upper:
                ax.plot([axis.upper], [r.y], marker=">", ms=2.6, color=INK, clip_on=False, zorder=2)
            if axis.lower <= r.est <= axis.upper:
                side = MIN_SQUARE_MM + (max_square - MIN_SQUARE_MM) * math.sqrt(
                    (r.weight or 0) / w_max
                )
                ax.scatter(
                    [r.est],
                    [r.y],
                    s=(side * PT_PER_MM) ** 2,
                    marker="s",
                    color=STUDY_COLOUR,
                    linewidths=0,
                    zorder=3,
                )
        elif r.kind in ("total", "subtotal"):
            half = 0.32 * row_mm
            lo_c, hi_c, est_c = axis.clip(r.lo), axis.clip(r.hi), axis.clip(r.est)
            ax.fill(
                [lo_c, est_c, hi_c, est_c],
                [r.y, r.y - half, r.y, r.y + half],
                color=POOLED_COLOUR if r.kind == "total" else GREY,
                lw=0,
                zorder=3,
            )
            if r.kind == "total":
                ax.plot(
                    [r.est, r.est],
                    [top, r.y - half],
                    color=LIGHT_GREY,
                    lw=0.6,
                    ls=(0, (2, 2)),
                    zorder=1,
                )
        elif r.kind == "pi":
            half = 0.14 * row_mm
            lo_c, hi_c = axis.clip(r.lo), axis.clip(r.hi)
            ax.fill(
                [lo_c, hi_c, hi_c, lo_c],
                [r.y - half, r.y - half, r.y + half, r.y + half],
                color=PI_COLOUR,
                lw=0,
                zorder=3,
            )
            if r.lo < axis.lower:
                ax.plot([axis.lower], [r.y], marker="<", ms=2.6, color=PI_COLOUR, clip_on=False)
            if r.hi > axis.upper:
                ax.plot([axis.upper], [r.y], marker=">", ms=2.6, color=PI_COLOUR, clip_on=False)


def forest_caption(
    outcome: dict, settings: dict | None = None, subgroups: dict | None = None
) -> tuple[str, str]:
    """(caption, alt text) of the forest plot of ``outcome`` (by ``subgroups`` when given)."""
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    pooled, measure = outcome["pooled"], outcome["measure"]
    digits = settings["digits"]
    name = MEASURE_PHRASES.get(measure, measure)
    level = _level_pct(pooled)
    ratio = " (log scale)" if is_ratio(measure) else ""
    by = ""
    if subgroups:
        variable = str(subgroups.get("variable", "subgroup"))
        labels = {variable: subgroups["label"]} if subgroups.get("label") else None
        by = f" by {column_name(variable, labels)}"
    caption = (
        f"Forest plot of {outcome['label']}{by}: {name} ({settings['experimental_label']} vs "
        f"{lower_first(settings['control_label'])}) with {level}% confidence intervals{ratio}, "
        f"{_model_phrase(pooled)}{_ci_phrase(pooled)}. Squares: study estimates, area "
        f"proportional to the weight; "
    )
    if subgroups:
        caption += "grey diamonds: subgroup estimates; black diamond: overall estimate"
    else:
        caption += f"diamond: pooled estimate and its {level}% CI"
    if settings["prediction_interval"] and pooled.get("pi_lower") is not None:
        caption += f"; red bar: {level}% prediction interval"
    caption += "."
    if any(s.get("conversion") for s in outcome["studies"]):
        caption += (
            " Superscript letters mark trials whose means or SDs were derived from other "
            "reported statistics (notes below the plot)."
        )
    est = fmt_num(display(pooled["estimate"], measure), digits)
    lo = fmt_num(display(pooled["ci_lower"], measure), digits)
    hi = fmt_num(display(pooled["ci_upper"], measure), digits)
    k = len(outcome["studies"])
    alt = (
        f"Forest plot of {k} {'study' if k == 1 else 'studies'} for {outcome['label']}{by}. "
        f"Pooled {name} {est} ({level}% CI {lo} to {hi}). {_heterogeneity_text(pooled, digits)}."
    )
    if subgroups:
        alt += f" {_subgroup_text(subgroups)}."
    return caption, alt


__all__ = ["DEFAULT_SETTINGS", "forest_caption", "forest_plot"]
