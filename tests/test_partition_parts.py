"""gridmap.partition building blocks: codes, unit rows, micro-grids, the solver, tiles."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.partition.codes import grid_code, level_codes, micro_code, next_numbers, nw_se_order
from gridmap.partition.graph import region_tiles, site_points, voronoi_neighbours
from gridmap.partition.micro import micro_labels
from gridmap.partition.solve import (
    NodeGraph,
    choose_grid_count,
    grid_count_range,
    make_contiguous,
    partition_component,
    repair_parts,
    swap_parts,
    transfer_parts,
)
from gridmap.partition.units import slice_footprint, split_oversized, unit_count


def lattice(nx: int, ny: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points of an nx x ny lattice (20 m) and their 4-neighbour pairs."""
    xy = np.array([(20.0 * i, 20.0 * j) for i in range(nx) for j in range(ny)])
    u, v = [], []
    for i in range(nx):
        for j in range(ny):
            a = i * ny + j
            if i + 1 < nx:
                u.append(a)
                v.append(a + ny)
            if j + 1 < ny:
                u.append(a)
                v.append(a + 1)
    return xy, np.array(u), np.array(v)


def test_nw_se_order_reads_the_diagonal() -> None:
    xy = np.array([[10.0, 0.0], [0.0, 10.0], [10.0, 10.0], [0.0, 0.0]])
    # (0,10) is north-west, (10,0) south-east; (0,0) and (10,10) tie on the diagonal.
    assert list(nw_se_order(xy)) == [1, 2, 3, 0]


def test_codes_are_fifteen_digits_and_levels_reuse_numeric_ids() -> None:
    code = grid_code("003", "012", 7, division="110108")
    assert code == "110108003012007" and len(code) == 15
    assert micro_code(code, 2) == code + "002"
    xy = np.array([[0.0, 10.0], [10.0, 0.0]])
    assert level_codes(["001004", "001002"], xy) == {"001004": "004", "001002": "002"}
    assert level_codes(["东", "西"], xy) == {"东": "001", "西": "002"}
    assert next_numbers({1, 2, 5}, 2) == [6, 7]


def test_unit_count_and_slices() -> None:
    assert unit_count(400, 500) == 1
    assert unit_count(900, 500) == 12  # ceil(900 / 80) rows of at most a micro-grid
    assert unit_count(900, 500, units=3) == 3
    assert unit_count(2400, 500, units=3) == 6  # 800 per unit: two floor bands each
    foot = shapely.box(0, 0, 60, 12)
    parts = slice_footprint(foot, 4)
    assert len(parts) == 4
    assert abs(sum(p.area for p in parts) - foot.area) < 1e-6
    assert shapely.union_all(parts).equals(foot)


def test_split_oversized_keeps_every_household() -> None:
    rows = gpd.GeoDataFrame(
        {"building_id": ["A", "A-U1", "C"], "households": [700, 10, 20]},
        geometry=[
            shapely.box(0, 0, 60, 12),
            shapely.box(100, 0, 110, 10),
            shapely.box(0, 50, 9, 59),
        ],
        crs=32650,
    )
    out, split = split_oversized(rows, max_households=500)
    assert split == ["A"]
    units = out[out["parent_building_id"] == "A"]
    assert units["households"].sum() == 700
    # "A-U1" is taken, so the unit rows use another marker.
    assert all(x.startswith("A-UU") for x in units["building_id"])
    assert out["building_id"].is_unique
    assert out.loc[out["building_id"] == "C", "unit"].isna().all()


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    nx=st.integers(2, 6),
    ny=st.integers(2, 6),
    hh=st.lists(st.integers(0, 40), min_size=36, max_size=36),
)
def test_micro_grids_are_contiguous_and_cover_the_grid(nx: int, ny: int, hh: list[int]) -> None:
    xy, u, v = lattice(nx, ny)
    households = np.array(hh[: len(xy)])
    lab = micro_labels(xy, households, u, v, low=30, high=80)
    assert len(lab) == len(xy) and lab.min() == 0
    assert sorted(set(lab)) == list(range(lab.max() + 1))
    for m in range(lab.max() + 1):
        members = set(np.flatnonzero(lab == m))
        inner = [(a, b) for a, b in zip(u, v, strict=True) if a in members and b in members]
        graph = NodeGraph.from_edges(
            len(xy),
            np.zeros(len(xy)),
            np.array([a for a, _ in inner], dtype=int),
            np.array([b for _, b in inner], dtype=int),
            np.ones(len(inner)),
        )
        comp = graph.components()
        assert len({comp[i] for i in members}) == 1


