"""Hostile and bad input (issue 7 item 4): every request is refused with a clear 4xx and changes nothing.

The rules (README "Hostile input"; api/schemas.py, api/middleware.py):

- **No mass assignment**: every request body refuses unknown fields at every nesting level, so ``stage``,
  ``status``, ``amount``, ``version`` … smuggled into a body are a 422 naming the field, and nothing happens.
- **Limits**: bodies of at most ``CASEWORK_API_MAX_BODY_BYTES`` (413, before the body is read), JSON only
  under ``/v1/`` (415), lists, strings, amounts, dates and codes bounded, nesting at most ``MAX_DEPTH``.
- **Clear 422s**: the field and the reason, never the value sent (privacy).
- **Nothing written**: a refused application starts no workflow and claims no member; a refused command
  leaves the case's version, stage and recorded events as they were.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.settings import Settings
from api.middleware import RequestBodyGuardMiddleware
from api.schemas import COMMAND_TYPES, MAX_DEPTH
from domain.actors import Role
from domain.household import MAX_MEMBERS
from domain.programmes import all_stages
from tests.api.conftest import TokenFactory
from tests.builders import JINSHAN, application_body, resident_id, unique_resident_id, with_bad_check_digit

CASES = "/v1/cases"
COUNTY = "532302"


def _detail(response: httpx.Response) -> list[dict[str, Any]]:
    body = response.json()
    assert isinstance(body["detail"], list), body
    return body["detail"]


def _locs(response: httpx.Response) -> list[list[Any]]:
    return [d["loc"] for d in _detail(response)]


def _refused_422(response: httpx.Response, loc: list[Any], *, msg: str | None = None,
                 secret: str | None = None) -> None:
    """A 422 whose errors name ``loc`` (with ``msg`` in its message), and never echo ``secret``."""
    assert response.status_code == 422, response.text
    matching = [d for d in _detail(response) if d["loc"] == loc]
    assert matching, f"{loc} not in {_locs(response)}"
    if msg is not None:
        assert any(msg in d["msg"] for d in matching), matching
    if secret is not None:
        assert secret not in response.text, "an error must not echo the value sent"


async def _count_workflows(dev_env: WorkflowEnvironment, settings: Settings) -> int:
    q = f'WorkflowType = "CaseWorkflow" AND TaskQueue = "{settings.temporal_task_queue}"'
    return (await dev_env.client.count_workflows(q)).count


@asynccontextmanager
async def nothing_started(http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment,
                          settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[list[dict[str, Any]]]:
    """Yields a list to put refused application bodies in; afterwards checks that none of their members was
    claimed and that no workflow started: a valid application sent last is the only new workflow."""
    before = await _count_workflows(dev_env, settings)
    bodies: list[dict[str, Any]] = []
    yield bodies
    ids = [m["resident_id"] for b in bodies for m in b.get("members", []) if isinstance(m, dict)
           and isinstance(m.get("resident_id"), str)]
    claimed = await pool.fetchval("SELECT count(*) FROM case_members WHERE resident_id = ANY($1::text[])",
                                  ids)
    assert claimed == 0, "a refused application claimed its members"
    sentinel = await http.post(CASES, json=application_body(), headers=auth())
    assert sentinel.status_code == 201, sentinel.text
    count = -1
    for _ in range(100):  # visibility is eventually consistent: wait (bounded) for the sentinel to show
        count = await _count_workflows(dev_env, settings)
        if count >= before + 1:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert await _count_workflows(dev_env, settings) == before + 1, "a refused application started a workflow"


async def _new_case(http: httpx.AsyncClient, auth: TokenFactory) -> str:
    created = await http.post(CASES, json=application_body(), headers=auth())
    assert created.status_code == 201, created.text
    return str(created.json()["case_id"])


async def _read_standing(http: httpx.AsyncClient, auth: TokenFactory, pool: asyncpg.Pool,
                         case_id: str) -> tuple[int, str, int]:
    answer = await http.get(f"{CASES}/{case_id}", headers=auth())
    assert answer.status_code == 200, answer.text
    events = await pool.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1", uuid.UUID(case_id))
    return answer.json()["version"], answer.json()["stage"], events


async def _standing(http: httpx.AsyncClient, auth: TokenFactory, pool: asyncpg.Pool,
                    case_id: str) -> tuple[int, str, int]:
    """(version, stage, recorded events) of a case, read back through the API and the store once the
    workflow has recorded all it decided (the deadlines it sets after a step come a moment later)."""
    last = await _read_standing(http, auth, pool, case_id)
    for _ in range(100):
        await asyncio.sleep(0.3)
        now = await _read_standing(http, auth, pool, case_id)
        if now == last and now[2] > 0:
            return now
        last = now
    raise AssertionError(f"case {case_id} did not settle: {last}")


async def _command(http: httpx.AsyncClient, auth: TokenFactory, case_id: str, body: Any,
                   role: Role = Role.FRONT_OFFICE, jurisdiction: str = JINSHAN) -> httpx.Response:
    return await http.post(f"{CASES}/{case_id}/commands", json=body, headers=auth(role, jurisdiction))


def _member(name: str = "测试丙", relation: str = "child", **extra: Any) -> dict[str, Any]:
    return {"name": name, "resident_id": unique_resident_id(2012), "relation": relation, **extra}


# --- mass assignment ------------------------------------------------------------------------------------

SMUGGLED = {"stage": "approved", "status": "in_payment", "amount": "9999.00", "monthly_amount": "9999.00",
            "version": 99, "case_id": str(uuid.uuid4())}


async def test_fields_smuggled_into_an_application_are_422_naming_them_and_start_nothing(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings,
    pg_pool: asyncpg.Pool,
) -> None:
    """No mass assignment: ``stage``, ``status``, ``amount``, ``monthly_amount``, ``version``, ``case_id``
    in ``POST /v1/cases`` are unknown fields → 422 ``extra_forbidden`` naming each; no case starts."""
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        for field, value in SMUGGLED.items():
            body = {**application_body(), field: value}
            refused.append(body)
            answer = await http.post(CASES, json=body, headers=auth())
            _refused_422(answer, ["body", field], msg="Extra inputs are not permitted")
            assert _detail(answer)[0]["type"] == "extra_forbidden"


async def test_fields_smuggled_into_a_command_are_422_and_the_case_is_unchanged(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """No mass assignment: the same fields inside a valid command (``accept_application``) or beside it are a
    422 naming the field; version, stage and recorded events read back unchanged. The clean command then
    succeeds: it was the smuggled field, not the step, that was refused."""
    case_id = await _new_case(http, auth)
    before = await _standing(http, auth, pg_pool, case_id)
    for field, value in SMUGGLED.items():
        inside = await _command(http, auth, case_id,
                                {"command": {"type": "accept_application", field: value}})
        _refused_422(inside, ["body", "command", "accept_application", field],
                     msg="Extra inputs are not permitted")
        beside = await _command(http, auth, case_id,
                                {"command": {"type": "accept_application"}, field: value})
        _refused_422(beside, ["body", field], msg="Extra inputs are not permitted")
    assert await _standing(http, auth, pg_pool, case_id) == before

    accepted = await _command(http, auth, case_id, {"command": {"type": "accept_application"}})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["case"]["stage"] == "accepted"


async def test_engine_commands_and_unknown_types_cannot_be_sent_and_the_type_is_not_echoed(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """Only human steps are commands: the engine's own (``close_publicity``, ``complete_info_check``,
    ``set_deadline``, ``apply_standard_change`` …) and made-up types are a 422 at ``command.type`` whose
    message lists the valid types but does not repeat the one sent."""
    case_id = await _new_case(http, auth)
    before = await _standing(http, auth, pg_pool, case_id)
    for kind in ("close_publicity", "complete_info_check", "set_deadline", "raise_escalation",
                 "open_periodic_review", "end_gradual_exit", "apply_standard_change", "submit_application",
                 "x-secret-53230219800101", 7, None):
        answer = await _command(http, auth, case_id, {"command": {"type": kind}})
        _refused_422(answer, ["body", "command", "type"], msg="unknown command type")
        if isinstance(kind, str):
            assert f"'{kind}'" not in answer.text
            assert "x-secret" not in answer.text
    assert set(COMMAND_TYPES).isdisjoint({"close_publicity", "complete_info_check", "apply_standard_change"})
    assert await _standing(http, auth, pg_pool, case_id) == before


# --- unknown fields at every level -----------------------------------------------------------------------


async def test_unknown_fields_are_refused_at_every_nesting_level_of_an_application(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings,
    pg_pool: asyncpg.Pool,
) -> None:
    """``extra="forbid"`` on every model of the body: the top, a member, the declaration, an income and a
    property item each refuse an unknown field (422 naming its path); no case starts."""
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        for path in ([], ["members", 0], ["declaration"], ["declaration", "income", 0],
                     ["declaration", "property", 0]):
            body = application_body()
            body["declaration"] = {"income": [{"kind": "wages", "amount": "100.00"}],
                                   "property": [{"kind": "deposit", "value": "10.00"}]}
            target: Any = body
            for step in path:
                target = target[step]
            target["is_admin"] = True
            refused.append(body)
            _refused_422(await http.post(CASES, json=body, headers=auth()), ["body", *path, "is_admin"],
                         msg="Extra inputs are not permitted")


async def test_unknown_fields_are_refused_at_every_nesting_level_of_a_command(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """``extra="forbid"`` through the command union, including the domain's nested models: a joining member,
    a leaving member, the new declaration and its items (``report_change``), a close relative
    (``accept_application``) and an attendee (``record_democratic_appraisal``); the case is unchanged."""
    case_id = await _new_case(http, auth)
    before = await _standing(http, auth, pg_pool, case_id)
    report = {"type": "report_change", "note": "家庭变化",
              "members_joining": [_member()], "members_leaving": [{"member_index": 1, "reason": "moved_out"}],
              "declaration": {"income": [{"kind": "wages", "amount": "1.00"}],
                              "property": [{"kind": "vehicle", "value": "1.00"}]}}
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        (report, ["members_joining", 0]), (report, ["members_leaving", 0]), (report, ["declaration"]),
        (report, ["declaration", "income", 0]), (report, ["declaration", "property", 0]),
        ({"type": "accept_application", "close_relatives": [
            {"member_index": 0, "related_to": "case_worker", "note": "亲属"}]}, ["close_relatives", 0]),
        ({"type": "record_democratic_appraisal", "minutes": "纪要", "signed": True, "conclusion": "eligible",
          "attendance": [{"staff_or_member_id": "rep-1", "villager_representative": True}]},
         ["attendance", 0]),
    ]
    for command, path in cases:
        body = json.loads(json.dumps(command))
        target: Any = body
        for step in path:
            target = target[step]
        target["monthly_amount"] = "9999.00"
        answer = await _command(http, auth, case_id, {"command": body})
        _refused_422(answer, ["body", "command", body["type"], *path, "monthly_amount"],
                     msg="Extra inputs are not permitted")
    assert await _standing(http, auth, pg_pool, case_id) == before


async def test_unknown_fields_are_refused_by_the_other_request_bodies(http: httpx.AsyncClient,
                                                                    auth: TokenFactory) -> None:
    """``extra="forbid"`` on data alerts (batch and row), payment rolls, payees and standard changes."""
    county = auth(Role.COUNTY_APPROVER, COUNTY)
    row = {"resident_id": unique_resident_id(), "alert": "death", "occurred_on": "2026-01-01"}
    checks = [
        ("POST", "/v1/data-alerts", {"source": "殡葬比对", "alerts": [row], "raised": True}, ["raised"]),
        ("POST", "/v1/data-alerts", {"source": "殡葬比对", "alerts": [{**row, "case_id": "x"}]},
         ["alerts", 0, "case_id"]),
        ("POST", "/v1/payment-rolls", {"township_code": JINSHAN, "month": "2026-01", "total": "1"},
         ["total"]),
        ("PUT", f"{CASES}/{uuid.uuid4()}/payee", {"bank_name": "农商行", "account_number": "6217000012345678",
                                                  "account_ref": str(uuid.uuid4())}, ["account_ref"]),
        ("POST", "/v1/standard-changes/preview", {"version": "v1", "effective_from": "2020-01-01"},
         ["effective_from"]),
    ]
    for method, url, body, loc in checks:
        role = auth(Role.TOWNSHIP_CASEWORKER, JINSHAN) if "payee" in url or "alerts" in url else county
        answer = await http.request(method, url, json=body, headers=role)
        _refused_422(answer, ["body", *loc], msg="Extra inputs are not permitted")


# --- sizes -------------------------------------------------------------------------------------------------


async def test_an_oversized_body_is_413_before_it_is_read(
    http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings
) -> None:
    """Body limit (``CASEWORK_API_MAX_BODY_BYTES``, 1 MiB by default): a larger declared ``Content-Length`` is
    a 413 with a JSON body; so is a body sent in chunks without a length, counted as it arrives."""
    limit = api_settings.api_max_body_bytes
    assert limit == 1 << 20
    big = json.dumps({**application_body(), "declaration": {"income": [], "property": []},
                      "padding": "x" * limit}).encode()

    declared = await http.post(CASES, content=big, headers={**auth(), "content-type": "application/json"})
    assert declared.status_code == 413, declared.text
    assert declared.json()["code"] == "body_too_large"

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 64 * 1024):
            yield big[i:i + 64 * 1024]

    streamed = await http.post(CASES, content=chunks(),
                               headers={**auth(), "content-type": "application/json"})
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413, streamed.text
    assert "exceeds" in streamed.json()["detail"]


async def test_the_body_limit_does_not_trust_the_declared_length() -> None:
    """Body limit, at the ASGI level: a declared length over the limit is refused without reading a byte or
    calling the application; a body longer than its declared length (or than the limit, with none declared)
    is cut off as it arrives — 400 and 413, never a half-read request handed on."""
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append("app")
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = RequestBodyGuardMiddleware(app, max_bytes=1000)

    async def run(headers: list[tuple[bytes, bytes]], chunks: list[bytes],
                  path: str = "/v1/cases") -> tuple[int, int, dict[str, Any]]:
        pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                   for i, c in enumerate(chunks)]
        reads = 0
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal reads
            reads += 1
            return pending.pop(0) if pending else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": path,
                 "headers": [(b"content-type", b"application/json"), *headers]}
        await guard(scope, receive, send)
        return sent[0]["status"], reads, json.loads(sent[1]["body"]) if sent[0]["status"] != 200 else {}

    status, reads, body = await run([(b"content-length", b"5000")], [b"x" * 5000])
    assert (status, reads, body["code"], calls) == (413, 0, "body_too_large", [])
    status, reads, body = await run([(b"content-length", b"abc")], [b"x"])
    assert (status, reads, calls) == (400, 0, [])
    status, reads, body = await run([(b"content-length", b"10")], [b"x" * 10, b"y" * 100])
    assert (status, reads, body["code"]) == (400, 2, "invalid_content_length")
    status, reads, body = await run([(b"transfer-encoding", b"chunked")], [b"x" * 600, b"y" * 600])
    assert (status, reads, body["code"]) == (413, 2, "body_too_large")
    assert (await run([(b"content-length", b"900")], [b"x" * 900]))[0] == 200
    assert calls == ["app"]
    # Outside /v1/ the application reads the body itself, through the same count.
    status, reads, body = await run([(b"transfer-encoding", b"chunked")], [b"x" * 600, b"y" * 600],
                                    path="/console/login")
    assert (status, reads, body["code"]) == (413, 2, "body_too_large")


async def test_too_many_members_or_list_items_are_422(http: httpx.AsyncClient, auth: TokenFactory,
                                                      dev_env: WorkflowEnvironment, api_settings: Settings,
                                                      pg_pool: asyncpg.Pool) -> None:
    """List limits: at most 30 members, 200 income and 200 property items, 1,000 alert rows, 20 reasons,
    10 investigators, 10 joining members — one more is a 422 ``too_long`` naming the list."""
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        members = application_body()
        members["members"] = [_member("申请人", "applicant"), *(_member() for _ in range(MAX_MEMBERS))]
        income = application_body()
        income["declaration"] = {"income": [{"kind": "wages", "amount": "1.00"}] * 201}
        prop = application_body()
        prop["declaration"] = {"property": [{"kind": "deposit", "value": "1.00"}] * 201}
        for body, loc in ((members, ["members"]), (income, ["declaration", "income"]),
                          (prop, ["declaration", "property"])):
            refused.append(body)
            answer = await http.post(CASES, json=body, headers=auth())
            _refused_422(answer, ["body", *loc])
            assert _detail(answer)[0]["type"] == "too_long"

    row = {"resident_id": unique_resident_id(), "alert": "death", "occurred_on": "2026-01-01"}
    alerts = await http.post("/v1/data-alerts", json={"source": "殡葬比对", "alerts": [row] * 1001},
                             headers=auth(Role.TOWNSHIP_CASEWORKER, JINSHAN))
    _refused_422(alerts, ["body", "alerts"])

    case_id = await _new_case(http, auth)
    before = await _standing(http, auth, pg_pool, case_id)
    for command, loc in (
        ({"type": "reject", "reasons": ["理由"] * 21}, ["reject", "reasons"]),
        ({"type": "start_investigation", "investigators": [f"inv-{i}" for i in range(11)]},
         ["start_investigation", "investigators"]),
        ({"type": "report_change", "note": "变化", "members_joining": [_member() for _ in range(11)]},
         ["report_change", "members_joining"]),
    ):
        _refused_422(await _command(http, auth, case_id, {"command": command}), ["body", "command", *loc])
    assert await _standing(http, auth, pg_pool, case_id) == before


async def test_huge_strings_are_422_or_413(http: httpx.AsyncClient, auth: TokenFactory,
                                           dev_env: WorkflowEnvironment, api_settings: Settings,
                                           pg_pool: asyncpg.Pool) -> None:
    """String limits: a name of 51 characters, a 100,000-character reason (2,000 at most) are 422
    ``string_too_long`` naming the field; a string larger than the body limit is a 413."""
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        body = application_body()
        body["members"][0]["name"] = "张" * 51  # type: ignore[index]
        refused.append(body)
        _refused_422(await http.post(CASES, json=body, headers=auth()), ["body", "members", 0, "name"],
                     msg="at most 50 characters")
        body = application_body()
        body["members"][0]["name"] = "张" * (1 << 20)  # type: ignore[index]
        refused.append(body)
        assert (await http.post(CASES, json=body, headers=auth())).status_code == 413

    case_id = await _new_case(http, auth)
    before = await _standing(http, auth, pg_pool, case_id)
    withdraw = {"type": "withdraw_application", "reason": "理" * 100_000}
    answer = await _command(http, auth, case_id, {"command": withdraw})
    _refused_422(answer, ["body", "command", "withdraw_application", "reason"], msg="at most 2000 characters")
    assert await _standing(http, auth, pg_pool, case_id) == before


# --- ID numbers, codes, amounts, dates ----------------------------------------------------------------------


async def test_bad_id_numbers_are_422_naming_the_member_and_the_reason_without_the_number(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings,
    pg_pool: asyncpg.Pool,
) -> None:
    """GB 11643-1999 (SPEC §10.1): a wrong check digit, an impossible birth date, a birth in the future, a
    birth before 1850, a wrong length or letters are each a 422 at ``members[i].resident_id`` with the reason;
    the number is never in the answer."""
    bad = {
        "check digit": with_bad_check_digit(unique_resident_id()),
        "not a valid birth date": resident_id(birth="19800230"),
        "lies in the future": resident_id(birth="20991231"),
        "before 1850": resident_id(birth="18491231"),
        "at least 18 characters": unique_resident_id()[:17],
        "at most 18 characters": unique_resident_id() + "1",
        "17 digits": "53230219800101A23X",
    }
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        for reason, number in bad.items():
            body = application_body()
            body["members"][1]["resident_id"] = number  # type: ignore[index]
            refused.append(body)
            _refused_422(await http.post(CASES, json=body, headers=auth()),
                         ["body", "members", 1, "resident_id"], msg=reason, secret=number)


async def test_bad_division_codes_are_422_naming_the_field(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings,
    pg_pool: asyncpg.Pool,
) -> None:
    """Codes by pattern (SPEC §10.2): a village is 12 digits of a known township and not ``…000``, a hukou or
    residence code 6, 9 or 12 digits, a roll's township 9 digits and its month ``YYYY-MM`` (1900-2100)."""
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        for village, reason in (("53230210100", "12-digit"), ("532302101000", "000"),
                                ("532302999001", "not a township"), ("５３２３０２１０１００１", "12-digit"),
                                ("532302101001" * 100, "at most 12")):
            body = {**application_body(), "village_code": village}
            refused.append(body)
            _refused_422(await http.post(CASES, json=body, headers=auth()), ["body", "village_code"],
                         msg=reason)
        body = application_body()
        body["members"][0]["hukou_code"] = "5323021"  # type: ignore[index]
        refused.append(body)
        _refused_422(await http.post(CASES, json=body, headers=auth()), ["body", "members", 0, "hukou_code"])

    county = auth(Role.COUNTY_REVIEWER, COUNTY)
    for township, month, loc in ((JINSHAN, "1899-12", "month"), (JINSHAN, "2026-00", "month"),
                                 ("53230210", "2026-01", "township_code"),
                                 ("53230210a", "2026-01", "township_code")):
        posted = await http.post("/v1/payment-rolls", json={"township_code": township, "month": month},
                                 headers=county)
        _refused_422(posted, ["body", loc])
        read = await http.get(f"/v1/payment-rolls/{township}/{month}", headers=county)
        _refused_422(read, ["path", loc])


