"""临时救助 (S4 Arts. 47-49; S8 §二; S5 item 15; SPEC §5): the pure domain, one rule per test, naming its article."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain import events as e
from domain.actors import Actor, Role
from domain.errors import InvalidInput, InvalidTransition, NotPermitted
from domain.household import AreaType, Declaration, IncomeItem, IncomeKind, Member, Program, Relation
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.kernel.state import EarlierCase
from domain.parameters import ParameterBook, ResolvedParameters, resolve
from domain.programmes import REGISTRY, decide, project
from domain.programmes.temporary import rules
from domain.programmes.temporary.programme import TEMPORARY
from domain.programmes.temporary.stages import Stage
from domain.temporary import ReportSource, Severity, TemporaryCause, TemporaryRequest, TemporaryType
from domain.verification import InfoCheckReport
from tests.builders import FIXED_NOW, JINSHAN_VILLAGE, unique_resident_id

WINDOW = Actor(id="w1", role=Role.FRONT_OFFICE, jurisdiction="532302101")
CASEWORKER = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction="532302101")
APPROVER = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction="532302101")
COUNTY_REVIEWER = Actor(id="cr-01", role=Role.COUNTY_REVIEWER, jurisdiction="532302")
COUNTY_APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction="532302")
TEAM = ["inv-01", "inv-02"]


def _params(**temporary: Any) -> ResolvedParameters:
    raw = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    for version in raw["versions"]:
        version["values"]["temporary"].update(temporary)
    return resolve(ParameterBook.model_validate(raw), JINSHAN_VILLAGE, FIXED_NOW.date())


PARAMS = _params()
T = PARAMS.values.temporary
assert T is not None


def _members(n: int = 3) -> list[Member]:
    out = [Member(name="测试甲", resident_id=unique_resident_id(1980), relation=Relation.APPLICANT)]
    out += [Member(name=f"测试{i}", resident_id=unique_resident_id(2010), relation=Relation.CHILD) for i in range(1, n)]
    return out


def request(kind: TemporaryType = TemporaryType.EMERGENCY, cause: TemporaryCause = TemporaryCause.FIRE,
            severity: Severity = Severity.SERIOUS, urgent: ReportSource | None = None,
            expenditure: str = "0", on_dibao: bool = False) -> TemporaryRequest:
    return TemporaryRequest(kind=kind, cause=cause, severity=severity, situation="昨夜房屋失火，生活用品全部烧毁",
                            essential_expenditure=Decimal(expenditure), on_dibao_or_tekun=on_dibao, urgent=urgent)


def app(need: TemporaryRequest, n: int = 3, annual_income: str = "6000",
        earlier: tuple[EarlierCase, ...] = ()) -> c.SubmitApplication:
    return c.SubmitApplication(
        program=Program.TEMPORARY, village_code=JINSHAN_VILLAGE, area_type=AreaType.RURAL, members=_members(n),
        declaration=Declaration(income=[IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=Decimal(annual_income))]),
        temporary=need, earlier_cases=earlier)


class Case:
    def __init__(self) -> None:
        self.state: Any = None
        self.minutes = 0
        self.events: list[e.CaseEvent] = []

    def do(self, actor: Actor, cmd: Any, *, days: int = 0, params: ResolvedParameters = PARAMS) -> list[e.CaseEvent]:
        self.minutes += 1 + days * 24 * 60
        ctx = DecisionContext(now=FIXED_NOW + timedelta(minutes=self.minutes), actor=actor,
                              case_id=self.state.case_id if self.state else uuid4(), params=params)
        events = decide(self.state, cmd, ctx)
        self.state = project(events, self.state)
        self.events += events
        return events


def urgent_case() -> Case:
    case = Case()
    case.do(CASEWORKER, app(request(urgent=ReportSource.HOTLINE)))
    return case


def to_approval_review(need: TemporaryRequest | None = None, n: int = 3, annual_income: str = "6000",
                       earlier: tuple[EarlierCase, ...] = ()) -> Case:
    case = Case()
    case.do(WINDOW, app(need or request(), n=n, annual_income=annual_income, earlier=earlier))
    case.do(WINDOW, c.AcceptApplication())
    case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户核实火灾损失"))
    case.do(CASEWORKER, c.RequestInfoCheck())
    case.do(SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport()))
    case.do(APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))
    case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))
    case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    case.do(SYSTEM_ACTOR, c.ClosePublicity(), days=8)
    assert case.state.stage is Stage.SUBMITTED_FOR_APPROVAL
    case.do(APPROVER, c.StartCountyReview())
    return case


# --- types and the application (S4 Art. 47; S8 §二(一); S7 §四(三)) -----------------------------------------


def test_registered_with_a_state_discriminated_on_program() -> None:
    assert REGISTRY[Program.TEMPORARY] is TEMPORARY
    case = urgent_case()
    assert case.state.program == Program.TEMPORARY and case.state.stage is Stage.URGENT_REPORTED


def test_s7_4_3_application_where_the_emergency_happened_has_no_hukou_limit() -> None:
    """S7 §四(三): members whose hukou is in another province apply where the emergency happened."""
    case = Case()
    members = [m.model_copy(update={"hukou_code": "110105", "residence_code": "110105"}) for m in _members(2)]
    cmd = app(request()).model_copy(update={"members": members})
    case.do(WINDOW, cmd)
    assert case.state.stage is Stage.SUBMITTED and case.state.cause is TemporaryCause.FIRE


def test_s8_2_1_the_cause_must_match_the_type() -> None:
    with pytest.raises(InvalidInput) as err:
        Case().do(WINDOW, app(request(kind=TemporaryType.EXPENDITURE, cause=TemporaryCause.FIRE, expenditure="100")))
    assert err.value.field == ("temporary", "cause")


def test_s8_2_1_an_expenditure_application_states_the_essential_expenditure() -> None:
    with pytest.raises(InvalidInput) as err:
        Case().do(WINDOW, app(request(kind=TemporaryType.EXPENDITURE, cause=TemporaryCause.MEDICAL_EXPENDITURE)))
    assert err.value.field == ("temporary", "essential_expenditure")


def test_s8_2_1_expenditure_type_needs_income_below_last_years_disposable_income() -> None:
    """支出型: per-capita income below last year's local per-capita disposable income (S8 §二(一))."""
    need = request(kind=TemporaryType.EXPENDITURE, cause=TemporaryCause.MEDICAL_EXPENDITURE, expenditure="30000")
    limit = T.per_capita_disposable_income_last_year[AreaType.RURAL]
    case = Case()
    case.do(WINDOW, app(need, n=2, annual_income=str(limit * 2 + 2400)))  # per capita above the limit
    a = rules.assessment(case.state, PARAMS)
    assert not a.eligible
    crit = next(x for x in a.criteria if x.code == "temporary.per_capita_income_below_disposable")
    assert crit.passed is False and crit.legal_basis == ("S8 §二(一)",)


