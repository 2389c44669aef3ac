"""The data rules of `build`, `check` and `meta`: collect every problem, then report them together.

:class:`Problems` gathers errors (the data cannot be analysed) and warnings (what a
statistician would flag). The cell parsers (:class:`Cells` for a table, :class:`Fields` for a
YAML mapping) record a problem and return ``None`` instead of raising, so one pass finds
everything. Every rule that decides whether a value is acceptable lives here: the cells and
rows of each table, the values of review.yml and grade.yml, the entries of references.bib and
the cross-file checks, which encode the rules a reviewer would otherwise check by hand (each
names its published basis). :mod:`analysis.data.loading` reads and converts, and calls these;
the PRISMA flow's arithmetic is :mod:`analysis.data.prisma_flow`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import math
import re
import statistics
import unicodedata
from collections.abc import Iterable
from dataclasses import replace

from analysis.bibliography import syntax_errors as bibtex_syntax_errors
from analysis.data import conversions
from analysis.data.reading import Row, Table
from analysis.data.schema import CITEKEY_PATTERN, GradeJudgment
from analysis.errors import DataError, Problem
from analysis.vocabulary import (
    CONTINUOUS_MEASURES,
    GRADE_DOMAINS,
    INVERSE_VARIANCE,
    REVIEW_POOLING_METHODS,
    ROB_DOMAINS,
    ROB_LEVELS,
    SENSITIVITY_ANALYSES,
    TABLE_METHOD_MEASURES,
)

REVIEW_FILE = "review.yml"
BIB_FILE = "references.bib"

MISSING = {"", "na", "n/a", "nr", "-", "—", "–"}  # blank or typed for "not reported"
TRUE_WORDS = {"yes", "y", "true", "1", "x"}
FALSE_WORDS = {"no", "n", "false", "0", ""}
#: accepted spellings of RoB 2 judgments (lower case, spaces collapsed) -> normalised
ROB_SPELLINGS = {
    "low": "low",
    "low risk": "low",
    "low risk of bias": "low",
    "l": "low",
    "some concerns": "some concerns",
    "some concern": "some concerns",
    "some": "some concerns",
    "sc": "some concerns",
    "high": "high",
    "high risk": "high",
    "high risk of bias": "high",
    "h": "high",
}
#: plausibility limits of every number a table holds: larger magnitudes, and positive
#: quantities (SDs, SEs, variances, doses) closer to 0, are typing or unit errors, and would
#: overflow or underflow the statistics (1/vi, vi², a variance of 1e-320)
MAX_MAGNITUDE = 1e12
MIN_POSITIVE = 1e-10
#: the years a trial may be dated
YEAR_RANGE = (1900, 2100)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class Problems:
    """Errors and warnings found so far; :meth:`raise_errors` raises them all as one DataError."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, file, row, column, value, expected) -> None:
        self.errors.append(Problem(file, row, column, value, expected))

    def warn(self, file, row, column, value, expected, found=None) -> None:
        self.warnings.append(Problem(file, row, column, value, expected, found))

    def extend(self, error: DataError) -> None:
        self.errors.extend(error.problems)

    def raise_errors(self) -> None:
        if self.errors:
            raise DataError(self.errors)


