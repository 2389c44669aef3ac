"""Funnel plots: study effects against their standard errors (inverted axis), with pseudo 95%
confidence limits around the pooled estimate, or contour-enhanced with the shaded significance
regions around the null; studies imputed by trim-and-fill are drawn hollow.

Input: one outcome dict of results.json (``measure``, ``label``, ``studies`` with ``yi``/``vi``,
``pooled``); trim-and-fill results as ``{"filled_yi": [...], "filled_vi": [...]}`` given
explicitly or found at ``outcome["bias"]["trimfill"]``. Ratio measures are drawn on the log scale
with back-transformed tick labels.

SVG ids: ``funnel-observed`` (one marker per study), ``funnel-imputed``, ``funnel-pooled``.

References
----------
Sterne JAC, Egger M (2001). Funnel plots for detecting bias in meta-analysis: guidelines on
choice of axis. J Clin Epidemiol 54(10):1046-1055.
Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L (2008). Contour-enhanced meta-analysis
funnel plots help distinguish publication bias from other causes of asymmetry. J Clin Epidemiol
61(10):991-996.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from analysis.figures.scale import MEASURE_NAMES, MEASURE_PHRASES, effect_axis, is_ratio, tick_label
from analysis.figures.style import (
    COLUMN_WIDTH_MM,
    GREY,
    IMPUTED_COLOUR,
    INK,
    SMALL_SIZE,
    STUDY_COLOUR,
    figure_style,
    new_figure,
)
from analysis.stats.distributions import norm_ppf
from analysis.stats.small_study import MIN_STUDIES_FOR_TESTS
from analysis.text import fmt_num

HEIGHT_MM = 72.0
#: two-sided significance levels of the contours (Peters et al. 2008) and their shades
#: (metafor's funnel(level = c(90, 95, 99), shade = ...) greys, outermost region lightest)
CONTOUR_LEVELS = (0.10, 0.05, 0.01)
CONTOUR_SHADES = ("#ffffff", "#8c8c8c", "#bfbfbf", "#e5e5e5")
OBSERVED = {"s": 14, "facecolors": STUDY_COLOUR, "edgecolors": INK, "linewidths": 0.4}
IMPUTED = {"s": 14, "facecolors": "white", "edgecolors": IMPUTED_COLOUR, "linewidths": 0.8}


def _trimfill(outcome: dict, trimfill: dict | None) -> dict | None:
    if trimfill is None:
        trimfill = (outcome.get("bias") or {}).get("trimfill")
    if not trimfill or not trimfill.get("filled_yi"):
        return None
    return trimfill


def funnel_plot(
    outcome: dict,
    *,
    contour: bool = False,
    trimfill: dict | None = None,
    settings: dict | None = None,
):
    """Funnel plot of one outcome; ``contour=True`` gives the contour-enhanced version.

    Notes
    -----
    Pseudo confidence limits: estimate ± z₀.₉₇₅·SE; contours: 0 ± z₁₋α/₂·SE for α in
    :data:`CONTOUR_LEVELS` (significance of each study's own test against the null).
    """
    settings = settings or {}
    measure = outcome["measure"]
    yi = np.array([s["yi"] for s in outcome["studies"]], float)
    sei = np.sqrt(np.array([s["vi"] for s in outcome["studies"]], float))
    estimate = outcome["pooled"]["estimate"]
    filled = _trimfill(outcome, trimfill)
    f_yi = np.array(filled["filled_yi"], float) if filled else np.empty(0)
    f_sei = np.sqrt(np.array(filled["filled_vi"], float)) if filled else np.empty(0)
    se_top = float(max(sei.max(initial=0), f_sei.max(initial=0))) * 1.08 or 1.0
    z95 = norm_ppf(0.975)
    z_out = norm_ppf(1 - CONTOUR_LEVELS[-1] / 2)
    centre = 0.0 if contour else estimate
    spread = (z_out if contour else z95) * se_top
    axis = effect_axis(
        core=[*yi, *f_yi, centre - spread, centre + spread, estimate],
        full=[],
        measure=measure,
        limits=settings.get("xlim"),
    )
    width = settings.get("width_mm", COLUMN_WIDTH_MM)
    with figure_style():
        handles = _contour_legend() if contour else []
        if filled:
            handles += _trimfill_legend()
        top = 1 - (3.5 + 3.0 * math.ceil(len(handles) / 2)) / HEIGHT_MM if handles else 0.96
        fig = new_figure(width, HEIGHT_MM)
        ax = fig.add_axes((0.14, 0.17, 0.82, top - 0.17))
        ax.set_xlim(axis.lower, axis.upper)
        ax.set_ylim(se_top, 0)
        ax.set_xticks(axis.ticks, axis.labels)
        y_ticks = [t for t in MaxNLocator(nbins=5).tick_values(0, se_top) if 0 <= t <= se_top]
        ax.set_yticks(y_ticks, [tick_label(t) for t in y_ticks])
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        se_grid = np.array([0.0, se_top])
        if contour:
            ax.set_facecolor(CONTOUR_SHADES[-1])
            zs = [norm_ppf(1 - a / 2) for a in CONTOUR_LEVELS]
            for z, shade in zip(reversed(zs), reversed(CONTOUR_SHADES[:-1]), strict=True):
                ax.fill_betweenx(se_grid, -z * se_grid, z * se_grid, color=shade, lw=0, zorder=0)
            ax.axvline(0.0, color=GREY, lw=0.6, zorder=1)
        else:
            for sign in (-1, 1):
                ax.plot(estimate + sign * z95 * se_grid, se_grid, color=INK, lw=0.6, ls=(0, (3, 2)))
        ax.axvline(estimate, color=INK, lw=0.8, zorder=2, gid="funnel-pooled")
        ax.scatter(yi, sei, gid="funnel-observed", clip_on=False, zorder=3, **OBSERVED)
        if filled:
            ax.scatter(f_yi, f_sei, gid="funnel-imputed", clip_on=False, zorder=3, **IMPUTED)
        if handles:
            fig.legend(
                handles=handles,
                loc="upper center",
                ncols=2,
                bbox_to_anchor=(0.55, 1.0),
                handlelength=1.2,
                columnspacing=1.5,
                fontsize=SMALL_SIZE,
            )
        name = MEASURE_NAMES.get(measure, measure)
        ax.set_xlabel(f"{name} (log scale)" if is_ratio(measure) else name)
        ax.set_ylabel("Standard error")
    return fig


def _trimfill_legend() -> list[Line2D]:
    """Legend markers for observed and imputed studies."""

    def marker(style, label):
        return Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=3.5,
            mfc=style["facecolors"],
            mec=style["edgecolors"],
            mew=style["linewidths"],
            label=label,
        )

    return [marker(OBSERVED, "Observed"), marker(IMPUTED, "Imputed (trim-and-fill)")]


def _contour_legend() -> list[Patch]:
    """Legend patches naming the p-value band of each shade."""
    a = [fmt_num(x, 2) for x in CONTOUR_LEVELS]
    labels = (f"p > {a[0]}", f"{a[1]} < p ≤ {a[0]}", f"{a[2]} < p ≤ {a[1]}", f"p ≤ {a[2]}")
    return [
        Patch(facecolor=shade, edgecolor=INK, linewidth=0.4, label=label)
        for shade, label in zip(CONTOUR_SHADES, labels, strict=True)
    ]


def funnel_caption(outcome: dict, *, contour: bool = False, trimfill: dict | None = None):
    """(caption, alt text) of the funnel plot of ``outcome``; the caveat for too few trials
    follows the outcome's decision ``decisions.small_study.informative``
    (:func:`analysis.interpret.small_study`)."""
    k = len(outcome["studies"])
    name = MEASURE_PHRASES.get(outcome["measure"], outcome["measure"])
    filled = _trimfill(outcome, trimfill)
    scale = " on the log scale" if is_ratio(outcome["measure"]) else ""
    if contour:
        caption = (
            f"Contour-enhanced funnel plot of {outcome['label']}: each study's {name}{scale} "
            "against its standard error. Shaded regions mark where a study's own test against "
            "no effect would be significant at the 10%, 5% and 1% levels (two-sided); vertical "
            "line: pooled estimate."
        )
    else:
        caption = (
            f"Funnel plot of {outcome['label']}: each study's {name}{scale} against its "
            "standard error. Solid line: pooled estimate; dashed lines: pseudo 95% confidence "
            "limits."
        )
    if filled:
        n = len(filled["filled_yi"])
        caption += (
            f" Hollow circles: {n} {'study' if n == 1 else 'studies'} imputed by trim-and-fill."
        )
    if not outcome["decisions"]["small_study"]["informative"]:
        caption += (
            f" With {k} studies, asymmetry cannot be judged reliably (fewer than "
            f"{MIN_STUDIES_FOR_TESTS}; Cochrane Handbook, section 13.3.5.4)."
        )
    alt = (
        f"{'Contour-enhanced funnel' if contour else 'Funnel'} plot of {k} "
        f"{'study' if k == 1 else 'studies'} for {outcome['label']}, effect size on the "
        "horizontal axis and standard error (largest at the bottom) on the vertical axis."
    )
    if filled:
        n = len(filled["filled_yi"])
        alt += f" {n} {'study' if n == 1 else 'studies'} imputed by trim-and-fill drawn hollow."
    return caption, alt
