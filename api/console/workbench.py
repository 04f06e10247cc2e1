"""The caseworker's workbench in the console (issue 19): 我的待办, the search by name or resident ID number, and
the household page. Same cookie, same roles and jurisdictions as the rest of the console (api/console/routes.py).

Names and ID numbers appear on these pages, so they are answered ``Cache-Control: no-store``; ID numbers are
masked by role exactly as ``GET /v1/cases/{id}/household`` masks them (the policy's ``resident_id.full``), and
every search and every household page read with full numbers is written to the audit ledger. The search is a POST
(the number never sits in a URL, a browser history or a proxy log).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from adapters.audit.chain import EntryKind
from adapters.audit.ledger import actor_entry
from adapters.db import workbench as queries
from api.console import forms
from api.console.citations import cite
from api.console.labels import PROGRAM_LABELS, label
from api.console.routes import (
    COOKIE,
    ConsoleActor,
    _case_uuid,
    _error,
    _page,
    _refused,
    _templates,
    render_case,
)
from api.console.workbench_labels import CRITERION_LABELS, RELATION_LABELS
from api.deps import LedgerDep, PoolDep, TemporalDep
from api.errors import CaseNotFound
from api.policy import POLICY, Permission
from api.routes.cases import readable_snapshot
from api.routes.household import get_household
from api.schemas import CaseCreate
from domain.actors import Actor, Role
from domain.divisions import LUFENG_VILLAGES, covers, place_name
from domain.errors import InvalidInput, NotPermitted
from domain.identity import mask_resident_id, parse_resident_id
from domain.kernel.clock import CHINA_TZ
from domain.programmes import REGISTRY

router = APIRouter(prefix="/console", include_in_schema=False)
log = structlog.get_logger(__name__)

_NO_STORE = {"Cache-Control": "no-store"}
#: A 高龄津贴 survival check is work (我的待办, and the due list by default) once it falls due within this many days.
SURVIVAL_DUE_DAYS = 30
_BAD_ID = "身份证号无效：请输入 18 位身份证号（校验位不符、出生日期不存在的号码无法查询）。"
_templates.env.globals.update(relation_label=lambda c: label(RELATION_LABELS, c), place_name=place_name,
                              new_key=lambda: uuid.uuid4().hex, command_title=forms.command_title, cite=cite,
                              refusal_zh=lambda t: refusal_zh(t),
                              criterion_label=lambda c: label(CRITERION_LABELS, c))


def refusal_zh(entry: Any) -> str:
    """A refused command on the trail, in Chinese: by its status family, and its reason as the forms say it."""
    details = entry.details or {}
    code = str(details.get("code", ""))
    if code == "conflict_of_interest":
        return _WHY_ZH["conflict_of_interest"]
    if code == "not_permitted":
        return "无权办理（角色、辖区或“调查人员不得审批”的规定）。"
    if code == "invalid_transition":
        return "案件当时的办理阶段不能办理此事项。"
    field = details.get("field") or []
    return forms.message_zh({"type": code, "msg": entry.reason or ""}, str(field[-1]) if field else None)


def _no_store(response: HTMLResponse) -> HTMLResponse:
    response.headers.update(_NO_STORE)
    return response


# --- my work ----------------------------------------------------------------------------------------------


@router.get("/work", response_class=HTMLResponse)
async def my_work(request: Request, actor: ConsoleActor, pool: PoolDep) -> HTMLResponse:
    """我的待办: the cases in the actor's jurisdiction whose pending step waits on the actor's role, overdue
    first, then soonest due; how many wait on each step."""
    horizon = datetime.now(CHINA_TZ).date() + timedelta(days=SURVIVAL_DUE_DAYS)
    items, counts = await queries.work_queue(pool, actor.jurisdiction, actor.role.value, survival_horizon=horizon)
    step = request.query_params.get("step", "")
    shown = [i for i in items if i.pending_step == step] if step else items
    return _no_store(_page(request, "work.html", actor, items=shown, counts=counts, step=step,
                           total=sum(c.cases for c in counts), overdue=sum(c.overdue for c in counts)))


# --- search -----------------------------------------------------------------------------------------------


#: Who may look people up by name or number: the roles that identify applicants or decide on them (the window,
#: the township, the county: the policy's ``resident_id.full``), and supervision (S1 Arts. 35-37), which sees
#: the numbers masked. Not the village committee (it assists in its own village and reads its own cases) nor
#: the auditors (they read histories and the ledger, not the register of people).
SEARCH_ROLES = POLICY[Permission.RESIDENT_ID_FULL] | {Role.SUPERVISOR}

_templates.env.globals.update(may_search=lambda actor: actor is not None and actor.role in SEARCH_ROLES)


def _may_search(actor: Actor) -> NotPermitted | None:
    if actor.role in SEARCH_ROLES:
        return None
    return NotPermitted(f"role {actor.role} may not search people by name or ID number")


@router.get("/search", response_class=HTMLResponse)
async def search_form(request: Request, actor: ConsoleActor) -> HTMLResponse:
    if (refused := _may_search(actor)) is not None:
        return await _refused(request, actor, refused)
    return _no_store(_page(request, "search.html", actor, hits=None, query="", error=None))


@router.post("/search", response_class=HTMLResponse)
async def search(request: Request, actor: ConsoleActor, pool: PoolDep, ledger: LedgerDep) -> HTMLResponse:
    """An exact resident ID number (checked: 18 characters, date, check character) or an exact name, inside the
    actor's jurisdiction. Every search is an audit-ledger access (the query's SHA-256, never its text)."""
    if (refused := _may_search(actor)) is not None:
        return await _refused(request, actor, refused)
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    query = (form.get("q") or [""])[0].strip()
    if not query or len(query) > 50:
        return _no_store(_page(request, "search.html", actor, status_code=422, hits=None, query=query[:50],
                               error="请输入完整的身份证号或姓名。"))
    by = "resident_id" if query[:1].isdigit() else "name"
    if by == "resident_id":
        try:
            query = parse_resident_id(query).value
        except InvalidInput:
            return _no_store(_page(request, "search.html", actor, status_code=422, hits=None, query="",
                                   error=_BAD_ID))
        hits = await queries.search_members(pool, actor.jurisdiction, resident_id=query)
    else:
        hits = await queries.search_members(pool, actor.jurisdiction, name=query)
    full = actor.role in POLICY[Permission.RESIDENT_ID_FULL]
    await ledger.append_now(pool, [actor_entry(
        EntryKind.ACCESS, f"access:{uuid.uuid4()}", actor,
        {"action": "search", "via": "console", "by": by, "results": len(hits),
         "query_sha256": hashlib.sha256(query.encode()).hexdigest(),
         "resident_ids": "full" if full else "masked",
         "case_ids": sorted({str(h.case_id) for h in hits})})])
    log.info("console.search", by=by, results=len(hits))
    rows = [{**h.model_dump(), "resident_id": h.resident_id if full else mask_resident_id(h.resident_id)}
            for h in hits]
    # The number the person typed stays in the box only for the roles that see numbers in full.
    return _no_store(_page(request, "search.html", actor, hits=rows, by=by, full=full, error=None,
                           query=query if (by == "name" or full) else ""))


# --- the household of a case -----------------------------------------------------------------------------


@router.get("/cases/{case_id}/household", response_class=HTMLResponse)
async def household(request: Request, case_id: str, actor: ConsoleActor, temporal: TemporalDep, pool: PoolDep,
                    ledger: LedgerDep) -> HTMLResponse:
    """The members of a case as ``GET /v1/cases/{id}/household`` answers this actor (masked by role; a read in
    full ledgered), and every case inside the actor's jurisdiction, of any programme, naming any of them."""
    cid = _case_uuid(case_id)
    if cid is None:
        return _error(request, actor, 404, "没有这个案件。")
    try:
        snap = await readable_snapshot(temporal, cid, actor, pool)
        members = await get_household(cid, actor, temporal, pool, ledger, Response())
    except CaseNotFound:
        return _error(request, actor, 404, "没有这个案件。")
    except NotPermitted as err:
        return await _refused(request, actor, err, cid)
    ids = [m.resident_id for m in snap.state.members]
    cases: list[Any] = await queries.cases_of_people(pool, actor.jurisdiction, ids)
    return _no_store(_page(request, "household.html", actor, case_id=cid, household=members,
                           village_code=snap.state.village_code, cases=cases))


