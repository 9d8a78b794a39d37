"""Every user-facing error and warning text, in Chinese and English.

Engines never build message text themselves: they raise or warn with
``msg("domain.key", name=value, ...)``. The catalogue below holds the English
and Chinese template of each key (and of its fix hint), so the command line can
print English (or Chinese with ``GRIDMAP_LANG=zh``) and the browser app shows
the planner's language. ``tests/test_messages.py`` checks that every raise and
warn site in the package uses a catalogue key with exactly the template's
placeholders, and that both languages have the same placeholders.

Each domain keeps its templates in its own module (``io``, ``partition``, ...)
so that a change to one engine's messages touches one small file.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["Text", "Msg", "msg", "CATALOGUE", "LANGUAGES", "cli_language", "placeholders"]

LANGUAGES = ("zh", "en")
# How the fix hint joins the message in each language.
_FIX_JOIN = {"en": "; fix: ", "zh": "；解决办法："}


@dataclass(frozen=True)
class Text:
    """One catalogue entry: the message and optional fix hint in both languages."""

    en: str
    zh: str
    fix_en: str | None = None
    fix_zh: str | None = None

    def template(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def fix_template(self, lang: str) -> str | None:
        return self.fix_zh if lang == "zh" else self.fix_en


def placeholders(template: str | None) -> set[str]:
    """Names of the ``{fields}`` in a format template."""
    if not template:
        return set()
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name:
            names.add(name.split(".")[0].split("[")[0])
    return names


class _Formatter(string.Formatter):
    """str.format, plus ``{name:zh}`` / ``{name:en}``: a value that is itself text.

    A value with its own wording (a :class:`Msg`, or :mod:`gridmap.messages.values`)
    renders in the language the spec names; any other value as ``str(value)``.
    """

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in LANGUAGES:
            if isinstance(value, Msg):
                return value.text(format_spec)
            try:
                return format(value, format_spec)
            except (TypeError, ValueError):
                return str(value)
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


@dataclass(frozen=True)
class Msg:
    """A catalogue key with the values of its placeholders; renders in either language."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def entry(self) -> Text:
        return CATALOGUE[self.key]

    def text(self, lang: str = "en") -> str:
        """The message without its fix hint, whitespace collapsed."""
        return " ".join(_FORMATTER.format(self.entry.template(lang), **self.params).split())

    def fix(self, lang: str = "en") -> str | None:
        """The fix hint, or None when the entry has none."""
        template = self.entry.fix_template(lang)
        if template is None:
            return None
        return " ".join(_FORMATTER.format(template, **self.params).split())

    def line(self, lang: str = "en") -> str:
        """Message and fix hint on one line, as printed after ``error:`` or ``warning:``."""
        hint = self.fix(lang)
        return self.text(lang) if hint is None else self.text(lang) + _FIX_JOIN[lang] + hint

    def __str__(self) -> str:
        return self.line("en")


def msg(key: str, /, **params: Any) -> Msg:
    """The message ``key`` with its values; an unknown key or a missing value is a bug."""
    if key not in CATALOGUE:
        raise KeyError(f"message key {key!r} is not in gridmap.messages")
    missing = (
        placeholders(CATALOGUE[key].en) | placeholders(CATALOGUE[key].fix_en)
    ) - params.keys()
    if missing:
        raise KeyError(f"message {key!r} needs values for {sorted(missing)}")
    # A plain dict: errors and warnings must pickle (Dask workers send them back).
    return Msg(key, dict(params))


def cli_language() -> str:
    """Language of command-line messages: GRIDMAP_LANG, else the locale, else English."""
    chosen = os.environ.get("GRIDMAP_LANG", "").strip().lower()
    if chosen in LANGUAGES:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _merge() -> dict[str, Text]:
    from gridmap.messages import core, io, members, parking, partition, ui

    merged: dict[str, Text] = {}
    for module in (core, io, members, parking, partition, ui):
        for key, text in module.MESSAGES.items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} is defined twice")
            merged[key] = text
    return merged


CATALOGUE: Mapping[str, Text] = MappingProxyType(_merge())
