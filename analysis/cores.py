"""How many worker processes to start: one per core this process may use."""

from __future__ import annotations

import os


def default_workers() -> int:
    """One worker process per core this process may use (its CPU affinity, on Linux)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
