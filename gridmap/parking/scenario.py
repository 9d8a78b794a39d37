"""Parking scenarios: YAML loading and validation (DATA_MODEL.md, "Parking scenario").

:func:`load_scenario` reads a YAML file; :func:`validate_scenario` checks a dict
(from YAML, a preset or code) and returns a new dict with the defaults written
out. Numbers are never changed: a value out of range is an :class:`InputError`
naming the key (``lots[1].reserved``), never clipped.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from gridmap import settings
from gridmap.errors import InputError, warn
from gridmap.messages import Msg, msg
from gridmap.parking.profiles import ProfileLibrary, read_profile_file, shipped_library
from gridmap.schema import LOT_KINDS

__all__ = [
    "METHODS",
    "USER_CLASSES",
    "WEEKDAYS",
    "load_scenario",
    "validate_scenario",
    "scenario_library",
    "parse_clock",
    "parse_window",
    "format_clock",
]

METHODS = ("demand", "simulate")
USER_CLASSES = ("resident", "worker", "visitor")
ROUNDING = ("half_up", "half_even")
ALLOCATIONS = ("fcfs", "booking")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Slot lengths that divide an hour (the demand method takes 60 or 15 only).
SIM_SLOT_MINUTES = (5, 10, 15, 20, 30, 60)

_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_WINDOW = re.compile(r"^\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$")

_DEMAND_KEYS = {"method", "slot_minutes", "rounding", "uses", "periods", "profile_files", "name"}
_USE_KEYS = {
    "name",
    "base_spaces",
    "ratio",
    "size",
    "profile",
    "monthly_percent",
    "non_captive_ratio",
}
_SIM_KEYS = {
    "method",
    "name",
    "days",
    "seed",
    "slot_minutes",
    "day_start",
    "first_day",
    "allocation",
    "compare_allocations",
    "walk_limit_m",
    "detour_factor",
    "profile_files",
    "lots",
    "users",
    "distances",
    "crs",
    "origin",
    "pairs",
    "cost_per_space",
}
_LOT_KEYS = {
    "lot_id",
    "kind",
    "owner_id",
    "name",
    "capacity",
    "reserved",
    "shared",
    "window",
    "weekend_window",
    "price_per_hour",
    "price_per_month",
    "community_share",
    "grace_minutes",
    "overstay_share",
    "overstay_minutes",
    "x",
    "y",
    "lon",
    "lat",
}
_TIME_KEYS = ("leave", "return", "arrive", "depart")
_BEHAVIOUR_KEYS = {
    "cars",
    "stay_home_share",
    "no_show",
    "arrivals_per_day",
    "dwell",
    *_TIME_KEYS,
}
_USER_KEYS = {
    "name",
    "class",
    "home_lot",
    "x",
    "y",
    "lon",
    "lat",
    "day_correlation",
    "walk_limit_m",
    "weekend",
    "note",
    *_BEHAVIOUR_KEYS,
}
_QUIET_KEYS = {"note", "notes", "label", "origin", "description"}


class _Checker:
    """Helpers that raise InputError naming ``origin`` and the key path."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def at(self, key: str) -> str:
        """Where a message points: ``origin: key path`` (the ``{where}`` of scenario messages)."""
        return f"{self.origin}: {key}"

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise InputError(
                msg("parking.scenario_not_mapping", where=self.at(key), type=type(value).__name__)
            )
        return value

    def require(
        self, data: Mapping[str, Any], name: str, key: str, missing: Msg | None = None
    ) -> Any:
        """``data[name]``; ``missing`` (default: "key: missing") when it is absent or null."""
        if name not in data or data[name] is None:
            where = self.at(f"{key}.{name}" if key else name)
            raise InputError(missing or msg("parking.scenario_missing", where=where))
        return data[name]

    def number(
        self,
        value: Any,
        key: str,
        *,
        integer: bool = False,
        minimum: float | None = 0,
        maximum: float | None = None,
        above: float | None = None,
    ) -> int | float:
        where = self.at(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            if integer:
                raise InputError(msg("parking.scenario_not_whole", where=where, value=value))
            raise InputError(msg("parking.scenario_not_number", where=where, value=value))
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(msg("parking.scenario_not_finite", where=where, value=value))
        if integer and not float(value).is_integer():
            raise InputError(msg("parking.scenario_not_whole", where=where, value=value))
        if minimum is not None and value < minimum:
            if minimum == 0:
                raise InputError(
                    msg("parking.scenario_negative", where=where, value=value, minimum=minimum)
                )
            raise InputError(
                msg("parking.scenario_below_minimum", where=where, value=value, minimum=minimum)
            )
        if above is not None and value <= above:
            raise InputError(
                msg("parking.scenario_not_above", where=where, value=value, above=above)
            )
        if maximum is not None and value > maximum:
            raise InputError(
                msg("parking.scenario_above_maximum", where=where, value=value, maximum=maximum)
            )
        return int(value) if integer else value

    def share(self, value: Any, key: str) -> float:
        return float(self.number(value, key, minimum=0, maximum=1))

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise InputError(
                msg(
                    "parking.scenario_not_choice",
                    where=self.at(key),
                    value=value,
                    choices=", ".join(choices),
                )
            )
        return str(value)

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InputError(msg("parking.scenario_not_text", where=self.at(key), value=value))
        return value

    def unknown_keys(self, data: Mapping[str, Any], known: set[str], key: str) -> None:
        for name in data:
            if name in known or name in _QUIET_KEYS:
                continue
            close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.75)
            if close:
                where = f"{key}.{name}" if key else str(name)
                warn(
                    msg(
                        "parking.scenario_unknown_key",
                        origin=self.origin,
                        where=where,
                        suggestion=close[0],
                    )
                )


