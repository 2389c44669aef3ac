"""Output folders shared by processes: one build or render at a time, and no temporaries left
behind by a killed one.

``build`` writes into ``.<name>-XXXX`` beside its output folder and ``render`` into
``<out>/.render-XXXX``; a process killed with SIGKILL cannot remove them. :func:`exclusive`
takes an exclusive ``fcntl.flock`` on a lock file beside the output (released by the kernel
when the process dies, so a killed run never blocks the next one) and, holding it, removes the
temporaries a dead run left: while the lock is held no other run can be writing them.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import shutil
from pathlib import Path

from analysis.errors import AnalysisError


@contextlib.contextmanager
def exclusive(lock_file: Path, stale: list[str], what: str):
    """Hold the lock ``lock_file`` for the block (AnalysisError "another … is running" when
    another process holds it), after removing the entries of ``lock_file.parent`` matching
    the glob patterns ``stale``."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AnalysisError(
                f"another {what} is running on {lock_file.parent} (lock {lock_file.name}); "
                "wait for it to finish and run the command again"
            ) from None
        for pattern in stale:
            for leftover in lock_file.parent.glob(pattern):
                if leftover.is_dir() and not leftover.is_symlink():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Swap the paths ``a`` and ``b`` in one step (Linux ``renameat2(RENAME_EXCHANGE)``): no
    moment exists where either name is missing. False where the system cannot (another OS,
    an old kernel or C library, a file system without it); the caller then renames twice."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0
