"""Exact contiguous partition of one small component (CP-SAT), with a proven bound.

:func:`gridmap.partition.solve.partition_component` is a heuristic: when a grid
stays out of [min, max] it cannot tell whether the data allows better. This
module states the problem exactly and lets CP-SAT (OR-Tools) either find a
partition with fewer grids out of bounds or prove that none exists. Groups
must be connected in the graph; their number is one of ``counts`` (by
default those whose mean lies in [min, max]).

Steps of :func:`exact_partition`:

1. :func:`doomed`: for each node of a group out of bounds in the hint, can
   any connected set holding it be in bounds? Only nodes joined to it by a
   path of at most ``max`` households matter, so the model is tiny. A node
   with no such set proves one group out of bounds.
2. The ladder: "is there a partition with at most b groups out of bounds?"
   for b = bound, bound + 1, ... (:class:`_RootModel`). In-bounds groups are
   named by their smallest node (root) and node ``i`` may join root ``r`` only
   if a path from ``r`` to ``i`` carries at most ``max`` households; ``b``
   spare groups take any load. Hard bounds propagate well: most rungs end in
   milliseconds. A "no" raises the proven bound, a "yes" is optimal.
3. When a rung is undecided: the rest of the budget looks for a partition
   with one group out of bounds fewer than the hint.

Contiguity, in both models: each non-root node picks one neighbour in its
group as parent and a depth strictly decreasing along parent arcs forbids
cycles; one root per group, so every group is a tree hanging from its root.

The solver runs on one worker under a deterministic time limit: the same call
gives the same answer on any machine load.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from gridmap.partition.solve import NodeGraph, grid_count_range

__all__ = [
    "MAX_NODES",
    "ExactResult",
    "default_counts",
    "doomed",
    "exact_partition",
    "prove_out_of_range",
]

# Larger graphs are refused (status "unknown"). The root model has one literal
# per (node, root) pair within ``max`` households (~3-5k at 100 nodes of
# 20-50 households) and one clause per (arc, pair): fine at ~150 nodes, while
# some 100-node components already stay undecided within 10 deterministic s.
MAX_NODES = 200
# Share of the budget for the per-node checks of :func:`doomed` (most end in
# presolve), and share of what is left given to each rung of the ladder
# "at most b groups out of bounds?" (most rungs end in milliseconds).
DOOM_SHARE = 0.2
LADDER_SHARE = 0.5
# The ladder stops at this many groups out of bounds.
MAX_SPARE = 5


@dataclass(frozen=True)
class ExactResult:
    """Outcome of :func:`exact_partition`.

    Attributes
    ----------
    status : str
        ``"optimal"`` (``parts`` is proven best), ``"feasible"`` (a partition
        was found, not proven best), ``"infeasible"`` (no partition into the
        allowed counts exists, e.g. more groups than nodes) or ``"unknown"``
        (nothing found, or the graph is too large).
    parts : ndarray or None
        Group label 0..k-1 of each node, groups numbered by smallest node.
    out_of_range : int or None
        Groups of ``parts`` out of [low, high].
    violation : int or None
        Households of ``parts`` out of [low, high] (summed over groups).
    bound : int
        Proven lower bound on the groups out of [low, high] of any connected
        partition into one of the allowed counts (0 when nothing is proven).
    """

    status: str
    parts: np.ndarray | None
    out_of_range: int | None
    violation: int | None
    bound: int


def default_counts(total: int, low: int, high: int, n_nodes: int) -> list[int]:
    """Group counts whose mean load lies in [low, high]; the two nearest when none does."""
    lo, hi = grid_count_range(total, low, high)
    cands = list(range(lo, hi + 1)) if lo <= hi else sorted({max(1, hi), lo})
    return [c for c in cands if 1 <= c <= max(1, n_nodes)]


def _score(weight: np.ndarray, parts: np.ndarray, low: int, high: int) -> tuple[int, int]:
    """(groups out of bounds, households out of bounds) of a labelling."""
    load = np.bincount(parts, weights=weight).astype(np.int64)
    viol = np.maximum(0, low - load) + np.maximum(0, load - high)
    return int((viol > 0).sum()), int(viol.sum())


def _canonical(parts: np.ndarray) -> np.ndarray:
    """Relabel groups 0..k-1 in order of their smallest node."""
    _, first, inv = np.unique(parts, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inv.ravel()].astype(np.int64)


def _connected(graph: NodeGraph, parts: np.ndarray) -> bool:
    """Whether every group of ``parts`` is connected in ``graph`` (breadth-first)."""
    seen = np.zeros(graph.n, bool)
    for root in np.unique(parts, return_index=True)[1]:
        seen[root] = True
        queue = deque([int(root)])
        while queue:
            i = queue.popleft()
            for j in graph.indices[graph.indptr[i] : graph.indptr[i + 1]]:
                if not seen[j] and parts[j] == parts[i]:
                    seen[j] = True
                    queue.append(int(j))
    return bool(seen.all())


def _reach(graph: NodeGraph, node: int, high: int) -> np.ndarray:
    """Households of the lightest path from ``node`` to each node (both ends counted)."""
    w = graph.weight
    dist = np.full(graph.n, np.iinfo(np.int64).max, np.int64)
    dist[node] = w[node]
    heap = [(int(w[node]), node)]
    while heap:
        d, i = heapq.heappop(heap)
        if d > dist[i] or d > high:
            continue
        for j in graph.indices[graph.indptr[i] : graph.indptr[i + 1]]:
            nd = d + int(w[j])
            if nd < dist[j]:
                dist[j] = nd
                heapq.heappush(heap, (nd, int(j)))
    return dist


def doomed(graph: NodeGraph, node: int, *, low: int, high: int, budget: float) -> bool:
    """Proof (CP-SAT) that no connected set holding ``node`` has households in [low, high].

    Such a node makes its group out of bounds in every partition. Only nodes
    joined to ``node`` by a path of at most ``high`` households can share an
    in-bounds group with it, so the model is usually tiny. False when a set
    exists or nothing was proven within ``budget`` deterministic seconds.
    """
    w = graph.weight
    if w[node] > high:
        return True
    if w[node] >= low:
        return False
    dist = _reach(graph, node, high)
    near = np.flatnonzero(dist <= high)
    if int(w[near].sum()) < low:
        return True
    m = cp_model.CpModel()
    x = {int(i): m.new_bool_var(f"x{i}") for i in near}
    depth = {i: m.new_int_var(0, len(near), f"d{i}") for i in x}
    m.add(x[node] == 1)
    m.add(depth[node] == 0)
    for i, xi in x.items():
        if i == node:
            continue
        parents = []
        for j in graph.indices[graph.indptr[i] : graph.indptr[i + 1]]:
            if int(j) in x:
                a = m.new_bool_var(f"a{i}_{j}")
                m.add_implication(a, x[int(j)])
                m.add(depth[i] >= depth[int(j)] + 1).only_enforce_if(a)
                parents.append(a)
        # A member hangs from one member neighbour, so the set is connected.
        m.add(sum(parents) == xi)
    load = sum(int(w[i]) * xi for i, xi in x.items())
    m.add(load >= low)
    m.add(load <= high)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = float(budget)
    solver.parameters.random_seed = 0
    return bool(solver.solve(m) == cp_model.INFEASIBLE)


class _RootModel:
    """Groups in bounds named by their smallest node (root), plus ``spare`` free groups.

    ``y[i, r]``: node ``i`` is in the in-bounds group rooted at ``r <= i``. Such
    a group holds at most ``high`` households, so ``y[i, r]`` exists only when
    a path from ``r`` to ``i`` carries at most ``high``: most pairs vanish, and
    loads propagate far better than with anonymous group numbers.
    ``z[i, s]``: node ``i`` is in spare group ``s``, a connected group of any
    load. The model is feasible iff some connected partition has at most
    ``spare`` groups out of bounds.
    """

    def __init__(
        self, graph: NodeGraph, low: int, high: int, counts: Sequence[int], spare: int
    ) -> None:
        n, w = graph.n, graph.weight
        self.graph, self.spare, self.low, self.high = graph, spare, low, high
        m = cp_model.CpModel()
        self.model = m
        self.y: dict[tuple[int, int], cp_model.IntVar] = {}
        for r in range(n):
            if w[r] > high:
                continue
            for i in np.flatnonzero(_reach(graph, r, high) <= high).tolist():
                if i >= r:
                    self.y[(i, r)] = m.new_bool_var(f"y{i}_{r}")
        self.of: list[list[int]] = [[] for _ in range(n)]  # roots each node may join
        members: list[list[int]] = [[] for _ in range(n)]
        for i, r in self.y:
            self.of[i].append(r)
            members[r].append(i)
        self.z = [[m.new_bool_var(f"z{i}_{t}") for t in range(spare)] for i in range(n)]
        self.zr = [[m.new_bool_var(f"q{i}_{t}") for t in range(spare)] for i in range(n)]
        for i in range(n):
            m.add_exactly_one([self.y[(i, r)] for r in self.of[i]] + self.z[i])
        opened = []
        for r in range(n):
            if (r, r) not in self.y:
                continue
            root = self.y[(r, r)]
            opened.append(root)
            load = sum(int(w[i]) * self.y[(i, r)] for i in members[r])
            m.add(load <= high)
            m.add(load >= low * root)
            for i in members[r]:
                if i != r:
                    m.add_implication(self.y[(i, r)], root)
        used = self._spares(n)
        m.add_linear_expression_in_domain(
            sum(opened) + sum(used), cp_model.Domain.from_values(sorted({int(c) for c in counts}))
        )
        self._contiguity(n)
        # Secondary: the spare groups' households out of bounds (else a spare
        # group may swallow half the component). Proofs are unaffected.
        total, viol = int(w.sum()), []
        for t in range(spare):
            load = sum(int(w[i]) * self.z[i][t] for i in range(n))
            v = m.new_int_var(0, max(low, total), f"v{t}")
            m.add(v >= low * used[t] - load)
            m.add(v >= load - high)
            viol.append(v)
        if viol:
            m.minimize(sum(viol))

    def _spares(self, n: int) -> list[cp_model.IntVar]:
        """Spare groups rooted at their smallest node, opened in order of their roots."""
        m, used = self.model, []
        before: list[cp_model.IntVar] = []  # "rooted at or before i" flags of the previous spare
        for t in range(self.spare):
            row: list[cp_model.IntVar] = []
            for i in range(n):
                seen = m.new_bool_var(f"p{i}_{t}")
                # seen[i] = seen[i-1] + root[i]: one root, and no member before it.
                m.add(seen == (row[-1] if row else 0) + self.zr[i][t])
                m.add_implication(self.z[i][t], seen)
                m.add_implication(self.zr[i][t], self.z[i][t])
                if t > 0 and i == 0:
                    m.add(self.zr[i][t] == 0)
                elif t > 0:  # spare t is rooted after spare t-1
                    m.add_implication(self.zr[i][t], before[i - 1])
                row.append(seen)
            used.append(row[-1])
            before = row
        return used

    def _contiguity(self, n: int) -> None:
        m, gr = self.model, self.graph
        depth = [m.new_int_var(0, max(0, n - 1), f"d{i}") for i in range(n)]
        self.arc: dict[tuple[int, int], cp_model.IntVar] = {}
        for i in range(n):
            out = []
            for j in (int(j) for j in gr.indices[gr.indptr[i] : gr.indptr[i + 1]]):
                common = [r for r in self.of[i] if (j, r) in self.y and r != i]
                if not common and not self.spare:
                    continue
                a = m.new_bool_var(f"a{i}_{j}")
                self.arc[(i, j)] = a
                out.append(a)
                m.add(depth[i] >= depth[j] + 1).only_enforce_if(a)
                # The parent is in the child's group.
                for r in self.of[i]:
                    if (j, r) in self.y and r != i:
                        m.add_bool_or([~a, ~self.y[(i, r)], self.y[(j, r)]])
                    else:
                        m.add_implication(a, ~self.y[(i, r)])
                for t in range(self.spare):
                    m.add_bool_or([~a, ~self.z[i][t], self.z[j][t]])
            root = [self.y[(i, i)]] if (i, i) in self.y else []
            m.add(sum(root) + sum(self.zr[i]) + sum(out) == 1)

    def hint(self, parts: np.ndarray) -> None:
        """Hint groups in bounds as rooted groups, the first ``spare`` others as spares."""
        w = self.graph.weight
        first = np.unique(parts, return_index=True)[1]
        load = np.bincount(parts, weights=w)
        bad = np.flatnonzero((load < self.low) | (load > self.high)).tolist()
        slot = {g: t for t, g in enumerate(bad[: self.spare])}
        for (i, r), yv in self.y.items():
            self.model.add_hint(yv, bool(first[parts[i]] == r and parts[i] not in slot))
        for i in range(self.graph.n):
            for t in range(self.spare):
                self.model.add_hint(self.z[i][t], slot.get(int(parts[i])) == t)

    def parts(self, solver: cp_model.CpSolver) -> np.ndarray:
        """Group label of each node (rooted groups by root, spares after)."""
        n = self.graph.n
        label = np.empty(n, np.int64)
        for i in range(n):
            hit = [r for r in self.of[i] if solver.boolean_value(self.y[(i, r)])]
            spare = [t for t in range(self.spare) if solver.boolean_value(self.z[i][t])]
            label[i] = hit[0] if hit else n + spare[0]
        return _canonical(label)


class _CountModel:
    """Anonymous groups minimising the count out of bounds (see the module docstring).

    Used only without a hint (nothing to start the ladder from): its bound is
    weak, but it finds some partition.
    """

    def __init__(
        self,
        graph: NodeGraph,
        low: int,
        high: int,
        counts: Sequence[int],
        total: int,
    ) -> None:
        n, k = graph.n, max(counts)
        self.graph, self.k, self.low, self.high = graph, k, low, high
        m = cp_model.CpModel()
        self.model = m
        # x[i][g] exists for g <= i only (groups numbered by smallest node).
        self.x = [[m.new_bool_var(f"x{i}_{g}") for g in range(min(k, i + 1))] for i in range(n)]
        self.r = [[m.new_bool_var(f"r{i}_{g}") for g in range(min(k, i + 1))] for i in range(n)]
        self.seen: list[list[cp_model.IntVar]] = []
        for i in range(n):
            m.add_exactly_one(self.x[i])
            row = []
            for g in range(len(self.x[i])):
                s = m.new_bool_var(f"s{i}_{g}")
                prev = self.seen[i - 1][g] if i > 0 and g < len(self.seen[i - 1]) else 0
                # seen[i, g] = seen[i-1, g] OR x[i, g]; r[i, g] = the first such i.
                m.add(s == prev + self.r[i][g])
                m.add_implication(self.x[i][g], s)
                m.add_implication(self.r[i][g], self.x[i][g])
                if g > 0:  # group g opens only after group g-1
                    m.add_implication(self.x[i][g], self.seen[i - 1][g - 1])
                row.append(s)
            self.seen.append(row)
        self.used = [self.seen[n - 1][g] for g in range(k)]
        m.add_linear_expression_in_domain(
            sum(self.used), cp_model.Domain.from_values(sorted({int(c) for c in counts}))
        )
        self._contiguity(n)
        self._objective(total)

    def lit(self, i: int, g: int) -> cp_model.IntVar | None:
        """x[i, g], or None where the symmetry breaking fixes it to false."""
        return self.x[i][g] if g < len(self.x[i]) else None

    def _contiguity(self, n: int) -> None:
        m, gr = self.model, self.graph
        self.depth = [m.new_int_var(0, max(0, n - 1), f"d{i}") for i in range(n)]
        self.arc: dict[tuple[int, int], cp_model.IntVar] = {}
        for i in range(n):
            nbrs = [int(j) for j in gr.indices[gr.indptr[i] : gr.indptr[i + 1]]]
            out = []
            for j in nbrs:
                a = m.new_bool_var(f"a{i}_{j}")
                self.arc[(i, j)] = a
                out.append(a)
                m.add(self.depth[i] >= self.depth[j] + 1).only_enforce_if(a)
                for g in range(self.k):
                    xi, xj = self.lit(i, g), self.lit(j, g)
                    if xi is None and xj is None:
                        continue
                    # Parent and child share their group (both directions help propagation).
                    if xi is not None:
                        m.add_bool_or([a.Not(), xi.Not()] + ([xj] if xj is not None else []))
                    if xj is not None:
                        m.add_bool_or([a.Not(), xj.Not()] + ([xi] if xi is not None else []))
            # Exactly one of: root of its group, or one parent.
            m.add(sum(self.r[i]) + sum(out) == 1)
        for (i, j), a in self.arc.items():
            if i < j:
                m.add_bool_or([a.Not(), self.arc[(j, i)].Not()])

    def _objective(self, total: int) -> None:
        m, w = self.model, [int(v) for v in self.graph.weight]
        cap = max(self.low, total - self.high, 1)
        self.load, self.viol, self.bad = [], [], []
        for g in range(self.k):
            load = sum(w[i] * self.x[i][g] for i in range(self.graph.n) if g < len(self.x[i]))
            v = m.new_int_var(0, cap, f"v{g}")
            b = m.new_bool_var(f"b{g}")
            m.add(v >= self.low * self.used[g] - load)
            m.add(v >= load - self.high)
            m.add(v <= cap * b)
            self.load.append(load)
            self.viol.append(v)
            self.bad.append(b)
        self.big = cap * self.k + 1
        m.minimize(self.big * sum(self.bad) + sum(self.viol))

    def doom(self, nodes: Sequence[int]) -> None:
        """The groups of ``nodes`` are out of bounds (proven by :func:`doomed`)."""
        for i in nodes:
            for g, xv in enumerate(self.x[i]):
                self.model.add_implication(xv, self.bad[g])

    def parts(self, solver: cp_model.CpSolver) -> np.ndarray:
        """Group label of each node in the solver's best solution."""
        return np.asarray(
            [next(g for g, xv in enumerate(row) if solver.boolean_value(xv)) for row in self.x],
            dtype=np.int64,
        )


