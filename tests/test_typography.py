"""The manuscript's form (issue 11, part B): numbers never broken across lines, the print
stylesheet in force in the PDF, references that stay within the margins with a hanging indent,
abbreviated journals and their notes, one citation style, one spelling variant, figures legible
at printed size, an HTML that works for coauthors (table of contents, full-size figures, tables
that scroll on a phone) and "synthetic" wherever synthetic numbers are."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from analysis import paths, text, vocabulary
from analysis.build import metadata_yaml, render_parts
from analysis.context import MM_PER_PERCENT
from analysis.figures.style import MIN_PRINT_SIZE, PAGE_WIDTH_MM
from tests.test_print_css import font_use, text_runs

SNAPSHOTS = Path(__file__).parent / "snapshots"

#: a space a line may break at, inside a number's statistic, interval or qualifier
BREAKABLE = re.compile(
    r"(?<![\w²])(?:p|n|df|I²|τ²|Q|QM|R²) [=<>]"  # "p = ", "I² = "
    r"|[=<>≤≥] [−\d]"  # "= 0.001"
    r"|\d% (?:CI|prediction)\b"  # "95% CI"
    r"|\d+/\d+ \(\d"  # "31/215 (14%)"
    r"|\d%? to [−\d]"  # "1.55 to 6.01"
    r"|\d \([−\d]"  # "3.05 (1.55"
)


def fixed_results() -> dict:
    return json.loads((SNAPSHOTS / "results.json").read_text(encoding="utf-8"))


def fixed_figures() -> list:
    return json.loads((SNAPSHOTS / "figures.json").read_text(encoding="utf-8"))


# --- numbers stay whole ------------------------------------------------------------------------


def test_no_breakable_space_inside_a_number_in_the_generated_markdown(manuscript_build):
    parts = sorted(manuscript_build.generated.glob("*.md"))
    assert parts
    for part in parts:
        for n, line in enumerate(part.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("!["):  # image attributes (alt text) are read aloud, not set
                line = line.split("](", 1)[0]
            match = BREAKABLE.search(line)
            assert not match, f"{part.name}:{n}: breakable space in {match.group(0)!r}: {line}"


#: a PDF line that ends inside a number's expression, or one that starts with its rest
LINE_END = re.compile(r"(?:(?<![\w²])(?:p|n|df|I²|τ²)\s*[=<>]?|\s[=<>]|\d%?\s+to|\d%|\d+/\d+)$")
LINE_START = re.compile(r"^(?:[=<>]\s*[−\d]|to\s+[−\d]|\(\d+(?:\.\d+)?%\)|CI\b|df\b)")


def test_no_number_breaks_across_lines_in_the_pdf(manuscript_render):
    from pypdf import PdfReader

    broken = []
    for number, page in enumerate(PdfReader(manuscript_render.pdf).pages, 1):
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        for before, after in itertools.pairwise(lines):
            if LINE_END.search(before) and (
                LINE_START.search(after) or before.endswith(("=", "<"))
            ):
                broken.append(f"page {number}: …{before[-30:]} / {after[:30]}…")
    assert not broken, "\n".join(broken)


# --- the print stylesheet wins in the PDF ------------------------------------------------------


def test_the_pdf_body_text_is_set_at_print_css_size(manuscript_render):
    use = font_use(text_runs(manuscript_render.pdf))
    serif = Counter()
    for (font, size), n in use.items():
        if "Serif" in font:
            serif[size] += n
    body_size = serif.most_common(1)[0][0]
    assert body_size == 10.5, serif  # print.css html { font-size: 10.5pt }, not screen's 17px


def test_print_rules_are_the_documents_own_print_media_rules():
    css = paths.PRINT_CSS.read_text(encoding="utf-8")
    body = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL).strip()
    assert body.startswith("@media print {") and body.endswith("}")
    assert list(paths.STYLESHEETS) == [paths.SCREEN_CSS, paths.PRINT_CSS]
    qmd = paths.MANUSCRIPT_SOURCE.read_text(encoding="utf-8")
    assert re.search(r"css:\s*\n\s*- styles/screen.css\s*\n\s*- styles/print.css", qmd)


# --- references ------------------------------------------------------------------------------


def test_references_hang_abbreviate_journals_and_keep_notes(manuscript_render):
    from analysis.render import visible_text

    html = manuscript_render.html.read_text(encoding="utf-8")
    refs = visible_text(html[html.index('id="refs"') :])
    assert "N Engl J Med" in refs and "New England Journal of Medicine" not in refs
    assert "Stat Med" in refs and "Statistics in Medicine" not in refs
    assert "Synthetic example trial; not a real publication" in refs  # the .bib note
    css = paths.SCREEN_CSS.read_text(encoding="utf-8")
    assert re.search(r"\.csl-right-inline \{[^}]*margin-left", css)
    assert re.search(r"\.csl-entry a \{[^}]*overflow-wrap: anywhere", css)


def test_journal_abbreviation_fields_reach_citeproc(tmp_path):
    from analysis.bibliography import merged_bibliography

    data = tmp_path / "data.bib"
    data.write_text(
        "% head\n@article{a,\n  journal = {Journal X},\n  journal-abbrev = {J X},\n}\n"
        "@article{b,\n  shortjournal = {J Y},\n  journalabbrev = {wrong},\n}\n",
        encoding="utf-8",
    )
    methods = tmp_path / "methods.bib"
    methods.write_text("@article{c,\n  abbrev_journal = {J Z},\n}\n", encoding="utf-8")
    merged = merged_bibliography(data, methods)
    assert merged.startswith("% head\n")
    assert "shortjournal = {J X}" in merged and "shortjournal = {J Z}" in merged
    assert "journalabbrev = {wrong}" in merged  # an entry's own shortjournal wins


def test_long_urls_in_references_stay_within_the_page(tmp_path):
    doi = "https://doi.org/10.1000/" + "averyveryverylongidentifierwithoutanybreak" * 3
    html = tmp_path / "refs.html"
    html.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" '
        f'href="{paths.SCREEN_CSS}"><link rel="stylesheet" href="{paths.PRINT_CSS}"></head>'
        '<body><div id="refs" class="references csl-bib-body">'
        '<div class="csl-entry"><div class="csl-left-margin">1. </div>'
        f'<div class="csl-right-inline">Author A. Title. Available from: <a href="{doi}">{doi}</a>'
        "</div></div></div></body></html>",
        encoding="utf-8",
    )
    from weasyprint import HTML

    page = HTML(filename=str(html), media_type="print").render().pages[0]
    box = page._page_box
    right = box.content_box_x() + box.width

    def lines(b):
        for child in getattr(b, "children", []):
            if type(child).__name__ == "LineBox":
                yield child
            yield from lines(child)

    found = list(lines(box))
    assert len(found) >= 3  # the URL was broken over lines
    for line in found:
        end = max((c.position_x + c.margin_width() for c in line.children), default=0)
        assert end <= right + 0.5


# --- one citation style ----------------------------------------------------------------------


def test_no_author_year_citation_is_typed_in_the_numbered_document(manuscript_build):
    for part in manuscript_build.generated.glob("*.md"):
        body = part.read_text(encoding="utf-8")
        assert not re.search(r"\(\w+ et al\.,? (?:[A-Z]\w+ )?\d{4}", body), part.name
    results = (manuscript_build.generated / "results.md").read_text(encoding="utf-8")
    assert "selection of studies [@page2021]." in results


# --- spelling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", vocabulary.LANGUAGES)
def test_the_generated_text_uses_the_reviews_spelling_variant(language):
    r = fixed_results()
    r["review"]["language"] = language
    other = 1 - vocabulary.LANGUAGES.index(language)
    words = [pair[other] for pair in vocabulary.SPELLING_VARIANTS]
    pattern = re.compile(rf"(?<!\w)({'|'.join(words)})(?!\w)", re.IGNORECASE)
    for name, part in render_parts(r, fixed_figures()).items():
        assert not pattern.search(part), f"{name}: {pattern.search(part).group(0)}"
    assert f"lang: {language}" in metadata_yaml(r)


def test_language_defaults_to_british_and_bad_values_are_named(tmp_path):
    from analysis.data.loading import load_review
    from analysis.errors import DataError
    from tests.conftest import MSCS_EXAMPLE

    assert load_review(MSCS_EXAMPLE).language == "en-GB"
    import shutil

    data = tmp_path / "data"
    shutil.copytree(MSCS_EXAMPLE, data)
    review = data / "review.yml"
    review.write_text(review.read_text(encoding="utf-8") + "language: fr\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"review\.yml.*language.*en-GB, en-US"):
        load_review(data)


# --- figures at printed size -----------------------------------------------------------------


def print_text_width_mm() -> float:
    """The text width the print stylesheet gives: A4 less the @page left and right margins."""
    css = paths.PRINT_CSS.read_text(encoding="utf-8")
    page = re.search(r"@page \{(.*?)\n  \}", css, re.DOTALL).group(1)
    assert re.search(r"size: A4;", page)
    margins = [float(m) for m in re.search(r"margin: ([\d\s.m]+);", page).group(1).split("mm")[:4]]
    right, left = margins[1], margins[3] if len(margins) == 4 else margins[1]
    return 210.0 - left - right


def test_figures_are_drawn_for_the_printed_text_width():
    assert print_text_width_mm() == pytest.approx(PAGE_WIDTH_MM)
    assert pytest.approx(PAGE_WIDTH_MM) == 100 * MM_PER_PERCENT


def test_every_figures_text_is_at_least_7pt_at_printed_size(manuscript_build):
    text_width = print_text_width_mm()
    for figure in manuscript_build.figures:
        svg = (manuscript_build.generated / "figures" / figure["svg"]).read_text(encoding="utf-8")
        sizes = [float(s) for s in re.findall(r"font-size: ?([\d.]+)px", svg)]
        assert sizes, figure["stem"]
        width_pt = float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))
        assert width_pt * 25.4 / 72 == pytest.approx(figure["width_mm"], abs=0.2)
        printed_mm = min(figure["width_mm"], text_width)  # width="…%" of the text, at most 100%
        printed_mm = min(printed_mm, printed_mm * 200.0 / figure["height_mm"])  # max-height
        smallest = min(sizes) * printed_mm / figure["width_mm"]  # SVG px are pt (72 per inch)
        assert smallest >= MIN_PRINT_SIZE - 1e-9, (figure["stem"], min(sizes), printed_mm)


# --- the HTML for coauthors ------------------------------------------------------------------


def test_html_has_a_table_of_contents_zooming_figures_and_scrolling_tables(manuscript_render):
    html = manuscript_render.html.read_text(encoding="utf-8")
    toc = re.search(r'<nav id="TOC".*?</nav>', html, re.DOTALL).group(0)
    for heading in ("Abstract", "Methods", "Results", "References"):
        assert f">{heading}</a>" in toc, heading
    assert 'classList.add("zoomed")' in html  # report/styles/figure-zoom.html, self-contained
    css = paths.SCREEN_CSS.read_text(encoding="utf-8")
    assert re.search(r"\.table-block, figure\.quarto-float-tbl > div \{ overflow-x: auto; \}", css)
    assert "word-break: normal" in css and "overflow-wrap: break-word; }" not in css
    assert re.search(r"nav#TOC \{ display: none; \}", paths.PRINT_CSS.read_text(encoding="utf-8"))


def test_the_table_of_contents_is_hidden_in_print(manuscript_render):
    from pypdf import PdfReader

    first_pages = " ".join(p.extract_text() for p in PdfReader(manuscript_render.pdf).pages[:2])
    assert "Contents" not in first_pages


# --- "synthetic" wherever synthetic numbers are -------------------------------------------------


def test_synthetic_data_are_labelled_in_the_abstract_and_per_trial_table_captions():
    r = fixed_results()
    assert text.data_are_synthetic(r["review"])
    parts = render_parts(r, fixed_figures())
    assert text.SYNTHETIC_NOTE in parts["abstract.md"]
    for table in ("tbl-characteristics", "tbl-rob", "tbl-adverse"):
        caption = next(line for line in parts["results.md"].splitlines() if f"#{table}" in line)
        assert text.SYNTHETIC_NOTE in caption, table
    real = copy.deepcopy(r)
    real["review"]["example"] = False
    real["review"]["labelling"] = {"synthetic_data": False, "illustrative": []}
    parts = render_parts(real, fixed_figures())
    assert text.SYNTHETIC_NOTE not in parts["abstract.md"]
    captions = [line for line in parts["results.md"].splitlines() if line.startswith(": ")]
    assert captions and not any(text.SYNTHETIC_NOTE in line for line in captions)


def test_the_docx_opens_with_the_synthetic_data_notice(manuscript_render):
    from analysis.render import docx_text

    assert (
        docx_text(manuscript_render.docx)
        .lstrip()
        .startswith("Example manuscript — synthetic data.")
    )


def test_a_very_long_word_is_broken_with_few_measurements(monkeypatch):
    """A label of thousands of characters without a space is hyphenated across lines by a
    binary search for each line's cut: a few dozen measurements per line, not one per
    character per line (5,000 characters took minutes)."""
    from analysis.figures import style

    calls = []
    measure = style.text_width_mm.__wrapped__

    def counted(text, size=style.FONT_SIZE, weight="normal"):
        calls.append(text)
        return measure(text, size, weight)

    monkeypatch.setattr(style, "text_width_mm", counted)
    word = "Aldana" + "x" * 5000
    lines = style.wrap_text(word, 40.0)
    assert "".join(line.rstrip("-") for line in lines) == word
    assert all(
        measure(line, style.FONT_SIZE, "normal") <= 40.0 * style.WRAP_SLACK for line in lines
    )
    # each line but the last is as long as fits: one more character would not fit
    for line, following in itertools.pairwise(lines):
        longer = line[:-1] + following[0] + "-"
        assert measure(longer, style.FONT_SIZE, "normal") > 40.0 * style.WRAP_SLACK
    assert len(calls) < 30 * len(lines)


# --- the abstract defines each abbreviation once, in lower case mid-sentence --------------------


def as_ratio_outcome(outcome: dict, measure: str) -> None:
    """An outcome relabelled as a ratio measure, with the back-transformed twins it then has."""
    import math

    outcome["measure"] = outcome["pooled"]["measure"] = measure
    pooled = outcome["pooled"]
    for key in ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper"):
        pooled[f"{key}_exp"] = math.exp(pooled[key])


def test_the_abstract_lists_measures_in_lower_case_and_defines_each_abbreviation_once():
    from analysis.interpret import add_decisions

    r = fixed_results()
    r["outcomes"][1]["measure"] = r["outcomes"][1]["pooled"]["measure"] = "MD"
    as_ratio_outcome(r["outcomes"][2], "RR")
    abstract = render_parts(add_decisions(r), fixed_figures())["abstract.md"]
    methods = abstract.split("**Methods:**")[1].split("**Results:**")[0]
    assert (
        "Standardised mean differences (SMDs), mean differences (MDs) and risk ratios (RRs) with"
        in methods
    )
    assert "adverse events as Mantel–Haenszel risk ratios." in methods
    ours = "|".join([*vocabulary.MEASURES, "CI", "RCT", "GRADE", "RoB 2"])
    defined = Counter(re.findall(rf"\(({ours})s?\)", abstract))
    assert [name for name, n in defined.items() if n > 1] == []
    assert defined["RR"] == 1
    # without a ratio outcome, the adverse events define RR themselves
    abstract = render_parts(add_decisions(fixed_results()), fixed_figures())["abstract.md"]
    assert "Standardised mean differences (SMDs) with" in abstract
    assert "adverse events as Mantel–Haenszel risk ratios (RRs)." in abstract
