"""One production worker for all workflow tests on the time-skipping server.

A worker per test is a trap on the time-skipping server: a workflow task scheduled after a test's worker
stopped stays pending forever, and the server will not skip time while work is pending.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflows.helpers import running_worker


@pytest_asyncio.fixture(scope="session")
async def ts_worker(ts_env: WorkflowEnvironment, pg_pool: asyncpg.Pool) -> AsyncIterator[Worker]:
    async with running_worker(ts_env.client, pg_pool) as worker:
        yield worker
