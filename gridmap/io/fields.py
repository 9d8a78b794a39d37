"""Column names and value types across formats that cannot hold gridmap's tables as they are.

A Shapefile's DBF allows field names of at most 10 bytes, no lists and no
booleans. gridmap cuts names by ONE documented mapping, :data:`SHAPEFILE_FIELDS`,
and for names it does not list by a deterministic, collision-free rule
(:func:`shapefile_names`). Every zipped Shapefile gridmap writes carries a small
``<name>.fields.json`` with the exact mapping and the columns that were lists or
booleans, so re-import restores the table; without that file the inverse of
:data:`SHAPEFILE_FIELDS` is applied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SHAPEFILE_FIELDS",
    "LIST_SEPARATOR",
    "LIST_COLUMNS",
    "BOOL_COLUMNS",
    "SIDECAR_SUFFIX",
    "shapefile_names",
    "restore_names",
    "join_lists",
    "restore_types",
    "sidecar_json",
    "read_sidecar",
]

# The documented 10-character Shapefile field names of gridmap's columns
# (DATA_MODEL.md tables and the extra columns the engines add). Names of 10
# characters or fewer are kept as they are and need no entry.
SHAPEFILE_FIELDS: dict[str, str] = {
    "building_id": "bldg_id",
    "households_source": "hh_source",
    "compound_id": "cmpd_id",
    "community_id": "cmty_id",
    "n_buildings": "n_bldgs",
    "n_compounds": "n_cmpds",
    "building_ids": "bldg_ids",
    "parking_spaces": "park_space",
    "capacity_source": "cap_source",
    "levels_source": "lvl_source",
    "footprint_m2": "footprint",
}
LIST_SEPARATOR = ";"
# Columns that hold lists in gridmap's tables (joined with ';' in files).
LIST_COLUMNS = ("building_ids",)
# Columns that hold booleans in gridmap's tables (0/1 in Shapefiles).
BOOL_COLUMNS = ("locked",)
SIDECAR_SUFFIX = ".fields.json"
_MAX_FIELD_BYTES = 10


def _fits(name: str) -> bool:
    return len(name.encode("utf-8")) <= _MAX_FIELD_BYTES


def _cut(name: str, n_bytes: int) -> str:
    out = ""
    for ch in name:
        if len((out + ch).encode("utf-8")) > n_bytes:
            break
        out += ch
    return out


def shapefile_names(columns: Iterable[str]) -> dict[str, str]:
    """Map column names to unique DBF field names of at most 10 bytes.

    :data:`SHAPEFILE_FIELDS` first; a name that fits is kept; any other name is
    cut to 7 bytes plus ``_`` and two hex digits of its SHA-1 (deterministic);
    a clash (DBF names are case-insensitive) takes the next free two-digit
    suffix. The result depends only on the column names and their order.

    Parameters
    ----------
    columns : iterable of str
        Column names, geometry excluded.

    Returns
    -------
    dict of str to str
        Column name -> field name, for every column.
    """
    names = [str(c) for c in columns]
    out: dict[str, str] = {}
    taken: set[str] = set()
    pending: list[str] = []
    for name in names:
        known = SHAPEFILE_FIELDS.get(name, name if _fits(name) else None)
        if known is not None and known.lower() not in taken:
            out[name] = known
            taken.add(known.lower())
        else:
            pending.append(name)
    for name in pending:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()
        stem = _cut(name, 7)
        start = int(digest[:2], 16)
        for k in range(256):
            short = f"{stem}_{(start + k) % 256:02x}"
            if short.lower() not in taken:
                break
        else:  # pragma: no cover - 256 clashes on one stem
            raise ValueError(f"no free Shapefile field name for {name!r}")
        out[name] = short
        taken.add(short.lower())
    return {name: out[name] for name in names}


def restore_names(
    columns: Iterable[str], mapping: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The renames that undo :func:`shapefile_names` on read.

    Parameters
    ----------
    columns : iterable of str
        Field names as read.
    mapping : dict, optional
        Column -> field mapping from the sidecar; default: :data:`SHAPEFILE_FIELDS`.

    Returns
    -------
    dict of str to str
        Field name -> column name, only for fields to rename; a rename onto a
        name that is already a column is skipped.
    """
    source = dict(mapping) if mapping is not None else SHAPEFILE_FIELDS
    inverse: dict[str, str] = {}
    for long, short in source.items():
        inverse.setdefault(short, long)
    cols = [str(c) for c in columns]
    present = set(cols)
    renames = {}
    for col in cols:
        target = inverse.get(col)
        if target and target != col and target not in present:
            renames[col] = target
            present.add(target)
    return renames


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple | np.ndarray)


def join_lists(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Return a copy with list cells joined by ';' and the list/bool columns found.

    Returns
    -------
    tuple
        (frame, list columns, boolean columns)
    """
    out = df.copy()
    lists: list[str] = []
    bools: list[str] = []
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None):
            continue
        series = out[col]
        if pd.api.types.is_bool_dtype(series.dtype):
            bools.append(str(col))
        elif series.dtype == object and series.map(_is_list).any():
            lists.append(str(col))
            out[col] = series.map(
                lambda v: LIST_SEPARATOR.join(str(x) for x in v) if _is_list(v) else v
            )
    return out, lists, bools


def restore_types(
    df: pd.DataFrame, *, lists: Iterable[str] = LIST_COLUMNS, bools: Iterable[str] = BOOL_COLUMNS
) -> pd.DataFrame:
    """Split ';'-joined list columns and turn 0/1 boolean columns back to bool.

    Only columns named in ``lists`` / ``bools`` are touched, and only when their
    values fit (strings; 0/1 or true/false).
    """
    out = df
    for col in lists:
        if col not in out.columns:
            continue
        series = out[col]
        if series.map(_is_list).any() or not all(isinstance(v, str) or _missing(v) for v in series):
            continue
        out = out.copy() if out is df else out
        out[col] = pd.Series(
            [[] if _missing(v) or v == "" else str(v).split(LIST_SEPARATOR) for v in series],
            index=series.index,
            dtype=object,
        )
    for col in bools:
        if col not in out.columns:
            continue
        series = out[col]
        if pd.api.types.is_bool_dtype(series.dtype):
            continue
        mapped = series.map(_bool_value)
        if mapped.isna().any():
            continue
        out = out.copy() if out is df else out
        out[col] = mapped.astype(bool)
    return out


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _bool_value(value: object) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer | float | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return value.strip().lower() in ("1", "true")
    return None


def sidecar_json(mapping: Mapping[str, str], lists: Iterable[str], bools: Iterable[str]) -> str:
    """The ``.fields.json`` text written next to a Shapefile."""
    payload: dict[str, Any] = {
        "fields": dict(mapping),
        "lists": sorted(lists),
        "booleans": sorted(bools),
        "list_separator": LIST_SEPARATOR,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def read_sidecar(text: str) -> tuple[dict[str, str], list[str], list[str]] | None:
    """Parse a ``.fields.json``; None when it is not one gridmap wrote."""
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("fields"), dict):
        return None
    fields = {str(k): str(v) for k, v in payload["fields"].items()}
    lists = [str(c) for c in payload.get("lists", []) if isinstance(c, str)]
    bools = [str(c) for c in payload.get("booleans", []) if isinstance(c, str)]
    return fields, lists, bools
