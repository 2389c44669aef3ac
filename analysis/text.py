"""Number formatting: the one way every number is written in text, tables and figures, and the
wording lookups (estimator -> phrase and citation). No judgement is made here: what the words
say (significant, large, influential) is decided in :mod:`analysis.interpret`.

Negative numbers carry the true minus sign (U+2212), never the hyphen-minus; a value that rounds
to zero is written without a sign. Missing values (``None``, NaN) are written as "NA".
"""

from __future__ import annotations

import html
import math
import re

from analysis import vocabulary

MINUS = "\u2212"
MISSING = "NA"
#: the no-break space that holds a number to its neighbours ("p = 0.001", "−1.25 to −0.31")
NBSP = "\u00a0"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_num(x, digits: int = 2) -> str:
    """``x`` rounded to ``digits`` decimals, with the true minus sign: ``fmt_num(-0.5, 2)`` is
    "−0.50"; ``fmt_num(-0.001, 2)`` is "0.00"; infinities are "∞" / "−∞"."""
    if _missing(x):
        return MISSING
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    text = f"{x:.{digits}f}"
    if text.startswith("-"):
        text = text[1:]
        if text.strip("0.") != "":
            text = MINUS + text
    return text


def fmt_ci(est, lo, hi, digits: int = 2, level: float = 95) -> str:
    """Estimate with its confidence interval in prose: "−0.78 (95% CI −1.25 to −0.31)"."""
    interval = fmt_interval(lo, hi, digits)
    return f"{fmt_num(est, digits)}{NBSP}({fmt_num(level, 0)}%{NBSP}CI {interval})"


def fmt_ci_brackets(est, lo, hi, digits: int = 2) -> str:
    """Estimate with its interval in the compact form of forest plots and tables:
    "−0.78 [−1.25, −0.31]"."""
    return f"{fmt_num(est, digits)} [{fmt_num(lo, digits)}, {fmt_num(hi, digits)}]"


def fmt_p(p) -> str:
    """P-value with 3 decimals: "p = 0.002", "p < 0.001" (and "p > 0.999" at the other end),
    held together by no-break spaces."""
    if _missing(p):
        return f"p{NBSP}={NBSP}{MISSING}"
    p = float(p)
    if p < 0.001:
        return f"p{NBSP}<{NBSP}0.001"
    if p > 0.999:
        return f"p{NBSP}>{NBSP}0.999"
    return f"p{NBSP}={NBSP}{p:.3f}"


def fmt_int(n) -> str:
    """A count with thin grouping for thousands: ``fmt_int(1251)`` is "1251", ``fmt_int(12510)``
    is "12 510" (no-break space, as medical journals print five-digit numbers)."""
    if _missing(n):
        return MISSING
    n = int(n)
    return f"{n:,}".replace(",", "\u00a0") if abs(n) >= 10000 else str(n)


def fmt_pct(x, digits: int = 0) -> str:
    """A percentage already on the 0–100 scale: "62%"."""
    return f"{fmt_num(x, digits)}%" if not _missing(x) else MISSING


def fmt_share(x, digits: int = 0) -> str:
    """A share of participants (%, 0–100) as :func:`fmt_pct`, but one that is not 0 is never
    "0%" ("<1%") and one below 100 never "100%" (">99%")."""
    if _missing(x):
        return MISSING
    text, step = fmt_num(x, digits), 10.0**-digits
    if float(x) > 0 and float(text) == 0:
        return f"<{fmt_num(step, digits)}%"
    if float(x) < 100 and float(text) == 100:
        return f">{fmt_num(100 - step, digits)}%"
    return f"{text}%"


def fmt_per_1000_change(x) -> str:
    """An absolute difference per 1000 as GRADE's summary of findings words it, in whole
    numbers: "64 more", "9 fewer" (the unit follows in the text)."""
    if _missing(x):
        return MISSING
    return f"{fmt_num(abs(float(x)), 0)} {'fewer' if float(x) < 0 else 'more'}"


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def fmt_date(iso) -> str:
    """ISO date "2024-03-31" as "31 March 2024" ("2024-03" → "March 2024", "2024" stays)."""
    if _missing(iso) or iso == "":
        return MISSING
    parts = [int(x) for x in str(iso).split("-")]
    if len(parts) == 3:
        return f"{parts[2]} {_MONTHS[parts[1] - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{_MONTHS[parts[1] - 1]} {parts[0]}"
    return str(parts[0])


