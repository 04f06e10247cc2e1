"""台账 to Excel shared by the API and the console (issue 19 item 7): the case list as a workbook."""

from __future__ import annotations

from datetime import date

import asyncpg
from fastapi import Response

from adapters.audit.ledger import Ledger
from adapters.db.case_queries import CaseQuery, list_cases
from adapters.rendering.xlsx import XLSX_MEDIA_TYPE, Sheet, attachment, workbook_bytes
from api.console.labels import OUTCOME_LABELS, PROGRAM_LABELS, ROLE_LABELS, STAGE_LABELS, STEP_LABELS, label
from domain.actors import Actor
from domain.divisions import place_name, village_name
from domain.kernel.clock import CHINA_TZ
from services.audit.access import log_access

#: At most this many cases in one workbook: a county's register fits; a larger one is narrowed by the filters.
XLSX_MAX_ROWS = 20_000
NO_STORE = {"Cache-Control": "no-store"}

CASE_LIST_HEADER = ("序号", "案件编号", "救助项目", "乡镇(街道)", "村(社区)", "村(社区)代码", "办理阶段",
                    "保障人数", "月保障金额(元)", "待办环节", "待办角色", "办理期限", "是否逾期", "申请日期",
                    "进入本阶段", "最近更新", "办理结果")


def xlsx_response(content: bytes, filename: str, fallback: str) -> Response:
    """A workbook as a download: its Chinese file name (RFC 5987) and never cached."""
    return Response(content=content, media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": attachment(filename, fallback), **NO_STORE})


async def case_list_xlsx(actor: Actor, pool: asyncpg.Pool, ledger: Ledger, today: date, q: CaseQuery, *,
                         via: str) -> Response:
    """Every case inside the actor's jurisdiction matching ``q`` (all pages, at most :data:`XLSX_MAX_ROWS`) as a
    workbook with Chinese headers and file name; the export is written to the audit ledger."""
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
                         r.stage_since.astimezone(CHINA_TZ), r.updated_at.astimezone(CHINA_TZ),
                         label(OUTCOME_LABELS, r.outcome) if r.outcome else ""))
        if page.next_cursor is None:
            break
        page_q = page_q.model_copy(update={"cursor": page.next_cursor})
    truncated = len(rows) >= XLSX_MAX_ROWS
    rows = rows[:XLSX_MAX_ROWS]
    await log_access(pool, ledger, actor, None, "case_list_export", via=f"xlsx:{via}")
    caption = f"{place_name(actor.jurisdiction)} 救助案件台账（{today:%Y年%m月%d日}导出，共{len(rows)}件" + \
        ("，仅前20000件，请缩小筛选条件）" if truncated else "）")
    content = workbook_bytes(Sheet("案件台账", CASE_LIST_HEADER, rows, caption=caption))
    return xlsx_response(content, f"{place_name(actor.jurisdiction)}救助案件台账{today:%Y%m%d}.xlsx",
                 f"cases-{actor.jurisdiction}-{today:%Y%m%d}.xlsx")
