"""Text from data made safe for a folium map (the app's and the report's).

folium renders each map element through Jinja, and branca compiles that output
as a Jinja template a second time (``Element(text)``): a ``{{ ... }}`` inside a
building name would run as a template expression on the server. The map shows
values through HTML (tooltips), so each value is HTML-escaped and its braces
become character references: the browser shows the same text, Jinja sees no
braces at all.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

__all__ = ["map_text", "inert_json", "has_template_syntax"]

_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})
# What starts a Jinja tag; inside JSON it can only occur in a string.
_TEMPLATE_START = re.compile(r"\{(?=[{%#])")


def map_text(value: Any) -> str:
    """A value as HTML text without braces ('' for a missing value)."""
    if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
        return ""
    return html.escape(str(value)).translate(_BRACES)


def inert_json(text: str) -> str:
    """JSON text with no Jinja tag start left (a ``{`` before ``{``/``%``/``#`` as \\u007b).

    Structural JSON never has such a pair, so only string contents change, and
    they decode to the same characters.
    """
    return _TEMPLATE_START.sub(r"\\u007b", text)


def has_template_syntax(text: str) -> bool:
    """Whether ``text`` holds something Jinja would read as a tag."""
    return bool(_TEMPLATE_START.search(text))
