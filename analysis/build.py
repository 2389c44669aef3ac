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
import re
import shutil
import tempfile
import time
from pathlib import Path

from analysis import paths, text
from analysis.data.schema import CITEKEY_PATTERN
from analysis.errors import AnalysisError
from analysis.sections import write_sections
from analysis.text import Safe

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


def _escaped(value) -> str:
    return value if isinstance(value, Safe) else text.escape_md(value)


def _always_safe(func):
    """A formatter whose output is our own Markdown (numbers, fixed words)."""

    def wrapper(*args, **kwargs):
        out = func(*args, **kwargs)
        return None if out is None else Safe(out)

    return wrapper


def _same_safety(func):
    """A text transform: safe output only from safe input, so data text stays escaped."""

    def wrapper(value, *args, **kwargs):
        out = func(value, *args, **kwargs)
        return Safe(out) if isinstance(value, Safe) else out

    return wrapper


def citekey(key) -> Safe:
    """A BibTeX key as it may appear after ``@`` in a pandoc citation (else a ValueError, which
    :func:`render_parts` reports naming the template and line)."""
    if not isinstance(key, str) or not CITEKEY_PATTERN.match(key):
        raise ValueError(f"not a citation key: {key!r}")
    return Safe(key)


def _keys(keys) -> list[str]:
    """Citation keys from a list or from one string "a; b" (as data files write several)."""
    return re.split(r"[;,\s]+", keys.strip()) if isinstance(keys, str) else list(keys)


