"""Rebuild an editable :class:`GridPartition` from saved layers.

A project GeoPackage keeps the buildings (with ``grid_id``, ``micro_grid_id``
and the unit rows of :mod:`.units`) and the grids (with ``locked``), but not
the partition's internal state that the edits of :mod:`.edits` need: the sites,
their tiles and adjacency, the community codes and the grids' numbers.
:func:`partition_from_layers` rebuilds that state and takes the assignment from
the layers, so a planner can go on editing after a restart:

1. Unit rows are joined back into their building (footprint = union of the
   slices, households = sum) so the layout is rebuilt from the same input as
   :func:`~gridmap.partition.engine.partition_grids` had; the units come out
   with the same ids and each keeps its saved households.
2. Locked grids are passed as locked areas (their saved polygons), as
   :func:`~gridmap.partition.edits.lock_grid` does for later locks.
3. Every site takes the grid and micro-grid saved for its rows; grids keep their
   codes, lock flag, custom names and saved polygons.
4. Totals (households, buildings, compounds, micro-grids, status) are counted
   again from the buildings: where they differ from the saved grids (households
   corrected after partitioning), a warning names the grids.

What cannot be rebuilt exactly: a grid locked by its id (not by a drawn polygon)
becomes a locked area of its own polygon. The tiles of the other grids are the
same in both cases (each tile is the part of the community nearest its
building), so this changes nothing an edit can see.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import Geometry

from gridmap import settings
from gridmap.errors import InputError, warn
from gridmap.messages import Msg, msg
from gridmap.partition.codes import micro_code
from gridmap.partition.engine import (
    GridPartition,
    Layout,
    State,
    _check_bounds,
    _ids,
    _norm_id,
    _norm_ids,
    _number_of,
    assemble,
    build_layout,
    micro_local,
    range_warning,
    region_grid_polygons,
)
from gridmap.schema import require_columns, require_crs

__all__ = ["partition_from_layers"]

# Columns a partition writes into the buildings table; they are not input.
_OUTPUT_COLUMNS = ("grid_id", "micro_grid_id", "parent_building_id", "unit")


def _quiet(stage: str, fraction: float) -> None:
    return None


def _check_frames(buildings: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> None:
    for frame, table in ((buildings, "buildings"), (grids, "grids")):
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InputError(msg("partition.table_not_frame", table=table))
        require_crs(frame, table)
    require_columns(buildings, "buildings", ("building_id", "households", "grid_id"))
    require_columns(grids, "grids", ("grid_id",))
    if len(buildings) == 0:
        raise InputError(msg("partition.buildings_empty"))


def _grid_table(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    g = grids.reset_index(drop=True).copy()
    g["grid_id"] = _norm_ids(g["grid_id"])
    if g["grid_id"].isna().any():
        rows = list(np.flatnonzero(g["grid_id"].isna().to_numpy())[:5])
        raise InputError(msg("partition.grid_id_empty", rows=rows))
    dup = g["grid_id"][g["grid_id"].duplicated()].unique()
    if len(dup):
        raise InputError(msg("partition.grid_id_duplicate", ids=_ids(dup, 5)))
    locked = g["locked"] if "locked" in g.columns else pd.Series(False, index=g.index)
    g["locked"] = [bool(x) if x is not None and not pd.isna(x) else False for x in locked]
    return g


def _original_buildings(b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The buildings before unit rows: each split building joined back into one row."""
    if "parent_building_id" not in b.columns or "unit" not in b.columns:
        return b.drop(columns=[c for c in _OUTPUT_COLUMNS if c in b.columns])
    parent = _norm_ids(b["parent_building_id"])
    unit = pd.to_numeric(b["unit"], errors="coerce")
    is_unit = (unit.notna() & parent.notna() & (parent != b["building_id"])).to_numpy()
    if not is_unit.any():
        return b.drop(columns=[c for c in _OUTPUT_COLUMNS if c in b.columns])
    plain_ids = set(b.loc[~is_unit, "building_id"])
    clash = sorted(set(parent[is_unit]) & plain_ids)
    if clash:
        raise InputError(msg("partition.unit_parent_clash", ids=_ids(clash, 5)))
    key = b["building_id"].where(~is_unit, parent).to_numpy(dtype=object)
    # Each building at the place of its first row; its unit rows in unit order.
    order = np.lexsort((unit.fillna(0).to_numpy(), pd.factorize(key)[0]))
    b = b.iloc[order].reset_index(drop=True)
    key = key[order]
    first = ~pd.Series(key).duplicated().to_numpy()
    geom = np.asarray(b.geometry.array, dtype=object)
    codes, uniq = pd.factorize(key)
    merged = np.empty(len(uniq), dtype=object)
    hh = np.bincount(codes, weights=b["households"].to_numpy(np.int64), minlength=len(uniq))
    for k in range(len(uniq)):
        parts = geom[codes == k]
        merged[k] = parts[0] if len(parts) == 1 else shapely.union_all(parts)
    out = b.loc[first].reset_index(drop=True).copy()
    out["building_id"] = np.asarray(uniq, dtype=object)
    out["households"] = hh.round().astype(np.int64)
    out = out.set_geometry(gpd.GeoSeries(merged, crs=b.crs))
    return out.drop(columns=[c for c in _OUTPUT_COLUMNS if c in out.columns])


