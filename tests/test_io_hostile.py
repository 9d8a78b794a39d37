"""Hostile and oversized inputs: nothing is read, and the message says why."""

from __future__ import annotations

import bz2
import sqlite3
from pathlib import Path

import pyogrio
import pytest
from fixtures_io import (
    LAT0,
    LON0,
    VRT_TEXT,
    big_polygon,
    buildings_frame,
    feature,
    geojson_text,
    message,
    square,
    write_geojson_features,
    write_shapefile,
    zip_bomb,
    zip_entries,
    zip_folder,
    zip_with_symlink,
)

import gridmap.io  # noqa: F401  (configures GDAL)
from gridmap import settings
from gridmap.errors import HostileInputError, InputError
from gridmap.io import read_osm_path_check, read_vector
from gridmap.io.safety import allowed_drivers


def _refused(path: Path | str, pattern: str, **kwargs: str) -> str:
    with pytest.raises(HostileInputError) as info:
        read_vector(path, **kwargs)
    text = message(info.value)
    assert pattern in text, text
    return text


def test_gdal_itself_cannot_open_a_vrt(tmp_path: Path) -> None:
    # Defence in depth: even a path that skipped gridmap's checks finds no VRT driver.
    path = tmp_path / "x.vrt"
    path.write_text(VRT_TEXT, encoding="utf-8")
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_info(path)


def test_gdal_keeps_only_allowed_drivers() -> None:
    drivers = set(pyogrio.list_drivers())
    for name in ("OGR_VRT", "GDALG", "WFS", "OAPIF", "HTTP", "CSW", "SQLite", "XLSX", "GML"):
        assert name not in drivers
    assert drivers <= set(allowed_drivers()) | {"MapInfo File"}
    assert {"GeoJSON", "GPKG", "ESRI Shapefile", "KML"} <= drivers
    assert pyogrio.get_gdal_config_option("CPL_VSIL_CURL_ALLOWED_EXTENSIONS") == (
        ".gridmap-no-network"
    )


def test_vrt_disguised_as_geojson(tmp_path: Path) -> None:
    path = tmp_path / "innocent.geojson"
    path.write_text(VRT_TEXT, encoding="utf-8")
    _refused(path, "is a GDAL VRT, which can make GDAL read other files or URLs; refused")


def test_vrt_with_bom_and_comment_disguised_as_kml(tmp_path: Path) -> None:
    path = tmp_path / "map.kml"
    path.write_bytes(b"\xef\xbb\xbf<!-- hi -->\n" + VRT_TEXT.encode())
    _refused(path, "is a GDAL VRT")


def test_vrt_inside_zip(tmp_path: Path) -> None:
    archive = zip_entries(tmp_path / "a.zip", {"layer.vrt": VRT_TEXT, "x.geojson": "{}"})
    _refused(archive, "zip entry 'layer.vrt' is a GDAL VRT; refused")


def test_vrt_renamed_geojson_inside_zip(tmp_path: Path) -> None:
    archive = zip_entries(tmp_path / "a.zip", {"data/b.geojson": VRT_TEXT})
    _refused(archive, "is a GDAL VRT")


def test_nested_archive_refused(tmp_path: Path) -> None:
    inner = zip_entries(tmp_path / "inner.zip", {"x.geojson": "{}"})
    archive = zip_entries(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes()})
    _refused(archive, "'inner.zip' is a nested archive")


@pytest.mark.parametrize("name", ["../evil.geojson", "a/../../evil.geojson", "/etc/evil.geojson"])
def test_zip_path_traversal(tmp_path: Path, name: str) -> None:
    body = geojson_text([feature(square(LON0, LAT0))])
    archive = zip_entries(tmp_path / "t.zip", {name: body})
    _refused(archive, "points outside the archive (path traversal)")
    assert not (tmp_path / "evil.geojson").exists()


def test_zip_symlink(tmp_path: Path) -> None:
    archive = zip_with_symlink(tmp_path / "s.zip", "data.geojson", "/etc/passwd")
    _refused(archive, "entry 'data.geojson' is a symbolic link")


