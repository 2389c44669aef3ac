"""GRADE summary of findings: certainty of the evidence per outcome, suggested from the data
and overridable in ``grade.yml``.

Evidence from randomised trials starts at high certainty and is rated down by 0, 1 or 2 levels
per domain. The suggestions below are this project's documented, transparent rules — aids to
the reviewer's judgment, never a substitute: every one can be overridden per outcome and domain
in ``grade.yml`` (``downgrade`` and ``reason``), and the summary records whether each judgment
came from the data or from the reviewer.

Rules (``GradeRules`` holds the thresholds):

* **Risk of bias** — share of the pooled weight from trials at high overall RoB 2 risk:
  ≥ 50% → 2 levels; ≥ 25%, or ≥ 50% from trials at high risk or with some concerns → 1 level
  (Guyatt et al. 2011, GRADE guidelines 4: judge by the trials that carry the weight).
* **Inconsistency** — I² ≥ 50% with a prediction interval that includes no effect → 1 level
  (Guyatt et al. 2011, GRADE guidelines 7). Rating down by 2 needs a judgment on how far the
  trials' results conflict, so it is left to grade.yml. Not assessable with one study.
* **Imprecision** — 1 level when the CI includes no effect, 1 level when the participants fall
  short of the optimal information size (OIS), at most 2 (Guyatt et al. 2011, GRADE
  guidelines 6). OIS: two-group sample size for α = 0.05, power 0.80 to detect a relative risk
  reduction of 25% at the control risk (binary) or an SMD of 0.2 (continuous; for MD the SMD
  scaled by the pooled SD is not known, so SMD 0.2 is used on the standardized scale).
* **Publication bias** — 1 level when Egger's test suggests asymmetry (the one threshold of
  :mod:`analysis.interpret`, p < 0.10, which the Results text uses too) with at least 10
  studies; with fewer studies the tests are uninformative (Cochrane Handbook §13.3.5.4) and no
  downgrade is suggested from the data.

The judgements the rules start from (CI and prediction interval including no effect,
asymmetry suggested, the size of an SMD) are the decisions of :mod:`analysis.interpret`, stored
in results.json ``outcomes[i].decisions``: the text and GRADE read the same ones.
* **Indirectness** — from ``grade.yml`` only (default: not rated down).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.interpret import fit_decisions, smd_size
from analysis.public import clean_number
from analysis.stats.distributions import norm_ppf
from analysis.stats.pooling import MetaResult
from analysis.text import fmt_num, fmt_p

DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
DOMAIN_LABELS = {
    "risk_of_bias": "risk of bias",
    "inconsistency": "inconsistency",
    "indirectness": "indirectness",
    "imprecision": "imprecision",
    "publication_bias": "publication bias",
}
#: certainty after 0, 1, 2, ≥3 levels down from high (randomised trials)
CERTAINTY = ("high", "moderate", "low", "very low")


@dataclass(frozen=True)
class GradeRules:
    """Thresholds of the suggestion rules (module docstring)."""

    rob_high_share_two: float = 50.0
    rob_high_share_one: float = 25.0
    rob_concern_share_one: float = 50.0
    i2_one: float = 50.0
    alpha: float = 0.05
    power: float = 0.80
    rrr: float = 0.25
    smd: float = 0.2

    def to_dict(self) -> dict:
        """results.json ``decisions.grade_rules``: the thresholds the methods text states."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DomainRating:
    """One domain: levels rated down (0–2), the footnote reason, and its source."""

    domain: str
    downgrade: int
    reason: str
    source: str  # "data" (suggested) or "reviewer" (grade.yml)
    suggested: int | None = None
    #: False when the data give nothing to rate the domain on (risk of bias without
    #: judgments): the domain is then reported as "not assessed", not as "not serious"
    assessed: bool = True

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "label": DOMAIN_LABELS[self.domain],
            "assessed": self.assessed,
            "downgrade": self.downgrade,
            "reason": self.reason,
            "source": self.source,
            "suggested": self.suggested,
        }


@dataclass(frozen=True)
class AbsoluteEffect:
    """Absolute effect: per 1000 for binary outcomes, or the (S)MD itself for continuous."""

    kind: str  # "per_1000" | "mean_difference" | "smd"
    control_risk: float | None
    intervention_risk: float | None
    intervention_risk_lb: float | None
    intervention_risk_ub: float | None
    difference: float
    difference_lb: float
    difference_ub: float
    interpretation: str | None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "control_per_1000": _per_1000(self.control_risk),
            "intervention_per_1000": _per_1000(self.intervention_risk),
            "intervention_per_1000_lower": _per_1000(self.intervention_risk_lb),
            "intervention_per_1000_upper": _per_1000(self.intervention_risk_ub),
            "difference": clean_number(self.difference),
            "difference_lower": clean_number(self.difference_lb),
            "difference_upper": clean_number(self.difference_ub),
            "interpretation": self.interpretation,
        }


