"""临时救助's printable notices, built from the state (pure): 受理通知书, 公示 (name, household size, proposed
amount only: SPEC §9), 临时救助决定书 (amount, instalments, cash or kind) and 不予救助通知书 with the remedy
(S4 Arts. 48, 65). The models have ``extra="forbid"`` like :mod:`domain.notices`; rendering is in
``adapters/rendering``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from domain.divisions import LUFENG_TOWNSHIPS
from domain.errors import InvalidTransition
from domain.household import Relation
from domain.kernel.clock import CHINA_TZ
from domain.notices import (
    DEFAULT_REMEDY_TEXT,
    HOTLINE,
    CaseRef,
    Channel,
    HouseholdSize,
    Issuer,
    PersonName,
    PublicName,
    PublicNoticeEntry,
    Reason,
    Yuan,
)
from domain.programmes.temporary.stages import Stage

MEASURES = "《社会救助暂行办法》"
OPINIONS = "《关于进一步加强和改进临时救助工作的意见》"
COUNTY_BUREAU = "禄丰市民政局"
_CONFIG = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

NOTICE_KINDS: tuple[str, ...] = ("acceptance", "publicity", "approval", "rejection")


class TemporaryAcceptanceNotice(BaseModel):
    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第四十八条",)

    case_ref: CaseRef
    applicant_name: PersonName
    accepted_on: date
    issuer: Issuer


class TemporaryPublicityNotice(BaseModel):
    """公示 before the approval (S4 Art. 48): name, household size and proposed amount only (SPEC §9)."""

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第四十八条",)

    village_name: PublicName
    township_name: PublicName
    entries: list[PublicNoticeEntry]
    period_start: date
    period_end: date
    objection_channel: Channel = HOTLINE
    issuer: Issuer


class InstalmentLine(BaseModel):
    model_config = _CONFIG

    on: date
    amount: Yuan
    cancelled: bool = False


class InKindLine(BaseModel):
    model_config = _CONFIG

    what: PublicName
    quantity: int
    value: Yuan


class TemporaryDecisionNotice(BaseModel):
    """临时救助决定书 (S4 Art. 48; S8 §二(三), (四)): the amount, the instalments on their dates, cash or kind."""

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第四十八条", f"{OPINIONS}二(四)")

    case_ref: CaseRef
    applicant_name: PersonName
    household_size: HouseholdSize
    amount: Yuan
    form: Literal["cash", "in_kind"]
    instalments: list[InstalmentLine]
    in_kind: list[InKindLine] = []
    decided_on: date
    issuer: Issuer


class TemporaryRefusalNotice(BaseModel):
    """不予救助通知书: written reasons and the remedy (S4 Arts. 48, 65)."""

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第四十八条", f"{MEASURES}第六十五条")

    case_ref: CaseRef
    applicant_name: PersonName
    reasons: list[Reason]
    decided_on: date
    issued_on: date
    issuer: Issuer
    remedy: str


Notice = TemporaryAcceptanceNotice | TemporaryPublicityNotice | TemporaryDecisionNotice | TemporaryRefusalNotice


def _local(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def _township(state: Any) -> str:
    return LUFENG_TOWNSHIPS.get(state.township_code, "乡镇")


def _township_issuer(state: Any) -> Issuer:
    return Issuer(name=f"禄丰市{_township(state)}人民政府")


def _applicant(state: Any) -> str:
    return next(m.name for m in state.members if m.relation is Relation.APPLICANT)


def case_ref(state: Any) -> str:
    return f"LS-{str(state.case_id)[:8].upper()}"


def notice_for(state: Any, kind: str, remedy: str = DEFAULT_REMEDY_TEXT, **_options: Any) -> Notice:
    """The notice of ``kind``, once the case has reached the step that issues it.

    Raises:
        InvalidTransition: not (yet) issued for this case.
    """
    match kind:
        case "acceptance" if state.t0 is not None:
            return TemporaryAcceptanceNotice(case_ref=case_ref(state), applicant_name=_applicant(state),
                                             accepted_on=state.t0, issuer=_township_issuer(state))
        case "publicity" if state.publicity_starts_on and state.publicity_ends_on and state.prelim_eligible:
            proposed = state.prelim_assessment.monthly_amount if state.prelim_assessment else Decimal("0")
            return TemporaryPublicityNotice(
                village_name=f"{_township(state)}所辖村（社区）", township_name=_township(state),
                entries=[PublicNoticeEntry(name=_applicant(state), household_size=len(state.members),
                                           amount=proposed)],
                period_start=state.publicity_starts_on, period_end=state.publicity_ends_on,
                issuer=_township_issuer(state))
        case "approval" if state.stage in {Stage.ASSISTING, Stage.ASSISTED} and state.amount is not None:
            return TemporaryDecisionNotice(
                case_ref=case_ref(state), applicant_name=_applicant(state), household_size=len(state.members),
                amount=state.amount, form=state.form or "cash",
                instalments=[InstalmentLine(on=i.on, amount=i.amount, cancelled=i.cancelled)
                             for i in state.instalments],
                in_kind=[InKindLine(what=i.what, quantity=i.quantity, value=i.value) for i in state.in_kind],
                decided_on=_local(state.decided_at),
                issuer=Issuer(name=COUNTY_BUREAU) if state.approval_level == "county" else _township_issuer(state))
        case "rejection" if state.stage is Stage.REJECTED and state.decided_at is not None:
            decided = _local(state.decided_at)
            return TemporaryRefusalNotice(case_ref=case_ref(state), applicant_name=_applicant(state),
                                          reasons=list(state.rejection_reasons), decided_on=decided,
                                          issued_on=decided, issuer=_township_issuer(state), remedy=remedy)
    raise InvalidTransition(f"no {kind} notice: the case (stage {state.stage.value}) has not reached that step")
