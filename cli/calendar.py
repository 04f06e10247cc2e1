"""``casework calendar``: enter a year's statutory holidays and make-up working days, and check coverage.

    casework calendar set 2027-10-01 holiday --note "2027 国庆节" --by county-admin-01
    casework calendar set 2027-09-26 workday --note "2027 国庆节调休上班" --by county-admin-01
    casework calendar complete-year 2027 --source "国办发明电〔2026〕x号" --by county-admin-01
    casework calendar show 2027
    casework calendar provisional [--year 2027] [--json]
    casework calendar recompute [--year 2027]

Enter every holiday and make-up working day of the State Council's schedule first, then ``complete-year``:
until a year is complete, working-day deadlines running into it are counted *provisionally* (weekdays only;
their calendar version ends ``+provisional-YYYY``). ``provisional`` lists the pending steps whose deadline
was counted so (case id, step, article, due date, calendar version: no personal data). ``complete-year``
then sends each of them to its case, which counts it again with the official calendar and records the new due
date (``--no-recompute`` leaves that to a later ``recompute``, which also retries cases that failed).
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

    c.add_argument("--no-recompute", action="store_true",
                   help="do not recount the deadlines counted provisionally for the year (see `recompute`); "
                        "without it they are recounted at once, and a recount that fails is reported, not fatal")

    w = sub.add_parser("show", help="list a year's entries and whether the year is covered")
    w.add_argument("year", type=_year)
    w.set_defaults(func=_cmd_show)

    p = sub.add_parser("provisional", help="pending steps whose deadline was counted provisionally (weekdays only)")
    p.add_argument("--year", type=_year, default=None, help="only those provisional from this year")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=_cmd_provisional)

    r = sub.add_parser("recompute", help="recount the provisional deadlines with the calendar as it is now")
    r.add_argument("--year", type=_year, default=None, help="only those provisional from this year")
    r.set_defaults(func=_cmd_recompute)


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
    if not args.no_recompute:
        # The year is entered whatever happens next: a recount that cannot be done now is reported (with the
        # command that does it later), not turned into a failure of the entry.
        _recompute(year, after=f"{year} is complete, but ")
    return 0


def _county() -> str:
    from adapters.parameters import DEFAULT_BOOK, ParameterFile
    from adapters.settings import Settings

    settings = Settings()
    return ParameterFile(settings.parameters_file or DEFAULT_BOOK).book().county_code


@_guarded
def _cmd_provisional(args: argparse.Namespace) -> int:
    from adapters.db.case_queries import ProvisionalDeadline, provisional_deadlines

    county = _county()

    async def work(pool: asyncpg.Pool) -> list[ProvisionalDeadline]:
        return await provisional_deadlines(pool, county, year=args.year)

    rows = _with_pool(work)
    out = sys.stdout
    for r in rows:
        if args.json:
            out.write(r.model_dump_json() + "\n")
            continue
        out.write(f"{r.due.isoformat()}  case {r.case_id}  {r.step} ({', '.join(r.legal_basis)})  "
                  f"township {r.township_code}  calendar {r.calendar_version}"
                  f"{'  ESCALATED' if r.escalated else ''}\n")
    if not args.json:
        out.write(f"{len(rows)} deadline(s) counted provisionally\n")
    return 0


@_guarded
def _cmd_recompute(args: argparse.Namespace) -> int:
    return _recompute(args.year)


def _recompute(year: int | None, after: str = "") -> int:
    """Send the provisional deadlines to their cases; 0 when every case answered, 1 otherwise (each failure,
    and Temporal out of reach, also said on stderr with the command to run again)."""
    import asyncio

    from adapters.db.case_queries import provisional_deadlines
    from adapters.settings import Settings
    from adapters.temporal.client import connect
    from cli.common import cli_pool
    from services.provisional_deadlines import RecountOutcome, recount_provisional_deadlines

    settings = Settings()
    county = _county()

    async def work() -> list[RecountOutcome]:
        async with cli_pool(settings) as pool:
            if not await provisional_deadlines(pool, county, year=year):
                return []  # nothing to send: no need of Temporal
            return await recount_provisional_deadlines(pool, await connect(settings), county, year=year)

    try:
        outcomes = asyncio.run(work())
    except (RuntimeError, OSError) as err:  # Temporal not reachable: the year stays entered, retry later
        sys.stderr.write(f"casework calendar: {after}the provisional deadlines were not recounted ({err}); "
                         f"run `casework calendar recompute{f' --year {year}' if year else ''}`\n")
        return 1
    out = sys.stdout
    for o in outcomes:
        steps = ", ".join(o.recomputed) if o.recomputed else ""
        still = f" still provisional: {', '.join(o.still_provisional)}" if o.still_provisional else ""
        out.write(f"case {o.case_id}: {o.outcome}{f' {steps}' if steps else ''}{still}"
                  f"{f' ({o.detail})' if o.detail else ''}\n")
    failed = sum(o.outcome == "failed" for o in outcomes)
    out.write(f"{len(outcomes)} case(s) with provisional deadlines, "
              f"{sum(o.outcome == 'recomputed' for o in outcomes)} recomputed, {failed} failed\n")
    if failed:
        sys.stderr.write(f"casework calendar: {after}{failed} case(s) failed; run `casework calendar recompute` "
                         "again\n")
    return 1 if failed else 0


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
        out.write(
            f"{year}: NOT covered yet: working-day deadlines running into {year} are counted provisionally "
            f"(weekdays only; calendar version ends +provisional-{year}) until the year's holidays are entered "
            f"and it is marked complete (`casework calendar complete-year {year}`); then "
            f"`casework calendar recompute --year {year}` recounts them\n"
        )
    out.write(f"calendar version: {version}\n")
    out.write(f"overrides: {len(entries)}\n")
    for e in entries:
        out.write(
            f"  {e.day.isoformat()} {e.kind:<7} {e.note}  (by {e.created_by}, {e.created_at:%Y-%m-%d})\n"
        )
    return 0
