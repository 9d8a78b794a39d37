"""Exceptions and warnings of gridmap.

User mistakes raise :class:`InputError` (exit code 2 on the command line) with a
message that names the file, row or feature, and a ``fix`` hint. Suspicious but
usable input emits :class:`GridmapWarning`; the command line prints it as a
``warning:`` line and goes on.
"""

from __future__ import annotations

import warnings

__all__ = [
    "GridmapError",
    "InputError",
    "CRSError",
    "HostileInputError",
    "InfeasibleError",
    "GridmapWarning",
    "warn",
]


class GridmapError(Exception):
    """Base class of gridmap's own errors.

    Parameters
    ----------
    message : str
        What is wrong: name the file, feature/row and column where known.
    fix : str, optional
        How the user can fix it.
    """

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def user_message(self) -> str:
        """One line for stderr, without the ``error:`` prefix."""
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
    """Suspicious but usable input, or an estimate the user should know about."""


def warn(message: str, *, stacklevel: int = 2) -> None:
    """Emit a :class:`GridmapWarning` (printed as ``warning: ...`` by the CLI)."""
    warnings.warn(" ".join(message.split()), GridmapWarning, stacklevel=stacklevel + 1)
