"""The case list and the supervisors' reports, from the PostgreSQL read model (issue 5).

Every answer is scoped to the caller's jurisdiction: a filter naming another division answers an empty list,
never its cases. The list carries codes, stages, amounts and dates only (no names, no ID numbers).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError

from adapters.db.case_queries import (
    CasePage,
    CaseQuery,
    MonthlyCaseload,
    ProvisionalDeadline,
    SlaBreaches,
    TownshipOverdue,
    list_cases,
    monthly_caseload,
    overdue_by_township,
    provisional_deadlines,
    sla_breaches,
    stage_counts,
)
from adapters.rendering.xlsx import XLSX_MEDIA_TYPE, Sheet, attachment, workbook_bytes
from api.console.labels import PROGRAM_LABELS, ROLE_LABELS, STAGE_LABELS, STEP_LABELS, label
from api.deps import ClockDep, LedgerDep, PoolDep, require
from api.policy import Permission
from api.schemas import EventDate, Problem
from domain.actors import Actor
from domain.divisions import place_name, village_name
from domain.kernel.clock import CHINA_TZ
from domain.programmes import all_stages
from services.audit.access import log_access

router = APIRouter(tags=["queries and reports"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role does not allow it"},
}

ListActor = Annotated[Actor, Depends(require(Permission.CASE_LIST))]


class CaseListQuery(CaseQuery):
    """The list's filters, with the API's limits: at most one of each stage, dates from 1900 to 2100."""

    stage: list[str] = Field([], max_length=len(all_stages()),
                             description="stages (any of them); repeat the parameter for several")
    opened_from: EventDate | None = Field(None, description="opened on or after this day (China time)")
    opened_to: EventDate | None = Field(None, description="opened on or before this day (China time)")


ReportActor = Annotated[Actor, Depends(require(Permission.REPORT_READ))]


@router.get("/v1/cases", response_model=CasePage, responses=_ERRORS)
async def get_cases(actor: ListActor, pool: PoolDep, q: Annotated[CaseListQuery, Query()]) -> CasePage:
    """The cases inside the caller's jurisdiction, newest first, filtered (township, village, programme,
    stages, overdue, pending role, opening dates) and paged with the opaque ``next_cursor``.

    A township or village outside the caller's jurisdiction answers an empty page; bad codes, stage or role
    names and cursors answer 422 naming the parameter.
    """
    return await list_cases(pool, actor.jurisdiction, q)


#: At most this many cases in one workbook: a county's register fits; a larger one is narrowed by the filters.
XLSX_MAX_ROWS = 20_000
_NO_STORE = {"Cache-Control": "no-store"}
_XLSX = {200: {"content": {XLSX_MEDIA_TYPE: {}}}}

CASE_LIST_HEADER = ("序号", "案件编号", "救助项目", "乡镇(街道)", "村(社区)", "村(社区)代码", "办理阶段",
                    "保障人数", "月保障金额(元)", "待办环节", "待办角色", "办理期限", "是否逾期", "申请日期",
                    "进入本阶段", "最近更新")


def _xlsx(content: bytes, filename: str, fallback: str) -> Response:
    return Response(content=content, media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": attachment(filename, fallback), **_NO_STORE})


@router.get("/v1/cases.xlsx", response_class=Response, responses={**_ERRORS, **_XLSX})
async def get_cases_xlsx(actor: ListActor, pool: PoolDep, ledger: LedgerDep, clock: ClockDep,
                         q: Annotated[CaseListQuery, Query()]) -> Response:
    """The case list as an Excel register (台账, issue 19 item 7): every case inside the caller's jurisdiction
    matching the list's filters (``limit`` and ``cursor`` are ignored: all pages, newest first, at most
    20 000 rows), with Chinese headers, names of places, stages and steps, and a Chinese file name. No personal
    data (as the list). Every export is in the audit ledger."""
    rows: list[tuple[object, ...]] = []
    page_q = q.model_copy(update={"limit": 200, "cursor": None})
    while len(rows) < XLSX_MAX_ROWS:
        page = await list_cases(pool, actor.jurisdiction, page_q)
        for r in page.rows:
            rows.append((len(rows) + 1, str(r.case_id), label(PROGRAM_LABELS, r.program),
                         place_name(r.township_code), village_name(r.village_code) or "", r.village_code,
                         label(STAGE_LABELS, r.stage), r.household_size, r.monthly_amount,
                         label(STEP_LABELS, r.pending_step),
                         "、".join(label(ROLE_LABELS, x) for x in r.pending_roles), r.pending_due,
                         "是" if r.overdue else "否", r.opened_at.astimezone(CHINA_TZ).date(),
                         r.stage_since.astimezone(CHINA_TZ), r.updated_at.astimezone(CHINA_TZ)))
        if page.next_cursor is None:
            break
        page_q = page_q.model_copy(update={"cursor": page.next_cursor})
    truncated = len(rows) >= XLSX_MAX_ROWS
    rows = rows[:XLSX_MAX_ROWS]
    await log_access(pool, ledger, actor, None, "case_list_export", via="xlsx")
    today = clock().astimezone(CHINA_TZ).date()
    caption = f"{place_name(actor.jurisdiction)} 救助案件台账（{today:%Y年%m月%d日}导出，共{len(rows)}件" + \
        ("，仅前20000件，请缩小筛选条件）" if truncated else "）")
    content = workbook_bytes(Sheet("案件台账", CASE_LIST_HEADER, rows, caption=caption))
    return _xlsx(content, f"{place_name(actor.jurisdiction)}救助案件台账{today:%Y%m%d}.xlsx",
                 f"cases-{actor.jurisdiction}-{today:%Y%m%d}.xlsx")


@router.get("/v1/reports.xlsx", response_class=Response, responses={**_ERRORS, **_XLSX})
async def get_reports_xlsx(
    actor: ReportActor, pool: PoolDep, ledger: LedgerDep, clock: ClockDep,
    months: Annotated[int, Query(ge=1, le=120, description="months of the monthly caseload")] = 12,
) -> Response:
    """The reports as one Excel workbook (issue 19 item 7), a sheet each, Chinese headers and file name: cases
    per stage, open and overdue cases per township, overdue cases per pending step, and the monthly caseload
    and payments. No personal data. Every export is in the audit ledger."""
    today = clock().astimezone(CHINA_TZ).date()
    stages = await stage_counts(pool, actor.jurisdiction)
    overdue = await overdue_by_township(pool, actor.jurisdiction)
    breaches = await sla_breaches(pool, actor.jurisdiction)
    monthly = await monthly_caseload(pool, actor.jurisdiction, months=months, today=today)
    await log_access(pool, ledger, actor, None, "reports_export", via="xlsx")
    where = place_name(actor.jurisdiction)
    content = workbook_bytes(
        Sheet("各阶段案件数", ("办理阶段", "阶段代码", "案件数"),
              [(label(STAGE_LABELS, s), s, n) for s, n in stages.items()],
              caption=f"{where} 各阶段案件数（{today:%Y年%m月%d日}）"),
        Sheet("乡镇在办与逾期", ("乡镇(街道)", "乡镇代码", "在办案件", "逾期案件"),
              [(place_name(t.township_code), t.township_code, t.open_cases, t.overdue_cases) for t in overdue]),
        Sheet("逾期环节", ("乡镇(街道)", "乡镇代码", "办理环节", "逾期案件"),
              [(place_name(b.township_code), b.township_code, label(STEP_LABELS, step), n)
               for b in breaches for step, n in sorted(b.by_step.items())]),
        Sheet("月度台账", ("月份", "乡镇(街道)", "乡镇代码", "新申请", "批准", "不予批准", "发放户数",
                       "发放金额(元)"),
              [(m.month, place_name(m.township_code), m.township_code, m.opened, m.approved, m.rejected,
                m.active, m.payment_total) for m in monthly]),
    )
    return _xlsx(content, f"{where}救助工作统计报表{today:%Y%m%d}.xlsx",
                 f"reports-{actor.jurisdiction}-{today:%Y%m%d}.xlsx")


@router.get("/v1/reports/stages", response_model=dict[str, int], responses=_ERRORS)
async def report_stages(actor: ReportActor, pool: PoolDep) -> dict[str, int]:
    """Cases per stage inside the caller's jurisdiction (every stage, 0 when none): the stage funnel."""
    return await stage_counts(pool, actor.jurisdiction)


