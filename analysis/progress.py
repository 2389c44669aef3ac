"""Progress lines for the long steps (figures, the PDF), shown only on a terminal.

On a terminal a line such as ``figures 7/21: forest-pain`` or ``render: PDF … 3.2 s`` is
rewritten in place with a carriage return and erased when the step ends; when the output is
not a terminal (CI, a log file, a pipe) nothing is written, so logs hold only the step lines
the commands print themselves.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager

#: seconds between redraws of an elapsed-time line
TICK = 0.2


def _stream():
    return sys.stderr


def enabled(stream=None) -> bool:
    """True when ``stream`` (default: stderr) is a terminal."""
    stream = stream or _stream()
    return bool(getattr(stream, "isatty", lambda: False)())


class Counter:
    """``label n/total: item`` redrawn in place as items are done (``total`` may be None)."""

    def __init__(self, label: str, total: int | None = None, stream=None):
        self.label, self.total, self.count = label, total, 0
        self.stream = stream or _stream()
        self.active = enabled(self.stream)
        self._width = 0

    def advance(self, item: str = "") -> None:
        self.count += 1
        if not self.active:
            return
        of = f"/{self.total}" if self.total else ""
        self._draw(f"{self.label} {self.count}{of}" + (f": {item}" if item else ""))

    def _draw(self, text: str) -> None:
        pad = max(0, self._width - len(text))
        self.stream.write(f"\r{text}{' ' * pad}")
        self.stream.flush()
        self._width = len(text)

    def close(self) -> None:
        """Erase the progress line (the caller prints its own summary)."""
        if self.active and self._width:
            self.stream.write(f"\r{' ' * self._width}\r")
            self.stream.flush()
        self._width = 0


@contextmanager
def elapsed(label: str, stream=None):
    """While the block runs, show ``label … 2.4 s`` ticking on a terminal; erase it after."""
    line = Counter(label, stream=stream)
    if not line.active:
        yield
        return
    started = time.perf_counter()
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(TICK):
            line._draw(f"{label} … {time.perf_counter() - started:.1f} s")

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        line.close()


@contextmanager
def timed(text: str, log=print):
    """Run the block (with an elapsed-time line on a terminal), then log ``text: 1.2 s``."""
    started = time.perf_counter()
    with elapsed(text):
        yield
    log(f"{text}: {time.perf_counter() - started:.1f} s")
