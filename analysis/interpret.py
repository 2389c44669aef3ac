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
  trials with adverse-event data and occurred at least once.

References
----------
Cohen J (1988). Statistical power analysis for the behavioral sciences. 2nd ed. Erlbaum.
Higgins JPT, Thompson SG, Deeks JJ, Altman DG (2003). Measuring inconsistency in
meta-analyses. BMJ 327:557-560.
Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a
simple, graphical test. BMJ 315:629-634.
Viechtbauer W, Cheung MW-L (2010). Outlier and influence diagnostics for meta-analysis. Res
Synth Methods 1(2):112-125.
"""

from __future__ import annotations

import math

from analysis.stats.distributions import chi2_ppf
from analysis.stats.small_study import MIN_STUDIES_FOR_TESTS

#: Cohen (1988) conventional thresholds for |SMD|
SMD_THRESHOLDS = ((0.8, "large"), (0.5, "moderate"), (0.2, "small"))
#: Higgins et al. (2003) tentative labels for I² (%)
I2_THRESHOLDS = ((75, "high"), (50, "moderate"), (25, "low"))
#: Egger's test suggests small-study asymmetry below this p (Egger et al. 1997)
ASYMMETRY_PVAL = 0.10
#: interval keys of a pooled dict
BOUNDS = ("estimate", "ci_lower", "ci_upper")
#: adverse events named in the text: reported by at least this share of the trials
COMMON_EVENT_SHARE = 0.5


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
    return "very low"


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
    interval) and ``benefit_expected`` (favours the intervention and excludes no effect)."""
    lower, upper = pooled.get("pi_lower"), pooled.get("pi_upper")
    available = lower is not None and upper is not None
    includes = None if not available else not excludes_null(lower, upper)
    return {
        "available": available,
        "too_few_trials": pooled["k"] < 3,
        "includes_null": includes,
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
    return {
        "any": bool(flagged),
        "influential": flagged,
        "estimate_min": min(loo["estimate"]),
        "estimate_max": max(loo["estimate"]),
    }


def outcome_decisions(outcome: dict, analysis: dict) -> dict:
    """Every decision the text makes about one outcome (results.json ``outcomes[i].decisions``)."""
    pooled = outcome["pooled"]
    words = effect(pooled, outcome["lower_is_better"])
    metareg = outcome.get("metareg")
    return {
        "effect": words,
        "heterogeneity": heterogeneity(pooled, analysis["model"]),
        "prediction": prediction(pooled, words["favours"]),
        "small_study": small_study(outcome["k"], outcome.get("bias")),
        "influence": influence(pooled, outcome.get("sensitivity"), analysis["alpha"]),
        "metareg_association": None if not metareg else metareg["qm_pval"] < analysis["alpha"],
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


def review_decisions(adverse: dict | None) -> dict:
    """results.json's top-level ``decisions``: the asymmetry threshold the text states and the
    adverse events it names."""
    return {
        "asymmetry_pval": ASYMMETRY_PVAL,
        "common_adverse_events": common_adverse_events(adverse),
    }


def add_decisions(results: dict) -> dict:
    """The decisions recomputed in place (and returned) from results.json's numbers: for a
    results dict whose numbers were edited (tests' variants of the example)."""
    analysis = results["review"]["analysis"]
    for outcome in results["outcomes"]:
        outcome["decisions"] = outcome_decisions(outcome, analysis)
    results["decisions"] = review_decisions(results.get("adverse_events"))
    return results
