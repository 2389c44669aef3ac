"""Conversions to mean and SD, checked against their published sources.

Where a source gives a worked number we use it (Cochrane Handbook 6.5.2.2: t(0.975; 24) =
2.0639, so a 95% CI of an arm of 25 is 2 × 2.0639 = 4.128 standard errors wide). The papers of
Wan et al. (2014), Luo et al. (2018) and Shi et al. (2020) are checked against their formulas
on hand-chosen values whose expected results were computed independently in R 4.2.2:

    n <- 40; a <- 2; q1 <- 10; m <- 15; q3 <- 22; b <- 41
    4/(4+n^0.75)*(a+b)/2 + (1-4/(4+n^0.75))*m                     # Luo S1 mean 16.3061772666
    (b-a)/(2*qnorm((n-0.375)/(n+0.25)))                           # Wan S1 SD   9.0430349469
    (0.7+0.39/n)*(q1+q3)/2 + (0.3-0.39/n)*m                       # Luo S2 mean 15.70975
    (q3-q1)/(2*qnorm((0.75*n-0.125)/(n+0.25)))                    # Wan S2 SD   9.2271588178
    w1 <- 2.2/(2.2+n^0.75); w2 <- 0.7-0.72/n^0.55
    w1*(a+b)/2 + w2*(q1+q3)/2 + (1-w1-w2)*m                       # Luo S3 mean 16.3951517827
    th1 <- (2+0.14*n^0.6)*qnorm((n-0.375)/(n+0.25))               # Shi et al. 2020, eq. as
    th2 <- (2+2/(0.07*n^0.6))*qnorm((0.75*n-0.125)/(n+0.25))      # written in R package meta
    (b-a)/th1 + (q3-q1)/th2                                       # Shi S3 SD   9.1149037075

The Shi SD is written there in a different algebraic form from ours (weights 1/(1 + 0.07 n^0.6)),
so agreement also checks the algebra.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.data import conversions as cv

CLOSED_FORM = 1e-9  # closed-form formulas: only floating-point rounding separates them


def test_sd_from_se_is_se_times_root_n():
    assert cv.sd_from_se(2.5, 25) == pytest.approx(12.5, abs=CLOSED_FORM)
    assert cv.sd_from_se(0.62, 26) == pytest.approx(0.62 * math.sqrt(26), abs=CLOSED_FORM)


def test_ci_divisor_uses_t_for_small_arms_as_in_the_handbook():
    # Cochrane Handbook 6.5.2.2: for n = 25, 3.92 is replaced by 2 x 2.0639 = 4.128
    assert cv.ci_divisor(25) == pytest.approx(4.128, abs=5e-4)
    assert cv.ci_divisor(25) / 2 == pytest.approx(2.0638985616, abs=CLOSED_FORM)
    # large arms: 3.92 (= 2 x 1.96)
    assert cv.ci_divisor(100) == pytest.approx(3.92, abs=1e-3)
    assert cv.ci_divisor(59) > cv.ci_divisor(60)  # the switch sits at 60


def test_sd_from_ci_small_and_large_arm():
    assert cv.sd_from_ci(30.0, 34.2, 25) == pytest.approx(5.0874593331, abs=1e-9)
    assert cv.sd_from_ci(30.0, 34.2, 100) == pytest.approx(10.7144825954, abs=1e-9)


def test_wan_xi_eta_against_r():
    assert cv.xi(25) == pytest.approx(3.9284336839, abs=1e-9)
    assert cv.eta(25) == pytest.approx(1.2720734814, abs=1e-9)
    # large samples: the IQR of a normal distribution is 1.349 SDs
    assert cv.eta(10**7) == pytest.approx(2 * stats.norm.ppf(0.75), abs=1e-6)


N, A, Q1, M, Q3, B = 40, 2.0, 10.0, 15.0, 22.0, 41.0


def test_scenario_s1_median_and_range():
    assert cv.mean_from_median_range(A, M, B, N) == pytest.approx(16.3061772666, abs=1e-9)
    assert cv.sd_from_range(A, B, N) == pytest.approx(9.0430349469, abs=1e-9)


def test_scenario_s2_median_and_iqr():
    assert cv.mean_from_median_iqr(Q1, M, Q3, N) == pytest.approx(15.70975, abs=1e-9)
    assert cv.sd_from_iqr(Q1, Q3, N) == pytest.approx(9.2271588178, abs=1e-9)


def test_scenario_s3_five_numbers():
    assert cv.mean_from_five_numbers(A, Q1, M, Q3, B, N) == pytest.approx(16.3951517827, abs=1e-9)
    assert cv.sd_from_five_numbers(A, Q1, Q3, B, N) == pytest.approx(9.1149037075, abs=1e-9)


def test_symmetric_normal_summaries_recover_mean_and_sd():
    """Expected quantiles of a normal sample give back its mean and SD (large n)."""
    n, mu, sigma = 5000, 50.0, 10.0
    z75 = stats.norm.ppf(0.75)
    q1, q3 = mu - z75 * sigma, mu + z75 * sigma
    a, b = mu - sigma * cv.xi(n) / 2, mu + sigma * cv.xi(n) / 2
    assert cv.mean_from_median_iqr(q1, mu, q3, n) == pytest.approx(mu)
    assert cv.mean_from_five_numbers(a, q1, mu, q3, b, n) == pytest.approx(mu)
    assert cv.sd_from_iqr(q1, q3, n) == pytest.approx(sigma, rel=1e-3)
    assert cv.sd_from_range(a, b, n) == pytest.approx(sigma, rel=1e-12)
    assert cv.sd_from_five_numbers(a, q1, q3, b, n) == pytest.approx(sigma, rel=1e-3)


def test_simulated_normal_samples_are_recovered():
    """A sanity check of the estimators' purpose on data (seeded; n = 200 per sample)."""
    rng = np.random.Generator(np.random.PCG64(7))
    errors = []
    for _ in range(200):
        x = rng.normal(20.0, 4.0, size=200)
        a, q1, m, q3, b = np.percentile(x, [0, 25, 50, 75, 100])
        mean, sd, _ = cv.convert_arm(200, median=m, q1=q1, q3=q3, minimum=a, maximum=b)
        errors.append((mean - x.mean(), sd / x.std(ddof=1) - 1))
    bias = np.mean(errors, axis=0)
    assert abs(bias[0]) < 0.05  # mean within 0.05 on a scale with SD 4
    assert abs(bias[1]) < 0.03  # SD within 3%


