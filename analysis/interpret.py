"""Every judgement the manuscript's words make, computed once from results.json's numbers.

The text (templates), the tables, the figures and GRADE (:mod:`analysis.grade`) read these
decisions from results.json (``outcomes[i].decisions`` and the top-level ``decisions``); none
of them compares a number with a threshold itself. Thresholds:

* significance: the confidence interval excludes no effect (0 on the analysis scale);
* size of an SMD: Cohen (1988), |d| ≥ 0.2 small, ≥ 0.5 moderate, ≥ 0.8 large;
* heterogeneity: Higgins et al. (2003), I² ≥ 25% low, ≥ 50% moderate, ≥ 75% high;
* small-study asymmetry: Egger's test p < :data:`ASYMMETRY_PVAL` = 0.10 (Egger et al. 1997,
  who chose 0.10 for the test's low power); the tests are informative with at least
  :data:`~analysis.stats.small_study.MIN_STUDIES_FOR_TESTS` = 10 trials (Cochrane Handbook
  §13.3.5.4);
* influence: leaving a trial out moves the estimate outside the CI of all trials, changes the
  conclusion of the test at the review's alpha, or meets one of metafor's ``influence()``
  criteria (Viechtbauer & Cheung 2010): |DFFITS| > 3√(1/(k − 1)), Cook's distance above the
  median of χ²(1), hat value > 3/k, |DFBETAS| > 1;
* adverse events named in the text: reported by at least :data:`COMMON_EVENT_SHARE` of the
  trials with adverse-event data and occurred at least once; an adverse-event signal (named in
  the abstract): the Mantel–Haenszel risk ratio's CI excludes 1;
* conclusions: GRADE's informative statements by certainty (Santesso et al. 2020): high
  "reduces", moderate "probably reduces", low "may reduce", very low "the evidence is very
  uncertain about the effect"; an effect whose CI includes no effect is worded "little or no
  difference" at high to low certainty;
* unbalanced arms (Peto's odds ratio can be biased, Cochrane Handbook §10.4.4.2): a trial whose
  larger arm has at least :data:`UNBALANCED_RATIO` times the participants of the smaller;
* skewed continuous data (Altman & Bland 1996): an arm whose mean is below
  :data:`SKEW_SD_MULTIPLE` standard deviations, for an outcome that cannot be negative;
* thin data: meta-regression with fewer than :data:`MIN_TRIALS_PER_COVARIATE` trials per
  covariate (Cochrane Handbook §10.11.5.1); subgroups of :data:`SMALL_SUBGROUP` trials or fewer.

References
----------
Cohen J (1988). Statistical power analysis for the behavioral sciences. 2nd ed. Erlbaum.
Higgins JPT, Thompson SG, Deeks JJ, Altman DG (2003). Measuring inconsistency in
meta-analyses. BMJ 327:557-560.
Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a
simple, graphical test. BMJ 315:629-634.
Viechtbauer W, Cheung MW-L (2010). Outlier and influence diagnostics for meta-analysis. Res
Synth Methods 1(2):112-125.
Santesso N, Glenton C, Dahm P, et al. (2020). GRADE guidelines 26: informative statements to
communicate the findings of systematic reviews of interventions. J Clin Epidemiol 119:126-135.
Altman DG, Bland JM (1996). Detecting skewness from summary information. BMJ 313:1200.
"""

from __future__ import annotations

import math
import re

from analysis.stats.distributions import chi2_ppf
from analysis.stats.small_study import MIN_STUDIES_FOR_TESTS
from analysis.vocabulary import RATIO_MEASURES

