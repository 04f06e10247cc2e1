"""物价联动 over HTTP: preview within the caller's jurisdiction, apply (county approver only), follow the run.

The module has a database, a parameter book, a task queue and a worker of its own (the recalculation reads
every active case, so the session's shared database would mix in other tests' cases); the app is the
production one, built with those settings. The book adds a version in force since three days ago (rural
375 → 420, urban 640 → 600) and one that takes effect in a month.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from adapters.db.pool import create_pool
from adapters.parameters import ParameterFile
from adapters.settings import Settings
from api.main import create_app
from domain.actors import Role
from domain.household import AreaType
from domain.kernel.clock import CHINA_TZ
from domain.programmes import CaseState
from tests.api.conftest import TokenFactory
from tests.builders import BICHENG, BICHENG_VILLAGE, JINSHAN, JINSHAN_VILLAGE
from tests.standard_change_cases import (
    book_with_version,
    cover_next_year,
    fresh_database,
    in_payment_state,
    load_book,
    recalculations,
    start_in_payment,
)
from worker.main import build_worker

COUNTY = "532302"
OTHER_JINSHAN_VILLAGE = "532302101009"
VERSION = f"sca-{uuid.uuid4().hex[:8]}"
FUTURE = f"{VERSION}-future"


@pytest.fixture(scope="module")
def book_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    today = datetime.now(CHINA_TZ).date()
    path = book_with_version(tmp_path_factory.mktemp("sc-book") / "book.json", VERSION, today - timedelta(days=3),
                             rural="420.00", urban="600.00")
    book = json.loads(path.read_text(encoding="utf-8"))
    future = json.loads(json.dumps(book["versions"][-1]))
    future |= {"version": FUTURE, "effective_from": (today + timedelta(days=30)).isoformat()}
    book["versions"].append(future)
    path.write_text(json.dumps(book, ensure_ascii=False), encoding="utf-8")
    return path


@pytest_asyncio.fixture(scope="module")
async def sc_pool(pg_admin_uri: str) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    dsn = await fresh_database(pg_admin_uri)
    pool = await create_pool(dsn, min_size=1, max_size=10)
    await cover_next_year(pool, datetime.now(CHINA_TZ).date())
    try:
        yield dsn, pool
    finally:
        await pool.close()


@pytest_asyncio.fixture(scope="module")
async def sc_app(api_settings: Settings, dev_env: WorkflowEnvironment, sc_pool: tuple[str, asyncpg.Pool],
                 book_path: Path) -> AsyncIterator[FastAPI]:
    dsn, pool = sc_pool
    settings = api_settings.model_copy(update={"database_url": dsn, "parameters_file": book_path,
                                               "temporal_task_queue": f"sc-api-{uuid.uuid4()}"})
    async with build_worker(dev_env.client, pool, settings.temporal_task_queue, ParameterFile(book_path)):
        application = create_app(settings, temporal=dev_env.client)
        async with application.router.lifespan_context(application):
            yield application


@pytest_asyncio.fixture(scope="module")
async def cases(sc_app: FastAPI, dev_env: WorkflowEnvironment, sc_pool: tuple[str, asyncpg.Pool],
                book_path: Path) -> list[CaseState]:
    """Six cases in payment: four in 金山镇 (two villages; one an urban single the new version makes
    ineligible) and two in 碧城镇."""
    _, pool = sc_pool
    book = load_book(book_path)
    decided = book.versions[-2].effective_from - timedelta(days=10)
    states = [
        in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="200", members=2, decided_on=decided),
        in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="620", members=1,
                         area_type=AreaType.URBAN, decided_on=decided),
        in_payment_state(book, village_code=OTHER_JINSHAN_VILLAGE, per_capita_monthly="100", members=3,
                         decided_on=decided),
        in_payment_state(book, village_code=OTHER_JINSHAN_VILLAGE, per_capita_monthly="0", members=1,
                         decided_on=decided),
        in_payment_state(book, village_code=BICHENG_VILLAGE, per_capita_monthly="0", members=3, decided_on=decided),
        in_payment_state(book, village_code=BICHENG_VILLAGE, per_capita_monthly="300", members=4,
                         decided_on=decided),
    ]
    task_queue = sc_app.state.settings.temporal_task_queue
    await asyncio.gather(*(start_in_payment(dev_env.client, pool, s, task_queue) for s in states))
    return states


@pytest_asyncio.fixture
async def http(sc_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sc_app), base_url="http://casework.test") as c:
        yield c


async def preview(http: httpx.AsyncClient, auth: TokenFactory, role: Role, jurisdiction: str,
                  version: str = VERSION) -> httpx.Response:
    return await http.post("/v1/standard-changes/preview", json={"version": version},
                           headers=auth(role, jurisdiction, "staff-sc"))


async def test_the_county_previews_every_case_and_totals_per_township(
    http: httpx.AsyncClient, auth: TokenFactory, cases: list[CaseState]
) -> None:
    """A county reviewer sees all six cases: 金山镇 and 碧城镇 totals, one household crossing out (the urban
    single at 620 a head under the new 600), amounts as the 补差 formula gives them."""
    response = await preview(http, auth, Role.COUNTY_REVIEWER, COUNTY)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == VERSION and body["previous_version"] == "532302-yn-floor-2020"
    rows = {uuid.UUID(r["case_id"]): r for r in body["rows"]}
    assert set(rows) == {s.case_id for s in cases}
    two = rows[cases[0].case_id]  # rural, two members at 200 a head: (375 − 200) × 2 → (420 − 200) × 2
    assert (Decimal(two["old_amount"]), Decimal(two["new_amount"])) == (Decimal("350.00"), Decimal("440.00"))
    single = rows[cases[1].case_id]
    assert single["crosses_out"] and not single["eligible_after"]
    assert Decimal(single["new_amount"]) == Decimal(single["old_amount"]) == Decimal("20.00")
    townships = {t["township_code"]: t for t in body["townships"]}
    assert set(townships) == {JINSHAN, BICHENG}
    assert (townships[JINSHAN]["cases"], townships[JINSHAN]["crossing_out"]) == (4, 1)
    assert (townships[BICHENG]["cases"], townships[BICHENG]["crossing_out"]) == (2, 0)
    assert townships[JINSHAN]["township_name"] == "金山镇"
    total = body["totals"]
    assert total["cases"] == 6
    assert Decimal(total["new_total"]) - Decimal(total["old_total"]) == Decimal(total["difference"]) > 0
    assert sum(Decimal(r["new_amount"]) for r in body["rows"]) == Decimal(total["new_total"])
    text = json.dumps(body, ensure_ascii=False)  # codes and amounts only: no names, no ID numbers
    assert "成员" not in text
    assert not any(m.resident_id in text for s in cases for m in s.members)


@pytest.mark.parametrize(("role", "jurisdiction", "expected"), [
    (Role.AUDITOR, BICHENG, {BICHENG_VILLAGE}),
    (Role.SUPERVISOR, JINSHAN, {JINSHAN_VILLAGE, OTHER_JINSHAN_VILLAGE}),
    (Role.COUNTY_APPROVER, OTHER_JINSHAN_VILLAGE, {OTHER_JINSHAN_VILLAGE}),
])
async def test_the_preview_is_scoped_to_the_callers_jurisdiction(
    http: httpx.AsyncClient, auth: TokenFactory, cases: list[CaseState], role: Role, jurisdiction: str,
    expected: set[str],
) -> None:
    """Only the cases whose village lies inside the token's jurisdiction appear, in the rows and the totals."""
    response = await preview(http, auth, role, jurisdiction)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {r["village_code"] for r in body["rows"]} == expected
    assert body["totals"]["cases"] == sum(1 for s in cases if s.village_code in expected)
    assert {t["township_code"] for t in body["townships"]} == {v[:9] for v in expected}


