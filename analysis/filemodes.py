"""Output files readable by others, as the user's umask allows.

Temporary files and folders from :mod:`tempfile` (``mkstemp``, ``mkdtemp``) are private to the
user: mode 0600 and 0700, whatever the umask. An output written through them and then renamed into
place keeps those modes, so a shared HTML manuscript's figures or ``report/_generated`` could not
be read by coauthors. :func:`apply_umask` gives such a tree the modes a plain ``open()`` and
``mkdir()`` would have given it: 0666 and 0777 minus the umask (0644 and 0755 under the usual
umask 022).
"""

from __future__ import annotations

import os
from pathlib import Path


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(root: Path) -> None:
    """Give ``root`` and everything below it the modes the umask gives new files and folders
    (files 0666 & ~umask, folders 0777 & ~umask). Meant for generated outputs, which carry no
    executable files."""
    mask = current_umask()
    file_mode, dir_mode = 0o666 & ~mask, 0o777 & ~mask
    root = Path(root)
    if root.is_file():
        root.chmod(file_mode)
        return
    root.chmod(dir_mode)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(folder, name), dir_mode)
        for name in files:
            os.chmod(os.path.join(folder, name), file_mode)
