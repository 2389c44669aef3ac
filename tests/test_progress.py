"""Progress lines: drawn in place on a terminal, silent otherwise."""

from __future__ import annotations

import io
import time

from analysis import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_counter_redraws_in_place_on_a_terminal_and_erases_itself():
    stream = Terminal()
    counter = progress.Counter("figures", total=2, stream=stream)
    counter.advance("forest-a")
    counter.advance("funnel-a")
    counter.close()
    text = stream.getvalue()
    assert "\rfigures 1/2: forest-a" in text and "\rfigures 2/2: funnel-a" in text
    assert "\n" not in text and text.endswith("\r")


def test_nothing_is_written_when_not_a_terminal():
    stream = io.StringIO()
    counter = progress.Counter("figures", stream=stream)
    counter.advance("forest-a")
    counter.close()
    with progress.elapsed("render: PDF", stream=stream):
        time.sleep(2 * progress.TICK)
    assert stream.getvalue() == ""


def test_elapsed_ticks_on_a_terminal():
    stream = Terminal()
    with progress.elapsed("render: PDF", stream=stream):
        time.sleep(3 * progress.TICK)
    assert "\rrender: PDF … " in stream.getvalue()


def test_timed_logs_the_time_a_step_took():
    logged = []
    with progress.timed("render: HTML", logged.append):
        pass
    assert len(logged) == 1 and logged[0].startswith("render: HTML: ") and logged[0].endswith(" s")
