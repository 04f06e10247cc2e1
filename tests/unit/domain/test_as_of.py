"""As-of re-evaluation (issue 6 item 5): a recorded decision recomputed with the parameters in force on its
decision date and with today's, next to what it recorded.

Cases are driven through the whole S1 procedure with ``decide`` and ``project`` (see ``dynamic_support``): the
SPEC §7.5 household (710.00 a month from 2026-12 under the shipped 375.00 rural standard), then reviews,
standard changes and exit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain import commands as c
from domain import events as e
from domain.as_of import (
    AMOUNT_KEPT_IN_GRADUAL_EXIT,
    AMOUNT_KEPT_PENDING_REVIEW,
    AMOUNT_NOT_REPRODUCED,
    ASSESSED_AMOUNT_NOT_REPRODUCED,
    CRITERIA_NOT_REPRODUCED,
    ELIGIBILITY_NOT_REPRODUCED,
    EVENT_DIFFERS_FROM_ITS_ASSESSMENT,
    PARAMETER_VERSION_DIFFERS,
    SHARE_CUT_APPLIED,
    computed_decisions,
    decision_date,
    recorded_version,
    reevaluate,
)
from domain.errors import InvalidInput
from domain.household import AreaType, Declaration, IncomeKind, Program, Relation
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.parameters import ParameterBook, resolve
from domain.programmes import decide, project
from domain.verification import InfoCheckReport
from tests.unit.domain.dynamic_support import (
    BASE,
    BOOK,
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TEAM,
    TOWNSHIP_APPROVER,
    VILLAGE,
    WINDOW,
    Case,
    at,
    check_review,
    factory_job_declaration,
    in_payment,
    income,
    member,
    params,
    review,
    scenario_10_household,
)

#: Today's parameters after a rise of the rural standard to 400.00 (物价联动).
RAISED = params(version="532302-test-raised", rural="400", effective_from=date(2027, 7, 1))
#: Today's parameters after a cut of the rural standard to 190.00, below the §7.5 household's 197.50.
LOWERED = params(version="532302-test-lowered", rural="190", effective_from=date(2027, 7, 1))


def _one(case: Case, kind: type[Any]) -> Any:
    (event,) = case.of(kind)
    return event


def approved_case() -> Case:
    """SPEC §7.5: 9,600 × 0.8 + 1,800 = 9,480 → 197.50 per capita → (375 − 197.50) × 4 = 710.00."""
    return in_payment(*scenario_10_household())


def reviewed_case() -> Case:
    """The approved case; on 2027-03-10 farming income rises to 3,000 (7,680 + 3,000 = 10,680 → 222.50 per
    capita); the review decreases the amount to (375 − 222.50) × 4 = 610.00 from 2027-04."""
    case = approved_case()
    case.on(date(2027, 3, 10))
    case.do(WINDOW, c.ReportChange(note="经营收入增加", declaration=Declaration(
        income=[income(IncomeKind.WAGES, 9600, 0, irregular=True), income(IncomeKind.BUSINESS_NET, 3000)])))
    case.on(date(2027, 3, 20))
    review(case, "家庭经营收入增加")
    return case


def test_the_computed_decisions_are_the_opinion_the_approval_and_the_review() -> None:
    """SPEC §0.1 (every computed decision carries its assessment): S1 Art. 19 初审意见, S1 Art. 21 approval,
    S1 Art. 31 review decision; the decrease recorded with the review carries none of its own."""
    case = reviewed_case()

    seqs = computed_decisions(case.events)

    assert [case.events[s - 1].type for s in seqs] == ["prelim_opinion_issued", "application_approved",
                                                      "review_completed"]


def test_the_approval_recomputed_with_its_own_parameters_is_reproduced_to_the_fen() -> None:
    """S4 Art. 12; S1 Art. 23 (补差 ``(S − I) × N``), S1 Art. 21: the approval's 710.00 comes out again from
    the state it was taken on and the parameters in force on its date; nothing changed since."""
    case = approved_case()
    approved = _one(case, e.ApplicationApproved)

    report = reevaluate(case.events, approved.seq, BASE, BASE)

    assert report.reproduced
    assert report.notes == []
    assert (report.seq, report.type) == (approved.seq, "application_approved")
    assert report.computation == "assessment_for"
    assert report.decision_date == date(2026, 11, 2)
    assert report.legal_basis == approved.legal_basis
    assert report.recorded.monthly_amount == report.at_decision_date.monthly_amount == Decimal("710.00")
    assert report.at_decision_date.criteria == list(approved.assessment.criteria)
    assert report.at_decision_date.parameter_set_version == approved.parameter_set_version == BASE.version
    assert report.granted
    assert report.still_granted is True
    assert report.amount_change_today == Decimal("0.00")


def test_the_prelim_opinion_is_reproduced() -> None:
    """S1 Art. 19 (初审意见 on the assessed household, S1 Arts. 12-14)."""
    case = approved_case()
    opinion = _one(case, e.PrelimOpinionIssued)

    report = reevaluate(case.events, opinion.seq, BASE, BASE)

    assert report.reproduced
    assert report.granted
    assert report.recorded.monthly_amount == Decimal("710.00")
    assert report.recorded.per_capita_monthly_income == Decimal("197.50")


def test_a_review_decision_is_reproduced_with_the_amount_its_decrease_recorded() -> None:
    """S1 Arts. 31-32: the review's assessment (members who still count, the review's check) gives 610.00, the
    amount the decrease recorded with it."""
    case = reviewed_case()
    decreased = _one(case, e.BenefitDecreased)
    completed = _one(case, e.ReviewCompleted)

    report = reevaluate(case.events, completed.seq, BASE, BASE)

    assert report.computation == "household_assessment"
    assert report.reproduced
    assert report.notes == []
    assert report.recorded.monthly_amount == decreased.new_amount == Decimal("610.00")
    assert report.at_decision_date.monthly_amount == Decimal("610.00")
    assert report.decision_date == date(2027, 3, 20)


def test_with_a_raised_standard_today_the_amount_is_higher_and_still_granted() -> None:
    """S4 Art. 10 (standard adjusted, 物价联动) with S1 Art. 23: (400 − 197.50) × 4 = 810.00 today against the
    710.00 granted; the review's household: (400 − 222.50) × 4 = 710.00 against 610.00."""
    case = reviewed_case()
    approved = _one(case, e.ApplicationApproved)
    completed = _one(case, e.ReviewCompleted)

    approval = reevaluate(case.events, approved.seq, BASE, RAISED)
    decision = reevaluate(case.events, completed.seq, BASE, RAISED)

    assert approval.reproduced
    assert approval.today.monthly_amount == Decimal("810.00") > approval.recorded.monthly_amount
    assert approval.today.parameter_set_version == RAISED.version
    assert approval.today.standard_monthly == Decimal("400")
    assert approval.still_granted is True
    assert approval.amount_change_today == Decimal("100.00")
    assert decision.today.monthly_amount == Decimal("710.00")
    assert decision.amount_change_today == Decimal("100.00")
    assert decision.still_granted is True


