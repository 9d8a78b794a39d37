"""Household blocks: the pieces a responsibility area is made of.

A building's households are laid out in one sequence, unit (单元, entrance) by
unit and floor by floor inside a unit. Blocks are consecutive runs of that
sequence:

- ``unit``: a whole unit, when the data has ``units`` and ``levels`` and a unit
  holds at most ``per_member`` households;
- ``floors``: consecutive whole floors of a larger unit, as many as fit in
  ``per_member`` households (a floor with more flats than that is cut into
  runs of doors);
- ``building``: a whole small building (no unit data);
- ``chunk``: near-equal runs of at most ``per_member`` consecutive households
  of a larger building without unit data.

No block holds more than ``per_member`` households, so a member can always
take whole blocks.

Each block carries the part of the footprint it occupies: units of Chinese
slab buildings (板楼) are lined up along the building's long axis, so unit ``k``
of ``u`` is the ``k``-th of ``u`` equal slices of the footprint along that
axis; a chunk is the slice proportional to its household range; floors of one
unit share that unit's slice (they are stacked).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from functools import lru_cache
from itertools import accumulate
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap import settings
from gridmap.errors import InputError
from gridmap.messages import msg

__all__ = [
    "BLOCK_COLUMNS",
    "split_households",
    "footprint_slices",
    "unit_structure",
    "even_split_index",
]

BLOCK_COLUMNS = (
    "block_id",
    "building_id",
    "grid_id",
    "seq",
    "kind",
    "unit",
    "floor_from",
    "floor_to",
    "start",
    "stop",
    "households",
    "frac_from",
    "frac_to",
    "x",
    "y",
)


def _even_split(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` whole numbers differing by at most one."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _balanced_cuts(sizes: list[int], n_groups: int) -> list[tuple[int, int]]:
    """Cut consecutive items into ``n_groups`` runs of near-equal total size.

    Returns (first, last+1) index pairs; every run holds at least one item.
    """
    n_groups = max(1, min(n_groups, len(sizes)))
    cum = [0, *accumulate(sizes)]
    total = cum[-1]
    cuts = [0]
    for g in range(1, n_groups):
        target = total * g / n_groups
        k = bisect_left(cum, target)
        if k > 0 and (k == len(cum) or target - cum[k - 1] <= cum[k] - target):
            k -= 1
        k = max(k, cuts[-1] + 1)
        k = min(k, len(sizes) - (n_groups - g))
        cuts.append(k)
    cuts.append(len(sizes))
    return [(cuts[i], cuts[i + 1]) for i in range(n_groups)]


@lru_cache(maxsize=4096)
def _unit_floor_blocks(
    unit_households: int, levels: int, per_member: int
) -> tuple[tuple[int, int, int], ...]:
    """(first floor, last floor, households) of the floor blocks of one unit."""
    floor_households = _even_split(unit_households, levels)
    per_group = max(1, per_member // max(floor_households))
    out = []
    for first, last in _balanced_cuts(floor_households, math.ceil(levels / per_group)):
        size = sum(floor_households[first:last])
        # A floor with more flats than per_member is cut into door runs.
        for part in _even_split(size, math.ceil(size / per_member)) if size else []:
            out.append((first + 1, last, part))
    return tuple(out)


def _int_or_none(value: object) -> int | None:
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or number < 1:
        return None
    return int(number)


def unit_structure(buildings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Units and storeys of each building as used for blocks.

    Returns
    -------
    units, levels : ndarray of int
        ``units`` is the number of units (at most the households) when the data
        has both ``units`` and ``levels``, else 0; ``levels`` the storeys then,
        else 0.
    """
    n = len(buildings)
    households = pd.to_numeric(buildings["households"], errors="coerce").fillna(0).to_numpy()
    raw_units = buildings["units"].to_numpy(dtype=object) if "units" in buildings else [None] * n
    raw_levels = buildings["levels"].to_numpy(dtype=object) if "levels" in buildings else [None] * n
    units = np.zeros(n, dtype=np.int64)
    levels = np.zeros(n, dtype=np.int64)
    for i, (un, lv) in enumerate(zip(raw_units, raw_levels, strict=True)):
        u, v = _int_or_none(un), _int_or_none(lv)
        if u is not None and v is not None and households[i] > 0:
            units[i] = min(u, int(households[i]))
            levels[i] = v
    return units, levels


