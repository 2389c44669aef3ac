"""Dependencies match the code: every pinned runtime package is imported by ``analysis``."""

from __future__ import annotations

import ast
import re
import tomllib

from analysis.paths import ROOT

#: distribution name -> the module it provides, where they differ
MODULE_OF = {"pyyaml": "yaml", "pypandoc-binary": "pypandoc"}


def _imported_top_modules() -> set[str]:
    found = set()
    for path in (ROOT / "analysis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def test_every_pinned_dependency_is_imported():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.split(r"[=<>!~ ]", spec)[0].lower() for spec in project["dependencies"]]
    assert all("==" in spec for spec in project["dependencies"]), "every dependency is pinned"
    modules = _imported_top_modules()
    unused = [n for n in names if MODULE_OF.get(n, n) not in modules]
    assert not unused, f"pinned but never imported: {unused}"
