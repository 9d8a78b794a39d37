"""The city plan, the streets and their placement, roads, ids, names, projection.

A city is a grid of streets (街道) separated by primary roads; a street is rows
of communities (社区) separated by secondary roads; a community is bands of
compounds (``_blocks``) separated by residential roads. Streets are filled one
at a time, each from its own random stream, and placed row by row: the
content decides a street's height, the tallest street of a city row sets the
row, and the slack of the others widens their residential roads and greens.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS, Transformer

from gridmap.synth import _blocks as blk
from gridmap.synth import _names

__all__ = ["Plan", "make_plan", "iter_raw_streets", "RawChunk", "LAYER_COLUMNS"]

RawChunk = dict[str, dict[str, np.ndarray]]

# Columns of each layer, in order (geometry last).
LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "streets": ("street_id", "name", "households"),
    "communities": ("community_id", "name", "street_id", "households", "n_buildings"),
    "roads": ("road_id", "highway", "name", "street_id"),
    "compounds": (
        "compound_id", "name", "households", "parking_spaces", "kind", "community_id",
        "street_id", "n_buildings",
    ),
    "buildings": (
        "building_id", "use", "levels", "households", "households_source", "compound_id",
        "grid_id", "name", "community_id", "street_id", "units", "levels_source", "footprint_m2",
    ),
    "lots": (
        "lot_id", "kind", "owner_id", "capacity", "reserved", "name", "community_id", "street_id",
    ),
}  # fmt: skip

HIGHWAYS = np.array(["primary", "secondary", "residential", "service"], dtype=object)
PRIMARY, SECONDARY, RESIDENTIAL, SERVICE = range(4)
_SETBACK = {
    PRIMARY: blk.ROAD_WIDTH_M["primary"] / 2 + blk.EXTRA_SETBACK_M,
    SECONDARY: blk.ROAD_WIDTH_M["secondary"] / 2 + blk.EXTRA_SETBACK_M,
}
# Most communities per street (Chinese streets have about 5-20).
COMMUNITIES_PER_STREET = 15
# Narrowest community (m between road centrelines): room for one walled compound.
MIN_COMMUNITY_WIDTH_M = 230.0
# Household corrections of exact-total presets touch the last dwellings of a
# community, changing each by at most 1/ADJUST_SHARE_INV of its flats.
ADJUST_SHARE_INV = 10
_MM = 1000.0
_KEY = np.int64(2**31)

_COMMERCIAL_SUFFIXES = np.array(
    ["商厦", "购物广场", "超市", "商业楼", "百货", "商城"], dtype=object
)
_OFFICE_SUFFIXES = np.array(["大厦", "商务中心", "写字楼", "科技大厦", "金融中心"], dtype=object)
_SCHOOL_SUFFIXES = np.array(["小学", "小学", "中学"], dtype=object)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that sum to ``total`` (largest remainder)."""
    share = weights / weights.sum() * total
    base = np.floor(share).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(share - base), kind="stable")
    base[order[:rest]] += 1
    return base


@dataclass
class Plan:
    """Everything decided before the streets are filled."""

    seed: int
    mix: blk.Mix
    by_households: bool
    street_budgets: list[np.ndarray]
    n_cols: int
    n_rows: int
    col_x: np.ndarray
    center: tuple[float, float]
    angle: float
    to_wgs84: Transformer
    utm_origin: tuple[float, float]
    id_width: int
    names: dict[str, _names.NameSpace] = field(default_factory=dict)

    @property
    def n_streets(self) -> int:
        return len(self.street_budgets)


def make_plan(
    *,
    seed: int,
    mix: blk.Mix,
    n_buildings: int | None,
    households: int | None,
    n_streets: int | None,
    n_communities: int | None,
    origin: tuple[float, float],
) -> Plan:
    """Split the budget over communities and streets; size the street grid."""
    rng = _rng(seed, 0)
    by_households = households is not None
    if by_households:
        assert households is not None
        total = households
        est_buildings = households / mix.households_per_building
    else:
        assert n_buildings is not None
        total = n_buildings
        est_buildings = float(n_buildings)
    n_comm = n_communities or max(1, int(est_buildings / mix.buildings_per_community + 0.5))
    n_comm = min(n_comm, total)
    n_str = n_streets or math.ceil(n_comm / COMMUNITIES_PER_STREET)
    n_str = max(1, min(n_str, n_comm))
    budgets = _allocate(total, rng.uniform(0.75, 1.25, n_comm))
    street_budgets = [np.asarray(b) for b in np.array_split(budgets, n_str)]
    per_street = est_buildings / n_str
    n_cols = math.ceil(math.sqrt(n_str))
    n_rows = math.ceil(n_str / n_cols)
    side = max(math.sqrt(per_street * mix.area_per_building_m2), 1.2 * MIN_COMMUNITY_WIDTH_M)
    widths = side * rng.uniform(0.92, 1.08, n_cols)
    col_x = np.concatenate([[0.0], np.cumsum(widths)])
    height_est = per_street * mix.area_per_building_m2 / side
    angle = float(rng.uniform(-3.0, 3.0))
    lon, lat = origin
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    utm = CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)
    to_utm = Transformer.from_crs(CRS.from_epsg(4326), utm, always_xy=True)
    e0, n0 = to_utm.transform(lon, lat)
    est_total = est_buildings * 1.5
    plan = Plan(
        seed=seed,
        mix=mix,
        by_households=by_households,
        street_budgets=street_budgets,
        n_cols=n_cols,
        n_rows=n_rows,
        col_x=col_x,
        center=(float(col_x[-1]) / 2, n_rows * height_est / 2),
        angle=math.radians(angle),
        to_wgs84=Transformer.from_crs(utm, CRS.from_epsg(4326), always_xy=True),
        utm_origin=(float(e0), float(n0)),
        id_width=max(6, len(str(int(est_total)))),
    )
    plan.names = {
        "compound": _names.compound_space(_rng(seed, 1, 0)),
        "street": _names.place_space(_rng(seed, 1, 1)),
        "community": _names.place_space(_rng(seed, 1, 2)),
        "ns": _names.place_space(_rng(seed, 1, 3)),
        "ew": _names.place_space(_rng(seed, 1, 4)),
        "secondary": _names.place_space(_rng(seed, 1, 5)),
        "lane": _names.lane_space(_rng(seed, 1, 6)),
        "business": _names.place_space(_rng(seed, 1, 7)),
    }
    return plan


