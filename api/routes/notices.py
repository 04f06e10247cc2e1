"""Printable notices (zh-CN HTML) of a case."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from api.deps import TemporalDep, require
from api.policy import Permission
from api.routes.cases import readable_snapshot
from domain.actors import Actor
from domain.case_notices import notice_for
from infra.notices import render_notice

router = APIRouter(prefix="/v1/cases", tags=["notices"])

NoticeKind = Literal["deficiency", "acceptance", "publicity", "rejection", "approval", "publication"]


@router.get("/{case_id}/notices/{kind}", response_class=HTMLResponse)
async def get_notice(
    case_id: UUID,
    kind: NoticeKind,
    actor: Annotated[Actor, Depends(require(Permission.CASE_READ))],
    temporal: TemporalDep,
) -> HTMLResponse:
    """一次性告知书, 受理通知书, 公示, 不予确认通知书, 确认通知书 or 公布 of a case, as a printable page.
    公示 and 公布 show only name, household size and amount (S1 Art. 24; SPEC §9). 409 before the step."""
    snap = await readable_snapshot(temporal, case_id, actor)
    return HTMLResponse(render_notice(notice_for(snap.state, kind)))  # type: ignore[arg-type]
