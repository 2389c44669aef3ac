"""``python -m analysis meta FILE.csv``: a one-off meta-analysis of one CSV.

Prints a summary in the spirit of metafor's ``print.rma``, or with ``--json`` one JSON object
whose keys are documented in README.md ("The meta command").
"""

from __future__ import annotations

import argparse
import json
import math

from analysis.errors import AnalysisError, DataError, Problem
from analysis.meta_input import read_meta_csv
from analysis.public import pooled_to_public
from analysis.stats.binary_pooling import mantel_haenszel, peto
from analysis.stats.effect_sizes import BINARY_MEASURES, MEASURES, RATIO_MEASURES
from analysis.stats.pooling import CI_METHODS, RMA_METHODS, MetaResult, rma

METHODS = (*RMA_METHODS, "MH", "PETO")
#: keys printed first, in this order (the rest follow)
JSON_KEYS = (
    "k", "measure", "method", "ci_method", "estimate", "se", "ci_lower", "ci_upper", "stat",
    "pval", "df", "tau2", "tau2_ci_lower", "tau2_ci_upper", "q", "q_df", "q_pval", "i2", "h2",
    "i2_q", "pi_lower", "pi_upper", "weights_percent", "yi", "vi",
)  # fmt: skip
MEASURE_NAMES = {
    "SMD": "standardized mean difference (Hedges' g)",
    "MD": "mean difference",
    "RR": "log risk ratio",
    "OR": "log odds ratio",
    "RD": "risk difference",
    "GEN": "generic effect size",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", metavar="FILE.csv", help="the CSV file (columns: README, 'The meta command')"
    )
    parser.add_argument("--measure", required=True, choices=MEASURES, help="the effect measure")
    parser.add_argument(
        "--method",
        default="REML",
        choices=METHODS,
        help="FE common effect, DL...EB a tau² estimator, MH, PETO (default: REML)",
    )
    parser.add_argument(
        "--ci", default="z", choices=CI_METHODS, help="confidence interval method (default: z)"
    )
    parser.add_argument(
        "--level", type=float, default=95, metavar="PCT", help="confidence level (default: 95)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the summary"
    )
    add_secondary_arguments(parser)


def add_secondary_arguments(parser: argparse.ArgumentParser) -> None:
    """Options for the secondary analyses (README, "The meta command")."""
    group = parser.add_argument_group("secondary analyses (inverse-variance models only)")
    group.add_argument("--loo", action="store_true", help="leave-one-out analysis")
    group.add_argument(
        "--bias", action="store_true", help="small-study effects: Egger, Begg, trim-and-fill"
    )
    group.add_argument("--subgroup", metavar="COLUMN", help="subgroup analysis by a CSV column")
    group.add_argument(
        "--moderator",
        metavar="COLUMN",
        action="append",
        default=[],
        help="meta-regression on a CSV column (repeat for several)",
    )


def check_combination(measure: str, method: str, ci: str) -> str | None:
    """The reason a measure/method/CI combination cannot be fitted, or None."""
    if method in ("MH", "PETO") and ci != "z":
        return f"--method {method} gives a z-based interval only; use --ci z"
    if method == "MH" and measure not in BINARY_MEASURES:
        return f"--method MH needs a binary measure ({', '.join(BINARY_MEASURES)})"
    if method == "PETO" and measure != "OR":
        return "--method PETO pools odds ratios: use --measure OR"
    return None


def fit(data, method: str, ci: str, level: float) -> MetaResult:
    """Fit the requested model to a :class:`~analysis.meta_input.MetaInput`."""
    if method == "MH":
        v = data.values
        return mantel_haenszel(v["events1"], v["n1"], v["events2"], v["n2"], data.measure, level)
    if method == "PETO":
        v = data.values
        return peto(v["events1"], v["n1"], v["events2"], v["n2"], level)
    es = data.effect_sizes()
    return rma(es.yi, es.vi, method=method, test=ci, level=level, measure=data.measure)


def to_json(result: MetaResult) -> dict:
    public = pooled_to_public(result)
    ordered = {key: public[key] for key in JSON_KEYS}
    ordered.update({key: value for key, value in public.items() if key not in ordered})
    return ordered


def _num(x, digits: int = 4) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _p(p) -> str:
    return "NA" if p is None else ("<.0001" if p < 1e-4 else f"{p:.4f}")


