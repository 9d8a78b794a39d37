"""The app's Parking page (Streamlit AppTest): presets, the demand form, the sweep."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import (  # noqa: F401  (no_pending_autosave: an autouse fixture)
    assert_ok,
    no_pending_autosave,
    open_app,
    page_metrics,
    zh,
)
from streamlit.testing.v1 import AppTest

from gridmap import parking, settings
from gridmap.ui import state
from gridmap.ui.parking import lot_windows, parse_profile, scenario_from_form


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = open_app(monkeypatch, tmp_path / "autosave.gpkg", page="parking")
    assert_ok(at)
    return at


def test_preset_run_shows_the_engine_numbers(app: AppTest) -> None:
    app.radio(key="parking_source").set_value("preset").run()
    name = app.selectbox(key="parking_preset").value
    app.button(key="parking_run_go").click().run()
    assert_ok(app)
    state.flush_all()  # no autosave thread may touch the warning filters now
    result = parking.run_scenario(parking.preset(name), seed=settings.DEFAULT_SEED)
    metrics = page_metrics(app)
    conflicts = round(float(result["resident_conflicts"]["mean"]), 2)
    assert float(metrics[zh("parking.conflicts")]) == conflicts
    assert float(metrics[zh("parking.walk")]) == round(float(result["mean_walk_m"]["mean"]), 2)
    revenue = sum(float(v["mean"]) for v in result["revenue"].values())
    assert float(metrics[zh("parking.revenue")]) == round(revenue, 2)
    lots = app.dataframe[0].value
    assert list(lots[zh("field.lot_id")]) == list(result["lots"])
    images = [e for e in app.main if type(e).__name__ == "Image"]
    assert images, "the occupancy chart of gridmap.parking.charts is shown"

    # The sweep over shared spaces of one lot, with the engine's best value.
    lot_id = app.selectbox(key="parking_sweep_lot").value
    app.text_input(key=f"parking_sweep_{lot_id}").set_value("0,5,10").run()
    app.button(key="parking_sweep_go").click().run()
    assert_ok(app)
    state.flush_all()  # no autosave thread may touch the warning filters now
    sweep = parking.sweep_shared_spaces(
        parking.preset(name),
        lot_id=lot_id,
        values=[0, 5, 10],
        threshold_per_100_days=1.0,
        seed=settings.DEFAULT_SEED,
    )
    best = page_metrics(app)[zh("parking.sweep_best")]
    assert best == ("-" if sweep["best"] is None else str(sweep["best"]))


def test_demand_form_runs_the_data_model_example(app: AppTest) -> None:
    app.radio(key="parking_source").set_value("form").run()
    assert_ok(app)
    app.button(key="parking_run_go").click().run()
    assert_ok(app)
    example = {
        "method": "demand",
        "slot_minutes": 60,
        "rounding": "half_up",
        "uses": [
            {
                "name": "office",
                "base_spaces": 600,
                "profile": [
                    0,
                    0,
                    0,
                    0,
                    0,
                    3,
                    15,
                    50,
                    90,
                    100,
                    100,
                    90,
                    85,
                    90,
                    100,
                    100,
                    90,
                    50,
                    20,
                    10,
                    5,
                    3,
                    1,
                    0,
                ],
            },  # fmt: skip
            {
                "name": "residential",
                "ratio": 1.2,
                "size": 470,
                "profile": "cleveland_heights/residential/weekday",
            },
        ],
    }
    state.flush_all()  # no autosave thread may touch the warning filters now
    result = parking.run_scenario(example)
    metrics = page_metrics(app)
    assert metrics[zh("parking.peak")] == str(result["peak"])
    assert metrics[zh("parking.peak_time")] == result["peak_time"]
    assert metrics[zh("parking.sum_of_peaks")] == str(result["sum_of_peaks"])
    assert metrics[zh("parking.savings")] == str(result["savings"])


def test_parking_with_the_demo_map_lots(app: AppTest) -> None:
    app.sidebar.radio(key="page").set_value("data").run()
    app.number_input(key="demo_n").set_value(300)
    next(b for b in app.button if b.key.startswith("FormSubmitter:demo_form-")).click().run()
    app.sidebar.radio(key="page").set_value("parking").run()
    assert_ok(app)
    assert app.radio(key="parking_source").value == "map"
    app.button(key="parking_run_go").click().run()
    assert_ok(app)
    assert zh("parking.conflicts") in page_metrics(app)


def test_form_helpers() -> None:
    assert parse_profile("cleveland_heights/office/weekday") == "cleveland_heights/office/weekday"
    assert parse_profile("0, 50，100") == [0, 50, 100]
    with pytest.raises(Exception, match="x"):
        parse_profile("1,x,3")
    scenario = {"lots": [{"lot_id": "A", "window": "18:00-08:00", "shared": 20}, {"lot_id": "B"}]}
    assert lot_windows(scenario) == {"A": "18:00-08:00 (20)"}
    import pandas as pd

    bad = pd.DataFrame({"name": ["office"], "base_spaces": [-5.0], "profile": ["1," * 23 + "1"]})
    with pytest.raises(Exception, match="base_spaces"):
        scenario_from_form(bad, slot_minutes=60, rounding="half_up")