#: Cohen (1988) conventional thresholds for |SMD|
SMD_THRESHOLDS = ((0.8, "large"), (0.5, "moderate"), (0.2, "small"))
#: Higgins et al. (2003) tentative labels for I² (%)
I2_THRESHOLDS = ((75, "high"), (50, "moderate"), (25, "low"))
#: the word for I² below the lowest threshold
I2_BELOW_THRESHOLDS = "very low"
#: Egger's test suggests small-study asymmetry below this p (Egger et al. 1997)
ASYMMETRY_PVAL = 0.10
#: interval keys of a pooled dict
BOUNDS = ("estimate", "ci_lower", "ci_upper")
#: adverse events named in the text: reported by at least this share of the trials
COMMON_EVENT_SHARE = 0.5
#: GRADE certainty -> strength of the informative statement (Santesso et al. 2020)
STATEMENT_STRENGTH = {
    "high": "certain",
    "moderate": "probable",
    "low": "possible",
    "very low": "very_uncertain",
}
#: a trial is unbalanced when its larger arm has at least this many times the smaller's size
UNBALANCED_RATIO = 1.5
#: Altman & Bland (1996): mean below this many SDs suggests skew in a non-negative quantity
SKEW_SD_MULTIPLE = 2.0
#: Cochrane Handbook §10.11.5.1: meta-regression needs at least this many trials per covariate
MIN_TRIALS_PER_COVARIATE = 10
#: subgroups with this many trials or fewer are flagged as thin
SMALL_SUBGROUP = 2
#: an outcome whose label or definition names adverse events (the abstract then names them once)
ADVERSE_OUTCOME = re.compile(r"\badverse (events?|effects?|reactions?)\b", re.IGNORECASE)
#: a review.yml ``registration`` that says there is none ("not registered", "none")
NOT_REGISTERED = re.compile(
    r"\b(not|never|un)\s*-?\s*registered\b|^\s*(none|no|n/?a|not reported)\s*\.?\s*$",
    re.IGNORECASE,
)


def smd_size(smd: float) -> str:
    """Size of an SMD by Cohen's thresholds: "large", "moderate", "small" or "negligible"."""
    for threshold, word in SMD_THRESHOLDS:
        if abs(smd) >= threshold:
            return word
    return "negligible"


def heterogeneity_level(i2_pct: float | None) -> str:
    """Heterogeneity from I² (%): "high", "moderate", "low", "very low" or "not estimable"."""
    if i2_pct is None or (isinstance(i2_pct, float) and math.isnan(i2_pct)):
        return "not estimable"
    for threshold, word in I2_THRESHOLDS:
        if i2_pct >= threshold:
            return word
    return I2_BELOW_THRESHOLDS


def excludes_null(lower: float, upper: float) -> bool:
    """Whether an interval on the analysis scale (log for ratios) lies wholly on one side of 0."""
    return lower > 0 or upper < 0


def effect(pooled: dict, lower_is_better: bool) -> dict:
    """``significant`` (the CI excludes no effect), ``direction`` ("lower"/"higher"/None),
    ``favours`` ("intervention"/"control", only when significant), ``size`` (Cohen's class of
    an SMD, else None) and ``size_reported`` (a significant SMD: the text names its size)."""
    est = pooled["estimate"]
    significant = excludes_null(pooled["ci_lower"], pooled["ci_upper"])
    direction = None if est == 0 else ("lower" if est < 0 else "higher")
    favours = None
    if significant:
        favours = "intervention" if (direction == "lower") == lower_is_better else "control"
    size = smd_size(est) if pooled["measure"] == "SMD" else None
    return {
        "significant": significant,
        "direction": direction,
        "favours": favours,
        "size": size,
        "size_reported": bool(size) and significant,
    }


def heterogeneity(pooled: dict, model: str) -> dict:
    """``assessable`` (at least two trials), ``reported`` (a random-effects tau² to report) and
    ``level`` (Higgins et al. 2003)."""
    assessable = pooled["k"] >= 2
    return {
        "assessable": assessable,
        "reported": assessable and pooled["tau2"] is not None and model != "common",
        "level": heterogeneity_level(pooled["i2"]),
    }


