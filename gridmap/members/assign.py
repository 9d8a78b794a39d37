""" "1+10" assignment: household blocks -> party members, by minimum-cost flow.

The assignment is a transportation problem. Household blocks (whole units,
floors or runs of about ``per_member`` households, see :mod:`.blocks`) supply
households; members' homes take up to their capacity; an arc block -> home
costs the walking distance (street network or straight line x detour factor).
A fallback arc block -> sink with a prohibitive cost absorbs what no member
can take, so the flow first covers as many households as possible and then
minimises the total walking distance. OR-Tools' ``SimpleMinCostFlow`` solves
it exactly.

To stay fast at city scale:

- grids are independent under the same-grid rule, so each grid is its own
  problem (with ``same_grid=False``, each group of neighbouring grids);
- arcs are sparse: the ``CANDIDATES`` nearest homes of each block and nearest
  blocks of each home (KD-tree); when capacity is left unused while
  households stay uncovered, the candidate set is widened until it is the
  complete bipartite graph, so sparsity never costs coverage;
- members living at the same point are one node (their costs are identical);
  its households are then shared among them by a sweep around their home,
  which keeps each member's households together.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

from gridmap import settings
from gridmap.crs import WGS84, metric_crs
from gridmap.errors import CRSError, GridmapError, InputError, warn
from gridmap.members.blocks import (
    even_split_index,
    footprint_slices,
    split_households,
    unit_structure,
)
from gridmap.members.distance import StreetGraph, street_graph, walk_distances
from gridmap.members.shortfall import grid_neighbours, summarize_shortfall
from gridmap.members.synthetic import synthesize_members
from gridmap.members.tree import MODELS, assign_roles, build_tree, tabulate_tree
from gridmap.messages import msg
from gridmap.schema import MEMBER_ROLES, require_columns, require_crs

__all__ = [
    "CANDIDATES",
    "CROSS_GRID_PENALTY_M",
    "HOME_SNAP_M",
    "PERSONAL_COLUMNS",
    "MemberAssignment",
    "assign_members",
]

# Nearest homes per block (and blocks per home) offered to the solver first.
CANDIDATES = 8
# Never widen one flow problem beyond this many candidate arcs (memory).
MAX_ARCS = 5_000_000
# With same_grid=False a member may serve a neighbouring grid, at this extra
# cost in metres: a household goes to the next grid's member only when that
# member is this much closer than any member of its own grid (or its own grid
# has no capacity left).
CROSS_GRID_PENALTY_M = 300.0
# A member's home point outside every building and every grid polygon is
# placed in the grid of the nearest building within this distance (m).
HOME_SNAP_M = 300.0
# Personal data: dropped from outputs unless with_names=True.
PERSONAL_COLUMNS = ("name", "address", "phone")

Progress = Callable[[str, float], None]

_STAGE = "members"
_TRUE = {"true", "yes", "y", "1", "t", "是"}
_FALSE = {"false", "no", "n", "0", "f", "否"}


@dataclass(frozen=True, eq=False)
class MemberAssignment:
    """Result of :func:`assign_members`.

    Attributes
    ----------
    areas : GeoDataFrame
        Responsibility areas (EPSG:4326): ``area_id``, ``grid_id``,
        ``member_id``, ``households``, ``building_ids`` (list of str),
        ``parts`` (list of str: "B1", "B1 unit 2", "B1 unit 2 floors 3-5",
        "B1 households 11-20"), ``n_buildings``, ``walk_m`` (farthest
        household), ``is_synthetic``; geometry the union of the building
        footprints or footprint slices of its households.
    members : GeoDataFrame
        (EPSG:4326) ``member_id``, ``building_id`` (home), ``grid_id``,
        ``area_id``, ``role``, ``households``, ``capacity``, ``available``,
        ``walk_m``, ``is_synthetic`` (+ ``name``/``address``/``phone`` only
        with ``with_names=True``); Point geometry at home.
    shortfall : DataFrame
        Per grid, see :func:`gridmap.members.summarize_shortfall`.
    tree : dict
        Organisation tree, see :func:`gridmap.members.build_tree`.
    tree_table : DataFrame
        Counts per level, see :func:`gridmap.members.tabulate_tree`.
    synthetic : bool
        True when no member list was given and members were synthesised.
    uncovered : GeoDataFrame
        (EPSG:4326) ``building_id``, ``grid_id``, ``households`` not covered,
        geometry the uncovered part of the footprint.
    ranges : DataFrame
        Exactly which households each member has: ``member_id``, ``area_id``,
        ``building_id``, ``grid_id``, ``start``, ``stop`` (0-based range in
        the building's household sequence, unit by unit and floor by floor),
        ``households``, ``label``, ``walk_m``.
    stats : dict
        Totals: households, covered, uncovered, members, capacity,
        ``total_walk_m`` (sum over households of the walk to their member),
        ``max_walk_m``, ``mean_walk_m``, ``distance_model`` and timings.
    notes : tuple of str
        Plain-language notes for the report (synthetic members, estimates).
    """

    areas: gpd.GeoDataFrame
    members: gpd.GeoDataFrame
    shortfall: pd.DataFrame
    tree: dict[str, Any]
    tree_table: pd.DataFrame
    synthetic: bool
    uncovered: gpd.GeoDataFrame
    ranges: pd.DataFrame
    stats: dict[str, Any]
    notes: tuple[str, ...] = ()


# --- input checks ------------------------------------------------------------------


def _shown(values: Any, limit: int = 5) -> str:
    """The first ``limit`` values and a count of the rest, readable in either language."""
    values = [str(v) for v in values]
    more = f", … (+{len(values) - limit})" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


def _str_or_none(values: pd.Series) -> np.ndarray:
    out = values.astype(object).to_numpy(copy=True)
    missing = pd.isna(values).to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    out[~missing] = [str(v) for v in out[~missing]]
    out[missing] = None
    return out


def _prepare_buildings(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validated copy of the buildings in the metric CRS, sorted by building_id."""
    if not isinstance(buildings, gpd.GeoDataFrame):
        raise InputError(msg("members.buildings_not_geodataframe"))
    require_columns(buildings, "buildings", ("building_id", "households", "grid_id"))
    require_crs(buildings, "buildings")
    ids = buildings["building_id"]
    if ids.isna().any():
        rows = list(np.flatnonzero(ids.isna().to_numpy()))
        raise InputError(msg("members.building_id_empty", rows=_shown(rows)))
    ids = ids.astype(str)
    dup = ids[ids.duplicated()].unique()
    if len(dup):
        raise InputError(msg("members.building_id_duplicate", ids=_shown(dup)))
    hh = pd.to_numeric(buildings["households"], errors="coerce")
    bad = hh.isna() | (hh < 0) | (hh.fillna(0) % 1 != 0)
    if bad.any():
        raise InputError(msg("members.households_invalid", ids=_shown(ids[bad])))
    geom_ok = (
        buildings.geometry.geom_type.isin(("Polygon", "MultiPolygon")).to_numpy()
        & ~buildings.geometry.is_empty.to_numpy()
    )
    no_footprint = ~geom_ok & (hh > 0).to_numpy()
    if no_footprint.any():
        raise InputError(msg("members.households_without_footprint", ids=_shown(ids[no_footprint])))
    crs = metric_crs(buildings)
    keep = [
        c for c in ("units", "levels", "compound_id", "community_id", "street_id") if c in buildings
    ]
    b = gpd.GeoDataFrame(
        {
            "building_id": ids.to_numpy(dtype=object),
            "households": hh.astype("int64").to_numpy(),
            "grid_id": _str_or_none(buildings["grid_id"]),
            **{c: buildings[c].to_numpy() for c in keep},
        },
        geometry=buildings.geometry.to_numpy(),
        crs=buildings.crs,
    ).to_crs(crs)
    for c in ("compound_id", "community_id", "street_id"):
        if c in b:
            b[c] = _str_or_none(b[c])
    b = b.sort_values("building_id", kind="stable").reset_index(drop=True)
    if b["grid_id"].isna().all() and (b["households"] > 0).any():
        raise InputError(msg("members.no_grid_id"))
    loose = b["grid_id"].isna() & (b["households"] > 0)
    if loose.any():
        warn(
            msg(
                "members.buildings_without_grid",
                count=int(loose.sum()),
                ids=_shown(b.loc[loose, "building_id"]),
            )
        )
    centre = b.geometry.representative_point()
    b["x"] = centre.x.to_numpy()
    b["y"] = centre.y.to_numpy()
    return b


def _parse_bool(values: pd.Series, column: str, ids: pd.Series, default: bool) -> np.ndarray:
    out = np.full(len(values), default, dtype=bool)
    bad = []
    for i, v in enumerate(values.to_numpy(dtype=object)):
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, bool | np.bool_):
            out[i] = bool(v)
            continue
        text = str(v).strip().lower()
        if text in _TRUE:
            out[i] = True
        elif text in _FALSE:
            out[i] = False
        elif text:
            bad.append(ids.iloc[i])
    if bad:
        raise InputError(msg("members.flag_not_bool", column=column, ids=_shown(bad)))
    return out


