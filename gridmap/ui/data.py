"""Page 1, Data: load the demo, upload a file or read an OSM extract; correct households.

The estimates report shows, per table and quantity, how many values came from
the map or file (``tag``), were estimated by a rule (``estimated``) or were
corrected by a planner (``user``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from gridmap import settings
from gridmap.errors import localized
from gridmap.messages import msg
from gridmap.ui import state
from gridmap.ui.common import frame_without_geometry, run_engine, show_metrics, show_table
from gridmap.ui.i18n import current_language, labeller, md, t
from gridmap.ui.mapview import field_label, project_map, show_map
from gridmap.ui.upload import ALLOWED_SUFFIXES, Upload, read_upload, upload_limit_bytes

__all__ = [
    "render",
    "OSM_DIR",
    "DEMO_PRESETS",
    "EDITABLE_COLUMNS",
    "load_demo",
    "apply_households",
    "refresh_after_households",
    "osm_extracts",
]

# Folder of OSM extracts offered on the server (the project's shared real data).
OSM_DIR = Path(
    os.environ.get("GRIDMAP_OSM_DIR", Path(__file__).resolve().parents[3] / "shared" / "osm")
)
OSM_ENDINGS = (".osm", ".osm.bz2", ".pbf", ".osm.pbf")
DEMO_PRESETS = ("demo", "luancheng")
EDITABLE_COLUMNS = (
    "building_id",
    "name",
    "use",
    "levels",
    "households",
    "households_source",
    "compound_id",
    "grid_id",
)
CRS_CHOICES = ("", "4326", "4490", "gcj02", "bd09")


@st.cache_resource(show_spinner=False, max_entries=4)
def _demo_layers(seed: int, preset: str, n_buildings: int | None) -> dict[str, gpd.GeoDataFrame]:
    from gridmap.pipeline import demo_layers

    return demo_layers(seed=seed, preset=preset, n_buildings=n_buildings)


@st.cache_resource(show_spinner=False, max_entries=2)
def _osm_layers(path: str, mtime: float) -> dict[str, gpd.GeoDataFrame]:
    from gridmap.pipeline import load_layers

    return load_layers(Path(path))


def _grid_bounds(preset: str) -> tuple[int, int]:
    from gridmap.demo import grid_bounds_for

    return grid_bounds_for(preset, None)


def load_demo(*, seed: int, preset: str, n_buildings: int | None) -> state.Project:
    """Load the synthetic demo district as the current project."""
    layers = _demo_layers(seed, preset, n_buildings)
    low, high = _grid_bounds(preset)
    params = {
        "source": "demo",
        "preset": preset,
        "seed": seed,
        "n_buildings": n_buildings,
        "min_households": low,
        "max_households": high,
    }
    project = state.Project(layers=dict(layers), params=params)
    return state.commit(
        project,
        action="load_demo",
        detail={"preset": preset, "seed": seed, "n_buildings": n_buildings},
    )


def _new_data(layers: Mapping[str, gpd.GeoDataFrame], *, source: str, action: str) -> None:
    params = {
        "source": source,
        "seed": settings.DEFAULT_SEED,
        "min_households": settings.DEFAULT_MIN_HOUSEHOLDS,
        "max_households": settings.DEFAULT_MAX_HOUSEHOLDS,
    }
    project = state.Project(layers=dict(layers), params=params)
    state.commit(project, action=action, detail={"source": source})


def _saved_project(upload: Upload, *, source: str) -> None:
    """Open an uploaded gridmap project with its own parameters (grid bounds, seed) and edits."""
    project = state.saved_project(upload.layers, upload.edit_log, origin=source)
    params = {**project.params, "source": source}
    state.commit(project.replace(params=params), action="load_project", detail={"source": source})
    st.info(
        t(
            "data.project_params",
            low=params.get("min_households", settings.DEFAULT_MIN_HOUSEHOLDS),
            high=params.get("max_households", settings.DEFAULT_MAX_HOUSEHOLDS),
            edits=len(project.edit_log),
        )
    )


def osm_extracts(folder: Path = OSM_DIR) -> list[Path]:
    """OSM extracts offered from the server folder (sorted; empty when absent)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.lower().endswith(OSM_ENDINGS))


