"""Running the case workflow in a test environment with real activities on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from adapters.db.cases import PgCaseStore
from domain.actors import Actor
from domain.commands import SubmitApplication
from domain.ids import workflow_id_for
from tests.builders import FIXED_NOW, actor, application
from worker.main import build_worker
from workflows.case import CaseWorkflow, CaseWorkflowInput


@asynccontextmanager
async def running_worker(client: Client, pool: asyncpg.Pool) -> AsyncIterator[Worker]:
    """The production worker (same workflows and activities), on a task queue of its own."""
    worker = build_worker(client, pool, f"tq-{uuid.uuid4()}")
    async with worker:
        yield worker


async def start_case(
    client: Client,
    worker: Worker,
    *,
    case_id: UUID | None = None,
    who: Actor | None = None,
    app: SubmitApplication | None = None,
) -> WorkflowHandle[CaseWorkflow, object]:
    case_id = case_id or uuid.uuid4()
    return await client.start_workflow(
        CaseWorkflow.run,
        CaseWorkflowInput(
            case_id=case_id, actor=who or actor(), submitted_at=FIXED_NOW, application=app or application(),
            index_in_visibility=False,  # the time-skipping server has no custom search attributes
        ),
        id=workflow_id_for(case_id),
        task_queue=worker.task_queue,
    )


async def wait_for_case_row(pool: asyncpg.Pool, case_id: UUID, timeout: float = 20) -> dict[str, object]:
    store = PgCaseStore(pool)
    async with asyncio.timeout(timeout):
        while (row := await store.get_case(case_id)) is None:
            await asyncio.sleep(0.05)
    return row
