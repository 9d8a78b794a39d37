"""The app's map: folium + leaflet-draw in streamlit-folium, served offline.

Leaflet and leaflet-draw come from ``static/vendor`` (installed from npm by
``make assets``) and are served by Streamlit's static file serving at
``/app/static/vendor/...``; no CDN is referenced. The default basemap is the
loaded data itself (roads and land use drawn as layers); a tile URL can be
configured, with a warning that Amap/Tencent tiles are GCJ-02 shifted.

Every value taken from the data is HTML-escaped before it reaches a tooltip,
because Leaflet inserts tooltip text as HTML.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import shapely
from folium.template import Template

from gridmap.mapsafe import has_template_syntax, inert_json, map_text
from gridmap.ui.i18n import t

__all__ = [
    "STATIC_URL",
    "PALETTE",
    "asset_links",
    "grid_colours",
    "is_gcj02_tiles",
    "valid_tile_url",
    "build_map",
    "show_map",
    "drawn_polygon",
    "clicked_point",
    "remote_links",
    "project_map",
    "feature_at",
    "field_label",
    "selection_group",
]

# Streamlit serves ./static (next to app.py) at /app/static when
# server.enableStaticServing is true (.streamlit/config.toml).
STATIC_URL = "/app/static/vendor"
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
    "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
)  # fmt: skip
# Host names of Chinese web maps whose tiles are in GCJ-02 (Amap/AutoNavi, Tencent).
_GCJ02_HOSTS = ("amap.com", "autonavi.com", "qq.com", "gtimg.com", "tencent")
# Decimal degrees kept for display: 1e-6 deg is ~0.1 m.
_DISPLAY_GRID = 1e-6


def asset_links() -> dict[str, str]:
    """URLs of the locally served Leaflet and leaflet-draw files."""
    return {
        "leaflet_js": f"{STATIC_URL}/leaflet/leaflet.js",
        "leaflet_css": f"{STATIC_URL}/leaflet/leaflet.css",
        "draw_js": f"{STATIC_URL}/leaflet-draw/leaflet.draw.js",
        "draw_css": f"{STATIC_URL}/leaflet-draw/leaflet.draw.css",
    }


def grid_colours(grid_ids: Sequence[Any]) -> dict[str, str]:
    """A stable colour per grid id (sorted order, cycling through :data:`PALETTE`)."""
    ids = sorted({str(g) for g in grid_ids if g is not None and not pd.isna(g)})
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(ids)}


def is_gcj02_tiles(url: str) -> bool:
    """Whether a tile URL points at Amap/Tencent tiles (GCJ-02 shifted)."""
    lowered = url.lower()
    return any(host in lowered for host in _GCJ02_HOSTS)


def valid_tile_url(url: str) -> bool:
    """A tile URL template: http(s) with ``{z}``, ``{x}`` and ``{y}``."""
    placeholders = all(p in url for p in ("{z}", "{x}", "{y}"))
    return bool(re.match(r"^https?://", url)) and placeholders and not has_template_syntax(url)


def _display_frame(frame: gpd.GeoDataFrame, fields: Sequence[str]) -> gpd.GeoDataFrame:
    """WGS84 copy with the given fields as escaped text and rounded coordinates."""
    keep = [c for c in fields if c in frame.columns]
    data = frame[[*keep, "geometry"]].to_crs(4326)
    data = data[data.geometry.notna() & ~data.geometry.is_empty]
    for column in keep:
        data[column] = [map_text(v) for v in data[column]]
    data["geometry"] = shapely.set_precision(data.geometry.values, _DISPLAY_GRID, mode="pointwise")
    return data


# GeoJSON text of displayed layers, keyed by the frame object itself. Engines
# return new frames and never change old ones, and snapshots share the layers an
# edit did not touch, so identity is an exact key; the entry holds the frame, so
# its id cannot be reused while cached.
_JSON_CACHE: OrderedDict[tuple[Any, ...], tuple[gpd.GeoDataFrame, str]] = OrderedDict()
_JSON_CACHE_SIZE = 48
_JSON_LOCK = threading.Lock()


def _layer_json(
    frame: gpd.GeoDataFrame,
    fields: tuple[str, ...],
    colour_by: str | None,
    colours: Mapping[str, str],
    *,
    source: gpd.GeoDataFrame,
    variant: str,
) -> str:
    """GeoJSON text of a layer for display, cached by the identity of its source frame.

    ``frame`` is ``source`` or a subset of it that ``variant`` names.
    """
    used = {str(v) for v in frame[colour_by]} if colour_by and colour_by in frame else set()
    palette = tuple(sorted((k, colours[k]) for k in used if k in colours))
    key = (id(source), variant, fields, colour_by, palette)
    with _JSON_LOCK:
        hit = _JSON_CACHE.get(key)
        if hit is not None and hit[0] is source:
            _JSON_CACHE.move_to_end(key)
            return hit[1]
    text = _layer_json_uncached(frame, fields, colour_by, colours)
    with _JSON_LOCK:
        _JSON_CACHE[key] = (source, text)
        while len(_JSON_CACHE) > _JSON_CACHE_SIZE:
            _JSON_CACHE.popitem(last=False)
    return text


def _layer_json_uncached(
    frame: gpd.GeoDataFrame,
    fields: Sequence[str],
    colour_by: str | None,
    colours: Mapping[str, str],
) -> str:
    by = [colour_by] if colour_by and colour_by in frame.columns else []
    data = _display_frame(frame, list(fields))
    props = pd.DataFrame(data.drop(columns="geometry"))
    if by:
        raw = frame.loc[data.index, by[0]].astype(object)
        props["_colour"] = [
            colours.get(str(v), "#bbbbbb") if v is not None and not pd.isna(v) else "#bbbbbb"
            for v in raw
        ]
    geometries = shapely.to_geojson(data.geometry.to_numpy())
    features = [
        '{"type":"Feature","properties":'
        + json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        + ',"geometry":'
        + geometry
        + "}"
        for record, geometry in zip(props.to_dict("records"), geometries, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


class DataLayer(folium.map.Layer):
    """One GeoJSON layer styled and labelled in the browser.

    folium's GeoJson computes a style and a tooltip per feature in Python and
    compiles templates per element; for a street of buildings that costs most
    of a rerun, so this layer ships the data once and styles it in JavaScript:
    the ``_colour`` property sets the colour, ``fields`` become a tooltip table.
    Property values and labels are HTML-escaped before they get here.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data }}, {
            style: function (feature) {
                var style = Object.assign({}, {{ this.style|tojson }});
                var colour = feature.properties._colour;
                if (colour) {
                    if (!style.color) { style.color = colour; }
                    style.fillColor = colour;
                }
                return style;
            },
            pointToLayer: function (feature, latlng) {
                var style = Object.assign({radius: 4, fillOpacity: 0.9}, {{ this.style|tojson }});
                return L.circleMarker(latlng, style);
            },
            onEachFeature: function (feature, layer) {
                var fields = {{ this.fields|tojson }};
                var labels = {{ this.labels|tojson }};
                if (fields.length === 0) { return; }
                var rows = fields.map(function (field, i) {
                    var value = feature.properties[field];
                    return "<tr><th>" + labels[i] + "</th><td>" + (value === null ? "" : value) +
                        "</td></tr>";
                });
                layer.bindTooltip("<table>" + rows.join("") + "</table>", {sticky: true});
            }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: str,
        *,
        name: str,
        style: Mapping[str, Any],
        fields: Sequence[str],
        labels: Sequence[str],
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "DataLayer"
        # Closing tags cannot appear in escaped values; this guards the <script> anyway.
        self.data = inert_json(data.replace("</", "<\\/"))
        self.style = dict(style)
        self.fields = list(fields)
        self.labels = list(labels)


def _add_layer(
    fmap: folium.Map,
    frame: gpd.GeoDataFrame | None,
    name: str,
    fields: Sequence[str],
    style: Mapping[str, Any] | None = None,
    *,
    colour_by: str | None = None,
    colours: Mapping[str, str] | None = None,
    show: bool = True,
    class_name: str | None = None,
    cache: bool = True,
    source: gpd.GeoDataFrame | None = None,
    variant: str = "",
) -> None:
    if frame is None or len(frame) == 0:
        return
    keep = tuple(c for c in fields if c in frame.columns)
    table = dict(colours or {})
    if cache:
        origin = frame if source is None else source
        text = _layer_json(frame, keep, colour_by, table, source=origin, variant=variant)
    else:
        text = _layer_json_uncached(frame, keep, colour_by, table)
    base = dict(style or {})
    if class_name:
        base["className"] = class_name
    DataLayer(
        text,
        name=html.escape(name),
        style=base,
        fields=keep,
        labels=[html.escape(field_label(c)) for c in keep],
        show=show,
    ).add_to(fmap)


def field_label(column: str) -> str:
    """The label of a column in the current language (the column name when unknown)."""
    try:
        return t(f"field.{column}")
    except KeyError:
        return column


def build_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    colour_by: str = "grid",
    tile_url: str | None = None,
    tile_attr: str | None = None,
    draw: bool = False,
    lot_windows: Mapping[str, str] | None = None,
    focus_grid: str | None = None,
    grid_status: pd.DataFrame | None = None,
) -> folium.Map:
    """Build the app's folium map of ``layers``.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        ``buildings`` required; ``roads``, ``landuse``, ``communities``,
        ``compounds``, ``grids``, ``areas``, ``members`` and ``lots`` drawn when present.
    colour_by : {"grid", "area", "none"}
        Colour buildings by their grid or by their member area.
    tile_url : str, optional
        A tile URL template; without it no remote tiles are used.
    tile_attr : str, optional
        Attribution of the tiles.
    draw : bool
        Add the leaflet-draw polygon tool.
    lot_windows : mapping of str to str, optional
        Sharing windows per lot id, shown in the lots' tooltips.
    focus_grid : str, optional
        Show member areas and homes of this grid only, and zoom to it (a
        street has thousands of areas: all at once are unreadable and slow).
    grid_status : DataFrame, optional
        Member shortfall per grid (``grid_id``, ``missing_members``, ...): grids
        are coloured by it (green covered, orange to red short) with its numbers
        in the tooltip; the overview of all grids on the Members page.

    Returns
    -------
    folium.Map
    """
    links = asset_links()
    buildings = layers["buildings"]
    view = buildings
    if focus_grid is not None and "grid_id" in buildings:
        inside = buildings[buildings["grid_id"].astype(str) == focus_grid]
        view = inside if len(inside) else buildings
    minx, miny, maxx, maxy = view.to_crs(4326).total_bounds
    fmap = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
    # Only Leaflet itself: folium's default jQuery/Bootstrap/awesome-markers links
    # point at CDNs and the map needs none of them.
    fmap.default_js = [("leaflet", links["leaflet_js"])]
    fmap.default_css = [("leaflet_css", links["leaflet_css"])]
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=map_text(tile_attr or tile_url), name=t("app.basemap")
        ).add_to(fmap)

    _add_layer(
        fmap,
        layers.get("landuse"),
        t("layer.landuse"),
        ["landuse", "name"],
        {"color": "#c8d7b4", "weight": 0, "fillColor": "#dfe8d0", "fillOpacity": 0.5},
    )
    all_roads = layers.get("roads")
    if all_roads is not None and len(all_roads):
        lines = all_roads.geometry.geom_type.isin(["LineString", "MultiLineString"])
        _add_layer(
            fmap,
            all_roads[lines],
            t("layer.roads"),
            ["name", "highway"],
            {"color": "#9a9a9a", "weight": 2},
            source=all_roads,
            variant="lines",
        )
    _add_layer(
        fmap,
        layers.get("communities"),
        t("layer.communities"),
        ["community_id", "name"],
        {"color": "#333333", "weight": 3, "fillOpacity": 0, "dashArray": "8 4"},
    )
    grids = layers.get("grids")
    colours = grid_colours(grids["grid_id"]) if grids is not None and len(grids) else {}
    if grid_status is not None and grids is not None and len(grids):
        _add_status_grids(fmap, grids, grid_status)
    else:
        _add_layer(
            fmap,
            grids,
            t("layer.grids"),
            ["grid_id", "households", "n_buildings", "locked"],
            {"weight": 2, "fillOpacity": 0.18},
            colour_by="grid_id",
            colours=colours,
            class_name="gridmap-grid",
        )
    _add_layer(
        fmap,
        layers.get("compounds"),
        t("layer.compounds"),
        ["compound_id", "name", "households", "households_source"],
        {"color": "#2ca02c", "weight": 1, "dashArray": "4", "fillOpacity": 0},
        show=False,
    )
    areas = layers.get("areas")
    if colour_by == "area" and areas is not None and len(areas):
        shown = areas if focus_grid is None else areas[areas["grid_id"].astype(str) == focus_grid]
        _add_layer(
            fmap,
            shown,
            t("layer.areas"),
            ["area_id", "grid_id", "member_id", "households"],
            {"weight": 1, "fillOpacity": 0.45},
            colour_by="area_id",
            colours=grid_colours(shown["area_id"]),
            class_name="gridmap-area",
            source=areas,
            variant=f"grid={focus_grid}",
        )
    building_fields = [
        "building_id", "name", "use", "levels", "households", "households_source",
        "compound_id", "grid_id",
    ]  # fmt: skip
    style = {"color": "#444444", "weight": 0.6, "fillColor": "#bbbbbb", "fillOpacity": 0.75}
    _add_layer(
        fmap,
        buildings,
        t("layer.buildings"),
        building_fields,
        style,
        colour_by="grid_id" if colour_by == "grid" else None,
        colours=colours,
        class_name="gridmap-building",
    )
    all_lots = layers.get("lots")
    if all_lots is not None and len(all_lots):
        lots = all_lots
        if lot_windows:
            lots = all_lots.assign(
                windows=[lot_windows.get(str(i), "") for i in all_lots["lot_id"]]
            )
        polygons = lots[lots.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        points = lots[lots.geometry.geom_type == "Point"]
        lot_fields = [
            "lot_id",
            "name",
            "kind",
            "capacity",
            "reserved",
            "capacity_source",
            "windows",
        ]
        lot_style = {"color": "#1f4e9c", "weight": 1, "fillColor": "#1f77b4", "fillOpacity": 0.55}
        for part, marker in ((polygons, False), (points, True)):
            _add_layer(
                fmap,
                part,
                t("layer.lots"),
                lot_fields,
                lot_style,
                class_name="gridmap-lot",
                cache=not lot_windows,
                source=all_lots,
                variant=f"marker={marker}",
            )
    members = layers.get("members")
    if colour_by == "area" and members is not None and len(members):
        homes = (
            members if focus_grid is None else members[members["grid_id"].astype(str) == focus_grid]
        )
        _add_layer(
            fmap,
            homes,
            t("layer.members"),
            ["member_id", "grid_id", "area_id", "role"],
            {"color": "#c00000", "fillColor": "#c00000"},
            source=members,
            variant=f"grid={focus_grid}",
        )
    if draw:
        control = folium.plugins.Draw(
            position="topleft",
            show_geometry_on_click=False,
            draw_options={
                "polyline": False,
                "circle": False,
                "marker": False,
                "circlemarker": False,
                "rectangle": {"showArea": False},
                "polygon": {"allowIntersection": False, "showArea": False},
            },
            edit_options={"edit": False},
        )
        # Instance attributes: folium's add_js_link would change the class-wide CDN list.
        control.default_js = [("leaflet_draw_js", links["draw_js"])]
        control.default_css = [("leaflet_draw_css", links["draw_css"])]
        control.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


STATUS_FIELDS = ("households", "members", "uncovered", "missing_members", "idle_members")


def shortfall_colours(status: pd.DataFrame) -> dict[str, str]:
    """Green for a grid with enough members, orange to red as its shortfall grows."""
    missing = pd.to_numeric(status["missing_members"], errors="coerce").fillna(0)
    worst = float(missing.max()) if len(missing) else 0.0
    ramp = ("#fdae61", "#f46d43", "#d73027", "#a50026")
    colours = {}
    for grid_id, short in zip(status["grid_id"].astype(str), missing, strict=True):
        if short <= 0:
            colours[grid_id] = "#1a9850"
        else:
            step = min(int(len(ramp) * short / max(worst, 1.0)), len(ramp) - 1)
            colours[grid_id] = ramp[step]
    return colours


def _add_status_grids(fmap: folium.Map, grids: gpd.GeoDataFrame, status: pd.DataFrame) -> None:
    """Grids coloured by member shortfall, with the shortfall numbers in the tooltip."""
    keep = ["grid_id", *[c for c in STATUS_FIELDS if c in status.columns]]
    table = pd.DataFrame(status[keep]).assign(grid_id=lambda f: f["grid_id"].astype(str))
    shown = grids[["grid_id", "geometry"]].assign(grid_id=lambda f: f["grid_id"].astype(str))
    shown = shown.merge(table, on="grid_id", how="left")
    fields = [c for c in shown.columns if c != "geometry"]
    _add_layer(
        fmap,
        shown,
        t("layer.grid_status"),
        fields,
        {"color": "#333333", "weight": 1.5, "fillOpacity": 0.55},
        colour_by="grid_id",
        colours=shortfall_colours(status),
        class_name="gridmap-grid-status",
        cache=False,
    )


def remote_links(fmap: folium.Map) -> list[str]:
    """Script and style URLs of ``fmap`` that are not served by the app (should be none)."""
    found: list[str] = []

    def walk(element: Any) -> None:
        for _, url in getattr(element, "default_js", []) + getattr(element, "default_css", []):
            if not str(url).startswith("/app/static/"):
                found.append(str(url))
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(fmap)
    return found


def selection_group(buildings: gpd.GeoDataFrame, ids: Sequence[str]) -> folium.FeatureGroup:
    """The selected buildings outlined, as a layer added to a shown map without reloading it."""
    group = folium.FeatureGroup(name=t("grids.building"))
    chosen = buildings[buildings["building_id"].astype(str).isin([str(i) for i in ids])]
    if len(chosen):
        text = _layer_json_uncached(chosen, ["building_id"], None, {})
        style = {"color": "#000000", "weight": 3, "fillOpacity": 0, "className": "gridmap-selected"}
        folium.GeoJson(text, style_function=lambda _feature: style).add_to(group)
    return group


def show_map(
    fmap: folium.Map,
    *,
    key: str,
    height: int = 560,
    overlay: folium.FeatureGroup | None = None,
) -> dict[str, Any]:
    """Render ``fmap`` with streamlit-folium; return clicks and drawings.

    Only clicks on features and drawings make Streamlit rerun (not pans or zooms).
    ``overlay`` is added to the shown map without reloading it, so a polygon
    being drawn survives a change of selection.
    """
    from streamlit_folium import st_folium

    result = st_folium(
        fmap,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=["last_object_clicked", "all_drawings", "last_active_drawing"],
        feature_group_to_add=overlay,
    )
    return dict(result or {})


def drawn_polygon(result: Mapping[str, Any]) -> shapely.Polygon | None:
    """The last polygon drawn on the map (lon/lat), or None."""
    drawings = result.get("all_drawings") or []
    for feature in reversed(list(drawings)):
        geometry = (feature or {}).get("geometry") or {}
        if geometry.get("type") == "Polygon":
            polygon = shapely.geometry.shape(geometry)
            if polygon.is_valid and not polygon.is_empty:
                return polygon
    return None


def clicked_point(result: Mapping[str, Any]) -> tuple[float, float] | None:
    """(lon, lat) of the last clicked feature, or None."""
    clicked = result.get("last_object_clicked")
    if not clicked or clicked.get("lat") is None or clicked.get("lng") is None:
        return None
    return float(clicked["lng"]), float(clicked["lat"])


def project_map(
    project: Any,
    *,
    kind: str,
    draw: bool = False,
    lot_windows: Mapping[str, str] | None = None,
    focus_grid: str | None = None,
    grid_status: pd.DataFrame | None = None,
) -> folium.Map:
    """The map of a :class:`gridmap.ui.state.Project` (layer GeoJSON cached by its token).

    Parameters
    ----------
    project : Project
        The current project.
    kind : str
        Page the map is for (``data``, ``grids``, ``members``, ``parking``), or
        ``members_overview``: buildings uncoloured under the shortfall of every grid.
    draw : bool
        Add the polygon drawing tool.
    lot_windows : mapping of str to str, optional
        Sharing windows per lot id.
    focus_grid, grid_status
        As in :func:`build_map`.
    """
    from gridmap.ui.shell import tile_settings

    tile_url, tile_attr = tile_settings()
    # A fresh folium.Map each run (streamlit-folium renames the elements of the
    # map it renders, so a map object cannot be shown twice); the layers' GeoJSON,
    # the expensive part, is cached under the project's token.
    return build_map(
        project.layers,
        colour_by={"members": "area", "members_overview": "none"}.get(kind, "grid"),
        tile_url=tile_url,
        tile_attr=tile_attr,
        draw=draw,
        lot_windows=lot_windows,
        focus_grid=focus_grid,
        grid_status=grid_status,
    )


def feature_at(frame: gpd.GeoDataFrame, lon: float, lat: float, column: str) -> str | None:
    """The ``column`` value of the feature of ``frame`` under (lon, lat), or None."""
    point = shapely.Point(lon, lat)
    data = frame.to_crs(4326)
    hits = data.index[data.geometry.intersects(point)]
    if len(hits) == 0:
        return None
    return str(frame.loc[hits[0], column])
