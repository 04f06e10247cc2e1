"""The case workflow on Temporal's time-skipping test server, with real activities on a real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.db.cases import PgCaseStore
from domain.programmes.dibao.stages import Stage
from tests.builders import FIXED_NOW
from tests.workflows.helpers import start_case, wait_for_case_row
from workflows.case import CaseWorkflow


async def test_a_started_case_answers_its_stage_and_is_recorded_in_postgres(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S1 Arts. 4, 9: a submitted application is a case in stage ``submitted``, recorded with its actor."""
    case_id = uuid.uuid4()
    handle = await start_case(ts_env.client, ts_worker, case_id=case_id)

    snap = await handle.query(CaseWorkflow.snapshot)
    row = await wait_for_case_row(pg_pool, case_id)

    assert snap.state.stage == Stage.SUBMITTED
    assert snap.state.opened_at == FIXED_NOW
    assert snap.state.township_code == "532302101"
    assert row["stage"] == "submitted"
    assert row["version"] == 1
    events = await PgCaseStore(pg_pool).get_events(case_id)
    assert [e["type"] for e in events] == ["application_submitted"]


async def test_a_case_waits_durably_and_decides_nothing_on_its_own(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §0.1: no deemed decisions — a year of silence leaves the case where it was."""
    case_id = uuid.uuid4()
    handle = await start_case(ts_env.client, ts_worker, case_id=case_id)
    await wait_for_case_row(pg_pool, case_id)

    await ts_env.sleep(timedelta(days=365))

    snap = await handle.query(CaseWorkflow.snapshot)
    desc = await handle.describe()

    assert snap.state.stage == Stage.SUBMITTED
    assert snap.state.version == 1
    assert desc.status is not None and desc.status.name == "RUNNING"
    assert len(await PgCaseStore(pg_pool).get_events(case_id)) == 1


async def test_the_workflow_id_carries_no_personal_data(ts_env: WorkflowEnvironment, ts_worker: Worker) -> None:
    """Privacy (S4 Art. 61): the workflow id is ``case-<random uuid>``, never a name or ID number."""
    handle = await start_case(ts_env.client, ts_worker)
    snap = await handle.query(CaseWorkflow.snapshot)

    assert handle.id == f"case-{snap.state.case_id}"
    for member in snap.state.members:
        assert member.resident_id not in handle.id
        assert member.name not in handle.id