# --- a step sent from its form -------------------------------------------------------------------------------

_REFUSAL_ZH = {
    403: "您无权办理此事项：{why}",
    409: "案件当前的办理阶段不能办理此事项（可能已由他人办理），页面已刷新为最新状态。",
}
_WHY_ZH = {
    "conflict_of_interest": "您已作为申请人家庭成员的近亲属备案，须回避本案。",
    "not_permitted": "角色、辖区或“调查人员不得审批”的规定不允许。",
}


async def call_api(request: Request, method: str, path: str, body: dict[str, Any],
                   idempotency_key: str) -> httpx.Response:
    """Send a request to this very API in-process, as the console's person (their token from the cookie):
    the same validation, idempotency, decisions, refusals and ledger entries as any other client."""
    token = request.cookies.get(COOKIE, "")
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.internal") as client:
        return await client.request(method, path, json=body, timeout=60.0, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key})


@router.post("/cases/{case_id}/commands/{command_type}", response_class=HTMLResponse)
async def send_command(request: Request, case_id: str, command_type: str, actor: ConsoleActor,
                       temporal: TemporalDep, pool: PoolDep) -> Response:
    """One step sent from its form through ``POST /v1/cases/{id}/commands`` with the form's Idempotency-Key (a
    double click sends it once). Done: back to the case page, which shows the new stage. Refused: the case page
    again with the form as it was filled in and the refusal in Chinese next to the field it names; nothing is
    changed."""
    cid = _case_uuid(case_id)
    if cid is None or command_type not in forms.API_COMMANDS:
        return _error(request, actor, 404, "没有这个案件或办理事项。")
    data = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
    key = (data.pop("_idempotency_key", None) or [uuid.uuid4().hex])[0][:128]
    try:
        snap = await readable_snapshot(temporal, cid, actor, pool)
    except CaseNotFound:
        return _error(request, actor, 404, "没有这个案件。")
    except NotPermitted as err:
        return await _refused(request, actor, err, cid)
    form = forms.build_form(command_type, list(snap.state.members))
    forms.keep_values(form, data)
    try:
        body = forms.command_body(form, data)
    except forms.FormInvalid as invalid:
        for f in form.fields:
            f.error = invalid.errors.get(f.name, "")
        return await render_case(request, cid, actor, temporal, pool, refused_form=form, status_code=422)
    answer = await call_api(request, "POST", f"/v1/cases/{cid}/commands", {"command": body}, key)
    if answer.status_code == 200:
        log.info("console.command", command=command_type)
        return RedirectResponse(f"/console/cases/{cid}?done={command_type}#pending", status_code=303)
    problem = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
    if answer.status_code == 422 and isinstance(problem.get("detail"), list):
        forms.attach_errors(form, problem["detail"])
    elif answer.status_code in _REFUSAL_ZH:
        why = _WHY_ZH.get(str(problem.get("code")), _WHY_ZH["not_permitted"])
        form.error = _REFUSAL_ZH[answer.status_code].format(why=why)
    else:
        form.error = "系统暂时无法办理，请稍后再试；本次未作任何变更。"
    log.info("console.command_refused", command=command_type, status=answer.status_code)
    return await render_case(request, cid, actor, temporal, pool, refused_form=form,
                             status_code=answer.status_code if answer.status_code < 500 else 503)


