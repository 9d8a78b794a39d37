"""partition_grids: buildings -> grids, micro-grids and codes (see the package docstring)."""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from shapely import Geometry

from gridmap import settings
from gridmap.crs import WGS84, metric_crs
from gridmap.errors import InputError, warn
from gridmap.messages import Msg, msg
from gridmap.messages.values import Joined, Phrase
from gridmap.partition.codes import grid_code, level_codes, micro_code, next_numbers, nw_se_order
from gridmap.partition.graph import (
    GRID_SIZE_M,
    SiteGraph,
    build_site_graph,
    footprint_clip,
    points_in_polygons,
    polygonal,
    site_points,
    street_lines,
)
from gridmap.partition.micro import grouped_micro_labels
from gridmap.partition.parallel import reproject, run_jobs, threaded, worker_limit
from gridmap.partition.polygons import (
    overlay,
    region_polygons,
    union_coverage,
)
from gridmap.partition.solve import NodeGraph, choose_grid_count, partition_component
from gridmap.partition.units import split_oversized
from gridmap.schema import require_columns, require_crs

__all__ = ["GridPartition", "partition_grids"]

Progress = Callable[[str, float], None]
# Id of the one community when the data name none.
SINGLE_COMMUNITY_ID = "1"
_EMPTY = shapely.Polygon()
# At most this many ids are listed in one warning.
_SHOW = 10


def _quiet(stage: str, fraction: float) -> None:
    return None


def _ids(values: Any, limit: int = _SHOW) -> Joined:
    """The first ``limit`` ids joined, and how many more there are, in either language."""
    vals = [str(v) for v in values]
    shown = Joined(vals[:limit])
    if len(vals) <= limit:
        return shown
    more = Phrase(msg("partition.and_more", count=len(vals) - limit))
    return Joined([shown, more], en=" ", zh="")


def _norm_id(value: Any) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip()
    return text or None


def _norm_ids(values: pd.Series) -> pd.Series:
    """:func:`_norm_id` of every value; vectorised when all are strings (the usual case)."""
    # infer_dtype says "string" for string dtypes with missing values too.
    if values.notna().all() and pd.api.types.infer_dtype(values, skipna=False) == "string":
        text = values.str.strip().to_numpy(dtype=object, copy=True)
        text[text == ""] = None
        return pd.Series(text, index=values.index, dtype=object)
    return values.map(_norm_id).astype(object)


# --------------------------------------------------------------------------
# State kept for edits
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Everything about the data that does not depend on the assignment (metric CRS)."""

    crs: CRS
    rows: (
        pd.DataFrame
    )  # building_id, parent_building_id, unit, households, compound_id, community, site, src
    out_rows: gpd.GeoDataFrame  # output rows (EPSG:4326), same order as ``rows``
    communities: pd.DataFrame  # community_id, street_id, name, street_code, community_code
    community_polys: np.ndarray
    regions: np.ndarray
    region_community: np.ndarray
    region_locked: np.ndarray  # index into ``locked`` or -1
    locked: pd.DataFrame  # grid_id (or None), name, community
    graph: SiteGraph
    site_households: np.ndarray
    site_community: np.ndarray
    low: int
    high: int
    micro_low: int
    micro_high: int
    seed: int
    inputs: Mapping[str, Any]
    warnings: tuple[Msg, ...]


@dataclass(frozen=True)
class State:
    """A partition: the layout plus the grid and micro-grid of every site."""

    layout: Layout
    site_grid: np.ndarray  # grid_id per site (object)
    site_micro: np.ndarray  # micro_grid_id per site (object)
    grid_info: pd.DataFrame  # index grid_id: community, number, locked, name
    grid_poly: Mapping[str, Geometry]
    micro_poly: Mapping[str, Geometry]


@dataclass(frozen=True)
class GridPartition:
    """The result of :func:`partition_grids` or of an edit.

    Attributes
    ----------
    buildings : GeoDataFrame
        A new buildings table (EPSG:4326, RangeIndex) with ``grid_id``,
        ``micro_grid_id``, ``community_id``, ``parent_building_id`` and
        ``unit`` filled; buildings above the maximum appear as unit rows (see
        :mod:`gridmap.partition.units`).
    grids : GeoDataFrame
        The grids table of DATA_MODEL.md (grid_id, community_id, households,
        n_buildings, n_compounds, locked) plus street_id, name ("第3网格"),
        n_micro_grids and status; one Polygon each, EPSG:4326.
    micro_grids : GeoDataFrame
        micro_grid_id, grid_id, community_id, households, n_buildings, status.
    warnings : list of Msg
        Every warning raised while making it (also emitted as GridmapWarning);
        ``str(m)`` is the English line, ``m.line("zh")`` the Chinese one.
    min_households, max_households : int
        The bounds used.
    changed : tuple of str
        Grids an edit changed (created, removed, reshaped by membership or
        locked); empty for a fresh partition.
    """

    buildings: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    micro_grids: gpd.GeoDataFrame
    warnings: list[Msg]
    min_households: int
    max_households: int
    changed: tuple[str, ...] = ()
    _state: State | None = field(default=None, repr=False, compare=False)

    def balance(self) -> pd.DataFrame:
        """Households per grid against the bounds.

        Returns
        -------
        DataFrame
            grid_id, community_id, name, households, min_households,
            max_households, status (``ok``, ``below``, ``above``),
            deviation (households minus the mean of all grids), locked; and
            ``changed`` when the partition comes from an edit.
        """
        g = self.grids
        out = pd.DataFrame(
            {
                "grid_id": g["grid_id"].to_numpy(),
                "community_id": g["community_id"].to_numpy(),
                "name": g["name"].to_numpy(),
                "households": g["households"].to_numpy(),
                "min_households": self.min_households,
                "max_households": self.max_households,
                "status": g["status"].to_numpy(),
                "deviation": (g["households"] - g["households"].mean()).round(1).to_numpy()
                if len(g)
                else np.empty(0),
                "locked": g["locked"].to_numpy(),
                "changed": g["grid_id"].isin(self.changed).to_numpy(),
            }
        )
        return out


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------


def _check_bounds(low: int, high: int) -> None:
    if low < 0 or high <= 0 or low > high:
        raise InputError(msg("partition.bounds_impossible", low=low, high=high))


def _normalise_buildings(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(buildings, gpd.GeoDataFrame):
        raise InputError(msg("partition.buildings_not_frame"))
    require_columns(buildings, "buildings", ("building_id", "households"))
    require_crs(buildings, "buildings")
    if len(buildings) == 0:
        raise InputError(msg("partition.buildings_empty"))
    b = buildings.reset_index(drop=True).copy()
    ids = _norm_ids(b["building_id"])
    if ids.isna().any():
        rows = list(np.flatnonzero(ids.isna().to_numpy())[:5])
        raise InputError(msg("partition.building_id_empty", rows=rows))
    dup = ids[ids.duplicated()].unique()
    if len(dup):
        raise InputError(msg("partition.building_id_duplicate", ids=_ids(dup, 5)))
    b["building_id"] = ids.astype(object)
    hh = pd.to_numeric(b["households"], errors="coerce")
    bad = ids[hh.isna() | (hh < 0)]
    if len(bad):
        raise InputError(msg("partition.households_bad", ids=_ids(bad, 5)))
    b["households"] = hh.round().astype(np.int64)
    geom = b.geometry
    badg = ids[geom.isna() | geom.is_empty | ~geom.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(badg):
        raise InputError(msg("partition.geometry_bad", ids=_ids(badg, 5)))
    if "compound_id" in b.columns:
        b["compound_id"] = _norm_ids(b["compound_id"])
    else:
        b["compound_id"] = pd.Series([None] * len(b), dtype=object)
    return b


def _to_metric(gdf: gpd.GeoDataFrame, table: str, crs: CRS) -> gpd.GeoDataFrame:
    require_crs(gdf, table)
    out = gdf.reset_index(drop=True).to_crs(crs)
    fixed = _valid(np.asarray(out.geometry.array, dtype=object))
    out = out.set_geometry(gpd.GeoSeries(fixed, crs=crs, index=out.index))
    return out


# --------------------------------------------------------------------------
# Communities and regions
# --------------------------------------------------------------------------


def _streets_of(rows: pd.DataFrame, comm: np.ndarray, n: int, bstreet: pd.Series | None) -> list:
    if bstreet is None:
        return [None] * n
    df = pd.DataFrame({"c": comm, "s": _norm_ids(bstreet)}).dropna()
    out: list = [None] * n
    for c in np.unique(df["c"].to_numpy()):
        counts = df.loc[df["c"] == c, "s"].value_counts().sort_index()
        out[int(c)] = counts.idxmax()
    return out


def _assign_to_polygons(points: np.ndarray, polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first polygon holding each point; nearest polygon when none."""
    pi, ci = points_in_polygons(points, polys)
    out = np.full(len(points), -1, np.int64)
    first = np.unique(pi, return_index=True)[1]
    out[pi[first]] = ci[first]
    outside = np.flatnonzero(out < 0)
    if len(outside):
        tree = shapely.STRtree(polys)
        pts = shapely.points(points[outside])
        near = tree.query_nearest(pts, return_distance=False, all_matches=False)
        out[outside[near[0]]] = near[1]
    return out, outside


