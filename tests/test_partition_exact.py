"""Exact CP-SAT partition of small node graphs (gridmap.partition.exact)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from gridmap.partition.exact import (
    MAX_NODES,
    ExactResult,
    doomed,
    exact_partition,
    prove_out_of_range,
)
from gridmap.partition.solve import NodeGraph


def _graph(weights: list[int], edges: list[tuple[int, int]]) -> NodeGraph:
    u = np.asarray([a for a, _ in edges], dtype=np.int64)
    v = np.asarray([b for _, b in edges], dtype=np.int64)
    return NodeGraph.from_edges(len(weights), np.asarray(weights), u, v, np.ones(len(edges)))


def _path(weights: list[int]) -> NodeGraph:
    return _graph(weights, [(i, i + 1) for i in range(len(weights) - 1)])


def _lattice(side: int, weights: np.ndarray) -> NodeGraph:
    edges = []
    for r in range(side):
        for c in range(side):
            a = r * side + c
            if c + 1 < side:
                edges.append((a, a + 1))
            if r + 1 < side:
                edges.append((a, a + side))
    return _graph([int(x) for x in weights], edges)


def _connected_groups(graph: NodeGraph, parts: np.ndarray) -> bool:
    for g in np.unique(parts):
        nodes = np.flatnonzero(parts == g)
        sub = graph.matrix()[nodes][:, nodes]
        if connected_components(csr_array(sub), directed=False)[0] != 1:
            return False
    return True


def _loads(graph: NodeGraph, parts: np.ndarray) -> np.ndarray:
    return np.bincount(parts, weights=graph.weight).astype(int)


def test_feasible_lattice_in_range_and_connected() -> None:
    rng = np.random.default_rng(3)
    graph = _lattice(5, rng.integers(40, 120, 25))
    res = exact_partition(graph, low=300, high=500, deterministic_time=5.0)
    assert res.status == "optimal"
    assert res.parts is not None
    load = _loads(graph, res.parts)
    assert ((load >= 300) & (load <= 500)).all()
    assert res.out_of_range == 0 and res.bound == 0
    assert _connected_groups(graph, res.parts)


def test_contiguity_binds() -> None:
    # Without contiguity {0, 3} (400) and {1, 2} (400) would do; on the path
    # 200-200-200-200 the only split in range is {0,1} + {2,3}.
    graph = _path([200, 200, 200, 200])
    res = exact_partition(graph, low=300, high=500, deterministic_time=2.0)
    assert res.status == "optimal"
    assert res.parts is not None
    assert res.parts.tolist() == [0, 0, 1, 1]


def test_towers_between_big_nodes_proven_infeasible() -> None:
    # 256 and 264 can join neither each other (520) nor a 450 (706, 714).
    graph = _path([450, 256, 264, 450])
    res = exact_partition(graph, low=300, high=500, deterministic_time=2.0)
    assert res.bound >= 1
    assert res.status == "optimal"
    assert res.out_of_range == 1
    assert res.parts is not None and _connected_groups(graph, res.parts)
    assert doomed(graph, 1, low=300, high=500, budget=1.0)
    assert not doomed(graph, 0, low=300, high=500, budget=1.0)


def test_bound_needs_contiguity() -> None:
    # Households alone allow 140+250, 140+250, 450; on this path the 140s
    # reach the 250s only through the 450.
    graph = _path([140, 140, 450, 250, 250])
    res = exact_partition(graph, low=300, high=500, deterministic_time=2.0)
    assert res.bound == 1
    assert res.status == "optimal" and res.out_of_range == 1
    assert res.parts is not None and _connected_groups(graph, res.parts)


def test_hint_is_used_and_kept_when_optimal() -> None:
    graph = _path([150, 150, 200, 200, 100])
    hint = np.asarray([1, 1, 0, 0, 0])
    res = exact_partition(graph, low=300, high=500, hint=hint)
    assert res.status == "optimal"
    assert res.parts is not None
    assert res.parts.tolist() == [0, 0, 1, 1, 1]  # relabelled by smallest node


def test_deterministic() -> None:
    rng = np.random.default_rng(7)
    graph = _lattice(6, rng.integers(30, 110, 36))
    a = exact_partition(graph, low=300, high=500, deterministic_time=1.0)
    b = exact_partition(graph, low=300, high=500, deterministic_time=1.0)
    assert a.status == b.status and a.bound == b.bound
    assert (a.parts is None) == (b.parts is None)
    if a.parts is not None and b.parts is not None:
        assert a.parts.tolist() == b.parts.tolist()
        assert _connected_groups(graph, a.parts)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_returned_group_connected(seed: int) -> None:
    rng = np.random.default_rng(seed)
    graph = _lattice(5, rng.integers(20, 200, 25))
    res = exact_partition(graph, low=300, high=500, deterministic_time=2.0)
    assert res.parts is not None
    assert _connected_groups(graph, res.parts)
    assert res.out_of_range is not None and res.out_of_range >= res.bound


def test_too_large_refused() -> None:
    n = MAX_NODES + 1
    graph = _path([10] * n)
    res = exact_partition(graph, low=300, high=500)
    assert res == ExactResult("unknown", None, None, None, 0)


def test_ladder_proves_two_groups_out() -> None:
    # Each tower pair fits neither together (520) nor with a 450: two groups out.
    graph = _path([450, 256, 264, 450, 256, 264, 450])
    res = exact_partition(graph, low=300, high=500, deterministic_time=2.0)
    assert res.status == "optimal"
    assert res.bound == 2 and res.out_of_range == 2
    assert res.parts is not None and _connected_groups(graph, res.parts)


def test_prove_out_of_range() -> None:
    assert prove_out_of_range(_path([450, 256, 264, 450]), low=300, high=500)
    assert not prove_out_of_range(_path([200, 200, 200, 200]), low=300, high=500)


def test_exact_repair_replaces_a_partition_with_grids_out_of_range() -> None:
    from gridmap.partition.solve import _exact_repair

    rng = np.random.default_rng(3)
    graph = _lattice(5, rng.integers(40, 120, 25))
    # Two rows and three rows of the lattice: both far above 500.
    halves = (np.arange(25) >= 10).astype(np.int64)
    assert (_loads(graph, halves) > 500).all()
    fixed, bound = _exact_repair(graph, halves, low=300, high=500, k=None, budget=5.0)
    assert bound == 0
    load = _loads(graph, fixed)
    assert ((load >= 300) & (load <= 500)).all()
    assert _connected_groups(graph, fixed)
    # Two towers between big compounds: one grid must stay out of range.
    towers = _path([450, 256, 264, 450])
    better, bound = _exact_repair(
        towers, np.asarray([0, 0, 1, 1]), low=300, high=500, k=None, budget=2.0
    )
    assert bound == 1
    assert sorted(_loads(towers, better)) == [450, 450, 520]
    # Nothing better exists: the partition comes back unchanged.
    best = np.asarray([0, 1, 1, 2])
    again, _ = _exact_repair(towers, best, low=300, high=500, k=None, budget=2.0)
    assert (again == best).all()


def test_thorough_mode_is_offered_and_checked() -> None:
    from gridmap import synth
    from gridmap.errors import InputError
    from gridmap.partition import partition_grids
    from gridmap.partition.solve import partition_component

    rng = np.random.default_rng(3)
    graph = _lattice(5, rng.integers(40, 120, 25))
    parts = partition_component(graph, low=300, high=500, k=None, seed=1, area=1e6, exact_time=2.0)
    load = _loads(graph, parts)
    assert ((load >= 300) & (load <= 500)).all() and _connected_groups(graph, parts)
    d = synth.generate_district(n_buildings=40, seed=1)
    with pytest.raises(InputError, match="--exact -1"):
        partition_grids(d["buildings"], exact_time=-1)


def test_thorough_mode_names_communities_proven_to_keep_a_grid_out_of_range() -> None:
    """Two towers (256 + 264, one compound of 520) between compounds of 450: one grid must fail."""
    import geopandas as gpd
    import shapely

    from gridmap.errors import GridmapWarning
    from gridmap.partition import partition_grids

    x0, y0 = 440000.0, 4420000.0
    boxes = [shapely.box(x0 + 40 * i, y0, x0 + 40 * i + 20, y0 + 20) for i in range(4)]
    buildings = gpd.GeoDataFrame(
        {
            "building_id": ["B1", "B2", "B3", "B4"],
            "households": [450, 256, 264, 450],
            "compound_id": ["C1", "C2", "C2", "C3"],
        },
        geometry=boxes,
        crs="EPSG:32650",
    )
    with pytest.warns(GridmapWarning) as caught:
        part = partition_grids(buildings, exact_time=2.0, workers=1)
    text = [str(w.message) for w in caught]
    assert any("must keep grids outside 300-500" in t and "(1)" in t for t in text), text
    loads = sorted(part.grids["households"])
    assert loads == [450, 450, 520]
    with pytest.warns(GridmapWarning) as plain:
        partition_grids(buildings, workers=1)
    assert not any("must keep grids" in str(w.message) for w in plain)
