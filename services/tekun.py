"""特困 operations across cases: a placement in an institution checked against its beds (a full one answers 409
and puts the case on its waiting list, S4 Art. 19), and the county's random check of a township's submissions,
drawn once, reproducibly, recorded with who drew, the seed and the list, and then on each case of the batch
(S3 Art. 16)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import structlog

from adapters.db import tekun as db
from adapters.institutions import load_register
from domain import commands as c
from domain.actors import Actor
from domain.errors import InvalidInput, InvalidTransition
from domain.parameters import ResolvedParameters
from domain.programmes.tekun.institutions import InstitutionFull
from domain.programmes.tekun.rules import county_check_draw, tekun_params
from services.cases import CaseGateway, CaseGatewayError, CaseRefused
from workflows.models import CommandInput

log = structlog.get_logger(__name__)


def placement_of(command: Any) -> str | None:
    """The institution a command places the person in (集中供养), or None."""
    if isinstance(command, c.ChooseSupportForm) and command.form == "centralised":
        return command.institution_id
    return None


@asynccontextmanager
async def bed_reserved(pool: asyncpg.Pool, gateway: CaseGateway, case_id: UUID, actor: Actor,
                       command: Any) -> AsyncIterator[None]:
    """Around a command that places the person in an institution: with the institution locked, a bed must be free
    (the case's own bed not counted); otherwise the case goes on the institution's waiting list and
    :class:`InstitutionFull` (409) is raised. Any other command passes through.

    Raises:
        InvalidInput: no such institution in the register.
        InstitutionFull: every bed is taken.
    """
    institution_id = placement_of(command)
    if institution_id is None:
        yield
        return
    institution = load_register().get(institution_id)
    if institution is None:
        raise InvalidInput("no such institution in the register of 供养服务机构", field=("command", "institution_id"))
    async with pool.acquire() as conn, conn.transaction():
        await db.lock_institution(conn, institution_id)
        taken = await db.occupied(conn, institution_id, except_case=case_id)
        if taken < institution.beds:
            yield  # the case takes its bed while the lock is held (its record is written before the Update returns)
            return
    try:
        await gateway.execute(case_id, CommandInput(actor=actor, command=c.WaitForPlacement(
            institution_id=institution_id)))
    except CaseRefused as err:
        if err.code != InvalidTransition.code:  # already on the list: nothing more to record
            raise
    waiting = await db.waiting_list(pool, institution_id)
    position = next((i + 1 for i, row in enumerate(waiting) if row["case_id"] == case_id), len(waiting))
    log.info("tekun.institution_full", institution_id=institution_id, beds=institution.beds, taken=taken)
    raise InstitutionFull(institution, taken, position)


async def draw_county_check(pool: asyncpg.Pool, gateway: CaseGateway, actor: Actor, township_code: str,
                            params: ResolvedParameters, now: datetime, seed: str | None = None) -> dict[str, Any]:
    """Draw the county's random check over the township's 特困 submissions awaiting it (S3 Art. 16): at least
    the parameters' rate (≥ 30 %), from ``seed`` (a fresh random one when none is given), recorded first as a
    draw and then on each case of the batch. Cases that refuse (moved on meanwhile) or cannot be reached are
    listed, not retried.

    Raises:
        InvalidTransition: nothing awaits a draw in the township.
    """
    batch = await db.awaiting_draw(pool, township_code)
    if not batch:
        raise InvalidTransition("no 特困 submission of the township awaits the county's random check")
    seed = seed or secrets.token_hex(16)
    rate = tekun_params(params).county_check_rate
    drawn = list(county_check_draw(batch, seed, rate))
    draw_id = uuid4()
    await db.record_draw(pool, draw_id=draw_id, township_code=township_code, seed=seed, rate=rate,
                         parameter_set_version=params.version, drawn_by=actor.id, drawn_by_role=actor.role.value,
                         drawn_at=now, batch=batch, drawn=drawn)
    command = c.RecordCountyCheckDraw(draw_id=draw_id, seed=seed, township_code=township_code, batch=batch,
                                      drawn=drawn)
    recorded: list[UUID] = []
    refused: dict[str, str] = {}
    for case_id in batch:
        try:
            await gateway.execute(case_id, CommandInput(actor=actor, command=command), update_id=f"draw:{draw_id}")
            recorded.append(case_id)
        except CaseRefused as err:
            refused[str(case_id)] = err.code
        except CaseGatewayError as err:  # closed, gone or unreachable meanwhile: listed, the draw stands
            refused[str(case_id)] = type(err).__name__
    log.info("tekun.county_check_drawn", draw_id=str(draw_id), township_code=township_code, batch=len(batch),
             drawn=len(drawn), refused=len(refused))
    return {"draw_id": draw_id, "township_code": township_code, "seed": seed, "rate": rate,
            "parameter_set_version": params.version, "drawn_by": actor.id, "drawn_at": now, "batch": batch,
            "drawn": drawn, "recorded": recorded, "refused": refused}
