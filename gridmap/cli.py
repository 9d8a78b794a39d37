"""Command line: argument parsing only; the work is in :mod:`gridmap.pipeline`.

Exit codes: 0 success; 2 bad input or bad options, with one ``error:`` line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from gridmap import settings
from gridmap.console import print_table, progress_bar, show_warnings
from gridmap.errors import GridmapError
from gridmap.messages import cli_language, msg

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse with the project's one-line ``error:`` and exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message}; fix: see '{self.prog} --help'", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The ``gridmap`` parser with one sub-command per verb of DATA_MODEL.md."""
    parser = _Parser(prog="gridmap", description="Community grids, 1+10 areas, tidal parking.")
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    demo = verbs.add_parser("demo", help="run the whole pipeline on the embedded data")
    demo.add_argument("--out", type=Path, default=Path("out"))
    demo.add_argument("--osm", type=Path, help="run on a real OSM extract instead")
    demo.add_argument("--seed", type=int, default=settings.DEFAULT_SEED)
    demo.add_argument("--buildings", type=int, default=None, help="synthetic size")
    demo.add_argument("--preset", default="demo", help="synthetic preset (demo, luancheng)")

    imp = verbs.add_parser("import", help="read a vector file into a project GeoPackage")
    imp.add_argument("src", type=Path)
    imp.add_argument("--out", type=Path, required=True)
    imp.add_argument("--crs", help="CRS of a file without one: 4326, 4490, gcj02, bd09")
    imp.add_argument("--layer", help="layer of a multi-layer file")
    imp.add_argument("--households", type=Path, help="CSV/XLSX household register to join")

    grids = verbs.add_parser("grids", help="partition into grids")
    grids.add_argument("buildings", type=Path)
    grids.add_argument("--out", type=Path, required=True)
    grids.add_argument("--min", dest="min_households", type=int, default=None)
    grids.add_argument("--max", dest="max_households", type=int, default=None)
    grids.add_argument("--grids", dest="n_grids", type=int, default=None)
    grids.add_argument("--communities", type=Path)
    grids.add_argument("--locked", type=Path)
    grids.add_argument("--seed", type=int, default=settings.DEFAULT_SEED)
    grids.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes (and threads) partitioning communities side by side "
        "(default: $GRIDMAP_WORKERS or all CPUs; same result)",
    )
    grids.add_argument(
        "--exact",
        dest="exact_time",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="thorough mode: CP-SAT deterministic time (about seconds) for each community "
        "left with grids out of bounds (default 0: off)",
    )

    mem = verbs.add_parser("members", help='"1+10" party-member assignment')
    mem.add_argument("buildings", type=Path)
    mem.add_argument("--out", type=Path, required=True)
    mem.add_argument("--members", type=Path)
    mem.add_argument("--per-member", type=int, default=settings.DEFAULT_HOUSEHOLDS_PER_MEMBER)
    mem.add_argument("--with-names", action="store_true", help="include members' names")
    mem.add_argument("--model", choices=("standard", "nantong"), default="standard")
    mem.add_argument("--seed", type=int, default=settings.DEFAULT_SEED)

    park = verbs.add_parser("parking", help="run a parking scenario")
    park.add_argument("scenario", type=Path)
    park.add_argument("--out", type=Path)
    park.add_argument("--json", action="store_true", help="print the result to stdout")
    park.add_argument("--seed", type=int, default=None)

    exp = verbs.add_parser("export", help="convert for city systems")
    exp.add_argument("src", type=Path)
    exp.add_argument(
        "--format", dest="fmt", choices=("geojson", "gpkg", "shp", "csv"), required=True
    )
    exp.add_argument("--out", type=Path, required=True)
    exp.add_argument("--crs", default="4326", help="4326, 4490, gcj02 or bd09")
    exp.add_argument("--layer", help="layer of a project to export (default: buildings)")

    batch = verbs.add_parser("batch", help="grids and members for a whole city on Dask")
    batch.add_argument("source", type=Path, nargs="?", help="GeoParquet or GeoPackage buildings")
    batch.add_argument("--out", type=Path, required=True)
    batch.add_argument("--synthetic", type=int, metavar="N", help="a synthetic city of N buildings")
    batch.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    batch.add_argument("--workers", type=int, help="workers of the local cluster")
    batch.add_argument("--chunk-by", choices=("street_id", "community_id"), default="street_id")
    batch.add_argument("--merge", choices=("gpkg", "parquet"), help="also write merged layers")
    batch.add_argument("--min", dest="min_households", type=int, default=None)
    batch.add_argument("--max", dest="max_households", type=int, default=None)
    batch.add_argument("--per-member", type=int, default=settings.DEFAULT_HOUSEHOLDS_PER_MEMBER)
    batch.add_argument("--seed", type=int, default=settings.DEFAULT_SEED)

    app = verbs.add_parser("app", help="start the Streamlit app")
    app.add_argument("--port", type=int, default=8501)
    return parser


def _run(args: argparse.Namespace) -> int:
    from gridmap import pipeline

    if args.verb == "app":
        return pipeline.start_app(port=args.port)
    if args.verb == "parking":
        with progress_bar() as progress:
            result = pipeline.run_parking(
                args.scenario, out=args.out, seed=args.seed, progress=progress
            )
        if args.json:
            print(json.dumps(result, ensure_ascii=False, sort_keys=True))
        return 0
    with progress_bar() as progress:
        if args.verb == "demo":
            summary = pipeline.run_demo(
                args.out,
                osm=args.osm,
                seed=args.seed,
                n_buildings=args.buildings,
                preset=args.preset,
                progress=progress,
            )
        elif args.verb == "import":
            summary = pipeline.import_file(
                args.src, args.out, crs=args.crs, layer=args.layer, households=args.households
            )
        elif args.verb == "grids":
            summary = pipeline.run_grids(
                args.buildings,
                args.out,
                min_households=args.min_households,
                max_households=args.max_households,
                n_grids=args.n_grids,
                communities=args.communities,
                locked=args.locked,
                seed=args.seed,
                progress=progress,
                workers=args.workers,
                exact_time=args.exact_time,
            )
        elif args.verb == "batch":
            summary = pipeline.run_city_batch(
                args.source,
                args.out,
                synthetic=args.synthetic,
                scheduler=args.scheduler,
                n_workers=args.workers,
                chunk_by=args.chunk_by,
                merge=args.merge,
                min_households=args.min_households,
                max_households=args.max_households,
                per_member=args.per_member,
                seed=args.seed,
                progress=progress,
            )
        elif args.verb == "members":
            summary = pipeline.run_members(
                args.buildings,
                args.out,
                members=args.members,
                per_member=args.per_member,
                with_names=args.with_names,
                model=args.model,
                seed=args.seed,
                progress=progress,
            )
        else:
            summary = pipeline.export_file(
                args.src, args.out, fmt=args.fmt, crs=args.crs, layer=args.layer
            )
    print_table(f"gridmap {args.verb}", [(k, str(v)) for k, v in summary.items()])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad input or options.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        with show_warnings():
            return _run(args)
    except GridmapError as exc:
        print(f"error: {exc.user_message(cli_language())}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        opened = msg("cli.cannot_open", name=exc.filename or exc, reason=exc.strerror)
        print(f"error: {opened.line(cli_language())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"error: {msg('cli.interrupted').line(cli_language())}", file=sys.stderr)
        return 130
