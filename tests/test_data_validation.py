"""Every validation rule, fed a broken copy of the example data.

Each case breaks one thing and names the problem it expects: file, spreadsheet row (header =
row 1; ``None`` for YAML files and whole-file problems), column (a key path for YAML) and the
offending value. The message must name them all, and ``python -m analysis check`` must exit 2.
"""

from __future__ import annotations

import pytest

from analysis.__main__ import main
from analysis.data import load_review
from tests.conftest import MSCS_EXAMPLE
from tests.data_cases import (
    check_exit_code,
    copy_example,
    edit_yaml,
    find_row,
    problems_of,
    read_rows,
    set_cell,
    write_rows,
)


def _set(file, row, column, value):
    def breaker(d):
        set_cell(d / file, row, column, value)
        return (file, row, column, value)

    return breaker


def _duplicate_study_id(d):
    set_cell(d / "studies.csv", 3, "study_id", "S01")
    return ("studies.csv", 3, "study_id", "S01")


def _unknown_study(d):
    row = find_row(d / "outcomes.csv", study_id="S03", outcome="sledai")
    set_cell(d / "outcomes.csv", row, "study_id", "S3")
    return ("outcomes.csv", row, "study_id", "S3")


def _unknown_outcome(d):
    row = find_row(d / "outcomes.csv", study_id="S02", outcome="c3")
    set_cell(d / "outcomes.csv", row, "outcome", "C3 complement")
    return ("outcomes.csv", row, "outcome", "C3 complement")


def _duplicate_outcome_row(d):
    rows = read_rows(d / "outcomes.csv")
    rows.append(list(rows[1]))
    write_rows(d / "outcomes.csv", rows)
    return ("outcomes.csv", len(rows), "outcome", "sledai")


def _sd_not_positive(d):
    row = find_row(d / "outcomes.csv", study_id="S02", outcome="sledai")
    set_cell(d / "outcomes.csv", row, "sd2", "0")
    return ("outcomes.csv", row, "sd2", "0")


def _negative_se(d):
    row = find_row(d / "outcomes.csv", study_id="S05", outcome="sledai")
    set_cell(d / "outcomes.csv", row, "se1", "-0.62")
    return ("outcomes.csv", row, "se1", "-0.62")


def _arm_too_small(d):
    set_cell(d / "studies.csv", 2, "n1", "1")
    return ("studies.csv", 2, "n1", "1")


def _outcome_arm_too_small(d):
    row = find_row(d / "outcomes.csv", study_id="S03", outcome="c3")
    set_cell(d / "outcomes.csv", row, "n2", "1")
    return ("outcomes.csv", row, "n2", "1")


def _arm_larger_than_randomised(d):
    row = find_row(d / "outcomes.csv", study_id="S02", outcome="sledai")
    set_cell(d / "outcomes.csv", row, "n1", "25")  # studies.csv: 24
    return ("outcomes.csv", row, "n1", "25")


def _adverse_arm_larger_than_randomised(d):
    row = find_row(d / "adverse_events.csv", study_id="S01", event="Fever")
    set_cell(d / "adverse_events.csv", row, "n2", "19")  # studies.csv: 18
    return ("adverse_events.csv", row, "n2", "19")


def _events_exceed_n(d):
    row = find_row(d / "adverse_events.csv", study_id="S01", event="Nausea")
    set_cell(d / "adverse_events.csv", row, "events1", "19")  # n1 = 18
    return ("adverse_events.csv", row, "events1", "19")


def _text_for_number(d):
    row = find_row(d / "outcomes.csv", study_id="S06", outcome="anti_dsdna")
    set_cell(d / "outcomes.csv", row, "mean1", "78,1")  # decimal comma in a comma CSV
    return ("outcomes.csv", row, "mean1", "78,1")


def _text_in_studies_number(d):
    set_cell(d / "studies.csv", 4, "follow_up_weeks", "one year")
    return ("studies.csv", 4, "follow_up_weeks", "one year")


def _rob_vocabulary(d):
    row = find_row(d / "risk_of_bias.csv", study_id="S04")
    set_cell(d / "risk_of_bias.csv", row, "d3", "unclear")
    return ("risk_of_bias.csv", row, "d3", "unclear")


