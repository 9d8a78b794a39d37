"""gridmap.io.read_vector: formats, CRS checks, geometry clean-up, encodings."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
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
    zip_folder,
)
from shapely.geometry import Point, box

from gridmap.crs_offsets import wgs84_to_gcj02
from gridmap.errors import CRSError, GridmapWarning, InputError
from gridmap.io import read_vector
from gridmap.io.read import _name_list
from gridmap.messages import CATALOGUE, msg
from gridmap.messages.values import Joined


def test_geojson_reads_into_4326(tmp_path: Path) -> None:
    path = tmp_path / "b.geojson"
    buildings_frame(3).to_file(path, driver="GeoJSON")
    gdf = read_vector(path)
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["name"]) == NAMES[:3]
    assert list(gdf.index) == [0, 1, 2]


def test_projected_gpkg_is_converted_to_4326(tmp_path: Path) -> None:
    path = tmp_path / "utm.gpkg"
    src = buildings_frame(4)
    src.to_crs(32650).to_file(path, driver="GPKG")
    gdf = read_vector(path)
    assert gdf.crs.to_epsg() == 4326
    assert np.allclose(gdf.total_bounds, src.total_bounds, atol=1e-7)


# --- no CRS ---------------------------------------------------------------------


def test_shapefile_without_crs_is_refused_then_read_with_crs(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "shp", buildings_frame(3), prj=False)
    with pytest.raises(CRSError) as info:
        read_vector(shp)
    assert re.search(
        r"has no coordinate reference system; fix: pass crs='4326'", message(info.value)
    )
    gdf = read_vector(shp, crs="4326")
    assert len(gdf) == 3 and gdf.crs.to_epsg() == 4326


def test_csv_without_crs_is_refused_then_read_with_crs(tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text(f"name,lon,lat\nA,{LON0},{LAT0}\n", encoding="utf-8")
    with pytest.raises(CRSError, match="no coordinate reference system") as info:
        read_vector(path)
    assert "gcj02" in info.value.user_message()
    gdf = read_vector(path, crs="EPSG:4490")
    assert gdf.geometry.iloc[0].equals_exact(Point(LON0, LAT0), 1e-6)


def test_unknown_crs_option_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text(f"lon,lat\n{LON0},{LAT0}\n", encoding="utf-8")
    with pytest.raises(CRSError, match="unknown CRS 'wgs99'"):
        read_vector(path, crs="wgs99")


def test_gcj02_option_shifts_back_to_wgs84(tmp_path: Path) -> None:
    gx, gy = wgs84_to_gcj02(LON0, LAT0)
    path = tmp_path / "amap.csv"
    path.write_text(f"名称,经度,纬度\n天安门,{float(gx)!r},{float(gy)!r}\n", encoding="utf-8")
    gdf = read_vector(path, crs="gcj02")
    pt = gdf.geometry.iloc[0]
    assert abs(pt.x - LON0) < 1e-8 and abs(pt.y - LAT0) < 1e-8
    assert gdf["名称"].iloc[0] == "天安门"


def test_crs_option_overriding_file_crs_warns(tmp_path: Path) -> None:
    path = tmp_path / "b.gpkg"
    buildings_frame(2).to_file(path, driver="GPKG")
    with pytest.warns(GridmapWarning, match="the file says EPSG:4326; reading it as EPSG:4490"):
        read_vector(path, crs="4490")


# --- implausible coordinates --------------------------------------------------------


def test_latitude_above_90_from_swapped_axes(tmp_path: Path) -> None:
    feats = [feature(square(LAT0, LON0), name="swapped")]
    path = write_geojson_features(tmp_path / "swap.geojson", feats)
    with pytest.raises(CRSError, match=r"feature 1: latitude and longitude seem swapped"):
        read_vector(path)


def test_one_swapped_feature_among_good_ones(tmp_path: Path) -> None:
    feats = [feature(square(LON0 + i * 0.001, LAT0)) for i in range(4)]
    feats.append(feature(square(LAT0, 80.0)))  # lat 80 is valid, but (80, 39.9) is in China
    path = write_geojson_features(tmp_path / "swap1.geojson", feats)
    with pytest.raises(CRSError, match=r"feature 5: latitude and longitude seem swapped"):
        read_vector(path)


def test_metres_labelled_as_degrees(tmp_path: Path) -> None:
    feats = [feature(square(448_000.0, 4_418_000.0, 20.0))]
    path = write_geojson_features(tmp_path / "metres.geojson", feats)
    with pytest.raises(CRSError, match=r"look like metres, but the CRS EPSG:4326 is in degrees"):
        read_vector(path)


def test_metres_file_read_with_the_right_crs(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "s", buildings_frame(2).to_crs(32650), prj=False)
    gdf = read_vector(shp, crs="32650")
    assert np.allclose(gdf.total_bounds, buildings_frame(2).total_bounds, atol=1e-7)


def test_degrees_labelled_as_projected(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "s", buildings_frame(2).set_crs(32650, allow_override=True))
    with pytest.raises(CRSError, match=r"look like degrees, but the CRS EPSG:32650 is projected"):
        read_vector(shp)


def test_coordinates_outside_the_crs_area(tmp_path: Path) -> None:
    # Beijing coordinates in UTM zone 50N read as Lambert-93 (France)
    shp = write_shapefile(tmp_path / "s", buildings_frame(2).to_crs(32650), prj=False)
    with pytest.raises(CRSError, match=r"lie outside the area where EPSG:2154 is valid"):
        read_vector(shp, crs="2154")


def test_data_outside_china_warn(tmp_path: Path) -> None:
    feats = [feature(square(2.35, 48.85), name="Paris")]
    path = write_geojson_features(tmp_path / "paris.geojson", feats)
    with pytest.warns(GridmapWarning, match="outside China"):
        gdf = read_vector(path)
    assert len(gdf) == 1


def test_one_feature_far_outside_china_is_an_error(tmp_path: Path) -> None:
    feats = [feature(square(LON0 + i * 0.001, LAT0)) for i in range(3)]
    feats.insert(1, feature(square(-74.0, 40.7)))
    path = write_geojson_features(tmp_path / "stray.geojson", feats)
    with pytest.raises(CRSError, match=r"feature 2 lies far outside China while the other 3"):
        read_vector(path)


# --- geometry clean-up --------------------------------------------------------------


def test_invalid_geometries_repaired_with_count(tmp_path: Path) -> None:
    x, y = LON0, LAT0
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 0.001, y + 0.001], [x + 0.001, y], [x, y + 0.001], [x, y]]],
    }
    feats = [feature(square(x + 0.01, y)), feature(bowtie), feature(bowtie)]
    path = write_geojson_features(tmp_path / "bowtie.geojson", feats)
    with pytest.warns(GridmapWarning, match=r"repaired 2 invalid geometries .*features 2, 3"):
        gdf = read_vector(path)
    assert gdf.is_valid.all() and len(gdf) == 3
    assert gdf.geometry.iloc[1].area == pytest.approx(0.001**2 / 2)


def test_null_and_empty_geometries_dropped_and_named(tmp_path: Path) -> None:
    feats = [
        feature(square(LON0, LAT0), name="ok1"),
        feature(None, name="null"),
        feature({"type": "Polygon", "coordinates": []}, name="empty"),
        feature(square(LON0 + 0.001, LAT0), name="ok2"),
    ]
    path = write_geojson_features(tmp_path / "holes.geojson", feats)
    with pytest.warns(GridmapWarning) as record:
        gdf = read_vector(path)
    text = " ".join(str(w.message) for w in record)
    assert "dropped 2 feature(s) of 4" in text
    assert "feature 2 (no geometry)" in text
    assert "feature 3 (empty geometry)" in text
    assert list(gdf["name"]) == ["ok1", "ok2"]


def test_3d_coordinates_dropped_to_2d(tmp_path: Path) -> None:
    ring = [[LON0, LAT0, 30], [LON0 + 1e-3, LAT0, 30], [LON0 + 1e-3, LAT0 + 1e-3, 30]]
    ring.append(ring[0])
    path = write_geojson_features(
        tmp_path / "z.geojson", [feature({"type": "Polygon", "coordinates": [ring]})]
    )
    with pytest.warns(GridmapWarning, match=r"1 feature\(s\) had 3D coordinates"):
        gdf = read_vector(path)
    assert not shapely.has_z(gdf.geometry.to_numpy()).any()


def test_no_usable_feature_is_an_error(tmp_path: Path) -> None:
    path = write_geojson_features(tmp_path / "none.geojson", [feature(None), feature(None)])
    with (
        pytest.raises(InputError, match="none of the features has a usable geometry"),
        pytest.warns(GridmapWarning, match="features 1, 2 \\(no geometry\\)"),
    ):
        read_vector(path)


# --- encodings ------------------------------------------------------------------------


@pytest.mark.parametrize("cpg", ["GBK", "936", None])
def test_gbk_shapefile_decoded(tmp_path: Path, cpg: str | None) -> None:
    shp = write_shapefile(tmp_path / "s", buildings_frame(5), encoding="GBK", cpg=cpg)
    if cpg is None:
        # No .cpg and the DBF language byte says nothing: decoded, with a warning.
        with pytest.warns(GridmapWarning, match="no .cpg file; attribute text decoded as GBK"):
            gdf = read_vector(shp)
    else:
        gdf = read_vector(shp)
    assert list(gdf["name"]) == NAMES


def test_gbk_shapefile_in_zip_decoded(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    write_shapefile(folder, buildings_frame(5), name="楼栋", encoding="GBK", cpg="GBK")
    archive = zip_folder(folder, tmp_path / "gbk.zip", prefix="data/")
    gdf = read_vector(archive)
    assert list(gdf["name"]) == NAMES


def test_gbk_csv_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    rows = "\n".join(f"{n},{LON0 + i * 1e-3},{LAT0}" for i, n in enumerate(NAMES))
    path.write_bytes(f"名称,经度,纬度\n{rows}\n".encode("gbk"))
    gdf = read_vector(path, crs="4326")
    assert list(gdf["名称"]) == NAMES


def test_utf8_bom_csv_with_wkt(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    wkt = box(LON0, LAT0, LON0 + 1e-3, LAT0 + 1e-3).wkt
    path.write_bytes(f'name,WKT,户数\n光明楼,"{wkt}",120\n'.encode("utf-8-sig"))
    gdf = read_vector(path, crs="4326")
    assert list(gdf.columns) == ["name", "户数", "geometry"]
    assert gdf["name"].iloc[0] == "光明楼" and gdf["户数"].iloc[0] == 120


def test_csv_bad_rows_dropped_with_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        f"id,lon,lat\n001,{LON0},{LAT0}\n002,abc,{LAT0}\n003,,\n004,{LON0},{LAT0 + 1e-3}\n",
        encoding="utf-8",
    )
    with pytest.warns(GridmapWarning) as record:
        gdf = read_vector(path, crs="4326")
    text = " ".join(str(w.message) for w in record)
    assert "row 3 (unreadable geometry)" in text and "row 4 (no geometry)" in text
    assert list(gdf["id"]) == ["001", "004"]  # leading zeros kept as text


def test_csv_without_geometry_columns(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("name,households\nA,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="no geometry column: found name, households"):
        read_vector(path, crs="4326")


def test_gbk_geojson_transcoded_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "gbk.geojson"
    text = json.dumps(
        {"type": "FeatureCollection", "features": [feature(square(LON0, LAT0), name="光明楼")]},
        ensure_ascii=False,
    )
    path.write_bytes(text.encode("gbk"))
    with pytest.warns(GridmapWarning, match="GeoJSON is not UTF-8"):
        gdf = read_vector(path)
    assert gdf["name"].iloc[0] == "光明楼"


# --- layers, KML, zip choice --------------------------------------------------------------


def test_multi_layer_gpkg_needs_layer(tmp_path: Path) -> None:
    path = tmp_path / "multi.gpkg"
    buildings_frame(2).to_file(path, layer="楼栋", driver="GPKG")
    buildings_frame(3).to_file(path, layer="roads_2020", driver="GPKG")
    with pytest.raises(InputError) as info:
        read_vector(path)
    assert re.search(r"has 2 layers: 楼栋, roads_2020; fix: .*--layer NAME", message(info.value))
    assert len(read_vector(path, layer="roads_2020")) == 3
    with pytest.raises(InputError, match=r"no layer 'nope'; the layers are 楼栋, roads_2020"):
        read_vector(path, layer="nope")


def test_kml_read(tmp_path: Path) -> None:
    path = tmp_path / "b.kml"
    buildings_frame(2)[["name", "geometry"]].rename(columns={"name": "Name"}).to_file(
        path, driver="KML"
    )
    gdf = read_vector(path)
    assert list(gdf["Name"]) == NAMES[:2]


def test_zip_with_two_datasets_needs_layer(tmp_path: Path) -> None:
    folder = tmp_path / "two"
    write_shapefile(folder, buildings_frame(2), name="a")
    write_shapefile(folder, buildings_frame(3), name="b")
    archive = zip_folder(folder, tmp_path / "two.zip")
    with pytest.raises(InputError, match=r"several data sets: a.shp, b.shp"):
        read_vector(archive)
    assert len(read_vector(archive, layer="b")) == 3


def test_missing_dbf_is_named(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "s", buildings_frame(2))
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(InputError, match=r"the .dbf file of the Shapefile is missing"):
        read_vector(shp)


def test_osm_file_is_sent_to_the_osm_reader(tmp_path: Path) -> None:
    path = tmp_path / "a.osm"
    path.write_text('<?xml version="1.0"?><osm version="0.6"></osm>', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_vector(path)
    assert re.search("osm files are not read here; fix: .*gridmap import", message(info.value))


def test_large_feature_count_reads(tmp_path: Path) -> None:
    from fixtures_io import many_boxes

    path = tmp_path / "many.gpkg"
    pyogrio.write_dataframe(many_boxes(200_000), path, driver="GPKG")
    gdf = read_vector(path)
    assert len(gdf) == 200_000
    assert isinstance(gdf, gpd.GeoDataFrame)


# --- Chinese messages -------------------------------------------------------------------


def test_crs_errors_read_in_chinese(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "shp", buildings_frame(3), prj=False)
    with pytest.raises(CRSError) as info:
        read_vector(shp)
    chinese = info.value.user_message("zh")
    assert f"{shp}：文件没有坐标系；解决办法：传入 crs='4326'（GPS/WGS84）" in chinese
    assert "no coordinate" not in chinese
    feats = [feature(square(LON0 + i * 0.001, LAT0)) for i in range(3)]
    feats.insert(1, feature(square(-74.0, 40.7)))
    path = write_geojson_features(tmp_path / "stray.geojson", feats)
    with pytest.raises(CRSError) as stray:
        read_vector(path)
    assert "要素 2远在中国境外，而其余 3 个要素都在境内" in stray.value.user_message("zh")


def test_dropped_features_warning_reads_in_chinese(tmp_path: Path) -> None:
    feats = [
        feature(square(LON0, LAT0)),
        feature(None),
        feature(None),
        feature({"type": "Polygon", "coordinates": []}),
    ]
    path = write_geojson_features(tmp_path / "holes.geojson", feats)
    with pytest.warns(GridmapWarning) as record:
        read_vector(path)
    (warning,) = [w.message for w in record if isinstance(w.message, GridmapWarning)]
    assert warning.msg is not None and warning.msg.key == "io.dropped_features"
    assert warning.line("zh") == (
        f"{path}：已舍弃 3 个要素（共 4 个）：要素 2、3（无几何）；要素 4（几何为空）"
    )
    assert str(warning) == (
        f"{path}: dropped 3 feature(s) of 4: features 2, 3 (no geometry); "
        "feature 4 (empty geometry)"
    )


def test_feature_and_row_lists_in_both_languages() -> None:
    many = _name_list([f"feature {i}" for i in range(1, 13)])
    assert format(many) == "features 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
    assert format(many, "zh") == "要素 1、2、3、4、5、6、7、8、9、10 及另外 2 个"
    rows = _name_list(["row 2", "row 4"])
    assert (format(rows), format(rows, "zh")) == ("rows 2, 4", "第 2、4 行")
    assert format(_name_list(["row 7"]), "zh") == "第 7 行"


def _sample(spec: str, conversion: str | None) -> object:
    """A value that fits a template field: a list part for ``:zh``, a number for ``:,``."""
    if spec == "zh":
        return Joined(["a", "b"])
    if spec:
        return 1234.5
    return "x" if conversion is None else "'x'"


def test_every_io_message_renders_in_both_languages() -> None:
    keys = [key for key in CATALOGUE if key.startswith("io.")]
    assert len(keys) > 100
    for key in keys:
        entry = CATALOGUE[key]
        values: dict[str, object] = {}
        for template in (entry.zh, entry.fix_zh, entry.en, entry.fix_en):
            for _, name, spec, conversion in string.Formatter().parse(template or ""):
                if name and name not in values:
                    values[name] = _sample(spec or "", conversion)
        rendered = msg(key, **values)
        english, chinese = rendered.line("en"), rendered.line("zh")
        assert english and chinese != english, key
        if any(isinstance(v, Joined) for v in values.values()):
            assert "a、b" in chinese and "a, b" in english, key
