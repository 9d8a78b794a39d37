"""Sites, tiles and the adjacency of building units.

A *site* is one building centroid (or one unit-row centroid), rounded to 1 cm;
rows that share a centroid share a site. Each site gets a *tile*: its Voronoi
cell among the sites of its region (a community, or a locked area), clipped to
the region, and -- where there are streets -- cut along them:

1. the street lines (minor ways dropped) are noded by snap-rounding on the
   :data:`GRID_SIZE_M` grid and polygonized into *faces* (:func:`street_faces`);
   a face inside a region is a *block*;
2. a cell that crosses a street is cut into pieces by the faces; the piece
   holding the site stays, every other piece goes to a tile of the block it
   lies in (longest shared border), and a block without any building goes
   whole to the tile it shares the longest border with.

So tile borders run on street centre lines wherever a street separates
buildings, and elsewhere on the Voronoi edges of the buildings. Every piece
comes from one Voronoi diagram per region cut by one set of faces, so the
tiles of a region form a polygonal coverage of it (shared edges have the same
vertices; on the rare edge where two overlay calls round a street crossing
differently, the mismatch is below a nanometre and the unions fall back to an
overlay union). A grid polygon is the coverage union of its sites' tiles.

Two sites are *adjacent* when

1. their Voronoi cells over all sites of the data set share an edge of at least
   :data:`MIN_SHARED_M` inside the convex hull of the footprints buffered by
   :data:`HULL_BUFFER_M` -- the rule ``shared/tools/score_grids.py`` judges
   contiguity by, so a grid contiguous here is contiguous there (the ridges
   come from the Delaunay triangulation: circumcentre to circumcentre); and
2. their tiles share an edge of at least :data:`MIN_SHARED_M` in the same
   region, so the union of a contiguous set of tiles is one polygon.

Streets are also costs: an edge whose centroid-to-centroid segment crosses a
street is weighted down by :data:`ROAD_EDGE_FACTOR`, so a partition that
minimises the weighted cut prefers grid boundaries along streets.

Shapely/GEOS does the geometry. Written by hand: the matching of identical
edges (a vectorised form of libpysal's vertex-set rook contiguity, which would
cost a second pass per call), the Voronoi ridges from the triangulation and
the hand-over of pieces.

Regions do not interact, so the tiles are cut in jobs of a few regions each,
on worker processes for large inputs (:func:`gridmap.partition.parallel.run_jobs`),
while this process works out the scorer's contiguity.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, QhullError
from shapely import Geometry

from gridmap.partition.parallel import (
    available_workers,
    job_groups,
    process_count,
    run_jobs,
    threaded,
)

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
    "street_faces",
    "points_in_polygons",
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
# A piece of a tile cut by streets joins another tile across a border of at
# least this length (m) when it can: shorter, point-like borders pinch tiles.
MIN_BORDER_M = 0.01
# A piece cut off a tile by a street narrower than this on average (m; twice
# its area over its perimeter) is a sliver, not a block (see _street_tiles).
SLIVER_M = 0.05
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


def site_points(
    footprints: np.ndarray, centroids: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Unique centroids (rounded to 1 cm) and the site index of each footprint.

    Parameters
    ----------
    footprints : ndarray of Geometry
        Footprints in a metric CRS.
    centroids : ndarray (R, 2), optional
        Their centroids, when the caller has them already.

    Returns
    -------
    xy : ndarray (S, 2)
        Site coordinates, sorted lexicographically (deterministic).
    row_site : ndarray (R,)
        Site index of each footprint.
    """
    if centroids is None:
        centroids = shapely.get_coordinates(shapely.centroid(footprints))
    xy = np.round(centroids, 2)
    if len(xy) == 0:
        return xy.reshape(0, 2), np.empty(0, np.int64)
    # np.unique(axis=0) order (x, then y) by one lexsort: several times faster.
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    s = xy[order]
    new = np.ones(len(s), bool)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    row_site = np.empty(len(xy), np.int64)
    row_site[order] = np.cumsum(new) - 1
    return s[new], row_site


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
    odd = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (3, 6)))
    if len(odd) == 0:
        return out
    # Flatten collections (twice: a collection may hold multi-part geometries).
    parts, owner = shapely.get_parts(geoms[odd], return_index=True)
    multi = np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))
    if multi.any():
        pos = np.arange(len(parts))
        sub, j = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        owner = np.concatenate([owner[~multi], owner[multi][j]])
        rank = np.concatenate([pos[~multi], pos[multi][j]])  # keeps the parts in order
        order = np.argsort(rank, kind="stable")
        parts, owner = parts[order], owner[order]
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    count = np.bincount(owner, minlength=len(odd))
    res = np.full(len(odd), None, dtype=object)
    res[count == 0] = shapely.Polygon()
    one = count[owner] == 1
    res[owner[one]] = parts[one]
    several = np.flatnonzero(count > 1)
    if len(several):
        sel = np.isin(owner, several)
        got, compact = np.unique(owner[sel], return_inverse=True)
        res[got] = shapely.multipolygons(parts[sel], indices=compact.ravel())
    out[odd] = res
    return out