def _rob_unknown_outcome(d):
    row = find_row(d / "risk_of_bias.csv", study_id="S04")
    set_cell(d / "risk_of_bias.csv", row, "outcome", "sleda")
    return ("risk_of_bias.csv", row, "outcome", "sleda")


def _missing_citation(d):
    set_cell(d / "studies.csv", 5, "citation", "dorne2019")
    return ("studies.csv", 5, "citation", "dorne2019")


def _missing_column(d):
    rows = read_rows(d / "adverse_events.csv")
    index = rows[0].index("serious")
    write_rows(d / "adverse_events.csv", [r[:index] + r[index + 1 :] for r in rows])
    return ("adverse_events.csv", 1, "serious", None)


def _missing_file(d):
    (d / "outcomes.csv").unlink()  # required (risk_of_bias.csv may be absent)
    return ("outcomes.csv", None, None, None)


def _missing_summary(d):
    row = find_row(d / "outcomes.csv", study_id="S09", outcome="c3")
    set_cell(d / "outcomes.csv", row, "sd2", "")
    return ("outcomes.csv", row, "sd2", "")


def _ci_reversed(d):
    row = find_row(d / "outcomes.csv", study_id="S08", outcome="c3")
    set_cell(d / "outcomes.csv", row, "ci_upper1", "70.0")  # below ci_lower1 = 76.1
    return ("outcomes.csv", row, "ci_upper1", "70.0")


def _sd_and_ci(d):
    row = find_row(d / "outcomes.csv", study_id="S06", outcome="c3")  # sd1 = 15.5
    set_cell(d / "outcomes.csv", row, "ci_lower1", "90")
    set_cell(d / "outcomes.csv", row, "ci_upper1", "100")
    return ("outcomes.csv", row, "ci_lower1", "90")


def _half_a_ci(d):
    row = find_row(d / "outcomes.csv", study_id="S08", outcome="c3")
    set_cell(d / "outcomes.csv", row, "ci_lower1", "")
    return ("outcomes.csv", row, "ci_lower1", "")


def _quartiles_out_of_order(d):
    row = find_row(d / "outcomes.csv", study_id="S07", outcome="sledai")
    set_cell(d / "outcomes.csv", row, "q3_2", "5.0")  # below median2 = 8.6
    return ("outcomes.csv", row, "q3_2", "5.0")


def _zero_width_range(d):
    row = find_row(d / "outcomes.csv", study_id="S07", outcome="sledai")  # median 9.8
    for column, value in (("q1_1", ""), ("q3_1", ""), ("min1", "9.8"), ("max1", "9.8")):
        set_cell(d / "outcomes.csv", row, column, value)
    return ("outcomes.csv", row, "max1", "9.8")


def _zero_width_range_and_iqr(d):
    row = find_row(d / "outcomes.csv", study_id="S04", outcome="anti_dsdna")  # median 82.1
    for column in ("q1_1", "q3_1", "min1", "max1"):
        set_cell(d / "outcomes.csv", row, column, "82.1")
    return ("outcomes.csv", row, "max1", "82.1")


def _half_an_iqr(d):
    row = find_row(d / "outcomes.csv", study_id="S07", outcome="sledai")
    set_cell(d / "outcomes.csv", row, "q1_1", "")
    return ("outcomes.csv", row, "q1_1", "")


def _bad_boolean(d):
    row = find_row(d / "adverse_events.csv", study_id="S02", event="Fever")
    set_cell(d / "adverse_events.csv", row, "serious", "maybe")
    return ("adverse_events.csv", row, "serious", "maybe")


def _prisma_screened(d):
    edit_yaml(d / "prisma.yml", lambda c: c["screening"].update(screened=850))
    return ("prisma.yml", None, "screening.screened", 850)


def _prisma_eligibility_reasons(d):
    edit_yaml(d / "prisma.yml", lambda c: c["eligibility"]["excluded"].update({"Not SLE": 6}))
    return ("prisma.yml", None, "included.reports", 9)


def _prisma_reports(d):
    edit_yaml(d / "prisma.yml", lambda c: c["included"].update(reports=10))  # 46 - 37 = 9
    return ("prisma.yml", None, "included.reports", 10)


