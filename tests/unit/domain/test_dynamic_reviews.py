"""The in-payment life, review side (SPEC §8, §12 scenarios 13-14): review cadence and outcomes, reported
changes, job refusals and standard changes (物价联动).

Cases are driven through the whole S1 procedure with ``decide`` and ``project`` (see ``dynamic_support``),
approved on 2026-11-02 and paid from 2026-12.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from domain import commands as c
from domain import events as e
from domain.errors import InvalidInput, InvalidTransition, NotPermitted
from domain.household import Declaration, IncomeKind, LabourCapacity, Member, Relation
from domain.kernel.context import SYSTEM_ACTOR
from domain.parameters import ResolvedParameters
from domain.procedure.records import ReviewClass
from domain.programmes.dibao.stages import Stage
from tests.builders import resident_id, with_bad_check_digit
from tests.unit.domain.dynamic_support import (
    CASEWORKER,
    COUNTY_APPROVER,
    TOWNSHIP_APPROVER,
    WINDOW,
    Case,
    check_review,
    in_payment,
    income,
    member,
    params,
    review,
    stable_couple,
    types,
)

# --- SPEC §12 scenario 13: the review cadence -------------------------------------------------------------

Household = Callable[[], tuple[list[Member], Declaration]]


def able_bodied_household() -> tuple[list[Member], Declaration]:
    """A 36-year-old able to work and an elderly parent unable to work; regular income."""
    return ([member("刘洋", "19900510", "511", Relation.APPLICANT),
             member("刘母", "19480101", "522", Relation.PARENT, LabourCapacity.NONE)],
            Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 2400)]))


def irregular_income_couple() -> tuple[list[Member], Declaration]:
    """The stable couple, but part of the income is casual (不固定)."""
    members, _ = stable_couple()
    return members, Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 1200),
                                        income(IncomeKind.OTHER, 1200, 0, irregular=True)])


def partial_capacity_household() -> tuple[list[Member], Declaration]:
    """Working age but only partly able to work (S6 §一(一): considered realistically), regular income."""
    return ([member("何平", "19800101", "611", Relation.APPLICANT, LabourCapacity.PARTIAL),
             member("何母", "19460101", "622", Relation.PARENT, LabourCapacity.NONE)],
            Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 2400)]))


@pytest.mark.parametrize(
    ("household", "klass", "months", "due"),
    [
        (stable_couple, ReviewClass.ANNUAL, 12, date(2027, 11, 2)),
        (partial_capacity_household, ReviewClass.ANNUAL, 12, date(2027, 11, 2)),
        (able_bodied_household, ReviewClass.SEMI_ANNUAL, 6, date(2027, 5, 2)),
        (irregular_income_couple, ReviewClass.SEMI_ANNUAL, 6, date(2027, 5, 2)),
    ],
    ids=["stable", "partial-capacity", "able-bodied", "irregular-income"],
)
def test_the_review_class_is_scheduled_with_the_approval(household: Household, klass: ReviewClass,
                                                         months: int, due: date) -> None:
    """S1 Art. 31; S5 item 7; SPEC §8.1: annually when the situation is stable in the short term, every six
    months with irregular income or a member able to work (of working age); counted from the decision."""
    case = in_payment(*household())

    (scheduled,) = case.of(e.ReviewScheduled)

    assert (scheduled.review_class, scheduled.interval_months, scheduled.due) == (klass, months, due)
    assert (case.state.review_class, case.state.next_review_due) == (klass, due)


def test_the_periodic_review_opens_on_its_due_date_and_not_before() -> None:
    """S1 Art. 31: the engine's timer opens the review when due (12 months for a stable household)."""
    case = in_payment(*stable_couple())
    due = date(2027, 11, 2)
    case.on(date(2027, 11, 1), hour=23, minute=59)

    with pytest.raises(InvalidTransition, match="not due yet"):
        case.decide(SYSTEM_ACTOR, c.OpenPeriodicReview(due=due))

    case.on(due, hour=0, minute=1)
    events = case.do(SYSTEM_ACTOR, c.OpenPeriodicReview(due=due))

    assert types(events) == ["periodic_review_due"]
    assert case.state.stage is Stage.UNDER_REVIEW
    assert case.state.review is not None
    assert (case.state.review.trigger, case.state.review.due) == ("periodic", due)


def test_a_semi_annual_household_is_due_after_six_months() -> None:
    """S1 Art. 31; SPEC §12 sc. 13 household B: ``PeriodicReviewDue`` at 6 months."""
    case = in_payment(*able_bodied_household())
    case.on(date(2027, 5, 2))

    assert types(case.do(SYSTEM_ACTOR, c.OpenPeriodicReview(due=date(2027, 5, 2)))) == ["periodic_review_due"]


