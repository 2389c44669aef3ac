"""What the templates read: results.json (with its decisions), the figure manifest, and the few
sums and tallies the wording needs, computed here so that templates hold wording only.

No statistical judgement is made here: those are :mod:`analysis.interpret`'s, in results.json.
"""

from __future__ import annotations

from analysis import text
from analysis.text import Safe

#: where the manuscript (report/index.qmd) finds the figures
FIGURES_PATH = "_generated/figures"
#: a figure's width in the page: its width in mm over this many mm is 1% (capped at 100%)
MM_PER_PERCENT = 1.7


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
        "figures": {f["stem"]: {**f, "width_pct": _width_pct(f)} for f in figures},
        "figures_path": FIGURES_PATH,
        "summary": results["summary"],
        "rob_worst_domains": [Safe(ROB_DOMAIN_NAMES[d]) for d in rob["most_concerns_domains"]],
        "dose_unit": _common_value(
            s.get("dose_unit") for s in studies if s.get("dose") is not None
        ),
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
        "follow_up_by_outcome": _follow_up_by_outcome(results),
        "rated_down_domains": _rated_down_domains(results.get("grade") or []),
        "several_reports": results["prisma"]["included"]["reports"]
        != results["prisma"]["included"]["studies"],
    }


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


def _rated_down_domains(grade: list[dict]) -> list[str]:
    """The GRADE domains rated down for at least one outcome, in GRADE's order."""
    down = []
    for g in grade:
        down += [d for d, rating in g["ratings"].items() if rating["downgrade"] and d not in down]
    order = list(grade[0]["ratings"]) if grade else []
    return [grade[0]["ratings"][d]["label"] for d in sorted(down, key=order.index)]


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