def _prisma_studies_count(d):
    def edit(c):
        c["included"]["studies"] = 8
        c["eligibility"]["excluded"]["No eligible outcome"] = 5

    edit_yaml(d / "prisma.yml", edit)
    return ("prisma.yml", None, "included.studies", 8)


def _prisma_negative(d):
    edit_yaml(d / "prisma.yml", lambda c: c["retrieval"].update(not_retrieved=-2))
    return ("prisma.yml", None, "retrieval.not_retrieved", -2)


def _review_model(d):
    edit_yaml(d / "review.yml", lambda c: c["analysis"].update(model="mixed"))
    return ("review.yml", None, "analysis.model", "mixed")


def _review_measure(d):
    edit_yaml(d / "review.yml", lambda c: c["outcomes"][1].update(measure="SMDH"))
    return ("review.yml", None, "outcomes[2].measure", "SMDH")


def _review_subgroup_column(d):
    edit_yaml(d / "review.yml", lambda c: c["analysis"].update(subgroups=["cell_source"]))
    return ("review.yml", None, "analysis.subgroups", "cell_source")


def _review_moderator_not_numeric(d):
    edit_yaml(d / "review.yml", lambda c: c["analysis"].update(moderators=["route"]))
    return ("review.yml", None, "analysis.moderators", "route")


def _review_characteristic_column(d):
    edit_yaml(d / "review.yml", lambda c: c["characteristics"][4].update(column="rout"))
    return ("review.yml", None, "characteristics[5].column", "rout")


def _moderator_blank(d):
    set_cell(d / "studies.csv", 2, "dose", "")  # S01 contributes to every outcome
    set_cell(d / "studies.csv", 2, "dose_unit", "")
    return ("studies.csv", 2, "dose", "")


def _subgroup_blank(d):
    edit_yaml(d / "review.yml", lambda c: c["analysis"]["subgroups"].append("age_mean"))
    set_cell(d / "studies.csv", 4, "age_mean", "NR")
    return ("studies.csv", 4, "age_mean", "NR")


def _outcome_without_rows(d):
    rows = read_rows(d / "outcomes.csv")
    write_rows(d / "outcomes.csv", [r for r in rows if r[1] != "c3"])
    return ("review.yml", None, "outcomes", "c3")


def _review_date(d):
    edit_yaml(d / "review.yml", lambda c: c["search"].update(last_search="15/01/2025"))
    return ("review.yml", None, "search.last_search", "15/01/2025")


def _search_window_reversed(d):
    edit_yaml(d / "review.yml", lambda c: c["search"].update(date_from="2025-06-01"))
    return ("review.yml", None, "search.date_to", "2024-12-31")


def _last_search_before_window_end(d):
    edit_yaml(d / "review.yml", lambda c: c["search"].update(last_search="2024-12-01"))
    return ("review.yml", None, "search.last_search", "2024-12-01")


def _last_search_in_the_future(d):
    edit_yaml(d / "review.yml", lambda c: c["search"].update(last_search="2999-01-01"))
    return ("review.yml", None, "search.last_search", "2999-01-01")


def _no_database_searched(d):
    edit_yaml(d / "review.yml", lambda c: c["search"].update(databases=[]))
    return ("review.yml", None, "search.databases", "[]")


def _no_reviewer(d):
    edit_yaml(d / "review.yml", lambda c: c["process"]["selection"].update(reviewers=0))
    return ("review.yml", None, "process.selection.reviewers", 0)


def _one_reviewer_working_independently(d):
    edit_yaml(d / "review.yml", lambda c: c["process"]["risk_of_bias"].update(reviewers=1))
    return ("review.yml", None, "process.risk_of_bias.independent", True)


def _review_yaml_syntax(d):
    text = (d / "review.yml").read_text(encoding="utf-8")
    (d / "review.yml").write_text(text.replace("model: random", "model: [random"), "utf-8")
    # the unclosed "[" is found on the next line, where a key stands instead of "," or "]"
    line = text[: text.index("model: random")].count("\n") + 2
    return ("review.yml", line, None, None)


def _grade_downgrade(d):
    edit_yaml(d / "grade.yml", lambda c: c["outcomes"]["c3"]["indirectness"].update(downgrade=3))
    return ("grade.yml", None, "outcomes.c3.indirectness.downgrade", 3)


