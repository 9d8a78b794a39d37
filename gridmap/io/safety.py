"""Checks that run before any library opens a user's file.

GDAL can read far more than gridmap needs, and some of its drivers read other
files or URLs named inside a file (VRT, GDALG pipelines, WFS, the HTTP
driver...). So, before GDAL sees a path:

- GDAL is configured once, at import, so it cannot go online and keeps only the
  drivers of ``settings.ALLOWED_GDAL_DRIVERS`` (``GDAL_SKIP`` plus a driver
  re-registration, which works even when pyogrio was imported earlier);
- the real format is detected from the file's bytes (:func:`detect_format`),
  and a name that declares another format, a VRT, an XML document with a
  DOCTYPE (entity expansion) or a SQLite file that is not a GeoPackage is
  refused;
- zip archives are listed before anything is extracted (:func:`check_zip`):
  path traversal, absolute paths, symlinks, too many entries, nested archives or
  VRTs, a total uncompressed size or a compression ratio above the limits are
  refused, and extraction (:func:`extract_zip`) counts the bytes it writes;
- sizes, feature counts and vertex counts are checked against settings.
"""

from __future__ import annotations

import bz2
import contextlib
import os
import re
import sqlite3
import stat
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from gridmap import settings
from gridmap.errors import HostileInputError, InputError, warn

__all__ = [
    "GDAL_CONFIG",
    "FORMAT_EXTENSIONS",
    "configure_gdal",
    "gdal_warnings",
    "allowed_drivers",
    "check_path",
    "check_size",
    "detect_format",
    "check_zip",
    "extract_zip",
    "check_gpkg",
    "check_feature_count",
    "check_vertex_count",
    "check_osm_path",
]

# GDAL configuration that keeps it offline (GDAL configuration options,
# https://gdal.org/en/stable/user/configoptions.html). /vsicurl/ only fetches
# URLs with an allowed extension: none is allowed. Any HTTP request GDAL still
# tried would go through a proxy on the loopback discard port and fail at once.
GDAL_CONFIG: dict[str, str] = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".gridmap-no-network",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_RETRY_DELAY": "0",
    "GDAL_HTTP_MULTIRANGE": "NO",
    "CPL_VSIL_CURL_USE_HEAD": "NO",
    # Fixed "last_change" timestamp in GeoPackages, so a project written twice
    # is the same (GDAL GPKG driver option OGR_CURRENT_DATE).
    "OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z",
}
# Drivers skipped in every case, also raster ones pyogrio does not list: they
# read other files or URLs named in their input.
_ALWAYS_SKIP = ("VRT", "OGR_VRT", "GDALG", "WFS", "OAPIF", "OGCAPI", "HTTP", "CSW", "WMS", "WCS")
# Drivers GDAL itself needs to write what gridmap writes.
_INTERNAL_DRIVERS = ("MEM", "Memory")

# Format name -> file name endings that declare it.
FORMAT_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "geojson": (".geojson", ".json"),
    "gpkg": (".gpkg",),
    "shp": (".shp",),
    "kml": (".kml",),
    "csv": (".csv", ".txt", ".tsv"),
    "zip": (".zip",),
    "xlsx": (".xlsx",),
    "osm": (".osm",),
    "osm.bz2": (".osm.bz2",),
    "pbf": (".pbf", ".osm.pbf"),
}
_ARCHIVE_ENDINGS = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar", ".kmz")
_SNIFF_BYTES = 64 * 1024
_configured = False


def allowed_drivers() -> tuple[str, ...]:
    """The GDAL drivers gridmap lets pyogrio use (settings + GDAL's internal MEM)."""
    return tuple(settings.ALLOWED_GDAL_DRIVERS) + _INTERNAL_DRIVERS


