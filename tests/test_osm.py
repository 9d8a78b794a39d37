"""gridmap.osm: reading OSM extracts into buildings, compounds, communities, lots, roads.

Real data: the extracts in ../shared/osm (through the ``osm_file`` fixture, parsed
once per session). Small generated files (written into ``tmp_path``) check each
rule exactly: tag versus estimated sources, nesting, file formats, bad input.
"""

from __future__ import annotations

import bz2
import math
import re
import warnings
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from gridmap import settings
from gridmap.errors import GridmapWarning, InputError
from gridmap.osm import (
    BUILDING_COLUMNS,
    COMMUNITY_COLUMNS,
    COMPOUND_COLUMNS,
    LOT_COLUMNS,
    ROAD_COLUMNS,
    _overpass_query,
    classify_use,
    estimates_report,
    fetch_osm,
    read_osm,
    site_use,
)
from gridmap.schema import (
    BUILDING_USES,
    LOT_KINDS,
    validate_buildings,
    validate_communities,
    validate_compounds,
    validate_lots,
)

# --- Generated fixtures ------------------------------------------------------------
ORIGIN_LON, ORIGIN_LAT = 116.35, 40.0
M_PER_DEG_LAT = 111_320.0


class OsmBuilder:
    """Writes tiny OSM files; shapes are given in metres east/north of ORIGIN."""

    def __init__(self) -> None:
        self.nodes: list[tuple[int, float, float, dict[str, str]]] = []
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []
        self.relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        lat = ORIGIN_LAT + y / M_PER_DEG_LAT
        lon = ORIGIN_LON + x / (M_PER_DEG_LAT * math.cos(math.radians(ORIGIN_LAT)))
        ref = len(self.nodes) + 1
        self.nodes.append((ref, lon, lat, tags or {}))
        return ref

    def way(self, refs: list[int], tags: dict[str, str] | None = None) -> int:
        ref = len(self.ways) + 1
        self.ways.append((ref, refs, tags or {}))
        return ref

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, tags: dict[str, str] | None = None
    ) -> int:
        corners = [self.node(x0, y0), self.node(x1, y0), self.node(x1, y1), self.node(x0, y1)]
        return self.way([*corners, corners[0]], tags)

    def relation(self, members: list[tuple[str, int, str]], tags: dict[str, str]) -> int:
        ref = len(self.relations) + 1
        self.relations.append((ref, members, tags))
        return ref

    def xml(self) -> str:
        def tag_lines(tags: dict[str, str]) -> str:
            return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())

        lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
        for ref, lon, lat, tags in self.nodes:
            lines.append(
                f'<node id="{ref}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">'
                f"{tag_lines(tags)}</node>"
            )
        for ref, refs, tags in self.ways:
            nds = "".join(f'<nd ref="{n}"/>' for n in refs)
            lines.append(f'<way id="{ref}" version="1">{nds}{tag_lines(tags)}</way>')
        for ref, members, tags in self.relations:
            mem = "".join(
                f'<member type="{kind}" ref="{r}" role="{role}"/>' for kind, r, role in members
            )
            lines.append(f'<relation id="{ref}" version="1">{mem}{tag_lines(tags)}</relation>')
        lines.append("</osm>")
        return "\n".join(lines)

    def write(self, path: Path) -> Path:
        """Write ``path`` as .osm, .osm.bz2 or .pbf (chosen by its name)."""
        text = self.xml().encode("utf-8")
        if path.name.endswith(".osm.bz2"):
            path.write_bytes(bz2.compress(text))
        elif path.name.endswith(".pbf"):
            xml_path = path.with_name(path.name + ".source.osm")
            xml_path.write_bytes(text)
            with osmium.SimpleWriter(str(path)) as writer:
                for obj in osmium.FileProcessor(str(xml_path)):
                    writer.add(obj)
        else:
            path.write_bytes(text)
        return path