def test_with_a_lowered_standard_today_the_household_is_no_longer_eligible() -> None:
    """S4 Art. 9; S1 Art. 12 (eligible only while per-capita income is below the standard): 197.50 ≥ 190.00,
    so the approval would not be granted today; the decision itself is still reproduced."""
    case = approved_case()
    approved = _one(case, e.ApplicationApproved)

    report = reevaluate(case.events, approved.seq, BASE, LOWERED)

    assert report.reproduced
    assert not report.today.eligible
    assert report.still_granted is False
    assert report.today.monthly_amount == Decimal("0.00")
    assert report.amount_change_today == Decimal("-710.00")
    per_capita = next(cr for cr in report.today.criteria if cr.code == "income.per_capita_monthly")
    assert per_capita.passed is False


def test_the_caller_picks_the_parameters_in_force_on_the_decision_date_from_the_book() -> None:
    """SPEC §7.4 (each decision records its version; versions apply from their effective date): the shipped
    book with a new version (rural 400.00 from 2027-07-01) resolves the approval's date to the version it
    used, and today's date to the new one."""
    raw = BOOK.model_dump(mode="json")
    values = {**raw["versions"][0]["values"]}
    values["dibao_standard_monthly"] = {**values["dibao_standard_monthly"], "rural": "400.00"}
    raw["versions"].append({"version": "532302-2027-07", "effective_from": "2027-07-01", "label": "2027 标准",
                            "values": values})
    book = ParameterBook.model_validate(raw)
    case = approved_case()
    approved = _one(case, e.ApplicationApproved)

    then = resolve(book, VILLAGE, decision_date(approved))
    now = resolve(book, VILLAGE, date(2027, 8, 1))
    report = reevaluate(case.events, approved.seq, then, now)

    assert then.version == recorded_version(approved) == approved.parameter_set_version
    assert report.reproduced
    assert (report.today.parameter_set_version, report.today.monthly_amount) == ("532302-2027-07",
                                                                                Decimal("810.00"))


