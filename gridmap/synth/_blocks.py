"""Bands, parcels, compounds and buildings of one community (local metric coordinates).

A community is filled from south to north with *bands*: a frontage band of
shops, offices, public services and 商住楼 along the main road, then bands of
walled compounds (several slabs in rows) and of old single-building compounds
(老旧小区) side by side, separated by residential roads. Each band is cut into
parcels along x; every parcel type has a vectorised builder. Coordinates here
are band-local (x from the community's inner west edge, y from the band's
south edge); ``_district`` places bands in the city.

The layout rules are written by hand: no library generates Chinese residential
blocks. Their numbers (slab depth, sunlight spacing, fire gaps, road widths)
are typical values of Chinese planning practice, named where they are defined.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gridmap import settings

__all__ = [
    "Mix",
    "MIXES",
    "USE_NAMES",
    "LOT_KIND_NAMES",
    "Label",
    "Parcel",
    "CommunityContent",
    "fill_community",
    "empty_table",
    "BUILDING_COLS",
    "COMPOUND_COLS",
    "LOT_COLS",
]

Table = dict[str, np.ndarray]

# --- Geometry constants ------------------------------------------------------------
# Depth of a slab (板楼) of two flats per unit per floor: 10-14 m in Chinese
# housing (GB 50096 flat sizes); 12 m taken.
SLAB_DEPTH_M = 12.0
# 一梯两户: two flats per unit (entrance) per floor.
FLATS_PER_UNIT_FLOOR = 2
# Sunlight spacing (日照间距) between slab rows: about 1.4 x the building height
# for multi-storey rows in Hebei (latitude ~38 N); high-rise rows are set by
# sunlight analysis, about 20 m + 0.5 x height.
SUN_SPACING_RATIO = 1.4
SUN_SPACING_HIGH = (20.0, 0.5)
# Red-line widths (m) of the road classes (GB 50220 / GB 51328 ranges:
# arterial 40-55, secondary 30-40, branch 16-30, lanes 7-9).
ROAD_WIDTH_M = {"primary": 40.0, "secondary": 30.0, "residential": 16.0, "service": 8.0}
# Building setback from the red line (建筑退线), m.
EXTRA_SETBACK_M = 5.0
# Distance between two bands across a residential road.
RESIDENTIAL_CORRIDOR_M = ROAD_WIDTH_M["residential"] + 2 * EXTRA_SETBACK_M
LANE_WIDTH_M = ROAD_WIDTH_M["service"]
# Share of a district's land inside bands (the rest: roads, setbacks).
LAND_SHARE_OF_BANDS = 0.75

# --- Codes ---------------------------------------------------------------------------
USE_NAMES = ("residential", "commercial", "office", "mixed", "public", "other")
RESIDENTIAL, COMMERCIAL_USE, OFFICE_USE, MIXED_USE, PUBLIC_USE, OTHER_USE = range(6)
LOT_KIND_NAMES = ("residential", "commercial", "office", "public")
LOT_RESIDENTIAL, LOT_COMMERCIAL, LOT_OFFICE, LOT_PUBLIC = range(4)


class Label:
    """What a building is, for its name."""

    SLAB, GUARD, SINGLE, MIXED, COMMERCIAL, OFFICE, CENTRE, CLINIC, SCHOOL = range(9)


class Parcel:
    """Parcel types: regular bands (0-5) and the frontage band (10-15)."""

    WALKUP, MIDRISE, HIGHRISE, SINGLES, SCHOOL, PARK = range(6)
    COMMERCIAL, OFFICE, MIXED, CENTRE, CLINIC, GREEN = range(10, 16)


# Widths (m) of each parcel type along the band: (low, high).
_WIDTH = {
    Parcel.WALKUP: (110.0, 220.0),
    Parcel.MIDRISE: (120.0, 240.0),
    Parcel.HIGHRISE: (130.0, 260.0),
    Parcel.SINGLES: (120.0, 300.0),
    Parcel.SCHOOL: (150.0, 210.0),
    Parcel.PARK: (50.0, 120.0),
    Parcel.COMMERCIAL: (50.0, 100.0),
    Parcel.OFFICE: (45.0, 80.0),
    Parcel.MIXED: (45.0, 75.0),
    Parcel.CENTRE: (40.0, 60.0),
    Parcel.CLINIC: (35.0, 50.0),
    Parcel.GREEN: (30.0, 80.0),
}
_WLO = np.zeros(16)
_WHI = np.zeros(16)
for _code, (_lo, _hi) in _WIDTH.items():
    _WLO[_code], _WHI[_code] = _lo, _hi

_REGULAR_TYPES = np.array(
    [Parcel.WALKUP, Parcel.MIDRISE, Parcel.HIGHRISE, Parcel.SINGLES, Parcel.SCHOOL, Parcel.PARK]
)
_FRONTAGE_TYPES = np.array([Parcel.COMMERCIAL, Parcel.OFFICE, Parcel.MIXED, Parcel.GREEN])

# Storeys per compound type: walk-ups (no lift) 5-7, mid-rise (小高层) 8-11,
# high-rise 12-33 (the common Chinese heights 18, 26, 33 weigh more).
_LEVELS = {
    Parcel.WALKUP: np.array([5, 6, 6, 6, 6, 7]),
    Parcel.MIDRISE: np.array([8, 9, 11, 11, 11]),
    Parcel.HIGHRISE: np.array([12, 15, 17, 18, 18, 24, 26, 26, 28, 30, 32, 33]),
}
_UNITS = {
    Parcel.WALKUP: np.array([2, 3, 3, 4]),
    Parcel.MIDRISE: np.array([2, 2, 3, 3, 4]),
    Parcel.HIGHRISE: np.array([2, 2, 3, 3, 4]),
}
# Parking spaces per household of walled compounds: old walk-up compounds are
# short (0.55-0.8), newer ones 0.7-1.1 (Shijiazhuang rules since 2010 ask
# 1.0-1.2 per flat; older stock far less), mostly underground.
_PARKING_RATIO = {
    Parcel.WALKUP: (0.55, 0.8),
    Parcel.MIDRISE: (0.7, 1.0),
    Parcel.HIGHRISE: (0.8, 1.1),
}


@dataclass(frozen=True)
class Mix:
    """Building stock of a preset: which parcels the bands hold.

    Parameters
    ----------
    name : str
        Name of the mix.
    p_old : float
        Share of regular bands of old character (walk-ups, single-building
        compounds); the others are newer (mid- and high-rise).
    old, new : tuple of float
        Weights of walk-up, mid-rise, high-rise, singles, school, park parcels
        in old and new bands.
    frontage : tuple of float
        Weights of commercial, office, 商住楼 (mixed) and green parcels along
        the main road.
    buildings_per_community : int
        Buildings of a community when only n_buildings is given.
    area_per_building_m2 : float
        Land per building including roads (measured on generated districts;
        sizes streets before they are filled).
    households_per_building : float
        Mean households per building (measured likewise; sizes streets of a
        preset given by households).
    """

    name: str
    p_old: float
    old: tuple[float, ...]
    new: tuple[float, ...]
    frontage: tuple[float, ...]
    buildings_per_community: int
    area_per_building_m2: float
    households_per_building: float


MIXES = {
    # A Shijiazhuang urban district: many high-rises, old walk-up quarters.
    "city": Mix(
        name="city",
        p_old=0.45,
        old=(0.40, 0.05, 0.0, 0.47, 0.03, 0.05),
        new=(0.12, 0.25, 0.50, 0.0, 0.04, 0.09),
        frontage=(0.35, 0.20, 0.30, 0.15),
        buildings_per_community=100,
        area_per_building_m2=5400.0,
        households_per_building=45.0,
    ),
    # A county-level district (Luancheng): mostly walk-ups, fewer towers.
    "county": Mix(
        name="county",
        p_old=0.55,
        old=(0.45, 0.05, 0.0, 0.42, 0.03, 0.05),
        new=(0.30, 0.32, 0.26, 0.0, 0.04, 0.08),
        frontage=(0.45, 0.10, 0.30, 0.15),
        buildings_per_community=30,
        area_per_building_m2=5000.0,
        households_per_building=34.0,
    ),
}


def _column(n: int, value: object) -> np.ndarray:
    """``value`` as an array of ``n`` rows (scalars are repeated)."""
    return value if isinstance(value, np.ndarray) else np.full(n, value)


class _Acc:
    """Accumulates column arrays of one table."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.parts: list[tuple[int, dict[str, object]]] = []

    def add(self, n: int, **cols: object) -> None:
        if n:
            self.parts.append((n, cols))

    def build(self) -> Table:
        out = {}
        for c in self.columns:
            arrays = [_column(n, cols[c]) for n, cols in self.parts]
            out[c] = np.concatenate(arrays) if arrays else np.zeros(0)
        return out


