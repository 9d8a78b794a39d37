"""Calibration from gate logs, and charts without a CJK font."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gridmap.errors import GridmapWarning, InputError
from gridmap.parking import charts as charts_module
from gridmap.parking import (
    fit_gate_log,
    generate_gate_log,
    load_scenario,
    run_scenario,
    write_outputs,
    write_profiles,
)
from gridmap.parking.presets import SHOP_ARRIVALS


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return generate_gate_log(days=56, seed=4)


@pytest.fixture(scope="module")
def fit(log: pd.DataFrame) -> dict:
    return fit_gate_log(log)


def _expected_presence(stay: float, hour: int) -> float:
    """Share of residents' cars present at ``hour``:00-:59, leave N(7:45,45), return N(18:30,60)."""
    minutes = hour * 60 + np.arange(60) + 0.5
    gone = stats.norm.cdf(minutes, 465, 45) * (1 - stats.norm.cdf(minutes, 1110, 60))
    return float(np.mean(stay + (1 - stay) * (1 - gone)))


def test_generator_is_deterministic(log: pd.DataFrame):
    again = generate_gate_log(days=56, seed=4)
    pd.testing.assert_frame_equal(log, again)
    assert list(log.columns) == ["lot_id", "car_id", "entry_time", "exit_time", "monthly_pass"]
    assert (log["exit_time"].dropna() >= log.loc[log["exit_time"].notna(), "entry_time"]).all()


def test_fit_recovers_the_generating_distributions(fit: dict):
    res = fit["lots"]["gate_a"]["resident"]
    vis = fit["lots"]["gate_a"]["visitor"]
    assert res["cars"] == 300
    assert res["stay_home_share"]["weekday"] == pytest.approx(0.3, abs=0.02)
    assert res["stay_home_share"]["weekend"] == pytest.approx(0.5, abs=0.03)
    for key, mean, sd in (("leave", 465, 45), ("return", 1110, 60)):
        hh, mm = map(int, res[key]["weekday"]["mean"].split(":"))
        assert abs(hh * 60 + mm - mean) <= 3
        assert res[key]["weekday"]["sd_minutes"] == pytest.approx(sd, rel=0.06)
    assert vis["dwell_minutes"]["mean"] == pytest.approx(90, rel=0.05)
    assert vis["dwell_minutes"]["sd"] == pytest.approx(60, rel=0.12)
    assert vis["arrivals_per_day"]["weekday"] == pytest.approx(150, rel=0.05)
    # The fitted arrival profile is the generating histogram (total variation distance).
    fitted = np.asarray(vis["arrivals"]["weekday"])
    truth = np.asarray(SHOP_ARRIVALS, dtype=float)
    assert 0.5 * np.abs(fitted / fitted.sum() - truth / truth.sum()).sum() < 0.05


def test_fit_recovers_the_presence_profile(fit: dict):
    res = fit["lots"]["gate_a"]["resident"]
    for day_type, stay in (("weekday", 0.3), ("weekend", 0.5)):
        expected = np.array([_expected_presence(stay, h) for h in range(24)])
        expected = 100 * expected / expected.max()
        assert np.max(np.abs(np.asarray(res["presence"][day_type]) - expected)) < 4.0


def test_profiles_written_and_used_by_a_scenario(tmp_path: Path, fit: dict):
    path = write_profiles(fit, tmp_path / "gate.csv")
    (tmp_path / "s.yaml").write_text(
        "method: demand\nprofile_files: [gate.csv]\nuses:\n"
        "  - {name: homes, base_spaces: 300, profile: gate_log/gate_a_resident/weekday}\n",
        encoding="utf-8",
    )
    result = run_scenario(load_scenario(tmp_path / "s.yaml"))
    assert result["peak"] == 300 and result["hourly_total"][12] < 110
    assert result["profile_sources"]["homes"]["source_id"] == "GATE_LOG"
    assert path.read_text(encoding="utf-8").startswith("source_id,land_use")
    # The fitted departure histogram drives a simulation's leave times.
    sim = {
        "method": "simulate", "days": 5, "profile_files": [str(path)],
        "lots": [{"lot_id": "gate_a", "capacity": 400}],
        "users": [{"name": "r", "class": "resident", "home_lot": "gate_a", "cars": 300,
                   "leave": {"histogram": "gate_log/gate_a_resident_departures/weekday"},
                   "return": {"histogram": "gate_log/gate_a_resident_arrivals/weekday"}}],
    }  # fmt: skip
    assert run_scenario(sim, seed=1)["peak_occupancy"]["gate_a"]["mean"] == 300


