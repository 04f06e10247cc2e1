"""Events: what happened to a case (past-tense names), each a complete decision record.

Every event records who (actor id, role, jurisdiction), when, why (``reason``), the legal basis (source
tag and article from SPEC §0.2) and the parameter-set version it used, if any. Events are numbered per case
by ``seq``. Computed decisions carry their :class:`domain.benefit.Assessment` (the explanation).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Union
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from domain.actors import Actor
from domain.benefit import Assessment, Criterion
from domain.commands import (
    AdlItem,
    AlertType,
    Attendee,
    DisabilityKind,
    ExtensionGround,
    LinkDelivery,
    LinkEffect,
    Material,
    MemberLeaving,
    StopReason,
    Supporter,
    TerminationGround,
)
from domain.household import AreaType, Declaration, Member, Program
from domain.kernel.state import EarlierCase
from domain.parameters import CareTier, SupportForm
from domain.procedure.records import ReviewClass
from domain.temporary import Form, InKindItem, Instalment, ReportSource, Severity, TemporaryCause, TemporaryType
from domain.verification import InfoCheckReport


class EventBase(BaseModel):
    """Fields common to every event."""

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    seq: int = Field(ge=1)
    at: datetime
    actor: Actor
    reason: str | None = None
    legal_basis: tuple[str, ...] = ()
    parameter_set_version: str | None = None
    schema_version: int = 1

    #: Fields added to an event type after events of it were first recorded. They are left out of the payload
    #: while they hold their default, so an event recorded before they existed and the same event re-derived
    #: by today's code are the same bytes (the ledger pins events by digest; an audit replay compares them).
    LATE_FIELDS: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_late_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if self.LATE_FIELDS and isinstance(data, dict):
            fields = type(self).model_fields
            for name in self.LATE_FIELDS:
                if name in data and getattr(self, name) == fields[name].default:
                    del data[name]
        return data


class ApplicationSubmitted(EventBase):
    """The household's application was handed in (S1 Arts. 4, 6, 9). Not yet accepted: no T0."""

    type: Literal["application_submitted"] = "application_submitted"
    program: Program
    village_code: str
    area_type: AreaType
    members: tuple[Member, ...]
    declaration: Declaration = Declaration()
    #: The referral (another programme's ``referral_recorded``) this application was opened from, if any.
    referral_id: UUID | None = None

    LATE_FIELDS: ClassVar[frozenset[str]] = frozenset({"referral_id"})


class EarlierCasesLinked(EventBase):
    """The household members' earlier cases (any programme, any outcome), found in the register when the
    application was submitted and linked to it, so the investigation and the review see an earlier refusal and
    its reasons (S4 Art. 59; S1 Art. 20). Recorded with the application, in the same decision."""

    type: Literal["earlier_cases_linked"] = "earlier_cases_linked"
    earlier_cases: tuple[EarlierCase, ...]


class MaterialsDeficiencyNotified(EventBase):
    type: Literal["materials_deficiency_notified"] = "materials_deficiency_notified"
    items: tuple[Material, ...]


class ApplicationAccepted(EventBase):
    type: Literal["application_accepted"] = "application_accepted"
    t0: date


class CloseRelativeFiled(EventBase):
    type: Literal["close_relative_filed"] = "close_relative_filed"
    member_index: int
    related_to: str


class StaffRecused(EventBase):
    """A staff member filed as a close relative of a member (S1 Art. 11) stands aside from the case (回避):
    from this event on every command of theirs on the case is refused, and so is a command naming them in an
    investigation team. Recorded at 受理 right after the filing that names them (a new event type: the
    filing's own payload stays as recorded)."""

    type: Literal["staff_recused"] = "staff_recused"
    staff_id: str
    member_index: int
    related_to: str


class InvestigationStarted(EventBase):
    type: Literal["investigation_started"] = "investigation_started"
    investigators: tuple[str, ...]


class HomeVisitRecorded(EventBase):
    type: Literal["home_visit_recorded"] = "home_visit_recorded"
    investigators: tuple[str, ...]
    remote: bool
    findings: str
    evidence_sha256: tuple[str, ...] = ()


class NeighbourVisitRecorded(EventBase):
    type: Literal["neighbour_visit_recorded"] = "neighbour_visit_recorded"
    notes: str


class LetterEvidenceRecorded(EventBase):
    type: Literal["letter_evidence_recorded"] = "letter_evidence_recorded"
    notes: str


class InfoCheckRequested(EventBase):
    type: Literal["info_check_requested"] = "info_check_requested"