def test_s8_2_2_for_a_dibao_household_only_the_essential_expenditure_is_checked() -> None:
    need = request(kind=TemporaryType.EXPENDITURE, cause=TemporaryCause.EDUCATION_EXPENDITURE, expenditure="8000",
                   on_dibao=True)
    case = Case()
    case.do(WINDOW, app(need, n=2, annual_income="999999"))
    a = rules.assessment(case.state, PARAMS)
    assert a.eligible
    assert [x.code for x in a.criteria if x.code.startswith("temporary.")] == [
        "temporary.essential_expenditure", "temporary.dibao_or_tekun_household", "temporary.tier_amount"]


def test_s8_2_3_tiered_amount_is_months_of_the_dibao_standard_times_the_household_and_explained() -> None:
    case = Case()
    case.do(WINDOW, app(request(severity=Severity.SERIOUS), n=3))
    amount, criteria = rules.tier_amount(case.state, PARAMS)
    standard = PARAMS.standard(AreaType.RURAL)
    assert amount == standard * 2 * 3
    (crit,) = criteria
    assert crit.parameters["months_of_standard"] == "2" and crit.inputs["members_counted"] == "3"
    assert "S8 §二(三)" in crit.legal_basis


# --- the urgent path, 先行救助 (S8 §二(二); S5 item 15) ------------------------------------------------------


