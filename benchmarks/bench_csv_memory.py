"""Benchmark: peak memory of reading a 1-million-row CSV with the one CSV reader.

The goal (issue 13, item 12): reading a CSV of k = 1,000,000 studies keeps the peak memory of
the process below 5 times the file's size. The script writes a deterministic continuous-outcome
file (``study, n1, mean1, sd1, n2, mean2, sd2``, about 50 MB), then runs, each in a fresh
process, ``read_meta_csv`` (the reader ``meta`` uses: :class:`analysis.data.reading.CsvRows`
and the rules of :mod:`analysis.data.validation`) and, for comparison, a process that only
imports it. It prints the peak resident memory (max RSS, from GNU ``/usr/bin/time -v``) of
each and its ratio to the file size. Run: ``.venv/bin/python benchmarks/bench_csv_memory.py
[--k 1000000]``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
#: GNU time (Debian package ``time``)
TIME = "/usr/bin/time"
READ = (
    "import sys; from analysis.meta_input import read_meta_csv; "
    "d = read_meta_csv(sys.argv[1], 'SMD'); print(d.k)"
)
IMPORT_ONLY = "import sys; from analysis.meta_input import read_meta_csv; print(0)"


def write_studies(path: Path, k: int, seed: int = 2026) -> None:
    """k synthetic two-arm studies with arm sizes, means and SDs (deterministic)."""
    rng = np.random.default_rng(seed)
    n = rng.integers(10, 200, size=(k, 2))
    mean = np.round(rng.normal(10, 2, size=(k, 2)), 2)
    sd = np.round(rng.uniform(1, 4, size=(k, 2)), 2)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("study,n1,mean1,sd1,n2,mean2,sd2\n")
        for i in range(k):
            handle.write(
                f"Study {i + 1:07d},{n[i, 0]},{mean[i, 0]},{sd[i, 0]},"
                f"{n[i, 1]},{mean[i, 1]},{sd[i, 1]}\n"
            )


def peak_rss_bytes(code: str, *args: str) -> tuple[int, float]:
    """Max RSS of a fresh Python process running ``code`` (bytes), as ``/usr/bin/time -v``
    reports it, and its wall time (s). (``resource.RUSAGE_CHILDREN`` would count this
    process's own memory too: Linux keeps the peak across fork and exec.)"""
    start = time.perf_counter()
    done = subprocess.run(
        [TIME, "-v", sys.executable, "-c", code, *args],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return int(match.group(1)) * 1024, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=1_000_000, help="rows (default 1,000,000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "studies.csv"
        write_studies(path, args.k)
        size = path.stat().st_size
        base, _ = peak_rss_bytes(IMPORT_ONLY)
        peak, seconds = peak_rss_bytes(READ, str(path))
    mib = 1024 * 1024
    print(f"file: k = {args.k:,} rows, {size / mib:.1f} MiB")
    print(f"import only:    peak RSS {base / mib:7.1f} MiB")
    print(
        f"read_meta_csv:  peak RSS {peak / mib:7.1f} MiB = {peak / size:.2f} x the file size "
        f"(goal < 5 x; {seconds:.1f} s)"
    )
    return 0 if peak < 5 * size else 1


if __name__ == "__main__":
    sys.exit(main())
