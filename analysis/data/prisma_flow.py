"""The PRISMA 2020 flow's arithmetic: every rule prisma.yml must satisfy, in one place.

All rules are checked in one pass and each broken rule is reported with the change of counts
that would make the whole flow add up ("lower `eligibility.excluded` by 1 in total (37 → 36),
or raise ..."), so a reviewer fixes the file in one round instead of one message per run.

A rule is ``KEY relation sum(terms)``: ``screening.screened = identification.databases +
identification.registers − identification.removed_before_screening`` and so on down the
flow (Page et al. 2021, figure 1). A suggestion is the smallest set of counts (one, two or
three) whose change satisfies the broken rule without breaking a rule that held before; the
counts of a mapping (databases, exclusion reasons) are changed as their total.

References
----------
Page MJ, McKenzie JE, Bossuyt PM, et al. (2021). The PRISMA 2020 statement: an updated
guideline for reporting systematic reviews. BMJ 372:n71, figure 1.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the number of studies listed in studies.csv: a term of one rule, never a suggested change
STUDIES_CSV = "studies.csv"
#: at most this many counts are changed together in one suggestion
MAX_CHANGES = 3
#: at most this many alternative suggestions per message
MAX_SUGGESTIONS = 3
#: keys whose value in prisma.yml is a mapping of counts (changed as their total)
MAPPINGS = (
    "identification.databases",
    "identification.registers",
    "identification.removed_before_screening",
    "eligibility.excluded",
    "other_methods.identified",
    "other_methods.excluded",
)


@dataclass(frozen=True)
class Rule:
    """``key relation Σ sign·term`` (relation "=", ">=" or "<="), and what the sum means."""

    key: str
    relation: str
    terms: tuple[tuple[int, str], ...]
    meaning: str

    def gap(self, counts: dict) -> int:
        """How far ``key`` is from what the rule needs (0 when the rule holds)."""
        value = counts[self.key]
        target = sum(sign * counts[term] for sign, term in self.terms)
        if self.relation == "=" or (self.relation == ">=") == (value < target):
            return value - target
        return 0

    def expected(self, counts: dict) -> str:
        target = sum(sign * counts[term] for sign, term in self.terms)
        prefix = {"=": "", ">=": "at least ", "<=": "at most "}[self.relation]
        return f"{prefix}{target} ({self.meaning})"


def rules(has_other_methods: bool) -> list[Rule]:
    """Every rule of the flow, in the order of the PRISMA 2020 diagram."""
    other = has_other_methods
    found = [
        Rule(
            "screening.screened",
            "=",
            (
                (1, "identification.databases"),
                (1, "identification.registers"),
                (-1, "identification.removed_before_screening"),
            ),
            "records identified minus records removed before screening",
        ),
        Rule(
            "retrieval.sought",
            "=",
            ((1, "screening.screened"), (-1, "screening.excluded")),
            "records screened minus records excluded",
        ),
        Rule(
            "eligibility.assessed",
            "=",
            ((1, "retrieval.sought"), (-1, "retrieval.not_retrieved")),
            "reports sought minus reports not retrieved",
        ),
    ]
    if other:
        found += [
            Rule(
                "other_methods.sought",
                "<=",
                ((1, "other_methods.identified"),),
                "the records identified by other methods",
            ),
            Rule(
                "other_methods.assessed",
                "=",
                ((1, "other_methods.sought"), (-1, "other_methods.not_retrieved")),
                "other methods: reports sought minus reports not retrieved",
            ),
        ]
    found += [
        Rule(
            "included.reports",
            "=",
            ((1, "eligibility.assessed"), (-1, "eligibility.excluded"))
            + (((1, "other_methods.assessed"), (-1, "other_methods.excluded")) if other else ()),
            "reports assessed minus reports excluded"
            + (" (plus those included from other methods)" if other else ""),
        ),
        Rule(
            "included.studies",
            "=",
            ((1, STUDIES_CSV),),
            "the number of studies in studies.csv",
        ),
        Rule(
            "included.reports",
            ">=",
            ((1, "included.studies"),),
            "one report or more per included study",
        ),
    ]
    return found


def flat_counts(prisma: dict, n_studies: int | None) -> dict:
    """``section.key`` -> count (a mapping of counts as its total), plus studies.csv's count."""
    counts = {}
    for section, values in prisma.items():
        for key, value in (values or {}).items():
            name = f"{section}.{key}"
            counts[name] = sum(value.values()) if name in MAPPINGS else value
    counts[STUDIES_CSV] = n_studies
    return counts


