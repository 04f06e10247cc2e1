"""API request and response shapes (``…Create`` in, ``…Public`` out).

Every request body is a :class:`RequestBody`: unknown fields are refused at every level (no mass
assignment: ``status``, ``amount`` or ``version`` smuggled into a body is a 422 naming the field), strings
carry no control characters, bidirectional overrides or unpaired surrogates, nesting is bounded, and every
list, string, amount, date and code has a stated limit. A 422 names the field and the reason, never the value
(api/errors.py).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from domain import commands as c
from domain.actors import Actor
from domain.divisions import validate_known_village
from domain.errors import InvalidInput
from domain.household import (
    MAX_MEMBERS,
    AreaType,
    Declaration,
    IncomeItem,
    Member,
    Program,
    PropertyItem,
)
from domain.identity import LEGACY_REFUSED, convert_legacy_resident_id, is_legacy_shape, parse_resident_id
from domain.kernel.state import PendingStep
from domain.programmes import CaseState, is_overdue
from domain.temporary import Instalment, TemporaryRequest

# --- limits every request shares --------------------------------------------------------------------------

#: The largest amount of money accepted anywhere, in yuan (income over the reference period, a property's
#: value, an amount obtained by fraud): far above any household the programme concerns, far below anything
#: that strains arithmetic or storage.
MAX_AMOUNT = Decimal("1000000000")
#: Dates of events (a death, a member leaving, report filters) lie in this range; birth dates are checked as
#: part of the ID number (GB 11643) and against today by the domain.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
#: Objects and arrays nested deeper than this are refused (the deepest valid body has 5 levels).
MAX_DEPTH = 10
#: At most this many problems are reported for one body.
_MAX_ERRORS = 20

# C0 controls except TAB, LF and CR; DEL and the C1 controls; the Unicode Bidi_Control characters (ALM, LRM,
# RLM, the embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069) that make text display other
# than it reads; unpaired surrogates; the non-characters U+FFFE and U+FFFF.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")
_UNSAFE_MESSAGE = ("must not contain control characters (such as NUL), bidirectional overrides or isolates "
                   "(U+202A-U+202E, U+2066-U+2069) or unpaired surrogates")


def _walk(data: Any) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """``(loc, type, message)`` of every unsafe string and of nesting past ``MAX_DEPTH`` (iterative: a deep
    body cannot exhaust the stack)."""
    stack: list[tuple[tuple[str | int, ...], Any, int]] = [((), data, 1)]
    while stack:
        loc, value, depth = stack.pop()
        if isinstance(value, str):
            if _UNSAFE.search(value):
                yield loc, "unsafe_text", _UNSAFE_MESSAGE
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                yield loc, "too_deep", f"objects and arrays may be nested at most {MAX_DEPTH} levels deep"
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = []
            for key, child in items:
                if isinstance(key, str) and _UNSAFE.search(key):
                    yield loc, "unsafe_text", f"a field name {_UNSAFE_MESSAGE}"
                    continue
                children.append(((*loc, key), child, depth + 1))
            stack.extend(reversed(children))


def check_safe_json(data: Any, title: str = "body") -> None:
    """Refuse unsafe strings and deep nesting anywhere in a parsed JSON value.

    Raises:
        ValidationError: one error per problem (at most 20), each located, none echoing the value.
    """
    errors: list[InitErrorDetails] = []
    for loc, kind, message in _walk(data):
        errors.append(InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=None))
        if len(errors) >= _MAX_ERRORS:
            break
    if errors:
        raise ValidationError.from_exception_data(title, errors)


def _single_line(value: str) -> str:
    if _LINE_BREAK.search(value):
        raise ValueError("must be a single line (no tabs or line breaks)")
    return value


def safe_line(value: str) -> str:
    """A path or query text: one line, nothing :data:`_UNSAFE` (bodies are checked as a whole instead)."""
    if _UNSAFE.search(value):
        raise ValueError(_UNSAFE_MESSAGE)
    return _single_line(value)


def _gb11643(value: str) -> str:
    try:
        return parse_resident_id(value).value
    except InvalidInput as err:
        raise ValueError(err.message) from None


def _legacy_refused(value: Any) -> Any:
    """A 15-digit number at the window: refused as the legacy number it is, before the length constraint
    would call it merely too short (SPEC §10.1: legacy numbers are converted only in data migration)."""
    if isinstance(value, str) and is_legacy_shape(value):
        raise ValueError(LEGACY_REFUSED)
    return value


def _legacy_converted(value: Any) -> Any:
    """A 15-digit number from another department's data: converted to its 18-digit form (GB 11643-1999)."""
    if isinstance(value, str) and is_legacy_shape(value):
        try:
            return convert_legacy_resident_id(value).value
        except InvalidInput as err:
            raise ValueError(err.message) from None
    return value


