"""特困's own commands: the investigation's findings on the conditions, the self-care assessment and its
re-assessment, the support form and an institution's waiting list, the county's random check, a minor's
schooling, the review, and the termination (S3 Arts. 8-9, 13, 16, 20-27; S4 Art. 19; S5 item 7)."""

from __future__ import annotations

from typing import Any

from domain import commands as c
from domain import events as e
from domain.errors import InvalidInput, InvalidTransition
from domain.household import Program
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    VILLAGE_COMMITTEE,
    WINDOW,
    need_params,
    need_role,
    need_stage,
    not_maker,
    team,
)
from domain.kernel.programme import Handler
from domain.months import add_months, month_after
from domain.parameters import SupportForm
from domain.procedure import referral
from domain.procedure.records import ReviewClass
from domain.programmes.tekun import rules
from domain.programmes.tekun.stages import (
    ACTIVE_STAGES,
    BEFORE_DECISION_ASSESSABLE,
    TERMINATION_STAGES,
    Stage,
)
from domain.programmes.tekun.state import TekunState

INVESTIGATION = frozenset({Stage.INVESTIGATING, Stage.REINVESTIGATION, Stage.DEMOCRATIC_APPRAISAL})
#: Where the self-care tier and the support form may change the amount: the person is supported (in payment,
#: under review, or while a termination is being decided).
IN_SUPPORT = ACTIVE_STAGES


def _record_facts(state: TekunState, cmd: c.RecordEligibilityFacts, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "record the investigation's findings")
    need_stage(state, INVESTIGATION, "recording the findings on the 特困 conditions")
    if (cmd.disability_kind is None) != (cmd.disability_grade is None):
        raise InvalidInput("a disability needs both its kind and its grade (S3 Art. 5(3))", field=("disability_grade",))
    if not cmd.applicant_signed_check_authorisation:
        raise InvalidInput("the applicant must sign the authorisation for checks (S3 Art. 10 para 3)",
                           field=("applicant_signed_check_authorisation",))
    for i, s in enumerate(cmd.supporters):
        if not s.signed_check_authorisation:
            raise InvalidInput("each statutory supporter must sign the authorisation for checks (S3 Art. 10 para 3)",
                               field=("supporters", i, "signed_check_authorisation"))
        if s.inability in {c.SupporterInability.DIBAO_AGED_60, c.SupporterInability.AGED_70_LOW_INCOME} and (
                s.resident_id is None):
            raise InvalidInput("an age ground needs the supporter's resident ID number (S3 Art. 8)",
                               field=("supporters", i, "resident_id"))
        if s.resident_id is not None:
            try:
                rules.parse_resident_id(s.resident_id)
            except InvalidInput as err:
                raise InvalidInput(err.message, field=("supporters", i, "resident_id")) from None
    return [draft(e.EligibilityFactsRecorded, "S3 Art. 5", "S3 Art. 8", "S3 Art. 9", "S3 Art. 13",
                  disability_kind=cmd.disability_kind, disability_grade=cmd.disability_grade,
                  supporters=tuple(cmd.supporters), orphan_scheme_chosen=cmd.orphan_scheme_chosen,
                  applicant_signed_check_authorisation=cmd.applicant_signed_check_authorisation,
                  contracted_land=cmd.contracted_land, relocated_to_town=cmd.relocated_to_town)]


def _repriced(state: TekunState, ctx: DecisionContext, tier: Any, form: Any) -> dict[str, Any]:
    """In support, the new amount from the next month (basic-living + care, S4 Art. 15; S3 Art. 23)."""
    if state.stage not in IN_SUPPORT:
        return {}
    params = need_params(ctx)
    parts = rules.amount_parts(state, rules.tekun_params(params), tier, form)
    if parts is None:
        return {}
    basic, care = parts
    return {"from_month": month_after(ctx.today), "monthly_amount": basic + care, "basic_amount": basic,
            "care_amount": care, "params_version": params.version}


