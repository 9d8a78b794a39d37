"""Sites, tiles and the adjacency of building units.

A *site* is one building centroid (or one unit-row centroid), rounded to 1 cm;
rows that share a centroid share a site. Each site gets a *tile*: its Voronoi
cell among the sites of its region (a community, or a locked area), clipped to
the region. The tiles of a region come from one Voronoi diagram, so they form
an exact polygonal coverage of it (shared edges have identical vertices): a
grid polygon is the coverage union of its sites' tiles, and GEOS coverage
simplification can straighten grid boundaries without opening gaps.

Two sites are *adjacent* when

1. their Voronoi cells over all sites of the data set share an edge of at least
   :data:`MIN_SHARED_M` inside the convex hull of the footprints buffered by
   :data:`HULL_BUFFER_M` -- the rule ``shared/tools/score_grids.py`` judges
   contiguity by, so a grid contiguous here is contiguous there; and
2. their tiles share an edge of at least :data:`MIN_SHARED_M` in the same
   region, so the union of a contiguous set of tiles is one polygon.

Streets are costs: an edge whose centroid-to-centroid segment crosses a street
is weighted down by :data:`ROAD_EDGE_FACTOR`, so a partition that minimises the
weighted cut puts grid boundaries between the buildings on either side of a
street -- along the street.

Shapely/GEOS does the geometry. Written by hand: the matching of identical
Voronoi edges (a vectorised form of libpysal's vertex-set rook contiguity, which
would cost a second pass per call) and the hand-over of tile fragments.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import ConvexHull, QhullError
from shapely import Geometry

__all__ = [
    "HULL_BUFFER_M",
    "MIN_SHARED_M",
    "ROAD_EDGE_FACTOR",
    "GRID_SIZE_M",
    "MINOR_HIGHWAYS",
    "SiteGraph",
    "site_points",
    "footprint_clip",
    "voronoi_neighbours",
    "street_lines",
    "region_tiles",
    "build_site_graph",
    "shared_border_lengths",
    "polygonal",
]

# Convex hull buffer of shared/tools/score_grids.py (HULL_BUFFER_M there): the
# scorer clips the Voronoi cells to the footprints' hull buffered by 50 m.
HULL_BUFFER_M = 50.0
# A shared Voronoi edge shorter than this is a numerical accident of four
# nearly co-circular centroids (common in regular building rows): it may vanish
# under a 1 mm perturbation, so it never makes two sites adjacent.
MIN_SHARED_M = 0.5
# Weight of a graph edge between sites on opposite sides of a street, relative
# to other edges: a cut along a street costs half a cut through a block, so
# grid boundaries follow streets when balance and compactness allow it (tuned
# on synthetic districts: 0.2 gave less compact grids, 1.0 ignores streets).
ROAD_EDGE_FACTOR = 0.5
# Precision grid (m) of overlay operations that mix geometry from different
# sources (a drawn polygon and tiles, fragments of different regions).
GRID_SIZE_M = 1e-3
# OSM highway classes that do not count as streets for grid boundaries (paths,
# service lanes and the like run inside compounds).
MINOR_HIGHWAYS = frozenset(
    {
        "service",
        "footway",
        "path",
        "pedestrian",
        "cycleway",
        "steps",
        "track",
        "corridor",
        "bridleway",
        "construction",
        "proposed",
        "platform",
        "elevator",
        "escalator",
        "busway",
        "raceway",
        "abandoned",
        "razed",
        "no",
    }
)
# Coordinates are matched at 1 micrometre when looking for identical edges.
_MATCH_SCALE = 1e6


@dataclass(frozen=True)
class SiteGraph:
    """Tiles and adjacency of the sites of one data set (metric CRS).

    Attributes
    ----------
    xy : ndarray (S, 2)
        Site coordinates.
    region : ndarray (S,)
        Region index of each site.
    tiles : ndarray of Polygon (S,)
        Tile of each site; the tiles of a region are an exact coverage of it
        (apart from ``loose`` parts no tile could take).
    u, v : ndarray (E,)
        Adjacent site pairs, ``u < v``.
    length : ndarray (E,)
        Length (m) of the shared tile edge.
    crosses_street : ndarray of bool (E,)
        The segment between the two sites crosses a street.
    loose : list of Polygon
        Parts of regions no tile could take (a part of a community without
        buildings that touches none of its other parts).
    """

    xy: np.ndarray
    region: np.ndarray
    tiles: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    crosses_street: np.ndarray
    loose: list[Geometry]

    @property
    def weight(self) -> np.ndarray:
        """Edge weight for the partition: shared length, streets weighted down."""
        return self.length * np.where(self.crosses_street, ROAD_EDGE_FACTOR, 1.0)


def site_points(footprints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique centroids (rounded to 1 cm) and the site index of each footprint.

    Parameters
    ----------
    footprints : ndarray of Geometry
        Footprints in a metric CRS.

    Returns
    -------
    xy : ndarray (S, 2)
        Site coordinates, sorted lexicographically (deterministic).
    row_site : ndarray (R,)
        Site index of each footprint.
    """
    xy = np.round(shapely.get_coordinates(shapely.centroid(footprints)), 2)
    uniq, row_site = np.unique(xy, axis=0, return_inverse=True)
    return uniq, row_site.ravel()


