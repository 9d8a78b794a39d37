"""Communities partitioned on several processes, GEOS calls on several threads: same result."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import shapely
from fork_support import run_fresh

from gridmap.partition import parallel


def _square(x: int) -> int:
    return x * x


def test_jobs_serial_keep_order_and_report_progress() -> None:
    seen: list[float] = []
    out = parallel.run_jobs(
        _square, [{"x": i} for i in range(7)], sizes=[1] * 7, workers=1, progress=seen.append
    )
    assert out == [i * i for i in range(7)]
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_chunks_balance_sizes_and_cover_every_job() -> None:
    sizes = [50, 1, 1, 30, 20, 5, 5, 40]
    chunks = parallel._chunks(sizes, 3)
    assert sorted(i for c in chunks for i in c) == list(range(len(sizes)))
    loads = [sum(sizes[i] for i in c) for c in chunks]
    assert max(loads) - min(loads) <= 10


def test_workers_from_argument_limit_environment_and_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    cpus = parallel._usable_cpus()
    monkeypatch.setenv("GRIDMAP_WORKERS", "1")
    assert parallel.available_workers() == 1
    assert parallel.available_workers(2) == min(2, cpus)
    assert parallel.available_workers(64) == cpus  # never more than the CPUs
    monkeypatch.setenv("GRIDMAP_WORKERS", "many")
    assert parallel.available_workers() == cpus
    with parallel.worker_limit(1):
        assert parallel.available_workers() == 1
        # A limit of one also keeps large GEOS calls on this thread.
        seen: list[int] = []
        parallel.threaded(lambda a: seen.append(len(a)) or a, np.arange(10_000), min_size=10)
        assert seen == [10_000]
    assert parallel.available_workers() == cpus


def test_threaded_geos_call_equals_one_call() -> None:
    rng = np.random.default_rng(3)
    a = shapely.buffer(shapely.points(rng.uniform(0, 500, (3000, 2))), 12, quad_segs=3)
    b = shapely.buffer(shapely.points(shapely.get_coordinates(shapely.centroid(a)) + 7), 9)
    one = shapely.intersection(a, b)
    split = parallel.threaded(shapely.intersection, a, b, workers=3, min_size=100)
    assert len(split) == len(one)
    assert shapely.equals_exact(one, split, 0).all()


# Run in a fresh interpreter (fork_support.run_fresh), where the fork path is really taken.
_SCRIPT = textwrap.dedent(
    """
    import warnings
    from fork_support import count_pools
    from gridmap import synth
    from gridmap.partition import parallel, partition_grids

    parallel.MIN_PARALLEL_SIZE = 0
    pools = count_pools()
    d = synth.generate_district(n_buildings=600, seed=5)
    out = []
    for workers in (1, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = partition_grids(d["buildings"], communities=d["communities"],
                                roads=d["roads"], seed=2, workers=workers)
        out.append((list(p.buildings["grid_id"]), [g.wkb for g in p.grids.geometry],
                    list(p.buildings["micro_grid_id"])))
    print("pools", len(pools), "same", out[0] == out[1], "grids", len(out[0][1]))
    """
)


def test_partition_on_two_processes_equals_one() -> None:
    done = run_fresh(_SCRIPT)
    line = done.stdout.strip().splitlines()[-1]
    # Two pools with two workers: the street tiles, then the partition.
    assert line.startswith("pools 2 same True"), done.stdout + done.stderr
    assert int(line.split()[-1]) > 5


def test_workers_below_one_are_refused() -> None:
    from gridmap import synth
    from gridmap.errors import InputError
    from gridmap.partition import partition_grids

    d = synth.generate_district(n_buildings=40, seed=1)
    with pytest.raises(InputError, match="--workers 0 must be at least 1"):
        partition_grids(d["buildings"], workers=0)


def test_reproject_equals_geopandas_to_crs() -> None:
    import geopandas as gpd
    from pyproj import CRS

    rng = np.random.default_rng(4)
    pts = rng.uniform(0, 5000, (3000, 2)) + [440000, 4420000]
    geoms = shapely.buffer(shapely.points(pts), 15, quad_segs=2)
    geoms[7] = None
    geoms[9] = shapely.Point(440010, 4420010, 5)
    want = gpd.GeoSeries(geoms, crs="EPSG:32650").to_crs("EPSG:4326")
    got = parallel.reproject(geoms, CRS.from_epsg(32650), CRS.from_epsg(4326))
    assert shapely.equals_exact(np.asarray(want.array), got, 0)[np.arange(3000) != 7].all()
    assert got[7] is None and shapely.has_z(got[9])
