"""Dibao's notices of a case, built from its state (pure). Public notices get only a whitelisted entry (SPEC §9).

The in-payment notices (增发/减发, 停发) state the reasons of a decision, which only its event holds, so they
are built from the case's recorded events as well (the ledger's, oldest first).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from domain import events as e
from domain.actors import Actor, Role
from domain.commands import Material
from domain.divisions import LUFENG_TOWNSHIPS, village_name
from domain.errors import InvalidTransition
from domain.household import Relation
from domain.kernel.clock import CHINA_TZ
from domain.notices import (
    DEFAULT_REMEDY_TEXT,
    AcceptanceNotice,
    ApprovalNotice,
    BenefitChangeNotice,
    DeficiencyNotice,
    Issuer,
    PublicationList,
    PublicityNotice,
    PublicNoticeEntry,
    RejectionNotice,
    StopNotice,
)
from domain.parameters import PeriodCounting
from domain.programmes.dibao.stages import Stage
from domain.programmes.dibao.state import DibaoState as CaseState

NOTICE_KINDS = (
    "deficiency",
    "acceptance",
    "publicity",
    "rejection",
    "approval",
    "publication",
    "benefit_change",
    "stop",
)

#: Notices built from the case's events (their reasons are not part of the state).
EVENT_NOTICE_KINDS = frozenset({"benefit_change", "stop"})

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
    amount = (
        state.monthly_amount
        if state.monthly_amount is not None
        else (state.prelim_assessment.monthly_amount if state.prelim_assessment else None)
    )
    assert amount is not None
    return PublicNoticeEntry(name=_applicant(state), household_size=state.household_size, amount=amount)


def case_ref(state: CaseState) -> str:
    """A short reference printed on notices (the case id's first block; not personal)."""
    return f"DB-{str(state.case_id)[:8].upper()}"


def _decider(state: CaseState, actor: Actor) -> Issuer:
    """The authority that took an in-payment decision: the township where confirmation is devolved and its
    approver decided (S1 Art. 2), otherwise the county bureau."""
    return _township_issuer(state) if actor.role is Role.TOWNSHIP_APPROVER else Issuer(name=COUNTY_BUREAU)


def _size_before(events: Sequence[e.CaseEvent], seq: int) -> int | None:
    """The household size of the amount in payment just before event ``seq``."""
    size = None
    for ev in events:
        if ev.seq >= seq:
            break
        match ev:
            case e.ApplicationApproved() | e.BenefitRecalculated():
                size = ev.assessment.household_size
            case e.BenefitIncreased() | e.BenefitDecreased():
                size = ev.household_size
    return size


def change_notice(
    state: CaseState, events: Sequence[e.CaseEvent], remedy: str = DEFAULT_REMEDY_TEXT
) -> BenefitChangeNotice:
    """The 增发/减发通知书 of the case's latest change of amount by a review or a member's share cut (S1 Arts.
    32, 34, 38).

    Args:
        state: the case now (for the applicant's name and the issuing township).
        events: the case's recorded events, oldest first.
        remedy: the remedy text (see :data:`DEFAULT_REMEDY_TEXT`).

    Raises:
        InvalidTransition: no such change is on record.
    """
    change = next(
        (
            ev
            for ev in reversed(events)
            if isinstance(ev, e.BenefitDecreased | e.BenefitIncreased | e.MemberBenefitReduced)
        ),
        None,
    )
    if change is None:
        raise InvalidTransition("no 增发/减发 notice: no change of the amount was decided for this case")
    decided = _local(change.at)
    common = {
        "case_ref": case_ref(state),
        "applicant_name": _applicant(state),
        "old_amount": change.old_amount,
        "new_amount": change.new_amount,
        "from_month": change.from_month,
        "decided_on": decided,
        "issued_on": decided,
        "issuer": _decider(state, change.actor),
        "remedy": remedy,
    }
    match change:
        case e.MemberBenefitReduced():
            size = _size_before(events, change.seq) or len(state.counted_members)
            return BenefitChangeNotice(
                **common,
                direction="decrease",
                household_size=size,
                reasons=[change.reason] if change.reason else [],
                member_share=True,
            )
        case e.BenefitDecreased():
            return BenefitChangeNotice(
                **common, direction="decrease", household_size=change.household_size, reasons=list(change.reasons)
            )
        case _:
            return BenefitChangeNotice(
                **common,
                direction="increase",
                household_size=change.household_size,
                reasons=[change.reason] if change.reason else [],
            )


def stop_notice(state: CaseState, events: Sequence[e.CaseEvent], remedy: str = DEFAULT_REMEDY_TEXT) -> StopNotice:
    """The 停发通知书 of the case's stop, with its reasons and the month nothing is paid from (S1 Arts. 32,
    33, 38). A stop at the end of a 渐退期 was decided with the 渐退期: that decision's day and authority.

    Raises:
        InvalidTransition: the benefit was not stopped.
    """
    stopped = next((ev for ev in reversed(events) if isinstance(ev, e.BenefitStopped)), None)
    if state.stage not in {Stage.STOPPING, Stage.EXITED} or stopped is None:
        raise InvalidTransition(f"no stop notice: the benefit of this case (stage {state.stage.value}) was not stopped")
    decision: e.EventBase = stopped
    if stopped.decided_seq is not None:
        decision = next((ev for ev in events if ev.seq == stopped.decided_seq), stopped)
    return StopNotice(
        case_ref=case_ref(state),
        applicant_name=_applicant(state),
        reasons=list(stopped.reasons),
        effective_month=stopped.effective_month,
        after_gradual_exit=isinstance(decision, e.GradualExitGranted),
        decided_on=_local(decision.at),
        issued_on=_local(stopped.at),
        issuer=_decider(state, decision.actor),
        remedy=remedy,
    )


def notice_for(
    state: CaseState, kind: str, remedy: str = DEFAULT_REMEDY_TEXT, events: Sequence[e.CaseEvent] = ()
) -> object:
    """The notice of ``kind`` for a case, once the case has reached the step that issues it.

    Args:
        state: the case now.
        kind: one of :data:`NOTICE_KINDS`.
        remedy: the remedy text of the notices that carry one.
        events: the case's recorded events, oldest first; needed for :data:`EVENT_NOTICE_KINDS`.

    Raises:
        InvalidTransition: the case has not (or not in this way) reached that step.
    """
    if kind == "benefit_change":
        return change_notice(state, events, remedy)
    if kind == "stop":
        return stop_notice(state, events, remedy)
    # The village by name from the division code table (issue 19); a code outside it: the township's villages.
    # The notices print the township before it (金山镇董户村社区), so the township is not repeated here.
    village = village_name(state.village_code) or "所辖村（社区）"
    match kind:
        case "deficiency" if state.deficiency_notified:
            day = _local(state.stage_since if state.stage is Stage.MATERIALS_INCOMPLETE else state.opened_at)
            items = state.materials_missing or ()
            if not items:
                raise InvalidTransition("the listed materials were supplied and the case accepted")
            return DeficiencyNotice(
                case_ref=case_ref(state),
                applicant_name=_applicant(state),
                missing_items=[MATERIAL_LABELS[m] for m in items],
                issued_on=day,
                issuer=_township_issuer(state),
            )
        case "acceptance" if state.t0 is not None:
            return AcceptanceNotice(
                case_ref=case_ref(state),
                applicant_name=_applicant(state),
                accepted_on=state.t0,
                issuer=_township_issuer(state),
            )
        case "publicity" if state.publicity_starts_on and state.publicity_ends_on and state.prelim_eligible:
            return PublicityNotice(
                village_name=village,
                township_name=_township_name(state),
                entries=[_entry(state)],
                period_start=state.publicity_starts_on,
                period_end=state.publicity_ends_on,
                period_days=state.publicity_days,
                start_day_excluded=(None if state.publicity_counting is None
                                    else state.publicity_counting == PeriodCounting.EXCLUDE_START_DAY),
                issuer=_township_issuer(state),
            )
        case "rejection" if state.stage is Stage.REJECTED and state.decided_at is not None:
            decided = _local(state.decided_at)
            return RejectionNotice(
                case_ref=case_ref(state),
                applicant_name=_applicant(state),
                reasons=list(state.rejection_reasons),
                decided_on=decided,
                issued_on=decided,
                issuer=Issuer(name=COUNTY_BUREAU),
                remedy=remedy,
            )
        case "approval" if state.monthly_amount is not None and state.decided_at and state.first_payment_month:
            return ApprovalNotice(
                case_ref=case_ref(state),
                applicant_name=_applicant(state),
                # the household the decision's amount is for (S1 Arts. 7, 23), not everyone who ever applied
                household_size=(state.decision_assessment.household_size if state.decision_assessment
                                else len(state.counted_members)),
                monthly_amount=state.monthly_amount,
                first_payment_month=state.first_payment_month,
                decided_on=_local(state.decided_at),
                issuer=Issuer(name=COUNTY_BUREAU),
            )
        case "publication" if state.stage is Stage.IN_PAYMENT and state.published_at is not None:
            return PublicationList(
                village_name=village,
                township_name=_township_name(state),
                entries=[_entry(state)],
                published_on=_local(state.published_at),
                issuer=_township_issuer(state),
            )
    raise InvalidTransition(f"no {kind} notice: the case (stage {state.stage.value}) has not reached that step")
