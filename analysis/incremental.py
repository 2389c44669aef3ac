"""Do nothing twice: the build and the render skip work whose inputs have not changed.

**Build.** Its fingerprint is the SHA-256 of its inputs — every file in the data folder, the
templates, the methods references, the code version (:func:`analysis.fingerprint.code_version`)
and the build's settings. It is stored with the digest of every output file in
``<out>/.cache/build.json``; a build whose fingerprint equals the stored one, with every output
still as that build wrote it, does nothing and says so. The figure cache lives beside it in
``<out>/.cache/figures/`` (:mod:`analysis.figures.cache`), the compiled templates in
``<out>/.cache/templates/`` (:mod:`analysis.template_cache`); ``.cache`` ignores itself in git.

**Render.** Each format has its own fingerprint: the resolved Markdown source and metadata, the
figure files it shows (SVG for HTML and PDF, PNG for DOCX), the stylesheets, filter, CSL style
and bibliography, and the code version. They are stored in ``<out>/.render.json``; only the
formats whose fingerprint changed (or whose file is missing or was changed since) are rendered.

``--force`` on either command does everything anyway.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from analysis import paths
from analysis.cache_folder import ignore_in_git
from analysis.fingerprint import code_version, digest_folder, digest_json, file_digest

CACHE_DIR = ".cache"
BUILD_STAMP = "build.json"
FIGURE_CACHE = "figures"
TEMPLATE_CACHE = "templates"
RENDER_STAMP = ".render.json"


# --- build -------------------------------------------------------------------------------------


def cache_dir(out_dir: Path) -> Path:
    return Path(out_dir) / CACHE_DIR


def figure_cache_dir(out_dir: Path) -> Path:
    return cache_dir(out_dir) / FIGURE_CACHE


def template_cache_dir(out_dir: Path) -> Path:
    return cache_dir(out_dir) / TEMPLATE_CACHE


def build_fingerprint(data_dir: Path, templates_dir: Path, settings: dict) -> str:
    """SHA-256 of everything a build reads (see the module docstring)."""
    return digest_json(
        {
            "data": digest_folder(data_dir),
            "templates": digest_folder(templates_dir),
            "methods_references": file_digest(paths.METHODS_BIB),
            "code": code_version(),
            "settings": settings,
        }
    )


def output_digests(out_dir: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every output file (the cache left out)."""
    out_dir = Path(out_dir)
    return {
        p.relative_to(out_dir).as_posix(): file_digest(p)
        for p in sorted(out_dir.rglob("*"))
        if p.is_file() and p.relative_to(out_dir).parts[0] != CACHE_DIR
    }


def build_is_current(out_dir: Path, fingerprint: str) -> bool:
    """True when the last build in ``out_dir`` had this fingerprint and its outputs are intact
    (present, with the bytes it wrote)."""
    stamp = _read_json(cache_dir(out_dir) / BUILD_STAMP)
    if not stamp or stamp.get("fingerprint") != fingerprint:
        return False
    for name, digest in stamp.get("outputs", {}).items():
        path = Path(out_dir) / name
        if not path.is_file() or file_digest(path) != digest:
            return False
    return True


def carry_cache_and_stamp(out_dir: Path, new_out: Path, fingerprint: str) -> None:
    """Before ``new_out`` replaces ``out_dir``: move the cache across and record the new
    build's fingerprint with the digests of its outputs."""
    old, new = cache_dir(out_dir), cache_dir(new_out)
    if old.is_dir():
        os.replace(old, new)
    ignore_in_git(new, "state of `python -m analysis build`")
    stamp = {"fingerprint": fingerprint, "outputs": output_digests(new_out)}
    _write_json(new / BUILD_STAMP, stamp)


# --- render ------------------------------------------------------------------------------------

_IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")
_SVG_LINK = re.compile(r"(\]\([^)\s]+)\.svg\)")


def docx_images(markdown: str) -> str:
    """``markdown`` with each SVG figure link pointing at its PNG twin, as the DOCX filter
    (``report/filters/docx-png.lua``) rewrites them: the figure files the DOCX reads."""
    return _SVG_LINK.sub(r"\1.png)", markdown)


