"""The build pipeline: outputs, results.json, numbers in the text, escaping, atomic writing, and
what a one-number data change changes."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from analysis import paths
from analysis import text as _text
from analysis.build import FIGURES_MANIFEST, PARTS, RESULTS_FILE, build, render_parts
from analysis.errors import AnalysisError, DataError
from analysis.incremental import CACHE_DIR, TEMPLATE_CACHE
from analysis.sections import SECTIONS, SECTIONS_DIR
from analysis.text import fmt_int, fmt_num, fmt_pct, spell

from .conftest import MSCS_EXAMPLE, copy_project


def effect_statement(pooled) -> str:
    """The effect statement as :func:`part` reads it (no-break spaces as spaces)."""
    return _text.effect_statement(pooled).replace("\u00a0", " ")


def fmt_p(p) -> str:
    """The p-value as :func:`part` reads it (no-break spaces as spaces)."""
    return _text.fmt_p(p).replace("\u00a0", " ")


UNRENDERED = ("{{", "{%", "{# ", "#}", "{{<", "[@]", "None", "nan", "NA%", "\\u2212")


def part_of(report: Path, name: str) -> str:
    """A generated part of a report folder, no-break spaces read as spaces."""
    return (report / "_generated" / name).read_text(encoding="utf-8").replace("\u00a0", " ")


def part(built, name: str) -> str:
    """A generated part with its no-break spaces read as spaces (tests/test_typography.py checks
    where they are)."""
    return (built.generated / name).read_text(encoding="utf-8").replace("\u00a0", " ")


def prose(text: str) -> str:
    """The running text of a generated part: no table rows, captions or figure lines."""
    lines = [
        line for line in text.splitlines() if not line.startswith(("|", ": ", "![", ":::", "#"))
    ]
    return "\n".join(lines)


# --- outputs and results.json ------------------------------------------------------------------


def test_build_writes_every_part_results_figures_and_shows_progress(manuscript_build):
    names = {p.name for p in manuscript_build.generated.iterdir()}
    assert set(PARTS.values()) | {RESULTS_FILE, "metadata.yml", "references.bib"} <= names
    figures = manuscript_build.figures
    assert {"forest-sledai", "prisma-flow", "rob-traffic-light"} <= {f["stem"] for f in figures}
    for f in figures:
        assert (manuscript_build.generated / "figures" / f["svg"]).stat().st_size > 1000
        assert (manuscript_build.generated / "figures" / f["png"]).stat().st_size > 1000
    steps = [line for line in manuscript_build.log if line.startswith("build [")]
    assert [s.split("]")[0] for s in steps] == [f"build [{i}/6" for i in range(1, 7)]


def test_results_json_has_the_contract_keys_and_provenance(manuscript_build):
    r = manuscript_build.results
    for key in (
        "provenance",
        "review",
        "studies",
        "outcomes",
        "risk_of_bias",
        "prisma",
        "adverse_events",
        "grade",
        "decisions",
        "conversions",
    ):
        assert key in r, key
    assert "figures" not in r  # the figure manifest is figures/figures.json
    prov = r["provenance"]
    assert prov["packages"]["numpy"] and prov["packages"]["python"]
    assert prov["settings"]["tau2_method"] == "REML"
    digest = hashlib.sha256()
    for name in sorted(prov["input_files"]):
        digest.update(
            name.encode() + b"\0" + (manuscript_build.data_dir / name).read_bytes() + b"\0"
        )
    assert prov["input_hash"] == digest.hexdigest()
    outcome = r["outcomes"][0]
    for key in (
        "id",
        "label",
        "measure",
        "primary",
        "lower_is_better",
        "unit",
        "studies",
        "pooled",
        "subgroup_analyses",
        "sensitivity",
        "bias",
    ):
        assert key in outcome, key
    study = outcome["studies"][0]
    for key in (
        "study_id",
        "label",
        "n1",
        "mean1",
        "sd1",
        "yi",
        "vi",
        "ci_lower",
        "ci_upper",
        "weight_percent",
        "conversion",
    ):
        assert key in study, key
    assert sum(s["weight_percent"] for s in outcome["studies"]) == pytest.approx(100)


def test_the_availability_statement_names_the_data_folder_the_build_read(
    manuscript_build, tmp_path
):
    assert manuscript_build.results["provenance"]["data_folder"] == "data"
    assert "The extracted data (data/: " in part(manuscript_build, "availability.md")
    review = tmp_path / "my-review"
    shutil.copytree(MSCS_EXAMPLE, review)
    results = build(review, tmp_path / "gen", log=lambda *_: None, formats=("html",))
    assert results["provenance"]["data_folder"] == "my-review"
    text = (tmp_path / "gen" / "availability.md").read_text(encoding="utf-8")
    assert "The extracted data (my-review/: " in text and "data/" not in text
    assert paths.data_folder(paths.ROOT / "examples" / "mscs-sle") == "examples/mscs-sle"


def test_results_reproduce_the_example_abstract(manuscript_build):
    sledai = manuscript_build.results["outcomes"][0]
    assert sledai["id"] == "sledai"
    p = sledai["pooled"]
    assert (fmt_num(p["estimate"]), fmt_num(p["ci_lower"]), fmt_num(p["ci_upper"])) == (
        "\u22120.78",
        "\u22121.25",
        "\u22120.31",
    )
    assert fmt_p(p["pval"]) == "p = 0.001"


# --- the numbers in the text come from results.json -------------------------------------------


def formatted_values(node, out: set[str]) -> set[str]:
    """Every number in results.json written every way the templates may write it."""
    if isinstance(node, dict):
        for value in node.values():
            formatted_values(value, out)
    elif isinstance(node, list):
        for value in node:
            formatted_values(value, out)
    elif isinstance(node, str) and re.fullmatch(r"\d{4}(-\d{2}){0,2}", node):
        out.update(str(int(x)) for x in node.split("-"))  # dates, written "15 January 2025"
    elif isinstance(node, bool) or node is None or isinstance(node, str):
        pass
    elif isinstance(node, (int, float)):
        for digits in range(4):
            out.add(fmt_num(node, digits))
            out.add(fmt_num(100 * node, digits))  # levels (0.95 -> 95)
        out.add(fmt_int(round(node)) if float(node).is_integer() else fmt_num(node, 2))
        out.add(fmt_p(node).split()[-1])
        out.add(fmt_pct(node).rstrip("%"))
    return out


NUMBER = re.compile(r"(?<![\w.])[\u2212]?\d+(?:\.\d+)?(?![\w])")


@pytest.mark.parametrize("name", ["abstract.md", "results.md"])
def test_every_number_in_the_text_is_a_results_json_value(manuscript_build, name):
    r = manuscript_build.results
    allowed = formatted_values(r, set())
    allowed |= {str(n) for n in range(0, 11)}  # counts of trials/subgroups derived from lists
    text = prose(part(manuscript_build, name))
    text = re.sub(r"\[@[^\]]*\]", "", text)  # citation keys carry years
    text = re.sub(r"§[\d.]+", "", text)  # section numbers of the Cochrane Handbook
    text = re.sub(r"I²|τ²|RoB 2|D[1-5]|SLEDAI-2K|PRISMA 2020|C3", "", text)
    # the years of the included trials and fixed thresholds in the wording
    allowed |= {str(s["year"]) for s in r["studies"]}
    unknown = sorted({n for n in NUMBER.findall(text) if n not in allowed})
    assert not unknown, f"numbers in {name} not found in results.json: {unknown}"


def test_abstract_states_the_primary_result_formatted_the_one_way(manuscript_build):
    r = manuscript_build.results
    abstract = part(manuscript_build, "abstract.md")
    primary = next(o for o in r["outcomes"] if o["primary"])
    k = len(r["studies"])
    n = r["review"]["total_participants"]
    assert (
        f"{spell(k).capitalize()} randomised controlled trials (RCTs) (n = {fmt_int(n)} patients) "
        "met the inclusion"
    ) in abstract
    assert (
        "MSCS therapy significantly reduced SLEDAI compared with controls "
        f"({effect_statement(primary['pooled'])})" in abstract
    )
    assert effect_statement(primary["pooled"]) == (
        "SMD \u22120.78, 95% CI \u22121.25 to \u22120.31, p = 0.001"
    )
    assert "a moderate effect by conventional thresholds" in abstract
    headings = ("**Objectives:**", "**Methods:**", "**Results:**", "**Conclusions:**")
    for heading in (*headings, "**Funding:**", "**Registration:**"):
        assert heading in abstract


def test_results_text_reports_each_outcome_with_heterogeneity_and_prediction_interval(
    manuscript_build,
):
    results_md = part(manuscript_build, "results.md")
    for o in manuscript_build.results["outcomes"]:
        p = o["pooled"]
        assert f"## {o['label']}" in results_md
        assert effect_statement(p) in results_md
        assert f"I² = {fmt_pct(p['i2'])}" in results_md
        assert f"τ² = {fmt_num(p['tau2'], 3)}" in results_md
        assert f"prediction interval {fmt_num(p['pi_lower'])} to {fmt_num(p['pi_upper'])}" in (
            results_md
        )
        assert f"@fig-forest-{o['id']}" in results_md
    prisma = manuscript_build.results["prisma"]
    assert f"{fmt_int(prisma['screening']['screened'])} records were screened" in results_md


@pytest.mark.parametrize("name", sorted(PARTS.values()))
def test_no_template_syntax_or_missing_value_is_left(manuscript_build, name):
    text = part(manuscript_build, name)
    for token in UNRENDERED:
        assert token not in text, (name, token)


@pytest.mark.parametrize("name", ["abstract.md", "results.md", "methods.md"])
def test_no_sentence_starts_with_digits(manuscript_build, name):
    text = prose(part(manuscript_build, name))
    # a sentence ends with . ! or ? -- but not the "al." of "et al."
    starts = re.findall(r"(?:^|(?<!\bal)[.!?]\s+)(\u2212?\d[\w.]*)", text, flags=re.MULTILINE)
    assert not starts, starts


def test_methods_name_the_estimator_ci_method_and_software(manuscript_build):
    methods = part(manuscript_build, "methods.md")
    assert "restricted maximum-likelihood (REML) estimator [@viechtbauer2005]" in methods
    assert "normal distribution" in methods and "prediction interval" in methods
    versions = manuscript_build.results["provenance"]["packages"]
    assert f"NumPy {versions['numpy']}" in methods
    assert "[@luo2018; @wan2014]" in methods  # the conversions used, with their sources


#: files in data/ that are not part of the review (the folder's documentation, the generator)
NOT_REVIEW_FILES = {"README.md", "make_example.py"}


def same_review(a: Path, b: Path) -> bool:
    """The two folders hold the same review files with the same bytes (sub-folders included)."""

    def files(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and p.name not in NOT_REVIEW_FILES and "__pycache__" not in p.parts
        }

    return files(a) == files(b)


def test_committed_generated_parts_equal_a_fresh_build(manuscript_build):
    """report/_generated/*.md is committed (Quarto needs it before its pre-render step) and
    equals a fresh build of the shipped example. It is a fact about the repository's data/, so
    it is checked only while data/ is the shipped example (examples/mscs-sle/): once a reviewer
    has put their own review into data/, report/_generated is theirs to rebuild, and the rest
    of the suite tests the builder on the examples."""
    if not same_review(paths.DATA_DIR, MSCS_EXAMPLE):
        pytest.skip("data/ is not the shipped example (examples/mscs-sle/)")
    stale = []
    sections = [f"{SECTIONS_DIR}/{name}.md" for name in SECTIONS]
    for name in [*PARTS.values(), "metadata.yml", "references.bib", *sections]:
        fresh = (manuscript_build.generated / name).read_text(encoding="utf-8")
        committed = paths.GENERATED_DIR / name
        if not committed.exists() or committed.read_text(encoding="utf-8") != fresh:
            stale.append(name)
    assert not stale, (
        f"report/_generated is out of date ({', '.join(stale)}): run "
        "`.venv/bin/python -m analysis build` and commit report/_generated"
    )


# --- data text is escaped ---------------------------------------------------------------------


def test_data_text_is_escaped_not_interpreted(manuscript_build):
    results = json.loads(json.dumps(manuscript_build.results))
    results["studies"][0]["label"] = "*Evil* <b>[x](y)</b>"
    results["studies"][0]["country"] = "# heading"
    results["outcomes"][1]["label"] = "_Anti_ {#id}"
    parts = render_parts(results, manuscript_build.figures)
    table_row = next(
        line for line in parts["results.md"].splitlines() if line.startswith(r"| \*Evil\*")
    )
    assert r"\*Evil\* \<b\>\[x\](y)\</b\>" in table_row
    assert r"\# heading" in table_row
    assert r"## \_Anti\_ \{\#id\}" in parts["results.md"]


def test_a_raw_float_in_a_template_is_refused():
    from analysis.build import template_environment

    env = template_environment()
    with pytest.raises(TypeError, match="fmt_"):
        env.from_string("{{ x }}").render(x=0.5)
    assert env.from_string("{{ x|fmt_num(1) }}").render(x=-0.5) == "\u22120.5"


def broken_templates(folder: Path, line: str) -> Path:
    """A copy of templates/ whose results.md.j2 has ``line`` added as line 5 (after the
    imports)."""
    shutil.copytree(paths.TEMPLATES_DIR, folder)
    path = folder / "results.md.j2"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:4], line + "\n", *lines[4:]]), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{{ 0.5 }}", r"results\.md\.j2, line 5 failed: TypeError: .*raw number"),
        ("{{ no_such_value }}", r"results\.md\.j2, line 5 failed: UndefinedError"),
        ("{% if %}", r"results\.md\.j2, line 5 failed: TemplateSyntaxError"),
        ('{{ cite("not a key!") }}', r"results\.md\.j2, line 5 failed: ValueError: not a citation"),
        (
            '{{ effect_sentence({"pooled": {}}) }}',
            r"_macros\.md\.j2, line \d+ \(rendering results\.md\.j2\) failed",
        ),
    ],
)
def test_a_template_error_names_the_template_and_line(manuscript_build, tmp_path, line, message):
    from analysis.build import template_environment

    env = template_environment(broken_templates(tmp_path / "templates", line))
    results = manuscript_build.results
    with pytest.raises(AnalysisError, match=message):
        render_parts(results, manuscript_build.figures, env)


def test_cli_reports_a_template_error_and_keeps_the_outputs(
    manuscript_build, tmp_path, capsys, monkeypatch
):
    from analysis import build as build_module
    from analysis.__main__ import main

    templates = broken_templates(tmp_path / "templates", "{{ 0.5 }}")
    real_environment = build_module.template_environment
    monkeypatch.setattr(
        build_module,
        "template_environment",
        lambda **options: real_environment(templates, **options),
    )
    out = tmp_path / "out" / "_generated"
    shutil.copytree(manuscript_build.generated, out)
    before = snapshot_dir(out)
    code = main(["build", "--data", str(manuscript_build.data_dir), "--generated", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "template results.md.j2, line 5 failed: TypeError" in err
    # the outputs are untouched; the compiled-templates cache may have gained entries
    compiled = f"{CACHE_DIR}/{TEMPLATE_CACHE}/"
    after = snapshot_dir(out)
    assert {n: d for n, d in after.items() if not n.startswith(compiled)} == {
        n: d for n, d in before.items() if not n.startswith(compiled)
    }
    # the build's lock file stays (an flock dies with its process: analysis/outputs.py)
    assert sorted(p.name for p in out.parent.iterdir()) == ["._generated.lock", "_generated"]


def test_common_events_count_the_trials_and_skip_events_that_never_occurred():
    """Four trials report adverse events: an event reported by two of them is common, one
    reported by one trial is not (although no event type was reported by more than two), and
    an event with no events in either arm is never named."""
    from analysis.interpret import common_adverse_events

    def event(name, studies, events1, events2, serious=False):
        return {
            "event": name,
            "serious": serious,
            "k": len(studies),
            "studies": studies,
            "events1": events1,
            "events2": events2,
        }

    adverse = {
        "events": [
            event("Fever", ["A", "B"], 3, 1),
            event("Rash", ["C"], 2, 0),
            event("Nausea", ["C", "D"], 5, 4),
            event("Headache", ["A", "D"], 0, 0),
            event("Stroke", ["A", "B"], 1, 0, serious=True),
        ]
    }
    names = [adverse["events"][i]["event"] for i in common_adverse_events(adverse)]
    assert names == ["Nausea", "Fever"]
    assert common_adverse_events(None) == []


def test_bibliography_keeps_the_datas_version_of_a_shared_key_whatever_the_entry_syntax(tmp_path):
    """The data's references.bib holds ``@article(cohen1988, ...)`` (parentheses, as BibTeX
    allows) and a key the methods file repeats in braces: only the data's version is kept;
    the methods file's @string and @comment items and its parenthesised entries survive."""
    from analysis.bibliography import merged_bibliography
    from analysis.data import load_review

    data_dir, _ = copy_project(tmp_path)
    with open(data_dir / "references.bib", "a", encoding="utf-8") as fh:
        fh.write("\n@article(cohen1988,\n  title = {Data version},\n  year = {1988}\n)\n")
    methods = tmp_path / "methods.bib"
    methods.write_text(
        "@string{bmj = {BMJ}}\n\n"
        "@book{cohen1988,\n  title = {Methods version}\n}\n\n"
        "@comment{cohen1988, a remark}\n\n"
        "@article(higgins2003,\n  title = {Measuring inconsistency},\n  journal = bmj\n)\n",
        encoding="utf-8",
    )
    review = load_review(data_dir)
    assert "cohen1988" in review.bibliography
    text = merged_bibliography(review.bibliography_file, methods)
    assert "Data version" in text and "Methods version" not in text
    assert text.count("cohen1988,") == 2  # the data's entry and the kept @comment
    for kept in ("@string{bmj = {BMJ}}", "@comment{cohen1988, a remark}", "@article(higgins2003"):
        assert kept in text


# --- atomic writing and the effect of a data change -------------------------------------------


def snapshot_dir(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def edit_csv(path: Path, row_index: int, column: str, value: str) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys())
    rows[row_index][column] = value
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_a_failed_build_leaves_the_previous_outputs_untouched(manuscript_build, tmp_path):
    out = tmp_path / "_generated"
    shutil.copytree(manuscript_build.generated, out)
    before = snapshot_dir(out)
    data_dir, _ = copy_project(tmp_path / "broken")
    edit_csv(data_dir / "outcomes.csv", 0, "sd1", "-3")
    with pytest.raises(DataError, match=r"outcomes\.csv, row 2"):
        build(data_dir, out, log=lambda _: None)
    assert snapshot_dir(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == ["._generated.lock"]


def text_for(tmp_path: Path, edit) -> tuple[dict, dict[str, str]]:
    """results.json's dict and the Markdown parts for a copy of data/ changed by ``edit(data_dir)``
    (no figures: the text is all these tests read)."""
    from analysis.data import load_review
    from analysis.results import assemble_results

    data_dir, _ = copy_project(tmp_path)
    edit(data_dir)
    results = assemble_results(load_review(data_dir))
    parts = render_parts(results, [])
    return results, {name: body.replace("\u00a0", " ") for name, body in parts.items()}


def edit_review(**settings):
    """An ``edit`` for :func:`text_for`: set keys of review.yml's ``analysis`` block."""

    def edit(data_dir: Path) -> None:
        import yaml

        path = data_dir / "review.yml"
        review = yaml.safe_load(path.read_text(encoding="utf-8"))
        review["analysis"].update(settings)
        path.write_text(yaml.safe_dump(review, allow_unicode=True), encoding="utf-8")

    return edit


def edit_outcome(outcome: str, **values):
    """An ``edit`` for :func:`text_for`: give every row of one outcome in outcomes.csv these
    values (the other value columns emptied)."""

    def edit(data_dir: Path) -> None:
        path = data_dir / "outcomes.csv"
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for index, row in enumerate(rows):
            if row["outcome"] == outcome:
                for column in row:
                    if column not in ("study_id", "outcome", "change"):
                        edit_csv(path, index, column, str(values.get(column, "")))

    return edit


def keep_trials(outcome: str, k: int):
    """An ``edit`` for :func:`text_for`: only the first ``k`` rows of one outcome are kept."""

    def edit(data_dir: Path) -> None:
        path = data_dir / "outcomes.csv"
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        ours = [i for i, row in enumerate(rows) if row["outcome"] == outcome]
        kept = [row for i, row in enumerate(rows) if i not in ours[k:]]
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(kept)

    return edit


def outcome_section(results_md: str, label: str) -> str:
    return results_md.split(f"## {label}\n", 1)[1].split("\n## ", 1)[0]


def test_one_trial_says_heterogeneity_cannot_be_assessed(tmp_path):
    results, parts = text_for(tmp_path, keep_trials("c3", 1))
    assert next(o for o in results["outcomes"] if o["id"] == "c3")["k"] == 1
    section = outcome_section(parts["results.md"], "Complement C3")
    assert "With a single trial, heterogeneity between trials cannot be assessed." in section
    assert "Small-study effects could not be examined with fewer than three trials." in section
    for leftover in ("Heterogeneity was", "NA", "prediction interval", "there are 1"):
        assert leftover not in section, leftover


def test_two_trials_report_heterogeneity_without_a_prediction_interval(tmp_path):
    results, parts = text_for(tmp_path, keep_trials("c3", 2))
    p = next(o for o in results["outcomes"] if o["id"] == "c3")["pooled"]
    assert p["pi_lower"] is None
    section = outcome_section(parts["results.md"], "Complement C3")
    assert f"I² = {fmt_pct(p['i2'])}" in section and f"Q = {fmt_num(p['q'], 2)} on 1 df" in section
    assert "With only two trials, no prediction interval was computed" in section
    assert "NA" not in section


#: one arm size every trial has, and the same result in every trial
IDENTICAL_TRIALS = {"n1": 18, "n2": 18, "mean1": 80, "sd1": 20, "mean2": 70, "sd2": 20}


def test_small_study_effects_not_testable_are_stated_not_a_crash(tmp_path):
    results, parts = text_for(tmp_path, edit_outcome("c3", **IDENTICAL_TRIALS))
    bias = next(o for o in results["outcomes"] if o["id"] == "c3")["bias"]
    assert bias["egger"] is None and bias["begg"] is None and bias["trimfill"] is None
    assert "same sampling variance" in bias["note"]
    assert (
        "Small-study effects could not be examined: Egger's test is undefined: every study has "
        "the same sampling variance" in parts["results.md"]
    )


def test_an_alternative_model_that_cannot_be_fitted_is_stated_not_a_crash(tmp_path):
    """Every C3 trial with MD 0.5 and variance 1 (exact in binary): the Knapp–Hartung variance
    factor is exactly 0, so that sensitivity model has no fit; the build goes on and says why."""

    def edit(data_dir: Path) -> None:
        import yaml

        edit_outcome("c3", n1=18, n2=18, mean1=1, sd1=3, mean2=0.5, sd2=3)(data_dir)
        path = data_dir / "review.yml"
        review = yaml.safe_load(path.read_text(encoding="utf-8"))
        next(o for o in review["outcomes"] if o["id"] == "c3")["measure"] = "MD"
        path.write_text(yaml.safe_dump(review, allow_unicode=True), encoding="utf-8")

    results, parts = text_for(tmp_path, edit)
    c3 = next(o for o in results["outcomes"] if o["id"] == "c3")
    knha = next(a for a in c3["sensitivity"]["alternatives"] if a["name"] == "knha")
    assert knha["pooled"] is None and "same effect size" in knha["note"]
    assert (
        "The alternative model (REML, Knapp–Hartung) could not be fitted: all studies have the "
        "same effect size" in parts["results.md"]
    )


@pytest.mark.parametrize("ci_method", ["knha", "adhoc"])
def test_knapp_hartung_meta_regression_is_worded_as_an_f_test(tmp_path, ci_method):
    results, parts = text_for(tmp_path, edit_review(ci_method=ci_method))
    m = results["outcomes"][0]["metareg"]
    assert m["qm_test"] == "F" and m["qm_df"] == [2, m["k"] - 3]
    expected = f"F(2, {fmt_int(m['k'] - 3)}) = {fmt_num(m['qm'])}, {fmt_p(m['qm_pval'])}"
    assert expected in parts["results.md"]
    assert "QM =" not in parts["results.md"]


def test_chi_square_meta_regression_names_qm_and_its_df(manuscript_build):
    m = manuscript_build.results["outcomes"][0]["metareg"]
    assert m["qm_test"] == "chisq" and m["qm_df"] == 2
    expected = f"QM = {fmt_num(m['qm'])}, df = 2, {fmt_p(m['qm_pval'])}"
    assert expected in part(manuscript_build, "results.md")


def test_cli_reports_bad_data_without_traceback(tmp_path, capsys):
    from analysis.__main__ import main

    data_dir, _ = copy_project(tmp_path)
    edit_csv(data_dir / "outcomes.csv", 0, "n1", "abc")
    code = main(["build", "--data", str(data_dir), "--generated", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "outcomes.csv" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_changing_one_number_changes_the_text_and_that_forest_plot_only(manuscript_build, tmp_path):
    """One SLEDAI mean changed in outcomes.csv: abstract, results (incl. the summary-of-findings
    table) and the SLEDAI figures change; methods, title page, the other outcomes' numbers and
    figures stay as they were."""
    data_dir, report = copy_project(tmp_path)
    with open(data_dir / "outcomes.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    index = next(
        i
        for i, r in enumerate(rows)
        if r["outcome"] == "sledai" and r.get("mean1") not in ("", None)
    )
    edit_csv(data_dir / "outcomes.csv", index, "mean1", f"{float(rows[index]['mean1']) - 2:g}")
    build(data_dir, report / "_generated", log=lambda _: None)
    new = json.loads((report / "_generated" / RESULTS_FILE).read_text(encoding="utf-8"))
    old = manuscript_build.results

    changed = {
        name
        for name in PARTS.values()
        if (report / "_generated" / name).read_text(encoding="utf-8").replace("\u00a0", " ")
        != part(manuscript_build, name)
    }
    assert {"abstract.md", "results.md"} <= changed
    assert changed <= {"abstract.md", "results.md", "availability.md", "supplement.md"}
    # the input hash is the only change in the availability statement
    assert new["provenance"]["input_hash"] != old["provenance"]["input_hash"]

    old_p, new_p = old["outcomes"][0]["pooled"], new["outcomes"][0]["pooled"]
    assert new_p["estimate"] != old_p["estimate"]
    assert old["outcomes"][1:] == new["outcomes"][1:]
    assert effect_statement(new_p) in part_of(report, "abstract.md")
    sof = [
        line
        for line in (report / "_generated" / "results.md").read_text("utf-8").splitlines()
        if line.startswith("| SLEDAI (primary)")
    ]
    assert sof and fmt_num(new_p["estimate"]) in sof[0]

    figures_old = snapshot_dir(manuscript_build.generated / "figures")
    figures_new = snapshot_dir(report / "_generated" / "figures")
    changed_figures = {name for name in figures_old if figures_old[name] != figures_new[name]}
    changed_figures.discard(FIGURES_MANIFEST)  # the manifest lists every figure's caption
    assert {"forest-sledai.svg", "forest-sledai.png"} <= changed_figures
    assert all("sledai" in name for name in changed_figures), changed_figures


@pytest.mark.parametrize("raw", [b"caf\xe9\n", b"a\x00b\n"])
def test_build_refuses_a_section_that_is_not_text_before_writing(tmp_path, raw):
    data = tmp_path / "data"
    shutil.copytree(MSCS_EXAMPLE, data)
    with (data / SECTIONS_DIR / "discussion.md").open("ab") as handle:
        handle.write(raw)
    with pytest.raises(DataError, match=r"sections/discussion\.md, line \d+"):
        build(data, tmp_path / "gen", log=lambda *_: None, formats=("html",))
    assert not (tmp_path / "gen").exists()