def _per_1000(risk):
    return None if risk is None else clean_number(1000 * risk)


@dataclass(frozen=True)
class GradeOutcome:
    """One row of the summary-of-findings table."""

    outcome: str
    label: str
    measure: str
    k: int
    participants: int
    estimate: float
    ci_lb: float
    ci_ub: float
    absolute: AbsoluteEffect
    ratings: tuple[DomainRating, ...]
    ois: float | None

    @property
    def levels_down(self) -> int:
        return sum(r.downgrade for r in self.ratings)

    @property
    def certainty(self) -> str:
        return CERTAINTY[min(self.levels_down, len(CERTAINTY) - 1)]

    def to_dict(self) -> dict:
        """results.json ``grade`` entry (one per outcome). Ratio measures are exponentiated in
        ``relative`` (RR, OR); ``footnotes`` lists the reasons of the domains rated down."""
        ratio = self.measure in ("RR", "OR")
        relative = (
            {
                "measure": self.measure,
                "estimate": float(np.exp(self.estimate)),
                "ci_lower": float(np.exp(self.ci_lb)),
                "ci_upper": float(np.exp(self.ci_ub)),
            }
            if ratio
            else None
        )
        return {
            "outcome": self.outcome,
            "label": self.label,
            "measure": self.measure,
            "k": self.k,
            "participants": self.participants,
            "estimate": clean_number(self.estimate),
            "ci_lower": clean_number(self.ci_lb),
            "ci_upper": clean_number(self.ci_ub),
            "relative": relative,
            "absolute": self.absolute.to_dict(),
            "ratings": {r.domain: r.to_dict() for r in self.ratings},
            "levels_down": self.levels_down,
            "certainty": self.certainty,
            "footnotes": [
                f"{DOMAIN_LABELS[r.domain].capitalize()}: {r.reason}"
                for r in self.ratings
                if r.downgrade > 0 or not r.assessed
            ],
            "not_assessed": [r.domain for r in self.ratings if not r.assessed],
            "optimal_information_size": clean_number(self.ois),
        }


# -- suggestions ------------------------------------------------------------------------


def suggest_risk_of_bias(
    weights_pct: Sequence[float], overall: Sequence[str | None], rules: GradeRules
) -> DomainRating:
    """Rate by the share of the pooled weight from trials at high (or some-concerns) risk."""
    weights = np.asarray(weights_pct, dtype=float)
    if len(overall) != len(weights) or all(o is None for o in overall):
        return DomainRating(
            "risk_of_bias", 0, "not assessed (no risk-of-bias judgments were given)", "data", 0,
            assessed=False,
        )  # fmt: skip
    if any(o is None for o in overall):
        return DomainRating(
            "risk_of_bias", 0, "not assessed for every trial; not rated down", "data", 0,
            assessed=False,
        )  # fmt: skip
    high = float(weights[[o == "high" for o in overall]].sum())
    concern = float(weights[[o in ("high", "some concerns") for o in overall]].sum())
    high_share = f"trials at high risk of bias carry {high:.0f}% of the weight"
    if high >= rules.rob_high_share_two:
        level, reason = 2, f"{high_share} (at least {rules.rob_high_share_two:.0f}%)"
    elif high >= rules.rob_high_share_one:
        level, reason = 1, f"{high_share} (at least {rules.rob_high_share_one:.0f}%)"
    elif concern >= rules.rob_concern_share_one:
        # rated down for the trials with some concerns: the footnote names that rule only
        level = 1
        reason = (
            f"trials with some concerns or at high risk of bias carry {concern:.0f}% of the "
            f"weight (at least {rules.rob_concern_share_one:.0f}%)"
        )
    else:
        level = 0
        reason = f"{high_share} ({concern:.0f}% with some concerns or high risk)"
    return DomainRating("risk_of_bias", level, reason, "data", level)


def suggest_inconsistency(pooled: MetaResult, decisions: dict, rules: GradeRules) -> DomainRating:
    """Rate by I² and whether the prediction interval includes no effect (``decisions``:
    the outcome's decisions of :mod:`analysis.interpret`)."""
    if pooled.k < 2 or pooled.i2_pct is None:
        return DomainRating(
            "inconsistency", 0, "a single study: inconsistency cannot be assessed", "data", 0
        )
    i2 = pooled.i2_pct
    prediction = decisions["prediction"]
    pi_text = (
        "no prediction interval (fewer than 3 studies)"
        if not prediction["available"]
        else "the prediction interval includes no effect"
        if prediction["includes_null"]
        else "the prediction interval lies wholly on one side of no effect"
    )
    reason = f"I² = {i2:.0f}%; {pi_text}"
    pi_null = prediction["includes_null"] is not False
    level = 1 if i2 >= rules.i2_one and pi_null else 0
    return DomainRating("inconsistency", level, reason, "data", level)


