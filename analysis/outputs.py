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
import fcntl
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
