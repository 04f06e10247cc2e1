"""API request and response shapes (``…Create`` in, ``…Public`` out). Requests reject unknown fields."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.case import is_overdue
from domain.commands import HumanCommand
from domain.divisions import validate_village_code
from domain.errors import InvalidInput
from domain.household import (
    MAX_MEMBERS,
    AreaType,
    Declaration,
    IncomeItem,
    LabourCapacity,
    Program,
    PropertyItem,
    Relation,
)
from domain.identity import parse_resident_id
from domain.state import CaseState, PendingStep, Stage


class MemberCreate(BaseModel):
    """A household member as the window enters it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=50)]
    resident_id: Annotated[
        str, Field(min_length=18, max_length=18, description="18-character resident ID number (GB 11643-1999)")
    ]
    relation: Relation
    labour_capacity: LabourCapacity = LabourCapacity.FULL
    disability_grade: Annotated[int, Field(ge=1, le=4)] | None = None
    serious_illness: bool = False
    hukou_code: Annotated[str | None, Field(pattern=r"^(?:[0-9]{6}|[0-9]{9}|[0-9]{12})$",
                                            description="division code of the hukou registration")] = None
    residence_code: Annotated[str | None, Field(pattern=r"^(?:[0-9]{6}|[0-9]{9}|[0-9]{12})$",
                                                description="division code of the habitual residence")] = None

    @field_validator("resident_id")
    @classmethod
    def _gb11643(cls, value: str) -> str:
        try:
            return parse_resident_id(value).value
        except InvalidInput as err:
            raise ValueError(err.message) from None


class IncomeItemCreate(IncomeItem):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PropertyItemCreate(PropertyItem):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeclarationCreate(BaseModel):
    """The written declaration of income (totals over the reference period) and property (S1 Art. 9)."""

    model_config = ConfigDict(extra="forbid")

    income: Annotated[list[IncomeItemCreate], Field(max_length=200)] = []
    property: Annotated[list[PropertyItemCreate], Field(max_length=200)] = []

    def to_domain(self) -> Declaration:
        return Declaration(
            income=[IncomeItem(**i.model_dump()) for i in self.income],
            property=[PropertyItem(**p.model_dump()) for p in self.property],
        )


class CaseCreate(BaseModel):
    """An application handed in at the township window (or by the village committee as agent)."""

    model_config = ConfigDict(extra="forbid")

    program: Program = Program.DIBAO
    village_code: Annotated[str, Field(description="12-digit village (村/社区) code, 统计用区划代码")]
    area_type: AreaType
    members: Annotated[list[MemberCreate], Field(min_length=1, max_length=MAX_MEMBERS)]
    declaration: DeclarationCreate = DeclarationCreate()

    @field_validator("village_code")
    @classmethod
    def _village(cls, value: str) -> str:
        try:
            return validate_village_code(value)
        except InvalidInput as err:
            raise ValueError(err.message) from None


class CasePublic(BaseModel):
    """A case as the API shows it: where it stands, nothing personal."""

    case_id: UUID
    workflow_id: str
    program: Program
    stage: Stage
    village_code: str
    township_code: str
    county_code: str
    household_size: int
    version: int
    opened_at: datetime
    stage_since: datetime
    updated_at: datetime

    @classmethod
    def of(cls, state: CaseState, workflow_id: str) -> CasePublic:
        return cls(
            case_id=state.case_id,
            workflow_id=workflow_id,
            program=state.program,
            stage=state.stage,
            village_code=state.village_code,
            township_code=state.township_code,
            county_code=state.county_code,
            household_size=len(state.members),
            version=state.version,
            opened_at=state.opened_at,
            stage_since=state.stage_since,
            updated_at=state.updated_at,
        )


class PendingPublic(BaseModel):
    step: str
    roles: list[str]
    due: date | None = None
    overdue: bool = False


class DeadlinePublic(BaseModel):
    step: str
    due: date
    escalated: bool