def _grade_outcome(d):
    edit_yaml(d / "grade.yml", lambda c: c["outcomes"].update(dsdna={"imprecision": 1}))
    return ("grade.yml", None, "outcomes.dsdna", "dsdna")


def _bib_duplicate_key(d):
    text = (d / "references.bib").read_text(encoding="utf-8")
    (d / "references.bib").write_text(text + "\n@misc{aldana2013,\n  title = {x}\n}\n", "utf-8")
    return ("references.bib", None, None, "aldana2013")


def _bib_not_utf8(d):
    text = (d / "references.bib").read_text(encoding="utf-8")
    (d / "references.bib").write_text(text + "\n% Müller\n", encoding="latin-1")
    first = next(i for i, ch in enumerate(text + "\n% Müller\n") if ord(ch) > 127)
    return ("references.bib", text[:first].count("\n") + 1, None, None)  # its first bad byte


def _citation_key_pandoc_cannot_cite(d):
    for name in ("studies.csv", "references.bib"):
        text = (d / name).read_text(encoding="utf-8")
        (d / name).write_text(text.replace("aldana2013", "aldana!2013"), encoding="utf-8")
    return ("studies.csv", 2, "citation", "aldana!2013")


def _duplicate_event_spelling(d):
    rows = read_rows(d / "adverse_events.csv")
    rows.append(["S02", "upper  Respiratory tract infection", "no", "0", "24", "0", "22"])
    write_rows(d / "adverse_events.csv", rows)
    return ("adverse_events.csv", len(rows), "event", "upper  Respiratory tract infection")


CASES = {
    "duplicate study id": _duplicate_study_id,
    "unknown study id": _unknown_study,
    "outcome not in review.yml": _unknown_outcome,
    "duplicate study x outcome row": _duplicate_outcome_row,
    "SD <= 0": _sd_not_positive,
    "SE <= 0": _negative_se,
    "n < 2 in studies.csv": _arm_too_small,
    "n < 2 in outcomes.csv": _outcome_arm_too_small,
    "arm size above studies.csv": _arm_larger_than_randomised,
    "adverse-event arm above studies.csv": _adverse_arm_larger_than_randomised,
    "events > n": _events_exceed_n,
    "text where a number belongs": _text_for_number,
    "text for follow-up": _text_in_studies_number,
    "RoB outside vocabulary": _rob_vocabulary,
    "RoB outcome unknown": _rob_unknown_outcome,
    "citation key not in references.bib": _missing_citation,
    "missing column": _missing_column,
    "missing file": _missing_file,
    "no usable summary for an arm": _missing_summary,
    "CI upper below lower": _ci_reversed,
    "SD and CI both given": _sd_and_ci,
    "CI given by half": _half_a_ci,
    "quartiles out of order": _quartiles_out_of_order,
    "IQR given by half": _half_an_iqr,
    "zero-width range": _zero_width_range,
    "zero-width range and IQR": _zero_width_range_and_iqr,
    "yes/no column": _bad_boolean,
    "PRISMA screened": _prisma_screened,
    "PRISMA exclusion reasons": _prisma_eligibility_reasons,
    "PRISMA included vs studies.csv": _prisma_studies_count,
    "PRISMA reports": _prisma_reports,
    "PRISMA negative count": _prisma_negative,
    "review.yml model": _review_model,
    "review.yml measure": _review_measure,
    "review.yml subgroup column": _review_subgroup_column,
    "review.yml moderator not numeric": _review_moderator_not_numeric,
    "review.yml characteristic column": _review_characteristic_column,
    "blank moderator of a contributing study": _moderator_blank,
    "blank subgroup of a contributing study": _subgroup_blank,
    "declared outcome without rows": _outcome_without_rows,
    "review.yml date": _review_date,
    "search window ending before it starts": _search_window_reversed,
    "last search before the window's end": _last_search_before_window_end,
    "last search in the future": _last_search_in_the_future,
    "no database searched": _no_database_searched,
    "no reviewer": _no_reviewer,
    "one reviewer working independently": _one_reviewer_working_independently,
    "review.yml syntax": _review_yaml_syntax,
    "grade.yml downgrade": _grade_downgrade,
    "grade.yml outcome": _grade_outcome,
    "references.bib duplicate key": _bib_duplicate_key,
    "references.bib not UTF-8": _bib_not_utf8,
    "citation key pandoc cannot cite": _citation_key_pandoc_cannot_cite,
    "adverse event repeated, other case and spacing": _duplicate_event_spelling,
}


