"""Generators of good, bad and hostile input files for the gridmap.io tests.

Everything is written into a test's tmp_path at test time; nothing binary is
committed. Coordinates are in central Beijing unless a test needs otherwise.
"""

from __future__ import annotations

import json
import re
import stat
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry import Polygon, box

# Origin of the synthetic blocks (Dongcheng, Beijing), WGS84.
LON0, LAT0 = 116.40, 39.90
NAMES = ["幸福小区1号楼", "和平里2号楼", "团结湖3号楼", "光明楼", "胜利街5号"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def message(exc: BaseException) -> str:
    """The one line the command line prints for a gridmap error (message and fix).

    The error must also read in Chinese (the browser app's language), so every
    error a test inspects through here is checked to have a Chinese rendering.
    """
    if not hasattr(exc, "user_message"):
        return str(exc)
    chinese = exc.user_message("zh")
    assert CJK.search(chinese), f"no Chinese rendering: {chinese}"
    return str(exc.user_message())


def footprints(n: int, *, lon0: float = LON0, lat0: float = LAT0) -> list[Polygon]:
    """``n`` separate 20 m x 15 m boxes on a grid, WGS84 degrees."""
    cols = max(1, int(np.ceil(np.sqrt(n))))
    out = []
    for i in range(n):
        x = lon0 + (i % cols) * 0.0005
        y = lat0 + (i // cols) * 0.0004
        out.append(box(x, y, x + 0.00023, y + 0.000135))
    return out


def buildings_frame(n: int = 5, **columns: Any) -> gpd.GeoDataFrame:
    """A small buildings-like frame in EPSG:4326 with Chinese names."""
    data: dict[str, Any] = {
        "building_id": [f"B{i + 1:03d}" for i in range(n)],
        "name": [NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f"-{i}") for i in range(n)],
        "households": [24 * (i % 4 + 1) for i in range(n)],
        "levels": [6 + i % 3 for i in range(n)],
    }
    data.update(columns)
    return gpd.GeoDataFrame(data, geometry=footprints(n), crs=4326)


def geojson_text(features: list[dict[str, Any]], **extra: Any) -> str:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features})


def feature(geometry: dict[str, Any] | None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def square(x: float, y: float, d: float = 0.0002) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]],
    }


def write_geojson_features(path: Path, features: list[dict[str, Any]], **extra: Any) -> Path:
    path.write_text(geojson_text(features, **extra), encoding="utf-8")
    return path


def write_shapefile(
    folder: Path,
    gdf: gpd.GeoDataFrame,
    *,
    name: str = "buildings",
    encoding: str = "UTF-8",
    cpg: str | None = "keep",
    prj: bool = True,
) -> Path:
    """Write a Shapefile in ``encoding``; ``cpg=None`` deletes the .cpg, a text replaces it."""
    folder.mkdir(parents=True, exist_ok=True)
    shp = folder / f"{name}.shp"
    gdf = gdf.rename(columns={"building_id": "bldg_id"})
    pyogrio.write_dataframe(gdf, shp, driver="ESRI Shapefile", encoding=encoding)
    cpg_path = folder / f"{name}.cpg"
    if cpg is None:
        cpg_path.unlink(missing_ok=True)
    elif cpg != "keep":
        cpg_path.write_text(cpg, encoding="ascii")
    if not prj:
        (folder / f"{name}.prj").unlink(missing_ok=True)
    return shp


def zip_folder(folder: Path, target: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, prefix + part.name)
    return target


def zip_entries(target: Path, entries: dict[str, bytes | str]) -> Path:
    """A zip with the given member names and contents (names written as they are)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return target


def zip_with_symlink(target: Path, link_name: str, link_target: str) -> Path:
    """A zip whose entry ``link_name`` is a Unix symlink to ``link_target``."""
    with zipfile.ZipFile(target, "w") as zf:
        info = zipfile.ZipInfo(link_name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, link_target)
        zf.writestr("real.geojson", geojson_text([feature(square(LON0, LAT0))]))
    return target


def zip_bomb(target: Path, *, megabytes: int) -> Path:
    """A zip with one highly compressible .geojson member of ``megabytes`` MiB of spaces."""
    chunk = b" " * (1 << 20)
    with (
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("data.geojson", "w") as fh,
    ):
        for _ in range(megabytes):
            fh.write(chunk)
    return target


VRT_TEXT = """<OGRVRTDataSource>
  <OGRVRTLayer name="leak">
    <SrcDataSource>/etc/passwd</SrcDataSource>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""


def big_polygon(n_vertices: int) -> Polygon:
    """A valid polygon with ``n_vertices`` vertices (a regular polygon near Beijing)."""
    angle = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
    x = LON0 + 0.01 * np.cos(angle)
    y = LAT0 + 0.01 * np.sin(angle)
    return Polygon(np.column_stack([x, y]))


def many_boxes(n: int) -> gpd.GeoDataFrame:
    """``n`` tiny boxes (vectorised; fast for 200,000)."""
    cols = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = LON0 + (i % cols) * 0.0001
    y = LAT0 + (i // cols) * 0.0001
    geoms = shapely.box(x, y, x + 0.00005, y + 0.00005)
    return gpd.GeoDataFrame({"building_id": [f"b{k}" for k in i]}, geometry=geoms, crs=4326)
