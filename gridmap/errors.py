"""Exceptions and warnings of gridmap.

User mistakes raise :class:`InputError` (exit code 2 on the command line) with a
message that names the file, row or feature, and a ``fix`` hint. Suspicious but
usable input emits :class:`GridmapWarning`; the command line prints it as a
``warning:`` line and goes on.

Both carry a :class:`gridmap.messages.Msg` (a catalogue key with its values),
so the same error reads in English on the command line and in Chinese in the
browser app: ``raise InputError(msg("io.no_crs", path=path))``.
"""

from __future__ import annotations

import warnings

from gridmap.messages import Msg, cli_language

__all__ = [
    "GridmapError",
    "InputError",
    "CRSError",
    "HostileInputError",
    "InfeasibleError",
    "GridmapWarning",
    "warn",
    "localized",
]


class GridmapError(Exception):
    """Base class of gridmap's own errors.

    Parameters
    ----------
    message : Msg or str
        What is wrong, from the message catalogue (``msg(key, ...)``): it names
        the file, feature/row and column where known, and carries the fix hint.
        A plain string is English only; the package itself always passes a Msg.
    fix : str, optional
        Fix hint for a plain-string message.
    """

    def __init__(self, message: Msg | str, *, fix: str | None = None) -> None:
        self.msg = message if isinstance(message, Msg) else None
        text = message.text("en") if isinstance(message, Msg) else message
        if isinstance(message, Msg) and fix is None:
            fix = message.fix("en")
        super().__init__(text)
        self.message = text
        self.fix = fix

    def user_message(self, lang: str = "en") -> str:
        """One line for stderr or a message box, without the ``error:`` prefix."""
        if self.msg is not None and self.fix == self.msg.fix("en"):
            return self.msg.line(lang)
        text = self.message if not self.fix else f"{self.message}; fix: {self.fix}"
        return " ".join(text.split())


class InputError(GridmapError):
    """Bad input file, bad option or bad scenario: the user can fix it."""


class CRSError(InputError):
    """Missing, mismatched or implausible coordinate reference system."""


class HostileInputError(InputError):
    """Input refused for safety: zip bomb, path traversal, GDAL VRT, size limits."""


class InfeasibleError(GridmapError):
    """A request that no valid result can satisfy."""


class GridmapWarning(UserWarning):
    """Suspicious but usable input, or an estimate the user should know about.

    ``str(w)`` is the English line; ``w.msg`` (when set) renders it in Chinese.
    """

    def __init__(self, text: str, msg: Msg | None = None) -> None:
        super().__init__(text)
        self.msg = msg

    def line(self, lang: str = "en") -> str:
        """The warning in ``lang`` (English when it has no catalogue message)."""
        return self.msg.line(lang) if self.msg is not None else str(self)


def warn(message: Msg | str, *, stacklevel: int = 2) -> None:
    """Emit a :class:`GridmapWarning` (printed as ``warning: ...`` by the CLI)."""
    if isinstance(message, Msg):
        warning = GridmapWarning(message.line("en"), message)
    else:
        warning = GridmapWarning(" ".join(message.split()))
    warnings.warn(warning, stacklevel=stacklevel + 1)


def localized(item: BaseException | Warning | Msg | str, lang: str | None = None) -> str:
    """Text of an error, warning or message in ``lang`` (default: the CLI language)."""
    lang = lang or cli_language()
    if isinstance(item, Msg):
        return item.line(lang)
    if isinstance(item, GridmapError):
        return item.user_message(lang)
    if isinstance(item, GridmapWarning):
        return item.line(lang)
    return str(item)
