"""Page 2, Grids: partition, then edit by hand on the map; undo and redo.

Edits are the engine's (:mod:`gridmap.partition`): lock a drawn polygon (the
rest of the touched grids is re-partitioned), lock an existing grid, move a
building or a whole compound to a neighbouring grid, merge two grids, split one.
Each returns a new partition whose ``changed`` grids go into the edit log.

Buttons only queue an action (``on_click``); the page runs it at the top of the
next run, before drawing, so the map and the table show the result at once
without a second run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import shapely
import streamlit as st

from gridmap import settings
from gridmap.errors import GridmapError, InputError, localized
from gridmap.messages import msg
from gridmap.ui import state
from gridmap.ui.common import frame_without_geometry, run_engine, show_metrics, show_table
from gridmap.ui.i18n import current_language, md, t, tm
from gridmap.ui.mapview import (
    clicked_point,
    drawn_polygon,
    feature_at,
    project_map,
    selection_group,
    show_map,
)

__all__ = [
    "render",
    "make_grids",
    "apply_edit",
    "run_action",
    "grid_metrics",
    "neighbours",
    "rebuilt",
    "with_partition",
    "SELECTED_KEY",
    "PENDING_KEY",
]

SELECTED_KEY = "grids_selected_building"
PENDING_KEY = "grids_pending"
DRAWN_KEY = "grids_drawn"
_LAST_CLICK_KEY = "grids_last_click"


def _bounds(project: state.Project) -> tuple[int, int]:
    low = int(project.params.get("min_households", settings.DEFAULT_MIN_HOUSEHOLDS))
    high = int(project.params.get("max_households", settings.DEFAULT_MAX_HOUSEHOLDS))
    return low, high


def grid_metrics(project: state.Project) -> list[tuple[str, Any]]:
    """The key figures of the grids shown above the map."""
    from gridmap.pipeline import grid_summary

    grids = project.layers["grids"]
    low, high = _bounds(project)
    summary = grid_summary(grids, low, high)
    locked = int(grids["locked"].astype(bool).sum()) if "locked" in grids else 0
    return [
        (t("grids.count"), summary["grids"]),
        (t("grids.locked"), locked),
        (t("grids.mean"), summary["households per grid (mean)"]),
        (
            f"{t('grids.in_bounds')} ({low}-{high})",
            str(summary["grids within bounds"]).split(" ")[0],
        ),
    ]


# CP-SAT time per community left with grids out of bounds in thorough mode.
THOROUGH_SECONDS = 2.0


def make_grids(
    project: state.Project,
    *,
    min_households: int,
    max_households: int,
    n_grids: int | None,
    seed: int,
    progress: Any,
    exact_time: float = 0.0,
) -> state.Project:
    """Partition the project's buildings (keeping its locked grids); commit the result.

    ``exact_time`` > 0 is the thorough mode (CP-SAT for communities left with
    grids out of bounds, see ``partition_grids``).
    """
    from gridmap.pipeline import make_grids as pipeline_make_grids

    grids = project.layer("grids")
    locked = None
    if grids is not None and "locked" in grids and grids["locked"].astype(bool).any():
        locked = grids[grids["locked"].astype(bool)]
    layers, partition = pipeline_make_grids(
        project.layers,
        min_households=min_households,
        max_households=max_households,
        n_grids=n_grids,
        locked=locked,
        seed=seed,
        progress=progress,
        exact_time=exact_time,
    )
    params = {
        **project.params,
        "min_households": min_households,
        "max_households": max_households,
        "n_grids": n_grids,
        "seed": seed,
        "exact_time": exact_time,
    }
    for stale in ("areas", "members"):
        layers.pop(stale, None)
    new = project.replace(layers=layers, partition=partition, params=params, members=None)
    detail = {
        "min_households": min_households,
        "max_households": max_households,
        "n_grids": n_grids,
        "seed": seed,
        "exact_time": exact_time,
        "locked": 0 if locked is None else len(locked),
    }
    return state.commit(new, action="make_grids", detail=detail)


def apply_edit(
    project: state.Project, *, action: str, detail: Mapping[str, Any], partition: Any
) -> state.Project:
    """Commit the partition an edit returned, with the changed grids in the log."""
    layers = dict(project.layers)
    layers["buildings"] = partition.buildings
    layers["grids"] = partition.grids
    for stale in ("areas", "members"):
        layers.pop(stale, None)
    changed = [str(g) for g in getattr(partition, "changed", ())]
    new = project.replace(layers=layers, partition=partition, members=None)
    return state.commit(new, action=action, detail={**detail, "changed": changed})


def _edited_partition(partition: Any, action: str, detail: Mapping[str, Any]) -> Any:
    """Call the engine's edit function named by ``action`` with ``detail``."""
    from gridmap import partition as engine

    if action == "lock":
        if "polygon" in detail:
            polygon = shapely.from_wkt(detail["polygon"])
            return engine.lock_grid(partition, gpd.GeoSeries([polygon], crs=4326))
        return engine.lock_grid(partition, str(detail["grid_id"]))
    if action == "move":
        if detail.get("compound_id"):
            return engine.move_units(
                partition, compound_id=str(detail["compound_id"]), to_grid=str(detail["to_grid"])
            )
        return engine.move_units(
            partition,
            building_ids=[str(b) for b in detail["building_ids"]],
            to_grid=str(detail["to_grid"]),
        )
    if action == "merge":
        return engine.merge_grids(partition, str(detail["a"]), str(detail["b"]))
    if action == "split":
        return engine.split_grid(partition, str(detail["grid_id"]), parts=int(detail["parts"]))
    raise ValueError(f"unknown grid edit {action!r}")


