""" "1+10" assignment: coverage, capacity, same-grid rule, optimality, determinism, input errors."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.cluster.vq import kmeans2
from scipy.optimize import linear_sum_assignment

from gridmap import settings
from gridmap.errors import CRSError, GridmapWarning, InputError
from gridmap.members import assign_members, synthesize_members
from gridmap.schema import MEMBER_ROLES, require_columns, validate_areas, validate_members

UTM50 = 32650  # Beijing
X0, Y0 = 440_000.0, 4_428_000.0


def make_district(
    nx: int = 9, ny: int = 7, *, n_grids: int = 5, seed: int = 0, crs: int = 4326
) -> gpd.GeoDataFrame:
    """A small made-up district: slab blocks with units, towers, small houses, shops."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(nx):
        for j in range(ny):
            x, y = X0 + i * 60.0, Y0 + j * 40.0
            kind = rng.choice(["slab", "tower", "house", "shop"], p=[0.5, 0.15, 0.25, 0.1])
            units = levels = None
            if kind == "slab":
                units, levels = int(rng.integers(2, 5)), 6
                households = units * levels * 2
                geom = shapely.box(x, y, x + 14 * units, y + 12)
            elif kind == "tower":
                units, levels = int(rng.integers(1, 3)), int(rng.integers(12, 25))
                households = units * levels * 4
                geom = shapely.box(x, y, x + 25, y + 25)
            elif kind == "house":
                households = int(rng.integers(2, 13))
                geom = shapely.box(x, y, x + 12, y + 10)
            else:
                households = 0
                geom = shapely.box(x, y, x + 20, y + 15)
            rows.append(
                {
                    "building_id": f"B{i:02d}{j:02d}",
                    "use": "commercial" if kind == "shop" else "residential",
                    "levels": levels if levels is not None else 2,
                    "units": units,
                    "households": households,
                    "households_source": "estimated",
                    "compound_id": f"C{i // 3}{j // 3}",
                    "community_id": "east" if i >= nx // 2 else "west",
                    "geometry": geom,
                }
            )
    frame = gpd.GeoDataFrame(rows, crs=UTM50)
    centre = np.column_stack([frame.centroid.x, frame.centroid.y])
    _, label = kmeans2(centre, n_grids, seed=seed, minit="++")
    frame["grid_id"] = [f"G{k:02d}" for k in label]
    return frame.to_crs(crs)


def members_at(buildings: gpd.GeoDataFrame, per_100: float, seed: int = 1) -> pd.DataFrame:
    """A real-looking (not flagged synthetic) member list with homes by building_id."""
    syn = synthesize_members(buildings, per_100_households=per_100, seed=seed)
    return pd.DataFrame(
        {"member_id": [f"M{i:04d}" for i in range(len(syn))], "building_id": syn["building_id"]}
    )


def check_exact_cover(result, buildings: gpd.GeoDataFrame, *, complete: bool) -> None:
    """Household ranges never overlap, stay inside their building, cover all when complete."""
    hh = buildings.set_index("building_id")["households"]
    for bid, part in result.ranges.groupby("building_id"):
        part = part.sort_values("start")
        starts, stops = part["start"].to_numpy(), part["stop"].to_numpy()
        assert starts[0] >= 0 and stops[-1] <= hh[bid]
        assert (starts[1:] >= stops[:-1]).all(), f"overlapping ranges in {bid}"
    covered = result.ranges.groupby("building_id")["households"].sum()
    gaps = result.uncovered.groupby("building_id")["households"].sum()
    total = covered.add(gaps, fill_value=0).reindex(hh.index, fill_value=0)
    assert (total == hh).all()
    if complete:
        assert result.uncovered.empty
        assert (covered.reindex(hh.index, fill_value=0) == hh).all()


@pytest.fixture(scope="module")
def district() -> gpd.GeoDataFrame:
    return make_district()


@pytest.fixture(scope="module")
def plenty(district: gpd.GeoDataFrame):
    return assign_members(district, members=members_at(district, 14.6))


