"""``results.json``: every number the manuscript reports, assembled from the validated Review
and the engine, in the public vocabulary of :mod:`analysis.public`.

Fit apart from use: this module fits and collects; the templates word and the figures draw,
both from the dict returned by :func:`assemble_results` (the schema is documented in README.md,
section "results.json").
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata

import numpy as np

from analysis import paths
from analysis.adverse import analyse_adverse_events
from analysis.data.schema import OutcomeSpec, Review
from analysis.errors import AnalysisError
from analysis.grade import GradeRules, grade_review_outcome
from analysis.interpret import outcome_decisions, review_decisions
from analysis.public import clean_number, pooled_to_public, to_public
from analysis.stats.binary_pooling import mantel_haenszel, peto
from analysis.stats.distributions import norm_ppf
from analysis.stats.effect_sizes import EffectSizes, binary, md, smd
from analysis.stats.metareg import meta_regression
from analysis.stats.pooling import MetaResult, rma
from analysis.stats.sensitivity import sensitivity_analysis
from analysis.stats.small_study import (
    EggerTest,
    begg_test,
    egger_test,
    small_study_caveat,
    trim_and_fill,
)
from analysis.stats.subgroups import subgroup_analysis
from analysis.vocabulary import RATIO_MEASURES, TABLE_METHODS

#: results.json schema version: bump when a key is renamed or removed
SCHEMA_VERSION = 1
#: packages whose versions are recorded in the provenance block
RECORDED_PACKAGES = ("metabuild", "numpy", "scipy", "matplotlib", "jinja2", "pyyaml")


def input_hash(review: Review) -> str:
    """sha256 over the input files, each contributing its name and its bytes, in name order."""
    digest = hashlib.sha256()
    for path in sorted(review.input_files, key=lambda p: p.name):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def package_versions() -> dict:
    """Installed versions of the packages the numbers depend on, and Python's."""
    versions = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def provenance(review: Review) -> dict:
    return {
        "generated_by": "python -m analysis build",
        "data_folder": paths.data_folder(review.data_dir),
        "schema_version": SCHEMA_VERSION,
        "packages": package_versions(),
        "input_hash": input_hash(review),
        "input_files": sorted(p.name for p in review.input_files),
        "settings": review.analysis.to_dict(),
    }


def effect_sizes(spec: OutcomeSpec, rows) -> EffectSizes:
    """Per-study yi, vi of one outcome (Hedges' g for SMD; log scale for RR and OR)."""
    column = lambda name: [getattr(r, name) for r in rows]  # noqa: E731
    if spec.is_binary:
        return binary(
            spec.measure, column("events1"), column("n1"), column("events2"), column("n2")
        )
    compute = smd if spec.measure == "SMD" else md
    return compute(
        column("n1"), column("mean1"), column("sd1"), column("n2"), column("mean2"), column("sd2")
    )


def fit_outcome(review: Review, spec: OutcomeSpec) -> MetaResult:
    """The outcome's pooled model: its 2×2-table method (Mantel–Haenszel, Peto) when it names
    one, else the review's inverse-variance model."""
    if spec.method in TABLE_METHODS:
        rows = review.data_for(spec.id)
        tables = [[getattr(r, c) for r in rows] for c in ("events1", "n1", "events2", "n2")]
        if spec.method == "MH":
            return mantel_haenszel(*tables, measure=spec.measure, level=review.analysis.level)
        return peto(*tables, level=review.analysis.level)
    return inverse_variance_fit(review, spec)


def inverse_variance_fit(review: Review, spec: OutcomeSpec) -> MetaResult:
    """The outcome pooled by inverse variance with the review's model: the main fit, or the
    refit on which the secondary analyses of a Mantel–Haenszel or Peto outcome rest."""
    es = effect_sizes(spec, review.data_for(spec.id))
    settings = review.analysis
    return rma(
        es.yi,
        es.vi,
        method=settings.method,
        ci_method=settings.ci_method,
        level=settings.level,
        measure=spec.measure,
    )


def study_rows(review: Review, spec: OutcomeSpec, fit: MetaResult) -> list[dict]:
    """Per-study data with yi, vi, its Wald CI (yi ± z·√vi) and its weight in the pooled model."""
    z = float(norm_ppf(1 - (1 - review.analysis.level) / 2))
    rows = []
    for row, yi, vi, weight in zip(
        review.data_for(spec.id), fit.yi, fit.vi, fit.weights_pct, strict=True
    ):
        data = row.to_dict()
        keep = (
            ("n1", "n2", "events1", "events2")
            if spec.is_binary
            else ("n1", "mean1", "sd1", "n2", "mean2", "sd2")
        )
        entry = {
            "study_id": row.study_id,
            "label": review.study(row.study_id).label,
            **{key: data[key] for key in keep},
            "change": row.change,
            "yi": clean_number(yi),
            "vi": clean_number(vi),
            "ci_lower": clean_number(yi - z * np.sqrt(vi)),
            "ci_upper": clean_number(yi + z * np.sqrt(vi)),
            "weight_percent": clean_number(weight),
            "conversion": row.conversion_text,
        }
        if spec.measure in ("RR", "OR"):
            for key in ("yi", "ci_lower", "ci_upper"):
                entry[f"{key}_exp"] = float(np.exp(entry[key]))
        rows.append(entry)
    return rows


