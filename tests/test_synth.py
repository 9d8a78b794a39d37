"""The synthetic district generator (gridmap.synth): size, schema, geometry, determinism."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap import schema, settings, synth
from gridmap.errors import InputError

METRIC = "EPSG:32650"  # UTM 50N, the zone of the default origin near Shijiazhuang


@pytest.fixture(scope="module")
def demo() -> dict[str, gpd.GeoDataFrame]:
    return synth.generate_district()


@pytest.fixture(scope="module")
def luancheng() -> dict[str, gpd.GeoDataFrame]:
    return synth.generate_district(preset="luancheng")


@pytest.fixture(scope="module")
def large() -> dict[str, gpd.GeoDataFrame]:
    return synth.generate_district(n_buildings=20_000, seed=7)


def _metric(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    return {k: v.to_crs(METRIC) for k, v in layers.items()}


def _pairs(geoms: gpd.GeoSeries, predicate: str) -> np.ndarray:
    """Index pairs (i < j) of geometries of one layer that satisfy ``predicate``."""
    tree = shapely.STRtree(geoms.values)
    left, right = tree.query(geoms.values, predicate=predicate)
    keep = left < right
    return np.stack([left[keep], right[keep]], axis=1)


# --- Determinism -------------------------------------------------------------------------


def test_same_seed_gives_identical_tables_and_geometry() -> None:
    a = synth.generate_district(n_buildings=800, seed=11)
    b = synth.generate_district(n_buildings=800, seed=11)
    assert list(a) == list(synth.LAYERS) == list(b)
    for layer in synth.LAYERS:
        pd.testing.assert_frame_equal(
            a[layer].drop(columns="geometry"), b[layer].drop(columns="geometry")
        )
        assert list(shapely.to_wkb(a[layer].geometry.values)) == list(
            shapely.to_wkb(b[layer].geometry.values)
        ), layer


def test_other_seed_gives_other_district() -> None:
    a = synth.generate_district(n_buildings=800, seed=11)
    b = synth.generate_district(n_buildings=800, seed=12)
    assert not a["buildings"].geometry.geom_equals_exact(b["buildings"].geometry, 1e-9).all()
    assert set(a["compounds"]["name"]) != set(b["compounds"]["name"])


def test_default_seed_is_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "DEFAULT_SEED", 3)
    default = synth.generate_district(n_buildings=300)
    explicit = synth.generate_district(n_buildings=300, seed=3)
    assert default["buildings"].geom_equals_exact(explicit["buildings"], 0).all()


def test_chunks_are_the_district_street_by_street() -> None:
    whole = synth.generate_district(n_buildings=4_000, seed=5)
    chunks = list(synth.iter_district_chunks(n_buildings=4_000, seed=5))
    assert len(chunks) == len(whole["streets"]) > 1
    for layer in synth.LAYERS:
        joined = pd.concat([c[layer] for c in chunks], ignore_index=True)
        pd.testing.assert_frame_equal(
            joined.drop(columns="geometry"), whole[layer].drop(columns="geometry")
        )
        assert joined.geometry.geom_equals_exact(whole[layer].geometry, 0).all()
    for chunk in chunks:
        assert chunk["buildings"]["street_id"].nunique() == 1
    ids = pd.concat([c["buildings"]["building_id"] for c in chunks])
    assert ids.is_unique


# --- Size and schema -----------------------------------------------------------------------


@pytest.mark.parametrize("n", [100, 2_000])
def test_size_is_met(n: int) -> None:
    layers = synth.generate_district(n_buildings=n, seed=n)
    assert abs(len(layers["buildings"]) - n) <= 0.1 * n


def test_large_size_is_met(large: dict[str, gpd.GeoDataFrame]) -> None:
    assert abs(len(large["buildings"]) - 20_000) <= 2_000
    assert len(large["streets"]) > 1
    assert large["communities"]["community_id"].str[:3].isin(large["streets"]["street_id"]).all()


@pytest.mark.parametrize("fixture", ["demo", "luancheng", "large"])
def test_layers_pass_the_schema(fixture: str, request: pytest.FixtureRequest) -> None:
    layers = request.getfixturevalue(fixture)
    schema.validate_buildings(layers["buildings"])
    schema.validate_compounds(layers["compounds"])
    schema.validate_communities(layers["communities"])
    schema.validate_lots(layers["lots"])
    for frame in layers.values():
        assert frame.crs.to_epsg() == 4326
        assert frame.geometry.is_valid.all()
        assert not frame.geometry.is_empty.any()
    b = layers["buildings"]
    assert b["grid_id"].isna().all()
    assert set(b["households_source"]) == {"tag"}
    assert b["building_id"].str.fullmatch(r"B\d{6}").all()
    assert b["compound_id"].dropna().isin(layers["compounds"]["compound_id"]).all()
    assert b["community_id"].isin(layers["communities"]["community_id"]).all()
    assert set(layers["roads"]["highway"]) == {"primary", "secondary", "residential", "service"}
    assert set(layers["compounds"]["kind"]) == {"walled", "single_building"}
    assert layers["compounds"]["name"].is_unique
    assert layers["communities"]["name"].is_unique


def test_demo_is_the_default_preset(demo: dict[str, gpd.GeoDataFrame]) -> None:
    assert len(demo["buildings"]) == synth.PRESETS["demo"].n_buildings == 1500
    assert len(demo["streets"]) == 1
    per_community = demo["communities"]["households"]
    assert per_community.sum() / settings.DEFAULT_MAX_HOUSEHOLDS > 50  # room for many grids
    assert per_community.between(2_000, 10_000).all()
    assert synth.preset_grid_bounds("demo") is None


def test_names_are_chinese(demo: dict[str, gpd.GeoDataFrame]) -> None:
    compounds = demo["compounds"]
    walled = compounds.loc[compounds["kind"] == "walled", "name"]
    assert walled.str.fullmatch(r"[\u4e00-\u9fff]{3,8}").all()
    assert compounds["name"].str.contains("号院").any()
    assert demo["communities"]["name"].str.endswith("社区").all()
    assert demo["streets"]["name"].str.endswith("街道").all()
    main = demo["roads"].loc[demo["roads"]["highway"] == "primary", "name"]
    assert main.str.fullmatch(r"[\u4e00-\u9fff]+(北大街|南大街|东路|西路)").all()
    assert demo["roads"].loc[demo["roads"]["highway"] == "service", "name"].isna().all()
    slabs = demo["buildings"]["name"].dropna()
    assert slabs.str.contains(r"\d+号楼").any()


# --- Geometry ------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["demo", "luancheng"])
def test_geometry_nests_without_overlap(fixture: str, request: pytest.FixtureRequest) -> None:
    layers = _metric(request.getfixturevalue(fixture))
    b, c, comm = layers["buildings"], layers["compounds"], layers["communities"]
    assert len(_pairs(b.geometry, "intersects")) == 0, "buildings overlap or touch"
    # Compounds may share walls (old one-building compounds side by side) but
    # never overlap, not even by a sliver of the reprojection.
    assert _pairs(c.geometry, "touches").size > 0
    assert _pairs(c.geometry, "overlaps").size == 0
    assert _pairs(request.getfixturevalue(fixture)["compounds"].geometry, "overlaps").size == 0
    # Every building of a compound lies inside it; every compound inside its community.
    inside = b.dropna(subset=["compound_id"]).merge(
        c[["compound_id", "community_id", "geometry"]], on="compound_id", suffixes=("", "_c")
    )
    assert len(inside) == b["compound_id"].notna().sum()
    assert shapely.contains(inside["geometry_c"].values, inside["geometry"].values).all()
    assert (inside["community_id"] == inside["community_id_c"]).all()
    cc = c.merge(comm[["community_id", "geometry"]], on="community_id", suffixes=("", "_m"))
    assert shapely.contains(cc["geometry_m"].values, cc["geometry"].values).all()
    # Buildings outside compounds (shops, offices, public) still lie in their community.
    bm = b.merge(comm[["community_id", "geometry"]], on="community_id", suffixes=("", "_m"))
    assert shapely.contains(bm["geometry_m"].values, bm["geometry"].values).all()
    # Lots do not cover buildings.
    lots_on_buildings = shapely.STRtree(b.geometry.values).query(
        layers["lots"].geometry.values, predicate="intersects"
    )
    assert lots_on_buildings.shape[1] == 0


@pytest.mark.parametrize("fixture", ["demo", "large"])
def test_communities_tile_their_streets(fixture: str, request: pytest.FixtureRequest) -> None:
    layers = _metric(request.getfixturevalue(fixture))
    comm, streets = layers["communities"], layers["streets"]
    # Neighbours share their edges exactly (T-junctions are vertices of both).
    native = request.getfixturevalue(fixture)["communities"]
    assert _pairs(native.geometry, "overlaps").size == 0
    assert _pairs(comm.geometry, "overlaps").size == 0
    touching = _pairs(comm.geometry, "touches")
    assert len(touching) >= len(comm) - 1
    shared = shapely.intersection(
        comm.geometry.values[touching[:, 0]], comm.geometry.values[touching[:, 1]]
    )
    assert shapely.area(shared).max() == 0
    by_street = comm.dissolve("street_id").area
    street_area = streets.set_index("street_id").area
    np.testing.assert_allclose(by_street.sort_index(), street_area.sort_index(), rtol=1e-6)
    assert _pairs(streets.geometry, "overlaps").size == 0


@pytest.mark.parametrize("fixture", ["demo", "large"])
def test_roads_form_one_connected_network(fixture: str, request: pytest.FixtureRequest) -> None:
    roads = request.getfixturevalue(fixture)["roads"]
    coords = shapely.get_coordinates(roads.geometry.values).reshape(-1, 2, 2)
    graph = nx.Graph()
    for (x0, y0), (x1, y1) in coords.tolist():
        graph.add_edge((x0, y0), (x1, y1))
    assert nx.is_connected(graph)
    assert (roads.to_crs(METRIC).length > 1.0).all()
    # Noded: no road crosses another one in its interior.
    assert len(_pairs(roads.geometry, "crosses")) == 0


# --- Households, parking -------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["demo", "luancheng", "large"])
def test_households_are_plausible(fixture: str, request: pytest.FixtureRequest) -> None:
    layers = request.getfixturevalue(fixture)
    b = layers["buildings"]
    dwellings = b["use"].isin(["residential", "mixed"])
    assert (b.loc[~dwellings, "households"] == 0).all()
    assert (b.loc[dwellings, "households"] > 0).all()
    assert 15 <= b["households"].mean() <= 60
    assert b["households"].max() <= 33 * 4 * 2 <= settings.MAX_HOUSEHOLDS_PER_BUILDING
    res = b[b["use"] == "residential"]
    assert res["levels"].between(5, 33).all()
    assert res["units"].between(1, 4).all()
    assert (res["levels"] >= 12).any() and (res["levels"] <= 7).any()
    assert set(b["use"]) >= {"residential", "commercial", "office", "public"}
    assert (res["footprint_m2"].between(12 * 25, 14 * 80)).all()
    # Compound and community totals are sums of their buildings.
    comp = b.groupby("compound_id")["households"].sum()
    c = layers["compounds"].set_index("compound_id")
    assert (c.loc[comp.index, "households"] == comp).all()
    assert (c["n_buildings"] >= 1).all()
    single = c[c["kind"] == "single_building"]
    assert (single["n_buildings"] == 1).all()
    comm = b.groupby("community_id")["households"].sum()
    assert (
        layers["communities"].set_index("community_id").loc[comm.index, "households"] == comm
    ).all()


def test_generic_households_are_whole_flats(demo: dict[str, gpd.GeoDataFrame]) -> None:
    res = demo["buildings"][demo["buildings"]["use"] == "residential"]
    assert (res["households"] == res["levels"] * res["units"] * 2).all()


def test_luancheng_preset(luancheng: dict[str, gpd.GeoDataFrame]) -> None:
    assert len(luancheng["communities"]) == 19
    assert len(luancheng["streets"]) == 1
    assert luancheng["buildings"]["households"].sum() == 16_418
    low, high = synth.preset_grid_bounds("luancheng")  # type: ignore[misc]
    assert (low, high) == (100, 150)
    grids = 16_418 / ((low + high) / 2)
    assert 120 <= grids <= 145  # Luancheng made 131 grids of about 125 households
    # The exact total is reached by small corrections, not by distorting buildings.
    res = luancheng["buildings"][luancheng["buildings"]["use"] == "residential"]
    built = res["levels"] * res["units"] * 2
    assert ((res["households"] - built).abs() <= 0.15 * built).all()
    assert (res["households"] == built).mean() > 0.6


def test_lots_and_parking(demo: dict[str, gpd.GeoDataFrame]) -> None:
    lots, c, b = demo["lots"], demo["compounds"], demo["buildings"]
    walled = c[c["kind"] == "walled"]
    res_lots = lots[lots["kind"] == "residential"]
    # One lot per walled compound, owned by it, with its parking spaces.
    assert sorted(res_lots["owner_id"]) == sorted(walled["compound_id"])
    merged = res_lots.merge(walled, left_on="owner_id", right_on="compound_id")
    assert (merged["capacity"] == merged["parking_spaces"]).all()
    ratio = merged["capacity"].sum() / merged["households"].sum()
    assert 0.6 <= ratio <= 1.1
    assert (lots["reserved"] <= lots["capacity"]).all()
    assert (res_lots["reserved"] > 0).any()
    # Shops, offices and public buildings own the other lots.
    other = lots[lots["kind"] != "residential"]
    owners = b.set_index("building_id").loc[other["owner_id"], "use"]
    assert set(owners) <= {"commercial", "office", "public"}
    assert {"commercial", "office"} <= set(other["kind"])
    assert (other["capacity"] > 0).all()


# --- Bad input ----------------------------------------------------------------------------


def test_bad_arguments_raise_input_errors() -> None:
    with pytest.raises(InputError, match="unknown synthetic preset 'shanghai'"):
        synth.generate_district(preset="shanghai")
    with pytest.raises(InputError, match="n_buildings 5 is outside"):
        synth.generate_district(n_buildings=5)
    with pytest.raises(InputError, match="16,418 households"):
        synth.generate_district(preset="luancheng", n_buildings=500)
    with pytest.raises(InputError, match="seed -1"):
        synth.generate_district(seed=-1)
    with pytest.raises(InputError, match="origin"):
        synth.generate_district(origin=(37.89, 200.0))
    with pytest.raises(InputError, match="not a whole number"):
        synth.generate_district(n_buildings=1500.0)  # type: ignore[arg-type]


def test_bad_arguments_read_in_chinese() -> None:
    with pytest.raises(InputError) as unknown:
        synth.generate_district(preset="shanghai")
    assert unknown.value.user_message("zh") == (
        "未知的合成数据预设 'shanghai'；解决办法：使用以下之一：demo, luancheng"
    )
    with pytest.raises(InputError) as small:
        synth.generate_district(n_buildings=5)
    assert small.value.user_message("zh").startswith("n_buildings 5 超出 ")
    assert "楼栋数须在" in small.value.user_message("zh")


def test_presets_are_described() -> None:
    assert set(synth.PRESETS) == {"demo", "luancheng"}
    for name, preset in synth.PRESETS.items():
        assert preset.name == name and preset.description
    assert synth.preset_grid_bounds(None) is None
