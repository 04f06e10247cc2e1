"""The production worker on the real Temporal dev server, for the services' tests (one for the session)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflows.helpers import running_worker


@pytest_asyncio.fixture(scope="session")
async def dev_worker(dev_env: WorkflowEnvironment, pg_pool: asyncpg.Pool) -> AsyncIterator[Worker]:
    async with running_worker(dev_env.client, pg_pool) as worker:
        yield worker
