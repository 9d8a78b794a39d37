"""gridmap.partition: properties on random small districts, infeasible cases, codes, polygons."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libpysal.graph import Graph
from scipy.sparse.csgraph import connected_components

from gridmap.errors import GridmapWarning, InputError
from gridmap.partition import GridPartition, partition_grids
from gridmap.partition.codes import nw_se_order

METRIC = 32650  # UTM 50N (Beijing), the CRS the districts are drawn in
ORIGIN = (440_000.0, 4_428_000.0)


def make_district(
    seed: int,
    *,
    nx: int = 2,
    ny: int = 2,
    block: float = 160.0,
    road: float = 20.0,
    households: tuple[int, ...] = (12, 18, 24, 30, 36),
    p_compound: float = 0.8,
    communities: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    """A small district: blocks between streets, compounds of building rows (EPSG:4326)."""
    rng = np.random.default_rng(seed)
    rows = []
    step = block + road
    ox, oy = ORIGIN
    n_comp = 0
    for i in range(nx):
        for j in range(ny):
            x0, y0 = ox + i * step, oy + j * step
            rects = [(x0, y0, x0 + block, y0 + block)]
            for _ in range(int(rng.integers(0, 3))):
                a, b, c, d = rects.pop(int(rng.integers(len(rects))))
                if c - a >= d - b:
                    m = a + (c - a) * rng.uniform(0.35, 0.65)
                    rects += [(a, b, m, d), (m, b, c, d)]
                else:
                    m = b + (d - b) * rng.uniform(0.35, 0.65)
                    rects += [(a, b, c, m), (a, m, c, d)]
            for a, b, c, d in rects:
                n_comp += 1
                comp = f"C{n_comp:03d}" if rng.random() < p_compound else None
                width = float(rng.choice([24.0, 32.0, 44.0]))
                y = b + 5
                while y + 10 <= d - 5:
                    x = a + 5
                    while x + width <= c - 5:
                        if rng.random() < 0.9:
                            jx, jy = rng.uniform(-1.5, 1.5, 2)
                            rows.append(
                                {
                                    "compound_id": comp,
                                    "households": int(rng.choice(households)),
                                    "use": "residential",
                                    "geometry": shapely.box(
                                        x + jx, y + jy, x + jx + width, y + jy + 10
                                    ),
                                }
                            )
                        x += width + 10
                    y += 10 + 16
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)
    frame.insert(0, "building_id", [f"B{i:04d}" for i in range(len(frame))])
    frame["levels"] = 6
    frame["households_source"] = "user"
    frame["grid_id"] = None
    lines = []
    for i in range(nx + 1):
        x = ox - road / 2 + i * step
        lines.append(shapely.LineString([(x, oy - road / 2), (x, oy - road / 2 + ny * step)]))
    for j in range(ny + 1):
        y = oy - road / 2 + j * step
        lines.append(shapely.LineString([(ox - road / 2, y), (ox - road / 2 + nx * step, y)]))
    roads = gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=METRIC)
    out = {"buildings": frame.to_crs(4326), "roads": roads.to_crs(4326)}
    if communities:
        split = ox - road / 2 + max(1, nx // 2) * step
        west = shapely.box(ox - road / 2 - 40, oy - road / 2 - 40, split, oy + ny * step + 40)
        east = shapely.box(split, oy - road / 2 - 40, ox + nx * step + 40, oy + ny * step + 40)
        out["communities"] = gpd.GeoDataFrame(
            {"community_id": ["W", "E"], "name": ["西社区", "东社区"], "street_id": ["001", "001"]},
            geometry=[west, east],
            crs=METRIC,
        ).to_crs(4326)
    return out


def quiet(buildings: gpd.GeoDataFrame, **kwargs: object) -> GridPartition:
    """partition_grids with GridmapWarnings allowed (they are checked elsewhere)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        return partition_grids(buildings, **kwargs)  # type: ignore[arg-type]


