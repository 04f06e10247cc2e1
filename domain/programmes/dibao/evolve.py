"""How each in-payment event changes a dibao case: one evolve function per event type, registered with the
kernel (the approval procedure's events are folded by the shared steps of :mod:`domain.procedure`).

Nothing here decides: an event is a decision already taken (or a fact recorded), and folding the same events
gives the same state on every replay.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain import events as e
from domain.kernel.clock import CHINA_TZ
from domain.kernel.mutators import Mutators, moved
from domain.procedure.records import BenefitPeriod, OpenReview
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


@MUTATORS.on(e.GradualExitEnded)
def _gradual_exit_ended(state: DibaoState, event: Any) -> DibaoState:
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