def neighbourhood() -> OsmBuilder:
    """A small neighbourhood that exercises every rule once.

    Inner compound 'B' (named) nested in outer compound 'A' (unnamed); a
    community boundary relation around everything; buildings with levels,
    flats and height tags; car parks with and without capacity; a
    multipolygon building with a courtyard; a road.
    """
    b = OsmBuilder()
    outer = b.rect(0, 0, 400, 300, {"landuse": "residential"})  # w1
    inner = b.rect(20, 20, 180, 280, {"landuse": "residential", "name": "测试小区"})  # w2
    # w3: tags give levels and flats
    b.rect(
        40, 40, 80, 60, {"building": "apartments", "building:levels": "12", "building:flats": "96"}
    )
    # w4: height only
    b.rect(40, 100, 80, 120, {"building": "residential", "height": "30 m"})
    # w5: nothing but building=yes, inside the inner compound
    b.rect(40, 160, 80, 180, {"building": "yes"})
    # w6: building=yes in the outer compound only
    b.rect(250, 40, 290, 60, {"building": "yes"})
    # w7: residential with a shop: mixed
    b.rect(250, 100, 290, 120, {"building": "residential", "shop": "convenience"})
    # w8: a school
    b.rect(250, 160, 290, 180, {"building": "school"})
    # w9: parking with capacity in the inner compound
    b.rect(100, 200, 140, 230, {"amenity": "parking", "capacity": "50"})
    # outside the compounds (x > 400)
    b.rect(500, 40, 540, 80, {"building": "yes", "office": "company"})  # w10
    b.rect(545, 40, 585, 70, {"amenity": "parking"})  # w11, 1200 m2 surface
    b.rect(
        500,
        150,
        540,
        180,
        {"amenity": "parking", "parking": "multi-storey", "building:levels": "3"},
    )  # w12
    b.rect(600, 200, 640, 240, {"building": "yes"})  # w13: other
    b.node(1000, 1000, {"amenity": "parking"})  # parking node far from everything
    # r1: a building with a courtyard
    shell = b.rect(700, 0, 760, 60)  # w14
    yard = b.rect(720, 20, 740, 40)  # w15
    b.relation(
        [("w", shell, "outer"), ("w", yard, "inner")],
        {"type": "multipolygon", "building": "commercial", "name": "商场"},
    )
    # r2: community boundary around all of it
    line = b.rect(-50, -50, 1100, 1100)  # w16 (untagged ring)
    b.relation(
        [("w", line, "outer")],
        {"type": "boundary", "boundary": "administrative", "admin_level": "10", "name": "测试社区"},
    )
    b.way([b.node(-40, -40), b.node(1090, -40)], {"highway": "residential", "name": "测试路"})
    assert (outer, inner) == (1, 2)
    return b


