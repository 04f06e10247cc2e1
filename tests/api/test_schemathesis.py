"""Schemathesis over the OpenAPI spec (issue 7 item 4): no 5xx, no schema violation, no authorization finding.

One test per operation of ``/openapi.json``. Schemathesis generates requests from the spec — valid ones
and, where the operation has parameters or a body, invalid ones — and each is sent to the app in-process
(httpx over ASGI, in the session's event loop, against the real Temporal dev server, worker and PostgreSQL)
with the token of one of five roles (front office and township caseworker of 金山镇, county approver,
supervisor, auditor), with no token, or with the garbage token Schemathesis made up. A ``case_id`` in the
path is, in turn, a case of 金山镇, a case of 碧城镇 (outside the township roles' jurisdiction) or a generated
one; a roll's ``township_code`` likewise 金山镇, 碧城镇 or generated.

Checks on every answer:

- Schemathesis' ``not_a_server_error``, ``status_code_conformance``, ``content_type_conformance``,
  ``response_headers_conformance`` and ``response_schema_conformance``;
- **no full resident ID number** (GB 11643, check digit and all) in an answer that the request did not send,
  except where showing it is the operation's purpose for that role (``KNOWN_DISCLOSURES``);
- **authorization**: no token or a bad one → 401; a role without the operation's right (``api/policy.py``)
  → never a 2xx; a 2xx never for the other township's case or roll, and never naming a village or township
  outside the caller's jurisdiction.

``CASEWORK_FUZZ_EXAMPLES`` sets the examples per operation (default 4 in the suite: ~120 requests; ``make
fuzz`` runs 40: ≥ 1,000 requests), ``CASEWORK_FUZZ_SEED`` a seed (the suite runs derandomized; ``make fuzz``
with a fresh random seed, printed with the totals).
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, reject, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.settings import Settings
from api.main import create_app
from api.policy import POLICY, Permission
from domain.actors import Role
from domain.identity import check_character
from tests.api.conftest import TokenFactory
from tests.builders import (
    BICHENG,
    BICHENG_VILLAGE,
    JINSHAN,
    JINSHAN_VILLAGE,
    application_body,
    unique_resident_id,
)

EXAMPLES = int(os.environ.get("CASEWORK_FUZZ_EXAMPLES", "4"))
FUZZ_SEED = os.environ.get("CASEWORK_FUZZ_SEED")
COUNTY = "532302"
BASE_URL = "http://casework.test"

#: (name, role, jurisdiction): who sends the generated requests. ``None`` role: no token at all; ``garbage``:
#: the Authorization header Schemathesis generated from the bearer scheme.
IDENTITIES: list[tuple[str, Role | None, str]] = [
    ("front_office", Role.FRONT_OFFICE, JINSHAN),
    ("township_caseworker", Role.TOWNSHIP_CASEWORKER, JINSHAN),
    ("county_approver", Role.COUNTY_APPROVER, COUNTY),
    ("supervisor", Role.SUPERVISOR, COUNTY),
    ("auditor", Role.AUDITOR, COUNTY),
    ("anonymous", None, ""),
    ("garbage", None, ""),
]

#: Operations whose purpose is to show full resident ID numbers to the roles with the given right: the
#: household to the roles that identify applicants (issue 7 masking), the history export and the codec's
#: decryption to auditors and supervisors (PIPL Art. 28: they hold what the household declared).
KNOWN_DISCLOSURES: dict[tuple[str, str], Permission] = {
    ("GET", "/v1/cases/{case_id}/household"): Permission.RESIDENT_ID_FULL,
    ("GET", "/v1/cases/{case_id}/history"): Permission.AUDIT_READ,
    ("POST", "/codec/decode"): Permission.PAYLOAD_DECODE,
}

#: Known findings, to be fixed in the routes (api/routes/notices.py, api/routes/codec.py): statuses these
#: operations answer without declaring them. Tolerated here only for ``status_code_conformance``, so that
#: every other check keeps running on them; remove an entry once its route declares the status.
UNDECLARED_STATUSES: dict[tuple[str, str], set[int]] = {}

_RESIDENT_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
_CODE_KEYS = {"village_code", "township_code"}


def _settings_for_spec() -> Settings:
    return Settings(_env_file=None, jwt_secret="spec-only")  # type: ignore[call-arg]


def _spec_app() -> FastAPI:
    """The app, built (not started) for its spec and routes; the tests send requests to the session's app."""
    return create_app(_settings_for_spec())


