"""Atomic, deterministic writing: GeoJSON (RFC 7946), GeoPackage, zipped Shapefile, CSV.

Every file is written into a private folder next to its destination and then
renamed onto it (:func:`atomic_path`), so an error leaves nothing half-written
and an old file in place. The same input gives the same bytes (GeoJSON, CSV,
JSON, zipped Shapefile; GeoPackages carry a fixed timestamp).

Export CRS (DATA_MODEL.md): EPSG:4326 by default; ``4490`` (CGCS2000),
``gcj02`` (Amap/Tencent) and ``bd09`` (Baidu) on request. GCJ-02 and BD-09
have no EPSG code: their files keep the EPSG:4326 label and only the numbers
change. A GeoJSON in any of them is no longer RFC 7946, which a warning says.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import decimal
import json
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gridmap import settings
from gridmap.crs_offsets import geometries_to_offset
from gridmap.errors import CRSError, InputError, warn
from gridmap.io import fields as _fields
from gridmap.io import safety
from gridmap.io.fields import SHAPEFILE_FIELDS
from gridmap.io.read import parse_crs
from gridmap.messages import Msg, msg
from gridmap.messages.values import Joined, Phrase

__all__ = [
    "SHAPEFILE_FIELDS",
    "EXPORT_FORMATS",
    "ID_COLUMNS",
    "atomic_path",
    "write_text",
    "write_json",
    "write_csv",
    "write_geojson",
    "export_layer",
    "export_file",
]

EXPORT_FORMATS = ("geojson", "gpkg", "shp", "csv")
# Each table's own id column (it gives GeoJSON features their "id"). A frame
# with all required columns of a table uses that table's id; otherwise the
# first of ID_COLUMNS whose values are unique.
_TABLE_IDS = (
    ("members", "member_id"),
    ("areas", "area_id"),
    ("grids", "grid_id"),
    ("lots", "lot_id"),
    ("buildings", "building_id"),
    ("compounds", "compound_id"),
    ("communities", "community_id"),
)
ID_COLUMNS = (
    "area_id",
    "member_id",
    "lot_id",
    "building_id",
    "grid_id",
    "compound_id",
    "community_id",
    "road_id",
    "id",
)
_DBF_TEXT_BYTES = 254


@contextlib.contextmanager
def atomic_path(dst: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``dst``; rename it onto ``dst`` on success.

    The temporary file lives in a private folder in ``dst``'s directory (same
    file system, so the rename is atomic) and has ``dst``'s name, so drivers
    that choose by file ending behave. On error the folder is deleted and
    ``dst`` is left as it was.

    Parameters
    ----------
    dst : str or path-like
        Final path; its folder is created when missing.

    Yields
    ------
    Path
        Where to write.
    """
    final = Path(dst)
    if final.is_dir():
        raise InputError(msg("io.dest_is_folder", path=final))
    final.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        tmp = tmpdir / final.name
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp}")
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text atomically with '\\n' line endings.

    Parameters
    ----------
    path : str or path-like
        Destination.
    text : str
        The text.

    Returns
    -------
    Path
    """
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return Path(path)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, Path):
        return str(value)
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _clean_json(value: Any) -> Any:
    """Replace NaN/inf floats by None so the output is strict JSON."""
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, dict):
        return {str(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value


def json_text(obj: Any) -> str:
    """Deterministic JSON text: sorted keys, UTF-8 characters, indent 2, newline."""
    return (
        json.dumps(
            _clean_json(obj),
            sort_keys=True,
            ensure_ascii=False,
            indent=2,
            default=_json_default,
            allow_nan=False,
        )
        + "\n"
    )


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as deterministic JSON (sorted keys, ensure_ascii=False, indent 2).

    Parameters
    ----------
    path : str or path-like
        Destination.
    obj : object
        JSON-able data; numpy scalars/arrays, Decimal, dates, sets and Paths
        are converted, NaN becomes null.

    Returns
    -------
    Path
    """
    return write_text(path, json_text(obj))


