"""``meta`` without ``--json``: the secondary analyses printed as metafor lays them out.

The printed numbers are read back from the tables and compared with metafor's values in
``tests/fixtures/secondary_bcg_more.json`` (made with threshold 1e-10, so the engine agrees
with them to far better than the 4 printed decimals): each printed number must be metafor's
value rounded to 4 decimals, i.e. within half a unit of the last printed digit.
"""

from __future__ import annotations

import csv
import math
import re

import pytest

from analysis.__main__ import main
from tests.secondary_reference import FIXTURE_DIR, SHARED_DIR, blocks, load

CASE = load(FIXTURE_DIR / "secondary_bcg_more.json")


def rounded_like(printed: str, expected: float, digits: int = 4) -> bool:
    """``printed`` is ``expected`` rounded to ``digits`` decimals (metafor's digits = 4): within
    half a unit of the last digit, plus 1e-7 for the engine's agreement with the fixture."""
    return abs(float(printed) - expected) <= 0.5 * 10**-digits + 1e-7


def gen_csv(tmp_path):
    """The fixture's yi, vi and moderator columns as a `--measure GEN` CSV."""
    columns = CASE["input"]
    path = tmp_path / "bcg_gen.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(columns))
        writer.writerows(zip(*columns.values(), strict=True))
    return path


def run_summary(capsys, *args) -> str:
    assert main(["meta", *map(str, args)]) == 0
    out = capsys.readouterr().out
    assert "{" not in out and "[" not in out  # no raw Python/JSON structures
    return out


def section(text: str, title: str) -> list[str]:
    """The lines of the block that starts with ``title``, up to the next blank-blank gap."""
    start = text.index(title)
    return text[start:].split("\n\n\n")[0].splitlines()


def table_rows(lines: list[str], header_start: str) -> tuple[list[str], list[list[str]]]:
    """(column names, rows as [row name, cells...]) of the table whose header row starts with
    ``header_start``; row names may hold spaces, so cells are taken from the right."""
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == [header_start])
    header = lines[at].split()
    rows = []
    for line in lines[at + 1 :]:
        if not line.strip():
            break
        cells = line.split()
        rows.append([" ".join(cells[: -len(header)]), *cells[-len(header) :]])
    return header, rows


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    return gen_csv(tmp_path_factory.mktemp("summary"))


def test_leave1out_table_matches_metafor(printed, capsys):
    text = run_summary(capsys, printed, "--measure", "GEN", "--loo")
    lines = section(text, "Leave-One-Out Analysis")
    header, rows = table_rows(lines, "estimate")
    assert header == [
        *["estimate", "se", "zval", "pval", "ci.lb", "ci.ub"],
        *["Q", "Qp", "tau2", "I2", "H2"],
    ]
    expected = CASE["leave1out"]
    assert [row[0] for row in rows] == CASE["input"]["study"]
    for column, key in (
        ("estimate", "estimate"),
        ("se", "se"),
        ("ci.lb", "ci_lower"),
        ("ci.ub", "ci_upper"),
        ("Q", "q"),
        ("tau2", "tau2"),
        ("I2", "i2"),
    ):
        j = header.index(column) + 1
        for row, value in zip(rows, expected[key], strict=True):
            assert rounded_like(row[j], value), (column, row[0], row[j], value)


def test_leave1out_of_a_ratio_is_back_transformed(capsys):
    text = run_summary(capsys, SHARED_DIR / "bcg.csv", "--measure", "RR", "--loo")
    lines = section(text, "Leave-One-Out Analysis")
    assert "risk ratio; leave1out(model, transf = exp)" in lines[0]
    header, rows = table_rows(lines, "estimate")
    assert "se" not in header  # as metafor: no SE column on the transformed scale
    for row, value, lower in zip(
        rows, CASE["leave1out"]["estimate"], CASE["leave1out"]["ci_lower"], strict=True
    ):
        assert rounded_like(row[1], math.exp(value))
        assert rounded_like(row[header.index("ci.lb") + 1], math.exp(lower))


