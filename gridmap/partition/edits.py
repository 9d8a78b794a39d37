"""Planner edits of a partition: lock, move, merge, split.

Each edit returns a new :class:`~gridmap.partition.engine.GridPartition` whose
``changed`` names the grids the edit touched (created, removed, with other
buildings, or newly locked) and whose :meth:`balance` reports households
against the bounds. Untouched grids keep their code, buildings, micro-grids
and -- for move, merge and split -- their exact polygon: only the touched
grids' polygons are rebuilt from their tiles. Moving one building
therefore changes at most two grids.

- :func:`move_units` moves buildings (or unit rows, or a whole compound) to a
  neighbouring grid; both grids must stay contiguous.
- :func:`merge_grids` joins two adjacent grids of one community under the lower
  of their two codes.
- :func:`split_grid` re-partitions one grid into ``parts`` balanced,
  contiguous grids (compounds kept whole where possible); the part first in
  north-west to south-east order keeps the code, the others take new numbers
  after the community's highest.
- :func:`lock_grid` locks an existing grid, or a drawn polygon: the buildings
  inside it become a locked grid and the grids that lost buildings to it are
  re-partitioned (``scope="touched"``), or all unlocked grids of its community
  (``scope="community"``). Other grids keep code and buildings; their polygons
  are trimmed where the drawn polygon covers them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from shapely import Geometry

from gridmap.crs import WGS84
from gridmap.errors import InputError
from gridmap.messages import Msg, msg
from gridmap.messages.values import Joined
from gridmap.partition.codes import micro_code, next_numbers, nw_se_order
from gridmap.partition.engine import (
    GridPartition,
    State,
    assemble,
    build_layout,
    emit,
    finish,
    locked_labels,
    micro_local,
    range_warning,
    solve_sites,
    with_state,
)
from gridmap.partition.polygons import region_polygons

__all__ = ["move_units", "merge_grids", "split_grid", "lock_grid"]


def _quiet(stage: str, fraction: float) -> None:
    return None


def _community(info: pd.DataFrame, grid_id: str) -> int:
    """Community index of a grid."""
    return int(info["community"].to_dict()[grid_id])


def _require_grid(state: State, grid_id: str, *, target: bool = False) -> str:
    gid = str(grid_id)
    if gid not in state.grid_info.index:
        if target:
            raise InputError(msg("partition.target_grid_unknown", grid=gid))
        raise InputError(msg("partition.grid_unknown", grid=gid))
    return gid


def _require_unlocked(state: State, grid_ids: Iterable[str]) -> None:
    locked = [g for g in grid_ids if bool(state.grid_info.loc[g, "locked"])]
    if locked:
        raise InputError(msg("partition.grid_locked", grids=Joined(sorted(locked))))


def _connected(state: State, labels: np.ndarray, sites: np.ndarray) -> int:
    """Number of connected pieces the sites form in the site graph."""
    if len(sites) == 0:
        return 0
    g = state.layout.graph
    n = len(g.xy)
    inside = np.zeros(n, bool)
    inside[sites] = True
    keep = inside[g.u] & inside[g.v]
    mat = coo_array((np.ones(int(keep.sum())), (g.u[keep], g.v[keep])), shape=(n, n))
    comp = connected_components(mat.tocsr(), directed=False)[1]
    del labels
    return len(np.unique(comp[sites]))


def _apply(
    state: State,
    site_grid: np.ndarray,
    *,
    changed: list[str],
    info: pd.DataFrame,
    warnings: list[Msg],
) -> GridPartition:
    """New polygons and micro-grids for the changed grids; everything else kept.

    The changed grids' polygons are coverage unions of their tiles, so they
    meet their untouched neighbours exactly.
    """
    layout = state.layout
    g = layout.graph
    live = sorted(c for c in changed if c in info.index)
    labels = site_grid.astype(str)
    sites = np.flatnonzero(np.isin(labels, live))
    local = micro_local(layout, site_grid, live)
    micro_ids = np.asarray([micro_code(labels[s], int(local[s]) + 1) for s in sites], dtype=object)
    new_grid, new_micro = region_polygons(g.tiles[sites], labels[sites], micro_ids)
    polys = {k: v for k, v in state.grid_poly.items() if k not in set(changed)}
    polys.update({str(k): v for k, v in new_grid.items()})
    site_micro = state.site_micro.copy()
    site_micro[sites] = micro_ids
    gone = set(changed)
    mpoly = {k: v for k, v in state.micro_poly.items() if k[:-3] not in gone}
    mpoly.update({str(k): v for k, v in new_micro.items()})
    note = range_warning(layout, site_grid, live)
    if note is not None:
        warnings.append(note)
    new_state = State(
        layout=layout,
        site_grid=site_grid,
        site_micro=site_micro,
        grid_info=info.sort_index(),
        grid_poly=polys,
        micro_poly=mpoly,
    )
    emit(warnings)
    return assemble(new_state, warnings, tuple(sorted(changed)))


def move_units(
    partition: GridPartition,
    *,
    building_ids: Iterable[str] | None = None,
    compound_id: str | None = None,
    to_grid: str,
) -> GridPartition:
    """Move buildings (or a compound) to a neighbouring grid.

    Parameters
    ----------
    partition : GridPartition
    building_ids : iterable of str, optional
        Buildings to move; a building split into unit rows moves whole when its
        own id is given, one unit row when the row's id (``<id>-U<k>``) is.
    compound_id : str, optional
        Move every building of this compound instead.
    to_grid : str
        The receiving grid; it must touch the moved buildings and lie in their
        community.

    Returns
    -------
    GridPartition
        ``changed`` holds the giving grid(s) and ``to_grid``.

    Raises
    ------
    InputError
        Unknown ids, a locked grid, another community, buildings that do not
        touch ``to_grid``, or a move that would empty a grid or cut it in two.
    """
    state = with_state(partition)
    layout = state.layout
    rows = layout.rows
    target = _require_grid(state, to_grid, target=True)
    if (building_ids is None) == (compound_id is None):
        raise InputError(msg("partition.move_needs_one"))
    if building_ids is not None:
        wanted = [
            str(b) for b in ([building_ids] if isinstance(building_ids, str) else building_ids)
        ]
        sel = rows["building_id"].isin(wanted) | rows["parent_building_id"].isin(wanted)
        known = set(rows.loc[sel, "building_id"]) | set(rows.loc[sel, "parent_building_id"])
        unknown = [b for b in wanted if b not in known]
        if unknown:
            raise InputError(msg("partition.buildings_not_found", ids=Joined(unknown[:5])))
    else:
        sel = rows["compound_id"] == str(compound_id)
        if not sel.any():
            raise InputError(msg("partition.compound_not_found", compound=compound_id))
    sites = np.unique(rows.loc[sel, "site"].to_numpy())
    old = state.site_grid
    sources = sorted({str(x) for x in old[sites]} - {target})
    if not sources:
        return assemble(state, [], ())
    _require_unlocked(state, [*sources, target])
    comm = layout.site_community[sites]
    tcomm = _community(state.grid_info, target)
    if (comm != tcomm).any():
        raise InputError(msg("partition.move_other_community", grid=target))
    new = old.copy()
    new[sites] = target
    for src in sources:
        rest = np.flatnonzero(new.astype(str) == src)
        if len(rest) == 0:
            raise InputError(msg("partition.move_empties", source=src, target=target))
        pieces = _connected(state, new, rest)
        if pieces > 1:
            raise InputError(msg("partition.move_cuts", source=src, pieces=pieces))
    if _connected(state, new, np.flatnonzero(new.astype(str) == target)) > 1:
        raise InputError(msg("partition.move_not_touching", grid=target))
    warnings: list[Msg] = []
    comp = rows["compound_id"]
    moved_c = set(comp[sel].dropna())
    hh_c = rows.groupby("compound_id")["households"].sum()
    row_grid = pd.Series(new[rows["site"].to_numpy()].astype(str))
    split = [
        c
        for c in sorted(moved_c)
        if hh_c.get(c, 0) <= layout.high and row_grid[(comp == c).to_numpy()].nunique() > 1
    ]
    if split:
        warnings.append(msg("partition.compound_now_split", ids=Joined(split)))
    return _apply(
        state, new, changed=[*sources, target], info=state.grid_info.copy(), warnings=warnings
    )


def merge_grids(partition: GridPartition, grid_a: str, grid_b: str) -> GridPartition:
    """Join two adjacent grids of one community; the lower code stays.

    Parameters
    ----------
    partition : GridPartition
    grid_a, grid_b : str
        Two different, adjacent, unlocked grids of the same community.

    Returns
    -------
    GridPartition
        ``changed`` holds both codes (one of them no longer exists).
    """
    state = with_state(partition)
    a = _require_grid(state, grid_a)
    b = _require_grid(state, grid_b)
    if a == b:
        raise InputError(msg("partition.merge_self", grid=a))
    _require_unlocked(state, [a, b])
    info = state.grid_info
    if _community(info, a) != _community(info, b):
        raise InputError(msg("partition.merge_communities", a=a, b=b))
    keep, gone = sorted([a, b])
    new = state.site_grid.copy()
    both = np.flatnonzero(np.isin(new.astype(str), [a, b]))
    if _connected(state, new, both) > 1:
        raise InputError(msg("partition.merge_not_touching", a=a, b=b))
    new[new.astype(str) == gone] = keep
    return _apply(state, new, changed=[a, b], info=info.drop(index=gone), warnings=[])


def split_grid(partition: GridPartition, grid_id: str, *, parts: int = 2) -> GridPartition:
    """Re-partition one grid into ``parts`` contiguous, balanced grids.

    Parameters
    ----------
    partition : GridPartition
    grid_id : str
        An unlocked grid.
    parts : int
        Number of grids to make (>= 2).

    Returns
    -------
    GridPartition
        ``changed`` holds ``grid_id`` and the new codes.
    """
    state = with_state(partition)
    gid = _require_grid(state, grid_id)
    _require_unlocked(state, [gid])
    if parts < 2:
        raise InputError(msg("partition.split_parts_bad", parts=parts))
    layout = state.layout
    mine = state.site_grid.astype(str) == gid
    if mine.sum() < parts:
        raise InputError(
            msg("partition.split_too_few_sites", grid=gid, sites=int(mine.sum()), parts=parts)
        )
    fixed = state.site_grid.astype(object).copy()
    fixed[mine] = None
    n_fixed = len(set(fixed[~mine]))
    # The layout's warnings (big compounds and the like) were given with the
    # partition; only the range of the new grids is news here.
    warnings: list[Msg] = []
    labels = solve_sites(
        layout, fixed=fixed, n_grids=n_fixed + parts, warnings=[], progress=_quiet
    ).labels
    new_labels = sorted({str(x) for x in labels[mine]})
    if len(new_labels) < parts:
        raise InputError(msg("partition.split_impossible", grid=gid, parts=parts))
    # The part first in NW-SE order keeps the code; the others get new numbers.
    g = layout.graph
    cent = np.asarray([g.xy[mine & (labels.astype(str) == lab)].mean(axis=0) for lab in new_labels])
    order = nw_se_order(cent)
    info = state.grid_info.copy()
    comm = _community(info, gid)
    used = {int(x) for x in info.loc[info["community"] == comm, "number"].dropna()}
    numbers = next_numbers(used, len(new_labels) - 1)
    prefix = gid[:12]
    rename = {new_labels[order[0]]: gid}
    for rank, j in enumerate(order[1:]):
        code = f"{prefix}{numbers[rank]:03d}"
        rename[new_labels[j]] = code
        info.loc[code] = {"community": comm, "number": numbers[rank], "locked": False, "name": None}
    new = state.site_grid.copy()
    new[mine] = [rename[str(x)] for x in labels[mine]]
    changed = sorted(set(rename.values()))
    return _apply(state, new, changed=changed, info=info, warnings=warnings)


def _as_polygon(obj: Any, crs: Any) -> gpd.GeoDataFrame:
    if isinstance(obj, gpd.GeoDataFrame):
        frame = obj
    elif isinstance(obj, gpd.GeoSeries):
        frame = gpd.GeoDataFrame(geometry=obj)
    elif isinstance(obj, Geometry):
        frame = gpd.GeoDataFrame(geometry=[obj], crs=crs)
    else:
        raise InputError(msg("partition.lock_bad_type", kind=type(obj).__name__))
    if frame.crs is None:
        raise InputError(msg("partition.lock_no_crs"))
    geoms = frame.geometry
    if len(frame) == 0 or not geoms.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise InputError(msg("partition.lock_not_polygon"))
    union = shapely.union_all(np.asarray(geoms.array, dtype=object))
    return gpd.GeoDataFrame(geometry=[union], crs=frame.crs)


def lock_grid(
    partition: GridPartition,
    polygon_or_grid_id: Any,
    *,
    name: str | None = None,
    scope: str = "touched",
    crs: Any = WGS84,
) -> GridPartition:
    """Lock a grid, or a drawn polygon, and re-partition only the rest.

    Parameters
    ----------
    partition : GridPartition
    polygon_or_grid_id : str, shapely geometry, GeoSeries or GeoDataFrame
        An existing grid_id (it is flagged locked and nothing else changes), or
        an area whose buildings (by centroid) become one locked grid.
    name : str, optional
        Name of the new locked grid.
    scope : {"touched", "community"}
        Re-partition the grids that lost buildings to the area, or every
        unlocked grid of its community.
    crs : CRS-like
        CRS of a bare shapely geometry (default EPSG:4326).

    Returns
    -------
    GridPartition
    """
    state = with_state(partition)
    layout = state.layout
    if scope not in ("touched", "community"):
        raise InputError(msg("partition.lock_scope_bad", scope=repr(scope)))
    if isinstance(polygon_or_grid_id, str):
        gid = _require_grid(state, polygon_or_grid_id)
        info = state.grid_info.copy()
        if bool(info.loc[gid, "locked"]):
            return assemble(state, [], ())
        info.loc[gid, "locked"] = True
        if name:
            info.loc[gid, "name"] = name
        new_state = State(
            layout=layout,
            site_grid=state.site_grid,
            site_micro=state.site_micro,
            grid_info=info,
            grid_poly=state.grid_poly,
            micro_poly=state.micro_poly,
        )
        return assemble(new_state, [], (gid,))
    area = _as_polygon(polygon_or_grid_id, crs).to_crs(layout.crs)
    info = state.grid_info
    # Locked grids so far keep their polygons and codes.
    lk_ids = [g for g in info.index if bool(info.loc[g, "locked"])]
    frames = [
        gpd.GeoDataFrame(
            {"grid_id": lk_ids, "name": [info.loc[g, "name"] for g in lk_ids]},
            geometry=[state.grid_poly[g] for g in lk_ids],
            crs=layout.crs,
        ),
        gpd.GeoDataFrame(
            {"grid_id": [None], "name": [name]}, geometry=list(area.geometry), crs=layout.crs
        ),
    ]
    locked = pd.concat(frames, ignore_index=True)
    inputs = layout.inputs
    new_layout = build_layout(
        inputs["buildings"],
        low=layout.low,
        high=layout.high,
        communities=inputs["communities"],
        roads=inputs["roads"],
        locked=gpd.GeoDataFrame(locked, geometry="geometry", crs=layout.crs),
        seed=layout.seed,
        progress=_quiet,
        follow_streets=bool(inputs.get("follow_streets", True)),
    )
    g = new_layout.graph
    if len(g.xy) != len(layout.graph.xy):  # same buildings -> same sites
        raise RuntimeError("the rebuilt layout lost building sites")
    old = state.site_grid.astype(str)
    new_lk = int(len(new_layout.locked) - 1)
    in_new = np.flatnonzero(new_layout.region_locked[g.region] == new_lk)
    if new_layout.locked["grid_id"].iloc[new_lk] is not None or len(new_layout.locked) <= len(
        lk_ids
    ):
        raise InputError(msg("partition.lock_no_area"))
    touched = set(old[in_new])
    if scope == "community":
        comm = int(new_layout.locked["community"].iloc[new_lk])
        touched |= {str(x) for x in info.index if _community(info, str(x)) == comm}
    touched -= set(lk_ids)
    keep: dict[int, str] = {}
    for s in np.flatnonzero(~np.isin(old, list(touched))):
        if new_layout.region_locked[g.region[s]] < 0:
            keep[int(s)] = old[s]
    # A kept grid that the lock cut in two is re-partitioned too.
    kept_sites = pd.Series(list(keep.keys()), index=list(keep.values()))
    for gid_k, grp in kept_sites.groupby(level=0):
        sites = np.asarray(grp.to_numpy(), dtype=np.int64)
        if (
            _connected(
                State(new_layout, state.site_grid, state.site_micro, info, {}, {}), old, sites
            )
            > 1
        ):
            touched.add(str(gid_k))
            for s in sites:
                keep.pop(int(s), None)
    fixed = locked_labels(new_layout, keep)
    warnings = list(new_layout.warnings)
    solved = solve_sites(new_layout, fixed=fixed, n_grids=None, warnings=warnings, progress=_quiet)
    kept_info = info.loc[[x for x in info.index if x not in touched]].copy()
    result = finish(
        new_layout, solved, info=kept_info, warnings=warnings, fresh=False, progress=_quiet
    )
    new_state = with_state(result)
    changed = _diff(state, new_state)
    emit(result.warnings)
    return assemble(new_state, result.warnings, changed)


def _diff(old: State, new: State) -> tuple[str, ...]:
    """Grids whose buildings, existence or lock differ between two states."""
    a = pd.Series(old.site_grid.astype(str))
    b = pd.Series(new.site_grid.astype(str))
    sa = a.groupby(a).groups
    sb = b.groupby(b).groups
    out: set[str] = set()
    for gid in set(sa) | set(sb):
        if gid not in sa or gid not in sb or not np.array_equal(np.sort(sa[gid]), np.sort(sb[gid])):
            out.add(str(gid))
    for gid in set(old.grid_info.index) | set(new.grid_info.index):
        if (
            gid not in old.grid_info.index
            or gid not in new.grid_info.index
            or bool(old.grid_info.loc[gid, "locked"]) != bool(new.grid_info.loc[gid, "locked"])
        ):
            out.add(str(gid))
    return tuple(sorted(out))
