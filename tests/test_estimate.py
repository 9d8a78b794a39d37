"""Estimate rules: tags win, then height, then defaults; each value says its source."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from gridmap import settings
from gridmap.errors import CRSError
from gridmap.estimate import fill_building_estimates, fill_lot_estimates, parse_number

UTM50 = "EPSG:32650"


def _frame(**columns: list) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    boxes = [shapely.box(i * 100, 0, i * 100 + 20, 50) for i in range(n)]  # 1,000 m2 each
    return gpd.GeoDataFrame(columns, geometry=boxes, crs=UTM50)


def test_parse_number_refuses_words_and_ranges() -> None:
    assert parse_number("12.5 m") == 12.5
    assert parse_number("6层") == 6
    assert parse_number("6-8") is None
    assert parse_number("约300户") is None


def test_levels_from_tag_then_height_then_default() -> None:
    gdf = _frame(
        building=["apartments", "apartments", "apartments"],
        levels=["18", None, None],
        height=[None, "30 m", None],
    )
    out = fill_building_estimates(gdf)
    assert list(out["levels"]) == [18, 10, settings.DEFAULT_LEVELS["apartments"]]
    assert list(out["levels_source"]) == ["tag", "tag", "estimated"]


def test_households_from_flats_else_floor_area() -> None:
    gdf = _frame(
        building=["residential", "residential", "office"], levels=[6, 6, 6], flats=[72, None, None]
    )
    out = fill_building_estimates(gdf)
    expected = int(1000 * 6 * settings.USABLE_SHARE // settings.MEAN_FLAT_SIZE_M2)
    assert list(out["households"]) == [72, expected, 0]
    assert list(out["households_source"]) == ["tag", "estimated", "estimated"]
    assert list(out["use"]) == ["residential", "residential", "office"]


def test_caller_frame_is_not_changed() -> None:
    gdf = _frame(building=["yes"])
    fill_building_estimates(gdf)
    assert "households" not in gdf.columns


def test_geographic_crs_is_refused() -> None:
    gdf = _frame(building=["yes"]).to_crs(4326)
    with pytest.raises(CRSError, match="metric CRS") as info:
        fill_building_estimates(gdf)
    assert info.value.user_message("zh") == (
        "估算需要米制坐标系下的建筑轮廓；解决办法：先调用 gridmap.crs.to_metric"
    )


def test_lot_capacity_from_tag_area_and_node() -> None:
    lots = gpd.GeoDataFrame(
        {"capacity": ["120", None, None], "parking": ["surface", "surface", None]},
        geometry=[shapely.box(0, 0, 55, 50), shapely.box(0, 0, 55, 50), shapely.Point(0, 0)],
        crs=UTM50,
    )
    out = fill_lot_estimates(lots)
    assert list(out["capacity"]) == [
        120,
        int(2750 // settings.AREA_PER_SPACE_M2),
        settings.DEFAULT_NODE_CAPACITY,
    ]
    assert list(out["capacity_source"]) == ["tag", "estimated", "estimated"]


def test_generic_yes_building_takes_the_default_of_its_use() -> None:
    gdf = _frame(building=["yes", "yes"], use=["residential", None])
    out = fill_building_estimates(gdf)
    assert list(out["levels"]) == [
        settings.DEFAULT_LEVELS["residential"],
        settings.DEFAULT_LEVELS["other"],
    ]
