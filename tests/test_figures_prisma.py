"""PRISMA 2020 flow diagram: every printed count equals the prisma dict; layout."""

from __future__ import annotations

import re

import pytest

from analysis.figures.prisma import prisma_caption, prisma_flow
from tests import figure_cases as fc
from tests.figure_svg import all_texts, clipped_texts, overlapping_texts, svg_root, texts_by_id


def _items(texts: dict[str, str]) -> dict[str, str]:
    """Item id -> its full text (first line plus continuation lines ``--n``)."""
    items: dict[str, list[str]] = {}
    for key in sorted(
        texts, key=lambda k: (k.split("--")[0], int(k.split("--")[1] or 0) if "--" in k else 0)
    ):
        if key.startswith("prisma-"):
            items.setdefault(key.split("--")[0], []).append(texts[key])
    return {key: " ".join(parts) for key, parts in items.items()}


def _count(text: str) -> int:
    match = re.search(r"\(n = (\d+)\)$", text)
    assert match, text
    return int(match.group(1))


def expected_counts(prisma: dict) -> dict[str, tuple[str, int]]:
    """Item id -> (label, count) straight from the prisma dict."""
    ident = prisma["identification"]
    removed = ident["removed_before_screening"]
    out = {
        "prisma-databases": ("Databases", sum(ident["databases"].values())),
        "prisma-registers": ("Registers", sum(ident["registers"].values())),
        "prisma-duplicates": ("Duplicate records removed", removed["duplicates"]),
        "prisma-automation": (
            "Records marked as ineligible by automation tools",
            removed["automation"],
        ),
        "prisma-removed-other": ("Records removed for other reasons", removed["other"]),
        "prisma-screened": ("Records screened", prisma["screening"]["screened"]),
        "prisma-screen-excluded": ("Records excluded", prisma["screening"]["excluded"]),
        "prisma-sought": ("Reports sought for retrieval", prisma["retrieval"]["sought"]),
        "prisma-not-retrieved": ("Reports not retrieved", prisma["retrieval"]["not_retrieved"]),
        "prisma-assessed": ("Reports assessed for eligibility", prisma["eligibility"]["assessed"]),
        "prisma-studies": ("Studies included in review", prisma["included"]["studies"]),
        "prisma-reports": ("Reports of included studies", prisma["included"]["reports"]),
    }
    for i, (name, n) in enumerate(ident["databases"].items()):
        out[f"prisma-database-{i}"] = (name, n)
    for i, (name, n) in enumerate(ident["registers"].items()):
        out[f"prisma-register-{i}"] = (name, n)
    for i, (reason, n) in enumerate(prisma["eligibility"]["excluded"].items()):
        out[f"prisma-reason-{i}"] = (reason, n)
    other = prisma.get("other_methods")
    if other:
        for i, (name, n) in enumerate(other["identified"].items()):
            out[f"prisma-other-{i}"] = (name, n)
        out["prisma-other-sought"] = ("Reports sought for retrieval", other["sought"])
        out["prisma-other-not-retrieved"] = ("Reports not retrieved", other["not_retrieved"])
        out["prisma-other-assessed"] = ("Reports assessed for eligibility", other["assessed"])
        for i, (reason, n) in enumerate(other["excluded"].items()):
            out[f"prisma-other-reason-{i}"] = (reason, n)
    return out


@pytest.mark.parametrize("other_methods", [False, True])
def test_every_count_equals_the_prisma_dict(other_methods):
    prisma = fc.prisma(other_methods)
    fig = prisma_flow(prisma)
    items = _items(texts_by_id(svg_root(fig)))
    expected = expected_counts(prisma)
    assert set(items) == set(expected)
    for key, (label, count) in expected.items():
        assert items[key] == f"{label} (n = {count})", key
        assert _count(items[key]) == count
    assert overlapping_texts(fig) == []
    assert clipped_texts(fig) == []


def test_template_headers_phases_and_box_titles():
    other = all_texts(svg_root(prisma_flow(fc.prisma(True))))
    plain = all_texts(svg_root(prisma_flow(fc.prisma(False))))
    for text in (
        "Identification of studies via databases and registers",
        "Identification",
        "Screening",
        "Included",
    ):
        assert text in other
        assert text in plain
    assert "Identification of studies via other methods" in other
    assert "Identification of studies via other methods" not in plain
    for title in ("Records identified from:", "Records removed before screening:"):
        assert title in plain
    assert plain.count("Reports excluded:") == 1
    assert " ".join(other).count("Reports excluded:") == 2


def test_counts_in_the_alt_text():
    prisma = fc.prisma()
    _, alt = prisma_caption(prisma)
    assert "1288 records identified" in alt
    assert "9 studies (9 reports) included" in alt
