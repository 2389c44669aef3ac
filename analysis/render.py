"""``python -m analysis render``: the manuscript as HTML, PDF and DOCX without Quarto.

The same sources Quarto renders (``report/index.qmd`` and the generated parts it includes) go
through pandoc (the ``pypandoc-binary`` wheel) to a self-contained HTML file and a DOCX file;
weasyprint prints the PDF from the HTML with the print stylesheet (A4, page numbers, running
title). The Quarto-only syntax the sources use is resolved here:

* ``{{< include path >}}`` is expanded (paths relative to the file holding the directive) and
  ``{{< pagebreak >}}`` becomes a page break; any other shortcode is an error;
* ``metadata-files`` listed in the front matter are merged into it;
* ``@fig-…``/``@tbl-…`` cross-references, figure/table numbering and callouts are resolved by
  the pandoc Lua filter ``report/filters/quarto-compat.lua``;
* citations by pandoc citeproc with the Vancouver CSL style.

Every output is checked for anything left unrendered before it replaces the previous one (the
HTML, from which the PDF is printed, and the DOCX's text), and all outputs are written to a
temporary folder first, so a failed render leaves the last good
manuscript in place. With ``--pdf-only`` (Quarto's post-render step) the HTML files Quarto
wrote (``QUARTO_PROJECT_OUTPUT_FILES``) are printed to PDF next to themselves.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from analysis import cli_options, paths, pdf_print
from analysis.errors import AnalysisError
from analysis.outputs import exclusive
from analysis.progress import timed

OUTPUT_NAME = "manuscript"

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_SHORTCODE = re.compile(r"\{\{<\s*(\w[\w-]*)\s*(.*?)\s*>\}\}")
_PAGEBREAK = '\n```{=html}\n<div class="page-break"></div>\n```\n'
#: what must never appear in a rendered document's text
UNRENDERED = ("{{<", "{{", "{%", "@fig-", "@tbl-", "[@", "?@")


def read_text(path: Path, what: str) -> str:
    """A UTF-8 text file, or an AnalysisError naming it (``what`` says which file it is)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise AnalysisError(f"cannot read the {what} {path}: {reason}") from error


def parse_yaml(text: str, where: str):
    """YAML text (the project's one safe loader), or an AnalysisError naming ``where`` it came
    from, its line and the reason."""
    from analysis import safe_yaml

    try:
        return safe_yaml.load_yaml(text)
    except (yaml.YAMLError, safe_yaml.YamlLimitError) as error:
        raise AnalysisError(
            f"{where} is not YAML the builder accepts: {safe_yaml.describe_error(error)}"
        ) from None


def split_front_matter(text: str, where: str = "the front matter") -> tuple[dict, str]:
    """YAML front matter (``---`` block at the top) and the body after it."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    return parse_yaml(match.group(1), where) or {}, text[match.end() :]


def expand_shortcodes(text: str, base_dir: Path, stack: tuple[Path, ...] = ()) -> str:
    """Expand ``include`` (recursively) and ``pagebreak``; any other shortcode is an error."""

    def replace(match: re.Match) -> str:
        name, argument = match.group(1), match.group(2).strip()
        if name == "pagebreak":
            return _PAGEBREAK
        if name != "include":
            raise AnalysisError(f"shortcode {{{{< {name} >}}}} is not supported by this renderer")
        target = (base_dir / argument).resolve()
        if target in stack:
            raise AnalysisError(f"{target} includes itself")
        if not target.is_file():
            raise AnalysisError(
                f"include directive failed: {argument} (looked for {target}); "
                "run `python -m analysis build` first"
            )
        _, body = split_front_matter(
            read_text(target, "included file"), f"the front matter of {target}"
        )
        return expand_shortcodes(body, target.parent, (*stack, target))

    return _SHORTCODE.sub(replace, text)


def load_source(source: Path) -> tuple[dict, str]:
    """The manuscript's metadata (front matter merged with its ``metadata-files``) and its
    Markdown body with every shortcode expanded."""
    meta, body = split_front_matter(
        read_text(source, "manuscript source"), f"the front matter of {source}"
    )
    merged: dict = {}
    for name in meta.pop("metadata-files", []) or []:
        path = source.parent / name
        extra = parse_yaml(read_text(path, f"metadata file listed in {source.name}"), str(path))
        extra = {} if extra is None else extra
        if not isinstance(extra, dict):
            raise AnalysisError(f"metadata file {path} must hold key: value pairs")
        merged.update(extra)
    merged.update(meta)
    return merged, expand_shortcodes(body, source.parent, (source.resolve(),))


def format_options(meta: dict, to: str) -> dict:
    """The front matter's ``format: <to>:`` options (Quarto's per-format settings)."""
    formats = meta.get("format") or {}
    options = formats.get(to) if isinstance(formats, dict) else None
    return options if isinstance(options, dict) else {}


def format_filters(meta: dict, source_dir: Path, to: str) -> list[Path]:
    """The Lua filters listed under ``format: <to>: filters`` (paths relative to the source,
    as Quarto reads them), run after the compatibility filter."""
    filters = format_options(meta, to).get("filters") or []
    filters = [filters] if isinstance(filters, str) else filters
    found = []
    for name in filters:
        path = (source_dir / str(name)).resolve()
        if path.suffix != ".lua" or not path.is_file():
            raise AnalysisError(
                f"format {to}: filter {name} is not a Lua filter file (looked for {path})"
            )
        found.append(path)
    return found


def stylesheets(meta: dict, source_dir: Path) -> list[Path]:
    """The HTML's stylesheets, as Quarto reads them (``format: html: css``, relative to the
    source), else the project's own (:data:`analysis.paths.STYLESHEETS`). The print rules are
    among them (``@media print`` in ``print.css``), so they are the document's own (author)
    styles in the PDF and win over the screen rules by order, for Quarto's HTML too."""
    listed = format_options(meta, "html").get("css")
    if not listed:
        return list(paths.STYLESHEETS)
    listed = [listed] if isinstance(listed, str) else listed
    found = [(source_dir / str(name)).resolve() for name in listed]
    missing = [str(path) for path in found if not path.is_file()]
    if missing:
        raise AnalysisError(f"format html: css file {', '.join(missing)} does not exist")
    return found


