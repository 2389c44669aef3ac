"""Reviews other than the shipped example: a new review from ``python -m analysis new``, the
BCG example (real trial counts, tested against metafor), and the hand-written sections."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analysis.__main__ import main
from analysis.sections import SECTIONS, SECTIONS_DIR, placeholder

from .conftest import BCG_EXAMPLE, MSCS_EXAMPLE, copy_project
from .reference_cases import SHARED_REFERENCE

#: metafor 3.8-1 on dat.bcg, risk ratio, REML with a z-based CI (the shared reference values)
BCG_METAFOR = json.loads((SHARED_REFERENCE / "bcg_RR.json").read_text(encoding="utf-8"))
#: iterative estimator (REML): metafor stops at its own threshold
REML_TOL = 1e-4


def build_and_render(review: Path, root: Path) -> tuple[dict, str, list[str]]:
    """Build ``review`` with a copy of report/ under ``root`` and render it to HTML; returns
    results.json, the HTML and the build's log."""
    from analysis.build import RESULTS_FILE, build
    from analysis.render import render

    data_dir, report = copy_project(root, review)
    log: list[str] = []
    build(data_dir, report / "_generated", log=log.append)
    results = json.loads((report / "_generated" / RESULTS_FILE).read_text(encoding="utf-8"))
    files = render(report / "index.qmd", root / "out", formats=("html",), log=lambda _: None)
    html = next(p for p in files if p.suffix == ".html").read_text(encoding="utf-8")
    return results, html, log


@pytest.fixture(scope="module")
def bcg(tmp_path_factory):
    return build_and_render(BCG_EXAMPLE, tmp_path_factory.mktemp("bcg"))


def test_bcg_example_passes_the_check():
    assert main(["check", "--data", str(BCG_EXAMPLE)]) == 0


def test_bcg_counts_are_metafors_dat_bcg():
    """The example's trials are the 13 rows of dat.bcg, in its order, with its counts."""
    from analysis.data import load_review

    rows = load_review(BCG_EXAMPLE).data_for("tb")
    assert [r.study_id for r in rows] == [f"T{i:02d}" for i in range(1, 14)]
    assert [(r.events1, r.n1, r.events2, r.n2) for r in rows] == [
        tuple(int(x) for x in line.split(",")[1:5])
        for line in (SHARED_REFERENCE / "bcg.csv").read_text(encoding="utf-8").splitlines()[1:]
    ]


@pytest.mark.parametrize(
    "key", ["estimate", "se", "ci_lower", "ci_upper", "pval", "tau2", "q", "q_pval"]
)
def test_bcg_pooled_risk_ratio_agrees_with_metafor(bcg, key):
    results, _, _ = bcg
    (outcome,) = results["outcomes"]
    assert outcome["measure"] == "RR" and outcome["k"] == 13
    expected = BCG_METAFOR["models"]["REML_z"][key]
    assert outcome["pooled"][key] == pytest.approx(expected, rel=REML_TOL), key


def test_bcg_study_effects_agree_with_metafor(bcg):
    results, _, _ = bcg
    studies = results["outcomes"][0]["studies"]
    assert [s["yi"] for s in studies] == pytest.approx(BCG_METAFOR["escalc"]["yi"], rel=1e-8)
    assert [s["vi"] for s in studies] == pytest.approx(BCG_METAFOR["escalc"]["vi"], rel=1e-8)


def test_bcg_manuscript_renders_cites_its_source_and_holds_its_sections(bcg):
    _, html, log = bcg
    assert "Colditz" in html and "JAMA" in html
    assert "Section not written" not in html
    assert not [line for line in log if f"{SECTIONS_DIR}/" in line]
    own = (BCG_EXAMPLE / SECTIONS_DIR / "conclusions.md").read_text(encoding="utf-8")
    other = (MSCS_EXAMPLE / SECTIONS_DIR / "conclusions.md").read_text(encoding="utf-8")
    assert " ".join(own.split()[:8]) in html
    assert " ".join(other.split()[:8]) not in html  # never another review's text
    assert "Systemic lupus erythematosus (SLE) is a chronic" not in html


