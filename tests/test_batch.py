"""City-scale batch on Dask: chunks, failures, reruns, determinism, loopback only."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import pytest_socket
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import box

from gridmap import batch, settings
from gridmap.cli import main
from gridmap.errors import GridmapWarning, InputError

pytest.importorskip("gridmap.partition")
pytest.importorskip("gridmap.members")

BOUNDS = {"min_households": 150, "max_households": 250}
STREETS = ("S1", "S2", "S3")


def make_city(
    streets: tuple[str, ...] = STREETS, *, per_community: int = 16, bad: str | None = None
) -> gpd.GeoDataFrame:
    """A small city: streets 3 km apart, two communities each, compounds of 4 slabs.

    Buildings are 24 x 12 m slabs of 22 or 28 households on a 60 x 40 m lattice in
    UTM 50N (Beijing), returned in EPSG:4326: compounds of 100 households, so grids
    of 150-250 households take two compounds each and no grid is out of range. ``bad`` names a street whose buildings get an
    impossible use, to make that chunk fail.
    """
    rows = []
    for s, street in enumerate(streets):
        for c in range(2):
            community = f"{street}-C{c + 1}"
            for b in range(per_community):
                x0 = 440_000 + s * 3_000 + c * 500 + (b % 4) * 60
                y0 = 4_420_000 + (b // 4) * 40
                rows.append(
                    {
                        "building_id": f"{community}-B{b + 1:03d}",
                        "use": "bogus" if street == bad else "residential",
                        "levels": 6,
                        "households": 22 + (b + c + s) % 2 * 6,
                        "households_source": "tag",
                        "compound_id": f"{community}-K{b // 4 + 1}",
                        "grid_id": None,
                        "street_id": street,
                        "community_id": community,
                        "geometry": box(x0, y0, x0 + 24, y0 + 12),
                    }
                )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=32650).to_crs(4326)
    frame["grid_id"] = frame["grid_id"].astype(object)
    return frame


def write_city(path: Path, **kwargs: object) -> Path:
    make_city(**kwargs).to_parquet(path, index=False)  # type: ignore[arg-type]
    return path


def read_layer(report: batch.BatchReport, layer: str) -> gpd.GeoDataFrame:
    frames = [
        batch.read_chunk_layer(report.out_dir, c.chunk_id, layer).assign(chunk=c.chunk_id)
        for c in report.chunks
        if c.status != "failed"
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_city(tmp_path_factory.mktemp("city") / "city.parquet")


PROGRESS: list[tuple[str, float]] = []


@pytest.fixture(scope="module")
def finished(city: Path, tmp_path_factory: pytest.TempPathFactory) -> batch.BatchReport:
    out = tmp_path_factory.mktemp("out")
    return batch.run_batch(
        city,
        out,
        n_workers=2,
        processes=False,
        merge="parquet",
        progress=lambda stage, fraction: PROGRESS.append((stage, fraction)),
        **BOUNDS,
    )


def test_every_building_assigned_once_and_no_grid_crosses_a_chunk(
    city: Path, finished: batch.BatchReport
) -> None:
    assert [c.status for c in finished.chunks] == ["done"] * 3
    assert [c.chunk_id for c in finished.chunks] == list(STREETS)
    source = gpd.read_parquet(city)
    buildings = read_layer(finished, "buildings")
    assert sorted(buildings["building_id"]) == sorted(source["building_id"])
    assert buildings["grid_id"].notna().all()
    # Each building stays in its own street's chunk, and each grid lives in one chunk.
    assert (buildings["street_id"] == buildings["chunk"]).all()
    assert buildings.groupby("grid_id")["chunk"].nunique().max() == 1
    grids = read_layer(finished, "grids")
    assert grids["grid_id"].is_unique
    assert set(grids["grid_id"]) == set(buildings["grid_id"])
    households = buildings.groupby("grid_id")["households"].sum()
    assert (grids.set_index("grid_id")["households"] == households[grids["grid_id"]].values).all()
    assert sum(c.buildings for c in finished.chunks) == len(source)
    assert sum(c.households for c in finished.chunks) == int(source["households"].sum())
    assert [f for _, f in PROGRESS] == [0.0, 1 / 3, 2 / 3, 1.0]


def test_grid_codes_are_numbered_over_the_whole_city(finished: batch.BatchReport) -> None:
    # Street ids "S1".."S3" are not codes, so streets are numbered north-west to south-east
    # over the city (S1 lies furthest west), and communities within each street.
    grids = read_layer(finished, "grids")
    division = len(settings.DIVISION_CODE)
    codes = grids.assign(
        street=grids["grid_id"].str[division : division + 3],
        community=grids["grid_id"].str[division + 3 : division + 6],
    )
    assert codes.groupby("chunk")["street"].unique().map(list).to_dict() == {
        "S1": ["001"],
        "S2": ["002"],
        "S3": ["003"],
    }
    per_community = codes.groupby("community_id")["community"].unique().map(list).to_dict()
    for street in STREETS:
        assert per_community[f"{street}-C1"] == ["001"]
        assert per_community[f"{street}-C2"] == ["002"]
    micro = read_layer(finished, "buildings")
    assert (micro.apply(lambda r: str(r["micro_grid_id"]).startswith(r["grid_id"]), axis=1)).all()


def test_members_cover_every_grid_and_stay_in_their_chunk(finished: batch.BatchReport) -> None:
    buildings = read_layer(finished, "buildings")
    areas = read_layer(finished, "areas")
    members = read_layer(finished, "members")
    assert len(areas) == sum(c.areas for c in finished.chunks) > 0
    assert members["member_id"].is_unique
    assert areas["area_id"].is_unique
    grid_chunk = buildings.drop_duplicates("grid_id").set_index("grid_id")["chunk"]
    assert (areas["grid_id"].map(grid_chunk) == areas["chunk"]).all()
    assert "name" not in members.columns


def test_merged_parquet_holds_every_chunk(finished: batch.BatchReport) -> None:
    names = sorted(p.name for p in finished.merged)
    assert names == [
        "city_areas.parquet",
        "city_buildings.parquet",
        "city_chunks.parquet",
        "city_grids.parquet",
        "city_members.parquet",
    ]
    merged = gpd.read_parquet(finished.out_dir / "city_buildings.parquet")
    assert len(merged) == sum(c.buildings for c in finished.chunks)
    assert merged.crs.to_epsg() == 4326
    index = gpd.read_parquet(finished.out_dir / "city_chunks.parquet")
    assert list(index["chunk_id"]) == list(STREETS)
    for chunk, bounds in zip(index["chunk_id"], index.geometry.bounds.to_numpy(), strict=True):
        street = merged.loc[merged["street_id"] == chunk].total_bounds
        assert abs(bounds - street).max() < 1e-6
    report = json.loads((finished.out_dir / batch.REPORT_FILE).read_text(encoding="utf-8"))
    assert [c["status"] for c in report["chunks"]] == ["done"] * 3


def test_rerun_skips_finished_chunks(city: Path, finished: batch.BatchReport) -> None:
    out = finished.out_dir
    before = {p: p.stat().st_mtime_ns for p in (out / "chunks").rglob("*.parquet")}
    again = batch.run_batch(city, out, n_workers=2, processes=False, **BOUNDS)
    assert [c.status for c in again.chunks] == ["skipped"] * 3
    assert [c.buildings for c in again.chunks] == [c.buildings for c in finished.chunks]
    after = {p: p.stat().st_mtime_ns for p in (out / "chunks").rglob("*.parquet")}
    assert after == before
    # Other options recompute the chunks instead of skipping them.
    other = batch.run_batch(
        city, out, n_workers=1, processes=False, chunks=["S2"], per_member=8, **BOUNDS
    )
    assert [(c.chunk_id, c.status) for c in other.chunks] == [("S2", "done")]


def test_failed_chunk_is_reported_and_the_others_kept(tmp_path: Path) -> None:
    source = write_city(tmp_path / "city.parquet", bad="S2")
    out = tmp_path / "out"
    with pytest.warns(GridmapWarning, match=r"1 of 3 chunk\(s\) failed \(S2\)") as record:
        report = batch.run_batch(source, out, n_workers=2, processes=False, **BOUNDS)
    status = {c.chunk_id: c.status for c in report.chunks}
    assert status == {"S1": "done", "S2": "failed", "S3": "done"}
    (failed,) = report.failed
    assert "bogus" in failed.error and "use" in failed.error
    # The worker renders the chunk's error in Chinese too; the city-wide warning uses it.
    assert failed.error_zh is not None
    assert failed.error_zh.startswith("InputError: buildings 表：building_id ")
    assert "不是" in failed.error_zh and "解决办法：使用以下之一" in failed.error_zh
    (warning,) = [w.message for w in record if "chunk(s) failed" in str(w.message)]
    assert isinstance(warning, GridmapWarning) and warning.msg is not None
    chinese = warning.msg.line("zh")
    assert chinese.startswith("批量计算：3 个分块中有 1 个失败（S2）；第一个：S2：InputError: ")
    assert failed.error_zh in chinese and "use one of" not in chinese
    assert not (out / "chunks" / "S2" / batch.DONE_MARKER).exists()
    assert (out / "chunks" / "S1" / batch.DONE_MARKER).is_file()
    saved = json.loads((out / batch.REPORT_FILE).read_text(encoding="utf-8"))
    assert {c["chunk_id"]: c["error"] is None for c in saved["chunks"]} == {
        "S1": True,
        "S2": False,
        "S3": True,
    }
    assert report.summary()["chunks failed"] == 1

    # The planner fixes the street; the rerun computes only that street.
    write_city(source)
    fixed = batch.run_batch(source, out, n_workers=2, processes=False, **BOUNDS)
    assert {c.chunk_id: c.status for c in fixed.chunks} == {
        "S1": "skipped",
        "S2": "done",
        "S3": "skipped",
    }
    assert fixed.ok


def test_same_seed_same_outputs_whatever_the_workers(city: Path, tmp_path: Path) -> None:
    one = batch.run_batch(city, tmp_path / "a", n_workers=1, processes=False, seed=7, **BOUNDS)
    two = batch.run_batch(city, tmp_path / "b", n_workers=2, processes=False, seed=7, **BOUNDS)
    for layer in batch.LAYERS:
        for chunk in STREETS:
            assert_geodataframe_equal(
                batch.read_chunk_layer(one.out_dir, chunk, layer),
                batch.read_chunk_layer(two.out_dir, chunk, layer),
            )


def test_process_workers_on_loopback_with_a_synthetic_city(tmp_path: Path) -> None:
    pytest.importorskip("gridmap.synth")
    city = batch.SyntheticCity(n_buildings=240, seed=3, buildings_per_street=120)
    # Synthetic compounds above 500 households: the engine says so, the batch sums it up.
    with pytest.warns(GridmapWarning, match=r"batch: \d+ warning\(s\) in \d+ chunk\(s\)"):
        report = batch.run_batch(city, tmp_path, n_workers=2, processes=True, merge="gpkg")
    assert any("compound" in w for c in report.chunks for w in c.warnings)
    assert report.scheduler.startswith("tcp://127.0.0.1:")
    assert len(report.workers) == 2
    assert all(w.startswith("tcp://127.0.0.1:") for w in report.workers)
    assert report.ok, [c.error for c in report.failed]
    assert [c.chunk_id for c in report.chunks] == ["S0001", "S0002"]
    assert sum(c.buildings for c in report.chunks) == 240
    buildings = read_layer(report, "buildings")
    assert buildings["building_id"].is_unique
    assert buildings.groupby("grid_id")["chunk"].nunique().max() == 1
    import pyogrio

    layers = dict(pyogrio.list_layers(report.merged[0]))
    assert set(layers) == {"grids", "areas", "members", "buildings", "chunks"}
    merged = gpd.read_file(report.merged[0], layer="buildings")
    assert len(merged) == 240
    areas = gpd.read_file(report.merged[0], layer="areas")
    first = read_layer(report, "areas").iloc[0]
    assert areas.loc[0, "building_ids"] == ";".join(first["building_ids"])


def test_one_street_equals_the_engines_run_directly(tmp_path: Path) -> None:
    synth = pytest.importorskip("gridmap.synth")
    from gridmap.partition import partition_grids

    buildings = synth.generate_district(n_buildings=200, seed=5)["buildings"]
    assert set(buildings["street_id"]) == {"001"}  # ids that are codes: kept as they are
    path = tmp_path / "street.parquet"
    buildings.to_parquet(path)
    with pytest.warns(GridmapWarning, match=r"batch: \d+ warning\(s\) in 1 chunk\(s\), e.g. 001"):
        report = batch.run_batch(
            path, tmp_path / "out", n_workers=1, processes=False, seed=9, **BOUNDS
        )
    assert report.ok, [c.error for c in report.failed]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", GridmapWarning)
        direct = partition_grids(buildings, seed=batch.chunk_seed(9, "001"), **BOUNDS)
    # The engine's warnings are kept with the chunk, not lost in a worker's log.
    # str() of a note is its English line, whether the engine returns text or Msg.
    assert {str(w) for w in direct.warnings} <= set(report.chunks[0].warnings)
    ours = batch.read_chunk_layer(report.out_dir, "001", "buildings")
    assert list(ours["building_id"]) == list(direct.buildings["building_id"])
    assert list(ours["grid_id"]) == list(direct.buildings["grid_id"])
    grids = batch.read_chunk_layer(report.out_dir, "001", "grids")
    assert_geodataframe_equal(grids, direct.grids, check_less_precise=True)


def test_existing_scheduler_by_address(city: Path, tmp_path: Path) -> None:
    with batch.start_local_cluster(n_workers=1, processes=False) as cluster:
        report = batch.run_batch(
            city, tmp_path, scheduler=cluster.scheduler_address, chunks=["S3"], **BOUNDS
        )
        assert report.scheduler == cluster.scheduler_address
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert [(c.chunk_id, c.status) for c in report.chunks] == [("S3", "done")]


def test_geopackage_source_by_community(tmp_path: Path) -> None:
    source = tmp_path / "city.gpkg"
    city = make_city(("S1",))
    city.to_file(source, layer="buildings", driver="GPKG")
    # A project GeoPackage may carry community boundaries: each chunk reads its own.
    metric = city.to_crs(32650).dissolve("community_id").envelope.buffer(30, join_style="mitre")
    communities = gpd.GeoDataFrame(
        {"community_id": metric.index, "name": ["一社区", "二社区"]}, geometry=metric.values
    ).to_crs(4326)
    communities.to_file(source, layer="communities", driver="GPKG")
    report = batch.run_batch(
        source, tmp_path / "out", chunk_by="community_id", n_workers=1, processes=False, **BOUNDS
    )
    assert [c.chunk_id for c in report.chunks] == ["S1-C1", "S1-C2"]
    assert report.ok, [c.error for c in report.failed]
    buildings = read_layer(report, "buildings")
    assert (buildings["community_id"] == buildings["chunk"]).all()
    grids = read_layer(report, "grids").to_crs(32650)
    for community, outline in zip(communities["community_id"], metric.values, strict=True):
        mine = grids[grids["community_id"] == community]
        assert abs(mine.area.sum() - outline.area) < 1.0  # the grids tile the community
    # Communities are numbered over the city, so the two chunks' grid codes differ.
    assert grids["grid_id"].is_unique
    assert sorted(grids["grid_id"].str[9:12].unique()) == ["001", "002"]


def test_bad_input_is_named(tmp_path: Path) -> None:
    city = make_city(("S1",))
    path = tmp_path / "no_street.parquet"
    city.drop(columns="street_id").to_parquet(path)
    with pytest.raises(InputError, match="no street_id column") as missing:
        batch.run_batch(path, tmp_path / "out", processes=False)
    assert missing.value.fix is not None and "--chunk-by community_id" in missing.value.fix
    nulls = tmp_path / "null_street.parquet"
    city.assign(street_id=[None] + ["S1"] * (len(city) - 1)).to_parquet(nulls)
    with pytest.raises(
        InputError, match="1 building\\(s\\) have no street_id \\(first at row 0\\)"
    ):
        batch.list_chunks(nulls)
    with pytest.raises(InputError, match="GeoParquet .* or GeoPackage"):
        batch.run_batch(tmp_path / "city.shp", tmp_path / "out")
    good = write_city(tmp_path / "ok.parquet", streets=("S1",))
    with pytest.raises(InputError, match="no chunk\\(s\\) S9"):
        batch.run_batch(good, tmp_path / "o", chunks=["S9"])
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        batch.run_batch(good, tmp_path / "out", scheduler="tcp://127.0.0.1:9", timeout=2)


def test_a_remote_scheduler_is_never_contacted_from_tests(tmp_path: Path) -> None:
    path = write_city(tmp_path / "city.parquet", streets=("S1",))
    with pytest.raises(pytest_socket.SocketConnectBlockedError, match="192.0.2.1"):
        batch.run_batch(path, tmp_path / "out", scheduler="tcp://192.0.2.1:8786", timeout=2)


def test_cli_exits_2_naming_the_failed_chunk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_city(tmp_path / "city.parquet", bad="S2")
    out = tmp_path / "out"
    args = [
        "batch",
        str(source),
        "--out",
        str(out),
        "--workers",
        "1",
        "--min",
        "150",
        "--max",
        "250",
    ]
    code = main(args)
    assert code == 2
    err = capsys.readouterr().err
    assert "error: 1 of 3 chunk(s) failed: S2" in err
    assert (out / "chunks" / "S1" / batch.DONE_MARKER).is_file()  # the others are kept

    # In Chinese, the chunk's own error is Chinese too (the rerun skips S1 and S3).
    monkeypatch.setenv("GRIDMAP_LANG", "zh")
    assert main(args) == 2
    (line,) = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error: ")]
    assert line.startswith("error: 3 个分块中有 1 个失败：分块 S2（InputError: buildings 表：")
    assert line.endswith("修正这些分块的数据后重新运行同一命令：已完成的分块会被跳过")
    assert "fix:" not in line and "use one of" not in line
