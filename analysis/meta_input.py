"""Reading one CSV in the reference contract for ``python -m analysis meta``.

Columns by data type (arm 1 = intervention, arm 2 = control):

* continuous (SMD, MD): ``study, n1, mean1, sd1, n2, mean2, sd2``
* binary (RR, OR, RD):  ``study, events1, n1, events2, n2``
* generic (GEN):        ``study, yi, vi``

Further columns are kept as text (moderators, subgroup labels). The file is read by the one CSV
reader of the builder (:class:`analysis.data.reading.CsvRows`: delimiter, decimal comma,
case-insensitive headers, repeated columns, extra cells, NUL bytes) and every cell is checked by
the builder's rules (:mod:`analysis.data.validation`), streamed row by row into arrays. Every
problem is reported with the file, the row as a spreadsheet shows it (header = row 1), the
column and the value.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.data import validation
from analysis.data.reading import CsvRows, normalise_header
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


class Labels(Sequence):
    """Study labels kept compactly (one UTF-8 buffer and offsets, not one object per label),
    so that a million-row file stays small in memory."""

    def __init__(self) -> None:
        self._text = bytearray()
        self._ends = array("q")

    def append(self, label: str) -> None:
        self._text += label.encode("utf-8")
        self._ends.append(len(self._text))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]
        start = self._ends[i - 1] if i else 0
        return self._text[start : self._ends[i]].decode("utf-8")

    def repeats(self) -> list[tuple[int, int]]:
        """(index, index of its first occurrence) of every label seen before, in file order.

        Labels are compared by their hashes first (sorted, one array), then exactly."""
        hashes = np.fromiter((hash(s) for s in self), dtype=np.int64, count=len(self))
        order = np.argsort(hashes, kind="stable")
        sorted_hashes = hashes[order]
        same = np.flatnonzero(sorted_hashes[1:] == sorted_hashes[:-1])
        candidates = sorted(set(order[same].tolist()) | set(order[same + 1].tolist()))
        first: dict[str, int] = {}
        out = []
        for i in candidates:
            label = self[i]
            if label in first:
                out.append((i, first[label]))
            else:
                first[label] = i
        return out


@dataclass(frozen=True)
class MetaInput:
    """The studies of one CSV: labels, the contract's numeric columns, extra columns (those
    asked for), the spreadsheet row of each study and the names of every extra column."""

    path: str
    measure: str
    study: Sequence[str]
    values: dict[str, np.ndarray]
    extra: dict[str, list[str]]
    rows: np.ndarray
    extra_columns: tuple[str, ...] = ()

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


def _row_values(cells: validation.Cells, row, measure: str) -> dict[str, float | None]:
    """The contract's cells of one row, each by the builder's rule for that kind of cell
    (arm sizes before the events they bound)."""
    out: dict[str, float | None] = {}
    for column in sorted(COLUMNS[measure], key=lambda c: not c.startswith("n")):
        if column in ("n1", "n2"):
            out[column] = validation.arm_size(cells, row, column)
        elif column in ("events1", "events2"):
            out[column] = validation.events(cells, row, column, out[f"n{column[-1]}"])
        elif column in ("sd1", "sd2"):
            out[column] = validation.standard_deviation(cells, row, column, required=True)
        elif column == "vi":
            out[column] = validation.sampling_variance(cells, row, column)
        else:
            out[column] = cells.number(row, column, required=True)
    return out


def read_meta_csv(path: str | Path, measure: str, keep: tuple[str, ...] | None = None) -> MetaInput:
    """Read and validate one CSV; raises :class:`DataError` listing every problem.

    ``keep`` names the extra columns to keep as text (default: all of them)."""
    file = str(path)
    if not Path(path).exists():
        raise DataError(Problem(file, None, None, None, "an existing CSV file"))
    reader = CsvRows(Path(path), source=file)  # a folder, no permission...: DataError naming it
    with reader:
        header = reader.header_table()
        problems = validation.Problems()
        cells = validation.Cells(header, problems)
        required = ("study", *COLUMNS[measure])
        if not cells.require_columns(required):
            problems.raise_errors()
        extra_columns = tuple(c for c in header.columns if c not in required)
        wanted = extra_columns if keep is None else tuple(normalise_header(c) for c in keep)
        extra = {c: [] for c in extra_columns if c in wanted}
        study = Labels()
        numbers = {c: array("d") for c in COLUMNS[measure]}
        rows = array("q")
        for row in reader:
            label = cells.text(row, "study")
            study.append(label or "")
            rows.append(row.number)
            for column, value in _row_values(cells, row, measure).items():
                numbers[column].append(np.nan if value is None else value)
            for column, values in extra.items():
                values.append(row.get(column))
        problems.errors[:0] = reader.problems
    for i, first in study.repeats():
        if study[i]:
            problems.error(
                file, rows[i], "study", study[i], f"a unique label (also row {rows[first]})"
            )
    problems.errors.sort(key=lambda p: p.row or 0)
    problems.raise_errors()
    if not study:
        raise DataError(Problem(file, None, None, "", "at least one study row below the header"))
    arrays = {c: np.frombuffer(v, dtype=float) for c, v in numbers.items()}
    return MetaInput(
        file, measure, study, arrays, extra, np.frombuffer(rows, dtype=np.int64), extra_columns
    )
