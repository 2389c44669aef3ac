"""Every code a user can write, in one table each: a leaf module that imports nothing of ours.

``review.yml`` (the schema), the engine (``analysis/stats``), the text lookups, the figures, the
``meta`` command's choices and the README all read these tables, and a test keeps the README
equal to them. Adding, say, a tau² estimator is one row in :data:`TAU2_ESTIMATORS` plus its
function in ``analysis/stats/tau2.py``.

Each entry is a :class:`Code`: the ``code`` as the user writes it (metafor's names), a short
``label`` (figure axes, legends), the ``phrase`` the methods text uses, the BibTeX ``cites`` of
the method, and for measures the ``log_scale`` flag (pooled on the log scale, printed
back-transformed).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    """One user-facing code with its words and its citations."""

    code: str
    label: str
    phrase: str = ""
    cites: tuple[str, ...] = ()
    log_scale: bool = False
    #: the name inside a sentence (measures: "risk ratio"); the label in lower case otherwise
    name: str = ""


def _table(*codes: Code) -> dict[str, Code]:
    return {c.code: c for c in codes}


# --- effect measures ---------------------------------------------------------------------------

#: ``phrase`` is the plural used in the methods text; ``name`` the singular in sentences.
MEASURES = _table(
    Code("SMD", "Std. mean difference", "standardized mean differences (Hedges' g)",
         ("hedges1981",), name="standardized mean difference"),
    Code("MD", "Mean difference", "mean differences", name="mean difference"),
    Code("RR", "Risk ratio", "risk ratios", log_scale=True, name="risk ratio"),
    Code("OR", "Odds ratio", "odds ratios", log_scale=True, name="odds ratio"),
    Code("RD", "Risk difference", "risk differences", name="risk difference"),
    Code("GEN", "Effect size", "effect sizes", name="effect size"),
)  # fmt: skip
CONTINUOUS_MEASURES = ("SMD", "MD")
BINARY_MEASURES = ("RR", "OR", "RD")
#: measures pooled on the log scale (reported back-transformed)
RATIO_MEASURES = tuple(code for code, m in MEASURES.items() if m.log_scale)
#: the measures an outcome in review.yml may declare (GEN needs precomputed yi/vi: ``meta`` only)
REVIEW_MEASURES = (*CONTINUOUS_MEASURES, *BINARY_MEASURES)

# --- pooling methods ---------------------------------------------------------------------------

#: tau² estimators (metafor ``rma(method=)``), in the order ``meta --help`` lists them
TAU2_ESTIMATORS = _table(
    Code("DL", "DerSimonian–Laird", "the DerSimonian–Laird estimator", ("dersimonian1986",)),
    Code("REML", "REML", "the restricted maximum-likelihood (REML) estimator",
         ("viechtbauer2005",)),
    Code("PM", "Paule–Mandel", "the Paule–Mandel estimator", ("paule1982",)),
    Code("ML", "ML", "the maximum-likelihood estimator", ("viechtbauer2005",)),
    Code("HE", "Hedges", "the Hedges estimator", ("hedges1985",)),
    Code("SJ", "Sidik–Jonkman", "the Sidik–Jonkman estimator", ("sidik2005",)),
    Code("HS", "Hunter–Schmidt", "the Hunter–Schmidt estimator", ("hunter2004",)),
    Code("EB", "empirical Bayes", "the empirical Bayes estimator", ("morris1983",)),
)  # fmt: skip
TAU2_METHODS = tuple(TAU2_ESTIMATORS)
#: the common-effect (inverse-variance) model
COMMON_EFFECT = Code(
    "FE", "common effect", "a common-effect (inverse-variance) model", ("hedges1985",)
)
#: inverse-variance models (``rma``): FE and the tau² estimators
RMA_METHODS = (COMMON_EFFECT.code, *TAU2_METHODS)
#: 2×2-table methods (binary measures only, z-based intervals only)
TABLE_METHODS = _table(
    Code("MH", "Mantel–Haenszel", "the Mantel–Haenszel method", ("mantel1959",)),
    Code("PETO", "Peto", "the Peto method", ("yusuf1985",)),
)
POOLING_METHODS = {COMMON_EFFECT.code: COMMON_EFFECT, **TAU2_ESTIMATORS, **TABLE_METHODS}
#: review.yml ``analysis.method`` and an outcome's ``method``: inverse variance (the model of
#: ``analysis.model``/``tau2_method``) or a 2×2-table method
INVERSE_VARIANCE = "inverse_variance"
REVIEW_POOLING_METHODS = (INVERSE_VARIANCE, *TABLE_METHODS)
#: the measures each 2×2-table method pools (metafor ``rma.mh``: OR, RR, RD; ``rma.peto``: OR)
TABLE_METHOD_MEASURES = {"MH": ("RR", "OR", "RD"), "PETO": ("OR",)}
#: review.yml ``analysis.model`` (random: the tau² estimator of ``tau2_method``; common: FE)
MODELS = ("random", "common")

# --- confidence-interval methods ---------------------------------------------------------------

CI_METHODS_TABLE = _table(
    Code("z", "z", "the normal distribution (Wald-type intervals and z tests)"),
    Code("knha", "Knapp–Hartung",
         "the Hartung–Knapp–Sidik–Jonkman method (t distribution with k − 1 degrees of freedom)",
         ("knapp2003", "inthout2014")),
    Code("adhoc", "modified Knapp–Hartung",
         "the modified Hartung–Knapp–Sidik–Jonkman method (variance factor truncated at 1)",
         ("knapp2003", "rover2015")),
)  # fmt: skip
CI_METHODS = tuple(CI_METHODS_TABLE)
#: other spellings accepted where a CI method enters, and the code they stand for
CI_ALIASES = {"hksj": "knha"}
#: CI methods with the Knapp–Hartung variance factor and t quantiles
T_CI_METHODS = ("knha", "adhoc")


def normalize_ci_method(value: str) -> str:
    """The CI code for a user's spelling (``hksj`` -> ``knha``); other values pass unchanged,
    to be checked against :data:`CI_METHODS` where they enter."""
    return CI_ALIASES.get(value, value)


# --- sensitivity analyses ----------------------------------------------------------------------

#: review.yml ``analysis.sensitivity``; ``phrase`` is the description in the methods text
SENSITIVITY_ANALYSES_TABLE = _table(
    Code("leave_one_out", "leave one out", "leaving out one trial at a time"),
    Code("exclude_high_risk", "exclude high risk",
         "excluding trials at high overall risk of bias"),
    Code("alternative_estimators", "alternative estimators",
         "alternative estimators of τ² and the Hartung–Knapp method"),
    Code("common_effect", "common effect", "a common-effect model"),
)  # fmt: skip
SENSITIVITY_ANALYSES = tuple(SENSITIVITY_ANALYSES_TABLE)

# --- risk of bias (RoB 2) ----------------------------------------------------------------------

#: ``label`` heads figure rows; ``phrase`` names the domain inside a sentence or a caption
ROB_DOMAINS_TABLE = _table(
    Code("d1", "Randomisation process", "the randomisation process"),
    Code("d2", "Deviations from intended interventions",
         "deviations from the intended interventions"),
    Code("d3", "Missing outcome data", "missing outcome data"),
    Code("d4", "Measurement of the outcome", "measurement of the outcome"),
    Code("d5", "Selection of the reported result", "selection of the reported result"),
)  # fmt: skip
ROB_DOMAINS = tuple(ROB_DOMAINS_TABLE)
#: the judgements risk_of_bias.csv may hold (normalised spelling), best first
ROB_JUDGEMENTS_TABLE = _table(
    Code("low", "Low risk"),
    Code("some concerns", "Some concerns"),
    Code("high", "High risk"),
)
ROB_LEVELS = tuple(ROB_JUDGEMENTS_TABLE)
#: judgements a figure can show: the data's plus "no information" (robvis)
ROB_DISPLAY_JUDGEMENTS = (*ROB_LEVELS, "no information")

# --- GRADE -------------------------------------------------------------------------------------

#: GRADE domains that grade.yml may set (reasons for rating down)
GRADE_DOMAINS_TABLE = _table(
    Code("risk_of_bias", "Risk of bias"),
    Code("inconsistency", "Inconsistency"),
    Code("indirectness", "Indirectness"),
    Code("imprecision", "Imprecision"),
    Code("publication_bias", "Publication bias"),
)
GRADE_DOMAINS = tuple(GRADE_DOMAINS_TABLE)

# --- the review's own description (review.yml) -------------------------------------------------

#: review.yml ``characteristics[].summary``: how the results text summarises a characteristic
CHARACTERISTIC_SUMMARIES_TABLE = _table(
    Code("counts", "counts", "the number of trials per value (text columns)"),
    Code("range", "range", "the lowest and highest value (numeric columns)"),
    Code("none", "none", "shown in the characteristics table only"),
)
CHARACTERISTIC_SUMMARIES = tuple(CHARACTERISTIC_SUMMARIES_TABLE)
#: review.yml ``example.illustrative``: parts of a review that are made up around real data;
#: ``phrase`` is how the banner names them
ILLUSTRATIVE_PARTS_TABLE = _table(
    Code("authors", "authors", "the authors and their affiliations"),
    Code("search", "search", "the search (databases, dates, strategy)"),
    Code("prisma", "PRISMA counts", "the PRISMA flow counts"),
    Code("sections", "sections",
         "the hand-written sections (introduction, discussion, limitations, conclusions, "
         "declarations)"),
    Code("characteristics", "characteristics", "the study characteristics"),
    Code("risk_of_bias", "risk of bias", "the risk-of-bias judgements"),
    Code("grade", "GRADE", "the GRADE judgements"),
)  # fmt: skip
ILLUSTRATIVE_PARTS = tuple(ILLUSTRATIVE_PARTS_TABLE)
#: review.yml ``vocabulary`` keys (documented in data/README.md and on
#: :class:`analysis.data.schema.Vocabulary`)
VOCABULARY_KEYS = (
    "intervention", "intervention_full", "intervention_arm", "comparator", "comparator_full",
    "comparator_arm", "participants", "trial_noun", "trial_noun_full", "primary_concept",
)  # fmt: skip

# --- author contributions ---------------------------------------------------------------------

#: the 14 CRediT contributor roles (NISO Z39.104-2022), as review.yml ``authors[].roles`` lists them
CREDIT_ROLES = (
    "Conceptualization",
    "Data curation",
    "Formal analysis",
    "Funding acquisition",
    "Investigation",
    "Methodology",
    "Project administration",
    "Resources",
    "Software",
    "Supervision",
    "Validation",
    "Visualization",
    "Writing – original draft",
    "Writing – review & editing",
)

# --- spelling: the review's language (review.yml ``language``) ---------------------------------

#: the spelling variants a review can choose (review.yml ``language``; the first is the default);
#: the code is also the document's ``lang`` (BCP 47)
LANGUAGES = ("en-GB", "en-US")

#: the words the generated text spells differently in British (Oxford -ise, as the BMJ and
#: Cochrane print) and American English: (en-GB, en-US), lower case; :func:`analysis.text.respell`
#: writes every generated part in the review's variant, capitals kept
SPELLING_VARIANTS = (
    ("randomised", "randomized"),
    ("randomisation", "randomization"),
    ("randomise", "randomize"),
    ("standardised", "standardized"),
    ("standardise", "standardize"),
    ("summarised", "summarized"),
    ("summarise", "summarize"),
    ("characterised", "characterized"),
    ("categorised", "categorized"),
    ("minimised", "minimized"),
    ("recognised", "recognized"),
    ("organisation", "organization"),
    ("analysed", "analyzed"),
    ("analyse", "analyze"),
    ("favours", "favors"),
    ("favoured", "favored"),
    ("favour", "favor"),
    ("colour", "color"),
    ("colours", "colors"),
    ("behaviour", "behavior"),
    ("centre", "center"),
    ("centres", "centers"),
    ("modelling", "modeling"),
    ("labelled", "labeled"),
    ("labelling", "labeling"),
    ("neutralised", "neutralized"),
    ("haematological", "hematological"),
    ("oedema", "edema"),
    ("anaemia", "anemia"),
    ("tumour", "tumor"),
    ("paediatric", "pediatric"),
)
