"""临时救助's own steps: the application with its need (or the emergency report), 先行救助 and its formalities,
跟进救助, 一事一议, repeat assistance, the approval with its staged instalments and their cancellation, and the
end of the assistance (S4 Arts. 47-49; S8 §二; S5 item 15)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import events as e
from domain.benefit import Criterion
from domain.errors import InvalidInput, InvalidTransition, NotPermitted
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    COUNTY_APPROVER,
    TOWNSHIP_APPROVER,
    need_params,
    need_role,
    need_stage,
    not_maker,
)
from domain.kernel.programme import Handler
from domain.procedure import application
from domain.procedure.publicity import open_objections
from domain.procedure.referral import referral_draft
from domain.programmes.temporary import rules
from domain.programmes.temporary.procedure import SPEC, URGENT_REPORT_ROLES
from domain.programmes.temporary.stages import URGENT_OPEN, Stage
from domain.programmes.temporary.state import TemporaryState
from domain.temporary import EMERGENCY_CAUSES, TemporaryType

APPROVERS = TOWNSHIP_APPROVER | COUNTY_APPROVER
_URGENT_SPEC = replace(SPEC, submit_roles=URGENT_REPORT_ROLES)
A = SPEC.basis


def open_case(_: None, cmd: c.SubmitApplication, ctx: DecisionContext) -> list[Draft]:
    """The application (or the emergency report) where the emergency happened (S7 §四(三)): the household and
    its need; an urgent report opens the 先行救助 path (S8 §二(二))."""
    need = cmd.temporary
    if need is None:
        raise InvalidInput("a 临时救助 application states its type, cause and situation (S4 Art. 47; S8 §二(一))",
                           field=("temporary",))
    if (need.kind is TemporaryType.EMERGENCY) != (need.cause in EMERGENCY_CAUSES):
        raise InvalidInput(f"cause {need.cause.value} is not of type {need.kind.value} (S8 §二(一))",
                           field=("temporary", "cause"))
    if need.kind is TemporaryType.EXPENDITURE and need.essential_expenditure <= 0:
        raise InvalidInput("a 支出型 application states the essential expenditure (S8 §二(一))",
                           field=("temporary", "essential_expenditure"))
    if need.urgent is not None and need.kind is not TemporaryType.EMERGENCY:
        raise InvalidInput("先行救助 is for 急难型 difficulties (S8 §二(二); S5 item 15)",
                           field=("temporary", "urgent"))
    # An emergency may also be reported by township or county staff (hotline, found in data; SPEC §5.3).
    spec = _URGENT_SPEC if need.urgent is not None else SPEC
    out = application.submit(spec, None, cmd, ctx)
    out.append(draft(e.TemporaryNeedDeclared, *A("need"), kind=need.kind, cause=need.cause, severity=need.severity,
                     situation=need.situation, essential_expenditure=need.essential_expenditure,
                     on_dibao_or_tekun=need.on_dibao_or_tekun))
    if need.urgent is not None:
        out.append(draft(e.EmergencyReported, *A("urgent_report"), source=need.urgent))
    return out


def _grant_urgent(state: TemporaryState, cmd: c.GrantUrgentAssistance, ctx: DecisionContext) -> list[Draft]:
    """先行救助 (S8 §二(二); S5 item 15): at once, up to the urgent cap, with the minimal record; no information
    check, no 评议, no 公示. Paid from the township's reserve fund (S8 §三(三)): the engine draws it with the
    decision, keyed by the case and this event's seq (a retry never draws twice)."""
    need_role(ctx, APPROVERS, "grant 先行救助")
    need_stage(state, {Stage.URGENT_REPORTED}, "先行救助")
    t = rules.section(need_params(ctx), ctx.today)
    if cmd.amount > t.urgent_cap:
        raise InvalidInput(f"先行救助 may be at most the urgent cap {t.urgent_cap} yuan ({SPEC.cite('urgent_grant')}); "
                           "a larger amount goes the normal path", field=("amount",))
    _in_kind(cmd.form, cmd.in_kind, cmd.amount)
    return [draft(e.UrgentAssistanceGranted, *A("urgent_grant"), *A("reserve_fund"), reason=cmd.reason,
                  amount=cmd.amount, form=cmd.form, in_kind=tuple(cmd.in_kind), urgent_cap=t.urgent_cap,
                  township_code=state.township_code)]


