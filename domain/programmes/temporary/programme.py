"""临时救助 on the kernel: the normal path on the shared procedure steps, 先行救助 with its formalities, 一事一议,
staged instalments, as one :class:`domain.kernel.programme.Programme` (S4 Arts. 47-49; S8; S5 item 15; SPEC §5)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import events as e
from domain.household import Program
from domain.kernel import links
from domain.kernel.clock import start_of_day
from domain.kernel.deadlines import deadline_handlers, deadline_mutators
from domain.kernel.guards import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    WINDOW,
)
from domain.kernel.mutators import merged
from domain.kernel.programme import NOTHING, FundDraw, Needs, Programme, Timer
from domain.kernel.state import PendingStep
from domain.months import first_day
from domain.procedure import application, confirmation, investigation, publicity, referral
from domain.programmes.temporary import handlers, notices, procedure, screening
from domain.programmes.temporary.deadlines import DEADLINES
from domain.programmes.temporary.evolve import MUTATORS
from domain.programmes.temporary.labels import STAGE_LABELS
from domain.programmes.temporary.stages import PAYABLE, Stage
from domain.programmes.temporary.state import TemporaryState

_PENDING: dict[Stage, tuple[str, frozenset[Any], str | None]] = {
    Stage.SUBMITTED: ("completeness_check", WINDOW, None),
    Stage.MATERIALS_INCOMPLETE: ("acceptance", WINDOW, "acceptance"),
    Stage.ACCEPTED: ("start_investigation", CASEWORKER, None),
    Stage.INVESTIGATING: ("investigation", CASEWORKER | TOWNSHIP_APPROVER, None),
    Stage.INFO_CHECK_NEGATIVE_NOTIFIED: ("applicant_response", WINDOW | CASEWORKER | TOWNSHIP_APPROVER, None),
    Stage.DEMOCRATIC_APPRAISAL: ("democratic_appraisal", CASEWORKER | TOWNSHIP_APPROVER, None),
    Stage.PRELIM_OPINION_ISSUED: ("start_publicity", CASEWORKER, None),
    Stage.OBJECTION_RECEIVED: ("resolve_objection", TOWNSHIP_APPROVER, None),
    Stage.REINVESTIGATION: ("reinvestigation", CASEWORKER | TOWNSHIP_APPROVER, None),
    Stage.SUBMITTED_FOR_APPROVAL: ("start_approval_review", TOWNSHIP_APPROVER | COUNTY_REVIEWER, "approval"),
    Stage.APPROVAL_REVIEW: ("approval", TOWNSHIP_APPROVER | COUNTY_APPROVER, "approval"),
    Stage.REJECTED: ("serve_rejection_notice", CASEWORKER, "rejection_notice"),
    Stage.URGENT_REPORTED: ("urgent_grant", TOWNSHIP_APPROVER | COUNTY_APPROVER, None),
    Stage.URGENT_GRANTED: ("regularisation", CASEWORKER | TOWNSHIP_APPROVER, "regularisation"),
    Stage.REGULARISATION_PENDING: ("regularisation", CASEWORKER | TOWNSHIP_APPROVER, "regularisation"),
}


def pending_step(state: TemporaryState) -> PendingStep | None:
    """Who must act next, and by when (None: closed, or instalments waiting for their months)."""
    if state.is_closed or state.stage is Stage.ASSISTING:
        return None
    if state.stage is Stage.PUBLICITY:
        return PendingStep(step="publicity_window", roles=(), due=state.publicity_ends_on)
    step, roles, key = _PENDING[state.stage]
    deadline = state.deadlines.get(key) if key else None
    return PendingStep(step=step, roles=tuple(sorted(roles)), due=deadline.due if deadline else None,
                       overdue_escalated=bool(deadline and deadline.escalated))


#: Commands whose decision computes with, or depends on, the parameters in force.
NEEDS_PARAMS: frozenset[type] = frozenset({
    c.AcceptApplication, c.DecideVillageReview, c.RecordDemocraticAppraisal, c.IssuePrelimOpinion,
    c.StartPublicity, c.StartCountyReview, c.RecordCountyHomeVisit, c.ResolveComplaint, c.Reject,
    c.GrantUrgentAssistance, c.JustifyRepeatAssistance, c.ApproveTemporaryAssistance,
})


def needs(command: Any) -> Needs:
    kind = type(command)
    if kind is c.GrantUrgentAssistance:
        return Needs(params=True, fund_draw=True)  # paid from the township's reserve fund with the decision
    if kind is c.RequestInfoCheck:
        return Needs(info_check=True)
    if kind is c.CancelInstalments:
        return Needs(payments=True)  # a line on next month's roll drawn already is withdrawn with it
    if kind not in NEEDS_PARAMS:
        return NOTHING
    return Needs(params=True, publicity_end=kind is c.StartPublicity)


def last_month_begins(state: TemporaryState):
    """When the month of the last instalment still to pay begins (then it is on its roll: nothing remains)."""
    live = [i for i in state.instalments if not i.cancelled]
    if not live:
        return state.updated_at
    return start_of_day(first_day(live[-1].on.strftime("%Y-%m")))


def timers(state: TemporaryState, _patched: Callable[[str], bool]) -> list[Timer]:
    """The 公示 window's end (S4 Art. 48), and the start of the last instalment's month, when the assistance is
    complete (S8 §二(四))."""
    if state.stage is Stage.PUBLICITY:
        return [Timer(at=publicity.closes_at(state), command=c.ClosePublicity())]
    if state.stage is Stage.ASSISTING:
        return [Timer(at=last_month_begins(state), command=c.CompleteAssistance())]
    return []


def outcome(state: TemporaryState) -> str | None:
    """approved (assisting, assisted, or an urgent grant paid) / rejected / terminated / withdrawn, or None."""
    if state.stage in PAYABLE or state.urgent_amount is not None:
        return "approved"
    return {Stage.REJECTED: "rejected", Stage.TERMINATED_NONCOOPERATION: "terminated",
            Stage.WITHDRAWN: "withdrawn"}.get(state.stage)


def amount_for(state: TemporaryState, month: str) -> Decimal | None:
    return state.amount_for(month)


def fund_draw(events: list[Any]) -> FundDraw | None:
    """先行救助 is paid from the township's reserve fund (S8 §三(三); S5 item 15)."""
    for ev in events:
        if isinstance(ev, e.UrgentAssistanceGranted):
            # A fixed reason: the fund's statements are printed, and the grant's own reason (who, which illness
            # or accident) stays on the case, which the movement names.
            return FundDraw(township_code=ev.township_code, amount=ev.amount, reason="先行救助")
    return None