def test_zip_bomb_ratio(tmp_path: Path) -> None:
    archive = zip_bomb(tmp_path / "bomb.zip", megabytes=8)
    text = _refused(archive, "above the ratio limit of 200 (zip bomb?)")
    assert "expands" in text


def test_zip_total_uncompressed_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "MAX_UNCOMPRESSED_BYTES", 1000)
    folder = tmp_path / "s"
    write_shapefile(folder, buildings_frame(40))
    archive = zip_folder(folder, tmp_path / "big.zip")
    _refused(archive, "expands to more than 1,000 bytes (zip bomb?)")


def test_zip_too_many_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "MAX_ZIP_ENTRIES", 3)
    archive = zip_entries(tmp_path / "n.zip", {f"f{i}.txt": "x" for i in range(5)})
    _refused(archive, "has 5 entries, above the limit of 3")


def test_oversize_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "b.geojson"
    buildings_frame(5).to_file(path, driver="GeoJSON")
    monkeypatch.setattr(settings, "MAX_FILE_BYTES", 100)
    _refused(path, "above the limit of 100 bytes")


def test_too_many_features(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "b.gpkg"
    buildings_frame(12).to_file(path, driver="GPKG")
    monkeypatch.setattr(settings, "MAX_FEATURES", 10)
    _refused(path, "12 features, above the limit of 10")


def test_million_vertex_polygon_reads_or_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geopandas as gpd

    path = tmp_path / "huge.gpkg"
    poly = big_polygon(1_000_000)
    gpd.GeoDataFrame({"name": ["big"]}, geometry=[poly], crs=4326).to_file(path, driver="GPKG")
    gdf = read_vector(path)
    assert len(gdf.geometry.iloc[0].exterior.coords) == 1_000_001
    monkeypatch.setattr(settings, "MAX_VERTICES", 500_000)
    _refused(path, "more than 500,000 vertices")


def test_vsi_and_url_paths_refused() -> None:
    with pytest.raises(HostileInputError, match="GDAL virtual path"):
        read_vector("/vsizip//tmp/a.zip/x.shp")
    with pytest.raises(HostileInputError, match="a URL or driver-prefixed path"):
        read_vector("https://example.com/a.geojson")
    with pytest.raises(HostileInputError, match="a URL or driver-prefixed path"):
        read_vector("GPKG:/tmp/a.gpkg:layer")


def test_sqlite_that_is_not_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a)")
    con.commit()
    con.close()
    _refused(path, "a SQLite database that is not a GeoPackage; refused")


def test_geopackage_with_foreign_virtual_table(tmp_path: Path) -> None:
    path = tmp_path / "v.gpkg"
    buildings_frame(2).to_file(path, driver="GPKG")
    con = sqlite3.connect(path)
    con.execute("PRAGMA writable_schema=ON")
    con.execute(
        "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES "
        "('table', 'leak', 'leak', 0, "
        "'CREATE VIRTUAL TABLE leak USING VirtualOGR(''/etc/passwd'')')"
    )
    con.commit()
    con.close()
    _refused(path, "GeoPackage table 'leak' is a virtual table (VirtualOGR); refused")


def test_name_and_content_disagree(tmp_path: Path) -> None:
    path = tmp_path / "b.geojson"
    buildings_frame(2).to_file(tmp_path / "b.gpkg", driver="GPKG")
    (tmp_path / "b.gpkg").rename(path)
    _refused(path, "the name says geojson but the content is gpkg; refused")


def test_xml_with_doctype_refused(tmp_path: Path) -> None:
    path = tmp_path / "lol.kml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><kml>&lol;</kml>',
        encoding="utf-8",
    )
    _refused(path, "XML with a DOCTYPE/ENTITY declaration (entity expansion); refused")


def test_kml_network_link_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><NetworkLink><Link>'
        "<href>http://example.com/x.kml</href></Link></NetworkLink></kml>",
        encoding="utf-8",
    )
    _refused(path, "KML with a NetworkLink")


