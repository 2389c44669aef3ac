"""The review's data as typed, frozen objects: what ``load_review`` returns.

Arm 1 is the intervention arm, arm 2 the control arm. Every object has ``to_dict()``
giving plain JSON-ready values; :meth:`Review.to_dict` gathers them in the shape that
``results.json`` uses (see ``data/README.md`` for each field).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import Problem
from analysis.vocabulary import BINARY_MEASURES, VOCABULARY_KEYS

#: a BibTeX key as it may follow ``@`` in a pandoc citation (studies.csv ``citation``)
CITEKEY_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:.#$%&+?<>~/-]*$")


@dataclass(frozen=True)
class Author:
    name: str
    affiliations: tuple[str, ...] = ()
    email: str | None = None
    orcid: str | None = None
    corresponding: bool = False
    #: CRediT contributor roles (:data:`analysis.vocabulary.CREDIT_ROLES`)
    roles: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "affiliations": list(self.affiliations),
            "email": self.email,
            "orcid": self.orcid,
            "corresponding": self.corresponding,
            "roles": list(self.roles),
        }


@dataclass(frozen=True)
class ProcessStep:
    """How one step of the review was done (PRISMA 2020 items 8, 9, 11): how many reviewers,
    whether they worked independently, how disagreements were resolved; None = not reported."""

    reviewers: int | None = None
    independent: bool | None = None
    disagreements: str | None = None

    def to_dict(self) -> dict:
        return {
            "reviewers": self.reviewers,
            "independent": self.independent,
            "disagreements": self.disagreements,
        }


#: review.yml ``process`` steps, in the order the methods report them
PROCESS_STEPS = ("selection", "data_collection", "risk_of_bias")


@dataclass(frozen=True)
class Search:
    """Where and when the literature was searched (dates as ISO ``YYYY-MM-DD`` strings)."""

    databases: tuple[str, ...]
    date_from: str | None
    date_to: str | None
    last_search: str | None
    strategy: str | None = None

    def to_dict(self) -> dict:
        return {
            "databases": list(self.databases),
            "date_from": self.date_from,
            "date_to": self.date_to,
            "last_search": self.last_search,
            "strategy": self.strategy,
        }


@dataclass(frozen=True)
class Eligibility:
    """PICOS eligibility criteria as free text (one sentence or phrase each)."""

    population: str
    intervention: str
    comparator: str
    outcomes: str
    study_design: str

    def to_dict(self) -> dict:
        return {
            "population": self.population,
            "intervention": self.intervention,
            "comparator": self.comparator,
            "outcomes": self.outcomes,
            "study_design": self.study_design,
        }


@dataclass(frozen=True)
class AnalysisSettings:
    """How to pool: ``model`` random|common, ``tau2_method``, ``ci_method`` z|knha|adhoc, ``level``.

    ``subgroups`` are studies.csv columns to split by; ``moderators`` numeric studies.csv columns
    for meta-regression; ``sensitivity`` the named sensitivity analyses to run.
    """

    model: str = "random"
    tau2_method: str = "REML"
    ci_method: str = "z"
    prediction_interval: bool = True
    level: float = 0.95
    subgroups: tuple[str, ...] = ()
    moderators: tuple[str, ...] = ()
    sensitivity: tuple[str, ...] = ()
    #: review-wide pooling method (outcomes may set their own): ``inverse_variance``, MH, PETO
    pooling: str = "inverse_variance"

    @property
    def method(self) -> str:
        """The engine's ``method`` argument: ``"FE"`` for a common-effect model."""
        return "FE" if self.model == "common" else self.tau2_method

    @property
    def alpha(self) -> float:
        return round(1.0 - self.level, 10)

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "method": self.method,
            "tau2_method": self.tau2_method,
            "ci_method": self.ci_method,
            "prediction_interval": self.prediction_interval,
            "level": self.level,
            "alpha": self.alpha,
            "subgroups": list(self.subgroups),
            "moderators": list(self.moderators),
            "sensitivity": list(self.sensitivity),
            "pooling": self.pooling,
        }


