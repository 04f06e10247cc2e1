"""The working-day calendar: chinese-calendar package data merged with the bureau's overrides.

``chinese_calendar.constants`` exposes two dicts, ``holidays`` and ``workdays`` (day → holiday name), for
the years the installed release knows (1.11: 2004–2026). The package's own ``is_workday`` accepts exactly the
years from the earliest to the latest day in ``holidays``; this module takes the same range as the package's
covered years. Years after that are entered by staff in ``calendar_overrides`` and declared complete in
``calendar_years`` (migration 0003); an override row wins over the package for its day.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Literal

import asyncpg
from chinese_calendar import constants as cc_constants

from domain.calendar import WorkCalendar

OverrideKind = Literal["holiday", "workday"]
_KINDS: frozenset[str] = frozenset({"holiday", "workday"})

#: Both tables in one statement: one snapshot, one round trip (issue 18: every deadline counted loads them).
_CALENDAR_ROWS = """
SELECT ARRAY(SELECT day FROM calendar_overrides ORDER BY day) AS days,
       ARRAY(SELECT kind FROM calendar_overrides ORDER BY day) AS kinds,
       ARRAY(SELECT year FROM calendar_years ORDER BY year) AS years
"""

_UPSERT_DAY = """
INSERT INTO calendar_overrides (day, kind, note, created_by)
VALUES ($1, $2, $3, $4)
ON CONFLICT (day) DO UPDATE SET
    kind = EXCLUDED.kind,
    note = EXCLUDED.note,
    created_by = EXCLUDED.created_by,
    created_at = now()
"""

_DELETE_DAY = "DELETE FROM calendar_overrides WHERE day = $1"

_UPSERT_YEAR = """
INSERT INTO calendar_years (year, source, created_by)
VALUES ($1, $2, $3)
ON CONFLICT (year) DO UPDATE SET
    source = EXCLUDED.source,
    created_by = EXCLUDED.created_by,
    created_at = now()
