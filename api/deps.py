"""``Annotated`` dependency aliases: resources opened by the lifespan, the clock and the caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.policy import POLICY, Permission
from domain.actors import Actor
from domain.errors import NotPermitted
from infra.auth import AuthError, TokenVerifier
from infra.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="JWT with sub, role and jurisdiction claims")


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_temporal(request: Request) -> Client:
    return request.app.state.temporal  # type: ignore[no-any-return]


def get_pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool  # type: ignore[no-any-return]


def get_clock() -> Callable[[], datetime]:
    """The wall clock; tests override it with a fixed one."""
    return lambda: datetime.now(UTC)


def get_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    """The authenticated actor, from the bearer token.

    Raises:
        AuthError: no token, or a bad one (→ 401).
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("missing bearer token")
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(credentials.credentials)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
ActorDep = Annotated[Actor, Depends(get_actor)]


def require(permission: Permission) -> Callable[[Actor], Actor]:
    """A dependency that lets the call through only for roles the policy table grants ``permission``."""

    def check(actor: ActorDep) -> Actor:
        if actor.role not in POLICY[permission]:
            raise NotPermitted(f"role {actor.role} lacks the right {permission.value}")
        return actor

    return check