@contextmanager
def _setting_named(spec: OutcomeSpec, key: str, columns) -> Iterator[None]:
    """An analysis the data do not allow names where it was asked for: the outcome, the key of
    review.yml and the columns of studies.csv it reads."""
    try:
        yield
    except AnalysisError as error:
        raise AnalysisError(
            f"review.yml, key '{key}' ({', '.join(columns)}, columns of studies.csv), outcome "
            f"'{spec.id}': {error}"
        ) from None


def secondary_analyses(review: Review, spec: OutcomeSpec, fit: MetaResult) -> dict:
    """Subgroups, meta-regression and sensitivity analyses of one outcome, as review.yml's
    analysis settings ask for them (None or empty when not asked for).

    ``subgroup_analyses`` maps each subgroup variable to its analysis; the key ``subgroups``
    (one analysis, drawn as a subgrouped forest plot) is left to the figures."""
    settings = review.analysis
    studies = [review.study(row.study_id) for row in review.data_for(spec.id)]
    labels = [s.label for s in studies]
    options = {"method": settings.method, "ci_method": settings.ci_method, "level": settings.level}
    subgroups = {}
    for var in settings.subgroups:
        with _setting_named(spec, "analysis.subgroups", [var]):
            subgroups[var] = to_public(
                subgroup_analysis(
                    fit.yi,
                    fit.vi,
                    [s.get(var) for s in studies],
                    measure=spec.measure,
                    variable=var,
                    **options,
                )
            )
    metareg = None
    if settings.moderators and fit.k > len(settings.moderators) + 1:
        with _setting_named(spec, "analysis.moderators", settings.moderators):
            metareg = to_public(
                meta_regression(
                    fit.yi,
                    fit.vi,
                    {m: [s.get(m) for s in studies] for m in settings.moderators},
                    method=settings.method,
                    ci_method=settings.ci_method,
                    level=settings.level,
                )
            )
    if metareg is not None and spec.measure in RATIO_MEASURES:
        for c in metareg["coefficients"].values():  # ratio per unit of the moderator
            c.update(
                {
                    f"{key}_exp": float(np.exp(c[key]))
                    for key in ("estimate", "ci_lower", "ci_upper")
                }
            )
    for var, analysis in subgroups.items():
        analysis["label"] = next((c.label for c in review.characteristics if c.column == var), None)
    sensitivity = None
    if settings.sensitivity:
        rob = [review.rob_for(s.study_id, spec.id) for s in studies]
        overall = [None if r is None else r.overall for r in rob]
        with_rob = "exclude_high_risk" in settings.sensitivity
        sensitivity = to_public(sensitivity_analysis(fit, labels, overall if with_rob else None))
    return {"subgroup_analyses": subgroups, "metareg": metareg, "sensitivity": sensitivity}


def egger_or_reason(fit: MetaResult) -> tuple[EggerTest | None, str | None]:
    """Egger's test, or None and the reason the data do not allow it (fewer than 3 studies,
    equal sampling variances)."""
    try:
        return egger_test(fit), None
    except AnalysisError as error:
        return None, str(error)


def small_study_effects(fit: MetaResult, egger: EggerTest | None, reason: str | None) -> dict:
    """Egger, Begg and trim-and-fill for one outcome, with the Cochrane caveat below ten studies
    (reported, not suppressed: the caveat travels with the numbers). Without Egger's test
    (``egger`` None, ``reason`` why) or when Begg's test or trim-and-fill cannot be done, the
    three are None and ``note`` states why."""
    bias = {"caveat": small_study_caveat(fit.k), "egger": None, "begg": None, "trimfill": None}
    if egger is None:
        return {**bias, "note": reason}
    try:
        return {
            **bias,
            "egger": to_public(egger),
            "begg": to_public(begg_test(fit)),
            "trimfill": to_public(trim_and_fill(fit)),
        }
    except AnalysisError as error:
        return {**bias, "note": str(error)}


def outcome_result(review: Review, spec: OutcomeSpec) -> tuple[dict, dict]:
    """One entry of results.json ``outcomes`` and its GRADE row (``grade``).

    The secondary analyses (leave-one-out, small-study tests, subgroups, meta-regression) are
    inverse-variance methods: for a Mantel–Haenszel or Peto outcome they rest on an
    inverse-variance refit with the review's model, recorded as ``secondary_fit`` (the text
    says so)."""
    fit = fit_outcome(review, spec)
    iv_fit = fit if spec.method not in TABLE_METHODS else inverse_variance_fit(review, spec)
    egger, reason = egger_or_reason(iv_fit)
    outcome = {
        **spec.to_dict(),
        "k": fit.k,
        "participants": sum(r.n1 + r.n2 for r in review.data_for(spec.id)),
        "studies": study_rows(review, spec, fit),
        "pooled": pooled_to_public(fit),
        "secondary_fit": None if iv_fit is fit else pooled_to_public(iv_fit),
        **secondary_analyses(review, spec, iv_fit),
        "bias": small_study_effects(iv_fit, egger, reason),
    }
    settings = review.analysis.to_dict()
    if spec.method in TABLE_METHODS:
        settings["model"] = "common"  # MH and Peto are common-effect methods
    outcome["decisions"] = outcome_decisions(outcome, settings)
    grade = grade_review_outcome(review, spec.id, fit, outcome)
    # the conclusion's statement needs GRADE's certainty, which reads the other decisions
    outcome["decisions"] = outcome_decisions(outcome, settings, grade.certainty)
    return outcome, grade.to_dict()


