"""The project GeoPackage: gridmap's tables as named layers, plus the edit log.

Layers are named exactly as :data:`gridmap.schema.LAYER_NAMES` (absent layers
are fine, ``buildings`` is required); the edit log is a table without geometry
named ``edit_log`` with columns ``seq``, ``time``, ``action`` and ``payload``
(JSON text). Layers are stored in EPSG:4326, rows sorted by the table's id,
lists joined with ';' (split again on read), booleans as GeoPackage booleans.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS

from gridmap.errors import InputError
from gridmap.io import fields as _fields
from gridmap.io import safety
from gridmap.io.read import _read_batches
from gridmap.io.write import _json_default, _plain_columns, atomic_path
from gridmap.messages import msg
from gridmap.messages.values import Joined
from gridmap.schema import LAYER_NAMES

__all__ = ["EDIT_LOG", "TABLE_IDS", "write_project", "read_project", "is_project"]

EDIT_LOG = "edit_log"
# The id column of each project layer (rows are stored sorted by it).
TABLE_IDS: dict[str, str | None] = {
    "buildings": "building_id",
    "compounds": "compound_id",
    "communities": "community_id",
    "roads": None,
    "lots": "lot_id",
    "grids": "grid_id",
    "areas": "area_id",
    "members": "member_id",
}
_EDIT_COLUMNS = ("seq", "time", "action", "payload")


def _sorted(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    key = TABLE_IDS.get(name)
    if key is None or key not in gdf.columns:
        return gdf.reset_index(drop=True)
    try:
        order = np.argsort(gdf[key].to_numpy(), kind="stable")
    except TypeError:
        order = np.argsort(gdf[key].astype(str).to_numpy(), kind="stable")
    return gdf.iloc[order].reset_index(drop=True)


def _edit_frame(edit_log: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for i, entry in enumerate(edit_log):
        if not isinstance(entry, dict):
            raise InputError(msg("io.edit_log_not_dict", number=i + 1, kind=type(entry).__name__))
        payload = entry.get("payload")
        if payload is None:
            payload = {k: v for k, v in entry.items() if k not in _EDIT_COLUMNS}
        rows.append(
            {
                "seq": int(entry.get("seq", i + 1)),
                "time": str(entry.get("time", "")),
                "action": str(entry.get("action", "")),
                "payload": json.dumps(
                    payload, sort_keys=True, ensure_ascii=False, default=_json_default
                ),
            }
        )
    frame = pd.DataFrame(rows, columns=list(_EDIT_COLUMNS))
    return frame.astype({"seq": np.int64, "time": object, "action": object, "payload": object})


def write_project(
    path: str | os.PathLike[str],
    layers: dict[str, gpd.GeoDataFrame],
    *,
    edit_log: list[dict[str, Any]] | None = None,
) -> Path:
    """Write a project GeoPackage atomically.

    Parameters
    ----------
    path : str or path-like
        Destination ``.gpkg`` (replaced as a whole on success).
    layers : dict of str to GeoDataFrame
        Tables by layer name (names from :data:`gridmap.schema.LAYER_NAMES`;
        ``buildings`` is required). Frames are not changed.
    edit_log : list of dict, optional
        Edits, each with ``action`` and ``payload`` (or other keys, which become
        the payload), optionally ``seq`` and ``time``.

    Returns
    -------
    Path
    """
    dst = Path(path)
    if dst.suffix.lower() != ".gpkg":
        raise InputError(msg("io.project_not_gpkg", path=dst, stem=dst.stem))
    unknown = [name for name in layers if name not in LAYER_NAMES]
    if unknown:
        raise InputError(
            msg(
                "io.project_unknown_layers",
                path=dst,
                names=Joined(map(str, unknown)),
                allowed=Joined(LAYER_NAMES),
            )
        )
    if "buildings" not in layers:
        raise InputError(msg("io.project_no_buildings", path=dst))
    frames = {}
    for name in LAYER_NAMES:
        if name not in layers:
            continue
        gdf = layers[name]
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise InputError(msg("io.project_layer_not_gdf", path=dst, name=name))
        if gdf.crs is None:
            raise InputError(msg("io.project_layer_no_crs", path=dst, name=name))
        frames[name] = _plain_columns(_sorted(gdf.to_crs(4326), name))
    with atomic_path(dst) as tmp, safety.gdal_warnings(dst):
        for name, frame in frames.items():
            frame = frame.set_crs(CRS.from_epsg(4326), allow_override=True)
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", append=False)
        if edit_log is not None:
            pyogrio.write_dataframe(_edit_frame(edit_log), tmp, layer=EDIT_LOG, driver="GPKG")
    return dst


def _layer_names(path: Path) -> list[str]:
    return safety.check_gpkg(path)


def is_project(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a project GeoPackage.

    True for a GeoPackage whose tables are all project layer names or
    ``edit_log`` and include ``buildings``; False for anything else (never raises
    for a bad file).
    """
    try:
        p = safety.check_path(path)
        if safety.detect_format(p) != "gpkg":
            return False
        names = _layer_names(p)
    except (InputError, OSError):
        return False
    return "buildings" in names and set(names) <= set(LAYER_NAMES) | {EDIT_LOG}


def _edit_entries(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    frame = frame.sort_values("seq", kind="stable") if "seq" in frame.columns else frame
    for row in frame.to_dict("records"):
        payload_text = row.get("payload")
        try:
            payload = json.loads(payload_text) if isinstance(payload_text, str) else None
        except ValueError:
            payload = payload_text
        out.append(
            {
                "seq": int(row.get("seq", 0)),
                "time": "" if pd.isna(row.get("time")) else str(row.get("time")),
                "action": "" if pd.isna(row.get("action")) else str(row.get("action")),
                "payload": payload,
            }
        )
    return out


def _none_for_missing_text(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Text columns as objects with None for empty cells, as read_buildings makes them."""
    out = gdf
    for col in gdf.columns:
        if col != gdf.geometry.name and pd.api.types.is_string_dtype(gdf[col].dtype):
            values = gdf[col].astype(object)
            out = out.copy() if out is gdf else out
            out[col] = values.where(values.notna(), None)
    return out


def read_project(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a project GeoPackage.

    Parameters
    ----------
    path : str or path-like
        A file for which :func:`is_project` is true.

    Returns
    -------
    dict
        Layer name -> GeoDataFrame (EPSG:4326, lists restored), for each layer
        present, plus ``"edit_log"`` -> list of dict (empty when none).
    """
    p = safety.check_path(path)
    safety.check_size(p)
    if safety.detect_format(p) != "gpkg" or not is_project(p):
        raise InputError(msg("io.not_a_project", path=p, layers=Joined(LAYER_NAMES)))
    names = _layer_names(p)
    out: dict[str, Any] = {}
    for name in LAYER_NAMES:
        if name not in names:
            continue
        raw = _read_batches(p, layer=name, encoding=None)
        crs = raw.crs or CRS.from_epsg(4326)
        gdf = gpd.GeoDataFrame(raw.attrs, geometry=gpd.GeoSeries(raw.geoms, crs=crs), crs=crs)
        if not crs.equals(CRS.from_epsg(4326)):
            gdf = gdf.to_crs(4326)
        out[name] = _none_for_missing_text(_fields.restore_types(gdf))
    out[EDIT_LOG] = []
    if EDIT_LOG in names:
        with safety.gdal_warnings(p):
            table = pyogrio.read_dataframe(p, layer=EDIT_LOG)
        out[EDIT_LOG] = _edit_entries(pd.DataFrame(table))
    return out
