"""Case state: the fold of a case's events (SPEC §3.2 stages)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.actors import Role
from domain.benefit import Assessment
from domain.commands import ExtensionGround, Material
from domain.household import AreaType, Declaration, Member, Program
from domain.verification import InfoCheckReport


class Stage(StrEnum):
    """Lifecycle stages of a dibao case in the legal order of S1 (SPEC §3.1, §3.2)."""

    SUBMITTED = "submitted"  # 申请已提交, completeness check pending
    MATERIALS_INCOMPLETE = "materials_incomplete"  # 一次性告知, S1 Art. 10
    ACCEPTED = "accepted"  # 受理, T0, S1 Art. 10
    INVESTIGATING = "investigating"  # 家庭经济状况调查, S1 Arts. 15-17 (a recheck returns here)
    INFO_CHECK_NEGATIVE_NOTIFIED = "info_check_negative_notified"  # S1 Art. 18
    RECHECK = "recheck"  # 复查, S1 Art. 18 (folded into INVESTIGATING; kept for the stage vocabulary)
    DEMOCRATIC_APPRAISAL = "democratic_appraisal"  # 民主评议, S1 Art. 19 para 2
    PRELIM_OPINION_ISSUED = "prelim_opinion_issued"  # 初审意见, S1 Art. 19
    PUBLICITY = "publicity"  # 公示, S1 Art. 19
    OBJECTION_RECEIVED = "objection_received"  # window closed with objections, S1 Art. 19
    REINVESTIGATION = "reinvestigation"  # S1 Art. 19 para 2
    SUBMITTED_TO_COUNTY = "submitted_to_county"
    COUNTY_REVIEW = "county_review"  # 审核确认, S1 Art. 20
    APPROVED = "approved"  # S1 Art. 21
    REJECTED = "rejected"  # S1 Art. 21
    TERMINATED_NONCOOPERATION = "terminated_noncooperation"  # S1 Art. 29
    WITHDRAWN = "withdrawn"
    IN_PAYMENT = "in_payment"  # 在保, S1 Arts. 21, 25
    UNDER_REVIEW = "under_review"  # 复核中 (periodic or ad hoc review; still paid), S1 Arts. 30-31
    GRADUAL_EXIT = "gradual_exit"  # 渐退期 (still paid until the stop month), S1 Art. 33
    EXITED = "exited"  # 退出/停保


#: Stages after which no decision on the application can be taken any more.
DECIDED_STAGES = frozenset(
    {Stage.APPROVED, Stage.REJECTED, Stage.TERMINATED_NONCOOPERATION, Stage.WITHDRAWN, Stage.IN_PAYMENT,
     Stage.UNDER_REVIEW, Stage.GRADUAL_EXIT, Stage.EXITED}
)

#: Stages in which the household is receiving the benefit (the in-payment life of a case, SPEC §8).
ACTIVE_STAGES = frozenset({Stage.IN_PAYMENT, Stage.UNDER_REVIEW, Stage.GRADUAL_EXIT})


class ReviewClass(StrEnum):
    """How often a household in payment is reviewed (S1 Art. 31; S5 item 7; SPEC §8.1)."""

    ANNUAL = "annual"  # economic situation stable in the short term
    SEMI_ANNUAL = "semi_annual"  # irregular income or able-bodied members


class BenefitPeriod(BaseModel):
    """The monthly amount from a month on (YYYY-MM), until the next period or the stop month."""

    model_config = ConfigDict(frozen=True)

    from_month: str
    monthly_amount: Decimal
    household_size: int
    parameter_set_version: str | None
    seq: int


class OpenReview(BaseModel):
    """A review in progress: why it was opened, when, and (for a periodic review) the due date it serves."""

    model_config = ConfigDict(frozen=True)

    trigger: str  # periodic | change_report | data_alert | standard_change | ad_hoc
    opened_seq: int
    opened_on: date
    due: date | None = None


class Departure(BaseModel):
    """A member who no longer counts in the household (death, prison, move ... S1 Art. 7)."""

    model_config = ConfigDict(frozen=True)

    member_index: int
    reason: str
    on: date | None = None


class PaidMonth(BaseModel):
    """A month already on a payment roll for the case, and the amount paid (from the roll, via an activity)."""

    model_config = ConfigDict(frozen=True)

    month: str
    amount: Decimal


class Deadline(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: str
    due: date
    calendar_version: str
    escalated: bool = False


class Objection(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    real_name: bool
    resolved: bool = False


class Complaint(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    real_name: bool
    resolved: bool = False
    feedback_sent: bool = False


class CaseState(BaseModel):
    """Everything the engine knows about a case, rebuilt by folding its events with :func:`domain.case.evolve`."""

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    program: Program
    stage: Stage
    village_code: str
    township_code: str
    county_code: str
    area_type: AreaType
    members: tuple[Member, ...]
    declaration: Declaration = Declaration()
    version: int
    opened_at: datetime
    stage_since: datetime
    updated_at: datetime
    t0: date | None = None
    materials_missing: tuple[Material, ...] = ()
    deficiency_notified: bool = False
    close_relatives: tuple[int, ...] = ()
    investigation_team: tuple[str, ...] = ()
    investigators: tuple[str, ...] = ()  # everyone who investigated (township and county): maker side
    home_visits: int = 0
    info_check_requested: bool = False
    info_check: InfoCheckReport | None = None
    info_check_negative: bool = False
    rechecks: int = 0
    village_review: str | None = None  # "exempted" | "appraisal_ordered" | "appraisal_held"
    appraisal_conclusion: str | None = None
    prelim_eligible: bool | None = None
    prelim_assessment: Assessment | None = None
    publicity_starts_on: date | None = None
    publicity_ends_on: date | None = None
    publicity_ends_at: datetime | None = None
    publicity_rounds: int = 0
    objections: tuple[Objection, ...] = ()
    county_home_visit: bool = False
    complaints: tuple[Complaint, ...] = ()
    monthly_amount: Decimal | None = None
    first_payment_month: str | None = None
    decision_assessment: Assessment | None = None
    rejection_reasons: tuple[str, ...] = ()
    rejection_notice_due: date | None = None
    rejection_notice_served: bool = False
    non_cooperation_count: int = 0
    extension_ground: ExtensionGround | None = None
    deadlines: dict[str, Deadline] = {}
    decided_at: datetime | None = None
    published_at: datetime | None = None
    # --- the in-payment life (SPEC §8) ---
    review_class: ReviewClass | None = None
    next_review_due: date | None = None
    review: OpenReview | None = None
    reviews_completed: int = 0
    benefit_periods: tuple[BenefitPeriod, ...] = ()
    departed: tuple[Departure, ...] = ()
    unresolved_deaths: tuple[date, ...] = ()
    job_refusals: dict[int, int] = {}
    share_cuts: tuple[int, ...] = ()
    gradual_exit_ends_month: str | None = None
    gradual_exit_seq: int | None = None
    exit_reasons: tuple[str, ...] = ()
    exit_assessment: Assessment | None = None
    stop_effective_month: str | None = None
    stop_reason: str | None = None
    stop_notice_served: bool = False
    standard_versions_applied: tuple[str, ...] = ()
    overpayment_ordered: Decimal = Decimal("0")
    recovered: dict[str, Decimal] = {}  # per payment month, what was ordered back already

    @property
    def is_closed(self) -> bool:
        """Finished: nothing more will happen on the application (the workflow may complete)."""
        if self.stage is Stage.REJECTED:
            return self.rejection_notice_served
        if self.stage is Stage.EXITED:
            return self.stop_notice_served
        return self.stage in {Stage.TERMINATED_NONCOOPERATION, Stage.WITHDRAWN}

    @property
    def counted_members(self) -> tuple[int, ...]:
        """Indexes of the members who still count in the household (S1 Art. 7)."""
        gone = {d.member_index for d in self.departed}
        return tuple(i for i in range(len(self.members)) if i not in gone)

    def amount_for(self, month: str) -> Decimal | None:
        """The monthly amount payable for ``month`` (YYYY-MM), or None when nothing is payable."""
        if self.stop_effective_month is not None and month >= self.stop_effective_month:
            return None
        current = None
        for period in self.benefit_periods:
            if period.from_month <= month:
                current = period
        return current.monthly_amount if current else None

    @property
    def open_objections(self) -> int:
        return sum(1 for o in self.objections if not o.resolved)

    @property
    def open_complaints(self) -> int:
        return sum(1 for c in self.complaints if not c.resolved)


class PendingStep(BaseModel):
    """Who must act next, and by when."""

    step: str
    roles: tuple[Role, ...]
    due: date | None = None
    overdue_escalated: bool = False
