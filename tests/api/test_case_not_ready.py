"""A case whose workflow task keeps failing: 503 with ``Retry-After``, never a 500 (issue 7 item 6).

Temporal refuses queries and Updates while a workflow's last task failed ("Workflow Task in failed state"):
a task that raced a new message, a worker that could not complete it, or — as in the chaos run — a history
the worker could not replay. The API must say "retry later" and change nothing. The failing workflow here is
real: a workflow registered under the case workflow's type name whose task fails on every attempt, on the
real dev server, under the id a case would have.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from temporalio import workflow
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.actors import Role
from domain.ids import workflow_id_for
from tests.api.conftest import TokenFactory


@workflow.defn(name="CaseWorkflow", sandboxed=False)
class BrokenCaseWorkflow:
    """Fails its workflow task on every attempt (an exception that is not a workflow failure)."""

    @workflow.run
    async def run(self, _: object) -> None:
        raise RuntimeError("this task fails on every attempt")


@pytest_asyncio.fixture
async def broken_case(dev_env: WorkflowEnvironment) -> AsyncIterator[uuid.UUID]:
    case_id = uuid.uuid4()
    task_queue = f"broken-{case_id}"
    async with Worker(dev_env.client, task_queue=task_queue, workflows=[BrokenCaseWorkflow]):
        handle: WorkflowHandle[object, object] = await dev_env.client.start_workflow(
            "CaseWorkflow", {}, id=workflow_id_for(case_id), task_queue=task_queue)
        await _task_failed(handle)
    # Its worker gone too (as after a crash): the task stays failed, nobody retries it.
    try:
        yield case_id
    finally:
        await handle.terminate("test over")


async def _task_failed(handle: WorkflowHandle[object, object]) -> None:
    """Until the task has failed three times (from the third attempt on, the server refuses queries)."""
    async with asyncio.timeout(60):
        while True:
            pending = (await handle.describe()).raw_description.pending_workflow_task
            if pending.attempt >= 3:
                return
            await asyncio.sleep(0.1)


async def test_a_case_whose_workflow_task_failed_answers_503_with_retry_after(
    http: httpx.AsyncClient, auth: TokenFactory, broken_case: uuid.UUID
) -> None:
    supervisor = auth(Role.SUPERVISOR, "532302")
    read = await http.get(f"/v1/cases/{broken_case}", headers=supervisor)
    assert read.status_code == 503, read.text
    assert read.headers["retry-after"].isdigit()
    assert read.json()["code"] == "case_not_ready"
    assert "fails on every attempt" not in read.text  # the worker's failure is not echoed

    command = await http.post(f"/v1/cases/{broken_case}/commands", headers={**auth(), "Idempotency-Key": "k-1"},
                              json={"command": {"type": "accept_application"}})
    assert command.status_code == 503, command.text
    assert command.headers["retry-after"].isdigit()
    assert command.json()["code"] == "case_not_ready"
