"""The analyst notebooks: committed without outputs, and each runs offline in under a minute."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ("01_grid_planning", "02_parking_scenarios", "03_city_export")
# Each notebook must finish within this (the limit); the cell limit stops a hung cell.
NOTEBOOK_SECONDS = 60


def test_the_three_notebooks_exist() -> None:
    assert tuple(p.stem for p in NOTEBOOKS) == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"{path.name} cell {index} has outputs: strip them"
        assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"
    assert "widgets" not in notebook.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_offline_in_under_a_minute(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    import time

    # The kernel runs in its own process, outside pytest-socket: offline is ensured by the
    # notebooks themselves (no downloads, local Dask on 127.0.0.1); GDAL is told too.
    monkeypatch.setenv("GDAL_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=NOTEBOOK_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    started = time.time()
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    assert seconds < NOTEBOOK_SECONDS, f"{path.name} took {seconds:.0f} s"
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    # Nothing was written into the repository.
    assert not any(p.stat().st_mtime > started for p in (ROOT / "notebooks").iterdir())
    assert os.listdir(tmp_path), "the notebook wrote its files into its temporary folder"