def test_s8_2_2_urgent_grant_within_the_cap_without_check_appraisal_or_publicity() -> None:
    case = urgent_case()
    events = case.do(APPROVER, c.GrantUrgentAssistance(amount=T.urgent_cap, reason="火灾，先行救助"))
    (granted,) = events
    assert isinstance(granted, e.UrgentAssistanceGranted)
    assert granted.amount == T.urgent_cap and "S8 §二(二)" in granted.legal_basis and "S8 §三(三)" in granted.legal_basis
    assert case.state.stage is Stage.URGENT_GRANTED
    kinds = {ev.type for ev in case.events}
    assert not kinds & {"info_check_requested", "publicity_started", "democratic_appraisal_held"}


def test_s5_item_15_urgent_grant_above_the_cap_is_refused_naming_the_cap() -> None:
    case = urgent_case()
    with pytest.raises(InvalidInput) as err:
        case.do(APPROVER, c.GrantUrgentAssistance(amount=T.urgent_cap + 1, reason="超额"))
    assert err.value.field == ("amount",) and str(T.urgent_cap) in err.value.message


def test_s8_2_2_urgent_grant_only_by_the_township_approver_or_the_county() -> None:
    case = urgent_case()
    with pytest.raises(NotPermitted):
        case.do(CASEWORKER, c.GrantUrgentAssistance(amount=Decimal("500"), reason="火灾"))
    case.do(COUNTY_APPROVER, c.GrantUrgentAssistance(amount=Decimal("500"), reason="火灾"))
    assert case.state.urgent_amount == Decimal("500")


def test_s8_2_4_urgent_grant_in_kind_lists_what_quantity_and_value() -> None:
    case = urgent_case()
    with pytest.raises(InvalidInput):
        case.do(APPROVER, c.GrantUrgentAssistance(amount=Decimal("600"), form="in_kind", reason="棉被"))
    case.do(APPROVER, c.GrantUrgentAssistance(amount=Decimal("600"), form="in_kind", reason="发放实物", in_kind=[
        {"what": "棉被", "quantity": 4, "value": "400.00"}, {"what": "大米(袋)", "quantity": 4, "value": "200.00"}]))
    assert len(case.state.urgent_in_kind) == 2


def test_s8_2_2_regularisation_deadline_escalates_and_decides_nothing() -> None:
    """The regularisation limit (LOCAL, from the parameters) passing raises an escalation; the grant stands and
    the case waits for staff (SPEC §0.1: timers never decide)."""
    case = urgent_case()
    case.do(APPROVER, c.GrantUrgentAssistance(amount=Decimal("800"), reason="火灾"))
    starts = TEMPORARY.deadlines.to_set(case.state, case.events[-1:], PARAMS)
    assert [(step, days) for step, _start, days in starts] == [("regularisation", T.regularisation_wd)]
    case.do(SYSTEM_ACTOR, c.SetDeadline(step="regularisation", due=date(2026, 11, 16), calendar_version="t"))
    events = case.do(SYSTEM_ACTOR, c.RaiseEscalation(step="regularisation"), days=20)
    assert [ev.type for ev in events] == ["escalation_raised"] and events[0].legal_basis == ("S8 §二(二)",)
    assert case.state.stage is Stage.URGENT_GRANTED and TEMPORARY.deadlines.overdue(case.state)
    assert TEMPORARY.pending(case.state).overdue_escalated


def test_s8_2_2_regularisation_records_registration_signatures_and_seal() -> None:
    case = urgent_case()
    case.do(APPROVER, c.GrantUrgentAssistance(amount=Decimal("800"), reason="火灾"))
    case.do(CASEWORKER, c.RecordEmergencyEased(note="已安置到亲属家"))
    assert case.state.stage is Stage.REGULARISATION_PENDING
    with pytest.raises(InvalidInput):
        case.do(CASEWORKER, c.RegulariseUrgentGrant(registration="登记", signatures=["inv-01"], sealed=True))
    with pytest.raises(InvalidInput):
        case.do(CASEWORKER, c.RegulariseUrgentGrant(registration="登记", signatures=["inv-01", "tsa-01"], sealed=False))
    case.do(CASEWORKER, c.RegulariseUrgentGrant(registration="救助对象、事由、金额已登记", signatures=["inv-01", "tsa-01"],
                                                sealed=True))
    assert case.state.stage is Stage.REGULARISED and case.state.is_closed
    assert not TEMPORARY.deadlines.is_open(case.state, "regularisation")


