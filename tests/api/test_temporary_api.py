"""临时救助 through the HTTP API (real Temporal dev server, worker, PostgreSQL): 先行救助 from the township's
reserve fund (S8 §二(二), §三(三); S5 item 15), refused with 409 when the fund cannot pay it and the county told;
the fund's movements, statement (CSV and printable) and the county's replenishment."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.api.test_lifecycle_api import Api, assert_refused, household, month_after_today_in_china
from tests.builders import application_body

HEPING = "532302110"  # 和平镇: no other test uses its reserve fund
VILLAGE = "532302110001"
COUNTY = "532302"
WINDOW = (Role.FRONT_OFFICE, HEPING, "window-10")
APPROVER = (Role.TOWNSHIP_APPROVER, HEPING, "tsa-10")
CASEWORKER = (Role.TOWNSHIP_CASEWORKER, HEPING, "inv-10")
COUNTY_APPROVER = (Role.COUNTY_APPROVER, COUNTY, "ca-01")


def _urgent_body() -> dict[str, Any]:
    body = application_body(VILLAGE, members=household("测试丁", "测试戊"))
    return {**body, "program": "temporary",
            "temporary": {"kind": "emergency", "cause": "fire", "severity": "major", "situation": "夜间房屋失火",
                          "urgent": "village"}}


async def test_s8_2_2_urgent_grant_paid_from_the_reserve_fund_refused_with_409_when_it_cannot_pay(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    api = Api(http, auth)
    created = await api.create(_urgent_body(), who=WINDOW)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    assert created.json()["stage"] == "urgent_reported"

    # the fund holds nothing yet: 409, nothing recorded on the case, the county told
    refused = await api.command(case_id, APPROVER, "grant_urgent_assistance", amount="800.00", reason="火灾先行救助")
    assert_refused(refused, 409, "reserve_fund_insufficient")
    assert (await api.get(case_id, WINDOW))["stage"] == "urgent_reported"
    shortfalls = (await http.get("/v1/reserve-funds/shortfalls", headers=api.headers(COUNTY_APPROVER))).json()
    assert [s["case_id"] for s in shortfalls if s["township_code"] == HEPING] == [case_id]

    # above the urgent cap: 422 naming the cap (S5 item 15)
    over = await api.command(case_id, APPROVER, "grant_urgent_assistance", amount="1000.01", reason="超额")
    assert over.status_code == 422 and "1000" in over.text

    # the county replenishes (only the county approver may; idempotent per key)
    not_county = await http.post(f"/v1/reserve-funds/{HEPING}/replenishments", json={"amount": "900", "reason": "x"},
                                 headers=api.headers(APPROVER))
    assert not_county.status_code == 403
    for _ in range(2):
        filled = await http.post(f"/v1/reserve-funds/{HEPING}/replenishments",
                                 json={"amount": "1000.00", "reason": "县级拨付备用金"},
                                 headers=api.headers(COUNTY_APPROVER, key="fill-heping-1"))
        assert filled.status_code == 201, filled.text
    case = await api.ok(case_id, APPROVER, "grant_urgent_assistance", amount="800.00", reason="火灾先行救助")
    assert case["stage"] == "urgent_granted"

    fund = (await http.get(f"/v1/reserve-funds/{HEPING}", headers=api.headers(CASEWORKER))).json()
    assert fund["balance"] == "200.00"
    assert [(m["kind"], m["amount"]) for m in fund["movements"]] == [("replenishment", "1000.00"),
                                                                      ("urgent_grant", "-800.00")]
    assert fund["open_shortfalls"] == []
    month = month_after_today_in_china()
    this_month = fund["movements"][0]["at"][:7]
    csv = await http.get(f"/v1/reserve-funds/{HEPING}/statements/{this_month}.csv", headers=api.headers(CASEWORKER))
    assert csv.status_code == 200 and "期末余额" in csv.text and "先行救助支出" in csv.text
    # issue 19 item 6: the basis as people cite it in the file; the JSON keeps the tags for machines
    assert "《关于进一步加强和改进临时救助工作的意见》第三部分第（三）项" in csv.text and "S8 §" not in csv.text
    assert "S8 §三(三)" in fund["movements"][0]["legal_basis"]
    page = await http.get(f"/v1/reserve-funds/{HEPING}/statements/{this_month}.html", headers=api.headers(APPROVER))
    assert page.status_code == 200 and "临时救助备用金月度对账单" in page.text
    empty = await http.get(f"/v1/reserve-funds/{HEPING}/statements/{month}.csv", headers=api.headers(CASEWORKER))
    assert empty.status_code == 200
    outside = await http.get(f"/v1/reserve-funds/{HEPING}", headers=auth(Role.TOWNSHIP_APPROVER, "532302101"))
    assert outside.status_code == 403

    county_reports = api.headers((Role.COUNTY_REVIEWER, COUNTY, "cr-01"))
    awaiting = (await http.get("/v1/reports/urgent-awaiting-regularisation", headers=county_reports)).json()
    assert [a["case_id"] for a in awaiting if a["township_code"] == HEPING] == [case_id]
    assert awaiting[0]["due"] is not None
    granted = (await http.get("/v1/reports/temporary-granted", headers=county_reports)).json()
    assert [(g["urgent_grants"], g["urgent_amount"]) for g in granted if g["township_code"] == HEPING] == [
        (1, "800.00")]

    trail = (await api.trail(case_id)).json()
    granted = next(t for t in trail if t["type"] == "urgent_assistance_granted")
    assert "S8 §二(二)" in granted["legal_basis"] and "S8 §三(三)" in granted["legal_basis"]


async def test_a_temporary_application_states_its_need_and_a_dibao_one_does_not(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    api = Api(http, auth)
    body = _urgent_body()
    del body["temporary"]
    missing = await api.create(body, who=WINDOW)
    assert missing.status_code == 422 and "temporary" in missing.text
    dibao = {**application_body(VILLAGE), "temporary": _urgent_body()["temporary"]}
    assert (await api.create(dibao, who=WINDOW)).status_code == 422


async def test_s5_item_23_one_intake_screened_for_dibao_and_temporary_both_opened_on_one_page(
    http: httpx.AsyncClient, auth: TokenFactory, app: Any, api_settings: Any
) -> None:
    """一门受理 (S5 item 23; S4 Art. 60): a poor household whose house burnt down tells its situation once; the
    screening says it may qualify for dibao and for 临时救助 (each with its criteria); the window opens both from
    the intake; the intake's page shows both cases; a second case of one programme from it is refused (409)."""
    api = Api(http, auth)
    body = application_body(VILLAGE, members=household("测试己", "测试庚"))
    body["declaration"] = {"income": [{"kind": "business_net", "amount": "2400.00"}]}  # 100 yuan/head/month
    body.pop("program", None)
    intake_body = {**body, "temporary": {"kind": "emergency", "cause": "fire", "severity": "serious",
                                         "situation": "房屋失火"}}
    created = await http.post("/v1/intakes", json=intake_body, headers=api.headers(WINDOW))
    assert created.status_code == 201, created.text
    intake = created.json()
    outcomes = {s["program"]: s["outcome"] for s in intake["screening"]}
    assert outcomes["dibao"] == "may_qualify" and outcomes["temporary"] == "may_qualify", outcomes
    assert outcomes["old_age_allowance"] == outcomes["tekun"] == outcomes["disability_subsidies"] == "does_not_qualify"
    dibao_criteria = next(s for s in intake["screening"] if s["program"] == "dibao")["criteria"]
    assert any("S1 Art. 13" in c["legal_basis"] for c in dibao_criteria)
    drafts = {d["program"]: d for d in intake["applications"]}
    assert set(drafts) == {"dibao", "temporary"}

    opened = {}
    for program in ("dibao", "temporary"):
        draft = {k: v for k, v in drafts[program].items() if v is not None}
        response = await api.create(draft, who=WINDOW)
        assert response.status_code == 201, response.text
        opened[program] = response.json()["case_id"]
    again = await api.create({k: v for k, v in drafts["dibao"].items() if v is not None}, who=WINDOW)
    assert again.status_code == 409

    for case_id in opened.values():  # the screening is on each case's trail
        trail = (await http.get(f"/v1/cases/{case_id}/trail", headers=api.headers(WINDOW))).json()
        linked = next(t for t in trail if t["type"] == "intake_linked")
        assert linked["legal_basis"] == ["S5 item 23", "S4 Art. 60"]
    page = (await http.get(f"/v1/intakes/{intake['intake_id']}", headers=api.headers(WINDOW))).json()
    assert {c["program"]: c["case_id"] for c in page["cases"]} == opened
    assert {c["stage"] for c in page["cases"]} == {"submitted"}
    other = await http.get(f"/v1/intakes/{intake['intake_id']}", headers=auth(Role.FRONT_OFFICE, "532302101"))
    assert other.status_code == 404
    from tests.api.test_console import browser, logged_in

    async with browser(app) as client:  # the window's one page in the console
        await logged_in(client, api_settings, Role.FRONT_OFFICE, HEPING)
        console = await client.get(f"/console/intakes/{intake['intake_id']}")
    assert console.status_code == 200 and "一门受理评估" in console.text and "可能符合" in console.text
    assert all(case_id in console.text for case_id in opened.values())


