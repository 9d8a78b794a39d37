"""gridmap.partition edits: move, merge, split, lock keep untouched grids as they were."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from test_partition_engine import METRIC, check_partition, make_district

from gridmap.errors import GridmapWarning, InputError
from gridmap.partition import (
    GridPartition,
    lock_grid,
    merge_grids,
    move_units,
    partition_grids,
    split_grid,
)

LOW, HIGH = 100, 220


def fresh(seed: int = 21, **kw: int) -> tuple[GridPartition, gpd.GeoDataFrame]:
    d = make_district(seed, nx=kw.get("nx", 2), ny=kw.get("ny", 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        part = partition_grids(
            d["buildings"], min_households=LOW, max_households=HIGH, roads=d["roads"]
        )
    return part, d["buildings"]


def members(part: GridPartition) -> dict[str, set[str]]:
    b = part.buildings
    return {g: set(x) for g, x in b.groupby("grid_id")["building_id"]}


def assert_untouched_kept(before: GridPartition, after: GridPartition, *, geometry: bool) -> None:
    """Grids an edit did not name keep code, buildings, micro-grids and (optionally) polygon."""
    old, new = members(before), members(after)
    old_g = before.grids.set_index("grid_id")
    new_g = after.grids.set_index("grid_id")
    untouched = [g for g in old if g not in after.changed]
    assert untouched, "the edit touched every grid"
    for g in untouched:
        assert new[g] == old[g]
        if geometry:
            assert old_g.geometry[g].wkb == new_g.geometry[g].wkb
    keep = before.buildings[before.buildings["grid_id"].isin(untouched)]
    now = after.buildings.set_index("building_id").loc[keep["building_id"], "micro_grid_id"]
    assert list(now) == list(keep["micro_grid_id"])
    assert set(after.changed) <= set(old) | set(new)


def neighbour_pair(part: GridPartition) -> tuple[str, str, str]:
    """A building of one grid whose tile touches another grid: (building, from, to)."""
    state = part._state
    assert state is not None
    g = state.layout.graph
    sg = state.site_grid.astype(str)
    rows = state.layout.rows
    for a, b in zip(g.u, g.v, strict=True):
        if sg[a] != sg[b]:
            for site, other in ((a, b), (b, a)):
                here = rows[rows["site"] == site]
                if len(here) == 1 and (sg == sg[site]).sum() > 1:
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", GridmapWarning)
                            move_units(
                                part, building_ids=list(here["building_id"]), to_grid=sg[other]
                            )
                    except InputError:
                        continue
                    return here["building_id"].iloc[0], sg[site], sg[other]
    raise AssertionError("no movable building")


@settings(max_examples=5, deadline=None, derandomize=True)
@given(seed=st.integers(0, 5000))
def test_moving_one_building_changes_at_most_two_grids(seed: int) -> None:
    part, b = fresh(seed)
    bid, src, dst = neighbour_pair(part)
    comp = b.set_index("building_id").loc[bid, "compound_id"]
    mates = b[b["compound_id"] == comp] if comp is not None else b.iloc[:0]
    splits = len(mates) > 1 and mates["households"].sum() <= HIGH
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridmapWarning)
        moved = move_units(part, building_ids=[bid], to_grid=dst)
    said = " ".join(str(w.message) for w in caught)
    assert (f"compound_id {comp} is now split" in said) == splits
    assert set(moved.changed) == {src, dst}
    assert moved.buildings.set_index("building_id").loc[bid, "grid_id"] == dst
    assert_untouched_kept(part, moved, geometry=True)
    check_partition(moved, b, None, whole_compounds=not splits)
    bal = moved.balance()
    assert set(bal.loc[bal["changed"], "grid_id"]) == {src, dst}


def test_move_refuses_far_grids_and_emptying() -> None:
    part, _ = fresh()
    g = part.grids.to_crs(METRIC)
    cent = g.geometry.centroid
    far = g["grid_id"].iloc[int(np.argmax(cent.distance(cent.iloc[0])))]
    first = part.buildings[part.buildings["grid_id"] == g["grid_id"].iloc[0]]
    with pytest.raises(InputError, match="do not touch|cut grid"):
        move_units(part, building_ids=[first["building_id"].iloc[0]], to_grid=far)
    _, src, dst = neighbour_pair(part)
    everyone = part.buildings.loc[part.buildings["grid_id"] == src, "building_id"]
    with pytest.raises(InputError, match="empty grid|cut grid|do not touch"):
        move_units(part, building_ids=list(everyone), to_grid=dst)
    with pytest.raises(InputError, match="not found"):
        move_units(part, building_ids=["nope"], to_grid=dst)
    with pytest.raises(InputError, match="does not exist"):
        move_units(part, building_ids=[first["building_id"].iloc[0]], to_grid="999")
    with pytest.raises(InputError, match="exactly one"):
        move_units(part, to_grid=dst)


def test_merge_keeps_the_lower_code() -> None:
    part, b = fresh()
    _, a, c = neighbour_pair(part)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        merged = merge_grids(part, a, c)
    keep, gone = sorted([a, c])
    assert set(merged.changed) == {a, c}
    assert gone not in set(merged.grids["grid_id"])
    assert members(merged)[keep] == members(part)[a] | members(part)[c]
    old = part.grids.set_index("grid_id")
    area = shapely.union_all([old.geometry[a], old.geometry[c]])
    new_geom = merged.grids.set_index("grid_id").geometry[keep]
    assert shapely.symmetric_difference(area, new_geom).area < 1e-12
    assert_untouched_kept(part, merged, geometry=True)
    check_partition(merged, b, None)
    with pytest.raises(InputError, match="itself"):
        merge_grids(part, a, a)


def test_split_makes_balanced_contiguous_parts() -> None:
    part, b = fresh(22)
    # The grid with most separable units (compounds, buildings outside compounds).
    bb = part.buildings
    units = bb["compound_id"].fillna(bb["building_id"]).groupby(bb["grid_id"]).nunique()
    target = units.sort_values(kind="stable").index[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        split = split_grid(part, target, parts=2)
    assert target in split.changed and len(split.changed) == 2
    new = [g for g in split.changed if g != target][0]
    assert int(new[12:]) == part.grids["grid_id"].str[12:].astype(int).max() + 1
    assert members(split)[target] | members(split)[new] == members(part)[target]
    assert_untouched_kept(part, split, geometry=True)
    check_partition(split, b, None)
    with pytest.raises(InputError, match="at least 2"):
        split_grid(part, target, parts=1)
    # A grid that is one compound of at most the maximum cannot be split.
    bb = part.buildings
    comp_hh = bb.groupby("compound_id")["households"].sum()
    whole = [
        g
        for g, grp in bb.groupby("grid_id")
        if grp["compound_id"].notna().all()
        and grp["compound_id"].nunique() == 1
        and comp_hh[grp["compound_id"].iloc[0]] <= HIGH
    ]
    if whole:
        with pytest.raises(InputError, match="without splitting a compound"):
            split_grid(part, whole[0], parts=2)


def test_lock_existing_grid_only_flags_it() -> None:
    part, _ = fresh()
    gid = part.grids["grid_id"].iloc[2]
    locked = lock_grid(part, gid, name="网格A")
    assert locked.changed == (gid,)
    row = locked.grids.set_index("grid_id").loc[gid]
    assert bool(row["locked"]) and row["name"] == "网格A"
    assert_untouched_kept(part, locked, geometry=True)
    _, src, dst = neighbour_pair(part)
    for target in (src, dst):
        again = lock_grid(part, target)
        with pytest.raises(InputError, match="locked"):
            merge_grids(again, src, dst)


def test_lock_polygon_repartitions_only_the_touched_grids() -> None:
    part, b = fresh(23)
    g = part.grids.to_crs(METRIC)
    seed_grid = g.iloc[len(g) // 2]
    area = seed_grid.geometry.buffer(15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        locked = lock_grid(part, gpd.GeoSeries([area], crs=METRIC), name="drawn")
    new_g = locked.grids.set_index("grid_id")
    drawn = new_g[new_g["name"] == "drawn"]
    assert len(drawn) == 1 and bool(drawn["locked"].iloc[0])
    # Its buildings: exactly those whose centroid is inside the drawn area.
    cent = b.to_crs(METRIC).geometry.centroid
    inside = set(b.loc[cent.within(area).to_numpy(), "building_id"])
    got = set(locked.buildings.loc[locked.buildings["grid_id"] == drawn.index[0], "building_id"])
    assert got == inside
    assert_untouched_kept(part, locked, geometry=False)
    check_partition(locked, b, None)


def test_lock_refuses_garbage() -> None:
    part, _ = fresh()
    with pytest.raises(InputError, match="cannot lock"):
        lock_grid(part, 42)
    with pytest.raises(InputError, match="scope"):
        lock_grid(part, part.grids["grid_id"].iloc[0], scope="everything")


def test_edits_need_a_partition_state() -> None:
    part, _ = fresh()
    bare = GridPartition(
        buildings=part.buildings,
        grids=part.grids,
        micro_grids=part.micro_grids,
        warnings=[],
        min_households=LOW,
        max_households=HIGH,
    )
    with pytest.raises(InputError, match="state"):
        merge_grids(bare, "a", "b")


def test_edit_errors_render_in_chinese() -> None:
    part, _ = fresh()
    with pytest.raises(InputError) as exc:
        move_units(part, building_ids=["nope"], to_grid=part.grids["grid_id"].iloc[0])
    assert "找不到 building_id nope" in exc.value.user_message("zh")
    assert "请使用楼栋表中的 id" in exc.value.user_message("zh")
    with pytest.raises(InputError) as exc:
        lock_grid(part, 42)
    assert "无法锁定 int" in exc.value.user_message("zh")
    with pytest.raises(InputError) as exc:
        merge_grids(part, "999", "998")
    assert exc.value.user_message("zh").startswith("本次划分中不存在网格 999")
