"""Working days (工作日) under the Chinese statutory-holiday calendar, SPEC §0.1 and §3.3–3.5.

The dibao procedure counts its limits in working days: investigation within 3 working days of 受理
(S1 Art. 15), the information check within 3 working days of the request (S1 Art. 17), the county decision
within 10 working days of receipt (S1 Art. 20), the rejection notice within 3 working days of the decision
(S1 Art. 21), and 30 (or 45) working days in total (S1 Art. 22). The 公示 period is 7 calendar days
(S1 Art. 19; SPEC §0.1 reads it as calendar days).

A working day is Monday to Friday unless it is a statutory holiday, or a Saturday or Sunday that the State
Council's yearly schedule makes a make-up working day (调休上班). That schedule is published about a year
ahead, so a :class:`WorkCalendar` knows which years it covers and refuses to guess about any other year:
counting through an uncovered year raises :class:`CalendarNotCovered` rather than silently treating every
weekday as a working day.

This module is pure. The calendar's data (package data plus the bureau's overrides) is loaded by
``adapters.calendar.load_calendar`` and deadlines are computed in an activity, so a workflow replays the
recorded result even after the holiday data changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from domain.errors import DomainError

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)

#: How a calendar version says it was extended with weekdays-only years from ``YYYY`` on (the deadline
#: activity's provisional count, for a year whose holiday schedule has not been entered yet).
PROVISIONAL_MARK = "+provisional-"
_PROVISIONAL = re.compile(r"\+provisional-([0-9]{4})$")


def provisional_version(official: str, first_uncovered_year: int) -> str:
    """The version of ``official`` extended with weekdays-only years from ``first_uncovered_year`` on."""
    return f"{official}{PROVISIONAL_MARK}{first_uncovered_year}"


def provisional_year(calendar_version: str) -> int | None:
    """The first year a deadline was counted in provisionally (weekdays only), or None for an official count.

    ``"778413b11580+provisional-2027"`` → 2027; ``"778413b11580"`` → None.
    """
    found = _PROVISIONAL.search(calendar_version)
    return int(found.group(1)) if found else None


def weekdays_between(start: date, end: date) -> int:
    """Monday-to-Friday days in ``(start, end]``: a provisional calendar's working days in an uncovered year."""
    count = 0
    d = start + _ONE_DAY
    while d <= end:
        count += d.weekday() < _SATURDAY
        d += _ONE_DAY
    return count


class CalendarNotCovered(DomainError):
    """The calendar has no holiday data for a year a computation needs.

    Args:
        year: the year that is not covered.
    """

    code = "calendar_not_covered"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"the working-day calendar does not cover {year}: its statutory holidays and make-up working "
            "days have not been entered and the year has not been marked complete"
        )
        self.year = year


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """An immutable statutory working-day calendar.

    Attributes:
        holidays: days off (法定节假日 and the days moved into the break, 调休放假); may include weekends.
        makeup_workdays: weekend days that are working days (调休上班).
        covered_years: the years for which ``holidays`` and ``makeup_workdays`` are complete.
        version: identifies the data, so a computed deadline can name the calendar it used.

    Raises:
        ValueError: a day is both a holiday and a make-up working day.
    """

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    covered_years: frozenset[int]
    version: str

    def __post_init__(self) -> None:
        both = self.holidays & self.makeup_workdays
        if both:
            raise ValueError(
                f"days both holiday and make-up working day: {[d.isoformat() for d in sorted(both)]}"
            )

    def covers(self, year: int) -> bool:
        """Whether the calendar has complete holiday data for ``year``."""
        return year in self.covered_years

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day.

        Args:
            d: the day.

        Returns:
            True for Monday to Friday unless a holiday, and for a Saturday or Sunday that is a make-up
            working day.

        Raises:
            CalendarNotCovered: ``d.year`` is not covered.
        """
        if d.year not in self.covered_years:
            raise CalendarNotCovered(d.year)
        if d in self.makeup_workdays:
            return True
        return d.weekday() < _SATURDAY and d not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is never counted).

        Example: 3 working days after 受理 on Wednesday 2026-09-30 end on Saturday 2026-10-10, because
        2026-10-01..07 are the National Day holiday and 2026-10-10 is a make-up working day.

        Args:
            start: the day the period starts from (e.g. the day of 受理); it need not be a working day
                and its year need not be covered.
            n: the number of working days, at least 1.

        Returns:
            The last day of the period, always a working day.

        Raises:
            ValueError: ``n`` is less than 1.
            CalendarNotCovered: the count runs into a year that is not covered.
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        d = start
        remaining = n
        while remaining:
            d += _ONE_DAY
            if self.is_working_day(d):
                remaining -= 1
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days in the half-open interval ``(start, end]``.

        This is the inverse of :meth:`add_working_days`:
        ``working_days_between(s, add_working_days(s, n)) == n``.

        Args:
            start: excluded.
            end: included.

        Returns:
            The count; 0 when ``end`` is not after ``start``.

        Raises:
            CalendarNotCovered: a day in the interval lies in a year that is not covered.
        """
        count = 0
        d = start + _ONE_DAY
        while d <= end:
            if self.is_working_day(d):
                count += 1
            d += _ONE_DAY
        return count

    def add_calendar_days(self, start: date, n: int) -> date:
        """The day ``n`` calendar days after ``start`` (e.g. the end of the 7-day 公示, S1 Art. 19).

        Holidays do not matter, so any year is accepted.

        Args:
            start: the day the period starts from; not counted.
            n: the number of days, at least 1.

        Returns:
            ``start + n`` days.

        Raises:
            ValueError: ``n`` is less than 1.
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        return start + timedelta(days=n)
