"""The allowances' individual decision notices, built from a case's state and recorded events (pure).

残疾人两项补贴 (S12: 云政发〔2016〕5号; standards 云民发〔2026〕2号; SPEC §6.2): the confirmation with the amount of
each subsidy (困难残疾人生活补贴 and/or 重度残疾人护理补贴), the refusal with its reasons, the change after a review
(or the 特困 exclusion) and the stop, each with the remedy.

高龄津贴 (SPEC §6.3: no national or Yunnan rule was found, so the notices cite "有关规定" and every amount is the
parameter in force, UNCONFIRMED): the confirmation with the band and the first survival check, the refusal, the
move to the next band (the new amount from that month), the suspension for a missed survival check (payment held,
not stopped), the resumption with the months owed (补发) and the stop (on death: from the month after it).

These are individual notices to the person (or, after a death, the family), never posted: like dibao's, they
carry the name, the case reference, amounts, months, reasons and the remedy — no ID number, disability certificate
number or health datum (SPEC §9). Free-text reasons have ID-like numbers masked (:data:`domain.notices.Reason`).
The models forbid extra fields (``extra="forbid"``) and are not stored; rendering is in ``adapters/rendering``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain import events as e
from domain.divisions import LUFENG_TOWNSHIPS
from domain.errors import InvalidTransition
from domain.kernel.clock import CHINA_TZ
from domain.months import add_months_to_month
from domain.notices import (
    DEFAULT_REMEDY_TEXT,
    CaseRef,
    Issuer,
    Month,
    PersonName,
    Reason,
    RejectionNotice,
    StopNotice,
    Yuan,
)

#: The Yunnan scheme and its 2026 standards (S12, as SPEC §6.2 reads them).
SCHEME = "云政发〔2016〕5号"
STANDARDS = "云民发〔2026〕2号"
#: 高龄津贴: no rule was found (SPEC §6.3); the notices say "有关规定" until the bureau names its document.
OLD_AGE_BASIS = "SPEC §6.3 (UNCONFIRMED: no national or Yunnan rule found; the county's rule to be named)"
COUNTY_BUREAU = "禄丰市民政局"

DISABILITY_NOTICE_KINDS: tuple[str, ...] = ("approval", "rejection", "subsidy_change", "stop")
OLD_AGE_NOTICE_KINDS: tuple[str, ...] = ("approval", "rejection", "band_change", "suspension", "resumption", "stop")

_CONFIG = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
Remedy = Annotated[str, Field(min_length=1, max_length=500)]
Reasons = Annotated[list[Reason], Field(min_length=1, max_length=20)]


class _Issued(BaseModel):
    """Issued on or after the decision."""

    model_config = _CONFIG
    decided_on: date
    issued_on: date

    @model_validator(mode="after")
    def _issued_after_decision(self) -> _Issued:
        if self.issued_on < self.decided_on:
            raise ValueError("issued_on is before decided_on")
        return self


# --- 残疾人两项补贴 -------------------------------------------------------------------------------------------


class SubsidyApprovalNotice(BaseModel):
    """两项补贴确认通知书: each subsidy granted with its monthly amount, the total, from the month after the
    county's confirmation (S12; standards 云民发〔2026〕2号)."""

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (SCHEME, STANDARDS)

    case_ref: CaseRef
    applicant_name: PersonName
    living_amount: Yuan | None = None
    care_amount: Yuan | None = None
    care_grade: Annotated[int, Field(ge=1, le=2)] | None = None
    monthly_amount: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
    first_payment_month: Month
    decided_on: date
    issuer: Issuer

    @model_validator(mode="after")
    def _coherent(self) -> SubsidyApprovalNotice:
        if self.living_amount is None and self.care_amount is None:
            raise ValueError("a confirmation grants at least one subsidy")
        if (self.care_amount is None) != (self.care_grade is None):
            raise ValueError("the care subsidy goes with the disability grade it is paid for")
        if (self.living_amount or 0) + (self.care_amount or 0) != self.monthly_amount:
            raise ValueError("monthly_amount is the sum of the subsidies")
        return self


