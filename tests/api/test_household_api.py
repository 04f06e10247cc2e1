"""``GET /v1/cases/{id}/household`` (issue 7): the members of a case, with resident ID numbers in full only
for the roles that identify applicants or sign decisions on them, masked (``532302********0029``) for the
others; a read in full is in the audit ledger; outside the jurisdiction 403 with nothing of the household."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from domain.actors import Role
from domain.identity import mask_resident_id
from tests.api.conftest import TokenFactory
from tests.builders import BICHENG, JINSHAN, JINSHAN_VILLAGE, application_body
from tests.workflows.helpers import wait_for_case_row

FULL_ID = re.compile(r"\d{17}[\dX]")


async def _case(http: httpx.AsyncClient, auth: TokenFactory,
                pg_pool: asyncpg.Pool) -> tuple[str, list[dict[str, Any]]]:
    body = application_body()
    created = await http.post("/v1/cases", json=body, headers=auth(Role.FRONT_OFFICE, JINSHAN, "window-01"))
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await wait_for_case_row(pg_pool, uuid.UUID(case_id))
    return case_id, body["members"]  # type: ignore[return-value]


async def _ledger(pg_pool: asyncpg.Pool, actor_id: str) -> list[tuple[str, uuid.UUID | None, dict[str, Any]]]:
    rows = await pg_pool.fetch(
        "SELECT kind, case_id, content FROM audit_ledger WHERE actor_id = $1 ORDER BY position", actor_id)
    return [(r["kind"], r["case_id"], json.loads(r["content"])) for r in rows]


@pytest.mark.parametrize("role", [Role.FRONT_OFFICE, Role.TOWNSHIP_CASEWORKER, Role.TOWNSHIP_APPROVER,
                                  Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER])
async def test_the_roles_that_identify_the_household_see_the_numbers_in_full_and_the_read_is_on_record(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool, role: Role,
) -> None:
    case_id, members = await _case(http, auth, pg_pool)
    sub = f"full-{uuid.uuid4().hex[:10]}"
    jurisdiction = "532302" if role.value.startswith("county") else JINSHAN

    response = await http.get(f"/v1/cases/{case_id}/household", headers=auth(role, jurisdiction, sub))

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    answer = response.json()
    assert answer["case_id"] == case_id
    assert answer["resident_ids"] == "full"
    assert [(m["name"], m["relation"], m["resident_id"], m["counted"]) for m in answer["members"]] == [
        (m["name"], m["relation"], m["resident_id"], True) for m in members]
    assert "disability_grade" not in response.text, "health data stays in the case"
    assert await _ledger(pg_pool, sub) == [("access", uuid.UUID(case_id), {
        "action": "household_full_ids", "via": "api", "actor_jurisdiction": jurisdiction})]


@pytest.mark.parametrize(("role", "jurisdiction"), [(Role.VILLAGE_COMMITTEE, JINSHAN_VILLAGE),
                                                    (Role.SUPERVISOR, JINSHAN), (Role.AUDITOR, "532302")])
async def test_the_village_committee_supervision_and_audit_see_them_masked(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool, role: Role, jurisdiction: str,
) -> None:
    case_id, members = await _case(http, auth, pg_pool)
    sub = f"masked-{uuid.uuid4().hex[:10]}"

    response = await http.get(f"/v1/cases/{case_id}/household", headers=auth(role, jurisdiction, sub))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["resident_ids"] == "masked"
    shown = [m["resident_id"] for m in answer["members"]]
    assert shown == [mask_resident_id(m["resident_id"]) for m in members]
    assert all(re.fullmatch(r"532302\*{8}\d{3}[\dX]", m["resident_id"]) for m in answer["members"])
    assert not FULL_ID.search(response.text)
    assert [m["name"] for m in answer["members"]] == [m["name"] for m in members]
    assert await _ledger(pg_pool, sub) == [], "a masked read is not a read of the numbers"


async def test_another_township_gets_403_with_nothing_of_the_household_and_the_denial_is_on_record(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool,
) -> None:
    """Object-level check: a 碧城镇 caseworker asking for a 金山镇 household."""
    case_id, members = await _case(http, auth, pg_pool)
    sub = f"other-{uuid.uuid4().hex[:10]}"

    response = await http.get(f"/v1/cases/{case_id}/household",
                              headers=auth(Role.TOWNSHIP_CASEWORKER, BICHENG, sub))

    assert response.status_code == 403
    assert response.json() == {"detail": "case lies outside the actor's jurisdiction",
                               "code": "not_permitted"}
    for member in members:
        assert member["name"] not in response.text
        assert member["resident_id"][:6] + "*" not in response.text
    [(kind, on_case, content)] = await _ledger(pg_pool, sub)
    assert (kind, on_case) == ("refusal", uuid.UUID(case_id))
    assert content["command"] == "GET /v1/cases/{case_id}/household"
    assert (content["code"], content["status"]) == ("not_permitted", 403)
    assert content["actor_jurisdiction"] == BICHENG


async def test_unknown_malformed_and_unauthenticated(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    assert (await http.get(f"/v1/cases/{uuid.uuid4()}/household", headers=auth())).status_code == 404
    malformed = await http.get("/v1/cases/not-a-case/household", headers=auth())
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["path", "case_id"]
    assert (await http.get(f"/v1/cases/{uuid.uuid4()}/household")).status_code == 401


async def test_it_is_published_with_the_cases(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/openapi.json")).json()

    operation = spec["paths"]["/v1/cases/{case_id}/household"]["get"]

    assert operation["tags"] == ["cases"]
    assert {"401", "403", "404"} <= set(operation["responses"])
