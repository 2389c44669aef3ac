"""Figures are drawn in parallel worker processes, and Ctrl-C stops them all at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from analysis.figures.cache import run_parallel

ROOT = Path(__file__).resolve().parent.parent


def nap(seconds: float, folder: str) -> int:
    """A stand-in drawing: records its process and start/end times, sleeps, returns its pid."""
    start = time.time()
    record = Path(folder) / f"{os.getpid()}-{start}.json"
    record.write_text(json.dumps({"pid": os.getpid(), "start": start}), encoding="utf-8")
    time.sleep(seconds)
    record.write_text(
        json.dumps({"pid": os.getpid(), "start": start, "end": time.time()}), encoding="utf-8"
    )
    return os.getpid()


def test_calls_run_in_several_worker_processes_at_once(tmp_path):
    pids = run_parallel(nap, [(0.5, str(tmp_path))] * 4, workers=2)
    assert len(set(pids)) == 2 and os.getpid() not in pids
    spans = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    assert any(
        a["pid"] != b["pid"] and a["start"] < b["end"] and b["start"] < a["end"]
        for a in spans
        for b in spans
    ), spans


def sleeping_workers(folder: Path, prelude: str = "") -> tuple[subprocess.Popen, set[int]]:
    """A child process (its own session) running four 60 s calls in two workers, once both
    workers are in a call; ``prelude`` is Python run first. Returns the child and the workers'
    pids."""
    script = (
        f"{prelude}"
        "from tests.test_parallel_figures import nap\n"
        "from analysis.figures.cache import run_parallel\n"
        f"run_parallel(nap, [(60, {str(folder)!r})] * 4, workers=2)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while len(list(folder.glob("*.json"))) < 2 and time.time() < deadline:
        time.sleep(0.1)
    workers = {json.loads(p.read_text())["pid"] for p in folder.glob("*.json")}
    assert len(workers) == 2, "both workers started"
    return child, workers


def test_ctrl_c_stops_every_worker_at_once(tmp_path):
    """SIGINT to the process group, as a terminal's Ctrl-C sends it: the parent raises
    KeyboardInterrupt once (no traceback from the workers) and no worker outlives it."""
    child, workers = sleeping_workers(tmp_path)
    os.killpg(child.pid, signal.SIGINT)
    _, err = child.communicate(timeout=30)  # far less than the 60 s the calls would sleep
    assert child.returncode != 0
    assert err.count("KeyboardInterrupt") == 1, err
    for pid in workers:
        assert not _alive(pid), f"worker {pid} survived Ctrl-C"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_cli_reports_an_interruption_in_one_line(monkeypatch, capsys):
    from analysis import __main__ as cli
    from analysis import build

    def interrupted(_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "run", interrupted)
    assert cli.main(["build"]) == 130
    assert capsys.readouterr().err == "python -m analysis build: interrupted\n"


def test_the_cli_reports_a_termination_in_one_line(monkeypatch, capsys):
    from analysis import __main__ as cli
    from analysis import build

    def terminated(_args):
        raise cli.Terminated

    monkeypatch.setattr(build, "run", terminated)
    assert cli.main(["build"]) == 143
    assert capsys.readouterr().err == "python -m analysis build: terminated\n"


def test_sigterm_to_the_parent_alone_stops_every_worker(tmp_path):
    """``kill PID`` or ``timeout`` signal the parent only: with the CLI's SIGTERM handling the
    parent stops its workers on the way out instead of leaving them drawing."""
    prelude = "from analysis.__main__ import stop_on_sigterm\nstop_on_sigterm()\n"
    child, workers = sleeping_workers(tmp_path, prelude)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=30)  # far less than the 60 s the calls would sleep
    assert child.returncode != 0 and "Terminated" in err
    for pid in workers:
        assert not _alive(pid), f"worker {pid} survived SIGTERM"
