"""The one number-formatting module: true minus sign, rounding, CIs and p-values."""

import math

import pytest

from analysis.text import fmt_ci, fmt_ci_brackets, fmt_num, fmt_p


@pytest.mark.parametrize(
    ("x", "digits", "expected"),
    [
        (-0.5, 2, "\u22120.50"),
        (0.5, 2, "0.50"),
        (-0.001, 2, "0.00"),
        (12.3456, 1, "12.3"),
        (-15.106, 0, "\u221215"),
        (None, 2, "NA"),
        (math.nan, 2, "NA"),
        (-math.inf, 2, "\u2212∞"),
    ],
)
def test_fmt_num(x, digits, expected):
    assert fmt_num(x, digits) == expected


def test_fmt_num_never_uses_hyphen_minus():
    assert "-" not in fmt_num(-3.14159, 3)


def test_fmt_ci_prose_and_brackets():
    assert fmt_ci(-0.78, -1.25, -0.31) == "\u22120.78 (95% CI \u22121.25 to \u22120.31)"
    assert fmt_ci_brackets(-0.78, -1.25, 0.31) == "\u22120.78 [\u22121.25, 0.31]"


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.0021, "p = 0.002"), (0.0004, "p < 0.001"), (0.5, "p = 0.500"), (0.9999, "p > 0.999")],
)
def test_fmt_p(p, expected):
    assert fmt_p(p) == expected