def _equal_runs_order(key: np.ndarray, gkey: np.ndarray) -> np.ndarray:
    """An order of the rows of ``(gkey, key)`` that puts equal rows next to each other.

    One argsort of a 64-bit hash instead of a five-key lexsort; when two
    different rows share a hash next to each other (vanishingly rare), the
    full lexsort is used, so the result never depends on luck.
    """
    with np.errstate(over="ignore"):
        h = gkey.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        for j in range(key.shape[1]):
            h = (h ^ key[:, j].astype(np.uint64)) * np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(31)
    order = np.argsort(h, kind="stable")
    hs = h[order]
    same_hash = hs[1:] == hs[:-1]
    k = key[order]
    g = gkey[order]
    same_row = (k[1:] == k[:-1]).all(axis=1) & (g[1:] == g[:-1])
    if (same_hash & ~same_row).any():
        order = np.lexsort((*(key[:, j] for j in range(key.shape[1] - 1, -1, -1)), gkey))
    return order


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
    order = _equal_runs_order(key, gkey)
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
    ridges = _delaunay_ridges(xy, clip)
    a, b, p, q = ridges if ridges is not None else _geos_ridges(xy, clip)
    inside = _clipped_lengths(p, q, hull)
    a, b, total = _sum_pairs(a, b, inside, n)
    keep = total >= min_shared
    return a[keep], b[keep]


