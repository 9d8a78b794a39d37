"""partition_from_layers: a partition saved to a project GeoPackage can be edited again."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_partition_edits import neighbour_pair
from test_partition_engine import METRIC, make_district

from gridmap import io as gio
from gridmap.errors import GridmapWarning, InputError
from gridmap.partition import (
    GridPartition,
    lock_grid,
    merge_grids,
    move_units,
    partition_from_layers,
    partition_grids,
    split_grid,
)

LOW, HIGH = 100, 220
TOWER_HOUSEHOLDS = 500  # above HIGH: the building becomes unit rows
GRID_COLUMNS = [
    "grid_id",
    "community_id",
    "street_id",
    "name",
    "households",
    "n_buildings",
    "n_compounds",
    "n_micro_grids",
    "locked",
    "status",
]


@pytest.fixture(scope="module")
def district() -> dict[str, gpd.GeoDataFrame]:
    d = make_district(21, nx=2, ny=2)
    b = d["buildings"].copy()
    b.loc[b.index[5], "households"] = TOWER_HOUSEHOLDS
    return {"buildings": b, "roads": d["roads"]}


@pytest.fixture(scope="module")
def original(district: dict[str, gpd.GeoDataFrame]) -> GridPartition:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        return partition_grids(
            district["buildings"], min_households=LOW, max_households=HIGH, roads=district["roads"]
        )


def save_and_read(part: GridPartition, roads: gpd.GeoDataFrame, path: Path) -> dict[str, Any]:
    layers = {"buildings": part.buildings, "grids": part.grids, "roads": roads}
    gio.write_project(path, layers, edit_log=[{"action": "params", "payload": {"min": LOW}}])
    return gio.read_project(path)


def restore(layers: dict[str, Any], **kw: Any) -> GridPartition:
    return partition_from_layers(
        kw.pop("buildings", layers["buildings"]),
        kw.pop("grids", layers["grids"]),
        roads=layers["roads"],
        min_households=LOW,
        max_households=HIGH,
        **kw,
    )


@pytest.fixture(scope="module")
def saved(
    original: GridPartition,
    district: dict[str, gpd.GeoDataFrame],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    return save_and_read(original, district["roads"], tmp_path_factory.mktemp("restore") / "p.gpkg")


@pytest.fixture(scope="module")
def restored(saved: dict[str, Any]) -> GridPartition:
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridmapWarning)  # a clean save restores silently
        return restore(saved)


def assert_same(a: GridPartition, b: GridPartition, *, changed: bool = True) -> None:
    """Same buildings, grids, micro-grids and (to float noise) polygons."""
    cols = ["building_id", "parent_building_id", "grid_id", "micro_grid_id", "households"]
    ba = a.buildings.sort_values("building_id")[cols].reset_index(drop=True)
    bb = b.buildings.sort_values("building_id")[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(ba.astype(str), bb.astype(str))
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.grids[GRID_COLUMNS]), pd.DataFrame(b.grids[GRID_COLUMNS])
    )
    ma = a.micro_grids.drop(columns="geometry")
    mb = b.micro_grids.drop(columns="geometry")
    pd.testing.assert_frame_equal(pd.DataFrame(ma), pd.DataFrame(mb))
    ga = np.asarray(a.grids.to_crs(METRIC).geometry.array, dtype=object)
    gb = np.asarray(b.grids.to_crs(METRIC).geometry.array, dtype=object)
    assert shapely.area(shapely.symmetric_difference(ga, gb)).max() < 1e-3  # m2
    if changed:
        assert a.changed == b.changed


def test_round_trip_gives_the_same_partition(
    original: GridPartition, restored: GridPartition
) -> None:
    assert original.buildings["unit"].notna().sum() > 1, "the tower must be unit rows"
    assert_same(original, restored)
    assert restored.warnings == []
    assert (restored.min_households, restored.max_households) == (LOW, HIGH)
    pd.testing.assert_frame_equal(original.balance(), restored.balance())


def test_move_after_restore_equals_move_on_the_original(
    original: GridPartition, restored: GridPartition
) -> None:
    building, _source, target = neighbour_pair(original)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        a = move_units(original, building_ids=[building], to_grid=target)
        b = move_units(restored, building_ids=[building], to_grid=target)
    assert len(a.changed) == 2
    assert_same(a, b)


def test_merge_and_split_after_restore_equal_the_original(
    original: GridPartition, restored: GridPartition
) -> None:
    state = original._state
    assert state is not None
    g = state.layout.graph
    sg = state.site_grid.astype(str)
    edge = int(np.flatnonzero(sg[g.u] != sg[g.v])[0])
    pair = (sg[g.u[edge]], sg[g.v[edge]])
    biggest = str(original.grids.sort_values("households")["grid_id"].iloc[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        assert_same(merge_grids(original, *pair), merge_grids(restored, *pair))
        assert_same(split_grid(original, biggest), split_grid(restored, biggest))
        # Moving a single unit row of the tower works on the restored partition too.
        unit = original.buildings[original.buildings["unit"].notna()].iloc[0]
        tower_grid = str(unit["grid_id"])
        others = original.grids.loc[original.grids["grid_id"] != tower_grid, "grid_id"]
        for target in others:
            try:
                a = move_units(original, building_ids=[unit["building_id"]], to_grid=target)
            except InputError:
                continue
            b = move_units(restored, building_ids=[unit["building_id"]], to_grid=target)
            assert_same(a, b)
            break


def test_locks_survive_a_restore_and_a_second_lock_works(
    original: GridPartition, district: dict[str, gpd.GeoDataFrame], tmp_path: Path
) -> None:
    first = str(original.grids["grid_id"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        locked = lock_grid(original, first, name="网格A")
        layers = save_and_read(locked, district["roads"], tmp_path / "locked.gpkg")
        again = restore(layers)
        assert_same(locked, again, changed=False)
        assert again.grids.set_index("grid_id").loc[first, "name"] == "网格A"
        # Drawing a second lock far from the first gives the same result on both.
        far = original.grids.to_crs(METRIC).geometry.iloc[-1].centroid
        area = gpd.GeoSeries([far.buffer(60)], crs=METRIC)
        a = lock_grid(locked, area)
        b = lock_grid(again, area)
    assert_same(a, b)
    assert int(b.grids["locked"].sum()) == 2
    with pytest.raises(InputError, match="locked"):
        merge_grids(again, first, str(again.grids["grid_id"].iloc[1]))


def test_corrected_households_are_counted_again_and_named(
    original: GridPartition, saved: dict[str, Any]
) -> None:
    b = saved["buildings"].copy()
    plain = b[b["unit"].isna()].iloc[3]
    unit = b[b["unit"].notna()].iloc[1]
    b.loc[b["building_id"] == plain["building_id"], "households"] += 9
    b.loc[b["building_id"] == unit["building_id"], "households"] += 4
    grids = sorted({str(plain["grid_id"]), str(unit["grid_id"])})
    with pytest.warns(GridmapWarning, match=f"counted again.*{grids[0]}") as caught:
        part = restore(saved, buildings=b)
    assert grids[-1] in " ".join(str(w.message) for w in caught)
    totals = part.grids.set_index("grid_id")["households"]
    before = original.grids.set_index("grid_id")["households"]
    expect = before.copy()
    expect[str(plain["grid_id"])] += 9
    expect[str(unit["grid_id"])] += 4
    pd.testing.assert_series_equal(totals, expect)
    sums = part.buildings.groupby("grid_id")["households"].sum()
    pd.testing.assert_series_equal(sums, totals, check_names=False)
    # The corrected unit row keeps its own value (not an equal share of the tower).
    rows = part.buildings.set_index("building_id")
    assert rows.loc[unit["building_id"], "households"] == unit["households"] + 4
    # And the partition still edits.
    building, _source, target = neighbour_pair(part)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        moved = move_units(part, building_ids=[building], to_grid=target)
    assert set(moved.changed) == {_source, target}


def test_a_building_corrected_above_the_maximum_is_split_again(saved: dict[str, Any]) -> None:
    b = saved["buildings"].copy()
    tower = str(b.loc[b["unit"].notna(), "parent_building_id"].iloc[0])
    first_unit = b.index[b["parent_building_id"] == tower][0]
    b.loc[first_unit, "households"] += 200  # 700 households: 9 units instead of 7
    with pytest.warns(GridmapWarning) as caught:
        part = restore(saved, buildings=b)
    messages = [str(w.message) for w in caught]
    assert any("split into unit rows again" in m and tower in m for m in messages), messages
    assert any("counted again" in m for m in messages), messages
    units = part.buildings[part.buildings["parent_building_id"] == tower]
    assert len(units) == 9
    assert int(units["households"].sum()) == TOWER_HOUSEHOLDS + 200
    assert set(units["grid_id"]) <= set(b.loc[b["parent_building_id"] == tower, "grid_id"])
    assert set(part.grids["grid_id"]) == set(saved["grids"]["grid_id"])


def test_inconsistent_layers_are_refused_naming_the_ids(saved: dict[str, Any]) -> None:
    b = saved["buildings"].copy()
    b.loc[b.index[2], "grid_id"] = "999999999999999"
    bid = str(b["building_id"].iloc[2])
    with pytest.raises(InputError, match=f"{bid} \\(grid 999999999999999\\)"):
        restore(saved, buildings=b)
    b = saved["buildings"].copy()
    b.loc[b.index[4], "grid_id"] = None
    with pytest.raises(InputError, match=f"{b['building_id'].iloc[4]} has no grid_id"):
        restore(saved, buildings=b)
    g = saved["grids"]
    dup = pd.concat([g, g.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=f"duplicate grid_id {g['grid_id'].iloc[0]}"):
        restore(saved, grids=dup)
    with pytest.raises(InputError, match="grid_id"):
        restore(saved, buildings=saved["buildings"].drop(columns="grid_id"))
    with pytest.raises(InputError, match="impossible"):
        partition_from_layers(saved["buildings"], g, min_households=300, max_households=200)


def test_an_empty_unlocked_grid_is_dropped_with_a_warning(saved: dict[str, Any]) -> None:
    g = saved["grids"]
    extra = g.iloc[[0]].copy()
    extra["grid_id"] = "110108001001099"
    grids = pd.concat([g, extra], ignore_index=True)
    with pytest.warns(GridmapWarning, match="110108001001099"):
        part = restore(saved, grids=grids)
    assert "110108001001099" not in set(part.grids["grid_id"])


def test_restore_messages_render_in_chinese(saved: dict[str, Any]) -> None:
    g = saved["grids"]
    dup = pd.concat([g, g.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError) as exc:
        restore(saved, grids=dup)
    assert f"网格表：grid_id 重复：{g['grid_id'].iloc[0]}" in exc.value.user_message("zh")
    extra = g.iloc[[0]].copy()
    extra["grid_id"] = "110108001001099"
    with pytest.warns(GridmapWarning) as caught:
        part = restore(saved, grids=pd.concat([g, extra], ignore_index=True))
    notes = [w.message for w in caught if "110108001001099" in str(w.message)]
    assert notes and "没有楼栋且未锁定，已删除" in notes[0].line("zh")
    assert any("已删除" in w.line("zh") for w in part.warnings)
