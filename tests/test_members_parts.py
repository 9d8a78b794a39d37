"""Steps of the "1+10" assignment: blocks, distances, synthetic members, shortfall, tree."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap import settings
from gridmap.errors import InputError
from gridmap.members import (
    assign_members,
    build_tree,
    footprint_slices,
    grid_neighbours,
    split_households,
    street_graph,
    summarize_shortfall,
    synthesize_members,
    tabulate_tree,
    walk_distances,
)

UTM50 = 32650
X0, Y0 = 440_000.0, 4_428_000.0


def frame(rows: list[dict], crs: int = UTM50) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, crs=crs)


# --- blocks -------------------------------------------------------------------------


def test_small_units_stay_whole() -> None:
    b = frame(
        [
            {
                "building_id": "slab",
                "households": 20,
                "units": 2,
                "levels": 6,
                "geometry": shapely.box(0, 0, 40, 12),
            }
        ]
    )
    blocks = split_households(b, per_member=10)
    assert list(blocks["kind"]) == ["unit", "unit"]
    assert list(blocks["households"]) == [10, 10]
    assert list(blocks["unit"]) == [1, 2]
    # one more flat per unit and the units no longer fit one member: whole floors
    floors = split_households(b.assign(households=24), per_member=10)
    assert floors["kind"].tolist() == ["floors"] * 4
    assert floors["households"].tolist() == [6, 6, 6, 6]
    assert floors[["floor_from", "floor_to"]].to_numpy().tolist() == [[1, 3], [4, 6]] * 2
    assert blocks.geometry.area.tolist() == pytest.approx([240.0, 240.0])
    # unit 1 is the western half of the east-west slab
    assert blocks.geometry.iloc[0].bounds == pytest.approx((0, 0, 20, 12))


def test_large_units_split_by_floors() -> None:
    b = frame(
        [
            {
                "building_id": "tower",
                "households": 288,
                "units": 4,
                "levels": 18,
                "geometry": shapely.box(0, 0, 30, 60),
            }
        ]
    )
    blocks = split_households(b, per_member=10)
    assert set(blocks["kind"]) == {"floors"}
    assert blocks["households"].sum() == 288
    assert (blocks["start"].to_numpy()[1:] == blocks["stop"].to_numpy()[:-1]).all()
    # four flats a floor: two whole floors (8 households) per block, 9 blocks per unit
    assert (blocks["households"] == 8).all() and len(blocks) == 36
    wide = split_households(b.assign(units=1, levels=12), per_member=10)
    # 24 flats a floor: each floor is cut into three runs of doors
    assert wide["households"].tolist() == [8] * 36
    assert wide["floor_from"].tolist() == [f for f in range(1, 13) for _ in range(3)]
    unit1 = blocks[blocks["unit"] == 1]
    assert unit1["floor_from"].iloc[0] == 1 and unit1["floor_to"].iloc[-1] == 18
    assert (unit1["floor_from"].to_numpy()[1:] > unit1["floor_to"].to_numpy()[:-1]).all()
    # floors of one unit share the unit's quarter of the footprint (long axis north-south)
    assert unit1.geometry.area.iloc[0] == pytest.approx(450.0)
    assert unit1.geometry.iloc[0].bounds == pytest.approx((0, 0, 30, 15))


def test_buildings_without_units() -> None:
    b = frame(
        [
            {"building_id": "house", "households": 10, "geometry": shapely.box(0, 0, 10, 10)},
            {"building_id": "block", "households": 47, "geometry": shapely.box(20, 0, 70, 10)},
            {"building_id": "shop", "households": 0, "geometry": shapely.box(80, 0, 90, 10)},
        ]
    )
    blocks = split_households(b, per_member=10)
    assert blocks["building_id"].tolist() == ["house"] + ["block"] * 5
    assert blocks["kind"].tolist() == ["building"] + ["chunk"] * 5
    assert blocks.loc[blocks["building_id"] == "block", "households"].tolist() == [10, 10, 9, 9, 9]
    chunk_area = blocks.loc[blocks["building_id"] == "block"].geometry.area
    assert chunk_area.sum() == pytest.approx(500.0)
    assert chunk_area.iloc[0] == pytest.approx(500 * 10 / 47)
    with pytest.raises(InputError, match="per_member"):
        split_households(b, per_member=0)


def test_footprint_slices_tile_concave_footprints() -> None:
    ell = shapely.Polygon([(0, 0), (60, 0), (60, 10), (10, 10), (10, 30), (0, 30)])
    cuts = np.linspace(0, 1, 5)
    parts = footprint_slices(np.array([ell] * 4, dtype=object), cuts[:-1], cuts[1:])
    assert sum(p.area for p in parts) == pytest.approx(ell.area)
    assert shapely.union_all(parts).symmetric_difference(ell).area == pytest.approx(0, abs=1e-6)
    assert footprint_slices(np.array([ell], dtype=object), np.zeros(1), np.ones(1))[0] is ell


# --- distances ----------------------------------------------------------------------


def test_network_distance_goes_round_the_block() -> None:
    roads = frame(
        [
            {"geometry": shapely.LineString([(0, 10), (0, 100), (20, 100), (20, 10)])},
            # a stray fragment that must not catch anyone
            {"geometry": shapely.LineString([(5, 9), (15, 9)])},
        ]
    )
    graph = street_graph(roads, crs=UTM50)
    assert graph is not None
    home = np.array([[-1.0, 10.0], [-1.0, 55.0]])
    block = np.array([[21.0, 10.0], [1.0, 55.0]])
    dist, fallback = walk_distances(home, block, np.array([0, 1]), np.array([0, 1]), graph=graph)
    assert dist[0] == pytest.approx(1 + 90 + 20 + 90 + 1)
    # next to each other, both nearer to each other than to the street
    assert dist[1] == pytest.approx(2 * settings.DETOUR_FACTOR)
    assert fallback == 0
    plain, _ = walk_distances(home, block, np.array([0]), np.array([0]))
    assert plain[0] == pytest.approx(22 * settings.DETOUR_FACTOR)
    assert street_graph(frame([{"geometry": shapely.Point(0, 0)}]), crs=UTM50) is None


def test_roads_change_the_assignment() -> None:
    # Two members; the nearer one by straight line is behind a fence (no path).
    b = frame(
        [
            {"building_id": "h", "households": 10, "grid_id": "G", "geometry": shapely.box(100, -5, 110, 5)},
            {"building_id": "near", "households": 0, "grid_id": "G", "geometry": shapely.box(100, 30, 110, 40)},
            {"building_id": "far", "households": 0, "grid_id": "G", "geometry": shapely.box(160, -5, 170, 5)},
        ]
    )  # fmt: skip
    members = pd.DataFrame({"member_id": ["a", "b"], "building_id": ["near", "far"]})
    roads = frame(
        [
            {"geometry": shapely.LineString([(105, -8), (165, -8)])},
            {"geometry": shapely.LineString([(165, -8), (400, -8), (400, 44), (105, 44)])},
        ]
    )
    straight = assign_members(b, members=members)
    network = assign_members(b, members=members, roads=roads)
    assert straight.areas["member_id"].tolist() == ["a"]
    assert network.areas["member_id"].tolist() == ["b"]
    assert network.stats["distance_model"] == "network"


# --- synthetic members --------------------------------------------------------------


def test_synthetic_density_and_labels() -> None:
    rng = np.random.default_rng(0)
    hh = rng.integers(0, 400, size=200)
    b = frame(
        [
            {
                "building_id": f"B{i:03d}",
                "households": int(h),
                "grid_id": None if i < 5 else "G1",
                "geometry": shapely.box(i * 30, 0, i * 30 + 20, 20),
            }
            for i, h in enumerate(hh)
        ]
    ).to_crs(4326)
    syn = synthesize_members(b, seed=3)
    in_grid = int(hh[5:].sum())
    assert len(syn) == round(in_grid * settings.SYNTHETIC_MEMBERS_PER_100_HOUSEHOLDS / 100)
    assert syn["member_id"].iloc[0] == "SYN-000001"
    assert syn["member_id"].is_unique and syn["is_synthetic"].all()
    assert not syn["building_id"].isin([f"B{i:03d}" for i in range(5)]).any()
    assert not syn["building_id"].isin(b.loc[b["households"] == 0, "building_id"]).any()
    counts = syn["building_id"].value_counts().reindex(b["building_id"][5:], fill_value=0)
    assert np.corrcoef(counts.to_numpy(), hh[5:])[0, 1] > 0.8
    assert syn.crs == b.crs
    assert b.geometry.iloc[10].contains(syn.loc[syn["building_id"] == "B010"].geometry).all()
    pd.testing.assert_frame_equal(syn, synthesize_members(b, seed=3))
    assert not syn["building_id"].equals(synthesize_members(b, seed=4)["building_id"])
    assert len(synthesize_members(b, n_members=7)) == 7
    with pytest.raises(InputError, match="no building with households"):
        synthesize_members(b.assign(households=0), n_members=3)


# --- shortfall ----------------------------------------------------------------------


def hand_case() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Grid A: 53 households (20 + 20 + 13), 4 members; grid B: 20 households, 3 members."""
    rows = [
        ("a1", 20, "A", 0), ("a2", 20, "A", 30), ("a3", 13, "A", 90),
        ("b1", 10, "B", 150), ("b2", 10, "B", 180),
    ]  # fmt: skip
    b = frame(
        [
            {"building_id": r[0], "households": r[1], "grid_id": r[2],
             "geometry": shapely.box(X0 + r[3], Y0, X0 + r[3] + 20, Y0 + 12)}
            for r in rows
        ]
    )  # fmt: skip
    members = pd.DataFrame(
        {
            "member_id": ["m1", "m2", "m3", "m4", "m5", "m6", "m7"],
            "building_id": ["a1", "a1", "a2", "a2", "b1", "b2", "b2"],
        }
    )
    return b, members


