"""Parts of io messages that are themselves text: lists of features, rows and names.

A message such as "features 2, 5 and 3 more lie outside China" names records
with words that differ by language. Such a part is passed to ``msg()`` as a
:class:`Phrase` (a catalogue text) or a :class:`Joined` list; the catalogue's
Chinese template writes it ``{name:zh}``, the English one ``{name}``, so each
language renders the part in its own words and list punctuation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gridmap.messages import Msg

__all__ = ["Phrase", "Joined"]


class Phrase:
    """A catalogue text used inside another message, in that message's language.

    Parameters
    ----------
    message : Msg
        The part, from ``msg(key, ...)``; its fix hint (if any) is not shown.
    """

    __slots__ = ("message",)

    def __init__(self, message: Msg) -> None:
        self.message = message

    def __format__(self, spec: str) -> str:
        return self.message.text(spec or "en")

    def __str__(self) -> str:
        return self.message.text("en")

    def __repr__(self) -> str:
        return f"Phrase({self.message.key!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Phrase) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message.key)


class Joined:
    """Items joined by ``en`` in English and ``zh`` in Chinese (', ' and '、' by default).

    Items that are :class:`Phrase` or :class:`Joined` render in the same
    language; anything else (ids, column names, numbers) as ``str(item)``.
    """

    __slots__ = ("items", "en", "zh")

    def __init__(self, items: Iterable[Any], *, en: str = ", ", zh: str = "、") -> None:
        self.items = tuple(items)
        self.en = en
        self.zh = zh

    def __format__(self, spec: str) -> str:
        lang = spec or "en"
        parts = [
            format(item, lang) if isinstance(item, Phrase | Joined) else str(item)
            for item in self.items
        ]
        return (self.zh if lang == "zh" else self.en).join(parts)

    def __str__(self) -> str:
        return format(self, "en")

    def __repr__(self) -> str:
        return f"Joined({list(self.items)!r})"

    def __bool__(self) -> bool:
        return bool(self.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Joined) and (other.items, other.en, other.zh) == (
            self.items,
            self.en,
            self.zh,
        )

    def __hash__(self) -> int:
        return hash((self.items, self.en, self.zh))
