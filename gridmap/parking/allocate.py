"""Allocation of arriving cars to lots within one time slot, for all simulated days at once.

Two rules, compared by the simulation:

- :func:`allocate_fcfs` (first come, first served): every car tries its
  candidate lots in order (its own lot first, then open lots by walking
  distance) and takes the first with a free space. Within a slot, cars are
  served in a random order per choice round: first choices before second
  choices. Vectorised over cars and days; a sort happens only in the few
  (day, lot) cells where requests exceed free spaces.
- :func:`allocate_booking` (central booking): a booking is only granted for a
  stay that ends inside the lot's sharing window (plus grace), and the cars of
  a slot are assigned together by a min-cost flow (OR-Tools
  ``SimpleMinCostFlow``) that minimises total walking, with unmet demand at a
  high cost (higher for owners, so a resident is never displaced by a visitor).
  Days where every car gets its nearest admissible lot skip the solver: there
  the greedy answer is already optimal.

Capacity rules in both: owners of a lot (its residents or workers) may use every
free space; outsiders only the lot's ``shared`` spaces, and only while its
window is open, so reserved spaces (``capacity - shared`` at most) are never
given to outsiders.

The flow network is the standard transportation problem, written here because
no library states this lot/shared-pool structure directly:
``source -> (day, group, admissible set) -> shared pool (outsiders) -> lot -> sink``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

__all__ = ["SlotCars", "LotState", "allocate_fcfs", "allocate_booking", "first_admissible"]


@dataclass
class SlotCars:
    """The cars arriving in one slot (one row per car, all days).

    Attributes
    ----------
    cell_base : ndarray of int
        ``day * n_lots`` (day index within the batch).
    group : ndarray of int
        User group index.
    dep : ndarray of int
        Planned departure slot (``n_slots`` = stays until the day's end).
    key : ndarray of int
        Random order within the slot (integers below ``2**40``).
    eid : ndarray of int
        Request id: breaks ties of ``key``.
    need_fit : ndarray of bool
        For booking: the stay of an outsider must end inside the window.
    """

    cell_base: np.ndarray
    group: np.ndarray
    dep: np.ndarray
    key: np.ndarray
    eid: np.ndarray
    need_fit: np.ndarray

    def __len__(self) -> int:
        return int(self.group.size)


@dataclass
class LotState:
    """Free spaces per (day, lot) cell at the current slot; updated in place.

    Attributes
    ----------
    capacity, shared : ndarray of int, shape (n_days * n_lots,)
    occ_total, occ_out : ndarray of int, same shape
        Cars present and outsiders present.
    open_now : ndarray of bool, same shape
        The lot's sharing window is open at this slot.
    fit_limit : ndarray of int, same shape
        Latest admissible departure slot of an outsider (window end + grace;
        a large number when the window runs to the end of the day).
    n_lots : int
    """

    capacity: np.ndarray
    shared: np.ndarray
    occ_total: np.ndarray
    occ_out: np.ndarray
    open_now: np.ndarray
    fit_limit: np.ndarray
    n_lots: int

    def free(self) -> tuple[np.ndarray, np.ndarray]:
        """Free spaces for owners and for outsiders per cell."""
        free_total = self.capacity - self.occ_total
        return free_total, np.minimum(self.shared - self.occ_out, free_total)

    def commit(self, cells: np.ndarray, owner: np.ndarray) -> None:
        """Add admitted cars to the occupancy."""
        n = self.capacity.size
        self.occ_total += np.bincount(cells, minlength=n).astype(self.occ_total.dtype)
        self.occ_out += np.bincount(cells[~owner], minlength=n).astype(self.occ_out.dtype)


def _admissible(
    cars: SlotCars, idx: np.ndarray, lot: np.ndarray, home: np.ndarray, state: LotState, fit: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells, owner flags and admissibility of cars ``idx`` asking for ``lot``."""
    owner = lot == home[cars.group[idx]]
    cell = cars.cell_base[idx] + lot
    ok = owner | state.open_now[cell]
    if fit:
        ok &= owner | ~cars.need_fit[idx] | (cars.dep[idx] <= state.fit_limit[cell])
    return cell, owner, ok


def _sequential_admit(
    cell: np.ndarray,
    owner: np.ndarray,
    key: np.ndarray,
    eid: np.ndarray,
    free_total: np.ndarray,
    free_out: np.ndarray,
) -> np.ndarray:
    """Admission of cars competing for the same cells, served in ``key`` order.

    In a cell, the i-th car is admitted when owners before it plus admitted
    outsiders before it leave a space (outsiders also need a shared space):
    ``w + min(o, free_out) < free_total`` for owners and
    ``o < free_out and w + o < free_total`` for outsiders, where ``w`` and ``o``
    count the owners and outsiders ahead of it. This is exactly serving the
    cars one by one, without a Python loop.
    """
    # One integer sort on (cell, key); keys are 40-bit, so ties are rare and then
    # broken by request id like the reference loop.
    comp = (cell.astype(np.int64) << 40) | key
    order = np.argsort(comp)
    ranked = comp[order]
    if ranked.size > 1 and (ranked[1:] == ranked[:-1]).any():
        order = np.lexsort((eid, key, cell))
        ranked = (cell[order].astype(np.int64) << 40) | key[order]
    c = ranked >> 40
    n = c.size
    start = np.empty(n, dtype=bool)
    start[0] = True
    np.not_equal(c[1:], c[:-1], out=start[1:])
    first = np.flatnonzero(start)
    seg = np.cumsum(start, dtype=np.int32) - 1
    ft = free_total[c]
    own = owner[order]
    if own.all():
        # Owners only (the usual case, e.g. residents at the day's start): the first
        # free_total cars of each cell get in.
        admit_sorted = np.arange(n, dtype=np.int64) - first[seg] < ft
    else:
        w_before = np.cumsum(own, dtype=np.int64) - own
        o_before = np.cumsum(~own, dtype=np.int64) - ~own
        w_before -= w_before[first][seg]
        o_before -= o_before[first][seg]
        fo = free_out[c]
        admit_sorted = np.where(
            own,
            w_before + np.minimum(o_before, fo) < ft,
            (o_before < fo) & (w_before + o_before < ft),
        )
    admit = np.empty_like(admit_sorted)
    admit[order] = admit_sorted
    return admit


def allocate_fcfs(
    cars: SlotCars,
    state: LotState,
    *,
    candidates: np.ndarray,
    home: np.ndarray,
    fit: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """First come, first served over choice rounds; updates ``state``.

    Parameters
    ----------
    cars : SlotCars
    state : LotState
    candidates : ndarray of int, shape (n_groups, k)
        Lots each group tries, in order; -1 pads.
    home : ndarray of int, shape (n_groups,)
        The group's own lot or -1.
    fit : bool
        Apply the booking rule that an outsider's stay must end in the window.

    Returns
    -------
    lot : ndarray of int
        Lot of each car, -1 when none was found.
    first_choice : ndarray of bool
        The car got the first lot it was admissible to (no capacity refusal).
    """
    n = len(cars)
    lot_of = np.full(n, -1, dtype=np.int64)
    refused = np.zeros(n, dtype=bool)
    idx: np.ndarray | None = None  # cars still looking; None: all of them (no copies)

    def sub(a: np.ndarray, where: np.ndarray | None) -> np.ndarray:
        return a if where is None else a[where]

    for k in range(candidates.shape[1]):
        if idx is not None and idx.size == 0:
            break
        group = sub(cars.group, idx)
        lot = candidates[group, k]
        valid = lot >= 0
        if not valid.all():
            idx = np.flatnonzero(valid) if idx is None else idx[valid]
            group, lot = group[valid], lot[valid]
            if idx.size == 0:
                break
        owner = lot == home[group]
        cell = sub(cars.cell_base, idx) + lot
        ok = owner | state.open_now[cell]
        if fit:
            ok &= owner | ~sub(cars.need_fit, idx) | (sub(cars.dep, idx) <= state.fit_limit[cell])
        if ok.all():
            elig, cell_e, own_e, lot_e = idx, cell, owner, lot
            waiting = np.zeros(0, dtype=np.int64)
        else:
            where_ok = np.flatnonzero(ok)
            elig = where_ok if idx is None else idx[where_ok]
            cell_e, own_e, lot_e = cell[where_ok], owner[where_ok], lot[where_ok]
            waiting = np.flatnonzero(~ok) if idx is None else idx[~ok]
        n_cells = state.capacity.size
        if cell_e.size * 8 >= n_cells:
            # Many cars: count requests over all cells.
            ids, ncell = cell_e, n_cells
            free_total, free_out = state.free()
        else:
            # Few cars (later rounds, quiet slots): work on the cells they ask for only.
            cells_u, ids = np.unique(cell_e, return_inverse=True)
            ids = ids.ravel()
            ncell = cells_u.size
            free_total = state.capacity[cells_u] - state.occ_total[cells_u]
            free_out = np.minimum(state.shared[cells_u] - state.occ_out[cells_u], free_total)
        req_own = np.bincount(ids[own_e], minlength=ncell)
        req_out = np.bincount(ids[~own_e], minlength=ncell)
        contested = (req_own + req_out > free_total) | (req_out > free_out)
        admit = ~contested[ids]
        hot = np.flatnonzero(~admit)
        if hot.size:
            hot_ids = hot if elig is None else elig[hot]
            admit[hot] = _sequential_admit(
                ids[hot], own_e[hot], cars.key[hot_ids], cars.eid[hot_ids], free_total, free_out
            )
        if ncell == n_cells:
            state.commit(cell_e[admit], own_e[admit])
        else:
            state.occ_total[cells_u] += np.bincount(ids[admit], minlength=ncell)
            state.occ_out[cells_u] += np.bincount(ids[admit & ~own_e], minlength=ncell)
        if elig is None:
            lot_of[admit] = lot_e[admit]
            rejected = np.flatnonzero(~admit)
        else:
            lot_of[elig[admit]] = lot_e[admit]
            rejected = elig[~admit]
        refused[rejected] = True
        idx = np.concatenate([waiting, rejected])
    return lot_of, ~refused


def first_admissible(
    cars: SlotCars, state: LotState, *, candidates: np.ndarray, home: np.ndarray, fit: bool
) -> np.ndarray:
    """The first candidate lot each car may use, ignoring free spaces (-1 if none)."""
    n = len(cars)
    first = np.full(n, -1, dtype=np.int64)
    pending = np.arange(n)
    for k in range(candidates.shape[1]):
        if pending.size == 0:
            break
        lot = candidates[cars.group[pending], k]
        pending = pending[lot >= 0]
        lot = lot[lot >= 0]
        _, _, ok = _admissible(cars, pending, lot, home, state, fit)
        first[pending[ok]] = lot[ok]
        pending = pending[~ok]
    return first


def allocate_booking(
    cars: SlotCars,
    state: LotState,
    *,
    candidates: np.ndarray,
    home: np.ndarray,
    cost: np.ndarray,
    owner_priority: np.ndarray,
    unmet_cost: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Central booking: per-slot min-cost flow over the days that need it; updates ``state``.

    Parameters
    ----------
    cars, state, candidates, home
        As :func:`allocate_fcfs`.
    cost : ndarray of int, shape (n_groups, n_lots)
        Walking cost in whole metres (own lot: 0).
    owner_priority : ndarray of bool, shape (n_groups,)
        Groups whose unmet demand costs twice as much (residents, workers).
    unmet_cost : int
        Cost of leaving a car without a space (more than any walk).

    Returns
    -------
    lot, first_choice : ndarray
        As :func:`allocate_fcfs`.
    """
    n = len(cars)
    lot_of = np.full(n, -1, dtype=np.int64)
    first_ok = np.zeros(n, dtype=bool)
    if n == 0:
        return lot_of, first_ok
    first = first_admissible(cars, state, candidates=candidates, home=home, fit=True)
    has = first >= 0
    cell = cars.cell_base + np.where(has, first, 0)
    owner = has & (first == home[cars.group])
    free_total, free_out = state.free()
    n_cells = free_total.size
    req_own = np.bincount(cell[has & owner], minlength=n_cells)
    req_out = np.bincount(cell[has & ~owner], minlength=n_cells)
    over = (req_own + req_out > free_total) | (req_out > free_out)
    day = cars.cell_base // state.n_lots
    n_days = n_cells // state.n_lots
    hard_day = np.zeros(n_days, dtype=bool)
    hard_day[day[has & over[cell]]] = True
    easy = has & ~hard_day[day]
    state.commit(cell[easy], owner[easy])
    lot_of[easy] = first[easy]
    first_ok[easy] = True
    hard = np.flatnonzero(hard_day[day])
    if hard.size:
        lots, ok_first = _solve_flow(
            cars, hard, state, candidates=candidates, home=home, cost=cost,
            owner_priority=owner_priority, unmet_cost=unmet_cost, first=first[hard],
        )  # fmt: skip
        lot_of[hard] = lots
        first_ok[hard] = ok_first
    return lot_of, first_ok


def _solve_flow(
    cars: SlotCars,
    idx: np.ndarray,
    state: LotState,
    *,
    candidates: np.ndarray,
    home: np.ndarray,
    cost: np.ndarray,
    owner_priority: np.ndarray,
    unmet_cost: int,
    first: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    n_lots = state.n_lots
    k_max = candidates.shape[1]
    group = cars.group[idx]
    # Admissibility of each car for each of its candidates (window, fit).
    elig = np.zeros((idx.size, k_max), dtype=bool)
    for k in range(k_max):
        lot = candidates[group, k]
        valid = lot >= 0
        _, _, ok = _admissible(cars, idx[valid], lot[valid], home, state, True)
        elig[np.flatnonzero(valid)[ok], k] = True
    # Cars of one day and group with the same admissible set are interchangeable.
    day = (cars.cell_base[idx] // n_lots).astype(np.int64)
    group = group.astype(np.int64)
    n_groups = candidates.shape[0]
    if k_max <= 24:
        # Pack (day, group, admissible set) into one integer: a fast 1-D unique.
        bits = elig.astype(np.int64) @ (np.int64(1) << np.arange(k_max, dtype=np.int64))
        code = ((day * n_groups + group) << k_max) | bits
        uniq, cls_of, counts = np.unique(code, return_inverse=True, return_counts=True)
        cls_day = (uniq >> k_max) // n_groups
        cls_group = (uniq >> k_max) % n_groups
        cls_elig = ((uniq[:, None] >> np.arange(k_max)) & 1).astype(bool)
    else:
        rows = np.column_stack([day, group, elig.astype(np.int64)])
        classes, cls_of, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
        cls_day = classes[:, 0]
        cls_group = classes[:, 1]
        cls_elig = classes[:, 2:].astype(bool)
    cls_of = cls_of.ravel()
    n_cls = cls_day.shape[0]

    tails, heads, caps, costs = [], [], [], []
    ci, kk = np.nonzero(cls_elig)
    arc_lot = candidates[cls_group[ci], kk]
    arc_owner = arc_lot == home[cls_group[ci]]
    arc_cell = cls_day[ci] * n_lots + arc_lot
    cells = np.unique(arc_cell)
    n_cells = cells.size
    # Node numbering: classes, then lot nodes, then shared-pool nodes, then the sink.
    lot_node0 = n_cls
    pool_node0 = n_cls + n_cells
    sink = n_cls + 2 * n_cells
    pos = np.searchsorted(cells, arc_cell)
    tails.append(ci)
    heads.append(np.where(arc_owner, lot_node0 + pos, pool_node0 + pos))
    caps.append(counts[ci])
    costs.append(cost[cls_group[ci], arc_lot])
    free_total, free_out = state.free()
    tails.append(pool_node0 + np.arange(n_cells))
    heads.append(lot_node0 + np.arange(n_cells))
    caps.append(np.maximum(free_out[cells], 0))
    costs.append(np.zeros(n_cells, dtype=np.int64))
    tails.append(lot_node0 + np.arange(n_cells))
    heads.append(np.full(n_cells, sink))
    caps.append(np.maximum(free_total[cells], 0))
    costs.append(np.zeros(n_cells, dtype=np.int64))
    tails.append(np.arange(n_cls))
    heads.append(np.full(n_cls, sink))
    caps.append(counts)
    costs.append(np.where(owner_priority[cls_group], 2 * unmet_cost, unmet_cost))

    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32),
        np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64),
        np.concatenate(costs).astype(np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_cls] = counts
    supplies[sink] = -int(counts.sum())
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:  # the unmet arcs make every instance feasible
        raise RuntimeError(f"min-cost flow failed with status {status}")
    sent = flow.flows(arcs[: ci.size])

    # Hand the assigned lots to the cars of each class in random (key) order; arcs are
    # in (class, candidate rank) order, so a class's nearer lots go to its first cars.
    order = np.lexsort((cars.eid[idx], cars.key[idx], cls_of))
    cls_sorted = cls_of[order]
    rank = np.arange(idx.size) - np.searchsorted(cls_sorted, cls_sorted)
    cum = np.cumsum(sent)
    class_first_arc = np.searchsorted(ci, np.arange(n_cls))
    offset = np.concatenate([[0], cum])[class_first_arc]
    class_flow = np.bincount(ci, weights=sent, minlength=n_cls).astype(np.int64)
    got = rank < class_flow[cls_sorted]
    arc = np.searchsorted(cum, offset[cls_sorted] + rank, side="right")
    lots_out = np.full(idx.size, -1, dtype=np.int64)
    lots_out[order[got]] = arc_lot[arc[got]]
    placed = lots_out >= 0
    cells_placed = cars.cell_base[idx[placed]] + lots_out[placed]
    state.commit(cells_placed, lots_out[placed] == home[group[placed]])
    return lots_out, lots_out == first