async def test_negative_absurd_or_over_precise_amounts_are_422(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings,
    pg_pool: asyncpg.Pool,
) -> None:
    """Amounts: not negative, at most 1,000,000,000 yuan, at most 2 decimal places, finite numbers — for
    declared income and property in an application and in a reported change, and for the amount obtained by
    fraud (which must also be above 0)."""
    amounts = ["-0.01", "-100", "1000000000.01", "1e12", "0.001", "NaN", "Infinity", "twelve", True]
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        for amount in amounts:
            income = application_body()
            income["declaration"] = {"income": [{"kind": "wages", "amount": amount}]}
            prop = application_body()
            prop["declaration"] = {"property": [{"kind": "house", "value": amount}]}
            for body, loc in ((income, ["declaration", "income", 0, "amount"]),
                              (prop, ["declaration", "property", 0, "value"])):
                refused.append(body)
                _refused_422(await http.post(CASES, json=body, headers=auth()), ["body", *loc])
        body = application_body()
        body["declaration"] = {"income": [{"kind": "wages", "amount": "AMOUNT"}]}
        refused.append(body)
        raw = json.dumps(body).replace('"AMOUNT"', "1e400")  # parsed as float('inf')
        assert (await http.post(CASES, content=raw, headers={**auth(), "content-type": "application/json"})
                ).status_code == 422

    case_id = await _new_case(http, auth)
    before = await _standing(http, auth, pg_pool, case_id)
    for amount in [*amounts, "0"]:
        fraud = {"type": "record_fraud_finding", "amount_obtained": amount, "findings": "虚报"}
        _refused_422(await _command(http, auth, case_id, {"command": fraud}, Role.COUNTY_APPROVER, COUNTY),
                     ["body", "command", "record_fraud_finding", "amount_obtained"])
    for amount in amounts:
        change = {"type": "report_change", "note": "收入变化",
                  "declaration": {"income": [{"kind": "wages", "amount": amount}]}}
        _refused_422(await _command(http, auth, case_id, {"command": change}),
                     ["body", "command", "report_change", "declaration", "income", 0, "amount"])
    assert await _standing(http, auth, pg_pool, case_id) == before


