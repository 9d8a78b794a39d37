"""Tidal (off-peak) parking sharing: demand method, Monte Carlo simulation, policy sweeps.

Residential compounds (小区) lack spaces at night while offices and shops next
door have spare ones, and the other way round by day. This package answers how
many spaces a lot can share without its owners meeting a full lot, what demand
is met, what the sharing earns the community fund and how far people walk.

- :func:`load_scenario` / :func:`run_scenario` / :func:`write_outputs`: the
  YAML scenario of DATA_MODEL.md (``method: demand`` or ``method: simulate``).
- :func:`sweep_shared_spaces`: the largest number of shared spaces under a
  conflict threshold.
- :func:`preset`, :func:`preset_from_layers`: scenarios from practice and
  from a map's lots.
- :func:`fit_gate_log`, :func:`generate_gate_log`, :func:`write_profiles`:
  calibration from barrier-gate records.
"""

from gridmap.parking.calibrate import fit_gate_log, generate_gate_log, write_profiles
from gridmap.parking.demand import compute_demand
from gridmap.parking.presets import PRESET_NAMES, preset, preset_from_layers, synthetic_district
from gridmap.parking.profiles import load_profile, profile_names
from gridmap.parking.run import result_json, run_scenario, write_outputs
from gridmap.parking.scenario import load_scenario, validate_scenario
from gridmap.parking.simulate import erlang_b, simulate_days, spaces_for_blocking
from gridmap.parking.sweep import sweep_shared_spaces

__all__ = [
    "PRESET_NAMES",
    "compute_demand",
    "erlang_b",
    "fit_gate_log",
    "generate_gate_log",
    "load_profile",
    "load_scenario",
    "preset",
    "preset_from_layers",
    "profile_names",
    "result_json",
    "run_scenario",
    "simulate_days",
    "spaces_for_blocking",
    "sweep_shared_spaces",
    "synthetic_district",
    "validate_scenario",
    "write_outputs",
    "write_profiles",
]
