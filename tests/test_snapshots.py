"""Generated text is snapshot-tested: the templates rendered from a fixed results.json are
compared with committed expected text, so every wording change is a reviewed diff.

The fixed input is ``tests/snapshots/results.json`` (the example review's results). Variants
of it exercise the other branches of the wording (no significant effect, common-effect model,
Hartung–Knapp intervals, a single trial, real data). After an intended wording change, rewrite
the expected files with ``UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_snapshots.py`` and
review the diff.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import numpy as np
import pytest

from analysis.build import render_parts
from analysis.interpret import add_decisions

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def fixed_results() -> dict:
    return json.loads((SNAPSHOTS / "results.json").read_text(encoding="utf-8"))


def fixed_figures() -> list:
    return json.loads((SNAPSHOTS / "figures.json").read_text(encoding="utf-8"))


def not_significant(r: dict) -> dict:
    """Primary outcome with a CI that includes no effect, real (non-example) data, Hartung–Knapp
    intervals, one author."""
    p = r["outcomes"][0]["pooled"]
    p.update(
        estimate=-0.15,
        ci_lower=-0.52,
        ci_upper=0.22,
        pval=0.43,
        pi_lower=-0.9,
        pi_upper=0.6,
        i2=20.0,
    )
    r["review"]["example"] = False
    r["review"]["labelling"] = {"synthetic_data": False, "illustrative": []}
    r["review"]["analysis"]["ci_method"] = "knha"
    r["review"]["authors"] = r["review"]["authors"][:1]
    return r


def common_effect_one_trial(r: dict) -> dict:
    """A common-effect model and a secondary outcome with a single trial (no heterogeneity,
    no prediction interval), no adverse events, no conversions."""
    r["review"]["analysis"].update(model="common", method="FE")
    for o in r["outcomes"]:
        o["pooled"].update(method="FE", tau2=0.0)
    last = r["outcomes"][-1]
    last["k"] = 1
    last["studies"] = last["studies"][:1]
    last["pooled"].update(
        k=1,
        pi_lower=None,
        pi_upper=None,
        i2=None,
        q=None,
        q_df=None,
        q_pval=None,
        i2_ci_lower=None,
        i2_ci_upper=None,
    )
    last["subgroup_analyses"] = {}
    last["metareg"] = None
    last["sensitivity"] = None
    r["adverse_events"]["events"] = []
    r["conversions"] = []
    return r


def one_serious_event(r: dict) -> dict:
    """One serious adverse event, in the comparator arm of the first trial (the risk ratio is
    then 0 without a CI, and 1 of the arm's participants rounds to 0%)."""
    from analysis.adverse import summarise_event

    events = r["adverse_events"]["events"]
    i = next(i for i, e in enumerate(events) if e["serious"])
    arms = {s["label"]: (s["n1"], s["n2"]) for s in r["studies"]}
    counts = np.array([[0, arms[s][0], 0, arms[s][1]] for s in events[i]["studies"]])
    counts[0, 2] = 1
    events[i] = summarise_event(events[i]["event"], True, events[i]["studies"], counts).to_dict()
    r["adverse_events"]["serious_status"] = "some"
    return r


def protocol_and_one_sided_intervals(r: dict) -> dict:
    """A protocol (the analyses are prespecified), a primary outcome labelled with the
    review's primary concept, an adverse-event outcome, and prediction intervals wholly below
    no effect (favouring the intervention) and wholly above it (favouring the controls)."""
    r["review"]["protocol"] = "doi:10.1000/example-protocol"
    sledai, anti_dsdna, c3 = r["outcomes"]
    sledai["label"] = "Disease activity"
    anti_dsdna["pooled"].update(pi_lower=-1.2, pi_upper=-0.05)
    c3.update(label="Adverse events", definition="adverse events on a symptom score")
    c3["lower_is_better"] = True
    c3["pooled"].update(pi_lower=0.1, pi_upper=1.6)
    return r


VARIANTS = {
    "one_serious_event": one_serious_event,
    "example": lambda r: r,
    "protocol_and_one_sided_intervals": protocol_and_one_sided_intervals,
    "not_significant": not_significant,
    "common_effect_one_trial": common_effect_one_trial,
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_generated_text_matches_the_snapshot(variant):
    results = add_decisions(VARIANTS[variant](copy.deepcopy(fixed_results())))
    parts = render_parts(results, fixed_figures())
    folder = SNAPSHOTS / variant
    if UPDATE:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in parts.items():
            (folder / name).write_text(text, encoding="utf-8")
    differing = [
        name
        for name, text in parts.items()
        if not (folder / name).exists() or (folder / name).read_text(encoding="utf-8") != text
    ]
    assert not differing, (
        f"generated text differs from tests/snapshots/{variant}/ in {', '.join(differing)}; "
        "if the change is intended, run UPDATE_SNAPSHOTS=1 .venv/bin/pytest "
        "tests/test_snapshots.py and review the diff"
    )


def rounded(node):
    """Floats to 9 significant digits, so platform noise in the last bits does not count."""
    if isinstance(node, dict):
        return {k: rounded(v) for k, v in node.items()}
    if isinstance(node, list):
        return [rounded(v) for v in node]
    if isinstance(node, float):
        return float(f"{node:.9g}")
    return node


def test_the_fixed_input_is_the_example_review(manuscript_build):
    """The snapshot input stays the example's results (versions and the hash may move)."""
    fixed, fresh = fixed_results(), manuscript_build.results
    for key in ("outcomes", "summary", "studies", "adverse_events", "grade", "risk_of_bias"):
        assert rounded(fixed[key]) == rounded(fresh[key]), (
            f"tests/snapshots/results.json is out of date ({key}): copy "
            "report/_generated/results.json there and update the snapshots"
        )
