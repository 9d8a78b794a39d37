"""Safe reading of user vector files into EPSG:4326 GeoDataFrames.

Every path goes through :mod:`gridmap.io.safety` before a library opens it.
GeoJSON, GeoPackage, Shapefile and KML are read by pyogrio in Arrow batches
(feature count checked first, vertices counted per batch, so an oversized file
stops early); CSV is read by pandas, with the geometry in a WKT column or in
lon/lat columns. Then, for every format:

- features without a usable geometry are dropped and named in one warning;
- 3D coordinates are dropped to 2D (warning);
- the CRS comes from the file, or from ``crs`` when the file has none (a file
  without either is refused); GCJ-02 and BD-09 are shifted back to WGS84;
- coordinates are checked: latitudes above 90, lat/lon swapped, metres labelled
  as degrees, degrees labelled as metres, points outside the CRS's area, a few
  features far away from the rest -> :class:`CRSError`; data outside China -> a
  warning;
- invalid geometries are repaired with :func:`shapely.make_valid` (warning with
  the count).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from gridmap.crs_offsets import OFFSET_SYSTEMS, geometries_from_offset, in_china
from gridmap.errors import CRSError, InputError, warn
from gridmap.io import fields as _fields
from gridmap.io import safety
from gridmap.messages import Msg, msg
from gridmap.messages.values import Joined, Phrase

__all__ = [
    "read_vector",
    "read_osm_path_check",
    "parse_crs",
    "decode_text",
    "read_table_text",
]

_BATCH_SIZE = 65_536
_OGR_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
)
_SHOW = 10  # feature numbers shown in one message
_WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "几何")
_LON_COLUMNS = ("lon", "lng", "long", "longitude", "x", "经度")
_LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
_CPG_ENCODINGS = {
    "utf8": "UTF-8",
    "utf-8": "UTF-8",
    "65001": "UTF-8",
    "gbk": "GB18030",
    "cp936": "GB18030",
    "936": "GB18030",
    "ansi 936": "GB18030",
    "gb2312": "GB18030",
    "gb18030": "GB18030",
    "54936": "GB18030",
}
# DBF language driver ids meaning code page 936 (GBK), from the ESRI table.
_LDID_GBK = (0x4D, 0x7A)


@dataclass
class _Raw:
    """What a format reader hands to the common checks."""

    attrs: pd.DataFrame
    geoms: np.ndarray
    labels: np.ndarray  # "feature 3" / "row 4": how messages name each record
    crs: CRS | None
    unreadable: np.ndarray  # True where a geometry existed but could not be parsed
    extra_warnings: list[Msg] = field(default_factory=list)


def _labels(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return np.array([f"{prefix} {n}" for n in numbers], dtype=object)


def _name_list(labels: Iterable[Any]) -> Phrase:
    """How a message names records labelled ``feature 3`` / ``row 4``: 'features 3, 5 and 2 more'.

    The first label's kind (feature or row) names them all; at most ``_SHOW``
    numbers are listed.
    """
    labels = [str(lab) for lab in labels]
    kind = labels[0].split(" ")[0] if labels else "feature"
    numbers = [lab.split(" ", 1)[1] if lab.startswith(kind + " ") else lab for lab in labels]
    shown = Joined(numbers[:_SHOW])
    more = len(labels) - _SHOW
    if kind == "row":
        if more > 0:
            return Phrase(msg("io.rows_more", numbers=shown, more=more))
        if len(labels) > 1:
            return Phrase(msg("io.rows_many", numbers=shown))
        return Phrase(msg("io.rows_one", numbers=shown))
    if more > 0:
        return Phrase(msg("io.features_more", numbers=shown, more=more))
    if len(labels) > 1:
        return Phrase(msg("io.features_many", numbers=shown))
    return Phrase(msg("io.features_one", numbers=shown))


# --- CRS ----------------------------------------------------------------------


def parse_crs(value: str | int | None) -> CRS | str | None:
    """Parse a user's ``crs`` option.

    Parameters
    ----------
    value : str or int or None
        ``"4326"``, ``"EPSG:4490"``, ``"gcj02"``, ``"bd09"`` or any EPSG code.

    Returns
    -------
    pyproj.CRS, or ``"gcj02"`` / ``"bd09"``, or None
    """
    if value is None:
        return None
    text = str(value).strip()
    key = text.lower().replace("-", "").replace("_", "")
    if key in OFFSET_SYSTEMS:
        return key
    match = re.fullmatch(r"(?:epsg:)?(\d{4,6})", text.lower())
    if not match:
        raise CRSError(msg("io.crs_unknown", crs=text))
    try:
        crs = CRS.from_epsg(int(match.group(1)))
    except ProjCRSError as exc:
        raise CRSError(msg("io.crs_no_such_epsg", crs=text)) from exc
    if not (crs.is_geographic or crs.is_projected):
        raise CRSError(msg("io.crs_not_map", crs=text, name=crs.name))
    return crs


def _crs_name(crs: CRS | str) -> str:
    if isinstance(crs, str):
        return crs.upper().replace("GCJ02", "GCJ-02").replace("BD09", "BD-09")
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _resolve_crs(file_crs: CRS | None, option: str | None, path: Path) -> CRS | str:
    asked = parse_crs(option)
    if asked is None:
        if file_crs is None:
            raise CRSError(msg("io.no_crs", path=path))
        return file_crs
    if isinstance(asked, str):
        if file_crs is not None and not file_crs.is_geographic:
            raise CRSError(
                msg(
                    "io.crs_offset_on_projected",
                    path=path,
                    asked=_crs_name(asked),
                    file_crs=_crs_name(file_crs),
                )
            )
        return asked
    if file_crs is not None and not file_crs.equals(asked, ignore_axis_order=True):
        warn(
            msg(
                "io.crs_override",
                path=path,
                file_crs=_crs_name(file_crs),
                asked=_crs_name(asked),
            )
        )
    return asked


def _is_geographic(src: CRS | str) -> bool:
    return isinstance(src, str) or src.is_geographic


def _check_coordinates(geoms: np.ndarray, labels: np.ndarray, src: CRS | str, path: Path) -> None:
    bounds = shapely.bounds(geoms)
    finite = np.isfinite(bounds).all(axis=1)
    if not finite.all():
        raise CRSError(
            msg("io.coords_not_numbers", path=path, features=_name_list(labels[~finite]))
        )
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    name = _crs_name(src)
    swapped: np.ndarray | None = None
    if _is_geographic(src):
        out = (
            (bounds[:, 0] < -180)
            | (bounds[:, 2] > 180)
            | (bounds[:, 1] < -90)
            | (bounds[:, 3] > 90)
        )
        if out.any():
            bad = _name_list(labels[out])
            sub = bounds[out]
            x, y = float(sub[0, 0]), float(sub[0, 1])
            if (np.abs(sub[:, [1, 3]]) <= 180).all() and (np.abs(sub[:, [0, 2]]) <= 90).all():
                raise CRSError(msg("io.coords_swapped_above_90", path=path, features=bad, x=x, y=y))
            if np.abs(sub).max() > 1000:
                raise CRSError(
                    msg("io.metres_as_degrees", path=path, features=bad, x=x, y=y, crs=name)
                )
            raise CRSError(
                msg("io.coords_out_of_range", path=path, features=bad, x=x, y=y, crs=name)
            )
        lon, lat = cx, cy
        swapped = in_china(cy, cx)
    else:
        crs = src
        assert isinstance(crs, CRS)
        if np.abs(bounds[:, [0, 2]]).max() <= 180 and np.abs(bounds[:, [1, 3]]).max() <= 90:
            raise CRSError(
                msg(
                    "io.degrees_as_metres",
                    path=path,
                    x=float(bounds[0, 0]),
                    y=float(bounds[0, 1]),
                    crs=name,
                )
            )
        transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
        with np.errstate(all="ignore"):
            lon, lat = transformer.transform(cx, cy, errcheck=False)
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        bad = ~np.isfinite(lon) | ~np.isfinite(lat)
        area = crs.area_of_use
        if area is not None and not bad.all():
            margin = 5.0
            west, east = area.west - margin, area.east + margin
            if area.west > area.east:  # crosses the antimeridian: do not judge longitude
                west, east = -180.0, 180.0
            bad |= (
                (lon < west)
                | (lon > east)
                | (lat < area.south - margin)
                | (lat > area.north + margin)
            )
        if bad.any():
            raise CRSError(_outside_area(path, labels[bad], name, area))
    inside = in_china(lon, lat)
    if inside.all():
        return
    if inside.any():
        far = ~inside
        features = _name_list(labels[far])
        if swapped is not None and swapped[far].all():
            raise CRSError(msg("io.some_swapped", path=path, features=features))
        n_inside = int(inside.sum())
        if int(far.sum()) == 1:
            raise CRSError(
                msg("io.far_outside_china_one", path=path, features=features, inside=n_inside)
            )
        raise CRSError(
            msg("io.far_outside_china_many", path=path, features=features, inside=n_inside)
        )
    if swapped is not None and swapped.all():
        raise CRSError(msg("io.all_swapped", path=path))
    lon_min, lat_min = float(np.min(lon)), float(np.min(lat))
    warn(msg("io.outside_china", path=path, lon=lon_min, lat=lat_min))


def _outside_area(path: Path, bad: np.ndarray, name: str, area: Any) -> Msg:
    """The message for features outside the area of use of a projected CRS."""
    features = _name_list(bad)
    one = len(bad) == 1
    if area is None and one:
        return msg("io.outside_crs_one", path=path, features=features, crs=name)
    if area is None:
        return msg("io.outside_crs_many", path=path, features=features, crs=name)
    west, east, south, north = area.west, area.east, area.south, area.north
    if one:
        return msg(
            "io.outside_crs_area_one",
            path=path,
            features=features,
            crs=name,
            west=west,
            east=east,
            south=south,
            north=north,
        )
    return msg(
        "io.outside_crs_area_many",
        path=path,
        features=features,
        crs=name,
        west=west,
        east=east,
        south=south,
        north=north,
    )


def _to_wgs84(geoms: np.ndarray, src: CRS | str) -> np.ndarray:
    if isinstance(src, str):
        return geometries_from_offset(geoms, src)
    if src.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return geoms
    series = gpd.GeoSeries(geoms, crs=src).to_crs(4326)
    return series.to_numpy()


# --- text and CSV ---------------------------------------------------------------


def decode_text(data: bytes, path: Path | str) -> tuple[str, str]:
    """Decode a text file: UTF-8 (with or without BOM), else GB18030 (GBK's superset).

    Parameters
    ----------
    data : bytes
        The file's bytes.
    path : Path or str
        For the message.

    Returns
    -------
    tuple of str
        (text, encoding name)
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError as exc:
            raise InputError(msg("io.bad_utf8_bom", path=path, byte=exc.start)) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise InputError(msg("io.undecodable_text", path=path, byte=exc.start)) from exc


def _sniff_separator(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def read_table_text(data: bytes, path: Path | str) -> pd.DataFrame:
    """Parse CSV bytes (UTF-8, BOM or GBK) into a frame of strings ('' for empty cells).

    Parameters
    ----------
    data : bytes
        The file's bytes.
    path : Path or str
        For messages.

    Returns
    -------
    pandas.DataFrame
        All cells as str; header names stripped.
    """
    text, _ = decode_text(data, path)
    if not text.strip():
        raise InputError(msg("io.table_empty", path=path))
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=_sniff_separator(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(msg("io.csv_unreadable", path=path, reason=str(exc))) from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df


_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _is_id_name(name: str) -> bool:
    low = unicodedata.normalize("NFKC", name).strip().lower()
    return low in ("id", "fid") or low.endswith(("_id", "_ids", "编号", "代码", "号"))


def _infer_column(values: pd.Series) -> pd.Series:
    """Turn a column of strings into int/float/bool where every value fits.

    Id-like columns (``*_id``, ``id``, ``*编号``...) stay text: '0101' and
    '110108001001' are codes, not numbers.
    """
    text = values.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
    filled = text[text.astype(bool)]
    missing = ~text.astype(bool)
    if filled.empty:
        return pd.Series([None] * len(values), index=values.index, dtype=object)
    if _is_id_name(str(values.name)):
        return text.where(~missing, None).astype(object)
    strings = filled.astype(str)
    leading_zero = strings.str.match(r"^[+-]?0\d").any()
    if strings.str.match(_INT).all() and not leading_zero and strings.str.len().max() <= 18:
        if missing.any():
            return pd.to_numeric(text.where(~missing, None), errors="coerce").astype(float)
        return strings.astype(np.int64).reindex(values.index)
    if strings.str.match(_FLOAT).all() and not leading_zero:
        return pd.to_numeric(text.where(~missing, None), errors="coerce").astype(float)
    low = strings.str.lower()
    if low.isin(["true", "false"]).all() and not missing.any():
        return (low == "true").reindex(values.index)
    return text.where(~missing, None).astype(object)


def _find_column(columns: Iterable[Any], names: Sequence[str]) -> str | None:
    norm = {unicodedata.normalize("NFKC", str(c)).strip().lower(): str(c) for c in columns}
    for name in names:
        if name in norm:
            return norm[name]
    return None


def _read_csv(path: Path) -> _Raw:
    df = read_table_text(path.read_bytes(), path)
    safety.check_feature_count(len(df), path)
    labels = _labels("row", np.arange(len(df)) + 2)
    wkt_col = _find_column(df.columns, _WKT_COLUMNS)
    lon_col = _find_column(df.columns, _LON_COLUMNS)
    lat_col = _find_column(df.columns, _LAT_COLUMNS)
    if wkt_col is not None:
        text = df[wkt_col].astype(object).str.strip()
        given = text.astype(bool).to_numpy()
        geoms = np.array([None] * len(df), dtype=object)
        if given.any():
            geoms[given] = shapely.from_wkt(text[given].to_numpy(), on_invalid="ignore")
        unreadable = given & pd.isna(geoms)
        drop = [wkt_col] + [c for c in (lon_col, lat_col) if c is not None]
    elif lon_col is not None and lat_col is not None:
        lon_text = df[lon_col].astype(object).str.strip()
        lat_text = df[lat_col].astype(object).str.strip()
        given = (lon_text.astype(bool) & lat_text.astype(bool)).to_numpy()
        lon = pd.to_numeric(lon_text.where(lon_text.astype(bool), None), errors="coerce")
        lat = pd.to_numeric(lat_text.where(lat_text.astype(bool), None), errors="coerce")
        ok = given & lon.notna().to_numpy() & lat.notna().to_numpy()
        geoms = np.array([None] * len(df), dtype=object)
        if ok.any():
            geoms[ok] = shapely.points(lon.to_numpy()[ok], lat.to_numpy()[ok])
        unreadable = given & ~ok
        drop = [lon_col, lat_col]
    elif len(df.columns):
        raise InputError(msg("io.no_geometry_column", path=path, columns=Joined(df.columns)))
    else:
        raise InputError(msg("io.no_geometry_column_empty", path=path))
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    safety.check_vertex_count(vertices, path)
    attrs = df.drop(columns=drop)
    attrs = pd.DataFrame({c: _infer_column(attrs[c]) for c in attrs.columns}, index=attrs.index)
    return _Raw(attrs, geoms, labels, None, unreadable)


# --- pyogrio formats ------------------------------------------------------------


def _shapefile_sibling(shp: Path, suffix: str) -> Path | None:
    for cand in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if cand.is_file():
            return cand
    for cand in shp.parent.glob(shp.stem + ".*"):
        if cand.name.lower() == (shp.stem + suffix).lower():
            return cand
    return None


def _dbf_text_bytes(dbf: Path) -> tuple[bytes, int]:
    """The bytes of the character fields of a DBF, and its language driver id."""
    data = dbf.read_bytes()
    if len(data) < 32:
        raise InputError(msg("io.dbf_unreadable", path=dbf))
    n_records = int.from_bytes(data[4:8], "little")
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    ldid = data[29]
    spans = []
    offset = 1
    pos = 32
    while pos + 32 <= header_len and data[pos] != 0x0D:
        ftype = chr(data[pos + 11])
        flen = data[pos + 16]
        if ftype == "C":
            spans.append((offset, offset + flen))
        offset += flen
        pos += 32
    body = data[header_len : header_len + n_records * record_len]
    if record_len == 0 or not spans or not body:
        return b"", ldid
    n = len(body) // record_len
    table = np.frombuffer(body[: n * record_len], dtype=np.uint8).reshape(n, record_len)
    parts = [table[:, a:b].tobytes() for a, b in spans]
    return b"".join(parts), ldid


def _shapefile_encoding(shp: Path) -> tuple[str | None, Msg | None]:
    """The encoding of a Shapefile's attributes and a warning text, if any."""
    cpg = _shapefile_sibling(shp, ".cpg")
    if cpg is not None:
        name = cpg.read_bytes()[:64].decode("ascii", errors="ignore").strip()
        key = name.lower()
        if key in _CPG_ENCODINGS:
            return _CPG_ENCODINGS[key], None
        try:
            return codecs.lookup(name).name, None
        except LookupError:
            pass
    dbf = _shapefile_sibling(shp, ".dbf")
    if dbf is None:
        raise InputError(msg("io.shp_part_missing", path=shp, suffix=".dbf"))
    safety.check_size(dbf)
    text, ldid = _dbf_text_bytes(dbf)
    try:
        text.decode("utf-8")
        return "UTF-8", None
    except UnicodeDecodeError:
        pass
    try:
        text.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InputError(msg("io.shp_encoding_unknown", path=shp)) from exc
    if ldid in _LDID_GBK:
        return "GB18030", None
    return "GB18030", msg("io.shp_decoded_gbk", path=shp)


def _read_batches(path: Path, *, layer: str | int | None, encoding: str | None) -> _Raw:
    """Read a GDAL-readable file in Arrow batches, counting features and vertices."""
    with safety.gdal_warnings(path):
        return _read_batches_inner(path, layer=layer, encoding=encoding)


def _read_batches_inner(path: Path, *, layer: str | int | None, encoding: str | None) -> _Raw:
    try:
        info = pyogrio.read_info(path, layer=layer, encoding=encoding, force_feature_count=True)
    except pyogrio.errors.DataLayerError as exc:
        raise InputError(msg("io.layer_error", path=path, reason=str(exc))) from exc
    except _OGR_ERRORS as exc:
        raise InputError(msg("io.unreadable_file", path=path, reason=str(exc))) from exc
    expected = int(info.get("features") or 0)
    safety.check_feature_count(expected, path, layer=None)
    frames: list[pd.DataFrame] = []
    geoms_parts: list[np.ndarray] = []
    bad_parts: list[np.ndarray] = []
    count = 0
    vertices = 0
    try:
        with pyogrio.open_arrow(
            path,
            layer=layer,
            encoding=encoding,
            use_pyarrow=True,
            batch_size=_BATCH_SIZE,
            datetime_as_string=True,
        ) as (meta, reader):
            geom_name = meta.get("geometry_name") or "wkb_geometry"
            crs_text = meta.get("crs")
            for batch in reader:
                names = batch.schema.names
                wkb = (
                    batch.column(names.index(geom_name)).to_pylist()
                    if geom_name in names
                    else [None] * batch.num_rows
                )
                attrs = batch.drop_columns([geom_name]) if geom_name in names else batch
                df = attrs.to_pandas()
                wkb_arr = np.array(wkb, dtype=object)
                geoms = shapely.from_wkb(wkb_arr, on_invalid="ignore")
                bad_parts.append(pd.notna(wkb_arr) & pd.isna(geoms))
                count += len(df)
                safety.check_feature_count(count, path)
                vertices += int(shapely.get_num_coordinates(geoms).sum())
                safety.check_vertex_count(vertices, path)
                frames.append(df)
                geoms_parts.append(geoms)
            if not frames:
                empty = reader.schema.empty_table()
                if geom_name in empty.schema.names:
                    empty = empty.drop_columns([geom_name])
                frames.append(empty.to_pandas())
    except _OGR_ERRORS as exc:
        raise InputError(msg("io.unreadable_file", path=path, reason=str(exc))) from exc
    except UnicodeDecodeError as exc:
        raise InputError(msg("io.wrong_encoding", path=path, reason=exc.reason)) from exc
    if expected >= 0 and count < expected:
        # GDAL's Arrow stream ends quietly at a damaged record: never lose the
        # rest of the file without saying so.
        raise InputError(msg("io.file_damaged", path=path, count=count, expected=expected))
    attrs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for col in attrs.columns:
        if (
            str(attrs[col].dtype).startswith(("list", "struct"))
            or attrs[col].map(lambda v: isinstance(v, dict | list)).any()
        ):
            attrs[col] = attrs[col].map(lambda v: v if not isinstance(v, dict) else str(v))
    geoms = np.concatenate(geoms_parts) if geoms_parts else np.array([], dtype=object)
    unreadable = np.concatenate(bad_parts) if bad_parts else np.array([], dtype=bool)
    crs = CRS.from_user_input(crs_text) if crs_text else None
    return _Raw(attrs, geoms, _labels("feature", np.arange(len(geoms)) + 1), crs, unreadable)


def _check_json_text(path: Path, tmp: Path) -> tuple[Path, Msg | None]:
    """GeoJSON must be UTF-8 (RFC 7946): strip a BOM, transcode GBK with a warning."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
        if not text.startswith("\ufeff"):
            return path, None
        out = tmp / "data.geojson"
        out.write_text(text[1:], encoding="utf-8")
        return out, None
    except UnicodeDecodeError:
        pass
    text, _ = decode_text(data, path)
    out = tmp / "data.geojson"
    out.write_text(text, encoding="utf-8")
    return out, msg("io.geojson_not_utf8", path=path)


def _gpkg_layer(path: Path, layer: str | None) -> str:
    safety.check_gpkg(path)
    try:
        with safety.gdal_warnings(path):
            listed = pyogrio.list_layers(path)
    except _OGR_ERRORS as exc:
        raise InputError(msg("io.gpkg_unreadable", path=path, reason=str(exc))) from exc
    names = [str(row[0]) for row in listed]
    spatial = [str(row[0]) for row in listed if row[1] is not None]
    if layer is not None:
        if layer not in names and names:
            raise InputError(msg("io.no_such_layer", path=path, layer=layer, names=Joined(names)))
        if layer not in names:
            raise InputError(msg("io.no_such_layer_none", path=path, layer=layer))
        return layer
    from gridmap.schema import LAYER_NAMES

    if "buildings" in names and set(names) <= set(LAYER_NAMES) | {"edit_log"}:
        return "buildings"
    if len(spatial) == 1:
        return spatial[0]
    if not spatial:
        raise InputError(msg("io.gpkg_no_spatial_layer", path=path))
    raise InputError(
        msg("io.gpkg_several_layers", path=path, count=len(spatial), names=Joined(spatial))
    )


def _read_kml(path: Path, layer: str | None) -> _Raw:
    try:
        with safety.gdal_warnings(path):
            names = [str(row[0]) for row in pyogrio.list_layers(path)]
    except _OGR_ERRORS as exc:
        raise InputError(msg("io.kml_unreadable", path=path, reason=str(exc))) from exc
    if layer is not None:
        if layer not in names:
            raise InputError(
                msg("io.no_such_kml_folder", path=path, layer=layer, names=Joined(names))
            )
        names = [layer]
    parts = []
    for name in names:
        raw = _read_batches(path, layer=name, encoding=None)
        if len(names) > 1:
            raw.attrs = raw.attrs.assign(folder=name)
        parts.append(raw)
    if not parts:
        raise InputError(msg("io.kml_empty", path=path))
    geoms = np.concatenate([p.geoms for p in parts])
    return _Raw(
        pd.concat([p.attrs for p in parts], ignore_index=True),
        geoms,
        _labels("feature", np.arange(len(geoms)) + 1),
        parts[0].crs,
        np.concatenate([p.unreadable for p in parts]),
    )


_DATA_ENDINGS = (".shp", ".geojson", ".json", ".gpkg", ".kml", ".csv")
_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", _fields.SIDECAR_SUFFIX)


def _zip_members(path: Path, layer: str | None) -> tuple[list[Any], str | None]:
    infos = safety.check_zip(path)

    def junk(name: str) -> bool:
        base = name.rsplit("/", 1)[-1]
        return name.startswith("__MACOSX/") or base.startswith("._") or base == ".DS_Store"

    infos = [i for i in infos if not junk(i.filename)]
    candidates = [
        i
        for i in infos
        if i.filename.lower().endswith(_DATA_ENDINGS)
        and not i.filename.lower().endswith(_fields.SIDECAR_SUFFIX)
    ]
    if not candidates and infos:
        listed = Joined(i.filename for i in infos[:_SHOW])
        raise InputError(msg("io.zip_no_data", path=path, names=listed))
    if not candidates:
        raise InputError(msg("io.zip_no_data_empty", path=path))

    def stem(name: str) -> str:
        base = name.rsplit("/", 1)[-1]
        return base.rsplit(".", 1)[0]

    chosen = candidates[0]
    inner_layer = layer
    if len(candidates) > 1:
        matches = [i for i in candidates if layer is not None and stem(i.filename) == layer]
        if len(matches) != 1:
            raise InputError(
                msg("io.zip_several", path=path, names=Joined(i.filename for i in candidates))
            )
        chosen = matches[0]
        inner_layer = None
    members = [chosen]
    if chosen.filename.lower().endswith(".shp"):
        prefix = chosen.filename[: -len(".shp")].lower()
        members = [
            i
            for i in infos
            if i.filename.lower().startswith(prefix)
            and i.filename[len(prefix) :].lower() in _SHP_SIDECARS
        ]
        members.sort(key=lambda i: not i.filename.lower().endswith(".shp"))
    return members, inner_layer


@contextlib.contextmanager
def _materialise(path: Path, fmt: str, layer: str | None) -> Iterator[tuple[Path, str, str | None]]:
    """Yield (readable path, format, layer) with a zip unpacked into a private folder."""
    if fmt != "zip":
        yield path, fmt, layer
        return
    members, inner_layer = _zip_members(path, layer)
    with tempfile.TemporaryDirectory(prefix="gridmap-unzip-") as tmp:
        files = safety.extract_zip(path, members, Path(tmp))
        main = files[0]
        inner = safety.detect_format(main)
        if inner not in ("geojson", "gpkg", "shp", "kml", "csv"):
            raise InputError(msg("io.zip_entry_not_vector", path=path, name=main.name, fmt=inner))
        yield main, inner, inner_layer


# Id columns of gridmap's tables; GDAL turns a GeoJSON feature's string "id"
# into an "id" column, which echoes one of these in files gridmap wrote.
_TABLE_ID_COLUMNS = (
    "building_id",
    "area_id",
    "grid_id",
    "member_id",
    "lot_id",
    "compound_id",
    "community_id",
    "road_id",
)


def _drop_echoed_id(attrs: pd.DataFrame) -> pd.DataFrame:
    if "id" not in attrs.columns:
        return attrs
    ids = attrs["id"].astype(object).map(lambda v: None if pd.isna(v) else str(v))
    for col in _TABLE_ID_COLUMNS:
        if col in attrs.columns:
            other = attrs[col].astype(object).map(lambda v: None if pd.isna(v) else str(v))
            if ids.equals(other):
                return attrs.drop(columns="id")
    return attrs


def _read_raw(path: Path, fmt: str, layer: str | None) -> tuple[_Raw, dict[str, Any] | None]:
    """Read one data file (already checked, not a zip) into a _Raw."""
    sidecar = None
    if fmt == "csv":
        return _read_csv(path), None
    if fmt == "gpkg":
        return _read_batches(path, layer=_gpkg_layer(path, layer), encoding=None), None
    if fmt == "kml":
        return _read_kml(path, layer), None
    if fmt == "geojson":
        with tempfile.TemporaryDirectory(prefix="gridmap-json-") as tmp:
            readable, note = _check_json_text(path, Path(tmp))
            raw = _read_batches(readable, layer=None, encoding=None)
        if note:
            raw.extra_warnings.append(note)
        raw.attrs = _drop_echoed_id(raw.attrs)
        return raw, None
    if fmt == "shp":
        for suffix in (".shx", ".dbf"):
            if _shapefile_sibling(path, suffix) is None:
                raise InputError(msg("io.shp_part_missing", path=path, suffix=suffix))
        for suffix in (".shx", ".dbf", ".prj", ".cpg"):
            sib = _shapefile_sibling(path, suffix)
            if sib is not None:
                safety.check_size(sib)
        encoding, note = _shapefile_encoding(path)
        raw = _read_batches(path, layer=None, encoding=encoding)
        if note:
            raw.extra_warnings.append(note)
        side = path.with_name(path.stem + _fields.SIDECAR_SUFFIX)
        if side.is_file() and side.stat().st_size < 1_000_000:
            parsed = _fields.read_sidecar(side.read_text(encoding="utf-8", errors="replace"))
            if parsed is not None:
                sidecar = {"fields": parsed[0], "lists": parsed[1], "booleans": parsed[2]}
        return raw, sidecar or {"fields": None, "lists": [], "booleans": []}
    if fmt in ("osm", "osm.bz2", "pbf"):
        raise InputError(msg("io.osm_not_here", path=path, fmt=fmt))
    raise InputError(msg("io.format_not_read", path=path, fmt=fmt))


def _dropped_part(reason: str, which: np.ndarray) -> Phrase:
    """'features 2, 3 (no geometry)': dropped features and why, for the drop warning."""
    features = _name_list(which)
    if reason == "no geometry":
        return Phrase(msg("io.dropped_no_geometry", features=features))
    if reason == "unreadable geometry":
        return Phrase(msg("io.dropped_unreadable", features=features))
    if reason == "empty geometry":
        return Phrase(msg("io.dropped_empty", features=features))
    if reason == "a geometry collection":
        return Phrase(msg("io.dropped_collection", features=features))
    if reason == "a point":
        return Phrase(msg("io.dropped_point", features=features))
    return Phrase(msg("io.dropped_line", features=features))


def _drop_unusable(raw: _Raw, family: str | None, path: Path) -> tuple[_Raw, list[Msg]]:
    geoms = raw.geoms
    types = shapely.get_type_id(geoms)
    reasons = np.full(len(geoms), "", dtype=object)
    null = pd.isna(geoms)
    reasons[null] = "no geometry"
    reasons[raw.unreadable] = "unreadable geometry"
    empty = ~null & shapely.is_empty(geoms)
    reasons[empty] = "empty geometry"
    collection = ~null & ~empty & (types == 7)
    reasons[collection] = "a geometry collection"
    if family == "polygon":
        other = ~null & ~empty & ~collection & ~np.isin(types, (3, 6))
        for type_id, name in (
            (0, "a point"),
            (1, "a line"),
            (2, "a line"),
            (4, "a point"),
            (5, "a line"),
        ):
            reasons[other & (types == type_id)] = name
    drop = reasons != ""
    notes = []
    if drop.any():
        parts = [
            _dropped_part(reason, raw.labels[reasons == reason])
            for reason in dict.fromkeys(reasons[drop])
        ]
        notes.append(
            msg(
                "io.dropped_features",
                path=path,
                count=int(drop.sum()),
                total=len(geoms),
                parts=Joined(parts, en="; ", zh="；"),
            )
        )
    keep = ~drop
    kept = _Raw(
        raw.attrs.loc[keep].reset_index(drop=True),
        geoms[keep],
        raw.labels[keep],
        raw.crs,
        raw.unreadable[keep],
        raw.extra_warnings,
    )
    return kept, notes


def _repair(
    geoms: np.ndarray, labels: np.ndarray, path: Path
) -> tuple[np.ndarray, np.ndarray, list[Msg]]:
    valid = shapely.is_valid(geoms)
    if valid.all():
        return geoms, np.ones(len(geoms), dtype=bool), []
    bad = ~valid
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    out = geoms.copy()
    poly_bad = bad & polygonal
    if poly_bad.any():
        out[poly_bad] = shapely.make_valid(
            geoms[poly_bad], method="structure", keep_collapsed=False
        )
    other_bad = bad & ~polygonal
    if other_bad.any():
        out[other_bad] = shapely.make_valid(geoms[other_bad])
    collapsed = bad & (pd.isna(out) | shapely.is_empty(out))
    n_bad = int(bad.sum())
    features = _name_list(labels[bad])
    notes = [
        msg("io.repaired_one", path=path, count=n_bad, features=features)
        if n_bad == 1
        else msg("io.repaired_many", path=path, count=n_bad, features=features)
    ]
    if collapsed.any():
        notes.append(msg("io.repair_collapsed", path=path, features=_name_list(labels[collapsed])))
    return out, ~collapsed, notes


def _read(
    path: str | os.PathLike[str], *, layer: str | None, crs: str | None, family: str | None
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Read, check and convert; return the frame and the feature labels of its rows."""
    p = safety.check_path(path)
    safety.check_size(p)
    fmt = safety.detect_format(p)
    if fmt == "xlsx":
        raise InputError(msg("io.spreadsheet_no_geometry", path=p))
    with _materialise(p, fmt, layer) as (real, real_fmt, real_layer):
        raw, sidecar = _read_raw(real, real_fmt, real_layer)
    notes = list(raw.extra_warnings)
    if len(raw.geoms) == 0:
        raise InputError(msg("io.no_features", path=p))
    if family == "polygon":
        types = shapely.get_type_id(raw.geoms)
        if not np.isin(types, (3, 6)).any() and np.isin(types, (0, 4)).any():
            raise InputError(msg("io.points_not_footprints", path=p))
        if not np.isin(types, (3, 6)).any() and np.isin(types, (1, 2, 5)).any():
            raise InputError(msg("io.lines_not_footprints", path=p))
    raw, dropped = _drop_unusable(raw, family, p)
    notes += dropped
    if len(raw.geoms) == 0:
        for note in notes:
            warn(note)
        raise InputError(msg("io.no_usable_geometry", path=p))
    geoms = raw.geoms
    if shapely.has_z(geoms).any():
        n = int(shapely.has_z(geoms).sum())
        geoms = shapely.force_2d(geoms)
        notes.append(msg("io.dropped_z", path=p, count=n))
    src = _resolve_crs(raw.crs, crs, p)
    _check_coordinates(geoms, raw.labels, src, p)
    geoms = _to_wgs84(geoms, src)
    geoms, keep, repaired = _repair(geoms, raw.labels, p)
    notes += repaired
    attrs = raw.attrs.loc[keep].reset_index(drop=True)
    labels = raw.labels[keep]
    geoms = geoms[keep]
    if sidecar is not None:
        renames = _fields.restore_names(attrs.columns, sidecar["fields"])
        attrs = attrs.rename(columns=renames)
        attrs = _fields.restore_types(
            attrs,
            lists=sidecar["lists"] or _fields.LIST_COLUMNS,
            bools=sidecar["booleans"] or _fields.BOOL_COLUMNS,
        )
    else:
        attrs = _fields.restore_types(attrs)
    if "geometry" in attrs.columns:
        attrs = attrs.rename(columns={"geometry": "geometry_attr"})
    for note in notes:
        warn(note, stacklevel=3)
    gdf = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, crs=4326), crs=4326)
    return gdf, labels


def read_vector(
    path: str | os.PathLike[str], *, layer: str | None = None, crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read a vector file safely into EPSG:4326.

    Parameters
    ----------
    path : str or Path
        GeoJSON, GeoPackage, zipped Shapefile (.zip) or .shp, KML, or CSV with a
        WKT column (``wkt``/``geometry``) or lon/lat columns (``lon``/``lng``/
        ``longitude``/``x``/经度 and ``lat``/``latitude``/``y``/纬度).
    layer : str, optional
        Layer of a multi-layer GeoPackage, folder of a KML file, or data set of a
        zip holding several. A project GeoPackage reads ``buildings`` by default.
    crs : str, optional
        CRS of a file that has none: ``"4326"``, ``"4490"``, ``"gcj02"``,
        ``"bd09"`` or an EPSG code. GCJ-02 and BD-09 coordinates are shifted to
        WGS84 (also when the file says EPSG:4326, as Amap/Baidu exports do).

    Returns
    -------
    GeoDataFrame
        In EPSG:4326, one row per usable feature, index 0..n-1.

    Raises
    ------
    InputError
        A file gridmap cannot read or that is refused (HostileInputError), or
        a CRS problem (CRSError).
    """
    return _read(path, layer=layer, crs=crs, family=None)[0]


def read_osm_path_check(path: str | os.PathLike[str]) -> Path:
    """Size, magic-byte and decompression checks of an OSM file before it is parsed.

    Parameters
    ----------
    path : str or Path
        A .osm, .osm.bz2 or .osm.pbf file.

    Returns
    -------
    Path
        The checked absolute path.
    """
    return safety.check_osm_path(path)