def test_new_check_build_render_on_an_empty_folder(tmp_path, capsys):
    target = tmp_path / "review"
    target.mkdir()
    assert main(["new", str(target)]) == 0
    assert {p.name for p in target.iterdir()} >= {
        "review.yml",
        "studies.csv",
        "outcomes.csv",
        "adverse_events.csv",
        "risk_of_bias.csv",
        "prisma.yml",
        "grade.yml",
        "references.bib",
        "sections",
    }
    assert {p.stem for p in (target / SECTIONS_DIR).iterdir()} == set(SECTIONS)
    assert main(["check", "--data", str(target)]) == 0
    _, html, _ = build_and_render(target, tmp_path / "manuscript")
    assert "PLACEHOLDER" in html and "Placeholder: write the section here" in html


def test_every_placeholder_new_writes_is_a_warning_naming_where_it_is(tmp_path, capsys):
    target = tmp_path / "review"
    assert main(["new", str(target)]) == 0
    assert main(["check", "--data", str(target)]) == 0
    out = capsys.readouterr().out
    assert "Warnings: 0" not in out
    assert "review.yml, key 'title': 'PLACEHOLDER TITLE" in out
    assert "review.yml, key 'vocabulary.intervention': 'PLACEHOLDER intervention'" in out
    assert "studies.csv, row 2, column 'citation': 'placeholder_a2020'" in out
    assert "references.bib, line 5: 'placeholder_a2020'" in out
    assert "prisma.yml, key 'eligibility.excluded.PLACEHOLDER reason'" in out
    for name in SECTIONS:
        assert f"{SECTIONS_DIR}/{name}.md, line 1: " in out
    # every file of the skeleton that holds text (not a header row only) is named
    for path in target.rglob("*"):
        if path.is_file() and path.name != "README.md" and len(path.read_bytes().splitlines()) > 1:
            assert f"  - {path.relative_to(target)}, " in out, path


def test_a_replaced_placeholder_is_no_longer_a_warning(tmp_path):
    from analysis.data import load_review

    target = tmp_path / "review"
    main(["new", str(target)])
    path = target / SECTIONS_DIR / "funding.md"
    path.write_text("No funding was received.\n", encoding="utf-8")
    review = load_review(target)
    assert not [w for w in review.warnings if w.file == f"{SECTIONS_DIR}/funding.md"]
    assert [w for w in review.warnings if w.file == f"{SECTIONS_DIR}/conclusions.md"]


def test_the_new_folders_readme_builds_it_beside_the_repositorys_example(tmp_path, capsys):
    """The README's commands, followed literally, leave report/_generated alone."""
    import re
    import shlex

    from analysis import paths

    review = tmp_path / "my-review"
    main(["new", str(review)])
    block = re.search(r"```sh\n(.*?)```", (review / "README.md").read_text("utf-8"), re.S)
    lines = [line.split("  #")[0] for line in block.group(1).splitlines()]
    assert lines[0] == f"REVIEW={shlex.quote(str(review))}"
    committed = [(p, p.stat().st_mtime_ns) for p in paths.GENERATED_DIR.rglob("*")]
    for line in lines[1:]:
        words = shlex.split(line.replace('"$REVIEW', '"' + str(review)))
        if words[0] == "cp":
            shutil.copytree(paths.ROOT / words[2], words[3])
            continue
        assert words[:3] == [".venv/bin/python", "-m", "analysis"]
        formats = ["--formats", "html"] if words[3] in ("build", "render") else []
        assert main(words[3:] + formats) == 0, line
    assert (tmp_path / "my-review-manuscript" / "manuscript.html").exists()
    assert (tmp_path / "my-review-report" / "_generated" / "results.json").exists()
    assert [(p, p.stat().st_mtime_ns) for p in paths.GENERATED_DIR.rglob("*")] == committed


def test_new_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["new", str(tmp_path)]) == 2
    assert "empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_a_missing_section_is_a_visible_placeholder_and_a_warning(tmp_path):
    review = tmp_path / "review"
    shutil.copytree(MSCS_EXAMPLE, review)
    (review / SECTIONS_DIR / "discussion.md").unlink()
    (review / SECTIONS_DIR / "funding.md").write_text("  \n", encoding="utf-8")
    _, html, log = build_and_render(review, tmp_path / "manuscript")
    warned = [line for line in log if "warning" in line and SECTIONS_DIR in line]
    assert len(warned) == 2 and "discussion.md" in warned[0] + warned[1]
    assert html.count("Section not written") == 2
    assert "sections/discussion.md" in html
    assert placeholder("discussion").count("discussion.md") == 1


