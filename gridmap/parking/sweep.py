"""Policy sweep: how many spaces can a lot share before its owners meet a full lot?

:func:`sweep_shared_spaces` re-runs a simulate scenario for each number of
shared spaces (and optionally each window) on the same random draws (common
random numbers, so the curve is smooth and differences are the policy's, not
the noise's) and marks the largest number whose owner-conflict rate stays at
or under the user's threshold.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from gridmap.errors import InputError
from gridmap.messages import msg
from gridmap.parking.scenario import parse_window, validate_scenario
from gridmap.parking.simulate import compile_model, simulate_days

__all__ = ["sweep_shared_spaces"]


def sweep_shared_spaces(
    scenario: Mapping[str, Any],
    *,
    lot_id: str,
    values: Sequence[int],
    threshold_per_100_days: float = 1.0,
    seed: int,
    windows: Sequence[str] | None = None,
    days: int | None = None,
    allocation: str | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]:
    """Simulate a range of shared-space numbers for one lot.

    Parameters
    ----------
    scenario : mapping
        A ``method: simulate`` scenario (not changed).
    lot_id : str
        The lot whose ``shared`` number varies.
    values : sequence of int
        Numbers of shared spaces to try (each ``<= capacity - reserved``).
    threshold_per_100_days : float
        Acceptable owner conflicts (a resident or worker of ``lot_id`` finding
        it full) per 100 days.
    seed : int
        The same seed for every value (common random numbers).
    windows : sequence of str, optional
        Sharing windows to try as well (``"HH:MM-HH:MM"``); default: the lot's own.
    days : int, optional
        Days per run (default: the scenario's).
    allocation : {"fcfs", "booking"}, optional
        Default: the scenario's.
    progress : callable, optional
        ``progress(runs_done, runs_total)``.

    Returns
    -------
    dict
        ``values``, and per window (key ``"window"`` of each entry in ``curves``)
        the lists ``conflicts_per_100_days``, ``utilization``, ``revenue``,
        ``shared_space_hours_used``, ``unmet_demand``, ``overstays`` (means per
        day) and ``best``: the largest value such that it and every smaller
        value tried stay at or under the threshold (None if even the smallest
        fails). The top-level ``best`` and lists are those of the first window.
    """
    base = validate_scenario(scenario)
    if base["method"] != "simulate":
        raise InputError(msg("parking.sweep_not_simulate"))
    ids = [lot["lot_id"] for lot in base["lots"]]
    if lot_id not in ids:
        raise InputError(msg("parking.sweep_unknown_lot", lot_id=lot_id, choices=", ".join(ids)))
    lot = base["lots"][ids.index(lot_id)]
    limit = lot["capacity"] - lot["reserved"]
    tried = sorted({int(v) for v in values})
    if not tried:
        raise InputError(msg("parking.sweep_no_values"))
    for v in tried:
        if v < 0 or v > limit:
            raise InputError(
                msg("parking.sweep_value_out_of_range", value=v, lot_id=lot_id, limit=limit)
            )
    if threshold_per_100_days < 0:
        raise InputError(msg("parking.sweep_threshold_negative"))
    window_list = list(windows) if windows else [lot["window"] or "00:00-24:00"]
    for w in window_list:
        parse_window(w, "sweep window", origin="sweep")
    n_runs = len(window_list) * len(tried)
    curves = []
    done = 0
    j = ids.index(lot_id)
    for window in window_list:
        rows: dict[str, list[float]] = {
            k: []
            for k in (
                "conflicts_per_100_days",
                "utilization",
                "revenue",
                "shared_space_hours_used",
                "unmet_demand",
                "overstays",
            )
        }
        for v in tried:
            trial = copy.deepcopy(base)
            trial["lots"][j]["shared"] = v
            trial["lots"][j]["window"] = window
            if windows:
                trial["lots"][j]["weekend_window"] = window
            model = compile_model(trial)
            out = simulate_days(model, seed=seed, days=days, allocation=allocation)
            hours = model.slot_minutes / 60.0
            open_days = model.open_[out.day_types][:, j, :]
            rows["conflicts_per_100_days"].append(
                round(float(out.owner_conflicts[:, j].mean() * 100), 6)
            )
            rows["utilization"].append(
                round(float(out.occ_total[:, j, :].mean() / max(model.capacity[j], 1)), 6)
            )
            rows["revenue"].append(round(float(out.revenue[:, j].mean()), 6))
            rows["shared_space_hours_used"].append(
                round(float((out.occ_out[:, j, :] * open_days).sum(axis=1).mean() * hours), 6)
            )
            rows["unmet_demand"].append(round(float(out.unmet.sum(axis=1).mean()), 6))
            rows["overstays"].append(round(float(out.overstays[:, j].mean()), 6))
            done += 1
            if progress is not None:
                progress(done, n_runs)
        ok = np.asarray(rows["conflicts_per_100_days"]) <= threshold_per_100_days
        first_bad = int(np.argmin(ok)) if not ok.all() else len(tried)
        best = tried[first_bad - 1] if first_bad > 0 else None
        curves.append({"window": window, "best": best, **rows})
    return {
        "method": "sweep",
        "lot_id": lot_id,
        "threshold_per_100_days": float(threshold_per_100_days),
        "seed": int(seed),
        "days": int(days if days is not None else base["days"]),
        "allocation": allocation or base["allocation"],
        "values": tried,
        "best": curves[0]["best"],
        **{k: v for k, v in curves[0].items() if k not in ("best",)},
        "curves": curves,
        "origin": base.get("origin"),
    }