class InfoCheckCompleted(EventBase):
    type: Literal["info_check_completed"] = "info_check_completed"
    report: InfoCheckReport


class IneligibilityByInfoCheckNotified(EventBase):
    type: Literal["ineligibility_by_info_check_notified"] = "ineligibility_by_info_check_notified"
    reasons: tuple[str, ...]


class CheckResultObjected(EventBase):
    type: Literal["check_result_objected"] = "check_result_objected"
    evidence: str


class VillageReviewExempted(EventBase):
    type: Literal["village_review_exempted"] = "village_review_exempted"


class DemocraticAppraisalOrdered(EventBase):
    type: Literal["democratic_appraisal_ordered"] = "democratic_appraisal_ordered"


class DemocraticAppraisalHeld(EventBase):
    type: Literal["democratic_appraisal_held"] = "democratic_appraisal_held"
    minutes: str
    attendance: tuple[Attendee, ...]
    conclusion: str


class PrelimOpinionIssued(EventBase):
    type: Literal["prelim_opinion_issued"] = "prelim_opinion_issued"
    eligible: bool
    reasons: tuple[str, ...] = ()
    reissued: bool = False
    assessment: Assessment


class PublicityStarted(EventBase):
    type: Literal["publicity_started"] = "publicity_started"
    location: str
    starts_on: date
    ends_on: date
    ends_at: datetime | None = None  # the instant the window closes (end of ends_on, China time)
    unit: str
    notice_sha256: str | None = None
    days: int | None = None  # the period in days (None: recorded before it was; or a test window in seconds)
    counting: str | None = None  # PeriodCounting (None: recorded before it was a parameter = start day counted)

    LATE_FIELDS: ClassVar[frozenset[str]] = frozenset({"days", "counting"})


class PublicityObjectionLogged(EventBase):
    type: Literal["publicity_objection_logged"] = "publicity_objection_logged"
    real_name: bool
    content: str


class PublicityWindowElapsed(EventBase):
    type: Literal["publicity_window_elapsed"] = "publicity_window_elapsed"
    objections: int


class ReinvestigationOrdered(EventBase):
    type: Literal["reinvestigation_ordered"] = "reinvestigation_ordered"


class CaseSubmittedToCounty(EventBase):
    type: Literal["case_submitted_to_county"] = "case_submitted_to_county"


class CountyReviewStarted(EventBase):
    type: Literal["county_review_started"] = "county_review_started"


class CountyHomeVisitRecorded(EventBase):
    type: Literal["county_home_visit_recorded"] = "county_home_visit_recorded"
    investigators: tuple[str, ...]
    findings: str


class ComplaintReceived(EventBase):
    type: Literal["complaint_received"] = "complaint_received"
    real_name: bool
    content: str


class ComplaintResolved(EventBase):
    type: Literal["complaint_resolved"] = "complaint_resolved"
    feedback_sent: bool
    finding: str


class ApplicationApproved(EventBase):
    type: Literal["application_approved"] = "application_approved"
    monthly_amount: Decimal
    first_payment_month: str  # YYYY-MM, the month after the decision (S1 Art. 21)
    assessment: Assessment


class ApplicationRejected(EventBase):
    type: Literal["application_rejected"] = "application_rejected"
    reasons: tuple[str, ...]
    notice_due: date | None = None
    assessment: Assessment | None = None


class RejectionNoticeServed(EventBase):
    type: Literal["rejection_notice_served"] = "rejection_notice_served"


class PublicationPosted(EventBase):
    type: Literal["publication_posted"] = "publication_posted"
    location: str


class PaymentScheduled(EventBase):
    type: Literal["payment_scheduled"] = "payment_scheduled"
    first_payment_month: str
    monthly_amount: Decimal


class NonCooperationRecorded(EventBase):
    type: Literal["non_cooperation_recorded"] = "non_cooperation_recorded"
    note: str


class ReviewTerminatedForNonCooperation(EventBase):
    type: Literal["review_terminated_for_non_cooperation"] = "review_terminated_for_non_cooperation"


class DeadlineExtended(EventBase):
    type: Literal["deadline_extended"] = "deadline_extended"
    ground: ExtensionGround


class ApplicationWithdrawn(EventBase):
    type: Literal["application_withdrawn"] = "application_withdrawn"


class DeadlineSet(EventBase):
    """A step's legal time limit, computed with the working-day calendar in an activity.

    ``start`` and ``working_days`` — what was counted — let a deadline computed *provisionally* (a year the
    calendar did not cover yet: ``calendar_version`` ends ``+provisional-YYYY``) be counted again once that
    year's schedule is entered. Events recorded before they were kept (and runs without the patch
    ``case-deadline-count-v1``) lack them: late fields, left out while None.
    """

    type: Literal["deadline_set"] = "deadline_set"
    step: str
    due: date
    calendar_version: str
    start: date | None = None
    working_days: int | None = None

    LATE_FIELDS: ClassVar[frozenset[str]] = frozenset({"start", "working_days"})