class SubsidyRejectionNotice(RejectionNotice):
    """两项补贴不予确认通知书: the reasons and the remedy (S12)."""

    legal_basis: ClassVar[tuple[str, ...]] = (SCHEME,)


class SubsidyChangeNotice(_Issued):
    """两项补贴变更通知书: the subsidies after a review (e.g. the household left dibao: the living subsidy ends)
    or after the person entered 特困 (the care-subsidy exclusion), from ``from_month``, with the reasons."""

    legal_basis: ClassVar[tuple[str, ...]] = (SCHEME, STANDARDS)

    case_ref: CaseRef
    applicant_name: PersonName
    old_living: Yuan | None = None
    old_care: Yuan | None = None
    new_living: Yuan | None = None
    new_care: Yuan | None = None
    old_amount: Yuan
    new_amount: Yuan
    from_month: Month
    reasons: Annotated[list[Reason], Field(max_length=20)] = []
    issuer: Issuer
    remedy: Remedy


class SubsidyStopNotice(StopNotice):
    """两项补贴停发通知书: nothing paid from ``effective_month``, for the reasons stated (S12)."""

    legal_basis: ClassVar[tuple[str, ...]] = (SCHEME,)
    #: The stop is for the person's death: the notice goes to the family.
    deceased: bool = False


# --- 高龄津贴 -------------------------------------------------------------------------------------------------


class OldAgeApprovalNotice(BaseModel):
    """高龄津贴确认通知书: the band, the monthly amount from the month after the confirmation, the first survival
    check's due date (SPEC §6.3, UNCONFIRMED values)."""

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (OLD_AGE_BASIS,)

    case_ref: CaseRef
    applicant_name: PersonName
    band_min_age: Annotated[int, Field(ge=60, le=130)]
    monthly_amount: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
    first_payment_month: Month
    survival_check_due: date | None = None
    decided_on: date
    issuer: Issuer


class OldAgeRejectionNotice(RejectionNotice):
    """高龄津贴不予确认通知书: the reasons and the remedy."""

    legal_basis: ClassVar[tuple[str, ...]] = (OLD_AGE_BASIS,)


class BandChangeNotice(_Issued):
    """高龄津贴调档通知书: the birthday reached the next band; the new amount from that month (SPEC §6.3)."""

    legal_basis: ClassVar[tuple[str, ...]] = (OLD_AGE_BASIS,)

    case_ref: CaseRef
    applicant_name: PersonName
    band_min_age: Annotated[int, Field(ge=60, le=130)]
    old_amount: Yuan
    new_amount: Yuan
    from_month: Month
    issuer: Issuer


class SuspensionNotice(_Issued):
    """高龄津贴暂停发放通知书: the survival check due ``check_due`` was not done; payment is held (not stopped)
    from ``from_month``; the held months are paid once the check is done (SPEC §6.3)."""

    legal_basis: ClassVar[tuple[str, ...]] = (OLD_AGE_BASIS,)

    case_ref: CaseRef
    applicant_name: PersonName
    check_due: date
    from_month: Month
    monthly_amount: Yuan
    issuer: Issuer


class ResumptionNotice(_Issued):
    """高龄津贴恢复发放通知书: the survival check done late; payment resumes, the held months owed (补发)."""

    legal_basis: ClassVar[tuple[str, ...]] = (OLD_AGE_BASIS,)

    case_ref: CaseRef
    applicant_name: PersonName
    checked_on: date
    months_owed: Annotated[list[Month], Field(max_length=120)]
    monthly_amount: Yuan
    amount_owed: Yuan
    resumes_from: Month
    next_check_due: date
    issuer: Issuer

    @model_validator(mode="after")
    def _owed_adds_up(self) -> ResumptionNotice:
        if self.amount_owed != self.monthly_amount * len(self.months_owed):
            raise ValueError("amount_owed is the monthly amount times the months owed")
        return self