#: the most decimals a bound is given so that it does not print as the null value
MAX_BOUND_DIGITS = 4


def fmt_interval(lo, hi, digits: int = 2, null: float | None = None) -> str:
    """An interval on its own: "−1.25 to −0.31" (no-break spaces: it never breaks across lines).
    With ``null`` (0 for differences, 1 for ratios), a bound that is not the null but rounds to
    it gets more decimals (up to :data:`MAX_BOUND_DIGITS`), so that an interval that excludes
    the null never reads as touching it: "1.60 (0.996 to 2.58)", not "(1.00 to 2.58)"."""
    return f"{_bound(lo, digits, null)}{NBSP}to{NBSP}{_bound(hi, digits, null)}"


def _bound(value, digits: int, null: float | None) -> str:
    if null is not None and not _missing(value) and float(value) != null:
        while digits < MAX_BOUND_DIGITS and round(float(value), digits) == null:
            digits += 1
    return fmt_num(value, digits)


# --- synthetic data are labelled wherever their numbers are --------------------------------

#: the label of every caption and abstract built from synthetic per-study data
SYNTHETIC_NOTE = "Example review: the per-study data are synthetic."


def data_are_synthetic(review: dict) -> bool:
    """Whether the review's per-study numbers are synthetic: the one reading of results.json
    ``review`` that every label (abstract, captions, page header, banner) follows
    (``labelling.synthetic_data``, else ``example``)."""
    labelling = review.get("labelling")
    if labelling:  # review.yml example: {synthetic_data: .., illustrative: [..]}
        return bool(labelling["synthetic_data"])
    return bool(review.get("synthetic", review.get("example")))


def synthetic_note(review: dict) -> str:
    """:data:`SYNTHETIC_NOTE` for a review with synthetic data, else ""."""
    return SYNTHETIC_NOTE if data_are_synthetic(review) else ""


# --- keeping numbers whole at line ends ----------------------------------------------------

_NUMBER_START = r"(?=[−\-+]?\.?\d|NA\b)"
#: a statistic's symbol, its relation and the number: "p = 0.001", "n = 485", "I² = 84%",
#: "df = 8", "τ² = 0.120", "F(1, 7) = 2.10" (the spaces around the relation)
_STATISTIC = re.compile(
    r"(?<![\w\u00b2])((?:[pnkNQtzFRHIτχαβ]|df|QM|[IRHτχ]²|F\(\d+,\s\d+\))) ?([=<>≤≥]) "
    + _NUMBER_START
)
#: the space between a confidence level and its interval's name: "95% CI", "95% prediction"
_LEVEL = re.compile(r"(\d%) (?=CI\b|confidence\b|prediction\b)")
#: an interval written with "to" between two numbers: "−1.25 to −0.31", "12 to 52 weeks"
_INTERVAL = re.compile(r"(\d%?) to " + _NUMBER_START)
#: a number and the parenthesis that qualifies it: "31/215 (14%)", "3.05 (1.55 to 6.01)",
#: "Q = 56.18 on 8 df" (number and unit)
_QUALIFIED = re.compile(r"(\d%?) (?=\([−\-+]?\d|df\b)")


def bind_numbers(markdown: str) -> str:
    """``markdown`` with no-break spaces wherever a line break would split a number from its
    statistic, interval or qualifier ("p = 0.001", "n = 485", "I² = 84%", "df = 8", "95% CI",
    "31/215 (14%)", "3.05 (1.55 to 6.01)"): the one rule for every generated Markdown part, so
    text typed in templates keeps numbers whole too. Ordinary words still break."""
    markdown = _STATISTIC.sub(lambda m: f"{m.group(1)}{NBSP}{m.group(2)}{NBSP}", markdown)
    markdown = _LEVEL.sub(lambda m: m.group(1) + NBSP, markdown)
    markdown = _INTERVAL.sub(lambda m: f"{m.group(1)}{NBSP}to{NBSP}", markdown)
    return _QUALIFIED.sub(lambda m: m.group(1) + NBSP, markdown)