class EscalationRaised(EventBase):
    """A step is overdue. Escalations inform; they never decide (SPEC §0.1)."""

    type: Literal["escalation_raised"] = "escalation_raised"
    step: str
    due: date


# --- The in-payment life (SPEC §8, §11) -------------------------------------------------------------------


class ReviewScheduled(EventBase):
    """The review class and the next periodic review's due date (S1 Art. 31; S5 item 7)."""

    type: Literal["review_scheduled"] = "review_scheduled"
    review_class: ReviewClass
    interval_months: int
    due: date


class PeriodicReviewDue(EventBase):
    """The periodic review opened on its due date (S1 Art. 31)."""

    type: Literal["periodic_review_due"] = "periodic_review_due"
    due: date


class AdHocReviewOpened(EventBase):
    """A review opened outside the cycle: a reported change, a data alert, a standard change or by staff."""

    type: Literal["ad_hoc_review_opened"] = "ad_hoc_review_opened"
    trigger: Literal["change_report", "data_alert", "standard_change", "ad_hoc"]


class ChangeReported(EventBase):
    """The household reported a change (S1 Art. 30; S4 Art. 13)."""

    type: Literal["change_reported"] = "change_reported"
    members_joining: tuple[Member, ...] = ()
    members_leaving: tuple[MemberLeaving, ...] = ()
    declaration: Declaration | None = None


class DataAlertRaised(EventBase):
    """A data comparison matched (S6 §三(二), §三(三))."""

    type: Literal["data_alert_raised"] = "data_alert_raised"
    alert: AlertType
    member_index: int | None = None
    occurred_on: date
    source: str


class HouseholdAmended(EventBase):
    """Before the decision the household was amended, with its evidence (S1 Arts. 7, 9; S6 §一(三)): members
    joining, members who no longer count, the declaration as it stands now. ``proposal_seq``: the data alert's
    proposal it confirms, if any."""

    type: Literal["household_amended"] = "household_amended"
    members_joining: tuple[Member, ...] = ()
    members_leaving: tuple[MemberLeaving, ...] = ()
    declaration: Declaration | None = None
    evidence: str
    proposal_seq: int | None = None


class AmendmentProposed(EventBase):
    """A data alert for a case not yet decided: an amendment for the township to confirm (S6 §三(二))."""

    type: Literal["amendment_proposed"] = "amendment_proposed"
    alert: AlertType
    member_index: int | None = None
    occurred_on: date
    source: str


class AmendmentDismissed(EventBase):
    type: Literal["amendment_dismissed"] = "amendment_dismissed"
    proposal_seq: int


class OpinionReopenedByAmendment(EventBase):
    """An amendment after the 初审意见 changed what it said (eligibility, household size or amount): a fresh
    opinion is due (S1 Art. 19), the case is back in re-investigation."""

    type: Literal["opinion_reopened_by_amendment"] = "opinion_reopened_by_amendment"
    eligible_before: bool | None = None
    eligible_after: bool | None = None
    amount_before: Decimal | None = None
    amount_after: Decimal | None = None
    size_after: int


class ReviewCompleted(EventBase):
    """The review's decision (S1 Art. 31): the outcome, the assessment it rests on, and the next due date."""

    type: Literal["review_completed"] = "review_completed"
    outcome: Literal["no_change", "increased", "decreased", "gradual_exit", "stopped", "resumed"]
    periodic: bool
    assessment: Assessment | None = None
    review_class: ReviewClass | None = None
    next_review_due: date | None = None


class BenefitIncreased(EventBase):
    type: Literal["benefit_increased"] = "benefit_increased"
    old_amount: Decimal
    new_amount: Decimal
    household_size: int
    from_month: str


class BenefitDecreased(EventBase):
    """A decrease, with the reasons that go onto the written notice (S1 Art. 32)."""

    type: Literal["benefit_decreased"] = "benefit_decreased"
    old_amount: Decimal
    new_amount: Decimal
    household_size: int
    from_month: str
    reasons: tuple[str, ...]