async def test_dates_outside_1900_to_2100_are_422(http: httpx.AsyncClient, auth: TokenFactory,
                                                  pg_pool: asyncpg.Pool) -> None:
    """Dates in a sane range: an alert's ``occurred_on``, a leaving member's ``on`` and the list's
    ``opened_from``/``opened_to`` lie in 1900-2100 (year 9999 used to overflow the list's date arithmetic)."""
    case_id = await _new_case(http, auth)
    before = await _standing(http, auth, pg_pool, case_id)
    for day in ("0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"):
        alert = {"type": "raise_data_alert", "alert": "death", "member_index": 1, "occurred_on": day,
                 "source": "殡葬比对"}
        _refused_422(await _command(http, auth, case_id, {"command": alert}, Role.TOWNSHIP_CASEWORKER),
                     ["body", "command", "raise_data_alert", "occurred_on"])
        change = {"type": "report_change", "note": "离开",
                  "members_leaving": [{"member_index": 1, "reason": "death", "on": day}]}
        _refused_422(await _command(http, auth, case_id, {"command": change}),
                     ["body", "command", "report_change", "members_leaving", 0, "on"])
        batch = {"source": "殡葬比对", "alerts": [{"resident_id": unique_resident_id(), "alert": "death",
                                                 "occurred_on": day}]}
        _refused_422(await http.post("/v1/data-alerts", json=batch, headers=auth(Role.TOWNSHIP_CASEWORKER)),
                     ["body", "alerts", 0, "occurred_on"])
        for param in ("opened_from", "opened_to"):
            listed = await http.get(CASES, params={param: day}, headers=auth(Role.SUPERVISOR, COUNTY))
            _refused_422(listed, ["query", param])
    assert await _standing(http, auth, pg_pool, case_id) == before


