"""The metric CRS: the UTM zone worked out from the longitude equals pyproj's choice."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap.crs import metric_crs, utm_zone
from gridmap.errors import CRSError


def _points(lon: float, lat: float, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[shapely.Point(lon, lat), shapely.Point(lon + 0.01, lat + 0.01)], crs=crs
    )


@pytest.mark.parametrize("seed", range(3))
def test_zone_matches_pyproj_query(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for lon, lat in zip(rng.uniform(-179.9, 179.9, 20), rng.uniform(-79, 83, 20), strict=True):
        frame = _points(float(lon), float(lat))
        assert metric_crs(frame) == frame.estimate_utm_crs(), (lon, lat)


def test_chinese_cities() -> None:
    assert metric_crs(_points(116.39, 39.9)).to_epsg() == 32650  # Beijing
    assert metric_crs(_points(120.86, 32.01)).to_epsg() == 32651  # Nantong
    assert metric_crs(_points(114.4, 37.9, "EPSG:4490")).to_epsg() == 32650  # CGCS2000


def test_edges_fall_back_to_pyproj() -> None:
    assert utm_zone(120.0, 30.0) is None  # a strip edge
    assert utm_zone(10.0, 0.0) is None
    assert utm_zone(10.0, 85.0) is None  # polar: no UTM zone
    edge = gpd.GeoDataFrame(geometry=[shapely.Point(119.99, 30), shapely.Point(120.01, 30)])
    edge = edge.set_crs("EPSG:4326")
    assert metric_crs(edge) == edge.estimate_utm_crs()


def test_projected_metres_kept_and_errors() -> None:
    frame = _points(116.39, 39.9).to_crs("EPSG:32650")
    assert metric_crs(frame).to_epsg() == 32650
    with pytest.raises(CRSError):
        metric_crs(_points(116.39, 39.9).to_crs("EPSG:3857").set_crs(None, allow_override=True))
    with pytest.raises(CRSError):
        metric_crs(gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"))
