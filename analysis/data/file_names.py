"""Files in the data folder that the builder would ignore: a section it does not know, or a
near miss of an expected name (``grade.yaml``, ``PRISMA.yml``), each a warning with the name
meant ("did you mean")."""

from __future__ import annotations

import difflib
from pathlib import Path

from analysis.data.validation import Problems
from analysis.sections import SECTIONS, SECTIONS_DIR


def warn_unknown_files(data_dir: Path, expected: tuple[str, ...], problems: Problems) -> None:
    """Warn about a near miss of an ``expected`` name in ``data_dir`` (other files, such as
    notes or a workbook, are the review team's own), and about every file in ``sections/``
    that is not one of :data:`~analysis.sections.SECTIONS`."""
    for path in sorted(data_dir.iterdir()):
        meant = _closest(path.name, expected)
        if path.name not in expected and meant:
            problems.warn(
                path.name, None, None, None, f"{meant} (did you mean {meant}?)", "ignored"
            )
    folder = data_dir / SECTIONS_DIR
    if not folder.is_dir():
        return
    known = tuple(f"{name}.md" for name in SECTIONS)
    for path in sorted(folder.iterdir()):
        if path.name in known or path.name.startswith("."):
            continue
        meant = _closest(path.name, known)
        hint = f"did you mean {meant}?" if meant else "one of " + ", ".join(known)
        problems.warn(
            f"{SECTIONS_DIR}/{path.name}",
            None,
            None,
            None,
            f"a section the manuscript includes ({hint})",
            "ignored",
        )


def _closest(name: str, names: tuple[str, ...]) -> str | None:
    """The name among ``names`` that ``name`` is a near miss of (case ignored), if any."""
    lower = {n.lower(): n for n in names}
    found = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.8)
    return lower[found[0]] if found else None