def render_fingerprints(source: Path, formats) -> dict[str, str]:
    """Format -> SHA-256 of what rendering ``source`` to that format reads."""
    from analysis.render import format_filters, format_options, load_source

    meta, markdown = load_source(source)
    base = source.parent
    shared = {
        "meta": meta,
        "code": code_version(),
        "filter": file_digest(paths.COMPAT_FILTER),
        "csl": _digest_or_none(base / meta["csl"] if meta.get("csl") else paths.CSL_FILE),
        "bibliography": [_digest_or_none(base / b) for b in _as_list(meta.get("bibliography"))],
    }
    html = digest_json(
        {**shared, "markdown": markdown, "images": _images(markdown, base), "css": _css()}
    )
    docx_source = docx_images(markdown)
    filters = {
        fmt: [file_digest(f) for f in format_filters(meta, base, fmt)] for fmt in ("html", "docx")
    }
    after_body = format_options(meta, "html").get("include-after-body") or []
    after_body = [after_body] if isinstance(after_body, str) else after_body
    html = digest_json(
        {
            "html": html,
            "filters": filters["html"],
            "after_body": [_digest_or_none(base / str(name)) for name in after_body],
        }
    )
    by_format = {
        "html": html,
        "pdf": html,
        "docx": digest_json(
            {
                **shared,
                "markdown": docx_source,
                "images": _images(docx_source, base),
                "filters": filters["docx"],
            }
        ),
    }
    return {fmt: by_format[fmt] for fmt in formats}


def render_if_changed(source: Path, out_dir: Path, formats, force: bool = False, log=print):
    """Render only the formats whose inputs changed since the last render into ``out_dir``
    (all of them with ``force``); returns the files written."""
    from analysis.render import OUTPUT_NAME, load_source, render

    formats = tuple(formats)
    if "docx" in formats:
        ensure_pngs(docx_images(load_source(source)[1]), source.parent, log)
    wanted = render_fingerprints(source, formats)
    stamp_file = Path(out_dir) / RENDER_STAMP
    stamp = _read_json(stamp_file) or {}
    stale = tuple(
        fmt
        for fmt in formats
        if force or not _output_matches(stamp.get(fmt), wanted[fmt], out_dir, OUTPUT_NAME, fmt)
    )
    fresh = [fmt for fmt in formats if fmt not in stale]
    if fresh:
        log(f"render: {', '.join(fresh)} unchanged since the last render; not rendered again")
    if not stale:
        log("render: nothing to do (use --force to render anyway)")
        return []
    written = render(source, out_dir, stale, log=log)
    for path in written:
        fmt = path.suffix[1:]
        stamp[fmt] = {"fingerprint": wanted[fmt], "file": file_digest(path)}
    _write_json(stamp_file, stamp)
    return written


def ensure_pngs(markdown: str, base: Path, log=print) -> None:
    """Make the PNG twins a DOCX shows when a fast build (HTML only) left them out: redrawn
    from the results.json beside the figures, through the figure cache."""
    missing = [base / link for link in _IMAGE_LINK.findall(markdown) if link.endswith(".png")]
    folders = {p.parent for p in missing if not p.is_file()}
    for figures_dir in sorted(folders):
        generated = figures_dir.parent
        results_file = generated / "results.json"
        if not results_file.is_file():
            continue  # the render then names the missing file
        from analysis.figures import make_figures

        log(f"render: drawing the PNG figures the DOCX needs into {figures_dir}")
        results = json.loads(results_file.read_text(encoding="utf-8"))
        make_figures(
            results,
            figures_dir,
            formats=("png",),
            cache_dir=figure_cache_dir(generated),
            log=log,
        )


def _output_matches(entry, fingerprint: str, out_dir: Path, name: str, fmt: str) -> bool:
    path = Path(out_dir) / f"{name}.{fmt}"
    return bool(
        entry
        and entry.get("fingerprint") == fingerprint
        and path.is_file()
        and file_digest(path) == entry.get("file")
    )


def _images(markdown: str, base: Path) -> dict:
    return {
        link: _digest_or_none(base / link) for link in sorted(set(_IMAGE_LINK.findall(markdown)))
    }


def _css() -> list[str]:
    return [file_digest(path) for path in paths.STYLESHEETS]


def _as_list(value) -> list:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def _digest_or_none(path: Path):
    return file_digest(path) if Path(path).is_file() else None


def _read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, value) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)
