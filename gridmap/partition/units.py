"""Unit rows: a building with more households than a grid may hold is cut into units.

A grid holds at most ``max_households``; a single tower above that cannot be
placed whole, so it is split by units (entrances, 单元):

- with a ``units`` column (entrances) of ``u > 0``: ``u`` rows, one per unit
  (each unit cut further into equal floor bands when it alone exceeds the
  maximum);
- without it: ``ceil(households / settings.DEFAULT_MICRO_MAX_HOUSEHOLDS)``
  rows, so each row is at most one micro-grid (an estimate of the entrances).

Each unit row keeps every column of its building, takes an equal share of the
households (the remainder goes to the first rows), gets a slice of the
footprint (equal-width strips across the long axis of its minimum rotated
rectangle) and carries ``parent_building_id`` (the building's id) and ``unit``
(1, 2, ...). Its ``building_id`` is ``<parent>-U<unit>`` (``-UU<unit>`` etc. if
that id is taken), so ids stay unique. Buildings not split have ``unit`` empty
and ``parent_building_id`` equal to their ``building_id``.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import Geometry

from gridmap import settings

__all__ = ["unit_count", "slice_footprint", "split_oversized"]


def unit_count(households: int, max_households: int, units: int | None = None) -> int:
    """Number of unit rows for a building above ``max_households``."""
    if households <= max_households:
        return 1
    if units is not None and units > 0:
        per_unit = households / units
        return int(units * max(1, math.ceil(per_unit / max_households)))
    return max(2, math.ceil(households / settings.DEFAULT_MICRO_MAX_HOUSEHOLDS))


def slice_footprint(footprint: Geometry, parts: int) -> list[Geometry]:
    """Cut a footprint into ``parts`` strips across its long axis (metric CRS).

    Strips that miss the footprint (possible for U-shaped buildings) are
    replaced by the bare strip of the bounding rectangle, so every unit keeps a
    place on the map.
    """
    if parts <= 1:
        return [footprint]
    rect = shapely.oriented_envelope(footprint)
    xy = shapely.get_coordinates(rect)[:4]
    if len(xy) < 4:
        return [footprint] * parts
    e1, e2 = xy[1] - xy[0], xy[3] - xy[0]
    long, short = (e1, e2) if np.hypot(*e1) >= np.hypot(*e2) else (e2, e1)
    out: list[Geometry] = []
    for i in range(parts):
        a = xy[0] + long * (i / parts)
        b = xy[0] + long * ((i + 1) / parts)
        strip = shapely.Polygon([a, b, b + short, a + short])
        piece = shapely.intersection(footprint, strip)
        polys = [p for p in shapely.get_parts(piece) if shapely.get_type_id(p) == 3 and p.area > 0]
        if not polys:
            out.append(strip)
        elif len(polys) == 1:
            out.append(polys[0])
        else:
            out.append(shapely.MultiPolygon(polys))
    return out


def _shares(total: int, parts: int) -> list[int]:
    base, extra = divmod(int(total), parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def split_oversized(
    rows: gpd.GeoDataFrame, *, max_households: int
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Replace every building above ``max_households`` by its unit rows.

    Parameters
    ----------
    rows : GeoDataFrame
        Buildings in a metric CRS with ``building_id`` (str) and ``households``
        (int); an optional ``units`` column gives entrances.
    max_households : int
        Grid maximum.

    Returns
    -------
    rows : GeoDataFrame
        A new frame (RangeIndex) with ``parent_building_id`` and ``unit`` added.
    split : list of str
        Ids of the buildings that were split.
    """
    out = rows.copy()
    out["parent_building_id"] = out["building_id"]
    out["unit"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out = out.reset_index(drop=True)
    big = np.flatnonzero(out["households"].to_numpy() > max_households)
    if len(big) == 0:
        return out, []
    taken = set(out["building_id"])
    units_col = (
        pd.to_numeric(out["units"], errors="coerce").to_numpy(dtype=float)
        if "units" in out.columns
        else np.full(len(out), np.nan)
    )
    geom_name = out.geometry.name
    counts = np.ones(len(out), np.int64)
    for pos in big:
        u = units_col[pos]
        units = int(u) if np.isfinite(u) and u > 0 else None
        counts[pos] = unit_count(int(out.at[pos, "households"]), max_households, units)
    result = out.loc[out.index.repeat(counts)].copy()
    unit_no = result.groupby(level=0).cumcount().to_numpy() + 1
    is_unit = np.repeat(counts > 1, counts)
    ids = result["building_id"].to_numpy(dtype=object).copy()
    households = result["households"].to_numpy().copy()
    geoms = np.asarray(result.geometry.array, dtype=object).copy()
    offsets = np.concatenate([[0], np.cumsum(counts)])
    split: list[str] = []
    for pos in big:
        k = int(counts[pos])
        lo = offsets[pos]
        bid = str(out.at[pos, "building_id"])
        marker = "-U"
        while any(f"{bid}{marker}{i + 1}" in taken for i in range(k)):
            marker = marker + "U"
        new_ids = [f"{bid}{marker}{i + 1}" for i in range(k)]
        taken.update(new_ids)
        ids[lo : lo + k] = new_ids
        households[lo : lo + k] = _shares(int(out.at[pos, "households"]), k)
        geoms[lo : lo + k] = slice_footprint(out.geometry.iloc[pos], k)
        split.append(bid)
    result["building_id"] = ids
    result["households"] = households
    result["unit"] = pd.array(
        [int(x) if f else pd.NA for x, f in zip(unit_no, is_unit, strict=True)], dtype="Int64"
    )
    result[geom_name] = gpd.GeoSeries(geoms, index=result.index, crs=out.crs).array
    result = result.reset_index(drop=True)
    return gpd.GeoDataFrame(result, geometry=geom_name, crs=out.crs), split