# --- malformed requests -------------------------------------------------------------------------------


async def test_malformed_json_is_422_and_a_body_that_is_not_json_is_415(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings,
    pg_pool: asyncpg.Pool,
) -> None:
    """Malformed JSON is a 422 ``json_invalid``; a body sent as a form, as text or without a content type
    under ``/v1/`` is a 415 naming the content type wanted; a JSON array or string where an object is wanted
    is a 422. Nothing starts."""
    good = json.dumps(application_body())
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool):
        json_type = {**auth(), "content-type": "application/json"}
        broken = await http.post(CASES, content=good[:-5], headers=json_type)
        assert broken.status_code == 422
        assert _detail(broken)[0]["type"] == "json_invalid"
        for content_type in ("text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", "application/xml", None):
            headers = {**auth(), **({"content-type": content_type} if content_type else {})}
            answer = await http.post(CASES, content=good.encode(), headers=headers)
            assert answer.status_code == 415, (content_type, answer.text)
            assert answer.json() == {"detail": "the body must be JSON (Content-Type: application/json)",
                                     "code": "unsupported_media_type"}
        for not_an_object in ("[]", '"text"', "42", "null"):
            answer = await http.post(CASES, content=not_an_object, headers=json_type)
            assert answer.status_code == 422, answer.text
        empty = await http.post(CASES, headers=auth())
        _refused_422(empty, ["body"], msg="Field required")


