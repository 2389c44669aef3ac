"""Reading tables as spreadsheets save them: CSV (UTF-8 with or without BOM, comma or semicolon
delimited, decimal commas with semicolons) or one sheet of an ``.xlsx`` workbook.

Cells come back as stripped strings ('' for blank) with their spreadsheet row number (header =
row 1), so that every later message can name the row a reviewer sees. Blank rows are skipped;
header names are normalised (trimmed, lower case, spaces to underscores).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import DataError, Problem

#: tables that may come from a CSV file or from a workbook sheet of the same name
TABLES = ("studies", "outcomes", "adverse_events", "risk_of_bias")


@dataclass(frozen=True)
class Row:
    """One data row: ``number`` as a spreadsheet shows it, ``cells`` column -> stripped text."""

    number: int
    cells: dict

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class Table:
    """A table read from ``source`` (the name used in messages, e.g. ``outcomes.csv``)."""

    source: str
    path: Path
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    decimal_comma: bool = False


def normalise_header(name: str) -> str:
    return "_".join(name.strip().lower().split())


def find_workbook(data_dir: Path) -> Path | None:
    """The one ``.xlsx`` workbook in ``data_dir`` (Excel's ``~$`` lock files ignored), if any."""
    books = sorted(p for p in data_dir.glob("*.xlsx") if not p.name.startswith("~$"))
    if len(books) > 1:
        raise DataError(
            Problem(
                data_dir.name,
                None,
                None,
                ", ".join(p.name for p in books),
                "at most one .xlsx workbook in the data folder",
            )
        )
    return books[0] if books else None


def read_table(data_dir: Path, name: str, workbook: Path | None = None) -> Table:
    """Read table ``name`` from ``<name>.csv`` or, failing that, from the workbook's sheet.

    Raises :class:`DataError` when the table is in neither place, or in both.
    """
    csv_path = data_dir / f"{name}.csv"
    sheet = _sheet_names(workbook) if workbook is not None else ()
    if csv_path.exists() and name in sheet:
        raise DataError(
            Problem(
                f"{name}.csv",
                None,
                None,
                f"also sheet '{name}' in {workbook.name}",
                "each table in one place only: the CSV file or the workbook sheet",
            )
        )
    if csv_path.exists():
        return read_csv(csv_path)
    if name in sheet:
        return read_sheet(workbook, name)
    where = f"{name}.csv" + (f" or sheet '{name}' in {workbook.name}" if workbook else "")
    raise DataError(Problem(f"{name}.csv", None, None, None, f"the table {where}"))


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            Problem(
                path.name,
                line,
                None,
                raw[error.start : error.start + 4],
                "UTF-8 text (save the spreadsheet as 'CSV UTF-8')",
            )
        ) from None


def read_csv(path: Path) -> Table:
    """Read a CSV file; the delimiter is the more frequent of ``;`` and ``,`` in the header.

    With ``;`` as delimiter, numbers may use a decimal comma (``decimal_comma`` is set).
    """
    text = _decode(path)
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = list(enumerate(reader, start=1))
    return _table(path.name, path, records, decimal_comma=delimiter == ";")


def _sheet_names(workbook: Path) -> tuple[str, ...]:
    import openpyxl

    book = openpyxl.load_workbook(workbook, read_only=True, data_only=True)
    try:
        return tuple(book.sheetnames)
    finally:
        book.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    return str(value)


def read_sheet(workbook: Path, sheet: str) -> Table:
    """Read one sheet of an ``.xlsx`` workbook (values, not formulas)."""
    import openpyxl

    book = openpyxl.load_workbook(workbook, read_only=True, data_only=True)
    try:
        records = [
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(book[sheet].iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()
    return _table(f"{workbook.name}, sheet '{sheet}'", workbook, records, decimal_comma=False)


def _table(source: str, path: Path, records: list, decimal_comma: bool) -> Table:
    records = [(n, [c.strip() for c in cells]) for n, cells in records]
    records = [(n, cells) for n, cells in records if any(cells)]
    if not records:
        raise DataError(Problem(source, None, None, "", "a header row and data rows"))
    header_number, header = records[0]
    columns = [normalise_header(c) for c in header]
    while columns and not columns[-1]:
        columns.pop()
    problems = []
    seen = set()
    for position, column in enumerate(columns, start=1):
        if not column:
            problems.append(Problem(source, header_number, f"#{position}", "", "a column name"))
        elif column in seen:
            problems.append(Problem(source, header_number, column, column, "unique column names"))
        seen.add(column)
    rows = []
    for number, cells in records[1:]:
        extra = [c for c in cells[len(columns) :] if c]
        if extra:
            problems.append(
                Problem(source, number, None, extra[0], f"at most {len(columns)} cells per row")
            )
        padded = cells + [""] * (len(columns) - len(cells))
        rows.append(Row(number, dict(zip(columns, padded, strict=False))))
    if problems:
        raise DataError(problems)
    return Table(source, path, tuple(columns), tuple(rows), decimal_comma)
