"""A command arriving while another decision is being recorded is decided after it, on the state it leaves.

Decisions of a case are taken one at a time (the workflow's lock): a command waits while a timer's decision
or another command is being recorded in PostgreSQL, then is decided on the state that decision leaves. The
Update validator used to check a command against the state *before* the decision in progress and refuse it: a
county reviewer who saw the 公示 close in the case's trail (already in PostgreSQL) and started the review at
once was told "wrong stage" (409) — CI's demo run met exactly that. These tests hold ``record_case`` at that
moment with an activity interceptor, on the real dev server and real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)

from adapters.parameters import ParameterFile
from domain import commands as c
from domain.actors import Actor
from domain.programmes.dibao.stages import Stage
from tests.params import fast_publicity_book
from tests.workflows.helpers import start_case
from tests.workflows.lifecycle import (
    CASEWORKER,
    COUNTY_REVIEWER,
    HOME_VISIT,
    TEAM,
    WINDOW,
    Case,
    to_publicity,
)
from worker.main import build_worker
from workflows.case import CaseWorkflow, CommandInput

HOLD_TIMEOUT = 20.0


class RecordGate(Interceptor):
    """Holds the ``record_case`` activity whose events include ``event_type`` until :meth:`open` is called."""

    def __init__(self) -> None:
        self.event_type: str | None = None
        self.held = asyncio.Event()
        self._open = asyncio.Event()

    def hold(self, event_type: str) -> None:
        self.event_type = event_type
        self.held.clear()
        self._open.clear()

    def open(self) -> None:
        self.event_type = None
        self._open.set()

    def _holds(self, args: tuple[Any, ...]) -> bool:
        if activity.info().activity_type != "record_case" or self.event_type is None:
            return False
        return any(event.type == self.event_type for event in args[0].events)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:  # noqa: A002
        gate = self

        class Held(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> Any:  # noqa: A002
                if gate._holds(tuple(input.args)):
                    gate.held.set()
                    await gate._open.wait()
                return await super().execute_activity(input)

        return Held(next)


@pytest.fixture(scope="module")
def gate() -> RecordGate:
    return RecordGate()


@pytest_asyncio.fixture(scope="module")
async def gated_worker(dev_env: WorkflowEnvironment, pg_pool: asyncpg.Pool, gate: RecordGate,
                       tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Worker]:
    """The production worker with the gate, and a 公示 window of 2 s of wall time (the dev server)."""
    book = fast_publicity_book(tmp_path_factory.mktemp("params") / "fast.json", seconds=2)
    async with build_worker(dev_env.client, pg_pool, f"tq-gate-{uuid.uuid4()}", ParameterFile(book),
                            interceptors=[gate]) as worker:
        yield worker


async def send_while_held(case: Case, gate: RecordGate, who: Actor, command: object,
                          first: asyncio.Future[Any] | None = None) -> Any:
    """Wait until the gate holds a decision's record, send ``command``, which must be accepted (not refused
    against the state before that decision) while the record is still held; then let the record go."""
    async with asyncio.timeout(HOLD_TIMEOUT):
        await gate.held.wait()
    try:
        update = await case.handle.start_update(CaseWorkflow.execute,
                                                CommandInput(actor=who, command=command),
                                                wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        # Accepted while the other decision's record was still held.
        assert gate.held.is_set()
        assert not gate._open.is_set()
    finally:
        gate.open()
    if first is not None:
        await first
    return await update.result()


async def test_a_command_sent_while_the_previous_one_is_recorded_is_decided_after_it(
    dev_env: WorkflowEnvironment, gated_worker: Worker, gate: RecordGate,
) -> None:
    """S1 Art. 15: the home visit belongs to an investigation. Sent while the investigation's start is still
    being recorded, it waits for it and is recorded after it — not refused as 'no investigation yet'."""
    case = Case(await start_case(dev_env.client, gated_worker))
    await case.do(WINDOW, c.AcceptApplication())

    gate.hold("investigation_started")
    started = asyncio.ensure_future(case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM)))
    visited = await send_while_held(case, gate, CASEWORKER, HOME_VISIT, first=started)

    assert started.result().events[0] == "investigation_started"
    assert visited.events == ["home_visit_recorded"]
    assert visited.first_seq > started.result().first_seq
    assert (await case.snap()).state.stage is Stage.INVESTIGATING


async def test_the_county_review_started_while_the_publicity_close_is_recorded_waits_for_it(
    dev_env: WorkflowEnvironment, gated_worker: Worker, gate: RecordGate,
) -> None:
    """S1 Arts. 19–20: when the 公示 window ends without objection the case goes to the county (a timer's
    decision); a county reviewer who starts the review while that decision is being recorded gets it started
    on the state the close leaves (submitted to the county), not a 409 against the open window."""
    case = Case(await start_case(dev_env.client, gated_worker))
    gate.hold("publicity_window_elapsed")
    await to_publicity(case)

    review = await send_while_held(case, gate, COUNTY_REVIEWER, c.StartCountyReview())

    assert review.events == ["county_review_started"]
    assert (await case.snap()).state.stage is Stage.COUNTY_REVIEW


async def test_a_command_that_is_wrong_after_the_decision_in_progress_is_still_refused(
    dev_env: WorkflowEnvironment, gated_worker: Worker, gate: RecordGate,
) -> None:
    """Deciding after the decision in progress refuses what is wrong then, with the domain's reason: the
    publicity cannot be started on a case whose investigation has only just begun (S1 Art. 19)."""
    case = Case(await start_case(dev_env.client, gated_worker))
    await case.do(WINDOW, c.AcceptApplication())

    gate.hold("investigation_started")
    started = asyncio.ensure_future(case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM)))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await send_while_held(case, gate, CASEWORKER, c.StartPublicity(location="村务公开栏"), first=started)

    assert isinstance(refused.value.cause, ApplicationError), refused.value
    assert refused.value.cause.type == "invalid_transition", refused.value.cause
    assert (await case.snap()).state.stage is Stage.INVESTIGATING