def test_a_periodic_review_can_never_be_opened_twice_or_for_another_date() -> None:
    """S1 Art. 31 (one review per cycle): the timer and the daily sweep may both fire; the due date makes
    the command idempotent — a wrong date, a second opening, or the old date once the cycle moved on are
    refused."""
    case = in_payment(*stable_couple())
    due = date(2027, 11, 2)
    case.on(date(2027, 11, 5))

    with pytest.raises(InvalidTransition):
        case.decide(SYSTEM_ACTOR, c.OpenPeriodicReview(due=date(2027, 11, 3)))
    case.do(SYSTEM_ACTOR, c.OpenPeriodicReview(due=due))
    with pytest.raises(InvalidTransition):
        case.decide(SYSTEM_ACTOR, c.OpenPeriodicReview(due=due))
    case.on(date(2027, 11, 10))
    review(case, "家庭经济状况无明显变化")
    with pytest.raises(InvalidTransition):
        case.decide(SYSTEM_ACTOR, c.OpenPeriodicReview(due=due))


def test_only_the_engine_opens_periodic_reviews() -> None:
    """SPEC §0.1: the due date is a timer, not a person's decision (people open ad-hoc reviews)."""
    case = in_payment(*stable_couple())
    case.on(date(2027, 11, 2))

    with pytest.raises(NotPermitted):
        case.decide(CASEWORKER, c.OpenPeriodicReview(due=date(2027, 11, 2)))


def test_a_review_without_material_change_leaves_the_amount_alone_and_reschedules() -> None:
    """S1 Art. 31; S5 item 7: "核查期内…没有明显变化的，不再调整最低生活保障金额度" — SPEC §12 sc. 13: no
    ``BenefitIncreased``/``BenefitDecreased``; the next review is counted from this decision."""
    case = in_payment(*stable_couple())
    case.on(date(2027, 11, 2))
    case.do(SYSTEM_ACTOR, c.OpenPeriodicReview(due=date(2027, 11, 2)))
    case.on(date(2027, 11, 10))

    events = review(case, "家庭经济状况无明显变化")

    assert types(events) == ["review_completed"]
    completed = events[0]
    assert isinstance(completed, e.ReviewCompleted)
    assert (completed.outcome, completed.periodic) == ("no_change", True)
    assert (completed.review_class, completed.next_review_due) == (ReviewClass.ANNUAL, date(2028, 11, 10))
    state = case.state
    assert state.monthly_amount == Decimal("550.00")
    assert len(state.benefit_periods) == 1
    assert (state.stage, state.next_review_due, state.reviews_completed) == (
        Stage.IN_PAYMENT, date(2028, 11, 10), 1)
    assert not case.of(e.BenefitIncreased)
    assert not case.of(e.BenefitDecreased)


@pytest.mark.parametrize(("threshold", "expected"), [("30", ["review_completed"]),
                                                     ("0", ["benefit_decreased", "review_completed"])])
def test_a_change_below_the_local_threshold_is_no_material_change(threshold: str,
                                                                  expected: list[str]) -> None:
    """S1 Art. 31 ("明显变化"): 10.00 more per capita is 20.00 less for the couple — no change when the local
    threshold is 30.00, a decrease when every difference counts."""
    case = in_payment(*stable_couple(), p=params(material_change_min_yuan=Decimal(threshold)))
    case.on(date(2027, 3, 1))
    more = Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 2640)])
    case.do(WINDOW, c.ReportChange(note="赡养费略有增加", declaration=more))

    events = review(case, "赡养费每月增加10元")

    assert types(events) == expected
    assert case.state.amount_for("2027-06") == (Decimal("550.00") if threshold == "30" else Decimal("530.00"))


# --- SPEC §12 scenario 14: three job refusals -------------------------------------------------------------

M = 1  # the wife, able to work, unemployed


def three_person_household() -> Case:
    """Couple able to work and a child; 3,600 a year → 100.00 per capita → (375 − 100) × 3 = 825.00."""
    return in_payment([member("张强", "19800101", "711", Relation.APPLICANT),
                       member("吴芳", "19820202", "722", Relation.SPOUSE),
                       member("张乐", "20120303", "733")],
                      Declaration(income=[income(IncomeKind.BUSINESS_NET, 3600)]))


def refuse(good_reason: bool = False, who: int = M) -> c.RecordJobRefusal:
    return c.RecordJobRefusal(member_index=who, offer="人社部门介绍的镇农贸市场保洁岗位",
                              good_reason=good_reason)


