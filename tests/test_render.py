"""The built-in renderer: Quarto syntax resolved, self-contained HTML, the PDF (read back with
pypdf) and the DOCX, and failures that leave the previous manuscript in place."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from analysis.errors import AnalysisError
from analysis.render import (
    UNRENDERED,
    check_rendered,
    expand_shortcodes,
    quarto_post_render,
    render,
    visible_text,
)

SECTIONS = (
    "Abstract",
    "Introduction",
    "Methods",
    "Statistical analysis",
    "Results",
    "Study selection",
    "Risk of bias",
    "Summary of findings",
    "Adverse events",
    "Discussion",
    "Limitations",
    "Conclusion",
    "Data and code availability",
    "References",
    "Appendix: PRISMA 2020 checklist",
    "Supplementary figures",
)


@pytest.fixture(scope="module")
def pdf_text(manuscript_render) -> str:
    from pypdf import PdfReader

    reader = PdfReader(manuscript_render.pdf)
    return "\n".join(page.extract_text() for page in reader.pages)


def figure_labels(built) -> list[str]:
    """ "Figure 1." ... for the main text and "Figure S1." ... for the supplement."""
    from analysis.context import text_context

    figures = built.figures
    supplementary = len(text_context(built.results, figures)["supplementary"])
    main = len(figures) - supplementary
    return [f"Figure\u00a0{i}." for i in range(1, main + 1)] + [
        f"Figure\u00a0S{i}." for i in range(1, supplementary + 1)
    ]


def squash(text: str) -> str:
    """White space runs as one space (no-break spaces kept: "Figure 1" is written with one)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


# --- HTML ----------------------------------------------------------------------------------------


def test_html_is_self_contained_and_fully_resolved(manuscript_render, manuscript_build):
    html = manuscript_render.html.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']https?://""", html.split("<body", 1)[0])
    assert not re.search(r"""<img[^>]+src=["'](?!data:)""", html)
    check_rendered(html)
    text = squash(visible_text(html))
    assert "Example manuscript — synthetic data" in text
    for label in figure_labels(manuscript_build):
        assert label in text, label
    assert "Table\u00a01." in text and "Table\u00a02" in text


def test_html_has_the_title_authors_and_a_resolved_reference_list(manuscript_render):
    html = manuscript_render.html.read_text(encoding="utf-8")
    assert "<title>MSC secretome for SLE</title>" in html
    text = squash(visible_text(html))
    assert "Mesenchymal stem cell secretome therapy for systemic lupus erythematosus" in text
    assert "Example Author One" in text and "Keywords:" in text
    assert (
        "Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the "
        "random-effects model." in text
    )
    assert re.search(r"\(\d+(,\d+)*\)", text)  # numeric citations


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_holds_every_section_the_figures_and_the_reference_list(pdf_text, manuscript_build):
    text = squash(pdf_text)
    for heading in SECTIONS:
        assert heading in text, heading
    for label in figure_labels(manuscript_build):
        assert label.replace("\u00a0", " ") in text.replace("\u00a0", " "), label
    assert "Bias and efficiency of meta-analytic variance estimators" in text
    assert "Sterne JAC" in text
    for token in UNRENDERED:
        assert token not in text, token


def test_pdf_is_a4_with_page_numbers_running_title_and_banner(manuscript_render, pdf_text):
    from pypdf import PdfReader

    reader = PdfReader(manuscript_render.pdf)
    width, height = (float(x) for x in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)
    pages = len(reader.pages)
    second = reader.pages[1].extract_text()
    assert f"Page 2 of {pages}" in second
    assert "MSC secretome for SLE" in second  # running title
    assert "Example manuscript — synthetic data" in second  # the banner's title, page header
    assert "Example manuscript — synthetic data" in reader.pages[0].extract_text()


def test_pdf_numbers_match_results_json(pdf_text, manuscript_build):
    from analysis.text import effect_statement

    text = squash(pdf_text)
    for outcome in manuscript_build.results["outcomes"]:
        assert effect_statement(outcome["pooled"]) in text


# --- DOCX ----------------------------------------------------------------------------------------


def test_docx_holds_text_figures_and_references(manuscript_render, manuscript_build):
    with zipfile.ZipFile(manuscript_render.docx) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
        media = [n for n in docx.namelist() if n.startswith("word/media/")]
    words = re.sub(r"<[^>]+>", "", xml)
    assert "Abstract" in words and "Bias and efficiency of meta-analytic variance" in words
    assert len(media) == len(manuscript_build.figures)
    assert all(name.endswith(".png") for name in media)


