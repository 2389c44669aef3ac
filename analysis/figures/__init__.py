"""Publication figures, each a function of the computed results (results.json's dicts), never of
raw files.

Entry point for the build::

    make_figures(results, out_dir, *, terms=None, settings=None, dpi=300, funnel_min_k=10)
        -> list[FigureFile]

writes, into ``out_dir``, SVG (text kept as text) and PNG (300 dpi) of

- ``forest-<outcome>``: forest plot of each outcome with studies, with the RoB 2 dots when
  ``risk_of_bias`` is given; ``forest-<outcome>-by-<variable>``: one per subgroup analysis in the
  outcome's ``subgroup_analyses`` (or its ``subgroups``);
- ``funnel-<outcome>`` and ``funnel-contour-<outcome>``: funnel plot and contour-enhanced funnel
  plot (trim-and-fill studies from ``outcome["bias"]["trimfill"]`` drawn hollow), for outcomes
  with at least ``FUNNEL_MIN_K`` = 3 studies (captions carry the Cochrane caveat below 10);
- ``rob-traffic-light`` and ``rob-summary`` (when there are RoB 2 judgments), plus
  ``rob-traffic-light-<outcome>`` for outcomes with outcome-specific judgments;
- ``prisma-flow`` (when ``prisma`` is given).

Each :class:`~analysis.figures.output.FigureFile` carries the paths, a caption and alt text
(``to_dict()`` gives file names relative to ``out_dir``). With ``review.example`` true, captions
say the data are synthetic.

The single figures: :func:`~analysis.figures.forest.forest_plot`,
:func:`~analysis.figures.funnel.funnel_plot`, :func:`~analysis.figures.rob.traffic_light_plot`,
:func:`~analysis.figures.rob.summary_plot`, :func:`~analysis.figures.prisma.prisma_flow`, saved
with :func:`~analysis.figures.output.save_figure`. Look, sizes and determinism settings live in
:mod:`analysis.figures.style`; numbers are formatted by :mod:`analysis.text` only.
"""

from __future__ import annotations

import re

from analysis import progress
from analysis.figures.forest import forest_caption, forest_plot
from analysis.figures.funnel import funnel_caption, funnel_plot
from analysis.figures.output import FigureFile, save_figure
from analysis.figures.prisma import prisma_caption, prisma_flow
from analysis.figures.rob import rob_caption, rob_for_outcome, summary_plot, traffic_light_plot
from analysis.figures.style import PNG_DPI
from analysis.stats.small_study import MIN_STUDIES_FOR_FUNNEL

#: funnel plots only with at least this many studies: with fewer, asymmetry cannot be told
#: from chance (Sterne et al. 2011, BMJ 343:d4002)
FUNNEL_MIN_K = MIN_STUDIES_FOR_FUNNEL
SYNTHETIC_NOTE = " Example review: the per-study data are synthetic."
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


def make_figures(
    results: dict,
    out_dir,
    *,
    terms: dict | None = None,
    settings: dict | None = None,
    dpi: int = PNG_DPI,
    funnel_min_k: int = FUNNEL_MIN_K,
) -> list[FigureFile]:
    """Make and save every figure of ``results`` (the results.json dict); see the module
    docstring for the files. ``settings`` overrides the forest plot's defaults
    (:data:`analysis.figures.forest.DEFAULT_SETTINGS`); the prediction interval is shown as
    ``review.analysis.prediction_interval`` says (default: shown). Funnel plots are made for
    outcomes with at least ``funnel_min_k`` studies. ``terms`` (templates/terms.yml) name the
    arms: ``intervention_arm`` and ``comparator_arm`` label the forest plots' columns, their
    "Favours …" labels and captions."""
    review = results.get("review") or {}
    note = SYNTHETIC_NOTE if review.get("example") else ""
    analysis_settings = review.get("analysis") or {}
    arm_labels = {}
    if terms:
        arm_labels = {
            "experimental_label": terms["intervention_arm"],
            "control_label": terms["comparator_arm"],
        }
    settings = {
        "prediction_interval": analysis_settings.get("prediction_interval", True),
        **arm_labels,
        **(settings or {}),
    }
    rob = results.get("risk_of_bias") or []
    made: list[FigureFile] = []
    counter = progress.Counter("figures")

    def save(fig, stem, caption_alt):
        caption, alt = caption_alt
        made.append(save_figure(fig, stem, out_dir, caption + note, alt, dpi=dpi))
        counter.advance(stem)

    for outcome in results.get("outcomes") or []:
        if not outcome.get("studies") or not outcome.get("pooled"):
            continue
        oid = _slug(outcome["id"])
        plain = {key: value for key, value in outcome.items() if key != "subgroups"}
        save(
            forest_plot(plain, rob=rob or None, settings=settings),
            f"forest-{oid}",
            forest_caption(plain, settings),
        )
        for analysis in _subgroup_analyses(outcome):
            save(
                forest_plot(plain, rob=rob or None, settings=settings, subgroups=analysis),
                f"forest-{oid}-by-{_slug(analysis.get('variable', 'subgroup'))}",
                forest_caption(plain, settings, subgroups=analysis),
            )
        if len(outcome["studies"]) >= funnel_min_k:
            save(funnel_plot(outcome), f"funnel-{oid}", funnel_caption(outcome))
            save(
                funnel_plot(outcome, contour=True),
                f"funnel-contour-{oid}",
                funnel_caption(outcome, contour=True),
            )
    if rob:
        k = len(rob_for_outcome(rob, None))
        if k:
            save(traffic_light_plot(rob), "rob-traffic-light", rob_caption("traffic", k))
            save(summary_plot(rob), "rob-summary", rob_caption("summary", k))
        specific = dict.fromkeys(e["outcome"] for e in rob if e.get("outcome"))
        labels = {o["id"]: o.get("label", o["id"]) for o in results.get("outcomes") or []}
        for outcome_id in specific:
            k = len(rob_for_outcome(rob, outcome_id))
            save(
                traffic_light_plot(rob, outcome=outcome_id),
                f"rob-traffic-light-{_slug(outcome_id)}",
                rob_caption("traffic", k, labels.get(outcome_id, outcome_id)),
            )
    if results.get("prisma"):
        save(prisma_flow(results["prisma"]), "prisma-flow", prisma_caption(results["prisma"]))
    counter.close()
    return made


__all__ = [
    "FigureFile",
    "forest_plot",
    "funnel_plot",
    "make_figures",
    "prisma_flow",
    "save_figure",
    "summary_plot",
    "traffic_light_plot",
]
