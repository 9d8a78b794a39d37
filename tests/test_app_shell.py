"""The app's frame: both languages everywhere, offline map assets, escaping, config."""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from app_support import (  # noqa: F401  (no_pending_autosave: an autouse fixture)
    ROOT,
    no_pending_autosave,
    open_app,
    two_building_layers,
)
from streamlit.testing.v1 import AppTest

from gridmap.ui import PAGES
from gridmap.ui.export import CRS_CHOICES, FORMATS, LAYER_ORDER
from gridmap.ui.i18n import LANGUAGES, MESSAGES, translate
from gridmap.ui.mapview import build_map, is_gcj02_tiles, remote_links, valid_tile_url
from gridmap.ui.parking import SOURCES

UI = ROOT / "gridmap" / "ui"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    for key, (zh, en) in MESSAGES.items():
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key


def test_every_key_the_pages_use_exists() -> None:
    used: set[str] = set()
    for path in UI.glob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_][a-z0-9_.]*)["']""", path.read_text()))
    dynamic = (
        [f"page.{p}" for p in PAGES]
        + [f"app.language.{code}" for code in LANGUAGES]
        + [f"format.{f}" for f in FORMATS]
        + [f"export.crs.{c}" for c in CRS_CHOICES]
        + [f"layer.{n}" for n in LAYER_ORDER]
        + [f"parking.source.{s}" for s in SOURCES]
        + [f"data.source.{s}" for s in ("demo", "upload", "osm")]
        + [f"action.{a}" for a in ("load_demo", "load_upload", "load_osm", "households")]
        + [f"action.{a}" for a in ("make_grids", "lock", "move", "merge", "split")]
        + [f"action.{a}" for a in ("members", "parking")]
    )
    missing = sorted(k for k in used | set(dynamic) if k not in MESSAGES)
    assert not missing


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = open_app(monkeypatch, tmp_path / "autosave.gpkg")
    assert not at.exception
    return at


def test_every_page_loads_in_both_languages(app: AppTest) -> None:
    for lang in ("zh", "en"):
        app.sidebar.radio(key="lang").set_value(lang).run()
        for page in PAGES:
            app.sidebar.radio(key="page").set_value(page).run()
            assert not app.exception and not app.error, (lang, page)
            header = app.header[0].value
            assert bool(CJK.search(header)) == (lang == "zh"), (lang, page, header)
            labels = [r.label for r in app.sidebar.radio]
            assert translate("app.page", lang) in labels


def test_page_comes_from_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDMAP_AUTOSAVE", str(tmp_path / "autosave.gpkg"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["page"] = "export"
    at.run()
    assert at.sidebar.radio(key="page").value == "export"
    assert at.header[0].value == translate("export.title", "zh")


def test_tile_url_warnings(app: AppTest) -> None:
    app.sidebar.text_input(key="tile_url").set_value(
        "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
    ).run()
    assert translate("app.tile_gcj02", "zh") in [w.value for w in app.sidebar.warning]
    app.sidebar.text_input(key="tile_url").set_value("file:///etc/passwd").run()
    assert translate("app.tile_bad", "zh") in [e.value for e in app.sidebar.error]
    assert is_gcj02_tiles("https://rt0.map.gtimg.com/tile?z={z}&x={x}&y={y}")
    assert not is_gcj02_tiles("http://127.0.0.1:8080/{z}/{x}/{y}.png")
    assert valid_tile_url("http://127.0.0.1:8080/{z}/{x}/{y}.png")
    assert not valid_tile_url("javascript:alert(1)//{z}{x}{y}")


def _hostile_layers() -> dict[str, gpd.GeoDataFrame]:
    name = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'
    return two_building_layers(["B1", "B2"], [name, "楼"])


def test_map_is_offline_and_escapes_the_data() -> None:
    import streamlit_folium

    fmap = build_map(_hostile_layers(), draw=True)
    assert remote_links(fmap) == []
    fmap.get_root().render()
    script = streamlit_folium._get_map_string(fmap)
    header = streamlit_folium._get_header(fmap)
    assert "<img" not in script and "<script>" not in script and "</script" not in script
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in script
    assert "http://" not in script + header and "https://" not in script + header
    links = [url for _, url in fmap.default_js + fmap.default_css]
    assert all(url.startswith("/app/static/vendor/") for url in links)


def test_streamlit_config_serves_assets_and_limits_uploads() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    assert config["server"]["headless"] is True
    assert 0 < config["server"]["maxUploadSize"] <= 200
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"


def test_data_in_messages_cannot_become_markdown() -> None:
    from gridmap.ui.i18n import md, tm

    hostile = "![x](http://example.com/a.png) [link](javascript:alert(1)) :red[x] $x$ <b>"
    escaped = md(hostile)
    for raw in ("![", "](", ":red[", "$x$", "<b>", "http://"):
        assert raw not in escaped
    # Unescaping gives the text back: nothing is lost, only shown literally.
    assert re.sub(r"\\(.)", r"\1", escaped) == hostile
    message = tm("error.input", message=hostile)
    assert message.startswith(translate("error.input", "zh", message="")) and "![" not in message


def test_member_overview_colours_grids_by_shortfall() -> None:
    import streamlit_folium

    from gridmap.ui.mapview import shortfall_colours

    layers = _hostile_layers()
    second = layers["grids"].assign(
        grid_id="G2", geometry=[shapely.box(116.31, 39.9, 116.32, 39.91)]
    )
    layers["grids"] = pd.concat([layers["grids"], second], ignore_index=True)
    status = pd.DataFrame(
        {"grid_id": ["G1", "G2"], "households": [30, 500], "missing_members": [0, 12]}
    )
    colours = shortfall_colours(status)
    assert colours["G1"] == "#1a9850" and colours["G2"] == "#a50026"
    fmap = build_map(layers, colour_by="none", grid_status=status)
    fmap.get_root().render()
    script = streamlit_folium._get_map_string(fmap)
    assert "gridmap-grid-status" in script and '"missing_members":"12"' in script
    assert "#a50026" in script and "#1a9850" in script


def test_every_progress_stage_an_engine_reports_has_a_chinese_label() -> None:
    import ast

    from gridmap.ui.i18n import stage_label

    stages = set()
    for path in (ROOT / "gridmap").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                "progress",
                "report",
                "report_progress",
            ):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    stages.add(first.value)
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", "") in ("_STAGE", "PROGRESS_STAGE") for t in node.targets
            ):
                stages.add(ast.literal_eval(node.value))
    assert {"tiles", "members", "分块 chunks"} <= stages
    missing = [s for s in sorted(stages) if not re.search(r"[\u4e00-\u9fff]", stage_label(s, "zh"))]
    assert not missing, f"progress stages without a Chinese label: {missing}"
    assert stage_label("reading a.osm: 12 features", "zh") == "读取 a.osm: 12 个要素"
