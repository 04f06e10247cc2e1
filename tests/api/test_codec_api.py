"""Payload encryption on a real case and the codec server for the Temporal Web UI (issue 7 item 1)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
from google.protobuf import json_format
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from adapters.temporal.codec import ENCODING, EncryptionCodec, KeyRing, data_converter
from domain.actors import Role
from domain.ids import workflow_id_for
from services.audit.replay import replay_runs
from tests.api.conftest import TokenFactory
from tests.api.test_lifecycle_api import CASEWORKER, WINDOW, Api, household
from tests.builders import application_body
from tests.env import key_ring

AUDITOR = (Role.AUDITOR, "532302", "aud-01")
UI = "http://127.0.0.1:8233"


def payloads(message: Message) -> Iterator[Payload]:
    """Every Payload anywhere inside a protobuf message, except search attributes (indexed by the server, so
    never encoded by a codec: ours hold codes and stages only) and the SDK's patch markers (a patch id)."""
    if isinstance(message, Payload):
        yield message
        return
    if getattr(message, "marker_name", None) == "core_patch":
        return
    if getattr(message, "marker_name", None) == "core_local_activity":
        # The SDK's own bookkeeping of a local activity (``data``: its type, attempt, times) is not a payload of
        # ours; its ``result`` is, and is encrypted like an activity's (issue 18: records run locally).
        for result in message.details["result"].payloads:  # type: ignore[attr-defined]
            yield result
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE or field.name == "search_attributes":
            continue
        if field.message_type.GetOptions().map_entry:
            values = value.values() if field.message_type.fields_by_name["value"].message_type else []
        elif not isinstance(value, Message):  # a repeated field
            values = value
        else:
            values = [value]
        for v in values:
            yield from payloads(v)


async def _case_with_history(api: Api, dev_env: WorkflowEnvironment) -> tuple[str, list[Any], WorkflowHistory]:
    members = household("欧阳明月", "司马青云")
    created = await api.create(application_body(members=members))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    await api.ok(case_id, WINDOW, "accept_application")
    await api.ok(case_id, CASEWORKER, "start_investigation", investigators=["inv-01", "inv-02"])
    history = await dev_env.client.get_workflow_handle(workflow_id_for(uuid.UUID(case_id))).fetch_history()
    return case_id, members, history


async def test_every_payload_in_a_case_history_is_encrypted_and_no_personal_data_is_in_the_clear(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment,
) -> None:
    """PIPL Art. 51; 《社会救助暂行办法》 Art. 66: inputs, update arguments and results, activity inputs and results
    all leave the process encrypted with the session's key, named in each payload's metadata."""
    api = Api(http, auth)
    _, members, history = await _case_with_history(api, dev_env)

    found = [p for event in history.events for p in payloads(event)]
    assert len(found) > 10
    assert all(p.metadata["encoding"] == ENCODING for p in found), {p.metadata["encoding"] for p in found}
    assert {p.metadata["encryption-key-id"] for p in found} == {key_ring().active.encode()}
    wire = b"".join(event.SerializeToString() for event in history.events)
    for m in members:
        assert m.name.encode() not in wire and m.resident_id.encode() not in wire


async def test_the_codec_server_decrypts_for_an_auditor_and_refuses_others(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, pg_pool: asyncpg.Pool,
) -> None:
    """What the Temporal Web UI calls: an auditor (token or console cookie) sees the decrypted input; a
    front-office token gets 403, no token 401, another namespace 422; the read is in the audit ledger."""
    api = Api(http, auth)
    _, members, history = await _case_with_history(api, dev_env)
    started = history.events[0].workflow_execution_started_event_attributes
    body = {"payloads": [json_format.MessageToDict(p) for p in started.input.payloads]}

    decoded = await http.post("/codec/decode", json=body, headers=api.headers(AUDITOR) | {"X-Namespace": "default"})
    assert decoded.status_code == 200, decoded.text
    [plain] = [json_format.ParseDict(p, Payload()) for p in decoded.json()["payloads"]]
    assert plain.metadata["encoding"] == b"json/plain"
    assert json.loads(plain.data)["application"]["members"][0]["name"] == members[0].name

    assert (await http.post("/codec/decode", json=body, headers=api.headers(WINDOW))).status_code == 403
    assert (await http.post("/codec/decode", json=body)).status_code == 401
    other = await http.post("/codec/decode", json=body, headers=api.headers(AUDITOR) | {"X-Namespace": "other"})
    assert other.status_code == 422

    token = api.headers(AUDITOR)["Authorization"].removeprefix("Bearer ")
    login = await http.post("/console/login", data={"token": token})
    assert login.status_code in (200, 303)
    by_cookie = await http.post("/codec/decode", json=body)
    assert by_cookie.status_code == 200, "the console's cookie (an auditor logged in) is accepted"
    http.cookies.clear()

    reads = await pg_pool.fetch("SELECT content FROM audit_ledger WHERE kind = 'access' AND actor_id = 'aud-01' "
                                "ORDER BY position DESC LIMIT 2")
    assert [json.loads(r["content"])["action"] for r in reads] == ["codec_decode", "codec_decode"]

    encoded = await http.post("/codec/encode", json={"payloads": decoded.json()["payloads"]},
                              headers=api.headers(AUDITOR))
    assert encoded.status_code == 200
    assert json_format.ParseDict(encoded.json()["payloads"][0], Payload()).metadata["encoding"] == ENCODING


async def test_only_the_web_ui_may_call_the_codec_server_cross_origin(http: httpx.AsyncClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type,x-namespace"}
    ok = await http.options("/codec/decode", headers=preflight | {"Origin": UI})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == UI
    assert ok.headers["access-control-allow-credentials"] == "true"
    evil = await http.options("/codec/decode", headers=preflight | {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers
    api = await http.options("/v1/cases", headers=preflight | {"Origin": UI})
    assert "access-control-allow-origin" not in api.headers, "the API itself is not cross-origin"


async def test_a_history_recorded_before_a_key_rotation_still_replays_after_it(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment,
) -> None:
    """Rotation adds a key and makes it active; old histories decode with the old key kept in the ring, and
    fail without it."""
    api = Api(http, auth)
    case_id, _, history = await _case_with_history(api, dev_env)
    rotated = key_ring().rotated(f"k-{uuid.uuid4().hex[:6]}", "sm4-gcm")

    runs, events = await replay_runs([(case_id, history)],
                                     data_converter=data_converter(EncryptionCodec(rotated, "default")))
    assert runs[0].deterministic and events

    only_new = KeyRing(active=rotated.active, keys={rotated.active: rotated.keys[rotated.active]})
    runs, _ = await asyncio.wait_for(replay_runs(
        [(case_id, history)], data_converter=data_converter(EncryptionCodec(only_new, "default"))), 60)
    assert not runs[0].deterministic
