"""``gridmap demo``: the whole pipeline on the embedded district or a real extract.

Writes the files DATA_MODEL.md names: buildings.gpkg (a project with every
layer), grids.geojson, areas.geojson, members.csv, parking.json and report.html.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gridmap import io as gio
from gridmap import settings
from gridmap.pipeline import (
    Progress,
    demo_layers,
    grid_summary,
    make_grids,
    make_members,
    member_summary,
    no_progress,
)

__all__ = ["run", "grid_bounds_for"]


def grid_bounds_for(preset: str, osm: Path | None) -> tuple[int, int]:
    """Grid bounds of a synthetic preset (Luancheng carries its own), else the defaults."""
    if osm is None:
        from gridmap import synth

        bounds = synth.preset_grid_bounds(preset)
        if bounds is not None:
            return bounds
    return settings.DEFAULT_MIN_HOUSEHOLDS, settings.DEFAULT_MAX_HOUSEHOLDS


def _parking(layers: dict[str, gpd.GeoDataFrame], out: Path, seed: int) -> dict[str, Any] | None:
    """Run the preset built from the map's lots; None when the map has no pair of lots."""
    from gridmap import parking
    from gridmap.errors import InputError

    lots = layers.get("lots")
    if lots is None or len(lots) == 0:
        return None
    try:
        scenario = parking.preset_from_layers(
            lots, layers["buildings"], layers.get("compounds"), roads=layers.get("roads")
        )
    except InputError as exc:
        from gridmap.errors import warn
        from gridmap.messages import msg
        from gridmap.messages.values import Rendered

        warn(msg("core.demo_no_parking", reason=Rendered.of(exc.user_message)))
        return None
    result: dict[str, Any] = parking.run_scenario(scenario, seed=seed)
    parking.write_outputs(result, out)
    return result


