"""Helpers for the data tests: a copy of the example review (never the user's data/) and
cell-level edits."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import yaml

from analysis.__main__ import main
from analysis.data import load_review
from analysis.errors import DataError

from .conftest import MSCS_EXAMPLE


def copy_example(tmp_path: Path) -> Path:
    """A copy of the MSCS example review as ``tmp_path/data``."""
    target = tmp_path / "data"
    shutil.copytree(MSCS_EXAMPLE, target)
    return target


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(path: Path, row: int, column: str, value: str) -> str:
    """Set a cell by spreadsheet row (header = 1) and column name; return the old value."""
    rows = read_rows(path)
    index = rows[0].index(column)
    old = rows[row - 1][index]
    rows[row - 1][index] = value
    write_rows(path, rows)
    return old


def find_row(path: Path, **match) -> int:
    """Spreadsheet row number of the first row whose cells equal ``match``."""
    rows = read_rows(path)
    header = rows[0]
    for number, cells in enumerate(rows[1:], start=2):
        if all(cells[header.index(k)] == v for k, v in match.items()):
            return number
    raise LookupError(match)


def edit_yaml(path: Path, edit) -> None:
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(content)
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")


def problems_of(data_dir: Path) -> list:
    try:
        load_review(data_dir)
    except DataError as error:
        return error.problems
    raise AssertionError("the broken data loaded without a DataError")


def check_exit_code(data_dir: Path) -> int:
    """Exit code of ``python -m analysis check --data DIR``."""
    return main(["check", "--data", str(data_dir)])
