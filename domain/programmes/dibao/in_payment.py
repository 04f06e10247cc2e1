"""The in-payment life of a dibao case: reviews, reported changes, data alerts, job refusals, fraud, standard
changes and exit (动态管理, SPEC §8; S1 Arts. 30-34; S4 Arts. 10, 13, 45, 68; S6 §一(三), §三).

Nothing here stops or lowers a benefit without a human decision: the engine opens reviews (a due date, a
report, an alert, a standard change that makes a household ineligible) and the review's decision, taken by
the confirming authority, produces the outcome. The one stop a timer carries out — the end of a 渐退期 — was
decided, with its reasons and month, when the 渐退期 was granted.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import events as e
from domain.benefit import Assessment, fen
from domain.errors import InvalidInput, InvalidTransition
from domain.household import LabourCapacity
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
from domain.kernel.programme import Handler
from domain.months import add_months, first_day, month_after, month_of
from domain.parameters import ResolvedParameters
from domain.procedure.records import OpenReview
from domain.programmes.dibao.rules import (
    confirming_roles,
    current_size,
    household_assessment,
    payable_amount,
    review_schedule,
    validated_ids,
)
from domain.programmes.dibao.stages import ACTIVE_STAGES, Stage
from domain.programmes.dibao.state import DibaoState

#: Calendar version recorded with deadlines counted in calendar months (no working-day calendar involved).
CALENDAR_MONTHS = "calendar-months"

REVIEW_ROLES = CASEWORKER | TOWNSHIP_APPROVER | COUNTY_REVIEWER


def _from_month(ctx: DecisionContext, params: ResolvedParameters) -> str:
    if params.values.dynamic.change_effective == "this_month":
        return month_of(ctx.today)
    return month_after(ctx.today)


def _overpaid(
    state: DibaoState, ctx: DecisionContext, from_month: str, due: Decimal
) -> tuple[Decimal, dict[str, Decimal]]:
    """What the rolls paid for months from ``from_month`` above ``due`` a month and not yet ordered back
    (a month is never recovered beyond what was paid for it)."""
    per_month: dict[str, Decimal] = {}
    for p in ctx.payments:
        if p.month < from_month:
            continue
        over = fen(p.amount - due - state.recovered.get(p.month, Decimal("0")))
        if over > 0:
            per_month[p.month] = over
    return fen(sum(per_month.values(), Decimal("0"))), per_month


def _recovery(state: DibaoState, ctx: DecisionContext, from_month: str, due: Decimal) -> list[Draft]:
    amount, per_month = _overpaid(state, ctx, from_month, due)
    if amount <= 0:
        return []
    return [
        draft(
            e.OverpaymentRecoveryOrdered,
            "S4 Art. 68",
            "S6 §五(五)",
            amount=amount,
            months=tuple(per_month),
            per_month=per_month,
        )
    ]


def _not_before_payments(state: DibaoState, month: str) -> str:
    """A change never reaches before the first payment month (S1 Art. 21: paid from the month after the
    decision), so no month before it becomes payable."""
    return max(month, state.first_payment_month or month)


def death_deadline(state: DibaoState, died: tuple[date, ...], params: ResolvedParameters) -> list[Draft]:
    """The 3-month limit runs from the earliest death not yet resolved (S6 §一(三)); a later death does not
    move it."""
    earliest = min((*state.unresolved_deaths, *died))
    due = add_months(earliest, params.values.dynamic.death_resolution_months)
    current = state.deadlines.get("death_resolution")
    if current is not None and state.unresolved_deaths and current.due == due:
        return []
    return [draft(e.DeadlineSet, "S6 §一(三)", step="death_resolution", due=due, calendar_version=CALENDAR_MONTHS)]


def _need_review_open(state: DibaoState, what: str) -> OpenReview:
    need_stage(state, {Stage.UNDER_REVIEW}, what)
    assert state.review is not None
    return state.review


def _open_ad_hoc(state: DibaoState, trigger: Any, *basis: str, reason: str | None = None) -> list[Draft]:
    """Open an ad-hoc review unless one is open already (then the new fact joins it)."""
    if state.stage is Stage.UNDER_REVIEW:
        return []
    return [draft(e.AdHocReviewOpened, *basis, reason=reason, trigger=trigger)]


def _approvers(ctx: DecisionContext) -> frozenset[Any]:
    return confirming_roles(ctx)[1]


# --- decide ------------------------------------------------------------------------------------------


def _open_periodic(state: DibaoState, cmd: c.OpenPeriodicReview, ctx: DecisionContext) -> list[Draft]:
    need_stage(state, {Stage.IN_PAYMENT}, "opening the periodic review")
    if state.next_review_due != cmd.due:
        raise InvalidTransition("no periodic review is due on that date (already opened, or rescheduled)")
    if ctx.today < cmd.due:
        raise InvalidTransition("the periodic review is not due yet")
    return [draft(e.PeriodicReviewDue, "S1 Art. 31", "S5 item 7", due=cmd.due)]


def _open_ad_hoc_review(state: DibaoState, cmd: c.OpenAdHocReview, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, REVIEW_ROLES, "open a review")
    need_stage(state, ACTIVE_STAGES - {Stage.UNDER_REVIEW}, "opening a review")
    return _open_ad_hoc(state, "ad_hoc", "S1 Art. 31", reason=cmd.reason)


def _request_review_check(state: DibaoState, _: c.RequestReviewCheck, _ctx: DecisionContext) -> list[Draft]:
    _need_review_open(state, "re-running the information check")
    if state.info_check_requested and state.info_check is None:
        raise InvalidTransition("an information check is already running")
    return [draft(e.InfoCheckRequested, "S1 Art. 31", "S1 Art. 17")]


def _report_change(state: DibaoState, cmd: c.ReportChange, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | CASEWORKER | VILLAGE_COMMITTEE, "record a reported change")
    need_stage(state, ACTIVE_STAGES, "reporting a change")
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
    joining: tuple[Any, ...] = ()
    if cmd.members_joining:
        known = {m.resident_id for m in state.members}
        joining = validated_ids(cmd.members_joining, ctx, "members_joining")
        for i, member in enumerate(joining):
            if member.resident_id in known:
                raise InvalidInput(
                    "this person is already a member of the household", field=("members_joining", i, "resident_id")
                )
    events: list[Draft] = [
        draft(
            e.ChangeReported,
            "S1 Art. 30",
            "S4 Art. 13",
            reason=cmd.note,
            members_joining=joining,
            members_leaving=tuple(cmd.members_leaving),
            declaration=cmd.declaration,
        )
    ]
    died = tuple(m.on or ctx.today for m in cmd.members_leaving if m.reason is c.LeaveReason.DEATH)
    if died:
        events += death_deadline(state, died, need_params(ctx))
    return events + _open_ad_hoc(state, "change_report", "S1 Art. 31")


def _raise_alert(state: DibaoState, cmd: c.RaiseDataAlert, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER | COUNTY_REVIEWER, "record a data alert")
    need_stage(state, ACTIVE_STAGES, "recording a data alert")
    if cmd.occurred_on > ctx.today:
        raise InvalidInput("the date lies in the future", field=("occurred_on",))
    leaving = cmd.alert in c.MEMBER_LEAVING_ALERTS
    if leaving and cmd.member_index is None:
        raise InvalidInput(f"a {cmd.alert.value} alert names the member", field=("member_index",))
    if cmd.member_index is not None and cmd.member_index >= len(state.members):
        raise InvalidInput("no such member", field=("member_index",))
    if leaving and cmd.member_index not in state.counted_members:
        raise InvalidTransition("that member no longer counts in the household; the alert is on record")
    events: list[Draft] = [
        draft(
            e.DataAlertRaised,
            "S6 §三(二)",
            "S6 §三(三)",
            alert=cmd.alert,
            member_index=cmd.member_index,
            occurred_on=cmd.occurred_on,
            source=cmd.source,
        )
    ]
    if cmd.alert is c.AlertType.DEATH:
        events += death_deadline(state, (cmd.occurred_on,), need_params(ctx))
    return events + _open_ad_hoc(state, "data_alert", "S1 Art. 31", "S6 §三")


def _stop_events(
    state: DibaoState,
    ctx: DecisionContext,
    params: ResolvedParameters,
    reason_code: c.StopReason,
    reasons: tuple[str, ...],
    *basis: str,
    assessment: Assessment | None = None,
) -> list[Draft]:
    """A stop from the configured month (or from the month after a death), the recovery of anything the
    rolls paid for months from then on, and the referral to low-income monitoring when near the line."""
    effective = _from_month(ctx, params)
    if state.unresolved_deaths and reason_code is c.StopReason.NO_MEMBERS:
        # the household existed until its last member died (earlier deaths only made it smaller)
        effective = min(effective, month_after(max(state.unresolved_deaths)))
    if state.stop_effective_month is not None:
        effective = min(effective, state.stop_effective_month)
    effective = _not_before_payments(state, effective)
    events: list[Draft] = [
        draft(
            e.BenefitStopped,
            *basis,
            reason="; ".join(reasons),
            params_version=params.version,
            reason_code=reason_code,
            reasons=reasons,
            effective_month=effective,
            assessment=assessment,
        )
    ]
    death_only = bool(state.unresolved_deaths) and reason_code is c.StopReason.NO_MEMBERS
    if reason_code is not c.StopReason.FRAUD and (
        not death_only or params.values.dynamic.recover_overpayment_after_death
    ):
        events += _recovery(state, ctx, effective, Decimal("0"))
    if assessment is not None and assessment.near_dibao:
        events.append(_edge_referral(assessment, params))
    return events


def _edge_referral(assessment: Assessment, params: ResolvedParameters) -> Draft:
    threshold = fen(params.values.near_dibao_multiple * assessment.standard_monthly)
    return draft(
        e.EdgeMonitoringReferred,
        "S1 Art. 8",
        "S7 §三",
        per_capita_monthly_income=assessment.per_capita_monthly_income,
        threshold=threshold,
    )


def _decide_review(state: DibaoState, cmd: c.DecideReview, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, _approvers(ctx), "decide a review")
    review = _need_review_open(state, "deciding the review")
    if state.info_check is None:
        raise InvalidTransition("the review's information check has not completed (S1 Art. 31)")
    dm = params.values.dynamic
    reasons = tuple(cmd.reasons)
    old = state.monthly_amount or Decimal("0.00")
    in_exit = state.gradual_exit_ends_month is not None
    periodic = review.trigger == "periodic"
    events: list[Draft] = []

    def done(outcome: Any, assessment: Assessment | None, schedule: bool) -> list[Draft]:
        nxt = review_schedule(state, ctx) if schedule else None
        return [
            *events,
            draft(
                e.ReviewCompleted,
                "S1 Art. 31",
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
        events += _stop_events(state, ctx, params, c.StopReason.NO_MEMBERS, reasons, "S1 Art. 32", "S6 §一(三)")
        return done("stopped", None, False)
    assessment = household_assessment(state, params)
    if not assessment.eligible:
        if cmd.gradual_exit_months is None and in_exit:
            return done("no_change", assessment, False)  # the 渐退期 granted before simply continues
        if cmd.gradual_exit_months is not None:
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
            amount = old if dm.gradual_exit_amount == "keep" else fen(old / 2)
            events.append(
                draft(
                    e.GradualExitGranted,
                    "S1 Art. 33",
                    "S6 §一(三)",
                    reason="; ".join(reasons),
                    params_version=params.version,
                    months=cmd.gradual_exit_months,
                    monthly_amount=amount,
                    from_month=start,
                    ends_month=ends_month,
                    assessment=assessment,
                    stop_effective_month=month_of(add_months(ends, cmd.gradual_exit_months)),
                    override_reason=cmd.override_reason
                    if cmd.gradual_exit_months > dm.gradual_exit_max_months
                    else None,
                    reasons=reasons,
                )
            )
            return done("gradual_exit", assessment, False)
        code = (
            c.StopReason.INCOME_ABOVE_STANDARD
            if not assessment.income_below_standard
            else c.StopReason.PROPERTY_NON_COMPLIANT
        )
        events += _stop_events(state, ctx, params, code, reasons, "S1 Art. 32", assessment=assessment)
        return done("stopped", assessment, False)
    new = payable_amount(state, assessment, params)
    size_changed = assessment.household_size != current_size(state)
    material = size_changed or abs(new - old) > dm.material_change_min_yuan
    if not material and not in_exit:
        return done("no_change", assessment, True)  # S1 Art. 31: nothing material changed, amount unchanged
    from_month = _from_month(ctx, params)
    if state.unresolved_deaths and new < old:
        from_month = _not_before_payments(state, min(from_month, month_after(min(state.unresolved_deaths))))
    basis = ("S1 Art. 31", "S1 Art. 32")
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
            events += _recovery(state, ctx, from_month, new)
    outcome = "resumed" if in_exit else ("increased" if new > old else "decreased")
    return done(outcome, assessment, True)


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
    need_role(ctx, _approvers(ctx), "reduce a member's share")
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
            from_month=_from_month(ctx, params),
        )
    ]


def _fraud(state: DibaoState, cmd: c.RecordFraudFinding, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, COUNTY_APPROVER, "record a fraud finding (S4 Art. 68: the county civil-affairs department)")
    need_stage(state, ACTIVE_STAGES, "recording a fraud finding")
    reasons = (cmd.findings,)
    events = _stop_events(state, ctx, params, c.StopReason.FRAUD, reasons, "S4 Art. 68", "S1 Art. 32")
    events.append(draft(e.OverpaymentRecoveryOrdered, "S4 Art. 68", amount=cmd.amount_obtained))
    if cmd.fine_multiple is not None:
        events.append(
            draft(
                e.FineImposed,
                "S4 Art. 68",
                multiple=cmd.fine_multiple,
                amount=fen(cmd.amount_obtained * cmd.fine_multiple),
            )
        )
    return events


def _stop(state: DibaoState, cmd: c.StopBenefit, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, _approvers(ctx), "stop the benefit")
    need_stage(state, ACTIVE_STAGES, "stopping the benefit")
    if cmd.reason_code is c.StopReason.FRAUD:
        raise InvalidInput("a fraud stop goes through record_fraud_finding (S4 Art. 68)", field=("reason_code",))
    return _stop_events(state, ctx, params, cmd.reason_code, tuple(cmd.reasons), "S1 Art. 32")


def _serve_stop(state: DibaoState, _: c.ServeStopNotice, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "serve the stop notice")
    need_stage(state, {Stage.EXITED}, "serving the stop notice")
    if state.stop_notice_served:
        raise InvalidTransition("the stop notice was already served")
    return [draft(e.StopNoticeServed, "S1 Art. 32")]


def _end_gradual_exit(state: DibaoState, _: c.EndGradualExit, ctx: DecisionContext) -> list[Draft]:
    need_stage(state, {Stage.GRADUAL_EXIT, Stage.UNDER_REVIEW}, "ending the 渐退期")
    if state.gradual_exit_ends_month is None or state.stop_effective_month is None:
        raise InvalidTransition("no 渐退期 is running")
    if month_of(ctx.today) < state.stop_effective_month:
        raise InvalidTransition("the 渐退期 has not run out")
    seq = state.gradual_exit_seq
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


def _standard_change(state: DibaoState, cmd: c.ApplyStandardChange, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, COUNTY_APPROVER, "apply a standard change")
    need_stage(state, ACTIVE_STAGES, "recalculating the benefit")
    if cmd.version in state.standard_versions_applied:
        raise InvalidTransition(f"standard change {cmd.version} was already applied to this case")
    if params.version != cmd.version:
        raise InvalidInput(
            f"the version in force on {cmd.effective_from.isoformat()} is {params.version}", field=("version",)
        )
    if not state.counted_members:
        raise InvalidTransition(
            "no member counts in the household any more: its open review decides the stop "
            "(S6 §一(三)), not the recalculation"
        )
    assessment = household_assessment(state, params)
    old = state.monthly_amount or Decimal("0.00")
    from_month = month_of(cmd.effective_from)
    if state.benefit_periods and state.benefit_periods[-1].from_month > from_month:
        from_month = state.benefit_periods[-1].from_month  # a later decision stands; recalculate from it
    keep = state.gradual_exit_ends_month is not None or not assessment.eligible
    new = old if keep else payable_amount(state, assessment, params)
    events: list[Draft] = [
        draft(
            e.BenefitRecalculated,
            "S4 Art. 10",
            "S1 Art. 23",
            params_version=params.version,
            version=cmd.version,
            old_amount=old,
            new_amount=new,
            from_month=from_month,
            eligible=assessment.eligible,
            assessment=assessment,
        )
    ]
    if not assessment.eligible and state.gradual_exit_ends_month is None:
        # Crossing out of eligibility is for a review to decide, never for the batch (S1 Arts. 31, 32).
        events += _open_ad_hoc(state, "standard_change", "S1 Art. 31", "S4 Art. 10")
    return events


#: The in-payment commands and their handlers.
HANDLERS: dict[type, Handler] = {
    c.OpenPeriodicReview: _open_periodic,
    c.OpenAdHocReview: _open_ad_hoc_review,
    c.RequestReviewCheck: _request_review_check,
    c.ReportChange: _report_change,
    c.RaiseDataAlert: _raise_alert,
    c.DecideReview: _decide_review,
    c.RecordJobRefusal: _job_refusal,
    c.ReduceMemberShare: _reduce_share,
    c.RecordFraudFinding: _fraud,
    c.StopBenefit: _stop,
    c.ServeStopNotice: _serve_stop,
    c.EndGradualExit: _end_gradual_exit,
    c.ApplyStandardChange: _standard_change,
}
