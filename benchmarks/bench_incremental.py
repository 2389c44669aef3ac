"""Benchmark: the edit loop of ``make manuscript`` (build + render) on a copy of the example review.

Every step runs as the user runs it, as whole processes (start-up included), in one run, so the
ratios compare like with like on the same machine and load:

* cold: build (empty figure cache) + render of HTML, PDF and DOCX;
* bare: pandoc (HTML, DOCX) + weasyprint (PDF, print stylesheet) on the same generated sources,
  the floor any renderer of these documents pays;
* unchanged: build + render again, nothing changed (both should do nothing);
* one number: one trial's mean changed, build + all three formats;
* no figure changed: then a sentence added to a hand-written section, build + all three
  formats — what every change costs at least, since the manuscript is typeset again;
* then another one-number change with build + HTML only, as two processes (the fast path);
* and one more seen by a running ``python -m analysis watch`` (the fast path in the process the
  user leaves running: no start-up), from the edit to the HTML written;
* the peak memory (max RSS) of a cold build.

The machine is shared and its speed varies from minute to minute, so the whole sequence runs
``--repeat`` times (default 3), each on a fresh copy; every cell shows the median and the range,
a ratio is taken within each run, and a goal is judged on the median.

The "issue 14" column repeats the numbers the issue measured on this 2-core machine before the
cache existed (build 17 s + render 9.6 s; a one-number change 45 s with ``make manuscript``,
and an unchanged ``make manuscript`` redid everything); the "1 Dec" column those measured on
1 December 2026, with the cache but before the PDF's figures were painted apart
(:mod:`analysis.pdf_print`). Run: ``make benchmark`` or
``.venv/bin/python benchmarks/bench_incremental.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis import paths  # noqa: E402

PY = sys.executable


@dataclass(frozen=True)
class Timing:
    """Wall time and the CPU time (user + system) of the processes, their workers included."""

    wall: float = 0.0
    cpu: float = 0.0

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: the processes run as on a user's machine: Python keeps compiled modules (``.pyc``) between
#: runs, even where the environment says not to (``PYTHONDONTWRITEBYTECODE``, set on some CI
#: machines, recompiles every ``analysis`` module in every process: about 0.15 s each)
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run(args: list[str], cwd: Path = ROOT) -> Timing:
    """Time one process (start-up included); its output is discarded, a failure stops the
    benchmark. CPU time depends much less than wall time on what else the machine runs."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, env=ENV)
    return Timing(time.perf_counter() - start, _children_cpu() - cpu)


def peak_rss_mib(args: list[str]) -> float:
    """Peak RSS of a process and its children (the figure workers), in a fresh interpreter."""
    probe = (
        "import resource, subprocess; "
        f"subprocess.run({args!r}, check=True, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [PY, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True, env=ENV
    )
    return int(out.stdout) / 1024


class Project:
    """A copy of data/ and report/ in a temporary folder, with the commands that build it."""

    def __init__(self, root: Path):
        self.data = root / "data"
        self.report = root / "report"
        self.generated = self.report / "_generated"
        self.output = root / "_output"
        shutil.copytree(paths.DATA_DIR, self.data)
        shutil.copytree(paths.REPORT_DIR, self.report, ignore=shutil.ignore_patterns("_generated"))
        shutil.copytree(paths.GENERATED_DIR, self.generated, ignore=shutil.ignore_patterns(".*"))

    def build(self, formats: str = "html,pdf,docx") -> list[str]:
        return [PY, "-m", "analysis", "build", "--data", str(self.data), "--generated",
                str(self.generated), "--formats", formats]  # fmt: skip

    def render(self, formats: str = "html,pdf,docx") -> list[str]:
        return [PY, "-m", "analysis", "render", "--source", str(self.report / "index.qmd"),
                "--out", str(self.output), "--formats", formats]  # fmt: skip

    def manuscript(self, formats: str = "html,pdf,docx") -> Timing:
        return run(self.build(formats)) + run(self.render(formats))

    def change_one_number(self, delta: float) -> None:
        """Add ``delta`` to the first mean of the intervention arm in outcomes.csv (the edit
        the cache tests make)."""
        from tests.test_incremental import bump_first_mean

        bump_first_mean(self.data, delta)

    def change_one_sentence(self) -> None:
        """Add a sentence to a hand-written section: everything is typeset again, but no
        figure changes (the floor of any change)."""
        section = sorted((self.data / "sections").glob("*.md"))[0]
        with open(section, "a", encoding="utf-8") as fh:
            fh.write("\nOne more sentence.\n")

    def bare_render(self, tmp: Path) -> Timing:
        """pandoc + weasyprint alone on the same sources (resolved once, not timed)."""
        import pypandoc
        import yaml

        from analysis.render import format_filters, load_source, pandoc_metadata

        source = self.report / "index.qmd"
        meta, markdown = load_source(source)
        pandoc = pypandoc.get_pandoc_path()
        commands = []
        for to in ("html", "docx"):
            md, meta_file = tmp / f"bare-{to}.md", tmp / f"bare-{to}.yml"
            md.write_text(markdown, encoding="utf-8")
            meta_file.write_text(yaml.safe_dump(pandoc_metadata(meta, source.parent, to)))
            args = [pandoc, str(md), f"--to={to}", "--standalone", "--wrap=none", "--citeproc",
                    f"--lua-filter={paths.COMPAT_FILTER}",
                    *(f"--lua-filter={f}" for f in format_filters(meta, source.parent, to)),
                    f"--resource-path={source.parent}",
                    f"--metadata-file={meta_file}", f"--output={tmp / ('bare.' + to)}"]  # fmt: skip
            if to == "html":
                args += ["--embed-resources", "--section-divs", "--mathml"]
            commands.append(args)
        weasy = [PY, "-m", "weasyprint", "-q", "-s", str(paths.PRINT_CSS), str(tmp / "bare.html"),
                 str(tmp / "bare.pdf")]  # fmt: skip
        return sum(
            (run(args, source.parent) for args in [commands[0], weasy, commands[1]]), Timing()
        )


