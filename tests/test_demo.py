"""`gridmap demo`: the whole pipeline writes every file of DATA_MODEL.md, offline, deterministically."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gridmap import demo, synth
from gridmap.cli import main
from gridmap.errors import GridmapWarning

FILES = (
    "buildings.gpkg",
    "grids.geojson",
    "areas.geojson",
    "members.csv",
    "parking.json",
    "report.html",
)


def _run(out: Path, *extra: str) -> None:
    assert main(["demo", "--out", str(out), *extra]) == 0


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    _run(out, "--buildings", "400")
    return out


def test_demo_writes_every_file(demo_out: Path) -> None:
    for name in FILES:
        assert (demo_out / name).stat().st_size > 0, name


def test_demo_grids_and_members_agree(demo_out: Path) -> None:
    grids = gpd.read_file(demo_out / "grids.geojson")
    buildings = gpd.read_file(demo_out / "buildings.gpkg", layer="buildings")
    assert buildings["grid_id"].notna().all()
    assert set(buildings["grid_id"]) == set(grids["grid_id"])
    assert grids["grid_id"].str.fullmatch(r"\d{15}").all()
    members = pd.read_csv(demo_out / "members.csv", dtype=str)
    assert members["member_id"].str.startswith("SYN-").all()  # synthetic, labelled
    assert "name" not in members.columns  # personal data stays out by default


def test_report_is_self_contained(demo_out: Path) -> None:
    page = (demo_out / "report.html").read_text(encoding="utf-8")
    assert "网格" in page and "L.map(" in page
    # No script or stylesheet loads from the network (the map is an escaped srcdoc).
    page = html.unescape(page)
    assert not re.search(r'<(?:script|link)\b[^>]*(?:src|href)="https?:', page)


def test_parking_json_has_result_keys(demo_out: Path) -> None:
    result = json.loads((demo_out / "parking.json").read_text(encoding="utf-8"))
    assert "resident_conflicts" in json.dumps(result)


def test_demo_is_byte_identical(demo_out: Path, tmp_path: Path) -> None:
    _run(tmp_path, "--buildings", "400")
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (demo_out / name).read_bytes(), name


def test_demo_on_real_osm(
    osm_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--osm", str(osm_file), "--out", str(tmp_path)]) == 0
    assert "warning: " in capsys.readouterr().err  # unassembled features are named
    buildings = gpd.read_file(tmp_path / "buildings.gpkg", layer="buildings")
    assert len(buildings) > 100
    assert buildings["grid_id"].notna().all()
    assert (tmp_path / "report.html").stat().st_size > 0


def test_unusable_lots_skip_parking_with_a_warning_in_both_languages(tmp_path: Path) -> None:
    layers = synth.generate_district(n_buildings=400, seed=3)
    lots = layers["lots"].copy()
    first = lots.index[0]
    lots.loc[first, "reserved"] = int(lots.loc[first, "capacity"]) + 1
    with pytest.warns(GridmapWarning, match="parking: no scenario from this map's lots") as record:
        assert demo._parking({**layers, "lots": lots}, tmp_path, seed=3) is None
    warning = record[0].message
    assert isinstance(warning, GridmapWarning) and warning.msg is not None
    assert "reserved is above capacity" in str(warning)
    chinese = warning.msg.line("zh")
    assert chinese.startswith("停车：无法用本图的停车场生成模拟场景（lots 表：lot_id ")
    assert chinese.endswith(
        "预留车位数超过车位总数；解决办法：预留车位数不得超过该停车场的车位数）"
    )
