"""Printing the PDF, with every SVG figure painted once, in parallel, and reused until it changes.

weasyprint paints SVG images in Python, element by element: for a manuscript with twenty-odd
forest and funnel plots that is more than half of printing the PDF, and all of it again after a
one-number change that moved one outcome's figures only. So :func:`print_pdf`

1. lays the document out with each figure replaced by an empty SVG with the same root
   ``width``, ``height`` and ``viewBox`` (so the same layout);
2. meanwhile paints each figure alone, at its own size, into a one-page PDF in worker processes
   (one per core) — unless the cache already holds it: the cache key is the SHA-256 of the SVG's
   bytes, the weasyprint version and the code version (:func:`analysis.fingerprint.code_version`);
3. places each figure's page onto the printed page as a form XObject scaled into the box the
   layout gave its ``<img>`` (pikepdf), and saves the PDF with a deterministic ``/ID``.

The figures are painted by the same weasyprint SVG renderer, as vectors, so the PDF shows what
printing them in place shows (fonts embedded, text selectable; each figure carries its own font
subset, so the file is larger). Only self-contained SVGs shown by ``<img>`` take this path: one
that refers to anything but its own fragments (``#id``) or ``data:`` URIs is painted in place as
before, and so is an SVG only a stylesheet shows (a CSS background). Not handled: the same SVG
file shown by ``<img>`` *and* as a CSS background (weasyprint loads a URL once, so the
background would print empty), and CSS transforms of a figure (the page is placed unrotated in
its box); the manuscript's stylesheets use neither.

The cache is ``<output folder>/.figure-pdfs/``; it keeps the pages of this print and of the one
before (so undoing a change costs nothing) and is safe to delete.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import re
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urljoin
from xml.etree import ElementTree

from analysis.cache_folder import GITIGNORE, USED_FILE, ignore_in_git, keys_to_keep
from analysis.cores import default_workers, worker_initializer
from analysis.fingerprint import code_version

#: the cache folder, inside the folder the PDF is written to
CACHE_DIR = ".figure-pdfs"
_SVG_ROOT = "{http://www.w3.org/2000/svg}svg"
#: the root attributes that decide an SVG image's intrinsic size, copied to its placeholder
_SIZE_ATTRIBUTES = ("width", "height", "viewBox", "preserveAspectRatio")
#: a reference out of the SVG document: href/src/url() to anything but "#fragment" or data:
_EXTERNAL_REFERENCE = re.compile(
    rb"""(?:href|src)\s*=\s*["'](?!#|data:)|url\(\s*["']?(?!#|data:)""", re.IGNORECASE
)
#: an SVG root size the painted page can take: a number with an absolute CSS unit (or none: px)
_ABSOLUTE_LENGTH = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(px|pt|pc|mm|cm|in)?\s*")
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
#: CSS px (the unit weasyprint lays out in) to PDF points
PT_PER_PX = 0.75


def import_printer() -> None:
    """Import weasyprint and pikepdf (about 0.7 s), e.g. in a thread while pandoc converts the
    HTML; quiet their logs (weasyprint logs every CSS rule it ignores)."""
    import pikepdf  # noqa: F401
    import weasyprint  # noqa: F401

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)


def figure_key(svg: bytes) -> str:
    """The cache key of one SVG figure's painted page."""
    import weasyprint

    digest = hashlib.sha256(svg)
    digest.update(f"\0weasyprint {weasyprint.__version__}\0{code_version()}".encode())
    return digest.hexdigest()


def css_length(value: str | None) -> str | None:
    """An SVG root ``width``/``height`` as a CSS length ("481.9pt", "300" -> "300px"), or None
    when it is missing or relative ("100%", "10em")."""
    match = _ABSOLUTE_LENGTH.fullmatch(value or "")
    return f"{match[1]}{match[2] or 'px'}" if match else None


def placeholder(svg: bytes) -> bytes | None:
    """An empty SVG with ``svg``'s root size attributes, or None when ``svg`` cannot be swapped
    (not an SVG document, no absolute width and height, or refers to files outside itself)."""
    if _EXTERNAL_REFERENCE.search(svg):
        return None
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError:
        return None
    if root.tag != _SVG_ROOT or not (
        css_length(root.get("width")) and css_length(root.get("height"))
    ):
        return None
    placeholder = ElementTree.Element(
        _SVG_ROOT, {name: root.get(name) for name in _SIZE_ATTRIBUTES if root.get(name)}
    )
    return ElementTree.tostring(placeholder)


def paint_figure(svg: bytes, target: str) -> None:
    """Paint one SVG alone, on a page of its own size, into the PDF ``target`` (written whole or
    not at all). Runs in a worker process."""
    from weasyprint import HTML

    import_printer()
    root = ElementTree.fromstring(svg)
    width, height = css_length(root.get("width")), css_length(root.get("height"))
    source = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    page = (
        f"<style>@page {{ size: {width} {height}; margin: 0 }} html, body {{ margin: 0 }} "
        f"img {{ display: block; width: {width}; height: {height} }}</style>"
        f'<img src="{source}">'
    )
    partial = f"{target}.{os.getpid()}.partial"
    HTML(string=page).write_pdf(partial)
    os.replace(partial, target)


