"""The authorization matrix (issue 7 item 3): every endpoint × every human role × the caller's jurisdiction
relative to the object (own / other township / parent county), generated from the policy table and the app's
routes, checked cell by cell against the real API (Temporal dev server, worker, PostgreSQL).

Per cell the expectation comes from ``REVIEWED_POLICY`` — the policy table as reviewed, pinned here so that a
change to ``api/policy.py`` must be made in both places — and from the jurisdiction relation:

- the role lacks the route's right → 403 naming the right;
- else the object (the case, the township of a roll, the village of an application) lies outside the
  caller's jurisdiction → 403 naming the jurisdiction;
- else the call goes through → the status the endpoint gives for the request sent (200, or 409/422 where the
  request is built to be refused by the domain for another reason — a step at the wrong stage, an application
  without an applicant — so that nothing changes but the cell still proves authorization let it through).

Every 403 must carry no case data, and must be in the audit ledger (one refusal, in the caller's name, on the
case when the path names one). The household endpoint is checked at property level too: full resident ID
numbers only for the roles with ``resident_id.full`` (and that read in the ledger), masked for the others.

``check_cell`` is a plain function of a policy: the loosening tests grant one more role per right (and make
``Actor.covers`` always true) and show the same check then reports the loosened cells.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from fastapi.routing import APIRoute

import api.policy
from adapters.auth import issue_token
from adapters.settings import Settings
from api.console.routes import console_actor
from api.policy import POLICY, Permission
from api.routes import codec as codec_routes
from domain.actors import HUMAN_ROLES, Actor, Role
from tests.builders import (
    BICHENG,
    BICHENG_VILLAGE,
    JINSHAN,
    JINSHAN_VILLAGE,
    application_body,
    unique_resident_id,
)
from tests.workflows.helpers import wait_for_case_row

COUNTY = "532302"
ROLL_MONTH = "1999-07"  # a month no other test draws a roll for
NO_VERSION = "matrix-no-such-version"
#: A full resident ID number (GB 11643-1999) anywhere in a text.
FULL_ID = re.compile(r"\d{17}[\dX]")
MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")

# --- the rules as reviewed ----------------------------------------------------------------------------------

_ROLL_MAKERS = frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.TOWNSHIP_APPROVER})
#: The policy table as reviewed (api/policy.py gives the legal reasons). A test pins POLICY to it: loosening a
#: rule there fails that test, and the cells, which take their expectations from here.
REVIEWED_POLICY: Mapping[Permission, frozenset[Role]] = MappingProxyType({
    Permission.CASE_CREATE: frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE}),
    Permission.CASE_READ: HUMAN_ROLES,
    Permission.CASE_COMMAND: HUMAN_ROLES - {Role.AUDITOR},
    Permission.DATA_ALERT_RAISE: frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_CASEWORKER}),
    Permission.PAYMENT_ROLL_GENERATE: _ROLL_MAKERS,
    Permission.PAYMENT_ROLL_READ: _ROLL_MAKERS | {Role.SUPERVISOR, Role.AUDITOR},
    Permission.PAYEE_WRITE: frozenset({Role.FRONT_OFFICE, Role.TOWNSHIP_CASEWORKER}),
    # The 一卡通 bank file (full account and ID numbers): the county bureau that orders the payment (issue 19).
    Permission.PAYMENT_BANK_FILE: frozenset({Role.COUNTY_APPROVER}),
    Permission.STANDARD_CHANGE_PREVIEW: frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER,
                                                   Role.SUPERVISOR, Role.AUDITOR}),
    Permission.STANDARD_CHANGE_APPLY: frozenset({Role.COUNTY_APPROVER}),
    Permission.CASE_LIST: HUMAN_ROLES,  # the village committee: its own village's cases (issue 19)
    Permission.REPORT_READ: frozenset({Role.SUPERVISOR, Role.AUDITOR, Role.COUNTY_REVIEWER,
                                       Role.COUNTY_APPROVER, Role.TOWNSHIP_APPROVER}),
    Permission.AUDIT_READ: frozenset({Role.AUDITOR, Role.SUPERVISOR}),
    Permission.PAYLOAD_DECODE: frozenset({Role.AUDITOR, Role.SUPERVISOR}),
    Permission.RESIDENT_ID_FULL: frozenset({Role.FRONT_OFFICE, Role.TOWNSHIP_CASEWORKER,
                                            Role.TOWNSHIP_APPROVER, Role.COUNTY_REVIEWER,
                                            Role.COUNTY_APPROVER}),
    Permission.REFERRAL_READ: frozenset({Role.FRONT_OFFICE, Role.TOWNSHIP_CASEWORKER, Role.TOWNSHIP_APPROVER,
                                         Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.SUPERVISOR}),
    Permission.TEKUN_CHECK_DRAW: frozenset({Role.COUNTY_REVIEWER}),
    Permission.TEKUN_INSTITUTIONS_READ: frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER,
                                                  Role.TOWNSHIP_CASEWORKER, Role.TOWNSHIP_APPROVER,
                                                  Role.SUPERVISOR}),
    Permission.RESERVE_FUND_READ: frozenset({Role.TOWNSHIP_CASEWORKER, Role.TOWNSHIP_APPROVER, Role.COUNTY_REVIEWER,
                                             Role.COUNTY_APPROVER, Role.SUPERVISOR, Role.AUDITOR}),
    Permission.RESERVE_FUND_REPLENISH: frozenset({Role.COUNTY_APPROVER}),
    Permission.EMERGENCY_REPORT: frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE, Role.TOWNSHIP_CASEWORKER,
                                            Role.TOWNSHIP_APPROVER, Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER}),
})


class Rel(StrEnum):
    """The caller's jurisdiction relative to the object: the 金山镇 case, roll or village."""

    OWN = "own"  # the object's township (a village committee: its village)
    OTHER = "other"  # 碧城镇 (a village committee: a village of 碧城镇)
    PARENT = "parent"  # the county, 禄丰市