def _derived_polygons(xy: np.ndarray, site_comm: np.ndarray, clip: Geometry, n: int) -> np.ndarray:
    """Community polygons from the Voronoi cells of their sites, clipped to ``clip``."""
    if n == 1:
        return np.asarray([clip], dtype=object)
    extent = shapely.box(*shapely.bounds(shapely.union(clip, shapely.multipoints(xy))))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=extent, ordered=True)
    )
    out = np.empty(n, dtype=object)
    for c in range(n):
        mine = cells[site_comm == c]
        merged = union_coverage(mine) if len(mine) else shapely.Polygon()
        out[c] = polygonal(np.asarray([shapely.intersection(merged, clip)], dtype=object))[0]
    return out


def _remove_overlaps(polys: np.ndarray) -> tuple[np.ndarray, float]:
    """Each polygon minus the polygons before it; returns the overlap area removed."""
    out = polys.copy()
    if len(polys) < 2:
        return out, 0.0
    a, b = shapely.STRtree(polys).query(polys, predicate="intersects")
    later = a > b
    a, b = a[later], b[later]
    real = ~shapely.touches(polys[a], polys[b])
    a, b = a[real], b[real]
    removed = 0.0
    for i in np.unique(a):
        prior = shapely.union_all(polys[b[a == i]])
        cut = overlay("difference", polys[i], prior)
        cut = polygonal(np.asarray([cut], dtype=object))[0]
        removed += float(shapely.area(polys[i]) - shapely.area(cut))
        out[i] = cut
    return out, removed


def _on_grid(geoms: np.ndarray) -> np.ndarray:
    """Polygonal parts snap-rounded to the 1 mm grid (valid, no hair-thin pinches).

    Communities and locked areas are drawn by hand or derived; where a locked
    area comes within a nanometre of a community's outline, the region left
    between them would pinch to a point that reprojection turns into a
    self-intersection. Snap-rounding resolves such pinches once, up front.
    """
    return polygonal(shapely.set_precision(polygonal(np.asarray(geoms, dtype=object)), GRID_SIZE_M))


def _valid(geoms: np.ndarray) -> np.ndarray:
    """Geometries with the invalid ones repaired by make_valid."""
    out = np.asarray(geoms, dtype=object).copy()
    bad = ~threaded(shapely.is_valid, out)
    if bad.any():
        out[bad] = shapely.make_valid(out[bad])
    return out


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------


