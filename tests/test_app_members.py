"""The app's Members page (Streamlit AppTest): areas, shortfall and tree of the demo."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from app_support import (  # noqa: F401  (no_pending_autosave: an autouse fixture)
    N_BUILDINGS,
    assert_ok,
    no_pending_autosave,
    open_app,
    submit,
    zh,
)
from streamlit.testing.v1 import AppTest

from gridmap import settings
from gridmap.errors import GridmapWarning
from gridmap.pipeline import demo_layers, make_grids, make_members, member_summary


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = open_app(monkeypatch, tmp_path / "autosave.gpkg", page="members")
    assert_ok(at)
    return at


def test_members_page_asks_for_grids_first(app: AppTest) -> None:
    assert app.header[0].value == zh("members.title")
    assert zh("app.no_project") in [i.value for i in app.info]


def test_members_of_the_demo(app: AppTest) -> None:
    # Expected figures first: afterwards the app's autosave thread is writing.
    layers = demo_layers(seed=settings.DEFAULT_SEED, n_buildings=N_BUILDINGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        layers, _ = make_grids(layers, min_households=300, max_households=500)
        _, result = make_members(layers, seed=settings.DEFAULT_SEED)
    summary = member_summary(result)

    app.sidebar.radio(key="page").set_value("data").run()
    app.number_input(key="demo_n").set_value(N_BUILDINGS)
    submit(app, "demo_form")
    app.sidebar.radio(key="page").set_value("grids").run()
    submit(app, "grids_form")
    app.sidebar.radio(key="page").set_value("members").run()
    assert_ok(app)
    assert zh("members.none_yet") in [i.value for i in app.info]
    submit(app, "members_form")
    assert_ok(app)

    metrics = {m.label: m.value for m in app.metric}
    assert metrics[zh("members.count")] == str(len(result.members))
    assert metrics[zh("members.areas")] == str(len(result.areas))
    assert metrics[zh("members.missing")] == str(summary["members missing"])
    assert zh("members.synthetic") in [w.value for w in app.warning]
    shortfall, tree_table = app.dataframe[0].value, app.dataframe[1].value
    assert list(shortfall[zh("field.grid_id")]) == list(result.shortfall["grid_id"])
    assert len(tree_table) == len(result.tree_table)
    assert app.json[0].value  # the organisation tree is shown
    # The map opens on the shortfall of every grid; one grid shows its areas.
    chooser = app.selectbox(key="members_grid")
    assert chooser.value == "*" and chooser.options[0] == zh("members.all_grids")
    assert zh("members.overview_legend") in [c.value for c in app.caption]
    chooser.set_value(str(result.shortfall["grid_id"].iloc[0])).run()
    assert_ok(app)
    assert zh("members.overview_legend") not in [c.value for c in app.caption]


def test_an_uploaded_member_list_replaces_the_synthetic_one() -> None:
    from gridmap.ui.upload import UploadError, import_members

    layers = demo_layers(seed=settings.DEFAULT_SEED, n_buildings=120)
    ids = list(layers["buildings"]["building_id"][:3])
    text = "党员编号,楼栋编号,联系户数\n" + "".join(f"M{i},{b},10\n" for i, b in enumerate(ids))
    members, notes = import_members("党员名单.csv", text.encode("utf-8"))
    assert list(members["member_id"]) == ["M0", "M1", "M2"] and notes == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridmapWarning)
        layers, _ = make_grids(layers, min_households=300, max_households=500)
        _, result = make_members(layers, members=members)
    assert not result.synthetic and set(result.members["member_id"]) == {"M0", "M1", "M2"}
    with pytest.raises(UploadError) as refused:
        import_members("list.csv", b"name\nx\n")
    assert "member_id" in refused.value.values["message"]
