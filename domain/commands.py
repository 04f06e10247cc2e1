"""Commands: what an actor asks a case to do (imperative names). The actor travels in the context.

Each human step of the lifecycle (SPEC §3.3) is one command; the workflow executes each as a Temporal
Update whose validator runs the same pure ``decide``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Union
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.household import MAX_MEMBERS, AreaType, Declaration, Member, Program
from domain.intake import IntakeLink
from domain.kernel.state import EarlierCase
from domain.temporary import Form, InKindItem, TemporaryRequest, Yuan
from domain.verification import InfoCheckReport

Text = Annotated[str, Field(min_length=1, max_length=2000)]
StaffId = Annotated[str, Field(min_length=1, max_length=64)]


class Material(StrEnum):
    """Application materials (S1 Art. 9; SPEC §3.3 row 1)."""

    APPLICATION_FORM = "application_form"  # 申请书
    ID_DOCUMENTS = "id_documents"  # 身份证件
    HUKOU_RECORD = "hukou_record"  # 户口簿 (obtainable from the government platform)
    INCOME_PROPERTY_DECLARATION = "income_property_declaration"  # 收入财产申报
    PLEDGE = "pledge"  # 承诺书
    CHECK_AUTHORISATION = "check_authorisation"  # 家庭经济状况核对授权书
    POWER_OF_ATTORNEY = "power_of_attorney"  # 委托书 (agent applications, S1 Art. 6)
    DISABILITY_CERTIFICATE = "disability_certificate"  # 残疾证 (obtainable from the platform)
    MEDICAL_DIAGNOSIS = "medical_diagnosis"  # 诊断证明


class _Command(BaseModel):
    """A command. Commands travel in Temporal payloads (the ``execute`` Update's input is in the history), so
    they accept fields they do not know (a field dropped later still decodes); the API refuses unknown fields
    with strict copies of them (``api/schemas.py``)."""

    model_config = ConfigDict(frozen=True)

    def staff_named(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        """The staff members the command names as taking part in the step (an investigation team, the
        attendees of a 民主评议), each with the path of its field: the kernel refuses a command naming one who
        stands aside from the case (回避, :func:`domain.kernel.guards.not_recused`). None by default."""
        return ()


def _each(field: str, ids: list[str]) -> tuple[tuple[tuple[str | int, ...], str], ...]:
    return tuple(((field, i), staff) for i, staff in enumerate(ids))


class SubmitApplication(_Command):
    """Hand in an application (S1 Arts. 4, 6, 9): through the window or the village committee as agent."""

    type: Literal["submit_application"] = "submit_application"
    program: Program
    village_code: str
    area_type: AreaType
    members: Annotated[list[Member], Field(min_length=1, max_length=MAX_MEMBERS)]
    declaration: Declaration = Declaration()
    #: The members' earlier cases, found in the register by the engine at intake (the API's ``CaseCreate`` has
    #: no such field: a caller cannot set it). Empty for an application recorded before links existed.
    earlier_cases: tuple[EarlierCase, ...] = ()
    #: The referral from another programme this application takes up (转办, S4 Art. 60), checked by the API.
    referral_id: UUID | None = None
    #: 临时救助 only: the type, cause and severity of the difficulty, and whether it is an emergency reported for
    #: 先行救助 (S8 §二; SPEC §5). None for every other programme.
    temporary: TemporaryRequest | None = None
    #: 一门受理: the intake this application is opened from, set by the engine from the intake (S5 item 23).
    intake: IntakeLink | None = None


class NotifyMissingMaterials(_Command):
    """Issue the one-time list of ALL missing materials (一次性告知, S1 Art. 10)."""

    type: Literal["notify_missing_materials"] = "notify_missing_materials"
    items: Annotated[list[Material], Field(min_length=1, max_length=len(Material))]


class CloseRelative(_Command):
    """A member is a close relative of a case worker or village committee member (S1 Art. 11).

    ``staff_id`` names that person when they are staff of the engine (an actor id): from the filing on they
    stand aside from the case (回避) — every command of theirs on it is refused, and so is any command naming
    them in an investigation team. Optional here (commands recorded before it decode and replay unchanged);
    the API requires it for a relative who is a case worker.
    """

    member_index: Annotated[int, Field(ge=0)]
    related_to: Literal["case_worker", "village_committee_member", "public_official"]
    note: Text
    staff_id: StaffId | None = None


class AcceptApplication(_Command):
    """受理: the legal clock T0 starts (S1 Art. 10); close relatives are filed (备案, S1 Art. 11)."""

    type: Literal["accept_application"] = "accept_application"
    close_relatives: Annotated[list[CloseRelative], Field(max_length=MAX_MEMBERS)] = []


class StartInvestigation(_Command):
    """Start the household economic investigation with a team of at least two (S1 Arts. 15, 16)."""

    type: Literal["start_investigation"] = "start_investigation"
    investigators: Annotated[list[StaffId], Field(min_length=1, max_length=10)]

    def staff_named(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        return _each("investigators", self.investigators)


class RecordHomeVisit(_Command):
    """入户调查 by at least two investigators, signed by the household members present (S1 Art. 16(1))."""

    type: Literal["record_home_visit"] = "record_home_visit"
    investigators: Annotated[list[StaffId], Field(min_length=1, max_length=10)]
    household_signed: bool
    remote: bool = False  # phone/video during a major emergency (S1 Art. 16)
    findings: Text
    evidence_sha256: Annotated[list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]], Field(max_length=20)] = []

    def staff_named(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        return _each("investigators", self.investigators)


class RecordNeighbourVisit(_Command):
    """邻里访问 (S1 Art. 16(2))."""

    type: Literal["record_neighbour_visit"] = "record_neighbour_visit"
    notes: Text


class RecordLetterEvidence(_Command):
    """信函索证 (S1 Art. 16(3))."""

    type: Literal["record_letter_evidence"] = "record_letter_evidence"
    notes: Text


class RequestInfoCheck(_Command):
    """Ask the county's checking unit for the information check (S1 Art. 17); the engine runs it."""

    type: Literal["request_info_check"] = "request_info_check"


class NotifyInfoCheckIneligible(_Command):
    """Tell the applicant the check shows ineligibility (S1 Art. 18)."""

    type: Literal["notify_info_check_ineligible"] = "notify_info_check_ineligible"
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]