REDUCE = c.ReduceMemberShare(member_index=M, reason="无正当理由连续3次拒绝接受介绍的工作")


def test_the_share_is_not_reduced_before_the_third_refusal() -> None:
    """S1 Art. 34; S4 Art. 45: "连续3次拒绝" — two refusals are not enough."""
    case = three_person_household()
    case.on(date(2027, 2, 10))
    assert [case.do(CASEWORKER, refuse())[0].consecutive for _ in range(2)] == [1, 2]  # type: ignore[attr-defined]

    with pytest.raises(InvalidTransition, match="3 refusals"):
        case.decide(COUNTY_APPROVER, REDUCE)


def test_a_refusal_with_good_reason_breaks_the_streak() -> None:
    """S1 Art. 34 ("无正当理由…连续"): a refusal for good reason resets the count."""
    case = three_person_household()
    case.on(date(2027, 2, 10))
    counts = [case.do(CASEWORKER, refuse(good))[0].consecutive  # type: ignore[attr-defined]
              for good in (False, False, True, False)]

    assert counts == [1, 2, 0, 1]
    with pytest.raises(InvalidTransition):
        case.decide(COUNTY_APPROVER, REDUCE)


def test_after_three_refusals_only_that_members_share_is_cut() -> None:
    """S1 Art. 34; S4 Art. 45; SPEC §8.2 and §12 sc. 14: ``MemberBenefitReduced{member: M}``; new amount =
    old − old / N; each other member's share (old / N) is unchanged."""
    case = three_person_household()
    case.on(date(2027, 2, 10))
    for _ in range(3):
        case.do(CASEWORKER, refuse())

    events = case.do(COUNTY_APPROVER, REDUCE)

    assert types(events) == ["member_benefit_reduced"]
    reduced = events[0]
    assert isinstance(reduced, e.MemberBenefitReduced)
    old, n = Decimal("825.00"), 3
    assert (reduced.member_index, reduced.share_cut, reduced.old_amount) == (M, Decimal("1"), old)
    assert reduced.new_amount == old - old / n == Decimal("550.00")
    others = [i for i in range(n) if i != M]
    assert reduced.new_amount / len(others) == old / n  # each other member still gets 275.00
    assert reduced.from_month == "2027-03"
    assert (case.state.amount_for("2027-02"), case.state.amount_for("2027-03")) == (old, Decimal("550.00"))
    assert case.state.share_cuts == (M,)
    with pytest.raises(InvalidTransition, match="already reduced"):
        case.decide(COUNTY_APPROVER, REDUCE)


def test_a_later_review_keeps_the_members_cut() -> None:
    """S1 Art. 34 with S1 Art. 31: a review without change keeps 550.00; a review after the income doubled
    recomputes the household (7,200 → 200.00 per capita → 525.00) and still leaves M's share out: 350.00."""
    case = three_person_household()
    case.on(date(2027, 2, 10))
    for _ in range(3):
        case.do(CASEWORKER, refuse())
    case.do(COUNTY_APPROVER, REDUCE)
    case.on(date(2027, 4, 1))
    case.do(CASEWORKER, c.OpenAdHocReview(reason="复核家庭情况"))

    assert types(review(case, "无明显变化")) == ["review_completed"]
    assert case.state.amount_for("2027-05") == Decimal("550.00")

    case.on(date(2027, 6, 1))
    case.do(WINDOW, c.ReportChange(note="经营收入增加",
                                   declaration=Declaration(income=[income(IncomeKind.BUSINESS_NET, 7200)])))
    events = review(case, "家庭经营收入增加")

    decreased = events[0]
    assert isinstance(decreased, e.BenefitDecreased)
    assert (decreased.old_amount, decreased.new_amount) == (Decimal("550.00"), Decimal("350.00"))
    assert case.state.share_cuts == (M,)


def test_job_refusals_concern_members_able_to_work() -> None:
    """S1 Art. 34: only members with the ability to work are offered jobs."""
    case = in_payment(*stable_couple())

    with pytest.raises(InvalidInput) as refused:
        case.decide(CASEWORKER, refuse(who=1))

    assert refused.value.field == ("member_index",)


def test_the_confirming_authority_reduces_the_share() -> None:
    """S1 Arts. 32, 34: a decrease is a decision of the county (or township where devolved)."""
    case = three_person_household()
    for _ in range(3):
        case.do(CASEWORKER, refuse())

    for actor in (CASEWORKER, TOWNSHIP_APPROVER):
        with pytest.raises(NotPermitted):
            case.decide(actor, REDUCE)


