"""一门受理 on the console (issue 16 items 7–8; S5 item 23, S4 Art. 60): the window enters the household once,
sees the screening per programme on the intake's page, and opens the case(s) chosen from it.

Both steps go through the API, as any client, with an Idempotency-Key from the form: ``POST /v1/intakes`` (the
form generated from ``IntakeCreate``), then ``POST /v1/cases`` with each chosen programme's pre-filled draft (the
intake's ``applications``). A refusal is shown in Chinese: a field's next to the field, a programme's (409: a member
already in an active case of that programme) next to the programme.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import forms
from api.console.labels import PROGRAM_LABELS
from api.console.routes import ConsoleActor, _case_uuid, _error, _page, _refused, render_intake
from api.console.workbench import _may_create, _no_store, call_api, window_fields
from api.deps import PoolDep
from api.errors import IntakeNotFound
from api.routes.intakes import IntakeCreate, _public, readable_intake
from domain.actors import Actor

router = APIRouter(prefix="/console", include_in_schema=False)
log = structlog.get_logger(__name__)

_OPEN_REFUSED_ZH = {
    409: "家庭成员已在一件尚未办结的该项救助案件中（或已据此评估开立），不能重复开立。",
    403: "您无权在该村（社区）开立申请（不在您的辖区内）。",
    422: "预填的申请不符合该项救助的受理要求，请改用“新申请登记”补齐后提交。",
}


def _form(actor: Actor) -> forms.CommandForm:
    fields = window_fields(actor, IntakeCreate, expand=frozenset({"declaration", "temporary"}))
    for f in fields:
        if f.name.startswith("temporary."):  # the difficulty is told only when there is one
            f.required = False
            if f.name == "temporary.kind":
                f.hint = "有急难或支出型困难时填写以下各项"
    return forms.CommandForm("intake", "一门受理", forms.basis_of_model(IntakeCreate), fields)


def _render(request: Request, actor: Actor, form: forms.CommandForm, status_code: int = 200) -> HTMLResponse:
    return _no_store(_page(request, "intake_new.html", actor, status_code=status_code, form=form,
                           key=uuid.uuid4().hex))


@router.get("/intakes/new", response_class=HTMLResponse)
async def intake_form(request: Request, actor: ConsoleActor) -> HTMLResponse:
    if (refused := _may_create(actor)) is not None:
        return await _refused(request, actor, refused)
    return _render(request, actor, _form(actor))


@router.post("/intakes/new", response_class=HTMLResponse)
async def create_intake(request: Request, actor: ConsoleActor) -> Response:
    """The household sent through ``POST /v1/intakes``; screened: the intake's page; refused: the form as filled
    in, each refusal in Chinese next to its field, nothing recorded."""
    if (refused := _may_create(actor)) is not None:
        return await _refused(request, actor, refused)
    data = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
    key = (data.pop("_idempotency_key", None) or [uuid.uuid4().hex])[0][:128]
    form = _form(actor)
    forms.keep_values(form, data)
    try:
        body = forms.form_body(form.fields, data)
    except forms.FormInvalid as invalid:
        for f in form.fields:
            f.error = invalid.errors.get(f.name, "")
        return _render(request, actor, form, 422)
    answer = await call_api(request, "POST", "/v1/intakes", body, key)
    if answer.status_code == 201:
        log.info("console.intake_screened")
        return RedirectResponse(f"/console/intakes/{answer.json()['intake_id']}", status_code=303)
    problem = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
    if answer.status_code == 422 and isinstance(problem.get("detail"), list):
        forms.attach_errors(form, problem["detail"])
    elif answer.status_code == 403:
        form.error = "您无权在该村（社区）受理（不在您的辖区内）。"
    else:
        form.error = "系统暂时无法受理，请稍后再试；本次未作任何登记。"
    log.info("console.intake_refused", status=answer.status_code)
    return _render(request, actor, form, min(answer.status_code, 503))


@router.post("/intakes/{intake_id}/open", response_class=HTMLResponse)
async def open_cases(request: Request, intake_id: str, actor: ConsoleActor, pool: PoolDep) -> Response:
    """Open the chosen programmes' cases from the intake, each through ``POST /v1/cases`` with its pre-filled
    draft and a key of its own (derived from the form's: a double click opens each once). All opened: the
    intake's page with them; a refusal: the page with the reason next to that programme."""
    if (refused := _may_create(actor)) is not None:
        return await _refused(request, actor, refused)
    iid = _case_uuid(intake_id)
    if iid is None:
        return _error(request, actor, 404, "没有这个受理评估。")
    try:
        intake = await _public(pool, await readable_intake(pool, iid, actor))
    except IntakeNotFound:
        return _error(request, actor, 404, "没有这个受理评估。")
    data = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    key = (data.get("_idempotency_key") or [uuid.uuid4().hex])[0][:100]
    drafts = {a.key: a for a in intake.applications}
    chosen = [p for p in dict.fromkeys(data.get("program", [])) if p in drafts]
    if not chosen:
        return render_intake(request, actor, intake, 422, {"": "请至少选择一项救助。"})
    errors: dict[str, str] = {}
    status_code = 200
    for program in chosen:
        body = drafts[program].model_dump(mode="json", exclude_none=True)
        answer = await call_api(request, "POST", "/v1/cases", body, f"{key}:{program}")
        if answer.status_code not in (201, 202):
            errors[program] = _OPEN_REFUSED_ZH.get(answer.status_code, "系统暂时无法开立，请稍后再试。")
            status_code = max(status_code, min(answer.status_code, 503))
            log.info("console.intake_open_refused", program=program, status=answer.status_code)
    if not errors:
        log.info("console.intake_opened", programs=chosen)
        return RedirectResponse(f"/console/intakes/{iid}#cases", status_code=303)
    intake = await _public(pool, await readable_intake(pool, iid, actor))
    return render_intake(request, actor, intake, status_code,
                         {p: f"{PROGRAM_LABELS.get(drafts[p].program.value, p)}：{e}" for p, e in errors.items()})
