"""The in-payment life every paying programme shares: periodic and ad-hoc reviews with their information check,
reported changes and data alerts (with the death deadline), the review's decision, stops and their notice,
overpayment recovery, fraud, and recalculation under a new standard (动态管理, SPEC §8; for dibao S1 Arts. 30-33;
S4 Arts. 10, 13, 68; S6 §一(三), §三).

Nothing here stops or lowers a benefit without a human decision: the engine opens reviews (a due date, a
report, an alert, a standard change that makes a household ineligible) and the review's decision, taken by
the confirming authority, produces the outcome. A programme gives its :class:`InPaymentSpec`: its stages, the
articles of each step, its assessment and payable amount, its review schedule, and whether it has a 渐退期
(dibao, S1 Art. 33) and refers households near the line to low-income monitoring (dibao, S1 Art. 8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any

from domain import commands as c
from domain import events as e
from domain.actors import Role
from domain.benefit import Assessment, fen
from domain.errors import InvalidInput, InvalidTransition
from domain.household import Member
from domain.kernel.clock import CHINA_TZ
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
)
from domain.kernel.mutators import Mutators, moved
from domain.kernel.programme import Handler
from domain.months import add_months, first_day, month_after, month_of
from domain.parameters import ResolvedParameters
from domain.procedure.records import BenefitPeriod, Departure, OpenReview

#: Calendar version recorded with deadlines counted in calendar months (no working-day calendar involved).
CALENDAR_MONTHS = "calendar-months"

#: The change (a patch id: see ``DecisionContext.patched``) by which a stop withdraws the lines of a drawn roll
#: that were not paid yet instead of ordering their amount back; a history recorded before it re-derives the
#: recovery it recorded.
WITHDRAW_UNPAID_PATCH = "case-stop-withdraws-unpaid-v1"

#: The change by which a stop leaves the case in payment (``stopping``) until the stop month has begun and the
#: notice is served, the exit then recorded by the engine (``case_exited``); a history recorded before it
#: re-derives its stops as they were (``benefit_stopped`` version 1: exited at once).
STOPPING_PATCH = "case-stopping-v1"

REVIEW_ROLES = CASEWORKER | TOWNSHIP_APPROVER | COUNTY_REVIEWER

FIELDS = frozenset(
    {
        "monthly_amount",
        "first_payment_month",
        "next_review_due",
        "review_class",
        "review",
        "reviews_completed",
        "benefit_periods",
        "departed",
        "unresolved_deaths",
        "share_cuts",
        "gradual_exit_ends_month",
        "gradual_exit_seq",
        "exit_reasons",
        "exit_assessment",
        "stop_effective_month",
        "stop_reason",
        "stop_notice_served",
        "standard_versions_applied",
        "overpayment_ordered",
        "back_paid",
        "back_pay_decided",
        "recovered",
        "info_check",
        "info_check_requested",
        "declaration",
    }
)
ARTICLE_KEYS = frozenset(
    {
        "recovery",
        "back_pay",
        "unpaid_withdrawal",
        "death_deadline",
        "periodic_review",
        "ad_hoc_review",
        "review_check",
        "change_report",
        "data_alert",
        "data_alert_review",
        "edge_referral",
        "review_decision",
        "stop_no_members",
        "gradual_exit",
        "stop",
        "amount_change",
        "fraud_stop",
        "fraud",
        "stop_notice",
        "exit",
        "standard_change",
        "standard_change_review",
    }
)


@dataclass(frozen=True)
class PaymentStages:
    """The programme's stages of the in-payment life."""

    in_payment: StrEnum
    under_review: StrEnum
    gradual_exit: StrEnum
    exited: StrEnum
    #: A stop decided, still paid until its month; the notice to serve (None: a stop exits the case at once).
    stopping: StrEnum | None = None

    @property
    def active(self) -> frozenset[StrEnum]:
        """The benefit is being paid: in payment, under review, in a 渐退期."""
        return frozenset({self.in_payment, self.under_review, self.gradual_exit})