class BenefitPeriodPublic(BaseModel):
    """The monthly amount from a month on (until the next period or the stop month)."""

    from_month: str
    monthly_amount: Decimal
    household_size: int
    parameter_set_version: str | None


class CaseDetail(CasePublic):
    """A case with where it stands in the procedure: the pending step, who must act, by when."""

    pending: PendingPublic | None = None
    t0: date | None = None
    deadlines: list[DeadlinePublic] = []
    close_relative_filed: bool = False
    open_objections: int = 0
    open_complaints: int = 0
    prelim_eligible: bool | None = None
    monthly_amount: Decimal | None = None
    first_payment_month: str | None = None
    rejection_reasons: list[str] = []
    #: Any escalated deadline whose step is still pending (the pending step's own deadline is in ``pending``).
    overdue: bool = False
    # the in-payment life (SPEC §8)
    review_class: str | None = None
    next_review_due: date | None = None
    review_trigger: str | None = None
    benefit_periods: list[BenefitPeriodPublic] = []
    gradual_exit_ends_month: str | None = None
    stop_effective_month: str | None = None
    stop_reason: str | None = None

    @classmethod
    def of_snapshot(cls, state: CaseState, pending: PendingStep | None, workflow_id: str) -> CaseDetail:
        base = CasePublic.of(state, workflow_id).model_dump()
        return cls(
            **base,
            pending=PendingPublic(step=pending.step, roles=[r.value for r in pending.roles], due=pending.due,
                                  overdue=pending.overdue_escalated) if pending else None,
            t0=state.t0,
            deadlines=[DeadlinePublic(step=d.step, due=d.due, escalated=d.escalated)
                       for d in sorted(state.deadlines.values(), key=lambda d: d.due)],
            close_relative_filed=bool(state.close_relatives),
            open_objections=state.open_objections,
            open_complaints=state.open_complaints,
            prelim_eligible=state.prelim_eligible,
            monthly_amount=state.monthly_amount,
            first_payment_month=state.first_payment_month,
            rejection_reasons=list(state.rejection_reasons),
            overdue=is_overdue(state),
            review_class=state.review_class.value if state.review_class else None,
            next_review_due=state.next_review_due,
            review_trigger=state.review.trigger if state.review else None,
            benefit_periods=[BenefitPeriodPublic(from_month=p.from_month, monthly_amount=p.monthly_amount,
                                                 household_size=p.household_size,
                                                 parameter_set_version=p.parameter_set_version)
                             for p in state.benefit_periods],
            gradual_exit_ends_month=state.gradual_exit_ends_month,
            stop_effective_month=state.stop_effective_month,
            stop_reason=state.stop_reason,
        )


class CommandCreate(BaseModel):
    """One step of the procedure: ``{"command": {"type": "...", ...}}``."""

    model_config = ConfigDict(extra="forbid")

    command: HumanCommand


class CommandOutcome(BaseModel):
    case: CaseDetail
    events: list[str]
    first_seq: int


class TrailEntry(BaseModel):
    """One step of the trail: a recorded decision (who, when, why, on what basis, with which parameters and
    explanation, and where the ledger holds it), or a refused command (who tried what, and why it was refused:
    ``type`` is the command, ``details`` the refusal's code and field)."""

    kind: Literal["decision", "refused"] = "decision"
    seq: int | None = None
    type: str
    at: datetime
    actor_id: str
    actor_role: str
    actor_jurisdiction: str
    reason: str | None = None
    legal_basis: list[str] = []
    parameter_set_version: str | None = None
    details: dict[str, Any] = {}
    explanation: list[dict[str, Any]] = []
    ledger_position: int | None = None
    ledger_hash: str | None = None


class Problem(BaseModel):
    """Error body for 401, 403, 404, 409 and 503."""

    detail: str


class DependencyStatus(BaseModel):
    status: str
    failing: list[str] = []