def _village(value: str) -> str:
    try:
        return validate_known_village(value)
    except InvalidInput as err:
        raise ValueError(err.message) from None


#: Marks a one-line text (a name, a bank, a source): no tabs or line breaks. After the length constraints:
#: ``Annotated[str, Field(max_length=...), SingleLine]``.
SingleLine = AfterValidator(_single_line)
#: An 18-character resident ID number, checked (shape, birth date, ISO 7064 check character) and normalised.
#: A 15-digit legacy number is refused as such (the window has the person's 18-digit number).
ResidentIdNumber = Annotated[
    str,
    Field(min_length=18, max_length=18, json_schema_extra={"pattern": "^[0-9]{17}[0-9Xx]$"},
          description="18-character resident ID number (GB 11643-1999)"),
    BeforeValidator(_legacy_refused),
    AfterValidator(_gb11643),
]
#: A resident ID number in another department's data: 18 characters, or a 15-digit legacy number, which is
#: converted to its 18-digit form (GB 11643-1999) and handled as that number from then on.
ConvertibleResidentIdNumber = Annotated[
    str,
    Field(min_length=18, max_length=18,
          json_schema_extra={"pattern": "^(?:[0-9]{15}|[0-9]{17}[0-9Xx])$", "minLength": 15},
          description="18-character resident ID number (GB 11643-1999); a 15-digit legacy number is converted "
                      "to its 18-digit form"),
    BeforeValidator(_legacy_converted),
    AfterValidator(_gb11643),
]
#: A division code: county (6 digits), township (9) or village (12).
DivisionCode = Annotated[str, Field(pattern=r"^(?:[0-9]{6}|[0-9]{9}|[0-9]{12})$")]
#: A 12-digit village (村/社区) code of the county's village table (domain/lufeng_villages.py). The shape is
#: documented in the schema and checked by
#: the validator, whose messages are clearer than a pattern's.
VillageCode = Annotated[
    str,
    Field(max_length=12, json_schema_extra={"pattern": "^[0-9]{12}$", "minLength": 12},
          description="12-digit village (村/社区) code, 统计用区划代码"),
    AfterValidator(_village),
]
#: The shapes of a township code and of a payment month, in a body or a path.
TOWNSHIP_PATTERN = "^[0-9]{9}$"
MONTH_PATTERN = "^(?:19[0-9]{2}|20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])$"


def township_shape(value: str) -> str:
    """A 9-digit township code (whether the county has that township is the route's question)."""
    if not re.fullmatch(TOWNSHIP_PATTERN, value):
        raise ValueError("must be a 9-digit township code (统计用区划代码)")
    return value


def month_shape(value: str) -> str:
    """A month written ``YYYY-MM``, 1900-01 to 2100-12."""
    if not re.fullmatch(MONTH_PATTERN, value):
        raise ValueError("must be a month written YYYY-MM (month 01-12, year 1900-2100)")
    return value


#: A 9-digit township (乡镇/街道) code.
TownshipCode = Annotated[
    str,
    Field(max_length=9, json_schema_extra={"pattern": TOWNSHIP_PATTERN, "minLength": 9},
          description="9-digit township code", examples=["532302101"]),
    AfterValidator(township_shape),
]
#: A payment month, ``YYYY-MM``, 1900-2100.
Month = Annotated[
    str,
    Field(max_length=7, json_schema_extra={"pattern": MONTH_PATTERN, "minLength": 7},
          description="month, YYYY-MM", examples=["2027-03"]),
    AfterValidator(month_shape),
]
#: A date of an event in a case.
EventDate = Annotated[date, Field(ge=MIN_DATE, le=MAX_DATE)]
#: An amount of money in yuan: not negative, at most two decimal places, at most ``MAX_AMOUNT``.
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2)]
#: Which member of the household (its position in the member list).
MemberIndex = Annotated[int, Field(ge=0, lt=MAX_MEMBERS)]