def test_the_decision_date_is_the_china_time_date() -> None:
    """Dates in the law are local dates (S1 Art. 21 counts from the decision): 17:30 UTC is 01:30 the next day
    in Beijing."""
    approved = _one(approved_case(), e.ApplicationApproved)
    late = approved.model_copy(update={"at": datetime(2026, 11, 2, 17, 30, tzinfo=UTC)})

    assert decision_date(approved) == date(2026, 11, 2)
    assert decision_date(late) == date(2026, 11, 3)


def test_a_seq_that_carries_no_computed_assessment_is_invalid_input() -> None:
    """SPEC §0.1: only computed decisions (those recording an assessment) can be re-evaluated; the application
    (S1 Art. 9), the payment schedule (S1 Art. 25) and a seq the case does not have are refused."""
    case = approved_case()
    scheduled = _one(case, e.PaymentScheduled)

    for seq in (1, scheduled.seq, 0, len(case.events) + 1):
        with pytest.raises(InvalidInput) as refused:
            reevaluate(case.events, seq, BASE, BASE)
        assert refused.value.field == ("seq",)


def test_events_that_do_not_start_at_seq_1_are_invalid_input() -> None:
    """The fold needs the case's whole history up to the decision (the state it was taken on)."""
    case = approved_case()
    approved = _one(case, e.ApplicationApproved)

    with pytest.raises(InvalidInput) as refused:
        reevaluate(case.events[1:], approved.seq - 1, BASE, BASE)

    assert refused.value.field == ("events",)


def test_a_tampered_approval_amount_is_not_reproduced() -> None:
    """S1 Art. 23; S4 Art. 12: an approval whose recorded amount was changed to 810.00 does not follow from
    its facts and parameters (the stored assessment still says 710.00)."""
    case = approved_case()
    approved = _one(case, e.ApplicationApproved)
    events = list(case.events)
    events[approved.seq - 1] = approved.model_copy(update={"monthly_amount": Decimal("810.00")})

    report = reevaluate(events, approved.seq, BASE, BASE)

    assert not report.reproduced
    assert report.recorded.monthly_amount == Decimal("810.00")
    assert report.at_decision_date.monthly_amount == Decimal("710.00")
    assert AMOUNT_NOT_REPRODUCED in report.notes
    assert EVENT_DIFFERS_FROM_ITS_ASSESSMENT in report.notes


def test_a_tampered_stored_assessment_is_not_reproduced() -> None:
    """S1 Art. 31: a review decision whose stored assessment was edited (补差 and eligibility) is flagged."""
    case = reviewed_case()
    completed = _one(case, e.ReviewCompleted)
    forged = completed.assessment.model_copy(update={"monthly_amount": Decimal("900.00"), "eligible": False})
    events = list(case.events)
    events[completed.seq - 1] = completed.model_copy(update={"assessment": forged})

    report = reevaluate(events, completed.seq, BASE, BASE)

    assert not report.reproduced
    assert {ELIGIBILITY_NOT_REPRODUCED, ASSESSED_AMOUNT_NOT_REPRODUCED} <= set(report.notes)


