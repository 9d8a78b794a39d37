"""Monte Carlo simulation of shared parking (``method: simulate``).

Model, per simulated day of ``n_slots`` slots starting at ``day_start``:

- Residents: every registered car is parked at the day's start (its home lot
  first; overflow in lots whose sharing window is open then: last night's
  spill). A share stays home all day; the others leave and return at times
  drawn from the scenario's distributions. Whether a car goes out is a probit
  of a car effect plus a day effect, so ``day_correlation`` is the correlation
  of a car's propensity from day to day while the share going out stays exact.
- Workers: registered cars, a no-show share, arrival and departure times.
- Visitors: a Poisson number of arrivals per day, arrival times, log-normal
  dwell.
- A car that returns or arrives looks for a space (see
  :mod:`gridmap.parking.allocate`); an outsider whose stay outruns the lot's
  window leaves at the window's end (a resident then looks for a space again),
  or, with the lot's ``overstay_share``, overstays past the grace period.

Days are independent replicates, simulated in batches of :data:`CHUNK_DAYS`
with vectorised numpy (no per-car Python loop in the hot path). Every random
number comes from ``numpy.random.Generator`` streams spawned from one seed (one
per batch), so a seed and a number of days give identical results.
:func:`simulate_days` with ``engine="loop"`` is the plain per-car event loop
kept as the reference and the benchmark's baseline; it gives the same results
as the vectorised engine for the same seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtri

from gridmap.errors import warn
from gridmap.messages import msg
from gridmap.parking.allocate import LotState, SlotCars, allocate_booking, allocate_fcfs
from gridmap.parking.scenario import (
    WEEKDAYS,
    format_clock,
    parse_clock,
    parse_window,
    scenario_library,
    validate_scenario,
)

__all__ = [
    "CHUNK_DAYS",
    "Model",
    "DayArrays",
    "compile_model",
    "simulate_days",
    "summarize_days",
    "run_simulation",
    "erlang_b",
    "spaces_for_blocking",
]

# Days simulated per vectorised batch (one random stream each). Fixed: changing it
# changes the draws (not their distribution).
CHUNK_DAYS = 100
RESIDENT, WORKER, VISITOR = 0, 1, 2
CLASS_CODES = {"resident": RESIDENT, "worker": WORKER, "visitor": VISITOR}
INITIAL, ARRIVAL, RELOCATION = 0, 1, 2
_FAR = 1 << 40


@dataclass(frozen=True)
class TimeDist:
    """A time-of-day distribution: normal (clock minutes) or a histogram of slot weights."""

    mean: float | None = None
    sd: float = 0.0
    weights: np.ndarray | None = None

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...], day_start: int) -> np.ndarray:
        """Minutes after the day's start, in ``[0, 1440)``; normal tails are truncated there."""
        if self.weights is not None:
            bins = self.weights.size
            width = 1440 / bins
            which = rng.choice(bins, size=shape, p=self.weights)
            clock = (which + rng.random(shape)) * width
            return np.mod(clock - day_start, 1440.0)
        assert self.mean is not None
        centre = (self.mean - day_start) % 1440
        rel = centre + self.sd * rng.standard_normal(shape)
        return np.clip(rel, 0.0, 1439.999)


@dataclass(frozen=True)
class Behaviour:
    """Parameters of one user group on one day type."""

    cars: int = 0
    stay_home: float = 0.0
    no_show: float = 0.0
    arrivals_per_day: float = 0.0
    leave: TimeDist | None = None
    ret: TimeDist | None = None
    arrive: TimeDist | None = None
    depart: TimeDist | None = None
    dwell_mean: float = 60.0
    dwell_sd: float | None = None


@dataclass
class Model:
    """A scenario compiled to arrays (see :func:`compile_model`)."""

    scenario: dict[str, Any]
    n_slots: int
    slot_minutes: int
    day_start: int
    first_day: int
    lot_ids: list[str]
    capacity: np.ndarray
    shared: np.ndarray
    reserved: np.ndarray
    open_: np.ndarray  # (2, L, S) bool: window open, by day type (0 weekday, 1 weekend)
    seg_end: np.ndarray  # (2, L, S) int: slot where the open window closes (S: open to the end)
    fit_limit: np.ndarray  # (2, L, S) int: latest booked departure slot
    grace_slots: np.ndarray
    overstay_share: np.ndarray
    overstay_minutes: np.ndarray
    price_hour: np.ndarray
    price_day_pass: np.ndarray
    community_share: np.ndarray
    user_names: list[str]
    cls: np.ndarray
    home: np.ndarray
    candidates: np.ndarray
    dist: np.ndarray
    cost: np.ndarray
    correlation: np.ndarray
    behaviour: list[tuple[Behaviour, Behaviour]]
    walk_unmet_cost: int

    @property
    def n_lots(self) -> int:
        return len(self.lot_ids)

    @property
    def n_groups(self) -> int:
        return len(self.user_names)

    def day_types(self, start: int, n: int) -> np.ndarray:
        """0 (weekday) or 1 (weekend) for days ``start .. start + n - 1``."""
        return ((self.first_day + np.arange(start, start + n)) % 7 >= 5).astype(np.int64)


def _time_dist(spec: Mapping[str, Any] | None, library: Any, key: str) -> TimeDist | None:
    if spec is None:
        return None
    if "histogram" in spec:
        hist = spec["histogram"]
        values = (
            [float(v) for v in library.hourly_profile(hist, key=key).values]
            if isinstance(hist, str)
            else [float(v) for v in hist]
        )
        weights = np.asarray(values, dtype=float)
        return TimeDist(weights=weights / weights.sum())
    return TimeDist(mean=float(parse_clock(spec["mean"], key)), sd=float(spec["sd_minutes"]))


def _behaviours(user: Mapping[str, Any], library: Any, key: str) -> tuple[Behaviour, Behaviour]:
    out = []
    for day_type in ("weekday", "weekend"):
        spec = dict(user)
        if day_type == "weekend" and user.get("weekend"):
            spec.update(user["weekend"])
        dwell = spec.get("dwell") or {}
        out.append(
            Behaviour(
                cars=int(spec.get("cars", 0) or 0),
                stay_home=float(spec.get("stay_home_share", 0.0) or 0.0),
                no_show=float(spec.get("no_show", 0.0) or 0.0),
                arrivals_per_day=float(spec.get("arrivals_per_day", 0.0) or 0.0),
                leave=_time_dist(spec.get("leave"), library, f"{key}.leave"),
                ret=_time_dist(spec.get("return"), library, f"{key}.return"),
                arrive=_time_dist(spec.get("arrive"), library, f"{key}.arrive"),
                depart=_time_dist(spec.get("depart"), library, f"{key}.depart"),
                dwell_mean=float(dwell.get("mean_minutes", 60.0)),
                dwell_sd=None if dwell.get("sd_minutes") is None else float(dwell["sd_minutes"]),
            )
        )
    return out[0], out[1]