def test_every_household_once_when_members_suffice(district, plenty) -> None:
    assert (plenty.shortfall["capacity"] >= plenty.shortfall["households"]).all()
    check_exact_cover(plenty, district, complete=True)
    assert plenty.stats["covered"] == int(district["households"].sum())
    assert plenty.areas["households"].sum() == district["households"].sum()
    # area totals agree with the ranges and the member table
    by_member = plenty.ranges.groupby("member_id")["households"].sum()
    areas = plenty.areas.set_index("member_id")["households"]
    assert by_member.sort_index().equals(areas.sort_index())
    members = plenty.members.set_index("member_id")
    assert (members.loc[areas.index, "households"] == areas).all()
    # the tables meet DATA_MODEL.md
    validate_areas(plenty.areas)
    validate_members(plenty.members)
    require_columns(plenty.members, "members")
    assert plenty.areas.crs.to_epsg() == 4326 and plenty.members.crs.to_epsg() == 4326
    assert set(plenty.members["role"]) <= set(MEMBER_ROLES)
    assert all(isinstance(v, str) for ids in plenty.areas["building_ids"] for v in ids)


def test_no_member_above_capacity(district) -> None:
    members = members_at(district, 12.0)
    members["capacity"] = np.where(np.arange(len(members)) % 3 == 0, 6, 14)
    result = assign_members(district, members=members)
    out = result.members.set_index("member_id")
    assert (out["households"] <= out["capacity"]).all()
    assert (out.loc[members["member_id"], "capacity"].to_numpy() == members["capacity"]).all()
    check_exact_cover(result, district, complete=False)


def test_same_grid_rule(district, plenty) -> None:
    home_grid = plenty.members.set_index("member_id")["grid_id"]
    assert (plenty.ranges["member_id"].map(home_grid) == plenty.ranges["grid_id"]).all()
    building_grid = district.set_index("building_id")["grid_id"]
    assert (plenty.ranges["building_id"].map(building_grid) == plenty.ranges["grid_id"]).all()
    assert (plenty.areas["area_id"].str.split("-").str[0] == plenty.areas["grid_id"]).all()


def test_cross_grid_help_only_when_relaxed() -> None:
    # Grid A: 3 buildings, 60 households, one member; grid B next door: 10 members.
    rows = [
        ("A1", 20, "A", 0), ("A2", 20, "A", 30), ("A3", 20, "A", 60),
        ("B1", 10, "B", 100), ("B2", 10, "B", 130),
    ]  # fmt: skip
    b = gpd.GeoDataFrame(
        {
            "building_id": [r[0] for r in rows],
            "households": [r[1] for r in rows],
            "grid_id": [r[2] for r in rows],
        },
        geometry=[shapely.box(X0 + r[3], Y0, X0 + r[3] + 20, Y0 + 12) for r in rows],
        crs=UTM50,
    )
    members = pd.DataFrame(
        {"member_id": [f"m{i}" for i in range(11)], "building_id": ["A1"] + ["B1"] * 5 + ["B2"] * 5}
    )
    strict = assign_members(b, members=members)
    assert strict.stats["uncovered"] == 50
    short = strict.shortfall.set_index("grid_id")
    assert short.at["A", "missing_members"] == 5
    assert short.at["B", "idle_members"] == 8
    assert short.at["A", "help_from"][0]["grid_id"] == "B"
    assert short.at["A", "help_from"][0]["households"] == 50
    relaxed = assign_members(b, members=members, same_grid=False)
    assert relaxed.stats["uncovered"] == 0
    check_exact_cover(relaxed, b, complete=True)
    helped = relaxed.shortfall.set_index("grid_id")
    assert helped.at["A", "covered_by_other_grids"] == 50
    assert (relaxed.members["households"] <= relaxed.members["capacity"]).all()