class ObjectToCheckResult(_Command):
    """The applicant objects to the check result with evidence: a recheck (复查, S1 Art. 18)."""

    type: Literal["object_to_check_result"] = "object_to_check_result"
    evidence: Text


class DecideVillageReview(_Command):
    """Village review decision: a disputed case goes to 民主评议; an undisputed one is exempted
    (S5 item 24, recorded as a decision). Under the 2012 profile 民主评议 is mandatory (S2 Art. 21)."""

    type: Literal["decide_village_review"] = "decide_village_review"
    disputed: bool
    reason: Text


class Attendee(_Command):
    staff_or_member_id: StaffId
    villager_representative: bool


class RecordDemocraticAppraisal(_Command):
    """民主评议 minutes, attendance and signatures (S1 Art. 19 para 2; S2 Arts. 22-23)."""

    type: Literal["record_democratic_appraisal"] = "record_democratic_appraisal"
    minutes: Text
    attendance: Annotated[list[Attendee], Field(min_length=1, max_length=200)]
    signed: bool
    conclusion: Literal["eligible", "ineligible"]

    def staff_named(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        return tuple((("attendance", i, "staff_or_member_id"), a.staff_or_member_id)
                     for i, a in enumerate(self.attendance))


class IssuePrelimOpinion(_Command):
    """初审意见 (S1 Art. 19), or the township's decision where confirmation is devolved."""

    type: Literal["issue_prelim_opinion"] = "issue_prelim_opinion"
    eligible: bool
    reasons: Annotated[list[Text], Field(max_length=20)] = []


class StartPublicity(_Command):
    """Post the 公示 in the village (S1 Art. 19): 7 days (unit configurable)."""

    type: Literal["start_publicity"] = "start_publicity"
    location: Text
    notice_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class LogObjection(_Command):
    """An objection during the 公示 window (S1 Art. 19); a real-name objector gets feedback (S1 Art. 37)."""

    type: Literal["log_objection"] = "log_objection"
    real_name: bool
    content: Text


class ResolveObjection(_Command):
    """The township answers an objection by re-investigation or 民主评议 (S1 Art. 19 para 2)."""

    type: Literal["resolve_objection"] = "resolve_objection"
    path: Literal["reinvestigation", "democratic_appraisal"]
    reason: Text


class SubmitToCounty(_Command):
    """Send an 'ineligible' opinion to the county without 公示 (engineering choice; see README)."""

    type: Literal["submit_to_county"] = "submit_to_county"


class StartCountyReview(_Command):
    """The county (or the township where devolved) receives the package (S1 Art. 20)."""

    type: Literal["start_county_review"] = "start_county_review"


class RecordCountyHomeVisit(_Command):
    """County home visit: mandatory for close-relative cases and complaints (S1 Art. 20 para 2)."""

    type: Literal["record_county_home_visit"] = "record_county_home_visit"
    investigators: Annotated[list[StaffId], Field(min_length=1, max_length=10)]
    findings: Text

    def staff_named(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        return _each("investigators", self.investigators)


class LogComplaint(_Command):
    """A complaint or report during 审核确认 (S1 Arts. 20, 36, 37)."""

    type: Literal["log_complaint"] = "log_complaint"
    real_name: bool
    content: Text


class ResolveComplaint(_Command):
    """Close a complaint; a real-name reporter must get feedback (S1 Art. 37)."""

    type: Literal["resolve_complaint"] = "resolve_complaint"
    feedback_sent: bool
    finding: Text


class Approve(_Command):
    """确认同意: amount fixed, payment from the next month (S1 Art. 21)."""

    type: Literal["approve"] = "approve"
    reason: Text


class Reject(_Command):
    """不予确认同意 with written reasons (S1 Art. 21)."""

    type: Literal["reject"] = "reject"
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]


class ServeRejectionNotice(_Command):
    """The refusal notice is served through the township within 3 working days (S1 Art. 21)."""

    type: Literal["serve_rejection_notice"] = "serve_rejection_notice"


class PostPublication(_Command):
    """公布: name, household size and amount posted in the village (S1 Art. 24); payment handed over."""

    type: Literal["post_publication"] = "post_publication"
    location: Text


class RecordNonCooperation(_Command):
    """The family refused to cooperate without good reason (S1 Art. 29)."""

    type: Literal["record_non_cooperation"] = "record_non_cooperation"
    note: Text


class TerminateForNonCooperation(_Command):
    """End the procedure for non-cooperation (S1 Art. 29); no decision on the merits."""

    type: Literal["terminate_for_non_cooperation"] = "terminate_for_non_cooperation"
    reason: Text


class ExtensionGround(StrEnum):
    """Grounds for the 45-working-day extension (S1 Art. 22; S6 §四(一))."""

    PUBLICITY_OBJECTION = "publicity_objection"
    HOUSEHOLD_SEPARATED = "household_separated"  # 人户分离
    OFF_SITE_APPLICATION = "off_site_application"  # 异地申办
    DIFFICULT_INVESTIGATION = "difficult_investigation"


class ExtendDeadline(_Command):
    """Extend the overall limit from 30 to 45 working days on a recorded ground (S1 Art. 22)."""

    type: Literal["extend_deadline"] = "extend_deadline"
    ground: ExtensionGround
    reason: Text


class WithdrawApplication(_Command):
    """The applicant withdraws (not in the national text; ENGINEERING RECOMMENDATION, SPEC §3.2)."""

    type: Literal["withdraw_application"] = "withdraw_application"
    reason: Text


# --- The in-payment life: changes, alerts, reviews and exit (SPEC §8; S1 Arts. 30-34; S4 Arts. 13, 45, 68) ---


class LeaveReason(StrEnum):
    """Why a member stops counting in the household (S1 Art. 7; SPEC §8.3)."""

    DEATH = "death"
    IMPRISONMENT = "imprisonment"
    COMPULSORY_REHABILITATION = "compulsory_rehabilitation"  # 强制隔离戒毒
    DECLARED_MISSING = "declared_missing"
    MOVED_OUT = "moved_out"  # left the household (marriage, hukou move, separate living)


class MemberLeaving(_Command):
    member_index: Annotated[int, Field(ge=0, lt=MAX_MEMBERS)]
    reason: LeaveReason
    on: date | None = None


class ReportChange(_Command):
    """The household (at the window or through the village) reports a change in members, income or property
    (S1 Art. 30; S4 Art. 13). It opens a review; the amount changes only by the review's decision."""

    type: Literal["report_change"] = "report_change"
    members_joining: Annotated[list[Member], Field(max_length=10)] = []
    members_leaving: Annotated[list[MemberLeaving], Field(max_length=MAX_MEMBERS)] = []
    declaration: Declaration | None = None  # the household's whole declaration as it stands now
    note: Text


class AlertType(StrEnum):
    """Data-comparison alerts (S6 §三(二), §三(三); SPEC §8.1)."""

    DEATH = "death"
    IMPRISONMENT = "imprisonment"
    COMPULSORY_REHABILITATION = "compulsory_rehabilitation"
    DECLARED_MISSING = "declared_missing"
    HUKOU_MOVED = "hukou_moved"
    MARRIAGE = "marriage"
    RELAPSE_MONITORING = "relapse_monitoring"  # 防止返贫监测 comparison
    DATA_MISMATCH = "data_mismatch"  # cross-department comparison found new income or property


#: Alerts about one member that take the member out of the household count (S1 Art. 7).
MEMBER_LEAVING_ALERTS = {AlertType.DEATH: LeaveReason.DEATH, AlertType.IMPRISONMENT: LeaveReason.IMPRISONMENT,
                         AlertType.COMPULSORY_REHABILITATION: LeaveReason.COMPULSORY_REHABILITATION,
                         AlertType.DECLARED_MISSING: LeaveReason.DECLARED_MISSING}


class RaiseDataAlert(_Command):
    """A data comparison matched a member (S6 §三): it opens an ad-hoc review."""

    type: Literal["raise_data_alert"] = "raise_data_alert"
    alert: AlertType
    member_index: Annotated[int, Field(ge=0, lt=MAX_MEMBERS)] | None = None
    occurred_on: date
    source: Annotated[str, Field(min_length=1, max_length=100)]


class AmendHousehold(_Command):
    """Before the decision, the household changed: a member died, was born, married in or moved out, or the
    declaration changed (S1 Arts. 7, 9; S6 §一(三)). Recorded with its evidence; the assessment follows it."""

    type: Literal["amend_household"] = "amend_household"
    members_joining: Annotated[list[Member], Field(max_length=10)] = []
    members_leaving: Annotated[list[MemberLeaving], Field(max_length=MAX_MEMBERS)] = []
    declaration: Declaration | None = None  # the household's whole declaration as it stands now
    evidence: Annotated[str, Field(min_length=1, max_length=500)]  # e.g. 死亡证明、出生医学证明、户口簿
    note: Text


class ConfirmAmendment(_Command):
    """The township confirms (the household is amended) or dismisses, with a reason, the amendment a data alert
    proposed for a case not yet decided (S1 Art. 7; S6 §三(二))."""

    type: Literal["confirm_amendment"] = "confirm_amendment"
    proposal_seq: Annotated[int, Field(ge=1)]
    confirmed: bool
    declaration: Declaration | None = None  # for an alert about income or property: the declaration as it stands
    note: Text


class OpenAdHocReview(_Command):
    """Open a review outside the periodic cycle (S1 Art. 31)."""

    type: Literal["open_ad_hoc_review"] = "open_ad_hoc_review"
    reason: Text


class DecideReview(_Command):
    """Conclude the open review: the engine recomputes the household with the parameters in force and the
    outcome follows — no change, increase, decrease, 渐退期 (when asked for and allowed) or stop (S1 Arts.
    31-33). ``reasons`` go onto the notice of a decrease or stop (S1 Art. 32)."""

    type: Literal["decide_review"] = "decide_review"
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]
    gradual_exit_months: Annotated[int, Field(ge=1, le=24)] | None = None
    income_from_employment: bool = False
    override_reason: Text | None = None  # needed above the 6-month cap ("原则上", S1 Art. 33)


