"""Compiled templates kept between builds, so a build after a data change does not compile
every template again (about 0.1 s of the one-number build).

Jinja's :class:`~jinja2.FileSystemBytecodeCache` keys an entry by template name and file and
rejects it when the template's source changed. It does not see a change of the environment
(options, filters, a new Jinja), which changes the compiled code too: the entries therefore
live in a subfolder named after :func:`analysis.fingerprint.code_version`, and the subfolders
of other code versions are deleted. A cache entry that cannot be read or written is a miss,
never a failed build.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import jinja2

from analysis.fingerprint import code_version


class _ForgivingBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, where a damaged entry or a failed write only costs a compile."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # truncated or garbled file: Jinja checks only the header and code
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        # made here, not up front: a build that fails before its text step leaves no folder
        # a failed write costs the next build one compile, nothing more
        with contextlib.suppress(OSError):
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)


def bytecode_cache(folder: Path) -> jinja2.BytecodeCache:
    """The bytecode cache of this code version in ``folder`` (other versions' entries
    removed)."""
    folder = Path(folder)
    current = folder / code_version()[:16]
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry == current:
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    return _ForgivingBytecodeCache(str(current))
