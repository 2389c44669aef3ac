"""Make the synthetic example review's tables: studies.csv, outcomes.csv, adverse_events.csv and
risk_of_bias.csv (review.yml, prisma.yml, grade.yml and references.bib are written by hand).

The nine trials are fictitious. Their summary data are drawn from a fixed seed and then
adjusted numerically so that random-effects pooling (REML, z-based CI) of the standardized mean
differences reproduces the published abstract this example imitates:

    SLEDAI      SMD -0.78 (95% CI -1.25 to -0.31), p = 0.001
    anti-dsDNA  SMD -0.62 (95% CI -1.01 to -0.23), p = 0.002
    C3          SMD  0.55 (95% CI  0.21 to  0.89), p = 0.002

Steps per outcome (deterministic; see data/README.md):
1. per-study deviations z_i ~ N(0, 1) and control-arm means and SDs from ``numpy``'s PCG64
   generator with seed 20240517;
2. continuous solve of the location mu and spread s of the target effects g_i = mu + s*z_i so
   that the pooled estimate and its standard error equal the targets;
3. the arm summaries are written as a paper would report them (rounded; some as SE, 95% CI or
   median with IQR/range) and the MSCS-arm means are moved one reporting unit at a time
   (greedy coordinate search) until the pooled estimate, both CI bounds and the p-value,
   computed from the files exactly as the build reads them, round to the targets.

Run from the repository root: ``.venv/bin/python tools/make_example.py [OUTDIR]`` (default
``data/``).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from scipy import optimize, stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.data.conversions import convert_arm, eta, xi  # noqa: E402
from analysis.stats.effect_sizes import hedges_correction, smd  # noqa: E402
from analysis.stats.pooling import rma  # noqa: E402

SEED = 20240517

# study_id, label, citation, year, country, n1, n2, msc_source, secretome, dose, route, control,
# follow_up_weeks, age_mean, female_pct
STUDIES = [
    (
        "S01",
        "Aldana 2013",
        "aldana2013",
        2013,
        "Spain",
        18,
        18,
        "umbilical cord",
        "conditioned medium",
        1.0,
        "intravenous",
        "placebo",
        12,
        34.1,
        94.4,
    ),
    (
        "S02",
        "Brevik 2015",
        "brevik2015",
        2015,
        "Norway",
        24,
        22,
        "bone marrow",
        "conditioned medium",
        2.0,
        "intravenous",
        "placebo",
        24,
        38.6,
        89.1,
    ),
    (
        "S03",
        "Castellan 2016",
        "castellan2016",
        2016,
        "Italy",
        30,
        30,
        "adipose",
        "extracellular vesicles",
        1.0,
        "intravenous",
        "placebo",
        24,
        36.2,
        91.7,
    ),
    (
        "S04",
        "Dorne 2018",
        "dorne2018",
        2018,
        "France",
        40,
        20,
        "umbilical cord",
        "extracellular vesicles",
        1.5,
        "intravenous",
        "standard care",
        52,
        33.8,
        88.3,
    ),
    (
        "S05",
        "Eskander 2019",
        "eskander2019",
        2019,
        "Egypt",
        26,
        25,
        "bone marrow",
        "conditioned medium",
        2.0,
        "intravenous",
        "placebo",
        24,
        31.5,
        92.2,
    ),
    (
        "S06",
        "Fiorelli 2020",
        "fiorelli2020",
        2020,
        "Brazil",
        35,
        35,
        "umbilical cord",
        "extracellular vesicles",
        3.0,
        "intravenous",
        "placebo",
        48,
        35.9,
        90.0,
    ),
    (
        "S07",
        "Gaudin 2021",
        "gaudin2021",
        2021,
        "Canada",
        22,
        21,
        "adipose",
        "conditioned medium",
        0.5,
        "subcutaneous",
        "standard care",
        12,
        40.2,
        86.0,
    ),
    (
        "S08",
        "Hollis 2023",
        "hollis2023",
        2023,
        "Australia",
        32,
        31,
        "umbilical cord",
        "extracellular vesicles",
        2.0,
        "intravenous",
        "placebo",
        52,
        37.4,
        92.1,
    ),
    (
        "S09",
        "Ishida 2024",
        "ishida2024",
        2024,
        "Japan",
        28,
        28,
        "bone marrow",
        "extracellular vesicles",
        1.0,
        "intravenous",
        "placebo",
        36,
        39.0,
        89.3,
    ),
]
#: the example's studies.csv: the required columns, then its characteristics (review.yml)
STUDY_COLUMNS = (
    "study_id", "label", "citation", "year", "country", "n1", "n2", "msc_source", "secretome",
    "dose", "dose_unit", "route", "control", "follow_up_weeks", "age_mean", "female_pct",
)  # fmt: skip
DOSE_UNIT = "10⁶ cell-equivalents/kg"

# outcome id -> target (estimate, ci_lb, ci_ub, p), control-arm mean and SD ranges, decimals,
# the studies without data, and how some studies report the outcome (else mean and SD)
OUTCOMES = {
    "sledai": {
        "target": (-0.78, -1.25, -0.31, 0.001),
        "control_mean": (6.5, 10.5),
        "control_sd": (2.8, 4.4),
        "decimals": 1,
        "missing": (),
        "reported_as": {"S05": "se", "S07": "median_iqr"},
    },
    "anti_dsdna": {
        "target": (-0.62, -1.01, -0.23, 0.002),
        "control_mean": (85.0, 175.0),
        "control_sd": (35.0, 75.0),
        "decimals": 1,
        "missing": ("S01",),
        "reported_as": {"S04": "median_iqr_range"},
    },
    "c3": {
        "target": (0.55, 0.21, 0.89, 0.002),
        "control_mean": (68.0, 92.0),
        "control_sd": (14.0, 22.0),
        "decimals": 1,
        "missing": ("S01", "S07"),
        "reported_as": {"S08": "ci"},
    },
}
ARM_FORMS = ("mean", "sd", "se", "ci_lower", "ci_upper", "median", "q1_", "q3_", "min", "max")
OUTCOME_COLUMNS = (
    "study_id",
    "outcome",
    "n1",
    "n2",
    *(f"{f}{arm}" for arm in (1, 2) for f in ARM_FORMS),
    "change",
    "notes",
)

ADVERSE_EVENTS = (
    "Fever",
    "Headache",
    "Fatigue",
    "Nausea",
    "Administration-site reaction",
    "Upper respiratory tract infection",
    "Rash",
)
# study_id -> d1..d5, overall (RoB 2, study-wide): 4 low, 3 some concerns, 2 high
RISK_OF_BIAS = {
    "S01": ("some concerns", "some concerns", "low", "some concerns", "low", "high"),
    "S02": ("low", "low", "low", "low", "low", "low"),
    "S03": ("low", "some concerns", "low", "low", "low", "some concerns"),
    "S04": ("some concerns", "low", "low", "low", "some concerns", "some concerns"),
    "S05": ("low", "low", "low", "low", "low", "low"),
    "S06": ("low", "low", "low", "low", "low", "low"),
    "S07": ("some concerns", "high", "low", "some concerns", "low", "high"),
    "S08": ("low", "low", "low", "some concerns", "low", "some concerns"),
    "S09": ("low", "low", "low", "low", "low", "low"),
}


# -- reporting one arm ----------------------------------------------------------------------
def _round(value: float, decimals: int) -> float:
    return round(float(value), decimals)


def reported_arm(form: str, n: int, mean: float, sd: float, decimals: int) -> dict:
    """The arm as a paper reports it (rounded), in one of the forms the loader accepts."""
    if form == "sd":
        return {"mean": _round(mean, decimals), "sd": _round(sd, decimals)}
    if form == "se":
        return {"mean": _round(mean, decimals), "se": _round(sd / np.sqrt(n), decimals + 1)}
    if form == "ci":
        half = sd / np.sqrt(n) * float(stats.t.ppf(0.975, n - 1))
        return {
            "mean": _round(mean, decimals),
            "ci_lower": _round(mean - half, decimals),
            "ci_upper": _round(mean + half, decimals),
        }
    # right-skewed summaries whose Luo/Wan/Shi estimates land near (mean, sd)
    iqr = sd * eta(n)
    median = mean - 0.08 * iqr
    out = {
        "median": _round(median, decimals),
        "q1_": _round(median - 0.45 * iqr, decimals),
        "q3_": _round(median + 0.55 * iqr, decimals),
    }
    if form == "median_iqr_range":
        spread = sd * xi(n)
        out["min"] = _round(max(0.0, median - 0.42 * spread), decimals)
        out["max"] = _round(median + 0.58 * spread, decimals)
    return out


def as_mean_sd(n: int, arm: dict) -> tuple[float, float]:
    """Mean and SD exactly as the loader converts them."""
    names = {"q1_": "q1", "q3_": "q3", "min": "minimum", "max": "maximum"}
    mean, sd, _ = convert_arm(n, **{names.get(k, k): v for k, v in arm.items()})
    return mean, sd


def shifted(arm: dict, delta: float, decimals: int) -> dict:
    """The arm moved by ``delta``: its mean, or its whole median summary (min kept >= 0)."""
    if "mean" in arm:
        return {**arm, "mean": _round(arm["mean"] + delta, decimals)}
    moved = {key: _round(value + delta, decimals) for key, value in arm.items()}
    if "min" in moved:
        moved["min"] = max(0.0, moved["min"])
    return moved


# -- pooling as the build does it ---------------------------------------------------------
def pool(rows: list[dict]) -> tuple[float, float, float, float, float]:
    arrays = {k: [] for k in ("n1", "m1", "s1", "n2", "m2", "s2")}
    for r in rows:
        m1, s1 = as_mean_sd(r["n1"], r["arm1"])
        m2, s2 = as_mean_sd(r["n2"], r["arm2"])
        for key, value in zip(arrays, (r["n1"], m1, s1, r["n2"], m2, s2), strict=True):
            arrays[key].append(value)
    es = smd(*(np.array(arrays[k], dtype=float) for k in arrays))
    fit = rma(es.yi, es.vi, method="REML", ci_method="z")
    return fit.estimate, fit.ci_lb, fit.ci_ub, fit.pval, fit.i2_pct


def on_target(result, target) -> bool:
    est, lb, ub, p, _ = result
    return (
        all(round(a, 2) == b for a, b in zip((est, lb, ub), target[:3], strict=True))
        and round(p, 3) == target[3]
    )


def distance(result, target) -> float:
    est, lb, ub, _, _ = result
    return max(abs(est - target[0]), abs(lb - target[1]), abs(ub - target[2]))


# -- one outcome ------------------------------------------------------------------------------
def make_outcome(oid: str, spec: dict, rng: np.random.Generator) -> list[dict]:
    studies = [s for s in STUDIES if s[0] not in spec["missing"]]
    k = len(studies)
    z = rng.standard_normal(k)
    z = (z - z.mean()) / z.std(ddof=1)
    control_mean = rng.uniform(*spec["control_mean"], size=k)
    control_sd = rng.uniform(*spec["control_sd"], size=k)
    sd_ratio = rng.uniform(0.85, 1.15, size=k)
    n1 = np.array([s[5] for s in studies])
    n2 = np.array([s[6] for s in studies])
    j = hedges_correction(n1 + n2 - 2)
    target = spec["target"]
    dec = spec["decimals"]

    def build(mu: float, spread: float, shift=None, exact: bool = False) -> list[dict]:
        rows = []
        for i, s in enumerate(studies):
            sd2 = control_sd[i]
            sd1 = sd2 * sd_ratio[i]
            sp = np.sqrt(((n1[i] - 1) * sd1**2 + (n2[i] - 1) * sd2**2) / (n1[i] + n2[i] - 2))
            mean1 = control_mean[i] + (mu + spread * z[i]) / j[i] * sp
            form = spec["reported_as"].get(s[0], "sd")
            if exact:
                arm1 = {"mean": mean1, "sd": sd1}
                arm2 = {"mean": control_mean[i], "sd": sd2}
            else:
                arm1 = reported_arm(form, n1[i], mean1, sd1, dec)
                arm2 = reported_arm(form, n2[i], control_mean[i], sd2, dec)
                if shift is not None and shift[i]:
                    arm1 = shifted(arm1, shift[i] * 10.0**-dec, dec)
            rows.append(
                {"study_id": s[0], "n1": int(n1[i]), "n2": int(n2[i]), "arm1": arm1, "arm2": arm2}
            )
        return rows

    def residual(params):
        est, lb, ub, _, _ = pool(build(*params, exact=True))
        return [est - target[0], (ub - lb) - (target[2] - target[1])]

    mu, spread = optimize.fsolve(residual, x0=[target[0], 0.5], xtol=1e-12)
    shift = np.zeros(k, dtype=int)
    best = pool(build(mu, spread, shift))
    steps = [(i, d) for i in range(k) for d in (1, -1)]
    for _ in range(500):
        if on_target(best, target):
            break
        candidates = []
        for i, d in steps:
            trial = shift.copy()
            trial[i] += d
            result = pool(build(mu, spread, trial))
            candidates.append((on_target(result, target), -distance(result, target), i, d))
        ok, neg_dist, i, d = max(candidates)
        if not ok and -neg_dist >= distance(best, target):
            raise RuntimeError(f"{oid}: the search is stuck at {best}")
        shift[i] += d
        best = pool(build(mu, spread, shift))
    else:
        raise RuntimeError(f"{oid}: no data set found that rounds to the targets")
    return build(mu, spread, shift)


# -- writing ------------------------------------------------------------------------------
def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def write_csv(path: Path, columns, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(row.get(c)) for c in columns])


def make(outdir: Path) -> dict:
    """Write the four tables into ``outdir``; return the pooled results per outcome."""
    rng = np.random.Generator(np.random.PCG64(SEED))
    outdir.mkdir(parents=True, exist_ok=True)
    study_rows = [
        dict(zip(STUDY_COLUMNS[:10], s[:10], strict=True))
        | {"dose_unit": DOSE_UNIT}
        | dict(zip(STUDY_COLUMNS[11:], s[10:], strict=True))
        for s in STUDIES
    ]
    write_csv(outdir / "studies.csv", STUDY_COLUMNS, study_rows)

    outcome_rows, results = [], {}
    for oid, spec in OUTCOMES.items():
        rows = make_outcome(oid, spec, rng)
        results[oid] = pool(rows)
        for r in rows:
            line = {"study_id": r["study_id"], "outcome": oid, "n1": r["n1"], "n2": r["n2"]}
            for arm in (1, 2):
                line |= {f"{key}{arm}": value for key, value in r[f"arm{arm}"].items()}
            form = spec["reported_as"].get(r["study_id"])
            if form:
                line["notes"] = {
                    "se": "reported as mean (SE)",
                    "ci": "reported as mean (95% CI)",
                    "median_iqr": "reported as median (IQR)",
                    "median_iqr_range": "reported as median (IQR; range)",
                }[form]
            line["change"] = "no"
            outcome_rows.append(line)
    write_csv(outdir / "outcomes.csv", OUTCOME_COLUMNS, outcome_rows)

    adverse_rows = []
    for s in STUDIES:
        sid, n1, n2 = s[0], s[5], s[6]
        kinds = rng.choice(len(ADVERSE_EVENTS), size=int(rng.integers(3, 6)), replace=False)
        for kind in sorted(kinds):
            rate2 = rng.uniform(0.02, 0.12)
            rate1 = rate2 * rng.uniform(1.0, 2.2)
            adverse_rows.append(
                {
                    "study_id": sid,
                    "event": ADVERSE_EVENTS[kind],
                    "serious": "no",
                    "events1": int(rng.binomial(n1, min(rate1, 0.4))),
                    "n1": n1,
                    "events2": int(rng.binomial(n2, rate2)),
                    "n2": n2,
                }
            )
        adverse_rows.append(
            {
                "study_id": sid,
                "event": "Any serious adverse event",
                "serious": "yes",
                "events1": 0,
                "n1": n1,
                "events2": 0,
                "n2": n2,
            }
        )
    write_csv(
        outdir / "adverse_events.csv",
        ("study_id", "event", "serious", "events1", "n1", "events2", "n2"),
        adverse_rows,
    )

    rob_columns = ("study_id", "outcome", "d1", "d2", "d3", "d4", "d5", "overall")
    rob_rows = [
        dict(zip(rob_columns, (sid, "", *judgments), strict=True))
        for sid, judgments in RISK_OF_BIAS.items()
    ]
    write_csv(outdir / "risk_of_bias.csv", rob_columns, rob_rows)
    return results


def main(argv: list[str]) -> int:
    outdir = Path(argv[0]) if argv else ROOT / "data"
    for oid, (est, lb, ub, p, i2) in make(outdir).items():
        print(f"{oid}: SMD {est:.4f} ({lb:.4f} to {ub:.4f}), p = {p:.5f}, I2 = {i2:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
