"""Every error and warning the package shows exists in Chinese and English.

The raise and warn sites are read from the source (AST): each must pass a
``msg("key", ...)`` from the catalogue with exactly the template's values, so
a new English-only message fails here rather than in front of a planner.
"""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import pytest

from gridmap.errors import GridmapWarning, InputError, localized, warn
from gridmap.messages import CATALOGUE, Msg, cli_language, msg, placeholders

PACKAGE = Path(__file__).resolve().parents[1] / "gridmap"
ERROR_CLASSES = {
    "GridmapError",
    "InputError",
    "CRSError",
    "HostileInputError",
    "InfeasibleError",
}
CJK = re.compile(r"[\u4e00-\u9fff]")
# Files that define the mechanism itself.
EXEMPT = {PACKAGE / "errors.py"}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _sources() -> list[tuple[Path, ast.Module]]:
    files = sorted(p for p in PACKAGE.rglob("*.py") if p not in EXEMPT)
    files = [p for p in files if "messages" not in p.relative_to(PACKAGE).parts]
    return [(p, ast.parse(p.read_text(encoding="utf-8"), filename=str(p))) for p in files]


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"


def _calls() -> list[tuple[Path, ast.Call]]:
    return [
        (path, node)
        for path, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    ]


def test_every_raise_and_warn_site_passes_a_catalogue_message() -> None:
    problems = []
    for path, call in _calls():
        name = _name(call.func)
        is_warn = name == "warn" and not (
            isinstance(call.func, ast.Attribute) and _name(call.func.value) == "warnings"
        )
        if name not in ERROR_CLASSES and not is_warn:
            continue
        if not call.args:
            problems.append(f"{_where(path, call)}: {name}() without a message")
            continue
        first = call.args[0]
        if isinstance(first, ast.Constant | ast.JoinedStr | ast.BinOp):
            problems.append(f"{_where(path, call)}: {name}() with literal text, use msg(key)")
        if any(k.arg == "fix" for k in call.keywords):
            problems.append(f"{_where(path, call)}: fix= belongs in the catalogue entry")
    assert not problems, "\n".join(problems)


def test_every_msg_call_names_a_key_with_exactly_its_values() -> None:
    problems = []
    for path, call in _calls():
        if _name(call.func) != "msg":
            continue
        where = _where(path, call)
        if not call.args or not isinstance(call.args[0], ast.Constant):
            problems.append(f"{where}: msg() key must be a string literal")
            continue
        key = call.args[0].value
        if key not in CATALOGUE:
            problems.append(f"{where}: {key!r} is not in the catalogue")
            continue
        if any(k.arg is None for k in call.keywords):
            problems.append(f"{where}: msg({key!r}, **values) cannot be checked; name them")
            continue
        entry = CATALOGUE[key]
        wanted = placeholders(entry.en) | placeholders(entry.fix_en)
        given = {k.arg for k in call.keywords if k.arg}
        if given != wanted:
            problems.append(f"{where}: {key!r} wants {sorted(wanted)}, given {sorted(given)}")
    assert not problems, "\n".join(problems)


def test_no_warnings_warn_outside_the_errors_module() -> None:
    sites = [
        _where(path, call)
        for path, call in _calls()
        if _name(call.func) == "warn"
        and isinstance(call.func, ast.Attribute)
        and _name(call.func.value) == "warnings"
    ]
    assert not sites, f"use gridmap.errors.warn(msg(...)) instead: {sites}"


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_catalogue_entry_is_complete_in_both_languages(key: str) -> None:
    entry = CATALOGUE[key]
    assert entry.en.strip() and entry.zh.strip()
    assert CJK.search(entry.zh), f"{key}: the Chinese text has no Chinese"
    assert placeholders(entry.en) == placeholders(entry.zh), key
    assert (entry.fix_en is None) == (entry.fix_zh is None), key
    if entry.fix_en is not None:
        assert entry.fix_zh is not None and CJK.search(entry.fix_zh), key
        assert placeholders(entry.fix_en) == placeholders(entry.fix_zh), key


def test_every_catalogue_key_is_used_somewhere() -> None:
    used = {
        call.args[0].value
        for _, call in _calls()
        if _name(call.func) == "msg" and call.args and isinstance(call.args[0], ast.Constant)
    }
    # Keys chosen at run time are spelled out in full in the source as strings.
    text = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    unused = [
        k for k in CATALOGUE if k not in used and f'"{k}"' not in text.replace(f'"{k}": Text(', "")
    ]
    assert not unused, f"catalogue keys nothing uses: {unused}"


def test_message_renders_in_both_languages_with_its_fix() -> None:
    message = msg("cli.cannot_open", name="a.gpkg", reason="No such file")
    assert message.line("en") == "cannot open a.gpkg: No such file; fix: check the path"
    assert message.line("zh") == "无法打开 a.gpkg：No such file；解决办法：检查文件路径"
    assert str(message) == message.line("en")


def test_unknown_key_or_missing_value_is_a_bug() -> None:
    with pytest.raises(KeyError, match="not in gridmap.messages"):
        msg("no.such.key")
    with pytest.raises(KeyError, match="needs values"):
        msg("cli.cannot_open", name="x")


def test_error_and_warning_carry_the_message_for_either_language() -> None:
    error = InputError(msg("cli.interrupted"))
    assert str(error) == "interrupted"
    assert error.user_message() == "interrupted; fix: run the command again"
    assert error.user_message("zh") == "已中断；解决办法：重新运行该命令"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridmapWarning)
        warn(msg("cli.interrupted"))
    (record,) = caught
    assert isinstance(record.message, GridmapWarning)
    assert isinstance(record.message.msg, Msg)
    assert localized(record.message, "zh").startswith("已中断")
    assert localized(record.message, "en").startswith("interrupted")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GRIDMAP_LANG": "zh"}, "zh"),
        ({"GRIDMAP_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_command_line_language_follows_gridmap_lang_then_locale(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in ("GRIDMAP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli_language() == expected


def test_errors_and_warnings_pickle_with_their_message() -> None:
    import pickle

    # Dask workers send errors back to the client pickled.
    error = pickle.loads(pickle.dumps(InputError(msg("cli.cannot_open", name="a", reason="b"))))
    assert error.user_message("zh").startswith("无法打开 a")
    warning = pickle.loads(pickle.dumps(GridmapWarning("x", msg("cli.interrupted"))))
    assert warning.line("zh").startswith("已中断")


def test_a_text_value_renders_in_the_language_of_its_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gridmap.messages import Text

    catalogue = dict(CATALOGUE)
    catalogue["t.outer"] = Text(en="cannot read {what}", zh="无法读取{what:zh}")
    catalogue["t.inner"] = Text(en="the register", zh="户籍台账")
    monkeypatch.setattr("gridmap.messages.CATALOGUE", catalogue)
    inner = msg("t.inner")
    assert msg("t.outer", what=inner).line("zh") == "无法读取户籍台账"
    assert msg("t.outer", what=inner).line("en") == "cannot read the register"
    # A plain value under a language spec is shown as it is, never an error.
    assert msg("t.outer", what="a.csv").line("zh") == "无法读取a.csv"
    assert msg("t.outer", what=3).line("zh") == "无法读取3"
