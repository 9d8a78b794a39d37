"""Page 4, Parking: choose a scenario (from the map's lots, a shipped preset, a YAML
file or a demand form), run it with a progress bar, show occupancy and the sweep
of shared spaces, and the lots on the map with their sharing windows.

Every number comes from :mod:`gridmap.parking` (``run_scenario``,
``sweep_shared_spaces``); the page only collects inputs and draws results.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from gridmap import settings
from gridmap.errors import InputError
from gridmap.messages import Msg, msg
from gridmap.ui import state
from gridmap.ui.common import run_engine, show_metrics, show_table
from gridmap.ui.i18n import labeller, t
from gridmap.ui.mapview import project_map, show_map
from gridmap.ui.upload import check_scenario_text

__all__ = [
    "render",
    "SOURCES",
    "scenario_from_form",
    "parse_profile",
    "run_parking",
    "lot_windows",
    "RUN_KEY",
]

SOURCES = ("map", "preset", "file", "form")
RUN_KEY = "parking_run"
_PENDING_KEY = "parking_pending"
_SCENARIO_LIMIT_BYTES = 256 * 1024
# The example of DATA_MODEL.md ("The smallest demand scenario"), as a starting form.
_FORM_DEFAULT = pd.DataFrame(
    {
        "name": ["office", "residential"],
        "base_spaces": [600.0, None],
        "ratio": [None, 1.2],
        "size": [None, 470.0],
        "profile": [
            "0,0,0,0,0,3,15,50,90,100,100,90,85,90,100,100,90,50,20,10,5,3,1,0",
            "cleveland_heights/residential/weekday",
        ],
    }
)


def _progress_adapter(progress: Any, label: str) -> Any:
    """Engines report ``(stage, fraction)`` or ``(done, total)``; both drive the bar."""

    def report(a: Any, b: Any) -> None:
        if isinstance(a, str):
            progress(a, float(b))
        elif b:
            progress(label, float(a) / float(b))

    return report


def parse_profile(text: Any) -> str | list[float]:
    """A profile cell: a qualified profile name, or comma-separated percentages."""
    value = str(text or "").strip()
    if "," not in value:
        return value
    numbers = []
    for part in value.replace("，", ",").split(","):
        try:
            numbers.append(float(part))
        except ValueError:
            raise InputError(msg("ui.bad_profile_number", value=repr(part.strip()))) from None
    return [int(n) if n == int(n) else n for n in numbers]


def scenario_from_form(uses: pd.DataFrame, *, slot_minutes: int, rounding: str) -> dict[str, Any]:
    """A ``method: demand`` scenario from the form's table (validated by the engine)."""
    from gridmap.parking.scenario import validate_scenario

    rows = []
    for record in uses.to_dict("records"):
        name = str(record.get("name") or "").strip()
        if not name:
            continue
        row: dict[str, Any] = {"name": name, "profile": parse_profile(record.get("profile"))}
        for key in ("base_spaces", "ratio", "size"):
            value = record.get(key)
            if value is not None and not pd.isna(value):
                row[key] = int(value) if float(value) == int(value) else float(value)
        rows.append(row)
    scenario = {
        "method": "demand",
        "slot_minutes": int(slot_minutes),
        "rounding": rounding,
        "uses": rows,
    }
    return validate_scenario(scenario, origin=t("parking.source.form"))


def lot_windows(scenario: Mapping[str, Any] | None) -> dict[str, str]:
    """Sharing window per lot id of a ``simulate`` scenario (text for the map)."""
    out: dict[str, str] = {}
    for lot in (scenario or {}).get("lots", []) or []:
        window = lot.get("window")
        weekend = lot.get("weekend_window")
        shared = lot.get("shared", 0)
        if window:
            text = f"{window} ({shared})"
            if weekend and weekend != window:
                text += f"; {weekend}"
            out[str(lot["lot_id"])] = text
    return out