def build_layout(
    buildings: gpd.GeoDataFrame,
    *,
    low: int,
    high: int,
    communities: gpd.GeoDataFrame | None,
    roads: gpd.GeoDataFrame | None,
    locked: gpd.GeoDataFrame | None,
    seed: int,
    progress: Progress,
    follow_streets: bool = True,
) -> Layout:
    """Check the inputs and build sites, regions, tiles and the site graph.

    With ``follow_streets`` (and roads), tiles are cut along the street centre
    lines (:func:`gridmap.partition.graph.street_faces`); without, they are
    the plain Voronoi cells clipped to the regions.
    """
    warnings: list[Msg] = []
    inputs = {
        "buildings": buildings,
        "communities": communities,
        "roads": roads,
        "locked": locked,
        "follow_streets": follow_streets,
    }
    src = _normalise_buildings(buildings)
    crs = metric_crs(src)
    progress("projecting", 0.02)
    metric = np.asarray(src.geometry.array, dtype=object)
    if not CRS.from_user_input(src.crs).equals(crs):
        metric = reproject(metric, src.crs, crs)
    bm = src.set_geometry(gpd.GeoSeries(_valid(metric), crs=crs, index=src.index))
    n_b = len(bm)
    cent = shapely.get_coordinates(shapely.centroid(np.asarray(bm.geometry.array)))

    # Communities of the buildings.
    bstreet = bm["street_id"] if "street_id" in bm.columns else None
    if communities is not None and len(communities):
        require_columns(communities, "communities", ("community_id",))
        cm = _to_metric(communities, "communities", crs)
        cids = _norm_ids(cm["community_id"])
        if cids.isna().any() or cids.duplicated().any():
            raise InputError(msg("partition.community_id_bad"))
        polys = _on_grid(np.asarray(cm.geometry.array, dtype=object))
        polys, overlap = _remove_overlaps(polys)
        if overlap > 1.0:
            warnings.append(msg("partition.communities_overlap", area=f"{overlap:.0f}"))
        bcomm, outside = _assign_to_polygons(cent, polys)
        if len(outside):
            warnings.append(
                msg(
                    "partition.outside_communities",
                    count=len(outside),
                    ids=_ids(bm["building_id"].to_numpy()[outside]),
                )
            )
        names = cm["name"] if "name" in cm.columns else cids
        streets = (
            list(_norm_ids(cm["street_id"]))
            if "street_id" in cm.columns
            else _streets_of(bm, bcomm, len(cm), bstreet)
        )
        comm_table = pd.DataFrame(
            {"community_id": list(cids), "street_id": streets, "name": list(names.astype(str))}
        )
        comm_polys: np.ndarray | None = polys
    elif "community_id" in bm.columns:
        cid = _norm_ids(bm["community_id"])
        if cid.isna().all():
            cid = pd.Series([SINGLE_COMMUNITY_ID] * n_b)
        elif cid.isna().any():
            known = np.flatnonzero(cid.notna().to_numpy())
            miss = np.flatnonzero(cid.isna().to_numpy())
            tree = shapely.STRtree(shapely.points(cent[known]))
            near = tree.query_nearest(shapely.points(cent[miss]), all_matches=False)[1]
            cid = cid.copy()
            cid.iloc[miss] = cid.iloc[known[near]].to_numpy()
            warnings.append(
                msg(
                    "partition.no_community_id",
                    count=len(miss),
                    ids=_ids(bm["building_id"].to_numpy()[miss]),
                )
            )
        uniq = sorted(set(cid))
        bcomm = np.searchsorted(np.asarray(uniq, dtype=object), cid.to_numpy(dtype=object))
        comm_table = pd.DataFrame(
            {
                "community_id": uniq,
                "street_id": _streets_of(bm, bcomm, len(uniq), bstreet),
                "name": uniq,
            }
        )
        comm_polys = None
    else:
        bcomm = np.zeros(n_b, np.int64)
        comm_table = pd.DataFrame(
            {
                "community_id": [SINGLE_COMMUNITY_ID],
                "street_id": _streets_of(bm, bcomm, 1, bstreet),
                "name": [SINGLE_COMMUNITY_ID],
            }
        )
        comm_polys = None
    bm["_community"] = bcomm
    bm["_src"] = np.arange(n_b)

    # Unit rows for buildings above the maximum.
    keep_cols = ["building_id", "households", "compound_id", "_community", "_src"]
    if "units" in bm.columns:
        keep_cols.append("units")
    rows_gdf, split = split_oversized(bm[keep_cols + [bm.geometry.name]], max_households=high)
    if split:
        big = bm.set_index("building_id").loc[split, "households"]
        warnings.append(
            msg(
                "partition.buildings_split_units",
                count=len(split),
                high=high,
                ids=_ids([f"{b} ({h})" for b, h in big.items()]),
            )
        )
    footprints = np.asarray(rows_gdf.geometry.array, dtype=object)
    # Whole buildings keep the centroids found above; unit rows get their own.
    row_xy = cent[rows_gdf["_src"].to_numpy()]
    unit_row = rows_gdf["unit"].notna().to_numpy()
    if unit_row.any():
        row_xy[unit_row] = shapely.get_coordinates(shapely.centroid(footprints[unit_row]))
    xy, row_site = site_points(footprints, row_xy)
    n_s = len(xy)
    progress("sites", 0.08)
    # First row at each site decides its community.
    first_row = np.full(n_s, -1, np.int64)
    first_row[row_site[::-1]] = np.arange(len(row_site))[::-1]
    site_comm = rows_gdf["_community"].to_numpy()[first_row].astype(np.int64)
    clip = footprint_clip(footprints)
    if comm_polys is None:
        comm_polys = _on_grid(_derived_polygons(xy, site_comm, clip, len(comm_table)))
    # Codes of streets and communities.
    rep = shapely.get_coordinates(shapely.point_on_surface(comm_polys))
    street_keys = [s if s is not None else "" for s in comm_table["street_id"]]
    distinct = sorted(set(street_keys))
    street_xy = np.asarray(
        [rep[[i for i, s in enumerate(street_keys) if s == d]].mean(axis=0) for d in distinct]
    )
    scode = level_codes(distinct, street_xy) if distinct != [""] else {"": "001"}
    ccode: dict[int, str] = {}
    for d in distinct:
        members = [i for i, s in enumerate(street_keys) if s == d]
        codes = level_codes([str(comm_table["community_id"][i]) for i in members], rep[members])
        for i in members:
            ccode[i] = codes[str(comm_table["community_id"][i])]
    comm_table["street_code"] = [scode[s] for s in street_keys]
    comm_table["community_code"] = [ccode[i] for i in range(len(comm_table))]

    # Locked areas.
    locked_rows: list[dict[str, Any]] = []
    locked_polys: list[Geometry] = []
    if locked is not None and len(locked):
        lm = _to_metric(locked, "locked", crs)
        lpolys = _on_grid(np.asarray(lm.geometry.array, dtype=object))
        lpolys, _ = _remove_overlaps(lpolys)
        for j, poly in enumerate(lpolys):
            label = _norm_id(lm["grid_id"].iloc[j]) if "grid_id" in lm.columns else None
            lname = _norm_id(lm["name"].iloc[j]) if "name" in lm.columns else None
            shown: str | Phrase = label or (
                f"'{lname}'" if lname else Phrase(msg("partition.locked_number", number=j + 1))
            )
            if poly is None or shapely.is_empty(poly):
                warnings.append(msg("partition.locked_empty", name=shown))
                continue
            over = shapely.area(shapely.intersection(comm_polys, poly))
            if over.max() <= 1.0:
                warnings.append(msg("partition.locked_outside", name=shown))
                continue
            c = int(np.argmax(over))
            if (over > 1.0).sum() > 1:
                warnings.append(
                    msg(
                        "partition.locked_crosses",
                        name=shown,
                        community=comm_table["community_id"][c],
                    )
                )
            clipped = polygonal(
                np.asarray(
                    [shapely.intersection(poly, comm_polys[c], grid_size=GRID_SIZE_M)], dtype=object
                )
            )[0]
            name = (
                str(lm["name"].iloc[j])
                if "name" in lm.columns and _norm_id(lm["name"].iloc[j])
                else None
            )
            locked_rows.append({"grid_id": label, "name": name, "community": c})
            locked_polys.append(clipped)
    # object dtype: pandas 3 would store a missing grid_id as NaN in a str column,
    # and the code below tests ``grid_id is None``.
    locked_table = pd.DataFrame(locked_rows, columns=["grid_id", "name", "community"], dtype=object)

    # Regions: each community without its locked areas, then the locked areas.
    regions: list[Geometry] = []
    region_comm: list[int] = []
    region_locked: list[int] = []
    for c, poly in enumerate(comm_polys):
        mine = [locked_polys[j] for j, r in enumerate(locked_rows) if r["community"] == c]
        free = poly
        if mine:
            free = shapely.difference(poly, shapely.union_all(mine), grid_size=GRID_SIZE_M)
            free = polygonal(np.asarray([free], dtype=object))[0]
        regions.append(free)
        region_comm.append(c)
        region_locked.append(-1)
    for j, (poly, spec) in enumerate(zip(locked_polys, locked_rows, strict=True)):
        regions.append(poly)
        region_comm.append(int(spec["community"]))
        region_locked.append(j)
    reg = np.asarray(regions, dtype=object)
    reg_comm = np.asarray(region_comm, np.int64)
    reg_locked = np.asarray(region_locked, np.int64)

    # Site -> region of its community (a locked one first), nearest when outside.
    si, ri = points_in_polygons(xy, reg)
    ok = reg_comm[ri] == site_comm[si]
    si, ri = si[ok], ri[ok]
    order = np.lexsort((ri, reg_locked[ri] < 0, si))
    si, ri = si[order], ri[order]
    site_region = np.full(n_s, -1, np.int64)
    first = np.unique(si, return_index=True)[1]
    site_region[si[first]] = ri[first]
    locate = xy.copy()
    for s in np.flatnonzero(site_region < 0):
        cand = np.flatnonzero((reg_comm == site_comm[s]) & ~shapely.is_empty(reg))
        if len(cand) == 0:
            raise InputError(
                msg("partition.no_area_left", community=comm_table["community_id"][site_comm[s]])
            )
        pt = shapely.points(xy[s])
        d = shapely.distance(reg[cand], pt)
        r = int(cand[int(np.argmin(d))])
        site_region[s] = r
        near = shapely.get_coordinates(shapely.shortest_line(pt, reg[r]))[-1]
        locate[s] = near
    progress("tiles", 0.12)
    graph = build_site_graph(
        xy,
        site_region,
        reg,
        streets=street_lines(
            _to_metric(roads, "roads", crs) if roads is not None and len(roads) else None
        ),
        clip=clip,
        locate=locate,
        empty_ok=reg_locked >= 0,
        follow_streets=follow_streets,
    )
    for piece in graph.loose:
        c = comm_table["community_id"][int(_region_of_piece(piece, reg, reg_comm))]
        warnings.append(msg("partition.loose_part", community=c, area=f"{shapely.area(piece):.0f}"))
    site_hh = np.bincount(row_site, weights=rows_gdf["households"].to_numpy(), minlength=n_s)
    rows = pd.DataFrame(
        {
            "building_id": rows_gdf["building_id"].to_numpy(dtype=object),
            "parent_building_id": rows_gdf["parent_building_id"].to_numpy(dtype=object),
            "unit": rows_gdf["unit"].array,
            "households": rows_gdf["households"].to_numpy(np.int64),
            "compound_id": rows_gdf["compound_id"].to_numpy(dtype=object),
            "community": rows_gdf["_community"].to_numpy(np.int64),
            "site": row_site,
            "src": rows_gdf["_src"].to_numpy(np.int64),
        }
    )
    out_rows = _output_rows(src, rows, rows_gdf, crs)
    return Layout(
        crs=crs,
        rows=rows,
        out_rows=out_rows,
        communities=comm_table,
        community_polys=comm_polys,
        regions=reg,
        region_community=reg_comm,
        region_locked=reg_locked,
        locked=locked_table,
        graph=graph,
        site_households=site_hh.astype(np.int64),
        site_community=site_comm,
        low=low,
        high=high,
        micro_low=settings.DEFAULT_MICRO_MIN_HOUSEHOLDS,
        micro_high=settings.DEFAULT_MICRO_MAX_HOUSEHOLDS,
        seed=seed,
        inputs=inputs,
        warnings=tuple(warnings),
    )


def _region_of_piece(piece: Geometry, regions: np.ndarray, reg_comm: np.ndarray) -> int:
    pt = shapely.point_on_surface(piece)
    hit = [i for i, r in enumerate(regions) if shapely.intersects(r, pt)]
    return int(reg_comm[hit[0]]) if hit else 0