async def test_s8_2_4_staged_instalments_on_exactly_their_months_rolls_and_never_after_a_cancellation(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """一次审批、分阶段救助 (S8 §二(四)): an emergency reported by the township's caseworker (hotline) is taken on
    the normal path; the township approves within its cap in two instalments; this month's roll carries the
    first, next month's the second; the second cancelled after next month's roll was drawn: its line is withdrawn
    and never paid."""
    from datetime import datetime

    from domain.kernel.clock import CHINA_TZ
    from tests.workflows.lifecycle import TEAM

    api = Api(http, auth)
    body = application_body(VILLAGE, members=household("测试辛", "测试壬"))
    body.pop("program", None)
    body["temporary"] = {"kind": "expenditure", "cause": "medical_expenditure", "severity": "ordinary",
                         "situation": "家人住院", "essential_expenditure": "20000.00", "urgent": None}
    not_urgent = await http.post("/v1/emergencies", json=body, headers=api.headers(CASEWORKER))
    assert not_urgent.status_code == 422
    application = {**body, "program": "temporary"}
    created = await api.create(application, who=WINDOW)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    await api.ok(case_id, WINDOW, "accept_application")
    await api.ok(case_id, CASEWORKER, "start_investigation", investigators=TEAM)
    await api.ok(case_id, CASEWORKER, "record_home_visit", investigators=TEAM, household_signed=True,
                 findings="核实住院费用")
    await api.ok(case_id, CASEWORKER, "request_info_check")
    await api.ok(case_id, APPROVER, "decide_village_review", disputed=False, reason="无争议")
    await api.ok(case_id, APPROVER, "issue_prelim_opinion", eligible=True)
    await api.ok(case_id, CASEWORKER, "start_publicity", location="村务公开栏")
    async with asyncio.timeout(20):  # the test book's 公示 closes in seconds
        while (await api.get(case_id, WINDOW))["stage"] != "submitted_for_approval":
            await asyncio.sleep(0.1)
    await api.ok(case_id, APPROVER, "start_county_review")
    today = datetime.now(CHINA_TZ).date()
    this_month, next_month = today.strftime("%Y-%m"), month_after_today_in_china()
    approved = await api.command(case_id, APPROVER, "approve_temporary_assistance", reason="符合支出型临时救助",
                                 instalments=[{"on": str(today), "amount": "450.00"},
                                              {"on": next_month + "-10", "amount": "300.00"}])
    assert approved.status_code == 200, approved.text
    case = approved.json()["case"]
    assert case["stage"] == "assisting" and case["temporary"]["amount"] == "750.00"
    assert case["temporary"]["approval_level"] == "township"

    def lines(roll: dict[str, Any]) -> list[str]:
        return [line["amount"] for line in roll["lines"] if line["case_id"] == case_id]

    roll_maker = api.headers(APPROVER)
    now_roll = await http.post("/v1/payment-rolls", json={"township_code": HEPING, "month": this_month},
                               headers=roll_maker)
    assert now_roll.status_code in (200, 201), now_roll.text
    assert lines(now_roll.json()) == ["450.00"]
    later_roll = await http.post("/v1/payment-rolls", json={"township_code": HEPING, "month": next_month},
                                 headers=roll_maker)
    assert lines(later_roll.json()) == ["300.00"]
    cancelled = await api.command(case_id, APPROVER, "cancel_instalments", from_index=1, reason="已获医保报销")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["events"] == ["instalments_cancelled", "payment_lines_withdrawn"]
    again = await http.post("/v1/payment-rolls", json={"township_code": HEPING, "month": next_month},
                            headers=roll_maker)
    assert lines(again.json()) == []
    notice = await api.notice(case_id, "approval", who=WINDOW)
    assert notice.status_code == 200 and "临时救助决定书" in notice.text and "已取消" in notice.text


async def test_the_demo_has_a_fire_an_illness_and_school_fees_and_a_rerun_changes_nothing(
    http: httpx.AsyncClient, api_settings: Any
) -> None:
    from datetime import UTC, datetime

    from adapters.auth import issue_token
    from services.demo_temporary import run_temporary_demo

    def token(role: Role, jurisdiction: str, sub: str) -> str:
        return issue_token(api_settings, sub=sub, role=role, jurisdiction=jurisdiction, now=datetime.now(UTC))

    first = await run_temporary_demo(http, token, seed=777)
    again = await run_temporary_demo(http, token, seed=777)
    assert first == again and set(first) == {"fire", "illness", "school_fees"}
    county = {"Authorization": f"Bearer {token(Role.COUNTY_REVIEWER, COUNTY, 'cr-01')}"}
    stages = {label: (await http.get(f"/v1/cases/{cid}", headers=county)).json()["stage"]
              for label, cid in first.items()}
    assert stages == {"fire": "regularised", "illness": "urgent_granted", "school_fees": "publicity"}


async def test_the_console_shows_a_temporary_case_with_its_stage_and_zh_labels(
    http: httpx.AsyncClient, auth: TokenFactory, app: Any, api_settings: Any
) -> None:
    from tests.api.test_console import browser, logged_in

    api = Api(http, auth)
    body = _urgent_body()
    body.pop("program")
    created = await http.post("/v1/emergencies", json=body, headers=api.headers(CASEWORKER))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.TOWNSHIP_APPROVER, HEPING)
        page = await client.get(f"/console/cases/{case_id}")
    assert page.status_code == 200, page.text
    assert "急难情况已报告" in page.text and "急难情况报告" in page.text
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.TOWNSHIP_APPROVER, HEPING)
        fund = await client.get(f"/console/reserve-funds/{HEPING}")
        assert fund.status_code == 200 and "临时救助备用金" in fund.text and "当前余额" in fund.text
        other = await client.get("/console/reserve-funds/532302101")
        assert other.status_code == 403
