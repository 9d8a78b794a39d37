"""The frame around the pages: sidebar (language, page, project, undo/redo, basemap).

The chosen page is mirrored in the URL (``?page=grids``) so a browser reload
comes back to the same page; the project itself comes back from the autosave.
"""

from __future__ import annotations

import importlib

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from gridmap.errors import localized
from gridmap.ui import PAGES, state
from gridmap.ui.common import guarded
from gridmap.ui.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_KEY,
    LANGUAGES,
    current_language,
    labeller,
    t,
    tm,
)
from gridmap.ui.mapview import is_gcj02_tiles, valid_tile_url

__all__ = ["run_app", "tile_settings", "PAGE_KEY"]

PAGE_KEY = "page"
TILE_URL_KEY = "tile_url"
TILE_ATTR_KEY = "tile_attr"


def _undo() -> None:
    undone = state.undo()
    st.session_state["flash"] = (
        t("app.undone", action=_action_label(undone.edit_log[-1]["action"]))
        if undone is not None and undone.edit_log
        else t("app.nothing_to_undo")
    )


def _redo() -> None:
    done = state.redo()
    st.session_state["flash"] = (
        t("app.redone", action=_action_label(done.edit_log[-1]["action"]))
        if done is not None and done.edit_log
        else t("app.nothing_to_redo")
    )


def _action_label(action: str) -> str:
    try:
        return t(f"action.{action}")
    except KeyError:
        return action


def _page_changed() -> None:
    st.query_params[PAGE_KEY] = st.session_state[PAGE_KEY]


def tile_settings() -> tuple[str | None, str | None]:
    """The tile URL and attribution chosen in the sidebar (None: offline basemap)."""
    url = str(st.session_state.get(TILE_URL_KEY) or "").strip()
    if not url or not valid_tile_url(url):
        return None, None
    return url, str(st.session_state.get(TILE_ATTR_KEY) or "").strip() or None


def _sidebar() -> None:
    side = st.sidebar
    side.title(t("app.title"))
    side.radio(
        t("app.language"),
        LANGUAGES,
        key=LANGUAGE_KEY,
        format_func=labeller("app.language."),
        horizontal=True,
    )
    side.radio(
        t("app.page"),
        PAGES,
        key=PAGE_KEY,
        format_func=labeller("page."),
        on_change=_page_changed,
    )


def _project_status(side: DeltaGenerator) -> None:
    """Project figures, undo/redo and autosave state (drawn after the page acted)."""
    hist = state.history()
    side.subheader(t("app.project"))
    project = hist.current
    if project is None:
        side.info(t("app.no_project"))
    else:
        buildings = project.buildings
        side.text(
            f"{t('data.buildings')}: {len(buildings)}    "
            f"{t('data.households')}: {int(buildings['households'].sum())}"
        )
        grids = project.layer("grids")
        if grids is not None:
            side.text(f"{t('grids.count')}: {len(grids)}")
        side.caption(t("app.edits", n=len(project.edit_log)))
    left, right = side.columns(2)
    left.button(t("app.undo"), key="undo", on_click=_undo, disabled=not hist.past, width="stretch")
    right.button(
        t("app.redo"), key="redo", on_click=_redo, disabled=not hist.future, width="stretch"
    )
    if hist.restore_error:
        side.error(
            tm("app.restore_failed", error=localized(hist.restore_error, current_language()))
        )
    elif hist.restored and hist.saved_at is None and project is not None:
        side.caption(t("app.restored", path=hist.path.name))
    if hist.save_error:
        side.error(tm("app.save_failed", error=localized(hist.save_error, current_language())))
    elif hist.saved_at:
        side.caption(t("app.saved", path=hist.path.name) + f" ({hist.saved_at})")


def _basemap(side: DeltaGenerator) -> None:
    with side.expander(t("app.basemap")):
        st.text_input(t("app.tile_url"), key=TILE_URL_KEY, help=t("app.tile_url.help"))
        st.text_input(t("app.tile_attr"), key=TILE_ATTR_KEY)
        url = str(st.session_state.get(TILE_URL_KEY) or "").strip()
        if url and not valid_tile_url(url):
            st.error(t("app.tile_bad"))
        elif url and is_gcj02_tiles(url):
            st.warning(t("app.tile_gcj02"))


def run_app() -> None:
    """Draw the sidebar and the chosen page."""
    st.set_page_config(page_title="gridmap", layout="wide")
    if LANGUAGE_KEY not in st.session_state:
        st.session_state[LANGUAGE_KEY] = DEFAULT_LANGUAGE
    if PAGE_KEY not in st.session_state:
        wanted = st.query_params.get(PAGE_KEY)
        st.session_state[PAGE_KEY] = wanted if wanted in PAGES else PAGES[0]
    _sidebar()
    status = st.sidebar.container()
    _basemap(st.sidebar)
    flash = st.session_state.pop("flash", None)
    if flash:
        st.toast(flash)
    page = st.session_state[PAGE_KEY]
    with guarded():
        importlib.import_module(f"gridmap.ui.{page}").render()
    _project_status(status)
