"""``python -m analysis watch``: rebuild and re-render the HTML whenever a file in data/ changes.

It polls the data folder (every file's modification time and size, once a second by default; no
extra dependency, works on every file system) and on a change runs the fast path: ``build`` for
the HTML only (no PNGs; unchanged figures come from the cache) and ``render`` of the HTML only.
Each build prints its change report. Bad data print their error and the watch goes on: the last
good manuscript stays in place until the data are fixed. Ctrl-C stops it.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from analysis import cli_options
from analysis.errors import AnalysisError, DataError
from analysis.fingerprint import input_files

FAST_FORMATS = ("html",)
#: what a rebuild imports on first use (the loader and SciPy, the statistics, matplotlib, pandoc's
#: wrapper): about 1 s, paid once when the watch starts instead of on the first edit
REBUILD_MODULES = (
    "analysis.data.loading",
    "analysis.results",
    "analysis.figures",
    "analysis.render",
    "pypandoc",
)


def preload() -> None:
    """Import :data:`REBUILD_MODULES`, so that the first change costs what every later one
    does (a watch that starts on an up-to-date build would otherwise import them then)."""
    for name in REBUILD_MODULES:
        importlib.import_module(name)


def snapshot(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (modification time in ns, size) of every input file in ``data_dir``."""
    out = {}
    for path in input_files(data_dir):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed while we looked
            continue
        out[path.relative_to(data_dir).as_posix()] = (stat.st_mtime_ns, stat.st_size)
    return out


def changed_files(before: dict, after: dict) -> list[str]:
    """Files added, removed or modified between two snapshots."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def watch_loop(data_dir: Path, rebuild, interval: float = 1.0, log=print, sleep=time.sleep):
    """Call ``rebuild()`` once, then after every change in ``data_dir``, polling every
    ``interval`` seconds; returns when interrupted (Ctrl-C)."""
    try:
        _attempt(rebuild, log)
        state = snapshot(data_dir)
        log(f"watch: watching {data_dir} (Ctrl-C to stop)")
        while True:
            sleep(interval)
            now = snapshot(data_dir)
            changed = changed_files(state, now)
            if changed:
                state = now
                log(f"watch: changed: {', '.join(changed)}")
                _attempt(rebuild, log)
                log(f"watch: watching {data_dir} (Ctrl-C to stop)")
    except KeyboardInterrupt:
        log("watch: stopped")


def _attempt(rebuild, log) -> None:
    """One rebuild; bad data or a failed render is reported and the watch goes on."""
    try:
        rebuild()
    except (DataError, AnalysisError) as error:
        log(f"error: {error}")
        log("watch: the previous manuscript is kept; fix the data and save again")


def add_arguments(parser) -> None:
    cli_options.add_data(parser)
    cli_options.add_generated(parser)
    cli_options.add_source(parser)
    cli_options.add_output(parser)
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between looks at the data folder (default: 1)",
    )
    cli_options.add_show_changes(parser)


def run(args) -> int:
    from analysis.build import build
    from analysis.incremental import render_if_changed

    def rebuild():
        build(args.data, args.generated, formats=FAST_FORMATS, show_changes=args.show_changes)
        for path in render_if_changed(args.source, args.out, FAST_FORMATS):
            print(f"wrote {path}")

    preload()
    watch_loop(args.data, rebuild, args.interval)
    return 0
