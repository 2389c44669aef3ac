"""``python -m analysis meta FILE.csv``: a one-off meta-analysis of one CSV.

Prints a summary in the spirit of metafor's ``print.rma``, or with ``--json`` one JSON object
whose keys are documented in README.md ("The meta command").
"""

from __future__ import annotations

import argparse
import json

from analysis.data.reading import normalise_header
from analysis.errors import AnalysisError, DataError, Problem
from analysis.meta_input import read_meta_csv
from analysis.public import pooled_to_public, to_public
from analysis.stats.binary_pooling import mantel_haenszel, peto
from analysis.stats.pooling import MetaResult, rma
from analysis.vocabulary import (
    BINARY_MEASURES,
    CI_ALIASES,
    CI_METHODS,
    MEASURES,
    RMA_METHODS,
    TABLE_METHODS,
    normalize_ci_method,
)

METHODS = (*RMA_METHODS, *TABLE_METHODS)
#: what ``--ci`` accepts: the CI methods and their aliases (``hksj`` = ``knha``)
CI_CHOICES = (*CI_METHODS, *CI_ALIASES)
#: keys printed first, in this order (the rest follow)
JSON_KEYS = (
    "k", "measure", "method", "ci_method", "estimate", "se", "ci_lower", "ci_upper", "stat",
    "pval", "df", "tau2", "tau2_ci_lower", "tau2_ci_upper", "q", "q_df", "q_pval", "i2", "h2",
    "i2_q", "pi_lower", "pi_upper", "weights_percent", "yi", "vi",
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", metavar="FILE.csv", help="the CSV file (columns: README, 'The meta command')"
    )
    parser.add_argument(
        "--measure", required=True, choices=tuple(MEASURES), help="the effect measure"
    )
    parser.add_argument(
        "--method",
        default="REML",
        choices=METHODS,
        help="FE common effect, DL...EB a tau² estimator, MH, PETO (default: REML)",
    )
    parser.add_argument(
        "--ci",
        default="z",
        type=normalize_ci_method,
        choices=CI_METHODS,
        metavar="{" + ",".join(CI_CHOICES) + "}",
        help="confidence interval method (default: z; hksj = knha)",
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
    return rma(es.yi, es.vi, method=method, ci_method=ci, level=level, measure=data.measure)


def to_json(result: MetaResult) -> dict:
    public = pooled_to_public(result)
    ordered = {key: public[key] for key in JSON_KEYS}
    ordered.update({key: value for key, value in public.items() if key not in ordered})
    return ordered


def run(args: argparse.Namespace) -> int:
    problem = check_combination(args.measure, args.method, args.ci)
    if problem:
        raise AnalysisError(problem)
    if not 0 < args.level < 100:
        raise AnalysisError(f"--level must lie between 0 and 100; got {args.level:g}")
    data = read_meta_csv(args.file, args.measure, keep=(args.subgroup or "", *args.moderator))
    result = fit(data, args.method, args.ci, args.level / 100)
    extra = secondary(args, data, result)
    if args.json:
        blocks = secondary_json(extra)
        print(json.dumps({**to_json(result), **blocks}, indent=2, allow_nan=False))
    else:
        from analysis.summary_print import summary

        print(summary(result, data.study, extra))
    return 0


def _extra_column(data, column: str) -> list[str]:
    """A CSV column beyond the contract's, every cell filled (DataError names the cell).
    The name is matched as the CSV reader matches headers (case-insensitively)."""
    name = normalise_header(column)
    if name not in data.extra:
        available = ", ".join(data.extra_columns) or "none"
        raise DataError(
            Problem(
                data.path, 1, column, column, f"a column of the CSV (extra columns: {available})"
            )
        )
    values = data.extra[name]
    empty = [
        Problem(data.path, int(row), column, "", "a value")
        for row, v in zip(data.rows, values, strict=True)
        if not v
    ]
    if empty:
        raise DataError(empty)
    return values


def secondary(args: argparse.Namespace, data, result: MetaResult) -> dict:
    """The requested secondary analyses, fitted: ``leave1out``, ``egger``, ``begg``,
    ``trimfill``, ``subgroups``, ``metareg`` (name -> result object). Their modules are
    imported only when asked for, so a plain ``meta`` run starts without them."""
    wanted = args.loo or args.bias or args.subgroup or args.moderator
    if wanted and result.method in ("MH", "PETO"):
        raise AnalysisError(
            "--loo, --bias, --subgroup and --moderator need an inverse-variance model: "
            "use --method FE or a tau² estimator"
        )
    out: dict = {}
    if args.loo:
        from analysis.stats.sensitivity import leave_one_out

        out["leave1out"] = leave_one_out(result)
    if args.bias:
        from analysis.stats.small_study import begg_test, egger_test, trim_and_fill

        out["egger"] = egger_test(result)
        out["begg"] = begg_test(result)
        out["trimfill"] = trim_and_fill(result)
    if args.subgroup:
        from analysis.stats.subgroups import subgroup_analysis

        labels = _extra_column(data, args.subgroup)
        out["subgroups"] = subgroup_analysis(
            result.yi, result.vi, labels, result.method, result.ci_method, result.level,
            result.measure, args.subgroup,
        )  # fmt: skip
    if args.moderator:
        from analysis.stats.metareg import meta_regression

        moderators = {column: _extra_column(data, column) for column in args.moderator}
        out["metareg"] = meta_regression(
            result.yi, result.vi, moderators, result.method, result.ci_method, result.level
        )
    return out


#: the keys of each secondary block in the JSON output (README, "The meta command")
SECONDARY_JSON_KEYS = {
    "egger": ("stat", "pval", "df", "limit_estimate"),
    "begg": ("tau", "pval"),
    "trimfill": ("k0", "side", "estimate", "se", "ci_lower", "ci_upper"),
    "metareg": ("coefficients", "qm", "qm_df", "qm_pval", "tau2", "r2"),
}
SUBGROUP_LEVEL_KEYS = ("k", "estimate", "se", "ci_lower", "ci_upper", "tau2", "i2")


def secondary_json(fitted: dict) -> dict:
    """The JSON blocks of the fitted secondary analyses (:func:`secondary`)."""
    out = {}
    for name, result in fitted.items():
        block = to_public(result)
        if name == "subgroups":
            block = {
                "levels": {
                    label: {key: level[key] for key in SUBGROUP_LEVEL_KEYS}
                    for label, level in block["levels"].items()
                },
                **{k: block[k] for k in ("q_between", "q_between_df", "q_between_pval")},
            }
        elif name in SECONDARY_JSON_KEYS:
            block = {key: block[key] for key in SECONDARY_JSON_KEYS[name]}
        out[name] = block
    return out