def _candidates(rule: Rule, counts: dict) -> list[tuple[str, int]]:
    """Single counts whose change makes ``rule`` hold, with their new value."""
    gap = rule.gap(counts)
    out = [(rule.key, counts[rule.key] - gap)]
    out += [(term, counts[term] + sign * gap) for sign, term in rule.terms]
    return [(key, value) for key, value in out if key != STUDIES_CSV and value >= 0]


def repairs(rule: Rule, all_rules: list[Rule], counts: dict) -> list[dict]:
    """Sets of changed counts (key -> new value) that satisfy ``rule`` and leave every rule
    that holds now still holding: breadth-first up to :data:`MAX_CHANGES` counts, the smallest
    sets and those one count larger, best first (fewest changes, then fewest rules left
    broken, so a change that also mends another broken rule comes first)."""
    holding = [r for r in all_rules if r.gap(counts) == 0]
    frontier: list[dict] = [{}]
    found: list[dict] = []
    depth = MAX_CHANGES
    for size in range(1, MAX_CHANGES + 1):
        if size > depth:
            break
        following: list[dict] = []
        for changes in frontier:
            state = {**counts, **changes}
            broken = rule if rule.gap(state) else next(r for r in holding if r.gap(state))
            for key, value in _candidates(broken, state):
                if key in changes:
                    continue
                step = {**changes, key: value}
                after = {**counts, **step}
                if rule.gap(after) == 0 and all(r.gap(after) == 0 for r in holding):
                    if step not in found:
                        found.append(step)
                else:
                    following.append(step)
        if found and depth == MAX_CHANGES:
            depth = size + 1
        frontier = following

    def still_broken(changes: dict) -> int:
        after = {**counts, **changes}
        return sum(1 for r in all_rules if r.gap(after))

    return sorted(found, key=lambda changes: (len(changes), still_broken(changes)))


def describe(changes: dict, counts: dict) -> str:
    """ "raise `a` by 1 (9 → 10) and lower the `b` counts by 1 in total (37 → 36)"."""
    parts = []
    for key, value in changes.items():
        old = counts[key]
        verb = "raise" if value > old else "lower"
        what = f"the `{key}` counts" if key in MAPPINGS else f"`{key}`"
        total = " in total" if key in MAPPINGS else ""
        parts.append(f"{verb} {what} by {abs(value - old)}{total} ({old} → {value})")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def flow_problems(prisma: dict, n_studies: int | None) -> list[tuple[str, int, str]]:
    """Every broken rule as (key, its value, what was expected with a suggestion)."""
    all_rules = rules(bool(prisma.get("other_methods")))
    if n_studies is None:
        all_rules = [r for r in all_rules if r.terms != ((1, STUDIES_CSV),)]
    counts = flat_counts(prisma, n_studies)
    out = []
    for rule in all_rules:
        if rule.gap(counts) == 0:
            continue
        fixes = repairs(rule, all_rules, counts)[:MAX_SUGGESTIONS]
        if fixes:
            advice = "; to make the flow add up, " + ", or ".join(
                describe(f, counts) for f in fixes
            )
        else:
            advice = f"; no change of up to {MAX_CHANGES} counts makes the flow add up"
        out.append((rule.key, counts[rule.key], rule.expected(counts) + advice))
    return out


def prisma_arithmetic(prisma: dict, n_studies: int | None, problems, file: str) -> None:
    """Record every broken rule of the flow in ``problems`` (one problem per rule)."""
    for key, value, expected in flow_problems(prisma, n_studies):
        problems.error(file, None, key, value, expected)
