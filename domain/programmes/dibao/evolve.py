"""How each in-payment event changes a dibao case: one evolve function per event type, registered with the
kernel (the approval procedure's events are folded by the shared steps of :mod:`domain.procedure`).

Nothing here decides: an event is a decision already taken (or a fact recorded), and folding the same events
gives the same state on every replay.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import events as e
from domain.kernel.clock import CHINA_TZ
from domain.kernel.mutators import Mutators, moved
from domain.procedure.records import BenefitPeriod, Departure, OpenReview
from domain.programmes.dibao.rules import current_size
from domain.programmes.dibao.stages import Stage
from domain.programmes.dibao.state import DibaoState

MUTATORS = Mutators()


def _with_period(state: DibaoState, event: e.EventBase, from_month: str, amount: Decimal, size: int) -> dict[str, Any]:
    periods = tuple(p for p in state.benefit_periods if p.from_month < from_month)
    period = BenefitPeriod(
        from_month=from_month,
        monthly_amount=amount,
        household_size=size,
        parameter_set_version=event.parameter_set_version,
        seq=event.seq,
    )
    return {"benefit_periods": (*periods, period), "monthly_amount": amount}


def _opened(state: DibaoState, event: e.EventBase, trigger: str, due: date | None) -> DibaoState:
    review = OpenReview(trigger=trigger, opened_seq=event.seq, opened_on=event.at.astimezone(CHINA_TZ).date(), due=due)
    return moved(state, event, Stage.UNDER_REVIEW, review=review, info_check_requested=False, info_check=None)


@MUTATORS.on(e.ReviewScheduled)
def _review_scheduled(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, review_class=event.review_class, next_review_due=event.due)


@MUTATORS.on(e.PeriodicReviewDue)
def _periodic_review_due(state: DibaoState, event: Any) -> DibaoState:
    return _opened(state, event, "periodic", event.due)


@MUTATORS.on(e.AdHocReviewOpened)
def _ad_hoc_review_opened(state: DibaoState, event: Any) -> DibaoState:
    return _opened(state, event, event.trigger, None)


@MUTATORS.on(e.ChangeReported)
def _change_reported(state: DibaoState, event: Any) -> DibaoState:
    departed = state.departed + tuple(
        Departure(member_index=m.member_index, reason=m.reason.value, on=m.on) for m in event.members_leaving
    )
    reported_on = event.at.astimezone(CHINA_TZ).date()
    deaths = tuple(m.on or reported_on for m in event.members_leaving if m.reason is c.LeaveReason.DEATH)
    return moved(
        state,
        event,
        members=(*state.members, *event.members_joining),
        departed=departed,
        declaration=event.declaration or state.declaration,
        unresolved_deaths=state.unresolved_deaths + deaths,
    )


@MUTATORS.on(e.DataAlertRaised)
def _data_alert_raised(state: DibaoState, event: Any) -> DibaoState:
    reason = c.MEMBER_LEAVING_ALERTS.get(event.alert)
    if reason is None or event.member_index is None:
        return moved(state, event)
    deaths = (event.occurred_on,) if event.alert is c.AlertType.DEATH else ()
    return moved(
        state,
        event,
        departed=(
            *state.departed,
            Departure(member_index=event.member_index, reason=reason.value, on=event.occurred_on),
        ),
        unresolved_deaths=state.unresolved_deaths + deaths,
    )


@MUTATORS.on(e.ReviewCompleted)
def _review_completed(state: DibaoState, event: Any) -> DibaoState:
    changes: dict[str, Any] = {
        "review": None,
        "reviews_completed": state.reviews_completed + 1,
        "unresolved_deaths": (),
        "next_review_due": event.next_review_due,
        "review_class": event.review_class or state.review_class,
    }
    if event.outcome == "resumed":
        changes |= {
            "gradual_exit_ends_month": None,
            "stop_effective_month": None,
            "gradual_exit_seq": None,
            "exit_reasons": (),
            "exit_assessment": None,
        }
    if state.stage is Stage.EXITED:
        stage = Stage.EXITED
    elif changes.get("gradual_exit_ends_month", state.gradual_exit_ends_month) is not None:
        stage = Stage.GRADUAL_EXIT
    else:
        stage = Stage.IN_PAYMENT
    if event.outcome == "gradual_exit":
        stage = Stage.GRADUAL_EXIT
    return moved(state, event, stage, **changes)


@MUTATORS.on(e.BenefitIncreased, e.BenefitDecreased)
def _benefit_increased(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, **_with_period(state, event, event.from_month, event.new_amount, event.household_size))


@MUTATORS.on(e.GradualExitGranted)
def _gradual_exit_granted(state: DibaoState, event: Any) -> DibaoState:
    size = current_size(state)
    return moved(
        state,
        event,
        **_with_period(state, event, event.from_month, event.monthly_amount, size),
        gradual_exit_ends_month=event.ends_month,
        stop_effective_month=event.stop_effective_month,
        gradual_exit_seq=event.seq,
        exit_reasons=event.reasons,
        exit_assessment=event.assessment,
        next_review_due=None,
    )


@MUTATORS.on(e.GradualExitEnded)
def _gradual_exit_ended(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event)


@MUTATORS.on(e.BenefitStopped)
def _benefit_stopped(state: DibaoState, event: Any) -> DibaoState:
    effective = min(event.effective_month, state.stop_effective_month or event.effective_month)
    return moved(
        state,
        event,
        Stage.EXITED,
        stop_effective_month=effective,
        stop_reason=event.reason_code.value,
        review=None,
        unresolved_deaths=(),
        next_review_due=None,
        gradual_exit_ends_month=None,
    )


@MUTATORS.on(e.StopNoticeServed)
def _stop_notice_served(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, stop_notice_served=True)


@MUTATORS.on(e.OverpaymentRecoveryOrdered)
def _overpayment_recovery_ordered(state: DibaoState, event: Any) -> DibaoState:
    recovered = dict(state.recovered)
    for month, amount in event.per_month.items():
        recovered[month] = recovered.get(month, Decimal("0")) + amount
    return moved(state, event, overpayment_ordered=state.overpayment_ordered + event.amount, recovered=recovered)


@MUTATORS.on(e.FineImposed, e.EdgeMonitoringReferred)
def _fine_imposed(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event)


@MUTATORS.on(e.JobRefusalRecorded)
def _job_refusal_recorded(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, job_refusals={**state.job_refusals, event.member_index: event.consecutive})


@MUTATORS.on(e.MemberBenefitReduced)
def _member_benefit_reduced(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state,
        event,
        share_cuts=(*state.share_cuts, event.member_index),
        **_with_period(state, event, event.from_month, event.new_amount, current_size(state)),
    )


@MUTATORS.on(e.BenefitRecalculated)
def _benefit_recalculated(state: DibaoState, event: Any) -> DibaoState:
    applied = (*state.standard_versions_applied, event.version)
    if event.new_amount == event.old_amount:
        return moved(state, event, standard_versions_applied=applied)
    return moved(
        state,
        event,
        standard_versions_applied=applied,
        **_with_period(state, event, event.from_month, event.new_amount, event.assessment.household_size),
    )
