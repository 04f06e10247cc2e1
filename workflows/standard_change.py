"""The mass recalculation (物价联动): apply a new parameter version to every case in payment, in batches."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from temporalio import workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.standard_change import (
        ApplyStandardChangeBatchInput,
        ListActiveCasesInput,
        StandardChangeActivities,
    )
    from domain.actors import Actor
    from domain.standard_change import StandardChangeAlreadyStarted
    from workflows._policies import STORE_RETRY, STORE_TIMEOUT
    from workflows.models import StandardChangeProgress, StandardChangeWorkflowInput

WORKFLOW_ID_PREFIX = "standard-change-"

#: A batch of Updates; each Update runs one or two activities in its case, so minutes are plenty.
BATCH_TIMEOUT = timedelta(minutes=10)
BATCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


def standard_change_workflow_id(version: str) -> str:
    """The workflow id of the recalculation for ``version``: one per version, so applying twice starts one."""
    return f"{WORKFLOW_ID_PREFIX}{version}"


async def start_standard_change(client: Client, task_queue: str, version: str, effective_from: date,
                                actor: Actor) -> str:
    """Start the recalculation of ``version`` in ``actor``'s name (the API's and the CLI's one way in).

    Returns:
        The workflow id.

    Raises:
        StandardChangeAlreadyStarted: one is running or has completed for the version (a failed or terminated
            one may be started again).
    """
    workflow_id = standard_change_workflow_id(version)
    try:
        await client.start_workflow(
            StandardChangeWorkflow.run,
            StandardChangeWorkflowInput(version=version, effective_from=effective_from, actor=actor),
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
    except WorkflowAlreadyStartedError:
        raise StandardChangeAlreadyStarted(version, workflow_id) from None
    return workflow_id


@workflow.defn(name="StandardChangeWorkflow")
class StandardChangeWorkflow:
    """Applies a parameter version to every active case, in keyset-paged batches (SPEC §7.4, §8; S4 Art. 10).

    Each page of case ids is read by an activity and then sent, in one heartbeating activity, each case's
    ``recalculate`` Update (idempotent per version). The counters and the cursor move only after a batch
    finishes; every ``batches_per_run`` batches the run continues as new with them, so the history stays
    bounded however many cases the county has.

    Queries:
        progress: the cursor, the counts so far and whether the run is done.
    """

    @workflow.init
    def __init__(self, inp: StandardChangeWorkflowInput) -> None:
        self._inp = inp
        self._cursor = inp.cursor
        self._totals = inp.totals
        self._batches = inp.batches
        self._done = False

    @workflow.run
    async def run(self, inp: StandardChangeWorkflowInput) -> StandardChangeProgress:
        in_this_run = 0
        # One Update id per chain of runs (stable across continue-as-new and activity retries): a retried
        # batch gets each case's first outcome back; a separate later run sees "already_applied".
        update_id = f"recalc-{inp.version}-{workflow.info().first_execution_run_id}"
        while True:
            page: list[UUID] = await workflow.execute_activity_method(
                StandardChangeActivities.list_active_cases,
                ListActiveCasesInput(after=self._cursor, limit=inp.batch_size, within=inp.actor.jurisdiction),
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=STORE_RETRY,
            )
            if not page:
                break
            counts = await workflow.execute_activity_method(
                StandardChangeActivities.apply_standard_change_batch,
                ApplyStandardChangeBatchInput(
                    case_ids=page, version=inp.version, effective_from=inp.effective_from, actor=inp.actor,
                    concurrency=inp.concurrency, update_id=update_id,
                ),
                start_to_close_timeout=BATCH_TIMEOUT,
                heartbeat_timeout=timedelta(seconds=inp.heartbeat_timeout_seconds),
                retry_policy=BATCH_RETRY,
            )
            self._totals = self._totals.plus(counts)
            self._cursor = page[-1]
            self._batches += 1
            in_this_run += 1
            workflow.logger.info("standard_change.batch_done",
                                 extra={"version": inp.version, "batches": self._batches,
                                        "cases": self._totals.cases})
            if len(page) < inp.batch_size:
                break  # a short page is the last one
            if in_this_run >= inp.batches_per_run or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(inp.model_copy(update={
                    "cursor": self._cursor, "totals": self._totals, "batches": self._batches}))
        self._done = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._progress()

    @workflow.query
    def progress(self) -> StandardChangeProgress:
        return self._progress()

    def _progress(self) -> StandardChangeProgress:
        return StandardChangeProgress(version=self._inp.version, effective_from=self._inp.effective_from,
                                      cursor=self._cursor, batches=self._batches, totals=self._totals,
                                      done=self._done, cases=self._totals.cases)