def _self_care(state: TekunState, cmd: c.RecordSelfCareAssessment, ctx: DecisionContext) -> list[Draft]:
    """The county (or the third party it names) assesses the six ADL items (S3 Arts. 20-22)."""
    _reviewers, _approvers = rules.confirming_roles(ctx)
    need_role(ctx, COUNTY_REVIEWER | COUNTY_APPROVER | _reviewers, "record the self-care assessment")
    need_stage(state, BEFORE_DECISION_ASSESSABLE | IN_SUPPORT, "the self-care assessment")
    if len(set(cmd.failed_items)) != len(cmd.failed_items):
        raise InvalidInput("an item is listed twice", field=("failed_items",))
    assessors = team(cmd.assessors, "assessors", "S3 Art. 20") if cmd.third_party is None else tuple(cmd.assessors)
    tier = rules.care_tier(cmd.failed_items)
    basis = ("S3 Art. 20", "S3 Art. 21", "S3 Art. 22") + (("S3 Art. 23",) if state.reassessment_pending else ())
    return [draft(e.SelfCareAssessed, *basis, failed_items=tuple(cmd.failed_items), care_tier=tier,
                  assessors=assessors, third_party=cmd.third_party,
                  **_repriced(state, ctx, tier, None))]


def _self_care_change(state: TekunState, cmd: c.ReportSelfCareChange, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | CASEWORKER | VILLAGE_COMMITTEE, "report a change in self-care ability")
    need_stage(state, IN_SUPPORT, "reporting a change in self-care ability")
    if state.reassessment_pending:
        raise InvalidTransition("a re-assessment is already pending (S3 Art. 23)")
    return [draft(e.SelfCareChangeReported, "S3 Art. 23", note=cmd.note)]


def _support_form(state: TekunState, cmd: c.ChooseSupportForm, ctx: DecisionContext) -> list[Draft]:
    """The person's choice (S4 Art. 19). Whether the institution has a free bed is the service's check (the beds
    are reference data across cases): a case recorded here has its bed."""
    need_role(ctx, CASEWORKER | COUNTY_REVIEWER, "record the support form")
    need_stage(state, BEFORE_DECISION_ASSESSABLE | IN_SUPPORT, "recording the support form")
    form = SupportForm(cmd.form)
    if form is SupportForm.CENTRALISED and cmd.institution_id is None:
        raise InvalidInput("集中供养 names the institution chosen (S4 Art. 19)", field=("institution_id",))
    if form is SupportForm.DISPERSED and cmd.institution_id is not None:
        raise InvalidInput("分散供养 is at home: no institution", field=("institution_id",))
    if form is SupportForm.CENTRALISED and cmd.carer is not None:
        raise InvalidInput("a carer (照料服务人) is named for support at home only", field=("carer",))
    if form is state.support_form and cmd.institution_id == state.institution_id and cmd.carer == state.carer:
        raise InvalidTransition("the support form on record is the same")
    return [draft(e.SupportFormChosen, "S4 Art. 19", form=form, institution_id=cmd.institution_id, carer=cmd.carer,
                  **_repriced(state, ctx, None, form))]


def _wait(state: TekunState, cmd: c.WaitForPlacement, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER | COUNTY_REVIEWER, "put the case on an institution's waiting list")
    need_stage(state, BEFORE_DECISION_ASSESSABLE | IN_SUPPORT, "waiting for a placement")
    if state.waiting_for == cmd.institution_id:
        raise InvalidTransition("the case is already on that institution's waiting list")
    if state.institution_id == cmd.institution_id:
        raise InvalidTransition("the person already has a bed there")
    return [draft(e.PlacementWaitlisted, "S4 Art. 19", institution_id=cmd.institution_id)]