def configure_gdal() -> list[str]:
    """Keep GDAL offline and deregister every driver outside the allow-list.

    Sets the environment (so any later GDAL load inherits it) and GDAL's own
    configuration, then re-runs GDAL's driver registration, which applies
    ``GDAL_SKIP`` even when pyogrio was loaded before gridmap.

    Returns
    -------
    list of str
        Vector drivers still registered.
    """
    global _configured
    for key, value in GDAL_CONFIG.items():
        os.environ[key] = value
    skip = set(_ALWAYS_SKIP)
    os.environ["GDAL_SKIP"] = " ".join(sorted(skip))
    import pyogrio

    allowed = set(allowed_drivers())
    # GDAL_SKIP is split on spaces, so names with a space cannot be listed;
    # the only one ("MapInfo File") reads local files only and is refused
    # anyway by detect_format, which never hands GDAL such a file.
    skip |= {name for name in pyogrio.list_drivers() if name not in allowed and " " not in name}
    os.environ["GDAL_SKIP"] = " ".join(sorted(skip))
    pyogrio.set_gdal_config_options({**GDAL_CONFIG, "GDAL_SKIP": os.environ["GDAL_SKIP"]})
    try:
        # Private in pyogrio, but the only way to apply GDAL_SKIP after GDAL
        # has registered its drivers (it calls GDALAllRegister again).
        from pyogrio.core import _register_drivers

        _register_drivers()
    except ImportError:  # pragma: no cover - a future pyogrio without it
        pass
    _configured = True
    return sorted(pyogrio.list_drivers())


