"""Reading a party-member list (CSV / .xlsx table, or a vector file of home points)."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gridmap.errors import InputError
from gridmap.io.households import read_register
from gridmap.io.read import read_vector
from gridmap.messages import msg

__all__ = ["read_members"]

_NUMERIC = ("capacity", "lon", "lat")
_TRUE = {"1", "true", "yes", "y", "是", "在岗"}
_FALSE = {"0", "false", "no", "n", "否", "不在岗"}
# Chinese headers of member registers -> DATA_MODEL names.
_HEADERS = {
    "党员编号": "member_id",
    "编号": "member_id",
    "楼栋编号": "building_id",
    "住址楼栋": "building_id",
    "姓名": "name",
    "经度": "lon",
    "纬度": "lat",
    "联系户数": "capacity",
    "是否在岗": "available",
    "角色": "role",
}


def _numbers(table: pd.DataFrame, column: str, path: Path) -> pd.Series:
    text = table[column].replace("", None)
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & text.notna()
    if bad.any():
        row = table.loc[bad, "_row"].iloc[0]
        raise InputError(
            msg("io.member_not_number", path=path, row=row, column=column, value=text[bad].iloc[0])
        )
    return values


def read_members(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a member list for :func:`gridmap.members.assign_members`.

    Parameters
    ----------
    path : str or path-like
        CSV or .xlsx with ``member_id`` and a home (``building_id`` or ``lon`` /
        ``lat`` in EPSG:4326); optional ``capacity``, ``available``, ``role``,
        ``name``. Any supported vector file of home points works too.

    Returns
    -------
    DataFrame or GeoDataFrame
        One row per member.
    """
    p = Path(path)
    if p.suffix.lower() not in (".csv", ".txt", ".xlsx", ".xls"):
        points: gpd.GeoDataFrame = read_vector(p)
        return points
    table = read_register(p).rename(columns=_HEADERS)
    if "member_id" not in table.columns:
        raise InputError(msg("io.members_no_id", path=p))
    for column in _NUMERIC:
        if column in table.columns:
            table[column] = _numbers(table, column, p)
    if "available" in table.columns:
        flags = table["available"].str.lower()
        unknown = ~flags.isin(_TRUE | _FALSE | {""})
        if unknown.any():
            row = table.loc[unknown, "_row"].iloc[0]
            raise InputError(
                msg(
                    "io.member_available_bad",
                    path=p,
                    row=row,
                    value=table["available"][unknown].iloc[0],
                )
            )
        table["available"] = ~flags.isin(_FALSE)
    return table.drop(columns="_row")