def _output_rows(
    src: gpd.GeoDataFrame, rows: pd.DataFrame, rows_gdf: gpd.GeoDataFrame, crs: CRS
) -> gpd.GeoDataFrame:
    """Output building rows in EPSG:4326: the input's columns, unit rows expanded."""
    base = src if CRS.from_user_input(src.crs).equals(WGS84) else src.to_crs(WGS84)
    out = base.iloc[rows["src"].to_numpy()].reset_index(drop=True).copy()
    unit = rows["unit"].notna().to_numpy()
    out["building_id"] = rows["building_id"].to_numpy(dtype=object)
    out["households"] = rows["households"].to_numpy(np.int64)
    if unit.any():
        geo = gpd.GeoSeries(np.asarray(rows_gdf.geometry.array)[unit], crs=crs).to_crs(WGS84)
        g = np.asarray(out.geometry.array, dtype=object).copy()
        g[unit] = np.asarray(geo.array, dtype=object)
        out = out.set_geometry(gpd.GeoSeries(g, crs=WGS84))
    out["parent_building_id"] = rows["parent_building_id"].to_numpy(dtype=object)
    out["unit"] = rows["unit"].array
    return out


# --------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------


def _site_adjacency(graph: SiteGraph) -> tuple[np.ndarray, np.ndarray]:
    n = len(graph.xy)
    mat = coo_array(
        (
            np.ones(2 * len(graph.u)),
            (np.concatenate([graph.u, graph.v]), np.concatenate([graph.v, graph.u])),
        ),
        shape=(n, n),
    ).tocsr()
    mat.sort_indices()
    return mat.indptr, mat.indices


def make_nodes(layout: Layout, fixed: np.ndarray, warnings: list[Msg]) -> np.ndarray:
    """Node of each site: whole compounds (<= max), whole fixed grids, else single sites.

    Parameters
    ----------
    layout : Layout
    fixed : ndarray (S,) of object
        Label of sites that may not move (locked or kept grids), None for free sites.
    warnings : list of Msg
        Receives warnings.

    Returns
    -------
    ndarray (S,)
        Node index of each site (nodes numbered by their first site).
    """
    g = layout.graph
    n = len(g.xy)
    rows = layout.rows
    free = np.asarray([f is None for f in fixed], dtype=bool)
    link_u: list[np.ndarray] = []
    link_v: list[np.ndarray] = []

    def chain(keys: pd.Series, sites: np.ndarray) -> None:
        df = pd.DataFrame({"k": keys.to_numpy(), "s": sites}).drop_duplicates()
        df = df.sort_values(["k", "s"], kind="stable")
        same = df["k"].to_numpy()[1:] == df["k"].to_numpy()[:-1]
        s = df["s"].to_numpy()
        link_u.append(s[:-1][same])
        link_v.append(s[1:][same])

    # Compounds of at most the maximum, per region, free sites only.
    comp = rows["compound_id"]
    has = comp.notna().to_numpy()
    hh_c = rows.loc[has].groupby("compound_id")["households"].sum()
    small = set(hh_c.index[hh_c <= layout.high])
    big = hh_c[hh_c > layout.high]
    if len(big):
        warnings.append(
            msg(
                "partition.compounds_too_big",
                count=len(big),
                high=layout.high,
                ids=_ids([f"{c} ({h})" for c, h in big.sort_index().items()]),
            )
        )
    site_free = free[rows["site"].to_numpy()]
    in_small = has & comp.isin(small).to_numpy()
    if in_small.any() and not site_free[in_small].all():
        mixed = (
            pd.DataFrame({"c": comp[in_small].to_numpy(), "f": site_free[in_small]})
            .groupby("c")["f"]
            .nunique()
        )
        cut = sorted(str(c) for c in mixed.index[mixed > 1])
        if cut:
            warnings.append(msg("partition.compounds_locked_cut", count=len(cut), ids=_ids(cut)))
    sel = in_small & site_free
    if sel.any():
        region = g.region[rows["site"].to_numpy()[sel]]
        # One key per (compound, region) pair: integers, not joined strings.
        codes = pd.factorize(comp[sel])[0].astype(np.int64)
        keys = pd.Series(codes * (int(g.region.max()) + 1) + region)
        chain(keys, rows["site"].to_numpy()[sel])
        crossing = (
            pd.DataFrame({"c": comp[sel].to_numpy(), "comm": rows["community"].to_numpy()[sel]})
            .groupby("c")["comm"]
            .nunique()
        )
        cross = sorted(crossing.index[crossing > 1])
        if cross:
            warnings.append(
                msg("partition.compounds_cross_community", count=len(cross), ids=_ids(cross))
            )
    # Fixed sites: one node per label.
    fixed_idx = np.flatnonzero(~free)
    if len(fixed_idx):
        chain(pd.Series([str(f) for f in fixed[fixed_idx]]), fixed_idx)
    u = np.concatenate(link_u) if link_u else np.empty(0, np.int64)
    v = np.concatenate(link_v) if link_v else np.empty(0, np.int64)
    mat = coo_array((np.ones(len(u)), (u, v)), shape=(n, n))
    node = connected_components(mat.tocsr(), directed=False)[1]
    node = _connect_nodes(layout, node, free, warnings)
    # Renumber by first site.
    _, first, inv = np.unique(node, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inv.ravel()]


def _pieces(sites: np.ndarray, indptr: np.ndarray, indices: np.ndarray) -> dict[int, int]:
    """Connected piece (0, 1, ...) of each of ``sites`` in the site graph."""
    own = set(sites.tolist())
    piece: dict[int, int] = {}
    count = 0
    for s in sites.tolist():
        if s in piece:
            continue
        piece[s] = count
        todo = [s]
        while todo:
            a = todo.pop()
            for j in range(indptr[a], indptr[a + 1]):
                b = int(indices[j])
                if b in own and b not in piece:
                    piece[b] = count
                    todo.append(b)
        count += 1
    return piece


def _connect_nodes(
    layout: Layout, node: np.ndarray, free: np.ndarray, warnings: list[Msg]
) -> np.ndarray:
    """Make every free node's sites connected: bridge through small nodes, or split it.

    A compound whose buildings are separated by another building's tile is
    joined through the shortest chain of free sites between its pieces when
    the whole stays within the maximum; otherwise it is split into its
    connected pieces (and a warning names it).
    """
    g = layout.graph
    n = len(g.xy)
    same = node[g.u] == node[g.v]
    mat = coo_array((np.ones(int(same.sum())), (g.u[same], g.v[same])), shape=(n, n))
    piece = connected_components(mat.tocsr(), directed=False)[1]
    df = pd.DataFrame({"node": node, "piece": piece, "free": free})
    stats = df.groupby("node").agg(pieces=("piece", "nunique"), free=("free", "all"))
    bad = [int(x) for x in stats.index[(stats["pieces"] > 1) & stats["free"]]]
    if not bad:
        return node
    node = node.copy()
    indptr, indices = _site_adjacency(g)
    weight = np.bincount(node, weights=layout.site_households).astype(float)
    split: set[str] = set()
    for x in bad:
        for _ in range(n):
            sites = np.flatnonzero(node == x)
            pieces = _pieces(sites, indptr, indices)
            if max(pieces.values()) == 0:
                break
            start = [s for s, p in pieces.items() if p == 0]
            path = _bridge(start, pieces, indptr, indices, free, g.region)
            if path is None:
                break
            gain = {int(node[s]) for s in path} - {x}
            if weight[x] + sum(weight[y] for y in gain) > layout.high:
                break
            for y in gain:
                node[node == y] = x
                weight[x] += weight[y]
                weight[y] = 0.0
        sites = np.flatnonzero(node == x)
        pieces = _pieces(sites, indptr, indices)
        if max(pieces.values()) > 0:
            base = int(node.max()) + 1
            for s, p in pieces.items():
                if p > 0:
                    node[s] = base + p
            rs = layout.rows[layout.rows["site"].isin(sites)]
            split.update(str(c) for c in rs["compound_id"].dropna())
    if split:
        warnings.append(
            msg("partition.compounds_not_contiguous", count=len(split), ids=_ids(sorted(split)))
        )
    return node