class RequestBody(BaseModel):
    """Base of every request body: unknown fields refused, and no unsafe string or deep nesting anywhere."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _safe(cls, data: Any) -> Any:
        check_safe_json(data, cls.__name__)
        return data


class MemberCreate(Member):
    """A household member as the window enters it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=50), SingleLine]
    resident_id: ResidentIdNumber
    disability_grade: Annotated[int, Field(ge=1, le=4)] | None = None
    hukou_code: Annotated[DivisionCode | None,
                          Field(description="division code of the hukou registration")] = None
    residence_code: Annotated[DivisionCode | None,
                              Field(description="division code of the habitual residence")] = None


class IncomeItemCreate(IncomeItem):
    """One declared income item: its total over the reference period."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Amount
    member_index: MemberIndex | None = None


class PropertyItemCreate(PropertyItem):
    """One declared property item."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Amount = Decimal("0")
    exempt_reason: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class DeclarationCreate(Declaration):
    """The written declaration of income (totals over the reference period) and property (S1 Art. 9)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    income: Annotated[list[IncomeItemCreate], Field(max_length=200)] = []
    property: Annotated[list[PropertyItemCreate], Field(max_length=200)] = []

    def to_domain(self) -> Declaration:
        return Declaration(
            income=[IncomeItem(**i.model_dump()) for i in self.income],
            property=[PropertyItem(**p.model_dump()) for p in self.property],
        )


class TemporaryRequestCreate(TemporaryRequest):
    model_config = ConfigDict(frozen=True, extra="forbid")

    situation: Annotated[str, Field(min_length=1, max_length=2000), SingleLine]


class CaseCreate(RequestBody):
    """An application handed in at the township window (or by the village committee as agent)."""

    program: Program = Program.DIBAO
    village_code: VillageCode
    area_type: AreaType
    members: Annotated[list[MemberCreate], Field(min_length=1, max_length=MAX_MEMBERS)]
    declaration: DeclarationCreate = DeclarationCreate()
    #: Takes up an open referral from another programme (转办, S4 Art. 60; ``GET /v1/referrals``): the referral
    #: must be to this programme and inside the caller's jurisdiction; it is then taken by the new case.
    referral_id: UUID | None = None
    #: 临时救助 only: type, cause, severity, situation, the essential expenditure, and ``urgent`` (how the
    #: emergency was reported) for 先行救助 (S8 §二; SPEC §5).
    temporary: TemporaryRequestCreate | None = None
    #: 一门受理: the intake this application is opened from (``POST /v1/intakes``); one case per programme.
    intake_id: UUID | None = None


# --- commands: the domain's, with the API's limits where the domain leaves them open ----------------------


#: The domain's commands accept unknown fields (they are Temporal payloads); a request never does.
_FORBID = ConfigDict(extra="forbid")


class CloseRelative(c.CloseRelative):
    """A close relative filed at 受理 (S1 Art. 11). A case worker's relative must name the staff member
    (``staff_id``, their actor id): without it nobody could be recused (回避). A village committee member or
    public official is named when they act in the engine."""

    model_config = _FORBID

    member_index: MemberIndex

    @model_validator(mode="after")
    def _case_worker_named(self) -> CloseRelative:
        if self.related_to == "case_worker" and self.staff_id is None:
            raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                type=PydanticCustomError("missing", "a case worker filed as a close relative must be named by "
                                                    "their staff id (回避, S1 Art. 11)"),
                loc=("staff_id",), input=None)])
        return self


class AcceptApplication(c.AcceptApplication):
    model_config = _FORBID

    close_relatives: Annotated[list[CloseRelative], Field(max_length=MAX_MEMBERS)] = []


class Attendee(c.Attendee):
    model_config = _FORBID


class RecordDemocraticAppraisal(c.RecordDemocraticAppraisal):
    model_config = _FORBID

    attendance: Annotated[list[Attendee], Field(min_length=1, max_length=200)]


class MemberLeaving(c.MemberLeaving):
    model_config = _FORBID

    on: EventDate | None = None


class ReportChange(c.ReportChange):
    model_config = _FORBID

    members_joining: Annotated[list[MemberCreate], Field(max_length=10)] = []
    members_leaving: Annotated[list[MemberLeaving], Field(max_length=MAX_MEMBERS)] = []
    declaration: DeclarationCreate | None = None


class AmendHousehold(c.AmendHousehold):
    model_config = _FORBID

    members_joining: Annotated[list[MemberCreate], Field(max_length=10)] = []
    members_leaving: Annotated[list[MemberLeaving], Field(max_length=MAX_MEMBERS)] = []
    declaration: DeclarationCreate | None = None
    evidence: Annotated[str, Field(min_length=1, max_length=500), SingleLine]


class ConfirmAmendment(c.ConfirmAmendment):
    model_config = _FORBID

    declaration: DeclarationCreate | None = None


class RaiseDataAlert(c.RaiseDataAlert):
    model_config = _FORBID

    occurred_on: EventDate
    source: Annotated[str, Field(min_length=1, max_length=100), SingleLine]


class RecordFraudFinding(c.RecordFraudFinding):
    model_config = _FORBID

    amount_obtained: Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2)]


_STRICTER: dict[type[BaseModel], type[BaseModel]] = {
    c.AcceptApplication: AcceptApplication,
    c.RecordDemocraticAppraisal: RecordDemocraticAppraisal,
    c.ReportChange: ReportChange,
    c.AmendHousehold: AmendHousehold,
    c.ConfirmAmendment: ConfirmAmendment,
    c.RaiseDataAlert: RaiseDataAlert,
    c.RecordFraudFinding: RecordFraudFinding,
}


def _strict(model: type[BaseModel]) -> type[BaseModel]:
    """The API's copy of a domain command: the same fields and JSON, unknown fields refused."""
    if model in _STRICTER:
        return _STRICTER[model]
    return type(model.__name__, (model,), {"model_config": _FORBID, "__module__": __name__,
                                           "__doc__": model.__doc__})


