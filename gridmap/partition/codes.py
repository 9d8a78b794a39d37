"""Grid codes in the style of Beijing's DB11/T 2157-2023.

``grid_id`` = ``settings.DIVISION_CODE`` (6 digits, administrative division)
+ street (3) + community (3) + grid (3) = 15 digits; a micro-grid appends 3
more digits to its grid's code (18 digits).

Street and community codes: when every id of a level is made of digits and
their last three digits are distinct and not ``000`` (e.g. ``"003"`` or the
12-digit ``"110108003002"``), those digits are the code; otherwise the ids are
numbered 001, 002, ... in north-west to south-east order of their centroids.

Grid numbers within a community run 001, 002, ... in north-west to
south-east order: by ``x - y`` of the grid polygon's centroid in the metric CRS
(the position along the NW-SE diagonal), ties by northing (north first), then
easting. Coordinates are rounded to 1 cm first, so the order is deterministic.
Edits keep the numbers of untouched grids; new grids take the numbers after
the community's highest one. A community with more than 999 grids gets wider
grid numbers (the code is then longer than 15 digits; the caller warns).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gridmap import settings

__all__ = [
    "nw_se_order",
    "level_codes",
    "grid_code",
    "micro_code",
    "next_numbers",
]


def nw_se_order(xy: np.ndarray) -> np.ndarray:
    """Indices that sort points from north-west to south-east (see module docstring)."""
    xy = np.round(np.asarray(xy, dtype=float).reshape(-1, 2), 2)
    if len(xy) == 0:
        return np.empty(0, np.int64)
    key = np.round(xy[:, 0] - xy[:, 1], 2)
    return np.lexsort((xy[:, 0], -xy[:, 1], key))


def level_codes(ids: Sequence[str], xy: np.ndarray) -> dict[str, str]:
    """Three-digit code of each distinct id of one level (street or community).

    Parameters
    ----------
    ids : sequence of str
        Distinct ids.
    xy : ndarray (n, 2)
        A representative point of each id (metric), for the NW-SE numbering.

    Returns
    -------
    dict
        id -> three-digit code.
    """
    ids = [str(i) for i in ids]
    tails = [i[-3:] for i in ids]
    if (
        ids
        and all(i.isdigit() and len(i) >= 3 for i in ids)
        and len(set(tails)) == len(tails)
        and "000" not in tails
    ):
        return dict(zip(ids, tails, strict=True))
    order = nw_se_order(xy)
    return {ids[j]: f"{rank + 1:03d}" for rank, j in enumerate(order)}


def grid_code(street: str, community: str, number: int, *, division: str | None = None) -> str:
    """``division + street + community + grid number`` (3 digits, wider above 999)."""
    div = settings.DIVISION_CODE if division is None else division
    return f"{div}{street}{community}{number:03d}"


def micro_code(grid_id: str, number: int) -> str:
    """Micro-grid code: the grid's code and a three-digit number."""
    return f"{grid_id}{number:03d}"


def next_numbers(used: set[int], count: int) -> list[int]:
    """``count`` grid numbers above the highest used one."""
    top = max(used) if used else 0
    return list(range(top + 1, top + 1 + count))