def test_flow_is_optimal_against_brute_force() -> None:
    """Total walk equals the optimum of the household-level assignment problem."""
    b = make_district(4, 3, n_grids=1, seed=3, crs=UTM50)
    b = b[b["households"] <= 40].copy()
    members = members_at(b, 14.0, seed=5)
    result = assign_members(b, members=members)
    assert result.stats["uncovered"] == 0
    blocks_hh = result.ranges  # households of each block are at its slice centre
    # Brute force: one row per household (block centre), one column per member slot.
    from gridmap.members import split_households

    bm = b.assign(grid_id=b["grid_id"])
    blocks = split_households(bm, per_member=10)
    hx = np.repeat(blocks["x"].to_numpy(), blocks["households"])
    hy = np.repeat(blocks["y"].to_numpy(), blocks["households"])
    home = b.set_index("building_id").representative_point()
    mx = np.repeat(home.loc[members["building_id"]].x.to_numpy(), 10)
    my = np.repeat(home.loc[members["building_id"]].y.to_numpy(), 10)
    cost = np.hypot(hx[:, None] - mx[None, :], hy[:, None] - my[None, :]) * settings.DETOUR_FACTOR
    rows, cols = linear_sum_assignment(cost)
    best = cost[rows, cols].sum()
    assert result.stats["total_walk_m"] == pytest.approx(best, rel=1e-3, abs=1.0)
    assert blocks_hh["households"].sum() == len(hx)


