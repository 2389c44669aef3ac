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
* then another one-number change with build + HTML only (the ``watch`` fast path);
* the peak memory (max RSS) of a cold build.

The "issue 14" column repeats the numbers the issue measured on this 2-core machine before the
cache existed (build 17 s + render 9.6 s; a one-number change 45 s with ``make manuscript``,
and an unchanged ``make manuscript`` redid everything); the "1 Dec" column those measured on
1 December 2026, with the cache but before the PDF's figures were painted apart
(:mod:`analysis.pdf_print`). Run: ``make benchmark`` or
``.venv/bin/python benchmarks/bench_incremental.py``.
"""

from __future__ import annotations

import os
import resource
import shutil
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
            args = [pandoc, str(md), f"--to={to}", "--standalone", "--citeproc",
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


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp))
        cold = project.manuscript()
        bare = project.bare_render(Path(tmp))
        unchanged = project.manuscript()
        project.change_one_number(0.3)
        one_number = project.manuscript()
        project.change_one_sentence()
        no_figure = project.manuscript()
        project.change_one_number(0.3)
        fast = project.manuscript("html")
        shutil.rmtree(project.generated / ".cache")
        peak = peak_rss_mib(project.build())

    # (name, timing now, issue 14 before the cache, 1 December (the cache, figures painted in
    #  place), ratio now (wall), goal, met)
    rows = [
        ("cold build + render, 3 formats", cold, "17 + 9.6 s", "1.55x bare",
         f"{cold.wall / bare.wall:.2f}x bare", "<= 2x bare", cold.wall <= 2 * bare.wall),
        ("bare pandoc + weasyprint, same sources", bare, "", "", "", "", None),
        ("unchanged make manuscript", unchanged, "redid all", "0.48 s",
         f"{unchanged.wall / cold.wall:.3f}x cold", "< 1 s", unchanged.wall < 1),
        ("one number: build + HTML", fast, "", "3.34 s", f"{fast.wall / cold.wall:.2f}x cold",
         "<= 3 s", fast.wall <= 3),
        ("one number: build + 3 formats", one_number, "45 s", "0.73x cold",
         f"{one_number.wall / cold.wall:.2f}x cold", "<= 0.5x cold",
         one_number.wall <= 0.5 * cold.wall),
        ("no figure changed: build + 3 formats", no_figure, "", "",
         f"{no_figure.wall / cold.wall:.2f}x cold", "", None),
    ]  # fmt: skip
    print(f"{'measurement':40} {'now':>8} {'CPU now':>8} {'issue 14':>11} {'1 Dec':>11} "
          f"{'ratio now':>12} {'CPU ratio':>10} {'goal':>13}  met")  # fmt: skip
    reference = {"bare": bare, "cold": cold}
    for name, timing, before, previous, ratio, goal, met in rows:
        verdict = "" if met is None else ("yes" if met else "NO")
        base = reference.get(ratio.rsplit(" ", 1)[-1]) if ratio else None
        cpu_ratio = f"{timing.cpu / base.cpu:.2f}x" if base else ""
        print(f"{name:40} {timing.wall:7.2f}s {timing.cpu:7.2f}s {before:>11} {previous:>11} "
              f"{ratio:>12} {cpu_ratio:>10} {goal:>13}  {verdict}")  # fmt: skip
    print(f"{'peak memory of a cold build (max RSS)':40} {peak:6.0f} MiB (largest process)")
    print(f"(load average before: {load_before}; after measuring: {_load()}; "
          f"cores: {len(os.sched_getaffinity(0))}: absolute times grow with the load, the "
          "ratios much less)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