def _delaunay_ridges(
    xy: np.ndarray, clip: Geometry
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Voronoi ridges from the Delaunay triangulation (GEOS), or None when it is degenerate.

    The ridge between two sites joins the circumcentres of the two triangles
    on their Delaunay edge (a hull edge: a ray outwards, cut at a length that
    leaves the clip area). Faster than building the Voronoi cells and matching
    their edges; collinear input (no triangle) goes to :func:`_geos_ridges`.
    """
    n = len(xy)
    tri = shapely.get_parts(shapely.delaunay_triangles(shapely.multipoints(xy)))
    if len(tri) == 0:
        return None
    coords = shapely.get_coordinates(tri)
    if len(coords) != 4 * len(tri):
        return None
    # Triangle corners are input coordinates: find their site by exact match.
    keys = xy[:, 0] + 1j * xy[:, 1]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    want = coords[:, 0] + 1j * coords[:, 1]
    pos = np.minimum(np.searchsorted(sorted_keys, want), n - 1)
    if not (sorted_keys[pos] == want).all():
        return None
    corner = order[pos].reshape(-1, 4)[:, :3]
    pa, pb, pc = (xy[corner[:, k]] for k in range(3))
    centre = _circumcentres(pa, pb, pc)
    if not np.isfinite(centre).all():
        return None
    # Edges (lo, hi) of every triangle, with the triangle and the opposite corner.
    ea = corner[:, [0, 1, 2]].ravel()
    eb = corner[:, [1, 2, 0]].ravel()
    opp = corner[:, [2, 0, 1]].ravel()
    tri_of = np.repeat(np.arange(len(corner)), 3)
    lo, hi = np.minimum(ea, eb), np.maximum(ea, eb)
    key = lo.astype(np.int64) * n + hi
    srt = np.argsort(key, kind="stable")
    key, lo, hi, opp, tri_of = key[srt], lo[srt], hi[srt], opp[srt], tri_of[srt]
    pair = np.zeros(len(key), bool)
    pair[:-1] = key[1:] == key[:-1]
    inner = np.flatnonzero(pair)
    p_in = centre[tri_of[inner]]
    q_in = centre[tri_of[inner + 1]]
    second = np.zeros(len(key), bool)
    second[inner + 1] = True
    single = np.flatnonzero(~pair & ~second)
    # Hull edges: a ray from the circumcentre, away from the opposite corner.
    a_xy, b_xy = xy[lo[single]], xy[hi[single]]
    d = b_xy - a_xy
    normal = np.column_stack([-d[:, 1], d[:, 0]])
    away = np.einsum("ij,ij->i", normal, a_xy - xy[opp[single]]) < 0
    normal[away] *= -1
    normal /= np.hypot(normal[:, 0], normal[:, 1])[:, None]
    x0, y0, x1, y1 = shapely.bounds(clip)
    bx = np.concatenate([xy, centre])
    span = float(
        np.hypot(
            max(x1, bx[:, 0].max()) - min(x0, bx[:, 0].min()),
            max(y1, bx[:, 1].max()) - min(y0, bx[:, 1].min()),
        )
    )
    p_out = centre[tri_of[single]]
    q_out = p_out + normal * (2.0 * span + 1.0)
    a = np.concatenate([lo[inner], lo[single]])
    b = np.concatenate([hi[inner], hi[single]])
    return a, b, np.concatenate([p_in, p_out]), np.concatenate([q_in, q_out])


def _circumcentres(pa: np.ndarray, pb: np.ndarray, pc: np.ndarray) -> np.ndarray:
    """Circumcentre of each triangle (coordinates relative to its first corner)."""
    b = pb - pa
    c = pc - pa
    d = 2.0 * (b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0])
    bb = (b**2).sum(axis=1)
    cc = (c**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ux = (c[:, 1] * bb - b[:, 1] * cc) / d
        uy = (b[:, 0] * cc - c[:, 0] * bb) / d
    return pa + np.column_stack([ux, uy])


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


def _voronoi_ordered(points: np.ndarray, extent: np.ndarray) -> np.ndarray:
    """Voronoi diagrams of multipoints, each extended to its extent, cells in point order."""
    return shapely.voronoi_polygons(points, extend_to=extent, ordered=True)


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
    diagrams = threaded(_voronoi_ordered, mps, regions[ur[multi]], min_size=64)
    cells, _ = shapely.get_parts(diagrams, return_index=True)
    if len(cells) != len(members):  # GEOS merged sites: cannot happen with unique points
        raise RuntimeError("Voronoi diagram lost sites")
    own = regions[site_region[members]]
    shapely.prepare(regions)
    inside = shapely.contains_properly(own, cells)
    cut = np.flatnonzero(~inside)
    if len(cut):
        cells[cut] = polygonal(threaded(shapely.intersection, cells[cut], own[cut]))
    tiles[members] = cells
    return tiles


def points_in_polygons(xy: np.ndarray, polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, polygon) where the point intersects the polygon, sorted.

    Points are sorted by x once; each polygon tests only the points of its
    bounding box with ``intersects_xy`` (no Point objects: creating 100,000 of
    them costs more than the tests).

    Parameters
    ----------
    xy : ndarray (n, 2)
        Point coordinates.
    polys : ndarray of Geometry
        Polygons (None or empty ones hold no point).

    Returns
    -------
    point, polygon : ndarray
        Index pairs, sorted by point then polygon.
    """
    n = len(xy)
    e = np.empty(0, np.int64)
    if n == 0 or len(polys) == 0:
        return e, e
    order = np.argsort(xy[:, 0], kind="stable")
    xs = xy[order, 0]
    bounds = shapely.bounds(polys)
    pis: list[np.ndarray] = []
    cis: list[np.ndarray] = []
    for c in np.flatnonzero(~np.isnan(bounds[:, 0])).tolist():
        x0, y0, x1, y1 = bounds[c]
        lo = np.searchsorted(xs, x0, side="left")
        hi = np.searchsorted(xs, x1, side="right")
        cand = order[lo:hi]
        cand = cand[(xy[cand, 1] >= y0) & (xy[cand, 1] <= y1)]
        if len(cand) == 0:
            continue
        hit = cand[shapely.intersects_xy(polys[c], xy[cand, 0], xy[cand, 1])]
        pis.append(hit)
        cis.append(np.full(len(hit), c, np.int64))
    if not pis:
        return e, e
    pi = np.concatenate(pis)
    ci = np.concatenate(cis)
    o = np.lexsort((ci, pi))
    return pi[o], ci[o]


def street_faces(streets: np.ndarray, frame: Geometry) -> np.ndarray:
    """Faces of the street network: the blocks streets enclose inside ``frame``.

    The street lines and the frame's outline are noded by snap-rounding on the
    :data:`GRID_SIZE_M` grid (robust: streets only cut tiles, they belong to no
    coverage) and polygonized; dead ends drop out. Every point of ``frame``
    lies in exactly one face (or on the border of two).

    Parameters
    ----------
    streets : ndarray of LineString
        Street lines (metric).
    frame : Polygon
        The area to cover (e.g. a box around all regions).

    Returns
    -------
    ndarray of Polygon
        Empty when there are no streets.
    """
    if len(streets) == 0:
        return np.empty(0, dtype=object)
    inside = streets[shapely.intersects(streets, frame)]
    if len(inside) == 0:
        return np.empty(0, dtype=object)
    lines = np.concatenate([inside, np.asarray([shapely.boundary(frame)], dtype=object)])
    noded = shapely.union_all(lines, grid_size=GRID_SIZE_M)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return faces[shapely.area(faces) > 0]


def _pieces_of_tiles(
    gen: np.ndarray, tiles: np.ndarray, site_region: np.ndarray, faces: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut tiles by the street faces and into their parts.

    Returns ``(pieces, owner, face, home)``: every polygonal piece, the tile it
    comes from, the face it lies in (0 without faces) and whether it is its
    tile's home piece (the one holding, or nearest to, the tile's generator;
    the larger on a tie). A tile inside one face and in one part stays one
    piece, unchanged.
    """
    n = len(tiles)
    tile_face = np.zeros(n, np.int64)
    part_geom: list[np.ndarray] = []
    part_tile: list[np.ndarray] = []
    part_face: list[np.ndarray] = []
    if len(faces) and n:
        tree = shapely.STRtree(faces)
        # Most tiles lie inside the face of their generator: one prepared test
        # each, among the faces in reach of each region's generators (a job of
        # build_site_graph holds a few of a city's regions).
        order = np.argsort(site_region, kind="stable")
        start = np.flatnonzero(np.r_[True, np.diff(site_region[order]) != 0])
        lo = np.minimum.reduceat(gen[order], start)
        hi = np.maximum.reduceat(gen[order], start)
        near = np.unique(tree.query(shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]))[1])
        pi, fi = points_in_polygons(gen, faces[near])
        fi = near[fi]
        first = np.unique(pi, return_index=True)[1]
        home_face = np.full(n, -1, np.int64)
        home_face[pi[first]] = fi[first]
        known = np.flatnonzero(home_face >= 0)
        shapely.prepare(faces)
        inside = known[shapely.contains(faces[home_face[known]], tiles[known])]
        tile_face[inside] = home_face[inside]
        rest = np.setdiff1d(np.arange(n), inside)
        ti, fi = tree.query(tiles[rest], predicate="intersects")
        ti = rest[ti]
        one = np.bincount(ti, minlength=n)[ti] == 1
        tile_face[ti[one]] = fi[one]
        mt, mf = ti[~one], fi[~one]
        if len(mt):
            cut = polygonal(threaded(shapely.intersection, tiles[mt], faces[mf]))
            parts, j = shapely.get_parts(cut, return_index=True)
            part_geom.append(parts)
            part_tile.append(mt[j])
            part_face.append(mf[j])
    # Tiles in several parts (cells clipped to a concave region) that no face cut.
    multi = np.flatnonzero(shapely.get_num_geometries(tiles) > 1)
    if len(part_tile):
        multi = np.setdiff1d(multi, part_tile[0])
    if len(multi):
        parts, j = shapely.get_parts(tiles[multi], return_index=True)
        part_geom.append(parts)
        part_tile.append(multi[j])
        part_face.append(tile_face[multi[j]])
    if not part_geom:
        return tiles.copy(), np.arange(n), tile_face, np.ones(n, bool)
    geom = np.concatenate(part_geom)
    tile = np.concatenate(part_tile)
    face = np.concatenate(part_face)
    area = shapely.area(geom)
    ok = area > 0
    geom, tile, face, area = geom[ok], tile[ok], face[ok], area[ok]
    count = np.bincount(tile, minlength=n)
    # A tile left in one piece (it only touched the other faces) stays as it was.
    alone = count[tile] == 1
    tile_face[tile[alone]] = face[alone]
    geom, tile, face, area = geom[~alone], tile[~alone], face[~alone], area[~alone]
    # Distance to the generator: 0 for the piece(s) holding it, measured only
    # for tiles none of whose pieces does (no Point objects for the others).
    dist = np.where(shapely.intersects_xy(geom, gen[tile, 0], gen[tile, 1]), 0.0, np.inf)
    held = np.zeros(n, bool)
    held[tile[dist == 0]] = True
    far = np.flatnonzero(~held[tile])
    if len(far):
        dist[far] = shapely.distance(geom[far], shapely.points(gen[tile[far]]))
    order = np.lexsort((-area, dist, tile))
    first = np.zeros(len(tile), bool)
    first[order[np.unique(tile[order], return_index=True)[1]]] = True
    keep = count < 2
    return (
        np.concatenate([tiles[keep], geom]),
        np.concatenate([np.flatnonzero(keep), tile]),
        np.concatenate([tile_face[keep], face]),
        np.concatenate([np.ones(int(keep.sum()), bool), first]),
    )


def _best_owner(
    item: np.ndarray,
    nbr: np.ndarray,
    length: np.ndarray,
    owner: np.ndarray,
    min_border: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """For each item, the owner it shares the longest border with (ties: lowest owner).

    Owners sharing less than ``min_border`` (m) in all are not candidates.
    """
    if len(item) == 0:
        return item, item
    frame = pd.DataFrame({"i": item, "o": owner[nbr], "len": length})
    total = frame.groupby(["i", "o"], sort=False)["len"].sum().reset_index()
    total = total[total["len"] >= min_border]
    total = total.sort_values(["i", "len", "o"], ascending=[True, False, True], kind="stable")
    best = total.drop_duplicates("i")
    return best["i"].to_numpy(np.int64), best["o"].to_numpy(np.int64)


def _assign_pieces(
    owner: np.ndarray,
    block: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    length: np.ndarray,
    site_block: np.ndarray,
) -> np.ndarray:
    """Give every piece without an owner (-1) to a neighbouring tile.

    First a piece joins, across its longest border, a tile of its own block
    (the streets' block, inside its region); then what is left -- blocks
    without any building, and pieces cut off from their block's tiles -- goes,
    one connected group per block at a time, to the tile it shares the longest
    border with. Pieces that touch no tile keep -1.

    Borders shorter than :data:`MIN_BORDER_M` count only when nothing else is
    left: a piece joined across a point-like border would pinch its tile (a
    neck that reprojection can turn into a self-intersection).
    """
    owner = owner.copy()
    ea = np.concatenate([a, b])
    eb = np.concatenate([b, a])
    el = np.concatenate([length, length])
    for min_border in (MIN_BORDER_M, 0.0):
        owner = _assign_round(owner, block, ea, eb, el, site_block, min_border)
    return owner


def _assign_round(
    owner: np.ndarray,
    block: np.ndarray,
    ea: np.ndarray,
    eb: np.ndarray,
    el: np.ndarray,
    site_block: np.ndarray,
    min_border: float,
) -> np.ndarray:
    """The hand-over of :func:`_assign_pieces` with borders of at least ``min_border``."""
    for _ in range(len(owner) + 1):
        changed = False
        while True:  # same-block hand-over, round by round
            sel = (owner[ea] < 0) & (owner[eb] >= 0) & (block[ea] == block[eb])
            sel &= np.isin(block[ea], site_block)
            item, who = _best_owner(ea[sel], eb[sel], el[sel], owner, min_border)
            if len(item) == 0:
                break
            owner[item] = who
            changed = True
        free = np.flatnonzero(owner < 0)
        if len(free) == 0:
            break
        # Connected groups of free pieces within a block.
        inner = (owner[ea] < 0) & (owner[eb] < 0) & (block[ea] == block[eb])
        inner &= el >= min_border
        m = len(owner)
        mat = coo_array((np.ones(int(inner.sum())), (ea[inner], eb[inner])), shape=(m, m))
        group = connected_components(mat.tocsr(), directed=False)[1]
        sel = (owner[ea] < 0) & (owner[eb] >= 0)
        item, who = _best_owner(group[ea[sel]], eb[sel], el[sel], owner, min_border)
        if len(item):
            gown = np.full(m, -1, np.int64)
            gown[item] = who
            take = free[gown[group[free]] >= 0]
            owner[take] = gown[group[take]]
            changed = True
        if not changed:
            break
    return owner


def _street_tiles(
    gen: np.ndarray, tiles: np.ndarray, site_region: np.ndarray, faces: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tiles whose borders follow the streets; returns tiles, loose parts and adjacency.

    Each region's Voronoi tiles are cut by the street faces (and into their
    parts). A tile keeps its home piece; every other piece goes to a tile of
    the block it lies in, a block without any building to the tile it shares
    the longest border with (:func:`_assign_pieces`). All pieces come from one
    Voronoi diagram per region cut by one set of faces, so they are an exact
    coverage of the region and so are their unions. Regions do not interact:
    the result for a region does not depend on the others passed along.

    Returns
    -------
    tiles : ndarray of Polygon
    loose, loose_site : ndarray
        Parts no tile could take (larger than 1 m²) and the site whose tile
        they were cut from, in site order.
    u, v, length : ndarray
        Adjacency of the new tiles within each region, with the length of
        their shared border.
    """
    n = len(tiles)
    pieces, src, face, home = _pieces_of_tiles(gen, tiles, site_region, faces)
    region = site_region[src]
    # Blocks: faces within a region.
    n_faces = int(face.max()) + 1 if len(face) else 1
    block = region * n_faces + face
    owner = np.where(home, src, -1)
    site_block = np.unique(block[home])
    # A sliver between a street and a community boundary that nearly coincide is no
    # block: it belongs to no block and joins the tile it borders longest.
    thin = ~home & (2.0 * shapely.area(pieces) < SLIVER_M * shapely.length(pieces))
    block[thin] = -1 - np.arange(int(thin.sum()))
    pa, pb, p, q = _matched_edges(pieces, group=region)
    pa, pb, plen = _sum_pairs(pa, pb, np.hypot(*(q - p).T), len(pieces))
    owner = _assign_pieces(owner, block, pa, pb, plen, site_block)
    lost = np.flatnonzero((owner < 0) & (shapely.area(pieces) > 1.0))
    lost = lost[np.argsort(src[lost], kind="stable")]
    out = tiles.copy()
    kept = np.flatnonzero(owner >= 0)
    several = np.bincount(owner[kept], minlength=n) > 1
    rebuilt = kept[several[owner[kept]] | ~home[kept]]
    if len(rebuilt):
        from gridmap.partition.polygons import grouped_union

        merged = grouped_union(pieces[rebuilt], owner[rebuilt])
        for t, geom in merged.items():
            out[int(t)] = geom  # type: ignore[call-overload]
    single = kept[~several[owner[kept]] & home[kept]]
    out[owner[single]] = pieces[single]
    # Adjacency of the tiles: borders between pieces of different tiles.
    oa, ob = owner[pa], owner[pb]
    diff = (oa >= 0) & (ob >= 0) & (oa != ob)
    u = np.minimum(oa[diff], ob[diff])
    v = np.maximum(oa[diff], ob[diff])
    u, v, length = _sum_pairs(u, v, plen[diff], n)
    return out, pieces[lost], src[lost], u, v, length


def _tiles_job(
    gen: np.ndarray,
    tiles: np.ndarray,
    site_region: np.ndarray,
    faces: np.ndarray,
    sites: np.ndarray,
    wkb: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The street tiles of ``sites`` (all sites of some regions): a job of build_site_graph.

    With ``wkb`` (jobs on worker processes), geometry is returned as WKB: sent
    in a few milliseconds, where pickling 100,000 geometries one by one takes
    a second. Sites are given by their index among all sites.
    """
    out, loose, loose_site, u, v, length = _street_tiles(
        gen[sites], tiles[sites], site_region[sites], faces
    )
    return (
        shapely.to_wkb(out) if wkb else out,
        shapely.to_wkb(loose) if wkb else loose,
        sites[loose_site],
        sites[u],
        sites[v],
        length,
    )


_NO_FACES = np.empty(0, dtype=object)


def _frame(regions: np.ndarray, clip: Geometry) -> Geometry:
    """A box around all regions and the clip area (the extent street faces must cover)."""
    valid = [g for g in regions if g is not None and not shapely.is_empty(g)]
    bounds = shapely.total_bounds(np.asarray([*valid, clip], dtype=object))
    return shapely.box(*bounds).buffer(10.0, join_style="mitre")


def _crossing_street(a: np.ndarray, b: np.ndarray, streets: np.ndarray) -> np.ndarray:
    """Whether the segment from ``a[i]`` to ``b[i]`` crosses any street line."""
    out = np.zeros(len(a), bool)
    if len(streets) == 0 or len(a) == 0:
        return out
    segs = shapely.linestrings(np.stack([a, b], axis=1))
    hit, _ = shapely.STRtree(streets).query(segs, predicate="intersects")
    out[np.unique(hit)] = True
    return out


def _scorer_pairs(
    xy: np.ndarray, site_region: np.ndarray, clip: Geometry, streets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Condition 1 of an edge: the scorer's global Voronoi contiguity, within one region.

    Returns the pairs and whether the segment between their sites crosses a street.
    """
    gu, gv = voronoi_neighbours(xy, clip)
    same_region = site_region[gu] == site_region[gv]
    gu, gv = gu[same_region], gv[same_region]
    return gu, gv, _crossing_street(xy[gu], xy[gv], streets)


def build_site_graph(
    xy: np.ndarray,
    site_region: np.ndarray,
    regions: np.ndarray,
    *,
    streets: np.ndarray,
    clip: Geometry,
    locate: np.ndarray | None = None,
    empty_ok: np.ndarray | None = None,
    follow_streets: bool = True,
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
    follow_streets : bool
        Cut the tiles along the streets (:func:`street_faces`), so tile and
        grid borders run on street centre lines where streets exist.

    Returns
    -------
    SiteGraph
    """
    n = len(xy)
    gen = xy if locate is None else locate

    # The Voronoi tiles (one vectorised call) and the street faces do not
    # depend on each other: the faces on another thread meanwhile when more
    # than one CPU is allowed (GEOS releases the GIL). The thread ends before
    # any process is forked below.
    def faces_of() -> np.ndarray:
        return street_faces(streets, _frame(regions, clip)) if follow_streets else _NO_FACES

    if available_workers() > 1:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            faces_job = pool.submit(faces_of)
            voronoi = _all_region_tiles(gen, site_region, regions)
            faces = faces_job.result()
    else:
        voronoi = _all_region_tiles(gen, site_region, regions)
        faces = faces_of()
    # The street cuts of a region do not depend on the other regions: jobs of
    # a few regions each, on worker processes for large inputs. The scorer's
    # contiguity (global) is worked out here meanwhile.
    groups = job_groups(np.bincount(site_region, minlength=len(regions)).tolist())
    # Geometry crosses the pipes as WKB; jobs run here keep their objects.
    wkb = process_count(n) > 1
    jobs: list[dict[str, Any]] = [
        {
            "gen": gen,
            "tiles": voronoi,
            "site_region": site_region,
            "faces": faces,
            "sites": sites,
            "wkb": wkb,
        }
        for sites in (np.flatnonzero(np.isin(site_region, group)) for group in groups)
        if len(sites)
    ]
    scorer: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    done = run_jobs(
        _tiles_job,
        jobs,
        sizes=[len(job["sites"]) for job in jobs],
        meanwhile=lambda: scorer.append(_scorer_pairs(xy, site_region, clip, streets)),
    )
    gu, gv, crossing = scorer[0]
    tiles = np.empty(n, dtype=object)
    for job, (job_tiles, *_) in zip(jobs, done, strict=True):
        tiles[job["sites"]] = shapely.from_wkb(job_tiles) if wkb else job_tiles
    loose_site = np.concatenate([d[2] for d in done] or [np.empty(0, np.int64)])
    loose_all = np.concatenate([d[1] for d in done] or [np.empty(0, dtype=object)])
    loose_all = loose_all[np.argsort(loose_site, kind="stable")]
    loose = list(shapely.from_wkb(loose_all) if wkb else loose_all)
    a, b = (np.concatenate([d[k] for d in done] or [np.empty(0, np.int64)]) for k in (3, 4))
    shared = np.concatenate([d[5] for d in done] or [np.empty(0)])
    # Regions without any site (a locked area may hold none: it is a grid anyway).
    held = np.bincount(site_region, minlength=len(regions)) > 0
    for r in np.flatnonzero(~held).tolist():
        region = regions[r]
        if empty_ok is not None and empty_ok[r]:
            continue
        empty = region is None or shapely.is_empty(region) or shapely.area(region) <= 1.0
        if not empty:
            loose.append(region)
    # Condition 2: the tiles share identical edges in one region.
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
        crosses_street=crossing[keep],
        loose=loose,
    )