def _doom_candidates(graph: NodeGraph, given: np.ndarray | None, low: int, high: int) -> list[int]:
    """Nodes worth a :func:`doomed` check: out-of-bounds nodes, else those of bad groups.

    A doomed node lies in a bad group of every partition, the hint's included,
    so with a hint only the nodes of its bad groups need checking.
    """
    w = graph.weight
    if given is None:
        return [int(i) for i in np.flatnonzero((w < low) | (w > high))]
    load = np.bincount(given, weights=w)
    bad = np.flatnonzero((load < low) | (load > high))
    return [int(i) for i in np.flatnonzero(np.isin(given, bad))]


def _candidate_counts(
    graph: NodeGraph, low: int, high: int, counts: Sequence[int] | None
) -> list[int]:
    """Group counts to search: ``counts`` (1..nodes only), else :func:`default_counts`."""
    if counts is None:
        return default_counts(int(graph.weight.sum()), low, high, graph.n)
    return sorted({int(c) for c in counts if 1 <= int(c) <= graph.n})


def exact_partition(
    graph: NodeGraph,
    *,
    low: int,
    high: int,
    counts: Sequence[int] | None = None,
    deterministic_time: float = 2.0,
    hint: np.ndarray | None = None,
) -> ExactResult:
    """Connected partition minimising the groups out of [low, high] (CP-SAT).

    Parameters
    ----------
    graph : NodeGraph
        Nodes (households as weights) and adjacency; groups must be connected
        in it. At most :data:`MAX_NODES` nodes (larger: status ``"unknown"``).
    low, high : int
        Household bounds of a group.
    counts : sequence of int, optional
        Allowed numbers of groups; by default those whose mean load lies in
        [low, high] (:func:`default_counts`). The bound holds for these counts
        only: any other count has its mean, hence at least one group, out of
        bounds.
    deterministic_time : float
        CP-SAT deterministic time limit (about seconds; reproducible).
    hint : ndarray, optional
        A current labelling, given to CP-SAT as a start.

    Returns
    -------
    ExactResult
        Status, best partition, its score and the proven lower bound.
    """
    n = graph.n
    cands = _candidate_counts(graph, low, high, counts)
    if n == 0 or not cands:
        return ExactResult("infeasible" if n else "optimal", None, None, None, 0)
    if n > MAX_NODES:
        return ExactResult("unknown", None, None, None, 0)
    given = None if hint is None else _canonical(np.asarray(hint, dtype=np.int64))
    in_bounds = given is not None and _score(graph.weight, given, low, high)[0] == 0
    if given is not None and in_bounds and _connected(graph, given):
        return ExactResult("optimal", given, 0, 0, 0)  # already in bounds and connected
    dead = _doomed_nodes(graph, given, low, high, DOOM_SHARE * deterministic_time)
    left = (1.0 - DOOM_SHARE) * deterministic_time
    best = given if given is not None and _connected(graph, given) else None
    top = MAX_SPARE + 1 if best is None else _score(graph.weight, best, low, high)[0]
    # Ladder: is there a partition with at most b groups out of bounds, for
    # b = 0, 1, ...? Each "no" raises the proven bound, a "yes" is optimal.
    bound = 1 if dead else 0
    code = cp_model.UNKNOWN
    while bound < top and bound <= MAX_SPARE:
        code, parts, used = _at_most(
            graph, low, high, cands, bound, dead, best, LADDER_SHARE * left
        )
        left -= used
        if parts is not None:
            best, top = parts, _score(graph.weight, parts, low, high)[0]
        if code != cp_model.INFEASIBLE:
            break
        bound += 1
    if code == cp_model.UNKNOWN and best is not None and top - 1 > bound:
        # Stuck on a proof: spend the rest on a partition better than the hint.
        code, parts, _ = _at_most(graph, low, high, cands, top - 1, dead, best, left)
        if parts is not None:
            best = parts
    if best is None:
        return _soft(graph, low, high, cands, dead, bound, left)
    bad, viol = _score(graph.weight, best, low, high)
    return ExactResult("optimal" if bad <= bound else "feasible", best, bad, viol, bound)


