"""``load_review(data_dir) -> Review``: read a data folder and convert it to a typed Review.

The rules that decide whether a value is acceptable are :mod:`analysis.data.validation`'s;
this module reads the files, converts them and calls those rules. Every problem in every file
is collected first and raised together as one
:class:`~analysis.errors.DataError`; what only deserves a statistician's attention ends up in
``Review.warnings``. The files and their columns are documented in ``data/README.md``.
"""

from __future__ import annotations

from pathlib import Path

from analysis import vocabulary
from analysis.bibliography import read_items as bibtex_items
from analysis.data import conversions
from analysis.data.file_names import warn_unknown_files
from analysis.data.placeholders import warn_placeholders
from analysis.data.prisma_flow import prisma_arithmetic
from analysis.data.reading import (
    TABLES,
    Table,
    Workbook,
    check_text_file,
    find_workbook,
    normalise_header,
    read_table,
    read_yaml,
)
from analysis.data.schema import (
    GRADE_KEYS,
    PRISMA_KEYS,
    PROCESS_STEPS,
    REMOVAL_REASONS,
    REVIEW_KEYS,
    AdverseEvent,
    AnalysisSettings,
    ArmData,
    Author,
    Characteristic,
    Conversion,
    Eligibility,
    GradeJudgment,
    Labelling,
    OutcomeSpec,
    Prisma,
    ProcessStep,
    Review,
    RobAssessment,
    Search,
    Study,
    Vocabulary,
    event_key,
)
from analysis.data.section_rules import check_sections
from analysis.data.validation import (
    ARM_FIELDS,
    BIB_FILE,
    REVIEW_FILE,
    Cells,
    Fields,
    Problems,
    arm_size,
    arm_summary,
    bib_entry_keys,
    check_analysis_columns,
    check_completeness,
    check_keys,
    confidence_level,
    converted_sd_positive,
    declared_outcome,
    events,
    grade_judgments,
    known_names,
    known_study,
    numeric_column,
    outcome_id,
    pooling_method,
    refuse_uninformative_tables,
    repeated,
    resolve_characteristics,
    search_dates_in_order,
    sensitivity_analyses,
    study_fields,
    warn_bibliography,
    warn_change_scores,
    warn_rob_overall,
    warn_sd_like_se,
    warn_search_databases,
    warn_unknown_columns,
)
from analysis.errors import DataError, Problem
from analysis.paths import DATA_DIR, METHODS_BIB, ROOT
from analysis.sections import SECTIONS_DIR
from analysis.vocabulary import (
    CHARACTERISTIC_SUMMARIES,
    CI_ALIASES,
    CI_METHODS,
    CREDIT_ROLES,
    ILLUSTRATIVE_PARTS,
    INVERSE_VARIANCE,
    MODELS,
    REVIEW_POOLING_METHODS,
    ROB_DOMAINS,
    TAU2_METHODS,
    VOCABULARY_KEYS,
)
from analysis.vocabulary import REVIEW_MEASURES as MEASURES

PRISMA_FILE = "prisma.yml"
GRADE_FILE = "grade.yml"
#: the names the builder reads in a data folder (data/README.md)
EXPECTED_FILES = (
    REVIEW_FILE,
    *(f"{name}.csv" for name in TABLES),
    PRISMA_FILE,
    GRADE_FILE,
    BIB_FILE,
    SECTIONS_DIR,
)

#: the studies.csv columns every review needs: they identify the trials and feed the statistics
#: (any other column is a characteristic, declared in review.yml ``characteristics``)
STUDY_COLUMNS = ("study_id", "label", "citation", "year", "n1", "n2")
#: tables a review may leave out (absent, or a header-only file): the manuscript then says the
#: part was not done
OPTIONAL_TABLES = ("adverse_events", "risk_of_bias")
OUTCOME_COLUMNS = (
    "study_id",
    "outcome",
    "n1",
    "n2",
    *(f"{f}{arm}" for arm in (1, 2) for f in ARM_FIELDS),
    "events1",
    "events2",
    "change",
    "notes",
)
ADVERSE_COLUMNS = ("study_id", "event", "serious", "events1", "n1", "events2", "n2")
ROB_COLUMNS = ("study_id", "outcome", *ROB_DOMAINS, "overall")


