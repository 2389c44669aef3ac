"""What the templates read: results.json (with its decisions), the figure manifest, and the few
sums and tallies the wording needs, computed here so that templates hold wording only.

No statistical judgement is made here: those are :mod:`analysis.interpret`'s, in results.json.
"""

from __future__ import annotations

from analysis import text, vocabulary
from analysis.text import Safe

#: where the manuscript (report/index.qmd) finds the figures
FIGURES_PATH = "_generated/figures"
#: a figure's width in the page: its width in mm over this many mm is 1% (capped at 100%)
MM_PER_PERCENT = 1.7


def _i2_bands() -> Safe:
    """How the text words I² (:data:`analysis.interpret.I2_THRESHOLDS`), for the methods:
    "very low below 25%, low from 25%, moderate from 50% and high from 75%"."""
    from analysis import interpret  # SciPy's special functions: not for an unchanged build

    bands = sorted(interpret.I2_THRESHOLDS)
    below = f"{interpret.I2_BELOW_THRESHOLDS} below {bands[0][0]}%"
    return Safe(text.join_and([below, *(f"{word} from {at}%" for at, word in bands)]))


def text_context(results: dict, figures: list[dict]) -> dict:
    """What the templates read: results.json, the figures, and the few sums and tallies the
    wording needs (computed here, so templates hold wording only)."""
    main_figures = {"prisma-flow", "rob-traffic-light"} | {
        f"forest-{o['id']}" for o in results["outcomes"]
    }
    rob = results["summary"]["risk_of_bias"]
    return {
        "r": results,
        "review": results["review"],
        "outcomes": results["outcomes"],
        "primary": _primary(results),
        "outcome_labels": {o["id"]: o["label"] for o in results["outcomes"]},
        "figures": {f["stem"]: {**f, "width_pct": _width_pct(f)} for f in figures},
        "figures_path": FIGURES_PATH,
        # "Example review: the per-study data are synthetic." (or "") for captions and abstract
        "synthetic_note": Safe(text.synthetic_note(results["review"])),
        "summary": results["summary"],
        "rob_domains": [(code, Safe(d.phrase)) for code, d in vocabulary.ROB_DOMAINS_TABLE.items()],
        "rob_worst_domains": [
            Safe(vocabulary.ROB_DOMAINS_TABLE[d].phrase) for d in rob["most_concerns_domains"]
        ],
        "terms": _terms(results),
        "column_labels": {c["column"]: c["label"] for c in results["review"]["characteristics"]},
        "illustrative_parts": [
            Safe(vocabulary.ILLUSTRATIVE_PARTS_TABLE[p].phrase)
            for p in results["review"]["labelling"]["illustrative"]
        ],
        **_characteristics_table(results),
        "pooled_measures": _pooled_measures(results["outcomes"]),
        "concept_is_label": _concept_is_label(results),
        "measure_kinds": list(
            dict.fromkeys(text.measure_kind(o["measure"]) for o in results["outcomes"])
        ),
        "rob_domain_list": Safe(
            text.join_and(
                [f"{d.phrase} ({code.upper()})" for code, d in vocabulary.ROB_DOMAINS_TABLE.items()]
            )
        ),
        "trials_first_use": _trials_first_use(results),
        "conversions_by_method": _conversions_by_method(results),
        "affiliations": _affiliations(results["review"]["authors"]),
        "affiliation_numbers": _affiliation_numbers(results["review"]["authors"]),
        **_grade_footnotes(results.get("grade") or []),
        "supplementary": [f["stem"] for f in figures if f["stem"] not in main_figures],
        "common_events": [
            results["adverse_events"]["events"][i]
            for i in results["decisions"]["common_adverse_events"]
        ],
        "adverse_signals": [
            results["adverse_events"]["events"][i]
            for i in results["decisions"]["adverse_event_signals"]
        ],
        "adverse_types": [
            results["adverse_events"]["events"][i]
            for i in results["decisions"]["adverse_event_types"]
        ],
        **_adverse_context(results),
        "sof_abbreviations": _sof_abbreviations(results),
        "follow_up_by_outcome": _follow_up_by_outcome(results),
        "rated_down_by_outcome": _rated_down_by_outcome(results.get("grade") or []),
        "i2_bands": _i2_bands(),
        "several_reports": bool(results["prisma"])
        and results["prisma"]["included"]["reports"] != results["prisma"]["included"]["studies"],
    }


def _adverse_context(results: dict) -> dict:
    """``serious_occurred`` (the serious event types with events, each with its ``arms`` and
    its ``total`` events in both arms) and ``not_estimable_notes`` ((reason, event names) pairs, in
    order of first appearance, for Table 4's NE footnote)."""
    decisions, events = results["decisions"], results["adverse_events"]["events"]
    occurred = [
        {
            **events[i],
            "arms": decisions["adverse_event_arms"][i],
            "total": events[i]["events1"] + events[i]["events2"],
        }
        for i in decisions["serious_events_occurred"]
    ]
    notes: dict[str, list[str]] = {}
    for e, reasons in zip(events, decisions["adverse_not_estimable"], strict=True):
        for reason in (reasons["rr"], reasons["peto"]):
            if reason and e["event"] not in notes.setdefault(reason, []):
                notes[reason].append(e["event"])
    return {"serious_occurred": occurred, "not_estimable_notes": list(notes.items())}


