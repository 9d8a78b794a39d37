"""Uploaded files -> layers, through the safe importer in a limited subprocess.

The bytes a browser sent are written under a fixed name (only the suffix of the
user's name is kept) into a private temporary folder, then a separate Python
process reads them with :func:`gridmap.pipeline.load_layers` (the safe importer
:func:`gridmap.io.read_buildings` for vector files, :func:`gridmap.osm.read_osm`
for OSM extracts). That process runs with an address-space limit
(``RLIMIT_AS``), a CPU-time limit (``RLIMIT_CPU``), a wall-clock timeout and a
limit on the size of files it may write, so a hostile or huge file can only
kill the child, never the app. Every refusal becomes one clear message.

Run as ``python -m gridmap.ui.upload SRC OUT [--crs CRS] [--layer LAYER]``
(the worker side); the app calls :func:`read_upload`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import geopandas as gpd
import pandas as pd

from gridmap import settings
from gridmap.errors import GridmapWarning, InputError, localized
from gridmap.messages import LANGUAGES

__all__ = [
    "ALLOWED_SUFFIXES",
    "MEMORY_LIMIT_BYTES",
    "TIME_LIMIT_S",
    "UploadError",
    "upload_limit_bytes",
    "upload_suffix",
    "import_upload",
    "read_upload",
    "Upload",
    "import_members",
    "MEMBER_SUFFIXES",
    "worker_main",
    "check_scenario_text",
]

# Suffixes the importer reads (DATA_MODEL.md, `gridmap import`); longest first.
ALLOWED_SUFFIXES = (
    ".osm.bz2",
    ".osm.pbf",
    ".geojson",
    ".json",
    ".gpkg",
    ".zip",
    ".kml",
    ".csv",
    ".osm",
    ".pbf",
)
# Member lists: tables (CSV, Excel) or vector files of home points.
MEMBER_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".kml", ".csv", ".xlsx")
# Address space of the importer process. GDAL, numpy and shapely map ~0.5 GB
# before reading anything; 3 GB leaves ~2.5 GB for data, which holds a district
# of a few hundred thousand buildings.
MEMORY_LIMIT_BYTES = int(os.environ.get("GRIDMAP_UPLOAD_MEMORY", 3 * 1024**3))
# Wall-clock and CPU seconds for one import: a street's extract reads in seconds.
TIME_LIMIT_S = int(os.environ.get("GRIDMAP_UPLOAD_SECONDS", 120))
# Largest file the importer process may write (its GeoPackage of layers).
_OUTPUT_LIMIT_BYTES = 2 * 1024**3
_ERROR_MARK = "gridmap-error:"
_OUT_OF_MEMORY = (
    "MemoryError",
    "std::bad_alloc",
    "failed to map segment",
    "Cannot allocate memory",
)
_WARNING_MARK = "gridmap-warning:"


class UploadError(InputError):
    """An uploaded file was refused; ``key`` and ``values`` give the UI message."""

    def __init__(self, text: str, *, key: str, **values: object) -> None:
        super().__init__(text)
        self.key = key
        self.values = values


def upload_limit_bytes() -> int:
    """The upload size limit: Streamlit's server.maxUploadSize and settings.MAX_FILE_BYTES."""
    limit = settings.MAX_FILE_BYTES
    try:
        from streamlit import config

        limit = min(limit, int(config.get_option("server.maxUploadSize")) * 1024 * 1024)
    except Exception:  # outside Streamlit (worker, scripts): the settings limit alone
        pass
    return limit


def upload_suffix(name: str, *, allowed: tuple[str, ...] = ALLOWED_SUFFIXES) -> str:
    """The allowed suffix of an uploaded file's name; UploadError when none fits."""
    base = PurePath(name.replace("\\", "/")).name.lower()
    for suffix in allowed:
        if base.endswith(suffix) and len(base) > len(suffix):
            return suffix
    raise UploadError(
        f"{base}: unsupported file type",
        key="upload.bad_suffix",
        name=base,
        allowed=", ".join(allowed),
    )


