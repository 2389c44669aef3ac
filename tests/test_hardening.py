"""Issue 13: hostile and broken inputs give exit code 2 and a message naming the file (with row,
column or key) — never a traceback, a hang, or a silently wrong manuscript."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from analysis import safe_yaml
from analysis.__main__ import main
from analysis.errors import AnalysisError
from analysis.stats.pooling import rma

from .data_cases import copy_example, problems_of, read_rows, set_cell, write_rows

ROOT = Path(__file__).resolve().parents[1]
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{','.join('*' + p for _ in range(9))}]\n"
    for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# -- YAML ----------------------------------------------------------------------------------
def test_alias_bomb_is_refused_fast_without_expanding(tmp_path):
    data = copy_example(tmp_path)
    (data / "grade.yml").write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.perf_counter()
    result = run_cli("check", "--data", str(data), timeout=30)
    assert time.perf_counter() - started < 20
    assert_refused(result, "grade.yml", "alias")
    assert "lol" not in result.stderr  # the value is never printed


def test_deep_nesting_is_refused(tmp_path):
    data = copy_example(tmp_path)
    (data / "prisma.yml").write_text("a: " + "[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert_refused(run_cli("check", "--data", str(data)), "prisma.yml", "nesting deeper")


@pytest.mark.parametrize(
    "text, words",
    [
        ("a: 1\na: 2\n", ["'a' given twice", "line 2"]),
        ("a: .inf\n", ["not a finite number"]),
        ("a: 1.0e+999\n", ["not a finite number"]),
        ("a: [1, 2\n", ["invalid YAML", "line"]),
        ("a: 2024-13-45\n", ["'2024-13-45' is not a real date", "line 1"]),
        ("b: 1\na: 2023-02-30\n", ["'2023-02-30' is not a real date", "line 2"]),
    ],
)
def test_safe_loader_refuses(text, words):
    with pytest.raises(Exception) as caught:
        safe_yaml.load_yaml(text)
    message = safe_yaml.describe_error(caught.value)
    for word in words:
        assert word in message


def test_safe_loader_reads_booleans_as_yaml_1_2_does():
    """Only true and false are booleans; yes/no/on/off are the words written (as in Quarto),
    so a vocabulary word "No" or a keyword "on" is not turned into False or True."""
    text = "a: No\nb: on\nc: true\nd: FALSE\ne: [yes, off]\nNo: 14\n"
    assert safe_yaml.load_yaml(text) == {
        "a": "No",
        "b": "on",
        "c": True,
        "d": False,
        "e": ["yes", "off"],
        "No": 14,
    }


@pytest.mark.parametrize("text", ["", "% only a comment\n"])
def test_a_bibliography_without_entries_is_no_crash(tmp_path, text):
    data = copy_example(tmp_path)
    (data / "references.bib").write_text(text, encoding="utf-8")
    result = run_cli("check", "--data", str(data))
    assert "Traceback" not in result.stderr and result.returncode in (0, 2)
    assert "references.bib" in result.stdout + result.stderr


def test_safe_loader_keeps_ordinary_yaml_and_merge_keys():
    assert safe_yaml.load_yaml("a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n") == {
        "a": {"b": 1},
        "c": {"b": 1, "d": 2},
    }


def test_duplicate_analysis_key_is_an_error(tmp_path):
    data = copy_example(tmp_path)
    path = data / "review.yml"
    path.write_text(path.read_text(encoding="utf-8") + "analysis:\n  model: common\n", "utf-8")
    assert_refused(run_cli("check", "--data", str(data)), "review.yml", "'analysis' given twice")


@pytest.mark.parametrize(
    "file, old, new, key, hint",
    [
        (
            "review.yml",
            "  tau2_method: REML",
            "  tau2_metod: DL",
            "analysis.tau2_metod",
            "did you mean tau2_method?",
        ),
        ("review.yml", "short_title:", "shorttitle:", "shorttitle", "did you mean short_title?"),
        (
            "review.yml",
            "    primary: true",
            "    primery: true",
            "outcomes[1].primery",
            "did you mean primary?",
        ),
        ("prisma.yml", "  screened:", "  screend:", "screening.screend", "did you mean screened?"),
        (
            "grade.yml",
            "      downgrade: 1",
            "      downgrad: 1",
            "outcomes.anti_dsdna.indirectness.downgrad",
            "did you mean downgrade?",
        ),
    ],
)
def test_unknown_keys_name_key_file_and_nearest(tmp_path, file, old, new, key, hint):
    data = copy_example(tmp_path)
    path = data / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    messages = [str(p) for p in problems_of(data)]
    assert any(file in m and f"key '{key}'" in m and hint in m for m in messages), messages


# -- numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "file, column, value, expected",
    [
        ("studies.csv", "year", "1e308", "between"),
        ("studies.csv", "year", "2150", "from 1900 to 2100"),
        ("studies.csv", "follow_up_weeks", "1e999", "between"),
        ("outcomes.csv", "sd1", "1e-160", "at least 1e-10"),
        ("outcomes.csv", "mean1", "inf", "a number"),
        ("outcomes.csv", "mean1", "nan", "a number"),
    ],
)
def test_implausible_numbers_are_refused(tmp_path, file, column, value, expected):
    data = copy_example(tmp_path)
    set_cell(data / file, 2, column, value)
    messages = [str(p) for p in problems_of(data)]
    assert any(
        m.startswith(f"{file}, row 2, column '{column}'") and expected in m for m in messages
    ), messages


def test_infinite_extra_column_never_reaches_results(tmp_path):
    data = copy_example(tmp_path)
    rows = read_rows(data / "studies.csv")
    rows[0].append("age_mean")
    for row in rows[1:]:
        row.append("40")
    rows[1][-1] = "1e999"
    write_rows(data / "studies.csv", rows)
    messages = [str(p) for p in problems_of(data)]
    assert any("column 'age_mean'" in m for m in messages), messages


@pytest.mark.parametrize("method", ["REML", "DL", "ML", "PM", "EB", "SJ", "HE", "HS", "FE"])
@pytest.mark.parametrize(
    "yi, vi", [([0.1, 0.3, 0.2], [1e-320, 0.02, 0.05]), ([1e308, 0.3, 0.1], [1e308, 0.02, 0.1])]
)
def test_engine_refuses_extreme_magnitudes_with_a_reason(method, yi, vi):
    with pytest.raises(AnalysisError, match="double precision"):
        rma(np.array(yi), np.array(vi), method=method)


@pytest.mark.parametrize(
    "rows",
    [
        [["study", "yi", "vi"], ["a", "0.1", "1e-320"], ["b", "0.3", "0.02"]],
        [["study", "yi", "vi"], ["a", "1e308", "1e308"], ["b", "0.3", "0.02"]],
        [
            ["study", "n1", "mean1", "sd1", "n2", "mean2", "sd2"],
            ["a", "10", "1", "1e-160", "10", "2", "1e-160"],
            ["b", "10", "1", "1", "10", "2", "1"],
        ],
    ],
)
@pytest.mark.parametrize("method", ["REML", "DL"])
def test_meta_refuses_extreme_values_quickly(tmp_path, rows, method):
    path = tmp_path / "in.csv"
    write_rows(path, rows)
    measure = "GEN" if "yi" in rows[0] else "MD"
    result = run_cli("meta", str(path), "--measure", measure, "--method", method, timeout=30)
    assert_refused(result, "in.csv", "row 2")


# -- the file system -----------------------------------------------------------------------
def test_a_folder_where_a_data_file_should_be(tmp_path):
    data = copy_example(tmp_path)
    (data / "outcomes.csv").unlink()
    (data / "outcomes.csv").mkdir()
    (data / "grade.yml").unlink()
    (data / "grade.yml").mkdir()
    messages = [str(p) for p in problems_of(data)]
    assert "outcomes.csv: a folder — expected a regular file" in messages
    assert "grade.yml: a folder — expected a regular file" in messages


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


@pytest.mark.parametrize(
    "name, make, found",
    [
        ("outcomes.csv", _fifo, "a named pipe (FIFO)"),
        ("outcomes.csv", _dev_zero, "a device"),
        ("review.yml", _dev_zero, "a device"),
        ("references.bib", _fifo, "a named pipe (FIFO)"),
        ("review.xlsx", _fifo, "a named pipe (FIFO)"),
    ],
)
def test_a_pipe_or_device_is_refused_before_reading(tmp_path, name, make, found):
    data = copy_example(tmp_path)
    (data / name).touch()
    make(data / name)
    result = run_cli("check", "--data", str(data), timeout=30)
    assert_refused(result, f"{name}: {found} — expected a regular file")


def test_meta_with_a_folder_argument(tmp_path):
    assert_refused(run_cli("meta", str(tmp_path), "--measure", "GEN"), str(tmp_path), "a folder")


def test_unreadable_file_names_it(tmp_path, monkeypatch):
    data = copy_example(tmp_path)
    real = Path.read_bytes

    def denied(self):
        if self.name == "studies.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    messages = [str(p) for p in problems_of(data)]
    assert "studies.csv: 'permission denied' — expected a file this user may read" in messages


@pytest.mark.parametrize("tables_in_the_workbook", [False, True])
def test_corrupt_workbook_is_named_once(tmp_path, tables_in_the_workbook):
    data = copy_example(tmp_path)
    if tables_in_the_workbook:
        (data / "risk_of_bias.csv").unlink()
    (data / "tables.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert [str(p) for p in problems_of(data)] == [
        "tables.xlsx: not a readable .xlsx workbook — expected an .xlsx workbook (save it "
        "again from the spreadsheet program)"
    ]


def test_csv_field_longer_than_the_csv_limit(tmp_path):
    data = copy_example(tmp_path)
    set_cell(data / "studies.csv", 3, "country", "x" * 200_000)
    assert [str(p) for p in problems_of(data)] == [
        "studies.csv, row 3, column 'country': a cell of more than 131,072 characters — "
        "expected cells of at most 131,072 characters"
    ]


# -- references.bib ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "entry, expected",
    [
        ("@article{broken2020,\n  title = {Unclosed,\n  year = 2020\n}\n", "do not balance"),
        ("@article{nocomma2020\n  title = {A},\n}\n", "a comma after the key"),
        ("@article{nofield2020,\n  title {A},\n}\n", "a field as name = {value}"),
    ],
)
def test_malformed_bibtex_is_caught_at_check_with_its_line(tmp_path, entry, expected):
    data = copy_example(tmp_path)
    path = data / "references.bib"
    text = path.read_text(encoding="utf-8")
    line = text.count("\n") + 2  # the entry's second line holds each fault
    path.write_text(text + entry, encoding="utf-8")
    messages = [str(p) for p in problems_of(data)]
    assert any(m.startswith(f"references.bib, line {line}") and expected in m for m in messages), (
        messages
    )


def test_results_json_is_strict(tmp_path):
    from analysis.build import write_json

    with pytest.raises(AnalysisError, match="not a finite number"):
        write_json(tmp_path / "results.json", {"x": float("inf")})


# -- a fuzz-ish corpus: mutations of the example data --------------------------------------
def _mutations():
    example = ROOT / "examples" / "mscs-sle"
    for table in ("studies", "outcomes", "adverse_events", "risk_of_bias"):
        header = next(csv.reader((example / f"{table}.csv").open(encoding="utf-8-sig")))
        for column in header:
            yield table, column, "delete-column"
            for value in ("", "abc", "1e999", "1e-300", "漢字🙂 {{x}} [@k] <b>"):
                yield table, column, value
        yield table, "", "duplicate-row"


MUTATIONS = list(_mutations())


@pytest.mark.parametrize(
    "table, column, value", MUTATIONS, ids=[f"{t}-{c}-{v!r}"[:60] for t, c, v in MUTATIONS]
)
def test_mutated_data_exit_0_or_2_never_a_traceback(tmp_path, table, column, value, capsys):
    data = copy_example(tmp_path)
    path = data / f"{table}.csv"
    rows = read_rows(path)
    if value == "delete-column":
        index = rows[0].index(column)
        rows = [r[:index] + r[index + 1 :] for r in rows]
    elif value == "duplicate-row":
        rows.append(list(rows[1]))
    else:
        index = rows[0].index(column)
        rows[1][index] = value
    write_rows(path, rows)
    code = main(["check", "--data", str(data)])
    assert code in (0, 2)
    if code == 2:
        assert "error:" in capsys.readouterr().err


# -- forest plots with long words in labels ------------------------------------------------
@pytest.mark.parametrize(
    "label",
    [
        "Castellanos-Fernández-Villanueva 2016",
        "X" * 60,
        "Wolfeschlegelsteinhausenbergerdorff-Smith 2019",
    ],
)
def test_a_long_word_in_a_study_label_is_hyphenated_not_a_crash(label):
    from analysis.figures.forest import forest_plot
    from tests import figure_cases as fc
    from tests.figure_svg import clipped_texts, overlapping_texts

    outcome = fc.normand_smd()
    for study in outcome["studies"]:
        study["label"] = label
    fig = forest_plot(outcome, rob=fc.risk_of_bias(outcome))
    assert overlapping_texts(fig) == []
    assert clipped_texts(fig) == []


# -- glyphs --------------------------------------------------------------------------------
def test_cjk_labels_draw_with_the_fallback_font_and_emoji_are_named(tmp_path):
    import warnings
    from types import SimpleNamespace

    from analysis.build import glyph_warnings
    from analysis.figures.style import uncovered_characters

    if uncovered_characters("漢字"):
        pytest.skip("fonts-droid-fallback is not installed (tools/setup_env.py installs it)")
    from analysis.figures.style import figure_style, new_figure

    with figure_style(), warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        fig = new_figure(40, 10)
        fig.text(0.1, 0.5, "Zhang 漢字 2020")
        fig.savefig(tmp_path / "cjk.png", dpi=100)
    assert uncovered_characters("Zhang 漢字 2020") == []
    review = SimpleNamespace(
        studies=[SimpleNamespace(row=3, label="Lee 🙂 2020")],
        outcomes=[SimpleNamespace(id="pain", label="Pain")],
    )
    (warning,) = glyph_warnings(review)
    assert warning.startswith("studies.csv, row 3, column 'label': 'Lee 🙂 2020'")
    assert "U+1F642 SLIGHTLY SMILING FACE" in warning


def test_bold_text_prints_no_font_weight_notice(tmp_path, caplog):
    """The fallback fonts have one weight: a bold label (forest plots' headers) used to print
    "findfont: Failed to find font weight bold for Droid Sans Fallback" on every build."""
    from matplotlib.font_manager import FontProperties, findfont

    from analysis.figures.style import FALLBACK_FONTS, figure_style

    size = 7 + time.time_ns() % 10**6 / 10**7  # findfont caches by properties: a fresh size
    with figure_style(), caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        findfont(FontProperties(family=list(FALLBACK_FONTS), weight="bold", size=size))
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_moderators_the_data_cannot_separate_are_named_where_they_were_asked_for(tmp_path):
    """A meta-regression on a moderator that is the same in every study cannot be fitted; the
    message names review.yml's key, the columns and the outcome, not only the statistics."""
    from analysis.data import load_review
    from analysis.results import assemble_results

    data = copy_example(tmp_path)
    rows = read_rows(data / "studies.csv")
    for row in range(2, len(rows) + 1):
        set_cell(data / "studies.csv", row, "dose", "1")
    with pytest.raises(AnalysisError) as caught:
        assemble_results(load_review(data))
    message = str(caught.value)
    assert message.startswith("review.yml, key 'analysis.moderators' (dose, follow_up_weeks")
    assert "outcome 'sledai'" in message and "constant or collinear" in message


@pytest.mark.parametrize("full", [False, True], ids=["no events", "every participant"])
def test_a_ratio_no_trial_informs_is_refused(tmp_path, full):
    """With no events in either arm of any trial (or events in everyone), a pooled RR would
    come from the continuity corrections alone: check refuses it, naming the rows."""
    import shutil

    from .conftest import BCG_EXAMPLE

    data = tmp_path / "data"
    shutil.copytree(BCG_EXAMPLE, data)
    rows = read_rows(data / "outcomes.csv")
    header = rows[0]
    for row in rows[1:]:
        for arm in ("1", "2"):
            row[header.index(f"events{arm}")] = row[header.index(f"n{arm}")] if full else "0"
    write_rows(data / "outcomes.csv", rows)
    result = run_cli("check", "--data", str(data))
    assert_refused(result, "outcomes.csv", "column 'events1'", f"rows 2–{len(rows)}")
    assert "the RR cannot be estimated" in result.stderr


@pytest.mark.parametrize(
    "label, refused", [("Aldana\n2013", False), ("Aldana\t 2013", False), ("Aldana\x072013", True)]
)
def test_a_label_is_one_line_and_holds_no_control_character(tmp_path, label, refused):
    """A line break or tab in a quoted cell is one space (as printed); a control character no
    font draws (BEL) is refused, naming it."""
    from analysis.data import load_review
    from analysis.errors import DataError

    data = copy_example(tmp_path)
    set_cell(data / "studies.csv", 2, "label", label)
    if refused:
        with pytest.raises(DataError) as caught:
            load_review(data)
        assert "studies.csv, row 2, column 'label'" in str(caught.value)
        assert "control characters (U+0007)" in str(caught.value)
    else:
        assert load_review(data).studies[0].label == "Aldana 2013"