class GradualExitGranted(EventBase):
    """渐退期 (S1 Art. 33; S6 §一(三)): paid through ``ends_month``; the stop from ``stop_effective_month`` is
    decided here, with its reasons, and only takes effect when the period runs out."""

    type: Literal["gradual_exit_granted"] = "gradual_exit_granted"
    months: int
    monthly_amount: Decimal
    from_month: str
    ends_month: str
    stop_effective_month: str
    override_reason: str | None = None
    reasons: tuple[str, ...]
    assessment: Assessment


class GradualExitEnded(EventBase):
    type: Literal["gradual_exit_ended"] = "gradual_exit_ended"
    granted_seq: int


class BenefitStopped(EventBase):
    """停保 with reasons for the written notice (S1 Art. 32); no payment from ``effective_month`` on.

    ``schema_version`` 2 (stops decided since patch ``case-stopping-v1``): the decision only — the case stays in
    payment, ``stopping``, until the stop month has begun and the notice is served, and :class:`CaseExited`
    then records the exit. Version 1 (recorded before): the stop and the exit in one, the case ``exited`` at once.
    """

    type: Literal["benefit_stopped"] = "benefit_stopped"
    reason_code: StopReason
    reasons: tuple[str, ...]
    effective_month: str
    assessment: Assessment | None = None
    decided_seq: int | None = None  # for a stop decided earlier (the 渐退期 grant), the seq of that decision


class StopNoticeServed(EventBase):
    type: Literal["stop_notice_served"] = "stop_notice_served"


class CaseExited(EventBase):
    """The stopped case left payment: its stop month has begun and its stop notice was served (the engine's,
    the consequence of the stop decision; S1 Art. 32)."""

    type: Literal["case_exited"] = "case_exited"
    effective_month: str


class OverpaymentRecoveryOrdered(EventBase):
    """Money paid for months after the entitlement ended is to be repaid (S4 Art. 68; SPEC §12 sc. 11)."""

    type: Literal["overpayment_recovery_ordered"] = "overpayment_recovery_ordered"
    amount: Decimal
    months: tuple[str, ...] = ()
    per_month: dict[str, Decimal] = {}  # empty for a fraud recovery (the amount obtained, S4 Art. 68)


class PaymentLinesWithdrawn(EventBase):
    """Lines of a payment roll drawn up for months the benefit no longer covers, withdrawn before they were paid
    (a stop decided after next month's roll was drawn): nothing was paid for them, so nothing is ordered back
    (S1 Arts. 25, 32), and what earlier decisions ordered back for them (a decrease) or decided to pay on top
    of them (补发 after a raised standard) is cancelled. Recorded with the stop; the case store marks the lines
    withdrawn on the roll."""

    type: Literal["payment_lines_withdrawn"] = "payment_lines_withdrawn"
    months: tuple[str, ...]
    per_month: dict[str, Decimal]
    amount: Decimal
    recoveries_cancelled: dict[str, Decimal] = {}
    back_pay_cancelled: dict[str, Decimal] = {}


class FineImposed(EventBase):
    type: Literal["fine_imposed"] = "fine_imposed"
    multiple: Decimal
    amount: Decimal


class JobRefusalRecorded(EventBase):
    type: Literal["job_refusal_recorded"] = "job_refusal_recorded"
    member_index: int
    offer: str
    good_reason: bool
    consecutive: int


class MemberBenefitReduced(EventBase):
    """That member's share only is cut; the other members' shares are unchanged (S1 Art. 34)."""

    type: Literal["member_benefit_reduced"] = "member_benefit_reduced"
    member_index: int
    share_cut: Decimal
    old_amount: Decimal
    new_amount: Decimal
    from_month: str


class BenefitRecalculated(EventBase):
    """物价联动: the amount under a new parameter version, from its effective month (a recorded decision)."""

    type: Literal["benefit_recalculated"] = "benefit_recalculated"
    version: str
    old_amount: Decimal
    new_amount: Decimal
    from_month: str
    eligible: bool
    assessment: Assessment


class BackPayDecided(EventBase):
    """补发: a standard raised with an effective date in the past (issued in March from 1 January) reaches
    months already paid at the old amount; the difference per month is owed to the household (S4 Art. 10;
    S1 Art. 23). Decided and recorded with the recalculation that causes it."""

    type: Literal["back_pay_decided"] = "back_pay_decided"
    version: str
    amount: Decimal
    months: tuple[str, ...] = ()
    per_month: dict[str, Decimal] = {}


class EdgeMonitoringReferred(EventBase):
    """After exit the household is below the near-dibao line: it enters low-income monitoring (S1 Art. 8;
    S7 §三)."""

    type: Literal["edge_monitoring_referred"] = "edge_monitoring_referred"
    per_capita_monthly_income: Decimal
    threshold: Decimal