def optimal_information_size(measure: str, control_risk: float | None, rules: GradeRules) -> float:
    """Total participants a single adequately powered trial would need.

    Notes
    -----
    Binary: n per arm = (z₁₋α/₂ + z₁₋β)²·[p₀(1 − p₀) + p₁(1 − p₁)]/(p₀ − p₁)²,
    p₁ = p₀(1 − RRR). Continuous: n per arm = 2(z₁₋α/₂ + z₁₋β)²/δ², δ the SMD. Total = 2n.

    References
    ----------
    Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines 6. Rating the quality of
    evidence—imprecision. J Clin Epidemiol 64(12):1283-1293.
    """
    z = norm_ppf(1 - rules.alpha / 2) + norm_ppf(rules.power)
    if measure in ("RR", "OR", "RD"):
        p0 = control_risk
        p1 = p0 * (1 - rules.rrr)
        per_arm = z**2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p0 - p1) ** 2
    else:
        per_arm = 2 * z**2 / rules.smd**2
    return float(2 * np.ceil(per_arm))


def suggest_imprecision(
    decisions: dict, participants: int, ois: float | None, rules: GradeRules
) -> DomainRating:
    """One level if the CI includes no effect (not significant in ``decisions``), one if
    participants < OIS (at most two)."""
    reasons, level = [], 0
    if not decisions["effect"]["significant"]:
        level += 1
        reasons.append("the confidence interval includes no effect")
    if ois is None:
        reasons.append("optimal information size not computable (no events in the control arms)")
    elif participants < ois:
        level += 1
        reasons.append(
            f"{participants} participants, fewer than the optimal information size of {ois:.0f}"
        )
    else:
        reasons.append(
            f"{participants} participants reach the optimal information size ({ois:.0f})"
        )
    return DomainRating("imprecision", min(level, 2), "; ".join(reasons), "data", min(level, 2))


def suggest_publication_bias(k: int, egger_pval: float | None, decisions: dict) -> DomainRating:
    """One level when Egger's test suggests asymmetry (``decisions["small_study"]``) with
    k ≥ 10; the reason states the test's p and the threshold."""
    small_study = decisions["small_study"]
    if not small_study["informative"] or not small_study["examined"]:
        return DomainRating(
            "publication_bias",
            0,
            f"{k} studies: too few for tests of funnel plot asymmetry; "
            "not rated down from the data",
            "data",
            0,
        )
    level = 1 if small_study["asymmetry_suggested"] else 0
    verdict = "suggests small-study effects" if level else "gives no sign of small-study effects"
    threshold = fmt_num(small_study["threshold"], 2)
    return DomainRating(
        "publication_bias",
        level,
        f"Egger's test {fmt_p(egger_pval)} (threshold {threshold}) {verdict}",
        "data",
        level,
    )


def absolute_effect(
    measure: str, pooled: MetaResult, control_risk: float | None, lower_is_better: bool
) -> AbsoluteEffect:
    """Absolute effect for the summary of findings.

    Notes
    -----
    Binary (GRADE SoF): assumed control risk p₀ = pooled control-arm risk; intervention risk
    p₀·RR for RR; OR·p₀/(1 − p₀ + OR·p₀) for OR; p₀ + RD for RD; difference per 1000 = 1000·
    (p₁ − p₀), CI from the CI of the relative effect. Continuous: the MD or SMD with its CI;
    SMD magnitude by Cohen's rules of thumb (:func:`analysis.interpret.smd_size`: < 0.2 negligible,
    < 0.5 small, < 0.8 moderate, else large).

    References
    ----------
    Schünemann HJ, Higgins JPT, Vist GE, et al. Chapter 14: Completing 'Summary of findings'
    tables and grading the certainty of the evidence. Cochrane Handbook for Systematic Reviews
    of Interventions. Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences,
    2nd ed. Lawrence Erlbaum.
    """
    bounds = (pooled.estimate, pooled.ci_lb, pooled.ci_ub)
    if measure in ("RR", "OR", "RD"):
        p0 = control_risk

        def risk(value):
            if measure == "RR":
                return min(1.0, p0 * np.exp(value))
            if measure == "OR":
                odds = np.exp(value)
                return odds * p0 / (1 - p0 + odds * p0)
            return min(1.0, max(0.0, p0 + value))

        p1, p1_lb, p1_ub = (risk(v) for v in bounds)
        lo, hi = sorted((p1_lb, p1_ub))
        return AbsoluteEffect(
            "per_1000",
            p0,
            p1,
            lo,
            hi,
            1000 * (p1 - p0),
            1000 * (lo - p0),
            1000 * (hi - p0),
            None,
        )
    interpretation = None
    if measure == "SMD":
        size = smd_size(pooled.estimate)
        if size == "negligible":
            interpretation = "a negligible difference (|SMD| < 0.2)"
        else:
            lower = pooled.estimate < 0
            direction = "lower" if lower else "higher"
            good = lower == lower_is_better
            interpretation = (
                f"a {size} effect: values {direction} with the intervention "
                f"({'favouring' if good else 'against'} the intervention)"
            )
    return AbsoluteEffect(
        "smd" if measure == "SMD" else "mean_difference",
        None,
        None,
        None,
        None,
        *bounds,
        interpretation,
    )


