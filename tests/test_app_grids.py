"""The app's Grids page (Streamlit AppTest): partition, edits, undo/redo, autosave."""

from __future__ import annotations

import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from app_support import (  # noqa: F401  (no_pending_autosave: an autouse fixture)
    N_BUILDINGS,
    assert_ok,
    no_pending_autosave,
    open_app,
    page_metrics,
    submit,
    zh,
)
from streamlit.testing.v1 import AppTest

from gridmap import io as gio
from gridmap import settings
from gridmap.errors import GridmapWarning
from gridmap.partition import merge_grids
from gridmap.pipeline import demo_layers, make_grids
from gridmap.ui import state
from gridmap.ui.i18n import translate


def _table(at: AppTest) -> Any:
    """The balance table with the column names of the engine (the app shows labels)."""
    shown = at.dataframe[0].value
    names = {
        translate(f"field.{c}", "zh"): c for c in ("grid_id", "households", "locked", "changed")
    }
    return shown.rename(columns=names)


def _new_app(autosave: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = open_app(monkeypatch, autosave)
    assert_ok(at)
    return at


@pytest.fixture
def grids_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = _new_app(tmp_path / "autosave.gpkg", monkeypatch)
    at.number_input(key="demo_n").set_value(N_BUILDINGS)
    submit(at, "demo_form")
    at.sidebar.radio(key="page").set_value("grids").run()
    assert_ok(at)
    submit(at, "grids_form")
    assert_ok(at)
    return at


@pytest.fixture(scope="module")
def expected_grids() -> object:
    layers = demo_layers(seed=settings.DEFAULT_SEED, n_buildings=N_BUILDINGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        _layers, partition = make_grids(
            layers, min_households=300, max_households=500, seed=settings.DEFAULT_SEED
        )
    return partition


def _wait_for_autosave(path: Path, check: object, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        if path.is_file():
            project = gio.read_project(path)
            if check(project):  # type: ignore[operator]
                return project
        if time.monotonic() > deadline:
            raise AssertionError(f"autosave {path} never showed the expected state")
        time.sleep(0.2)


def test_grids_page_shows_the_partition(grids_app: AppTest, expected_grids: object) -> None:
    grids = expected_grids.grids  # type: ignore[attr-defined]
    metrics = page_metrics(grids_app)
    assert metrics[zh("grids.count")] == str(len(grids))
    assert metrics[zh("grids.locked")] == "0"
    assert metrics[zh("grids.mean")] == str(round(float(grids["households"].mean()), 1))
    table = _table(grids_app)
    assert sorted(table["grid_id"]) == sorted(grids["grid_id"])
    assert table.set_index("grid_id")["households"].to_dict() == dict(
        zip(grids["grid_id"], grids["households"], strict=True)
    )


def test_lock_undo_redo_and_autosave(grids_app: AppTest, tmp_path: Path) -> None:
    at = grids_app
    ids = at.selectbox(key="grids_lock_id").options
    target = ids[3]
    at.selectbox(key="grids_lock_id").set_value(target).run()
    at.button(key="grids_lock_go").click().run()
    assert_ok(at)
    assert page_metrics(at)[zh("grids.locked")] == "1"
    table = _table(at).set_index("grid_id")
    assert bool(table.loc[target, "locked"]) and bool(table.loc[target, "changed"])
    saved = _wait_for_autosave(
        tmp_path / "autosave.gpkg",
        lambda p: "grids" in p and p["grids"].set_index("grid_id")["locked"].get(target) == True,  # noqa: E712
    )
    assert [e["action"] for e in saved["edit_log"]][-3:] == ["load_demo", "make_grids", "lock"]

    at.sidebar.button(key="undo").click().run()
    assert_ok(at)
    assert page_metrics(at)[zh("grids.locked")] == "0"
    at.sidebar.button(key="redo").click().run()
    assert page_metrics(at)[zh("grids.locked")] == "1"


def test_merge_and_split_change_the_grid_count(grids_app: AppTest) -> None:
    at = grids_app
    before = int(page_metrics(at)[zh("grids.count")])
    a = at.selectbox(key="grids_merge_a").value
    b = at.selectbox(key="grids_merge_b").value
    at.button(key="grids_merge_go").click().run()
    assert_ok(at)
    assert int(page_metrics(at)[zh("grids.count")]) == before - 1
    assert translate("grids.changed", "zh", grids="").rstrip("-") in at.success[0].value
    assert a in at.success[0].value or b in at.success[0].value
    at.selectbox(key="grids_split_id").set_value(at.selectbox(key="grids_split_id").options[0])
    at.button(key="grids_split_go").click().run()
    assert_ok(at)
    assert int(page_metrics(at)[zh("grids.count")]) == before


def test_a_refused_edit_is_a_message_not_a_traceback(grids_app: AppTest) -> None:
    at = grids_app
    locked_id = at.selectbox(key="grids_merge_a").value
    at.selectbox(key="grids_lock_id").set_value(locked_id).run()
    at.button(key="grids_lock_go").click().run()
    # Merging a locked grid is refused by the engine with a user message.
    at.selectbox(key="grids_merge_a").set_value(locked_id).run()
    at.button(key="grids_merge_go").click().run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith(zh("error.input").split("{")[0])
    assert "Traceback" not in at.error[0].value


def test_server_restart_restores_the_last_state(
    grids_app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = grids_app
    target = at.selectbox(key="grids_lock_id").options[1]
    at.selectbox(key="grids_lock_id").set_value(target).run()
    at.button(key="grids_lock_go").click().run()
    count = page_metrics(at)[zh("grids.count")]
    autosave = tmp_path / "autosave.gpkg"
    _wait_for_autosave(
        autosave,
        lambda p: "grids" in p and bool(p["grids"]["locked"].astype(bool).any()),
    )
    # The partition of the running server, before the restart.
    live = state.current()
    assert live is not None and live.partition is not None
    # A new server process has no history in memory: copy the file to a fresh path.
    restarted = tmp_path / "restart" / "autosave.gpkg"
    restarted.parent.mkdir()
    shutil.copy(autosave, restarted)
    again = _new_app(restarted, monkeypatch)
    again.sidebar.radio(key="page").set_value("grids").run()
    assert_ok(again)
    metrics = page_metrics(again)
    assert metrics[zh("grids.count")] == count
    assert metrics[zh("grids.locked")] == "1"
    # The partition is rebuilt from the saved layers: no re-partition is asked for.
    assert zh("grids.no_partition") not in [i.value for i in again.info]
    table = _table(again).set_index("grid_id")
    expected = live.partition.grids.set_index("grid_id")
    assert table["households"].to_dict() == expected["households"].to_dict()
    assert table["locked"].astype(bool).to_dict() == expected["locked"].to_dict()
    # An edit after the restart gives what the same edit gives without a restart.
    a = next(g for g in again.selectbox(key="grids_merge_a").options if g != target)
    again.selectbox(key="grids_merge_a").set_value(a).run()
    b = next(g for g in again.selectbox(key="grids_merge_b").options if g != target)
    again.selectbox(key="grids_merge_b").set_value(b).run()
    again.button(key="grids_merge_go").click().run()
    assert_ok(again)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        merged = merge_grids(live.partition, a, b)
    assert page_metrics(again)[zh("grids.count")] == str(len(merged.grids))
    table = _table(again).set_index("grid_id")
    expected = merged.grids.set_index("grid_id")
    assert table["households"].to_dict() == expected["households"].to_dict()
    assert set(merged.changed) == {a, b}
    assert set(table.index[table["changed"].astype(bool)]) == {min(a, b)}  # the other is gone
    assert page_metrics(again)[zh("grids.locked")] == "1"
    # Re-partitioning keeps the locked grid.
    submit(again, "grids_form")
    assert_ok(again)
    assert page_metrics(again)[zh("grids.locked")] == "1"
    assert target in list(_table(again)["grid_id"])


def test_corrected_households_update_the_grid_totals(grids_app: AppTest) -> None:
    from gridmap.ui.data import apply_households, refresh_after_households

    project = state.current()
    assert project is not None and project.partition is not None
    buildings = project.buildings
    row = buildings[buildings["unit"].isna()].iloc[0]
    grid = str(row["grid_id"])
    old_total = int(project.layers["grids"].set_index("grid_id").loc[grid, "households"])
    corrected, changed = apply_households(
        buildings, {str(row["building_id"]): int(row["households"]) + 11}
    )
    assert changed == [str(row["building_id"])]
    layers = {**project.layers, "buildings": corrected}
    notes, partition = refresh_after_households(layers, project)
    assert partition is not None
    assert zh("data.grids_updated") in notes
    assert any(grid in note and "已重新统计" in note for note in notes)  # in the UI language
    totals = layers["grids"].set_index("grid_id")["households"]
    assert int(totals[grid]) == old_total + 11
    sums = layers["buildings"].groupby("grid_id")["households"].sum()
    assert sums.to_dict() == totals.to_dict()
    assert "areas" not in layers and "members" not in layers


def test_thorough_mode_is_a_checkbox_and_is_remembered(grids_app: AppTest) -> None:
    at = grids_app
    first = state.current()
    assert first is not None and not first.params.get("exact_time")
    at.checkbox(key="grids_exact").check()
    submit(at, "grids_form")
    assert_ok(at)
    project = state.current()
    assert project is not None and project.params["exact_time"] == 2.0
    assert project.edit_log[-1]["action"] == "make_grids"
    assert project.edit_log[-1]["detail"]["exact_time"] == 2.0
    assert at.checkbox(key="grids_exact").value is True
