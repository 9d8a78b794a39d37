"""Coordinate reference systems: the metric CRS for computation, WGS84 at the edges.

Computation happens in one metric CRS per dataset (the UTM zone geopandas picks);
files are read and written in EPSG:4326 unless the user asks for CGCS2000
(EPSG:4490) or the GCJ-02 / BD-09 offsets used by Chinese web maps.
"""

from __future__ import annotations

import math
from functools import lru_cache

import geopandas as gpd
import numpy as np
from pyproj import CRS

from gridmap.errors import CRSError
from gridmap.messages import msg

__all__ = ["WGS84", "CGCS2000", "metric_crs", "to_metric", "to_wgs84"]

WGS84 = CRS.from_epsg(4326)
CGCS2000 = CRS.from_epsg(4490)


def metric_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """Return the metric CRS to compute ``gdf`` in.

    A projected CRS in metres is kept as it is; a geographic one is replaced by
    the UTM zone that :meth:`GeoDataFrame.estimate_utm_crs` picks.

    Parameters
    ----------
    gdf : GeoDataFrame
        Frame with a CRS.

    Returns
    -------
    pyproj.CRS
    """
    if gdf.crs is None:
        raise CRSError(msg("core.crs_missing"))
    crs = CRS.from_user_input(gdf.crs)
    if crs.is_projected:
        unit = crs.axis_info[0].unit_name if crs.axis_info else ""
        if unit not in ("metre", "meter"):
            raise CRSError(msg("core.crs_not_metres", name=crs.name))
        return crs
    if len(gdf) == 0 or gdf.geometry.is_empty.all():
        raise CRSError(msg("core.crs_empty"))
    minx, miny, maxx, maxy = gdf.total_bounds
    zone = utm_zone((minx + maxx) / 2, (miny + maxy) / 2)
    if zone is None:
        return gdf.estimate_utm_crs()
    return _utm_crs(*zone)


def utm_zone(lon: float, lat: float) -> tuple[int, bool] | None:
    """UTM zone (number, southern hemisphere) of a point, as estimate_utm_crs picks it.

    The zone follows from the longitude alone: the EPSG areas of use of the
    WGS 84 / UTM zones are plain 6-degree strips. This is what
    :meth:`GeoDataFrame.estimate_utm_crs` finds by a database query that costs
    about 65 ms; the app asks on every edit. On a strip edge, the equator or
    outside the UTM latitudes (where more than one zone, or none, claims the
    point) None is returned and the caller asks pyproj.
    """
    if not (np.isfinite(lon) and np.isfinite(lat)) or not -80.0 < lat < 84.0 or lat == 0.0:
        return None
    shifted = (lon + 180.0) / 6.0
    if shifted == math.floor(shifted) or not 0.0 < shifted < 60.0:
        return None
    return int(math.floor(shifted)) + 1, lat < 0


@lru_cache(maxsize=16)
def _utm_crs(zone: int, south: bool) -> CRS:
    return CRS.from_epsg((32700 if south else 32600) + zone)


def to_metric(gdf: gpd.GeoDataFrame, crs: CRS | None = None) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in ``crs`` (default: :func:`metric_crs`)."""
    return gdf.to_crs(crs if crs is not None else metric_crs(gdf))


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in EPSG:4326."""
    if gdf.crs is None:
        raise CRSError(msg("core.crs_missing"))
    return gdf.to_crs(WGS84)