def _bridge(
    start: list[int],
    pieces: dict[int, int],
    indptr: np.ndarray,
    indices: np.ndarray,
    free: np.ndarray,
    region: np.ndarray,
) -> list[int] | None:
    """Shortest chain of other free sites from piece 0 to another piece, or None."""
    prev: dict[int, int] = {s: -1 for s in start}
    todo = deque(start)
    reg = region[start[0]]
    while todo:
        a = todo.popleft()
        for j in range(indptr[a], indptr[a + 1]):
            b = int(indices[j])
            if b in prev:
                continue
            if b in pieces:
                if pieces[b] != 0:
                    path = []
                    x = a
                    while x >= 0 and x not in pieces:
                        path.append(x)
                        x = prev[x]
                    return path
                continue
            if not free[b] or region[b] != reg:
                continue
            prev[b] = a
            todo.append(b)
    return None


# --------------------------------------------------------------------------
# Solve
# --------------------------------------------------------------------------


def _grid_counts(
    budget: int, totals: list[int], nodes: list[int], low: int, high: int
) -> list[int]:
    """Spread ``budget`` grids over components, keeping their means within the bounds.

    Each component starts at the count :func:`choose_grid_count` picks (mean
    nearest the middle of [low, high]). Grids are then added where the mean
    stays at or above ``low`` (the fullest component first), else where the
    grids are fullest; or taken away where the mean stays at or below ``high``
    (the emptiest first), else where the grids are emptiest. Never fewer than
    one grid nor more than nodes; ties go to the first component.
    """
    counts = [
        choose_grid_count(t, low, high, n_nodes=max(1, m))
        for t, m in zip(totals, nodes, strict=True)
    ]
    step = 1 if budget > sum(counts) else -1

    def key(c: int) -> tuple[int, float, int] | None:
        k, t = counts[c], totals[c]
        if step > 0:
            if k + 1 > nodes[c]:
                return None
            return (0 if t / (k + 1) >= low else 1, -t / k, c)
        if k <= 1:
            return None
        return (0 if t / (k - 1) <= high else 1, t / k, c)

    heap = [x for x in (key(c) for c in range(len(totals))) if x is not None]
    heapq.heapify(heap)
    # Each component has one entry in the heap, renewed when its count moves.
    for _ in range(abs(budget - sum(counts))):
        if not heap:
            break
        c = heapq.heappop(heap)[2]
        counts[c] += step
        again = key(c)
        if again is not None:
            heapq.heappush(heap, again)
    return counts


def _solve_component(
    graph: NodeGraph, members: np.ndarray, micro: Mapping[str, Any], **options: Any
) -> tuple[np.ndarray, int, np.ndarray]:
    """:func:`partition_component` of the subgraph on ``members`` (built in the worker).

    Also returns the grids out of bounds the exact step proved unavoidable (0
    when it did not run or proved nothing), and the micro-grid numbers of the
    component's sites (:func:`grouped_micro_labels` of its grids: a grid's
    micro-grids depend on its own sites only, so they are grown here, on the
    worker, rather than serially afterwards). ``micro`` holds the sites'
    coordinates ``xy``, households ``hh``, node ``node`` (index into
    ``members``), adjacent pairs ``u``, ``v`` (local) and the bounds.
    """
    proven: list[int] = []
    parts = partition_component(graph.subgraph(members), proven=proven, **options)
    local = grouped_micro_labels(
        micro["xy"],
        micro["hh"],
        micro["u"],
        micro["v"],
        parts[micro["node"]],
        low=micro["low"],
        high=micro["high"],
    )
    return parts, sum(proven), local


class Solved(NamedTuple):
    """Labels of every site from :func:`solve_sites`."""

    #: Grid label per site: ``"new:<k>"`` for the partitioned sites, else the fixed label.
    labels: np.ndarray
    #: Micro-grid number of each partitioned site within its grid, -1 for fixed sites.
    micro: np.ndarray


def _micro_inputs(
    layout: Layout,
    node: np.ndarray,
    n_nodes: int,
    free_nodes: np.ndarray,
    comp_nodes: list[np.ndarray],
) -> list[dict[str, Any]]:
    """Per component, the site data :func:`_solve_component` grows micro-grids from."""
    g = layout.graph
    node_comp = np.full(n_nodes, -1, np.int64)
    node_local = np.full(n_nodes, -1, np.int64)
    for c, members in enumerate(comp_nodes):
        node_comp[free_nodes[members]] = c
        node_local[free_nodes[members]] = np.arange(len(members))
    site_comp = node_comp[node]
    order = np.argsort(site_comp, kind="stable")
    starts = np.searchsorted(site_comp[order], np.arange(len(comp_nodes) + 1))
    pos = np.empty(len(node), np.int64)
    pos[order] = np.arange(len(node)) - starts[np.maximum(site_comp[order], 0)]
    same = (site_comp[g.u] == site_comp[g.v]) & (site_comp[g.u] >= 0)
    eu, ev = g.u[same], g.v[same]
    e_order = np.argsort(site_comp[eu], kind="stable")
    eu, ev = eu[e_order], ev[e_order]
    e_starts = np.searchsorted(site_comp[eu], np.arange(len(comp_nodes) + 1))
    out = []
    for c in range(len(comp_nodes)):
        sites = order[starts[c] : starts[c + 1]]
        cu, cv = eu[e_starts[c] : e_starts[c + 1]], ev[e_starts[c] : e_starts[c + 1]]
        out.append(
            {
                "sites": sites,
                "xy": g.xy[sites],
                "hh": layout.site_households[sites],
                "node": node_local[node[sites]],
                "u": pos[cu],
                "v": pos[cv],
                "low": layout.micro_low,
                "high": layout.micro_high,
            }
        )
    return out