def pandoc_metadata(meta: dict, source_dir: Path, to: str) -> dict:
    """Metadata pandoc needs: the Quarto keys it understands (``crossref`` for the compatibility
    filter, ``document-css`` from ``format: html:``), paths made absolute, our CSS."""
    bibliography = meta.get("bibliography") or []
    if isinstance(bibliography, str):
        bibliography = [bibliography]
    out = {
        "title": meta.get("title", "Manuscript"),
        "pagetitle": meta.get("pagetitle") or meta.get("title", "Manuscript"),
        "lang": meta.get("lang", "en-GB"),
        "bibliography": [str((source_dir / b).resolve()) for b in bibliography],
        "csl": str((source_dir / meta["csl"]).resolve())
        if meta.get("csl")
        else str(paths.CSL_FILE),
        "link-citations": True,
        "crossref": meta.get("crossref") or {},
    }
    if to == "html":
        out["css"] = [str(path) for path in stylesheets(meta, source_dir)]
        html = format_options(meta, "html")
        out["document-css"] = bool(html.get("document-css", True))
        for key in ("toc", "toc-depth", "toc-title"):
            if key in html:
                out[key] = html[key]
        after = html.get("include-after-body") or []
        after = [after] if isinstance(after, str) else after
        out["include-after-body"] = [str((source_dir / str(name)).resolve()) for name in after]
    return out


#: the span of the timestamps :func:`source_date_epoch` derives: 2000-01-01 plus up to 25 years
_EPOCH_START, _EPOCH_SPAN = 946_684_800, 25 * 365 * 86_400