def _member_points(members: pd.DataFrame, crs: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Home points in the metric CRS (NaN where absent), or None without point data."""
    n = len(members)
    geom = None
    if isinstance(members, gpd.GeoDataFrame) and members._geometry_column_name in members:
        if members.crs is None and members.geometry.notna().any():
            raise CRSError(msg("members.members_no_crs"))
        geom = members.geometry
    else:
        pairs = [("lon", "lat"), ("longitude", "latitude")]
        for lon, lat in pairs:
            if lon in members and lat in members:
                x = pd.to_numeric(members[lon], errors="coerce")
                y = pd.to_numeric(members[lat], errors="coerce")
                geom = gpd.GeoSeries(gpd.points_from_xy(x, y), index=members.index, crs=WGS84)
                geom[x.isna() | y.isna()] = None
                break
    if geom is None:
        return None
    present = geom.notna() & ~geom.is_empty
    not_point = present & (geom.geom_type != "Point")
    if not_point.any():
        raise InputError(
            msg(
                "members.location_not_point",
                ids=_shown(members.loc[not_point, "member_id"]),
                geom_type=geom[not_point].geom_type.iloc[0],
            )
        )
    xy = np.full((n, 2), np.nan)
    if present.any():
        pts = gpd.GeoSeries(geom[present].to_numpy(), crs=geom.crs).to_crs(crs)
        xy[present.to_numpy()] = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    return xy, present.to_numpy()


def _prepare_members(
    members: pd.DataFrame,
    b: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame | None,
    *,
    per_member: int,
    with_names: bool,
) -> pd.DataFrame:
    """Members with home point, building and grid (metric), sorted by member_id."""
    if not isinstance(members, pd.DataFrame):
        raise InputError(msg("members.members_not_table"))
    require_columns(members, "members", ("member_id",))
    ids = members["member_id"]
    if ids.isna().any():
        rows = list(np.flatnonzero(ids.isna().to_numpy()))
        raise InputError(msg("members.member_id_empty", rows=_shown(rows)))
    ids = ids.astype(str).reset_index(drop=True)
    dup = ids[ids.duplicated()].unique()
    if len(dup):
        raise InputError(msg("members.member_id_duplicate", ids=_shown(dup)))
    members = members.reset_index(drop=True)
    points = _member_points(members, b.crs)
    has_bid_column = "building_id" in members
    if points is None and not has_bid_column:
        raise InputError(msg("members.no_location_column"))
    n = len(members)
    bid = _str_or_none(members["building_id"]) if has_bid_column else np.full(n, None, dtype=object)
    xy, has_point = points if points is not None else (np.full((n, 2), np.nan), np.zeros(n, bool))
    known = pd.Index(b["building_id"])
    pos = known.get_indexer(pd.Index(bid.astype(object)))
    unknown = (pos < 0) & pd.notna(bid)
    if unknown.any():
        pairs = [f"{m} ({k})" for m, k in zip(ids[unknown], bid[unknown], strict=True)]
        raise InputError(msg("members.unknown_home_building", pairs=_shown(pairs)))
    nowhere = pd.isna(bid) & ~has_point
    if nowhere.any():
        raise InputError(msg("members.member_without_location", ids=_shown(ids[nowhere])))
    from_building = (pos >= 0) & ~has_point
    xy[from_building, 0] = b["x"].to_numpy()[pos[from_building]]
    xy[from_building, 1] = b["y"].to_numpy()[pos[from_building]]
    grid = np.full(n, None, dtype=object)
    grid[pos >= 0] = b["grid_id"].to_numpy()[pos[pos >= 0]]
    # Points without a building: the building they lie in, else the grid polygon
    # they lie in, else the grid of the nearest building.
    loose = np.flatnonzero(pos < 0)
    if len(loose):
        pts = gpd.GeoDataFrame(
            {"_i": loose}, geometry=gpd.points_from_xy(xy[loose, 0], xy[loose, 1]), crs=b.crs
        )
        hit = gpd.sjoin(pts, b[["building_id", "grid_id", "geometry"]], predicate="within")
        hit = hit.sort_values(["_i", "building_id"]).drop_duplicates("_i")
        bid[hit["_i"].to_numpy()] = hit["building_id"].to_numpy()
        grid[hit["_i"].to_numpy()] = hit["grid_id"].to_numpy()
        rest: np.ndarray = np.array([i for i in loose if grid[i] is None], dtype=np.int64)
        if len(rest) and grids is not None and len(grids):
            sub = pts.loc[pts["_i"].isin(rest)]
            g_hit = gpd.sjoin(sub, grids[["grid_id", "geometry"]], predicate="within")
            g_hit = g_hit.sort_values(["_i", "grid_id"]).drop_duplicates("_i")
            grid[g_hit["_i"].to_numpy()] = g_hit["grid_id"].astype(str).to_numpy()
        elif len(rest):
            gridded = b[b["grid_id"].notna()]
            if len(gridded):
                d, k = cKDTree(gridded[["x", "y"]].to_numpy()).query(xy[rest])
                near = d <= HOME_SNAP_M
                grid[rest[near]] = gridded["grid_id"].to_numpy()[k[near]]
    capacity: np.ndarray = np.full(n, per_member, dtype=np.int64)
    if "capacity" in members:
        raw = members["capacity"]
        cap = pd.to_numeric(raw, errors="coerce")
        bad = (raw.notna() & cap.isna()) | (cap <= 0) | (cap.fillna(1) % 1 != 0)
        if bad.any():
            shown = [f"{m} ({c})" for m, c in zip(ids[bad], raw[bad], strict=True)]
            raise InputError(msg("members.capacity_invalid", pairs=_shown(shown)))
        capacity = cap.fillna(per_member).astype("int64").to_numpy()
    available = (
        _parse_bool(members["available"], "available", ids, True)
        if "available" in members
        else np.ones(n, dtype=bool)
    )
    synthetic = (
        _parse_bool(members["is_synthetic"], "is_synthetic", ids, False)
        if "is_synthetic" in members
        else np.zeros(n, dtype=bool)
    )
    if synthetic.any() and not synthetic.all():
        raise InputError(msg("members.mixed_synthetic", ids=_shown(ids[synthetic])))
    role = np.full(n, None, dtype=object)
    if "role" in members:
        role = _str_or_none(members["role"])
        bad_role = pd.notna(role) & ~pd.Series(role).isin(MEMBER_ROLES).to_numpy()
        if bad_role.any():
            raise InputError(
                msg(
                    "members.role_unknown",
                    role=role[bad_role][0],
                    member_id=ids[bad_role].iloc[0],
                    roles=", ".join(MEMBER_ROLES),
                )
            )
    out = pd.DataFrame(
        {
            "member_id": ids.to_numpy(dtype=object),
            "building_id": bid,
            "grid_id": grid,
            "x": xy[:, 0],
            "y": xy[:, 1],
            "capacity": capacity,
            "available": available,
            "is_synthetic": synthetic,
            "role_given": role,
        }
    )
    if with_names:
        for c in PERSONAL_COLUMNS:
            if c in members:
                out[c] = members[c].to_numpy()
    outside = out["grid_id"].isna()
    if outside.any():
        warn(
            msg(
                "members.members_outside_grids",
                count=int(outside.sum()),
                ids=_shown(out.loc[outside, "member_id"]),
            )
        )
    return out.sort_values("member_id", kind="stable").reset_index(drop=True)


# --- the flow -----------------------------------------------------------------------


def _candidate_arcs(bxy: np.ndarray, hxy: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    nb, nh = len(bxy), len(hxy)
    if k >= nh:
        return np.repeat(np.arange(nb), nh), np.tile(np.arange(nh), nb)
    _, near_home = cKDTree(hxy).query(bxy, k=k)
    near_home = np.asarray(near_home).reshape(nb, -1)
    kb = min(k, nb)
    _, near_block = cKDTree(bxy).query(hxy, k=kb)
    near_block = np.asarray(near_block).reshape(nh, -1)
    blocks = np.concatenate([np.repeat(np.arange(nb), near_home.shape[1]), near_block.ravel()])
    homes = np.concatenate([near_home.ravel(), np.repeat(np.arange(nh), near_block.shape[1])])
    key = np.unique(blocks * nh + homes)
    return key // nh, key % nh


@dataclass
class _Flow:
    block: np.ndarray
    home: np.ndarray
    flow: np.ndarray
    dist: np.ndarray
    uncovered: np.ndarray
    arcs: int
    fallback: int


def _solve_component(
    bxy: np.ndarray,
    bhh: np.ndarray,
    bgrid: np.ndarray,
    hxy: np.ndarray,
    hcap: np.ndarray,
    hgrid: np.ndarray,
    *,
    allowed: np.ndarray | None,
    graph: StreetGraph | None,
) -> _Flow:
    """Min-cost flow of one independent part (a grid, or neighbouring grids)."""
    nb, nh = len(bxy), len(hxy)
    empty = np.zeros(0, dtype=np.int64)
    if nh == 0 or nb == 0:
        return _Flow(empty, empty, empty, np.zeros(0), bhh.copy(), 0, 0)
    k = min(CANDIDATES, nh)
    extra = np.zeros(0, dtype=np.int64)  # block * nh + home of arcs added for coverage
    while True:
        blk, home = _candidate_arcs(bxy, hxy, k)
        if len(extra):
            key = np.union1d(blk * nh + home, extra)
            blk, home = key // nh, key % nh
        if allowed is not None:
            ok = allowed[bgrid[blk], hgrid[home]]
            blk, home = blk[ok], home[ok]
        dist, fallback = walk_distances(hxy, bxy, home, blk, graph=graph)
        cost_m = dist + np.where(bgrid[blk] == hgrid[home], 0.0, CROSS_GRID_PENALTY_M)
        cost = np.rint(cost_m * 10).astype(np.int64)  # decimetres: OR-Tools needs integers
        sink = nb + nh
        # Above any augmenting path's cost: covering a household always wins.
        big = (nb + nh + 2) * (int(cost.max(initial=0)) + 1)
        tails = np.concatenate([blk, nb + np.arange(nh), np.arange(nb)])
        heads = np.concatenate([nb + home, np.full(nh, sink), np.full(nb, sink)])
        caps = np.concatenate([np.minimum(bhh[blk], hcap[home]), hcap, bhh])
        costs = np.concatenate([cost, np.zeros(nh, np.int64), np.full(nb, big, np.int64)])
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64), costs
        )
        supplies = np.concatenate([bhh, np.zeros(nh, np.int64), [-int(bhh.sum())]])
        solver.set_nodes_supplies(np.arange(nb + nh + 1, dtype=np.int32), supplies.astype(np.int64))
        status = solver.solve()
        if status != solver.OPTIMAL:
            raise GridmapError(msg("members.solver_failed", status=status))
        flows = solver.flows(np.arange(len(tails), dtype=np.int32))
        n_arcs = len(blk)
        uncovered = flows[n_arcs + nh :]
        used = np.bincount(home, weights=flows[:n_arcs], minlength=nh)
        short = np.flatnonzero(uncovered > 0)
        spare = np.flatnonzero(hcap - used > 0)
        if not len(short) or not len(spare) or k >= nh:
            break
        # Capacity is left while households are not covered: first offer the
        # uncovered blocks every home with room they may go to, then widen
        # the candidate set for all blocks.
        sb, sh = np.repeat(short, len(spare)), np.tile(spare, len(short))
        if allowed is not None:
            ok = allowed[bgrid[sb], hgrid[sh]]
            sb, sh = sb[ok], sh[ok]
        offer = np.setdiff1d(sb * nh + sh, blk * nh + home)
        if len(offer):
            extra = np.union1d(extra, offer)
            continue
        # Every uncovered block already has an arc to every home with room it
        # may use (so this happens only across grids): only a chain of moves
        # through neighbouring grids can cover more; widen for all blocks.
        if nb * min(nh, k * 4) > MAX_ARCS:
            break
        k = min(nh, k * 4)
    pos = flows[:n_arcs] > 0
    return _Flow(
        blk[pos], home[pos], flows[:n_arcs][pos], dist[pos], uncovered, len(tails), fallback
    )


def _components(grid_codes: int, neighbours: dict[int, list[int]], same_grid: bool) -> np.ndarray:
    """Component label per grid code: itself, or groups of neighbouring grids."""
    parent = np.arange(grid_codes)
    if same_grid:
        return parent

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for a, near in neighbours.items():
        for c in near:
            ra, rc = find(a), find(c)
            if ra != rc:
                parent[max(ra, rc)] = min(ra, rc)
    return np.array([find(i) for i in range(grid_codes)])


# --- from flows to member areas -------------------------------------------------


def _sweep_order(pieces: pd.DataFrame) -> pd.DataFrame:
    """Order each home's pieces: its own building, then around the home by angle.

    The sweep starts after the widest angular gap, so members sharing a home
    get sectors rather than rings and each keeps few buildings.
    """
    p = pieces
    dx = (p["bx"] - p["hx"]).to_numpy()
    dy = (p["by"] - p["hy"]).to_numpy()
    angle = np.mod(np.arctan2(dy, dx), 2 * np.pi)
    own = (p["building_id"] == p["home_building"]).to_numpy() | (np.hypot(dx, dy) < 1.0)
    p = p.assign(_away=~own, _angle=np.where(own, 0.0, np.round(angle, 9)))
    rays = p.loc[p["_away"], ["home", "_angle"]].drop_duplicates().sort_values(["home", "_angle"])
    if len(rays):
        nxt = rays.groupby("home")["_angle"].shift(-1)
        first = rays.groupby("home")["_angle"].transform("first")
        gap = np.where(nxt.isna(), first + 2 * np.pi - rays["_angle"], nxt - rays["_angle"])
        rays = rays.assign(_gap=gap, _next=nxt.fillna(first))
        widest = rays.sort_values(["home", "_gap"], ascending=[True, False]).drop_duplicates("home")
        start = widest.set_index("home")["_next"]
        p = p.assign(_start=p["home"].map(start).fillna(0.0))
        p["_angle"] = np.where(p["_away"], np.mod(p["_angle"] - p["_start"], 2 * np.pi), 0.0)
    return p.sort_values(
        ["home", "_away", "_angle", "building_id", "start"], kind="stable"
    ).reset_index(drop=True)


def _balanced_loads(
    used: np.ndarray, member_home: np.ndarray, member_cap: np.ndarray
) -> np.ndarray:
    """Households per member of each home: as few members as needed, evenly loaded.

    Members (sorted by home, then member_id) are taken in turn until their
    capacity covers the home's households; the households are then shared in
    proportion to capacity (largest remainders get the odd ones). 21
    households for three members of 10 give 7/7/7, 20 give 10/10 and one
    idle member.
    """
    cap = member_cap.astype(np.int64)
    before = pd.Series(cap).groupby(member_home).cumsum().to_numpy() - cap
    need = used[member_home]
    taken = before < need
    pool = np.bincount(member_home, weights=np.where(taken, cap, 0), minlength=len(used))
    share = np.where(taken, cap * need / np.maximum(pool[member_home], 1), 0.0)
    load = np.floor(share + 1e-9).astype(np.int64)
    short = used - np.bincount(member_home, weights=load, minlength=len(used)).astype(np.int64)
    frac = np.where(taken, share - load, -1.0)
    order = np.lexsort((np.arange(len(cap)), -np.round(frac, 9), member_home))
    rank = np.empty(len(cap), dtype=np.int64)
    rank[order] = np.arange(len(cap)) - np.searchsorted(member_home[order], member_home[order])
    load += (taken & (rank < short[member_home])).astype(np.int64)
    return load


def _pack(items: list[int], limits: list[int]) -> list[int] | None:
    """Next-fit of items, in order and unsplit, into bins of the given limits."""
    loads: list[int] = []
    current = 0
    for size in items:
        if current + size <= limits[len(loads)]:
            current += size
            continue
        if current == 0:
            return None
        loads.append(current)
        if len(loads) == len(limits) or size > limits[len(loads)]:
            return None
        current = size
    loads.append(current)
    return loads


def _whole_piece_loads(items: list[int], caps: list[int]) -> list[int] | None:
    """Loads that keep every piece whole, or None when the members cannot.

    Uses as few members as whole pieces allow (next-fit in order is optimal
    for contiguous packing), then the smallest largest load with that many
    members (binary search on the load limit), so loads stay even.
    """
    fewest = _pack(items, caps)
    if fewest is None:
        return None
    n = len(fewest)
    low, high = max(max(items), math.ceil(sum(items) / n)), max(caps)
    best = fewest
    while low < high:
        mid = (low + high) // 2
        trial = _pack(items, [min(mid, c) for c in caps])
        if trial is not None and len(trial) <= n:
            best, high = trial, mid
        else:
            low = mid + 1
    if high != max(caps) or best is fewest:
        trial = _pack(items, [min(high, c) for c in caps])
        if trial is not None and len(trial) <= n:
            best = trial
    return best + [0] * (len(caps) - len(best))


def _share_among_members(
    pieces: pd.DataFrame, home_cap: np.ndarray, member_home: np.ndarray, member_cap: np.ndarray
) -> pd.DataFrame:
    """Cut each home's ordered pieces into consecutive runs, one per member.

    Members of a home (sorted by member_id) take their loads in turn: whole
    pieces (blocks, or the parts of blocks the flow gave this home) when the
    home's members can hold them so (:func:`_whole_piece_loads`), otherwise the
    even loads of :func:`_balanced_loads`. Every piece and every member's load
    is an interval on one line (homes one after the other); the pieces of the
    result are the intersections.
    """
    if pieces.empty:
        return pieces.assign(member=np.zeros(0, np.int64), rank=np.zeros(0, np.int64))
    nh = len(home_cap)
    home_offset = np.concatenate([[0], np.cumsum(home_cap)])[:nh]
    flow = pieces["flow"].to_numpy()
    home = pieces["home"].to_numpy()
    used = np.bincount(home, weights=flow, minlength=nh).astype(np.int64)
    load = _balanced_loads(used, member_home, member_cap)
    piece_bounds = np.searchsorted(home, np.arange(nh + 1))
    member_bounds = np.searchsorted(member_home, np.arange(nh + 1))
    for h in np.flatnonzero(member_bounds[1:] - member_bounds[:-1] > 1):
        lo, hi = piece_bounds[h], piece_bounds[h + 1]
        if lo == hi:
            continue
        m_lo, m_hi = member_bounds[h], member_bounds[h + 1]
        whole = _whole_piece_loads(flow[lo:hi].tolist(), member_cap[m_lo:m_hi].tolist())
        if whole is not None:
            load[m_lo:m_hi] = whole
    before = pieces.groupby("home")["flow"].cumsum().to_numpy() - flow
    p0 = home_offset[home] + before
    p1 = p0 + flow
    m_before = pd.Series(load).groupby(member_home).cumsum().to_numpy() - load
    m0 = home_offset[member_home] + m_before
    m1 = m0 + load
    cuts = np.unique(np.concatenate([p0, p1, m0, m1]))
    lo_, hi_ = cuts[:-1], cuts[1:]
    piece = np.searchsorted(p0, lo_, side="right") - 1
    inside = (piece >= 0) & (lo_ < p1[np.maximum(piece, 0)])
    lo_, hi_, piece = lo_[inside], hi_[inside], piece[inside]
    # Members with no load have empty intervals: the last member starting at or
    # before a cut is the one that holds it.
    member = np.searchsorted(m0, lo_, side="right") - 1
    while True:
        empty = load[member] == 0
        if not empty.any():
            break
        member[empty] -= 1
    out = pieces.iloc[piece].reset_index(drop=True)
    shift = lo_ - p0[piece]
    out["start"] = out["start"].to_numpy() + shift
    out["flow"] = hi_ - lo_
    out["member"] = member
    out["rank"] = np.arange(len(out))
    return out


def _merge_ranges(sub: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Merge touching household ranges of the same key and building."""
    s = sub.sort_values([*by, "building_id", "start"], kind="stable").reset_index(drop=True)
    stop = s["start"] + s["flow"]
    new = np.ones(len(s), dtype=bool)
    if len(s) > 1:
        same = np.ones(len(s) - 1, dtype=bool)
        for c in [*by, "building_id"]:
            same &= s[c].to_numpy()[1:] == s[c].to_numpy()[:-1]
        new[1:] = ~(same & (s["start"].to_numpy()[1:] == stop.to_numpy()[:-1]))
    s["_run"] = np.cumsum(new)
    agg: dict[str, tuple[str, str]] = {c: (c, "first") for c in [*by, "building_id"]}
    agg.update(start=("start", "min"), flow=("flow", "sum"))
    if "dist" in s:
        agg["dist"] = ("dist", "max")
        agg["walk_sum"] = ("walk_sum", "sum")
    if "rank" in s:
        agg["rank"] = ("rank", "min")
    return s.groupby("_run", sort=True).agg(**agg).reset_index(drop=True)


def _range_geometry(
    ranges: pd.DataFrame, b: gpd.GeoDataFrame, units: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Footprint slice and a label of each (building, household range)."""
    pos = pd.Index(b["building_id"]).get_indexer(ranges["building_id"])
    total = b["households"].to_numpy()[pos]
    u = units[pos]
    levels = b["_levels"].to_numpy()[pos]
    start = ranges["start"].to_numpy()
    stop = start + ranges["flow"].to_numpy()
    whole = (start == 0) & (stop == total)
    has_units = u > 0
    first_unit = even_split_index(start, total, np.maximum(u, 1))
    last_unit = even_split_index(stop - 1, total, np.maximum(u, 1))
    frac_from = np.where(has_units, first_unit / np.maximum(u, 1), start / np.maximum(total, 1))
    frac_to = np.where(has_units, (last_unit + 1) / np.maximum(u, 1), stop / np.maximum(total, 1))
    frac_from = np.where(whole, 0.0, frac_from)
    frac_to = np.where(whole, 1.0, frac_to)
    # Floors of one unit share its slice: cut each distinct slice once.
    keys = pd.DataFrame({"p": pos, "f": frac_from, "t": frac_to})
    distinct = keys.drop_duplicates()
    cut = footprint_slices(
        b.geometry.to_numpy()[distinct["p"].to_numpy()],
        distinct["f"].to_numpy(),
        distinct["t"].to_numpy(),
    )
    which = keys.merge(distinct.assign(_k=np.arange(len(distinct))), how="left", on=["p", "f", "t"])
    geoms = cut[which["_k"].to_numpy()]
    # Household ranges of the first and last unit, to name whole units and floors.
    div = np.maximum(u, 1)
    base, extra = np.divmod(total, div)

    def unit_bounds(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        first = np.where(
            unit < extra, unit * (base + 1), extra * (base + 1) + (unit - extra) * base
        )
        return first, first + np.where(unit < extra, base + 1, base)

    unit_start, unit_stop = unit_bounds(first_unit)
    _, last_stop = unit_bounds(last_unit)
    unit_size = unit_stop - unit_start
    whole_units = has_units & (start == unit_start) & (stop == last_stop)
    floor_from = even_split_index(start - unit_start, unit_size, np.maximum(levels, 1)) + 1
    floor_to = even_split_index(stop - 1 - unit_start, unit_size, np.maximum(levels, 1)) + 1
    in_one_unit = has_units & (first_unit == last_unit) & (levels > 0)
    labels = []
    for i, bid in enumerate(ranges["building_id"].to_numpy()):
        if whole[i]:
            labels.append(str(bid))
        elif whole_units[i]:
            fu, lu = first_unit[i] + 1, last_unit[i] + 1
            labels.append(f"{bid} unit {fu}" if fu == lu else f"{bid} units {fu}-{lu}")
        elif in_one_unit[i]:
            f0, f1 = floor_from[i], floor_to[i]
            floors = f"floor {f0}" if f0 == f1 else f"floors {f0}-{f1}"
            labels.append(f"{bid} unit {first_unit[i] + 1} {floors}")
        else:
            labels.append(f"{bid} households {start[i] + 1}-{stop[i]}")
    return geoms, labels


def _union_by(keys: np.ndarray, geoms: np.ndarray, n: int) -> np.ndarray:
    """Union of the geometries per key 0..n-1."""
    out = np.empty(n, dtype=object)
    order = np.argsort(keys, kind="stable")
    keys_sorted = keys[order]
    bounds = np.searchsorted(keys_sorted, np.arange(n + 1))
    for i in range(n):
        part = geoms[order[bounds[i] : bounds[i + 1]]]
        out[i] = part[0] if len(part) == 1 else shapely.union_all(part)
    return out


def _majority(values: pd.Series, weights: pd.Series, keys: pd.Series) -> pd.Series:
    """Per key, the value with the largest total weight (ties: smallest value)."""
    df = pd.DataFrame({"k": keys.to_numpy(), "v": values.to_numpy(), "w": weights.to_numpy()})
    df = df[df["v"].notna()]
    if df.empty:
        return pd.Series(dtype=object)
    tot = df.groupby(["k", "v"], sort=True)["w"].sum().reset_index()
    tot = tot.sort_values(["k", "w", "v"], ascending=[True, False, True], kind="stable")
    return tot.drop_duplicates("k").set_index("k")["v"]


# --- public -------------------------------------------------------------------------


def assign_members(
    buildings: gpd.GeoDataFrame,
    *,
    members: pd.DataFrame | None = None,
    per_member: int = settings.DEFAULT_HOUSEHOLDS_PER_MEMBER,
    grids: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    same_grid: bool = True,
    model: str = "standard",
    seed: int = settings.DEFAULT_SEED,
    with_names: bool = False,
    progress: Progress | None = None,
) -> MemberAssignment:
    """Assign households to party members ("1+10") and build their areas.

    Parameters
    ----------
    buildings : GeoDataFrame
        Footprints with ``building_id``, ``households`` and ``grid_id``;
        optional ``units`` (entrances) and ``levels`` (to draw areas from
        whole units and floors), ``compound_id``, ``community_id``,
        ``street_id`` (for the organisation tree).
    members : DataFrame or GeoDataFrame, optional
        ``member_id`` and a home: ``building_id`` or a Point geometry (or
        ``lon``/``lat`` columns in EPSG:4326); optional ``capacity``
        (households, default ``per_member``), ``available`` (bool), ``role``,
        ``name``. Without it a labelled synthetic member set is drawn
        (:func:`gridmap.members.synthesize_members`).
    per_member : int, default settings.DEFAULT_HOUSEHOLDS_PER_MEMBER
        Households per member (the "10" of "1+10").
    grids : GeoDataFrame, optional
        Grid polygons with ``grid_id`` (and ``community_id``, ``street_id``):
        places members given by point, finds neighbouring grids, names the
        communities of the tree.
    roads : GeoDataFrame, optional
        Street and footpath lines; with them distances are network
        distances, otherwise straight line x ``settings.DETOUR_FACTOR``.
    same_grid : bool, default True
        Members serve only households of their own grid. With False, members
        may serve neighbouring grids at a ``CROSS_GRID_PENALTY_M`` penalty.
    model : {"standard", "nantong"}, default "standard"
        Organisation tree levels (see :mod:`gridmap.members.tree`).
    seed : int, default settings.DEFAULT_SEED
        Seed of the synthetic member draw (the assignment itself is
        deterministic).
    with_names : bool, default False
        Keep members' names, addresses and phone numbers in the output.
    progress : callable, optional
        ``progress(stage, fraction)``.

    Returns
    -------
    MemberAssignment

    Raises
    ------
    InputError
        Missing columns or CRS, duplicate ids, members without location,
        unknown home buildings, capacity 0 or negative, an unknown model.
    """
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def step(name: str, fraction: float) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 4)
        clock = now
        if progress is not None:
            progress(_STAGE, fraction)

    if (
        isinstance(per_member, bool)
        or not isinstance(per_member, int | np.integer)
        or per_member < 1
    ):
        raise InputError(msg("members.per_member_invalid", per_member=per_member))
    per_member = int(per_member)
    if model not in MODELS:
        raise InputError(msg("members.model_unknown", model=model, models=", ".join(MODELS)))
    b = _prepare_buildings(buildings)
    crs = b.crs
    b_units, b_levels = unit_structure(b)
    b["_levels"] = b_levels
    g_metric = None
    if grids is not None:
        require_columns(grids, "grids", ("grid_id",))
        require_crs(grids, "grids")
        g_metric = grids.to_crs(crs)
        g_metric = g_metric.assign(grid_id=g_metric["grid_id"].astype(str))
    notes: list[str] = []
    synthetic = members is None
    if members is None:
        members = synthesize_members(buildings, seed=seed)
        notes.append(
            f"synthetic member set (生成的示例党员): {len(members)} members drawn at "
            f"{settings.SYNTHETIC_MEMBERS_PER_100_HOUSEHOLDS:.1f} per 100 households "
            f"(seed {seed}); not a real register"
        )
    m = _prepare_members(members, b, g_metric, per_member=per_member, with_names=with_names)
    if not synthetic and len(m) and m["is_synthetic"].all():
        synthetic = True
        notes.append("the member list given is a synthetic set (is_synthetic = true)")
    step("input", 0.1)

    # Blocks and homes.
    workable = b[(b["households"] > 0) & b["grid_id"].notna()]
    blocks = split_households(workable, per_member=per_member)
    grid_names = sorted(set(b["grid_id"].dropna()) | set(m["grid_id"].dropna()))
    code = {g: i for i, g in enumerate(grid_names)}
    active = m[m["available"] & m["grid_id"].notna()].copy()
    active["_rx"] = np.round(active["x"], 1)
    active["_ry"] = np.round(active["y"], 1)
    home_keys = ["grid_id", "_rx", "_ry"]
    active["home"] = active.groupby(home_keys, sort=True).ngroup().to_numpy()
    homes = (
        active.groupby("home", sort=True)
        .agg(
            grid_id=("grid_id", "first"),
            x=("x", "first"),
            y=("y", "first"),
            capacity=("capacity", "sum"),
            home_building=("building_id", "first"),
        )
        .reset_index()
    )
    step("blocks", 0.2)

    # Distances, neighbours, components.
    graph = street_graph(roads, crs=crs) if roads is not None and len(roads) else None
    neighbours = grid_neighbours(b, grids=g_metric)
    code_neigh = {
        code[g]: [code[n] for n in near if n in code] for g, near in neighbours.items() if g in code
    }
    comp_of_grid = _components(len(grid_names), code_neigh, same_grid)
    allowed = None
    if not same_grid:
        allowed = np.eye(len(grid_names), dtype=bool)
        for a, near in code_neigh.items():
            allowed[a, near] = True
    bgrid = blocks["grid_id"].map(code).to_numpy(dtype=np.int64)
    hgrid = homes["grid_id"].map(code).to_numpy(dtype=np.int64)
    bxy = blocks[["x", "y"]].to_numpy()
    hxy = homes[["x", "y"]].to_numpy()
    bhh = blocks["households"].to_numpy(dtype=np.int64)
    hcap = homes["capacity"].to_numpy(dtype=np.int64)
    bcomp = comp_of_grid[bgrid] if len(bgrid) else np.zeros(0, dtype=np.int64)
    hcomp = comp_of_grid[hgrid] if len(hgrid) else np.zeros(0, dtype=np.int64)
    b_order = np.argsort(bcomp, kind="stable")
    h_order = np.argsort(hcomp, kind="stable")
    comps = np.unique(bcomp)
    b_bounds = np.searchsorted(bcomp[b_order], np.concatenate([comps, [np.iinfo(np.int64).max]]))
    h_lo = np.searchsorted(hcomp[h_order], comps, side="left")
    h_hi = np.searchsorted(hcomp[h_order], comps, side="right")
    step("setup", 0.3)

    parts_block, parts_home, parts_flow, parts_dist = [], [], [], []
    uncovered = np.zeros(len(blocks), dtype=np.int64)
    n_arcs = 0
    fallback = 0
    for i in range(len(comps)):
        bi = b_order[b_bounds[i] : b_bounds[i + 1]]
        hi = h_order[h_lo[i] : h_hi[i]]
        result = _solve_component(
            bxy[bi], bhh[bi], bgrid[bi], hxy[hi], hcap[hi], hgrid[hi], allowed=allowed, graph=graph
        )
        parts_block.append(bi[result.block])
        parts_home.append(hi[result.home])
        parts_flow.append(result.flow)
        parts_dist.append(result.dist)
        uncovered[bi] = result.uncovered
        n_arcs += result.arcs
        fallback += result.fallback
        if progress is not None and len(comps) > 1 and i % max(1, len(comps) // 20) == 0:
            progress(_STAGE, 0.3 + 0.4 * (i + 1) / len(comps))
    flow = pd.DataFrame(
        {
            "block": np.concatenate(parts_block) if parts_block else np.zeros(0, np.int64),
            "home": np.concatenate(parts_home) if parts_home else np.zeros(0, np.int64),
            "flow": np.concatenate(parts_flow) if parts_flow else np.zeros(0, np.int64),
            "dist": np.concatenate(parts_dist) if parts_dist else np.zeros(0),
        }
    )
    step("flow", 0.7)

    # Household ranges inside blocks: nearest home first.
    flow = flow.sort_values(["block", "dist", "home"], kind="stable").reset_index(drop=True)
    offset = flow.groupby("block")["flow"].cumsum().to_numpy() - flow["flow"].to_numpy()
    blk = flow["block"].to_numpy()
    bpos = pd.Index(b["building_id"]).get_indexer(blocks["building_id"])
    pieces = pd.DataFrame(
        {
            "home": flow["home"].to_numpy(),
            "building_id": blocks["building_id"].to_numpy(dtype=object)[blk],
            "grid_id": blocks["grid_id"].to_numpy(dtype=object)[blk],
            "start": blocks["start"].to_numpy()[blk] + offset,
            "flow": flow["flow"].to_numpy(),
            "dist": flow["dist"].to_numpy(),
            "bx": b["x"].to_numpy()[bpos[blk]],
            "by": b["y"].to_numpy()[bpos[blk]],
        }
    )
    home_of = homes.set_index("home")
    pieces["hx"] = home_of["x"].to_numpy()[pieces["home"].to_numpy()]
    pieces["hy"] = home_of["y"].to_numpy()[pieces["home"].to_numpy()]
    pieces["home_building"] = home_of["home_building"].to_numpy(dtype=object)[
        pieces["home"].to_numpy()
    ]
    pieces = _sweep_order(pieces)
    active = active.sort_values(["home", "member_id"], kind="stable")
    sub = _share_among_members(
        pieces,
        hcap,
        active["home"].to_numpy(),
        active["capacity"].to_numpy(dtype=np.int64),
    )
    sub["member_id"] = active["member_id"].to_numpy(dtype=object)[sub["member"].to_numpy()]
    sub["walk_sum"] = sub["dist"] * sub["flow"]
    ranges = _merge_ranges(
        sub[["member_id", "grid_id", "building_id", "start", "flow", "dist", "walk_sum", "rank"]],
        ["member_id", "grid_id"],
    )
    ranges = ranges.sort_values(["member_id", "rank"], kind="stable").reset_index(drop=True)
    step("share", 0.8)

    # Areas.
    range_geoms, range_labels = _range_geometry(ranges, b, b_units)
    ranges["label"] = range_labels
    per_member_tot = ranges.groupby("member_id", sort=True).agg(
        households=("flow", "sum"), walk_m=("dist", "max"), walk_sum=("walk_sum", "sum")
    )
    member_ids = per_member_tot.index.to_numpy(dtype=object)
    key = pd.Index(member_ids).get_indexer(ranges["member_id"])
    area_geom = _union_by(key, range_geoms, len(member_ids))
    area_grid = _majority(ranges["grid_id"], ranges["flow"], ranges["member_id"])
    main = ranges.sort_values(
        ["member_id", "flow", "rank"], ascending=[True, False, True], kind="stable"
    ).drop_duplicates("member_id")
    main = main.set_index("member_id")
    buildings_of = ranges.groupby("member_id", sort=True)["building_id"].agg(
        lambda s: list(dict.fromkeys(str(v) for v in s))
    )
    labels_of = ranges.groupby("member_id", sort=True)["label"].agg(list)
    mpos = pd.Index(b["building_id"]).get_indexer(main.loc[member_ids, "building_id"])
    areas = pd.DataFrame(
        {
            "member_id": member_ids,
            "grid_id": area_grid.reindex(member_ids).to_numpy(dtype=object),
            "households": per_member_tot["households"].to_numpy(dtype=np.int64),
            "building_ids": buildings_of.reindex(member_ids).to_numpy(),
            "parts": labels_of.reindex(member_ids).to_numpy(),
            "walk_m": np.round(per_member_tot["walk_m"].to_numpy(), 1),
            "main_building": main.loc[member_ids, "building_id"].to_numpy(dtype=object),
            "_start": main.loc[member_ids, "start"].to_numpy(),
            "x": b["x"].to_numpy()[mpos],
            "y": b["y"].to_numpy()[mpos],
        }
    )
    areas["n_buildings"] = [len(v) for v in areas["building_ids"]]
    areas["compound_id"] = (
        b["compound_id"].to_numpy(dtype=object)[mpos] if "compound_id" in b else None
    )
    if len(areas):
        bounds = b.total_bounds
        hilbert = gpd.GeoSeries(
            gpd.points_from_xy(areas["x"], areas["y"]), crs=crs
        ).hilbert_distance(total_bounds=bounds)
        areas["_h"] = hilbert.to_numpy()
    else:
        areas["_h"] = np.zeros(0, dtype=np.int64)
    order = areas.sort_values(["grid_id", "_h", "main_building", "_start", "member_id"]).index
    areas = areas.loc[order].reset_index(drop=True)
    areas["geometry"] = area_geom[pd.Index(member_ids).get_indexer(areas["member_id"])]
    areas["area_id"] = [
        f"{g}-{k:03d}"
        for g, k in zip(areas["grid_id"], areas.groupby("grid_id").cumcount() + 1, strict=True)
    ]
    step("areas", 0.85)

    # Grids, tree, roles.
    hh_by_grid = b[b["grid_id"].notna()].groupby("grid_id")["households"].sum()
    grid_rows = pd.DataFrame({"grid_id": grid_names})
    grid_rows["households"] = grid_rows["grid_id"].map(hh_by_grid).fillna(0).astype("int64")
    grid_rows["members"] = (
        grid_rows["grid_id"]
        .map(m[m["available"]].groupby("grid_id").size())
        .fillna(0)
        .astype("int64")
    )
    gb = b[b["grid_id"].notna()]
    # A grid's community and street: the grids table says so; else most of its
    # households' buildings do.
    for level in ("community_id", "street_id"):
        value = pd.Series(dtype=object)
        if level in b and b[level].notna().any():
            value = _majority(gb[level], gb["households"] + 1, gb["grid_id"])
        if g_metric is not None and level in g_metric:
            from_grids = g_metric.set_index("grid_id")[level].dropna().astype(str)
            value = from_grids.combine_first(value) if len(value) else from_grids
        grid_rows[level] = grid_rows["grid_id"].map(value).astype(object) if len(value) else None
    grid_rows = grid_rows[(grid_rows["households"] > 0) | (grid_rows["members"] > 0)]
    tree = build_tree(areas, grid_rows, model=model, synthetic=synthetic, per_member=per_member)
    table = tabulate_tree(tree)
    w = gb["households"].to_numpy(dtype=float) + 1e-9
    cx = pd.Series(gb["x"].to_numpy() * w).groupby(gb["grid_id"].to_numpy()).sum()
    cy = pd.Series(gb["y"].to_numpy() * w).groupby(gb["grid_id"].to_numpy()).sum()
    cw = pd.Series(w).groupby(gb["grid_id"].to_numpy()).sum()
    centres = {str(g): (cx[g] / cw[g], cy[g] / cw[g]) for g in cw.index}
    roles = assign_roles(tree, m, areas, centres)
    step("tree", 0.9)

    # Members table.
    assigned = per_member_tot.reindex(m["member_id"])
    area_of = areas.set_index("member_id")["area_id"]
    out_members = pd.DataFrame(
        {
            "member_id": m["member_id"].to_numpy(dtype=object),
            "building_id": m["building_id"].to_numpy(dtype=object),
            "grid_id": m["grid_id"].to_numpy(dtype=object),
            "area_id": m["member_id"].map(area_of).to_numpy(dtype=object),
            "role": np.where(
                pd.notna(m["role_given"]), m["role_given"], roles.reindex(m["member_id"]).to_numpy()
            ),
            "households": assigned["households"].fillna(0).astype("int64").to_numpy(),
            "capacity": m["capacity"].to_numpy(dtype=np.int64),
            "available": m["available"].to_numpy(dtype=bool),
            "walk_m": np.round(assigned["walk_m"].to_numpy(dtype=float), 1),
            "is_synthetic": np.full(len(m), synthetic, dtype=bool),
        }
    )
    for c in PERSONAL_COLUMNS:
        if c in m:
            out_members[c] = m[c].to_numpy()
    members_gdf = gpd.GeoDataFrame(
        out_members, geometry=gpd.points_from_xy(m["x"], m["y"]), crs=crs
    ).to_crs(WGS84)

    # Coverage per building and uncovered parts.
    covered_hh = ranges.groupby("building_id")["flow"].sum()
    member_grid = m.set_index("member_id")["grid_id"]
    other = ranges[ranges["member_id"].map(member_grid).to_numpy() != ranges["grid_id"].to_numpy()]
    cover = b[["building_id", "grid_id", "households"]].copy()
    cover["covered"] = cover["building_id"].map(covered_hh).fillna(0).astype("int64")
    cover["covered_by_other_grids"] = (
        cover["building_id"]
        .map(other.groupby("building_id")["flow"].sum())
        .fillna(0)
        .astype("int64")
    )
    assigned_per_block = np.bincount(blk, weights=flow["flow"].to_numpy(), minlength=len(blocks))
    gap = pd.DataFrame(
        {
            "building_id": blocks["building_id"].to_numpy(dtype=object),
            "grid_id": blocks["grid_id"].to_numpy(dtype=object),
            "start": blocks["start"].to_numpy() + assigned_per_block.astype(np.int64),
            "flow": uncovered,
        }
    )
    gap = gap[gap["flow"] > 0]
    loose = b[(b["households"] > 0) & b["grid_id"].isna()]
    gap = pd.concat(
        [
            gap,
            pd.DataFrame(
                {
                    "building_id": loose["building_id"].to_numpy(dtype=object),
                    "grid_id": np.full(len(loose), None, dtype=object),
                    "start": np.zeros(len(loose), dtype=np.int64),
                    "flow": loose["households"].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    gap = _merge_ranges(gap.assign(grid_id=gap["grid_id"].fillna("")), ["grid_id"])
    gap["grid_id"] = gap["grid_id"].replace("", None)
    gap_geoms, _ = _range_geometry(gap, b, b_units) if len(gap) else (np.zeros(0, object), [])
    uncovered_gdf = gpd.GeoDataFrame(
        {
            "building_id": gap["building_id"].to_numpy(dtype=object),
            "grid_id": gap["grid_id"].to_numpy(dtype=object),
            "households": gap["flow"].to_numpy(dtype=np.int64),
        },
        geometry=gap_geoms,
        crs=crs,
    ).to_crs(WGS84)
    shortfall = summarize_shortfall(
        cover,
        out_members[["member_id", "grid_id", "capacity", "available", "households"]],
        per_member=per_member,
        neighbours=neighbours,
    )

    areas_gdf = gpd.GeoDataFrame(
        {
            "area_id": areas["area_id"].to_numpy(dtype=object),
            "grid_id": areas["grid_id"].to_numpy(dtype=object),
            "member_id": areas["member_id"].to_numpy(dtype=object),
            "households": areas["households"].to_numpy(dtype=np.int64),
            "building_ids": areas["building_ids"].to_numpy(),
            "parts": areas["parts"].to_numpy(),
            "n_buildings": areas["n_buildings"].to_numpy(dtype=np.int64),
            "walk_m": areas["walk_m"].to_numpy(dtype=float),
            "is_synthetic": np.full(len(areas), synthetic, dtype=bool),
        },
        geometry=areas["geometry"].to_numpy(),
        crs=crs,
    ).to_crs(WGS84)
    range_table = pd.DataFrame(
        {
            "member_id": ranges["member_id"].to_numpy(dtype=object),
            "area_id": ranges["member_id"].map(area_of).to_numpy(dtype=object),
            "building_id": ranges["building_id"].to_numpy(dtype=object),
            "grid_id": ranges["grid_id"].to_numpy(dtype=object),
            "start": ranges["start"].to_numpy(dtype=np.int64),
            "stop": (ranges["start"] + ranges["flow"]).to_numpy(dtype=np.int64),
            "households": ranges["flow"].to_numpy(dtype=np.int64),
            "label": ranges["label"].to_numpy(dtype=object),
            "walk_m": np.round(ranges["dist"].to_numpy(dtype=float), 1),
        }
    )
    total_hh = int(b["households"].sum())
    covered_total = int(ranges["flow"].sum())
    walk_total = float(ranges["walk_sum"].sum())
    stats: dict[str, Any] = {
        "households": total_hh,
        "covered": covered_total,
        "uncovered": total_hh - covered_total,
        "members": len(m),
        "members_available": int(m["available"].sum()),
        "capacity": int(m.loc[m["available"] & m["grid_id"].notna(), "capacity"].sum()),
        "areas": len(areas_gdf),
        "blocks": len(blocks),
        "homes": len(homes),
        "problems": len(comps),
        "arcs": n_arcs,
        "total_walk_m": round(walk_total, 1),
        "max_walk_m": round(float(ranges["dist"].max()), 1) if len(ranges) else 0.0,
        "mean_walk_m": round(walk_total / covered_total, 1) if covered_total else 0.0,
        "distance_model": "network" if graph is not None else "straight_x_detour",
        "straight_line_fallback_pairs": fallback,
        "same_grid": same_grid,
        "synthetic": synthetic,
        "timings_s": timings,
    }
    if graph is not None and fallback:
        notes.append(
            f"{fallback} home-block pair(s) were measured by straight line x "
            f"{settings.DETOUR_FACTOR} (not connected by the street graph, or next to each other)"
        )
    step("outputs", 1.0)
    return MemberAssignment(
        areas=areas_gdf,
        members=members_gdf,
        shortfall=shortfall,
        tree=tree,
        tree_table=table,
        synthetic=synthetic,
        uncovered=uncovered_gdf,
        ranges=range_table,
        stats=stats,
        notes=tuple(notes),
    )
