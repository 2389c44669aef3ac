"""Benchmark: ``meta`` with REML on k = 2,000 studies against R's metafor, side by side.

Measures whole processes (start-up included), as a user would run them:

* ours:  ``python -m analysis meta FILE --measure GEN --method REML --json``
* R:     ``Rscript -e 'library(metafor); d <- read.csv(FILE);
                         rma(yi, vi, data = d, method = "REML")'``

and the peak memory (max RSS) of ours for growing k, to show it stays linear in k (metafor
builds k x k matrices). Needs Debian's ``r-cran-metafor`` for the R side (skipped with a
message when Rscript is missing). Run: ``make benchmark`` or ``.venv/bin/python
benchmarks/bench_reml.py [--k 2000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
R_CALL = (
    'suppressMessages(library(metafor)); d <- read.csv("{path}"); '
    'm <- rma(yi, vi, data = d, method = "REML"); cat(m$tau2, "\\n")'
)


def write_studies(path: Path, k: int, seed: int = 2026) -> None:
    """k synthetic studies from a random-effects model (tau² = 0.04), deterministic."""
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.005, 0.2, k)
    yi = rng.normal(-0.4, np.sqrt(0.04 + vi))
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["study", "yi", "vi"])
        writer.writerows(
            (f"S{i + 1}", f"{y:.10g}", f"{v:.10g}")
            for i, (y, v) in enumerate(zip(yi, vi, strict=True))
        )


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall time (s), peak RSS of the child (KiB) and stdout of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before), done.stdout


def ours(path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "analysis",
        "meta",
        str(path),
        "--measure",
        "GEN",
        "--method",
        "REML",
        "--json",
    ]


def peak_rss_kib(path: Path) -> int:
    """Peak RSS of one `meta` run, in a fresh interpreter so that runs do not mask each other."""
    probe = (
        "import resource, subprocess, sys; "
        f"subprocess.run({ours(path)!r}, check=True, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    return int(
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"studies_{args.k}.csv"
        write_studies(path, args.k)
        our_times = [timed(ours(path))[0] for _ in range(args.repeat)]
        print(f"ours  meta REML k={args.k}: best {min(our_times):.3f} s over {args.repeat} runs")
        if shutil.which("Rscript"):
            r_times = [
                timed(["Rscript", "-e", R_CALL.format(path=path)])[0] for _ in range(args.repeat)
            ]
            print(
                f"R     metafor rma REML k={args.k}: "
                f"best {min(r_times):.3f} s over {args.repeat} runs"
            )
            print(f"ratio ours/R = 1/{min(r_times) / min(our_times):.1f}")
        else:
            print("Rscript not found: install Debian's r-cran-metafor to time metafor")
        print("peak memory of `meta` (max RSS) by k:")
        for k in (1000, 2000, 4000, 8000, 16000):
            sized = Path(tmp) / f"studies_{k}.csv"
            write_studies(sized, k)
            print(f"  k={k:>6}: {peak_rss_kib(sized) / 1024:7.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