def risk_of_bias(review: Review) -> list[dict]:
    labels = {s.study_id: s.label for s in review.studies}
    return [{"label": labels[r.study_id], **r.to_dict()} for r in review.risk_of_bias]


RATINGS = ("low", "some concerns", "high")


def _tally(values) -> list[list]:
    """[value, count] pairs, most frequent first, ties in order of first appearance."""
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return [[value, n] for value, n in sorted(counts.items(), key=lambda item: -item[1])]


def rob_summary(review: Review) -> dict:
    """Overall RoB 2 judgments per level (study-wide rows, else the primary outcome's) and the
    domains with the most judgments other than low risk (``most_concerns_domains``: every
    domain tied at the most, in D1–D5 order; empty when every judgment is low)."""
    rows = [r for r in review.risk_of_bias if r.outcome is None]
    if not rows:
        primary = next((o.id for o in review.outcomes if o.primary), None)
        rows = [r for r in review.risk_of_bias if r.outcome == primary]
    overall = [r.overall for r in rows]
    concerns = {
        d: sum(getattr(r, d) != "low" for r in rows) for d in ("d1", "d2", "d3", "d4", "d5")
    }
    most = max(concerns.values()) if rows else 0
    return {
        "assessed": len(rows),
        **{level.replace(" ", "_"): overall.count(level) for level in RATINGS},
        "most_concerns_domains": [d for d, n in concerns.items() if most and n == most],
        "most_concerns_count": most,
    }


def _median(values: list[float]) -> float:
    values = sorted(values)
    half = len(values) // 2
    return float(values[half] if len(values) % 2 else (values[half - 1] + values[half]) / 2)


def summary(review: Review) -> dict:
    """The totals and tallies the text reports, so every number in it is in results.json."""
    studies = review.studies
    prisma = review.prisma
    return {
        "studies": len(studies),
        "participants": review.total_participants,
        "participants_arm1": sum(s.n1 for s in studies),
        "participants_arm2": sum(s.n2 for s in studies),
        "median_trial_size": _median([s.n for s in studies]),
        "years": [min(s.year for s in studies), max(s.year for s in studies)],
        "characteristics": [characteristic_summary(c, studies) for c in review.characteristics],
        "prisma": None
        if prisma is None
        else {
            "identified": prisma.identified,
            "excluded_full_text": sum(prisma.eligibility_excluded.values()),
            "exclusion_reasons": _tally_counts(prisma.eligibility_excluded),
        },
        "risk_of_bias": rob_summary(review),
    }


def characteristic_summary(characteristic, studies) -> dict:
    """One declared characteristic (review.yml ``characteristics``) as the text reports it:
    ``counts`` ([value, trials] pairs) or ``range`` ([lowest, highest]) over the trials that
    report it, and ``not_reported`` (trials with a blank cell)."""
    values = [s.get(characteristic.column) for s in studies]
    given = [v for v in values if v is not None]
    out = {**characteristic.to_dict(), "not_reported": len(values) - len(given)}
    if characteristic.summary == "counts":
        out["counts"] = _tally(given)
    elif characteristic.summary == "range" and given:
        out["range"] = [min(given), max(given)]
    return out


def _tally_counts(counts: dict) -> list[list]:
    return [[k, v] for k, v in sorted(counts.items(), key=lambda item: -item[1])]


def assemble_results(review: Review) -> dict:
    """The complete results.json dict (keys documented in README.md, section results.json)."""
    outcomes, grade = zip(*(outcome_result(review, spec) for spec in review.outcomes), strict=True)
    adverse = analyse_adverse_events(
        review.adverse_events, {s.study_id: s.label for s in review.studies}, review.analysis.level
    ).to_dict()
    meta = {
        **review.meta_to_dict(),
        "total_participants": review.total_participants,
        "warnings": [str(w) for w in review.warnings],
    }
    return {
        "provenance": provenance(review),
        "review": meta,
        "studies": [s.to_dict() for s in review.studies],
        "summary": summary(review),
        "outcomes": list(outcomes),
        "conversions": [c.to_dict() for c in review.conversions],
        "risk_of_bias": risk_of_bias(review),
        "prisma": review.prisma.to_dict() if review.prisma else None,
        "adverse_events": adverse,
        "grade": list(grade),
        "decisions": {
            **review_decisions(
                adverse, [s.to_dict() for s in review.studies], meta, list(outcomes)
            ),
            "grade_rules": GradeRules().to_dict(),
        },
    }
