"""台账 to Excel (issue 19 item 7) over HTTP against real PostgreSQL: the case list (with its filters), the
payment roll, the 惠民惠农财政补贴资金"一卡通" bank file and the reports as .xlsx, opened with openpyxl.

Chinese headers and Chinese file names (Content-Disposition ``filename*``, RFC 5987); the bank file with full
account numbers for the county approver only (api/policy.py ``payment_roll.bank_file``); every export in the
audit ledger. Months of their own (2013-…), see tests/api/test_payment_roll_api.py.
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import unquote

import asyncpg
import httpx
from fastapi import FastAPI
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from adapters.settings import Settings
from domain.actors import Role
from tests.api.test_console import browser, logged_in
from tests.api.conftest import TokenFactory
from tests.builders import BICHENG, JINSHAN
from tests.integration.test_payment_roll_pg import BICHENG_VILLAGE_1, seed_case

ROLLS = "/v1/payment-rolls"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheets(response: httpx.Response) -> dict[str, list[list[Any]]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["cache-control"] == "no-store"
    book = load_workbook(io.BytesIO(response.content))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets
            if isinstance(ws, Worksheet)}


def _filename(response: httpx.Response) -> str:
    """The Chinese file name of the RFC 5987 ``filename*`` (and an ASCII ``filename`` beside it)."""
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=\"") and disposition.isascii()
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


async def _exports(pool: asyncpg.Pool, sub: str) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT kind, content FROM audit_ledger WHERE actor_id = $1 ORDER BY position", sub)
    return [json.loads(r["content"]) for r in rows if r["kind"] == "access"]


async def _roll_with_payee(http: httpx.AsyncClient, auth: TokenFactory, pool: asyncpg.Pool, month: str,
                           account: str) -> Any:
    case = await seed_case(pool, [("2013-01", "600.00", 2)])
    put = await http.put(f"/v1/cases/{case.case_id}/payee", json={"bank_name": "禄丰农村商业银行",
                         "account_number": account}, headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert put.status_code == 200, put.text
    made = await http.post(ROLLS, json={"township_code": JINSHAN, "month": month},
                           headers=auth(Role.COUNTY_APPROVER, "532302"))
    assert made.status_code in (200, 201), made.text
    return case


async def test_the_payment_roll_as_xlsx_has_chinese_headers_a_chinese_name_and_masked_numbers(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """Issue 19 item 7; SPEC §9, S4 Art. 61: the roll's 台账 in Excel masks ID and account numbers as the CSV."""
    account = "6217002870099990001"
    case = await _roll_with_payee(http, auth, pg_pool, "2013-02", account)
    reader = auth(Role.TOWNSHIP_APPROVER, JINSHAN, sub="xlsx-roll-reader")

    got = await http.get(f"{ROLLS}/{JINSHAN}/2013-02.xlsx", headers=reader)

    sheets = _sheets(got)
    assert _filename(got) == "禄丰市金山镇2013年2月发放名册.xlsx"
    rows = sheets["发放名册"]
    assert "最低生活保障金发放名册" in rows[0][0]
    header = rows[1]
    for title in ("序号", "村(社区)", "户主姓名", "身份证号(脱敏)", "保障人数", "月保障金额(元)", "银行账号(后四位)"):
        assert title in header
    row = next(r for r in rows if str(case.case_id) in r)
    assert row[header.index("户主姓名")] == "测试甲"
    assert row[header.index("救助项目")] == "最低生活保障"
    assert row[header.index("银行账号(后四位)")] == "****0001"
    assert float(row[header.index("月保障金额(元)")]) == 600.0
    assert rows[-1][0] == "合计"
    text = got.content.decode("latin-1")
    assert account not in str(sheets) and all(m.resident_id not in str(sheets) for m in case.members)
    assert account not in text
    assert [e["action"] for e in await _exports(pg_pool, "xlsx-roll-reader")] == \
        [f"payment_roll_export:{JINSHAN}:2013-02"]


