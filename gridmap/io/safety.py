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
from gridmap.messages import msg
from gridmap.messages.values import Phrase

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


def _what(what: str) -> Phrase:
    """How a message names the file (``what`` of :func:`check_path`, :func:`check_zip`)."""
    if what == "household register":
        return Phrase(msg("io.what_register"))
    if what == "OSM file":
        return Phrase(msg("io.what_osm_file"))
    if what == "xlsx workbook":
        return Phrase(msg("io.what_xlsx"))
    if what == "zip":
        return Phrase(msg("io.what_zip"))
    return Phrase(msg("io.what_input_file"))


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
            warn(msg("io.gdal_warning", path=path, text=str(item.message)), stacklevel=4)
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def check_path(path: str | os.PathLike[str], *, what: str = "input file") -> Path:
    """Refuse GDAL virtual paths and URLs; require an existing regular file.

    Parameters
    ----------
    path : str or path-like
        The path as the user gave it.
    what : {"input file", "household register", "OSM file"}
        How the message names the file.

    Returns
    -------
    Path
        The absolute path.
    """
    text = os.fspath(path)
    low = text.replace("\\", "/").lower()
    if low.startswith("/vsi"):
        raise HostileInputError(msg("io.virtual_path", path=text, what=_what(what)))
    if re.match(r"^[a-z0-9+.-]{2,}:", low):
        raise HostileInputError(msg("io.url_path", path=text, what=_what(what)))
    p = Path(text).expanduser()
    if not p.exists():
        raise InputError(msg("io.no_such_file", path=text))
    if p.is_dir():
        raise InputError(msg("io.is_folder", path=text))
    if not p.is_file():
        raise HostileInputError(msg("io.not_regular_file", path=text))
    resolved = p.resolve()
    if resolved.as_posix().lower().startswith("/vsi"):
        raise HostileInputError(msg("io.resolves_to_virtual", path=text, resolved=resolved))
    return resolved


