"""gridmap.partition on the real OpenStreetMap extracts of ../shared/osm."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import shapely
from test_partition_engine import check_partition

from gridmap.errors import GridmapWarning
from gridmap.partition import move_units, partition_grids


def test_real_extract_partitions_cleanly(osm_file: Path) -> None:
    osm = pytest.importorskip("gridmap.osm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)  # the reader's and ours: tested elsewhere
        layers = osm.read_osm(osm_file)
        b = layers["buildings"]
        communities = layers.get("communities")
        part = partition_grids(
            b,
            roads=layers.get("roads"),
            communities=communities if communities is not None and len(communities) else None,
        )
    assert len(part.grids) >= 2
    check_partition(part, b, None)
    # Households are estimated there: most grids still land in the bounds.
    assert (part.grids["status"] == "ok").mean() >= 0.8
    # A street-following graph: some adjacencies cross a street, most do not.
    g = part._state.layout.graph
    assert 0 < g.crosses_street.mean() < 0.6
    # An edit on real data keeps the untouched grids.
    sg = part._state.site_grid.astype(str)
    rows = part._state.layout.rows
    for a, c in zip(g.u, g.v, strict=True):
        here = rows[rows["site"] == a]
        if sg[a] != sg[c] and len(here) == 1 and (sg == sg[a]).sum() > 1:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", GridmapWarning)
                    moved = move_units(part, building_ids=list(here["building_id"]), to_grid=sg[c])
            except Exception:  # noqa: BLE001 - try the next pair
                continue
            assert set(moved.changed) == {sg[a], sg[c]}
            before = part.grids.set_index("grid_id").geometry
            after = moved.grids.set_index("grid_id").geometry
            for gid in before.index.difference(list(moved.changed)):
                assert shapely.equals_exact(before[gid], after[gid], 0)
            break
    else:
        pytest.fail("no building could move to a neighbouring grid")
    assert np.isfinite(part.balance()["households"]).all()