def prediction(pooled: dict, favours: str | None) -> dict:
    """``available`` (k ≥ 3), ``too_few_trials`` (k < 3), ``includes_null`` (None without an
    interval), ``side`` ("below"/"above" no effect when it excludes it, else None),
    ``null_value`` (no effect as printed: 1 for ratio measures, else 0) and
    ``benefit_expected`` (favours the intervention and excludes no effect)."""
    lower, upper = pooled.get("pi_lower"), pooled.get("pi_upper")
    available = lower is not None and upper is not None
    includes = None if not available else not excludes_null(lower, upper)
    side = None
    if includes is False:
        side = "below" if upper < 0 else "above"
    return {
        "available": available,
        "too_few_trials": pooled["k"] < 3,
        "includes_null": includes,
        "side": side,
        "null_value": 1 if pooled.get("measure") in RATIO_MEASURES else 0,
        "benefit_expected": favours == "intervention" and includes is False,
    }


def small_study(k: int, bias: dict | None) -> dict:
    """``examined`` (k ≥ 3 and Egger's test done), ``threshold`` (:data:`ASYMMETRY_PVAL`),
    ``asymmetry_suggested`` (Egger p below it; None when not examined), ``informative``
    (k ≥ 10: GRADE may rate down on it) and ``trimfill_imputed`` (trim-and-fill added trials)."""
    egger = (bias or {}).get("egger")
    trimfill = (bias or {}).get("trimfill")
    examined = k >= 3 and egger is not None
    return {
        "examined": examined,
        "too_few_trials": k < 3,
        "threshold": ASYMMETRY_PVAL,
        "asymmetry_suggested": egger["pval"] < ASYMMETRY_PVAL if examined else None,
        "informative": k >= MIN_STUDIES_FOR_TESTS,
        "trimfill_imputed": bool(trimfill and trimfill["k0"]),
    }


def influence_criteria(index: int, pooled: dict, sensitivity: dict, alpha: float) -> list[dict]:
    """The criteria trial ``index`` meets (module docstring), each ``{"criterion", "value",
    "limit"}`` (value and limit None for the two leave-one-out criteria)."""
    loo, diag = sensitivity["leave1out"], sensitivity.get("influence")
    met = []
    if not pooled["ci_lower"] <= loo["estimate"][index] <= pooled["ci_upper"]:
        met.append({"criterion": "estimate_outside_ci", "value": None, "limit": None})
    if (loo["pval"][index] < alpha) != (pooled["pval"] < alpha):
        met.append({"criterion": "significance_changed", "value": None, "limit": None})
    if diag:
        k = len(diag["hat"])
        limits = {
            "dffits": (abs(diag["dffits"][index]), 3 * math.sqrt(1 / (k - 1))),
            "cook_d": (diag["cook_d"][index], float(chi2_ppf(0.5, 1))),
            "hat": (diag["hat"][index], 3 / k),
            "dfbetas": (abs(diag["dfbetas"][index]), 1.0),
        }
        met += [
            {"criterion": name, "value": value, "limit": limit}
            for name, (value, limit) in limits.items()
            if value > limit
        ]
    return met


def influence(pooled: dict, sensitivity: dict | None, alpha: float) -> dict | None:
    """Leave-one-out decisions: ``influential`` [{``label``, ``criteria``, the estimate without
    the trial (``estimate``, ``ci_lower``, ``ci_upper``, ``pval``; ``*_exp`` twins for ratio
    measures)}], ``any`` and the range of
    the leave-one-out estimates (``estimate_min``, ``estimate_max``); None without a
    leave-one-out analysis."""
    if not sensitivity or not sensitivity.get("leave1out"):
        return None
    loo = sensitivity["leave1out"]
    ratio = pooled.get("estimate_exp") is not None
    flagged = []
    for i, label in enumerate(sensitivity["labels"]):
        criteria = influence_criteria(i, pooled, sensitivity, alpha)
        if criteria:
            without = {key: loo[key][i] for key in ("estimate", "ci_lower", "ci_upper", "pval")}
            if ratio:  # back-transformed twins, as in the pooled dict
                without.update({f"{key}_exp": math.exp(without[key]) for key in BOUNDS})
            flagged.append({"label": label, "criteria": criteria, **without})
    out = {
        "any": bool(flagged),
        "influential": flagged,
        "estimate_min": min(loo["estimate"]),
        "estimate_max": max(loo["estimate"]),
    }
    if ratio:
        out.update({f"{key}_exp": math.exp(out[key]) for key in ("estimate_min", "estimate_max")})
    return out


