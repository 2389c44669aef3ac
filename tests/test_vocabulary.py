"""One vocabulary: what review.yml accepts, what ``meta --help`` offers and what the READMEs
document are the lists in :mod:`analysis.vocabulary`, and the engine depends only on it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from analysis import text, vocabulary
from analysis.__main__ import main
from analysis.stats import tau2
from tests.data_cases import copy_example, edit_yaml, problems_of

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DATA_README = (ROOT / "data" / "README.md").read_text(encoding="utf-8")


def _meta_help(capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        main(["meta", "--help"])
    return capsys.readouterr().out


def _braces(text_: str, option: str) -> list[str]:
    """The choices ``--option {a,b,c}`` lists in a usage line."""
    match = re.search(re.escape(option) + r" \{([^}]*)\}", text_)
    assert match, f"{option} with its choices"
    return match.group(1).split(",")


def _review_accepts(tmp_path, key: str) -> list[str]:
    """The values review.yml accepts for ``path``, as the loader's message names them."""
    (tmp_path / key).mkdir()
    data = copy_example(tmp_path / key)

    def edit(content):
        node = content
        *parents, last = key.split(".")
        for name in parents:
            node = node[name] if not isinstance(node, list) else node[0]
        node[last] = "no-such-code"

    edit_yaml(data / "review.yml", edit)
    [problem] = [p for p in problems_of(data) if p.column == key]
    assert problem.expected.startswith("one of ")
    return problem.expected.removeprefix("one of ").split(", ")


def _backticked(line_start: str, document: str) -> list[str]:
    """The `codes` on the line of ``document`` that starts with ``line_start``."""
    [line] = [line for line in document.splitlines() if line.startswith(line_start)]
    return re.findall(r"`([^`]+)`", line.removeprefix(line_start))


def test_meta_help_and_readme_offer_the_vocabulary(capsys, monkeypatch):
    help_text = _meta_help(capsys, monkeypatch)
    expected = {
        "--measure": list(vocabulary.MEASURES),
        "--method": [*vocabulary.RMA_METHODS, *vocabulary.TABLE_METHODS],
        "--ci": [*vocabulary.CI_METHODS, *vocabulary.CI_ALIASES],
    }
    for option, codes in expected.items():
        assert _braces(help_text, option) == codes, option
        assert _braces(README, option) == codes, f"README.md: {option}"


def test_review_yml_and_its_readme_accept_the_vocabulary(tmp_path):
    assert _review_accepts(tmp_path, "analysis.tau2_method") == list(vocabulary.TAU2_METHODS)
    assert _review_accepts(tmp_path, "analysis.ci_method") == list(vocabulary.CI_METHODS)
    assert _review_accepts(tmp_path, "analysis.model") == list(vocabulary.MODELS)
    documented = {
        "| `analysis.tau2_method` | no |": vocabulary.TAU2_METHODS,
        "| `analysis.ci_method` | no |": (*vocabulary.CI_METHODS, *vocabulary.CI_ALIASES),
        "| `analysis.model` | no |": vocabulary.MODELS,
        "| `analysis.sensitivity` | no |": vocabulary.SENSITIVITY_ANALYSES,
        "| `measure` | yes |": vocabulary.REVIEW_MEASURES,
        "Domains:": vocabulary.GRADE_DOMAINS,
    }
    for line_start, codes in documented.items():
        assert set(_backticked(line_start, DATA_README)) == set(codes), line_start
    rob_rows = re.findall(r"^\| `(d\d)` \|", DATA_README, flags=re.MULTILINE)
    assert rob_rows == list(vocabulary.ROB_DOMAINS)


def test_the_hksj_alias_is_normalized_where_it_enters():
    assert vocabulary.normalize_ci_method("hksj") == "knha"
    assert set(vocabulary.CI_ALIASES.values()) <= set(vocabulary.CI_METHODS)


def test_every_estimator_has_its_function_and_every_code_its_words():
    assert set(tau2.ESTIMATORS) == set(vocabulary.TAU2_METHODS)
    assert set(text.ESTIMATORS) == set(vocabulary.RMA_METHODS)
    assert set(text.CI_METHODS) == set(vocabulary.CI_METHODS)
    assert set(text.SENSITIVITY_NAMES) == set(vocabulary.SENSITIVITY_ANALYSES)
    tables = (
        vocabulary.MEASURES,
        vocabulary.POOLING_METHODS,
        vocabulary.CI_METHODS_TABLE,
        vocabulary.SENSITIVITY_ANALYSES_TABLE,
    )
    for table in tables:
        for code, entry in table.items():
            assert entry.code == code and entry.label and entry.phrase, code


def test_every_cited_key_ships_with_the_builder():
    bib = (ROOT / "report" / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,\s]+),", bib))
    tables = (vocabulary.MEASURES, vocabulary.POOLING_METHODS, vocabulary.CI_METHODS_TABLE)
    cited = {key for table in tables for entry in table.values() for key in entry.cites}
    assert cited and cited <= keys, cited - keys


def _our_imports(path: Path) -> set[str]:
    """The ``analysis.*`` modules a source file imports (absolute and relative)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "analysis"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module.split(".")[0] == "analysis":
                folder = ROOT.joinpath(*module.split("."))
                for alias in node.names:
                    submodule = folder / alias.name
                    is_module = submodule.with_suffix(".py").exists() or submodule.is_dir()
                    found.add(f"{module}.{alias.name}" if is_module else module)
    return found


@pytest.mark.parametrize(
    "path", sorted((ROOT / "analysis" / "stats").glob("*.py")), ids=lambda p: p.name
)
def test_the_engine_imports_only_the_vocabulary_and_the_errors(path):
    allowed = {"analysis.vocabulary", "analysis.errors"}
    outside = {m for m in _our_imports(path) if not m.startswith("analysis.stats")}
    assert outside <= allowed, f"{path.name} imports {sorted(outside - allowed)}"


def test_the_vocabulary_is_a_leaf():
    assert _our_imports(ROOT / "analysis" / "vocabulary.py") == set()
