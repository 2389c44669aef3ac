"""The rules of the hand-written sections (``sections/*.md``), for `check` and `build` alike.

Each section is read as the build reads it (:func:`analysis.sections.section_text`: size,
UTF-8, NUL bytes). Then every line is checked for what would fail the render or break the
manuscript silently, naming the file and the line: a citation key no bibliography defines, a
cross-reference to a table or figure the manuscript cannot have, template syntax, a footnote
label another section also defines (the sections are merged into one document), a ``#`` or
``##`` heading, and content from outside the data folder (includes, images, ``src``) or
``<script>``.
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis.data.validation import Problems, citation_problem
from analysis.errors import DataError
from analysis.sections import SECTIONS, SECTIONS_DIR, section_text

#: the tables the manuscript defines (``{#tbl-…}`` in templates/_tables.md.j2)
TABLE_IDS = ("adverse", "characteristics", "prisma", "rob", "sof")
#: how the ids of the figures the build can make begin (analysis/figures/__init__.py)
FIGURE_STEMS = ("forest-", "funnel-", "rob-", "prisma-flow", "bubble-")
#: Quarto's cross-reference kinds other than fig and tbl, and the manuscript's ``suppfig``:
#: ``@kind-id`` is then a cross-reference, not a citation (their ids are not checked)
OTHER_CROSSREF_KINDS = ("sec", "eq", "lst", "thm", "lem", "cor", "prp", "def", "exm", "suppfig")

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+).*?\1")
#: a pandoc citation or cross-reference: @ after a space, a bracket, ; or - (not an email)
_CITATION = re.compile(r"(?:^|(?<=[\s\[;(-]))@([A-Za-z0-9_](?:\w|[:.#$%&+?<>~/-](?=\w))*)")
_DEFINED_ID = re.compile(r"\{#((?:fig|tbl)-[\w-]+)")
_TEMPLATE = re.compile(r"\{\{(?!<)|\{%|\{#(?![\w-]+)")
_FOOTNOTE = re.compile(r"^\[\^([^\]\s]+)\]:")
_HEADING = re.compile(r"^(#{1,2})\s")
_INCLUDE = re.compile(r"\{\{<\s*(?:include|embed)\s+(\S+?)\s*>\}\}")
_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")
_SRC = re.compile(r"""\b(?:src|data)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_SCRIPT = re.compile(r"<\s*script\b", re.IGNORECASE)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def check_sections(data_dir: Path, cite_keys, problems: Problems) -> None:
    """Record the problems of every section: ``cite_keys`` are the keys the manuscript can
    cite (references.bib and the methods bibliography; None when they could not be read)."""
    texts = {}
    for name in SECTIONS:
        try:
            texts[name] = section_text(data_dir, name)
        except DataError as error:
            problems.extend(error)
    written = {name: text for name, text in texts.items() if text.strip()}
    lines = {f"{SECTIONS_DIR}/{name}.md": _prose_lines(text) for name, text in written.items()}
    defined = {m for found in lines.values() for _, ln in found for m in _DEFINED_ID.findall(ln)}
    notes: dict[str, str] = {}
    for name, text in texts.items():
        if not text.strip():
            problems.warn(
                f"{SECTIONS_DIR}/{name}.md",
                None,
                None,
                None,
                "the section's text (the manuscript shows a placeholder there)",
                "missing or empty",
            )
    for source, found in lines.items():
        for number, line in found:
            _check_line(source, number, line, cite_keys, defined, problems)
            _check_outside(Path(data_dir), source, number, line, problems)
            note = _FOOTNOTE.match(line)
            if note and note.group(1) in notes:
                problems.error(
                    source,
                    number,
                    None,
                    f"[^{note.group(1)}]",
                    f"a footnote label not also defined in {notes[note.group(1)]} (the "
                    "sections are merged into one document)",
                )
            elif note:
                notes[note.group(1)] = source


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line without code spans) of the lines outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, _CODE_SPAN.sub("", line)))
    return lines


def _check_line(source, number, line, cite_keys, defined, problems: Problems) -> None:
    for key in _CITATION.findall(line):
        kind, _, rest = key.partition("-")
        if kind == "tbl" and rest not in TABLE_IDS and key not in defined:
            expected = "a table of the manuscript: " + ", ".join(f"@tbl-{t}" for t in TABLE_IDS)
            problems.error(source, number, None, f"@{key}", expected)
        elif kind == "fig" and not rest.startswith(FIGURE_STEMS) and key not in defined:
            problems.error(
                source,
                number,
                None,
                f"@{key}",
                "a figure of the manuscript: @fig-forest-OUTCOME, @fig-prisma-flow, "
                "@fig-rob-traffic-light, …",
            )
        elif rest and kind in (*OTHER_CROSSREF_KINDS, "fig", "tbl"):
            continue
        elif cite_keys is not None and (expected := citation_problem(key, cite_keys)):
            problems.error(source, number, None, f"@{key}", expected + " or report/references.bib")
    template = _TEMPLATE.search(line)
    if template:
        problems.error(
            source,
            number,
            None,
            template.group(0),
            "Markdown text without template syntax ({{ {% {#): the sections are not templates",
        )
    heading = _HEADING.match(line)
    if heading:
        problems.warn(
            source,
            number,
            None,
            heading.group(1),
            "no # or ## heading (the manuscript gives the section its heading; "
            "sub-headings start at ###)",
        )


def _check_outside(data_dir: Path, source, number, line, problems: Problems) -> None:
    """Warn about a ``<script>`` and about files from outside the data folder, which a
    self-contained HTML would embed."""
    if _SCRIPT.search(line):
        problems.warn(source, number, None, "<script>", "no scripts in a section")
    targets = _INCLUDE.findall(line) + _IMAGE.findall(line) + _SRC.findall(line)
    for target in targets:
        if _URL.match(target) or target.startswith("#"):
            continue
        resolved = (data_dir / target).resolve()
        if not resolved.is_relative_to(data_dir.resolve()):
            problems.warn(
                source,
                number,
                None,
                target,
                "a file inside the data folder (the self-contained HTML would embed it)",
            )
