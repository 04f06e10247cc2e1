"""先行救助 on one page (issue 16 item 8; S8 §二(二), S5 item 15): the township reports an emergency and grants
the urgent assistance from its reserve fund in one form it can fill in a minute.

Both steps go through the API itself, as any client: ``POST /v1/emergencies`` opens the 临时救助 case in
``urgent_reported``, then ``grant_urgent_assistance`` is sent through ``POST /v1/cases/{id}/commands``, each with
an Idempotency-Key derived from the form's (a double click reports and grants once). The forms are generated from
the API's models (``EmergencyReport``, the command's model). A refusal is shown in Chinese next to the field it
names (above the urgent cap: 422 naming the cap); a grant the reserve fund cannot pay (409) leaves the report
standing, says so, and the form sent again grants on that same case without reporting it twice.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from adapters.db import reserve_funds
from api.console import forms
from api.console.routes import ConsoleActor, _case_uuid, _page, _refused, _templates
from api.console.workbench import _no_store, call_api, window_fields
from api.deps import PoolDep
from api.policy import POLICY, Permission
from api.routes.cases import EmergencyReport
from domain.actors import Actor
from domain.divisions import LUFENG_TOWNSHIPS
from domain.errors import NotPermitted

router = APIRouter(prefix="/console", include_in_schema=False)
log = structlog.get_logger(__name__)
_templates.env.globals.update(
    may_report_emergency=lambda actor: actor is not None and actor.role in POLICY[Permission.EMERGENCY_REPORT])

_GRANT = "grant_urgent_assistance"
_MEMBER_ROWS = 3  # the people of the household at hand; the rest is completed at regularisation
_SHORT_ZH = ("乡镇临时救助备用金余额不足，本次先行救助未能支出（《关于进一步加强和改进临时救助工作的意见》三(三)）；"
             "已告知县民政局补充备用金。急难情况已报告（案件 {case}），备用金补足后可再次提交本表发放。")
_REFUSED_ZH = {
    403: "您无权发放先行救助（乡镇审批人或县级审批人办理，且须在其辖区内）。",
    409: "案件当前的办理阶段不能发放先行救助（可能已由他人发放）。",
}


def _may_report(actor: Actor) -> NotPermitted | None:
    if actor.role in POLICY[Permission.EMERGENCY_REPORT]:
        return None
    return NotPermitted(f"role {actor.role} may not report emergencies")


def _report_fields(actor: Actor) -> list[forms.FormField]:
    """The emergency report's inputs, from ``EmergencyReport``: the village of the actor's jurisdiction by
    name, a few members, the difficulty (``temporary.*``); no declaration (no check for 先行救助)."""
    fields = window_fields(actor, EmergencyReport, expand=frozenset({"temporary"}), skip=frozenset({"declaration"}))
    for f in fields:
        if f.name == "members":
            f.rows = _MEMBER_ROWS
        elif f.name == "temporary.kind":
            f.value = "emergency"
        elif f.name == "temporary.urgent":
            f.required = True
    return fields


def _grant_form() -> forms.CommandForm:
    form = forms.build_form(_GRANT, [])
    for f in form.fields:
        if f.name == "form":
            f.label, f.hint = "救助方式", "现金或实物（实物须列明名称、数量、价值）"
        elif f.name == "reason":
            f.label, f.hint = "救助事由", "如：夜间房屋失火，先行救助基本生活"
        elif f.name == "amount":
            f.hint = "不超过先行救助限额"
    return form


async def _render(request: Request, actor: Actor, pool: Any, report: list[forms.FormField],
                  grant: forms.CommandForm, status_code: int = 200, error: str = "",
                  case_id: str = "") -> HTMLResponse:
    """The form; for a township's staff who may read it, their reserve fund's balance above it."""
    township = actor.jurisdiction if actor.jurisdiction in LUFENG_TOWNSHIPS else ""
    balance = (await reserve_funds.balance(pool, township)
               if township and actor.role in POLICY[Permission.RESERVE_FUND_READ] else None)
    return _no_store(_page(request, "urgent.html", actor, status_code=status_code, report=report, grant=grant,
                           error=error, case_id=case_id, key=uuid.uuid4().hex, township=township, balance=balance))


def _problem(answer: Any) -> dict[str, Any]:
    return answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}


@router.get("/urgent", response_class=HTMLResponse)
async def urgent_form(request: Request, actor: ConsoleActor, pool: PoolDep) -> HTMLResponse:
    if (refused := _may_report(actor)) is not None:
        return await _refused(request, actor, refused)
    return await _render(request, actor, pool, _report_fields(actor), _grant_form())


@router.post("/urgent", response_class=HTMLResponse)
async def urgent(request: Request, actor: ConsoleActor, pool: PoolDep) -> Response:
    """Report (unless this form already did: ``case_id``) and grant. Granted: the case's page; refused: this
    form as filled in, the refusal in Chinese next to its field; a report that stands is linked."""
    if (refused := _may_report(actor)) is not None:
        return await _refused(request, actor, refused)
    data = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
    key = (data.pop("_idempotency_key", None) or [uuid.uuid4().hex])[0][:100]
    reported = _case_uuid((data.pop("case_id", None) or [""])[0])
    report, grant = _report_fields(actor), _grant_form()
    grant_data = {k.removeprefix("grant."): v for k, v in data.items() if k.startswith("grant.")}
    forms.keep_values(forms.CommandForm("emergency_report", "", "", report), data)
    forms.keep_values(grant, grant_data)
    for f in grant.fields:  # the rows' inputs are named with the prefix on the page
        if f.widget == "rows":
            f.value = {f"grant.{k}": v for k, v in f.value.items()}
    try:
        body = forms.form_body(report, data)
        command = forms.command_body(grant, grant_data)
    except forms.FormInvalid as invalid:
        for f in [*report, *grant.fields]:
            f.error = invalid.errors.get(f.name, "")
        return await _render(request, actor, pool, report, grant, 422, case_id=str(reported or ""))
    if reported is None:
        answer = await call_api(request, "POST", "/v1/emergencies", body, f"{key}:report")
        if answer.status_code != 201:
            problem = _problem(answer)
            holder = forms.CommandForm("emergency_report", "", "", report)
            if answer.status_code == 422 and isinstance(problem.get("detail"), list):
                forms.attach_errors(holder, problem["detail"])
            elif answer.status_code == 409:
                holder.error = "家庭成员已在一件尚未办结的临时救助案件中，请先查询该成员的案件，在该案件中办理。"
            elif answer.status_code == 403:
                holder.error = "您无权在该村（社区）报告急难情况（不在您的辖区内）。"
            else:
                holder.error = "系统暂时无法登记，请稍后再试；本次未作任何登记。"
            log.info("console.emergency_refused", status=answer.status_code)
            return await _render(request, actor, pool, report, grant, min(answer.status_code, 503), error=holder.error)
        reported = uuid.UUID(str(answer.json()["case_id"]))
        log.info("console.emergency_reported")
    answer = await call_api(request, "POST", f"/v1/cases/{reported}/commands", {"command": command}, f"{key}:grant")
    if answer.status_code == 200:
        log.info("console.urgent_granted")
        return RedirectResponse(f"/console/cases/{reported}?done={_GRANT}", status_code=303)
    problem = _problem(answer)
    if answer.status_code == 422 and isinstance(problem.get("detail"), list):
        forms.attach_errors(grant, problem["detail"])
    elif answer.status_code == 409 and problem.get("code") == "reserve_fund_insufficient":
        grant.error = _SHORT_ZH.format(case=reported)
    elif answer.status_code in _REFUSED_ZH:
        grant.error = _REFUSED_ZH[answer.status_code]
    else:
        grant.error = "系统暂时无法发放，请稍后再试；本次未作任何支出。"
    log.info("console.urgent_refused", status=answer.status_code)
    # The report stands: the form sent again grants on the same case.
    return await _render(request, actor, pool, report, grant, min(answer.status_code, 503), case_id=str(reported))