@dataclass(frozen=True)
class OutcomeSpec:
    """An outcome declared in review.yml."""

    id: str
    label: str
    measure: str
    primary: bool = False
    lower_is_better: bool = True
    unit: str | None = None
    #: pooling method: ``inverse_variance`` (the review's model) or ``MH`` / ``PETO``
    method: str = "inverse_variance"
    #: the quantity cannot be negative (titres, counts): its arms are checked for skew
    nonnegative: bool = False
    #: the outcome's name with its abbreviation defined, for first use (default: the label)
    definition: str | None = None

    @property
    def is_binary(self) -> bool:
        return self.measure in BINARY_MEASURES

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "label": self.label,
            "measure": self.measure,
            "primary": self.primary,
            "lower_is_better": self.lower_is_better,
            "unit": self.unit,
            "method": self.method,
            "nonnegative": self.nonnegative,
            "definition": self.definition or self.label,
        }


@dataclass(frozen=True)
class Study:
    """One row of studies.csv: the columns every review needs; ``extra`` holds the others
    (the declared characteristics, subgroup and moderator columns; numbers parsed as float,
    blank cells None)."""

    study_id: str
    label: str
    citation: str
    year: int
    n1: int
    n2: int
    row: int
    extra: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.n1 + self.n2

    def get(self, column: str):
        """Value of any studies.csv column (contract column or extra; None if absent)."""
        if column in self.extra:
            return self.extra[column]
        return getattr(self, column, None)

    def to_dict(self) -> dict:
        out = {
            "study_id": self.study_id,
            "label": self.label,
            "citation": self.citation,
            "year": self.year,
            "n1": self.n1,
            "n2": self.n2,
        }
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class Characteristic:
    """A study characteristic the manuscript shows (review.yml ``characteristics``): the
    studies.csv ``column``, its ``label`` in Table 1, its ``unit`` and how the results text
    ``summary`` summarises it (:data:`analysis.vocabulary.CHARACTERISTIC_SUMMARIES`)."""

    column: str
    label: str
    unit: str | None = None
    summary: str = "counts"

    def to_dict(self) -> dict:
        return {"column": self.column, "label": self.label, "unit": self.unit,
                "summary": self.summary}  # fmt: skip


@dataclass(frozen=True)
class Vocabulary:
    """The review's own words (review.yml ``vocabulary``); the defaults are neutral.

    ``intervention`` is the subject of a sentence ("exercise reduced ..."),
    ``intervention_full`` its first use, defining the abbreviation ("a structured antenatal
    exercise programme (exercise)"); ``intervention_arm`` and ``comparator_arm`` head table columns
    and label figure axes; ``comparator`` ends "compared with ..."; ``participants`` and
    ``trial_noun`` count ("485 patients", "nine RCTs"); ``primary_concept`` names what the
    primary outcome measures (conclusions)."""

    intervention: str = "the intervention"
    intervention_full: str | None = None
    intervention_arm: str = "Intervention"
    comparator: str = "control"
    comparator_full: str | None = None
    comparator_arm: str = "Control"
    participants: str = "participants"
    trial_noun: str = "trial"
    trial_noun_full: str | None = None
    primary_concept: str | None = None

    def to_dict(self) -> dict:
        return {
            "intervention": self.intervention,
            "intervention_full": self.intervention_full or self.intervention,
            "intervention_arm": self.intervention_arm,
            "comparator": self.comparator,
            "comparator_full": self.comparator_full or self.comparator,
            "comparator_arm": self.comparator_arm,
            "participants": self.participants,
            "trial_noun": self.trial_noun,
            "trial_noun_full": self.trial_noun_full or self.trial_noun,
            "primary_concept": self.primary_concept,
        }


@dataclass(frozen=True)
class Labelling:
    """What of the review is not real (review.yml ``example``): ``synthetic_data`` when the
    per-study numbers are made up; ``illustrative`` the surrounding parts that are
    (:data:`analysis.vocabulary.ILLUSTRATIVE_PARTS`)."""

    synthetic_data: bool = False
    illustrative: tuple[str, ...] = ()

    @property
    def example(self) -> bool:
        return self.synthetic_data or bool(self.illustrative)

    def to_dict(self) -> dict:
        return {"synthetic_data": self.synthetic_data, "illustrative": list(self.illustrative)}


