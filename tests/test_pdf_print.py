"""The PDF printer (analysis.pdf_print): figures painted apart and placed on the page look as if
weasyprint had painted them in place, the cache repaints only changed figures, and a cached print
is byte-identical to a cold one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analysis.pdf_print import CACHE_DIR, css_length, figure_key, placeholder, print_pdf

#: a figure with text, strokes, fills, a clip path and a marker-like <use>, as matplotlib writes
FIGURE = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
 width="300pt" height="120pt" viewBox="0 0 300 120">
 <defs><clipPath id="c"><rect x="10" y="10" width="280" height="100"/></clipPath>
  <path id="dot" d="M -3 0 L 0 -3 L 3 0 L 0 3 z"/></defs>
 <rect x="0" y="0" width="300" height="120" style="fill: #ffffff"/>
 <path d="M 20 100 L 280 20" clip-path="url(#c)"
  style="fill: none; stroke: #1a1a1a; stroke-width: 1.5"/>
 <rect x="150" y="40" width="40" height="40" style="fill: #2a6f97"/>
 <use xlink:href="#dot" x="60" y="60" style="fill: #c0392b"/>
 <text x="20" y="25"
  style="font-size: 12px; font-family: 'DejaVu Sans'; fill: #1a1a1a">{label}</text>
</svg>"""

PAGE = """<!DOCTYPE html><html><head><style>
@page {{ size: A4; margin: 20mm }} body {{ font-family: 'DejaVu Serif'; font-size: 11pt }}
.half {{ width: 50% }} .break {{ break-before: page }}</style></head><body>
<p>Text before the first figure.</p>
<img src="one.svg" alt="first">
<p>Between the figures.</p>
<div class="break"><img class="half" src="two.svg" alt="second, scaled to half the width"></div>
<p>After the second figure.</p>
</body></html>"""


def write_page(folder: Path, first="Alpha 2013", second="Beta 2020") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "one.svg").write_text(FIGURE.format(label=first), encoding="utf-8")
    (folder / "two.svg").write_text(FIGURE.format(label=second), encoding="utf-8")
    html = folder / "page.html"
    html.write_text(PAGE, encoding="utf-8")
    return html