def test_compact_areas(district, plenty) -> None:
    areas = plenty.areas
    assert areas["n_buildings"].mean() <= 1.6
    # about per_member households each: as few members as needed, evenly loaded
    assert areas["households"].max() <= settings.DEFAULT_HOUSEHOLDS_PER_MEMBER
    assert areas["households"].median() >= 8
    # the solver walks less than nearest-first greedy would need in total
    assert plenty.stats["mean_walk_m"] < 60
    assert set(areas.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    # areas made of whole buildings cover those footprints
    single = areas[areas["parts"].map(lambda p: len(p) == 1 and " " not in p[0])]
    if len(single):
        foot = district.set_index("building_id").geometry
        first = single.iloc[0]
        assert first.geometry.equals_exact(foot[first["building_ids"][0]], 1e-9)


def test_areas_follow_units_and_floors(plenty) -> None:
    labels = [label for parts in plenty.areas["parts"] for label in parts]
    assert any(" unit " in label and "floors" not in label for label in labels)
    assert any(" floors " in label or " floor " in label for label in labels)


def test_deterministic_and_independent_of_row_order(district) -> None:
    members = members_at(district, 14.6)
    first = assign_members(district, members=members)
    shuffled = district.sample(frac=1.0, random_state=7)
    second = assign_members(shuffled, members=members.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(first.ranges, second.ranges)
    pd.testing.assert_frame_equal(first.shortfall, second.shortfall)
    pd.testing.assert_frame_equal(first.tree_table, second.tree_table)
    assert first.tree == second.tree
    pd.testing.assert_frame_equal(
        pd.DataFrame(first.areas.drop(columns="geometry")),
        pd.DataFrame(second.areas.drop(columns="geometry")),
    )
    assert first.areas.geometry.geom_equals_exact(second.areas.geometry, 1e-9).all()
    pd.testing.assert_frame_equal(
        pd.DataFrame(first.members.drop(columns="geometry")),
        pd.DataFrame(second.members.drop(columns="geometry")),
    )


def test_synthetic_members_are_labelled(district) -> None:
    result = assign_members(district)
    assert result.synthetic
    assert result.members["is_synthetic"].all()
    assert result.members["member_id"].str.fullmatch(r"SYN-\d{6}").all()
    assert result.tree["synthetic"] and "synthetic" in result.tree["note"]
    assert any("synthetic" in note for note in result.notes)
    expected = round(
        district["households"].sum() * settings.SYNTHETIC_MEMBERS_PER_100_HOUSEHOLDS / 100
    )
    assert len(result.members) == expected
    again = assign_members(district)
    pd.testing.assert_frame_equal(result.ranges, again.ranges)
    other = assign_members(district, seed=99)
    assert not result.members["building_id"].equals(other.members["building_id"])


def test_names_only_on_request(district) -> None:
    members = members_at(district, 14.6).assign(name="张三", phone="13800000000")
    hidden = assign_members(district, members=members)
    assert "name" not in hidden.members and "phone" not in hidden.members
    shown = assign_members(district, members=members, with_names=True)
    assert (shown.members["name"] == "张三").all()


def test_roles_and_tree(district, plenty) -> None:
    members = plenty.members
    secretaries = members[members["role"] == "grid_secretary"]
    assert sorted(secretaries["grid_id"]) == sorted(plenty.shortfall["grid_id"])
    assert set(members["role"]) <= {"member", "grid_secretary", "group_leader"}
    json.dumps(plenty.tree, ensure_ascii=False)
    table = plenty.tree_table.set_index("level")
    assert list(table.index) == ["street", "community", "grid", "group", "area"]
    assert table.at["street", "count"] == 1
    assert table.at["community", "count"] == 2
    assert table.at["grid", "count"] == district["grid_id"].nunique()
    assert table.at["area", "count"] == len(plenty.areas)
    assert table.at["grid", "households"] == district["households"].sum()
    groups = [n for n in _walk(plenty.tree["streets"]) if n["level"] == "group"]
    assert len(groups) == table.at["group", "count"]
    assert sum(len(g["children"]) for g in groups) == len(plenty.areas)
    leaders = members[members["role"] == "group_leader"]
    assert len(leaders) <= len(groups)
    nantong = assign_members(district, members=members_at(district, 14.6), model="nantong")
    levels = [lv["level"] for lv in nantong.tree["levels"]]
    assert levels == ["street", "community", "compound", "micro_group", "area"]
    nt = nantong.tree_table.set_index("level")
    assert (
        nt.at["compound", "count"]
        >= district.loc[district["households"] > 0, "compound_id"].nunique()
    )
    assert nt.at["area", "count"] == len(nantong.areas)
    assert "central_household" in set(nantong.members["role"])
    micro = [n for n in _walk(nantong.tree["streets"]) if n["level"] == "micro_group"]
    assert all(n["households"] <= settings.DEFAULT_MICRO_MAX_HOUSEHOLDS for n in micro)


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.get("children", []))


# --- bad input ----------------------------------------------------------------------


def test_duplicate_member_ids(district) -> None:
    members = pd.DataFrame({"member_id": ["a", "b", "a"], "building_id": ["B0000"] * 3})
    with pytest.raises(InputError, match="duplicate member_id a"):
        assign_members(district, members=members)


def test_member_errors_read_in_chinese(district) -> None:
    ids = [f"m{i}" for i in range(8)]
    members = pd.DataFrame({"member_id": ids * 2, "building_id": ["B0000"] * 16})
    with pytest.raises(InputError) as err:
        assign_members(district, members=members)
    assert err.value.message == "members table: duplicate member_id m0, m1, m2, m3, m4, … (+3)"
    zh = err.value.user_message("zh")
    assert zh.startswith("党员表：member_id 重复：m0, m1, m2, m3, m4, … (+3)；解决办法：")
    with pytest.raises(InputError) as err:
        assign_members(district, members=members_at(district, 14.6), model="soviet")
    assert "组织架构模式 'soviet'" in err.value.user_message("zh")
    assert "standard, nantong" in err.value.user_message("zh")


@pytest.mark.parametrize("capacity", [0, -3, 2.5, "many"])
def test_bad_capacity(district, capacity) -> None:
    members = pd.DataFrame(
        {"member_id": ["a", "b"], "building_id": ["B0000", "B0001"], "capacity": [10, capacity]},
        dtype=object,
    )
    with pytest.raises(InputError, match=r"capacity .* member_id b") as err:
        assign_members(district, members=members)
    assert err.value.fix


def test_members_without_location(district) -> None:
    with pytest.raises(InputError, match="no location"):
        assign_members(district, members=pd.DataFrame({"member_id": ["a"]}))
    rows = pd.DataFrame({"member_id": ["a", "b"], "building_id": ["B0000", None]})
    with pytest.raises(InputError, match="member_id b has no location"):
        assign_members(district, members=rows)
    unknown = pd.DataFrame({"member_id": ["a"], "building_id": ["nope"]})
    with pytest.raises(InputError, match=r"a \(nope\)"):
        assign_members(district, members=unknown)


def test_member_outside_every_grid_warns(district) -> None:
    far = shapely.Point(X0 + 5000, Y0 + 5000)
    near = district.to_crs(UTM50).set_index("building_id").geometry["B0101"].representative_point()
    members = gpd.GeoDataFrame({"member_id": ["far", "near"]}, geometry=[far, near], crs=UTM50)
    with pytest.warns(GridmapWarning, match="outside every grid.*member_id far") as record:
        result = assign_members(district, members=members)
    (warning,) = [w.message for w in record if isinstance(w.message, GridmapWarning)]
    assert isinstance(warning, GridmapWarning)
    assert "住在所有网格之外" in warning.line("zh") and "member_id far" in warning.line("zh")
    out = result.members.set_index("member_id")
    assert pd.isna(out.at["far", "grid_id"]) and out.at["far", "households"] == 0
    assert out.at["near", "building_id"] == "B0101"
    assert out.at["near", "households"] == 10


def test_points_need_a_crs(district) -> None:
    members = gpd.GeoDataFrame({"member_id": ["a"]}, geometry=[shapely.Point(0, 0)])
    with pytest.raises(CRSError):
        assign_members(district, members=members)


def test_unavailable_members_take_nothing(district) -> None:
    members = members_at(district, 14.6)
    members["available"] = np.where(np.arange(len(members)) % 2 == 0, "yes", "no")
    result = assign_members(district, members=members)
    out = result.members.set_index("member_id")
    off = members.loc[members["available"] == "no", "member_id"]
    assert (out.loc[off, "households"] == 0).all()
    assert result.shortfall["members_unavailable"].sum() == len(off)
    bad = members.assign(available="maybe")
    with pytest.raises(InputError, match="available is not true/false"):
        assign_members(district, members=bad)


def test_bad_options_and_buildings(district) -> None:
    members = members_at(district, 14.6)
    with pytest.raises(InputError, match="per_member"):
        assign_members(district, members=members, per_member=0)
    with pytest.raises(InputError, match="model"):
        assign_members(district, members=members, model="soviet")
    with pytest.raises(InputError, match="no grid_id"):
        assign_members(district.assign(grid_id=None), members=members)
    with pytest.raises(InputError, match="lacks column"):
        assign_members(district.drop(columns="households"), members=members)
    mixed = synthesize_members(district, seed=1)
    mixed["is_synthetic"] = np.arange(len(mixed)) > 0
    with pytest.raises(InputError, match="mixes synthetic and real"):
        assign_members(district, members=mixed)
    loose = district.copy()
    first = loose.index[loose["households"] > 0][0]
    loose.loc[first, "grid_id"] = None
    with pytest.warns(GridmapWarning, match="no grid_id"):
        result = assign_members(loose, members=members_at(loose, 14.6))
    assert result.uncovered["building_id"].eq(loose.loc[first, "building_id"]).any()


def test_point_members_and_grid_polygons() -> None:
    b = make_district(4, 3, n_grids=2, seed=4, crs=UTM50)
    hulls = b.dissolve("grid_id").convex_hull.buffer(15)
    grids = gpd.GeoDataFrame(
        {"grid_id": hulls.index, "community_id": ["north-east"] * len(hulls)},
        geometry=hulls.to_numpy(),
        crs=UTM50,
    )
    # a home point between buildings but inside a grid polygon, and one on a building
    first = b[b["households"] > 0].iloc[0]
    gap = first.geometry.centroid.buffer(1).union(first.geometry).envelope.exterior.coords[0]
    gap = shapely.Point(gap[0] - 3, gap[1] - 3)
    assert not b.intersects(gap).any() and grids.contains(gap).any()
    on_building = first.geometry.representative_point()
    wgs = gpd.GeoSeries([gap, on_building], crs=UTM50).to_crs(4326)
    members = pd.DataFrame(
        {"member_id": ["gap", "home"], "lon": wgs.x.to_numpy(), "lat": wgs.y.to_numpy()}
    )
    result = assign_members(b, members=members, grids=grids)
    out = result.members.set_index("member_id")
    expected_grid = grids.loc[grids.contains(gap), "grid_id"].iloc[0]
    assert out.at["gap", "grid_id"] == expected_grid and pd.isna(out.at["gap", "building_id"])
    assert out.at["home", "building_id"] == first["building_id"]
    assert out.at["home", "grid_id"] == first["grid_id"]
    assert (out["households"] == 10).all()
    communities = result.tree["streets"][0]["children"]
    assert [c["id"] for c in communities] == ["north-east"]


def test_sparse_candidates_never_cost_coverage(monkeypatch: pytest.MonkeyPatch) -> None:
    from gridmap.members import assign as assign_module

    # Four houses in a row and one far building where four members live; with a
    # single candidate arc per block all houses first look at the near member only.
    rows = [(f"h{i}", 10, i * 15.0) for i in range(4)] + [("far", 0, 900.0)]
    b = gpd.GeoDataFrame(
        {
            "building_id": [r[0] for r in rows],
            "households": [r[1] for r in rows],
            "grid_id": ["G"] * len(rows),
        },
        geometry=[shapely.box(X0 + r[2], Y0, X0 + r[2] + 10, Y0 + 10) for r in rows],
        crs=UTM50,
    )
    members = pd.DataFrame(
        {"member_id": ["near", "f1", "f2", "f3", "f4"], "building_id": ["h0"] + ["far"] * 4}
    )
    monkeypatch.setattr(assign_module, "CANDIDATES", 1)
    result = assign_members(b, members=members)
    assert result.stats["uncovered"] == 0
    check_exact_cover(result, b, complete=True)
    out = result.members.set_index("member_id")["households"]
    assert out["near"] == 10 and out.sum() == 40


def test_generated_district_with_streets_and_nantong_tree() -> None:
    from gridmap.synth import generate_district

    layers = generate_district(n_buildings=300, seed=11)
    buildings = layers["buildings"].copy()
    metric = buildings.to_crs(buildings.estimate_utm_crs())
    centre = np.column_stack([metric.centroid.x, metric.centroid.y])
    grid = np.empty(len(buildings), dtype=object)
    for community, idx in metric.groupby("community_id").indices.items():
        k = max(1, round(int(metric["households"].to_numpy()[idx].sum()) / 400))
        _, label = kmeans2(centre[idx], min(k, len(idx)), seed=1, minit="++")
        grid[idx] = [f"{community}{c:03d}" for c in label]
    buildings["grid_id"] = grid
    result = assign_members(buildings, roads=layers["roads"], model="nantong")
    assert result.stats["distance_model"] == "network"
    check_exact_cover(result, buildings, complete=False)
    full = result.shortfall[result.shortfall["capacity"] >= result.shortfall["households"]]
    assert (full["uncovered"] == 0).all()
    home_grid = result.members.set_index("member_id")["grid_id"]
    assert (result.ranges["member_id"].map(home_grid) == result.ranges["grid_id"]).all()
    assert (result.members["households"] <= result.members["capacity"]).all()
    table = result.tree_table.set_index("level")
    lived = buildings[buildings["households"] > 0]
    assert table.at["street", "count"] == lived["street_id"].nunique()
    assert table.at["community", "count"] == lived["community_id"].nunique()
    assert table.at["area", "count"] == len(result.areas)
    compounds = {n["id"] for n in _walk(result.tree["streets"]) if n["level"] == "compound"}
    assert compounds <= set(buildings["compound_id"].dropna()) | {"(none)"}
    # units from the generator give whole floors and units in the areas
    labels = [label for parts in result.areas["parts"] for label in parts]
    assert sum(" unit " in label for label in labels) > len(labels) / 2
