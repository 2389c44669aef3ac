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
        # "Example review: the per-study data are synthetic." (or "") for captions and abstract
        "synthetic_note": Safe(text.synthetic_note(results["review"])),
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
        "common_events": [
            results["adverse_events"]["events"][i]
            for i in results["decisions"]["common_adverse_events"]
        ],
        "several_reports": results["prisma"]["included"]["reports"]
        != results["prisma"]["included"]["studies"],
    }


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