def test_bias_tests_read_like_regtest_ranktest_and_trimfill(printed, capsys):
    text = run_summary(capsys, printed, "--measure", "GEN", "--bias")
    egger, begg, fill = CASE["egger"], CASE["begg"], CASE["trimfill"]
    match = re.search(r"t = (\S+), df = (\d+), p = (\S+)\n.*b = (\S+) \(CI: (\S+), (\S+)\)", text)
    assert match, text
    assert int(match[2]) == egger["df"]
    for printed_value, key in zip(
        match.groups()[2:],
        ("pval", "limit_estimate", "limit_ci_lower", "limit_ci_upper"),
        strict=True,
    ):
        assert rounded_like(printed_value, egger[key]), key
    assert rounded_like(match[1], egger["stat"])
    match = re.search(r"Kendall's tau = (\S+), p = (\S+)", text)
    assert rounded_like(match[1], begg["tau"]) and rounded_like(match[2], begg["pval"])
    match = re.search(
        r"missing studies on the (\w+) side: (\d+) \(SE = (\S+)\)", section(text, "Trim")[2]
    )
    assert (match[1], int(match[2])) == (fill["side"], fill["k0"])
    assert rounded_like(match[3], fill["se_k0"])
    lines = section(text, "Trim-and-Fill")
    assert f"Random-Effects Model (k = {fill['k']}; tau^2 estimator: REML)" in lines
    header, rows = table_rows(lines, "estimate")
    for column, key in (("estimate", "estimate"), ("se", "se"), ("ci.lb", "ci_lower")):
        assert rounded_like(rows[0][header.index(column) + 1], fill[key]), column


def test_subgroups_table_and_test(printed, capsys):
    block = next(b for b in blocks(CASE, "subgroups") if b["method"] == "REML")
    text = run_summary(capsys, printed, "--measure", "GEN", "--subgroup", block["column"])
    lines = section(text, "Subgroup Analysis by " + block["column"])
    header, rows = table_rows(lines, "k")
    by_label = {row[0]: row for row in rows}
    assert set(by_label) == set(block["levels"])
    for label, expected in block["levels"].items():
        row = by_label[label]
        assert int(row[1]) == expected["k"]
        for column in ("estimate", "se"):
            assert rounded_like(row[header.index(column) + 1], expected[column]), label
        if expected["pooled"]:
            assert rounded_like(row[header.index("tau2") + 1], expected["tau2"]), label
            assert rounded_like(row[header.index("I2") + 1], expected["i2"]), label
        else:
            assert row[header.index("tau2") + 1] == "NA"
    match = re.search(r"QM\(df = (\d+)\) = (\S+), p-val = (\S+)", "\n".join(lines))
    assert int(match[1]) == block["q_between_df"]
    assert rounded_like(match[2], block["q_between"])
    assert rounded_like(match[3], block["q_between_pval"])


def test_metaregression_reads_like_rma_with_mods(printed, capsys):
    block = next(b for b in blocks(CASE, "metareg") if b["test"] == "knha")
    moderators = [arg for column in block["columns"] for arg in ("--moderator", column)]
    text = run_summary(
        capsys, printed, "--measure", "GEN", "--method", block["method"], "--ci", "knha",
        *moderators,
    )  # fmt: skip
    lines = section(text, "Mixed-Effects Model")
    joined = "\n".join(lines)
    match = re.search(r"F\(df1 = (\d+), df2 = (\d+)\) = (\S+), p-val = (\S+)", joined)
    assert [int(match[1]), int(match[2])] == block["qm_df"]
    assert rounded_like(match[3], block["qm"]) and rounded_like(match[4], block["qm_pval"])
    match = re.search(r"R\^2 \(amount of heterogeneity accounted for\): +(\S+)%", joined)
    assert rounded_like(match[1], block["r2"], digits=2)
    header, rows = table_rows(lines, "estimate")
    assert header == ["estimate", "se", "tval", "df", "pval", "ci.lb", "ci.ub"]
    assert [row[0] for row in rows] == list(block["coefficients"])
    for row in rows:
        expected = block["coefficients"][row[0]]
        for column, key in (("estimate", "estimate"), ("se", "se"), ("ci.ub", "ci_upper")):
            assert rounded_like(row[header.index(column) + 1], expected[key]), (row[0], column)
