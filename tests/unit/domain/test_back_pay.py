"""补发 (back pay) for a standard raised with a past effective date (issue 20 item 5; S4 Art. 10, S1 Art. 23).

A standard issued in March with effect from 1 January reaches months already paid at the old amount: the
recalculation decides, in the same decision, the difference for each of those months — and only once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from domain import commands as c
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import DecisionContext
from domain.kernel.state import PaidMonth
from domain.parameters import resolve
from domain.programmes import decide, project
from tests.standard_change_cases import book_with_version, in_payment_state, load_book
from tests.workflows.lifecycle import COUNTY_APPROVER

JAN = date(2027, 1, 1)
ISSUED = datetime(2027, 3, 10, 10, tzinfo=CHINA_TZ)


def _case(tmp_path):  # type: ignore[no-untyped-def]
    book = load_book(book_with_version(tmp_path / "b.json", "raised-2027", JAN, rural="420.00", urban="640.00"))
    state = in_payment_state(book, village_code="532302101001", per_capita_monthly="100", members=2,
                             decided_on=date(2026, 11, 20))
    return book, state


def _recalculate(book, state, payments):  # type: ignore[no-untyped-def]
    ctx = DecisionContext(now=ISSUED, actor=COUNTY_APPROVER, case_id=state.case_id,
                          params=resolve(book, state.village_code, JAN), payments=payments)
    return decide(state, c.ApplyStandardChange(version="raised-2027", effective_from=JAN), ctx)


def test_months_paid_at_the_old_amount_are_owed_the_difference(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """S4 Art. 10, S1 Art. 23: January to March were paid at 550 ((375 − 100) × 2); from January 640 is due, so
    90 a month is back pay; December (before the effective date) is not touched."""
    book, state = _case(tmp_path)
    paid = tuple(PaidMonth(month=m, amount=Decimal("550.00")) for m in ("2026-12", "2027-01", "2027-02", "2027-03"))
    events = _recalculate(book, state, paid)
    assert [ev.type for ev in events] == ["benefit_recalculated", "back_pay_decided"]
    back = events[1]
    assert back.legal_basis == ("S4 Art. 10", "S1 Art. 23")
    assert back.per_month == {"2027-01": Decimal("90.00"), "2027-02": Decimal("90.00"), "2027-03": Decimal("90.00")}
    assert back.amount == Decimal("270.00") and back.version == "raised-2027"
    after = project(events, state)
    assert after is not None and after.back_pay_decided == Decimal("270.00")


def test_no_back_pay_without_paid_months_or_for_a_lowering(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """S1 Art. 23: nothing was paid short, nothing is owed; a month paid more than now due is not recovered
    (the household was paid what was due then)."""
    book, state = _case(tmp_path)
    assert [ev.type for ev in _recalculate(book, state, ())] == ["benefit_recalculated"]
    overpaid = (PaidMonth(month="2027-01", amount=Decimal("900.00")),)
    assert [ev.type for ev in _recalculate(book, state, overpaid)] == ["benefit_recalculated"]


def test_the_next_roll_pays_the_new_amount(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """S1 Art. 23: after the recalculation, April is payable at 640."""
    book, state = _case(tmp_path)
    after = project(_recalculate(book, state, ()), state)
    assert after is not None and after.amount_for("2027-04") == Decimal("640.00")