def _locked_areas(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    lk = g[g["locked"] & ~g.geometry.isna() & ~g.geometry.is_empty]
    if len(lk) == 0:
        return None
    names = [_custom_name(n, gid) for n, gid in zip(_names(lk), lk["grid_id"], strict=True)]
    return gpd.GeoDataFrame(
        {"grid_id": list(lk["grid_id"]), "name": names},
        geometry=list(lk.geometry),
        crs=g.crs,
    )


def _names(g: pd.DataFrame) -> list[Any]:
    return list(g["name"]) if "name" in g.columns else [None] * len(g)


def _custom_name(name: Any, grid_id: str) -> str | None:
    """A planner's name; None for the default 第N网格 (made again from the code)."""
    text = _norm_id(name)
    number = _number_of(str(grid_id))
    if text is None or (number is not None and text == f"第{number}网格"):
        return None
    return text


def _mode(values: pd.Series) -> Any:
    counts = values.value_counts()
    return counts[counts == counts.max()].sort_index().index[0]


def _resplit(layout: Layout, saved: pd.DataFrame) -> set[str]:
    """Buildings whose unit rows now differ from the saved ones (households corrected)."""
    now = layout.rows.groupby("parent_building_id")["building_id"].agg(frozenset)
    before = saved.groupby("parent")["building_id"].agg(frozenset)
    before = before.reindex(now.index)
    return {
        str(p) for p in now.index if not isinstance(before[p], frozenset) or before[p] != now[p]
    }


def _assign_rows(
    layout: Layout, saved: pd.DataFrame, resplit: set[str], warnings: list[Msg]
) -> tuple[pd.Series, pd.Series]:
    """Grid and micro-grid of each layout row, from the saved rows.

    A row saved under its id keeps its grid and micro-grid; the rows of a
    building split differently now go to the grid of the nearest saved row of
    that building (their micro-grids are grown again).
    """
    rows = layout.rows
    by_id = saved.set_index("building_id")
    grid = rows["building_id"].map(by_id["grid_id"]).astype(object)
    micro = rows["building_id"].map(by_id["micro_grid_id"]).astype(object)
    again = rows["parent_building_id"].isin(resplit).to_numpy()
    if again.any():
        # Each new unit row joins the grid of the nearest saved row of its building.
        xy = layout.graph.xy[rows["site"].to_numpy()]
        values = grid.to_numpy(dtype=object).copy()
        parents = rows["parent_building_id"].to_numpy(dtype=object)
        for pos in np.flatnonzero(again).tolist():
            mine = saved[saved["parent"] == parents[pos]]
            d = np.hypot(mine["x"].to_numpy() - xy[pos, 0], mine["y"].to_numpy() - xy[pos, 1])
            values[pos] = mine["grid_id"].to_numpy(dtype=object)[int(np.argmin(d))]
        grid = pd.Series(values, index=grid.index, dtype=object)
        micro[again] = None
        warnings.append(
            msg(
                "partition.units_resplit",
                count=len(resplit),
                high=layout.high,
                ids=_ids(sorted(resplit)),
            )
        )
    return grid, micro


def _site_labels(
    layout: Layout, row_grid: pd.Series, row_micro: pd.Series, warnings: list[Msg]
) -> tuple[np.ndarray, np.ndarray]:
    rows = layout.rows
    n = len(layout.graph.xy)
    df = pd.DataFrame(
        {"site": rows["site"].to_numpy(), "grid": row_grid.to_numpy(), "micro": row_micro}
    )
    per_site = df.groupby("site")["grid"]
    mixed = per_site.nunique()
    bad_sites = mixed.index[mixed > 1]
    if len(bad_sites):
        bids = rows.loc[rows["site"].isin(bad_sites), "building_id"]
        warnings.append(
            msg("partition.same_place_grids", count=len(bad_sites), ids=_ids(sorted(bids)))
        )
    site_grid = np.empty(n, dtype=object)
    site_grid[:] = None
    grid_of = per_site.agg(_mode)
    site_grid[grid_of.index.to_numpy()] = grid_of.to_numpy(dtype=object)
    site_micro = np.empty(n, dtype=object)
    site_micro[:] = None
    first = df.drop_duplicates("site")
    site_micro[first["site"].to_numpy()] = first["micro"].to_numpy(dtype=object)
    return site_grid, site_micro


def _fix_micro(layout: Layout, site_grid: np.ndarray, site_micro: np.ndarray) -> np.ndarray:
    """Grow micro-grids again in the grids whose saved micro-grid ids do not fit."""
    labels = site_grid.astype(str)
    micro = pd.Series(site_micro, dtype=object)
    ok = np.asarray(
        [
            isinstance(m, str) and m.startswith(g) and len(m) == len(g) + 3
            for m, g in zip(micro, labels, strict=True)
        ],
        dtype=bool,
    )
    bad = set(labels[~ok])
    owners = pd.Series(labels).groupby(micro.fillna("").to_numpy()).nunique()
    bad |= set(labels[micro.isin(list(owners.index[owners > 1])).to_numpy()])
    if not bad:
        return site_micro
    grids = sorted(bad)
    local = micro_local(layout, site_grid, grids)
    out = site_micro.copy()
    for s in np.flatnonzero(np.isin(labels, grids)):
        out[s] = micro_code(labels[s], int(local[s]) + 1)
    return out


def _grid_info(
    layout: Layout, g: gpd.GeoDataFrame, site_grid: np.ndarray, warnings: list[Msg]
) -> pd.DataFrame:
    comm_index = {str(c): i for i, c in enumerate(layout.communities["community_id"])}
    labels = site_grid.astype(str)
    site_comm = pd.Series(layout.site_community).groupby(labels)
    crossing = site_comm.nunique()
    crossing = crossing[crossing > 1]
    if len(crossing):
        warnings.append(
            msg(
                "partition.grid_crosses_communities",
                count=len(crossing),
                ids=_ids(sorted(crossing.index)),
            )
        )
    comm_of = site_comm.agg(_mode)
    rows = []
    saved_comm = (
        _norm_ids(g["community_id"]) if "community_id" in g.columns else pd.Series(None, g.index)
    )
    for gid, name, locked, cid in zip(
        g["grid_id"], _names(g), g["locked"], saved_comm, strict=True
    ):
        if gid in comm_of.index:
            comm = int(comm_of[gid])
        elif cid is not None and str(cid) in comm_index:
            comm = comm_index[str(cid)]
        else:
            raise InputError(msg("partition.empty_grid_bad_community", grid=gid, community=cid))
        rows.append(
            {
                "grid_id": str(gid),
                "community": comm,
                "number": _number_of(str(gid)),
                "locked": bool(locked),
                "name": _custom_name(name, str(gid)),
            }
        )
    return pd.DataFrame(rows).set_index("grid_id").sort_index()


def _saved_polygons(
    layout: Layout, g: gpd.GeoDataFrame, tile_polys: dict[str, Geometry]
) -> dict[str, Geometry]:
    """Saved grid polygons (metric CRS); from the tiles where none was saved."""
    metric = g.to_crs(layout.crs)
    out: dict[str, Geometry] = {}
    for gid, geom in zip(metric["grid_id"], metric.geometry, strict=True):
        if geom is None or shapely.is_empty(geom):
            if gid in tile_polys:
                out[str(gid)] = tile_polys[str(gid)]
            continue
        out[str(gid)] = geom if shapely.is_valid(geom) else shapely.make_valid(geom)
    return out


def partition_from_layers(
    buildings: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame,
    *,
    micro_grids: gpd.GeoDataFrame | None = None,
    communities: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    min_households: int,
    max_households: int,
    seed: int = settings.DEFAULT_SEED,
) -> GridPartition:
    """Rebuild a partition that the edits accept from its saved layers.

    Parameters
    ----------
    buildings : GeoDataFrame
        Buildings as :func:`~gridmap.partition.engine.partition_grids` wrote
        them: ``building_id``, ``households`` and ``grid_id`` (required),
        ``micro_grid_id``, ``parent_building_id`` and ``unit`` (unit rows),
        ``compound_id``, ``community_id``, ``street_id``. Households may have
        been corrected since.
    grids : GeoDataFrame
        The grids table: ``grid_id`` (required), ``community_id``, ``name``,
        ``locked``, ``households`` and the grid polygons.
    micro_grids : GeoDataFrame, optional
        Micro-grid polygons by ``micro_grid_id``; made from the tiles when
        absent (a project GeoPackage does not store them).
    communities, roads : GeoDataFrame, optional
        The same community polygons and streets the partition was made with.
    min_households, max_households : int
        The bounds the partition was made with.
    seed : int
        The partition's seed (used again by :func:`~gridmap.partition.split_grid`
        and :func:`~gridmap.partition.lock_grid`).

    Returns
    -------
    GridPartition
        Same grids, codes, buildings and micro-grids as the layers, totals
        counted from the buildings, ``changed`` empty; every edit works on it.

    Raises
    ------
    InputError
        Missing columns or CRS, bad bounds, duplicate grid ids, a building
        without a grid or in a grid the grids table does not have.

    Warns
    -----
    GridmapWarning
        Grids whose saved households differ from the sum of their buildings
        (their totals are counted again), and grids now outside the bounds.
    """
    _check_bounds(min_households, max_households)
    _check_frames(buildings, grids)
    low, high = int(min_households), int(max_households)
    g = _grid_table(grids)
    b = buildings.reset_index(drop=True).copy()
    b["building_id"] = _norm_ids(b["building_id"])
    if b["building_id"].isna().any():
        empty = list(np.flatnonzero(b["building_id"].isna().to_numpy())[:5])
        raise InputError(msg("partition.building_id_empty", rows=empty))
    b["grid_id"] = _norm_ids(b["grid_id"])
    no_grid = b.loc[b["grid_id"].isna(), "building_id"]
    if len(no_grid):
        raise InputError(msg("partition.no_grid_id", ids=_ids(no_grid, 5)))
    known = set(g["grid_id"])
    unknown = b.loc[~b["grid_id"].isin(known)]
    if len(unknown):
        pairs = [
            f"{x} (grid {y})"
            for x, y in zip(unknown["building_id"], unknown["grid_id"], strict=True)
        ]
        raise InputError(msg("partition.grid_id_unknown", ids=_ids(pairs, 5)))
    hh = pd.to_numeric(b["households"], errors="coerce")
    bad_hh = b.loc[hh.isna() | (hh < 0), "building_id"]
    if len(bad_hh):
        raise InputError(msg("partition.households_bad", ids=_ids(bad_hh, 5)))
    b["households"] = hh.round().astype(np.int64)
    micro_col = b["micro_grid_id"] if "micro_grid_id" in b.columns else pd.Series(None, b.index)
    parent = (
        _norm_ids(b["parent_building_id"]).fillna(b["building_id"])
        if "parent_building_id" in b.columns
        else b["building_id"]
    )
    saved = pd.DataFrame(
        {
            "building_id": b["building_id"].to_numpy(dtype=object),
            "parent": parent.to_numpy(dtype=object),
            "grid_id": b["grid_id"].to_numpy(dtype=object),
            "micro_grid_id": _norm_ids(micro_col).to_numpy(dtype=object),
            "households": b["households"].to_numpy(np.int64),
        }
    )
    if saved["building_id"].duplicated().any():
        dup = saved["building_id"][saved["building_id"].duplicated()].unique()
        raise InputError(msg("partition.building_id_duplicate", ids=_ids(dup, 5)))

    warnings: list[Msg] = []
    locked = _locked_areas(g)
    layout = build_layout(
        _original_buildings(b),
        low=low,
        high=high,
        communities=communities if communities is not None and len(communities) else None,
        roads=roads if roads is not None and len(roads) else None,
        locked=locked,
        seed=int(seed),
        progress=_quiet,
    )
    # Unit rows keep the households saved for them (a planner may have corrected one),
    # unless their building is split differently now.
    resplit = _resplit(layout, saved)
    rows = layout.rows
    kept = rows["building_id"].map(saved.set_index("building_id")["households"])
    kept[rows["parent_building_id"].isin(resplit).to_numpy()] = np.nan
    if kept.notna().any() and (kept.dropna() != rows.loc[kept.notna(), "households"]).any():
        new_hh = kept.fillna(rows["households"]).astype(np.int64).to_numpy()
        rows = rows.assign(households=new_hh)
        out_rows = layout.out_rows.copy()
        out_rows["households"] = new_hh
        site_hh = np.bincount(
            rows["site"].to_numpy(), weights=new_hh, minlength=len(layout.graph.xy)
        )
        layout = dataclasses.replace(
            layout, rows=rows, out_rows=out_rows, site_households=site_hh.astype(np.int64)
        )

    cent = shapely.get_coordinates(
        shapely.centroid(np.asarray(b.to_crs(layout.crs).geometry.array, dtype=object))
    )
    saved = saved.assign(x=cent[:, 0], y=cent[:, 1])
    row_grid, row_micro = _assign_rows(layout, saved, resplit, warnings)
    site_grid, site_micro = _site_labels(layout, row_grid, row_micro, warnings)
    empty_unlocked = sorted(set(g.loc[~g["locked"], "grid_id"]) - set(site_grid.astype(str)))
    if empty_unlocked:
        warnings.append(
            msg(
                "partition.empty_grids_dropped", count=len(empty_unlocked), ids=_ids(empty_unlocked)
            )
        )
        g = g[~g["grid_id"].isin(empty_unlocked)].reset_index(drop=True)
    site_micro = _fix_micro(layout, site_grid, site_micro)
    info = _grid_info(layout, g, site_grid, warnings)
    tile_grid, tile_micro = region_grid_polygons(layout, site_grid, site_micro)
    grid_poly = _saved_polygons(layout, g, tile_grid)
    micro_poly: dict[str, Geometry] = dict(tile_micro)
    if micro_grids is not None and len(micro_grids) and "micro_grid_id" in micro_grids.columns:
        require_crs(micro_grids, "micro_grids")
        mg = micro_grids.to_crs(layout.crs)
        for mid, geom in zip(_norm_ids(mg["micro_grid_id"]), mg.geometry, strict=True):
            if mid in micro_poly and geom is not None and not shapely.is_empty(geom):
                micro_poly[str(mid)] = geom
    state = State(
        layout=layout,
        site_grid=site_grid,
        site_micro=site_micro,
        grid_info=info,
        grid_poly=grid_poly,
        micro_poly=micro_poly,
    )
    result = assemble(state, [], ())
    if "households" in g.columns:
        before = pd.to_numeric(g.set_index("grid_id")["households"], errors="coerce")
        now = result.grids.set_index("grid_id")["households"]
        before = before.reindex(now.index)
        differ = now.index[before.isna() | (before != now)]
        if len(differ):
            changes = [
                f"{k} ({'-' if pd.isna(before[k]) else int(before[k])} -> {int(now[k])})"
                for k in differ
            ]
            warnings.append(msg("partition.totals_recounted", count=len(differ), ids=_ids(changes)))
            note = range_warning(layout, site_grid, [str(k) for k in differ])
            if note is not None:
                warnings.append(note)
    for message in warnings:
        warn(message, stacklevel=2)
    return dataclasses.replace(result, warnings=warnings)
