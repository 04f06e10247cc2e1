"""Deadline activities: working-day arithmetic on the statutory calendar (SPEC §0.1, §3.3–3.5).

Deadlines are computed here, not in workflow code: the calendar comes from the database and changes when staff
enter a new year's holidays. Temporal records the activity's result in the workflow history, so a replay
reuses the deadline computed at the time instead of recomputing it with newer data.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import asyncpg
import structlog
from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.calendar import load_calendar
from domain.calendar import CalendarNotCovered, WorkCalendar, provisional_version

log = structlog.get_logger(__name__)


class DeadlineInput(BaseModel):
    """A period to add to ``start``; ``start`` itself is not counted."""

    start: date
    # At most ten years: anything longer is a caller bug, and would otherwise run past date.max.
    amount: int = Field(ge=1, le=3660)
    unit: Literal["working_day", "calendar_day"]


class DeadlineResult(BaseModel):
    due: date
    calendar_version: str


class WorkingDaysInput(BaseModel):
    """The half-open interval ``(start, end]``."""

    start: date
    end: date


class WorkingDaysResult(BaseModel):
    count: int
    calendar_version: str


class CalendarActivities:
    """Deadline arithmetic on the calendar loaded from PostgreSQL.

    The calendar is read afresh on every call (one small query over a few dozen rows), so a year that
    staff have just entered is seen by the next attempt. Both activities only read, so retries are harmless.

    Args:
        pool: the application pool; not closed here.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="compute_deadline")
    async def compute_deadline(self, inp: DeadlineInput) -> DeadlineResult:
        """The last day of a period of ``amount`` working or calendar days after ``start``."""
        cal = await load_calendar(self._pool)
        if inp.unit == "calendar_day":
            return DeadlineResult(
                due=cal.add_calendar_days(inp.start, inp.amount), calendar_version=cal.version
            )
        try:
            due = cal.add_working_days(inp.start, inp.amount)
        except CalendarNotCovered as err:
            # A deadline only ever raises an escalation, so a case must not wait for next year's holiday
            # schedule (published each November, SPEC platform facts): compute it provisionally with weekdays
            # only, and say so in the calendar version the decision records. Staff enter the official year
            # with `casework calendar set/complete-year`; deadlines computed after that are official.
            provisional = _provisional(cal, err.year, inp.start.year + 11)
            log.warning("calendar.provisional_deadline", year=err.year, calendar_version=provisional.version)
            due = provisional.add_working_days(inp.start, inp.amount)
            return DeadlineResult(due=due, calendar_version=provisional.version)
        return DeadlineResult(due=due, calendar_version=cal.version)

    @activity.defn(name="count_working_days")
    async def count_working_days(self, inp: WorkingDaysInput) -> WorkingDaysResult:
        """The number of working days in ``(start, end]`` (0 when ``end`` is not after ``start``)."""
        cal = await load_calendar(self._pool)
        try:
            count = cal.working_days_between(inp.start, inp.end)
        except CalendarNotCovered as err:
            raise _retryable(err, cal) from None
        return WorkingDaysResult(count=count, calendar_version=cal.version)


def _provisional(cal: WorkCalendar, first_year: int, last_year: int) -> WorkCalendar:
    """``cal`` extended with uncovered years in which Monday to Friday are working days and nothing else."""
    missing = frozenset(y for y in range(first_year, last_year + 1) if not cal.covers(y))
    return WorkCalendar(
        holidays=cal.holidays,
        makeup_workdays=cal.makeup_workdays,
        covered_years=cal.covered_years | missing,
        version=provisional_version(cal.version, min(missing)) if missing else cal.version,
    )


def _retryable(err: CalendarNotCovered, cal: WorkCalendar) -> ApplicationError:
    # Unlike other domain errors, this one is not permanent: it means staff have not yet entered next year's
    # State Council holiday schedule (`casework calendar set ...` then `casework calendar complete-year`).
    # Retryable on purpose: Temporal keeps retrying this activity under the workflow's retry policy, every
    # attempt reloads the calendar, and the first attempt after the year is entered succeeds, with no operator
    # action on the workflow. A non-retryable error would fail the step and need a manual restart. The warning
    # on each attempt tells operators which year to enter.
    log.warning("calendar.year_not_covered", year=err.year, calendar_version=cal.version)
    return ApplicationError(err.message, {"year": err.year}, type=err.code, non_retryable=False)
