"""How the API is served (api/server.py): an idle connection is the client's to close, never the server's first.

Found by CI: the canary test's client (httpx, idle connections closed after 5 s) reused a connection just as
uvicorn's own 5 s keep-alive timer closed it on a busy server, and the request went unanswered ("Server
disconnected without sending a response"). Real HTTP over a real socket; uvicorn as ``casework up`` runs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from adapters.settings import Settings
from api.server import server_options
from tests.faults.harness import free_port

REQUEST = b"GET /ping HTTP/1.1\r\nHost: casework\r\n\r\n"


async def ping_app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]  # noqa: ANN001
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def settings_on_a_free_port(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path, api_port=free_port(), **values)  # type: ignore[call-arg,arg-type]


async def serving(settings: Settings) -> AsyncIterator[uvicorn.Server]:
    server = uvicorn.Server(uvicorn.Config(ping_app, **server_options(settings), lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn has no event for it
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        await task


async def answered(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(REQUEST)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    body = await asyncio.wait_for(reader.readexactly(2), 5)
    assert head.startswith(b"HTTP/1.1 200"), head
    return body


@pytest.fixture
async def default_server(tmp_path: Path) -> AsyncIterator[Settings]:
    settings = settings_on_a_free_port(tmp_path)
    async for _ in serving(settings):
        yield settings


async def test_an_idle_connection_outlives_the_clients_own_idle_limit(default_server: Settings) -> None:
    client_idle_limit = httpx.Limits().keepalive_expiry  # httpx's pool; most HTTP libraries keep 5 s too
    assert client_idle_limit is not None
    assert default_server.api_keep_alive_seconds > client_idle_limit
    reader, writer = await asyncio.open_connection("127.0.0.1", default_server.api_port)
    try:
        assert await answered(reader, writer) == b"ok"
        await asyncio.sleep(client_idle_limit + 0.5)  # past the client's limit (and uvicorn's own default, 5 s)
        assert not reader.at_eof()
        assert await answered(reader, writer) == b"ok", "the same connection, reused after the client's limit"
    finally:
        writer.close()


async def test_the_keep_alive_setting_reaches_the_server(tmp_path: Path) -> None:
    settings = settings_on_a_free_port(tmp_path, api_keep_alive_seconds=0.3)
    async for _ in serving(settings):
        reader, writer = await asyncio.open_connection("127.0.0.1", settings.api_port)
        try:
            assert await answered(reader, writer) == b"ok"
            assert await asyncio.wait_for(reader.read(), 5) == b"", "the server closes the idle connection"
        finally:
            writer.close()