class ReferralRecorded(EventBase):
    """Members of the household were referred to another programme (转介 / 转办, S4 Art. 60; S5 item 23): a
    referral the front office of that programme opens as a new application with the household pre-filled. The
    referral's own reason is the envelope's ``reason``; which members (by index) it is for, and the programme."""

    type: Literal["referral_recorded"] = "referral_recorded"
    referral_id: UUID
    to_program: Program
    member_indexes: tuple[int, ...]


class IntakeLinked(EventBase):
    """The case was opened from a 一门受理 intake (S5 item 23; S4 Art. 60): the intake, the parameter version it
    was screened with and every programme's screening outcome, recorded with the application."""

    type: Literal["intake_linked"] = "intake_linked"
    intake_id: UUID
    screened_with: str
    outcomes: dict[str, str]


#: The events of the procedure kernel as dibao first built it: the shared steps' and dibao's own. A programme
#: lists the events it records (``Programme.event_vocabulary``); new programmes append their own below.
PROCEDURE_EVENTS: tuple[type[EventBase], ...] = (
    ApplicationSubmitted,
    EarlierCasesLinked,
    MaterialsDeficiencyNotified,
    ApplicationAccepted,
    CloseRelativeFiled,
    StaffRecused,
    InvestigationStarted,
    HomeVisitRecorded,
    NeighbourVisitRecorded,
    LetterEvidenceRecorded,
    InfoCheckRequested,
    InfoCheckCompleted,
    IneligibilityByInfoCheckNotified,
    CheckResultObjected,
    VillageReviewExempted,
    DemocraticAppraisalOrdered,
    DemocraticAppraisalHeld,
    PrelimOpinionIssued,
    PublicityStarted,
    PublicityObjectionLogged,
    PublicityWindowElapsed,
    ReinvestigationOrdered,
    CaseSubmittedToCounty,
    CountyReviewStarted,
    CountyHomeVisitRecorded,
    ComplaintReceived,
    ComplaintResolved,
    ApplicationApproved,
    ApplicationRejected,
    RejectionNoticeServed,
    PublicationPosted,
    PaymentScheduled,
    NonCooperationRecorded,
    ReviewTerminatedForNonCooperation,
    DeadlineExtended,
    ApplicationWithdrawn,
    DeadlineSet,
    EscalationRaised,
    ReviewScheduled,
    PeriodicReviewDue,
    AdHocReviewOpened,
    ChangeReported,
    DataAlertRaised,
    HouseholdAmended,
    AmendmentProposed,
    AmendmentDismissed,
    OpinionReopenedByAmendment,
    ReviewCompleted,
    BenefitIncreased,
    BenefitDecreased,
    GradualExitGranted,
    GradualExitEnded,
    BenefitStopped,
    StopNoticeServed,
    CaseExited,
    OverpaymentRecoveryOrdered,
    PaymentLinesWithdrawn,
    FineImposed,
    JobRefusalRecorded,
    MemberBenefitReduced,
    BenefitRecalculated,
    BackPayDecided,
    EdgeMonitoringReferred,
)

#: Events a case of any programme may record: a referral to another programme (kernel, see
#: ``domain.procedure.referral``).
KERNEL_EVENTS: tuple[type[EventBase], ...] = (ReferralRecorded, IntakeLinked)

# --- 临时救助 (temporary assistance, S4 Arts. 47-49; S8 §二; S5 item 15; SPEC §5) ---------------------------


class TemporaryNeedDeclared(EventBase):
    """What the 临时救助 application (or the emergency report) says: type, cause, severity, the essential
    expenditure; recorded with the application (S4 Art. 47; S8 §二(一))."""

    type: Literal["temporary_need_declared"] = "temporary_need_declared"
    kind: TemporaryType
    cause: TemporaryCause
    severity: Severity
    situation: str
    essential_expenditure: Decimal = Decimal("0")
    on_dibao_or_tekun: bool = False


class EmergencyReported(EventBase):
    """An emergency reported for 先行救助 (self, village, hotline, or discovered in data; SPEC §5.3)."""

    type: Literal["emergency_reported"] = "emergency_reported"
    source: ReportSource


class UrgentAssistanceGranted(EventBase):
    """先行救助 granted at once up to the urgent cap, with the minimal record, paid from the township's reserve
    fund (S8 §二(二), §三(三); S5 item 15). The draw is keyed by the case and this event's seq."""

    type: Literal["urgent_assistance_granted"] = "urgent_assistance_granted"
    amount: Decimal
    form: Form
    in_kind: tuple[InKindItem, ...] = ()
    urgent_cap: Decimal
    township_code: str


