"""A parameter version added to the book today counts today (issue 20 item 5).

S1 Art. 23 (the amount is the standard less the income) with S4 Art. 10 (the standard is set and adjusted by the
county): a decision computes with the version in force *as the book stands when it decides*. A case that loaded
its parameters this morning and is approved this afternoon, after the county appended a version effective
today, computes with the new standard and cites it — and the as-of check reproduces it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from adapters.parameters import ParameterFile
from adapters.settings import Settings
from api.main import create_app
from domain.kernel.clock import CHINA_TZ
from tests.api.conftest import PUBLICITY_SECONDS, TokenFactory
from tests.api.test_lifecycle_api import COUNTY_APPROVER, COUNTY_REVIEWER, Api, household
from tests.builders import application_body
from tests.params import fast_publicity_book
from tests.workflows.lifecycle import income_per_capita
from worker.main import build_worker


@pytest_asyncio.fixture
async def own_book(api_settings: Settings, dev_env: WorkflowEnvironment, pg_pool: asyncpg.Pool,
                   tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    """An API and a worker of their own reading a book file this test may change."""
    book = fast_publicity_book(tmp_path / "parameters.json", seconds=PUBLICITY_SECONDS)
    settings = api_settings.model_copy(update={"parameters_file": book, "temporal_task_queue": f"pv-{uuid.uuid4()}"})
    application = create_app(settings, temporal=dev_env.client)
    async with (
        build_worker(dev_env.client, pg_pool, settings.temporal_task_queue, ParameterFile(book), settings),
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://casework.test") as http,
    ):
        yield http, book


def _append_today(book: Path, rural: str) -> str:
    """The county appends a version effective today (China) raising the rural standard."""
    raw = json.loads(book.read_text(encoding="utf-8"))
    today = datetime.now(CHINA_TZ).date().isoformat()
    latest = raw["versions"][-1]
    version = {**latest, "version": f"532302-raised-{today}", "effective_from": today,
               "label": "提高农村低保标准", "values": {**latest["values"], "dibao_standard_monthly": {
                   **latest["values"]["dibao_standard_monthly"], "rural": rural}}}
    raw["versions"].append(version)
    book.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return str(version["version"])


async def test_a_version_added_today_is_used_by_todays_approval(
    own_book: tuple[httpx.AsyncClient, Path], auth: TokenFactory
) -> None:
    """S1 Art. 23, S4 Art. 10: the approval computes with 420 (the version appended an hour after the case
    loaded its parameters), not 375, and cites the new version."""
    http, book = own_book
    api = Api(http, auth)
    members = household("冯大", "陈二")
    created = await api.create(application_body(members=members,
                                                declaration=income_per_capita(Decimal("100"), 2)))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    await api.to_publicity(case_id)
    await api.wait_stage(case_id, "submitted_to_county", timeout=PUBLICITY_SECONDS + 18)
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")

    version = _append_today(book, "420.00")
    approved = await api.ok(case_id, COUNTY_APPROVER, "approve", reason="经审核符合条件")
    assert approved["monthly_amount"] == "640.00"  # (420 − 100) × 2, not (375 − 100) × 2 = 550.00
    trail = (await api.trail(case_id)).json()
    decision = next(e for e in trail if e["type"] == "application_approved")
    assert decision["parameter_set_version"] == version