def footprint_clip(footprints: np.ndarray, buffer_m: float = HULL_BUFFER_M) -> Geometry:
    """Convex hull of all footprint vertices buffered by ``buffer_m`` (the scorer's clip)."""
    xy = shapely.get_coordinates(footprints)
    try:  # qhull is much faster than GEOS on hundreds of thousands of vertices
        ring = xy[ConvexHull(xy).vertices]
        hull = shapely.Polygon(ring)
    except (QhullError, ValueError):  # fewer than 3 points, or all on a line
        hull = shapely.convex_hull(shapely.multipoints(xy))
    return shapely.buffer(hull, buffer_m)


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (empty Polygon when none)."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    odd = np.flatnonzero(~np.isin(types, (3, 6)))
    for i in odd:
        parts = shapely.get_parts(geoms[i])
        polys = [p for p in parts if shapely.get_type_id(p) in (3, 6) and not p.is_empty]
        flat: list[Geometry] = []
        for p in polys:
            flat.extend(shapely.get_parts(p))
        if not flat:
            out[i] = shapely.Polygon()
        elif len(flat) == 1:
            out[i] = flat[0]
        else:
            out[i] = shapely.multipolygons(flat)
    return out


def _matched_edges(
    polys: np.ndarray, group: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of polygons with an identical edge (same two vertices), per edge.

    Returns ``a, b, p, q``: owners (``a < b``) and the edge's end points. Only
    polygons with the same ``group`` value are matched.
    """
    rings, ring_owner = shapely.get_rings(polys, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[1:] == ring_of[:-1]
    p = xy[:-1][same]
    q = xy[1:][same]
    owner = ring_owner[ring_of[:-1][same]]
    keep = (p != q).any(axis=1)
    p, q, owner = p[keep], q[keep], owner[keep]
    swap = (p[:, 0] > q[:, 0]) | ((p[:, 0] == q[:, 0]) & (p[:, 1] > q[:, 1]))
    lo = np.where(swap[:, None], q, p)
    hi = np.where(swap[:, None], p, q)
    key = np.round(np.hstack([lo, hi]) * _MATCH_SCALE).astype(np.int64)
    gkey = np.zeros(len(owner), np.int64) if group is None else group[owner].astype(np.int64)
    order = np.lexsort((key[:, 3], key[:, 2], key[:, 1], key[:, 0], gkey))
    k = key[order]
    g = gkey[order]
    eq = (k[1:] == k[:-1]).all(axis=1) & (g[1:] == g[:-1])
    i = np.flatnonzero(eq)
    a0, b0 = owner[order[i]], owner[order[i + 1]]
    diff = a0 != b0
    i, a0, b0 = i[diff], a0[diff], b0[diff]
    a = np.minimum(a0, b0)
    b = np.maximum(a0, b0)
    return a, b, lo[order[i]], hi[order[i]]


def _clipped_lengths(p: np.ndarray, q: np.ndarray, area: Geometry) -> np.ndarray:
    """Length of each segment p-q inside the convex polygon ``area``."""
    length = np.hypot(*(q - p).T)
    if len(p) == 0:
        return length
    shapely.prepare(area)
    # A convex area holds a segment whose two ends it holds.
    inside = shapely.contains_xy(area, p[:, 0], p[:, 1]) & shapely.contains_xy(
        area, q[:, 0], q[:, 1]
    )
    out = np.where(inside, length, 0.0)
    rest = np.flatnonzero(~inside)
    if len(rest):
        segs = shapely.linestrings(np.stack([p[rest], q[rest]], axis=1))
        out[rest] = shapely.length(shapely.intersection(segs, area))
    return out


def _sum_pairs(
    a: np.ndarray, b: np.ndarray, length: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aggregate per-edge lengths into one row per (a, b) pair."""
    if len(a) == 0:
        return a.astype(np.int64), b.astype(np.int64), length.astype(float)
    key = a.astype(np.int64) * n + b.astype(np.int64)
    uk, inv = np.unique(key, return_inverse=True)
    total = np.bincount(inv.ravel(), weights=length, minlength=len(uk))
    return uk // n, uk % n, total


def voronoi_neighbours(
    xy: np.ndarray, clip: Geometry, *, min_shared: float = MIN_SHARED_M
) -> tuple[np.ndarray, np.ndarray]:
    """Site pairs whose Voronoi cells share an edge inside ``clip``.

    This reproduces the contiguity rule of ``shared/tools/score_grids.py``
    (Voronoi cells of all centroids, clipped to the footprints' buffered hull,
    rook contiguity) with a minimum shared length for robustness.

    Parameters
    ----------
    xy : ndarray (S, 2)
        Unique site coordinates (metric).
    clip : Polygon
        The clip area (see :func:`footprint_clip`).
    min_shared : float
        Minimum length (m) of the shared edge inside ``clip``.

    Returns
    -------
    u, v : ndarray
        Pairs with ``u < v``, sorted.
    """
    n = len(xy)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    hull = shapely.convex_hull(clip)
    a, b, p, q = _geos_ridges(xy, clip)
    inside = _clipped_lengths(p, q, hull)
    a, b, total = _sum_pairs(a, b, inside, n)
    keep = total >= min_shared
    return a[keep], b[keep]


def _geos_ridges(
    xy: np.ndarray, clip: Geometry
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Voronoi ridges from GEOS cells (works for collinear and tiny inputs)."""
    n = len(xy)
    extent = shapely.box(*shapely.bounds(shapely.union(clip, shapely.multipoints(xy))))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=extent, ordered=True)
    )
    if len(cells) != n:  # GEOS merged sites: cannot happen with unique points
        raise RuntimeError(f"Voronoi diagram has {len(cells)} cells for {n} sites")
    return _matched_edges(cells)


def street_lines(roads: gpd.GeoSeries | None) -> np.ndarray:
    """Line geometries of the streets that bound blocks (minor ways dropped).

    Parameters
    ----------
    roads : GeoSeries or GeoDataFrame, optional
        Roads in the metric CRS; with a ``highway`` column, the classes in
        :data:`MINOR_HIGHWAYS` are dropped.

    Returns
    -------
    ndarray of LineString
    """
    if roads is None or len(roads) == 0:
        return np.empty(0, dtype=object)
    geoms = np.asarray(roads.geometry.array if hasattr(roads, "geometry") else roads.array)
    if isinstance(roads, gpd.GeoDataFrame) and "highway" in roads.columns:
        cls = roads["highway"].astype("object").fillna("").astype(str).str.lower()
        geoms = geoms[~cls.isin(MINOR_HIGHWAYS).to_numpy()]
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    # Area roads (e.g. pedestrian squares) give their outline.
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    geoms = np.where(poly, shapely.boundary(geoms), geoms)
    parts = shapely.get_parts(geoms)
    return parts[np.isin(shapely.get_type_id(parts), (1, 2))]


def shared_border_lengths(
    pieces: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Length of the border each piece shares with each target it touches.

    Returns ``(piece_index, target_index, length)`` for every touching pair with
    a positive shared length (snap-rounded at :data:`GRID_SIZE_M`).
    """
    if len(pieces) == 0 or len(targets) == 0:
        e = np.empty(0, np.int64)
        return e, e, np.empty(0)
    tree = shapely.STRtree(targets)
    pi, ti = tree.query(pieces, predicate="intersects")
    if len(pi) == 0:
        return pi, ti, np.empty(0)
    common = shapely.intersection(
        shapely.boundary(pieces[pi]), shapely.boundary(targets[ti]), grid_size=GRID_SIZE_M
    )
    length = shapely.length(common)
    keep = length > 0
    return pi[keep], ti[keep], length[keep]


def region_tiles(xy: np.ndarray, region: Geometry) -> np.ndarray:
    """Voronoi cells of ``xy`` clipped to ``region`` (one diagram: an exact coverage).

    Parameters
    ----------
    xy : ndarray (n, 2)
        Unique generator points (metric).
    region : Polygon or MultiPolygon

    Returns
    -------
    ndarray of Polygon/MultiPolygon (n,)
        A cell may fall apart when the region is concave; see
        :func:`build_site_graph` for the hand-over of such fragments.
    """
    n = len(xy)
    if n == 1:
        return np.asarray([region], dtype=object)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=region, ordered=True)
    )
    if len(cells) != n:  # GEOS merged sites: cannot happen with unique points
        raise RuntimeError(f"Voronoi diagram has {len(cells)} cells for {n} sites")
    shapely.prepare(region)
    inside = shapely.contains_properly(region, cells)
    tiles = cells.copy()
    cut = np.flatnonzero(~inside)
    if len(cut):
        tiles[cut] = polygonal(shapely.intersection(cells[cut], region))
    return tiles


