"""Deadlines counted provisionally (weekdays only, in a year whose holiday schedule is not entered yet) and
counted again once it is: SPEC §0.1 (limits in working days under the statutory calendar; a deadline only
escalates), S1 Arts. 15, 20, 22 (3, 10 and 30 working days)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from domain.calendar import WorkCalendar, provisional_version, provisional_year, weekdays_between
from domain.events import DeadlineSet
from domain.kernel.context import SYSTEM_ACTOR
from domain.kernel.deadlines import recount, recount_reason
from domain.kernel.state import Deadline

#: 2026 as the calendar knew it (autumn holidays only; covered), and 2027 once its schedule is entered: test
#: data in the State Council's shape (元旦, a week of 春节, one make-up Saturday), not the real 2027 notice.
HOLIDAYS_2026 = frozenset({date(2026, 10, d) for d in range(1, 8)})
HOLIDAYS_2027 = frozenset({date(2027, 1, 1), *(date(2027, 2, 5) + timedelta(days=i) for i in range(7))})
MAKEUP_2027 = frozenset({date(2027, 2, 13)})
OFFICIAL_2026 = WorkCalendar(holidays=HOLIDAYS_2026, makeup_workdays=frozenset(), covered_years=frozenset({2026}),
                             version="v2026")
#: What the deadline activity counted with before 2027 was entered: 2027 (and on) as weekdays only.
PROVISIONAL = WorkCalendar(holidays=HOLIDAYS_2026, makeup_workdays=frozenset(),
                           covered_years=frozenset({2026, 2027, 2028}),
                           version=provisional_version("v2026", 2027))
OFFICIAL_2027 = WorkCalendar(holidays=HOLIDAYS_2026 | HOLIDAYS_2027, makeup_workdays=MAKEUP_2027,
                             covered_years=frozenset({2026, 2027}), version="v2027")


def test_a_provisional_calendar_version_names_the_first_year_counted_weekdays_only() -> None:
    assert PROVISIONAL.version == "v2026+provisional-2027"
    assert provisional_year(PROVISIONAL.version) == 2027
    assert provisional_year("v2026") is None and provisional_year("calendar-months") is None


def test_a_deadline_that_recorded_its_count_is_counted_again_from_the_same_start() -> None:
    """S1 Art. 20: 10 working days from the submission to the county, recorded with the deadline."""
    start = date(2026, 12, 28)
    due = PROVISIONAL.add_working_days(start, 10)
    d = Deadline(step="county_decision", due=due, calendar_version=PROVISIONAL.version, start=start,
                 working_days=10)
    assert recount(d) == (start, 10)
    assert OFFICIAL_2027.add_working_days(*recount(d)) == date(2027, 1, 12)  # 元旦 (a Friday) now a day off
    assert due == date(2027, 1, 11)
    assert recount(d.model_copy(update={"calendar_version": "v2027"})) is None, "an official deadline stays"


@pytest.mark.parametrize(("start", "days"), [  # S1 Arts. 15 (3), 20 (10); S6 §四(一) (20); S1 Art. 22 (30, 45)
    (date(2026, 12, 29), 3), (date(2026, 12, 31), 3), (date(2026, 12, 18), 10), (date(2026, 12, 18), 20),
    (date(2026, 11, 30), 30), (date(2026, 12, 31), 30), (date(2026, 11, 30), 45), (date(2026, 12, 28), 45),
])
def test_a_deadline_recorded_without_its_count_is_counted_again_exactly_when_it_started_before_the_year(
    start: date, days: int,
) -> None:
    """A deadline recorded before start and working days were kept is recounted from 31 December with the
    weekdays the provisional count found in the new year: the official count from the original start, for
    every start before the provisional year."""
    due = PROVISIONAL.add_working_days(start, days)
    assert due.year == 2027, "the count reaches the provisional year"
    legacy = Deadline(step="overall", due=due, calendar_version=PROVISIONAL.version)
    eve, remaining = recount(legacy)
    assert eve == date(2026, 12, 31) and remaining == weekdays_between(eve, due)
    assert OFFICIAL_2027.add_working_days(eve, remaining) == OFFICIAL_2027.add_working_days(start, days)


def test_a_deadline_event_without_its_count_serialises_as_it_was_recorded() -> None:
    """Events recorded before ``start``/``working_days`` were kept re-derive byte for byte (the ledger's digest
    of a replayed decision must not change); events that carry them say so."""
    envelope = {"case_id": uuid4(), "seq": 3, "at": datetime(2026, 12, 28, 9, tzinfo=timezone.utc),
                "actor": SYSTEM_ACTOR,
                "legal_basis": ("S1 Art. 20",)}
    old = DeadlineSet(**envelope, step="county_decision", due=date(2027, 1, 11), calendar_version="v+provisional-2027")
    assert set(old.model_dump(mode="json")) == {"case_id", "seq", "at", "actor", "reason", "legal_basis",
                                                 "parameter_set_version", "schema_version", "type", "step", "due",
                                                 "calendar_version"}
    new = old.model_copy(update={"start": date(2026, 12, 28), "working_days": 10})
    assert new.model_dump(mode="json")["start"] == "2026-12-28" and new.model_dump(mode="json")["working_days"] == 10
    assert DeadlineSet.model_validate_json(new.model_dump_json()) == new


def test_a_recount_is_recorded_only_when_it_is_less_provisional_than_before() -> None:
    """SPEC §0.1: the new due date goes on the trail with its reason (zh-CN); a count whose year is still not
    covered changes nothing."""
    d = Deadline(step="overall", due=date(2027, 1, 12), calendar_version=PROVISIONAL.version)
    reason = recount_reason(d, "v2027")
    assert reason is not None and "2027年节假日安排已录入" in reason and "2027-01-12" in reason
    assert recount_reason(d, provisional_version("v2027", 2028)) is not None, "2027 now official, 2028 not"
    assert recount_reason(d, provisional_version("v2026b", 2027)) is None, "2027 still not covered"
    assert recount_reason(d.model_copy(update={"calendar_version": "v2027"}), "v2027") is None