@contextlib.contextmanager
def gdal_warnings(path: Path | str) -> Iterator[None]:
    """Turn GDAL's warnings (RuntimeWarning from pyogrio) into GridmapWarnings naming the file.

    pyogrio raises GDAL warnings from a C callback, where an exception (warnings
    as errors) cannot propagate; recording them here and re-emitting them as
    gridmap warnings keeps them visible as ``warning:`` lines.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for item in caught:
        if issubclass(item.category, RuntimeWarning):
            warn(f"{path}: GDAL: {item.message}", stacklevel=4)
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def check_path(path: str | os.PathLike[str], *, what: str = "input file") -> Path:
    """Refuse GDAL virtual paths and URLs; require an existing regular file.

    Parameters
    ----------
    path : str or path-like
        The path as the user gave it.
    what : str
        How the message names the file.

    Returns
    -------
    Path
        The absolute path.
    """
    text = os.fspath(path)
    low = text.replace("\\", "/").lower()
    if low.startswith("/vsi") or re.match(r"^[a-z0-9+.-]{2,}:", low):
        kind = "a GDAL virtual path" if low.startswith("/vsi") else "a URL or driver-prefixed path"
        raise HostileInputError(
            f"{text}: {what} is {kind}; gridmap reads plain local files only",
            fix="download or unpack the file and pass its local path",
        )
    p = Path(text).expanduser()
    if not p.exists():
        raise InputError(f"{text}: no such file", fix="check the path")
    if p.is_dir():
        raise InputError(
            f"{text}: is a folder, not a file", fix="pass the file itself (e.g. the .shp or .zip)"
        )
    if not p.is_file():
        raise HostileInputError(f"{text}: not a regular file", fix="pass a regular file")
    resolved = p.resolve()
    if resolved.as_posix().lower().startswith("/vsi"):
        raise HostileInputError(
            f"{text}: resolves to {resolved}, which GDAL would take for a virtual path; refused",
            fix="move the file to another folder",
        )
    return resolved


def check_size(path: Path, *, limit: int | None = None) -> int:
    """Refuse a file larger than ``settings.MAX_FILE_BYTES``; return its size."""
    limit = settings.MAX_FILE_BYTES if limit is None else limit
    size = path.stat().st_size
    if size > limit:
        raise HostileInputError(
            f"{path}: file is {size:,} bytes, above the limit of {limit:,} bytes",
            fix="split the file, or raise gridmap.settings.MAX_FILE_BYTES if you trust it",
        )
    return size


def _declared(path: Path) -> str | None:
    name = path.name.lower()
    for fmt in ("osm.bz2", "pbf"):
        if any(name.endswith(e) for e in FORMAT_EXTENSIONS[fmt]):
            return fmt
    for fmt, endings in FORMAT_EXTENSIONS.items():
        if any(name.endswith(e) for e in endings):
            return fmt
    return None


def _xml_kind(text: str, path: Path) -> str:
    head = text.lstrip("\ufeff \t\r\n")
    if re.search(r"<\s*(OGRVRTDataSource|VRTDataset|GDALG)\b", text, re.IGNORECASE):
        raise HostileInputError(
            f"{path}: is a GDAL VRT, which can make GDAL read other files or URLs; refused",
            fix="export the data itself to GeoJSON, GeoPackage or a zipped Shapefile",
        )
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", head[:_SNIFF_BYTES], re.IGNORECASE):
        raise HostileInputError(
            f"{path}: XML with a DOCTYPE/ENTITY declaration (entity expansion); refused",
            fix="remove the DOCTYPE from the file",
        )
    root = re.search(
        r"<\s*([A-Za-z_][\w.:-]*)", re.sub(r"<\?.*?\?>|<!--.*?-->", "", head, flags=re.S)
    )
    name = root.group(1).split(":")[-1].lower() if root else ""
    if name == "kml":
        if re.search(r"<\s*(\w+:)?NetworkLink\b", text):
            raise HostileInputError(
                f"{path}: KML with a NetworkLink (it points GDAL at another file or URL); refused",
                fix="save the linked data into the KML itself",
            )
        return "kml"
    if name == "osm":
        return "osm"
    raise InputError(
        f"{path}: XML document <{name}> is not a format gridmap reads",
        fix="convert it to GeoJSON, GeoPackage, KML or a zipped Shapefile",
    )


def _read_head(path: Path, n: int = _SNIFF_BYTES) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def detect_format(path: Path) -> str:
    """Detect a file's real format from its bytes and check it against its name.

    Parameters
    ----------
    path : Path
        An existing local file (see :func:`check_path`).

    Returns
    -------
    str
        One of ``geojson``, ``gpkg``, ``shp``, ``kml``, ``csv``, ``zip``,
        ``xlsx``, ``osm``, ``osm.bz2``, ``pbf``.

    Raises
    ------
    HostileInputError
        For a VRT, a DOCTYPE, a SQLite file that is not a GeoPackage, or a name
        that declares another format than the content.
    InputError
        For a format gridmap does not read.
    """
    head = _read_head(path)
    declared = _declared(path)
    detected: str | None = None
    if head.startswith(b"SQLite format 3\x00"):
        app_id = head[68:72]
        if app_id not in (b"GPKG", b"GP10", b"GP11"):
            raise HostileInputError(
                f"{path}: a SQLite database that is not a GeoPackage; refused",
                fix="export the data as a GeoPackage (.gpkg)",
            )
        detected = "gpkg"
    elif head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        detected = "xlsx" if declared == "xlsx" else "zip"
    elif head[:4] == b"\x00\x00\x27\x0a":
        detected = "shp"
    elif head[:3] == b"BZh":
        detected = "osm.bz2"
    elif len(head) >= 16 and b"OSMHeader" in head[:32]:
        detected = "pbf"
    elif head[:2] == b"\x1f\x8b":
        raise InputError(
            f"{path}: a gzip file; gridmap reads .zip archives", fix="unpack it, or zip it instead"
        )
    elif head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(
            f"{path}: an old Excel .xls workbook", fix="save it as .xlsx or CSV (UTF-8)"
        )
    else:
        text = head.decode("utf-8", errors="replace") if head else ""
        if "\x00" in text:
            raise InputError(
                f"{path}: binary file of an unknown format",
                fix="use GeoJSON, GeoPackage, zipped Shapefile, KML or CSV",
            )
        stripped = text.lstrip("\ufeff \t\r\n")
        if re.search(r"<\s*OGRVRTDataSource\b", text, re.IGNORECASE):
            _xml_kind(text, path)
        if stripped.startswith("<"):
            detected = _xml_kind(text, path)
        elif stripped.startswith(("{", "[")):
            detected = "geojson"
        elif declared == "csv" or (declared is None and stripped):
            detected = "csv"
        elif not stripped:
            raise InputError(f"{path}: the file is empty", fix="check that it was saved completely")
    if detected is None:
        raise InputError(
            f"{path}: unknown file format",
            fix="use GeoJSON, GeoPackage, zipped Shapefile, KML or CSV",
        )
    if declared is not None and declared != detected:
        raise HostileInputError(
            f"{path}: the name says {declared} but the content is {detected}; refused",
            fix=f"rename the file to match its content (a .{detected} file) if you trust it",
        )
    return detected


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def check_zip(path: Path, *, what: str = "zip") -> list[zipfile.ZipInfo]:
    """List a zip archive's entries and refuse hostile ones, extracting nothing.

    Parameters
    ----------
    path : Path
        A zip file (or an .xlsx workbook, which is one).
    what : str
        How the message names the archive.

    Returns
    -------
    list of zipfile.ZipInfo
        The file entries (folders left out).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise InputError(
            f"{path}: not a readable {what} ({exc})", fix="re-create the archive"
        ) from exc
    if len(infos) > settings.MAX_ZIP_ENTRIES:
        raise HostileInputError(
            f"{path}: {what} has {len(infos):,} entries, above the limit of "
            f"{settings.MAX_ZIP_ENTRIES:,}",
            fix="put only the data files in the archive",
        )
    total = 0
    files = []
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if (
            name.startswith(("/", "\\"))
            or re.match(r"^[A-Za-z]:", name)
            or ".." in parts
            or "\\" in name
            or "\x00" in name
        ):
            raise HostileInputError(
                f"{path}: {what} entry {name!r} points outside the archive (path traversal); "
                "refused",
                fix="re-create the archive with plain relative names",
            )
        if _is_symlink(info):
            raise HostileInputError(
                f"{path}: {what} entry {name!r} is a symbolic link; refused",
                fix="re-create the archive with the files themselves",
            )
        if info.flag_bits & 0x1:
            raise InputError(
                f"{path}: {what} entry {name!r} is encrypted", fix="re-create it without a password"
            )
        if info.is_dir():
            continue
        low = name.lower()
        if what == "zip" and (low.endswith(".vrt") or low.endswith(_ARCHIVE_ENDINGS)):
            kind = "a GDAL VRT" if low.endswith(".vrt") else "a nested archive"
            raise HostileInputError(
                f"{path}: {what} entry {name!r} is {kind}; refused",
                fix="put the data files themselves in one flat archive",
            )
        if info.file_size > 0 and (
            info.compress_size == 0 or info.file_size / info.compress_size > settings.MAX_ZIP_RATIO
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise HostileInputError(
                f"{path}: {what} entry {name!r} expands {ratio:,.0f} times "
                f"({info.file_size:,} bytes), above the ratio limit of {settings.MAX_ZIP_RATIO} "
                "(zip bomb?)",
                fix="send the files unzipped, or raise gridmap.settings.MAX_ZIP_RATIO",
            )
        total += info.file_size
        if total > settings.MAX_UNCOMPRESSED_BYTES:
            raise HostileInputError(
                f"{path}: {what} expands to more than {settings.MAX_UNCOMPRESSED_BYTES:,} bytes "
                "(zip bomb?)",
                fix="split the data, or raise gridmap.settings.MAX_UNCOMPRESSED_BYTES",
            )
        files.append(info)
    return files


def extract_zip(path: Path, entries: Iterable[zipfile.ZipInfo], dest: Path) -> list[Path]:
    """Extract checked entries flat into ``dest``, counting the bytes written.

    Each entry is written under its base name only; writing stops at the
    entry's declared size (a lying header fails the CRC check instead of
    filling the disk).

    Parameters
    ----------
    path : Path
        The zip file, already passed through :func:`check_zip`.
    entries : iterable of ZipInfo
        Entries to extract.
    dest : Path
        An existing private folder.

    Returns
    -------
    list of Path
        The written files, in the order of ``entries``.
    """
    out = []
    written = 0
    with zipfile.ZipFile(path) as zf:
        for info in entries:
            target = dest / PurePosixPath(info.filename).name
            if target.exists():
                raise InputError(
                    f"{path}: two zip entries are named {target.name!r}",
                    fix="keep one data set per archive",
                )
            try:
                with zf.open(info) as src, target.open("wb") as dst:
                    left = info.file_size
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        left -= len(chunk)
                        written += len(chunk)
                        if left < 0 or written > settings.MAX_UNCOMPRESSED_BYTES:
                            raise HostileInputError(
                                f"{path}: entry {info.filename!r} is larger than its header says",
                                fix="re-create the archive",
                            )
                        dst.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise InputError(
                    f"{path}: entry {info.filename!r} is corrupt ({exc})",
                    fix="re-create the archive",
                ) from exc
            out.append(target)
    return out


def check_gpkg(path: Path) -> list[str]:
    """Inspect a GeoPackage with SQLite, read-only, before GDAL opens it.

    Refuses virtual tables other than the R*Tree spatial index (SQLite virtual
    tables such as GDAL's VirtualOGR can read other files).

    Returns
    -------
    list of str
        The table names listed in ``gpkg_contents``, in file order.
    """
    uri = f"{path.as_uri()}?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
        try:
            rows = con.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%VIRTUAL%'"
            ).fetchall()
            for name, sql in rows:
                module = re.search(r"USING\s+(\w+)", sql or "", re.IGNORECASE)
                if module is None or module.group(1).lower() != "rtree":
                    raise HostileInputError(
                        f"{path}: GeoPackage table {name!r} is a virtual table "
                        f"({module.group(1) if module else 'unknown'}); refused",
                        fix="export the data to a plain GeoPackage",
                    )
            tables = [
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM gpkg_contents ORDER BY rowid"
                ).fetchall()
            ]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: not a readable GeoPackage ({exc})", fix="re-export it") from exc
    return tables


