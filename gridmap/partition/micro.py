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
buildings has ~10,000 grids, so all grids are grown in one pass over the sites
(:func:`grouped_micro_labels`) with the per-grid set-up done by numpy.
"""

from __future__ import annotations

import heapq

import numpy as np

from gridmap.partition.solve import choose_grid_count

__all__ = ["micro_labels", "grouped_micro_labels"]


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
    return grouped_micro_labels(xy, households, u, v, np.zeros(n, np.int64), low=low, high=high)


def _group_order(xy: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Indices sorted by group, then as :func:`~gridmap.partition.codes.nw_se_order` within it."""
    r = np.round(np.asarray(xy, dtype=float).reshape(-1, 2), 2)
    key = np.round(r[:, 0] - r[:, 1], 2)
    return np.lexsort((r[:, 0], -r[:, 1], key, group))


def grouped_micro_labels(
    xy: np.ndarray,
    households: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    group: np.ndarray,
    *,
    low: int,
    high: int,
) -> np.ndarray:
    """:func:`micro_labels` of every group (grid) at once.

    Parameters
    ----------
    xy : ndarray (n, 2)
        Site coordinates (metric).
    households : ndarray (n,)
        Households of each site.
    u, v : ndarray
        Adjacent site pairs; pairs across groups are ignored.
    group : ndarray (n,) of int
        Group (grid) of each site.
    low, high : int
        Micro-grid bounds.

    Returns
    -------
    ndarray (n,)
        Micro-grid number within its group (0, 1, ... north-west to south-east).
    """
    n = len(xy)
    group = np.asarray(group, dtype=np.int64)
    hh = np.asarray(households, dtype=np.int64)
    out = np.zeros(n, np.int64)
    if n == 0:
        return out
    n_groups = int(group.max()) + 1
    total = np.bincount(group, weights=hh, minlength=n_groups).astype(np.int64)
    size = np.bincount(group, minlength=n_groups)
    positive = np.bincount(group, weights=(hh > 0), minlength=n_groups).astype(np.int64)
    grow = (size > 1) & (total > high)
    if not grow.any():
        return out
    target = np.zeros(n_groups)
    for gr in np.flatnonzero(grow).tolist():
        m = choose_grid_count(int(total[gr]), low, high, n_nodes=int(positive[gr]) or 1)
        target[gr] = total[gr] / m
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    same = (group[u] == group[v]) & grow[group[u]]
    nbrs = _neighbours(n, u[same], v[same])
    hh_l = hh.tolist()
    px = xy[:, 0].tolist()
    py = xy[:, 1].tolist()
    grp = group.tolist()
    tgt = target.tolist()
    label = [-1] * n
    loads: list[int] = []
    seeds = _group_order(xy, group)
    seeds = seeds[grow[group[seeds]]]
    for s in seeds.tolist():
        if label[s] >= 0:
            continue
        cur = len(loads)
        load = 0
        sx, sy = px[s], py[s]
        goal = tgt[grp[s]]
        heap = [(0.0, s)]
        pushed = {s}
        while heap and load < goal:
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
    sel = np.flatnonzero(grow[group])
    lab = np.asarray(label, dtype=np.int64)
    lab = _join_small(lab, sel, loads, nbrs, low, high)
    # Renumber NW -> SE within each group by the mean position of each micro-grid.
    uniq, inv = np.unique(lab[sel], return_inverse=True)
    inv = inv.ravel()
    cnt = np.bincount(inv)
    cx = np.bincount(inv, weights=xy[sel, 0]) / cnt
    cy = np.bincount(inv, weights=xy[sel, 1]) / cnt
    mgroup = np.zeros(len(uniq), np.int64)
    mgroup[inv] = group[sel]
    order = _group_order(np.column_stack([cx, cy]), mgroup)
    first = np.searchsorted(mgroup[order], mgroup[order], side="left")
    rank = np.empty(len(uniq), np.int64)
    rank[order] = np.arange(len(uniq)) - first
    out[sel] = rank[inv]
    return out


def _neighbours(n: int, u: np.ndarray, v: np.ndarray) -> list[list[int]]:
    """Adjacency lists of ``n`` sites from the pairs ``u``-``v``."""
    a = np.concatenate([u, v])
    b = np.concatenate([v, u])
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    bounds = np.searchsorted(a, np.arange(n + 1))
    flat = b.tolist()
    return [flat[bounds[i] : bounds[i + 1]] for i in range(n)]


def _join_small(
    label: np.ndarray,
    sites: np.ndarray,
    loads: list[int],
    nbrs: list[list[int]],
    low: int,
    high: int,
) -> np.ndarray:
    """Join micro-grids below ``low`` into the adjacent micro-grid that stays smallest.

    Micro-grids of different groups never touch in ``nbrs``, so the groups are
    joined independently of each other.
    """
    label = label.copy()
    loads = list(loads)
    alive = [True] * len(loads)
    if not any(x < low for x in loads):
        return label
    lab_sites = label[sites]
    order = np.argsort(lab_sites, kind="stable")
    starts = np.searchsorted(lab_sites[order], np.arange(len(loads) + 1))
    members: list[list[int]] = [
        sites[order[starts[g] : starts[g + 1]]].tolist() for g in range(len(loads))
    ]
    for _ in range(len(loads)):
        small = [g for g in range(len(loads)) if alive[g] and loads[g] < low]
        if not small:
            break
        merged = False
        for g in sorted(small, key=lambda x: (loads[x], x)):
            if not alive[g] or loads[g] >= low:
                continue
            near = sorted({int(label[y]) for x in members[g] for y in nbrs[x]} - {g})
            if not near:
                continue
            fits = [h for h in near if loads[h] + loads[g] <= high]
            pool = fits or near
            h = min(pool, key=lambda x: (loads[x], x))
            label[members[g]] = h
            members[h].extend(members[g])
            members[g] = []
            loads[h] += loads[g]
            loads[g] = 0
            alive[g] = False
            merged = True
        if not merged:
            break
    return label