def _demo_form() -> None:
    with st.form("demo_form"):
        left, mid, right = st.columns(3)
        preset = left.selectbox(t("data.preset"), DEMO_PRESETS, key="demo_preset")
        seed = mid.number_input(
            t("data.seed"), value=settings.DEFAULT_SEED, step=1, format="%d", key="demo_seed"
        )
        n = right.number_input(
            t("data.n_buildings"), value=0, min_value=0, step=50, format="%d", key="demo_n"
        )
        submitted = st.form_submit_button(t("data.load_demo"), type="primary")
    if submitted:
        project = run_engine(
            lambda _progress: load_demo(
                seed=int(seed), preset=str(preset), n_buildings=int(n) or None
            ),
            label=t("data.load_demo"),
        )
        if project is not None:
            st.success(
                t(
                    "data.loaded",
                    buildings=len(project.buildings),
                    households=int(project.buildings["households"].sum()),
                )
            )


def _upload_form() -> None:
    limit_mb = upload_limit_bytes() // 1024**2
    kinds = sorted({s.rsplit(".", 1)[-1] for s in ALLOWED_SUFFIXES})
    upload = st.file_uploader(
        t("data.upload"), type=kinds, key="upload_file", help=t("data.upload.help", mb=limit_mb)
    )
    left, right = st.columns(2)
    from_file = t("data.crs.none")

    def crs_label(code: str) -> str:
        return code or from_file

    crs = left.selectbox(t("data.crs"), CRS_CHOICES, format_func=crs_label, key="upload_crs")
    layer = right.text_input(t("data.layer"), key="upload_layer").strip()
    if st.button(t("data.import"), disabled=upload is None, type="primary", key="upload_go"):
        assert upload is not None
        name, payload = upload.name, upload.getvalue()

        lang = current_language()

        def read(_progress: Any) -> Upload:
            return read_upload(name, payload, crs=crs or None, layer=layer or None, lang=lang)

        result = run_engine(read, label=t("data.import"))
        if result is not None:
            layers = result.layers
            for note in result.notes:
                st.warning(md(note))
            if result.edit_log:
                _saved_project(result, source=f"upload:{name}")
            else:
                _new_data(layers, source=f"upload:{name}", action="load_upload")
            st.success(
                t(
                    "data.loaded",
                    buildings=len(layers["buildings"]),
                    households=int(layers["buildings"]["households"].sum()),
                )
            )


def _osm_form() -> None:
    files = osm_extracts()
    if not files:
        st.info(t("data.osm_none", folder=str(OSM_DIR)))
        return
    chosen = st.selectbox(
        t("data.osm_file", folder=str(OSM_DIR)), files, format_func=lambda p: p.name, key="osm_file"
    )
    if st.button(t("data.load_osm"), type="primary", key="osm_go"):
        path = Path(chosen)
        layers = run_engine(
            lambda _progress: _osm_layers(str(path), path.stat().st_mtime), label=path.name
        )
        if layers is not None:
            _new_data(layers, source=f"osm:{path.name}", action="load_osm")
            st.success(
                t(
                    "data.loaded",
                    buildings=len(layers["buildings"]),
                    households=int(layers["buildings"]["households"].sum()),
                )
            )


