"""The setup that `make` and Quarto's pre-render step share (tools/setup.sh, tools/setup_env.py):
without a usable Python, root or .venv it prints one line saying what to run (never a
traceback); with .venv missing it runs the pinned install before the build."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths

TOOLS = paths.ROOT / "tools"


def load_setup_env():
    spec = importlib.util.spec_from_file_location("setup_env", TOOLS / "setup_env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def setup_env(tmp_path, monkeypatch):
    """tools/setup_env.py pointed at an empty project folder, on a Debian system with every
    package installed (tests change that where they need to)."""
    module = load_setup_env()
    (tmp_path / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(module, "VENV_PYTHON", tmp_path / ".venv" / "bin" / "python")
    monkeypatch.setattr(module, "STAMP", tmp_path / ".venv" / ".installed")
    monkeypatch.setattr(module, "PYPROJECT", tmp_path / "pyproject.toml")
    monkeypatch.setattr(module, "missing_debian_packages", lambda: [])
    return module


def commands(out: str) -> list[str]:
    return [line.removeprefix("setup: ") for line in out.splitlines()]


def test_with_venv_missing_pre_render_installs_then_builds(setup_env, capsys):
    assert setup_env.main(["pre-render", "--dry-run"]) == 0
    lines = commands(capsys.readouterr().out)
    venv_python = str(setup_env.VENV_PYTHON)
    assert lines[1:] == [
        f"{sys.executable} -m venv {setup_env.VENV}",
        f"{venv_python} -m pip install --quiet --disable-pip-version-check --upgrade pip",
        f"{venv_python} -m pip install --quiet --disable-pip-version-check -e '.[dev]'",
        f"{venv_python} -m analysis build",
    ]
    assert "pinned packages" in lines[0]


def test_with_a_current_venv_pre_render_only_builds(setup_env, capsys):
    setup_env.VENV_PYTHON.parent.mkdir(parents=True)
    setup_env.VENV_PYTHON.write_text("", encoding="utf-8")
    setup_env.STAMP.touch()
    assert setup_env.main(["pre-render", "--dry-run"]) == 0
    assert commands(capsys.readouterr().out) == [f"{setup_env.VENV_PYTHON} -m analysis build"]


def test_a_pyproject_newer_than_the_install_reinstalls(setup_env, capsys):
    setup_env.VENV_PYTHON.parent.mkdir(parents=True)
    setup_env.VENV_PYTHON.write_text("", encoding="utf-8")
    setup_env.STAMP.touch()
    os.utime(setup_env.STAMP, (1, 1))
    assert setup_env.main(["venv", "--dry-run"]) == 0
    lines = commands(capsys.readouterr().out)
    assert any("pip install --quiet --disable-pip-version-check -e" in line for line in lines)
    assert not any(" -m venv " in line for line in lines)  # the existing .venv is refilled


def test_missing_debian_packages_as_root_are_installed(setup_env, monkeypatch, capsys):
    monkeypatch.setattr(setup_env, "missing_debian_packages", lambda: ["fonts-dejavu-core"])
    monkeypatch.setattr(setup_env, "is_root", lambda: True)
    assert setup_env.main(["sysdeps", "--dry-run"]) == 0
    lines = commands(capsys.readouterr().out)
    assert "apt-get update -qq" in lines
    assert lines[-1].endswith("apt-get install -y -qq --no-install-recommends fonts-dejavu-core")


def one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err + captured.out, captured
    return lines[0]


def test_missing_debian_packages_without_root_say_what_to_run(setup_env, monkeypatch, capsys):
    monkeypatch.setattr(setup_env, "missing_debian_packages", lambda: ["libpango-1.0-0"])
    monkeypatch.setattr(setup_env, "is_root", lambda: False)
    assert setup_env.main(["pre-render"]) == 1
    assert one_line_error(capsys).endswith("run: sudo apt-get install libpango-1.0-0")
    assert not setup_env.VENV.exists()


def test_a_too_old_python_says_what_to_install(setup_env, monkeypatch, capsys):
    monkeypatch.setattr(setup_env, "MINIMUM_PYTHON", (99, 0))
    assert setup_env.main(["pre-render"]) == 1
    assert "Python 99.0 or newer is needed" in one_line_error(capsys)


def test_post_render_without_venv_says_what_to_run(setup_env, capsys):
    assert setup_env.main(["post-render"]) == 1
    assert "run: make .venv/.installed" in one_line_error(capsys)


def test_a_failed_install_is_one_line(setup_env, monkeypatch, capsys):
    monkeypatch.setattr(setup_env.sys, "executable", str(setup_env.ROOT / "no-such-python"))
    assert setup_env.main(["venv"]) == 1
    assert "cannot run" in one_line_error(capsys)


# --- tools/setup.sh: finding a Python >= 3.11 ----------------------------------------------------


def fake_bin(tmp_path: Path, python3: str | None) -> Path:
    """A PATH folder holding only `dirname` and, if given, a `python3` (a script or a link)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    os.symlink("/usr/bin/dirname", folder / "dirname")
    if python3 == "old":
        script = folder / "python3"
        script.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")  # fails the version check
        script.chmod(0o755)
    elif python3:
        os.symlink(python3, folder / "python3")
    return folder


def run_setup_sh(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/sh", str(TOOLS / "setup.sh"), *args],
        env={"PATH": str(folder)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("python3", [None, "old"])
def test_setup_sh_without_a_usable_python_prints_one_line(tmp_path, python3):
    done = run_setup_sh(fake_bin(tmp_path, python3), "pre-render")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "setup: no Python >= 3.11 on PATH; install it (Debian: apt-get install python3 "
        "python3-venv) and run the command again"
    ]


def test_setup_sh_hands_over_to_a_python_3_11(tmp_path):
    done = run_setup_sh(fake_bin(tmp_path, sys.executable), "no-such-step")
    assert done.returncode == 2 and "usage: setup_env.py" in done.stderr
