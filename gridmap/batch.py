"""City scale: grids and "1+10" members for many streets or communities on Dask.

A city table of buildings is cut into chunks of whole streets (``street_id``) or
whole communities (``community_id``), so no grid can cross a chunk boundary.
Each chunk runs :func:`gridmap.partition.partition_grids` and
:func:`gridmap.members.assign_members` on a Dask worker, which reads only its own
rows (pyarrow filters for GeoParquet, an SQL ``WHERE`` for GeoPackage) or
generates them from a seed, and writes its results as GeoParquet next to a
done-marker. The driver only sees small :class:`ChunkResult` records, so memory
stays bounded by the largest chunk per worker, whatever the size of the city.

Dask does the scheduling (``distributed.LocalCluster`` bound to 127.0.0.1 by
default, or an existing cluster by address); nothing here is a scheduler.

Layout of ``out_dir``::

    chunks/<chunk>/buildings.parquet   buildings with grid_id (EPSG:4326)
    chunks/<chunk>/grids.parquet       grids
    chunks/<chunk>/areas.parquet       member responsibility areas
    chunks/<chunk>/members.parquet     members (ids only, no names)
    chunks/<chunk>/shortfall.parquet   member shortfall per grid
    chunks/<chunk>/member_tree.json    organisation tree
    chunks/<chunk>/_done.json          written last, atomically: the chunk is finished
    batch_report.json                  one line per chunk: status, counts, error
    city.gpkg or city_<layer>.parquet  merged layers, on request (``merge=``)
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap import settings
from gridmap.errors import GridmapError, GridmapWarning, InputError, warn
from gridmap.messages import msg
from gridmap.messages.values import Rendered

__all__ = [
    "CHUNK_KEYS",
    "MERGE_FORMATS",
    "LAYERS",
    "SyntheticCity",
    "ChunkResult",
    "BatchReport",
    "list_chunks",
    "run_batch",
    "read_chunk_layer",
    "merge_chunks",
    "start_local_cluster",
    "street_origin",
    "chunk_seed",
]

Progress = Callable[[str, float], None]

CHUNK_KEYS = ("street_id", "community_id")
MERGE_FORMATS = ("gpkg", "parquet")
# Layers every finished chunk writes, in the order the merged file holds them.
LAYERS = ("grids", "areas", "members", "buildings")
PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".pq")
GPKG_SUFFIXES = (".gpkg",)
DONE_MARKER = "_done.json"
REPORT_FILE = "batch_report.json"
# Bump when the chunk outputs change meaning: finished chunks of an older
# version are then recomputed instead of skipped.
BATCH_FORMAT_VERSION = 1
PROGRESS_STAGE = "分块 chunks"

# Before Python 3.14 ``warnings.catch_warnings`` swaps process-global state, so
# two threads capturing warnings at once corrupt each other's filters. Chunks
# that share a process (an in-process cluster, or a worker with several
# threads) therefore run their engines one at a time; one-thread worker
# processes, the default here, never wait on this lock.
_ENGINE_LOCK = threading.Lock()

_SAFE_NAME = re.compile(r"[^\w.-]+")


def _quiet(stage: str, fraction: float) -> None:
    """A progress callback that shows nothing."""


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SyntheticCity:
    """A synthetic city generated inside the workers, one street per chunk.

    Each street is a district of :func:`gridmap.synth.generate_district` with its
    own seed derived from ``seed`` and the street id, centred on its own place
    of a lattice (:func:`street_origin`) so that streets never overlap, and its
    ids prefixed with the street id; the city is the same whatever the number
    of workers or the order in which they work.

    Parameters
    ----------
    n_buildings : int
        Buildings in the whole city (split evenly over the streets).
    seed : int
        Seed of the city.
    preset : str
        Preset of :func:`gridmap.synth.generate_district`.
    buildings_per_street : int
        Buildings per street, that is per chunk.
    """

    n_buildings: int
    seed: int = settings.DEFAULT_SEED
    preset: str = "demo"
    buildings_per_street: int = 5_000

    @property
    def n_streets(self) -> int:
        """Number of streets (chunks)."""
        return max(1, math.ceil(self.n_buildings / self.buildings_per_street))

    def street_ids(self) -> list[str]:
        """The street ids, ``S0001``, ``S0002``, ..."""
        return [f"S{i + 1:04d}" for i in range(self.n_streets)]

    def street_size(self, index: int) -> int:
        """Buildings of the street number ``index`` (0-based)."""
        base, extra = divmod(self.n_buildings, self.n_streets)
        return base + (1 if index < extra else 0)


Source = str | os.PathLike[str] | SyntheticCity


@dataclass(frozen=True)
class _ChunkTask:
    """Everything a worker needs to run one chunk (small, pickled to the worker)."""

    chunk_id: str
    value: Any
    kind: str  # "parquet", "gpkg" or "synthetic"
    path: str | None
    layer: str | None
    key: str
    city: SyntheticCity | None
    index: int
    out_dir: str
    min_households: int
    max_households: int
    per_member: int
    model: str
    seed: int
    fingerprint: str
    street_codes: dict[str, str] = field(default_factory=dict)
    community_codes: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkResult:
    """What happened to one chunk.

    Attributes
    ----------
    chunk_id : str
        The street or community id of the chunk.
    status : str
        ``done`` (computed now), ``skipped`` (finished by an earlier run) or
        ``failed``.
    buildings, households, grids, areas, members : int
        Counts of the chunk's outputs.
    error : str or None
        ``Type: message`` of a failed chunk.
    warnings : tuple of str
        Warnings the engines gave for this chunk.
    error_zh : str or None
        ``error`` in Chinese (the same text when it has no catalogue message).
    warnings_zh : tuple of str
        ``warnings`` in Chinese, in the same order.
    seconds : float
        Time the worker spent on the chunk (0 for skipped chunks).
    peak_rss_mb : float or None
        Peak resident memory of the worker process so far (Unix), in MiB.
    directory : str or None
        Folder of the chunk's files.
    bounds : tuple of float or None
        ``(minx, miny, maxx, maxy)`` of the chunk's buildings in EPSG:4326.
    worker : str or None
        Address of the worker that ran it.
    """

    chunk_id: str
    status: str
    buildings: int = 0
    households: int = 0
    grids: int = 0
    areas: int = 0
    members: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    directory: str | None = None
    bounds: tuple[float, float, float, float] | None = None
    worker: str | None = None
    error_zh: str | None = None
    warnings_zh: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchReport:
    """The outcome of :func:`run_batch`.

    Attributes
    ----------
    out_dir : Path
        Output folder.
    chunks : tuple of ChunkResult
        One per chunk, in chunk order.
    seconds : float
        Wall time of the whole batch.
    scheduler : str
        Address of the Dask scheduler used.
    workers : tuple of str
        Addresses of the workers at the start.
    merged : tuple of Path
        Merged files written on request.
    """

    out_dir: Path
    chunks: tuple[ChunkResult, ...]
    seconds: float
    scheduler: str
    workers: tuple[str, ...]
    merged: tuple[Path, ...] = field(default=())

    @property
    def done(self) -> tuple[ChunkResult, ...]:
        """Chunks computed in this run."""
        return tuple(c for c in self.chunks if c.status == "done")

    @property
    def skipped(self) -> tuple[ChunkResult, ...]:
        """Chunks finished by an earlier run and not recomputed."""
        return tuple(c for c in self.chunks if c.status == "skipped")

    @property
    def failed(self) -> tuple[ChunkResult, ...]:
        """Chunks that failed; their error says why."""
        return tuple(c for c in self.chunks if c.status == "failed")

    @property
    def ok(self) -> bool:
        """Whether every chunk is finished."""
        return not self.failed

    def to_frame(self) -> pd.DataFrame:
        """One row per chunk."""
        rows = [asdict(c) for c in self.chunks]
        for row in rows:
            row["warnings"] = len(row["warnings"])
            del row["warnings_zh"]
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, Any]:
        """Key figures for the command line's summary table."""
        finished = [c for c in self.chunks if c.status != "failed"]
        summary: dict[str, Any] = {
            "chunks": len(self.chunks),
            "chunks computed": len(self.done),
            "chunks skipped (finished before)": len(self.skipped),
            "chunks failed": len(self.failed),
            "buildings": sum(c.buildings for c in finished),
            "households": sum(c.households for c in finished),
            "grids": sum(c.grids for c in finished),
            "member areas": sum(c.areas for c in finished),
            "members": sum(c.members for c in finished),
            "workers": len(self.workers),
            "seconds": round(self.seconds, 1),
        }
        for chunk in self.failed[:5]:
            summary[f"failed {chunk.chunk_id}"] = chunk.error
        summary["written"] = str(self.out_dir)
        return summary


