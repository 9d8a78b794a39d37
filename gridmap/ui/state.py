"""The project the planner works on: undo/redo history and autosave.

A :class:`Project` is an immutable snapshot: the layers (GeoDataFrames the
engines returned, never mutated afterwards), the parameters that made them, the
edit log and the engines' result objects. Every change makes a new snapshot and
pushes the old one on the undo stack, so undo and redo are just moves between
snapshots.

The history lives in the server process (one per autosave file, shared by the
browser tabs of this app) so a browser refresh keeps undo and redo. After every
change the current snapshot is written to a project GeoPackage
(``.gridmap/autosave.gpkg``, or the ``GRIDMAP_AUTOSAVE`` environment variable)
by :func:`gridmap.io.write_project`, which writes atomically; on a server start
the last snapshot is read back, so nothing a planner did is lost.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import json
import logging
import os
import threading
import time
import warnings
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd

from gridmap.errors import GridmapError
from gridmap.messages import msg

__all__ = [
    "AUTOSAVE_ENV",
    "DEFAULT_AUTOSAVE",
    "MAX_UNDO",
    "ENGINE_LOCK",
    "Project",
    "History",
    "autosave_path",
    "history",
    "flush",
    "flush_all",
    "current",
    "commit",
    "undo",
    "redo",
    "save_project",
    "restore_project",
    "saved_project",
    "rebuild_partition",
]

log = logging.getLogger(__name__)

AUTOSAVE_ENV = "GRIDMAP_AUTOSAVE"
DEFAULT_AUTOSAVE = Path(".gridmap") / "autosave.gpkg"
# Snapshots share unchanged frames, so 50 steps cost little memory on a street.
MAX_UNDO = 50
# Seconds the autosave waits after a change before writing (see _Saver).
AUTOSAVE_DELAY_S = 0.4
# Held while engine code runs under warnings.catch_warnings: the warning filters
# are global to the process, so two threads changing them at once (a page and
# the autosave, or two browser tabs) would lose each other's filters.
ENGINE_LOCK = threading.RLock()
# Log entries keep the parameters of the project under this action name, so a
# restored project knows its grid bounds and seed.
PARAMS_ACTION = "params"


@dataclass(frozen=True)
class Project:
    """One state of the planner's project.

    Attributes
    ----------
    layers : mapping of str to GeoDataFrame
        ``buildings`` and whatever else is loaded (compounds, grids, areas, ...).
    params : mapping of str to Any
        Grid bounds, seed, data source and other settings that made the layers.
    edit_log : tuple of dict
        One entry per change: ``time``, ``action``, ``detail``.
    partition : object, optional
        The :class:`gridmap.partition.GridPartition` of ``layers``; a restored
        project gets it from its layers (:func:`rebuild_partition`), so edits go
        on after a restart.
    members : object, optional
        The :class:`gridmap.members.MemberAssignment` of ``layers``.
    parking : dict, optional
        The last parking result and its scenario.
    token : str
        Content token: equal tokens mean equal projects (used as cache key).
    """

    layers: Mapping[str, gpd.GeoDataFrame]
    params: Mapping[str, Any] = field(default_factory=dict)
    edit_log: tuple[Mapping[str, Any], ...] = ()
    partition: Any = None
    members: Any = None
    parking: Mapping[str, Any] | None = None
    token: str = ""

    @property
    def buildings(self) -> gpd.GeoDataFrame:
        """The buildings layer."""
        return self.layers["buildings"]

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        """A layer, or None when absent or empty."""
        frame = self.layers.get(name)
        return frame if frame is not None and len(frame) else None

    def replace(self, **changes: Any) -> Project:
        """A copy with ``changes`` (see :func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)


