"""Data-comparison alerts in bulk: ``POST /v1/data-alerts`` (S6 §三; SPEC §8.1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field

from api.deps import PoolDep, TemporalDep, require
from api.policy import Permission
from api.schemas import ConvertibleResidentIdNumber, EventDate, Problem, RequestBody, SingleLine
from domain.actors import Actor
from services.data_alerts import MAX_ROWS, AlertBatch, AlertOutcome, AlertRow, raise_alerts

router = APIRouter(prefix="/v1/data-alerts", tags=["in payment"])


class AlertRowCreate(AlertRow):
    """One match: whose (a checked resident ID number; a 15-digit legacy number from the sending department's
    data is converted to its 18-digit form, GB 11643-1999), what, when (1900-2100; not in the future)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    resident_id: ConvertibleResidentIdNumber
    occurred_on: EventDate


class AlertBatchCreate(RequestBody, AlertBatch):
    """A file of matches from one source (e.g. ``民政殡葬数据比对 2027-03``), at most 1,000 rows."""

    source: Annotated[str, Field(min_length=1, max_length=100), SingleLine]
    alerts: Annotated[list[AlertRowCreate], Field(min_length=1, max_length=MAX_ROWS)]


@router.post("", response_model=list[AlertOutcome],
             responses={401: {"model": Problem}, 403: {"model": Problem}})
async def post_alerts(
    body: AlertBatchCreate,
    actor: Annotated[Actor, Depends(require(Permission.DATA_ALERT_RAISE))],
    temporal: TemporalDep,
    pool: PoolDep,
) -> list[AlertOutcome]:
    """Route each match (resident ID number, alert type, date) to the active case that counts the person and
    raise it there: the case opens an ad-hoc review, and a death starts the 3-month limit (S6 §一(三)).
    A case not yet decided records the match as a proposed household amendment for the township to confirm.
    Outcomes are per row, by position, and say what happened: ``raised`` (recorded, review opened),
    ``proposed`` (recorded as a proposed amendment), ``already_recorded`` (the case already shows it; nothing
    new recorded), ``refused`` (the case refused it: NOT recorded; ``detail`` says why) or ``no_active_case``
    (none, or none inside the caller's jurisdiction — nothing is revealed about a case elsewhere)."""
    return await raise_alerts(pool, temporal, actor, body)
