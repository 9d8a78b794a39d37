"""Text from data cannot run on the server or in the browser through a map.

folium output is compiled as a Jinja template a second time (branca's
``Element(text)``): without care, ``{{ 7*7 }}`` in a building name renders as
``49`` and ``{{ cycler.__init__.__globals__.os... }}`` runs Python.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import streamlit_folium
from app_support import two_building_layers

from gridmap import report
from gridmap.mapsafe import has_template_syntax, inert_json, map_text
from gridmap.ui.mapview import build_map, selection_group, valid_tile_url

PAYLOAD = (
    '{{ "pwn" ~ "ed" }}{% if 1 %}{{ "ifbranch" ~ "-ran" }}{% endif %}{# c #}'
    '{{ cycler.__init__.__globals__.os.name ~ "-leak" }}'
)
XSS = '<img src=x onerror="alert(1)">'


def _layers() -> dict[str, gpd.GeoDataFrame]:
    return two_building_layers([PAYLOAD, "B2"], [PAYLOAD, XSS])


def _assert_inert(page: str) -> None:
    for evaluated in ("pwned", "posix-leak", "ifbranch-ran"):
        assert evaluated not in page
    assert "<img" not in page


def test_app_map_shows_data_braces_as_text_without_running_them() -> None:
    fmap = build_map(_layers(), tile_url="https://t.example/{z}/{x}/{y}.png", tile_attr=PAYLOAD)
    page = fmap.get_root().render()
    _assert_inert(page)
    assert "&#123;&#123; &quot;pwn&quot; ~ &quot;ed&quot; &#125;&#125;" in page  # shown as typed
    _assert_inert(streamlit_folium._get_map_string(fmap))


def test_selected_building_outline_is_inert() -> None:
    fmap = build_map(_layers())
    selection_group(_layers()["buildings"], [PAYLOAD]).add_to(fmap)
    _assert_inert(fmap.get_root().render())


def test_report_map_is_inert() -> None:
    page = report.build_map(_layers()).get_root().render()
    _assert_inert(page)


def test_tile_url_with_template_syntax_is_refused() -> None:
    assert valid_tile_url("https://t.example/{z}/{x}/{y}.png")
    assert not valid_tile_url("https://t.example/{z}/{x}/{y}.png?{{7*7}}")
    assert not valid_tile_url("https://t.example/{z}/{x}/{y}{%print(1)%}")


@pytest.mark.parametrize("text", [PAYLOAD, '{"a": "{{x}}", "b": "{%y%}"}', "{{", "{#"])
def test_inert_json_leaves_no_tag_start_and_decodes_the_same(text: str) -> None:
    import json

    encoded = inert_json(json.dumps({"v": text}))
    assert not has_template_syntax(encoded)
    assert json.loads(encoded) == {"v": text}
    assert "{" not in map_text(text) and "}" not in map_text(text)