# -- cells --------------------------------------------------------------------------------
class Cells:
    """Typed access to the cells of one table, recording a problem for each bad cell."""

    def __init__(self, table: Table, problems: Problems):
        self.table = table
        self.problems = problems

    def require_columns(self, columns: Iterable[str]) -> bool:
        missing = [c for c in columns if c not in self.table.columns]
        for column in missing:
            self.problems.error(
                self.table.source, 1, column, None, f"a column named '{column}' in the header"
            )
        return not missing

    def bad(self, row: Row, column: str, expected: str):
        self.problems.error(self.table.source, row.number, column, row.get(column), expected)

    def text(self, row: Row, column: str, required: bool = True) -> str | None:
        """A cell's text on one line: runs of white space (a line break in a quoted cell, a
        tab) become one space, as the manuscript prints them; other control characters (which
        no font draws) are refused, naming the character."""
        value = row.get(column)
        if value.lower() in MISSING:
            if required:
                self.bad(row, column, "a value")
            return None
        value = " ".join(value.split())
        controls = sorted({ch for ch in value if unicodedata.category(ch) == "Cc"})
        if controls:
            names = ", ".join(f"U+{ord(ch):04X}" for ch in controls)
            self.bad(row, column, f"text without control characters ({names})")
            return None
        return value

    def number(
        self,
        row: Row,
        column: str,
        required: bool = False,
        positive: bool = False,
        minimum: float | None = None,
    ) -> float | None:
        raw = row.get(column)
        if raw.lower() in MISSING:
            if required:
                self.bad(row, column, "a number")
            return None
        text = raw.replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
        if self.table.decimal_comma:
            text = text.replace(",", ".")
        if not _NUMBER.match(text):
            self.bad(row, column, "a number" + (" (decimal point or comma)" if "," in raw else ""))
            return None
        value = float(text)
        if not abs(value) <= MAX_MAGNITUDE:  # also refuses 1e999 (inf)
            self.bad(row, column, f"a number between {-MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}")
            return None
        if positive and value <= 0:
            self.bad(row, column, "a number greater than 0")
            return None
        if positive and value < MIN_POSITIVE:
            self.bad(row, column, f"a number of at least {MIN_POSITIVE:g} (check the unit)")
            return None
        if minimum is not None and value < minimum:
            self.bad(row, column, f"a number of at least {minimum:g}")
            return None
        return value

    def integer(
        self,
        row: Row,
        column: str,
        required: bool = True,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.number(row, column, required=required)
        if value is None:
            return None
        if not value.is_integer():
            self.bad(row, column, "a whole number")
            return None
        if minimum is not None and value < minimum:
            self.bad(row, column, f"a whole number of at least {minimum}")
            return None
        if maximum is not None and value > maximum:
            self.bad(row, column, f"a whole number from {minimum} to {maximum}")
            return None
        return int(value)

    def boolean(self, row: Row, column: str) -> bool | None:
        value = row.get(column).lower()
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        self.bad(row, column, "yes or no (blank = no)")
        return None

    def rob(self, row: Row, column: str) -> str | None:
        value = " ".join(row.get(column).lower().replace("_", " ").split())
        if value in ROB_SPELLINGS:
            return ROB_SPELLINGS[value]
        expected = "a RoB 2 judgment: " + ", ".join(f"'{v}'" for v in ROB_LEVELS)
        if value == "unclear":
            expected += (
                " (RoB 1's 'unclear' has no RoB 2 equivalent: answer the domain's signalling "
                "questions)"
            )
        self.bad(row, column, expected)
        return None


def warn_unknown_columns(table: Table, known, problems: Problems) -> None:
    """Warn about each column of ``table`` not in ``known`` (it is ignored)."""
    for column in table.columns:
        if column not in known:
            problems.warn(
                table.source, 1, column, column, "a documented column (this one is ignored)"
            )


def known_study(cells: Cells, row, by_id: dict | None):
    """The row's study, or None: unknown ids are reported; ids of bad studies rows are not."""
    sid = cells.text(row, "study_id")
    if sid is None or by_id is None:
        return None
    if sid not in by_id:
        cells.bad(row, "study_id", "a study_id listed in studies.csv")
        return None
    return by_id[sid]


def numeric_column(table: Table, column: str) -> bool:
    """An extra column is numeric when most of its filled cells are numbers (the others are
    then reported as errors, not silently read as text)."""
    probe = Cells(table, Problems())
    values = [row for row in table.rows if row.get(column).lower() not in MISSING]
    numbers = sum(probe.number(row, column) is not None for row in values)
    return bool(values) and numbers > len(values) / 2


# -- rules for one arm (build, check and meta alike) ---------------------------------------
#: the fewest participants an arm may have (an SD needs two observations)
MIN_ARM_SIZE = 2
#: the columns of one arm's summary statistics in outcomes.csv (the arm number follows)
ARM_FIELDS = ("mean", "sd", "se", "ci_lower", "ci_upper", "median", "q1_", "q3_", "min", "max")


def arm_size(cells: Cells, row: Row, column: str, randomised: int | None = None) -> int | None:
    """Participants in one arm: a whole number of at least :data:`MIN_ARM_SIZE`, and at most
    ``randomised`` (the arm size in studies.csv) when given."""
    n = cells.integer(row, column, minimum=MIN_ARM_SIZE)
    if n is not None and randomised is not None and n > randomised:
        cells.bad(row, column, f"at most {randomised}, the arm size in studies.csv")
        return None
    return n


def events(cells: Cells, row: Row, column: str, n: int | None) -> int | None:
    """Patients with the event in one arm: a whole number from 0 to the arm's ``n``."""
    count = cells.integer(row, column, minimum=0)
    if count is not None and n is not None and count > n:
        cells.bad(row, column, f"at most {n}, the number of patients in the arm")
        return None
    return count


def standard_deviation(cells: Cells, row: Row, column: str, required: bool = False):
    """An SD (or SE): a number greater than 0."""
    return cells.number(row, column, required=required, positive=True)


def sampling_variance(cells: Cells, row: Row, column: str) -> float | None:
    """A study's sampling variance: a number greater than 0."""
    return cells.number(row, column, required=True, positive=True)


def arm_summary(cells: Cells, row: Row, arm: int) -> dict | None:
    """The summary statistics one arm reports (the keywords of
    :func:`analysis.data.conversions.available_form`), or None after recording the problems:
    one of SD, SE or CI with a mean; a CI that contains its mean; min <= q1 <= median <= q3 <=
    max, each quartile and range end with its partner; a spread wider than 0 to estimate an
    SD from; and a form the conversions can use."""
    col = {f: f"{f}{arm}" for f in ARM_FIELDS}
    errors_before = len(cells.problems.errors)
    v = {
        "mean": cells.number(row, col["mean"]),
        "sd": standard_deviation(cells, row, col["sd"]),
        "se": standard_deviation(cells, row, col["se"]),
        "ci_lower": cells.number(row, col["ci_lower"]),
        "ci_upper": cells.number(row, col["ci_upper"]),
        "median": cells.number(row, col["median"]),
        "q1": cells.number(row, col["q1_"]),
        "q3": cells.number(row, col["q3_"]),
        "minimum": cells.number(row, col["min"]),
        "maximum": cells.number(row, col["max"]),
    }
    ok = len(cells.problems.errors) == errors_before
    given = [c for c in ("sd", "se") if v[c] is not None]
    if v["ci_lower"] is not None or v["ci_upper"] is not None:
        given.append("ci")
    if v["mean"] is not None and len(given) > 1:
        ci = f"{col['ci_lower']}/{col['ci_upper']}"
        names = {"sd": col["sd"], "se": col["se"], "ci": ci}
        ci_given = col["ci_lower"] if v["ci_lower"] is not None else col["ci_upper"]
        cells.bad(
            row,
            {**names, "ci": ci_given}[given[1]],
            f"only one of {col['sd']}, {col['se']} or {ci} for arm {arm} "
            f"({' and '.join(names[g] for g in given)} are given)",
        )
        ok = False
    if v["ci_lower"] is not None and v["ci_upper"] is not None:
        if v["ci_lower"] >= v["ci_upper"]:
            cells.bad(row, col["ci_upper"], f"greater than {col['ci_lower']} ({v['ci_lower']:g})")
            ok = False
        elif v["mean"] is not None and not v["ci_lower"] <= v["mean"] <= v["ci_upper"]:
            cells.bad(
                row, col["mean"], f"a mean inside its CI {v['ci_lower']:g} to {v['ci_upper']:g}"
            )
            ok = False
    order = [
        ("minimum", "min"),
        ("q1", "q1_"),
        ("median", "median"),
        ("q3", "q3_"),
        ("maximum", "max"),
    ]
    present = [(key, name) for key, name in order if v[key] is not None]
    for (k_lo, n_lo), (k_hi, n_hi) in itertools.pairwise(present):
        if v[k_lo] > v[k_hi]:
            cells.bad(row, col[n_hi], f"at least {col[n_lo]} ({v[k_lo]:g})")
            ok = False
    names = {**dict(order), "ci_lower": "ci_lower", "ci_upper": "ci_upper"}
    for low, high in (("ci_lower", "ci_upper"), ("q1", "q3"), ("minimum", "maximum")):
        if (v[low] is None) != (v[high] is None):
            given, absent = (low, high) if v[high] is None else (high, low)
            cells.bad(row, col[names[absent]], f"a value, as {col[names[given]]} is given")
            ok = False
    if (
        v["median"] is not None
        and v["q1"] is not None
        and v["q1"] == v["q3"]
        and v["minimum"] is None
    ):
        cells.bad(row, col["q3_"], "an interquartile range wider than 0 to estimate the SD")
        ok = False
    if v["median"] is not None and v["minimum"] is not None and v["minimum"] == v["maximum"]:
        cells.bad(row, col["max"], "a range wider than 0 to estimate the SD")
        ok = False
    form = conversions.available_form(**v)
    if form is None and ok:
        column = col["sd"] if v["mean"] is not None else col["mean"]
        cells.bad(
            row,
            column,
            f"for arm {arm}: {col['mean']} with {col['sd']}, {col['se']} or "
            f"{col['ci_lower']}/{col['ci_upper']}; or {col['median']} with "
            f"{col['q1_']}/{col['q3_']} and/or {col['min']}/{col['max']}",
        )
    return v if ok and form is not None else None


def converted_sd_positive(cells: Cells, row: Row, arm: int, sd: float, description: str) -> bool:
    """Whether an SD converted from other statistics (``description``) is greater than 0;
    records the problem when not."""
    if sd > 0:
        return True
    cells.problems.error(
        cells.table.source,
        row.number,
        f"sd{arm}",
        sd,
        f"a converted SD greater than 0 for arm {arm} ({description})",
    )
    return False


# -- cross-checks -------------------------------------------------------------------------
def warn_search_databases(databases, prisma, problems: Problems) -> None:
    """Warn when review.yml ``search.databases`` and the databases counted in prisma.yml
    differ (the methods and the flow diagram would name different searches)."""
    counted = tuple(prisma.databases) if prisma is not None else None
    if counted is not None and set(databases) != set(counted):
        problems.warn(
            REVIEW_FILE, None, "search.databases", ", ".join(databases),
            "the same databases as prisma.yml identification.databases: " + ", ".join(counted),
        )  # fmt: skip


def rob2_overall(domains: Iterable[str]) -> tuple[str, ...]:
    """Overall judgments the RoB 2 algorithm allows for the five domain judgments.

    Notes
    -----
    Low if every domain is low; high if any domain is high; otherwise some concerns — or high
    when several domains have some concerns that together lower confidence substantially.

    References
    ----------
    Sterne JAC, Savović J, Page MJ, et al. (2019). RoB 2: a revised tool for assessing risk of
    bias in randomised trials. BMJ 366:l4898, table 2.
    """
    domains = tuple(domains)
    if "high" in domains:
        return ("high",)
    concerns = domains.count("some concerns")
    if concerns == 0:
        return ("low",)
    return ("some concerns", "high") if concerns >= 2 else ("some concerns",)


def sd_looks_like_se(sd: float, n: int, other_sds: list[float]) -> float | None:
    """The typical SD of the other studies if ``sd`` looks like a standard error, else None.

    An SD typed where an SE belongs is smaller by √n. Flag it when the SD is under a third of
    the median SD of the other studies' arms and SD·√n lies closer (on the log scale) to that
    median than the SD itself (needs at least two other studies).
    """
    if len(other_sds) < 2 or sd <= 0:
        return None
    typical = statistics.median(other_sds)
    if sd >= typical / 3:
        return None
    if abs(math.log(sd * math.sqrt(n) / typical)) < abs(math.log(sd / typical)):
        return typical
    return None


def repeated(cells: Cells, row: Row, key, seen, column: str, expected: str) -> bool:
    """Whether ``key`` (a study, or a study and outcome or event) already had a row in
    ``seen``; records the repeat as a problem of ``column``."""
    if key in seen:
        cells.bad(row, column, expected)
        return True
    return False


def declared_outcome(cells: Cells, row: Row, column: str, oid, specs, expected: str) -> None:
    """Records an outcome id (when given) that review.yml does not declare."""
    if oid is not None and oid not in specs:
        cells.bad(row, column, expected)


def study_fields(cells: Cells, row: Row, bib_keys) -> dict:
    """The citation, year, arm sizes and label of one studies.csv row (None where bad): the
    citation a well-formed key defined in references.bib (``bib_keys``, None when it could not
    be read), the year within :data:`YEAR_RANGE`, each arm at least :data:`MIN_ARM_SIZE`."""
    citation = cells.text(row, "citation")
    expected = citation_problem(citation, bib_keys) if citation is not None else None
    if expected:
        cells.bad(row, "citation", expected)
    return {
        "citation": citation,
        "year": cells.integer(row, "year", minimum=YEAR_RANGE[0], maximum=YEAR_RANGE[1]),
        "n1": cells.integer(row, "n1", minimum=MIN_ARM_SIZE),
        "n2": cells.integer(row, "n2", minimum=MIN_ARM_SIZE),
        "label": cells.text(row, "label"),
    }


def citation_problem(key: str, known) -> str | None:
    """What a citation key should be, or None when it is one pandoc can cite and ``known``
    (the keys of references.bib, plus any other bibliography cited; None when unread) holds."""
    if not CITEKEY_PATTERN.match(key):
        return (
            "a citation key: starts with a letter, digit or _, then letters, digits and "
            "_:.#$%&+?<>~/- (no spaces)"
        )
    if known is not None and key not in known:
        return f"a citation key defined in {BIB_FILE}"
    return None


def warn_rob_overall(cells: Cells, row: Row, judgments: dict) -> None:
    """Warn when a row's overall judgment is not one :func:`rob2_overall` allows for its
    domain judgments."""
    allowed = rob2_overall(judgments[d] for d in ROB_DOMAINS)
    if judgments["overall"] not in allowed:
        cells.problems.warn(
            cells.table.source,
            row.number,
            "overall",
            row.get("overall"),
            f"'{' or '.join(allowed)}' by the RoB 2 algorithm for domains "
            + ", ".join(judgments[d] for d in ROB_DOMAINS),
        )


# -- cross-file checks and warnings (the tables against review.yml) ------------------------
def check_analysis_columns(
    settings, table: Table, outcomes: Table | None, studies, problems: Problems
) -> None:
    """The subgroup and moderator columns exist (moderators numeric) and are filled in for
    every study with rows in outcomes.csv (the analyses need a value per study).

    Read from the tables' cells, so a blank is reported even when the study's or its
    outcome rows have other errors."""
    contributing = {row.get("study_id") for row in outcomes.rows} if outcomes else set()
    listed = {}
    for row in table.rows:
        listed.setdefault(row.get("study_id"), row)
    for path, names, numeric in (
        ("analysis.subgroups", settings.subgroups, False),
        ("analysis.moderators", settings.moderators, True),
    ):
        for name in names:
            if name not in table.columns:
                problems.error(REVIEW_FILE, None, path, name, "a column of studies.csv")
                continue
            if numeric and not all(
                isinstance(s.get(name), (int, float)) or s.get(name) is None for s in studies
            ):
                problems.error(REVIEW_FILE, None, path, name, "a numeric column of studies.csv")
            for sid, row in listed.items():
                if sid and sid in contributing and row.get(name).lower() in MISSING:
                    problems.error(
                        table.source,
                        row.number,
                        name,
                        row.get(name),
                        f"a value: {path} in {REVIEW_FILE} names this column and "
                        f"{sid} contributes outcome data",
                    )


def check_completeness(tables, studies, specs, rob, problems: Problems) -> None:
    """An error for a declared outcome without rows in outcomes.csv (nothing to pool); a
    warning for a study without a RoB 2 assessment (none when the table is header-only: risk
    of bias was then not assessed)."""
    if tables["outcomes"] is not None and "outcome" in tables["outcomes"].columns:
        with_rows = {row.get("outcome") for row in tables["outcomes"].rows}
        for oid in specs:
            if oid not in with_rows:
                problems.error(
                    REVIEW_FILE,
                    None,
                    "outcomes",
                    oid,
                    f"an outcome with rows in {tables['outcomes'].source} (no study reports "
                    "it, so there is nothing to pool)",
                )
    if tables["risk_of_bias"] is not None and tables["risk_of_bias"].rows:
        assessed = {r.study_id for r in rob}
        for study in studies:
            if study.study_id not in assessed:
                problems.warn(
                    tables["risk_of_bias"].source,
                    None,
                    "study_id",
                    study.study_id,
                    "a RoB 2 row for every study",
                )


def warn_sd_like_se(outcome_data, specs, table, problems: Problems) -> None:
    for oid, spec in specs.items():
        if spec.measure not in CONTINUOUS_MEASURES:
            continue
        rows = [r for r in outcome_data if r.outcome == oid]
        for r in rows:
            others = [s for o in rows if o.study_id != r.study_id for s in (o.sd1, o.sd2)]
            for arm, sd, n in ((1, r.sd1, r.n1), (2, r.sd2, r.n2)):
                typical = sd_looks_like_se(sd, n, others)
                if typical is not None and not any(c.arm == arm for c in r.conversions):
                    problems.warn(
                        table.source,
                        r.row,
                        f"sd{arm}",
                        sd,
                        f"an SD, but it looks like a standard error: the other studies' SDs are "
                        f"about {typical:.3g} and {sd:g} × √{n} = {sd * n**0.5:.3g} "
                        f"(if it is an SE, enter it in se{arm})",
                    )


def refuse_uninformative_tables(outcome_data, specs, table, problems: Problems) -> None:
    """An error for a risk-ratio or odds-ratio outcome whose every trial has no events in either
    arm, or events in every participant of both arms: no trial says anything about the ratio,
    and a pooled estimate would come from the continuity corrections alone.

    References
    ----------
    Cochrane Handbook for Systematic Reviews of Interventions, version 6.5 (2024), section
    10.4.4.2: such studies provide no information on the relative effect.
    """
    for oid, spec in specs.items():
        rows = [r for r in outcome_data if r.outcome == oid and r.events1 is not None]
        if spec.measure not in ("RR", "OR") or not rows:
            continue
        if all(
            (r.events1 == 0 and r.events2 == 0) or (r.events1 == r.n1 and r.events2 == r.n2)
            for r in rows
        ):
            problems.error(
                table.source,
                None,
                "events1",
                oid,
                f"at least one trial of outcome '{oid}' with events in some but not all "
                f"participants (rows {_row_span(rows)} have no events in either arm, or events "
                f"in every participant of both: the {spec.measure} cannot be estimated)",
            )


def _row_span(rows) -> str:
    numbers = sorted(r.row for r in rows)
    return f"{numbers[0]}–{numbers[-1]}" if len(numbers) > 1 else str(numbers[0])


def warn_change_scores(outcome_data, specs, table, problems: Problems) -> None:
    """Warn when an SMD outcome mixes change-from-baseline and final values.

    References
    ----------
    Cochrane Handbook for Systematic Reviews of Interventions, version 6.5 (2024), section
    10.5.2: change scores and final values should not be combined as SMDs.
    """
    for oid, spec in specs.items():
        rows = [r for r in outcome_data if r.outcome == oid]
        changes = [r for r in rows if r.change]
        if spec.measure == "SMD" and changes and len(changes) < len(rows):
            for r in changes:
                problems.warn(
                    table.source,
                    r.row,
                    "change",
                    "yes",
                    f"final values as in the other rows of '{oid}': change from baseline and "
                    "final values should not be mixed in an SMD (Cochrane Handbook 10.5.2)",
                )


# -- YAML values -------------------------------------------------------------------------
class Fields:
    """Typed access to a YAML mapping, recording a problem for each bad value; problems name
    the key path (``analysis.model``)."""

    def __init__(self, file: str, problems: Problems):
        self.file = file
        self.problems = problems

    def bad(self, path: str, value, expected: str) -> None:
        self.problems.error(self.file, None, path, value, expected)

    def mapping(self, parent: dict, key: str, path: str, required: bool = True) -> dict:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.bad(path, None, "a mapping of keys to values")
            return {}
        if not isinstance(value, dict):
            self.bad(path, value, "a mapping of keys to values")
            return {}
        return value

    def as_text(self, value, path: str) -> str | None:
        """A scalar in a text position as text (a date as YYYY-MM-DD), or None after recording
        the problem: blank, a mapping or a list is refused, and so are a number and true/false,
        as YAML may have changed what was typed (1.10 is read as 1.1, 0x1F as 31)."""
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()[:10]
        if isinstance(value, (bool, int, float)):
            kind = "true/false" if isinstance(value, bool) else "a number"
            self.bad(path, value, f'text (YAML reads this as {kind}; put it in quotes: "...")')
            return None
        self.bad(path, value, "text")
        return None

    def text(self, parent: dict, key: str, path: str, required: bool = True) -> str | None:
        value = parent.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(path, value, "text")
            return None
        return self.as_text(value, path)

    def date(self, parent: dict, key: str, path: str) -> str | None:
        value = self.text(parent, key, path, required=False)
        if value is None:
            return None
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            self.bad(path, value, "a date as YYYY-MM-DD")
            return None
        return value

    def boolean(self, parent: dict, key: str, path: str, default: bool | None = None) -> bool:
        value = parent.get(key, default)
        if not isinstance(value, bool):
            self.bad(path, value, "true or false")
            return bool(default)
        return value

    def choice(self, parent: dict, key: str, path: str, allowed, default=None, aliases=None):
        value = parent.get(key, default)
        if isinstance(value, str):
            lookup = {a.lower(): a for a in allowed} | (aliases or {})
            if value.strip().lower() in lookup:
                return lookup[value.strip().lower()]
        self.bad(path, value, "one of " + ", ".join(allowed))
        return default

    def strings(self, parent: dict, key: str, path: str, required: bool = False) -> tuple:
        """A list of text items (one item may stand alone); ``required``: at least one."""
        value = parent.get(key)
        if value is None or value == []:
            if required:
                self.bad(path, value, "a list of at least one item")
            return ()
        if isinstance(value, dict):
            self.bad(path, value, "a list of text items")
            return ()
        items = value if isinstance(value, list) else [value]
        texts = [self.as_text(v, f"{path}[{i}]") for i, v in enumerate(items, start=1)]
        return () if None in texts else tuple(texts)

    def count(self, parent: dict, key: str, path: str, minimum: int = 0) -> int:
        value = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.bad(path, value, f"a whole number of at least {minimum}")
            return 0
        return value

    def counts(self, parent: dict, key: str, path: str, required: bool = True) -> dict:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.bad(path, value, "a mapping of names to counts (may be {})")
            return {}
        names = {k: self.as_text(k, f"{path}.{k}") for k in value}
        return {n: self.count(value, k, f"{path}.{k}") for k, n in names.items() if n is not None}


def warn_bibliography(bib_keys, methods_keys, methods_name, outcome_data, table, problems) -> None:
    """Warn about keys that references.bib shares with the methods bibliography
    (``methods_keys``, the file ``methods_name``), and about conversion methods that neither
    bibliography holds."""
    for key in sorted(set(bib_keys or ()) & set(methods_keys)):
        problems.warn(BIB_FILE, None, None, key, f"a key not also defined in {methods_name}")
    known = set(bib_keys or ()) | set(methods_keys)
    missing = {
        (r.row, key, c.source)
        for r in outcome_data
        for c in r.conversions
        for key in c.bibkey.split("; ")
        if key not in known
    }
    for row, key, source in sorted(missing):
        problems.warn(
            table.source,
            row,
            None,
            key,
            f"an entry in {BIB_FILE} or {methods_name} for the conversion method cited ({source})",
        )


# -- rules of review.yml and grade.yml values ----------------------------------------
#: an outcome id: a letter, then letters, digits and _
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def known_names(names, allowed, path: str, f: Fields, each_path: bool = True) -> None:
    """Records each of ``names`` (the keys of a mapping, or listed values) that is not one of
    ``allowed``, at ``path.name`` (``each_path``) or at ``path``."""
    for name in names:
        if name not in allowed:
            f.bad(f"{path}.{name}" if each_path else path, name, "one of " + ", ".join(allowed))


def confidence_level(a: dict, f: Fields) -> float:
    """review.yml ``analysis.level`` (or ``1 - analysis.alpha``, not both): a number between 0
    and 1, 0.95 when unset or bad."""
    if "level" in a and "alpha" in a:
        f.bad("analysis.alpha", a["alpha"], "either analysis.level or analysis.alpha, not both")
    level = a.get("level", 1 - a["alpha"] if isinstance(a.get("alpha"), float) else 0.95)
    if "alpha" in a and not isinstance(a["alpha"], float):
        f.bad("analysis.alpha", a["alpha"], "a number between 0 and 1, e.g. 0.05")
    if not isinstance(level, float) or not 0 < level < 1:
        f.bad("analysis.level", level, "a number between 0 and 1, e.g. 0.95")
        level = 0.95
    return round(float(level), 10)


#: review.yml ``search`` dates, in the order they must fall
SEARCH_DATES = ("date_from", "date_to", "last_search")


def search_dates_in_order(search, f: Fields, today: dt.date | None = None) -> None:
    """Records each review.yml ``search`` date before the one given ahead of it: date_from ≤
    date_to ≤ last_search ≤ today (each optional)."""
    given = [
        (f"search.{key}", dt.date.fromisoformat(value))
        for key in SEARCH_DATES
        if (value := getattr(search, key)) is not None
    ]
    given.append(("today", today or dt.date.today()))
    for (key_before, before), (key, date) in itertools.pairwise(given):
        if date >= before:
            continue
        if key == "today":
            f.bad(key_before, before.isoformat(), f"a date not after today ({date})")
        else:
            f.bad(key, date.isoformat(), f"a date on or after {key_before} ({before})")


def sensitivity_analyses(a: dict, f: Fields) -> tuple:
    """review.yml ``analysis.sensitivity``: the names given, each a known sensitivity
    analysis (an unknown name is recorded and kept, so the settings still load)."""
    sensitivity = f.strings(a, "sensitivity", "analysis.sensitivity")
    known_names(sensitivity, SENSITIVITY_ANALYSES, "analysis.sensitivity", f, each_path=False)
    return sensitivity


def pooling_method(item: dict, path: str, measure: str, settings, f: Fields) -> str:
    """The outcome's pooling method (its own ``method``, else ``analysis.method``), refused
    where it cannot be fitted: MH needs a binary measure, Peto odds ratios, and both a
    z-based CI (metafor ``rma.mh``/``rma.peto``)."""
    own = "method" in item
    key = f"{path}.method" if own else "analysis.method"
    method = (
        f.choice(item, "method", key, REVIEW_POOLING_METHODS, INVERSE_VARIANCE)
        if own
        else settings.pooling
    )
    if method == INVERSE_VARIANCE:
        return method
    if measure not in TABLE_METHOD_MEASURES[method]:
        pools = "/".join(TABLE_METHOD_MEASURES[method])
        f.bad(key, method, f"{INVERSE_VARIANCE} for {measure} outcome '{item.get('id')}' "
              f"({method} pools {pools} only)")  # fmt: skip
        return INVERSE_VARIANCE
    if settings.ci_method != "z":
        f.bad(key, method, f"{INVERSE_VARIANCE} with analysis.ci_method "
              f"{settings.ci_method} ({method} has z-based intervals only)")  # fmt: skip
        return INVERSE_VARIANCE
    return method


def outcome_id(item: dict, path: str, seen, f: Fields) -> str | None:
    """An outcome's ``id``: an identifier (:data:`IDENTIFIER`) not in ``seen``, or None after
    recording the problem."""
    oid = f.text(item, "id", f"{path}.id")
    if oid is not None and not IDENTIFIER.match(oid):
        f.bad(f"{path}.id", oid, "an identifier: letters, digits and _ (e.g. anti_dsdna)")
        oid = None
    if oid in seen:
        f.bad(f"{path}.id", oid, "a unique outcome id")
        oid = None
    return oid


def grade_judgments(outcomes: dict, specs: dict, have_specs: bool, f: Fields) -> list:
    """The GRADE judgments of grade.yml ``outcomes`` (outcome id -> domain -> ``downgrade`` 0,
    1 or 2 with a ``reason`` when above 0), each outcome declared in review.yml (``specs``,
    checked when ``have_specs``) and each domain a GRADE domain."""
    judgments = []
    for oid, domains in outcomes.items():
        if have_specs and oid not in specs:
            f.bad(f"outcomes.{oid}", oid, "an outcome id declared in review.yml")
            continue
        if not isinstance(domains, dict):
            f.bad(f"outcomes.{oid}", domains, "a mapping of GRADE domains to judgments")
            continue
        for domain, judgment in domains.items():
            path_ = f"outcomes.{oid}.{domain}"
            if domain not in GRADE_DOMAINS:
                f.bad(path_, domain, "one of " + ", ".join(GRADE_DOMAINS))
                continue
            if not isinstance(judgment, dict):
                judgment = {"downgrade": judgment}
            level = judgment.get("downgrade")
            if isinstance(level, bool) or level not in (0, 1, 2):
                f.bad(f"{path_}.downgrade", level, "0, 1 or 2 (levels to downgrade)")
                continue
            reason = f.text(judgment, "reason", f"{path_}.reason", required=level > 0)
            judgments.append(GradeJudgment(oid, domain, level, reason))
    return judgments


def resolve_characteristics(declared, table: Table | None, studies, problems: Problems):
    """The declared characteristics, each naming a studies.csv column; an unset ``summary`` is
    ``range`` for a numeric column and ``counts`` for a text column (a ``range`` of text is an
    error naming the key)."""
    if table is None:
        return declared
    resolved = []
    for i, c in enumerate(declared, start=1):
        if c.column not in table.columns:
            problems.error(
                REVIEW_FILE, None, f"characteristics[{i}].column", c.column,
                f"a column of {table.source}: " + ", ".join(table.columns),
            )  # fmt: skip
            continue
        values = [s.get(c.column) for s in studies if s.get(c.column) is not None]
        numeric = bool(values) and all(isinstance(v, (float, int)) for v in values)
        summary = c.summary or ("range" if numeric else "counts")
        if summary == "range" and not numeric:
            problems.error(
                REVIEW_FILE, None, f"characteristics[{i}].summary", summary,
                f"counts or none: column '{c.column}' holds text",
            )  # fmt: skip
            continue
        resolved.append(replace(c, summary=summary))
    return tuple(resolved)


# -- a BibTeX file -------------------------------------------------------------------------
def bib_entry_keys(text: str, items, file: str, problems: Problems) -> list[str]:
    """The citation keys of the entries among ``items`` (read from ``text``), recording each
    entry's syntax errors and each key defined twice."""
    keys = []
    for item in items:
        if not item.is_entry:
            continue
        lines = text.splitlines()
        for line, expected in bibtex_syntax_errors(item):
            problems.error(file, line, None, lines[min(line, len(lines)) - 1].strip(), expected)
        if item.key in keys:
            line = item.line
            problems.error(file, None, None, item.key, f"a unique citation key (line {line})")
        keys.append(item.key)
    return keys


# -- the keys of a YAML file ---------------------------------------------------------------
def check_keys(content, keys, file: str, problems: Problems, path: str = "") -> None:
    """Record every key of ``content`` that ``keys`` (a schema of
    :mod:`analysis.data.schema`: ``REVIEW_KEYS``...) does not allow, at every level, naming
    the key path, the file and the nearest allowed key ("did you mean tau2_method?")."""
    if isinstance(keys, list):
        for i, item in enumerate(content if isinstance(content, list) else [], start=1):
            check_keys(item, keys[0], file, problems, f"{path}[{i}]")
        return
    if isinstance(keys, tuple):  # (NAMED, schema of each value)
        if isinstance(content, dict):
            for name, value in content.items():
                check_keys(value, keys[1], file, problems, f"{path}.{name}")
        return
    if not isinstance(keys, dict) or not isinstance(content, dict):
        return
    for key, value in content.items():
        where = f"{path}.{key}" if path else str(key)
        if key in keys:
            check_keys(value, keys[key], file, problems, where)
            continue
        near = difflib.get_close_matches(str(key), list(keys), n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]}?" if near else ""
        problems.error(file, None, where, str(key), "a known key: one of " + ", ".join(keys) + hint)
