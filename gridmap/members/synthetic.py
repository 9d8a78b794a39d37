"""A synthetic member set for planners who have no member list yet.

Every row is labelled (``member_id`` "SYN-000001", ``is_synthetic`` True) so it
can never be mistaken for real data.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap import settings
from gridmap.errors import InputError
from gridmap.messages import msg

__all__ = ["SYNTHETIC_PREFIX", "synthesize_members"]

SYNTHETIC_PREFIX = "SYN-"


def synthesize_members(
    buildings: gpd.GeoDataFrame,
    *,
    per_100_households: float = settings.SYNTHETIC_MEMBERS_PER_100_HOUSEHOLDS,
    n_members: int | None = None,
    seed: int = settings.DEFAULT_SEED,
) -> gpd.GeoDataFrame:
    """Draw a labelled synthetic member set.

    Homes are drawn with probability proportional to each building's
    households (a multinomial draw), so dense blocks get more members, as real
    member registers do.

    Parameters
    ----------
    buildings : GeoDataFrame
        With ``building_id`` and ``households``; when it has ``grid_id``,
        only buildings in a grid are drawn.
    per_100_households : float, default settings.SYNTHETIC_MEMBERS_PER_100_HOUSEHOLDS
        Members per 100 households (14.6: 2,779 members for 19,000 households).
    n_members : int, optional
        Exact number of members instead of the density.
    seed : int, default settings.DEFAULT_SEED
        Seed of the draw; the same seed gives the same members.

    Returns
    -------
    GeoDataFrame
        ``member_id`` ("SYN-000001", ...), ``building_id`` (home),
        ``is_synthetic`` (True), Point geometry on the home building, in the
        CRS of ``buildings``; sorted by home building id.
    """
    for column in ("building_id", "households"):
        if column not in buildings:
            raise InputError(msg("members.buildings_lack_column", column=column))
    households = pd.to_numeric(buildings["households"], errors="coerce").fillna(0)
    eligible = households > 0
    if "grid_id" in buildings and buildings["grid_id"].notna().any():
        eligible &= buildings["grid_id"].notna()
    pool = buildings.loc[eligible].assign(_hh=households[eligible])
    pool = pool.assign(_key=pool["building_id"].astype(str)).sort_values("_key", kind="stable")
    total = float(pool["_hh"].sum())
    if n_members is None:
        if per_100_households < 0:
            raise InputError(msg("members.synthetic_density_negative", density=per_100_households))
        n_members = int(round(total * per_100_households / 100))
    if n_members < 0:
        raise InputError(msg("members.n_members_negative", n_members=n_members))
    if n_members and total <= 0:
        raise InputError(msg("members.no_households_for_synthetic"))
    rng = np.random.default_rng(seed)
    counts = (
        rng.multinomial(n_members, pool["_hh"].to_numpy() / total)
        if n_members
        else np.zeros(len(pool), dtype=int)
    )
    homes = pool.loc[pool.index.repeat(counts)]
    frame = gpd.GeoDataFrame(
        {
            "member_id": [f"{SYNTHETIC_PREFIX}{i:06d}" for i in range(1, len(homes) + 1)],
            "building_id": homes["_key"].to_numpy(),
            "is_synthetic": np.ones(len(homes), dtype=bool),
        },
        geometry=homes.geometry.representative_point().to_numpy(),
        crs=buildings.crs,
    )
    return frame