BUILDING_COLS = (
    "x0", "y0", "x1", "y1", "parcel", "order", "sub", "use", "label", "levels", "units", "hh",
)  # fmt: skip
COMPOUND_COLS = (
    "x0", "y0", "x1", "y1", "parcel", "sub", "kind", "ptype", "mn", "mw", "pratio", "rratio",
)  # fmt: skip
LOT_COLS = ("x0", "y0", "x1", "y1", "parcel", "order", "kind", "capacity", "reserved")
_INT_COLS = {
    "parcel", "order", "sub", "use", "label", "levels", "units", "hh", "kind", "ptype",
    "capacity", "reserved", "band", "community",
}  # fmt: skip


def _typed(table: Table) -> Table:
    return {
        k: (v.astype(np.int64) if k in _INT_COLS else v.astype(np.float64))
        for k, v in table.items()
    }


def empty_table(columns: tuple[str, ...]) -> Table:
    """A table of ``columns`` with no rows (integer and float columns typed)."""
    return _typed({c: np.zeros(0) for c in columns})


@dataclass
class _Band:
    depth: float
    buildings: Table
    compounds: Table
    lots: Table
    lanes: np.ndarray  # x of service-lane centrelines


@dataclass
class CommunityContent:
    """The bands of one community, south to north, in band-local coordinates."""

    depths: list[float] = field(default_factory=list)
    bands: list[_Band] = field(default_factory=list)
    metric: int = 0

    @property
    def height(self) -> float:
        """Height of the content without slack (m)."""
        if not self.depths:
            return 0.0
        return float(sum(self.depths) + RESIDENTIAL_CORRIDOR_M * (len(self.depths) - 1))


