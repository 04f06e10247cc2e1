"""Calendar months as ``YYYY-MM`` strings (payment months) and month arithmetic on dates."""

from __future__ import annotations

import calendar
from datetime import date


def month_of(day: date) -> str:
    """The ``YYYY-MM`` month a date falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def add_months_to_month(month: str, months: int) -> str:
    """``YYYY-MM`` plus ``months`` calendar months."""
    year, mon = (int(x) for x in month.split("-"))
    index = year * 12 + (mon - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_after(day: date) -> str:
    """The month after the one ``day`` falls in."""
    return add_months_to_month(month_of(day), 1)


def first_day(month: str) -> date:
    year, mon = (int(x) for x in month.split("-"))
    return date(year, mon, 1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later; the month's last day when it has no such day
    (31 August + 6 months = 28/29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, mon = index // 12, index % 12 + 1
    return date(year, mon, min(day.day, calendar.monthrange(year, mon)[1]))
