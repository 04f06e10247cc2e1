"""Confirmation (审核确认): the package submitted, the confirming authority's review with its home visit and
complaints, approval (amount from the programme's assessment, paid from the month after) or refusal with its
written notice, and the 公布 that hands the case to payment (S1 Arts. 19-25, 36-38; S3 Arts. 16-18, 28).

Who confirms is the programme's (``ProcedureSpec.confirming_roles``): the county, or the township where the
parameters in force devolve it (S1 Art. 2; S3 Art. 28).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from domain import commands as c
from domain import events as e
from domain.errors import InvalidInput, InvalidTransition
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    COUNTY_REVIEWER,
    SUPERVISOR,
    VILLAGE_COMMITTEE,
    WINDOW,
    need_params,
    need_role,
    need_stage,
    not_maker,
    team,
)
from domain.kernel.mutators import Mutators, moved
from domain.kernel.programme import Handler
from domain.months import month_after
from domain.parameters import ResolvedParameters
from domain.procedure.amendment import need_no_open_proposal
from domain.procedure.publicity import open_objections
from domain.procedure.records import BenefitPeriod, Complaint
from domain.procedure.spec import ProcedureSpec

FIELDS = frozenset(
    {
        "prelim_eligible",
        "village_review",
        "county_home_visit",
        "complaints",
        "close_relatives",
        "publicity_rounds",
        "objections",
        "investigators",
        "monthly_amount",
        "first_payment_month",
        "decision_assessment",
        "rejection_reasons",
        "rejection_notice_served",
        "published_at",
        "benefit_periods",
    }
)
ARTICLE_KEYS = frozenset(
    {
        "submit_for_confirmation",
        "objection_follow_up",
        "review_start",
        "team",
        "review_home_visit",
        "review_home_visit_mandatory",
        "complaint",
        "complaint_resolution",
        "open_complaint",
        "approve",
        "approve_devolved",
        "amount",
        "publicity_close",
        "reject",
        "rejection_notice",
        "publication",
        "payment",
    }
)


def open_complaints(state: Any) -> int:
    return sum(1 for x in state.complaints if not x.resolved)


def _submit(spec: ProcedureSpec, state: Any, _: c.SubmitToCounty, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "submit the package")
    need_stage(state, {spec.stages.prelim_opinion}, "submitting to the county")
    if state.prelim_eligible:
        raise InvalidTransition(
            f"an 'eligible' opinion must first go through 公示 ({spec.cite('submit_for_confirmation')})"
        )
    return [draft(e.CaseSubmittedToCounty, *spec.basis("submit_for_confirmation"))]


def _start_review(spec: ProcedureSpec, state: Any, _: c.StartCountyReview, ctx: DecisionContext) -> list[Draft]:
    reviewers, _approvers = spec.confirming_roles(ctx)
    need_role(ctx, reviewers, "start the confirmation review")
    need_stage(state, {spec.stages.submitted_for_confirmation}, "starting the review")
    if state.village_review == "appraisal_ordered":
        raise InvalidTransition(f"the 民主评议 record is not on file ({spec.cite('objection_follow_up')})")
    return [draft(e.CountyReviewStarted, *spec.basis("review_start"))]


def _home_visit(spec: ProcedureSpec, state: Any, cmd: c.RecordCountyHomeVisit, ctx: DecisionContext) -> list[Draft]:
    reviewers, _approvers = spec.confirming_roles(ctx)
    need_role(ctx, reviewers, "record the review home visit")
    need_stage(state, {spec.stages.confirmation_review}, "recording the review home visit")
    investigators = team(cmd.investigators, "investigators", spec.cite("team"))
    return [
        draft(
            e.CountyHomeVisitRecorded,
            *spec.basis("review_home_visit"),
            investigators=investigators,
            findings=cmd.findings,
        )
    ]


def _log_complaint(spec: ProcedureSpec, state: Any, cmd: c.LogComplaint, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | CASEWORKER | COUNTY_REVIEWER | SUPERVISOR, "log a complaint")
    need_stage(state, {spec.stages.submitted_for_confirmation, spec.stages.confirmation_review}, "logging a complaint")
    return [draft(e.ComplaintReceived, *spec.basis("complaint"), real_name=cmd.real_name, content=cmd.content)]


def _resolve_complaint(spec: ProcedureSpec, state: Any, cmd: c.ResolveComplaint, ctx: DecisionContext) -> list[Draft]:
    reviewers, _approvers = spec.confirming_roles(ctx)
    need_role(ctx, reviewers, "resolve a complaint")
    need_stage(state, {spec.stages.confirmation_review}, "resolving a complaint")
    open_ = [x for x in state.complaints if not x.resolved]
    if not open_:
        raise InvalidTransition("no open complaint")
    if open_[0].real_name and not cmd.feedback_sent:
        raise InvalidInput(
            f"a real-name reporter must get feedback ({spec.cite('complaint_resolution')})", field=("feedback_sent",)
        )
    return [
        draft(
            e.ComplaintResolved,
            *spec.basis("complaint_resolution"),
            feedback_sent=cmd.feedback_sent,
            finding=cmd.finding,
        )
    ]


def _decision_preconditions(spec: ProcedureSpec, state: Any, ctx: DecisionContext, what: str) -> ResolvedParameters:
    params = need_params(ctx)
    _reviewers, approvers = spec.confirming_roles(ctx)
    need_role(ctx, approvers, what)
    need_stage(state, {spec.stages.confirmation_review}, what)
    not_maker(state.investigators, ctx)
    need_no_open_proposal(state, spec, f"the decision to {what}")
    if open_complaints(state):
        raise InvalidTransition(f"an open complaint must be resolved first ({spec.cite('open_complaint')})")
    return params


def _approve(spec: ProcedureSpec, state: Any, cmd: c.Approve, ctx: DecisionContext) -> list[Draft]:
    params = _decision_preconditions(spec, state, ctx, "approve")
    if (state.close_relatives or state.complaints) and not state.county_home_visit:
        raise InvalidTransition(
            "a county home visit is mandatory for close-relative and complained cases "
            f"({spec.cite('review_home_visit_mandatory')}) and is not on record"
        )
    if state.prelim_eligible is not True:
        raise InvalidTransition("the 初审意见 on record is not 'eligible'")
    if state.publicity_rounds == 0:
        raise InvalidTransition(f"no finished 公示 is on record ({spec.cite('publicity_close')})")
    if open_objections(state):
        raise InvalidTransition(f"an objection from the 公示 is still open ({spec.cite('publicity_close')})")
    assessment = spec.assess(state, params)
    if not assessment.eligible:
        raise InvalidInput(
            "the household is not eligible under the parameters in force; see the assessment", field=("reason",)
        )
    basis = spec.basis("approve_devolved" if spec.devolved(ctx) else "approve")
    return [
        draft(
            e.ApplicationApproved,
            *basis,
            *spec.basis("amount"),
            reason=cmd.reason,
            params_version=params.version,
            monthly_amount=assessment.monthly_amount,
            first_payment_month=month_after(ctx.today),
            assessment=assessment,
        ),
        *spec.after_approval(state, ctx),
    ]


def _reject(spec: ProcedureSpec, state: Any, cmd: c.Reject, ctx: DecisionContext) -> list[Draft]:
    params = _decision_preconditions(spec, state, ctx, "reject")
    assessment = spec.assess(state, params)
    return [
        draft(
            e.ApplicationRejected,
            *spec.basis("reject"),
            reason="; ".join(cmd.reasons),
            params_version=params.version,
            reasons=tuple(cmd.reasons),
            assessment=assessment,
        )
    ]


def _serve_rejection(spec: ProcedureSpec, state: Any, _: c.ServeRejectionNotice, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "serve the refusal notice")
    need_stage(state, {spec.stages.rejected}, "serving the refusal notice")
    if state.rejection_notice_served:
        raise InvalidTransition("the refusal notice was already served")
    return [draft(e.RejectionNoticeServed, *spec.basis("rejection_notice"))]


def _post_publication(spec: ProcedureSpec, state: Any, cmd: c.PostPublication, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER | VILLAGE_COMMITTEE, "post the 公布")
    need_stage(state, {spec.stages.approved}, "posting the 公布")
    assert state.first_payment_month is not None
    assert state.monthly_amount is not None
    return [
        draft(e.PublicationPosted, *spec.basis("publication"), location=cmd.location),
        draft(
            e.PaymentScheduled,
            *spec.basis("payment"),
            first_payment_month=state.first_payment_month,
            monthly_amount=state.monthly_amount,
        ),
    ]


_HANDLERS = {
    c.SubmitToCounty: _submit,
    c.StartCountyReview: _start_review,
    c.RecordCountyHomeVisit: _home_visit,
    c.LogComplaint: _log_complaint,
    c.ResolveComplaint: _resolve_complaint,
    c.Approve: _approve,
    c.Reject: _reject,
    c.ServeRejectionNotice: _serve_rejection,
    c.PostPublication: _post_publication,
}


def handlers(spec: ProcedureSpec) -> dict[type, Handler]:
    return {t: partial(fn, spec) for t, fn in _HANDLERS.items()}


def mutators(spec: ProcedureSpec) -> Mutators:
    s = spec.stages
    m = Mutators()

    @m.on(e.CaseSubmittedToCounty)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, s.submitted_for_confirmation)

    @m.on(e.CountyReviewStarted)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, s.confirmation_review)

    @m.on(e.CountyHomeVisitRecorded)
    def _(state: Any, event: Any) -> Any:
        return moved(
            state,
            event,
            county_home_visit=True,
            investigators=tuple(dict.fromkeys((*state.investigators, *event.investigators))),
        )

    @m.on(e.ComplaintReceived)
    def _(state: Any, event: Any) -> Any:
        return moved(
            state,
            event,
            county_home_visit=False,
            complaints=(*state.complaints, Complaint(seq=event.seq, real_name=event.real_name)),
        )

    @m.on(e.ComplaintResolved)
    def _(state: Any, event: Any) -> Any:
        first_open = next(i for i, x in enumerate(state.complaints) if not x.resolved)
        complaints = list(state.complaints)
        complaints[first_open] = complaints[first_open].model_copy(
            update={"resolved": True, "feedback_sent": event.feedback_sent}
        )
        return moved(state, event, complaints=tuple(complaints))

    @m.on(e.ApplicationApproved)
    def _(state: Any, event: Any) -> Any:
        period = BenefitPeriod(
            from_month=event.first_payment_month,
            monthly_amount=event.monthly_amount,
            household_size=event.assessment.household_size,
            parameter_set_version=event.parameter_set_version,
            seq=event.seq,
        )
        return moved(
            state,
            event,
            s.approved,
            monthly_amount=event.monthly_amount,
            first_payment_month=event.first_payment_month,
            decision_assessment=event.assessment,
            decided_at=event.at,
            benefit_periods=(period,),
        )

    @m.on(e.ApplicationRejected)
    def _(state: Any, event: Any) -> Any:
        return moved(
            state,
            event,
            s.rejected,
            rejection_reasons=event.reasons,
            decision_assessment=event.assessment,
            decided_at=event.at,
        )

    @m.on(e.RejectionNoticeServed)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, rejection_notice_served=True)

    @m.on(e.PublicationPosted)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, published_at=event.at)

    @m.on(e.PaymentScheduled)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, s.in_payment)

    return m
