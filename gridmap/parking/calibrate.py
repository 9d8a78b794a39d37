"""Calibration from barrier-gate records (道闸 / 车牌识别 logs).

The shipped time-of-day tables come from US municipal codes; no Chinese table
with numbers is public. :func:`fit_gate_log` fits, per lot and user class
(residents vs visitors, by a monthly-pass flag, a class column or a plate
list):

- hourly presence profiles (percent of the busiest hour) by day type,
- arrivals and departures per hour, arrivals per day,
- dwell times (mean, sd, percentiles, log-normal parameters),
- for residents: the share of cars staying home, and leave / return time
  distributions (first exit and last entry of each car-day).

:func:`write_profiles` writes the profiles in the shipped hourly format, so a
scenario can name them (``profile_files: [fit.csv]`` then
``gate_log/<lot>_resident/weekday``). :func:`generate_gate_log` writes a
synthetic log from a scenario's users, for tests and demonstrations.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmap import settings
from gridmap.errors import InputError, warn
from gridmap.messages import msg
from gridmap.parking.scenario import format_clock, validate_scenario
from gridmap.parking.simulate import RESIDENT, VISITOR, WORKER, _present, compile_model

__all__ = ["GATE_COLUMNS", "fit_gate_log", "write_profiles", "generate_gate_log"]

GATE_COLUMNS = ("lot_id", "car_id", "entry_time", "exit_time")
# Column names seen in gate-system exports (Chinese and English) -> gridmap's names.
_ALIASES = {
    "lot_id": ("lot_id", "lot", "parking_lot", "车场", "停车场", "车场名称", "停车场名称"),
    "car_id": ("car_id", "plate", "plate_no", "车牌", "车牌号", "车牌号码"),
    "entry_time": ("entry_time", "entry", "in_time", "入场时间", "进场时间", "入口时间"),
    "exit_time": ("exit_time", "exit", "out_time", "出场时间", "离场时间", "出口时间"),
    "monthly_pass": ("monthly_pass", "pass", "月卡", "是否月卡", "月租"),
    "user_class": ("user_class", "class", "类别", "车辆类型", "用户类型"),
}
_TRUE = {"1", "true", "yes", "y", "t", "是", "月卡", "月租", "resident"}
_RESIDENT_WORDS = {"resident", "residents", "业主", "住户", "居民", "月卡", "月租"}


def _read(source: str | os.PathLike[str] | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), "gate log"
    path = Path(source)
    if not path.is_file():
        raise InputError(msg("parking.gate_log_missing", path=path))
    if path.stat().st_size > settings.MAX_FILE_BYTES:
        raise InputError(
            msg("parking.gate_log_too_large", path=path, limit=settings.MAX_FILE_BYTES)
        )
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, engine="openpyxl")
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        else:
            raise InputError(msg("parking.gate_log_file_type", path=path, suffix=suffix))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(msg("parking.gate_log_unreadable", path=path, reason=exc)) from None
    return frame, str(path)


def _columns(frame: pd.DataFrame, origin: str, columns: Mapping[str, str] | None) -> pd.DataFrame:
    rename: dict[str, str] = {}
    given = {str(c).strip(): c for c in frame.columns}
    for name, aliases in _ALIASES.items():
        wanted = (columns or {}).get(name)
        for alias in (wanted,) if wanted else aliases:
            if alias in given:
                rename[given[alias]] = name
                break
        else:
            if wanted:
                raise InputError(
                    msg("parking.gate_column_missing", origin=origin, column=wanted, name=name)
                )
    out = frame.rename(columns=rename)
    for name in ("car_id", "entry_time", "exit_time"):
        if name not in out.columns:
            raise InputError(
                msg(
                    "parking.gate_no_column",
                    origin=origin,
                    name=name,
                    aliases=", ".join(_ALIASES[name][1:]),
                )
            )
    return out


def _times(values: pd.Series, origin: str, name: str, *, required: bool) -> pd.Series:
    text = values.astype("string").str.strip()
    # Chinese exports often write 2024年3月4日 09:00.
    text = text.str.replace("年", "-").str.replace("月", "-").str.replace("日", "")
    empty = text.isna() | (text == "")
    parsed = pd.to_datetime(text.where(~empty), errors="coerce", format="ISO8601")
    retry = parsed.isna() & ~empty
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed")
    bad = parsed.isna() & ~empty
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            msg(
                "parking.gate_bad_time", origin=origin, row=row + 1, name=name, value=text.iloc[row]
            )
        )
    if required and empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError(msg("parking.gate_time_empty", origin=origin, row=row + 1, name=name))
    return parsed


def _classes(frame: pd.DataFrame, residents: Iterable[str] | None, origin: str) -> np.ndarray:
    is_res = np.zeros(len(frame), dtype=bool)
    known = False
    if "monthly_pass" in frame.columns:
        flag = frame["monthly_pass"].astype("string").str.strip().str.lower()
        is_res |= flag.isin(_TRUE).fillna(False).to_numpy()
        known = True
    if "user_class" in frame.columns:
        cls = frame["user_class"].astype("string").str.strip().str.lower()
        is_res |= cls.isin(_RESIDENT_WORDS).fillna(False).to_numpy()
        known = True
    if residents is not None:
        plates = {str(p).strip() for p in residents}
        is_res |= frame["car_id"].astype("string").str.strip().isin(plates).to_numpy()
        known = True
    if not known:
        warn(msg("parking.gate_no_classes", origin=origin))
    return np.where(is_res, "resident", "visitor")


def _hist(minutes: np.ndarray, bins: int) -> np.ndarray:
    width = 1440 // bins
    return np.bincount((minutes // width).astype(np.int64) % bins, minlength=bins).astype(float)


def _percent_of_peak(values: np.ndarray) -> list[float]:
    top = float(values.max()) if values.size else 0.0
    if top <= 0:
        return [0.0] * int(values.size)
    return [round(float(v) * 100.0 / top, 2) for v in values]


def _normal_fit(minutes: np.ndarray) -> dict[str, Any] | None:
    if minutes.size < 2:
        return None
    return {
        "mean": format_clock(int(round(float(minutes.mean())))),
        "sd_minutes": round(float(minutes.std(ddof=1)), 1),
        "n": int(minutes.size),
    }


def _fit_group(
    sub: pd.DataFrame, cls: str, days: pd.DatetimeIndex, inner: pd.DatetimeIndex, bins: int
) -> dict[str, Any]:
    start, end = days[0], days[-1] + pd.Timedelta(days=1)
    day_type = {d: ("weekend" if d.day_of_week >= 5 else "weekday") for d in days}
    entry = sub["entry_time"]
    exit_ = sub["exit_time"].fillna(end)
    # Presence: a difference array at minute resolution over the log, then the
    # mean per hour of day and day type over the inner days.
    n_min = int((end - start) / pd.Timedelta(minutes=1))
    e0 = ((entry - start).dt.total_seconds().to_numpy() // 60).astype(np.int64)
    e1 = ((exit_ - start).dt.total_seconds().to_numpy() // 60).astype(np.int64)
    diff = np.zeros(n_min + 1, dtype=np.int64)
    np.add.at(diff, np.clip(e0, 0, n_min), 1)
    np.add.at(diff, np.clip(e1, 0, n_min), -1)
    occupancy = np.cumsum(diff)[:n_min].reshape(-1, 1440)
    width = 1440 // bins
    per_slot = occupancy.reshape(len(days), bins, width).mean(axis=2)
    out: dict[str, Any] = {
        "class": cls,
        "cars": int(sub["car_id"].nunique()),
        "sessions": int(len(sub)),
        "presence": {},
        "mean_present": {},
        "arrivals": {},
        "departures": {},
        "arrivals_per_day": {},
    }
    entry_min = (entry.dt.hour * 60 + entry.dt.minute).to_numpy()
    closed = sub["exit_time"].notna().to_numpy()
    exit_min = (sub["exit_time"].dt.hour * 60 + sub["exit_time"].dt.minute).to_numpy()
    entry_day = entry.dt.normalize()
    exit_day = sub["exit_time"].dt.normalize()
    for dtp in ("weekday", "weekend"):
        pick = [i for i, d in enumerate(days) if d in inner and day_type[d] == dtp]
        if not pick:
            continue
        mean = per_slot[pick].mean(axis=0)
        out["mean_present"][dtp] = [round(float(v), 3) for v in mean]
        out["presence"][dtp] = _percent_of_peak(mean)
        in_days = [days[i] for i in pick]
        e_sel = entry_day.isin(in_days).to_numpy()
        x_sel = exit_day.isin(in_days).to_numpy() & closed
        arrivals = _hist(entry_min[e_sel], bins) / len(pick)
        out["arrivals"][dtp] = [round(float(v), 4) for v in arrivals]
        out["departures"][dtp] = [
            round(float(v), 4) for v in _hist(exit_min[x_sel].astype(np.int64), bins) / len(pick)
        ]
        out["arrivals_per_day"][dtp] = round(float(e_sel.sum()) / len(pick), 3)
    dwell = (sub["exit_time"] - entry).dt.total_seconds().to_numpy(dtype=float) / 60.0
    dwell = dwell[closed]
    if dwell.size:
        logs = np.log(np.maximum(dwell, 1.0))
        out["dwell_minutes"] = {
            "mean": round(float(dwell.mean()), 2),
            "sd": round(float(dwell.std(ddof=1)) if dwell.size > 1 else 0.0, 2),
            "p50": round(float(np.percentile(dwell, 50)), 2),
            "p95": round(float(np.percentile(dwell, 95)), 2),
            "lognormal": {
                "mu": round(float(logs.mean()), 4),
                "sigma": round(float(logs.std(ddof=1)) if logs.size > 1 else 0.0, 4),
            },
        }
    if cls == "resident":
        # Car-days: the first exit and the last entry after it, on the inner days.
        ex = pd.DataFrame(
            {"car": sub["car_id"].to_numpy()[closed], "day": exit_day[closed].to_numpy(),
             "t": sub["exit_time"][closed].to_numpy()}
        )  # fmt: skip
        ex = ex[ex["day"].isin(inner)]
        leave = ex.groupby(["car", "day"])["t"].min()
        en = pd.DataFrame(
            {"car": sub["car_id"].to_numpy(), "day": entry_day.to_numpy(), "t": entry.to_numpy()}
        )
        en = en[en["day"].isin(inner)]
        back = en.groupby(["car", "day"])["t"].max()
        both = pd.concat([leave.rename("leave"), back.rename("back")], axis=1).dropna()
        both = both[both["back"] > both["leave"]]
        n_cars = out["cars"]
        out["stay_home_share"] = {}
        out["leave"] = {}
        out["return"] = {}
        for dtp in ("weekday", "weekend"):
            dtp_days = [d for d in inner if day_type[d] == dtp]
            if not dtp_days or n_cars == 0:
                continue
            went = leave[leave.index.get_level_values("day").isin(dtp_days)]
            out["stay_home_share"][dtp] = round(1.0 - len(went) / (n_cars * len(dtp_days)), 4)
            sel = both[both.index.get_level_values("day").isin(dtp_days)]
            lv = (sel["leave"].dt.hour * 60 + sel["leave"].dt.minute).to_numpy(dtype=float)
            bk = (sel["back"].dt.hour * 60 + sel["back"].dt.minute).to_numpy(dtype=float)
            out["leave"][dtp] = _normal_fit(lv)
            out["return"][dtp] = _normal_fit(bk)
    return out


def fit_gate_log(
    path_or_df: str | os.PathLike[str] | pd.DataFrame,
    *,
    residents: Iterable[str] | None = None,
    columns: Mapping[str, str] | None = None,
    slot_minutes: int = 60,
    source_id: str = "GATE_LOG",
) -> dict[str, Any]:
    """Fit presence profiles and time distributions from a barrier-gate log.

    Parameters
    ----------
    path_or_df : str, PathLike or DataFrame
        CSV or Excel with one row per parking session: ``lot_id`` (optional:
        one lot), ``car_id`` (plate), ``entry_time``, ``exit_time`` (empty:
        still parked), optionally ``monthly_pass`` or ``user_class``. Common
        Chinese export headers (车牌号, 入场时间, 出场时间, 车场, 月卡) are
        recognised.
    residents : iterable of str, optional
        Plates of residents (in addition to the pass / class columns).
    columns : mapping, optional
        gridmap name -> the log's column name, e.g. ``{"car_id": "车牌"}``.
    slot_minutes : {60, 15}
        Profile resolution (24 or 96 values).
    source_id : str
        Source id written with the profiles (its lower case names them).

    Returns
    -------
    dict
        ``lots -> {lot_id -> {"resident": {...}, "visitor": {...}}}`` with
        ``presence`` (percent of the busiest slot), ``mean_present``,
        ``arrivals``, ``departures``, ``arrivals_per_day``, ``dwell_minutes``,
        and for residents ``stay_home_share``, ``leave``, ``return``; plus
        ``days``, ``first_day``, ``last_day``, ``source_id``.

    Raises
    ------
    InputError
        Missing columns, unreadable times, or an exit before its entry
        (naming the row and car).
    """
    if slot_minutes not in (60, 15):
        raise InputError(msg("parking.fit_slot_minutes", slot_minutes=slot_minutes))
    frame, origin = _read(path_or_df)
    if len(frame) == 0:
        raise InputError(msg("parking.gate_no_rows", origin=origin))
    frame = _columns(frame, origin, columns)
    entry = _times(frame["entry_time"], origin, "entry_time", required=True)
    exit_ = _times(frame["exit_time"], origin, "exit_time", required=False)
    before = (exit_ < entry).fillna(False).to_numpy()
    if before.any():
        row = int(np.flatnonzero(before)[0])
        raise InputError(
            msg(
                "parking.gate_exit_before_entry",
                origin=origin,
                row=row + 1,
                car=frame["car_id"].iloc[row],
                exit_time=exit_.iloc[row],
                entry_time=entry.iloc[row],
            )
        )
    lot = (
        frame["lot_id"].astype("string").fillna("lot").to_numpy(dtype=object)
        if "lot_id" in frame.columns
        else np.full(len(frame), "lot", dtype=object)
    )
    data = pd.DataFrame(
        {
            "lot_id": lot,
            "car_id": frame["car_id"].astype("string").str.strip().to_numpy(dtype=object),
            "entry_time": entry.to_numpy(),
            "exit_time": exit_.to_numpy(),
            "class": _classes(frame, residents, origin),
        }
    )
    first = data["entry_time"].min().normalize()
    last = max(data["entry_time"].max(), data["exit_time"].max()).normalize()
    days = pd.date_range(first, last, freq="D")
    # The first and last days are partial (cars parked before the log began are
    # unseen); leave them out of the profiles when the log is long enough.
    inner = days[1:-1] if len(days) >= 3 else days
    bins = 1440 // slot_minutes
    lots: dict[str, dict[str, Any]] = {}
    for (lot_id, cls), sub in data.groupby(["lot_id", "class"], sort=True):
        lots.setdefault(str(lot_id), {})[str(cls)] = _fit_group(sub, str(cls), days, inner, bins)
    return {
        "source_id": source_id,
        "origin": origin,
        "slot_minutes": slot_minutes,
        "first_day": str(first.date()),
        "last_day": str(last.date()),
        "days": {
            "weekday": int(sum(d.day_of_week < 5 for d in inner)),
            "weekend": int(sum(d.day_of_week >= 5 for d in inner)),
        },
        "lots": lots,
    }


def _safe(name: str) -> str:
    return "".join(c if c not in "/,\n\r" else "_" for c in str(name))


def write_profiles(fit: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a fit's hourly profiles as a profile table scenarios can name.

    Rows follow ``time_of_day_profiles_hourly.csv``. Land uses are
    ``<lot>_<class>`` (presence), ``<lot>_<class>_arrivals`` and
    ``<lot>_<class>_departures`` (percent of the busiest hour), so a scenario
    with ``profile_files: [path]`` can use ``gate_log/<lot>_resident/weekday``
    as a profile or as a ``histogram`` of leave / return / arrival times.

    Returns
    -------
    Path
        The file written (atomically).
    """
    if fit.get("slot_minutes") != 60:
        raise InputError(msg("parking.write_profiles_hourly"))
    rows = []
    for lot_id, classes in fit["lots"].items():
        for cls, group in classes.items():
            for suffix, table in (
                ("", group["presence"]),
                ("_arrivals", {k: _percent_of_peak(np.asarray(v)) for k, v in group["arrivals"].items()}),
                ("_departures", {k: _percent_of_peak(np.asarray(v)) for k, v in group["departures"].items()}),
            ):  # fmt: skip
                for day_type, values in table.items():
                    for hour, value in enumerate(values):
                        rows.append(
                            [
                                fit["source_id"], f"{_safe(lot_id)}_{cls}{suffix}",
                                f"{lot_id} {cls}{suffix.replace('_', ' ')}", day_type, hour,
                                f"{value:g}", "gate log fit",
                                f"{fit['first_day']}..{fit['last_day']}",
                            ]
                        )  # fmt: skip
    header = ["source_id", "land_use", "source_label", "day_type", "hour", "percent"]
    header += ["from_period", "note"]
    target = Path(path)
    from gridmap.io import atomic_path

    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return target


def _default_log_scenario() -> dict[str, Any]:
    from gridmap.parking.presets import SHOP_ARRIVALS

    return {
        "method": "simulate",
        "lots": [{"lot_id": "gate_a", "kind": "residential", "capacity": 100_000}],
        "users": [
            {
                "name": "residents",
                "class": "resident",
                "home_lot": "gate_a",
                "cars": 300,
                "stay_home_share": 0.3,
                "leave": {"mean": "07:45", "sd_minutes": 45},
                "return": {"mean": "18:30", "sd_minutes": 60},
                "weekend": {"stay_home_share": 0.5},
            },
            {
                "name": "visitors",
                "class": "visitor",
                "home_lot": "gate_a",
                "arrivals_per_day": 150,
                "arrive": {"histogram": list(SHOP_ARRIVALS)},
                "dwell": {"mean_minutes": 90, "sd_minutes": 60},
            },
        ],
    }


def generate_gate_log(
    scenario: Mapping[str, Any] | None = None,
    *,
    days: int = 28,
    start_date: str = "2024-03-04",
    seed: int,
) -> pd.DataFrame:
    """A synthetic barrier-gate log from a scenario's users (capacity not enforced).

    Residents' sessions run from a return to the next departure (the session
    open at the log's start is not recorded, the last one has no exit);
    workers and visitors give one session per visit at their ``home_lot``
    (users without one are skipped). Times follow the scenario's distributions
    and day types, so :func:`fit_gate_log` should recover them.

    Parameters
    ----------
    scenario : mapping, optional
        A ``method: simulate`` scenario (default: one lot with 300 resident cars
        and 150 visitors a day).
    days : int
        Calendar days from ``start_date``.
    start_date : str
        ISO date of the first day (its weekday sets the day types).
    seed : int

    Returns
    -------
    DataFrame
        lot_id, car_id, entry_time, exit_time (NaT: still parked), monthly_pass.
    """
    sc = validate_scenario(scenario if scenario is not None else _default_log_scenario())
    if days < 1:
        raise InputError(msg("parking.gate_log_days"))
    start = pd.Timestamp(start_date).normalize()
    model = compile_model(sc)
    rng = np.random.default_rng(seed)
    # A warm-up week before the log starts, so that residents' cars parked at the
    # start are known; sessions still open at the start begin at the start.
    warm = 7
    first_weekday = (start.day_of_week - warm) % 7
    model.first_day = first_weekday
    log_days = days
    days = days + warm
    types = model.day_types(0, days)
    start_min = start.value // 60_000_000_000
    base = start_min - warm * 1440 + model.day_start  # minutes since epoch at day 0
    frames = []
    for g, user in enumerate(sc["users"]):
        lot_id = user.get("home_lot")
        if lot_id is None:
            continue
        cls = model.cls[g]
        n_cars = max(b.cars for b in model.behaviour[g])
        z = rng.standard_normal(max(n_cars, 1))
        if cls == RESIDENT:
            out = np.zeros((days, n_cars), bool)
            leave = np.zeros((days, n_cars))
            back = np.zeros((days, n_cars))
            for t in (0, 1):
                dd = np.flatnonzero(types == t)
                b = model.behaviour[g][t]
                if dd.size == 0 or b.cars == 0:
                    continue
                assert b.leave is not None and b.ret is not None
                out[np.ix_(dd, np.arange(b.cars))] = _present(
                    rng, z[: b.cars], model.correlation[g], 1.0 - b.stay_home, dd.size
                )
                lv = b.leave.draw(rng, (dd.size, n_cars), model.day_start)
                bk = b.ret.draw(rng, (dd.size, n_cars), model.day_start)
                bad = bk <= lv
                bk[bad] = np.minimum(lv[bad] + model.slot_minutes, 1439.999)
                leave[dd], back[dd] = lv, bk
            d_idx, c_idx = np.nonzero(out.T)  # car-major: each car's out-days in order
            car, day = d_idx, c_idx
            t_leave = base + day * 1440 + leave[day, car]
            t_back = base + day * 1440 + back[day, car]
            same = np.r_[car[1:] == car[:-1], False]
            entry = t_back
            exit_ = np.where(same, np.r_[t_leave[1:], 0.0], np.nan)
            frames.append(
                pd.DataFrame(
                    {"lot_id": lot_id, "car_id": [f"R{g:02d}-{c:05d}" for c in car],
                     "entry": entry, "exit": exit_, "monthly_pass": True}
                )
            )  # fmt: skip
        elif cls == WORKER:
            rows = []
            for t in (0, 1):
                dd = np.flatnonzero(types == t)
                b = model.behaviour[g][t]
                if dd.size == 0 or b.cars == 0:
                    continue
                assert b.arrive is not None and b.depart is not None
                here = _present(rng, z[: b.cars], model.correlation[g], 1.0 - b.no_show, dd.size)
                come = b.arrive.draw(rng, here.shape, model.day_start)
                go = b.depart.draw(rng, here.shape, model.day_start)
                go = np.where(go <= come, np.minimum(come + model.slot_minutes, 1439.999), go)
                di, ci = np.nonzero(here)
                rows.append(
                    pd.DataFrame(
                        {"lot_id": lot_id, "car_id": [f"W{g:02d}-{c:05d}" for c in ci],
                         "entry": base + dd[di] * 1440 + come[di, ci],
                         "exit": base + dd[di] * 1440 + go[di, ci], "monthly_pass": False}
                    )
                )  # fmt: skip
            frames.extend(rows)
        elif cls == VISITOR:
            for t in (0, 1):
                dd = np.flatnonzero(types == t)
                b = model.behaviour[g][t]
                if dd.size == 0 or b.arrivals_per_day <= 0:
                    continue
                assert b.arrive is not None
                counts = rng.poisson(b.arrivals_per_day, size=dd.size)
                day = np.repeat(dd, counts)
                come = b.arrive.draw(rng, (day.size,), model.day_start)
                if b.dwell_sd is None:
                    stay = rng.exponential(b.dwell_mean, size=day.size)
                else:
                    sigma2 = math.log1p((b.dwell_sd / b.dwell_mean) ** 2)
                    mu = math.log(b.dwell_mean) - sigma2 / 2
                    stay = rng.lognormal(mu, math.sqrt(sigma2), size=day.size)
                frames.append(
                    pd.DataFrame(
                        {"lot_id": lot_id,
                         "car_id": [f"V{g:02d}-{t}-{i:07d}" for i in range(day.size)],
                         "entry": base + day * 1440 + come, "exit": base + day * 1440 + come + stay,
                         "monthly_pass": False}
                    )
                )  # fmt: skip
    if not frames:
        raise InputError(msg("parking.gate_log_no_home_lot"))
    log = pd.concat(frames, ignore_index=True)
    end_min = start_min + log_days * 1440
    over = log["exit"].isna() | (log["exit"] >= start_min)
    log = log[over & (log["entry"] < end_min)].copy()
    log.loc[log["exit"] >= end_min, "exit"] = np.nan
    log["entry"] = np.maximum(log["entry"], start_min)
    to_time = lambda m: pd.to_datetime(np.round(m * 60.0), unit="s")  # noqa: E731
    log["entry_time"] = to_time(log.pop("entry"))
    log["exit_time"] = to_time(log.pop("exit"))
    log = log.sort_values(["entry_time", "car_id"], kind="stable", ignore_index=True)
    return log[["lot_id", "car_id", "entry_time", "exit_time", "monthly_pass"]]
