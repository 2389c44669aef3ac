"""The command line as a user meets it: help texts, --version, the options' names."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

import pytest

from analysis import METAFOR_REFERENCE_VERSION, __version__
from analysis.__main__ import COMMANDS, command_parser, main
from analysis.paths import ROOT
from tests.reference_cases import SHARED_REFERENCE

#: reST and Markdown markup that must not reach a terminal
MARKUP = re.compile(r"``|:class:|:func:|\*\*")


def help_text(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], *([name] for name in COMMANDS)], ids=["top", *COMMANDS])
def test_help_is_plain_text_with_an_example(capsys, argv):
    text = help_text(capsys, *argv)
    assert not MARKUP.search(text), text
    example = text.split("example:" if argv else "examples:", 1)[1]
    for name in argv or COMMANDS:
        assert f"python -m analysis {name}" in example
    assert "usage: python -m analysis" in text


def test_top_help_lists_every_command(capsys):
    text = help_text(capsys)
    for name, (_, summary, _) in COMMANDS.items():
        assert re.search(rf"^  {name} +{re.escape(summary)}$", text, re.MULTILINE)


def test_version_names_package_and_metafor_reference(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert __version__ in out and f"metafor {METAFOR_REFERENCE_VERSION}" in out


def test_version_is_the_installed_distributions():
    from importlib import metadata

    names = [d.metadata["Name"] for d in metadata.distributions() if _provides_analysis(d)]
    assert names, "the package is installed (make .venv/.installed)"
    assert metadata.version(names[0]) == __version__


def _provides_analysis(dist) -> bool:
    top = dist.read_text("top_level.txt") or ""
    direct = dist.read_text("direct_url.json") or ""
    return "analysis" in top.split() or str(ROOT) in direct


def test_metafor_reference_version_is_the_fixtures():
    """Every reference fixture records the metafor release it was made with; the constant
    ``--version`` prints must be that release (R writes 3.8-1 as package_version 3.8.1)."""
    recorded = set()
    for folder in (ROOT / "tests" / "fixtures", SHARED_REFERENCE):
        for path in folder.rglob("*.json"):
            case = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(case, dict) and "metafor_version" in case:
                recorded.add(case["metafor_version"].replace("-", "."))
    assert recorded == {METAFOR_REFERENCE_VERSION.replace("-", ".")}


def _options(name: str) -> dict[str, argparse.Action]:
    parser, _ = command_parser(name)
    return {opt: action for action in parser._actions for opt in action.option_strings}


def test_same_option_same_name_metavar_and_wording():
    """An option two commands share is spelled, shown and described the same way (up to its
    default, which differs by command)."""
    seen: dict[str, tuple[str, str, str]] = {}
    for name in COMMANDS:
        for option, action in _options(name).items():
            if option in ("-h", "--help") or action.nargs == 0:
                continue
            wording = re.sub(r"\(default: [^)]*\)", "", action.help or "").strip()
            shown = (action.metavar, wording)
            if option in seen:
                assert shown == seen[option][1:], (option, name, seen[option][0])
            else:
                seen[option] = (name, *shown)
    assert seen["--data"][1] == "DIR" and seen["--out"][1] == "DIR"
    assert seen["--generated"][1] == "DIR"


def test_every_valued_option_has_a_metavar():
    for name in COMMANDS:
        for option, action in _options(name).items():
            if action.nargs != 0 and not action.choices and option.startswith("--"):
                assert action.metavar, (name, option)


def test_no_arguments_prints_usage_and_fails():
    done = subprocess.run(
        [sys.executable, "-m", "analysis"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 2
    assert "usage: python -m analysis" in done.stderr and "Traceback" not in done.stderr
