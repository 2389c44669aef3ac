"""What the caches (figures, templates' state, painted PDF figures) share: a folder that ignores
itself in git, and a record of the entries each run used, so that a cache keeps this run's and
the previous run's entries (undoing a change costs nothing) and deletes the rest (it does not
grow with every data update)."""

from __future__ import annotations

import json
from pathlib import Path

#: the keys the last run used, in the cache folder
USED_FILE = "used.json"
GITIGNORE = ".gitignore"


def ignore_in_git(folder: Path, what: str) -> None:
    """Create ``folder`` with a ``.gitignore`` that ignores everything in it, naming ``what``
    the folder holds."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / GITIGNORE
    if not ignore.exists():
        ignore.write_text(f"# {what} (safe to delete)\n*\n", encoding="utf-8")


def keys_to_keep(folder: Path, keys) -> set[str]:
    """Record ``keys`` as this run's in ``folder`` and return them with the previous run's."""
    record = Path(folder) / USED_FILE
    previous = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else []
    keys = set(keys)
    if keys != set(previous):
        record.write_text(json.dumps(sorted(keys)), encoding="utf-8")
    return keys | set(previous)