def layers_of(path: Path, **kwargs: Any) -> dict[str, gpd.GeoDataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_osm(path, **kwargs)


@pytest.fixture
def small(tmp_path: Path) -> dict[str, gpd.GeoDataFrame]:
    return layers_of(neighbourhood().write(tmp_path / "small.osm"))


def row(frame: pd.DataFrame, column: str, value: str) -> pd.Series:
    hits = frame[frame[column] == value]
    assert len(hits) == 1, f"{column}={value}: {len(hits)} rows"
    return hits.iloc[0]


# --- Tag versus estimate, exactly ------------------------------------------------
def test_levels_and_households_from_tags(small: dict[str, gpd.GeoDataFrame]) -> None:
    b = small["buildings"]
    w3 = row(b, "building_id", "osm-w3")
    assert (w3["levels"], w3["levels_source"]) == (12, "tag")
    assert (w3["households"], w3["households_source"]) == (96, "tag")
    assert (w3["use"], w3["use_source"]) == ("residential", "tag")
    w4 = row(b, "building_id", "osm-w4")
    assert (w4["levels"], w4["levels_source"]) == (10, "tag")  # 30 m / 3 m per storey
    assert w4["households_source"] == "estimated"
    expected = math.floor(
        w4["footprint_m2"] * 10 * settings.USABLE_SHARE / settings.MEAN_FLAT_SIZE_M2
    )
    assert abs(w4["households"] - expected) <= 1


def test_estimates_without_tags(small: dict[str, gpd.GeoDataFrame]) -> None:
    b = small["buildings"]
    w5 = row(b, "building_id", "osm-w5")  # building=yes inside a compound
    assert (w5["use"], w5["use_source"]) == ("residential", "estimated")
    assert w5["levels_source"] == "estimated"
    assert w5["levels"] == settings.DEFAULT_LEVELS["residential"]  # a plain "yes" takes its use
    assert w5["households"] > 0 and w5["households_source"] == "estimated"
    assert abs(w5["footprint_m2"] - 800) < 5  # 40 m x 20 m
    w13 = row(b, "building_id", "osm-w13")  # building=yes outside any compound
    assert (w13["use"], w13["use_source"], w13["households"]) == ("other", "estimated", 0)


def test_uses_from_tags(small: dict[str, gpd.GeoDataFrame]) -> None:
    uses = small["buildings"].set_index("building_id")["use"]
    assert uses["osm-w7"] == "mixed"
    assert uses["osm-w8"] == "public"
    assert uses["osm-w10"] == "office"
    assert uses["osm-r1"] == "commercial"
    assert set(uses) <= set(BUILDING_USES)


@pytest.mark.parametrize(
    ("tags", "site", "expected"),
    [
        ({"building": "apartments"}, None, ("residential", "tag")),
        ({"building": "dormitory"}, "public", ("residential", "tag")),
        ({"building": "yes", "shop": "mall"}, None, ("commercial", "tag")),
        ({"building": "yes", "amenity": "restaurant"}, None, ("commercial", "tag")),
        ({"building": "yes", "office": "research"}, "public", ("office", "tag")),
        ({"building": "office"}, None, ("office", "tag")),
        ({"building": "university"}, None, ("public", "tag")),
        ({"building": "kindergarten"}, "residential", ("public", "tag")),
        ({"building": "yes", "amenity": "hospital"}, None, ("public", "tag")),
        ({"building": "residential", "shop": "bakery"}, None, ("mixed", "tag")),
        ({"building": "yes", "building:flats": "20", "office": "company"}, None, ("mixed", "tag")),
        ({"building": "yes"}, "residential", ("residential", "estimated")),
        ({"building": "yes"}, "public", ("public", "estimated")),
        ({"building": "yes"}, None, ("other", "estimated")),
        ({"building": "industrial"}, "residential", ("other", "tag")),
        ({"building": "yes", "shop": "no"}, None, ("other", "estimated")),
    ],
)
def test_classify_use(tags: dict[str, str], site: str | None, expected: tuple[str, str]) -> None:
    assert classify_use(tags, site_use=site) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"landuse": "residential"}, "residential"),
        ({"place": "neighbourhood", "name": "某小区"}, "residential"),
        ({"name": "幸福小区"}, "residential"),
        ({"place": "neighbourhood"}, None),
        ({"amenity": "university", "name": "中国农业大学"}, "public"),
        ({"amenity": "hospital"}, "public"),
        ({"amenity": "research_institute"}, "office"),
        ({"landuse": "retail"}, "commercial"),
        ({"landuse": "industrial"}, None),
        ({"amenity": "parking", "name": "幸福小区"}, None),
        ({"building": "yes", "amenity": "school"}, None),
    ],
)
def test_site_use(tags: dict[str, str], expected: str | None) -> None:
    assert site_use(tags) == expected


def test_nested_compounds_take_the_smallest(small: dict[str, gpd.GeoDataFrame]) -> None:
    b = small["buildings"].set_index("building_id")
    assert b.loc[["osm-w3", "osm-w4", "osm-w5"], "compound_id"].tolist() == ["osm-w2"] * 3
    assert b.loc[["osm-w6", "osm-w7", "osm-w8"], "compound_id"].tolist() == ["osm-w1"] * 3
    assert b.loc[["osm-w10", "osm-w13", "osm-r1"], "compound_id"].isna().all()
    c = small["compounds"].set_index("compound_id")
    assert c.loc["osm-w2", "name"] == "测试小区"
    assert c.loc["osm-w1", "name"] == "未命名小区 w1"
    for compound_id in ("osm-w1", "osm-w2"):
        members = b[b["compound_id"] == compound_id]
        assert c.loc[compound_id, "households"] == members["households"].sum() > 0
        assert c.loc[compound_id, "n_buildings"] == len(members) == 3
    # inner compound: w3 gives flats by tag, w4 and w5 are estimated
    assert c.loc["osm-w2", "households_source"] == "estimated"