def jurisdiction_of(role: Role, rel: Rel) -> str:
    village = role is Role.VILLAGE_COMMITTEE
    return {Rel.OWN: JINSHAN_VILLAGE if village else JINSHAN,
            Rel.OTHER: BICHENG_VILLAGE if village else BICHENG,
            Rel.PARENT: COUNTY}[rel]


def inside(jurisdiction: str, code: str) -> bool:
    """The rule, written independently of the code under test: a code lies inside a jurisdiction that is a
    prefix of it (README: "a county code covers its townships and villages")."""
    return code.startswith(jurisdiction)


#: The object each kind of scope is about: all in 金山镇.
OBJECT_CODE = {"case": JINSHAN_VILLAGE, "township": JINSHAN, "village": JINSHAN_VILLAGE}

# --- the routes ---------------------------------------------------------------------------------------------

#: One command per role that the domain lets the role take but not in stage ``submitted`` (→ 409): the cell
#: shows the policy table and the jurisdiction check let it through without changing the case.
COMMAND_FOR: dict[Role, dict[str, Any]] = {
    Role.FRONT_OFFICE: {"type": "log_objection", "real_name": True, "content": "矩阵测试"},
    Role.VILLAGE_COMMITTEE: {"type": "log_objection", "real_name": True, "content": "矩阵测试"},
    Role.TOWNSHIP_CASEWORKER: {"type": "log_objection", "real_name": True, "content": "矩阵测试"},
    Role.TOWNSHIP_APPROVER: {"type": "decide_village_review", "disputed": False, "reason": "矩阵测试"},
    Role.COUNTY_REVIEWER: {"type": "start_county_review"},
    Role.COUNTY_APPROVER: {"type": "approve", "reason": "矩阵测试"},
    Role.SUPERVISOR: {"type": "log_complaint", "real_name": True, "content": "矩阵测试"},
    Role.AUDITOR: {"type": "log_objection", "real_name": True, "content": "矩阵测试"},
}

Body = Callable[[Role], Any]


def _no_applicant(_: Role) -> dict[str, Any]:
    """A well-formed application the domain refuses after the jurisdiction check (422): no applicant."""
    body = application_body(JINSHAN_VILLAGE)
    body["members"] = [{**body["members"][1], "relation": "child"}]  # type: ignore[index]
    return body


def _emergency(_: Role) -> dict[str, Any]:
    """先行救助: an emergency reported (a 临时救助 case opened in urgent_reported)."""
    body = application_body(JINSHAN_VILLAGE)
    body.pop("program", None)
    return {**body, "temporary": {"kind": "emergency", "cause": "fire", "situation": "矩阵测试", "urgent": "hotline"}}


def _intake(_: Role) -> dict[str, Any]:
    """一门受理: a household's situation screened (nothing opened)."""
    body = application_body(JINSHAN_VILLAGE)
    body.pop("program", None)
    return body


def _alert(_: Role) -> dict[str, Any]:
    return {"source": "矩阵测试", "alerts": [{"resident_id": unique_resident_id(1950), "alert": "death",
                                            "occurred_on": "2026-01-05"}]}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permission: Permission
    #: Whose jurisdiction is checked: the case of the path, the township of a roll, the village applied for.
    scope: str | None
    #: The statuses of a call let through, for the request this table sends.
    ok: frozenset[int]
    body: Body | None = None
    #: Changes something (a roll, a payee): its cells run one at a time.
    serial: bool = False


def _ep(method: str, path: str, permission: Permission, scope: str | None, *ok: int, body: Body | None = None,
        serial: bool = False) -> Endpoint:
    return Endpoint(method, path, permission, scope, frozenset(ok), body, serial)