def solve_sites(
    layout: Layout,
    *,
    fixed: np.ndarray,
    n_grids: int | None,
    warnings: list[Msg],
    progress: Progress,
    workers: int | None = None,
    exact_time: float = 0.0,
) -> Solved:
    """Assign every free site to a new grid label ``"new:<k>"``; fixed sites keep theirs.

    Components (communities, or their parts a locked area separates) are
    partitioned independently, on ``workers`` processes when that pays
    (:func:`gridmap.partition.parallel.run_jobs`; same result either way),
    and the micro-grids of their new grids grown there too.
    """
    g = layout.graph
    n = len(g.xy)
    progress("partitioning", 0.2)
    node = make_nodes(layout, fixed, warnings)
    n_nodes = int(node.max()) + 1 if n else 0
    weight = np.bincount(node, weights=layout.site_households, minlength=n_nodes).astype(np.int64)
    node_area = np.bincount(node, weights=shapely.area(g.tiles), minlength=n_nodes)
    # A node's outline: its tiles' outlines less the borders shared inside it.
    inner = node[g.u] == node[g.v]
    node_perim = np.bincount(node, weights=shapely.length(g.tiles), minlength=n_nodes) - 2.0 * (
        np.bincount(node[g.u[inner]], weights=g.length[inner], minlength=n_nodes)
    )
    ngraph = NodeGraph.from_edges(
        n_nodes,
        weight,
        node[g.u],
        node[g.v],
        g.weight,
        length=g.length,
        area=node_area,
        perimeter=node_perim,
    )
    free_site = np.asarray([f is None for f in fixed], dtype=bool)
    node_free = np.zeros(n_nodes, bool)
    node_free[node[free_site]] = True
    free_nodes = np.flatnonzero(node_free)
    labels = np.asarray(fixed, dtype=object).copy()
    site_micro = np.full(n, -1, np.int64)
    if len(free_nodes) == 0:
        return Solved(labels, site_micro)
    sub = ngraph.subgraph(free_nodes)
    comp = sub.components()
    n_comp = int(comp.max()) + 1
    comp_nodes = [np.flatnonzero(comp == c) for c in range(n_comp)]
    comp_hh = [int(sub.weight[c].sum()) for c in comp_nodes]
    ks: list[int | None] = [None] * n_comp
    if n_grids is not None:
        n_fixed = len({f for f in fixed if f is not None})
        budget = n_grids - n_fixed
        if budget < n_comp:
            warnings.append(
                msg("partition.n_grids_too_few", asked=n_grids, needed=n_comp + n_fixed)
            )
            budget = n_comp
        ks = list(
            _grid_counts(budget, comp_hh, [len(m) for m in comp_nodes], layout.low, layout.high)
        )
    # Community totals, for the island / small-community warnings.
    site_comm = layout.site_community
    node_comm = np.zeros(n_nodes, np.int64)
    node_comm[node] = site_comm
    comm_total = np.bincount(
        site_comm, weights=layout.site_households, minlength=len(layout.communities)
    )
    comm_parts = pd.Series([int(node_comm[free_nodes[c[0]]]) for c in comp_nodes]).value_counts()
    node_label = np.empty(n_nodes, dtype=object)
    counter = 0
    small_comm: list[str] = []
    islands: list[Phrase] = []
    micro_in = _micro_inputs(layout, node, n_nodes, free_nodes, comp_nodes)
    jobs = [
        {
            "graph": sub,
            "members": members,
            "low": layout.low,
            "high": layout.high,
            "k": ks[c],
            "seed": layout.seed,
            "area": float(node_area[free_nodes[members]].sum()),
            "fixed_count": n_grids is not None,
            "exact_time": exact_time,
            "micro": micro,
        }
        for c, (members, micro) in enumerate(zip(comp_nodes, micro_in, strict=True))
    ]
    solved = run_jobs(
        _solve_component,
        jobs,
        sizes=[len(m) for m in comp_nodes],
        workers=workers,
        progress=lambda share: progress("partitioning", 0.25 + 0.35 * share),
    )
    unavoidable: list[str] = []
    for c, (members, (parts, proven, local)) in enumerate(zip(comp_nodes, solved, strict=True)):
        site_micro[micro_in[c]["sites"]] = local
        cm = int(node_comm[free_nodes[members[0]]])
        if proven:
            unavoidable.append(f"{layout.communities['community_id'][cm]} ({proven})")
        for p in range(int(parts.max()) + 1):
            node_label[free_nodes[members[parts == p]]] = f"new:{counter}"
            counter += 1
        total = comp_hh[c]
        cid = str(layout.communities["community_id"][cm])
        if total < layout.low and n_grids is None:
            if comm_total[cm] < layout.low and comm_parts.get(cm, 0) == 1:
                small_comm.append(f"{cid} ({total})")
            else:
                site_ids = np.flatnonzero(np.isin(node, free_nodes[members]))
                bids = layout.rows.loc[layout.rows["site"].isin(site_ids), "parent_building_id"]
                islands.append(
                    Phrase(
                        msg(
                            "partition.island_group",
                            ids=_ids(sorted(set(bids)), 5),
                            community=cid,
                            households=total,
                        )
                    )
                )
    if unavoidable:
        warnings.append(
            msg(
                "partition.out_of_range_proven",
                count=len(unavoidable),
                low=layout.low,
                high=layout.high,
                ids=_ids(sorted(unavoidable)),
            )
        )
    if small_comm:
        warnings.append(
            msg(
                "partition.small_communities",
                count=len(small_comm),
                low=layout.low,
                ids=_ids(small_comm),
            )
        )
    if islands:
        warnings.append(
            msg(
                "partition.islands",
                count=len(islands),
                low=layout.low,
                groups=Joined(islands[:_SHOW], en="; ", zh="；"),
            )
        )
    free_labels = node_label[node]
    labels[free_site] = free_labels[free_site]
    return Solved(labels, site_micro)


# --------------------------------------------------------------------------
# Finishing: polygons, codes, micro-grids, tables
# --------------------------------------------------------------------------


def micro_local(
    layout: Layout, site_grid: np.ndarray, grids: list[str] | None = None
) -> np.ndarray:
    """Micro-grid number (0, 1, ... NW to SE within its grid) of each site of ``grids``.

    Sites of other grids get -1.
    """
    g = layout.graph
    labels = np.asarray([str(x) for x in site_grid], dtype=object)
    out = np.full(len(labels), -1, np.int64)
    sel = np.arange(len(labels)) if grids is None else np.flatnonzero(np.isin(labels, grids))
    if len(sel) == 0:
        return out
    group = pd.factorize(labels[sel])[0]
    pos = np.full(len(labels), -1, np.int64)
    pos[sel] = np.arange(len(sel))
    eu, ev = pos[g.u], pos[g.v]
    both = (eu >= 0) & (ev >= 0)
    out[sel] = grouped_micro_labels(
        g.xy[sel],
        layout.site_households[sel],
        eu[both],
        ev[both],
        group,
        low=layout.micro_low,
        high=layout.micro_high,
    )
    return out


def region_grid_polygons(
    layout: Layout, site_grid: np.ndarray, site_micro: np.ndarray
) -> tuple[dict[str, Geometry], dict[str, Geometry]]:
    """Grid and micro-grid polygons of all regions."""
    g = layout.graph
    grids, micros = region_polygons(
        g.tiles,
        np.asarray([str(x) for x in site_grid], dtype=object),
        np.asarray([str(x) for x in site_micro], dtype=object),
    )
    return {str(k): v for k, v in grids.items()}, {str(k): v for k, v in micros.items()}


def _centroids(
    polys: Mapping[str, Geometry], names: np.ndarray, fallback: np.ndarray
) -> np.ndarray:
    """Centroid of each named polygon (``fallback`` where a name has none)."""
    out = np.tile(np.asarray(fallback, dtype=float), (len(names), 1))
    geoms = np.asarray([polys.get(x) for x in names], dtype=object)
    has = np.flatnonzero([x is not None for x in geoms])
    if len(has):
        cent = shapely.centroid(geoms[has])
        out[has, 0] = shapely.get_x(cent)
        out[has, 1] = shapely.get_y(cent)
    return out


def number_grids(
    layout: Layout,
    site_grid: np.ndarray,
    polys: Mapping[str, Geometry],
    info: pd.DataFrame | None,
    *,
    fresh: bool,
) -> dict[str, str]:
    """Map every grid label without a code to a new grid_id (NW -> SE per community)."""
    g = layout.graph
    labels = np.asarray([str(x) for x in site_grid], dtype=object)
    names, first = np.unique(labels, return_index=True)
    comm = layout.site_community[first]
    known = set(info.index) if info is not None else set()
    is_new = np.asarray([x not in known for x in names], dtype=bool)
    if not is_new.any():
        return {}
    names, comm = names[is_new], comm[is_new]
    cent = _centroids(polys, names, g.xy[0])
    used_of: dict[int, set[int]] = {}
    if info is not None:
        numbered = info.dropna(subset=["number"])
        for c, nums in numbered.groupby("community")["number"]:
            used_of[int(c)] = {int(v) for v in nums}  # type: ignore[arg-type]
    rename: dict[str, str] = {}
    table = layout.communities
    order_c = np.argsort(comm, kind="stable")
    bounds = np.flatnonzero(np.diff(comm[order_c])) + 1
    for members in np.split(order_c, bounds):
        c = int(comm[members[0]])
        used = used_of.get(c, set())
        count = len(members)
        if fresh:
            free_numbers = [k for k in range(1, count + len(used) + 1) if k not in used][:count]
        else:
            free_numbers = next_numbers(used, count)
        street, code = str(table["street_code"][c]), str(table["community_code"][c])
        for rank, j in enumerate(nw_se_order(cent[members]).tolist()):
            rename[str(names[members[j]])] = grid_code(street, code, free_numbers[rank])
    return rename


def _largest_part(geom: Geometry) -> Geometry:
    """The largest polygon of a (multi)polygon."""
    parts = shapely.get_parts(geom)
    return parts[int(np.argmax(shapely.area(parts)))] if len(parts) > 1 else geom