def statement(words: dict, certainty: str | None) -> dict:
    """The conclusion's GRADE informative statement (Santesso et al. 2020): ``certainty``
    (None when not rated), ``strength`` (``certain`` / ``probable`` / ``possible`` /
    ``very_uncertain`` for high / moderate / low / very low; None when not rated) and
    ``change`` (``reduce`` / ``increase`` when the CI excludes no effect, else
    ``little_or_no_difference``)."""
    change = "little_or_no_difference"
    if words["significant"]:
        change = "reduce" if words["direction"] == "lower" else "increase"
    return {
        "certainty": certainty,
        "strength": STATEMENT_STRENGTH.get(certainty) if certainty else None,
        "change": change,
    }


def skewed_arms(outcome: dict) -> list[dict]:
    """Arms whose mean is below :data:`SKEW_SD_MULTIPLE` SDs, for an outcome declared
    ``nonnegative`` (Altman & Bland 1996): [{``label``, ``arm`` (1 or 2)}]; empty otherwise."""
    if not outcome.get("nonnegative"):
        return []
    return [
        {"label": study["label"], "arm": arm}
        for study in outcome["studies"]
        for arm in (1, 2)
        if study.get(f"mean{arm}") is not None
        and study[f"mean{arm}"] < SKEW_SD_MULTIPLE * study[f"sd{arm}"]
    ]


def thin_data(outcome: dict) -> dict:
    """``metareg_few_trials`` (fewer than :data:`MIN_TRIALS_PER_COVARIATE` trials per covariate;
    None without meta-regression), ``small_subgroups`` ([{``variable``, ``level``, ``k``}] with
    at most :data:`SMALL_SUBGROUP` trials) and ``skewed_arms`` (:func:`skewed_arms`)."""
    metareg = outcome.get("metareg")
    few = None
    if metareg:
        few = metareg["k"] < MIN_TRIALS_PER_COVARIATE * len(metareg["moderators"])
    small = [
        {"variable": name, "level": level, "k": group["k"]}
        for name, analysis in (outcome.get("subgroup_analyses") or {}).items()
        for level, group in analysis["levels"].items()
        if group["k"] <= SMALL_SUBGROUP
    ]
    return {
        "metareg_few_trials": few,
        "small_subgroups": small,
        "skewed_arms": skewed_arms(outcome),
    }


def outcome_decisions(outcome: dict, analysis: dict, certainty: str | None = None) -> dict:
    """Every decision the text makes about one outcome (results.json ``outcomes[i].decisions``);
    ``certainty`` is the outcome's GRADE certainty (None before GRADE or without it)."""
    pooled = outcome["pooled"]
    words = effect(pooled, outcome["lower_is_better"])
    metareg = outcome.get("metareg")
    return {
        "effect": words,
        "heterogeneity": heterogeneity(pooled, analysis["model"]),
        "prediction": prediction(pooled, words["favours"]),
        "small_study": small_study(outcome["k"], outcome.get("bias")),
        # leave-one-out refits compare with the model they refit (an inverse-variance refit
        # for Mantel–Haenszel and Peto outcomes)
        "influence": influence(
            outcome.get("secondary_fit") or pooled, outcome.get("sensitivity"), analysis["alpha"]
        ),
        "metareg_association": None if not metareg else metareg["qm_pval"] < analysis["alpha"],
        "statement": statement(words, certainty),
        "thin_data": thin_data(outcome),
    }