@pytest.mark.parametrize("breaker", CASES.values(), ids=CASES.keys())
def test_broken_copy_is_reported_precisely(tmp_path, capsys, breaker):
    data = copy_example(tmp_path)
    file, row, column, value = breaker(data)
    problems = problems_of(data)
    matching = [
        p
        for p in problems
        if p.file == file
        and p.row == row
        and p.column == column
        and (value is None or str(p.value) == str(value))
    ]
    assert matching, f"no problem at {file}:{row}:{column}={value!r} in {problems}"
    message = str(matching[0])
    assert file in message
    if row is not None:
        assert f"{'row' if file.endswith('.csv') else 'line'} {row}" in message
    if column is not None:
        assert f"'{column}'" in message
    if value not in (None, ""):
        assert str(value) in message
    assert "expected" in message

    assert check_exit_code(data) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_all_problems_are_reported_together(tmp_path, capsys):
    data = copy_example(tmp_path)
    expected = [
        _duplicate_study_id(data),
        _sd_not_positive(data),
        _events_exceed_n(data),
        _rob_vocabulary(data),
        _prisma_screened(data),
        _review_model(data),
    ]
    problems = problems_of(data)
    found = {(p.file, p.row, p.column) for p in problems}
    for file, row, column, _ in expected:
        assert (file, row, column) in found
    assert check_exit_code(data) == 2
    err = capsys.readouterr().err
    assert f"{len(problems)} problems in the input" in err


@pytest.mark.parametrize(
    ("file", "column", "value"),
    [("outcomes.csv", "sd1", "-3"), ("studies.csv", "year", "1850")],
    ids=["its only outcome row", "its own row"],
)
def test_a_blank_subgroup_is_reported_beside_other_errors_of_the_study(
    tmp_path, file, column, value
):
    data = copy_example(tmp_path)
    set_cell(data / "studies.csv", 2, "msc_source", "")  # S01, one outcome row
    row = find_row(data / file, study_id="S01")
    set_cell(data / file, row, column, value)
    found = {(p.file, p.row, p.column) for p in problems_of(data)}
    assert (file, row, column) in found
    assert ("studies.csv", 2, "msc_source") in found


