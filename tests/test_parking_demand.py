"""The shared-parking demand method against published worked examples and code tables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gridmap.errors import GridmapWarning, InputError
from gridmap.parking import load_profile, load_scenario, profile_names, run_scenario
from gridmap.parking.demand import round_spaces, to_decimal
from gridmap.parking.profiles import load_period_table

# The smallest demand scenario of DATA_MODEL.md, as written there.
SMALLEST_YAML = """\
method: demand
slot_minutes: 60            # 60 -> 24 slots, 15 -> 96 slots
rounding: half_up           # or half_even; applied to each use's slot demand
uses:
  - name: office
    base_spaces: 600        # peak demand of this use alone
    profile: [0, 0, 0, 0, 0, 3, 15, 50, 90, 100, 100, 90, 85, 90, 100, 100, 90, 50, 20, 10, 5, 3, 1, 0]
  - name: residential
    ratio: 1.2              # spaces per unit of size
    size: 470               # e.g. dwellings
    profile: cleveland_heights/residential/weekday   # shipped with gridmap
"""


def _ite(retail_ksf: int, rounding: str = "half_up") -> dict:
    """ITE Journal 2018 Tables 1/2: 200 ksf office at 3/ksf, retail at 5/ksf."""
    return run_scenario(
        {
            "method": "demand",
            "periods": "ite_journal_2018",
            "rounding": rounding,
            "uses": [
                {
                    "name": "office",
                    "ratio": 3,
                    "size": 200,
                    "profile": "ite_journal_2018/office/periods",
                },
                {
                    "name": "retail",
                    "ratio": 5,
                    "size": retail_ksf,
                    "profile": "ite_journal_2018/retail/periods",
                },
            ],
        }  # fmt: skip
    )


def test_ite_2018_table1_printed_totals():
    # ITEJ_2018_04_SHARED Table 1: 10 ksf retail; printed 635/553/578/95/170, peak 635, savings 15.
    result = _ite(10)
    assert result["hourly_total"] == [635, 553, 578, 95, 170]
    assert result["peak"] == 635
    assert result["sum_of_peaks"] == 650
    assert result["savings"] == 15
    assert result["peak_slot"] == 0 and result["peak_time"] == "10:00"
    assert result["uses"]["retail"] == [35, 43, 38, 35, 50]
    assert result["profile_sources"]["office"]["source_id"] == "ITEJ_2018_04_SHARED"


def test_ite_2018_table2_printed_totals():
    # Table 2: office + 100 ksf retail; printed 950/935/915/410/620, peak 950, savings 150.
    result = _ite(100)
    assert result["hourly_total"] == [950, 935, 915, 410, 620]
    assert result["peak"] == 950
    assert result["savings"] == 150
    assert result["savings_percent"] == pytest.approx(13.6)


def test_ite_table1_needs_half_up_rounding():
    # 10 ksf x 5 x 85 % = 42.5 spaces: half-up gives the printed 553, half-even 552.
    assert _ite(10, "half_even")["hourly_total"] == [635, 552, 578, 95, 170]


def test_half_up_and_half_even_differ_on_a_half():
    assert round_spaces(Decimal("2.5"), "half_up") == 3
    assert round_spaces(Decimal("2.5"), "half_even") == 2
    assert round_spaces(Decimal("3.5"), "half_even") == 4
    uses = [{"name": "a", "base_spaces": 5, "profile": [50] * 24}]
    up = run_scenario({"method": "demand", "rounding": "half_up", "uses": uses})
    even = run_scenario({"method": "demand", "rounding": "half_even", "uses": uses})
    assert up["peak"] == 3 and even["peak"] == 2


def test_decimal_arithmetic_is_exact():
    # 1.2 x 470 x 55 % = 310.2 exactly; binary floating point would give 310.19999...
    assert to_decimal(1.2) * to_decimal(470) * Decimal(55) / 100 == Decimal("310.2")
    # 0.1 x 25 = 2.5 exactly, so half-up rounds to 3 (a float product is 2.5000000000000004).
    result = run_scenario(
        {"method": "demand", "rounding": "half_even",
         "uses": [{"name": "x", "ratio": 0.1, "size": 25, "profile": [100] * 24}]}
    )  # fmt: skip
    assert result["peak"] == 2


def test_cleveland_heights_collective_calculation():
    # Schedule 1161.04(b): residential 100, office 200, commercial (retail) 150 spaces.
    # Periods (weekday, weekend) x (mid-7am, 7am-6pm, 6pm-mid), percentages of the schedule:
    # residential 100/55/85 100/65/75, office 5/100/5 0/10/10, commercial 0/100/80 0/70/60.
    result = run_scenario(
        {
            "method": "demand",
            "periods": "cleveland_heights",
            "uses": [
                {
                    "name": "homes",
                    "base_spaces": 100,
                    "profile": "cleveland_heights/residential/periods",
                },
                {
                    "name": "offices",
                    "base_spaces": 200,
                    "profile": "cleveland_heights/office/periods",
                },
                {
                    "name": "shops",
                    "base_spaces": 150,
                    "profile": "cleveland_heights/retail/periods",
                },
            ],
        }  # fmt: skip
    )
    assert result["hourly_total"] == [110, 405, 215, 100, 190, 185]
    assert result["peak"] == 405
    assert result["peak_label"] == "weekday 7am-6pm"
    assert result["sum_of_peaks"] == 450
    assert result["savings"] == 45
    # The hourly tables give the same requirement for each day type.
    hourly = {}
    for day in ("weekday", "weekend"):
        hourly[day] = run_scenario(
            {
                "method": "demand",
                "uses": [
                    {
                        "name": "homes",
                        "base_spaces": 100,
                        "profile": f"cleveland_heights/residential/{day}",
                    },
                    {
                        "name": "offices",
                        "base_spaces": 200,
                        "profile": f"cleveland_heights/office/{day}",
                    },
                    {
                        "name": "shops",
                        "base_spaces": 150,
                        "profile": f"cleveland_heights/retail/{day}",
                    },
                ],
            }  # fmt: skip
        )["peak"]
    assert max(hourly.values()) == 405
    assert hourly["weekend"] == 190


def test_period_tables_hold_the_sources():
    table = load_period_table("brigham_city")
    assert table.source_id == "BRIGHAM_CITY_UT_156_452"
    assert "all nighttime midnight-6am" in table.labels
    assert set(table.values) >= {"residential", "office", "retail"}
    assert len(load_period_table("jackson_county").periods) == 5


def test_smallest_yaml_runs_as_written(tmp_path: Path):
    path = tmp_path / "smallest.yaml"
    path.write_text(SMALLEST_YAML, encoding="utf-8")
    result = run_scenario(load_scenario(path))
    office = [
        0,
        0,
        0,
        0,
        0,
        3,
        15,
        50,
        90,
        100,
        100,
        90,
        85,
        90,
        100,
        100,
        90,
        50,
        20,
        10,
        5,
        3,
        1,
        0,
    ]
    # Cleveland Heights residential weekday: 100 % mid-7am, 55 % 7am-6pm, 85 % 6pm-mid of 564.
    homes = [564] * 7 + [310] * 11 + [479] * 6
    assert result["uses"]["office"] == [6 * p for p in office]
    assert result["uses"]["residential"] == homes
    assert result["hourly_total"] == [6 * p + h for p, h in zip(office, homes, strict=True)]
    assert result["peak"] == 910 and result["peak_slot"] == 9 and result["peak_time"] == "09:00"
    assert result["sum_of_peaks"] == 1164 and result["savings"] == 254
    assert result["profile_sources"]["residential"]["source_id"] == "CLEVELAND_HTS_OH_1161_04"


def test_fifteen_minute_slots_repeat_hourly_values(tmp_path: Path):
    path = tmp_path / "q.yaml"
    path.write_text(SMALLEST_YAML.replace("slot_minutes: 60", "slot_minutes: 15"), "utf-8")
    quarter = run_scenario(load_scenario(path))
    hourly = run_scenario(load_scenario(tmp_path / "q.yaml") | {"slot_minutes": 60})
    assert len(quarter["hourly_total"]) == 96
    assert quarter["hourly_total"] == [v for v in hourly["hourly_total"] for _ in range(4)]
    assert quarter["peak_slot"] == 36 and quarter["peak_time"] == "09:00"
    assert quarter["peak"] == hourly["peak"]


def test_ninety_six_value_profile_with_quarter_hours():
    profile = [100 if 32 <= i < 34 else 0 for i in range(96)]
    result = run_scenario(
        {"method": "demand", "slot_minutes": 15,
         "uses": [{"name": "x", "base_spaces": 10, "profile": profile}]}
    )  # fmt: skip
    assert result["peak_time"] == "08:00" and result["hourly_total"][33] == 10
    assert result["hourly_total"][34] == 0


def test_monthly_and_non_captive_factors():
    result = run_scenario(
        {"method": "demand",
         "uses": [{"name": "shop", "base_spaces": 200, "monthly_percent": 90,
                   "non_captive_ratio": 0.85, "profile": [100] * 24}]}
    )  # fmt: skip
    assert result["peak"] == 153  # 200 x 0.9 x 0.85


def test_profile_names_and_lookup():
    names = profile_names()
    assert "cleveland_heights/residential/weekday" in names
    assert "brigham_city/office/weekend" in names
    assert "jackson_county/retail/weekday" in names
    assert not any(n.startswith("ite_journal_2018/") for n in names)
    assert "ite_journal_2018/office/periods" in profile_names(kind="periods")
    profile = load_profile("jackson_county/office/weekday")
    assert [int(v) for v in profile.values[:7]] == [10, 5, 5, 5, 5, 5, 100]


def test_bare_profile_name_lists_the_choices():
    with pytest.raises(InputError, match="unknown profile 'residential'") as info:
        load_profile("residential")
    assert "cleveland_heights/residential/weekday" in info.value.user_message()
    with pytest.raises(InputError, match=r"unknown profile 'nowhere/residential/weekday'"):
        load_profile("nowhere/residential/weekday")
    with pytest.raises(InputError, match="has only periods"):
        load_profile("ite_journal_2018/office/weekday")
    with pytest.raises(InputError) as info:
        load_profile("residential")
    zh = info.value.user_message("zh")
    assert "未知的时变曲线 'residential'" in zh and "source/land_use/day_type" in zh
    assert "cleveland_heights/residential/weekday" in zh


def test_mixed_day_types_warn():
    with pytest.warns(GridmapWarning, match="mixes day types"):
        run_scenario(
            {"method": "demand",
             "uses": [{"name": "a", "base_spaces": 10, "profile": "cleveland_heights/office/weekday"},
                      {"name": "b", "base_spaces": 10,
                       "profile": "cleveland_heights/retail/weekend"}]}
        )  # fmt: skip


def test_user_profile_file(tmp_path: Path):
    rows = ["source_id,land_use,day_type,hour,percent"]
    rows += [f"MY_SURVEY,clinic,weekday,{h},{100 if 8 <= h < 17 else 0}" for h in range(24)]
    (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "method: demand\nprofile_files: [mine.csv]\nuses:\n"
        "  - {name: clinic, base_spaces: 40, profile: my_survey/clinic/weekday}\n",
        encoding="utf-8",
    )
    result = run_scenario(load_scenario(tmp_path / "s.yaml"))
    assert result["peak"] == 40 and result["hourly_total"][7] == 0
    assert result["profile_sources"]["clinic"]["source_id"] == "MY_SURVEY"
