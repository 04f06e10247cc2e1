"""The in-payment life of a case: reviews, reported changes, data alerts, job refusals, fraud, standard changes
and exit (动态管理, SPEC §8; S1 Arts. 30-34; S4 Arts. 10, 13, 45, 68; S6 §一(三), §三).

Pure like :mod:`domain.case`, whose ``decide`` and ``evolve`` dispatch here for these commands and events.
Nothing here stops or lowers a benefit without a human decision: the engine opens reviews (a due date, a
report, an alert, a standard change that makes a household ineligible) and the review's decision, taken by
the confirming authority, produces the outcome. The one stop a timer carries out — the end of a 渐退期 — was
decided, with its reasons and month, when the 渐退期 was granted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import events as e
from domain.actors import Role
from domain.benefit import Assessment, assess, fen
from domain.case import (
    CASEWORKER,
    CHINA_TZ,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    WINDOW,
    DecisionContext,
    _meta,
    _need_params,
    _need_role,
    _need_stage,
    _to,
    assessed_declaration,
    confirming_roles,
    validated_ids,
)
from domain.errors import DomainError, InvalidInput, InvalidTransition
from domain.household import Declaration, LabourCapacity
from domain.identity import parse_resident_id
from domain.months import add_months, first_day, month_after, month_of
from domain.parameters import ResolvedParameters
from domain.state import (
    ACTIVE_STAGES,
    BenefitPeriod,
    CaseState,
    Departure,
    OpenReview,
    ReviewClass,
    Stage,
)

#: Calendar version recorded with deadlines counted in calendar months (no working-day calendar involved).
CALENDAR_MONTHS = "calendar-months"

REVIEW_ROLES = CASEWORKER | TOWNSHIP_APPROVER | COUNTY_REVIEWER


# --- pure helpers ------------------------------------------------------------------------------------


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def review_class_for(state: CaseState, params: ResolvedParameters, today: date) -> tuple[ReviewClass, int]:
    """Annual for a household whose situation is stable; every six months when a counted member is able to
    work and of working age, or an income item is irregular (S1 Art. 31; S5 item 7). Both intervals and the
    working age are parameters (the 2012 profile's shorter cycles are a parameter version too)."""
    dm = params.values.dynamic
    counted = state.counted_members
    able = False
    for i in counted:
        member = state.members[i]
        if member.labour_capacity is not LabourCapacity.FULL:
            continue
        age = _age_on(parse_resident_id(member.resident_id).birth_date, today)
        able = able or dm.working_age_min <= age <= dm.working_age_max
    irregular = any(item.irregular for item in state.declaration.income
                    if item.member_index is None or item.member_index in counted)
    if able or irregular:
        return ReviewClass.SEMI_ANNUAL, dm.review_months_irregular
    return ReviewClass.ANNUAL, dm.review_months_stable


def review_schedule(state: CaseState, ctx: DecisionContext, offset: int) -> e.ReviewScheduled:
    """The next periodic review, counted from today's decision (SPEC §8.1)."""
    params = _need_params(ctx)
    klass, months = review_class_for(state, params, ctx.today)
    return e.ReviewScheduled(**_meta(state, ctx, offset, "S1 Art. 31", "S5 item 7"), review_class=klass,
                             interval_months=months, due=add_months(ctx.today, months))


def household_assessment(state: CaseState, params: ResolvedParameters) -> Assessment:
    """Assess the members who still count, with the declaration as corrected by the last information check;
    income of members who left (a deceased member's pension, say) no longer counts (S1 Arts. 7, 13).

    Raises:
        InvalidTransition: no member counts any more (nothing to assess; a stop is for the review to decide).
    """
    counted = set(state.counted_members)
    if not counted:
        raise InvalidTransition("no member counts in the household any more")
    members = [state.members[i] for i in sorted(counted)]
    declared = Declaration(income=[i for i in state.declaration.income
                                   if i.member_index is None or i.member_index in counted],
                           property=state.declaration.property)
    report = state.info_check
    if report is not None:
        report = report.model_copy(update={"found_income": [i for i in report.found_income
                                                            if i.member_index is None or i.member_index in counted]})
    return assess(members, state.area_type, assessed_declaration(declared, report), params)


def payable_amount(state: CaseState, assessment: Assessment, params: ResolvedParameters) -> Decimal:
    """The 补差 amount less the shares cut for job refusals (S1 Art. 34): only those members' shares."""
    n = assessment.household_size
    cut_members = [i for i in state.share_cuts if i in state.counted_members]
    if not cut_members or n == 0:
        return assessment.monthly_amount
    share = assessment.monthly_amount / n * params.values.dynamic.job_refusal_share_cut
    return max(Decimal("0.00"), fen(assessment.monthly_amount - share * len(cut_members)))


def _from_month(ctx: DecisionContext, params: ResolvedParameters) -> str:
    if params.values.dynamic.change_effective == "this_month":
        return month_of(ctx.today)
    return month_after(ctx.today)


def _overpaid(state: CaseState, ctx: DecisionContext, from_month: str,
              due: Decimal) -> tuple[Decimal, dict[str, Decimal]]:
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


def _recovery(state: CaseState, ctx: DecisionContext, offset: int, from_month: str,
              due: Decimal) -> list[e.CaseEvent]:
    amount, per_month = _overpaid(state, ctx, from_month, due)
    if amount <= 0:
        return []
    return [e.OverpaymentRecoveryOrdered(**_meta(state, ctx, offset, "S4 Art. 68", "S6 §五(五)"), amount=amount,
                                         months=tuple(per_month), per_month=per_month)]


def _not_before_payments(state: CaseState, month: str) -> str:
    """A change never reaches before the first payment month (S1 Art. 21: paid from the month after the
    decision), so no month before it becomes payable."""
    return max(month, state.first_payment_month or month)


def death_deadline(state: CaseState, ctx: DecisionContext, offset: int, died: tuple[date, ...],
                   params: ResolvedParameters) -> list[e.CaseEvent]:
    """The 3-month limit runs from the earliest death not yet resolved (S6 §一(三)); a later death does not
    move it."""
    earliest = min((*state.unresolved_deaths, *died))
    due = add_months(earliest, params.values.dynamic.death_resolution_months)
    current = state.deadlines.get("death_resolution")
    if current is not None and state.unresolved_deaths and current.due == due:
        return []
    return [e.DeadlineSet(**_meta(state, ctx, offset, "S6 §一(三)"), step="death_resolution", due=due,
                          calendar_version=CALENDAR_MONTHS)]


def _need_review_open(state: CaseState, what: str) -> OpenReview:
    _need_stage(state, {Stage.UNDER_REVIEW}, what)
    assert state.review is not None
    return state.review


def _open_ad_hoc(state: CaseState, ctx: DecisionContext, offset: int, trigger: Any, *basis: str,
                 reason: str | None = None) -> list[e.CaseEvent]:
    """Open an ad-hoc review unless one is open already (then the new fact joins it)."""
    if state.stage is Stage.UNDER_REVIEW:
        return []
    return [e.AdHocReviewOpened(**_meta(state, ctx, offset, *basis, reason=reason), trigger=trigger)]


def _approvers(ctx: DecisionContext) -> frozenset[Any]:
    return confirming_roles(ctx)[1]


# --- decide ------------------------------------------------------------------------------------------


def _open_periodic(state: CaseState, cmd: c.OpenPeriodicReview, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_stage(state, {Stage.IN_PAYMENT}, "opening the periodic review")
    if state.next_review_due != cmd.due:
        raise InvalidTransition("no periodic review is due on that date (already opened, or rescheduled)")
    if ctx.today < cmd.due:
        raise InvalidTransition("the periodic review is not due yet")
    return [e.PeriodicReviewDue(**_meta(state, ctx, 1, "S1 Art. 31", "S5 item 7"), due=cmd.due)]


def _open_ad_hoc_review(state: CaseState, cmd: c.OpenAdHocReview, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, REVIEW_ROLES, "open a review")
    _need_stage(state, ACTIVE_STAGES - {Stage.UNDER_REVIEW}, "opening a review")
    return _open_ad_hoc(state, ctx, 1, "ad_hoc", "S1 Art. 31", reason=cmd.reason)


def _request_review_check(state: CaseState, _: c.RequestReviewCheck, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_review_open(state, "re-running the information check")
    if state.info_check_requested and state.info_check is None:
        raise InvalidTransition("an information check is already running")
    return [e.InfoCheckRequested(**_meta(state, ctx, 1, "S1 Art. 31", "S1 Art. 17"))]


def _report_change(state: CaseState, cmd: c.ReportChange, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, WINDOW | CASEWORKER | frozenset({Role.VILLAGE_COMMITTEE}), "record a reported change")
    _need_stage(state, ACTIVE_STAGES, "reporting a change")
    if not (cmd.members_joining or cmd.members_leaving or cmd.declaration):
        raise InvalidInput("the report changes nothing: give joining or leaving members or a declaration",
                           field=("note",))
    counted = set(state.counted_members)
    for i, leaving in enumerate(cmd.members_leaving):
        if leaving.member_index not in counted:
            raise InvalidInput("no such member still counts in the household", field=("members_leaving", i,
                                                                                     "member_index"))
        if leaving.on is not None and leaving.on > ctx.today:
            raise InvalidInput("the date lies in the future", field=("members_leaving", i, "on"))
    joining: tuple[Any, ...] = ()
    if cmd.members_joining:
        known = {m.resident_id for m in state.members}
        joining = validated_ids(cmd.members_joining, ctx, "members_joining")
        for i, member in enumerate(joining):
            if member.resident_id in known:
                raise InvalidInput("this person is already a member of the household",
                                   field=("members_joining", i, "resident_id"))
    events: list[e.CaseEvent] = [e.ChangeReported(**_meta(state, ctx, 1, "S1 Art. 30", "S4 Art. 13", reason=cmd.note),
                                                  members_joining=joining,
                                                  members_leaving=tuple(cmd.members_leaving),
                                                  declaration=cmd.declaration)]
    died = tuple(m.on or ctx.today for m in cmd.members_leaving if m.reason is c.LeaveReason.DEATH)
    if died:
        events += death_deadline(state, ctx, 2, died, _need_params(ctx))
    return events + _open_ad_hoc(state, ctx, len(events) + 1, "change_report", "S1 Art. 31")


def _raise_alert(state: CaseState, cmd: c.RaiseDataAlert, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER | COUNTY_REVIEWER, "record a data alert")
    _need_stage(state, ACTIVE_STAGES, "recording a data alert")
    if cmd.occurred_on > ctx.today:
        raise InvalidInput("the date lies in the future", field=("occurred_on",))
    leaving = cmd.alert in c.MEMBER_LEAVING_ALERTS
    if leaving and cmd.member_index is None:
        raise InvalidInput(f"a {cmd.alert.value} alert names the member", field=("member_index",))
    if cmd.member_index is not None and cmd.member_index >= len(state.members):
        raise InvalidInput("no such member", field=("member_index",))
    if leaving and cmd.member_index not in state.counted_members:
        raise InvalidTransition("that member no longer counts in the household; the alert is on record")
    events: list[e.CaseEvent] = [e.DataAlertRaised(**_meta(state, ctx, 1, "S6 §三(二)", "S6 §三(三)"),
                                                   alert=cmd.alert, member_index=cmd.member_index,
                                                   occurred_on=cmd.occurred_on, source=cmd.source)]
    if cmd.alert is c.AlertType.DEATH:
        events += death_deadline(state, ctx, 2, (cmd.occurred_on,), _need_params(ctx))
    return events + _open_ad_hoc(state, ctx, len(events) + 1, "data_alert", "S1 Art. 31", "S6 §三")


def _stop_events(state: CaseState, ctx: DecisionContext, offset: int, params: ResolvedParameters,
                 reason_code: c.StopReason, reasons: tuple[str, ...], *basis: str,
                 assessment: Assessment | None = None) -> list[e.CaseEvent]:
    """A stop from the configured month (or from the month after a death), the recovery of anything the
    rolls paid for months from then on, and the referral to low-income monitoring when near the line."""
    effective = _from_month(ctx, params)
    if state.unresolved_deaths and reason_code is c.StopReason.NO_MEMBERS:
        # the household existed until its last member died (earlier deaths only made it smaller)
        effective = min(effective, month_after(max(state.unresolved_deaths)))
    if state.stop_effective_month is not None:
        effective = min(effective, state.stop_effective_month)
    effective = _not_before_payments(state, effective)
    events: list[e.CaseEvent] = [
        e.BenefitStopped(**_meta(state, ctx, offset, *basis, reason="; ".join(reasons), version=params.version),
                         reason_code=reason_code, reasons=reasons, effective_month=effective, assessment=assessment)
    ]
    death_only = bool(state.unresolved_deaths) and reason_code is c.StopReason.NO_MEMBERS
    if reason_code is not c.StopReason.FRAUD and (not death_only or
                                                 params.values.dynamic.recover_overpayment_after_death):
        events += _recovery(state, ctx, offset + len(events), effective, Decimal("0"))
    if assessment is not None and assessment.near_dibao:
        events.append(_edge_referral(state, ctx, offset + len(events), assessment, params))
    return events


def _edge_referral(state: CaseState, ctx: DecisionContext, offset: int, assessment: Assessment,
                   params: ResolvedParameters) -> e.EdgeMonitoringReferred:
    threshold = fen(params.values.near_dibao_multiple * assessment.standard_monthly)
    return e.EdgeMonitoringReferred(**_meta(state, ctx, offset, "S1 Art. 8", "S7 §三"),
                                    per_capita_monthly_income=assessment.per_capita_monthly_income,
                                    threshold=threshold)


def _decide_review(state: CaseState, cmd: c.DecideReview, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _need_params(ctx)
    _need_role(ctx, _approvers(ctx), "decide a review")
    review = _need_review_open(state, "deciding the review")
    if state.info_check is None:
        raise InvalidTransition("the review's information check has not completed (S1 Art. 31)")
    dm = params.values.dynamic
    reasons = tuple(cmd.reasons)
    old = state.monthly_amount or Decimal("0.00")
    in_exit = state.gradual_exit_ends_month is not None
    periodic = review.trigger == "periodic"
    events: list[e.CaseEvent] = []

    def done(outcome: Any, assessment: Assessment | None, schedule: bool) -> list[e.CaseEvent]:
        after = state.model_copy(update={"version": state.version + len(events)})
        nxt = review_schedule(after, ctx, len(events) + 1) if schedule else None
        return [*events, e.ReviewCompleted(
            **_meta(state, ctx, len(events) + 1, "S1 Art. 31", reason="; ".join(reasons), version=params.version),
            outcome=outcome, periodic=periodic, assessment=assessment,
            review_class=nxt.review_class if nxt else None, next_review_due=nxt.due if nxt else None)]

    if not state.counted_members:
        if cmd.gradual_exit_months is not None:
            raise InvalidInput("no member counts any more: there is no 渐退期", field=("gradual_exit_months",))
        events += _stop_events(state, ctx, 1, params, c.StopReason.NO_MEMBERS, reasons, "S1 Art. 32",
                               "S6 §一(三)")
        return done("stopped", None, False)
    assessment = household_assessment(state, params)
    if not assessment.eligible:
        if cmd.gradual_exit_months is None and in_exit:
            return done("no_change", assessment, False)  # the 渐退期 granted before simply continues
        if cmd.gradual_exit_months is not None:
            if in_exit:
                raise InvalidTransition("a 渐退期 is already running")
            if not cmd.income_from_employment:
                raise InvalidInput("a 渐退期 is only for income that rose through employment (S1 Art. 33)",
                                   field=("income_from_employment",))
            if not assessment.property_compliant:
                raise InvalidInput("property no longer complies: a stop, not a 渐退期 (S1 Art. 32)",
                                   field=("gradual_exit_months",))
            if cmd.gradual_exit_months > dm.gradual_exit_max_months and not cmd.override_reason:
                raise InvalidInput(f"more than {dm.gradual_exit_max_months} months needs an override with a "
                                   "recorded reason (S1 Art. 33: '原则上')", field=("override_reason",))
            start = _from_month(ctx, params)
            ends = first_day(start)
            ends_month = month_of(add_months(ends, cmd.gradual_exit_months - 1))
            amount = old if dm.gradual_exit_amount == "keep" else fen(old / 2)
            events.append(e.GradualExitGranted(
                **_meta(state, ctx, 1, "S1 Art. 33", "S6 §一(三)", reason="; ".join(reasons), version=params.version),
                months=cmd.gradual_exit_months, monthly_amount=amount, from_month=start, ends_month=ends_month,
                assessment=assessment,
                stop_effective_month=month_of(add_months(ends, cmd.gradual_exit_months)),
                override_reason=cmd.override_reason if cmd.gradual_exit_months > dm.gradual_exit_max_months else None,
                reasons=reasons))
            return done("gradual_exit", assessment, False)
        code = (c.StopReason.INCOME_ABOVE_STANDARD if not assessment.income_below_standard
                else c.StopReason.PROPERTY_NON_COMPLIANT)
        events += _stop_events(state, ctx, 1, params, code, reasons, "S1 Art. 32", assessment=assessment)
        return done("stopped", assessment, False)
    new = payable_amount(state, assessment, params)
    size_changed = assessment.household_size != _current_size(state)
    material = size_changed or abs(new - old) > dm.material_change_min_yuan
    if not material and not in_exit:
        return done("no_change", assessment, True)  # S1 Art. 31: nothing material changed, amount unchanged
    from_month = _from_month(ctx, params)
    if state.unresolved_deaths and new < old:
        from_month = _not_before_payments(state, min(from_month, month_after(min(state.unresolved_deaths))))
    meta = _meta(state, ctx, 1, "S1 Art. 31", "S1 Art. 32", reason="; ".join(reasons), version=params.version)
    if new > old:
        events.append(e.BenefitIncreased(**meta, old_amount=old, new_amount=new,
                                         household_size=assessment.household_size, from_month=from_month))
    elif new < old or size_changed:
        events.append(e.BenefitDecreased(**meta, old_amount=old, new_amount=new,
                                         household_size=assessment.household_size, from_month=from_month,
                                         reasons=reasons))
        if not state.unresolved_deaths or params.values.dynamic.recover_overpayment_after_death:
            events += _recovery(state, ctx, len(events) + 1, from_month, new)
    outcome = "resumed" if in_exit else ("increased" if new > old else "decreased")
    return done(outcome, assessment, True)


def _current_size(state: CaseState) -> int:
    return state.benefit_periods[-1].household_size if state.benefit_periods else len(state.members)


def _job_refusal(state: CaseState, cmd: c.RecordJobRefusal, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "record a job refusal")
    _need_stage(state, ACTIVE_STAGES, "recording a job refusal")
    if cmd.member_index not in state.counted_members:
        raise InvalidInput("no such member still counts in the household", field=("member_index",))
    if state.members[cmd.member_index].labour_capacity is LabourCapacity.NONE:
        raise InvalidInput("the member is recorded as unable to work (S1 Art. 34 concerns members able to work)",
                           field=("member_index",))
    consecutive = 0 if cmd.good_reason else state.job_refusals.get(cmd.member_index, 0) + 1
    return [e.JobRefusalRecorded(**_meta(state, ctx, 1, "S1 Art. 34", "S4 Art. 45"), member_index=cmd.member_index,
                                 offer=cmd.offer, good_reason=cmd.good_reason, consecutive=consecutive)]


def _reduce_share(state: CaseState, cmd: c.ReduceMemberShare, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _need_params(ctx)
    _need_role(ctx, _approvers(ctx), "reduce a member's share")
    _need_stage(state, {Stage.IN_PAYMENT, Stage.UNDER_REVIEW}, "reducing a member's share")
    needed = params.values.dynamic.job_refusals_to_reduce
    if cmd.member_index not in state.counted_members:
        raise InvalidInput("no such member still counts in the household", field=("member_index",))
    if cmd.member_index in state.share_cuts:
        raise InvalidTransition("that member's share was already reduced")
    if state.job_refusals.get(cmd.member_index, 0) < needed:
        raise InvalidTransition(f"{needed} refusals in a row without good reason are needed (S1 Art. 34); "
                                f"{state.job_refusals.get(cmd.member_index, 0)} on record")
    old = state.monthly_amount or Decimal("0.00")
    n = _current_size(state)  # the household the amount in payment was computed for
    cut = params.values.dynamic.job_refusal_share_cut
    new = max(Decimal("0.00"), fen(old - old / n * cut))
    return [e.MemberBenefitReduced(**_meta(state, ctx, 1, "S1 Art. 34", "S4 Art. 45", reason=cmd.reason),
                                   member_index=cmd.member_index, share_cut=cut, old_amount=old, new_amount=new,
                                   from_month=_from_month(ctx, params))]


def _fraud(state: CaseState, cmd: c.RecordFraudFinding, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _need_params(ctx)
    _need_role(ctx, COUNTY_APPROVER, "record a fraud finding (S4 Art. 68: the county civil-affairs department)")
    _need_stage(state, ACTIVE_STAGES, "recording a fraud finding")
    reasons = (cmd.findings,)
    events = _stop_events(state, ctx, 1, params, c.StopReason.FRAUD, reasons, "S4 Art. 68", "S1 Art. 32")
    events.append(e.OverpaymentRecoveryOrdered(**_meta(state, ctx, len(events) + 1, "S4 Art. 68"),
                                               amount=cmd.amount_obtained))
    if cmd.fine_multiple is not None:
        events.append(e.FineImposed(**_meta(state, ctx, len(events) + 1, "S4 Art. 68"), multiple=cmd.fine_multiple,
                                    amount=fen(cmd.amount_obtained * cmd.fine_multiple)))
    return events


def _stop(state: CaseState, cmd: c.StopBenefit, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _need_params(ctx)
    _need_role(ctx, _approvers(ctx), "stop the benefit")
    _need_stage(state, ACTIVE_STAGES, "stopping the benefit")
    if cmd.reason_code is c.StopReason.FRAUD:
        raise InvalidInput("a fraud stop goes through record_fraud_finding (S4 Art. 68)", field=("reason_code",))
    return _stop_events(state, ctx, 1, params, cmd.reason_code, tuple(cmd.reasons), "S1 Art. 32")


def _serve_stop(state: CaseState, _: c.ServeStopNotice, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "serve the stop notice")
    _need_stage(state, {Stage.EXITED}, "serving the stop notice")
    if state.stop_notice_served:
        raise InvalidTransition("the stop notice was already served")
    return [e.StopNoticeServed(**_meta(state, ctx, 1, "S1 Art. 32"))]


def _end_gradual_exit(state: CaseState, _: c.EndGradualExit, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_stage(state, {Stage.GRADUAL_EXIT, Stage.UNDER_REVIEW}, "ending the 渐退期")
    if state.gradual_exit_ends_month is None or state.stop_effective_month is None:
        raise InvalidTransition("no 渐退期 is running")
    if month_of(ctx.today) < state.stop_effective_month:
        raise InvalidTransition("the 渐退期 has not run out")
    seq = state.gradual_exit_seq
    events: list[e.CaseEvent] = [
        e.GradualExitEnded(**_meta(state, ctx, 1, "S1 Art. 33"), granted_seq=seq or 0),
        e.BenefitStopped(**_meta(state, ctx, 2, "S1 Art. 32", "S1 Art. 33", reason="; ".join(state.exit_reasons),
                                 version=state.exit_assessment.parameter_set_version if state.exit_assessment
                                 else None),
                         reason_code=c.StopReason.INCOME_ABOVE_STANDARD, reasons=state.exit_reasons,
                         effective_month=state.stop_effective_month, assessment=state.exit_assessment,
                         decided_seq=seq),
    ]
    assessment = state.exit_assessment
    if assessment is not None and assessment.near_dibao:
        threshold = next(cr.parameters["threshold"] for cr in assessment.criteria
                         if cr.code == "classification.near_dibao")
        events.append(e.EdgeMonitoringReferred(**_meta(state, ctx, 3, "S1 Art. 8", "S7 §三"),
                                               per_capita_monthly_income=assessment.per_capita_monthly_income,
                                               threshold=Decimal(threshold)))
    return events


def _standard_change(state: CaseState, cmd: c.ApplyStandardChange, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _need_params(ctx)
    _need_role(ctx, COUNTY_APPROVER, "apply a standard change")
    _need_stage(state, ACTIVE_STAGES, "recalculating the benefit")
    if cmd.version in state.standard_versions_applied:
        raise InvalidTransition(f"standard change {cmd.version} was already applied to this case")
    if params.version != cmd.version:
        raise InvalidInput(f"the version in force on {cmd.effective_from.isoformat()} is {params.version}",
                           field=("version",))
    if not state.counted_members:
        raise InvalidTransition("no member counts in the household any more: its open review decides the stop "
                                "(S6 §一(三)), not the recalculation")
    assessment = household_assessment(state, params)
    old = state.monthly_amount or Decimal("0.00")
    from_month = month_of(cmd.effective_from)
    if state.benefit_periods and state.benefit_periods[-1].from_month > from_month:
        from_month = state.benefit_periods[-1].from_month  # a later decision stands; recalculate from it
    keep = state.gradual_exit_ends_month is not None or not assessment.eligible
    new = old if keep else payable_amount(state, assessment, params)
    events: list[e.CaseEvent] = [e.BenefitRecalculated(
        **_meta(state, ctx, 1, "S4 Art. 10", "S1 Art. 23", version=params.version), version=cmd.version,
        old_amount=old, new_amount=new, from_month=from_month, eligible=assessment.eligible, assessment=assessment)]
    if not assessment.eligible and state.gradual_exit_ends_month is None:
        # Crossing out of eligibility is for a review to decide, never for the batch (S1 Arts. 31, 32).
        events += _open_ad_hoc(state, ctx, 2, "standard_change", "S1 Art. 31", "S4 Art. 10")
    return events


HANDLERS: dict[type, Callable[[CaseState, Any, DecisionContext], list[e.CaseEvent]]] = {
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


# --- evolve ------------------------------------------------------------------------------------------


def _with_period(state: CaseState, event: e.EventBase, from_month: str, amount: Decimal, size: int) -> dict[str, Any]:
    periods = tuple(p for p in state.benefit_periods if p.from_month < from_month)
    period = BenefitPeriod(from_month=from_month, monthly_amount=amount, household_size=size,
                           parameter_set_version=event.parameter_set_version, seq=event.seq)
    return {"benefit_periods": (*periods, period), "monthly_amount": amount}


def _opened(state: CaseState, event: e.EventBase, trigger: str, due: date | None) -> CaseState:
    review = OpenReview(trigger=trigger, opened_seq=event.seq, opened_on=event.at.astimezone(CHINA_TZ).date(), due=due)
    return _to(state, event, Stage.UNDER_REVIEW, review=review, info_check_requested=False, info_check=None)


def evolve_in_payment(state: CaseState, event: Any) -> CaseState:
    """Apply one in-payment event (called by :func:`domain.case.evolve`)."""
    match event:
        case e.ReviewScheduled():
            return _to(state, event, review_class=event.review_class, next_review_due=event.due)
        case e.PeriodicReviewDue():
            return _opened(state, event, "periodic", event.due)
        case e.AdHocReviewOpened():
            return _opened(state, event, event.trigger, None)
        case e.ChangeReported():
            departed = state.departed + tuple(Departure(member_index=m.member_index, reason=m.reason.value, on=m.on)
                                              for m in event.members_leaving)
            reported_on = event.at.astimezone(CHINA_TZ).date()
            deaths = tuple(m.on or reported_on for m in event.members_leaving if m.reason is c.LeaveReason.DEATH)
            return _to(state, event, members=(*state.members, *event.members_joining), departed=departed,
                       declaration=event.declaration or state.declaration,
                       unresolved_deaths=state.unresolved_deaths + deaths)
        case e.DataAlertRaised():
            reason = c.MEMBER_LEAVING_ALERTS.get(event.alert)
            if reason is None or event.member_index is None:
                return _to(state, event)
            deaths = (event.occurred_on,) if event.alert is c.AlertType.DEATH else ()
            return _to(state, event,
                       departed=(*state.departed, Departure(member_index=event.member_index, reason=reason.value,
                                                            on=event.occurred_on)),
                       unresolved_deaths=state.unresolved_deaths + deaths)
        case e.ReviewCompleted():
            changes: dict[str, Any] = {"review": None, "reviews_completed": state.reviews_completed + 1,
                                       "unresolved_deaths": (), "next_review_due": event.next_review_due,
                                       "review_class": event.review_class or state.review_class}
            if event.outcome == "resumed":
                changes |= {"gradual_exit_ends_month": None, "stop_effective_month": None, "gradual_exit_seq": None,
                            "exit_reasons": (), "exit_assessment": None}
            if state.stage is Stage.EXITED:
                stage = Stage.EXITED
            elif changes.get("gradual_exit_ends_month", state.gradual_exit_ends_month) is not None:
                stage = Stage.GRADUAL_EXIT
            else:
                stage = Stage.IN_PAYMENT
            if event.outcome == "gradual_exit":
                stage = Stage.GRADUAL_EXIT
            return _to(state, event, stage, **changes)
        case e.BenefitIncreased() | e.BenefitDecreased():
            return _to(state, event, **_with_period(state, event, event.from_month, event.new_amount,
                                                    event.household_size))
        case e.GradualExitGranted():
            size = _current_size(state)
            return _to(state, event, **_with_period(state, event, event.from_month, event.monthly_amount, size),
                       gradual_exit_ends_month=event.ends_month, stop_effective_month=event.stop_effective_month,
                       gradual_exit_seq=event.seq, exit_reasons=event.reasons, exit_assessment=event.assessment,
                       next_review_due=None)
        case e.GradualExitEnded():
            return _to(state, event)
        case e.BenefitStopped():
            effective = min(event.effective_month, state.stop_effective_month or event.effective_month)
            return _to(state, event, Stage.EXITED, stop_effective_month=effective, stop_reason=event.reason_code.value,
                       review=None, unresolved_deaths=(), next_review_due=None, gradual_exit_ends_month=None)
        case e.StopNoticeServed():
            return _to(state, event, stop_notice_served=True)
        case e.OverpaymentRecoveryOrdered():
            recovered = dict(state.recovered)
            for month, amount in event.per_month.items():
                recovered[month] = recovered.get(month, Decimal("0")) + amount
            return _to(state, event, overpayment_ordered=state.overpayment_ordered + event.amount,
                       recovered=recovered)
        case e.FineImposed() | e.EdgeMonitoringReferred():
            return _to(state, event)
        case e.JobRefusalRecorded():
            return _to(state, event, job_refusals={**state.job_refusals, event.member_index: event.consecutive})
        case e.MemberBenefitReduced():
            return _to(state, event, share_cuts=(*state.share_cuts, event.member_index),
                       **_with_period(state, event, event.from_month, event.new_amount, _current_size(state)))
        case e.BenefitRecalculated():
            applied = (*state.standard_versions_applied, event.version)
            if event.new_amount == event.old_amount:
                return _to(state, event, standard_versions_applied=applied)
            return _to(state, event, standard_versions_applied=applied,
                       **_with_period(state, event, event.from_month, event.new_amount,
                                      event.assessment.household_size))
    raise DomainError(f"unknown event {type(event).__name__}")  # pragma: no cover - exhaustive
