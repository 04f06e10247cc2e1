"""Patch discipline (STYLE guideline 14), shown on a real change against the golden histories.

The change: a case's run loads today's parameters *before* it records the opening application, instead of
after (the ``resolve_parameters`` and ``record_case`` activities swap places). Shipped as is, it changes the
command sequence of the cases already running, and replaying their golden histories fails with a
nondeterminism error; shipped behind ``workflow.patched()`` — the new order in runs that take the patch, the
old one in runs that recorded the old one — every golden history replays, and a new case takes the new order.

Both variants subclass :class:`CaseWorkflow` under its registered name and override only ``run`` (the SDK
keeps the inherited Update, validator and query handlers), delegating to today's ``run`` after calling
``_params_today()``: today's own preload a moment later finds the parameters loaded and runs no activity.

The replayer's sandbox re-imports this module to define the variants, so the module imports the workflow
modules as a worker does, passes everything else through, and computes nothing at import time.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, Worker

from workflows.case import CaseSnapshot, CaseWorkflow, CaseWorkflowInput
from workflows.allowance_catch_up import AllowanceCatchUpWorkflow
from workflows.review_sweep import ReviewSweepWorkflow
from workflows.standard_change import StandardChangeWorkflow

with workflow.unsafe.imports_passed_through():
    from activities import build_activities
    from adapters.db.cases import PgCaseStore
    from adapters.db.economic_records import PgEconomicRecords
    from adapters.parameters import ParameterFile
    from tests.builders import FIXED_NOW, actor, application
    from tests.workflows.test_replay import HISTORIES, HISTORY_DIR, facts

if TYPE_CHECKING:  # not at run time: a second copy of a C extension inside the sandbox crashes the process
    import asyncpg
    from temporalio.testing import WorkflowEnvironment

#: The patch id of the reordering.
PATCH = "case-params-before-record-v1"


@workflow.defn(name="CaseWorkflow")
class UnpatchedReorder(CaseWorkflow):
    """The reordering shipped without a patch: parameters first, whatever the history recorded."""

    @workflow.run
    async def run(self, inp: CaseWorkflowInput) -> CaseSnapshot:
        await self._params_today()
        return await super().run(inp)


@workflow.defn(name="CaseWorkflow")
class PatchedReorder(CaseWorkflow):
    """The reordering behind ``workflow.patched()``: parameters first only in runs that took the patch."""

    @workflow.run
    async def run(self, inp: CaseWorkflowInput) -> CaseSnapshot:
        if workflow.patched(PATCH):
            await self._params_today()
        return await super().run(inp)


def _activities(history: WorkflowHistory) -> list[str]:
    """The activities a run scheduled or ran locally (runs that took case-local-records-v1), in order."""
    out = []
    for ev in history.events:
        if ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            out.append(ev.activity_task_scheduled_event_attributes.activity_type.name)
        elif (ev.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
              and ev.marker_recorded_event_attributes.marker_name == "core_local_activity"):
            out.append(json.loads(ev.marker_recorded_event_attributes.details["data"].payloads[0].data)
                       ["activity_type"])
    return out


def _patches(history: WorkflowHistory) -> list[str]:
    """The patch ids a run recorded, in order."""
    return [m.marker_recorded_event_attributes.details["patch-data"].payloads[0].data.decode()
            for m in history.events if m.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and "patch-data" in m.marker_recorded_event_attributes.details]


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())


def _reordered_histories() -> list[str]:
    """Golden case histories whose first two activities the reordering swaps: the run recorded the
    application, then loaded the parameters (a run carried over a continue-as-new records nothing first)."""
    return sorted(p.stem for p in HISTORIES if "workflow:CaseWorkflow" in facts(p)
                  and _activities(_history(p))[:2] == ["record_case", "resolve_parameters"])


async def _replay_failures(case_workflow: type) -> dict[str, BaseException]:
    """Replay every golden history with ``case_workflow`` standing in for the case workflow; the failures."""
    replayer = Replayer(workflows=[case_workflow, ReviewSweepWorkflow, StandardChangeWorkflow, AllowanceCatchUpWorkflow],
                        data_converter=pydantic_data_converter)

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for path in HISTORIES:
            yield _history(path)

    failures: dict[str, BaseException] = {}
    async with replayer.workflow_replay_iterator(histories()) as results:  # one worker for all of them
        async for result in results:
            if result.replay_failure is not None:
                failures[result.history.workflow_id.removeprefix("case-")] = result.replay_failure
    return failures


def test_the_golden_histories_hold_runs_that_recorded_the_old_order() -> None:
    """The replay checks below mean something only if golden histories recorded the order being changed."""
    assert len(_reordered_histories()) >= 5, _reordered_histories()


async def test_reordering_commands_without_a_patch_fails_replay_of_the_golden_histories() -> None:
    """STYLE guideline 14: swapping two activities of CaseWorkflow.run without ``workflow.patched()`` fails
    the replay, with a nondeterminism error, of every golden history that recorded the old order."""
    failures = await _replay_failures(UnpatchedReorder)

    assert set(_reordered_histories()) <= set(failures), sorted(set(_reordered_histories()) - set(failures))
    # A run that recorded its calls as local activities (case-local-records-v1) fails otherwise: the SDK matches
    # a local activity's marker by its sequence number, so the swapped call is handed the other's result and
    # fails decoding it (a failed replay all the same; the activities' types differ).
    assert {stem: f for stem, f in failures.items() if not isinstance(f, workflow.NondeterminismError)
            and "patch:case-local-records-v1" not in facts(HISTORY_DIR / f"{stem}.json")} == {}


async def test_the_same_reordering_behind_a_patch_replays_every_golden_history() -> None:
    """STYLE guideline 14: the same change behind ``workflow.patched()`` replays every golden history."""
    failures = await _replay_failures(PatchedReorder)

    assert failures == {}


async def test_a_new_case_on_the_patched_workflow_takes_the_new_order(
    ts_env: WorkflowEnvironment, pg_pool: asyncpg.Pool
) -> None:
    """The patch is not a no-op: a case started on the patched code records the patch and loads the
    parameters before it records the application."""
    task_queue = f"tq-patch-{uuid.uuid4()}"
    activities = build_activities(store=PgCaseStore(pg_pool), pool=pg_pool,
                                  records=PgEconomicRecords(pg_pool), parameters=ParameterFile(),
                                  client=ts_env.client)
    case_id = uuid.uuid4()
    worker = Worker(ts_env.client, task_queue=task_queue, workflows=[PatchedReorder], activities=activities)
    async with worker:
        handle = await ts_env.client.start_workflow(
            PatchedReorder.run,
            CaseWorkflowInput(case_id=case_id, actor=actor(), submitted_at=FIXED_NOW,
                              application=application(unique=True), index_in_visibility=False),
            id=f"case-{case_id}", task_queue=task_queue)
        history = await _once_recorded(handle)
        await handle.terminate(reason="test over")  # leave no task behind for a stopped worker

    assert _activities(history)[:2] == ["resolve_parameters", "record_case"]
    assert any(f'"{PATCH}"' in patch for patch in _patches(history))


async def _once_recorded(handle: WorkflowHandle[PatchedReorder, CaseSnapshot]) -> WorkflowHistory:
    """The case's history once it has scheduled the recording of the application."""
    async with asyncio.timeout(20):
        while "record_case" not in _activities(history := await handle.fetch_history()):
            await asyncio.sleep(0.05)
    return history
