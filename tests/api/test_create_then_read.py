"""A case just created is readable at once (issue 20 item 7).

The trail, the payee and the audit export read the read model (PostgreSQL), which the workflow's first record
reaches a moment after the start. ``POST /v1/cases`` now answers 201 only once that record is there; if it is
not there within ``api_create_wait_seconds`` the answer is 202, and a read in between answers 503
``case_not_yet_recorded`` with ``Retry-After`` — a 404 means the case does not exist (RFC 9110 §15.5.5).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from adapters.settings import Settings
from api.main import create_app
from domain.actors import Role
from api.routes.cases import current_snapshot
from api.schemas import CaseDetail
from domain.actors import Actor
from services.cases import CaseGateway
from tests.api.conftest import PUBLICITY_SECONDS, TokenFactory
from tests.api.test_lifecycle_api import CASEWORKER, TOWNSHIP_APPROVER, WINDOW, Api
from tests.workflows.lifecycle import TEAM
from tests.builders import application_body

COUNTY_REVIEWER = (Role.COUNTY_REVIEWER, "532302", "cr-01")


async def test_a_created_case_has_a_trail_at_once(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """Create, then read the trail in the same breath, ten times: every read finds the case (never 404)."""

    async def create_and_read() -> None:
        created = await http.post("/v1/cases", json=application_body(), headers=auth())
        assert created.status_code == 201, created.text
        trail = await http.get(f"/v1/cases/{created.json()['case_id']}/trail", headers=auth(*COUNTY_REVIEWER))
        assert trail.status_code == 200, trail.text
        assert [e["type"] for e in trail.json()][:1] == ["application_submitted"]

    await asyncio.gather(*(create_and_read() for _ in range(10)))


@pytest_asyncio.fixture
async def unserved(api_settings: Settings, dev_env: WorkflowEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    """The API on a task queue no worker polls: a case starts, but its first record never arrives."""
    settings = api_settings.model_copy(update={"temporal_task_queue": f"nobody-{uuid.uuid4()}",
                                               "api_create_wait_seconds": 0.3})
    application = create_app(settings, temporal=dev_env.client)
    async with application.router.lifespan_context(application), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://casework.test"
    ) as client:
        yield client


async def test_a_case_not_yet_recorded_is_202_and_reads_say_retry_not_404(
    unserved: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment
) -> None:
    """No worker, so no record: the create answers 202 (started, not yet readable), and the trail answers 503
    ``case_not_yet_recorded`` with Retry-After while an unknown id still answers 404."""
    created = await unserved.post("/v1/cases", json=application_body(), headers=auth())
    assert created.status_code == 202, created.text
    assert created.headers["Location"].endswith(created.json()["case_id"])
    trail = await unserved.get(f"/v1/cases/{created.json()['case_id']}/trail", headers=auth(*COUNTY_REVIEWER))
    assert trail.status_code == 503, trail.text
    assert trail.json()["code"] == "case_not_yet_recorded" and trail.headers["Retry-After"]
    unknown = await unserved.get(f"/v1/cases/{uuid.uuid4()}/trail", headers=auth(*COUNTY_REVIEWER))
    assert unknown.status_code == 404
    # The case itself reads from its record too (issue 18): "retry", not a query left waiting for a worker.
    detail = await unserved.get(f"/v1/cases/{created.json()['case_id']}", headers=auth(*COUNTY_REVIEWER))
    assert detail.status_code == 503 and detail.json()["code"] == "case_not_yet_recorded", detail.text
    assert (await unserved.get(f"/v1/cases/{uuid.uuid4()}", headers=auth(*COUNTY_REVIEWER))).status_code == 404
    # no case may be left waiting for a worker that never comes
    await dev_env.client.get_workflow_handle(created.json()["workflow_id"]).terminate("test over")


async def test_a_read_answers_from_the_record_what_the_workflow_answers(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, pg_pool: asyncpg.Pool
) -> None:
    """Issue 18: ``GET /v1/cases/{id}`` (and the household, notices and console pages) read the case from the
    read model, which the workflow writes before it takes a decision's state and before the command answers.
    At every step of the S1 procedure — including the 公示 window's end, decided by the case's own timer — the
    snapshot read from the record equals the workflow's live ``snapshot`` query, pending step included."""
    api = Api(http, auth)
    created = await api.create(application_body())
    assert created.status_code == 201, created.text
    case_id = uuid.UUID(created.json()["case_id"])

    async def same() -> None:
        recorded = await current_snapshot(dev_env.client, pg_pool, case_id)
        live = await CaseGateway(dev_env.client).snapshot(case_id)
        assert recorded == live
        read = await api.get(str(case_id))
        assert read["stage"] == live.state.stage.value
        assert read == CaseDetail.of_snapshot(live.state, live.pending, read["workflow_id"],
                                              reader=read_as).model_dump(mode="json")

    read_as = Actor(id=WINDOW[2], role=WINDOW[0], jurisdiction=WINDOW[1])
    await same()
    await api.ok(str(case_id), WINDOW, "accept_application")
    await same()
    await api.ok(str(case_id), CASEWORKER, "start_investigation", investigators=TEAM)
    await api.ok(str(case_id), CASEWORKER, "record_home_visit", investigators=TEAM, household_signed=True,
                 findings="入户调查：住房简陋，无大额财产")
    await api.ok(str(case_id), CASEWORKER, "request_info_check")
    await same()
    await api.ok(str(case_id), TOWNSHIP_APPROVER, "decide_village_review", disputed=False, reason="无争议")
    await api.ok(str(case_id), TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=True)
    await api.ok(str(case_id), CASEWORKER, "start_publicity", location="村务公开栏")
    await same()
    await api.wait_stage(str(case_id), "submitted_to_county", timeout=PUBLICITY_SECONDS + 18)
    await same()
