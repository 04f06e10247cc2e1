"""``casework calendar``: enter a year's statutory holidays and make-up working days, and check coverage.

    casework calendar set 2027-10-01 holiday --note "2027 国庆节" --by county-admin-01
    casework calendar set 2027-09-26 workday --note "2027 国庆节调休上班" --by county-admin-01
    casework calendar complete-year 2027 --source "国办发明电〔2026〕x号" --by county-admin-01
    casework calendar show 2027

Enter every holiday and make-up working day of the State Council's schedule first, then ``complete-year``:
until a year is complete, deadlines running into it are refused (and their activities keep retrying).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncpg

T = TypeVar("T")

_MIN_YEAR, _MAX_YEAR = 2000, 2100  # the CHECK on calendar_years.year


def register(subparsers: Any) -> None:
    """Add the ``calendar`` command group to the ``casework`` parser.

    Args:
        subparsers: the object returned by ``ArgumentParser.add_subparsers()``.
    """
    cal = subparsers.add_parser("calendar", help="working-day calendar: holidays and make-up working days")
    sub = cal.add_subparsers(dest="calendar_command", required=True)

    s = sub.add_parser("set", help="record a day as a holiday or a working day (replaces an earlier entry)")
    s.add_argument("day", type=_day, help="YYYY-MM-DD")
    s.add_argument("kind", choices=["holiday", "workday"])
    s.add_argument("--note", required=True, help="why, e.g. the holiday's name and the notice")
    s.add_argument("--by", required=True, dest="by", help="your staff id")
    s.set_defaults(func=_cmd_set)

    c = sub.add_parser("complete-year", help="declare a year's holidays and make-up working days all entered")
    c.add_argument("year", type=_year)
    c.add_argument("--source", required=True, help="the State Council notice the entries come from")
    c.add_argument("--by", required=True, dest="by", help="your staff id")
    c.set_defaults(func=_cmd_complete_year)

    w = sub.add_parser("show", help="list a year's entries and whether the year is covered")
    w.add_argument("year", type=_year)
    w.set_defaults(func=_cmd_show)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def _year(text: str) -> int:
    if not text.isdigit() or not _MIN_YEAR <= int(text) <= _MAX_YEAR:
        raise argparse.ArgumentTypeError(f"year must be {_MIN_YEAR}-{_MAX_YEAR}")
    return int(text)


def _with_pool(work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run ``work`` on a small pool on the configured database."""
    from adapters.settings import Settings
    from cli.common import run_with_pool

    return run_with_pool(Settings(), work)


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from adapters.runtime import NotConfigured

        try:
            return handler(args)
        except (NotConfigured, ValueError) as err:
            sys.stderr.write(f"casework calendar: {err}\n")
            return 1

    return run


@_guarded
def _cmd_set(args: argparse.Namespace) -> int:
    from adapters.calendar import PgCalendarOverrides

    async def work(pool: asyncpg.Pool) -> None:
        await PgCalendarOverrides(pool).set_day(args.day, args.kind, args.note, args.by)

    _with_pool(work)
    sys.stdout.write(f"{args.day.isoformat()} {args.kind}\n")
    return 0


@_guarded
def _cmd_complete_year(args: argparse.Namespace) -> int:
    from adapters.calendar import PgCalendarOverrides, package_calendar_data

    year: int = args.year

    async def work(pool: asyncpg.Pool) -> bool:
        store = PgCalendarOverrides(pool)
        entries = await store.list_overrides(year)
        # China has statutory holidays every year (元旦, 春节, ...): a year with none entered is not complete,
        # and marking it so would count every weekday of it as a working day.
        if year not in package_calendar_data().years and not any(e.kind == "holiday" for e in entries):
            return False
        await store.mark_year_complete(year, args.source, args.by)
        return True

    if not _with_pool(work):
        sys.stderr.write(
            f"casework calendar: no holidays entered for {year}; enter them with "
            "`casework calendar set DAY holiday ...` first\n"
        )
        return 2
    sys.stdout.write(f"{year} complete\n")
    return 0


@_guarded
def _cmd_show(args: argparse.Namespace) -> int:
    from adapters.calendar import CalendarOverride, CalendarYear, PgCalendarOverrides, load_calendar

    year: int = args.year

    async def work(pool: asyncpg.Pool) -> tuple[list[CalendarOverride], CalendarYear | None, bool, str]:
        store = PgCalendarOverrides(pool)
        cal = await load_calendar(pool)
        return (
            await store.list_overrides(year),
            await store.completed_year(year),
            cal.covers(year),
            cal.version,
        )

    entries, completed, covered, version = _with_pool(work)
    out = sys.stdout
    if completed is not None:
        out.write(
            f"{year}: covered (marked complete by {completed.created_by} on "
            f"{completed.created_at:%Y-%m-%d}; source: {completed.source})\n"
        )
    elif covered:
        out.write(f"{year}: covered (chinese-calendar package data)\n")
    else:
        out.write(f"{year}: NOT covered: working-day deadlines running into {year} are refused\n")
    out.write(f"calendar version: {version}\n")
    out.write(f"overrides: {len(entries)}\n")
    for e in entries:
        out.write(
            f"  {e.day.isoformat()} {e.kind:<7} {e.note}  (by {e.created_by}, {e.created_at:%Y-%m-%d})\n"
        )
    return 0