@dataclass(frozen=True)
class InPaymentSpec:
    """One programme's in-payment life.

    Attributes:
        stages: its stages (see :class:`PaymentStages`).
        articles: step key → the legal basis recorded with that step (``ARTICLE_KEYS``).
        assess: the household assessed with the members who still count, under the parameters in force.
        payable: the monthly amount an assessment makes payable (less any shares cut).
        schedule: the next periodic review, drafted (a ``review_scheduled`` event).
        confirming_roles: (reviewer roles, approver roles) from the parameters in force.
        validate_ids: joining members, checked and normalised.
        gradual_exit: whether a review may grant a 渐退期 (S1 Art. 33).
        edge_referral: whether a stop near the line refers the household to low-income monitoring (S1 Art. 8).
    """

    stages: PaymentStages
    articles: Mapping[str, tuple[str, ...]]
    assess: Callable[[Any, ResolvedParameters], Assessment]
    payable: Callable[[Any, Assessment, ResolvedParameters], Decimal]
    schedule: Callable[[Any, DecisionContext], Draft]
    confirming_roles: Callable[[DecisionContext], tuple[frozenset[Role], frozenset[Role]]]
    validate_ids: Callable[[Iterable[Member], DecisionContext, str], tuple[Member, ...]]
    gradual_exit: bool = False
    edge_referral: bool = False

    def basis(self, key: str) -> tuple[str, ...]:
        return self.articles[key]

    def cite(self, key: str) -> str:
        return ", ".join(self.articles[key])


def current_size(state: Any) -> int:
    """The household size the amount in payment was computed for."""
    return state.benefit_periods[-1].household_size if state.benefit_periods else len(state.members)


def _from_month(ctx: DecisionContext, params: ResolvedParameters) -> str:
    if params.values.dynamic.change_effective == "this_month":
        return month_of(ctx.today)
    return month_after(ctx.today)


def _overpaid(
    state: Any, ctx: DecisionContext, from_month: str, due: Decimal, withdrawn: Iterable[str] = ()
) -> tuple[Decimal, dict[str, Decimal]]:
    """What the rolls paid for months from ``from_month`` above ``due`` a month and not yet ordered back
    (a month is never recovered beyond what was paid for it; a ``withdrawn`` month was never paid)."""
    per_month: dict[str, Decimal] = {}
    skip = set(withdrawn)
    for p in ctx.payments:
        if p.month < from_month or p.month in skip:
            continue
        over = fen(p.amount - due - state.recovered.get(p.month, Decimal("0")))
        if over > 0:
            per_month[p.month] = over
    return fen(sum(per_month.values(), Decimal("0"))), per_month


def _recovery(
    spec: InPaymentSpec, state: Any, ctx: DecisionContext, from_month: str, due: Decimal, withdrawn: Iterable[str] = ()
) -> list[Draft]:
    amount, per_month = _overpaid(state, ctx, from_month, due, withdrawn)
    if amount <= 0:
        return []
    return [
        draft(
            e.OverpaymentRecoveryOrdered,
            *spec.basis("recovery"),
            amount=amount,
            months=tuple(per_month),
            per_month=per_month,
        )
    ]


def _unpaid_lines(spec: InPaymentSpec, state: Any, ctx: DecisionContext, from_month: str) -> list[Draft]:
    """The lines of drawn rolls for months from ``from_month`` that have not been paid yet, withdrawn (and what
    an earlier decrease ordered back, or a 补发 added, for those months cancelled: they will never be paid).

    The engine has no confirmation from the bank that a roll was paid. A roll is drawn up at most for next
    month and paid within its month (S1 Art. 25: monthly), so a line counts as paid once its month has begun
    (China time) — what was paid for it is then ordered back — and a line for a month that has not begun
    yet is unpaid: the stop withdraws it from the roll, and nothing is ordered back for it.
    """
    this_month = month_of(ctx.today)
    unpaid = {p.month: p.amount for p in ctx.payments if p.month >= from_month and p.month > this_month}
    if not unpaid or not ctx.patched(WITHDRAW_UNPAID_PATCH):
        return []
    return [
        draft(
            e.PaymentLinesWithdrawn,
            *spec.basis("unpaid_withdrawal"),
            months=tuple(sorted(unpaid)),
            per_month=dict(sorted(unpaid.items())),
            amount=fen(sum(unpaid.values(), Decimal("0"))),
            recoveries_cancelled={m: state.recovered[m] for m in sorted(unpaid) if state.recovered.get(m)},
            back_pay_cancelled={m: state.back_paid[m] for m in sorted(unpaid) if state.back_paid.get(m)},
        )
    ]


def stop_version(spec: InPaymentSpec, ctx: DecisionContext) -> int:
    """The ``schema_version`` of a stop decided now: 2 — the case stays ``stopping`` until it exits — where the
    programme has that stage and the history is new (patch ``case-stopping-v1``), else 1 (exited at once)."""
    return 2 if spec.stages.stopping is not None and ctx.patched(STOPPING_PATCH) else 1


def exit_due(state: Any, today: date) -> bool:
    """A stopping case exits once its stop month has begun (China date ``today``) and its notice is served."""
    return (
        state.stop_notice_served
        and state.stop_effective_month is not None
        and month_of(today) >= state.stop_effective_month
    )