def run(
    out: Path,
    *,
    osm: Path | None = None,
    seed: int = settings.DEFAULT_SEED,
    n_buildings: int | None = None,
    preset: str = "demo",
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Run the pipeline and write every output into ``out``.

    Parameters
    ----------
    out : Path
        Output folder (created).
    osm : Path, optional
        A real OSM extract instead of the synthetic district.
    seed : int
        Seed of the synthetic district, members and parking simulation.
    n_buildings : int, optional
        Size of the synthetic district.
    preset : str
        Synthetic preset (``demo`` or ``luancheng``).
    progress : callable
        ``progress(stage, fraction)``.

    Returns
    -------
    dict
        Key figures for the summary table.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    progress("数据 data", 0.0)
    layers = demo_layers(osm=osm, seed=seed, n_buildings=n_buildings, preset=preset)
    progress("数据 data", 1.0)
    low, high = grid_bounds_for(preset, osm)
    layers, _partition = make_grids(
        layers, min_households=low, max_households=high, seed=seed, progress=progress
    )
    progress("网格 grids", 1.0)
    layers, members = make_members(layers, seed=seed, progress=progress)
    progress("党员 members", 1.0)
    parking_result = _parking(layers, out, seed)
    progress("停车 parking", 1.0)

    gio.write_project(out / "buildings.gpkg", layers)
    gio.write_geojson(layers["grids"], out / "grids.geojson")
    gio.write_geojson(layers["areas"], out / "areas.geojson")
    gio.write_csv(pd.DataFrame(members.members.drop(columns="geometry")), out / "members.csv")
    gio.write_json(out / "member_tree.json", members.tree)

    buildings = layers["buildings"]
    summary: dict[str, Any] = {
        "data": str(osm) if osm is not None else f"synthetic district '{preset}', seed {seed}",
        "buildings": len(buildings),
        "households": int(buildings["households"].sum()),
        "households estimated": int((buildings["households_source"] == "estimated").sum()),
        **grid_summary(layers["grids"], low, high),
        **member_summary(members),
    }
    if parking_result is not None:
        summary["parking lots simulated"] = len(parking_result.get("peak_occupancy", {}))
        conflicts = parking_result.get("resident_conflicts", {})
        if isinstance(conflicts, dict) and "mean" in conflicts:
            summary["resident conflicts per day (mean)"] = round(float(conflicts["mean"]), 3)
    html = _report_html(out, layers, summary, members, parking_result, low, high)
    gio.write_text(out / "report.html", html)
    summary["written"] = str(out)
    return summary


def _report_html(
    out: Path,
    layers: dict[str, gpd.GeoDataFrame],
    summary: dict[str, Any],
    members: Any,
    parking_result: dict[str, Any] | None,
    low: int,
    high: int,
) -> str:
    from gridmap import report  # matplotlib: loaded only when a report is written

    labels = {
        "data": "数据 data",
        "buildings": "楼栋 buildings",
        "households": "户数 households",
        "households estimated": "估算户数的楼栋 buildings with estimated households",
        "grids": "网格 grids",
        "households per grid (mean)": "网格平均户数 mean households per grid",
        "grids within bounds": "户数在范围内的网格 grids within bounds",
        "members": "党员 members",
        "members synthetic": "示例党员 synthetic members",
        "areas": "党员责任区 member areas",
        "members missing": "缺少党员 members missing",
        "parking lots simulated": "模拟停车场 lots simulated",
        "resident conflicts per day (mean)": "居民无位冲突/日 resident conflicts per day",
    }
    rows = [(labels.get(k, k), str(v)) for k, v in summary.items()]
    grids = layers["grids"].drop(columns="geometry").sort_values("grid_id")
    chart = report.grid_households_chart(layers["grids"], min_households=low, max_households=high)
    tables = [
        (
            "数据来源 Where the numbers come from (tag = map/file, estimated = rule)",
            report.source_counts(layers),
        ),
        ("网格 Grids", pd.DataFrame(grids)),
        ("党员缺口 Member shortfall by grid", members.shortfall),
    ]
    notes = [
        "户数、层数和车位数中标为 estimated 的是按规则估算的 (gridmap/settings.py 写明依据)。"
        " Households, storeys and spaces marked 'estimated' were derived by the rules in settings.py.",
    ]
    if members.synthetic:
        notes.append(
            "党员名单为生成的示例数据，不是真实党员。 The member list is synthetic, not real members."
        )
    charts = [("网格户数分布 Households per grid", chart)]
    if parking_result is not None:
        notes.append("停车结果见 parking.json。 Parking results: parking.json.")
        tables.append(
            ("停车共享（每日均值）Parking sharing, mean per day", parking_table(parking_result))
        )
        origin = parking_result.get("origin", {})
        notes.extend(
            f"停车假设 parking assumption: {_both(a)}" for a in origin.get("assumptions", [])
        )
        png = out / "parking_occupancy.png"
        if png.is_file():  # our own output, written by parking.write_outputs just before
            encoded = base64.b64encode(png.read_bytes()).decode("ascii")
            charts.append(("停车场全天占用 Occupancy over the day", encoded))
    return report.render_report(
        layers,
        title="gridmap 网格化治理报告 Grid governance report",
        summary=rows,
        tables=tables,
        charts=charts,
        notes=notes,
    )


def _both(note: Any) -> str:
    """A note in both languages when it is a catalogue message, else as it is."""
    from gridmap.messages import Msg

    if isinstance(note, Msg):
        return f"{note.line('zh')} {note.line('en')}"
    return str(note)


def parking_table(result: dict[str, Any]) -> pd.DataFrame:
    """One row per lot of a simulation result: size, use, conflicts and income (day means)."""
    rows = []
    for lot_id, lot in sorted(result["lots"].items()):
        rows.append(
            {
                "lot_id": lot_id,
                "capacity": lot["capacity"],
                "reserved": lot["reserved"],
                "shared": lot["shared"],
                "peak_occupancy": round(result["peak_occupancy"][lot_id]["mean"], 1),
                "utilization": round(result["utilization"][lot_id]["mean"], 3),
                "resident_conflicts": round(result["resident_conflicts_by_lot"][lot_id]["mean"], 2),
                "community_fund": round(result["community_fund"][lot_id]["mean"], 1),
            }
        )
    return pd.DataFrame(rows)
