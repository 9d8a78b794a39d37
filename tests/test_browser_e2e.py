"""End to end in a real browser: Playwright drives Debian's chromium against the app.

The app runs as ``streamlit run app.py`` on a free loopback port with its own
autosave file. The browser loads the demo, checks that the map draws the grids
(Leaflet served by the app itself: any request leaving the machine fails the
test), draws a polygon with leaflet-draw, locks it, sees the figures change,
undoes and redoes, downloads the GeoJSON export and validates it (RFC 7946),
then reloads the page and finds the edit still there. Screenshots go to the
test's tmp dir.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from gridmap.pipeline import demo_layers
from gridmap.ui.i18n import translate

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = ("127.0.0.1", "localhost", "::1")
STEP_MS = 60_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason=f"{CHROMIUM} is absent (make test installs Debian's chromium)"
)


def _zh(key: str, **values: Any) -> str:
    return translate(key, "zh", **values)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("app")
    port = _free_port()
    env = {**os.environ, "GRIDMAP_AUTOSAVE": str(folder / "autosave.gpkg")}
    log = (folder / "server.log").open("w")
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"streamlit did not start: {(folder / 'server.log').read_text()}"
                )
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
            accept_downloads=True,
        )
        blocked: list[str] = []
        served: list[str] = []

        def route(request_route: Any) -> None:
            url = request_route.request.url
            if urlparse(url).hostname in LOOPBACK or url.startswith(("data:", "blob:")):
                served.append(url)
                request_route.continue_()
            else:
                blocked.append(url)
                request_route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(STEP_MS)
        try:
            yield page, blocked, served
        finally:
            context.close()


def _metric(page: Any, label_key: str) -> Any:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=_zh(label_key)).first
    return box.locator('[data-testid="stMetricValue"]')


def _sidebar_page(page: Any, key: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(_zh(key), exact=True).click()


def _draw_square(page: Any, frame: Any, half: int = 45) -> None:
    frame.locator("#map_div").scroll_into_view_if_needed()
    frame.locator("a.leaflet-draw-draw-polygon").click()
    # Measured after the click: clicking may have scrolled the page.
    box = frame.locator("#map_div").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half)]
    corners.append((cx - half, cy + half))
    for x, y in corners:
        page.mouse.click(x, y)
        page.wait_for_timeout(150)
    page.mouse.click(*corners[0])  # clicking the first vertex closes the polygon
    page.mouse.move(5, 5)  # no tooltip over the drawing in the screenshots


def _check_geojson(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data  # RFC 7946 section 4: no crs member

    def points(coords: Any) -> Iterator[tuple[float, float]]:
        if coords and isinstance(coords[0], int | float):
            yield float(coords[0]), float(coords[1])
        else:
            for part in coords:
                yield from points(part)

    for feature in data["features"]:
        assert feature["type"] == "Feature" and "crs" not in feature
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        for lon, lat in points(feature["geometry"]["coordinates"]):
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    return data


def test_planner_session_in_a_real_browser(
    app_url: str, browser_page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page, blocked, served = browser_page
    shots = tmp_path / "screenshots"
    shots.mkdir()

    buildings = demo_layers()["buildings"]
    page.goto(app_url + "/")
    page.get_by_role("button", name=_zh("data.load_demo"), exact=True).click()
    loaded = _zh(
        "data.loaded", buildings=len(buildings), households=int(buildings["households"].sum())
    )
    expect(page.get_by_text(loaded)).to_be_visible()
    page.screenshot(path=str(shots / "1_demo.png"))

    _sidebar_page(page, "page.grids")
    page.get_by_role("button", name=_zh("grids.make"), exact=True).click()
    expect(_metric(page, "grids.locked")).to_have_text("0")
    grid_count = int(_metric(page, "grids.count").inner_text())
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    expect(frame.locator("path.gridmap-grid")).to_have_count(grid_count)
    assert frame.locator("path.gridmap-building").count() > 0
    page.screenshot(path=str(shots / "2_grids.png"))

    _draw_square(page, frame)
    expect(page.get_by_text(_zh("grids.drawn", n=4))).to_be_visible()
    # The page answered without reloading the map: the drawing is still on it.
    map_frame = next(f for f in page.frames if "st_folium" in f.url)
    assert map_frame.evaluate("window.drawnItems.getLayers().length") == 1
    page.screenshot(path=str(shots / "3_drawn.png"))
    page.get_by_role("button", name=_zh("grids.lock_drawn")).click()
    expect(_metric(page, "grids.locked")).to_have_text("1")
    expect(page.get_by_text(_zh("grids.changed", grids="")[:4])).to_be_visible()
    locked_count = int(_metric(page, "grids.count").inner_text())
    expect(frame.locator("path.gridmap-grid")).to_have_count(locked_count)
    page.screenshot(path=str(shots / "4_locked.png"))

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("button", name=_zh("app.undo")).click()
    expect(_metric(page, "grids.locked")).to_have_text("0")
    expect(_metric(page, "grids.count")).to_have_text(str(grid_count))
    sidebar.get_by_role("button", name=_zh("app.redo")).click()
    expect(_metric(page, "grids.locked")).to_have_text("1")
    page.screenshot(path=str(shots / "5_redo.png"))

    _sidebar_page(page, "page.export")
    download_button = page.get_by_role(
        "button", name=_zh("export.download", name="grids_wgs84.geojson")
    )
    with page.expect_download() as download_info:
        download_button.click()
    saved = tmp_path / "grids.geojson"
    download_info.value.save_as(saved)
    data = _check_geojson(saved)
    assert len(data["features"]) == locked_count
    assert sum(bool(f["properties"]["locked"]) for f in data["features"]) == 1
    page.screenshot(path=str(shots / "6_export.png"))

    # Give the background autosave its moment, then reload: the edit is still there.
    page.wait_for_timeout(1500)
    page.reload()
    _sidebar_page(page, "page.grids")
    expect(_metric(page, "grids.locked")).to_have_text("1")
    expect(_metric(page, "grids.count")).to_have_text(str(locked_count))
    page.screenshot(path=str(shots / "7_reloaded.png"))

    assert not blocked, f"requests left the machine: {blocked}"
    assert any("/app/static/vendor/leaflet/leaflet.js" in url for url in served)
    assert any("/app/static/vendor/leaflet-draw/leaflet.draw.js" in url for url in served)
    assert len(list(shots.glob("*.png"))) == 7
