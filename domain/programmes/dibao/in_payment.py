"""Dibao's in-payment life: the shared step of :mod:`domain.procedure.in_payment` with S1's stages and articles,
dibao's assessment and payable amount, its review schedule, the 渐退期 (S1 Art. 33) and the referral to
low-income monitoring (S1 Art. 8); and what only dibao has: job refusals and the member's share cut (S1 Art. 34;
S4 Art. 45) and the end of a 渐退期 (the stop decided with it).
"""

from __future__ import annotations

from decimal import Decimal

from domain import commands as c
from domain import events as e
from domain.benefit import fen
from domain.errors import InvalidInput, InvalidTransition
from domain.household import LabourCapacity
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import CASEWORKER, need_params, need_role, need_stage
from domain.kernel.programme import Handler
from domain.months import month_of
from domain.procedure import in_payment
from domain.procedure.in_payment import CALENDAR_MONTHS, InPaymentSpec, PaymentStages, current_size
from domain.programmes.dibao.rules import (
    confirming_roles,
    household_assessment,
    payable_amount,
    review_schedule,
    validated_ids,
)
from domain.programmes.dibao.stages import ACTIVE_STAGES, Stage
from domain.programmes.dibao.state import DibaoState

__all__ = ["CALENDAR_MONTHS", "HANDLERS", "SPEC"]

#: The legal basis recorded with each in-payment step. A contract: recorded events carry these.
ARTICLES: dict[str, tuple[str, ...]] = {
    "recovery": ("S4 Art. 68", "S6 §五(五)"),
    "unpaid_withdrawal": ("S1 Art. 32", "S1 Art. 25"),
    "death_deadline": ("S6 §一(三)",),
    "periodic_review": ("S1 Art. 31", "S5 item 7"),
    "ad_hoc_review": ("S1 Art. 31",),
    "review_check": ("S1 Art. 31", "S1 Art. 17"),
    "change_report": ("S1 Art. 30", "S4 Art. 13"),
    "data_alert": ("S6 §三(二)", "S6 §三(三)"),
    "data_alert_review": ("S1 Art. 31", "S6 §三"),
    "edge_referral": ("S1 Art. 8", "S7 §三"),
    "review_decision": ("S1 Art. 31",),
    "stop_no_members": ("S1 Art. 32", "S6 §一(三)"),
    "gradual_exit": ("S1 Art. 33", "S6 §一(三)"),
    "stop": ("S1 Art. 32",),
    "amount_change": ("S1 Art. 31", "S1 Art. 32"),
    "fraud_stop": ("S4 Art. 68", "S1 Art. 32"),
    "fraud": ("S4 Art. 68",),
    "stop_notice": ("S1 Art. 32",),
    "exit": ("S1 Art. 32",),
    "standard_change": ("S4 Art. 10", "S1 Art. 23"),
    "back_pay": ("S4 Art. 10", "S1 Art. 23"),
    "standard_change_review": ("S1 Art. 31", "S4 Art. 10"),
}

SPEC = InPaymentSpec(
    stages=PaymentStages(
        in_payment=Stage.IN_PAYMENT,
        under_review=Stage.UNDER_REVIEW,
        gradual_exit=Stage.GRADUAL_EXIT,
        exited=Stage.EXITED,
        stopping=Stage.STOPPING,
    ),
    articles=ARTICLES,
    assess=household_assessment,
    payable=payable_amount,
    schedule=review_schedule,
    confirming_roles=confirming_roles,
    validate_ids=validated_ids,
    gradual_exit=True,
    edge_referral=True,
)


