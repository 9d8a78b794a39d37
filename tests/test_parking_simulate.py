"""Monte Carlo simulation: invariants, determinism, closed forms, allocation rules."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtri

from gridmap.errors import GridmapWarning
from gridmap.parking import erlang_b, run_scenario, simulate_days, spaces_for_blocking
from gridmap.parking.simulate import INITIAL, RELOCATION, Records, _present, compile_model

TWO_LOTS: dict[str, Any] = {
    "method": "simulate",
    "days": 30,
    "lots": [
        {"lot_id": "compound", "kind": "residential", "capacity": 100, "shared": 25,
         "window": "08:30-17:30", "price_per_hour": 2, "community_share": 1.0, "x": 0, "y": 0},
        {"lot_id": "office", "kind": "office", "capacity": 60, "reserved": 8, "shared": 40,
         "window": "18:00-08:00", "weekend_window": "00:00-24:00", "price_per_month": 150,
         "x": 250, "y": 0},
    ],
    "users": [
        {"name": "residents", "class": "resident", "home_lot": "compound", "cars": 125,
         "stay_home_share": 0.3, "day_correlation": 0.4,
         "leave": {"mean": "07:45", "sd_minutes": 45}, "return": {"mean": "17:45", "sd_minutes": 60}},
        {"name": "staff", "class": "worker", "home_lot": "office", "cars": 75,
         "arrive": {"mean": "08:30", "sd_minutes": 20}, "depart": {"mean": "17:50", "sd_minutes": 40},
         "weekend": {"cars": 10}},
        {"name": "shoppers", "class": "visitor", "x": 100, "y": 50, "arrivals_per_day": 90,
         "arrive": {"histogram": [0] * 6 + [1, 2, 4, 6, 8, 8, 8, 8, 8, 8, 8, 8, 6, 4, 2, 1, 0, 0]},
         "dwell": {"mean_minutes": 120, "sd_minutes": 90}},
    ],
}  # fmt: skip


def _records(days: Any) -> Records:
    return Records.concat(days.records)


@pytest.fixture(scope="module", params=["fcfs", "booking"])
def run(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    model = compile_model(TWO_LOTS)
    return model, simulate_days(model, seed=11, allocation=request.param, keep_records=True)


def test_conservation_every_slot(run: tuple[Any, Any]):
    model, days = run
    rec = _records(days)
    n_days, n_lots, n_slots = days.occ_total.shape
    placed = rec.lot >= 0
    cell_in = (rec.day[placed] * n_lots + rec.lot[placed]) * n_slots + rec.arr[placed]
    gone = placed & (rec.actual < n_slots)
    cell_out = (rec.day[gone] * n_lots + rec.lot[gone]) * n_slots + rec.actual[gone]
    size = n_days * n_lots * n_slots
    cars_in = np.bincount(cell_in, minlength=size).reshape(n_days, n_lots, n_slots)
    cars_out = np.bincount(cell_out, minlength=size).reshape(n_days, n_lots, n_slots)
    # Cars in = cars out + change in cars parked, in every slot of every lot and day.
    parked_before = np.concatenate(
        [np.zeros((n_days, n_lots, 1), int), days.occ_total[:, :, :-1]], 2
    )
    assert np.array_equal(days.occ_total, parked_before + cars_in - cars_out)
    assert cars_in.sum() > 1000 and cars_out.sum() > 1000
    # Outsiders are conserved too.
    home = model.home[rec.group]
    out_in = placed & (rec.lot != home)
    out_gone = out_in & (rec.actual < n_slots)
    o_in = np.bincount(
        (rec.day[out_in] * n_lots + rec.lot[out_in]) * n_slots + rec.arr[out_in], minlength=size
    ).reshape(n_days, n_lots, n_slots)
    o_out = np.bincount(
        (rec.day[out_gone] * n_lots + rec.lot[out_gone]) * n_slots + rec.actual[out_gone],
        minlength=size,
    ).reshape(n_days, n_lots, n_slots)
    out_before = np.concatenate([np.zeros((n_days, n_lots, 1), int), days.occ_out[:, :, :-1]], 2)
    assert np.array_equal(days.occ_out, out_before + o_in - o_out)
    # Every request ends in exactly one place: parked (with a later departure) or unmet.
    assert np.all(rec.actual[placed] > rec.arr[placed])
    assert np.all(rec.actual[~placed] == -1)


def test_capacity_and_reserve_hold(run: tuple[Any, Any]):
    model, days = run
    cap = model.capacity[None, :, None]
    assert days.occ_total.max() > 0
    assert np.all(days.occ_total <= cap)
    assert np.all(days.occ_out <= days.occ_total)
    # Outsiders never use reserved spaces: at most capacity - reserved (= shared here at most).
    assert np.all(days.occ_out <= model.shared[None, :, None])
    assert np.all(days.occ_out <= (model.capacity - model.reserved)[None, :, None])
    assert np.any(days.occ_out == model.shared[None, :, None])  # the bound binds somewhere


def test_outsiders_park_only_in_open_windows(run: tuple[Any, Any]):
    model, days = run
    rec = _records(days)
    outsider = (rec.lot >= 0) & (rec.lot != model.home[rec.group])
    day_type = days.day_types[rec.day[outsider]]
    assert np.all(model.open_[day_type, rec.lot[outsider], rec.arr[outsider]])


def test_booking_stays_end_in_the_window():
    model = compile_model(TWO_LOTS)
    fcfs = simulate_days(model, seed=5, allocation="fcfs", keep_records=True)
    booking = simulate_days(model, seed=5, allocation="booking", keep_records=True)
    assert fcfs.overstays.sum() > 0
    assert booking.overstays.sum() == 0
    rec = _records(booking)
    outsider = (rec.lot >= 0) & (rec.lot != model.home[rec.group]) & (rec.kind != INITIAL)
    limit = model.fit_limit[booking.day_types[rec.day], np.maximum(rec.lot, 0), rec.arr]
    assert np.all(rec.actual[outsider] <= limit[outsider])

    # Same demand (common random numbers), different rule.
    def requests(days: Any) -> np.ndarray:
        r = _records(days)
        first = r.kind != RELOCATION
        return np.bincount(r.day[first] * 3 + r.group[first], minlength=90)

    assert np.array_equal(requests(fcfs), requests(booking))


def test_booking_minimises_walking_and_unmet():
    # One space at A. "near" cars could also walk to B; "far" cars only reach A.
    # Served in random order, a "near" car often takes A and a "far" car goes unmet;
    # the min-cost flow sends the near car to B and the far car to A.
    sc = {
        "method": "simulate",
        "days": 60,
        "day_start": "00:00",
        "lots": [
            {"lot_id": "A", "kind": "public", "capacity": 1, "shared": 1,
             "window": "00:00-24:00", "x": 0, "y": 0},
            {"lot_id": "B", "kind": "public", "capacity": 1, "shared": 1,
             "window": "00:00-24:00", "x": 300, "y": 0},
        ],
        "users": [
            {"name": "near", "class": "worker", "cars": 1, "no_show": 0, "x": 150, "y": 0,
             "arrive": {"mean": "09:05", "sd_minutes": 0}, "depart": {"mean": "17:00", "sd_minutes": 0}},
            {"name": "far", "class": "worker", "cars": 1, "no_show": 0, "x": -200, "y": 0,
             "arrive": {"mean": "09:05", "sd_minutes": 0}, "depart": {"mean": "17:00", "sd_minutes": 0}},
        ],
    }  # fmt: skip
    model = compile_model(sc)
    assert model.candidates[1].tolist() == [0, -1]  # B is beyond the walking limit for "far"
    fcfs = simulate_days(model, seed=2, allocation="fcfs")
    booking = simulate_days(model, seed=2, allocation="booking")
    assert fcfs.unmet.sum() > 10
    assert booking.unmet.sum() == 0
    # 150 m x 1.3 detour each way for the near car at B, 260 m for the far car at A.
    assert np.allclose(booking.walk_sum, 195 + 260)


def test_vectorised_engine_equals_per_car_loop():
    model = compile_model(TWO_LOTS)
    a = simulate_days(model, seed=3, days=12)
    b = simulate_days(model, seed=3, days=12, engine="loop")
    for name in ("occ_total", "occ_out", "unmet", "owner_conflicts", "resident_conflicts",
                 "overstays", "walk_count", "arrivals"):  # fmt: skip
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.allclose(a.revenue, b.revenue) and np.allclose(a.walk_sum, b.walk_sum)
    assert np.array_equal(a.walk_p95, b.walk_p95, equal_nan=True)
    assert a.resident_conflicts.sum() > 0 and a.overstays.sum() > 0


def test_determinism_by_seed():
    first = run_scenario(TWO_LOTS, seed=7)
    again = run_scenario(copy.deepcopy(TWO_LOTS), seed=7)
    other = run_scenario(TWO_LOTS, seed=8)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert first["utilization"] != other["utilization"]
    # The vectorised engine and the reference loop agree draw for draw (tested below);
    # a compiled model gives the same arrays run after run.
    model = compile_model(TWO_LOTS)
    a, b = simulate_days(model, seed=7, days=5), simulate_days(model, seed=7, days=5)
    assert np.array_equal(a.occ_total, b.occ_total) and np.array_equal(a.unmet, b.unmet)


def test_result_keys_and_json():
    result = run_scenario(TWO_LOTS | {"compare_allocations": True}, seed=1)
    json.dumps(result, allow_nan=False)
    stat = {"mean", "p5", "p50", "p95"}
    for key in ("peak_occupancy", "utilization", "shared_space_hours_offered",
                "shared_space_hours_used", "revenue", "community_fund", "overstays"):  # fmt: skip
        assert set(result[key]) == {"compound", "office"}
        assert set(result[key]["office"]) == stat
    for key in ("unmet_demand", "resident_conflicts", "mean_walk_m", "p95_walk_m", "spaces_saved"):
        assert set(result[key]) == stat
    assert result["shared_space_hours_offered"]["compound"]["mean"] == 25 * 9
    assert result["community_fund"]["compound"] == result["revenue"]["compound"]
    assert result["community_fund"]["office"]["mean"] == 0
    assert len(result["occupancy_profile"]["office"]["p50"]) == 96
    assert set(result["comparison"]) == {"fcfs", "booking"}
    assert result["comparison"]["booking"]["district"]["overstays"]["mean"] == 0


def test_binomial_occupancy_closed_form():
    # Independent cars, each home at noon with probability 0.3: Binomial(200, 0.3) per day.
    n, q, days = 200, 0.3, 400
    sc = {
        "method": "simulate",
        "days": days,
        "lots": [{"lot_id": "lot", "capacity": 1000}],
        "users": [
            {"name": "r", "class": "resident", "home_lot": "lot", "cars": n, "stay_home_share": q,
             "leave": {"mean": "07:00", "sd_minutes": 0}, "return": {"mean": "20:00", "sd_minutes": 0}},
        ],
    }  # fmt: skip
    out = simulate_days(compile_model(sc), seed=2024)
    noon = out.occ_total[:, 0, (12 - 4) * 4]
    assert abs(noon.mean() - n * q) < 4 * math.sqrt(n * q * (1 - q) / days)
    assert noon.var(ddof=1) == pytest.approx(n * q * (1 - q), rel=0.3)
    # Goodness of fit against the binomial pmf (bins with small expectations pooled).
    values = np.arange(n + 1)
    expected = stats.binom.pmf(values, n, q) * days
    edges = [0, 50, 54, 57, 60, 63, 66, 70, n + 1]
    obs = [np.sum((noon >= a) & (noon < b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    exp = [expected[a:b].sum() for a, b in zip(edges[:-1], edges[1:], strict=True)]
    exp = np.asarray(exp) * days / np.sum(exp)
    assert stats.chisquare(obs, exp).pvalue > 0.001
    # Everybody is home at night; the simulation starts full.
    assert np.all(out.occ_total[:, 0, 0] == n)


def test_day_to_day_correlation_of_going_out():
    rho, share = 0.6, 0.7
    rng = np.random.default_rng(9)
    z = rng.standard_normal(4000)
    days = _present(rng, z, rho, share, 2)
    thr = ndtri(share)
    both = stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([thr, thr])
    expected = (both - share**2) / (share * (1 - share))
    observed = np.corrcoef(days[0], days[1])[0, 1]
    assert days.mean() == pytest.approx(share, abs=0.02)
    assert observed == pytest.approx(expected, abs=0.05)
    assert expected > 0.3


def test_erlang_loss_sanity():
    # M/G/c/c: Poisson arrivals (40/h, flat over the day), exponential stays of 2 h: 80 Erlangs.
    c, load = 80, 80.0
    sc = {
        "method": "simulate",
        "days": 40,
        "slot_minutes": 5,
        "day_start": "00:00",
        "lots": [{"lot_id": "garage", "kind": "public", "capacity": c}],
        "users": [
            {"name": "v", "class": "visitor", "home_lot": "garage", "arrivals_per_day": 960,
             "arrive": {"histogram": [1] * 24}, "dwell": {"mean_minutes": 120}},
        ],
    }  # fmt: skip
    out = simulate_days(compile_model(sc), seed=4, keep_records=True)
    rec = _records(out)
    steady = (rec.arr >= 8 * 12) & (rec.kind != INITIAL)  # after an 8-hour warm-up
    blocked = float(np.mean(rec.lot[steady] < 0))
    assert blocked == pytest.approx(erlang_b(c, load), rel=0.2)


def test_erlang_b_and_larson_odoni_garage():
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    # Erlang B = P(X = c) / P(X <= c) for X ~ Poisson(load): an independent check.
    load = 2500 * 30 / 24  # Larson & Odoni problem 4.7: 2,500 cars/day staying 30 h on average
    c = spaces_for_blocking(load, 0.02)
    poisson = stats.poisson(load)
    assert poisson.pmf(c) / poisson.cdf(c) <= 0.02 < poisson.pmf(c - 1) / poisson.cdf(c - 1)
    assert erlang_b(c, load) == pytest.approx(poisson.pmf(c) / poisson.cdf(c), rel=1e-6)
    # Turned-away cars leave, so fewer spaces than the mean load suffice.
    assert load - 100 < c < load


def test_booking_on_a_district_keeps_capacity():
    from gridmap.parking import synthetic_district

    model = compile_model(synthetic_district(n_lots=50, n_cars=10_000, days=20))
    assert model.candidates.shape[1] > 16  # wide admissible sets: packed class codes
    booking = simulate_days(model, seed=1, allocation="booking")
    fcfs = simulate_days(model, seed=1, allocation="fcfs")
    assert np.all(booking.occ_total <= model.capacity[None, :, None])
    assert np.all(booking.occ_out <= model.shared[None, :, None])
    assert booking.overstays.sum() == 0
    assert booking.resident_conflicts.sum() <= fcfs.resident_conflicts.sum()
    assert booking.unmet.sum() <= fcfs.unmet.sum()


def test_lon_lat_positions_weekend_closure_progress_and_seed():
    sc = copy.deepcopy(TWO_LOTS)
    for item in sc["lots"] + sc["users"]:
        for key in ("x", "y"):
            item.pop(key, None)
    sc["lots"][0] |= {"lon": 116.3500, "lat": 39.9900}
    sc["lots"][1] |= {"lon": 116.3535, "lat": 39.9900, "weekend_window": None}
    sc["users"][2] |= {"lon": 116.3510, "lat": 39.9905}
    model = compile_model(sc)
    # 0.0035 degrees of longitude at 39.99 N is about 298.6 m; x 1.3 detour.
    assert model.dist[0, 1] == pytest.approx(298.6 * 1.3, rel=0.01)
    calls: list[tuple[int, int]] = []
    result = run_scenario(sc | {"seed": 3}, seed=None, progress=lambda d, n: calls.append((d, n)))
    assert calls == [(30, 30)]
    assert result["seed"] == 3 and run_scenario(sc, seed=4)["seed"] == 4
    days = simulate_days(model, seed=3)
    weekend = days.day_types == 1
    assert weekend.any() and days.occ_out[weekend, 1].max() == 0  # closed to outsiders
    assert days.occ_out[~weekend, 1].max() > 0


def test_unreachable_user_warns():
    sc = copy.deepcopy(TWO_LOTS)
    del sc["users"][2]["x"], sc["users"][2]["y"]
    with pytest.warns(
        GridmapWarning, match=r"users\[2\] \(shoppers\): no home_lot and no distance"
    ):
        model = compile_model(sc)
    assert simulate_days(model, seed=1, days=3).unmet[:, 2].sum() > 0