def load_terms(templates_dir: Path) -> dict:
    """The wording terms for the intervention and comparison (templates/terms.yml)."""
    import yaml

    with open(templates_dir / "terms.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


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
    numbers = (
        "fmt_num",
        "fmt_ci",
        "fmt_p",
        "fmt_int",
        "fmt_pct",
        "fmt_interval",
        "spell",
        "count",
        "plural",
        "smd_size",
        "heterogeneity_level",
        "fmt_date",
    )
    env.filters.update({name: _always_safe(getattr(text, name)) for name in numbers})
    for name in ("capitalize_first", "lower_first", "column_name", "sensitivity_name"):
        env.filters[name] = _same_safety(getattr(text, name))
    env.filters["join_and"] = lambda items: Safe(text.join_and([_escaped(x) for x in items]))
    env.filters["md"] = lambda value: Safe(_escaped(value))
    env.filters["safe"] = Safe
    env.filters["attr"] = lambda value: Safe(str(value).replace("\\", "\\\\").replace('"', '\\"'))
    env.filters["citekey"] = citekey
    env.globals.update(
        effect_statement=text.effect_statement,
        prediction_statement=text.prediction_statement,
        pooled_ci=text.pooled_ci,
        pooled_pi=text.pooled_pi,
        describe_effect=text.describe_effect,
        lookup=lambda table, key: tuple(
            Safe(x) if isinstance(x, str) else x
            for x in text.lookup(getattr(text, table), key, table.lower())
        ),
        cite=lambda keys: Safe(text.cite([citekey(k) for k in _keys(keys)])),
        terms=load_terms(templates_dir),
        measure_names={k: Safe(v) for k, v in text.MEASURE_ABBREVIATIONS.items()},
    )
    return env


#: RoB 2 domains as the results text names them
ROB_DOMAIN_NAMES = {
    "d1": "the randomisation process",
    "d2": "deviations from the intended interventions",
    "d3": "missing outcome data",
    "d4": "measurement of the outcome",
    "d5": "selection of the reported result",
}


def text_context(results: dict, figures: list[dict]) -> dict:
    """What the templates read: results.json, the figures, and the few sums and tallies the
    wording needs (computed here, so templates hold wording only)."""
    studies = results["studies"]
    main_figures = {"prisma-flow", "rob-traffic-light"} | {
        f"forest-{o['id']}" for o in results["outcomes"]
    }
    rob = results["summary"]["risk_of_bias"]
    return {
        "r": results,
        "review": results["review"],
        "outcomes": results["outcomes"],
        "primary": next((o for o in results["outcomes"] if o["primary"]), results["outcomes"][0]),
        "outcome_labels": {o["id"]: o["label"] for o in results["outcomes"]},
        "figures": {f["stem"]: f for f in figures},
        "figures_path": f"_generated/{FIGURES_DIR}",
        "summary": results["summary"],
        "rob_worst_domain": Safe(ROB_DOMAIN_NAMES[rob["most_concerns_domain"]])
        if rob["most_concerns_domain"]
        else None,
        "dose_unit": _common_value(
            s.get("dose_unit") for s in studies if s.get("dose") is not None
        ),
        "conversions_by_method": _conversions_by_method(results),
        "affiliations": _affiliations(results["review"]["authors"]),
        "affiliation_numbers": _affiliation_numbers(results["review"]["authors"]),
        **_grade_footnotes(results.get("grade") or []),
        "supplementary": [f["stem"] for f in figures if f["stem"] not in main_figures],
        "common_events": _common_events(results["adverse_events"]),
    }


def _grade_footnotes(grade: list[dict]) -> dict:
    """``grade_for`` (outcome id -> certainty and its footnote marks) and ``grade_notes``
    ((mark, reason) pairs), lettered a, b, c ... across the summary-of-findings table."""
    notes: list[tuple[str, str]] = []
    grade_for = {}
    for g in grade:
        marks = []
        for reason in g["footnotes"]:
            notes.append((text.footnote_mark(len(notes)), reason.rstrip(". ")))
            marks.append(notes[-1][0])
        grade_for[g["outcome"]] = {"certainty": g["certainty"], "marks": marks}
    return {"grade_for": grade_for, "grade_notes": notes}


#: adverse events named in the text: reported by at least this share of the trials
COMMON_EVENT_SHARE = 0.5


def _common_events(adverse: dict) -> list[dict]:
    """Non-serious event types that occurred (in either arm) and were reported by at least half
    the trials with adverse-event data, most frequent first."""
    events = adverse["events"] if adverse else []
    trials = len({study for e in events for study in e["studies"]})
    common = [
        e
        for e in events
        if not e["serious"]
        and e["events1"] + e["events2"] > 0
        and e["k"] >= COMMON_EVENT_SHARE * trials
    ]
    return sorted(common, key=lambda e: -(e["events1"] + e["events2"]))


def _common_value(values):
    """The one value all items share, else None (e.g. a dose unit for the column heading)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def _conversions_by_method(results: dict) -> list[dict]:
    labels = {s["study_id"]: s["label"] for s in results["studies"]}
    groups: dict = {}
    for c in results["conversions"]:
        group = groups.setdefault(
            (c["method"], c["bibkey"]),
            {"description": c["description"], "bibkey": c["bibkey"], "arms": 0, "labels": []},
        )
        group["arms"] += 1
        if labels[c["study_id"]] not in group["labels"]:
            group["labels"].append(labels[c["study_id"]])
    return list(groups.values())


def _affiliations(authors: list[dict]) -> list[str]:
    """Distinct affiliations in order of first mention."""
    out: list[str] = []
    for author in authors:
        out += [a for a in author["affiliations"] if a not in out]
    return out


def _affiliation_numbers(authors: list[dict]) -> list[str]:
    """Per author, the superscript numbers of their affiliations ("1,2")."""
    order = _affiliations(authors)
    return [",".join(str(order.index(a) + 1) for a in author["affiliations"]) for author in authors]


def render_parts(results: dict, figures: list[dict], env=None) -> dict[str, str]:
    """Markdown part name -> text, every template rendered from results.json and the figures."""
    env = env or template_environment()
    context = text_context(results, figures)
    parts = {}
    for name, out in PARTS.items():
        rendered = render_template(env, name, context)
        parts[out] = re.sub(r"\n{3,}", "\n\n", rendered).strip() + "\n"
    return parts


def render_template(env, name: str, context: dict) -> str:
    """One template rendered; a failure in it (syntax, an undefined value, a value a filter
    refuses) becomes an AnalysisError naming the template and line."""
    import jinja2

    try:
        return env.get_template(name).render(context)
    except (jinja2.TemplateError, TypeError, ValueError, LookupError, ArithmeticError) as error:
        raise AnalysisError(
            f"template {_template_location(error, name)} failed: {type(error).__name__}: {error}"
        ) from error


def _template_location(error: Exception, name: str) -> str:
    """Where in the templates an error arose: "results.md.j2, line 75" (the innermost template
    line Jinja's traceback shows, e.g. inside a macro file), else the template's name."""
    import traceback

    if getattr(error, "lineno", None) is not None:  # syntax errors carry their own position
        return f"{Path(error.filename or name).name}, line {error.lineno}"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(".j2")]
    if not frames:
        return name
    where = f"{Path(frames[-1].filename).name}, line {frames[-1].lineno}"
    return where if Path(frames[-1].filename).name == name else f"{where} (rendering {name})"


def metadata_yaml(results: dict) -> str:
    """``metadata.yml``: the manuscript's title for Quarto and for our renderer."""
    import yaml

    review = results["review"]
    meta = {"title": review["title"], "pagetitle": review["short_title"] or review["title"]}
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)


#: where a BibTeX item starts: "@type{" or "@type(" at the start of a line, then the key up to
#: the comma (the grammar of the data reader, analysis/data/loading.py)
_BIB_ITEM = re.compile(r"^[ \t]*@\s*(\w+)\s*[{(]\s*([^,\s]*)", re.MULTILINE)
#: BibTeX items that are not entries and have no key
_NOT_ENTRIES = ("comment", "string", "preamble")


def bibliography(review, methods_bib: Path = paths.METHODS_BIB) -> str:
    """The included trials' references (data/) and then the methods references (report/); an
    entry whose key the data's file already holds (``review.bibliography``, as the data reader
    parsed it) is left out: the data's version wins."""
    data_text = review.bibliography_file.read_text(encoding="utf-8-sig").rstrip() + "\n"
    seen = set(review.bibliography)
    methods_text = methods_bib.read_text(encoding="utf-8")
    items = list(_BIB_ITEM.finditer(methods_text))
    ends = [m.start() for m in items[1:]] + [len(methods_text)]
    kept = [
        methods_text[item.start() : end].rstrip() + "\n"
        for item, end in zip(items, ends, strict=True)
        if item.group(1).lower() in _NOT_ENTRIES or item.group(2) not in seen
    ]
    return data_text + "\n" + "\n".join(kept)


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
        write_sections(data_dir, tmp, log)
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