class RecordJobRefusal(_Command):
    """A member able to work refused a suitable job (S1 Art. 34; S4 Art. 45)."""

    type: Literal["record_job_refusal"] = "record_job_refusal"
    member_index: Annotated[int, Field(ge=0, lt=MAX_MEMBERS)]
    offer: Text
    good_reason: bool = False


class ReduceMemberShare(_Command):
    """After three refusals in a row, reduce or stop that member's share only (S1 Art. 34)."""

    type: Literal["reduce_member_share"] = "reduce_member_share"
    member_index: Annotated[int, Field(ge=0, lt=MAX_MEMBERS)]
    reason: Text


class RecordFraudFinding(_Command):
    """虚报、隐瞒、伪造: stop, order repayment, and optionally a fine of 1-3 times (S4 Art. 68)."""

    type: Literal["record_fraud_finding"] = "record_fraud_finding"
    amount_obtained: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
    fine_multiple: Annotated[Decimal, Field(ge=1, le=3, max_digits=3, decimal_places=2)] | None = None
    findings: Text


class StopReason(StrEnum):
    INCOME_ABOVE_STANDARD = "income_above_standard"  # S1 Art. 32
    PROPERTY_NON_COMPLIANT = "property_non_compliant"  # S1 Art. 32
    NO_MEMBERS = "no_members"  # the last member died or left (S6 §一(三))
    FRAUD = "fraud"  # S4 Art. 68
    VOLUNTARY_EXIT = "voluntary_exit"  # local practice (UNCONFIRMED)
    MOVED_AWAY = "moved_away"  # local (UNCONFIRMED)
    NON_COOPERATION = "non_cooperation"  # refusing the review (local rules, UNCONFIRMED)
    OTHER = "other"


