"""The app's Export page (Streamlit AppTest) and the bytes it hands to the browser."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import pytest
from app_support import (  # noqa: F401  (no_pending_autosave: an autouse fixture)
    no_pending_autosave,
    open_app,
    zh,
)

from gridmap import io as gio
from gridmap.errors import GridmapWarning
from gridmap.pipeline import demo_layers, make_grids
from gridmap.ui import state
from gridmap.ui.export import export_bytes, project_bytes


@pytest.fixture(scope="module")
def project() -> state.Project:
    layers = demo_layers(n_buildings=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        layers, partition = make_grids(layers, min_households=300, max_households=500)
    return state.Project(layers=layers, params={"min_households": 300}, token="export-test")


def _coordinates(coords: object) -> list[tuple[float, float]]:
    if isinstance(coords, list) and coords and isinstance(coords[0], int | float):
        return [(float(coords[0]), float(coords[1]))]
    return [p for part in coords for p in _coordinates(part)]  # type: ignore[union-attr]


def test_geojson_download_is_rfc7946(project: state.Project) -> None:
    name, data, notes = export_bytes(project, layer="grids", fmt="geojson", crs="4326")
    assert name == "grids_wgs84.geojson" and notes == []
    doc = json.loads(data)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert len(doc["features"]) == len(project.layers["grids"])
    points = [p for f in doc["features"] for p in _coordinates(f["geometry"]["coordinates"])]
    assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in points)


def test_gcj02_geojson_says_it_is_no_longer_rfc7946(project: state.Project) -> None:
    _name, data, notes = export_bytes(project, layer="grids", fmt="geojson", crs="gcj02")
    assert notes and "RFC 7946" in notes[0]["en"] and "gridmap-export-" not in notes[0]["en"]
    assert "gridmap-export-" not in notes[0]["zh"] and "RFC 7946" in notes[0]["zh"]
    assert notes[0]["zh"] != notes[0]["en"]
    shifted = json.loads(data)["features"][0]["geometry"]["coordinates"][0][0]
    plain = json.loads(export_bytes(project, layer="grids", fmt="geojson", crs="4326")[1])
    assert shifted != plain["features"][0]["geometry"]["coordinates"][0][0]


def test_shapefile_csv_and_project_downloads(project: state.Project, tmp_path: Path) -> None:
    name, data, _ = export_bytes(project, layer="buildings", fmt="shp", crs="4490")
    assert name == "buildings_cgcs2000.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {Path(n).suffix for n in archive.namelist()} >= {".shp", ".dbf", ".prj"}
    name, data, _ = export_bytes(project, layer="buildings", fmt="csv", crs="4326")
    assert data.decode("utf-8-sig").splitlines()[0].startswith("building_id")  # BOM for Excel
    saved = tmp_path / "project.gpkg"
    saved.write_bytes(project_bytes(project))
    back = gio.read_project(saved)
    assert len(back["buildings"]) == len(project.buildings)
    assert len(back["grids"]) == len(project.layers["grids"])


def test_export_page_offers_the_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(monkeypatch, tmp_path / "autosave.gpkg", page="export")
    assert zh("app.no_project") in [i.value for i in at.info]
    at.sidebar.radio(key="page").set_value("data").run()
    at.number_input(key="demo_n").set_value(200)
    next(b for b in at.button if b.key.startswith("FormSubmitter:demo_form-")).click().run()
    at.sidebar.radio(key="page").set_value("export").run()
    assert not at.exception and not at.error
    # No grids yet: the first layer offered is the buildings.
    assert at.selectbox(key="export_layer").value == "buildings"
    labels = [b.proto.label for b in at.get("download_button")]
    assert zh("export.download", name="buildings_wgs84.geojson") in labels
    assert zh("export.download", name="gridmap_project.gpkg") in labels
    at.selectbox(key="export_crs").set_value("gcj02").run()
    assert zh("export.geojson_crs") in [w.value for w in at.warning]
    at.button(key="export_report_build").click().run()
    assert not at.exception and not at.error
    labels = [b.proto.label for b in at.get("download_button")]
    assert zh("export.download", name="report.html") in labels