def _all_region_tiles(xy: np.ndarray, site_region: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """:func:`region_tiles` for every region at once (one vectorised GEOS call)."""
    n = len(xy)
    tiles = np.empty(n, dtype=object)
    order = np.argsort(site_region, kind="stable")
    sr = site_region[order]
    ur, start, count = np.unique(sr, return_index=True, return_counts=True)
    for r, s0 in zip(ur[count == 1], start[count == 1], strict=True):
        tiles[order[s0]] = regions[r]
    multi = np.flatnonzero(count > 1)
    if len(multi) == 0:
        return tiles
    members = np.concatenate([order[start[j] : start[j] + count[j]] for j in multi])
    group = np.repeat(np.arange(len(multi)), count[multi])
    pts = xy[members]
    # Generators moved onto a border may coincide: nudge duplicates by 1 mm.
    key = np.round(pts, 3)
    dup = pd.DataFrame({"g": group, "x": key[:, 0], "y": key[:, 1]}).duplicated().to_numpy()
    if dup.any():
        pts = pts.copy()
        pts[dup] += 1e-3 * np.arange(1, int(dup.sum()) + 1)[:, None]
    mps = shapely.multipoints(pts, indices=group)
    diagrams = shapely.voronoi_polygons(mps, extend_to=regions[ur[multi]], ordered=True)
    cells, _ = shapely.get_parts(diagrams, return_index=True)
    if len(cells) != len(members):  # GEOS merged sites: cannot happen with unique points
        raise RuntimeError("Voronoi diagram lost sites")
    own = regions[site_region[members]]
    shapely.prepare(regions)
    inside = shapely.contains_properly(own, cells)
    cut = np.flatnonzero(~inside)
    if len(cut):
        cells[cut] = polygonal(shapely.intersection(cells[cut], own[cut]))
    tiles[members] = cells
    return tiles


def _attach_fragments(
    xy: np.ndarray, tiles: np.ndarray, site_region: np.ndarray
) -> tuple[np.ndarray, list[Geometry]]:
    """Give every part of a tile that does not hold its site to a neighbouring tile.

    A cell clipped to a concave region may fall apart; the part holding the
    site (or nearest to it) stays, each other part goes to the tile of the same
    region with which it shares the longest border. Returns the new tiles and
    the parts no tile touches.
    """
    tiles = tiles.copy()
    frags: list[tuple[Geometry, int, int]] = []  # (part, region, former owner)
    for i in np.flatnonzero(shapely.get_num_geometries(tiles) > 1):
        parts = shapely.get_parts(tiles[i])
        main = int(np.argmin(shapely.distance(parts, shapely.points(xy[i]))))
        tiles[i] = parts[main]
        frags.extend((p, int(site_region[i]), int(i)) for j, p in enumerate(parts) if j != main)
    empty = shapely.is_empty(tiles)
    extra: dict[int, list[Geometry]] = {}
    for _ in range(len(frags) + 1):
        if not frags:
            break
        cur = tiles.copy()
        for t, parts in extra.items():
            cur[t] = shapely.union_all([tiles[t], *parts])
        geoms = np.asarray([f[0] for f in frags], dtype=object)
        pi, ti, length = shared_border_lengths(geoms, cur)
        region = np.asarray([f[1] for f in frags])
        owner = np.asarray([f[2] for f in frags])
        ok = (region[pi] == site_region[ti]) & (owner[pi] != ti) & ~empty[ti]
        pi, ti, length = pi[ok], ti[ok], length[ok]
        if len(pi) == 0:
            break
        best = (
            pd.DataFrame({"p": pi, "t": ti, "len": -length})
            .sort_values(["p", "len", "t"], kind="stable")
            .drop_duplicates("p")
        )
        for p, t in zip(best["p"].to_numpy(), best["t"].to_numpy(), strict=True):
            extra.setdefault(int(t), []).append(frags[int(p)][0])
        done = set(best["p"].tolist())
        frags = [f for j, f in enumerate(frags) if j not in done]
    for t, parts in extra.items():
        tiles[t] = shapely.union_all([tiles[t], *parts])
    loose = [f[0] for f in frags if shapely.area(f[0]) > 1.0]
    return tiles, loose


def _crossing_street(a: np.ndarray, b: np.ndarray, streets: np.ndarray) -> np.ndarray:
    """Whether the segment from ``a[i]`` to ``b[i]`` crosses any street line."""
    out = np.zeros(len(a), bool)
    if len(streets) == 0 or len(a) == 0:
        return out
    segs = shapely.linestrings(np.stack([a, b], axis=1))
    hit, _ = shapely.STRtree(streets).query(segs, predicate="intersects")
    out[np.unique(hit)] = True
    return out


def build_site_graph(
    xy: np.ndarray,
    site_region: np.ndarray,
    regions: np.ndarray,
    *,
    streets: np.ndarray,
    clip: Geometry,
    locate: np.ndarray | None = None,
    empty_ok: np.ndarray | None = None,
) -> SiteGraph:
    """Tiles and adjacency of all sites.

    Parameters
    ----------
    xy : ndarray (S, 2)
        Site coordinates (metric, unique).
    site_region : ndarray (S,)
        Region of each site.
    regions : ndarray of Polygon/MultiPolygon
        The regions (communities without locked areas, and locked areas).
    streets : ndarray of LineString
        Street lines (may be empty).
    clip : Polygon
        The scorer's clip area (:func:`footprint_clip`).
    locate : ndarray (S, 2), optional
        Where to put each site's Voronoi generator (default ``xy``); a site
        outside its region is moved to the region's border there.
    empty_ok : ndarray of bool, optional
        Regions that may hold no site (not reported in ``loose``).

    Returns
    -------
    SiteGraph
    """
    n = len(xy)
    gen = xy if locate is None else locate
    tiles = _all_region_tiles(gen, site_region, regions)
    tiles, loose = _attach_fragments(gen, tiles, site_region)
    # Regions without any site (a locked area may hold none: it is a grid anyway).
    for r, region in enumerate(regions):
        if empty_ok is not None and empty_ok[r]:
            continue
        empty = region is None or shapely.is_empty(region) or shapely.area(region) <= 1.0
        if not empty and not (site_region == r).any():
            loose.append(region)
    # Condition 1: the scorer's global Voronoi contiguity.
    gu, gv = voronoi_neighbours(xy, clip)
    same_region = site_region[gu] == site_region[gv]
    gu, gv = gu[same_region], gv[same_region]
    # Condition 2: the tiles share identical edges in one region.
    a, b, p, q = _matched_edges(tiles, group=site_region)
    a, b, shared = _sum_pairs(a, b, np.hypot(*(q - p).T), n)
    shared_len = pd.Series(shared, index=a * n + b)
    length = np.array(shared_len.reindex(gu * n + gv, fill_value=0.0).to_numpy(), dtype=float)
    keep = length >= MIN_SHARED_M
    u, v, length = gu[keep], gv[keep], length[keep]
    return SiteGraph(
        xy=xy,
        region=site_region,
        tiles=tiles,
        u=u,
        v=v,
        length=length,
        crosses_street=_crossing_street(xy[u], xy[v], streets),
        loose=loose,
    )
