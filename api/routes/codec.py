"""The codec server (issue 7): decrypts payloads for the Temporal Web UI, for auditors and supervisors only.

Temporal's remote-codec protocol: ``POST /codec/decode`` (and ``/codec/encode``) with
``{"payloads": [{"metadata": {...base64...}, "data": "...base64..."}]}`` and the namespace in ``X-Namespace``;
the answer has the same shape. Point the UI at it (``temporal server start-dev --ui-codec-endpoint``; `casework
up` does) and, in the UI's codec settings, pass the access token, or log in to the console (/console/login)
as an auditor or supervisor first: its cookie is accepted here too. Anyone else gets 403, and the UI shows the
payloads encrypted. Every decode is written to the audit ledger (who read how many payloads).
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import json_format
from pydantic import Field
from temporalio.api.common.v1 import Payload

from adapters.auth import AuthError, TokenVerifier
from adapters.temporal.codec import CodecError, EncryptionCodec, load_or_create_key_file
from api.console.routes import COOKIE
from api.deps import LedgerDep, PoolDep, SettingsDep
from api.policy import POLICY, Permission
from api.schemas import Problem, RequestBody
from domain.actors import Actor
from domain.errors import InvalidInput, NotPermitted
from services.audit.access import log_access

router = APIRouter(prefix="/codec", tags=["codec"])
log = structlog.get_logger(__name__)
_bearer = HTTPBearer(auto_error=False)


class CodecPayloads(RequestBody):
    """Payloads in the proto3 JSON form (``metadata`` values and ``data`` base64)."""

    payloads: Annotated[list[dict[str, Any]], Field(max_length=1000)]


async def _codec_actor(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    """The caller, from a bearer token or the console's cookie; only roles with the codec right."""
    token = credentials.credentials if credentials is not None else request.cookies.get(COOKIE)
    if not token:
        raise AuthError("missing bearer token")
    verifier: TokenVerifier = request.app.state.verifier
    actor = await verifier.authenticate(token)
    request.state.actor = actor  # a refusal below is written to the ledger in this actor's name
    if actor.role not in POLICY[Permission.PAYLOAD_DECODE]:
        raise NotPermitted(f"role {actor.role} lacks the right {Permission.PAYLOAD_DECODE.value}")
    return actor


CodecActor = Annotated[Actor, Depends(_codec_actor)]


def _codec(settings: SettingsDep, namespace: str) -> EncryptionCodec:
    if namespace != settings.temporal_namespace:
        raise InvalidInput("unknown namespace", field=("header", "x-namespace"))
    ring = load_or_create_key_file(settings.effective_payload_keys_file, create=settings.payload_keys_file is None)
    return EncryptionCodec(ring, namespace)


def _parse(body: CodecPayloads) -> list[Payload]:
    try:
        return [json_format.ParseDict(p, Payload()) for p in body.payloads]
    except json_format.ParseError:
        raise InvalidInput("payloads must be Temporal payloads in proto3 JSON form", field=("payloads",)) from None


def _answer(payloads: list[Payload]) -> CodecPayloads:
    return CodecPayloads(payloads=[json_format.MessageToDict(p) for p in payloads])


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "only auditors and supervisors may decode"},
    # The body guard (api/middleware.py) answers before the route: up to 1,000 payloads of any size can exceed it.
    400: {"model": Problem, "description": "the body is shorter or longer than its declared length"},
    413: {"model": Problem, "description": "the request body exceeds the limit (CASEWORK_API_MAX_BODY_BYTES)"},
    415: {"model": Problem, "description": "the body is not JSON"},
}


@router.post("/decode", response_model=CodecPayloads, responses=_ERRORS)
async def decode(body: CodecPayloads, actor: CodecActor, settings: SettingsDep, pool: PoolDep, ledger: LedgerDep,
                 x_namespace: Annotated[str | None, Header()] = None) -> CodecPayloads:
    """Decrypt payloads for an auditor or a supervisor (the Temporal Web UI calls this)."""
    codec = _codec(settings, x_namespace or settings.temporal_namespace)
    try:
        decoded = await codec.decode(_parse(body))
    except CodecError as err:
        raise InvalidInput(str(err), field=("payloads",)) from None
    await log_access(pool, ledger, actor, None, "codec_decode", via=f"codec:{len(decoded)}")
    return _answer(decoded)


@router.post("/encode", response_model=CodecPayloads, responses=_ERRORS)
async def encode(body: CodecPayloads, actor: CodecActor, settings: SettingsDep,  # noqa: ARG001 - the dependency authorises the call
                 x_namespace: Annotated[str | None, Header()] = None) -> CodecPayloads:
    """Encrypt payloads (what the UI sends when it signals or queries a workflow)."""
    codec = _codec(settings, x_namespace or settings.temporal_namespace)
    return _answer(await codec.encode(_parse(body)))