class StopBenefit(_Command):
    """停保 for a reason stated on a written notice (S1 Art. 32)."""

    type: Literal["stop_benefit"] = "stop_benefit"
    reason_code: StopReason
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]


class ServeStopNotice(_Command):
    """The written stop notice with reasons was served (S1 Art. 32)."""

    type: Literal["serve_stop_notice"] = "serve_stop_notice"


class RecordReferral(_Command):
    """Refer members of the household to another programme (转介 / 转办, S4 Art. 60; S5 item 23): the township
    window or the caseworker records it on this case; that programme's window opens it as a new application."""

    type: Literal["record_referral"] = "record_referral"
    to_program: Program
    member_indexes: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1, max_length=MAX_MEMBERS)]
    note: Text


#: The human steps of the procedure kernel as dibao first built it (shared steps and dibao's own).
PROCEDURE_COMMANDS: tuple[type[_Command], ...] = (
    NotifyMissingMaterials,
    AcceptApplication,
    StartInvestigation,
    RecordHomeVisit,
    RecordNeighbourVisit,
    RecordLetterEvidence,
    RequestInfoCheck,
    NotifyInfoCheckIneligible,
    ObjectToCheckResult,
    DecideVillageReview,
    RecordDemocraticAppraisal,
    IssuePrelimOpinion,
    StartPublicity,
    LogObjection,
    ResolveObjection,
    SubmitToCounty,
    StartCountyReview,
    RecordCountyHomeVisit,
    LogComplaint,
    ResolveComplaint,
    Approve,
    Reject,
    ServeRejectionNotice,
    PostPublication,
    RecordNonCooperation,
    TerminateForNonCooperation,
    ExtendDeadline,
    WithdrawApplication,
    ReportChange,
    RaiseDataAlert,
    AmendHousehold,
    ConfirmAmendment,
    OpenAdHocReview,
    DecideReview,
    RecordJobRefusal,
    ReduceMemberShare,
    RecordFraudFinding,
    StopBenefit,
    ServeStopNotice,
)

#: Human commands any programme may accept (kernel): a referral to another programme.
KERNEL_COMMANDS: tuple[type[_Command], ...] = (RecordReferral,)

# --- 特困人员救助供养 (tekun, S3; S4 Arts. 14-19): the commands of its own ----------------------------------


class DisabilityKind(StrEnum):
    """残疾类别 of a disability certificate (S3 Art. 5(3))."""

    INTELLECTUAL = "intellectual"
    MENTAL = "mental"
    PHYSICAL = "physical"
    VISUAL = "visual"
    HEARING = "hearing"
    SPEECH = "speech"
    MULTIPLE = "multiple"


class SupporterInability(StrEnum):
    """Why a statutory supporter (法定赡养、抚养、扶养义务人) cannot support (S3 Art. 8)."""

    TEKUN = "tekun"  # (1) themselves 特困人员
    DIBAO_AGED_60 = "dibao_aged_60"  # (2) a dibao recipient aged 60 or over
    AGED_70_LOW_INCOME = "aged_70_low_income"  # (3) 70+, income below last year's per-capita disposable income
    SEVERE_DISABILITY_LOW_INCOME = "severe_disability_low_income"  # (4) the same test
    NO_CIVIL_CAPACITY = "no_civil_capacity"  # (5) with the property test
    MISSING = "missing"  # (5) declared missing
    IN_PRISON = "in_prison"  # (5) serving a prison sentence


