"""Page 3, Members: "1+10" responsibility areas on the map, shortfall by grid, the tree.

The assignment is :func:`gridmap.pipeline.make_members` (the engine
:func:`gridmap.members.assign_members`); without a member list it draws a
labelled synthetic set, and the page says so.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from gridmap import settings
from gridmap.ui import state
from gridmap.ui.common import frame_without_geometry, run_engine, show_metrics, show_table
from gridmap.ui.i18n import md, t
from gridmap.ui.mapview import project_map, show_map
from gridmap.ui.upload import MEMBER_SUFFIXES, import_members

__all__ = ["render", "make_members", "MODELS"]

MODELS = ("standard", "nantong")


def make_members(
    project: state.Project,
    *,
    per_member: int,
    model: str,
    seed: int,
    progress: Any,
    members: pd.DataFrame | None = None,
    source: str | None = None,
) -> state.Project:
    """Assign member areas for the project's grids; commit the result.

    ``members`` is an uploaded member list (``source`` names the file); without
    it the engine draws a labelled synthetic list.
    """
    from gridmap.pipeline import make_members as pipeline_make_members

    layers, result = pipeline_make_members(
        project.layers,
        members=members,
        per_member=per_member,
        model=model,
        seed=seed,
        progress=progress,
    )
    params = {**project.params, "per_member": per_member, "model": model}
    new = project.replace(layers=layers, members=result, params=params)
    detail = {"per_member": per_member, "model": model, "seed": seed, "members": source}
    return state.commit(new, action="members", detail=detail)


def _form(project: state.Project) -> None:
    with st.form("members_form"):
        a, b, c = st.columns(3)
        per_member = a.number_input(
            t("members.per_member"),
            value=int(project.params.get("per_member", settings.DEFAULT_HOUSEHOLDS_PER_MEMBER)),
            min_value=1,
            step=1,
            key="members_per",
        )
        model = b.selectbox(t("members.model"), MODELS, key="members_model")
        seed = c.number_input(
            t("grids.seed"),
            value=int(project.params.get("seed", settings.DEFAULT_SEED)),
            step=1,
            format="%d",
            key="members_seed",
        )
        upload = st.file_uploader(
            t("members.upload"),
            type=sorted({s.rsplit(".", 1)[-1] for s in MEMBER_SUFFIXES}),
            key="members_file",
        )
        submitted = st.form_submit_button(t("members.run"), type="primary")
    if submitted:

        def assign(progress: Any) -> state.Project:
            members = None
            if upload is not None:
                members, notes = import_members(upload.name, upload.getvalue())
                for note in notes:
                    st.warning(md(note))
            return make_members(
                project,
                per_member=int(per_member),
                model=str(model),
                seed=int(seed),
                progress=progress,
                members=members,
                source=None if upload is None else upload.name,
            )

        done = run_engine(assign, label=t("members.run"))
        if done is not None:
            st.rerun()


def _metrics(project: state.Project) -> None:
    result = project.members
    areas = project.layers["areas"]
    members = project.layer("members")
    if result is not None:
        from gridmap.pipeline import member_summary

        summary = member_summary(result)
        missing: Any = summary["members missing"]
    else:
        missing = "-"
    show_metrics(
        [
            (t("members.count"), 0 if members is None else len(members)),
            (t("members.areas"), len(areas)),
            (t("members.missing"), missing),
        ]
    )
    synthetic = bool(getattr(result, "synthetic", False)) or (
        members is not None
        and "is_synthetic" in members
        and bool(members["is_synthetic"].astype(bool).any())
    )
    if synthetic:
        st.warning(t("members.synthetic"))


def _tree(result: Any) -> None:
    st.subheader(t("members.tree"))
    st.json(result.tree, expanded=2)
    st.subheader(t("members.tree_table"))
    show_table(pd.DataFrame(result.tree_table), key="members_tree_table")


ALL_GRIDS = "*"


def _member_map(project: state.Project, result: Any) -> None:
    """The shortfall of every grid at once, or the areas and homes of one grid."""
    grids = sorted({str(g) for g in project.layers["areas"]["grid_id"]})
    choices = ([ALL_GRIDS] if result is not None else []) + grids
    focus = st.selectbox(
        t("members.grid"),
        choices,
        format_func=lambda g: t("members.all_grids") if g == ALL_GRIDS else g,
        key="members_grid",
    )
    if focus == ALL_GRIDS:
        st.caption(t("members.overview_legend"))
        fmap = project_map(project, kind="members_overview", grid_status=result.shortfall)
    else:
        fmap = project_map(project, kind="members", focus_grid=str(focus))
    show_map(fmap, key="members_map", height=520)


def render() -> None:
    """Draw the Members page."""
    st.header(t("members.title"))
    project = state.current()
    if project is None:
        st.info(t("app.no_project"))
        return
    if project.layer("grids") is None:
        st.info(t("members.need_grids"))
        return
    with st.container():
        _form(project)
    if project.layer("areas") is None:
        st.info(t("members.none_yet"))
        return
    _metrics(project)
    result = project.members
    _member_map(project, result)
    if result is None:
        st.info(t("members.stale"))
        columns = ["area_id", "grid_id", "member_id", "households", "building_ids"]
        show_table(frame_without_geometry(project.layers["areas"], columns), key="members_areas")
        return
    st.subheader(t("members.shortfall"))
    show_table(pd.DataFrame(result.shortfall), key="members_shortfall")
    _tree(result)
