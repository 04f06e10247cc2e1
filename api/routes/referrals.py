"""Referrals between programmes (转介 / 转办, S4 Art. 60; S5 item 23): the list each programme's window works
from, and one referral as the application it opens (the household pre-filled from the referring case).

The list carries codes, dates and counts only; the application draft carries the referred members' names and
ID numbers, so it is for the roles that open applications, and reading it is written to the audit ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from adapters.db.cases import PgCaseStore
from adapters.db.referrals import PgReferrals
from api.deps import LedgerDep, PoolDep, require
from api.errors import ReferralNotFound
from api.policy import POLICY, Permission
from api.schemas import Problem
from domain.actors import Actor
from domain.household import AreaType, Declaration, Member, Program, Relation
from domain.identity import mask_resident_id
from services.audit.access import log_access

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
log = structlog.get_logger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role does not allow it"},
    404: {"model": Problem, "description": "no such referral in the caller's jurisdiction"},
}


class ReferralSummary(BaseModel):
    """One referral, without personal data."""

    referral_id: UUID
    from_case_id: UUID
    from_program: Program
    to_program: Program
    village_code: str
    township_code: str
    members: int
    referred_at: datetime
    status: Literal["open", "taken"]
    taken_case_id: UUID | None = None
    taken_at: datetime | None = None


class ApplicationDraft(BaseModel):
    """The body of ``POST /v1/cases`` that takes the referral up: the referred members (the first of them the
    applicant when the referring case's applicant is not among them) and the referring case's declaration of
    their income and property. The window checks and completes it with the family before sending it."""

    referral_id: UUID
    program: Program
    village_code: str
    area_type: AreaType | None
    members: list[Member]
    declaration: Declaration


def _summary(row: dict[str, Any]) -> ReferralSummary:
    return ReferralSummary(**{k: v for k, v in row.items() if k in ReferralSummary.model_fields},
                           members=len(row["member_indexes"]))


async def readable_referral(pool: Any, referral_id: UUID, actor: Actor) -> dict[str, Any]:
    """The referral, if the actor's jurisdiction covers its village (404 otherwise: its existence is not told)."""
    row = await PgReferrals(pool).get(referral_id)
    if row is None or not actor.covers(row["village_code"]):
        raise ReferralNotFound
    return row


@router.get("", response_model=list[ReferralSummary], responses=_ERRORS)
async def list_referrals(
    actor: Annotated[Actor, Depends(require(Permission.REFERRAL_READ))],
    pool: PoolDep,
    status: Literal["open", "taken"] | None = "open",
    to_program: Program | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ReferralSummary]:
    """Referrals in the caller's jurisdiction (open ones by default), newest first."""
    rows = await PgReferrals(pool).list(actor.jurisdiction, status=status,
                                        to_program=to_program.value if to_program else None, limit=limit)
    return [_summary(r) for r in rows]


@router.get("/{referral_id}", response_model=ReferralSummary, responses=_ERRORS)
async def get_referral(
    referral_id: UUID,
    actor: Annotated[Actor, Depends(require(Permission.REFERRAL_READ))],
    pool: PoolDep,
) -> ReferralSummary:
    return _summary(await readable_referral(pool, referral_id, actor))


def application_draft(row: dict[str, Any], state: dict[str, Any]) -> ApplicationDraft:
    """The new application a referral opens: its members and what the referring case declared about them."""
    indexes: list[int] = list(row["member_indexes"])
    members = [Member.model_validate(state["members"][i]) for i in indexes]
    if members and members[0].relation is not Relation.APPLICANT:
        # The referring case's applicant is not referred: the first referred member applies; the others'
        # relations were to the old applicant and are to be checked with the family.
        members[0] = members[0].model_copy(update={"relation": Relation.APPLICANT})
    renumber = {old: new for new, old in enumerate(indexes)}
    declared = Declaration.model_validate(state.get("declaration") or {})
    income = [i.model_copy(update={"member_index": renumber[i.member_index]}) for i in declared.income
              if i.member_index is None or i.member_index in renumber]
    return ApplicationDraft(
        referral_id=row["referral_id"],
        program=Program(row["to_program"]),
        village_code=row["village_code"].strip(),
        area_type=state.get("area_type"),
        members=members,
        declaration=declared.model_copy(update={"income": income}),
    )


@router.get("/{referral_id}/application", response_model=ApplicationDraft, responses=_ERRORS)
async def get_application_draft(
    referral_id: UUID,
    actor: Annotated[Actor, Depends(require(Permission.REFERRAL_READ))],
    pool: PoolDep,
    ledger: LedgerDep,
    response: Response,
) -> ApplicationDraft:
    """The application the referral opens, pre-filled from the referring case, for the roles that follow
    referrals (not the village committee); ID numbers in full only for the roles that see them in full on the
    household page (supervision sees them masked), and the read is written to the audit ledger."""
    row = await readable_referral(pool, referral_id, actor)
    case = await PgCaseStore(pool).get_case(row["from_case_id"])
    if case is None or case.get("state") is None:
        raise ReferralNotFound
    draft = application_draft(row, case["state"])
    if actor.role not in POLICY[Permission.RESIDENT_ID_FULL]:
        draft = draft.model_copy(update={"members": [
            m.model_copy(update={"resident_id": mask_resident_id(m.resident_id)}) for m in draft.members]})
    await log_access(pool, ledger, actor, row["from_case_id"], "referral_application_draft")
    response.headers["Cache-Control"] = "no-store"
    return draft