def _positions(items: list[Mapping[str, Any]]) -> np.ndarray:
    """x/y in metres of each item (NaN where absent); lon/lat projected to UTM."""
    pts = np.full((len(items), 2), np.nan)
    lonlat = [i for i, it in enumerate(items) if it.get("lon") is not None]
    for i, it in enumerate(items):
        if it.get("x") is not None:
            pts[i] = (float(it["x"]), float(it["y"]))
    if lonlat:
        import geopandas as gpd

        from gridmap.crs import to_metric

        gdf = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(
                [items[i]["lon"] for i in lonlat], [items[i]["lat"] for i in lonlat]
            ),
            crs=4326,
        )
        metric = to_metric(gdf)
        pts[lonlat, 0] = metric.geometry.x.to_numpy()
        pts[lonlat, 1] = metric.geometry.y.to_numpy()
    return pts


def _windows(
    lots: list[Mapping[str, Any]], n_slots: int, slot_minutes: int, day_start: int
) -> tuple[np.ndarray, np.ndarray]:
    clock = (day_start + np.arange(n_slots) * slot_minutes) % 1440
    open_ = np.zeros((2, len(lots), n_slots), dtype=bool)
    for j, lot in enumerate(lots):
        if lot["shared"] <= 0:
            continue
        for t, name in enumerate(("window", "weekend_window")):
            if lot.get(name) is None:
                continue
            start, end = parse_window(lot[name], name)
            if start < end:
                open_[t, j] = (clock >= start) & (clock < end)
            else:
                open_[t, j] = (clock >= start) | (clock < end)
    seg_end = np.full(open_.shape, n_slots, dtype=np.int64)
    for s in range(n_slots - 2, -1, -1):
        nxt = open_[:, :, s + 1]
        seg_end[:, :, s] = np.where(nxt, seg_end[:, :, s + 1], s + 1)
    return open_, seg_end


def compile_model(scenario: Mapping[str, Any]) -> Model:
    """Compile a (validated) simulate scenario to arrays.

    Parameters
    ----------
    scenario : mapping
        A ``method: simulate`` scenario.

    Returns
    -------
    Model
    """
    sc = validate_scenario(scenario)
    if sc["method"] != "simulate":
        raise ValueError("compile_model needs a 'method: simulate' scenario")
    library = scenario_library(sc)
    dt = sc["slot_minutes"]
    n_slots = 1440 // dt
    day_start = parse_clock(sc["day_start"], "day_start")
    lots = sc["lots"]
    users = sc["users"]
    lot_ids = [lot["lot_id"] for lot in lots]
    capacity = np.array([lot["capacity"] for lot in lots], dtype=np.int64)
    shared = np.array([lot["shared"] for lot in lots], dtype=np.int64)
    reserved = np.array([lot["reserved"] for lot in lots], dtype=np.int64)
    grace = np.array([math.ceil(lot["grace_minutes"] / dt) for lot in lots], dtype=np.int64)
    open_, seg_end = _windows(lots, n_slots, dt, day_start)
    fit_limit = np.where(seg_end >= n_slots, _FAR, seg_end + grace[None, :, None])

    lot_pos = _positions(lots)
    user_pos = _positions(users)
    index = {lot_id: j for j, lot_id in enumerate(lot_ids)}
    home = np.array([index[u["home_lot"]] if u["home_lot"] else -1 for u in users], dtype=np.int64)
    for i in range(len(users)):
        if np.isnan(user_pos[i, 0]) and home[i] >= 0:
            user_pos[i] = lot_pos[home[i]]
    diff = user_pos[:, None, :] - lot_pos[None, :, :]
    dist = np.hypot(diff[..., 0], diff[..., 1]) * float(sc["detour_factor"])
    dist = np.where(np.isnan(dist), np.inf, dist)
    for i, user in enumerate(users):
        if home[i] >= 0 and not np.isfinite(dist[i, home[i]]):
            dist[i, home[i]] = 0.0
        for lot_id, metres in (sc.get("distances") or {}).get(user["name"], {}).items():
            dist[i, index[lot_id]] = float(metres)

    cands = []
    for i, user in enumerate(users):
        limit = float(user.get("walk_limit_m") or sc["walk_limit_m"])
        reach = [j for j in np.argsort(dist[i], kind="stable") if j != home[i]]
        reach = [int(j) for j in reach if dist[i, j] <= limit and shared[j] > 0]
        cands.append(([int(home[i])] if home[i] >= 0 else []) + reach)
    for i in range(len(users)):
        if home[i] < 0 and not np.isfinite(dist[i]).any():
            warn(msg("parking.user_unreachable", index=i, name=users[i]["name"]))
    width = max(1, max(len(c) for c in cands))
    candidates = np.full((len(users), width), -1, dtype=np.int64)
    for i, c in enumerate(cands):
        candidates[i, : len(c)] = c
    cost = np.where(np.isfinite(dist), np.rint(dist), 0).astype(np.int64)
    cost[np.arange(len(users))[home >= 0], home[home >= 0]] = 0
    unmet_cost = int(10 * max(float(sc["walk_limit_m"]), float(cost.max(initial=0))) + 1000)
    return Model(
        scenario=sc,
        n_slots=n_slots,
        slot_minutes=dt,
        day_start=day_start,
        first_day=WEEKDAYS.index(sc["first_day"]),
        lot_ids=lot_ids,
        capacity=capacity,
        shared=shared,
        reserved=reserved,
        open_=open_,
        seg_end=seg_end,
        fit_limit=fit_limit,
        grace_slots=grace,
        overstay_share=np.array([lot["overstay_share"] for lot in lots], dtype=float),
        overstay_minutes=np.array([lot["overstay_minutes"] for lot in lots], dtype=float),
        price_hour=np.array([lot["price_per_hour"] for lot in lots], dtype=float),
        price_day_pass=np.array([lot["price_per_month"] * 12 / 365 for lot in lots], dtype=float),
        community_share=np.array([lot["community_share"] for lot in lots], dtype=float),
        user_names=[u["name"] for u in users],
        cls=np.array([CLASS_CODES[u["class"]] for u in users], dtype=np.int64),
        home=home,
        candidates=candidates,
        dist=dist,
        cost=cost,
        correlation=np.array([u["day_correlation"] for u in users], dtype=float),
        behaviour=[_behaviours(u, library, f"users[{i}]") for i, u in enumerate(users)],
        walk_unmet_cost=unmet_cost,
    )


