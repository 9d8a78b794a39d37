""" "1+10" assignment on the real OpenStreetMap extracts in ../shared/osm."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
from scipy.cluster.vq import kmeans2

from gridmap import settings
from gridmap.crs import to_metric
from gridmap.errors import GridmapWarning
from gridmap.members import assign_members


def read_with_grids(path: Path) -> dict:
    from gridmap.osm import read_osm

    # read_osm reports skipped features as warnings; they are its business, not ours.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        layers = read_osm(path)
    buildings = layers["buildings"].copy()
    metric = to_metric(buildings)
    centre = np.column_stack([metric.centroid.x, metric.centroid.y])
    lived = buildings["households"].to_numpy() > 0
    n_grids = max(2, math.ceil(buildings["households"].sum() / settings.DEFAULT_MAX_HOUSEHOLDS))
    centres, _ = kmeans2(centre[lived], n_grids, seed=1, minit="++")
    nearest = np.argmin(((centre[:, None] - centres[None]) ** 2).sum(-1), axis=1)
    buildings["grid_id"] = [f"G{k:02d}" for k in nearest]
    return {**layers, "buildings": buildings}


def test_real_extract(osm_file: Path) -> None:
    layers = read_with_grids(osm_file)
    buildings, roads = layers["buildings"], layers["roads"]
    total = int(buildings["households"].sum())
    assert total > 1000
    straight = assign_members(buildings)
    result = assign_members(buildings, roads=roads)
    assert result.synthetic and result.stats["distance_model"] == "network"
    # households covered exactly once wherever a grid has the capacity
    covered = result.ranges.groupby("building_id")["households"].sum()
    missing = result.uncovered.groupby("building_id")["households"].sum()
    hh = buildings.set_index("building_id")["households"]
    assert (covered.add(missing, fill_value=0).reindex(hh.index, fill_value=0) == hh).all()
    short = result.shortfall
    full = short[short["capacity"] >= short["households"]]
    assert (full["uncovered"] == 0).all()
    assert result.stats["covered"] == total - int(short["uncovered"].sum())
    # capacity and the same-grid rule
    members = result.members
    assert (members["households"] <= members["capacity"]).all()
    home_grid = members.set_index("member_id")["grid_id"]
    assert (result.ranges["member_id"].map(home_grid) == result.ranges["grid_id"]).all()
    # walking on streets is never shorter than the crow flies (straight total / detour factor)
    assert result.stats["total_walk_m"] >= straight.stats["total_walk_m"] / settings.DETOUR_FACTOR
    assert result.stats["total_walk_m"] != straight.stats["total_walk_m"]
    assert result.stats["max_walk_m"] < 2000
    # areas are valid polygons in WGS84 over the extract, and the tree adds up
    assert result.areas.crs.to_epsg() == 4326
    assert result.areas.geometry.is_valid.all()
    minx, miny, maxx, maxy = buildings.total_bounds
    ax0, ay0, ax1, ay1 = result.areas.total_bounds
    eps = 1e-7  # a round trip through UTM moves coordinates by ~1e-12 degrees
    assert minx - eps <= ax0 and ax1 <= maxx + eps and miny - eps <= ay0 and ay1 <= maxy + eps
    table = result.tree_table.set_index("level")
    assert table.at["area", "count"] == len(result.areas)
    assert (
        table.at["grid", "count"] == buildings.loc[buildings["households"] > 0, "grid_id"].nunique()
    )
    assert table.at["area", "households"] == result.stats["covered"]