def _in_kind(form: str, items: list[Any], amount: Decimal) -> None:
    if form == "in_kind":
        if not items:
            raise InvalidInput(f"in-kind assistance lists what, how many and its value ({SPEC.cite('in_kind')})",
                               field=("in_kind",))
        total = sum((i.value for i in items), Decimal("0"))
        if total != amount:
            raise InvalidInput(f"the in-kind items are worth {total}, not the amount {amount}", field=("in_kind",))
    elif items:
        raise InvalidInput("in-kind items are given only for assistance in kind", field=("in_kind",))


def _eased(state: TemporaryState, cmd: c.RecordEmergencyEased, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER | TOWNSHIP_APPROVER, "record that the emergency eased")
    need_stage(state, {Stage.URGENT_GRANTED}, "recording that the emergency eased")
    return [draft(e.EmergencyEased, *A("eased"), note=cmd.note)]


def _regularise(state: TemporaryState, cmd: c.RegulariseUrgentGrant, ctx: DecisionContext) -> list[Draft]:
    """补齐手续 (S8 §二(二)): the registration of person, reason and amount, the signatures of the staff who
    handled and approved the grant, and the seal. Only staff complete it; a deadline passing only escalates."""
    need_role(ctx, CASEWORKER | TOWNSHIP_APPROVER, "complete the urgent grant's formalities")
    need_stage(state, URGENT_OPEN, "completing the formalities")
    signatures = tuple(dict.fromkeys(s.strip() for s in cmd.signatures))
    if len(signatures) < 2:
        raise InvalidInput("the signatures of the staff who handled and who approved the grant "
                           f"({SPEC.cite('regularise')})", field=("signatures",))
    if not cmd.sealed:
        raise InvalidInput(f"the formalities are complete with the seal ({SPEC.cite('regularise')})", field=("sealed",))
    out = [draft(e.UrgentGrantRegularised, *A("regularise"), registration=cmd.registration, signatures=signatures,
                 sealed=True, documents_sha256=tuple(cmd.documents_sha256), follow_up=cmd.follow_up)]
    if cmd.follow_up:
        out.append(draft(e.FollowUpOpened, *A("follow_up"), t0=ctx.today))
    out += [referral_draft(state, ctx, r.to_program, r.member_indexes, *A("referral"), reason=r.note)
            for r in cmd.referrals]
    return out


def _discussion(state: TemporaryState, cmd: c.RecordCaseDiscussion, ctx: DecisionContext) -> list[Draft]:
    """一事一议 (S5 item 15; S8 §二(三)): the county coordination mechanism's meeting, recorded by the county."""
    need_role(ctx, COUNTY_APPROVER, "record the 一事一议 meeting")
    need_stage(state, {Stage.APPROVAL_REVIEW}, "recording the 一事一议 meeting")
    if cmd.meeting_date > ctx.today:
        raise InvalidInput("the meeting has not taken place yet", field=("meeting_date",))
    if cmd.decision == "approve" and cmd.amount <= 0:
        raise InvalidInput("an approving decision names the amount", field=("amount",))
    return [draft(e.CaseDiscussionHeld, *A("case_by_case"), meeting_date=cmd.meeting_date,
                  members=tuple(cmd.members), decision=cmd.decision, amount=cmd.amount, minutes=cmd.minutes)]