# --- spelling variant ---------------------------------------------------------------------


def _variant_pattern(words) -> re.Pattern:
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE)


#: language -> (pattern of the other variant's words, their spelling in this language)
_RESPELLING = {
    language: (
        _variant_pattern(pair[1 - index] for pair in vocabulary.SPELLING_VARIANTS),
        {pair[1 - index]: pair[index] for pair in vocabulary.SPELLING_VARIANTS},
    )
    for index, language in enumerate(vocabulary.LANGUAGES)
}


def respell(markdown: str, language: str) -> str:
    """``markdown`` with every word of the other spelling variant written in ``language``'s
    (:data:`analysis.vocabulary.SPELLING_VARIANTS`): "randomized" → "randomised" for en-GB,
    "Standardised" → "Standardized" for en-US (the first letter's case kept)."""
    pattern, spelling = lookup(_RESPELLING, language, "language")

    def replace(match: re.Match) -> str:
        word = match.group(1)
        respelt = spelling[word.lower()]
        if word.isupper() and len(word) > 1:
            return respelt.upper()
        return capitalize_first(respelt) if word[:1].isupper() else respelt

    return pattern.sub(replace, markdown)


# --- words ---------------------------------------------------------------------------------

_SMALL_NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]


def spell(n: int) -> str:
    """Numbers from zero to twenty in words, larger ones in digits (journal style)."""
    n = int(n)
    return _SMALL_NUMBERS[n] if 0 <= n < len(_SMALL_NUMBERS) else fmt_int(n)


def footnote_mark(index: int) -> str:
    """Footnote letters by position: a, b, ..., z, aa, ab, ... (index 0 is "a")."""
    mark = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        mark = chr(ord("a") + rest) + mark
    return mark


