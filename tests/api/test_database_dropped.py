"""Every way asyncpg reports a lost database answers 503 with ``Retry-After``, never a 500 (issue 7 item 6c).

The faults tests stop the real PostgreSQL under load; which exception a request then meets depends on where
its query was when the server went away, so a rare one can hide for many runs (CI met asyncpg's
``InternalClientError`` — MagicStack/asyncpg#784 — once in several hundred requests). Here each is raised on
purpose, on the idempotency gate's first write and on a route's read, through the real app and its real
Temporal client: the answer must be 503 with ``Retry-After`` and a body naming no data.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from adapters.settings import Settings
from api.main import create_app
from domain.actors import Role
from tests.api.conftest import TokenFactory

#: What asyncpg raised in our runs (and its issue tracker reports) when the server stopped mid-operation.
DROPPED = {
    "connection_refused": lambda: ConnectionRefusedError(111, "Connection refused"),
    "socket_missing": lambda: FileNotFoundError(2, "No such file or directory"),
    "admin_shutdown": lambda: asyncpg.exceptions.AdminShutdownError(
        "terminating connection due to administrator command"),
    "cannot_connect_now": lambda: asyncpg.exceptions.CannotConnectNowError(
        "the database system is shutting down"),
    "connection_does_not_exist": lambda: asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"),
    "interface_closed": lambda: asyncpg.InterfaceError("connection is closed"),
    "protocol_state": lambda: asyncpg.exceptions.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"),
}


class DroppedPool:
    """A pool whose every call meets the database going away with ``error``."""

    def __init__(self, error: Any) -> None:
        self._error = error

    def _fail(self, *_: Any, **__: Any) -> Any:
        raise self._error()

    fetch = fetchrow = fetchval = execute = executemany = acquire = _fail


@pytest_asyncio.fixture
async def app(api_settings: Settings, dev_env: WorkflowEnvironment) -> AsyncIterator[FastAPI]:
    application = create_app(api_settings, temporal=dev_env.client)
    async with application.router.lifespan_context(application):
        real = application.state.pool
        yield application
        application.state.pool = real


@pytest.mark.parametrize("dropped", sorted(DROPPED))
async def test_a_dropped_database_connection_answers_503_with_retry_after(
    app: FastAPI, auth: TokenFactory, dropped: str,
) -> None:
    app.state.pool = DroppedPool(DROPPED[dropped])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://casework.test") as http:
        listed = await http.get("/v1/cases", headers=auth(Role.TOWNSHIP_CASEWORKER, "532302101"))
        created = await http.post("/v1/cases", json={}, headers={**auth(Role.FRONT_OFFICE, "532302101"),
                                                                 "Idempotency-Key": str(uuid.uuid4())})

    for answer in (listed, created):
        assert answer.status_code == 503, (dropped, answer.status_code, answer.text)
        assert answer.headers["retry-after"].isdigit()
        assert answer.json()["code"] == "database_unavailable"
