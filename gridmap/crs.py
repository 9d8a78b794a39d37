"""Coordinate reference systems: the metric CRS for computation, WGS84 at the edges.

Computation happens in one metric CRS per dataset (the UTM zone geopandas picks);
files are read and written in EPSG:4326 unless the user asks for CGCS2000
(EPSG:4490) or the GCJ-02 / BD-09 offsets used by Chinese web maps.
"""

from __future__ import annotations

import geopandas as gpd
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
    return gdf.estimate_utm_crs()


def to_metric(gdf: gpd.GeoDataFrame, crs: CRS | None = None) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in ``crs`` (default: :func:`metric_crs`)."""
    return gdf.to_crs(crs if crs is not None else metric_crs(gdf))


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in EPSG:4326."""
    if gdf.crs is None:
        raise CRSError(msg("core.crs_missing"))
    return gdf.to_crs(WGS84)
