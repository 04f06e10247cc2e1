"""The allowances' shared parts: the case state, the grants paid month by month, the payable amount, the
handlers both programmes use (refuse, withdraw, stop, data alert, the kernel's links) and their mutators.

A programme fills an :class:`AllowanceStages` with its own stage enum; each handler takes it. The amounts come
from the parameters in force (``ParameterValues.allowances``), never from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain import commands as c
from domain import events as e
from domain.errors import DomainError, InvalidInput, InvalidTransition
from domain.household import AreaType
from domain.identity import parse_resident_id
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    COUNTY_APPROVER,
    TOWNSHIP_APPROVER,
    WINDOW,
    need_params,
    need_role,
    need_stage,
)
from domain.kernel.links import Link, deaths
from domain.kernel.mutators import Mutators, moved
from domain.kernel.state import CaseCore
from domain.months import add_months_to_month, month_after, month_of
from domain.parameters import Allowances
from domain.procedure.in_payment import ALERT_ROLES
from domain.procedure.records import BenefitPeriod, period_in_force

#: The state fields this shared part reads and writes, and the article keys it cites (the contract test).
FIELDS = frozenset({"grants", "benefit_periods", "monthly_amount", "first_payment_month", "stop_effective_month",
                    "stop_reason", "review_trigger", "reviews_completed", "refusal_reasons", "links_received"})
ARTICLE_KEYS = frozenset({"allowance"})


@dataclass(frozen=True)
class Articles:
    """The legal basis the shared part records, as a programme gives it (``articles["allowance"]``)."""

    articles: dict[str, tuple[str, ...]]


#: Who may stop an allowance (the township that confirmed it, the county).
STOP_ROLES = TOWNSHIP_APPROVER | COUNTY_APPROVER
#: Who decides a review of an allowance.
REVIEW_ROLES = CASEWORKER | TOWNSHIP_APPROVER


@dataclass(frozen=True)
class AllowanceStages:
    """A programme's stage for each place of the allowance life."""

    opened: StrEnum
    in_payment: StrEnum
    under_review: StrEnum | None
    held: StrEnum | None
    rejected: StrEnum
    withdrawn: StrEnum | None
    exited: StrEnum
    #: Stages in which the case may still be refused or withdrawn (before the decision).
    undecided: frozenset[StrEnum] = frozenset()

    @property
    def active(self) -> frozenset[StrEnum]:
        """Stages in which the person receives (or is owed) the allowance."""
        return frozenset(s for s in (self.in_payment, self.under_review, self.held) if s is not None)


class AllowanceState(CaseCore):
    """An allowance case: one person (``members[0]``), the grants in payment and their history by month.

    Field names are a contract (the state travels in Temporal payloads).
    """

    area_type: AreaType = AreaType.RURAL
    grants: tuple[e.Grant, ...] = ()
    benefit_periods: tuple[BenefitPeriod, ...] = ()
    monthly_amount: Decimal | None = None
    first_payment_month: str | None = None
    stop_effective_month: str | None = None
    stop_reason: str | None = None
    #: The read model's periodic-review column (dibao's sweep): an allowance has no such review, always None.
    next_review_due: date | None = None
    review_trigger: str | None = None
    reviews_completed: int = 0
    refusal_reasons: tuple[str, ...] = ()
    held_from_month: str | None = None
    back_pay_owed: dict[str, Decimal] = {}

    @property
    def person(self) -> str:
        return self.members[0].resident_id

    @property
    def counted_members(self) -> tuple[int, ...]:
        """The person, until the allowance is stopped (a data alert about them is then on record)."""
        return () if self.stop_effective_month is not None else (0,)

    def amount_for(self, month: str) -> Decimal | None:
        """The amount payable for ``month`` (YYYY-MM), or None (before the first month, from the stop month, or
        a month held for a missed survival check)."""
        current = period_in_force(self.benefit_periods, month, self.stop_effective_month)
        return current.monthly_amount if current and current.monthly_amount > 0 else None