def test_empty_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "e.geojson"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        read_vector(empty)
    binary = tmp_path / "b.dat"
    binary.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(InputError, match="binary file of an unknown format"):
        read_vector(binary)


def test_broken_geojson_is_an_input_error(tmp_path: Path) -> None:
    path = write_geojson_features(tmp_path / "ok.geojson", [feature(square(LON0, LAT0))])
    path.write_text(path.read_text()[:-20], encoding="utf-8")
    with pytest.raises(InputError, match="not a readable file"):
        read_vector(path)


def test_damaged_shapefile_loses_no_feature_silently(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "s", buildings_frame(3))
    dbf = shp.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:-40])  # last record cut short
    with pytest.raises(InputError) as info:
        read_vector(shp)
    assert "the file is damaged: reading stopped after feature 2 of 3" in message(info.value)


# --- OSM file checks -------------------------------------------------------------------


def _osm_xml() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        + b'<node id="1" lat="39.9" lon="116.4"/>\n' * 2000
        + b"</osm>\n"
    )


def test_osm_checks_accept_xml_and_bz2(tmp_path: Path) -> None:
    plain = tmp_path / "a.osm"
    plain.write_bytes(_osm_xml())
    assert read_osm_path_check(plain) == plain.resolve()
    packed = tmp_path / "a.osm.bz2"
    packed.write_bytes(bz2.compress(_osm_xml()))
    assert read_osm_path_check(packed) == packed.resolve()


def test_osm_bz2_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packed = tmp_path / "bomb.osm.bz2"
    packed.write_bytes(bz2.compress(_osm_xml()))
    monkeypatch.setattr(settings, "MAX_UNCOMPRESSED_BYTES", 10_000)
    with pytest.raises(HostileInputError, match="decompresses to more than 10,000 bytes"):
        read_osm_path_check(packed)


def test_osm_checks_refuse_other_content(tmp_path: Path) -> None:
    fake = tmp_path / "x.osm.pbf"
    fake.write_text(VRT_TEXT, encoding="utf-8")
    with pytest.raises(HostileInputError, match="is a GDAL VRT"):
        read_osm_path_check(fake)
    doc = tmp_path / "y.osm"
    doc.write_text('<?xml version="1.0"?><!DOCTYPE osm SYSTEM "x"><osm/>', encoding="utf-8")
    with pytest.raises(HostileInputError, match="DOCTYPE"):
        read_osm_path_check(doc)
    gj = tmp_path / "z.geojson"
    gj.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="not an OpenStreetMap file"):
        read_osm_path_check(gj)


def test_real_osm_extracts_pass(osm_file: Path) -> None:
    assert read_osm_path_check(osm_file) == osm_file.resolve()


def test_truncated_osm_bz2_is_named(tmp_path: Path) -> None:
    packed = tmp_path / "cut.osm.bz2"
    packed.write_bytes(bz2.compress(_osm_xml())[:-40])
    with pytest.raises(InputError) as info:
        read_osm_path_check(packed)
    assert "not a readable bz2 file (the bz2 stream ends early); fix: re-download it" in message(
        info.value
    )
    assert "无法读取的 bz2 文件（数据流提前结束）" in info.value.user_message("zh")


# --- Chinese messages -------------------------------------------------------------------


def test_refusals_read_in_chinese(tmp_path: Path) -> None:
    archive = zip_bomb(tmp_path / "bomb.zip", megabytes=8)
    with pytest.raises(HostileInputError) as bomb:
        read_vector(archive)
    chinese = bomb.value.user_message("zh")
    assert "zip 压缩包中的条目" in chinese and "超过压缩比上限 200（疑似 zip 炸弹）" in chinese
    assert "解决办法：发送未压缩的文件" in chinese
    with pytest.raises(HostileInputError) as vsi:
        read_vector("/vsizip//tmp/a.zip/x.shp")
    assert "输入文件是 GDAL 虚拟路径" in vsi.value.user_message("zh")
    with pytest.raises(HostileInputError) as url:
        read_osm_path_check("https://example.com/a.osm")
    assert "OSM 文件是网址或带驱动前缀的路径" in url.value.user_message("zh")