P = Permission
#: Every route of the API and the right its guard checks. ``test_the_table_covers_every_route`` checks it
#: against the app: a route missing here, or guarded by another right, fails.
ENDPOINTS: tuple[Endpoint, ...] = (
    _ep("POST", "/v1/cases", P.CASE_CREATE, "village", 422, body=_no_applicant),
    _ep("GET", "/v1/cases", P.CASE_LIST, None, 200),
    _ep("GET", "/v1/cases/{case_id}", P.CASE_READ, "case", 200),
    _ep("POST", "/v1/cases/{case_id}/commands", P.CASE_COMMAND, "case", 409,
        body=lambda role: {"command": COMMAND_FOR[role]}),
    _ep("GET", "/v1/cases/{case_id}/trail", P.CASE_READ, "case", 200),
    _ep("GET", "/v1/cases/{case_id}/household", P.CASE_READ, "case", 200),
    # 受理通知书: the case is not accepted yet.
    _ep("GET", "/v1/cases/{case_id}/notices/{kind}", P.CASE_READ, "case", 409),
    _ep("GET", "/v1/cases/{case_id}/history", P.AUDIT_READ, "case", 200),
    _ep("POST", "/v1/cases/{case_id}/replay", P.AUDIT_READ, "case", 200),
    _ep("GET", "/v1/cases/{case_id}/ledger", P.AUDIT_READ, "case", 200),
    _ep("GET", "/v1/cases/{case_id}/decisions/{seq}/as-of", P.AUDIT_READ, "case", 422),  # seq 1: not computed
    _ep("PUT", "/v1/cases/{case_id}/payee", P.PAYEE_WRITE, "case", 200, serial=True,
        body=lambda _: {"bank_name": "禄丰农村商业银行", "account_number": "6228480012345678"}),
    _ep("GET", "/v1/reports/stages", P.REPORT_READ, None, 200),
    _ep("GET", "/v1/reports/overdue-by-township", P.REPORT_READ, None, 200),
    _ep("GET", "/v1/reports/sla-breaches", P.REPORT_READ, None, 200),
    _ep("GET", "/v1/reports/monthly-caseload", P.REPORT_READ, None, 200),
    _ep("GET", "/v1/reports/waiting-on/{role}", P.REPORT_READ, None, 200),
    _ep("GET", "/v1/reports/provisional-deadlines", P.REPORT_READ, None, 200),
    _ep("POST", "/v1/data-alerts", P.DATA_ALERT_RAISE, None, 200, body=_alert),  # no_active_case
    _ep("POST", "/v1/payment-rolls", P.PAYMENT_ROLL_GENERATE, "township", 200, 201, serial=True,
        body=lambda _: {"township_code": JINSHAN, "month": ROLL_MONTH}),
    _ep("GET", "/v1/payment-rolls/{township_code}/{month}", P.PAYMENT_ROLL_READ, "township", 200, 404),
    _ep("GET", "/v1/reserve-funds/shortfalls", P.RESERVE_FUND_READ, None, 200),
    _ep("GET", "/v1/reports/temporary-granted", P.REPORT_READ, None, 200),
    _ep("GET", "/v1/reports/urgent-awaiting-regularisation", P.REPORT_READ, None, 200),
    _ep("GET", "/v1/reserve-funds/{township_code}", P.RESERVE_FUND_READ, "township", 200),
    _ep("POST", "/v1/reserve-funds/{township_code}/replenishments", P.RESERVE_FUND_REPLENISH, "township", 201,
        serial=True, body=lambda _: {"amount": "100.00", "reason": "矩阵测试"}),
    _ep("GET", "/v1/reserve-funds/{township_code}/statements/{month}.csv", P.RESERVE_FUND_READ, "township", 200),
    _ep("GET", "/v1/reserve-funds/{township_code}/statements/{month}.html", P.RESERVE_FUND_READ, "township", 200),
    _ep("GET", "/v1/payment-rolls/{township_code}/{month}.csv", P.PAYMENT_ROLL_READ, "township", 200, 404),
    _ep("GET", "/v1/payment-rolls/{township_code}/{month}.html", P.PAYMENT_ROLL_READ, "township", 200, 404),
    # 台账 to Excel (issue 19 item 7).
    _ep("GET", "/v1/cases.xlsx", P.CASE_LIST, None, 200),
    _ep("GET", "/v1/reports.xlsx", P.REPORT_READ, None, 200),
    _ep("GET", "/v1/payment-rolls/{township_code}/{month}.xlsx", P.PAYMENT_ROLL_READ, "township", 200, 404),
    _ep("GET", "/v1/payment-rolls/{township_code}/{month}/bank-file.xlsx", P.PAYMENT_BANK_FILE, "township",
        200, 404),
    _ep("POST", "/v1/standard-changes/preview", P.STANDARD_CHANGE_PREVIEW, None, 422,
        body=lambda _: {"version": NO_VERSION}),
    _ep("POST", "/v1/standard-changes/apply", P.STANDARD_CHANGE_APPLY, None, 422,
        body=lambda _: {"version": NO_VERSION}),
    _ep("GET", "/v1/standard-changes/{version}", P.STANDARD_CHANGE_PREVIEW, None, 404),
    # Referrals (S4 Art. 60): a referral outside the caller's jurisdiction is not found (404), like a random id.
    _ep("GET", "/v1/referrals", P.REFERRAL_READ, None, 200),
    _ep("GET", "/v1/referrals/{referral_id}", P.REFERRAL_READ, None, 404),
    _ep("GET", "/v1/referrals/{referral_id}/application", P.REFERRAL_READ, None, 404),
    # 特困 (S3 Art. 16; S4 Art. 19): no submission of 金山镇 awaits a draw (409); a random draw id is not found.
    _ep("POST", "/v1/tekun/county-check-draws", P.TEKUN_CHECK_DRAW, "township", 409,
        body=lambda _: {"township_code": JINSHAN}),
    _ep("GET", "/v1/tekun/county-check-draws/{draw_id}", P.TEKUN_CHECK_DRAW, None, 404),
    _ep("GET", "/v1/tekun/institutions", P.TEKUN_INSTITUTIONS_READ, None, 200),
    _ep("GET", "/v1/tekun/institutions/{institution_id}/waiting-list", P.TEKUN_INSTITUTIONS_READ, None, 200),
    _ep("POST", "/v1/emergencies", P.EMERGENCY_REPORT, "village", 201, body=_emergency),
    # 一门受理: an intake outside the caller's jurisdiction is not found (404), like a random id.
    _ep("POST", "/v1/intakes", P.CASE_CREATE, "village", 201, body=_intake),
    _ep("GET", "/v1/intakes/{intake_id}", P.CASE_CREATE, None, 404),
    _ep("POST", "/codec/decode", P.PAYLOAD_DECODE, None, 200, body=lambda _: {"payloads": []}),
    _ep("POST", "/codec/encode", P.PAYLOAD_DECODE, None, 200, body=lambda _: {"payloads": []}),
)
BY_ROUTE = {(e.method, e.path): e for e in ENDPOINTS}