def _display_name(name: str) -> str:
    return PurePath(name.replace("\\", "/")).name[:120]


def _check_upload(name: str, data: bytes, suffixes: tuple[str, ...]) -> tuple[str, str]:
    """(shown name, suffix) of an acceptable upload; UploadError otherwise."""
    shown = _display_name(name)
    suffix = upload_suffix(name, allowed=suffixes)
    limit = upload_limit_bytes()
    if len(data) == 0:
        raise UploadError(f"{shown}: empty file", key="upload.empty", name=shown)
    if len(data) > limit:
        raise UploadError(
            f"{shown}: {len(data)} bytes, above the limit of {limit} bytes",
            key="upload.too_large",
            name=shown,
            size_mb=len(data) / 1024**2,
            limit_mb=limit // 1024**2,
        )
    return shown, suffix


def _run_worker(
    shown: str,
    suffix: str,
    data: bytes,
    *,
    kind: str,
    options: list[str],
    memory_bytes: int,
    seconds: int,
    read: Any,
    lang: str = "en",
) -> tuple[Any, list[str]]:
    """Write ``data`` privately, run the importer process on it, read its output."""
    with tempfile.TemporaryDirectory(prefix="gridmap-upload-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o700)
        src = folder / f"upload{suffix}"
        out = folder / ("layers.gpkg" if kind == "layers" else "members.parquet")
        src.write_bytes(data)
        command = [sys.executable, "-m", "gridmap.ui.upload", str(src), str(out), "--kind", kind]
        command += ["--memory", str(memory_bytes), "--seconds", str(seconds), *options]
        env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=seconds + 5,
                cwd=tmp,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise UploadError(
                f"{shown}: import timed out", key="upload.timeout", name=shown, seconds=seconds
            ) from exc
        _raise_for(done, shown, memory_bytes, seconds, lang)
        result = read(out)
    notes = [
        _hide_paths(_in_language(json.loads(line[len(_WARNING_MARK) :]), lang), shown)
        for line in (done.stderr or "").splitlines()
        if line.startswith(_WARNING_MARK)
    ]
    return result, notes


def _in_language(text: Any, lang: str) -> str:
    """One language of a relayed ``{"en": ..., "zh": ...}`` message."""
    if isinstance(text, dict):
        return str(text.get(lang) or text.get("en", ""))
    return str(text)


@dataclass(frozen=True)
class Upload:
    """What the importer process read from an uploaded file.

    ``edit_log`` holds the entries of a saved gridmap project (its parameters,
    such as the grid bounds, and its edits); it is empty for any other file.
    """

    layers: dict[str, gpd.GeoDataFrame]
    notes: list[str]
    edit_log: list[dict[str, Any]] = field(default_factory=list)


def read_upload(
    name: str,
    data: bytes,
    *,
    crs: str | None = None,
    layer: str | None = None,
    lang: str = "en",
    memory_bytes: int = MEMORY_LIMIT_BYTES,
    seconds: int = TIME_LIMIT_S,
) -> Upload:
    """Read an uploaded file into layers in a resource-limited subprocess.

    Parameters
    ----------
    name : str
        The file name the browser sent (only its suffix is used on disk).
    data : bytes
        The file's content.
    crs : str, optional
        CRS of a file without one (4326, 4490, gcj02, bd09).
    layer : str, optional
        Layer of a multi-layer file.
    lang : {"en", "zh"}
        Language of the notes and of the reason when the importer refuses the file.
    memory_bytes : int
        Address-space limit of the importer process.
    seconds : int
        Wall-clock and CPU limit of the importer process.

    Returns
    -------
    Upload
        The layers (at least ``buildings``), the importer's warnings and, for a
        saved project, its edit log.

    Raises
    ------
    UploadError
        The file is too large, of an unsupported type, refused by the importer,
        or needed more memory or time than allowed.
    """
    from gridmap import io as gio

    shown, suffix = _check_upload(name, data, ALLOWED_SUFFIXES)
    options = (["--crs", crs] if crs else []) + (["--layer", layer] if layer else [])
    layers, notes = _run_worker(
        shown,
        suffix,
        data,
        kind="layers",
        options=options,
        memory_bytes=memory_bytes,
        seconds=seconds,
        read=gio.read_project,
        lang=lang,
    )
    edit_log = layers.pop("edit_log", None) or []
    frames = {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    return Upload(frames, notes, list(edit_log))


def import_upload(
    name: str,
    data: bytes,
    *,
    crs: str | None = None,
    layer: str | None = None,
    memory_bytes: int = MEMORY_LIMIT_BYTES,
    seconds: int = TIME_LIMIT_S,
) -> tuple[dict[str, gpd.GeoDataFrame], list[str]]:
    """The layers and English notes of :func:`read_upload` (without an edit log)."""
    upload = read_upload(
        name, data, crs=crs, layer=layer, memory_bytes=memory_bytes, seconds=seconds
    )
    return upload.layers, upload.notes


def import_members(
    name: str,
    data: bytes,
    *,
    memory_bytes: int = MEMORY_LIMIT_BYTES,
    seconds: int = TIME_LIMIT_S,
) -> tuple[pd.DataFrame, list[str]]:
    """Read an uploaded member list (CSV, .xlsx or home points) in the importer process.

    The list is read by :func:`gridmap.io.read_members` and comes back as
    GeoParquet/Parquet, a format that holds data only.

    Returns
    -------
    members : DataFrame or GeoDataFrame
    notes : list of str

    Raises
    ------
    UploadError
    """
    shown, suffix = _check_upload(name, data, MEMBER_SUFFIXES)

    def read(path: Path) -> pd.DataFrame:
        import pyarrow.parquet as pq

        if b"geo" in (pq.read_schema(path).metadata or {}):
            return gpd.read_parquet(path)
        return pd.read_parquet(path)

    return _run_worker(
        shown,
        suffix,
        data,
        kind="members",
        options=[],
        memory_bytes=memory_bytes,
        seconds=seconds,
        read=read,
    )


def _raise_for(
    done: subprocess.CompletedProcess[str],
    shown: str,
    memory_bytes: int,
    seconds: int,
    lang: str = "en",
) -> None:
    if done.returncode == 0:
        return
    lines = [line for line in (done.stderr or "").splitlines() if line.startswith(_ERROR_MARK)]
    if lines:
        report = json.loads(lines[-1][len(_ERROR_MARK) :])
        kind = report.get("kind")
        if kind == "memory":
            raise UploadError(
                f"{shown}: out of memory",
                key="upload.memory",
                name=shown,
                limit_mb=memory_bytes // 1024**2,
            )
        message = _in_language(report.get("message", ""), lang)
        raise UploadError(
            f"{shown}: {message}", key="upload.refused", message=_hide_paths(message, shown)
        )
    code = done.returncode
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        raise UploadError(
            f"{shown}: import stopped (signal {-code})",
            key="upload.timeout",
            name=shown,
            seconds=seconds,
        )
    # Out of address space shows as a Python or C++ allocation failure, or as a
    # shared library that cannot be mapped while a module is imported.
    if any(sign in (done.stderr or "") for sign in _OUT_OF_MEMORY):
        raise UploadError(
            f"{shown}: out of memory",
            key="upload.memory",
            name=shown,
            limit_mb=memory_bytes // 1024**2,
        )
    raise UploadError(
        f"{shown}: importer exit code {code}", key="upload.crashed", name=shown, code=code
    )


def _hide_paths(message: str, shown: str) -> str:
    """Name the user's file instead of the private temporary path in a message."""
    import re

    return re.sub(r"\S*gridmap-upload-[^/\s]*/upload[\w.]*", shown, message)


def _limit_resources(memory_bytes: int, seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (_OUTPUT_LIMIT_BYTES, _OUTPUT_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def worker_main(argv: Sequence[str] | None = None) -> int:
    """The importer process: read SRC with the safe importer, write layers to OUT.

    Returns
    -------
    int
        0 on success, 2 when the file is refused (one ``gridmap-error:`` JSON
        line on stderr says why).
    """
    parser = argparse.ArgumentParser(prog="python -m gridmap.ui.upload")
    parser.add_argument("src", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--crs")
    parser.add_argument("--layer")
    parser.add_argument("--kind", choices=("layers", "members"), default="layers")
    parser.add_argument("--memory", type=int, default=MEMORY_LIMIT_BYTES)
    parser.add_argument("--seconds", type=int, default=TIME_LIMIT_S)
    args = parser.parse_args(argv)
    _limit_resources(args.memory, args.seconds)
    try:
        import warnings

        from gridmap import io as gio

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GridmapWarning)
            if args.kind == "members":
                members = gio.read_members(args.src)
                members.to_parquet(args.out)
            else:
                from gridmap.pipeline import load_layers

                layers = load_layers(args.src, crs=args.crs, layer=args.layer)
                # A saved project keeps its parameters (grid bounds, seed) and edits.
                edit_log = None
                if gio.is_project(args.src):
                    edit_log = gio.read_project(args.src).get("edit_log") or None
                gio.write_project(args.out, layers, edit_log=edit_log)
        for warning in caught:
            if issubclass(warning.category, GridmapWarning):
                lines = {lang: localized(warning.message, lang) for lang in LANGUAGES}
                print(_WARNING_MARK + json.dumps(lines, ensure_ascii=False), file=sys.stderr)
    except InputError as exc:
        report = {
            "kind": "input",
            "message": {lang: exc.user_message(lang) for lang in LANGUAGES},
        }
        print(_ERROR_MARK + json.dumps(report, ensure_ascii=False), file=sys.stderr)
        return 2
    except MemoryError:
        print(_ERROR_MARK + json.dumps({"kind": "memory"}), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())


def check_scenario_text(name: str, data: bytes, *, limit: int) -> str:
    """The text of an uploaded YAML scenario, refused when unsafe.

    A scenario is a short UTF-8 YAML mapping. Refused: more than ``limit``
    bytes, text that is not UTF-8, anchors and aliases (the "billion laughs"
    expansion needs them and a scenario does not), and ``profile_files``
    (which would make the server read files named by the upload).

    Raises
    ------
    UploadError
    """
    import yaml

    shown = _display_name(name)
    if len(data) == 0:
        raise UploadError(f"{shown}: empty file", key="upload.empty", name=shown)
    if len(data) > limit:
        raise UploadError(
            f"{shown}: above {limit} bytes",
            key="upload.too_large",
            name=shown,
            size_mb=len(data) / 1024**2,
            limit_mb=max(1, limit // 1024**2),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadError(
            f"{shown}: not UTF-8 text", key="upload.refused", message=f"{shown}: not UTF-8 text"
        ) from None
    try:
        tokens = list(yaml.scan(text))
    except yaml.YAMLError as exc:
        message = f"{shown}: not valid YAML ({exc})"
        raise UploadError(message, key="upload.refused", message=message) from None
    if any(isinstance(tok, yaml.AliasToken | yaml.AnchorToken) for tok in tokens):
        message = f"{shown}: YAML anchors and aliases (&, *) are not accepted in a scenario"
        raise UploadError(message, key="upload.refused", message=message)
    keys = {
        getattr(tokens[i + 1], "value", None)
        for i, tok in enumerate(tokens[:-1])
        if isinstance(tok, yaml.KeyToken) and isinstance(tokens[i + 1], yaml.ScalarToken)
    }
    if "profile_files" in keys:
        message = (
            f"{shown}: 'profile_files' is not accepted in an uploaded scenario; "
            "use a shipped profile name or list the percentages"
        )
        raise UploadError(message, key="upload.refused", message=message)
    return text