class EmergencyEased(EventBase):
    type: Literal["emergency_eased"] = "emergency_eased"
    note: str


class UrgentGrantRegularised(EventBase):
    """The urgent grant's formalities completed: registration of person, reason and amount, the staff's
    signatures and the seal (S8 §二(二))."""

    type: Literal["urgent_grant_regularised"] = "urgent_grant_regularised"
    registration: str
    signatures: tuple[str, ...]
    sealed: bool
    documents_sha256: tuple[str, ...] = ()
    follow_up: bool = False


class FollowUpOpened(EventBase):
    """跟进救助: after the urgent grant the case continues on the normal path (S5 item 15; S8 §二(四)); the
    clock starts as at an acceptance."""

    type: Literal["follow_up_opened"] = "follow_up_opened"
    t0: date


class CaseDiscussionHeld(EventBase):
    """一事一议: the county coordination mechanism's meeting on the case (S5 item 15; S8 §二(三))."""

    type: Literal["case_discussion_held"] = "case_discussion_held"
    meeting_date: date
    members: tuple[str, ...]
    decision: Literal["approve", "reject"]
    amount: Decimal
    minutes: str


class RepeatAssistanceJustified(EventBase):
    """Why a household assisted within the repeat period is assisted again (LOCAL rule, UNCONFIRMED)."""

    type: Literal["repeat_assistance_justified"] = "repeat_assistance_justified"
    justification: str
    earlier_case_ids: tuple[UUID, ...] = ()


class TemporaryAssistanceApproved(EventBase):
    """审批: the amount (from the tier table, explained, or the 一事一议 decision), the instalments on their dates,
    cash or in kind, and who approved at which level (S4 Art. 48; S8 §二(二)-(四))."""

    type: Literal["temporary_assistance_approved"] = "temporary_assistance_approved"
    amount: Decimal
    tier_amount: Decimal
    level: Literal["township", "county"]
    form: Form
    in_kind: tuple[InKindItem, ...] = ()
    instalments: tuple[Instalment, ...]
    criteria: tuple[Criterion, ...]
    assessment: Assessment


class InstalmentsCancelled(EventBase):
    """The remaining instalments from ``from_index`` cancelled, with the reason (S8 §二(四))."""

    type: Literal["instalments_cancelled"] = "instalments_cancelled"
    from_index: int
    cancelled_amount: Decimal


class TemporaryAssistanceCompleted(EventBase):
    """The month of the last instalment has begun: nothing more is paid; the case is complete."""

    type: Literal["temporary_assistance_completed"] = "temporary_assistance_completed"


#: 临时救助's own events (the other programmes leave them out of their vocabulary).
TEMPORARY_EVENTS: tuple[type[EventBase], ...] = (
    TemporaryNeedDeclared, EmergencyReported, UrgentAssistanceGranted, EmergencyEased, UrgentGrantRegularised,
    FollowUpOpened, CaseDiscussionHeld, RepeatAssistanceJustified, TemporaryAssistanceApproved,
    InstalmentsCancelled, TemporaryAssistanceCompleted,
)


# --- Links between programmes (the kernel's; every programme records them) -------------------------------


class LinkReceived(EventBase):
    """Another case of the same person recorded an event with an effect on this case (``effect``); the
    source case and event name it on both trails. ``key`` is the delivery's: a second delivery records
    nothing."""

    type: Literal["link_received"] = "link_received"
    key: str
    effect: LinkEffect
    source_case_id: UUID
    source_program: str
    source_seq: int
    resident_id: str
    occurred_on: date | None = None


class LinksDelivered(EventBase):
    """The effects of this case's event ``source_seq`` on the person's other cases, and where they went."""

    type: Literal["links_delivered"] = "links_delivered"
    source_seq: int
    deliveries: tuple[LinkDelivery, ...]


#: The kernel's link events, every programme records them.
LINK_EVENTS: tuple[type[EventBase], ...] = (LinkReceived, LinksDelivered)


# --- 残疾人两项补贴 and 高龄津贴 (SPEC §6.2, §6.3) --------------------------------------------------------


