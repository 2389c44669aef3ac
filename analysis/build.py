"""``python -m analysis build``: data/ → validate → compute → results.json → figures → text.

Each step is a function of the one before; the progress is printed step by step. Everything is
written into a temporary folder beside the output folder and swapped in only when every step
has succeeded, so a failed build (bad data, a model that cannot be fitted, a template error)
leaves the previous outputs untouched.

Output folder (default ``report/_generated/``):

* ``results.json`` — every reported number and decision (schema: README.md, "results.json");
* ``figures/`` — SVG and PNG of each figure, and ``figures.json``, their manifest (file names,
  captions, alt text, sizes);
* ``metadata.yml``, ``references.bib`` and the Markdown parts the manuscript includes
  (:data:`PARTS`).

The Jinja environment is :mod:`analysis.template_env`, the templates' context
:mod:`analysis.context`, the bibliography :mod:`analysis.bibliography`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from analysis import cli_options, paths
from analysis.bibliography import merged_bibliography
from analysis.context import text_context
from analysis.errors import AnalysisError
from analysis.filemodes import apply_umask
from analysis.outputs import exchange, exclusive
from analysis.sections import write_sections
from analysis.template_env import render_template, template_environment
from analysis.text import bind_numbers, escape_md, respell
from analysis.vocabulary import LANGUAGES

#: template (in templates/) -> generated Markdown part (in the output folder)
PARTS = {
    "titlepage.md.j2": "titlepage.md",
    "banner.md.j2": "banner.md",
    "abstract.md.j2": "abstract.md",
    "methods.md.j2": "methods.md",
    "results.md.j2": "results.md",
    "availability.md.j2": "availability.md",
    "supplement.md.j2": "supplement.md",
    "declarations.md.j2": "declarations.md",
    "prisma_checklist.md.j2": "prisma_checklist.md",
}
RESULTS_FILE = "results.json"
FIGURES_DIR = "figures"
FIGURES_MANIFEST = "figures.json"
BIBLIOGRAPHY_FILE = "references.bib"


def render_parts(results: dict, figures: list[dict], env=None) -> dict[str, str]:
    """Markdown part name -> text, every template rendered from results.json and the figures."""
    env = env or template_environment()
    context = text_context(results, figures)
    language = results["review"].get("language", LANGUAGES[0])
    parts = {}
    for name, out in PARTS.items():
        rendered = re.sub(r"\n{3,}", "\n\n", render_template(env, name, context)).strip()
        parts[out] = bind_numbers(respell(rendered, language)) + "\n"
    return parts


def metadata_yaml(results: dict) -> str:
    """``metadata.yml``: the manuscript's title for Quarto and for our renderer.

    Pandoc and Quarto read YAML metadata strings as Markdown, so the data's title is written
    escaped for Markdown (:func:`analysis.text.escape_md`): ``@key`` is no citation, ``$$x$$``
    no math, ``<script>`` no HTML, and it prints as typed."""
    import yaml

    review = results["review"]
    meta = {
        "title": escape_md(review["title"]),
        "pagetitle": escape_md(review["short_title"] or review["title"]),
        "lang": review.get("language", LANGUAGES[0]),
    }
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)


def write_json(path: Path, data) -> None:
    """JSON that is valid JSON: a NaN or infinity is an AnalysisError, never ``NaN`` in the
    file."""
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        raise AnalysisError(
            f"{path.name}: a result is not a finite number ({error}); please report this "
            "with the data that caused it"
        ) from None
    path.write_text(text + "\n", encoding="utf-8")


def build(
    data_dir: Path = paths.DATA_DIR,
    out_dir: Path = paths.GENERATED_DIR,
    log=print,
    *,
    force: bool = False,
    formats: tuple[str, ...] = ("html", "pdf", "docx"),
    show_changes: bool = False,
) -> dict:
    """Run the pipeline and swap the new outputs in atomically; returns results.json's dict.
    Does nothing when no input changed since the last build (unless ``force``); makes the
    figure files the render ``formats`` need; ``show_changes`` puts the change report in the
    HTML (:mod:`analysis.incremental`, :mod:`analysis.changes`)."""
    out_dir = Path(out_dir)
    lock = out_dir.parent / f".{out_dir.name}.lock"
    stale = [f".{out_dir.name}-*"]  # mkdtemp folders and swap_in's "-old-PID" of killed builds
    with exclusive(lock, stale, "build"):
        return _build(data_dir, out_dir, log, force, formats, show_changes)


def _build(data_dir, out_dir, log, force, formats, show_changes) -> dict:
    from analysis import changes, incremental

    settings = {
        "formats": sorted(formats),
        "show_changes": show_changes,
        "data_folder": paths.data_folder(data_dir),  # named by the availability statement
    }
    env = template_environment(cache_dir=incremental.template_cache_dir(out_dir))
    fingerprint = incremental.build_fingerprint(data_dir, env.loader.searchpath[0], settings)
    if not force and incremental.build_is_current(out_dir, fingerprint):
        log(
            f"build: nothing to do: data, templates, code and settings are unchanged since the "
            f"last build in {out_dir} (use --force to rebuild)"
        )
        return json.loads((out_dir / RESULTS_FILE).read_text(encoding="utf-8"))

    from analysis.data import load_review
    from analysis.figures import make_figures
    from analysis.results import assemble_results

    started = time.perf_counter()
    step = _Steps(log)
    step("validate", f"reading and checking {data_dir}")
    review = load_review(data_dir)
    for warning in review.warnings:
        log(f"  warning: {warning}")
    for warning in glyph_warnings(review):
        log(f"  warning: {warning}")
    step("compute", "effect sizes, pooled models, secondary analyses, decisions")
    results = assemble_results(review)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-"))
    try:
        step("results", RESULTS_FILE)
        write_json(tmp / RESULTS_FILE, results)
        step("figures", "forest plots and the other figures (SVG + PNG)")
        figures = make_figures(
            results,
            tmp / FIGURES_DIR,
            formats=("svg",) + (("png",) if "docx" in formats else ()),
            cache_dir=incremental.figure_cache_dir(out_dir),
            log=log,
        )
        figures = [f.to_dict() for f in figures]
        write_json(tmp / FIGURES_DIR / FIGURES_MANIFEST, figures)
        step("text", f"{len(PARTS)} Markdown parts from templates/")
        parts = render_parts(results, figures, env)
        for name, content in parts.items():
            (tmp / name).write_text(content, encoding="utf-8")
        (tmp / "metadata.yml").write_text(metadata_yaml(results), encoding="utf-8")
        bibliography = merged_bibliography(review.bibliography_file, paths.METHODS_BIB)
        (tmp / BIBLIOGRAPHY_FILE).write_text(bibliography, encoding="utf-8")
        write_sections(data_dir, tmp)
        step("write", f"swapping the new outputs into {out_dir}")
        report = changes.write_report(out_dir, tmp, results, parts, show_changes)
        incremental.carry_cache_and_stamp(out_dir, tmp, fingerprint)
        swap_in(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"build: done in {time.perf_counter() - started:.1f} s")
    for line in changes.summary_lines(report):
        log(line)
    return results


def glyph_warnings(review) -> list[str]:
    """One warning per figure text of the data (study and outcome labels) with characters no
    figure font draws, naming the file, the label and each character with its Unicode name."""
    import unicodedata

    from analysis.figures.style import uncovered_characters

    texts = [(f"studies.csv, row {s.row}, column 'label'", s.label) for s in review.studies]
    texts += [(f"review.yml, outcome '{o.id}', key 'label'", o.label) for o in review.outcomes]
    warnings = []
    for where, label in texts:
        missing = uncovered_characters(label)
        if missing:
            names = ", ".join(
                f"{ch} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')})" for ch in missing
            )
            warnings.append(
                f"{where}: {label!r} — the figure fonts have no glyph for {names}: it shows as "
                "an empty box in the PNG figures the DOCX uses"
            )
    return warnings


class _Steps:
    """Numbered progress lines: "build [2/6] compute: …"."""

    NAMES = ("validate", "compute", "results", "figures", "text", "write")

    def __init__(self, log):
        self.log = log

    def __call__(self, name: str, detail: str) -> None:
        index = self.NAMES.index(name) + 1
        self.log(f"build [{index}/{len(self.NAMES)}] {name}: {detail}")


def swap_in(new: Path, target: Path) -> None:
    """Replace the folder ``target`` by the folder ``new`` (same file system) in one atomic
    exchange (:func:`analysis.outputs.exchange`), so ``target`` never goes missing; where the
    system cannot exchange, with two renames. The previous folder is deleted only once the new
    one is in place."""
    apply_umask(new)  # mkdtemp/mkstemp made it private: readable by others as the umask allows
    if target.exists() and exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # now the previous outputs
        return
    old = new.parent / f".{target.name}-old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def add_arguments(parser) -> None:
    cli_options.add_data(parser)
    cli_options.add_generated(parser)
    parser.add_argument("--force", action="store_true", help="rebuild even when no input changed")
    cli_options.add_formats(parser)
    cli_options.add_show_changes(parser)


def run(args) -> int:
    formats = cli_options.formats_option(args.formats)
    build(
        args.data, args.generated, force=args.force, formats=formats, show_changes=args.show_changes
    )
    return 0
