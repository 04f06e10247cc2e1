"""The deadline activities against the real calendar tables, run in Temporal's ``ActivityEnvironment``."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.calendar import (
    CalendarActivities,
    DeadlineInput,
    DeadlineResult,
    WorkingDaysInput,
    WorkingDaysResult,
)
from adapters.calendar import PgCalendarOverrides, load_calendar, package_calendar_data

NEXT_YEAR = max(package_calendar_data().years) + 1


@pytest.fixture
def acts(pg_pool: asyncpg.Pool) -> CalendarActivities:
    return CalendarActivities(pg_pool)


async def test_three_working_days_after_the_eve_of_national_day_2026(
    acts: CalendarActivities, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 15 from 受理 on 2026-09-30: 10-01..07 off, Saturday 10-10 a make-up working day."""
    result = await ActivityEnvironment().run(
        acts.compute_deadline, DeadlineInput(start=date(2026, 9, 30), amount=3, unit="working_day")
    )

    assert result == DeadlineResult(
        due=date(2026, 10, 10), calendar_version=(await load_calendar(pg_pool)).version
    )


async def test_thirty_working_days_from_acceptance(acts: CalendarActivities) -> None:
    """S1 Art. 22 from 受理 on Monday 2026-09-14.

    Six plain weeks would end on Monday 10-26; the breaks take six weekdays (09-25, 10-01, 10-02, 10-05..07)
    and give back two make-up days (Sunday 09-20, Saturday 10-10), so the period ends four working days later.
    """
    result = await ActivityEnvironment().run(
        acts.compute_deadline, DeadlineInput(start=date(2026, 9, 14), amount=30, unit="working_day")
    )

    assert result.due == date(2026, 10, 30)


async def test_calendar_days_ignore_the_holiday(acts: CalendarActivities) -> None:
    """The 7-day 公示 (S1 Art. 19) posted on 2026-09-30 ends on 2026-10-07."""
    result = await ActivityEnvironment().run(
        acts.compute_deadline, DeadlineInput(start=date(2026, 9, 30), amount=7, unit="calendar_day")
    )

    assert result.due == date(2026, 10, 7)


async def test_calendar_days_into_an_uncovered_year_need_no_holiday_data(acts: CalendarActivities) -> None:
    result = await ActivityEnvironment().run(
        acts.compute_deadline, DeadlineInput(start=date(NEXT_YEAR, 3, 1), amount=7, unit="calendar_day")
    )

    assert result.due == date(NEXT_YEAR, 3, 8)


async def test_counting_working_days(acts: CalendarActivities, pg_pool: asyncpg.Pool) -> None:
    result = await ActivityEnvironment().run(
        acts.count_working_days, WorkingDaysInput(start=date(2026, 9, 30), end=date(2026, 10, 12))
    )

    assert result == WorkingDaysResult(count=4, calendar_version=(await load_calendar(pg_pool)).version)


async def test_an_uncovered_year_gives_a_provisional_deadline_until_the_year_is_entered(
    acts: CalendarActivities, pg_pool: asyncpg.Pool, staff: str
) -> None:
    """A deadline never blocks a case: without next year's schedule it counts weekdays and says so in its
    calendar version; once the bureau enters the year, deadlines are official again (SPEC §0.1)."""
    inp = DeadlineInput(start=date(NEXT_YEAR - 1, 12, 28), amount=10, unit="working_day")

    provisional = await ActivityEnvironment().run(acts.compute_deadline, inp)

    official_before = (await load_calendar(pg_pool)).version
    assert provisional.calendar_version == f"{official_before}+provisional-{NEXT_YEAR}"
    assert provisional.due.year == NEXT_YEAR and provisional.due.weekday() < 5

    store = PgCalendarOverrides(pg_pool)
    await store.set_day(date(NEXT_YEAR, 1, 1), "holiday", "元旦 (test data)", staff)
    await store.mark_year_complete(NEXT_YEAR, "test schedule", staff)
    try:
        result = await ActivityEnvironment().run(acts.compute_deadline, inp)
        cal = await load_calendar(pg_pool)
        assert result == DeadlineResult(due=cal.add_working_days(inp.start, 10), calendar_version=cal.version)
        assert "provisional" not in result.calendar_version
    finally:
        await store.delete_day(date(NEXT_YEAR, 1, 1))
        await pg_pool.execute("DELETE FROM calendar_years WHERE year = $1", NEXT_YEAR)


async def test_counting_into_an_uncovered_year_fails_retryably(acts: CalendarActivities) -> None:
    inp = WorkingDaysInput(start=date(NEXT_YEAR - 1, 12, 1), end=date(NEXT_YEAR, 1, 15))

    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(acts.count_working_days, inp)

    assert (info.value.type, info.value.non_retryable) == ("calendar_not_covered", False)


@pytest.mark.parametrize("amount", [0, -3, 3661])
def test_the_amount_must_be_from_one_day_to_ten_years(amount: int) -> None:
    with pytest.raises(ValidationError):
        DeadlineInput(start=date(2026, 9, 30), amount=amount, unit="working_day")


def test_the_unit_is_working_or_calendar_days() -> None:
    with pytest.raises(ValidationError):
        DeadlineInput(start=date(2026, 9, 30), amount=3, unit="week")  # type: ignore[arg-type]