def parse_clock(value: Any, key: str, *, origin: str = "scenario", allow_24: bool = False) -> int:
    """Return minutes after midnight of an ``"HH:MM"`` text.

    Raises
    ------
    InputError
        Naming ``key``; an unquoted YAML time such as ``18:30`` arrives as the
        number 1110 and is refused with a hint to quote it.
    """
    where = f"{origin}: {key}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise InputError(msg("parking.time_unquoted", where=where, value=value))
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise InputError(msg("parking.time_bad", where=where, value=value))
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise InputError(msg("parking.time_invalid", where=where, value=value))
    return hours * 60 + minutes


def parse_window(value: Any, key: str, *, origin: str = "scenario") -> tuple[int, int]:
    """Return ``(start, end)`` minutes of an ``"HH:MM-HH:MM"`` window.

    An end earlier than the start runs past midnight; ``"00:00-24:00"`` is the
    whole day; equal start and end is an error.
    """
    match = _WINDOW.match(value) if isinstance(value, str) else None
    if not match:
        raise InputError(msg("parking.window_bad", where=f"{origin}: {key}", value=value))
    start = parse_clock(match.group(1), key, origin=origin)
    end = parse_clock(match.group(2), key, origin=origin, allow_24=True)
    if start == end % 1440 and end != 1440:
        raise InputError(msg("parking.window_equal", where=f"{origin}: {key}", value=value))
    return start, end


def format_clock(minutes: int) -> str:
    """``"HH:MM"`` of minutes after midnight (taken modulo a day)."""
    minutes = int(minutes) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def load_scenario(path: str | Path) -> dict[str, Any]:
    """Read and validate a parking scenario YAML file.

    Parameters
    ----------
    path : str or Path
        The scenario file (``method: demand`` or ``method: simulate``).

    Returns
    -------
    dict
        The validated scenario with defaults written out; ``profile_files``
        are resolved relative to the scenario's folder.

    Raises
    ------
    InputError
        For an unreadable file, bad YAML or an invalid scenario, naming the key.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(msg("parking.scenario_file_missing", path=path))
    if path.stat().st_size > settings.MAX_FILE_BYTES:
        raise InputError(msg("parking.scenario_file_too_large", path=path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is None:
            raise InputError(msg("parking.scenario_yaml_invalid", path=path, reason=exc)) from None
        raise InputError(
            msg("parking.scenario_yaml_invalid_at", path=path, line=mark.line + 1, reason=exc)
        ) from None
    except UnicodeDecodeError:
        raise InputError(msg("parking.scenario_not_utf8", path=path)) from None
    if not isinstance(data, dict):
        raise InputError(msg("parking.scenario_file_not_mapping", path=path))
    files = data.get("profile_files")
    if isinstance(files, list):
        data["profile_files"] = [
            str((path.parent / f).resolve()) if isinstance(f, str) else f for f in files
        ]
    return validate_scenario(data, origin=str(path))


def scenario_library(scenario: Mapping[str, Any]) -> ProfileLibrary:
    """The shipped profiles plus the scenario's ``profile_files``."""
    library = shipped_library()
    for name in scenario.get("profile_files") or []:
        library = library.merged(read_profile_file(name))
    return library


