"""Grid counts spread over communities when the planner asks for N grids in all."""

from __future__ import annotations

from gridmap.partition.engine import _grid_counts


def test_highest_averages_keep_means_close() -> None:
    totals = [1200, 400, 2000, 390]
    counts = _grid_counts(10, totals, [50, 50, 50, 50])
    assert sum(counts) == 10
    means = [t / k for t, k in zip(totals, counts, strict=True)]
    assert counts == [3, 1, 5, 1]
    assert max(means) <= 400 and min(means) >= 390


def test_never_more_grids_than_nodes_nor_fewer_than_one() -> None:
    assert _grid_counts(9, [900, 100], [2, 5]) == [2, 5]
    assert _grid_counts(2, [900, 100, 50], [3, 3, 3]) == [1, 1, 1]
