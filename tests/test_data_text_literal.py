"""Issue 13, items 1 and 7: data text is never markup. Hostile and markup-like text in every
review.yml field and in study labels prints literally in the HTML, the PDF and the DOCX; the
HTML holds no data-supplied tag and embeds no local file the data names; render accepts
legitimate text such as the email ``jane@fig-lab.org``."""

from __future__ import annotations

import re

import pytest

from .conftest import copy_project
from .data_cases import edit_yaml, set_cell

TITLE = 'Secretome <img src="/etc/passwd"> <script>alert(1)</script> @aldana2013 $$x^2$$'
SHORT_TITLE = "</title><script>alert(2)</script>"
PAYLOADS = {
    "title": TITLE,
    "email": "jane@fig-lab.org",
    "affiliation": "Lab {{< include /etc/passwd >}} {% raw %} ?@tbl-x",
    "keyword": "[@aldana2013] *bold* <b>tag</b>",
    "registration": "PROSPERO {{ 1 + 1 }} `code` $y$",
    "label": "Ñúñez_[x] <i>2016</i>",
    # printed inside the templates' macros (the abstract's conclusion, the methods' process
    # sentences), whose output was once escaped a second time
    "intervention": "MSCS *therapy* <3",
    "disagreements": "resolved by *vote* <3",
}


def _squash(text: str) -> str:
    text = text.translate(str.maketrans({"\u2019": "'", "\u201c": '"', "\u201d": '"'}))
    return re.sub(r"\s+", " ", text.replace("\u00ad", ""))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from analysis.build import build
    from analysis.render import render

    root = tmp_path_factory.mktemp("literal")
    data, report = copy_project(root)

    def edit(review):
        review["title"] = TITLE
        review["short_title"] = SHORT_TITLE
        review["authors"][0]["email"] = PAYLOADS["email"]
        review["authors"][0]["affiliations"] = [PAYLOADS["affiliation"]]
        review["keywords"].append(PAYLOADS["keyword"])
        review["registration"] = PAYLOADS["registration"]
        review["vocabulary"]["intervention"] = PAYLOADS["intervention"]
        review["process"]["selection"]["disagreements"] = PAYLOADS["disagreements"]

    edit_yaml(data / "review.yml", edit)
    set_cell(data / "studies.csv", 2, "label", PAYLOADS["label"])
    build(data, report / "_generated", log=lambda _: None, formats=("html", "pdf", "docx"))
    files = render(report / "index.qmd", root / "out", log=lambda _: None)
    return {p.suffix[1:]: p for p in files}


def test_html_holds_no_data_tag_and_no_embedded_local_file(rendered):
    html = rendered["html"].read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert '<img src="/etc/passwd"' not in html
    assert "</title><script>" not in html
    assert "<i>2016</i>" not in html and "<b>tag</b>" not in html
    assert "root:x:0:0" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _texts(rendered) -> dict[str, str]:
    from pypdf import PdfReader

    from analysis.render import visible_text

    pdf = "\n".join(p.extract_text() for p in PdfReader(rendered["pdf"]).pages)
    return {
        "html": visible_text(rendered["html"].read_text(encoding="utf-8")),
        "pdf": pdf,
        "docx": _docx_paragraphs(rendered["docx"]),
    }


def _docx_paragraphs(docx) -> str:
    """The DOCX's text as Word shows it: the runs of each paragraph (table cells included)
    joined, one paragraph a line."""
    import zipfile
    from xml.etree import ElementTree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    root = ElementTree.fromstring(zipfile.ZipFile(docx).read("word/document.xml"))
    return "\n".join("".join(t.text or "" for t in p.iter(f"{w}t")) for p in root.iter(f"{w}p"))


@pytest.mark.parametrize("field", sorted(PAYLOADS))
def test_payloads_print_literally_in_every_format(rendered, field):
    for fmt, text in _texts(rendered).items():
        squashed = _squash(text)
        if fmt == "pdf":  # weasyprint may break a long line anywhere: compare without spaces
            assert PAYLOADS[field].replace(" ", "") in squashed.replace(" ", ""), (fmt, field)
        else:
            assert PAYLOADS[field] in squashed, (fmt, field)


def test_no_escape_shows_anywhere(rendered):
    """Data text is escaped once: no format shows the backslash of an escape (the payloads hold
    none), as it did where a macro's escaped output was escaped again."""
    for fmt, text in _texts(rendered).items():
        for escape in ("\\*", "\\<", "\\_", "\\["):
            assert escape not in text, (fmt, escape, text[text.find(escape) - 80 :][:160])
