"""The township reserve funds (临时救助备用金, S8 §三(三); S5 item 15): balance and movements, county
replenishments, the shortfalls the county is told of, and the monthly statement as CSV and as a printable page.

Urgent grants (先行救助) draw on the fund from the case's decision (the workflow, keyed by case and seq); a grant
the fund cannot pay is refused with 409 and listed here for the county. Every movement is in the audit ledger.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, Response, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from adapters.db import reserve_funds
from adapters.db.payments import check_month, check_township
from api.console.citations import cite
from api.deps import PoolDep, require
from api.policy import Permission
from api.routes.payments import MonthPath, TownshipPath
from api.schemas import Problem, RequestBody, SingleLine, json_error_responses
from domain.actors import Actor
from domain.divisions import LUFENG_TOWNSHIPS
from domain.errors import NotPermitted
from domain.kernel.clock import CHINA_TZ
from domain.months import add_months_to_month

router = APIRouter(tags=["reserve funds"])
log = structlog.get_logger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role or jurisdiction does not allow it"},
}


class ReplenishmentCreate(RequestBody):
    """A county replenishment of a township's reserve fund (S8 §三(三))."""

    amount: Annotated[Decimal, Field(gt=0, le=Decimal("100000000"), max_digits=12, decimal_places=2)]
    reason: Annotated[str, Field(min_length=1, max_length=500), SingleLine]


class FundPublic(BaseModel):
    township_code: str
    balance: Decimal
    movements: list[reserve_funds.Movement]
    open_shortfalls: list[reserve_funds.Shortfall]


class Statement(BaseModel):
    """A month's statement of a township's fund: opening balance, every movement, closing balance."""

    township_code: str
    month: str
    opening_balance: Decimal
    drawn: Decimal
    replenished: Decimal
    closing_balance: Decimal
    movements: list[reserve_funds.Movement]


def _covered(actor: Actor, township_code: str) -> None:
    if not actor.covers(township_code):
        raise NotPermitted("township lies outside the actor's jurisdiction")


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    def start(m: str) -> datetime:
        year, mon = (int(x) for x in m.split("-"))
        return datetime(year, mon, 1, tzinfo=CHINA_TZ)

    return start(month), start(add_months_to_month(month, 1))


async def _statement(pool: PoolDep, township_code: str, month: str) -> Statement:
    start, end = _month_bounds(month)
    opening = await reserve_funds.balance_before(pool, township_code, start)
    moves = await reserve_funds.movements(pool, township_code, start, end)
    drawn = -sum((m.amount for m in moves if m.amount < 0), Decimal("0"))
    replenished = sum((m.amount for m in moves if m.amount > 0), Decimal("0"))
    closing = moves[-1].balance_after if moves else opening
    return Statement(township_code=township_code, month=month, opening_balance=opening, drawn=drawn,
                     replenished=replenished, closing_balance=closing, movements=moves)


@router.get("/v1/reserve-funds/shortfalls", response_model=list[reserve_funds.Shortfall], responses=_ERRORS)
async def list_shortfalls(
    actor: Annotated[Actor, Depends(require(Permission.RESERVE_FUND_READ))],
    pool: PoolDep,
) -> list[reserve_funds.Shortfall]:
    """Urgent grants refused because a township's fund could not pay them, not yet covered by a replenishment:
    what the county is told (S8 §三(三)). Within the caller's jurisdiction."""
    return await reserve_funds.shortfalls(pool, actor.jurisdiction)


@router.get("/v1/reserve-funds/{township_code}", response_model=FundPublic, responses=_ERRORS)
async def read_fund(
    township_code: TownshipPath,
    actor: Annotated[Actor, Depends(require(Permission.RESERVE_FUND_READ))],
    pool: PoolDep,
) -> FundPublic:
    """A township's fund: the balance, every movement (who, when, why, legal basis) and open shortfalls."""
    check_township(township_code, field=("path", "township_code"))
    _covered(actor, township_code)
    return FundPublic(township_code=township_code, balance=await reserve_funds.balance(pool, township_code),
                      movements=await reserve_funds.movements(pool, township_code),
                      open_shortfalls=await reserve_funds.shortfalls(pool, township_code))


