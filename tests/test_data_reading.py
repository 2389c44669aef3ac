"""Tables as real spreadsheets save them: BOM, semicolons with decimal commas, blank trailing
rows, stray whitespace, header case; and the same tables from one .xlsx workbook."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from analysis.data import load_review
from analysis.data.reading import TABLES
from tests.conftest import MSCS_EXAMPLE
from tests.data_cases import (
    check_exit_code,
    copy_example,
    find_row,
    problems_of,
    read_rows,
)


@pytest.fixture(scope="module")
def reference():
    return load_review(MSCS_EXAMPLE).to_dict()


def _comparable(review_dict: dict) -> dict:
    return {k: v for k, v in review_dict.items() if k != "warnings"}


def _excel_european_csv(rows: list[list[str]]) -> str:
    """What a European spreadsheet writes: ';' delimiter, decimal commas, BOM, CRLF, padding,
    blank trailing rows, a capitalised header."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([f" {c.upper()} " for c in rows[0]])
    for cells in rows[1:]:
        writer.writerow([f" {c.replace('.', ',')}" if c else c for c in cells])
    writer.writerows([[""] * len(rows[0])] * 3)
    return "\ufeff" + out.getvalue()


def test_semicolon_decimal_comma_bom_and_blank_rows(tmp_path, reference):
    data = copy_example(tmp_path)
    for name in TABLES:
        path = data / f"{name}.csv"
        path.write_bytes(_excel_european_csv(read_rows(path)).encode("utf-8"))
    assert _comparable(load_review(data).to_dict()) == _comparable(reference)


def test_blank_rows_in_the_middle_keep_spreadsheet_row_numbers(tmp_path):
    data = copy_example(tmp_path)
    path = data / "outcomes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, ",,,")  # a blank row 4: later rows keep the numbers a spreadsheet shows
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    row = find_row(path, study_id="S04", outcome="sledai")
    assert row == 6
    rows = read_rows(path)
    rows[row - 1][rows[0].index("sd1")] = "-3.7"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    problem = next(p for p in problems_of(data) if p.column == "sd1")
    assert problem.row == 6


def test_decimal_comma_with_comma_delimiter_is_an_error(tmp_path):
    data = copy_example(tmp_path)
    path = data / "studies.csv"
    text = path.read_text(encoding="utf-8").replace(",34.1,", ',"34,1",', 1)
    path.write_text(text, encoding="utf-8")
    problem = next(p for p in problems_of(data) if p.column == "age_mean")
    assert problem.value == "34,1" and problem.row == 2


def test_not_utf8_is_reported(tmp_path):
    data = copy_example(tmp_path)
    path = data / "studies.csv"
    path.write_bytes(path.read_bytes().replace(b"Aldana", "Ald\u00e1na".encode("latin-1")))
    problem = next(p for p in problems_of(data) if p.file == "studies.csv")
    assert "UTF-8" in problem.expected and problem.row == 2
    assert check_exit_code(data) == 2


def test_nul_byte_is_reported_as_meta_reports_it(tmp_path):
    data = copy_example(tmp_path)
    path = data / "outcomes.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2] + b"\x00"
    path.write_bytes(b"\n".join(lines))
    problem = next(p for p in problems_of(data) if p.file == "outcomes.csv")
    assert "NUL" in problem.expected and problem.row == 3


def _write_text(path, edit) -> None:
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def _open_quote_in_notes(row: int):
    """An edit opening a quote in the (empty) notes cell of ``row`` and never closing it."""

    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        lines[row - 1] = lines[row - 1].rstrip("\n") + '"reported as mean (95% CI)\n'
        return "".join(lines)

    return edit


@pytest.mark.parametrize("row", [25, 3])
def test_a_quote_never_closed_names_its_row_and_column(tmp_path, row):
    data = copy_example(tmp_path)
    _write_text(data / "outcomes.csv", _open_quote_in_notes(row))
    assert [str(p) for p in problems_of(data)] == [
        f"outcomes.csv, row {row}, column 'notes': a quote that opens here and is never closed "
        '— expected a closing quote for the quoted cell (a quote inside a cell is "")'
    ]


