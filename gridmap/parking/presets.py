"""Parking scenarios from practice, and scenarios built from a map's lots.

Every preset is an ordinary ``method: simulate`` scenario with an ``origin``
key that separates the reported facts (with their source id in
``profiles/SOURCES.md``) from the behavioural assumptions gridmap adds to make
the scenario runnable. The assumptions are plain scenario numbers: change them
when local data (e.g. a gate log, :mod:`gridmap.parking.calibrate`) is at hand.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from gridmap import settings
from gridmap.crs import metric_crs, to_metric
from gridmap.errors import InputError
from gridmap.messages import msg
from gridmap.parking.scenario import validate_scenario
from gridmap.schema import require_columns, require_crs, validate_lots

__all__ = [
    "PRESET_NAMES",
    "CARS_PER_HOUSEHOLD",
    "preset",
    "preset_from_layers",
    "synthetic_district",
]

# Cars per household: 336 million cars registered in China at the end of 2023
# (Ministry of Public Security, 2024-01-11: 汽车保有量3.36亿辆) over 494.2 million
# family households (7th national census, 2020): 0.68.
CARS_PER_HOUSEHOLD = 336.0 / 494.16
# Assumed behaviour used by the presets (not from a source; replace with local data).
RESIDENT_WEEKDAY = {
    "stay_home_share": 0.35,
    "leave": {"mean": "07:30", "sd_minutes": 50},
    "return": {"mean": "18:15", "sd_minutes": 75},
}
RESIDENT_WEEKEND = {
    "stay_home_share": 0.55,
    "leave": {"mean": "09:30", "sd_minutes": 90},
    "return": {"mean": "17:30", "sd_minutes": 120},
}
# Daytime visitors: arrivals spread over shop hours (relative weights per hour).
SHOP_ARRIVALS = [0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 6, 6, 6, 7, 7, 7, 6, 4, 2, 1, 0]
OFFICE_FILL = 0.85  # share of an office lot's non-reserved spaces its staff use on weekdays
COMMERCIAL_TURNOVER = 2.0  # visitor arrivals per space and day at shops
PUBLIC_TURNOVER = 1.0

_ASSUMED = [
    "resident behaviour: weekday 35% of cars stay home, leave ~07:30 (sd 50 min), "
    "return ~18:15 (sd 75 min); weekend 55% stay home",
    "day-to-day correlation of a car's going out: 0.5",
    "outsider (commuter and visitor) demand, arrival and dwell times",
    "prices, grace period (15 min) and overstay share (10%)",
]


def _nantong() -> dict[str, Any]:
    return {
        "method": "simulate",
        "name": "南通易家桥二号院 (Nantong, Yijiaqiao No. 2 compound)",
        "days": 200,
        "slot_minutes": 15,
        "first_day": "monday",
        "allocation": "fcfs",
        "lots": [
            {
                "lot_id": "yijiaqiao_no2",
                "name": "易家桥二号院",
                "kind": "residential",
                "capacity": 470,
                "reserved": 0,
                "shared": 50,
                "window": "08:30-17:30",
                "price_per_hour": 2.0,
                "community_share": 1.0,
                "grace_minutes": 15,
                "overstay_share": 0.1,
                "overstay_minutes": 60,
                "x": 0.0,
                "y": 0.0,
            }
        ],
        "users": [
            {
                "name": "residents",
                "class": "resident",
                "home_lot": "yijiaqiao_no2",
                "cars": 430,
                "day_correlation": 0.5,
                **copy.deepcopy(RESIDENT_WEEKDAY),
                "stay_home_share": 0.45,
                "weekend": copy.deepcopy(RESIDENT_WEEKEND),
            },
            {
                "name": "platform_commuters",
                "class": "worker",
                "cars": 420,
                "no_show": 0.1,
                "day_correlation": 0.3,
                "arrive": {"mean": "08:40", "sd_minutes": 20},
                "depart": {"mean": "17:35", "sd_minutes": 35},
                "weekend": {"cars": 80},
                "x": 150.0,
                "y": 150.0,
            },
            {
                "name": "platform_visitors",
                "class": "visitor",
                "arrivals_per_day": 250,
                "arrive": {"histogram": SHOP_ARRIVALS},
                "dwell": {"mean_minutes": 75, "sd_minutes": 60},
                "x": -120.0,
                "y": 80.0,
            },
        ],
        "origin": {
            "source_id": "BRIEF_NANTONG",
            "facts": [
                "易家桥二号院 (formerly 易家桥新村, built in the 1990s), 易家桥社区, Nantong, Jiangsu",
                "470 planned spaces after renovation, 430 registered resident cars",
                "50 spaces a day shared off-peak (潮汐) on the 智泊南通 platform",
                "parking income goes to the community service fund (community_share 1.0)",
            ],
            "assumptions": [
                *_ASSUMED,
                "sharing window 08:30-17:30; platform demand 420 commuters "
                "(80 at weekends) and 250 visitors a day within 200 m",
                "an old compound with many retirees: 45% of cars stay home on weekdays",
            ],
        },
    }


def _shijiazhuang() -> dict[str, Any]:
    compounds = [("jianshe_1", 48, 20, -160.0, 40.0), ("jianshe_3", 42, 16, -120.0, -90.0)]
    compounds.append(("yucai_5", 55, 22, 60.0, 170.0))
    lots: list[dict[str, Any]] = [
        {
            "lot_id": "unit_a",
            "name": "驻街单位A停车场",
            "kind": "office",
            "capacity": 80,
            "reserved": 10,
            "shared": 30,
            "window": "18:30-07:30",
            "weekend_window": "00:00-24:00",
            "community_share": 0.0,
            "x": 0.0,
            "y": 0.0,
        },
        {
            "lot_id": "unit_b",
            "name": "驻街单位B停车场",
            "kind": "office",
            "capacity": 60,
            "reserved": 5,
            "shared": 25,
            "window": "18:30-07:30",
            "weekend_window": "00:00-24:00",
            "community_share": 0.0,
            "x": 40.0,
            "y": 120.0,
        },
    ]
    users: list[dict[str, Any]] = [
        {
            "name": "unit_a_staff",
            "class": "worker",
            "home_lot": "unit_a",
            "cars": 60,
            "no_show": 0.08,
            "arrive": {"mean": "08:00", "sd_minutes": 15},
            "depart": {"mean": "17:45", "sd_minutes": 30},
            "weekend": {"cars": 6},
        },
        {
            "name": "unit_b_staff",
            "class": "worker",
            "home_lot": "unit_b",
            "cars": 45,
            "no_show": 0.08,
            "arrive": {"mean": "08:00", "sd_minutes": 15},
            "depart": {"mean": "17:45", "sd_minutes": 30},
            "weekend": {"cars": 5},
        },
    ]
    for cid, cars, spaces, x, y in compounds:
        lots.append(
            {
                "lot_id": cid,
                "name": f"{cid} 单楼院",
                "kind": "residential",
                "capacity": spaces,
                "x": x,
                "y": y,
            }
        )
        users.append(
            {
                "name": f"{cid}_residents",
                "class": "resident",
                "home_lot": cid,
                "cars": cars,
                "day_correlation": 0.5,
                **copy.deepcopy(RESIDENT_WEEKDAY),
                "weekend": copy.deepcopy(RESIDENT_WEEKEND),
            }
        )
    return {
        "method": "simulate",
        "name": "石家庄青园街道 错峰共享 (Shijiazhuang, Qingyuan street)",
        "days": 200,
        "slot_minutes": 15,
        "allocation": "fcfs",
        "lots": lots,
        "users": users,
        "origin": {
            "source_id": "BRIEF_NANTONG",
            "facts": [
                "青园街道, Shijiazhuang: units stationed in the street opened 50+ off-peak "
                "spaces (错峰车位) to residents of old one-building compounds next door, "
                "after the street listed parking in its needs list (55 shared here)",
            ],
            "assumptions": [
                *_ASSUMED,
                "two unit lots (80 and 60 spaces), windows 18:30-07:30 on weekdays and "
                "all day at weekends, free of charge",
                "three one-building compounds with 42-55 cars on 16-22 spaces, 100-200 m away",
            ],
        },
    }


_PRESETS = {"nantong_yijiaqiao": _nantong, "shijiazhuang_qingyuan": _shijiazhuang}
PRESET_NAMES = tuple(_PRESETS)


def preset(name: str) -> dict[str, Any]:
    """Return a named scenario from practice, validated and runnable.

    Parameters
    ----------
    name : {"nantong_yijiaqiao", "shijiazhuang_qingyuan"}
        ``nantong_yijiaqiao``: 易家桥二号院, 470 spaces, 430 registered cars, 50
        spaces shared a day off-peak, income to the community fund.
        ``shijiazhuang_qingyuan``: 青园街道, units' lots opening 50+ off-peak
        spaces to residents of old one-building compounds next door.

    Returns
    -------
    dict
        A ``method: simulate`` scenario; ``origin`` lists facts (with the
        source id) and gridmap's assumptions.
    """
    if name not in _PRESETS:
        raise InputError(msg("parking.preset_unknown", name=name, choices=", ".join(_PRESETS)))
    return validate_scenario(_PRESETS[name](), origin=f"preset {name}")


def _walk_graph(roads: gpd.GeoDataFrame) -> tuple[nx.Graph, np.ndarray]:
    """Undirected graph of road vertices (metres); returns it and node coordinates."""
    coords_all: list[tuple[float, float]] = []
    edges: list[tuple[int, int, float]] = []
    index: dict[tuple[float, float], int] = {}

    def node(x: float, y: float) -> int:
        k = (round(x, 1), round(y, 1))
        if k not in index:
            index[k] = len(index)
            coords_all.append(k)
        return index[k]

    for geom in roads.geometry:
        if geom is None or geom.is_empty:
            continue
        parts = getattr(geom, "geoms", [geom])
        for line in parts:
            if line.geom_type != "LineString":
                continue
            xy = np.asarray(line.coords)[:, :2]
            ids = [node(float(x), float(y)) for x, y in xy]
            seg = np.hypot(*(xy[1:] - xy[:-1]).T)
            edges.extend(
                (a, b, float(length)) for a, b, length in zip(ids[:-1], ids[1:], seg, strict=True)
            )
    graph = nx.Graph()
    graph.add_nodes_from(range(len(index)))
    graph.add_weighted_edges_from(edges, weight="length")
    return graph, np.asarray(coords_all, dtype=float).reshape(-1, 2)


def _network_distances(
    origins: np.ndarray, targets: np.ndarray, roads: gpd.GeoDataFrame, cutoff: float
) -> np.ndarray:
    """Walking distance origin -> target along roads (snap legs straight); inf if farther."""
    graph, nodes = _walk_graph(roads)
    out = np.full((len(origins), len(targets)), np.inf)
    if len(nodes) == 0:
        return out
    tree = cKDTree(nodes)
    o_snap, o_node = tree.query(origins)
    t_snap, t_node = tree.query(targets)
    for i in range(len(origins)):
        reach = nx.single_source_dijkstra_path_length(
            graph, int(o_node[i]), cutoff=cutoff, weight="length"
        )
        for j in range(len(targets)):
            d = reach.get(int(t_node[j]))
            if d is not None:
                out[i, j] = o_snap[i] + d + t_snap[j]
    return out


def preset_from_layers(
    lots: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame | None = None,
    *,
    walk_limit_m: float = settings.WALK_LIMIT_M,
    roads: gpd.GeoDataFrame | None = None,
    cars_per_household: float = CARS_PER_HOUSEHOLD,
    days: int = 100,
) -> dict[str, Any]:
    """Build a sharing scenario from a map: compound lots paired with nearby office/shop lots.

    Parameters
    ----------
    lots : GeoDataFrame
        The lots table (lot_id, kind, owner_id, capacity, reserved).
    buildings : GeoDataFrame
        The buildings table (households, compound_id, use).
    compounds : GeoDataFrame, optional
        The compounds table (compound_id, households, parking_spaces). A
        compound without a lot of its own becomes a lot of ``parking_spaces``
        spaces at its centre (the old one-building compounds).
    walk_limit_m : float
        Pairs farther apart than this are not formed.
    roads : GeoDataFrame, optional
        Road lines; walking distances then follow them (network distance),
        otherwise straight line x ``settings.DETOUR_FACTOR``.
    cars_per_household : float
        Resident cars per household (default :data:`CARS_PER_HOUSEHOLD`).
    days : int
        Days to simulate.

    Returns
    -------
    dict
        A validated ``method: simulate`` scenario with positions in metres
        (``crs`` names the metric CRS), ``pairs`` (compound lot, partner lot,
        walk in metres) and ``origin`` listing what came from the map and what
        was assumed.
    """
    validate_lots(lots)
    require_crs(buildings, "buildings")
    require_columns(buildings, "buildings", ("households", "compound_id"))
    if walk_limit_m <= 0:
        raise InputError(msg("parking.walk_limit_not_positive"))
    crs = metric_crs(lots)
    lots_m = to_metric(lots, crs)
    bld_m = to_metric(buildings, crs)
    comp_m = None
    if compounds is not None and len(compounds):
        require_crs(compounds, "compounds")
        require_columns(compounds, "compounds", ("compound_id", "households", "parking_spaces"))
        comp_m = to_metric(compounds, crs)
    points = lots_m.geometry.representative_point()

    # Households per compound (compound table, else the buildings' sum).
    hh = pd.to_numeric(bld_m["households"], errors="coerce").fillna(0)
    by_compound = hh.groupby(bld_m["compound_id"].astype("object")).sum()
    res_rows: list[dict[str, Any]] = []
    lot_compound: dict[str, str] = {}
    for i, row in lots_m.iterrows():
        if row["kind"] != "residential":
            continue
        cid = row["owner_id"] if isinstance(row["owner_id"], str) else None
        if comp_m is not None and (cid is None or cid not in set(comp_m["compound_id"])):
            inside = comp_m[comp_m.geometry.contains(points.loc[i])]
            cid = str(inside["compound_id"].iloc[0]) if len(inside) else cid
        households = 0.0
        if comp_m is not None and cid in set(comp_m["compound_id"]):
            households = float(comp_m.loc[comp_m["compound_id"] == cid, "households"].iloc[0])
        elif cid is not None and cid in by_compound.index:
            households = float(by_compound.loc[cid])
        if cid is not None:
            lot_compound[str(row["lot_id"])] = cid
        res_rows.append(
            {
                "lot_id": str(row["lot_id"]),
                "compound_id": cid,
                "households": households,
                "capacity": int(row["capacity"]),
                "reserved": int(row["reserved"]),
                "xy": (float(points.loc[i].x), float(points.loc[i].y)),
                "name": row.get("name"),
            }
        )
    # A compound with several lots: its households are split by the lots' capacities.
    cap_sum: dict[str, int] = {}
    count: dict[str, int] = {}
    for r in res_rows:
        if r["compound_id"] is not None:
            cap_sum[r["compound_id"]] = cap_sum.get(r["compound_id"], 0) + r["capacity"]
            count[r["compound_id"]] = count.get(r["compound_id"], 0) + 1
    for r in res_rows:
        cid = r["compound_id"]
        if cid is not None and count[cid] > 1:
            share = r["capacity"] / cap_sum[cid] if cap_sum[cid] else 1 / count[cid]
            r["households"] *= share
    if comp_m is not None:
        with_lot = set(lot_compound.values())
        centres = comp_m.geometry.representative_point()
        for i, row in comp_m.iterrows():
            cid = str(row["compound_id"])
            if cid in with_lot or float(row["households"]) <= 0:
                continue
            res_rows.append(
                {
                    "lot_id": f"compound_{cid}",
                    "compound_id": cid,
                    "households": float(row["households"]),
                    "capacity": int(row["parking_spaces"]),
                    "reserved": 0,
                    "xy": (float(centres.loc[i].x), float(centres.loc[i].y)),
                    "name": row.get("name"),
                }
            )
    partners = [
        {
            "lot_id": str(row["lot_id"]),
            "kind": str(row["kind"]),
            "capacity": int(row["capacity"]),
            "reserved": int(row["reserved"]),
            "xy": (float(points.loc[i].x), float(points.loc[i].y)),
            "name": row.get("name"),
        }
        for i, row in lots_m.iterrows()
        if row["kind"] in ("commercial", "office", "public")
    ]
    if not res_rows or not partners:
        raise InputError(msg("parking.no_pairs"))
    origins = np.array([r["xy"] for r in res_rows])
    targets = np.array([p["xy"] for p in partners])
    if roads is not None and len(roads):
        dist = _network_distances(origins, targets, to_metric(roads, crs), walk_limit_m)
        how = "network distance along the roads layer"
    else:
        diff = origins[:, None, :] - targets[None, :, :]
        dist = np.hypot(diff[..., 0], diff[..., 1]) * settings.DETOUR_FACTOR
        how = f"straight line x {settings.DETOUR_FACTOR} detour factor"
    near = dist <= walk_limit_m
    keep_res = near.any(axis=1)
    keep_par = near[keep_res].any(axis=0)
    if not keep_res.any():
        raise InputError(msg("parking.no_pair_within_walk", walk_limit_m=walk_limit_m))
    scenario_lots: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    pairs = []
    distances: dict[str, dict[str, float]] = {}
    for r_i in np.flatnonzero(keep_res):
        r = res_rows[r_i]
        cars = int(round(r["households"] * cars_per_household))
        surplus = max(0, r["capacity"] - r["reserved"] - cars)
        scenario_lots.append(
            {
                "lot_id": r["lot_id"],
                "kind": "residential",
                "capacity": r["capacity"],
                "reserved": r["reserved"],
                "shared": surplus,
                "window": "08:30-17:30" if surplus else None,
                "price_per_hour": 2.0,
                "community_share": 1.0,
                "x": r["xy"][0],
                "y": r["xy"][1],
                **({"name": str(r["name"])} if isinstance(r["name"], str) else {}),
            }
        )
        if cars > 0:
            name = f"residents_{r['lot_id']}"
            users.append(
                {
                    "name": name,
                    "class": "resident",
                    "home_lot": r["lot_id"],
                    "cars": cars,
                    "day_correlation": 0.5,
                    **copy.deepcopy(RESIDENT_WEEKDAY),
                    "weekend": copy.deepcopy(RESIDENT_WEEKEND),
                }
            )
            distances[name] = {}
            for p_i in np.flatnonzero(near[r_i]):
                distances[name][partners[p_i]["lot_id"]] = round(float(dist[r_i, p_i]), 1)
        for p_i in np.flatnonzero(near[r_i]):
            pairs.append(
                {
                    "compound_lot": r["lot_id"],
                    "compound_id": r["compound_id"],
                    "partner_lot": partners[p_i]["lot_id"],
                    "walk_m": round(float(dist[r_i, p_i]), 1),
                }
            )
    for p_i in np.flatnonzero(keep_par):
        p = partners[p_i]
        open_spaces = p["capacity"] - p["reserved"]
        kind = p["kind"]
        scenario_lots.append(
            {
                "lot_id": p["lot_id"],
                "kind": kind,
                "capacity": p["capacity"],
                "reserved": p["reserved"],
                "shared": open_spaces,
                "window": "00:00-24:00" if kind == "public" else "18:00-08:00",
                "weekend_window": "00:00-24:00" if kind in ("office", "public") else "18:00-08:00",
                "price_per_month": 150.0,
                "community_share": 0.0,
                "x": p["xy"][0],
                "y": p["xy"][1],
                **({"name": str(p["name"])} if isinstance(p["name"], str) else {}),
            }
        )
        if kind == "office" and open_spaces > 0:
            staff = int(math.floor(OFFICE_FILL * open_spaces))
            users.append(
                {
                    "name": f"staff_{p['lot_id']}",
                    "class": "worker",
                    "home_lot": p["lot_id"],
                    "cars": staff,
                    "no_show": 0.08,
                    "arrive": {"mean": "08:30", "sd_minutes": 20},
                    "depart": {"mean": "17:45", "sd_minutes": 40},
                    "weekend": {"cars": int(round(0.1 * staff))},
                }
            )
        elif p["capacity"] > 0:
            turnover = COMMERCIAL_TURNOVER if kind == "commercial" else PUBLIC_TURNOVER
            users.append(
                {
                    "name": f"visitors_{p['lot_id']}",
                    "class": "visitor",
                    "home_lot": p["lot_id"],
                    "arrivals_per_day": round(turnover * p["capacity"], 1),
                    "arrive": {"histogram": list(SHOP_ARRIVALS)},
                    "dwell": {"mean_minutes": 90, "sd_minutes": 60},
                }
            )
    scenario = {
        "method": "simulate",
        "name": "sharing pairs from the map",
        "days": days,
        "slot_minutes": 15,
        "walk_limit_m": walk_limit_m,
        "crs": crs.to_string(),
        "lots": scenario_lots,
        "users": users,
        "distances": distances,
        "pairs": pairs,
        "origin": {
            "source_id": "map layers",
            "facts": [
                "lots, capacities and reserves from the lots layer",
                "households from the compounds layer (else the buildings' sum)",
                f"walking distance: {how}",
            ],
            "assumptions": [
                f"resident cars = households x {cars_per_household:.3f} (a compound's "
                "households split over its lots by capacity)",
                "compound lots share only their surplus (capacity - reserved - cars) "
                "08:30-17:30; office/commercial lots share all non-reserved spaces "
                "18:00-08:00 (offices and public lots all day at weekends)",
                f"office staff fill {OFFICE_FILL:.0%} of non-reserved spaces on weekdays; "
                f"shops see {COMMERCIAL_TURNOVER:g} visitors per space a day",
                *_ASSUMED[:2],
            ],
        },
    }
    return validate_scenario(scenario, origin="map preset")


def synthetic_district(
    *,
    n_lots: int = 50,
    n_cars: int = 10_000,
    days: int = 1000,
    spacing_m: float = 150.0,
) -> dict[str, Any]:
    """A regular test district: alternating compound and office/shop lots on a grid.

    Half the lots are compounds whose residents slightly outnumber their spaces
    (so some park in office lots at night); the others are office lots with
    staff and visitors. About 60% of ``n_cars`` are residents, 25% staff and
    15% visitors per day. Used by ``benchmarks/parking.py`` and the tests.
    """
    if n_lots < 2 or n_cars < n_lots:
        raise InputError(msg("parking.synthetic_district_size"))
    n_res = (n_lots + 1) // 2
    n_off = n_lots - n_res
    res_cars = int(0.6 * n_cars) // n_res
    staff = int(0.25 * n_cars) // max(n_off, 1)
    visits = int(0.15 * n_cars) // max(n_off, 1)
    lots, users = [], []
    side = math.ceil(math.sqrt(n_lots))
    for i in range(n_lots):
        x, y = (i % side) * spacing_m, (i // side) * spacing_m
        if i % 2 == 0:
            cap = int(res_cars * 0.96)
            lots.append(
                {"lot_id": f"C{i:03d}", "kind": "residential", "capacity": cap,
                 "shared": cap // 8, "window": "08:30-17:30", "price_per_hour": 2.0,
                 "community_share": 1.0, "x": x, "y": y}
            )  # fmt: skip
            users.append(
                {"name": f"res{i:03d}", "class": "resident", "home_lot": f"C{i:03d}",
                 "cars": res_cars, "day_correlation": 0.3,
                 **copy.deepcopy(RESIDENT_WEEKDAY), "weekend": copy.deepcopy(RESIDENT_WEEKEND)}
            )  # fmt: skip
        else:
            cap = int(staff * 1.2)
            lots.append(
                {"lot_id": f"O{i:03d}", "kind": "office", "capacity": cap, "reserved": cap // 12,
                 "shared": cap - cap // 12, "window": "18:00-08:00", "price_per_month": 150.0,
                 "x": x, "y": y}
            )  # fmt: skip
            users.append(
                {"name": f"staff{i:03d}", "class": "worker", "home_lot": f"O{i:03d}",
                 "cars": staff, "arrive": {"mean": "08:30", "sd_minutes": 20},
                 "depart": {"mean": "17:45", "sd_minutes": 40}, "weekend": {"cars": staff // 10}}
            )  # fmt: skip
            users.append(
                {"name": f"vis{i:03d}", "class": "visitor", "home_lot": f"O{i:03d}",
                 "arrivals_per_day": visits, "arrive": {"histogram": list(SHOP_ARRIVALS)},
                 "dwell": {"mean_minutes": 90, "sd_minutes": 60}}
            )  # fmt: skip
    return validate_scenario(
        {"method": "simulate", "name": "synthetic district", "days": days, "lots": lots,
         "users": users},
        origin="synthetic district",
    )  # fmt: skip