def test_shortfall_hand_computed() -> None:
    b, members = hand_case()
    result = assign_members(b, members=members)
    s = result.shortfall.set_index("grid_id")
    a, bb = s.loc["A"], s.loc["B"]
    # A: capacity 4 x 10 = 40 < 53: 13 uncovered, ceil(13 / 10) = 2 members missing;
    # the 13 households of a3, farthest from every member, are the ones left.
    assert (a["households"], a["capacity"], a["covered"], a["uncovered"]) == (53, 40, 40, 13)
    assert a["missing_members"] == 2
    assert a["uncovered_building_ids"] == ["a3"]
    assert a["idle_members"] == 0 and a["status"] == "short"
    # B: 20 households, 3 members: two cover it, one is idle and can help A.
    assert (bb["households"], bb["capacity"], bb["uncovered"]) == (20, 30, 0)
    assert bb["missing_members"] == 0 and bb["idle_members"] == 1
    assert bb["idle_member_ids"] == ["m7"] and bb["spare_capacity"] == 10
    assert a["help_from"] == [
        {"grid_id": "B", "members": 1, "households": 10, "member_ids": ["m7"]}
    ]
    assert bb["help_to"][0]["grid_id"] == "A"
    assert result.uncovered["building_id"].tolist() == ["a3"]
    assert result.uncovered["households"].tolist() == [13]