def capitalize_first(text: str) -> str:
    """First letter upper-case, the rest untouched ("nine RCTs" → "Nine RCTs")."""
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """First letter lower-case unless the word is an acronym ("Complement C3" → "complement
    C3", "HbA1c" stays "HbA1c", "Anti-TNF" → "anti-TNF")."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """The noun in the number's form: ``plural(1, "trial")`` is "trial", ``plural(2, "trial")``
    is "trials", ``plural(2, "study", "studies")`` is "studies"."""
    return singular if int(n) == 1 else (plural_form or singular + "s")


def count(n: int, singular: str, plural_form: str | None = None, start: bool = False) -> str:
    """A count with its noun. Mid-sentence: "9 trials", but "one trial" (never "the 1 trial";
    other counts stay digits, as the numbers beside them in the same sentence are); at the start
    of a sentence the number is spelled out and capitalised ("Nine trials"), since a sentence
    never begins with digits."""
    noun = plural(n, singular, plural_form)
    if start or int(n) == 1:
        number = spell(n)
        return capitalize_first(f"{number} {noun}") if start else f"{number} {noun}"
    return f"{fmt_int(n)} {noun}"


def join_and(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c" (no serial comma, Vancouver house style)."""
    items = [str(x) for x in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- data text enters Markdown or HTML: escape it -------------------------------------------

#: characters that start inline markup anywhere in pandoc Markdown (emphasis, code, links,
#: raw HTML and entities, headings' attributes, citations, math, super/subscript, tables)
_MARKDOWN_INLINE = set("\\`*_[]<>{}#@$^~|&")
#: what starts a block (list, quote, heading, div, definition) at the beginning of a line
_BLOCK_START = re.compile(r"^(\d+[.)]|[-+:=#])(?=\s|$)")


def escape_md(text) -> str:
    """Data text as literal Markdown: characters that start inline markup are backslash-escaped
    (pandoc's ``all_symbols_escapable``), and so is a leading list/heading/div marker, so a
    study label like ``*Lee* [2020]`` prints exactly as typed. Runs of white space (line breaks
    included) become one space; ordinary punctuation (``.``, ``-``, parentheses, quotes) is
    left as typed."""
    if text is None:
        return ""
    text = re.sub(r"\s+", " ", str(text))
    out = "".join("\\" + ch if ch in _MARKDOWN_INLINE else ch for ch in text)
    match = _BLOCK_START.match(out)
    if match:
        marker = match.group(1)
        out = marker[:-1] + "\\" + marker[-1] + out[len(marker) :]
    return out


def escape_html(text) -> str:
    """Data text as literal HTML (``&``, ``<``, ``>``, quotes)."""
    return "" if text is None else html.escape(str(text), quote=True)


# --- the one lookup table: method -> phrase and citation key (report/references.bib) -------

#: The lookups below are views of :mod:`analysis.vocabulary` in the shape templates use:
#: code -> (phrase for the methods text, BibTeX keys).
ESTIMATORS = {
    c.code: (c.phrase, list(c.cites))
    for c in (vocabulary.COMMON_EFFECT, *vocabulary.TAU2_ESTIMATORS.values())
}
#: CI method (public ``ci_method``) -> (phrase, BibTeX keys)
CI_METHODS = {c.code: (c.phrase, list(c.cites)) for c in vocabulary.CI_METHODS_TABLE.values()}
#: effect measure of a review -> (plural phrase for the methods text, BibTeX keys)
MEASURES = {
    code: (vocabulary.MEASURES[code].phrase, list(vocabulary.MEASURES[code].cites))
    for code in vocabulary.REVIEW_MEASURES
}
#: effect measure -> its name where a table's footnote spells out the abbreviation
MEASURE_ABBREVIATIONS = {
    code: vocabulary.MEASURES[code].name for code in vocabulary.REVIEW_MEASURES
}


def cite(keys: list[str]) -> str:
    """Pandoc citation for BibTeX keys: ``["a", "b"]`` -> "[@a; @b]" ("" for none)."""
    return "[" + "; ".join(f"@{k}" for k in keys) + "]" if keys else ""


def lookup(table: dict, key: str, what: str):
    """Entry of a lookup table; an unknown key names the allowed ones."""
    if key not in table:
        raise KeyError(f"unknown {what} {key!r}; known: {', '.join(table)}")
    return table[key]


# --- phrases that follow the numbers ---------------------------------------------------------


class Safe(str):
    """Text that is already Markdown (formatted numbers, our own phrases): templates print it
    as it is. Any other string a template prints is data text and gets escaped."""


def ratio_scale(pooled: dict) -> bool:
    """True for RR and OR, whose public dict carries back-transformed ``*_exp`` values."""
    return pooled.get("estimate_exp") is not None


def effect_statement(pooled: dict, digits: int = 2, unit: str | None = None) -> Safe:
    """ "SMD −0.78, 95% CI −1.25 to −0.31, p = 0.001" (ratios on their natural scale; a mean
    difference with the outcome's ``unit``: "MD −2.10 mmHg, 95% CI ...")."""
    suffix = "_exp" if ratio_scale(pooled) else ""
    est, lo, hi = (pooled[f"{key}{suffix}"] for key in ("estimate", "ci_lower", "ci_upper"))
    level = fmt_num(100 * pooled["level"], 0)
    shown_unit = f" {escape_md(unit)}" if unit and pooled["measure"] == "MD" else ""
    return Safe(
        f"{pooled['measure']} {fmt_num(est, digits)}{shown_unit}, {level}%{NBSP}CI "
        f"{fmt_interval(lo, hi, digits, null_value(pooled))}, {fmt_p(pooled['pval'])}"
    )


def fmt_value(x) -> str:
    """A data value as given: the decimals it needs (at most 2), the true minus sign; whole
    numbers without decimals ("44", "34.1", "−2.25")."""
    digits = next((d for d in range(3) if round(float(x), d) == round(float(x), 2)), 2)
    return fmt_num(x, digits)


def natural(values: dict, key: str):
    """``values[key]`` on the natural scale: its back-transformed ``key_exp`` twin for ratio
    measures (RR, OR), the value itself otherwise."""
    twin = values.get(f"{key}_exp")
    return values[key] if twin is None else twin


#: what a significant effect changes, by measure: "{label}" for differences in a continuous
#: outcome; the risk or odds of the event for binary measures
EFFECT_OBJECTS = {"RR": "the risk of {label}", "RD": "the risk of {label}",
                  "OR": "the odds of {label}"}  # fmt: skip


def effect_object(label: str, measure: str) -> str:
    """What the effect sentence says the intervention changed: "the odds of pre-eclampsia"
    for an OR outcome, the outcome's label for a continuous one."""
    return EFFECT_OBJECTS.get(measure, "{label}").format(label=lower_first(label))


def prediction_statement(pooled: dict, digits: int = 2) -> Safe | None:
    """ "95% prediction interval −1.61 to 0.05" or None when it is not estimable (k < 3)."""
    suffix = "_exp" if ratio_scale(pooled) else ""
    lo, hi = pooled.get(f"pi_lower{suffix}"), pooled.get(f"pi_upper{suffix}")
    if lo is None or hi is None:
        return None
    level = fmt_num(100 * pooled["level"], 0)
    return Safe(f"{level}% prediction interval {fmt_interval(lo, hi, digits)}")


#: studies.csv columns every review has -> their name in prose (a review names its other
#: columns in review.yml ``characteristics``)
COLUMN_NAMES = {"year": "year of publication"}

#: influence criterion (results.json ``decisions.influence``, :mod:`analysis.interpret`) ->
#: its name in the text (measured criteria are followed by the value and its threshold)
INFLUENCE_CRITERIA = {
    "estimate_outside_ci": ("leaving it out moved the estimate outside the confidence interval",),
    "significance_changed": ("leaving it out changed the conclusion of the test",),
    "dffits": ("|DFFITS|",),
    "cook_d": ("Cook's distance",),
    "hat": ("hat value",),
    "dfbetas": ("|DFBETAS|",),
}

#: review.yml analysis.sensitivity -> its description in the methods text
SENSITIVITY_NAMES = {c.code: c.phrase for c in vocabulary.SENSITIVITY_ANALYSES_TABLE.values()}


def column_name(column: str, labels: dict | None = None) -> str:
    """A studies.csv column as prose: its declared label (review.yml ``characteristics``,
    ``labels``: column -> label) in lower case, else the table above, else underscores as
    spaces."""
    if labels and column in labels:
        return lower_first(labels[column])
    return COLUMN_NAMES.get(column, column.replace("_", " "))


def measure_kind(measure: str) -> str:
    """ "ratio" for measures pooled on the log scale (RR, OR), else "difference"."""
    return "ratio" if measure in vocabulary.RATIO_MEASURES else "difference"


def sensitivity_name(name: str) -> str:
    return lookup(SENSITIVITY_NAMES, name, "sensitivity analysis")


def pooled_ci(pooled: dict, digits: int = 2) -> Safe:
    """Pooled estimate with its CI, natural scale, for tables: "−0.78 (−1.25 to −0.31)"."""
    suffix = "_exp" if ratio_scale(pooled) else ""
    est, lo, hi = (pooled[f"{key}{suffix}"] for key in ("estimate", "ci_lower", "ci_upper"))
    return Safe(f"{fmt_num(est, digits)}{NBSP}({fmt_interval(lo, hi, digits, null_value(pooled))})")


def null_value(pooled: dict) -> float:
    """No effect on the scale a pooled dict is printed on: 1 for ratios, 0 for differences."""
    return 1.0 if ratio_scale(pooled) else 0.0


def pooled_pi(pooled: dict, digits: int = 2) -> Safe:
    """Prediction interval, natural scale, for tables: "−1.61 to 0.05" ("NA" if absent)."""
    suffix = "_exp" if ratio_scale(pooled) else ""
    lower, upper = pooled[f"pi_lower{suffix}"], pooled[f"pi_upper{suffix}"]
    return Safe(fmt_interval(lower, upper, digits, null_value(pooled)))
