"""特困人员救助供养 on the kernel: its commands, events, stages, rules, deadlines and timers as one
:class:`domain.kernel.programme.Programme` (S3; S4 Arts. 14-19; SPEC §4)."""

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
from domain.kernel.programme import NOTHING, Needs, Programme, Timer
from domain.kernel.state import PendingStep
from domain.procedure import publicity, referral
from domain.programmes.tekun import handlers, notices, procedure, recalculation, rules, screening
from domain.programmes.tekun import links as tekun_links
from domain.programmes.tekun.deadlines import DEADLINES
from domain.programmes.tekun.evolve import MUTATORS
from domain.programmes.tekun.labels import STAGE_LABELS
from domain.programmes.tekun.stages import ACTIVE_STAGES, Stage
from domain.programmes.tekun.state import TekunState

_PENDING: dict[Stage, tuple[str, frozenset[Any], str | None]] = {
    Stage.SUBMITTED: ("completeness_check", WINDOW, None),
    Stage.MATERIALS_INCOMPLETE: ("acceptance", WINDOW, "acceptance"),
    Stage.ACCEPTED: ("start_investigation", CASEWORKER, "prelim_opinion"),
    Stage.INVESTIGATING: ("investigation", CASEWORKER | TOWNSHIP_APPROVER, "prelim_opinion"),
    Stage.INFO_CHECK_NEGATIVE_NOTIFIED: ("applicant_response", WINDOW | CASEWORKER | TOWNSHIP_APPROVER,
                                         "prelim_opinion"),
    Stage.DEMOCRATIC_APPRAISAL: ("democratic_appraisal", CASEWORKER | TOWNSHIP_APPROVER, "prelim_opinion"),
    Stage.PRELIM_OPINION_ISSUED: ("start_publicity", CASEWORKER, None),
    Stage.OBJECTION_RECEIVED: ("resolve_objection", TOWNSHIP_APPROVER, None),
    Stage.REINVESTIGATION: ("reinvestigation", CASEWORKER | TOWNSHIP_APPROVER, "reinvestigation"),
    Stage.SUBMITTED_TO_COUNTY: ("county_check_draw", COUNTY_REVIEWER, "county_decision"),
    Stage.COUNTY_REVIEW: ("county_decision", COUNTY_REVIEWER | COUNTY_APPROVER, "county_decision"),
    Stage.APPROVED: ("post_publication", CASEWORKER, None),
    Stage.REJECTED: ("serve_rejection_notice", CASEWORKER, "rejection_notice"),
    Stage.UNDER_REVIEW: ("review_decision", CASEWORKER | COUNTY_APPROVER, "review"),
    Stage.TERMINATION_PROPOSED: ("start_termination_publicity", CASEWORKER, None),
    Stage.TERMINATION_OBJECTION: ("resolve_termination_objection", COUNTY_REVIEWER, None),
    Stage.TERMINATION_INVESTIGATION: ("termination_investigation", COUNTY_REVIEWER | COUNTY_APPROVER,
                                      "reinvestigation"),
    Stage.TERMINATION_DECISION: ("termination_decision", COUNTY_APPROVER, "county_decision"),
    Stage.TERMINATED: ("serve_termination_notice", CASEWORKER, None),
}


def pending_step(state: TekunState) -> PendingStep | None:
    """Who must act next and by when; a pending re-assessment (S3 Art. 23) comes first while in support."""
    if state.is_closed:
        return None
    if state.reassessment_pending and state.stage in ACTIVE_STAGES:
        d = state.deadlines.get("reassessment")
        return PendingStep(step="self_care_reassessment", roles=tuple(sorted(COUNTY_REVIEWER)),
                           due=d.due if d else None, overdue_escalated=bool(d and d.escalated))
    if state.stage in {Stage.PUBLICITY, Stage.TERMINATION_PUBLICITY}:
        return PendingStep(step="publicity_window", roles=(), due=state.publicity_ends_on)
    if state.stage is Stage.IN_PAYMENT:
        return None
    step, roles, key = _PENDING[state.stage]
    deadline = state.deadlines.get(key) if key else None
    return PendingStep(step=step, roles=tuple(sorted(roles)), due=deadline.due if deadline else None,
                       overdue_escalated=bool(deadline and deadline.escalated))


