"""The distribution functions of :mod:`analysis.stats.distributions` against ``scipy.stats``,
and the rule that the builder never imports ``scipy.stats`` (about 1 s of every build)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from analysis.stats import distributions as dist

CLOSED_FORM_RTOL = 1e-12  # the same special functions: equal to rounding


@pytest.mark.parametrize("n", [3, 4, 5, 7, 9, 12])
def test_kendall_exact_pvalue_is_scipys_for_every_count(n):
    """Every number of discordant pairs from 0 to n(n − 1)/2, through permutations of y that
    have exactly that many inversions against x = 0, 1, …, n − 1."""
    x = np.arange(n, dtype=float)
    for discordant in range(n * (n - 1) // 2 + 1):
        y = _permutation_with_inversions(n, discordant)
        expected = stats.kendalltau(x, y, method="exact").pvalue
        assert dist.kendall_exact_pvalue(n, discordant) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n", [40, 180])
def test_kendall_exact_pvalue_large_n(n):
    """Random orderings, below and above n = 171 (where n! leaves floating point)."""
    rng = np.random.default_rng(n)
    x = np.arange(n, dtype=float)
    for _ in range(5):
        y = rng.permutation(n).astype(float)
        i, j = np.triu_indices(n, 1)
        discordant = int(np.sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) < 0))
        expected = stats.kendalltau(x, y, method="exact").pvalue
        assert dist.kendall_exact_pvalue(n, discordant) == pytest.approx(expected, rel=1e-9)


def _permutation_with_inversions(n: int, inversions: int) -> np.ndarray:
    """A permutation of 0…n−1 with exactly ``inversions`` inversions (Lehmer code, greedy)."""
    left, values, out = inversions, list(range(n)), []
    for position in range(n):
        take = min(left, n - 1 - position)
        out.append(values.pop(take))
        left -= take
    return np.array(out, dtype=float)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda q: dist.norm_ppf(q), lambda q: stats.norm.ppf(q)),
        (lambda x: dist.norm_sf(x), lambda x: stats.norm.sf(x)),
        (lambda q: dist.t_ppf(q, 7), lambda q: stats.t.ppf(q, 7)),
        (lambda x: dist.t_sf(x, 7), lambda x: stats.t.sf(x, 7)),
        (lambda x: dist.chi2_sf(x * 10, 3), lambda x: stats.chi2.sf(x * 10, 3)),
        (lambda x: dist.chi2_cdf(x * 10, 1), lambda x: stats.chi2.cdf(x * 10, 1)),
        (lambda q: dist.chi2_ppf(q, 1), lambda q: stats.chi2.ppf(q, 1)),
        (lambda x: dist.f_sf(x * 5, 2, 9), lambda x: stats.f.sf(x * 5, 2, 9)),
    ],
)
def test_distribution_functions_are_scipy_stats(ours, theirs):
    grid = np.linspace(0.01, 0.99, 25)
    np.testing.assert_allclose(ours(grid), theirs(grid), rtol=CLOSED_FORM_RTOL)


def test_the_builder_does_not_import_scipy_stats():
    """Every module of the build, the render and the CLI loads without ``scipy.stats``."""
    probe = (
        "import sys, pkgutil, importlib, analysis\n"
        "for m in pkgutil.walk_packages(analysis.__path__, 'analysis.'):\n"
        "    if m.name != 'analysis.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.startswith('scipy.stats')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