def validate_scenario(scenario: Mapping[str, Any], *, origin: str = "scenario") -> dict[str, Any]:
    """Check a scenario dict and return a new one with defaults written out.

    Parameters
    ----------
    scenario : mapping
        As read from YAML (see DATA_MODEL.md).
    origin : str
        Named in error messages (the file name).

    Returns
    -------
    dict
        A deep copy; the caller's dict is not changed.
    """
    check = _Checker(origin)
    data = dict(check.mapping(copy.deepcopy(scenario), "scenario"))
    method = check.require(
        data, "method", "", msg("parking.scenario_method_missing", where=check.at("method"))
    )
    check.choice(method, "method", METHODS)
    files = data.get("profile_files")
    if files is not None and (
        not isinstance(files, list) or not all(isinstance(f, str) for f in files)
    ):
        raise InputError(msg("parking.scenario_profile_files", where=check.at("profile_files")))
    library = scenario_library(data)
    if method == "demand":
        return _validate_demand(data, check, library)
    return _validate_simulate(data, check, library)


def _profile_values(
    value: Any, key: str, check: _Checker, library: ProfileLibrary, *, lengths: tuple[int, ...]
) -> list[float] | str:
    if isinstance(value, str):
        library.hourly_profile(value, key=f"{check.origin}: {key}")
        return value
    if not isinstance(value, list):
        raise InputError(msg("parking.scenario_profile_kind", where=check.at(key)))
    if len(value) not in lengths:
        where, count = check.at(key), len(value)
        if len(lengths) == 1:
            raise InputError(
                msg("parking.scenario_profile_length", where=where, count=count, length=lengths[0])
            )
        length, other = lengths
        raise InputError(
            msg(
                "parking.scenario_profile_length_either",
                where=where,
                count=count,
                length=length,
                other=other,
            )
        )
    for i, v in enumerate(value):
        check.number(v, f"{key}[{i}]", minimum=0, maximum=100)
    return list(value)


def _validate_demand(
    data: dict[str, Any], check: _Checker, library: ProfileLibrary
) -> dict[str, Any]:
    check.unknown_keys(data, _DEMAND_KEYS, "")
    periods = data.get("periods")
    table = None
    if periods is not None:
        table = library.period_table(periods, key=f"{check.origin}: periods")
        if data.get("slot_minutes") is not None:
            raise InputError(
                msg("parking.scenario_slot_minutes_with_periods", where=check.at("slot_minutes"))
            )
    else:
        data["slot_minutes"] = data.get("slot_minutes", 60)
        if data["slot_minutes"] not in (60, 15) or isinstance(data["slot_minutes"], bool):
            raise InputError(
                msg(
                    "parking.scenario_demand_slot_minutes",
                    where=check.at("slot_minutes"),
                    value=data["slot_minutes"],
                )
            )
    data["rounding"] = check.choice(data.get("rounding", "half_up"), "rounding", ROUNDING)
    uses = check.require(
        data, "uses", "", msg("parking.scenario_uses_missing", where=check.at("uses"))
    )
    if not isinstance(uses, list) or not uses:
        raise InputError(msg("parking.scenario_uses_empty", where=check.at("uses")))
    names: set[str] = set()
    out = []
    for i, raw in enumerate(uses):
        key = f"uses[{i}]"
        use = dict(check.mapping(raw, key))
        check.unknown_keys(use, _USE_KEYS, key)
        name = check.text(check.require(use, "name", key), f"{key}.name")
        if name in names:
            raise InputError(
                msg("parking.scenario_duplicate_use", where=check.at(f"{key}.name"), name=name)
            )
        names.add(name)
        if "base_spaces" in use and use["base_spaces"] is not None:
            if use.get("ratio") is not None or use.get("size") is not None:
                raise InputError(msg("parking.scenario_spaces_both", where=check.at(key)))
            check.number(use["base_spaces"], f"{key}.base_spaces")
        else:
            if use.get("ratio") is None or use.get("size") is None:
                raise InputError(
                    msg(
                        "parking.scenario_base_spaces_missing", where=check.at(f"{key}.base_spaces")
                    )
                )
            check.number(use["ratio"], f"{key}.ratio")
            check.number(use["size"], f"{key}.size")
        use.setdefault("monthly_percent", 100)
        check.number(use["monthly_percent"], f"{key}.monthly_percent", maximum=100)
        use.setdefault("non_captive_ratio", 1)
        check.number(use["non_captive_ratio"], f"{key}.non_captive_ratio", maximum=1)
        profile = check.require(use, "profile", key)
        if table is not None:
            if isinstance(profile, str):
                library.period_profile(profile, table, key=f"{check.origin}: {key}.profile")
            else:
                _profile_values(
                    profile, f"{key}.profile", check, library, lengths=(len(table.periods),)
                )
        else:
            lengths = (24,) if data["slot_minutes"] == 60 else (24, 96)
            if isinstance(profile, list) and len(profile) == 96 and data["slot_minutes"] == 60:
                raise InputError(
                    msg("parking.scenario_profile_96_hourly", where=check.at(f"{key}.profile"))
                )
            _profile_values(profile, f"{key}.profile", check, library, lengths=lengths)
        out.append(use)
    data["uses"] = out
    return data


