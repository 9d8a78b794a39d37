"""The self-contained HTML report: a folium map with layers, charts and a summary.

Leaflet is inlined from the npm copy `make assets` installs (settings.ASSETS_DIR),
charts are inline PNGs, and no CDN is referenced, so report.html opens offline
and can be mailed. Folium gives every element a random id; the ids are renamed
in order of appearance so the same input gives a byte-identical report.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import matplotlib
import pandas as pd

from gridmap import settings
from gridmap.errors import InputError
from gridmap.mapsafe import map_text
from gridmap.messages import msg
from gridmap.parking.charts import cjk_font

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be set first)

__all__ = ["source_counts", "grid_households_chart", "build_map", "render_report"]

_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
)  # fmt: skip


def source_counts(layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Count values by origin for every ``*_source`` column of every layer.

    Returns
    -------
    DataFrame
        Columns: table, quantity, source, count — sorted, so a planner sees how
        many numbers came from the map or file and how many were estimated.
    """
    rows = []
    for table, frame in layers.items():
        for column in sorted(c for c in frame.columns if str(c).endswith("_source")):
            counts = frame[column].fillna("unknown").astype(str).value_counts()
            for source, count in sorted(counts.items()):
                rows.append((table, column.removesuffix("_source"), source, int(count)))
    return pd.DataFrame(rows, columns=["table", "quantity", "source", "count"])


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def grid_households_chart(
    grids: gpd.GeoDataFrame, *, min_households: int, max_households: int
) -> str:
    """Histogram of households per grid with the bounds marked; base64 PNG."""
    font = cjk_font()
    with plt.rc_context(
        {"font.family": [font] if font else ["sans-serif"], "svg.hashsalt": "gridmap"}
    ):
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.hist(grids["households"], bins=20, color="#4c78a8")
        for bound in (min_households, max_households):
            ax.axvline(bound, color="#d62728", linestyle="--")
        ax.set_xlabel("每个网格户数 / households per grid")
        ax.set_ylabel("网格数 / grids")
        return _png(fig)


def _geojson_layer(
    frame: gpd.GeoDataFrame,
    name: str,
    fields: list[str],
    style: dict[str, Any],
    *,
    show: bool = True,
) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name, show=show)
    keep = [c for c in fields if c in frame.columns]
    data = frame[keep + ["geometry"]].to_crs(4326)
    for column in keep:
        data[column] = [map_text(v) for v in data[column]]
    folium.GeoJson(
        data.to_json(drop_id=True),
        style_function=lambda _feature, s=style: s,
        tooltip=folium.GeoJsonTooltip(fields=keep) if keep else None,
    ).add_to(group)
    return group


