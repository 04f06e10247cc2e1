"""高龄津贴 生存认证到期名单 (issue 17 item 5; SPEC §6.3): the survival checks due within the next days (30 by
default, ``?days=``), past due, and the payments held for a missed check (held, not stopped: the months are paid
once the check is done), in the actor's jurisdiction — the console's list a township works through each month."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from adapters.db.allowance_queries import survival_checks_due
from api.console.routes import ConsoleActor, _lacks, _page, _refused
from api.console.workbench import SURVIVAL_DUE_DAYS
from api.deps import PoolDep
from api.policy import Permission
from domain.kernel.clock import CHINA_TZ

router = APIRouter(prefix="/console", include_in_schema=False)

DEFAULT_DAYS = SURVIVAL_DUE_DAYS
MAX_DAYS = 366


@router.get("/survival-checks", response_class=HTMLResponse)
async def survival_checks(request: Request, actor: ConsoleActor, pool: PoolDep) -> HTMLResponse:
    """The due list: held payments first, then checks past due, then those due within ``days``."""
    if (refused := _lacks(actor, Permission.CASE_LIST)) is not None:
        return await _refused(request, actor, refused)
    raw = request.query_params.get("days", "").strip()
    days = int(raw) if raw.isdigit() and 0 <= int(raw) <= MAX_DAYS else DEFAULT_DAYS
    today = datetime.now(CHINA_TZ).date()
    rows = await survival_checks_due(pool, actor.jurisdiction, today + timedelta(days=days))
    response = _page(request, "survival_checks.html", actor, rows=rows, days=days, today=today,
                     held=sum(r.held for r in rows),
                     overdue=sum(not r.held and r.pending_due is not None and r.pending_due < today for r in rows))
    response.headers["Cache-Control"] = "no-store"
    return response
