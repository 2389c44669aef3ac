"""Results dicts (the shapes of results.json, /tmp/schema.md) for the figure tests, computed
with the engine from the reference datasets and from synthetic edge cases.

Reference data: /work/shared/reference copies in tests/fixtures/figures/ (normand1999.csv,
continuous, k = 9; bcg.csv, binary, k = 13; both from metafor's metadat package).
Synthetic cases are labelled synthetic and only exercise the layout.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from scipy import stats as sps

from analysis.interpret import fit_decisions
from analysis.public import pooled_to_public
from analysis.stats import effect_sizes
from analysis.stats.pooling import rma

FIXTURES = Path(__file__).parent / "fixtures" / "figures"


def read_csv(name: str) -> list[dict]:
    with open(FIXTURES / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _num(row: dict, key: str):
    value = row.get(key)
    return None if value in (None, "") else float(value)


def outcome_from_rows(
    rows: list[dict],
    *,
    outcome_id: str,
    label: str,
    measure: str,
    lower_is_better: bool | None = True,
    method: str = "REML",
    test: str = "z",
) -> dict:
    """An outcome dict as the build writes it: per-study rows with yi, vi, CI and weight, and
    the pooled result from :func:`analysis.public.pooled_to_public` and its decisions
    (:func:`analysis.interpret.fit_decisions`)."""
    binary = "events1" in rows[0]
    if binary:
        cols = [np.array([_num(r, c) for r in rows]) for c in ("events1", "n1", "events2", "n2")]
        es = effect_sizes.binary(measure, *cols)
    else:
        cols = [
            np.array([_num(r, c) for r in rows])
            for c in ("n1", "mean1", "sd1", "n2", "mean2", "sd2")
        ]
        es = (effect_sizes.smd if measure == "SMD" else effect_sizes.md)(*cols)
    res = rma(es.yi, es.vi, method=method, ci_method=test, measure=measure)
    pooled = pooled_to_public(res)
    z = sps.norm.ppf(0.975)
    studies = []
    for i, row in enumerate(rows):
        study = {
            "study_id": row.get("study_id") or f"S{i + 1:02d}",
            "label": row["study"],
            "n1": _num(row, "n1"),
            "n2": _num(row, "n2"),
        }
        keys = ("events1", "events2") if binary else ("mean1", "sd1", "mean2", "sd2")
        study.update({key: _num(row, key) for key in keys})
        yi, vi = float(es.yi[i]), float(es.vi[i])
        study.update(
            yi=yi,
            vi=vi,
            ci_lower=yi - z * vi**0.5,
            ci_upper=yi + z * vi**0.5,
            weight_percent=pooled["weights_percent"][i],
            conversion=None,
        )
        studies.append(study)
    return {
        "id": outcome_id,
        "label": label,
        "measure": measure,
        "primary": True,
        "lower_is_better": lower_is_better,
        "unit": None,
        "studies": studies,
        "pooled": pooled,
        "decisions": fit_decisions(res, bool(lower_is_better)),
    }


def with_subgroups(outcome: dict, variable: str, groups: dict[str, list[str]]) -> dict:
    """Add a ``subgroups`` block: each level pooled alone (same method), then the test for
    subgroup differences as a common-effect analysis of the level estimates."""
    by_id = {s["study_id"]: s for s in outcome["studies"]}
    pooled = outcome["pooled"]
    levels, est, se = {}, [], []
    for level, ids in groups.items():
        yi = np.array([by_id[i]["yi"] for i in ids])
        vi = np.array([by_id[i]["vi"] for i in ids])
        res = pooled_to_public(rma(yi, vi, method=pooled["method"] if len(ids) > 1 else "FE"))
        levels[level] = {
            "k": res["k"],
            "estimate": res["estimate"],
            "ci_lower": res["ci_lower"],
            "ci_upper": res["ci_upper"],
            "tau2": res["tau2"],
            "i2": res["i2"],
            "q": res["q"],
            "q_df": res["q_df"],
            "q_pval": res["q_pval"],
            "study_ids": list(ids),
        }
        est.append(res["estimate"])
        se.append(res["se"])
    between = rma(np.array(est), np.array(se) ** 2, method="FE")
    return {
        **outcome,
        "subgroups": {
            "variable": variable,
            "levels": levels,
            "q_between": float(between.q),
            "q_between_df": int(between.q_df),
            "q_between_pval": float(between.q_pval),
        },
    }


CONVERSION_NOTE = "arm 1: SD from the standard error (synthetic note for the layout tests)"


def normand_smd() -> dict:
    """normand1999, with one study flagged as if its SD had been converted (layout only)."""
    outcome = outcome_from_rows(
        read_csv("normand1999.csv"),
        outcome_id="los",
        label="Length of hospital stay",
        measure="SMD",
    )
    outcome["studies"][2]["conversion"] = CONVERSION_NOTE
    outcome["studies"][5]["conversion"] = CONVERSION_NOTE
    return outcome


def bcg_rr() -> dict:
    return outcome_from_rows(
        read_csv("bcg.csv"), outcome_id="tb", label="Tuberculosis", measure="RR"
    )


def bcg_subgroups() -> dict:
    rows = read_csv("bcg.csv")
    outcome = bcg_rr()
    groups: dict[str, list[str]] = {}
    for study, row in zip(outcome["studies"], rows, strict=True):
        groups.setdefault(f"Allocation: {row['alloc']}", []).append(study["study_id"])
    return with_subgroups(outcome, "alloc", groups)


def synthetic_rows(k: int, seed: int, label=lambda i: f"Synthetic trial {i + 1}") -> list[dict]:
    """Synthetic continuous trials (labelled synthetic; layout tests only)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(k):
        n1, n2 = (int(x) for x in rng.integers(12, 80, size=2))
        rows.append(
            {
                "study": label(i),
                "n1": n1,
                "mean1": round(float(rng.normal(8, 2)), 1),
                "sd1": round(float(rng.uniform(2, 5)), 1),
                "n2": n2,
                "mean2": round(float(rng.normal(10, 2)), 1),
                "sd2": round(float(rng.uniform(2, 5)), 1),
            }
        )
    return rows


