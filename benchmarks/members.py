""" "1+10" assignment at street scale: 100,000 households, 10,000 members.

Times :func:`gridmap.members.assign_members` end to end (input checks, blocks,
min-cost flow per grid, member shares, area polygons, tree, shortfall, output
in EPSG:4326) and compares the solution with a greedy nearest-member
baseline measured in the same run on the same blocks and homes: each block,
in building order, goes to the nearest member of its grid with capacity left.

Run: ``.venv/bin/python benchmarks/members.py [--households 100000] [--members 10000]``.
The target is <= 5 s end to end on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2
from scipy.spatial import cKDTree

from gridmap import settings
from gridmap.members import assign_members, split_households, synthesize_members


def grid_by_kmeans(buildings: gpd.GeoDataFrame, *, per_grid: int, seed: int) -> pd.Series:
    """grid_id by k-means of building centres inside each community (about per_grid households).

    Stands in for the partition engine so the benchmark measures members only.
    """
    metric = buildings.to_crs(buildings.estimate_utm_crs())
    centre = np.column_stack([metric.centroid.x, metric.centroid.y])
    grid = np.empty(len(buildings), dtype=object)
    for community, idx in metric.groupby("community_id", sort=True).indices.items():
        lived = idx[metric["households"].to_numpy()[idx] > 0]
        k = max(1, round(int(metric["households"].to_numpy()[idx].sum()) / per_grid))
        k = min(k, len(lived)) if len(lived) else 1
        points = centre[lived] if len(lived) else centre[idx]
        centres, _ = kmeans2(points, k, seed=seed, minit="++")
        _, nearest = cKDTree(centres).query(centre[idx])
        grid[idx] = [f"{community}{c:03d}" for c in nearest]
    return pd.Series(grid, index=buildings.index, name="grid_id")


def make_district(households: int, *, seed: int) -> dict[str, gpd.GeoDataFrame]:
    """gridmap.synth's district with about ``households`` households, gridded by k-means."""
    from gridmap.synth import generate_district

    n_buildings = 500
    for _ in range(4):  # households per building depend on the district's size
        layers = generate_district(n_buildings=n_buildings, seed=seed)
        total = int(layers["buildings"]["households"].sum())
        if abs(total - households) <= 0.02 * households:
            break
        n_buildings = max(10, round(n_buildings * households / max(total, 1)))
    buildings = layers["buildings"].copy()
    buildings["grid_id"] = grid_by_kmeans(buildings, per_grid=400, seed=seed)
    return {**layers, "buildings": buildings}


def greedy(buildings: gpd.GeoDataFrame, members: pd.DataFrame, per_member: int) -> dict[str, float]:
    """Nearest member with capacity left, block by block in building order, same grid."""
    b = buildings.to_crs(buildings.estimate_utm_crs())
    work = b[(b["households"] > 0) & b["grid_id"].notna()].sort_values("building_id")
    blocks = split_households(work, per_member=per_member)
    home = b.set_index("building_id").representative_point()
    m = members.assign(
        x=home.loc[members["building_id"]].x.to_numpy(),
        y=home.loc[members["building_id"]].y.to_numpy(),
        grid_id=b.set_index("building_id").loc[members["building_id"], "grid_id"].to_numpy(),
    )
    total = 0.0
    worst = 0.0
    uncovered = 0
    for gid, part in blocks.groupby("grid_id", sort=True):
        mm = m[m["grid_id"] == gid]
        left = np.full(len(mm), per_member, dtype=np.int64)
        mxy = mm[["x", "y"]].to_numpy()
        for x, y, hh in zip(part["x"], part["y"], part["households"], strict=True):
            if len(mm) == 0:
                uncovered += int(hh)
                continue
            d = np.hypot(mxy[:, 0] - x, mxy[:, 1] - y) * settings.DETOUR_FACTOR
            need = int(hh)
            for idx in np.argsort(d, kind="stable"):
                if need == 0:
                    break
                take = min(need, int(left[idx]))
                if take:
                    left[idx] -= take
                    need -= take
                    total += take * d[idx]
                    worst = max(worst, float(d[idx]))
            uncovered += need
    return {"total_walk_km": total / 1000, "max_walk_m": worst, "uncovered": uncovered}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--per-member", type=int, default=settings.DEFAULT_HOUSEHOLDS_PER_MEMBER)
    parser.add_argument("--seed", type=int, default=settings.DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    layers = make_district(args.households, seed=args.seed)
    buildings = layers["buildings"]
    syn = synthesize_members(buildings, n_members=args.members, seed=args.seed)
    members = pd.DataFrame(
        {"member_id": [f"M{i:06d}" for i in range(len(syn))], "building_id": syn["building_id"]}
    )
    print(
        f"{len(buildings):,} buildings, {int(buildings['households'].sum()):,} households, "
        f"{len(members):,} members, {buildings['grid_id'].nunique()} grids"
    )
    times = []
    result = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = assign_members(buildings, members=members, per_member=args.per_member)
        times.append(time.perf_counter() - start)
    assert result is not None
    start = time.perf_counter()
    base = greedy(buildings, members, args.per_member)
    greedy_s = time.perf_counter() - start
    stats = result.stats
    table = pd.DataFrame(
        [
            {
                "method": "min-cost flow (gridmap)",
                "seconds": round(min(times), 2),
                "total_walk_km": round(stats["total_walk_m"] / 1000, 1),
                "mean_walk_m": round(stats["total_walk_m"] / max(stats["covered"], 1), 1),
                "max_walk_m": round(stats["max_walk_m"], 1),
                "uncovered": stats["uncovered"],
            },
            {
                "method": "greedy nearest member",
                "seconds": round(greedy_s, 2),
                "total_walk_km": round(base["total_walk_km"], 1),
                "mean_walk_m": round(
                    base["total_walk_km"]
                    * 1000
                    / max(int(buildings["households"].sum()) - base["uncovered"], 1),
                    1,
                ),
                "max_walk_m": round(base["max_walk_m"], 1),
                "uncovered": base["uncovered"],
            },
        ]
    )
    print(table.to_string(index=False))
    print(f"end-to-end runs: {', '.join(f'{t:.2f}' for t in times)} s; stages of the last run:")
    print(pd.Series(stats["timings_s"]).to_string())
    print(
        f"areas {stats['areas']:,}, blocks {stats['blocks']:,}, homes {stats['homes']:,}, "
        f"flow problems {stats['problems']}, arcs {stats['arcs']:,}"
    )
    print(
        result.tree_table[["level", "name_zh", "count", "mean_households"]].to_string(index=False)
    )


if __name__ == "__main__":
    main()