def _position(item: dict[str, Any], key: str, check: _Checker) -> None:
    has_xy = item.get("x") is not None or item.get("y") is not None
    has_ll = item.get("lon") is not None or item.get("lat") is not None
    if has_xy and has_ll:
        raise InputError(msg("parking.scenario_position_both", where=check.at(key)))
    for a, b in (("x", "y"), ("lon", "lat")):
        if item.get(a) is not None or item.get(b) is not None:
            for c in (a, b):
                check.require(item, c, key)
                check.number(item[c], f"{key}.{c}", minimum=None)
    if has_ll:
        check.number(item["lon"], f"{key}.lon", minimum=-180, maximum=180)
        check.number(item["lat"], f"{key}.lat", minimum=-90, maximum=90)


def _time_distribution(value: Any, key: str, check: _Checker, library: ProfileLibrary) -> None:
    dist = check.mapping(value, key)
    if "histogram" in dist:
        _profile_values(dist["histogram"], f"{key}.histogram", check, library, lengths=(24, 96))
        values = dist["histogram"]
        if isinstance(values, list) and not any(v > 0 for v in values):
            raise InputError(
                msg("parking.scenario_histogram_zero", where=check.at(f"{key}.histogram"))
            )
        return
    parse_clock(check.require(dist, "mean", key), f"{key}.mean", origin=check.origin)
    check.number(check.require(dist, "sd_minutes", key), f"{key}.sd_minutes")


def _validate_behaviour(
    user: dict[str, Any],
    key: str,
    cls: str,
    check: _Checker,
    library: ProfileLibrary,
    *,
    partial: bool,
) -> None:
    need: dict[str, tuple[str, ...]] = {
        "resident": ("cars", "leave", "return"),
        "worker": ("cars", "arrive", "depart"),
        "visitor": ("arrivals_per_day", "arrive", "dwell"),
    }
    allowed = {
        "resident": {"cars", "stay_home_share", "leave", "return"},
        "worker": {"cars", "no_show", "arrive", "depart"},
        "visitor": {"arrivals_per_day", "arrive", "dwell"},
    }[cls]
    for name in _BEHAVIOUR_KEYS & set(user):
        if name not in allowed:
            raise InputError(
                msg(
                    "parking.scenario_key_not_for_class",
                    where=check.at(f"{key}.{name}"),
                    cls=cls,
                    keys=", ".join(sorted(allowed)),
                )
            )
    if not partial:
        for name in need[cls]:
            check.require(user, name, key)
        if cls == "resident":
            user.setdefault("stay_home_share", 0.3)
        if cls == "worker":
            user.setdefault("no_show", 0.05)
    if "cars" in user:
        check.number(user["cars"], f"{key}.cars", integer=True)
    for name in ("stay_home_share", "no_show"):
        if name in user:
            check.share(user[name], f"{key}.{name}")
    if "arrivals_per_day" in user:
        check.number(user["arrivals_per_day"], f"{key}.arrivals_per_day")
    if "dwell" in user:
        dwell = check.mapping(user["dwell"], f"{key}.dwell")
        check.number(
            check.require(dwell, "mean_minutes", f"{key}.dwell"),
            f"{key}.dwell.mean_minutes",
            above=0,
        )
        if dwell.get("sd_minutes") is not None:
            check.number(dwell["sd_minutes"], f"{key}.dwell.sd_minutes")
    for name in _TIME_KEYS:
        if name in user:
            _time_distribution(user[name], f"{key}.{name}", check, library)


