"""Printable notices (zh-CN HTML) of a case."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter

from adapters.db.cases import PgCaseStore
from adapters.rendering.notices import render_notice
from api.deps import PoolDep, TemporalDep, require
from api.policy import Permission
from api.routes.cases import readable_snapshot
from api.schemas import json_error_responses
from domain.actors import Actor
from domain.events import CaseEvent
from domain.programmes import notice_for, programme_of

router = APIRouter(prefix="/v1/cases", tags=["notices"])

NoticeKind = Literal["deficiency", "acceptance", "publicity", "rejection", "approval", "publication",
                     "benefit_change", "stop",
                     "termination_publicity", "termination_decision",  # 特困 (S3 Art. 26)
                     "subsidy_change", "band_change", "suspension", "resumption"]  # 两项补贴, 高龄津贴

_EVENTS = TypeAdapter(list[CaseEvent])


@router.get("/{case_id}/notices/{kind}", response_class=HTMLResponse, responses=json_error_responses({
    401: {"description": "missing or invalid token"},
    403: {"description": "role or jurisdiction does not allow it"},
    404: {"description": "no such case"},
    409: {"description": "the case has not reached the step that issues this notice"},
}))
async def get_notice(
    case_id: UUID,
    kind: NoticeKind,
    actor: Annotated[Actor, Depends(require(Permission.CASE_READ))],
    temporal: TemporalDep,
    pool: PoolDep,
) -> HTMLResponse:
    """一次性告知书, 受理通知书, 公示, 不予确认通知书, 确认通知书, 公布, 增发/减发通知书 (``benefit_change``,
    the latest change of the amount) or 停发通知书 (``stop``) of a case, as a printable page. 公示 and 公布
    show only name, household size and amount (S1 Art. 24; SPEC §9); the change and stop notices state the
    decision's reasons and the remedy (S1 Arts. 32, 38). 409 before the step."""
    snap = await readable_snapshot(temporal, case_id, actor, pool)
    events: list[CaseEvent] = []
    if kind in programme_of(snap.state.program).event_notice_kinds:
        # The reasons of a decision live in its event, not in the state: read them from the ledger, which the
        # workflow writes before it applies the events, so it is never behind the snapshot.
        rows = await PgCaseStore(pool).get_events(case_id)
        events = _EVENTS.validate_python([row["payload"] for row in rows])
    return HTMLResponse(render_notice(notice_for(snap.state, kind, events=events)))  # type: ignore[arg-type]