def _draw(state: TekunState, cmd: c.RecordCountyCheckDraw, ctx: DecisionContext) -> list[Draft]:
    """The county's random check of ≥ 30 % of the township's submissions (S3 Art. 16): the case checks the draw
    is reproducible from the recorded seed and batch before it records it."""
    params = need_params(ctx)
    need_role(ctx, COUNTY_REVIEWER, "draw the county's random check")
    need_stage(state, {Stage.SUBMITTED_TO_COUNTY, Stage.COUNTY_REVIEW}, "the county's random check")
    if state.drawn_for_county_check is not None:
        raise InvalidTransition("the case was already in a draw of the county's random check")
    if cmd.township_code != state.township_code:
        raise InvalidInput("the draw is of another township's submissions", field=("township_code",))
    if state.case_id not in cmd.batch:
        raise InvalidInput("the case is not in the batch drawn from", field=("batch",))
    rate = rules.tekun_params(params).county_check_rate
    expected = rules.county_check_draw(cmd.batch, cmd.seed, rate)
    if tuple(sorted(cmd.drawn, key=str)) != expected:
        raise InvalidInput("the cases drawn do not follow from the seed and the batch (S3 Art. 16)", field=("drawn",))
    return [draft(e.DrawnForCountyCheck, "S3 Art. 16", params_version=params.version, draw_id=cmd.draw_id,
                  seed=cmd.seed, rate=rate, township_code=cmd.township_code,
                  batch=tuple(sorted(cmd.batch, key=str)), drawn_cases=expected,
                  drawn=state.case_id in expected)]


def _schooling(state: TekunState, cmd: c.RecordSchooling, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "record a minor's schooling")
    need_stage(state, {Stage.IN_PAYMENT, Stage.UNDER_REVIEW}, "recording schooling")
    if cmd.expected_end <= ctx.today:
        raise InvalidInput("the schooling's expected end has passed", field=("expected_end",))
    return [draft(e.SchoolingRecorded, "S3 Art. 24", school_level=cmd.school_level, expected_end=cmd.expected_end,
                  reason=cmd.evidence)]


def _data_alert(state: TekunState, cmd: c.RaiseDataAlert, ctx: DecisionContext) -> list[Draft]:
    return data_alert(state, cmd, ctx)


def data_alert(state: TekunState, cmd: c.RaiseDataAlert, ctx: DecisionContext, *,
               checked_role: bool = True) -> list[Draft]:
    """A data comparison about the person (death, prison, declared missing …; S6 §三): recorded on the case; in
    support it opens a review, where the township investigates and proposes the termination if a ground of S3
    Art. 24 holds (an alert never terminates by itself). A death another case of the person recorded arrives
    the same way, from the engine (``checked_role`` False: the links' delivery, not a person)."""
    if checked_role:
        need_role(ctx, CASEWORKER | COUNTY_REVIEWER, "raise a data alert")
    if state.is_closed:
        raise InvalidTransition("the case is closed")
    if cmd.member_index not in (None, 0):
        raise InvalidInput("a 特困 case has one person (member 0)", field=("member_index",))
    out = [draft(e.DataAlertRaised, "S6 §三", "S3 Art. 25", alert=cmd.alert, member_index=0,
                 occurred_on=cmd.occurred_on, source=cmd.source)]
    if state.stage is Stage.IN_PAYMENT:
        out.append(draft(e.TekunReviewOpened, "S3 Art. 25", trigger=f"data_alert:{cmd.alert.value}", due=ctx.today))
    return out


def review_schedule(ctx: DecisionContext, basis: tuple[str, ...] = ("S5 item 7",)) -> Draft:
    """The next annual review (S5 item 7), counted from today."""
    months = rules.tekun_params(need_params(ctx)).review_months
    return draft(e.ReviewScheduled, *basis, review_class=ReviewClass.ANNUAL, interval_months=months,
                 due=add_months(ctx.today, months))


def _open_review(state: TekunState, cmd: c.OpenTekunReview, _ctx: DecisionContext) -> list[Draft]:
    need_stage(state, {Stage.IN_PAYMENT}, "opening a review")
    basis = ("S3 Art. 24",) if cmd.trigger == "minor_turns_18" else ("S5 item 7",)
    return [draft(e.TekunReviewOpened, *basis, trigger=cmd.trigger, due=cmd.due)]


def _conclude_review(state: TekunState, cmd: c.ConcludeTekunReview, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, COUNTY_APPROVER | TOWNSHIP_APPROVER, "conclude the review")
    need_stage(state, {Stage.UNDER_REVIEW}, "concluding the review")
    if state.review_trigger == "minor_turns_18" and state.schooling_until is None:
        raise InvalidTransition("past 18 the support continues only while in school (S3 Art. 24 note): record the "
                                "schooling, or propose the termination")
    months = rules.tekun_params(need_params(ctx)).review_months
    return [draft(e.TekunReviewConcluded, "S5 item 7", reasons=tuple(cmd.reasons),
                  next_review_due=add_months(ctx.today, months))]