def _validate_simulate(
    data: dict[str, Any], check: _Checker, library: ProfileLibrary
) -> dict[str, Any]:
    check.unknown_keys(data, _SIM_KEYS, "")
    data["days"] = check.number(data.get("days", 100), "days", integer=True, minimum=1)
    if data.get("seed") is not None:
        data["seed"] = check.number(data["seed"], "seed", integer=True)
    data["slot_minutes"] = data.get("slot_minutes", 15)
    if isinstance(data["slot_minutes"], bool) or data["slot_minutes"] not in SIM_SLOT_MINUTES:
        raise InputError(
            msg(
                "parking.scenario_not_choice",
                where=check.at("slot_minutes"),
                value=data["slot_minutes"],
                choices=", ".join(map(str, SIM_SLOT_MINUTES)),
            )
        )
    data["day_start"] = data.get("day_start", "04:00")
    start = parse_clock(data["day_start"], "day_start", origin=check.origin)
    if start % data["slot_minutes"]:
        raise InputError(msg("parking.scenario_day_start_slot", where=check.at("day_start")))
    data["first_day"] = check.choice(data.get("first_day", "monday"), "first_day", WEEKDAYS)
    data["allocation"] = check.choice(data.get("allocation", "fcfs"), "allocation", ALLOCATIONS)
    compare = data.get("compare_allocations", False)
    if not isinstance(compare, bool):
        raise InputError(
            msg("parking.scenario_not_bool", where=check.at("compare_allocations"), value=compare)
        )
    data["compare_allocations"] = compare
    data["walk_limit_m"] = check.number(
        data.get("walk_limit_m", settings.WALK_LIMIT_M), "walk_limit_m", above=0
    )
    data["detour_factor"] = check.number(
        data.get("detour_factor", settings.DETOUR_FACTOR), "detour_factor", minimum=1
    )
    if data.get("cost_per_space") is not None:
        check.number(data["cost_per_space"], "cost_per_space")

    lots = check.require(
        data, "lots", "", msg("parking.scenario_lots_missing", where=check.at("lots"))
    )
    if not isinstance(lots, list) or not lots:
        raise InputError(msg("parking.scenario_lots_empty", where=check.at("lots")))
    lot_ids: list[str] = []
    out_lots = []
    for i, raw in enumerate(lots):
        key = f"lots[{i}]"
        lot = dict(check.mapping(raw, key))
        lot_id = check.require(lot, "lot_id", key)
        if not isinstance(lot_id, str | int) or isinstance(lot_id, bool):
            raise InputError(
                msg(
                    "parking.scenario_lot_id_invalid", where=check.at(f"{key}.lot_id"), value=lot_id
                )
            )
        lot_id = str(lot_id)
        if lot_id in lot_ids:
            raise InputError(
                msg(
                    "parking.scenario_duplicate_lot", where=check.at(f"{key}.lot_id"), lot_id=lot_id
                )
            )
        lot_ids.append(lot_id)
        lot["lot_id"] = lot_id
        key = f"lots[{i}] ({lot_id})"
        check.unknown_keys(lot, _LOT_KEYS, key)
        lot["kind"] = check.choice(lot.get("kind", "public"), f"{key}.kind", LOT_KINDS)
        capacity = check.number(
            check.require(lot, "capacity", key), f"{key}.capacity", integer=True
        )
        reserved = check.number(lot.setdefault("reserved", 0), f"{key}.reserved", integer=True)
        shared = check.number(lot.setdefault("shared", 0), f"{key}.shared", integer=True)
        if reserved > capacity:
            raise InputError(
                msg(
                    "parking.scenario_reserved_above_capacity",
                    where=check.at(f"{key}.reserved"),
                    reserved=reserved,
                    capacity=capacity,
                )
            )
        if reserved + shared > capacity:
            raise InputError(
                msg(
                    "parking.scenario_shared_above_capacity",
                    where=check.at(f"{key}.shared"),
                    shared=shared,
                    reserved=reserved,
                    capacity=capacity,
                )
            )
        lot.setdefault("window", None)
        if lot["window"] is not None:
            parse_window(lot["window"], f"{key}.window", origin=check.origin)
        elif shared > 0:
            raise InputError(
                msg("parking.scenario_window_missing", where=check.at(f"{key}.window"))
            )
        lot.setdefault("weekend_window", lot["window"])
        if lot["weekend_window"] is not None:
            parse_window(lot["weekend_window"], f"{key}.weekend_window", origin=check.origin)
        for name in ("price_per_hour", "price_per_month"):
            check.number(lot.setdefault(name, 0), f"{key}.{name}")
        check.share(lot.setdefault("community_share", 0), f"{key}.community_share")
        check.number(lot.setdefault("grace_minutes", 15), f"{key}.grace_minutes")
        check.share(lot.setdefault("overstay_share", 0.1), f"{key}.overstay_share")
        check.number(lot.setdefault("overstay_minutes", 60), f"{key}.overstay_minutes", above=0)
        _position(lot, key, check)
        out_lots.append(lot)
    data["lots"] = out_lots

    users = check.require(
        data, "users", "", msg("parking.scenario_users_missing", where=check.at("users"))
    )
    if not isinstance(users, list) or not users:
        raise InputError(msg("parking.scenario_users_empty", where=check.at("users")))
    names: list[str] = []
    out_users = []
    for i, raw in enumerate(users):
        key = f"users[{i}]"
        user = dict(check.mapping(raw, key))
        name = check.text(check.require(user, "name", key), f"{key}.name")
        if name in names:
            raise InputError(
                msg("parking.scenario_duplicate_user", where=check.at(f"{key}.name"), name=name)
            )
        names.append(name)
        key = f"users[{i}] ({name})"
        check.unknown_keys(user, _USER_KEYS, key)
        cls = check.choice(check.require(user, "class", key), f"{key}.class", USER_CLASSES)
        home = user.setdefault("home_lot", None)
        if home is None and cls == "resident":
            raise InputError(
                msg("parking.scenario_home_lot_missing", where=check.at(f"{key}.home_lot"))
            )
        if home is not None:
            home = str(home)
            if home not in lot_ids:
                raise InputError(
                    msg(
                        "parking.scenario_unknown_lot",
                        where=check.at(f"{key}.home_lot"),
                        lot_id=home,
                        choices=", ".join(lot_ids),
                    )
                )
            user["home_lot"] = home
        user["day_correlation"] = check.number(
            user.get("day_correlation", 0.0), f"{key}.day_correlation", maximum=0.99
        )
        if user.get("walk_limit_m") is not None:
            check.number(user["walk_limit_m"], f"{key}.walk_limit_m", above=0)
        _validate_behaviour(user, key, cls, check, library, partial=False)
        if user.get("weekend") is not None:
            weekend = dict(check.mapping(user["weekend"], f"{key}.weekend"))
            _validate_behaviour(weekend, f"{key}.weekend", cls, check, library, partial=True)
            extra = set(weekend) - _BEHAVIOUR_KEYS
            if extra:
                raise InputError(
                    msg(
                        "parking.scenario_weekend_override",
                        where=check.at(f"{key}.weekend"),
                        keys=", ".join(sorted(extra)),
                    )
                )
        _position(user, key, check)
        out_users.append(user)
    data["users"] = out_users

    positions = [("x" in it and it["x"] is not None) for it in out_lots + out_users] + [
        ("lon" in it and it["lon"] is not None) for it in out_lots + out_users
    ]
    n_items = len(out_lots) + len(out_users)
    if any(positions[:n_items]) and any(positions[n_items:]):
        raise InputError(msg("parking.scenario_mixed_positions", where=check.at("lots")))

    distances = data.get("distances")
    if distances is not None:
        table = check.mapping(distances, "distances")
        for user_name, row in table.items():
            if user_name not in names:
                raise InputError(
                    msg(
                        "parking.scenario_unknown_user",
                        where=check.at(f"distances.{user_name}"),
                        name=user_name,
                        choices=", ".join(names),
                    )
                )
            for lot_id, metres in check.mapping(row, f"distances.{user_name}").items():
                if str(lot_id) not in lot_ids:
                    raise InputError(
                        msg(
                            "parking.scenario_unknown_lot",
                            where=check.at(f"distances.{user_name}.{lot_id}"),
                            lot_id=lot_id,
                            choices=", ".join(lot_ids),
                        )
                    )
                check.number(metres, f"distances.{user_name}.{lot_id}")
        data["distances"] = {u: {str(k): v for k, v in row.items()} for u, row in table.items()}
    return data