@pytest.mark.parametrize("role", [Role.FRONT_OFFICE, Role.TOWNSHIP_CASEWORKER, Role.TOWNSHIP_APPROVER,
                                  Role.VILLAGE_COMMITTEE])
async def test_township_staff_may_not_preview(http: httpx.AsyncClient, auth: TokenFactory, role: Role) -> None:
    response = await preview(http, auth, role, JINSHAN)
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"


@pytest.mark.parametrize(("role", "jurisdiction"), [
    (Role.FRONT_OFFICE, JINSHAN), (Role.COUNTY_REVIEWER, COUNTY), (Role.SUPERVISOR, COUNTY), (Role.AUDITOR, COUNTY),
])
async def test_only_the_county_approver_may_apply(
    http: httpx.AsyncClient, auth: TokenFactory, role: Role, jurisdiction: str
) -> None:
    response = await http.post("/v1/standard-changes/apply", json={"version": VERSION},
                               headers=auth(role, jurisdiction, "staff-sc"))
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"


@pytest.mark.parametrize("path", ["/v1/standard-changes/preview", "/v1/standard-changes/apply"])
async def test_an_unknown_version_is_refused_with_422(http: httpx.AsyncClient, auth: TokenFactory,
                                                      path: str) -> None:
    response = await http.post(path, json={"version": "no-such-version"},
                               headers=auth(Role.COUNTY_APPROVER, COUNTY, "ca-01"))
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["body", "version"] and detail["type"] == "unknown_version"