def test_repair_pulls_parts_into_bounds_and_keeps_them_contiguous() -> None:
    xy, u, v = lattice(6, 6)
    w = np.full(36, 10)
    graph = NodeGraph.from_edges(36, w, u, v, np.ones(len(u)))
    # A lopsided start: 30 nodes in part 0, 6 in part 1 (a column).
    parts = np.where(np.arange(36) >= 30, 1, 0)
    out = repair_parts(graph, parts, low=150, high=210, target=np.full(2, 180.0), lam=0.0)
    loads = np.bincount(out, weights=w)
    assert ((loads >= 150) & (loads <= 210)).all()
    assert (make_contiguous(graph, out) == out).all()


def ring(weights: list[int]) -> NodeGraph:
    """A cycle graph of len(weights) nodes."""
    n = len(weights)
    u = np.arange(n)
    return NodeGraph.from_edges(n, np.array(weights), u, (u + 1) % n, np.ones(n))


def test_transfer_cycle_fixes_what_single_moves_cannot() -> None:
    # Three grids of two compounds round a ring: {288, 224} is 12 over 500, and
    # every single move or chain leaves some grid out of [300, 500]. Re-pairing
    # one step round the ring (224 -> B, 208 -> C, 208 -> A) fits all three.
    graph = ring([288, 224, 224, 208, 208, 208])
    parts = np.array([0, 0, 1, 1, 2, 2])
    target = np.full(3, 1360 / 3)
    same = repair_parts(graph, parts, low=300, high=500, target=target, lam=0.0)
    assert np.bincount(same, weights=graph.weight).max() > 500
    out = transfer_parts(graph, parts, low=300, high=500)
    loads = np.bincount(out, weights=graph.weight)
    assert sorted(loads.tolist()) == [416, 448, 496]
    assert (make_contiguous(graph, out) == out).all()
    # Nodes 2 and 5 (the only ones that can close a cycle either way) locked:
    # nothing changes.
    fixed = np.zeros(6, bool)
    fixed[[2, 5]] = True
    assert (transfer_parts(graph, parts, low=300, high=500, fixed=fixed) == parts).all()


