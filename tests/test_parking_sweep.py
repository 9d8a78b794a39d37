"""Policy sweep on the Nantong preset, presets, and deterministic outputs."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from gridmap.errors import InputError
from gridmap.parking import (
    PRESET_NAMES,
    preset,
    run_scenario,
    sweep_shared_spaces,
    write_outputs,
)


@pytest.fixture(scope="module")
def nantong_sweep() -> dict:
    sc = preset("nantong_yijiaqiao")
    return sweep_shared_spaces(
        sc, lot_id="yijiaqiao_no2", values=list(range(0, 421, 30)), seed=1, days=150
    )


def test_nantong_preset_is_labelled():
    sc = preset("nantong_yijiaqiao")
    assert sc["origin"]["source_id"] == "BRIEF_NANTONG"
    lot = sc["lots"][0]
    assert (lot["capacity"], lot["shared"], lot["community_share"]) == (470, 50, 1.0)
    residents = [u for u in sc["users"] if u["class"] == "resident"]
    assert [u["cars"] for u in residents] == [430]
    assert any("430" in fact for fact in sc["origin"]["facts"])


def test_sweep_finds_largest_shared_number_under_threshold(nantong_sweep: dict):
    sw = nantong_sweep
    values, rate = sw["values"], sw["conflicts_per_100_days"]
    # 430 cars + 40 shared = 470 spaces: up to 40 shared spaces no resident can meet a full lot.
    assert all(r == 0 for v, r in zip(values, rate, strict=True) if v <= 40)
    best = sw["best"]
    assert best is not None and best >= 50  # Nantong's 50 is under the threshold
    i = values.index(best)
    assert all(r <= 1.0 for r in rate[: i + 1])
    assert i + 1 < len(values) and rate[i + 1] > 1.0  # the next value breaks it
    # More sharing earns more until outsiders' demand is met.
    assert sw["revenue"][i] > sw["revenue"][values.index(60)] > 0
    assert sw["utilization"][i] > sw["utilization"][0]


def test_sweep_threshold_and_windows():
    sc = preset("nantong_yijiaqiao")
    sw = sweep_shared_spaces(
        sc, lot_id="yijiaqiao_no2", values=[0, 200, 300], seed=3, days=40,
        threshold_per_100_days=1000.0, windows=["08:30-17:30", "09:00-16:00"],
    )  # fmt: skip
    assert sw["best"] == 300  # a lax threshold accepts everything
    assert [c["window"] for c in sw["curves"]] == ["08:30-17:30", "09:00-16:00"]
    # A shorter window offers less: less revenue at the same number of spaces.
    assert sw["curves"][1]["revenue"][1] < sw["curves"][0]["revenue"][1]


def test_sweep_bad_input():
    sc = preset("nantong_yijiaqiao")
    with pytest.raises(InputError, match="unknown lot id 'nope'"):
        sweep_shared_spaces(sc, lot_id="nope", values=[1], seed=1)
    with pytest.raises(InputError, match="500 shared spaces .* outside 0-470"):
        sweep_shared_spaces(sc, lot_id="yijiaqiao_no2", values=[500], seed=1)
    with pytest.raises(InputError) as info:
        sweep_shared_spaces(sc, lot_id="yijiaqiao_no2", values=[500], seed=1)
    zh = info.value.user_message("zh")
    assert "'yijiaqiao_no2' 的共享车位数 500 不在 0-470 之间" in zh
    assert "capacity - reserved" in zh


def test_shijiazhuang_preset_runs():
    sc = preset("shijiazhuang_qingyuan")
    assert sc["origin"]["source_id"] == "BRIEF_NANTONG"
    shared = sum(lot["shared"] for lot in sc["lots"] if lot["kind"] == "office")
    assert shared >= 50  # "50+ off-peak spaces"
    result = run_scenario(copy.deepcopy(sc) | {"days": 20}, seed=2)
    used = sum(result["shared_space_hours_used"][k]["mean"] for k in ("unit_a", "unit_b"))
    assert used > 0
    assert result["origin"]["source_id"] == "BRIEF_NANTONG"


def test_unknown_preset():
    with pytest.raises(InputError, match="unknown parking preset"):
        preset("beijing")
    assert set(PRESET_NAMES) == {"nantong_yijiaqiao", "shijiazhuang_qingyuan"}


def test_outputs_are_deterministic(tmp_path: Path, nantong_sweep: dict):
    result = run_scenario(preset("nantong_yijiaqiao") | {"days": 10}, seed=5)
    for item in (result, nantong_sweep):
        a = write_outputs(item, tmp_path / "a")
        b = write_outputs(item, tmp_path / "b")
        assert [p.name for p in a] == [p.name for p in b]
        assert {p.suffix for p in a} == {".json", ".png", ".svg"}
        for x, y in zip(a, b, strict=True):
            assert (
                hashlib.sha256(x.read_bytes()).digest() == hashlib.sha256(y.read_bytes()).digest()
            )
    data = json.loads((tmp_path / "a" / "parking.json").read_text(encoding="utf-8"))
    assert data["method"] == "sweep" and data["best"] == nantong_sweep["best"]
    svg = (tmp_path / "a" / "parking_sweep.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
