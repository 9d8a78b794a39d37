"""Household registers (户籍/住户台账) from CSV or Excel joined onto building footprints.

Street offices keep households per building in spreadsheets keyed by building
id, name or address. :func:`join_households` reads such a table (CSV in UTF-8,
UTF-8 with BOM or GBK; .xlsx through openpyxl in read-only mode, after the zip
checks of :mod:`gridmap.io.safety`), matches rows to buildings and reports what
matched nothing on either side. Keys are compared after Unicode NFKC
normalisation (full-width and half-width forms alike) and with spaces removed.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap import settings
from gridmap.errors import InputError, warn
from gridmap.io import safety
from gridmap.io.buildings import parse_count
from gridmap.io.read import read_table_text
from gridmap.messages import msg
from gridmap.messages.values import Joined, Phrase

__all__ = ["REGISTER_KEYS", "REGISTER_HOUSEHOLDS", "read_register", "join_households"]

# Key kind -> (headers in a register, columns of the buildings table to match).
REGISTER_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "building_id": (
        ("building_id", "bldg_id", "楼栋编号", "建筑编号", "建筑物编号", "楼栋id", "编号", "id"),
        ("building_id",),
    ),
    "name": (
        ("name", "building_name", "名称", "楼栋名称", "楼栋", "楼名", "建筑名称", "楼号"),
        ("name",),
    ),
    "address": (
        ("address", "addr", "地址", "楼栋地址", "门牌", "门牌地址", "门牌号"),
        ("address", "addr"),
    ),
}
REGISTER_HOUSEHOLDS = ("households", "hh", "户数", "住户数", "总户数", "居民户数", "实有户数")
_XLSX_MAX_CELLS = 5_000_000


def _norm(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).lower()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(path: Path) -> pd.DataFrame:
    safety.check_zip(path, what="xlsx workbook")
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputError(msg("io.xlsx_unreadable", path=path, reason=str(exc))) from exc
    try:
        sheet = book.worksheets[0]
        rows: list[list[str]] = []
        cells = 0
        for row in sheet.iter_rows(values_only=True):
            cells += len(row)
            if cells > _XLSX_MAX_CELLS:
                raise InputError(msg("io.xlsx_too_many_cells", path=path, limit=_XLSX_MAX_CELLS))
            rows.append([_cell_text(v) for v in row])
    finally:
        book.close()
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise InputError(msg("io.xlsx_first_sheet_empty", path=path))
    header = rows[0]
    width = max(len(r) for r in rows)
    header = header + [""] * (width - len(header))
    names = [h if h else f"column {i + 1}" for i, h in enumerate(header)]
    body = [r + [""] * (width - len(r)) for r in rows[1:]]
    return pd.DataFrame(body, columns=names, dtype=object)


def read_register(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a household register (CSV or .xlsx) as strings, '' for empty cells.

    Parameters
    ----------
    path : str or path-like
        The table.

    Returns
    -------
    pandas.DataFrame
        Every cell as str; an extra column ``_row`` with the spreadsheet row
        number (the header is row 1).
    """
    p = safety.check_path(path, what="household register")
    safety.check_size(p)
    name = p.name.lower()
    if name.endswith(".xlsx"):
        if safety.detect_format(p) != "xlsx":
            raise InputError(msg("io.not_xlsx", path=p))
        table = _read_xlsx(p)
    elif name.endswith(".xls"):
        raise InputError(msg("io.old_xls", path=p))
    else:
        fmt = safety.detect_format(p)
        if fmt != "csv":
            raise InputError(msg("io.register_format", path=p, fmt=fmt))
        table = read_table_text(p.read_bytes(), p)
    table = table.astype(object).map(lambda v: "" if v is None else str(v).strip())
    table.insert(0, "_row", np.arange(len(table)) + 2)
    blank = (table.drop(columns="_row") == "").all(axis=1)
    return table.loc[~blank].reset_index(drop=True)


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    norm = {_norm(c): c for c in columns}
    for name in names:
        if _norm(name) in norm:
            return norm[_norm(name)]
    return None


def _choose_key(
    table: pd.DataFrame, buildings: gpd.GeoDataFrame, key: str | None, path: Path
) -> tuple[str, str]:
    """(register column, buildings column) to match on."""
    columns = [c for c in table.columns if c != "_row"]
    if key is not None:
        col = _find(columns, (key,))
        if col is None:
            raise InputError(
                msg("io.register_no_column", path=path, key=key, columns=Joined(columns))
            )
        for _kind, (headers, targets) in REGISTER_KEYS.items():
            if _norm(col) in {_norm(h) for h in headers}:
                for target in targets:
                    if target in buildings.columns:
                        return col, target
        if col in buildings.columns:
            return col, col
        raise InputError(msg("io.register_key_unmatched", path=path, column=col))
    for _kind, (headers, targets) in REGISTER_KEYS.items():
        col = _find(columns, headers)
        if col is None:
            continue
        for target in targets:
            if target in buildings.columns:
                return col, target
    raise InputError(msg("io.register_no_key", path=path, columns=Joined(columns)))