def test_transfer_cycle_fills_an_under_full_grid() -> None:
    # Mirror image: {136, 128} is 36 under 300 and the repair cannot fix it.
    graph = ring([136, 128, 264, 192, 224, 256])
    parts = np.array([0, 0, 1, 1, 2, 2])
    same = repair_parts(graph, parts, low=300, high=500, target=np.full(3, 400.0), lam=0.0)
    assert np.bincount(same, weights=graph.weight).min() < 300
    out = transfer_parts(graph, parts, low=300, high=500)
    loads = np.bincount(out, weights=graph.weight)
    assert ((loads >= 300) & (loads <= 500)).all()
    assert (make_contiguous(graph, out) == out).all()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    hh=st.lists(st.integers(0, 200), min_size=25, max_size=25),
    k=st.integers(2, 6),
    lock=st.integers(0, 24),
)
def test_transfer_never_adds_violations_and_keeps_parts_whole(
    hh: list[int], k: int, lock: int
) -> None:
    xy, u, v = lattice(5, 5)
    graph = NodeGraph.from_edges(25, np.array(hh), u, v, np.ones(len(u)))
    # Vertical strips of the lattice as a contiguous start.
    parts = make_contiguous(graph, np.minimum(np.arange(25) // 5 * k // 5, k - 1))
    fixed = np.zeros(25, bool)
    fixed[lock] = True
    out = transfer_parts(graph, parts, low=150, high=250, fixed=fixed)
    assert out[lock] == parts[lock]
    assert (make_contiguous(graph, out) == out).all()
    assert out.max() == parts.max()

    def violations(p: np.ndarray) -> tuple[int, float]:
        load = np.bincount(p, weights=graph.weight)
        viol = np.maximum(0, 150 - load) + np.maximum(0, load - 250)
        return int((viol > 0).sum()), float(viol.sum())

    before, after = violations(parts), violations(out)
    assert after[0] <= before[0] and after[1] <= before[1]
    assert (transfer_parts(graph, parts, low=150, high=250, fixed=fixed) == out).all()


def test_partition_component_balances_a_lattice() -> None:
    xy, u, v = lattice(8, 8)
    w = np.full(64, 25)
    graph = NodeGraph.from_edges(64, w, u, v, np.ones(len(u)))
    parts = partition_component(graph, low=300, high=500, k=None, seed=1, area=64 * 400.0)
    loads = np.bincount(parts, weights=w)
    assert len(loads) == choose_grid_count(1600, 300, 500, n_nodes=64) == 4
    assert ((loads >= 300) & (loads <= 500)).all()


def shaped_lattice(nx: int, ny: int, weights: np.ndarray) -> NodeGraph:
    """The 20 m lattice with its shape data: square tiles, 20 m borders (no streets)."""
    xy, u, v = lattice(nx, ny)
    n = len(xy)
    return NodeGraph.from_edges(
        n,
        weights,
        u,
        v,
        np.full(len(u), 20.0),
        length=np.full(len(u), 20.0),
        area=np.full(n, 400.0),
        perimeter=np.full(n, 80.0),
    )


def test_shape_term_prefers_the_rounder_of_two_equal_load_splits() -> None:
    # 4 x 4 lattice, columns 0-1 against 2-3, but the empty tile at (2, 0) sits
    # in the left grid as a bump. Giving it back leaves every load as it is and
    # makes both grids rectangles: only the shape term sees the difference.
    w = np.full(16, 100)
    w[8] = 0
    graph = shaped_lattice(4, 4, w)
    bump = np.where(np.arange(16) >= 8, 1, 0)
    bump[8] = 0
    straight = np.where(np.arange(16) >= 8, 1, 0)
    target = np.full(2, 750.0)

    def repair(parts: np.ndarray, shape: float) -> np.ndarray:
        return repair_parts(graph, parts, low=600, high=900, target=target, lam=0.0, shape=shape)

    assert (repair(bump, 0.0) == bump).all()
    assert (repair(bump, 1000.0) == straight).all()
    assert (repair(straight, 1000.0) == straight).all()


def test_subgraph_keeps_shape_data_with_its_edges() -> None:
    # A path 0-1-2-3 with distinct border lengths, duplicates summed.
    u, v = np.array([0, 1, 2, 1]), np.array([1, 2, 3, 0])
    graph = NodeGraph.from_edges(
        4,
        np.array([1, 2, 3, 4]),
        u,
        v,
        np.array([1.0, 2.0, 3.0, 1.0]),
        length=np.array([10.0, 20.0, 30.0, 5.0]),
        area=np.array([100.0, 200.0, 300.0, 400.0]),
        perimeter=np.array([40.0, 50.0, 60.0, 70.0]),
    )
    sub = graph.subgraph(np.array([2, 1, 3]))
    plain = NodeGraph.from_edges(2, np.ones(2), u[:1], v[:1], np.ones(1))
    assert sub.has_shape and not plain.has_shape and not plain.subgraph(np.arange(2)).has_shape
    assert sub.area is not None and sub.perimeter is not None and sub.length is not None
    assert sub.area.tolist() == [300.0, 200.0, 400.0]
    assert sub.perimeter.tolist() == [60.0, 50.0, 70.0]
    pairs = {
        (int(a), int(sub.indices[j])): (float(sub.edge_weight[j]), float(sub.length[j]))
        for a in range(sub.n)
        for j in range(sub.indptr[a], sub.indptr[a + 1])
    }
    # Old 2-1 (weight 2, 20 m) and 2-3 (weight 3, 30 m); old 1-0 left out.
    assert pairs == {
        (0, 1): (2.0, 20.0),
        (1, 0): (2.0, 20.0),
        (0, 2): (3.0, 30.0),
        (2, 0): (3.0, 30.0),
    }
    full = graph.subgraph(np.arange(4))
    assert full.length is not None and full.length[full.indices == 0].tolist() == [15.0]


def test_swaps_balance_where_single_moves_cannot() -> None:
    # Four mutually adjacent compounds: any single move leaves a grid out of
    # [300, 500]; swapping 180 with 200 (or 190 with 220) turns 370 / 420 into
    # 390 / 400.
    u, v = np.array([0, 0, 0, 1, 1, 2]), np.array([1, 2, 3, 2, 3, 3])
    graph = NodeGraph.from_edges(4, np.array([190, 180, 200, 220]), u, v, np.ones(6))
    parts = np.array([0, 0, 1, 1])
    same = repair_parts(graph, parts, low=300, high=500, target=np.full(2, 395.0), lam=0.0)
    assert (same == parts).all()

    def swap(rounds: int) -> np.ndarray:
        return swap_parts(graph, parts, low=300, high=500, target=395.0, lam=0.0, rounds=rounds)

    assert sorted(np.bincount(swap(1), weights=graph.weight).tolist()) == [390, 400]
    assert (swap(0) == parts).all()


def test_shape_swaps_straighten_a_border_at_equal_loads() -> None:
    # Columns 0-1 against 2-3 with tiles (1, 0) and (2, 3) traded: loads stay
    # 800 / 800 either way, only the shape term prefers the straight border.
    graph = shaped_lattice(4, 4, np.full(16, 100))
    straight = np.where(np.arange(16) >= 8, 1, 0)
    zigzag = straight.copy()
    zigzag[[4, 11]] = [1, 0]

    def swap(shape: float) -> np.ndarray:
        return swap_parts(graph, zigzag, low=600, high=900, target=800.0, lam=0.0, shape=shape)

    assert (swap(0.0) == zigzag).all()
    assert (swap(1000.0) == straight).all()


def test_grid_count_choice() -> None:
    assert grid_count_range(1000, 300, 500) == (2, 3)
    assert choose_grid_count(1000, 300, 500, n_nodes=50) == 2  # 1000 / 400 -> 2.5 -> 2
    assert choose_grid_count(100, 300, 500, n_nodes=5) == 1
    # 550 fits no count: one grid of 550 (50 over) or two of 275 (2 x 25 under).
    assert choose_grid_count(550, 300, 500, n_nodes=10) == 1


def test_tiles_of_a_region_are_an_exact_coverage() -> None:
    rng = np.random.default_rng(3)
    region = shapely.Polygon([(0, 0), (300, 0), (300, 120), (150, 200), (0, 120)])
    pts = rng.uniform(10, 110, (60, 2)) * [2.5, 1.0]
    xy, _ = site_points(shapely.buffer(shapely.points(pts), 3))
    tiles = region_tiles(xy, region)
    assert shapely.coverage_is_valid(tiles)
    assert abs(shapely.area(tiles).sum() - region.area) < 1e-6


def test_voronoi_neighbours_ignore_degenerate_contacts() -> None:
    # A square lattice: diagonal neighbours touch only at a point.
    xy, u, v = lattice(4, 4)
    clip = shapely.box(-30, -30, 90, 90)
    a, b = voronoi_neighbours(xy, clip)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == {
        (min(x, y), max(x, y)) for x, y in zip(u.tolist(), v.tolist(), strict=True)
    }


@pytest.mark.parametrize("n", [1, 2, 3])
def test_tiny_inputs(n: int) -> None:
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]])[:n]
    region = shapely.box(-20, -20, 40, 20)
    tiles = region_tiles(xy, region)
    assert len(tiles) == n
    assert abs(shapely.area(tiles).sum() - region.area) < 1e-6
    a, _ = voronoi_neighbours(xy, region)
    assert len(a) == n - 1