def test_s5_item_15_follow_up_assistance_continues_on_the_normal_path_in_the_same_case() -> None:
    case = urgent_case()
    case.do(APPROVER, c.GrantUrgentAssistance(amount=Decimal("800"), reason="火灾"))
    events = case.do(CASEWORKER, c.RegulariseUrgentGrant(registration="已登记", signatures=["inv-01", "tsa-01"],
                                                         sealed=True, follow_up=True))
    assert [ev.type for ev in events] == ["urgent_grant_regularised", "follow_up_opened"]
    assert case.state.stage is Stage.ACCEPTED and not case.state.is_closed
    case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))


# --- approval: township cap, county, 一事一议 (S4 Art. 48; S8 §二(二), (三); S5 item 15) -----------------------


def test_s4_art_48_township_approves_within_its_cap() -> None:
    case = to_approval_review(n=2)  # serious fire, 2 members: 2 × 2 × standard ≤ the township cap
    case.do(APPROVER, c.ApproveTemporaryAssistance(reason="符合条件"))
    assert case.state.stage is Stage.ASSISTING and case.state.approval_level == "township"
    assert case.state.amount == PARAMS.standard(AreaType.RURAL) * 4


def test_s4_art_48_above_the_township_cap_only_the_county_approves() -> None:
    case = to_approval_review(need=request(severity=Severity.MAJOR), n=3)  # 4 months × 3 members > cap
    amount, _ = rules.tier_amount(case.state, PARAMS)
    assert T.township_approval_cap < amount <= T.case_by_case_threshold
    with pytest.raises(NotPermitted) as err:
        case.do(APPROVER, c.ApproveTemporaryAssistance(reason="符合条件"))
    assert str(T.township_approval_cap) in err.value.message
    case.do(COUNTY_APPROVER, c.ApproveTemporaryAssistance(reason="符合条件"))
    assert case.state.approval_level == "county" and case.state.amount == amount


def test_s5_item_15_above_the_threshold_the_case_by_case_meeting_is_required_first() -> None:
    case = to_approval_review(need=request(severity=Severity.MAJOR), n=6)
    big = T.case_by_case_threshold + 5000
    with pytest.raises(InvalidTransition) as err:
        case.do(COUNTY_APPROVER, c.ApproveTemporaryAssistance(reason="重大火灾", amount=big))
    assert "一事一议" in err.value.message
    case.do(COUNTY_APPROVER, c.RecordCaseDiscussion(meeting_date=FIXED_NOW.date(), members=["民政", "财政", "卫健"],
                                                    decision="approve", amount=big, minutes="一事一议同意救助"))
    with pytest.raises(NotPermitted):
        case.do(APPROVER, c.ApproveTemporaryAssistance(reason="同意", amount=big))
    case.do(COUNTY_APPROVER, c.ApproveTemporaryAssistance(reason="依一事一议决定", amount=big))
    assert case.state.amount == big and case.state.discussion_amount == big


def test_s8_2_3_meeting_decided_against_blocks_the_approval() -> None:
    case = to_approval_review(need=request(severity=Severity.MAJOR), n=6)
    case.do(COUNTY_APPROVER, c.RecordCaseDiscussion(meeting_date=FIXED_NOW.date(), members=["a", "b", "c"],
                                                    decision="reject", amount=Decimal("0"), minutes="不予救助"))
    with pytest.raises(InvalidTransition):
        case.do(COUNTY_APPROVER, c.ApproveTemporaryAssistance(reason="同意"))
    case.do(COUNTY_APPROVER, c.Reject(reasons=["一事一议决定不予救助"]))
    assert case.state.stage is Stage.REJECTED


def test_repeat_assistance_within_the_period_needs_a_recorded_justification() -> None:
    """A household assisted for the same difficulty within the repeat period (UNCONFIRMED, a parameter)."""
    earlier = EarlierCase(case_id=uuid4(), program=Program.TEMPORARY, village_code=JINSHAN_VILLAGE,
                          opened_at=FIXED_NOW - timedelta(days=90), outcome="approved",
                          decided_at=FIXED_NOW - timedelta(days=80), member_indexes=(0,))
    case = to_approval_review(n=2, earlier=(earlier,))
    with pytest.raises(InvalidTransition) as err:
        case.do(APPROVER, c.ApproveTemporaryAssistance(reason="符合条件"))
    assert "justification" in err.value.message
    case.do(APPROVER, c.JustifyRepeatAssistance(justification="前次为医疗支出，本次为火灾，事由不同"))
    case.do(APPROVER, c.ApproveTemporaryAssistance(reason="符合条件"))
    assert case.state.stage is Stage.ASSISTING