def test_parking_capacity_sources(small: dict[str, gpd.GeoDataFrame]) -> None:
    lots = small["lots"].set_index("lot_id")
    assert list(lots.index) == ["osm-n53", "osm-w9", "osm-w11", "osm-w12"]
    w9 = lots.loc["osm-w9"]
    assert (w9["capacity"], w9["capacity_source"], w9["kind"], w9["owner_id"]) == (
        50,
        "tag",
        "residential",
        "osm-w2",
    )
    w11 = lots.loc["osm-w11"]  # 40 m x 30 m surface lot next to the office building
    assert w11["capacity_source"] == "estimated"
    assert abs(w11["capacity"] - 1200 / settings.AREA_PER_SPACE_M2) <= 1
    assert (w11["kind"], w11["owner_id"]) == ("office", "osm-w10")
    w12 = lots.loc["osm-w12"]  # 40 m x 30 m, three storeys
    assert abs(w12["capacity"] - 3 * 1200 / settings.AREA_PER_SPACE_STRUCTURE_M2) <= 1
    node = lots.loc["osm-n53"]
    assert (node["capacity"], node["capacity_source"]) == (
        settings.DEFAULT_NODE_CAPACITY,
        "estimated",
    )
    assert (node["kind"], node["owner_id"]) == ("public", None)
    assert node.geometry.geom_type == "Point"
    assert (lots["reserved"] == 0).all()
    compounds = small["compounds"].set_index("compound_id")
    # the inner compound's spaces are its tagged lot; the outer has no lot: estimated
    assert (
        compounds.loc["osm-w2", "parking_spaces"],
        compounds.loc["osm-w2", "parking_spaces_source"],
    ) == (
        50,
        "tag",
    )
    outer = compounds.loc["osm-w1"]
    assert outer["parking_spaces_source"] == "estimated"
    assert outer["parking_spaces"] == math.floor(outer["households"] * 0.5)


def test_multipolygon_building_and_community(small: dict[str, gpd.GeoDataFrame]) -> None:
    r1 = row(small["buildings"], "building_id", "osm-r1")
    assert r1.geometry.geom_type == "Polygon" and len(r1.geometry.interiors) == 1
    assert abs(r1["footprint_m2"] - (3600 - 400)) < 20
    communities = small["communities"]
    assert communities[["community_id", "name"]].values.tolist() == [["osm-r2", "测试社区"]]
    assert (small["buildings"]["community_id"] == "osm-r2").all()
    assert (small["compounds"]["community_id"] == "osm-r2").all()
    validate_communities(communities)


def test_roads(small: dict[str, gpd.GeoDataFrame]) -> None:
    roads = small["roads"]
    assert roads[["osm_id", "highway", "name"]].values.tolist() == [
        ["w17", "residential", "测试路"]
    ]
    assert roads.geometry.geom_type.tolist() == ["LineString"]


def test_estimates_report_counts(small: dict[str, gpd.GeoDataFrame]) -> None:
    report = estimates_report(small).set_index(["table", "quantity"])
    assert list(report.columns) == ["from_tags", "estimated", "from_user", "total"]
    assert report.loc[("buildings", "levels")].tolist() == [2, 7, 0, 9]
    assert report.loc[("buildings", "households")].tolist() == [1, 8, 0, 9]
    assert report.loc[("lots", "capacity")].tolist() == [1, 3, 0, 4]
    assert report.loc[("compounds", "parking_spaces")].tolist() == [1, 1, 0, 2]
    # a household register joined later shows up as 'user'
    edited = dict(small)
    edited["buildings"] = small["buildings"].assign(households_source="user")
    assert (
        estimates_report(edited)
        .set_index(["table", "quantity"])
        .loc[("buildings", "households"), "from_user"]
        == 9
    )


