"""Estimates of what maps lack: storeys, households, parking spaces.

Every estimated value is flagged in a ``*_source`` column (``tag`` when the map
or file gave it, ``estimated`` when a rule of :mod:`gridmap.settings` made it) so
a planner sees which numbers are guesses. The rules, in order:

- levels: ``building:levels`` (or the file's levels) -> ``height`` / floor height
  -> a default by building type (settings.DEFAULT_LEVELS);
- households: ``building:flats`` (or the file's households) -> footprint x levels
  x usable share / mean flat size, for residential and mixed buildings only
  (mixed: the upper floors; the ground floor is taken as shops);
- parking capacity: ``capacity`` -> area / area per space (structure: x levels)
  -> a default for a parking node.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from gridmap import settings
from gridmap.errors import CRSError
from gridmap.messages import msg

__all__ = [
    "parse_number",
    "use_from_type",
    "fill_building_estimates",
    "fill_lot_estimates",
]

# Building type words (OSM building=* values, common GIS attribute values and
# Chinese words) -> the six uses of DATA_MODEL.md.
_USE_WORDS: dict[str, str] = {
    "residential": "residential",
    "apartments": "residential",
    "apartment": "residential",
    "house": "residential",
    "detached": "residential",
    "semidetached_house": "residential",
    "terrace": "residential",
    "dormitory": "residential",
    "villa": "residential",
    "住宅": "residential",
    "居住": "residential",
    "宿舍": "residential",
    "commercial": "commercial",
    "retail": "commercial",
    "shop": "commercial",
    "supermarket": "commercial",
    "hotel": "commercial",
    "kiosk": "commercial",
    "商业": "commercial",
    "商铺": "commercial",
    "office": "office",
    "办公": "office",
    "写字楼": "office",
    "mixed": "mixed",
    "mixed_use": "mixed",
    "商住": "mixed",
    "school": "public",
    "university": "public",
    "college": "public",
    "kindergarten": "public",
    "hospital": "public",
    "clinic": "public",
    "public": "public",
    "civic": "public",
    "government": "public",
    "train_station": "public",
    "公共": "public",
    "学校": "public",
    "医院": "public",
}

_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(m|米|层|f|F)?\s*$")


def parse_number(value: object) -> float | None:
    """Return a plain number from a tag value ('12', '12.5 m', '6层'), else None.

    Ranges and words ('6-8', 'many', '约300户') are not guessed: None.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    match = _NUMBER.match(str(value))
    return float(match.group(1)) if match else None


def use_from_type(value: object) -> str:
    """Map a building type word to one of the six uses (``other`` when unknown)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "other"
    word = str(value).strip().lower()
    if word in ("residential", "commercial", "office", "mixed", "public", "other"):
        return word
    return _USE_WORDS.get(word, "other")


def _require_metric(gdf: gpd.GeoDataFrame) -> None:
    if gdf.crs is None or not CRS.from_user_input(gdf.crs).is_projected:
        raise CRSError(msg("core.estimate_needs_metric"))


def _column(gdf: pd.DataFrame, name: str) -> pd.Series:
    if name in gdf.columns:
        return gdf[name]
    return pd.Series([None] * len(gdf), index=gdf.index, dtype=object)


def _numbers(series: pd.Series) -> pd.Series:
    return pd.Series([parse_number(v) for v in series], index=series.index, dtype=float)


def fill_building_estimates(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill use, levels and households, flagging each value's source.

    Parameters
    ----------
    buildings : GeoDataFrame
        Footprints in a metric CRS. Optional columns: ``building`` (type tag),
        ``use``, ``levels``, ``height``, ``flats``, ``households``.

    Returns
    -------
    GeoDataFrame
        A new frame with ``use``, ``levels`` (int), ``levels_source``,
        ``households`` (int), ``households_source`` and ``footprint_m2``.
    """
    _require_metric(buildings)
    out = buildings.copy()
    footprint = out.geometry.area.to_numpy()
    out["footprint_m2"] = np.round(footprint, 1)

    given_use = _column(out, "use")
    type_use = _column(out, "building").map(use_from_type)
    use = given_use.where(given_use.notna() & (given_use != ""), type_use)
    use = use.map(use_from_type)
    out["use"] = use.astype(object)

    levels_tag = _numbers(_column(out, "levels"))
    height = _numbers(_column(out, "height"))
    from_height = np.maximum(1, np.round(height / settings.FLOOR_HEIGHT_M))
    # A generic tag ('yes') says nothing about storeys: fall back on the use, so a
    # plain building inside a residential compound gets the residential default.
    type_key = (
        _column(out, "building")
        .astype(object)
        .where(~_column(out, "building").isin(["yes", "", None]), None)
    )
    type_key = type_key.fillna(out["use"]).astype(str).str.lower()
    default = type_key.map(settings.DEFAULT_LEVELS).fillna(out["use"].map(settings.DEFAULT_LEVELS))
    default = default.fillna(settings.DEFAULT_LEVELS["other"])
    has_levels = levels_tag.notna() & (levels_tag >= 1)
    has_height = ~has_levels & height.notna() & (height > 0)
    levels = np.where(has_levels, np.round(levels_tag), np.where(has_height, from_height, default))
    out["levels"] = levels.astype(np.int64)
    out["levels_source"] = np.where(has_levels | has_height, "tag", "estimated").astype(object)

    given = _numbers(_column(out, "households"))
    flats = _numbers(_column(out, "flats"))
    known = given.where(given.notna(), flats)
    dwelling_levels = np.where(
        out["use"] == "mixed", np.maximum(out["levels"] - 1, 0), out["levels"]
    )
    estimate = np.floor(
        footprint * dwelling_levels * settings.USABLE_SHARE / settings.MEAN_FLAT_SIZE_M2
    )
    lives_here = out["use"].isin(["residential", "mixed"]).to_numpy() & (
        footprint >= settings.MIN_RESIDENTIAL_FOOTPRINT_M2
    )
    estimate = np.where(lives_here, estimate, 0)
    has_known = known.notna().to_numpy()
    out["households"] = np.where(has_known, np.round(known.fillna(0)), estimate).astype(np.int64)
    out["households_source"] = np.where(has_known, "tag", "estimated").astype(object)
    return out


def fill_lot_estimates(lots: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill parking capacity, flagging its source.

    Parameters
    ----------
    lots : GeoDataFrame
        Parking areas (polygons) or nodes (points) in a metric CRS. Optional
        columns: ``capacity`` (tag), ``parking`` (surface, multi-storey,
        underground), ``levels``.

    Returns
    -------
    GeoDataFrame
        A new frame with ``capacity`` (int) and ``capacity_source``.
    """
    _require_metric(lots)
    out = lots.copy()
    tag = _numbers(_column(out, "capacity"))
    area = out.geometry.area.to_numpy()
    structure = _column(out, "parking").isin(["multi-storey", "underground", "rooftop"])
    lot_levels = _numbers(_column(out, "levels")).fillna(1).clip(lower=1).to_numpy()
    per_space = np.where(
        structure, settings.AREA_PER_SPACE_STRUCTURE_M2, settings.AREA_PER_SPACE_M2
    )
    from_area = np.floor(area * np.where(structure, lot_levels, 1) / per_space)
    estimate = np.where(area > 0, from_area, settings.DEFAULT_NODE_CAPACITY)
    has_tag = (tag.notna() & (tag >= 0)).to_numpy()
    out["capacity"] = np.where(has_tag, np.round(tag.fillna(0)), estimate).astype(np.int64)
    out["capacity_source"] = np.where(has_tag, "tag", "estimated").astype(object)
    return out
