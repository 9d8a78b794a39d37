"""What the Streamlit AppTest modules share: opening the app, forms, messages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from gridmap.ui import state
from gridmap.ui.i18n import translate

ROOT = Path(__file__).resolve().parents[1]
N_BUILDINGS = 400


@pytest.fixture(autouse=True)
def no_pending_autosave() -> Iterator[None]:
    """Autosave threads change warning filters (catch_warnings): let them finish."""
    state.flush_all()
    yield
    state.flush_all()


def zh(key: str, **values: object) -> str:
    """The Chinese text of a message key."""
    return translate(key, "zh", **values)


def submit(at: AppTest, form: str) -> AppTest:
    """Press the submit button of a Streamlit form and rerun."""
    button = next(b for b in at.button if b.key.startswith(f"FormSubmitter:{form}-"))
    return button.click().run()


def page_metrics(at: AppTest) -> dict[str, str]:
    """The page's st.metric values by label."""
    return {m.label: m.value for m in at.metric}


def assert_ok(at: AppTest) -> None:
    """No exception and no error message on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_app(
    monkeypatch: pytest.MonkeyPatch, autosave: Path, *, page: str | None = None
) -> AppTest:
    """Run app.py with its autosave in ``autosave``, optionally on ``page``."""
    monkeypatch.setenv("GRIDMAP_AUTOSAVE", str(autosave))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if page is not None:
        at.session_state["page"] = page
    return at.run()


def two_building_layers(building_ids: list[str], names: list[str]) -> dict[str, gpd.GeoDataFrame]:
    """Two buildings in one grid (EPSG:4326), with the given ids and names: hostile-text fixtures."""
    buildings = gpd.GeoDataFrame(
        {
            "building_id": building_ids,
            "name": names,
            "households": [10, 20],
            "grid_id": ["G1", "G1"],
        },
        geometry=[
            shapely.box(116.30, 39.90, 116.301, 39.901),
            shapely.box(116.302, 39.90, 116.303, 39.901),
        ],
        crs=4326,
    )
    grids = gpd.GeoDataFrame(
        {"grid_id": ["G1"], "households": [30], "locked": [False]},
        geometry=[shapely.box(116.299, 39.899, 116.304, 39.902)],
        crs=4326,
    )
    return {"buildings": buildings, "grids": grids}
