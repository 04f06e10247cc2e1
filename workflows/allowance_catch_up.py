"""The daily catch-up of 高龄津贴's own timers (issue 17 item 4; SPEC §6.3): band moves and survival checks.

Each case moves to the next band on the birthday and escalates a missed survival check with its own durable
timer. This workflow, started every night by the ``casework-allowance-catch-up`` Schedule
(services/schedules.py), finds in the read model the cases where one of those is due and not recorded (a case
whose workflow was down, stuck or reset) and sends each the idempotent ``catch_up_timers`` Update: whichever
comes first records it, the other changes nothing. Bounded and resumable like the mass recalculation: pages of
``batch_size`` cases by case id, continue-as-new every ``batches_per_run`` batches carrying the cursor and the
counts, and a run started with a ``cursor`` goes on from there.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from activities.allowance_catch_up import AllowanceCatchUpActivities, CatchUpBatchInput, FindCatchUpsInput
    from domain.kernel.clock import CHINA_TZ
    from workflows._policies import STORE_RETRY, STORE_TIMEOUT
    from workflows.models import AllowanceCatchUpInput, AllowanceCatchUpReport

SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
#: A batch waits for its slowest case (each bounded by the activity's own per-case timeout).
BATCH_TIMEOUT = timedelta(minutes=30)
BATCH_HEARTBEAT = timedelta(seconds=30)
BATCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=1),
                          maximum_attempts=5)


@workflow.defn(name="AllowanceCatchUpWorkflow")
class AllowanceCatchUpWorkflow:
    """Catch up every 高龄津贴 case whose band move or survival check is due, in bounded batches.

    Queries:
        progress: the day, the cursor, the counts so far and whether the chain of runs is done.
    """

    @workflow.init
    def __init__(self, inp: AllowanceCatchUpInput) -> None:
        self._inp = inp
        self._as_of = _day(inp)
        self._cursor = inp.cursor
        self._totals = inp.totals
        self._batches = inp.batches
        self._done = False

    @workflow.run
    async def run(self, inp: AllowanceCatchUpInput) -> AllowanceCatchUpReport:
        in_this_run = 0
        while True:
            page = await workflow.execute_activity_method(
                AllowanceCatchUpActivities.find_allowance_catch_ups,
                FindCatchUpsInput(as_of=self._as_of, after=self._cursor, limit=inp.batch_size),
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=STORE_RETRY,
            )
            if not page:
                break
            counts = await workflow.execute_activity_method(
                AllowanceCatchUpActivities.catch_up_allowances,
                CatchUpBatchInput(as_of=self._as_of, case_ids=page, concurrency=inp.concurrency),
                start_to_close_timeout=BATCH_TIMEOUT,
                heartbeat_timeout=BATCH_HEARTBEAT,
                retry_policy=BATCH_RETRY,
            )
            self._totals = self._totals.plus(counts)
            self._cursor = page[-1]
            self._batches += 1
            in_this_run += 1
            if len(page) < inp.batch_size:
                break  # a short page is the last one
            if in_this_run >= inp.batches_per_run or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(inp.model_copy(update={
                    "as_of": self._as_of, "cursor": self._cursor, "totals": self._totals,
                    "batches": self._batches}))
        self._done = True
        # workflow.logger is replay-safe; counts only.
        workflow.logger.info("allowance_catch_up.done", extra={"report": self._report().model_dump(mode="json")})
        return self._report()

    @workflow.query
    def progress(self) -> AllowanceCatchUpReport:
        return self._report()

    def _report(self) -> AllowanceCatchUpReport:
        return AllowanceCatchUpReport(as_of=self._as_of, cursor=self._cursor, batches=self._batches,
                                      totals=self._totals, done=self._done)


def _day(inp: AllowanceCatchUpInput) -> date:
    """The China date caught up to: given, else the scheduled start (a backfilled run stands in for its day),
    else now."""
    if inp.as_of is not None:
        return inp.as_of
    at = workflow.info().typed_search_attributes.get(SCHEDULED_START_TIME) or workflow.now()
    if at.tzinfo is None:  # the server sends UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA_TZ).date()
