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
_CRS_FIX = (
    "pass crs='4326' (GPS/WGS84), '4490' (CGCS2000), 'gcj02' (Amap/Tencent), 'bd09' (Baidu) "
    "or an EPSG code (command line: --crs)"
)
_CHINA_HINT = "gridmap's estimates and defaults are made for Chinese cities"


@dataclass
class _Raw:
    """What a format reader hands to the common checks."""

    attrs: pd.DataFrame
    geoms: np.ndarray
    labels: np.ndarray  # "feature 3" / "row 4": how messages name each record
    crs: CRS | None
    unreadable: np.ndarray  # True where a geometry existed but could not be parsed
    extra_warnings: list[str] = field(default_factory=list)


def _labels(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return np.array([f"{prefix} {n}" for n in numbers], dtype=object)


def _name_list(labels: Iterable[Any]) -> str:
    labels = [str(lab) for lab in labels]
    if not labels:
        return ""
    kind = labels[0].split(" ")[0]
    numbers = [lab.split(" ", 1)[1] if lab.startswith(kind + " ") else lab for lab in labels]
    shown = ", ".join(numbers[:_SHOW])
    more = f" and {len(labels) - _SHOW} more" if len(labels) > _SHOW else ""
    plural = "s" if len(labels) > 1 else ""
    return f"{kind}{plural} {shown}{more}"


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
        raise CRSError(f"unknown CRS {text!r}", fix=_CRS_FIX)
    try:
        crs = CRS.from_epsg(int(match.group(1)))
    except ProjCRSError as exc:
        raise CRSError(f"unknown CRS {text!r}: no such EPSG code", fix=_CRS_FIX) from exc
    if not (crs.is_geographic or crs.is_projected):
        raise CRSError(f"CRS {text!r} ({crs.name}) is not a map CRS", fix=_CRS_FIX)
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
            raise CRSError(f"{path}: the file has no coordinate reference system", fix=_CRS_FIX)
        return file_crs
    if isinstance(asked, str):
        if file_crs is not None and not file_crs.is_geographic:
            raise CRSError(
                f"{path}: crs {_crs_name(asked)} means lon/lat degrees, but the file's CRS is "
                f"{_crs_name(file_crs)} (projected)",
                fix="omit crs to use the file's CRS",
            )
        return asked
    if file_crs is not None and not file_crs.equals(asked, ignore_axis_order=True):
        warn(
            f"{path}: the file says {_crs_name(file_crs)}; reading it as {_crs_name(asked)} "
            "as asked"
        )
    return asked


def _lie(n: int) -> str:
    return "lies" if n == 1 else "lie"


def _is_geographic(src: CRS | str) -> bool:
    return isinstance(src, str) or src.is_geographic


def _check_coordinates(geoms: np.ndarray, labels: np.ndarray, src: CRS | str, path: Path) -> None:
    bounds = shapely.bounds(geoms)
    finite = np.isfinite(bounds).all(axis=1)
    if not finite.all():
        raise CRSError(
            f"{path}: {_name_list(labels[~finite])}: coordinates that are not numbers",
            fix="correct or delete those features",
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
            bad = labels[out]
            sub = bounds[out]
            example = f"x={sub[0, 0]:.6g}, y={sub[0, 1]:.6g}"
            if (np.abs(sub[:, [1, 3]]) <= 180).all() and (np.abs(sub[:, [0, 2]]) <= 90).all():
                raise CRSError(
                    f"{path}: {_name_list(bad)}: latitude and longitude seem swapped "
                    f"({example}: a latitude above 90)",
                    fix="write x as longitude and y as latitude (lon, lat order)",
                )
            if np.abs(sub).max() > 1000:
                raise CRSError(
                    f"{path}: {_name_list(bad)}: coordinates like {example} look like metres, "
                    f"but the CRS {name} is in degrees",
                    fix="give the file's real projected CRS (e.g. crs='EPSG:4547' or the UTM "
                    "zone), or fix its .prj",
                )
            raise CRSError(
                f"{path}: {_name_list(bad)}: coordinates like {example} lie outside the valid "
                f"range of {name} (longitude -180..180, latitude -90..90)",
                fix="check the CRS and the coordinates",
            )
        lon, lat = cx, cy
        swapped = in_china(cy, cx)
    else:
        crs = src
        assert isinstance(crs, CRS)
        if np.abs(bounds[:, [0, 2]]).max() <= 180 and np.abs(bounds[:, [1, 3]]).max() <= 90:
            raise CRSError(
                f"{path}: coordinates like x={bounds[0, 0]:.6g}, y={bounds[0, 1]:.6g} look like "
                f"degrees, but the CRS {name} is projected (metres)",
                fix="read it as crs='4326' (or 4490/gcj02/bd09), or fix the file's .prj",
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
            where = (
                f"({area.west:g}..{area.east:g} E, {area.south:g}..{area.north:g} N)"
                if area is not None
                else ""
            )
            raise CRSError(
                f"{path}: {_name_list(labels[bad])} {_lie(int(bad.sum()))} outside the area "
                f"where {name} is valid "
                f"{where}",
                fix="the file's CRS is probably wrong: give the right one with crs=",
            )
    inside = in_china(lon, lat)
    if inside.all():
        return
    if inside.any():
        far = ~inside
        if swapped is not None and swapped[far].all():
            raise CRSError(
                f"{path}: {_name_list(labels[far])}: latitude and longitude seem swapped "
                "(they fall in China only when swapped, like the rest)",
                fix="write x as longitude and y as latitude for those features",
            )
        raise CRSError(
            f"{path}: {_name_list(labels[far])} {_lie(int(far.sum()))} far outside China while "
            "the other "
            f"{int(inside.sum())} features are inside",
            fix="correct or delete those features",
        )
    if swapped is not None and swapped.all():
        raise CRSError(
            f"{path}: latitude and longitude seem swapped: every feature falls in China only "
            "when x and y are exchanged",
            fix="write x as longitude and y as latitude (lon, lat order)",
        )
    lon_min, lat_min = float(np.min(lon)), float(np.min(lat))
    warn(
        f"{path}: the data lie outside China (near {lon_min:.3f} E, {lat_min:.3f} N); {_CHINA_HINT}"
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
            raise InputError(
                f"{path}: starts with a UTF-8 BOM but is not valid UTF-8 (byte {exc.start})",
                fix="save the file again as UTF-8",
            ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: text is neither UTF-8 nor GBK/GB18030 (undecodable byte at {exc.start})",
            fix="save the file as UTF-8",
        ) from exc


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
        raise InputError(f"{path}: the table is empty", fix="add a header row and data rows")
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=_sniff_separator(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(
            f"{path}: not a readable CSV table ({exc})", fix="check the quoting"
        ) from exc
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
    else:
        raise InputError(
            f"{path}: no geometry column: found {', '.join(df.columns) or 'no columns'}",
            fix="add a 'wkt' column with WKT geometries, or 'lon' and 'lat' (经度, 纬度) columns",
        )
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
        raise InputError(f"{dbf}: not a readable .dbf file", fix="re-export the Shapefile")
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


def _shapefile_encoding(shp: Path) -> tuple[str | None, str | None]:
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
        raise InputError(
            f"{shp}: the .dbf file of the Shapefile is missing",
            fix="put the .shp, .shx, .dbf (and .prj, .cpg) files together, or zip them",
        )
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
        raise InputError(
            f"{shp}: attribute text is neither UTF-8 nor GBK/GB18030 and there is no .cpg file",
            fix="add a .cpg file naming the encoding (e.g. a line 'GBK'), or re-export as UTF-8",
        ) from exc
    if ldid in _LDID_GBK:
        return "GB18030", None
    return "GB18030", (
        f"{shp}: no .cpg file; attribute text decoded as GBK/GB18030 (it is not UTF-8): "
        "check that the names read right"
    )


def _read_batches(path: Path, *, layer: str | int | None, encoding: str | None) -> _Raw:
    """Read a GDAL-readable file in Arrow batches, counting features and vertices."""
    with safety.gdal_warnings(path):
        return _read_batches_inner(path, layer=layer, encoding=encoding)


def _read_batches_inner(path: Path, *, layer: str | int | None, encoding: str | None) -> _Raw:
    try:
        info = pyogrio.read_info(path, layer=layer, encoding=encoding, force_feature_count=True)
    except pyogrio.errors.DataLayerError as exc:
        raise InputError(f"{path}: {exc}", fix="check the layer name") from exc
    except _OGR_ERRORS as exc:
        raise InputError(f"{path}: not a readable file ({exc})", fix="re-export the file") from exc
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
        raise InputError(f"{path}: not a readable file ({exc})", fix="re-export the file") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: attribute text is not in the expected encoding ({exc.reason})",
            fix="save the file as UTF-8 (a Shapefile: add a .cpg file naming its encoding)",
        ) from exc
    if expected >= 0 and count < expected:
        # GDAL's Arrow stream ends quietly at a damaged record: never lose the
        # rest of the file without saying so.
        raise InputError(
            f"{path}: the file is damaged: reading stopped after feature {count} of {expected}",
            fix="repair or re-export the file (for a Shapefile: the .shp, .shx and .dbf must "
            "come from the same export)",
        )
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


def _check_json_text(path: Path, tmp: Path) -> tuple[Path, str | None]:
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
    return out, f"{path}: GeoJSON is not UTF-8 as RFC 7946 requires; read it as GBK/GB18030"


def _gpkg_layer(path: Path, layer: str | None) -> str:
    safety.check_gpkg(path)
    try:
        with safety.gdal_warnings(path):
            listed = pyogrio.list_layers(path)
    except _OGR_ERRORS as exc:
        raise InputError(f"{path}: not a readable GeoPackage ({exc})", fix="re-export it") from exc
    names = [str(row[0]) for row in listed]
    spatial = [str(row[0]) for row in listed if row[1] is not None]
    if layer is not None:
        if layer not in names:
            raise InputError(
                f"{path}: no layer {layer!r}; the layers are {', '.join(names) or 'none'}",
                fix="pass one of those layer names",
            )
        return layer
    from gridmap.schema import LAYER_NAMES

    if "buildings" in names and set(names) <= set(LAYER_NAMES) | {"edit_log"}:
        return "buildings"
    if len(spatial) == 1:
        return spatial[0]
    if not spatial:
        raise InputError(
            f"{path}: the GeoPackage has no layer with geometries", fix="check the file"
        )
    raise InputError(
        f"{path}: the GeoPackage has {len(spatial)} layers: {', '.join(spatial)}",
        fix="choose one with layer= (command line: --layer NAME)",
    )


def _read_kml(path: Path, layer: str | None) -> _Raw:
    try:
        with safety.gdal_warnings(path):
            names = [str(row[0]) for row in pyogrio.list_layers(path)]
    except _OGR_ERRORS as exc:
        raise InputError(f"{path}: not a readable KML file ({exc})", fix="re-export it") from exc
    if layer is not None:
        if layer not in names:
            raise InputError(
                f"{path}: no KML folder {layer!r}; the folders are {', '.join(names)}",
                fix="pass one of those names",
            )
        names = [layer]
    parts = []
    for name in names:
        raw = _read_batches(path, layer=name, encoding=None)
        if len(names) > 1:
            raw.attrs = raw.attrs.assign(folder=name)
        parts.append(raw)
    if not parts:
        raise InputError(f"{path}: the KML file holds no features", fix="check the file")
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
    if not candidates:
        listed = ", ".join(i.filename for i in infos[:_SHOW]) or "nothing"
        raise InputError(
            f"{path}: the zip holds no data file gridmap reads (it holds {listed})",
            fix="zip a Shapefile (.shp .shx .dbf .prj), GeoJSON, GeoPackage, KML or CSV",
        )

    def stem(name: str) -> str:
        base = name.rsplit("/", 1)[-1]
        return base.rsplit(".", 1)[0]

    chosen = candidates[0]
    inner_layer = layer
    if len(candidates) > 1:
        matches = [i for i in candidates if layer is not None and stem(i.filename) == layer]
        if len(matches) != 1:
            raise InputError(
                f"{path}: the zip holds several data sets: "
                f"{', '.join(i.filename for i in candidates)}",
                fix="choose one with layer= (command line: --layer NAME, the file name without "
                "its ending)",
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
            raise InputError(
                f"{path}: zip entry {main.name} is {inner}, not a vector data file",
                fix="zip a Shapefile, GeoJSON, GeoPackage, KML or CSV",
            )
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
                raise InputError(
                    f"{path}: the {suffix} file of the Shapefile is missing",
                    fix="put the .shp, .shx, .dbf (and .prj, .cpg) files together, or zip them",
                )
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
    raise InputError(
        f"{path}: {fmt} files are not read here",
        fix="OpenStreetMap files go through gridmap.osm (command line: gridmap import FILE.osm)"
        if fmt in ("osm", "osm.bz2", "pbf")
        else "use GeoJSON, GeoPackage, zipped Shapefile, KML or CSV",
    )


def _drop_unusable(raw: _Raw, family: str | None, path: Path) -> tuple[_Raw, list[str]]:
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
            reasons[other & (types == type_id)] = f"{name}, not a polygon footprint"
    drop = reasons != ""
    notes = []
    if drop.any():
        parts = []
        for reason in dict.fromkeys(reasons[drop]):
            which = raw.labels[reasons == reason]
            parts.append(f"{_name_list(which)} ({reason})")
        notes.append(
            f"{path}: dropped {int(drop.sum())} feature(s) of {len(geoms)}: {'; '.join(parts)}"
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
) -> tuple[np.ndarray, np.ndarray, list[str]]:
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
    notes = [
        f"{path}: repaired {int(bad.sum())} invalid geometr{'y' if bad.sum() == 1 else 'ies'} "
        f"with make_valid ({_name_list(labels[bad])})"
    ]
    if collapsed.any():
        notes.append(
            f"{path}: dropped {_name_list(labels[collapsed])}: nothing was left after repairing "
            "the geometry (zero area)"
        )
    return out, ~collapsed, notes


def _read(
    path: str | os.PathLike[str], *, layer: str | None, crs: str | None, family: str | None
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Read, check and convert; return the frame and the feature labels of its rows."""
    p = safety.check_path(path)
    safety.check_size(p)
    fmt = safety.detect_format(p)
    if fmt == "xlsx":
        raise InputError(
            f"{p}: a spreadsheet holds no geometries",
            fix="pass it as a household register (--households), or save it as CSV with lon/lat",
        )
    with _materialise(p, fmt, layer) as (real, real_fmt, real_layer):
        raw, sidecar = _read_raw(real, real_fmt, real_layer)
    notes = list(raw.extra_warnings)
    if len(raw.geoms) == 0:
        raise InputError(f"{p}: the file holds no features", fix="check the file or the layer")
    if family == "polygon":
        types = shapely.get_type_id(raw.geoms)
        if not np.isin(types, (3, 6)).any() and np.isin(types, (0, 4)).any():
            raise InputError(
                f"{p}: buildings need footprint polygons, but the features are points",
                fix="draw the building outlines as polygons (or use an OpenStreetMap extract, "
                "which has them); points can only be joined as a household register by name "
                "or id",
            )
        if not np.isin(types, (3, 6)).any() and np.isin(types, (1, 2, 5)).any():
            raise InputError(
                f"{p}: buildings need footprint polygons, but the features are lines",
                fix="close the outlines into polygons in your GIS and export again",
            )
    raw, dropped = _drop_unusable(raw, family, p)
    notes += dropped
    if len(raw.geoms) == 0:
        for note in notes:
            warn(note)
        raise InputError(f"{p}: none of the features has a usable geometry", fix="check the file")
    geoms = raw.geoms
    if shapely.has_z(geoms).any():
        n = int(shapely.has_z(geoms).sum())
        geoms = shapely.force_2d(geoms)
        notes.append(f"{p}: {n} feature(s) had 3D coordinates; the heights were dropped (2D)")
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