def _frame_for_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if isinstance(out, gpd.GeoDataFrame):
        geom = out.geometry.name
        wkt = shapely.to_wkt(
            out.geometry.to_numpy(), rounding_precision=settings.GEOJSON_PRECISION, trim=True
        )
        out = pd.DataFrame(out.drop(columns=geom))
        out["wkt"] = wkt
    out, _, bools = _fields.join_lists(out)
    for col in bools:
        out[col] = out[col].map(lambda v: "true" if v else "false")
    return out


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table as CSV atomically: UTF-8 with BOM (Excel opens Chinese right).

    Lists are joined with ';', booleans written true/false, a geometry column
    becomes a ``wkt`` column; no index; '\\n' line endings.

    Parameters
    ----------
    df : DataFrame
        The table (not changed).
    path : str or path-like
        Destination.

    Returns
    -------
    Path
    """
    table = _frame_for_text(df)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
    return Path(path)


# --- CRS for export ------------------------------------------------------------


def _export_crs(crs: str) -> tuple[CRS | str, str]:
    parsed = parse_crs(crs)
    if parsed is None:
        raise CRSError(msg("io.no_export_crs"))
    if isinstance(parsed, str):
        return parsed, parsed.upper()
    epsg = parsed.to_epsg()
    return parsed, f"EPSG:{epsg}" if epsg else parsed.name


def _to_export_crs(gdf: gpd.GeoDataFrame, crs: str) -> tuple[gpd.GeoDataFrame, CRS | str, str]:
    """A copy of ``gdf`` in the export CRS; offsets keep the EPSG:4326 label."""
    if gdf.crs is None:
        raise CRSError(msg("io.export_no_crs"))
    target, name = _export_crs(crs)
    wgs = gdf.to_crs(4326)
    if isinstance(target, str):
        out = wgs.copy()
        out[out.geometry.name] = gpd.GeoSeries(
            geometries_to_offset(wgs.geometry.to_numpy(), target), index=wgs.index, crs=4326
        )
        return out, target, name
    return wgs.to_crs(target), target, name


# --- GeoJSON -------------------------------------------------------------------


def _id_column(df: pd.DataFrame) -> str | None:
    from gridmap.schema import TABLES

    columns = set(df.columns)
    for table, col in _TABLE_IDS:
        if col in columns and set(TABLES[table]) <= columns:
            return col
    for col in ID_COLUMNS:
        if col in columns and df[col].notna().all() and df[col].astype(str).is_unique:
            return col
    return None


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, list | tuple | np.ndarray):
        return _fields.LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def _round_coordinates(geoms: np.ndarray, digits: int) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, digits))


def geojson_text(gdf: gpd.GeoDataFrame, *, digits: int = settings.GEOJSON_PRECISION) -> str:
    """The GeoJSON text of a frame already in its output CRS (no reprojection here).

    Polygons are oriented counter-clockwise outside and clockwise inside
    (RFC 7946 section 3.1.6) after rounding to ``digits`` decimals; features
    carry the table's id as ``id``; properties keep the column order; one
    feature per line.
    """
    geom_col = gdf.geometry.name
    geoms = _round_coordinates(gdf.geometry.to_numpy(), digits)
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    geo_json = [
        None if g is None or shapely.is_missing(g) else shapely.to_geojson(g) for g in geoms
    ]
    props = pd.DataFrame(gdf.drop(columns=geom_col))
    id_col = _id_column(props)
    columns = [str(c) for c in props.columns]
    rows = props.to_numpy(dtype=object) if len(columns) else np.empty((len(props), 0), object)
    lines = []
    for i in range(len(props)):
        record = {columns[j]: _json_value(rows[i, j]) for j in range(len(columns))}
        feature: dict[str, Any] = {"type": "Feature"}
        feature["id"] = record[id_col] if id_col is not None else i + 1
        feature["properties"] = record
        text = json.dumps(feature, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        geometry = geo_json[i]
        lines.append(text[:-1] + ',"geometry":' + (geometry or "null") + "}")
    body = ",\n".join(lines)
    return '{"type":"FeatureCollection","features":[\n' + body + ("\n" if lines else "") + "]}\n"


def write_geojson(
    gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], *, crs: str = "4326"
) -> list[Msg]:
    """Write RFC 7946 GeoJSON atomically (EPSG:4326, CCW rings, 6 decimals, ids, no crs).

    Parameters
    ----------
    gdf : GeoDataFrame
        Table with a CRS (not changed).
    path : str or path-like
        Destination.
    crs : str, default "4326"
        ``"4326"`` for RFC 7946. ``"4490"``, ``"gcj02"`` or ``"bd09"`` write
        those coordinates instead, with a warning that the file is no longer
        RFC 7946.

    Returns
    -------
    list of Msg
        Warnings (also emitted as GridmapWarning), each renders in Chinese or
        English (``Msg.line(lang)``).
    """
    out, target, name = _to_export_crs(gdf, crs)
    notes = []
    if not (isinstance(target, CRS) and target.to_epsg() == 4326):
        note = msg("io.geojson_not_rfc7946", path=path, crs=name)
        notes.append(note)
        warn(note)
    write_text(path, geojson_text(out))
    return notes


# --- GeoPackage, Shapefile, CSV ---------------------------------------------------


def _plain_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lists joined by ';', object columns of mixed values made text."""
    out, _, _ = _fields.join_lists(gdf)
    for col in out.columns:
        if col == out.geometry.name or out[col].dtype != object:
            continue
        values = out[col]
        kinds = {type(v) for v in values if v is not None and not _missing(v)}
        if kinds and not kinds <= {str}:
            if kinds <= {int, float, np.int64, np.float64}:
                out[col] = pd.to_numeric(values, errors="coerce")
            elif kinds <= {bool, np.bool_}:
                continue
            else:
                out[col] = values.map(lambda v: None if _missing(v) else str(v))
    return out


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _write_gpkg(gdf: gpd.GeoDataFrame, tmp: Path, *, layer: str, crs: CRS) -> None:
    frame = _plain_columns(gdf)
    frame = frame.set_crs(crs, allow_override=True)
    with safety.gdal_warnings(tmp.name):
        pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG", append=tmp.exists())


