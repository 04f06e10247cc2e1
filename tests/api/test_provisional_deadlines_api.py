"""``GET /v1/reports/provisional-deadlines`` (issue 20 item 8): the pending steps whose working-day deadline was
counted provisionally — weekdays only, in a year whose holiday schedule had not been entered (SPEC §0.1) — for
supervisors, inside their jurisdiction, with codes and dates only.

The provisional year is made up (2099) in the case's read-model row, so the report's filter finds this case
alone whatever the date the tests run on; the API reads the read model, as every report does."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx

from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.api.test_lifecycle_api import WINDOW, Api, household
from tests.builders import application_body
from tests.workflows.helpers import wait_for_case_row

COUNTY_SUPERVISOR = (Role.SUPERVISOR, "532302", "sup-01")
JINSHAN_APPROVER = (Role.TOWNSHIP_APPROVER, "532302101", "tsa-js")
BICHENG_SUPERVISOR = (Role.SUPERVISOR, "532302102", "sup-bc")
YEAR = 2099


async def test_supervisors_see_the_provisional_deadlines_of_their_jurisdiction_with_the_article(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool,
) -> None:
    """S1 Art. 22 (the 30-working-day overall limit), S1 Art. 15 (3 working days to start investigating)."""
    api = Api(http, auth)
    members = household("周一", "周二")
    created = await api.create(application_body(members=members))
    case_id = created.json()["case_id"]
    await api.ok(case_id, WINDOW, "accept_application")
    await wait_for_case_row(pg_pool, uuid.UUID(case_id))
    state = json.loads(await pg_pool.fetchval("SELECT state::text FROM cases WHERE case_id = $1", uuid.UUID(case_id)))
    overall = state["deadlines"]["overall"]
    made_up = overall["calendar_version"].split("+")[0] + f"+provisional-{YEAR}"
    await pg_pool.execute(
        "UPDATE cases SET state = jsonb_set(state, '{deadlines,overall,calendar_version}', to_jsonb($2::text)) "
        "WHERE case_id = $1", uuid.UUID(case_id), made_up)

    for who in (COUNTY_SUPERVISOR, JINSHAN_APPROVER):
        answer = await http.get(f"/v1/reports/provisional-deadlines?year={YEAR}", headers=api.headers(who))
        assert answer.status_code == 200, answer.text
        assert answer.json() == [{
            "case_id": case_id, "program": "dibao", "township_code": "532302101", "stage": "accepted",
            "step": "overall", "legal_basis": ["S1 Art. 22"], "due": overall["due"], "calendar_version": made_up,
            "provisional_from": YEAR, "escalated": False, "recount": "exact"}]
        assert not any(m.name in answer.text or m.resident_id in answer.text for m in members)
    everything = await http.get("/v1/reports/provisional-deadlines", headers=api.headers(COUNTY_SUPERVISOR))
    assert (case_id, "overall") in {(p["case_id"], p["step"]) for p in everything.json()}

    elsewhere = await http.get(f"/v1/reports/provisional-deadlines?year={YEAR}", headers=api.headers(BICHENG_SUPERVISOR))
    assert elsewhere.status_code == 200 and elsewhere.json() == []
    window = await http.get("/v1/reports/provisional-deadlines", headers=api.headers(WINDOW))
    assert window.status_code == 403
    bad = await http.get("/v1/reports/provisional-deadlines?year=1999", headers=api.headers(COUNTY_SUPERVISOR))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "year"]
