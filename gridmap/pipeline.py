"""The end-to-end runs that the command line and the app both call.

Data flows one way: io -> schema checks -> engines -> report / export. Every
function here takes paths or frames, returns a summary dict for display, and
leaves writing to :mod:`gridmap.io` (atomic writes).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gridmap import io as gio
from gridmap import settings
from gridmap.errors import InputError
from gridmap.messages import msg
from gridmap.messages.values import Rendered

__all__ = [
    "Progress",
    "no_progress",
    "OSM_SUFFIXES",
    "load_layers",
    "import_file",
    "make_grids",
    "make_members",
    "run_grids",
    "run_members",
    "run_parking",
    "export_file",
    "demo_layers",
    "grid_summary",
    "member_summary",
    "run_demo",
    "run_city_batch",
    "start_app",
]

Progress = Callable[[str, float], None]
OSM_SUFFIXES = (".osm", ".osm.bz2", ".pbf", ".osm.pbf")


def no_progress(stage: str, fraction: float) -> None:
    """A progress callback that shows nothing."""


def is_osm(path: Path) -> bool:
    """Whether ``path`` names an OSM extract by its suffix."""
    return str(path).lower().endswith(OSM_SUFFIXES)


def load_layers(
    path: Path, *, crs: str | None = None, layer: str | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Read a project GeoPackage, an OSM extract or a foreign file into layers.

    Parameters
    ----------
    path : Path
        Project GeoPackage, OSM file (.osm, .osm.bz2, .pbf) or any supported
        vector file of building footprints.
    crs : str, optional
        CRS of a file that has none (4326, 4490, gcj02, bd09).
    layer : str, optional
        Layer of a foreign multi-layer file.

    Returns
    -------
    dict of str to GeoDataFrame
        At least ``buildings``.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(msg("core.no_such_file", path=path))
    if is_osm(path):
        from gridmap.osm import read_osm

        return read_osm(path)
    if path.suffix.lower() == ".gpkg" and gio.is_project(path):
        layers = gio.read_project(path)
        layers.pop("edit_log", None)
        return {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    return {"buildings": gio.read_buildings(path, layer=layer, crs=crs)}


def import_file(
    src: Path,
    out: Path,
    *,
    crs: str | None = None,
    layer: str | None = None,
    households: Path | None = None,
) -> dict[str, Any]:
    """``gridmap import``: any supported file -> project GeoPackage."""
    layers = load_layers(src, crs=crs, layer=layer)
    summary: dict[str, Any] = {}
    if households is not None:
        buildings, report = gio.join_households(layers["buildings"], households)
        layers["buildings"] = buildings
        summary["register rows matched"] = report["matched"]
        summary["register rows unmatched"] = len(report["unmatched_rows"])
        summary["buildings without a row"] = len(report["buildings_without_row"])
    gio.write_project(out, layers)
    buildings = layers["buildings"]
    summary = {
        "buildings": len(buildings),
        "households": int(buildings["households"].sum()),
        "households estimated": int((buildings["households_source"] == "estimated").sum()),
        **summary,
        "written": str(out),
    }
    return summary


def _grid_bounds(min_households: int | None, max_households: int | None) -> tuple[int, int]:
    low = settings.DEFAULT_MIN_HOUSEHOLDS if min_households is None else min_households
    high = settings.DEFAULT_MAX_HOUSEHOLDS if max_households is None else max_households
    if low < 0 or high <= 0 or low > high:
        raise InputError(msg("core.grid_bounds_impossible", low=low, high=high))
    return low, high


def make_grids(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    min_households: int | None = None,
    max_households: int | None = None,
    n_grids: int | None = None,
    locked: gpd.GeoDataFrame | None = None,
    seed: int = settings.DEFAULT_SEED,
    progress: Progress = no_progress,
    workers: int | None = None,
    exact_time: float = 0.0,
) -> tuple[dict[str, gpd.GeoDataFrame], Any]:
    """Partition the buildings of ``layers``; return new layers and the partition.

    ``workers`` and ``exact_time``: see ``partition_grids``.
    """
    from gridmap.partition import partition_grids

    low, high = _grid_bounds(min_households, max_households)
    communities = layers.get("communities")
    part = partition_grids(
        layers["buildings"],
        min_households=low,
        max_households=high,
        n_grids=n_grids,
        communities=communities if communities is not None and len(communities) else None,
        roads=layers.get("roads"),
        locked=locked,
        seed=seed,
        progress=progress,
        workers=workers,
        exact_time=exact_time,
    )
    new = dict(layers)
    new["buildings"] = part.buildings
    new["grids"] = part.grids
    return new, part


def make_members(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    members: gpd.GeoDataFrame | None = None,
    per_member: int = settings.DEFAULT_HOUSEHOLDS_PER_MEMBER,
    with_names: bool = False,
    model: str = "standard",
    seed: int = settings.DEFAULT_SEED,
    progress: Progress = no_progress,
) -> tuple[dict[str, gpd.GeoDataFrame], Any]:
    """Assign "1+10" member areas; return new layers and the assignment."""
    from gridmap.members import assign_members

    if per_member <= 0:
        raise InputError(msg("core.per_member_not_positive", per_member=per_member))
    result = assign_members(
        layers["buildings"],
        members=members,
        per_member=per_member,
        grids=layers.get("grids"),
        roads=layers.get("roads"),
        model=model,
        seed=seed,
        progress=progress,
        with_names=with_names,
    )
    new = dict(layers)
    new["areas"] = result.areas
    new["members"] = result.members
    return new, result


def _require_grid_ids(layers: Mapping[str, gpd.GeoDataFrame], path: Path) -> None:
    grid_ids = layers["buildings"].get("grid_id")
    if grid_ids is None or grid_ids.isna().all():
        raise InputError(msg("core.no_grid_ids", path=path))


def run_grids(
    buildings: Path,
    out: Path,
    *,
    min_households: int | None = None,
    max_households: int | None = None,
    n_grids: int | None = None,
    communities: Path | None = None,
    locked: Path | None = None,
    seed: int = settings.DEFAULT_SEED,
    progress: Progress = no_progress,
    workers: int | None = None,
    exact_time: float = 0.0,
) -> dict[str, Any]:
    """``gridmap grids``: write DIR/grids.geojson and DIR/buildings.gpkg."""
    low, high = _grid_bounds(min_households, max_households)
    layers = load_layers(buildings)
    if communities is not None:
        layers["communities"] = gio.read_vector(communities)
    locked_frame = gio.read_vector(locked) if locked is not None else None
    new, part = make_grids(
        layers,
        min_households=min_households,
        max_households=max_households,
        n_grids=n_grids,
        locked=locked_frame,
        seed=seed,
        progress=progress,
        workers=workers,
        exact_time=exact_time,
    )
    out.mkdir(parents=True, exist_ok=True)
    gio.write_geojson(new["grids"], out / "grids.geojson")
    gio.write_project(out / "buildings.gpkg", new)
    return {**grid_summary(new["grids"], low, high), "written": str(out)}


def grid_summary(grids: gpd.GeoDataFrame, low: int, high: int) -> dict[str, Any]:
    """Key figures of a partition for the summary table."""
    in_range = grids["households"].between(low, high)
    return {
        "grids": len(grids),
        "households per grid (mean)": round(float(grids["households"].mean()), 1),
        "grids within bounds": f"{int(in_range.sum())}/{len(grids)} ({low}-{high})",
    }


def run_members(
    buildings: Path,
    out: Path,
    *,
    members: Path | None = None,
    per_member: int = settings.DEFAULT_HOUSEHOLDS_PER_MEMBER,
    with_names: bool = False,
    model: str = "standard",
    seed: int = settings.DEFAULT_SEED,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """``gridmap members``: write DIR/areas.geojson, DIR/members.csv and the tree."""
    layers = load_layers(buildings)
    _require_grid_ids(layers, buildings)
    member_frame = gio.read_members(members) if members is not None else None
    new, result = make_members(
        layers,
        members=member_frame,
        per_member=per_member,
        with_names=with_names,
        model=model,
        seed=seed,
        progress=progress,
    )
    out.mkdir(parents=True, exist_ok=True)
    _write_member_outputs(out, result)
    return {**member_summary(result), "written": str(out)}


def _write_member_outputs(out: Path, result: Any) -> None:
    gio.write_geojson(result.areas, out / "areas.geojson")
    gio.write_csv(pd.DataFrame(result.members.drop(columns="geometry")), out / "members.csv")
    gio.write_json(out / "member_tree.json", result.tree)
    gio.write_csv(result.tree_table, out / "member_tree.csv")
    gio.write_csv(result.shortfall, out / "member_shortfall.csv")


def member_summary(result: Any) -> dict[str, Any]:
    shortfall = result.shortfall
    missing = int(shortfall["missing_members"].sum()) if "missing_members" in shortfall else 0
    return {
        "members": len(result.members),
        "members synthetic": "yes (生成的示例党员 synthetic)" if result.synthetic else "no",
        "areas": len(result.areas),
        "members missing": missing,
    }


def run_parking(
    scenario: Path,
    *,
    out: Path | None = None,
    seed: int | None = None,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """``gridmap parking``: run a scenario; write DIR/parking.json and charts when ``out``."""
    from gridmap import parking

    def days_done(done: int, total: int) -> None:
        progress("停车模拟 parking days", done / max(total, 1))

    loaded = parking.load_scenario(scenario)
    result: dict[str, Any] = parking.run_scenario(loaded, seed=seed, progress=days_done)
    if out is not None:
        parking.write_outputs(result, out)
    return result


def export_file(
    src: Path, out: Path, *, fmt: str, crs: str = "4326", layer: str | None = None
) -> dict[str, Any]:
    """``gridmap export``: convert a project layer or file for city systems."""
    warnings_ = gio.export_file(src, out, fmt=fmt, crs=crs, layer=layer)
    return {"format": fmt, "crs": crs, "warnings": len(warnings_), "written": str(out)}


def demo_layers(
    *,
    osm: Path | None = None,
    seed: int = settings.DEFAULT_SEED,
    n_buildings: int | None = None,
    preset: str = "demo",
) -> dict[str, gpd.GeoDataFrame]:
    """The input layers of the demo: the synthetic district, or a real OSM extract."""
    if osm is not None:
        return load_layers(osm)
    from gridmap import synth

    kwargs: dict[str, Any] = {"seed": seed, "preset": preset}
    if n_buildings is not None:
        kwargs["n_buildings"] = n_buildings
    layers = synth.generate_district(**kwargs)
    return {
        k: v
        for k, v in layers.items()
        if k in ("buildings", "compounds", "communities", "roads", "lots")
    }


def run_demo(
    out: Path,
    *,
    osm: Path | None = None,
    seed: int = settings.DEFAULT_SEED,
    n_buildings: int | None = None,
    preset: str = "demo",
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """``gridmap demo``: the whole pipeline; writes the files of DATA_MODEL.md."""
    from gridmap import demo

    return demo.run(
        out, osm=osm, seed=seed, n_buildings=n_buildings, preset=preset, progress=progress
    )


def run_city_batch(
    source: Path | None,
    out: Path,
    *,
    synthetic: int | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    chunk_by: str = "street_id",
    merge: str | None = None,
    min_households: int | None = None,
    max_households: int | None = None,
    per_member: int = settings.DEFAULT_HOUSEHOLDS_PER_MEMBER,
    seed: int = settings.DEFAULT_SEED,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """``gridmap batch``: grids and members per street or community on Dask."""
    from gridmap import batch

    if (source is None) == (synthetic is None):
        raise InputError(msg("core.batch_source_choice"))
    low, high = _grid_bounds(min_households, max_households)
    city: Any = (
        source if synthetic is None else batch.SyntheticCity(n_buildings=synthetic, seed=seed)
    )
    report = batch.run_batch(
        city,
        out,
        scheduler=scheduler,
        n_workers=n_workers,
        chunk_by=chunk_by,
        merge=merge,
        min_households=low,
        max_households=high,
        per_member=per_member,
        seed=seed,
        progress=progress,
    )
    if not report.ok:
        failed = [
            msg(
                "core.batch_failed_chunk",
                chunk=c.chunk_id,
                error=Rendered(en=str(c.error), zh=str(c.error_zh or c.error)),
            )
            for c in report.failed[:5]
        ]
        raise InputError(
            msg(
                "core.batch_chunks_failed",
                failed=len(report.failed),
                total=len(report.chunks),
                chunks=Rendered.join(failed, separators=(", ", "，")),
                out=out,
            )
        )
    summary: dict[str, Any] = report.summary()
    return summary


def start_app(*, port: int = 8501) -> int:
    """``gridmap app``: start Streamlit on app.py next to the package."""
    app = Path(__file__).resolve().parents[1] / "app.py"
    if not app.is_file():
        raise InputError(msg("core.app_missing", app=app))
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port)]
    # Streamlit reads .streamlit/config.toml (static serving of Leaflet) from the working dir.
    return subprocess.call(command, cwd=app.parent)
