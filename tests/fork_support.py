"""Helpers of the tests that fork: a fresh interpreter runs one thread, so gridmap's
fork path is really taken there (pytest's own process may hold threads of other
tests, which rules out fork)."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys


def count_pools() -> list[int]:
    """From now on, every process pool opened in this interpreter appends 1 to the list."""
    pools: list[int] = []
    real = concurrent.futures.ProcessPoolExecutor

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            pools.append(1)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    concurrent.futures.ProcessPoolExecutor = Spy  # type: ignore[misc]
    return pools


def run_fresh(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter with the tests folder importable, workers unset."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "GRIDMAP_WORKERS": "", "PYTHONPATH": path}
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