def test_summarize_shortfall_directly() -> None:
    buildings = pd.DataFrame(
        {
            "building_id": ["x", "y", "z"],
            "grid_id": ["G1", "G1", "G2"],
            "households": [30, 25, 12],
            "covered": [30, 0, 12],
        }
    )
    members = pd.DataFrame(
        {
            "member_id": ["p", "q", "r", "s", "t"],
            "grid_id": ["G1", "G1", "G1", "G2", "G2"],
            "capacity": [10, 10, 10, 10, 10],
            "available": [True, True, True, True, False],
            "households": [10, 10, 10, 10, 0],
        }
    )
    out = summarize_shortfall(buildings, members, per_member=10, neighbours={}).set_index("grid_id")
    assert out.at["G1", "missing_members"] == 3  # ceil((55 - 30) / 10)
    assert out.at["G1", "uncovered_building_ids"] == ["y"]
    assert out.at["G2", "members_unavailable"] == 1
    assert out.at["G2", "missing_members"] == 1  # ceil((12 - 10) / 10)
    assert out.at["G1", "help_from"] == []


def test_grid_neighbours_from_polygons_and_buildings() -> None:
    b = frame(
        [
            {"building_id": f"b{i}", "households": 10, "grid_id": g,
             "geometry": shapely.box(x, 0, x + 10, 10)}
            for i, (g, x) in enumerate([("A", 0), ("B", 100), ("C", 1000)])
        ]
    )  # fmt: skip
    near = grid_neighbours(b)
    assert near == {"A": ["B"], "B": ["A"], "C": []}
    grids = frame(
        [
            {"grid_id": "A", "geometry": shapely.box(-10, -10, 50, 20)},
            {"grid_id": "B", "geometry": shapely.box(50, -10, 500, 20)},
            {"grid_id": "C", "geometry": shapely.box(500, -10, 1500, 20)},
        ]
    )
    assert grid_neighbours(b, grids=grids) == {"A": ["B"], "B": ["A", "C"], "C": ["B"]}


