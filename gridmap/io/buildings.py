"""Building footprints from any supported file, normalised to the buildings table.

Column names common in Chinese street-office and GIS files are mapped onto the
schema (编号 -> building_id, 户数 -> households, 层数 -> levels, ...). Numbers
are never guessed from text: households written '约300户' is an error naming
the feature and column. Missing ids are made from the footprint (stable across
runs); missing levels and households are estimated by
:func:`gridmap.estimate.fill_building_estimates`, each flagged in a ``*_source``
column (``user`` for values the file gave).
"""

from __future__ import annotations

import hashlib
import math
import os
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap import settings
from gridmap.crs import to_metric
from gridmap.errors import InputError, warn
from gridmap.io.read import _name_list, _read
from gridmap.messages import msg
from gridmap.messages.values import Joined, Phrase
from gridmap.schema import BUILDING_USES, HOUSEHOLDS_SOURCES, validate_buildings

__all__ = ["BUILDING_ALIASES", "read_buildings", "building_ids_from_geometry", "parse_count"]

# Schema column -> names it goes by in files (compared after Unicode NFKC
# normalisation and lower-casing; the schema name itself always wins).
BUILDING_ALIASES: dict[str, tuple[str, ...]] = {
    "building_id": (
        "building_id",
        "bldg_id",
        "buildingid",
        "楼栋编号",
        "建筑编号",
        "建筑物编号",
        "楼栋id",
        "编号",
        "楼号",
        "id",
    ),
    "households": ("households", "hh", "户数", "住户数", "总户数", "居民户数", "households_count"),
    "levels": (
        "levels",
        "building:levels",
        "floors",
        "storeys",
        "stories",
        "层数",
        "楼层数",
        "总层数",
        "地上层数",
    ),
    "use": ("use", "usage", "type", "用途", "建筑用途", "类型", "使用性质"),
    "building": ("building", "building_type", "建筑类型"),
    "name": ("name", "名称", "楼栋名称", "楼名", "建筑名称", "楼栋"),
    "compound_id": ("compound_id", "cmpd_id", "小区编号", "小区", "小区名称", "compound"),
    "community_id": ("community_id", "cmty_id", "社区编号", "社区"),
    "grid_id": ("grid_id", "网格编号", "网格"),
    "height": ("height", "高度", "建筑高度"),
    "flats": ("flats", "building:flats", "套数"),
    "address": ("address", "addr", "地址", "门牌", "门牌地址"),
}
_ORDER = (
    "building_id",
    "name",
    "use",
    "levels",
    "levels_source",
    "households",
    "households_source",
    "compound_id",
    "grid_id",
    "community_id",
    "footprint_m2",
)


def _norm(name: str) -> str:
    return unicodedata.normalize("NFKC", str(name)).strip().lower()


def _map_columns(columns: list[str]) -> dict[str, str]:
    """File column -> schema column, first alias wins, each column used once."""
    norm: dict[str, str] = {}
    for col in columns:
        norm.setdefault(_norm(col), col)
    renames: dict[str, str] = {}
    used: set[str] = set()
    for target, aliases in BUILDING_ALIASES.items():
        if target in columns:
            used.add(target)
            continue
        for alias in aliases:
            found = norm.get(alias)
            if found is not None and found not in used and found not in renames:
                renames[found] = target
                used.add(found)
                break
    return renames


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _id_text(value: Any) -> str | None:
    if _missing(value):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_count(
    value: Any,
    *,
    what: str,
    where: Phrase,
    column: str,
    source: str | os.PathLike[str],
    minimum: int = 0,
    maximum: int | None = None,
) -> int | None:
    """A whole number from a cell, or None when empty; text is an error, never a guess.

    Parameters
    ----------
    value : object
        The cell.
    what : str
        The schema column ('households', 'levels').
    where : Phrase
        How the message names the record ('building b12 (feature 3)').
    column : str
        The column's name in the file.
    source : str or path-like
        The file, named first in the message.
    minimum, maximum : int
        Allowed range.

    Returns
    -------
    int or None
    """
    if _missing(value):
        return None
    number: float | None = None
    if isinstance(value, bool | np.bool_):
        number = None
    elif isinstance(value, int | np.integer | float | np.floating):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        if what == "levels" and text[-1:] in ("层", "F", "f"):
            text = text[:-1].strip()
        try:
            number = float(text) if text.replace(".", "", 1).lstrip("+-").isdigit() else None
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or not number.is_integer():
        raise InputError(
            msg(
                "io.count_not_whole",
                path=source,
                what=what,
                value=value,
                where=where,
                column=column,
            )
        )
    if number < minimum:
        raise InputError(
            msg(
                "io.count_below",
                path=source,
                what=what,
                number=int(number),
                where=where,
                column=column,
                minimum=minimum,
            )
        )
    if maximum is not None and number > maximum:
        raise InputError(
            msg(
                "io.count_above",
                path=source,
                what=what,
                number=int(number),
                where=where,
                column=column,
                maximum=maximum,
            )
        )
    return int(number)