def _fingerprint(scenario: Mapping[str, Any]) -> str:
    text = json.dumps(scenario, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@st.cache_resource(show_spinner=False, max_entries=4)
def _map_scenario(token: str, _project: state.Project) -> dict[str, Any]:
    from gridmap import parking

    layers = _project.layers
    return parking.preset_from_layers(
        layers["lots"], layers["buildings"], layers.get("compounds"), roads=layers.get("roads")
    )


def _scenario(source: str, project: state.Project | None) -> dict[str, Any] | None:
    from gridmap import parking

    if source == "map":
        if project is None or project.layer("lots") is None:
            st.info(t("parking.no_lots", message=t("app.no_project")))
            return None
        return run_engine(
            lambda _p: _map_scenario(project.token, project), label=t("parking.source.map")
        )
    if source == "preset":
        names = list(parking.PRESET_NAMES)
        name = st.selectbox(t("parking.preset"), names, key="parking_preset")
        return run_engine(lambda _p: parking.preset(str(name)), label=str(name))
    if source == "file":
        upload = st.file_uploader(t("parking.file"), type=["yaml", "yml"], key="parking_file")
        if upload is None:
            return None
        data = upload.getvalue()
        return run_engine(lambda _p: _read_scenario(upload.name, data), label=upload.name)
    return _form_scenario()


def _read_scenario(name: str, data: bytes) -> dict[str, Any]:
    from gridmap import parking

    text = check_scenario_text(name, data, limit=_SCENARIO_LIMIT_BYTES)
    with tempfile.TemporaryDirectory(prefix="gridmap-scenario-") as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return dict(parking.load_scenario(path))
        except InputError as exc:
            raise InputError(_renamed(exc, str(path), name)) from None


def _renamed(exc: InputError, private: str, shown: str) -> Msg:
    """The engine's message with the private temporary path replaced by the upload's name."""
    if exc.msg is None:
        return msg(
            "ui.scenario_refused", name=shown, reason=exc.user_message().replace(private, shown)
        )
    values = {
        k: v.replace(private, shown) if isinstance(v, str) else v for k, v in exc.msg.params.items()
    }
    return Msg(exc.msg.key, values)


def _form_scenario() -> dict[str, Any] | None:
    from gridmap.parking.profiles import profile_names

    left, right = st.columns(2)
    slot = left.selectbox(t("parking.form.slot"), (60, 15), key="parking_form_slot")
    rounding = right.selectbox(
        t("parking.form.rounding"), ("half_up", "half_even"), key="parking_form_rounding"
    )
    st.caption(t("parking.form.uses"))
    names = profile_names()
    table = st.data_editor(
        _FORM_DEFAULT,
        key="parking_form_uses",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "name": st.column_config.TextColumn(t("parking.form.name")),
            "base_spaces": st.column_config.NumberColumn(t("parking.form.base"), min_value=0),
            "profile": st.column_config.TextColumn(
                t("parking.form.profile"), help=", ".join(names[:40])
            ),
        },
    )
    return run_engine(
        lambda _p: scenario_from_form(table, slot_minutes=int(slot), rounding=str(rounding)),
        label=t("parking.source.form"),
    )


def run_parking(scenario: Mapping[str, Any], *, seed: int, progress: Any) -> dict[str, Any]:
    """Run a scenario with the engine (``gridmap.parking.run_scenario``)."""
    from gridmap import parking

    result: dict[str, Any] = parking.run_scenario(
        dict(scenario), seed=seed, progress=_progress_adapter(progress, t("parking.run"))
    )
    return result


def _queue_run(scenario: Mapping[str, Any]) -> None:
    st.session_state[_PENDING_KEY] = (dict(scenario), int(st.session_state["parking_seed"]))


def _run_pending(project: state.Project | None) -> None:
    pending = st.session_state.pop(_PENDING_KEY, None)
    if pending is None:
        return
    scenario, seed = pending
    result = run_engine(
        lambda progress: run_parking(scenario, seed=seed, progress=progress),
        label=t("parking.run"),
    )
    if result is None:
        return
    run = {"scenario": scenario, "seed": seed, "result": result, "key": _fingerprint(scenario)}
    st.session_state[RUN_KEY] = run
    st.session_state.pop("parking_sweep_result", None)
    if project is not None:
        summary = {
            "name": scenario.get("name"),
            "method": scenario.get("method"),
            "seed": seed,
            "scenario": _fingerprint(scenario),
        }
        state.commit(project.replace(parking=run), action="parking", detail=summary)


def _chart_png(kind: str, payload: Mapping[str, Any]) -> bytes:
    """A chart of :mod:`gridmap.parking.charts` (Chinese labels with a CJK font) as PNG."""
    return _chart_cached(kind, _fingerprint(payload), payload)


@st.cache_data(show_spinner=False, max_entries=16)
def _chart_cached(kind: str, key: str, _payload: Mapping[str, Any]) -> bytes:
    from gridmap.parking import charts

    plot = {
        "demand": charts.plot_demand,
        "occupancy": charts.plot_occupancy,
        "sweep": charts.plot_sweep,
    }[kind]
    with tempfile.TemporaryDirectory(prefix="gridmap-chart-") as tmp:
        paths = plot(_payload, Path(tmp) / kind, formats=("png",))
        return paths[0].read_bytes()


def _show_chart(kind: str, payload: Mapping[str, Any]) -> None:
    png = run_engine(lambda _p: _chart_png(kind, payload), label=t("parking.occupancy"))
    if png is not None:
        st.image(png)


def _demand_result(result: Mapping[str, Any]) -> None:
    show_metrics(
        [
            (t("parking.peak"), result.get("peak")),
            (t("parking.peak_time"), result.get("peak_time")),
            (t("parking.sum_of_peaks"), result.get("sum_of_peaks")),
            (t("parking.savings"), result.get("savings")),
        ]
    )
    st.subheader(t("parking.occupancy"))
    _show_chart("demand", result)


def _stat(value: Any, key: str = "mean") -> Any:
    if isinstance(value, Mapping):
        number = value.get(key)
        return None if number is None else round(float(number), 2)
    return value