def fit_decisions(fit, lower_is_better: bool, bias: dict | None = None) -> dict:
    """:func:`outcome_decisions` for a bare fitted model (an engine ``MetaResult``) and,
    optionally, its small-study block: for callers without a results.json entry."""
    from analysis.public import pooled_to_public

    outcome = {"pooled": pooled_to_public(fit), "k": fit.k, "lower_is_better": lower_is_better}
    model = "common" if fit.method == "FE" else "random"
    return outcome_decisions({**outcome, "bias": bias}, {"model": model, "alpha": 1 - fit.level})


def common_adverse_events(adverse: dict | None) -> list[int]:
    """Indices (into ``adverse_events.events``) of the non-serious events that occurred and were
    reported by at least :data:`COMMON_EVENT_SHARE` of the trials with adverse-event data, most
    frequent first."""
    events = adverse["events"] if adverse else []
    trials = len({study for e in events for study in e["studies"]})
    common = [
        i
        for i, e in enumerate(events)
        if not e["serious"]
        and e["events1"] + e["events2"] > 0
        and e["k"] >= COMMON_EVENT_SHARE * trials
    ]
    return sorted(common, key=lambda i: -(events[i]["events1"] + events[i]["events2"]))


def adverse_event_types(adverse: dict | None) -> list[int]:
    """Indices of the non-serious event types in the order the table and the text give them:
    most events in both arms first, ties in order of first appearance."""
    events = adverse["events"] if adverse else []
    types = [i for i, e in enumerate(events) if not e["serious"]]
    return sorted(types, key=lambda i: -(events[i]["events1"] + events[i]["events2"]))


def adverse_event_signals(adverse: dict | None) -> list[int]:
    """Indices of the events whose Mantel–Haenszel risk ratio's CI excludes 1 (log scale:
    excludes 0), in :func:`adverse_event_types` order, serious events first."""
    events = adverse["events"] if adverse else []
    order = [i for i, e in enumerate(events) if e["serious"]] + adverse_event_types(adverse)
    return [
        i
        for i in order
        if events[i]["rr_mh"]
        and excludes_null(events[i]["rr_mh"]["ci_lower"], events[i]["rr_mh"]["ci_upper"])
    ]


def adverse_event_arms(adverse: dict | None) -> list[str]:
    """Per event type (``adverse_events.events`` order), the arms in which it occurred:
    "intervention", "comparator", "both" or "neither"."""
    arms = {(True, True): "both", (True, False): "intervention", (False, True): "comparator"}
    events = adverse["events"] if adverse else []
    return [arms.get((e["events1"] > 0, e["events2"] > 0), "neither") for e in events]


#: why the risk ratio is not estimable, by the arms with events (adverse.py's rules)
RR_NOT_ESTIMABLE = {
    "neither": "no_events",
    "comparator": "ratio_zero",
    "intervention": "ratio_infinite",
    "both": "all_or_none",
}


def adverse_not_estimable(adverse: dict | None) -> list[dict]:
    """Per event type, why each effect the table prints is not estimable (None when it is):
    ``rr`` "no_events" (no events in either arm), "ratio_zero" (no events in the intervention
    arm: the Mantel–Haenszel RR is 0, without a CI), "ratio_infinite" (none in the comparator
    arm) or "all_or_none" (in every trial nobody or everybody had it: no variance); ``peto``
    "no_events" or "all_or_none"."""
    events = adverse["events"] if adverse else []
    out = []
    for e, arms in zip(events, adverse_event_arms(adverse), strict=True):
        peto = None if e["or_peto"] else "no_events" if arms == "neither" else "all_or_none"
        out.append({"rr": None if e["rr_mh"] else RR_NOT_ESTIMABLE[arms], "peto": peto})
    return out


def serious_events_occurred(adverse: dict | None) -> list[int]:
    """Indices of the serious event types with at least one event, in order of appearance."""
    events = adverse["events"] if adverse else []
    return [i for i, e in enumerate(events) if e["serious"] and e["events1"] + e["events2"] > 0]