@pytest.mark.parametrize(
    ("kwargs", "form"),
    [
        ({"mean": 5.0, "sd": 2.0}, None),
        ({"mean": 5.0, "se": 0.4}, "se"),
        ({"mean": 5.0, "ci_lower": 4.0, "ci_upper": 6.0}, "ci"),
        ({"median": 5.0, "q1": 3.0, "q3": 8.0}, "median_iqr"),
        ({"median": 5.0, "minimum": 1.0, "maximum": 12.0}, "median_range"),
        (
            {"median": 5.0, "q1": 3.0, "q3": 8.0, "minimum": 1.0, "maximum": 12.0},
            "median_iqr_range",
        ),
    ],
)
def test_convert_arm_picks_the_form_and_records_it(kwargs, form):
    mean, sd, record = cv.convert_arm(25, **kwargs)
    if form is None:
        assert (mean, sd, record) == (5.0, 2.0, None)
        return
    assert record.method == form
    assert record.mean == mean and record.sd == sd and sd > 0
    assert record.reported["n"] == 25
    # the text names a source beside its numbered citation only where it points into the work
    # (a Handbook section), never as a second, author-year citation
    assert (record.source in record.description) == ("Handbook" in record.source)
    assert "et al." not in record.description
    assert all(key for key in record.bibkeys)


def test_convert_arm_prefers_reported_sd_over_other_forms():
    mean, sd, record = cv.convert_arm(25, mean=5.0, sd=2.0, se=9.0, median=1.0, q1=0.0, q3=2.0)
    assert (mean, sd, record) == (5.0, 2.0, None)


def test_convert_arm_without_a_complete_form_is_refused():
    assert cv.available_form(mean=5.0) is None
    assert cv.available_form(median=5.0, q1=3.0) is None
    with pytest.raises(ValueError):
        cv.convert_arm(25, mean=5.0)