def _api_routes(app: FastAPI) -> Iterator[APIRoute]:
    stack: list[Any] = list(app.routes)
    while stack:
        route = stack.pop()
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            stack.extend(route.original_router.routes)


def _permission_of(route: APIRoute) -> Permission | None:
    """The right the route's ``require(...)`` guard demands (``api/deps.py``), if any."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        found = getattr(dep.call, "permission", None)
        if found is None:
            for cell in getattr(dep.call, "__closure__", None) or ():
                if isinstance(cell.cell_contents, Permission):
                    found = cell.cell_contents
        if isinstance(found, Permission):
            return found
        stack.extend(dep.dependencies)
    return None


_APP = _spec_app()
SPEC = _APP.openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC)
#: (METHOD, path) → the right it needs; the codec guards itself (api/routes/codec.py) with the decode right.
PERMISSIONS: dict[tuple[str, str], Permission | None] = {
    (method, route.path): _permission_of(route) for route in _api_routes(_APP) for method in route.methods
}
for _path in ("/codec/decode", "/codec/encode"):
    PERMISSIONS[("POST", _path)] = PERMISSIONS.get(("POST", _path)) or Permission.PAYLOAD_DECODE
OPERATIONS = [(method.upper(), path) for path, ops in SPEC["paths"].items() for method in ops]


def valid_resident_ids(text: str) -> set[str]:
    """The full resident ID numbers in a text: 18 characters with a valid birth date and check character."""
    found = set()
    for candidate in _RESIDENT_ID.findall(text):
        year, month, day = int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14])
        if 1850 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31 and \
                check_character(candidate[:17]) == candidate[17]:
            found.add(candidate)
    return found


def _codes(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if key in _CODE_KEYS and isinstance(child, str):
                    yield child
                else:
                    stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


@dataclass
class Seeded:
    inside: str  # a case of 金山镇
    outside: str  # a case of 碧城镇


@dataclass
class Sent:
    identity: str
    role: Role | None
    jurisdiction: str
    target: str  # "inside", "outside" or "generated"
    text: str  # the URL and the body as sent


#: Requests sent and statuses answered, per operation (printed at the end of the module).
TOTALS: Counter[str] = Counter()
STATUSES: dict[str, Counter[int]] = {}
_lock = threading.Lock()


def _authorization_failures(op: tuple[str, str], sent: Sent, response: httpx.Response) -> list[str]:
    status = response.status_code
    permission = PERMISSIONS.get(op)
    ok = 200 <= status < 300
    parse_error = status in (400, 413, 415) or (status == 422 and '"json_invalid"' in response.text)
    who = f"{sent.identity} ({sent.jurisdiction or 'no token'})"
    problems = []
    if permission is not None and sent.role is None and not (status == 401 or parse_error):
        problems.append(f"{who}: answered {status}, not 401")
    if ok and permission is not None and sent.role is not None and sent.role not in POLICY[permission]:
        problems.append(f"{who}: lacks {permission.value} but got {status}")
    outside = sent.target == "outside" and not BICHENG.startswith(sent.jurisdiction)
    if ok and sent.role is not None and outside:
        problems.append(f"{who}: got {status} for another township's case or roll")
    if ok and sent.role is not None and "json" in response.headers.get("content-type", ""):
        leaked = sorted({c for c in _codes(response.json()) if not c.startswith(sent.jurisdiction)})
        if leaked:
            problems.append(f"{who}: shown divisions outside the jurisdiction: {leaked[:3]}")
    return problems


def _privacy_failures(op: tuple[str, str], sent: Sent, response: httpx.Response) -> list[str]:
    allowed = KNOWN_DISCLOSURES.get(op)
    if allowed is not None and sent.role in POLICY[allowed]:
        return []
    shown = valid_resident_ids(response.text) - valid_resident_ids(sent.text)
    if shown:
        return [f"the answer holds {len(shown)} full resident ID number(s) the request did not send"]
    return []


Prepared = tuple[str, str, dict[str, str], bytes]


def _prepare(case: Any, identity: tuple[str, Role | None, str], auth: TokenFactory) -> Prepared:
    name, role, jurisdiction = identity
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()}
    for key in [k for k in headers if k.lower() == "authorization"]:
        if name != "garbage":
            del headers[key]
    if role is not None:  # a caller of its own per request: generated Idempotency-Keys do not collide
        headers.update(auth(role, jurisdiction, sub=f"fuzz-{name}-{uuid.uuid4().hex[:12]}"))
    allowed = {"method", "url", "files", "data", "params", "json", "cookies"}
    try:
        parts = {k: v for k, v in kwargs.items() if k in allowed}
        prepared = requests.Request(headers=headers, **parts).prepare()
        for key, value in prepared.headers.items():
            key.encode("ascii")
            value.encode("latin-1")
    except (ValueError, UnicodeError, requests.RequestException):
        reject()  # not an HTTP request a client could send (e.g. a header value with a line break)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return str(prepared.method), str(prepared.url), dict(prepared.headers), body


def _identities(method: str, path: str) -> st.SearchStrategy[tuple[str, Role | None, str]]:
    """Mostly roles with the operation's right (3:1), so that requests get past the guard; now and then one
    without it, no token or a garbage token."""
    permission = PERMISSIONS.get((method, path))
    roles = [i for i in IDENTITIES if i[1] is not None]
    permitted = [i for i in roles if permission is None or i[1] in POLICY[permission]]
    others = [i for i in IDENTITIES if i not in permitted]
    return st.sampled_from(permitted * 3 + others)


def _strategy(method: str, path: str) -> st.SearchStrategy[Any]:
    operation = SCHEMA[path][method]
    raw = SPEC["paths"][path][method.lower()]
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    if raw.get("parameters") or raw.get("requestBody"):
        return st.one_of(positive, operation.as_strategy(GenerationMode.NEGATIVE))
    return positive


def _repair_application(body: Any) -> None:
    """Give a generated application fresh valid ID numbers, plain names, one applicant and a 金山镇 village,
    so that it gets past the checks a generator does not satisfy by chance (GB 11643 check digits, the
    township table, no control characters) and reaches the domain and the workflow."""
    if not isinstance(body, dict):
        return
    if "village_code" in body:
        body["village_code"] = JINSHAN_VILLAGE
    members = body.get("members")
    for i, member in enumerate(members if isinstance(members, list) else []):
        if isinstance(member, dict):
            member.update(name=f"测试{i}", resident_id=unique_resident_id(),
                          relation="applicant" if i == 0 else "child")


def _summary() -> str:
    lines = [f"schemathesis: {sum(TOTALS.values())} requests over {len(TOTALS)} operations "
             f"({EXAMPLES} examples per operation, seed {FUZZ_SEED or 'derandomized'})"]
    for op in sorted(TOTALS):
        statuses = ", ".join(f"{s}×{n}" for s, n in sorted(STATUSES[op].items()))
        lines.append(f"  {TOTALS[op]:5d}  {op}  [{statuses}]")
    return "\n".join(lines)


@pytest.fixture(scope="module", autouse=True)
def _report_totals(request: pytest.FixtureRequest) -> Iterator[None]:
    started = time.monotonic()
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    text = _summary() + f"\n  in {time.monotonic() - started:.1f} s"
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(text)


async def _seed_cases(http: httpx.AsyncClient, auth: TokenFactory) -> Seeded:
    ids = []
    for village, township in ((JINSHAN_VILLAGE, JINSHAN), (BICHENG_VILLAGE, BICHENG)):
        created = await http.post("/v1/cases", json=application_body(village),
                                  headers=auth(Role.FRONT_OFFICE, township, sub="fuzz-seed"))
        assert created.status_code == 201, created.text
        ids.append(created.json()["case_id"])
    return Seeded(*ids)


_SEEDED: dict[str, Seeded] = {}


def test_the_spec_is_covered() -> None:
    """Every operation of the spec is fuzzed below; every guarded one has its right in the policy table."""
    assert len(OPERATIONS) >= 28
    guarded = {op for op, permission in PERMISSIONS.items() if permission is not None}
    assert ("POST", "/v1/cases/{case_id}/commands") in guarded
    assert all(p in POLICY for p in PERMISSIONS.values() if p is not None)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
async def test_generated_requests_find_no_server_error_schema_violation_or_authorization_finding(
    http: httpx.AsyncClient, auth: TokenFactory, method: str, path: str
) -> None:
    """Rules: never a 5xx; every answer as the spec declares it (status, content type, headers, body schema);
    no full resident ID number the request did not send; 401 without a valid token, never a 2xx for a role
    without the right or for another township's case, roll or divisions."""
    if "seeded" not in _SEEDED:
        _SEEDED["seeded"] = await _seed_cases(http, auth)
    seeded = _SEEDED["seeded"]
    loop = asyncio.get_running_loop()
    op = (method, path)
    label = f"{method} {path}"
    with _lock:
        STATUSES.setdefault(label, Counter())

    async def send(request: Prepared) -> httpx.Response:
        verb, url, headers, body = request
        return await http.request(verb, url, headers=headers, content=body)

    targets = ["inside", "outside", "generated"]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=FUZZ_SEED is None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(case=_strategy(method, path), identity=_identities(method, path),
           target=st.sampled_from(targets), repair=st.booleans())
    def fuzz(case: Any, identity: tuple[str, Role | None, str], target: str, repair: bool) -> None:
        if repair and op == ("POST", "/v1/cases"):
            _repair_application(case.body)
        if "case_id" in case.path_parameters and target != "generated":
            case.path_parameters["case_id"] = seeded.inside if target == "inside" else seeded.outside
        elif "township_code" in case.path_parameters and target != "generated":
            case.path_parameters["township_code"] = JINSHAN if target == "inside" else BICHENG
        else:
            target = "generated"
        request = _prepare(case, identity, auth)
        response = asyncio.run_coroutine_threadsafe(send(request), loop).result(timeout=60)
        with _lock:
            TOTALS[label] += 1
            STATUSES[label][response.status_code] += 1
        sent = Sent(identity[0], identity[1], identity[2], target,
                    request[1] + "\n" + request[3].decode("utf-8", "replace"))
        problems = _authorization_failures(op, sent, response) + _privacy_failures(op, sent, response)
        if problems:
            raise AssertionError(f"{label}: {'; '.join(problems)}\n  sent: {request[0]} {request[1]} as "
                                 f"{identity[0]} ({target})\n"
                                 f"  answer: {response.status_code} {response.text[:300]}")
        checks = [not_a_server_error, content_type_conformance, response_headers_conformance,
                  response_schema_conformance]
        if response.status_code not in UNDECLARED_STATUSES.get(op, set()):
            checks.append(status_code_conformance)
        case.validate_response(response, checks=checks, transport_kwargs={"base_url": BASE_URL})

    if FUZZ_SEED is not None:
        fuzz = seed(int(FUZZ_SEED))(fuzz)
    await asyncio.to_thread(fuzz)


def test_valid_resident_ids_are_recognised() -> None:
    """The privacy check finds a real ID number (check digit and all) but not a masked one or a timestamp."""
    body = "532302198001011231"[:17]
    rid = body + check_character(body)
    assert valid_resident_ids(f'{{"id": "{rid}"}}') == {rid}
    assert valid_resident_ids(f"{rid[:6]}********{rid[14:]} 1732000000000000000 {uuid.uuid4()}") == set()
