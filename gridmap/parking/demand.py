"""The deterministic shared-parking calculation (``method: demand``).

For each land use: peak demand (``base_spaces``, or ``ratio`` x ``size``) x
time-of-day percent x monthly percent x non-captive ratio, rounded to whole
spaces per use and slot, then summed per slot. The requirement is the peak of
the sum; the saving is the sum of the uses' own peaks minus that peak. This is
the collective calculation of the municipal codes in ``profiles/SOURCES.md``
and of the ITE Journal 2018 worked examples.

All arithmetic is exact decimal (:mod:`decimal`); the rounding rule is explicit
because half-up (printed tables) and half-even (banker's) rounding give
different published answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from gridmap.errors import warn
from gridmap.messages import msg
from gridmap.parking.profiles import Profile
from gridmap.parking.scenario import format_clock, scenario_library, validate_scenario

__all__ = ["compute_demand", "round_spaces", "to_decimal"]

_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


def to_decimal(value: int | float | str | Decimal) -> Decimal:
    """The decimal number a scenario value was written as.

    A float read from YAML (``1.2``) becomes ``Decimal("1.2")``, not the binary
    approximation ``1.1999999999999999555910790149937...``.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def round_spaces(value: Decimal, rounding: str = "half_up") -> int:
    """Round a demand to whole spaces by ``half_up`` or ``half_even``."""
    return int(value.quantize(_ONE, rounding=_ROUNDING[rounding]))


def _use_profile(
    use: Mapping[str, Any], scenario: Mapping[str, Any], library: Any, table: Any
) -> tuple[list[Decimal], dict[str, str]]:
    profile = use["profile"]
    if isinstance(profile, str):
        found: Profile = (
            library.period_profile(profile, table)
            if table is not None
            else library.hourly_profile(profile)
        )
        return list(found.values), found.to_json()
    values = [to_decimal(v) for v in profile]
    origin = {"profile": "explicit list", "source_id": "user", "citation": "given in the scenario"}
    return values, origin


def compute_demand(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """Run the shared-parking demand calculation of a ``method: demand`` scenario.

    Parameters
    ----------
    scenario : mapping
        A demand scenario (validated here again; the caller's dict is not changed).

    Returns
    -------
    dict
        JSON-serialisable: ``hourly_total`` (one value per slot), ``peak``,
        ``peak_slot`` (0-based), ``peak_time`` (``"HH:MM"``), ``sum_of_peaks``,
        ``savings``, ``uses`` (name -> per-slot demand), ``use_peaks``,
        ``profile_sources`` (name -> profile, source_id, citation), ``slot_labels``.
    """
    scenario = validate_scenario(scenario)
    library = scenario_library(scenario)
    rounding = scenario["rounding"]
    table = library.period_table(scenario["periods"]) if scenario.get("periods") else None
    if table is not None:
        n_slots = len(table.periods)
        labels = list(table.labels)
        starts = [format_clock(start * 60) for _, _, start, _ in table.periods]
    else:
        n_slots = 1440 // scenario["slot_minutes"]
        labels = [format_clock(i * scenario["slot_minutes"]) for i in range(n_slots)]
        starts = labels

    uses: dict[str, list[int]] = {}
    sources: dict[str, dict[str, str]] = {}
    day_types = set()
    for use in scenario["uses"]:
        if use.get("base_spaces") is not None:
            base = to_decimal(use["base_spaces"])
        else:
            base = to_decimal(use["ratio"]) * to_decimal(use["size"])
        factor = (base * to_decimal(use["monthly_percent"]) / _HUNDRED) * to_decimal(
            use["non_captive_ratio"]
        )
        percents, origin = _use_profile(use, scenario, library, table)
        if len(percents) != n_slots:
            # A 24-value profile with 15-minute slots: each hour's value for its four slots.
            repeat = n_slots // len(percents)
            percents = [p for p in percents for _ in range(repeat)]
        uses[use["name"]] = [round_spaces(factor * p / _HUNDRED, rounding) for p in percents]
        sources[use["name"]] = origin
        if table is None and isinstance(use["profile"], str):
            day_types.add(use["profile"].rsplit("/", 1)[-1])
    if len(day_types) > 1:
        warn(msg("parking.demand_mixed_day_types", day_types=", ".join(sorted(day_types))))

    totals = [sum(values[i] for values in uses.values()) for i in range(n_slots)]
    peak = max(totals)
    peak_slot = totals.index(peak)
    use_peaks = {name: max(values) for name, values in uses.items()}
    sum_of_peaks = sum(use_peaks.values())
    savings = sum_of_peaks - peak
    share = (
        float((Decimal(savings) * _HUNDRED / Decimal(sum_of_peaks)).quantize(Decimal("0.1")))
        if sum_of_peaks
        else 0.0
    )
    return {
        "method": "demand",
        "name": scenario.get("name"),
        "slot_minutes": None if table is not None else scenario["slot_minutes"],
        "periods": scenario.get("periods"),
        "rounding": rounding,
        "slot_labels": labels,
        "hourly_total": totals,
        "peak": peak,
        "peak_slot": peak_slot,
        "peak_time": starts[peak_slot],
        "peak_label": labels[peak_slot],
        "sum_of_peaks": sum_of_peaks,
        "savings": savings,
        "savings_percent": share,
        "uses": uses,
        "use_peaks": use_peaks,
        "profile_sources": sources,
    }
