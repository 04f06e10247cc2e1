"""The household of a case: its members, with resident ID numbers in full only for the roles that need them.

Property-level masking (issue 7): the policy table's ``resident_id.full`` right decides, per role, whether
the numbers are shown in full or as ``532302********0029`` (the address code and the last four). Reading them
in full is written to the audit ledger (who read which household's numbers, when).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.deps import LedgerDep, PoolDep, TemporalDep, require
from api.policy import POLICY, Permission
from api.routes.cases import readable_snapshot
from api.schemas import Problem
from domain.actors import Actor
from domain.household import Relation
from domain.identity import mask_resident_id
from domain.ids import workflow_id_for
from services.audit.access import log_access

router = APIRouter(prefix="/v1/cases", tags=["cases"])
log = structlog.get_logger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role or jurisdiction does not allow it"},
    404: {"model": Problem, "description": "case not found"},
}
# Names and ID numbers: never kept by a browser or a proxy.
_NO_STORE = {"Cache-Control": "no-store"}


class HouseholdMemberPublic(BaseModel):
    """One member as the caller may see them."""

    name: str
    relation: Relation
    resident_id: str = Field(description="in full, or masked as 532302********0029, by the caller's role")
    #: False once the member no longer counts in the household (died, moved away: S1 Art. 7).
    counted: bool


class HouseholdPublic(BaseModel):
    """The members of a case (共同生活的家庭成员, S1 Art. 7), the applicant first as entered."""

    case_id: UUID
    resident_ids: Literal["full", "masked"]
    members: list[HouseholdMemberPublic]


@router.get("/{case_id}/household", response_model=HouseholdPublic, responses=_ERRORS)
async def get_household(
    case_id: UUID,
    actor: Annotated[Actor, Depends(require(Permission.CASE_READ))],
    temporal: TemporalDep,
    pool: PoolDep,
    ledger: LedgerDep,
    response: Response,
) -> HouseholdPublic:
    """The household members of a case (name, relation, resident ID number, whether they still count), as
    the case's last record left them; 403 outside the caller's jurisdiction. The numbers are in full only for the roles
    that identify applicants or sign decisions on them (front office, township caseworker and approver, county
    reviewer and approver); the village committee, supervisors and auditors see them masked (PIPL Arts. 6, 28,
    35: only what the task needs). A read in full is written to the audit ledger."""
    structlog.contextvars.bind_contextvars(case_id=str(case_id), workflow_id=workflow_id_for(case_id))
    snap = await readable_snapshot(temporal, case_id, actor, pool)
    full = actor.role in POLICY[Permission.RESIDENT_ID_FULL]
    counted = set(snap.state.counted_members)
    members = [
        HouseholdMemberPublic(name=m.name, relation=m.relation, counted=i in counted,
                              resident_id=m.resident_id if full else mask_resident_id(m.resident_id))
        for i, m in enumerate(snap.state.members)
    ]
    if full:
        await log_access(pool, ledger, actor, case_id, "household_full_ids")
    log.info("household.read", members=len(members), resident_ids="full" if full else "masked")
    response.headers.update(_NO_STORE)
    return HouseholdPublic(case_id=case_id, resident_ids="full" if full else "masked", members=members)
