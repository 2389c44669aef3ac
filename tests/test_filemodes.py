"""Outputs are readable by others as the umask allows: the build's temporary folder and files
(tempfile.mkdtemp / mkstemp: 0700 / 0600) get the umask's modes when they are swapped in."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from analysis.build import swap_in
from analysis.filemodes import current_umask


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test and put the previous one back."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


def private_tree(parent: Path) -> Path:
    """A folder made as the build makes its outputs: mkdtemp, and a figure through mkstemp."""
    new = Path(tempfile.mkdtemp(dir=parent, prefix=".new-"))
    (new / "figures").mkdir()
    handle, name = tempfile.mkstemp(dir=new / "figures", suffix=".svg")
    os.close(handle)
    (new / "results.json").write_text("{}", encoding="utf-8")
    assert mode(new) == 0o700 and mode(Path(name)) == 0o600
    return new


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"),
    [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700), (0o002, 0o664, 0o775)],
)
def test_swapped_in_outputs_take_the_umasks_modes(tmp_path, umask, mask, file_mode, dir_mode):
    umask(mask)
    target = tmp_path / "_generated"
    swap_in(private_tree(tmp_path), target)
    assert mode(target) == dir_mode and mode(target / "figures") == dir_mode
    for path in (target / "results.json", *(target / "figures").iterdir()):
        assert mode(path) == file_mode, path


def test_the_built_and_rendered_manuscript_is_readable_as_the_umask_allows(
    manuscript_build, manuscript_render
):
    mask = current_umask()
    generated = manuscript_build.generated
    assert mode(generated) == 0o777 & ~mask
    files = [p for p in generated.rglob("*") if p.is_file()]
    assert any(p.suffix == ".png" for p in files)
    for path in files:
        assert mode(path) == 0o666 & ~mask, path
    for path in (manuscript_render.html, manuscript_render.pdf, manuscript_render.docx):
        assert mode(path) == 0o666 & ~mask, path