def voronoi_components(buildings: gpd.GeoDataFrame) -> pd.Series:
    """Pieces per grid under the rule of shared/tools/score_grids.py (rook, hull + 50 m)."""
    b = buildings.to_crs(buildings.estimate_utm_crs())
    foot = np.asarray(b.geometry.array)
    xy = np.round(shapely.get_coordinates(shapely.centroid(foot)), 2)
    uniq, cell = np.unique(xy, axis=0, return_inverse=True)
    cell = cell.ravel()
    clip = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(foot))).buffer(50)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(uniq), extend_to=clip, ordered=True)
    )
    cells = shapely.intersection(cells, clip)
    adj = Graph.build_contiguity(gpd.GeoSeries(cells), rook=True).sparse.tocoo()
    gid = b["grid_id"].to_numpy()
    nodes = pd.DataFrame({"cell": cell, "gid": gid}).drop_duplicates().reset_index(drop=True)
    nodes["node"] = np.arange(len(nodes))
    edges = pd.DataFrame({"cell": adj.row, "other": adj.col}).merge(nodes, on="cell")
    edges = edges.merge(
        nodes, left_on=["other", "gid"], right_on=["cell", "gid"], suffixes=("", "_o")
    )
    from scipy.sparse import csr_array

    n = len(nodes)
    mat = csr_array((np.ones(len(edges)), (edges["node"], edges["node_o"])), shape=(n, n))
    nodes["comp"] = connected_components(mat, directed=False)[1]
    return nodes.groupby("gid")["comp"].nunique()


def check_partition(
    part: GridPartition,
    buildings: gpd.GeoDataFrame,
    area: shapely.Geometry | None,
    *,
    whole_compounds: bool = True,
) -> None:
    """Every invariant that must hold for any partition.

    ``area`` is the communities' outline; None when the partition derives it
    (then the grids must cover the footprints' hull buffered by 50 m).
    """
    out = part.buildings
    # Every building assigned once (unit rows add up to their building).
    assert out["grid_id"].notna().all()
    assert out["building_id"].is_unique
    assert set(out["parent_building_id"]) == set(buildings["building_id"])
    hh_in = buildings.set_index("building_id")["households"]
    hh_out = out.groupby("parent_building_id")["households"].sum()
    assert (hh_out.reindex(hh_in.index) == hh_in).all()
    # Contiguity under the scorer's rule.
    assert (voronoi_components(out) == 1).all()
    # Compounds of at most the maximum are never split.
    comp = out.dropna(subset=["compound_id"])
    per = comp.groupby("compound_id").agg(hh=("households", "sum"), grids=("grid_id", "nunique"))
    if whole_compounds:
        assert (per.loc[per["hh"] <= part.max_households, "grids"] == 1).all()
    # Grid table agrees with the buildings.
    grids = part.grids
    assert set(out["grid_id"]) <= set(grids["grid_id"])
    empty = grids[~grids["grid_id"].isin(out["grid_id"])]
    assert empty["locked"].all() and (empty["households"] == 0).all()
    per_grid = out.groupby("grid_id")["households"].sum().reindex(grids["grid_id"], fill_value=0)
    assert (grids.set_index("grid_id")["households"] == per_grid).all()
    # Polygons: one part each, no overlaps, no gaps.
    g = grids.to_crs(METRIC)
    assert (g.geom_type == "Polygon").all()
    assert g.is_valid.all()
    union = shapely.union_all(np.asarray(g.geometry.array))
    assert abs(g.area.sum() - union.area) < 1.0
    if area is not None:
        assert shapely.symmetric_difference(union, area).area < 1.0
    else:
        foot = np.asarray(buildings.to_crs(METRIC).geometry.array)
        hull = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(foot)))
        holes = sum(shapely.Polygon(r).area for r in union.interiors)
        assert union.geom_type == "Polygon" and holes < 1.0
        assert hull.buffer(49).difference(union).area < 1.0
        assert union.difference(hull.buffer(51)).area < 1.0
    # Each building centroid lies in its own grid.
    cent = out.to_crs(METRIC).geometry.centroid
    own = g.set_index("grid_id").geometry.reindex(out["grid_id"]).to_numpy()
    assert shapely.intersects(own, np.asarray(cent.array)).all()
    # Codes: 15 digits, unique; grids out of bounds are named in a warning.
    assert grids["grid_id"].str.fullmatch(r"\d{15}").all()
    bad = grids.loc[grids["status"] != "ok", "grid_id"]
    text = " ".join(str(w) for w in part.warnings)
    assert all(b in text for b in bad)


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    nx=st.integers(1, 3),
    ny=st.integers(1, 2),
    roads=st.booleans(),
)
def test_random_districts_keep_every_invariant(seed: int, nx: int, ny: int, roads: bool) -> None:
    d = make_district(seed, nx=nx, ny=ny)
    b = d["buildings"]
    part = quiet(b, min_households=100, max_households=220, roads=d["roads"] if roads else None)
    check_partition(part, b, None)
    # Small buildings and a wide band: the bounds are reachable and reached
    # nearly everywhere (a whole compound may still force a grid out).
    in_range = (part.grids["status"] == "ok").mean()
    assert in_range >= 0.75