# --- Parcel builders ---------------------------------------------------------------


def _walled(
    rng: np.random.Generator,
    acc: dict[str, _Acc],
    ptype: int,
    px0: np.ndarray,
    px1: np.ndarray,
    pidx: np.ndarray,
    depth: float,
) -> None:
    """Walled compounds: rows of slabs facing south, a guard house, a wall margin."""
    m = len(px0)
    width = px1 - px0
    levels = rng.choice(_LEVELS[ptype], m)
    unit_len = rng.uniform(16.0, 20.0, m)
    units = rng.choice(_UNITS[ptype], m)
    ms = rng.uniform(10.0, 16.0, m)  # south margin: gate and guard house
    mn = rng.uniform(9.0, 14.0, m)  # north margin: parking along the wall
    mw = rng.uniform(6.0, 12.0, m)
    height = levels * settings.FLOOR_HEIGHT_M
    gy = np.minimum(SUN_SPACING_RATIO * height, SUN_SPACING_HIGH[0] + SUN_SPACING_HIGH[1] * height)
    # Fire separation between slab ends: 6-13 m by height class (GB 50016), wider in practice.
    gx = rng.uniform(8.0, 14.0, m) if ptype == Parcel.WALKUP else rng.uniform(13.0, 20.0, m)
    inner_w = width - 2 * mw
    inner_d = depth - ms - mn
    units = np.clip(np.minimum(units, np.floor((inner_w - 1.0) / unit_len)), 1, None).astype(int)
    length = units * unit_len
    nx = np.maximum(1, np.floor((inner_w + gx) / (length + gx))).astype(np.int64)
    nr = np.maximum(1, np.floor((inner_d + gy) / (SLAB_DEPTH_M + gy))).astype(np.int64)
    pitch = np.where(nr > 1, (inner_d - SLAB_DEPTH_M) / np.maximum(nr - 1, 1), 0.0)
    y_first = np.where(nr > 1, ms, ms + (inner_d - SLAB_DEPTH_M) / 2)
    slack_x = inner_w - (nx * length + (nx - 1) * gx)
    stagger = rng.uniform(-1.0, 1.0, m) * np.minimum(slack_x / 2, 8.0)
    count = nx * nr
    comp = np.repeat(np.arange(m), count)
    j = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    col = j % nx[comp]
    row = j // nx[comp]
    xs = px0[comp] + mw[comp] + slack_x[comp] / 2 + np.where(row % 2 == 1, stagger[comp], 0.0)
    bx0 = xs + col * (length[comp] + gx[comp])
    by0 = y_first[comp] + row * pitch[comp]
    hh = levels * units * FLATS_PER_UNIT_FLOOR
    acc["b"].add(
        len(j),
        x0=bx0,
        y0=by0,
        x1=bx0 + length[comp],
        y1=by0 + SLAB_DEPTH_M,
        parcel=pidx[comp],
        order=j + (j >= 1),  # the guard house is order 1: kept only with a slab
        sub=0,
        use=RESIDENTIAL,
        label=Label.SLAB,
        levels=levels[comp],
        units=units[comp],
        hh=hh[comp],
    )
    guard = rng.random(m) < 0.8
    gxc = px0 + width / 2 + rng.uniform(-0.25, 0.25, m) * width
    gxc = np.clip(gxc, px0 + mw + 3.0, px1 - mw - 3.0)
    k = int(guard.sum())
    acc["b"].add(
        k,
        x0=gxc[guard] - 3.0,
        y0=1.5,
        x1=gxc[guard] + 3.0,
        y1=5.5,
        parcel=pidx[guard],
        order=1,
        sub=0,
        use=OTHER_USE,
        label=Label.GUARD,
        levels=1,
        units=0,
        hh=0,
    )
    lo, hi = _PARKING_RATIO[ptype]
    acc["c"].add(
        m,
        x0=px0,
        y0=0.0,
        x1=px1,
        y1=depth,
        parcel=pidx,
        sub=0,
        kind=0,
        ptype=ptype,
        mn=mn,
        mw=mw,
        pratio=rng.uniform(lo, hi, m),
        rratio=rng.uniform(0.3, 0.7, m),
    )


