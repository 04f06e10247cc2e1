"""The caseworker's workbench in Chromium (issue 19, "done when"): a township caseworker logs in with a password,
finds a case in 我的待办, sends start_investigation and a home visit through the forms and sees a refusal in
Chinese; the window opens a new application with the ID check as it types, and searches a household by ID
number; a supervisor gets the masked view.

Screenshots of each page are taken; with ``CASEWORK_UPDATE_SCREENSHOTS=1`` they are written to
``docs/screenshots/`` (the README shows them), otherwise to the test's temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from fastapi import FastAPI

from domain.actors import Actor, Role
from domain.identity import mask_resident_id
from services import staff
from tests.api.conftest import TokenFactory, api_settings, api_worker, app, auth  # noqa: F401 (fixtures)
from tests.builders import application_body
from tests.e2e.test_console_browser import CHROMIUM, CHROMIUM_ARGS, pytestmark, served  # noqa: F401

JINSHAN = "532302101"
PASSWORD = "lufeng-2026-workbench"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def _accounts(app: FastAPI, suffix: str) -> dict[Role, str]:  # noqa: F811
    ids = {Role.TOWNSHIP_CASEWORKER: f"jsz-inv-{suffix}", Role.FRONT_OFFICE: f"jsz-win-{suffix}",
           Role.SUPERVISOR: f"mzj-sup-{suffix}"}
    where = {Role.TOWNSHIP_CASEWORKER: JINSHAN, Role.FRONT_OFFICE: JINSHAN, Role.SUPERVISOR: "532302"}
    for role, staff_id in ids.items():
        await staff.add_account(app.state.pool, Actor(id=staff_id, role=role, jurisdiction=where[role]), "",
                                PASSWORD)
    return ids


async def test_a_township_caseworker_and_the_window_work_in_the_console(
        served: str, app: FastAPI, auth: TokenFactory, tmp_path: Path) -> None:  # noqa: F811
    from playwright.async_api import async_playwright, expect

    shots = DOCS if os.environ.get("CASEWORK_UPDATE_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    ids = await _accounts(app, tmp_path.name[-6:].replace("_", ""))
    body = application_body()
    async with httpx.AsyncClient(base_url=served, timeout=30) as http:
        created = await http.post("/v1/cases", json=body, headers=auth(Role.FRONT_OFFICE, JINSHAN))
        case_id = created.json()["case_id"]
        accepted = await http.post(f"/v1/cases/{case_id}/commands", json={"command": {"type": "accept_application"}},
                                   headers=auth(Role.FRONT_OFFICE, JINSHAN))
        assert accepted.status_code == 200, accepted.text

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            async def login(role: Role):  # a fresh context per person: their own cookie
                context = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                                    viewport={"width": 1366, "height": 900})
                page = await context.new_page()
                page.set_default_timeout(15_000)
                await page.goto(f"{served}/console")
                await page.fill("#staff_id", ids[role])
                await page.fill("#password", PASSWORD)
                await page.click("form.stacked button[type=submit]")
                return context, page

            # --- a township caseworker: 我的待办 → the case → start_investigation (refused, then sent) → home visit
            context, page = await login(Role.TOWNSHIP_CASEWORKER)
            await expect(page).to_have_url(f"{served}/console/work")
            row = page.locator("#work-list tr", has=page.locator(f'a[href="/console/cases/{case_id}#actions"]'))
            await expect(row).to_contain_text("启动调查")
            await expect(row).to_contain_text(body["members"][0]["name"])
            await page.screenshot(path=str(shots / "workbench-my-work.png"), full_page=True)
            await row.locator("a", has_text="去办理").click()
            form = page.locator("#form-start_investigation")
            await expect(form).to_have_attribute("open", "")
            await expect(form).to_contain_text("《最低生活保障审核确认办法》第十五条、第十六条")
            await form.locator('textarea[name="investigators"]').fill("jsz-inv-01")
            await form.locator("button[type=submit]").click()
            field = page.locator('#form-start_investigation [data-field="investigators"] .field-error')
            await expect(field).to_contain_text("须由至少两名不同的工作人员调查")
            await expect(page.locator("#header")).to_contain_text("已受理")  # nothing changed
            await page.screenshot(path=str(shots / "workbench-refusal.png"), full_page=True)
            form = page.locator("#form-start_investigation")
            await form.locator('textarea[name="investigators"]').fill("jsz-inv-01\njsz-inv-02")
            await form.locator("button[type=submit]").click()
            await expect(page.locator(".notice-ok")).to_contain_text("已办理：启动家庭经济状况调查")
            await expect(page.locator("#header")).to_contain_text("调查核实")
            visit = page.locator("#form-record_home_visit")
            await expect(visit).to_have_attribute("open", "")  # the first step of the stage comes open
            await visit.locator('textarea[name="investigators"]').fill("jsz-inv-01\njsz-inv-02")
            await visit.locator('input[name="household_signed"][value="true"]').check()
            await visit.locator('textarea[name="findings"]').fill("入户核实：家庭成员二人，无劳动收入，住房为自建土木房。")
            await visit.locator("button[type=submit]").click()
            await expect(page.locator(".notice-ok")).to_contain_text("已办理：登记入户调查")
            await expect(page.locator("#decision-trail")).to_contain_text("入户调查")
            await page.screenshot(path=str(shots / "workbench-case-forms.png"), full_page=True)
            await context.close()

            # --- the window: a new application, the ID checked as it is typed; then a search by ID number
            context, page = await login(Role.FRONT_OFFICE)
            await page.click("text=新申请登记")
            await expect(page).to_have_url(f"{served}/console/intake")
            fresh = application_body()
            applicant, child = fresh["members"]
            await page.select_option("#village_code", "532302101005")
            await expect(page.locator("#area_type")).to_have_value("urban")  # 惠民路社区: a community
            await page.fill('input[name="members.0.name"]', applicant["name"])
            wrong = applicant["resident_id"][:-1] + ("1" if applicant["resident_id"][-1] != "1" else "2")
            await page.fill('input[name="members.0.resident_id"]', wrong)
            check = page.locator('[data-field="members"] tr').nth(1).locator(".id-check")
            await expect(check).to_have_text("校验位不符，请核对")
            await page.fill('input[name="members.0.resident_id"]', applicant["resident_id"])
            await expect(check).to_have_text("校验通过")
            await page.select_option('select[name="members.0.relation"]', "applicant")
            await page.fill('input[name="members.1.name"]', child["name"])
            await page.fill('input[name="members.1.resident_id"]', child["resident_id"])
            await page.select_option('select[name="members.1.relation"]', "child")
            await page.select_option('select[name="declaration.income.0.kind"]', "wages")
            await page.fill('input[name="declaration.income.0.amount"]', "1800")
            await page.select_option('select[name="declaration.income.0.member_index"]', "0")
            await page.screenshot(path=str(shots / "workbench-intake.png"), full_page=True)
            await page.click("#intake-form button[type=submit]")
            await expect(page.locator(".notice-ok")).to_contain_text("已办理：提交申请")
            new_case = page.url.split("/console/cases/")[1].split("?")[0]
            await page.click("header >> text=查询")
            await page.fill('input[name="q"]', applicant["resident_id"])
            await page.click("form.filters button[type=submit]")
            results = page.locator("#search-results")
            await expect(results).to_contain_text(applicant["resident_id"])
            await expect(results.locator(f'a[href="/console/cases/{new_case}"]')).to_be_visible()
            await page.screenshot(path=str(shots / "workbench-search.png"), full_page=True)
            await context.close()

            # --- a supervisor: the same search, masked; the household page, masked
            context, page = await login(Role.SUPERVISOR)
            await page.goto(f"{served}/console/search")
            await page.fill('input[name="q"]', applicant["resident_id"])
            await page.click("form.filters button[type=submit]")
            results = page.locator("#search-results")
            await expect(results).to_contain_text(mask_resident_id(applicant["resident_id"]))
            assert applicant["resident_id"] not in await page.content()
            await results.locator("a", has_text="家庭").first.click()
            await expect(page.locator("#household-members")).to_contain_text(
                mask_resident_id(child["resident_id"]))
            await expect(page.locator("#household-cases")).to_contain_text("最低生活保障")
            assert child["resident_id"] not in await page.content()
            await page.screenshot(path=str(shots / "workbench-household-masked.png"), full_page=True)
            await context.close()
        finally:
            await browser.close()
