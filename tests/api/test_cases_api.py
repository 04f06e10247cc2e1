"""``/v1/cases`` end to end: HTTP → API → Temporal dev server → worker → PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from adapters.db.cases import PgCaseStore
from adapters.settings import Settings
from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.builders import BICHENG, BICHENG_VILLAGE, application_body, with_bad_check_digit
from tests.workflows.helpers import wait_for_case_row


async def _count_cases(dev_env: WorkflowEnvironment, settings: Settings) -> int:
    q = f'WorkflowType = "CaseWorkflow" AND TaskQueue = "{settings.temporal_task_queue}"'
    return (await dev_env.client.count_workflows(q)).count


async def _settled_count(dev_env: WorkflowEnvironment, settings: Settings, expected: int) -> int:
    """Visibility is eventually consistent: wait (bounded) until the count reaches ``expected``."""
    count = -1
    for _ in range(100):
        count = await _count_cases(dev_env, settings)
        if count >= expected:
            break
        await asyncio.sleep(0.05)
    return count


async def test_a_front_office_creates_a_case_and_reads_its_stage(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """S1 Arts. 4, 9; SPEC §10.2: an application in the window's own township starts a case in ``submitted``."""
    created = await http.post("/v1/cases", json=application_body(), headers=auth())

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["stage"] == "submitted"
    assert body["township_code"] == "532302101"
    assert body["county_code"] == "532302"
    assert body["household_size"] == 2
    assert body["workflow_id"] == f"case-{body['case_id']}"
    assert created.headers["location"] == f"/v1/cases/{body['case_id']}"
    assert "members" not in body and "测试甲" not in created.text

    fetched = await http.get(f"/v1/cases/{body['case_id']}", headers=auth())
    assert fetched.status_code == 200
    assert fetched.json() == body

    row = await wait_for_case_row(pg_pool, uuid.UUID(body["case_id"]))
    assert row["stage"] == "submitted"


async def test_a_bad_check_digit_is_422_naming_the_field_and_starts_nothing(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings
) -> None:
    """GB 11643-1999 (SPEC §10.1): an ID number with a wrong check digit is refused; no workflow starts."""
    before = await _settled_count(dev_env, api_settings, 0)
    bad = application_body()
    bad_id = with_bad_check_digit(bad["members"][1]["resident_id"])  # type: ignore[index]
    bad["members"][1]["resident_id"] = bad_id  # type: ignore[index]

    refused = await http.post("/v1/cases", json=bad, headers=auth())
    accepted = await http.post("/v1/cases", json=application_body(), headers=auth())

    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "members", 1, "resident_id"]
    assert "check digit" in error["msg"]
    assert bad_id not in refused.text, "error responses must not echo personal data"
    assert accepted.status_code == 201
    # Exactly one new workflow: the valid application's.
    assert await _settled_count(dev_env, api_settings, before + 1) == before + 1
    await asyncio.sleep(0.3)
    assert await _count_cases(dev_env, api_settings) == before + 1


async def test_smuggled_fields_are_rejected(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    body = application_body() | {"stage": "approved"}

    response = await http.post("/v1/cases", json=body, headers=auth())

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "stage"]


async def test_domain_rules_that_need_the_whole_household_are_422(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """S1 Art. 4: the household applies through exactly one applicant."""
    body = application_body()
    body["members"][1]["relation"] = "applicant"  # type: ignore[index]

    response = await http.post("/v1/cases", json=body, headers=auth())

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "members"]


async def test_a_village_committee_may_apply_as_agent(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 6: the village committee may apply on the household's behalf; the event cites it."""
    response = await http.post(
        "/v1/cases", json=application_body(), headers=auth(Role.VILLAGE_COMMITTEE, "532302101001", "vc-01")
    )

    assert response.status_code == 201
    case_id = uuid.UUID(response.json()["case_id"])
    await wait_for_case_row(pg_pool, case_id)
    [event] = await PgCaseStore(pg_pool).get_events(case_id)
    assert "S1 Art. 6" in event["payload"]["legal_basis"]
    assert event["payload"]["actor"]["role"] == "village_committee"


async def test_roles_that_may_not_submit_get_403(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    for role in (Role.TOWNSHIP_CASEWORKER, Role.COUNTY_APPROVER, Role.AUDITOR, Role.SUPERVISOR):
        response = await http.post("/v1/cases", json=application_body(), headers=auth(role, "532302"))
        assert response.status_code == 403, role
        assert "case.create" in response.json()["detail"]


async def test_a_window_cannot_submit_for_another_township(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """SPEC §2: township staff act only on cases of their own township."""
    response = await http.post("/v1/cases", json=application_body(BICHENG_VILLAGE), headers=auth())

    assert response.status_code == 403
    assert "jurisdiction" in response.json()["detail"]


async def test_reading_is_scoped_to_the_jurisdiction(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    created = await http.post("/v1/cases", json=application_body(), headers=auth())
    case_id = created.json()["case_id"]

    other_township = await http.get(f"/v1/cases/{case_id}", headers=auth(Role.TOWNSHIP_CASEWORKER, BICHENG))
    county = await http.get(f"/v1/cases/{case_id}", headers=auth(Role.SUPERVISOR, "532302"))
    other_county = await http.get(f"/v1/cases/{case_id}", headers=auth(Role.AUDITOR, "532301"))

    assert other_township.status_code == 403
    assert "stage" not in other_township.text
    assert county.status_code == 200
    assert other_county.status_code == 403


async def test_unknown_and_malformed_case_ids(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    assert (await http.get(f"/v1/cases/{uuid.uuid4()}", headers=auth())).status_code == 404
    malformed = await http.get("/v1/cases/not-a-uuid", headers=auth())
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["path", "case_id"]


async def test_missing_or_bad_tokens_are_401(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    no_token = await http.post("/v1/cases", json=application_body())
    garbage = await http.get(f"/v1/cases/{uuid.uuid4()}", headers={"Authorization": "Bearer not.a.jwt"})
    expired = await http.get(f"/v1/cases/{uuid.uuid4()}", headers=auth(ttl=timedelta(seconds=-10)))

    for response in (no_token, garbage, expired):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


async def test_search_attributes_carry_codes_only(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment
) -> None:
    """Privacy: Temporal search attributes hold stage, programme and township code, nothing personal."""
    created = await http.post("/v1/cases", json=application_body(), headers=auth())

    desc = await dev_env.client.get_workflow_handle(created.json()["workflow_id"]).describe()

    values = {pair.key.name: pair.value for pair in desc.typed_search_attributes}
    assert values["CaseStage"] == "submitted"
    assert values["CaseProgram"] == "dibao"
    assert values["CaseTownship"] == "532302101"
    custom = {k: v for k, v in values.items() if k.startswith("Case")}
    assert set(custom) == {"CaseStage", "CaseProgram", "CaseTownship"}
