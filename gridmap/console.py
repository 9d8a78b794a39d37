"""Terminal output for the command line: warning lines, progress bars, summary tables.

Engines report progress through a plain ``progress(stage, fraction)`` callback so
they never depend on a terminal; this module turns it into a rich progress bar.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from gridmap.errors import GridmapWarning, localized

__all__ = ["ProgressCallback", "stderr_console", "show_warnings", "progress_bar", "print_table"]

ProgressCallback = Callable[[str, float], None]


def stderr_console() -> Console:
    """A console on the current stderr (looked up late so tests can capture it)."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


@contextmanager
def show_warnings() -> Iterator[None]:
    """Print GridmapWarnings as one ``warning: ...`` line each; other warnings pass on."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", GridmapWarning)
        previous = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if issubclass(category, GridmapWarning):
                print(f"warning: {localized(message)}", file=sys.stderr, flush=True)
            else:
                previous(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[ProgressCallback]:
    """Yield a ``progress(stage, fraction)`` callback drawing one bar per stage."""
    if not enabled or not sys.stderr.isatty():
        yield lambda stage, fraction: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    # No auto-refresh: its thread would stop the grid partition from forking
    # worker processes (gridmap.partition.parallel forks only single-threaded).
    with Progress(*columns, console=stderr_console(), transient=False, auto_refresh=False) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=max(0.0, min(1.0, fraction)), refresh=True)

        yield update


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    """Print a two-column summary table to stdout."""
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for key, value in rows:
        table.add_row(key, value)
    Console(file=sys.stdout, highlight=False, soft_wrap=True).print(table)