def test_repeat_rule_counts_only_the_same_cause() -> None:
    """Assisted within the period for another cause (an earlier medical expenditure, now a fire): no justification
    needed; for the same cause (an earlier fire): needed."""
    def earlier(cause: str) -> EarlierCase:
        return EarlierCase(case_id=uuid4(), program=Program.TEMPORARY, village_code=JINSHAN_VILLAGE,
                           opened_at=FIXED_NOW - timedelta(days=90), outcome="approved",
                           decided_at=FIXED_NOW - timedelta(days=80), member_indexes=(0,), cause=cause)

    other = to_approval_review(n=2, earlier=(earlier("medical_expenditure"),))
    other.do(APPROVER, c.ApproveTemporaryAssistance(reason="事由不同"))
    same = to_approval_review(n=2, earlier=(earlier("fire"),))
    with pytest.raises(InvalidTransition):
        same.do(APPROVER, c.ApproveTemporaryAssistance(reason="同一事由"))


def test_repeat_rule_ignores_assistance_before_the_period() -> None:
    earlier = EarlierCase(case_id=uuid4(), program=Program.TEMPORARY, village_code=JINSHAN_VILLAGE,
                          opened_at=FIXED_NOW - timedelta(days=800), outcome="approved",
                          decided_at=FIXED_NOW - timedelta(days=790), member_indexes=(0,))
    case = to_approval_review(n=2, earlier=(earlier,))
    with pytest.raises(InvalidTransition):
        case.do(APPROVER, c.JustifyRepeatAssistance(justification="无须"))
    case.do(APPROVER, c.ApproveTemporaryAssistance(reason="符合条件"))


# --- one approval, staged payments (S8 §二(四)) ----------------------------------------------------------------


def _staged() -> Case:
    case = to_approval_review(n=2)
    amount = PARAMS.standard(AreaType.RURAL) * 4
    third = (amount / 3).quantize(Decimal("0.01"))
    today = date(2026, 11, 20)  # the approval is a few days after FIXED_NOW, in the same month
    case.do(APPROVER, c.ApproveTemporaryAssistance(reason="分阶段救助", instalments=[
        c.PlannedInstalment(on=today, amount=amount - 2 * third),
        c.PlannedInstalment(on=date(2026, 12, 10), amount=third),
        c.PlannedInstalment(on=date(2027, 1, 10), amount=third)]))
    return case


def test_s8_2_4_staged_instalments_appear_on_exactly_the_planned_months() -> None:
    case = _staged()
    s = case.state
    assert [m for m in ("2026-10", "2026-11", "2026-12", "2027-01", "2027-02") if s.amount_for(m)] == [
        "2026-11", "2026-12", "2027-01"]
    assert sum(TEMPORARY.amount_for(s, m) for m in ("2026-11", "2026-12", "2027-01")) == s.amount
    assert s.stage in TEMPORARY.payable_stages


def test_s8_2_4_cancelled_instalments_are_never_paid_and_need_a_reason() -> None:
    case = _staged()
    with pytest.raises(InvalidInput):  # this month's instalment is on its roll already
        case.do(APPROVER, c.CancelInstalments(from_index=0, reason="已就业"))
    case.do(APPROVER, c.CancelInstalments(from_index=1, reason="家庭成员已就业，困难缓解"))
    s = case.state
    assert s.amount_for("2026-11") is not None and s.amount_for("2026-12") is None and s.amount_for("2027-01") is None
    assert all(i.cancel_reason for i in s.instalments[1:])
    # the assistance completes when the month of the last instalment still paid begins: now
    (timer,) = TEMPORARY.timers(s, lambda _id: True)
    assert timer.command == c.CompleteAssistance() and timer.at <= FIXED_NOW + timedelta(days=1)
    case.do(SYSTEM_ACTOR, c.CompleteAssistance())
    assert case.state.stage is Stage.ASSISTED and case.state.is_closed and s.amount_for("2026-12") is None