def test_the_example_passes_and_check_prints_its_summary(capsys):
    assert main(["check", "--data", str(MSCS_EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "9 studies, 485 participants" in out
    assert "sledai (SLEDAI; SMD, primary): 9 studies" in out
    assert "Conversions to mean and SD: 8" in out
    assert "Warnings: 0" in out


# -- warnings: flagged, but the check still passes ------------------------------------------
def _warnings(data):
    return load_review(data).warnings


def test_databases_searched_but_not_counted_in_prisma_are_flagged(tmp_path):
    data = copy_example(tmp_path)
    edit_yaml(data / "review.yml", lambda c: c["search"].update(databases=["PubMed", "CINAHL"]))
    (warning,) = [w for w in _warnings(data) if w.column == "search.databases"]
    assert "'PubMed, CINAHL'" in str(warning)
    assert "PubMed, Embase, Web of Science" in warning.expected


def test_sd_that_looks_like_an_se_is_flagged(tmp_path):
    data = copy_example(tmp_path)
    row = find_row(data / "outcomes.csv", study_id="S03", outcome="sledai")
    set_cell(data / "outcomes.csv", row, "sd1", "0.75")  # 4.1 / sqrt(30)
    flagged = [w for w in _warnings(data) if w.row == row and w.column == "sd1"]
    assert len(flagged) == 1
    assert "standard error" in str(flagged[0]) and "0.75" in str(flagged[0])
    assert check_exit_code(data) == 0


def test_plausible_small_sd_is_not_flagged(tmp_path):
    data = copy_example(tmp_path)
    row = find_row(data / "outcomes.csv", study_id="S03", outcome="sledai")
    set_cell(data / "outcomes.csv", row, "sd1", "2.2")
    assert not [w for w in _warnings(data) if w.column == "sd1"]


def test_change_scores_mixed_with_final_values_under_smd(tmp_path):
    data = copy_example(tmp_path)
    row = find_row(data / "outcomes.csv", study_id="S04", outcome="sledai")
    set_cell(data / "outcomes.csv", row, "change", "yes")
    review = load_review(data)
    assert next(r for r in review.data_for("sledai") if r.study_id == "S04").change
    flagged = [w for w in review.warnings if w.row == row and w.column == "change"]
    assert len(flagged) == 1 and "10.5.2" in str(flagged[0])


def test_all_change_scores_are_not_flagged(tmp_path):
    data = copy_example(tmp_path)
    for sid in ("S02", "S03", "S04", "S05", "S06", "S08", "S09"):
        row = find_row(data / "outcomes.csv", study_id=sid, outcome="c3")
        set_cell(data / "outcomes.csv", row, "change", "yes")
    assert not [w for w in _warnings(data) if w.column == "change"]


def test_overall_rob_contradicting_the_algorithm(tmp_path):
    data = copy_example(tmp_path)
    row = find_row(data / "risk_of_bias.csv", study_id="S03")  # d2 some concerns
    set_cell(data / "risk_of_bias.csv", row, "overall", "low")
    flagged = [w for w in _warnings(data) if w.row == row and w.column == "overall"]
    assert len(flagged) == 1 and "'some concerns or high'" not in str(flagged[0])
    assert "'some concerns'" in str(flagged[0])
    assert check_exit_code(data) == 0


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Low", "low"),
        ("low risk", "low"),
        ("LOW RISK OF BIAS", "low"),
        ("Some concerns", "some concerns"),
        ("some_concerns", "some concerns"),
        (" High ", "high"),
        ("High risk", "high"),
    ],
)
def test_rob_spellings_are_normalised(tmp_path, written, normalised):
    data = copy_example(tmp_path)
    row = find_row(data / "risk_of_bias.csv", study_id="S07")
    set_cell(data / "risk_of_bias.csv", row, "d1", written)
    rob = load_review(data).rob_for("S07")
    assert rob.d1 == normalised


def test_analysed_arm_smaller_than_randomised_is_accepted(tmp_path):
    data = copy_example(tmp_path)
    row = find_row(data / "outcomes.csv", study_id="S06", outcome="c3")
    set_cell(data / "outcomes.csv", row, "n1", "31")  # 35 randomised, 4 lost to follow-up
    assert next(r for r in load_review(data).data_for("c3") if r.study_id == "S06").n1 == 31


def test_conversion_method_missing_from_the_bibliographies(tmp_path, monkeypatch):
    """Shi et al. 2020 ships in report/references.bib: a builder without it warns."""
    from analysis import paths
    from analysis.data import loading

    data = copy_example(tmp_path)
    methods = tmp_path / "report" / "references.bib"
    methods.parent.mkdir()
    text = paths.METHODS_BIB.read_text(encoding="utf-8")
    methods.write_text(text.replace("@article{shi2020,", "@article{shi2020x,"), encoding="utf-8")
    monkeypatch.setattr(loading, "METHODS_BIB", methods)
    monkeypatch.setattr(loading, "ROOT", tmp_path)
    row = find_row(data / "outcomes.csv", study_id="S04", outcome="anti_dsdna")
    flagged = [w for w in _warnings(data) if w.value == "shi2020"]
    assert [w.row for w in flagged] == [row]  # once per row, though both arms were converted
    assert check_exit_code(data) == 0


def test_key_repeated_in_the_methods_bibliography(tmp_path):
    data = copy_example(tmp_path)
    bib = data / "references.bib"
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text + "\n@article{egger1997,\n  title = {x}\n}\n", encoding="utf-8")
    assert [w.value for w in _warnings(data) if w.file == "references.bib"] == ["egger1997"]


def test_study_without_rob_is_flagged(tmp_path):
    data = copy_example(tmp_path)
    write_rows(data / "risk_of_bias.csv", read_rows(data / "risk_of_bias.csv")[:-1])  # no S09
    found = {(w.file, w.column, w.value) for w in _warnings(data)}
    assert ("risk_of_bias.csv", "study_id", "S09") in found