_PUBLICITY_END = frozenset({c.StartPublicity})
_INFO_CHECK = frozenset({c.RequestInfoCheck})
#: Every human command reads the parameters in force (the tekun section), except these.
_NO_PARAMS = frozenset({c.SubmitApplication, c.NotifyMissingMaterials, c.RecordNeighbourVisit,
                        c.RecordLetterEvidence, c.LogObjection, c.LogComplaint, c.ServeRejectionNotice,
                        c.ServeTerminationNotice, c.WithdrawApplication})


def needs(command: Any) -> Needs:
    kind = type(command)
    if kind in c.TEKUN_SYSTEM_COMMANDS or kind in {c.SetDeadline, c.RaiseEscalation, c.ClosePublicity,
                                                     c.CompleteInfoCheck}:
        return NOTHING
    return Needs(params=kind not in _NO_PARAMS, publicity_end=kind in _PUBLICITY_END,
                 info_check=kind in _INFO_CHECK)


def timers(state: TekunState, _patched: Callable[[str], bool]) -> list[Timer]:
    """The 公示 window's end (S3 Arts. 15, 26); in payment, a minor's 18th birthday without recorded schooling
    (S3 Art. 24 note) and the annual review (S5 item 7), each opening a review (never a decision)."""
    out: list[Timer] = []
    if state.stage in {Stage.PUBLICITY, Stage.TERMINATION_PUBLICITY}:
        out.append(Timer(at=publicity.closes_at(state), command=c.ClosePublicity()))
    if state.stage is Stage.IN_PAYMENT:
        due = []
        turns = minor_review_day(state)
        if turns is not None:
            due.append((turns, "minor_turns_18"))
        if state.next_review_due is not None:
            due.append((state.next_review_due, "annual"))
        for day, trigger in sorted(due):
            out.append(Timer(at=start_of_day(day), command=c.OpenTekunReview(due=day, trigger=trigger),
                             group="review"))
    return out


def minor_review_day(state: TekunState) -> Any:
    """The 18th birthday of a person supported as a minor, unless schooling is on record or the review at 18 was
    opened already (S3 Art. 24 note). The age is the parameters' ``benefit_continuation_age`` as recorded on the
    approval's assessment (a timer cannot read the parameters)."""
    if state.schooling_until is not None or state.minor_review_opened or state.decision_assessment is None:
        return None
    age = _continuation_age(state)
    turns = rules.birthday(state.members[0].resident_id, age)
    decided = state.decided_at.date() if state.decided_at else None
    return turns if decided is not None and turns > decided else None


def _continuation_age(state: TekunState) -> int:
    assert state.decision_assessment is not None
    for criterion in state.decision_assessment.criteria:
        if criterion.code == "orphan_scheme":
            return int(criterion.parameters.get("benefit_continuation_age", "18"))
    return 18


def at_rest(state: TekunState) -> bool:
    return not state.is_closed and state.stage is Stage.IN_PAYMENT


def outcome(state: TekunState) -> str | None:
    if state.stage in {Stage.APPROVED} or state.stage in ACTIVE_STAGES:
        return "approved"
    return {
        Stage.REJECTED: "rejected",
        Stage.TERMINATED_NONCOOPERATION: "terminated",
        Stage.WITHDRAWN: "withdrawn",
        Stage.TERMINATED: "exited",
    }.get(state.stage)


def amount_for(state: TekunState, month: str) -> Decimal | None:
    return state.amount_for(month)


_INITIAL, _STEP_MUTATORS = procedure.step_mutators(TekunState)

_HUMAN = (*(t for t in procedure.HANDLERS if t not in {c.CompleteInfoCheck, c.ClosePublicity}),
          *handlers.HANDLERS)

