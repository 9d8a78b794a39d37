"""Helpers the pages share: guarded engine calls with progress, metrics, tables.

An engine call runs inside :func:`run_engine`: its progress callback drives a
Streamlit progress bar, its :class:`GridmapWarning` s become warning boxes, and
a user mistake (:class:`GridmapError`) becomes an error box instead of a
traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from gridmap.errors import GridmapError, GridmapWarning, localized
from gridmap.ui.i18n import current_language, md, stage_label, t, tm
from gridmap.ui.state import ENGINE_LOCK

__all__ = [
    "Progress",
    "run_engine",
    "show_error",
    "guarded",
    "show_metrics",
    "show_table",
    "display_frame",
    "engine_available",
    "frame_without_geometry",
    "as_mapping",
]

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]
T = TypeVar("T")


def show_error(exc: GridmapError) -> None:
    """One error box for a user mistake, in the current language where we can."""
    from gridmap.ui.upload import UploadError

    if isinstance(exc, UploadError):
        st.error(tm(exc.key, **exc.values))
    else:
        st.error(tm("error.input", message=exc.user_message(current_language())))


def run_engine(call: Callable[[Progress], T], *, label: str) -> T | None:
    """Run ``call(progress)`` with a progress bar; None when it raised a user error.

    Parameters
    ----------
    call : callable
        Receives a ``progress(stage, fraction)`` callback.
    label : str
        Text of the progress bar before the first report.

    Returns
    -------
    The call's result, or None after showing the error.
    """
    bar = st.progress(0.0, text=label)
    lang = current_language()

    def progress(stage: str, fraction: float) -> None:
        with contextlib.suppress(Exception):  # progress from a worker thread has no context
            bar.progress(
                min(max(float(fraction), 0.0), 1.0),
                text=t("progress.working", stage=stage_label(stage, lang)),
            )

    try:
        with ENGINE_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GridmapWarning)
            result = call(progress)
    except GridmapError as exc:
        bar.empty()
        show_error(exc)
        return None
    bar.empty()
    seen: set[str] = set()
    for warning in caught:
        if not issubclass(warning.category, GridmapWarning):
            continue
        text = localized(warning.message, current_language())
        if text not in seen:
            seen.add(text)
            st.warning(md(text))
    return result


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """Show user errors as messages and log anything else without a traceback."""
    try:
        yield
    except GridmapError as exc:
        show_error(exc)
    except Exception as exc:
        log.exception("page failed")
        st.error(t("error.internal", kind=type(exc).__name__))


def show_metrics(items: Sequence[tuple[str, Any]], *, key: str | None = None) -> None:
    """A row of st.metric boxes."""
    columns = st.columns(len(items)) if items else []
    for column, (label, value) in zip(columns, items, strict=True):
        column.metric(label, value)


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: list and dict cells as text, column names in the UI language."""
    from gridmap.ui.mapview import field_label

    out = pd.DataFrame(frame).copy()
    for column in out.columns:
        values = out[column]
        if (
            values.dtype == object
            and values.map(lambda v: isinstance(v, list | tuple | dict)).any()
        ):
            out[column] = [
                json.dumps(v, ensure_ascii=False, default=str)
                if isinstance(v, list | tuple | dict)
                else v
                for v in values
            ]
    return out.rename(columns={c: field_label(str(c)) for c in out.columns})


def show_table(frame: pd.DataFrame, *, height: int | None = None, key: str | None = None) -> None:
    """A read-only table (values are shown as text, never as HTML)."""
    kwargs: dict[str, Any] = {"hide_index": True}
    if height is not None:
        kwargs["height"] = height
    if key is not None:
        kwargs["key"] = key
    st.dataframe(display_frame(frame), **kwargs)


def engine_available(module: str) -> bool:
    """Whether an engine module can be imported (engines land one by one)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def frame_without_geometry(frame: Any, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A plain DataFrame of ``frame`` without geometry (for tables)."""
    plain = pd.DataFrame(frame.drop(columns=[c for c in ("geometry",) if c in frame.columns]))
    if columns is not None:
        plain = plain[[c for c in columns if c in plain.columns]]
    return plain


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty dict."""
    return value if isinstance(value, Mapping) else {}