def test_s8_2_4_instalments_add_up_to_the_amount_one_per_month() -> None:
    case = to_approval_review(n=2)
    amount = PARAMS.standard(AreaType.RURAL) * 4
    with pytest.raises(InvalidInput):
        case.do(APPROVER, c.ApproveTemporaryAssistance(reason="x", instalments=[
            c.PlannedInstalment(on=FIXED_NOW.date(), amount=amount - 1)]))
    with pytest.raises(InvalidInput):
        case.do(APPROVER, c.ApproveTemporaryAssistance(reason="x", instalments=[
            c.PlannedInstalment(on=FIXED_NOW.date(), amount=amount - 1),
            c.PlannedInstalment(on=FIXED_NOW.date() + timedelta(days=1), amount=Decimal(1))]))


def test_s4_art_48_the_approval_records_its_legal_basis_amount_explanation_and_parameter_version() -> None:
    case = to_approval_review(n=2)
    (approved,) = case.do(APPROVER, c.ApproveTemporaryAssistance(reason="符合条件"))
    assert isinstance(approved, e.TemporaryAssistanceApproved)
    assert "S4 Art. 48" in approved.legal_basis and "S8 §二(三)" in approved.legal_basis
    assert approved.parameter_set_version == PARAMS.version and approved.actor == APPROVER
    assert {x.code for x in approved.criteria} == {"temporary.tier_amount", "temporary.approved_amount"}


def _roll_amount(state: Any, month: str) -> Decimal | None:
    """What the payment roll's query reads: the latest period from a month ≤ ``month``, above zero, from the
    first payment month on (adapters/db/payments.py)."""
    if state.first_payment_month is None or month < state.first_payment_month:
        return None
    current = [p for p in state.benefit_periods if p.from_month <= month]
    return current[-1].monthly_amount if current and current[-1].monthly_amount > 0 else None


def test_s8_2_4_the_roll_periods_put_each_instalment_on_exactly_its_month() -> None:
    case = _staged()
    months = [f"2026-{m:02d}" for m in range(9, 13)] + [f"2027-{m:02d}" for m in range(1, 6)]
    assert [_roll_amount(case.state, m) for m in months] == [case.state.amount_for(m) for m in months]
    case.do(APPROVER, c.CancelInstalments(from_index=2, reason="困难已缓解"))
    assert [_roll_amount(case.state, m) for m in months] == [case.state.amount_for(m) for m in months]
    assert _roll_amount(case.state, "2027-01") is None and _roll_amount(case.state, "2026-12") is not None


def test_s8_2_4_a_cancelled_instalment_already_on_a_drawn_roll_is_withdrawn_before_it_is_paid() -> None:
    from domain.kernel.state import PaidMonth

    case = _staged()
    december = case.state.instalments[1]
    ctx = DecisionContext(now=FIXED_NOW + timedelta(days=9), actor=APPROVER, case_id=case.state.case_id,
                          params=PARAMS, payments=(PaidMonth(month="2026-12", amount=december.amount),))
    events = decide(case.state, c.CancelInstalments(from_index=1, reason="已就业"), ctx)
    assert [ev.type for ev in events] == ["instalments_cancelled", "payment_lines_withdrawn"]
    assert events[1].months == ("2026-12",) and events[1].amount == december.amount


# --- notices (S4 Arts. 48, 65; SPEC §9) ------------------------------------------------------------------------


def test_s4_art_48_notices_acceptance_publicity_decision_and_refusal_with_remedy() -> None:
    from adapters.rendering.notices import render_notice
    from domain.programmes import notice_for

    case = _staged()
    accepted = render_notice(notice_for(case.state, "acceptance"))
    assert "临时救助申请受理通知书" in accepted and "第四十八条" in accepted
    publicity = render_notice(notice_for(case.state, "publicity"))
    assert "拟予以临时救助家庭名单" in publicity
    assert all(m.resident_id not in publicity for m in case.state.members)  # SPEC §9: name, size, amount only
    decision = render_notice(notice_for(case.state, "approval"))
    assert "临时救助决定书" in decision and "分阶段发放" in decision
    with pytest.raises(InvalidTransition):
        notice_for(case.state, "rejection")
    refused = to_approval_review(n=2)
    refused.do(APPROVER, c.Reject(reasons=["家庭财产超过规定"]))
    page = render_notice(notice_for(refused.state, "rejection"))
    assert "不予临时救助通知书" in page and "第六十五条" in page and "行政复议" in page