def check_size(path: Path, *, limit: int | None = None) -> int:
    """Refuse a file larger than ``settings.MAX_FILE_BYTES``; return its size."""
    limit = settings.MAX_FILE_BYTES if limit is None else limit
    size = path.stat().st_size
    if size > limit:
        raise HostileInputError(msg("io.file_too_large", path=path, size=size, limit=limit))
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
        raise HostileInputError(msg("io.gdal_vrt", path=path))
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", head[:_SNIFF_BYTES], re.IGNORECASE):
        raise HostileInputError(msg("io.xml_doctype", path=path))
    root = re.search(
        r"<\s*([A-Za-z_][\w.:-]*)", re.sub(r"<\?.*?\?>|<!--.*?-->", "", head, flags=re.S)
    )
    name = root.group(1).split(":")[-1].lower() if root else ""
    if name == "kml":
        if re.search(r"<\s*(\w+:)?NetworkLink\b", text):
            raise HostileInputError(msg("io.kml_network_link", path=path))
        return "kml"
    if name == "osm":
        return "osm"
    raise InputError(msg("io.xml_unknown", path=path, name=name))


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
            raise HostileInputError(msg("io.sqlite_not_gpkg", path=path))
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
        raise InputError(msg("io.gzip_file", path=path))
    elif head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(msg("io.old_xls", path=path))
    else:
        text = head.decode("utf-8", errors="replace") if head else ""
        if "\x00" in text:
            raise InputError(msg("io.binary_unknown", path=path))
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
            raise InputError(msg("io.empty_file", path=path))
    if detected is None:
        raise InputError(msg("io.unknown_format", path=path))
    if declared is not None and declared != detected:
        raise HostileInputError(
            msg("io.name_content_mismatch", path=path, declared=declared, detected=detected)
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
    what : {"zip", "xlsx workbook"}
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
            msg("io.zip_unreadable", path=path, what=_what(what), reason=str(exc))
        ) from exc
    if len(infos) > settings.MAX_ZIP_ENTRIES:
        raise HostileInputError(
            msg(
                "io.zip_too_many_entries",
                path=path,
                what=_what(what),
                count=len(infos),
                limit=settings.MAX_ZIP_ENTRIES,
            )
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
            raise HostileInputError(msg("io.zip_traversal", path=path, what=_what(what), name=name))
        if _is_symlink(info):
            raise HostileInputError(msg("io.zip_symlink", path=path, what=_what(what), name=name))
        if info.flag_bits & 0x1:
            raise InputError(msg("io.zip_encrypted", path=path, what=_what(what), name=name))
        if info.is_dir():
            continue
        low = name.lower()
        if what == "zip" and low.endswith(".vrt"):
            raise HostileInputError(msg("io.zip_vrt", path=path, what=_what(what), name=name))
        if what == "zip" and low.endswith(_ARCHIVE_ENDINGS):
            raise HostileInputError(msg("io.zip_nested", path=path, what=_what(what), name=name))
        if info.file_size > 0 and (
            info.compress_size == 0 or info.file_size / info.compress_size > settings.MAX_ZIP_RATIO
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise HostileInputError(
                msg(
                    "io.zip_ratio",
                    path=path,
                    what=_what(what),
                    name=name,
                    ratio=ratio,
                    size=info.file_size,
                    limit=settings.MAX_ZIP_RATIO,
                )
            )
        total += info.file_size
        if total > settings.MAX_UNCOMPRESSED_BYTES:
            raise HostileInputError(
                msg(
                    "io.zip_total",
                    path=path,
                    what=_what(what),
                    limit=settings.MAX_UNCOMPRESSED_BYTES,
                )
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
                raise InputError(msg("io.zip_duplicate_name", path=path, name=target.name))
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
                                msg("io.zip_entry_too_large", path=path, name=info.filename)
                            )
                        dst.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise InputError(
                    msg("io.zip_entry_corrupt", path=path, name=info.filename, reason=str(exc))
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
                if module is None:
                    raise HostileInputError(
                        msg("io.gpkg_virtual_table_unknown", path=path, name=name)
                    )
                if module.group(1).lower() != "rtree":
                    raise HostileInputError(
                        msg("io.gpkg_virtual_table", path=path, name=name, module=module.group(1))
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
        raise InputError(msg("io.gpkg_unreadable", path=path, reason=str(exc))) from exc
    return tables


def check_feature_count(n: int, path: Path | str, *, layer: str | None = None) -> None:
    """Refuse more than ``settings.MAX_FEATURES`` features."""
    if n > settings.MAX_FEATURES and layer:
        raise HostileInputError(
            msg(
                "io.too_many_features_layer",
                path=path,
                layer=layer,
                count=n,
                limit=settings.MAX_FEATURES,
            )
        )
    if n > settings.MAX_FEATURES:
        raise HostileInputError(
            msg("io.too_many_features", path=path, count=n, limit=settings.MAX_FEATURES)
        )


def check_vertex_count(n: int, path: Path | str) -> None:
    """Refuse more than ``settings.MAX_VERTICES`` vertices."""
    if n > settings.MAX_VERTICES:
        raise HostileInputError(
            msg("io.too_many_vertices", path=path, limit=settings.MAX_VERTICES, count=n)
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
                        raise InputError(msg("io.bz2_truncated", path=path))
                data = decomp.decompress(pending, max_length=1 << 22)
                pending = b""
                total += len(data)
                if len(head) < _SNIFF_BYTES:
                    head += data[: _SNIFF_BYTES - len(head)]
                if total > limit:
                    raise HostileInputError(msg("io.bz2_bomb", path=path, limit=limit))
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(msg("io.bz2_unreadable", path=path, reason=str(exc))) from exc
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
        raise InputError(msg("io.not_osm", path=p, fmt=fmt))
    if fmt == "osm.bz2":
        head = _bz2_head(p)
        text = head.decode("utf-8", errors="replace")
        if _xml_kind(text, p) != "osm":
            raise InputError(msg("io.bz2_no_osm", path=p))
    return p
