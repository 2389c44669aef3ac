"""Bubble plot of a meta-regression: each study's effect against a continuous moderator, the
marker area proportional to its weight in the mixed-effects model, with the fitted line and its
confidence band (metafor's ``regplot``).

Input: one outcome dict of results.json (``measure``, ``label``, ``studies`` with ``label``) and
the ``metareg`` dict of :meth:`analysis.stats.metareg.MetaRegression.to_dict` (``x``, ``yi``,
``vi``, ``tau2``, ``coefficients``, ``vcov``, ``level``, ``ci_method``, ``k``). With several
moderators the line is drawn for the chosen one with the others held at their means, as
``regplot`` does. Ratio measures are drawn on the log scale with back-transformed labels.

SVG ids: ``bubble-studies``, ``bubble-fit``, ``bubble-band``.

References
----------
Thompson SG, Higgins JPT (2002). How should meta-regression analyses be undertaken and
interpreted? Stat Med 21(11):1559-1573.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw
36(3):1-48.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from analysis.figures.scale import MEASURE_NAMES, effect_axis, is_ratio, tick_label
from analysis.figures.style import (
    COLUMN_WIDTH_MM,
    GREY,
    INK,
    LIGHT_GREY,
    STUDY_COLOUR,
    figure_style,
    new_figure,
)
from analysis.stats.distributions import norm_ppf, t_ppf
from analysis.text import fmt_num

HEIGHT_MM = 70.0
#: marker areas (pt²) of the lightest and the heaviest study
MIN_AREA, MAX_AREA = 6.0, 90.0
GRID_POINTS = 101


def _moderator(metareg: dict, moderator: str | None) -> str:
    names = list(metareg["x"])
    if moderator is None:
        if len(names) != 1:
            raise ValueError(f"choose the moderator to plot: one of {', '.join(names)}")
        moderator = names[0]
    if moderator not in names:
        raise ValueError(f"{moderator!r} is not a model column; one of {', '.join(names)}")
    if set(metareg["x"][moderator]) <= {0.0, 1.0}:
        raise ValueError(
            f"{moderator!r} is a categorical level: a bubble plot needs a continuous moderator"
        )
    return moderator


def fitted_band(metareg: dict, moderator: str, grid: np.ndarray):
    """Fitted values and their CI over ``grid`` for ``moderator``, the other columns at their
    means: ŷ = x₀ᵀβ̂, SE = √(x₀ᵀ V x₀), ŷ ± crit·SE (z, or t(k − p) under Knapp–Hartung)."""
    names = list(metareg["coefficients"])
    beta = np.array([metareg["coefficients"][n]["estimate"] for n in names])
    vcov = np.array(metareg["vcov"])
    means = {n: float(np.mean(v)) for n, v in metareg["x"].items()}
    X0 = np.array([[1.0] + [g if n == moderator else means[n] for n in names[1:]] for g in grid])
    fit = X0 @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", X0, vcov, X0))
    alpha = 1 - metareg["level"]
    if metareg["ci_method"] == "z":
        crit = norm_ppf(1 - alpha / 2)
    else:
        crit = t_ppf(1 - alpha / 2, metareg["k"] - len(names))
    return fit, fit - crit * se, fit + crit * se


def bubble_plot(
    outcome: dict,
    metareg: dict,
    moderator: str | None = None,
    moderator_label: str | None = None,
    settings: dict | None = None,
):
    """Bubble plot of ``outcome`` against ``moderator`` (the only one by default)."""
    settings = settings or {}
    moderator = _moderator(metareg, moderator)
    measure = outcome["measure"]
    x = np.array(metareg["x"][moderator], float)
    yi = np.array(metareg["yi"], float)
    w = 1 / (np.array(metareg["vi"], float) + metareg["tau2"])
    area = MIN_AREA + (MAX_AREA - MIN_AREA) * (w - w.min()) / (np.ptp(w) or 1.0)
    span = float(np.ptp(x)) or 1.0
    grid = np.linspace(x.min() - 0.02 * span, x.max() + 0.02 * span, GRID_POINTS)
    fit, lower, upper = fitted_band(metareg, moderator, grid)
    axis = effect_axis(
        core=[*yi, *lower, *upper], full=[], measure=measure, limits=settings.get("ylim")
    )
    width = settings.get("width_mm", COLUMN_WIDTH_MM)
    with figure_style():
        fig = new_figure(width, HEIGHT_MM)
        ax = fig.add_axes((0.15, 0.17, 0.80, 0.78))
        ax.set_ylim(axis.lower, axis.upper)
        ax.set_yticks(axis.ticks, axis.labels)
        x_ticks = MaxNLocator(nbins=6).tick_values(grid[0], grid[-1])
        x_ticks = [t for t in x_ticks if grid[0] <= t <= grid[-1]]
        ax.set_xlim(grid[0], grid[-1])
        ax.set_xticks(x_ticks, [tick_label(t) for t in x_ticks])
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.axhline(axis.null, color=GREY, lw=0.6, ls=(0, (3, 2)), zorder=1.5)
        ax.fill_between(grid, lower, upper, color=LIGHT_GREY, lw=0, zorder=1, gid="bubble-band")
        ax.plot(grid, fit, color=INK, lw=0.9, zorder=2, gid="bubble-fit")
        ax.scatter(
            x,
            yi,
            s=area,
            facecolors=STUDY_COLOUR,
            edgecolors=INK,
            linewidths=0.4,
            alpha=0.75,
            zorder=3,
            clip_on=False,
            gid="bubble-studies",
        )
        name = MEASURE_NAMES.get(measure, measure)
        ax.set_ylabel(f"{name} (log scale)" if is_ratio(measure) else name)
        ax.set_xlabel(moderator_label or moderator)
    return fig


def bubble_caption(
    outcome: dict, metareg: dict, moderator: str | None = None, moderator_label: str | None = None
):
    """(caption, alt text) of the bubble plot."""
    moderator = _moderator(metareg, moderator)
    label = moderator_label or moderator
    coef = metareg["coefficients"][moderator]
    level = round(100 * metareg["level"])
    scale = " on the log scale" if is_ratio(outcome["measure"]) else ""
    others = [n for n in metareg["x"] if n != moderator]
    caption = (
        f"Meta-regression of {outcome['label']} on {label}: each circle is a study, its area "
        "proportional to its weight in the mixed-effects model; line: fitted values with their "
        f"{level}% confidence band (slope{scale} {fmt_num(coef['estimate'], 3)} "
        f"per unit of {label}, "
        f"{level}% CI {fmt_num(coef['ci_lower'], 3)} to {fmt_num(coef['ci_upper'], 3)})."
    )
    if others:
        caption += " Other moderators held at their means."
    alt = (
        f"Bubble plot of {metareg['k']} studies: {outcome['label']} effect size on the vertical "
        f"axis against {label} on the horizontal axis, with a fitted regression line and "
        "shaded confidence band."
    )
    return caption, alt