"""

_OVERRIDES_OF_YEAR = """
SELECT day, kind, note, created_by, created_at
FROM calendar_overrides
WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)
ORDER BY day
"""

_GET_YEAR = "SELECT year, source, created_by, created_at FROM calendar_years WHERE year = $1"


@dataclass(frozen=True, slots=True)
class CalendarOverride:
    """One staff-entered day."""

    day: date
    kind: OverrideKind
    note: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CalendarYear:
    """A year staff declared complete: all its holidays and make-up working days are entered."""

    year: int
    source: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PackageCalendarData:
    """What the installed chinese-calendar release knows."""

    holidays: frozenset[date]
    workdays: frozenset[date]
    years: frozenset[int]


@lru_cache(maxsize=1)
def package_calendar_data() -> PackageCalendarData:
    """The chinese-calendar package's holidays, make-up working days and covered years.

    Returns:
        The package data; covered years run from the earliest to the latest year in its ``holidays`` dict,
        the range the package's own ``is_workday`` accepts.
    """
    holidays = frozenset(cc_constants.holidays)
    workdays = frozenset(cc_constants.workdays)
    first, last = min(holidays).year, max(holidays).year
    return PackageCalendarData(holidays, workdays, frozenset(range(first, last + 1)))


def calendar_version(holidays: frozenset[date], workdays: frozenset[date], years: frozenset[int]) -> str:
    """A short digest of the calendar's contents; any change in the data gives a different version.

    Args:
        holidays: the merged holidays.
        workdays: the merged make-up working days.
        years: the covered years.

    Returns:
        The first 12 hex digits of a SHA-256 over the sorted contents.
    """
    text = "\n".join(
        [
            "holidays:" + ",".join(d.isoformat() for d in sorted(holidays)),
            "workdays:" + ",".join(d.isoformat() for d in sorted(workdays)),
            "years:" + ",".join(str(y) for y in sorted(years)),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def merge_calendar(
    package: PackageCalendarData, overrides: dict[date, str], override_years: frozenset[int]
) -> WorkCalendar:
    """Merge package data with override rows; an override wins for its day.

    Args:
        package: the chinese-calendar data.
        overrides: day → ``"holiday"`` or ``"workday"``.
        override_years: years staff declared complete.

    Returns:
        The merged calendar, covering the package's years and ``override_years``.
    """
    holidays = set(package.holidays)
    workdays = set(package.workdays)
    for day, kind in overrides.items():
        if kind == "holiday":
            holidays.add(day)
            workdays.discard(day)
        else:
            workdays.add(day)
            holidays.discard(day)
    h, w, y = frozenset(holidays), frozenset(workdays), package.years | override_years
    return WorkCalendar(holidays=h, makeup_workdays=w, covered_years=y, version=calendar_version(h, w, y))


async def load_calendar(pool: asyncpg.Pool) -> WorkCalendar:
    """Load the current working-day calendar.

    Both tables are read by one statement (one snapshot), so a year marked complete is never seen without
    the days entered before it was marked. The rows are read on every call; the merge (and its version digest)
    is made again only when they differ from the last call's.

    Args:
        pool: the application pool; not closed here.

    Returns:
        The merged calendar with its content version.
    """
    row = await pool.fetchrow(_CALENDAR_ROWS)
    key = (package_calendar_data(), tuple(zip(row["days"], row["kinds"], strict=True)), tuple(row["years"]))
    cal = _MERGED.get(key)
    if cal is None:
        cal = merge_calendar(key[0], dict(key[1]), frozenset(key[2]))
        _MERGED.clear()  # only the last: the rows change when staff enter a year, rarely
        _MERGED[key] = cal
    return cal


#: The last merge (an immutable WorkCalendar) by what it was made from.
_MERGED: dict[tuple[PackageCalendarData, tuple[tuple[date, str], ...], tuple[int, ...]], WorkCalendar] = {}


class PgCalendarOverrides:
    """Staff-entered calendar days and completed years. It does not own the pool and never closes it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def set_day(self, day: date, kind: OverrideKind, note: str, created_by: str) -> None:
        """Record that ``day`` is a holiday or a working day, replacing any earlier entry for it.

        Args:
            day: the day.
            kind: ``"holiday"`` (a day off, 放假) or ``"workday"`` (a working day, e.g. a make-up Saturday).
            note: why, e.g. ``"2027 国庆节 (国办发明电〔2026〕x号)"``.
            created_by: the staff id entering it.

        Raises:
            ValueError: ``kind`` is neither, or ``note`` / ``created_by`` is blank.
        """
        if kind not in _KINDS:
            raise ValueError("kind must be 'holiday' or 'workday'")
        _require_text(note=note, created_by=created_by)
        await self._pool.execute(_UPSERT_DAY, day, kind, note, created_by)

    async def delete_day(self, day: date) -> bool:
        """Remove the entry for ``day`` (to correct a mistake); the package data applies again.

        Returns:
            Whether there was an entry.
        """
        status: str = await self._pool.execute(_DELETE_DAY, day)
        return status == "DELETE 1"

    async def mark_year_complete(self, year: int, source: str, created_by: str) -> None:
        """Declare that all of ``year``'s holidays and make-up working days are entered.

        From then on the year counts as covered: deadlines running into it are computed instead of refused.

        Args:
            year: 2000–2100.
            source: the schedule entered, e.g. ``"国务院办公厅关于2027年部分节假日安排的通知"``.
            created_by: the staff id.

        Raises:
            ValueError: ``source`` / ``created_by`` is blank.
            asyncpg.CheckViolationError: ``year`` is outside 2000–2100.
        """
        _require_text(source=source, created_by=created_by)
        await self._pool.execute(_UPSERT_YEAR, year, source, created_by)

    async def list_overrides(self, year: int) -> list[CalendarOverride]:
        """The entries for ``year``, by day."""
        rows = await self._pool.fetch(_OVERRIDES_OF_YEAR, year)
        return [CalendarOverride(**dict(r)) for r in rows]

    async def completed_year(self, year: int) -> CalendarYear | None:
        """Who declared ``year`` complete and from which source, or None."""
        row = await self._pool.fetchrow(_GET_YEAR, year)
        return CalendarYear(**dict(row)) if row else None


def _require_text(**values: str) -> None:
    for name, value in values.items():
        if not value.strip():
            raise ValueError(f"{name} must not be blank")
