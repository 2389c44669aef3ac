"""``meta --loo --bias --subgroup --moderator``: the secondary blocks of the JSON output."""

from __future__ import annotations

import json

import pytest

from analysis.__main__ import main
from tests.secondary_reference import (
    CLOSED_FORM_RTOL,
    ITERATIVE_ATOL,
    ITERATIVE_RTOL,
    SHARED_DIR,
    assert_close,
    load,
)

BCG = SHARED_DIR / "bcg.csv"
ITERATIVE = (ITERATIVE_RTOL, ITERATIVE_ATOL)


def _run(capsys, *args):
    code = main(["meta", str(BCG), "--measure", "RR", "--json", *args])
    captured = capsys.readouterr()
    return code, captured


def test_secondary_blocks_match_metafor(capsys):
    expected = load(SHARED_DIR / "bcg_RR.json")
    code, captured = _run(
        capsys,
        "--loo",
        "--bias",
        "--subgroup",
        "alloc",
        "--moderator",
        "ablat",
        "--moderator",
        "year",
    )
    assert code == 0
    out = json.loads(captured.out)
    assert out["estimate"] == pytest.approx(expected["models"]["REML_z"]["estimate"], rel=1e-4)
    loo = out["leave1out"]
    assert set(loo) >= {"estimate", "se", "ci_lower", "ci_upper", "tau2", "i2", "q", "q_pval"}
    assert_close(loo["estimate"], expected["leave1out"]["estimate"], *ITERATIVE)
    assert_close(loo["q"], expected["leave1out"]["q"], CLOSED_FORM_RTOL)
    assert set(out["egger"]) == {"stat", "pval", "df", "limit_estimate"}
    assert_close(out["egger"]["stat"], expected["egger"]["stat"], CLOSED_FORM_RTOL)
    assert set(out["begg"]) == {"tau", "pval"}
    assert_close(out["begg"]["pval"], expected["begg"]["pval"], CLOSED_FORM_RTOL)
    assert set(out["trimfill"]) == {"k0", "side", "estimate", "se", "ci_lower", "ci_upper"}
    assert (out["trimfill"]["k0"], out["trimfill"]["side"]) == (1, "right")
    sub = out["subgroups"]
    assert set(sub) == {"levels", "q_between", "q_between_df", "q_between_pval"}
    assert set(sub["levels"]["random"]) == {
        "k",
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "tau2",
        "i2",
    }
    assert_close(sub["q_between"], expected["subgroups"]["q_between"], *ITERATIVE)
    reg = out["metareg"]
    assert set(reg) == {"coefficients", "qm", "qm_df", "qm_pval", "tau2", "r2"}
    assert list(reg["coefficients"]) == ["intrcpt", "ablat", "year"]
    assert_close(reg["qm"], expected["metareg"]["qm"], *ITERATIVE)
    assert reg["qm_df"] == 2


def test_knapp_hartung_metareg_reports_f_test_df(capsys):
    code, captured = _run(capsys, "--ci", "knha", "--moderator", "ablat")
    assert code == 0
    assert json.loads(captured.out)["metareg"]["qm_df"] == [1, 11]


def test_unknown_column_is_a_data_error_naming_it(capsys):
    code, captured = _run(capsys, "--subgroup", "region")
    assert code == 2
    assert "column 'region'" in captured.err and "alloc, ablat, year" in captured.err
    assert "Traceback" not in captured.err


def test_empty_moderator_cell_names_the_row(tmp_path, capsys):
    lines = BCG.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ","
    bad = tmp_path / "bcg.csv"
    bad.write_text("\n".join(lines) + "\n")
    code = main(["meta", str(bad), "--measure", "RR", "--moderator", "year"])
    captured = capsys.readouterr()
    assert code == 2
    assert "row 4, column 'year': empty" in captured.err


def test_secondary_options_refuse_mantel_haenszel(capsys):
    code, captured = _run(capsys, "--method", "MH", "--loo")
    assert code == 2
    assert "inverse-variance model" in captured.err
