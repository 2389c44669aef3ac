"""The project's setup, in one place: the Debian packages the renderer needs, and ``.venv`` with
the pinned packages of ``pyproject.toml``. ``make`` and Quarto's pre-/post-render steps both run
it, through ``tools/setup.sh`` (which finds a Python >= 3.11)::

    setup_env.py sysdeps       install the missing Debian packages (as root), else say what to run
    setup_env.py venv          sysdeps, then create/refresh .venv when pyproject.toml is newer
    setup_env.py pre-render    venv, then .venv/bin/python -m analysis build
    setup_env.py post-render   .venv/bin/python -m analysis render --pdf-only

``--dry-run`` prints the commands instead of running them. Every command is printed before it
runs. What cannot be set up here (no root for apt-get, no Debian, a failed install) ends with one
line saying what to run, and exit code 1 -- never a traceback.

Written for any Python 3 so that an old interpreter still reaches the one-line message.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
#: written after a complete install; older than pyproject.toml = reinstall (as the Makefile does)
STAMP = VENV / ".installed"
PYPROJECT = ROOT / "pyproject.toml"
MINIMUM_PYTHON = (3, 11)
#: Debian packages the renderer needs at run time: Pango for weasyprint, one font family for text
#: and figures (DejaVu, with Droid Sans Fallback for CJK labels), fontconfig to find them
DEB_PACKAGES = (
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "fontconfig",
    "fonts-dejavu-core",
    "fonts-dejavu-extra",
    "fonts-droid-fallback",  # CJK glyphs for the figures (7 MB; Noto CJK would be 91 MB)
)
MODES = ("sysdeps", "venv", "pre-render", "post-render")


class SetupError(Exception):
    """A step that cannot be done here; the message says what the user should run."""


def say(message: str) -> None:
    print(f"setup: {message}", flush=True)


def run(command: list[str], dry_run: bool, check: bool = True) -> int:
    """Print ``command``, then run it (unless ``dry_run``) and return its exit code; with
    ``check`` a failure is a SetupError."""
    say(" ".join(shlex.quote(str(part)) for part in command))
    if dry_run:
        return 0
    try:
        done = subprocess.run(command, cwd=ROOT, check=False)
    except OSError as error:
        raise SetupError(f"cannot run {command[0]}: {error.strerror}") from error
    if check and done.returncode != 0:
        raise SetupError(f"`{' '.join(map(str, command))}` failed (exit code {done.returncode})")
    return done.returncode


def check_python() -> None:
    if sys.version_info < MINIMUM_PYTHON:
        raise SetupError(
            f"Python {'.'.join(map(str, MINIMUM_PYTHON))} or newer is needed, "
            f"{sys.executable} is {sys.version.split()[0]}; install it (Debian: apt-get install "
            "python3 python3-venv) or name it with PYTHON=..."
        )


def venv_package() -> str | None:
    """The Debian package that provides ``venv`` for this Python, when it is missing."""
    try:
        import ensurepip  # noqa: F401  (Debian ships it separately, in pythonX.Y-venv)
    except ImportError:
        return f"python{sys.version_info[0]}.{sys.version_info[1]}-venv"
    return None


def missing_debian_packages() -> list[str] | None:
    """Packages of :data:`DEB_PACKAGES` (and venv's) not installed; None when not Debian."""
    if shutil.which("dpkg-query") is None:
        return None
    wanted = list(DEB_PACKAGES)
    extra = venv_package()
    if extra and not VENV_PYTHON.exists():
        wanted.append(extra)
    missing = []
    for package in wanted:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package],
            capture_output=True,
            text=True,
            check=False,
        )
        if "ok installed" not in done.stdout:
            missing.append(package)
    return missing


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def ensure_sysdeps(dry_run: bool) -> None:
    missing = missing_debian_packages()
    if missing is None:
        say("not a Debian system: install Pango and the DejaVu fonts for weasyprint yourself")
        return
    if not missing:
        return
    if not is_root():
        raise SetupError(
            f"missing Debian packages: {' '.join(missing)}; run: "
            f"sudo apt-get install {' '.join(missing)}"
        )
    say(f"installing Debian packages: {' '.join(missing)}")
    env = ["env", "DEBIAN_FRONTEND=noninteractive"]
    run(["apt-get", "update", "-qq"], dry_run)
    run([*env, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], dry_run)


def venv_is_current() -> bool:
    """True when .venv was fully installed after the last change to pyproject.toml."""
    return (
        VENV_PYTHON.exists()
        and STAMP.exists()
        and STAMP.stat().st_mtime >= PYPROJECT.stat().st_mtime
    )


def ensure_venv(dry_run: bool) -> None:
    ensure_sysdeps(dry_run)
    if venv_is_current():
        return
    say(f"setting up {VENV.name} with the pinned packages of {PYPROJECT.name}")
    if not VENV_PYTHON.exists():
        run([sys.executable, "-m", "venv", str(VENV)], dry_run)
    # pip prints only errors (the editable install stays quiet: see package-dir in pyproject)
    pip = [str(VENV_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, "--upgrade", "pip"], dry_run)
    run([*pip, "-e", ".[dev]"], dry_run)
    if not dry_run:
        STAMP.touch()
        say(f"{VENV.name} is ready")


def in_venv(arguments: list[str], dry_run: bool) -> int:
    """Run ``.venv/bin/python ARGUMENTS``; its exit code (the analysis prints its own errors)."""
    if not VENV_PYTHON.exists() and not dry_run:
        raise SetupError(f"{VENV.name} is missing; run: make .venv/.installed (or quarto render)")
    return run([str(VENV_PYTHON), *arguments], dry_run, check=False)


def main(argv: list[str]) -> int:
    dry_run = "--dry-run" in argv
    modes = [a for a in argv if a != "--dry-run"]
    if len(modes) != 1 or modes[0] not in MODES:
        print(f"usage: setup_env.py {{{','.join(MODES)}}} [--dry-run]", file=sys.stderr)
        return 2
    mode = modes[0]
    try:
        check_python()
        if mode == "sysdeps":
            ensure_sysdeps(dry_run)
        elif mode == "venv":
            ensure_venv(dry_run)
        elif mode == "pre-render":
            ensure_venv(dry_run)
            return in_venv(["-m", "analysis", "build"], dry_run)
        else:
            return in_venv(["-m", "analysis", "render", "--pdf-only"], dry_run)
    except SetupError as error:
        print(f"setup: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