def test_the_columns_of_an_arm_name_what_conflicts_or_is_missing(tmp_path):
    data = copy_example(tmp_path)
    _sd_and_ci(data)
    _half_a_ci(data)
    assert sorted((p.row, p.column, p.value, p.expected) for p in problems_of(data)) == [
        (23, "ci_lower1", "90", "only one of sd1, se1 or ci_lower1/ci_upper1 for arm 1 "
         "(sd1 and ci_lower1/ci_upper1 are given)"),
        (24, "ci_lower1", "", "a value, as ci_upper1 is given"),
    ]  # fmt: skip


def test_a_header_only_rob_table_is_not_assessed_without_warnings(tmp_path):
    data = copy_example(tmp_path)
    write_rows(data / "risk_of_bias.csv", read_rows(data / "risk_of_bias.csv")[:1])
    review = load_review(data)
    assert review.risk_of_bias == ()
    assert not [w for w in review.warnings if w.file == "risk_of_bias.csv"]


def test_a_trial_with_several_reports_adds_up(tmp_path):
    """PRISMA counts reports at eligibility: 10 reports of 9 trials."""
    data = copy_example(tmp_path)

    def edit(c):
        c["included"]["reports"] = 10
        c["eligibility"]["excluded"]["No eligible outcome"] = 3  # 46 - 36 = 10 reports

    edit_yaml(data / "prisma.yml", edit)
    prisma = load_review(data).prisma
    assert (prisma.included_studies, prisma.included_reports) == (9, 10)


def test_blank_moderator_of_a_study_without_outcome_data_is_accepted(tmp_path):
    data = copy_example(tmp_path)
    rows = read_rows(data / "outcomes.csv")
    write_rows(data / "outcomes.csv", [r for r in rows if r[0] != "S09"])
    set_cell(data / "studies.csv", 10, "dose", "")  # S09
    set_cell(data / "studies.csv", 10, "dose_unit", "")
    assert load_review(data).study("S09").get("dose") is None


def test_a_converted_sd_of_zero_is_an_error(tmp_path, monkeypatch):
    """Whatever the conversion, an SD that is not above 0 never reaches the analysis."""
    from analysis.data import conversions

    convert = conversions.convert_arm
    monkeypatch.setattr(
        conversions, "convert_arm", lambda n, **v: (*convert(n, **v)[:1], 0.0, convert(n, **v)[2])
    )
    data = copy_example(tmp_path)
    row = find_row(data / "outcomes.csv", study_id="S07", outcome="sledai")
    found = [p for p in problems_of(data) if (p.row, p.column) == (row, "sd1")]
    assert found and found[0].value == 0.0 and "outcomes.csv" in str(found[0])


def test_check_in_a_real_process(tmp_path):
    """``python -m analysis check --data DIR`` as a user runs it: exit 2, no traceback."""
    import subprocess
    import sys

    from analysis.paths import ROOT

    data = copy_example(tmp_path)
    _events_exceed_n(data)
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "check", "--data", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "adverse_events.csv, row 4, column 'events1': '19'" in done.stderr
    assert "Traceback" not in done.stderr


# --- sections/*.md ----------------------------------------------------------------------------


def _section(data_dir, name, text, mode="a"):
    path = data_dir / "sections" / name
    with path.open(mode + "b") as handle:
        handle.write(text if isinstance(text, bytes) else text.encode("utf-8"))


@pytest.mark.parametrize(
    ("raw", "found"),
    [(b"caf\xe9\n", "UTF-8"), (b"a\x00b\n", "NUL"), (b"x" * 1_100_000, "bytes")],
)
def test_a_section_that_is_not_readable_text_is_an_error_naming_it(tmp_path, raw, found):
    data = copy_example(tmp_path)
    _section(data, "discussion.md", raw)
    (problem,) = problems_of(data)
    assert problem.file == "sections/discussion.md" and found in str(problem)
    assert check_exit_code(data) == 2


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("See [@nokey].", "@nokey"),
        ("As @fig-nonexistent shows.", "@fig-nonexistent"),
        ("As in @tbl-x.", "@tbl-x"),
        ("Hello {{ x }}.", "{{"),
        ("{% if x %}", "{%"),
    ],
)
def test_what_the_render_would_refuse_in_a_section_is_an_error_with_its_line(tmp_path, line, value):
    data = copy_example(tmp_path)
    lines = (data / "sections" / "discussion.md").read_text(encoding="utf-8").count("\n")
    _section(data, "discussion.md", line + "\n")
    (problem,) = problems_of(data)
    assert (problem.file, problem.row) == ("sections/discussion.md", lines + 1)
    assert problem.value == value


