"""Reference cases and tolerances for the secondary-analysis tests (issue 6).

Two sources, both produced by R's metafor 3.8-1:
- ``../shared/reference/*.json`` (the shared visible cases, README there), and
- ``tests/fixtures/secondary_*.json`` made by ``tests/fixtures/make_reference.R`` on published
  metadat datasets; each records its R calls, metafor, metadat and R versions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from analysis.paths import ROOT
from tests.reference_cases import (  # noqa: F401  (re-exported for the tests)
    CLOSED_FORM_RTOL,
    ITERATIVE_ATOL,
    ITERATIVE_RTOL,
    SHARED_REFERENCE,
)

SHARED_DIR = SHARED_REFERENCE
FIXTURE_DIR = ROOT / "tests" / "fixtures"

# Tolerances per kind of quantity are the engine tests' (tests/reference_cases.py, with their
# reasons there): CLOSED_FORM_RTOL for closed forms (weighted least squares, Kendall's tau,
# Q between, the L0 count), ITERATIVE_RTOL / ITERATIVE_ATOL for anything downstream of an
# iterative tau² (REML). Two more, specific to these analyses:
#: metafor's default convergence threshold on tau² (an absolute change between iterations):
#: with tau² ~ 1e-4 (risk differences) metafor's tau² can sit this far from the converged root,
#: so the shared cases' leave-one-out refits are compared at metafor's tau² (see
#: test_sensitivity.py); the fixtures here were made with threshold 1e-10 and need no such care.
METAFOR_TAU2_THRESHOLD = 1e-5
#: I² in percent is 100·tau²/(tau² + s²): it multiplies the tau² stopping error by 100/s²
#: (2·10⁴ for s² = 0.005, Fisher-z correlations), so near tau² = 0 it needs an absolute bound in
#: percentage points (metafor here stops at a tau² change of 1e-10).
I2_PCT_ATOL = 1e-4
#: the fixtures' JSON writer (jsonlite, digits = NA) keeps 15 significant digits.
JSON_RTOL = 1e-14


def shared_cases() -> list[Path]:
    return sorted(SHARED_DIR.glob("*_*.json"))


def fixture_cases() -> list[Path]:
    return sorted(FIXTURE_DIR.glob("secondary_*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def yi_vi(case: dict) -> tuple[np.ndarray, np.ndarray]:
    """Effect sizes of a shared case (``escalc``) or a fixture (``input``)."""
    source = case["escalc"] if "escalc" in case else case["input"]
    return np.array(source["yi"], dtype=float), np.array(source["vi"], dtype=float)


def as_array(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def assert_close(actual, expected, rel: float, abs_: float = 0.0, what: str = "") -> None:
    """|actual − expected| ≤ max(rel·|expected|, abs_) elementwise; None/NaN must match."""
    actual, expected = as_array(np.atleast_1d(actual)), as_array(np.atleast_1d(expected))
    assert actual.shape == expected.shape, what
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), what
    ok = ~np.isnan(expected)
    bound = np.maximum(rel * np.abs(expected[ok]), abs_) + JSON_RTOL * np.abs(expected[ok])
    diff = np.abs(actual[ok] - expected[ok])
    assert np.all(diff <= bound), f"{what}: max diff {diff.max():.3g} (bound {bound.min():.3g})"


def columns(path: Path, case: dict) -> dict[str, list]:
    """Extra (moderator / subgroup) columns of a case: the fixture's ``input`` or the shared
    case's CSV."""
    if "input" in case:
        return case["input"]
    import csv

    with open(SHARED_DIR / case["input_csv"], newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {name: [row[name] for row in rows] for name in rows[0]}


def blocks(case: dict, key: str) -> list[dict]:
    """A case's ``subgroups`` / ``metareg`` blocks as a list (shared cases hold one block)."""
    value = case.get(key)
    if not value:
        return []
    found = value if isinstance(value, list) else [value]
    for block in found:  # jsonlite writes a one-element vector as a scalar
        if isinstance(block.get("columns"), str):
            block["columns"] = [block["columns"]]
    return found