def _not_before_payments(state: Any, month: str) -> str:
    """A change never reaches before the first payment month (S1 Art. 21: paid from the month after the
    decision), so no month before it becomes payable."""
    return max(month, state.first_payment_month or month)


def death_deadline(spec: InPaymentSpec, state: Any, died: tuple[date, ...], params: ResolvedParameters) -> list[Draft]:
    """The 3-month limit runs from the earliest death not yet resolved (S6 §一(三)); a later death does not
    move it."""
    earliest = min((*state.unresolved_deaths, *died))
    due = add_months(earliest, params.values.dynamic.death_resolution_months)
    current = state.deadlines.get("death_resolution")
    if current is not None and state.unresolved_deaths and current.due == due:
        return []
    return [
        draft(
            e.DeadlineSet,
            *spec.basis("death_deadline"),
            step="death_resolution",
            due=due,
            calendar_version=CALENDAR_MONTHS,
        )
    ]


def _need_review_open(spec: InPaymentSpec, state: Any, what: str) -> OpenReview:
    need_stage(state, {spec.stages.under_review}, what)
    assert state.review is not None
    return state.review


def _open_ad_hoc(spec: InPaymentSpec, state: Any, trigger: Any, key: str, reason: str | None = None) -> list[Draft]:
    """Open an ad-hoc review unless one is open already (then the new fact joins it)."""
    if state.stage is spec.stages.under_review:
        return []
    return [draft(e.AdHocReviewOpened, *spec.basis(key), reason=reason, trigger=trigger)]


def _approvers(spec: InPaymentSpec, ctx: DecisionContext) -> frozenset[Any]:
    return spec.confirming_roles(ctx)[1]


# --- decide ------------------------------------------------------------------------------------------


def _open_periodic(spec: InPaymentSpec, state: Any, cmd: c.OpenPeriodicReview, ctx: DecisionContext) -> list[Draft]:
    need_stage(state, {spec.stages.in_payment}, "opening the periodic review")
    if state.next_review_due != cmd.due:
        raise InvalidTransition("no periodic review is due on that date (already opened, or rescheduled)")
    if ctx.today < cmd.due:
        raise InvalidTransition("the periodic review is not due yet")
    return [draft(e.PeriodicReviewDue, *spec.basis("periodic_review"), due=cmd.due)]


def _open_ad_hoc_review(spec: InPaymentSpec, state: Any, cmd: c.OpenAdHocReview, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, REVIEW_ROLES, "open a review")
    need_stage(state, spec.stages.active - {spec.stages.under_review}, "opening a review")
    return _open_ad_hoc(spec, state, "ad_hoc", "ad_hoc_review", reason=cmd.reason)


def _request_review_check(
    spec: InPaymentSpec, state: Any, _: c.RequestReviewCheck, _ctx: DecisionContext
) -> list[Draft]:
    _need_review_open(spec, state, "re-running the information check")
    if state.info_check_requested and state.info_check is None:
        raise InvalidTransition("an information check is already running")
    return [draft(e.InfoCheckRequested, *spec.basis("review_check"))]


def _report_change(spec: InPaymentSpec, state: Any, cmd: c.ReportChange, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | CASEWORKER | VILLAGE_COMMITTEE, "record a reported change")
    need_stage(state, spec.stages.active, "reporting a change")
    if not (cmd.members_joining or cmd.members_leaving or cmd.declaration):
        raise InvalidInput(
            "the report changes nothing: give joining or leaving members or a declaration", field=("note",)
        )
    counted = set(state.counted_members)
    for i, leaving in enumerate(cmd.members_leaving):
        if leaving.member_index not in counted:
            raise InvalidInput(
                "no such member still counts in the household", field=("members_leaving", i, "member_index")
            )
        if leaving.on is not None and leaving.on > ctx.today:
            raise InvalidInput("the date lies in the future", field=("members_leaving", i, "on"))
    joining = checked_joining(spec.validate_ids, state, cmd.members_joining, ctx)
    events: list[Draft] = [
        draft(
            e.ChangeReported,
            *spec.basis("change_report"),
            reason=cmd.note,
            members_joining=joining,
            members_leaving=tuple(cmd.members_leaving),
            declaration=cmd.declaration,
        )
    ]
    died = tuple(m.on or ctx.today for m in cmd.members_leaving if m.reason is c.LeaveReason.DEATH)
    if died:
        events += death_deadline(spec, state, died, need_params(ctx))
    return events + _open_ad_hoc(spec, state, "change_report", "ad_hoc_review")


#: Who may record a data alert: the township, the county's checking centre (S6 §三).
ALERT_ROLES = CASEWORKER | COUNTY_REVIEWER


