"""Reading tables as spreadsheets save them: CSV (UTF-8 with or without BOM, comma or semicolon
delimited, decimal commas with semicolons) or one sheet of an ``.xlsx`` workbook.

Cells come back as stripped strings ('' for blank) with their spreadsheet row number (header =
row 1), so that every later message can name the row a reviewer sees. Blank rows are skipped;
header names are normalised (trimmed, lower case, spaces to underscores).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import itertools
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from analysis import safe_yaml
from analysis.errors import TABLE_SUFFIXES, DataError, Problem

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


@dataclass(frozen=True)
class Workbook:
    """An ``.xlsx`` workbook and the names of its sheets (read once)."""

    path: Path
    sheets: tuple[str, ...]


def find_workbook(data_dir: Path) -> Workbook | None:
    """The one ``.xlsx`` workbook in ``data_dir`` (Excel's ``~$`` lock files ignored), if any;
    a DataError when there are several or it cannot be read."""
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
    return Workbook(books[0], sheet_names(books[0])) if books else None


def read_table(data_dir: Path, name: str, workbook: Workbook | None = None) -> Table:
    """Read table ``name`` from ``<name>.csv`` or, failing that, from the workbook's sheet.

    Raises :class:`DataError` when the table is in neither place, or in both.
    """
    csv_path = data_dir / f"{name}.csv"
    sheets = workbook.sheets if workbook is not None else ()
    if csv_path.exists() and name in sheets:
        raise DataError(
            Problem(
                f"{name}.csv",
                None,
                None,
                f"also sheet '{name}' in {workbook.path.name}",
                "each table in one place only: the CSV file or the workbook sheet",
            )
        )
    if csv_path.exists():
        return read_csv(csv_path)
    if name in sheets:
        return read_sheet(workbook.path, name)
    where = f"{name}.csv" + (f" or sheet '{name}' in {workbook.path.name}" if workbook else "")
    raise DataError(Problem(f"{name}.csv", None, None, None, f"the table {where}"))


#: the largest CSV field: Python's csv module refuses longer ones (``_csv.Error``)
MAX_FIELD_CHARS = csv.field_size_limit()


def _os_problem(source: str, error: OSError) -> Problem:
    if isinstance(error, PermissionError):
        return Problem(source, None, None, "permission denied", "a file this user may read")
    if isinstance(error, FileNotFoundError):
        return Problem(source, None, None, None, "the file to exist")
    return Problem(source, None, None, error.strerror or type(error).__name__, "a readable file")


@contextlib.contextmanager
def file_errors(source: str):
    """Turn the file-system and format errors of reading one file into a DataError naming
    ``source``: no permission, a corrupt workbook."""
    try:
        yield
    except DataError:
        raise
    except OSError as error:
        raise DataError(_os_problem(source, error)) from None
    except zipfile.BadZipFile:
        raise DataError(
            Problem(
                source,
                None,
                None,
                None,
                "an .xlsx workbook (save it again from the spreadsheet program)",
                "not a readable .xlsx workbook",
            )
        ) from None


#: what a path that is not a regular file is, by its ``stat`` type
_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_regular_file(path: Path, source: str | None = None) -> None:
    """Raise :class:`DataError` unless ``path`` is (or links to) a regular file: a FIFO or a
    device such as ``/dev/zero`` would block or never end when read."""
    source = source or Path(path).name
    with file_errors(source):
        mode = Path(path).stat().st_mode
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
        raise DataError(Problem(source, None, None, None, "a regular file", kind))


def read_bytes(path: Path, source: str | None = None) -> bytes:
    """The bytes of ``path``, a regular file, or a DataError naming the file (``source``,
    default its name)."""
    source = source or Path(path).name
    check_regular_file(path, source)
    with file_errors(source):
        return Path(path).read_bytes()


def read_yaml(path: Path, source: str | None = None):
    """One YAML file through the project's one safe loader (:mod:`analysis.safe_yaml`), or a
    DataError naming the file, the line and the reason (never the value)."""
    import yaml

    source = source or path.name
    _check_size(path, source)
    raw = read_bytes(path, source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            Problem(source, line, None, None, "UTF-8 text (save it as UTF-8)", "not UTF-8 text")
        ) from None
    try:
        return safe_yaml.load_yaml(text)
    except (yaml.YAMLError, safe_yaml.YamlLimitError) as error:
        reason, line = safe_yaml.error_reason(error)
        raise DataError(
            Problem(source, line, None, None, "YAML the builder accepts", reason)
        ) from None


def _check_size(path: Path, source: str) -> None:
    """A DataError unless ``path`` is a regular file of at most
    :data:`~analysis.safe_yaml.MAX_BYTES` bytes (YAML files, sections, manuscript sources)."""
    check_regular_file(path, source)
    with file_errors(source):
        if Path(path).stat().st_size > safe_yaml.MAX_BYTES:
            raise DataError(
                Problem(source, None, None, None, f"at most {safe_yaml.MAX_BYTES:,} bytes")
            )


def read_text(path: Path, source: str | None = None) -> str:
    """A text file of at most :data:`~analysis.safe_yaml.MAX_BYTES` bytes that passes
    :func:`check_text_file`, decoded; otherwise a DataError naming the file (and line)."""
    source = source or path.name
    _check_size(path, source)
    return check_text_file(path, source)


def _save_as_utf8(source: str) -> str:
    """How to fix a file's encoding: a table is saved from a spreadsheet program."""
    if source.endswith(TABLE_SUFFIXES):
        return "save the spreadsheet as 'CSV UTF-8'"
    return "save the file as UTF-8 text"


def check_text_file(path: Path, source: str | None = None) -> str:
    """The text of ``path``, UTF-8 (BOM allowed) without NUL bytes, or a :class:`DataError`
    naming the file (``source``, default its name) and the line of the bad byte."""
    source = source or path.name
    raw = read_bytes(path, source)
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DataError(
            Problem(
                source,
                raw[:nul].count(b"\n") + 1,
                None,
                "a NUL byte",
                f"text without NUL bytes ({_save_as_utf8(source)})",
            )
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            Problem(
                source,
                line,
                None,
                raw[error.start : error.start + 4],
                f"UTF-8 text ({_save_as_utf8(source)})",
            )
        ) from None


class CsvRows:
    """The one CSV reader of ``build``, ``check`` and ``meta``: a header and its rows, streamed.

    The delimiter is the more frequent of ``;`` and ``,`` in the header; with ``;`` numbers may
    use a decimal comma (``decimal_comma``). Header names are normalised
    (:func:`normalise_header`: case-insensitive); an unnamed or repeated column, and a row with
    more cells than the header, are problems, collected in ``problems`` while rows are read
    (:meth:`raise_problems` raises them). A quote left open, text after a closing quote and a
    cell longer than :data:`MAX_FIELD_CHARS` raise a DataError naming the row and column.
    Iterating yields one :class:`Row` at a time, so a large file is never held in memory as
    rows. Use as a context manager. ``source`` names the file in messages (default: its name).
    """

    def header_table(self) -> Table:
        """The header as a :class:`Table` without rows, for the cell rules of
        :class:`~analysis.data.validation.Cells`."""
        return Table(self.source, self.path, self.columns, (), self.decimal_comma)

    def __init__(self, path: Path, source: str | None = None):
        self.path = Path(path)
        self.source = source or self.path.name
        check_text_file(self.path, self.source)
        with file_errors(self.source):
            self._handle = self.path.open(newline="", encoding="utf-8-sig")
        header_line = next((line for line in self._handle if line.strip()), "")
        self.delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        self.decimal_comma = self.delimiter == ";"
        self._handle.seek(0)
        self.problems: list[Problem] = []
        self.columns: tuple[str, ...] = ()
        self._records = _records(self._csv_records())
        try:
            self._header = _Header(self.source, self._records, self.problems)
        except DataError:
            self._handle.close()
            raise
        self.columns = self._header.columns

    def _csv_records(self):
        """The cells of each record, strictly parsed; a malformed record is a DataError."""
        lines: list[str] = []  # the lines of the record being read
        first_line = 1

        def read_lines():
            for line in self._handle:
                lines.append(line)
                yield line

        reader = csv.reader(read_lines(), delimiter=self.delimiter, strict=True)
        for number in itertools.count(1):
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raise DataError(self._malformed(number, first_line, "".join(lines))) from None
            yield cells
            first_line += len(lines)
            lines.clear()

    def _malformed(self, row: int, line: int, text: str) -> Problem:
        """The problem of the record in row ``row`` (from line ``line``) that csv refused."""
        index, start, cell = _bad_cell(text, self.delimiter)
        column = self.columns[index] if index < len(self.columns) else f"#{index + 1}"
        line += text[:start].count("\n")
        where = f" (line {line})" if line != row else ""
        if len(cell) > MAX_FIELD_CHARS:
            expected = f"cells of at most {MAX_FIELD_CHARS:,} characters"
            found = f"a cell of more than {MAX_FIELD_CHARS:,} characters{where}"
            if cell.startswith('"') and "\n" in cell:
                found += f" over {cell.count(chr(10)) + 1} lines: is a quote left open?"
        elif _QUOTED.match(cell):
            expected = 'a delimiter right after the closing quote (a quote inside a cell is "")'
            found = f"text after the closing quote of a quoted cell{where}"
        else:
            expected = 'a closing quote for the quoted cell (a quote inside a cell is "")'
            found = f"a quote that opens here{where} and is never closed"
        return Problem(self.source, row, column, None, expected, found)

    def __iter__(self):
        with file_errors(self.source):
            for number, cells in self._records:
                row = self._header.row(number, cells)
                self._check_swallowed_rows(row)
                yield row

    def _check_swallowed_rows(self, row: Row) -> None:
        """A problem for each cell with lines that look like rows of this table: a quote left
        open took them into the cell, up to a later quote."""
        delimiters = max(2, len(self.columns) - 1)
        for column, cell in row.cells.items():
            lines = cell.splitlines()[1:]
            swallowed = sum(line.count(self.delimiter) >= delimiters for line in lines)
            if swallowed:
                self.problems.append(
                    Problem(
                        self.source,
                        row.number,
                        column,
                        None,
                        'a closing quote where the cell ends (a quote inside a cell is "")',
                        f"a quoted cell holding {swallowed} more line(s) that look like rows: "
                        "is a quote left open?",
                    )
                )

    def raise_problems(self) -> None:
        if self.problems:
            raise DataError(self.problems)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _bad_cell(text: str, delimiter: str) -> tuple[int, int, str]:
    """(index, offset, raw text) of the first cell of one record's ``text`` that is too long
    or badly quoted (the last cell if none is)."""
    d = re.escape(delimiter)
    cell = re.compile(rf'"(?:[^"]|"")*+"?[^{d}\r\n]*|[^{d}\r\n]*')
    index, start = 0, 0
    while True:
        raw = cell.match(text, start).group()
        end = start + len(raw)
        bad = len(raw) > MAX_FIELD_CHARS or (raw.startswith('"') and not _QUOTED.fullmatch(raw))
        if bad or end >= len(text) or text[end] != delimiter:
            return index, start, raw
        index, start = index + 1, end + 1


#: a quoted cell, its quotes inside doubled
_QUOTED = re.compile(r'"(?:[^"]|"")*+"')


def read_csv(path: Path) -> Table:
    """Read a whole CSV file as a :class:`Table` (the rules: :class:`CsvRows`)."""
    with CsvRows(path) as reader:
        rows = tuple(reader)
    reader.raise_problems()
    return Table(reader.source, path, reader.columns, rows, reader.decimal_comma)


def _open_workbook(workbook: Path):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_regular_file(workbook)
    with file_errors(workbook.name):
        try:
            return openpyxl.load_workbook(workbook, read_only=True, data_only=True)
        except (KeyError, ValueError, InvalidFileException):
            raise zipfile.BadZipFile from None


def sheet_names(workbook: Path) -> tuple[str, ...]:
    book = _open_workbook(workbook)
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
    book = _open_workbook(workbook)
    try:
        with file_errors(workbook.name):
            records = [
                (number, [_cell_text(v) for v in values])
                for number, values in enumerate(book[sheet].iter_rows(values_only=True), 1)
            ]
    finally:
        book.close()
    return _table(f"{workbook.name}, sheet '{sheet}'", workbook, records, decimal_comma=False)


def _records(records):
    """(row number, stripped cells) of the non-blank records, numbered as a spreadsheet."""
    for number, cells in enumerate(records, start=1):
        cells = [c.strip() for c in cells]
        if any(cells):
            yield number, cells


class _Header:
    """The normalised column names of the first non-blank record (trailing blanks dropped),
    and the :class:`Row` of each later record; problems go to ``problems``."""

    def __init__(self, source: str, records, problems: list):
        first = next(records, None)
        if first is None:
            raise DataError(Problem(source, None, None, "", "a header row and data rows"))
        self.source, self.problems = source, problems
        self.number, header = first
        self.width = len(header)  # with the trailing blank names: cells there are unnamed
        self.unnamed: set[int] = set()  # positions of unnamed columns already reported
        columns = [normalise_header(c) for c in header]
        while columns and not columns[-1]:
            columns.pop()
        seen = set()
        for position, column in enumerate(columns, start=1):
            if not column:
                problems.append(Problem(source, self.number, f"#{position}", "", "a column name"))
            elif column in seen:
                problems.append(Problem(source, self.number, column, column, "unique column names"))
            seen.add(column)
        self.columns = tuple(columns)

    def row(self, number: int, cells: list) -> Row:
        """One record as a :class:`Row`; a value beyond the named columns is a problem: once
        per unnamed header cell, or per row beyond the header's width."""
        named = len(self.columns)
        for position, cell in enumerate(cells[named:], start=named + 1):
            if cell and position > self.width:
                self.problems.append(
                    Problem(self.source, number, None, cell, f"at most {named} cells per row")
                )
                break
            if cell and position not in self.unnamed:
                self.unnamed.add(position)
                self.problems.append(
                    Problem(
                        self.source,
                        self.number,
                        f"#{position}",
                        None,
                        f"a column name for the values below it (row {number}: {cell!r})",
                        "an unnamed column",
                    )
                )
        padded = cells + [""] * (named - len(cells))
        return Row(number, dict(zip(self.columns, padded, strict=False)))


def _table(source: str, path: Path, records: list, decimal_comma: bool) -> Table:
    problems: list[Problem] = []
    records = _records(cells for _, cells in records)
    header = _Header(source, records, problems)
    rows = tuple(header.row(n, c) for n, c in records)
    if problems:
        raise DataError(problems)
    return Table(source, path, header.columns, rows, decimal_comma)