def _justify_repeat(state: TemporaryState, cmd: c.JustifyRepeatAssistance, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, APPROVERS | CASEWORKER, "justify repeat assistance")
    need_stage(state, {Stage.APPROVAL_REVIEW, Stage.SUBMITTED_FOR_APPROVAL}, "justifying repeat assistance")
    t = rules.section(need_params(ctx), ctx.today)
    earlier = rules.repeat_earlier(state, t, ctx.today)
    if not earlier:
        raise InvalidTransition("no earlier 临时救助 within the repeat period is linked to this household")
    return [draft(e.RepeatAssistanceJustified, *A("repeat"), justification=cmd.justification,
                  earlier_case_ids=tuple(x.case_id for x in earlier))]


def _approve(state: TemporaryState, cmd: c.ApproveTemporaryAssistance, ctx: DecisionContext) -> list[Draft]:
    """审批 (S4 Art. 48): the township up to its delegated cap, the county above it; above the 一事一议
    threshold (or above the tier table) only after the coordination mechanism's decision (S5 item 15; S8 §二(三));
    a household assisted within the repeat period only with a recorded justification. One approval, staged
    instalments (S8 §二(四)), cash or in kind."""
    need_role(ctx, APPROVERS, "approve 临时救助")
    need_stage(state, {Stage.APPROVAL_REVIEW}, "approval")
    params = need_params(ctx)
    not_maker(state.investigators, ctx)
    if any(not x.resolved for x in state.complaints):
        raise InvalidTransition(f"an open complaint must be resolved first ({SPEC.cite('open_complaint')})")
    if (state.close_relatives or state.complaints) and not state.county_home_visit:
        raise InvalidTransition("a home visit by the reviewer is required "
                                f"({SPEC.cite('review_home_visit_mandatory')})")
    if state.prelim_eligible is not True:
        raise InvalidTransition("the 审核意见 on record is not 'eligible'")
    if state.publicity_rounds == 0 or open_objections(state):
        raise InvalidTransition("no finished 公示 without open objection is on record "
                                f"({SPEC.cite('publicity_close')})")
    t = rules.section(params, ctx.today)
    assessment = rules.assessment(state, params)
    if not assessment.eligible:
        raise InvalidInput("the household does not qualify under the parameters in force; see the assessment",
                           field=("reason",))
    tier, tier_criteria = rules.tier_amount(state, params)
    # 跟进救助 after 先行救助: the urgent grant was an advance on the same difficulty; the tier, the caps and the
    # 一事一议 threshold apply to what the household gets in all (S8 §二(二), (四)).
    advance = state.urgent_amount or Decimal("0")
    amount = cmd.amount if cmd.amount is not None else tier - advance
    if amount <= 0:
        raise InvalidInput(f"the urgent grant of {advance} already covers the tier amount {tier}; a larger amount "
                           f"needs the 一事一议 decision ({SPEC.cite('case_by_case')})", field=("amount",))
    total = amount + advance
    if state.discussion_decision == "reject":
        raise InvalidTransition(f"the 一事一议 meeting decided against assistance ({SPEC.cite('case_by_case')})")
    if total > t.case_by_case_threshold or total > tier:
        if state.discussion_decision != "approve":
            raise InvalidTransition(
                f"in all {total} above the 一事一议 threshold {t.case_by_case_threshold} or the tier amount "
                f"{tier} needs the county coordination mechanism's recorded decision ({SPEC.cite('case_by_case')})")
        assert state.discussion_amount is not None
        if amount > state.discussion_amount:
            raise InvalidInput(f"the 一事一议 decision granted at most {state.discussion_amount}", field=("amount",))
    county = ctx.actor.role in COUNTY_APPROVER
    if not county and total > t.township_approval_cap:
        raise NotPermitted(f"the township approves up to its cap {t.township_approval_cap} yuan; {total} in all is "
                           f"the county's to approve ({SPEC.cite('township_cap')})")
    if not county and state.discussion_decision is not None:
        raise NotPermitted(f"a case decided by 一事一议 is approved by the county ({SPEC.cite('case_by_case')})")
    if rules.repeat_earlier(state, t, ctx.today) and not state.repeat_justified:
        raise InvalidTransition(
            f"the household was assisted within {t.repeat_period_months} months: record the justification first "
            "(repeat assistance, LOCAL rule)")
    _in_kind(cmd.form, cmd.in_kind, amount)
    plan = rules.planned(((i.on, i.amount) for i in cmd.instalments), amount, ctx.today, t)
    criteria = (*tier_criteria, Criterion(
        code="temporary.approved_amount",
        inputs={"tier_amount": str(tier), "requested": str(cmd.amount) if cmd.amount is not None else "tier",
                **({"urgent_advance": str(advance), "in_all": str(total)} if advance else {})},
        parameters={"township_approval_cap": str(t.township_approval_cap),
                    "case_by_case_threshold": str(t.case_by_case_threshold)},
        result=str(amount), passed=True, legal_basis=A("township_cap") + A("case_by_case")))
    basis = A("approve_devolved") if not county else A("approve")
    return [draft(e.TemporaryAssistanceApproved, *basis, *A("amount"), *A("staged"), reason=cmd.reason,
                  params_version=params.version, amount=amount, tier_amount=tier,
                  level="county" if county else "township", form=cmd.form, in_kind=tuple(cmd.in_kind),
                  instalments=plan, criteria=criteria, assessment=assessment)]