@dataclass
class History:
    """Undo and redo stacks around the current project of one autosave file."""

    path: Path
    current: Project | None = None
    past: list[Project] = field(default_factory=list)
    future: list[Project] = field(default_factory=list)
    saved_at: str | None = None
    # A GridmapError (shown in the session's language) or the text of another failure.
    save_error: GridmapError | str | None = None
    restore_error: GridmapError | str | None = None
    restored: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)
    saver: _Saver | None = None

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until the autosave of the current project is on disk; False on timeout."""
        return True if self.saver is None else self.saver.flush(timeout)


_SAVERS: weakref.WeakSet[_Saver] = weakref.WeakSet()


class _Saver:
    """Writes the newest snapshot in a background thread; older pending ones are skipped.

    Saving a street's project takes about half a second; doing it after the
    page answered keeps interactions fast. Writes are atomic (gridmap.io), so a
    server stopped mid-write leaves the previous autosave intact.
    """

    def __init__(self, hist: History) -> None:
        _SAVERS.add(self)
        self._hist = hist
        self._lock = threading.Lock()
        self._pending: Project | None = None
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, project: Project) -> None:
        with self._lock:
            self._pending = project
            self._idle.clear()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="gridmap-autosave", daemon=True
                )
                self._thread.start()

    def flush(self, timeout: float) -> bool:
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            # Let the page that made the change finish drawing first (the write
            # competes for the interpreter), and fold quick successive edits.
            time.sleep(AUTOSAVE_DELAY_S)
            with self._lock:
                project, self._pending = self._pending, None
                if project is None:
                    self._idle.set()
                    return
            _save_now(self._hist, project)


def autosave_path() -> Path:
    """The autosave GeoPackage: ``$GRIDMAP_AUTOSAVE`` or ``.gridmap/autosave.gpkg``."""
    return Path(os.environ.get(AUTOSAVE_ENV) or DEFAULT_AUTOSAVE).expanduser().resolve()


def _histories() -> dict[str, History]:
    import streamlit as st

    @st.cache_resource(show_spinner=False)
    def store() -> dict[str, History]:
        return {}

    return store()


def history() -> History:
    """The history of the current autosave file; restored from disk on first use."""
    path = autosave_path()
    store = _histories()
    key = str(path)
    if key not in store:
        found = History(path=path)
        if path.is_file():
            try:
                found.current = restore_project(path)
                found.restored = True
            except GridmapError as exc:
                found.restore_error = exc
            except Exception as exc:  # a damaged autosave must not stop the app
                log.exception("restoring %s failed", path)
                found.restore_error = f"{type(exc).__name__}: {exc}"
        if store.setdefault(key, found) is found:
            # A server stopped normally finishes the pending autosave first.
            atexit.register(found.flush, 30.0)
    return store[key]


def flush(timeout: float = 60.0) -> bool:
    """Wait for the pending autosave of the current autosave file (tests, shutdown)."""
    return history().flush(timeout)


def flush_all(timeout: float = 60.0) -> bool:
    """Wait until no autosave of this process is pending; False on timeout.

    Tests call it before code that changes warning filters: an autosave thread
    running ``warnings.catch_warnings`` at the same time would undo them.
    """
    deadline = time.monotonic() + timeout
    return all(saver.flush(max(0.0, deadline - time.monotonic())) for saver in list(_SAVERS))


def current() -> Project | None:
    """The current project, or None before any data is loaded."""
    return history().current


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _token(parent: str, action: str, detail: Mapping[str, Any]) -> str:
    text = json.dumps([parent, action, detail], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def commit(project: Project, *, action: str, detail: Mapping[str, Any] | None = None) -> Project:
    """Make ``project`` current after ``action``; push the old one on the undo stack.

    Parameters
    ----------
    project : Project
        The new state (its ``edit_log`` and ``token`` are filled in here).
    action : str
        Name of the change (``load_demo``, ``make_grids``, ``lock``, ...).
    detail : mapping, optional
        What changed (JSON-able), kept in the edit log.

    Returns
    -------
    Project
        The committed project.
    """
    detail = dict(detail or {})
    hist = history()
    with hist.lock:
        parent = hist.current.token if hist.current is not None else ""
        entry = {"time": _now(), "action": action, "detail": detail}
        new = project.replace(
            edit_log=(*project.edit_log, entry), token=_token(parent, action, detail)
        )
        if hist.current is not None:
            hist.past.append(hist.current)
            del hist.past[:-MAX_UNDO]
        hist.future.clear()
        hist.current = new
        _autosave(hist)
        return new


def undo() -> Project | None:
    """Step back; return the project that was undone (None when nothing to undo)."""
    hist = history()
    with hist.lock:
        if not hist.past or hist.current is None:
            return None
        undone = hist.current
        hist.future.append(undone)
        hist.current = hist.past.pop()
        _autosave(hist)
        return undone


def redo() -> Project | None:
    """Step forward again; return the project now current (None when nothing to redo)."""
    hist = history()
    with hist.lock:
        if not hist.future:
            return None
        if hist.current is not None:
            hist.past.append(hist.current)
        hist.current = hist.future.pop()
        _autosave(hist)
        return hist.current


def _autosave(hist: History) -> None:
    if hist.current is None:
        return
    if hist.saver is None:
        hist.saver = _Saver(hist)
    hist.saver.submit(hist.current)


def _save_now(hist: History, project: Project) -> None:
    try:
        with ENGINE_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            save_project(project, hist.path)
        for warning in caught:
            log.warning("autosave: %s", warning.message)
        hist.saved_at = _now()
        hist.save_error = None
    except GridmapError as exc:
        hist.save_error = exc
    except Exception as exc:  # the thread must report, never die silently
        log.exception("autosave to %s failed", hist.path)
        hist.save_error = f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}"


def _log_entries(project: Project) -> list[dict[str, Any]]:
    """The edit log for the GeoPackage, with the parameters as the first entry."""
    first_time = project.edit_log[0]["time"] if project.edit_log else _now()
    entries: list[dict[str, Any]] = [
        {"time": first_time, "action": PARAMS_ACTION, "payload": dict(project.params)}
    ]
    for entry in project.edit_log:
        entries.append(
            {
                "time": str(entry.get("time", "")),
                "action": str(entry.get("action", "")),
                "payload": dict(entry.get("detail", {})),
            }
        )
    return entries


def save_project(project: Project, path: Path) -> None:
    """Write ``project`` as a project GeoPackage (atomically, by gridmap.io).

    Only the layers of a project (:data:`gridmap.schema.LAYER_NAMES`) are saved.
    """
    from gridmap import io as gio
    from gridmap.schema import LAYER_NAMES

    path.parent.mkdir(parents=True, exist_ok=True)
    layers = {k: v for k, v in project.layers.items() if k in LAYER_NAMES and v is not None}
    gio.write_project(path, layers, edit_log=_log_entries(project))


def _parse_log(
    log_entries: Any,
) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    params: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    for row in log_entries or []:
        payload = row.get("payload")
        detail = payload if isinstance(payload, dict) else {"text": str(payload)}
        if row.get("action") == PARAMS_ACTION:
            params = detail
            continue
        entries.append(
            {
                "time": str(row.get("time", "")),
                "action": str(row.get("action", "")),
                "detail": detail,
            }
        )
    return params, tuple(entries)


def restore_project(path: Path) -> Project:
    """Read a project GeoPackage written by :func:`save_project` (or ``gridmap import``)."""
    from gridmap import io as gio

    found = gio.read_project(path)
    log_entries = found.pop("edit_log", None)
    layers = {k: v for k, v in found.items() if isinstance(v, gpd.GeoDataFrame)}
    if "buildings" not in layers:
        raise GridmapError(msg("ui.project_without_buildings", path=path))
    return saved_project(layers, log_entries, origin=str(path))


def saved_project(
    layers: Mapping[str, gpd.GeoDataFrame], log_entries: Any, *, origin: str
) -> Project:
    """A project from a saved project's layers and edit log (parameters and edits).

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The saved layers, ``buildings`` included.
    log_entries : list of dict
        The ``edit_log`` as :func:`gridmap.io.read_project` returns it.
    origin : str
        Where it came from (part of the project's token).
    """
    params, entries = _parse_log(log_entries)
    token = _token(origin, "restore", {"entries": len(entries), "last": entries[-1:]})
    partition, why = rebuild_partition(layers, params)
    layers = dict(layers)
    if why:
        log.warning("%s: grids restored without edit state: %s", origin, why)
    elif partition is not None:
        layers = {**layers, "buildings": partition.buildings, "grids": partition.grids}
    return Project(layers=layers, params=params, edit_log=entries, partition=partition, token=token)


def rebuild_partition(
    layers: Mapping[str, gpd.GeoDataFrame], params: Mapping[str, Any]
) -> tuple[Any, GridmapError | str | None]:
    """The editable partition of saved layers, by :func:`gridmap.partition.partition_from_layers`.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Project layers; ``buildings`` (with ``grid_id``) and ``grids`` are used,
        ``communities`` and ``roads`` when present.
    params : mapping
        The project's ``min_households``, ``max_households`` and ``seed``
        (settings' defaults when absent).

    Returns
    -------
    partition : GridPartition or None
        None when the layers hold no grids, or when they do not fit together.
    reason : GridmapError, str or None
        Why there is no partition although there are grids (a user error, shown
        with :func:`gridmap.errors.localized`, or the text of another failure).
        The partition's own warnings (totals counted again) are in its
        ``warnings``.
    """
    from gridmap import settings
    from gridmap.partition import partition_from_layers

    buildings = layers.get("buildings")
    grids = layers.get("grids")
    if buildings is None or grids is None or not len(grids) or "grid_id" not in buildings:
        return None, None
    try:
        with ENGINE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kept in partition.warnings
            partition = partition_from_layers(
                buildings,
                grids,
                communities=layers.get("communities"),
                roads=layers.get("roads"),
                min_households=int(params.get("min_households", settings.DEFAULT_MIN_HOUSEHOLDS)),
                max_households=int(params.get("max_households", settings.DEFAULT_MAX_HOUSEHOLDS)),
                seed=int(params.get("seed", settings.DEFAULT_SEED)),
            )
    except GridmapError as exc:
        return None, exc
    except Exception as exc:  # the saved map must load even when its edit state cannot
        log.exception("rebuilding the partition failed")
        return None, f"{type(exc).__name__}: {exc}"
    return partition, None