def join_households(
    buildings: gpd.GeoDataFrame, table_path: str | os.PathLike[str], *, key: str | None = None
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Set households from a register (CSV or .xlsx) on the buildings it names.

    Parameters
    ----------
    buildings : GeoDataFrame
        The buildings table (not changed).
    table_path : str or path-like
        Register with a key column (building id, name or address; found by its
        header, Chinese headers such as 楼栋编号 / 名称 / 地址 included) and a
        households column (households / 户数 / 住户数).
    key : str, optional
        The register's key column; default: detected.

    Returns
    -------
    tuple
        (new buildings frame, report) where report is
        ``{"matched": n, "unmatched_rows": [{"row", "key", "reason"}],
        "buildings_without_row": [building ids], "key": column,
        "matched_on": buildings column}``. Matched buildings get
        ``households`` from the register and ``households_source = 'user'``.

    Raises
    ------
    InputError
        A households value that is text, negative or above
        ``settings.MAX_HOUSEHOLDS_PER_BUILDING`` (naming the row), two rows for
        one building, or no key / households column.
    """
    path = Path(table_path)
    table = read_register(path)
    columns = [c for c in table.columns if c != "_row"]
    hh_col = _find(columns, REGISTER_HOUSEHOLDS)
    if hh_col is None:
        raise InputError(msg("io.register_no_households", path=path, columns=Joined(columns)))
    key_col, target = _choose_key(table, buildings, key, path)
    if "building_id" not in buildings.columns:
        raise InputError(msg("io.buildings_no_id"))

    index: dict[str, list[int]] = {}
    for pos, value in enumerate(buildings[target].to_numpy()):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        index.setdefault(_norm(value), []).append(pos)

    values: dict[int, tuple[int, int]] = {}
    unmatched: list[dict[str, Any]] = []
    for row, key_value, hh_value in zip(table["_row"], table[key_col], table[hh_col], strict=True):
        where = Phrase(msg("io.where_register_row", row=row, column=key_col, key=key_value))
        count = parse_count(
            hh_value,
            what="households",
            where=where,
            column=hh_col,
            source=path,
            minimum=0,
            maximum=settings.MAX_HOUSEHOLDS_PER_BUILDING,
        )
        if not key_value:
            unmatched.append({"row": int(row), "key": "", "reason": "empty key"})
            continue
        if count is None:
            raise InputError(
                msg("io.register_row_no_households", path=path, where=where, column=hh_col)
            )
        hits = index.get(_norm(key_value), [])
        if not hits:
            unmatched.append({"row": int(row), "key": key_value, "reason": "no such building"})
            continue
        if len(hits) > 1:
            unmatched.append(
                {
                    "row": int(row),
                    "key": key_value,
                    "reason": f"matches {len(hits)} buildings",
                }
            )
            continue
        pos = hits[0]
        if pos in values:
            raise InputError(
                msg(
                    "io.register_rows_duplicate",
                    path=path,
                    first=values[pos][0],
                    row=row,
                    column=target,
                    key=key_value,
                )
            )
        values[pos] = (int(row), count)

    out = buildings.copy()
    households = (
        out["households"].to_numpy(dtype=object).copy()
        if "households" in out.columns
        else np.zeros(len(out), dtype=object)
    )
    source = (
        out["households_source"].to_numpy(dtype=object).copy()
        if "households_source" in out.columns
        else np.array(["estimated"] * len(out), dtype=object)
    )
    for pos, (_row, count) in values.items():
        households[pos] = count
        source[pos] = "user"
    numbers = pd.to_numeric(pd.Series(households, index=out.index, dtype=object))
    out["households"] = numbers.astype(np.int64) if numbers.notna().all() else numbers
    out["households_source"] = pd.Series(source, index=out.index, dtype=object)
    without = [str(out["building_id"].iloc[pos]) for pos in range(len(out)) if pos not in values]
    ambiguous = [u for u in unmatched if u["reason"].startswith("matches")]
    if ambiguous:
        warn(
            msg(
                "io.register_ambiguous",
                path=path,
                count=len(ambiguous),
                column=target,
                rows=Joined(u["row"] for u in ambiguous[:10]),
            )
        )
    report = {
        "matched": len(values),
        "unmatched_rows": unmatched,
        "buildings_without_row": without,
        "key": key_col,
        "matched_on": target,
    }
    return out, report
