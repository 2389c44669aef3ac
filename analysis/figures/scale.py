"""The effect axis shared by forest and funnel plots: measure names, the null value, the
back-transformation of ratio measures and 'nice' tick positions.

Ratio measures (RR, OR) are analysed on the log scale; their axes are drawn in log units with
ticks labelled by the back-transformed ratio (0.5, 1, 2 …), as metafor's ``forest(...,
atransf=exp)`` and R meta do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import MaxNLocator

from analysis import vocabulary
from analysis.text import fmt_num

#: the measure's name on an axis or in a legend
MEASURE_NAMES = {code: m.label for code, m in vocabulary.MEASURES.items()}
#: the measure's name inside a sentence (captions, alt text)
MEASURE_PHRASES = {code: m.name for code, m in vocabulary.MEASURES.items()}
#: the pooling method's name in a legend or caption
METHOD_NAMES = {code: m.label for code, m in vocabulary.POOLING_METHODS.items()}
#: Nice ratio tick values; the axis picks those inside its limits.
RATIO_TICKS = (
    0.001,
    0.002,
    0.005,
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    1000,
)
#: The null stays at least this fraction of the axis span away from either end, so both
#: 'favours' sides have room.
NULL_MARGIN = 0.2


def is_ratio(measure: str) -> bool:
    return measure in vocabulary.RATIO_MEASURES


def display(value, measure: str):
    """Analysis scale -> the scale numbers are printed on (exp for RR and OR)."""
    if value is None:
        return None
    return math.exp(value) if is_ratio(measure) else value


def tick_label(value: float) -> str:
    """A tick value with just the decimals it needs (0.05 -> "0.05", 2 -> "2")."""
    for digits in range(4):
        if abs(round(value, digits) - value) < 1e-9 * max(1.0, abs(value)):
            return fmt_num(value, digits)
    return fmt_num(value, 3)


@dataclass(frozen=True)
class EffectAxis:
    """Limits (analysis scale), tick positions (analysis scale) and their labels."""

    lower: float
    upper: float
    ticks: tuple[float, ...]
    labels: tuple[str, ...]
    null: float

    def clip(self, value: float) -> float:
        return min(max(value, self.lower), self.upper)


def effect_axis(core, full, measure: str, limits=None, max_ticks: int = 6) -> EffectAxis:
    """Choose the axis for values ``core`` (estimates, pooled CI, null: always shown) and
    ``full`` (also the study CIs, shown when they do not stretch the axis more than half the
    core's span on either side; longer whiskers end in arrows).

    ``limits`` (display scale, e.g. ``(0.1, 10)`` for a ratio) overrides the choice.
    ``max_ticks``: at most this many labelled ticks (narrow axes take fewer).
    """
    nbins = max(2, max_ticks - 1)
    null = 0.0
    core = np.array([v for v in core if v is not None and math.isfinite(v)] + [null], float)
    full = np.array([v for v in full if v is not None and math.isfinite(v)], float)
    if limits is not None:
        lo, hi = (math.log(v) for v in limits) if is_ratio(measure) else limits
    else:
        span = max(float(np.ptp(core)), 1e-6)
        lo = min(core.min(), max(full.min(initial=core.min()), core.min() - 0.5 * span))
        hi = max(core.max(), min(full.max(initial=core.max()), core.max() + 0.5 * span))
        if hi - lo < 1e-6:
            lo, hi = lo - 1.0, hi + 1.0
        margin = NULL_MARGIN * (hi - lo)
        lo, hi = min(lo, null - margin), max(hi, null + margin)
    if is_ratio(measure):
        return _ratio_axis(lo, hi, fixed=limits is not None, max_ticks=max(3, max_ticks))
    if limits is not None:
        ticks = [
            t for t in MaxNLocator(nbins=nbins).tick_values(lo, hi) if lo - 1e-9 <= t <= hi + 1e-9
        ]
    else:
        ticks = list(MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi))
        lo, hi = ticks[0], ticks[-1]
    return EffectAxis(lo, hi, tuple(ticks), tuple(tick_label(t) for t in ticks), null)


def _ratio_axis(lo: float, hi: float, fixed: bool, max_ticks: int = 7) -> EffectAxis:
    """Log-scale axis with ticks at nice ratios; unless ``fixed``, the limits widen to the
    nearest nice ratios outside the data."""
    values = np.array(RATIO_TICKS)
    logs = np.log(values)
    if not fixed:
        below = logs[logs <= lo + 1e-12]
        above = logs[logs >= hi - 1e-12]
        lo = float(below.max()) if below.size else lo
        hi = float(above.min()) if above.size else hi
    inside = [v for v, lv in zip(values, logs, strict=True) if lo - 1e-9 <= lv <= hi + 1e-9]
    if len(inside) > max_ticks:
        decades = [v for v in inside if abs(math.log10(v) - round(math.log10(v))) < 1e-9]
        inside = (
            decades if len(decades) >= 2 else inside[:: math.ceil(len(inside) / (max_ticks - 1))]
        )
    ticks = tuple(math.log(v) for v in inside)
    return EffectAxis(lo, hi, ticks, tuple(tick_label(v) for v in inside), 0.0)
