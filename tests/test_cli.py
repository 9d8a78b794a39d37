"""The command line: one `error:` line and exit 2 for user mistakes, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.cli import main


def test_unknown_verb_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ")
    assert "frobnicate" in err[-1]


def test_missing_required_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grids", "x.gpkg"]) == 2
    assert "--out" in capsys.readouterr().err


def test_missing_input_file_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.geojson"
    assert main(["import", str(missing), "--out", str(tmp_path / "p.gpkg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nope.geojson" in err
    assert "Traceback" not in err
    assert not (tmp_path / "p.gpkg").exists()


def test_impossible_grid_bounds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "b.geojson"
    src.write_text('{"type":"FeatureCollection","features":[]}', encoding="utf-8")
    code = main(["grids", str(src), "--out", str(tmp_path / "o"), "--min", "500", "--max", "300"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--min 500 --max 300" in err
