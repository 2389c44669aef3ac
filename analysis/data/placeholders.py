"""The placeholders ``python -m analysis new`` writes, and the warnings for those left over.

Every placeholder of the skeleton (``analysis/skeleton/``) holds the word :data:`PLACEHOLDER`
(any case: "PLACEHOLDER TITLE", "Placeholder A 2020", ``placeholder_a2020``); its sections
are written from :func:`section_placeholder`. ``check`` and ``build`` warn about each one
left, naming the file and the key, row and column, or line.
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis.bibliography import read_items
from analysis.data.reading import Table, check_text_file, read_yaml
from analysis.errors import DataError
from analysis.sections import SECTIONS, SECTIONS_DIR, section_text

#: the word every placeholder value of the skeleton holds (matched in any case)
PLACEHOLDER = "placeholder"
#: how every placeholder section of the skeleton begins
SECTION_PLACEHOLDER = "*Placeholder: write the section here"
#: the YAML files of the skeleton whose values (and keys) may hold placeholders
YAML_FILES = ("review.yml", "prisma.yml", "grade.yml")

_MARKER = re.compile(re.escape(PLACEHOLDER), re.IGNORECASE)
_EXPECTED = "the review's own text (a placeholder of `python -m analysis new` is left)"


def section_placeholder(name: str) -> str:
    """The placeholder text of section ``name`` that ``new`` writes."""
    return (
        f"{SECTION_PLACEHOLDER} ({SECTIONS[name]}), in Markdown. Cite works by their keys in "
        "references.bib (see data/README.md).*\n"
    )


def warn_placeholders(data_dir: Path, tables: dict[str, Table | None], problems) -> None:
    """Warn about every placeholder left in the YAML files, the tables, references.bib and
    the sections (files that could not be read are skipped: their errors are recorded)."""
    for name in YAML_FILES:
        path = data_dir / name
        if path.is_file():
            try:
                content = read_yaml(path)
            except DataError:
                continue
            for key, value in _yaml_leaves(content, ""):
                problems.warn(name, None, key, value, _EXPECTED)
    for table in tables.values():
        for row in table.rows if table is not None else ():
            for column, value in row.cells.items():
                if _MARKER.search(value):
                    problems.warn(table.source, row.number, column, value, _EXPECTED)
    _warn_bibliography(data_dir / "references.bib", problems)
    for name in SECTIONS:
        try:
            text = section_text(data_dir, name)
        except DataError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip().startswith(SECTION_PLACEHOLDER):
                problems.warn(f"{SECTIONS_DIR}/{name}.md", number, None, line.strip(), _EXPECTED)


def _yaml_leaves(content, path: str):
    """(key path, text) of every key and text value holding the placeholder word."""
    if isinstance(content, dict):
        for key, value in content.items():
            inner = f"{path}.{key}" if path else str(key)
            if _MARKER.search(str(key)):
                yield inner, key
            yield from _yaml_leaves(value, inner)
    elif isinstance(content, list):
        for i, value in enumerate(content, start=1):
            yield from _yaml_leaves(value, f"{path}[{i}]")
    elif isinstance(content, str) and _MARKER.search(content):
        yield path, content


def _warn_bibliography(path: Path, problems) -> None:
    """One warning per references.bib entry holding the placeholder word, at its line."""
    try:
        text = check_text_file(path)
    except DataError:  # unreadable: its error is recorded where the bibliography is read
        return
    for item in read_items(text):
        if item.is_entry and _MARKER.search(item.text):
            problems.warn(path.name, item.line, None, item.key, _EXPECTED)