def _singles(
    rng: np.random.Generator,
    acc: dict[str, _Acc],
    px0: np.ndarray,
    px1: np.ndarray,
    pidx: np.ndarray,
    depth: float,
) -> None:
    """Old quarters: one 5-7 storey walk-up per small compound, compounds side by side."""
    m = len(px0)
    cell_target = SLAB_DEPTH_M + rng.uniform(20.0, 26.0, m)
    nrows = np.maximum(1, np.floor(depth / cell_target)).astype(np.int64)
    cell_d = depth / nrows
    rows = int(nrows.sum())
    rp = np.repeat(np.arange(m), nrows)  # parcel of each row
    ridx = np.arange(rows) - np.repeat(np.cumsum(nrows) - nrows, nrows)
    width = (px1 - px0)[rp]
    kmax = int(np.ceil(width.max() / 32.0)) + 1
    units = rng.choice(np.array([2, 3]), (rows, kmax))
    unit_len = rng.uniform(13.0, 16.0, (rows, kmax))
    side = rng.uniform(3.0, 5.0, (rows, kmax))
    cw = units * unit_len + 2 * side
    cum = np.cumsum(cw, axis=1)
    keep = cum <= width[:, None]
    keep[:, 0] = True
    nk = keep.sum(axis=1)
    extra = (width - cum[np.arange(rows), nk - 1]) / nk
    cw = np.where(keep, cw + extra[:, None], 0.0)
    starts = np.cumsum(cw, axis=1) - cw
    r_of, k_of = np.nonzero(keep)  # row-major: south row first, west to east
    cx0 = px0[rp[r_of]] + starts[r_of, k_of]
    last = k_of == nk[r_of] - 1
    cx1 = np.where(last, px1[rp[r_of]], cx0 + cw[r_of, k_of])
    cy0 = ridx[r_of] * cell_d[rp[r_of]]
    cy1 = np.where(ridx[r_of] == nrows[rp[r_of]] - 1, depth, (ridx[r_of] + 1) * cell_d[rp[r_of]])
    u = units[r_of, k_of]
    length = u * unit_len[r_of, k_of]
    bx0 = (cx0 + cx1) / 2 - length / 2
    back = rng.uniform(3.0, 5.0, len(r_of))
    by1 = cy1 - back
    n = len(r_of)
    levels = rng.choice(np.array([5, 6, 6, 6, 6, 7]), n)
    parcel = pidx[rp[r_of]]
    first_cell = np.r_[0, np.cumsum(np.bincount(rp[r_of], minlength=m))[:-1]]
    sub = np.arange(n) - first_cell[rp[r_of]]
    acc["b"].add(
        n,
        x0=bx0,
        y0=by1 - SLAB_DEPTH_M,
        x1=bx0 + length,
        y1=by1,
        parcel=parcel,
        order=sub,
        sub=sub,
        use=RESIDENTIAL,
        label=Label.SINGLE,
        levels=levels,
        units=u,
        hh=levels * u * FLATS_PER_UNIT_FLOOR,
    )
    acc["c"].add(
        n,
        x0=cx0,
        y0=cy0,
        x1=cx1,
        y1=cy1,
        parcel=parcel,
        sub=sub,
        kind=1,
        ptype=Parcel.SINGLES,
        mn=0.0,
        mw=0.0,
        # Yard and kerb parking only: 0.1-0.3 spaces per household.
        pratio=rng.uniform(0.1, 0.3, n),
        rratio=0.0,
    )


