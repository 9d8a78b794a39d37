"""Street tiles built per group of regions, on forked processes: same tiles, same graph."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pytest
import shapely
from fork_support import run_fresh

from gridmap import synth
from gridmap.partition import engine, graph, parallel, partition_grids


class _Captured(Exception):
    pass


def _graph_inputs(n_buildings: int, seed: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments partition_grids passes to build_site_graph for a synthetic district."""
    seen: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def capture(*args: Any, **kwargs: Any) -> None:
        seen.append((args, kwargs))
        raise _Captured

    d = synth.generate_district(n_buildings=n_buildings, seed=seed)
    real = engine.build_site_graph
    engine.build_site_graph = capture  # type: ignore[assignment]
    try:
        with pytest.raises(_Captured):
            partition_grids(d["buildings"], communities=d["communities"], roads=d["roads"])
    finally:
        engine.build_site_graph = real
    return seen[0]


def _with_coincident_generators(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Generators of a few sites moved onto another site's, as onto one border point."""
    site_region = args[1]
    locate = kwargs["locate"].copy()
    for r in np.unique(site_region)[::3]:
        members = np.flatnonzero(site_region == r)[:3]
        locate[members[1:]] = locate[members[0]]
    return {**kwargs, "locate": locate}


def _bytes(g: graph.SiteGraph) -> list[bytes]:
    return [
        *(t.wkb for t in g.tiles),
        *(p.wkb for p in g.loose),
        *(np.ascontiguousarray(a).tobytes() for a in (g.u, g.v, g.length, g.crosses_street)),
    ]


def test_tiles_do_not_depend_on_the_grouping_of_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    args, kwargs = _graph_inputs(900, seed=4)
    kwargs = _with_coincident_generators(args, kwargs)
    with parallel.worker_limit(1):
        whole = graph.build_site_graph(*args, **kwargs)

        # Uneven groups, regions of one group far apart, in no particular order.
        def groups(sizes: list[int], workers: int | None = None) -> list[list[int]]:
            order = list(range(len(sizes) - 1, -1, -1))
            order = order[::2] + order[1::2]
            cut = [0, 1, 4, len(order) // 2, len(order)]
            return [order[a:b] for a, b in zip(cut[:-1], cut[1:], strict=True)]

        monkeypatch.setattr(graph, "job_groups", groups)
        split = graph.build_site_graph(*args, **kwargs)
    assert _bytes(whole) == _bytes(split)
    assert len(whole.u) > len(whole.xy)


def test_job_groups_one_group_here_balanced_groups_for_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes = [50, 1, 1, 30, 20, 5, 5, 40]
    monkeypatch.setattr(parallel, "_can_fork", lambda: False)
    assert parallel.job_groups(sizes, workers=2) == [list(range(8))]
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_SIZE", 1000)
    assert parallel.job_groups(sizes, workers=2) == [list(range(8))]  # too small to fork
    monkeypatch.setattr(parallel, "MIN_PARALLEL_SIZE", 0)
    got = parallel.job_groups(sizes, workers=2)
    assert sorted(i for g in got for i in g) == list(range(8))
    assert len(got) == 2 * parallel._GROUPS_PER_WORKER
    loads = [sum(sizes[i] for i in g) for g in got]
    assert max(loads) == max(sizes)  # the largest job alone, the others fill up to it
    assert parallel.job_groups([], workers=2) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_meanwhile_runs_once_beside_jobs_run_here(workers: int) -> None:
    calls: list[int] = []
    out = parallel.run_jobs(
        graph.polygonal,
        [{"geoms": np.asarray([shapely.box(0, 0, i + 1, 1)], dtype=object)} for i in range(3)],
        sizes=[1, 1, 1],
        workers=workers,
        meanwhile=lambda: calls.append(1),
    )
    assert calls == [1]
    assert [shapely.area(o[0]) for o in out] == [1.0, 2.0, 3.0]


# A fresh interpreter runs one thread, so the fork path is really taken there;
# 5,000 buildings are above MIN_PARALLEL_SIZE sites (it is left as it is).
_SCRIPT = textwrap.dedent(
    """
    from fork_support import count_pools
    import numpy as np
    from gridmap.partition import graph, parallel
    from test_partition_tiles import _bytes, _graph_inputs, _with_coincident_generators

    pools = count_pools()
    args, kwargs = _graph_inputs(5000, seed=3)
    kwargs = _with_coincident_generators(args, kwargs)
    out = []
    for workers in (1, 2):
        with parallel.worker_limit(workers):
            out.append(_bytes(graph.build_site_graph(*args, **kwargs)))

    def fail(x):
        raise ValueError(f"job {x} failed")
    parallel.MIN_PARALLEL_SIZE = 0
    try:
        parallel.run_jobs(fail, [{"x": i} for i in range(4)], sizes=[1] * 4, workers=2)
        raised = "none"
    except ValueError as err:
        raised = str(err)
    print("pools", len(pools), "same", out[0] == out[1], "raised", raised, "sites", len(args[0]))
    """
)


def test_tiles_on_two_processes_equal_one() -> None:
    done = run_fresh(_SCRIPT)
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("pools 2 same True raised job "), done.stdout + done.stderr
    assert int(line.split()[-1]) >= parallel.MIN_PARALLEL_SIZE