def _to_wgs84(geoms: list[Geometry], crs: CRS) -> gpd.GeoSeries:
    """Polygons in EPSG:4326, valid.

    A polygon valid in metres may come out of reprojection self-intersecting
    where it nearly touches itself: a street drawn a fraction of a millimetre
    beside a community boundary leaves hair-thin spikes. Those few polygons
    are opened by :data:`GRID_SIZE_M` first (shrunk and grown back, mitred:
    spikes thinner than 2 mm vanish, edges stay put) and keep their largest
    part.
    """
    arr = reproject(np.asarray(geoms, dtype=object), crs, WGS84)
    bad = np.flatnonzero(~threaded(shapely.is_valid, arr) & ~shapely.is_missing(arr))
    if len(bad) == 0:
        return gpd.GeoSeries(arr, crs=WGS84)
    metric = np.asarray(geoms, dtype=object)[bad]
    opened = shapely.buffer(
        shapely.buffer(metric, -GRID_SIZE_M, join_style="mitre"), GRID_SIZE_M, join_style="mitre"
    )
    opened = np.asarray([_largest_part(g) for g in polygonal(opened)], dtype=object)
    arr[bad] = reproject(opened, crs, WGS84)
    still = bad[~shapely.is_valid(arr[bad])]
    if len(still):
        arr[still] = polygonal(shapely.make_valid(arr[still]))
    return gpd.GeoSeries(arr, crs=WGS84)


def assemble(state: State, warnings: list[Msg], changed: tuple[str, ...] = ()) -> GridPartition:
    """Build the output tables of a state."""
    layout = state.layout
    rows = layout.rows
    site = rows["site"].to_numpy()
    row_grid = state.site_grid[site]
    row_micro = state.site_micro[site]
    comm = layout.communities
    out = layout.out_rows.copy()
    out["community_id"] = comm["community_id"].to_numpy(dtype=object)[rows["community"].to_numpy()]
    if comm["street_id"].notna().any():
        out["street_id"] = comm["street_id"].to_numpy(dtype=object)[rows["community"].to_numpy()]
    out["grid_id"] = row_grid.astype(object)
    out["micro_grid_id"] = row_micro.astype(object)

    info = state.grid_info
    df = pd.DataFrame(
        {
            "grid_id": row_grid,
            "micro": row_micro,
            "hh": rows["households"].to_numpy(),
            "b": rows["parent_building_id"].to_numpy(dtype=object),
            "c": rows["compound_id"].to_numpy(dtype=object),
        }
    )
    per = df.groupby("grid_id").agg(
        households=("hh", "sum"),
        n_buildings=("b", "nunique"),
        n_compounds=("c", "nunique"),
        n_micro_grids=("micro", "nunique"),
    )
    ids = list(info.index)
    per = per.reindex(ids).fillna(0).astype(np.int64)
    cidx = info["community"].to_numpy(np.int64)
    low, high = layout.low, layout.high
    status = np.where(
        per["households"] < low, "below", np.where(per["households"] > high, "above", "ok")
    )
    geoms = [state.grid_poly.get(i, _EMPTY) for i in ids]
    grids = gpd.GeoDataFrame(
        {
            "grid_id": ids,
            "community_id": comm["community_id"].to_numpy(dtype=object)[cidx],
            "street_id": comm["street_id"].to_numpy(dtype=object)[cidx],
            "name": [
                n if isinstance(n, str) and n else f"第{int(k)}网格"
                for n, k in zip(info["name"], info["number"].fillna(0), strict=True)
            ],
            "households": per["households"].to_numpy(),
            "n_buildings": per["n_buildings"].to_numpy(),
            "n_compounds": per["n_compounds"].to_numpy(),
            "n_micro_grids": per["n_micro_grids"].to_numpy(),
            "locked": info["locked"].to_numpy(bool),
            "status": status,
        },
        geometry=_to_wgs84(geoms, layout.crs),
        crs=WGS84,
    )
    grids = grids.sort_values("grid_id", kind="stable").reset_index(drop=True)

    mdf = df.groupby("micro").agg(
        grid_id=("grid_id", "first"), households=("hh", "sum"), n_buildings=("b", "nunique")
    )
    mids = sorted(mdf.index)
    mdf = mdf.reindex(mids)
    mcomm = info["community"].reindex(mdf["grid_id"]).to_numpy(np.int64)
    mlow, mhigh = layout.micro_low, layout.micro_high
    micro = gpd.GeoDataFrame(
        {
            "micro_grid_id": mids,
            "grid_id": mdf["grid_id"].to_numpy(dtype=object),
            "community_id": comm["community_id"].to_numpy(dtype=object)[mcomm],
            "households": mdf["households"].to_numpy(np.int64),
            "n_buildings": mdf["n_buildings"].to_numpy(np.int64),
            "status": np.where(
                mdf["households"] < mlow,
                "below",
                np.where(mdf["households"] > mhigh, "above", "ok"),
            ),
        },
        geometry=_to_wgs84([state.micro_poly.get(m, _EMPTY) for m in mids], layout.crs),
        crs=WGS84,
    )
    return GridPartition(
        buildings=out,
        grids=grids,
        micro_grids=micro,
        warnings=list(warnings),
        min_households=low,
        max_households=high,
        changed=changed,
        _state=state,
    )


def range_warning(
    layout: Layout, site_grid: np.ndarray, grids: list[str] | None = None
) -> Msg | None:
    """A warning naming the grids outside [min, max], or None.

    A grid below the minimum with no neighbouring grid (a whole small
    community, an island) is left out: its own warning explains it.
    """
    labels = np.asarray([str(x) for x in site_grid], dtype=object)
    hh = pd.Series(layout.site_households).groupby(labels).sum()
    if grids is not None:
        hh = hh[hh.index.isin(grids)]
    g = layout.graph
    differ = labels[g.u] != labels[g.v]
    social = set(labels[g.u][differ]) | set(labels[g.v][differ])
    alone = ~hh.index.isin(list(social))
    bad = hh[((hh < layout.low) & ~alone) | (hh > layout.high)].sort_index()
    if bad.empty:
        return None
    return msg(
        "partition.out_of_range",
        count=len(bad),
        low=layout.low,
        high=layout.high,
        ids=_ids([f"{k} ({int(v)})" for k, v in bad.items()]),
    )