def raster(pdf: Path) -> list:
    """Each page as a greyscale image at 100 dpi."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return [page.render(scale=100 / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()


def differing_share(a, b) -> float:
    """The share of pixels whose grey levels differ by more than a quarter of the range."""
    from PIL import ImageChops

    assert a.size == b.size
    histogram = ImageChops.difference(a, b).histogram()
    return sum(histogram[64:]) / (a.size[0] * a.size[1])


def painted_in_place(html: Path, pdf: Path) -> Path:
    from weasyprint import HTML

    HTML(filename=str(html)).write_pdf(str(pdf))
    return pdf


def test_figures_look_as_if_weasyprint_painted_them_in_place(tmp_path):
    html = write_page(tmp_path / "doc")
    ours = tmp_path / "ours.pdf"
    print_pdf(html, ours, tmp_path / "cache")
    theirs = painted_in_place(html, tmp_path / "in-place.pdf")
    blank = write_page(tmp_path / "blank")
    for name in ("one.svg", "two.svg"):
        (blank.parent / name).write_bytes(placeholder((html.parent / name).read_bytes()))
    empty = painted_in_place(blank, tmp_path / "empty.pdf")
    pages, expected, without_figures = raster(ours), raster(theirs), raster(empty)
    assert len(pages) == len(expected) == 2
    for page, reference, bare in zip(pages, expected, without_figures, strict=True):
        # the figures are there (without them the page differs visibly), and where they
        # should be: painted apart they differ from painted in place by anti-aliasing at most
        assert differing_share(reference, bare) > 0.002
        assert differing_share(page, reference) < differing_share(reference, bare) / 50


def test_figure_text_stays_text(tmp_path):
    from pypdf import PdfReader

    html = write_page(tmp_path / "doc")
    print_pdf(html, tmp_path / "out.pdf", tmp_path / "cache")
    text = " ".join(page.extract_text() for page in PdfReader(tmp_path / "out.pdf").pages)
    assert "Alpha 2013" in text and "Beta 2020" in text and "Between the figures." in text


def pages_in(cache: Path) -> dict[str, int]:
    """Cache key -> modification time of every painted page in ``cache``."""
    return {p.stem: p.stat().st_mtime_ns for p in cache.glob("*.pdf")}


def key_of(folder: Path, name: str) -> str:
    return figure_key((folder / name).read_bytes())


def test_the_cache_repaints_only_the_changed_figure_and_keeps_the_previous_print(tmp_path):
    cache, folder = tmp_path / "cache", tmp_path / "doc"
    html = write_page(folder)
    print_pdf(html, tmp_path / "first.pdf", cache)
    first = pages_in(cache)
    one, two_first = key_of(folder, "one.svg"), key_of(folder, "two.svg")
    assert set(first) == {one, two_first}

    write_page(folder, second="Beta 2021")  # one number of one figure changed
    print_pdf(html, tmp_path / "second.pdf", cache)
    second, two_second = pages_in(cache), key_of(folder, "two.svg")
    assert set(second) == {one, two_first, two_second}  # the previous print's page is kept
    assert all(second[key] == first[key] for key in first)  # nothing else repainted
    assert (tmp_path / "first.pdf").read_bytes() != (tmp_path / "second.pdf").read_bytes()

    write_page(folder, second="Beta 2022")
    print_pdf(html, tmp_path / "third.pdf", cache)
    # pages used neither by this print nor by the one before are deleted
    assert set(pages_in(cache)) == {one, two_second, key_of(folder, "two.svg")}


def test_a_cached_print_is_byte_identical_to_a_cold_one(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # as render sets it
    html = write_page(tmp_path / "doc")
    cache = tmp_path / "cache"
    print_pdf(html, tmp_path / "cold.pdf", cache)
    print_pdf(html, tmp_path / "cached.pdf", cache)
    print_pdf(html, tmp_path / "no-cache.pdf")
    cold, cached, uncached = (
        (tmp_path / f"{name}.pdf").read_bytes() for name in ("cold", "cached", "no-cache")
    )
    assert cold == cached == uncached


def test_partial_files_of_a_killed_print_are_removed(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"{'0' * 64}.pdf.1234.partial").write_bytes(b"%PDF-half")
    print_pdf(write_page(tmp_path / "doc"), tmp_path / "out.pdf", cache)
    assert not list(cache.glob("*.partial"))


@pytest.mark.parametrize(
    ("value", "css"),
    [("481.889764pt", "481.889764pt"), ("300", "300px"), (" 2.5 in ", "2.5in"), ("100%", None),
     ("10em", None), (None, None), ("", None)],
)  # fmt: skip
def test_css_length(value, css):
    assert css_length(value) == css


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10pt" height="10pt">'
        b'<image href="photo.png" width="10" height="10"/></svg>',  # refers to another file
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"></svg>',  # no size
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="5cm"></svg>',  # relative
        b"<svg><unclosed></svg>",  # not XML
        b'<html xmlns="http://www.w3.org/1999/xhtml"></html>',  # not SVG
    ],
)
def test_svgs_that_cannot_be_swapped_have_no_placeholder(svg):
    assert placeholder(svg) is None


def test_unitless_svg_sizes_are_css_pixels(tmp_path):
    """An SVG sized in bare numbers (user units = px) is painted at that size."""
    folder = tmp_path / "doc"
    html = write_page(folder)
    for name in ("one.svg", "two.svg"):
        svg = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_text(svg.replace('"300pt"', '"400"').replace('"120pt"', '"160"'))
    print_pdf(html, tmp_path / "ours.pdf", tmp_path / "cache")
    theirs = painted_in_place(html, tmp_path / "in-place.pdf")
    assert len(pages_in(tmp_path / "cache")) == 2
    for page, reference in zip(raster(tmp_path / "ours.pdf"), raster(theirs), strict=True):
        assert differing_share(page, reference) < 0.001


def test_a_figure_that_refers_to_another_file_is_painted_in_place(tmp_path):
    from PIL import Image

    folder = tmp_path / "doc"
    html = write_page(folder)
    Image.new("RGB", (20, 20), (200, 30, 30)).save(folder / "photo.png")
    (folder / "two.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="100pt" '
        'viewBox="0 0 100 100"><image href="photo.png" width="100" height="100"/></svg>',
        encoding="utf-8",
    )
    print_pdf(html, tmp_path / "ours.pdf", tmp_path / "cache")
    theirs = painted_in_place(html, tmp_path / "in-place.pdf")
    assert len(pages_in(tmp_path / "cache")) == 1  # only the self-contained figure was painted
    for page, reference in zip(raster(tmp_path / "ours.pdf"), raster(theirs), strict=True):
        assert differing_share(page, reference) < 0.001


def test_render_keeps_the_figure_pages_beside_the_manuscript(manuscript_render):
    cache = Path(manuscript_render.pdf).parent / CACHE_DIR
    assert list(cache.glob("*.pdf")), "the render painted no figure apart"
    assert (cache / ".gitignore").is_file() and os.path.getsize(cache / ".gitignore")
