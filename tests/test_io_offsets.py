"""gridmap.crs_offsets: GCJ-02 / BD-09 against published reference points, round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from gridmap.crs_offsets import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometries_from_offset,
    geometries_to_offset,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from gridmap.errors import InputError

# (WGS84 lon, lat) -> GCJ-02 (lon, lat) from the test suite of googollee/eviltransform
# (python/test.py: Shanghai, Shenzhen, Beijing) and wandergis/coordtransform (test/app.js).
WGS_TO_GCJ = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
]
# GCJ-02 -> BD-09 from wandergis/coordtransform (test/app.js).
GCJ_TO_BD = [((116.404, 39.915), (116.41036949371029, 39.92133699351021))]


@pytest.mark.parametrize(("wgs", "gcj"), WGS_TO_GCJ)
def test_wgs84_to_gcj02_reference_points(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    lon, lat = wgs84_to_gcj02(*wgs)
    assert abs(lon - gcj[0]) < 1e-9 and abs(lat - gcj[1]) < 1e-9
    back = gcj02_to_wgs84(*gcj)
    assert abs(back[0] - wgs[0]) < 1e-8 and abs(back[1] - wgs[1]) < 1e-8


@pytest.mark.parametrize(("gcj", "bd"), GCJ_TO_BD)
def test_gcj02_to_bd09_reference_point(gcj: tuple[float, float], bd: tuple[float, float]) -> None:
    lon, lat = gcj02_to_bd09(*gcj)
    assert abs(lon - bd[0]) < 1e-9 and abs(lat - bd[1]) < 1e-9
    back = bd09_to_gcj02(*bd)
    assert abs(back[0] - gcj[0]) < 1e-8 and abs(back[1] - gcj[1]) < 1e-8


def test_offset_size_is_hundreds_of_metres() -> None:
    # GCJ-02 moves central Beijing by roughly 500-700 m; BD-09 adds about 1 km more.
    lon, lat = 116.40, 39.90
    g = np.hypot(*(np.subtract(wgs84_to_gcj02(lon, lat), (lon, lat)) * (85_000, 111_000)))
    b = np.hypot(*(np.subtract(wgs84_to_bd09(lon, lat), (lon, lat)) * (85_000, 111_000)))
    assert 300 < g < 900 and 800 < b < 2000


def test_vectorised_round_trip_error_below_1e5_degrees() -> None:
    rng = np.random.default_rng(20261123)
    lon = rng.uniform(73.5, 134.8, 50_000)
    lat = rng.uniform(18.2, 53.5, 50_000)
    for forward, inverse in ((wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)):
        x, y = inverse(*forward(lon, lat))
        assert np.abs(x - lon).max() < 1e-5 and np.abs(y - lat).max() < 1e-5
        assert np.abs(x - lon).max() < 1e-9  # in fact far better


def test_outside_china_unchanged() -> None:
    lon, lat = np.array([2.35, -74.0]), np.array([48.85, 40.7])
    assert not in_china(lon, lat).any()
    x, y = wgs84_to_gcj02(lon, lat)
    assert np.array_equal(x, lon) and np.array_equal(y, lat)


def test_geometries_round_trip_and_unknown_system() -> None:
    poly = Polygon([(116.4, 39.9), (116.41, 39.9), (116.41, 39.91), (116.4, 39.9)])
    shifted = geometries_to_offset([poly], "GCJ-02")
    back = geometries_from_offset(shifted, "gcj02")[0]
    assert back.equals_exact(poly, 1e-9) and not shifted[0].equals_exact(poly, 1e-5)
    with pytest.raises(InputError, match="unknown offset coordinate system 'wgs84'"):
        geometries_to_offset([poly], "wgs84")


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(min_value=73.0, max_value=135.0, allow_nan=False),
    lat=st.floats(min_value=18.0, max_value=54.0, allow_nan=False),
)
def test_gcj02_round_trip_property(lon: float, lat: float) -> None:
    x, y = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert abs(x - lon) < 1e-5 and abs(y - lat) < 1e-5
    x, y = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert abs(x - lon) < 1e-5 and abs(y - lat) < 1e-5
