"""Content fingerprints: SHA-256 digests of files, folders, JSON values and the code version.

The build, the render and the figure cache decide "has anything changed?" by comparing such
digests with the ones stored beside their outputs. A digest over several files hashes each as
its relative name, NUL, its bytes, NUL, in name order (the scheme of ``provenance.input_hash``),
so renaming a file changes it as much as editing one.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

#: folders and files that never count as inputs (editor backups, caches, VCS data)
_IGNORED_NAMES = ("__pycache__", ".git", ".DS_Store")
_IGNORED_SUFFIXES = (".pyc", "~", ".swp")
PACKAGE_DIR = Path(__file__).resolve().parent


def input_files(folder: Path, pattern: str = "*") -> list[Path]:
    """The files under ``folder`` matching ``pattern``, recursively, in name order; hidden
    files, caches and editor backups are left out."""
    folder = Path(folder)
    return sorted(
        p
        for p in folder.rglob(pattern)
        if p.is_file()
        and not any(
            part.startswith(".") or part in _IGNORED_NAMES for part in p.relative_to(folder).parts
        )
        and not p.name.endswith(_IGNORED_SUFFIXES)
    )


def digest_files(files, base: Path | None = None) -> str:
    """SHA-256 over ``files``: each as its name (relative to ``base``), NUL, bytes, NUL."""
    digest = hashlib.sha256()
    for path in files:
        path = Path(path)
        name = path.relative_to(base).as_posix() if base else path.name
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def digest_folder(folder: Path, pattern: str = "*") -> str:
    """SHA-256 over every input file under ``folder`` (see :func:`input_files`)."""
    return digest_files(input_files(folder, pattern), base=Path(folder))


def digest_json(value) -> str:
    """SHA-256 of a JSON value in canonical form (sorted keys, no whitespace); values JSON does
    not know (a YAML date in the front matter) count as their text."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """The version of the code that makes the outputs: a digest of every ``analysis/*.py``
    source and of the versions of the packages that draw and write (a new matplotlib may
    draw differently)."""
    from importlib import metadata

    versions = {}
    for name in ("matplotlib", "numpy", "scipy", "jinja2", "pyyaml"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return digest_json({"sources": digest_folder(PACKAGE_DIR, "*.py"), "packages": versions})