@settings(max_examples=6, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000))
def test_same_input_gives_identical_output(seed: int) -> None:
    d = make_district(seed, nx=2, ny=2)
    a = quiet(d["buildings"], min_households=100, max_households=220, roads=d["roads"])
    b = quiet(d["buildings"].copy(), min_households=100, max_households=220, roads=d["roads"])
    assert list(a.grids["grid_id"]) == list(b.grids["grid_id"])
    assert list(a.buildings["grid_id"]) == list(b.buildings["grid_id"])
    assert list(a.buildings["micro_grid_id"]) == list(b.buildings["micro_grid_id"])
    assert list(a.grids.geometry.to_wkb()) == list(b.grids.geometry.to_wkb())
    assert list(a.micro_grids.geometry.to_wkb()) == list(b.micro_grids.geometry.to_wkb())


def test_caller_frame_is_not_mutated_and_crs_is_wgs84() -> None:
    d = make_district(3)
    b = d["buildings"]
    before = b.copy()
    part = quiet(b.to_crs(METRIC), min_households=100, max_households=220)
    pd.testing.assert_frame_equal(b, before)
    assert part.buildings.crs.to_epsg() == 4326
    assert part.grids.crs.to_epsg() == 4326
    assert part.micro_grids.crs.to_epsg() == 4326
    for col in ("grid_id", "community_id", "households", "n_buildings", "n_compounds", "locked"):
        assert col in part.grids.columns
    assert part.grids["name"].str.fullmatch(r"第\d+网格").all()


def test_codes_run_north_west_to_south_east() -> None:
    d = make_district(11, nx=3, ny=3)
    part = quiet(d["buildings"], min_households=100, max_households=220, roads=d["roads"])
    g = part.grids.to_crs(METRIC)
    xy = shapely.get_coordinates(g.geometry.centroid)
    numbers = g["grid_id"].str[12:].astype(int).to_numpy()
    order = nw_se_order(xy)
    assert list(numbers[order]) == list(range(1, len(g) + 1))
    assert g["grid_id"].str[:6].eq("110108").all()


def test_grid_count_can_be_asked_for() -> None:
    d = make_district(5, nx=2, ny=2)
    part = quiet(d["buildings"], n_grids=4, min_households=50, max_households=2000)
    assert len(part.grids) == 4


def test_community_below_minimum_is_one_grid_with_a_warning() -> None:
    d = make_district(7, nx=1, ny=1)
    b = d["buildings"]
    with pytest.warns(GridmapWarning, match=r"fewer households than a grid's minimum"):
        part = partition_grids(b, min_households=10_000, max_households=20_000)
    assert len(part.grids) == 1
    assert part.grids["status"].iloc[0] == "below"


def test_compound_above_maximum_is_split_along_buildings() -> None:
    d = make_district(8, nx=1, ny=1, p_compound=1.0)
    b = d["buildings"].copy()
    b["compound_id"] = "BIG"
    total = int(b["households"].sum())
    assert total > 220
    with pytest.warns(GridmapWarning, match=r"compound\(s\) hold more households.*BIG"):
        part = partition_grids(b, min_households=100, max_households=220)
    assert part.buildings["grid_id"].nunique() >= 2
    check_partition(part, b, None)


def test_building_above_maximum_becomes_unit_rows() -> None:
    d = make_district(9, nx=1, ny=1)
    b = d["buildings"].copy()
    b.loc[0, ["households", "compound_id"]] = [900, None]
    tower = b.loc[0, "building_id"]
    with pytest.warns(GridmapWarning, match=rf"split into unit rows: building_id {tower} \(900\)"):
        part = partition_grids(b, min_households=100, max_households=220)
    units = part.buildings[part.buildings["parent_building_id"] == tower]
    assert len(units) >= 2
    assert units["households"].sum() == 900
    assert list(units["unit"]) == list(range(1, len(units) + 1))
    assert all(re.fullmatch(rf"{tower}-U\d+", x) for x in units["building_id"])
    assert units["households"].max() <= 220
    # Unit rows are slices of the footprint.
    foot = b.to_crs(METRIC).geometry.iloc[0]
    slices = units.to_crs(METRIC).geometry
    assert abs(slices.area.sum() - foot.area) < 1.0
    others = part.buildings[part.buildings["parent_building_id"] != tower]
    assert others["unit"].isna().all()
    assert (others["parent_building_id"] == others["building_id"]).all()


