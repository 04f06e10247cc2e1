"""The 特困 procedure (S3 Arts. 10-27): 15-wd limits, 公示 and re-publication after an objection, the county's
reproducible ≥ 30 % random check with the drawn case's home visit, approval from the month after, a minor's 18th
birthday, re-assessment within 10 wd, and termination with its own 7-day 公示."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain import commands as c
from domain import events as e
from domain.commands import AdlItem, TerminationGround
from domain.errors import InvalidInput, InvalidTransition
from domain.kernel.context import SYSTEM_ACTOR
from domain.programmes import REGISTRY, pending_step
from domain.programmes.tekun import rules
from domain.programmes.tekun.deadlines import DEADLINES
from domain.programmes.tekun.programme import TEKUN, minor_review_day
from domain.programmes.tekun.stages import Stage
from tests.unit.domain.tekun_support import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    COUNTY_TEAM,
    PARAMS,
    TEAM,
    TOWNSHIP_APPROVER,
    VILLAGE,
    WINDOW,
    Driver,
    apply,
    on,
    params,
)


def _types(events) -> list[str]:
    return [ev.type for ev in events]


def _deadline_steps(d: Driver) -> dict[str, int]:
    """The deadlines the recorded events start: step → working days (as the workflow asks the book)."""
    return {step: days for step, _start, days in DEADLINES.to_set(d.state, d.events, PARAMS)}


def test_s3_arts_13_16_18_limits_of_15_15_and_3_working_days_from_the_parameters() -> None:
    d = Driver()
    d.approved()
    steps = _deadline_steps(d)
    assert steps["prelim_opinion"] == 15  # S3 Art. 13: from acceptance
    assert steps["county_decision"] == 15  # S3 Art. 16
    assert DEADLINES.basis("prelim_opinion") == ("S3 Art. 13",)
    assert DEADLINES.basis("rejection_notice") == ("S3 Art. 18",)
    assert "overall" not in steps  # S3 sets no overall limit (dibao's S1 Art. 22)


def test_s3_art_10_a_village_committee_applies_on_the_persons_behalf() -> None:
    d = Driver()
    state = d.do(VILLAGE, apply())
    assert state.stage is Stage.SUBMITTED
    assert d.events[0].legal_basis == ("S3 Art. 10", "S3 Art. 11")


def test_s3_art_10_one_person_applies() -> None:
    app = apply()
    two = app.model_copy(update={"members": [*app.members, app.members[0].model_copy(
        update={"relation": "child", "resident_id": "532302201001011230"})]})
    with pytest.raises(InvalidInput):
        Driver().do(WINDOW, two)


def test_s3_art_14_democratic_appraisal_is_optional_during_the_investigation() -> None:
    d = Driver()
    d.investigated()
    d.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=True, reason="村民对赡养情况有不同看法"))
    assert d.state.stage is Stage.DEMOCRATIC_APPRAISAL
    assert d.events[-1].legal_basis == ("S3 Art. 14",)


def test_s3_art_15_objection_then_reinvestigation_then_published_again() -> None:
    """An objection during the 7-day 公示: re-investigation, a new opinion within 15 wd, and a new 公示 — never
    straight to the county (dibao's parameter would skip it)."""
    d = Driver()
    d.investigated()
    d.assessed()
    d.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))
    d.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    d.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    assert d.state.publicity_ends_on == d.state.publicity_starts_on + timedelta(days=7)
    d.do(VILLAGE, c.LogObjection(real_name=True, content="反映其子有赡养能力"))
    d.close_publicity()
    assert d.state.stage is Stage.OBJECTION_RECEIVED
    d.do(TOWNSHIP_APPROVER, c.ResolveObjection(path="reinvestigation", reason="重新调查赡养情况"))
    assert d.state.stage is Stage.REINVESTIGATION
    assert _deadline_steps(d)["reinvestigation"] == 15
    d.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="其子长年失联"))
    reissued = d.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    assert reissued.stage is Stage.PRELIM_OPINION_ISSUED  # not submitted to the county
    assert "case_submitted_to_county" not in _types(d.events[-1:])
    d.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    d.close_publicity()
    assert d.state.stage is Stage.SUBMITTED_TO_COUNTY and d.state.publicity_rounds == 2


