"""As-of re-evaluation: recompute a recorded decision with the parameters in force on its decision date and
with today's, and show both next to what was recorded (an auditor's "would this still be granted?").

Every computed decision records the :class:`domain.benefit.Assessment` it rests on and the parameter-set
version it used (SPEC §0.1, §7.4). Re-evaluating one means folding the case's events up to the decision to get
the state it was taken on, and running the very computation the handler ran on that state:

=================================== =======================================================================
event                               recomputed with (the handler's own functions)
=================================== =======================================================================
``prelim_opinion_issued``           :func:`domain.programmes.dibao.rules.assessment_for` (S1 Art. 19; S1 Arts. 12-14)
``application_approved``            :func:`domain.programmes.dibao.rules.assessment_for`; the amount granted is the 补差
                                    ``max(0, S − I) × N`` (S1 Arts. 20-21, 23; S4 Art. 12)
``application_rejected``            :func:`domain.programmes.dibao.rules.assessment_for` (S1 Art. 21)
``review_completed``                :func:`domain.programmes.dibao.rules.household_assessment` and
                                    :func:`domain.programmes.dibao.rules.payable_amount` (S1 Arts. 31-33; S1 Art. 34)
``gradual_exit_granted``            the same (S1 Art. 33; S6 §一(三))
``benefit_stopped`` (by a review)   the same (S1 Art. 32)
``benefit_recalculated``            the same, under the new version (物价联动, S4 Art. 10; S1 Art. 23)
=================================== =======================================================================

Not covered, because they carry no assessment computed when they were recorded: stops for fraud or by the
confirming authority's own decision (no assessment), the stop that carries out a 渐退期 when it runs out (its
assessment is the grant's, ``decided_seq``: re-evaluate the grant), and share cuts for job refusals
(``member_benefit_reduced``: arithmetic on the amount in payment, S1 Art. 34).

The "today" evaluation applies today's parameters to the household *as it was at the decision* (its members,
declaration and check findings then): it answers whether the same facts would still be granted under today's
rules, not whether the household is eligible today (that is a review's question, S1 Art. 31).

Pure: the caller resolves which parameters were in force (see :func:`decision_date`) and passes them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain import events as e
from domain.benefit import Assessment, Criterion
from domain.errors import InvalidInput
from domain.household import Program
from domain.kernel.clock import CHINA_TZ
from domain.parameters import ResolvedParameters
from domain.programmes import CaseState, programme_of, project
from domain.programmes.dibao.rules import assessment_for, household_assessment, payable_amount

#: Machine notes an :class:`AsOfReport` may carry.
ELIGIBILITY_NOT_REPRODUCED = "eligibility_not_reproduced"
AMOUNT_NOT_REPRODUCED = "amount_not_reproduced"  # the payable amount (after share cuts)
ASSESSED_AMOUNT_NOT_REPRODUCED = "assessed_amount_not_reproduced"  # the 补差 before share cuts
HOUSEHOLD_SIZE_NOT_REPRODUCED = "household_size_not_reproduced"
CRITERIA_NOT_REPRODUCED = "criteria_not_reproduced"
PARAMETER_VERSION_DIFFERS = "parameter_version_differs"  # at_decision is not the version the event recorded
EVENT_DIFFERS_FROM_ITS_ASSESSMENT = "event_differs_from_its_assessment"
OPINION_DIFFERS_FROM_ASSESSMENT = "opinion_differs_from_assessment"  # S1 Art. 19: "no" on an eligible one
SHARE_CUT_APPLIED = "share_cut_applied"  # S1 Art. 34: the payable amount leaves a member's share out
AMOUNT_KEPT_PENDING_REVIEW = "amount_kept_pending_review"  # S1 Arts. 31-32: a review decides, not the batch
AMOUNT_KEPT_IN_GRADUAL_EXIT = "amount_kept_in_gradual_exit"  # S1 Art. 33: the 渐退期 amount is not computed

Computation = Literal["assessment_for", "household_assessment"]

#: Events ``_decide_review`` records before its ``review_completed``, in the same batch (same instant, actor).
_REVIEW_BATCH = (e.BenefitIncreased, e.BenefitDecreased, e.OverpaymentRecoveryOrdered, e.GradualExitGranted,
                 e.BenefitStopped, e.PaymentLinesWithdrawn, e.EdgeMonitoringReferred)
_INITIAL = (e.PrelimOpinionIssued, e.ApplicationApproved, e.ApplicationRejected)


class Evaluation(BaseModel):
    """One evaluation of a decision: the recorded one, or a recomputation under given parameters.

    ``monthly_amount`` is what the decision's computation makes payable: the 补差 ``max(0, S − I) × N`` (S4
    Art. 12; S1 Art. 23), 0 when not eligible, less the shares cut for job refusals in payment (S1 Art. 34).
    ``assessed_amount`` is the 补差 before those cuts (the assessment's own ``monthly_amount``).
    """

    model_config = ConfigDict(frozen=True)

    parameter_set_version: str
    eligible: bool
    monthly_amount: Decimal
    assessed_amount: Decimal
    household_size: int
    per_capita_monthly_income: Decimal
    standard_monthly: Decimal
    criteria: list[Criterion]


class AsOfReport(BaseModel):
    """A recorded decision re-evaluated as of its decision date and as of today.

    Attributes:
        seq, type, decided_at, legal_basis: the decision event's own.
        decision_date: :func:`decision_date` of the event (China time).
        computation: the domain function the decision was (and is here) computed with.
        granted: whether the recorded decision granted or kept the benefit (an approval, an 'eligible'
            初审意见, a review that leaves the household in payment, a recalculation that finds it eligible).
        recorded: from the event's stored assessment and the amount the decision recorded as payable.
        at_decision_date: recomputed with the parameters passed as in force on the decision date.
        today: recomputed with today's parameters, on the same household facts.
        reproduced: ``at_decision_date`` matches ``recorded`` in eligibility, payable amount and 补差.
        still_granted: for a decision that granted, whether today's parameters still make the household
            eligible; None for one that did not grant (a rejection, a stop, a 渐退期, an 'ineligible' opinion:
            ``today.eligible`` says whether it would be granted now).
        amount_change_today: ``today.monthly_amount − recorded.monthly_amount``.
        notes: machine notes (the module's constants), e.g. what was not reproduced.
    """

    model_config = ConfigDict(frozen=True)

    seq: int
    type: str
    decided_at: datetime
    decision_date: date
    legal_basis: tuple[str, ...]
    computation: Computation
    granted: bool
    recorded: Evaluation
    at_decision_date: Evaluation
    today: Evaluation
    reproduced: bool
    still_granted: bool | None
    amount_change_today: Decimal
    notes: list[str] = []


def _computed_assessment(event: e.CaseEvent) -> Assessment | None:
    """The assessment ``event`` carries if it was computed when the event was recorded, else None."""
    match event:
        case (e.PrelimOpinionIssued() | e.ApplicationApproved() | e.ApplicationRejected()
              | e.ReviewCompleted() | e.GradualExitGranted() | e.BenefitRecalculated()):
            return event.assessment
        case e.BenefitStopped() if event.decided_seq is None:
            return event.assessment  # a review's stop (S1 Art. 32); None for a stop without one
    return None


def computed_decisions(events: Sequence[e.CaseEvent]) -> list[int]:
    """The seqs of the events that carry an assessment computed when they were recorded (the module's table).

    Args:
        events: a case's events.

    Returns:
        The seqs, in the order given.
    """
    return [ev.seq for ev in events if _computed_assessment(ev) is not None]


def decision_date(event: e.CaseEvent) -> date:
    """The date whose parameters the decision used: the event's instant as a China-time date (dates in the law
    are local dates); the caller resolves the parameters in force on it for the case's village.

    Every decision is computed with the parameters in force on the day it is taken. A standard-change
    recalculation (``benefit_recalculated``, S4 Art. 10) is computed with the version in force on the
    change's effective date, which the event does not record (it records the ``version`` and ``from_month``,
    which may be a later month). The recording date is used for it too: a recalculation is only applied while
    its version is the one in force (:func:`domain.standard_change.check_applicable`), so that date resolves
    to the same version. Use :func:`recorded_version` to check, or to resolve by version instead.
    """
    return event.at.astimezone(CHINA_TZ).date()


def recorded_version(event: e.CaseEvent) -> str | None:
    """The parameter-set version the decision recorded it used (SPEC §7.4): a recalculation's ``version``,
    else the stored assessment's, else the event's ``parameter_set_version``."""
    if isinstance(event, e.BenefitRecalculated):
        return event.version
    assessment = _computed_assessment(event)
    return assessment.parameter_set_version if assessment is not None else event.parameter_set_version


def _evaluation(assessment: Assessment, payable: Decimal) -> Evaluation:
    return Evaluation(
        parameter_set_version=assessment.parameter_set_version,
        eligible=assessment.eligible,
        monthly_amount=payable,
        assessed_amount=assessment.monthly_amount,
        household_size=assessment.household_size,
        per_capita_monthly_income=assessment.per_capita_monthly_income,
        standard_monthly=assessment.standard_monthly,
        criteria=list(assessment.criteria),
    )


def _recompute(state: CaseState, params: ResolvedParameters, computation: Computation) -> Evaluation:
    """The handler's computation on ``state`` under ``params``."""
    if state.program != Program.DIBAO:
        # another programme's own assessment, as its procedure's handlers ran it (特困: S3 Arts. 4-9; S4 Art. 15)
        assessment = programme_of(state.program).procedure.assess(state, params)
        return _evaluation(assessment, assessment.monthly_amount)
    if computation == "assessment_for":
        # _prelim_opinion, _approve, _reject: the whole household, the declaration as corrected by the
        # information check (S1 Art. 17)
        assessment = assessment_for(state, params)
        return _evaluation(assessment, assessment.monthly_amount)
    # _decide_review, _standard_change: the members who still count (S1 Art. 7), less cut shares (S1 Art. 34)
    assessment = household_assessment(state, params)
    return _evaluation(assessment, payable_amount(state, assessment, params))


def _review_batch_start(events: Sequence[e.CaseEvent], pos: int) -> int:
    """Index of the first event of the batch the review decision at ``pos`` recorded."""
    target = events[pos]
    start = pos
    while start > 0:
        prev = events[start - 1]
        if not isinstance(prev, _REVIEW_BATCH) or prev.at != target.at or prev.actor != target.actor:
            break
        start -= 1
    return start


def _recorded(event: e.CaseEvent, stored: Assessment, batch: Sequence[e.CaseEvent], state: CaseState,
              at_decision: ResolvedParameters, notes: list[str]) -> tuple[Evaluation, bool]:
    """The recorded evaluation and whether the decision granted, from the event (and its batch)."""
    match event:
        case e.PrelimOpinionIssued():
            if event.eligible != stored.eligible:
                notes.append(OPINION_DIFFERS_FROM_ASSESSMENT if stored.eligible
                             else EVENT_DIFFERS_FROM_ITS_ASSESSMENT)
            return _evaluation(stored, stored.monthly_amount), event.eligible
        case e.ApplicationApproved():
            if event.monthly_amount != stored.monthly_amount or not stored.eligible:
                notes.append(EVENT_DIFFERS_FROM_ITS_ASSESSMENT)
            return _evaluation(stored, event.monthly_amount), True
        case e.ApplicationRejected():
            return _evaluation(stored, stored.monthly_amount), False
    # In payment: the payable amount the decision recorded where it recorded one, else the one its assessment
    # gives (the share cut rate is not in the assessment: it is taken from ``at_decision``).
    payable = payable_amount(state, stored, at_decision)
    granted = stored.eligible
    match event:
        case e.BenefitRecalculated():
            if event.eligible != stored.eligible:
                notes.append(EVENT_DIFFERS_FROM_ITS_ASSESSMENT)
            if state.gradual_exit_ends_month is not None:
                notes.append(AMOUNT_KEPT_IN_GRADUAL_EXIT)
            elif not stored.eligible:
                notes.append(AMOUNT_KEPT_PENDING_REVIEW)
            else:
                payable = event.new_amount
        case e.ReviewCompleted():
            changed = [ev for ev in batch if isinstance(ev, e.BenefitIncreased | e.BenefitDecreased)]
            if changed:
                payable = changed[-1].new_amount
            granted = event.outcome in ("increased", "decreased", "resumed") or (
                event.outcome == "no_change" and stored.eligible)
        case e.GradualExitGranted():
            notes.append(AMOUNT_KEPT_IN_GRADUAL_EXIT)
            granted = False
        case e.BenefitStopped():
            granted = False
    return _evaluation(stored, payable), granted


def _compare(recorded: Evaluation, recomputed: Evaluation, notes: list[str]) -> bool:
    checks = [
        (recorded.eligible == recomputed.eligible, ELIGIBILITY_NOT_REPRODUCED),
        (recorded.monthly_amount == recomputed.monthly_amount, AMOUNT_NOT_REPRODUCED),
        (recorded.assessed_amount == recomputed.assessed_amount, ASSESSED_AMOUNT_NOT_REPRODUCED),
    ]
    notes += [note for ok, note in checks if not ok]
    if recorded.household_size != recomputed.household_size:
        notes.append(HOUSEHOLD_SIZE_NOT_REPRODUCED)
    if recorded.criteria != recomputed.criteria:
        notes.append(CRITERIA_NOT_REPRODUCED)
    if recorded.parameter_set_version != recomputed.parameter_set_version:
        notes.append(PARAMETER_VERSION_DIFFERS)
    return all(ok for ok, _ in checks)


def reevaluate(events: Sequence[e.CaseEvent], seq: int, at_decision: ResolvedParameters,
               today: ResolvedParameters) -> AsOfReport:
    """Re-evaluate the computed decision at ``seq`` with the parameters in force on its decision date and with
    today's, next to what it recorded.

    The state the decision was taken on is the fold (:func:`domain.programmes.project`) of the events recorded
    before it; for a review decision (S1 Art. 31), of the events before the batch it belongs to (the
    increase, decrease, 渐退期 or stop recorded with it, none of which changes what is assessed). The
    recomputation is the handler's own (see the module's table). ``reproduced`` says whether the decision can
    be reproduced from its record (SPEC §0.1: every decision explainable and re-checkable); it should be True
    whenever ``at_decision`` is the version the event recorded (:func:`recorded_version`).

    Args:
        events: the case's events from seq 1, in order, at least up to ``seq``.
        seq: the decision event's seq (one of :func:`computed_decisions`).
        at_decision: the parameters in force for the case's village on :func:`decision_date` of the event.
        today: the parameters in force for the case's village today.

    Returns:
        The report.

    Raises:
        InvalidInput: ``field=("seq",)``: no event has that seq, or the event carries no assessment computed
            when it was recorded; ``field=("events",)``: the events do not run from seq 1 in order.
    """
    if seq < 1 or seq > len(events):
        raise InvalidInput(f"the case has no event {seq}", field=("seq",))
    pos = seq - 1
    if any(ev.seq != i + 1 for i, ev in enumerate(events[:seq])):
        raise InvalidInput("the events must be the case's events from seq 1, in order", field=("events",))
    event = events[pos]
    stored = _computed_assessment(event)
    if stored is None:
        if isinstance(event, e.BenefitStopped) and event.decided_seq is not None:
            raise InvalidInput(f"this stop carries out the 渐退期 decided at event {event.decided_seq} "
                               "(S1 Art. 33); re-evaluate that decision", field=("seq",))
        raise InvalidInput(f"event {seq} ({event.type}) carries no computed assessment", field=("seq",))
    start = _review_batch_start(events, pos) if isinstance(event, e.ReviewCompleted) else pos
    state = project(events[:start])
    assert state is not None  # the first event is the application, which carries no assessment
    computation: Computation = "assessment_for" if isinstance(event, _INITIAL) else "household_assessment"

    notes: list[str] = []
    recorded, granted = _recorded(event, stored, events[start:pos], state, at_decision, notes)
    then = _recompute(state, at_decision, computation)
    now = _recompute(state, today, computation)
    reproduced = _compare(recorded, then, notes)
    if then.monthly_amount < then.assessed_amount:
        notes.append(SHARE_CUT_APPLIED)
    return AsOfReport(
        seq=event.seq,
        type=event.type,
        decided_at=event.at,
        decision_date=decision_date(event),
        legal_basis=event.legal_basis,
        computation=computation,
        granted=granted,
        recorded=recorded,
        at_decision_date=then,
        today=now,
        reproduced=reproduced,
        still_granted=now.eligible if granted else None,
        amount_change_today=now.monthly_amount - recorded.monthly_amount,
        notes=list(dict.fromkeys(notes)),
    )