def test_schema_and_columns(small: dict[str, gpd.GeoDataFrame]) -> None:
    for name, columns in (
        ("buildings", BUILDING_COLUMNS),
        ("compounds", COMPOUND_COLUMNS),
        ("communities", COMMUNITY_COLUMNS),
        ("lots", LOT_COLUMNS),
        ("roads", ROAD_COLUMNS),
    ):
        assert list(small[name].columns) == [*columns, "geometry"], name
        assert small[name].crs.to_epsg() == 4326
    validate_buildings(small["buildings"])
    validate_compounds(small["compounds"])
    validate_lots(small["lots"])
    assert small["buildings"]["grid_id"].isna().all()


@pytest.mark.parametrize("suffix", [".osm.bz2", ".pbf"])
def test_compressed_and_pbf_read_the_same(tmp_path: Path, suffix: str) -> None:
    builder = neighbourhood()
    plain = layers_of(builder.write(tmp_path / "n.osm"))
    other = layers_of(builder.write(tmp_path / f"n{suffix}"))
    for name in plain:
        assert_geodataframe_equal(plain[name], other[name], check_less_precise=False)


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    layers_of(neighbourhood().write(tmp_path / "n.osm"), progress=lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert all(isinstance(s, str) and s for s, _ in seen)


# --- Features that do not form polygons --------------------------------------------
def test_unassembled_features_are_warned(tmp_path: Path) -> None:
    b = neighbourhood()
    open_way = b.way([b.node(900, 0), b.node(950, 0), b.node(950, 50)], {"building": "yes"})
    # a compound relation whose outer way is not in the extract
    b.relation(
        [("w", 999, "outer")], {"type": "multipolygon", "landuse": "residential", "name": "缺失院"}
    )
    point = b.node(300, 500, {"landuse": "residential", "name": "一个点"})
    path = b.write(tmp_path / "n.osm")
    with pytest.warns(GridmapWarning, match=r"3 OSM feature\(s\)") as record:
        layers = read_osm(path)
    message = str(record[0].message)
    assert f"w{open_way}: the way is not closed" in message
    assert "r3 (缺失院): members missing from the extract" in message
    assert f"n{point} (一个点): a point" in message
    assert len(layers["compounds"]) == 2
    # Each feature's reason is in the language of the whole warning.
    warning = record[0].message
    assert isinstance(warning, GridmapWarning) and warning.msg is not None
    chinese = warning.msg.line("zh")
    assert chinese.startswith("n.osm：3 个标为建筑、小区、社区或停车场的 OSM 要素未能构成多边形")
    assert f"要素 w{open_way}：路径未闭合" in chinese
    assert "要素 r3 (缺失院)：关系成员不在数据范围内" in chinese
    assert f"要素 n{point} (一个点)：是点而不是轮廓" in chinese
    assert not re.search("[a-z]{3,} [a-z]{3,}", chinese), chinese  # no English words left


def test_clean_file_gives_no_warning(tmp_path: Path) -> None:
    layers_of(neighbourhood().write(tmp_path / "n.osm"))  # warnings are errors in layers_of


# --- Bad input ------------------------------------------------------------------
def assert_input_error(path: Path, pattern: str) -> InputError:
    with pytest.raises(InputError, match=pattern) as info:
        read_osm(path)
    assert path.name in info.value.message
    assert info.value.fix
    return info.value


def test_not_an_osm_file(tmp_path: Path) -> None:
    path = tmp_path / "features.osm"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    assert_input_error(path, "the name says osm but the content is geojson")
    other = tmp_path / "track.osm"
    other.write_text('<?xml version="1.0"?><gpx version="1.1"></gpx>', encoding="utf-8")
    assert_input_error(other, "XML document <gpx> is not a format gridmap reads")


def test_truncated_xml(tmp_path: Path) -> None:
    text = neighbourhood().xml()
    path = tmp_path / "cut.osm"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    error = assert_input_error(path, "not a complete OpenStreetMap file .*XML parsing error")
    assert "download the extract again" in (error.fix or "")
    # the same cut inside a sound bz2 stream
    packed = tmp_path / "cut.osm.bz2"
    packed.write_bytes(bz2.compress(text[: len(text) // 2].encode()))
    assert_input_error(packed, "not a complete OpenStreetMap file")


def test_truncated_bz2(tmp_path: Path) -> None:
    data = bz2.compress(neighbourhood().xml().encode())
    path = tmp_path / "cut.osm.bz2"
    path.write_bytes(data[: len(data) // 2])
    assert_input_error(path, "not a readable bz2 file")


def test_empty_extract(tmp_path: Path) -> None:
    b = OsmBuilder()
    b.way([b.node(0, 0), b.node(100, 0)], {"highway": "residential"})
    error = assert_input_error(b.write(tmp_path / "roads_only.osm"), "no building outlines")
    assert "building=" in (error.fix or "")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm"
    path.write_bytes(b"")
    assert_input_error(path, "the file is empty")


def test_missing_file_and_wrong_content(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nothing.osm: no such file"):
        read_osm(tmp_path / "nothing.osm")
    other = tmp_path / "buildings.geojson"
    other.write_text("{}", encoding="utf-8")
    assert_input_error(other, r"not an OpenStreetMap file \(content is geojson\)")


def test_file_named_without_suffix(tmp_path: Path) -> None:
    """An OSM API download is saved as 'map': the format comes from the bytes."""
    builder = neighbourhood()
    plain = layers_of(builder.write(tmp_path / "n.osm"))
    bare = layers_of(builder.write(tmp_path / "map"))
    assert_geodataframe_equal(plain["buildings"], bare["buildings"])


# --- Online fetch: never from a test, and fast to say so ---------------------------
def test_fetch_fails_fast_offline() -> None:
    with pytest.raises(InputError, match="cannot reach OpenStreetMap"):
        fetch_osm(bbox=(116.344, 39.998, 116.360, 40.009))
    with pytest.raises(InputError, match="cannot reach OpenStreetMap"):
        fetch_osm("静淑苑, 海淀区, 北京市")


def test_fetch_fails_fast_with_sockets_disabled(socket_disabled: None) -> None:
    with pytest.raises(InputError, match="cannot reach OpenStreetMap"):
        fetch_osm(bbox=(116.344, 39.998, 116.360, 40.009))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({}, "place name or a bbox"),
        ({"place": "x", "bbox": (0, 0, 1, 1)}, "place name or a bbox"),
        ({"bbox": (116.36, 39.99, 116.34, 40.01)}, "not a lon/lat box"),
        ({"bbox": (39.99, 116.34, 40.01, 116.36)}, "not a lon/lat box"),
        ({"bbox": (1, 2, 3)}, "not four numbers"),
    ],
)
def test_fetch_rejects_bad_requests(kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        fetch_osm(**kwargs)


def test_bad_request_reads_in_chinese() -> None:
    with pytest.raises(InputError) as info:
        fetch_osm(bbox=(116.36, 39.99, 116.34, 40.01))
    assert info.value.user_message("zh") == (
        "bbox (116.36, 39.99, 116.34, 40.01) 不是经纬度范围（须 west < east，south < north）；"
        "解决办法：以度为单位给出 bbox=(west, south, east, north)，"
        "例如 (116.344, 39.998, 116.360, 40.009)"
    )


def test_overpass_query_uses_south_west_north_east() -> None:
    query = _overpass_query((116.344, 39.998, 116.360, 40.009), 10)
    assert query.startswith("[out:xml][timeout:10];")
    assert query.count("(39.998,116.344,40.009,116.36)") == 6
    assert query.endswith("(._;>;);out body qt;")


# --- Real extracts ----------------------------------------------------------------
# Counts of the extracts in ../shared/osm (their README and PROVENANCE.tsv).
EXPECTED: dict[str, dict[str, Any]] = {
    "beijing_haidian_jingshuyuan.osm.bz2": {
        "buildings": 257,
        "compounds": 10,
        "named_compounds": 9,
        "names": {"静淑苑", "富润家园", "双泉嘉苑", "学士居", "石科院生活区"},
        "lots": 19,
        "lot_points": 2,
        "roads": 302,
        "levels_tagged": 6,
        "unassembled": ["r14400092"],
        "commercial_or_office_min": 28,
    }
}
_CACHE: dict[Path, tuple[dict[str, gpd.GeoDataFrame], list[warnings.WarningMessage]]] = {}


def _read_real(path: Path) -> tuple[dict[str, gpd.GeoDataFrame], list[warnings.WarningMessage]]:
    if path not in _CACHE:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layers = read_osm(path)
        _CACHE[path] = (layers, list(caught))
    return _CACHE[path]


@pytest.fixture
def real(osm_file: Path) -> dict[str, gpd.GeoDataFrame]:
    return _read_real(osm_file)[0]


def expected_for(osm_file: Path) -> dict[str, Any]:
    return EXPECTED.get(osm_file.name, {})


def test_real_counts(osm_file: Path, real: dict[str, gpd.GeoDataFrame]) -> None:
    want = expected_for(osm_file)
    assert len(real["buildings"]) == want.get("buildings", len(real["buildings"])) > 0
    assert len(real["lots"]) == want.get("lots", len(real["lots"]))
    assert len(real["roads"]) == want.get("roads", len(real["roads"])) > 0
    compounds = real["compounds"]
    assert len(compounds) == want.get("compounds", len(compounds))
    named = compounds[~compounds["name"].str.startswith("未命名小区")]
    if want:
        assert len(named) == want["named_compounds"]
        assert want["names"] <= set(named["name"])
        assert (real["lots"].geometry.geom_type == "Point").sum() == want["lot_points"]
        uses = real["buildings"]["use"]
        assert uses.isin(["commercial", "office"]).sum() >= want["commercial_or_office_min"]
    assert set(real["lots"]["kind"]) <= set(LOT_KINDS)


def test_real_tables_are_valid(osm_file: Path, real: dict[str, gpd.GeoDataFrame]) -> None:
    for layer in real.values():
        assert layer.crs.to_epsg() == 4326
    buildings = validate_buildings(real["buildings"])
    validate_compounds(real["compounds"])
    validate_lots(real["lots"])
    validate_communities(real["communities"])
    assert list(real["communities"].columns) == [*COMMUNITY_COLUMNS, "geometry"]
    assert buildings["building_id"].str.fullmatch(r"osm-[wr]\d+").all()
    keys = [(i[4], int(i[5:])) for i in buildings["building_id"]]
    assert keys == sorted(keys)
    compound_ids = set(real["compounds"]["compound_id"])
    assert set(buildings["compound_id"].dropna()) <= compound_ids


def test_real_households_are_sane(osm_file: Path, real: dict[str, gpd.GeoDataFrame]) -> None:
    b = real["buildings"]
    homes = b[b["use"] == "residential"]
    sized = homes[homes["footprint_m2"] >= settings.MIN_RESIDENTIAL_FOOTPRINT_M2]
    assert len(sized) > 0
    assert (sized["households"] > 0).all()
    assert b["households"].max() <= settings.MAX_HOUSEHOLDS_PER_BUILDING
    assert (b.loc[~b["use"].isin(["residential", "mixed"]), "households"] == 0).all()
    if expected_for(osm_file):  # 1.35 km x 1.25 km of Beijing
        assert 2_000 <= homes["households"].sum() <= 30_000
    compounds = real["compounds"].set_index("compound_id")
    sums = b.groupby("compound_id")["households"].sum()
    for compound_id, total in sums.items():
        assert compounds.loc[compound_id, "households"] == total


def test_real_estimates_are_flagged(osm_file: Path, real: dict[str, gpd.GeoDataFrame]) -> None:
    report = estimates_report(real).set_index(["table", "quantity"])
    assert (
        report["from_tags"] + report["estimated"] + report["from_user"] == report["total"]
    ).all()
    levels = report.loc[("buildings", "levels")]
    assert levels["estimated"] / levels["total"] >= 0.9  # levels are rarely mapped
    want = expected_for(osm_file)
    if want:
        assert levels["from_tags"] == want["levels_tagged"]
        assert report.loc[("lots", "capacity"), "estimated"] == want["lots"]
        assert report.loc[("buildings", "households"), "estimated"] == want["buildings"]


def test_real_unassembled_relation_is_warned(osm_file: Path) -> None:
    _, caught = _read_real(osm_file)
    assert all(issubclass(w.category, GridmapWarning) for w in caught), [
        str(w.message) for w in caught
    ]
    messages = " ".join(str(w.message) for w in caught)
    for osm_id in expected_for(osm_file).get("unassembled", []):
        assert re.search(rf"\b{osm_id}\b", messages)


def test_real_read_is_deterministic(osm_file: Path, real: dict[str, gpd.GeoDataFrame]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        again = read_osm(osm_file)
    assert list(again) == list(real)
    for name in real:
        assert_geodataframe_equal(real[name], again[name], check_less_precise=False)
    assert np.array_equal(
        real["buildings"].geometry.to_wkb().to_numpy(),
        again["buildings"].geometry.to_wkb().to_numpy(),
    )


def test_plain_buildings_take_the_use_of_their_site(tmp_path: Path) -> None:
    b = OsmBuilder()
    b.rect(0, 0, 500, 500, {"amenity": "university", "name": "某大学"})  # w1: campus
    b.rect(300, 300, 480, 480, {"landuse": "residential", "name": "教工小区"})  # w2
    b.rect(50, 50, 90, 80, {"building": "yes"})  # w3: on the campus
    b.rect(350, 350, 390, 380, {"building": "yes"})  # w4: in the compound on the campus
    b.rect(600, 0, 640, 30, {"building": "yes"})  # w5: nowhere
    b.rect(700, 0, 900, 200, {"landuse": "retail"})  # w6
    b.rect(750, 50, 790, 80, {"building": "yes"})  # w7: on retail land
    layers = layers_of(b.write(tmp_path / "campus.osm"))
    uses = layers["buildings"].set_index("building_id")[["use", "use_source", "compound_id"]]
    assert uses.loc["osm-w3"].tolist() == ["public", "estimated", None]
    assert uses.loc["osm-w4"].tolist() == ["residential", "estimated", "osm-w2"]
    assert uses.loc["osm-w5"].tolist() == ["other", "estimated", None]
    assert uses.loc["osm-w7"].tolist() == ["commercial", "estimated", None]
    assert layers["compounds"]["compound_id"].tolist() == ["osm-w2"]  # a campus is no compound


def test_ways_with_missing_nodes_are_warned(tmp_path: Path) -> None:
    """A bbox cut of a .pbf keeps ways whose nodes fall outside: skip and say so."""
    b = neighbourhood()
    corner = [b.node(900, 0), b.node(950, 0), b.node(950, 50)]
    broken = b.way([*corner, 99_999, corner[0]], {"building": "yes"})
    road = b.way([b.node(900, 100), 99_998], {"highway": "service"})
    path = b.write(tmp_path / "cut.pbf")
    with pytest.warns(GridmapWarning) as record:
        layers = read_osm(path)
    messages = [str(w.message) for w in record]
    assert any(
        f"w{broken}: its ring is not a valid polygon or has nodes missing" in m for m in messages
    )
    assert any(
        "1 highway way(s) reference nodes missing" in m and f"w{road}" in m for m in messages
    )
    assert f"osm-w{broken}" not in set(layers["buildings"]["building_id"])
    assert len(layers["buildings"]) == 9


def test_degenerate_outlines_are_warned(tmp_path: Path) -> None:
    b = neighbourhood()
    flat = [b.node(900, 0), b.node(910, 0), b.node(920, 0)]
    line = b.way([*flat, flat[0]], {"building": "yes"})  # no area at all
    tie = [b.node(1000, 0), b.node(1040, 40), b.node(1040, 0), b.node(1000, 40)]
    bow = b.way([*tie, tie[0]], {"building": "yes"})  # self-crossing ring
    with pytest.warns(GridmapWarning, match=r"2 OSM feature\(s\)") as record:
        layers = read_osm(b.write(tmp_path / "bad_rings.osm"))
    message = str(record[0].message)
    assert f"w{line}: its outline could not be built" in message
    assert f"w{bow}: its outline could not be built" in message
    assert len(layers["buildings"]) == 9  # the others are all there