# --- the county's random check: S3 Art. 16 -----------------------------------------------------------------


def test_s3_art_16_the_draw_is_reproducible_and_at_least_30_percent() -> None:
    batch = [uuid4() for _ in range(10)]
    first = rules.county_check_draw(batch, "2026-11-county-01", Decimal("0.30"))
    assert first == rules.county_check_draw(list(reversed(batch)), "2026-11-county-01", Decimal("0.30"))
    assert len(first) == 3 and set(first) <= set(batch)
    assert len(rules.county_check_draw(batch[:7], "x" * 8, Decimal("0.30"))) == 3  # ⌈2.1⌉
    assert len(rules.county_check_draw(batch[:1], "x" * 8, Decimal("0.30"))) == 1
    other = {rules.county_check_draw(batch, f"seed-{i}", Decimal("0.30")) for i in range(20)}
    assert len(other) > 1  # the seed decides


def test_s3_art_16_the_draw_is_recorded_with_who_the_seed_and_the_list() -> None:
    d = Driver()
    d.investigated()
    d.assessed()
    d.published()
    state = d.drawn(True)
    ev = d.events[-1]
    assert isinstance(ev, e.DrawnForCountyCheck)
    assert ev.actor.id == COUNTY_REVIEWER.id and ev.seed.startswith("seed-") and ev.drawn
    assert d.case_id in ev.drawn_cases and set(ev.drawn_cases) <= set(ev.batch)
    assert ev.drawn_cases == rules.county_check_draw(ev.batch, ev.seed, ev.rate)
    assert state.drawn_for_county_check is True


def test_s3_art_16_a_list_that_does_not_follow_from_the_seed_is_refused() -> None:
    d = Driver()
    d.investigated()
    d.assessed()
    d.published()
    batch = [d.case_id, UUID(int=1), UUID(int=2), UUID(int=3)]
    drawn = rules.county_check_draw(batch, "honest-seed", Decimal("0.30"))
    wrong = [b for b in batch if b not in drawn][:len(drawn)]
    with pytest.raises(InvalidInput) as err:
        d.try_(COUNTY_REVIEWER, c.RecordCountyCheckDraw(draw_id=uuid4(), seed="honest-seed",
                                                         township_code="532302101", batch=batch, drawn=wrong))
    assert err.value.field == ("drawn",)


def test_s3_art_16_a_drawn_case_cannot_be_decided_without_the_county_home_visit() -> None:
    d = Driver()
    d.investigated()
    d.assessed()
    d.published()
    d.drawn(True)
    d.do(COUNTY_REVIEWER, c.StartCountyReview())
    with pytest.raises(InvalidTransition, match="drawn"):
        d.try_(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    with pytest.raises(InvalidTransition, match="drawn"):
        d.try_(COUNTY_APPROVER, c.Reject(reasons=["不符合"]))
    d.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=COUNTY_TEAM, findings="抽查入户，情况属实"))
    assert d.do(COUNTY_APPROVER, c.Approve(reason="符合条件")).stage is Stage.APPROVED


