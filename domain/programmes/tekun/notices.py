"""特困's notices of a case, built from its state and events (pure): 受理, 认定公示, 认定, 不予认定, 公布, 终止公示 and
终止决定 (S3 Arts. 12, 15, 17, 18, 26). Public notices carry only the whitelisted entry (SPEC §9): the name, 1
(a person) and the amount — never the disability, the self-care tier, the supporters or the ground's details."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from domain import events as e
from domain.divisions import LUFENG_TOWNSHIPS
from domain.errors import InvalidTransition
from domain.kernel.clock import CHINA_TZ
from domain.notices import (
    DEFAULT_REMEDY_TEXT,
    AcceptanceNotice,
    ApprovalNotice,
    Issuer,
    PublicationList,
    PublicityNotice,
    PublicNoticeEntry,
    RejectionNotice,
    StopNotice,
)
from domain.parameters import PeriodCounting
from domain.programmes.tekun.stages import Stage

TEKUN_MEASURES = "《特困人员认定办法》"

NOTICE_KINDS = ("acceptance", "publicity", "approval", "rejection", "publication", "termination_publicity",
                "termination_decision")
EVENT_NOTICE_KINDS = frozenset({"termination_decision"})
COUNTY_BUREAU = "禄丰市民政局"


class TekunAcceptanceNotice(AcceptanceNotice):
    """受理通知书 of a 特困 application (S3 Art. 12)."""

    legal_basis: ClassVar[tuple[str, ...]] = (f"{TEKUN_MEASURES}第十二条", f"{TEKUN_MEASURES}第十三条")


class TekunPublicityNotice(PublicityNotice):
    """认定公示 of the township's 初审意见, 7 days (S3 Art. 15)."""

    legal_basis: ClassVar[tuple[str, ...]] = (f"{TEKUN_MEASURES}第十五条",)


class TekunApprovalNotice(ApprovalNotice):
    """特困人员认定通知书: the amount (basic-living + care), the support form, from the month after (S3 Art. 17)."""

    legal_basis: ClassVar[tuple[str, ...]] = (f"{TEKUN_MEASURES}第十七条",)
    basic_amount: Decimal | None = None
    care_amount: Decimal | None = None
    support_form: Literal["dispersed", "centralised"] | None = None


class TekunRejectionNotice(RejectionNotice):
    """不予认定通知书 with reasons, within 3 working days of the decision (S3 Art. 18)."""

    legal_basis: ClassVar[tuple[str, ...]] = (f"{TEKUN_MEASURES}第十八条",)


class TekunPublicationList(PublicationList):
    """公布 in the village through the township (S3 Art. 17)."""

    legal_basis: ClassVar[tuple[str, ...]] = (f"{TEKUN_MEASURES}第十七条",)


class TerminationPublicityNotice(PublicityNotice):
    """终止救助供养公示, 7 days, in the village or the institution (S3 Art. 26)."""

    legal_basis: ClassVar[tuple[str, ...]] = (f"{TEKUN_MEASURES}第二十六条",)


class TerminationDecisionNotice(StopNotice):
    """终止救助供养决定: written reasons to the person and the village committee, from the next month (S3 Art. 26)."""

    legal_basis: ClassVar[tuple[str, ...]] = (f"{TEKUN_MEASURES}第二十四条", f"{TEKUN_MEASURES}第二十六条")