def test_swaps_never_put_more_grids_out_of_bounds() -> None:
    """Two grids 5 over the maximum score lower than one 10 over: the swaps must not go there."""
    from gridmap.partition.solve import NodeGraph, score_parts, swap_parts

    u = np.asarray([0, 1, 2])
    v = np.asarray([1, 2, 3])
    graph = NodeGraph.from_edges(4, np.asarray([495, 15, 10, 490]), u, v, np.ones(3))
    start = np.asarray([0, 0, 1, 1])
    assert score_parts(graph, start, low=300, high=500)[0] == 1
    out = swap_parts(graph, start, low=300, high=500, target=505.0, lam=0.0)
    assert score_parts(graph, out, low=300, high=500)[0] == 1


def test_subgraph_matches_slicing_a_sparse_matrix() -> None:
    from scipy.sparse import csr_array

    rng = np.random.default_rng(3)
    n = 40
    u, v = rng.integers(0, n, 150), rng.integers(0, n, 150)
    graph = NodeGraph.from_edges(
        n,
        rng.integers(1, 50, n),
        u,
        v,
        rng.random(150),
        length=rng.random(150),
        area=rng.random(n),
        perimeter=rng.random(n),
    )
    assert graph.length is not None
    for nodes in (rng.permutation(n)[:25], np.sort(rng.permutation(n)[:10]), np.arange(n)):
        sub = graph.subgraph(nodes)
        ids = np.arange(1, len(graph.indices) + 1, dtype=float)
        want = csr_array((ids, graph.indices, graph.indptr), shape=(n, n))[nodes][:, nodes]
        want = want.tocsr()
        want.sort_indices()
        edge = want.data.astype(np.int64) - 1
        assert sub.indptr.tolist() == want.indptr.tolist()
        assert sub.indices.tolist() == want.indices.tolist()
        assert sub.edge_weight.tolist() == graph.edge_weight[edge].tolist()
        assert sub.length is not None and sub.length.tolist() == graph.length[edge].tolist()
        assert sub.weight.tolist() == graph.weight[nodes].tolist()


