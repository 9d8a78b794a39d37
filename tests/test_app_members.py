"""The app's Members page (Streamlit AppTest): areas, shortfall and tree of the demo."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gridmap import settings
from gridmap.errors import GridmapWarning
from gridmap.pipeline import demo_layers, make_grids, make_members, member_summary
from gridmap.ui import state
from gridmap.ui.i18n import translate

ROOT = Path(__file__).resolve().parents[1]
N_BUILDINGS = 400


@pytest.fixture(autouse=True)
def _no_pending_autosave() -> Iterator[None]:
    """Autosave threads change warning filters (catch_warnings): let them finish."""
    state.flush_all()
    yield
    state.flush_all()


def _zh(key: str) -> str:
    return translate(key, "zh")


def _submit(at: AppTest, form: str) -> AppTest:
    button = next(b for b in at.button if b.key.startswith(f"FormSubmitter:{form}-"))
    return button.click().run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("GRIDMAP_AUTOSAVE", str(tmp_path / "autosave.gpkg"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["page"] = "members"
    at.run()
    _ok(at)
    return at


def test_members_page_asks_for_grids_first(app: AppTest) -> None:
    assert app.header[0].value == _zh("members.title")
    assert _zh("app.no_project") in [i.value for i in app.info]


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
    _submit(app, "demo_form")
    app.sidebar.radio(key="page").set_value("grids").run()
    _submit(app, "grids_form")
    app.sidebar.radio(key="page").set_value("members").run()
    _ok(app)
    assert _zh("members.none_yet") in [i.value for i in app.info]
    _submit(app, "members_form")
    _ok(app)

    metrics = {m.label: m.value for m in app.metric}
    assert metrics[_zh("members.count")] == str(len(result.members))
    assert metrics[_zh("members.areas")] == str(len(result.areas))
    assert metrics[_zh("members.missing")] == str(summary["members missing"])
    assert _zh("members.synthetic") in [w.value for w in app.warning]
    shortfall, tree_table = app.dataframe[0].value, app.dataframe[1].value
    assert list(shortfall[_zh("field.grid_id")]) == list(result.shortfall["grid_id"])
    assert len(tree_table) == len(result.tree_table)
    assert app.json[0].value  # the organisation tree is shown


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
