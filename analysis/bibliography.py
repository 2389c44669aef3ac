"""The one BibTeX reader, for the data's ``references.bib`` and the methods references
(``report/references.bib``), and the merged bibliography the manuscript cites.

Grammar (BibTeX's, as far as citation keys go): an item starts with ``@type{`` or ``@type(``
at the start of a line, its key runs up to the first comma or space, and it ends where the next
item starts. ``@comment``, ``@string`` and ``@preamble`` items are not entries and have no key.
This module imports nothing of ours: the data loader and the build both read through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: where a BibTeX item starts: "@type{" or "@type(" at the start of a line, then the key
_ITEM_START = re.compile(r"^[ \t]*@\s*(\w+)\s*[{(]\s*([^,\s]*)", re.MULTILINE)
#: BibTeX items that are not entries and have no key
NOT_ENTRIES = ("comment", "string", "preamble")


@dataclass(frozen=True)
class BibItem:
    """One item of a .bib file: its type (lower case), key ("" for non-entries), line number
    (1-based) and its text up to the next item."""

    kind: str
    key: str
    line: int
    text: str

    @property
    def is_entry(self) -> bool:
        return self.kind not in NOT_ENTRIES


def read_items(text: str) -> list[BibItem]:
    """The items of a .bib file's text, in order (text before the first item is dropped)."""
    starts = list(_ITEM_START.finditer(text))
    ends = [m.start() for m in starts[1:]] + [len(text)] * bool(starts)
    return [
        BibItem(
            kind=m.group(1).lower(),
            key=m.group(2) if m.group(1).lower() not in NOT_ENTRIES else "",
            line=text.count("\n", 0, m.start()) + 1,
            text=text[m.start() : end],
        )
        for m, end in zip(starts, ends, strict=True)
    ]


#: field names reference managers write for a journal's abbreviated title (JabRef, BibDesk,
#: Zotero's BibTeX export) that pandoc's citeproc does not read; it reads biblatex's
#: ``shortjournal`` as CSL ``container-title-short``, which the Vancouver style prints
JOURNAL_ABBREVIATION_FIELDS = (
    "journal-abbrev",
    "journalabbrev",
    "journal_abbrev",
    "abbrev_journal",
)
_ABBREVIATION_FIELD = re.compile(
    r"^([ \t]*)(?:" + "|".join(map(re.escape, JOURNAL_ABBREVIATION_FIELDS)) + r")(\s*=)",
    re.MULTILINE | re.IGNORECASE,
)
_SHORTJOURNAL = re.compile(r"^[ \t]*shortjournal\s*=", re.MULTILINE | re.IGNORECASE)


def with_short_journal(item_text: str) -> str:
    """An entry's text with its journal abbreviation under the name citeproc reads
    (``journal-abbrev = {N Engl J Med}`` → ``shortjournal = {N Engl J Med}``), unless it has a
    ``shortjournal`` already."""
    if _SHORTJOURNAL.search(item_text):
        return item_text
    return _ABBREVIATION_FIELD.sub(r"\1shortjournal\2", item_text, count=1)


def merged_bibliography(data_bib: Path, methods_bib: Path) -> str:
    """The included trials' references (the data's file, as written) and then the methods
    references; a methods entry whose key the data's file also holds is left out (the data's
    version wins); the methods file's non-entry items are kept. Journal abbreviations are
    renamed as :func:`with_short_journal` does, so the reference list prints them."""
    data_text = data_bib.read_text(encoding="utf-8-sig")
    data_items = read_items(data_text)
    seen = {item.key for item in data_items if item.is_entry}
    first = _ITEM_START.search(data_text)
    head = data_text[: first.start()] if first else data_text
    data_text = head + "".join(with_short_journal(item.text) for item in data_items)
    kept = [
        with_short_journal(item.text).rstrip() + "\n"
        for item in read_items(methods_bib.read_text(encoding="utf-8"))
        if not item.is_entry or item.key not in seen
    ]
    return data_text.rstrip() + "\n" + "\n" + "\n".join(kept)


_FIELD = re.compile(r"\s*([A-Za-z][\w.:+-]*)\s*=\s*", re.ASCII)


def syntax_errors(item: BibItem) -> list[tuple[int, str]]:
    """(line, what is wrong) for one entry that pandoc's BibTeX reader would refuse: no key, no
    comma after the key, a field that is not ``name = {value}``, ``"value"`` or a number/macro,
    braces that do not balance, a missing closing delimiter."""
    if not item.is_entry:
        return []
    text = item.text
    start = re.match(r"[ \t]*@\s*\w+\s*", text).end()  # "{" or "(" (see _ITEM_START)
    closer = "}" if text[start] == "{" else ")"
    if not item.key:
        return [(item.line, "a citation key after '@" + item.kind + "{'")]
    pos = text.index(item.key, start) + len(item.key)
    rest = text[pos:].lstrip()
    pos = len(text) - len(rest)
    if not rest.startswith(","):
        return [(_line_at(item, pos), f"a comma after the key '{item.key}'")]
    pos += 1
    while True:
        while pos < len(text) and (text[pos].isspace() or text[pos] == ","):
            pos += 1
        if pos >= len(text):
            return [(_line_at(item, pos), f"'{closer}' closing the entry '{item.key}'")]
        if text[pos] == closer:
            return []
        field = _FIELD.match(text, pos)
        if field is None:
            return [(_line_at(item, pos), "a field as name = {value}")]
        pos = field.end()
        pos = _value_end(text, pos, closer)
        if pos is None:
            return [
                (
                    _line_at(item, field.start()),
                    f"a complete value for the field "
                    f"'{field.group(1)}' (braces or quotes do not balance)",
                )
            ]


def _value_end(text: str, pos: int, closer: str) -> int | None:
    """Where a field value (parts joined by #) ends, or None when it never does."""
    while True:
        if pos >= len(text):
            return None
        if text[pos] == "{":
            depth = 0
            while pos < len(text):
                if text[pos] == "{":
                    depth += 1
                elif text[pos] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                pos += 1
            else:
                return None
            pos += 1
        elif text[pos] == '"':
            depth, pos = 0, pos + 1
            while pos < len(text) and not (text[pos] == '"' and depth == 0):
                depth += {"{": 1, "}": -1}.get(text[pos], 0)
                pos += 1
            if pos >= len(text):
                return None
            pos += 1
        else:
            word = re.match(r"[\w.:+-]+", text[pos:])
            if word is None:
                return None
            pos += word.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos < len(text) and text[pos] == "#":
            pos += 1
            while pos < len(text) and text[pos].isspace():
                pos += 1
            continue
        if pos < len(text) and text[pos] in ("," + closer):
            return pos
        return None


def _line_at(item: BibItem, pos: int) -> int:
    return item.line + item.text.count("\n", 0, pos)