def single_study() -> dict:
    return outcome_from_rows(
        synthetic_rows(1, seed=1), outcome_id="one", label="Single trial", measure="SMD"
    )


def seventy_studies() -> dict:
    return outcome_from_rows(
        synthetic_rows(70, seed=6), outcome_id="seventy", label="Seventy trials", measure="SMD"
    )


def forty_studies() -> dict:
    return outcome_from_rows(
        synthetic_rows(40, seed=2), outcome_id="forty", label="Forty trials", measure="SMD"
    )


LONG_LABEL = "Rodríguez-Fernández, van der Westhuizen and Oyelaran-Adeyemi (multicentre) 2021"


def long_labels() -> dict:
    rows = synthetic_rows(5, seed=3, label=lambda i: f"{LONG_LABEL} arm {'ABCDE'[i]}")
    return outcome_from_rows(rows, outcome_id="long", label="Long labels", measure="MD")


def wide_ci() -> dict:
    """One tiny trial whose CI spans far beyond the others' (whiskers must end in arrows)."""
    rows = synthetic_rows(6, seed=4)
    rows.append(
        {
            "study": "Tiny trial 2020",
            "n1": 3,
            "mean1": 2.0,
            "sd1": 9.0,
            "n2": 3,
            "mean2": 14.0,
            "sd2": 11.0,
        }
    )
    return outcome_from_rows(rows, outcome_id="wide", label="Wide CI", measure="MD")


def zero_events() -> dict:
    """Binary outcome with zero-event arms (and one double-zero trial), odds ratio."""
    rows = [
        {"study": "Zero A 2019", "events1": 0, "n1": 20, "events2": 3, "n2": 21},
        {"study": "Zero B 2020", "events1": 2, "n1": 35, "events2": 0, "n2": 30},
        {"study": "Double zero 2021", "events1": 0, "n1": 15, "events2": 0, "n2": 15},
        {"study": "Events 2022", "events1": 4, "n1": 40, "events2": 9, "n2": 41},
    ]
    rows = [{k: str(v) for k, v in r.items()} for r in rows]
    return outcome_from_rows(
        rows, outcome_id="ae", label="Serious adverse events", measure="OR", lower_is_better=True
    )


def risk_of_bias(outcome: dict, seed: int = 5) -> list[dict]:
    """Synthetic RoB 2 judgments for the outcome's studies (layout tests only)."""
    rng = np.random.default_rng(seed)
    levels = ("low", "some concerns", "high")
    out = []
    for study in outcome["studies"]:
        domains = {f"d{j}": levels[int(rng.choice(3, p=[0.6, 0.3, 0.1]))] for j in range(1, 6)}
        worst = max(domains.values(), key=levels.index)
        out.append(
            {
                "study_id": study["study_id"],
                "label": study["label"],
                "outcome": None,
                **domains,
                "overall": worst,
            }
        )
    return out


def prisma(other_methods: bool = False) -> dict:
    """A PRISMA 2020 count set that adds up (synthetic)."""
    out = {
        "identification": {
            "databases": {"PubMed": 412, "Embase": 538, "Web of Science": 301},
            "registers": {"ClinicalTrials.gov": 37},
            "removed_before_screening": {"duplicates": 439, "automation": 0, "other": 0},
        },
        "screening": {"screened": 849, "excluded": 801},
        "retrieval": {"sought": 48, "not_retrieved": 2},
        "eligibility": {
            "assessed": 46,
            "excluded": {
                "Not randomised": 18,
                "No secretome arm (cells or conditioned medium not characterised)": 11,
                "Wrong population": 6,
                "No usable outcome data": 2,
            },
        },
        "included": {"studies": 9, "reports": 9},
    }
    if other_methods:
        out["other_methods"] = {
            "identified": {"Citation searching": 14, "Websites": 3},
            "sought": 6,
            "not_retrieved": 1,
            "assessed": 5,
            "excluded": {"Not randomised": 3, "Conference abstract only": 1},
        }
        out["included"] = {"studies": 10, "reports": 11}
    return out