async def test_deeply_nested_json_is_refused(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings,
    pg_pool: asyncpg.Pool,
) -> None:
    """Nesting limit: objects or arrays deeper than ``MAX_DEPTH`` (10) levels are a 422 ``too_deep`` at the
    level where the limit is passed; JSON nested 100,000 deep (past the parser's own limit), a body that is
    not UTF-8 and a number of 5,000 digits are a 422 ``json_invalid`` (not a bare 400); nothing starts."""
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        nested: Any = "x"
        for _ in range(MAX_DEPTH + 5):
            nested = {"a": nested}
        body = {**application_body(), "extra": nested}
        refused.append(body)
        answer = await http.post(CASES, json=body, headers=auth())
        assert answer.status_code == 422
        assert any(d["type"] == "too_deep" for d in _detail(answer)), answer.text
        json_type = {**auth(), "content-type": "application/json"}
        deep = b"[" * 100_000 + b"]" * 100_000
        not_utf8 = json.dumps(application_body(), ensure_ascii=False).encode("gb18030")
        long_number = b'{"members": [], "program": ' + b"7" * 5000 + b"}"
        wrapped = b'{"members": ' + deep + b"}"
        for content, why in ((deep, "nested too deeply"), (wrapped, "nested too deeply"),
                             (not_utf8, "not valid UTF-8"),
                             (long_number, "too many digits")):
            answer = await http.post(CASES, content=content, headers=json_type)
            _refused_422(answer, ["body"], msg=why)
            assert _detail(answer)[0]["type"] == "json_invalid"


