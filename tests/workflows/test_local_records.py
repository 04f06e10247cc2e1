"""Records as local activities (issue 18, patch ``case-local-records-v1``): exactly once when the workflow task
that recorded a decision is lost after PostgreSQL committed.

A local activity's result is durable only once its workflow task completes. A worker that dies between the
record's commit and the task's completion leaves the decision in PostgreSQL (events, read-model row, ledger)
but not in history; the task runs again — on this worker or another — decides the same step again at its own
instant and records it again. The store writes nothing the second time and hands back what it recorded; the
case takes that as the decision. Here the loss is made deterministic: an interceptor fails the workflow task of
the first ``accept_application`` Update once its handler has finished (its record committed), as ``kill -9``
would at that moment, on the real dev server and real PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from adapters.audit.chain import event_digest
from adapters.db.cases import PgCaseStore
from domain import commands as c
from domain.programmes.dibao.stages import Stage
from services.audit.replay import replay_runs
from tests.workflows.helpers import start_case, wait_for_case_row
from tests.workflows.lifecycle import WINDOW, Case
from worker.main import build_worker


class LoseTaskOnce(Interceptor):
    """Fails the workflow task of the first ``execute`` Update of ``command_type`` after its handler finished."""

    def __init__(self, command_type: str) -> None:
        self.command_type = command_type
        self.lost = 0

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:  # noqa: A002, ARG002
        outer = self

        class Inbound(WorkflowInboundInterceptor):
            async def handle_update_handler(self, input: HandleUpdateInput) -> Any:  # noqa: A002
                result = await super().handle_update_handler(input)
                if (input.update == "execute" and input.args[0].command.type == outer.command_type
                        and not outer.lost):
                    outer.lost += 1
                    # Not a Temporal failure: the SDK fails the workflow task, and Temporal runs it again.
                    raise RuntimeError("the worker was lost after the record committed (test)")
                return result

        return Inbound


@pytest_asyncio.fixture
async def losing_worker(dev_env: WorkflowEnvironment, pg_pool: asyncpg.Pool) -> AsyncIterator[
        tuple[Worker, LoseTaskOnce]]:
    loser = LoseTaskOnce("accept_application")
    async with build_worker(dev_env.client, pg_pool, f"tq-lose-{uuid.uuid4()}", interceptors=[loser]) as worker:
        yield worker, loser


async def _adopted(history: Any, converter: Any) -> list[list[dict[str, Any]]]:
    """The ``recorded`` events of every local ``record_case`` result that handed back an earlier record."""
    out = []
    for ev in history.events:
        attrs = ev.marker_recorded_event_attributes
        if ev.event_type != EventType.EVENT_TYPE_MARKER_RECORDED or attrs.marker_name != "core_local_activity":
            continue
        if json.loads(attrs.details["data"].payloads[0].data)["activity_type"] != "record_case":
            continue
        payloads = list(attrs.details["result"].payloads)
        if converter.payload_codec is not None:
            payloads = await converter.payload_codec.decode(payloads)
        recorded = json.loads(payloads[0].data).get("recorded")
        if recorded:
            out.append(recorded)
    return out


async def test_a_decision_recorded_by_a_lost_workflow_task_is_recorded_once_and_the_case_takes_it(
    dev_env: WorkflowEnvironment, pg_pool: asyncpg.Pool, losing_worker: tuple[Worker, LoseTaskOnce],
) -> None:
    """S1 Art. 14 受理, recorded once: the lost task's record stands in PostgreSQL and the ledger (nothing written
    twice or differently), the case's state is the recorded decision's (its instant, not the retry's), the
    Update answers once, and the history replays re-deriving exactly the recorded events."""
    worker, loser = losing_worker
    handle = await start_case(dev_env.client, worker)
    case = Case(handle)  # type: ignore[arg-type]
    case_id = (await case.snap()).state.case_id
    await wait_for_case_row(pg_pool, case_id)

    result = await case.do(WINDOW, c.AcceptApplication())

    assert loser.lost == 1
    assert result.events[0] == "application_accepted"
    stored = await PgCaseStore(pg_pool).get_events(case_id)
    assert [e["seq"] for e in stored] == list(range(1, len(stored) + 1))
    accepted = [e for e in stored if e["type"] == "application_accepted"]
    assert len(accepted) == 1
    state = (await case.snap()).state
    assert state.stage is Stage.ACCEPTED and state.version == len(stored)
    assert state.stage_since == datetime.fromisoformat(accepted[0]["payload"]["at"].replace("Z", "+00:00"))
    ledger = await pg_pool.fetch("SELECT seq FROM audit_ledger WHERE case_id = $1 AND kind = 'decision' ORDER BY seq",
                                 case_id)
    assert [r["seq"] for r in ledger] == [e["seq"] for e in stored]

    history = await handle.fetch_history()
    converter = dev_env.client.data_converter
    adopted = await _adopted(history, converter)
    assert len(adopted) == 1 and adopted[0][0]["type"] == "application_accepted"  # the retry took the record
    runs, rederived = await replay_runs([("lost-task", history)], data_converter=converter)
    assert runs[0].deterministic, runs[0].divergence
    assert [event_digest("sha256", d) for d in rederived] == [event_digest("sha256", e["payload"]) for e in stored]