# -- assembling -------------------------------------------------------------------------


def grade_outcome(
    outcome: str,
    label: str,
    measure: str,
    pooled: MetaResult,
    participants: int,
    rob_overall: Sequence[str | None],
    control_events: int | None = None,
    control_n: int | None = None,
    decisions: dict | None = None,
    egger_pval: float | None = None,
    judgments: Mapping[str, object] | None = None,
    lower_is_better: bool = True,
    rules: GradeRules | None = None,
) -> GradeOutcome:
    """Summary-of-findings row for one outcome.

    ``rob_overall`` is aligned with the pooled studies; ``control_events``/``control_n`` are
    the control-arm totals (binary outcomes); ``decisions`` the outcome's decisions of
    :mod:`analysis.interpret` (results.json ``outcomes[i].decisions``), ``egger_pval`` Egger's
    p for the footnote; ``judgments`` maps domain to an object with
    ``downgrade`` and ``reason`` (e.g. :class:`analysis.data.schema.GradeJudgment`) that
    replaces the suggestion.
    """
    rules = rules or GradeRules()
    judgments = judgments or {}
    if decisions is None:
        decisions = fit_decisions(pooled, lower_is_better)
    control_risk = None
    if measure in ("RR", "OR", "RD") and control_n:
        control_risk = control_events / control_n
    ois = (
        None
        if measure in ("RR", "OR", "RD") and not control_risk
        else optimal_information_size(measure, control_risk, rules)
    )
    suggested = {
        "risk_of_bias": suggest_risk_of_bias(pooled.weights_pct, rob_overall, rules),
        "inconsistency": suggest_inconsistency(pooled, decisions, rules),
        "indirectness": DomainRating(
            "indirectness", 0, "not assessed from the data (set in grade.yml)", "data", 0
        ),
        "imprecision": suggest_imprecision(decisions, participants, ois, rules),
        "publication_bias": suggest_publication_bias(pooled.k, egger_pval, decisions),
    }
    ratings = []
    for domain in DOMAINS:
        rating = suggested[domain]
        judgment = judgments.get(domain)
        if judgment is not None:
            rating = DomainRating(
                domain,
                int(judgment.downgrade),
                judgment.reason or "no concerns (reviewer's judgment)",
                "reviewer",
                rating.downgrade,
            )
        ratings.append(rating)
    return GradeOutcome(
        outcome=outcome,
        label=label,
        measure=measure,
        k=pooled.k,
        participants=int(participants),
        estimate=pooled.estimate,
        ci_lb=pooled.ci_lb,
        ci_ub=pooled.ci_ub,
        absolute=absolute_effect(measure, pooled, control_risk, lower_is_better),
        ratings=tuple(ratings),
        ois=ois,
    )


def grade_review_outcome(
    review, outcome_id: str, pooled: MetaResult, outcome: dict
) -> GradeOutcome:
    """:func:`grade_outcome` with its inputs taken from a loaded
    :class:`analysis.data.schema.Review` (rows in studies.csv order, as pooled) and the
    outcome's results.json entry (its ``decisions`` and Egger's test)."""
    egger = (outcome.get("bias") or {}).get("egger")
    spec = review.outcome(outcome_id)
    rows = review.data_for(outcome_id)
    rob = []
    for row in rows:
        assessment = review.rob_for(row.study_id, outcome_id)
        rob.append(None if assessment is None else assessment.overall)
    binary = spec.measure in ("RR", "OR", "RD")
    return grade_outcome(
        outcome=spec.id,
        label=spec.label,
        measure=spec.measure,
        pooled=pooled,
        participants=sum(r.n1 + r.n2 for r in rows),
        rob_overall=rob,
        control_events=sum(r.events2 for r in rows) if binary else None,
        control_n=sum(r.n2 for r in rows) if binary else None,
        decisions=outcome["decisions"],
        egger_pval=None if egger is None else egger["pval"],
        judgments=review.grade_for(outcome_id),
        lower_is_better=spec.lower_is_better,
    )