def apply_households(
    buildings: gpd.GeoDataFrame, edits: Mapping[str, Any]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Return a copy of ``buildings`` with households set by a planner.

    Parameters
    ----------
    buildings : GeoDataFrame
        The buildings table.
    edits : mapping of building_id to value
        New households; values must be whole numbers >= 0.

    Returns
    -------
    buildings : GeoDataFrame
        New frame; edited rows get ``households_source = "user"``.
    changed : list of str
        building_id of the rows whose value changed.

    Raises
    ------
    InputError
        A value is not a whole number >= 0.
    """
    from gridmap.errors import InputError

    ids = buildings["building_id"].astype(str)
    current = dict(zip(ids, buildings["households"], strict=True))
    clean: dict[str, int] = {}
    for building_id, value in edits.items():
        number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
        if pd.isna(number) or number < 0 or float(number) != int(number):
            raise InputError(msg("ui.bad_households", building_id=building_id, value=value))
        if str(building_id) in current and int(number) != int(current[str(building_id)]):
            clean[str(building_id)] = int(number)
    if not clean:
        return buildings, []
    out = buildings.copy()
    mask = ids.isin(list(clean))
    out.loc[mask, "households"] = ids[mask].map(clean).astype(out["households"].dtype)
    out.loc[mask, "households_source"] = "user"
    return out, sorted(clean)


def _households_editor(project: state.Project) -> None:
    st.subheader(t("data.editor"))
    st.caption(t("data.editor.help"))
    table = frame_without_geometry(project.buildings, EDITABLE_COLUMNS).reset_index(drop=True)
    config: dict[str, Any] = {c: st.column_config.Column(field_label(c)) for c in table.columns}
    config["households"] = st.column_config.NumberColumn(
        field_label("households"), min_value=0, step=1, format="%d"
    )
    edited = st.data_editor(
        table,
        key=f"households_{project.token}",
        disabled=[c for c in table.columns if c != "households"],
        column_config=config,
        hide_index=True,
        num_rows="fixed",
        height=320,
    )
    if st.button(t("data.apply"), key="households_apply"):
        edits = dict(zip(edited["building_id"].astype(str), edited["households"], strict=True))
        buildings, changed = apply_households(project.buildings, edits)
        if not changed:
            st.info(t("data.no_change"))
            return
        layers = dict(project.layers)
        layers["buildings"] = buildings
        notes, partition = refresh_after_households(layers, project)
        new = project.replace(layers=layers, partition=partition, members=None)
        state.commit(new, action="households", detail={"building_ids": changed})
        st.success(t("data.applied", n=len(changed)))
        for note in notes:
            st.info(note)


def refresh_after_households(
    layers: dict[str, gpd.GeoDataFrame], project: state.Project
) -> tuple[list[str], Any]:
    """Count the grid totals again (``layers`` is updated); notes and the new partition.

    The grids keep their buildings; :func:`gridmap.partition.partition_from_layers`
    counts households again and names the grids that changed. Member areas are
    dropped (their households are stale).
    """
    notes: list[str] = []
    partition = None
    for stale in ("areas", "members"):
        layers.pop(stale, None)
    if project.layer("grids") is not None:
        partition, why = state.rebuild_partition(layers, project.params)
        if partition is None:
            notes.append(t("data.grids_stale"))
            if why:
                notes.append(md(localized(why, current_language())))
        else:
            layers["buildings"] = partition.buildings
            layers["grids"] = partition.grids
            notes.append(t("data.grids_updated"))
            notes.extend(md(localized(w, current_language())) for w in partition.warnings)
    return notes, partition


def _summary(project: state.Project) -> None:
    buildings = project.buildings
    compounds = project.layer("compounds")
    lots = project.layer("lots")
    show_metrics(
        [
            (t("data.buildings"), len(buildings)),
            (t("data.households"), int(buildings["households"].sum())),
            (t("data.estimated"), int((buildings["households_source"] == "estimated").sum())),
            (t("data.compounds"), 0 if compounds is None else len(compounds)),
            (t("data.lots"), 0 if lots is None else len(lots)),
        ]
    )


def render() -> None:
    """Draw the Data page."""
    st.header(t("data.title"))
    source = st.radio(
        t("data.source"),
        ("demo", "upload", "osm"),
        format_func=labeller("data.source."),
        horizontal=True,
        key="data_source",
    )
    # Each section in its own container: messages inside it do not move the
    # elements below, so the map is not reloaded.
    with st.container():
        if source == "demo":
            _demo_form()
        elif source == "upload":
            _upload_form()
        else:
            _osm_form()
    project = state.current()
    if project is None:
        st.info(t("app.no_project"))
        return
    st.subheader(t("data.summary"))
    _summary(project)
    from gridmap.report import source_counts

    st.subheader(t("data.sources"))
    show_table(source_counts(project.layers))
    with st.container():
        _households_editor(project)
    st.subheader(t("data.map"))
    show_map(project_map(project, kind="data"), key="data_map", height=480)