def build_map(layers: Mapping[str, gpd.GeoDataFrame]) -> folium.Map:
    """A folium map without remote tiles: roads and land use from the data as basemap."""
    buildings = layers["buildings"].to_crs(4326)
    minx, miny, maxx, maxy = buildings.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    fmap.default_js = [("leaflet", "leaflet.js")]
    fmap.default_css = [("leaflet_css", "leaflet.css")]
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    if "roads" in layers and len(layers["roads"]):
        _geojson_layer(
            layers["roads"], "道路 roads", ["name"], {"color": "#999999", "weight": 2}
        ).add_to(fmap)
    if "communities" in layers and len(layers["communities"]):
        style = {"color": "#333333", "weight": 3, "fillOpacity": 0}
        _geojson_layer(
            layers["communities"], "社区 communities", ["community_id", "name"], style
        ).add_to(fmap)
    if "grids" in layers and len(layers["grids"]):
        grids = layers["grids"].sort_values("grid_id").reset_index(drop=True)
        group = folium.FeatureGroup(name="网格 grids")
        for i, row in grids.iterrows():
            colour = _PALETTE[int(i) % len(_PALETTE)]
            style = {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.25}
            one = grids.loc[[i]]
            _geojson_layer(
                one, str(row["grid_id"]), ["grid_id", "name", "households"], style
            ).add_to(group)
        group.add_to(fmap)
    if "compounds" in layers and len(layers["compounds"]):
        style = {"color": "#2ca02c", "weight": 1, "dashArray": "4", "fillOpacity": 0}
        fields = ["compound_id", "name", "households", "households_source"]
        _geojson_layer(layers["compounds"], "小区 compounds", fields, style, show=False).add_to(
            fmap
        )
    fields = ["building_id", "name", "use", "levels", "households", "households_source", "grid_id"]
    style = {"color": "#444444", "weight": 0.5, "fillColor": "#bbbbbb", "fillOpacity": 0.8}
    _geojson_layer(buildings, "楼栋 buildings", fields, style).add_to(fmap)
    if "areas" in layers and len(layers["areas"]):
        style = {"color": "#9467bd", "weight": 1, "fillOpacity": 0.1}
        areas = layers["areas"]
        _geojson_layer(
            areas,
            "党员责任区 member areas",
            ["area_id", "member_id", "households"],
            style,
            show=False,
        ).add_to(fmap)
    if "lots" in layers and len(layers["lots"]):
        style = {"color": "#1f77b4", "weight": 1, "fillColor": "#1f77b4", "fillOpacity": 0.5}
        lots = layers["lots"][layers["lots"].geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        fields = ["lot_id", "name", "kind", "capacity", "capacity_source"]
        _geojson_layer(lots, "停车场 parking lots", fields, style).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _inline_assets(page: str) -> str:
    """Replace Leaflet links by the files' contents; refuse any remaining remote asset."""
    vendor = settings.ASSETS_DIR / "leaflet"
    js, css = vendor / "leaflet.js", vendor / "leaflet.css"
    if not js.is_file() or not css.is_file():
        raise InputError(msg("core.report_assets_missing", folder=settings.ASSETS_DIR))
    script = js.read_text(encoding="utf-8").replace("</script", "<\\/script")
    page = page.replace('<script src="leaflet.js"></script>', f"<script>{script}</script>")
    page = page.replace(
        '<link rel="stylesheet" href="leaflet.css"/>',
        f"<style>{css.read_text(encoding='utf-8')}</style>",
    )
    remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', page)
    if remote:
        raise RuntimeError(f"report would load remote assets: {remote}")
    return page


def _stable_ids(page: str) -> str:
    """Rename folium's random 32-hex element ids in order of appearance."""
    mapping: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        return mapping.setdefault(match.group(0), f"{len(mapping):032x}")

    return re.sub(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", rename, page)


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="tbl", escape=True)


def render_report(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    title: str,
    summary: list[tuple[str, str]],
    tables: list[tuple[str, pd.DataFrame]] = (),  # type: ignore[assignment]
    charts: list[tuple[str, str]] = (),  # type: ignore[assignment]
    notes: list[str] = (),  # type: ignore[assignment]
) -> str:
    """Return the report as one self-contained HTML string.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The project's layers (buildings required).
    title : str
        Page title.
    summary : list of (label, value)
        Key figures, labels in Chinese and English.
    tables : list of (caption, DataFrame)
        Tables shown under the map (values escaped).
    charts : list of (caption, base64 PNG)
        Charts shown as inline images.
    notes : list of str
        Plain-text notes (e.g. which figures are estimates).

    Returns
    -------
    str
    """
    fmap = build_map(layers)
    map_html = fmap.get_root().render()
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:1.5em;}"
        ".tbl{border-collapse:collapse;font-size:13px}.tbl td,.tbl th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:right}iframe{width:100%;height:620px;border:1px solid #ccc}"
        "h2{margin-top:1.4em}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        "<h2>概要 Summary</h2><table class='tbl'>",
        *(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in summary),
        "</table>",
    ]
    if notes:
        parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    srcdoc = esc(_inline_assets(map_html), quote=True)
    parts.append(f'<h2>地图 Map</h2><iframe srcdoc="{srcdoc}"></iframe>')
    for caption, png in charts:
        parts.append(
            f"<h2>{esc(caption)}</h2><img alt='{esc(caption)}' src='data:image/png;base64,{png}'>"
        )
    for caption, frame in tables:
        parts.append(f"<h2>{esc(caption)}</h2>{_table_html(frame)}")
    parts.append(
        "<p>地图数据 Map data: OpenStreetMap contributors (ODbL) where an OSM extract was used; "
        "otherwise the synthetic demo district of gridmap.</p></body></html>"
    )
    return _stable_ids("\n".join(parts)) + "\n"
