"""Number formatting: the one way every number is written in text, tables and figures.

Negative numbers carry the true minus sign (U+2212), never the hyphen-minus; a value that rounds
to zero is written without a sign. Missing values (``None``, NaN) are written as "NA".
"""

from __future__ import annotations

import math

MINUS = "\u2212"
MISSING = "NA"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_num(x, digits: int = 2) -> str:
    """``x`` rounded to ``digits`` decimals, with the true minus sign: ``fmt_num(-0.5, 2)`` is
    "−0.50"; ``fmt_num(-0.001, 2)`` is "0.00"; infinities are "∞" / "−∞"."""
    if _missing(x):
        return MISSING
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    text = f"{x:.{digits}f}"
    if text.startswith("-"):
        text = text[1:]
        if text.strip("0.") != "":
            text = MINUS + text
    return text


def fmt_ci(est, lo, hi, digits: int = 2, level: float = 95) -> str:
    """Estimate with its confidence interval in prose: "−0.78 (95% CI −1.25 to −0.31)"."""
    interval = f"{fmt_num(lo, digits)} to {fmt_num(hi, digits)}"
    return f"{fmt_num(est, digits)} ({fmt_num(level, 0)}% CI {interval})"


def fmt_ci_brackets(est, lo, hi, digits: int = 2) -> str:
    """Estimate with its interval in the compact form of forest plots and tables:
    "−0.78 [−1.25, −0.31]"."""
    return f"{fmt_num(est, digits)} [{fmt_num(lo, digits)}, {fmt_num(hi, digits)}]"


def fmt_p(p) -> str:
    """P-value with 3 decimals: "p = 0.002", "p < 0.001" (and "p > 0.999" at the other end)."""
    if _missing(p):
        return f"p = {MISSING}"
    p = float(p)
    if p < 0.001:
        return "p < 0.001"
    if p > 0.999:
        return "p > 0.999"
    return f"p = {p:.3f}"