class Supporter(BaseModel):
    """One statutory supporter as the investigation found them (S3 Arts. 8, 13). ``inability`` None: they can
    support. ``resident_id`` gives their age (the age grounds); ``annual_income`` and
    ``property_within_low_income_rule`` the income and property tests of grounds (3)-(5)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    relation: Literal["spouse", "child", "parent", "sibling", "grandparent", "grandchild", "other"]
    resident_id: str | None = None
    inability: SupporterInability | None = None
    dibao_recipient: bool = False
    annual_income: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None
    property_within_low_income_rule: bool | None = None
    signed_check_authorisation: bool = False  # S3 Art. 10 para 3
    note: Annotated[str, Field(max_length=500)] | None = None


class RecordEligibilityFacts(_Command):
    """What the investigation found about the 特困 conditions (S3 Arts. 5, 8, 9, 13): the applicant's disability
    certificate, each statutory supporter and why they cannot support, and a minor's choice of the orphan /
    事实无人抚养儿童 scheme."""

    type: Literal["record_eligibility_facts"] = "record_eligibility_facts"
    disability_kind: DisabilityKind | None = None
    disability_grade: Annotated[int, Field(ge=1, le=4)] | None = None
    supporters: Annotated[list[Supporter], Field(max_length=30)] = []
    orphan_scheme_chosen: bool = False
    applicant_signed_check_authorisation: bool = True
    #: S3 Art. 19 (where urban and rural standards differ): contracted land or a share in collective income →
    #: rural treatment; relocated to a town by poverty-alleviation relocation → urban. None: not established
    #: (the application's area type applies).
    contracted_land: bool | None = None
    relocated_to_town: bool = False


class AdlItem(StrEnum):
    """The six ADL items of the self-care assessment (S3 Art. 21)."""

    EATING = "eating"  # 自主吃饭
    DRESSING = "dressing"  # 自主穿衣
    BED_TRANSFER = "bed_transfer"  # 自主上下床
    TOILETING = "toileting"  # 自主如厕
    WALKING_INDOORS = "walking_indoors"  # 室内自主行走
    BATHING = "bathing"  # 自主洗澡


class RecordSelfCareAssessment(_Command):
    """生活自理能力评估 by the county or a third party it names (S3 Arts. 20-22): the items not achieved."""

    type: Literal["record_self_care_assessment"] = "record_self_care_assessment"
    failed_items: Annotated[list[AdlItem], Field(max_length=6)] = []
    assessors: Annotated[list[StaffId], Field(min_length=1, max_length=10)]
    third_party: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    def staff_named(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        return _each("assessors", self.assessors)


class ReportSelfCareChange(_Command):
    """A change in self-care ability reported by the person, carer, village committee or institution through the
    township: the county re-assesses within 10 working days (S3 Art. 23)."""

    type: Literal["report_self_care_change"] = "report_self_care_change"
    note: Text


class ChooseSupportForm(_Command):
    """The person's choice of 分散供养 (at home, with an optional named carer) or 集中供养 in an institution
    (S4 Art. 19). A full institution is refused (409) by the service, which puts the case on its waiting list."""

    type: Literal["choose_support_form"] = "choose_support_form"
    form: Literal["dispersed", "centralised"]
    institution_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    carer: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class WaitForPlacement(_Command):
    """The chosen institution has no free bed: the case waits on its list, visible to the county (S4 Art. 19)."""

    type: Literal["wait_for_placement"] = "wait_for_placement"
    institution_id: Annotated[str, Field(min_length=1, max_length=64)]


class RecordCountyCheckDraw(_Command):
    """The county's random check of at least 30 % of a township's submissions (S3 Art. 16), recorded on every case
    of the batch: who drew (the actor), the seed, the batch and the cases drawn. The case recomputes the draw
    from the seed and refuses a list that does not follow from it."""

    type: Literal["record_county_check_draw"] = "record_county_check_draw"
    draw_id: UUID
    seed: Annotated[str, Field(min_length=8, max_length=128)]
    township_code: Annotated[str, Field(pattern=r"^[0-9]{9}$")]
    batch: Annotated[list[UUID], Field(min_length=1, max_length=1000)]
    drawn: Annotated[list[UUID], Field(max_length=1000)]


class RecordSchooling(_Command):
    """A minor in support is in compulsory education, general high school or secondary vocational school: the
    support continues beyond 18 (S3 Art. 24 note)."""

    type: Literal["record_schooling"] = "record_schooling"
    school_level: Literal["compulsory", "high_school", "secondary_vocational"]
    expected_end: date
    evidence: Text


class ConcludeTekunReview(_Command):
    """The review finds the conditions still met: support continues, the next annual review is scheduled
    (S5 item 7)."""

    type: Literal["conclude_tekun_review"] = "conclude_tekun_review"
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]


class TerminationGround(StrEnum):
    """Grounds to end 特困 support (S3 Art. 24)."""

    DEATH = "death"  # (1) death, declared death or declared missing
    CAPACITY_TO_WORK = "capacity_to_work"  # (2) has or regains capacity to work (also: a minor's age, Art. 24 note)
    IN_PRISON = "in_prison"  # (3)
    MEANS_OF_LIVING = "means_of_living"  # (4) income or property no longer meets Art. 6
    ABLE_SUPPORTER = "able_supporter"  # (5) a supporter became able, or a new able supporter
    VOLUNTARY_EXIT = "voluntary_exit"  # (6)


class ProposeTermination(_Command):
    """The township's investigation finds the person no longer meets the conditions (S3 Art. 25); the proposal
    goes to a 7-day termination 公示 (S3 Art. 26). Also the county's renewed proposal after an objection."""

    type: Literal["propose_termination"] = "propose_termination"
    ground: TerminationGround
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]


