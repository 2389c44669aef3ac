"""The data rules of `build`, `check` and `meta`: collect every problem, then report them together.

:class:`Problems` gathers errors (the data cannot be analysed) and warnings (what a
statistician would flag). The cell parsers record a problem and return ``None`` instead of
raising, so one pass finds everything. The cross-checks below encode the rules a reviewer
would otherwise check by hand; each names its published basis.
"""

from __future__ import annotations

import difflib
import math
import re
import statistics
from collections.abc import Iterable

from analysis.data.reading import Row, Table
from analysis.errors import DataError, Problem
from analysis.vocabulary import CONTINUOUS_MEASURES, ROB_LEVELS

REVIEW_FILE = "review.yml"

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

    def warn(self, file, row, column, value, expected) -> None:
        self.warnings.append(Problem(file, row, column, value, expected))

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
        value = row.get(column)
        if value.lower() in MISSING:
            if required:
                self.bad(row, column, "a value")
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
        self.bad(row, column, "a RoB 2 judgment: " + ", ".join(f"'{v}'" for v in ROB_LEVELS))
        return None


# -- rules for one arm (build, check and meta alike) ---------------------------------------
#: the fewest participants an arm may have (an SD needs two observations)
MIN_ARM_SIZE = 2


def arm_size(cells: Cells, row: Row, column: str) -> int | None:
    """Participants in one arm: a whole number of at least :data:`MIN_ARM_SIZE`."""
    return cells.integer(row, column, minimum=MIN_ARM_SIZE)


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


# -- cross-checks -------------------------------------------------------------------------
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


# -- cross-file checks and warnings (the tables against review.yml) ------------------------
def check_analysis_columns(
    settings, table: Table, studies, outcome_data, problems: Problems
) -> None:
    """The subgroup and moderator columns exist (moderators numeric) and are filled in for
    every study that contributes outcome data (the analyses need a value per study)."""
    contributing = {r.study_id for r in outcome_data}
    rows = {row.number: row for row in table.rows}
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
            for study in studies:
                value = study.get(name)
                if study.study_id in contributing and (
                    value is None or str(value).strip().lower() in MISSING
                ):
                    problems.error(
                        table.source,
                        study.row,
                        name,
                        rows[study.row].get(name),
                        f"a value: {path} in {REVIEW_FILE} names this column and "
                        f"{study.study_id} contributes outcome data",
                    )


def check_completeness(tables, studies, specs, rob, problems: Problems) -> None:
    """An error for a declared outcome without rows in outcomes.csv (nothing to pool); a
    warning for a study without a RoB 2 assessment."""
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
    if tables["risk_of_bias"] is not None:
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
