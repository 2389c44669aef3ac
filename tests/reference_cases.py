"""Reference cases computed with R's metafor: the shared ones and those under tests/fixtures.

Each JSON file records how it was produced (metafor, metadat and R versions; the R calls are in
``../shared/reference/README.md`` and ``tests/fixtures/metafor/make_models.R``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from analysis.meta_input import MetaInput, read_meta_csv
from analysis.paths import ROOT

#: the shared metafor reference cases: the repository's copy in tests/fixtures/shared_reference
#: (taken on 2026-11-25), unless the project's common set sits beside the repository
#: (../shared/reference, as on the project's own machines). The pytest header names the one used.
SHARED_REFERENCE = next(
    path
    for path in (ROOT.parent / "shared" / "reference", ROOT / "tests/fixtures/shared_reference")
    if path.is_dir()
)
FIXTURE_REFERENCE = ROOT / "tests" / "fixtures" / "metafor"

# Tolerances, per kind of quantity (the bar):
#: closed forms (effect sizes, FE, DL, HE, HS, SJ, MH, Peto): both sides evaluate the same
#: formula, so only floating-point rounding separates them.
CLOSED_FORM_RTOL = 1e-8
#: values that differ from zero only by rounding (e.g. a difference of identical effects)
ZERO_ATOL = 1e-12
#: iterative estimators (REML, ML, EB): metafor stops Fisher scoring when tau² changes by less
#: than 1e-5, we at 1e-12, so the two agree to metafor's threshold, not to the last digit.
ITERATIVE_RTOL = 1e-4
ITERATIVE_ATOL = 1e-6
#: metafor's Fisher scoring (ML, REML, EB) stops when tau² changes by less than 1e-5; ours at
#: 1e-12. Where that stopping error moves metafor's default result further than the tolerance
#: above (e.g. li2007 RD, REML: estimate −0.029858 vs −0.029825 converged), the test requires
#: metafor run to the same tight threshold (tests/fixtures/metafor/tight) to agree with us to
#: CLOSED_FORM_RTOL, and the default to lie no closer to us than to that converged value.
TIGHT_REFERENCE = FIXTURE_REFERENCE / "tight"


@dataclass(frozen=True)
class Case:
    name: str
    measure: str
    expected: dict
    data: MetaInput

    def __str__(self) -> str:
        return f"{self.name}_{self.measure}"


def _cases_in(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*_*.json")):
        expected = json.loads(path.read_text())
        csv = folder / expected["input_csv"]
        data = read_meta_csv(csv, expected["measure"])
        cases.append(Case(expected["case"], expected["measure"], expected, data))
    return cases


def all_cases() -> list[Case]:
    return _cases_in(SHARED_REFERENCE) + _cases_in(FIXTURE_REFERENCE)


def close(actual, expected, rtol: float, atol: float = ZERO_ATOL) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and abs(actual - expected) <= max(rtol * abs(expected), atol)
