"""Defaults with a meaning, in one place, each with its source.

Plain module attributes (as in osmnx.settings): change them at run time with
``gridmap.settings.DEFAULT_MIN_HOUSEHOLDS = 250``.
"""

from __future__ import annotations

import os
from pathlib import Path

# --- Grids -----------------------------------------------------------------
# 300-500 households per grid is the common urban norm in municipal grid
# management rules (e.g. Beijing, Zhejiang "300-500户为一个网格").
DEFAULT_MIN_HOUSEHOLDS = 300
DEFAULT_MAX_HOUSEHOLDS = 500
# Micro-grids (微网格): one building or a few units, 30-80 households.
DEFAULT_MICRO_MIN_HOUSEHOLDS = 30
DEFAULT_MICRO_MAX_HOUSEHOLDS = 80
# Grid codes follow Beijing DB11/T 2157-2023: 6-digit administrative division
# + 3-digit street + 3-digit community + 3-digit grid = 15 digits.
# 110108 is Haidian district; the demo uses it as a neutral default.
DIVISION_CODE = "110108"

# --- "1+10" party members -----------------------------------------------------
DEFAULT_HOUSEHOLDS_PER_MEMBER = 10
# One street reports 2,779 party members for 19,000 households: 14.6 per 100.
SYNTHETIC_MEMBERS_PER_100_HOUSEHOLDS = 2779 / 19000 * 100
# Straight-line distance x detour factor when no street graph is available
# (a typical urban route factor of 1.2-1.4; 1.3 is the usual planning value).
DETOUR_FACTOR = 1.3

# --- Building estimates (used when OSM or the user gives no value) -----------
# Storey height in metres: GB 50096-2011 residential storey height 2.8-3.0 m.
FLOOR_HEIGHT_M = 3.0
# Default storeys by building tag when neither building:levels nor height is
# present: Chinese urban housing stock is mostly 6-storey walk-ups (1980s-2000s)
# and 11-33 storey towers; 6 is the conservative median for residential.
DEFAULT_LEVELS = {
    "apartments": 6,
    "residential": 6,
    "dormitory": 5,
    "house": 2,
    "detached": 2,
    "terrace": 3,
    "villa": 3,
    "commercial": 4,
    "office": 8,
    "retail": 2,
    "mixed": 6,
    "public": 3,
    "yes": 4,
    "other": 2,
}
# Share of gross floor area that is usable dwelling area (使用面积系数 of
# Chinese residential buildings is roughly 0.70-0.80; 0.75 taken).
USABLE_SHARE = 0.75
# Mean dwelling size in m2 of usable area: China's 7th census (2020) urban
# per-capita housing ~36.5 m2 x 2.62 persons/household ~ 95 m2 gross; x 0.75
# usable share ~ 70 m2.
MEAN_FLAT_SIZE_M2 = 70.0
# Household size (7th national census 2020: 2.62 persons per household).
PERSONS_PER_HOUSEHOLD = 2.62
# Footprints below this area (m2) are sheds, kiosks, garages: no households.
MIN_RESIDENTIAL_FOOTPRINT_M2 = 40.0
# A single building with more households than this is implausible.
MAX_HOUSEHOLDS_PER_BUILDING = 10_000

# --- Parking estimates -----------------------------------------------------
# Gross area per surface parking space including aisles (GB 50067 / 车库建筑
# 设计规范 JGJ 100-2015: 25-30 m2 per car for surface lots; 27.5 taken).
AREA_PER_SPACE_M2 = 27.5
# Area per space for multi-storey / underground car parks (JGJ 100: 30-40 m2).
AREA_PER_SPACE_STRUCTURE_M2 = 35.0
# Capacity assumed for a parking node without area or capacity tag.
DEFAULT_NODE_CAPACITY = 20
# Parking spaces per household assumed for a compound with no mapped car park.
# Planning assumption, not a measurement: Chinese local 配建 standards for
# compounds built since the 1990s ask for roughly 0.3-1.0 spaces per dwelling
# (older walk-up compounds hold far fewer); 0.5 is taken as the middle.
SPACES_PER_HOUSEHOLD = 0.5
# A car park outside any compound belongs to the nearest building when that
# building is this close (m), roughly half a Chinese urban block; otherwise the
# lot is public with no owner.
LOT_OWNER_MAX_DISTANCE_M = 150.0
# Timeout (s) of the connectivity check before an online fetch: offline fails fast.
CONNECT_TIMEOUT_S = 3.0
# Maximum walking distance residents accept from a shared lot (m).
WALK_LIMIT_M = 500.0

# --- Safe import limits --------------------------------------------------------
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_RATIO = 200
MAX_FEATURES = 2_000_000
MAX_VERTICES = 50_000_000
# GDAL drivers gridmap lets pyogrio use; everything else (VRT, WFS, remote
# drivers that can read other files or URLs) is refused.
ALLOWED_GDAL_DRIVERS = ("GeoJSON", "GPKG", "ESRI Shapefile", "KML", "LIBKML", "CSV", "OSM")

# --- Output -----------------------------------------------------------------
GEOJSON_PRECISION = 6
DEFAULT_SEED = 20261123

# --- Front-end assets -------------------------------------------------------------
# Leaflet and leaflet-draw, installed from npm by `make assets` (never committed):
# the app serves them and report.html inlines them, so nothing loads from a CDN.
ASSETS_DIR = Path(
    os.environ.get("GRIDMAP_ASSETS", Path(__file__).resolve().parents[1] / "static" / "vendor")
)