# --------------------------------------------------------------------------- events


@dataclass
class Events:
    """Cars' requests for a space in one batch of days (one row per request)."""

    day: np.ndarray
    group: np.ndarray
    arr: np.ndarray
    dep: np.ndarray
    kind: np.ndarray
    key: np.ndarray
    key2: np.ndarray
    u: np.ndarray
    xo: np.ndarray
    eid: np.ndarray

    def take(self, idx: np.ndarray | slice) -> Events:
        return Events(*(getattr(self, f)[idx] for f in _EVENT_FIELDS))

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        return Events(*(np.concatenate([getattr(p, f) for p in parts]) for f in _EVENT_FIELDS))


_EVENT_FIELDS = ("day", "group", "arr", "dep", "kind", "key", "key2", "u", "xo", "eid")
# Random service order: 40-bit integer keys (see allocate._sequential_admit).
_KEY_BITS = 40


def _slot(minutes: np.ndarray, dt: int) -> np.ndarray:
    """Slot of a time (minutes after the day's start, >= 0: truncation is the floor)."""
    return (minutes // dt).astype(np.int32)


def _present(
    rng: np.random.Generator, z: np.ndarray, rho: float, share: float, n_days: int
) -> np.ndarray:
    """Correlated Bernoulli(share) per (day, car): probit of car effect + day effect."""
    eps = rng.standard_normal((n_days, z.size))
    latent = math.sqrt(rho) * z[None, :] + math.sqrt(1.0 - rho) * eps
    return latent < ndtri(share)


class _Sampler:
    """Draws from many :class:`TimeDist` at once: ``which[i]`` names the distribution of draw i."""

    def __init__(self, dists: list[TimeDist], day_start: int) -> None:
        self.day_start = day_start
        n = len(dists)
        self.is_hist = np.array([d.weights is not None for d in dists], dtype=bool)
        self.centre = np.array(
            [0.0 if d.mean is None else (d.mean - day_start) % 1440 for d in dists]
        )
        self.sd = np.array([d.sd for d in dists], dtype=float)
        # Histograms: cumulative weights of table i shifted by i, so one searchsorted
        # over the concatenation finds the bin of every draw.
        starts, widths, parts = np.zeros(n, np.int64), np.ones(n), []
        offset = 0
        for i, d in enumerate(dists):
            if d.weights is None:
                continue
            cdf = np.cumsum(d.weights)
            cdf /= cdf[-1]
            parts.append(i + cdf)
            starts[i] = offset
            widths[i] = 1440 / d.weights.size
            offset += d.weights.size
        self.global_cdf = np.concatenate(parts) if parts else np.zeros(0)
        self.starts, self.widths = starts, widths

    def draw(self, rng: np.random.Generator, which: np.ndarray) -> np.ndarray:
        """Minutes after the day's start in ``[0, 1440)`` (normal tails truncated)."""
        out = np.empty(which.size)
        hist = self.is_hist[which]
        if (~hist).any():
            w = which[~hist]
            rel = self.centre[w] + self.sd[w] * rng.standard_normal(w.size)
            out[~hist] = np.clip(rel, 0.0, 1439.999)
        if hist.any():
            w = which[hist]
            u = rng.random(w.size) + w
            pos = np.searchsorted(self.global_cdf, u, side="right")
            pos = np.minimum(
                pos, self.starts[w] + np.rint(1440 / self.widths[w]).astype(np.int64) - 1
            )
            clock = (pos - self.starts[w] + rng.random(w.size)) * self.widths[w]
            out[hist] = np.mod(clock - self.day_start, 1440.0)
        return out

    def later(
        self, rng: np.random.Generator, first: np.ndarray, which: np.ndarray, step: float
    ) -> np.ndarray:
        """Draw times after ``first`` (redraw up to 20 times, then ``first + step``)."""
        second = self.draw(rng, which)
        bad = np.flatnonzero(second <= first)
        for _ in range(20):
            if bad.size == 0:
                break
            second[bad] = self.draw(rng, which[bad])
            bad = bad[second[bad] <= first[bad]]
        second[bad] = np.minimum(first[bad] + step, 1439.999)
        return second


@dataclass
class _Plan:
    """Per-car and per-group parameters of one day type, as arrays (built once per run)."""

    res_group: np.ndarray
    res_z: np.ndarray
    res_a: np.ndarray  # weight of the car effect: sqrt(rho)
    res_b: np.ndarray  # weight of the day effect: sqrt(1 - rho)
    res_thr: np.ndarray
    res_first: np.ndarray  # distribution index of leave times
    res_second: np.ndarray  # of return times
    wrk_group: np.ndarray
    wrk_z: np.ndarray
    wrk_a: np.ndarray
    wrk_b: np.ndarray
    wrk_thr: np.ndarray
    wrk_first: np.ndarray
    wrk_second: np.ndarray
    vis_group: np.ndarray
    vis_rate: np.ndarray
    vis_arrive: np.ndarray
    vis_mu: np.ndarray  # log-normal dwell parameters (sigma NaN: exponential, mean in mu)
    vis_sigma: np.ndarray


def _cat(cols: dict[str, list[np.ndarray]], name: str, dtype: Any) -> np.ndarray:
    return np.concatenate(cols[name]) if name in cols else np.zeros(0, dtype)


def _plans(model: Model, car_effects: list[np.ndarray]) -> tuple[list[_Plan], _Sampler]:
    dists: list[TimeDist] = []
    index: dict[int, int] = {}

    def idx(d: TimeDist | None) -> int:
        assert d is not None
        if id(d) not in index:
            index[id(d)] = len(dists)
            dists.append(d)
        return index[id(d)]

    plans = []
    for t in (0, 1):
        cols: dict[str, list[np.ndarray]] = {}
        vis_g, vis_rate, vis_arr, vis_mu, vis_sigma = [], [], [], [], []
        for g in range(model.n_groups):
            b = model.behaviour[g][t]
            cls = model.cls[g]
            rho = float(model.correlation[g])
            if cls in (RESIDENT, WORKER) and b.cars > 0:
                p = "res" if cls == RESIDENT else "wrk"
                share = 1.0 - (b.stay_home if cls == RESIDENT else b.no_show)
                n = b.cars
                cols.setdefault(f"{p}_group", []).append(np.full(n, g, np.int32))
                cols.setdefault(f"{p}_z", []).append(car_effects[g][:n])
                cols.setdefault(f"{p}_a", []).append(np.full(n, math.sqrt(rho)))
                cols.setdefault(f"{p}_b", []).append(np.full(n, math.sqrt(1.0 - rho)))
                cols.setdefault(f"{p}_thr", []).append(np.full(n, ndtri(share)))
                first, second = (b.leave, b.ret) if cls == RESIDENT else (b.arrive, b.depart)
                cols.setdefault(f"{p}_first", []).append(np.full(n, idx(first), np.int64))
                cols.setdefault(f"{p}_second", []).append(np.full(n, idx(second), np.int64))
            elif cls == VISITOR and b.arrivals_per_day > 0:
                vis_g.append(g)
                vis_rate.append(b.arrivals_per_day)
                vis_arr.append(idx(b.arrive))
                if b.dwell_sd is None:
                    vis_mu.append(b.dwell_mean)
                    vis_sigma.append(np.nan)
                else:
                    sigma2 = math.log1p((b.dwell_sd / b.dwell_mean) ** 2)
                    vis_mu.append(math.log(b.dwell_mean) - sigma2 / 2)
                    vis_sigma.append(math.sqrt(sigma2))

        plans.append(
            _Plan(
                **{
                    f"{p}_{k}": _cat(cols, f"{p}_{k}", dt)
                    for p in ("res", "wrk")
                    for k, dt in (
                        ("group", np.int32),
                        ("z", float),
                        ("a", float),
                        ("b", float),
                        ("thr", float),
                        ("first", np.int64),
                        ("second", np.int64),
                    )
                },
                vis_group=np.array(vis_g, np.int32),
                vis_rate=np.array(vis_rate, float),
                vis_arrive=np.array(vis_arr, np.int64),
                vis_mu=np.array(vis_mu, float),
                vis_sigma=np.array(vis_sigma, float),
            )  # fmt: skip
        )
    return plans, _Sampler(dists or [TimeDist(mean=0.0)], model.day_start)


def _generate_events(
    model: Model,
    days_in_batch: np.ndarray,
    types: np.ndarray,
    rng: np.random.Generator,
    plans: list[_Plan],
    sampler: _Sampler,
) -> Events:
    """Requests of the given days (batch-local indices), all groups at once."""
    S, dt = model.n_slots, model.slot_minutes
    i32 = np.int32
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]] = []
    for t in (0, 1):
        days = days_in_batch[types == t].astype(i32)
        if days.size == 0:
            continue
        plan = plans[t]
        m = days.size
        if plan.res_group.size:
            eps = rng.standard_normal((m, plan.res_group.size))
            out = plan.res_a * plan.res_z + plan.res_b * eps < plan.res_thr
            r, c = np.nonzero(~out)
            parts.append((days[r], plan.res_group[c], np.zeros(r.size, i32),
                          np.full(r.size, S, i32), INITIAL))  # fmt: skip
            r, c = np.nonzero(out)
            leave = sampler.draw(rng, plan.res_first[c])
            back = sampler.later(rng, leave, plan.res_second[c], dt)
            ls, rs = _slot(leave, dt), _slot(back, dt)
            rs = np.maximum(rs, ls + 1)
            keep = ls > 0
            parts.append((days[r[keep]], plan.res_group[c[keep]], np.zeros(int(keep.sum()), i32),
                          ls[keep], INITIAL))  # fmt: skip
            came = rs < S
            parts.append((days[r[came]], plan.res_group[c[came]], rs[came],
                          np.full(int(came.sum()), S, i32), ARRIVAL))  # fmt: skip
        if plan.wrk_group.size:
            eps = rng.standard_normal((m, plan.wrk_group.size))
            here = plan.wrk_a * plan.wrk_z + plan.wrk_b * eps < plan.wrk_thr
            r, c = np.nonzero(here)
            come = sampler.draw(rng, plan.wrk_first[c])
            go = sampler.later(rng, come, plan.wrk_second[c], dt)
            a_s, d_s = _slot(come, dt), _slot(go, dt)
            parts.append((days[r], plan.wrk_group[c], a_s, np.maximum(d_s, a_s + 1), ARRIVAL))
        if plan.vis_group.size:
            counts = rng.poisson(plan.vis_rate, size=(m, plan.vis_group.size))
            r, c = np.nonzero(counts)
            k = counts[r, c]
            r, c = np.repeat(r, k), np.repeat(c, k)
            come = sampler.draw(rng, plan.vis_arrive[c])
            sigma = plan.vis_sigma[c]
            expo = np.isnan(sigma)
            stay = np.empty(c.size)
            stay[expo] = rng.exponential(plan.vis_mu[c[expo]])
            stay[~expo] = rng.lognormal(plan.vis_mu[c[~expo]], sigma[~expo])
            a_s = _slot(come, dt)
            d_s = np.minimum(_slot(come + stay, dt), S)
            parts.append((days[r], plan.vis_group[c], a_s, np.maximum(d_s, a_s + 1), ARRIVAL))
    if not parts:
        parts.append((np.zeros(0, i32), np.zeros(0, i32), np.zeros(0, i32), np.zeros(0, i32), 0))
    n = sum(p[0].size for p in parts)
    return Events(
        day=np.concatenate([p[0] for p in parts]).astype(i32, copy=False),
        group=np.concatenate([p[1] for p in parts]).astype(i32, copy=False),
        arr=np.concatenate([p[2] for p in parts]).astype(i32, copy=False),
        dep=np.concatenate([p[3] for p in parts]).astype(i32, copy=False),
        kind=np.concatenate([np.full(p[0].size, p[4], np.int8) for p in parts]),
        key=rng.integers(0, 1 << _KEY_BITS, size=n, dtype=np.int64),
        key2=rng.integers(0, 1 << _KEY_BITS, size=n, dtype=np.int64),
        u=rng.random(n, dtype=np.float32),
        xo=rng.standard_exponential(n, dtype=np.float32),
        eid=np.arange(n, dtype=np.int64),
    )