def test_s3_art_16_no_decision_before_the_draw() -> None:
    d = Driver()
    d.investigated()
    d.assessed()
    d.published()
    d.do(COUNTY_REVIEWER, c.StartCountyReview())
    with pytest.raises(InvalidTransition, match="random check"):
        d.try_(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    d.drawn(False)
    assert d.do(COUNTY_APPROVER, c.Approve(reason="符合条件")).stage is Stage.APPROVED


# --- approval, refusal ---------------------------------------------------------------------------------------


def test_s3_art_17_approval_pays_from_the_month_after_with_both_parts() -> None:
    d = Driver()
    state = d.approved(failed=(AdlItem.BATHING,))
    assert state.first_payment_month == "2026-12"
    assert state.monthly_amount == Decimal("1132.00")
    assert state.amount_parts == (Decimal("832.00"), Decimal("300.00"))
    assert state.next_review_due is not None  # the annual review (S5 item 7)
    state = d.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
    assert state.stage is Stage.IN_PAYMENT
    assert state.amount_for("2026-11") is None and state.amount_for("2026-12") == Decimal("1132.00")


def test_s3_art_20_no_approval_without_the_self_care_assessment_and_the_support_form() -> None:
    d = Driver()
    d.investigated()
    d.published()
    d.drawn(False)
    d.do(COUNTY_REVIEWER, c.StartCountyReview())
    with pytest.raises(InvalidTransition, match="S3 Art. 20"):
        d.try_(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    d.do(COUNTY_REVIEWER, c.RecordSelfCareAssessment(failed_items=[], assessors=COUNTY_TEAM))
    with pytest.raises(InvalidTransition, match="S4 Art. 19"):
        d.try_(COUNTY_APPROVER, c.Approve(reason="符合条件"))


def test_s3_art_18_refusal_notice_within_3_working_days() -> None:
    d = Driver()
    d.investigated()
    d.published()
    d.drawn(False)
    d.do(COUNTY_REVIEWER, c.StartCountyReview())
    d.do(COUNTY_APPROVER, c.Reject(reasons=["其子具有赡养能力"]))
    assert _deadline_steps(d)["rejection_notice"] == 3
    assert d.do(CASEWORKER, c.ServeRejectionNotice()).is_closed


# --- support form and re-assessment -------------------------------------------------------------------------


def test_s4_art_19_centralised_support_names_the_institution_and_a_move_reprices_from_next_month() -> None:
    d = Driver()
    d.in_payment()
    with pytest.raises(InvalidInput):
        d.try_(CASEWORKER, c.ChooseSupportForm(form="centralised"))
    state = d.do(CASEWORKER, c.ChooseSupportForm(form="centralised", institution_id="jinshan-home"))
    assert state.institution_id == "jinshan-home"
    assert state.amount_for("2026-12") == Decimal("932.00")  # centralised, capable: 832 + 100
    assert state.amount_parts == (Decimal("832.00"), Decimal("100.00"))


def test_s4_art_19_a_full_institution_puts_the_case_on_its_waiting_list() -> None:
    d = Driver()
    d.in_payment()
    state = d.do(CASEWORKER, c.WaitForPlacement(institution_id="jinshan-home"))
    assert state.waiting_for == "jinshan-home" and state.support_form.value == "dispersed"
    state = d.do(CASEWORKER, c.ChooseSupportForm(form="centralised", institution_id="jinshan-home"))
    assert state.waiting_for is None


def test_s3_art_23_a_reported_change_is_reassessed_within_10_working_days() -> None:
    d = Driver()
    d.in_payment()
    d.do(VILLAGE, c.ReportSelfCareChange(note="跌倒后卧床"))
    assert _deadline_steps(d)["reassessment"] == 10
    assert pending_step(d.state).step == "self_care_reassessment"
    assert DEADLINES.is_open(d.state, "reassessment")
    state = d.do(COUNTY_REVIEWER, c.RecordSelfCareAssessment(failed_items=list(AdlItem)[:5], assessors=COUNTY_TEAM))
    assert not DEADLINES.is_open(state, "reassessment")
    assert d.events[-1].legal_basis[-1] == "S3 Art. 23"
    assert state.amount_for("2026-12") == Decimal("1432.00")


# --- a minor turning 18: S3 Art. 24 note ---------------------------------------------------------------------


def _minor_in_payment() -> Driver:
    """A minor of 17 recognised under the S5 item 5 limit (18, a parameter), who turns 18 in 60 days."""
    d = Driver(params(minor_age_limit=18))
    d.investigated(apply(age=18, days=60))  # turned 17 ten months ago
    d.assessed()
    d.published()
    d.drawn(False)
    d.do(COUNTY_REVIEWER, c.StartCountyReview())
    d.do(COUNTY_APPROVER, c.Approve(reason="未成年人，无法定抚养义务人"))
    d.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
    return d


def test_s3_art_24_a_minor_turning_18_without_schooling_gets_a_review_at_the_birthday() -> None:
    d = _minor_in_payment()
    birthday = minor_review_day(d.state)
    assert birthday is not None
    [timer] = TEKUN.due(d.state, on(birthday), lambda _id: True)
    assert timer.command == c.OpenTekunReview(due=birthday, trigger="minor_turns_18")
    assert TEKUN.due(d.state, on(birthday - timedelta(days=1)), lambda _id: True) == []
    d.do(SYSTEM_ACTOR, timer.command, after=timedelta(days=61))
    assert d.state.stage is Stage.UNDER_REVIEW
    with pytest.raises(InvalidTransition, match="in school"):  # it is a review, never a decision by the timer
        d.try_(COUNTY_APPROVER, c.ConcludeTekunReview(reasons=["继续供养"]))
    d.do(CASEWORKER, c.ProposeTermination(ground=TerminationGround.CAPACITY_TO_WORK, reasons=["已满18周岁且未在校"]))
    assert d.state.stage is Stage.TERMINATION_PROPOSED


def test_s3_art_24_a_minor_in_school_keeps_support_past_18() -> None:
    d = _minor_in_payment()
    d.do(CASEWORKER, c.RecordSchooling(school_level="high_school", expected_end=d.now.date() + timedelta(days=600),
                                       evidence="普通高中在读证明"))
    assert minor_review_day(d.state) is None
    birthday = rules.birthday(d.state.members[0].resident_id, 18)
    assert all(t.command.trigger == "annual" for t in TEKUN.timers(d.state, lambda _id: True)
               if isinstance(t.command, c.OpenTekunReview))
    assert TEKUN.due(d.state, on(birthday), lambda _id: True) == []


# --- termination: S3 Arts. 24-27 --------------------------------------------------------------------------


def _terminating(d: Driver) -> None:
    d.in_payment()
    d.do(CASEWORKER, c.ProposeTermination(ground=TerminationGround.ABLE_SUPPORTER, reasons=["其子返乡，具备赡养能力"]))
    d.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))


