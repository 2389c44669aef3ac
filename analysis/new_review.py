"""``python -m analysis new DIR``: start a new review from the skeleton.

Writes every file of a review folder (``analysis/skeleton/``: settings with comments, tables with
two placeholder trials or header rows, PRISMA counts, GRADE judgments, references and the
hand-written sections, from :func:`~analysis.data.placeholders.section_placeholder`) into
``DIR``, which must be empty or not exist yet. ``check`` accepts the result, warning about each
placeholder left, and ``build`` + ``render`` make a placeholder manuscript from it.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from analysis.data.placeholders import section_placeholder
from analysis.errors import DataError, Problem
from analysis.sections import SECTIONS, SECTIONS_DIR

SKELETON_DIR = Path(__file__).resolve().parent / "skeleton"
#: stands for the review folder in the skeleton's README.md; ``new`` writes the folder's path
FOLDER_TOKEN = "THIS_FOLDER"


def new_review(target: Path) -> list[Path]:
    """Copy the skeleton into ``target`` (empty or absent); returns the files written."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DataError(
            [
                Problem(
                    str(target), None, None, "not empty", "a folder that is empty or does not exist"
                )
            ]
        )
    shutil.copytree(SKELETON_DIR, target, dirs_exist_ok=True)
    readme = target / "README.md"
    folder = shlex.quote(str(target.resolve()))
    readme.write_text(readme.read_text("utf-8").replace(FOLDER_TOKEN, folder), "utf-8")
    (target / SECTIONS_DIR).mkdir()
    for name in SECTIONS:
        (target / SECTIONS_DIR / f"{name}.md").write_text(section_placeholder(name), "utf-8")
    return sorted(p for p in target.rglob("*") if p.is_file())


def add_arguments(parser) -> None:
    parser.add_argument("dir", type=Path, help="the new review's folder (empty or absent)")


def run(args) -> int:
    files = new_review(args.dir)
    print(f"new: wrote {len(files)} files into {args.dir}:")
    for path in files:
        print(f"  {path.relative_to(args.dir)}")
    print(
        "Replace the placeholders, then: .venv/bin/python -m analysis check --data "
        f"{shlex.quote(str(args.dir))}\n"
        f"To build and render it, follow {args.dir / 'README.md'}."
    )
    return 0