def run_action(
    project: state.Project, action: str, detail: Mapping[str, Any]
) -> state.Project | None:
    """Run a queued action (``make_grids`` or an edit) with a progress bar; commit it.

    Returns
    -------
    Project or None
        The committed project, or None when the engine refused (message shown).
    """
    if action == "make_grids":
        return run_engine(
            lambda progress: make_grids(
                project,
                min_households=int(detail["min_households"]),
                max_households=int(detail["max_households"]),
                n_grids=detail.get("n_grids"),
                seed=int(detail["seed"]),
                progress=progress,
                exact_time=float(detail.get("exact_time") or 0.0),
            ),
            label=t("action.make_grids"),
        )

    def edit(_progress: Any) -> state.Project:
        if project.partition is None:
            why = rebuilt(project)[1]
            raise InputError(msg("ui.no_partition", why=localized(why or "", current_language())))
        partition = _edited_partition(project.partition, action, detail)
        return apply_edit(project, action=action, detail=detail, partition=partition)

    done = run_engine(edit, label=t(f"action.{action}"))
    if done is not None:
        changed = done.edit_log[-1]["detail"].get("changed", [])
        st.success(tm("grids.changed", grids=", ".join(changed) or "-"))
    return done


@st.cache_resource(show_spinner=False, max_entries=4)
def _rebuilt_cached(token: str, _project: state.Project) -> tuple[Any, GridmapError | str | None]:
    return state.rebuild_partition(_project.layers, _project.params)


def rebuilt(project: state.Project) -> tuple[Any, GridmapError | str | None]:
    """The partition of a project's saved grids (see :func:`state.rebuild_partition`).

    Returns
    -------
    partition : GridPartition or None
    reason : GridmapError, str or None
        Why the grids cannot be edited without re-partitioning.
    """
    if project.partition is not None:
        return project.partition, None
    return _rebuilt_cached(project.token, project)


def with_partition(project: state.Project) -> state.Project:
    """``project`` with the partition rebuilt from its layers when it has none (not committed)."""
    if project.partition is not None or project.layer("grids") is None:
        return project
    partition, _why = rebuilt(project)
    return project if partition is None else project.replace(partition=partition)


def _queue(action: str, detail: Mapping[str, Any]) -> None:
    st.session_state[PENDING_KEY] = (action, dict(detail))


def _queue_make_grids() -> None:
    ss = st.session_state
    _queue(
        "make_grids",
        {
            "min_households": int(ss["grids_min"]),
            "max_households": int(ss["grids_max"]),
            "n_grids": int(ss["grids_n"]) or None,
            "seed": int(ss["grids_seed"]),
            "exact_time": THOROUGH_SECONDS if ss.get("grids_exact") else 0.0,
        },
    )


def _queue_from(action: str, build: Any) -> None:
    """Queue ``action`` with the detail ``build()`` reads from the widgets now."""
    detail = build()
    if detail is not None:
        _queue(action, detail)