def test_units_column_sets_the_unit_rows() -> None:
    d = make_district(9, nx=1, ny=1)
    b = d["buildings"].copy()
    b["units"] = 0
    b.loc[0, ["households", "units", "compound_id"]] = [600, 4, None]
    with pytest.warns(GridmapWarning, match="unit rows"):
        part = partition_grids(b, min_households=100, max_households=220)
    units = part.buildings[part.buildings["parent_building_id"] == b.loc[0, "building_id"]]
    assert list(units["households"]) == [150, 150, 150, 150]


def test_island_building_is_its_own_grid_with_a_warning() -> None:
    d = make_district(12, nx=1, ny=1, p_compound=0.0)
    b = d["buildings"].to_crs(METRIC)
    far = shapely.box(ORIGIN[0] + 2000, ORIGIN[1], ORIGIN[0] + 2030, ORIGIN[1] + 10)
    extra = gpd.GeoDataFrame(
        {
            "building_id": ["LONELY"],
            "households": [20],
            "compound_id": [None],
            "use": ["residential"],
            "levels": [6],
            "households_source": ["user"],
            "grid_id": [None],
        },
        geometry=[far],
        crs=METRIC,
    )
    b = pd.concat([b, extra], ignore_index=True)
    main = shapely.box(*b.iloc[:-1].total_bounds).buffer(30)
    island = far.buffer(30)
    comm = gpd.GeoDataFrame(
        {"community_id": ["C1"]}, geometry=[shapely.MultiPolygon([main, island])], crs=METRIC
    )
    with pytest.warns(GridmapWarning, match=r"island buildings.*LONELY"):
        part = partition_grids(b, communities=comm, min_households=100, max_households=220)
    lonely = part.buildings.set_index("building_id").loc["LONELY", "grid_id"]
    assert (part.buildings["grid_id"] == lonely).sum() == 1
    assert part.grids.set_index("grid_id").loc[lonely, "households"] == 20


def test_communities_are_never_crossed_and_get_their_codes() -> None:
    d = make_district(13, nx=3, ny=2, communities=True)
    part = quiet(
        d["buildings"],
        communities=d["communities"],
        roads=d["roads"],
        min_households=100,
        max_households=220,
    )
    g = part.grids
    assert set(g["community_id"]) == {"W", "E"}
    # One community per grid, and its code digits.
    per = part.buildings.groupby("grid_id")["community_id"].nunique()
    assert (per == 1).all()
    codes = g.groupby("community_id")["grid_id"].apply(lambda s: set(s.str[9:12]))
    assert codes["W"] == {"001"} and codes["E"] == {"002"}
    area = shapely.union_all(np.asarray(d["communities"].to_crs(METRIC).geometry.array))
    check_partition(part, d["buildings"], area)
    for cid, poly in zip(
        d["communities"]["community_id"], d["communities"].to_crs(METRIC).geometry, strict=True
    ):
        mine = g[g["community_id"] == cid].to_crs(METRIC)
        assert (
            shapely.symmetric_difference(shapely.union_all(mine.geometry.values), poly).area < 1.0
        )


def test_community_id_column_defines_communities() -> None:
    d = make_district(14, nx=2, ny=1)
    b = d["buildings"].copy()
    x = b.to_crs(METRIC).geometry.centroid.x
    b["community_id"] = np.where(x < x.median(), "west", "east")
    part = quiet(b, min_households=100, max_households=220)
    assert set(part.grids["community_id"]) == {"east", "west"}
    assert (part.buildings.groupby("grid_id")["community_id"].nunique() == 1).all()
    check_partition(part, b, None)