def check_alert(state: Any, cmd: c.RaiseDataAlert, ctx: DecisionContext) -> c.LeaveReason | None:
    """The alert's content checked against the household (a date not in the future, the member it names still
    counting); the reason the member leaves, if the alert is one that makes a member leave."""
    if cmd.occurred_on > ctx.today:
        raise InvalidInput("the date lies in the future", field=("occurred_on",))
    leaving = c.MEMBER_LEAVING_ALERTS.get(cmd.alert)
    if leaving is not None and cmd.member_index is None:
        raise InvalidInput(f"a {cmd.alert.value} alert names the member", field=("member_index",))
    if cmd.member_index is not None and cmd.member_index >= len(state.members):
        raise InvalidInput("no such member", field=("member_index",))
    if leaving is not None and cmd.member_index not in state.counted_members:
        raise InvalidTransition("that member no longer counts in the household; the alert is on record")
    return leaving


def checked_joining(validate_ids: Any, state: Any, members: Any, ctx: DecisionContext) -> tuple[Any, ...]:
    """Members joining the household, their ID numbers checked and normalised, none already a member."""
    if not members:
        return ()
    known = {m.resident_id for m in state.members}
    joining = validate_ids(members, ctx, "members_joining")
    for i, member in enumerate(joining):
        if member.resident_id in known:
            raise InvalidInput("this person is already a member of the household",
                               field=("members_joining", i, "resident_id"))
    return tuple(joining)


def _raise_alert(spec: InPaymentSpec, state: Any, cmd: c.RaiseDataAlert, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, ALERT_ROLES, "record a data alert")
    return alert_drafts(spec, state, cmd, ctx)


def alert_drafts(spec: InPaymentSpec, state: Any, cmd: c.RaiseDataAlert, ctx: DecisionContext) -> list[Draft]:
    """A data alert on a case in payment (whoever records it: staff, or the engine delivering a death another
    case of the person recorded): the alert, a death's 3-month limit, an ad-hoc review."""
    need_stage(state, spec.stages.active, "recording a data alert")
    check_alert(state, cmd, ctx)
    events: list[Draft] = [
        draft(
            e.DataAlertRaised,
            *spec.basis("data_alert"),
            alert=cmd.alert,
            member_index=cmd.member_index,
            occurred_on=cmd.occurred_on,
            source=cmd.source,
        )
    ]
    if cmd.alert is c.AlertType.DEATH:
        events += death_deadline(spec, state, (cmd.occurred_on,), need_params(ctx))
    return events + _open_ad_hoc(spec, state, "data_alert", "data_alert_review")


def _stop_events(
    spec: InPaymentSpec,
    state: Any,
    ctx: DecisionContext,
    params: ResolvedParameters,
    reason_code: c.StopReason,
    reasons: tuple[str, ...],
    key: str,
    assessment: Assessment | None = None,
) -> list[Draft]:
    """A stop from the configured month (or from the month after a death), the withdrawal of roll lines from
    then on not paid yet, the recovery of anything the rolls paid for months from then on, and the referral to
    low-income monitoring when near the line."""
    effective = _from_month(ctx, params)
    if state.unresolved_deaths and reason_code is c.StopReason.NO_MEMBERS:
        # the household existed until its last member died (earlier deaths only made it smaller)
        effective = min(effective, month_after(max(state.unresolved_deaths)))
    if state.stop_effective_month is not None:
        effective = min(effective, state.stop_effective_month)
    effective = _not_before_payments(state, effective)
    stopped: dict[str, Any] = {"schema_version": 2} if stop_version(spec, ctx) == 2 else {}
    events: list[Draft] = [
        draft(
            e.BenefitStopped,
            *spec.basis(key),
            reason="; ".join(reasons),
            params_version=params.version,
            reason_code=reason_code,
            reasons=reasons,
            effective_month=effective,
            assessment=assessment,
            **stopped,
        )
    ]
    withdrawal = _unpaid_lines(spec, state, ctx, effective)
    events += withdrawal
    withdrawn = withdrawal[0]["months"] if withdrawal else ()
    death_only = bool(state.unresolved_deaths) and reason_code is c.StopReason.NO_MEMBERS
    if reason_code is not c.StopReason.FRAUD and (
        not death_only or params.values.dynamic.recover_overpayment_after_death
    ):
        events += _recovery(spec, state, ctx, effective, Decimal("0"), withdrawn)
    if spec.edge_referral and assessment is not None and assessment.near_dibao:
        events.append(_edge_referral(spec, assessment, params))
    return events


def _edge_referral(spec: InPaymentSpec, assessment: Assessment, params: ResolvedParameters) -> Draft:
    threshold = fen(params.values.near_dibao_multiple * assessment.standard_monthly)
    return draft(
        e.EdgeMonitoringReferred,
        *spec.basis("edge_referral"),
        per_capita_monthly_income=assessment.per_capita_monthly_income,
        threshold=threshold,
    )