async def test_a_body_with_unknown_fields_is_refused(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await http.post("/v1/standard-changes/preview", json={"version": VERSION, "dry_run": True},
                               headers=auth(Role.COUNTY_REVIEWER, COUNTY, "cr-01"))
    assert response.status_code == 422


@pytest.mark.parametrize(("version", "code"), [(FUTURE, "version_not_in_force"),
                                               ("532302-yn-floor-2020", "version_superseded")])
async def test_only_the_version_in_force_can_be_applied(http: httpx.AsyncClient, auth: TokenFactory, version: str,
                                                       code: str) -> None:
    """Not before it takes effect (cases decided until then would be decided under the old version and
    missed), nor once a later one is in force (it would overwrite amounts decided under the later one)."""
    response = await http.post("/v1/standard-changes/apply", json={"version": version},
                               headers=auth(Role.COUNTY_APPROVER, COUNTY, "ca-01"))
    assert response.status_code == 409
    assert response.json()["code"] == code


async def test_the_county_approver_applies_once_and_follows_the_run(
    http: httpx.AsyncClient, auth: TokenFactory, cases: list[CaseState], sc_pool: tuple[str, asyncpg.Pool]
) -> None:
    """202 with the workflow id; a second apply is 409 naming the run; the status ends ``completed`` with every
    case recalculated once, in the approver's name, and the crossing-out household under review."""
    _, pool = sc_pool
    approver = auth(Role.COUNTY_APPROVER, COUNTY, "ca-07")
    assert (await http.get(f"/v1/standard-changes/{VERSION}", headers=approver)).status_code == 404
    expected = (await preview(http, auth, Role.COUNTY_APPROVER, COUNTY)).json()

    response = await http.post("/v1/standard-changes/apply", json={"version": VERSION}, headers=approver)
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["workflow_id"] == f"standard-change-{VERSION}"
    again = await http.post("/v1/standard-changes/apply", json={"version": VERSION}, headers=approver)
    assert again.status_code == 409
    assert again.json()["code"] == "standard_change_started"
    assert started["workflow_id"] in again.json()["detail"]

    status: dict[str, Any] = {}
    async with asyncio.timeout(60):
        while status.get("status") != "completed":
            reply = await http.get(started["status_url"], headers=auth(Role.AUDITOR, COUNTY, "au-01"))
            assert reply.status_code == 200, reply.text
            status = reply.json()
            await asyncio.sleep(0.2)
    totals = status["progress"]["totals"]
    assert status["progress"]["done"]
    assert (totals["applied"], totals["failed"], totals["reviews_opened"]) == (6, 0, 1)
    assert Decimal(totals["new_total"]) == Decimal(expected["totals"]["new_total"])
    recorded = await recalculations(pool, VERSION)
    assert set(recorded) == {s.case_id for s in cases}
    assert all(len(events) == 1 and events[0]["actor"]["id"] == "ca-07" for events in recorded.values())
    stage = await pool.fetchval("SELECT stage FROM cases WHERE case_id = $1", cases[1].case_id)
    assert stage == "under_review"
