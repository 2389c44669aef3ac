"""Issue 13, item 8: builds and renders killed with SIGKILL leave the previous outputs intact and
no temporaries after the next run; two concurrent builds end with one coherent output and a
clear message for the other."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import incremental

from .conftest import copy_project

ROOT = Path(__file__).resolve().parents[1]


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the command and its children (pandoc), as killing a job does."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def leftovers(folder: Path, prefix: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(prefix))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    data, report = copy_project(root)
    out = report / "_generated"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "build",
            "--data",
            str(data),
            "--generated",
            str(out),
            "--formats",
            "html",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return data, report, out


def _snapshot(out: Path) -> dict:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def slow_build(data: Path, out: Path) -> tuple[str, ...]:
    """The arguments of a build that redraws every figure (its cache removed), so that it runs
    for seconds whatever the machine, and the killing or the second build lands mid-way."""
    shutil.rmtree(incremental.figure_cache_dir(out), ignore_errors=True)
    return ("build", "--data", str(data), "--generated", str(out), "--formats", "html", "--force")


def wait_for_line(process: subprocess.Popen, words: str) -> None:
    """Read the process's output until a line holds ``words`` (a progress step)."""
    for line in process.stdout:
        if words in line:
            return
    raise AssertionError(f"the build ended without printing {words!r}")


@pytest.mark.parametrize("step", ["[2/6] compute", "[4/6] figures"])
def test_killed_build_keeps_outputs_and_next_build_cleans_up(project, step):
    data, report, out = project
    before = _snapshot(out)
    build = slow_build(data, out)
    process = start(*build)
    wait_for_line(process, step)
    kill(process)
    killed = _snapshot(out)
    json.loads((out / "results.json").read_text(encoding="utf-8"))
    again = subprocess.run(
        [sys.executable, "-m", "analysis", *build],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert leftovers(report, "._generated-") == []
    # the outputs were the old ones or, killed after the swap, a whole new set: never a mix
    assert killed in (before, _snapshot(out))


def test_two_concurrent_builds(project):
    data, report, out = project
    build = slow_build(data, out)
    first = start(*build)
    wait_for_line(first, "[4/6] figures")  # it holds the lock and has seconds of drawing left
    second = start(*build)
    results = [(*p.communicate(timeout=300), p.returncode) for p in (first, second)]
    codes = sorted(code for _, _, code in results)
    assert codes == [0, 2], results
    loser = next(err for _, err, code in results if code == 2)
    assert "another build is running" in loser and "Traceback" not in loser
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["studies"]
    assert leftovers(report, "._generated-") == []


@pytest.mark.parametrize("delay", [2.5])
def test_killed_render_keeps_outputs_and_next_render_cleans_up(project, tmp_path, delay):
    """A render killed mid-way leaves the previous files; the next render cleans up and writes
    the same bytes: HTML, PDF and DOCX are reproducible."""
    _, report, _ = project
    out = tmp_path / "out"
    render = (
        "render",
        "--source",
        str(report / "index.qmd"),
        "--out",
        str(out),
        "--formats",
        "html,pdf,docx",
        "--force",
    )
    done = subprocess.run(
        [sys.executable, "-m", "analysis", *render],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    before = {p.name: p.read_bytes() for p in out.glob("manuscript.*")}
    process = start(*render)
    time.sleep(delay)
    kill(process)
    after = {p.name: p.read_bytes() for p in out.glob("manuscript.*")}
    assert set(after) == set(before)
    again = subprocess.run(
        [sys.executable, "-m", "analysis", *render],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert leftovers(out, ".render-") == []
    assert {p.name: p.read_bytes() for p in out.glob("manuscript.*")} == before


def test_swap_in_exchanges_the_folders_in_one_step(tmp_path, monkeypatch):
    from analysis import build as build_module
    from analysis.outputs import exchange

    target, new = tmp_path / "_generated", tmp_path / "new"
    for folder, text in ((target, "old"), (new, "new")):
        folder.mkdir()
        (folder / "part.md").write_text(text, encoding="utf-8")
    assert exchange(new, target)  # Linux renameat2(RENAME_EXCHANGE)
    assert (target / "part.md").read_text(encoding="utf-8") == "new"
    assert (new / "part.md").read_text(encoding="utf-8") == "old"
    renames = []
    monkeypatch.setattr(build_module.os, "replace", lambda *a: renames.append(a))
    build_module.swap_in(new, target)  # no window: no rename that removes _generated
    assert renames == []
    assert (target / "part.md").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["_generated"]
