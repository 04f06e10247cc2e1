"""The web console (``/console``): server-rendered zh-CN pages for bureau staff, on the API's tokens.

The bearer token is pasted once on the login page, verified with the API's :class:`TokenVerifier`, and kept in
an HttpOnly, SameSite=Strict cookie; every page verifies it again, so an expired or forged cookie leads back to
the login page. Roles and jurisdictions are the API's: the list and reports are scoped to the actor's
jurisdiction by the queries, and a case page is served only for a case inside it (403 page otherwise).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode
from uuid import UUID

import jinja2
import structlog
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import TypeAdapter, ValidationError

from adapters.auth import AuthError, TokenVerifier
from adapters.db import case_queries
from adapters.db import staff as staff_store
from adapters.db.cases import PgCaseStore
from adapters.settings import Settings
from api.console import charts
from api.console import forms as forms_module
from api.console.citations import cite
from api.console.exports import case_list_xlsx
from api.console.labels import (
    EVENT_LABELS,
    NOTICE_LABELS,
    OUTCOME_LABELS,
    PROCEDURE_ORDER,
    PROGRAM_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    STEP_LABELS,
    label,
)
from api.console.workbench_labels import SIDE_COMMANDS
from api.deps import ClockDep, LedgerDep, PoolDep, TemporalDep
from api.errors import CaseNotFound
from api.policy import POLICY, Permission
from api.routes.cases import get_trail, readable_snapshot
from api.routes.notices import get_notice
from api.schemas import CaseDetail
from domain.actors import HUMAN_ROLES, Actor
from domain.divisions import LUFENG_TOWNSHIPS, covers, village_name
from domain.errors import DomainError, NotPermitted
from domain.events import CaseEvent
from domain.ids import workflow_id_for
from domain.kernel.clock import CHINA_TZ
from domain.offers import offered_commands
from domain.parameters import resolve
from domain.programmes import REGISTRY, evolve, is_overdue, notice_for, notice_kinds, programme_of
from services import staff
from services.audit.access import log_refusal

router = APIRouter(prefix="/console", include_in_schema=False)
log = structlog.get_logger(__name__)

COOKIE = "casework_console"
# Autoescape on for every template: every value on these pages is escaped.
_templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True))
_EVENTS = TypeAdapter(list[CaseEvent])


def _china(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return at.astimezone(CHINA_TZ).strftime(fmt) if at else ""


def _stage_labels(program: str | None) -> dict[str, str]:
    """The programme's own stage names (特困's 认定 where dibao says 审核确认), else the shared table."""
    programme = REGISTRY.get(program) if program else None  # type: ignore[call-overload]
    return {**STAGE_LABELS, **programme.stage_labels} if programme is not None else STAGE_LABELS


_templates.env.filters["china"] = _china
_templates.env.globals.update(
    stage_label=lambda c, program=None: label(_stage_labels(program), c), role_label=lambda c: label(ROLE_LABELS, c),
    step_label=lambda c: label(STEP_LABELS, c), event_label=lambda c: label(EVENT_LABELS, c),
    program_label=lambda c: label(PROGRAM_LABELS, c), outcome_label=lambda c: label(OUTCOME_LABELS, c),
    township_name=lambda c: LUFENG_TOWNSHIPS.get(c or "", c),
    village_name=lambda c: village_name(c) or c,
    # The legal basis as people cite it on every page (issue 19 item 6); the API keeps the tags.
    cite=cite,
)


# --- who is asking ------------------------------------------------------------------------------------------


def _login_redirect() -> HTTPException:
    return HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": "/console/login"})


async def console_actor(request: Request) -> Actor:
    """The actor of the console cookie, verified like a bearer token; no (valid) cookie, or the cookie of a staff
    account disabled since → the login page."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise _login_redirect()
    verifier: TokenVerifier = request.app.state.verifier
    try:
        actor = await verifier.authenticate(token)
    except AuthError as err:
        log.info("console.unauthenticated", reason=str(err))
        raise _login_redirect() from None
    if actor.role not in POLICY[Permission.CASE_READ]:
        raise _login_redirect()
    if await staff_store.is_disabled(request.app.state.pool, actor.id):
        log.info("console.unauthenticated", reason="account disabled")
        raise _login_redirect()
    return actor