def _decide_review(spec: InPaymentSpec, state: Any, cmd: c.DecideReview, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, _approvers(spec, ctx), "decide a review")
    review = _need_review_open(spec, state, "deciding the review")
    if state.info_check is None:
        raise InvalidTransition(f"the review's information check has not completed ({spec.cite('review_decision')})")
    dm = params.values.dynamic
    reasons = tuple(cmd.reasons)
    old = state.monthly_amount or Decimal("0.00")
    in_exit = state.gradual_exit_ends_month is not None
    periodic = review.trigger == "periodic"
    events: list[Draft] = []

    def done(outcome: Any, assessment: Assessment | None, schedule: bool) -> list[Draft]:
        nxt = spec.schedule(state, ctx) if schedule else None
        return [
            *events,
            draft(
                e.ReviewCompleted,
                *spec.basis("review_decision"),
                reason="; ".join(reasons),
                params_version=params.version,
                outcome=outcome,
                periodic=periodic,
                assessment=assessment,
                review_class=nxt["review_class"] if nxt else None,
                next_review_due=nxt["due"] if nxt else None,
            ),
        ]

    if not state.counted_members:
        if cmd.gradual_exit_months is not None:
            raise InvalidInput("no member counts any more: there is no 渐退期", field=("gradual_exit_months",))
        events += _stop_events(spec, state, ctx, params, c.StopReason.NO_MEMBERS, reasons, "stop_no_members")
        return done("stopped", None, False)
    assessment = spec.assess(state, params)
    if not assessment.eligible:
        if cmd.gradual_exit_months is None and in_exit:
            return done("no_change", assessment, False)  # the 渐退期 granted before simply continues
        if cmd.gradual_exit_months is not None:
            if not spec.gradual_exit:
                raise InvalidInput("the programme grants no 渐退期", field=("gradual_exit_months",))
            if in_exit:
                raise InvalidTransition("a 渐退期 is already running")
            if not cmd.income_from_employment:
                raise InvalidInput(
                    "a 渐退期 is only for income that rose through employment (S1 Art. 33)",
                    field=("income_from_employment",),
                )
            if not assessment.property_compliant:
                raise InvalidInput(
                    "property no longer complies: a stop, not a 渐退期 (S1 Art. 32)", field=("gradual_exit_months",)
                )
            if cmd.gradual_exit_months > dm.gradual_exit_max_months and not cmd.override_reason:
                raise InvalidInput(
                    f"more than {dm.gradual_exit_max_months} months needs an override with a "
                    "recorded reason (S1 Art. 33: '原则上')",
                    field=("override_reason",),
                )
            start = _from_month(ctx, params)
            ends = first_day(start)
            ends_month = month_of(add_months(ends, cmd.gradual_exit_months - 1))
            stop_month = month_of(add_months(ends, cmd.gradual_exit_months))
            amount = old if dm.gradual_exit_amount == "keep" else fen(old / 2)
            events.append(
                draft(
                    e.GradualExitGranted,
                    *spec.basis("gradual_exit"),
                    reason="; ".join(reasons),
                    params_version=params.version,
                    months=cmd.gradual_exit_months,
                    monthly_amount=amount,
                    from_month=start,
                    ends_month=ends_month,
                    assessment=assessment,
                    stop_effective_month=stop_month,
                    override_reason=cmd.override_reason
                    if cmd.gradual_exit_months > dm.gradual_exit_max_months
                    else None,
                    reasons=reasons,
                )
            )
            # the stop is decided now: a drawn line for its month (never begun yet) is withdrawn now
            events += _unpaid_lines(spec, state, ctx, stop_month)
            return done("gradual_exit", assessment, False)
        code = (
            c.StopReason.INCOME_ABOVE_STANDARD
            if not assessment.income_below_standard
            else c.StopReason.PROPERTY_NON_COMPLIANT
        )
        events += _stop_events(spec, state, ctx, params, code, reasons, "stop", assessment=assessment)
        return done("stopped", assessment, False)
    new = spec.payable(state, assessment, params)
    size_changed = assessment.household_size != current_size(state)
    material = size_changed or abs(new - old) > dm.material_change_min_yuan
    if not material and not in_exit:
        return done("no_change", assessment, True)  # S1 Art. 31: nothing material changed, amount unchanged
    from_month = _from_month(ctx, params)
    if state.unresolved_deaths and new < old:
        from_month = _not_before_payments(state, min(from_month, month_after(min(state.unresolved_deaths))))
    basis = spec.basis("amount_change")
    if new > old:
        events.append(
            draft(
                e.BenefitIncreased,
                *basis,
                reason="; ".join(reasons),
                params_version=params.version,
                old_amount=old,
                new_amount=new,
                household_size=assessment.household_size,
                from_month=from_month,
            )
        )
    elif new < old or size_changed:
        events.append(
            draft(
                e.BenefitDecreased,
                *basis,
                reason="; ".join(reasons),
                params_version=params.version,
                old_amount=old,
                new_amount=new,
                household_size=assessment.household_size,
                from_month=from_month,
                reasons=reasons,
            )
        )
        if not state.unresolved_deaths or params.values.dynamic.recover_overpayment_after_death:
            events += _recovery(spec, state, ctx, from_month, new)
    outcome = "resumed" if in_exit else ("increased" if new > old else "decreased")
    return done(outcome, assessment, True)