# --- Reported changes (S1 Art. 30; S4 Art. 13) ------------------------------------------------------------


def newborn(rid: str | None = None) -> Member:
    return Member(name="张宝宝", resident_id=rid or resident_id(birth="20270105", seq="741"),
                  relation=Relation.CHILD, labour_capacity=LabourCapacity.NONE)


def test_a_report_opens_an_ad_hoc_review_unless_one_is_open() -> None:
    """S1 Arts. 30-31; SPEC §8: a reported change opens a review; while one is open the report joins it."""
    case = in_payment(*stable_couple())
    case.on(date(2027, 3, 1))
    note = "家庭收入变化"
    more = Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 3000)])
    report = c.ReportChange(note=note, declaration=more)

    first = case.do(WINDOW, report)
    second = case.do(WINDOW, report)

    assert types(first) == ["change_reported", "ad_hoc_review_opened"]
    assert isinstance(first[1], e.AdHocReviewOpened)
    assert first[1].trigger == "change_report"
    assert types(second) == ["change_reported"]
    assert case.state.stage is Stage.UNDER_REVIEW
    assert case.state.monthly_amount == Decimal("550.00")  # only the review's decision changes the amount


def test_a_joining_member_counts_after_the_review() -> None:
    """S1 Arts. 7, 30: a newborn joins the household; the review recomputes N = 3 (2,400 / 3 / 12 = 66.67 per
    capita → 925.00) and the increase applies from the next month."""
    case = in_payment(*stable_couple())
    case.on(date(2027, 1, 20))
    case.do(WINDOW, c.ReportChange(note="新生儿落户", members_joining=[newborn()]))

    events = review(case, "新增家庭成员1人")

    increased = events[0]
    assert isinstance(increased, e.BenefitIncreased)
    assert (increased.new_amount, increased.household_size, increased.from_month) == (
        Decimal("925.00"), 3, "2027-02")


def test_a_joining_member_with_an_invalid_id_number_is_refused_naming_the_field() -> None:
    """GB 11643 check character (SPEC §10.1); the API names the field: ``members_joining.0.resident_id``."""
    case = in_payment(*stable_couple())
    bad = with_bad_check_digit(resident_id(birth="20270105", seq="741"))

    with pytest.raises(InvalidInput) as refused:
        case.decide(WINDOW, c.ReportChange(note="新生儿落户", members_joining=[newborn(bad)]))

    assert refused.value.field == ("members_joining", 0, "resident_id")


def test_a_joining_member_already_in_the_household_is_refused() -> None:
    """S1 Art. 7: one person counts once."""
    members, _ = stable_couple()
    case = in_payment(*stable_couple())

    with pytest.raises(InvalidInput) as refused:
        case.decide(WINDOW, c.ReportChange(note="重复", members_joining=[members[1]]))

    assert refused.value.field == ("members_joining", 0, "resident_id")


def test_a_leaving_member_must_still_count_in_the_household() -> None:
    """S1 Art. 7: only a member who still counts can leave; an unknown index, or one already gone, is
    refused."""
    case = in_payment(*stable_couple())
    case.on(date(2027, 3, 1))
    gone = c.MemberLeaving(member_index=1, reason=c.LeaveReason.MOVED_OUT, on=date(2027, 2, 1))

    with pytest.raises(InvalidInput) as unknown:
        case.decide(WINDOW, c.ReportChange(note="迁出", members_leaving=[
            c.MemberLeaving(member_index=5, reason=c.LeaveReason.MOVED_OUT)]))
    case.do(WINDOW, c.ReportChange(note="迁出", members_leaving=[gone]))
    with pytest.raises(InvalidInput) as twice:
        case.decide(WINDOW, c.ReportChange(note="迁出", members_leaving=[gone]))

    assert unknown.value.field == twice.value.field == ("members_leaving", 0, "member_index")


def test_a_report_must_change_something_and_not_lie_in_the_future() -> None:
    """S1 Art. 30: a report states a change, which has happened."""
    case = in_payment(*stable_couple())
    case.on(date(2027, 3, 1))

    with pytest.raises(InvalidInput):
        case.decide(WINDOW, c.ReportChange(note="无"))
    with pytest.raises(InvalidInput) as future:
        case.decide(WINDOW, c.ReportChange(note="迁出", members_leaving=[
            c.MemberLeaving(member_index=1, reason=c.LeaveReason.MOVED_OUT, on=date(2027, 3, 2))]))
    assert future.value.field == ("members_leaving", 0, "on")


