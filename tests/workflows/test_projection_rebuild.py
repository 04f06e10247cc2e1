"""``rebuild``: the case read model recreated from the workflows, on the real dev server (issue 5).

A database of the test's own and a production worker on a task queue of its own; the rebuild lists only this
test's workflows (by task queue), since the dev server is shared with other tests. Cases in several stages:
running (submitted; investigating), completed (withdrawn), terminated (its events are folded) and a case in
payment started with ``carried=`` state, as a continue-as-new run starts. The rows are snapshotted, the
projection is lost three ways (rows deleted, tables dropped, rows corrupted), and each rebuild gives back the
same rows.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.db.cases import PgCaseStore
from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.ids import workflow_id_for
from domain.kernel.clock import CHINA_TZ
from services.projection import rebuild
from tests.builders import JINSHAN_VILLAGE, actor, application
from tests.standard_change_cases import in_payment_state, load_book
from tests.workflows.lifecycle import CASEWORKER, TEAM, WINDOW, Case
from workflows.case import CaseWorkflow, CaseWorkflowInput


@pytest.fixture
def pool(fresh_pool: asyncpg.Pool) -> asyncpg.Pool:
    """A fresh, migrated database of this test's own."""
    return fresh_pool


@pytest.fixture
def worker(fresh_dev_worker: Worker) -> Worker:
    """The production worker (every workflow and activity) on this test's database."""
    return fresh_dev_worker


async def start(client: Client, task_queue: str, **inp: Any) -> Case:
    case_id = inp["carried"].case_id if "carried" in inp else uuid.uuid4()
    handle: WorkflowHandle[CaseWorkflow, Any] = await client.start_workflow(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=case_id, actor=actor(), submitted_at=datetime.now(CHINA_TZ),
                          application=application(JINSHAN_VILLAGE, unique=True), **inp),
        id=workflow_id_for(case_id),
        task_queue=task_queue,
    )
    return Case(handle)


async def recorded(pool: asyncpg.Pool, cases: list[Case]) -> None:
    """Wait until every case's row holds its workflow's latest version (the record activity ran)."""
    async with asyncio.timeout(30):
        for case in cases:
            snap = await case.snap()
            while await pool.fetchval("SELECT version FROM cases WHERE case_id = $1",
                                      snap.state.case_id) != snap.state.version:
                await asyncio.sleep(0.1)
                snap = await case.snap()


async def listed(client: Client, query: str, expected: dict[str, WorkflowExecutionStatus]) -> None:
    """Wait until visibility (eventually consistent) lists the workflows with their final statuses."""
    async with asyncio.timeout(30):
        while {wf.id: wf.status async for wf in client.list_workflows(query)} != expected:  # noqa: ASYNC110
            await asyncio.sleep(0.2)


async def projection(pool: asyncpg.Pool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cases = [dict(r) for r in await pool.fetch("SELECT * FROM cases ORDER BY case_id")]
    periods = [dict(r) for r in await pool.fetch("SELECT * FROM benefit_periods ORDER BY 1, 2")]
    return cases, periods


async def test_a_lost_projection_is_rebuilt_from_the_workflows_with_the_same_rows(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, worker: Worker
) -> None:
    client, tq = dev_env.client, worker.task_queue
    submitted = await start(client, tq)
    investigating = await start(client, tq)
    await investigating.do(WINDOW, c.AcceptApplication())
    await investigating.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    withdrawn = await start(client, tq)
    await withdrawn.do(WINDOW, c.WithdrawApplication(reason="申请人主动撤回"))
    terminated = await start(client, tq)
    await terminated.do(WINDOW, c.AcceptApplication())
    paying_state = in_payment_state(load_book(DEFAULT_BOOK), village_code=JINSHAN_VILLAGE,
                                    decided_on=datetime.now(CHINA_TZ).date() - timedelta(days=30))
    await PgCaseStore(pool).record(paying_state, [])  # as the run before the continue-as-new left it
    paying = await start(client, tq, carried=paying_state)
    cases = [submitted, investigating, withdrawn, terminated, paying]
    try:
        await withdrawn.handle.result()
        await recorded(pool, cases)
        await terminated.handle.terminate(reason="test: a terminated case is rebuilt from its events")
        query = f'WorkflowType="CaseWorkflow" AND TaskQueue="{tq}"'
        running = WorkflowExecutionStatus.RUNNING
        await listed(client, query, {
            submitted.handle.id: running, investigating.handle.id: running, paying.handle.id: running,
            withdrawn.handle.id: WorkflowExecutionStatus.COMPLETED,
            terminated.handle.id: WorkflowExecutionStatus.TERMINATED,
        })
        before = await projection(pool)
        assert len(before[0]) == 5
        assert len(before[1]) == 1  # the case in payment's benefit period

        # 1. the rows are lost
        await pool.execute("DELETE FROM benefit_periods")
        await pool.execute("DELETE FROM cases")
        report = await rebuild(pool, client, query=query)
        assert (report.cases, report.from_running, report.from_closed, report.from_events, report.failed) == (
            5, 3, 1, 1, 0)
        assert not report.schema_recreated
        assert await projection(pool) == before

        # 2. the tables are dropped
        await pool.execute("DROP TABLE benefit_periods, cases CASCADE")
        report = await rebuild(pool, client, query=query)
        assert report.schema_recreated
        assert report.cases == 5
        assert await projection(pool) == before

        # 3. rows are corrupt (one even ahead of its workflow): only a reset puts them right
        await pool.execute("UPDATE cases SET stage = 'exited', version = version + 100, overdue = true"
                           " WHERE case_id = $1", submitted.handle.id.removeprefix("case-"))
        await pool.execute("UPDATE cases SET pending_roles = '{}' WHERE case_id = $1",
                           investigating.handle.id.removeprefix("case-"))
        report = await rebuild(pool, client, query=query)
        assert [str(i) for i in report.ahead] == [submitted.handle.id.removeprefix("case-")]
        report = await rebuild(pool, client, query=query, reset=True)
        assert (report.cases, report.ahead, report.failed) == (5, [], 0)
        assert await projection(pool) == before
    finally:
        for case in (submitted, investigating, paying):
            await case.handle.terminate(reason="test over")
