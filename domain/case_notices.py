"""Notices of a case, built from its state (pure). Public notices get only a whitelisted entry (SPEC §9)."""

from __future__ import annotations

from datetime import date, datetime

from domain.case import CHINA_TZ
from domain.commands import Material
from domain.divisions import LUFENG_TOWNSHIPS
from domain.errors import InvalidTransition
from domain.household import Relation
from domain.notices import (
    DEFAULT_REMEDY_TEXT,
    AcceptanceNotice,
    ApprovalNotice,
    DeficiencyNotice,
    Issuer,
    PublicationList,
    PublicityNotice,
    PublicNoticeEntry,
    RejectionNotice,
)
from domain.state import CaseState, Stage

NOTICE_KINDS = ("deficiency", "acceptance", "publicity", "rejection", "approval", "publication")

MATERIAL_LABELS: dict[Material, str] = {
    Material.APPLICATION_FORM: "最低生活保障申请书",
    Material.ID_DOCUMENTS: "共同生活家庭成员身份证件",
    Material.HUKOU_RECORD: "户口簿",
    Material.INCOME_PROPERTY_DECLARATION: "家庭收入和财产状况书面声明",
    Material.PLEDGE: "承诺书",
    Material.CHECK_AUTHORISATION: "家庭经济状况核对授权书",
    Material.POWER_OF_ATTORNEY: "委托书",
    Material.DISABILITY_CERTIFICATE: "残疾证",
    Material.MEDICAL_DIAGNOSIS: "医疗机构诊断证明",
}

COUNTY_BUREAU = "禄丰市民政局"


def _local(at: datetime) -> date:
    """The China date of an instant: notices are dated in Beijing time (UTC+8)."""
    return at.astimezone(CHINA_TZ).date()


def _township_name(state: CaseState) -> str:
    return LUFENG_TOWNSHIPS.get(state.township_code, "乡镇")


def _township_issuer(state: CaseState) -> Issuer:
    return Issuer(name=f"禄丰市{_township_name(state)}人民政府")


def _applicant(state: CaseState) -> str:
    return next(m.name for m in state.members if m.relation is Relation.APPLICANT)


def _entry(state: CaseState) -> PublicNoticeEntry:
    amount = state.monthly_amount if state.monthly_amount is not None else (
        state.prelim_assessment.monthly_amount if state.prelim_assessment else None)
    assert amount is not None
    return PublicNoticeEntry(name=_applicant(state), household_size=len(state.members), amount=amount)


def case_ref(state: CaseState) -> str:
    """A short reference printed on notices (the case id's first block; not personal)."""
    return f"DB-{str(state.case_id)[:8].upper()}"


def notice_for(state: CaseState, kind: str, remedy: str = DEFAULT_REMEDY_TEXT) -> object:
    """The notice of ``kind`` for a case, once the case has reached the step that issues it.

    Raises:
        InvalidTransition: the case has not (or not in this way) reached that step.
    """
    # The village list of Lufeng was not retrieved (SPEC §13 item 10): notices name the township.
    village = f"{_township_name(state)}所辖村（社区）"
    match kind:
        case "deficiency" if state.deficiency_notified:
            day = _local(state.stage_since if state.stage is Stage.MATERIALS_INCOMPLETE else state.opened_at)
            items = state.materials_missing or ()
            if not items:
                raise InvalidTransition("the listed materials were supplied and the case accepted")
            return DeficiencyNotice(case_ref=case_ref(state), applicant_name=_applicant(state),
                                    missing_items=[MATERIAL_LABELS[m] for m in items], issued_on=day,
                                    issuer=_township_issuer(state))
        case "acceptance" if state.t0 is not None:
            return AcceptanceNotice(case_ref=case_ref(state), applicant_name=_applicant(state), accepted_on=state.t0,
                                    issuer=_township_issuer(state))
        case "publicity" if state.publicity_starts_on and state.publicity_ends_on and state.prelim_eligible:
            return PublicityNotice(village_name=village, township_name=_township_name(state), entries=[_entry(state)],
                                   period_start=state.publicity_starts_on, period_end=state.publicity_ends_on,
                                   issuer=_township_issuer(state))
        case "rejection" if state.stage is Stage.REJECTED and state.decided_at is not None:
            decided = _local(state.decided_at)
            return RejectionNotice(case_ref=case_ref(state), applicant_name=_applicant(state),
                                   reasons=list(state.rejection_reasons), decided_on=decided, issued_on=decided,
                                   issuer=Issuer(name=COUNTY_BUREAU), remedy=remedy)
        case "approval" if state.monthly_amount is not None and state.decided_at and state.first_payment_month:
            return ApprovalNotice(case_ref=case_ref(state), applicant_name=_applicant(state),
                                  household_size=len(state.members), monthly_amount=state.monthly_amount,
                                  first_payment_month=state.first_payment_month,
                                  decided_on=_local(state.decided_at), issuer=Issuer(name=COUNTY_BUREAU))
        case "publication" if state.stage is Stage.IN_PAYMENT and state.published_at is not None:
            return PublicationList(village_name=village, township_name=_township_name(state), entries=[_entry(state)],
                                   published_on=_local(state.published_at), issuer=_township_issuer(state))
    raise InvalidTransition(f"no {kind} notice: the case (stage {state.stage.value}) has not reached that step")
