"""The app's Data page (Streamlit AppTest) and the upload importer behind it."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from app_support import (  # noqa: F401  (no_pending_autosave: an autouse fixture)
    N_BUILDINGS,
    ROOT,
    no_pending_autosave,
    open_app,
    page_metrics,
    submit,
)
from streamlit.testing.v1 import AppTest

from gridmap import settings
from gridmap.errors import GridmapWarning, InputError
from gridmap.pipeline import demo_layers
from gridmap.report import source_counts
from gridmap.ui import state
from gridmap.ui.common import display_frame
from gridmap.ui.data import apply_households
from gridmap.ui.i18n import translate
from gridmap.ui.upload import (
    UploadError,
    check_scenario_text,
    import_upload,
    read_upload,
    upload_suffix,
)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = open_app(monkeypatch, tmp_path / "autosave.gpkg")
    assert not at.exception
    return at


def test_data_page_loads_in_chinese_with_no_project(app: AppTest) -> None:
    assert app.header[0].value == translate("data.title", "zh")
    assert translate("app.no_project", "zh") in [i.value for i in app.info]
    assert app.sidebar.radio(key="lang").value == "zh"


def test_demo_shows_the_pipeline_numbers(app: AppTest) -> None:
    app.number_input(key="demo_n").set_value(N_BUILDINGS)
    submit(app, "demo_form")
    assert not app.exception and not app.error
    layers = demo_layers(seed=settings.DEFAULT_SEED, n_buildings=N_BUILDINGS)
    buildings = layers["buildings"]
    metrics = page_metrics(app)
    assert metrics[translate("data.buildings", "zh")] == str(len(buildings))
    assert metrics[translate("data.households", "zh")] == str(int(buildings["households"].sum()))
    assert metrics[translate("data.compounds", "zh")] == str(len(layers["compounds"]))
    assert metrics[translate("data.lots", "zh")] == str(len(layers["lots"]))
    # The estimates report is gridmap.report.source_counts of the loaded layers.
    shown = app.dataframe[0].value.reset_index(drop=True)
    expected = display_frame(source_counts(layers)).reset_index(drop=True)
    pd.testing.assert_frame_equal(shown, expected, check_dtype=False)


def test_english_switch_translates_the_page(app: AppTest) -> None:
    app.sidebar.radio(key="lang").set_value("en").run()
    assert app.header[0].value == translate("data.title", "en")
    assert translate("app.no_project", "en") in [i.value for i in app.info]


def test_apply_households_marks_user_values() -> None:
    buildings = demo_layers(n_buildings=50)["buildings"]
    first, second = buildings["building_id"].iloc[:2]
    old = int(buildings["households"].iloc[0])
    out, changed = apply_households(
        buildings, {first: old + 7, second: buildings["households"].iloc[1]}
    )
    assert changed == [first]
    row = out.loc[out["building_id"] == first].iloc[0]
    assert int(row["households"]) == old + 7 and row["households_source"] == "user"
    assert int(buildings["households"].iloc[0]) == old  # the caller's frame is unchanged
    with pytest.raises(InputError, match=str(first)):
        apply_households(buildings, {first: -3})
    with pytest.raises(InputError):
        apply_households(buildings, {first: 2.5})


def test_upload_reads_a_geojson_in_the_importer_process(tmp_path: Path) -> None:
    buildings = demo_layers(n_buildings=60)["buildings"]
    data = buildings.to_json(to_wgs84=True).encode("utf-8")
    layers, notes = import_upload("街区 buildings.geojson", data)
    assert isinstance(notes, list)
    got = layers["buildings"]
    assert isinstance(got, gpd.GeoDataFrame) and len(got) == len(buildings)
    assert int(got["households"].sum()) == int(buildings["households"].sum())


def test_an_uploaded_project_keeps_its_grid_bounds_and_edits(tmp_path: Path) -> None:
    from gridmap.pipeline import make_grids

    layers = demo_layers(n_buildings=120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        layers, _ = make_grids(layers, min_households=200, max_households=400)
    params = {"min_households": 200, "max_households": 400, "seed": 7}
    project = state.Project(layers=layers, params=params)
    project = project.replace(
        edit_log=({"time": "2026-12-05T00:00:00Z", "action": "make_grids", "detail": {}},)
    )
    path = tmp_path / "我的项目.gpkg"
    state.save_project(project, path)

    upload = read_upload(path.name, path.read_bytes(), lang="zh")
    assert [e["action"] for e in upload.edit_log] == ["params", "make_grids"]
    opened = state.saved_project(upload.layers, upload.edit_log, origin="upload:x")
    assert opened.params["min_households"] == 200 and opened.params["max_households"] == 400
    assert [e["action"] for e in opened.edit_log] == ["make_grids"]
    # The grids stay editable with the bounds they were made with.
    assert opened.partition is not None
    assert (opened.partition.min_households, opened.partition.max_households) == (200, 400)

    # Any other file has no edit log.
    plain = layers["buildings"].to_json(to_wgs84=True).encode("utf-8")
    assert read_upload("b.geojson", plain).edit_log == []


def test_a_refused_upload_and_its_warnings_speak_the_planner_language() -> None:
    import re

    bowtie = [
        [116.30, 39.90],
        [116.301, 39.901],
        [116.301, 39.90],
        [116.30, 39.901],
        [116.30, 39.90],
    ]
    square = [
        [116.31, 39.90],
        [116.311, 39.90],
        [116.311, 39.901],
        [116.31, 39.901],
        [116.31, 39.90],
    ]
    features = [
        {"type": "Feature", "properties": {"building_id": i, "households": 20},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for i, ring in (("B1", bowtie), ("B2", square))
    ]  # fmt: skip
    repaired = json.dumps({"type": "FeatureCollection", "features": features})
    with pytest.raises(UploadError) as refused:
        read_upload("无坐标.geojson", b'{"type": "FeatureCollection", "features": [1]}', lang="zh")
    assert refused.value.key == "upload.refused"
    reason = str(refused.value.values["message"])
    assert re.search(r"[\u4e00-\u9fff]", reason) and "无坐标.geojson" in reason
    assert "gridmap-upload-" not in reason
    upload = read_upload("b.geojson", repaired.encode("utf-8"), lang="zh")
    assert upload.notes and all(re.search(r"[\u4e00-\u9fff]", n) for n in upload.notes)


def test_upload_refusals_are_clear_messages() -> None:
    with pytest.raises(UploadError) as bad:
        upload_suffix("payload.exe")
    assert bad.value.key == "upload.bad_suffix"
    with pytest.raises(UploadError) as empty:
        import_upload("a.geojson", b"")
    assert empty.value.key == "upload.empty"
    with pytest.raises(UploadError) as junk:
        import_upload("../../etc/a.geojson", b"this is not geojson")
    assert junk.value.key == "upload.refused"
    # The temporary path never reaches the user; the file's own name does.
    assert "gridmap-upload-" not in junk.value.values["message"]
    assert "a.geojson" in junk.value.values["message"]
    text = translate(junk.value.key, "zh", **junk.value.values)
    assert text.startswith("文件被拒绝") and "Traceback" not in text


def test_upload_refuses_a_zip_with_path_traversal() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.shp", b"x" * 100)
    with pytest.raises(UploadError) as refused:
        import_upload("roads.zip", buffer.getvalue())
    assert refused.value.key == "upload.refused"


def test_upload_limits_memory_and_time() -> None:
    data = demo_layers(n_buildings=20)["buildings"].to_json().encode("utf-8")
    with pytest.raises(UploadError) as memory:
        import_upload("b.geojson", data, memory_bytes=150 * 1024**2)
    assert memory.value.key == "upload.memory"
    with pytest.raises(UploadError) as slow:
        import_upload("b.geojson", data, seconds=0)
    assert slow.value.key == "upload.timeout"


def test_upload_size_is_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "MAX_FILE_BYTES", 1000)
    with pytest.raises(UploadError) as big:
        import_upload("b.geojson", b"{" + b" " * 2000 + b"}")
    assert big.value.key == "upload.too_large"


def test_scenario_text_refuses_aliases_and_profile_files() -> None:
    assert check_scenario_text("s.yaml", b"method: demand\n", limit=1000) == "method: demand\n"
    bomb = b"a: &a [1, 2]\nb: [*a, *a]\n"
    with pytest.raises(UploadError, match="anchors"):
        check_scenario_text("s.yaml", bomb, limit=1000)
    with pytest.raises(UploadError, match="profile_files"):
        check_scenario_text("s.yaml", b"profile_files: [/etc/passwd]\n", limit=1000)
    with pytest.raises(UploadError) as big:
        check_scenario_text("s.yaml", b"x" * 2000, limit=1000)
    assert big.value.key == "upload.too_large"


def test_osm_extract_from_the_server_folder(
    osm_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridmap.pipeline import load_layers

    monkeypatch.setenv("GRIDMAP_AUTOSAVE", str(tmp_path / "autosave.gpkg"))
    monkeypatch.setattr("gridmap.ui.data.OSM_DIR", osm_file.parent)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.radio(key="data_source").set_value("osm").run()
    at.selectbox(key="osm_file").set_value(osm_file).run()
    at.button(key="osm_go").click().run()
    assert not at.exception and not at.error
    state.flush_all()  # no autosave thread may touch the warning filters now
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)  # features the extract cannot close
        layers = load_layers(osm_file)
    metrics = page_metrics(at)
    assert metrics[translate("data.buildings", "zh")] == str(len(layers["buildings"]))
    estimated = int((layers["buildings"]["households_source"] == "estimated").sum())
    assert metrics[translate("data.estimated", "zh")] == str(estimated)