def test_section_citations_and_references_the_manuscript_has_pass(tmp_path):
    data = copy_example(tmp_path)
    _section(
        data,
        "discussion.md",
        "As @tbl-sof and @fig-forest-sledai show [@higgins2003; @tsokos2011], "
        "jane@fig-lab.org, `@code`, @sec-methods.\n",
    )
    assert load_review(data).warnings == ()


def test_a_footnote_label_in_two_sections_is_an_error(tmp_path):
    data = copy_example(tmp_path)
    _section(data, "discussion.md", "A[^1].\n\n[^1]: one.\n")
    _section(data, "limitations.md", "B[^1].\n\n[^1]: two.\n")
    (problem,) = problems_of(data)
    assert problem.file == "sections/limitations.md" and "sections/discussion.md" in str(problem)


def _warning_texts(data):
    return [str(w) for w in load_review(data).warnings]


def test_unknown_section_files_and_near_miss_names_are_warning_texts(tmp_path):
    data = copy_example(tmp_path)
    sections = data / "sections"
    (sections / "discussion.md").rename(sections / "Discussion.md")
    (sections / "appendix.md").write_text("More.\n", encoding="utf-8")
    (data / "grade.yml").rename(data / "grade.yaml")
    (data / "PRISMA.yml").write_text("", encoding="utf-8")
    warnings = "\n".join(_warning_texts(data))
    assert "sections/Discussion.md: ignored" in warnings
    assert "did you mean discussion.md" in warnings
    assert "sections/appendix.md: ignored" in warnings
    assert "grade.yaml: ignored" in warnings and "did you mean grade.yml" in warnings
    assert "PRISMA.yml: ignored" in warnings and "did you mean prisma.yml" in warnings


def test_check_warns_about_an_empty_or_missing_section(tmp_path, capsys):
    data = copy_example(tmp_path)
    (data / "sections" / "conclusions.md").write_text("\n", encoding="utf-8")
    (data / "sections" / "funding.md").unlink()
    assert check_exit_code(data) == 0
    out = capsys.readouterr().out
    assert "sections/conclusions.md: missing or empty" in out
    assert "sections/funding.md: missing or empty" in out


def test_a_top_level_heading_in_a_section_is_a_warning_with_its_line(tmp_path):
    data = copy_example(tmp_path)
    _section(data, "discussion.md", "Intro.\n\n## Heading\n\n### Sub-heading\n", mode="w")
    assert _warning_texts(data) == [
        "sections/discussion.md, line 3: '##' — expected no # or ## heading (the manuscript "
        "gives the section its heading; sub-headings start at ###)"
    ]


def test_sections_embedding_outside_files_or_scripts_are_warning_texts(tmp_path):
    data = copy_example(tmp_path)
    _section(
        data,
        "discussion.md",
        '{{< include /etc/hostname >}}\n![x](/etc/hostname)\n<img src="/etc/passwd">\n'
        "<script>alert(1)</script>\n![fine](figures/trial.png) ![web](https://x.org/a.png)\n",
        mode="w",
    )
    warnings = _warning_texts(data)
    assert [w.split(" — ")[0] for w in warnings] == [
        "sections/discussion.md, line 1: '/etc/hostname'",
        "sections/discussion.md, line 2: '/etc/hostname'",
        "sections/discussion.md, line 3: '/etc/passwd'",
        "sections/discussion.md, line 4: '<script>'",
    ]


def test_rob_1s_unclear_is_refused_with_what_to_do(tmp_path):
    data = copy_example(tmp_path)
    set_cell(data / "risk_of_bias.csv", 2, "d3", "Unclear")
    problems = problems_of(data)
    (problem,) = [p for p in problems if p.column == "d3"]
    assert "RoB 1's 'unclear' has no RoB 2 equivalent" in str(problem)
