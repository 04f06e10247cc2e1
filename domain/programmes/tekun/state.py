"""The state of a 特困 case: the kernel's case core, the fields the shared steps use, and S3's own."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from domain.commands import AdlItem, DisabilityKind, Supporter, TerminationGround
from domain.household import AreaType, Program
from domain.parameters import CareTier, SupportForm
from domain.procedure.records import BenefitPeriod, period_in_force
from domain.procedure.steps import ProcedureSteps
from domain.programmes.tekun.stages import Stage


class TekunState(ProcedureSteps):
    """Everything the engine knows about a 特困 case, rebuilt by folding its events.

    Field names are a contract: the state travels in Temporal payloads (a continued run's input).
    """

    program: Literal[Program.TEKUN]
    stage: Stage
    benefit_periods: tuple[BenefitPeriod, ...] = ()
    # --- S3's own: the conditions (Arts. 5, 8, 9) ---
    facts_recorded: bool = False
    disability_kind: DisabilityKind | None = None
    disability_grade: int | None = None
    supporters: tuple[Supporter, ...] = ()
    orphan_scheme_chosen: bool = False
    applicant_signed_check_authorisation: bool = True
    contracted_land: bool | None = None  # S3 Art. 19
    relocated_to_town: bool = False  # S3 Art. 19
    # --- self-care and support form (S3 Arts. 20-23; S4 Art. 19) ---
    adl_failed: tuple[AdlItem, ...] | None = None
    care_tier: CareTier | None = None
    reassessment_pending: bool = False
    support_form: SupportForm | None = None
    institution_id: str | None = None
    carer: str | None = None
    waiting_for: str | None = None  # the institution whose waiting list the case is on
    waiting_since: datetime | None = None
    basic_amount: Decimal | None = None
    care_amount: Decimal | None = None
    # --- the county's random check (S3 Art. 16) ---
    check_draw_id: UUID | None = None
    drawn_for_county_check: bool | None = None
    # --- in payment (S3 Art. 24 note; S5 item 7) ---
    next_review_due: date | None = None
    review_trigger: str | None = None
    data_alerts: tuple[str, ...] = ()  # alerts from data comparisons (S6 §三), in order
    reviews_completed: int = 0
    minor_review_opened: bool = False
    schooling_until: date | None = None
    standard_versions_applied: tuple[str, ...] = ()  # 物价联动 applied once per version (S4 Art. 10)
    back_paid: dict[str, Decimal] = {}  # per payment month, the 补发 decided already (a retroactive raise)
    back_pay_decided: Decimal = Decimal("0")
    # --- termination (S3 Arts. 24-27) ---
    termination_ground: TerminationGround | None = None
    termination_reasons: tuple[str, ...] = ()
    termination_effective_month: str | None = None
    termination_notice_served: bool = False

    @property
    def is_closed(self) -> bool:
        """Finished: nothing more will happen on the case (the workflow may complete)."""
        if self.stage is Stage.REJECTED:
            return self.rejection_notice_served
        if self.stage is Stage.TERMINATED:
            return self.termination_notice_served
        return self.stage in {Stage.TERMINATED_NONCOOPERATION, Stage.WITHDRAWN}

    def amount_for(self, month: str) -> Decimal | None:
        """The monthly amount payable for ``month`` (YYYY-MM), or None (nothing from the termination's month)."""
        current = period_in_force(self.benefit_periods, month, self.termination_effective_month)
        return current.monthly_amount if current else None

    # --- what the read model, the API and the rolls ask every case (dibao's names) ---

    @property
    def stop_effective_month(self) -> str | None:
        """The month from which nothing is paid: the termination's (S3 Art. 26)."""
        return self.termination_effective_month

    @property
    def stop_reason(self) -> str | None:
        return self.termination_ground.value if self.termination_ground else None

    @property
    def counted_members(self) -> tuple[int, ...]:
        return (0,)

    review_class: ClassVar[None] = None
    review: ClassVar[None] = None
    gradual_exit_ends_month: ClassVar[None] = None

    @property
    def treatment_area(self) -> AreaType:
        """Urban or rural treatment (S3 Art. 19): urban after poverty-alleviation relocation to a town; rural with
        contracted land or a share in collective income; otherwise the application's area type."""
        if self.relocated_to_town:
            return AreaType.URBAN
        if self.contracted_land:
            return AreaType.RURAL
        return self.area_type

    @property
    def amount_parts(self) -> tuple[Decimal, Decimal] | None:
        """(basic-living part, care part) of the amount in payment: the last change's, else the approval's."""
        if self.basic_amount is not None and self.care_amount is not None:
            return self.basic_amount, self.care_amount
        if self.decision_assessment is None:
            return None
        for criterion in self.decision_assessment.criteria:
            if criterion.code == "amount":
                return (Decimal(criterion.parameters["basic_living_standard_monthly"]),
                        Decimal(criterion.parameters["care_standard_monthly"]))
        return None