@pytest.mark.parametrize(("text", "what"), [
    ("测试\x00甲", "NUL"), ("测试\u202e甲", "right-to-left override"),
    ("测试\u2066甲", "left-to-right isolate"), ("测试\x1b[31m甲", "escape sequence"),
    ("测试\x85甲", "C1 control"), ("测试\u200f甲", "right-to-left mark"),
])
async def test_control_and_bidi_characters_are_422_and_start_nothing(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings,
    pg_pool: asyncpg.Pool, text: str, what: str,
) -> None:
    """Unicode oddities: NUL (which PostgreSQL cannot store: a case whose record could never be written),
    other control characters and the bidirectional overrides/isolates/marks that make a name display other
    than it reads are a 422 at the field, wherever the string is (a name, a reason); nothing is written."""
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        body = application_body()
        body["members"][0]["name"] = text  # type: ignore[index]
        refused.append(body)
        _refused_422(await http.post(CASES, json=body, headers=auth()), ["body", "members", 0, "name"],
                     msg="must not contain control characters")
    case_id = await _new_case(http, auth)
    before = await _standing(http, auth, pg_pool, case_id)
    answer = await _command(http, auth, case_id,
                            {"command": {"type": "withdraw_application", "reason": text}})
    _refused_422(answer, ["body", "command", "reason"], msg="must not contain control characters")
    payee = await http.put(f"{CASES}/{case_id}/payee",
                           json={"bank_name": text, "account_number": "6217000012345678"},
                           headers=auth(Role.TOWNSHIP_CASEWORKER))
    _refused_422(payee, ["body", "bank_name"], msg="must not contain control characters")
    assert await _standing(http, auth, pg_pool, case_id) == before


