"""Grid counts spread over communities when the planner asks for N grids in all."""

from __future__ import annotations

from gridmap.partition.engine import _grid_counts


def _means(totals: list[int], counts: list[int]) -> list[float]:
    return [t / k for t, k in zip(totals, counts, strict=True)]


def test_counts_keep_every_mean_within_the_bounds_when_they_can() -> None:
    totals = [1293, 1367, 709, 459]
    counts = _grid_counts(10, totals, [50] * 4, 300, 500)
    assert sum(counts) == 10
    assert all(300 <= m <= 500 for m in _means(totals, counts))
    # Eight grids cannot keep all four in bounds: only one is pushed out.
    fewer = _grid_counts(8, totals, [50] * 4, 300, 500)
    assert sum(fewer) == 8 and sum(not 300 <= m <= 500 for m in _means(totals, fewer)) == 1


def test_far_from_the_bounds_the_fullest_get_the_grids() -> None:
    totals = [1200, 400, 2000, 390]
    counts = _grid_counts(20, totals, [50] * 4, 300, 500)
    assert sum(counts) == 20
    means = _means(totals, counts)
    assert max(means) - min(means) < 150


def test_never_more_grids_than_nodes_nor_fewer_than_one() -> None:
    assert _grid_counts(9, [900, 100], [2, 5], 300, 500) == [2, 5]
    assert _grid_counts(2, [900, 100, 50], [3, 3, 3], 300, 500) == [1, 1, 1]