def even_split_index(k: np.ndarray, total: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Part index of item ``k`` when ``total`` items are split like :func:`_even_split`."""
    k = np.asarray(k, dtype=np.int64)
    total = np.asarray(total, dtype=np.int64)
    parts = np.maximum(np.asarray(parts, dtype=np.int64), 1)
    base, extra = np.divmod(total, parts)
    head = extra * (base + 1)
    return np.where(k < head, k // (base + 1), extra + (k - head) // np.maximum(base, 1))


def _building_blocks(
    households: int, units: int | None, levels: int | None, per_member: int
) -> list[dict[str, object]]:
    """The blocks of one building, in household-sequence order."""
    rows: list[dict[str, object]] = []
    if households <= 0:
        return rows
    if units is not None and levels is not None:
        units = min(units, households)
        start = 0
        for u, unit_households in enumerate(_even_split(households, units), start=1):
            if unit_households <= per_member:
                rows.append(
                    {
                        "kind": "unit",
                        "unit": u,
                        "floor_from": 1,
                        "floor_to": levels,
                        "start": start,
                        "stop": start + unit_households,
                        "frac": (u - 1, u, units),
                    }
                )
                start += unit_households
                continue
            offset = start
            for floor_from, floor_to, part in _unit_floor_blocks(
                unit_households, levels, per_member
            ):
                rows.append(
                    {
                        "kind": "floors",
                        "unit": u,
                        "floor_from": floor_from,
                        "floor_to": floor_to,
                        "start": offset,
                        "stop": offset + part,
                        "frac": (u - 1, u, units),
                    }
                )
                offset += part
            start += unit_households
        return rows
    if households <= per_member:
        return [
            {
                "kind": "building",
                "unit": None,
                "floor_from": None,
                "floor_to": None,
                "start": 0,
                "stop": households,
                "frac": (0, 1, 1),
            }
        ]
    start = 0
    for size in _even_split(households, math.ceil(households / per_member)):
        rows.append(
            {
                "kind": "chunk",
                "unit": None,
                "floor_from": None,
                "floor_to": None,
                "start": start,
                "stop": start + size,
                "frac": (start, start + size, households),
            }
        )
        start += size
    return rows


def footprint_slices(
    footprints: np.ndarray, frac_from: np.ndarray, frac_to: np.ndarray
) -> np.ndarray:
    """Slices of footprints across their long axis.

    Parameters
    ----------
    footprints : ndarray of shapely geometries
        Polygons in a metric CRS.
    frac_from, frac_to : ndarray of float
        Where each slice starts and ends along the long axis, as fractions in
        [0, 1] of the footprint's length.

    Returns
    -------
    ndarray of shapely geometries
        The parts of the footprints between the two fractions; a slice from 0
        to 1 is the footprint itself.
    """
    footprints = np.asarray(footprints, dtype=object)
    frac_from = np.asarray(frac_from, dtype=float)
    frac_to = np.asarray(frac_to, dtype=float)
    out = footprints.copy()
    partial = (frac_from > 0) | (frac_to < 1)
    if not partial.any():
        return out
    polys = footprints[partial]
    rect = shapely.oriented_envelope(polys)
    corners = shapely.get_coordinates(shapely.get_exterior_ring(rect)).reshape(len(polys), 5, 2)
    edge1 = corners[:, 1] - corners[:, 0]
    edge2 = corners[:, 2] - corners[:, 1]
    len1 = np.hypot(edge1[:, 0], edge1[:, 1])
    len2 = np.hypot(edge2[:, 0], edge2[:, 1])
    long_edge = np.where((len1 >= len2)[:, None], edge1, edge2)
    length = np.maximum(np.hypot(long_edge[:, 0], long_edge[:, 1]), 1e-9)
    axis = long_edge / length[:, None]
    normal = np.stack([-axis[:, 1], axis[:, 0]], axis=1)
    t = np.einsum("nkd,nd->nk", corners[:, :4], axis)
    s = np.einsum("nkd,nd->nk", corners[:, :4], normal)
    t_min, t_max = t.min(axis=1), t.max(axis=1)
    s_min, s_max = s.min(axis=1) - 1.0, s.max(axis=1) + 1.0
    span = t_max - t_min
    # Extend the outer ends by a metre so rounding never shaves the footprint.
    t0 = t_min + frac_from[partial] * span - np.where(frac_from[partial] <= 0, 1.0, 0.0)
    t1 = t_min + frac_to[partial] * span + np.where(frac_to[partial] >= 1, 1.0, 0.0)

    def point(tv: np.ndarray, sv: np.ndarray) -> np.ndarray:
        return tv[:, None] * axis + sv[:, None] * normal

    ring = np.stack(
        [point(t0, s_min), point(t1, s_min), point(t1, s_max), point(t0, s_max), point(t0, s_min)],
        axis=1,
    )
    strips = shapely.polygons(ring)
    cut = shapely.intersection(polys, strips)
    # Concave footprints can leave lines or points on the cut: keep the area.
    not_areal = ~np.isin(shapely.get_type_id(cut), (3, 6))
    if not_areal.any():
        cut[not_areal] = shapely.make_valid(shapely.buffer(cut[not_areal], 0))
    out[partial] = cut
    return out


def split_households(
    buildings: gpd.GeoDataFrame, *, per_member: int = settings.DEFAULT_HOUSEHOLDS_PER_MEMBER
) -> gpd.GeoDataFrame:
    """Split buildings into household blocks of about ``per_member`` households.

    Parameters
    ----------
    buildings : GeoDataFrame
        Footprints in a metric CRS with ``building_id`` and ``households``;
        optional ``units`` (entrances), ``levels`` and ``grid_id``.
    per_member : int, default settings.DEFAULT_HOUSEHOLDS_PER_MEMBER
        Households one member looks after.

    Returns
    -------
    GeoDataFrame
        One row per block, in building order and household sequence, with the
        columns of ``BLOCK_COLUMNS`` and the block's slice of the footprint as
        geometry (same CRS as ``buildings``). ``start``/``stop`` are the
        block's household range in its building's sequence; ``x``/``y`` the
        slice's centroid, the point distances are measured to.
    """
    if per_member < 1:
        raise InputError(msg("members.per_member_below_one", per_member=per_member))
    households = pd.to_numeric(buildings["households"], errors="coerce").fillna(0).astype(int)
    units, levels = unit_structure(buildings)
    grid = (
        buildings["grid_id"] if "grid_id" in buildings else pd.Series(None, index=buildings.index)
    )
    records: list[dict[str, object]] = []
    owner: list[int] = []
    for pos, (bid, hh, un, lv, gid) in enumerate(
        zip(
            buildings["building_id"].astype(str),
            households.to_numpy(),
            units,
            levels,
            grid.to_numpy(dtype=object),
            strict=True,
        )
    ):
        blocks = _building_blocks(int(hh), int(un) or None, int(lv) or None, per_member)
        for seq, row in enumerate(blocks):
            lo, hi, n = cast(tuple[int, int, int], row.pop("frac"))
            row.update(
                block_id=f"{bid}:{seq}",
                building_id=bid,
                grid_id=None if gid is None or gid is pd.NA or gid != gid else str(gid),
                seq=seq,
                households=int(row["stop"]) - int(row["start"]),  # type: ignore[call-overload]
                frac_from=lo / n,
                frac_to=hi / n,
            )
            records.append(row)
            owner.append(pos)
    frame = pd.DataFrame.from_records(
        records, columns=[c for c in BLOCK_COLUMNS if c not in ("x", "y")]
    )
    owner_pos = np.asarray(owner, dtype=np.int64)
    # Floors of one unit share its slice: cut each distinct slice once.
    keys = pd.DataFrame({"o": owner_pos, "f": frame["frac_from"], "t": frame["frac_to"]})
    first = ~keys.duplicated().to_numpy()
    distinct = keys[first]
    cut = footprint_slices(
        buildings.geometry.to_numpy()[distinct["o"].to_numpy()],
        distinct["f"].to_numpy(),
        distinct["t"].to_numpy(),
    )
    which = keys.merge(distinct.assign(_k=np.arange(len(distinct))), how="left", on=["o", "f", "t"])
    slices = cut[which["_k"].to_numpy()]
    centre = shapely.centroid(slices)
    frame["x"] = shapely.get_x(centre)
    frame["y"] = shapely.get_y(centre)
    for col in ("unit", "floor_from", "floor_to"):
        frame[col] = frame[col].astype("Int64")
    for col in ("seq", "start", "stop", "households"):
        frame[col] = frame[col].astype("int64")
    return gpd.GeoDataFrame(frame, geometry=slices, crs=buildings.crs)