def source_date_epoch(markdown: str) -> str:
    """The ``SOURCE_DATE_EPOCH`` pandoc stamps into the DOCX (``docProps/core.xml`` and the zip
    entries' times), so that the same sources give a byte-identical file: the caller's own
    ``SOURCE_DATE_EPOCH`` if set (reproducible-builds.org), otherwise a time derived from the
    SHA-256 of the resolved Markdown (no paths: the same on every clone) — it changes only
    when the text does."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return os.environ["SOURCE_DATE_EPOCH"]
    digest = hashlib.sha256(markdown.encode("utf-8")).digest()
    return str(_EPOCH_START + int.from_bytes(digest[:8], "big") % _EPOCH_SPAN)


def html_options(meta: dict) -> list[str]:
    """pandoc options for the HTML from the ``format: html:`` keys Quarto reads as well: ``toc``
    (with ``toc-depth``; ``toc-title`` is metadata) and ``include-after-body`` files (absolute
    paths in ``meta["include-after-body"]``, set by :func:`pandoc_metadata`)."""
    args = []
    if meta.get("toc"):
        args += ["--toc", f"--toc-depth={int(meta.get('toc-depth', 3))}"]
    args += [f"--include-after-body={path}" for path in meta.get("include-after-body", [])]
    return args


def run_pandoc(
    markdown: str,
    meta: dict,
    to: str,
    target: Path,
    resource_dir: Path,
    filters: tuple[Path, ...] = (),
) -> None:
    """Convert the resolved Markdown with pandoc (quarto-compat filter, the format's own
    ``filters``, then citeproc)."""
    import pypandoc

    args = [
        pypandoc.get_pandoc_path(),
        "--from=markdown",
        f"--to={to}",
        "--standalone",
        "--wrap=none",  # metadata paths (css) are printed, not wrapped at their spaces
        f"--lua-filter={paths.COMPAT_FILTER}",
        *(f"--lua-filter={path}" for path in filters),
        "--citeproc",
        f"--resource-path={resource_dir}",
        f"--output={target}",
    ]
    if to == "html":
        args += ["--embed-resources", "--section-divs", "--mathml"]
        args += html_options(meta)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, encoding="utf-8") as fh:
        yaml.safe_dump(meta, fh, allow_unicode=True)
        args.append(f"--metadata-file={fh.name}")
    env = {**os.environ, "SOURCE_DATE_EPOCH": source_date_epoch(markdown)}
    try:
        done = subprocess.run(
            args,
            input=markdown,
            text=True,
            capture_output=True,
            cwd=resource_dir,
            check=False,
            env=env,
        )
    finally:
        os.unlink(fh.name)
    # a Lua filter's error message without the Lua stack trace pandoc appends to it
    messages = done.stderr.split("stack traceback:", 1)[0]
    warnings = [line for line in messages.splitlines() if line.strip()]
    fatal = ("Citeproc", "not found", "Could not fetch", "Could not convert", "Duplicate")
    if done.returncode != 0 or any(word in w for w in warnings for word in fatal):
        raise AnalysisError(f"pandoc could not render {target.name}:\n" + "\n".join(warnings))


_BLOCK_TAG = re.compile(
    r"</?(p|div|h[1-6]|li|ul|ol|tr|td|th|section|figure|figcaption|caption|table|header|br|"
    r"title|nav|footer|blockquote)\b[^>]*>",
    re.IGNORECASE,
)


def visible_text(html: str) -> str:
    """The text a reader sees: scripts, styles and tags removed (block tags as spaces),
    entities decoded."""
    import html as html_lib

    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL | re.IGNORECASE)
    html = _BLOCK_TAG.sub(" ", html)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def check_rendered(
    html: str, what: str = "the rendered manuscript", data_texts: tuple[str, ...] = ()
) -> None:
    """Raise if any unresolved shortcode, template tag, cross-reference or citation remains in
    the visible text of ``html`` outside the ``data_texts`` (:func:`data_texts`)."""
    check_text(visible_text(html), what, data_texts)


#: typography pandoc's ``smart`` extension makes of plain punctuation, undone before comparing
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "--",
        "\u2014": "---",
        "\u2026": "...",
        "\u00a0": " ",
    }
)


def _normalised(text: str) -> str:
    return " ".join(text.translate(_PLAIN).split())


def data_texts(source: Path) -> tuple[str, ...]:
    """The data's own text that holds one of :data:`UNRENDERED` (an email ``jane@fig-lab.org``,
    a title with ``{{``): every string of the ``results.json`` files in the folders beside
    ``source`` (``report/_generated/``). The build prints them escaped, so they are literal
    text, and the leftover check skips them: it looks only at what our templates and the
    manuscript's sources produce."""
    import json

    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, str):
            if any(token in value for token in UNRENDERED):
                found.add(_normalised(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for results in sorted(source.parent.glob("*/results.json")):
        try:
            walk(json.loads(results.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # no usable results: nothing is exempt
    return tuple(sorted(found, key=len, reverse=True))


def check_text(text: str, what: str, data_texts: tuple[str, ...] = ()) -> None:
    """Raise if ``text`` (what a reader sees of ``what``) holds any of :data:`UNRENDERED`
    outside the literal ``data_texts``."""
    text = _normalised(text)
    for literal in data_texts:
        text = text.replace(literal, " ")
    left = sorted({token for token in UNRENDERED if token in text})
    if left:
        where = text.find(left[0])
        raise AnalysisError(
            f"{what} still contains {', '.join(left)}: "
            f"…{' '.join(text[max(0, where - 60) : where + 60].split())}…"
        )


def docx_text(docx_file: Path) -> str:
    """The text of a DOCX file (pandoc's plain-text writer)."""
    import pypandoc

    return pypandoc.convert_file(str(docx_file), "plain", format="docx")


def convert(markdown: str, meta: dict, source: Path, to: str, target: Path) -> None:
    """:func:`run_pandoc` with the metadata and the filters ``source`` gives format ``to``."""
    base = source.parent
    filters = tuple(format_filters(meta, base, to))
    run_pandoc(markdown, pandoc_metadata(meta, base, to), to, target, base, filters)


def render_docx(markdown: str, meta: dict, source: Path, docx_file: Path, data_texts=()) -> float:
    """Convert the resolved Markdown to ``docx_file`` and check its text (the data's own
    ``data_texts`` exempt); returns the time taken (s)."""
    started = time.perf_counter()
    convert(markdown, meta, source, "docx", docx_file)
    check_text(docx_text(docx_file), "the rendered DOCX manuscript", data_texts)
    return time.perf_counter() - started


def render(
    source: Path = paths.MANUSCRIPT_SOURCE,
    out_dir: Path = paths.MANUSCRIPT_OUTPUT_DIR,
    formats: tuple[str, ...] = cli_options.FORMATS,
    log=print,
) -> list[Path]:
    """Render ``source`` into ``out_dir`` as ``manuscript.{html,pdf,docx}``; returns the files."""
    meta, markdown = load_source(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(out_dir / ".render.lock", [".render-*"], "render"):
        return _render(source, meta, markdown, out_dir, formats, log)


def _render(source, meta, markdown, out_dir, formats, log) -> list[Path]:
    written = []
    exempt = data_texts(source)
    with (
        tempfile.TemporaryDirectory(dir=out_dir, prefix=".render-") as tmp,
        ThreadPoolExecutor(max_workers=2) as background,
    ):
        tmp = Path(tmp)
        html_file = tmp / f"{OUTPUT_NAME}.html"
        # pandoc is a process of its own: the DOCX is made on another core while the HTML is
        # converted and weasyprint prints the PDF (the thread only waits for pandoc), and
        # weasyprint is imported while pandoc converts the HTML
        docx = (
            background.submit(
                render_docx, markdown, meta, source, tmp / f"{OUTPUT_NAME}.docx", exempt
            )
            if "docx" in formats
            else None
        )
        printer = background.submit(pdf_print.import_printer) if "pdf" in formats else None
        if "html" in formats or "pdf" in formats:
            with timed("render: HTML (pandoc, self-contained)", log):
                convert(markdown, meta, source, "html", html_file)
                check_rendered(html_file.read_text(encoding="utf-8"), data_texts=exempt)
        if printer is not None:
            with timed("render: PDF (weasyprint, print stylesheet)", log):
                printer.result()
                pdf_print.print_pdf(
                    html_file, tmp / f"{OUTPUT_NAME}.pdf", out_dir / pdf_print.CACHE_DIR
                )
        if docx is not None:
            log(f"render: DOCX (pandoc, alongside the others): {docx.result():.1f} s")
        for fmt in formats:
            final = out_dir / f"{OUTPUT_NAME}.{fmt}"
            os.replace(tmp / final.name, final)
            written.append(final)
    return written


def quarto_post_render(log=print) -> list[Path]:
    """Quarto's post-render step: print each HTML file Quarto wrote to a PDF beside it."""
    listed = os.environ.get("QUARTO_PROJECT_OUTPUT_FILES", "")
    html_files = [Path(p) for p in listed.splitlines() if p.strip().endswith(".html")]
    if not html_files:
        raise AnalysisError("QUARTO_PROJECT_OUTPUT_FILES lists no HTML file to print")
    written = []
    for html_file in html_files:
        html_file = html_file if html_file.is_absolute() else paths.ROOT / html_file
        check_rendered(
            read_text(html_file, "HTML file listed in QUARTO_PROJECT_OUTPUT_FILES"),
            data_texts=data_texts(paths.MANUSCRIPT_SOURCE),
        )
        pdf = html_file.with_suffix(".pdf")
        with tempfile.TemporaryDirectory(dir=pdf.parent, prefix=".render-") as tmp:
            partial = Path(tmp) / pdf.name
            with timed(f"render: PDF {pdf} (weasyprint, print stylesheet)", log):
                pdf_print.print_pdf(html_file, partial, pdf.parent / pdf_print.CACHE_DIR)
            os.replace(partial, pdf)
        written.append(pdf)
    return written


def add_arguments(parser) -> None:
    cli_options.add_source(parser)
    cli_options.add_output(parser)
    cli_options.add_formats(parser)
    parser.add_argument(
        "--pdf-only",
        action="store_true",
        help="Quarto post-render: print the HTML files Quarto wrote to PDF",
    )
    parser.add_argument(
        "--force", action="store_true", help="render even the formats whose sources are unchanged"
    )


def run(args) -> int:
    if args.pdf_only:
        quarto_post_render()
        return 0
    formats = cli_options.formats_option(args.formats)
    from analysis.incremental import render_if_changed

    for path in render_if_changed(args.source, args.out, formats, force=args.force):
        print(f"wrote {path.relative_to(paths.ROOT) if path.is_relative_to(paths.ROOT) else path}")
    return 0
