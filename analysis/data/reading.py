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
    sheet = sheet_names(workbook) if workbook is not None else ()
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


#: the largest CSV field: Python's csv module refuses longer ones (``_csv.Error``)
MAX_FIELD_CHARS = csv.field_size_limit()


def _os_problem(source: str, error: OSError) -> Problem:
    if isinstance(error, IsADirectoryError):
        return Problem(source, None, None, "a folder", "a file")
    if isinstance(error, PermissionError):
        return Problem(source, None, None, "permission denied", "a file this user may read")
    if isinstance(error, FileNotFoundError):
        return Problem(source, None, None, None, "the file to exist")
    return Problem(source, None, None, error.strerror or type(error).__name__, "a readable file")


@contextlib.contextmanager
def file_errors(source: str):
    """Turn the file-system and format errors of reading one file into a DataError naming
    ``source``: a folder where the file should be, no permission, a corrupt workbook, a CSV
    field longer than :data:`MAX_FIELD_CHARS` characters."""
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
                "an .xlsx workbook (the file is damaged or is "
                "not a workbook: save it again from the spreadsheet program)",
            )
        ) from None
    except csv.Error as error:
        raise DataError(
            Problem(
                source,
                None,
                None,
                None,
                f"CSV cells of at most {MAX_FIELD_CHARS:,} characters ({error})",
            )
        ) from None


def read_bytes(path: Path, source: str | None = None) -> bytes:
    """The bytes of ``path``, or a DataError naming the file (``source``, default its name)."""
    with file_errors(source or path.name):
        return Path(path).read_bytes()


def read_yaml(path: Path, source: str | None = None):
    """One YAML file through the project's one safe loader (:mod:`analysis.safe_yaml`), or a
    DataError naming the file, the line and the reason (never the value)."""
    import yaml

    source = source or path.name
    with file_errors(source):
        if Path(path).stat().st_size > safe_yaml.MAX_BYTES:
            raise DataError(
                Problem(source, None, None, None, f"at most {safe_yaml.MAX_BYTES:,} bytes")
            )
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


def read_text(path: Path, source: str | None = None) -> str:
    """A text file of at most :data:`~analysis.safe_yaml.MAX_BYTES` bytes that passes
    :func:`check_text_file`, decoded; otherwise a DataError naming the file (and line)."""
    source = source or path.name
    with file_errors(source):
        if Path(path).stat().st_size > safe_yaml.MAX_BYTES:
            raise DataError(
                Problem(source, None, None, None, f"at most {safe_yaml.MAX_BYTES:,} bytes")
            )
    check_text_file(path, source)
    return read_bytes(path, source).decode("utf-8-sig")


def _save_as_utf8(source: str) -> str:
    """How to fix a file's encoding: a table is saved from a spreadsheet program."""
    if source.endswith(TABLE_SUFFIXES):
        return "save the spreadsheet as 'CSV UTF-8'"
    return "save the file as UTF-8 text"


def check_text_file(path: Path, source: str | None = None) -> None:
    """Raise :class:`DataError` unless ``path`` is UTF-8 text (BOM allowed) without NUL bytes;
    the message names the file (``source``, default its name) and the line of the bad byte."""
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
        raw.decode("utf-8-sig")
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
    (:meth:`raise_problems` raises them). Iterating yields one :class:`Row` at a time, so a
    large file is never held in memory as rows. Use as a context manager. ``source`` names
    the file in messages (default: its name).
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
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        self.decimal_comma = delimiter == ";"
        self._handle.seek(0)
        self._records = _records(csv.reader(self._handle, delimiter=delimiter))
        self.problems: list[Problem] = []
        try:
            with file_errors(self.source):
                self.columns = _header(self.source, self._records, self.problems)
        except DataError:
            self._handle.close()
            raise

    def __iter__(self):
        with file_errors(self.source):
            for number, cells in self._records:
                yield _row(self.source, self.columns, number, cells, self.problems)

    def raise_problems(self) -> None:
        if self.problems:
            raise DataError(self.problems)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_csv(path: Path) -> Table:
    """Read a whole CSV file as a :class:`Table` (the rules: :class:`CsvRows`)."""
    with CsvRows(path) as reader:
        rows = tuple(reader)
    reader.raise_problems()
    return Table(reader.source, path, reader.columns, rows, reader.decimal_comma)


def _open_workbook(workbook: Path):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

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


def _header(source: str, records, problems: list) -> tuple[str, ...]:
    """The normalised column names of the first non-blank record (trailing blanks dropped)."""
    first = next(records, None)
    if first is None:
        raise DataError(Problem(source, None, None, "", "a header row and data rows"))
    header_number, header = first
    columns = [normalise_header(c) for c in header]
    while columns and not columns[-1]:
        columns.pop()
    seen = set()
    for position, column in enumerate(columns, start=1):
        if not column:
            problems.append(Problem(source, header_number, f"#{position}", "", "a column name"))
        elif column in seen:
            problems.append(Problem(source, header_number, column, column, "unique column names"))
        seen.add(column)
    return tuple(columns)


def _row(source: str, columns: tuple[str, ...], number: int, cells: list, problems: list) -> Row:
    extra = [c for c in cells[len(columns) :] if c]
    if extra:
        problems.append(
            Problem(source, number, None, extra[0], f"at most {len(columns)} cells per row")
        )
    padded = cells + [""] * (len(columns) - len(cells))
    return Row(number, dict(zip(columns, padded, strict=False)))


def _table(source: str, path: Path, records: list, decimal_comma: bool) -> Table:
    problems: list[Problem] = []
    records = _records(cells for _, cells in records)
    columns = _header(source, records, problems)
    rows = tuple(_row(source, columns, n, c, problems) for n, c in records)
    if problems:
        raise DataError(problems)
    return Table(source, path, columns, rows, decimal_comma)
