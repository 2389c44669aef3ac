"""The change report: what a build changed in the manuscript, for coauthors reviewing a data
update.

It compares the new ``results.json`` and generated Markdown parts with the previous build's:

* **studies** added or removed (by ``study_id``);
* **estimates**: each outcome's pooled estimate and CI that moved, on the natural scale
  ("Pain: SMD −0.78 (−1.25 to −0.31) → −0.77 (−1.24 to −0.30)");
* **conclusions** whose wording changed: statistical significance and the direction it favours
  (the decision the text reads, results.json ``outcomes[i].decisions.effect``) and the GRADE
  certainty;
* **numbers**: every sentence (or table row) of the generated text whose numbers moved, with
  each old → new value; a sentence is matched to its previous version by its words with the
  numbers taken out, so it is found however many of its numbers changed;
* **wording**: sentences whose words changed, and sentences added or removed.

The report is written as ``changes.json`` and ``changes.md`` beside ``results.json``; on request
the HTML shows it in a "Changes since the version of DATE" box (``changes-box.md``, empty
otherwise, so a submission build leaves it out).
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from analysis import text

REPORT_JSON = "changes.json"
REPORT_MD = "changes.md"
BOX_PART = "changes-box.md"

#: a number as the text writes it, with a comparison sign before a p-value ("< 0.001"); not
#: digits inside a word (C3, HbA1c, a citation key)
_NUMBER = re.compile(r"(?<![\w@.])(?:[<>=≤≥]\s?)?[−-]?\d+(?:[.,]\d+)*%?(?!\w)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"“])")


# --- comparing ---------------------------------------------------------------------------------


def compare(
    old: dict | None, new: dict, old_parts: dict[str, str], new_parts: dict[str, str]
) -> dict:
    """The change report (a JSON-ready dict) between two builds; ``old`` is None for the first
    build."""
    if old is None:
        return {"first_build": True, "unchanged": False}
    report = {
        "first_build": False,
        **_studies(old, new),
        "estimates": _estimates(old, new),
        "conclusions": _conclusions(old, new),
        **_sentences(old_parts, new_parts),
    }
    report["unchanged"] = (
        not any(
            report[key]
            for key in ("studies_added", "studies_removed", "estimates", "conclusions", "numbers")
        )
        and not report["wording"]
    )
    return report


def _studies(old: dict, new: dict) -> dict:
    before = {s["study_id"]: s["label"] for s in old.get("studies", [])}
    after = {s["study_id"]: s["label"] for s in new.get("studies", [])}
    return {
        "studies_added": [{"study_id": k, "label": v} for k, v in after.items() if k not in before],
        "studies_removed": [
            {"study_id": k, "label": v} for k, v in before.items() if k not in after
        ],
    }


def _outcomes(results: dict) -> dict:
    return {o["id"]: o for o in results.get("outcomes", []) if o.get("pooled")}


def _estimates(old: dict, new: dict) -> list[dict]:
    """Pooled estimates (natural scale, as the tables print them) that moved."""
    before, after = _outcomes(old), _outcomes(new)
    out = []
    for oid in dict.fromkeys([*before, *after]):
        was = str(text.pooled_ci(before[oid]["pooled"])) if oid in before else None
        now = str(text.pooled_ci(after[oid]["pooled"])) if oid in after else None
        if was == now:
            continue
        outcome = after.get(oid) or before[oid]
        measure = outcome["measure"]
        out.append(
            {
                "outcome": oid,
                "label": outcome["label"],
                "measure": measure,
                "old": was,
                "new": now,
                "line": _estimate_line(outcome["label"], measure, was, now),
            }
        )
    return out


def _estimate_line(label: str, measure: str, old: str | None, new: str | None) -> str:
    """ "Pain: SMD −0.78 (−1.25 to −0.31) → −0.77 (−1.24 to −0.30)"."""
    return f"{label}: {measure} {old or 'not pooled'} → {new or 'not pooled'}"


def _conclusion(outcome: dict | None, grade: dict) -> dict:
    if outcome is None:
        return {"significance": "not pooled", "favours": "not pooled", "certainty": None}
    effect = outcome["decisions"]["effect"]
    return {
        "significance": "statistically significant"
        if effect["significant"]
        else "not statistically significant",
        "favours": effect["favours"] or "neither",
        "certainty": grade.get(outcome["id"]),
    }


def _conclusions(old: dict, new: dict) -> list[dict]:
    """Significance, the arm favoured, and GRADE certainty per outcome, where they changed."""
    before, after = _outcomes(old), _outcomes(new)
    grade_before = {g["outcome"]: g["certainty"] for g in old.get("grade") or []}
    grade_after = {g["outcome"]: g["certainty"] for g in new.get("grade") or []}
    out = []
    for oid in dict.fromkeys([*before, *after]):
        was = _conclusion(before.get(oid), grade_before)
        now = _conclusion(after.get(oid), grade_after)
        label = (after.get(oid) or before[oid])["label"]
        for aspect in ("significance", "favours", "certainty"):
            if was[aspect] != now[aspect]:
                out.append(
                    {
                        "outcome": oid,
                        "label": label,
                        "aspect": aspect,
                        "old": was[aspect],
                        "new": now[aspect],
                    }
                )
    return out


#: pandoc attributes that end an image line or a table caption ("{#tbl-x}", `" width="100%"}`)
_ATTRIBUTES = re.compile(r'"?\s*\b(?:width|height)="[^"]*"\s*\}|\s*\{#[^{}]*\}')


def sentences(markdown: str) -> list[str]:
    """The units a reader compares: each table row, and each sentence of the running text
    (without the pandoc attributes of figures and tables)."""
    markdown = _ATTRIBUTES.sub("", markdown)
    units: list[str] = []
    for block in re.split(r"\n\s*\n", markdown):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        rows = [line for line in lines if line.startswith("|")]
        units += [r for r in rows if not set(r) <= set("|-: ")]
        paragraph = " ".join(line for line in lines if not line.startswith("|"))
        units += [s for s in _SENTENCE_END.split(paragraph) if s]
    return units


def _value(token: str) -> str:
    """A number as the report shows it: "= 0.43" as "0.43", "< 0.001" kept."""
    return token[1:].lstrip() if token.startswith("=") else token


def _skeleton(sentence: str) -> str:
    return _NUMBER.sub("#", sentence)


def _sentences(old_parts: dict[str, str], new_parts: dict[str, str]) -> dict:
    """Sentences whose numbers moved, and sentences whose words changed, part by part."""
    numbers, wording = [], []
    for part in dict.fromkeys([*old_parts, *new_parts]):
        old_units = sentences(old_parts.get(part, ""))
        new_units = sentences(new_parts.get(part, ""))
        matcher = difflib.SequenceMatcher(
            None,
            [_skeleton(u) for u in old_units],
            [_skeleton(u) for u in new_units],
            autojunk=False,
        )
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                for was, now in zip(old_units[i1:i2], new_units[j1:j2], strict=True):
                    if was != now:
                        moved = [
                            {"old": _value(a), "new": _value(b)}
                            for a, b in zip(_NUMBER.findall(was), _NUMBER.findall(now), strict=True)
                            if a != b
                        ]
                        numbers.append({"part": part, "sentence": now, "moved": moved})
                continue
            gone, added = old_units[i1:i2], new_units[j1:j2]
            for index in range(max(len(gone), len(added))):
                wording.append(
                    {
                        "part": part,
                        "old": gone[index] if index < len(gone) else None,
                        "new": added[index] if index < len(added) else None,
                    }
                )
    return {"numbers": numbers, "wording": wording}


# --- writing -----------------------------------------------------------------------------------


def to_markdown(report: dict, since: str | None) -> str:
    """The report as Markdown (``changes.md``)."""
    title = f"# Changes since the version of {since}\n" if since else "# Changes\n"
    return title + "\n" + body_markdown(report, full=True)


def body_markdown(report: dict, full: bool) -> str:
    """The report's sections; ``full=False`` (the HTML box) leaves out table rows and wording
    changes of single sentences beyond the conclusions."""
    if report["first_build"]:
        return "First build: there is no previous version to compare with.\n"
    if report["unchanged"]:
        return "Nothing in the manuscript changed.\n"
    lines: list[str] = []

    def section(heading: str, items: list[str]) -> None:
        if items:
            lines.extend(["", f"**{heading}**", "", *(f"- {item}" for item in items)])

    # labels and ids are the data's text (escaped); the quoted sentences are the manuscript's
    # own Markdown, already escaped where the data entered it
    md = text.escape_md
    for key, heading in (
        ("studies_added", "Studies added"),
        ("studies_removed", "Studies removed"),
    ):
        section(heading, [f"{md(s['label'])} ({md(s['study_id'])})" for s in report[key]])
    section(
        "Pooled estimates",
        [
            _estimate_line(md(e["label"]), e["measure"], e["old"], e["new"])
            for e in report["estimates"]
        ],
    )
    section(
        "Conclusions",
        [
            f"{md(c['label'])}: {c['aspect']} {c['old'] or 'not rated'} → {c['new'] or 'not rated'}"
            for c in report["conclusions"]
        ],
    )
    numbers = [n for n in report["numbers"] if full or not n["sentence"].startswith("|")]
    section("Numbers that moved", [f"{_moves(n['moved'])}: “{n['sentence']}”" for n in numbers])
    if full:
        section(
            "Wording that changed",
            [
                f"{w['part']}: “{w['old'] or '(new)'}” → “{w['new'] or '(removed)'}”"
                for w in report["wording"]
            ],
        )
    return "\n".join(lines).lstrip("\n") + "\n"


def _moves(moved: list[dict]) -> str:
    return "; ".join(f"{m['old']} → {m['new']}" for m in moved)


def box_markdown(report: dict, since: str | None) -> str:
    """The "Changes since the version of DATE" callout the HTML shows on request."""
    title = f"Changes since the version of {since}" if since else "Changes"
    return f'::: {{.callout-important title="{title}"}}\n{body_markdown(report, full=False)}:::\n'


def summary_lines(report: dict) -> list[str]:
    """The report as the build prints it at the end."""
    return ["changes:", *("  " + line for line in body_markdown(report, full=True).splitlines())]


def previous_version_date(results_file: Path) -> str | None:
    """The date the previous results.json was written ("1 December 2026"), or None."""
    if not results_file.is_file():
        return None
    written = datetime.fromtimestamp(results_file.stat().st_mtime, UTC)
    return text.fmt_date(written.date().isoformat())


def write_report(
    out_dir: Path, new_out: Path, results: dict, parts: dict[str, str], show_box: bool
) -> dict:
    """Compare the build in ``new_out`` with the previous one in ``out_dir``; write
    ``changes.json``, ``changes.md`` and ``changes-box.md`` (empty unless ``show_box``) into
    ``new_out``. Returns the report."""
    previous_file = Path(out_dir) / "results.json"
    old = json.loads(previous_file.read_text(encoding="utf-8")) if previous_file.is_file() else None
    old_parts = {
        name: (Path(out_dir) / name).read_text(encoding="utf-8")
        for name in parts
        if (Path(out_dir) / name).is_file()
    }
    report = compare(old, results, old_parts, parts)
    since = previous_version_date(previous_file)
    report["since"] = since
    (new_out / REPORT_JSON).write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (new_out / REPORT_MD).write_text(to_markdown(report, since), encoding="utf-8")
    (new_out / BOX_PART).write_text(box_markdown(report, since) if show_box else "", "utf-8")
    return report
