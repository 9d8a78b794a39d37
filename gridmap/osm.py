"""OpenStreetMap extracts -> buildings, compounds, communities, parking lots and roads.

Parser: pyosmium (``osmium``). It reads ``.osm``, ``.osm.bz2`` and ``.pbf``
offline with one code path, streams the file (memory grows with the
features kept, not with the file), and assembles multipolygon relations into
areas with libosmium's area assembler, which is the reference implementation of
the OSM multipolygon rules. ``osmnx.features_from_xml`` cannot read ``.pbf`` and
loads the whole XML tree into memory; pyrosm reads only ``.pbf``; GDAL's OSM
driver cannot open ``.bz2`` by name and needs a temporary SQLite database.

What OSM lacks (storeys, households, parking spaces) is estimated by
:mod:`gridmap.estimate`; every estimate is flagged in a ``*_source`` column and
:func:`estimates_report` counts how many values came from tags and how many were
guessed.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import socket
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import geopandas as gpd
import numpy as np
import osmium
import osmium.filter
import osmium.geom
import osmium.io
import pandas as pd
import shapely
from pyproj import CRS

from gridmap import settings
from gridmap.crs import WGS84, metric_crs
from gridmap.errors import InputError, warn
from gridmap.estimate import fill_building_estimates, fill_lot_estimates
from gridmap.messages import Msg, msg
from gridmap.messages.values import Rendered

__all__ = [
    "BUILDING_COLUMNS",
    "COMPOUND_COLUMNS",
    "COMMUNITY_COLUMNS",
    "LOT_COLUMNS",
    "ROAD_COLUMNS",
    "classify_use",
    "site_use",
    "read_osm",
    "estimates_report",
    "fetch_osm",
]

Progress = Callable[[str, float], None]

BUILDING_COLUMNS = (
    "building_id",
    "use",
    "levels",
    "households",
    "households_source",
    "compound_id",
    "grid_id",
    "community_id",
    "osm_id",
    "name",
    "building",
    "use_source",
    "levels_source",
    "footprint_m2",
)
COMPOUND_COLUMNS = (
    "compound_id",
    "name",
    "households",
    "parking_spaces",
    "households_source",
    "parking_spaces_source",
    "n_buildings",
    "community_id",
    "osm_id",
)
COMMUNITY_COLUMNS = ("community_id", "name", "admin_level", "osm_id")
LOT_COLUMNS = (
    "lot_id",
    "kind",
    "owner_id",
    "capacity",
    "reserved",
    "capacity_source",
    "compound_id",
    "name",
    "parking",
    "osm_id",
)
ROAD_COLUMNS = ("osm_id", "highway", "name")


# --- Use classification --------------------------------------------------------
# OSM building=* values (https://wiki.openstreetmap.org/wiki/Key:building) and
# the tags that say what a building is used for.
_RESIDENTIAL_BUILDINGS = frozenset(
    {
        "apartments",
        "residential",
        "house",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
        "bungalow",
        "villa",
        "farm",
        "cabin",
        "houseboat",
        "static_caravan",
        "stilt_house",
    }
)
_COMMERCIAL_BUILDINGS = frozenset({"commercial", "retail", "supermarket", "kiosk", "hotel", "shop"})
_OFFICE_BUILDINGS = frozenset({"office"})
_MIXED_BUILDINGS = frozenset({"mixed", "mixed_use"})
_PUBLIC_BUILDINGS = frozenset(
    {
        "school",
        "university",
        "college",
        "kindergarten",
        "hospital",
        "clinic",
        "public",
        "government",
        "civic",
        "fire_station",
        "townhall",
        "library",
        "museum",
        "train_station",
        "transportation",
        "religious",
        "church",
        "temple",
        "mosque",
        "sports_hall",
        "sports_centre",
        "stadium",
    }
)
_COMMERCIAL_AMENITIES = frozenset(
    {
        "restaurant",
        "cafe",
        "fast_food",
        "food_court",
        "bar",
        "pub",
        "biergarten",
        "ice_cream",
        "nightclub",
        "bank",
        "fuel",
        "marketplace",
        "cinema",
        "pharmacy",
        "car_wash",
        "car_rental",
    }
)
_PUBLIC_AMENITIES = frozenset(
    {
        "school",
        "university",
        "college",
        "kindergarten",
        "childcare",
        "hospital",
        "clinic",
        "doctors",
        "townhall",
        "courthouse",
        "police",
        "fire_station",
        "library",
        "community_centre",
        "social_facility",
        "post_office",
        "place_of_worship",
        "arts_centre",
        "theatre",
        "public_building",
    }
)
_COMMERCIAL_TOURISM = frozenset({"hotel", "motel", "hostel", "guest_house", "apartment"})
_NO = frozenset({"no", "none", ""})


def _present(tags: Mapping[str, str], key: str) -> bool:
    return tags.get(key, "no").strip().lower() not in _NO


def classify_use(tags: Mapping[str, str], *, site_use: str | None = None) -> tuple[str, str]:
    """Return the use of a building (DATA_MODEL.md) and where it came from.

    The building type (``building=*``) and the activity tags (``shop``,
    ``office``, ``amenity``, ``tourism``, ``healthcare``) are read together:
    a residential type with a shop or office tag is ``mixed``; a named type
    decides; a generic type (``yes``) takes the activity tags; a generic
    building with no hint takes the use of the site it stands on (source
    ``estimated``): ``residential`` inside a compound, ``public`` on a campus
    or hospital grounds, and so on; elsewhere it is ``other``.

    Parameters
    ----------
    tags : mapping
        The OSM tags of the building.
    site_use : str, optional
        The use of the smallest area around the building: ``residential`` for a
        compound (小区), else what :func:`site_use` gives for its tags.

    Returns
    -------
    (str, str)
        The use (residential, commercial, office, mixed, public, other) and its
        source: ``tag`` when a tag says it, ``estimated`` when it is inferred.
    """
    building = tags.get("building", "yes").strip().lower()
    amenity = tags.get("amenity", "").strip().lower()
    residential = building in _RESIDENTIAL_BUILDINGS or _present(tags, "building:flats")
    commercial = (
        building in _COMMERCIAL_BUILDINGS
        or _present(tags, "shop")
        or amenity in _COMMERCIAL_AMENITIES
        or tags.get("tourism", "").strip().lower() in _COMMERCIAL_TOURISM
    )
    office = building in _OFFICE_BUILDINGS or _present(tags, "office")
    public = (
        building in _PUBLIC_BUILDINGS
        or amenity in _PUBLIC_AMENITIES
        or _present(tags, "healthcare")
        or _present(tags, "government")
    )
    if building in _MIXED_BUILDINGS or (residential and (commercial or office)):
        return "mixed", "tag"
    for types, use in (
        (_RESIDENTIAL_BUILDINGS, "residential"),
        (_COMMERCIAL_BUILDINGS, "commercial"),
        (_OFFICE_BUILDINGS, "office"),
        (_PUBLIC_BUILDINGS, "public"),
    ):
        if building in types:
            return use, "tag"
    for flag, use in (
        (residential, "residential"),
        (commercial, "commercial"),
        (office, "office"),
        (public, "public"),
    ):
        if flag:
            return use, "tag"
    if building in ("yes", "building"):
        return (site_use if site_use in _USES else "other"), "estimated"
    return "other", "tag"


# Areas (not buildings) whose buildings share a use: campuses, hospital grounds,
# retail parks (OSM amenity=* and landuse=* on the site outline).
_SITE_AMENITIES = {
    **dict.fromkeys(
        (
            "university",
            "college",
            "school",
            "kindergarten",
            "hospital",
            "clinic",
            "townhall",
            "courthouse",
            "police",
            "fire_station",
            "community_centre",
            "place_of_worship",
            "library",
        ),
        "public",
    ),
    "research_institute": "office",
    "marketplace": "commercial",
}
_SITE_LANDUSE = {
    "retail": "commercial",
    "commercial": "commercial",
    "education": "public",
    "religious": "public",
}
_USES = frozenset({"residential", "commercial", "office", "mixed", "public", "other"})


def site_use(tags: Mapping[str, str]) -> str | None:
    """The use a site area (not a building) gives to the plain buildings on it.

    Parameters
    ----------
    tags : mapping
        OSM tags of an area.

    Returns
    -------
    str or None
        ``residential`` for a compound, ``public`` for a campus or hospital
        grounds, ``office`` for a research institute, ``commercial`` for retail
        land; None for anything else.
    """
    if _is_building(tags):
        return None
    if _is_compound(tags):
        return "residential"
    amenity = tags.get("amenity", "").strip().lower()
    if amenity in _SITE_AMENITIES:
        return _SITE_AMENITIES[amenity]
    return _SITE_LANDUSE.get(tags.get("landuse", "").strip().lower())


# --- Which OSM features are what ------------------------------------------------
def _is_building(tags: Mapping[str, str]) -> bool:
    return _present(tags, "building")


def _is_compound(tags: Mapping[str, str]) -> bool:
    """landuse=residential, or a named neighbourhood / residential / 小区 area."""
    if tags.get("landuse") == "residential":
        return True
    if _is_building(tags) or tags.get("amenity") == "parking":
        return False
    name = _name(tags)
    if not name:
        return False
    return (
        tags.get("place") in ("neighbourhood", "quarter")
        or _present(tags, "residential")
        or name.endswith("小区")
    )


def _is_community(tags: Mapping[str, str]) -> bool:
    """Administrative boundaries below the street office (社区 / 居委会)."""
    if tags.get("boundary") == "administrative" and tags.get("admin_level") in ("9", "10"):
        return True
    name = _name(tags) or ""
    return _present(tags, "boundary") and ("社区" in name or "居委会" in name)


def _is_lot(tags: Mapping[str, str]) -> bool:
    return tags.get("amenity") == "parking"


def _is_wanted_area(tags: Mapping[str, str]) -> bool:
    return _is_building(tags) or _is_compound(tags) or _is_community(tags) or _is_lot(tags)


def _is_area_of_interest(tags: Mapping[str, str]) -> bool:
    return _is_wanted_area(tags) or site_use(tags) is not None


def _name(tags: Mapping[str, str]) -> str | None:
    for key in ("name", "name:zh", "name:zh-Hans"):
        value = tags.get(key, "").strip()
        if value:
            return value
    return None


def _osm_id(kind: str, ref: int) -> str:
    return f"{kind}{ref}"


# --- Reading ----------------------------------------------------------------------
@dataclass
class _Raw:
    """Features collected while streaming the file (plain Python values only)."""

    buildings: list[dict[str, Any]] = field(default_factory=list)
    compounds: list[dict[str, Any]] = field(default_factory=list)
    communities: list[dict[str, Any]] = field(default_factory=list)
    lots: list[dict[str, Any]] = field(default_factory=list)
    sites: list[dict[str, Any]] = field(default_factory=list)
    roads: list[dict[str, Any]] = field(default_factory=list)
    # osm_id -> (name, reason) of features that should be polygons but are not
    skipped: dict[str, tuple[str | None, Msg]] = field(default_factory=dict)
    expected_areas: dict[str, str | None] = field(default_factory=dict)
    made_areas: set[str] = field(default_factory=set)
    roads_without_nodes: list[str] = field(default_factory=list)
    n_features: int = 0


# Keys of the features gridmap keeps; everything else is dropped inside libosmium
# before Python sees it (untagged nodes are most of a file).
_KEYS = ("building", "landuse", "amenity", "highway", "boundary", "place", "residential", "name")


def _collect(path: Path, fmt: str, progress: Progress | None) -> _Raw:
    raw = _Raw()
    wkb = osmium.geom.WKBFactory()
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), fmt))
        .with_locations()
        .with_areas()
        .with_filter(osmium.filter.KeyFilter(*_KEYS))
    )
    for count, obj in enumerate(processor, start=1):
        if count % 100_000 == 0 and progress is not None:
            progress(f"reading {path.name}: {count:,} features", 0.05)
        kind = obj.type_str()
        tags = {tag.k: tag.v for tag in obj.tags}
        if kind == "a":
            _collect_area(raw, obj, tags, wkb)
        elif kind == "w":
            _collect_way(raw, obj, tags, wkb)
        elif kind == "n":
            _collect_node(raw, obj, tags, wkb)
        elif (
            kind == "r"
            and tags.get("type") in ("multipolygon", "boundary")
            and _is_wanted_area(tags)
        ):
            raw.expected_areas[_osm_id("r", obj.id)] = _name(tags)
        raw.n_features = count
        if count > settings.MAX_FEATURES:
            raise InputError(
                msg("core.osm_too_many_features", path=path, limit=settings.MAX_FEATURES)
            )
    return raw


def _collect_area(raw: _Raw, area: Any, tags: dict[str, str], wkb: Any) -> None:
    if not _is_area_of_interest(tags):
        return
    osm_id = _osm_id("w" if area.from_way() else "r", area.orig_id())
    raw.made_areas.add(osm_id)
    try:
        geometry = wkb.create_multipolygon(area)
    except (RuntimeError, osmium.InvalidLocationError):
        raw.skipped[osm_id] = (_name(tags), msg("core.osm_skip_outline_failed"))
        return
    record = {"osm_id": osm_id, "tags": tags, "wkb": geometry}
    if _is_building(tags):
        raw.buildings.append(record)
    if _is_compound(tags):
        raw.compounds.append(record)
    if _is_community(tags):
        raw.communities.append(record)
    if _is_lot(tags):
        raw.lots.append(record)
    if site_use(tags) is not None:
        raw.sites.append(record)


def _collect_way(raw: _Raw, way: Any, tags: dict[str, str], wkb: Any) -> None:
    osm_id = _osm_id("w", way.id)
    if "highway" in tags:
        try:
            raw.roads.append({"osm_id": osm_id, "tags": tags, "wkb": wkb.create_linestring(way)})
        except (RuntimeError, osmium.InvalidLocationError):
            raw.roads_without_nodes.append(osm_id)
    # Boundary ways are the open pieces of boundary relations: only buildings,
    # compounds and car parks are expected to be closed on their own.
    if _is_building(tags) or _is_compound(tags) or _is_lot(tags):
        if len(way.nodes) >= 4 and way.ends_have_same_id():
            raw.expected_areas[osm_id] = _name(tags)
        else:
            raw.skipped[osm_id] = (_name(tags), msg("core.osm_skip_not_closed"))


def _collect_node(raw: _Raw, node: Any, tags: dict[str, str], wkb: Any) -> None:
    osm_id = _osm_id("n", node.id)
    if _is_lot(tags):
        try:
            raw.lots.append({"osm_id": osm_id, "tags": tags, "wkb": wkb.create_point(node)})
        except (RuntimeError, osmium.InvalidLocationError):
            raw.skipped[osm_id] = (_name(tags), msg("core.osm_skip_no_location"))
    elif _is_building(tags) or tags.get("landuse") == "residential":
        # place=* nodes are points by OSM convention and are not reported
        raw.skipped[osm_id] = (_name(tags), msg("core.osm_skip_point"))


def _frame(
    raw: _Raw,
    records: list[dict[str, Any]],
    columns: dict[str, Callable[[dict], Any]],
    *,
    areas: bool = True,
) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:4326, sorted by OSM type and number.

    Outlines that repair to nothing (all rings collapsed) are dropped and noted
    in ``raw.skipped``.
    """
    records = sorted(records, key=lambda r: (r["osm_id"][0], int(r["osm_id"][1:])))
    data = {name: [get(r["tags"]) for r in records] for name, get in columns.items()}
    data["osm_id"] = [r["osm_id"] for r in records]
    geometry = shapely.from_wkb([r["wkb"] for r in records]) if records else []
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)
    if len(frame) and areas:
        frame["geometry"] = _single_polygons(frame.geometry)
        empty = frame.geometry.is_empty.to_numpy()
        for record in (r for r, e in zip(records, empty, strict=True) if e):
            reason = msg("core.osm_skip_no_area")
            raw.skipped[record["osm_id"]] = (_name(record["tags"]), reason)
        frame = frame.loc[~empty].reset_index(drop=True)
    return frame


