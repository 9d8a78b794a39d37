"""The tables of DATA_MODEL.md: required columns, allowed values, validate_* checks.

Every engine reads these tables; the checks raise :class:`InputError` naming the
table, the row (by id) and the column, so a planner can fix the file.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from gridmap.errors import CRSError, InputError
from gridmap.messages import msg

__all__ = [
    "TABLES",
    "LAYER_NAMES",
    "BUILDING_USES",
    "HOUSEHOLDS_SOURCES",
    "LOT_KINDS",
    "MEMBER_ROLES",
    "require_columns",
    "require_crs",
    "validate_buildings",
    "validate_compounds",
    "validate_communities",
    "validate_grids",
    "validate_areas",
    "validate_members",
    "validate_lots",
]

BUILDING_USES = ("residential", "commercial", "office", "mixed", "public", "other")
HOUSEHOLDS_SOURCES = ("tag", "estimated", "user")
LOT_KINDS = ("residential", "commercial", "office", "public")
MEMBER_ROLES = ("member", "grid_secretary", "group_leader", "central_household")

# Required columns per table (extra columns are welcome).
TABLES: dict[str, tuple[str, ...]] = {
    "buildings": (
        "building_id",
        "use",
        "levels",
        "households",
        "households_source",
        "compound_id",
        "grid_id",
    ),
    "compounds": ("compound_id", "name", "households", "parking_spaces"),
    "communities": ("community_id", "name"),
    "grids": ("grid_id", "community_id", "households", "n_buildings", "n_compounds", "locked"),
    "areas": ("area_id", "grid_id", "member_id", "households", "building_ids"),
    "members": ("member_id", "building_id", "grid_id", "area_id", "role"),
    "lots": ("lot_id", "kind", "owner_id", "capacity", "reserved"),
    "roads": (),
}
# Layer names of a project GeoPackage, in a fixed order.
LAYER_NAMES = (
    "buildings",
    "compounds",
    "communities",
    "roads",
    "lots",
    "grids",
    "areas",
    "members",
)


def require_columns(df: pd.DataFrame, table: str, columns: Iterable[str] | None = None) -> None:
    """Raise InputError when required columns are missing."""
    need = tuple(columns) if columns is not None else TABLES[table]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(
            msg("core.schema_missing_columns", table=table, columns=", ".join(missing))
        )


def require_crs(gdf: gpd.GeoDataFrame, table: str) -> None:
    """Raise CRSError when a frame has no CRS."""
    if gdf.crs is None:
        raise CRSError(msg("core.schema_no_crs", table=table))


def _unique_ids(df: pd.DataFrame, table: str, column: str) -> None:
    ids = df[column]
    if ids.isna().any():
        rows = list(df.index[ids.isna()][:5])
        raise InputError(msg("core.schema_empty_ids", table=table, column=column, rows=rows))
    dup = ids[ids.duplicated()].unique()
    if len(dup):
        shown = ", ".join(map(str, dup[:5]))
        raise InputError(msg("core.schema_duplicate_ids", table=table, column=column, ids=shown))


def _non_negative(df: pd.DataFrame, table: str, column: str, id_column: str) -> None:
    values = pd.to_numeric(df[column], errors="coerce")
    bad = df.loc[values.isna() | (values < 0), id_column]
    if len(bad):
        shown = ", ".join(map(str, bad.head(5)))
        raise InputError(
            msg("core.schema_negative", table=table, column=column, id_column=id_column, ids=shown)
        )


def _allowed(
    df: pd.DataFrame, table: str, column: str, allowed: Iterable[str], id_column: str
) -> None:
    allowed = tuple(allowed)
    bad = df.loc[~df[column].isin(allowed), [id_column, column]]
    if len(bad):
        first = bad.iloc[0]
        raise InputError(
            msg(
                "core.schema_not_allowed",
                table=table,
                column=column,
                value=first[column],
                id_column=id_column,
                id=first[id_column],
                allowed=", ".join(allowed),
            )
        )


def _geometry_types(
    gdf: gpd.GeoDataFrame, table: str, allowed: tuple[str, ...], id_column: str
) -> None:
    types = gdf.geometry.geom_type
    bad = gdf.loc[~types.isin(allowed) | gdf.geometry.is_empty | gdf.geometry.isna(), id_column]
    if not len(bad):
        return
    ids = ", ".join(map(str, bad.head(5)))
    if len(allowed) == 1:
        raise InputError(
            msg(
                "core.schema_bad_geometry",
                table=table,
                id_column=id_column,
                ids=ids,
                geometry=allowed[0],
            )
        )
    raise InputError(
        msg(
            "core.schema_bad_geometry_either",
            table=table,
            id_column=id_column,
            ids=ids,
            geometry=", ".join(allowed[:-1]),
            last=allowed[-1],
        )
    )


def validate_buildings(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check the buildings table; return it unchanged when valid."""
    require_columns(gdf, "buildings")
    require_crs(gdf, "buildings")
    _unique_ids(gdf, "buildings", "building_id")
    _allowed(gdf, "buildings", "use", BUILDING_USES, "building_id")
    _allowed(gdf, "buildings", "households_source", HOUSEHOLDS_SOURCES, "building_id")
    _non_negative(gdf, "buildings", "households", "building_id")
    _non_negative(gdf, "buildings", "levels", "building_id")
    _geometry_types(gdf, "buildings", ("Polygon", "MultiPolygon"), "building_id")
    return gdf


def validate_compounds(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check the compounds (小区) table."""
    require_columns(gdf, "compounds")
    require_crs(gdf, "compounds")
    _unique_ids(gdf, "compounds", "compound_id")
    _non_negative(gdf, "compounds", "households", "compound_id")
    _non_negative(gdf, "compounds", "parking_spaces", "compound_id")
    _geometry_types(gdf, "compounds", ("Polygon", "MultiPolygon"), "compound_id")
    return gdf


def validate_communities(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check the communities (社区) table."""
    require_columns(gdf, "communities")
    require_crs(gdf, "communities")
    _unique_ids(gdf, "communities", "community_id")
    _geometry_types(gdf, "communities", ("Polygon", "MultiPolygon"), "community_id")
    return gdf


def validate_grids(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check the grids (网格) table."""
    require_columns(gdf, "grids")
    require_crs(gdf, "grids")
    _unique_ids(gdf, "grids", "grid_id")
    _non_negative(gdf, "grids", "households", "grid_id")
    _geometry_types(gdf, "grids", ("Polygon",), "grid_id")
    return gdf


def validate_areas(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check the areas (党员责任区) table."""
    require_columns(gdf, "areas")
    require_crs(gdf, "areas")
    _unique_ids(gdf, "areas", "area_id")
    _non_negative(gdf, "areas", "households", "area_id")
    return gdf


def validate_members(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check the members (党员) table."""
    require_columns(gdf, "members", ("member_id",))
    _unique_ids(gdf, "members", "member_id")
    return gdf


def validate_lots(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check the lots (停车场) table: capacity >= reserved >= 0."""
    require_columns(gdf, "lots")
    require_crs(gdf, "lots")
    _unique_ids(gdf, "lots", "lot_id")
    _allowed(gdf, "lots", "kind", LOT_KINDS, "lot_id")
    _non_negative(gdf, "lots", "capacity", "lot_id")
    _non_negative(gdf, "lots", "reserved", "lot_id")
    over = gdf.loc[pd.to_numeric(gdf["reserved"]) > pd.to_numeric(gdf["capacity"]), "lot_id"]
    if len(over):
        raise InputError(msg("core.schema_reserved_over", ids=", ".join(map(str, over.head(5)))))
    return gdf