def _school(
    rng: np.random.Generator,
    acc: dict[str, _Acc],
    px0: np.ndarray,
    px1: np.ndarray,
    pidx: np.ndarray,
    depth: float,
) -> None:
    """A school: teaching buildings in the west, the sports ground east, a small lot."""
    m = len(px0)
    length = np.minimum(rng.uniform(50.0, 70.0, m), (px1 - px0 - 20.0) * 0.5)
    nb = min(3, int((depth - 24.0 + 25.0) // 40.0))
    levels = rng.choice(np.array([3, 4, 4, 5]), m)
    for k in range(nb):
        y0 = 16.0 + k * 40.0
        acc["b"].add(
            m,
            x0=px0 + 10.0,
            y0=y0,
            x1=px0 + 10.0 + length,
            y1=y0 + 15.0,
            parcel=pidx,
            order=k,
            sub=-1,
            use=PUBLIC_USE,
            label=Label.SCHOOL,
            levels=levels,
            units=0,
            hh=0,
        )
    area = length * 9.0
    cap = np.floor(area / settings.AREA_PER_SPACE_M2).astype(np.int64)
    acc["l"].add(
        m,
        x0=px0 + 10.0,
        y0=3.0,
        x1=px0 + 10.0 + length,
        y1=12.0,
        parcel=pidx,
        order=0,
        kind=LOT_PUBLIC,
        capacity=cap,
        reserved=np.floor(cap * rng.uniform(0.3, 0.6, m)).astype(np.int64),
    )


# Frontage buildings with a surface lot behind: depth (m), length rule, storeys.
_FRONT = {
    Parcel.COMMERCIAL: ((18.0, 30.0), None, np.array([1, 2, 2, 3, 3, 4, 5]), COMMERCIAL_USE),
    Parcel.OFFICE: ((22.0, 32.0), (30.0, 55.0), np.arange(8, 29), OFFICE_USE),
    Parcel.CENTRE: ((18.0, 24.0), (28.0, 42.0), np.array([2, 3, 3, 4]), PUBLIC_USE),
    Parcel.CLINIC: ((14.0, 20.0), (22.0, 34.0), np.array([2, 2, 3]), PUBLIC_USE),
}
_FRONT_LABEL = {
    Parcel.COMMERCIAL: Label.COMMERCIAL,
    Parcel.OFFICE: Label.OFFICE,
    Parcel.CENTRE: Label.CENTRE,
    Parcel.CLINIC: Label.CLINIC,
}
_FRONT_LOT = {
    Parcel.COMMERCIAL: (LOT_COMMERCIAL, (0.0, 0.1)),
    Parcel.OFFICE: (LOT_OFFICE, (0.2, 0.5)),
    Parcel.CENTRE: (LOT_PUBLIC, (0.3, 0.6)),
    Parcel.CLINIC: (LOT_PUBLIC, (0.3, 0.6)),
}


def _front_building(
    rng: np.random.Generator,
    acc: dict[str, _Acc],
    ptype: int,
    px0: np.ndarray,
    px1: np.ndarray,
    pidx: np.ndarray,
    depth: float,
) -> None:
    """A shop, office tower, community centre or clinic at the road, its lot behind."""
    m = len(px0)
    (d_lo, d_hi), len_rule, level_choices, use = _FRONT[ptype]
    width = px1 - px0
    bd = rng.uniform(d_lo, d_hi, m)
    if len_rule is None:
        bl = width * rng.uniform(0.6, 0.85, m)
    else:
        bl = np.minimum(width - 10.0, rng.uniform(len_rule[0], len_rule[1], m))
    bx0 = px0 + (width - bl) / 2
    levels = rng.choice(level_choices, m)
    acc["b"].add(
        m,
        x0=bx0,
        y0=4.0,
        x1=bx0 + bl,
        y1=4.0 + bd,
        parcel=pidx,
        order=0,
        sub=-1,
        use=use,
        label=_FRONT_LABEL[ptype],
        levels=levels,
        units=0,
        hh=0,
    )
    ly0 = 4.0 + bd + 5.0
    ly1 = np.full(m, depth - 3.0)
    ok = ly1 - ly0 >= 6.0
    kind, (r_lo, r_hi) = _FRONT_LOT[ptype]
    area = bl * (ly1 - ly0)
    cap = np.floor(area / settings.AREA_PER_SPACE_M2)
    if ptype == Parcel.OFFICE:
        # Underground spaces of office towers: 0.5-1.0 per 100 m2 of floor area
        # (Chinese city parking standards for offices).
        cap = cap + np.round(bl * bd * levels * rng.uniform(0.5, 1.0, m) / 100.0)
    cap = cap.astype(np.int64)
    reserved = np.floor(cap * rng.uniform(r_lo, r_hi, m)).astype(np.int64)
    k = int(ok.sum())
    acc["l"].add(
        k,
        x0=bx0[ok],
        y0=ly0[ok],
        x1=(bx0 + bl)[ok],
        y1=ly1[ok],
        parcel=pidx[ok],
        order=0,
        kind=kind,
        capacity=cap[ok],
        reserved=reserved[ok],
    )


def _mixed(
    rng: np.random.Generator,
    acc: dict[str, _Acc],
    px0: np.ndarray,
    px1: np.ndarray,
    pidx: np.ndarray,
    depth: float,
) -> None:
    """商住楼: one slab with shops on the ground floor and flats above, its own yard."""
    m = len(px0)
    width = px1 - px0
    units = rng.choice(np.array([2, 3]), m)
    length = np.minimum(units * rng.uniform(16.0, 19.0, m), width - 8.0)
    bx0 = px0 + (width - length) / 2
    levels = rng.choice(np.array([7, 9, 11, 12, 15, 18]), m)
    acc["b"].add(
        m,
        x0=bx0,
        y0=5.0,
        x1=bx0 + length,
        y1=5.0 + SLAB_DEPTH_M + 1.0,
        parcel=pidx,
        order=0,
        sub=0,
        use=MIXED_USE,
        label=Label.MIXED,
        levels=levels,
        units=units,
        hh=(levels - 1) * units * FLATS_PER_UNIT_FLOOR,
    )
    acc["c"].add(
        m,
        x0=px0,
        y0=0.0,
        x1=px1,
        y1=depth,
        parcel=pidx,
        sub=0,
        kind=1,
        ptype=Parcel.MIXED,
        mn=0.0,
        mw=0.0,
        pratio=rng.uniform(0.2, 0.5, m),
        rratio=0.0,
    )


# --- Bands ----------------------------------------------------------------------------


def _parcels(
    rng: np.random.Generator, width: float, types_pool: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parcel types and x-ranges filling ``width`` exactly, with service lanes between."""
    kmax = int(width // _WLO[types_pool].min()) + 2
    types = types_pool[rng.choice(len(types_pool), kmax, p=weights / weights.sum())]
    widths = rng.uniform(_WLO[types], _WHI[types])
    gaps = np.where(rng.random(kmax) < 0.5, LANE_WIDTH_M, 0.0)
    ends = np.cumsum(widths + gaps) - gaps
    n = max(1, int((ends <= width).sum()))
    types, widths, gaps = types[:n], widths[:n], gaps[:n]
    gaps[-1] = 0.0
    free = width - gaps.sum()
    widths = widths * (free / widths.sum())
    starts = np.concatenate([[0.0], np.cumsum(widths + gaps)[:-1]])
    ends = starts + widths
    ends[-1] = width
    lanes = (ends + gaps / 2)[gaps > 0]
    return types, starts, ends, lanes


def _band(
    rng: np.random.Generator,
    width: float,
    depth: float | None,
    mix: Mix,
    state: dict[str, bool],
) -> _Band:
    """One band; ``depth`` None makes the frontage band along the main road."""
    acc = {"b": _Acc(BUILDING_COLS), "c": _Acc(COMPOUND_COLS), "l": _Acc(LOT_COLS)}
    if depth is None:
        depth = float(rng.uniform(55.0, 80.0))
        types, x0, x1, lanes = _parcels(rng, width, _FRONTAGE_TYPES, np.array(mix.frontage))
        if len(types) < 3:
            types[types == Parcel.GREEN] = Parcel.COMMERCIAL
        # Every community has its party-service centre (党群服务中心) on the main
        # road; about half have a health station (社区卫生服务站) as well.
        slots = rng.permutation(len(types))
        types[slots[0]] = Parcel.CENTRE
        if len(types) > 1 and rng.random() < 0.5:
            types[slots[1]] = Parcel.CLINIC
    else:
        old = rng.random() < mix.p_old
        weights = np.array(mix.old if old else mix.new)
        types, x0, x1, lanes = _parcels(rng, width, _REGULAR_TYPES, weights)
        # One school per community at most, and only where the band is deep
        # enough; parks only in bands with room for housing beside them.
        school = np.flatnonzero(types == Parcel.SCHOOL)
        drop = school if (state["school"] or depth < 140.0) else school[1:]
        if len(types) < 3:
            drop = np.concatenate([drop, np.flatnonzero(types == Parcel.PARK)])
        types[drop] = Parcel.WALKUP if old else Parcel.MIDRISE
        state["school"] = state["school"] or bool((types == Parcel.SCHOOL).any())
    pidx = np.arange(len(types))
    for ptype in np.unique(types):
        sel = types == ptype
        args = (x0[sel], x1[sel], pidx[sel], depth)
        if ptype in (Parcel.WALKUP, Parcel.MIDRISE, Parcel.HIGHRISE):
            _walled(rng, acc, int(ptype), *args)
        elif ptype == Parcel.SINGLES:
            _singles(rng, acc, *args)
        elif ptype == Parcel.SCHOOL:
            _school(rng, acc, *args)
        elif ptype == Parcel.MIXED:
            _mixed(rng, acc, *args)
        elif ptype in _FRONT:
            _front_building(rng, acc, int(ptype), *args)
    buildings = _typed(acc["b"].build())
    order = np.lexsort((buildings["order"], buildings["parcel"]))
    buildings = {k: v[order] for k, v in buildings.items()}
    return _Band(depth, buildings, _typed(acc["c"].build()), _typed(acc["l"].build()), lanes)


def _keys(parcel: np.ndarray, sub: np.ndarray) -> np.ndarray:
    return parcel.astype(np.int64) * 100_000 + sub.astype(np.int64)


def _cut(band: _Band, keep_n: int) -> _Band:
    """Keep the first ``keep_n`` buildings (parcel order) and what belongs to them."""
    b = {k: v[:keep_n] for k, v in band.buildings.items()}
    in_compound = b["sub"] >= 0
    kept_c = np.isin(
        _keys(band.compounds["parcel"], band.compounds["sub"]),
        _keys(b["parcel"][in_compound], b["sub"][in_compound]),
    )
    c = {k: v[kept_c] for k, v in band.compounds.items()}
    kept_l = np.isin(_keys(band.lots["parcel"], band.lots["order"]), _keys(b["parcel"], b["order"]))
    lots = {k: v[kept_l] for k, v in band.lots.items()}
    if keep_n < len(band.buildings["x0"]) and keep_n > 0:
        # The last walled compound may have lost its northern rows: its wall
        # moves down to the last kept slab.
        last = int(b["parcel"][-1])
        walled = (c["parcel"] == last) & (c["kind"] == 0)
        if walled.any():
            slabs = (b["parcel"] == last) & (b["label"] == Label.SLAB)
            top = b["y1"][slabs].max() + c["mn"][walled]
            c["y1"] = np.where(walled, np.minimum(c["y1"], top), c["y1"])
    ends = [b["x1"].max() if keep_n else 0.0]
    if len(c["x1"]):
        ends.append(c["x1"].max())
    lanes = band.lanes[band.lanes < max(ends)]
    tops = [b["y1"].max() if keep_n else 0.0]
    for t in (c["y1"], lots["y1"]):
        if len(t):
            tops.append(t.max())
    depth = min(band.depth, max(max(tops) + 5.0, 30.0))
    return _Band(depth, b, c, lots, lanes)


def fill_community(
    rng: np.random.Generator,
    *,
    width: float,
    budget: int,
    by_households: bool,
    mix: Mix,
) -> CommunityContent:
    """Fill a community of inner ``width`` (m) with bands until ``budget`` is met.

    The budget counts buildings (``by_households=False``) or households. The
    band that reaches it is cut at the building that brings the total closest
    to the budget (a walled compound may lose its last rows), so building
    budgets are met exactly.
    """
    content = CommunityContent()
    state = {"school": False}
    total = 0
    # Budget per m2 of band: the mix's prior until regular bands have been measured.
    seen_metric, seen_area = 0.0, 0.0
    prior = (mix.households_per_building if by_households else 1.0) / (
        LAND_SHARE_OF_BANDS * mix.area_per_building_m2
    )
    for k in range(100_000):
        remaining = budget - total
        depth = None
        if k > 0:
            depth = float(rng.uniform(120.0, 240.0))
            density = seen_metric / seen_area if seen_metric > 0 else prior
            # A last band only as deep as the rest of the budget needs, so that
            # it is used across its width rather than left half empty.
            need = 1.15 * remaining / (density * width)
            depth = max(60.0, min(depth, need))
        band = _band(rng, width, depth, mix, state)
        metric = band.buildings["hh"] if by_households else np.ones_like(band.buildings["hh"])
        cum = np.concatenate([[0], np.cumsum(metric)])
        if cum[-1] < remaining:
            content.depths.append(band.depth)
            content.bands.append(band)
            total += int(cum[-1])
            if k > 0:
                seen_metric += float(cum[-1])
                seen_area += band.depth * width
            continue
        keep_n = int(np.argmin(np.abs(cum - remaining)))
        if keep_n > 0 or not content.bands:
            band = _cut(band, keep_n)
            content.depths.append(band.depth)
            content.bands.append(band)
            total += int(cum[keep_n])
        break
    content.metric = total
    return content