# --- a new application at the window ----------------------------------------------------------------------------

_INTAKE_ROWS = 6


def window_fields(actor: Actor, model: type[BaseModel], expand: frozenset[str] = frozenset({"declaration"}),
                  skip: frozenset[str] = frozenset()) -> list[forms.FormField]:
    """A window's form generated from the API model it is sent as (``CaseCreate``, ``IntakeCreate``): the
    programmes registered, the villages of the actor's jurisdiction by name, a row per member, the declaration's
    income and property as rows."""
    choices = [(i, f"第 {i + 1} 人") for i in range(_INTAKE_ROWS)]
    fields = forms.model_fields(model, choices, skip=skip, expand=expand)
    for f in fields:
        if f.name == "program":
            f.widget, f.options = "select", [(str(code), PROGRAM_LABELS.get(code, str(code))) for code in REGISTRY]
            f.value = str(next(iter(REGISTRY)))
        elif f.name == "village_code":
            f.widget = "select"
            f.options = [(code, place_name(code)) for code in sorted(LUFENG_VILLAGES)
                         if covers(actor.jurisdiction, code)]
        elif f.widget == "rows":
            f.rows = _INTAKE_ROWS if f.name == "members" else 3
    return fields


def _intake_form(actor: Actor) -> forms.CommandForm:
    """The new-application form, generated from ``CaseCreate`` (what ``POST /v1/cases`` validates)."""
    return forms.CommandForm("submit_application", "新申请登记", forms.basis_of_model(CaseCreate),
                             window_fields(actor, CaseCreate))


