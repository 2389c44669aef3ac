"""The one number-formatting module (true minus sign, rounding, CIs, p-values) and the wording
helpers: counts, plurals, thresholds, escaping, lookup tables."""

import math

import pytest

from analysis import interpret, text
from analysis.text import fmt_ci, fmt_ci_brackets, fmt_num, fmt_p


@pytest.mark.parametrize(
    ("x", "digits", "expected"),
    [
        (-0.5, 2, "\u22120.50"),
        (0.5, 2, "0.50"),
        (-0.001, 2, "0.00"),
        (12.3456, 1, "12.3"),
        (-15.106, 0, "\u221215"),
        (None, 2, "NA"),
        (math.nan, 2, "NA"),
        (-math.inf, 2, "\u2212∞"),
    ],
)
def test_fmt_num(x, digits, expected):
    assert fmt_num(x, digits) == expected


def test_fmt_num_never_uses_hyphen_minus():
    assert "-" not in fmt_num(-3.14159, 3)


def test_fmt_ci_prose_and_brackets():
    # no-break spaces hold the estimate to its interval and the interval together
    assert (
        fmt_ci(-0.78, -1.25, -0.31)
        == "\u22120.78\u00a0(95%\u00a0CI \u22121.25\u00a0to\u00a0\u22120.31)"
    )
    assert fmt_ci_brackets(-0.78, -1.25, 0.31) == "\u22120.78 [\u22121.25, 0.31]"


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.0021, "p = 0.002"), (0.0004, "p < 0.001"), (0.5, "p = 0.500"), (0.9999, "p > 0.999")],
)
def test_fmt_p(p, expected):
    assert fmt_p(p) == expected.replace(" ", "\u00a0")  # never broken at a line end


def test_counts_percentages_and_intervals():
    assert text.fmt_int(485) == "485"
    assert text.fmt_int(12510) == "12\u00a0510"
    assert text.fmt_pct(61.6) == "62%"
    assert text.fmt_interval(-1.2, 0.3) == "\u22121.20\u00a0to\u00a00.30"


def test_numbers_are_spelled_out_at_sentence_start_and_plural_follows_the_count():
    assert text.count(9, "RCT", start=True) == "Nine RCTs"
    assert text.count(1, "trial", start=True) == "One trial"
    assert text.count(1, "study", "studies") == "one study"  # "the one study", not "the 1 study"
    assert text.count(2, "study", "studies") == "2 studies"
    assert text.count(25, "trial", start=True) == "25 trials"  # above twenty: digits
    assert text.join_and(["a"]) == "a"
    assert text.join_and(["a", "b", "c"]) == "a, b and c"


@pytest.mark.parametrize(
    ("smd", "word"),
    [(-0.78, "moderate"), (0.8, "large"), (-0.2, "small"), (0.19, "negligible"), (-1.3, "large")],
)
def test_smd_size_uses_cohen_thresholds_on_the_absolute_value(smd, word):
    assert interpret.smd_size(smd) == word


@pytest.mark.parametrize(
    ("i2", "word"),
    [
        (0, "very low"),
        (24.9, "very low"),
        (25, "low"),
        (62, "moderate"),
        (80, "high"),
        (None, "not estimable"),
    ],
)
def test_heterogeneity_level(i2, word):
    assert interpret.heterogeneity_level(i2) == word


def test_data_text_is_escaped_for_markdown_and_html():
    assert text.escape_md("*Lee* [2020] <b>") == r"\*Lee\* \[2020\] \<b\>"
    assert text.escape_md("a\nb") == "a b"
    assert text.escape_html('<script>"x" & y') == "&lt;script&gt;&quot;x&quot; &amp; y"


def test_escaped_markdown_renders_literally():
    import pypandoc

    raw = "*Lee* & [Kim](x) 2020 <i>"
    html = pypandoc.convert_text(text.escape_md(raw), "html", format="markdown")
    assert "<em>" not in html and "<a " not in html and "<i>" not in html
    assert "*Lee* &amp; [Kim](x) 2020 &lt;i&gt;" in html


def test_lookup_tables_name_the_method_and_its_citation():
    phrase, keys = text.lookup(text.ESTIMATORS, "REML", "estimator")
    assert "REML" in phrase and keys == ["viechtbauer2005"]
    assert text.cite(keys) == "[@viechtbauer2005]"
    assert text.cite([]) == ""
    with pytest.raises(KeyError, match="known: FE, DL"):
        text.lookup(text.ESTIMATORS, "XX", "estimator")


def test_every_cited_key_is_in_the_methods_bibliography():
    from analysis.paths import REPORT_DIR

    bib = (REPORT_DIR / "references.bib").read_text(encoding="utf-8")
    keys = {
        k for table in (text.ESTIMATORS, text.CI_METHODS) for _, ks in table.values() for k in ks
    }
    for key in keys:
        assert f"{{{key}," in bib, key


def test_footnote_marks_run_a_to_z_then_aa():
    from analysis.text import footnote_mark

    assert [footnote_mark(i) for i in (0, 1, 25, 26, 27, 51, 52)] == [
        "a", "b", "z", "aa", "ab", "az", "ba"
    ]  # fmt: skip