async def test_the_bank_file_carries_full_account_numbers_for_the_county_approver_only(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """Issue 19 item 7; S1 Art. 25: the 一卡通 bank file pays the roll: name, full ID and account number,
    amount, a totals row, unpaid lines apart; only ``payment_roll.bank_file`` (county approver); ledgered."""
    account = "6217002870099990002"
    case = await _roll_with_payee(http, auth, pg_pool, "2013-03", account)
    no_account = await seed_case(pg_pool, [("2013-01", "300.00", 1)])
    await http.post(ROLLS, json={"township_code": JINSHAN, "month": "2013-03"},
                    headers=auth(Role.COUNTY_APPROVER, "532302"))
    url = f"{ROLLS}/{JINSHAN}/2013-03/bank-file.xlsx"

    got = await http.get(url, headers=auth(Role.COUNTY_APPROVER, "532302", sub="xlsx-bank-sender"))
    refused = {role: await http.get(url, headers=auth(role, "532302" if role.value.startswith("county")
                                                      or role in (Role.SUPERVISOR, Role.AUDITOR) else JINSHAN))
               for role in (Role.TOWNSHIP_APPROVER, Role.COUNTY_REVIEWER, Role.SUPERVISOR, Role.AUDITOR)}
    other = await http.get(url, headers=auth(Role.COUNTY_APPROVER, BICHENG))  # another jurisdiction
    absent = await http.get(f"{ROLLS}/{JINSHAN}/2013-04/bank-file.xlsx",
                            headers=auth(Role.COUNTY_APPROVER, "532302"))

    sheets = _sheets(got)
    assert "一卡通" in _filename(got) and _filename(got).endswith(".xlsx")
    rows = sheets["一卡通发放明细"]
    assert "惠民惠农财政补贴资金" in rows[0][0]
    header = rows[1]
    assert header[:6] == ["序号", "姓名", "身份证号码", "开户银行", "银行账号", "发放金额(元)"]
    row = next(r for r in rows if str(case.case_id) in r)
    assert row[1:5] == ["测试甲", case.members[0].resident_id, "禄丰农村商业银行", account]
    assert isinstance(row[4], str)  # a 19-digit account number as text: Excel keeps every digit
    assert rows[-1][0] == "合计"
    assert not any(str(no_account.case_id) in r for r in rows)
    assert any(str(no_account.case_id) in r for r in sheets["未登记账户"])
    assert {role: r.status_code for role, r in refused.items()} == dict.fromkeys(refused, 403)
    assert all("payment_roll.bank_file" in r.json()["detail"] for r in refused.values())
    assert all(account not in r.text for r in refused.values())
    assert other.status_code == 403 and "jurisdiction" in other.json()["detail"] and account not in other.text
    assert absent.status_code == 404
    assert [e["action"] for e in await _exports(pg_pool, "xlsx-bank-sender")] == \
        [f"payment_bank_file:{JINSHAN}:2013-03"]


async def test_the_case_list_exports_with_its_filters_in_the_callers_jurisdiction(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """Issue 19 item 7: the case 台账 in Excel, the list's filters applied, never outside the jurisdiction."""
    jinshan = await seed_case(pg_pool, [("2013-01", "480.00", 3)])
    bicheng = await seed_case(pg_pool, [("2013-01", "480.00", 3)], village_code=BICHENG_VILLAGE_1)
    headers = auth(Role.TOWNSHIP_CASEWORKER, JINSHAN, sub="xlsx-list-reader")

    everything = await http.get("/v1/cases.xlsx", headers=headers)
    filtered = await http.get("/v1/cases.xlsx", params={"stage": "in_payment", "program": "dibao"},
                              headers=headers)
    none = await http.get("/v1/cases.xlsx", params={"stage": "rejected", "village_code": jinshan.village_code},
                          headers=headers)
    bad = await http.get("/v1/cases.xlsx", params={"township_code": "12"}, headers=headers)

    rows = _sheets(everything)["案件台账"]
    assert _filename(everything).startswith("金山镇救助案件台账")
    header = rows[1]
    assert header[:7] == ["序号", "案件编号", "救助项目", "乡镇(街道)", "村(社区)", "村(社区)代码", "办理阶段"]
    mine = next(r for r in rows if r[1] == str(jinshan.case_id))
    assert mine[header.index("乡镇(街道)")] == "金山镇"
    assert mine[header.index("办理阶段")] not in ("", "in_payment")  # the stage's Chinese name
    assert not any(r[1] == str(bicheng.case_id) for r in rows)
    assert any(r[1] == str(jinshan.case_id) for r in _sheets(filtered)["案件台账"])
    # the filter excludes the seeded case (other tests of the session may leave refused cases in the village)
    assert not any(r[1] == str(jinshan.case_id) for r in _sheets(none)["案件台账"][2:])
    assert bad.status_code == 422 and "township_code" in bad.text
    assert [e["action"] for e in await _exports(pg_pool, "xlsx-list-reader")] == ["case_list_export"] * 3


async def test_the_reports_export_as_one_workbook_for_supervision_only(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """Issue 19 item 7; S1 Arts. 35-37: the reports as sheets in Chinese; the front line may not export them."""
    got = await http.get("/v1/reports.xlsx", headers=auth(Role.SUPERVISOR, "532302", sub="xlsx-reports"))
    front = await http.get("/v1/reports.xlsx", headers=auth(Role.FRONT_OFFICE, JINSHAN))

    sheets = _sheets(got)
    assert _filename(got).startswith("禄丰市救助工作统计报表")
    assert list(sheets) == ["各阶段案件数", "乡镇在办与逾期", "逾期环节", "月度台账"]
    assert sheets["各阶段案件数"][1] == ["办理阶段", "阶段代码", "案件数"]
    assert sheets["月度台账"][0][:2] == ["月份", "乡镇(街道)"]
    assert front.status_code == 403 and "report.read" in front.json()["detail"]
    assert [e["action"] for e in await _exports(pg_pool, "xlsx-reports")] == ["reports_export"]


async def test_the_console_list_page_downloads_its_register_with_the_filters_of_the_page(
    app: FastAPI, auth: TokenFactory, api_settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    """Issue 19 item 7: 导出 Excel on the console's case list, with the page's filters; a bad filter → the page."""
    case = await seed_case(pg_pool, [("2013-01", "480.00", 3)])
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.TOWNSHIP_APPROVER, JINSHAN)
        page = await client.get("/console/cases", params={"stage": "in_payment"})
        assert 'href="/console/cases.xlsx?stage=in_payment"' in page.text
        got = await client.get("/console/cases.xlsx", params={"stage": "in_payment"})
        none = await client.get("/console/cases.xlsx", params={"stage": "rejected"})
        bad = await client.get("/console/cases.xlsx", params={"township_code": "12"})
    assert any(r[1] == str(case.case_id) for r in _sheets(got)["案件台账"])
    assert not any(r[1] == str(case.case_id) for r in _sheets(none)["案件台账"])
    assert bad.status_code == 422 and "筛选条件无效" in bad.text
