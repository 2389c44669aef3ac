"""Command line: ``python -m analysis {meta,check,build,render} ...``.

Bad input never shows a traceback: :class:`~analysis.errors.DataError` (bad input) and
:class:`~analysis.errors.AnalysisError` (an analysis the data do not allow, a failed render) are
printed as their message and the exit code is 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from analysis.errors import AnalysisError, DataError

#: sub-command -> module that provides ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS = {
    "meta": ("analysis.cli_meta", "one-off meta-analysis of a CSV file"),
    "check": ("analysis.data.check", "validate a data folder and print a summary"),
    "build": ("analysis.build", "validate, analyse, and write results, figures and text"),
    "render": ("analysis.render", "render the manuscript to HTML, PDF and DOCX without Quarto"),
    "new": ("analysis.new_review", "write a new review folder with placeholders to fill in"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    top = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    top.add_argument(
        "command",
        choices=COMMANDS,
        help="; ".join(f"{name}: {text}" for name, (_, text) in COMMANDS.items()),
    )
    if not argv or argv[0] not in COMMANDS:
        top.parse_args(argv[:1])  # prints usage and exits 2 (or 0 for --help)
    # Only the chosen command's module is imported: `meta` starts without matplotlib or Jinja.
    name = argv[0]
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"python -m analysis {name}", description=help_text)
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    try:
        return module.run(args)
    except (DataError, AnalysisError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