def test_locked_polygon_keeps_its_buildings_together() -> None:
    d = make_district(15, nx=2, ny=2)
    b = d["buildings"]
    cent = b.to_crs(METRIC).geometry.centroid
    box = shapely.box(ORIGIN[0] - 10, ORIGIN[1] - 10, ORIGIN[0] + 100, ORIGIN[1] + 100)
    locked = gpd.GeoDataFrame({"name": ["社区服务站"]}, geometry=[box], crs=METRIC)
    part = quiet(b, locked=locked, min_households=100, max_households=220)
    inside = b.loc[cent.within(box).to_numpy(), "building_id"]
    grid = part.buildings.set_index("building_id").loc[inside, "grid_id"].unique()
    assert len(grid) == 1
    row = part.grids.set_index("grid_id").loc[grid[0]]
    assert bool(row["locked"]) and row["name"] == "社区服务站"
    assert (part.buildings["grid_id"] == grid[0]).sum() == len(inside)


def test_micro_grids_nest_in_grids() -> None:
    d = make_district(16, nx=2, ny=2)
    part = quiet(d["buildings"], min_households=100, max_households=220, roads=d["roads"])
    out = part.buildings
    assert (out["micro_grid_id"].str[:15] == out["grid_id"]).all()
    assert out["micro_grid_id"].str.fullmatch(r"\d{18}").all()
    micro = part.micro_grids.to_crs(METRIC)
    grids = part.grids.to_crs(METRIC).set_index("grid_id")
    for gid, grp in micro.groupby("grid_id"):
        union = shapely.union_all(np.asarray(grp.geometry.array))
        assert shapely.symmetric_difference(union, grids.geometry[gid]).area < 1.0
        assert abs(grp.area.sum() - union.area) < 1.0
    assert (micro.geom_type == "Polygon").all()
    # Buildings of at most 36 households: micro-grids mostly within 30-80.
    assert (part.micro_grids["status"] == "ok").mean() >= 0.8


def test_balance_reports_every_grid() -> None:
    d = make_district(17)
    part = quiet(d["buildings"], min_households=100, max_households=220)
    bal = part.balance()
    assert list(bal["grid_id"]) == list(part.grids["grid_id"])
    assert set(bal["status"]) <= {"ok", "below", "above"}
    assert (bal["min_households"] == 100).all() and (bal["max_households"] == 220).all()
    assert not bal["changed"].any()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda b: b.drop(columns="households"), "lacks column"),
        (lambda b: b.assign(households=-1), "negative"),
        (lambda b: b.assign(building_id="same"), "duplicate building_id"),
        (lambda b: b.set_crs(None, allow_override=True), "coordinate reference system"),
    ],
)
def test_bad_input_is_refused(change: object, match: str) -> None:
    d = make_district(1, nx=1, ny=1)
    with pytest.raises(InputError, match=match):
        partition_grids(change(d["buildings"].copy()))  # type: ignore[operator]


def test_bad_bounds_are_refused() -> None:
    d = make_district(1, nx=1, ny=1)
    with pytest.raises(InputError, match="impossible"):
        partition_grids(d["buildings"], min_households=500, max_households=300)


def test_synthetic_district_of_the_team_generator() -> None:
    synth = pytest.importorskip("gridmap.synth")
    d = synth.generate_district(n_buildings=300, seed=4)
    part = quiet(d["buildings"], communities=d["communities"], roads=d["roads"])
    area = shapely.union_all(np.asarray(d["communities"].to_crs(METRIC).geometry.array))
    b = d["buildings"]
    check_partition(part, b, area.buffer(0))
    assert (part.grids["status"] == "ok").mean() >= 0.85


def test_locked_area_without_buildings_is_an_empty_locked_grid() -> None:
    d = make_district(3, nx=2, ny=2)
    street = shapely.box(ORIGIN[0] + 161, ORIGIN[1] - 10, ORIGIN[0] + 179, ORIGIN[1] + 300)
    locked = gpd.GeoDataFrame(
        {"grid_id": ["110108001001099"], "name": ["街心公园"]}, geometry=[street], crs=METRIC
    )
    with pytest.warns(GridmapWarning, match="locked grid 110108001001099 holds no building"):
        part = partition_grids(
            d["buildings"].assign(compound_id=None),
            locked=locked,
            min_households=100,
            max_households=220,
        )
    row = part.grids.set_index("grid_id").loc["110108001001099"]
    assert bool(row["locked"]) and row["households"] == 0 and row["name"] == "街心公园"
    assert row.geometry.geom_type == "Polygon"
    check_partition(part, d["buildings"], None)