_SYSTEM = frozenset({c.CompleteInfoCheck, c.ClosePublicity, c.SetDeadline, c.RaiseEscalation, c.CompleteAssistance})
_INITIAL, _APPLICATION_MUTATORS = application.mutators(procedure.SPEC, TemporaryState)
_CONFIRMATION_HANDLERS = {k: v for k, v in confirmation.handlers(procedure.SPEC).items()
                          if k not in {c.Approve, c.PostPublication}}

TEMPORARY = Programme(
    code=Program.TEMPORARY,
    title="临时救助",
    state_type=TemporaryState,
    stages=Stage,
    stage_labels=STAGE_LABELS,
    submit=c.SubmitApplication,
    open=handlers.open_case,
    handlers={
        # no extension: S1 Art. 22's grounds are dibao's (the 临时救助 limits are the county's, UNCONFIRMED)
        **{k: v for k, v in application.handlers(procedure.SPEC).items() if k is not c.ExtendDeadline},
        **investigation.handlers(procedure.SPEC),
        **publicity.handlers(procedure.SPEC),
        **_CONFIRMATION_HANDLERS,
        **handlers.HANDLERS,
        **referral.handlers(),
        # A death (or another effect) from another case of a member is recorded on the trail, for the township to
        # cancel the remaining instalments with its reasons (``cancel_instalments``): a link never decides here.
        **links.handlers(lambda _state, _cmd, _ctx: []),
        **deadline_handlers(DEADLINES, c.SetDeadline, c.RaiseEscalation, e.DeadlineSet, e.EscalationRaised),
    },
    system_commands=_SYSTEM | frozenset(c.KERNEL_SYSTEM_COMMANDS),
    first_event=e.ApplicationSubmitted,
    initial=_INITIAL,
    mutators=merged([
        _APPLICATION_MUTATORS.without(e.DeadlineExtended),
        investigation.mutators(procedure.SPEC),
        publicity.mutators(procedure.SPEC),
        confirmation.mutators(procedure.SPEC).without(e.ApplicationApproved, e.PublicationPosted,
                                                      e.PaymentScheduled),
        MUTATORS,
        referral.mutators(),
        links.mutators(),
        deadline_mutators(e.DeadlineSet, e.EscalationRaised),
    ]),
    deadlines=DEADLINES,
    pending=pending_step,
    needs=needs,
    timers=timers,
    follow_up=lambda _state: None,
    at_rest=lambda _state: False,
    cycles=lambda _state: 0,
    outcome=outcome,
    amount_for=amount_for,
    payable_stages=PAYABLE,
    info_check_command=lambda report: c.CompleteInfoCheck(report=report),
    in_payment=None,  # a one-off benefit: no monthly amount, reviews or recalculation
    command_vocabulary=(
        c.SubmitApplication,
        c.NotifyMissingMaterials, c.AcceptApplication, c.RecordNonCooperation, c.TerminateForNonCooperation,
        c.WithdrawApplication,
        c.StartInvestigation, c.RecordHomeVisit, c.RecordNeighbourVisit, c.RecordLetterEvidence, c.RequestInfoCheck,
        c.NotifyInfoCheckIneligible, c.ObjectToCheckResult, c.DecideVillageReview, c.RecordDemocraticAppraisal,
        c.IssuePrelimOpinion,
        c.StartPublicity, c.LogObjection, c.ResolveObjection,
        c.SubmitToCounty, c.StartCountyReview, c.RecordCountyHomeVisit, c.LogComplaint, c.ResolveComplaint,
        c.Reject, c.ServeRejectionNotice,
        *c.TEMPORARY_COMMANDS,
        *c.KERNEL_COMMANDS,
        *_SYSTEM,
        *c.KERNEL_SYSTEM_COMMANDS,
    ),
    event_vocabulary=(
        e.ApplicationSubmitted, e.EarlierCasesLinked, e.MaterialsDeficiencyNotified, e.ApplicationAccepted,
        e.CloseRelativeFiled, e.StaffRecused, e.NonCooperationRecorded, e.ReviewTerminatedForNonCooperation,
        e.ApplicationWithdrawn,
        e.InvestigationStarted, e.HomeVisitRecorded, e.NeighbourVisitRecorded, e.LetterEvidenceRecorded,
        e.InfoCheckRequested, e.InfoCheckCompleted, e.IneligibilityByInfoCheckNotified, e.CheckResultObjected,
        e.VillageReviewExempted, e.DemocraticAppraisalOrdered, e.DemocraticAppraisalHeld, e.PrelimOpinionIssued,
        e.PublicityStarted, e.PublicityObjectionLogged, e.PublicityWindowElapsed, e.ReinvestigationOrdered,
        e.CaseSubmittedToCounty, e.CountyReviewStarted, e.CountyHomeVisitRecorded, e.ComplaintReceived,
        e.ComplaintResolved, e.ApplicationRejected, e.RejectionNoticeServed,
        e.DeadlineSet, e.EscalationRaised, e.PaymentLinesWithdrawn,
        *e.TEMPORARY_EVENTS,
        *e.KERNEL_EVENTS,
        *e.LINK_EVENTS,
    ),
    procedure=procedure.SPEC,
    steps=(*((m, procedure.SPEC) for m in procedure.STEP_MODULES), (referral, procedure.SPEC)),
    active_stages=frozenset(),
    notice_kinds=notices.NOTICE_KINDS,
    event_notice_kinds=frozenset(),
    notice_for=notices.notice_for,
    main_path=(*procedure.STAGES.main_path, Stage.ASSISTED),
    fund_draw=fund_draw,
    screen=screening.screen,
    end_branches=procedure.STAGES.end_branches | {Stage.REGULARISED},
)
