"""Synthetic Chinese-style districts: the embedded demo data of gridmap.

:func:`generate_district` builds a district from a seed, with no file and no
network: streets (街道) tiled by communities (社区), a grid of primary,
secondary, residential and service roads, walled compounds (小区) of 6-33
storey slabs in rows, rows of old one-building compounds (老旧小区), shops,
offices and public buildings along the main roads, and parking lots. Every
layer is a GeoDataFrame in EPSG:4326 whose columns follow DATA_MODEL.md.

The same arguments give the same tables, ids and geometries (byte for byte);
another seed gives another district. Sizes run from a hundred to a million
buildings; :func:`iter_district_chunks` streams a large city street by street
in bounded memory.

Households are whole flats: levels x units (entrances) x 2 flats per floor,
given with ``households_source='tag'`` ("given by the data source"), as a
street office's register would give them. Presets with a household total
(``luancheng``) spread the last few households of each community over its
dwellings so the totals are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap import settings
from gridmap.errors import InputError
from gridmap.messages import msg
from gridmap.synth import _blocks, _district

__all__ = [
    "LAYERS",
    "PRESETS",
    "Preset",
    "DEFAULT_ORIGIN",
    "generate_district",
    "iter_district_chunks",
    "preset_grid_bounds",
]

LAYERS = ("streets", "communities", "roads", "compounds", "buildings", "lots")
# Near Shijiazhuang (石家庄), Hebei: lon, lat.
DEFAULT_ORIGIN = (114.66, 37.89)
MIN_BUILDINGS = 10
MAX_BUILDINGS = 2_000_000
# Columns holding text (pandas string dtype); grid_id stays object (all None).
_TEXT = {
    "street_id", "community_id", "compound_id", "building_id", "lot_id", "road_id", "owner_id",
    "name", "kind", "use", "highway", "households_source", "levels_source",
}  # fmt: skip


@dataclass(frozen=True)
class Preset:
    """A named district.

    Parameters
    ----------
    name : str
        Preset name.
    description : str
        One line for people.
    n_buildings : int or None
        Default size in buildings; None when the preset is set by households.
    households : int or None
        Exact household total, or None.
    n_streets, n_communities : int or None
        Fixed numbers of streets and communities, or None to derive them from
        the size (about 100 buildings per community, up to 15 communities per
        street).
    grid_bounds : tuple of int or None
        Households per grid (min, max) the preset is planned with, or None
        for the defaults of :mod:`gridmap.settings`.
    mix : str
        Building stock: ``city`` (urban district) or ``county`` (county town).
    """

    name: str
    description: str
    n_buildings: int | None
    households: int | None
    n_streets: int | None
    n_communities: int | None
    grid_bounds: tuple[int, int] | None
    mix: str


PRESETS: dict[str, Preset] = {
    "demo": Preset(
        name="demo",
        description=(
            "the embedded demo: one street of an urban district, 1,500 buildings in "
            "15 communities of about 2,000-9,000 households (about 70,000 in all), "
            "grids of 300-500 households"
        ),
        n_buildings=1500,
        households=None,
        n_streets=None,
        n_communities=None,
        grid_bounds=None,
        mix="city",
    ),
    "luancheng": Preset(
        name="luancheng",
        description=(
            "the scale of Luancheng district, Shijiazhuang (栾城区): 19 communities, "
            "16,418 households, divided into about 131 grids of 100-150 households"
        ),
        n_buildings=None,
        households=16_418,
        n_streets=1,
        n_communities=19,
        grid_bounds=(100, 150),
        mix="county",
    ),
}


def preset_grid_bounds(preset: str | None) -> tuple[int, int] | None:
    """Households per grid (min, max) a preset carries, or None for the defaults.

    Parameters
    ----------
    preset : str or None
        A key of :data:`PRESETS`.

    Returns
    -------
    tuple of int or None
        ``(100, 150)`` for ``luancheng``; None for ``demo`` (use
        ``settings.DEFAULT_MIN_HOUSEHOLDS`` / ``DEFAULT_MAX_HOUSEHOLDS``).
    """
    return _preset(preset).grid_bounds if preset is not None else None


def _preset(name: str | None) -> Preset:
    if name is None:
        return PRESETS["demo"]
    if name not in PRESETS:
        raise InputError(msg("core.synth_unknown_preset", name=name, names=", ".join(PRESETS)))
    return PRESETS[name]


def _plan(
    n_buildings: int | None, seed: int | None, preset: str | None, origin: tuple[float, float]
) -> _district.Plan:
    spec = _preset(preset)
    seed = settings.DEFAULT_SEED if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(msg("core.synth_bad_seed", seed=seed))
    if spec.households is not None and n_buildings is not None:
        raise InputError(
            msg(
                "core.synth_fixed_preset",
                name=spec.name,
                households=spec.households,
                n_buildings=n_buildings,
            )
        )
    if spec.households is None:
        n = spec.n_buildings if n_buildings is None else n_buildings
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise InputError(msg("core.synth_n_not_whole", n=n))
        if not MIN_BUILDINGS <= n <= MAX_BUILDINGS:
            raise InputError(
                msg("core.synth_n_out_of_range", n=n, low=MIN_BUILDINGS, high=MAX_BUILDINGS)
            )
        n_buildings = int(n)
    try:
        lon, lat = (float(v) for v in origin)
    except (TypeError, ValueError):
        raise InputError(msg("core.synth_bad_origin", origin=origin)) from None
    if not (-180.0 <= lon <= 180.0 and -80.0 <= lat <= 84.0):
        raise InputError(msg("core.synth_origin_outside", lon=lon, lat=lat))
    return _district.make_plan(
        seed=int(seed),
        mix=_blocks.MIXES[spec.mix],
        n_buildings=n_buildings,
        households=spec.households,
        n_streets=spec.n_streets,
        n_communities=spec.n_communities,
        origin=(lon, lat),
    )


def _frames(raw: _district.RawChunk) -> dict[str, gpd.GeoDataFrame]:
    frames = {}
    for layer in LAYERS:
        cols = raw[layer]
        data: dict[str, object] = {}
        for name in _district.LAYER_COLUMNS[layer]:
            values = cols[name]
            if name in _TEXT:
                data[name] = pd.array(values, dtype="str")
            elif name == "grid_id":
                data[name] = pd.Series(values, dtype=object)
            else:
                data[name] = values
        frames[layer] = gpd.GeoDataFrame(data, geometry=cols["geometry"], crs="EPSG:4326")
    return frames


def iter_district_chunks(
    *,
    n_buildings: int | None = None,
    seed: int | None = None,
    preset: str | None = None,
    origin: tuple[float, float] = DEFAULT_ORIGIN,
) -> Iterator[dict[str, gpd.GeoDataFrame]]:
    """Yield the district street by street, for cities too large for one frame.

    Parameters
    ----------
    n_buildings, seed, preset, origin
        As for :func:`generate_district`.

    Yields
    ------
    dict of str to GeoDataFrame
        The layers of one street (:data:`LAYERS`), in street order. Ids run on
        across chunks (no two chunks share an id) and the chunks together are
        exactly :func:`generate_district` with the same arguments.
    """
    plan = _plan(n_buildings, seed, preset, origin)
    for raw in _district.iter_raw_streets(plan):
        yield _frames(raw)


def generate_district(
    *,
    n_buildings: int | None = None,
    seed: int | None = None,
    preset: str | None = None,
    origin: tuple[float, float] = DEFAULT_ORIGIN,
) -> dict[str, gpd.GeoDataFrame]:
    """Generate a synthetic Chinese district.

    Parameters
    ----------
    n_buildings : int, optional
        Number of buildings (10 to 2,000,000; met exactly). Default: the
        preset's size (1,500 for ``demo``). Not allowed with ``luancheng``,
        which is fixed by its household total.
    seed : int, optional
        Random seed; default ``settings.DEFAULT_SEED``.
    preset : str, optional
        A key of :data:`PRESETS`; default ``demo``.
    origin : tuple of float
        (lon, lat) of the district's centre; computation happens in its UTM zone.

    Returns
    -------
    dict of str to GeoDataFrame
        In EPSG:4326:

        - ``streets``: street_id (``001``), name (``青园街道``), households.
        - ``communities``: community_id (street code + 3 digits, ``001003``),
          name (``育才社区``), street_id, households, n_buildings; they tile
          their street.
        - ``roads``: road_id, highway (primary, secondary, residential,
          service), name (``建设北大街``; None for service lanes), street_id;
          LineStrings noded at junctions.
        - ``compounds``: compound_id, name (unique), households (sum of its
          buildings), parking_spaces, kind (``walled`` or ``single_building``),
          community_id, street_id, n_buildings.
        - ``buildings``: the DATA_MODEL.md columns (building_id ``B000123``,
          use, levels, households, households_source ``tag``, compound_id or
          None, grid_id None) plus name, community_id, street_id, units
          (entrances; 0 when not residential), levels_source, footprint_m2.
          Ids (``B``, and ``C``, ``P``, ``R`` for compounds, lots, roads)
          have six digits, seven from about 660,000 buildings on.
        - ``lots``: lot_id, kind, owner_id (compound_id or building_id),
          capacity, reserved (sold or leased spaces, never shared), name,
          community_id, street_id.

    Raises
    ------
    InputError
        Unknown preset, size out of range, bad seed or origin.
    """
    plan = _plan(n_buildings, seed, preset, origin)
    parts: dict[str, list[dict[str, np.ndarray]]] = {layer: [] for layer in LAYERS}
    for raw in _district.iter_raw_streets(plan):
        for layer in LAYERS:
            parts[layer].append(raw[layer])
    merged = {
        layer: {k: np.concatenate([p[k] for p in chunks]) for k in chunks[0]}
        for layer, chunks in parts.items()
    }
    return _frames(merged)
