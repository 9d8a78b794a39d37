"""Parking simulation speed: vectorised engine vs a per-car event loop, measured in one run.

District: 50 lots (25 compounds, 25 office lots), 10,000 cars (6,000 residents,
2,500 staff, 1,500 visitors a day), 15-minute slots (96 a day).

- first come, first served, 1,000 days, vectorised (target <= 5 s);
- min-cost-flow booking, 100 days (target <= 10 s);
- the per-car event loop (same rules, same random draws) on a few days, scaled
  to 1,000 days, as the baseline; its results are checked equal to the
  vectorised engine's for the same days and seed.

Run: ``.venv/bin/python benchmarks/parking.py [--days-loop N]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from gridmap.parking import simulate_days, synthetic_district
from gridmap.parking.simulate import compile_model


def _timed(fn, *args, **kwargs):  # noqa: ANN001, ANN202 - a tiny local helper
    """Result, wall-clock seconds and CPU seconds of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1000, help="FCFS days (default 1000)")
    parser.add_argument("--booking-days", type=int, default=100)
    parser.add_argument("--days-loop", type=int, default=10, help="baseline days (scaled)")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()

    scenario = synthetic_district(n_lots=50, n_cars=10_000, days=args.days)
    model = compile_model(scenario)
    simulate_days(model, seed=args.seed, days=5)  # warm-up: imports, caches, allocator

    fcfs, t_fcfs, c_fcfs = _timed(simulate_days, model, seed=args.seed, days=args.days)
    booking, t_book, c_book = _timed(
        simulate_days, model, seed=args.seed, days=args.booking_days, allocation="booking"
    )
    loop, t_loop, c_loop = _timed(
        simulate_days, model, seed=args.seed, days=args.days_loop, engine="loop"
    )

    n = args.days_loop
    check = simulate_days(model, seed=args.seed, days=n)
    same = all(
        np.array_equal(getattr(check, name), getattr(loop, name))
        for name in ("occ_total", "occ_out", "unmet", "owner_conflicts", "overstays", "arrivals")
    )
    requests_per_day = float(fcfs.arrivals.sum(axis=1).mean())
    loop_wall, loop_cpu = t_loop / n, c_loop / n  # per day

    rows = [
        ("FCFS, vectorised", args.days, t_fcfs, c_fcfs, 5.0),
        ("booking (min-cost flow)", args.booking_days, t_book, c_book, 10.0),
        (f"per-car loop ({n} days, scaled)", args.days, loop_wall * args.days,
         loop_cpu * args.days, None),
    ]  # fmt: skip
    registered = sum(b[0].cars for b in model.behaviour)
    visitors = sum(b[0].arrivals_per_day for b in model.behaviour)
    print(
        f"parking benchmark: {model.n_lots} lots, {registered:,} registered cars + "
        f"{visitors:,.0f} visitors/day = {registered + visitors:,.0f} cars, "
        f"{model.n_slots} slots/day, {requests_per_day:,.0f} requests/day after the day's start"
    )
    header = (
        f"{'run':<34} {'days':>5} {'wall s':>8} {'cpu s':>8} {'target':>9} {'met':>4} "
        f"{'speed-up (wall / cpu)':>22}"
    )
    print(header)
    print("-" * len(header))
    for name, days, wall, cpu, target in rows:
        met = "" if target is None else ("yes" if wall <= target else "NO")
        tgt = "" if target is None else f"<= {target:g} s"
        speed = f"{loop_wall * days / wall:,.0f}x / {loop_cpu * days / cpu:,.0f}x"
        print(f"{name:<34} {days:>5} {wall:>8.2f} {cpu:>8.2f} {tgt:>9} {met:>4} {speed:>22}")
    print(
        f"baseline measured on {n} days ({t_loop:.2f} s); results equal to the "
        f"vectorised engine (same seed and days): {'yes' if same else 'NO'}"
    )
    print(
        "speed-up: the per-car loop's time for the same number of days / this run's; booking is "
        "compared with the first-come-first-served loop. cpu s is this process's CPU time "
        f"(other load on the machine inflates wall s; load average {os.getloadavg()[0]:.1f}). "
        "Conflicts/day FCFS "
        f"{fcfs.resident_conflicts.sum(axis=1).mean():.1f}, booking "
        f"{booking.resident_conflicts.sum(axis=1).mean():.1f}; overstays/day FCFS "
        f"{fcfs.overstays.sum(axis=1).mean():.1f}, booking {booking.overstays.sum(axis=1).mean():.1f}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