def finish(
    layout: Layout,
    solved: Solved,
    *,
    info: pd.DataFrame | None,
    warnings: list[Msg],
    fresh: bool,
    progress: Progress,
    changed: tuple[str, ...] = (),
) -> GridPartition:
    """Polygons, codes, micro-grids and tables for a full assignment of sites.

    Micro-grids :func:`solve_sites` grew are kept; those of the fixed grids are grown here.
    """
    progress("micro-grids", 0.65)
    text = np.asarray([str(x) for x in solved.labels], dtype=object)
    names, grid_of = np.unique(text, return_inverse=True)
    grid_of = grid_of.ravel()
    local = solved.micro.copy()
    missing = local < 0
    if missing.any():
        local[missing] = micro_local(layout, text, sorted(set(text[missing])))[missing]
    # Integer keys: grid index and micro-grid number.
    width = int(local.max()) + 1
    key = grid_of * width + local
    progress("grid polygons", 0.75)
    grid_geoms, micro_geoms = region_polygons(layout.graph.tiles, grid_of, key)
    polys = {str(names[int(k)]): v for k, v in grid_geoms.items()}  # type: ignore[call-overload]
    rename = number_grids(layout, text, polys, info, fresh=fresh)
    new_names = np.asarray([rename.get(x, x) for x in names.tolist()], dtype=object)
    site_grid = new_names[grid_of]
    polys = {str(new_names[int(k)]): v for k, v in grid_geoms.items()}  # type: ignore[call-overload]
    micro_keys, key_of = np.unique(key, return_inverse=True)
    micro_ids = np.asarray(
        [
            micro_code(gid, k + 1)
            for gid, k in zip(
                new_names[micro_keys // width].tolist(), (micro_keys % width).tolist(), strict=True
            )
        ],
        dtype=object,
    )
    site_micro = micro_ids[key_of.ravel()]
    micro_index = {int(k): i for i, k in enumerate(micro_keys.tolist())}
    micro_poly: dict[str, Geometry] = {
        str(micro_ids[micro_index[int(k)]]): geom  # type: ignore[call-overload]
        for k, geom in micro_geoms.items()
    }
    # Grid info: community, number, locked, name.
    first = np.unique(grid_of, return_index=True)[1]
    grid_comm = layout.site_community[first]
    grid_lock = layout.region_locked[layout.graph.region[first]]
    lock_names = layout.locked["name"].to_numpy(dtype=object)
    ids = new_names.tolist()
    numbers: list[Any] = [_number_of(gid) for gid in ids]
    locked_flags = (grid_lock >= 0).tolist()
    grid_names: list[Any] = [lock_names[lk] if lk >= 0 else None for lk in grid_lock.tolist()]
    if info is not None:
        for i in np.flatnonzero(np.isin(new_names, info.index)).tolist():
            old = info.loc[ids[i]]
            numbers[i] = old["number"]
            locked_flags[i] = bool(old["locked"]) or locked_flags[i]
            grid_names[i] = old["name"]
    rows_info: list[dict[str, Any]] = [
        {"grid_id": gid, "community": int(c), "number": num, "locked": lk, "name": nm}
        for gid, c, num, lk, nm in zip(
            ids, grid_comm.tolist(), numbers, locked_flags, grid_names, strict=True
        )
    ]
    # Locked areas without any building still are grids.
    for j in range(len(layout.locked)):
        r = int(np.flatnonzero(layout.region_locked == j)[0])
        if (layout.graph.region == r).any():
            continue
        gid = layout.locked["grid_id"].iloc[j]
        c = int(layout.locked["community"].iloc[j])
        if gid is None or gid in set(site_grid):
            used = {int(x["number"]) for x in rows_info if x["community"] == c and x["number"]}
            num = next_numbers(used, 1)[0]
            comm = layout.communities
            gid = grid_code(str(comm["street_code"][c]), str(comm["community_code"][c]), num)
        polys[gid] = layout.regions[r]
        rows_info.append(
            {
                "grid_id": gid,
                "community": c,
                "number": _number_of(gid),
                "locked": True,
                "name": layout.locked["name"].iloc[j],
            }
        )
        warnings.append(msg("partition.locked_no_building", grid=gid))
    grid_info = pd.DataFrame(rows_info).set_index("grid_id").sort_index()
    wide = [g for g in grid_info.index if len(g) > 15 and (_number_of(g) or 0) > 999]
    if wide:
        warnings.append(msg("partition.codes_wide", count=len(wide)))
    note = range_warning(layout, site_grid)
    if note is not None:
        warnings.append(note)
    state = State(
        layout=layout,
        site_grid=site_grid,
        site_micro=site_micro,
        grid_info=grid_info,
        grid_poly=polys,
        micro_poly=micro_poly,
    )
    progress("tables", 0.95)
    return assemble(state, warnings, changed)


def _number_of(gid: str) -> int | None:
    """Grid number of a code made by :func:`grid_code` (digits after the community)."""
    if gid.isdigit() and len(gid) >= 15:
        return int(gid[12:])
    return None


def emit(messages: list[Msg], start: int = 0) -> None:
    """Emit warnings ``messages[start:]`` as GridmapWarning."""
    for m in messages[start:]:
        warn(m, stacklevel=3)


def partition_grids(
    buildings: gpd.GeoDataFrame,
    *,
    min_households: int = settings.DEFAULT_MIN_HOUSEHOLDS,
    max_households: int = settings.DEFAULT_MAX_HOUSEHOLDS,
    n_grids: int | None = None,
    communities: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    locked: gpd.GeoDataFrame | None = None,
    seed: int = settings.DEFAULT_SEED,
    progress: Progress | None = None,
    follow_streets: bool = True,
    workers: int | None = None,
    exact_time: float = 0.0,
) -> GridPartition:
    """Divide each community into contiguous grids of ``min``-``max`` households.

    Parameters
    ----------
    buildings : GeoDataFrame
        Buildings with ``building_id``, ``households`` and a footprint; optional
        ``compound_id`` (a compound of at most ``max_households`` is never
        split), ``community_id``, ``street_id`` and ``units`` (entrances). Any CRS.
    min_households, max_households : int
        Household bounds per grid.
    n_grids : int, optional
        Make this many grids in all (locked grids included) instead of choosing
        the number from the bounds; spread over communities by households.
    communities : GeoDataFrame, optional
        Community polygons with ``community_id`` (optional ``name``,
        ``street_id``). Without them, the buildings' ``community_id`` column
        defines communities (polygons from their buildings' Voronoi cells),
        else all buildings form one community.
    roads : GeoDataFrame, optional
        Street lines (OSM ``highway`` classes in
        :data:`~gridmap.partition.graph.MINOR_HIGHWAYS` are ignored). Tiles are
        cut along them, so grid boundaries run on street centre lines, and the
        partition prefers cuts along streets where the balance allows.
    locked : GeoDataFrame, optional
        Polygons of grids a planner fixed (optional ``grid_id``, ``name``):
        the buildings inside form those grids, the rest is partitioned.
    seed : int
        Seed of the graph partitioner.
    progress : callable, optional
        ``progress(stage, fraction)``.
    follow_streets : bool
        Cut tiles along the roads (default). False keeps plain Voronoi tiles
        (streets then only weigh the cuts), for comparison.
    workers : int, optional
        Processes partitioning communities side by side (default: the usable
        CPUs, or $GRIDMAP_WORKERS); the result does not depend on it. Small
        inputs and calls from a thread-running process (the app) stay in this
        process.
    exact_time : float
        Thorough mode: a community (or the part of one a locked area leaves)
        whose grids stay out of bounds after the heuristics gets this much
        CP-SAT deterministic time (roughly seconds; building the models comes
        on top) to find a split with fewer out of bounds, taken when it also
        leaves no grid further out of bounds than the worst one before.
        Parts of more than
        :data:`gridmap.partition.exact.MAX_NODES` nodes are left as they are.
        0 (default) skips it. On the synthetic 10,000-building district two
        seconds fix 1 of the 8 grids out of bounds that are not proven
        unavoidable (3 when a grid may end further out than before), for
        about 7 s more CPU (4.4 s more on two cores).

    Returns
    -------
    GridPartition

    Raises
    ------
    InputError
        Missing columns or CRS, duplicate or empty ids, bad households, bad bounds.

    Warns
    -----
    GridmapWarning
        Communities below the minimum, compounds or buildings above the
        maximum (split), island buildings, grids left outside the bounds.
    """
    report = progress or _quiet
    _check_bounds(min_households, max_households)
    if n_grids is not None and n_grids < 1:
        raise InputError(msg("partition.n_grids_bad", n_grids=n_grids))
    if workers is not None and workers < 1:
        raise InputError(msg("core.batch_bad_workers", n=workers))
    if not (math.isfinite(exact_time) and exact_time >= 0):
        raise InputError(msg("partition.exact_time_bad", seconds=exact_time))
    with worker_limit(workers):
        report("checking input", 0.0)
        layout = build_layout(
            buildings,
            low=int(min_households),
            high=int(max_households),
            communities=communities,
            roads=roads,
            locked=locked,
            seed=int(seed),
            progress=report,
            follow_streets=follow_streets,
        )
        warnings = list(layout.warnings)
        solved = solve_sites(
            layout,
            fixed=locked_labels(layout),
            n_grids=n_grids,
            warnings=warnings,
            progress=report,
            exact_time=float(exact_time),
        )
        result = finish(layout, solved, info=None, warnings=warnings, fresh=True, progress=report)
    emit(result.warnings)
    report("done", 1.0)
    return result


def locked_labels(layout: Layout, keep: Mapping[int, str] | None = None) -> np.ndarray:
    """Fixed label per site: locked areas (their grid_id or ``locked:<j>``), kept sites."""
    g = layout.graph
    fixed = np.full(len(g.xy), None, dtype=object)
    lk = layout.region_locked[g.region]
    for j in np.unique(lk[lk >= 0]):
        gid = layout.locked["grid_id"].iloc[int(j)]
        fixed[lk == j] = gid if gid is not None else f"locked:{int(j)}"
    if keep:
        for s, gid in keep.items():
            if fixed[s] is None:
                fixed[s] = gid
    return fixed


def with_state(partition: GridPartition) -> State:
    """The internal state of a partition (raises InputError when absent)."""
    if partition._state is None:
        raise InputError(msg("partition.no_state"))
    return partition._state
