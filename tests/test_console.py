"""The command line's progress bar starts no thread (the grid partition forks only without)."""

from __future__ import annotations

import io
import threading

import pytest

from gridmap import console


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_without_a_refresh_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(console, "stderr_console", lambda: console.Console(file=err))
    before = threading.active_count()
    with console.progress_bar() as progress:
        progress("tiles", 0.5)
        assert threading.active_count() == before
        progress("tiles", 1.0)
    assert "tiles" in err.getvalue()
