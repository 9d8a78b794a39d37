"""Test set-up: loopback only, warnings as errors (pyproject), real data paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GRIDMAP_SHARED", ROOT.parent / "shared"))
OSM_DIR = SHARED / "osm"

# GDAL and osmnx must never go online from a test either.
os.environ.setdefault("GDAL_HTTP_TIMEOUT", "1")
os.environ.setdefault("NO_PROXY", "localhost,127.0.0.1")
os.environ.setdefault("MPLBACKEND", "Agg")
# Command-line messages in English whatever the machine locale (tests assert the text).
os.environ["GRIDMAP_LANG"] = "en"


def osm_files() -> list[Path]:
    """The real OSM extracts in ../shared/osm (empty when the folder is absent)."""
    if not OSM_DIR.is_dir():
        return []
    return sorted(p for p in OSM_DIR.iterdir() if p.name.endswith((".osm", ".osm.bz2", ".pbf")))


@pytest.fixture(params=osm_files() or [None], ids=lambda p: p.name if p else "no-osm")
def osm_file(request: pytest.FixtureRequest) -> Path:
    """Each real OSM extract; skips with a reason when ../shared/osm is absent."""
    if request.param is None:
        pytest.skip(f"no real OSM extracts: {OSM_DIR} is absent (CI has it)")
    return request.param


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED
