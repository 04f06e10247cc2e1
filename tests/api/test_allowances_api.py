"""残疾人两项补贴 and 高龄津贴 over real HTTP (issue 17; S12: 云政发〔2016〕5号, 云民发〔2026〕2号; SPEC §6.2, §6.3):
the window's application, the township's review against the certificate, the county's confirmation and the
trail; a wrong command for the programme is a 4xx, never a 500."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
from fastapi import FastAPI

from adapters.settings import Settings
from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.api.test_console import browser, logged_in
from tests.api.test_in_payment_api import CHECKING_CENTRE
from tests.api.test_lifecycle_api import CASEWORKER, COUNTY, COUNTY_APPROVER, COUNTY_REVIEWER, WINDOW, Api
from tests.builders import JINSHAN, JINSHAN_VILLAGE, unique_resident_id


def disability_body(grade: int = 1) -> dict[str, object]:
    return {"program": "disability_subsidies", "village_code": JINSHAN_VILLAGE, "area_type": "rural",
            "members": [{"name": "测试残", "resident_id": unique_resident_id(1970), "relation": "applicant",
                         "disability_grade": grade}]}


async def test_disability_subsidies_application_review_and_confirmation_over_http(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """Grade 1 needing long-term care, not in dibao: the care subsidy only (110 yuan, 云民发〔2026〕2号 floor)
    from next month; every step on the trail with its basis."""
    api = Api(http, auth)
    created = await api.create(disability_body())
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    refused = await api.command(case_id, COUNTY_APPROVER, "confirm_allowance", note="确认")
    assert refused.status_code in {403, 409}, refused.text
    bad = await api.command(case_id, CASEWORKER, "start_investigation", investigators=["a", "b"])
    assert bad.status_code in {409, 422}, bad.text
    await api.ok(case_id, CASEWORKER, "review_allowance", disability_kind="physical", grade=1,
                 certificate_number="ABCD12345678", long_term_care=True, recommend=True, note="核对残疾人证")
    case = await api.ok(case_id, COUNTY_APPROVER, "confirm_allowance", note="县级确认")
    assert case["stage"] == "in_payment" and case["monthly_amount"] == "110.00"
    trail = (await api.trail(case_id, COUNTY_REVIEWER)).json()
    types = [e["type"] for e in trail["entries"]] if isinstance(trail, dict) else [e["type"] for e in trail]
    assert {"application_submitted", "allowance_reviewed", "allowance_granted"} <= set(types)


async def test_an_allowance_case_is_about_one_person(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    api = Api(http, auth)
    body = disability_body()
    body["members"] = [*body["members"],  # type: ignore[misc]
                       {"name": "测试乙", "resident_id": unique_resident_id(1975), "relation": "spouse"}]
    answer = await api.create(body)
    assert answer.status_code == 422 and "members" in answer.text


async def test_a_death_alert_by_id_number_stops_the_persons_allowance(http: httpx.AsyncClient,
                                                                      auth: TokenFactory) -> None:
    """SPEC §6.2, §6.3: the checking centre's death match reaches the person's allowance case (no dibao case):
    stopped from the month after the death; the answer never echoes the ID number."""
    api = Api(http, auth)
    body = disability_body()
    person = body["members"][0]["resident_id"]  # type: ignore[index]
    case_id = (await api.create(body)).json()["case_id"]
    await api.ok(case_id, CASEWORKER, "review_allowance", disability_kind="physical", grade=1,
                 certificate_number="ABCD12345678", long_term_care=True, recommend=True, note="核对残疾人证")
    await api.ok(case_id, COUNTY_APPROVER, "confirm_allowance", note="县级确认")
    batch = {"source": "民政殡葬数据比对", "alerts": [{"resident_id": person, "alert": "death",
                                                       "occurred_on": "2026-11-20"}]}
    posted = await http.post("/v1/data-alerts", json=batch, headers=api.headers(CHECKING_CENTRE))
    assert posted.status_code == 200, posted.text
    assert [(o["outcome"], o["case_id"]) for o in posted.json()] == [("raised", case_id)]
    assert person not in posted.text
    case = await api.get(case_id)
    assert case["stage"] == "exited" and case["stop_effective_month"] == "2026-12"


async def test_the_console_shows_an_allowance_case_and_its_forms(
    app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings
) -> None:
    """The workbench knows no programme: a 两项补贴 case's page renders in Chinese with its own steps."""
    api = Api(http, auth)
    case_id = (await api.create(disability_body())).json()["case_id"]
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.TOWNSHIP_CASEWORKER, JINSHAN)
        page = await client.get(f"/console/cases/{case_id}")
        assert page.status_code == 200, page.text
        for text in ("残疾人两项补贴", "已提交申请", "乡镇审核（残疾人证核对）"):
            assert text in page.text, text
    await api.ok(case_id, CASEWORKER, "review_allowance", disability_kind="physical", grade=1,
                 certificate_number="ABCD12345678", long_term_care=True, recommend=True, note="核对残疾人证")
    await api.ok(case_id, COUNTY_APPROVER, "confirm_allowance", note="县级确认")
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.SUPERVISOR, COUNTY)
        page = await client.get(f"/console/cases/{case_id}")
        assert page.status_code == 200, page.text
        assert "确认发放" in page.text


