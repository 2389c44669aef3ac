"""``python -m analysis meta``: JSON keys, summary, degenerate data and bad CSVs."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from analysis.__main__ import main
from analysis.paths import ROOT
from tests.reference_cases import ITERATIVE_ATOL, ITERATIVE_RTOL, SHARED_REFERENCE, close

BCG = SHARED_REFERENCE / "bcg.csv"
NORMAND = SHARED_REFERENCE / "normand1999.csv"
REQUIRED_KEYS = [
    "k",
    "measure",
    "method",
    "ci_method",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "stat",
    "pval",
    "df",
    "tau2",
    "tau2_ci_lower",
    "tau2_ci_upper",
    "q",
    "q_df",
    "q_pval",
    "i2",
    "h2",
    "i2_q",
    "pi_lower",
    "pi_upper",
    "weights_percent",
    "yi",
    "vi",
]
EXP_KEYS = ("estimate_exp", "ci_lower_exp", "ci_upper_exp", "pi_lower_exp", "pi_upper_exp")


def meta_json(capsys, *args) -> dict:
    assert main(["meta", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def meta_error(capsys, *args) -> str:
    """Run `meta`, expect exit code 2, return what it printed on stderr."""
    assert main(["meta", *map(str, args)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_keys_and_values_match_metafor(capsys):
    out = meta_json(capsys, BCG, "--measure", "RR")
    assert set(REQUIRED_KEYS + list(EXP_KEYS)) <= set(out)
    expected = json.loads((SHARED_REFERENCE / "bcg_RR.json").read_text())["models"]["REML_z"]
    for key in ("estimate", "ci_lower", "ci_upper", "tau2", "tau2_ci_lower", "pi_lower"):
        assert close(out[key], expected[key], ITERATIVE_RTOL, ITERATIVE_ATOL), key
    assert close(out["i2"], expected["i2_metafor"], ITERATIVE_RTOL)
    assert close(out["i2_q"], expected["i2_ht"], 1e-10)
    assert out["method"] == "REML" and out["ci_method"] == "z" and out["df"] is None
    assert out["estimate_exp"] == pytest.approx(math.exp(out["estimate"]), rel=1e-15)
    assert sum(out["weights_percent"]) == pytest.approx(100)
    assert len(out["yi"]) == len(out["vi"]) == out["k"] == 13


def test_json_knha_has_t_distribution_df(capsys):
    out = meta_json(capsys, NORMAND, "--measure", "SMD", "--method", "PM", "--ci", "knha")
    expected = json.loads((SHARED_REFERENCE / "normand1999_SMD.json").read_text())["models"]
    assert out["df"] == 8
    assert close(out["ci_upper"], expected["PM_knha"]["ci_upper"], ITERATIVE_RTOL, ITERATIVE_ATOL)
    assert not any(key in out for key in EXP_KEYS)


def test_mh_and_peto_json(capsys):
    mh = meta_json(capsys, BCG, "--measure", "OR", "--method", "MH")
    peto = meta_json(capsys, BCG, "--measure", "OR", "--method", "PETO")
    expected = json.loads((SHARED_REFERENCE / "bcg_OR.json").read_text())
    assert close(mh["estimate"], expected["mh"]["estimate"], 1e-8)
    assert close(peto["ci_lower_exp"], expected["peto"]["ci_lower_exp"], 1e-8)
    assert mh["pi_lower"] is None and mh["tau2_ci_lower"] is None


def test_summary_reads_like_print_rma(capsys):
    assert main(["meta", str(BCG), "--measure", "RR"]) == 0
    text = capsys.readouterr().out
    assert "Random-Effects Model (k = 13; tau^2 estimator: REML)" in text
    assert "Q(df = 12) = 152.2330" in text
    assert "-0.7145" in text and "0.4894" in text  # log RR and RR, as metafor prints them
    assert "Aronson 1948" in text


def test_one_study(tmp_path, capsys):
    path = write(tmp_path, "study,n1,mean1,sd1,n2,mean2,sd2\nA,20,5,2,22,6,2.5\n")
    out = meta_json(capsys, path, "--measure", "MD", "--ci", "knha")
    assert out["k"] == 1 and out["tau2"] == 0 and out["ci_method"] == "z"
    assert out["q"] is None and out["i2"] is None and out["pi_lower"] is None
    assert out["estimate"] == pytest.approx(-1)
    assert any("k = 1" in note for note in out["notes"])


def test_two_studies_have_no_prediction_interval(capsys):
    path = ROOT / "tests" / "fixtures" / "metafor" / "two_studies.csv"
    out = meta_json(capsys, path, "--measure", "SMD")
    assert out["k"] == 2 and out["pi_lower"] is None and out["pi_upper"] is None
    assert any("at least 3 studies" in note for note in out["notes"])


def test_identical_effects_give_zero_tau2(tmp_path, capsys):
    path = write(tmp_path, "study,yi,vi\nA,0.3,0.02\nB,0.3,0.05\nC,0.3,0.04\n")
    out = meta_json(capsys, path, "--measure", "GEN")
    assert out["tau2"] == 0 and out["i2"] == 0 and out["q"] == pytest.approx(0, abs=1e-20)
    assert out["estimate"] == pytest.approx(0.3)
    err = meta_error(capsys, path, "--measure", "GEN", "--ci", "knha")
    assert "same effect size" in err


def test_zero_event_arm_and_double_zero_trial(tmp_path, capsys):
    text = "study,events1,n1,events2,n2\nA,0,40,3,41\nB,0,30,0,29\nC,4,52,9,50\n"
    path = write(tmp_path, text)
    out = meta_json(capsys, path, "--measure", "RR")
    # escalc: 1/2 added to every cell of a table with a zero; the double-zero trial is kept
    assert out["yi"][0] == pytest.approx(math.log((0.5 / 41) / (3.5 / 42)))
    assert out["yi"][1] == pytest.approx(math.log((0.5 / 31) / (0.5 / 30)))
    mh = meta_json(capsys, path, "--measure", "RR", "--method", "MH")
    assert mh["q_df"] == 1  # the double-zero trial does not enter Q (metafor drop00)
    all_zero = write(tmp_path, "study,events1,n1,events2,n2\nA,0,40,0,41\nB,0,30,0,29\n", "z.csv")
    assert "undefined" in meta_error(capsys, all_zero, "--measure", "OR", "--method", "MH")


BAD_CSVS = [
    ("study,n1,mean1,sd1,n2,mean2\nA,10,1,1,10,2\n", "row 1, column 'sd2'", "SMD"),
    ("study,n1,mean1,sd1,n2,mean2,sd2\nA,10,abc,1,10,2,1\n", "row 2, column 'mean1': 'abc'", "SMD"),
    (
        "study,n1,mean1,sd1,n2,mean2,sd2\nA,10,1,1,10,2,1\nB,10,1,-2,10,2,1\n",
        "row 3, column 'sd1': '-2' — expected a number greater than 0",
        "MD",
    ),
    (
        "study,yi,vi\nA,0.1,0.02\nB,0.2,-0.01\n",
        "row 3, column 'vi': '-0.01' — expected a number greater than 0",
        "GEN",
    ),
    (
        "study,n1,mean1,sd1,n2,mean2,sd2\nA,1,1,1,10,2,1\n",
        "row 2, column 'n1': '1' — expected a whole number of at least 2",
        "SMD",
    ),
    (
        "study,events1,n1,events2,n2\nA,12,10,2,10\n",
        "row 2, column 'events1': '12' — expected at most 10",
        "OR",
    ),
    ("study,yi,vi\nA,0.1,0.02\nA,0.2,0.01\n", "row 3, column 'study': 'A'", "GEN"),
    ("", "a header row", "GEN"),
    ("study,yi,vi\n\n", "at least one study", "GEN"),
    # the builder's CSV rules: one reader for build, check and meta
    (
        "study,yi,yi,vi\nA,0.1,0.1,0.02\n",
        "row 1, column 'yi': 'yi' — expected unique column",
        "GEN",
    ),
    ("study,yi,vi\nA,0.1,0.02,7\n", "row 2: '7' — expected at most 3 cells per row", "GEN"),
    ("study,yi,vi\nA,0.1,0.02\nB,0.\x002,0.01\n", "row 3: 'a NUL byte'", "GEN"),
]


@pytest.mark.parametrize(("text", "message", "measure"), BAD_CSVS)
def test_bad_csv_names_file_row_column_value(tmp_path, capsys, text, message, measure):
    path = write(tmp_path, text)
    err = meta_error(capsys, path, "--measure", measure)
    assert str(path) in err and message in err
    assert "Traceback" not in err


def test_headers_match_case_insensitively_and_semicolon_files_read_as_in_build(tmp_path, capsys):
    plain = write(tmp_path, "study,yi,vi\nA,0.1,0.02\nB,0.3,0.01\n")
    assert main(["meta", str(plain), "--measure", "GEN", "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    (tmp_path / "upper.csv").write_text("Study;YI;VI\nA;0,1;0,02\nB;0,3;0,01\n", encoding="utf-8")
    assert main(["meta", str(tmp_path / "upper.csv"), "--measure", "GEN", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_bad_csv_from_a_real_process_has_no_traceback(tmp_path):
    path = write(tmp_path, "study,yi,vi\nA,x,0.1\n")
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "meta", str(path), "--measure", "GEN"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "row 2, column 'yi': 'x'" in done.stderr and "Traceback" not in done.stderr


def test_missing_file_and_bad_combinations(tmp_path, capsys):
    assert "an existing CSV file" in meta_error(capsys, tmp_path / "nope.csv", "--measure", "GEN")
    assert "PETO" in meta_error(capsys, BCG, "--measure", "RR", "--method", "PETO")
    assert "--ci z" in meta_error(capsys, BCG, "--measure", "OR", "--method", "MH", "--ci", "knha")
    assert "binary" in meta_error(capsys, NORMAND, "--measure", "SMD", "--method", "MH")


def test_risk_difference_without_any_event_is_refused(tmp_path, capsys):
    path = write(tmp_path, "study,events1,n1,events2,n2\nA,0,40,0,41\nB,0,30,0,29\n")
    assert "no events in any trial" in meta_error(capsys, path, "--measure", "RD", "--method", "MH")


def test_risk_difference_with_every_participant_an_event_is_refused(tmp_path, capsys):
    path = write(tmp_path, "study,events1,n1,events2,n2\nA,40,40,41,41\nB,30,30,29,29\n")
    err = meta_error(capsys, path, "--measure", "RD", "--method", "MH")
    assert "has no variance" in err
