"""Page 5, Export: layers as GeoJSON (RFC 7946), GeoPackage, zipped Shapefile or CSV;
the project GeoPackage; the self-contained HTML report. CRS: WGS84, CGCS2000, GCJ-02.

The files are written by :mod:`gridmap.io` (the same writers as ``gridmap
export``) into a private temporary folder and handed to the browser as bytes.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from gridmap.errors import GridmapWarning, localized
from gridmap.messages import LANGUAGES
from gridmap.ui import state
from gridmap.ui.common import run_engine
from gridmap.ui.i18n import current_language, labeller, md, t

__all__ = ["render", "FORMATS", "CRS_CHOICES", "LAYER_ORDER", "export_bytes", "project_bytes"]

FORMATS = ("geojson", "gpkg", "shp", "csv")
CRS_CHOICES = ("4326", "4490", "gcj02")
LAYER_ORDER = (
    "grids",
    "buildings",
    "areas",
    "members",
    "compounds",
    "communities",
    "lots",
    "roads",
)
_SUFFIX = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip", "csv": ".csv"}
_MIME = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
    "csv": "text/csv",
}


def export_bytes(
    project: state.Project, *, layer: str, fmt: str, crs: str
) -> tuple[str, bytes, list[dict[str, str]]]:
    """The file ``gridmap export`` would write for one layer, as bytes.

    Returns
    -------
    name : str
        Suggested file name.
    data : bytes
    notes : list of dict
        The writer's warnings (e.g. GeoJSON no longer RFC 7946), each as
        ``{"zh": ..., "en": ...}``.
    """
    return _export_cached(project.token, layer, fmt, crs, project)


@st.cache_data(show_spinner=False, max_entries=16)
def _export_cached(
    token: str, layer: str, fmt: str, crs: str, _project: state.Project
) -> tuple[str, bytes, list[dict[str, str]]]:
    from gridmap import io as gio

    frame = _project.layers[layer]
    crs_label = {"4326": "wgs84", "4490": "cgcs2000", "gcj02": "gcj02"}[crs]
    name = f"{layer}_{crs_label}{_SUFFIX[fmt]}"
    with tempfile.TemporaryDirectory(prefix="gridmap-export-") as tmp:
        path = Path(tmp) / name
        with warnings.catch_warnings():
            # The writer returns its warnings too; the page shows those.
            warnings.simplefilter("ignore", GridmapWarning)
            notes = gio.export_layer(frame, path, fmt=fmt, crs=crs)
        data = path.read_bytes()
    private = str(Path(tmp)) + "/"
    texts = [{lang: localized(n, lang).replace(private, "") for lang in LANGUAGES} for n in notes]
    return name, data, texts


def project_bytes(project: state.Project) -> bytes:
    """The project GeoPackage (all layers and the edit log) as bytes."""
    return _project_cached(project.token, project)


@st.cache_data(show_spinner=False, max_entries=4)
def _project_cached(token: str, _project: state.Project) -> bytes:
    with tempfile.TemporaryDirectory(prefix="gridmap-project-") as tmp:
        path = Path(tmp) / "project.gpkg"
        state.save_project(_project, path)
        return path.read_bytes()


def _report_html(project: state.Project) -> str:
    from gridmap import report
    from gridmap.pipeline import grid_summary

    buildings = project.buildings
    summary: list[tuple[str, str]] = [
        (t("data.buildings"), str(len(buildings))),
        (t("data.households"), str(int(buildings["households"].sum()))),
        (t("data.estimated"), str(int((buildings["households_source"] == "estimated").sum()))),
    ]
    tables: list[tuple[str, pd.DataFrame]] = [
        (t("data.sources"), report.source_counts(project.layers))
    ]
    charts: list[tuple[str, str]] = []
    grids = project.layer("grids")
    if grids is not None:
        low = int(project.params.get("min_households", 300))
        high = int(project.params.get("max_households", 500))
        summary += [(k, str(v)) for k, v in grid_summary(grids, low, high).items()]
        tables.append((t("grids.balance"), pd.DataFrame(grids.drop(columns="geometry"))))
        charts.append(
            (
                t("grids.balance"),
                report.grid_households_chart(grids, min_households=low, max_households=high),
            )
        )
    if project.members is not None:
        tables.append((t("members.shortfall"), pd.DataFrame(project.members.shortfall)))
    notes = [t("data.editor.help")]
    return report.render_report(
        project.layers,
        title=t("app.title"),
        summary=summary,
        tables=tables,
        charts=charts,
        notes=notes,
    )


def render() -> None:
    """Draw the Export page."""
    st.header(t("export.title"))
    project = state.current()
    if project is None:
        st.info(t("app.no_project"))
        return
    names = [n for n in LAYER_ORDER if project.layer(n) is not None]
    if not names:
        st.info(t("export.nothing"))
        return
    left, mid, right = st.columns(3)
    layer = left.selectbox(
        t("export.layer"), names, format_func=labeller("layer."), key="export_layer"
    )
    fmt = mid.selectbox(
        t("export.format"), FORMATS, format_func=labeller("format."), key="export_format"
    )
    crs = right.selectbox(
        t("export.crs"), CRS_CHOICES, format_func=labeller("export.crs."), key="export_crs"
    )
    if fmt == "geojson" and crs != "4326":
        st.warning(t("export.geojson_crs"))
    result: Any = run_engine(
        lambda _p: export_bytes(project, layer=str(layer), fmt=str(fmt), crs=str(crs)),
        label=t("export.prepare"),
    )
    if result is not None:
        name, data, notes = result
        for note in notes:
            st.warning(md(note[current_language()]))
        st.download_button(
            t("export.download", name=name),
            data=data,
            file_name=name,
            mime=_MIME[str(fmt)],
            key="export_download",
            on_click="ignore",
            type="primary",
        )
    st.subheader(t("export.project"))
    st.download_button(
        t("export.download", name="gridmap_project.gpkg"),
        data=project_bytes(project),
        file_name="gridmap_project.gpkg",
        mime=_MIME["gpkg"],
        key="export_project",
        on_click="ignore",
    )
    st.subheader(t("export.report"))
    if st.button(t("export.report_button"), key="export_report_build"):
        html_text = run_engine(lambda _p: _report_html(project), label=t("export.report"))
        if html_text is not None:
            st.session_state["export_report"] = (project.token, html_text)
    built = st.session_state.get("export_report")
    if built is not None and built[0] == project.token:
        st.download_button(
            t("export.download", name="report.html"),
            data=built[1].encode("utf-8"),
            file_name="report.html",
            mime="text/html",
            key="export_report_download",
            on_click="ignore",
        )