def _job_refusal(state: DibaoState, cmd: c.RecordJobRefusal, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "record a job refusal")
    need_stage(state, ACTIVE_STAGES, "recording a job refusal")
    if cmd.member_index not in state.counted_members:
        raise InvalidInput("no such member still counts in the household", field=("member_index",))
    if state.members[cmd.member_index].labour_capacity is LabourCapacity.NONE:
        raise InvalidInput(
            "the member is recorded as unable to work (S1 Art. 34 concerns members able to work)",
            field=("member_index",),
        )
    consecutive = 0 if cmd.good_reason else state.job_refusals.get(cmd.member_index, 0) + 1
    return [
        draft(
            e.JobRefusalRecorded,
            "S1 Art. 34",
            "S4 Art. 45",
            member_index=cmd.member_index,
            offer=cmd.offer,
            good_reason=cmd.good_reason,
            consecutive=consecutive,
        )
    ]


def _reduce_share(state: DibaoState, cmd: c.ReduceMemberShare, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, in_payment.approvers(SPEC, ctx), "reduce a member's share")
    need_stage(state, {Stage.IN_PAYMENT, Stage.UNDER_REVIEW}, "reducing a member's share")
    needed = params.values.dynamic.job_refusals_to_reduce
    if cmd.member_index not in state.counted_members:
        raise InvalidInput("no such member still counts in the household", field=("member_index",))
    if cmd.member_index in state.share_cuts:
        raise InvalidTransition("that member's share was already reduced")
    if state.job_refusals.get(cmd.member_index, 0) < needed:
        raise InvalidTransition(
            f"{needed} refusals in a row without good reason are needed (S1 Art. 34); "
            f"{state.job_refusals.get(cmd.member_index, 0)} on record"
        )
    old = state.monthly_amount or Decimal("0.00")
    n = current_size(state)  # the household the amount in payment was computed for
    cut = params.values.dynamic.job_refusal_share_cut
    new = max(Decimal("0.00"), fen(old - old / n * cut))
    return [
        draft(
            e.MemberBenefitReduced,
            "S1 Art. 34",
            "S4 Art. 45",
            reason=cmd.reason,
            member_index=cmd.member_index,
            share_cut=cut,
            old_amount=old,
            new_amount=new,
            from_month=in_payment.from_month(ctx, params),
        )
    ]


def _end_gradual_exit(state: DibaoState, _: c.EndGradualExit, ctx: DecisionContext) -> list[Draft]:
    need_stage(state, {Stage.GRADUAL_EXIT, Stage.UNDER_REVIEW}, "ending the 渐退期")
    if state.gradual_exit_ends_month is None or state.stop_effective_month is None:
        raise InvalidTransition("no 渐退期 is running")
    if month_of(ctx.today) < state.stop_effective_month:
        raise InvalidTransition("the 渐退期 has not run out")
    seq = state.gradual_exit_seq
    stopped = {"schema_version": 2} if in_payment.stop_version(SPEC, ctx) == 2 else {}
    events: list[Draft] = [
        draft(e.GradualExitEnded, "S1 Art. 33", granted_seq=seq or 0),
        draft(
            e.BenefitStopped,
            "S1 Art. 32",
            "S1 Art. 33",
            reason="; ".join(state.exit_reasons),
            params_version=state.exit_assessment.parameter_set_version if state.exit_assessment else None,
            reason_code=c.StopReason.INCOME_ABOVE_STANDARD,
            reasons=state.exit_reasons,
            effective_month=state.stop_effective_month,
            assessment=state.exit_assessment,
            decided_seq=seq,
            **stopped,
        ),
    ]
    assessment = state.exit_assessment
    if assessment is not None and assessment.near_dibao:
        threshold = next(
            cr.parameters["threshold"] for cr in assessment.criteria if cr.code == "classification.near_dibao"
        )
        events.append(
            draft(
                e.EdgeMonitoringReferred,
                "S1 Art. 8",
                "S7 §三",
                per_capita_monthly_income=assessment.per_capita_monthly_income,
                threshold=Decimal(threshold),
            )
        )
    return events


#: The in-payment commands and their handlers: the shared step's and dibao's own.
HANDLERS: dict[type, Handler] = {
    **in_payment.handlers(SPEC),
    c.RecordJobRefusal: _job_refusal,
    c.ReduceMemberShare: _reduce_share,
    c.EndGradualExit: _end_gradual_exit,
}
