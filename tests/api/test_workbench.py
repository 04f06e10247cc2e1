"""The caseworker's workbench in the console (issue 19 items 1, 3): 我的待办, the search by name or resident ID
number (masked by role, every search ledgered), the household page listing all its cases, and the village
committee's own village."""

from __future__ import annotations

import asyncio
import json

import httpx
from fastapi import FastAPI

from api.console.routes import COOKIE
from domain.actors import Role
from domain.identity import mask_resident_id
from tests.api.conftest import TokenFactory
from tests.api.test_console import browser, logged_in, token
from tests.builders import BICHENG, BICHENG_VILLAGE, JINSHAN, JINSHAN_VILLAGE, application_body


async def _create(http: httpx.AsyncClient, auth: TokenFactory, village: str = JINSHAN_VILLAGE,
                  township: str = JINSHAN) -> tuple[str, dict]:
    body = application_body(village_code=village)
    created = await http.post("/v1/cases", json=body, headers=auth(Role.FRONT_OFFICE, township))
    assert created.status_code == 201, created.text
    return str(created.json()["case_id"]), body


async def _until(client: httpx.AsyncClient, path: str, text: str) -> httpx.Response:
    async with asyncio.timeout(20):
        while True:
            page = await client.get(path)
            if text in page.text:
                return page
            await asyncio.sleep(0.1)


async def test_my_work_lists_the_cases_waiting_on_my_role_in_my_jurisdiction_with_counts(
        app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    mine, body = await _create(http, auth)
    elsewhere, _ = await _create(http, auth, BICHENG_VILLAGE, BICHENG)
    async with browser(app) as client:
        await logged_in(client, app.state.settings, Role.FRONT_OFFICE, JINSHAN)
        landing = await client.get("/console")
        assert landing.status_code == 303 and landing.headers["location"] == "/console/work"
        page = await _until(client, "/console/work", mine)
        assert page.headers["cache-control"] == "no-store"
        assert "我的待办" in page.text and "材料完整性审查" in page.text and elsewhere not in page.text
        assert body["members"][0]["name"] in page.text  # the applicant, as staff know the household
        assert "金山镇董户村社区" in page.text
        by_step = await client.get("/console/work", params={"step": "completeness_check"})
        assert mine in by_step.text
        assert mine not in (await client.get("/console/work", params={"step": "county_decision"})).text
    async with browser(app) as client:  # a county reviewer: nothing of this waits on the county yet
        await logged_in(client, app.state.settings, Role.COUNTY_REVIEWER, "532302")
        page = await client.get("/console/work")
        assert page.status_code == 200 and mine not in page.text


async def test_search_by_id_number_shows_it_in_full_to_the_window_masked_to_a_supervisor_and_is_ledgered(
        app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    case_id, body = await _create(http, auth)
    applicant = body["members"][0]
    rid = applicant["resident_id"]
    async with browser(app) as client:
        await logged_in(client, app.state.settings, Role.FRONT_OFFICE, JINSHAN)
        found = await client.post("/console/search", data={"q": rid})
        assert found.status_code == 200 and found.headers["cache-control"] == "no-store"
        assert case_id in found.text and rid in found.text and applicant["name"] in found.text
        by_name = await client.post("/console/search", data={"q": applicant["name"]})
        assert case_id in by_name.text
        bad = await client.post("/console/search", data={"q": rid[:-1] + ("0" if rid[-1] != "0" else "1")})
        assert bad.status_code == 422 and "身份证号无效" in bad.text
        household = await client.get(f"/console/cases/{case_id}/household")
        assert household.status_code == 200 and rid in household.text and case_id in household.text
    async with browser(app) as client:
        await logged_in(client, app.state.settings, Role.SUPERVISOR, "532302")
        found = await client.post("/console/search", data={"q": rid})
        assert case_id in found.text and rid not in found.text and mask_resident_id(rid) in found.text
        household = await client.get(f"/console/cases/{case_id}/household")
        assert rid not in household.text and mask_resident_id(rid) in household.text
    async with browser(app) as client:  # another township's window finds nothing of 金山镇
        await logged_in(client, app.state.settings, Role.FRONT_OFFICE, BICHENG)
        found = await client.post("/console/search", data={"q": rid})
        assert case_id not in found.text and "没有找到" in found.text
    entries = [json.loads(r["content"]) for r in await app.state.pool.fetch(
        "SELECT content FROM audit_ledger WHERE kind = 'access' AND content LIKE '%\"search\"%' ORDER BY position")]
    searches = [e for e in entries if e.get("action") == "search" and case_id in e.get("case_ids", [])]
    assert {e["by"] for e in searches} == {"resident_id", "name"}
    assert {e["resident_ids"] for e in searches} == {"full", "masked"}
    raw = await app.state.pool.fetch("SELECT content FROM audit_ledger WHERE kind = 'access'")
    assert not any(rid in r["content"] or applicant["name"] in r["content"] for r in raw)


async def test_the_village_committee_sees_its_own_villages_cases_and_cannot_search(
        app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    mine, _ = await _create(http, auth)
    other, _ = await _create(http, auth, "532302101005", JINSHAN)
    async with browser(app) as client:
        await logged_in(client, app.state.settings, Role.VILLAGE_COMMITTEE, JINSHAN_VILLAGE)
        listing = await _until(client, "/console/cases", mine)
        assert listing.status_code == 200 and other not in listing.text
        case = await client.get(f"/console/cases/{mine}")
        assert case.status_code == 200
        assert (await client.get(f"/console/cases/{other}")).status_code == 403
        assert (await client.post("/console/search", data={"q": "张三"})).status_code == 403


async def test_workbench_pages_need_a_login(app: FastAPI) -> None:
    async with browser(app) as client:
        for path in ("/console/work", "/console/search"):
            assert (await client.get(path)).headers["location"] == "/console/login"
        client.cookies.set(COOKIE, token(app.state.settings, Role.FRONT_OFFICE, JINSHAN), domain="casework.test")
        assert (await client.get("/console/search")).status_code == 200


async def test_the_root_leads_to_the_console(http: httpx.AsyncClient) -> None:
    root = await http.get("/")
    assert root.status_code == 307 and root.headers["location"] == "/console"


async def test_a_member_held_by_another_townships_case_is_refused_without_naming_it(
        http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """Issue 19 defect: the 409 for a member of an active case names that case only inside the caller's
    jurisdiction; another township's window is told it is held elsewhere and whom to ask."""
    case_id, body = await _create(http, auth)  # 金山镇
    again = application_body(village_code=BICHENG_VILLAGE)
    again["members"] = [body["members"][0]]
    elsewhere = await http.post("/v1/cases", json=again, headers=auth(Role.FRONT_OFFICE, BICHENG))
    assert elsewhere.status_code == 409
    assert elsewhere.json()["code"] == "member_in_case_elsewhere" and case_id not in elsewhere.text
    assert "禄丰市民政局" in elsewhere.json()["detail"]
    here = application_body()
    here["members"] = [body["members"][0]]
    own = await http.post("/v1/cases", json=here, headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert own.status_code == 409 and own.json()["case_id"] == case_id
