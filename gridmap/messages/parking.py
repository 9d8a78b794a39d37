"""Message templates of gridmap's parking modules (see gridmap.messages)."""

from __future__ import annotations

from gridmap.messages import Text

MESSAGES: dict[str, Text] = {}