@router.post("/v1/reserve-funds/{township_code}/replenishments", response_model=reserve_funds.Movement,
             status_code=status.HTTP_201_CREATED, responses=_ERRORS)
async def replenish(
    township_code: TownshipPath,
    body: ReplenishmentCreate,
    actor: Annotated[Actor, Depends(require(Permission.RESERVE_FUND_REPLENISH))],
    pool: PoolDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> reserve_funds.Movement:
    """The county fills a township's fund (a ledgered decision, S8 §三(三)); the same Idempotency-Key again
    answers the first replenishment and moves nothing."""
    check_township(township_code, field=("path", "township_code"))
    _covered(actor, township_code)
    movement = await reserve_funds.replenish(pool, township_code=township_code, amount=body.amount, actor=actor,
                                             reason=body.reason, idempotency_key=idempotency_key)
    log.info("reserve_fund.replenished", township_code=township_code, movement_id=movement.movement_id)
    return movement


_CSV_HEADER = ["序号", "时间", "类别", "金额（元）", "余额（元）", "案件编号", "经办人", "事由", "依据"]
_KINDS = {"urgent_grant": "先行救助支出", "replenishment": "县级拨付补充"}


@router.get("/v1/reserve-funds/{township_code}/statements/{month}.csv", response_class=Response,
            responses={**_ERRORS, 200: {"content": {"text/csv": {}}}})
async def statement_csv(
    township_code: TownshipPath,
    month: MonthPath,
    actor: Annotated[Actor, Depends(require(Permission.RESERVE_FUND_READ))],
    pool: PoolDep,
) -> Response:
    """The month's statement as CSV for Excel (UTF-8 with a BOM, Chinese headers); no personal data. The legal
    basis as people cite it (《关于进一步加强和改进临时救助工作的意见》第三部分第（三）项, issue 19 item 6); the JSON
    keeps the source tags for machines."""
    check_township(township_code, field=("path", "township_code"))
    check_month(month, field=("path", "month"))
    _covered(actor, township_code)
    st = await _statement(pool, township_code, month)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["期初余额", str(st.opening_balance)])
    w.writerow(_CSV_HEADER)
    for m in st.movements:
        w.writerow([m.movement_id, m.at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"), _KINDS[m.kind], m.amount,
                    m.balance_after, str(m.case_id or ""), m.actor_id, m.reason,
                    "；".join(cite(b) for b in m.legal_basis)])
    w.writerow(["本月支出", str(st.drawn), "本月补充", str(st.replenished), "期末余额", str(st.closing_balance)])
    return Response(content="\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="reserve-fund-{township_code}-{month}.csv"'})


@router.get("/v1/reserve-funds/{township_code}/statements/{month}.html", response_class=HTMLResponse,
            responses=json_error_responses(_ERRORS))
async def statement_html(
    township_code: TownshipPath,
    month: MonthPath,
    actor: Annotated[Actor, Depends(require(Permission.RESERVE_FUND_READ))],
    pool: PoolDep,
) -> HTMLResponse:
    """The month's statement as a printable page in Chinese, with signature lines."""
    check_township(township_code, field=("path", "township_code"))
    check_month(month, field=("path", "month"))
    _covered(actor, township_code)
    st = await _statement(pool, township_code, month)
    name = html.escape(LUFENG_TOWNSHIPS.get(township_code, township_code))
    rows = "".join(
        f"<tr><td>{m.movement_id}</td><td>{m.at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}</td><td>{_KINDS[m.kind]}</td>"
        f"<td class=n>{m.amount}</td><td class=n>{m.balance_after}</td><td>{html.escape(m.actor_id)}</td>"
        f"<td>{html.escape(m.reason)}</td></tr>" for m in st.movements)
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{name}临时救助备用金月度对账单 {st.month}</title>
<style>body{{font-family:serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #000;padding:4px}}.n{{text-align:right}}@page{{size:A4 landscape}}</style></head><body>
<h1>{name}临时救助备用金月度对账单（{st.month}）</h1>
<p>依据：《关于进一步加强和改进临时救助工作的意见》三(三)；《关于改革完善社会救助制度的意见》第15项</p>
<p>期初余额：{st.opening_balance} 元；本月补充：{st.replenished} 元；本月先行救助支出：{st.drawn} 元；
期末余额：{st.closing_balance} 元</p>
<table><tr><th>序号</th><th>时间</th><th>类别</th><th>金额（元）</th><th>余额（元）</th><th>经办人</th><th>事由</th></tr>
{rows}</table>
<p>经办人（签字）：＿＿＿＿＿＿　审核人（签字）：＿＿＿＿＿＿　（盖章）</p></body></html>"""
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


# --- reports (supervision and the deciding authorities, like the other reports) --------------------------------


class TemporaryGranted(BaseModel):
    """Per township and month: 临时救助 approvals and 先行救助 grants, counts and amounts (no personal data)."""

    township_code: str
    month: str
    approvals: int
    approved_amount: Decimal
    urgent_grants: int
    urgent_amount: Decimal


class AwaitingRegularisation(BaseModel):
    """An urgent grant whose formalities are not completed yet (S8 §二(二)), with its limit."""

    case_id: str
    township_code: str
    stage: str
    granted_at: datetime | None
    due: str | None
    overdue: bool


_GRANTED = """
WITH approvals AS (
    SELECT c.township_code, to_char(e.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
           count(*) AS approvals, sum((e.payload ->> 'amount')::numeric) AS approved_amount
    FROM case_events e JOIN cases c ON c.case_id = e.case_id
    WHERE e.type = 'temporary_assistance_approved' AND c.township_code LIKE $1 || '%'
    GROUP BY 1, 2
), urgent AS (
    SELECT township_code, to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
           count(*) AS urgent_grants, -sum(amount) AS urgent_amount
    FROM reserve_fund_movements WHERE kind = 'urgent_grant' AND township_code LIKE $1 || '%'
    GROUP BY 1, 2
)
SELECT coalesce(a.township_code, u.township_code) AS township_code, coalesce(a.month, u.month) AS month,
       coalesce(a.approvals, 0) AS approvals, coalesce(a.approved_amount, 0) AS approved_amount,
       coalesce(u.urgent_grants, 0) AS urgent_grants, coalesce(u.urgent_amount, 0) AS urgent_amount
FROM approvals a FULL JOIN urgent u ON u.township_code = a.township_code AND u.month = a.month
ORDER BY 2 DESC, 1
"""

_AWAITING = """
SELECT case_id::text, township_code, stage, (state ->> 'urgent_granted_at')::timestamptz AS granted_at,
       state -> 'deadlines' -> 'regularisation' ->> 'due' AS due, overdue
FROM cases
WHERE program = 'temporary' AND stage IN ('urgent_granted', 'regularisation_pending')
  AND township_code LIKE $1 || '%'
ORDER BY overdue DESC, granted_at
"""


@router.get("/v1/reports/temporary-granted", response_model=list[TemporaryGranted], responses=_ERRORS)
async def report_temporary_granted(
    actor: Annotated[Actor, Depends(require(Permission.REPORT_READ))],
    pool: PoolDep,
) -> list[TemporaryGranted]:
    """临时救助 granted per township and month (approvals by decision month; 先行救助 by grant month)."""
    rows = await pool.fetch(_GRANTED, actor.jurisdiction)
    return [TemporaryGranted(**dict(r)) for r in rows]


@router.get("/v1/reports/urgent-awaiting-regularisation", response_model=list[AwaitingRegularisation],
            responses=_ERRORS)
async def report_awaiting_regularisation(
    actor: Annotated[Actor, Depends(require(Permission.REPORT_READ))],
    pool: PoolDep,
) -> list[AwaitingRegularisation]:
    """Urgent grants whose formalities are not completed yet (S8 §二(二)), overdue ones first."""
    rows = await pool.fetch(_AWAITING, actor.jurisdiction)
    return [AwaitingRegularisation(**dict(r)) for r in rows]