class DecideTermination(_Command):
    """The county's termination decision after a 公示 without objection, effective from the next month
    (S3 Art. 26); where the person qualifies for dibao or 临时救助 a referral is recorded (S3 Art. 27)."""

    type: Literal["decide_termination"] = "decide_termination"
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]
    refer_to: Annotated[list[Literal["dibao", "temporary"]], Field(max_length=2)] = []
    referral_reason: Text | None = None


class DropTermination(_Command):
    """The county decides not to terminate (after the objection's investigation, S3 Art. 26): support goes on."""

    type: Literal["drop_termination"] = "drop_termination"
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]


class ServeTerminationNotice(_Command):
    """The written reasons for the termination were served on the person and the village committee (S3 Art. 26)."""

    type: Literal["serve_termination_notice"] = "serve_termination_notice"


class OpenTekunReview(_Command):
    """A 特困 review falls due (the case's own timer): the annual review (S5 item 7), or a minor's 18th birthday
    without recorded schooling (S3 Art. 24 note)."""

    type: Literal["open_tekun_review"] = "open_tekun_review"
    due: date
    trigger: Literal["annual", "minor_turns_18"]


#: The human commands only 特困 cases take (the other programmes' vocabularies leave them out).
TEKUN_COMMANDS: tuple[type, ...] = (
    RecordEligibilityFacts, RecordSelfCareAssessment, ReportSelfCareChange, ChooseSupportForm, WaitForPlacement,
    RecordCountyCheckDraw, RecordSchooling, ConcludeTekunReview, ProposeTermination, DecideTermination,
    DropTermination, ServeTerminationNotice,
)

# --- 临时救助 (temporary assistance, S4 Arts. 47-49; S8 §二; S5 item 15) -----------------------------------


class PlannedInstalment(_Command):
    """One instalment of a staged assistance: paid on the payment roll of the month of ``on``."""

    on: date
    amount: Yuan


class GrantUrgentAssistance(_Command):
    """先行救助: the township approver (or the county) grants at once, up to the urgent cap, with a minimal record
    (who, why, how much, cash or kind) and no information check, 评议 or 公示 (S8 §二(二); S5 item 15). Paid
    from the township's reserve fund (备用金, S8 §三(三))."""

    type: Literal["grant_urgent_assistance"] = "grant_urgent_assistance"
    amount: Yuan
    form: Form = "cash"
    in_kind: Annotated[list[InKindItem], Field(max_length=50)] = []
    reason: Text


class RecordEmergencyEased(_Command):
    """The emergency has eased: the formalities of the urgent grant are now to be completed (S8 §二(二))."""

    type: Literal["record_emergency_eased"] = "record_emergency_eased"
    note: Text


class ReferralRequest(_Command):
    """A referral made with a 临时救助 decision (转介, S8 §二(四)): to which programme, which members, why."""

    to_program: Program
    member_indexes: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1, max_length=MAX_MEMBERS)]
    note: Text


class RegulariseUrgentGrant(_Command):
    """补齐手续: the registration of the person assisted, the reason and the amount completed, with the signatures
    of the staff who handled and approved it (S8 §二(二)); ``follow_up`` opens 跟进救助 on the normal path in
    the same case (S5 item 15)."""

    type: Literal["regularise_urgent_grant"] = "regularise_urgent_grant"
    registration: Text
    signatures: Annotated[list[StaffId], Field(min_length=1, max_length=10)]
    sealed: bool
    documents_sha256: Annotated[list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]], Field(max_length=20)] = []
    follow_up: bool = False
    #: 转介 with the closing of the urgent path: to dibao, 特困, medical assistance, charity (S8 §二(四)).
    referrals: Annotated[list[ReferralRequest], Field(max_length=5)] = []

    def staff_named(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        return _each("signatures", self.signatures)


class RecordCaseDiscussion(_Command):
    """一事一议: the county's coordination mechanism for the basic living of people in difficulty met on the case
    and decided (S5 item 15; S8 §二(三)). Recorded before an approval above the threshold."""

    type: Literal["record_case_discussion"] = "record_case_discussion"
    meeting_date: date
    members: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=3, max_length=30)]
    decision: Literal["approve", "reject"]
    amount: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
    minutes: Text


class JustifyRepeatAssistance(_Command):
    """Why a household assisted for the same cause within the repeat period is assisted again (LOCAL rule)."""

    type: Literal["justify_repeat_assistance"] = "justify_repeat_assistance"
    justification: Text


class ApproveTemporaryAssistance(_Command):
    """审批: one approval, paid at once or in stages (一次审批、分阶段救助, S8 §二(四)); by the township up to
    its approval cap, by the county above it (S4 Art. 48; S8 §二(二)). ``amount`` defaults to the tier table's;
    another amount needs the 一事一议 decision. ``instalments`` default to one, paid this month."""

    type: Literal["approve_temporary_assistance"] = "approve_temporary_assistance"
    reason: Text
    amount: Yuan | None = None
    instalments: Annotated[list[PlannedInstalment], Field(max_length=24)] = []
    form: Form = "cash"
    in_kind: Annotated[list[InKindItem], Field(max_length=50)] = []


class CancelInstalments(_Command):
    """Cancel the remaining instalments from ``from_index`` on, with the reason (S8 §二(四)); an instalment whose
    month has begun is on its roll already and cannot be cancelled."""

    type: Literal["cancel_instalments"] = "cancel_instalments"
    from_index: Annotated[int, Field(ge=0)]
    reason: Text


