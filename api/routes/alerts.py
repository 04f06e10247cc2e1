"""Data-comparison alerts in bulk: ``POST /v1/data-alerts`` (S6 §三; SPEC §8.1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import PoolDep, TemporalDep, require
from api.policy import Permission
from api.schemas import Problem
from domain.actors import Actor
from infra.data_alerts import AlertBatch, AlertOutcome, raise_alerts

router = APIRouter(prefix="/v1/data-alerts", tags=["in payment"])


@router.post("", response_model=list[AlertOutcome],
             responses={401: {"model": Problem}, 403: {"model": Problem}, 422: {"model": Problem}})
async def post_alerts(
    body: AlertBatch,
    actor: Annotated[Actor, Depends(require(Permission.DATA_ALERT_RAISE))],
    temporal: TemporalDep,
    pool: PoolDep,
) -> list[AlertOutcome]:
    """Route each match (resident ID number, alert type, date) to the active case that counts the person and
    raise it there: the case opens an ad-hoc review, and a death starts the 3-month limit (S6 §一(三)).
    Outcomes are per row, by position: ``raised``, ``no_active_case`` (none, or none inside the caller's
    jurisdiction — nothing is revealed about a case elsewhere), ``already_recorded`` or ``refused``."""
    return await raise_alerts(pool, temporal, actor, body)