def _fraud(spec: InPaymentSpec, state: Any, cmd: c.RecordFraudFinding, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(
        ctx, COUNTY_APPROVER, f"record a fraud finding ({spec.cite('fraud')}: the county civil-affairs department)"
    )
    need_stage(state, spec.stages.active, "recording a fraud finding")
    reasons = (cmd.findings,)
    events = _stop_events(spec, state, ctx, params, c.StopReason.FRAUD, reasons, "fraud_stop")
    events.append(draft(e.OverpaymentRecoveryOrdered, *spec.basis("fraud"), amount=cmd.amount_obtained))
    if cmd.fine_multiple is not None:
        events.append(
            draft(
                e.FineImposed,
                *spec.basis("fraud"),
                multiple=cmd.fine_multiple,
                amount=fen(cmd.amount_obtained * cmd.fine_multiple),
            )
        )
    return events


def _stop(spec: InPaymentSpec, state: Any, cmd: c.StopBenefit, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, _approvers(spec, ctx), "stop the benefit")
    need_stage(state, spec.stages.active, "stopping the benefit")
    if cmd.reason_code is c.StopReason.FRAUD:
        raise InvalidInput(
            f"a fraud stop goes through record_fraud_finding ({spec.cite('fraud')})", field=("reason_code",)
        )
    return _stop_events(spec, state, ctx, params, cmd.reason_code, tuple(cmd.reasons), "stop")


def _stopped_stages(spec: InPaymentSpec) -> set[Any]:
    return {spec.stages.exited} | ({spec.stages.stopping} if spec.stages.stopping is not None else set())


def _serve_stop(spec: InPaymentSpec, state: Any, _: c.ServeStopNotice, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "serve the stop notice")
    need_stage(state, _stopped_stages(spec), "serving the stop notice")
    if state.stop_notice_served:
        raise InvalidTransition("the stop notice was already served")
    return [draft(e.StopNoticeServed, *spec.basis("stop_notice"))]


def _complete_exit(spec: InPaymentSpec, state: Any, _: c.CompleteExit, ctx: DecisionContext) -> list[Draft]:
    """The stopped case leaves payment: the engine records it once both conditions hold (S1 Art. 32: the stop
    was decided and notified; nothing is paid from its month)."""
    need_stage(state, _stopped_stages(spec) - {spec.stages.exited}, "completing the exit")
    if not state.stop_notice_served:
        raise InvalidTransition(f"the stop notice has not been served ({spec.cite('stop_notice')})")
    if not exit_due(state, ctx.today):
        raise InvalidTransition("the stop month has not begun: the benefit is still paid until then")
    return [draft(e.CaseExited, *spec.basis("exit"), effective_month=state.stop_effective_month)]


def _standard_change(spec: InPaymentSpec, state: Any, cmd: c.ApplyStandardChange, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, COUNTY_APPROVER, "apply a standard change")
    need_stage(state, spec.stages.active, "recalculating the benefit")
    if cmd.version in state.standard_versions_applied:
        raise InvalidTransition(f"standard change {cmd.version} was already applied to this case")
    if params.version != cmd.version:
        raise InvalidInput(
            f"the version in force on {cmd.effective_from.isoformat()} is {params.version}", field=("version",)
        )
    if not state.counted_members:
        raise InvalidTransition(
            "no member counts in the household any more: its open review decides the stop "
            f"({spec.cite('death_deadline')}), not the recalculation"
        )
    assessment = spec.assess(state, params)
    old = state.monthly_amount or Decimal("0.00")
    from_month = month_of(cmd.effective_from)
    if state.benefit_periods and state.benefit_periods[-1].from_month > from_month:
        from_month = state.benefit_periods[-1].from_month  # a later decision stands; recalculate from it
    keep = state.gradual_exit_ends_month is not None or not assessment.eligible
    new = old if keep else spec.payable(state, assessment, params)
    events: list[Draft] = [
        draft(
            e.BenefitRecalculated,
            *spec.basis("standard_change"),
            params_version=params.version,
            version=cmd.version,
            old_amount=old,
            new_amount=new,
            from_month=from_month,
            eligible=assessment.eligible,
            assessment=assessment,
        )
    ]
    events += back_pay(spec.basis("back_pay"), state, ctx, cmd.version, from_month, new)
    if not assessment.eligible and state.gradual_exit_ends_month is None:
        # Crossing out of eligibility is for a review to decide, never for the batch (S1 Arts. 31, 32).
        events += _open_ad_hoc(spec, state, "standard_change", "standard_change_review")
    return events


def back_pay(basis: tuple[str, ...], state: Any, ctx: DecisionContext, version: str, from_month: str,
             due: Decimal) -> list[Draft]:
    """补发: months from ``from_month`` already on a roll (``ctx.payments``) at less than ``due`` are owed the
    difference, less what was decided for them already (``state.back_paid``) — a retroactive raise. A retroactive
    lowering recovers nothing: the household was paid what was due then. Any programme whose state keeps
    ``back_paid`` and ``back_pay_decided`` (folded by :func:`back_pay_folded`)."""
    per_month: dict[str, Decimal] = {}
    for p in ctx.payments:
        if p.month < from_month:
            continue
        owed = fen(due - p.amount - state.back_paid.get(p.month, Decimal("0")))
        if owed > 0:
            per_month[p.month] = owed
    if not per_month:
        return []
    return [
        draft(
            e.BackPayDecided,
            *basis,
            version=version,
            amount=fen(sum(per_month.values(), Decimal("0"))),
            months=tuple(sorted(per_month)),
            per_month=dict(sorted(per_month.items())),
        )
    ]


def back_pay_folded(state: Any, event: Any) -> dict[str, Any]:
    """The state's changes a ``back_pay_decided`` makes: the months' 补发 added to ``back_paid`` and the total."""
    back_paid = dict(state.back_paid)
    for month, amount in event.per_month.items():
        back_paid[month] = back_paid.get(month, Decimal("0")) + amount
    return {"back_paid": back_paid, "back_pay_decided": state.back_pay_decided + event.amount}


_HANDLERS = {
    c.OpenPeriodicReview: _open_periodic,
    c.OpenAdHocReview: _open_ad_hoc_review,
    c.RequestReviewCheck: _request_review_check,
    c.ReportChange: _report_change,
    c.RaiseDataAlert: _raise_alert,
    c.DecideReview: _decide_review,
    c.RecordFraudFinding: _fraud,
    c.StopBenefit: _stop,
    c.ServeStopNotice: _serve_stop,
    c.CompleteExit: _complete_exit,
    c.ApplyStandardChange: _standard_change,
}


def handlers(spec: InPaymentSpec) -> dict[type, Handler]:
    return {t: partial(fn, spec) for t, fn in _HANDLERS.items()}


def from_month(ctx: DecisionContext, params: ResolvedParameters) -> str:
    """The month a change decided today takes effect from (a parameter: this month or the next)."""
    return _from_month(ctx, params)


def approvers(spec: InPaymentSpec, ctx: DecisionContext) -> frozenset[Any]:
    """Who decides in payment: the confirming authority's approvers."""
    return _approvers(spec, ctx)


# --- evolve ------------------------------------------------------------------------------------------


def with_period(state: Any, event: e.EventBase, from_month: str, amount: Decimal, size: int) -> dict[str, Any]:
    """The benefit periods and amount after a change of the amount from ``from_month`` (later periods replaced)."""
    periods = tuple(p for p in state.benefit_periods if p.from_month < from_month)
    period = BenefitPeriod(
        from_month=from_month,
        monthly_amount=amount,
        household_size=size,
        parameter_set_version=event.parameter_set_version,
        seq=event.seq,
    )
    return {"benefit_periods": (*periods, period), "monthly_amount": amount}


def _opened(spec: InPaymentSpec, state: Any, event: e.EventBase, trigger: str, due: date | None) -> Any:
    review = OpenReview(trigger=trigger, opened_seq=event.seq, opened_on=event.at.astimezone(CHINA_TZ).date(), due=due)
    return moved(state, event, spec.stages.under_review, review=review, info_check_requested=False, info_check=None)


def _review_scheduled(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
    return moved(state, event, review_class=event.review_class, next_review_due=event.due)


def _periodic_review_due(spec: InPaymentSpec, state: Any, event: Any) -> Any:
    return _opened(spec, state, event, "periodic", event.due)


def _ad_hoc_review_opened(spec: InPaymentSpec, state: Any, event: Any) -> Any:
    return _opened(spec, state, event, event.trigger, None)


def _change_reported(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
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


def _data_alert_raised(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
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


def _review_completed(spec: InPaymentSpec, state: Any, event: Any) -> Any:
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
    if state.stage in _stopped_stages(spec):
        stage = state.stage  # the review stopped the benefit (the stop comes first in its decision)
    elif changes.get("gradual_exit_ends_month", state.gradual_exit_ends_month) is not None:
        stage = spec.stages.gradual_exit
    else:
        stage = spec.stages.in_payment
    if event.outcome == "gradual_exit":
        stage = spec.stages.gradual_exit
    return moved(state, event, stage, **changes)


def _benefit_increased(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
    return moved(state, event, **with_period(state, event, event.from_month, event.new_amount, event.household_size))


def _gradual_exit_granted(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
    size = current_size(state)
    return moved(
        state,
        event,
        **with_period(state, event, event.from_month, event.monthly_amount, size),
        gradual_exit_ends_month=event.ends_month,
        stop_effective_month=event.stop_effective_month,
        gradual_exit_seq=event.seq,
        exit_reasons=event.reasons,
        exit_assessment=event.assessment,
        next_review_due=None,
    )


def _benefit_stopped(spec: InPaymentSpec, state: Any, event: Any) -> Any:
    effective = min(event.effective_month, state.stop_effective_month or event.effective_month)
    # version 2: the decision only, the case stays in payment until it exits (CaseExited); version 1: exited
    stage = spec.stages.stopping if event.schema_version >= 2 and spec.stages.stopping else spec.stages.exited
    return moved(
        state,
        event,
        stage,
        stop_effective_month=effective,
        stop_reason=event.reason_code.value,
        review=None,
        unresolved_deaths=(),
        next_review_due=None,
        gradual_exit_ends_month=None,
    )


def _stop_notice_served(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
    return moved(state, event, stop_notice_served=True)


def _case_exited(spec: InPaymentSpec, state: Any, event: Any) -> Any:
    return moved(state, event, spec.stages.exited)


def _back_pay_decided(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
    return moved(state, event, **back_pay_folded(state, event))


def _overpayment_recovery_ordered(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
    recovered = dict(state.recovered)
    for month, amount in event.per_month.items():
        recovered[month] = recovered.get(month, Decimal("0")) + amount
    return moved(state, event, overpayment_ordered=state.overpayment_ordered + event.amount, recovered=recovered)


def _fine_imposed(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
    return moved(state, event)


def _payment_lines_withdrawn(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
    recoveries, back_pay = event.recoveries_cancelled, event.back_pay_cancelled
    return moved(
        state,
        event,
        recovered={m: a for m, a in state.recovered.items() if m not in recoveries},
        overpayment_ordered=state.overpayment_ordered - sum(recoveries.values(), Decimal("0")),
        back_paid={m: a for m, a in state.back_paid.items() if m not in back_pay},
        back_pay_decided=state.back_pay_decided - sum(back_pay.values(), Decimal("0")),
    )


def _benefit_recalculated(_spec: InPaymentSpec, state: Any, event: Any) -> Any:
    applied = (*state.standard_versions_applied, event.version)
    if event.new_amount == event.old_amount:
        return moved(state, event, standard_versions_applied=applied)
    return moved(
        state,
        event,
        standard_versions_applied=applied,
        **with_period(state, event, event.from_month, event.new_amount, event.assessment.household_size),
    )


_MUTATORS = {
    (e.ReviewScheduled,): _review_scheduled,
    (e.PeriodicReviewDue,): _periodic_review_due,
    (e.AdHocReviewOpened,): _ad_hoc_review_opened,
    (e.ChangeReported,): _change_reported,
    (e.DataAlertRaised,): _data_alert_raised,
    (e.ReviewCompleted,): _review_completed,
    (
        e.BenefitIncreased,
        e.BenefitDecreased,
    ): _benefit_increased,
    (e.GradualExitGranted,): _gradual_exit_granted,
    (e.BenefitStopped,): _benefit_stopped,
    (e.StopNoticeServed,): _stop_notice_served,
    (e.CaseExited,): _case_exited,
    (e.OverpaymentRecoveryOrdered,): _overpayment_recovery_ordered,
    (e.BackPayDecided,): _back_pay_decided,
    (
        e.FineImposed,
        e.EdgeMonitoringReferred,
    ): _fine_imposed,
    (e.PaymentLinesWithdrawn,): _payment_lines_withdrawn,
    (e.BenefitRecalculated,): _benefit_recalculated,
}


def mutators(spec: InPaymentSpec) -> Mutators:
    m = Mutators()
    for types, fn in _MUTATORS.items():
        m.on(*types)(partial(fn, spec))
    return m