# --------------------------------------------------------------------------- batches


@dataclass
class Records:
    """What happened to every request of a batch (one row per request)."""

    day: np.ndarray
    group: np.ndarray
    lot: np.ndarray
    kind: np.ndarray
    arr: np.ndarray
    actual: np.ndarray
    overstay: np.ndarray

    @staticmethod
    def concat(parts: list[Records]) -> Records:
        fields = ("day", "group", "lot", "kind", "arr", "actual", "overstay")
        if not parts:
            empty = np.zeros(0, np.int64)
            return Records(*(empty for _ in fields))
        return Records(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))


def _departures(
    model: Model,
    allocation: str,
    group: np.ndarray,
    lot: np.ndarray,
    dep: np.ndarray,
    eid: np.ndarray,
    outsider: np.ndarray,
    seg_end_now: np.ndarray,
    cell: np.ndarray,
    ev: Events,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Actual departure, overstay flag and relocation flag of placed cars.

    Only outsiders can outstay a window: their planned departure is checked
    against the end of the window they parked in (``seg_end_now`` per cell).
    """
    S = model.n_slots
    actual = dep.copy()
    stay = np.zeros(lot.size, dtype=bool)
    relocate = np.zeros(lot.size, dtype=bool)
    o = np.flatnonzero(outsider)
    if o.size == 0:
        return actual, stay, relocate
    seg = seg_end_now[cell[o]]
    gr = model.grace_slots[lot[o]]
    late = (seg < S) & (dep[o] > seg + gr)
    if not late.any():
        return actual, stay, relocate
    i = o[late]
    li, ei, si, gi = lot[i], eid[i], seg[late], gr[late]
    if allocation == "booking":
        stays = np.zeros(i.size, dtype=bool)
    else:
        stays = ev.u[ei] < model.overstay_share[li]
    extra = np.maximum(np.ceil(ev.xo[ei] * model.overstay_minutes[li] / model.slot_minutes), 1)
    actual[i] = np.where(stays, np.minimum(dep[i], si + gi + extra.astype(np.int64)), si)
    stay[i] = stays
    relocate[i] = (model.cls[group[i]] == RESIDENT) & (actual[i] < dep[i]) & (actual[i] < S)
    return actual, stay, relocate


def _run_batch_vectorised(
    model: Model,
    ev: Events,
    n_days: int,
    day_types: np.ndarray,
    allocation: str,
    full: bool = False,
) -> tuple[Records, np.ndarray, np.ndarray]:
    S, L = model.n_slots, model.n_lots
    n_cells = n_days * L
    # Window state per slot as (slot, day type, lot); a slot's cells are picked by day type.
    open_by_slot = np.ascontiguousarray(model.open_.transpose(2, 0, 1))
    seg_by_slot = np.ascontiguousarray(model.seg_end.transpose(2, 0, 1))
    fit_by_slot = np.ascontiguousarray(model.fit_limit.transpose(2, 0, 1))
    state = LotState(
        capacity=np.tile(model.capacity, n_days),
        shared=np.tile(model.shared, n_days),
        occ_total=np.zeros(n_cells, np.int64),
        occ_out=np.zeros(n_cells, np.int64),
        open_now=np.zeros(n_cells, bool),
        fit_limit=np.zeros(n_cells, np.int64),
        n_lots=L,
    )
    # One stable sort by arrival slot (a radix sort on small integers); each slot is then a
    # contiguous view. Only the fields the allocation needs are reordered; the rest are
    # looked up by request id (eid) for the few cars that need them.
    eid = np.argsort(ev.arr.astype(np.int16 if S < 1 << 15 else np.int64), kind="stable")
    hot = {
        "day": ev.day[eid],
        "group": ev.group[eid],
        "dep": ev.dep[eid],
        "kind": ev.kind[eid],
        "key": ev.key[eid],
        "eid": eid,
    }
    bounds = np.concatenate([[0], np.cumsum(np.bincount(ev.arr, minlength=S))])
    leave_total: list[list[np.ndarray]] = [[] for _ in range(S + 1)]
    leave_out: list[list[np.ndarray]] = [[] for _ in range(S + 1)]
    moved: list[list[dict[str, np.ndarray]]] = [[] for _ in range(S + 1)]
    occ_total = np.zeros((S, n_cells), np.int32)
    occ_out = np.zeros((S, n_cells), np.int32)
    records: list[Records] = []
    for t in range(S):
        if leave_total[t]:
            state.occ_total -= np.bincount(np.concatenate(leave_total[t]), minlength=n_cells)
            if leave_out[t]:
                state.occ_out -= np.bincount(np.concatenate(leave_out[t]), minlength=n_cells)
        now = {f: a[bounds[t] : bounds[t + 1]] for f, a in hot.items()}
        if moved[t]:
            now = {f: np.concatenate([now[f], *(m[f] for m in moved[t])]) for f in now}
        n_now = now["group"].size
        if n_now:
            state.open_now = open_by_slot[t][day_types].ravel()
            state.fit_limit = fit_by_slot[t][day_types].ravel()
            cars = SlotCars(
                cell_base=now["day"] * L,
                group=now["group"],
                dep=now["dep"],
                key=now["key"],
                eid=now["eid"],
                need_fit=now["kind"] != INITIAL,
            )
            if allocation == "booking":
                lot, _ = allocate_booking(
                    cars, state, candidates=model.candidates, home=model.home, cost=model.cost,
                    owner_priority=model.cls != VISITOR, unmet_cost=model.walk_unmet_cost,
                )  # fmt: skip
            else:
                lot, _ = allocate_fcfs(cars, state, candidates=model.candidates, home=model.home)
            placed = np.flatnonzero(lot >= 0)
            pl = lot[placed]
            pg = now["group"][placed]
            cell = cars.cell_base[placed] + pl
            outsider = pl != model.home[pg]
            actual, stay, relocate = _departures(
                model, allocation, pg, pl, now["dep"][placed], now["eid"][placed], outsider,
                seg_by_slot[t][day_types].ravel(), cell, ev,
            )  # fmt: skip
            _bucket(leave_total, actual, cell, S)
            _bucket(leave_out, actual[outsider], cell[outsider], S)
            if relocate.any():
                sel = placed[relocate]
                again = {f: now[f][sel] for f in now}
                again["dep"] = now["dep"][sel]
                again["kind"] = np.full(sel.size, RELOCATION, np.int64)
                first_key = ev.key[again["eid"]]
                again["key"] = np.where(again["key"] == first_key, ev.key2[again["eid"]], first_key)
                when = actual[relocate]
                for s_ in np.unique(when):
                    pick = when == s_
                    moved[int(s_)].append({f: a[pick] for f, a in again.items()})
            # Keep what the metrics need: requests after the day's start, and outsiders
            # placed at the start (they pay and may overstay); not the residents at home.
            full_actual = np.full(n_now, -1, np.int64)
            full_actual[placed] = actual
            over = np.zeros(n_now, bool)
            over[placed] = stay
            keep = now["kind"] != INITIAL
            keep[placed[outsider]] = True
            if full:
                keep[:] = True
            records.append(
                Records(
                    now["day"][keep], now["group"][keep], lot[keep], now["kind"][keep],
                    np.full(int(keep.sum()), t), full_actual[keep], over[keep],
                )
            )  # fmt: skip
        occ_total[t] = state.occ_total
        occ_out[t] = state.occ_out
    hist_total = occ_total.reshape(S, n_days, L).transpose(1, 2, 0)
    hist_out = occ_out.reshape(S, n_days, L).transpose(1, 2, 0)
    return Records.concat(records), hist_total, hist_out


def _bucket(buckets: list[list[np.ndarray]], when: np.ndarray, cells: np.ndarray, S: int) -> None:
    keep = when < S
    when, cells = when[keep], cells[keep]
    if when.size == 0:
        return
    order = np.argsort(when.astype(np.int16 if S < 1 << 15 else np.int64), kind="stable")
    when, cells = when[order], cells[order]
    starts = np.flatnonzero(np.diff(when)) + 1
    for part, s in zip(np.split(cells, starts), when[np.r_[0, starts]], strict=True):
        buckets[int(s)].append(part)


def _run_batch_loop(
    model: Model,
    ev: Events,
    n_days: int,
    day_types: np.ndarray,
    allocation: str,
    full: bool = False,
) -> tuple[Records, np.ndarray, np.ndarray]:
    """The reference: a plain per-car event loop with the rules of the vectorised engine."""
    if allocation != "booking" and allocation != "fcfs":
        raise ValueError(allocation)
    if allocation == "booking":
        raise NotImplementedError("the per-car reference loop covers first-come-first-served")
    S, L = model.n_slots, model.n_lots
    cap = model.capacity.tolist()
    shared = model.shared.tolist()
    home = model.home.tolist()
    cands = [[int(x) for x in row if x >= 0] for row in model.candidates]
    is_res = (model.cls == RESIDENT).tolist()
    grace = model.grace_slots.tolist()
    share = model.overstay_share.tolist()
    over_min = model.overstay_minutes.tolist()
    dt = model.slot_minutes
    hist_total = np.zeros((n_days, L, S), np.int32)
    hist_out = np.zeros((n_days, L, S), np.int32)
    by_day: list[list[int]] = [[] for _ in range(n_days)]
    for i, d in enumerate(ev.day.tolist()):
        by_day[d].append(i)
    cols = {f: getattr(ev, f).tolist() for f in _EVENT_FIELDS}
    rec: dict[str, list[int]] = {
        f: [] for f in ("day", "group", "lot", "kind", "arr", "actual", "overstay")
    }
    for d in range(n_days):
        dtp = int(day_types[d])
        is_open = model.open_[dtp].tolist()
        seg = model.seg_end[dtp].tolist()
        arrivals: list[list[tuple[int, int, int, int, int, int, float, float]]] = [
            [] for _ in range(S + 1)
        ]
        for i in by_day[d]:
            arrivals[cols["arr"][i]].append(
                (cols["key"][i], cols["eid"][i], cols["group"][i], cols["dep"][i],
                 cols["kind"][i], cols["key2"][i], cols["u"][i], cols["xo"][i])
            )  # fmt: skip
        occ = [0] * L
        out = [0] * L
        leaving: list[list[tuple[int, bool]]] = [[] for _ in range(S + 1)]
        for t in range(S):
            for lot, outsider in leaving[t]:
                occ[lot] -= 1
                if outsider:
                    out[lot] -= 1
            pending = sorted(arrivals[t])
            placed: dict[int, int] = {}
            for k in range(max(len(c) for c in cands)):
                nxt = []
                for car in pending:
                    g = car[2]
                    if k >= len(cands[g]):
                        continue
                    lot = cands[g][k]
                    owner = lot == home[g]
                    if not owner and not is_open[lot][t]:
                        nxt.append(car)
                        continue
                    free = cap[lot] - occ[lot]
                    ok = free > 0 and (owner or shared[lot] - out[lot] > 0)
                    if not ok:
                        nxt.append(car)
                        continue
                    occ[lot] += 1
                    if not owner:
                        out[lot] += 1
                    placed[id(car)] = lot
                pending = nxt
            for car in sorted(arrivals[t]):
                key, eid, g, dep, kind, key2, u, xo = car
                lot = placed.get(id(car), -1)
                actual, stay = -1, False
                if lot >= 0:
                    owner = lot == home[g]
                    e = seg[lot][t]
                    actual = dep
                    late = not owner and e < S and dep > e + grace[lot]
                    if late:
                        stay = u < share[lot]
                        if stay:
                            extra = max(math.ceil(xo * over_min[lot] / dt), 1)
                            actual = min(dep, e + grace[lot] + extra)
                        else:
                            actual = e
                        if is_res[g] and actual < dep and actual < S:
                            arrivals[actual].append((key2, eid, g, dep, RELOCATION, key, u, xo))
                    if actual < S:
                        leaving[actual].append((lot, not owner))
                for f, v in zip(
                    ("day", "group", "lot", "kind", "arr", "actual", "overstay"),
                    (d, g, lot, kind, t, actual, int(stay)),
                    strict=True,
                ):
                    rec[f].append(v)
            hist_total[d, :, t] = occ
            hist_out[d, :, t] = out
    records = Records(
        *(
            np.asarray(rec[f], dtype=bool if f == "overstay" else np.int64)
            for f in ("day", "group", "lot", "kind", "arr", "actual", "overstay")
        )
    )
    parked = records.lot >= 0
    keep = (records.kind != INITIAL) | (parked & (records.lot != model.home[records.group]))
    keep |= full
    fields = ("day", "group", "lot", "kind", "arr", "actual", "overstay")
    records = Records(*(getattr(records, f)[keep] for f in fields))
    return records, hist_total, hist_out


# --------------------------------------------------------------------------- metrics


@dataclass
class DayArrays:
    """Per-day results of a simulation (first axis: day)."""

    occ_total: np.ndarray  # (days, L, S)
    occ_out: np.ndarray  # (days, L, S)
    unmet: np.ndarray  # (days, G)
    owner_conflicts: np.ndarray  # (days, L)
    resident_conflicts: np.ndarray  # (days, L)
    overstays: np.ndarray  # (days, L)
    revenue: np.ndarray  # (days, L)
    walk_sum: np.ndarray  # (days,)
    walk_count: np.ndarray  # (days,)
    walk_p95: np.ndarray  # (days,) NaN when nobody walked
    arrivals: np.ndarray  # (days, G) requests after the day's start
    day_types: np.ndarray  # (days,)
    records: list[Records] = field(default_factory=list)


def _batch_metrics(model: Model, rec: Records, n_days: int) -> tuple[np.ndarray, ...]:
    L, G = model.n_lots, model.n_groups
    later = rec.kind != INITIAL
    placed = rec.lot >= 0
    unmet = np.bincount(
        rec.day[later & ~placed] * G + rec.group[later & ~placed], minlength=n_days * G
    ).reshape(n_days, G)
    arrivals = np.bincount(rec.day[later] * G + rec.group[later], minlength=n_days * G).reshape(
        n_days, G
    )
    home = model.home[rec.group]
    cls = model.cls[rec.group]
    owner_miss = later & (home >= 0) & (cls != VISITOR) & (rec.lot != home)
    owner_conf = np.bincount(
        rec.day[owner_miss] * L + home[owner_miss], minlength=n_days * L
    ).reshape(n_days, L)
    res_miss = owner_miss & (cls == RESIDENT)
    res_conf = np.bincount(rec.day[res_miss] * L + home[res_miss], minlength=n_days * L).reshape(
        n_days, L
    )
    over = np.bincount(
        rec.day[rec.overstay] * L + rec.lot[rec.overstay], minlength=n_days * L
    ).reshape(n_days, L)
    o = np.flatnonzero(placed & (rec.lot != home))
    o_lot = rec.lot[o]
    hours = (rec.actual[o] - rec.arr[o]) * (model.slot_minutes / 60.0)
    day_pass = model.price_day_pass[o_lot]
    fee = np.where(
        (cls[o] == RESIDENT) & (day_pass > 0),
        np.where(later[o], day_pass, 0.0),
        hours * model.price_hour[o_lot],
    )
    revenue = np.bincount(rec.day[o] * L + o_lot, weights=fee, minlength=n_days * L).reshape(
        n_days, L
    )
    walked = later & placed
    w_day = rec.day[walked]
    walk = model.dist[rec.group[walked], rec.lot[walked]]
    walk_sum = np.bincount(w_day, weights=walk, minlength=n_days)
    walk_count = np.bincount(w_day, minlength=n_days)
    # Per-day 95th percentile as numpy's "inverted_cdf": the smallest walk with F >= 0.95.
    ranked = walk[np.lexsort((walk, w_day))]
    first = np.concatenate([[0], np.cumsum(walk_count)[:-1]])
    p95 = np.full(n_days, np.nan)
    has = walk_count > 0
    need = np.ceil(0.95 * walk_count[has] - 1e-9).astype(np.int64)
    p95[has] = ranked[first[has] + np.maximum(need, 1) - 1]
    return unmet, owner_conf, res_conf, over, revenue, walk_sum, walk_count, p95, arrivals


def simulate_days(
    scenario: Mapping[str, Any] | Model,
    *,
    seed: int,
    allocation: str | None = None,
    days: int | None = None,
    engine: str = "vectorised",
    keep_records: bool = False,
    progress: Callable[[int, int], Any] | None = None,
) -> DayArrays:
    """Simulate the days of a scenario and return per-day arrays.

    Parameters
    ----------
    scenario : mapping or Model
        A ``method: simulate`` scenario (or one compiled by :func:`compile_model`).
    seed : int
        Seed of all random streams.
    allocation : {"fcfs", "booking"}, optional
        Default: the scenario's ``allocation``.
    days : int, optional
        Default: the scenario's ``days``.
    engine : {"vectorised", "loop"}
        ``"loop"`` is the per-car reference (first-come-first-served only).
    keep_records : bool
        Keep every request's outcome in ``records``, including residents parked
        at home from the day's start (for tests).
    progress : callable, optional
        Called as ``progress(days_done, days_total)`` after each batch.

    Returns
    -------
    DayArrays
    """
    model = scenario if isinstance(scenario, Model) else compile_model(scenario)
    allocation = allocation or model.scenario["allocation"]
    if allocation not in ("fcfs", "booking"):
        raise ValueError(f"allocation must be 'fcfs' or 'booking', not {allocation!r}")
    n_total = int(days if days is not None else model.scenario["days"])
    root = np.random.SeedSequence(int(seed))
    car_seq, day_seq = root.spawn(2)
    car_rng = np.random.default_rng(car_seq)
    car_effects = [
        car_rng.standard_normal(max(b.cars for b in model.behaviour[g]))
        for g in range(model.n_groups)
    ]
    plans, sampler = _plans(model, car_effects)
    n_batches = -(-n_total // CHUNK_DAYS)
    batch_seqs = day_seq.spawn(n_batches)
    run = _run_batch_loop if engine == "loop" else _run_batch_vectorised
    pieces = []
    for b in range(n_batches):
        day0 = b * CHUNK_DAYS
        n_days = min(CHUNK_DAYS, n_total - day0)
        ev = _generate_events(
            model, np.arange(n_days), model.day_types(day0, n_days),
            np.random.default_rng(batch_seqs[b]), plans, sampler,
        )  # fmt: skip
        types = model.day_types(day0, n_days)
        rec, occ_total, occ_out = run(model, ev, n_days, types, allocation, keep_records)
        metrics = _batch_metrics(model, rec, n_days)
        pieces.append((occ_total, occ_out, metrics, types, rec))
        if progress is not None:
            progress(day0 + n_days, n_total)
    cat = np.concatenate
    return DayArrays(
        occ_total=cat([p[0] for p in pieces]),
        occ_out=cat([p[1] for p in pieces]),
        unmet=cat([p[2][0] for p in pieces]),
        owner_conflicts=cat([p[2][1] for p in pieces]),
        resident_conflicts=cat([p[2][2] for p in pieces]),
        overstays=cat([p[2][3] for p in pieces]),
        revenue=cat([p[2][4] for p in pieces]),
        walk_sum=cat([p[2][5] for p in pieces]),
        walk_count=cat([p[2][6] for p in pieces]),
        walk_p95=cat([p[2][7] for p in pieces]),
        arrivals=cat([p[2][8] for p in pieces]),
        day_types=cat([p[3] for p in pieces]),
        records=[p[4] for p in pieces] if keep_records else [],
    )


def _stats(values: np.ndarray) -> dict[str, float | None]:
    """Mean and 5th/50th/95th percentiles over days (axis 0)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {
        "mean": round(float(values.mean()), 6),
        "p5": round(float(p5), 6),
        "p50": round(float(p50), 6),
        "p95": round(float(p95), 6),
    }


def _per(names: list[str], values: np.ndarray) -> dict[str, dict[str, float | None]]:
    """:func:`_stats` of each column, computed for all columns at once."""
    values = np.asarray(values, dtype=float)
    if values.shape[0] == 0:
        return {name: _stats(values[:, i]) for i, name in enumerate(names)}
    ok = ~np.isnan(values)
    if not ok.all():  # columns with gaps (e.g. lots of capacity 0) one by one
        out = {}
        for i, name in enumerate(names):
            out[name] = _stats(values[:, i])
        return out
    mean = values.mean(axis=0)
    p5, p50, p95 = np.percentile(values, [5, 50, 95], axis=0)
    return {
        name: {
            "mean": round(float(mean[i]), 6),
            "p5": round(float(p5[i]), 6),
            "p50": round(float(p50[i]), 6),
            "p95": round(float(p95[i]), 6),
        }
        for i, name in enumerate(names)
    }


def summarize_days(model: Model, days: DayArrays, *, profiles: bool = True) -> dict[str, Any]:
    """Turn per-day arrays into the result keys of DATA_MODEL.md.

    Each metric is ``{"mean", "p5", "p50", "p95"}`` over the simulated days,
    per lot as ``{lot_id: {...}}`` where it is per lot.
    """
    lots = model.lot_ids
    hours = model.slot_minutes / 60.0
    open_days = model.open_[days.day_types]  # (D, L, S)
    cap = np.where(model.capacity > 0, model.capacity, 1)
    utilization = days.occ_total.mean(axis=2) / cap
    utilization[:, model.capacity == 0] = np.nan
    offered = model.shared[None, :] * open_days.sum(axis=2) * hours
    used = (days.occ_out * open_days).sum(axis=2) * hours
    overstay_hours = (days.occ_out * ~open_days).sum(axis=2) * hours
    mean_walk = np.where(
        days.walk_count > 0, days.walk_sum / np.maximum(days.walk_count, 1), np.nan
    )
    fund = days.revenue * model.community_share[None, :]
    saved = days.occ_out.sum(axis=1).max(axis=1)
    conflicts = days.resident_conflicts.sum(axis=1)
    result: dict[str, Any] = {
        "peak_occupancy": _per(lots, days.occ_total.max(axis=2)),
        "utilization": _per(lots, utilization),
        "shared_space_hours_offered": _per(lots, offered),
        "shared_space_hours_used": _per(lots, used),
        "unmet_demand": _stats(days.unmet.sum(axis=1)),
        "resident_conflicts": _stats(conflicts),
        "mean_walk_m": _stats(mean_walk),
        "p95_walk_m": _stats(days.walk_p95),
        "revenue": _per(lots, days.revenue),
        "community_fund": _per(lots, fund),
        "overstays": _per(lots, days.overstays),
        "overstay_space_hours": _per(lots, overstay_hours),
        "resident_conflicts_by_lot": _per(lots, days.resident_conflicts),
        "owner_conflicts_by_lot": _per(lots, days.owner_conflicts),
        "unmet_demand_by_user": _per(model.user_names, days.unmet),
        "requests_by_user": _per(model.user_names, days.arrivals),
        "spaces_saved": _stats(saved),
        "district": {
            "utilization": _stats(days.occ_total.sum(axis=(1, 2)) / (cap.sum() * model.n_slots)),
            "shared_space_hours_offered": _stats(offered.sum(axis=1)),
            "shared_space_hours_used": _stats(used.sum(axis=1)),
            "revenue": _stats(days.revenue.sum(axis=1)),
            "community_fund": _stats(fund.sum(axis=1)),
            "overstays": _stats(days.overstays.sum(axis=1)),
        },
        "resident_conflicts_per_100_days": round(float(conflicts.mean() * 100), 6),
        "days_with_conflict_share": round(float((conflicts > 0).mean()), 6),
    }
    cost = model.scenario.get("cost_per_space")
    if cost is not None:
        result["construction_cost_avoided"] = _stats(saved * float(cost))
    if profiles:
        bands = np.round(np.percentile(days.occ_total, [5, 50, 95], axis=0), 4)  # (3, L, S)
        mean_total = np.round(days.occ_total.mean(axis=0), 4)
        mean_out = np.round(days.occ_out.mean(axis=0), 4)
        result["occupancy_profile"] = {
            lot: {
                "mean": mean_total[j].tolist(),
                "p5": bands[0, j].tolist(),
                "p50": bands[1, j].tolist(),
                "p95": bands[2, j].tolist(),
                "outsiders_mean": mean_out[j].tolist(),
                "capacity": int(model.capacity[j]),
            }
            for j, lot in enumerate(lots)
        }
        result["slot_times"] = [
            format_clock(model.day_start + s * model.slot_minutes) for s in range(model.n_slots)
        ]
    return result


def run_simulation(
    scenario: Mapping[str, Any],
    *,
    seed: int,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]:
    """Simulate a scenario and summarise it (the ``method: simulate`` result).

    With ``compare_allocations: true`` the other allocation runs on the same
    random draws (common random numbers) and ``comparison`` holds both
    summaries without the occupancy profiles.
    """
    model = compile_model(scenario)
    main = model.scenario["allocation"]
    days = simulate_days(model, seed=seed, allocation=main, progress=progress)
    result: dict[str, Any] = {
        "method": "simulate",
        "name": model.scenario.get("name"),
        "allocation": main,
        "seed": int(seed),
        "days": int(days.day_types.size),
        "weekdays": int((days.day_types == 0).sum()),
        "weekend_days": int((days.day_types == 1).sum()),
        "slot_minutes": model.slot_minutes,
        "day_start": format_clock(model.day_start),
        "lots": {
            lot_id: {
                "capacity": int(model.capacity[j]),
                "reserved": int(model.reserved[j]),
                "shared": int(model.shared[j]),
            }
            for j, lot_id in enumerate(model.lot_ids)
        },
        **summarize_days(model, days),
    }
    if model.scenario.get("origin") is not None:
        result["origin"] = model.scenario["origin"]
    if model.scenario["compare_allocations"]:
        other = "booking" if main == "fcfs" else "fcfs"
        alt = simulate_days(model, seed=seed, allocation=other)
        result["comparison"] = {
            main: summarize_days(model, days, profiles=False),
            other: summarize_days(model, alt, profiles=False),
        }
    return result


def erlang_b(servers: int, load: float) -> float:
    """Erlang's loss formula: the share of arrivals (and of time) a full system turns away.

    Parameters
    ----------
    servers : int
        Spaces.
    load : float
        Offered load in Erlangs (arrival rate x mean stay).

    Returns
    -------
    float
        Blocking probability, by the stable recursion ``B(k) = a B(k-1) / (k + a B(k-1))``.
    """
    if servers < 0 or load < 0:
        raise ValueError("servers and load must be >= 0")
    b = 1.0
    for k in range(1, int(servers) + 1):
        b = load * b / (k + load * b)
    return b


def spaces_for_blocking(load: float, target: float) -> int:
    """Fewest spaces whose Erlang-loss blocking is at most ``target`` (e.g. 0.02).

    With Poisson arrivals and any stay distribution (M/G/c/c), the time share a
    lot is full equals the blocking probability (Larson & Odoni, *Urban
    Operations Research*, ch. 4), so this sizes a lot for "a free space 98 % of
    the time" with ``target=0.02``.
    """
    if not 0 < target < 1:
        raise ValueError("target must be between 0 and 1")
    b, k = 1.0, 0
    while b > target:
        k += 1
        b = load * b / (k + load * b)
    return k