@st.cache_resource(show_spinner=False, max_entries=4)
def _neighbours_cached(token: str, _project: state.Project) -> dict[str, list[str]]:
    from gridmap.crs import metric_crs
    from gridmap.members import grid_neighbours

    buildings = _project.buildings
    crs = metric_crs(buildings)
    return grid_neighbours(buildings.to_crs(crs), grids=_project.layers["grids"].to_crs(crs))


def neighbours(project: state.Project) -> dict[str, list[str]]:
    """Neighbouring grids of every grid, nearest first (engine: gridmap.members)."""
    return _neighbours_cached(project.token, project)


def _params_form(project: state.Project) -> None:
    low, high = _bounds(project)
    grids = project.layer("grids")
    has_locked = (
        grids is not None and "locked" in grids and bool(grids["locked"].astype(bool).any())
    )
    with st.form("grids_form"):
        a, b, c, d = st.columns(4)
        a.number_input(t("grids.min"), value=low, min_value=0, step=10, key="grids_min")
        b.number_input(t("grids.max"), value=high, min_value=1, step=10, key="grids_max")
        c.number_input(
            t("grids.n_grids"),
            value=int(project.params.get("n_grids") or 0),
            min_value=0,
            step=1,
            key="grids_n",
        )
        d.number_input(
            t("grids.seed"),
            value=int(project.params.get("seed", settings.DEFAULT_SEED)),
            step=1,
            format="%d",
            key="grids_seed",
        )
        st.checkbox(
            t("grids.thorough"),
            value=bool(project.params.get("exact_time")),
            key="grids_exact",
            help=t("grids.thorough_help"),
        )
        label = t("grids.remake") if has_locked else t("grids.make")
        st.form_submit_button(label, type="primary", on_click=_queue_make_grids)


def _select_from_click(project: state.Project, result: Mapping[str, Any]) -> bool:
    """Select the building under the last click; True when the selection changed."""
    point = clicked_point(result)
    if point is None or point == st.session_state.get(_LAST_CLICK_KEY):
        return False
    st.session_state[_LAST_CLICK_KEY] = point
    building = feature_at(project.buildings, point[0], point[1], "building_id")
    if building is not None and building != st.session_state.get(SELECTED_KEY):
        st.session_state[SELECTED_KEY] = building
        return True
    return False


def _lock_panel(project: state.Project, result: Mapping[str, Any]) -> None:
    polygon = drawn_polygon(result)
    if polygon is not None:
        st.session_state[DRAWN_KEY] = shapely.to_wkt(polygon, rounding_precision=7)
        st.success(t("grids.drawn", n=len(polygon.exterior.coords) - 1))
        st.button(
            t("grids.lock_drawn"),
            type="primary",
            key="grids_lock_drawn",
            on_click=_queue_from,
            args=("lock", lambda: {"polygon": st.session_state.get(DRAWN_KEY)}),
        )
    ids = [str(g) for g in project.layers["grids"]["grid_id"]]
    with st.expander(t("grids.lock_existing")):
        st.selectbox(t("grids.split_grid"), ids, key="grids_lock_id")
        st.button(
            t("grids.lock_grid"),
            key="grids_lock_go",
            on_click=_queue_from,
            args=("lock", lambda: {"grid_id": st.session_state["grids_lock_id"]}),
        )


def _move_detail() -> dict[str, Any] | None:
    ss = st.session_state
    target = ss.get("grids_move_to")
    if not target:
        return None
    compound = ss.get("grids_move_compound")
    if compound and ss.get("grids_whole"):
        return {"compound_id": compound, "to_grid": target}
    return {"building_ids": [ss["grids_move_building"]], "to_grid": target}


