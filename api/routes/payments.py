"""Payment rolls (发放名册) per township and month, and the payee account of a case (S1 Arts. 21, 25).

A roll is generated once per township and month and may be generated again (it then adds only the cases that
became payable since); it never pays a case twice in a month. It is served as JSON, as CSV for Excel (UTF-8
with a BOM), as an Excel workbook and as a printable page. Every output shows the applicant's name, a masked ID
number and the account's last four digits only (SPEC §9; S4 Art. 61) — except the bank file for 惠民惠农财政补贴
资金"一卡通" payment (issue 19 item 7), with the full account and ID numbers, for ``payment_roll.bank_file``
only. Every export is written to the audit ledger.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from adapters.db.payments import (
    Roll,
    UnknownCase,
    bank_file,
    check_account_number,
    check_month,
    check_not_ahead,
    check_township,
    generate_roll,
    get_roll,
    mask_account,
    set_payee,
)
from adapters.parameters import DEFAULT_BOOK, ParameterFile
from adapters.rendering.payment_roll import (
    render_bank_file_xlsx,
    render_roll_csv,
    render_roll_html,
    render_roll_xlsx,
    roll_heading,
)
from adapters.rendering.xlsx import XLSX_MEDIA_TYPE, attachment
from adapters.settings import Settings
from api.deps import ClockDep, LedgerDep, PoolDep, SettingsDep, require
from api.errors import CaseNotFound
from api.policy import Permission
from api.reads import recorded_case
from api.schemas import (
    MONTH_PATTERN,
    TOWNSHIP_PATTERN,
    Month,
    Problem,
    RequestBody,
    SingleLine,
    TownshipCode,
    json_error_responses,
    month_shape,
    township_shape,
)
from domain.actors import Actor
from domain.errors import NotPermitted
from domain.kernel.clock import CHINA_TZ
from services.audit.access import log_access

router = APIRouter(tags=["payments"])
log = structlog.get_logger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role or jurisdiction does not allow it"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "roll not generated"}}
# Rolls and payee answers carry personal data: never kept by a browser or a proxy.
_NO_STORE = {"Cache-Control": "no-store"}


class RollCreate(RequestBody):
    """Generate a township's roll for a month."""

    township_code: TownshipCode
    month: Month


