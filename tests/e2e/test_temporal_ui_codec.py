"""The Temporal Web UI decrypts a case's payloads through the codec server for an auditor, and not for the
front office (issue 7 item 1, "Done when").

The real stack as ``casework up`` wires it: the Temporal dev server with its Web UI, started with
``--ui-codec-endpoint`` pointing at the API's ``/codec``; the API over real HTTP (uvicorn) with the UI's origin
allowed on ``/codec/`` only; a worker; real PostgreSQL. A case is created through the API; then Debian's Chromium
(Playwright) logs in to the console — as an auditor, then as the front office — and opens the case's workflow
in the Temporal UI. The UI asks the codec server to decode every payload it shows, with the console's cookie
(the UI's "include cross-origin credentials" setting): the auditor sees the application in clear text, the
front office sees only the ciphertext's encoding, and its refused decode is in the audit ledger.

Skipped like the console test when Chromium is absent (CI installs it and sets ``CASEWORK_REQUIRE_BROWSER``).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest_asyncio
import uvicorn
from temporalio.client import Client

from adapters.auth import issue_token
from adapters.parameters import ParameterFile
from adapters.settings import Settings
from adapters.temporal.codec import data_converter
from api.main import create_app
from api.server import server_options
from devstack.embedded import EmbeddedTemporal
from domain.actors import Role
from tests.builders import application_body
from tests.e2e.test_console_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, pytestmark  # noqa: F401
from tests.env import test_codec
from tests.params import fast_publicity_book
from worker.main import build_worker

#: In the application only (a member's name): what the auditor must see decrypted, the front office never.
MARKER_NAME = "界面解密甲"


@dataclass
class UiStack:
    api: str
    ui: str
    settings: Settings
    workflow_id: str
    case_id: str


@pytest_asyncio.fixture
async def ui_stack(pg_dsn: str, pg_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[UiStack]:
    api_port, temporal_port, ui_port = _free_port(), _free_port(), _free_port()
    temporal = EmbeddedTemporal(tmp_path / "temporal.db", tmp_path, tmp_path / "temporal.log", port=temporal_port,
                                ui_port=ui_port, codec_endpoint=f"http://127.0.0.1:{api_port}/codec")
    await asyncio.to_thread(temporal.start)
    ui = f"http://127.0.0.1:{ui_port}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        var_dir=tmp_path / "var",
        parameters_file=fast_publicity_book(tmp_path / "parameters.json"),
        database_url=pg_dsn,
        temporal_address=temporal.address,
        temporal_task_queue=f"ui-{uuid.uuid4()}",
        jwt_secret="test-secret-" + uuid.uuid4().hex,
        codec_cors_origins=[ui],
        api_port=api_port,
    )
    try:
        client = await Client.connect(temporal.address, data_converter=data_converter(test_codec()))
        assert settings.parameters_file is not None
        worker = build_worker(client, pg_pool, settings.temporal_task_queue, ParameterFile(settings.parameters_file),
                              settings)
        app = create_app(settings, temporal=client)
        server = uvicorn.Server(uvicorn.Config(app, **server_options(settings), log_level="warning"))
        async with worker:
            task = asyncio.create_task(server.serve())
            try:
                async with asyncio.timeout(20):
                    while not server.started:
                        assert not task.done(), "uvicorn stopped before it started"
                        await asyncio.sleep(0.05)
                api = f"http://127.0.0.1:{api_port}"
                window = _token(settings, Role.FRONT_OFFICE, "532302101", "window-01")
                body = application_body()
                body["members"][0]["name"] = MARKER_NAME
                async with httpx.AsyncClient(base_url=api, timeout=30) as http:
                    created = await http.post("/v1/cases", json=body, headers={"Authorization": f"Bearer {window}"})
                assert created.status_code == 201, created.text
                case = created.json()
                yield UiStack(api=api, ui=ui, settings=settings, workflow_id=case["workflow_id"],
                              case_id=case["case_id"])
            finally:
                server.should_exit = True
                await task
    finally:
        await asyncio.to_thread(temporal.stop)


def _token(settings: Settings, role: Role, jurisdiction: str, sub: str) -> str:
    return issue_token(settings, sub=sub, role=role, jurisdiction=jurisdiction, now=datetime.now(UTC))


async def _workflow_as_seen(stack: UiStack, token: str, profile: Path) -> tuple[str, list[int], bool]:
    """Log in to the console with ``token``, set the Temporal UI's codec server (credentials included), open
    the case's workflow and return the page, the codec server's statuses and whether the UI says the codec
    server failed it."""
    from playwright.async_api import async_playwright, expect

    statuses: list[int] = []
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, locale="zh-CN")
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(30_000)
            page.on("response", lambda r: statuses.append(r.status) if "/codec/decode" in r.url else None)
            await page.goto(f"{stack.api}/console/login")
            await page.click("details.token-login summary")  # the password form comes first (issue 19)
            await page.fill("#token", token)
            await page.click("#token-login")
            await expect(page).not_to_have_url(f"{stack.api}/console/login")
            # In the UI's "Codec Server" dialog, as an auditor does once per browser: the same endpoint, with
            # cross-origin credentials included (the console's cookie goes along; kept in the browser).
            await page.goto(f"{stack.ui}/namespaces/default/workflows")
            await page.get_by_role("button", name="Codec Server is configured").click()
            await page.get_by_role("radio", name="Use my browser setting and ignore Cluster-level setting.").check()
            await page.get_by_role("textbox", name="Codec Server browser endpoint").fill(f"{stack.api}/codec")
            credentials = page.get_by_role("switch", name="Include cross-origin credentials")
            await page.get_by_text("Include cross-origin credentials", exact=True).click()
            await expect(credentials).to_be_checked()
            await page.get_by_role("button", name="Apply").click()
            await page.goto(f"{stack.ui}/namespaces/default/workflows/{stack.workflow_id}")
            await expect(page.get_by_role("heading", name=stack.workflow_id)).to_be_visible(timeout=30_000)
            async with asyncio.timeout(30):
                while not statuses:
                    await asyncio.sleep(0.2)
            await page.wait_for_timeout(1500)  # the panels re-render with what the codec server answered
            await page.screenshot(path=str(profile / "workflow.png"), full_page=True)
            refused = await page.locator("#content").get_by_text("Codec Server could not connect").is_visible()
            return await page.content(), statuses, refused
        finally:
            await context.close()


async def test_the_temporal_ui_shows_an_auditor_the_decrypted_case_and_the_front_office_only_ciphertext(
    ui_stack: UiStack, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    auditor = _token(ui_stack.settings, Role.AUDITOR, "532302", "aud-ui-01")
    seen, statuses, refused = await _workflow_as_seen(ui_stack, auditor, tmp_path / "auditor")
    assert statuses and set(statuses) == {200}, statuses
    assert MARKER_NAME in seen, "the auditor's UI shows the application decrypted"
    assert not refused

    window = _token(ui_stack.settings, Role.FRONT_OFFICE, "532302101", "window-ui-01")
    seen, statuses, refused = await _workflow_as_seen(ui_stack, window, tmp_path / "window")
    assert statuses and set(statuses) == {403}, statuses
    assert MARKER_NAME not in seen, "the front office's UI must not show the application"
    assert refused, "the UI tells the front office the codec server did not decode (it shows ciphertext)"

    refusals = await pg_pool.fetch("SELECT content FROM audit_ledger WHERE kind = 'refusal' AND actor_id = $1",
                                   "window-ui-01")
    assert refusals, "the refused decode is in the audit ledger"
    assert all(json.loads(r["content"])["status"] == 403 for r in refusals)