def summary(result: MetaResult, data) -> str:
    """Readable summary, laid out like metafor's print.rma."""
    r = pooled_to_public(result)
    level = round(result.level * 100)
    lines = []
    if result.method in ("FE", "MH", "PETO"):
        name = {"FE": "Common-Effect (inverse-variance)", "MH": "Mantel-Haenszel", "PETO": "Peto"}
        lines.append(f"{name[result.method]} Model (k = {result.k})")
    else:
        lines.append(f"Random-Effects Model (k = {result.k}; tau^2 estimator: {result.method})")
    lines.append("")
    if result.method not in ("FE", "MH", "PETO") and result.k > 1:
        ci = (
            f" (95% CI {_num(r['tau2_ci_lower'])} to {_num(r['tau2_ci_upper'])})"
            if r["tau2_ci_lower"] is not None
            else ""
        )
        lines += [
            f"tau^2 (estimated amount of total heterogeneity): {_num(r['tau2'])}{ci}",
            f"tau (square root of estimated tau^2 value):      {_num(r['tau'])}",
            f"I^2 (total heterogeneity / total variability):   {_num(r['i2'], 2)}%",
            f"H^2 (total variability / sampling variability):  {_num(r['h2'], 2)}",
        ]
    if r["q"] is not None and result.k > 1:
        lines += [
            f"I^2 from Q (Higgins & Thompson 2002):            {_num(r['i2_q'], 2)}%",
            "",
            "Test for Heterogeneity:",
            f"Q(df = {r['q_df']}) = {_num(r['q'])}, p-val {_p(r['q_pval'])}",
        ]
    stat_name = "zval" if result.df is None else "tval"
    df_text = "" if result.df is None else f" (df = {result.df})"
    lines += [
        "",
        f"Model Results ({MEASURE_NAMES[result.measure]}; {result.test}-based CI{df_text}):",
        "",
        f"{'estimate':>10}{'se':>10}{stat_name:>10}{'pval':>10}{'ci.lb':>10}{'ci.ub':>10}",
        "".join(
            f"{v:>10}"
            for v in (
                _num(r["estimate"]), _num(r["se"]), _num(r["stat"]), _p(r["pval"]),
                _num(r["ci_lower"]), _num(r["ci_upper"]),
            )
        ),
    ]  # fmt: skip
    if r["pi_lower"] is not None:
        lines += [
            "",
            f"{level}% prediction interval (Higgins et al. 2009, t on k-2 df): "
            f"{_num(r['pi_lower'])} to {_num(r['pi_upper'])}",
        ]
    if result.measure in RATIO_MEASURES:
        ratio = "risk ratio" if result.measure == "RR" else "odds ratio"
        text = (
            f"Back-transformed ({ratio}): {_num(r['estimate_exp'])} "
            f"({level}% CI {_num(r['ci_lower_exp'])} to {_num(r['ci_upper_exp'])})"
        )
        if r["pi_lower_exp"] is not None:
            text += f"; prediction interval {_num(r['pi_lower_exp'])} to {_num(r['pi_upper_exp'])}"
        lines += ["", text]
    lines += ["", "Study weights (%):"]
    width = max(len(s) for s in data.study)
    lines += [
        f"  {s:<{width}}  {w:6.2f}" for s, w in zip(data.study, result.weights_pct, strict=True)
    ]
    for note in result.notes:
        lines += ["", f"Note: {note}"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    problem = check_combination(args.measure, args.method, args.ci)
    if problem:
        raise AnalysisError(problem)
    if not 0 < args.level < 100:
        raise AnalysisError(f"--level must lie between 0 and 100; got {args.level:g}")
    data = read_meta_csv(args.file, args.measure)
    result = fit(data, args.method, args.ci, args.level / 100)
    extra = secondary(args, data, result)
    if args.json:
        print(json.dumps({**to_json(result), **extra}, indent=2, allow_nan=False))
    else:
        print(summary(result, data))
        for key, value in extra.items():
            print(f"\n{key}: {json.dumps(value, allow_nan=False)}")
    return 0


def _extra_column(data, column: str) -> list[str]:
    """A CSV column beyond the contract's, every cell filled (DataError names the cell)."""
    if column not in data.extra:
        available = ", ".join(data.extra) or "none"
        raise DataError(
            Problem(
                data.path, 1, column, column, f"a column of the CSV (extra columns: {available})"
            )
        )
    values = data.extra[column]
    empty = [
        Problem(data.path, i + 2, column, "", "a value") for i, v in enumerate(values) if not v
    ]
    if empty:
        raise DataError(empty)
    return values


def secondary(args: argparse.Namespace, data, result: MetaResult) -> dict:
    """The requested secondary analyses as JSON blocks: ``leave1out``, ``egger``, ``begg``,
    ``trimfill``, ``subgroups``, ``metareg``. Their modules are imported only when asked for,
    so a plain ``meta`` run starts without them."""
    wanted = args.loo or args.bias or args.subgroup or args.moderator
    if wanted and result.method in ("MH", "PETO"):
        raise AnalysisError(
            "--loo, --bias, --subgroup and --moderator need an inverse-variance model: "
            "use --method FE or a tau² estimator"
        )
    out: dict = {}
    if args.loo:
        from analysis.stats.sensitivity import leave_one_out

        out["leave1out"] = leave_one_out(result).to_dict()
    if args.bias:
        from analysis.stats.small_study import begg_test, egger_test, trim_and_fill

        egger = egger_test(result).to_dict()
        trimfill = trim_and_fill(result).to_dict()
        out["egger"] = {key: egger[key] for key in ("stat", "pval", "df", "limit_estimate")}
        out["begg"] = {key: begg_test(result).to_dict()[key] for key in ("tau", "pval")}
        out["trimfill"] = {
            key: trimfill[key] for key in ("k0", "side", "estimate", "se", "ci_lower", "ci_upper")
        }
    if args.subgroup:
        from analysis.stats.subgroups import subgroup_analysis

        labels = _extra_column(data, args.subgroup)
        sub = subgroup_analysis(
            result.yi, result.vi, labels, result.method, result.test, result.level,
            result.measure, args.subgroup,
        ).to_dict()  # fmt: skip
        keys = ("k", "estimate", "se", "ci_lower", "ci_upper", "tau2", "i2")
        out["subgroups"] = {
            "levels": {name: {k: lev[k] for k in keys} for name, lev in sub["levels"].items()},
            **{k: sub[k] for k in ("q_between", "q_between_df", "q_between_pval")},
        }
    if args.moderator:
        from analysis.stats.metareg import meta_regression

        moderators = {column: _extra_column(data, column) for column in args.moderator}
        reg = meta_regression(
            result.yi, result.vi, moderators, result.method, result.test, result.level
        )
        out["metareg"] = {
            key: value
            for key, value in reg.to_dict().items()
            if key in ("coefficients", "qm", "qm_df", "qm_pval", "tau2", "r2")
        }
    return out