class Grant(BaseModel):
    """One subsidy of an allowance case: ``living`` / ``care`` (两项补贴) or ``old_age`` (高龄津贴, with its
    band), and the monthly amount under the parameters in force."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["living", "care", "old_age"]
    monthly: Decimal
    band_min_age: int | None = None


class EnrolmentProposed(EventBase):
    """主动发现: the hukou data shows the person has reached an age band; the township is to confirm (SPEC
    §6.3). Opens an allowance case without an application."""

    type: Literal["enrolment_proposed"] = "enrolment_proposed"
    program: Program
    village_code: str
    members: tuple[Member, ...]
    birth_date: date
    band_min_age: int
    source: str


class AllowanceReviewed(EventBase):
    """The township's review of a 两项补贴 application against the certificate (S12; SPEC §6.2): the
    certificate's facts, the person's dibao status found in this engine, and what the township recommends."""

    type: Literal["allowance_reviewed"] = "allowance_reviewed"
    disability_kind: DisabilityKind
    grade: int
    certificate_number: str
    long_term_care: bool
    work_injury_care: bool
    in_dibao: bool
    in_tekun: bool
    recommend: bool
    proposed: tuple[Grant, ...]


class AllowanceGranted(EventBase):
    """确认: the grants, paid from ``first_payment_month``. For 高龄津贴 also the band ages in force (the next
    band's birthday) and the first survival check: due ``next_check_due``, payment held from ``hold_on``."""

    type: Literal["allowance_granted"] = "allowance_granted"
    grants: tuple[Grant, ...]
    first_payment_month: str
    band_ages: tuple[int, ...] = ()
    next_check_due: date | None = None
    hold_on: date | None = None


class AllowanceRefused(EventBase):
    type: Literal["allowance_refused"] = "allowance_refused"
    reasons: tuple[str, ...]


class AllowanceChanged(EventBase):
    """The subsidies change from ``from_month``: a band reached, a review's outcome, an exclusion."""

    type: Literal["allowance_changed"] = "allowance_changed"
    grants: tuple[Grant, ...]
    from_month: str
    cause: Literal["age_band", "review", "exclusion"]


class AllowanceReviewOpened(EventBase):
    """A review of the subsidies is open (payment goes on meanwhile); ``trigger`` names what opened it."""

    type: Literal["allowance_review_opened"] = "allowance_review_opened"
    trigger: str


class PaymentHeld(EventBase):
    """The survival check was missed: payment is held from ``from_month`` (not a stop: the entitlement stands
    and the months held are paid once the check is done; SPEC §6.3)."""

    type: Literal["payment_held"] = "payment_held"
    from_month: str
    due: date


class SurvivalCheckRecorded(EventBase):
    """生存认证 done; ``resumed_months``: the held months now paid (补发), ``next_due`` the next check."""

    type: Literal["survival_check_recorded"] = "survival_check_recorded"
    checked_on: date
    method: str
    next_due: date
    hold_on: date
    resumed_months: tuple[str, ...] = ()


class AllowanceStopped(EventBase):
    """Nothing is paid from ``effective_month`` on (death, moved away, no longer eligible)."""

    type: Literal["allowance_stopped"] = "allowance_stopped"
    reason_code: StopReason
    reasons: tuple[str, ...]
    effective_month: str


# --- 特困人员救助供养 (tekun, S3; S4 Arts. 14-19): the events of its own -----------------------------------


class EligibilityFactsRecorded(EventBase):
    """The investigation's findings on the 特困 conditions (S3 Arts. 5, 8, 9, 13)."""

    type: Literal["eligibility_facts_recorded"] = "eligibility_facts_recorded"
    disability_kind: DisabilityKind | None = None
    disability_grade: int | None = None
    supporters: tuple[Supporter, ...] = ()
    orphan_scheme_chosen: bool = False
    applicant_signed_check_authorisation: bool = True
    contracted_land: bool | None = None  # S3 Art. 19
    relocated_to_town: bool = False  # S3 Art. 19

    LATE_FIELDS: ClassVar[frozenset[str]] = frozenset({"contracted_land", "relocated_to_town"})


class SelfCareAssessed(EventBase):
    """生活自理能力评估 (S3 Arts. 20-22): the items not achieved, the result and the care tier; in payment, the
    amount it sets from ``from_month`` (basic-living standard + care standard)."""

    type: Literal["self_care_assessed"] = "self_care_assessed"
    failed_items: tuple[AdlItem, ...]
    care_tier: CareTier
    assessors: tuple[str, ...]
    third_party: str | None = None
    from_month: str | None = None
    monthly_amount: Decimal | None = None
    basic_amount: Decimal | None = None
    care_amount: Decimal | None = None


class SelfCareChangeReported(EventBase):
    """A change in self-care ability reported: re-assessment within 10 working days (S3 Art. 23)."""

    type: Literal["self_care_change_reported"] = "self_care_change_reported"
    note: str


class SupportFormChosen(EventBase):
    """The person's support form (S4 Art. 19): at home with an optional carer, or a bed in an institution; in
    payment, the amount it sets from ``from_month``."""

    type: Literal["support_form_chosen"] = "support_form_chosen"
    form: SupportForm
    institution_id: str | None = None
    carer: str | None = None
    from_month: str | None = None
    monthly_amount: Decimal | None = None
    basic_amount: Decimal | None = None
    care_amount: Decimal | None = None


class PlacementWaitlisted(EventBase):
    """The chosen institution was full: the case waits on its list (S4 Art. 19)."""

    type: Literal["placement_waitlisted"] = "placement_waitlisted"
    institution_id: str


class DrawnForCountyCheck(EventBase):
    """The county's random check (S3 Art. 16) recorded on a case of the batch: the draw, its seed and rate, the
    batch and the cases drawn, and whether this case was drawn (then the county's home visit comes first)."""

    type: Literal["drawn_for_county_check"] = "drawn_for_county_check"
    draw_id: UUID
    seed: str
    rate: Decimal
    township_code: str
    batch: tuple[UUID, ...]
    drawn_cases: tuple[UUID, ...]
    drawn: bool


class SchoolingRecorded(EventBase):
    """A minor's schooling: support continues beyond 18 while in school (S3 Art. 24 note)."""

    type: Literal["schooling_recorded"] = "schooling_recorded"
    school_level: str
    expected_end: date


class TekunReviewOpened(EventBase):
    """A review of a 特困 case opened: annual (S5 item 7) or at a minor's 18th birthday (S3 Art. 24 note)."""

    type: Literal["tekun_review_opened"] = "tekun_review_opened"
    trigger: str
    due: date


class TekunReviewConcluded(EventBase):
    """The review found the conditions still met; the next annual review is due on ``next_review_due``."""

    type: Literal["tekun_review_concluded"] = "tekun_review_concluded"
    reasons: tuple[str, ...]
    next_review_due: date


class TerminationProposed(EventBase):
    """拟终止救助供养 (S3 Arts. 24-26): the ground and the reasons, to go to the termination 公示."""

    type: Literal["termination_proposed"] = "termination_proposed"
    ground: TerminationGround
    reasons: tuple[str, ...]


class SupportTerminated(EventBase):
    """终止救助供养 decided by the county, effective from ``effective_month`` (S3 Art. 26)."""

    type: Literal["support_terminated"] = "support_terminated"
    ground: TerminationGround
    reasons: tuple[str, ...]
    effective_month: str


class ApplicationForwarded(EventBase):
    """跨省通办: recorded here and forwarded to ``destination_code`` (the person's hukou elsewhere); ``status``
    follows the referral (``forwarded`` → ``accepted`` / ``returned``)."""

    type: Literal["application_forwarded"] = "application_forwarded"
    destination_code: str
    status: Literal["forwarded", "accepted", "returned"]


class OffsiteReceiptRecorded(EventBase):
    """跨省通办: this application was received elsewhere for a resident of this county."""

    type: Literal["offsite_receipt_recorded"] = "offsite_receipt_recorded"
    received_in_code: str
    received_on: date


#: The events of the two allowances.
ALLOWANCE_EVENTS: tuple[type[EventBase], ...] = (
    EnrolmentProposed, AllowanceReviewed, AllowanceGranted, AllowanceRefused, AllowanceChanged, AllowanceReviewOpened,
    PaymentHeld, SurvivalCheckRecorded, AllowanceStopped, ApplicationForwarded, OffsiteReceiptRecorded,
)

class TerminationDropped(EventBase):
    """The county decided not to terminate (S3 Art. 26): the support goes on."""

    type: Literal["termination_dropped"] = "termination_dropped"
    reasons: tuple[str, ...]


class TerminationNoticeServed(EventBase):
    """The written termination reasons were served on the person and the village committee (S3 Art. 26)."""

    type: Literal["termination_notice_served"] = "termination_notice_served"


#: The events only 特困 cases record.
TEKUN_EVENTS: tuple[type, ...] = (
    EligibilityFactsRecorded, SelfCareAssessed, SelfCareChangeReported, SupportFormChosen, PlacementWaitlisted,
    DrawnForCountyCheck, SchoolingRecorded, TekunReviewOpened, TekunReviewConcluded, TerminationProposed,
    SupportTerminated, TerminationDropped, TerminationNoticeServed,
)


CaseEvent = Annotated[
    Union[(*PROCEDURE_EVENTS, *KERNEL_EVENTS, *LINK_EVENTS, *TEKUN_EVENTS, *ALLOWANCE_EVENTS,  # noqa: UP007
           *TEMPORARY_EVENTS)],
    Field(discriminator="type"),
]