# --- Quarto syntax -------------------------------------------------------------------------------


def test_includes_are_expanded_relative_to_the_including_file(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.md").write_text("A {{< include b.md >}}", encoding="utf-8")
    (tmp_path / "parts" / "b.md").write_text("---\nx: 1\n---\nB", encoding="utf-8")
    text = expand_shortcodes("{{< include parts/a.md >}} {{< pagebreak >}}", tmp_path)
    assert text.startswith("A B") and 'class="page-break"' in text


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{< include missing.md >}}", "include directive failed"),
        ("{{< video x.mp4 >}}", "not supported"),
    ],
)
def test_unresolvable_shortcodes_are_errors(tmp_path, source, message):
    with pytest.raises(AnalysisError, match=message):
        expand_shortcodes(source, tmp_path)


def write_source(folder: Path, body: str, front_matter: str = "") -> Path:
    source = folder / "doc.qmd"
    source.write_text(f"---\ntitle: T\n{front_matter}---\n" + body, encoding="utf-8")
    return source


#: the crossref settings of report/index.qmd's front matter, as a test document states them
CROSSREF = """crossref:
  title-delim: "."
  custom:
    - {kind: float, key: suppfig, reference-prefix: Figure S, caption-prefix: Figure S,
       space-before-numbering: false}
"""
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_cross_references_and_callouts_resolve(tmp_path):
    body = (
        "See @tbl-a, @fig-b and @suppfig-c.\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n"
        ": Cap A {#tbl-a}\n\n"
        '![Cap B](pic.png){#fig-b fig-alt="Alt B"}\n\n![Cap C](pic.png){#suppfig-c}\n\n'
        '::: {.callout-note title="Heads up"}\nInside.\n:::\n'
    )
    (tmp_path / "pic.png").write_bytes(PNG_1PX)
    source = write_source(tmp_path, body, CROSSREF)
    (out,) = render(source, tmp_path / "out", formats=("html",), log=lambda _: None)
    html = out.read_text(encoding="utf-8")
    text = squash(visible_text(html))
    assert "See Table\u00a01, Figure\u00a01 and Figure\u00a0S1." in text
    assert "Figure\u00a0S1. Cap C" in text
    assert "Table\u00a01. Cap A" in text and "Figure\u00a01. Cap B" in text
    assert 'alt="Alt B"' in html
    assert 'class="callout callout-note"' in html and "Heads up" in text


def test_caption_words_come_from_the_documents_crossref_metadata(tmp_path):
    (tmp_path / "pic.png").write_bytes(PNG_1PX)
    body = (
        "See @fig-b and @app-c.\n\n![Cap B](pic.png){#fig-b}\n\n"
        "::: {#app-c}\n![](pic.png)\n\nCap C\n:::\n"
    )
    settings = (
        'crossref:\n  fig-title: Fig.\n  fig-prefix: Fig.\n  title-delim: "|"\n  custom:\n'
        "    - {kind: float, key: app, reference-prefix: Plate}\n"
    )
    (out,) = render(
        write_source(tmp_path, body, settings), tmp_path / "out", ("html",), log=lambda _: None
    )
    text = squash(visible_text(out.read_text(encoding="utf-8")))
    assert "See Fig.\u00a01 and Plate\u00a01." in text
    assert "Fig.\u00a01| Cap B" in text and "Plate\u00a01| Cap C" in text


def test_without_crossref_metadata_captions_use_quartos_defaults(tmp_path):
    (tmp_path / "pic.png").write_bytes(PNG_1PX)
    source = write_source(tmp_path, "![Cap B](pic.png){#fig-b}\n")
    (out,) = render(source, tmp_path / "out", ("html",), log=lambda _: None)
    assert "Figure\u00a01: Cap B" in squash(visible_text(out.read_text(encoding="utf-8")))


def test_an_unknown_cross_reference_is_an_error(tmp_path):
    source = write_source(tmp_path, "See @fig-nowhere.\n")
    with pytest.raises(AnalysisError, match="fig-nowhere"):
        render(source, tmp_path / "out", formats=("html",), log=lambda _: None)


def test_an_unknown_citation_is_an_error(tmp_path):
    source = write_source(tmp_path, "Cited [@nobody2020].\n")
    with pytest.raises(AnalysisError, match="nobody2020"):
        render(source, tmp_path / "out", formats=("html",), log=lambda _: None)


