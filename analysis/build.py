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

from analysis import paths
from analysis.bibliography import merged_bibliography
from analysis.context import text_context
from analysis.errors import AnalysisError
from analysis.filemodes import apply_umask
from analysis.sections import write_sections
from analysis.template_env import load_terms, render_template, template_environment
from analysis.text import bind_numbers, respell
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
    """``metadata.yml``: the manuscript's title for Quarto and for our renderer."""
    import yaml

    review = results["review"]
    meta = {
        "title": review["title"],
        "pagetitle": review["short_title"] or review["title"],
        "lang": review.get("language", LANGUAGES[0]),
    }
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


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
    from analysis import changes, incremental

    settings = {"formats": sorted(formats), "show_changes": show_changes}
    env = template_environment()
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
    step("compute", "effect sizes, pooled models, secondary analyses, decisions")
    results = assemble_results(review)
    terms = load_terms(paths.TEMPLATES_DIR)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-"))
    try:
        step("results", RESULTS_FILE)
        write_json(tmp / RESULTS_FILE, results)
        step("figures", "forest plots and the other figures (SVG + PNG)")
        figures = make_figures(
            results,
            tmp / FIGURES_DIR,
            terms=terms,
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
        write_sections(data_dir, tmp, log)
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


class _Steps:
    """Numbered progress lines: "build [2/6] compute: …"."""

    NAMES = ("validate", "compute", "results", "figures", "text", "write")

    def __init__(self, log):
        self.log = log

    def __call__(self, name: str, detail: str) -> None:
        index = self.NAMES.index(name) + 1
        self.log(f"build [{index}/{len(self.NAMES)}] {name}: {detail}")


def swap_in(new: Path, target: Path) -> None:
    """Replace the folder ``target`` by the folder ``new`` (same file system) with two renames;
    the previous folder is deleted only once the new one is in place."""
    old = new.parent / f".{target.name}-old-{os.getpid()}"
    apply_umask(new)  # mkdtemp/mkstemp made it private: readable by others as the umask allows
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=paths.DATA_DIR,
        metavar="DIR",
        help="the data folder of the review (default: data/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=paths.GENERATED_DIR,
        metavar="DIR",
        help="the output folder (default: report/_generated/)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when no input changed")
    parser.add_argument(
        "--formats",
        default="html,pdf,docx",
        metavar="LIST",
        help="comma-separated subset of html,pdf,docx (default: all three; the build makes the "
        "figure files these formats show: PNGs only for docx)",
    )
    parser.add_argument(
        "--show-changes",
        action="store_true",
        help='show the change report in the HTML as a "Changes since the version of DATE" box '
        "(leave it out for a submission build)",
    )


def run(args) -> int:
    from analysis.render import FORMATS

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise AnalysisError(
            f"unknown format {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    build(args.data, args.out, force=args.force, formats=formats, show_changes=args.show_changes)
    return 0