def _deterministic_zip(files: list[tuple[str, bytes]], target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)


def _dbf_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    data = value.encode("utf-8")
    if len(data) <= _DBF_TEXT_BYTES:
        return value
    return data[:_DBF_TEXT_BYTES].decode("utf-8", errors="ignore")


def _write_shapefile_zip(gdf: gpd.GeoDataFrame, tmp: Path, *, crs: CRS, path: Path) -> list[Msg]:
    frame, lists, bools = _fields.join_lists(gdf)
    geom = frame.geometry.name
    types = set(shapely.get_type_id(frame.geometry.to_numpy()).tolist()) - {-1}
    families = (
        (Phrase(msg("io.geometry_point")), {0, 4}),
        (Phrase(msg("io.geometry_line")), {1, 2, 5}),
        (Phrase(msg("io.geometry_polygon")), {3, 6}),
    )
    found = [name for name, ids in families if types & ids]
    if len(found) > 1 or 7 in types:
        raise InputError(msg("io.shp_mixed_types", path=path, types=Joined(found)))
    notes = []
    for col in bools:
        frame[col] = frame[col].astype(np.int64)
    columns = [c for c in frame.columns if c != geom]
    mapping = _fields.shapefile_names(columns)
    frame = _plain_columns(frame)
    cut = []
    for col in columns:
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col].dtype):
            before = frame[col]
            after = before.map(_dbf_text)
            changed = [a != b for a, b in zip(after, before, strict=True) if isinstance(b, str)]
            if any(changed):
                cut.append(col)
            frame[col] = after
    if cut:
        note = msg("io.shp_text_cut", path=path, limit=_DBF_TEXT_BYTES, columns=Joined(cut))
        notes.append(note)
        warn(note)
    frame = frame.rename(columns=mapping).set_crs(crs, allow_override=True)
    stem = tmp.stem
    with tempfile.TemporaryDirectory(dir=tmp.parent) as work:
        shp = Path(work) / f"{stem}.shp"
        with safety.gdal_warnings(path):
            pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding="UTF-8")
        (Path(work) / f"{stem}.cpg").write_text("UTF-8", encoding="ascii")
        (Path(work) / f"{stem}{_fields.SIDECAR_SUFFIX}").write_text(
            _fields.sidecar_json(mapping, lists, bools), encoding="utf-8"
        )
        members = []
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg", _fields.SIDECAR_SUFFIX):
            part = Path(work) / f"{stem}{suffix}"
            if part.exists():
                members.append((part.name, part.read_bytes()))
        _deterministic_zip(members, tmp)
    return notes


