"""The human-readable output of ``python -m analysis meta``, laid out like metafor's prints.

The fitted model as ``print.rma``; the secondary analyses as metafor prints ``leave1out``
(``print.list.rma``), ``regtest``, ``ranktest``, ``trimfill``, a subgroup analysis (one
``rma`` per subgroup and the test of the subgroup estimates) and a meta-regression (``rma``
with ``mods``). Numbers are rounded as metafor's ``digits = 4`` rounds them; p-values below
0.0001 print as "<.0001". For ratio measures (RR, OR) the values metafor shows with
``transf = exp`` are back-transformed: the leave-one-out estimates and intervals (as
``leave1out(model, transf = exp)``), and the pooled, trim-and-fill and subgroup estimates
beside their log-scale values (as ``predict(fit, transf = exp)``); meta-regression
coefficients stay on the log scale, as ``print.rma`` shows them.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.public import pooled_to_public
from analysis.vocabulary import RATIO_MEASURES

#: metafor's default number of decimals
DIGITS = 4
MEASURE_NAMES = {
    "SMD": "standardized mean difference (Hedges' g)",
    "MD": "mean difference",
    "RR": "log risk ratio",
    "OR": "log odds ratio",
    "RD": "risk difference",
    "GEN": "generic effect size",
}
RATIO_NAMES = {"RR": "risk ratio", "OR": "odds ratio"}
COMMON_EFFECT = {"FE": "Common-Effect (inverse-variance)", "MH": "Mantel-Haenszel", "PETO": "Peto"}


# --- numbers and tables ----------------------------------------------------------------------


def num(x, digits: int = DIGITS) -> str:
    """``x`` with ``digits`` decimals (metafor's ``fmtx``); "NA" for a missing value."""
    if x is None or (isinstance(x, float | np.floating) and math.isnan(x)):
        return "NA"
    return f"{x:.{digits}f}"


def pval(p) -> str:
    """A p-value in a table cell (metafor's ``fmtp``): "<.0001" below 0.0001."""
    return "NA" if p is None or math.isnan(p) else ("<.0001" if p < 1e-4 else f"{p:.4f}")


def p_equals(p) -> str:
    """A p-value in running text (metafor's ``.pval(showeq = TRUE)``): "= 0.0123", "< .0001"."""
    text = pval(p)
    return "< .0001" if text == "<.0001" else f"= {text}"


def table(header, rows, names=None, gap: int = 2) -> list[str]:
    """Right-aligned columns as R prints a data frame (row names left-aligned)."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]
    name_width = max((len(n) for n in names), default=0) if names else 0
    pad = " " * gap

    def line(name: str, cells) -> str:
        body = pad.join(cell.rjust(w) for cell, w in zip(cells, widths, strict=True))
        return (f"{name:<{name_width}}{pad}" if names else "") + body

    out = [line("", header)]
    out += [line(names[i] if names else "", row) for i, row in enumerate(rows)]
    return out


def _test_name(df) -> str:
    return "zval" if df is None else "tval"


def _is_ratio(measure: str) -> bool:
    return measure in RATIO_MEASURES


def _exp(x):
    return None if x is None or math.isnan(x) else math.exp(x)


def back_transformed(measure: str, names, estimates, lower, upper) -> list[str]:
    """Estimates and confidence limits on the ratio scale (as ``predict(fit, transf = exp)``)."""
    rows = [
        [num(_exp(e)), num(_exp(lo)), num(_exp(hi))]
        for e, lo, hi in zip(estimates, lower, upper, strict=True)
    ]
    return [
        "",
        f"Back-transformed ({RATIO_NAMES[measure]}; exp of the estimates above):",
        "",
        *table(["pred", "ci.lb", "ci.ub"], rows, names),
    ]


# --- the fitted model ------------------------------------------------------------------------


def model_lines(result) -> list[str]:
    """A fitted :class:`~analysis.stats.pooling.MetaResult` as ``print.rma`` shows it."""
    r = pooled_to_public(result)
    level = round(result.level * 100)
    if result.method in COMMON_EFFECT:
        lines = [f"{COMMON_EFFECT[result.method]} Model (k = {result.k})", ""]
    else:
        lines = [f"Random-Effects Model (k = {result.k}; tau^2 estimator: {result.method})", ""]
    if result.method not in COMMON_EFFECT and result.k > 1:
        ci = (
            f" ({level}% CI {num(r['tau2_ci_lower'])} to {num(r['tau2_ci_upper'])})"
            if r.get("tau2_ci_lower") is not None
            else ""
        )
        lines += [
            f"tau^2 (estimated amount of total heterogeneity): {num(r['tau2'])}{ci}",
            f"tau (square root of estimated tau^2 value):      {num(r['tau'])}",
            f"I^2 (total heterogeneity / total variability):   {num(r['i2'], 2)}%",
            f"H^2 (total variability / sampling variability):  {num(r['h2'], 2)}",
        ]
    if r["q"] is not None and result.k > 1:
        lines += [
            f"I^2 from Q (Higgins & Thompson 2002):            {num(r['i2_q'], 2)}%",
            "",
            "Test for Heterogeneity:",
            f"Q(df = {r['q_df']}) = {num(r['q'])}, p-val {p_equals(r['q_pval'])}",
        ]
    df_text = "" if result.df is None else f" (df = {result.df})"
    header = ["estimate", "se", _test_name(result.df), "pval", "ci.lb", "ci.ub"]
    row = [num(r["estimate"]), num(r["se"]), num(r["stat"]), pval(r["pval"])]
    row += [num(r["ci_lower"]), num(r["ci_upper"])]
    lines += [
        "",
        f"Model Results ({MEASURE_NAMES[result.measure]}; {result.ci_method}-based CI{df_text}):",
        "",
        *table(header, [row]),
    ]
    if r["pi_lower"] is not None:
        lines += [
            "",
            f"{level}% prediction interval (Higgins et al. 2009, t on k-2 df): "
            f"{num(r['pi_lower'])} to {num(r['pi_upper'])}",
        ]
    if _is_ratio(result.measure):
        text = (
            f"Back-transformed ({RATIO_NAMES[result.measure]}): {num(r['estimate_exp'])} "
            f"({level}% CI {num(r['ci_lower_exp'])} to {num(r['ci_upper_exp'])})"
        )
        if r["pi_lower_exp"] is not None:
            text += f"; prediction interval {num(r['pi_lower_exp'])} to {num(r['pi_upper_exp'])}"
        lines += ["", text]
    return lines


def weight_lines(result, labels) -> list[str]:
    width = max(len(s) for s in labels)
    return ["", "Study weights (%):"] + [
        f"  {s:<{width}}  {w:6.2f}" for s, w in zip(labels, result.weights_pct, strict=True)
    ]


# --- secondary analyses ----------------------------------------------------------------------


def leave1out_lines(loo, labels, measure: str) -> list[str]:
    """As ``print(leave1out(model))`` (``transf = exp`` for ratio measures: estimate and CI
    back-transformed, the SE column dropped)."""
    ratio = _is_ratio(measure)
    transform = np.exp if ratio else (lambda x: x)
    columns = {
        "estimate": transform(loo.estimate),
        "se": None if ratio else loo.se,
        _test_name(None if loo.ci_method == "z" else 1): loo.stat,
        "pval": loo.pval,
        "ci.lb": transform(loo.ci_lb),
        "ci.ub": transform(loo.ci_ub),
        "Q": loo.q,
        "Qp": loo.q_pval,
        "tau2": None if loo.method == "FE" else loo.tau2,
        "I2": loo.i2_pct,
        "H2": loo.h2,
    }
    columns = {name: values for name, values in columns.items() if values is not None}
    rows = [[num(values[i]) for values in columns.values()] for i in range(len(labels))]
    call = "leave1out(model, transf = exp)" if ratio else "leave1out(model)"
    scale = RATIO_NAMES[measure] if ratio else MEASURE_NAMES[measure]
    return [
        f"Leave-One-Out Analysis ({scale}; {call}; each row without that study):",
        "",
        *table(list(columns), rows, list(labels), gap=1),
    ]


def regtest_lines(egger) -> list[str]:
    """As ``print(regtest(model, model = "lm", predictor = "sei"))``."""
    return [
        "Regression Test for Funnel Plot Asymmetry",
        "",
        "Model:     weighted regression with multiplicative dispersion",
        "Predictor: standard error",
        "",
        f"Test for Funnel Plot Asymmetry: t = {num(egger.stat)}, df = {egger.df}, "
        f"p {p_equals(egger.pval)}",
        f"Limit Estimate (as sei -> 0):   b = {num(egger.limit_estimate)} "
        f"(CI: {num(egger.limit_ci_lb)}, {num(egger.limit_ci_ub)})",
        *_caveat(egger.caveat),
    ]


def ranktest_lines(begg) -> list[str]:
    """As ``print(ranktest(model))``."""
    return [
        "Rank Correlation Test for Funnel Plot Asymmetry",
        "",
        f"Kendall's tau = {num(begg.tau)}, p {p_equals(begg.pval)}",
        *_caveat(begg.caveat),
    ]


def trimfill_lines(trimfill) -> list[str]:
    """As ``print(trimfill(model))``: the number of filled studies, then the refitted model."""
    return [
        f"Trim-and-Fill Analysis (estimator {trimfill.estimator}):",
        "",
        f"Estimated number of missing studies on the {trimfill.side} side: {trimfill.k0} "
        f"(SE = {num(trimfill.se_k0)})",
        "",
        *model_lines(trimfill.fit),
        *_caveat(trimfill.caveat),
    ]


def subgroup_lines(sub) -> list[str]:
    """Each subgroup pooled alone (as ``rma(yi, vi, subset = group == level)``) and the test
    for subgroup differences (as ``rma(estimates, sei = se, mods = ~ level, method = "FE")``)."""
    test = _test_name(None if sub.ci_method == "z" else 1)
    header = ["k", "estimate", "se", test, "pval", "ci.lb", "ci.ub", "tau2", "I2"]
    names = [lev.label for lev in sub.levels]
    rows = [
        [
            str(lev.k),
            num(lev.estimate),
            num(lev.se),
            num(lev.stat),
            pval(lev.pval),
            num(lev.ci_lb),
            num(lev.ci_ub),
            num(lev.tau2),
            num(lev.i2_pct),
        ]
        for lev in sub.levels
    ]
    lines = [
        f"Subgroup Analysis by {sub.variable} ({MEASURE_NAMES[sub.measure]}; each subgroup "
        f"pooled alone, tau^2 estimator {sub.method}):",
        "",
        *table(header, rows, names),
    ]
    if _is_ratio(sub.measure):
        lines += back_transformed(
            sub.measure,
            names,
            [lev.estimate for lev in sub.levels],
            [lev.ci_lb for lev in sub.levels],
            [lev.ci_ub for lev in sub.levels],
        )
    lines += ["", "Test for Subgroup Differences (common-effect test of the subgroup estimates):"]
    if sub.q_between is None:
        lines.append("not done")
    else:
        lines.append(
            f"QM(df = {sub.q_between_df}) = {num(sub.q_between)}, "
            f"p-val {p_equals(sub.q_between_pval)}"
        )
    notes = [f"{lev.label}: {lev.note}" for lev in sub.levels if lev.note]
    return lines + _caveat(*notes, sub.test_note)


def metareg_lines(reg, measure: str) -> list[str]:
    """As ``print(rma(yi, vi, mods = ~ ...))``."""
    if reg.method == "FE":
        lines = [f"Fixed-Effects with Moderators Model (k = {reg.k})", ""]
    else:
        lines = [f"Mixed-Effects Model (k = {reg.k}; tau^2 estimator: {reg.method})", ""]
        lines += [
            f"tau^2 (estimated amount of residual heterogeneity):     {num(reg.tau2)}",
            f"tau (square root of estimated tau^2 value):             {num(math.sqrt(reg.tau2))}",
            f"I^2 (residual heterogeneity / unaccounted variability): {num(reg.i2_pct, 2)}%",
            f"R^2 (amount of heterogeneity accounted for):            {num(reg.r2_pct, 2)}%",
        ]
        lines.append("")
    m = len(reg.coefficients) - 1
    btt = "2" if m == 1 else f"2:{m + 1}"
    lines += [
        "Test for Residual Heterogeneity:",
        f"QE(df = {reg.qe_df}) = {num(reg.qe)}, p-val {p_equals(reg.qe_pval)}",
        "",
        f"Test of Moderators (coefficient{'' if m == 1 else 's'} {btt}):",
    ]
    if reg.qm_test == "F":
        df1, df2 = reg.qm_df
        lines.append(f"F(df1 = {df1}, df2 = {df2}) = {num(reg.qm)}, p-val {p_equals(reg.qm_pval)}")
    else:
        lines.append(f"QM(df = {reg.qm_df[0]}) = {num(reg.qm)}, p-val {p_equals(reg.qm_pval)}")
    t_based = reg.qm_test == "F"
    header = ["estimate", "se", "tval" if t_based else "zval"]
    header += ["df"] if t_based else []
    header += ["pval", "ci.lb", "ci.ub"]
    ddf = str(reg.k - len(reg.coefficients))
    rows = [
        [num(c.estimate), num(c.se), num(c.stat)]
        + ([ddf] if t_based else [])
        + [pval(c.pval), num(c.ci_lb), num(c.ci_ub)]
        for c in reg.coefficients
    ]
    names = [c.name for c in reg.coefficients]
    lines += [
        "",
        f"Model Results ({MEASURE_NAMES[measure]}; {reg.ci_method}-based CI):",
        "",
        *table(header, rows, names),
    ]
    return lines


def _caveat(*notes) -> list[str]:
    return [line for note in notes if note for line in ("", f"Note: {note}")]


# --- the whole summary -----------------------------------------------------------------------


def summary(result, labels, secondary: dict | None = None) -> str:
    """The model (``print.rma``), the study weights, the notes, then each secondary analysis
    in ``secondary`` (name -> fitted object, as :func:`analysis.cli_meta.secondary` returns)."""
    lines = model_lines(result) + weight_lines(result, labels)
    for note in result.notes:
        lines += ["", f"Note: {note}"]
    printers = {
        "leave1out": lambda x: leave1out_lines(x, labels, result.measure),
        "egger": regtest_lines,
        "begg": ranktest_lines,
        "trimfill": trimfill_lines,
        "subgroups": subgroup_lines,
        "metareg": lambda x: metareg_lines(x, result.measure),
    }
    for name, fitted in (secondary or {}).items():
        lines += ["", "", *printers[name](fitted)]
    return "\n".join(lines)
