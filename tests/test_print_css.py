"""The stylesheets lay out Quarto's HTML as they lay out the built-in renderer's: the example
manuscript rewritten into Quarto's markup (tests/quarto_html.py, with pandoc's default styles
that Quarto includes unless `document-css: false`) prints with the same fonts and sizes and the
same number of pages (within one), and a callout in either markup prints the same."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from analysis import paths
from analysis.pdf_print import print_pdf
from tests.quarto_html import quarto_shaped


def pandoc_default_css() -> str:
    """The default styles pandoc writes into a standalone HTML file (document-css)."""
    import pypandoc

    html = pypandoc.convert_text(
        "x", "html", format="markdown", extra_args=["--standalone", "--metadata=title:x"]
    )
    return re.search(r"<style>(.*?)</style>", html, re.DOTALL).group(1)


def text_runs(pdf: Path) -> list[list[tuple]]:
    """Per page: each text run as (text, x, y, font, size), rounded to 0.1 pt."""
    from pypdf import PdfReader

    pages = []
    for page in PdfReader(pdf).pages:
        runs = []

        def visit(text, cm, tm, font, size, runs=runs):
            if text.strip():
                scale = tm[0] * cm[0]
                x, y = cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]
                name = font.get("/BaseFont", "").split("+")[-1] if font else ""
                runs.append((text.strip(), round(x, 1), round(y, 1), name, round(size * scale, 1)))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def font_use(pages: list[list[tuple]]) -> Counter:
    """Characters printed per (font, size)."""
    use = Counter()
    for runs in pages:
        for text, _, _, font, size in runs:
            use[font, size] += len(text)
    return use


@pytest.fixture(scope="module")
def quarto_pdf(manuscript_render, tmp_path_factory) -> Path:
    html = manuscript_render.html.read_text(encoding="utf-8")
    shaped = quarto_shaped(html, pandoc_default_css())
    assert shaped.count('class="quarto-float-caption-top') >= 2  # tables were rewritten
    assert "<div><blockquote><p><strong>Example text" in shaped
    folder = tmp_path_factory.mktemp("quarto-html")
    (folder / "manuscript.html").write_text(shaped, encoding="utf-8")
    print_pdf(folder / "manuscript.html", folder / "manuscript.pdf")
    return folder / "manuscript.pdf"


def test_quartos_markup_prints_with_the_same_fonts_sizes_and_page_count(
    manuscript_render, quarto_pdf
):
    ours, quartos = text_runs(manuscript_render.pdf), text_runs(quarto_pdf)
    assert abs(len(ours) - len(quartos)) <= 1
    ours_use, quartos_use = font_use(ours), font_use(quartos)
    # the same (font, size) pairs carry the text, in nearly the same amounts
    assert set(ours_use) == set(quartos_use)
    for key, count in ours_use.items():
        assert abs(quartos_use[key] - count) <= 0.02 * count + 20, key
    # the body text is laid out line by line the same: most pages are identical
    same = sum(a == b for a, b in zip(ours, quartos, strict=False))
    assert same >= 0.7 * len(ours)


CALLOUT_BODY = "<p>The introduction below is example prose. Replace it with the review's text.</p>"
BUILT_IN_CALLOUT = (
    '<div class="callout callout-note"><div class="callout-title"><strong>Example text</strong>'
    f"</div>{CALLOUT_BODY}</div>"
)
QUARTO_CALLOUT = (
    f"<div><blockquote><p><strong>Example text</strong></p>{CALLOUT_BODY}</blockquote></div>"
)


@pytest.mark.parametrize("document_css", [False, True])
def test_a_callout_prints_the_same_in_both_markups(tmp_path, document_css):
    css = f"<style>{pandoc_default_css()}</style>" if document_css else ""
    runs = []
    for name, callout in (("ours", BUILT_IN_CALLOUT), ("quartos", QUARTO_CALLOUT)):
        html = tmp_path / f"{name}.html"
        html.write_text(
            f'<!DOCTYPE html><html><head>{css}<link rel="stylesheet" href="{paths.SCREEN_CSS}">'
            f"</head><body><p>Before.</p>{callout}<p>After.</p></body></html>",
            encoding="utf-8",
        )
        print_pdf(html, tmp_path / f"{name}.pdf")
        runs.append(text_runs(tmp_path / f"{name}.pdf"))
    assert runs[0] == runs[1]
    assert any(run[0] == "Example text" and "Sans-Bold" in run[3] for run in runs[0][0])