class FigurePages:
    """The painted figure pages in a cache folder, ``<key>.pdf`` each, painted on request in a
    process pool (see the module docstring)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        ignore_in_git(self.root, "figure pages of `python -m analysis render`")
        self.used: dict[str, None] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._painting: list[Future] = []

    def page(self, key: str) -> Path:
        return self.root / f"{key}.pdf"

    def request(self, key: str, svg: bytes) -> None:
        """Start painting the page of ``key`` unless it is cached or being painted."""
        if key in self.used:
            return
        self.used[key] = None
        if self.page(key).is_file():
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=default_workers(), initializer=worker_initializer
            )
        self._painting.append(self._pool.submit(paint_figure, svg, str(self.page(key))))

    def wait(self) -> None:
        """Wait for the pages being painted; a failed painting raises here."""
        for future in self._painting:
            future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def prune(self) -> None:
        """Delete every file but the pages of this print and of the one before it (and the
        partial files a killed print left)."""
        keep = {self.page(key).name for key in keys_to_keep(self.root, self.used)}
        keep |= {USED_FILE, GITIGNORE}
        for path in self.root.iterdir():
            if path.is_file() and path.name not in keep:
                path.unlink(missing_ok=True)


def _img_urls(html_file: Path, base_url: str) -> set[str]:
    """The absolute URLs of the images the HTML shows with ``<img src>``."""
    html = Path(html_file).read_text(encoding="utf-8")
    return {urljoin(base_url, src) for _, src in _IMG_SRC.findall(html)}


def _fetcher(img_urls: set[str], pages: FigurePages):
    """A weasyprint URL fetcher that fetches as weasyprint does, but answers each swappable SVG
    ``<img>`` with its placeholder and asks ``pages`` for the figure's page; its ``keys`` maps
    the swapped URLs to their cache keys."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class FigureFetcher(URLFetcher):
        def __init__(self):
            super().__init__()
            self.keys: dict[str, str] = {}

        def fetch(self, url, headers=None):
            response = super().fetch(url, headers)
            if url not in img_urls or response.content_type != "image/svg+xml":
                return response
            svg = response.read()
            response.close()
            empty = placeholder(svg)
            if empty is not None:
                self.keys[url] = figure_key(svg)
                pages.request(self.keys[url], svg)
            return URLFetcherResponse(url, empty or svg, {"Content-Type": "image/svg+xml"})

    return FigureFetcher()


def _placements(document, keys: dict[str, str], base_url: str):
    """(page index, key, (x0, y0, x1, y1) in PDF points) of every swapped figure, from the
    laid-out boxes (weasyprint's page box tree, in CSS px from the top left corner)."""
    from weasyprint.formatting_structure.boxes import ReplacedBox

    for index, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            if not isinstance(box, ReplacedBox) or box.element_tag != "img":
                continue
            key = keys.get(urljoin(base_url, box.element.get("src", "")))
            if key is not None:
                x, y, width, height = (
                    box.content_box_x(),
                    box.content_box_y(),
                    box.width,
                    box.height,
                )
                bottom = page.height - y - height
                rect = (x, bottom, x + width, bottom + height)
                yield index, key, tuple(v * PT_PER_PX for v in rect)


def _place_figures(printed: io.BytesIO, placements: list, pages: FigurePages, target: Path):
    """Write ``printed`` to ``target`` with each figure's page drawn into its rectangle, as a
    form XObject named ``/Figure<n>`` (a fixed name, so the bytes do not vary between runs;
    pikepdf's ``add_overlay`` picks random names), one per figure however often it is shown."""
    import pikepdf

    with pikepdf.open(printed) as pdf:
        forms, sources = {}, []
        for key in dict.fromkeys(key for _, key, _ in placements):
            sources.append(pikepdf.open(pages.page(key)))
            forms[key] = pdf.copy_foreign(sources[-1].pages[0].as_form_xobject())
        for index in dict.fromkeys(index for index, _, _ in placements):
            page = pdf.pages[index]
            page.contents_add(b"q\n", prepend=True)  # the page's own graphics state stays its own
            page.contents_add(b"Q\n")
            for n, (at, key, rect) in enumerate(placements):
                if at == index:
                    name = page.add_resource(
                        forms[key],
                        pikepdf.Name.XObject,
                        pikepdf.Name(f"/Figure{n}"),
                        replace_existing=False,
                    )
                    placed = page.calc_form_xobject_placement(
                        forms[key], name, pikepdf.Rectangle(*rect)
                    )
                    page.contents_add(placed)
            page.contents_coalesce()
        pdf.save(target, deterministic_id=True)
        for source in sources:
            source.close()


def print_pdf(html_file: Path, pdf_file: Path, cache_dir: Path | None = None) -> None:
    """Print ``html_file`` to ``pdf_file`` with weasyprint, the SVG figures painted apart and
    cached in ``cache_dir`` (None: a temporary folder) — see the module docstring. The page
    model and print sizes come with the HTML's own stylesheets (``print.css``, ``@media
    print``): passed as a *user* stylesheet they would lose to the document's screen rules."""
    from weasyprint import HTML
    from weasyprint.urls import path2url

    import_printer()
    base_url = path2url(str(Path(html_file).resolve()))
    with TemporaryDirectory() if cache_dir is None else nullcontext(cache_dir) as root:
        pages = FigurePages(Path(root))
        try:
            fetcher = _fetcher(_img_urls(html_file, base_url), pages)
            document = HTML(filename=str(html_file), url_fetcher=fetcher).render()
            printed = io.BytesIO(document.write_pdf())
            placements = list(_placements(document, fetcher.keys, base_url))
            pages.wait()
        finally:
            pages.close()
        partial = Path(pdf_file).with_name(f".{Path(pdf_file).name}.partial")
        _place_figures(printed, placements, pages, partial)
        os.replace(partial, pdf_file)
        pages.prune()
