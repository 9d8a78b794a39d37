"""Safe input and output: the only part of gridmap that opens user files.

Importing this package configures GDAL first (offline, driver allow-list; see
:mod:`gridmap.io.safety`), then exposes the readers and writers.
"""

from __future__ import annotations

from gridmap.io import safety as _safety

_safety.configure_gdal()

from gridmap.io.buildings import read_buildings  # noqa: E402
from gridmap.io.fields import SHAPEFILE_FIELDS  # noqa: E402
from gridmap.io.households import join_households  # noqa: E402
from gridmap.io.members import read_members  # noqa: E402
from gridmap.io.project import is_project, read_project, write_project  # noqa: E402
from gridmap.io.read import read_osm_path_check, read_vector  # noqa: E402
from gridmap.io.write import (  # noqa: E402
    atomic_path,
    export_file,
    export_layer,
    write_csv,
    write_geojson,
    write_json,
    write_text,
)

__all__ = [
    "SHAPEFILE_FIELDS",
    "atomic_path",
    "export_file",
    "export_layer",
    "is_project",
    "join_households",
    "read_buildings",
    "read_members",
    "read_osm_path_check",
    "read_project",
    "read_vector",
    "write_csv",
    "write_geojson",
    "write_json",
    "write_project",
    "write_text",
]
