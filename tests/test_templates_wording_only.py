"""Templates hold wording only: they compare no numbers (every judgement is a decision of
analysis/interpret.py in results.json) and no line is longer than 160 characters."""

from __future__ import annotations

import pytest

from analysis import paths
from analysis.template_env import template_environment

TEMPLATES = sorted(paths.TEMPLATES_DIR.glob("*.j2"))
MAX_LINE = 160
#: Jinja's comparison operators
ORDERING = {"<", ">", "<=", ">="}
EQUALITY = {"==", "!="}


def comparisons_of_numbers(source: str) -> list[str]:
    """Lines ("line N: a < b") where a template orders two values, or tests equality of
    anything but a string literal ("model == 'common'" is wording, "k == 1" is not)."""
    tokens = [(line, kind, value) for line, kind, value in template_environment().lex(source)]
    tokens = [t for t in tokens if t[1] != "whitespace"]
    found = []
    for i, (line, kind, value) in enumerate(tokens):
        if kind != "operator" or value not in ORDERING | EQUALITY:
            continue
        neighbours = {tokens[i - 1][1], tokens[i + 1][1]}
        if value in ORDERING or "string" not in neighbours:
            found.append(f"line {line}: {tokens[i - 1][2]} {value} {tokens[i + 1][2]}")
    return found


def test_the_scanner_finds_comparisons_of_numbers():
    assert comparisons_of_numbers("{% if p.pval < alpha %}x{% endif %}") == ["line 1: pval < alpha"]
    assert comparisons_of_numbers("{{ 'a' if k == 1 }}{{ (x > 0)|string }}") == [
        "line 1: k == 1",
        "line 1: x > 0",
    ]
    assert comparisons_of_numbers('{% if s.model == "common" %}{% endif %} p < 0.10') == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_compare_no_numbers(template):
    found = comparisons_of_numbers(template.read_text(encoding="utf-8"))
    assert not found, f"{template.name} compares numbers (make it a decision): {found}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_lines_are_at_most_160_characters(template):
    lines = template.read_text(encoding="utf-8").splitlines()
    long = [n for n, line in enumerate(lines, 1) if len(line) > MAX_LINE]
    assert not long, f"{template.name}: lines over {MAX_LINE} characters: {long}"