def check_feature_count(n: int, path: Path | str, *, layer: str | None = None) -> None:
    """Refuse more than ``settings.MAX_FEATURES`` features."""
    if n > settings.MAX_FEATURES:
        where = f" layer {layer!r}" if layer else ""
        raise HostileInputError(
            f"{path}{where}: {n:,} features, above the limit of {settings.MAX_FEATURES:,}",
            fix="split the area into parts, or raise gridmap.settings.MAX_FEATURES",
        )


def check_vertex_count(n: int, path: Path | str) -> None:
    """Refuse more than ``settings.MAX_VERTICES`` vertices."""
    if n > settings.MAX_VERTICES:
        raise HostileInputError(
            f"{path}: more than {settings.MAX_VERTICES:,} vertices ({n:,} read so far)",
            fix="simplify the geometries or split the area, or raise gridmap.settings.MAX_VERTICES",
        )


def _bz2_head(path: Path) -> bytes:
    """Decompress a (multi-stream) bz2 file streaming; return its first bytes.

    Raises HostileInputError as soon as the output passes
    ``settings.MAX_UNCOMPRESSED_BYTES``; ``max_length`` bounds each step, so a
    bomb never sits in memory at once.
    """
    limit = settings.MAX_UNCOMPRESSED_BYTES
    total = 0
    head = b""
    decomp = bz2.BZ2Decompressor()
    try:
        with path.open("rb") as fh:
            pending = b""
            while True:
                if decomp.eof:
                    pending = decomp.unused_data + fh.read(1 << 20)
                    if not pending:
                        break
                    decomp = bz2.BZ2Decompressor()
                elif decomp.needs_input:
                    pending = fh.read(1 << 20)
                    if not pending:
                        raise EOFError("the bz2 stream ends early")
                data = decomp.decompress(pending, max_length=1 << 22)
                pending = b""
                total += len(data)
                if len(head) < _SNIFF_BYTES:
                    head += data[: _SNIFF_BYTES - len(head)]
                if total > limit:
                    raise HostileInputError(
                        f"{path}: decompresses to more than {limit:,} bytes (bz2 bomb?)",
                        fix="use a smaller extract, or raise gridmap.settings.MAX_UNCOMPRESSED_BYTES",
                    )
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(f"{path}: not a readable bz2 file ({exc})", fix="re-download it") from exc
    return head


def check_osm_path(path: str | os.PathLike[str]) -> Path:
    """Size and magic checks for an OSM file (.osm, .osm.bz2, .pbf) before parsing.

    A .osm.bz2 is decompressed streaming (nothing kept) to check that it stays
    under ``settings.MAX_UNCOMPRESSED_BYTES`` and holds OSM XML.

    Parameters
    ----------
    path : str or path-like
        The OSM file.

    Returns
    -------
    Path
        The absolute path, safe to hand to the OSM parser.
    """
    p = check_path(path, what="OSM file")
    check_size(p)
    fmt = detect_format(p)
    if fmt not in ("osm", "osm.bz2", "pbf"):
        raise InputError(
            f"{p}: not an OpenStreetMap file (content is {fmt})",
            fix="pass a .osm, .osm.bz2 or .osm.pbf extract",
        )
    if fmt == "osm.bz2":
        head = _bz2_head(p)
        text = head.decode("utf-8", errors="replace")
        if _xml_kind(text, p) != "osm":
            raise InputError(f"{p}: the bz2 file holds no OSM XML", fix="re-download it")
    return p