# --------------------------------------------------------------------------- helpers


def _safe_name(chunk_id: str) -> str:
    """A folder name for a chunk id; ids that need changing get a short hash."""
    name = _SAFE_NAME.sub("_", chunk_id).strip("._") or "chunk"
    if name != chunk_id:
        digest = hashlib.sha256(chunk_id.encode("utf-8")).hexdigest()[:8]
        name = f"{name[:60]}-{digest}"
    return name


def chunk_seed(seed: int, chunk_id: str) -> int:
    """The seed a chunk's engines get: from the batch seed and the chunk id only.

    So a chunk's results do not depend on the number of workers or the order of
    work, and one street can be reproduced alone with the engines directly.

    Parameters
    ----------
    seed : int
        Seed of the batch.
    chunk_id : str
        Street or community id.

    Returns
    -------
    int
        A seed in ``[0, 2**32)``.
    """
    digest = hashlib.sha256(f"{seed}:{chunk_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _source_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(GPKG_SUFFIXES):
        return "gpkg"
    raise InputError(msg("core.batch_bad_source_kind", path=path))


def _fingerprint(kind: str, city: SyntheticCity | None, **params: Any) -> str:
    """What a finished chunk depends on besides its rows; a change recomputes it.

    A file's rows are hashed by the worker that reads them (see :func:`_run_chunk`), so
    a moved or rewritten file whose street did not change still skips; the
    city-wide codes are included because a street added elsewhere can renumber.
    """
    source = asdict(city) if city is not None else {}
    payload = {"version": BATCH_FORMAT_VERSION, "kind": kind, "source": source, **params}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file of the same name, then rename it over ``path``."""
    from gridmap.io import atomic_path

    with atomic_path(path) as tmp:
        write(tmp)


def _write_json_atomic(path: Path, payload: Any) -> None:
    text = json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True, default=str)
    _write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _to_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def _sql_literal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "'" + str(value).replace("'", "''") + "'"
    return repr(value)


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    # ru_maxrss is KiB on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --------------------------------------------------------------------------- chunks


def list_chunks(
    source: Source, *, chunk_by: str = "street_id", layer: str = "buildings"
) -> pd.DataFrame:
    """List the chunks of a city: one row per street or community.

    Only the id columns are read, a batch of rows at a time, so a city of
    millions of buildings is listed in bounded memory.

    Parameters
    ----------
    source : path or SyntheticCity
        City buildings as GeoParquet or GeoPackage, or a synthetic city.
    chunk_by : str
        ``street_id`` or ``community_id``.
    layer : str
        GeoPackage layer holding the buildings.

    Returns
    -------
    DataFrame
        ``chunk_id`` (str), ``value`` (the key as stored) and ``buildings``,
        sorted by ``chunk_id``.
    """
    return _scan(source, chunk_by=chunk_by, layer=layer).chunks


@dataclass(frozen=True)
class _Scan:
    """The chunks of a city and the city-wide street and community codes."""

    chunks: pd.DataFrame
    # chunk_id -> ({street_id: code}, {(street_id, community_id): code})
    codes: dict[str, tuple[dict[str, str], dict[tuple[str, str], str]]]


def _check_city(city: SyntheticCity) -> None:
    """A synthetic city whose streets the generator can make."""
    from gridmap import synth

    spec = synth.PRESETS.get(city.preset)
    if spec is None:
        raise InputError(
            msg("core.synth_unknown_preset", name=city.preset, names=", ".join(synth.PRESETS))
        )
    if spec.households is not None:
        raise InputError(msg("core.batch_fixed_preset", name=city.preset))
    smallest = min(city.street_size(i) for i in range(city.n_streets))
    if smallest < synth.MIN_BUILDINGS or city.buildings_per_street > synth.MAX_BUILDINGS:
        raise InputError(
            msg(
                "core.batch_street_too_small",
                n_buildings=city.n_buildings,
                per_street=city.buildings_per_street,
                smallest=smallest,
                low=synth.MIN_BUILDINGS,
                high=synth.MAX_BUILDINGS,
            )
        )


def _scan(source: Source, *, chunk_by: str, layer: str) -> _Scan:
    if chunk_by not in CHUNK_KEYS:
        raise InputError(
            msg("core.batch_bad_chunk_key", column=chunk_by, keys=", ".join(CHUNK_KEYS))
        )
    if isinstance(source, SyntheticCity):
        if chunk_by != "street_id":
            raise InputError(msg("core.batch_synthetic_by_street"))
        ids = source.street_ids()
        sizes = [source.street_size(i) for i in range(len(ids))]
        _check_width(len(ids))
        chunks = pd.DataFrame(
            {"chunk_id": ids, "value": pd.Series(ids, dtype=object), "buildings": sizes}
        )
        codes: dict[str, tuple[dict[str, str], dict[tuple[str, str], str]]] = {
            sid: ({sid: f"{i + 1:03d}"}, {}) for i, sid in enumerate(ids)
        }
        return _Scan(chunks=chunks, codes=codes)
    path = Path(source)
    if not path.is_file():
        raise InputError(msg("core.no_such_file", path=path))
    kind = _source_kind(path)
    names, _, crs = _columns(path, kind, layer)
    if chunk_by not in names:
        raise _missing_key(path, chunk_by, names)
    keys = [k for k in CHUNK_KEYS if k in names]
    pairs = _aggregate(path, kind, layer, keys, chunk_by, None)
    if pairs.empty:
        raise InputError(msg("core.batch_no_buildings", path=path))
    chunks = (
        pairs.groupby(chunk_by, sort=False, dropna=False)["n"]
        .sum()
        .rename("buildings")
        .reset_index()
        .rename(columns={chunk_by: "value"})
    )
    chunks.insert(0, "chunk_id", chunks["value"].map(str))
    dup = chunks["chunk_id"].duplicated()
    if dup.any():
        values = chunks.loc[dup, "chunk_id"].head(3).tolist()
        raise InputError(msg("core.batch_key_types", path=path, column=chunk_by, values=values))
    chunks = chunks.sort_values("chunk_id", kind="stable").reset_index(drop=True)
    chunks["value"] = chunks["value"].astype(object)
    return _Scan(chunks=chunks, codes=_city_codes(path, kind, layer, keys, chunk_by, pairs, crs))


def _columns(path: Path, kind: str, layer: str) -> tuple[list[str], str | None, Any]:
    """Column names, geometry column and CRS of a source, read from its metadata only."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InputError(msg("core.batch_bad_parquet", path=path, error=str(exc))) from exc
        geo = json.loads((schema.metadata or {}).get(b"geo", b"{}"))
        geometry = geo.get("primary_column")
        crs = (geo.get("columns", {}).get(geometry) or {}).get("crs", "OGC:CRS84")
        if geometry is None:
            raise InputError(msg("core.batch_no_geo_metadata", path=path))
        return list(schema.names), geometry, crs
    import pyogrio

    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(msg("core.batch_bad_gpkg", path=path, error=str(exc))) from exc
    if layer not in layers:
        raise InputError(
            msg("core.batch_no_layer", path=path, layer=layer, layers=", ".join(layers))
        )
    info = pyogrio.read_info(path, layer=layer)
    return [str(f) for f in info["fields"]], None, info["crs"]


def _batches(
    path: Path, kind: str, layer: str, columns: list[str], geometry: bool
) -> Iterator[Any]:
    """Record batches of some columns (and the geometry as WKB, named ``geometry``)."""
    import pyarrow as pa

    if kind == "parquet":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        geo = json.loads((parquet.schema_arrow.metadata or {}).get(b"geo", b"{}"))
        geom = geo.get("primary_column", "geometry")
        wanted = columns + ([geom] if geometry else [])
        for batch in parquet.iter_batches(columns=wanted, batch_size=131_072):
            if geometry:
                batch = batch.rename_columns(columns + ["geometry"])
            yield batch
        return
    import pyogrio

    with pyogrio.open_arrow(
        path, layer=layer, columns=columns, read_geometry=geometry, use_pyarrow=True
    ) as (meta, reader):
        geom = meta.get("geometry_name") or "wkb_geometry"
        for batch in reader:
            if geometry:
                batch = pa.RecordBatch.from_arrays(
                    [batch.column(c) for c in columns] + [batch.column(geom)],
                    names=columns + ["geometry"],
                )
            yield batch


def _aggregate(
    path: Path, kind: str, layer: str, keys: list[str], chunk_by: str, crs: Any
) -> pd.DataFrame:
    """Buildings per (street, community) pair; with ``crs``, also their mean position."""
    import shapely

    with_xy = crs is not None
    parts: list[pd.DataFrame] = []
    offset = 0
    for batch in _batches(path, kind, layer, keys, with_xy):
        column = batch.column(keys.index(chunk_by))
        if column.null_count:
            first = offset + column.to_pandas().isna().to_numpy().argmax()
            raise InputError(
                msg(
                    "core.batch_missing_chunk_value",
                    path=path,
                    count=column.null_count,
                    column=chunk_by,
                    first=first,
                )
            )
        frame = pd.DataFrame(
            {k: batch.column(i).to_pandas().astype(object) for i, k in enumerate(keys)}
        )
        frame["n"] = 1
        if with_xy:
            wkb = batch.column(len(keys))
            if not (str(wkb.type).endswith("binary")):
                raise InputError(msg("core.batch_not_wkb", path=path, type=wkb.type))
            bounds = shapely.bounds(shapely.from_wkb(wkb.to_numpy(zero_copy_only=False)))
            frame["x"] = (bounds[:, 0] + bounds[:, 2]) / 2
            frame["y"] = (bounds[:, 1] + bounds[:, 3]) / 2
        parts.append(_sum_by(frame, keys))
        if len(parts) > 32:
            parts = [_sum_by(pd.concat(parts, ignore_index=True), keys)]
        offset += batch.num_rows
    if not parts:
        return pd.DataFrame(columns=[*keys, "n"])
    return _sum_by(pd.concat(parts, ignore_index=True), keys)


def _sum_by(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.groupby(keys, sort=False, dropna=False).sum().reset_index()


def _code_like(ids: Sequence[str]) -> bool:
    """The rule of :func:`gridmap.partition.codes.level_codes` for ids that are codes."""
    tails = [i[-3:] for i in ids]
    return (
        all(i.isdigit() and len(i) >= 3 for i in ids)
        and len(set(tails)) == len(tails)
        and "000" not in tails
    )


def _check_width(n: int, street: str | None = None) -> None:
    """At most 999 streets in the city, or communities in ``street``: codes have 3 digits."""
    if n <= 999:
        return
    if street is None:
        raise InputError(msg("core.batch_too_many_streets", count=n))
    raise InputError(msg("core.batch_too_many_communities", count=n, street=street))


def _city_codes(
    path: Path,
    kind: str,
    layer: str,
    keys: list[str],
    chunk_by: str,
    pairs: pd.DataFrame,
    crs: Any,
) -> dict[str, tuple[dict[str, str], dict[tuple[str, str], str]]]:
    """Street and community codes numbered over the whole city, as the engine numbers
    them over its input, so that grid ids do not repeat between chunks."""
    from gridmap.partition.codes import level_codes

    frame = pairs.copy()
    has_street = "street_id" in keys
    frame["street"] = frame["street_id"].map(_text) if has_street else ""
    frame["community"] = frame["community_id"].map(_text) if "community_id" in keys else None
    streets = sorted(s for s in frame["street"].unique() if s)
    communities = frame.dropna(subset=["community"]).drop_duplicates(["street", "community"])
    _check_width(len(streets))
    for street, group in communities.groupby("street"):
        _check_width(len(group), str(street))
    by_street = {
        str(s): [str(c) for c in sorted(g["community"])] for s, g in communities.groupby("street")
    }
    need_xy = not _code_like(streets) or not all(_code_like(c) for c in by_street.values())
    if need_xy:
        located = _aggregate(path, kind, layer, keys, chunk_by, crs)
        located["street"] = located["street_id"].map(_text) if has_street else ""
        located["community"] = (
            located["community_id"].map(_text) if "community_id" in keys else None
        )
        xy = _metric_means(located, crs)
    else:
        xy = {}
    street_codes = (
        level_codes(streets, np.array([xy.get((s, None), (0.0, 0.0)) for s in streets]))
        if streets
        else {}
    )
    community_codes: dict[tuple[str, str], str] = {}
    for street, ids in by_street.items():
        points = np.array([xy.get((street, c), (0.0, 0.0)) for c in ids])
        for cid, code in level_codes(ids, points).items():
            community_codes[(street, cid)] = code
    out: dict[str, tuple[dict[str, str], dict[tuple[str, str], str]]] = {}
    frame["chunk"] = frame[chunk_by].map(str)
    for chunk, group in frame.groupby("chunk"):
        pairs_of_chunk = [
            (str(s), str(c)) for s, c in zip(group["street"], group["community"], strict=True)
        ]
        mine_streets = {s: street_codes[s] for s, _ in pairs_of_chunk if s in street_codes}
        mine_communities = {p: community_codes[p] for p in pairs_of_chunk if p in community_codes}
        out[str(chunk)] = (mine_streets, mine_communities)
    return out


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value)


def _metric_means(
    located: pd.DataFrame, crs: Any
) -> dict[tuple[str, str | None], tuple[float, float]]:
    """Mean position of each street and each (street, community), in a metric CRS."""
    from gridmap.crs import metric_crs

    rows: list[tuple[tuple[str, str | None], float, float, float]] = []
    for key, group in located.groupby("street", dropna=False):
        n = group["n"].sum()
        rows.append(((str(key), None), group["x"].sum() / n, group["y"].sum() / n, n))
    if located["community"].notna().any():
        for (street, community), group in located.groupby(["street", "community"]):
            n = group["n"].sum()
            rows.append(
                ((str(street), str(community)), group["x"].sum() / n, group["y"].sum() / n, n)
            )
    points = gpd.GeoSeries(gpd.points_from_xy([r[1] for r in rows], [r[2] for r in rows]), crs=crs)
    metric = points.to_crs(metric_crs(gpd.GeoDataFrame(geometry=points)))
    return {r[0]: (float(x), float(y)) for r, x, y in zip(rows, metric.x, metric.y, strict=True)}


def _missing_key(path: Path, key: str, columns: Sequence[str]) -> InputError:
    other = [k for k in CHUNK_KEYS if k != key and k in columns]
    names = ", ".join(columns)
    if other:
        return InputError(
            msg(
                "core.batch_missing_key_other", path=path, column=key, columns=names, other=other[0]
            )
        )
    return InputError(msg("core.batch_missing_key", path=path, column=key, columns=names))


def _read_parquet_chunk(task: _ChunkTask) -> dict[str, gpd.GeoDataFrame]:
    assert task.path is not None
    buildings = gpd.read_parquet(task.path, filters=[(task.key, "==", task.value)])
    return {"buildings": buildings.reset_index(drop=True)}


def _read_gpkg_chunk(task: _ChunkTask) -> dict[str, gpd.GeoDataFrame]:
    import pyogrio

    assert task.path is not None and task.layer is not None
    where = f'"{task.key}" = {_sql_literal(task.value)}'
    buildings = pyogrio.read_dataframe(task.path, layer=task.layer, where=where)
    layers: dict[str, gpd.GeoDataFrame] = {"buildings": buildings}
    names = {str(name) for name, _ in pyogrio.list_layers(task.path)}
    if "communities" in names and "community_id" in buildings:
        ids = sorted({str(v) for v in buildings["community_id"].dropna()})
        if ids:
            where = "community_id IN (" + ", ".join(_sql_literal(i) for i in ids) + ")"
            layers["communities"] = pyogrio.read_dataframe(
                task.path, layer="communities", where=where
            )
    if "roads" in names and len(buildings):
        # Roads that touch the chunk's bounding box: the streets between its buildings.
        bounds = buildings.to_crs(pyogrio.read_info(task.path, layer="roads")["crs"]).total_bounds
        layers["roads"] = pyogrio.read_dataframe(task.path, layer="roads", bbox=tuple(bounds))
    return layers


# Side of a generated district is at most ~110 m x sqrt(buildings) (measured on
# gridmap.synth districts of 100-20,000 buildings); 130 m x sqrt + 300 m leaves a gap.
_STREET_SPACING_M_PER_SQRT = 130.0
_STREET_GAP_M = 300.0
# Metres per degree of latitude (WGS84 mean), for placing street centres.
_M_PER_DEG_LAT = 110_574.0


def street_origin(city: SyntheticCity, index: int) -> tuple[float, float]:
    """Lon/lat of the centre of street ``index`` of a synthetic city.

    Streets sit on a square lattice around :data:`gridmap.synth.DEFAULT_ORIGIN`,
    spaced so that generated districts never overlap.
    """
    from gridmap import synth

    lon0, lat0 = synth.DEFAULT_ORIGIN
    step = _STREET_SPACING_M_PER_SQRT * math.sqrt(city.buildings_per_street) + _STREET_GAP_M
    side = max(1, math.ceil(math.sqrt(city.n_streets)))
    dx = (index % side - (side - 1) / 2) * step
    dy = ((side - 1) / 2 - index // side) * step
    lat = lat0 + dy / _M_PER_DEG_LAT
    lon = lon0 + dx / (_M_PER_DEG_LAT * math.cos(math.radians(lat0)))
    return round(lon, 7), round(lat, 7)


def _synthetic_chunk(task: _ChunkTask) -> dict[str, gpd.GeoDataFrame]:
    """Generate one street of a synthetic city inside the worker."""
    from gridmap import synth

    city = task.city
    assert city is not None
    layers = synth.generate_district(
        n_buildings=city.street_size(task.index),
        seed=chunk_seed(city.seed, task.chunk_id),
        preset=city.preset,
        origin=street_origin(city, task.index),
    )
    return _label_street(layers, task.chunk_id)


def _label_street(
    layers: dict[str, gpd.GeoDataFrame], street_id: str
) -> dict[str, gpd.GeoDataFrame]:
    """Make a generated district one street of the city: its street id, city-unique ids."""
    id_columns = ("building_id", "compound_id", "community_id", "lot_id", "road_id", "owner_id")
    labelled: dict[str, gpd.GeoDataFrame] = {}
    for name, frame in layers.items():
        if name == "streets" or not isinstance(frame, gpd.GeoDataFrame):
            continue
        frame = frame.copy()
        for column in id_columns:
            if column in frame:
                values = frame[column].astype(object)
                frame[column] = values.where(values.isna(), street_id + "-" + values.astype(str))
        if "street_id" in frame:
            frame["street_id"] = street_id
        labelled[name] = frame
    return labelled


def read_chunk_layer(
    out_dir: str | os.PathLike[str], chunk_id: str, layer: str
) -> gpd.GeoDataFrame:
    """Read one layer of one finished chunk.

    Parameters
    ----------
    out_dir : path
        Output folder of :func:`run_batch`.
    chunk_id : str
        Street or community id.
    layer : str
        One of :data:`LAYERS` (``grids``, ``areas``, ``members``, ``buildings``).

    Returns
    -------
    GeoDataFrame
    """
    if layer not in LAYERS:
        raise InputError(msg("core.batch_no_chunk_layer", layer=layer, layers=", ".join(LAYERS)))
    folder = Path(out_dir) / "chunks" / _safe_name(chunk_id)
    if not (folder / DONE_MARKER).is_file():
        raise InputError(msg("core.batch_chunk_unfinished", folder=folder, chunk_id=chunk_id))
    return gpd.read_parquet(folder / f"{layer}.parquet")


# --------------------------------------------------------------------------- one chunk


def _load(task: _ChunkTask) -> dict[str, gpd.GeoDataFrame]:
    if task.kind == "parquet":
        return _read_parquet_chunk(task)
    if task.kind == "gpkg":
        return _read_gpkg_chunk(task)
    return _synthetic_chunk(task)


def _digest(layers: dict[str, gpd.GeoDataFrame]) -> str:
    """A hash of a chunk's input: rerunning skips a chunk only when its data are unchanged."""
    import shapely

    digest = hashlib.sha256()
    for name in sorted(layers):
        frame = layers[name]
        digest.update(f"{name}:{len(frame)}:{frame.crs}".encode())
        for column in sorted(map(str, frame.columns)):
            values = frame[column]
            digest.update(column.encode())
            if column == frame.geometry.name:
                digest.update(b"".join(shapely.to_wkb(values.values, output_dimension=2)))
            else:
                hashed = pd.util.hash_pandas_object(values.astype(str), index=False)
                digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


def _compute(task: _ChunkTask, layers: dict[str, gpd.GeoDataFrame], folder: Path) -> dict[str, Any]:
    """Partition, assign members and write one chunk; return its counts."""
    from gridmap.members import assign_members
    from gridmap.partition import partition_grids
    from gridmap.schema import validate_buildings

    buildings = layers["buildings"]
    if len(buildings) == 0:
        raise InputError(msg("core.batch_chunk_empty", chunk_id=task.chunk_id, column=task.key))
    if "grid_id" not in buildings:
        # The city table may come straight from a survey: grid_id is null until partitioned.
        buildings = buildings.assign(grid_id=pd.Series(None, index=buildings.index, dtype=object))
    validate_buildings(buildings)
    seed = chunk_seed(task.seed, task.chunk_id)
    communities = layers.get("communities")
    roads = layers.get("roads")
    part = partition_grids(
        buildings,
        min_households=task.min_households,
        max_households=task.max_households,
        communities=communities if communities is not None and len(communities) else None,
        roads=roads if roads is not None and len(roads) else None,
        seed=seed,
        progress=_quiet,
        workers=1,  # Dask runs the chunks side by side already
    )
    buildings, grids = _recode(task, part.buildings, part.grids)
    assignment = assign_members(
        buildings,
        per_member=task.per_member,
        grids=grids,
        roads=roads if roads is not None and len(roads) else None,
        model=task.model,
        seed=seed,
        progress=_quiet,
    )
    areas, members, tree = _chunk_member_ids(task.chunk_id, assignment)
    outputs = {"buildings": buildings, "grids": grids, "areas": areas, "members": members}
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in outputs.items():
        frame = frame.to_crs(4326) if frame.crs is not None else frame
        _write_atomic(folder / f"{name}.parquet", partial(_to_parquet, frame))
    shortfall = pd.DataFrame(assignment.shortfall)
    _write_atomic(folder / "shortfall.parquet", partial(_to_parquet, shortfall))
    _write_json_atomic(folder / "member_tree.json", tree)
    box = outputs["buildings"].to_crs(4326).total_bounds
    return {
        "buildings": len(buildings),
        "households": int(pd.to_numeric(buildings["households"]).sum()),
        "grids": len(grids),
        "areas": len(areas),
        "members": len(members),
        "bounds": [round(float(v), 7) for v in box],
    }


def _recode(
    task: _ChunkTask, buildings: gpd.GeoDataFrame, grids: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Give the chunk's grids the city-wide street and community codes.

    The engine numbers streets and communities over its own input, which is one
    chunk here; the driver numbered them over the whole city by the same rule
    (:func:`gridmap.partition.codes.level_codes`), so the street and community
    digits of each grid code are replaced by the city's and no grid id repeats
    between chunks. The grid numbers within a community are the engine's.
    """
    div = len(settings.DIVISION_CODE)
    streets = grids["street_id"].map(_text) if "street_id" in grids else None
    mapping: dict[str, str] = {}
    for i, (gid, community) in enumerate(zip(grids["grid_id"], grids["community_id"], strict=True)):
        street = (streets.iloc[i] if streets is not None else None) or ""
        code = str(gid)
        street_code = task.street_codes.get(street, code[div : div + 3])
        community_code = task.community_codes.get((street, str(community)), code[div + 3 : div + 6])
        mapping[code] = code[:div] + street_code + community_code + code[div + 6 :]
    if len(set(mapping.values())) != len(mapping):
        raise InputError(msg("core.batch_codes_repeat", chunk_id=task.chunk_id))

    def grid(values: pd.Series) -> pd.Series:
        return values.map(lambda v: mapping.get(str(v), v) if _text(v) is not None else v)

    def micro(values: pd.Series, parents: pd.Series) -> pd.Series:
        return pd.Series(
            [
                mapping[str(p)] + str(m)[len(str(p)) :]
                if _text(m) is not None and str(p) in mapping and str(m).startswith(str(p))
                else m
                for m, p in zip(values, parents, strict=True)
            ],
            index=values.index,
            dtype=object,
        )

    buildings = buildings.copy()
    grids = grids.copy()
    if "micro_grid_id" in buildings:
        buildings["micro_grid_id"] = micro(buildings["micro_grid_id"], buildings["grid_id"])
    buildings["grid_id"] = grid(buildings["grid_id"])
    grids["grid_id"] = grid(grids["grid_id"])
    return buildings, grids


def _chunk_member_ids(
    chunk_id: str, assignment: Any
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Any]:
    """Make generated member ids city-unique: ``SYN-000001`` -> ``SYN-<chunk>-000001``.

    The engine numbers its synthetic members per call, so two chunks would
    both have a ``SYN-000001``; real member ids are the user's and stay.
    """
    prefix = "SYN-"

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(prefix):
            return f"{prefix}{chunk_id}-{value[len(prefix) :]}"
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: fix(v) if k == "member_id" else walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    areas = assignment.areas.copy()
    members = assignment.members.copy()
    areas["member_id"] = areas["member_id"].map(fix)
    members["member_id"] = members["member_id"].map(fix)
    return areas, members, walk(assignment.tree)


def _read_marker(marker: Path) -> dict[str, Any]:
    try:
        done = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return done if isinstance(done, dict) else {}


def _result(
    task: _ChunkTask,
    status: str,
    folder: Path,
    *,
    counts: dict[str, Any] | None = None,
    error: tuple[str, str] | None = None,
    messages: tuple[tuple[str, str], ...] = (),
    seconds: float = 0.0,
) -> ChunkResult:
    """The result of one chunk; ``error`` and ``messages`` are (English, Chinese) pairs."""
    counts = counts or {}
    bounds = counts.get("bounds")
    return ChunkResult(
        chunk_id=task.chunk_id,
        status=status,
        buildings=int(counts.get("buildings", 0)),
        households=int(counts.get("households", 0)),
        grids=int(counts.get("grids", 0)),
        areas=int(counts.get("areas", 0)),
        members=int(counts.get("members", 0)),
        error=error[0] if error is not None else None,
        error_zh=error[1] if error is not None else None,
        warnings=tuple(en for en, _ in messages),
        warnings_zh=tuple(zh for _, zh in messages),
        seconds=seconds,
        peak_rss_mb=_peak_rss_mb(),
        directory=str(folder),
        bounds=(bounds[0], bounds[1], bounds[2], bounds[3]) if bounds else None,
        worker=_worker_address(),
    )


def _run_chunk(task: _ChunkTask) -> ChunkResult:
    """Run one chunk on a worker: skip it when finished, else compute and mark it done.

    A chunk is skipped when its done-marker names the same options and the
    same input data (a hash of the chunk's rows; for a synthetic city, its
    parameters), so fixing one street of the city recomputes only that street.
    Exceptions are caught and returned as a ``failed`` result naming the chunk,
    so one bad street never loses the others' results.

    Parameters
    ----------
    task : _ChunkTask
        Built by :func:`run_batch`.

    Returns
    -------
    ChunkResult
    """
    folder = Path(task.out_dir) / "chunks" / _safe_name(task.chunk_id)
    marker = folder / DONE_MARKER
    done = _read_marker(marker) if marker.is_file() else {}
    if task.kind == "synthetic" and done.get("fingerprint") == task.fingerprint:
        return _result(task, "skipped", folder, counts=done.get("counts"))
    start = time.perf_counter()
    counts: dict[str, Any] = {}
    error: tuple[str, str] | None = None
    skipped = False
    with _ENGINE_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            layers = _load(task)
            key = task.fingerprint
            if task.kind != "synthetic":
                key = hashlib.sha256(f"{key}:{_digest(layers)}".encode()).hexdigest()
            if done.get("fingerprint") == key:
                skipped = True
            else:
                marker.unlink(missing_ok=True)
                counts = _compute(task, layers, folder)
        except GridmapError as exc:
            kind = type(exc).__name__
            error = (f"{kind}: {exc.user_message('en')}", f"{kind}: {exc.user_message('zh')}")
        except Exception as exc:  # any engine failure stays with its chunk
            last = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
            text = f"{type(exc).__name__}: {exc}{where}"
            error = (text, text)
    seconds = time.perf_counter() - start
    _release_memory()
    if skipped:
        return _result(task, "skipped", folder, counts=done.get("counts"), seconds=seconds)
    messages = tuple(dict.fromkeys(_both_languages(w.message) for w in caught))
    if error is not None:
        return _result(task, "failed", folder, error=error, messages=messages, seconds=seconds)
    # The marker is written last and atomically: a chunk without it is recomputed.
    _write_json_atomic(
        marker,
        {
            "chunk_id": task.chunk_id,
            "fingerprint": key,
            "counts": counts,
            "warnings": [en for en, _ in messages],
            "seconds": round(seconds, 3),
        },
    )
    return _result(task, "done", folder, counts=counts, messages=messages, seconds=seconds)


def _both_languages(warning: Warning | str) -> tuple[str, str]:
    """A caught warning in English and Chinese (the same text when it has no catalogue message)."""
    if isinstance(warning, GridmapWarning):
        return warning.line("en"), warning.line("zh")
    return str(warning), str(warning)


def _release_memory() -> None:
    """Hand a finished chunk's memory back, so a long-lived worker stays near one chunk's size.

    Measured on streets of 1,500 buildings: without this a worker's resident
    memory rose by 1-2 MB per chunk (Python objects do not grow, per
    tracemalloc; pyarrow's memory pool and freed-but-kept native memory do);
    with it ~0.6 MB per chunk from a ~55 MB lower base.
    """
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return None


# --------------------------------------------------------------------------- cluster


def start_local_cluster(*, n_workers: int | None = None, processes: bool = True) -> Any:
    """Start a ``distributed.LocalCluster`` on 127.0.0.1 with one thread per worker.

    Parameters
    ----------
    n_workers : int, optional
        Worker processes (default: one per CPU core).
    processes : bool
        Workers in their own processes (default) or as threads of this one.

    Returns
    -------
    distributed.LocalCluster
    """
    from distributed import LocalCluster

    if n_workers is not None and n_workers < 1:
        raise InputError(msg("core.batch_bad_workers", n=n_workers))
    return LocalCluster(
        n_workers=n_workers if n_workers is not None else (os.cpu_count() or 1),
        threads_per_worker=1,
        processes=processes,
        host="127.0.0.1",
        protocol="tcp",
        # The scheduler always serves HTTP (health, metrics): on loopback, on a free port.
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )


def _connect(scheduler: str, timeout: float) -> Any:
    """A client on a running scheduler; an unreachable address is the user's to fix."""
    import socket

    from distributed import Client
    from distributed.comm import parse_address, parse_host_port

    unreachable = InputError(msg("core.batch_unreachable", address=scheduler))
    try:
        protocol, location = parse_address(scheduler)
        if protocol in ("tcp", "tls"):
            host, port = parse_host_port(location)
            # A plain connection first: fails fast and leaves no half-built client behind.
            with socket.create_connection((host, port), timeout=timeout):
                pass
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise unreachable from exc


# --------------------------------------------------------------------------- the batch


def run_batch(
    source: Source,
    out_dir: str | os.PathLike[str],
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    processes: bool = True,
    chunk_by: str = "street_id",
    layer: str = "buildings",
    min_households: int | None = None,
    max_households: int | None = None,
    per_member: int = settings.DEFAULT_HOUSEHOLDS_PER_MEMBER,
    model: str = "standard",
    seed: int = settings.DEFAULT_SEED,
    merge: str | None = None,
    chunks: Sequence[str] | None = None,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> BatchReport:
    """Run grids and "1+10" members for every street or community of a city on Dask.

    Parameters
    ----------
    source : path or SyntheticCity
        City buildings as GeoParquet (``street_id``/``community_id`` columns)
        or a GeoPackage (layer ``layer``; its ``communities`` and ``roads``
        layers are used when present), or a :class:`SyntheticCity` generated
        inside the workers.
    out_dir : path
        Output folder (created). Rerunning into the same folder skips finished
        chunks. With a remote cluster it must be on a file system every worker
        sees at the same path.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``). Default: a
        local cluster on 127.0.0.1, closed at the end.
    n_workers : int, optional
        Workers of the local cluster (default: one per CPU core).
    processes : bool
        Local workers as processes (default) or threads of this process.
    chunk_by : str
        ``street_id`` (default) or ``community_id``: chunks are whole streets or
        whole communities, so no grid crosses a chunk.
    layer : str
        Buildings layer of a GeoPackage source.
    min_households, max_households : int, optional
        Grid bounds (default: settings).
    per_member : int
        Households per party member.
    model : str
        Organisation model of :func:`gridmap.members.assign_members`.
    seed : int
        Batch seed; each chunk derives its own from it and its id, so the
        results do not depend on the number of workers or the order of work.
    merge : str, optional
        ``gpkg`` (``city.gpkg``) or ``parquet`` (``city_<layer>.parquet``):
        also write the finished chunks merged into one file per city.
    chunks : sequence of str, optional
        Run only these chunk ids.
    progress : callable, optional
        ``progress(stage, fraction)``, called as chunks finish.
    timeout : float
        Seconds to wait for a remote scheduler.

    Returns
    -------
    BatchReport
        Per-chunk status; failed chunks carry their error, the others' results
        are kept. Warns once when chunks failed.
    """
    started = time.perf_counter()
    report_progress = progress or _quiet
    low = settings.DEFAULT_MIN_HOUSEHOLDS if min_households is None else min_households
    high = settings.DEFAULT_MAX_HOUSEHOLDS if max_households is None else max_households
    if low < 0 or high <= 0 or low > high:
        raise InputError(msg("core.grid_bounds_impossible", low=low, high=high))
    if per_member <= 0:
        raise InputError(msg("core.per_member_not_positive", per_member=per_member))
    if merge is not None and merge not in MERGE_FORMATS:
        raise InputError(msg("core.batch_bad_merge", fmt=merge, formats=", ".join(MERGE_FORMATS)))
    if isinstance(source, SyntheticCity):
        _check_city(source)
        path, kind, city = None, "synthetic", source
    else:
        path = Path(source).resolve()
        kind, city = _source_kind(path), None
    scan = _scan(source if path is None else path, chunk_by=chunk_by, layer=layer)
    table = scan.chunks
    positions = {str(c): i for i, c in enumerate(table["chunk_id"])}
    if chunks is not None:
        wanted = [str(c) for c in chunks]
        unknown = sorted(set(wanted) - set(table["chunk_id"]))
        if unknown:
            raise InputError(
                msg("core.batch_unknown_chunks", ids=", ".join(unknown[:5]), column=chunk_by)
            )
        table = table[table["chunk_id"].isin(wanted)].reset_index(drop=True)
    out = Path(out_dir).resolve()
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    options = {
        "chunk_by": chunk_by,
        "layer": layer,
        "min": low,
        "max": high,
        "per_member": per_member,
        "model": model,
        "seed": seed,
    }
    tasks = []
    for row in table.itertuples(index=False):
        chunk_id = str(row.chunk_id)
        street_codes, community_codes = scan.codes.get(chunk_id, ({}, {}))
        codes = {
            "streets": sorted(street_codes.items()),
            "communities": sorted((list(k), v) for k, v in community_codes.items()),
        }
        tasks.append(
            _ChunkTask(
                chunk_id=chunk_id,
                value=row.value,
                kind=kind,
                path=str(path) if path is not None else None,
                layer=layer if kind == "gpkg" else None,
                key=chunk_by,
                city=city,
                index=positions[chunk_id],
                out_dir=str(out),
                min_households=low,
                max_households=high,
                per_member=per_member,
                model=model,
                seed=seed,
                fingerprint=_fingerprint(kind, city, chunk=chunk_id, codes=codes, **options),
                street_codes=street_codes,
                community_codes=community_codes,
            )
        )
    report_progress(PROGRESS_STAGE, 0.0)
    with _client(scheduler, n_workers=n_workers, processes=processes, timeout=timeout) as client:
        address = str(client.scheduler.address)
        workers = tuple(sorted(client.scheduler_info()["workers"]))
        results = _run_tasks(client, tasks, report_progress)
    merged: tuple[Path, ...] = ()
    if merge is not None:
        merged = merge_chunks(out, [r.chunk_id for r in results if r.status != "failed"], fmt=merge)
    report = BatchReport(
        out_dir=out,
        chunks=tuple(results),
        seconds=time.perf_counter() - started,
        scheduler=address,
        workers=workers,
        merged=merged,
    )
    _write_json_atomic(out / REPORT_FILE, _report_payload(report))
    _warn_about(report)
    return report


def _warn_about(report: BatchReport) -> None:
    """One warning line for the failed chunks and one for the chunks' own warnings."""
    if report.failed:
        first = report.failed[0]
        warn(
            msg(
                "core.batch_failed_warning",
                failed=len(report.failed),
                total=len(report.chunks),
                ids=", ".join(c.chunk_id for c in report.failed[:5]),
                first=first.chunk_id,
                error=Rendered(en=str(first.error), zh=str(first.error_zh or first.error)),
                out=report.out_dir,
            ),
            stacklevel=3,
        )
    noted = [c for c in report.done if c.warnings]
    if noted:
        # One line for the whole city; each chunk's own warnings are in batch_report.json.
        example = noted[0]
        zh = example.warnings_zh[0] if example.warnings_zh else example.warnings[0]
        warn(
            msg(
                "core.batch_warnings_summary",
                count=sum(len(c.warnings) for c in noted),
                chunks=len(noted),
                first=example.chunk_id,
                warning=Rendered(en=example.warnings[0][:200], zh=zh[:200]),
                report=report.out_dir / REPORT_FILE,
            ),
            stacklevel=3,
        )


@contextmanager
def _client(
    scheduler: str | None, *, n_workers: int | None, processes: bool, timeout: float
) -> Iterator[Any]:
    """A client on a new local cluster (closed at the end), or on a running scheduler."""
    from distributed import Client

    cluster: Any = None
    client: Any = None
    try:
        if scheduler is not None:
            client = _connect(scheduler, timeout)
        else:
            cluster = start_local_cluster(n_workers=n_workers, processes=processes)
            client = Client(cluster, set_as_default=False)
        _check_workers(client, scheduler)
        yield client
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _load_engines() -> str:
    """Import the engines on a worker (once, before the first chunk); return gridmap's version."""
    from importlib.metadata import version

    import gridmap.members
    import gridmap.partition  # noqa: F401

    return version("gridmap")


def _check_workers(client: Any, scheduler: str | None) -> None:
    """Every worker must import the same gridmap: say which one cannot, before any chunk runs."""
    from importlib.metadata import version

    where = (
        Rendered(en=scheduler, zh=scheduler)
        if scheduler
        else Rendered.of(msg("core.batch_local_cluster").text)
    )
    if not client.scheduler_info()["workers"]:
        try:
            client.wait_for_workers(1, timeout=30)
        except TimeoutError as exc:
            raise InputError(msg("core.batch_no_workers", where=where)) from exc
    answers = client.run(_load_engines, on_error="return")
    mine = version("gridmap")
    for worker, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            error = f"{type(answer).__name__}: {answer}"
            raise InputError(
                msg("core.batch_worker_cannot_load", worker=worker, where=where, error=error)
            )
        if answer != mine:
            warn(msg("core.batch_worker_version", worker=worker, theirs=answer, mine=mine))


def _run_tasks(client: Any, tasks: list[_ChunkTask], progress: Progress) -> list[ChunkResult]:
    """Submit one Dask task per chunk; collect small results as they finish."""
    from distributed import as_completed

    if not tasks:
        progress(PROGRESS_STAGE, 1.0)
        return []
    token = hashlib.sha256(os.urandom(8)).hexdigest()[:8]
    futures = {
        client.submit(
            _run_chunk, task, key=f"gridmap-chunk-{_safe_name(task.chunk_id)}-{token}", pure=False
        ): task
        for task in tasks
    }
    results: dict[str, ChunkResult] = {}
    for future in as_completed(list(futures), loop=client.loop):
        task = futures.pop(future)
        try:
            result = future.result()
        except Exception as exc:  # a worker died (e.g. out of memory): Dask says so here
            result = ChunkResult(
                chunk_id=task.chunk_id, status="failed", error=f"{type(exc).__name__}: {exc}"
            )
        future.release()
        results[task.chunk_id] = result
        progress(PROGRESS_STAGE, len(results) / len(tasks))
    return [results[t.chunk_id] for t in tasks]


def _report_payload(report: BatchReport) -> dict[str, Any]:
    return {
        "out_dir": str(report.out_dir),
        "scheduler": report.scheduler,
        "workers": list(report.workers),
        "seconds": round(report.seconds, 3),
        "merged": [str(p) for p in report.merged],
        "summary": report.summary(),
        "chunks": [asdict(c) for c in report.chunks],
    }


# --------------------------------------------------------------------------- merging


def _chunk_files(out: Path, chunk_ids: Sequence[str], layer: str) -> Iterator[Path]:
    for chunk_id in sorted(chunk_ids):
        folder = out / "chunks" / _safe_name(chunk_id)
        if (folder / DONE_MARKER).is_file():
            yield folder / f"{layer}.parquet"


def merge_chunks(
    out_dir: str | os.PathLike[str],
    chunk_ids: Sequence[str] | None = None,
    *,
    fmt: str = "gpkg",
    layers: Sequence[str] = LAYERS,
) -> tuple[Path, ...]:
    """Merge finished chunks into one city file, one chunk in memory at a time.

    Parameters
    ----------
    out_dir : path
        Output folder of :func:`run_batch`.
    chunk_ids : sequence of str, optional
        Chunks to merge (default: every finished chunk).
    fmt : str
        ``gpkg`` writes ``city.gpkg`` with one layer per table plus ``chunks``
        (one bounding box per chunk: the index); ``parquet`` writes
        ``city_<layer>.parquet`` per table and ``city_chunks.parquet``.
    layers : sequence of str
        Tables to merge.

    Returns
    -------
    tuple of Path
        The files written.
    """
    if fmt not in MERGE_FORMATS:
        raise InputError(msg("core.batch_bad_merge", fmt=fmt, formats=", ".join(MERGE_FORMATS)))
    out = Path(out_dir)
    if chunk_ids is None:
        chunk_ids = sorted(
            json.loads(p.read_text(encoding="utf-8"))["chunk_id"]
            for p in (out / "chunks").glob(f"*/{DONE_MARKER}")
        )
    index = _chunk_index(out, chunk_ids)
    if fmt == "gpkg":
        target = out / "city.gpkg"
        _write_atomic(target, lambda tmp: _merge_gpkg(tmp, out, chunk_ids, layers, index))
        return (target,)
    written = []
    for layer in layers:
        target = out / f"city_{layer}.parquet"
        files = list(_chunk_files(out, chunk_ids, layer))
        _write_atomic(target, partial(_merge_parquet_to, files))
        written.append(target)
    target = out / "city_chunks.parquet"
    _write_atomic(target, lambda tmp: index.to_parquet(tmp, index=False))
    written.append(target)
    return tuple(written)


def _chunk_index(out: Path, chunk_ids: Sequence[str]) -> gpd.GeoDataFrame:
    from shapely.geometry import box

    rows = []
    for chunk_id in sorted(chunk_ids):
        marker = out / "chunks" / _safe_name(chunk_id) / DONE_MARKER
        if not marker.is_file():
            continue
        done = json.loads(marker.read_text(encoding="utf-8"))
        counts = done["counts"]
        rows.append(
            {
                "chunk_id": chunk_id,
                "folder": f"chunks/{_safe_name(chunk_id)}",
                **{k: counts[k] for k in ("buildings", "households", "grids", "areas", "members")},
                "geometry": box(*counts["bounds"]),
            }
        )
    if not rows:
        raise InputError(msg("core.batch_nothing_to_merge_in", out=out))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple | np.ndarray)


def _for_gpkg(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoPackage has no list or bool columns: lists are joined with ';', bools are 0/1."""
    frame = frame.copy()
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        values = frame[column]
        # Parquet gives list columns back as numpy arrays.
        if values.dtype == object and values.map(_is_list).any():
            frame[column] = values.map(lambda v: ";".join(map(str, v)) if _is_list(v) else v)
        elif pd.api.types.is_bool_dtype(values):
            frame[column] = values.astype("int64")
    return frame


def _merge_gpkg(
    target: Path,
    out: Path,
    chunk_ids: Sequence[str],
    layers: Sequence[str],
    index: gpd.GeoDataFrame,
) -> None:
    import pyogrio

    target.unlink(missing_ok=True)
    for layer in layers:
        first = True
        for path in _chunk_files(out, chunk_ids, layer):
            frame = gpd.read_parquet(path)
            if len(frame) == 0:
                continue
            pyogrio.write_dataframe(
                _for_gpkg(frame), target, layer=layer, driver="GPKG", append=not first
            )
            first = False
    pyogrio.write_dataframe(index, target, layer="chunks", driver="GPKG", append=True)


def _merge_parquet_to(files: Sequence[Path], target: Path) -> None:
    _merge_parquet(target, files)


def _merge_parquet(target: Path, files: Sequence[Path]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(f) for f in files]
    if not schemas:
        raise InputError(msg("core.batch_nothing_to_merge"))
    schema = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    geo = _merged_geo_metadata(schemas)
    if geo is not None:
        schema = schema.with_metadata({b"geo": geo})
    with pq.ParquetWriter(target, schema) as writer:
        for path in files:
            table = pq.read_table(path)
            columns = [
                table.column(name).cast(schema.field(name).type)
                if name in table.column_names
                else pa.nulls(len(table), schema.field(name).type)
                for name in schema.names
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))


def _merged_geo_metadata(schemas: Sequence[Any]) -> bytes | None:
    """GeoParquet metadata of the merged file: the first chunk's, without per-file bbox."""
    raw = next((s.metadata.get(b"geo") for s in schemas if s.metadata), None)
    if raw is None:
        return None
    geo = json.loads(raw)
    types: set[str] = set()
    for s in schemas:
        meta = json.loads(s.metadata[b"geo"]) if s.metadata and b"geo" in s.metadata else {}
        for column in meta.get("columns", {}).values():
            types.update(column.get("geometry_types", []))
    for column in geo.get("columns", {}).values():
        column.pop("bbox", None)
        column["geometry_types"] = sorted(types)
    return json.dumps(geo).encode()
