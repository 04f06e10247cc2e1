"""How each in-payment event changes a dibao case: one evolve function per event type, registered with the
kernel (the approval procedure's events are folded by the shared steps of :mod:`domain.procedure`).

Nothing here decides: an event is a decision already taken (or a fact recorded), and folding the same events
gives the same state on every replay.
"""

from __future__ import annotations

from typing import Any

from domain import events as e
from domain.kernel.mutators import Mutators, moved
from domain.procedure.in_payment import current_size, with_period
from domain.programmes.dibao.state import DibaoState

MUTATORS = Mutators()


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
        **with_period(state, event, event.from_month, event.new_amount, current_size(state)),
    )