def test_s8_2_4_referrals_recorded_when_the_urgent_path_closes() -> None:
    """转介 (S8 §二(四); S4 Art. 60): closing the urgent path refers members to dibao and medical assistance; the
    kernel's referral events, listed for the other programmes' windows."""
    case = urgent_case()
    case.do(APPROVER, c.GrantUrgentAssistance(amount=Decimal("800"), reason="火灾"))
    events = case.do(CASEWORKER, c.RegulariseUrgentGrant(
        registration="已登记", signatures=["inv-01", "tsa-01"], sealed=True,
        referrals=[c.ReferralRequest(to_program=Program.DIBAO, member_indexes=[0, 1, 2], note="家庭收入低于低保标准"),
                   c.ReferralRequest(to_program=Program.TEKUN, member_indexes=[0], note="核查是否符合特困条件")]))
    assert [ev.type for ev in events] == ["urgent_grant_regularised", "referral_recorded", "referral_recorded"]
    assert "S8 §二(四)" in events[1].legal_basis
    assert [r.to_program for r in case.state.referrals] == [Program.DIBAO, Program.TEKUN]
    with pytest.raises(InvalidInput):
        urgent_case().do(CASEWORKER, c.RecordReferral(to_program=Program.TEMPORARY, member_indexes=[0], note="x"))


# --- 一门受理 (S5 item 23; S4 Art. 60) ----------------------------------------------------------------------------


def test_s5_item_23_one_intake_screened_against_every_programme() -> None:
    from domain.intake import Intake
    from domain.programmes import screen

    members = tuple(_members(3))
    poor = Declaration(income=[IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=Decimal("3600"))])  # 100/month/head
    fire = Intake(village_code=JINSHAN_VILLAGE, area_type=AreaType.RURAL, members=members, declaration=poor,
                  temporary=request(severity=Severity.SERIOUS))
    by_program = {s.program: s for s in screen(fire, PARAMS, FIXED_NOW.date())}
    assert set(by_program) == set(Program)
    assert by_program[Program.DIBAO].outcome == "may_qualify"
    assert by_program[Program.TEMPORARY].outcome == "may_qualify"
    assert "S8 §二(三)" in {b for crit in by_program[Program.TEMPORARY].criteria for b in crit.legal_basis}
    assert by_program[Program.OLD_AGE_ALLOWANCE].outcome == "does_not_qualify"  # nobody is 80 (SPEC §6.3)
    rich = Declaration(income=[IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=Decimal("360000"))])
    told_nothing = Intake(village_code=JINSHAN_VILLAGE, area_type=AreaType.RURAL, members=members, declaration=rich)
    by_program = {s.program: s for s in screen(told_nothing, PARAMS, FIXED_NOW.date())}
    assert by_program[Program.DIBAO].outcome == "does_not_qualify"
    assert by_program[Program.TEMPORARY].outcome == "incomplete" and by_program[Program.TEMPORARY].missing


def test_s8_2_4_follow_up_after_the_urgent_grant_counts_the_advance_against_the_tier_and_the_caps() -> None:
    """跟进救助 (S5 item 15; S8 §二(四)): the urgent grant is an advance; the follow-up's default amount is the tier
    less it, and the township cap applies to the total."""
    case = urgent_case()  # serious fire, 3 members: tier 2 × 3 × standard
    case.do(APPROVER, c.GrantUrgentAssistance(amount=Decimal("500.00"), reason="火灾"))
    case.do(CASEWORKER, c.RegulariseUrgentGrant(registration="已登记", signatures=["inv-01", "tsa-01"], sealed=True,
                                                follow_up=True))
    case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="核实损失"))
    case.do(CASEWORKER, c.RequestInfoCheck())
    case.do(SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport()))
    case.do(APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))
    case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))
    case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    case.do(SYSTEM_ACTOR, c.ClosePublicity(), days=8)
    case.do(APPROVER, c.StartCountyReview())
    tier, _ = rules.tier_amount(case.state, PARAMS)
    (approved,) = case.do(APPROVER, c.ApproveTemporaryAssistance(reason="跟进救助"))
    assert approved.amount == tier - Decimal("500.00")
    crit = next(x for x in approved.criteria if x.code == "temporary.approved_amount")
    assert crit.inputs["urgent_advance"] == "500.00" and crit.inputs["in_all"] == str(tier)
