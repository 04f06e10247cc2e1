"""Regressions in ``domain/dynamic.py`` found while writing the in-payment tests (SPEC §8).

Each was first reported as a KNOWN BUG and then fixed; each test keeps the input that showed the bug and
states what the rules require.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain import commands as c
from domain import events as e
from domain.errors import DomainError
from domain.household import Declaration, IncomeKind, LabourCapacity, Member, Relation
from tests.unit.domain.dynamic_support import (
    CASEWORKER,
    COUNTY_APPROVER,
    WINDOW,
    Case,
    in_payment,
    income,
    member,
    paid,
    params,
    review,
    single_elder,
    types,
)


def _four(**dynamic: object) -> Case:
    """Four members, farming 10,800 a year → 225.00 per capita → 600.00 a month; member 1 able to work."""
    members: list[Member] = [member("甲", "19800101", "811", Relation.APPLICANT),
                             member("乙", "19820101", "822", Relation.SPOUSE),
                             member("丙", "20120101", "833"),
                             member("丁", "19450101", "844", Relation.PARENT, LabourCapacity.NONE)]
    declaration = Declaration(income=[income(IncomeKind.BUSINESS_NET, 10800)])
    return in_payment(members, declaration, p=params(**dynamic))


def _death(index: int, on: date) -> c.RaiseDataAlert:
    return c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=index, occurred_on=on,
                            source="殡葬管理信息比对")


def test_recovery_never_exceeds_what_the_roll_paid_for_a_month() -> None:
    """S4 Art. 68; SPEC §12 sc. 11: recovery is of money paid beyond the entitlement — never more than paid.

    Two members, 550.00 a month, ``change_effective = this_month``; May 2027 paid at 550.00. On 10 May a
    review decreases the amount to 250.00 from May (300.00 recovered for May); on 20 May the benefit is
    stopped from May: the stop recovers the 250.00 not yet recovered, 550.00 in all. (It recovered 550.00
    again, 850.00 for a 550.00 payment, before a47326c.)
    """
    p = params(change_effective="this_month")
    case = in_payment([member("甲", "19800101", "911", Relation.APPLICANT), member("乙", "20100101", "922")],
                      Declaration(income=[income(IncomeKind.BUSINESS_NET, 2400)]), p=p)
    roll = paid("2026-12", "2027-05", "550.00")
    case.on(date(2027, 5, 10))
    case.do(WINDOW, c.ReportChange(note="收入增加",
                                   declaration=Declaration(income=[income(IncomeKind.BUSINESS_NET, 6000)])))
    first = review(case, "家庭收入增加", payments=roll)
    case.on(date(2027, 5, 20))

    stop = c.StopBenefit(reason_code=c.StopReason.PROPERTY_NON_COMPLIANT, reasons=["新购车辆"])
    events = case.do(COUNTY_APPROVER, stop, payments=roll)

    (decrease_recovery,) = [ev for ev in first if isinstance(ev, e.OverpaymentRecoveryOrdered)]
    (stop_recovery,) = [ev for ev in events if isinstance(ev, e.OverpaymentRecoveryOrdered)]
    assert decrease_recovery.amount == Decimal("300.00")
    assert stop_recovery.amount == Decimal("250.00")
    assert stop_recovery.per_month == {"2027-05": Decimal("250.00")}
    assert case.state.overpayment_ordered == Decimal("550.00")


def test_when_the_last_of_two_members_dies_the_stop_is_from_the_month_after_the_last_death() -> None:
    """S6 §一(三); SPEC §8.3 (death: recompute N, or stop if it was the only member).

    Two members (550.00 a month), member 0 dies 2027-01-10, member 1 dies 2027-04-10, both found on
    2027-05-20; the roll paid 550.00 through May. The household existed until its last member died: the stop
    is from 2027-05, and no more than 550.00 + 3 × (550.00 − 175.00) = 1,675.00 can be owed back. (The stop
    ran from 2027-02 with 2,200.00 recovered before a47326c.)
    """
    case = in_payment([member("甲", "19400101", "931", Relation.APPLICANT, LabourCapacity.NONE),
                       member("乙", "19420101", "942", Relation.SPOUSE, LabourCapacity.NONE)],
                      Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 2400)]))
    case.on(date(2027, 5, 20))
    case.do(CASEWORKER, _death(0, date(2027, 1, 10)))
    case.do(CASEWORKER, _death(1, date(2027, 4, 10)))

    events = review(case, "两名家庭成员先后死亡", payments=paid("2026-12", "2027-05", "550.00"))

    stopped = next(ev for ev in events if isinstance(ev, e.BenefitStopped))
    assert stopped.effective_month == "2027-05"
    assert case.state.overpayment_ordered <= Decimal("1675.00")


def test_a_share_cut_during_a_death_review_divides_the_amount_by_the_household_it_was_computed_for() -> None:
    """S1 Art. 34 (that member's share only; SPEC §12 sc. 14: the others' shares unchanged).

    Four members paid 600.00 (150.00 each); member 1 refused three jobs; a death alert for member 3 is open
    (the amount is still 600.00 for four); the county cuts member 1's share: 600.00 − 600.00 / 4 = 450.00.
    (400.00 before a47326c: divided by the three members still counted.)
    """
    case = _four()
    case.on(date(2027, 3, 1))
    for _ in range(3):
        case.do(CASEWORKER, c.RecordJobRefusal(member_index=1, offer="保洁岗位"))
    case.do(CASEWORKER, _death(3, date(2027, 2, 20)))

    (reduced,) = case.do(COUNTY_APPROVER, c.ReduceMemberShare(member_index=1, reason="连续3次拒绝"))

    assert isinstance(reduced, e.MemberBenefitReduced)
    assert reduced.new_amount == Decimal("450.00")


def test_no_month_before_the_first_payment_month_becomes_payable() -> None:
    """S1 Art. 21 (paid from the month after the decision).

    Four members approved 2026-11-02 (first payment 2026-12, 600.00); on 2026-11-20 a death alert for
    member 3, who died 2026-10-05 (during the procedure); the review decreases the amount from 2026-12, not
    from 2026-11. (Before a47326c the decrease ran from 2026-11, which became payable at 225.00.)
    """
    case = _four()
    case.on(date(2026, 11, 20))
    case.do(CASEWORKER, _death(3, date(2026, 10, 5)))

    events = review(case, "家庭成员于申请期间死亡")

    decreased = events[0]
    assert isinstance(decreased, e.BenefitDecreased)
    assert decreased.from_month == "2026-12"
    assert case.state.amount_for("2026-11") is None
    assert [p.from_month for p in case.state.benefit_periods] == ["2026-12"]


def test_the_death_resolution_deadline_runs_from_the_earliest_unresolved_death() -> None:
    """S6 §一(三): finish within 3 months of the death.

    On 2027-05-20 alerts for a death on 2027-01-10 (due 2027-04-10) and then for one on 2027-04-10: the
    deadline stays 2027-04-10 (already overdue). (The later alert moved it to 2027-07-10 before a47326c.)
    """
    case = _four()
    case.on(date(2027, 5, 20))
    case.do(CASEWORKER, _death(3, date(2027, 1, 10)))
    case.do(CASEWORKER, _death(2, date(2027, 4, 10)))

    assert case.state.deadlines["death_resolution"].due == date(2027, 4, 10)


def test_a_death_reported_by_the_household_also_has_the_three_month_deadline() -> None:
    """S6 §一(三) applies to every death, however the township learns of it (SPEC §8.3).

    The household reports at the window that member 3 died on 2027-02-20: ``DeadlineSet{death_resolution,
    due 2027-05-20}``, as for a data alert. (Only ``RaiseDataAlert`` set one before a47326c.)
    """
    case = _four()
    case.on(date(2027, 3, 1))

    events = case.do(WINDOW, c.ReportChange(note="老人去世", members_leaving=[
        c.MemberLeaving(member_index=3, reason=c.LeaveReason.DEATH, on=date(2027, 2, 20))]))

    assert types(events) == ["change_reported", "deadline_set", "ad_hoc_review_opened"]
    deadline = case.state.deadlines.get("death_resolution")
    assert deadline is not None
    assert deadline.due == date(2027, 5, 20)


def test_an_undated_reported_death_is_dated_in_china_time() -> None:
    """Dates in the law are local dates (``CHINA_TZ``); S6 §一(三); SPEC §8.3.

    At 07:00 Beijing time on 2027-03-01 the household reports that member 3 died (no date given); March was
    paid at 600.00. The death is dated 2027-03-01, so the decrease runs from 2027-04 and nothing is recovered.
    (It was dated 2027-02-28, the UTC date, before a47326c: backdated to March with 375.00 recovered.)
    """
    case = _four()
    case.on(date(2027, 3, 1), hour=7)
    case.do(WINDOW, c.ReportChange(note="老人去世", members_leaving=[
        c.MemberLeaving(member_index=3, reason=c.LeaveReason.DEATH)]))

    assert case.state.unresolved_deaths == (date(2027, 3, 1),)
    events = review(case, "家庭成员死亡", payments=paid("2026-12", "2027-03", "600.00"))
    assert types(events) == ["benefit_decreased", "review_completed"]
    decreased = events[0]
    assert isinstance(decreased, e.BenefitDecreased)
    assert decreased.from_month == "2027-04"


def test_a_standard_change_reaching_a_household_with_no_member_left_is_a_domain_decision() -> None:
    """S4 Art. 10 with S6 §一(三); STYLE guideline 8 (the domain raises only ``DomainError``s).

    Input: a 单人户 (275.00 a month); on 2026-12-20 a death alert for its only member (died 2026-12-10)
    opens a review; before it is decided, the mass recalculation applies a new version (rural 400.00,
    from 2027-01-01) with the county approver's authority. Expected: a ``DomainError`` (the review decides
    the stop) or a recalculation that stops nothing. Was: ``decimal.DivisionByZero`` from ``assess`` (N =
    0) via ``household_assessment`` in ``_standard_change`` — in the workflow an unexpected exception fails
    the workflow task, which then retries for ever, and the batch stalls on this case.
    """
    case = in_payment(*single_elder())
    case.on(date(2026, 12, 20))
    case.do(CASEWORKER, _death(0, date(2026, 12, 10)))
    v2 = params(version="532302-2027", rural="400", effective_from=date(2027, 1, 1))

    try:
        events = case.decide(COUNTY_APPROVER, c.ApplyStandardChange(version="532302-2027",
                                                                    effective_from=date(2027, 1, 1)),
                             with_params=v2)
    except DomainError:
        return
    assert not any(isinstance(ev, e.BenefitStopped) for ev in events)
