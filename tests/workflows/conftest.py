"""One production worker for all workflow tests on the time-skipping server.

A worker per test is a trap on the time-skipping server: a workflow task scheduled after a test's worker
stopped stays pending forever, and the server will not skip time while work is pending.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.parameters import ParameterFile
from tests.params import book_with
from tests.workflows.helpers import running_worker
from worker.main import build_worker


@pytest_asyncio.fixture(scope="session")
async def ts_worker(ts_env: WorkflowEnvironment, pg_pool: asyncpg.Pool) -> AsyncIterator[Worker]:
    async with running_worker(ts_env.client, pg_pool) as worker:
        yield worker


@pytest_asyncio.fixture(scope="session")
async def ts_worker_working_day(
    ts_env: WorkflowEnvironment, pg_pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Worker]:
    """A production worker whose parameter book counts the 公示 in working days (session-scoped, as above)."""
    book = book_with(tmp_path_factory.mktemp("params") / "working_day.json", publicity_unit="working_day")
    async with build_worker(ts_env.client, pg_pool, f"tq-wd-{uuid.uuid4()}", ParameterFile(book)) as worker:
        yield worker