#: Open to everyone: liveness, readiness and the API's documentation.
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/openapi.json"), ("GET", "/docs"),
          ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"), ("HEAD", "/openapi.json"), ("HEAD", "/docs"),
          ("HEAD", "/docs/oauth2-redirect"), ("HEAD", "/redoc"), ("GET", "/")}  # / → /console
#: The web console (cookie session, HTML pages, tests/api/test_console.py): the login pages are open, every
#: other page is guarded by ``console_actor`` (CASE_READ); case pages check the jurisdiction.
CONSOLE_OPEN = {("GET", "/console/login"), ("POST", "/console/login"), ("GET", "/console/logout"),
                ("POST", "/console/logout")}
CONSOLE_GUARDED = {("GET", "/console"), ("GET", "/console/cases"), ("GET", "/console/cases/{case_id}"),
                   ("GET", "/console/cases/{case_id}/notices/{kind}"),
                   # the workbench (issue 19, tests/api/test_workbench.py)
                   ("GET", "/console/work"), ("GET", "/console/search"), ("POST", "/console/search"),
                   ("GET", "/console/cases/{case_id}/household"),
                   # a step from its form goes through POST /v1/cases/{id}/commands (tests/api/test_console_forms.py)
                   ("POST", "/console/cases/{case_id}/commands/{command_type}"),
                   ("GET", "/console/intake"), ("POST", "/console/intake"),
                   ("GET", "/console/reserve-funds/{township_code}"), ("GET", "/console/intakes/{intake_id}"),
                   # the case list's 台账 as Excel (issue 19 item 7, tests/api/test_excel_exports_api.py)
                   ("GET", "/console/cases.xlsx"),
                   # issue 16 item 8 (tests/api/test_urgent_console.py): 先行救助 through POST /v1/emergencies and
                   # the grant command, 一门受理 through POST /v1/intakes and /v1/cases, the funds' balances
                   ("GET", "/console/urgent"), ("POST", "/console/urgent"), ("GET", "/console/reserve-funds"),
                   ("GET", "/console/intakes/new"), ("POST", "/console/intakes/new"),
                   ("POST", "/console/intakes/{intake_id}/open"),
                   # issue 17 item 5: 高龄津贴 生存认证到期名单 (tests/api/test_survival_checks_console.py)
                   ("GET", "/console/survival-checks")}
#: Guards of their own (not ``require``), and the right each checks.
OWN_GUARDS: dict[Callable[..., Any], Permission] = {codec_routes._codec_actor: P.PAYLOAD_DECODE,
                                                    console_actor: P.CASE_READ}

# --- the world: one case in 金山镇, one in 碧城镇 ----------------------------------------------------------


@dataclass
class World:
    http: httpx.AsyncClient
    settings: Settings
    pool: asyncpg.Pool
    case_id: str  # in 金山镇 (JINSHAN_VILLAGE), stage submitted
    other_case_id: str  # in 碧城镇
    members: list[dict[str, Any]]
    #: Strings a refusal must not contain: the case's stage, codes and place names, its members.
    secrets: list[str] = field(default_factory=list)

    def headers(self, role: Role, jurisdiction: str, sub: str) -> dict[str, str]:
        token = issue_token(self.settings, sub=sub, role=role, jurisdiction=jurisdiction,
                            now=datetime.now(UTC))
        return {"Authorization": f"Bearer {token}"}

    def url(self, ep: Endpoint) -> str:
        return ep.path.format(case_id=self.case_id, kind="acceptance", seq=1, township_code=JINSHAN,
                              month=ROLL_MONTH, role="front_office", version=NO_VERSION,
                              referral_id="00000000-0000-4000-8000-000000000000",
                              draw_id="00000000-0000-4000-8000-000000000000",
                              institution_id="532302101-jinshan-jly",
                              intake_id="00000000-0000-4000-8000-000000000000")


