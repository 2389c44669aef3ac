"""Reading one CSV in the reference contract for ``python -m analysis meta``.

Columns by data type (arm 1 = intervention, arm 2 = control):

* continuous (SMD, MD): ``study, n1, mean1, sd1, n2, mean2, sd2``
* binary (RR, OR, RD):  ``study, events1, n1, events2, n2``
* generic (GEN):        ``study, yi, vi``

Further columns are kept as text (moderators, subgroup labels). Every problem is reported with
the file, the row as a spreadsheet shows it (header = row 1), the column and the value.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.errors import DataError, Problem
from analysis.stats import effect_sizes

COLUMNS = {
    "SMD": ("n1", "mean1", "sd1", "n2", "mean2", "sd2"),
    "MD": ("n1", "mean1", "sd1", "n2", "mean2", "sd2"),
    "RR": ("events1", "n1", "events2", "n2"),
    "OR": ("events1", "n1", "events2", "n2"),
    "RD": ("events1", "n1", "events2", "n2"),
    "GEN": ("yi", "vi"),
}
COUNT_COLUMNS = ("n1", "n2", "events1", "events2")


@dataclass(frozen=True)
class MetaInput:
    """The studies of one CSV: labels, the contract's numeric columns, and extra columns."""

    path: str
    measure: str
    study: list[str]
    values: dict[str, np.ndarray]
    extra: dict[str, list[str]]

    @property
    def k(self) -> int:
        return len(self.study)

    def effect_sizes(self) -> effect_sizes.EffectSizes:
        v = self.values
        if self.measure == "SMD":
            return effect_sizes.smd(*(v[c] for c in COLUMNS["SMD"]))
        if self.measure == "MD":
            return effect_sizes.md(*(v[c] for c in COLUMNS["MD"]))
        if self.measure == "GEN":
            return effect_sizes.generic(v["yi"], v["vi"])
        return effect_sizes.binary(self.measure, v["events1"], v["n1"], v["events2"], v["n2"])


def _number(text: str, file: str, row: int, column: str, problems: list[Problem]):
    try:
        value = float(text.strip())
    except ValueError:
        problems.append(Problem(file, row, column, text, "a number"))
        return math.nan
    if not math.isfinite(value):
        problems.append(Problem(file, row, column, text, "a finite number"))
        return math.nan
    return value


def _check_row(values: dict[str, float], file: str, row: int, problems: list[Problem]) -> None:
    """Range checks on one row; ``values`` holds the numbers that parsed."""
    for column in COUNT_COLUMNS:
        if column in values and values[column] != int(values[column]):
            problems.append(Problem(file, row, column, values[column], "a whole number"))
    continuous = "sd1" in values or "sd2" in values or "mean1" in values or "mean2" in values
    for arm in ("1", "2"):
        n = values.get(f"n{arm}")
        if n is not None and n < (2 if continuous else 1):
            expected = "at least 2 participants" if continuous else "at least 1 participant"
            problems.append(Problem(file, row, f"n{arm}", n, expected))
        sd = values.get(f"sd{arm}")
        if sd is not None and sd <= 0:
            problems.append(Problem(file, row, f"sd{arm}", sd, "an SD > 0"))
        events = values.get(f"events{arm}")
        if events is not None and events < 0:
            problems.append(Problem(file, row, f"events{arm}", events, "0 or more events"))
        elif events is not None and n is not None and events > n:
            problems.append(
                Problem(file, row, f"events{arm}", events, f"at most n{arm} = {n:g} events")
            )
    if "vi" in values and values["vi"] <= 0:
        problems.append(Problem(file, row, "vi", values["vi"], "a sampling variance > 0"))


def read_meta_csv(path: str | Path, measure: str) -> MetaInput:
    """Read and validate one CSV; raises :class:`DataError` listing every problem."""
    file = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise DataError(Problem(file, None, None, None, "an existing CSV file")) from None
    except UnicodeDecodeError as error:
        raise DataError(Problem(file, None, None, str(error), "UTF-8 text")) from None
    # Blank trailing (or interspersed) rows are ignored; row numbers stay the spreadsheet's.
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(cell.strip() for cell in r)]
    if not numbered:
        raise DataError(Problem(file, None, None, "", "a header row and at least one study"))
    _, header = numbered[0]
    header = [h.strip() for h in header]
    required = ("study", *COLUMNS[measure])
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            [Problem(file, 1, c, None, f"a column '{c}' for measure {measure}") for c in missing]
        )
    if len(numbered) == 1:
        raise DataError(Problem(file, None, None, "", "at least one study row below the header"))
    problems: list[Problem] = []
    index = {name: header.index(name) for name in header}
    study: list[str] = []
    columns: dict[str, list[float]] = {c: [] for c in COLUMNS[measure]}
    extra = {c: [] for c in header if c not in required}
    seen: dict[str, int] = {}
    for row_number, cells in numbered[1:]:
        cells = cells + [""] * (len(header) - len(cells))
        label = cells[index["study"]].strip()
        if not label:
            problems.append(Problem(file, row_number, "study", label, "a study label"))
        elif label in seen:
            problems.append(
                Problem(
                    file, row_number, "study", label, f"a unique label (also row {seen[label]})"
                )
            )
        seen.setdefault(label, row_number)
        study.append(label)
        values = {}
        for column in COLUMNS[measure]:
            values[column] = _number(cells[index[column]], file, row_number, column, problems)
            columns[column].append(values[column])
        _check_row(
            {c: v for c, v in values.items() if not math.isnan(v)}, file, row_number, problems
        )
        for column in extra:
            extra[column].append(cells[index[column]].strip())
    if problems:
        raise DataError(problems)
    arrays = {c: np.asarray(v, dtype=float) for c, v in columns.items()}
    return MetaInput(file, measure, study, arrays, extra)