def building_ids_from_geometry(geoms: np.ndarray) -> list[str]:
    """Stable ids from footprints: 'b' + 12 hex digits of the SHA-1 of the rounded WKB.

    Coordinates are rounded to 7 decimals (about 1 cm) first, so a rerun on the
    same file, or a file re-exported with tiny float noise, gives the same ids.
    """
    rounded = shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.round(c, 7))
    wkb = shapely.to_wkb(rounded, output_dimension=2, byte_order=1, include_srid=False)
    return ["b" + hashlib.sha1(w).hexdigest()[:12] for w in wkb]


def _where(ids: list[str], labels: np.ndarray, i: int) -> Phrase:
    label = _name_list([labels[i]])
    return Phrase(msg("io.where_building", id=ids[i], label=label)) if ids[i] else label


def _ids(frame: pd.DataFrame, geoms: np.ndarray, labels: np.ndarray, path: Path) -> list[str]:
    given = (
        [_id_text(v) for v in frame["building_id"]]
        if "building_id" in frame.columns
        else [None] * len(frame)
    )
    counts = pd.Series([g for g in given if g is not None], dtype=object).value_counts()
    dup = counts[counts > 1]
    if len(dup):
        shown = []
        for value in list(dup.index)[:5]:
            which = [str(labels[i]) for i, g in enumerate(given) if g == value]
            shown.append(Phrase(msg("io.duplicate_id_part", id=value, features=_name_list(which))))
        raise InputError(
            msg("io.duplicate_building_ids", path=path, ids=Joined(shown, en="; ", zh="；"))
        )
    missing = [i for i, g in enumerate(given) if g is None]
    if not missing:
        return [str(g) for g in given]
    made = building_ids_from_geometry(geoms[missing])
    taken = {g for g in given if g is not None}
    out = list(given)
    clashes = []
    for i, new in zip(missing, made, strict=True):
        candidate, k = new, 1
        while candidate in taken:
            k += 1
            candidate = f"{new}-{k}"
        if k > 1:
            clashes.append(str(labels[i]))
        taken.add(candidate)
        out[i] = candidate
    if "building_id" in frame.columns:
        warn(
            msg(
                "io.ids_made",
                path=path,
                count=len(missing),
                features=_name_list(labels[missing]),
            )
        )
    if clashes:
        warn(msg("io.ids_repeat_footprint", path=path, features=_name_list(clashes)))
    return [str(v) for v in out]


def _counts(
    frame: pd.DataFrame,
    column: str,
    source_name: str,
    ids: list[str],
    labels: np.ndarray,
    *,
    minimum: int,
    maximum: int | None,
    path: Path,
) -> pd.Series:
    values = []
    for i, value in enumerate(frame[column]):
        values.append(
            parse_count(
                value,
                what=column,
                where=_where(ids, labels, i),
                column=source_name,
                source=path,
                minimum=minimum,
                maximum=maximum,
            )
        )
    return pd.Series([np.nan if v is None else float(v) for v in values], index=frame.index)


def _heights(
    frame: pd.DataFrame, source_name: str, ids: list[str], labels: np.ndarray, path: Path
) -> pd.Series:
    from gridmap.estimate import parse_number

    out = []
    for i, value in enumerate(frame["height"]):
        if _missing(value):
            out.append(np.nan)
            continue
        number = parse_number(unicodedata.normalize("NFKC", str(value)))
        if number is None or number < 0:
            raise InputError(
                msg(
                    "io.height_not_metres",
                    path=path,
                    value=value,
                    where=_where(ids, labels, i),
                    column=source_name,
                )
            )
        out.append(number)
    return pd.Series(out, index=frame.index, dtype=float)


def _uses(frame: pd.DataFrame, path: Path) -> pd.Series:
    from gridmap.estimate import use_from_type

    raw = frame["use"]
    uses = [None if _missing(v) else use_from_type(v) for v in raw]
    unknown = sorted(
        {
            str(v).strip()
            for v, u in zip(raw, uses, strict=True)
            if u == "other" and not _missing(v) and str(v).strip().lower() != "other"
        }
    )
    if unknown:
        warn(
            msg(
                "io.use_unknown",
                path=path,
                values=Joined(unknown[:10]),
                uses=Joined(BUILDING_USES),
            )
        )
    return pd.Series(uses, index=frame.index, dtype=object)