def test_a_standard_change_recalculation_is_reproduced_under_its_version() -> None:
    """S4 Art. 10; S1 Art. 23 (物价联动): the recalculation under a new version (rural 400.00 from 2027-01-01)
    gives 810.00; re-evaluated with the version it recorded it is reproduced, with the old one it is not."""
    case = approved_case()
    v2 = params(version="532302-2027-01", rural="400", effective_from=date(2027, 1, 1))
    case.on(date(2027, 1, 5))
    case.do(COUNTY_APPROVER, c.ApplyStandardChange(version=v2.version, effective_from=date(2027, 1, 1)),
            with_params=v2)
    recalculated = _one(case, e.BenefitRecalculated)
    assert recalculated.seq in computed_decisions(case.events)

    report = reevaluate(case.events, recalculated.seq, v2, v2)
    wrong = reevaluate(case.events, recalculated.seq, BASE, v2)

    assert recorded_version(recalculated) == v2.version
    assert decision_date(recalculated) == date(2027, 1, 5)
    assert report.reproduced
    assert report.notes == []
    assert report.recorded.monthly_amount == recalculated.new_amount == Decimal("810.00")
    assert not wrong.reproduced
    assert PARAMETER_VERSION_DIFFERS in wrong.notes
    assert wrong.at_decision_date.monthly_amount == Decimal("710.00")


def test_a_recalculation_that_makes_the_household_ineligible_keeps_the_amount_for_the_review() -> None:
    """S4 Art. 10 with S1 Arts. 31-32: under 190.00 the household is ineligible; the recalculation kept the
    710.00 and opened a review. Re-evaluated it is reproduced (0.00 computed) and was no grant."""
    case = approved_case()
    case.on(date(2027, 1, 5))
    v2 = params(version="532302-2027-01", rural="190", effective_from=date(2027, 1, 1))
    case.do(COUNTY_APPROVER, c.ApplyStandardChange(version=v2.version, effective_from=date(2027, 1, 1)),
            with_params=v2)
    recalculated = _one(case, e.BenefitRecalculated)

    report = reevaluate(case.events, recalculated.seq, v2, BASE)

    assert recalculated.new_amount == Decimal("710.00")
    assert report.reproduced
    assert AMOUNT_KEPT_PENDING_REVIEW in report.notes
    assert (report.recorded.monthly_amount, report.granted, report.still_granted) == (Decimal("0.00"), False,
                                                                                      None)
    assert report.today.eligible  # under the 375.00 standard it would be granted again


def test_a_gradual_exit_is_reproduced_and_its_stop_refers_back_to_it() -> None:
    """S1 Art. 33; S6 §一(三): the 渐退期 grant (420.00 > 375.00) is the computed decision; the stop that
    carries it out when it runs out (S1 Art. 32) only refers to it (``decided_seq``) and is refused. Under a
    450.00 standard the household would be eligible (420.00 < 450.00)."""
    case = approved_case()
    case.on(date(2027, 7, 15))
    case.do(WINDOW, c.ReportChange(declaration=factory_job_declaration(), note="丈夫进厂稳定就业"))
    case.on(date(2027, 7, 20))
    check_review(case)
    case.do(COUNTY_APPROVER, c.DecideReview(reasons=["稳定就业"], gradual_exit_months=6,
                                            income_from_employment=True))
    case.on(date(2028, 2, 1), hour=0, minute=5)
    case.do(SYSTEM_ACTOR, c.EndGradualExit())
    grant = _one(case, e.GradualExitGranted)
    stop = _one(case, e.BenefitStopped)

    report = reevaluate(case.events, grant.seq, BASE, params(version="532302-test-450", rural="450"))

    assert grant.seq in computed_decisions(case.events)
    assert stop.seq not in computed_decisions(case.events)
    assert report.reproduced
    assert AMOUNT_KEPT_IN_GRADUAL_EXIT in report.notes
    assert not report.recorded.eligible
    assert report.recorded.monthly_amount == Decimal("0.00")
    assert (report.granted, report.still_granted) == (False, None)
    assert report.today.eligible
    with pytest.raises(InvalidInput, match=f"event {grant.seq}") as refused:
        reevaluate(case.events, stop.seq, BASE, BASE)
    assert refused.value.field == ("seq",)