TEKUN = Programme(
    code=Program.TEKUN,
    title="特困人员救助供养",
    state_type=TekunState,
    stages=Stage,
    stage_labels=STAGE_LABELS,
    submit=c.SubmitApplication,
    open=procedure.OPEN,
    handlers={
        **procedure.HANDLERS,
        **handlers.HANDLERS,
        **recalculation.HANDLERS,
        **referral.handlers(),
        **links.handlers(tekun_links.on_link),
        **deadline_handlers(DEADLINES, c.SetDeadline, c.RaiseEscalation, e.DeadlineSet, e.EscalationRaised),
    },
    system_commands=frozenset({c.CompleteInfoCheck, c.ClosePublicity, c.SetDeadline, c.RaiseEscalation,
                               *c.TEKUN_SYSTEM_COMMANDS, *c.KERNEL_SYSTEM_COMMANDS}),
    first_event=e.ApplicationSubmitted,
    initial=_INITIAL,
    mutators=merged([_STEP_MUTATORS, MUTATORS, recalculation.MUTATORS, referral.mutators(), links.mutators(),
                     deadline_mutators(e.DeadlineSet, e.EscalationRaised)]),
    deadlines=DEADLINES,
    pending=pending_step,
    needs=needs,
    timers=timers,
    follow_up=lambda _state: None,
    at_rest=at_rest,
    cycles=lambda state: state.reviews_completed,
    outcome=outcome,
    amount_for=amount_for,
    payable_stages=frozenset({*ACTIVE_STAGES, Stage.TERMINATED}),
    info_check_command=lambda report: c.CompleteInfoCheck(report=report),
    in_payment=recalculation.IN_PAYMENT,
    command_vocabulary=(c.SubmitApplication, *_HUMAN, *c.KERNEL_COMMANDS, c.CompleteInfoCheck, c.ClosePublicity,
                        c.SetDeadline, c.RaiseEscalation, c.ApplyStandardChange, *c.TEKUN_SYSTEM_COMMANDS,
                        *c.KERNEL_SYSTEM_COMMANDS),
    event_vocabulary=(
        e.ApplicationSubmitted, e.EarlierCasesLinked, e.MaterialsDeficiencyNotified, e.ApplicationAccepted,
        e.CloseRelativeFiled, e.StaffRecused, e.NonCooperationRecorded, e.ReviewTerminatedForNonCooperation,
        e.ApplicationWithdrawn, e.InvestigationStarted, e.HomeVisitRecorded, e.NeighbourVisitRecorded,
        e.LetterEvidenceRecorded, e.InfoCheckRequested, e.InfoCheckCompleted, e.IneligibilityByInfoCheckNotified,
        e.CheckResultObjected, e.VillageReviewExempted, e.DemocraticAppraisalOrdered, e.DemocraticAppraisalHeld,
        e.PrelimOpinionIssued, e.PublicityStarted, e.PublicityObjectionLogged, e.PublicityWindowElapsed,
        e.ReinvestigationOrdered, e.CaseSubmittedToCounty, e.CountyReviewStarted, e.CountyHomeVisitRecorded,
        e.ComplaintReceived, e.ComplaintResolved, e.ApplicationApproved, e.ApplicationRejected,
        e.RejectionNoticeServed, e.PublicationPosted, e.PaymentScheduled, e.DeadlineSet, e.EscalationRaised,
        e.ReviewScheduled, e.DataAlertRaised, e.BenefitRecalculated, e.BackPayDecided, *e.KERNEL_EVENTS,
        *e.LINK_EVENTS, *e.TEKUN_EVENTS,
    ),
    procedure=procedure.SPEC,
    steps=(*((m, procedure.SPEC) for m in procedure.STEP_MODULES), (publicity, procedure.TERMINATION_SPEC),
           (referral, procedure.SPEC)),
    # The stages in which support is paid: in payment, under review, and while a termination is decided (S3
    # Arts. 25-26) — the mass recalculation's cases (adapters/db/active_cases.py's partial index names them,
    # migration 0021) and "paying" to the other programmes' rules (a 特困 recipient's 护理补贴 exclusion).
    active_stages=ACTIVE_STAGES,
    notice_kinds=notices.NOTICE_KINDS,
    event_notice_kinds=notices.EVENT_NOTICE_KINDS,
    notice_for=notices.notice_for,
    main_path=(*procedure.STAGES.main_path, Stage.TERMINATION_PUBLICITY, Stage.TERMINATED),
    end_branches=procedure.STAGES.end_branches,
    links=tekun_links.links_of,
    recusal_exempt=frozenset({c.ApplyStandardChange}),
    screen=screening.screen,  # 一门受理 (S5 item 23)
)