def test_exit_before_entry_names_the_row():
    frame = pd.DataFrame(
        {"lot_id": ["a", "a", "a"], "car_id": ["苏F1", "苏F2", "苏F3"],
         "entry_time": ["2024-03-04 08:00", "2024-03-04 09:00", "2024-03-04 10:00"],
         "exit_time": ["2024-03-04 09:00", "2024-03-04 08:30", ""], "monthly_pass": [1, 0, 0]}
    )  # fmt: skip
    with pytest.raises(InputError, match=r"row 2 \(car 苏F2\): exit_time .* is before entry_time"):
        fit_gate_log(frame)


def test_chinese_headers_csv_and_excel(tmp_path: Path):
    log = generate_gate_log(days=6, seed=1)
    chinese = log.rename(
        columns={"lot_id": "车场", "car_id": "车牌号", "entry_time": "入场时间",
                 "exit_time": "出场时间", "monthly_pass": "月卡"}
    )  # fmt: skip
    csv_path = tmp_path / "log.csv"
    chinese.to_csv(csv_path, index=False)
    from_csv = fit_gate_log(csv_path)
    xlsx_path = tmp_path / "log.xlsx"
    chinese.to_excel(xlsx_path, index=False)
    from_xlsx = fit_gate_log(xlsx_path)
    a, b = from_csv["lots"]["gate_a"], from_xlsx["lots"]["gate_a"]
    assert a["resident"]["cars"] == b["resident"]["cars"] == 300
    assert a["visitor"]["sessions"] == b["visitor"]["sessions"]


def test_mixed_and_chinese_date_formats():
    frame = pd.DataFrame(
        {"车牌号": ["京A1", "京A2", "京A3"],
         "入场时间": ["2024/03/04 07:45", "2024-03-04 08:00:00", "2024年3月4日 09:00"],
         "出场时间": ["2024/03/04 09:45", "2024年3月4日 10:30", ""], "月卡": ["是", "否", "否"]}
    )  # fmt: skip
    fit = fit_gate_log(frame)
    assert fit["lots"]["lot"]["resident"]["cars"] == 1
    assert fit["lots"]["lot"]["visitor"]["dwell_minutes"]["mean"] == 150.0


def test_gate_log_input_errors(tmp_path: Path):
    with pytest.raises(InputError, match="no car_id column"):
        fit_gate_log(pd.DataFrame({"entry_time": ["2024-01-01 08:00"], "exit_time": [""]}))
    with pytest.raises(InputError, match=r"row 1: entry_time 'yesterday' is not a date"):
        fit_gate_log(
            pd.DataFrame({"car_id": ["x"], "entry_time": ["yesterday"], "exit_time": [""]})
        )
    with pytest.raises(InputError, match="row 2: entry_time is empty"):
        fit_gate_log(
            pd.DataFrame({"car_id": ["x", "y"], "entry_time": ["2024-01-01 08:00", ""],
                          "exit_time": ["", ""], "monthly_pass": [1, 1]})
        )  # fmt: skip
    with pytest.raises(InputError, match="unsupported file type"):
        (tmp_path / "log.json").write_text("{}", encoding="utf-8")
        fit_gate_log(tmp_path / "log.json")
    with pytest.raises(InputError) as info:
        fit_gate_log(
            pd.DataFrame({"car_id": ["x"], "entry_time": ["yesterday"], "exit_time": [""]})
        )
    zh = info.value.user_message("zh")
    assert "第 1 行：entry_time 'yesterday' 不是日期时间" in zh and "解决办法" in zh


def test_no_class_information_warns():
    frame = pd.DataFrame(
        {"car_id": ["a", "b"], "entry_time": ["2024-03-04 08:00", "2024-03-04 09:00"],
         "exit_time": ["2024-03-04 10:00", "2024-03-04 11:30"]}
    )  # fmt: skip
    with pytest.warns(GridmapWarning, match="every car is fitted as a visitor"):
        fit = fit_gate_log(frame)
    assert set(fit["lots"]["lot"]) == {"visitor"}
    assert fit["lots"]["lot"]["visitor"]["dwell_minutes"]["mean"] == 135.0
    plates = fit_gate_log(frame, residents=["a"])
    assert set(plates["lots"]["lot"]) == {"resident", "visitor"}


def test_charts_without_cjk_font_warn_and_use_english(tmp_path: Path, monkeypatch):
    result = run_scenario(
        {"method": "demand", "uses": [{"name": "a", "base_spaces": 10, "profile": [50] * 24}]}
    )
    monkeypatch.setattr(charts_module, "cjk_font", lambda: None)
    with pytest.warns(GridmapWarning, match="no CJK font"):
        paths = write_outputs(result, tmp_path)
    svg = next(p for p in paths if p.suffix == ".svg").read_text(encoding="utf-8")
    assert "shared parking demand" in svg and "共享" not in svg