def _local(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def _township(state: Any) -> str:
    return LUFENG_TOWNSHIPS.get(state.township_code, "乡镇")


def _township_issuer(state: Any) -> Issuer:
    return Issuer(name=f"禄丰市{_township(state)}人民政府")


def case_ref(state: Any) -> str:
    return f"TK-{str(state.case_id)[:8].upper()}"


def _entry(state: Any, amount: Any) -> PublicNoticeEntry:
    return PublicNoticeEntry(name=state.members[0].name, household_size=1, amount=amount)


def _publicity(model: type[PublicityNotice], state: Any, amount: Any, issuer: Issuer) -> PublicityNotice:
    assert state.publicity_starts_on is not None
    assert state.publicity_ends_on is not None
    return model(
        village_name=f"{_township(state)}所辖村（社区）", township_name=_township(state),
        entries=[_entry(state, amount)], period_start=state.publicity_starts_on, period_end=state.publicity_ends_on,
        period_days=state.publicity_days,
        start_day_excluded=(None if state.publicity_counting is None
                            else state.publicity_counting == PeriodCounting.EXCLUDE_START_DAY),
        issuer=issuer,
    )


def notice_for(state: Any, kind: str, remedy: str = DEFAULT_REMEDY_TEXT, events: Sequence[Any] = ()) -> object:
    """The notice of ``kind`` for a 特困 case once it has reached the step that issues it.

    Raises:
        InvalidTransition: the case has not (or not in this way) reached that step.
    """
    termination = {Stage.TERMINATION_PUBLICITY, Stage.TERMINATION_OBJECTION, Stage.TERMINATION_INVESTIGATION,
                   Stage.TERMINATION_DECISION, Stage.TERMINATED}
    match kind:
        case "acceptance" if state.t0 is not None:
            return TekunAcceptanceNotice(case_ref=case_ref(state), applicant_name=state.members[0].name,
                                         accepted_on=state.t0, issuer=_township_issuer(state))
        case "publicity" if state.publicity_rounds >= 0 and state.prelim_assessment is not None and (
                state.publicity_starts_on is not None and state.stage not in termination
                and state.stage is not Stage.TERMINATION_PROPOSED and state.prelim_eligible):
            return _publicity(TekunPublicityNotice, state, state.prelim_assessment.monthly_amount,
                              _township_issuer(state))
        case "approval" if state.monthly_amount is not None and state.decided_at is not None:
            parts = state.amount_parts
            return TekunApprovalNotice(
                case_ref=case_ref(state), applicant_name=state.members[0].name, household_size=1,
                monthly_amount=(state.benefit_periods[0].monthly_amount if state.benefit_periods
                                else state.monthly_amount),
                first_payment_month=state.first_payment_month, decided_on=_local(state.decided_at),
                issuer=Issuer(name=COUNTY_BUREAU), basic_amount=parts[0] if parts else None,
                care_amount=parts[1] if parts else None,
                support_form=state.support_form.value if state.support_form else None)
        case "rejection" if state.stage is Stage.REJECTED and state.decided_at is not None:
            return TekunRejectionNotice(case_ref=case_ref(state), applicant_name=state.members[0].name,
                                        reasons=list(state.rejection_reasons), decided_on=_local(state.decided_at),
                                        issued_on=_local(state.updated_at), issuer=Issuer(name=COUNTY_BUREAU),
                                        remedy=remedy)
        case "publication" if state.published_at is not None and state.monthly_amount is not None:
            return TekunPublicationList(
                village_name=f"{_township(state)}所辖村（社区）", township_name=_township(state),
                entries=[_entry(state, state.benefit_periods[0].monthly_amount)],
                published_on=_local(state.published_at), issuer=_township_issuer(state))
        case "termination_publicity" if state.stage in termination and state.publicity_starts_on is not None:
            return _publicity(TerminationPublicityNotice, state, state.monthly_amount, Issuer(name=COUNTY_BUREAU))
        case "termination_decision" if state.stage is Stage.TERMINATED:
            decided = next((ev for ev in reversed(events) if isinstance(ev, e.SupportTerminated)), None)
            if decided is None:
                raise InvalidTransition("no termination decision is on record")
            return TerminationDecisionNotice(
                case_ref=case_ref(state), applicant_name=state.members[0].name, reasons=list(decided.reasons),
                effective_month=decided.effective_month, decided_on=_local(decided.at), issued_on=_local(decided.at),
                issuer=Issuer(name=COUNTY_BUREAU), remedy=remedy)
    raise InvalidTransition(f"no {kind} notice: the case (stage {state.stage.value}) has not reached that step")
