"""Adverse events: per event type, counts and percentages per arm and the pooled effects.

For each event type (``adverse_events.csv`` ``event``), over the trials that report it:
events and participants per arm with percentages, the Mantel–Haenszel risk ratio and risk
difference, and Peto's odds ratio (Cochrane Handbook v6.5 §10.4.4: the method of choice
for rare events, risk below 1%, in balanced arms). Trials with no events in either arm are
kept, as metafor's ``rma.mh`` and ``rma.peto`` do: they carry no weight in the risk ratio and
Peto's odds ratio but do in the risk difference.

An effect that cannot be estimated is None, with the reason in ``notes``:

* all three when no trial has an event in either arm;
* the risk ratio also when one arm has no events in any trial;
* Peto's odds ratio also when, in every trial, either nobody or everybody had the event
  (the risk difference is then 0 with standard error 0).

The risk difference is estimable whenever any trial has an event.

Whether the manuscript may say "no serious adverse events were reported" is a data field,
:attr:`AdverseEventsAnalysis.serious_status`: ``"none"`` only when at least one trial reports
on serious events and every such row has zero events in both arms; ``"some"`` when any serious
event occurred; ``"not_reported"`` when no row is marked serious (the trials did not report on
serious events, which is not the same as none occurring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.data.schema import event_key
from analysis.errors import AnalysisError
from analysis.public import clean_number, pooled_to_public
from analysis.stats.binary_pooling import mantel_haenszel, peto
from analysis.stats.pooling import MetaResult

#: Cochrane Handbook v6.5 §10.4.4.2: Peto's method performs well when events are rare, below
#: about 1%.
RARE_RISK = 0.01
NO_EVENTS_NOTE = "no events in either arm of any trial: no effect can be estimated"


@dataclass(frozen=True)
class EventSummary:
    """One adverse event type pooled over the trials reporting it."""

    event: str
    serious: bool
    studies: tuple[str, ...]
    events1: int
    n1: int
    events2: int
    n2: int
    trials_without_events: int
    rr: MetaResult | None
    rd: MetaResult | None
    peto_or: MetaResult | None
    notes: tuple[str, ...]

    @property
    def k(self) -> int:
        return len(self.studies)

    @property
    def pct1(self) -> float:
        return 100 * self.events1 / self.n1

    @property
    def pct2(self) -> float:
        return 100 * self.events2 / self.n2

    @property
    def rare(self) -> bool:
        """Overall risk below :data:`RARE_RISK` (Peto's odds ratio is then preferred)."""
        return (self.events1 + self.events2) / (self.n1 + self.n2) < RARE_RISK

    def to_dict(self) -> dict:
        def pooled(fit):
            return None if fit is None else pooled_to_public(fit)

        return {
            "event": self.event,
            "serious": self.serious,
            "k": self.k,
            "studies": list(self.studies),
            "events1": self.events1,
            "n1": self.n1,
            "pct1": clean_number(self.pct1),
            "events2": self.events2,
            "n2": self.n2,
            "pct2": clean_number(self.pct2),
            "trials_without_events": self.trials_without_events,
            "rare": self.rare,
            "rr_mh": pooled(self.rr),
            "rd_mh": pooled(self.rd),
            "or_peto": pooled(self.peto_or),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class AdverseEventsAnalysis:
    """All event types, in order of first appearance, and the serious-events statement."""

    events: tuple[EventSummary, ...]
    level: float

    @property
    def serious(self) -> tuple[EventSummary, ...]:
        return tuple(e for e in self.events if e.serious)

    @property
    def serious_status(self) -> str:
        """``"none"``, ``"some"`` or ``"not_reported"`` (see the module docstring)."""
        if not self.serious:
            return "not_reported"
        if all(e.events1 == 0 and e.events2 == 0 for e in self.serious):
            return "none"
        return "some"

    def to_dict(self) -> dict:
        """results.json ``adverse_events``."""
        serious = self.serious
        return {
            "level": self.level,
            "k_event_types": len(self.events),
            "events": [e.to_dict() for e in self.events],
            "serious_status": self.serious_status,
            "serious_event_types": [e.event for e in serious],
            "serious_studies": sorted({s for e in serious for s in e.studies}),
        }


def _pooled_or_reason(func, *args, what: str, **kwargs):
    try:
        return func(*args, **kwargs), None
    except AnalysisError as error:
        return None, f"{what}: {error}"


def summarise_event(
    event: str, serious: bool, studies: Sequence[str], counts: np.ndarray, level: float = 0.95
) -> EventSummary:
    """Counts, percentages and pooled effects for one event type.

    Notes
    -----
    ``counts`` is k × 4: events1, n1, events2, n2 per trial. Pooled effects:
    :func:`~analysis.stats.binary_pooling.mantel_haenszel` (RR, RD) and
    :func:`~analysis.stats.binary_pooling.peto` (OR), common-effect as metafor's defaults.

    References
    ----------
    Bradburn MJ, Deeks JJ, Berlin JA, Localio AR (2007). Much ado about nothing: a comparison
    of the performance of meta-analytical methods with rare events. Stat Med 26(1):53-77.
    """
    e1, n1, e2, n2 = (counts[:, j] for j in range(4))
    without = int(np.sum((e1 == 0) & (e2 == 0)))
    if without == len(e1):
        rr = rd = peto_or = None
        notes = [NO_EVENTS_NOTE]
    else:
        rr, rr_note = _pooled_or_reason(
            mantel_haenszel, e1, n1, e2, n2, "RR", level, what="risk ratio"
        )
        rd, rd_note = _pooled_or_reason(
            mantel_haenszel, e1, n1, e2, n2, "RD", level, what="risk difference"
        )
        peto_or, peto_note = _pooled_or_reason(peto, e1, n1, e2, n2, level, what="Peto odds ratio")
        notes = [n for n in (rr_note, rd_note, peto_note) if n]
    if 0 < without < len(e1):
        notes.append(
            f"{without} trial(s) had no events in either arm: no weight in the risk ratio and "
            "Peto odds ratio, weight in the risk difference"
        )
    return EventSummary(
        event=event,
        serious=serious,
        studies=tuple(studies),
        events1=int(e1.sum()),
        n1=int(n1.sum()),
        events2=int(e2.sum()),
        n2=int(n2.sum()),
        trials_without_events=without,
        rr=rr,
        rd=rd,
        peto_or=peto_or,
        notes=tuple(notes),
    )


def analyse_adverse_events(
    rows: Sequence, labels: Mapping[str, str] | None = None, level: float = 0.95
) -> AdverseEventsAnalysis:
    """Summarise ``adverse_events.csv`` rows (objects with ``study_id, event, serious,
    events1, n1, events2, n2``, e.g. :class:`analysis.data.schema.AdverseEvent`) per event type.

    ``labels`` maps study_id to the label shown (default: the id). Rows whose event names
    differ only in case or spacing (``Fever``, ``fever ``) are one event type, shown with the
    first row's spelling. An event type is serious when any of its rows is marked serious.
    """
    labels = labels or {}
    by_event: dict[str, list] = {}
    for row in rows:
        by_event.setdefault(event_key(row.event), []).append(row)
    events = []
    for group in by_event.values():
        counts = np.array([[r.events1, r.n1, r.events2, r.n2] for r in group], dtype=float)
        studies = [labels.get(r.study_id, r.study_id) for r in group]
        name = group[0].event.strip()
        events.append(summarise_event(name, any(r.serious for r in group), studies, counts, level))
    return AdverseEventsAnalysis(events=tuple(events), level=level)
