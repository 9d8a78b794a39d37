"""Scenarios built from map layers: hand-built frames, the synthetic demo, real OSM."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from gridmap.errors import GridmapWarning, InputError
from gridmap.parking import preset_from_layers, run_scenario, synthetic_district
from gridmap.parking.presets import CARS_PER_HOUSEHOLD
from gridmap.parking.simulate import compile_model

UTM50 = "EPSG:32650"  # metres, Beijing


def _layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    x0, y0 = 440_000.0, 4_428_000.0
    lots = gpd.GeoDataFrame(
        {"lot_id": ["L1", "L2", "L3", "L4"], "kind": ["residential", "office", "commercial",
         "office"], "owner_id": ["C1", "U1", "M1", "U9"], "capacity": [120, 200, 150, 80],
         "reserved": [0, 20, 10, 0]},
        geometry=[Point(x0, y0), Point(x0 + 200, y0), Point(x0, y0 + 300), Point(x0 + 3000, y0)],
        crs=UTM50,
    )  # fmt: skip
    compounds = gpd.GeoDataFrame(
        {"compound_id": ["C1", "C2"], "name": ["一号院", "二号院"], "households": [300, 60],
         "parking_spaces": [120, 10]},
        geometry=[box(x0 - 50, y0 - 50, x0 + 50, y0 + 50), box(x0 + 100, y0 + 100, x0 + 140, y0 + 140)],
        crs=UTM50,
    )  # fmt: skip
    buildings = gpd.GeoDataFrame(
        {"building_id": ["B1", "B2"], "use": ["residential", "residential"], "levels": [6, 6],
         "households": [300, 60], "households_source": ["tag", "tag"], "compound_id": ["C1", "C2"],
         "grid_id": [None, None]},
        geometry=[box(x0 - 20, y0 - 20, x0 + 20, y0 + 20), box(x0 + 110, y0 + 110, x0 + 130, y0 + 130)],
        crs=UTM50,
    )  # fmt: skip
    return lots.to_crs(4326), buildings.to_crs(4326), compounds.to_crs(4326)


def test_pairs_compound_lots_with_nearby_office_and_shop_lots():
    lots, buildings, compounds = _layers()
    before = lots.copy()
    sc = preset_from_layers(lots, buildings, compounds, walk_limit_m=500)
    assert lots.equals(before)
    ids = {lot["lot_id"] for lot in sc["lots"]}
    assert ids == {"L1", "L2", "L3", "compound_C2"}  # L4 is 3 km away
    pairs = {(p["compound_lot"], p["partner_lot"]) for p in sc["pairs"]}
    assert pairs == {("L1", "L2"), ("L1", "L3"), ("compound_C2", "L2"), ("compound_C2", "L3")}
    walk = {(p["compound_lot"], p["partner_lot"]): p["walk_m"] for p in sc["pairs"]}
    assert walk[("L1", "L2")] == pytest.approx(200 * 1.3, abs=0.5)  # metres, not degrees
    residents = {u["home_lot"]: u["cars"] for u in sc["users"] if u["class"] == "resident"}
    assert residents == {
        "L1": round(300 * CARS_PER_HOUSEHOLD),
        "compound_C2": round(60 * CARS_PER_HOUSEHOLD),
    }
    office = next(lot for lot in sc["lots"] if lot["lot_id"] == "L2")
    assert office["shared"] == 180 and office["window"] == "18:00-08:00"
    assert "EPSG" in sc["crs"] or "UTM" in sc["crs"]
    result = run_scenario(sc | {"days": 10}, seed=1)
    assert result["shared_space_hours_used"]["L2"]["mean"] > 0  # residents park there at night


def test_walk_limit_and_bad_layers():
    lots, buildings, compounds = _layers()
    with pytest.raises(InputError, match="within 100 m"):
        preset_from_layers(lots, buildings, compounds, walk_limit_m=100)
    only_homes = lots[lots["kind"] == "residential"]
    with pytest.raises(InputError, match="no pairs"):
        preset_from_layers(only_homes, buildings, None)
    bad = lots.copy()
    bad.loc[0, "reserved"] = 500
    with pytest.raises(InputError, match="reserved is above capacity"):
        preset_from_layers(bad, buildings, compounds)


def test_network_distances_follow_roads():
    lots, buildings, compounds = _layers()
    x0, y0 = 440_000.0, 4_428_000.0
    # A road that detours: from L1 north 300 m, east 200 m, back south to L2.
    road = LineString([(x0, y0), (x0, y0 + 300), (x0 + 200, y0 + 300), (x0 + 200, y0)])
    roads = gpd.GeoDataFrame({"road_id": ["r1"]}, geometry=[road], crs=UTM50).to_crs(4326)
    sc = preset_from_layers(lots, buildings, compounds, roads=roads, walk_limit_m=1000)
    walk = {(p["compound_lot"], p["partner_lot"]): p["walk_m"] for p in sc["pairs"]}
    assert walk[("L1", "L2")] == pytest.approx(800, abs=1.0)
    assert walk[("L1", "L3")] == pytest.approx(300, abs=1.0)
    model = compile_model(sc)
    g = model.user_names.index("residents_L1")
    assert model.dist[g, model.lot_ids.index("L2")] == pytest.approx(800, abs=1.0)


def test_on_the_synthetic_demo():
    synth = pytest.importorskip("gridmap.synth")
    district = synth.generate_district(n_buildings=300, seed=3)
    sc = preset_from_layers(
        district["lots"], district["buildings"], district["compounds"], roads=district["roads"]
    )
    assert sc["pairs"] and all(p["walk_m"] <= 500 for p in sc["pairs"])
    result = run_scenario(sc | {"days": 5}, seed=1)
    assert result["days"] == 5
    assert sum(v["mean"] for v in result["shared_space_hours_used"].values()) > 0


def test_on_real_osm_extracts(osm_file: Path):
    osm = pytest.importorskip("gridmap.osm")
    with warnings.catch_warnings():
        # The reader reports OSM features it skipped; that is its own test's business.
        warnings.simplefilter("ignore", GridmapWarning)
        layers = osm.read_osm(osm_file)
    sc = preset_from_layers(
        layers["lots"], layers["buildings"], layers["compounds"], roads=layers["roads"]
    )
    assert sc["pairs"]
    result = run_scenario(sc | {"days": 3}, seed=1)
    assert set(result["peak_occupancy"]) == {lot["lot_id"] for lot in sc["lots"]}


def test_synthetic_district_shape():
    sc = synthetic_district(n_lots=10, n_cars=1000, days=5)
    assert len(sc["lots"]) == 10
    model = compile_model(sc)
    assert model.candidates.shape[0] == len(sc["users"])
    result = run_scenario(sc, seed=1)
    assert np.isfinite(result["district"]["utilization"]["mean"])