def watch_latency(project: Project, delta: float) -> Timing:
    """One one-number change seen by a running ``python -m analysis watch``: the time from the
    edit to the line saying the HTML was written (its look at the data every 0.2 s included),
    and the CPU the watch process and its children (figure workers, pandoc) spent on it."""
    command = [PY, "-m", "analysis", "watch", "--data", str(project.data), "--generated",
               str(project.generated), "--source", str(project.report / "index.qmd"), "--out",
               str(project.output), "--interval", "0.2"]  # fmt: skip
    env = {**ENV, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as watch:
        try:
            _read_until(watch, "watch: watching")  # the first build (HTML only) is done
            cpu, start = _process_cpu(watch.pid), time.perf_counter()
            project.change_one_number(delta)
            _read_until(watch, "wrote ")
            timing = Timing(time.perf_counter() - start, _process_cpu(watch.pid) - cpu)
            _read_until(watch, "watch: watching")
        finally:
            watch.send_signal(signal.SIGINT)
            watch.communicate(timeout=60)
    return timing


def _read_until(process: subprocess.Popen, prefix: str) -> None:
    for line in process.stdout:
        if line.startswith(prefix):
            return
    raise RuntimeError(f"watch ended before printing {prefix!r} (exit code {process.wait()})")


def _process_cpu(pid: int) -> float:
    """CPU time (s) of a running process and its children that have ended (/proc/PID/stat:
    utime, stime, cutime, cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def measure(root: Path) -> dict[str, Timing]:
    """One run of every measurement, in order, on a fresh copy of the example review."""
    project = Project(root)
    timings = {"cold": project.manuscript(), "bare": project.bare_render(root)}
    timings["unchanged"] = project.manuscript()
    project.change_one_number(0.3)
    timings["one number"] = project.manuscript()
    project.change_one_sentence()
    timings["no figure"] = project.manuscript()
    project.change_one_number(0.3)
    timings["fast"] = project.manuscript("html")
    timings["watch"] = watch_latency(project, 0.3)
    return timings


#: (key, row name, issue 14 before the cache, 1 December, goal, the ratio's reference,
#:  met(value) for the goal's measure: seconds, or the ratio to the reference)
ROWS = [
    ("cold", "cold build + render, 3 formats", "17 + 9.6 s", "1.55x bare", "<= 2x bare",
     "bare", lambda ratio: ratio <= 2),
    ("bare", "bare pandoc + weasyprint, same sources", "", "", "", None, None),
    ("unchanged", "unchanged make manuscript", "redid all", "0.48 s", "< 1 s", None,
     lambda seconds: seconds < 1),
    ("fast", "one number: build + HTML (2 processes)", "", "3.34 s", "<= 3 s", None,
     lambda seconds: seconds <= 3),
    ("watch", "one number: build + HTML in `watch`", "", "", "<= 3 s", None,
     lambda seconds: seconds <= 3),
    ("one number", "one number: build + 3 formats", "45 s", "0.73x cold", "<= 0.5x cold",
     "cold", lambda ratio: ratio <= 0.5),
    ("no figure", "no figure changed: build + 3 formats", "", "", "", "cold", None),
]  # fmt: skip


def _spread(values: list[float], unit: str, digits: int = 2) -> str:
    """The median, and the range when there is more than one value: "0.55x (0.52-0.59)"."""
    text = f"{statistics.median(values):.{digits}f}{unit}"
    if len(values) > 1:
        text += f" ({min(values):.{digits}f}-{max(values):.{digits}f})"
    return text


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="runs of the whole sequence; medians and ranges are printed "
                        "(default: 3)")  # fmt: skip
    args = parser.parse_args(argv)
    load_before = _load()
    runs = []
    for _ in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(measure(Path(tmp)))
    with tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp))
        peak = peak_rss_mib(project.build())

    print(f"{len(runs)} run(s); each cell: the median, and (min-max) over the runs; ratios are "
          "taken within each run")  # fmt: skip
    print(f"{'measurement':40} {'now':>20} {'CPU now':>20} {'issue 14':>11} {'1 Dec':>11} "
          f"{'ratio now':>24} {'CPU ratio':>20} {'goal':>13}  met")  # fmt: skip
    for key, name, before, previous, goal, reference, met in ROWS:
        walls = [run[key].wall for run in runs]
        cpus = [run[key].cpu for run in runs]
        ratio = cpu_ratio = ""
        verdict = ""
        if reference:
            ratios = [run[key].wall / run[reference].wall for run in runs]
            ratio = _spread(ratios, f"x {reference}")
            cpu_ratio = _spread([run[key].cpu / run[reference].cpu for run in runs], "x")
            measured = statistics.median(ratios)
        else:
            measured = statistics.median(walls)
        if met is not None:
            verdict = "yes" if met(measured) else "NO"
        print(f"{name:40} {_spread(walls, 's'):>20} {_spread(cpus, 's'):>20} {before:>11} "
              f"{previous:>11} {ratio:>24} {cpu_ratio:>20} {goal:>13}  {verdict}")  # fmt: skip
    print(f"{'peak memory of a cold build (max RSS)':40} {peak:6.0f} MiB (largest process)")
    print(f"(load average before: {load_before}; after measuring: {_load()}; "
          f"cores: {len(os.sched_getaffinity(0))}: absolute times grow with the load, the "
          "ratios much less; a goal is judged on the median)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