def serious_types_occurred(adverse: dict | None) -> str:
    """How many serious event types occurred, as the text words it: "none", "one", "several"."""
    n = len(serious_events_occurred(adverse))
    return "none" if n == 0 else "one" if n == 1 else "several"


def unbalanced_trials(studies: list[dict]) -> list[dict]:
    """The trials whose larger arm has at least :data:`UNBALANCED_RATIO` times the
    participants of the smaller (Peto's odds ratio may be biased: Cochrane Handbook
    §10.4.4.2): [{``label``, ``n1``, ``n2``}]."""
    return [
        {"label": s["label"], "n1": s["n1"], "n2": s["n2"]}
        for s in studies
        if max(s["n1"], s["n2"]) >= UNBALANCED_RATIO * min(s["n1"], s["n2"])
    ]


def registered(review: dict) -> bool:
    """Whether review.yml gives a registration (one not saying "not registered" or "none")."""
    text = review.get("registration") or ""
    return bool(text.strip()) and not NOT_REGISTERED.search(text)


def prespecified(review: dict) -> bool:
    """Whether the text may call the analyses prespecified: a protocol or a registration."""
    return bool((review.get("protocol") or "").strip()) or registered(review)


def adverse_event_outcomes(outcomes: list[dict]) -> list[str]:
    """Ids of the outcomes that are adverse events (:data:`ADVERSE_OUTCOME` in label or
    definition)."""
    return [
        o["id"]
        for o in outcomes
        if ADVERSE_OUTCOME.search(f"{o['label']} {o.get('definition') or ''}")
    ]


def review_decisions(
    adverse: dict | None,
    studies: list[dict] | None = None,
    review: dict | None = None,
    outcomes: list[dict] | None = None,
) -> dict:
    """results.json's top-level ``decisions``: the asymmetry threshold the text states, the
    adverse events it names (``common_adverse_events``), the order of the event types
    (``adverse_event_types``), the adverse-event signals the abstract names, the arms with
    events and why an effect is not estimable (``adverse_event_arms``,
    ``adverse_not_estimable``), the serious event types that occurred
    (``serious_events_occurred``, ``serious_types_occurred``), and the trials
    with unbalanced arms (``unbalanced_trials``, with the ``unbalanced_ratio``), whether the
    analyses were ``prespecified`` and the ``adverse_event_outcomes``."""
    return {
        "prespecified": prespecified(review or {}),
        "adverse_event_outcomes": adverse_event_outcomes(outcomes or []),
        "asymmetry_pval": ASYMMETRY_PVAL,
        "common_adverse_events": common_adverse_events(adverse),
        "common_event_share": COMMON_EVENT_SHARE,
        "adverse_event_types": adverse_event_types(adverse),
        "adverse_event_signals": adverse_event_signals(adverse),
        "adverse_event_arms": adverse_event_arms(adverse),
        "adverse_not_estimable": adverse_not_estimable(adverse),
        "serious_events_occurred": serious_events_occurred(adverse),
        "serious_types_occurred": serious_types_occurred(adverse),
        "unbalanced_trials": unbalanced_trials(studies or []),
        "unbalanced_ratio": UNBALANCED_RATIO,
        "skew_sd_multiple": SKEW_SD_MULTIPLE,
        "min_trials_per_covariate": MIN_TRIALS_PER_COVARIATE,
        "small_subgroup": SMALL_SUBGROUP,
    }


def add_decisions(results: dict) -> dict:
    """The decisions recomputed in place (and returned) from results.json's numbers: for a
    results dict whose numbers were edited (tests' variants of the example)."""
    analysis = results["review"]["analysis"]
    certainty = {g["outcome"]: g["certainty"] for g in results.get("grade") or []}
    for outcome in results["outcomes"]:
        outcome["decisions"] = outcome_decisions(outcome, analysis, certainty.get(outcome["id"]))
    review_wide = review_decisions(
        results.get("adverse_events"), results["studies"], results["review"], results["outcomes"]
    )
    results["decisions"] = {**results.get("decisions", {}), **review_wide}  # keeps grade_rules
    return results
