"""Entry points the command line and the app call: run a scenario, write its outputs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gridmap import settings
from gridmap.errors import InputError
from gridmap.io import atomic_path
from gridmap.messages import msg
from gridmap.parking.charts import plot_demand, plot_occupancy, plot_sweep
from gridmap.parking.demand import compute_demand
from gridmap.parking.scenario import validate_scenario
from gridmap.parking.simulate import run_simulation

__all__ = ["run_scenario", "write_outputs", "result_json"]


def run_scenario(
    scenario: Mapping[str, Any],
    *,
    seed: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]:
    """Run a parking scenario (``method: demand`` or ``method: simulate``).

    Parameters
    ----------
    scenario : mapping
        As returned by :func:`gridmap.parking.load_scenario` or
        :func:`gridmap.parking.preset` (validated again here; not changed).
    seed : int, optional
        For ``simulate``: overrides the scenario's ``seed`` (default
        ``settings.DEFAULT_SEED``). Ignored by ``demand``.
    progress : callable, optional
        ``progress(days_done, days_total)`` during a simulation.

    Returns
    -------
    dict
        JSON-serialisable result with the keys of DATA_MODEL.md.
    """
    method = scenario.get("method") if isinstance(scenario, Mapping) else None
    if method == "demand":
        return compute_demand(scenario)
    if method != "simulate":
        validate_scenario(scenario)  # raises the error naming 'method'
    use_seed = seed if seed is not None else scenario.get("seed")
    return run_simulation(
        scenario,
        seed=int(use_seed if use_seed is not None else settings.DEFAULT_SEED),
        progress=progress,
    )


def result_json(result: Mapping[str, Any]) -> str:
    """The result as JSON text (UTF-8, Chinese kept, no NaN)."""
    try:
        return json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise InputError(msg("parking.result_not_json", reason=exc)) from None


def write_outputs(
    result: Mapping[str, Any], out_dir: str | os.PathLike[str], *, charts: bool = True
) -> list[Path]:
    """Write ``parking.json`` and the charts of a result into ``out_dir``.

    Parameters
    ----------
    result : mapping
        From :func:`run_scenario` or :func:`gridmap.parking.sweep_shared_spaces`.
    out_dir : str or PathLike
        Created when missing.
    charts : bool
        Also write PNG and SVG charts (occupancy, demand or sweep).

    Returns
    -------
    list of Path
        The files written; the same result gives the same bytes.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "parking.json"
    with atomic_path(target) as tmp:
        tmp.write_text(result_json(result), encoding="utf-8", newline="\n")
    paths = [target]
    if not charts:
        return paths
    method = result.get("method")
    if method == "simulate" and result.get("occupancy_profile"):
        paths += plot_occupancy(result, folder / "parking_occupancy")
    elif method == "demand":
        paths += plot_demand(result, folder / "parking_demand")
    elif method == "sweep":
        paths += plot_sweep(result, folder / "parking_sweep")
    return paths
