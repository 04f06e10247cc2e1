"""How each event changes a dibao case: one evolve function per event type, registered with the kernel.

Nothing here decides: an event is a decision already taken (or a fact recorded), and folding the same events
gives the same state on every replay.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import events as e
from domain.divisions import county_of, township_of
from domain.kernel.clock import CHINA_TZ, end_of_day
from domain.kernel.mutators import Mutators, moved
from domain.kernel.state import Deadline
from domain.procedure.records import BenefitPeriod, Complaint, Departure, Objection, OpenReview
from domain.programmes.dibao.rules import current_size
from domain.programmes.dibao.stages import Stage
from domain.programmes.dibao.state import DibaoState

MUTATORS = Mutators()


def initial(event: e.ApplicationSubmitted) -> DibaoState:
    """The state a dibao case starts in: the application as handed in."""
    return DibaoState(
        case_id=event.case_id,
        program=event.program,
        stage=Stage.SUBMITTED,
        village_code=event.village_code,
        township_code=township_of(event.village_code),
        county_code=county_of(event.village_code),
        area_type=event.area_type,
        members=event.members,
        declaration=event.declaration,
        version=event.seq,
        opened_at=event.at,
        stage_since=event.at,
        updated_at=event.at,
    )


def _with_period(state: DibaoState, event: e.EventBase, from_month: str, amount: Decimal, size: int) -> dict[str, Any]:
    periods = tuple(p for p in state.benefit_periods if p.from_month < from_month)
    period = BenefitPeriod(
        from_month=from_month,
        monthly_amount=amount,
        household_size=size,
        parameter_set_version=event.parameter_set_version,
        seq=event.seq,
    )
    return {"benefit_periods": (*periods, period), "monthly_amount": amount}


def _opened(state: DibaoState, event: e.EventBase, trigger: str, due: date | None) -> DibaoState:
    review = OpenReview(trigger=trigger, opened_seq=event.seq, opened_on=event.at.astimezone(CHINA_TZ).date(), due=due)
    return moved(state, event, Stage.UNDER_REVIEW, review=review, info_check_requested=False, info_check=None)


@MUTATORS.on(e.MaterialsDeficiencyNotified)
def _materials_deficiency_notified(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, Stage.MATERIALS_INCOMPLETE, materials_missing=event.items, deficiency_notified=True)


@MUTATORS.on(e.ApplicationAccepted)
def _application_accepted(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, Stage.ACCEPTED, t0=event.t0, materials_missing=())


@MUTATORS.on(e.CloseRelativeFiled)
def _close_relative_filed(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, close_relatives=(*state.close_relatives, event.member_index))


@MUTATORS.on(e.InvestigationStarted)
def _investigation_started(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state,
        event,
        Stage.INVESTIGATING,
        investigation_team=event.investigators,
        investigators=tuple(dict.fromkeys((*state.investigators, *event.investigators))),
    )


@MUTATORS.on(e.HomeVisitRecorded)
def _home_visit_recorded(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state,
        event,
        home_visits=state.home_visits + 1,
        investigators=tuple(dict.fromkeys((*state.investigators, *event.investigators))),
    )


@MUTATORS.on(e.NeighbourVisitRecorded, e.LetterEvidenceRecorded)
def _neighbour_visit_recorded(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event)


@MUTATORS.on(e.InfoCheckRequested)
def _info_check_requested(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, info_check_requested=True, info_check=None)


@MUTATORS.on(e.InfoCheckCompleted)
def _info_check_completed(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, info_check=event.report)


@MUTATORS.on(e.IneligibilityByInfoCheckNotified)
def _ineligibility_by_info_check_notified(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, Stage.INFO_CHECK_NEGATIVE_NOTIFIED, info_check_negative=True)


@MUTATORS.on(e.CheckResultObjected)
def _check_result_objected(state: DibaoState, event: Any) -> DibaoState:
    # The recheck (复查) resumes the investigation; T0 and the 30-wd clock are not reset (S1 Art. 18).
    return moved(
        state,
        event,
        Stage.INVESTIGATING,
        rechecks=state.rechecks + 1,
        info_check_negative=False,
        info_check_requested=False,
        info_check=None,
    )


@MUTATORS.on(e.VillageReviewExempted)
def _village_review_exempted(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, village_review="exempted")


@MUTATORS.on(e.DemocraticAppraisalOrdered)
def _democratic_appraisal_ordered(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state,
        event,
        Stage.DEMOCRATIC_APPRAISAL,
        village_review="appraisal_ordered",
        objections=tuple(o.model_copy(update={"resolved": True}) for o in state.objections),
    )


@MUTATORS.on(e.DemocraticAppraisalHeld)
def _democratic_appraisal_held(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, village_review="appraisal_held", appraisal_conclusion=event.conclusion)


@MUTATORS.on(e.PrelimOpinionIssued)
def _prelim_opinion_issued(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state, event, Stage.PRELIM_OPINION_ISSUED, prelim_eligible=event.eligible, prelim_assessment=event.assessment
    )


@MUTATORS.on(e.PublicityStarted)
def _publicity_started(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state,
        event,
        Stage.PUBLICITY,
        publicity_starts_on=event.starts_on,
        publicity_ends_on=event.ends_on,
        publicity_ends_at=event.ends_at or end_of_day(event.ends_on),
    )


@MUTATORS.on(e.PublicityObjectionLogged)
def _publicity_objection_logged(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, objections=(*state.objections, Objection(seq=event.seq, real_name=event.real_name)))


@MUTATORS.on(e.PublicityWindowElapsed)
def _publicity_window_elapsed(state: DibaoState, event: Any) -> DibaoState:
    stage = Stage.OBJECTION_RECEIVED if event.objections else state.stage
    return moved(state, event, stage, publicity_rounds=state.publicity_rounds + 1)


@MUTATORS.on(e.ReinvestigationOrdered)
def _reinvestigation_ordered(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state,
        event,
        Stage.REINVESTIGATION,
        objections=tuple(o.model_copy(update={"resolved": True}) for o in state.objections),
    )


@MUTATORS.on(e.CaseSubmittedToCounty)
def _case_submitted_to_county(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, Stage.SUBMITTED_TO_COUNTY)


@MUTATORS.on(e.CountyReviewStarted)
def _county_review_started(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, Stage.COUNTY_REVIEW)


@MUTATORS.on(e.CountyHomeVisitRecorded)
def _county_home_visit_recorded(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state,
        event,
        county_home_visit=True,
        investigators=tuple(dict.fromkeys((*state.investigators, *event.investigators))),
    )


@MUTATORS.on(e.ComplaintReceived)
def _complaint_received(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state,
        event,
        county_home_visit=False,
        complaints=(*state.complaints, Complaint(seq=event.seq, real_name=event.real_name)),
    )


@MUTATORS.on(e.ComplaintResolved)
def _complaint_resolved(state: DibaoState, event: Any) -> DibaoState:
    first_open = next(i for i, x in enumerate(state.complaints) if not x.resolved)
    complaints = list(state.complaints)
    complaints[first_open] = complaints[first_open].model_copy(
        update={"resolved": True, "feedback_sent": event.feedback_sent}
    )
    return moved(state, event, complaints=tuple(complaints))


@MUTATORS.on(e.ApplicationApproved)
def _application_approved(state: DibaoState, event: Any) -> DibaoState:
    period = BenefitPeriod(
        from_month=event.first_payment_month,
        monthly_amount=event.monthly_amount,
        household_size=event.assessment.household_size,
        parameter_set_version=event.parameter_set_version,
        seq=event.seq,
    )
    return moved(
        state,
        event,
        Stage.APPROVED,
        monthly_amount=event.monthly_amount,
        first_payment_month=event.first_payment_month,
        decision_assessment=event.assessment,
        decided_at=event.at,
        benefit_periods=(period,),
    )


@MUTATORS.on(e.ApplicationRejected)
def _application_rejected(state: DibaoState, event: Any) -> DibaoState:
    return moved(
        state,
        event,
        Stage.REJECTED,
        rejection_reasons=event.reasons,
        decision_assessment=event.assessment,
        decided_at=event.at,
    )


@MUTATORS.on(e.RejectionNoticeServed)
def _rejection_notice_served(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, rejection_notice_served=True)


@MUTATORS.on(e.PublicationPosted)
def _publication_posted(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, published_at=event.at)


@MUTATORS.on(e.PaymentScheduled)
def _payment_scheduled(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, Stage.IN_PAYMENT)


@MUTATORS.on(e.NonCooperationRecorded)
def _non_cooperation_recorded(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, non_cooperation_count=state.non_cooperation_count + 1)


@MUTATORS.on(e.ReviewTerminatedForNonCooperation)
def _review_terminated_for_non_cooperation(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, Stage.TERMINATED_NONCOOPERATION, decided_at=event.at)


@MUTATORS.on(e.DeadlineExtended)
def _deadline_extended(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, extension_ground=event.ground)


@MUTATORS.on(e.ApplicationWithdrawn)
def _application_withdrawn(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, Stage.WITHDRAWN)


@MUTATORS.on(e.DeadlineSet)
def _deadline_set(state: DibaoState, event: Any) -> DibaoState:
    deadlines = dict(state.deadlines)
    deadlines[event.step] = Deadline(step=event.step, due=event.due, calendar_version=event.calendar_version)
    return moved(state, event, deadlines=deadlines)


@MUTATORS.on(e.EscalationRaised)
def _escalation_raised(state: DibaoState, event: Any) -> DibaoState:
    deadlines = dict(state.deadlines)
    deadlines[event.step] = deadlines[event.step].model_copy(update={"escalated": True})
    return moved(state, event, deadlines=deadlines)


@MUTATORS.on(e.ReviewScheduled)
def _review_scheduled(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, review_class=event.review_class, next_review_due=event.due)


@MUTATORS.on(e.PeriodicReviewDue)
def _periodic_review_due(state: DibaoState, event: Any) -> DibaoState:
    return _opened(state, event, "periodic", event.due)


@MUTATORS.on(e.AdHocReviewOpened)
def _ad_hoc_review_opened(state: DibaoState, event: Any) -> DibaoState:
    return _opened(state, event, event.trigger, None)


@MUTATORS.on(e.ChangeReported)
def _change_reported(state: DibaoState, event: Any) -> DibaoState:
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


@MUTATORS.on(e.DataAlertRaised)
def _data_alert_raised(state: DibaoState, event: Any) -> DibaoState:
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


@MUTATORS.on(e.ReviewCompleted)
def _review_completed(state: DibaoState, event: Any) -> DibaoState:
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
    if state.stage is Stage.EXITED:
        stage = Stage.EXITED
    elif changes.get("gradual_exit_ends_month", state.gradual_exit_ends_month) is not None:
        stage = Stage.GRADUAL_EXIT
    else:
        stage = Stage.IN_PAYMENT
    if event.outcome == "gradual_exit":
        stage = Stage.GRADUAL_EXIT
    return moved(state, event, stage, **changes)


@MUTATORS.on(e.BenefitIncreased, e.BenefitDecreased)
def _benefit_increased(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, **_with_period(state, event, event.from_month, event.new_amount, event.household_size))


@MUTATORS.on(e.GradualExitGranted)
def _gradual_exit_granted(state: DibaoState, event: Any) -> DibaoState:
    size = current_size(state)
    return moved(
        state,
        event,
        **_with_period(state, event, event.from_month, event.monthly_amount, size),
        gradual_exit_ends_month=event.ends_month,
        stop_effective_month=event.stop_effective_month,
        gradual_exit_seq=event.seq,
        exit_reasons=event.reasons,
        exit_assessment=event.assessment,
        next_review_due=None,
    )


@MUTATORS.on(e.GradualExitEnded)
def _gradual_exit_ended(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event)


@MUTATORS.on(e.BenefitStopped)
def _benefit_stopped(state: DibaoState, event: Any) -> DibaoState:
    effective = min(event.effective_month, state.stop_effective_month or event.effective_month)
    return moved(
        state,
        event,
        Stage.EXITED,
        stop_effective_month=effective,
        stop_reason=event.reason_code.value,
        review=None,
        unresolved_deaths=(),
        next_review_due=None,
        gradual_exit_ends_month=None,
    )


@MUTATORS.on(e.StopNoticeServed)
def _stop_notice_served(state: DibaoState, event: Any) -> DibaoState:
    return moved(state, event, stop_notice_served=True)


@MUTATORS.on(e.OverpaymentRecoveryOrdered)
def _overpayment_recovery_ordered(state: DibaoState, event: Any) -> DibaoState:
    recovered = dict(state.recovered)
    for month, amount in event.per_month.items():
        recovered[month] = recovered.get(month, Decimal("0")) + amount
    return moved(state, event, overpayment_ordered=state.overpayment_ordered + event.amount, recovered=recovered)


@MUTATORS.on(e.FineImposed, e.EdgeMonitoringReferred)
def _fine_imposed(state: DibaoState, event: Any) -> DibaoState:
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
        **_with_period(state, event, event.from_month, event.new_amount, current_size(state)),
    )


@MUTATORS.on(e.BenefitRecalculated)
def _benefit_recalculated(state: DibaoState, event: Any) -> DibaoState:
    applied = (*state.standard_versions_applied, event.version)
    if event.new_amount == event.old_amount:
        return moved(state, event, standard_versions_applied=applied)
    return moved(
        state,
        event,
        standard_versions_applied=applied,
        **_with_period(state, event, event.from_month, event.new_amount, event.assessment.household_size),
    )
