"""Reported summaries of a continuous outcome converted to the mean and SD that pooling needs.

Each function converts one arm and cites its published method. :func:`convert_arm` picks the
method from what an arm reports and returns the mean, the SD and a :class:`ConversionRecord`
(or ``None`` when mean and SD were reported), so the methods section can say which studies were
converted and how.

Five-number-summary scenarios (Wan et al. 2014): S1 = {min, median, max}, S2 = {q1, median,
q3}, S3 = {min, q1, median, q3, max}.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from analysis.stats.distributions import norm_ppf, t_ppf

#: conversion methods -> (short source, BibTeX keys of the source(s), in data/references.bib or
#: the methods bibliography report/references.bib, and whether the text names the source beside
#: its citation: only where it points into the work (a Handbook section); an author-year beside
#: a numbered citation would cite twice in two styles)
METHODS = {
    "se": ("Cochrane Handbook 6.5.2.2", "higgins2024", True),
    "ci": ("Cochrane Handbook 6.5.2.2", "higgins2024", True),
    "median_range": ("Luo et al. 2018; Wan et al. 2014", "luo2018; wan2014", False),
    "median_iqr": ("Luo et al. 2018; Wan et al. 2014", "luo2018; wan2014", False),
    "median_iqr_range": ("Luo et al. 2018; Shi et al. 2020", "luo2018; shi2020", False),
}
#: arms smaller than this get a t quantile in the CI -> SD conversion (Cochrane Handbook 6.5.2.2)
T_DISTRIBUTION_BELOW = 60


@dataclass(frozen=True)
class ConversionRecord:
    """How one arm's mean and SD were obtained: ``method`` (a key of :data:`METHODS`),
    the ``reported`` values, the result and a phrase for the methods section."""

    method: str
    reported: dict
    mean: float
    sd: float

    @property
    def source(self) -> str:
        return METHODS[self.method][0]

    @property
    def bibkeys(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in METHODS[self.method][1].split(";"))

    @property
    def description(self) -> str:
        what = {
            "se": "SD from the standard error",
            "ci": "SD from the 95% confidence interval",
            "median_range": "mean and SD from the median and range",
            "median_iqr": "mean and SD from the median and interquartile range",
            "median_iqr_range": "mean and SD from the median, interquartile range and range",
        }[self.method]
        return f"{what} ({self.source})" if METHODS[self.method][2] else what


def sd_from_se(se: float, n: int) -> float:
    """SD of an arm from the standard error of its mean.

    Notes
    -----
    SD = SE · √n.

    References
    ----------
    Higgins JPT, Li T, Deeks JJ (eds). Chapter 6: Choosing effect measures and computing
    estimates of effect, section 6.5.2.2. In: Cochrane Handbook for Systematic Reviews of
    Interventions, version 6.5, 2024.
    """
    return se * math.sqrt(n)


def ci_divisor(n: int, level: float = 0.95) -> float:
    """Width of a confidence interval for a mean, in standard errors.

    2·t(1 − α/2; n − 1) when n < 60 (the Handbook's "small sample"), else 2·z(1 − α/2)
    (3.92 for 95%).
    """
    upper = 1.0 - (1.0 - level) / 2.0
    if n < T_DISTRIBUTION_BELOW:
        return 2.0 * float(t_ppf(upper, n - 1))
    return 2.0 * float(norm_ppf(upper))


def sd_from_ci(lower: float, upper: float, n: int, level: float = 0.95) -> float:
    """SD of an arm from the confidence interval of its mean.

    Notes
    -----
    SD = √n · (upper − lower) / d, with d = 3.92 for a 95% CI in large arms and
    d = 2·t(0.975; n − 1) in arms of fewer than 60 (e.g. 2 × 2.0639 = 4.128 for n = 25).

    References
    ----------
    Cochrane Handbook for Systematic Reviews of Interventions, version 6.5 (2024), section
    6.5.2.2.
    """
    return math.sqrt(n) * (upper - lower) / ci_divisor(n, level)


def mean_from_median_range(minimum: float, median: float, maximum: float, n: int) -> float:
    """Mean from {min, median, max} (scenario S1).

    Notes
    -----
    mean ≈ w·(a + b)/2 + (1 − w)·m with w = 4 / (4 + n^0.75).

    References
    ----------
    Luo D, Wan X, Liu J, Tong T (2018). Optimally estimating the sample mean from the sample
    size, median, mid-range, and/or mid-quartile range. Stat Methods Med Res 27(6):1785-1805.
    """
    w = 4.0 / (4.0 + n**0.75)
    return w * (minimum + maximum) / 2.0 + (1.0 - w) * median


def mean_from_median_iqr(q1: float, median: float, q3: float, n: int) -> float:
    """Mean from {q1, median, q3} (scenario S2).

    Notes
    -----
    mean ≈ (0.7 + 0.39/n)·(q1 + q3)/2 + (0.3 − 0.39/n)·m.

    References
    ----------
    Luo D et al. (2018). Stat Methods Med Res 27(6):1785-1805.
    """
    w = 0.7 + 0.39 / n
    return w * (q1 + q3) / 2.0 + (1.0 - w) * median


def mean_from_five_numbers(
    minimum: float, q1: float, median: float, q3: float, maximum: float, n: int
) -> float:
    """Mean from {min, q1, median, q3, max} (scenario S3).

    Notes
    -----
    mean ≈ w1·(a + b)/2 + w2·(q1 + q3)/2 + (1 − w1 − w2)·m with w1 = 2.2/(2.2 + n^0.75) and
    w2 = 0.7 − 0.72/n^0.55.

    References
    ----------
    Luo D et al. (2018). Stat Methods Med Res 27(6):1785-1805.
    """
    w1 = 2.2 / (2.2 + n**0.75)
    w2 = 0.7 - 0.72 / n**0.55
    return w1 * (minimum + maximum) / 2.0 + w2 * (q1 + q3) / 2.0 + (1.0 - w1 - w2) * median


def xi(n: int) -> float:
    """Wan et al.'s ξ(n) = 2·Φ⁻¹((n − 0.375)/(n + 0.25)): expected range of n normals, in SDs.

    The closed form is used for every n. It differs from the exact expected range of n
    standard normal values by 1.4% at n = 5, 0.5% at n = 10 and under 0.3% from n = 20 on
    (checked by numerical integration).
    """
    return 2.0 * float(norm_ppf((n - 0.375) / (n + 0.25)))


def eta(n: int) -> float:
    """Wan et al.'s η(n) = 2·Φ⁻¹((0.75n − 0.125)/(n + 0.25)): expected IQR, in SDs."""
    return 2.0 * float(norm_ppf((0.75 * n - 0.125) / (n + 0.25)))


def sd_from_range(minimum: float, maximum: float, n: int) -> float:
    """SD from the range (scenario S1).

    Notes
    -----
    SD ≈ (b − a) / ξ(n), ξ(n) = 2·Φ⁻¹((n − 0.375)/(n + 0.25)).

    References
    ----------
    Wan X, Wang W, Liu J, Tong T (2014). Estimating the sample mean and standard deviation
    from the sample size, median, range and/or interquartile range. BMC Med Res Methodol
    14:135.
    """
    return (maximum - minimum) / xi(n)


def sd_from_iqr(q1: float, q3: float, n: int) -> float:
    """SD from the interquartile range (scenario S2).

    Notes
    -----
    SD ≈ (q3 − q1) / η(n), η(n) = 2·Φ⁻¹((0.75n − 0.125)/(n + 0.25)); η → 1.349 for large n.

    References
    ----------
    Wan X et al. (2014). BMC Med Res Methodol 14:135.
    """
    return (q3 - q1) / eta(n)


def sd_from_five_numbers(minimum: float, q1: float, q3: float, maximum: float, n: int) -> float:
    """SD from range and interquartile range together (scenario S3).

    Notes
    -----
    SD ≈ w·(b − a)/ξ(n) + (1 − w)·(q3 − q1)/η(n) with w = 1/(1 + 0.07·n^0.6).

    References
    ----------
    Shi J, Luo D, Weng H, Zeng X-T, Lin L, Chu H, Tong T (2020). Optimally estimating the
    sample standard deviation from the five-number summary. Res Synth Methods 11(5):641-654.
    """
    w = 1.0 / (1.0 + 0.07 * n**0.6)
    return w * (maximum - minimum) / xi(n) + (1.0 - w) * (q3 - q1) / eta(n)


def convert_arm(
    n: int,
    mean: float | None = None,
    sd: float | None = None,
    se: float | None = None,
    ci_lower: float | None = None,
    ci_upper: float | None = None,
    median: float | None = None,
    q1: float | None = None,
    q3: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> tuple[float, float, ConversionRecord | None]:
    """Mean and SD of one arm from what it reports, with the record of any conversion.

    Preference: mean and SD as reported; mean with SE; mean with 95% CI; median with IQR and
    range; median with IQR; median with range. The caller has checked that one complete form
    is present (see :func:`available_form`).
    """
    form = available_form(mean, sd, se, ci_lower, ci_upper, median, q1, q3, minimum, maximum)
    if form == "sd":
        return mean, sd, None
    if form == "se":
        reported = {"mean": mean, "se": se}
        out_mean, out_sd = mean, sd_from_se(se, n)
    elif form == "ci":
        reported = {"mean": mean, "ci_lower": ci_lower, "ci_upper": ci_upper}
        out_mean, out_sd = mean, sd_from_ci(ci_lower, ci_upper, n)
    elif form == "median_iqr_range":
        reported = {"median": median, "q1": q1, "q3": q3, "min": minimum, "max": maximum}
        out_mean = mean_from_five_numbers(minimum, q1, median, q3, maximum, n)
        out_sd = sd_from_five_numbers(minimum, q1, q3, maximum, n)
    elif form == "median_iqr":
        reported = {"median": median, "q1": q1, "q3": q3}
        out_mean, out_sd = mean_from_median_iqr(q1, median, q3, n), sd_from_iqr(q1, q3, n)
    elif form == "median_range":
        reported = {"median": median, "min": minimum, "max": maximum}
        out_mean = mean_from_median_range(minimum, median, maximum, n)
        out_sd = sd_from_range(minimum, maximum, n)
    else:
        raise ValueError("no complete summary to convert")
    return out_mean, out_sd, ConversionRecord(form, {"n": n, **reported}, out_mean, out_sd)


def available_form(
    mean=None,
    sd=None,
    se=None,
    ci_lower=None,
    ci_upper=None,
    median=None,
    q1=None,
    q3=None,
    minimum=None,
    maximum=None,
) -> str | None:
    """The preferred complete summary an arm reports ('sd', 'se', 'ci', 'median_…'), or None."""
    if mean is not None:
        if sd is not None:
            return "sd"
        if se is not None:
            return "se"
        if ci_lower is not None and ci_upper is not None:
            return "ci"
    if median is not None:
        has_iqr = q1 is not None and q3 is not None
        has_range = minimum is not None and maximum is not None
        if has_iqr and has_range:
            return "median_iqr_range"
        if has_iqr:
            return "median_iqr"
        if has_range:
            return "median_range"
    return None
