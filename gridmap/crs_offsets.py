"""GCJ-02 (Amap, Tencent) and BD-09 (Baidu) offsets to and from WGS84, vectorised.

GCJ-02 is the obfuscated datum that Chinese law requires of public web maps;
BD-09 is Baidu's further offset of GCJ-02. Neither has an EPSG code, so PROJ
and pyproj cannot convert them. Written by hand because no well-kept library
does it: the small PyPI packages that do (eviltransform, coordTransform_py,
prcoords) are unmaintained scalar code. The forward formulas are the widely
published ones (the leaked GCJ-02 algorithm on the Krasovsky 1940 ellipsoid, and
Baidu's polar offset); the inverses are solved by fixed-point iteration, so a
round trip is exact to ~1e-9 degrees instead of the ~1e-5 of the one-step
approximations those packages use.

Outside China the GCJ-02 offset is not applied (the published rule: a rough
bounding box of China), as Amap and Tencent do.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from gridmap.errors import InputError
from gridmap.messages import msg

__all__ = [
    "OFFSET_SYSTEMS",
    "in_china",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "to_offset",
    "from_offset",
    "geometries_to_offset",
    "geometries_from_offset",
]

OFFSET_SYSTEMS = ("gcj02", "bd09")

# Krasovsky 1940 ellipsoid, as in the published GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
# Baidu's polar offset constant (pi * 3000 / 180).
_X_PI = np.pi * 3000.0 / 180.0
# The published "out of China" box of the GCJ-02 algorithm.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
_MAX_ITER = 30
_TOLERANCE = 1e-12

FloatArray = NDArray[np.float64]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"lon and lat differ in shape: {x.shape} vs {y.shape}")
    return x, y


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether points lie in the box where the GCJ-02 offset applies.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees.

    Returns
    -------
    numpy.ndarray of bool
    """
    x, y = _arrays(lon, lat)
    return (x >= _CHINA_LON[0]) & (x <= _CHINA_LON[1]) & (y >= _CHINA_LAT[0]) & (y <= _CHINA_LAT[1])


def _gcj_delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    base = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (
            base
            + 20.0 * np.sin(y * np.pi)
            + 40.0 * np.sin(y / 3.0 * np.pi)
            + 160.0 * np.sin(y / 12.0 * np.pi)
            + 320.0 * np.sin(y * np.pi / 30.0)
        )
        * 2.0
        / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (
            base
            + 20.0 * np.sin(x * np.pi)
            + 40.0 * np.sin(x / 3.0 * np.pi)
            + 150.0 * np.sin(x / 12.0 * np.pi)
            + 300.0 * np.sin(x / 30.0 * np.pi)
        )
        * 2.0
        / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 lon/lat to GCJ-02 (points outside China are returned unchanged).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitudes and latitudes in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitudes and latitudes.
    """
    x, y = _arrays(lon, lat)
    dlon, dlat = _gcj_delta(x, y)
    inside = in_china(x, y)
    return np.where(inside, x + dlon, x), np.where(inside, y + dlat, y)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitudes and latitudes.
    """
    x, y = _arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    inside = in_china(x, y)
    return (
        np.where(inside, z * np.cos(theta) + 0.0065, x),
        np.where(inside, z * np.sin(theta) + 0.006, y),
    )


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    lon: FloatArray,
    lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(p) = (lon, lat) for p by fixed-point iteration.

    The offsets are small and smooth (derivative << 1), so p <- p + (target -
    forward(p)) contracts quickly; 30 steps are far more than needed.
    """
    px, py = lon.copy(), lat.copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(px, py)
        ex, ey = lon - fx, lat - fy
        px, py = px + ex, py + ey
        err = np.abs(np.concatenate([ex.ravel(), ey.ravel()]))
        if not np.any(err[np.isfinite(err)] >= _TOLERANCE):
            break
    return px, py


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat back to WGS84 (iterative inverse, error < 1e-9 degrees).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitudes and latitudes.
    """
    x, y = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, x, y)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 lon/lat back to GCJ-02 (iterative inverse).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitudes and latitudes in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitudes and latitudes.
    """
    x, y = _arrays(lon, lat)
    return _invert(gcj02_to_bd09, x, y)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 lon/lat to BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitudes and latitudes in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitudes and latitudes.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 lon/lat back to WGS84 (through GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitudes and latitudes in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitudes and latitudes.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}
_FROM = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}


def _system(name: str) -> str:
    key = name.strip().lower().replace("-", "").replace("_", "")
    if key not in OFFSET_SYSTEMS:
        raise InputError(msg("core.offset_unknown", name=name))
    return key


def _apply(geoms: ArrayLike, func: Callable[..., tuple[FloatArray, FloatArray]]) -> np.ndarray:
    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), convert)


def geometries_to_offset(geoms: ArrayLike, system: str) -> np.ndarray:
    """Shift WGS84 shapely geometries into ``system`` (gcj02 or bd09); 2D output.

    Parameters
    ----------
    geoms : array_like of shapely geometries
        Geometries in WGS84 lon/lat.
    system : {"gcj02", "bd09"}
        Target offset system.

    Returns
    -------
    numpy.ndarray of shapely geometries
    """
    return _apply(geoms, _TO[_system(system)])


def geometries_from_offset(geoms: ArrayLike, system: str) -> np.ndarray:
    """Shift shapely geometries in ``system`` (gcj02 or bd09) back to WGS84; 2D output.

    Parameters
    ----------
    geoms : array_like of shapely geometries
        Geometries in GCJ-02 or BD-09 lon/lat.
    system : {"gcj02", "bd09"}
        Source offset system.

    Returns
    -------
    numpy.ndarray of shapely geometries
    """
    return _apply(geoms, _FROM[_system(system)])


def to_offset(gdf: gpd.GeoDataFrame, system: str) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` with coordinates shifted into GCJ-02 or BD-09.

    The frame is first brought to EPSG:4326; the result keeps the EPSG:4326
    label (the offsets have no EPSG code), so only the numbers change.

    Parameters
    ----------
    gdf : GeoDataFrame
        Frame with a CRS.
    system : {"gcj02", "bd09"}
        Target offset system.

    Returns
    -------
    GeoDataFrame
    """
    wgs = gdf.to_crs(4326)
    out = wgs.copy()
    out[out.geometry.name] = gpd.GeoSeries(
        geometries_to_offset(wgs.geometry.to_numpy(), system), index=wgs.index, crs=4326
    )
    return out


def from_offset(gdf: gpd.GeoDataFrame, system: str) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` (lon/lat in GCJ-02 or BD-09) shifted back to WGS84.

    Parameters
    ----------
    gdf : GeoDataFrame
        Frame whose coordinates are GCJ-02 or BD-09 lon/lat (its CRS label, if
        any, is ignored and replaced by EPSG:4326).
    system : {"gcj02", "bd09"}
        Source offset system.

    Returns
    -------
    GeoDataFrame
        In EPSG:4326.
    """
    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(
        geometries_from_offset(gdf.geometry.to_numpy(), system), index=gdf.index, crs=4326
    )
    return out.set_crs(4326, allow_override=True)