_templates.env.globals.update(
    may_create=lambda actor: actor is not None and actor.role in POLICY[Permission.CASE_CREATE])


def _may_create(actor: Actor) -> NotPermitted | None:
    if actor.role in POLICY[Permission.CASE_CREATE]:
        return None
    return NotPermitted(f"role {actor.role} may not hand in applications")


@router.get("/intake", response_class=HTMLResponse)
async def intake_form(request: Request, actor: ConsoleActor) -> HTMLResponse:
    if (refused := _may_create(actor)) is not None:
        return await _refused(request, actor, refused)
    return _no_store(_page(request, "intake.html", actor, form=_intake_form(actor), key=uuid.uuid4().hex))


@router.post("/intake", response_class=HTMLResponse)
async def intake(request: Request, actor: ConsoleActor) -> Response:
    """The application sent through ``POST /v1/cases`` with the form's Idempotency-Key; created: the new case's
    page; refused: the form as filled in, each refusal in Chinese next to its field, nothing created."""
    if (refused := _may_create(actor)) is not None:
        return await _refused(request, actor, refused)
    data = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
    key = (data.pop("_idempotency_key", None) or [uuid.uuid4().hex])[0][:128]
    form = _intake_form(actor)
    forms.keep_values(form, data)
    try:
        body = forms.form_body(form.fields, data)
    except forms.FormInvalid as invalid:
        for f in form.fields:
            f.error = invalid.errors.get(f.name, "")
        return _no_store(_page(request, "intake.html", actor, status_code=422, form=form, key=uuid.uuid4().hex))
    answer = await call_api(request, "POST", "/v1/cases", body, key)
    if answer.status_code in (201, 202):
        log.info("console.application_created")
        return RedirectResponse(f"/console/cases/{answer.json()['case_id']}?done=submit_application",
                                status_code=303)
    problem = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
    if answer.status_code == 422 and isinstance(problem.get("detail"), list):
        forms.attach_errors(form, problem["detail"])
    elif answer.status_code == 409 and problem.get("code") == "member_in_case_elsewhere":
        form.error = "家庭成员在其他乡镇（街道）有尚未办结的同类救助案件，不能重复申请；请向禄丰市民政局核实。"
    elif answer.status_code == 409:
        form.error = "家庭成员已在一件尚未办结的同类救助案件中，不能重复申请；请先查询该成员的申请记录。"
    elif answer.status_code == 403:
        form.error = "您无权在该村（社区）登记申请（不在您的辖区内）。"
    else:
        form.error = "系统暂时无法登记，请稍后再试；本次未作任何登记。"
    log.info("console.application_refused", status=answer.status_code)
    # A fresh key: the corrected application is a new request.
    return _no_store(_page(request, "intake.html", actor, status_code=min(answer.status_code, 503), form=form,
                           key=uuid.uuid4().hex))
