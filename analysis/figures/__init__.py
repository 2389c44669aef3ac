"""Publication figures, each a function of the computed results (results.json's dicts), never of
raw files.

Entry point for the build::

    make_figures(results, out_dir, *, terms=None, settings=None, dpi=300, funnel_min_k=10,
                 formats=("svg", "png"), cache_dir=None, workers=None) -> list[FigureFile]

writes, into ``out_dir``, SVG (text kept as text) and PNG (300 dpi) — or only the ``formats``
asked for — of

- ``forest-<outcome>``: forest plot of each outcome with studies, with the RoB 2 dots when
  ``risk_of_bias`` is given; ``forest-<outcome>-by-<variable>``: one per subgroup analysis in the
  outcome's ``subgroup_analyses`` (or its ``subgroups``);
- ``funnel-<outcome>`` and ``funnel-contour-<outcome>``: funnel plot and contour-enhanced funnel
  plot (trim-and-fill studies from ``outcome["bias"]["trimfill"]`` drawn hollow), for outcomes
  with at least ``FUNNEL_MIN_K`` = 3 studies (captions carry the Cochrane caveat below 10);
- ``rob-traffic-light`` and ``rob-summary`` (when there are RoB 2 judgments), plus
  ``rob-traffic-light-<outcome>`` for outcomes with outcome-specific judgments;
- ``prisma-flow`` (when ``prisma`` is given).

The figures are drawn in parallel, one worker process per core, and with ``cache_dir`` only
those whose inputs changed are redrawn (:mod:`analysis.figures.cache`).

Each :class:`~analysis.figures.output.FigureFile` carries the paths, a caption and alt text
(``to_dict()`` gives file names relative to ``out_dir``). With synthetic per-study data
(``review.labelling.synthetic_data``) captions say so; with illustrative PRISMA counts the flow
diagram's caption says that.

The single figures: :func:`~analysis.figures.forest.forest_plot`,
:func:`~analysis.figures.funnel.funnel_plot`, :func:`~analysis.figures.rob.traffic_light_plot`,
:func:`~analysis.figures.rob.summary_plot`, :func:`~analysis.figures.prisma.prisma_flow`, saved
with :func:`~analysis.figures.output.save_figure`. Look, sizes and determinism settings live in
:mod:`analysis.figures.style`; numbers are formatted by :mod:`analysis.text` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from analysis.figures.cache import FigureCache, draw_cached, draw_job, run_parallel
from analysis.figures.forest import forest_caption, forest_plot
from analysis.figures.funnel import funnel_caption, funnel_plot
from analysis.figures.output import FORMATS, FigureFile, save_figure
from analysis.figures.prisma import PRISMA_CITES, prisma_caption, prisma_flow
from analysis.figures.rob import rob_caption, rob_for_outcome, summary_plot, traffic_light_plot
from analysis.figures.style import PNG_DPI
from analysis.stats.small_study import MIN_STUDIES_FOR_FUNNEL
from analysis.text import data_are_synthetic, respell, synthetic_note
from analysis.vocabulary import ILLUSTRATIVE_PARTS, LANGUAGES

#: funnel plots only with at least this many studies: with fewer, asymmetry cannot be told
#: from chance (Sterne et al. 2011, BMJ 343:d4002)
FUNNEL_MIN_K = MIN_STUDIES_FOR_FUNNEL
ILLUSTRATIVE_PRISMA_NOTE = " Example review: the counts of this flow are illustrative."
_STEM_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _slug(text: str) -> str:
    """A file-name-safe form of an id ("msc source" -> "msc-source")."""
    slug = _STEM_SAFE.sub("-", str(text)).strip("-")
    if not slug:
        raise ValueError(f"cannot make a figure file name from {text!r}")
    return slug


def _subgroup_analyses(outcome: dict) -> list[dict]:
    analyses = list((outcome.get("subgroup_analyses") or {}).values())
    if outcome.get("subgroups"):
        analyses.append(outcome["subgroups"])
    return [a for a in analyses if a and a.get("levels")]


@dataclass(frozen=True)
class FigureJob:
    """One figure to make: its file stem, the drawing function (a key of :data:`DRAWERS`) with
    its arguments — the figure's whole input, which its cache key hashes — and its caption and
    alt text."""

    stem: str
    draw: str
    args: tuple
    kwargs: dict
    caption: str
    alt: str
    cites: tuple[str, ...] = ()

    @property
    def inputs(self) -> dict:
        return {"args": list(self.args), "kwargs": self.kwargs}


#: the drawing functions a :class:`FigureJob` names
DRAWERS = {
    "forest": forest_plot,
    "funnel": funnel_plot,
    "rob-traffic-light": traffic_light_plot,
    "rob-summary": summary_plot,
    "prisma": prisma_flow,
}


def figure_jobs(
    results: dict,
    *,
    terms: dict | None = None,
    settings: dict | None = None,
    funnel_min_k: int = FUNNEL_MIN_K,
) -> list[FigureJob]:
    """Every figure of ``results`` (the results.json dict) as a :class:`FigureJob`, in the order
    of the module docstring; nothing is drawn yet. ``settings`` overrides the forest plot's
    defaults (:data:`analysis.figures.forest.DEFAULT_SETTINGS`); the prediction interval is shown
    as ``review.analysis.prediction_interval`` says (default: shown). Funnel plots are made for
    outcomes with at least ``funnel_min_k`` studies. ``terms`` (default: the review's
    vocabulary, review.yml ``vocabulary`` in results.json) name the arms: ``intervention_arm``
    and ``comparator_arm`` label the forest plots' columns, their "Favours …" labels and
    captions."""
    review = results.get("review") or {}
    labelling = review.get("labelling") or {  # results.json of an older build
        "synthetic_data": bool(review.get("example")),
        "illustrative": list(ILLUSTRATIVE_PARTS) if review.get("example") else [],
    }
    note = " " + synthetic_note(review) if data_are_synthetic(review) else ""
    prisma_note = ILLUSTRATIVE_PRISMA_NOTE if "prisma" in labelling["illustrative"] else ""
    analysis_settings = review.get("analysis") or {}
    terms = terms or review.get("vocabulary")
    arm_labels = {}
    if terms:
        arm_labels = {
            "experimental_label": terms["intervention_arm"],
            "control_label": terms["comparator_arm"],
        }
    language = review.get("language", LANGUAGES[0])
    settings = {
        "prediction_interval": analysis_settings.get("prediction_interval", True),
        "language": language,
        **arm_labels,
        **(settings or {}),
    }
    rob = results.get("risk_of_bias") or []
    jobs: list[FigureJob] = []

    def add(stem, draw, args, kwargs, caption_alt, label=None, cites=()):
        caption, alt = (respell(words, language) for words in caption_alt)
        caption += note if label is None else label
        jobs.append(FigureJob(stem, draw, tuple(args), kwargs, caption, alt, cites))

    for outcome in results.get("outcomes") or []:
        if not outcome.get("studies") or not outcome.get("pooled"):
            continue
        oid = _slug(outcome["id"])
        plain = {key: value for key, value in outcome.items() if key != "subgroups"}
        forest = {"rob": rob or None, "settings": settings}
        add(f"forest-{oid}", "forest", [plain], forest, forest_caption(plain, settings))
        for analysis in _subgroup_analyses(outcome):
            add(
                f"forest-{oid}-by-{_slug(analysis.get('variable', 'subgroup'))}",
                "forest",
                [plain],
                {**forest, "subgroups": analysis},
                forest_caption(plain, settings, subgroups=analysis),
            )
        if len(outcome["studies"]) >= funnel_min_k:
            add(f"funnel-{oid}", "funnel", [outcome], {}, funnel_caption(outcome))
            add(
                f"funnel-contour-{oid}",
                "funnel",
                [outcome],
                {"contour": True},
                funnel_caption(outcome, contour=True),
            )
    if rob:
        k = len(rob_for_outcome(rob, None))
        if k:
            add("rob-traffic-light", "rob-traffic-light", [rob], {}, rob_caption("traffic", k))
            add("rob-summary", "rob-summary", [rob], {}, rob_caption("summary", k))
        specific = dict.fromkeys(e["outcome"] for e in rob if e.get("outcome"))
        labels = {o["id"]: o.get("label", o["id"]) for o in results.get("outcomes") or []}
        for outcome_id in specific:
            k = len(rob_for_outcome(rob, outcome_id))
            add(
                f"rob-traffic-light-{_slug(outcome_id)}",
                "rob-traffic-light",
                [rob],
                {"outcome": outcome_id},
                rob_caption("traffic", k, labels.get(outcome_id, outcome_id)),
            )
    if results.get("prisma"):
        prisma = results["prisma"]
        add(
            "prisma-flow", "prisma", [prisma], {}, prisma_caption(prisma), prisma_note, PRISMA_CITES
        )
    return jobs


def make_figures(
    results: dict,
    out_dir,
    *,
    terms: dict | None = None,
    settings: dict | None = None,
    dpi: int = PNG_DPI,
    funnel_min_k: int = FUNNEL_MIN_K,
    formats: tuple[str, ...] = FORMATS,
    cache_dir=None,
    workers: int | None = None,
    log=None,
) -> list[FigureFile]:
    """Make and save every figure of ``results`` (see :func:`figure_jobs` for ``terms``,
    ``settings`` and ``funnel_min_k``) in ``formats`` (SVG and PNG by default). The figures are
    drawn in parallel (``workers`` processes, default one per core). With ``cache_dir``, a
    figure whose inputs are unchanged is copied from the content-addressed cache there instead
    of being redrawn (:mod:`analysis.figures.cache`); ``log`` then hears how many were redrawn."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = figure_jobs(results, terms=terms, settings=settings, funnel_min_k=funnel_min_k)
    if cache_dir is not None:
        sizes, drawn = draw_cached(jobs, FigureCache(cache_dir), out_dir, formats, dpi, workers)
        if log:
            log(f"  figures: {len(drawn)} of {len(jobs)} redrawn, the others from the cache")
    else:
        calls = [(job, str(out_dir), job.stem, formats, dpi) for job in jobs]
        sizes = run_parallel(draw_job, calls, workers, names=[job.stem for job in jobs])
    return [
        FigureFile(
            stem=job.stem,
            svg=out_dir / f"{job.stem}.svg",
            png=out_dir / f"{job.stem}.png",
            caption=job.caption,
            alt=job.alt,
            width_mm=width,
            height_mm=height,
            cites=job.cites,
        )
        for job, (width, height) in zip(jobs, sizes, strict=True)
    ]


__all__ = [
    "FigureFile",
    "FigureJob",
    "figure_jobs",
    "forest_plot",
    "funnel_plot",
    "make_figures",
    "prisma_flow",
    "save_figure",
    "summary_plot",
    "traffic_light_plot",
]
