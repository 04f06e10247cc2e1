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
from adapters.rendering.xlsx import XLSX_MEDIA_TYPE, Sheet, workbook_bytes
from api.console.exports import case_list_xlsx, xlsx_response
from api.console.labels import STAGE_LABELS, STEP_LABELS, label
from api.deps import ClockDep, LedgerDep, PoolDep, require
from api.policy import Permission
from api.schemas import EventDate, Problem
from domain.actors import Actor
from domain.divisions import place_name
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


_XLSX: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX_MEDIA_TYPE: {}}}}


@router.get("/v1/cases.xlsx", response_class=Response, responses={**_ERRORS, **_XLSX})
async def get_cases_xlsx(actor: ListActor, pool: PoolDep, ledger: LedgerDep, clock: ClockDep,
                         q: Annotated[CaseListQuery, Query()]) -> Response:
    """The case list as an Excel register (台账, issue 19 item 7): every case inside the caller's jurisdiction
    matching the list's filters (``limit`` and ``cursor`` are ignored: all pages, newest first, at most
    20 000 rows), with Chinese headers, names of places, stages and steps, and a Chinese file name. No personal
    data (as the list). Every export is in the audit ledger."""
    return await case_list_xlsx(actor, pool, ledger, clock().astimezone(CHINA_TZ).date(), q, via="api")


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
    return xlsx_response(content, f"{where}救助工作统计报表{today:%Y%m%d}.xlsx",
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