def export_layer(
    gdf: gpd.GeoDataFrame, dst: str | os.PathLike[str], *, fmt: str, crs: str = "4326"
) -> list[Msg]:
    """Write one table for city systems: GeoJSON, GeoPackage, zipped Shapefile or CSV.

    Parameters
    ----------
    gdf : GeoDataFrame
        The table, with a CRS (not changed).
    dst : str or path-like
        Destination file (a Shapefile is written as a .zip of .shp, .shx, .dbf,
        .prj, .cpg saying UTF-8, and gridmap's .fields.json).
    fmt : {"geojson", "gpkg", "shp", "csv"}
        Output format.
    crs : str, default "4326"
        ``"4326"``, ``"4490"`` (CGCS2000), ``"gcj02"`` or ``"bd09"`` (or any
        EPSG code for GeoPackage/Shapefile/CSV).

    Returns
    -------
    list of Msg
        Warnings (also emitted as GridmapWarning), for the user in either
        language (``Msg.line(lang)``).

    Notes
    -----
    Shapefile field names are cut to 10 characters by :data:`SHAPEFILE_FIELDS`
    (then a deterministic fallback); lists are joined with ';' and booleans
    written 0/1 (CSV: true/false). :func:`gridmap.io.read_vector` restores
    names, lists and booleans, so export then import gives the same table.
    """
    fmt = str(fmt).lower().strip()
    if fmt == "json":
        fmt = "geojson"
    if fmt not in EXPORT_FORMATS:
        raise InputError(msg("io.export_format_unknown", fmt=fmt, formats=Joined(EXPORT_FORMATS)))
    path = Path(dst)
    if fmt == "geojson":
        return write_geojson(gdf, path, crs=crs)
    out, target, name = _to_export_crs(gdf, crs)
    label = CRS.from_epsg(4326) if isinstance(target, str) else target
    notes: list[Msg] = []
    if isinstance(target, str):
        note = msg("io.offset_labelled_4326", path=path, crs=name)
        notes.append(note)
        warn(note)
    if fmt == "gpkg":
        layer = path.stem or "layer"
        with atomic_path(path) as tmp:
            _write_gpkg(out, tmp, layer=layer, crs=label)
    elif fmt == "shp":
        if path.suffix.lower() != ".zip":
            raise InputError(msg("io.shp_needs_zip", path=path, stem=path.stem))
        with atomic_path(path) as tmp:
            notes += _write_shapefile_zip(out, tmp, crs=label, path=path)
    else:
        write_csv(out, path)
    return notes


def export_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    fmt: str,
    crs: str = "4326",
    layer: str | None = None,
) -> list[Msg]:
    """Export a layer of a project GeoPackage (default ``buildings``) or a vector file.

    Parameters
    ----------
    src : str or path-like
        A project GeoPackage, or any file :func:`gridmap.io.read_vector` reads.
    dst : str or path-like
        Destination.
    fmt : {"geojson", "gpkg", "shp", "csv"}
        Output format.
    crs : str, default "4326"
        Output CRS (see :func:`export_layer`).
    layer : str, optional
        Layer to export (a project's layers: buildings, grids, areas, ...).

    Returns
    -------
    list of Msg
        Warnings (see :func:`export_layer`).
    """
    from gridmap.io.project import is_project, read_project
    from gridmap.io.read import read_vector

    if is_project(src):
        layers = read_project(src)
        name = layer or "buildings"
        table = layers.get(name)
        if not isinstance(table, gpd.GeoDataFrame):
            present = [k for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)]
            raise InputError(
                msg("io.project_no_layer", path=src, layer=name, layers=Joined(present))
            )
    else:
        table = read_vector(src, layer=layer)
    return export_layer(table, dst, fmt=fmt, crs=crs)