def test_reports_are_taken_by_the_window_the_village_or_the_caseworker() -> None:
    """S1 Art. 30 (the household tells the township); the county does not take reports."""
    case = in_payment(*stable_couple())

    with pytest.raises(NotPermitted):
        case.decide(COUNTY_APPROVER, c.ReportChange(note="变化", members_joining=[newborn()]))


# --- Standard changes (物价联动; S4 Art. 10; SPEC §7.4) -----------------------------------------------------

V2 = "532302-2027-rural-400"


def _standard(rural: str, version: str = V2) -> ResolvedParameters:
    return params(version=version, rural=rural, effective_from=date(2027, 1, 1))


CHANGE = c.ApplyStandardChange(version=V2, effective_from=date(2027, 1, 1))


def test_a_higher_standard_recalculates_the_amount_from_its_effective_month() -> None:
    """S4 Art. 10 (standards adjusted with living costs), S1 Art. 23 (补差 against the standard in force):
    400 instead of 375 → (400 − 100) × 2 = 600.00 from 2027-01."""
    case = in_payment(*stable_couple())
    case.on(date(2026, 12, 20))

    events = case.do(COUNTY_APPROVER, CHANGE, with_params=_standard("400"))

    assert types(events) == ["benefit_recalculated"]
    recalculated = events[0]
    assert isinstance(recalculated, e.BenefitRecalculated)
    assert (recalculated.version, recalculated.old_amount, recalculated.new_amount) == (
        V2, Decimal("550.00"), Decimal("600.00"))
    assert (recalculated.from_month, recalculated.eligible) == ("2027-01", True)
    assert recalculated.parameter_set_version == V2
    assert (case.state.amount_for("2026-12"), case.state.amount_for("2027-01")) == (Decimal("550.00"),
                                                                                     Decimal("600.00"))
    assert case.state.standard_versions_applied == (V2,)


def test_a_standard_change_is_applied_exactly_once() -> None:
    """S4 Art. 10: a batch re-run must not apply the same version twice."""
    case = in_payment(*stable_couple())
    case.on(date(2026, 12, 20))
    case.do(COUNTY_APPROVER, CHANGE, with_params=_standard("400"))

    with pytest.raises(InvalidTransition, match="already applied"):
        case.decide(COUNTY_APPROVER, CHANGE, with_params=_standard("400"))


def test_a_standard_that_makes_the_household_ineligible_opens_a_review_and_never_stops() -> None:
    """S1 Arts. 31-32: crossing out of eligibility is for a review to decide, never for the batch: the amount
    is kept and an ad-hoc review (``standard_change``) opens."""
    case = in_payment(*stable_couple())
    case.on(date(2026, 12, 20))

    events = case.do(COUNTY_APPROVER, CHANGE, with_params=_standard("90"))

    assert types(events) == ["benefit_recalculated", "ad_hoc_review_opened"]
    recalculated, opened = events
    assert isinstance(recalculated, e.BenefitRecalculated)
    assert not recalculated.eligible
    assert recalculated.new_amount == recalculated.old_amount == Decimal("550.00")
    assert isinstance(opened, e.AdHocReviewOpened)
    assert opened.trigger == "standard_change"
    assert case.state.stage is Stage.UNDER_REVIEW
    assert case.state.amount_for("2027-06") == Decimal("550.00")
    assert case.state.stop_effective_month is None


def test_a_standard_change_must_name_the_version_in_force() -> None:
    """SPEC §0.1: a decision records the parameter version it used; the command's version must be it."""
    case = in_payment(*stable_couple())

    with pytest.raises(InvalidInput) as refused:
        case.decide(COUNTY_APPROVER, CHANGE)  # the shipped parameters are in force, not V2

    assert refused.value.field == ("version",)


def test_a_standard_change_is_applied_for_the_county_approver() -> None:
    """S4 Art. 10: the county sets the standard; nobody else applies it."""
    case = in_payment(*stable_couple())

    for actor in (TOWNSHIP_APPROVER, CASEWORKER, SYSTEM_ACTOR):
        with pytest.raises(NotPermitted):
            case.decide(actor, CHANGE, with_params=_standard("400"))


def test_a_standard_change_during_an_open_review_does_not_open_another() -> None:
    """S1 Art. 31: one review at a time; the recalculation is recorded and the open review goes on."""
    case = in_payment(*stable_couple())
    case.on(date(2026, 12, 20))
    case.do(CASEWORKER, c.OpenAdHocReview(reason="群众反映"))

    events = case.do(COUNTY_APPROVER, CHANGE, with_params=_standard("90"))

    assert types(events) == ["benefit_recalculated"]
    check_review(case)
    assert case.state.stage is Stage.UNDER_REVIEW