def _simulate_result(result: Mapping[str, Any], scenario: Mapping[str, Any]) -> None:
    revenue = result.get("revenue", {})
    total_revenue = sum(float(v.get("mean", 0)) for v in revenue.values()) if revenue else 0.0
    show_metrics(
        [
            (t("parking.conflicts"), _stat(result.get("resident_conflicts"))),
            (t("parking.unmet"), _stat(result.get("unmet_demand"))),
            (t("parking.walk"), _stat(result.get("mean_walk_m"))),
            (t("parking.revenue"), round(total_revenue, 2)),
        ]
    )
    windows = lot_windows(scenario)
    rows = []
    for lot_id, info in (result.get("lots") or {}).items():
        rows.append(
            {
                "lot_id": lot_id,
                "capacity": info.get("capacity"),
                "reserved": info.get("reserved"),
                "shared": info.get("shared"),
                "window": windows.get(str(lot_id), ""),
                "peak_occupancy": _stat(result.get("peak_occupancy", {}).get(lot_id)),
                "peak_occupancy_p95": _stat(result.get("peak_occupancy", {}).get(lot_id), "p95"),
                "utilization": _stat(result.get("utilization", {}).get(lot_id)),
                "shared_space_hours_used": _stat(
                    result.get("shared_space_hours_used", {}).get(lot_id)
                ),
                "revenue": _stat(revenue.get(lot_id)),
            }
        )
    st.subheader(t("parking.lots_table"))
    show_table(pd.DataFrame(rows), key="parking_lots_table")
    if result.get("occupancy_profile") and result.get("slot_times"):
        st.subheader(t("parking.occupancy"))
        _show_chart("occupancy", result)


def _sweep(scenario: Mapping[str, Any], seed: int) -> None:
    from gridmap import parking

    lots = [lot for lot in scenario.get("lots", []) if lot["capacity"] - lot["reserved"] > 0]
    if not lots:
        return
    st.subheader(t("parking.sweep"))
    a, b, c = st.columns(3)
    ids = [str(lot["lot_id"]) for lot in lots]
    lot_id = a.selectbox(t("parking.sweep_lot"), ids, key="parking_sweep_lot")
    lot = lots[ids.index(str(lot_id))]
    limit = int(lot["capacity"] - lot["reserved"])
    default = ",".join(str(v) for v in sorted({0, limit // 4, limit // 2, 3 * limit // 4, limit}))
    text = b.text_input(t("parking.sweep_values"), value=default, key=f"parking_sweep_{lot_id}")
    threshold = c.number_input(
        t("parking.sweep_threshold"), value=1.0, min_value=0.0, step=0.5, key="parking_threshold"
    )
    if not st.button(t("parking.sweep_run"), key="parking_sweep_go"):
        return
    try:
        values = [int(v) for v in text.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        st.error(t("parking.sweep_bad"))
        return
    if not values or min(values) < 0:
        st.error(t("parking.sweep_bad"))
        return
    sweep = run_engine(
        lambda progress: parking.sweep_shared_spaces(
            dict(scenario),
            lot_id=str(lot_id),
            values=values,
            threshold_per_100_days=float(threshold),
            seed=seed,
            progress=_progress_adapter(progress, t("parking.sweep")),
        ),
        label=t("parking.sweep"),
    )
    if sweep is None:
        return
    st.session_state["parking_sweep_result"] = sweep


def _sweep_result() -> None:
    sweep = st.session_state.get("parking_sweep_result")
    if sweep is None:
        return
    st.metric(t("parking.sweep_best"), "-" if sweep.get("best") is None else sweep["best"])
    _show_chart("sweep", sweep)


def render() -> None:
    """Draw the Parking page."""
    st.header(t("parking.title"))
    project = state.current()
    _run_pending(project)
    project = state.current()
    has_lots = project is not None and project.layer("lots") is not None
    source = st.radio(
        t("parking.source"),
        SOURCES if has_lots else SOURCES[1:],
        format_func=labeller("parking.source."),
        horizontal=True,
        key="parking_source",
    )
    scenario = _scenario(str(source), project)
    if scenario is not None:
        with st.expander(t("parking.raw")):
            st.json(json.loads(json.dumps(scenario, default=str)), expanded=False)
        seed_default = int(scenario.get("seed") or settings.DEFAULT_SEED)
        st.number_input(
            t("parking.seed"), value=seed_default, step=1, format="%d", key="parking_seed"
        )
        st.button(
            t("parking.run"),
            type="primary",
            key="parking_run_go",
            on_click=_queue_run,
            args=(scenario,),
        )
    run = st.session_state.get(RUN_KEY)
    if run is None and project is not None and project.parking is not None:
        run = project.parking
    if run is None:
        st.info(t("parking.none_yet"))
    else:
        result = run["result"]
        st.subheader(t("parking.result"))
        if result.get("method") == "simulate" or "peak_occupancy" in result:
            _simulate_result(result, run["scenario"])
            _sweep(run["scenario"], int(run["seed"]))
            _sweep_result()
        else:
            _demand_result(result)
    if has_lots and project is not None:
        st.subheader(t("parking.map"))
        windows = lot_windows(run["scenario"]) if run is not None else {}
        show_map(
            project_map(project, kind="parking", lot_windows=windows), key="parking_map", height=480
        )