def test_a_review_after_a_share_cut_is_reproduced_with_the_share_left_out() -> None:
    """S1 Art. 34; S4 Art. 45: a household of three (income 7,200 → 200.00 per capita → 补差 525.00) with one
    member's share cut is paid 350.00; both amounts are reproduced, and under 400.00 they become 600.00 and
    400.00."""
    case = in_payment([member("张强", "19800101", "711", Relation.APPLICANT),
                       member("吴芳", "19820202", "722", Relation.SPOUSE),
                       member("张乐", "20120303", "733")],
                      Declaration(income=[income(IncomeKind.BUSINESS_NET, 3600)]))
    case.on(date(2027, 2, 10))
    for _ in range(3):
        case.do(CASEWORKER, c.RecordJobRefusal(member_index=1, offer="保洁岗位"))
    case.do(COUNTY_APPROVER, c.ReduceMemberShare(member_index=1, reason="连续3次拒绝"))
    case.on(date(2027, 6, 1))
    case.do(WINDOW, c.ReportChange(note="经营收入增加",
                                   declaration=Declaration(income=[income(IncomeKind.BUSINESS_NET, 7200)])))
    review(case, "家庭经营收入增加")
    completed = _one(case, e.ReviewCompleted)

    report = reevaluate(case.events, completed.seq, BASE, RAISED)

    assert report.reproduced
    assert SHARE_CUT_APPLIED in report.notes
    assert (report.recorded.assessed_amount, report.recorded.monthly_amount) == (Decimal("525.00"),
                                                                               Decimal("350.00"))
    assert report.today.assessed_amount == Decimal("600.00")
    assert report.today.monthly_amount == Decimal("400.00")


def test_a_rejection_is_reproduced_and_would_be_granted_under_a_higher_standard() -> None:
    """S1 Art. 21 (不予确认同意 with reasons) on the assessed household: income 5,040 a year for one
    person → 420.00 per capita > 375.00; not a grant, so ``still_granted`` is None; under 450.00 it would be
    eligible: (450 − 420) × 1 = 30.00."""
    events = _rejected_case_events()
    (rejected,) = [ev for ev in events if isinstance(ev, e.ApplicationRejected)]

    report = reevaluate(events, rejected.seq, BASE, params(version="532302-test-450", rural="450"))

    assert report.reproduced
    assert CRITERIA_NOT_REPRODUCED not in report.notes
    assert not report.recorded.eligible
    assert (report.granted, report.still_granted) == (False, None)
    assert report.today.eligible
    assert report.today.monthly_amount == Decimal("30.00")


def _rejected_case_events() -> list[e.CaseEvent]:
    """A one-person household above the standard, through the S1 procedure to the county's refusal (an
    'ineligible' 初审意见 goes to the county without 公示, S1 Art. 19)."""
    start = at(date(2026, 10, 20))
    submit = c.SubmitApplication(program=Program.DIBAO, village_code=VILLAGE, area_type=AreaType.RURAL,
                                 members=[member("钱多多", "19700101", "901", Relation.APPLICANT)],
                                 declaration=Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 5040)]))
    first = decide(None, submit, DecisionContext(now=start, actor=WINDOW, case_id=UUID(int=9)))
    state = project(first)
    assert state is not None
    case = Case(state=state, now=start, params=BASE, events=list(first))
    for who, command in [
        (WINDOW, c.AcceptApplication()),
        (CASEWORKER, c.StartInvestigation(investigators=TEAM)),
        (CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户核实")),
        (CASEWORKER, c.RequestInfoCheck()),
        (SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport())),
        (TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议")),
        (TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=["人均收入高于标准"])),
        (CASEWORKER, c.SubmitToCounty()),
        (COUNTY_REVIEWER, c.StartCountyReview()),
        (COUNTY_APPROVER, c.Reject(reasons=["家庭人均月收入420.00元高于标准375.00元"])),
    ]:
        case.do(who, command)
    return case.events