@dataclass(frozen=True)
class Conversion:
    """One arm's reported summary converted to mean and SD, by a published method.

    ``method`` is one of :data:`analysis.data.conversions.METHODS`; ``reported`` the values as
    reported (e.g. ``{"median": 8, "q1": 6, "q3": 11}``); ``source`` the short citation and
    ``bibkey`` its references.bib key.
    """

    study_id: str
    outcome: str
    arm: int
    method: str
    reported: dict
    mean: float
    sd: float
    source: str
    bibkey: str
    description: str

    def to_dict(self) -> dict:
        return {
            "study_id": self.study_id,
            "outcome": self.outcome,
            "arm": self.arm,
            "method": self.method,
            "reported": dict(self.reported),
            "mean": self.mean,
            "sd": self.sd,
            "source": self.source,
            "bibkey": self.bibkey,
            "description": self.description,
        }


@dataclass(frozen=True)
class ArmData:
    """One study × outcome row of outcomes.csv after conversion to mean/SD (or events).

    Continuous outcomes fill ``mean1, sd1, mean2, sd2``; binary outcomes ``events1, events2``.
    ``change`` marks change-from-baseline values; ``conversions`` lists the converted arms.
    """

    study_id: str
    outcome: str
    n1: int
    n2: int
    mean1: float | None = None
    sd1: float | None = None
    mean2: float | None = None
    sd2: float | None = None
    events1: int | None = None
    events2: int | None = None
    change: bool = False
    conversions: tuple[Conversion, ...] = ()
    row: int = 0

    @property
    def conversion_text(self) -> str | None:
        """One phrase for tables, e.g. 'arm 1: median and IQR (Luo 2018; Wan 2014)'."""
        if not self.conversions:
            return None
        return "; ".join(f"arm {c.arm}: {c.description}" for c in self.conversions)

    def to_dict(self) -> dict:
        return {
            "study_id": self.study_id,
            "outcome": self.outcome,
            "n1": self.n1,
            "n2": self.n2,
            "mean1": self.mean1,
            "sd1": self.sd1,
            "mean2": self.mean2,
            "sd2": self.sd2,
            "events1": self.events1,
            "events2": self.events2,
            "change": self.change,
            "conversion": self.conversion_text,
            "conversions": [c.to_dict() for c in self.conversions],
        }


def event_key(name: str) -> str:
    """The identity of an adverse event name: case and spacing ignored ("Fever " = "fever")."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class AdverseEvent:
    """One row of adverse_events.csv: events (patients with the event) per arm."""

    study_id: str
    event: str
    serious: bool
    events1: int
    n1: int
    events2: int
    n2: int
    row: int = 0

    def to_dict(self) -> dict:
        return {
            "study_id": self.study_id,
            "event": self.event,
            "serious": self.serious,
            "events1": self.events1,
            "n1": self.n1,
            "events2": self.events2,
            "n2": self.n2,
        }


@dataclass(frozen=True)
class RobAssessment:
    """RoB 2 judgments for one study (``outcome`` None = all outcomes), normalised spelling."""

    study_id: str
    outcome: str | None
    d1: str
    d2: str
    d3: str
    d4: str
    d5: str
    overall: str
    row: int = 0

    @property
    def domains(self) -> tuple[str, str, str, str, str]:
        return (self.d1, self.d2, self.d3, self.d4, self.d5)

    def to_dict(self) -> dict:
        return {
            "study_id": self.study_id,
            "outcome": self.outcome,
            "d1": self.d1,
            "d2": self.d2,
            "d3": self.d3,
            "d4": self.d4,
            "d5": self.d5,
            "overall": self.overall,
        }


@dataclass(frozen=True)
class GradeJudgment:
    """A reviewer's GRADE judgment for one outcome and domain (overrides the suggestion).

    ``downgrade`` is 0, 1 or 2 levels; ``reason`` the footnote text.
    """

    outcome: str
    domain: str
    downgrade: int
    reason: str | None = None

    def to_dict(self) -> dict:
        return {
            "outcome": self.outcome,
            "domain": self.domain,
            "downgrade": self.downgrade,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Prisma:
    """The validated PRISMA 2020 flow (prisma.yml); ``to_dict()`` returns the file's shape."""

    databases: dict
    registers: dict
    removed_before_screening: dict
    screened: int
    screening_excluded: int
    sought: int
    not_retrieved: int
    assessed: int
    eligibility_excluded: dict
    included_studies: int
    included_reports: int
    other_methods: dict | None = None

    @property
    def identified(self) -> int:
        return sum(self.databases.values()) + sum(self.registers.values())

    def to_dict(self) -> dict:
        out = {
            "identification": {
                "databases": dict(self.databases),
                "registers": dict(self.registers),
                "removed_before_screening": dict(self.removed_before_screening),
            },
            "screening": {"screened": self.screened, "excluded": self.screening_excluded},
            "retrieval": {"sought": self.sought, "not_retrieved": self.not_retrieved},
            "eligibility": {
                "assessed": self.assessed,
                "excluded": dict(self.eligibility_excluded),
            },
            "included": {"studies": self.included_studies, "reports": self.included_reports},
        }
        if self.other_methods is not None:
            out["other_methods"] = self.other_methods
        return out


