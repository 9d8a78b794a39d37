"""Every verb of DATA_MODEL.md through `main([...])`, on a small synthetic district."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from gridmap import synth
from gridmap.cli import main
from gridmap.io import read_vector
from gridmap.parking import preset

SCENARIO = """\
method: demand
slot_minutes: 60
rounding: half_up
uses:
  - name: office
    base_spaces: 600
    profile: [0, 0, 0, 0, 0, 3, 15, 50, 90, 100, 100, 90, 85, 90, 100, 100, 90, 50, 20, 10, 5, 3, 1, 0]
  - name: residential
    ratio: 1.2
    size: 470
    profile: cleveland_heights/residential/weekday
"""


@pytest.fixture(scope="module")
def buildings_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("src")
    buildings = synth.generate_district(n_buildings=150, seed=7)["buildings"]
    path = folder / "楼栋.geojson"
    buildings.to_file(path, driver="GeoJSON")
    return path


@pytest.fixture(scope="module")
def project(buildings_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("proj") / "project.gpkg"
    assert main(["import", str(buildings_file), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def gridded(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("grids")
    assert main(["grids", str(project), "--out", str(out), "--min", "300", "--max", "500"]) == 0
    return out


def test_import_keeps_every_building(project: Path, buildings_file: Path) -> None:
    src = gpd.read_file(buildings_file)
    got = gpd.read_file(project, layer="buildings")
    assert sorted(got["building_id"]) == sorted(src["building_id"])
    assert got["households"].sum() == src["households"].sum()


def test_grids_writes_geojson_and_project(gridded: Path) -> None:
    grids = json.loads((gridded / "grids.geojson").read_text(encoding="utf-8"))
    assert "crs" not in grids  # RFC 7946
    buildings = gpd.read_file(gridded / "buildings.gpkg", layer="buildings")
    ids = {f["properties"]["grid_id"] for f in grids["features"]}
    assert set(buildings["grid_id"]) == ids


def test_members_writes_areas_and_csv(gridded: Path, tmp_path: Path) -> None:
    code = main(["members", str(gridded / "buildings.gpkg"), "--out", str(tmp_path)])
    assert code == 0
    members = pd.read_csv(tmp_path / "members.csv", dtype={"member_id": str})
    assert {"member_id", "role", "grid_id", "area_id", "households", "walk_m"} <= set(
        members.columns
    )
    areas = gpd.read_file(tmp_path / "areas.geojson")
    households = gpd.read_file(gridded / "buildings.gpkg", layer="buildings")["households"].sum()
    assert areas["households"].sum() <= households


def test_members_before_grids_is_an_error(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["members", str(project), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "gridmap grids" in err


def test_parking_json_prints_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    assert main(["parking", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["hourly_total"]) == 24
    assert result["savings"] == result["sum_of_peaks"] - result["peak"]
    assert result["peak_time"] == f"{result['peak_slot']:02d}:00"


def test_parking_bad_profile_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        SCENARIO.replace("cleveland_heights/residential/weekday", "residential"), encoding="utf-8"
    )
    assert main(["parking", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "uses[1].profile" in err


def test_export_shapefile_round_trip(gridded: Path, tmp_path: Path) -> None:
    dst = tmp_path / "grids.zip"
    assert (
        main(
            [
                "export",
                str(gridded / "buildings.gpkg"),
                "--layer",
                "grids",
                "--format",
                "shp",
                "--crs",
                "4490",
                "--out",
                str(dst),
            ]
        )
        == 0
    )
    names = zipfile.ZipFile(dst).namelist()
    assert any(n.endswith(".cpg") for n in names)
    back = read_vector(dst)  # field names mapped back, CGCS2000 -> WGS84
    grids = gpd.read_file(gridded / "grids.geojson")
    assert sorted(back["grid_id"]) == sorted(grids["grid_id"])
    assert back.crs.to_epsg() == 4326


def test_batch_synthetic_city_and_rerun_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["batch", "--synthetic", "400", "--out", str(tmp_path), "--workers", "1"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "chunks computed" in first
    assert main(args) == 0
    rerun = capsys.readouterr().out
    skipped = next(line for line in rerun.splitlines() if "skipped" in line)
    assert "1" in skipped.split("│")[-2]


def test_batch_needs_a_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "--out", str(tmp_path)]) == 2
    assert "--synthetic" in capsys.readouterr().err


def test_parking_simulation_of_the_nantong_preset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = preset("nantong_yijiaqiao")
    scenario["days"] = 20
    path = tmp_path / "nantong.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    assert main(["parking", str(path), "--json", "--seed", "3", "--out", str(tmp_path / "o")]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("utilization", "shared_space_hours_offered", "shared_space_hours_used", "revenue"):
        assert set(result[key]) == {"yijiaqiao_no2"}
    for key in ("unmet_demand", "resident_conflicts", "mean_walk_m"):
        assert set(result[key]) == {"mean", "p5", "p50", "p95"}
    peak = result["peak_occupancy"]["yijiaqiao_no2"]
    assert 0 < peak["p95"] <= 470  # never above the compound's 470 spaces
    assert (tmp_path / "o" / "parking.json").is_file()
