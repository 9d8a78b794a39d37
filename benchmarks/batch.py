"""City-scale batch: import, grids and members for a synthetic city, with 1 and 2 workers.

Run: ``.venv/bin/python benchmarks/batch.py [--buildings 1000000] [--workers 1 2]``.

1. **import**: the synthetic city (:func:`gridmap.synth.iter_district_chunks`)
   is streamed street by street, each street's buildings checked with
   :func:`gridmap.schema.validate_buildings` and appended to one GeoParquet
   file (one row group per street), so the city is never in memory at once.
2. **batch**: :func:`gridmap.batch.run_batch` on that file with a local Dask
   cluster of 1 and then 2 worker processes; each worker reads its street with
   a pyarrow filter, partitions it, assigns members and writes its results.
3. **baseline, same run**: the same number of empty Dask tasks on the same
   cluster size, which is the scheduling cost per chunk without any work.

Memory is sampled with psutil every 0.1 s: the peak of the sum of the resident
memory of all worker processes (children of this process), and of this
process (the driver). Prints one table. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from gridmap import batch, settings, synth
from gridmap.errors import GridmapWarning
from gridmap.schema import validate_buildings

MIB = 1024 * 1024


class MemorySampler:
    """Peak resident memory of this process and of the sum of its child processes."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_children = 0
        self.peak_self = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        children = 0
        for child in me.children(recursive=True):
            try:
                children += child.memory_info().rss
            except psutil.Error:  # a process that ended between listing and reading
                continue
        self.peak_children = max(self.peak_children, children)
        self.peak_self = max(self.peak_self, me.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def import_city(n_buildings: int, seed: int, path: Path) -> dict[str, Any]:
    """Stream the synthetic city into one GeoParquet file, a street per row group."""
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    streets = rows = 0
    with MemorySampler() as memory, timed() as seconds:
        for layers in synth.iter_district_chunks(n_buildings=n_buildings, seed=seed):
            buildings = validate_buildings(layers["buildings"])
            if writer is None:
                # The GeoParquet metadata geopandas writes for the first street, without
                # its bounding box, describes the whole file.
                first = io.BytesIO()
                buildings.to_parquet(first, index=False)
                schema = pq.read_schema(io.BytesIO(first.getvalue()))
                geo = json.loads(schema.metadata[b"geo"])
                for column in geo["columns"].values():
                    column.pop("bbox", None)
                    column["geometry_types"] = ["MultiPolygon", "Polygon"]
                schema = schema.with_metadata({b"geo": json.dumps(geo).encode()})
                writer = pq.ParquetWriter(path, schema, compression="zstd")
            table = pa.Table.from_pandas(buildings.to_wkb(), preserve_index=False)
            assert schema is not None
            writer.write_table(table.cast(schema))
            streets += 1
            rows += len(buildings)
        if writer is not None:
            writer.close()
    return {
        "stage": "import (synth -> GeoParquet)",
        "workers": "-",
        "buildings": rows,
        "chunks": streets,
        "wall_s": seconds(),
        "engine_s": None,
        "overhead_ms": None,
        "workers_mib": None,
        "driver_mib": memory.peak_self / MIB,
    }


def run(path: Path, out: Path, workers: int) -> tuple[dict[str, Any], batch.BatchReport]:
    with MemorySampler() as memory, timed() as seconds:
        report = batch.run_batch(path, out, n_workers=workers, processes=True)
    wall = seconds()
    engine = sum(c.seconds for c in report.chunks)
    n = len(report.chunks)
    row = {
        "stage": "batch: grids + members",
        "workers": workers,
        "buildings": sum(c.buildings for c in report.chunks),
        "chunks": n,
        "wall_s": wall,
        "engine_s": engine,
        # Time the workers were not inside a chunk's own work, per chunk:
        # cluster start, scheduling, reading the filter, result transfer.
        "overhead_ms": 1000 * max(0.0, wall * workers - engine) / max(n, 1),
        "workers_mib": memory.peak_children / MIB,
        "driver_mib": memory.peak_self / MIB,
        "failed": len(report.failed),
        "max_worker_rss_mib": max((c.peak_rss_mb or 0.0) for c in report.chunks),
    }
    return row, report


def noop(i: int) -> int:
    return i


def scheduling_baseline(n_tasks: int, workers: int) -> dict[str, Any]:
    """The same number of empty tasks on the same local cluster: Dask's own cost per chunk."""
    from distributed import Client, as_completed

    with (
        timed() as total,
        batch.start_local_cluster(n_workers=workers) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        with timed() as tasks:
            futures = [client.submit(noop, i, pure=False) for i in range(n_tasks)]
            for future in as_completed(futures, loop=client.loop):
                future.result()
        task_seconds = tasks()
    return {
        "stage": "baseline: empty Dask tasks",
        "workers": workers,
        "buildings": 0,
        "chunks": n_tasks,
        "wall_s": total(),
        "engine_s": 0.0,
        "overhead_ms": 1000 * task_seconds * workers / max(n_tasks, 1),
        "workers_mib": None,
        "driver_mib": None,
    }


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        "stage",
        "workers",
        "buildings",
        "chunks",
        "wall s",
        "bldg/s",
        "engine s",
        "overhead/chunk ms",
        "peak RSS workers MiB",
        "peak RSS driver MiB",
    )
    lines = []
    for r in rows:
        rate = r["buildings"] / r["wall_s"] if r["buildings"] and r["wall_s"] else None
        lines.append(
            (
                r["stage"],
                fmt(r["workers"]),
                fmt(r["buildings"]),
                fmt(r["chunks"]),
                fmt(r["wall_s"]),
                fmt(rate, 0),
                fmt(r["engine_s"]),
                fmt(r["overhead_ms"]),
                fmt(r["workers_mib"], 0),
                fmt(r["driver_mib"], 0),
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=settings.DEFAULT_SEED)
    parser.add_argument("--keep", type=Path, help="keep the city and outputs in this folder")
    args = parser.parse_args(argv)
    # The engines' warnings (grids out of range on synthetic data) are recorded per chunk.
    warnings.simplefilter("ignore", GridmapWarning)
    work = args.keep or Path(tempfile.mkdtemp(prefix="gridmap-bench-batch-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"gridmap batch benchmark: {args.buildings:,} synthetic buildings, seed {args.seed}, "
        f"workers {args.workers}, {os.cpu_count()} CPU cores, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    try:
        city = work / "city.parquet"
        rows.append(import_city(args.buildings, args.seed, city))
        print(f"imported in {rows[-1]['wall_s']:.1f} s -> {city}", flush=True)
        for workers in args.workers:
            row, report = run(city, work / f"out_{workers}", workers)
            rows.append(row)
            print(
                f"{workers} worker(s): {row['wall_s']:.1f} s, {len(report.chunks)} chunks, "
                f"{row['failed']} failed, largest worker {row['max_worker_rss_mib']:.0f} MiB",
                flush=True,
            )
            for chunk in report.failed[:3]:
                print(f"  failed {chunk.chunk_id}: {chunk.error}", flush=True)
            rows.append(scheduling_baseline(len(report.chunks), workers))
        print()
        print_table(rows)
        chunks = rows[0]["chunks"]
        print(
            f"\nchunks are streets of {args.buildings / max(chunks, 1):,.0f} buildings on average; "
            "'engine s' is the sum over chunks of the time inside partition + members + writing; "
            "'overhead/chunk' is (wall x workers - engine s) / chunks."
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