class PayeeUpdate(RequestBody):
    """The account a case's benefit is paid into (开户银行 and account number)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bank_name: Annotated[str, Field(min_length=1, max_length=100, examples=["禄丰农村商业银行"]), SingleLine]
    account_number: str = Field(min_length=1, max_length=40, description="8 to 30 digits (spaces allowed)",
                                json_schema_extra={"pattern": "^[0-9 ]+$"})


#: The township and month of a roll in its URL: the same shapes as in the body, reported against the path.
TownshipPath = Annotated[str, PathParam(max_length=9, json_schema_extra={"pattern": TOWNSHIP_PATTERN},
                                        description="9-digit township code"), AfterValidator(township_shape)]
MonthPath = Annotated[str, PathParam(max_length=7, json_schema_extra={"pattern": MONTH_PATTERN},
                                     description="month, YYYY-MM"), AfterValidator(month_shape)]


class PayeePublic(BaseModel):
    """The account reference and the last four digits: the number itself is never sent back."""

    account_ref: UUID
    account_masked: str


def _covered(actor: Actor, township_code: str) -> None:
    if not actor.covers(township_code):
        raise NotPermitted("township lies outside the actor's jurisdiction")


@lru_cache(maxsize=4)
def _parameter_file(path: Path) -> ParameterFile:
    return ParameterFile(path)


def _book_path(settings: Settings) -> Path:
    return settings.parameters_file or DEFAULT_BOOK


async def _readable_roll(actor: Actor, pool: PoolDep, township_code: str, month: str) -> Roll:
    check_township(township_code, field=("path", "township_code"))
    check_month(month, field=("path", "month"))
    _covered(actor, township_code)
    roll = await get_roll(pool, township_code, month)
    if roll is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="payment roll not generated")
    return roll


@router.post("/v1/payment-rolls", response_model=Roll, status_code=status.HTTP_201_CREATED,
             responses={**_ERRORS, 200: {"model": Roll, "description": "generated before; topped up"}})
async def create_roll(
    body: RollCreate,
    actor: Annotated[Actor, Depends(require(Permission.PAYMENT_ROLL_GENERATE))],
    pool: PoolDep,
    clock: ClockDep,
    response: Response,
) -> Roll:
    """Generate a township's payment roll for a month: one line per household payable in that month
    (S1 Arts. 21, 25; SPEC §8.3). 201 when this call created the roll; 200 when it existed (cases that became
    payable since are added, no line is changed or duplicated)."""
    check_township(body.township_code)
    check_month(body.month)
    check_not_ahead(body.month, clock().astimezone(CHINA_TZ).date())
    _covered(actor, body.township_code)
    roll = await generate_roll(pool, body.township_code, body.month, actor.id)
    log.info("payment_roll.generated", township_code=roll.township_code, month=roll.month,
             created=roll.created, added=roll.added, lines=roll.totals.lines)
    response.status_code = status.HTTP_201_CREATED if roll.created else status.HTTP_200_OK
    response.headers["Location"] = f"/v1/payment-rolls/{roll.township_code}/{roll.month}"
    response.headers.update(_NO_STORE)
    return roll


# The suffixed routes come first: the plain one would otherwise take "2027-03.csv" for a month.
@router.get("/v1/payment-rolls/{township_code}/{month}.csv", response_class=Response,
            responses={**_ERRORS, **_NOT_FOUND, 200: {"content": {"text/csv": {}}}})
async def get_roll_csv(
    township_code: TownshipPath,
    month: MonthPath,
    actor: Annotated[Actor, Depends(require(Permission.PAYMENT_ROLL_READ))],
    pool: PoolDep,
    ledger: LedgerDep,
) -> Response:
    """The roll as CSV for Excel: UTF-8 with a BOM, Chinese headers, masked ID and account numbers."""
    roll = await _readable_roll(actor, pool, township_code, month)
    await log_access(pool, ledger, actor, None, f"payment_roll_export:{roll.township_code}:{roll.month}",
                     via="csv")
    filename = f"payment-roll-{roll.township_code}-{roll.month}.csv"
    return Response(content=render_roll_csv(roll), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', **_NO_STORE})


@router.get("/v1/payment-rolls/{township_code}/{month}.xlsx", response_class=Response,
            responses={**_ERRORS, **_NOT_FOUND, 200: {"content": {XLSX_MEDIA_TYPE: {}}}})
async def get_roll_xlsx(
    township_code: TownshipPath,
    month: MonthPath,
    actor: Annotated[Actor, Depends(require(Permission.PAYMENT_ROLL_READ))],
    pool: PoolDep,
    ledger: LedgerDep,
    settings: SettingsDep,
) -> Response:
    """The roll as an Excel workbook (台账, issue 19 item 7): Chinese headers and file name, village names,
    masked ID and account numbers as in the CSV, a totals row. Every export is in the audit ledger."""
    roll = await _readable_roll(actor, pool, township_code, month)
    heading = roll_heading(roll, _parameter_file(_book_path(settings)).book())
    await log_access(pool, ledger, actor, None, f"payment_roll_export:{roll.township_code}:{roll.month}",
                     via="xlsx")
    filename = f"{heading.county_name}{heading.township_name}{heading.month_label}发放名册.xlsx"
    fallback = f"payment-roll-{roll.township_code}-{roll.month}.xlsx"
    return Response(content=render_roll_xlsx(roll, heading), media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": attachment(filename, fallback), **_NO_STORE})


@router.get("/v1/payment-rolls/{township_code}/{month}/bank-file.xlsx", response_class=Response,
            responses={**_ERRORS, **_NOT_FOUND, 200: {"content": {XLSX_MEDIA_TYPE: {}}}})
async def get_bank_file(
    township_code: TownshipPath,
    month: MonthPath,
    actor: Annotated[Actor, Depends(require(Permission.PAYMENT_BANK_FILE))],
    pool: PoolDep,
    ledger: LedgerDep,
    settings: SettingsDep,
) -> Response:
    """The bank file of the roll for 惠民惠农财政补贴资金"一卡通" payment (issue 19 item 7; S1 Art. 25): per
    payment the payee's name, full ID number, bank, full account number and amount, with a totals row; the
    lines without a recorded account on a sheet of their own. Only for the role that sends the payment
    (``payment_roll.bank_file``); every export is in the audit ledger, and the file is never cached."""
    roll = await _readable_roll(actor, pool, township_code, month)
    lines = await bank_file(pool, township_code, month) or []
    heading = roll_heading(roll, _parameter_file(_book_path(settings)).book())
    await log_access(pool, ledger, actor, None, f"payment_bank_file:{township_code}:{month}", via="xlsx")
    log.info("payment_roll.bank_file", township_code=township_code, month=month, lines=len(lines))
    filename = f"{heading.township_name}{heading.month_label}惠民惠农一卡通发放明细.xlsx"
    fallback = f"bank-file-{township_code}-{month}.xlsx"
    return Response(content=render_bank_file_xlsx(lines, heading), media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": attachment(filename, fallback), **_NO_STORE})


@router.get("/v1/payment-rolls/{township_code}/{month}.html", response_class=HTMLResponse,
            responses=json_error_responses({**_ERRORS, **_NOT_FOUND}))
async def get_roll_html(
    township_code: TownshipPath,
    month: MonthPath,
    actor: Annotated[Actor, Depends(require(Permission.PAYMENT_ROLL_READ))],
    pool: PoolDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    """The roll as a printable page in Chinese (A4 landscape), with totals and signature lines."""
    roll = await _readable_roll(actor, pool, township_code, month)
    book = _parameter_file(_book_path(settings)).book()
    html = render_roll_html(roll, roll_heading(roll, book), clock().astimezone(CHINA_TZ).date())
    return HTMLResponse(html, headers=_NO_STORE)


@router.get("/v1/payment-rolls/{township_code}/{month}", response_model=Roll,
            responses={**_ERRORS, **_NOT_FOUND})
async def read_roll(
    township_code: TownshipPath,
    month: MonthPath,
    actor: Annotated[Actor, Depends(require(Permission.PAYMENT_ROLL_READ))],
    pool: PoolDep,
    response: Response,
) -> Roll:
    """A township's roll for a month, lines ordered by village and case, with totals (404 until generated)."""
    roll = await _readable_roll(actor, pool, township_code, month)
    response.headers.update(_NO_STORE)
    return roll


@router.put("/v1/cases/{case_id}/payee", response_model=PayeePublic,
            responses={**_ERRORS, 404: {"model": Problem, "description": "case not found"}})
async def put_payee(
    case_id: UUID,
    body: PayeeUpdate,
    actor: Annotated[Actor, Depends(require(Permission.PAYEE_WRITE))],
    pool: PoolDep,
    response: Response,
) -> PayeePublic:
    """Record the bank or credit-union account the case's benefit is paid into (S1 Art. 25). The answer is the
    account reference the rolls carry and the last four digits; the number is never sent back or logged."""
    digits = check_account_number(body.account_number)
    row = await recorded_case(pool, case_id)
    if not actor.covers(row["village_code"]):
        raise NotPermitted("case lies outside the actor's jurisdiction")
    try:
        ref = await set_payee(pool, case_id, body.bank_name, digits, actor.id)
    except UnknownCase:
        raise CaseNotFound from None
    log.info("payee.set", case_id=str(case_id), account_ref=str(ref))
    response.headers.update(_NO_STORE)
    return PayeePublic(account_ref=ref, account_masked=mask_account(digits[-4:]) or "")