def test_s3_art_26_termination_without_objection_effective_next_month() -> None:
    d = Driver()
    _terminating(d)
    assert d.state.stage is Stage.TERMINATION_PUBLICITY
    assert d.events[-1].legal_basis == ("S3 Art. 26",)
    assert d.state.publicity_ends_on - d.state.publicity_starts_on == timedelta(days=7)
    d.close_publicity()
    assert d.state.stage is Stage.TERMINATION_DECISION  # the window decides nothing; the county does
    with pytest.raises(Exception):
        d.try_(CASEWORKER, c.DecideTermination(reasons=["公示无异议"]))
    state = d.do(COUNTY_APPROVER, c.DecideTermination(reasons=["公示无异议，终止救助供养"], refer_to=["dibao"],
                                                      referral_reason="其子收入较低，可申请低保"))
    assert state.stage is Stage.TERMINATED
    referral = d.events[-1]  # S3 Art. 27: the former 特困 person referred to dibao, through the kernel
    assert isinstance(referral, e.ReferralRecorded)
    assert referral.to_program == "dibao" and referral.member_indexes == (0,)
    assert referral.legal_basis == ("S3 Art. 27", "S4 Art. 60") and "低保" in referral.reason
    assert [r.to_program for r in state.referrals] == ["dibao"]
    assert state.termination_effective_month == "2026-12"
    assert state.amount_for("2026-11") is not None or state.first_payment_month == "2026-12"
    assert state.amount_for("2026-12") is None
    assert not state.is_closed
    assert d.do(CASEWORKER, c.ServeTerminationNotice()).is_closed
    assert REGISTRY[state.program].outcome(state) == "exited"


