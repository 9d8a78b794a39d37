"""The party organisation tree built from grids and member areas.

Two models are in use:

``standard`` (the common urban chain)
    街道党工委 street party working committee -> 社区党组织 community party
    organisation -> 网格党支部 grid party branch -> 楼栋党小组 building / unit
    party group -> 党员责任区 member areas.
``nantong`` (Nantong's "小区党总支-微网格党小组-党员中心户")
    街道党工委 -> 社区党组织 -> 小区党总支 compound general party branch ->
    微网格党小组 micro-grid party group -> 党员中心户 central party-member
    household.

Party groups are formed from areas in spatial order (Hilbert curve over the
areas' main buildings): a group closes at a building boundary once it holds
``settings.DEFAULT_MICRO_MIN_HOUSEHOLDS`` households, and before it would pass
``settings.DEFAULT_MICRO_MAX_HOUSEHOLDS`` (30-80 households, the micro-grid
size, i.e. 3-8 members at "1+10").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridmap import settings
from gridmap.errors import InputError
from gridmap.messages import msg

__all__ = ["MODELS", "LEVELS", "build_tree", "tabulate_tree", "assign_roles"]

MODELS = ("standard", "nantong")

# (level key, Chinese name, English name) from the top down, per model.
LEVELS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "standard": (
        ("street", "街道党工委", "street party working committee"),
        ("community", "社区党组织", "community party organisation"),
        ("grid", "网格党支部", "grid party branch"),
        ("group", "楼栋党小组", "building / unit party group"),
        ("area", "党员责任区", "member responsibility area"),
    ),
    "nantong": (
        ("street", "街道党工委", "street party working committee"),
        ("community", "社区党组织", "community party organisation"),
        ("compound", "小区党总支", "compound general party branch"),
        ("micro_group", "微网格党小组", "micro-grid party group"),
        ("area", "党员中心户", "central party-member household"),
    ),
}

NO_COMPOUND = "(none)"


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise InputError(msg("members.tree_model_unknown", model=model, models=", ".join(MODELS)))


def _group_areas(
    households: list[int], buildings: list[Any], low: int, high: int
) -> list[list[int]]:
    """Consecutive runs of areas (already in spatial order) as party groups."""
    groups: list[list[int]] = []
    current: list[int] = []
    total = 0
    previous_building = None
    for pos, (hh, building) in enumerate(zip(households, buildings, strict=True)):
        new_building = building != previous_building
        if current and (total + hh > high or (new_building and total >= low)):
            groups.append(current)
            current, total = [], 0
        current.append(pos)
        total += int(hh)
        previous_building = building
    if current:
        groups.append(current)
    return groups


def _node(
    level: str, node_id: str, name: str, children: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "level": level,
        "id": node_id,
        "name": name,
        "households": int(sum(c["households"] for c in children))
        + int(extra.pop("extra_households", 0)),
        "areas": int(sum(c.get("areas", 1) for c in children)),
        **extra,
        "children": children,
    }


def build_tree(
    areas: pd.DataFrame,
    grids: pd.DataFrame,
    *,
    model: str = "standard",
    synthetic: bool = False,
    per_member: int = settings.DEFAULT_HOUSEHOLDS_PER_MEMBER,
    group_min: int = settings.DEFAULT_MICRO_MIN_HOUSEHOLDS,
    group_max: int = settings.DEFAULT_MICRO_MAX_HOUSEHOLDS,
) -> dict[str, Any]:
    """Build the organisation tree.

    Parameters
    ----------
    areas : DataFrame
        One row per member area, in spatial order: ``area_id``, ``grid_id``,
        ``member_id``, ``households``, ``building_ids`` (list), ``main_building``
        (the building with most of the area's households) and ``compound_id``
        (of that building, may be null).
    grids : DataFrame
        One row per grid: ``grid_id``, ``community_id``, ``street_id``,
        ``households`` (all households of the grid, covered or not) and
        ``members`` (members living in the grid); grids without areas appear
        as branches without groups, so gaps stay visible.
    model : {"standard", "nantong"}, default "standard"
        Which chain of levels to build.
    synthetic : bool, default False
        Whether the members are synthetic (shown in the tree's ``note``).
    per_member : int, default settings.DEFAULT_HOUSEHOLDS_PER_MEMBER
        Recorded in the tree.
    group_min, group_max : int
        Households of a party group (defaults: micro-grid size 30-80).

    Returns
    -------
    dict
        JSON-serialisable: ``model``, ``synthetic``, ``per_member``, ``note``,
        ``levels`` (per level: ``level``, ``name_zh``, ``name_en``, ``count``)
        and ``streets`` (nodes with ``level``, ``id``, ``name``,
        ``households``, ``areas``, ``members`` where known, ``children``;
        leaves are areas with ``member_id``, ``households``, ``building_ids``).
    """
    _check_model(model)
    levels = LEVELS[model]
    zh = {key: name for key, name, _ in levels}
    g = grids.copy()
    g["grid_id"] = g["grid_id"].astype(str)
    g["community_id"] = g["community_id"].astype(object).where(g["community_id"].notna(), "(none)")
    g["street_id"] = g["street_id"].astype(object).where(g["street_id"].notna(), "(none)")
    g = g.sort_values("grid_id", kind="stable")
    a = areas.reset_index(drop=True)
    compound = (
        a["compound_id"].astype(object).where(a["compound_id"].notna(), NO_COMPOUND).to_numpy()
        if "compound_id" in a
        else np.full(len(a), NO_COMPOUND, dtype=object)
    )
    leaves: list[dict[str, Any]] = [
        {
            "level": "area",
            "id": str(area_id),
            "member_id": str(member_id),
            "households": int(hh),
            "building_ids": [str(v) for v in bids],
        }
        for area_id, member_id, hh, bids in zip(
            a["area_id"], a["member_id"], a["households"], a["building_ids"], strict=True
        )
    ]
    grid_of = [str(v) for v in a["grid_id"]]
    main = list(a["main_building"])
    rows_of_grid: dict[str, list[int]] = {}
    rows_of_cell: dict[tuple[str, str], list[int]] = {}
    for pos, (gid, comp) in enumerate(zip(grid_of, compound, strict=True)):
        rows_of_grid.setdefault(gid, []).append(pos)
        rows_of_cell.setdefault((str(comp), gid), []).append(pos)

    def groups_of(rows: list[int], level: str, prefix: str) -> list[dict[str, Any]]:
        nodes = []
        runs = _group_areas(
            [int(leaves[r]["households"]) for r in rows],
            [main[r] for r in rows],
            group_min,
            group_max,
        )
        for k, run in enumerate(runs, start=1):
            kids = [leaves[rows[i]] for i in run]
            node_id = f"{prefix}/{k:02d}"
            nodes.append(_node(level, node_id, f"{zh[level]} {node_id}", kids, members=len(kids)))
        return nodes

    streets: list[dict[str, Any]] = []
    for street_id, sg in g.groupby("street_id", sort=True):
        communities = []
        for community_id, cg in sg.groupby("community_id", sort=True):
            if model == "standard":
                children = []
                for grid_id, grid_households, grid_members in zip(
                    cg["grid_id"].tolist(),
                    cg["households"].astype(int).tolist(),
                    cg["members"].astype(int).tolist(),
                    strict=True,
                ):
                    gid = str(grid_id)
                    groups = groups_of(rows_of_grid.get(gid, []), "group", gid)
                    covered = int(sum(n["households"] for n in groups))
                    children.append(
                        _node(
                            "grid",
                            gid,
                            f"{zh['grid']} {gid}",
                            groups,
                            extra_households=grid_households - covered,
                            members=grid_members,
                        )
                    )
            else:
                grid_set = set(cg["grid_id"])
                cells = sorted(k for k in rows_of_cell if k[1] in grid_set)
                children = []
                for compound_id in sorted({k[0] for k in cells}):
                    micro = []
                    for cell in (k for k in cells if k[0] == compound_id):
                        micro += groups_of(
                            rows_of_cell[cell], "micro_group", f"{compound_id}/{cell[1]}"
                        )
                    children.append(
                        _node(
                            "compound",
                            str(compound_id),
                            f"{zh['compound']} {compound_id}",
                            micro,
                            members=int(sum(m["members"] for m in micro)),
                        )
                    )
            covered = int(sum(c["households"] for c in children))
            communities.append(
                _node(
                    "community",
                    str(community_id),
                    f"{zh['community']} {community_id}",
                    children,
                    extra_households=int(cg["households"].sum()) - covered,
                    members=int(cg["members"].sum()),
                )
            )
        streets.append(
            _node(
                "street",
                str(street_id),
                f"{zh['street']} {street_id}",
                communities,
                members=int(sg["members"].sum()),
            )
        )
    tree: dict[str, Any] = {
        "model": model,
        "synthetic": bool(synthetic),
        "per_member": int(per_member),
        "note": (
            "synthetic members (生成的示例党员), not a real register"
            if synthetic
            else "member register"
        ),
        "streets": streets,
    }
    counts = _count_levels(streets)
    tree["levels"] = [
        {"level": key, "name_zh": name, "name_en": en, "count": counts.get(key, 0)}
        for key, name, en in levels
    ]
    return tree


def _walk(nodes: list[dict[str, Any]]) -> Any:
    for node in nodes:
        yield node
        yield from _walk(node.get("children", []))


def _count_levels(streets: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in _walk(streets):
        counts[node["level"]] = counts.get(node["level"], 0) + 1
    return counts


def tabulate_tree(tree: Mapping[str, Any]) -> pd.DataFrame:
    """The tree as a printable table: one row per level with counts.

    Parameters
    ----------
    tree : dict
        From :func:`build_tree`.

    Returns
    -------
    DataFrame
        ``level``, ``name_zh``, ``name_en``, ``count`` (organisations at the
        level), ``households`` (total under the level), ``mean_households``,
        ``min_households`` and ``max_households`` per organisation.
    """
    levels = tree["levels"]
    per_level: dict[str, list[int]] = {lv["level"]: [] for lv in levels}
    for node in _walk(list(tree["streets"])):
        per_level.setdefault(node["level"], []).append(int(node["households"]))
    rows = []
    for lv in levels:
        values = np.asarray(per_level.get(lv["level"], []), dtype=np.int64)
        rows.append(
            {
                "level": lv["level"],
                "name_zh": lv["name_zh"],
                "name_en": lv["name_en"],
                "count": int(len(values)),
                "households": int(values.sum()) if len(values) else 0,
                "mean_households": round(float(values.mean()), 1) if len(values) else 0.0,
                "min_households": int(values.min()) if len(values) else 0,
                "max_households": int(values.max()) if len(values) else 0,
            }
        )
    return pd.DataFrame(rows)


def assign_roles(
    tree: Mapping[str, Any],
    members: pd.DataFrame,
    areas: pd.DataFrame,
    grid_centres: Mapping[str, tuple[float, float]],
) -> pd.Series:
    """Roles of members from the tree.

    One ``grid_secretary`` per grid (the available member living nearest the
    grid's household-weighted centre), one ``group_leader`` per party group
    (the group's member living nearest the group's centre, the secretary
    excepted); in the Nantong model the other members with an area are
    ``central_household`` (党员中心户), otherwise ``member``.

    Parameters
    ----------
    tree : dict
        From :func:`build_tree`.
    members : DataFrame
        ``member_id``, ``grid_id``, ``available``, ``x``, ``y`` (home, metric).
    areas : DataFrame
        ``area_id``, ``x``, ``y`` (area centre, metric), ``households``.
    grid_centres : mapping of str to (x, y)
        Household-weighted grid centres (metric).

    Returns
    -------
    Series
        Role per member, indexed by ``member_id``.
    """
    model = tree["model"]
    ids = [str(v) for v in members["member_id"]]
    where = {mid: i for i, mid in enumerate(ids)}
    mx = members["x"].to_numpy(dtype=float)
    my = members["y"].to_numpy(dtype=float)
    grid = members["grid_id"].to_numpy(dtype=object)
    avail = members["available"].to_numpy(dtype=bool) & pd.notna(grid)
    secretaries: set[str] = set()
    by_grid: dict[str, list[int]] = {}
    for i in np.flatnonzero(avail):
        by_grid.setdefault(str(grid[i]), []).append(int(i))
    for gid in sorted(by_grid):
        if gid not in grid_centres:
            continue
        cx, cy = grid_centres[gid]
        rows = by_grid[gid]
        best = min(rows, key=lambda r: (round(float(np.hypot(mx[r] - cx, my[r] - cy)), 3), ids[r]))
        secretaries.add(ids[best])
    area_pos = {str(a): i for i, a in enumerate(areas["area_id"])}
    ax = areas["x"].to_numpy(dtype=float)
    ay = areas["y"].to_numpy(dtype=float)
    aw = areas["households"].to_numpy(dtype=float) + 1e-9
    group_level = "group" if model == "standard" else "micro_group"
    in_area: set[str] = set()
    leaders: set[str] = set()
    for node in _walk(list(tree["streets"])):
        if node["level"] != group_level:
            continue
        leaves = node["children"]
        pos = [area_pos[leaf["id"]] for leaf in leaves]
        in_area.update(leaf["member_id"] for leaf in leaves)
        cx = float(np.average(ax[pos], weights=aw[pos]))
        cy = float(np.average(ay[pos], weights=aw[pos]))
        candidates = [leaf["member_id"] for leaf in leaves if leaf["member_id"] not in secretaries]
        if not candidates:
            continue
        leaders.add(
            min(
                candidates,
                key=lambda c: (
                    round(float(np.hypot(mx[where[c]] - cx, my[where[c]] - cy)), 3),
                    c,
                ),
            )
        )
    roles = pd.Series("member", index=pd.Index(ids, name="member_id"), dtype=object)
    if model == "nantong":
        roles[roles.index.isin(list(in_area))] = "central_household"
    roles[roles.index.isin(list(leaders))] = "group_leader"
    roles[roles.index.isin(list(secretaries))] = "grid_secretary"
    return roles