def test_a_review_without_the_methods_references_renders(bcg):
    """BCG's references.bib holds only its source: the methods references the generated text
    cites (begg1994, duval2000, ...) come from report/references.bib."""
    text = (BCG_EXAMPLE / "references.bib").read_text(encoding="utf-8")
    assert "begg1994" not in text and "higgins2003" not in text
    _, html, _ = bcg
    assert "Begg" in html


#: a review written from data/README.md alone: another field, odds ratios, no subgroups, and no
#: risk-of-bias, adverse-event, GRADE or PRISMA files (tests/fixtures/reviews/third_review)
THIRD_REVIEW = Path(__file__).parent / "fixtures" / "reviews" / "third_review"
#: words of the other reviews (the shipped examples and the builder's first topic)
OTHER_REVIEWS_WORDS = (
    "MSCS", "MSC", "secretome", "mesenchymal", "lupus", "SLE", "SLEDAI", "dsDNA", "C3",
    "BCG", "tuberculosis", "Colditz", "patients", "disease activity", "RCT",
)  # fmt: skip
#: wording that belongs to continuous measures (the review pools odds ratios only)
OTHER_MEASURES_WORDS = (
    "Cohen", "standardized mean", "Hedges", "minus", "mean and SD", "negative difference",
    "reduced disease",
)  # fmt: skip
#: claims the review's data do not give
UNGIVEN_CLAIMS = (
    "RoB 2", "Risk of bias was assessed", "at low risk of bias", "No trial reported adverse",
    "serious adverse events", "records identified", "were screened", "randomisation",
    "not serious",
)  # fmt: skip


def visible_text(html: str) -> str:
    """The HTML's text as a reader sees it (tags, scripts and styles removed, entities read)."""
    import html as html_lib
    import re

    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture(scope="module")
def third(tmp_path_factory):
    return build_and_render(THIRD_REVIEW, tmp_path_factory.mktemp("third"))


def test_third_review_passes_the_check():
    assert main(["check", "--data", str(THIRD_REVIEW)]) == 0


@pytest.mark.parametrize("words", [OTHER_REVIEWS_WORDS, OTHER_MEASURES_WORDS, UNGIVEN_CLAIMS])
def test_third_review_holds_no_other_review_measure_or_ungiven_claim(third, words):
    _, html, _ = third
    text = visible_text(html)
    assert [w for w in words if word_in(w, text)] == []


def word_in(word: str, text: str) -> bool:
    """Whether ``word`` occurs in ``text`` as a whole word (acronyms in their case, other words
    in any case): "RCT" is not in "infarction", "C3" not in a hash."""
    import re

    flags = 0 if word.strip().isupper() else re.IGNORECASE
    pattern = rf"(?<![A-Za-z0-9]){re.escape(word.strip())}(?![A-Za-z0-9])"
    return re.search(pattern, text, flags) is not None


def test_third_review_says_what_was_not_done_and_words_odds(third):
    results, html, _ = third
    text = visible_text(html)
    assert "Risk of bias was not assessed." in text
    assert "Adverse events were not extracted for this review." in text
    assert "No flow of the search and selection (PRISMA counts) was given" in text
    assert "significantly reduced the odds of gestational diabetes" in text
    assert results["grade"][0]["ratings"]["risk_of_bias"]["assessed"] is False
    assert "Risk of bias: not assessed" in text  # the summary-of-findings footnote
    # the defined abbreviation and the review's own arm names, in text and figures
    assert "a structured antenatal exercise programme (structured exercise)" in text
    assert "odds ratio (Exercise vs usual care)" in text  # forest plot captions


def test_third_review_prints_ratios_back_transformed(third):
    results, html, _ = third
    text = visible_text(html)
    gdm = results["outcomes"][0]
    trimfill = gdm["bias"]["trimfill"]
    expected = f"adjusted estimate of OR {trimfill['estimate_exp']:.2f}"
    assert expected in text
    pooled = gdm["pooled"]
    assert f"OR {pooled['estimate_exp']:.2f}, 95% CI {pooled['ci_lower_exp']:.2f}" in text