def _propose(state: TekunState, cmd: c.ProposeTermination, ctx: DecisionContext) -> list[Draft]:
    """The township investigates and proposes (S3 Art. 25); after an objection, the county's investigation
    proposes again, to be published again (S3 Art. 26 para 2)."""
    if state.stage is Stage.TERMINATION_INVESTIGATION:
        need_role(ctx, COUNTY_REVIEWER, "propose the termination after the county's investigation")
        basis: tuple[str, ...] = ("S3 Art. 26 para 2",)
    else:
        need_role(ctx, CASEWORKER, "propose the termination")
        need_stage(state, {Stage.IN_PAYMENT, Stage.UNDER_REVIEW}, "proposing the termination")
        basis = ("S3 Art. 24", "S3 Art. 25")
    return [draft(e.TerminationProposed, *basis, ground=cmd.ground, reasons=tuple(cmd.reasons),
                  reason="; ".join(cmd.reasons))]


def _decide(state: TekunState, cmd: c.DecideTermination, ctx: DecisionContext) -> list[Draft]:
    """The county's termination decision after a 公示 without objection, effective from the next month (S3 Art.
    26), with a referral where the person qualifies for dibao or 临时救助 (S3 Art. 27)."""
    _reviewers, approvers = rules.confirming_roles(ctx)
    need_role(ctx, COUNTY_APPROVER | approvers, "decide the termination")
    need_stage(state, {Stage.TERMINATION_DECISION}, "deciding the termination")
    not_maker(state.investigators, ctx)
    if cmd.refer_to and not cmd.referral_reason:
        raise InvalidInput("a referral states why the person may qualify (S3 Art. 27)", field=("referral_reason",))
    assert state.termination_ground is not None
    out = [draft(e.SupportTerminated, "S3 Art. 24", "S3 Art. 26", reason="; ".join(cmd.reasons),
                 ground=state.termination_ground, reasons=tuple(cmd.reasons), effective_month=month_after(ctx.today))]
    # 转介 (S3 Art. 27; S4 Art. 60): the person, member 0 of the case, to each programme they may qualify for.
    for to_program in dict.fromkeys(cmd.refer_to):
        out.append(referral.referral_draft(state, ctx, Program(to_program), (0,), "S3 Art. 27", "S4 Art. 60",
                                           reason=cmd.referral_reason))
    return out


def _drop(state: TekunState, cmd: c.DropTermination, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, COUNTY_APPROVER | rules.confirming_roles(ctx)[1], "decide not to terminate")
    need_stage(state, {Stage.TERMINATION_DECISION, Stage.TERMINATION_INVESTIGATION}, "dropping the termination")
    return [draft(e.TerminationDropped, "S3 Art. 26", reasons=tuple(cmd.reasons), reason="; ".join(cmd.reasons))]


def _serve(state: TekunState, _: c.ServeTerminationNotice, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "serve the termination notice")
    need_stage(state, {Stage.TERMINATED}, "serving the termination notice")
    if state.termination_notice_served:
        raise InvalidTransition("the termination notice was already served")
    return [draft(e.TerminationNoticeServed, "S3 Art. 26")]


HANDLERS: dict[type, Handler] = {
    c.RaiseDataAlert: _data_alert,
    c.RecordEligibilityFacts: _record_facts,
    c.RecordSelfCareAssessment: _self_care,
    c.ReportSelfCareChange: _self_care_change,
    c.ChooseSupportForm: _support_form,
    c.WaitForPlacement: _wait,
    c.RecordCountyCheckDraw: _draw,
    c.RecordSchooling: _schooling,
    c.OpenTekunReview: _open_review,
    c.ConcludeTekunReview: _conclude_review,
    c.ProposeTermination: _propose,
    c.DecideTermination: _decide,
    c.DropTermination: _drop,
    c.ServeTerminationNotice: _serve,
}


__all__ = ["HANDLERS", "TERMINATION_STAGES", "review_schedule"]
