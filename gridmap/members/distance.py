"""Walking distances from members' homes to household blocks.

Two models: network distance on a street graph built from the ``roads`` layer
(shortest paths with SciPy's compiled Dijkstra, many sources per call), or the
straight line times ``settings.DETOUR_FACTOR`` when no street graph is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from gridmap import settings
from gridmap.errors import InputError
from gridmap.messages import msg

__all__ = ["SEGMENT_M", "StreetGraph", "street_graph", "walk_distances"]

# Long road segments are cut into pieces of at most 25 m so that a building
# snaps to a point of the street near it, not to a junction 200 m away.
SEGMENT_M = 25.0
# Dijkstra stops at this multiple of the longest straight-line distance asked
# for (plus 500 m); pairs not reached by then use the straight-line model.
NETWORK_SEARCH_FACTOR = 3.0
# Shortest-path sources per Dijkstra call (memory: batch x street nodes floats).
DIJKSTRA_BATCH = 64


@dataclass(frozen=True)
class StreetGraph:
    """An undirected street graph in a metric CRS.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        Symmetric adjacency matrix, edge lengths in metres.
    xy : ndarray
        Node coordinates, shape (n_nodes, 2).
    snap_nodes : ndarray
        Nodes of the largest connected component: points snap only to these,
        so a footpath fragment cut off at the edge of an extract catches no one.
    """

    matrix: sparse.csr_array
    xy: np.ndarray
    snap_nodes: np.ndarray

    @cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(self.xy[self.snap_nodes])

    def snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest graph node of each point and the distance to it (m)."""
        dist, idx = self._tree.query(xy)
        return self.snap_nodes[idx], dist


def street_graph(roads: gpd.GeoDataFrame, *, crs: object) -> StreetGraph | None:
    """Build the street graph of a roads layer.

    Parameters
    ----------
    roads : GeoDataFrame
        LineString / MultiLineString features (other geometry types are
        ignored); ways meet where they share a vertex, as OSM ways do at
        junctions.
    crs : CRS-like
        The metric CRS to compute in.

    Returns
    -------
    StreetGraph or None
        None when the layer holds no line.
    """
    if roads.crs is None:
        raise InputError(msg("members.roads_no_crs"))
    lines = roads.to_crs(crs).geometry
    lines = lines[lines.geom_type.isin(("LineString", "MultiLineString")) & ~lines.is_empty]
    if lines.empty:
        return None
    parts = shapely.get_parts(lines.to_numpy())
    parts = shapely.segmentize(parts, SEGMENT_M)
    coords, owner = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords, 2)
    _, first, node = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    node = node.ravel()
    xy = coords[first]
    same_line = owner[1:] == owner[:-1]
    tail, head = node[:-1][same_line], node[1:][same_line]
    length = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T)
    keep = tail != head
    tail, head, length = tail[keep], head[keep], length[keep]
    n = len(xy)
    # Two ways along the same street segment: keep the shorter edge.
    pairs = np.concatenate([np.stack([tail, head], 1), np.stack([head, tail], 1)])
    weights = np.concatenate([length, length])
    order = np.lexsort((weights, pairs[:, 1], pairs[:, 0]))
    pairs, weights = pairs[order], weights[order]
    unique = np.ones(len(pairs), dtype=bool)
    unique[1:] = np.any(pairs[1:] != pairs[:-1], axis=1)
    pairs, weights = pairs[unique], weights[unique]
    matrix = sparse.csr_array((weights, (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = csgraph.connected_components(matrix, directed=False)
    biggest = np.bincount(label).argmax()
    return StreetGraph(matrix=matrix, xy=xy, snap_nodes=np.flatnonzero(label == biggest))


def walk_distances(
    src_xy: np.ndarray,
    dst_xy: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    *,
    graph: StreetGraph | None = None,
    detour: float = settings.DETOUR_FACTOR,
) -> tuple[np.ndarray, int]:
    """Walking distance in metres for pairs of points.

    Parameters
    ----------
    src_xy, dst_xy : ndarray
        Source (home) and destination (block) coordinates, shape (n, 2).
    src, dst : ndarray of int
        The pairs: distance from ``src_xy[src[k]]`` to ``dst_xy[dst[k]]``.
    graph : StreetGraph, optional
        Street graph; without it the straight line times ``detour``.
    detour : float, default settings.DETOUR_FACTOR
        Route factor of the straight-line model.

    Returns
    -------
    distances : ndarray of float
        One distance per pair.
    fallback : int
        Pairs measured by the straight-line model although a graph was given
        (not connected within the search radius, or nearer to each other than
        to any street, like two entrances of one courtyard).
    """
    src_xy = np.asarray(src_xy, dtype=float)
    dst_xy = np.asarray(dst_xy, dtype=float)
    straight = np.hypot(*(src_xy[src] - dst_xy[dst]).T) * detour
    if graph is None or len(src) == 0:
        return straight, 0
    used_src = np.unique(src)
    used_dst = np.unique(dst)
    src_node = np.zeros(len(src_xy), dtype=np.int64)
    src_snap = np.zeros(len(src_xy))
    dst_node = np.zeros(len(dst_xy), dtype=np.int64)
    dst_snap = np.zeros(len(dst_xy))
    src_node[used_src], src_snap[used_src] = graph.snap(src_xy[used_src])
    dst_node[used_dst], dst_snap[used_dst] = graph.snap(dst_xy[used_dst])
    sources, row = np.unique(src_node[src], return_inverse=True)
    row = row.ravel()
    limit = float(straight.max()) * NETWORK_SEARCH_FACTOR + 500.0
    path = np.full(len(src), np.inf)
    # Sources in batches: one Dijkstra row per source is n_nodes floats.
    order = np.argsort(row, kind="stable")
    bounds = np.searchsorted(
        row[order], np.arange(0, len(sources) + DIJKSTRA_BATCH, DIJKSTRA_BATCH)
    )
    for k in range(0, len(sources), DIJKSTRA_BATCH):
        batch = sources[k : k + DIJKSTRA_BATCH]
        table = csgraph.dijkstra(graph.matrix, directed=False, indices=batch, limit=limit)
        pick = order[bounds[k // DIJKSTRA_BATCH] : bounds[k // DIJKSTRA_BATCH + 1]]
        path[pick] = table[row[pick] - k, dst_node[dst[pick]]]
    network = src_snap[src] + path + dst_snap[dst]
    close = straight / detour <= src_snap[src] + dst_snap[dst]
    use_straight = close | ~np.isfinite(network)
    out = np.where(use_straight, straight, network)
    fallback = int((use_straight & ~close).sum())
    return out, fallback