def _cancel(state: TemporaryState, cmd: c.CancelInstalments, ctx: DecisionContext) -> list[Draft]:
    """The remaining instalments cancelled with the reason (S8 §二(四)); one whose month has begun is on its roll."""
    need_role(ctx, APPROVERS, "cancel instalments")
    need_stage(state, {Stage.ASSISTING}, "cancelling instalments")
    if cmd.from_index >= len(state.instalments):
        raise InvalidInput("from_index names no instalment", field=("from_index",))
    month_now = ctx.today.strftime("%Y-%m")
    remaining = state.instalments[cmd.from_index:]
    if any(i.on.strftime("%Y-%m") <= month_now for i in remaining if not i.cancelled):
        raise InvalidInput("an instalment whose month has begun is on its payment roll and cannot be cancelled",
                           field=("from_index",))
    amount = sum((i.amount for i in remaining if not i.cancelled), Decimal("0"))
    if amount == 0:
        raise InvalidTransition("the instalments from there on are cancelled already")
    out = [draft(e.InstalmentsCancelled, *A("staged"), reason=cmd.reason, from_index=cmd.from_index,
                 cancelled_amount=amount)]
    # next month's roll may be drawn up already: its line is withdrawn before it is paid, never ordered back
    months = {i.on.strftime("%Y-%m"): i.amount for i in remaining if not i.cancelled}
    drawn = {p.month: p.amount for p in ctx.payments if p.month in months}
    if drawn:
        out.append(draft(e.PaymentLinesWithdrawn, *A("staged"), reason=cmd.reason, months=tuple(sorted(drawn)),
                         per_month=drawn, amount=sum(drawn.values(), Decimal("0"))))
    return out


def _complete(state: TemporaryState, _: c.CompleteAssistance, _ctx: DecisionContext) -> list[Draft]:
    """The month of the last instalment has begun: the assistance is complete (its consequence, not a decision)."""
    need_stage(state, {Stage.ASSISTING}, "completing the assistance")
    return [draft(e.TemporaryAssistanceCompleted, *A("completed"))]


HANDLERS: dict[type, Handler] = {
    c.GrantUrgentAssistance: _grant_urgent,
    c.RecordEmergencyEased: _eased,
    c.RegulariseUrgentGrant: _regularise,
    c.RecordCaseDiscussion: _discussion,
    c.JustifyRepeatAssistance: _justify_repeat,
    c.ApproveTemporaryAssistance: _approve,
    c.CancelInstalments: _cancel,
    c.CompleteAssistance: _complete,
}