class OldAgeStopNotice(StopNotice):
    """高龄津贴停发通知书 (on death: from the month after it, SPEC §6.3)."""

    legal_basis: ClassVar[tuple[str, ...]] = (OLD_AGE_BASIS,)
    deceased: bool = False


# --- built from a case ---------------------------------------------------------------------------------------


def _local(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def case_ref(state: Any) -> str:
    prefix = "CJ" if state.program.value == "disability_subsidies" else "GL"
    return f"{prefix}-{str(state.case_id)[:8].upper()}"


def _issuer(state: Any, ev: Any) -> Issuer:
    """The township's government for a decision its staff made, the county bureau for the county's."""
    if len(ev.actor.jurisdiction) >= 9:
        return Issuer(name=f"禄丰市{LUFENG_TOWNSHIPS.get(state.township_code, '乡镇')}人民政府")
    return Issuer(name=COUNTY_BUREAU)


def _last(events: Sequence[Any], kind: type, test: Any = lambda _ev: True) -> Any:
    return next((ev for ev in reversed(events) if isinstance(ev, kind) and test(ev)), None)


def _grants_before(events: Sequence[Any], seq: int) -> tuple[e.Grant, ...]:
    before = _last([ev for ev in events if ev.seq < seq], e.AllowanceGranted | e.AllowanceChanged)
    return before.grants if before is not None else ()


def _amount(grants: tuple[e.Grant, ...], kind: str) -> Decimal | None:
    return next((g.monthly for g in grants if g.kind == kind), None)


def _total(grants: tuple[e.Grant, ...]) -> Decimal:
    return sum((g.monthly for g in grants), Decimal("0"))


def _common(state: Any) -> dict[str, Any]:
    return {"case_ref": case_ref(state), "applicant_name": state.members[0].name}


def _refusal(model: type[RejectionNotice], state: Any, events: Sequence[Any], remedy: str) -> Any:
    ev = _last(events, e.AllowanceRefused)
    if ev is None:
        return None
    reasons = [r for r in ev.reasons if r and r.strip()] or ["不符合条件"]
    return model(**_common(state), reasons=reasons, decided_on=_local(ev.at), issued_on=_local(ev.at),
                 issuer=_issuer(state, ev), remedy=remedy)


def _stop(model: type[StopNotice], state: Any, events: Sequence[Any], remedy: str) -> Any:
    ev = _last(events, e.AllowanceStopped)
    if ev is None:
        return None
    reasons = [r for r in (*ev.reasons, ev.reason) if r and r.strip()] or ["不再符合条件"]
    return model(**_common(state), reasons=list(dict.fromkeys(reasons)), effective_month=ev.effective_month,
                 decided_on=_local(ev.at), issued_on=_local(ev.at), issuer=_issuer(state, ev), remedy=remedy,
                 deceased=ev.reason_code.value == "no_members")


def disability_notice_for(state: Any, kind: str, remedy: str = DEFAULT_REMEDY_TEXT,
                          events: Sequence[Any] = ()) -> object:
    """The notice of ``kind`` for a 两项补贴 case once its decision is on record.

    Raises:
        InvalidTransition: the case has not reached the step that issues it.
    """
    notice: Any = None
    match kind:
        case "approval":
            ev = _last(events, e.AllowanceGranted)
            if ev is not None:
                care = _amount(ev.grants, "care")
                notice = SubsidyApprovalNotice(
                    **_common(state), living_amount=_amount(ev.grants, "living"), care_amount=care,
                    care_grade=state.grade if care is not None else None, monthly_amount=_total(ev.grants),
                    first_payment_month=ev.first_payment_month, decided_on=_local(ev.at), issuer=_issuer(state, ev))
        case "rejection":
            notice = _refusal(SubsidyRejectionNotice, state, events, remedy)
        case "subsidy_change":
            ev = _last(events, e.AllowanceChanged)
            if ev is not None:
                old = _grants_before(events, ev.seq)
                reasons = [r for r in (ev.reason or "").split("；") if r.strip()]
                notice = SubsidyChangeNotice(
                    **_common(state), old_living=_amount(old, "living"), old_care=_amount(old, "care"),
                    new_living=_amount(ev.grants, "living"), new_care=_amount(ev.grants, "care"),
                    old_amount=_total(old), new_amount=_total(ev.grants), from_month=ev.from_month, reasons=reasons,
                    decided_on=_local(ev.at), issued_on=_local(ev.at), issuer=_issuer(state, ev), remedy=remedy)
        case "stop":
            notice = _stop(SubsidyStopNotice, state, events, remedy)
    if notice is None:
        raise InvalidTransition(f"no {kind} notice: the case (stage {state.stage.value}) has not reached that step")
    return notice


def old_age_notice_for(state: Any, kind: str, remedy: str = DEFAULT_REMEDY_TEXT,
                       events: Sequence[Any] = ()) -> object:
    """The notice of ``kind`` for a 高龄津贴 case once its decision (or the timer's step) is on record.

    Raises:
        InvalidTransition: the case has not reached the step that issues it.
    """
    notice: Any = None
    match kind:
        case "approval":
            ev = _last(events, e.AllowanceGranted)
            if ev is not None:
                notice = OldAgeApprovalNotice(
                    **_common(state), band_min_age=_band(ev.grants, state), monthly_amount=_total(ev.grants),
                    first_payment_month=ev.first_payment_month, survival_check_due=ev.next_check_due,
                    decided_on=_local(ev.at), issuer=_issuer(state, ev))
        case "rejection":
            notice = _refusal(OldAgeRejectionNotice, state, events, remedy)
        case "band_change":
            ev = _last(events, e.AllowanceChanged, lambda x: x.cause == "age_band")
            if ev is not None:
                notice = BandChangeNotice(
                    **_common(state), band_min_age=_band(ev.grants, state), old_amount=_total(_grants_before(
                        events, ev.seq)), new_amount=_total(ev.grants), from_month=ev.from_month,
                    decided_on=_local(ev.at), issued_on=_local(ev.at), issuer=_township_issuer(state))
        case "suspension":
            ev = _last(events, e.PaymentHeld)
            if ev is not None:
                notice = SuspensionNotice(
                    **_common(state), check_due=ev.due, from_month=ev.from_month,
                    monthly_amount=_total(_grants_before(events, ev.seq)), decided_on=_local(ev.at),
                    issued_on=_local(ev.at), issuer=_township_issuer(state))
        case "resumption":
            ev = _last(events, e.SurvivalCheckRecorded)
            held = _last(events, e.PaymentHeld)
            if ev is not None and held is not None and held.seq < ev.seq:
                monthly = _total(_grants_before(events, ev.seq))
                resumes = _resumes_from(ev, held)
                notice = ResumptionNotice(
                    **_common(state), checked_on=ev.checked_on, months_owed=list(ev.resumed_months),
                    monthly_amount=monthly, amount_owed=monthly * len(ev.resumed_months), resumes_from=resumes,
                    next_check_due=ev.next_due, decided_on=_local(ev.at), issued_on=_local(ev.at),
                    issuer=_issuer(state, ev))
        case "stop":
            notice = _stop(OldAgeStopNotice, state, events, remedy)
    if notice is None:
        raise InvalidTransition(f"no {kind} notice: the case (stage {state.stage.value}) has not reached that step")
    return notice


def _band(grants: tuple[e.Grant, ...], state: Any) -> int:
    return next((g.band_min_age for g in grants if g.band_min_age is not None), state.band_min_age)


def _township_issuer(state: Any) -> Issuer:
    return Issuer(name=f"禄丰市{LUFENG_TOWNSHIPS.get(state.township_code, '乡镇')}人民政府")


def _resumes_from(ev: e.SurvivalCheckRecorded, held: e.PaymentHeld) -> str:
    """The first month paid again as usual: after the last month owed (as the case's mutator reads it)."""
    return add_months_to_month(ev.resumed_months[-1], 1) if ev.resumed_months else held.from_month
