"""Message values that are themselves words, rendered in their message's language.

A catalogue's Chinese template asks for such a value with the ``zh`` spec
(``{name:zh}``; the English template writes ``{name}``):

- a :class:`gridmap.messages.Msg` renders its own text (without fix hint);
- :class:`Phrase` wraps a Msg whose key is a bare phrase ("household register");
- :class:`Joined` lists items with each language's punctuation (", " / "、");
- :class:`Rendered` is a value already written in both languages: a nested
  error with its fix hint, a list of messages, or a chunk's error that a Dask
  worker rendered (plain strings: it pickles and goes into JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gridmap.messages import Msg

__all__ = ["Phrase", "Joined", "Rendered"]


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


@dataclass(frozen=True)
class Rendered:
    """A message value already written in English and Chinese.

    Formatting it with the spec ``zh`` gives the Chinese text, with no spec
    (or ``en``) the English one. Plain strings, so it pickles (a Dask worker
    renders a chunk's error in both languages) and goes into JSON.
    """

    en: str
    zh: str

    def __format__(self, spec: str) -> str:
        if spec not in ("", "en", "zh"):
            raise ValueError(f"a Rendered value takes no format spec but zh, not {spec!r}")
        return self.zh if spec == "zh" else self.en

    def __str__(self) -> str:
        return self.en

    @classmethod
    def of(cls, render: Callable[[str], str]) -> Rendered:
        """Both languages of ``render(lang)``, e.g. ``Rendered.of(error.user_message)``."""
        return cls(en=render("en"), zh=render("zh"))

    @classmethod
    def join(
        cls, messages: Iterable[Msg], *, separators: tuple[str, str] = ("; ", "；")
    ) -> Rendered:
        """Messages (with their fix hints) joined by the English and Chinese separator."""
        items = list(messages)
        en, zh = separators
        return cls(en=en.join(m.line("en") for m in items), zh=zh.join(m.line("zh") for m in items))