def _text_or_none(series: pd.Series) -> pd.Series:
    return pd.Series([_id_text(v) for v in series], index=series.index, dtype=object)


def read_buildings(
    path: str | os.PathLike[str], *, layer: str | None = None, crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read building footprints into the buildings table (DATA_MODEL.md).

    Parameters
    ----------
    path : str or path-like
        Any file :func:`gridmap.io.read_vector` reads (a project GeoPackage:
        its ``buildings`` layer).
    layer : str, optional
        Layer of a foreign multi-layer file.
    crs : str, optional
        CRS of a file that has none (``4326``, ``4490``, ``gcj02``, ``bd09``).

    Returns
    -------
    GeoDataFrame
        EPSG:4326 with building_id, use, levels, levels_source, households,
        households_source, compound_id, grid_id, footprint_m2 and the file's
        other columns.

    Raises
    ------
    InputError
        Points instead of footprints, households or levels as text, negative or
        above ``settings.MAX_HOUSEHOLDS_PER_BUILDING``, duplicate ids, and every
        error of :func:`gridmap.io.read_vector`.
    """
    from gridmap.estimate import fill_building_estimates

    gdf, labels = _read(path, layer=layer, crs=crs, family="polygon")
    p = Path(path)
    renames = _map_columns([str(c) for c in gdf.columns if c != gdf.geometry.name])
    source_names = {v: k for k, v in renames.items()}
    frame = gdf.rename(columns=renames)
    geoms = frame.geometry.to_numpy()
    ids = _ids(frame, geoms, labels, p)
    frame["building_id"] = pd.Series(ids, index=frame.index, dtype=object)

    hh_given = pd.Series(np.nan, index=frame.index)
    if "households" in frame.columns:
        hh_given = _counts(
            frame,
            "households",
            source_names.get("households", "households"),
            ids,
            labels,
            minimum=0,
            maximum=settings.MAX_HOUSEHOLDS_PER_BUILDING,
            path=p,
        )
    levels_given = pd.Series(np.nan, index=frame.index)
    if "levels" in frame.columns:
        levels_given = _counts(
            frame,
            "levels",
            source_names.get("levels", "levels"),
            ids,
            labels,
            minimum=1,
            maximum=500,
            path=p,
        )
    file_hh_source = frame.get("households_source")
    file_lvl_source = frame.get("levels_source")

    metric_in = gpd.GeoDataFrame(
        {
            "households": hh_given,
            "levels": levels_given,
        },
        geometry=frame.geometry,
        crs=frame.crs,
    )
    if "height" in frame.columns:
        metric_in["height"] = _heights(frame, source_names.get("height", "height"), ids, labels, p)
    if "use" in frame.columns:
        metric_in["use"] = _uses(frame, p)
    for col in ("building", "flats"):
        if col in frame.columns:
            metric_in[col] = frame[col].astype(object)
    estimated = fill_building_estimates(to_metric(metric_in))

    out = frame.copy()
    for col in (
        "use",
        "levels",
        "levels_source",
        "households",
        "households_source",
        "footprint_m2",
    ):
        out[col] = estimated[col].to_numpy()
    given = hh_given.notna().to_numpy()
    source = np.where(given, "user", out["households_source"].to_numpy())
    if file_hh_source is not None:
        kept = [
            s if g and isinstance(s, str) and s in HOUSEHOLDS_SOURCES else None
            for s, g in zip(file_hh_source, given, strict=True)
        ]
        source = np.array([k if k is not None else s for k, s in zip(kept, source, strict=True)])
    out["households_source"] = pd.Series(source, index=out.index, dtype=object)
    if file_lvl_source is not None:
        lvl_given = levels_given.notna().to_numpy()
        out["levels_source"] = pd.Series(
            [
                f if g and isinstance(f, str) and f in ("tag", "estimated", "user") else e
                for f, e, g in zip(file_lvl_source, out["levels_source"], lvl_given, strict=True)
            ],
            index=out.index,
            dtype=object,
        )
    for col in ("compound_id", "grid_id", "community_id"):
        if col in out.columns:
            out[col] = _text_or_none(out[col])
        elif col != "community_id":
            out[col] = pd.Series([None] * len(out), index=out.index, dtype=object)
    geom = out.geometry.name
    first = [c for c in _ORDER if c in out.columns]
    rest = [c for c in out.columns if c not in first and c != geom]
    out = out[first + rest + [geom]]
    return validate_buildings(out)