_DOMAIN_COMMANDS: tuple[type[BaseModel], ...] = typing.get_args(typing.get_args(c.HumanCommand)[0])
#: The command ``type`` values the API accepts: the human steps (never the engine's own commands).
COMMAND_TYPES: tuple[str, ...] = tuple(m.model_fields["type"].default for m in _DOMAIN_COMMANDS)

#: ``c.HumanCommand`` with strict copies in place of the domain's (each a subclass, so the workflow receives
#: exactly what it would have; the JSON is the same).
ApiCommand = Annotated[  # type: ignore[valid-type]
    typing.Union[tuple(_strict(m) for m in _DOMAIN_COMMANDS)],  # noqa: UP007
    Field(discriminator="type"),
]


class CommandCreate(RequestBody):
    """One step of the procedure: ``{"command": {"type": "...", ...}}``."""

    command: ApiCommand

    @field_validator("command", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> Any:
        # Refuse an unknown type here: pydantic's own message would repeat the value sent.
        if isinstance(value, dict) and "type" in value and value["type"] not in COMMAND_TYPES:
            raise ValidationError.from_exception_data(cls.__name__, [InitErrorDetails(
                type=PydanticCustomError("union_tag_invalid", "unknown command type; one of: {types}",
                                         {"types": ", ".join(COMMAND_TYPES)}),
                loc=("type",), input=None)])
        return value


class CasePublic(BaseModel):
    """A case as the API shows it: where it stands, nothing personal."""

    case_id: UUID
    workflow_id: str
    program: Program
    stage: str = Field(description="the programme's stage code (dibao: submitted … exited)")
    village_code: str
    township_code: str
    county_code: str
    household_size: int = Field(description="the household the case is about: before the decision, the members "
                                "who still count (S1 Art. 7); once an amount is decided, the household it is paid "
                                "for, as on the current benefit period and the payment roll (a departure counts "
                                "from the review that recomputes the amount, S6 §一(三))")
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
            household_size=state.household_size,
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


class EarlierCasePublic(BaseModel):
    """An earlier case of a member of the household, linked at intake: as the register held it then."""

    case_id: UUID
    program: Program
    village_code: str
    opened_at: datetime
    #: approved / rejected / terminated / withdrawn / exited / forwarded (跨省通办); None: undecided when this case
    #: was submitted.
    outcome: str | None = None
    decided_at: datetime | None = None
    #: The refusal's reasons (S1 Art. 21), for a refused case.
    reasons: list[str] = []
    #: Which members of this case (by index) were members of that one.
    member_indexes: list[int] = []


class TekunDetail(BaseModel):
    """特困's own facts of a case (S3; S4 Art. 19): the care tier, the support form, the institution (or the one
    whose waiting list it is on), the county's random check, the amount's two parts and the termination."""

    care_tier: str | None = None
    reassessment_pending: bool = False
    support_form: str | None = None
    institution_id: str | None = None
    waiting_for: str | None = None
    drawn_for_county_check: bool | None = None
    basic_amount: Decimal | None = None
    care_amount: Decimal | None = None
    next_review_due: date | None = None
    schooling_until: date | None = None
    termination_ground: str | None = None
    termination_effective_month: str | None = None

    @classmethod
    def of(cls, state: Any) -> TekunDetail | None:
        if state.program != "tekun":
            return None
        parts = state.amount_parts
        return cls(
            care_tier=state.care_tier, reassessment_pending=state.reassessment_pending,
            support_form=state.support_form, institution_id=state.institution_id, waiting_for=state.waiting_for,
            drawn_for_county_check=state.drawn_for_county_check,
            basic_amount=parts[0] if parts else None, care_amount=parts[1] if parts else None,
            next_review_due=state.next_review_due, schooling_until=state.schooling_until,
            termination_ground=state.termination_ground,
            termination_effective_month=state.termination_effective_month,
        )


class TemporaryPublic(BaseModel):
    """A 临时救助 case's own facts (S8 §二): no personal data."""

    kind: str | None
    cause: str | None
    severity: str | None
    report_source: str | None
    urgent_amount: Decimal | None
    urgent_form: str | None
    emergency_eased: bool
    regularised: bool
    follow_up: bool
    discussion_decision: str | None
    amount: Decimal | None
    tier_amount: Decimal | None
    approval_level: str | None
    form: str | None
    instalments: list[Instalment]

    @classmethod
    def of(cls, state: Any) -> TemporaryPublic:
        return cls(**{name: getattr(state, name) for name in cls.model_fields if name != "instalments"},
                     instalments=list(state.instalments))


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
    #: The household members' earlier cases linked at intake, those inside the reader's jurisdiction (a case
    #: outside it is not shown, as it could not be read: S4 Art. 61).
    earlier_cases: list[EarlierCasePublic] = []
    #: 特困 cases only (absent for the other programmes).
    tekun: TekunDetail | None = Field(default=None, exclude_if=lambda v: v is None)
    #: 临时救助 only: the need, the urgent grant and its formalities, the approval and its instalments.
    temporary: TemporaryPublic | None = None

    @classmethod
    def of_snapshot(cls, state: CaseState, pending: PendingStep | None, workflow_id: str, *,
                    reader: Actor | None = None) -> CaseDetail:
        """The case as ``reader`` may see it (no earlier cases without a reader)."""
        base = CasePublic.of(state, workflow_id).model_dump()
        return cls(
            **base,
            pending=PendingPublic(step=pending.step, roles=[r.value for r in pending.roles], due=pending.due,
                                  overdue=pending.overdue_escalated) if pending else None,
            t0=getattr(state, "t0", None),  # fields of one programme's state read as absent elsewhere
            deadlines=[DeadlinePublic(step=d.step, due=d.due, escalated=d.escalated)
                       for d in sorted(state.deadlines.values(), key=lambda d: (d.due, d.step))],
            close_relative_filed=bool(getattr(state, "close_relatives", ())),
            open_objections=getattr(state, "open_objections", 0),
            open_complaints=getattr(state, "open_complaints", 0),
            prelim_eligible=getattr(state, "prelim_eligible", None),
            monthly_amount=state.monthly_amount,
            first_payment_month=state.first_payment_month,
            rejection_reasons=list(getattr(state, "rejection_reasons", None) or getattr(state, "refusal_reasons", ())),
            overdue=is_overdue(state),
            review_class=review_class.value if (review_class := getattr(state, "review_class", None)) else None,
            next_review_due=getattr(state, "next_review_due", None),
            review_trigger=(state.review.trigger if getattr(state, "review", None)
                            else getattr(state, "review_trigger", None)),
            benefit_periods=[BenefitPeriodPublic(from_month=p.from_month, monthly_amount=p.monthly_amount,
                                                 household_size=p.household_size,
                                                 parameter_set_version=p.parameter_set_version)
                             for p in state.benefit_periods],
            gradual_exit_ends_month=getattr(state, "gradual_exit_ends_month", None),
            stop_effective_month=getattr(state, "stop_effective_month", None),
            stop_reason=getattr(state, "stop_reason", None),
            earlier_cases=[EarlierCasePublic(**link.model_dump()) for link in state.earlier_cases
                           if reader is not None and reader.covers(link.village_code)],
            tekun=TekunDetail.of(state),
            temporary=TemporaryPublic.of(state) if state.program is Program.TEMPORARY else None,
        )


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


def json_error_responses(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route whose own answer is not JSON (a printable page): FastAPI would declare a
    ``model`` under the route's media type (text/html), but errors are JSON ``Problem`` bodies."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {code: {"description": r["description"], "content": {"application/json": {"schema": ref}}}
            for code, r in responses.items()}
