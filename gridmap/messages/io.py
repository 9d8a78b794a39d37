"""Message templates of gridmap's io modules (see gridmap.messages)."""

from __future__ import annotations

from gridmap.messages import Text

MESSAGES: dict[str, Text] = {}