async def test_lone_surrogates_line_breaks_in_names_and_odd_keys_are_422(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings,
    pg_pool: asyncpg.Pool,
) -> None:
    """Unicode oddities: an unpaired surrogate (``\\ud800``, valid JSON, not valid text) and a NUL in a field
    name are 422; a name, a bank or an alert source is one line (no line breaks or tabs); nothing starts."""
    async with nothing_started(http, auth, dev_env, api_settings, pg_pool) as refused:
        body = application_body()
        refused.append(body)
        raw = json.dumps(body).replace(json.dumps("测试甲")[1:-1], "\\ud800")  # ensure_ascii: "\\u6d4b…"
        assert "\\ud800" in raw
        answer = await http.post(CASES, content=raw, headers={**auth(), "content-type": "application/json"})
        assert answer.status_code == 422, answer.text
        body = application_body()
        body["members"][0]["name"] = "测试\n甲"  # type: ignore[index]
        refused.append(body)
        _refused_422(await http.post(CASES, json=body, headers=auth()), ["body", "members", 0, "name"],
                     msg="single line")
        body = {**application_body(), "na\x00me": 1}
        refused.append(body)
        answer = await http.post(CASES, json=body, headers=auth())
        assert answer.status_code == 422
        assert _detail(answer)[0]["type"] == "unsafe_text"