def test_leftovers_are_detected():
    with pytest.raises(AnalysisError, match=r"\{\{"):
        check_rendered("<p>text {{< include x >}}</p>")
    check_rendered("<style>a{{}}</style><p>fine</p>")


def test_a_failed_render_leaves_the_previous_manuscript(tmp_path):
    good = write_source(tmp_path, "Fine.\n")
    (html,) = render(good, tmp_path / "out", formats=("html",), log=lambda _: None)
    before = html.read_bytes()
    write_source(tmp_path, "Broken {{< include gone.md >}}\n")
    with pytest.raises(AnalysisError):
        render(good, tmp_path / "out", formats=("html",), log=lambda _: None)
    assert html.read_bytes() == before
    # no temporaries; the render's lock file stays (an flock dies with its process)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".render.lock",
        "manuscript.html",
    ]


def test_quarto_post_render_prints_each_html_to_pdf(tmp_path, monkeypatch):
    source = write_source(tmp_path, "# Heading\n\nText.\n")
    (html,) = render(source, tmp_path / "site", formats=("html",), log=lambda _: None)
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_FILES", f"{html}\n{tmp_path / 'x.docx'}\n")
    (pdf,) = quarto_post_render(log=lambda _: None)
    assert pdf == html.with_suffix(".pdf") and pdf.read_bytes().startswith(b"%PDF")


# --- missing files: a message naming the file, never a traceback --------------------------------


def render_cli(capsys, *args) -> tuple[int, str]:
    from analysis.__main__ import main

    code = main(["render", *args])
    return code, capsys.readouterr().err


def test_a_missing_source_is_named(tmp_path, capsys):
    missing = tmp_path / "nowhere.qmd"
    code, err = render_cli(capsys, "--source", str(missing), "--out", str(tmp_path / "out"))
    assert code == 2 and "Traceback" not in err
    assert f"cannot read the manuscript source {missing}" in err


def test_a_missing_metadata_file_is_named(tmp_path, capsys):
    source = tmp_path / "doc.qmd"
    source.write_text("---\nmetadata-files: [gone.yml]\n---\nText.\n", encoding="utf-8")
    code, err = render_cli(capsys, "--source", str(source), "--out", str(tmp_path / "out"))
    assert code == 2 and "Traceback" not in err
    assert f"metadata file listed in doc.qmd {tmp_path / 'gone.yml'}" in err


def test_invalid_yaml_front_matter_is_named(tmp_path):
    source = write_source(tmp_path, "")
    source.write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match=f"front matter of {re.escape(str(source))}"):
        render(source, tmp_path / "out", formats=("html",), log=lambda _: None)


def test_quarto_post_render_names_a_missing_html_file(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "site" / "index.html"
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_FILES", f"{missing}\n")
    code, err = render_cli(capsys, "--pdf-only")
    assert code == 2 and "Traceback" not in err
    assert f"HTML file listed in QUARTO_PROJECT_OUTPUT_FILES {missing}" in err


def test_a_citation_group_mixing_cross_references_and_citations_is_an_error(tmp_path):
    body = "See [@fig-a; @smith2020].\n\n![Cap](pic.png){#fig-a}\n"
    source = write_source(tmp_path, body)
    with pytest.raises(AnalysisError) as caught:
        render(source, tmp_path / "out", formats=("html",), log=lambda _: None)
    message = str(caught.value)
    assert "mixes cross-references (@fig-a) with bibliography citations (@smith2020)" in message
    assert "citeproc" not in message.lower() and "stack traceback" not in message


def test_the_docx_text_is_checked_for_leftovers_too(tmp_path):
    source = write_source(tmp_path, "Left over: {{ value }}.\n")
    with pytest.raises(AnalysisError, match=r"the rendered DOCX manuscript still contains \{\{"):
        render(source, tmp_path / "out", formats=("docx",), log=lambda _: None)
    assert not (tmp_path / "out" / "manuscript.docx").exists()


def test_a_long_source_path_with_spaces_renders(tmp_path):
    """The metadata file pandoc reads holds absolute paths (stylesheets, bibliography): a long
    one with spaces was folded onto two lines and read with the line break."""
    folder = tmp_path / "a folder name with spaces that makes the path long" / "and more words"
    (folder / "styles").mkdir(parents=True)
    (folder / "styles" / "screen.css").write_text("p { color: #123456 }\n", encoding="utf-8")
    source = write_source(folder, "Text.\n", "format:\n  html:\n    css: styles/screen.css\n")
    (out,) = render(source, folder / "out", formats=("html",), log=lambda _: None)
    assert "#123456" in out.read_text(encoding="utf-8")
