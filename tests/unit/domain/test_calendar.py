"""Working-day arithmetic on a hand-built statutory calendar (SPEC §0.1, §3.3–3.5).

The calendar below is autumn 2026 as the State Council scheduled it: 中秋节 2026-09-25..27 off, 国庆节
2026-10-01..07 off, make-up working days Sunday 2026-09-20 and Saturday 2026-10-10. Only 2026 is covered.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import CalendarNotCovered, WorkCalendar
from domain.errors import DomainError

MID_AUTUMN = frozenset(date(2026, 9, d) for d in (25, 26, 27))
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 8))
MAKEUP_SUNDAY = date(2026, 9, 20)
MAKEUP_SATURDAY = date(2026, 10, 10)


def calendar_2026(**changes: object) -> WorkCalendar:
    fields: dict[str, object] = {
        "holidays": MID_AUTUMN | NATIONAL_DAY,
        "makeup_workdays": frozenset({MAKEUP_SUNDAY, MAKEUP_SATURDAY}),
        "covered_years": frozenset({2026}),
        "version": "test-2026",
    }
    fields.update(changes)
    return WorkCalendar(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 2), True),  # Monday
        (date(2026, 11, 6), True),  # Friday
        (date(2026, 11, 7), False),  # Saturday
        (date(2026, 11, 8), False),  # Sunday
        (date(2026, 10, 1), False),  # Thursday, National Day
        (date(2026, 9, 25), False),  # Friday, Mid-Autumn
        (date(2026, 10, 3), False),  # Saturday inside the holiday
        (MAKEUP_SATURDAY, True),
        (MAKEUP_SUNDAY, True),
        (date(2026, 10, 8), True),  # Thursday after the holiday
    ],
)
def test_a_weekday_works_unless_a_holiday_and_a_weekend_day_only_if_a_makeup_day(
    day: date, working: bool
) -> None:
    assert calendar_2026().is_working_day(day) is working


def test_a_weekday_holiday_with_no_entry_would_be_a_working_day() -> None:
    """The holiday set is what makes 2026-10-01 a day off: without it, a Thursday works."""
    assert calendar_2026(holidays=frozenset()).is_working_day(date(2026, 10, 1)) is True


def test_three_working_days_after_the_eve_of_national_day_end_on_the_makeup_saturday() -> None:
    """受理 on Wednesday 2026-09-30: 10-01..07 are off, so the 3 wd (S1 Art. 15) are 10-08, 10-09, 10-10."""
    assert calendar_2026().add_working_days(date(2026, 9, 30), 3) == MAKEUP_SATURDAY


def test_one_working_day_after_the_eve_of_national_day_is_the_first_day_after_it() -> None:
    assert calendar_2026().add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_the_start_day_is_never_counted_even_when_it_is_a_working_day() -> None:
    assert calendar_2026().add_working_days(date(2026, 11, 2), 1) == date(2026, 11, 3)


def test_a_period_starting_on_a_weekend_counts_from_the_next_working_day() -> None:
    assert calendar_2026().add_working_days(date(2026, 11, 7), 1) == date(2026, 11, 9)


def test_ten_working_days_across_mid_autumn_and_national_day() -> None:
    """Receipt on Monday 2026-09-21 (S1 Art. 20): 9-22..24, 9-28..30, then 10-08, 10-09, 10-10, 10-12."""
    assert calendar_2026().add_working_days(date(2026, 9, 21), 10) == date(2026, 10, 12)


def test_thirty_working_days_in_a_plain_stretch_are_six_weeks() -> None:
    """S1 Art. 22 over November 2026, which has no holiday: 30 wd = 6 weeks from a Monday."""
    assert calendar_2026().add_working_days(date(2026, 11, 2), 30) == date(2026, 12, 14)


def test_working_days_between_counts_the_half_open_interval() -> None:
    cal = calendar_2026()
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert cal.working_days_between(date(2026, 11, 2), date(2026, 11, 2)) == 0
    assert cal.working_days_between(date(2026, 11, 3), date(2026, 11, 2)) == 0


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 20, 30, 45])
def test_working_days_between_inverts_add_working_days(n: int) -> None:
    cal = calendar_2026()
    start = date(2026, 9, 18)
    assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_calendar_days_ignore_holidays() -> None:
    """The 7-day 公示 (S1 Art. 19) posted on 2026-09-30 ends on 2026-10-07, inside the holiday."""
    assert calendar_2026().add_calendar_days(date(2026, 9, 30), 7) == date(2026, 10, 7)


def test_calendar_days_need_no_holiday_data() -> None:
    assert calendar_2026().add_calendar_days(date(2027, 12, 28), 7) == date(2028, 1, 4)


@pytest.mark.parametrize("n", [0, -1])
def test_a_period_must_be_at_least_one_day(n: int) -> None:
    cal = calendar_2026()
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_working_days(date(2026, 11, 2), n)
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_calendar_days(date(2026, 11, 2), n)


def test_a_day_in_an_uncovered_year_raises_naming_the_year() -> None:
    with pytest.raises(CalendarNotCovered, match="2027") as info:
        calendar_2026().is_working_day(date(2027, 1, 4))
    assert info.value.year == 2027
    assert info.value.code == "calendar_not_covered"
    assert isinstance(info.value, DomainError)


def test_a_period_running_into_an_uncovered_year_raises() -> None:
    """Counting on into 2027 as if every weekday worked would give a wrong deadline: refuse instead."""
    with pytest.raises(CalendarNotCovered) as info:
        calendar_2026().add_working_days(date(2026, 12, 21), 10)
    assert info.value.year == 2027


def test_a_period_ending_before_the_uncovered_year_is_computed() -> None:
    assert calendar_2026().add_working_days(date(2026, 12, 21), 8) == date(2026, 12, 31)


def test_counting_into_an_uncovered_year_raises() -> None:
    with pytest.raises(CalendarNotCovered):
        calendar_2026().working_days_between(date(2026, 12, 30), date(2027, 1, 2))


def test_covering_the_next_year_lets_the_count_continue() -> None:
    cal = calendar_2026(covered_years=frozenset({2026, 2027}))
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)  # no 2027 holidays entered here


def test_a_day_cannot_be_both_a_holiday_and_a_makeup_working_day() -> None:
    with pytest.raises(ValueError, match="2026-10-10"):
        calendar_2026(holidays=NATIONAL_DAY | {MAKEUP_SATURDAY})


def test_the_calendar_is_immutable() -> None:
    cal = calendar_2026()
    with pytest.raises(AttributeError):
        cal.version = "other"  # type: ignore[misc]