@pytest_asyncio.fixture(scope="module")
async def world(app: FastAPI, api_settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[World]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://casework.test") as http:
        ids = []
        bodies = [application_body(JINSHAN_VILLAGE), application_body(BICHENG_VILLAGE)]
        for body, township in zip(bodies, (JINSHAN, BICHENG), strict=True):
            token = issue_token(api_settings, sub="mx-window", role=Role.FRONT_OFFICE, jurisdiction=township,
                                now=datetime.now(UTC))
            created = await http.post("/v1/cases", json=body, headers={"Authorization": f"Bearer {token}"})
            assert created.status_code == 201, created.text
            ids.append(created.json()["case_id"])
            await wait_for_case_row(pg_pool, uuid.UUID(ids[-1]))
        members: list[dict[str, Any]] = bodies[0]["members"]  # type: ignore[assignment]
        secrets = ["submitted", JINSHAN_VILLAGE, JINSHAN, "金山", "碧城",
                   *(m["name"] for m in members), *(m["resident_id"] for m in members)]
        yield World(http, api_settings, pg_pool, ids[0], ids[1], members, secrets)


# --- one cell -----------------------------------------------------------------------------------------------


class Expect(StrEnum):
    ALLOWED = "allowed"
    ROLE = "403 for the role"
    JURISDICTION = "403 for the jurisdiction"


def expectation(ep: Endpoint, role: Role, rel: Rel, policy: Mapping[Permission, frozenset[Role]]) -> Expect:
    if role not in policy[ep.permission]:
        return Expect.ROLE
    if ep.scope is not None and not inside(jurisdiction_of(role, rel), OBJECT_CODE[ep.scope]):
        return Expect.JURISDICTION
    return Expect.ALLOWED


@dataclass(frozen=True)
class Cell:
    endpoint: Endpoint
    role: Role
    rel: Rel

    def __str__(self) -> str:
        return f"{self.endpoint.method} {self.endpoint.path} × {self.role.value} × {self.rel.value}"


async def _ledger_of(w: World, sub: str) -> list[dict[str, Any]]:
    rows = await w.pool.fetch(
        "SELECT kind, case_id, content FROM audit_ledger WHERE actor_id = $1 ORDER BY position", sub)
    return [{"kind": r["kind"], "case_id": r["case_id"], **json.loads(r["content"])} for r in rows]


async def check_cell(w: World, cell: Cell, policy: Mapping[Permission, frozenset[Role]] = REVIEWED_POLICY,
                     ) -> str | None:
    """Call the cell's endpoint as its role and jurisdiction; None if the answer is what ``policy`` (and the
    jurisdiction rule) says, else what is wrong, naming the cell."""
    ep, role, rel = cell.endpoint, cell.role, cell.rel
    sub = f"mx-{uuid.uuid4().hex[:16]}"
    headers = w.headers(role, jurisdiction_of(role, rel), sub)
    body = ep.body(role) if ep.body else None
    response = await w.http.request(ep.method, w.url(ep), headers=headers, json=body)
    expect = expectation(ep, role, rel, policy)
    problems: list[str] = []
    status, text = response.status_code, response.text
    if expect is Expect.ALLOWED:
        if status not in ep.ok:
            problems.append(f"expected one of {sorted(ep.ok)}")
    elif status != 403:
        problems.append("expected 403")
    else:
        detail = str(response.json().get("detail", ""))
        if expect is Expect.ROLE and ep.permission.value not in detail:
            problems.append(f"the 403 should name the right {ep.permission.value}")
        if expect is Expect.JURISDICTION and "jurisdiction" not in detail:
            problems.append("the 403 should name the jurisdiction")
    if status == 403:
        if set(response.json()) - {"detail", "code"}:
            problems.append("a 403 carries more than detail and code")
        leaked = [s for s in w.secrets if s in text]
        if leaked:
            problems.append(f"the 403 leaks {leaked}")
        refusals = [e for e in await _ledger_of(w, sub) if e["kind"] == "refusal"]
        want_case = uuid.UUID(w.case_id) if ep.scope == "case" else None
        if [(e["case_id"], e["status"]) for e in refusals] != [(want_case, 403)]:
            problems.append(f"the ledger should hold one 403 refusal on case {want_case}, holds {refusals}")
    if ep.path.endswith("/household") and status == 200:
        problems += await _household_problems(w, response, role, sub, policy)
    if problems:
        return f"{cell}: {expect.value}, got {status} {text[:160]!r} — " + "; ".join(problems)
    return None


async def _household_problems(w: World, response: httpx.Response, role: Role, sub: str,
                              policy: Mapping[Permission, frozenset[Role]]) -> list[str]:
    full = role in policy[P.RESIDENT_ID_FULL]
    answer = response.json()
    shown = [m["resident_id"] for m in answer["members"]]
    real = [m["resident_id"] for m in w.members]
    accesses = [e["action"] for e in await _ledger_of(w, sub) if e["kind"] == "access"]
    problems = []
    if full:
        if answer["resident_ids"] != "full" or shown != real:
            problems.append("full resident ID numbers expected")
        if accesses != ["household_full_ids"]:
            problems.append(f"the full read should be in the ledger, holds {accesses}")
    else:
        masked = [bool(MASKED_ID.fullmatch(s)) and s[:6] == r[:6] and s[-4:] == r[-4:]
                  for s, r in zip(shown, real, strict=True)]
        if answer["resident_ids"] != "masked" or not all(masked) or FULL_ID.search(response.text):
            problems.append("masked resident ID numbers expected (532302********0029)")
        if accesses:
            problems.append(f"a masked read is no full-ID access, the ledger holds {accesses}")
    if [m["name"] for m in answer["members"]] != [m["name"] for m in w.members]:
        problems.append("the members' names")
    return problems


async def check_cells(w: World, cells: Iterable[Cell],
                      policy: Mapping[Permission, frozenset[Role]] = REVIEWED_POLICY) -> dict[Cell, str]:
    """Every cell checked (read-only ones concurrently); the failing ones with what is wrong."""
    cells = list(cells)
    gate = asyncio.Semaphore(12)

    async def one(cell: Cell) -> tuple[Cell, str | None]:
        async with gate:
            return cell, await check_cell(w, cell, policy)

    results = list(await asyncio.gather(*(one(c) for c in cells if not c.endpoint.serial)))
    for cell in (c for c in cells if c.endpoint.serial):
        results.append((cell, await check_cell(w, cell, policy)))
    return {cell: problem for cell, problem in results if problem is not None}


def cells_of(endpoints: Iterable[Endpoint], roles: Iterable[Role] = HUMAN_ROLES,
             rels: Iterable[Rel] = Rel) -> list[Cell]:
    return [Cell(ep, role, rel) for ep in endpoints for role in sorted(roles) for rel in rels]


ALL_CELLS = cells_of(ENDPOINTS)

# --- the table against the app and the policy ---------------------------------------------------------------


def test_the_policy_table_is_the_reviewed_one() -> None:
    """A rule changed in api/policy.py must be changed here too, on purpose: loosening one fails this."""
    assert set(POLICY) == set(REVIEWED_POLICY), "a right was added or removed: review it here"
    changed = {p.value: {"granted": sorted(POLICY[p] - REVIEWED_POLICY[p]),
                         "withdrawn": sorted(REVIEWED_POLICY[p] - POLICY[p])}
               for p in POLICY if POLICY[p] != REVIEWED_POLICY[p]}
    assert not changed, changed


def _guards(dependant: Any) -> set[Permission]:
    found: set[Permission] = set()
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        if getattr(dep.call, "permission", None) is not None:
            found.add(dep.call.permission)
        if dep.call in OWN_GUARDS:
            found.add(OWN_GUARDS[dep.call])
        stack.extend(dep.dependencies)
    return found


def _routes(app: FastAPI) -> dict[tuple[str, str], set[Permission]]:
    """Every (method, path) the app serves, with the rights its guards check. Routers included in the app
    are walked through (FastAPI ≥ 0.16x keeps them as included-router entries with their own route list)."""
    out: dict[tuple[str, str], set[Permission]] = {}
    for entry in app.routes:
        contexts = getattr(entry, "effective_route_contexts", None)
        for route in contexts() if contexts is not None else [entry]:
            original = getattr(route, "original_route", route)
            dependant = getattr(route, "dependant", None) if isinstance(original, APIRoute) else None
            guards = _guards(dependant) if dependant is not None else set()
            for method in getattr(route, "methods", None) or ():
                out[(method, getattr(original, "path", ""))] = guards
    return out


def test_the_table_covers_every_route(app: FastAPI) -> None:
    """Every route of the app is in the matrix with the right its guard checks (or is declared public, or is
    a console page): a new route without an entry fails here."""
    routes = _routes(app)
    unlisted = set(routes) - set(BY_ROUTE) - PUBLIC - CONSOLE_OPEN - CONSOLE_GUARDED
    assert not unlisted, f"routes missing from the authorization matrix: {sorted(unlisted)}"
    assert not (set(BY_ROUTE) - set(routes)), "the matrix names routes the app does not have"
    wrong = {k: (sorted(routes[k]), BY_ROUTE[k].permission) for k in BY_ROUTE
             if routes[k] != {BY_ROUTE[k].permission}}
    assert not wrong, f"routes guarded by another right than the matrix says: {wrong}"
    assert not {k for k in PUBLIC | CONSOLE_OPEN if routes.get(k)}, "public routes take no right"
    assert all(routes[k] == {P.CASE_READ} for k in CONSOLE_GUARDED), "console pages need the console guard"
    assert OWN_GUARDS[codec_routes._codec_actor].name in codec_routes._codec_actor.__code__.co_names
    # The published API, independently of how the routes are stored: every operation is in the matrix.
    published = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    assert published - PUBLIC <= set(BY_ROUTE), sorted(published - PUBLIC - set(BY_ROUTE))


def test_the_matrix_covers_every_right_role_and_relation() -> None:
    rights = {e.permission for e in ENDPOINTS} | {P.RESIDENT_ID_FULL}  # the last: on the household endpoint
    assert rights == set(Permission)
    assert len(ALL_CELLS) == len(ENDPOINTS) * len(HUMAN_ROLES) * len(Rel)
    assert set(COMMAND_FOR) == HUMAN_ROLES
    kinds = {expectation(c.endpoint, c.role, c.rel, REVIEWED_POLICY) for c in ALL_CELLS}
    assert kinds == set(Expect)


# --- the cells ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
async def test_every_cell(world: World, endpoint: Endpoint) -> None:
    """Each role × own / other / parent jurisdiction on the endpoint answers as the reviewed policy says."""
    failures = await check_cells(world, cells_of([endpoint]))
    assert not failures, "\n".join(failures.values())


# --- jurisdiction cut of the lists --------------------------------------------------------------------------

LISTS = ("/v1/cases", "/v1/reports/overdue-by-township", "/v1/reports/sla-breaches",
         "/v1/reports/monthly-caseload", "/v1/reports/waiting-on/front_office", "/v1/reports/stages",
         "/v1/reports/provisional-deadlines")


def _townships_in(answer: Any) -> set[str]:
    rows = answer["rows"] if isinstance(answer, dict) and "rows" in answer else answer
    if isinstance(rows, dict):  # the stage funnel: counts only
        return set()
    return {row["township_code"] for row in rows}


async def check_cuts(w: World) -> list[str]:
    """A township supervisor sees no other township's rows in any list or report; the county sees both
    townships' cases; a filter naming the other township answers nothing."""
    problems = []
    township = w.headers(Role.SUPERVISOR, JINSHAN, "mx-sup-jinshan")
    county = w.headers(Role.SUPERVISOR, COUNTY, "mx-sup-county")
    for path in LISTS:
        response = await w.http.get(path, headers=township)
        if response.status_code != 200:
            problems.append(f"{path}: {response.status_code}")
            continue
        foreign = _townships_in(response.json()) - {JINSHAN}
        if foreign:
            problems.append(f"{path}: a 金山镇 supervisor sees rows of {sorted(foreign)}")
        if w.other_case_id in response.text:
            problems.append(f"{path}: a 金山镇 supervisor sees the 碧城镇 case")
    filtered = await w.http.get("/v1/cases", params={"township_code": BICHENG}, headers=township)
    if filtered.status_code != 200 or filtered.json()["rows"]:
        problems.append("/v1/cases?township_code=碧城镇: a 金山镇 supervisor gets rows")
    for case_id, code in ((w.case_id, JINSHAN), (w.other_case_id, BICHENG)):
        listed = await w.http.get("/v1/cases", params={"township_code": code}, headers=county)
        if case_id not in listed.text:
            problems.append(f"/v1/cases?township_code={code}: the county does not see its case")
    funnel_township = (await w.http.get("/v1/reports/stages", headers=township)).json()
    funnel_county = (await w.http.get("/v1/reports/stages", headers=county)).json()
    if sum(funnel_township.values()) >= sum(funnel_county.values()):
        problems.append("/v1/reports/stages: the township's funnel counts as much as the county's")
    return problems


async def test_lists_and_reports_are_cut_to_the_jurisdiction(world: World) -> None:
    assert await check_cuts(world) == []


# --- every denial in the ledger, once -----------------------------------------------------------------------


async def test_each_kind_of_denial_is_written_once_with_who_and_what(world: World) -> None:
    """The policy table's refusal names the right; a jurisdiction refusal names the route; the domain's
    refusal of a step is written by the command route and not again by the error handler; a denial outside
    any case has no case id."""
    w = world
    cases = [
        ("POST", f"/v1/cases/{w.case_id}/commands", Role.AUDITOR, JINSHAN,
         {"command": COMMAND_FOR[Role.AUDITOR]}, uuid.UUID(w.case_id), "POST case.command"),
        ("GET", f"/v1/cases/{w.case_id}", Role.TOWNSHIP_CASEWORKER, BICHENG, None, uuid.UUID(w.case_id),
         "GET /v1/cases/{case_id}"),
        ("POST", f"/v1/cases/{w.case_id}/commands", Role.TOWNSHIP_CASEWORKER, BICHENG,
         {"command": COMMAND_FOR[Role.TOWNSHIP_CASEWORKER]}, uuid.UUID(w.case_id), "log_objection"),
        ("GET", "/v1/reports/stages", Role.FRONT_OFFICE, JINSHAN, None, None, "GET report.read"),
        ("GET", f"/v1/payment-rolls/{JINSHAN}/{ROLL_MONTH}", Role.AUDITOR, BICHENG, None, None,
         "GET /v1/payment-rolls/{township_code}/{month}"),
        # The codec's own guard keeps no actor: the handler verifies the token again to name who was refused.
        ("POST", "/codec/decode", Role.FRONT_OFFICE, JINSHAN, {"payloads": []}, None, "POST /codec/decode"),
    ]
    for method, url, role, jurisdiction, body, case_id, command in cases:
        sub = f"mx-{uuid.uuid4().hex[:16]}"
        response = await w.http.request(method, url, json=body, headers=w.headers(role, jurisdiction, sub))
        assert response.status_code == 403, response.text
        entries = await _ledger_of(w, sub)
        assert [(e["kind"], e["case_id"], e["command"], e["code"], e["status"]) for e in entries] == [
            ("refusal", case_id, command, "not_permitted", 403)], (url, entries)
        assert entries[0]["actor_jurisdiction"] == jurisdiction
        assert entries[0]["message"] == response.json()["detail"]


async def test_a_denial_that_cannot_be_written_is_still_a_403(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Recording never changes the answer: a failing ledger leaves a 403 (and a logged error), not a 500."""
    import api.errors

    async def broken(*_: Any, **__: Any) -> None:
        raise ConnectionError("ledger down")

    monkeypatch.setattr(api.errors, "log_refusal", broken)
    response = await world.http.get(f"/v1/cases/{world.case_id}",
                                    headers=world.headers(Role.SUPERVISOR, BICHENG, "mx-ledger-down"))
    assert response.status_code == 403
    assert response.json() == {"detail": "case lies outside the actor's jurisdiction",
                               "code": "not_permitted"}


# --- loosening any single rule is caught --------------------------------------------------------------------


def _patch_policy(monkeypatch: pytest.MonkeyPatch, policy: Mapping[Permission, frozenset[Role]]) -> None:
    """Make every module that reads the policy table read ``policy`` instead."""
    original = api.policy.POLICY
    patched = MappingProxyType(dict(policy))
    for name, module in list(sys.modules.items()):
        if (name == "api" or name.startswith("api.")) and getattr(module, "POLICY", None) is original:
            monkeypatch.setattr(module, "POLICY", patched)


def _loosened(permission: Permission, role: Role) -> dict[Permission, frozenset[Role]]:
    return {**REVIEWED_POLICY, permission: REVIEWED_POLICY[permission] | {role}}


LOOSENABLE = [p for p in Permission if REVIEWED_POLICY[p] != HUMAN_ROLES]


@pytest.mark.parametrize("permission", LOOSENABLE, ids=lambda p: p.value)
async def test_granting_one_more_role_a_right_is_reported_by_the_matrix(
    world: World, monkeypatch: pytest.MonkeyPatch, permission: Permission,
) -> None:
    """For each role the right is withheld from: grant it in the policy table the app reads, run the cells of
    that right for that role, and the check reports them — inside the jurisdiction (the call now goes
    through) and outside it (now refused for the jurisdiction, not the right); for full ID numbers, where
    the household is shown at all."""
    if permission is P.RESIDENT_ID_FULL:
        endpoints = [BY_ROUTE[("GET", "/v1/cases/{case_id}/household")]]
        rels = [Rel.OWN, Rel.PARENT]
    else:
        endpoints = [e for e in ENDPOINTS if e.permission is permission]
        rels = [Rel.OWN, Rel.OTHER]
    unreported = []
    for role in sorted(HUMAN_ROLES - REVIEWED_POLICY[permission]):
        with monkeypatch.context() as m:
            _patch_policy(m, _loosened(permission, role))
            failures = await check_cells(world, cells_of(endpoints, [role], rels))
        unreported += [str(c) for c in cells_of(endpoints, [role], rels) if c not in failures]
    assert not unreported, f"loosened, yet not reported: {unreported}"


def test_the_pinned_table_reports_a_loosened_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """And the pin: one more role for any right fails the policy-table test."""
    for permission in LOOSENABLE:
        extra = min(HUMAN_ROLES - REVIEWED_POLICY[permission])
        monkeypatch.setattr(sys.modules[__name__], "POLICY", MappingProxyType(_loosened(permission, extra)))
        with pytest.raises(AssertionError):
            test_the_policy_table_is_the_reviewed_one()
    monkeypatch.undo()
    test_the_policy_table_is_the_reviewed_one()


async def test_dropping_the_jurisdiction_check_is_reported_by_the_matrix(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``Actor.covers`` always true — in the routes and in the domain, which the workflow runs in this
    process's worker — every cell that expects a jurisdiction refusal is reported (a step at the wrong stage
    then even tells the other township the case's stage)."""
    cells = [c for c in ALL_CELLS
             if expectation(c.endpoint, c.role, c.rel, REVIEWED_POLICY) is Expect.JURISDICTION]
    assert {c.endpoint.scope for c in cells} == {"case", "township", "village"}
    with monkeypatch.context() as m:
        m.setattr(Actor, "covers", lambda self, code: True)
        failures = await check_cells(world, cells)
    unreported = [str(c) for c in cells if c not in failures]
    assert not unreported, f"jurisdiction dropped, yet not reported: {unreported}"


async def test_dropping_the_jurisdiction_cut_of_the_lists_is_reported(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the list and reports queried for the whole county whoever asks, the cut check reports it."""
    import api.routes.queries as queries

    def county_wide(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wide(pool: asyncpg.Pool, jurisdiction: str, *args: Any, **kwargs: Any) -> Any:
            return await fn(pool, jurisdiction[:6], *args, **kwargs)
        return wide

    with monkeypatch.context() as m:
        for name in ("list_cases", "stage_counts", "overdue_by_township", "sla_breaches", "monthly_caseload"):
            m.setattr(queries, name, county_wide(getattr(queries, name)))
        problems = await check_cuts(world)
    assert any("/v1/cases" in p for p in problems), problems
    assert any("stages" in p for p in problems), problems


# --- the console --------------------------------------------------------------------------------------------

#: What the console's pages show, and the right the API asks for the same data.
CONSOLE_PAGES = {"/console": P.REPORT_READ,  # stage funnel, overdue per township, monthly caseload
                 "/console/cases": P.CASE_LIST,
                 "/console/survival-checks": P.CASE_LIST}


async def test_the_console_follows_the_policy_table(world: World, app: FastAPI) -> None:
    from api.console.routes import COOKIE

    problems = []
    for role in sorted(HUMAN_ROLES):
        sub = f"mx-console-{uuid.uuid4().hex[:10]}"
        token = world.headers(role, jurisdiction_of(role, Rel.OWN), sub)["Authorization"][len("Bearer "):]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://casework.test",
                                     cookies={COOKIE: token}) as console:
            for path, permission in CONSOLE_PAGES.items():
                shown = (await console.get(path)).status_code == 200
                if shown != (role in REVIEWED_POLICY[permission]):
                    problems.append(f"{path} × {role.value}: {'shown' if shown else 'refused'}")
    sub = f"mx-console-{uuid.uuid4().hex[:10]}"
    token = world.headers(Role.TOWNSHIP_CASEWORKER, BICHENG, sub)["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://casework.test",
                                 cookies={COOKIE: token}) as console:
        refused = await console.get(f"/console/cases/{world.case_id}")
    if refused.status_code != 403 or not [e for e in await _ledger_of(world, sub) if e["kind"] == "refusal"]:
        problems.append(f"a console page refused for the jurisdiction ({refused.status_code}), unrecorded")
    assert not problems, problems