def test_too_few_grids_asked_for_is_explained() -> None:
    d = make_district(3, nx=2, ny=2, communities=True)
    with pytest.warns(GridmapWarning) as caught:
        part = partition_grids(
            d["buildings"],
            communities=d["communities"],
            n_grids=1,
            min_households=1,
            max_households=10_000,
        )
    assert any("1 grids were asked for" in str(w.message) for w in caught)
    assert len(part.grids) == 2


def test_errors_and_warnings_render_in_chinese() -> None:
    d = make_district(7, nx=1, ny=1)
    with pytest.raises(InputError) as exc:
        partition_grids(d["buildings"], min_households=500, max_households=300)
    assert "网格户数上下限不合理" in exc.value.user_message("zh")
    assert "请设置" in exc.value.user_message("zh")
    with pytest.warns(GridmapWarning) as caught:
        part = partition_grids(d["buildings"], min_households=10_000, max_households=20_000)
    (note,) = [w.message for w in caught if "minimum" in str(w.message)]
    assert isinstance(note, GridmapWarning) and note.msg is not None
    assert "少于网格下限 10000" in note.line("zh")
    # The partition's warnings are messages: English by str(), Chinese on request.
    assert any("社区的总户数" in w.line("zh") for w in part.warnings)
    assert any("fewer households" in str(w) for w in part.warnings)


def test_long_id_lists_are_cut_in_either_language() -> None:
    from gridmap.partition.engine import _ids

    ids = _ids([f"B{i}" for i in range(13)], 10)
    assert format(ids, "en") == ", ".join(f"B{i}" for i in range(10)) + " and 3 more"
    assert format(ids, "zh") == "、".join(f"B{i}" for i in range(10)) + "等，另有 3 个"


def _on_road_share(grids: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> float:
    outline = shapely.boundary(np.asarray(grids.to_crs(METRIC).geometry.array))
    zone = shapely.union_all(shapely.buffer(np.asarray(roads.to_crs(METRIC).geometry.array), 1.0))
    return float(shapely.length(shapely.intersection(outline, zone)).sum()) / float(
        shapely.length(outline).sum()
    )


@pytest.mark.parametrize("seed", [3, 8])
def test_tiles_follow_streets_and_still_tile_the_community(seed: int) -> None:
    d = make_district(seed, nx=3, ny=2)
    follow = quiet(d["buildings"], min_households=100, max_households=220, roads=d["roads"])
    plain = quiet(
        d["buildings"],
        min_households=100,
        max_households=220,
        roads=d["roads"],
        follow_streets=False,
    )
    layout = follow._state.layout
    for r, region in enumerate(layout.regions):
        tiles = layout.graph.tiles[layout.graph.region == r]
        assert shapely.coverage_is_valid(tiles)
        union = shapely.union_all(tiles)
        gap = shapely.area(shapely.symmetric_difference(union, region))
        overlap = shapely.area(tiles).sum() - shapely.area(union)
        assert gap + abs(overlap) <= 1e-6 * shapely.area(region)
    # Tiles stop at streets: only a tile that took a block without buildings (the
    # strips outside the outer streets) reaches across one; plain cells often do.
    streets = np.asarray(d["roads"].to_crs(METRIC).geometry.array)

    def crossing(part: GridPartition) -> int:
        inner = shapely.buffer(part._state.layout.graph.tiles, -0.01)
        return int(shapely.intersects(inner[:, None], streets[None, :]).any(axis=1).sum())

    assert crossing(follow) <= 3 < 20 <= crossing(plain)
    assert _on_road_share(follow.grids, d["roads"]) > _on_road_share(plain.grids, d["roads"])
    check_partition(follow, d["buildings"], None)


@pytest.mark.parametrize("dtype", ["string[python]", "string[pyarrow]"])
def test_string_ids_with_missing_values(dtype: str) -> None:
    """Compound ids in a pandas string column with missing values (no compound) work."""
    from gridmap.partition.engine import _norm_ids

    ids = pd.Series([" C1", pd.NA, "", "C2 "], dtype=dtype)
    assert [None if pd.isna(x) else x for x in _norm_ids(ids)] == ["C1", None, None, "C2"]