# --- tree ---------------------------------------------------------------------------


def test_tree_counts_and_groups() -> None:
    areas = pd.DataFrame(
        {
            "area_id": [f"G1-{i:03d}" for i in range(1, 10)] + ["G2-001"],
            "grid_id": ["G1"] * 9 + ["G2"],
            "member_id": [f"m{i}" for i in range(10)],
            "households": [10] * 10,
            "building_ids": [["b1"]] * 4 + [["b2"]] * 2 + [["b3"]] * 3 + [["b9"]],
            "main_building": ["b1"] * 4 + ["b2"] * 2 + ["b3"] * 3 + ["b9"],
            "compound_id": ["c1"] * 6 + [None] * 3 + ["c2"],
        }
    )
    grids = pd.DataFrame(
        {
            "grid_id": ["G1", "G2", "G3"],
            "community_id": ["Q1", "Q1", "Q2"],
            "street_id": ["S", "S", "S"],
            "households": [95, 10, 40],
            "members": [9, 1, 0],
        }
    )
    tree = build_tree(areas, grids)
    json.dumps(tree, ensure_ascii=False)
    table = tabulate_tree(tree).set_index("level")
    assert table["count"].to_dict() == {
        "street": 1,
        "community": 2,
        "grid": 3,
        "group": 3,
        "area": 10,
    }
    grid1 = tree["streets"][0]["children"][0]["children"][0]
    # b1 (40) closes at the building boundary; b2 + b3 (50) fit under 80
    assert [g["households"] for g in grid1["children"]] == [40, 50]
    assert grid1["households"] == 95 and grid1["members"] == 9
    empty_grid = tree["streets"][0]["children"][1]["children"][0]
    assert (
        empty_grid["id"] == "G3" and empty_grid["children"] == [] and empty_grid["households"] == 40
    )
    nantong = build_tree(areas, grids, model="nantong")
    nt = tabulate_tree(nantong).set_index("level")
    assert nt["count"].to_dict() == {
        "street": 1, "community": 2, "compound": 3, "micro_group": 4, "area": 10
    }  # fmt: skip
    assert nt.at["compound", "name_zh"] == "小区党总支"
    with pytest.raises(InputError, match="model"):
        build_tree(areas, grids, model="x")


def test_progress_reports_fractions() -> None:
    b, members = hand_case()
    seen: list[tuple[str, float]] = []
    assign_members(b, members=members, progress=lambda stage, f: seen.append((stage, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {stage for stage, _ in seen} == {"members"}


def test_network_distances_match_networkx(monkeypatch: pytest.MonkeyPatch) -> None:
    import networkx as nx

    from gridmap.members import distance

    # a 5 x 5 street lattice, 100 m blocks, with one street missing
    lines = [shapely.LineString([(0, y), (400, y)]) for y in range(0, 401, 100) if y != 200]
    lines += [shapely.LineString([(x, 0), (x, 400)]) for x in range(0, 401, 100)]
    roads = frame([{"geometry": g} for g in lines])
    graph = street_graph(roads, crs=UTM50)
    rng = np.random.default_rng(2)
    homes = rng.uniform(0, 400, size=(6, 2))
    blocks = rng.uniform(0, 400, size=(9, 2))
    src, dst = np.repeat(np.arange(6), 9), np.tile(np.arange(9), 6)
    full, _ = walk_distances(homes, blocks, src, dst, graph=graph)
    monkeypatch.setattr(distance, "DIJKSTRA_BATCH", 2)
    batched, _ = walk_distances(homes, blocks, src, dst, graph=graph)
    assert batched == pytest.approx(full)
    g = nx.Graph()
    coo = graph.matrix.tocoo()
    g.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    hn, hs = graph.snap(homes)
    bn, bs = graph.snap(blocks)
    for k in range(len(src)):
        i, j = src[k], dst[k]
        expected = hs[i] + nx.dijkstra_path_length(g, int(hn[i]), int(bn[j])) + bs[j]
        if np.hypot(*(homes[i] - blocks[j])) > hs[i] + bs[j]:
            assert full[k] == pytest.approx(expected)
        assert full[k] >= np.hypot(*(homes[i] - blocks[j])) - 1e-9