@dataclass(frozen=True)
class Review:
    """Everything in a data folder, validated, in one object.

    ``outcome_data`` rows follow studies.csv order within each outcome, outcomes in review.yml
    order; ``warnings`` holds what a statistician would flag but need not stop the build.
    ``input_files`` are the files read (for the provenance hash).
    """

    data_dir: Path
    title: str
    short_title: str
    labelling: Labelling
    vocabulary: Vocabulary
    characteristics: tuple[Characteristic, ...]
    authors: tuple[Author, ...]
    keywords: tuple[str, ...]
    registration: str | None
    search: Search
    eligibility: Eligibility
    analysis: AnalysisSettings
    outcomes: tuple[OutcomeSpec, ...]
    studies: tuple[Study, ...]
    outcome_data: tuple[ArmData, ...]
    adverse_events: tuple[AdverseEvent, ...]
    risk_of_bias: tuple[RobAssessment, ...]
    prisma: Prisma | None
    grade: tuple[GradeJudgment, ...]
    bibliography: tuple[str, ...]
    bibliography_file: Path
    input_files: tuple[Path, ...]
    warnings: tuple[Problem, ...] = ()
    #: review.yml ``process``: step name -> :class:`ProcessStep` (absent steps: not reported)
    process: Mapping[str, ProcessStep] = field(default_factory=dict)
    #: review.yml ``funding``: one line for the abstract (None = not reported)
    funding: str | None = None
    #: review.yml ``protocol``: where the protocol can be read (None = none cited)
    protocol: str | None = None
    #: the spelling variant of the generated text and the document's ``lang`` (review.yml
    #: ``language``, one of :data:`analysis.vocabulary.LANGUAGES`)
    language: str = "en-GB"

    # -- look-ups -------------------------------------------------------------------------
    def study(self, study_id: str) -> Study:
        for study in self.studies:
            if study.study_id == study_id:
                return study
        raise KeyError(study_id)

    def outcome(self, outcome_id: str) -> OutcomeSpec:
        for outcome in self.outcomes:
            if outcome.id == outcome_id:
                return outcome
        raise KeyError(outcome_id)

    def data_for(self, outcome_id: str) -> tuple[ArmData, ...]:
        """The rows of one outcome, in studies.csv order."""
        return tuple(row for row in self.outcome_data if row.outcome == outcome_id)

    def rob_for(self, study_id: str, outcome_id: str | None = None) -> RobAssessment | None:
        """The outcome-specific RoB 2 assessment if there is one, else the study-wide one."""
        study_wide = None
        for rob in self.risk_of_bias:
            if rob.study_id != study_id:
                continue
            if outcome_id is not None and rob.outcome == outcome_id:
                return rob
            if rob.outcome is None:
                study_wide = rob
        return study_wide

    def grade_for(self, outcome_id: str) -> dict[str, GradeJudgment]:
        """The reviewer's GRADE judgments for one outcome, by domain."""
        return {g.domain: g for g in self.grade if g.outcome == outcome_id}

    def assessed(self) -> dict:
        """Which optional parts the data folder gives (the manuscript says the others were not
        done): ``risk_of_bias``, ``adverse_events``, ``prisma``, ``grade``."""
        return {
            "risk_of_bias": bool(self.risk_of_bias),
            "adverse_events": bool(self.adverse_events),
            "prisma": self.prisma is not None,
            "grade": bool(self.grade),
        }

    @property
    def conversions(self) -> tuple[Conversion, ...]:
        return tuple(c for row in self.outcome_data for c in row.conversions)

    @property
    def total_participants(self) -> int:
        return sum(study.n for study in self.studies)

    # -- JSON -----------------------------------------------------------------------------
    def meta_to_dict(self) -> dict:
        """results.json ``review``: title, authors, search, eligibility and analysis settings."""
        return {
            "title": self.title,
            "short_title": self.short_title,
            "example": self.labelling.example,
            "labelling": self.labelling.to_dict(),
            "vocabulary": self.vocabulary.to_dict(),
            "characteristics": [c.to_dict() for c in self.characteristics],
            "assessed": self.assessed(),
            "language": self.language,
            "authors": [a.to_dict() for a in self.authors],
            "keywords": list(self.keywords),
            "registration": self.registration,
            "funding": self.funding,
            "protocol": self.protocol,
            "process": {
                step: self.process.get(step, ProcessStep()).to_dict() for step in PROCESS_STEPS
            },
            "search": self.search.to_dict(),
            "eligibility": self.eligibility.to_dict(),
            "analysis": self.analysis.to_dict(),
        }

    def to_dict(self) -> dict:
        """All inputs as plain data, keyed as in results.json (outcomes without statistics)."""
        labels = {s.study_id: s.label for s in self.studies}
        return {
            "review": self.meta_to_dict(),
            "studies": [s.to_dict() for s in self.studies],
            "outcomes": [
                {
                    **o.to_dict(),
                    "studies": [
                        {"label": labels[row.study_id], **row.to_dict()}
                        for row in self.data_for(o.id)
                    ],
                }
                for o in self.outcomes
            ],
            "adverse_events": [
                {"label": labels[a.study_id], **a.to_dict()} for a in self.adverse_events
            ],
            "risk_of_bias": [
                {"label": labels[r.study_id], **r.to_dict()} for r in self.risk_of_bias
            ],
            "prisma": self.prisma.to_dict() if self.prisma else None,
            "grade": [g.to_dict() for g in self.grade],
            "conversions": [c.to_dict() for c in self.conversions],
            "warnings": [str(w) for w in self.warnings],
        }


