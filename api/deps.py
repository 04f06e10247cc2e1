"""``Annotated`` dependency aliases: resources opened by the lifespan, the clock and the caller.

Every dependency here is ``async def``, even those that only read ``app.state``: FastAPI runs a plain ``def``
dependency in a worker thread, a thread hop (and an event-loop wake-up) per dependency per request (issue 18).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from adapters.audit.ledger import Ledger
from adapters.auth import AuthError, TokenVerifier
from adapters.db import staff as staff_store
from adapters.parameters import ParameterFile
from adapters.settings import Settings
from api.policy import POLICY, Permission
from api.unavailable import UNAVAILABLE
from domain.actors import Actor
from domain.errors import NotPermitted

_bearer = HTTPBearer(auto_error=False, description="JWT with sub, role and jurisdiction claims")


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_temporal(request: Request) -> Client:
    return request.app.state.temporal  # type: ignore[no-any-return]


async def get_pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool  # type: ignore[no-any-return]


async def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


async def get_clock() -> Callable[[], datetime]:
    """The wall clock; tests override it with a fixed one."""
    return lambda: datetime.now(UTC)


async def get_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    """The authenticated actor, from the bearer token; a staff account disabled since the token was issued is
    refused at once, as in the console (a password login's token is an ordinary bearer token for 8 hours).

    Raises:
        AuthError: no token, a bad one, or a disabled account's (→ 401).
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("missing bearer token")
    verifier: TokenVerifier = request.app.state.verifier
    actor = await verifier.authenticate(credentials.credentials)
    pool = getattr(request.app.state, "pool", None)
    if pool is not None:
        try:
            disabled = await staff_store.is_disabled(pool, actor.id)
        except (*UNAVAILABLE, asyncpg.PostgresError):
            disabled = False  # the database is away: the request that needs it answers 503 on its own
        if disabled:
            raise AuthError("account disabled")
    return actor


async def get_parameters(request: Request) -> ParameterFile:
    """The parameter book the API's requests see (one per app: re-read when the file changes)."""
    return request.app.state.parameters  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
ParametersDep = Annotated[ParameterFile, Depends(get_parameters)]
ActorDep = Annotated[Actor, Depends(get_actor)]


def require(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    """A dependency that lets the call through only for roles the policy table grants ``permission``.

    The actor is kept on ``request.state.actor``: the ``DomainError`` handler (api/errors.py) writes every 403
    of the request — this refusal, or a jurisdiction refusal further on — to the audit ledger in its name. The
    returned dependency carries ``permission`` as an attribute (the authorization-matrix test reads it).
    """

    async def check(request: Request, actor: ActorDep) -> Actor:
        request.state.actor = actor
        if actor.role not in POLICY[permission]:
            refused = NotPermitted(f"role {actor.role} lacks the right {permission.value}")
            refused.permission = permission  # type: ignore[attr-defined]  # the ledger entry names the right
            raise refused
        return actor

    check.permission = permission  # type: ignore[attr-defined]
    return check