# --- Filling streets -------------------------------------------------------------------


@dataclass
class _Street:
    index: int
    community0: int  # global index of its first community
    width: float
    budgets: np.ndarray
    rows: list[np.ndarray]  # community indices (local) per community row
    xb: list[np.ndarray]  # x boundaries of each community row (street-local)
    setbacks: np.ndarray  # (n, 4): west, east, south, north
    contents: list[blk.CommunityContent]
    row_need: np.ndarray  # natural height of each community row


def _street_layout(plan: Plan, s: int) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """Community rows of street ``s`` and their x boundaries (street-local), from the plan."""
    budgets = plan.street_budgets[s]
    col = s % plan.n_cols
    width = float(plan.col_x[col + 1] - plan.col_x[col])
    n = len(budgets)
    n_rows = max(1, round(math.sqrt(n)))
    per_row = max(1, int(width // MIN_COMMUNITY_WIDTH_M))
    n_rows = max(n_rows, math.ceil(n / per_row))
    rows = [np.asarray(r) for r in np.array_split(np.arange(n), n_rows)]
    xb = []
    for members in rows:
        share = budgets[members] / budgets[members].sum()
        bounds = np.concatenate([[0.0], np.cumsum(share) * width])
        bounds[-1] = width
        xb.append(bounds)
    return rows, xb, width


def _community_x(plan: Plan, s: int, xb: np.ndarray) -> np.ndarray:
    """City-local x of community boundaries of one community row of street ``s``."""
    col = s % plan.n_cols
    bounds = float(plan.col_x[col]) + xb
    bounds[0], bounds[-1] = plan.col_x[col], plan.col_x[col + 1]
    return bounds


def _fill_street(plan: Plan, s: int, community0: int) -> _Street:
    rng = _rng(plan.seed, 2, s)
    budgets = plan.street_budgets[s]
    rows, xb, width = _street_layout(plan, s)
    n = len(budgets)
    n_rows = len(rows)
    setbacks = np.zeros((n, 4))
    contents: list[blk.CommunityContent] = []
    row_need = np.zeros(n_rows)
    for r, members in enumerate(rows):
        bounds = xb[r]
        for i, c in enumerate(members):
            west = PRIMARY if i == 0 else SECONDARY
            east = PRIMARY if i == len(members) - 1 else SECONDARY
            south = PRIMARY if r == 0 else SECONDARY
            north = PRIMARY if r == n_rows - 1 else SECONDARY
            setbacks[c] = [_SETBACK[west], _SETBACK[east], _SETBACK[south], _SETBACK[north]]
            inner = bounds[i + 1] - bounds[i] - setbacks[c, 0] - setbacks[c, 1]
            content = blk.fill_community(
                rng,
                width=float(inner),
                budget=int(budgets[c]),
                by_households=plan.by_households,
                mix=plan.mix,
            )
            contents.append(content)
            need = content.height + setbacks[c, 2] + setbacks[c, 3]
            row_need[r] = max(row_need[r], need)
    return _Street(s, community0, width, budgets, rows, xb, setbacks, contents, row_need)


# --- Placing a street ------------------------------------------------------------------


class _Counters:
    """Running numbers shared by all streets, so ids never repeat across chunks."""

    def __init__(self) -> None:
        self.building = 0
        self.compound = 0
        self.lot = 0
        self.road = 0
        self.compound_name = 0
        self.lane = 0
        self.secondary = 0
        self.business = 0

    def take(self, name: str, n: int) -> np.ndarray:
        start = getattr(self, name)
        setattr(self, name, start + n)
        return np.arange(start, start + n, dtype=np.int64)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.array([f"{prefix}{k + 1:0{width}d}" for k in numbers.tolist()], dtype=object)


def _cat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def _spread(total: int, weights: np.ndarray) -> np.ndarray:
    """Integer changes summing to ``total``, proportional to ``weights`` (>= 0)."""
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    return _allocate(total, weights.astype(float)) if total > 0 else -_allocate(-total, weights)


@dataclass
class _Placed:
    """A street in city-local metres (x east, y north from the city's SW corner)."""

    index: int
    street: dict[str, np.ndarray]
    communities: dict[str, np.ndarray]
    compounds: dict[str, np.ndarray]
    buildings: dict[str, np.ndarray]
    lots: dict[str, np.ndarray]
    segments: dict[str, np.ndarray]


def _place_street(
    plan: Plan,
    st: _Street,
    x0: float,
    y0: float,
    height: float,
    counters: _Counters,
    owns_north: bool,
    owns_east: bool,
) -> _Placed:
    street_id = f"{st.index + 1:03d}"
    street_name = plan.names["street"].name(st.index) + "街道"
    # Street slack goes to its community rows evenly.
    row_h = st.row_need + (height - st.row_need.sum()) / len(st.rows)
    row_y = y0 + np.concatenate([[0.0], np.cumsum(row_h)])
    row_y[-1] = y0 + height
    comm_names = plan.names["community"].names(st.community0 + np.arange(len(st.budgets)))
    bparts: list[dict[str, np.ndarray]] = []
    cparts: list[dict[str, np.ndarray]] = []
    lparts: list[dict[str, np.ndarray]] = []
    seg: dict[str, list[object]] = {k: [] for k in ("x0", "y0", "x1", "y1", "hw", "name", "line")}

    def add_seg(
        xa: float, ya: float, xb: float, yb: float, hw: int, name: object, line: int
    ) -> None:
        for k, v in zip(("x0", "y0", "x1", "y1", "hw", "name", "line"), (xa, ya, xb, yb, hw, name, line), strict=True):  # fmt: skip
            seg[k].append(v)

    comm: dict[str, list[float]] = {k: [] for k in ("x0", "y0", "x1", "y1")}
    for r, members in enumerate(st.rows):
        ry0, ry1 = row_y[r], row_y[r + 1]
        bounds = _community_x(plan, st.index, st.xb[r])
        if r > 0:
            sname = plan.names["secondary"].name(int(counters.take("secondary", 1)[0])) + "路"
            add_seg(x0, ry0, x0 + st.width, ry0, SECONDARY, sname, -1)
        for i, c in enumerate(members):
            cx0, cx1 = bounds[i], bounds[i + 1]
            comm["x0"].append(cx0)
            comm["x1"].append(cx1)
            comm["y0"].append(ry0)
            comm["y1"].append(ry1)
            if i > 0:
                sname = plan.names["secondary"].name(int(counters.take("secondary", 1)[0])) + "街"
                add_seg(cx0, ry0, cx0, ry1, SECONDARY, sname, -1)
            content = st.contents[c]
            sb = st.setbacks[c]
            nb = len(content.bands)
            slack = (ry1 - ry0) - (content.height + sb[2] + sb[3])
            extra = slack / nb
            depths = np.array(content.depths)
            step = depths + blk.RESIDENTIAL_CORRIDOR_M + extra
            band_y = ry0 + sb[2] + np.concatenate([[0.0], np.cumsum(step)[:-1]])
            road_y = band_y[:-1] + depths[:-1] + (blk.RESIDENTIAL_CORRIDOR_M + extra) / 2
            stem = str(comm_names[c])
            for k, y in enumerate(road_y):
                add_seg(cx0, y, cx1, y, RESIDENTIAL, f"{stem}{_names.cn_number(k + 1)}路", -1)
            below = np.concatenate([[ry0], road_y])
            above = np.concatenate([road_y, [ry1]])
            bx = cx0 + sb[0]
            for k, band in enumerate(content.bands):
                for lx in band.lanes:
                    add_seg(bx + lx, below[k], bx + lx, above[k], SERVICE, None, -1)
                tag = {"band": k, "community": c}
                for src, dst in ((band.buildings, bparts), (band.compounds, cparts)):
                    if len(src["x0"]):
                        dst.append(_shift(src, bx, band_y[k], tag))
                if len(band.lots["x0"]):
                    lparts.append(_shift(band.lots, bx, band_y[k], tag))
    # Primary roads this street owns: south and west always, north and east at the city edge.
    col, row = st.index % plan.n_cols, st.index // plan.n_cols
    x1, y1 = float(plan.col_x[col + 1]), y0 + height
    add_seg(x0, y0, x1, y0, PRIMARY, None, 2 * row)
    add_seg(x0, y0, x0, y1, PRIMARY, None, 2 * col + 1)
    if owns_north:
        add_seg(x0, y1, x1, y1, PRIMARY, None, 2 * (row + 1))
    if owns_east:
        add_seg(x1, y0, x1, y1, PRIMARY, None, 2 * (col + 1) + 1)

    n_comm = len(st.budgets)
    comm_ids = np.array([f"{street_id}{i + 1:03d}" for i in range(n_comm)], dtype=object)
    tags = ("band", "community")
    b = _cat(bparts) if bparts else blk.empty_table(blk.BUILDING_COLS + tags)
    c = _cat(cparts) if cparts else blk.empty_table(blk.COMPOUND_COLS + tags)
    lots = _cat(lparts) if lparts else None
    # Order: community, band, parcel, then within the parcel.
    order = np.lexsort((b["order"], b["parcel"], b["band"], b["community"]))
    b = {k: v[order] for k, v in b.items()}
    corder = np.lexsort((c["sub"], c["parcel"], c["band"], c["community"]))
    c = {k: v[corder] for k, v in c.items()}
    if plan.by_households:
        _adjust_households(b, st.budgets)
    buildings, compounds, lot_table = _attributes(
        plan, st, b, c, lots, comm_ids, comm_names, counters, street_id
    )
    comm_hh = np.bincount(b["community"], weights=b["hh"], minlength=n_comm).astype(np.int64)
    comm_nb = np.bincount(b["community"], minlength=n_comm).astype(np.int64)
    communities = {
        "community_id": comm_ids,
        "name": np.array([f"{n}社区" for n in comm_names], dtype=object),
        "street_id": np.full(n_comm, street_id, dtype=object),
        "households": comm_hh,
        "n_buildings": comm_nb,
        **{k: np.array(v) for k, v in comm.items()},
    }
    street = {
        "street_id": np.array([street_id], dtype=object),
        "name": np.array([street_name], dtype=object),
        "households": np.array([comm_hh.sum()], dtype=np.int64),
        "x0": np.array([x0]),
        "y0": np.array([y0]),
        "x1": np.array([x1]),
        "y1": np.array([y1]),
    }
    segments = {k: np.array(v, dtype=object if k == "name" else None) for k, v in seg.items()}
    segments["street"] = np.full(len(seg["x0"]), st.index, dtype=np.int64)
    return _Placed(st.index, street, communities, compounds, buildings, lot_table, segments)


def _shift(table: blk.Table, dx: float, dy: float, tag: dict[str, int]) -> dict[str, np.ndarray]:
    out = dict(table)
    for k in ("x0", "x1"):
        out[k] = table[k] + dx
    for k in ("y0", "y1"):
        out[k] = table[k] + dy
    n = len(table["x0"])
    for k, v in tag.items():
        out[k] = np.full(n, v, dtype=np.int64)
    return out


def _adjust_households(b: dict[str, np.ndarray], budgets: np.ndarray) -> None:
    """Make each community's households its budget exactly.

    The fill stops at the building closest to the budget; the remainder (at
    most half a building) is spread over the community's last dwellings, in
    proportion to their size and by at most about a tenth of each, as
    registered households differ from built flats (vacancies, merged flats).
    """
    for c in range(len(budgets)):
        sel = np.flatnonzero((b["community"] == c) & (b["hh"] > 0))
        diff = int(budgets[c] - b["hh"][sel].sum())
        if not diff or not len(sel):
            continue
        from_end = np.cumsum(b["hh"][sel][::-1])
        k = min(len(sel), int(np.searchsorted(from_end, ADJUST_SHARE_INV * abs(diff))) + 1)
        last = sel[-k:]
        b["hh"][last] += _spread(diff, b["hh"][last])


def _attributes(
    plan: Plan,
    st: _Street,
    b: dict[str, np.ndarray],
    c: dict[str, np.ndarray],
    lots: dict[str, np.ndarray] | None,
    comm_ids: np.ndarray,
    comm_names: np.ndarray,
    counters: _Counters,
    street_id: str,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    w = plan.id_width
    nb, nc = len(b["x0"]), len(c["x0"])
    # Compounds: which one each building is in.
    ckey = ((c["community"] * 1000 + c["band"]) * 10_000 + c["parcel"]) * 100_000 + c["sub"]
    bkey = ((b["community"] * 1000 + b["band"]) * 10_000 + b["parcel"]) * 100_000 + b["sub"]
    # ckey is sorted (compounds were ordered by community, band, parcel, sub).
    in_comp = b["sub"] >= 0
    bc = np.full(nb, -1, dtype=np.int64)
    bc[in_comp] = np.searchsorted(ckey, bkey[in_comp])
    comp_hh = np.bincount(bc[in_comp], weights=b["hh"][in_comp], minlength=nc).astype(np.int64)
    comp_nb = np.bincount(bc[in_comp], minlength=nc).astype(np.int64)
    compound_ids = _ids("C", counters.take("compound", nc), w)
    # Names: walled and 商住楼 compounds from the compound name space, single
    # buildings as 号院 numbers along a lane named per block.
    cnames = np.empty(nc, dtype=object)
    named = c["kind"] == 0
    named |= c["ptype"] == blk.Parcel.MIXED
    cnames[named] = plan.names["compound"].names(counters.take("compound_name", int(named.sum())))
    single = ~named
    if single.any():
        block = (c["community"] * 1000 + c["band"]) * 10_000 + c["parcel"]
        ublock, binv = np.unique(block[single], return_inverse=True)
        lane_idx = counters.take("lane", len(ublock))
        lanes = plan.names["lane"].names(lane_idx)
        cycle = lane_idx // len(plan.names["lane"])
        numbers = c["sub"][single] + 1 + 1000 * cycle[binv]
        cnames[single] = [
            f"{ln}{k}号院" for ln, k in zip(lanes[binv], numbers.tolist(), strict=True)
        ]
    parking = np.round(comp_hh * c["pratio"]).astype(np.int64)
    compounds = {
        "compound_id": compound_ids,
        "name": cnames,
        "households": comp_hh,
        "parking_spaces": parking,
        "kind": np.where(c["kind"] == 0, "walled", "single_building").astype(object),
        "community_id": comm_ids[c["community"]],
        "street_id": np.full(nc, street_id, dtype=object),
        "n_buildings": comp_nb,
        **{k: c[k] for k in ("x0", "y0", "x1", "y1")},
    }
    # Buildings.
    building_ids = _ids("B", counters.take("building", nb), w)
    building_compound = np.full(nb, None, dtype=object)
    building_compound[in_comp] = compound_ids[bc[in_comp]]
    label = b["label"]
    names = np.empty(nb, dtype=object)
    comp_name = cnames[bc] if nc else np.full(nb, "", dtype=object)
    slab_no = np.where(b["order"] == 0, 1, b["order"])  # guard house is order 1
    for lab, fmt in (
        (blk.Label.SLAB, "{c}{k}号楼"),
        (blk.Label.GUARD, "{c}门卫室"),
        (blk.Label.SINGLE, "{c}1号楼"),
        (blk.Label.MIXED, "{c}"),
    ):
        sel = np.flatnonzero(label == lab)
        names[sel] = [
            fmt.format(c=cn, k=k)
            for cn, k in zip(comp_name[sel], slab_no[sel].tolist(), strict=True)
        ]
    stems = comm_names[b["community"]]
    rng = _rng(plan.seed, 3, st.index)
    for lab, suffixes in (
        (blk.Label.COMMERCIAL, _COMMERCIAL_SUFFIXES),
        (blk.Label.OFFICE, _OFFICE_SUFFIXES),
    ):
        sel = np.flatnonzero(label == lab)
        biz = plan.names["business"].names(counters.take("business", len(sel)))
        names[sel] = biz + suffixes[rng.integers(0, len(suffixes), len(sel))]
    for lab, suffix in (
        (blk.Label.CENTRE, "社区党群服务中心"),
        (blk.Label.CLINIC, "社区卫生服务站"),
    ):
        sel = np.flatnonzero(label == lab)
        names[sel] = stems[sel] + suffix
    sel = np.flatnonzero(label == blk.Label.SCHOOL)
    if len(sel):
        # One school per community: all its buildings share the name.
        kind = _SCHOOL_SUFFIXES[rng.integers(0, len(_SCHOOL_SUFFIXES), len(st.budgets))]
        names[sel] = stems[sel] + kind[b["community"][sel]]
        teaching = np.arange(len(sel)) - np.searchsorted(b["community"][sel], b["community"][sel])
        names[sel] = names[sel] + np.array([f"{k + 1}号教学楼" for k in teaching], dtype=object)
    buildings = {
        "building_id": building_ids,
        "use": np.array(blk.USE_NAMES, dtype=object)[b["use"]],
        "levels": b["levels"],
        "households": b["hh"],
        "households_source": np.full(nb, "tag", dtype=object),
        "compound_id": building_compound,
        "grid_id": np.full(nb, None, dtype=object),
        "name": names,
        "community_id": comm_ids[b["community"]],
        "street_id": np.full(nb, street_id, dtype=object),
        "units": b["units"],
        "levels_source": np.full(nb, "tag", dtype=object),
        "footprint_m2": np.round((b["x1"] - b["x0"]) * (b["y1"] - b["y0"]), 1),
        **{k: b[k] for k in ("x0", "y0", "x1", "y1")},
    }
    # Lots: one per walled compound (along its north wall; the capacity counts
    # the underground garage), and those of shops, offices, public buildings.
    walled = np.flatnonzero(c["kind"] == 0)
    cap = parking[walled]
    lot_parts = [
        {
            "kind": np.full(len(walled), blk.LOT_KIND_NAMES[blk.LOT_RESIDENTIAL], dtype=object),
            "owner_id": compound_ids[walled],
            "capacity": cap,
            "reserved": np.minimum(cap, np.round(cap * c["rratio"][walled])).astype(np.int64),
            "name": cnames[walled] + "停车场",
            "community_id": comm_ids[c["community"][walled]],
            "x0": c["x0"][walled] + c["mw"][walled],
            "x1": c["x1"][walled] - c["mw"][walled],
            "y0": c["y1"][walled] - c["mn"][walled] + 1.5,
            "y1": c["y1"][walled] - 1.5,
        }
    ]
    if lots is not None and len(lots["x0"]):
        okey = ((lots["community"] * 1000 + lots["band"]) * 10_000 + lots["parcel"]) * 100_000
        okey = okey + lots["order"]
        bkey_all = ((b["community"] * 1000 + b["band"]) * 10_000 + b["parcel"]) * 100_000
        bkey_all = bkey_all + b["order"]
        sort = np.argsort(bkey_all, kind="stable")
        owner = sort[np.searchsorted(bkey_all[sort], okey)]
        lot_parts.append(
            {
                "kind": np.array(blk.LOT_KIND_NAMES, dtype=object)[lots["kind"]],
                "owner_id": building_ids[owner],
                "capacity": lots["capacity"],
                "reserved": lots["reserved"],
                "name": names[owner] + "停车场",
                "community_id": comm_ids[lots["community"]],
                **{k: lots[k] for k in ("x0", "y0", "x1", "y1")},
            }
        )
    lot_table = _cat(lot_parts)
    nl = len(lot_table["x0"])
    lot_table["lot_id"] = _ids("P", counters.take("lot", nl), w)
    lot_table["street_id"] = np.full(nl, street_id, dtype=object)
    return buildings, compounds, lot_table


# --- Roads ---------------------------------------------------------------------------


def _to_mm(a: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(a, dtype=np.float64) * _MM).astype(np.int64)


def _split_segments(seg: dict[str, np.ndarray], points: np.ndarray) -> dict[str, np.ndarray]:
    """Split axis-parallel segments (mm) at the ``points`` (mm, (n, 2)) inside them.

    Roads of the generator meet at T- and X-junctions whose points are the
    ends of other segments; splitting there gives a noded network whose
    segments join end to end, as OSM ways do at intersections.
    """
    out = []
    horizontal = seg["y0"] == seg["y1"]
    for is_h in (True, False):
        sel = np.flatnonzero(horizontal == is_h)
        if not len(sel):
            continue
        # Along-axis coordinate a, cross-axis coordinate c.
        if is_h:
            a0, a1, cc = seg["x0"][sel], seg["x1"][sel], seg["y0"][sel]
            keys = np.unique(points[:, 1] * _KEY + points[:, 0])
        else:
            a0, a1, cc = seg["y0"][sel], seg["y1"][sel], seg["x0"][sel]
            keys = np.unique(points[:, 0] * _KEY + points[:, 1])
        lo = np.searchsorted(keys, cc * _KEY + a0, side="right")
        hi = np.searchsorted(keys, cc * _KEY + a1, side="left")
        cnt = np.maximum(hi - lo, 0)
        pieces = cnt + 1
        owner = np.repeat(np.arange(len(sel)), pieces)
        i = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        cuts = keys % _KEY
        start_idx = np.clip(lo[owner] + i - 1, 0, max(len(keys) - 1, 0))
        end_idx = np.clip(lo[owner] + i, 0, max(len(keys) - 1, 0))
        start = np.where(i == 0, a0[owner], cuts[start_idx] if len(keys) else 0)
        end = np.where(i == cnt[owner], a1[owner], cuts[end_idx] if len(keys) else 0)
        part = {k: v[sel][owner] for k, v in seg.items()}
        if is_h:
            part["x0"], part["x1"] = start, end
        else:
            part["y0"], part["y1"] = start, end
        out.append(part)
    merged = _cat(out)
    order = np.argsort(merged["order"], kind="stable")
    return {k: v[order] for k, v in merged.items()}


def _contract_short(
    seg: dict[str, np.ndarray], fixed: np.ndarray, tol_mm: int = 5_000
) -> dict[str, np.ndarray]:
    """Merge junctions closer than ``tol_mm`` along a road into one node.

    Two T-junctions from opposite sides of a road (a lane on one side, a
    boundary road on the other) can fall a metre apart; the piece between them
    is contracted away and the side roads meet at one node, as a surveyor would
    draw it. Nodes in ``fixed`` (ends of already emitted roads) do not move.
    """
    p0 = np.stack([seg["x0"], seg["y0"]], 1)
    p1 = np.stack([seg["x1"], seg["y1"]], 1)
    length = np.abs(p1 - p0).sum(axis=1)
    short = np.flatnonzero(length < tol_mm)
    if not len(short):
        return seg
    nodes, inv = np.unique(np.concatenate([p0, p1]), axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    n_seg = len(p0)
    fixed_keys = set(map(tuple, fixed.tolist()))
    is_fixed = np.array([tuple(n) in fixed_keys for n in nodes.tolist()])
    parent = np.arange(len(nodes))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    members: dict[int, list[int]] = {}
    for e in short.tolist():
        a, b = root(int(inv[e])), root(int(inv[n_seg + e]))
        if a == b:
            continue
        group = members.get(a, [a]) + members.get(b, [b])
        if is_fixed[group].sum() > 1:
            continue
        parent[b] = a
        members[a] = group
        members.pop(b, None)
    coords = nodes.copy()
    for r, group in members.items():
        anchor = [g for g in group if is_fixed[g]]
        coords[r] = nodes[anchor[0]] if anchor else np.rint(nodes[group].mean(axis=0))
    final = np.array([root(i) for i in range(len(nodes))])
    start, end = final[inv[:n_seg]], final[inv[n_seg:]]
    keep = start != end
    out = {k: v[keep] for k, v in seg.items()}
    out["x0"], out["y0"] = coords[start[keep], 0], coords[start[keep], 1]
    out["x1"], out["y1"] = coords[end[keep], 0], coords[end[keep], 1]
    return out


def _name_roads(plan: Plan, seg: dict[str, np.ndarray]) -> np.ndarray:
    """Names of primary roads: 建设北大街 / 建设南大街 (north-south), 中山东路 / 中山西路."""
    names = seg["name"].copy()
    line = seg["line"]
    cx, cy = plan.center
    vertical = (line >= 0) & (line % 2 == 1)
    horizontal = (line >= 0) & (line % 2 == 0)
    if vertical.any():
        stems = plan.names["ns"].names(line[vertical] // 2)
        ymid = (seg["y0"][vertical] + seg["y1"][vertical]) / 2 / _MM
        names[vertical] = stems + np.where(ymid >= cy, "北大街", "南大街").astype(object)
    if horizontal.any():
        stems = plan.names["ew"].names(line[horizontal] // 2)
        xmid = (seg["x0"][horizontal] + seg["x1"][horizontal]) / 2 / _MM
        names[horizontal] = stems + np.where(xmid >= cx, "东路", "西路").astype(object)
    return names


# --- Projection and output ----------------------------------------------------------------


def _project(plan: Plan, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """City-local metres -> lon/lat: centre on the origin, rotate, shift to UTM, reproject."""
    cx, cy = plan.center
    cos, sin = math.cos(plan.angle), math.sin(plan.angle)
    dx, dy = x - cx, y - cy
    e = plan.utm_origin[0] + dx * cos - dy * sin
    n = plan.utm_origin[1] + dx * sin + dy * cos
    lon, lat = plan.to_wgs84.transform(e, n)
    return np.asarray(lon), np.asarray(lat)


def _rectangles(plan: Plan, t: dict[str, np.ndarray]) -> np.ndarray:
    x0, y0, x1, y1 = (_to_mm(t[k]) / _MM for k in ("x0", "y0", "x1", "y1"))
    xs = np.stack([x0, x1, x1, x0, x0], axis=1)
    ys = np.stack([y0, y0, y1, y1, y0], axis=1)
    lon, lat = _project(plan, xs.ravel(), ys.ravel())
    coords = np.stack([lon, lat], axis=1).reshape(len(x0), 5, 2)
    return shapely.polygons(coords)


def _corners(t: dict[str, np.ndarray]) -> np.ndarray:
    """The four corners (mm) of each rectangle of ``t``."""
    x0, y0, x1, y1 = (_to_mm(t[k]) for k in ("x0", "y0", "x1", "y1"))
    return np.concatenate([np.stack(p, 1) for p in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))])


def _tiles(plan: Plan, t: dict[str, np.ndarray], pool: np.ndarray) -> np.ndarray:
    """Rectangles as polygons with every ``pool`` point (mm) on their edges as a vertex.

    Neighbouring tiles (communities, compounds side by side) meet at
    T-junctions. Giving both tiles the junction vertex keeps their shared edge
    identical after reprojection, so they touch without slivers of overlap.
    """
    x0, y0, x1, y1 = (_to_mm(t[k]) for k in ("x0", "y0", "x1", "y1"))
    n = len(x0)
    pts = np.concatenate([_corners(t), pool.reshape(-1, 2)])
    kh = np.unique(pts[:, 1] * _KEY + pts[:, 0])  # along horizontal edges
    kv = np.unique(pts[:, 0] * _KEY + pts[:, 1])  # along vertical edges

    def between(
        keys: np.ndarray, c: np.ndarray, a: np.ndarray, b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        lo = np.searchsorted(keys, c * _KEY + a, side="right")
        hi = np.searchsorted(keys, c * _KEY + b, side="left")
        return lo, np.maximum(hi - lo, 0)

    # (keys, fixed coordinate, (lo, count), horizontal?, backwards?) per edge, ring order.
    edges = [
        (kh, y0, between(kh, y0, x0, x1), True, False),  # south, west to east
        (kv, x1, between(kv, x1, y0, y1), False, False),  # east, south to north
        (kh, y1, between(kh, y1, x0, x1), True, True),  # north, east to west
        (kv, x0, between(kv, x0, y0, y1), False, True),  # west, north to south
    ]
    size = 5 + np.stack([e[2][1] for e in edges]).sum(axis=0)
    start = np.cumsum(size) - size
    xs = np.empty(int(size.sum()), dtype=np.int64)
    ys = np.empty_like(xs)
    corner_x = (x0, x1, x1, x0)
    corner_y = (y0, y0, y1, y1)
    offset = np.zeros(n, dtype=np.int64)
    for k, (keys, fixed, (lo, cnt), horizontal, backwards) in enumerate(edges):
        xs[start + offset], ys[start + offset] = corner_x[k], corner_y[k]
        offset = offset + 1
        owner = np.repeat(np.arange(n), cnt)
        j = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        values = keys[lo[owner] + j] % _KEY
        pos = start[owner] + offset[owner] + (cnt[owner] - 1 - j if backwards else j)
        if horizontal:
            xs[pos], ys[pos] = values, fixed[owner]
        else:
            xs[pos], ys[pos] = fixed[owner], values
        offset = offset + cnt
    xs[start + offset], ys[start + offset] = x0, y0
    lon, lat = _project(plan, xs / _MM, ys / _MM)
    rings = shapely.linearrings(np.stack([lon, lat], 1), indices=np.repeat(np.arange(n), size))
    return shapely.polygons(rings)


def _lines(plan: Plan, seg: dict[str, np.ndarray]) -> np.ndarray:
    xs = np.stack([seg["x0"], seg["x1"]], axis=1) / _MM
    ys = np.stack([seg["y0"], seg["y1"]], axis=1) / _MM
    lon, lat = _project(plan, xs.ravel(), ys.ravel())
    coords = np.stack([lon, lat], axis=1).reshape(len(xs), 2, 2)
    return shapely.linestrings(coords)


def _layer(columns: tuple[str, ...], t: dict[str, np.ndarray], geometry: np.ndarray) -> dict:
    out = {k: t[k] for k in columns}
    out["geometry"] = geometry
    return out


def iter_raw_streets(plan: Plan) -> Iterator[RawChunk]:
    """Yield each street's layers as column arrays with lon/lat geometry, in street order."""
    counters = _Counters()
    prev_points = np.zeros((0, 2), dtype=np.int64)
    prev_corners = np.zeros((0, 2), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum([len(b) for b in plan.street_budgets])])
    y0 = 0.0
    for row in range(plan.n_rows):
        indices = range(row * plan.n_cols, min((row + 1) * plan.n_cols, plan.n_streets))
        streets = [_fill_street(plan, s, int(starts[s])) for s in indices]
        height = max(float(st.row_need.sum()) for st in streets)
        placed = []
        for st in streets:
            col = st.index % plan.n_cols
            above = st.index + plan.n_cols < plan.n_streets
            placed.append(
                _place_street(
                    plan,
                    st,
                    float(plan.col_x[col]),
                    y0,
                    height,
                    counters,
                    owns_north=not above,
                    owns_east=col == plan.n_cols - 1 or st.index + 1 >= plan.n_streets,
                )
            )
        # Node the row's roads at every junction, including those with the row below.
        segs = _cat([p.segments for p in placed])
        seg = {k: _to_mm(segs[k]) for k in ("x0", "y0", "x1", "y1")}
        seg.update({k: segs[k] for k in ("hw", "name", "line", "street")})
        seg["hw"] = seg["hw"].astype(np.int64)
        seg["line"] = seg["line"].astype(np.int64)
        seg["order"] = np.arange(len(seg["x0"]))
        ends = np.concatenate(
            [np.stack([seg["x0"], seg["y0"]], 1), np.stack([seg["x1"], seg["y1"]], 1)]
        )
        split = _split_segments(seg, np.concatenate([ends, prev_points]))
        split = _contract_short(split, prev_points)
        split["name"] = _name_roads(plan, split)
        prev_points = np.concatenate(
            [np.stack([split["x0"], split["y0"]], 1), np.stack([split["x1"], split["y1"]], 1)]
        )
        # Community corners of this row, of the row below and, from the plan,
        # of the row above: every T-junction a community edge can have.
        comm_corners = np.concatenate([_corners(p.communities) for p in placed])
        top = _to_mm(np.array([y0 + height]))
        parts = [comm_corners, prev_corners]
        for st in streets:
            if st.index + plan.n_cols < plan.n_streets:
                _, xb_above, _ = _street_layout(plan, st.index + plan.n_cols)
                xs = _to_mm(_community_x(plan, st.index + plan.n_cols, xb_above[0]))
                parts.append(np.stack([xs, np.repeat(top, len(xs))], 1))
        pool = np.concatenate(parts)
        prev_corners = comm_corners
        for p in placed:
            yield _street_chunk(plan, p, split, counters, pool)
        y0 += height


def _street_chunk(
    plan: Plan,
    p: _Placed,
    split: dict[str, np.ndarray],
    counters: _Counters,
    community_pool: np.ndarray,
) -> RawChunk:
    sel = split["street"] == p.index
    roads = {k: v[sel] for k, v in split.items()}
    n = int(sel.sum())
    street_id = str(p.street["street_id"][0])
    roads["road_id"] = _ids("R", counters.take("road", n), plan.id_width)
    roads["highway"] = HIGHWAYS[roads["hw"]]
    roads["street_id"] = np.full(n, street_id, dtype=object)
    return {
        "streets": _layer(LAYER_COLUMNS["streets"], p.street, _rectangles(plan, p.street)),
        "communities": _layer(
            LAYER_COLUMNS["communities"], p.communities, _tiles(plan, p.communities, community_pool)
        ),
        "roads": _layer(LAYER_COLUMNS["roads"], roads, _lines(plan, roads)),
        "compounds": _layer(
            LAYER_COLUMNS["compounds"],
            p.compounds,
            _tiles(plan, p.compounds, _corners(p.compounds)),
        ),
        "buildings": _layer(
            LAYER_COLUMNS["buildings"], p.buildings, _rectangles(plan, p.buildings)
        ),
        "lots": _layer(LAYER_COLUMNS["lots"], p.lots, _rectangles(plan, p.lots)),
    }