def test_a_quote_closed_rows_later_is_not_a_cell_of_rows(tmp_path):
    data = copy_example(tmp_path)
    path = data / "outcomes.csv"
    _write_text(path, _open_quote_in_notes(3))
    _write_text(path, lambda text: text.replace("no,reported as mean (SE)", 'no,reported"', 1))
    problem = next(p for p in problems_of(data) if p.file == "outcomes.csv")
    assert (problem.row, problem.column) == (3, "notes")
    assert problem.found.startswith("a quoted cell holding 3 more line(s) that look like rows")


def test_text_after_a_closing_quote_is_named(tmp_path):
    data = copy_example(tmp_path)
    _write_text(data / "studies.csv", lambda text: text.replace(",Spain,", ',"Spa"in,', 1))
    (problem,) = problems_of(data)
    assert (problem.file, problem.row, problem.column) == ("studies.csv", 2, "country")
    assert problem.found == "text after the closing quote of a quoted cell"


def test_an_unnamed_column_with_values_is_reported_once_in_the_header(tmp_path):
    data = copy_example(tmp_path)
    lines = (data / "studies.csv").read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ","] + [line + ",extra" for line in lines[1:]]
    (data / "studies.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [str(p) for p in problems_of(data)] == [
        "studies.csv, row 1, column '#17': an unnamed column — expected a column name for the "
        "values below it (row 2: 'extra')"
    ]


def test_trailing_blank_columns_are_accepted(tmp_path, reference):
    data = copy_example(tmp_path)
    lines = (data / "studies.csv").read_text(encoding="utf-8").splitlines()
    (data / "studies.csv").write_text("\n".join(f"{line},," for line in lines) + "\n")
    assert _comparable(load_review(data).to_dict()) == _comparable(reference)


def _write_workbook(data, name="review.xlsx", tables=TABLES):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table)
        for cells in read_rows(data / f"{table}.csv"):
            sheet.append([_excel_value(c) for c in cells])
        (data / f"{table}.csv").unlink()
    if not tables:
        book.create_sheet("notes")
    book.save(data / name)


def _excel_value(text: str):
    """Numbers as numbers, as a reviewer typing into Excel gets them."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text or None


def test_tables_from_one_workbook(tmp_path, reference):
    data = copy_example(tmp_path)
    _write_workbook(data)
    review = load_review(data)
    assert _comparable(review.to_dict()) == _comparable(reference)
    assert data / "review.xlsx" in review.input_files


def test_workbook_problems_name_the_sheet_and_row(tmp_path):
    data = copy_example(tmp_path)
    row = find_row(data / "outcomes.csv", study_id="S02", outcome="c3")
    _write_workbook(data)
    book = openpyxl.load_workbook(data / "review.xlsx")
    sheet = book["outcomes"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=row, column=header.index("sd1") + 1, value="n.r.")
    book.save(data / "review.xlsx")
    problem = next(p for p in problems_of(data) if p.column == "sd1")
    assert problem.file == "review.xlsx, sheet 'outcomes'"
    assert problem.row == row and problem.value == "n.r."
    assert check_exit_code(data) == 2


def test_table_in_both_csv_and_workbook_is_ambiguous(tmp_path):
    data = copy_example(tmp_path)
    _write_workbook(data, tables=("risk_of_bias",))
    (data / "risk_of_bias.csv").write_text(
        (MSCS_EXAMPLE / "risk_of_bias.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    problem = next(p for p in problems_of(data) if p.file == "risk_of_bias.csv")
    assert "one place only" in problem.expected


def test_two_workbooks_are_ambiguous(tmp_path):
    data = copy_example(tmp_path)
    _write_workbook(data, "a.xlsx", tables=("studies",))
    _write_workbook(data, "b.xlsx", tables=())
    problems = problems_of(data)
    assert any("at most one .xlsx" in p.expected for p in problems)


def test_unknown_column_is_a_warning(tmp_path):
    data = copy_example(tmp_path)
    path = data / "outcomes.csv"
    rows = read_rows(path)
    rows[0][rows[0].index("sd1")] = "sd_1"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    problems = problems_of(data)  # sd1 now missing: errors for the rows that need it
    assert any(p.column == "sd1" for p in problems)
    rows[0][rows[0].index("sd_1")] = "sd1"
    rows[0].append("comments")
    for r in rows[1:]:
        r.append("")
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    warnings = load_review(data).warnings
    assert any(w.column == "comments" and w.row == 1 for w in warnings)
