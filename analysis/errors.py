"""The one error type for bad input, and the problem records it carries.

Every message names the file, the row as a spreadsheet shows it (header = row 1, so the first
data row is row 2), the column, the value and what was expected. The CLI prints these messages
without a traceback and exits with code 2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in the input.

    ``row`` is the spreadsheet row (1 = header) of a table, the line of any other file (YAML,
    BibTeX, Markdown), or ``None`` for whole-file problems; for YAML files ``column`` holds the
    key path (e.g. ``screening.excluded``) and the message calls it a key. ``found`` says what
    is wrong when it is not a value (a file that is not valid YAML, not UTF-8).
    """

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str
    found: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", {'row' if self.file.endswith(TABLE_SUFFIXES) else 'line'} {self.row}"
        if self.column is not None:
            name = "key" if self.file.endswith((".yml", ".yaml")) else "column"
            where += f", {name} '{self.column}'"
        if self.found:
            got = self.found
        elif self.value is None or self.value == "":
            got = "empty" if self.value == "" else "missing"
        else:
            got = _show(self.value)
        return f"{where}: {got} — expected {self.expected}"


#: files whose problems are located by spreadsheet row, not by line
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx")


def _show(value: object) -> str:
    """A value as the user typed it: text quoted, whole floats without ".0"."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:80] + "…")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class DataError(Exception):
    """Bad input: one or more :class:`Problem` records, reported together."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(self.message())

    def message(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems in the input:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class AnalysisError(Exception):
    """A model that cannot be fitted to valid data (no convergence, too few studies, ...).

    The message states the reason in words a reviewer can act on.
    """
