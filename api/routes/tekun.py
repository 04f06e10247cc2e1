"""特困 (S3) operations that span cases: the county's random check of a township's submissions (S3 Art. 16) and
the support institutions with their beds and waiting lists (S4 Art. 19). Codes, ids and counts only — no
personal data."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from adapters.db import tekun as db
from adapters.institutions import load_register
from api.deps import ClockDep, ParametersDep, PoolDep, TemporalDep, require
from api.policy import Permission
from api.schemas import Problem
from domain.actors import Actor
from domain.errors import NotPermitted
from domain.kernel.clock import CHINA_TZ
from domain.parameters import resolve
from services import tekun as service
from services.cases import CaseGateway

router = APIRouter(prefix="/v1/tekun", tags=["tekun"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role or jurisdiction does not allow it"},
}
Township = Annotated[str, Field(pattern=r"^[0-9]{9}$")]


class DrawRequest(BaseModel):
    """Draw the county's random check over a township's submissions. The engine makes the seed (random, then
    recorded): a caller-chosen seed would let the drawer search for one that leaves chosen cases out."""

    model_config = ConfigDict(extra="forbid")

    township_code: Township


class Draw(BaseModel):
    """A recorded draw: who drew, when, the seed, the rate, the batch and the cases drawn (S3 Art. 16)."""

    draw_id: UUID
    township_code: str
    seed: str
    rate: Decimal
    parameter_set_version: str
    drawn_by: str
    drawn_at: datetime
    batch: list[UUID]
    drawn: list[UUID]
    #: Cases that recorded the draw, and those that refused it (moved on meanwhile) with the refusal's code.
    recorded: list[UUID] = []
    refused: dict[str, str] = {}


class InstitutionPublic(BaseModel):
    institution_id: str
    name: str
    township_code: str
    kind: str
    beds: int
    occupied: int
    waiting: int


class WaitingCase(BaseModel):
    case_id: UUID
    village_code: str
    waiting_since: datetime | None


def _need_county(actor: Actor, township_code: str) -> None:
    if not actor.covers(township_code):
        raise NotPermitted("the township lies outside the actor's jurisdiction")


@router.post("/county-check-draws", response_model=Draw, status_code=201,
             responses={**_ERRORS, 409: {"model": Problem, "description": "nothing awaits a draw"}})
async def draw(body: DrawRequest, actor: Annotated[Actor, Depends(require(Permission.TEKUN_CHECK_DRAW))],
               pool: PoolDep, temporal: TemporalDep, parameters: ParametersDep, clock: ClockDep) -> Draw:
    """The county's random check of at least 30 % of the township's 特困 submissions awaiting it (S3 Art. 16):
    drawn reproducibly from the seed (SHA-256 ranking of ``seed:case_id``), recorded with who drew, then on each
    case of the batch; a drawn case needs the county's home visit before its decision."""
    _need_county(actor, body.township_code)
    now = clock()
    params = resolve(parameters.current()[0], body.township_code, now.astimezone(CHINA_TZ).date())
    result = await service.draw_county_check(pool, CaseGateway(temporal), actor, body.township_code, params, now)
    return Draw(**result)


@router.get("/county-check-draws/{draw_id}", response_model=Draw, responses={**_ERRORS, 404: {"model": Problem}})
async def get_draw(draw_id: UUID, actor: Annotated[Actor, Depends(require(Permission.TEKUN_CHECK_DRAW))],
                   pool: PoolDep) -> Draw:
    row = await db.get_draw(pool, draw_id)
    if row is None or not actor.covers(row["township_code"]):
        raise HTTPException(status_code=404, detail="draw not found")
    return Draw(**{k: v for k, v in row.items() if k in Draw.model_fields})


@router.get("/institutions", response_model=list[InstitutionPublic], responses=_ERRORS)
async def institutions(actor: Annotated[Actor, Depends(require(Permission.TEKUN_INSTITUTIONS_READ))],
                       pool: PoolDep) -> list[InstitutionPublic]:
    """The county's 供养服务机构 with beds, beds taken and the length of their waiting lists (S4 Art. 19): those
    in the caller's jurisdiction (the county sees every one)."""
    out = []
    for inst in load_register().institutions:
        if not actor.covers(inst.township_code):
            continue
        out.append(InstitutionPublic(**inst.model_dump(), occupied=await db.occupied(pool, inst.institution_id),
                                     waiting=len(await db.waiting_list(pool, inst.institution_id))))
    return out


@router.get("/institutions/{institution_id}/waiting-list", response_model=list[WaitingCase],
            responses={**_ERRORS, 404: {"model": Problem}})
async def waiting_list(institution_id: Annotated[str, PathParam(max_length=64)],
                       actor: Annotated[Actor, Depends(require(Permission.TEKUN_INSTITUTIONS_READ))],
                       pool: PoolDep) -> list[WaitingCase]:
    """The cases waiting for a bed in the institution, first come first — those in the caller's jurisdiction."""
    if load_register().get(institution_id) is None:
        raise HTTPException(status_code=404, detail="institution not found")
    return [WaitingCase(**row) for row in await db.waiting_list(pool, institution_id, actor.jurisdiction)]