def _single_polygons(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Valid geometries; a one-part MultiPolygon becomes a Polygon."""
    values = geoms.to_numpy()
    invalid = ~shapely.is_valid(values)
    if invalid.any():
        values = values.copy()
        values[invalid] = shapely.make_valid(
            values[invalid], method="structure", keep_collapsed=False
        )
    one_part = (shapely.get_type_id(values) == 6) & (shapely.get_num_geometries(values) == 1)
    if one_part.any():
        values = values.copy()
        values[one_part] = shapely.get_geometry(values[one_part], 0)
    return gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs)


def _text(values: Iterable[Any], index: pd.Index) -> pd.Series:
    """Optional text as an object column with None (not NaN) where missing."""
    return pd.Series(
        [v if isinstance(v, str) and v else None for v in values], index=index, dtype=object
    )


def _tag(key: str) -> Callable[[dict], Any]:
    return lambda tags: tags.get(key)


def _warn_skipped(path: Path, raw: _Raw) -> None:
    for osm_id, name in raw.expected_areas.items():
        if osm_id not in raw.made_areas and osm_id not in raw.skipped:
            reason = (
                msg("core.osm_skip_relation_incomplete")
                if osm_id.startswith("r")
                else msg("core.osm_skip_ring_invalid")
            )
            raw.skipped[osm_id] = (name, reason)
    if raw.skipped:
        items = sorted(raw.skipped.items(), key=lambda kv: (kv[0][0], int(kv[0][1:])))
        shown = [
            msg(
                "core.osm_skipped_item",
                feature=f"{osm_id} ({name})" if name else osm_id,
                reason=reason,
            )
            for osm_id, (name, reason) in items[:20]
        ]
        if len(items) > 20:
            shown.append(msg("core.osm_skipped_more", count=len(items) - 20))
        warn(
            msg(
                "core.osm_skipped_features",
                file=path.name,
                count=len(items),
                features=Rendered.join(shown),
            ),
            stacklevel=3,
        )
    if raw.roads_without_nodes:
        ids = ", ".join(raw.roads_without_nodes[:20])
        warn(
            msg(
                "core.osm_roads_missing_nodes",
                file=path.name,
                count=len(raw.roads_without_nodes),
                ids=ids,
            ),
            stacklevel=3,
        )


def _check_path(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """The checked absolute path and its format (osm, osm.bz2, pbf) from its bytes.

    gridmap.io owns the checks (existence, size, magic bytes, bz2 bomb, XML
    DOCTYPE); the format is handed to osmium so a file named without the usual
    suffix (an API download called ``map``) still opens.
    """
    # Imported here: gridmap.io's building reader imports this module.
    from gridmap.io import read_osm_path_check
    from gridmap.io.safety import detect_format

    checked = read_osm_path_check(os.fspath(path))
    return checked, detect_format(checked)


def _osmium_error(path: Path, error: Exception) -> InputError:
    text = str(error)
    if "XML" in text or "bzip2" in text or "gzip" in text or "PBF" in text.upper():
        return InputError(msg("core.osm_truncated", path=path, detail=text))
    return InputError(msg("core.osm_unreadable", path=path, detail=text))


def read_osm(
    path: str | os.PathLike[str], *, progress: Progress | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Read an OpenStreetMap extract into gridmap's tables.

    Parameters
    ----------
    path : str or PathLike
        An ``.osm``, ``.osm.bz2`` or ``.pbf`` file (OSM XML or PBF).
    progress : callable, optional
        Called as ``progress(stage, fraction)`` with ``fraction`` in [0, 1]
        of the whole read.

    Returns
    -------
    dict of str to GeoDataFrame
        Layers ``buildings``, ``compounds``, ``communities``, ``lots`` and
        ``roads``, all in EPSG:4326 and sorted by OSM id. Estimated values are
        flagged in ``levels_source``, ``households_source``, ``use_source``,
        ``capacity_source`` and ``parking_spaces_source``.

    Raises
    ------
    InputError
        The file is missing, not OSM data, truncated, or holds no buildings.
    """
    path, fmt = _check_path(path)

    def report(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)

    report(f"reading {path.name}", 0.0)
    try:
        raw = _collect(path, fmt, progress)
    except RuntimeError as error:
        raise _osmium_error(path, error) from error
    report("assembling layers", 0.6)
    buildings = _frame(
        raw,
        raw.buildings,
        {
            "name": _name,
            "building": lambda t: t.get("building"),
            "levels": _tag("building:levels"),
            "height": _tag("height"),
            "flats": _tag("building:flats"),
            "tags": lambda t: t,
        },
    )
    compounds = _frame(
        raw,
        raw.compounds,
        {"name": _name, "landuse": _tag("landuse"), "place": _tag("place")},
    )
    communities = _frame(raw, raw.communities, {"name": _name, "admin_level": _tag("admin_level")})
    sites = _frame(raw, raw.sites, {"site_use": site_use})
    lots = _frame(
        raw,
        raw.lots,
        {
            "name": _name,
            "parking": _tag("parking"),
            "capacity": _tag("capacity"),
            "levels": lambda t: t.get("levels") or t.get("building:levels"),
        },
    )
    roads = _frame(raw, raw.roads, {"highway": _tag("highway"), "name": _name}, areas=False)
    _warn_skipped(path, raw)
    if buildings.empty:
        raise InputError(msg("core.osm_no_buildings", path=path))

    crs = metric_crs(buildings)
    report("placing buildings in compounds", 0.7)
    buildings_m = buildings.to_crs(crs)
    compounds_m = compounds.to_crs(crs)
    communities_m = communities.to_crs(crs)
    points = buildings_m.geometry.representative_point()
    buildings["compound_id"] = _smallest_container(points, compounds_m, _ids(compounds_m))
    buildings["community_id"] = _smallest_container(points, communities_m, _ids(communities_m))
    sites_m = sites.to_crs(crs)
    buildings["site_use"] = _smallest_container(points, sites_m, sites_m["site_use"].to_numpy())

    report("estimating storeys and households", 0.8)
    buildings = _building_table(buildings, buildings_m)
    report("estimating parking", 0.9)
    lots_table = _lot_table(lots, compounds_m, buildings, crs)
    compound_table = _compound_table(compounds, compounds_m, communities_m, buildings, lots_table)
    community_table = _community_table(communities)
    road_table = roads[[*ROAD_COLUMNS, "geometry"]].copy()
    road_table["name"] = _text(roads["name"], roads.index)
    report("done", 1.0)
    return {
        "buildings": buildings,
        "compounds": compound_table,
        "communities": community_table,
        "lots": lots_table,
        "roads": road_table.reset_index(drop=True),
    }


def _ids(frame: gpd.GeoDataFrame) -> np.ndarray:
    return ("osm-" + frame["osm_id"].astype(str)).to_numpy(dtype=object)


def _smallest_container(
    points: gpd.GeoSeries, polygons_m: gpd.GeoDataFrame, values: np.ndarray
) -> pd.Series:
    """``values`` of the smallest polygon holding each point (ties: lower osm id), else None."""
    result = pd.Series([None] * len(points), index=points.index, dtype=object)
    if polygons_m.empty or points.empty:
        return result
    tree = shapely.STRtree(polygons_m.geometry.to_numpy())
    point_idx, poly_idx = tree.query(points.to_numpy(), predicate="within")
    if len(point_idx) == 0:
        return result
    areas = polygons_m.geometry.area.to_numpy()
    order = polygons_m["osm_id"].astype(str).to_numpy()
    hits = pd.DataFrame(
        {"point": point_idx, "area": areas[poly_idx], "id": order[poly_idx], "poly": poly_idx}
    ).sort_values(["point", "area", "id"], kind="stable")
    first = hits.drop_duplicates("point")
    result.iloc[first["point"].to_numpy()] = np.asarray(values, dtype=object)[first["poly"]]
    return result


def _building_table(buildings: gpd.GeoDataFrame, buildings_m: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    uses = [
        classify_use(tags, site_use=site)
        for tags, site in zip(buildings["tags"], buildings["site_use"], strict=True)
    ]
    metric = buildings_m[["building", "levels", "height", "flats", "geometry"]].copy()
    metric["use"] = [use for use, _ in uses]
    filled = fill_building_estimates(metric)
    out = gpd.GeoDataFrame(
        {
            "building_id": "osm-" + buildings["osm_id"].astype(str),
            "use": filled["use"].astype(str),
            "levels": filled["levels"].astype(np.int64),
            "households": filled["households"].astype(np.int64),
            "households_source": filled["households_source"].astype(str),
            "compound_id": buildings["compound_id"].astype(object),
            "grid_id": pd.Series([None] * len(buildings), index=buildings.index, dtype=object),
            "community_id": buildings["community_id"].astype(object),
            "osm_id": buildings["osm_id"].astype(str),
            "name": _text(buildings["name"], buildings.index),
            "building": buildings["building"].astype(str),
            "use_source": [source for _, source in uses],
            "levels_source": filled["levels_source"].astype(str),
            "footprint_m2": filled["footprint_m2"].astype(float),
        },
        geometry=buildings.geometry,
        crs=WGS84,
    )
    over = out.loc[out["households"] > settings.MAX_HOUSEHOLDS_PER_BUILDING, "building_id"]
    if len(over):
        warn(
            msg(
                "core.osm_households_over",
                count=len(over),
                limit=settings.MAX_HOUSEHOLDS_PER_BUILDING,
                ids=", ".join(over.head(10)),
            ),
            stacklevel=4,
        )
    return out.reset_index(drop=True)


def _lot_table(
    lots: gpd.GeoDataFrame, compounds_m: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, crs: CRS
) -> gpd.GeoDataFrame:
    if lots.empty:
        empty = {c: pd.Series([], dtype=object) for c in LOT_COLUMNS}
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    lots_m = lots.to_crs(crs)
    filled = fill_lot_estimates(lots_m[["capacity", "parking", "levels", "geometry"]])
    compound_id = _smallest_container(
        lots_m.geometry.representative_point(), compounds_m, _ids(compounds_m)
    )

    buildings_m = buildings[["building_id", "use", "geometry"]].to_crs(crs)
    tree = shapely.STRtree(buildings_m.geometry.to_numpy())
    lot_idx, building_idx = tree.query_nearest(
        lots_m.geometry.to_numpy(),
        max_distance=settings.LOT_OWNER_MAX_DISTANCE_M,
        return_distance=False,
        all_matches=True,
    )
    # ties (two buildings at the same distance) go to the smaller building id
    nearest = (
        pd.DataFrame({"lot": lot_idx, "id": buildings_m["building_id"].to_numpy()[building_idx]})
        .assign(use=buildings_m["use"].to_numpy()[building_idx])
        .sort_values(["lot", "id"], kind="stable")
        .drop_duplicates("lot")
        .set_index("lot")
    )
    kinds: list[str] = []
    owners: list[str | None] = []
    for i, compound in enumerate(compound_id):
        if compound is not None:
            kinds.append("residential")
            owners.append(compound)
            continue
        near_use = nearest["use"].get(i)
        kind = {"commercial": "commercial", "mixed": "commercial", "office": "office"}.get(
            str(near_use), "public"
        )
        kinds.append(kind)
        owners.append(None if near_use is None else str(nearest["id"][i]))
    out = gpd.GeoDataFrame(
        {
            "lot_id": "osm-" + lots["osm_id"].astype(str),
            "kind": kinds,
            "owner_id": pd.Series(owners, index=lots.index, dtype=object),
            "capacity": filled["capacity"].astype(np.int64),
            "reserved": np.zeros(len(lots), dtype=np.int64),
            "capacity_source": filled["capacity_source"].astype(str),
            "compound_id": compound_id.astype(object),
            "name": _text(lots["name"], lots.index),
            "parking": _text(lots["parking"], lots.index),
            "osm_id": lots["osm_id"].astype(str),
        },
        geometry=lots.geometry,
        crs=WGS84,
    )
    return out.reset_index(drop=True)


def _compound_table(
    compounds: gpd.GeoDataFrame,
    compounds_m: gpd.GeoDataFrame,
    communities_m: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    lots: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    ids = "osm-" + compounds["osm_id"].astype(str)
    names = [
        name if isinstance(name, str) and name else f"未命名小区 {osm_id}"
        for name, osm_id in zip(compounds["name"], compounds["osm_id"], strict=True)
    ]
    # each building counts once, in the smallest compound holding it
    by_compound = buildings.groupby("compound_id", dropna=True)
    households = by_compound["households"].sum()
    n_buildings = by_compound.size()
    all_tagged = by_compound["households_source"].agg(lambda s: bool((s == "tag").all()))
    residential_lots = lots[lots["compound_id"].notna()]
    spaces = residential_lots.groupby("compound_id")["capacity"].sum()
    spaces_tagged = residential_lots.groupby("compound_id")["capacity_source"].agg(
        lambda s: bool((s == "tag").all())
    )
    hh = np.array([int(households.get(i, 0)) for i in ids], dtype=np.int64)
    has_lots = np.array([i in spaces.index for i in ids])
    lot_spaces = np.array([int(spaces.get(i, 0)) for i in ids], dtype=np.int64)
    guessed_spaces = np.floor(hh * settings.SPACES_PER_HOUSEHOLD).astype(np.int64)
    out = gpd.GeoDataFrame(
        {
            "compound_id": ids,
            "name": names,
            "households": hh,
            "parking_spaces": np.where(has_lots, lot_spaces, guessed_spaces),
            "households_source": ["tag" if all_tagged.get(i, False) else "estimated" for i in ids],
            "parking_spaces_source": [
                "tag" if spaces_tagged.get(i, False) else "estimated" for i in ids
            ],
            "n_buildings": np.array([int(n_buildings.get(i, 0)) for i in ids], dtype=np.int64),
            "community_id": _smallest_container(
                compounds_m.geometry.representative_point(), communities_m, _ids(communities_m)
            ).to_numpy(),
            "osm_id": compounds["osm_id"].astype(str),
        },
        geometry=compounds.geometry,
        crs=WGS84,
    )
    return out.reset_index(drop=True)


def _community_table(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    names = [
        name if isinstance(name, str) and name else f"未命名社区 {osm_id}"
        for name, osm_id in zip(communities["name"], communities["osm_id"], strict=True)
    ]
    out = gpd.GeoDataFrame(
        {
            "community_id": ("osm-" + communities["osm_id"].astype(str)).astype(object),
            "name": pd.Series(names, index=communities.index, dtype=object),
            "admin_level": _text(communities["admin_level"], communities.index),
            "osm_id": communities["osm_id"].astype(object),
        },
        geometry=communities.geometry,
        crs=WGS84,
    )
    return out.reset_index(drop=True)


# --- Report -------------------------------------------------------------------
def estimates_report(layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Count, per table and quantity, the values taken from tags and those estimated.

    Every ``<quantity>_source`` column of every layer gives one row.

    Parameters
    ----------
    layers : mapping of str to DataFrame
        Tables as returned by :func:`read_osm` (absent or empty layers are fine).

    Returns
    -------
    DataFrame
        Columns ``table``, ``quantity``, ``from_tags``, ``estimated``,
        ``from_user`` and ``total``, one row per ``*_source`` column, in layer
        order.
    """
    rows = []
    for table, frame in layers.items():
        for column in frame.columns:
            if not str(column).endswith("_source"):
                continue
            values = frame[column].astype(object)
            rows.append(
                {
                    "table": table,
                    "quantity": str(column)[: -len("_source")],
                    "from_tags": int((values == "tag").sum()),
                    "estimated": int((values == "estimated").sum()),
                    "from_user": int((values == "user").sum()),
                    "total": len(frame),
                }
            )
    columns = ["table", "quantity", "from_tags", "estimated", "from_user", "total"]
    return pd.DataFrame(rows, columns=columns)


# --- Online fetch -----------------------------------------------------------------
def _overpass_query(bbox: tuple[float, float, float, float], timeout_s: float) -> str:
    """Overpass QL for everything read_osm uses inside ``bbox`` (west, south, east, north)."""
    west, south, east, north = bbox
    box = f"{south},{west},{north},{east}"
    selectors = (
        f'nwr["building"]({box});',
        f'nwr["landuse"="residential"]({box});',
        f'nwr["place"~"^(neighbourhood|quarter)$"]({box});',
        f'nwr["amenity"="parking"]({box});',
        f'way["highway"]({box});',
        f'relation["boundary"="administrative"]["admin_level"~"^(9|10)$"]({box});',
    )
    return (
        f"[out:xml][timeout:{max(1, int(timeout_s))}];("
        + "".join(selectors)
        + ");(._;>;);out body qt;"
    )


def _validate_bbox(bbox: Iterable[float]) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(v) for v in bbox)
    except (TypeError, ValueError) as error:
        raise InputError(msg("core.osm_bbox_not_numbers", bbox=bbox)) from error
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(msg("core.osm_bbox_not_lonlat", bbox=(west, south, east, north)))
    return west, south, east, north


def _check_reachable(url: str, timeout_s: float) -> None:
    """Fail fast when ``url``'s host cannot be resolved or connected to."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    fail = InputError(msg("core.osm_offline", host=host))
    # getaddrinfo has no timeout of its own: run it in a thread and stop waiting.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            addresses = future.result(timeout=timeout_s)
        except (concurrent.futures.TimeoutError, OSError, RuntimeError) as error:
            raise fail from error
    finally:
        pool.shutdown(wait=False)
    last: BaseException | None = None
    for family, kind, proto, _, address in addresses:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout_s)
                sock.connect(address)
            return
        except (OSError, RuntimeError) as error:  # pytest-socket raises RuntimeError
            last = error
    raise fail from last


def fetch_osm(
    place: str | None = None,
    *,
    bbox: Iterable[float] | None = None,
    out: str | os.PathLike[str] | None = None,
    timeout_s: float = 10,
) -> Path:
    """Download an OSM XML extract of a place or box from the Overpass API.

    The Overpass and Nominatim addresses, the user agent and the cache folder
    come from :mod:`osmnx.settings`. Offline, this fails within a few seconds.

    Parameters
    ----------
    place : str, optional
        A place name Nominatim knows (e.g. ``"静淑苑, 海淀区, 北京市"``); its
        bounding box is fetched.
    bbox : sequence of 4 floats, optional
        ``(west, south, east, north)`` in degrees, instead of ``place``.
    out : str or PathLike, optional
        Where to write the ``.osm`` file (default: osmnx's cache folder).
    timeout_s : float
        Timeout of each network request in seconds.

    Returns
    -------
    pathlib.Path
        The written ``.osm`` file, ready for :func:`read_osm`.

    Raises
    ------
    InputError
        Neither or both of ``place`` and ``bbox``, a bad box, an unknown place,
        no network, or a failed download.
    """
    import osmnx as ox
    import requests

    if (place is None) == (bbox is None):
        raise InputError(msg("core.osm_place_or_bbox"))
    box = _validate_bbox(bbox) if bbox is not None else None
    if place is not None:
        _check_reachable(ox.settings.nominatim_url, min(settings.CONNECT_TIMEOUT_S, timeout_s))
        old_timeout = ox.settings.requests_timeout
        ox.settings.requests_timeout = timeout_s
        try:
            found = ox.geocoder.geocode_to_gdf(place)
        except Exception as error:  # osmnx raises InsufficientResponseError, HTTPError, ...
            raise InputError(
                msg("core.osm_place_not_found", place=place, error=str(error))
            ) from error
        finally:
            ox.settings.requests_timeout = old_timeout
        west, south, east, north = (float(v) for v in found.total_bounds)
        box = (west, south, east, north)
    assert box is not None
    query = _overpass_query(box, timeout_s)
    url = ox.settings.overpass_url.rstrip("/") + "/interpreter"
    _check_reachable(url, min(settings.CONNECT_TIMEOUT_S, timeout_s))
    try:
        response = requests.post(
            url,
            data={"data": query},
            timeout=timeout_s,
            headers={"User-Agent": ox.settings.http_user_agent},
        )
        response.raise_for_status()
    except requests.RequestException as error:
        raise InputError(msg("core.osm_download_failed", url=url, error=str(error))) from error
    if not response.content.lstrip().startswith(b"<?xml"):
        raise InputError(msg("core.osm_not_xml", url=url))
    digest = hashlib.sha256(query.encode()).hexdigest()[:12]
    target = (
        Path(out) if out is not None else Path(ox.settings.cache_folder) / f"gridmap-{digest}.osm"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".osm.part")
    with os.fdopen(handle, "wb") as stream:
        stream.write(response.content)
    os.replace(temp, target)
    return target