async def test_a_cross_province_forward_shows_its_outcome_in_the_list_console_and_export(
    app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    """跨省通办 (SPEC §6.2; issue 17): an application forwarded to the hukou place has the read model's outcome
    ``forwarded`` (migration 0019), in ``GET /v1/cases`` and, labelled 已转办（跨省通办）, in the console's list
    and its workbook; the outcome stays once the hukou place's answer is on record."""
    api = Api(http, auth)
    case_id = (await api.create(disability_body())).json()["case_id"]
    await api.ok(case_id, WINDOW, "forward_application", destination_code="510104", note="户籍在成都市")

    async def outcome() -> str | None:
        row = await pg_pool.fetchrow("SELECT outcome, stage FROM cases WHERE case_id = $1", uuid.UUID(case_id))
        return row["outcome"] if row and row["stage"] == "forwarded" else None

    async with asyncio.timeout(20):
        while await outcome() != "forwarded":
            await asyncio.sleep(0.05)
    headers = api.headers(COUNTY_REVIEWER)
    listed = await http.get("/v1/cases", params={"program": "disability_subsidies", "stage": "forwarded",
                                                 "limit": 200}, headers=headers)
    assert listed.status_code == 200, listed.text
    mine = [r for r in listed.json()["rows"] if r["case_id"] == case_id]
    assert [(r["stage"], r["outcome"]) for r in mine] == [("forwarded", "forwarded")]
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.SUPERVISOR, COUNTY)
        page = await client.get("/console/cases", params={"program": "disability_subsidies", "stage": "forwarded"})
        assert page.status_code == 200, page.text
        assert "已转办（跨省通办）" in page.text and case_id[:8] in page.text
    await api.ok(case_id, WINDOW, "record_forwarding_outcome", status="accepted", note="户籍地已受理")
    case = await api.get(case_id)
    assert case["stage"] == "forwarded"


async def test_allowance_notices_over_the_api_and_linked_from_the_console(
    app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings
) -> None:
    """The 两项补贴 confirmation notice (S12: 云政发〔2016〕5号) is served at ``/v1/cases/{id}/notices/approval``
    (409 before the confirmation) and linked from the case page, as dibao's and 特困's are."""
    api = Api(http, auth)
    case_id = (await api.create(disability_body())).json()["case_id"]
    early = await http.get(f"/v1/cases/{case_id}/notices/approval", headers=api.headers(CASEWORKER))
    assert early.status_code == 409, early.text
    await api.ok(case_id, CASEWORKER, "review_allowance", disability_kind="physical", grade=1,
                 certificate_number="ABCD12345678", long_term_care=True, recommend=True, note="核对残疾人证")
    await api.ok(case_id, COUNTY_APPROVER, "confirm_allowance", note="县级确认")
    page = await http.get(f"/v1/cases/{case_id}/notices/approval", headers=api.headers(CASEWORKER))
    assert page.status_code == 200, page.text
    for text in ("残疾人两项补贴确认通知书", "重度残疾人护理补贴（一级）：110.00元/月", "云政发〔2016〕5号"):
        assert text in page.text.replace("\n", ""), text
    assert "ABCD12345678" not in page.text
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.TOWNSHIP_CASEWORKER, JINSHAN)
        case_page = await client.get(f"/console/cases/{case_id}")
        assert f"/console/cases/{case_id}/notices/approval" in case_page.text
        assert f"/console/cases/{case_id}/notices/stop" not in case_page.text
        printed = await client.get(f"/console/cases/{case_id}/notices/approval")
        assert printed.status_code == 200 and "残疾人两项补贴确认通知书" in printed.text