# -- the keys of the YAML files -----------------------------------------------------------
#: A YAML file's keys: a dict maps each allowed key to the schema of its value, ``[schema]`` is
#: a list of such items, ``NAMED`` a mapping whose keys the reviewer names (databases, outcome
#: ids, exclusion reasons) with values of the given schema, ``None`` any plain value.
NAMED = "named"
_AUTHOR_KEYS = {
    "name": None,
    "affiliations": None,
    "email": None,
    "orcid": None,
    "corresponding": None,
    "roles": None,
}
_PROCESS_STEP_KEYS = {"reviewers": None, "independent": None, "disagreements": None}
REVIEW_KEYS = {
    "title": None,
    "short_title": None,
    "language": None,
    "example": {"synthetic_data": None, "illustrative": None},
    "vocabulary": dict.fromkeys(VOCABULARY_KEYS),
    "characteristics": [{"column": None, "label": None, "unit": None, "summary": None}],
    "authors": [_AUTHOR_KEYS],
    "keywords": None,
    "registration": None,
    "protocol": None,
    "funding": None,
    "process": {step: _PROCESS_STEP_KEYS for step in PROCESS_STEPS},
    "search": {k: None for k in ("databases", "date_from", "date_to", "last_search", "strategy")},
    "eligibility": {
        k: None for k in ("population", "intervention", "comparator", "outcomes", "study_design")
    },
    "analysis": {
        k: None
        for k in (
            "model",
            "method",
            "tau2_method",
            "ci_method",
            "prediction_interval",
            "level",
            "alpha",
            "subgroups",
            "moderators",
            "sensitivity",
        )
    },
    "outcomes": [
        dict.fromkeys(
            (
                "id",
                "label",
                "definition",
                "measure",
                "method",
                "primary",
                "lower_is_better",
                "unit",
                "nonnegative",
            )
        )
    ],
}
_COUNTS = (NAMED, None)
#: PRISMA 2020's reasons for removing records before screening (each 0 when left out)
REMOVAL_REASONS = ("duplicates", "automation", "other")
PRISMA_KEYS = {
    "identification": {
        "databases": _COUNTS,
        "registers": _COUNTS,
        "removed_before_screening": dict.fromkeys(REMOVAL_REASONS),
    },
    "screening": {"screened": None, "excluded": None},
    "retrieval": {"sought": None, "not_retrieved": None},
    "eligibility": {"assessed": None, "excluded": _COUNTS},
    "included": {"studies": None, "reports": None},
    "other_methods": {
        "identified": _COUNTS,
        "sought": None,
        "not_retrieved": None,
        "assessed": None,
        "excluded": _COUNTS,
    },
}
GRADE_KEYS = {"outcomes": (NAMED, (NAMED, {"downgrade": None, "reason": None}))}