def _at_most(
    graph: NodeGraph,
    low: int,
    high: int,
    counts: Sequence[int],
    spare: int,
    dead: Sequence[int],
    hint: np.ndarray | None,
    budget: float,
) -> tuple[cp_model.CpSolverStatus, np.ndarray | None, float]:
    """Look for a partition with at most ``spare`` groups out of bounds.

    Returns the solver status, the partition found (or None) and the
    deterministic time used.
    """
    model = _RootModel(graph, low, high, counts, spare)
    for i in dead:  # a doomed node lies in a group out of bounds
        model.model.add_bool_or(model.z[i])
    if hint is not None:
        model.hint(hint)
    code, solver = _solve(model.model, budget)
    found = model.parts(solver) if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    return code, found, solver.deterministic_time


def _soft(
    graph: NodeGraph,
    low: int,
    high: int,
    counts: Sequence[int],
    dead: Sequence[int],
    bound: int,
    budget: float,
) -> ExactResult:
    """Fewest groups out of bounds, then fewest households out (no hint to start from)."""
    soft = _CountModel(graph, low, high, counts, int(graph.weight.sum()))
    soft.doom(dead)
    code, solver = _solve(soft.model, budget)
    if code == cp_model.INFEASIBLE:  # no connected partition into these counts at all
        return ExactResult("infeasible", None, None, None, 0)
    # Objective = big * count + violation with violation < big: count >= floor(bound / big).
    lower = math.ceil(solver.best_objective_bound - 1e-6)
    bound = max(bound, lower // soft.big)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult("unknown", None, None, None, bound)
    parts = soft.parts(solver)
    bad, viol = _score(graph.weight, parts, low, high)
    status = "optimal" if code == cp_model.OPTIMAL or bad <= bound else "feasible"
    return ExactResult(status, parts, bad, viol, bad if status == "optimal" else bound)


def _doomed_nodes(
    graph: NodeGraph, given: np.ndarray | None, low: int, high: int, budget: float
) -> list[int]:
    """The candidate nodes (see :func:`_doom_candidates`) proven :func:`doomed`."""
    check = _doom_candidates(graph, given, low, high)
    each = budget / max(1, len(check))
    return [i for i in check if doomed(graph, i, low=low, high=high, budget=each)]


def prove_out_of_range(
    graph: NodeGraph,
    *,
    low: int,
    high: int,
    counts: Sequence[int] | None = None,
    deterministic_time: float = 2.0,
    hint: np.ndarray | None = None,
) -> bool:
    """True when CP-SAT proves that every connected partition has a group out of bounds.

    Partitions into ``counts`` groups (default :func:`default_counts`) only;
    any other count has its mean out of bounds anyway. False means "not
    proven" (a partition in bounds exists, or the budget ran out, or the
    graph has more than :data:`MAX_NODES` nodes). ``hint`` (a labelling)
    narrows the per-node checks to the nodes of its groups out of bounds.
    """
    n = graph.n
    cands = _candidate_counts(graph, low, high, counts)
    if n == 0 or n > MAX_NODES or not cands:
        return False
    given = None if hint is None else _canonical(np.asarray(hint, dtype=np.int64))
    if _doomed_nodes(graph, given, low, high, DOOM_SHARE * deterministic_time):
        return True
    budget = (1.0 - DOOM_SHARE) * deterministic_time
    return _at_most(graph, low, high, cands, 0, [], given, budget)[0] == cp_model.INFEASIBLE


def _solve(
    model: cp_model.CpModel, budget: float
) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    """Solve on one worker within ``budget`` deterministic seconds (reproducible)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = float(budget)
    solver.parameters.random_seed = 0
    # Presolve probing and clique merging take 1.0 deterministic second each
    # per presolve round by default, the whole budget on ~100-node graphs.
    solver.parameters.probing_deterministic_time_limit = 0.05 * budget
    solver.parameters.presolve_probing_deterministic_time_limit = 0.05 * budget
    solver.parameters.merge_at_most_one_work_limit = 5e6 * budget
    return solver.solve(model), solver