def _sof_abbreviations(results: dict) -> list[tuple[str, Safe]]:
    """The summary-of-findings table's abbreviations, each once, in order of first use: the
    outcomes' measures, RR when serious adverse events have a row, then CI."""
    used = [o["measure"] for o in results["outcomes"]]
    used += ["RR"] if any(e["serious"] for e in results["adverse_events"]["events"]) else []
    names = {**text.MEASURE_ABBREVIATIONS, "CI": "confidence interval"}
    return [(Safe(m), Safe(names[m])) for m in dict.fromkeys([*used, "CI"])]


def _primary(results: dict) -> dict:
    """The primary outcome (the first outcome when none is marked primary)."""
    return next((o for o in results["outcomes"] if o["primary"]), results["outcomes"][0])


def _characteristics_table(results: dict) -> dict:
    """Table 1 as the template prints it: ``characteristics_columns`` (heading: label, unit),
    ``characteristics_rows`` (per trial: label, citation, arm sizes, ``converted`` when an arm
    summary was converted to mean and SD, and the declared characteristics' cells, "NR" for a
    blank one) and ``any_not_reported`` (the table then explains NR)."""
    declared = results["review"]["characteristics"]
    converted = {c["study_id"] for c in results["conversions"]}
    rows = [
        {
            "label": s["label"],
            "citation": s["citation"],
            "n1": s["n1"],
            "n2": s["n2"],
            "converted": s["study_id"] in converted,
            "cells": [_cell(s.get(c["column"])) for c in declared],
        }
        for s in results["studies"]
    ]
    return {
        "characteristics_columns": [
            c["label"] + (f", {c['unit']}" if c["unit"] else "") for c in declared
        ],
        "characteristics_rows": rows,
        "any_not_reported": any(cell is NOT_REPORTED for row in rows for cell in row["cells"]),
        "any_converted": bool(converted),
    }


#: a blank characteristic in Table 1
NOT_REPORTED = Safe("NR")


def _cell(value):
    """A characteristic's value as Table 1 prints it: text as given (escaped later), numbers
    with the decimals they need (at most 2) and the true minus sign, blank as NR."""
    if value is None:
        return NOT_REPORTED
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return Safe(text.fmt_value(value))


def _trials_first_use(results: dict) -> Safe:
    """The abstract's count of trials, defining the trial noun's abbreviation: "Nine
    randomised controlled trials (RCTs)" (or "Nine trials" when there is none)."""
    terms, n = results["review"]["vocabulary"], results["summary"]["studies"]
    full = text.escape_md(terms["trial_noun_full"])
    counted = text.count(n, full, start=True)
    if terms["trial_noun_full"] == terms["trial_noun"]:
        return Safe(counted)
    return Safe(f"{counted} ({text.escape_md(text.plural(n, terms['trial_noun']))})")


def _terms(results: dict) -> dict:
    """The review's words (review.yml ``vocabulary``); ``primary_concept`` defaults to the
    primary outcome's label."""
    terms = dict(results["review"]["vocabulary"])
    if not terms.get("primary_concept"):
        primary = _primary(results)
        terms["primary_concept"] = text.lower_first(primary["label"])
    return terms


def _follow_up_by_outcome(results: dict) -> dict:
    """Outcome id -> [shortest, longest] follow-up (weeks) of its trials ([weeks] when all
    are equal), or None."""
    weeks = {s["study_id"]: s.get("follow_up_weeks") for s in results["studies"]}
    out = {}
    for o in results["outcomes"]:
        values = [weeks.get(s["study_id"]) for s in o["studies"]]
        values = [w for w in values if w is not None]
        out[o["id"]] = sorted({min(values), max(values)}) if values else None
    return out


def _rated_down_by_outcome(grade: list[dict]) -> dict:
    """Outcome id -> the labels of its GRADE domains rated down, in GRADE's order."""
    return {
        g["outcome"]: [rating["label"] for rating in g["ratings"].values() if rating["downgrade"]]
        for g in grade
    }


def _pooled_measures(outcomes: list[dict]) -> Safe:
    """The outcomes' measures, each defined once, in order of first use: "mean differences
    (MDs), standardised mean differences (SMDs) and risk ratios (RRs)"."""
    measures = dict.fromkeys(o["measure"] for o in outcomes)
    names = [f"{vocabulary.MEASURES[m].name}s ({m}s)" for m in measures]
    return Safe(text.join_and(names))


def _concept_is_label(results: dict) -> bool:
    """Whether the review's ``primary_concept`` and the primary outcome's label are the same
    words (case aside): the conclusion then names it once."""
    primary = _primary(results)
    return _terms(results)["primary_concept"].casefold() == primary["label"].casefold()


def _width_pct(figure: dict) -> float:
    """A figure's width as a share of the text width (%), at most 100."""
    return min(100.0, figure["width_mm"] / MM_PER_PERCENT)


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
