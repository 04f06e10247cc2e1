"""The embedded Temporal dev server is ready when its frontend serves clients, not when its port opens.

CI once failed a fixture that connected right after ``EmbeddedTemporal.start`` returned: the port was open, the
frontend answered "Frontend is not healthy yet". ``start`` now waits for a client's ``GetSystemInfo`` and the gRPC
health check.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client

from devstack.embedded import EmbeddedTemporal, _frontend_serving, _port_open
from tests.faults.harness import free_port


@pytest.fixture
def open_port_not_temporal() -> Iterator[int]:
    """A port that accepts TCP connections and closes them: open, but no gRPC frontend behind it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def accept_and_close() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=accept_and_close, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()


def test_an_open_port_is_not_a_serving_frontend(open_port_not_temporal: int) -> None:
    assert _port_open(open_port_not_temporal)
    assert not _frontend_serving(f"127.0.0.1:{open_port_not_temporal}")


async def test_a_client_connects_as_soon_as_start_returns(tmp_path: Path) -> None:
    temporal = EmbeddedTemporal(tmp_path / "temporal.db", tmp_path, tmp_path / "temporal.log",
                                port=free_port(), ui_port=free_port())
    await asyncio.to_thread(temporal.start)
    try:
        client = await Client.connect(temporal.address)
        assert await client.service_client.check_health(timeout=timedelta(seconds=2))
    finally:
        await asyncio.to_thread(temporal.stop)