def load_review(data_dir: Path | str = DATA_DIR) -> Review:
    """Load, convert and validate the review in ``data_dir``.

    Raises
    ------
    DataError
        with every problem found, each naming file, row, column, value and expectation.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(Problem(str(data_dir), None, None, None, "a data folder"))
    problems = Problems()
    inputs: list[Path] = []

    settings = _ReviewYml(data_dir / REVIEW_FILE, problems)
    if settings.loaded:
        inputs.append(data_dir / REVIEW_FILE)
    tables = _read_tables(data_dir, problems)
    inputs += sorted({t.path for t in tables.values() if t is not None})
    bib_keys = _bib_keys(data_dir / BIB_FILE, problems)
    if bib_keys is not None:
        inputs.append(data_dir / BIB_FILE)

    studies, by_id = _studies(tables["studies"], bib_keys, problems)
    specs = {o.id: o for o in settings.outcomes}
    outcome_data = _outcome_data(tables["outcomes"], by_id, specs, settings.loaded, problems)
    adverse = _adverse_events(tables["adverse_events"], by_id, problems)
    rob = _risk_of_bias(tables["risk_of_bias"], by_id, specs, settings.loaded, problems)
    n_listed = len(tables["studies"].rows) if tables["studies"] is not None else None
    prisma = _prisma(data_dir / PRISMA_FILE, n_listed, problems)
    grade = _grade(data_dir / GRADE_FILE, specs, settings.loaded, problems)
    for name in (PRISMA_FILE, GRADE_FILE):
        if (data_dir / name).exists():
            inputs.append(data_dir / name)

    if tables["studies"] is not None:
        check_analysis_columns(
            settings.analysis, tables["studies"], tables["outcomes"], studies, problems
        )
    characteristics = resolve_characteristics(
        settings.characteristics, tables["studies"], studies, problems
    )
    check_completeness(tables, studies, specs, rob, problems)
    warn_search_databases(settings.search.databases, prisma, problems)
    warn_sd_like_se(outcome_data, specs, tables["outcomes"], problems)
    warn_change_scores(outcome_data, specs, tables["outcomes"], problems)
    refuse_uninformative_tables(outcome_data, specs, tables["outcomes"], problems)
    methods_keys = _bib_keys(METHODS_BIB, Problems()) if METHODS_BIB.exists() else []
    warn_bibliography(
        bib_keys,
        methods_keys,
        METHODS_BIB.relative_to(ROOT),
        outcome_data,
        tables["outcomes"],
        problems,
    )
    check_sections(data_dir, _cite_keys(bib_keys, methods_keys), problems)
    warn_unknown_files(data_dir, EXPECTED_FILES, problems)
    warn_placeholders(data_dir, tables, problems)
    problems.raise_errors()

    order = {s.study_id: i for i, s in enumerate(studies)}
    outcome_rank = {o.id: i for i, o in enumerate(settings.outcomes)}
    return Review(
        data_dir=data_dir,
        title=settings.title,
        short_title=settings.short_title,
        labelling=settings.labelling,
        vocabulary=settings.vocabulary,
        characteristics=characteristics,
        authors=settings.authors,
        keywords=settings.keywords,
        registration=settings.registration,
        funding=settings.funding,
        protocol=settings.protocol,
        process=settings.process,
        search=settings.search,
        eligibility=settings.eligibility,
        analysis=settings.analysis,
        outcomes=settings.outcomes,
        studies=tuple(studies),
        outcome_data=tuple(
            sorted(outcome_data, key=lambda r: (outcome_rank[r.outcome], order[r.study_id]))
        ),
        adverse_events=tuple(sorted(adverse, key=lambda a: order[a.study_id])),
        risk_of_bias=tuple(sorted(rob, key=lambda r: (order[r.study_id], r.outcome or ""))),
        prisma=prisma,
        grade=tuple(grade),
        bibliography=tuple(bib_keys),
        bibliography_file=data_dir / BIB_FILE,
        input_files=tuple(inputs),
        warnings=tuple(problems.warnings),
        language=settings.language,
    )


# -- YAML ---------------------------------------------------------------------------------
def _load_yaml(path: Path, problems: Problems):
    """The mapping in a YAML file (safe loader, duplicate keys refused), or None after
    recording the problem."""
    if not path.exists() and not path.is_symlink():
        problems.error(path.name, None, None, None, "the file to exist in the data folder")
        return None
    try:
        content = read_yaml(path)
    except DataError as error:
        problems.extend(error)
        return None
    if content is None:
        return {}
    if not isinstance(content, dict):
        problems.error(path.name, None, None, type(content).__name__, "a mapping of keys to values")
        return None
    return content


class _ReviewYml:
    """The parsed review.yml; defaults stand in for bad values so checking can go on."""

    def __init__(self, path: Path, problems: Problems):
        content = _load_yaml(path, problems)
        self.loaded = content is not None
        content = content or {}
        check_keys(content, REVIEW_KEYS, path.name, problems)
        f = Fields(path.name, problems)
        self.title = f.text(content, "title", "title", required=self.loaded) or ""
        self.short_title = f.text(content, "short_title", "short_title", False) or self.title
        self.labelling = self._labelling(content, f)
        self.vocabulary = self._vocabulary(f.mapping(content, "vocabulary", "vocabulary", False), f)
        self.characteristics = self._characteristics(content, f)
        self.language = f.choice(
            content, "language", "language", vocabulary.LANGUAGES, default=vocabulary.LANGUAGES[0]
        )
        self.authors = self._authors(content, f)
        self.keywords = f.strings(content, "keywords", "keywords")
        self.registration = f.text(content, "registration", "registration", required=False)
        self.funding = f.text(content, "funding", "funding", required=False)
        self.protocol = f.text(content, "protocol", "protocol", required=False)
        self.process = self._process(f.mapping(content, "process", "process", False), f)
        search = f.mapping(content, "search", "search", required=self.loaded)
        self.search = Search(
            databases=f.strings(search, "databases", "search.databases", required=self.loaded),
            date_from=f.date(search, "date_from", "search.date_from"),
            date_to=f.date(search, "date_to", "search.date_to"),
            last_search=f.date(search, "last_search", "search.last_search"),
            strategy=f.text(search, "strategy", "search.strategy", required=False),
        )
        search_dates_in_order(self.search, f)
        picos = f.mapping(content, "eligibility", "eligibility", required=self.loaded)
        self.eligibility = Eligibility(
            **{
                key: f.text(picos, key, f"eligibility.{key}", required=self.loaded) or ""
                for key in ("population", "intervention", "comparator", "outcomes", "study_design")
            }
        )
        self.analysis = self._analysis(f.mapping(content, "analysis", "analysis", False), f)
        self.outcomes = self._outcomes(content, f, self.analysis) if self.loaded else ()

    @staticmethod
    def _labelling(content: dict, f: Fields) -> Labelling:
        """``example: true`` (fully synthetic: data and every surrounding part), ``false``, or
        ``{synthetic_data: true/false, illustrative: [parts]}``."""
        value = content.get("example", False)
        if isinstance(value, bool):
            return Labelling(value, ILLUSTRATIVE_PARTS if value else ())
        if not isinstance(value, dict):
            f.bad("example", value, "true, false or {synthetic_data: .., illustrative: [..]}")
            return Labelling()
        known_names(value, ("synthetic_data", "illustrative"), "example", f)
        parts = f.strings(value, "illustrative", "example.illustrative")
        known_names(parts, ILLUSTRATIVE_PARTS, "example.illustrative", f, each_path=False)
        return Labelling(
            synthetic_data=f.boolean(value, "synthetic_data", "example.synthetic_data", False),
            illustrative=tuple(p for p in parts if p in ILLUSTRATIVE_PARTS),
        )

    @staticmethod
    def _vocabulary(words: dict, f: Fields) -> Vocabulary:
        known_names(words, VOCABULARY_KEYS, "vocabulary", f)
        given = {
            key: f.text(words, key, f"vocabulary.{key}", required=False) for key in VOCABULARY_KEYS
        }
        return Vocabulary(**{key: value for key, value in given.items() if value is not None})

    @staticmethod
    def _characteristics(content: dict, f: Fields) -> tuple[Characteristic, ...]:
        """review.yml ``characteristics``: ``[{column, label, unit, summary}, ...]`` (a bare
        column name stands for ``{column: name}``); checked against studies.csv later."""
        items = content.get("characteristics") or []
        if not isinstance(items, list):
            f.bad("characteristics", items, "a list of {column, label, unit, summary}")
            return ()
        declared = []
        for i, item in enumerate(items, start=1):
            path = f"characteristics[{i}]"
            if isinstance(item, str):
                item = {"column": item}
            if not isinstance(item, dict):
                f.bad(path, item, "a characteristic: column, label, unit, summary")
                continue
            known_names(item, ("column", "label", "unit", "summary"), path, f)
            column = f.text(item, "column", f"{path}.column")
            if column is None:
                continue
            column = normalise_header(column)
            summary = None
            if "summary" in item:
                summary = f.choice(
                    item, "summary", f"{path}.summary", CHARACTERISTIC_SUMMARIES, "counts"
                )
            declared.append(
                Characteristic(
                    column=column,
                    label=f.text(item, "label", f"{path}.label", required=False) or column,
                    unit=f.text(item, "unit", f"{path}.unit", required=False),
                    summary=summary or "",
                )
            )
        return tuple(declared)

    @staticmethod
    def _authors(content: dict, f: Fields) -> tuple[Author, ...]:
        items = content.get("authors") or []
        if not isinstance(items, list):
            f.bad("authors", items, "a list of authors")
            return ()
        authors = []
        for i, item in enumerate(items, start=1):
            path = f"authors[{i}]"
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, dict):
                f.bad(path, item, "an author: name, affiliations, email, orcid, corresponding")
                continue
            authors.append(
                Author(
                    name=f.text(item, "name", f"{path}.name") or "",
                    affiliations=f.strings(item, "affiliations", f"{path}.affiliations"),
                    email=f.text(item, "email", f"{path}.email", required=False),
                    orcid=f.text(item, "orcid", f"{path}.orcid", required=False),
                    corresponding=f.boolean(
                        item, "corresponding", f"{path}.corresponding", default=False
                    ),
                    roles=tuple(
                        role
                        for role in (
                            f.choice({"role": r}, "role", f"{path}.roles", CREDIT_ROLES)
                            for r in f.strings(item, "roles", f"{path}.roles")
                        )
                        if role
                    ),
                )
            )
        return tuple(authors)

    @staticmethod
    def _process(content: dict, f: Fields) -> dict[str, ProcessStep]:
        """``process``: per step (selection, data_collection, risk_of_bias) the reviewers,
        whether independently, and how disagreements were resolved; each field optional."""
        steps = {}
        known_names(content, PROCESS_STEPS, "process", f)
        for name in PROCESS_STEPS:
            step = f.mapping(content, name, f"process.{name}", False)
            if not step:
                continue
            path = f"process.{name}"
            reviewers = (
                f.count(step, "reviewers", f"{path}.reviewers", minimum=1)
                if "reviewers" in step
                else None
            )
            independent = (
                f.boolean(step, "independent", f"{path}.independent")
                if "independent" in step
                else None
            )
            if independent and reviewers == 1:
                f.bad(f"{path}.independent", True, f"false with {path}.reviewers 1 "
                      "(working independently takes 2 reviewers or more)")  # fmt: skip
            steps[name] = ProcessStep(
                reviewers=reviewers,
                independent=independent,
                disagreements=f.text(
                    step, "disagreements", f"{path}.disagreements", required=False
                ),
            )
        return steps

    @staticmethod
    def _analysis(a: dict, f: Fields) -> AnalysisSettings:
        level = confidence_level(a, f)
        sensitivity = sensitivity_analyses(a, f)
        return AnalysisSettings(
            model=f.choice(a, "model", "analysis.model", MODELS, default="random"),
            tau2_method=f.choice(a, "tau2_method", "analysis.tau2_method", TAU2_METHODS, "REML"),
            ci_method=f.choice(
                a, "ci_method", "analysis.ci_method", CI_METHODS, "z", aliases=CI_ALIASES
            ),
            prediction_interval=f.boolean(
                a, "prediction_interval", "analysis.prediction_interval", default=True
            ),
            level=level,
            subgroups=f.strings(a, "subgroups", "analysis.subgroups"),
            moderators=f.strings(a, "moderators", "analysis.moderators"),
            sensitivity=sensitivity,
            pooling=f.choice(
                a, "method", "analysis.method", REVIEW_POOLING_METHODS, INVERSE_VARIANCE
            ),
        )

    @staticmethod
    def _outcomes(content: dict, f: Fields, settings) -> tuple[OutcomeSpec, ...]:
        items = content.get("outcomes")
        if not isinstance(items, list) or not items:
            f.bad("outcomes", items, "a list of outcomes (id, label, measure, ...)")
            return ()
        outcomes, seen = [], set()
        for i, item in enumerate(items, start=1):
            path = f"outcomes[{i}]"
            if not isinstance(item, dict):
                f.bad(path, item, "an outcome: id, label, measure, primary, lower_is_better, unit")
                continue
            oid = outcome_id(item, path, seen, f)
            if oid is None:
                continue
            seen.add(oid)
            measure = f.choice(item, "measure", f"{path}.measure", MEASURES, "SMD")
            outcomes.append(
                OutcomeSpec(
                    id=oid,
                    label=f.text(item, "label", f"{path}.label") or oid,
                    measure=measure,
                    method=pooling_method(item, path, measure, settings, f),
                    primary=f.boolean(item, "primary", f"{path}.primary", default=False),
                    lower_is_better=f.boolean(
                        item, "lower_is_better", f"{path}.lower_is_better", default=None
                    ),
                    unit=f.text(item, "unit", f"{path}.unit", required=False),
                    nonnegative=f.boolean(
                        item, "nonnegative", f"{path}.nonnegative", default=False
                    ),
                    definition=f.text(item, "definition", f"{path}.definition", required=False),
                )
            )
        return tuple(outcomes)


# -- tables -------------------------------------------------------------------------------
def _read_tables(data_dir: Path, problems: Problems) -> dict[str, Table | None]:
    try:
        workbook, unreadable = find_workbook(data_dir), False
    except DataError as error:
        problems.extend(error)
        workbook, unreadable = None, True
    tables: dict[str, Table | None] = {}
    for name in TABLES:
        if unreadable and not (data_dir / f"{name}.csv").exists():
            tables[name] = None  # perhaps a sheet of the workbook, whose problem is recorded
            continue
        try:
            tables[name] = read_table(data_dir, name, workbook)
        except DataError as error:
            if name in OPTIONAL_TABLES and not _table_present(data_dir, name, workbook):
                tables[name] = None  # not done: the manuscript says so
                continue
            problems.extend(error)
            tables[name] = None
    return tables


def _table_present(data_dir: Path, name: str, workbook: Workbook | None) -> bool:
    """Whether the table exists as a CSV file or as a sheet (an error reading it is then real)."""
    return (data_dir / f"{name}.csv").exists() or (workbook is not None and name in workbook.sheets)


def _studies(table: Table | None, bib_keys, problems: Problems) -> tuple[list[Study], dict | None]:
    """The valid studies, and every study_id listed -> its Study, or None if its row is bad.

    The mapping is None when studies.csv could not be read, so that other tables' study ids
    are then not reported as unknown.
    """
    if table is None:
        return [], None
    cells = Cells(table, problems)
    if not cells.require_columns(STUDY_COLUMNS):
        return [], None
    extra_columns = [c for c in table.columns if c not in STUDY_COLUMNS]
    numeric_extra = {c for c in extra_columns if numeric_column(table, c)}
    studies, listed = [], {}
    for row in table.rows:
        errors_before = len(problems.errors)
        sid = cells.text(row, "study_id")
        if repeated(cells, row, sid, listed, "study_id", "a study_id not used in an earlier row"):
            continue
        fields = study_fields(cells, row, bib_keys)
        extra = {
            c: (cells.number(row, c) if c in numeric_extra else (row.get(c) or None))
            for c in extra_columns
        }
        if sid is None:
            continue
        listed[sid] = None
        if len(problems.errors) > errors_before:
            continue
        listed[sid] = Study(
            study_id=sid,
            row=row.number,
            extra=extra,
            **fields,
        )
        studies.append(listed[sid])
    return studies, listed


def _outcome_data(
    table: Table | None, by_id: dict, specs: dict, have_specs: bool, problems: Problems
) -> list[ArmData]:
    if table is None:
        return []
    cells = Cells(table, problems)
    if not cells.require_columns(("study_id", "outcome", "n1", "n2")):
        return []
    warn_unknown_columns(table, OUTCOME_COLUMNS, problems)
    rows, seen = [], set()
    for row in table.rows:
        study = known_study(cells, row, by_id)
        oid = cells.text(row, "outcome")
        spec = specs.get(oid)
        if have_specs:
            declared_outcome(
                cells, row, "outcome", oid, specs, "an outcome id declared in review.yml: "
                + ", ".join(specs),
            )  # fmt: skip
        if study is not None and oid is not None:
            key = (study.study_id, oid)
            expected = f"one row per study and outcome ({study.study_id})"
            if repeated(cells, row, key, seen, "outcome", expected):
                continue
            seen.add(key)
        n1 = arm_size(cells, row, "n1", study.n1 if study else None)
        n2 = arm_size(cells, row, "n2", study.n2 if study else None)
        change = cells.boolean(row, "change")
        if spec is None:
            continue
        if spec.is_binary:
            e1 = events(cells, row, "events1", n1)
            e2 = events(cells, row, "events2", n2)
            if None in (study, n1, n2, e1, e2):
                continue
            rows.append(
                ArmData(study.study_id, oid, n1, n2, events1=e1, events2=e2, row=row.number)
            )
            continue
        arms = [_continuous_arm(cells, row, arm, n, study, oid) for arm, n in ((1, n1), (2, n2))]
        if None in (study, n1, n2, change) or None in arms:
            continue
        (m1, s1, c1), (m2, s2, c2) = arms
        rows.append(
            ArmData(
                study.study_id,
                oid,
                n1,
                n2,
                mean1=m1,
                sd1=s1,
                mean2=m2,
                sd2=s2,
                change=change,
                conversions=tuple(c for c in (c1, c2) if c is not None),
                row=row.number,
            )
        )
    return rows


def _continuous_arm(cells: Cells, row, arm: int, n, study, outcome):
    """(mean, sd, Conversion | None) for one arm, or None after recording the problems."""
    v = arm_summary(cells, row, arm)
    if v is None or n is None or study is None:
        return None
    mean, sd, record = conversions.convert_arm(n, **v)
    if record is None:
        return mean, sd, None
    if not converted_sd_positive(cells, row, arm, sd, record.description):
        return None
    conversion = Conversion(
        study_id=study.study_id,
        outcome=outcome,
        arm=arm,
        method=record.method,
        reported=record.reported,
        mean=mean,
        sd=sd,
        source=record.source,
        bibkey="; ".join(record.bibkeys),
        description=record.description,
    )
    return mean, sd, conversion


def _adverse_events(table: Table | None, by_id: dict, problems: Problems) -> list[AdverseEvent]:
    if table is None:
        return []
    cells = Cells(table, problems)
    if not cells.require_columns(ADVERSE_COLUMNS):
        return []
    warn_unknown_columns(table, (*ADVERSE_COLUMNS, "notes"), problems)
    records, seen = [], set()
    for row in table.rows:
        study = known_study(cells, row, by_id)
        name = cells.text(row, "event")
        if study is not None and name is not None:
            key = (study.study_id, event_key(name))
            expected = f"one row per study and event ({study.study_id})"
            if repeated(cells, row, key, seen, "event", expected):
                continue
            seen.add(key)
        serious = cells.boolean(row, "serious")
        n1 = arm_size(cells, row, "n1", study.n1 if study else None)
        n2 = arm_size(cells, row, "n2", study.n2 if study else None)
        e1 = events(cells, row, "events1", n1)
        e2 = events(cells, row, "events2", n2)
        if None in (study, name, serious, n1, n2, e1, e2):
            continue
        records.append(AdverseEvent(study.study_id, name, serious, e1, n1, e2, n2, row.number))
    return records


def _risk_of_bias(
    table: Table | None, by_id: dict, specs: dict, have_specs: bool, problems: Problems
) -> list[RobAssessment]:
    if table is None:
        return []
    cells = Cells(table, problems)
    if not cells.require_columns(c for c in ROB_COLUMNS if c != "outcome"):
        return []
    warn_unknown_columns(table, (*ROB_COLUMNS, "notes"), problems)
    assessments, seen = [], set()
    for row in table.rows:
        study = known_study(cells, row, by_id)
        outcome = row.get("outcome") or None
        if have_specs:
            declared_outcome(
                cells, row, "outcome", outcome, specs,
                "blank (all outcomes) or an outcome id from review.yml",
            )  # fmt: skip
        judgments = {c: cells.rob(row, c) for c in (*ROB_DOMAINS, "overall")}
        if study is None:
            continue
        expected = "one row per study and outcome (blank outcome = all)"
        if repeated(cells, row, (study.study_id, outcome), seen, "study_id", expected):
            continue
        seen.add((study.study_id, outcome))
        if None in judgments.values():
            continue
        warn_rob_overall(cells, row, judgments)
        assessments.append(RobAssessment(study.study_id, outcome, row=row.number, **judgments))
    return assessments


# -- prisma.yml, grade.yml, references.bib ------------------------------------------------
def _prisma(path: Path, n_studies: int | None, problems: Problems) -> Prisma | None:
    """The PRISMA flow, or None when prisma.yml is absent or empty (optional: the manuscript
    then says no flow of the search was given)."""
    if not path.exists():
        return None
    content = _load_yaml(path, problems)
    if not content:
        return None
    f = Fields(path.name, problems)
    before = len(problems.errors)
    check_keys(content, PRISMA_KEYS, path.name, problems)
    ident = f.mapping(content, "identification", "identification")
    screening = f.mapping(content, "screening", "screening")
    retrieval = f.mapping(content, "retrieval", "retrieval")
    eligibility = f.mapping(content, "eligibility", "eligibility")
    included = f.mapping(content, "included", "included")
    other = content.get("other_methods")
    data = {
        "identification": {
            "databases": f.counts(ident, "databases", "identification.databases"),
            "registers": f.counts(ident, "registers", "identification.registers", False),
            "removed_before_screening": dict.fromkeys(REMOVAL_REASONS, 0)
            | f.counts(
                ident, "removed_before_screening", "identification.removed_before_screening"
            ),
        },
        "screening": {
            "screened": f.count(screening, "screened", "screening.screened"),
            "excluded": f.count(screening, "excluded", "screening.excluded"),
        },
        "retrieval": {
            "sought": f.count(retrieval, "sought", "retrieval.sought"),
            "not_retrieved": f.count(retrieval, "not_retrieved", "retrieval.not_retrieved"),
        },
        "eligibility": {
            "assessed": f.count(eligibility, "assessed", "eligibility.assessed"),
            "excluded": f.counts(eligibility, "excluded", "eligibility.excluded"),
        },
        "included": {
            "studies": f.count(included, "studies", "included.studies"),
            "reports": f.count(included, "reports", "included.reports"),
        },
    }
    if other is not None:
        other_map = f.mapping(content, "other_methods", "other_methods")
        data["other_methods"] = {
            "identified": f.counts(other_map, "identified", "other_methods.identified"),
            "sought": f.count(other_map, "sought", "other_methods.sought"),
            "not_retrieved": f.count(other_map, "not_retrieved", "other_methods.not_retrieved"),
            "assessed": f.count(other_map, "assessed", "other_methods.assessed"),
            "excluded": f.counts(other_map, "excluded", "other_methods.excluded"),
        }
    if len(problems.errors) > before:
        return None
    prisma_arithmetic(data, n_studies, problems, path.name)
    ident = data["identification"]
    return Prisma(
        databases=ident["databases"],
        registers=ident["registers"],
        removed_before_screening=ident["removed_before_screening"],
        screened=data["screening"]["screened"],
        screening_excluded=data["screening"]["excluded"],
        sought=data["retrieval"]["sought"],
        not_retrieved=data["retrieval"]["not_retrieved"],
        assessed=data["eligibility"]["assessed"],
        eligibility_excluded=data["eligibility"]["excluded"],
        included_studies=data["included"]["studies"],
        included_reports=data["included"]["reports"],
        other_methods=data.get("other_methods"),
    )


def _grade(path: Path, specs: dict, have_specs: bool, problems: Problems) -> list[GradeJudgment]:
    if not path.exists():
        return []  # optional: GRADE is then suggested from the data alone
    content = _load_yaml(path, problems)
    if content is None:
        return []
    check_keys(content, GRADE_KEYS, path.name, problems)
    f = Fields(path.name, problems)
    outcomes = f.mapping(content, "outcomes", "outcomes", required=False)
    return grade_judgments(outcomes, specs, have_specs, f)


def _cite_keys(bib_keys, methods_keys) -> set[str] | None:
    """The keys the manuscript can cite: references.bib's (None when unread) and the methods'."""
    return None if bib_keys is None else set(bib_keys) | set(methods_keys)


def _bib_keys(path: Path, problems: Problems) -> list[str] | None:
    """Citation keys in references.bib (``@comment``, ``@string``, ``@preamble`` skipped)."""
    if not path.exists():
        problems.error(path.name, None, None, None, "the file to exist in the data folder")
        return None
    try:
        text = check_text_file(path)
    except DataError as error:
        problems.extend(error)
        return None
    # the one BibTeX reader (analysis/bibliography.py)
    return bib_entry_keys(text, bibtex_items(text), path.name, problems)