def test_s3_art_26_termination_objection_county_investigates_and_publishes_again() -> None:
    d = Driver()
    _terminating(d)
    d.do(VILLAGE, c.LogObjection(real_name=True, content="其子并未返乡"))
    d.close_publicity()
    assert d.state.stage is Stage.TERMINATION_OBJECTION
    with pytest.raises(Exception):
        d.try_(TOWNSHIP_APPROVER, c.ResolveObjection(path="reinvestigation", reason="x"))
    d.do(COUNTY_REVIEWER, c.ResolveObjection(path="reinvestigation", reason="县级调查核实"))
    assert d.state.stage is Stage.TERMINATION_INVESTIGATION
    assert _deadline_steps(d)["reinvestigation"] == 15
    d.do(COUNTY_REVIEWER, c.ProposeTermination(ground=TerminationGround.ABLE_SUPPORTER, reasons=["核实属实"]))
    d.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    assert d.state.stage is Stage.TERMINATION_PUBLICITY
    d.close_publicity()
    state = d.do(COUNTY_APPROVER, c.DecideTermination(reasons=["重新公示无异议"]))
    assert state.stage is Stage.TERMINATED


def test_s3_art_26_the_county_may_decide_not_to_terminate_after_the_objection() -> None:
    d = Driver()
    _terminating(d)
    d.do(VILLAGE, c.LogObjection(real_name=False, content="其子并未返乡"))
    d.close_publicity()
    d.do(COUNTY_REVIEWER, c.ResolveObjection(path="reinvestigation", reason="县级调查核实"))
    state = d.do(COUNTY_APPROVER, c.DropTermination(reasons=["其子未返乡，继续供养"]))
    assert state.stage is Stage.IN_PAYMENT and state.termination_ground is None
    assert state.amount_for("2027-01") == Decimal("892.00")


def test_s3_art_25_a_death_alert_opens_a_review_never_a_termination() -> None:
    """S6 §三 data comparison: the alert is recorded and, in support, opens a review; the township then proposes
    the termination on S3 Art. 24(1) and it goes through its 公示 like any other."""
    d = Driver()
    d.in_payment()
    state = d.do(COUNTY_REVIEWER, c.RaiseDataAlert(alert=c.AlertType.DEATH, occurred_on=d.now.date(),
                                                   source="殡葬数据比对"))
    assert state.stage is Stage.UNDER_REVIEW and state.review_trigger == "data_alert:death"
    assert state.data_alerts == ("death",) and state.amount_for("2026-12") is not None
    d.do(CASEWORKER, c.ProposeTermination(ground=TerminationGround.DEATH, reasons=["经核实已死亡"]))
    assert d.state.stage is Stage.TERMINATION_PROPOSED


def test_as_of_reevaluates_a_tekun_approval_with_its_own_assessment() -> None:
    """An auditor's as-of re-evaluation of a 特困 approval recomputes S3's assessment (not dibao's)."""
    from domain.as_of import reevaluate

    d = Driver()
    d.approved()
    approval = next(ev for ev in d.events if isinstance(ev, e.ApplicationApproved))
    result = reevaluate(d.events, approval.seq, PARAMS, PARAMS)
    assert result.reproduced and result.still_granted
    assert result.at_decision_date.monthly_amount == Decimal("892.00")
    assert any(x.code == "no_able_supporter" for x in result.at_decision_date.criteria)


def test_s3_art_28_devolved_confirmation_the_township_approves() -> None:
    d = Driver(params(confirmation_devolved_to_township=True))
    d.investigated()
    d.assessed()
    d.published()
    d.do(TOWNSHIP_APPROVER, c.StartCountyReview())
    state = d.do(TOWNSHIP_APPROVER, c.Approve(reason="乡镇审核确认（下放）"))
    assert state.stage is Stage.APPROVED
    assert d.events[-2].legal_basis[:2] == ("S3 Art. 28", "S3 Art. 17")
