"""The working-day calendar from chinese-calendar and the ``calendar_overrides`` tables (migration 0003).

The database is shared by the whole session: every row a test writes is tagged with a per-test staff id and
deleted afterwards, so each test sees the package data plus only its own overrides.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, timedelta

import asyncpg
import chinese_calendar
import pytest

from adapters.calendar import PgCalendarOverrides, load_calendar, package_calendar_data
from cli.calendar import register
from domain.calendar import CalendarNotCovered

#: The first year the installed chinese-calendar does not know (2027 for release 1.11).
NEXT_YEAR = max(package_calendar_data().years) + 1


@pytest.fixture
def store(pg_pool: asyncpg.Pool) -> PgCalendarOverrides:
    return PgCalendarOverrides(pg_pool)


def test_the_package_covers_2004_to_2026_and_not_2027() -> None:
    """chinese-calendar 1.11 as PLATFORM-FACTS describes it; a newer release must update
    adapters/calendar.py."""
    data = package_calendar_data()
    assert data.years == frozenset(range(2004, 2027))
    assert NEXT_YEAR == 2027
    with pytest.raises(NotImplementedError, match="2027"):
        chinese_calendar.is_workday(date(2027, 1, 4))


async def test_with_no_overrides_every_day_of_2026_matches_chinese_calendar(pg_pool: asyncpg.Pool) -> None:
    cal = await load_calendar(pg_pool)
    days = [date(2026, 1, 1) + timedelta(days=k) for k in range(365)]

    mismatches = [d for d in days if cal.is_working_day(d) != chinese_calendar.is_workday(d)]

    assert mismatches == []
    assert sum(cal.is_working_day(d) for d in days) == sum(chinese_calendar.is_workday(d) for d in days)


async def test_national_day_2026_is_off_and_its_makeup_saturday_works(pg_pool: asyncpg.Pool) -> None:
    """State Council schedule for 2026: 10-01..07 off; Sunday 09-20 and Saturday 10-10 are working days."""
    cal = await load_calendar(pg_pool)

    assert cal.is_working_day(date(2026, 10, 1)) is False
    assert cal.is_working_day(date(2026, 10, 7)) is False
    assert cal.is_working_day(date(2026, 10, 10)) is True  # Saturday
    assert cal.is_working_day(date(2026, 9, 20)) is True  # Sunday
    assert cal.is_working_day(date(2026, 10, 17)) is False  # an ordinary Saturday
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert cal.add_working_days(date(2026, 9, 21), 10) == date(2026, 10, 12)


async def test_the_next_year_is_refused_until_its_days_are_entered_and_the_year_marked_complete(
    pg_pool: asyncpg.Pool, store: PgCalendarOverrides, staff: str
) -> None:
    new_year = date(NEXT_YEAR, 1, 1)
    with pytest.raises(CalendarNotCovered, match=str(NEXT_YEAR)):
        (await load_calendar(pg_pool)).is_working_day(new_year)

    await store.set_day(new_year, "holiday", "元旦 (test data)", staff)
    with pytest.raises(CalendarNotCovered):
        (await load_calendar(pg_pool)).is_working_day(new_year)  # entered, but not yet declared complete

    await store.mark_year_complete(NEXT_YEAR, "test schedule", staff)
    cal = await load_calendar(pg_pool)

    assert cal.covers(NEXT_YEAR)
    assert cal.is_working_day(new_year) is False
    # The first weekday after 元旦 (Monday 2027-01-04): no other day of that week was entered as a holiday.
    first_weekday = next(d for d in (new_year + timedelta(days=k) for k in range(1, 8)) if d.weekday() < 5)
    assert cal.is_working_day(first_weekday) is True
    assert cal.add_working_days(date(NEXT_YEAR - 1, 12, 31), 1) == first_weekday


async def test_an_override_wins_over_the_package_for_its_day(
    pg_pool: asyncpg.Pool, store: PgCalendarOverrides, staff: str
) -> None:
    national_day = date(2026, 10, 1)  # a package holiday (Thursday)
    makeup_saturday = date(2026, 10, 10)  # a package make-up working day
    await store.set_day(national_day, "workday", "local adjustment (test)", staff)
    await store.set_day(makeup_saturday, "holiday", "local adjustment (test)", staff)

    cal = await load_calendar(pg_pool)

    assert cal.is_working_day(national_day) is True
    assert cal.is_working_day(makeup_saturday) is False
    assert national_day not in cal.holidays
    assert makeup_saturday not in cal.makeup_workdays


async def test_the_version_follows_the_data(
    pg_pool: asyncpg.Pool, store: PgCalendarOverrides, staff: str
) -> None:
    before = (await load_calendar(pg_pool)).version
    monday = date(2026, 11, 9)

    await store.set_day(monday, "holiday", "test", staff)
    with_override = await load_calendar(pg_pool)
    await store.mark_year_complete(NEXT_YEAR, "test", staff)
    with_year = (await load_calendar(pg_pool)).version
    assert await store.delete_day(monday) is True
    await pg_pool.execute("DELETE FROM calendar_years WHERE year = $1", NEXT_YEAR)
    after = (await load_calendar(pg_pool)).version

    assert with_override.is_working_day(monday) is False
    assert len({before, with_override.version, with_year}) == 3
    assert after == before  # the same data gives the same version
    assert len(before) == 12
    assert (await load_calendar(pg_pool)).version == before  # stable across loads


async def test_setting_a_day_again_replaces_the_entry(store: PgCalendarOverrides, staff: str) -> None:
    day = date(NEXT_YEAR, 10, 9)
    await store.set_day(day, "holiday", "first", staff)
    await store.set_day(day, "workday", "corrected", staff)

    entries = await store.list_overrides(NEXT_YEAR)

    assert [(e.day, e.kind, e.note, e.created_by) for e in entries] == [(day, "workday", "corrected", staff)]


async def test_list_overrides_returns_only_that_years_entries_in_order(
    store: PgCalendarOverrides, staff: str
) -> None:
    days = [
        date(NEXT_YEAR - 1, 12, 31),
        date(NEXT_YEAR, 10, 1),
        date(NEXT_YEAR, 1, 1),
        date(NEXT_YEAR + 1, 1, 1),
    ]
    for d in days:
        await store.set_day(d, "holiday", "test", staff)

    assert [e.day for e in await store.list_overrides(NEXT_YEAR)] == [
        date(NEXT_YEAR, 1, 1),
        date(NEXT_YEAR, 10, 1),
    ]


async def test_completed_year_records_source_and_staff(store: PgCalendarOverrides, staff: str) -> None:
    assert await store.completed_year(NEXT_YEAR + 3) is None
    await store.mark_year_complete(NEXT_YEAR + 3, "国务院办公厅通知 (test)", staff)

    done = await store.completed_year(NEXT_YEAR + 3)

    assert done is not None
    assert (done.year, done.source, done.created_by) == (NEXT_YEAR + 3, "国务院办公厅通知 (test)", staff)


async def test_the_tables_refuse_unknown_kinds_and_implausible_years(
    pg_pool: asyncpg.Pool, store: PgCalendarOverrides, staff: str
) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await pg_pool.execute(
            "INSERT INTO calendar_overrides (day, kind, note, created_by) VALUES ($1, 'weekend', 'x', $2)",
            date(NEXT_YEAR, 3, 1),
            staff,
        )
    with pytest.raises(asyncpg.NotNullViolationError):
        await pg_pool.execute(
            "INSERT INTO calendar_overrides (day, kind, note, created_by) VALUES ($1, NULL, 'x', $2)",
            date(NEXT_YEAR, 3, 1),
            staff,
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await store.mark_year_complete(1999, "x", staff)


async def test_the_store_refuses_a_bad_kind_or_blank_texts(store: PgCalendarOverrides, staff: str) -> None:
    with pytest.raises(ValueError, match="kind"):
        await store.set_day(date(NEXT_YEAR, 3, 1), "weekend", "x", staff)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="note"):
        await store.set_day(date(NEXT_YEAR, 3, 1), "holiday", "  ", staff)
    with pytest.raises(ValueError, match="source"):
        await store.mark_year_complete(NEXT_YEAR, "", staff)
    assert await store.list_overrides(NEXT_YEAR) == []
    assert await store.completed_year(NEXT_YEAR) is None


# --- casework calendar (the CLI) ---------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="casework")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


async def _run_cli(argv: list[str]) -> int:
    # The handlers call asyncio.run(), as from a shell; run them on a thread with no event loop of its own.
    args = _parse(argv)
    return int(await asyncio.to_thread(args.func, args))


@pytest.fixture
def cli_db(pg_dsn: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CASEWORK_DATABASE_URL", pg_dsn)
    return pg_dsn


async def test_the_cli_enters_a_year_and_shows_it_covered(
    cli_db: str, store: PgCalendarOverrides, staff: str, capsys: pytest.CaptureFixture[str]
) -> None:
    year = str(NEXT_YEAR)
    assert await _run_cli(["calendar", "show", year]) == 0
    shown = capsys.readouterr().out
    assert "NOT covered" in shown
    # Issue 19: an uncovered year's deadlines are counted provisionally, not refused — the wording says so.
    assert "counted provisionally" in shown
    assert f"+provisional-{year}" in shown
    assert "refused" not in shown

    assert (
        await _run_cli(
            ["calendar", "set", f"{year}-01-01", "holiday", "--note", "元旦 (test)", "--by", staff]
        )
        == 0
    )
    assert await _run_cli(["calendar", "complete-year", year, "--source", "test notice", "--by", staff]) == 0
    capsys.readouterr()
    assert await _run_cli(["calendar", "show", year]) == 0

    out = capsys.readouterr().out
    assert f"{year}: covered (marked complete by {staff}" in out
    assert "test notice" in out
    assert f"{year}-01-01 holiday" in out
    assert "元旦 (test)" in out
    assert [e.day for e in await store.list_overrides(NEXT_YEAR)] == [date(NEXT_YEAR, 1, 1)]


async def test_the_cli_refuses_to_complete_a_year_with_no_holidays_entered(
    cli_db: str, store: PgCalendarOverrides, staff: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await _run_cli(["calendar", "complete-year", str(NEXT_YEAR + 5), "--source", "x", "--by", staff])

    assert code == 2
    assert "no holidays entered" in capsys.readouterr().err
    assert await store.completed_year(NEXT_YEAR + 5) is None


async def test_the_cli_shows_a_package_year_as_covered(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _run_cli(["calendar", "show", "2026"]) == 0
    assert "2026: covered (chinese-calendar package data)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["calendar", "set", "2027-02-30", "holiday", "--note", "x", "--by", "s"],
        ["calendar", "set", "2027-01-01", "weekend", "--note", "x", "--by", "s"],
        ["calendar", "set", "2027-01-01", "holiday", "--by", "s"],
        ["calendar", "complete-year", "1999", "--source", "x", "--by", "s"],
        ["calendar", "show", "27"],
    ],
)
def test_the_cli_rejects_malformed_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _parse(argv)
    assert info.value.code == 2
