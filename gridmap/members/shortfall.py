"""Shortfall and surplus per grid, neighbouring grids, and cross-grid help.

A grid is short when its members' capacity is below its households: it needs
``ceil((households - capacity) / per_member)`` more members. A grid has idle
members when some of its members got no households. Short grids are offered
idle members of neighbouring grids, nearest grid first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from gridmap import settings

__all__ = [
    "NEIGHBOUR_GAP_M",
    "SHORTFALL_COLUMNS",
    "grid_neighbours",
    "summarize_shortfall",
]

# Without grid polygons, two grids are neighbours when a building of one lies
# within 150 m (centroid to centroid) of a building of the other: about one
# street block, the distance a member is asked to walk to help next door.
NEIGHBOUR_GAP_M = 150.0
# Grid polygons closer than this (m) count as touching (digitising gaps).
TOUCH_TOLERANCE_M = 1.0

SHORTFALL_COLUMNS = (
    "grid_id",
    "households",
    "covered",
    "uncovered",
    "covered_by_other_grids",
    "members",
    "members_unavailable",
    "capacity",
    "spare_capacity",
    "missing_members",
    "idle_members",
    "idle_member_ids",
    "uncovered_building_ids",
    "help_from",
    "help_to",
    "status",
)


def grid_neighbours(
    buildings: gpd.GeoDataFrame,
    *,
    grids: gpd.GeoDataFrame | None = None,
    gap_m: float = NEIGHBOUR_GAP_M,
) -> dict[str, list[str]]:
    """Neighbouring grids of each grid, nearest first.

    Parameters
    ----------
    buildings : GeoDataFrame
        In a metric CRS, with ``grid_id`` and ``households``.
    grids : GeoDataFrame, optional
        Grid polygons (same CRS); when given, grids whose polygons touch
        are neighbours, otherwise grids with buildings within ``gap_m``.
    gap_m : float, default NEIGHBOUR_GAP_M
        Building-to-building distance that makes two grids neighbours.

    Returns
    -------
    dict of str to list of str
        Every grid of ``buildings`` (and of ``grids``) -> its neighbours, ordered
        by the distance between household-weighted grid centres, then by id.
    """
    have = buildings[buildings["grid_id"].notna()]
    gid = have["grid_id"].astype(str).to_numpy()
    centre = have.geometry.centroid
    xy = np.column_stack([centre.x.to_numpy(), centre.y.to_numpy()])
    weight = pd.to_numeric(have["households"], errors="coerce").fillna(0).to_numpy() + 1e-6
    centres = (
        pd.DataFrame({"g": gid, "x": xy[:, 0] * weight, "y": xy[:, 1] * weight, "w": weight})
        .groupby("g", sort=True)
        .sum()
    )
    centres = pd.DataFrame({"x": centres["x"] / centres["w"], "y": centres["y"] / centres["w"]})
    pairs: set[tuple[str, str]] = set()
    names = set(centres.index)
    if grids is not None and len(grids):
        poly = grids[["grid_id", "geometry"]].assign(grid_id=grids["grid_id"].astype(str))
        names |= set(poly["grid_id"])
        missing = poly.loc[~poly["grid_id"].isin(centres.index)]
        if len(missing):
            pc = missing.geometry.representative_point()
            extra = pd.DataFrame(
                {"x": pc.x.to_numpy(), "y": pc.y.to_numpy()}, index=missing["grid_id"].to_numpy()
            )
            centres = pd.concat([centres, extra]).sort_index()
        grown = gpd.GeoDataFrame(
            poly[["grid_id"]], geometry=poly.geometry.buffer(TOUCH_TOLERANCE_M), crs=grids.crs
        )
        hit = gpd.sjoin(grown, poly, predicate="intersects", how="inner")
        for a, b in zip(hit["grid_id_left"], hit["grid_id_right"], strict=True):
            if a != b:
                pairs.add((a, b))
    elif len(xy):
        close = cKDTree(xy).query_pairs(gap_m, output_type="ndarray")
        if len(close):
            a, b = gid[close[:, 0]], gid[close[:, 1]]
            cross = a != b
            for p, q in zip(a[cross], b[cross], strict=True):
                pairs.add((p, q))
                pairs.add((q, p))
    result: dict[str, list[str]] = {g: [] for g in sorted(names)}
    for a, b in sorted(pairs):
        result[a].append(b)
    cx = {str(k): float(v) for k, v in centres["x"].items()}
    cy = {str(k): float(v) for k, v in centres["y"].items()}

    def away(origin: str, other: str) -> tuple[float, str]:
        return round(math.hypot(cx[other] - cx[origin], cy[other] - cy[origin]), 3), other

    for g, near in result.items():
        result[g] = sorted(near, key=lambda n, g=g: away(g, n))  # type: ignore[misc]
    return result


def _idle_pool(members: pd.DataFrame) -> dict[str, list[tuple[str, int]]]:
    idle = members[members["available"] & (members["households"] == 0)]
    idle = idle.sort_values("member_id", kind="stable")
    pool: dict[str, list[tuple[str, int]]] = {}
    for g, mid, cap in zip(idle["grid_id"], idle["member_id"], idle["capacity"], strict=True):
        pool.setdefault(str(g), []).append((str(mid), int(cap)))
    return pool


def summarize_shortfall(
    buildings: pd.DataFrame,
    members: pd.DataFrame,
    *,
    per_member: int = settings.DEFAULT_HOUSEHOLDS_PER_MEMBER,
    neighbours: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Shortfall and surplus of members per grid, with suggested cross-grid help.

    Parameters
    ----------
    buildings : DataFrame
        ``building_id``, ``grid_id``, ``households``, ``covered`` (households
        with a member) and optionally ``covered_by_other_grids`` (of those,
        covered by members living in another grid).
    members : DataFrame
        ``member_id``, ``grid_id`` (home grid), ``capacity``, ``available``
        and ``households`` (households assigned to the member).
    per_member : int, default settings.DEFAULT_HOUSEHOLDS_PER_MEMBER
        Households per member, to count missing members.
    neighbours : mapping of str to list of str, optional
        Neighbouring grids, nearest first (:func:`grid_neighbours`); without
        it no help is suggested.

    Returns
    -------
    DataFrame
        One row per grid (sorted by ``grid_id``), columns ``SHORTFALL_COLUMNS``:
        ``missing_members`` = ceil(max(0, households - capacity) / per_member);
        ``idle_members`` are available members with no households;
        ``help_from`` lists ``{"grid_id", "members", "households",
        "member_ids"}`` offers of idle members from neighbouring grids (nearest
        first) for the grid's uncovered households, ``help_to`` the same offers
        seen from the giving grid; ``status`` is ``short``, ``idle`` (spare
        members) or ``ok``.
    """
    neighbours = neighbours or {}
    b = buildings[buildings["grid_id"].notna()].copy()
    b["grid_id"] = b["grid_id"].astype(str)
    b["households"] = pd.to_numeric(b["households"]).astype("int64")
    b["covered"] = pd.to_numeric(b["covered"]).astype("int64")
    if "covered_by_other_grids" not in b:
        b["covered_by_other_grids"] = 0
    b["uncovered"] = b["households"] - b["covered"]
    m = members[members["grid_id"].notna()].copy()
    m["grid_id"] = m["grid_id"].astype(str)
    m["available"] = m["available"].astype(bool)
    m["capacity"] = pd.to_numeric(m["capacity"]).astype("int64")
    m["households"] = pd.to_numeric(m["households"]).astype("int64")
    grids = sorted(set(b["grid_id"]) | set(m["grid_id"]))
    by_grid = b.groupby("grid_id")[["households", "covered", "uncovered", "covered_by_other_grids"]]
    sums = {
        column: {str(k): int(v) for k, v in values.items()}
        for column, values in by_grid.sum().reindex(grids, fill_value=0).items()
    }
    uncovered_ids = (
        b[b["uncovered"] > 0]
        .sort_values(["grid_id", "building_id"])
        .groupby("grid_id")["building_id"]
        .agg(lambda s: [str(v) for v in s])
    )
    avail = m[m["available"]]

    def per_grid(values: pd.Series) -> dict[str, int]:
        return {str(k): int(v) for k, v in values.reindex(grids, fill_value=0).items()}

    n_members = per_grid(avail.groupby("grid_id").size())
    n_unavailable = per_grid(m[~m["available"]].groupby("grid_id").size())
    capacity = per_grid(avail.groupby("grid_id")["capacity"].sum())
    served = per_grid(avail.groupby("grid_id")["households"].sum())
    pool = _idle_pool(m)
    idle_ids = {g: [mid for mid, _ in pool.get(g, [])] for g in grids}
    help_from: dict[str, list[dict[str, Any]]] = {g: [] for g in grids}
    help_to: dict[str, list[dict[str, Any]]] = {g: [] for g in grids}
    for g in grids:
        remaining = sums["uncovered"][g]
        for donor in neighbours.get(g, []):
            if remaining <= 0:
                break
            offer = pool.get(donor, [])
            taken: list[str] = []
            got = 0
            while offer and got < remaining:
                mid, cap = offer.pop(0)
                taken.append(mid)
                got += cap
            if taken:
                households = min(got, remaining)
                remaining -= households
                entry = {"members": len(taken), "households": households, "member_ids": taken}
                help_from[g].append({"grid_id": donor, **entry})
                help_to[donor].append({"grid_id": g, **entry})
    rows = []
    for g in grids:
        hh = sums["households"][g]
        cap = capacity[g]
        uncovered = sums["uncovered"][g]
        idle = idle_ids[g]
        status = "short" if uncovered > 0 or hh > cap else ("idle" if idle else "ok")
        rows.append(
            {
                "grid_id": g,
                "households": hh,
                "covered": sums["covered"][g],
                "uncovered": uncovered,
                "covered_by_other_grids": sums["covered_by_other_grids"][g],
                "members": n_members[g],
                "members_unavailable": n_unavailable[g],
                "capacity": cap,
                "spare_capacity": cap - served[g],
                "missing_members": math.ceil(max(0, hh - cap) / per_member),
                "idle_members": len(idle),
                "idle_member_ids": idle,
                "uncovered_building_ids": list(uncovered_ids.get(g, [])),
                "help_from": help_from[g],
                "help_to": help_to[g],
                "status": status,
            }
        )
    return pd.DataFrame(rows, columns=list(SHORTFALL_COLUMNS))