NB = "\u00a0"


@pytest.mark.parametrize(
    ("typed", "bound"),
    [
        ("(n = 485 patients)", f"(n{NB}={NB}485 patients)"),
        ("I² = 84% (95% CI 64% to 96%)", f"I²{NB}={NB}84%{NB}(95%{NB}CI 64%{NB}to{NB}96%)"),
        ("Q = 47.08 on 8 df (p < 0.001)", f"Q{NB}={NB}47.08 on 8{NB}df (p{NB}<{NB}0.001)"),
        (
            "| 31/215 (14%) | 3.05 (1.55 to 6.01) |",
            f"| 31/215{NB}(14%) | 3.05{NB}(1.55{NB}to{NB}6.01) |",
        ),
        ("QM = 1.86, df = 2, τ² = 0.432", f"QM{NB}={NB}1.86, df{NB}={NB}2, τ²{NB}={NB}0.432"),
        ("R² = 0%; F(1, 7) = 2.10", f"R²{NB}={NB}0%; F(1, 7){NB}={NB}2.10"),
        # words and years are left alone
        (
            "published between 2013 and 2024 (Page et al.)",
            "published between 2013 and 2024 (Page et al.)",
        ),
    ],
)
def test_numbers_are_held_to_their_statistic_interval_and_qualifier(typed, bound):
    assert text.bind_numbers(typed) == bound


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        (
            "en-GB",
            "Standardized mean differences of randomized trials; Favors MSCS",
            "Standardised mean differences of randomised trials; Favours MSCS",
        ),
        (
            "en-US",
            "Standardised mean differences of non-randomised, colour-coded trials",
            "Standardized mean differences of non-randomized, color-coded trials",
        ),
        ("en-GB", "the randomisation process", "the randomisation process"),
    ],
)
def test_one_spelling_variant_throughout(language, typed, expected):
    assert text.respell(typed, language) == expected


def test_every_spelling_variant_pair_is_distinct_and_known_to_both_languages():
    from analysis import vocabulary

    british = [gb for gb, _ in vocabulary.SPELLING_VARIANTS]
    american = [us for _, us in vocabulary.SPELLING_VARIANTS]
    assert len(set(british)) == len(british) and len(set(american)) == len(american)
    assert not set(british) & set(american)
    for gb, us in vocabulary.SPELLING_VARIANTS:
        assert text.respell(gb, "en-US") == us and text.respell(us, "en-GB") == gb
    with pytest.raises(KeyError, match="language"):
        text.respell("x", "fr")


@pytest.mark.parametrize(
    "pooled, shown",
    [
        # a ratio whose lower bound rounds to 1 but lies below it (the CI includes 1)
        (
            {"estimate_exp": 1.6, "ci_lower_exp": 0.9955, "ci_upper_exp": 2.58},
            "1.60 (0.996 to 2.58)",
        ),
        (
            {"estimate_exp": 1.6, "ci_lower_exp": 1.004, "ci_upper_exp": 2.58},
            "1.60 (1.004 to 2.58)",
        ),
        # a difference whose upper bound rounds to 0 but lies below it (the CI excludes 0)
        ({"estimate": -0.5, "ci_lower": -0.9, "ci_upper": -0.0004}, "−0.50 (−0.90 to −0.0004)"),
        # the null itself, and bounds far from it, keep two decimals
        ({"estimate": -0.5, "ci_lower": -0.9, "ci_upper": 0.0}, "−0.50 (−0.90 to 0.00)"),
        ({"estimate": -0.78, "ci_lower": -1.25, "ci_upper": -0.31}, "−0.78 (−1.25 to −0.31)"),
    ],
)
def test_a_bound_never_prints_as_the_null_it_is_not(pooled, shown):
    if "estimate_exp" in pooled:
        pooled |= {"estimate": 0.47, "ci_lower": -0.0045, "ci_upper": 0.95}
    assert text.pooled_ci(pooled).replace("\u00a0", " ") == shown


def test_a_share_of_participants_is_never_0_or_100_percent_unless_it_is():
    assert [text.fmt_share(x) for x in (0, 0.36, 13.2, 99.7, 100)] == [
        "0%",
        "<1%",
        "13%",
        ">99%",
        "100%",
    ]
    assert text.fmt_share(0.04, 1) == "<0.1%"


def test_a_difference_per_1000_is_worded_more_or_fewer_in_whole_numbers():
    assert [text.fmt_per_1000_change(x) for x in (64.7, -9.2, 4.2)] == [
        "65 more",
        "9 fewer",
        "4 more",
    ]


def test_the_summary_of_findings_abbreviations_are_each_given_once():
    from analysis.context import _sof_abbreviations

    results = {
        "outcomes": [{"measure": m} for m in ("RR", "SMD", "RR")],
        "adverse_events": {"events": [{"serious": True}]},
    }
    assert [a for a, _ in _sof_abbreviations(results)] == ["RR", "SMD", "CI"]
