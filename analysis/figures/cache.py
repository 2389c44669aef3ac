"""A content-addressed cache of drawn figures, and the drawing of the missing ones in parallel.

A figure's key is the SHA-256 of everything that decides its pixels: which drawing function,
the arguments it is called with (the figure's own slice of results.json — one outcome, the
risk-of-bias rows, the PRISMA counts — and its settings), the style (:data:`RC_PARAMS`), the PNG
resolution and the code version (:func:`analysis.fingerprint.code_version`). The same key
therefore always means the same bytes, and a one-number change in one outcome changes the keys
of that outcome's figures only.

An entry is a folder ``<cache>/<key[:2]>/<key>/`` holding ``figure.svg``, ``figure.png`` (each
only once some build asked for it) and ``size.json`` (the figure's size in mm), written last, so
an entry is complete when ``size.json`` exists. Missing figures are drawn in worker processes
(:class:`concurrent.futures.ProcessPoolExecutor`, one per core); each figure is drawn alone in
its own process with the project's fixed style, so the output does not depend on which worker
drew it or in which order.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from analysis import progress
from analysis.cache_folder import ignore_in_git, keys_to_keep
from analysis.cores import default_workers, worker_initializer
from analysis.figures.output import save_figure
from analysis.figures.style import RC_PARAMS
from analysis.fingerprint import code_version, digest_json

SIZE_FILE = "size.json"


def figure_key(job, dpi: int) -> str:
    """The cache key of one :class:`~analysis.figures.FigureJob` drawn at ``dpi``."""
    import matplotlib

    return digest_json(
        {
            "draw": job.draw,
            "inputs": job.inputs,
            "style": RC_PARAMS,
            "dpi": dpi,
            "matplotlib": matplotlib.__version__,
            "code": code_version(),
        }
    )


class FigureCache:
    """Figure files by key under ``root`` (see the module docstring)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def has(self, key: str, formats) -> bool:
        entry = self.entry(key)
        return (entry / SIZE_FILE).is_file() and all(
            (entry / f"figure.{fmt}").is_file() for fmt in formats
        )

    def size_mm(self, key: str) -> tuple[float, float]:
        size = json.loads((self.entry(key) / SIZE_FILE).read_text(encoding="utf-8"))
        return size["width_mm"], size["height_mm"]

    def prepare(self) -> None:
        ignore_in_git(self.root, "figure cache of `python -m analysis build`")

    def prune(self, keys: list[str]) -> None:
        """Keep the entries of this build and of the one before; delete the rest
        (:func:`analysis.cache_folder.keys_to_keep`)."""
        keep = keys_to_keep(self.root, keys)
        for entry in self.root.glob("??/*"):
            if entry.is_dir() and entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)

    def copy_out(self, key: str, stem: str, out_dir: Path, formats) -> None:
        """Copy the entry's files to ``out_dir/<stem>.<format>``."""
        for fmt in formats:
            target = out_dir / f"{stem}.{fmt}"
            partial = out_dir / f".{stem}.{fmt}.partial"
            shutil.copyfile(self.entry(key) / f"figure.{fmt}", partial)
            os.replace(partial, target)


def draw_job(job, out_dir: str, stem: str, formats: tuple[str, ...], dpi: int):
    """Draw one figure and save it as ``out_dir/<stem>.<format>``; returns (width, height) in
    mm. Runs in a worker process: module-level, arguments picklable."""
    from analysis.figures import DRAWERS

    fig = DRAWERS[job.draw](*job.args, **job.kwargs)
    saved = save_figure(fig, stem, out_dir, "", "", dpi=dpi, formats=formats)
    return saved.width_mm, saved.height_mm


def _draw_into_entry(job, entry: str, formats: tuple[str, ...], dpi: int):
    """Draw one figure into its cache entry and mark the entry complete."""
    width, height = draw_job(job, entry, "figure", formats, dpi)
    size = json.dumps({"width_mm": width, "height_mm": height})
    partial = Path(entry) / f".{SIZE_FILE}.partial"
    partial.write_text(size, encoding="utf-8")
    os.replace(partial, Path(entry) / SIZE_FILE)
    return width, height


def run_parallel(
    function, calls: list[tuple], workers: int | None = None, names: list[str] | None = None
) -> list:
    """``[function(*args) for args in calls]``, in worker processes when there is more than one
    call and more than one core; results in the order of ``calls``. On a terminal a progress
    line counts the calls as they finish (``names`` label them)."""
    names = names or [""] * len(calls)
    counter = progress.Counter("figures", total=len(calls))
    workers = min(workers or default_workers(), len(calls))
    try:
        if workers <= 1:
            results = []
            for args, name in zip(calls, names, strict=True):
                results.append(function(*args))
                counter.advance(name)
            return results
        pool = ProcessPoolExecutor(max_workers=workers, initializer=worker_initializer)
        try:
            futures = {
                pool.submit(function, *args): name for args, name in zip(calls, names, strict=True)
            }
            for future in as_completed(futures):
                counter.advance(futures[future])
            results = [future.result() for future in futures]
        except BaseException:  # Ctrl-C or a failed figure: stop the other drawings now
            _stop_workers(pool)
            raise
        pool.shutdown()
        return results
    finally:
        counter.close()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the running drawings and cancel the queued ones (a figure being drawn is
    discarded: its cache entry is complete only once ``size.json`` is written)."""
    # ProcessPoolExecutor has no public way to end running calls before Python 3.14
    # (terminate_workers); its processes are in ``_processes``, which shutdown() clears
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=5)


def draw_cached(
    jobs, cache: FigureCache, out_dir: Path, formats: tuple[str, ...], dpi: int, workers=None
):
    """Copy every job's figure from the cache to ``out_dir``, drawing those missing in parallel
    first. Returns ``(sizes, drawn)``: (width, height) in mm per job, and the stems drawn."""
    cache.prepare()
    keys = [figure_key(job, dpi) for job in jobs]
    missing = {key: job for key, job in zip(keys, jobs, strict=True) if not cache.has(key, formats)}
    for key in missing:
        cache.entry(key).mkdir(parents=True, exist_ok=True)
    run_parallel(
        _draw_into_entry,
        [(job, str(cache.entry(key)), formats, dpi) for key, job in missing.items()],
        workers,
        names=[job.stem for job in missing.values()],
    )
    for key, job in zip(keys, jobs, strict=True):
        cache.copy_out(key, job.stem, out_dir, formats)
    cache.prune(keys)
    drawn = [job.stem for job in missing.values()]
    return [cache.size_mm(key) for key in keys], drawn