@pytest.mark.parametrize("seed", range(4))
def test_connected_without_agrees_with_a_plain_search(seed: int) -> None:
    """The shortcut (v's neighbours in its part touch each other) answers as a full search."""
    from gridmap.partition.solve import _Parts, metis_parts

    _, u, v = lattice(8, 8)
    rng = np.random.default_rng(seed)
    # Diagonals too: neighbours of a node then often touch each other.
    diag = np.array([(i * 8 + j, (i + 1) * 8 + j + 1) for i in range(7) for j in range(7)])
    keep = rng.random(len(diag)) < 0.5
    u, v = np.concatenate([u, diag[keep, 0]]), np.concatenate([v, diag[keep, 1]])
    graph = NodeGraph.from_edges(64, np.ones(64, np.int64), u, v, np.ones(len(u)))
    st = _Parts(graph, make_contiguous(graph, metis_parts(graph, 6, seed=seed)), None)
    adj = [set(graph.indices[graph.indptr[a] : graph.indptr[a + 1]].tolist()) for a in range(64)]

    def whole_without(part: int, x: int) -> bool:
        rest = {y for y in range(64) if st.parts[y] == part and y != x}
        if not rest:
            return False
        seen, todo = {min(rest)}, [min(rest)]
        while todo:
            for y in adj[todo.pop()] & rest - seen:
                seen.add(y)
                todo.append(y)
        return seen == rest

    for _ in range(40):
        for x in range(64):
            assert st.connected_without(st.parts[x], x) == whole_without(st.parts[x], x)
        # A random contiguity-keeping move, as the search makes them.
        moves = [
            (x, st.parts[y])
            for x in range(64)
            for y in adj[x]
            if st.parts[y] != st.parts[x] and st.connected_without(st.parts[x], x)
        ]
        x, b = moves[int(rng.integers(len(moves)))]
        st.move(x, b)


def test_connected_without_after_an_undone_bridging_move() -> None:
    """A part split again by an undone move is not taken for connected (the shortcut's memory)."""
    from gridmap.partition.solve import _Parts

    # 0-1-2, a triangle 2-3-4, and 4-5; part 1 = {0, 2, 3, 4} is split until 1 joins.
    u, v = np.array([0, 1, 2, 3, 2, 4]), np.array([1, 2, 3, 4, 4, 5])
    graph = NodeGraph.from_edges(6, np.ones(6, np.int64), u, v, np.ones(6))
    st = _Parts(graph, np.array([1, 0, 1, 1, 1, 0]), None)
    st.move(1, 1)
    assert st.connected_without(1, 3)  # whole: the part is seen connected
    st.move(1, 0)  # the undo: 0 is cut off again
    assert not st.connected_without(1, 3)
