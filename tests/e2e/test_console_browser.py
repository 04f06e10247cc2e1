"""The web console in a real headless browser (issue 5 item 6): Debian's Chromium driven by Playwright.

The API is served over real HTTP by uvicorn (in the session's event loop, on a free port) against the real
Temporal dev server, a real worker and real PostgreSQL. The overdue case is made the real way: a case driven
through the API into payment, then a death reported late by the data comparison (died four months ago), so
the 3-month limit to finish the change (S6 §一(三)) has already passed and the workflow raises the escalation.

Skipped only when ``/usr/bin/chromium`` is absent and ``CASEWORK_REQUIRE_BROWSER`` is unset; ``.ci/run`` installs
Chromium and sets the variable, so in CI this test always runs.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI

from adapters.auth import issue_token
from adapters.settings import Settings
from api.server import server_options
from domain.actors import Role
from domain.kernel.clock import CHINA_TZ
from tests.api.conftest import TokenFactory, api_settings, api_worker, app, auth  # noqa: F401 (fixtures)
from tests.api.test_in_payment_api import in_payment
from tests.api.test_lifecycle_api import CASEWORKER, Api, household

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
JINSHAN = "532302101"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CASEWORK_REQUIRE_BROWSER"),
    reason="no /usr/bin/chromium (apt-get install chromium; CI installs it and sets CASEWORK_REQUIRE_BROWSER=1)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture
async def served(app: FastAPI, api_settings: Settings) -> AsyncIterator[str]:  # noqa: F811
    """The app over real HTTP, served as ``casework up`` serves it; its lifespan (pool, Temporal client) is the
    ``app`` fixture's."""
    port = _free_port()
    options = server_options(api_settings) | {"port": port}
    server = uvicorn.Server(uvicorn.Config(app, **options, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            assert not task.done(), "uvicorn stopped before it started"
            await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def overdue_case(base: str, auth: TokenFactory) -> str:  # noqa: F811
    """A 金山镇 case in payment whose death alert came in after the 3-month limit had passed: escalated."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        api = Api(http, auth)
        case_id = await in_payment(api, household("周大", "吴二", "周小"))
        died = datetime.now(CHINA_TZ).date() - timedelta(days=125)
        await api.ok(case_id, CASEWORKER, "raise_data_alert", alert="death", member_index=2,
                     occurred_on=died.isoformat(), source="殡葬信息比对")
        async with asyncio.timeout(20):
            while not any(d["step"] == "death_resolution" and d["escalated"]
                          for d in (await api.get(case_id))["deadlines"]):
                await asyncio.sleep(0.1)
        assert (await api.get(case_id))["overdue"] is True, "the case-level flag the API shows"
        return case_id


async def test_a_supervisor_clicks_from_the_dashboard_to_an_overdue_case_and_sees_its_timeline_and_trail(
    served: str, auth: TokenFactory, api_settings: Settings, tmp_path: Path  # noqa: F811
) -> None:
    """Issue 5: log in with a token, open the dashboard, click 金山镇's bar in the overdue chart, click the
    case in the filtered list, and see the stage timeline (SVG) and the decision trail."""
    from playwright.async_api import async_playwright, expect

    case_id = await overdue_case(served, auth)
    supervisor = issue_token(api_settings, sub="sup-01", role=Role.SUPERVISOR, jurisdiction="532302",
                             now=datetime.now(UTC))
    started = time.monotonic()
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            locale="zh-CN", timezone_id="Asia/Shanghai",
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(15_000)
            await page.goto(f"{served}/console")
            await expect(page).to_have_url(f"{served}/console/login")
            await page.click("details.token-login summary")  # the password form comes first (issue 19)
            await page.fill("#token", supervisor)
            await page.click("#token-login")
            await expect(page).to_have_url(f"{served}/console")
            await expect(page.locator("h2", has_text="各乡镇逾期案件")).to_be_visible()
            cookies = await context.cookies()
            [cookie] = [c for c in cookies if c["name"] == "casework_console"]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

            bar = page.locator(f'#overdue svg a[data-township="{JINSHAN}"]')
            await expect(bar).to_be_visible()
            await bar.click()
            await expect(page).to_have_url(f"{served}/console/cases?township_code={JINSHAN}&overdue=true")
            row = page.locator("#case-list tr", has=page.locator(f'a[href="/console/cases/{case_id}"]'))
            await expect(row).to_contain_text("逾期")
            await row.locator(f'a[href="/console/cases/{case_id}"]').click()

            await expect(page).to_have_url(f"{served}/console/cases/{case_id}")
            timeline = page.locator("svg#stage-timeline")
            await expect(timeline).to_be_visible()
            await expect(timeline.locator("g.node.current")).to_have_attribute("data-stage", "under_review")
            assert await timeline.locator("g.node.visited").count() >= 8
            await expect(timeline).to_contain_text("审核确认")
            trail = page.locator("#decision-trail")
            await expect(trail).to_be_visible()
            for text in ("提交申请", "审核确认", "数据比对预警", "逾期预警",
                         "《关于进一步做好最低生活保障等社会救助兜底工作的通知》第一部分第（三）项"):  # S6 §一(三)
                await expect(trail).to_contain_text(text)
            await expect(page.locator("h1 .tag.overdue")).to_have_text("逾期")
            await expect(page.locator("#pending")).to_contain_text("死亡变更三个月内办结")
        finally:
            await context.close()
    assert time.monotonic() - started < 60
