"""``python -m analysis build``: data/ → validate → compute → results.json → figures → text.

Each step is a function of the one before; the progress is printed step by step. Everything is
written into a temporary folder beside the output folder and swapped in only when every step
has succeeded, so a failed build (bad data, a model that cannot be fitted, a template error)
leaves the previous outputs untouched.

Output folder (default ``report/_generated/``):

* ``results.json`` — every reported number (schema: README.md, section "results.json");
* ``figures/`` — SVG and PNG of each figure;
* ``metadata.yml`` and the Markdown parts the manuscript includes (:data:`PARTS`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from analysis import paths, text
from analysis.text import Safe

#: template (in templates/) -> generated Markdown part (in the output folder)
PARTS = {
    "titlepage.md.j2": "titlepage.md",
    "banner.md.j2": "banner.md",
    "abstract.md.j2": "abstract.md",
    "methods.md.j2": "methods.md",
    "results.md.j2": "results.md",
    "tables.md.j2": "tables.md",
    "availability.md.j2": "availability.md",
}
RESULTS_FILE = "results.json"
FIGURES_DIR = "figures"
BIBLIOGRAPHY_FILE = "references.bib"


# --- templates ---------------------------------------------------------------------------------


def _finalize(value):
    """Every ``{{ … }}`` in a template passes here: data text is escaped for Markdown, our own
    formatted text (:class:`~analysis.text.Safe`) passes, integers print as digits, and a raw
    float is refused — numbers are written only through the ``fmt_*`` filters."""
    if isinstance(value, Safe):
        return value
    if isinstance(value, bool) or value is None:
        raise TypeError(f"template printed {value!r}; test it with `if` instead")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError(f"template printed the raw number {value!r}; use a fmt_* filter")
    return text.escape_md(value)


def _safe(func):
    def wrapper(*args, **kwargs):
        out = func(*args, **kwargs)
        return None if out is None else Safe(out)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def template_environment(templates_dir: Path = paths.TEMPLATES_DIR):
    """Jinja environment: StrictUndefined, Markdown-escaping finalize, the ``fmt_*`` filters and
    the phrase helpers of :mod:`analysis.text`."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    formatters = {
        name: getattr(text, name)
        for name in (
            "fmt_num",
            "fmt_ci",
            "fmt_ci_brackets",
            "fmt_p",
            "fmt_int",
            "fmt_pct",
            "fmt_interval",
            "spell",
            "count",
            "plural",
            "join_and",
            "capitalize_first",
            "smd_size",
            "heterogeneity_level",
            "cite",
        )
    }
    env.filters.update({name: _safe(func) for name, func in formatters.items()})
    env.filters["md"] = lambda value: Safe(text.escape_md(value))
    env.filters["safe"] = Safe
    env.globals.update(
        effect_statement=text.effect_statement,
        prediction_statement=text.prediction_statement,
        describe_effect=text.describe_effect,
        lookup=lambda table, key: tuple(
            Safe(x) if isinstance(x, str) else x
            for x in text.lookup(getattr(text, table), key, table.lower())
        ),
        cite=_safe(text.cite),
    )
    return env


def render_parts(results: dict, figures: list[dict], env=None) -> dict[str, str]:
    """Markdown part name -> text, every template rendered from results.json and the figures."""
    env = env or template_environment()
    context = {
        "r": results,
        "review": results["review"],
        "outcomes": results["outcomes"],
        "primary": next((o for o in results["outcomes"] if o["primary"]), results["outcomes"][0]),
        "figures": {f["stem"]: f for f in figures},
        "figures_path": f"_generated/{FIGURES_DIR}",
    }
    return {out: env.get_template(name).render(context) for name, out in PARTS.items()}


def metadata_yaml(results: dict) -> str:
    """``metadata.yml``: the manuscript's title for Quarto and for our renderer."""
    import yaml

    review = results["review"]
    meta = {"title": review["title"], "pagetitle": review["short_title"] or review["title"]}
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)


def bibliography(review, methods_bib: Path = paths.METHODS_BIB) -> str:
    """The included trials' references (data/) followed by the methods references (report/)."""
    parts = [review.bibliography_file.read_text(encoding="utf-8"), methods_bib.read_text("utf-8")]
    return "\n".join(part.rstrip() + "\n" for part in parts)


# --- the pipeline ------------------------------------------------------------------------------


def build(data_dir: Path = paths.DATA_DIR, out_dir: Path = paths.GENERATED_DIR, log=print) -> dict:
    """Run the pipeline and swap the new outputs in atomically; returns results.json's dict."""
    from analysis.data import load_review
    from analysis.figures import make_figures
    from analysis.results import assemble_results

    started = time.perf_counter()
    step = _Steps(log)
    step("validate", f"reading and checking {data_dir}")
    review = load_review(data_dir)
    for warning in review.warnings:
        log(f"  warning: {warning}")
    step("compute", "effect sizes, pooled models, secondary analyses")
    results = assemble_results(review)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-"))
    try:
        step("figures", "forest plots and the other figures (SVG + PNG)")
        figures = [f.to_dict() for f in make_figures(results, tmp / FIGURES_DIR)]
        results["figures"] = figures
        step("results", RESULTS_FILE)
        (tmp / RESULTS_FILE).write_text(
            json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        step("text", f"{len(PARTS)} Markdown parts from templates/")
        for name, content in render_parts(results, figures).items():
            (tmp / name).write_text(content, encoding="utf-8")
        (tmp / "metadata.yml").write_text(metadata_yaml(results), encoding="utf-8")
        (tmp / BIBLIOGRAPHY_FILE).write_text(bibliography(review), encoding="utf-8")
        step("write", f"swapping the new outputs into {out_dir}")
        swap_in(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"build: done in {time.perf_counter() - started:.1f} s")
    return results


class _Steps:
    """Numbered progress lines: "build [2/6] compute: …"."""

    NAMES = ("validate", "compute", "figures", "results", "text", "write")

    def __init__(self, log):
        self.log = log

    def __call__(self, name: str, detail: str) -> None:
        index = self.NAMES.index(name) + 1
        self.log(f"build [{index}/{len(self.NAMES)}] {name}: {detail}")


def swap_in(new: Path, target: Path) -> None:
    """Replace the folder ``target`` by the folder ``new`` (same file system) with two renames;
    the previous folder is deleted only once the new one is in place."""
    old = new.parent / f".{target.name}-old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--data", type=Path, default=paths.DATA_DIR, help="data folder (default: data/)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=paths.GENERATED_DIR,
        help="output folder (default: report/_generated/)",
    )


def run(args) -> int:
    build(args.data, args.out)
    return 0
