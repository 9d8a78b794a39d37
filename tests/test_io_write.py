"""gridmap.io writers: RFC 7946 GeoJSON, exports and round trips, projects, atomic writes."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fixtures_io import LAT0, LON0, NAMES, buildings_frame, message
from shapely.geometry import Polygon

from gridmap.errors import GridmapWarning, InputError
from gridmap.io import (
    SHAPEFILE_FIELDS,
    atomic_path,
    export_file,
    export_layer,
    is_project,
    read_buildings,
    read_project,
    read_vector,
    write_csv,
    write_geojson,
    write_json,
    write_project,
    write_text,
)
from gridmap.io.fields import shapefile_names


def _table(tmp_path: Path, n: int = 5) -> gpd.GeoDataFrame:
    """A buildings table as read_buildings makes it, Chinese names included."""
    path = tmp_path / "src.gpkg"
    buildings_frame(n, 用途=["住宅"] * n).to_file(path, driver="GPKG")
    return read_buildings(path)


def _grids(n: int = 3) -> gpd.GeoDataFrame:
    cells = [
        shapely.box(LON0 + i * 0.01, LAT0, LON0 + (i + 1) * 0.01, LAT0 + 0.01) for i in range(n)
    ]
    return gpd.GeoDataFrame(
        {
            "grid_id": [f"110108001001{i:03d}" for i in range(n)],
            "community_id": ["c1"] * n,
            "households": [300 + i for i in range(n)],
            "n_buildings": [4] * n,
            "n_compounds": [1] * n,
            "locked": [i == 0 for i in range(n)],
            "name": ["第一网格", "第二网格", "第三网格"][:n],
        },
        geometry=cells,
        crs=4326,
    )


def _areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "area_id": ["a1", "a2"],
            "grid_id": ["g1", "g1"],
            "member_id": ["m1", "m2"],
            "households": [10, 12],
            "building_ids": [["B001", "B002"], ["B003"]],
        },
        geometry=[shapely.box(LON0, LAT0, LON0 + 1e-3, LAT0 + 1e-3)] * 2,
        crs=4326,
    )


def _same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, *, tol: float = 2e-6) -> None:
    """Same columns and values; geometry within ``tol`` degrees.

    footprint_m2 is recomputed from the geometry on import, so it may move by
    the area of a 6-decimal rounding of the coordinates (< 1 m2).
    """
    assert list(a.columns) == list(b.columns)
    left = pd.DataFrame(a.drop(columns="geometry")).astype(object)
    right = pd.DataFrame(b.drop(columns="geometry")).astype(object)
    if "footprint_m2" in left:
        assert np.allclose(
            left.pop("footprint_m2"), right.pop("footprint_m2").astype(float), atol=1
        )
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    assert all(
        shapely.equals_exact(x, y, tol) or shapely.hausdorff_distance(x, y) < tol
        for x, y in zip(a.geometry, b.geometry, strict=True)
    )


# --- GeoJSON ----------------------------------------------------------------------------


def test_geojson_is_rfc7946(tmp_path: Path) -> None:
    outer = [(LON0, LAT0), (LON0, LAT0 + 0.01), (LON0 + 0.01, LAT0 + 0.01), (LON0 + 0.01, LAT0)]
    hole = [
        (LON0 + 0.002, LAT0 + 0.002),
        (LON0 + 0.004, LAT0 + 0.002),
        (LON0 + 0.004, LAT0 + 0.004),
    ]
    poly = Polygon(outer, [hole])  # clockwise outside, counter-clockwise hole: wrong way round
    assert not poly.exterior.is_ccw
    gdf = gpd.GeoDataFrame(
        {"building_id": ["Q1"], "name": ["光明楼"], "x": [1.123456789]},
        geometry=[shapely.affinity.translate(poly, 1.23456789e-7, 0)],
        crs=4326,
    ).to_crs(32650)  # written back to 4326 by the writer
    path = tmp_path / "out.geojson"
    assert write_geojson(gdf, path) == []
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" not in data and data["type"] == "FeatureCollection"
    feat = data["features"][0]
    assert feat["id"] == "Q1" and feat["properties"]["name"] == "光明楼"
    rings = feat["geometry"]["coordinates"]
    assert shapely.LinearRing(rings[0]).is_ccw and not shapely.LinearRing(rings[1]).is_ccw
    numbers = re.findall(r"-?\d+\.\d+", json.dumps(feat["geometry"]))
    assert numbers and max(len(n.split(".")[1]) for n in numbers) <= 6
    first = path.read_bytes()
    write_geojson(gdf, path)
    assert path.read_bytes() == first


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_geojson_offset_warns_and_round_trips(tmp_path: Path, system: str) -> None:
    table = buildings_frame(3)
    path = tmp_path / f"{system}.geojson"
    with pytest.warns(GridmapWarning, match="no longer RFC 7946"):
        notes = write_geojson(table, path, crs=system)
    assert len(notes) == 1 and "no longer RFC 7946" in str(notes[0])
    assert "不再符合 RFC 7946" in notes[0].line("zh") and system.upper() in notes[0].line("zh")
    shifted = read_vector(path)  # read as if WGS84: hundreds of metres off
    assert shifted.total_bounds[0] - table.total_bounds[0] > 0.004
    back = read_vector(path, crs=system)
    assert np.allclose(back.total_bounds, table.total_bounds, atol=2e-6)


# --- exports and round trips --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("geojson", "b.geojson"), ("gpkg", "b.gpkg"), ("shp", "b.zip"), ("csv", "b.csv")],
)
def test_buildings_round_trip(tmp_path: Path, fmt: str, name: str) -> None:
    table = _table(tmp_path)
    dst = tmp_path / "out" / name
    assert export_layer(table, dst, fmt=fmt) == []
    back = read_buildings(dst, crs="4326" if fmt == "csv" else None)
    _same(table, back)
    assert list(back["name"]) == NAMES


@pytest.mark.parametrize(("fmt", "name"), [("gpkg", "g.gpkg"), ("shp", "g.zip"), ("csv", "g.csv")])
def test_grids_and_areas_round_trip(tmp_path: Path, fmt: str, name: str) -> None:
    for table, stem in ((_grids(), "grids"), (_areas(), "areas")):
        dst = tmp_path / f"{stem}_{name}"
        export_layer(table, dst, fmt=fmt)
        back = read_vector(dst, crs="4326" if fmt == "csv" else None)
        _same(table, back)


@pytest.mark.parametrize("system", ["gcj02", "bd09", "4490"])
@pytest.mark.parametrize(("fmt", "name"), [("gpkg", "b.gpkg"), ("shp", "b.zip"), ("csv", "b.csv")])
def test_offset_exports_round_trip(tmp_path: Path, system: str, fmt: str, name: str) -> None:
    table = _table(tmp_path)
    dst = tmp_path / name
    if system == "4490":
        assert export_layer(table, dst, fmt=fmt, crs=system) == []
        back = read_buildings(dst, crs="4490" if fmt == "csv" else None)
    else:
        with pytest.warns(GridmapWarning, match="labelled EPSG:4326 because .* has no EPSG code"):
            export_layer(table, dst, fmt=fmt, crs=system)
        back = read_buildings(dst, crs=system)
    _same(table, back)


def test_shapefile_zip_members_and_field_names(tmp_path: Path) -> None:
    table = _table(tmp_path)
    dst = tmp_path / "b.zip"
    export_layer(table, dst, fmt="shp")
    with zipfile.ZipFile(dst) as zf:
        names = zf.namelist()
        assert names == ["b.shp", "b.shx", "b.dbf", "b.prj", "b.cpg", "b.fields.json"]
        assert zf.read("b.cpg") == b"UTF-8"
        mapping = json.loads(zf.read("b.fields.json"))["fields"]
    assert mapping["building_id"] == "bldg_id" and mapping["households_source"] == "hh_source"
    assert all(len(short.encode()) <= 10 for short in mapping.values())
    first = dst.read_bytes()
    export_layer(table, dst, fmt="shp")
    assert dst.read_bytes() == first


def test_shapefile_reimport_without_sidecar_uses_the_mapping(tmp_path: Path) -> None:
    table = _table(tmp_path)
    full = tmp_path / "full.zip"
    export_layer(table, full, fmt="shp")
    bare = tmp_path / "bare.zip"
    with zipfile.ZipFile(full) as src, zipfile.ZipFile(bare, "w") as dst:
        for name in src.namelist():
            if not name.endswith(".fields.json"):
                dst.writestr(name, src.read(name))
    back = read_buildings(bare)
    assert {"building_id", "households_source", "levels_source", "footprint_m2"} <= set(back)
    assert list(back["building_id"]) == list(table["building_id"])


def test_shapefile_names_are_short_unique_and_deterministic() -> None:
    columns = [
        "building_id",
        "parking_demand_peak",
        "parking_demand_mean",
        "名称很长的一个字段",
        "x",
    ]
    names = shapefile_names(columns)
    assert names == shapefile_names(columns)
    assert names["building_id"] == SHAPEFILE_FIELDS["building_id"]
    assert names["x"] == "x"
    assert len({v.lower() for v in names.values()}) == len(columns)
    assert all(len(v.encode("utf-8")) <= 10 for v in names.values())


def test_shapefile_refuses_mixed_geometry_types(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"lot_id": ["p1", "p2"]},
        geometry=[shapely.Point(LON0, LAT0), shapely.box(LON0, LAT0, LON0 + 1e-3, LAT0 + 1e-3)],
        crs=4326,
    )
    with pytest.raises(InputError, match="the table mixes point, polygon"):
        export_layer(gdf, tmp_path / "lots.zip", fmt="shp")
    assert not (tmp_path / "lots.zip").exists()


def test_csv_export_has_bom_and_wkt(tmp_path: Path) -> None:
    dst = tmp_path / "b.csv"
    export_layer(_table(tmp_path), dst, fmt="csv")
    data = dst.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header = data[3:].decode("utf-8").splitlines()[0].split(",")
    assert header[0] == "building_id" and header[-1] == "wkt"
    assert NAMES[0] in data.decode("utf-8-sig")


def test_unknown_export_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown export format 'dxf'"):
        export_layer(_table(tmp_path), tmp_path / "b.dxf", fmt="dxf")


# --- atomic writes ---------------------------------------------------------------------------


def test_atomic_path_leaves_nothing_on_error(tmp_path: Path) -> None:
    dst = tmp_path / "x.json"
    with pytest.raises(RuntimeError), atomic_path(dst) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_failed_export_keeps_the_old_file(tmp_path: Path) -> None:
    dst = tmp_path / "lots.zip"
    dst.write_bytes(b"old")
    mixed = gpd.GeoDataFrame(
        {"lot_id": ["p1", "p2"]},
        geometry=[shapely.Point(LON0, LAT0), shapely.box(LON0, LAT0, LON0 + 1e-3, LAT0 + 1e-3)],
        crs=4326,
    )
    with pytest.raises(InputError, match="mixes point, polygon"):
        export_layer(mixed, dst, fmt="shp")  # fails inside the atomic write
    assert dst.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["lots.zip"]
    no_crs = buildings_frame(2).set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="has no CRS"):
        export_layer(no_crs, tmp_path / "b.gpkg", fmt="gpkg")
    assert [p.name for p in tmp_path.iterdir()] == ["lots.zip"]


def test_write_json_and_text_are_deterministic(tmp_path: Path) -> None:
    obj = {"b": np.int64(2), "a": [np.float64(1.5), float("nan")], "名": "网格"}
    path = write_json(tmp_path / "r.json", obj)
    text = path.read_text(encoding="utf-8")
    assert text == '{\n  "a": [\n    1.5,\n    null\n  ],\n  "b": 2,\n  "名": "网格"\n}\n'
    write_text(tmp_path / "t.txt", "一\n二\n")
    assert (tmp_path / "t.txt").read_bytes() == "一\n二\n".encode()


def test_write_csv_excel_friendly(tmp_path: Path) -> None:
    df = pd.DataFrame({"member_id": ["m1"], "flag": [True], "ids": [["a", "b"]], "名": ["张"]})
    write_csv(df, tmp_path / "m.csv")
    assert (
        tmp_path / "m.csv"
    ).read_bytes() == "\ufeffmember_id,flag,ids,名\nm1,true,a;b,张\n".encode()


# --- project GeoPackage ----------------------------------------------------------------------


def test_project_round_trip_with_edit_log(tmp_path: Path) -> None:
    buildings = _table(tmp_path).iloc[::-1]  # reversed: stored sorted by id
    lots = gpd.GeoDataFrame({"lot_id": [], "capacity": []}, geometry=[], crs=4326)
    layers = {"buildings": buildings, "grids": _grids(), "areas": _areas(), "lots": lots}
    log = [{"action": "move_building", "payload": {"building_id": "B001", "to": "网格2"}}]
    path = write_project(tmp_path / "p.gpkg", layers, edit_log=log)
    assert is_project(path)
    back = read_project(path)
    assert set(back) == {"buildings", "grids", "areas", "lots", "edit_log"}
    assert len(back["lots"]) == 0 and {"lot_id", "capacity"} <= set(back["lots"].columns)
    _same(buildings.sort_values("building_id").reset_index(drop=True), back["buildings"])
    _same(_grids(), back["grids"])
    assert back["areas"]["building_ids"].tolist() == [["B001", "B002"], ["B003"]]
    assert back["grids"]["locked"].tolist() == [True, False, False]
    assert back["edit_log"] == [
        {"seq": 1, "time": "", "action": "move_building", "payload": log[0]["payload"]}
    ]
    # the buildings layer is what read_vector / read_buildings see in a project
    assert len(read_vector(path)) == len(buildings)
    assert list(read_buildings(path)["households_source"]) == list(
        back["buildings"]["households_source"]
    )


def test_project_is_rewritten_identically(tmp_path: Path) -> None:
    layers = {"buildings": _table(tmp_path)}
    a = write_project(tmp_path / "a.gpkg", layers).read_bytes()
    b = write_project(tmp_path / "b.gpkg", layers).read_bytes()
    assert a == b


def test_project_refuses_unknown_layers(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        write_project(tmp_path / "p.gpkg", {"buildings": _table(tmp_path), "shops": _grids()})
    assert "unknown project layer(s) shops; fix: use the layer names buildings," in message(
        info.value
    )
    assert not (tmp_path / "p.gpkg").exists()


def test_foreign_gpkg_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "f.gpkg"
    buildings_frame(2).to_file(path, layer="楼栋", driver="GPKG")
    assert not is_project(path)
    assert not is_project(tmp_path / "missing.gpkg")
    with pytest.raises(InputError, match="not a gridmap project"):
        read_project(path)


def test_export_file_from_project(tmp_path: Path) -> None:
    path = write_project(tmp_path / "p.gpkg", {"buildings": _table(tmp_path), "grids": _grids()})
    export_file(path, tmp_path / "grids.geojson", fmt="geojson", layer="grids")
    data = json.loads((tmp_path / "grids.geojson").read_text(encoding="utf-8"))
    assert [f["id"] for f in data["features"]] == list(_grids()["grid_id"])
    export_file(path, tmp_path / "b.zip", fmt="shp")
    assert len(read_vector(tmp_path / "b.zip")) == 5
    with pytest.raises(InputError, match="the project has no layer 'lots'"):
        export_file(path, tmp_path / "l.csv", fmt="csv", layer="lots")


# --- Chinese messages -------------------------------------------------------------------


def test_export_notes_and_errors_read_in_chinese(tmp_path: Path) -> None:
    table = _table(tmp_path)
    with pytest.warns(GridmapWarning):
        (note,) = export_layer(table, tmp_path / "b.gpkg", fmt="gpkg", crs="bd09")
    assert note.line("zh") == (
        f"{tmp_path / 'b.gpkg'}：坐标以 BD09 写出；由于 BD09 没有 EPSG 代码，文件标注为 EPSG:4326"
    )
    with pytest.raises(InputError) as fmt:
        export_layer(table, tmp_path / "b.dxf", fmt="dxf")
    assert fmt.value.user_message("zh") == (
        "未知的导出格式 'dxf'；解决办法：使用以下格式之一：geojson、gpkg、shp、csv"
    )
    mixed = gpd.GeoDataFrame(
        {"lot_id": ["p1", "p2"]},
        geometry=[shapely.Point(LON0, LAT0), shapely.box(LON0, LAT0, LON0 + 1e-3, LAT0 + 1e-3)],
        crs=4326,
    )
    with pytest.raises(InputError) as kinds:
        export_layer(mixed, tmp_path / "lots.zip", fmt="shp")
    assert "但该表混有点、面" in kinds.value.user_message("zh")


def test_project_errors_read_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        write_project(tmp_path / "p.gpkg", {"buildings": _table(tmp_path), "shops": _grids()})
    chinese = info.value.user_message("zh")
    assert "未知的项目图层 shops；解决办法：使用以下图层名：buildings、compounds" in chinese
