"""How 临时救助's own events change a case (the shared steps fold theirs)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain import events as e
from domain.kernel.mutators import Mutators, moved
from domain.months import add_months_to_month
from domain.procedure.records import BenefitPeriod
from domain.programmes.temporary.stages import Stage
from domain.programmes.temporary.state import TemporaryState
from domain.temporary import Instalment

MUTATORS = Mutators()


def roll_periods(instalments: tuple[Instalment, ...], household_size: int, version: str | None,
                 seq: int) -> tuple[BenefitPeriod, ...]:
    """The periods the payment roll reads for one-off instalments: each instalment's month at its amount, the
    month after it at zero (unless the next instalment falls then); a cancelled instalment is not paid."""
    by_month: dict[str, BenefitPeriod] = {}
    for i in instalments:
        if i.cancelled:
            continue
        month = i.on.strftime("%Y-%m")
        by_month[month] = BenefitPeriod(from_month=month, monthly_amount=i.amount, household_size=household_size,
                                        parameter_set_version=version, seq=seq)
        after = add_months_to_month(month, 1)
        by_month.setdefault(after, BenefitPeriod(from_month=after, monthly_amount=Decimal("0"),
                                                 household_size=household_size, parameter_set_version=version,
                                                 seq=seq))
    return tuple(by_month[m] for m in sorted(by_month))


@MUTATORS.on(e.TemporaryNeedDeclared)
def _need(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event, kind=event.kind, cause=event.cause, severity=event.severity,
                 essential_expenditure=event.essential_expenditure, on_dibao_or_tekun=event.on_dibao_or_tekun)


@MUTATORS.on(e.EmergencyReported)
def _reported(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event, Stage.URGENT_REPORTED, report_source=event.source)


@MUTATORS.on(e.UrgentAssistanceGranted)
def _granted(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event, Stage.URGENT_GRANTED, urgent_amount=event.amount, urgent_form=event.form,
                 urgent_in_kind=event.in_kind, urgent_granted_at=event.at, urgent_grant_seq=event.seq,
                 decided_at=event.at)


@MUTATORS.on(e.EmergencyEased)
def _eased(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event, Stage.REGULARISATION_PENDING, emergency_eased=True)


@MUTATORS.on(e.UrgentGrantRegularised)
def _regularised(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event, Stage.REGULARISED, regularised=True, follow_up=event.follow_up)


@MUTATORS.on(e.FollowUpOpened)
def _follow_up(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event, Stage.ACCEPTED, t0=event.t0)


@MUTATORS.on(e.CaseDiscussionHeld)
def _discussion(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event, discussion_decision=event.decision, discussion_amount=event.amount)


@MUTATORS.on(e.RepeatAssistanceJustified)
def _repeat(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event, repeat_justified=True)


@MUTATORS.on(e.TemporaryAssistanceApproved)
def _approved(state: TemporaryState, event: Any) -> TemporaryState:
    periods = roll_periods(event.instalments, len(state.members), event.parameter_set_version, event.seq)
    return moved(state, event, Stage.ASSISTING, amount=event.amount, tier_amount=event.tier_amount,
                 approval_level=event.level, form=event.form, in_kind=event.in_kind, instalments=event.instalments,
                 amount_criteria=event.criteria, decision_assessment=event.assessment, decided_at=event.at,
                 benefit_periods=periods, first_payment_month=event.instalments[0].on.strftime("%Y-%m"))


@MUTATORS.on(e.InstalmentsCancelled)
def _cancelled(state: TemporaryState, event: Any) -> TemporaryState:
    instalments = tuple(
        i.model_copy(update={"cancelled": True, "cancel_reason": event.reason})
        if n >= event.from_index and not i.cancelled else i
        for n, i in enumerate(state.instalments)
    )
    version = state.benefit_periods[0].parameter_set_version if state.benefit_periods else None
    return moved(state, event, instalments=instalments,
                 benefit_periods=roll_periods(instalments, len(state.members), version, event.seq))


@MUTATORS.on(e.PaymentLinesWithdrawn)
def _withdrawn(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event)  # the store marks the lines withdrawn on their roll


@MUTATORS.on(e.TemporaryAssistanceCompleted)
def _completed(state: TemporaryState, event: Any) -> TemporaryState:
    return moved(state, event, Stage.ASSISTED)
