"""Time-of-day parking profiles: the shipped public tables and the user's own files.

A profile is the percent of a land use's peak parking demand present in each
slot of the day. gridmap ships the tables of ``profiles/`` (copied from
``shared/parking``; every number there comes from the source cited in
``profiles/SOURCES.md``):

- ``time_of_day_profiles_hourly.csv``: 24 hourly values per source, land use
  and day type, named ``source/land_use/day_type``, e.g.
  ``cleveland_heights/residential/weekday``;
- ``time_of_day_profiles.csv``: the period tables as printed in the sources,
  named ``source/land_use/periods`` and used with ``periods: source`` in a
  demand scenario (e.g. the ITE Journal 2018 worked examples, which give only
  five one-to-two-hour windows).

Users add their own hourly tables (the same columns as the hourly file, for
example the output of :func:`gridmap.parking.calibrate.write_profiles`); their
profiles are named after the file's ``source_id`` in lower case.

Percent values are kept as :class:`decimal.Decimal` so that the demand method
computes with the printed numbers exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path

from gridmap.errors import InputError
from gridmap.messages import msg

__all__ = [
    "SOURCE_NAMES",
    "SOURCE_CITATIONS",
    "Profile",
    "PeriodTable",
    "ProfileLibrary",
    "shipped_library",
    "read_profile_file",
    "load_profile",
    "load_period_table",
    "profile_names",
]

HOURLY_FILE = "time_of_day_profiles_hourly.csv"
PERIOD_FILE = "time_of_day_profiles.csv"

# Short, lower-case names by which scenarios refer to the shipped sources.
SOURCE_NAMES: dict[str, str] = {
    "cleveland_heights": "CLEVELAND_HTS_OH_1161_04",
    "brigham_city": "BRIGHAM_CITY_UT_156_452",
    "jackson_county": "JACKSON_CO_GA_672",
    "ite_journal_2018": "ITEJ_2018_04_SHARED",
}

# One line per source, from profiles/SOURCES.md; results carry it next to each profile.
SOURCE_CITATIONS: dict[str, str] = {
    "CLEVELAND_HTS_OH_1161_04": (
        "City of Cleveland Heights, Ohio, Codified Ordinances § 1161.04(b), "
        "Schedule 1161.04(b) 'Collective Parking Calculation' (Ord. 025-2023)"
    ),
    "BRIGHAM_CITY_UT_156_452": (
        "Brigham City, Utah, Code of Ordinances § 156.452 'Shared Parking', division (A)"
    ),
    "JACKSON_CO_GA_672": (
        "Jackson County, Georgia, Code of Ordinances, App. A, Art. 6, Div. VI, § 672, "
        "Table 6-3 (Ord. No. 17-003, 2017)"
    ),
    "ITEJ_2018_04_SHARED": (
        "ITE Journal, April 2018, pp. 40-42, 'Simple Way of Calculating Shared Parking "
        "Benefits', Tables 1 and 2 (illustrative values)"
    ),
}

_HOURLY_COLUMNS = ("source_id", "land_use", "day_type", "hour", "percent")


@dataclass(frozen=True)
class Profile:
    """One named time-of-day profile.

    Attributes
    ----------
    name : str
        Qualified name ``source/land_use/day_type``.
    values : tuple of Decimal
        Percent of peak per slot (24 hourly values, or one per period).
    source_id : str
        Key of the source (see ``profiles/SOURCES.md`` or the user's file).
    citation : str
        Where the numbers come from.
    labels : tuple of str
        Slot labels (``"00:00"`` ... for hourly profiles, period names otherwise).
    """

    name: str
    values: tuple[Decimal, ...]
    source_id: str
    citation: str
    labels: tuple[str, ...]

    def to_json(self) -> dict[str, str]:
        """Source description for results (no numbers)."""
        return {"profile": self.name, "source_id": self.source_id, "citation": self.citation}


@dataclass(frozen=True)
class PeriodTable:
    """The periods of one source as printed, in file order.

    Attributes
    ----------
    source : str
        Short source name.
    source_id : str
    periods : tuple of (day_type, period, start_hour, end_hour)
    values : dict
        ``land_use -> tuple of Decimal`` (one percent per period).
    """

    source: str
    source_id: str
    periods: tuple[tuple[str, str, int, int], ...]
    values: Mapping[str, tuple[Decimal, ...]]

    @property
    def labels(self) -> tuple[str, ...]:
        """``"day_type period"`` labels of the periods."""
        return tuple(f"{day} {period}" for day, period, _, _ in self.periods)


class ProfileLibrary:
    """Named hourly profiles and period tables, looked up by qualified name.

    Parameters
    ----------
    hourly : dict
        ``name -> Profile`` for 24-value profiles.
    periods : dict
        ``short source name -> PeriodTable``.
    """

    def __init__(
        self,
        hourly: Mapping[str, Profile],
        periods: Mapping[str, PeriodTable] | None = None,
    ) -> None:
        self.hourly = dict(hourly)
        self.periods = dict(periods or {})

    def merged(self, other: ProfileLibrary) -> ProfileLibrary:
        """Return a library with ``other``'s profiles added (``other`` wins on clashes)."""
        return ProfileLibrary({**self.hourly, **other.hourly}, {**self.periods, **other.periods})

    def names(self, *, kind: str = "hourly") -> list[str]:
        """Sorted qualified names: ``kind="hourly"`` or ``kind="periods"``."""
        if kind == "hourly":
            return sorted(self.hourly)
        if kind == "periods":
            return sorted(
                f"{src}/{use}/periods"
                for src, table in self.periods.items()
                for use in table.values
            )
        raise ValueError(f"kind must be 'hourly' or 'periods', not {kind!r}")

    def hourly_profile(self, name: str, *, key: str = "profile") -> Profile:
        """Return the 24-value profile ``name``; InputError listing choices otherwise."""
        if not isinstance(name, str):
            raise InputError(msg("parking.profile_name_not_text", where=key, name=name))
        if name in self.hourly:
            return self.hourly[name]
        parts = name.split("/")
        choices = _short_list(self.names())
        if len(parts) == 3 and parts[2] == "periods":
            raise InputError(
                msg(
                    "parking.profile_is_period_table",
                    where=key,
                    name=name,
                    source=parts[0],
                    choices=choices,
                )
            )
        if (
            len(parts) == 3
            and parts[0] in self.periods
            and not any(n.startswith(parts[0] + "/") for n in self.hourly)
        ):
            raise InputError(
                msg("parking.profile_source_periods_only", where=key, source=parts[0], use=parts[1])
            )
        if len(parts) != 3:
            raise InputError(
                msg("parking.profile_unknown_unqualified", where=key, name=name, choices=choices)
            )
        raise InputError(msg("parking.profile_unknown", where=key, name=name, choices=choices))

    def period_table(self, source: str, *, key: str = "periods") -> PeriodTable:
        """Return the period table of ``source`` (short name)."""
        if isinstance(source, str) and source in self.periods:
            return self.periods[source]
        raise InputError(
            msg(
                "parking.period_table_unknown",
                where=key,
                source=source,
                choices=", ".join(sorted(self.periods)),
            )
        )

    def period_profile(self, name: str, table: PeriodTable, *, key: str = "profile") -> Profile:
        """Return the period profile ``source/land_use/periods`` of ``table``."""
        parts = name.split("/") if isinstance(name, str) else []
        choices = [f"{table.source}/{use}/periods" for use in table.values]
        if len(parts) != 3 or parts[0] != table.source or parts[2] != "periods":
            raise InputError(
                msg(
                    "parking.period_profile_foreign",
                    where=key,
                    name=name,
                    source=table.source,
                    choices=", ".join(choices),
                    count=len(table.periods),
                )
            )
        if parts[1] not in table.values:
            raise InputError(
                msg(
                    "parking.period_table_no_use",
                    where=key,
                    source=table.source,
                    use=parts[1],
                    choices=", ".join(choices),
                )
            )
        return Profile(
            name=name,
            values=table.values[parts[1]],
            source_id=table.source_id,
            citation=SOURCE_CITATIONS.get(table.source_id, table.source_id),
            labels=table.labels,
        )


def _short_list(names: list[str], limit: int = 60) -> str:
    """The first ``limit`` names and a count of the rest, readable in either language."""
    shown = ", ".join(names[:limit])
    return shown + (f", … (+{len(names) - limit})" if len(names) > limit else "")


def _percent(text: str, *, origin: str, row: int) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise InputError(
            msg("parking.percent_not_number", origin=origin, row=row, text=text)
        ) from None
    if not value.is_finite() or value < 0 or value > 100:
        raise InputError(msg("parking.percent_out_of_range", origin=origin, row=row, text=text))
    return value


def _short_name(source_id: str) -> str:
    for short, sid in SOURCE_NAMES.items():
        if sid == source_id:
            return short
    return source_id.strip().lower()


def _read_hourly(rows: Iterable[dict[str, str]], *, origin: str) -> dict[str, Profile]:
    grouped: dict[str, dict[int, Decimal]] = {}
    source_ids: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        missing = [c for c in _HOURLY_COLUMNS if not (row.get(c) or "").strip()]
        if missing:
            raise InputError(
                msg(
                    "parking.profile_row_missing_columns",
                    origin=origin,
                    row=number,
                    columns=", ".join(missing),
                    required=", ".join(_HOURLY_COLUMNS),
                )
            )
        source_id = row["source_id"].strip()
        land_use = row["land_use"].strip()
        day_type = row["day_type"].strip()
        if any("/" in part for part in (source_id, land_use, day_type)):
            raise InputError(msg("parking.profile_row_slash", origin=origin, row=number))
        try:
            hour = int(row["hour"])
        except ValueError:
            raise InputError(
                msg("parking.profile_hour_not_whole", origin=origin, row=number, hour=row["hour"])
            ) from None
        if not 0 <= hour <= 23:
            raise InputError(
                msg("parking.profile_hour_out_of_range", origin=origin, row=number, hour=hour)
            )
        name = f"{_short_name(source_id)}/{land_use}/{day_type}"
        hours = grouped.setdefault(name, {})
        if hour in hours:
            raise InputError(
                msg("parking.profile_hour_twice", origin=origin, row=number, hour=hour, name=name)
            )
        hours[hour] = _percent(row["percent"], origin=origin, row=number)
        source_ids[name] = source_id
    profiles = {}
    for name, hours in grouped.items():
        if len(hours) != 24:
            absent = sorted(set(range(24)) - set(hours))
            raise InputError(
                msg("parking.profile_lacks_hours", origin=origin, name=name, hours=absent)
            )
        sid = source_ids[name]
        profiles[name] = Profile(
            name=name,
            values=tuple(hours[h] for h in range(24)),
            source_id=sid,
            citation=SOURCE_CITATIONS.get(sid, f"user file {origin}"),
            labels=tuple(f"{h:02d}:00" for h in range(24)),
        )
    return profiles


def _read_periods(rows: Iterable[dict[str, str]], *, origin: str) -> dict[str, PeriodTable]:
    periods: dict[str, list[tuple[str, str, int, int]]] = {}
    values: dict[str, dict[str, dict[tuple[str, str, int, int], Decimal]]] = {}
    source_ids: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        source = _short_name(row["source_id"])
        source_ids[source] = row["source_id"]
        period = (row["day_type"], row["period"], int(row["start_hour"]), int(row["end_hour"]))
        order = periods.setdefault(source, [])
        if period not in order:
            order.append(period)
        per_use = values.setdefault(source, {}).setdefault(row["land_use"], {})
        per_use[period] = _percent(row["percent"], origin=origin, row=number)
    tables = {}
    for source, order in periods.items():
        uses = {}
        for use, by_period in values[source].items():
            if set(by_period) != set(order):
                raise InputError(
                    msg("parking.period_use_lacks_periods", origin=origin, use=use, source=source)
                )
            uses[use] = tuple(by_period[p] for p in order)
        tables[source] = PeriodTable(source, source_ids[source], tuple(order), uses)
    return tables


@lru_cache(maxsize=1)
def shipped_library() -> ProfileLibrary:
    """The profiles shipped in ``gridmap/parking/profiles`` (cached)."""
    folder = resources.files("gridmap.parking") / "profiles"
    hourly_text = (folder / HOURLY_FILE).read_text(encoding="utf-8")
    period_text = (folder / PERIOD_FILE).read_text(encoding="utf-8")
    hourly = _read_hourly(csv.DictReader(io.StringIO(hourly_text)), origin=HOURLY_FILE)
    periods = _read_periods(csv.DictReader(io.StringIO(period_text)), origin=PERIOD_FILE)
    return ProfileLibrary(hourly, periods)


def read_profile_file(path: str | Path) -> ProfileLibrary:
    """Read a user's hourly profile table (columns as ``time_of_day_profiles_hourly.csv``).

    Parameters
    ----------
    path : str or Path
        CSV with ``source_id, land_use, day_type, hour, percent`` (0-100).

    Returns
    -------
    ProfileLibrary
        Profiles named ``source_id.lower()/land_use/day_type``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(msg("parking.profile_file_missing", path=path))
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in _HOURLY_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(
                msg(
                    "parking.profile_file_columns",
                    path=path,
                    columns=", ".join(missing),
                    required=", ".join(_HOURLY_COLUMNS),
                )
            )
        return ProfileLibrary(_read_hourly(reader, origin=str(path)))


def load_profile(name: str, *, library: ProfileLibrary | None = None) -> Profile:
    """Return the hourly profile ``source/land_use/day_type``.

    Parameters
    ----------
    name : str
        Qualified name, e.g. ``"cleveland_heights/residential/weekday"``.
    library : ProfileLibrary, optional
        Where to look (default: the shipped tables).

    Returns
    -------
    Profile

    Raises
    ------
    InputError
        For a bare or unknown name; the message lists the choices.
    """
    return (library or shipped_library()).hourly_profile(name)


def load_period_table(source: str, *, library: ProfileLibrary | None = None) -> PeriodTable:
    """Return a source's period table by short name (e.g. ``"ite_journal_2018"``)."""
    return (library or shipped_library()).period_table(source)


def profile_names(*, kind: str = "hourly", library: ProfileLibrary | None = None) -> list[str]:
    """Qualified names of the available profiles (``kind`` is ``hourly`` or ``periods``)."""
    return (library or shipped_library()).names(kind=kind)
