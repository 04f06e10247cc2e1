"""Age bands and birthdays (SPEC §6.3: bands and amounts UNCONFIRMED parameters; the birth date from the
resident ID number, SPEC §10.1). Pure."""

from __future__ import annotations

from datetime import date

from domain.identity import parse_resident_id
from domain.months import add_months
from domain.parameters import AgeBand, Allowances


def birth_date(resident_id: str) -> date:
    return parse_resident_id(resident_id).birth_date


def birthday(born: date, age: int) -> date:
    """The day ``age`` is reached (a 29 February birthday falls on 28 February in other years)."""
    return add_months(born, 12 * age)


def age_on(born: date, day: date) -> int:
    years = day.year - born.year
    return years if birthday(born, years) <= day else years - 1


def band_for(born: date, day: date, p: Allowances) -> AgeBand | None:
    """The highest band the person has reached on ``day``; None below the first."""
    age = age_on(born, day)
    reached = [b for b in p.old_age_bands if b.min_age <= age]
    return reached[-1] if reached else None


def next_band_day(born: date, band_ages: tuple[int, ...], current: int) -> date | None:
    """The birthday that reaches the next band above ``current`` (None: the top band)."""
    higher = [a for a in band_ages if a > current]
    return birthday(born, higher[0]) if higher else None