#: 临时救助's own human steps (S4 Arts. 47-49; S8 §二; S5 item 15).
TEMPORARY_HUMAN_COMMANDS: tuple[type[_Command], ...] = (
    GrantUrgentAssistance, RecordEmergencyEased, RegulariseUrgentGrant, RecordCaseDiscussion,
    JustifyRepeatAssistance, ApproveTemporaryAssistance, CancelInstalments,
)



class ApplyStandardChange(_Command):
    """物价联动: recalculate the case under a new parameter version from its effective date. Issued by the mass
    recalculation on behalf of the county approver who applied the change (not a per-case API command)."""

    type: Literal["apply_standard_change"] = "apply_standard_change"
    version: Annotated[str, Field(min_length=1, max_length=100)]
    effective_from: date



# --- Commands the engine itself issues (system actor), never accepted from the API -------------------


class CompleteInfoCheck(_Command):
    """Record the information check's report (S1 Art. 17)."""

    type: Literal["complete_info_check"] = "complete_info_check"
    report: InfoCheckReport


class ClosePublicity(_Command):
    """The 公示 window elapsed: a natural transition, not a decision (SPEC §0.1)."""

    type: Literal["close_publicity"] = "close_publicity"


class SetDeadline(_Command):
    """Record a step's legal time limit, computed with the working-day calendar: ``working_days`` counted from
    ``start`` (both None where a run recorded neither, before they were kept; see :class:`DeadlineSet`).
    ``reason`` says why a limit already set is set again (a provisional one recomputed)."""

    type: Literal["set_deadline"] = "set_deadline"
    step: str
    due: date
    calendar_version: str
    start: date | None = None
    working_days: int | None = None
    reason: str | None = None


class RaiseEscalation(_Command):
    """A step's time limit passed with the step still pending: escalate, never decide."""

    type: Literal["raise_escalation"] = "raise_escalation"
    step: str


class OpenPeriodicReview(_Command):
    """The periodic review is due (S1 Art. 31): the case's own timer, or the daily sweep catching up."""

    type: Literal["open_periodic_review"] = "open_periodic_review"
    due: date


class RequestReviewCheck(_Command):
    """Re-run the information check for an open review (S1 Art. 31)."""

    type: Literal["request_review_check"] = "request_review_check"


class EndGradualExit(_Command):
    """The granted 渐退期 ran out: the stop decided with it takes effect (S1 Art. 33)."""

    type: Literal["end_gradual_exit"] = "end_gradual_exit"


class CompleteExit(_Command):
    """The stop month has begun and the stop notice is served: the stopped case leaves payment (a natural
    transition, the consequence of the stop decision; S1 Art. 32)."""

    type: Literal["complete_exit"] = "complete_exit"


#: The commands the engine issues for the procedure kernel (dibao's and the shared steps').
PROCEDURE_SYSTEM_COMMANDS: tuple[type[_Command], ...] = (
    CompleteInfoCheck, ClosePublicity, SetDeadline, RaiseEscalation, OpenPeriodicReview, RequestReviewCheck,
    EndGradualExit, CompleteExit,
)


# --- Links between programmes (the kernel's; every programme accepts them) ------------------------------


class LinkEffect(StrEnum):
    """What one case's event means for the other cases of the same person (docs/programmes.md, "Links")."""

    PERSON_DIED = "person_died"  # a death recorded once reaches every case of the person
    LEFT_PROGRAMME = "left_programme"  # the source programme stopped (e.g. dibao: the living subsidy is reviewed)
    ENTERED_PROGRAMME = "entered_programme"  # the source programme began (e.g. 特困: the care-subsidy exclusion)


class ApplyLink(_Command):
    """Another case of the same person recorded an event with an effect on this one (the engine delivers it;
    ``key`` makes a repeated delivery change nothing)."""

    type: Literal["apply_link"] = "apply_link"
    key: Annotated[str, Field(min_length=1, max_length=200)]
    effect: LinkEffect
    source_case_id: UUID
    source_program: str
    source_seq: Annotated[int, Field(ge=1)]
    resident_id: str
    occurred_on: date | None = None


class LinkDelivery(BaseModel):
    """Where one effect went: the target case and what it made of it (``applied``, ``already_applied``,
    ``refused: <code>``, ``closed``). ``source_seq``: the source event it delivered (two sources of one effect
    delivered in one batch are told apart by it); deliveries recorded before it was kept lack it (left out of
    the payload while None, so their recorded payloads are unchanged)."""

    model_config = ConfigDict(frozen=True)

    effect: LinkEffect
    target_case_id: UUID
    target_program: str
    outcome: str
    source_seq: int | None = Field(None, exclude_if=lambda v: v is None)


class RecordLinkDeliveries(_Command):
    """Record on the source case where the effects of its event ``source_seq`` were delivered."""

    type: Literal["record_link_deliveries"] = "record_link_deliveries"
    source_seq: Annotated[int, Field(ge=1)]
    deliveries: Annotated[list[LinkDelivery], Field(max_length=200)]


#: System commands of the kernel that every programme accepts: the links between programmes.
KERNEL_SYSTEM_COMMANDS: tuple[type[_Command], ...] = (ApplyLink, RecordLinkDeliveries)


# --- 残疾人两项补贴 and 高龄津贴 (SPEC §6.2, §6.3) --------------------------------------------------------


