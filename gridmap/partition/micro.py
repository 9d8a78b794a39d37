"""Micro-grids (微网格): groups of 30-80 households inside each grid.

A micro-grid is "one building or a few units" (settings.DEFAULT_MICRO_*), so
its members are sites (buildings and unit rows), not compounds. Inside a grid
of ``H`` households, ``m`` micro-grids are grown (``m`` puts the mean nearest
the middle of the bounds, as for grids): from the north-westmost free site,
a micro-grid takes the nearest adjacent free sites (graph neighbours, by
distance to the seed) until it reaches ``H / m``, skipping a site that would
push it past the maximum. Micro-grids still below the minimum then join the
adjacent micro-grid that stays smallest. Growth and joins follow the site
graph, so every micro-grid is contiguous. A building above the maximum is a
micro-grid of its own (above the bound; the micro-grids table says so).

A greedy growth rather than METIS + repair per grid: a district of 100,000
buildings has ~10,000 grids, and a few microseconds per site keep the level
below a second there.
"""

from __future__ import annotations

import heapq

import numpy as np

from gridmap.partition.codes import nw_se_order
from gridmap.partition.solve import choose_grid_count

__all__ = ["micro_labels"]


def micro_labels(
    xy: np.ndarray,
    households: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    *,
    low: int,
    high: int,
) -> np.ndarray:
    """Micro-grid label (0, 1, ... in north-west to south-east order) of each site.

    Parameters
    ----------
    xy : ndarray (n, 2)
        Site coordinates of one grid (metric).
    households : ndarray (n,)
        Households of each site.
    u, v : ndarray
        Adjacent site pairs (local indices).
    low, high : int
        Micro-grid bounds.

    Returns
    -------
    ndarray (n,)
    """
    n = len(xy)
    hh = np.asarray(households, dtype=np.int64)
    total = int(hh.sum())
    if n <= 1 or total <= high:
        return np.zeros(n, np.int64)
    m = choose_grid_count(total, low, high, n_nodes=int((hh > 0).sum()) or 1)
    target = total / m
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(u.tolist(), v.tolist(), strict=True):
        nbrs[a].append(b)
        nbrs[b].append(a)
    hh_l = hh.tolist()
    px = xy[:, 0].tolist()
    py = xy[:, 1].tolist()
    label = [-1] * n
    loads: list[int] = []
    for s in nw_se_order(xy).tolist():
        if label[s] >= 0:
            continue
        cur = len(loads)
        load = 0
        sx, sy = px[s], py[s]
        heap = [(0.0, s)]
        pushed = {s}
        while heap and load < target:
            _, x = heapq.heappop(heap)
            if label[x] >= 0:
                continue
            if load > 0 and load + hh_l[x] > high:
                continue
            label[x] = cur
            load += hh_l[x]
            for y in nbrs[x]:
                if label[y] < 0 and y not in pushed:
                    pushed.add(y)
                    heapq.heappush(heap, ((px[y] - sx) ** 2 + (py[y] - sy) ** 2, y))
        loads.append(load)
    lab = np.asarray(label, dtype=np.int64)
    lab = _join_small(lab, loads, nbrs, low, high)
    # Renumber NW -> SE by the mean position of each micro-grid.
    uniq, inv = np.unique(lab, return_inverse=True)
    inv = inv.ravel()
    cx = np.bincount(inv, weights=xy[:, 0]) / np.bincount(inv)
    cy = np.bincount(inv, weights=xy[:, 1]) / np.bincount(inv)
    order = nw_se_order(np.column_stack([cx, cy]))
    rank = np.empty(len(uniq), np.int64)
    rank[order] = np.arange(len(uniq))
    return rank[inv]


def _join_small(
    label: np.ndarray, loads: list[int], nbrs: list[list[int]], low: int, high: int
) -> np.ndarray:
    """Join micro-grids below ``low`` into the adjacent micro-grid that stays smallest."""
    label = label.copy()
    loads = list(loads)
    alive = [True] * len(loads)
    for _ in range(len(loads)):
        small = [g for g in range(len(loads)) if alive[g] and loads[g] < low]
        if not small:
            break
        merged = False
        for g in sorted(small, key=lambda x: (loads[x], x)):
            if not alive[g] or loads[g] >= low:
                continue
            members = np.flatnonzero(label == g)
            near = sorted({int(label[y]) for x in members for y in nbrs[x]} - {g})
            if not near:
                continue
            fits = [h for h in near if loads[h] + loads[g] <= high]
            pool = fits or near
            h = min(pool, key=lambda x: (loads[x], x))
            label[members] = h
            loads[h] += loads[g]
            loads[g] = 0
            alive[g] = False
            merged = True
        if not merged:
            break
    return label