@router.get("/v1/reports/overdue-by-township", response_model=list[TownshipOverdue], responses=_ERRORS)
async def report_overdue(actor: ReportActor, pool: PoolDep) -> list[TownshipOverdue]:
    """Per township: open cases (a step pending, or overdue) and overdue cases (an escalated deadline)."""
    return await overdue_by_township(pool, actor.jurisdiction)


@router.get("/v1/reports/sla-breaches", response_model=list[SlaBreaches], responses=_ERRORS)
async def report_sla_breaches(actor: ReportActor, pool: PoolDep) -> list[SlaBreaches]:
    """The townships with overdue cases, with the count per pending step."""
    return await sla_breaches(pool, actor.jurisdiction)


@router.get("/v1/reports/monthly-caseload", response_model=list[MonthlyCaseload], responses=_ERRORS)
async def report_monthly(
    actor: ReportActor, pool: PoolDep, clock: ClockDep,
    months: Annotated[int, Query(ge=1, le=120, description="months up to the current one")] = 12,
) -> list[MonthlyCaseload]:
    """Per township and month: cases opened, approvals and refusals (by decision month), cases paid
    (a payable benefit period that month) and the payment-roll total."""
    today = clock().astimezone(CHINA_TZ).date()
    return await monthly_caseload(pool, actor.jurisdiction, months=months, today=today)


@router.get("/v1/reports/provisional-deadlines", response_model=list[ProvisionalDeadline], responses=_ERRORS)
async def report_provisional_deadlines(
    actor: ReportActor, pool: PoolDep,
    year: Annotated[int | None, Query(ge=2000, le=2100,
                                      description="only deadlines counted provisionally from this year")] = None,
) -> list[ProvisionalDeadline]:
    """Pending steps whose working-day deadline was counted *provisionally* — weekdays only, in a year whose
    holiday schedule had not been entered (calendar version ``…+provisional-YYYY``) — by due date: case id,
    step and its article, due date, calendar version, whether it has escalated. Once the year is entered
    (``casework calendar complete-year``) each is counted again and leaves this list. No personal data."""
    return await provisional_deadlines(pool, actor.jurisdiction, year=year)


@router.get("/v1/reports/waiting-on/{role}", response_model=CasePage, responses=_ERRORS)
async def report_waiting_on(
    role: Annotated[str, Path(min_length=1, max_length=64, description="a role, e.g. county_reviewer")],
    actor: ReportActor, pool: PoolDep,
    limit: Annotated[int, Query(ge=1, le=200, description="rows per page")] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of a previous page")] = None,
) -> CasePage:
    """The cases inside the caller's jurisdiction whose pending step waits on ``role``, newest first."""
    try:
        q = CaseQuery(pending_role=role, limit=limit, cursor=cursor)
    except ValidationError as err:
        raise RequestValidationError([
            {**e, "loc": ("path", "role") if e["loc"] == ("pending_role",) else ("query", *e["loc"])}
            for e in err.errors()
        ]) from None
    return await list_cases(pool, actor.jurisdiction, q)
