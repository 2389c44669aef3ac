"""Command line: python -m analysis {meta,check,build,render} [options].

Bad input never shows a traceback: DataError (bad input) and AnalysisError (an analysis the data
do not allow, a failed render) are printed as their message and the exit code is 2.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import signal
import sys

from analysis import METAFOR_REFERENCE_VERSION, __version__
from analysis.errors import AnalysisError, DataError

PROG = "python -m analysis"
#: sub-command -> (module with ``add_arguments(parser)`` and ``run(args) -> int``, what it does,
#: an example shown at the end of its --help)
COMMANDS = {
    "meta": (
        "analysis.cli_meta",
        "one-off meta-analysis of a CSV file",
        "python -m analysis meta trials.csv --measure RR --method REML --loo --bias",
    ),
    "check": (
        "analysis.data.check",
        "validate a data folder and print a summary",
        "python -m analysis check --data data/",
    ),
    "build": (
        "analysis.build",
        "validate, analyse, and write results, figures and text",
        "python -m analysis build --data data/ --generated report/_generated/",
    ),
    "render": (
        "analysis.render",
        "render the manuscript to HTML, PDF and DOCX without Quarto",
        "python -m analysis render --formats html,pdf",
    ),
    "watch": (
        "analysis.watch",
        "rebuild and re-render the HTML whenever a file in data/ changes",
        "python -m analysis watch --data data/",
    ),
    "new": (
        "analysis.new_review",
        "write a new review folder with placeholders to fill in",
        "python -m analysis new my-review/",
    ),
}


def version_text() -> str:
    """What ``--version`` prints: this package's version and the metafor release its
    statistics are tested against (the version to cite in a review's methods)."""
    return (
        f"{PROG} {__version__} (meta-analysis manuscript builder; statistics checked against "
        f"R metafor {METAFOR_REFERENCE_VERSION})"
    )


def _epilog(*examples: str) -> str:
    heading = "example:" if len(examples) == 1 else "examples:"
    return heading + "\n" + "\n".join(f"  {line}" for line in examples)


def top_parser() -> argparse.ArgumentParser:
    width = max(len(name) for name in COMMANDS)
    commands = "\n".join(f"  {name:<{width}}  {text}" for name, (_, text, _) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.splitlines()[0] + "\n\ncommands:\n" + commands,
        epilog=_epilog(*(example for _, _, example in COMMANDS.values()))
        + f"\n\n'{PROG} COMMAND --help' describes each command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_text())
    parser.add_argument("command", choices=COMMANDS, metavar="COMMAND", help="one of: %(choices)s")
    return parser


def command_parser(name: str) -> tuple[argparse.ArgumentParser, object]:
    """The parser of one sub-command, and the module that runs it."""
    module_name, help_text, example = COMMANDS[name]
    # Only the chosen command's module is imported: `meta` starts without matplotlib or Jinja.
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(
        prog=f"{PROG} {name}",
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=_epilog(example),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.add_arguments(parser)
    return parser, module


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, a job cancelled) raised in the main thread."""


def stop_on_sigterm() -> None:
    """Make SIGTERM end a command as Ctrl-C does, through the same clean-up (the figure and
    printing workers stopped, temporaries removed), instead of killing the parent alone and
    leaving its workers running."""

    def terminate(signum, frame):
        raise Terminated

    signal.signal(signal.SIGTERM, terminate)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        top_parser().parse_args(argv[:1])  # prints help, version or usage and exits
    parser, module = command_parser(argv[0])
    args = parser.parse_args(argv[1:])
    try:
        return module.run(args)
    except (DataError, AnalysisError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM: one line, no traceback (build and
        # render write atomically; the worker processes are stopped on the way out)
        ended = "terminated" if isinstance(stop, Terminated) else "interrupted"
        print(f"{PROG} {argv[0]}: {ended}", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)
    except OSError as error:  # a file-system fault outside the data readers: say which file
        where = f" {error.filename}" if error.filename else ""
        print(f"error: cannot use{where}: {error.strerror or error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    stop_on_sigterm()
    code = main()
    # The process ends: spare the interpreter's last garbage collections over every object of
    # matplotlib, SciPy and weasyprint (about 0.25 s per command); modules are still torn down,
    # files flushed and atexit handlers run (gc.freeze, Python 3.7+).
    gc.freeze()
    sys.exit(code)