class ProposeEnrolment(_Command):
    """主动发现: the hukou data shows a resident who has reached an allowance's age band; a case is opened for
    the township to confirm, without an application (SPEC §6.3). Issued by the enrolment import."""

    type: Literal["propose_enrolment"] = "propose_enrolment"
    program: Program
    village_code: str
    member: Member
    #: The band reached (its lowest age), as the import found it with the parameters in force.
    band_min_age: Annotated[int, Field(ge=60, le=150)]
    source: Annotated[str, Field(min_length=1, max_length=100)]


class ReviewAllowance(_Command):
    """The township's review of a 两项补贴 application against the disability certificate (S12; SPEC §6.2):
    the certificate's data, long-term care, a work-injury care allowance, and its opinion."""

    type: Literal["review_allowance"] = "review_allowance"
    disability_kind: DisabilityKind
    grade: Annotated[int, Field(ge=1, le=4)]
    certificate_number: Annotated[str, Field(pattern=r"^[0-9]{18}[0-9X][0-9][1-4]$|^[0-9A-Z]{8,24}$")]
    long_term_care: bool
    work_injury_care: bool = False
    recommend: bool
    note: Text


class ConfirmAllowance(_Command):
    """确认: the allowance is granted from next month at the standards in force (county for 两项补贴, township
    for 高龄津贴)."""

    type: Literal["confirm_allowance"] = "confirm_allowance"
    note: Text


class RefuseAllowance(_Command):
    type: Literal["refuse_allowance"] = "refuse_allowance"
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]


class ForwardApplication(_Command):
    """跨省通办: the window received an application for a person whose hukou is elsewhere; it is recorded and
    forwarded to the competent place (a referral with a status)."""

    type: Literal["forward_application"] = "forward_application"
    destination_code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]
    note: Text


class RecordForwardingOutcome(_Command):
    type: Literal["record_forwarding_outcome"] = "record_forwarding_outcome"
    status: Literal["accepted", "returned"]
    note: Text


class RecordOffsiteReceipt(_Command):
    """跨省通办: the application was received elsewhere (``received_in_code``) for a resident of this county."""

    type: Literal["record_offsite_receipt"] = "record_offsite_receipt"
    received_in_code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]
    received_on: date


class RecordSurvivalCheck(_Command):
    """生存认证 done (SPEC §6.3): payment held for a missed check resumes, with the months owed."""

    type: Literal["record_survival_check"] = "record_survival_check"
    checked_on: date
    method: Literal["in_person", "video", "home_visit", "data_match"]


class DecideAllowanceReview(_Command):
    """Conclude an allowance's review: the subsidies are recomputed from the facts on record and the person's
    other cases now (e.g. still in a dibao household)."""

    type: Literal["decide_allowance_review"] = "decide_allowance_review"
    note: Text


class StopAllowance(_Command):
    type: Literal["stop_allowance"] = "stop_allowance"
    reason_code: StopReason
    reasons: Annotated[list[Text], Field(min_length=1, max_length=20)]


class MoveAgeBand(_Command):
    """The birthday that reaches the next 高龄津贴 band (the case's own timer)."""

    type: Literal["move_age_band"] = "move_age_band"
    on: date


class HoldForSurvivalCheck(_Command):
    """The survival check's grace ran out: escalate and hold payment (not a stop; the case's own timer)."""

    type: Literal["hold_for_survival_check"] = "hold_for_survival_check"
    due: date


class HoldPayment(_Command):
    """暂停发放 (SPEC §6.3): the survival check was missed and its deadline escalated; a township approver holds
    payment from next month (not a stop: a late check resumes it, the months held owed)."""

    type: Literal["hold_payment"] = "hold_payment"
    reason: Text


#: The human and system commands of the two allowances.
ALLOWANCE_COMMANDS: tuple[type[_Command], ...] = (
    ReviewAllowance, ConfirmAllowance, RefuseAllowance, ForwardApplication, RecordForwardingOutcome,
    RecordOffsiteReceipt, RecordSurvivalCheck, DecideAllowanceReview, StopAllowance, HoldPayment,
)
ALLOWANCE_SYSTEM_COMMANDS: tuple[type[_Command], ...] = (MoveAgeBand, HoldForSurvivalCheck)

#: The system commands only 特困 cases take.
TEKUN_SYSTEM_COMMANDS: tuple[type[_Command], ...] = (OpenTekunReview,)

class CompleteAssistance(_Command):
    """临时救助: the month of the last instalment has begun (it is on its roll): the assistance is complete."""

    type: Literal["complete_assistance"] = "complete_assistance"


#: 临时救助's own commands, human and system (the other programmes leave them out of their vocabulary).
TEMPORARY_COMMANDS: tuple[type[_Command], ...] = (*TEMPORARY_HUMAN_COMMANDS, CompleteAssistance)

HumanCommand = Annotated[
    Union[(*PROCEDURE_COMMANDS, *KERNEL_COMMANDS, *TEKUN_COMMANDS, *ALLOWANCE_COMMANDS,  # noqa: UP007
           *TEMPORARY_HUMAN_COMMANDS)],
    Field(discriminator="type"),
]
SystemCommand = Union[  # noqa: UP007 - built from the programmes' tuples
    (*PROCEDURE_SYSTEM_COMMANDS, *KERNEL_SYSTEM_COMMANDS, *TEKUN_SYSTEM_COMMANDS, *ALLOWANCE_SYSTEM_COMMANDS,
     CompleteAssistance)
]
