"""gridmap.io.read_buildings and join_households: attributes, ids, estimates, registers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures_io import (
    LAT0,
    LON0,
    NAMES,
    buildings_frame,
    feature,
    message,
    square,
    write_geojson_features,
    write_shapefile,
)
from openpyxl import Workbook

from gridmap import settings
from gridmap.errors import GridmapWarning, InputError
from gridmap.io import join_households, read_buildings
from gridmap.schema import validate_buildings


def _geojson(tmp_path: Path, props: list[dict], name: str = "b.geojson") -> Path:
    feats = [feature(square(LON0 + i * 0.001, LAT0), **p) for i, p in enumerate(props)]
    return write_geojson_features(tmp_path / name, feats)


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        read_buildings(path)
    return message(info.value)


def test_chinese_headers_are_mapped_and_sources_flagged(tmp_path: Path) -> None:
    props = [
        {
            "编号": "A1",
            "名称": "光明楼",
            "户数": 120,
            "层数": 6,
            "用途": "住宅",
            "小区": "幸福小区",
        },
        {"编号": "A2", "名称": "商场", "户数": None, "层数": None, "用途": "商业", "小区": None},
    ]
    b = read_buildings(_geojson(tmp_path, props))
    validate_buildings(b)
    assert list(b["building_id"]) == ["A1", "A2"]
    assert list(b["name"]) == ["光明楼", "商场"]
    assert list(b["use"]) == ["residential", "commercial"]
    assert b["households"].iloc[0] == 120 and b["households_source"].iloc[0] == "user"
    assert b["households_source"].iloc[1] == "estimated" and b["households"].iloc[1] == 0
    assert b["levels"].iloc[0] == 6 and b["levels_source"].iloc[1] == "estimated"
    assert b["compound_id"].iloc[0] == "幸福小区" and b["compound_id"].iloc[1] is None
    assert b["grid_id"].isna().all()
    assert b.crs.to_epsg() == 4326
    assert b["footprint_m2"].iloc[0] == pytest.approx(17 * 22, rel=0.1)


def test_missing_households_estimated_from_footprint(tmp_path: Path) -> None:
    props = [{"building": "apartments", "building:levels": "10"}]
    b = read_buildings(_geojson(tmp_path, props))
    expected = np.floor(
        b["footprint_m2"].iloc[0] * 10 * settings.USABLE_SHARE / settings.MEAN_FLAT_SIZE_M2
    )
    assert b["households"].iloc[0] == pytest.approx(expected, abs=1)
    assert b["households_source"].iloc[0] == "estimated"
    assert b["use"].iloc[0] == "residential" and b["levels"].iloc[0] == 10


def test_ids_made_from_footprints_are_stable(tmp_path: Path) -> None:
    path = _geojson(tmp_path, [{"户数": 10}, {"户数": 20}])
    first = read_buildings(path)
    again = read_buildings(path)
    assert list(first["building_id"]) == list(again["building_id"])
    assert all(i.startswith("b") and len(i) == 13 for i in first["building_id"])
    assert first["building_id"].is_unique


def test_households_as_text_is_an_error(tmp_path: Path) -> None:
    path = _geojson(tmp_path, [{"id": "X1", "户数": 80}, {"id": "X2", "户数": "约300户"}])
    text = _error(path)
    assert text.startswith(f"{path}: households")
    assert (
        "households '约300户' of building X2 (feature 2) (column '户数') is not a whole number"
        in (text)
    )
    assert "fix: write households as a plain whole number" in text


def test_negative_households_is_an_error(tmp_path: Path) -> None:
    path = _geojson(tmp_path, [{"building_id": "N1", "households": -5}])
    assert "households -5 of building N1 (feature 1) (column 'households') is below 0" in _error(
        path
    )


def test_absurd_households_is_an_error(tmp_path: Path) -> None:
    path = _geojson(tmp_path, [{"building_id": "Z9", "hh": 10_001}])
    text = _error(path)
    assert "households 10001 of building Z9 (feature 1) (column 'hh') is above 10,000" in text


def test_levels_as_text_is_an_error(tmp_path: Path) -> None:
    path = _geojson(tmp_path, [{"building_id": "L1", "层数": "六层"}])
    assert "levels '六层' of building L1 (feature 1) (column '层数') is not a whole number" in (
        _error(path)
    )


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    props = [{"building_id": "D1"}, {"building_id": "D2"}, {"building_id": "D1"}]
    text = _error(_geojson(tmp_path, props))
    assert "duplicate building ids: D1 (features 1, 3)" in text


def test_some_ids_missing_are_made_and_warned(tmp_path: Path) -> None:
    props = [{"building_id": "K1"}, {"building_id": None}]
    with pytest.warns(GridmapWarning, match=r"1 building\(s\) had no id.*feature 2"):
        b = read_buildings(_geojson(tmp_path, props))
    assert b["building_id"].iloc[0] == "K1" and b["building_id"].iloc[1].startswith("b")


def test_points_are_refused_for_buildings(tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text(f"name,lon,lat\n光明楼,{LON0},{LAT0}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_buildings(path, crs="4326")
    text = message(info.value)
    assert "buildings need footprint polygons, but the features are points" in text
    assert "fix: draw the building outlines as polygons" in text


def test_stray_point_among_footprints_is_dropped_and_named(tmp_path: Path) -> None:
    feats = [feature(square(LON0, LAT0), building_id="P1")]
    feats.append(feature({"type": "Point", "coordinates": [LON0, LAT0]}, building_id="P2"))
    path = write_geojson_features(tmp_path / "mixed.geojson", feats)
    with pytest.warns(GridmapWarning, match=r"feature 2 \(a point, not a polygon footprint\)"):
        b = read_buildings(path)
    assert list(b["building_id"]) == ["P1"]


def test_unknown_use_words_warn(tmp_path: Path) -> None:
    with pytest.warns(GridmapWarning, match="building use value\\(s\\) 仓储 not recognised"):
        b = read_buildings(_geojson(tmp_path, [{"用途": "仓储"}]))
    assert b["use"].iloc[0] == "other"


def test_gbk_shapefile_buildings_keep_names(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "s", buildings_frame(5), encoding="GBK", cpg="GBK")
    b = read_buildings(shp)
    assert list(b["name"]) == NAMES
    assert list(b["building_id"]) == [f"B{i:03d}" for i in range(1, 6)]
    assert (b["households_source"] == "user").all()


# --- household registers --------------------------------------------------------------


@pytest.fixture
def buildings(tmp_path: Path):
    return read_buildings(
        _geojson(tmp_path, [{"楼栋编号": f"L{i}", "名称": NAMES[i]} for i in range(4)])
    )


def test_register_csv_gbk_joined_with_report(tmp_path: Path, buildings) -> None:
    path = tmp_path / "register.csv"
    rows = ["楼栋编号,户数", "L0,96", "L2,48", "L9,12", ",7"]
    path.write_bytes(("\n".join(rows) + "\n").encode("gbk"))
    out, report = join_households(buildings, path)
    assert report["matched"] == 2
    assert report["unmatched_rows"] == [
        {"row": 4, "key": "L9", "reason": "no such building"},
        {"row": 5, "key": "", "reason": "empty key"},
    ]
    assert report["buildings_without_row"] == ["L1", "L3"]
    assert list(out["households"])[::2] == [96, 48]
    assert list(out["households_source"]) == ["user", "estimated", "user", "estimated"]
    assert buildings["households_source"].eq("estimated").all()  # input not changed


def test_register_xlsx_by_name(tmp_path: Path, buildings) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["楼栋名称", "住户数", "备注"])
    sheet.append([" " + NAMES[1] + " ", 60, "东门"])
    sheet.append([NAMES[3], 24.0, None])
    sheet.append([None, None, None])
    path = tmp_path / "register.xlsx"
    book.save(path)
    out, report = join_households(buildings, path)
    assert report["matched"] == 2 and report["key"] == "楼栋名称"
    assert report["matched_on"] == "name"
    assert out.loc[out["name"] == NAMES[1], "households"].item() == 60
    assert out.loc[out["name"] == NAMES[3], "households_source"].item() == "user"


def test_register_bad_value_names_the_row(tmp_path: Path, buildings) -> None:
    path = tmp_path / "register.csv"
    path.write_text("building_id,households\nL0,96\nL1,约300户\n", encoding="utf-8-sig")
    with pytest.raises(InputError) as info:
        join_households(buildings, path)
    text = message(info.value)
    assert f"{path}: households '约300户' of row 3 (building_id 'L1') (column 'households')" in text


def test_register_two_rows_for_one_building(tmp_path: Path, buildings) -> None:
    path = tmp_path / "register.csv"
    path.write_text("building_id,户数\nL0,10\nL0,12\n", encoding="utf-8")
    with pytest.raises(InputError, match="rows 2 and 3 both give households of building_id 'L0'"):
        join_households(buildings, path)


def test_register_without_key_column(tmp_path: Path, buildings) -> None:
    path = tmp_path / "register.csv"
    path.write_text("单元,户数\n1,10\n", encoding="utf-8")
    with pytest.raises(InputError, match="found no key column to match buildings by"):
        join_households(buildings, path)


def test_register_xlsx_bomb_refused(tmp_path: Path, buildings) -> None:
    from fixtures_io import zip_bomb

    path = zip_bomb(tmp_path / "bomb.zip", megabytes=4).rename(tmp_path / "register.xlsx")
    with pytest.raises(InputError, match="zip bomb"):
        join_households(buildings, path)


# --- Chinese messages -------------------------------------------------------------------


def test_building_value_errors_read_in_chinese(tmp_path: Path) -> None:
    path = _geojson(tmp_path, [{"id": "X1", "户数": 80}, {"id": "X2", "户数": "约300户"}])
    with pytest.raises(InputError) as info:
        read_buildings(path)
    assert info.value.user_message("zh") == (
        f"{path}：楼栋 X2（要素 2）的 households 值 '约300户'（列 '户数'）不是整数；"
        "解决办法：把 households 写成普通整数（如 300），或留空由程序估算"
    )
    props = [{"building_id": "D1"}, {"building_id": "D2"}, {"building_id": "D1"}]
    with pytest.raises(InputError) as dup:
        read_buildings(_geojson(tmp_path, props, name="dup.geojson"))
    assert "楼栋编号重复：D1（见要素 1、3）" in dup.value.user_message("zh")


def test_building_warnings_read_in_chinese(tmp_path: Path) -> None:
    with pytest.warns(GridmapWarning) as record:
        read_buildings(_geojson(tmp_path, [{"用途": "仓储"}, {"用途": "厂房"}]))
    (warning,) = [w.message for w in record if "use value" in str(w.message)]
    assert isinstance(warning, GridmapWarning)
    chinese = warning.line("zh")
    assert "无法识别的楼栋用途 仓储、厂房；已按 'other' 处理" in chinese
    assert "residential、commercial" in chinese and "not recognised" not in chinese


def test_register_errors_read_in_chinese(tmp_path: Path, buildings) -> None:
    path = tmp_path / "register.csv"
    path.write_text("building_id,户数\nL0,10\nL0,12\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        join_households(buildings, path)
    assert "第 2 行和第 3 行都给出了 building_id 'L0' 的户数" in info.value.user_message("zh")
    path.write_text("building_id,households\nL0,96\nL1,约300户\n", encoding="utf-8")
    with pytest.raises(InputError) as bad:
        join_households(buildings, path)
    assert "第 3 行（building_id 'L1'）的 households 值 '约300户'" in bad.value.user_message("zh")
