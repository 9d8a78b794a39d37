"""The command line: one `error:` line and exit 2 for user mistakes, never a traceback."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from gridmap.cli import main
from gridmap.messages import CATALOGUE, msg
from gridmap.messages.values import Rendered


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


def test_error_line_in_chinese_with_gridmap_lang_zh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDMAP_LANG", "zh")
    missing = tmp_path / "nope.geojson"
    assert main(["import", str(missing), "--out", str(tmp_path / "p.gpkg")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {missing}：文件不存在；解决办法：检查文件路径"]

    src = tmp_path / "b.geojson"
    src.write_text('{"type":"FeatureCollection","features":[]}', encoding="utf-8")
    code = main(["grids", str(src), "--out", str(tmp_path / "o"), "--min", "500", "--max", "300"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "error: 网格户数范围 --min 500 --max 300 不成立；"
        "解决办法：须满足 0 <= --min <= --max，例如 --min 300 --max 500"
    )


def _fields(template: str | None) -> dict[str, str]:
    return {name: spec for _, name, spec, _ in string.Formatter().parse(template or "") if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_worded_values_are_asked_for_in_the_template_language(key: str) -> None:
    """A value with words in both languages is ``{field}`` in English, ``{field:zh}`` in Chinese."""
    entry = CATALOGUE[key]
    for en, zh in ((entry.en, entry.zh), (entry.fix_en, entry.fix_zh)):
        english, chinese = _fields(en), _fields(zh)
        assert "zh" not in english.values(), key
        assert "en" not in chinese.values(), key
        for name, spec in chinese.items():
            if spec == "zh":
                assert english[name] in ("", "en"), key


def test_a_worded_value_follows_the_language_of_its_message() -> None:
    item = msg("core.osm_skipped_item", feature="w5", reason=msg("core.osm_skip_not_closed"))
    assert item.line("en") == "w5: the way is not closed"
    assert item.line("zh") == "要素 w5：路径未闭合"
    both = Rendered.join([item, msg("core.osm_skipped_more", count=3)])
    assert (f"{both}", f"{both:zh}") == (
        "w5: the way is not closed; and 3 more",
        "要素 w5：路径未闭合；另有 3 个",
    )
    with pytest.raises(ValueError, match="no format spec but zh"):
        f"{both:>20}"