def params_of(ctx: DecisionContext) -> Allowances:
    values = need_params(ctx).values.allowances
    if values is None:
        raise DomainError("the parameters in force have no allowance standards")  # a wiring/book error
    return values


def total(grants: tuple[e.Grant, ...]) -> Decimal:
    return sum((g.monthly for g in grants), Decimal("0"))


def checked_person(members: Any, ctx: DecisionContext) -> None:
    """Exactly one person, with a valid resident ID number born before today (SPEC §10.1)."""
    if len(members) != 1:
        raise InvalidInput("an allowance case is about exactly one person", field=("members",))
    try:
        rid = parse_resident_id(members[0].resident_id)
    except InvalidInput as err:
        raise InvalidInput(err.message, field=("members", 0, "resident_id")) from None
    if rid.birth_date > ctx.today:
        raise InvalidInput("the birth date lies in the future", field=("members", 0, "resident_id"))


def stop_month(ctx: DecisionContext, on: date | None = None) -> str:
    """From which month a stop takes effect (``stop_effective``: the month after the fact by default)."""
    day = on or ctx.today
    return month_of(day) if params_of(ctx).stop_effective == "this_month" else month_after(day)


def stopped(basis: tuple[str, ...], reason_code: c.StopReason, reasons: tuple[str, ...], month: str) -> Draft:
    return draft(e.AllowanceStopped, *basis, reason_code=reason_code, reasons=reasons, effective_month=month)


# --- handlers both programmes use ------------------------------------------------------------------------


def handlers(stages: AllowanceStages, basis: tuple[str, ...], refuse_roles: frozenset[Any]) -> dict[type, Any]:
    """Refusal, withdrawal, stop and data alerts, with ``basis`` as their legal basis."""

    def refuse(state: Any, cmd: c.RefuseAllowance, ctx: DecisionContext) -> list[Draft]:
        need_role(ctx, refuse_roles, "refuse the allowance")
        need_stage(state, refusable, "a refusal")
        return [draft(e.AllowanceRefused, *basis, reasons=tuple(cmd.reasons))]

    def withdraw(state: Any, cmd: c.WithdrawApplication, ctx: DecisionContext) -> list[Draft]:
        need_role(ctx, WINDOW, "record a withdrawal")
        if stages.withdrawn is None:
            raise InvalidTransition("nothing was applied for: there is nothing to withdraw")
        need_stage(state, refusable, "a withdrawal")
        return [draft(e.ApplicationWithdrawn, *basis, reason=cmd.reason)]

    def stop(state: Any, cmd: c.StopAllowance, ctx: DecisionContext) -> list[Draft]:
        need_role(ctx, STOP_ROLES, "stop the allowance")
        need_stage(state, stages.active, "a stop")
        return [stopped(basis, cmd.reason_code, tuple(cmd.reasons), stop_month(ctx))]

    def alert(state: Any, cmd: c.RaiseDataAlert, ctx: DecisionContext) -> list[Draft]:
        """A death stops the allowance from the month after it (SPEC §6.3); another alert opens a review."""
        need_role(ctx, ALERT_ROLES, "record a data alert")
        need_stage(state, stages.active, "recording a data alert")
        if cmd.occurred_on > ctx.today:
            raise InvalidInput("the date lies in the future", field=("occurred_on",))
        if cmd.member_index not in (None, 0):
            raise InvalidInput("no such member", field=("member_index",))
        raised = draft(e.DataAlertRaised, *basis, alert=cmd.alert, member_index=0, occurred_on=cmd.occurred_on,
                       source=cmd.source)
        if cmd.alert is c.AlertType.DEATH:
            return [raised, stopped(basis, c.StopReason.NO_MEMBERS, ("死亡（数据比对）",),
                                    stop_month(ctx, cmd.occurred_on))]
        return [raised, *review_opened(state, stages, basis, f"data_alert:{cmd.alert.value}")]

    refusable = frozenset({stages.opened, *stages.undecided})
    return {c.RefuseAllowance: refuse, c.WithdrawApplication: withdraw, c.StopAllowance: stop,
            c.RaiseDataAlert: alert}