ConsoleActor = Annotated[Actor, Depends(console_actor)]


def _page(request: Request, name: str, actor: Actor | None, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    return _templates.TemplateResponse(request, name, {"actor": actor, **ctx}, status_code=status_code)


def _error(request: Request, actor: Actor | None, status_code: int, message: str) -> HTMLResponse:
    return _page(request, "error.html", actor, status_code=status_code, message=message)


async def _refused(request: Request, actor: Actor, err: NotPermitted, case_id: UUID | None = None) -> HTMLResponse:
    """A 403 page, written to the audit ledger like every API refusal (who tried to see what)."""
    await log_refusal(request.app.state.pool, request.app.state.ledger, actor, case_id,
                      command=f"GET {request.url.path}", error=err)
    message = ("该案件不在您的管辖范围内，无权查看。" if case_id is not None else "您的角色无权查看此页面。")
    return _error(request, actor, 403, message)


def _lacks(actor: Actor, permission: Permission) -> NotPermitted | None:
    """The same right the API asks for the same data (api/policy.py): the console shows nothing more."""
    if actor.role in POLICY[permission]:
        return None
    return NotPermitted(f"role {actor.role} lacks the right {permission.value}")


# --- login ------------------------------------------------------------------------------------------------


def _password_login(settings: Settings) -> bool:
    """Password login issues the API's own HS256 tokens: not where tokens come from an identity provider."""
    return not (settings.jwt_jwks_url or settings.jwt_public_key_file)


def _login_page(request: Request, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    return _page(request, "login.html", None, status_code=status_code,
                 password_login=_password_login(request.app.state.settings),
                 max_attempts=staff.MAX_FAILED_ATTEMPTS, lock_minutes=staff.LOCK_MINUTES, **ctx)


def _logged_in(request: Request, token: str) -> Response:
    response = RedirectResponse("/console", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


_REFUSED_LOGIN = {
    staff.LoginRefused.BAD_CREDENTIALS: "工号或密码不正确。",
    staff.LoginRefused.DISABLED: "该账号已停用，请联系系统管理员。",
}


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """A staff id and password (checked against the staff accounts), or a pasted token (verified like a bearer
    token); either way the API's token is kept in the console cookie (HttpOnly, SameSite=Strict)."""
    # A urlencoded form parsed by hand: the console needs no multipart dependency for a few fields.
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    staff_id = (form.get("staff_id") or [""])[0].strip()
    if staff_id and _password_login(request.app.state.settings):
        password = (form.get("password") or [""])[0]
        result = await staff.login(request.app.state.pool, request.app.state.ledger, request.app.state.settings,
                                   staff_id, password, datetime.now(UTC))
        if result.token is None:
            if result.refused is staff.LoginRefused.LOCKED:
                until = _china(result.locked_until, "%H:%M")
                message = f"密码连续输错，账号已锁定至 {until}（北京时间）；如需提前解锁请联系系统管理员。"
            else:
                message = _REFUSED_LOGIN[result.refused or staff.LoginRefused.BAD_CREDENTIALS]
            return _login_page(request, status_code=401, error=message, staff_id=staff_id)
        return _logged_in(request, result.token)
    token = (form.get("token") or [""])[0].strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    verifier: TokenVerifier = request.app.state.verifier
    try:
        actor = await verifier.authenticate(token)
    except AuthError as err:
        log.info("console.login_refused", reason=str(err))
        return _login_page(request, status_code=401, error="令牌无效或已过期，请重新获取。")
    if actor.role not in HUMAN_ROLES:
        return _login_page(request, status_code=401, error="该令牌无权使用控制台。")
    log.info("console.login", actor_id=actor.id, role=actor.role.value)
    return _logged_in(request, token)


@router.api_route("/logout", methods=["GET", "POST"])
async def logout() -> Response:
    response = RedirectResponse("/console/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


# --- dashboard --------------------------------------------------------------------------------------------


def _townships_of(actor: Actor) -> dict[str, str]:
    """The townships the actor may look at (a village user: its own township, to label its cases)."""
    return {code: name for code, name in LUFENG_TOWNSHIPS.items()
            if covers(actor.jurisdiction, code) or actor.jurisdiction.startswith(code)}


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, actor: ConsoleActor, pool: PoolDep) -> HTMLResponse:
    """Stage funnel, overdue cases per township and the monthly caseload of the last 12 months (the reports'
    right, REPORT_READ; the front line lands on its work, 我的待办, instead)."""
    if (refused := _lacks(actor, Permission.REPORT_READ)) is not None:
        if _lacks(actor, Permission.CASE_LIST) is None:  # the front line lands on its work (issue 19)
            return RedirectResponse("/console/work", status_code=303)  # type: ignore[return-value]
        return await _refused(request, actor, refused)
    counts = await case_queries.stage_counts(pool, actor.jurisdiction)
    overdue = await case_queries.overdue_by_township(pool, actor.jurisdiction)
    monthly = await case_queries.monthly_caseload(pool, actor.jurisdiction, months=12,
                                                  today=datetime.now(CHINA_TZ).date())
    overdue_rows = sorted(overdue, key=lambda t: t.township_code)
    overdue_bars = charts.horizontal_bars(
        (t.township_code, LUFENG_TOWNSHIPS.get(t.township_code, t.township_code), int(t.overdue_cases),
         "/console/cases?" + urlencode({"township_code": t.township_code, "overdue": "true"}))
        for t in overdue_rows)
    months, active_points = charts.trend(monthly)
    return _page(request, "dashboard.html", actor, funnel=charts.funnel(counts), total=sum(counts.values()),
                 overdue_bars=overdue_bars, overdue_rows=overdue_rows, months=months, active_points=active_points,
                 bar_area=charts.BAR_AREA, trend_height=charts.TREND_HEIGHT, trend_step=charts.TREND_STEP)


# --- case list --------------------------------------------------------------------------------------------

_FILTERS = ("township_code", "village_code", "program", "overdue", "pending_role", "opened_from", "opened_to",
            "cursor")


@router.get("/cases.xlsx", response_class=Response)
async def case_list_excel(request: Request, actor: ConsoleActor, pool: PoolDep, ledger: LedgerDep,
                          clock: ClockDep) -> Response:
    """The case list's 台账 as Excel with the page's filters (issue 19 item 7; the API's ``/v1/cases.xlsx``);
    invalid filters answer the list page with the refusal in Chinese."""
    if (refused := _lacks(actor, Permission.CASE_LIST)) is not None:
        return await _refused(request, actor, refused)
    params = request.query_params
    raw: dict[str, Any] = {k: params[k].strip() for k in _FILTERS if k != "cursor" and params.get(k, "").strip()}
    try:
        query = case_queries.CaseQuery.model_validate({**raw, "stage": [s for s in params.getlist("stage") if s]})
    except ValidationError:
        return await case_list(request, actor, pool)
    return await case_list_xlsx(actor, pool, ledger, clock().astimezone(CHINA_TZ).date(), query, via="console")


@router.get("/cases", response_class=HTMLResponse)
async def case_list(request: Request, actor: ConsoleActor, pool: PoolDep) -> HTMLResponse:
    """The cases in the actor's jurisdiction, filtered by a GET form, 50 a page (keyset: 下一页)."""
    if (refused := _lacks(actor, Permission.CASE_LIST)) is not None:
        return await _refused(request, actor, refused)
    params = request.query_params
    raw: dict[str, Any] = {k: params[k].strip() for k in _FILTERS if params.get(k, "").strip()}
    stages = [s for s in params.getlist("stage") if s]
    error = None
    try:
        query = case_queries.CaseQuery.model_validate({**raw, "stage": stages})
    except ValidationError as err:
        fields = sorted({str(e["loc"][0]) for e in err.errors() if e["loc"]})
        error = "翻页位置无效，请从第一页开始。" if fields == ["cursor"] else "筛选条件无效：" + "、".join(fields)
        query = case_queries.CaseQuery()
    try:
        page = await case_queries.list_cases(pool, actor.jurisdiction, query)
    except case_queries.InvalidCursor:
        error = "翻页位置无效，请从第一页开始。"
        page = await case_queries.list_cases(pool, actor.jurisdiction, query.model_copy(update={"cursor": None}))
    keep = [(k, v) for k, v in params.multi_items() if k != "cursor" and v]
    next_href = None
    if page.next_cursor and error is None:
        next_href = "/console/cases?" + urlencode([*keep, ("cursor", page.next_cursor)])
    first_href = ("/console/cases?" + urlencode(keep) if keep else "/console/cases") if params.get("cursor") else None
    return _page(request, "cases.html", actor, status_code=422 if error else 200, rows=page.rows,
                 next_href=next_href, error=error, form={k: params.get(k, "") for k in _FILTERS}, stages=stages,
                 townships=_townships_of(actor), stage_options=[(s, STAGE_LABELS[s]) for s in PROCEDURE_ORDER],
                 role_options=[(r.value, ROLE_LABELS[r]) for r in sorted(HUMAN_ROLES)],
                 first_href=first_href, programs=PROGRAM_LABELS)


# --- one case ---------------------------------------------------------------------------------------------


def _case_uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _available_notices(state: Any, events: list[CaseEvent]) -> list[tuple[str, str]]:
    out = []
    for kind in programme_of(state.program).notice_kinds:
        try:
            notice_for(state, kind, events=events)
        except DomainError:
            continue
        out.append((kind, NOTICE_LABELS[kind]))
    return out


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, case_id: str, actor: ConsoleActor, temporal: TemporalDep,
                    pool: PoolDep) -> HTMLResponse:
    """Header, pending step and deadline, the forms of the steps this person may take now, the stage timeline
    (an SVG), the decision trail and the notices."""
    cid = _case_uuid(case_id)
    if cid is None:
        return _error(request, actor, 404, "没有这个案件。")
    return await render_case(request, cid, actor, temporal, pool, done=request.query_params.get("done"))


async def render_case(request: Request, cid: UUID, actor: Actor, temporal: Any, pool: Any, *,
                      refused_form: Any = None, done: str | None = None, status_code: int = 200) -> HTMLResponse:
    """The case page; ``refused_form`` is a submitted form the API refused (shown open, with its messages)."""
    try:
        snap = await readable_snapshot(temporal, cid, actor, pool)
        trail = await get_trail(cid, actor, pool, request.app.state.ledger)
    except CaseNotFound:
        return _error(request, actor, 404, "没有这个案件。")
    except NotPermitted as err:
        return await _refused(request, actor, err, cid)
    events = _EVENTS.validate_python([row["payload"] for row in await PgCaseStore(pool).get_events(cid)])
    # The timeline is the fold of the recorded events: the stage after each event, and when it was entered.
    after: list[tuple[Any, datetime]] = []
    state = None
    for ev in events:
        state = evolve(state, ev)
        after.append((state.stage, state.stage_since))
    entered = charts.stage_history(after)
    detail = CaseDetail.of_snapshot(snap.state, snap.pending, workflow_id_for(cid), reader=actor)
    nodes = charts.timeline(entered, snap.state.stage, programme_of(snap.state.program))
    forms = case_forms(request, snap.state, actor, refused_form)
    assessment = _assessment_for(request, snap.state, forms)
    response = _page(request, "case.html", actor, status_code=status_code, case=detail,
                     overdue=is_overdue(snap.state), nodes=nodes,
                     timeline_width=nodes[-1].x + 60 if nodes else 200, trail=trail,
                     notices=_available_notices(snap.state, events), today=datetime.now(CHINA_TZ).date(),
                     forms=forms, refused_form=refused_form, done=done, assessment=assessment,
                     # whether each deadline's step is still pending (the programme's deadline rules say)
                     deadline_open={d.step: programme_of(snap.state.program).deadlines.is_open(snap.state, d.step)
                                    for d in detail.deadlines})
    response.headers["Cache-Control"] = "no-store"
    return response


def _params_today(request: Request, state: Any) -> Any:
    try:
        return resolve(request.app.state.parameters.book(), state.village_code, datetime.now(CHINA_TZ).date())
    except Exception:  # noqa: BLE001 — no parameters for the day: nothing that computes is offered or shown
        return None


def _assessment_for(request: Request, state: Any, forms: list[Any]) -> Any:
    """Before an opinion or a decision (a form asking ``eligible``): the programme's own assessment of the
    household with today's parameters, shown beside the form and pre-filling it (the decision recomputes it)."""
    if not any(f.name == "eligible" for form in forms for f in form.fields):
        return None
    spec = programme_of(state.program).procedure
    params = _params_today(request, state)
    if spec is None or params is None:
        return None
    try:
        assessment = spec.assess(state, params)
    except DomainError:
        return None
    for form in forms:
        for f in form.fields:
            if f.name == "eligible" and not f.value:
                f.value = "true" if assessment.eligible else "false"
    return assessment


def case_forms(request: Request, state: Any, actor: Actor, refused_form: Any = None) -> list[Any]:
    """The forms of the commands the domain lets this person send now (domain.offers), generated from the API's
    command models; a refused form replaces its fresh copy."""
    if actor.role not in POLICY[Permission.CASE_COMMAND]:
        return []
    params = _params_today(request, state)
    forms = []
    for command_type in offered_commands(state, actor, datetime.now(UTC), params):
        type_code = command_type.model_fields["type"].default
        if type_code not in forms_module.API_COMMANDS:
            continue
        if refused_form is not None and refused_form.type == type_code:
            forms.append(refused_form)
            continue
        forms.append(forms_module.build_form(type_code, list(state.members), side=type_code in SIDE_COMMANDS))
    return forms


@router.get("/cases/{case_id}/notices/{kind}", response_class=HTMLResponse)
async def case_notice(request: Request, case_id: str, kind: str, actor: ConsoleActor, temporal: TemporalDep,
                      pool: PoolDep) -> HTMLResponse:
    """The printable notice, exactly as ``GET /v1/cases/{id}/notices/{kind}`` renders it for this actor."""
    if kind not in notice_kinds():
        return _error(request, actor, 404, "没有这种通知书。")
    cid = _case_uuid(case_id)
    if cid is None:
        return _error(request, actor, 404, "没有这个案件。")
    try:
        return await get_notice(cid, kind, actor, temporal, pool)  # type: ignore[arg-type]
    except CaseNotFound:
        return _error(request, actor, 404, "没有这个案件。")
    except NotPermitted as err:
        return await _refused(request, actor, err, cid)
    except DomainError:
        return _error(request, actor, 409, "案件尚未办理到出具该通知书的环节。")


# --- the township reserve fund (临时救助备用金, S8 §三(三)) ------------------------------------------------------


_templates.env.globals.update(
    may_read_fund=lambda actor: actor is not None and actor.role in POLICY[Permission.RESERVE_FUND_READ])


@router.get("/reserve-funds", response_class=HTMLResponse)
async def reserve_funds_page(request: Request, actor: ConsoleActor, pool: PoolDep) -> HTMLResponse:
    """Every township's reserve fund in the actor's jurisdiction: balance and the shortfalls the county was told
    of and has not yet filled (S8 §三(三)); a township's own page from each row."""
    from adapters.db import reserve_funds

    if (refused := _lacks(actor, Permission.RESERVE_FUND_READ)) is not None:
        return await _refused(request, actor, refused)
    held = await reserve_funds.balances(pool, actor.jurisdiction[:9])
    short: dict[str, int] = {}
    for s in await reserve_funds.shortfalls(pool, actor.jurisdiction[:9]):
        short[s.township_code.strip()] = short.get(s.township_code.strip(), 0) + 1
    rows = [(code, name, held.get(code, Decimal("0.00")), short.get(code, 0))
            for code, name in sorted(LUFENG_TOWNSHIPS.items()) if actor.covers(code)]
    return _page(request, "reserve_funds.html", actor, rows=rows, total=sum((r[2] for r in rows), Decimal("0.00")))


@router.get("/reserve-funds/{township_code}", response_class=HTMLResponse)
async def reserve_fund_page(request: Request, township_code: str, actor: ConsoleActor,
                            pool: PoolDep) -> HTMLResponse:
    """A township's reserve fund: balance, the shortfalls the county was told of, every movement (the API's
    right, RESERVE_FUND_READ, and the township's jurisdiction)."""
    from adapters.db import reserve_funds

    if (refused := _lacks(actor, Permission.RESERVE_FUND_READ)) is not None:
        return await _refused(request, actor, refused)
    if township_code not in LUFENG_TOWNSHIPS:
        return _error(request, actor, 404, "没有这个乡镇。")
    if not actor.covers(township_code):
        return await _refused(request, actor, NotPermitted("township lies outside the actor's jurisdiction"))
    return _page(request, "reserve_fund.html", actor, township_code=township_code,
                 township_name=LUFENG_TOWNSHIPS[township_code],
                 balance=await reserve_funds.balance(pool, township_code),
                 movements=await reserve_funds.movements(pool, township_code),
                 shortfalls=await reserve_funds.shortfalls(pool, township_code),
                 month=datetime.now(CHINA_TZ).strftime("%Y-%m"),
                 kinds={"urgent_grant": "先行救助支出", "replenishment": "县级拨付补充"})


# --- 一门受理: an intake on one page (S5 item 23) ------------------------------------------------------------

_OUTCOME_LABELS = {"may_qualify": "可能符合", "does_not_qualify": "不符合", "incomplete": "情况不全，无法判断",
                   "not_screened": "未自动评估"}


@router.get("/intakes/{intake_id}", response_class=HTMLResponse)
async def intake_page(request: Request, intake_id: str, actor: ConsoleActor, pool: PoolDep) -> HTMLResponse:
    """An intake: every programme's screening with what is missing, and the cases opened from it with where each
    stands (the API's right for intakes, CASE_CREATE, and the village's jurisdiction)."""
    from api.errors import IntakeNotFound
    from api.routes.intakes import _public, readable_intake

    if (refused := _lacks(actor, Permission.CASE_CREATE)) is not None:
        return await _refused(request, actor, refused)
    iid = _case_uuid(intake_id)
    if iid is None:
        return _error(request, actor, 404, "没有这个受理评估。")
    try:
        row = await readable_intake(pool, iid, actor)
    except IntakeNotFound:
        return _error(request, actor, 404, "没有这个受理评估。")
    return render_intake(request, actor, await _public(pool, row))


def render_intake(request: Request, actor: Actor, intake: Any, status_code: int = 200,
                  errors: dict[str, str] | None = None) -> HTMLResponse:
    """The intake's page; ``errors``: why a programme's case could not be opened from it, by draft (its key:
    the programme, or the programme and the member for a programme applied for by one person)."""
    from api.console.labels import PROGRAM_LABELS

    return _page(request, "intake_screening.html", actor, status_code=status_code, intake=intake,
                 outcomes=_OUTCOME_LABELS, programs=PROGRAM_LABELS, stages=STAGE_LABELS,
                 to_open=[a for a in intake.applications if not a.opened], errors=errors or {},
                 key=uuid.uuid4().hex)
