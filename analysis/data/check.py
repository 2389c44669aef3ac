"""``python -m analysis check [--data DIR]``: validate a data folder and print a summary.

Exit code 0 when the data can be analysed (warnings are printed but do not fail the check);
otherwise the CLI prints every problem and exits 2.
"""

from __future__ import annotations

import argparse

from analysis import cli_options
from analysis.data.loading import load_review
from analysis.data.schema import Review


def add_arguments(parser: argparse.ArgumentParser) -> None:
    cli_options.add_data(parser)


def _labelling_note(review: Review) -> str:
    """ "  [synthetic example data]", "  [illustrative: authors, prisma]" or nothing."""
    if review.labelling.synthetic_data:
        return "  [synthetic example data]"
    if review.labelling.illustrative:
        return "  [illustrative: " + ", ".join(review.labelling.illustrative) + "]"
    return ""


def summary(review: Review) -> str:
    """The check's report: studies, outcomes per study, conversions and warnings."""
    lines = [
        f"{review.title}" + _labelling_note(review),
        f"{len(review.studies)} studies, {review.total_participants} participants "
        f"(arm 1 {sum(s.n1 for s in review.studies)}, arm 2 {sum(s.n2 for s in review.studies)})",
        "",
        "Outcomes:",
    ]
    for outcome in review.outcomes:
        rows = review.data_for(outcome.id)
        role = "primary" if outcome.primary else "secondary"
        lines.append(
            f"  {outcome.id} ({outcome.label}; {outcome.measure}, {role}): "
            f"{len(rows)} studies, {sum(r.n1 + r.n2 for r in rows)} participants"
        )
    lines += ["", "Outcomes per study:"]
    width = max((len(s.label) for s in review.studies), default=0)
    for study in review.studies:
        have = [r.outcome for r in review.outcome_data if r.study_id == study.study_id]
        lines.append(
            f"  {study.label:<{width}}  n = {study.n1} + {study.n2}: "
            + (", ".join(have) if have else "no outcome data")
        )
    lines += [
        "",
        f"Adverse events: {len(review.adverse_events)} rows; serious events: "
        f"{sum(a.events1 + a.events2 for a in review.adverse_events if a.serious)} "
        f"(in {sum(a.serious for a in review.adverse_events)} rows for serious events)"
        if review.adverse_events
        else "Adverse events: not extracted (no adverse_events table or no rows)",
        f"Risk of bias (RoB 2): {len(review.risk_of_bias)} assessments"
        if review.risk_of_bias
        else "Risk of bias: not assessed (no risk_of_bias table or no rows)",
        f"PRISMA: {review.prisma.identified} records identified, "
        f"{review.prisma.included_studies} studies included"
        if review.prisma
        else "PRISMA: no flow counts (no prisma.yml)",
        "",
    ]
    conversions = review.conversions
    lines.append(f"Conversions to mean and SD: {len(conversions)}")
    labels = {s.study_id: s.label for s in review.studies}
    for c in conversions:
        lines.append(f"  {labels[c.study_id]}, {c.outcome}, arm {c.arm}: {c.description}")
    lines += ["", f"Warnings: {len(review.warnings)}"]
    lines += [f"  - {w}" for w in review.warnings]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    review = load_review(args.data)
    print(summary(review))
    print(f"\nOK: {args.data} passes the checks.")
    return 0