def _move_panel(project: state.Project) -> None:
    buildings = project.buildings
    ids = [str(b) for b in buildings["building_id"]]
    selected = st.session_state.get(SELECTED_KEY)
    if selected in ids and st.session_state.get("grids_move_building") != selected:
        st.session_state["grids_move_building"] = selected
    with st.expander(t("grids.move"), expanded=selected in ids):
        building = st.selectbox(t("grids.building"), ids, key="grids_move_building")
        row = buildings[buildings["building_id"].astype(str) == building].iloc[0]
        own = None if row.get("grid_id") is None else str(row["grid_id"])
        st.caption(tm("grids.selected", building_id=building, grid_id=own or "-"))
        compound = row.get("compound_id")
        has_compound = compound is not None and str(compound) not in ("", "nan", "None", "<NA>")
        st.session_state["grids_move_compound"] = str(compound) if has_compound else None
        if has_compound:
            st.checkbox(tm("grids.whole_compound", compound=str(compound)), key="grids_whole")
        near = neighbours(project).get(own or "", [])
        others = [str(g) for g in project.layers["grids"]["grid_id"] if str(g) not in near]
        targets = [g for g in [*near, *others] if g != own]
        st.selectbox(t("grids.to_grid"), targets, key="grids_move_to")
        st.button(
            t("grids.move_button"),
            key="grids_move_go",
            on_click=_queue_from,
            args=("move", _move_detail),
        )


def _merge_split_panel(project: state.Project) -> None:
    ids = [str(g) for g in project.layers["grids"]["grid_id"]]
    with st.expander(t("grids.merge")):
        a = st.selectbox(t("grids.merge_a"), ids, key="grids_merge_a")
        near = [g for g in neighbours(project).get(str(a), []) if g in ids]
        st.selectbox(t("grids.merge_b"), near or [g for g in ids if g != a], key="grids_merge_b")
        st.button(
            t("grids.merge_button"),
            key="grids_merge_go",
            on_click=_queue_from,
            args=(
                "merge",
                lambda: {
                    "a": st.session_state["grids_merge_a"],
                    "b": st.session_state["grids_merge_b"],
                },
            ),
        )
    with st.expander(t("grids.split")):
        st.selectbox(t("grids.split_grid"), ids, key="grids_split_id")
        st.number_input(t("grids.parts"), value=2, min_value=2, max_value=8, key="grids_parts")
        st.button(
            t("grids.split_button"),
            key="grids_split_go",
            on_click=_queue_from,
            args=(
                "split",
                lambda: {
                    "grid_id": st.session_state["grids_split_id"],
                    "parts": int(st.session_state["grids_parts"]),
                },
            ),
        )


def _balance(project: state.Project) -> None:
    st.subheader(t("grids.balance"))
    partition = project.partition
    if partition is not None:
        show_table(partition.balance(), key="grids_balance")
    else:
        columns = ["grid_id", "community_id", "name", "households", "n_buildings", "locked"]
        show_table(frame_without_geometry(project.layers["grids"], columns), key="grids_balance")
    notes = list(getattr(partition, "warnings", ()) or ())
    if notes:
        with st.expander(t("grids.warnings")):
            for note in notes:
                st.text(localized(note, current_language()))


def render() -> None:
    """Draw the Grids page."""
    st.header(t("grids.title"))
    project = state.current()
    if project is None:
        st.info(t("grids.need_data"))
        return
    # Messages go into one container, so the elements after it keep their place
    # and the map is not reloaded (which would drop a polygon being drawn).
    notice = st.container()
    with notice:
        # A project restored or loaded from a GeoPackage has no partition object
        # yet: rebuild it from its layers, so edits work without re-partitioning.
        project = with_partition(project)
        pending = st.session_state.pop(PENDING_KEY, None)
        if pending is not None:
            done = run_action(project, *pending)
            project = with_partition(done) if done is not None else project
        if project.layer("grids") is not None and project.partition is None:
            st.info(t("grids.no_partition"))
            why = rebuilt(project)[1]
            if why:
                st.caption(md(localized(why, current_language())))
    _params_form(project)
    if project.layer("grids") is None:
        st.info(t("grids.none_yet"))
        return
    show_metrics(grid_metrics(project))
    left, right = st.columns([3, 2])
    with left:
        st.caption(t("grids.map_help"))
        selected = st.session_state.get(SELECTED_KEY)
        fmap = project_map(project, kind="grids", draw=True)
        overlay = selection_group(project.buildings, [selected] if selected else [])
        result = show_map(fmap, key="grids_map", height=560, overlay=overlay)
    if _select_from_click(project, result):
        st.rerun()
    with right:
        st.subheader(t("grids.edit"))
        _lock_panel(project, result)
        _move_panel(project)
        _merge_split_panel(project)
    _balance(project)
