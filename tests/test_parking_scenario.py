"""Scenario validation: every bad-input class is an InputError naming the key."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gridmap.errors import GridmapWarning, InputError
from gridmap.parking import load_scenario, validate_scenario

SIM: dict[str, Any] = {
    "method": "simulate",
    "days": 3,
    "lots": [
        {"lot_id": "home", "kind": "residential", "capacity": 50, "shared": 10,
         "window": "08:30-17:30"},
        {"lot_id": "office", "kind": "office", "capacity": 40, "reserved": 5, "shared": 30,
         "window": "18:00-08:00", "x": 200, "y": 0},
    ],
    "users": [
        {"name": "res", "class": "resident", "home_lot": "home", "cars": 40,
         "leave": {"mean": "07:45", "sd_minutes": 30}, "return": {"mean": "18:30", "sd_minutes": 30}},
        {"name": "vis", "class": "visitor", "arrivals_per_day": 20,
         "arrive": {"mean": "12:00", "sd_minutes": 60}, "dwell": {"mean_minutes": 60}},
    ],
}  # fmt: skip


@contextmanager
def raises_input(pattern: str) -> Iterator[None]:
    """InputError whose one-line user message (message and fix) matches ``pattern``."""
    with pytest.raises(InputError) as info:
        yield
    text = info.value.user_message()
    assert re.search(pattern, text), text


def _sim(**changes: Any) -> dict[str, Any]:
    sc = copy.deepcopy(SIM)
    for path, value in changes.items():
        target = sc
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is ...:
            del target[parts[-1]]
        else:
            target[parts[-1]] = value
    return sc


def test_valid_scenario_gets_defaults_and_is_not_mutated():
    before = copy.deepcopy(SIM)
    out = validate_scenario(SIM)
    assert before == SIM
    assert out["slot_minutes"] == 15 and out["allocation"] == "fcfs"
    assert out["lots"][0]["reserved"] == 0 and out["lots"][0]["weekend_window"] == "08:30-17:30"
    assert out["users"][0]["stay_home_share"] == 0.3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"lots__0__reserved": 60},
            r"lots\[0\] \(home\)\.reserved: reserve 60 is above capacity 50",
        ),
        ({"lots__1__shared": 36}, r"lots\[1\] \(office\)\.shared: shared 36 \+ reserved 5"),
        ({"lots__0__capacity": -5}, r"lots\[0\] \(home\)\.capacity: -5 is negative"),
        ({"lots__0__capacity": 10.5}, r"capacity: 10\.5 is not a whole number"),
        ({"users__0__cars": -1}, r"users\[0\] \(res\)\.cars: -1 is negative"),
        ({"users__1__arrivals_per_day": -3}, r"arrivals_per_day: -3 is negative"),
        ({"lots__0__price_per_hour": -2}, r"price_per_hour: -2 is negative"),
        ({"users__0__stay_home_share": 1.5}, r"stay_home_share: 1\.5 is above 1"),
        ({"lots__0__window": "08:30-08:30"}, r"window: window '08:30-08:30' has equal start"),
        ({"lots__0__window": "8:30 to 17:30"}, r"window: '8:30 to 17:30' is not a window"),
        ({"lots__0__window": "08:30-25:00"}, r"not a valid time of day"),
        ({"lots__1__weekend_window": "18:00"}, r"weekend_window: '18:00' is not a window"),
        ({"lots__0__window": None}, r"window: missing: shared spaces need a time window"),
        ({"users__0__home_lot": "nowhere"}, r"home_lot: unknown lot id 'nowhere'.*home, office"),
        ({"distances": {"res": {"mall": 100}}}, r"distances\.res\.mall: unknown lot id 'mall'"),
        ({"distances": {"nobody": {"home": 100}}}, r"distances\.nobody: unknown user"),
        ({"users__0__home_lot": ...}, r"users\[0\] \(res\)\.home_lot: missing"),
        ({"lots__0__capacity": ...}, r"lots\[0\] \(home\)\.capacity: missing"),
        ({"users__0__leave": ...}, r"users\[0\] \(res\)\.leave: missing"),
        ({"lots": ...}, r"lots: missing"),
        ({"users": []}, r"users: expected a non-empty list"),
        ({"method": ...}, r"method: missing"),
        ({"method": "guess"}, r"method: 'guess' is not one of demand, simulate"),
        (
            {"users__0__leave": {"mean": 465, "sd_minutes": 30}},
            r"leave\.mean: 465 is not a time.*quotes",
        ),
        ({"users__0__class": "tourist"}, r"class: 'tourist' is not one of"),
        ({"users__1__cars": 3}, r"cars: does not apply to class visitor"),
        ({"users__1__arrive": {"histogram": [1] * 23}}, r"arrive\.histogram: has 23 values"),
        ({"users__1__arrive": {"histogram": "office"}}, r"unknown profile 'office'"),
        ({"lots__1__lot_id": "home"}, r"duplicate lot_id 'home'"),
        ({"slot_minutes": 7}, r"slot_minutes: 7 is not one of"),
        ({"days": 0}, r"days: 0 is below 1"),
        ({"lots__0__kind": "garage"}, r"kind: 'garage' is not one of"),
        ({"lots__0__x": 5}, r"lots\[0\] \(home\)\.y: missing"),
        ({"lots__0__lon": 116.3, "lots__0__lat": 40.0}, r"mix of x/y and lon/lat"),
    ],
)
def test_bad_simulate_input_names_the_key(changes: dict[str, Any], message: str):
    with raises_input(message):
        validate_scenario(_sim(**changes))


@pytest.mark.parametrize(
    ("use", "message"),
    [
        ({"name": "a", "base_spaces": 10, "profile": [10] * 23},
         r"uses\[0\]\.profile: has 23 values.*give 24 values"),
        ({"name": "a", "base_spaces": 10, "profile": [10] * 96},
         r"has 96 values but slot_minutes is 60"),
        ({"name": "a", "base_spaces": 10, "profile": [10] * 23 + [-1]},
         r"uses\[0\]\.profile\[23\]: -1 is negative"),
        ({"name": "a", "base_spaces": 10, "profile": [10] * 23 + [120]},
         r"profile\[23\]: 120 is above 100"),
        ({"name": "a", "base_spaces": -10, "profile": [10] * 24}, r"base_spaces: -10 is negative"),
        ({"name": "a", "ratio": 2, "profile": [10] * 24}, r"uses\[0\]\.base_spaces: missing"),
        ({"name": "a", "base_spaces": 1, "ratio": 2, "size": 3, "profile": [1] * 24}, r"not both"),
        ({"name": "a", "base_spaces": 10}, r"uses\[0\]\.profile: missing"),
        ({"name": "a", "base_spaces": 10, "profile": "residential"},
         r"uses\[0\]\.profile: unknown profile 'residential'.*cleveland_heights/residential/weekday"),
        ({"name": "a", "base_spaces": 10, "profile": "cleveland_heights/office/holiday"},
         r"unknown profile 'cleveland_heights/office/holiday'"),
        ({"name": "a", "base_spaces": 10, "profile": "ite_journal_2018/office/periods"},
         r"is a period table.*periods: ite_journal_2018"),
        ({"name": "a", "base_spaces": "10", "profile": [1] * 24}, r"base_spaces: '10' is not a number"),
    ],
)  # fmt: skip
def test_bad_demand_input_names_the_key(use: dict[str, Any], message: str):
    with raises_input(message):
        validate_scenario({"method": "demand", "uses": [use]})


def test_demand_periods_errors():
    with pytest.raises(InputError, match="periods: unknown period table 'ulI'"):
        validate_scenario({"method": "demand", "periods": "ulI", "uses": []})
    with pytest.raises(InputError, match="slot_minutes: does not apply"):
        validate_scenario(
            {"method": "demand", "periods": "cleveland_heights", "slot_minutes": 60,
             "uses": [{"name": "a", "base_spaces": 1, "profile": [1] * 6}]}
        )  # fmt: skip
    with pytest.raises(InputError, match="has no land use 'bakery'"):
        validate_scenario(
            {"method": "demand", "periods": "cleveland_heights",
             "uses": [{"name": "a", "base_spaces": 1,
                       "profile": "cleveland_heights/bakery/periods"}]}
        )  # fmt: skip


def test_yaml_file_errors(tmp_path: Path):
    with pytest.raises(InputError, match="does not exist"):
        load_scenario(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: demand\nuses: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_scenario(bad)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="a scenario is a mapping"):
        load_scenario(listed)
    unquoted = tmp_path / "time.yaml"
    unquoted.write_text(
        "method: simulate\nlots: [{lot_id: a, capacity: 10}]\nusers:\n"
        "  - {name: r, class: resident, home_lot: a, cars: 5,\n"
        "     leave: {mean: 7:45, sd_minutes: 10}, return: {mean: '18:00', sd_minutes: 10}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"time\.yaml: users\[0\] \(r\)\.leave\.mean: 465"):
        load_scenario(unquoted)


def test_typo_in_a_key_warns():
    sc = _sim()
    sc["lots"][0]["grace_minute"] = 5
    with pytest.warns(GridmapWarning, match="grace_minute is not a scenario key.*grace_minutes"):
        validate_scenario(sc)


def test_scenario_errors_read_in_chinese_with_yaml_keys_kept():
    with pytest.raises(InputError) as info:
        validate_scenario(_sim(lots__0__reserved=60))
    zh = info.value.user_message("zh")
    assert zh.startswith("scenario: lots[0] (home).reserved：")
    assert "保留车位 60 个，超过总车位 50 个" in zh
    assert "解决办法：" in zh and "capacity" in zh
    assert "above" not in zh
    with pytest.raises(InputError) as info:
        validate_scenario(_sim(users__0__leave={"mean": 465, "sd_minutes": 30}))
    zh = info.value.user_message("zh")
    assert "users[0] (res).leave.mean：465 不是 'HH:MM' 格式的时间" in zh
    assert "加上引号" in zh
    with pytest.raises(InputError) as info:
        validate_scenario(_sim(users__0__home_lot="nowhere"))
    assert "未知的停车场编号 'nowhere'" in info.value.user_message("zh")
    assert "home, office" in info.value.user_message("zh")


def test_typo_warning_reads_in_chinese():
    sc = _sim()
    sc["lots"][0]["grace_minute"] = 5
    with pytest.warns(GridmapWarning) as record:
        validate_scenario(sc)
    (warning,) = [w.message for w in record if isinstance(w.message, GridmapWarning)]
    assert isinstance(warning, GridmapWarning)
    zh = warning.line("zh")
    assert "grace_minute 不是情景中的有效键" in zh and "'grace_minutes'" in zh


def test_profile_length_hint_names_both_lengths_in_either_language():
    sc = _sim(users__1__arrive={"histogram": [1] * 23})
    with pytest.raises(InputError) as info:
        validate_scenario(sc)
    assert info.value.fix == "give 24 or 96 values (percent of peak per slot)"
    assert "给出 24 或 96 个数值" in info.value.user_message("zh")


def test_whole_day_window_is_valid():
    out = validate_scenario(_sim(lots__1__window="00:00-24:00"))
    assert out["lots"][1]["window"] == "00:00-24:00"