async def test_path_and_query_parameters_are_constrained(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """Path and query limits: page size 1-200, cursors of at most 200 characters, at most one of each stage,
    a case id is a UUID, a decision's seq ≥ 1, a standard-change version one line of at most 100 characters —
    each a 422 naming the parameter (a 2,000-character version used to reach Temporal as a workflow id)."""
    sup = auth(Role.SUPERVISOR, COUNTY)
    for params, loc in (({"limit": 0}, ["query", "limit"]), ({"limit": 201}, ["query", "limit"]),
                        ({"cursor": "a" * 201}, ["query", "cursor"]),
                        ({"stage": ["submitted"] * (len(all_stages()) + 1)}, ["query", "stage"]),
                        ({"township_code": "53230210\x00"}, ["query", "township_code"])):
        _refused_422(await http.get(CASES, params=params, headers=sup), loc)
    for params, loc in (({"limit": 1000}, ["query", "limit"]), ({"cursor": "a" * 201}, ["query", "cursor"])):
        _refused_422(await http.get("/v1/reports/waiting-on/front_office", params=params, headers=sup), loc)
    _refused_422(await http.get(f"{CASES}/not-a-uuid", headers=sup), ["path", "case_id"])
    auditor = auth(Role.AUDITOR, COUNTY)
    _refused_422(await http.get(f"{CASES}/{uuid.uuid4()}/decisions/0/as-of", headers=auditor),
                 ["path", "seq"])
    approver = auth(Role.COUNTY_APPROVER, COUNTY)
    for version in ("v" * 2000, "v%00x", "v%E2%80%AEx"):
        _refused_422(await http.get(f"/v1/standard-changes/{version}", headers=approver), ["path", "version"])