def review_opened(state: Any, stages: AllowanceStages, basis: tuple[str, ...], trigger: str) -> list[Draft]:
    if stages.under_review is None or state.stage is stages.under_review:
        return []
    return [draft(e.AllowanceReviewOpened, *basis, trigger=trigger)]


def died_from_link(state: Any, stages: AllowanceStages, basis: tuple[str, ...], cmd: c.ApplyLink,
                   ctx: DecisionContext) -> list[Draft]:
    """A death another case of the person recorded stops this allowance too (SPEC §6.3)."""
    if state.stage not in stages.active or cmd.occurred_on is None or cmd.resident_id != state.person:
        return []
    return [stopped(basis, c.StopReason.NO_MEMBERS, (f"死亡（{cmd.source_program} 案件记录）",),
                    stop_month(ctx, cmd.occurred_on))]


def links_of(state: Any, events: list[Any]) -> list[Link]:
    """A death recorded on an allowance case reaches the person's other cases."""
    return deaths(state, events)


# --- mutators --------------------------------------------------------------------------------------------


def with_grants(state: Any, event: Any, grants: tuple[e.Grant, ...], from_month: str) -> dict[str, Any]:
    """The grants from ``from_month`` on, as a benefit period (the payment roll's)."""
    amount = total(grants)
    periods = tuple(p for p in state.benefit_periods if p.from_month < from_month)
    period = BenefitPeriod(from_month=from_month, monthly_amount=amount, household_size=1,
                           parameter_set_version=event.parameter_set_version, seq=event.seq)
    return {"grants": grants, "monthly_amount": amount, "benefit_periods": (*periods, period)}


#: A programme's own changes with a grant or a change of grants (高龄津贴: its band and survival check).
Extra = Callable[[Any, Any], dict[str, Any]]


def mutators(stages: AllowanceStages, extra: Extra = lambda _s, _e: {}) -> Mutators:
    m = Mutators()

    @m.on(e.AllowanceRefused)
    def _refused(state: Any, ev: e.AllowanceRefused) -> Any:
        return moved(state, ev, stages.rejected, refusal_reasons=ev.reasons, decided_at=ev.at)

    if stages.withdrawn is not None:
        withdrawn = stages.withdrawn

        @m.on(e.ApplicationWithdrawn)
        def _withdrawn(state: Any, ev: Any) -> Any:
            return moved(state, ev, withdrawn)

    @m.on(e.AllowanceGranted)
    def _granted(state: Any, ev: e.AllowanceGranted) -> Any:
        return moved(state, ev, stages.in_payment, first_payment_month=ev.first_payment_month, decided_at=ev.at,
                     **with_grants(state, ev, ev.grants, ev.first_payment_month), **extra(state, ev))

    @m.on(e.AllowanceChanged)
    def _changed(state: Any, ev: e.AllowanceChanged) -> Any:
        stage = stages.in_payment if state.stage is stages.under_review else None
        done = state.reviews_completed + (1 if ev.cause == "review" else 0)
        return moved(state, ev, stage, review_trigger=None if stage else state.review_trigger,
                     reviews_completed=done, **with_grants(state, ev, ev.grants, ev.from_month), **extra(state, ev))

    if stages.under_review is not None:
        under_review = stages.under_review

        @m.on(e.AllowanceReviewOpened)
        def _review(state: Any, ev: e.AllowanceReviewOpened) -> Any:
            return moved(state, ev, under_review, review_trigger=ev.trigger)

    @m.on(e.DataAlertRaised)
    def _alert(state: Any, ev: Any) -> Any:
        return moved(state, ev)

    @m.on(e.AllowanceStopped)
    def _stopped(state: Any, ev: e.AllowanceStopped) -> Any:
        return moved(state, ev, stages.exited, stop_effective_month=ev.effective_month,
                     stop_reason=ev.reason_code.value, review_trigger=None)

    return m


def next_month_of(ctx: DecisionContext) -> str:
    return add_months_to_month(month_of(ctx.today), 1)
