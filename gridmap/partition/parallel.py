"""Run independent partition jobs on several cores.

Each community is partitioned on its own, and the tiles of each region are
cut on their own, so the jobs (one per community component; a few regions
each, :func:`job_groups`) share nothing and their results do not depend on
where or in which order they run: the output is the same with one worker or
many. The caller's own work goes on meanwhile in the calling process. The
standard library's process pool does the work; processes are started by
``fork`` (the parent's imports and memory are shared copy-on-write, so a pool
starts in milliseconds), which is only safe while the calling process runs a
single thread. Elsewhere (the Streamlit server runs many threads; platforms
without ``fork``) and for small inputs, where starting processes costs more
than it saves, the jobs run in this process, one after the other. Large
vectorised GEOS and pyproj calls are split over threads instead
(:func:`threaded`, :func:`reproject`): both libraries release the GIL. One
limit, set by :func:`worker_limit` around a call, caps processes and threads
alike.

Batch work over a whole city scales out on Dask (:mod:`gridmap.batch`); this
module only uses the cores of one machine for one call.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer

__all__ = [
    "MIN_PARALLEL_SIZE",
    "available_workers",
    "job_groups",
    "process_count",
    "reproject",
    "run_jobs",
    "threaded",
    "worker_limit",
]

# Below this many nodes in all, the jobs take less time (~0.3 s) than forking
# and feeding a pool costs on a loaded two-core machine.
MIN_PARALLEL_SIZE = 4000
# Chunks per worker: enough to even out unequal jobs, few enough to keep the
# pickling overhead small.
_CHUNKS_PER_WORKER = 4
# Groups per worker of job_groups: its jobs are vectorised over their items,
# and each job costs ~10 ms more (10,000 sites: 4 groups per worker took 0.45 s
# on two processes, 2 took 0.40 s).
_GROUPS_PER_WORKER = 2
_WORKERS_ENV = "GRIDMAP_WORKERS"


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# The caller's limit (partition_grids(workers=...)), seen by every call below it
# in this thread: processes and GEOS threads alike.
_LIMIT: contextvars.ContextVar[int | None] = contextvars.ContextVar("gridmap_workers", default=None)


@contextmanager
def worker_limit(workers: int | None) -> Iterator[None]:
    """Within the block, :func:`available_workers` answers ``workers`` (None: no limit set)."""
    token = _LIMIT.set(workers)
    try:
        yield
    finally:
        _LIMIT.reset(token)


def available_workers(requested: int | None = None) -> int:
    """Processes or threads to use, at most the usable CPUs.

    ``requested``, else the limit of an enclosing :func:`worker_limit`, else
    $GRIDMAP_WORKERS, else the usable CPUs.
    """
    if requested is None:
        requested = _LIMIT.get()
    if requested is None:
        env = os.environ.get(_WORKERS_ENV, "").strip()
        requested = int(env) if env.isdigit() and int(env) > 0 else None
    cpus = _usable_cpus()
    return max(1, min(int(requested) if requested is not None else cpus, cpus))


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


# The jobs of the running run_jobs call, for the forked workers (see there).
_SHARED: Sequence[Mapping[str, Any]] | None = None


def _run_shared(fn: Callable[..., Any], indices: list[int]) -> list[Any]:
    jobs = _SHARED
    if jobs is None:  # pragma: no cover - only if a worker was not forked from run_jobs
        raise RuntimeError("gridmap worker started without its jobs")
    # The processes already fill the allowed cores: no GEOS threads on top.
    with worker_limit(1):
        return [fn(**jobs[i]) for i in indices]


def _chunks(sizes: Sequence[int], count: int) -> list[list[int]]:
    """Job indices in ``count`` chunks of similar total size (largest job first, greedy)."""
    loads = [0] * count
    out: list[list[int]] = [[] for _ in range(count)]
    for i in sorted(range(len(sizes)), key=lambda j: (-sizes[j], j)):
        c = min(range(count), key=lambda x: (loads[x], x))
        out[c].append(i)
        loads[c] += max(1, sizes[i])
    return [c for c in out if c]


def process_count(total_size: int, workers: int | None = None) -> int:
    """Processes :func:`run_jobs` uses for jobs of ``total_size`` in all (1: this one).

    Processes pay only for large inputs, and are forked only while this
    process runs a single thread.
    """
    if total_size < MIN_PARALLEL_SIZE or not _can_fork():
        return 1
    return available_workers(workers)


def job_groups(sizes: Sequence[int], workers: int | None = None) -> list[list[int]]:
    """Items (of work ``sizes``) grouped into balanced jobs for :func:`run_jobs`.

    For callers whose work is cheaper in a few large vectorised jobs than in
    one job per item: all items in one group when the jobs would run in this
    process, else a few groups per process of similar total size.
    """
    count = process_count(sum(sizes), workers)
    if count <= 1:
        return [list(range(len(sizes)))] if len(sizes) else []
    return _chunks(sizes, count * _GROUPS_PER_WORKER)


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[Mapping[str, Any]],
    *,
    sizes: Sequence[int],
    workers: int | None = None,
    progress: Callable[[float], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[Any]:
    """``[fn(**job) for job in jobs]``, on several processes when that pays.

    Parameters
    ----------
    fn : callable
        A module-level function (it is sent to the worker processes by name).
    jobs : sequence of mapping
        Keyword arguments of each call (forked workers inherit them: they
        need not be picklable, and large shared objects cost nothing).
    sizes : sequence of int
        Work of each job (e.g. its nodes), to balance the chunks and to decide
        whether processes pay at all.
    workers : int, optional
        Processes to use (default :func:`available_workers`); 1 runs here.
    progress : callable, optional
        Called with the share of jobs done (0..1) as they finish.
    meanwhile : callable, optional
        Other work of the caller, run once in this process while the worker
        processes run the jobs; when the jobs run here, on a second thread
        beside them if more than one worker is allowed, else before them.
        (Beside the workers it is one more busy process than the limit.)

    Returns
    -------
    list
        The results, in the order of ``jobs``.
    """
    n_workers = min(process_count(sum(sizes), workers), len(jobs))
    if n_workers <= 1:
        return _run_here(fn, jobs, workers, progress, meanwhile)
    out: list[Any] = [None] * len(jobs)
    done = 0
    chunks = _chunks(sizes, n_workers * _CHUNKS_PER_WORKER)
    context = multiprocessing.get_context("fork")
    global _SHARED
    # The workers are forked after this: they find the jobs in their copy of
    # memory, so only chunk indices and results cross the pipes.
    _SHARED = jobs
    pool = concurrent.futures.ProcessPoolExecutor(n_workers, mp_context=context)
    try:
        # With fork, the first submit starts every process before the pool's
        # own thread: no thread is alive at fork time.
        futures = {pool.submit(_run_shared, fn, c): c for c in chunks}
        if meanwhile is not None:
            meanwhile()
        for future in concurrent.futures.as_completed(futures):
            chunk = futures[future]
            for i, result in zip(chunk, future.result(), strict=True):
                out[i] = result
            done += len(chunk)
            if progress is not None:
                progress(done / len(jobs))
    except BaseException:
        # An error or Ctrl-C: drop the chunks not started rather than wait for them.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        _SHARED = None
    pool.shutdown(wait=True)
    return out


def _run_here(
    fn: Callable[..., Any],
    jobs: Sequence[Mapping[str, Any]],
    workers: int | None,
    progress: Callable[[float], None] | None,
    meanwhile: Callable[[], None] | None,
) -> list[Any]:
    """The jobs of :func:`run_jobs` in this process (``meanwhile`` on a thread when allowed)."""

    def serial() -> list[Any]:
        results = []
        for job in jobs:
            results.append(fn(**job))
            if progress is not None:
                progress(len(results) / len(jobs))
        return results

    if meanwhile is None or available_workers(workers) <= 1:
        if meanwhile is not None:
            meanwhile()
        return serial()
    # GEOS releases the GIL: the caller's other work runs beside the jobs.
    with concurrent.futures.ThreadPoolExecutor(1) as side:
        # The thread keeps the caller's worker limit (a context variable).
        task = side.submit(contextvars.copy_context().run, meanwhile)
        results = serial()
        task.result()
    return results


# Below this many geometries a GEOS call is not worth splitting over threads.
MIN_THREADED_GEOMETRIES = 2000


def threaded(
    func: Callable[..., np.ndarray],
    *arrays: np.ndarray,
    workers: int | None = None,
    min_size: int = MIN_THREADED_GEOMETRIES,
) -> np.ndarray:
    """``func(*arrays)`` for a vectorised shapely function, split over threads.

    Shapely releases the GIL inside GEOS, so the pieces of one large call run
    side by side on several cores (and threads are safe in the app, unlike
    forked processes); the result is the array one call returns. Every
    argument is an array of the same length, split alike.
    """
    n = len(arrays[0])
    count = min(available_workers(workers), n // max(1, min_size // 2))
    if count <= 1:
        return func(*arrays)
    bounds = [n * i // count for i in range(count + 1)]

    def piece(i: int) -> np.ndarray:
        return func(*(a[bounds[i] : bounds[i + 1]] for a in arrays))

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return np.concatenate(list(pool.map(piece, range(count))))


def _reprojected(geoms: np.ndarray, source: CRS, target: CRS) -> np.ndarray:
    # One transformer per chunk: cheap, and no state is shared between threads.
    transformer = Transformer.from_crs(source, target, always_xy=True)
    out = geoms.copy()
    flat = ~(shapely.is_missing(geoms) | shapely.has_z(geoms))
    xy = shapely.get_coordinates(geoms[flat])
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    out[flat] = shapely.set_coordinates(geoms[flat].copy(), np.column_stack([x, y]))
    three = shapely.has_z(geoms)
    if three.any():
        xyz = shapely.get_coordinates(geoms[three], include_z=True)
        x, y, z = transformer.transform(xyz[:, 0], xyz[:, 1], xyz[:, 2])
        out[three] = shapely.set_coordinates(geoms[three].copy(), np.column_stack([x, y, z]))
    return out


def reproject(geoms: np.ndarray, source: CRS, target: CRS) -> np.ndarray:
    """``geoms`` from ``source`` to ``target`` (as GeoSeries.to_crs), on threads when large.

    pyproj and GEOS release the GIL, so the chunks of a large array (the grid
    and micro-grid polygons of a city) are projected side by side.
    """
    return threaded(lambda g: _reprojected(g, source, target), np.asarray(geoms, dtype=object))
