"""Worker processes: how many to start (one per core this process may use) and how they take
signals."""

from __future__ import annotations

import os
import signal


def default_workers() -> int:
    """One worker process per core this process may use (its CPU affinity, on Linux)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_initializer() -> None:
    """Initializer of every worker pool. Ctrl-C on a terminal reaches the whole process group:
    the workers ignore it and the parent stops them, so one interruption ends the command at
    once with one message instead of a traceback per worker. SIGTERM, which the parent turns
    into an exception (``analysis.__main__``), ends a worker at once: inherited, that handler
    would make the pool report the exception and go on."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
