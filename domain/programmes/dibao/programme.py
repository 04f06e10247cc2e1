"""低保 (dibao) on the kernel: its commands, events, stages, rules, deadlines and timers as one
:class:`domain.kernel.programme.Programme` (S1; SPEC §3 and §8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import events as e
from domain.household import Program
from domain.kernel import links
from domain.kernel.clock import local_date, start_of_day
from domain.kernel.deadlines import deadline_handlers, deadline_mutators
from domain.kernel.guards import CASEWORKER, COUNTY_APPROVER, COUNTY_REVIEWER, TOWNSHIP_APPROVER, WINDOW
from domain.kernel.mutators import merged
from domain.kernel.programme import NOTHING, InPayment, Needs, Programme, Timer
from domain.kernel.state import PendingStep
from domain.months import first_day
from domain.procedure import amendment, application, confirmation, investigation, publicity, referral
from domain.procedure import in_payment as in_payment_step
from domain.programmes.dibao import in_payment, notices, procedure, screening
from domain.programmes.dibao import links as dibao_links
from domain.programmes.dibao.deadlines import DEADLINES
from domain.programmes.dibao.evolve import MUTATORS
from domain.programmes.dibao.labels import STAGE_LABELS
from domain.programmes.dibao.stages import ACTIVE_STAGES, PRE_DECISION, Stage
from domain.programmes.dibao.state import DibaoState

#: The step each stage waits for, who takes it, and the deadline that governs it.
_PENDING: dict[Stage, tuple[str, frozenset[Any], str | None]] = {
    Stage.SUBMITTED: ("completeness_check", WINDOW, None),
    Stage.MATERIALS_INCOMPLETE: ("acceptance", WINDOW, "acceptance"),
    Stage.ACCEPTED: ("start_investigation", CASEWORKER, "start_investigation"),
    Stage.INVESTIGATING: ("investigation", CASEWORKER | TOWNSHIP_APPROVER, "prelim_opinion"),
    Stage.INFO_CHECK_NEGATIVE_NOTIFIED: ("applicant_response", WINDOW | CASEWORKER | TOWNSHIP_APPROVER, "overall"),
    Stage.DEMOCRATIC_APPRAISAL: ("democratic_appraisal", CASEWORKER | TOWNSHIP_APPROVER, "overall"),
    Stage.PRELIM_OPINION_ISSUED: ("start_publicity", CASEWORKER, "overall"),
    Stage.PUBLICITY: ("publicity_window", frozenset(), None),
    Stage.OBJECTION_RECEIVED: ("resolve_objection", TOWNSHIP_APPROVER, "overall"),
    Stage.REINVESTIGATION: ("reinvestigation", CASEWORKER | TOWNSHIP_APPROVER, "overall"),
    Stage.SUBMITTED_TO_COUNTY: ("start_county_review", COUNTY_REVIEWER, "county_decision"),
    Stage.COUNTY_REVIEW: ("county_decision", COUNTY_REVIEWER | COUNTY_APPROVER, "county_decision"),
    Stage.APPROVED: ("post_publication", CASEWORKER, None),
    Stage.REJECTED: ("serve_rejection_notice", CASEWORKER, "rejection_notice"),
    Stage.UNDER_REVIEW: ("review_decision", CASEWORKER | TOWNSHIP_APPROVER | COUNTY_APPROVER, "review"),
    Stage.STOPPING: ("serve_stop_notice", CASEWORKER, "stop_notice"),
    Stage.EXITED: ("serve_stop_notice", CASEWORKER, "stop_notice"),
}


def pending_step(state: DibaoState) -> PendingStep | None:
    """Who must act next and by when; None for a closed case or one handed over to payment. A data alert's
    proposed amendment before the decision comes first: no opinion or decision is taken until it is answered."""
    if state.is_closed or state.stage in {Stage.IN_PAYMENT, Stage.GRADUAL_EXIT}:
        return None
    if state.stage in PRE_DECISION and amendment.open_proposals(state):
        overall = state.deadlines.get("overall")
        return PendingStep(step="confirm_amendment", roles=tuple(sorted(amendment.CONFIRM_ROLES)),
                           due=overall.due if overall else None,
                           overdue_escalated=bool(overall and overall.escalated))
    step, roles, deadline_key = _PENDING[state.stage]
    deadline = state.deadlines.get(deadline_key) if deadline_key else None
    if state.stage is Stage.PUBLICITY:
        return PendingStep(step=step, roles=(), due=state.publicity_ends_on)
    if state.stage is Stage.STOPPING and state.stop_notice_served and state.stop_effective_month is not None:
        # the notice is served; the case exits on its own when the stop month begins (S1 Art. 32)
        return PendingStep(step="stop_takes_effect", roles=(), due=first_day(state.stop_effective_month))
    return PendingStep(
        step=step,
        roles=tuple(sorted(roles)),
        due=deadline.due if deadline else None,
        overdue_escalated=bool(deadline and deadline.escalated),
    )


#: Commands whose decision computes with, or depends on, the parameters in force.
NEEDS_PARAMS: frozenset[type] = frozenset(
    {
        c.AcceptApplication,
        c.DecideVillageReview,
        c.RecordDemocraticAppraisal,
        c.IssuePrelimOpinion,
        c.StartPublicity,
        c.StartCountyReview,
        c.RecordCountyHomeVisit,
        c.ResolveComplaint,
        c.Approve,
        c.Reject,
        c.ExtendDeadline,
        c.ReportChange,
        c.RaiseDataAlert,
        c.AmendHousehold,
        c.ConfirmAmendment,
        c.DecideReview,
        c.ReduceMemberShare,
        c.RecordFraudFinding,
        c.StopBenefit,
        c.ApplyStandardChange,
        c.ApplyLink,  # a death delivered from another case of a member starts the 3-month limit
    }
)
#: Commands whose decision may reach back over months already on a payment roll.
NEEDS_PAYMENTS: frozenset[type] = frozenset({c.DecideReview, c.StopBenefit})
#: Commands that request the information check (S1 Arts. 17, 31): the workflow runs it in the same decision.
_INFO_CHECK: frozenset[type] = frozenset({c.RequestInfoCheck, c.RequestReviewCheck})


def needs(command: Any) -> Needs:
    kind = type(command)
    if kind not in NEEDS_PARAMS and kind not in NEEDS_PAYMENTS and kind not in _INFO_CHECK:
        return NOTHING
    return Needs(
        params=kind in NEEDS_PARAMS,
        publicity_end=kind is c.StartPublicity,
        payments=kind in NEEDS_PAYMENTS,
        info_check=kind in _INFO_CHECK,
    )


#: The patch behind which in-payment timers run: cases recorded before the in-payment life existed waited
#: without timers once in payment, and their histories must replay unchanged.
IN_PAYMENT_TIMERS_PATCH = "case-dynamic-v1"
#: The patch behind which a stop leaves the case ``stopping`` (its decisions: ``benefit_stopped`` version 2) and
#: a timer moves it to ``exited`` at the start of the stop month once the notice is served.
STOPPING_PATCH = in_payment_step.STOPPING_PATCH


def timers(state: DibaoState, patched: Callable[[str], bool]) -> list[Timer]:
    """The 公示 window's end (S1 Art. 19); in payment, the end of a 渐退期 (S1 Art. 33: the stop decided with
    it) and else the periodic review's due day (S1 Art. 31), whose information check follows at once; once a
    stop's notice is served, the start of its stop month, when the case exits (S1 Art. 32: the exit is the
    stop decision's consequence, never a decision of the timer's)."""
    out: list[Timer] = []
    if state.stage is Stage.PUBLICITY:
        out.append(Timer(at=publicity.closes_at(state), command=c.ClosePublicity()))
    if (
        state.stage is Stage.STOPPING
        and state.stop_notice_served
        and state.stop_effective_month is not None
        and patched(STOPPING_PATCH)
    ):
        out.append(
            Timer(
                at=start_of_day(first_day(state.stop_effective_month)),
                command=c.CompleteExit(),
                group="in_payment",
            )
        )
    if state.stage in ACTIVE_STAGES and patched(IN_PAYMENT_TIMERS_PATCH):
        if state.gradual_exit_ends_month is not None and state.stop_effective_month is not None:
            out.append(
                Timer(
                    at=start_of_day(first_day(state.stop_effective_month)),
                    command=c.EndGradualExit(),
                    group="in_payment",
                )
            )
        if state.stage is Stage.IN_PAYMENT and state.next_review_due is not None:
            out.append(
                Timer(
                    at=start_of_day(state.next_review_due),
                    command=c.OpenPeriodicReview(due=state.next_review_due),
                    group="in_payment",
                    then_follow_up=True,
                )
            )
    return out


def follow_up(state: DibaoState) -> Any | None:
    """A review just opened: re-run the information check (S1 Art. 31) before anyone decides it. A stop notice
    served once the stop month has begun: the case exits at once (S1 Art. 32; served earlier, the month's timer
    takes it out)."""
    if state.stage is Stage.STOPPING:
        # the follow-up runs right after a decision: the state's time is that decision's (the notice's)
        return c.CompleteExit() if in_payment_step.exit_due(state, local_date(state.updated_at)) else None
    if state.stage is not Stage.UNDER_REVIEW or state.info_check_requested:
        return None
    return c.RequestReviewCheck()


def at_rest(state: DibaoState) -> bool:
    """In payment with nothing open (a stopping case is not: its run waits for its exit)."""
    return not state.is_closed and state.stage in {Stage.IN_PAYMENT, Stage.GRADUAL_EXIT}


def outcome(state: DibaoState) -> str | None:
    """The outcome of the application: approved / rejected / terminated / withdrawn / exited, or None. A stopping
    case is still in payment until it exits."""
    if state.stage in {Stage.APPROVED, Stage.STOPPING} or state.stage in ACTIVE_STAGES:
        return "approved"
    return {
        Stage.REJECTED: "rejected",
        Stage.TERMINATED_NONCOOPERATION: "terminated",
        Stage.WITHDRAWN: "withdrawn",
        Stage.EXITED: "exited",
    }.get(state.stage)


def amount_for(state: DibaoState, month: str) -> Decimal | None:
    return state.amount_for(month)


def _recalculation_refused(state: DibaoState, version: str) -> str | None:
    """物价联动 applies once per version, and only to a case in payment (S4 Art. 10)."""
    if version in state.standard_versions_applied:
        return "already_applied"
    if state.stage not in ACTIVE_STAGES:
        return "not_active"
    return None


def _periodic_review_refused(state: DibaoState, due: date, today: date) -> str | None:
    """The sweep's catch-up opens the periodic review due on ``due`` unless it is open already (the case's own
    timer opens it on the day; whichever comes first wins, the other changes nothing)."""
    if state.stage is not Stage.IN_PAYMENT:
        return "already_open" if state.review else "not_in_payment"
    if state.next_review_due != due:
        return "already_open"
    if today < due:
        return "not_due"
    return None


def _raise_data_alert(state: DibaoState, cmd: c.RaiseDataAlert, ctx: Any) -> Any:
    """A data alert: before the decision a proposed household amendment for the township to confirm (issue 20
    item 1); in payment, an ad-hoc review (S6 §三)."""
    if state is not None and state.stage in PRE_DECISION:
        return amendment.propose_from_alert(procedure.SPEC, state, cmd, ctx)
    return in_payment.HANDLERS[c.RaiseDataAlert](state, cmd, ctx)


IN_PAYMENT = InPayment(
    recalculation_refused=_recalculation_refused,
    recalculate_command=lambda version, effective_from: c.ApplyStandardChange(
        version=version, effective_from=effective_from
    ),
    periodic_review_refused=_periodic_review_refused,
    periodic_command=lambda due: c.OpenPeriodicReview(due=due),
    monthly_amount=lambda state: state.monthly_amount,
)


#: Commands only the engine issues (timers, deadlines, the information check's result, follow-ups).
_SYSTEM_COMMANDS: frozenset[type] = frozenset((*c.PROCEDURE_SYSTEM_COMMANDS, *c.KERNEL_SYSTEM_COMMANDS))

_INITIAL, _STEP_MUTATORS = application.mutators(procedure.SPEC, DibaoState)

DIBAO = Programme(
    code=Program.DIBAO,
    title="最低生活保障",
    state_type=DibaoState,
    stages=Stage,
    stage_labels=STAGE_LABELS,
    submit=c.SubmitApplication,
    open=procedure.OPEN,
    handlers={
        **procedure.HANDLERS,
        **in_payment.HANDLERS,
        c.RaiseDataAlert: _raise_data_alert,
        **referral.handlers(),
        **deadline_handlers(DEADLINES, c.SetDeadline, c.RaiseEscalation, e.DeadlineSet, e.EscalationRaised),
        **links.handlers(dibao_links.on_link),
    },
    system_commands=_SYSTEM_COMMANDS,
    first_event=e.ApplicationSubmitted,
    initial=_INITIAL,
    mutators=merged(
        [
            _STEP_MUTATORS,
            investigation.mutators(procedure.SPEC),
            publicity.mutators(procedure.SPEC),
            confirmation.mutators(procedure.SPEC),
            amendment.mutators(procedure.SPEC),
            referral.mutators(),
            in_payment_step.mutators(in_payment.SPEC),
            MUTATORS,
            deadline_mutators(e.DeadlineSet, e.EscalationRaised),
            links.mutators(),
        ]
    ),
    deadlines=DEADLINES,
    pending=pending_step,
    needs=needs,
    timers=timers,
    follow_up=follow_up,
    at_rest=at_rest,
    cycles=lambda state: state.reviews_completed,
    outcome=outcome,
    amount_for=amount_for,
    payable_stages=frozenset({*ACTIVE_STAGES, Stage.STOPPING, Stage.EXITED}),
    info_check_command=lambda report: c.CompleteInfoCheck(report=report),
    in_payment=IN_PAYMENT,
    command_vocabulary=(
        c.SubmitApplication,
        *c.PROCEDURE_COMMANDS,
        *c.KERNEL_COMMANDS,
        *c.PROCEDURE_SYSTEM_COMMANDS,
        *c.KERNEL_SYSTEM_COMMANDS,
        c.ApplyStandardChange,
    ),
    event_vocabulary=(*e.PROCEDURE_EVENTS, *e.KERNEL_EVENTS, *e.LINK_EVENTS),
    vocabulary_only_stages=frozenset({Stage.RECHECK}),  # folded into INVESTIGATING (S1 Art. 18)
    procedure=procedure.SPEC,
    steps=(
        *((m, procedure.SPEC) for m in procedure.STEP_MODULES),
        (in_payment_step, in_payment.SPEC),
        (referral, procedure.SPEC),
    ),
    active_stages=ACTIVE_STAGES,
    notice_kinds=notices.NOTICE_KINDS,
    event_notice_kinds=notices.EVENT_NOTICE_KINDS,
    notice_for=notices.notice_for,
    main_path=(*procedure.STAGES.main_path, Stage.EXITED),
    end_branches=procedure.STAGES.end_branches,
    recusal_exempt=frozenset({c.ApplyStandardChange}),
    links=dibao_links.links_of,
    screen=screening.screen,  # 一门受理 (S5 item 23)
)
