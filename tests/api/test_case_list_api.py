"""``GET /v1/cases`` and ``/v1/reports/...`` end to end: always inside the caller's jurisdiction (issue 5).

The session database holds other tests' cases too, so these tests assert on their own cases and on what may
never appear (another township's case), not on exact totals; exact counts are in
``tests/integration/test_case_queries_pg.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.builders import BICHENG, BICHENG_VILLAGE, JINSHAN, JINSHAN_VILLAGE, application_body
from tests.workflows.helpers import wait_for_case_row


async def _create(http: httpx.AsyncClient, auth: TokenFactory, pool: asyncpg.Pool, village: str) -> str:
    created = await http.post(
        "/v1/cases", json=application_body(village), headers=auth(jurisdiction=village[:9])
    )
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await wait_for_case_row(pool, uuid.UUID(case_id))
    return case_id


async def _all_rows(http: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await http.get(
            "/v1/cases",
            params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        rows += page.json()["rows"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return rows


async def test_a_township_supervisor_lists_only_its_own_townships_cases(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    ours = await _create(http, auth, pg_pool, JINSHAN_VILLAGE)
    theirs = await _create(http, auth, pg_pool, BICHENG_VILLAGE)
    supervisor = auth(Role.SUPERVISOR, JINSHAN, sub="sup-01")

    rows = await _all_rows(http, supervisor)
    assert ours in {r["case_id"] for r in rows}
    assert {r["township_code"] for r in rows} == {JINSHAN}
    assert await _all_rows(http, supervisor, township_code=BICHENG) == []
    assert await _all_rows(http, supervisor, village_code=BICHENG_VILLAGE) == []

    county = await _all_rows(
        http, auth(Role.SUPERVISOR, "532302", sub="sup-02"), township_code=BICHENG, stage="submitted"
    )
    assert theirs in {r["case_id"] for r in county}
    assert {r["township_code"] for r in county} == {BICHENG}
    row = next(r for r in county if r["case_id"] == theirs)
    assert row["pending_step"] == "completeness_check"
    assert row["pending_roles"] == ["front_office"]
    assert "members" not in row
    assert "测试甲" not in str(county)


async def test_filters_repeat_stage_and_page_with_the_cursor(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    made = {await _create(http, auth, pg_pool, JINSHAN_VILLAGE) for _ in range(3)}
    headers = auth(Role.TOWNSHIP_CASEWORKER, JINSHAN, sub="inv-09")

    seen: list[str] = []
    cursor = None
    for _ in range(200):
        params: dict[str, Any] = {
            "limit": 1,
            "stage": ["submitted", "accepted"],
            "village_code": JINSHAN_VILLAGE,
        }
        if cursor:
            params["cursor"] = cursor
        page = (await http.get("/v1/cases", params=params, headers=headers)).json()
        seen += [r["case_id"] for r in page["rows"]]
        cursor = page["next_cursor"]
        if made <= set(seen) or cursor is None:
            break
    assert made <= set(seen)
    assert len(seen) == len(set(seen))
    waiting = await _all_rows(http, headers, pending_role="front_office", overdue="false")
    assert made <= {r["case_id"] for r in waiting}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"township_code": "5323021"}, "township_code"),
        ({"village_code": "abc"}, "village_code"),
        ({"stage": ["submitted", "nonsense"]}, "stage"),
        ({"pending_role": "system"}, "pending_role"),
        ({"cursor": "!!"}, "cursor"),
        ({"limit": "500"}, "limit"),
        ({"opened_from": "2026-13-01"}, "opened_from"),
        ({"overdue": "maybe"}, "overdue"),
    ],
)
async def test_bad_filters_answer_422_naming_the_parameter(
    http: httpx.AsyncClient, auth: TokenFactory, params: dict[str, Any], field: str
) -> None:
    answer = await http.get("/v1/cases", params=params, headers=auth(Role.SUPERVISOR, JINSHAN))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][:2] == ["query", field]


async def test_the_village_committee_lists_only_its_village_and_the_window_may_not_read_reports(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """Issue 19: the village committee sees its own village's cases (S1 Arts. 6, 16, 19, 24), never another's."""
    listed = await http.get("/v1/cases", headers=auth(Role.VILLAGE_COMMITTEE, JINSHAN_VILLAGE))
    assert listed.status_code == 200
    assert {r["village_code"] for r in listed.json()["rows"]} <= {JINSHAN_VILLAGE}
    other = await http.get("/v1/cases", params={"township_code": BICHENG},
                           headers=auth(Role.VILLAGE_COMMITTEE, JINSHAN_VILLAGE))
    assert other.status_code == 200 and other.json()["rows"] == []
    report = await http.get("/v1/reports/stages", headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert report.status_code == 403
    assert (await http.get("/v1/cases")).status_code == 401


async def test_post_and_get_by_id_still_reach_the_case_routes(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    case_id = await _create(http, auth, pg_pool, JINSHAN_VILLAGE)  # POST /v1/cases
    one = await http.get(f"/v1/cases/{case_id}", headers=auth())
    assert one.status_code == 200
    assert one.json()["case_id"] == case_id


async def test_reports_are_scoped_to_the_callers_jurisdiction(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    await _create(http, auth, pg_pool, BICHENG_VILLAGE)
    bicheng = auth(Role.TOWNSHIP_APPROVER, BICHENG, sub="tsa-03")
    jinshan = auth(Role.AUDITOR, JINSHAN, sub="aud-01")

    stages = (await http.get("/v1/reports/stages", headers=bicheng)).json()
    assert stages["submitted"] >= 1
    overdue = (await http.get("/v1/reports/overdue-by-township", headers=bicheng)).json()
    assert [t["township_code"] for t in overdue] == [BICHENG]
    assert overdue[0]["open_cases"] >= 1
    assert {
        t["township_code"]
        for t in (await http.get("/v1/reports/overdue-by-township", headers=jinshan)).json()
    } <= {JINSHAN}
    monthly = await http.get("/v1/reports/monthly-caseload", params={"months": 2}, headers=bicheng)
    assert monthly.status_code == 200
    assert {r["township_code"] for r in monthly.json()} == {BICHENG}
    assert len(monthly.json()) == 2
    assert monthly.json()[-1]["opened"] >= 1
    assert (
        await http.get("/v1/reports/monthly-caseload", params={"months": 0}, headers=bicheng)
    ).status_code == 422
    breaches = await http.get("/v1/reports/sla-breaches", headers=bicheng)
    assert breaches.status_code == 200

    waiting = await http.get("/v1/reports/waiting-on/front_office", headers=bicheng)
    assert waiting.status_code == 200
    assert {r["township_code"] for r in waiting.json()["rows"]} == {BICHENG}
    assert all("front_office" in r["pending_roles"] for r in waiting.json()["rows"])
    bad = await http.get("/v1/reports/waiting-on/mayor", headers=bicheng)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["path", "role"]