def test_header_only_optional_tables_mean_absent(tmp_path):
    from analysis.data import load_review

    review = tmp_path / "review"
    shutil.copytree(THIRD_REVIEW, review)
    (review / "adverse_events.csv").write_text(
        "study_id,event,serious,events1,n1,events2,n2\n", encoding="utf-8"
    )
    (review / "risk_of_bias.csv").write_text(
        "study_id,outcome,d1,d2,d3,d4,d5,overall\n", encoding="utf-8"
    )
    loaded = load_review(review)
    assert loaded.assessed() == {
        "risk_of_bias": False,
        "adverse_events": False,
        "prisma": False,
        "grade": False,
    }


def test_bcg_reads_as_real_counts_with_illustrative_parts(bcg):
    _, html, _ = bcg
    text = visible_text(html)
    assert "MSCS" not in text and "secretome" not in text.lower()
    assert "synthetic" not in text.lower()
    assert "Example manuscript — illustrative parts" in text
    assert "the per-study data in this document are real" in text.lower()
    assert 'class="banner-header"' in html  # the PDF's page header reads this span
    assert "Risk of bias was not assessed." in text
    assert "Adverse events were not extracted for this review." in text
    assert "ratio of RRs per unit" in text


def test_a_pooling_method_per_outcome_is_named_in_methods_and_forest_plot(third):
    results, html, _ = third
    text = visible_text(html)
    caesarean = results["outcomes"][1]
    assert caesarean["pooled"]["method"] == "PETO" and caesarean["secondary_fit"] is not None
    assert "Caesarean birth was pooled with the Peto method" in text
    assert "common-effect model (Peto)" in text  # the forest plot's caption
    assert "rest on an inverse-variance refit" in text


@pytest.mark.parametrize(
    ("method", "measure", "ci", "key"),
    [
        ("PETO", "RR", "z", "outcomes[2].method"),
        ("MH", "SMD", "z", "outcomes[2].method"),
        ("MH", "OR", "knha", "outcomes[2].method"),
        ("FOO", "OR", "z", "outcomes[2].method"),
    ],
)
def test_an_invalid_pooling_method_is_refused_naming_the_key(tmp_path, method, measure, ci, key):
    from analysis.data import load_review
    from analysis.errors import DataError

    review = tmp_path / "review"
    shutil.copytree(THIRD_REVIEW, review)
    yml = review / "review.yml"
    text = yml.read_text(encoding="utf-8").replace("method: PETO", f"method: {method}")
    text = text.replace(
        "  - id: gdm\n    label: Gestational diabetes\n    measure: OR",
        f"  - id: gdm\n    label: Gestational diabetes\n    measure: {measure}",
    )
    text += f"analysis:\n  ci_method: {ci}\n"
    if measure == "SMD":  # the measure under test is the second outcome's
        text = text.replace("measure: SMD", "measure: OR").replace(
            "label: Caesarean birth\n    measure: OR", "label: Caesarean birth\n    measure: SMD"
        )
    elif measure == "RR":
        text = text.replace("measure: RR", "measure: OR").replace(
            "label: Caesarean birth\n    measure: OR", "label: Caesarean birth\n    measure: RR"
        )
    yml.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_review(review)
    assert key in str(caught.value) and method in str(caught.value)


def test_third_review_words_a_ratios_one_sided_prediction_interval_against_1(third):
    """No double negative ("excludes no effect"); the null a ratio's reader sees is 1."""
    _, html, _ = third
    text = visible_text(html)
    assert "includes only values below 1 (no effect), so a benefit would be expected" in text
    assert "excludes no effect" not in text and "excluded no effect" not in text


def test_a_review_without_protocol_or_registration_claims_no_prespecification(bcg):
    """bcg-vaccine's registration says "not registered" and it cites no protocol."""
    results, html, _ = bcg
    text = visible_text(html)
    assert results["decisions"]["prespecified"] is False
    assert "Secondary analyses comprised subgroup analyses by" in text
    assert "prespecified" not in text and "post hoc" not in text
