"""The Temporal Schedule that runs the daily review sweep, and what operators do with it.

``casework-review-sweep`` starts :class:`workflows.review_sweep.ReviewSweepWorkflow` every day at 02:00
Beijing time (the spec names the IANA zone ``Asia/Shanghai``; China keeps no daylight saving, so this is 18:00
UTC the day before). The Schedule lives on the Temporal server, not in a worker: it fires while every worker
is down (the runs wait in the task queue), and only runs missed while the *server* was down are caught up,
within :data:`CATCHUP_WINDOW`. A run that stands in for a past day (a catch-up or a backfill) sweeps as of
that day: the workflow reads the ``TemporalScheduledStartTime`` search attribute the server sets on it.

Workers call :func:`ensure_review_sweep_schedule` at start-up; ``casework schedules …`` wraps the rest.
``casework-allowance-catch-up`` (:func:`ensure_allowance_catch_up_schedule`, also at start-up) starts
:class:`workflows.allowance_catch_up.AllowanceCatchUpWorkflow` daily at 02:30 the same way.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import BaseModel
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
)

from domain.kernel.clock import CHINA_TZ
from workflows.allowance_catch_up import AllowanceCatchUpWorkflow
from workflows.models import AllowanceCatchUpInput
from workflows.review_sweep import ReviewSweepWorkflow, SweepInput

SCHEDULE_ID = "casework-review-sweep"
#: The server appends the scheduled time, so each run's id is ``review-sweep-<RFC 3339 UTC time>``.
WORKFLOW_ID_PREFIX = "review-sweep"
TIME_ZONE = "Asia/Shanghai"
RUN_AT = time(2, 0)
#: Runs missed while the Temporal server was down are still started if at most this late.
CATCHUP_WINDOW = timedelta(days=7)
#: Under the SKIP overlap policy a hung sweep would block every later one: cap each run.
RUN_TIMEOUT = timedelta(hours=12)


def review_sweep_schedule(task_queue: str, workflow_id: str = WORKFLOW_ID_PREFIX) -> Schedule:
    """The sweep's Schedule: daily at 02:00 Asia/Shanghai, overlap SKIP, a 7-day catch-up window.

    Args:
        task_queue: the workers' task queue.
        workflow_id: the prefix of each run's workflow id.

    Returns:
        The schedule definition (unpaused).
    """
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ReviewSweepWorkflow.run,
            SweepInput(),  # as_of None: each run sweeps as of the day it was scheduled for
            id=workflow_id,
            task_queue=task_queue,
            execution_timeout=RUN_TIMEOUT,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(hour=[ScheduleRange(RUN_AT.hour)], minute=[ScheduleRange(RUN_AT.minute)],
                                     second=[ScheduleRange(0)])
            ],
            time_zone_name=TIME_ZONE,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
        state=ScheduleState(note="daily review sweep (casework)"),
    )


async def ensure_review_sweep_schedule(
    client: Client, task_queue: str, *, schedule_id: str = SCHEDULE_ID, workflow_id: str = WORKFLOW_ID_PREFIX
) -> bool:
    """Create the sweep's Schedule unless it exists (idempotent; every worker calls it at start-up).

    An existing Schedule is left exactly as it is: an operator may have paused it, and a start-up must not
    undo that. To change its definition, delete it (``temporal schedule delete``) and start a worker.

    Args:
        client: a connected client (the pydantic converter encodes the action's input).
        task_queue: the task queue the runs go to.
        schedule_id: the Schedule's id (tests use their own).
        workflow_id: the prefix of each run's workflow id.

    Returns:
        True if this call created it.
    """
    try:
        await client.create_schedule(schedule_id, review_sweep_schedule(task_queue, workflow_id))
    except ScheduleAlreadyRunningError:
        return False
    return True


#: The daily catch-up of 高龄津贴's own timers (band moves, survival checks; issue 17 item 4): at 02:30, after the
#: review sweep, with the same policies. Each run's id is ``allowance-catch-up-<RFC 3339 UTC time>``.
CATCH_UP_SCHEDULE_ID = "casework-allowance-catch-up"
CATCH_UP_WORKFLOW_ID_PREFIX = "allowance-catch-up"
CATCH_UP_RUN_AT = time(2, 30)


def allowance_catch_up_schedule(task_queue: str, workflow_id: str = CATCH_UP_WORKFLOW_ID_PREFIX) -> Schedule:
    """The catch-up's Schedule: daily at 02:30 Asia/Shanghai, overlap SKIP, a 7-day catch-up window (a run
    standing in for a past day catches up as of that day)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            AllowanceCatchUpWorkflow.run,
            AllowanceCatchUpInput(),  # as_of None: each run catches up as of the day it was scheduled for
            id=workflow_id,
            task_queue=task_queue,
            execution_timeout=RUN_TIMEOUT,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(hour=[ScheduleRange(CATCH_UP_RUN_AT.hour)],
                                     minute=[ScheduleRange(CATCH_UP_RUN_AT.minute)], second=[ScheduleRange(0)])
            ],
            time_zone_name=TIME_ZONE,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
        state=ScheduleState(note="daily 高龄津贴 catch-up: band moves and survival checks (casework)"),
    )


async def ensure_allowance_catch_up_schedule(
    client: Client, task_queue: str, *, schedule_id: str = CATCH_UP_SCHEDULE_ID,
    workflow_id: str = CATCH_UP_WORKFLOW_ID_PREFIX,
) -> bool:
    """Create the catch-up's Schedule unless it exists (idempotent, as :func:`ensure_review_sweep_schedule`;
    pause, unpause, run now, backfill and describe it with the functions below and its ``schedule_id``)."""
    try:
        await client.create_schedule(schedule_id, allowance_catch_up_schedule(task_queue, workflow_id))
    except ScheduleAlreadyRunningError:
        return False
    return True


async def pause(client: Client, note: str | None = None, *, schedule_id: str = SCHEDULE_ID) -> None:
    """Stop starting sweeps until :func:`unpause` (a run in progress finishes)."""
    await client.get_schedule_handle(schedule_id).pause(note=note or "paused with casework schedules pause")


async def unpause(client: Client, note: str | None = None, *, schedule_id: str = SCHEDULE_ID) -> None:
    """Start sweeps again from the next 02:00 (days missed while paused are not caught up: backfill them)."""
    handle = client.get_schedule_handle(schedule_id)
    await handle.unpause(note=note or "unpaused with casework schedules unpause")


async def run_now(client: Client, *, schedule_id: str = SCHEDULE_ID) -> None:
    """Start one sweep now, as of today (skipped if a sweep is still running)."""
    await client.get_schedule_handle(schedule_id).trigger()


def china_day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants from the start of ``start`` to the end of ``end``, Beijing time.

    Raises:
        ValueError: ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError("the backfill ends before it starts")
    return (datetime.combine(start, time(0), CHINA_TZ),
            datetime.combine(end + timedelta(days=1), time(0), CHINA_TZ))


async def backfill(client: Client, start: date, end: date, *, schedule_id: str = SCHEDULE_ID) -> None:
    """Run the sweep once for each day from ``start`` to ``end`` (inclusive, China dates), each as of its day.

    Every missed day runs (overlap ALLOW_ALL for the backfill), even while one of them is still going. Safe to
    repeat: the sweep opens only what is still unopened.
    """
    start_at, end_at = china_day_bounds(start, end)
    await client.get_schedule_handle(schedule_id).backfill(
        ScheduleBackfill(start_at=start_at, end_at=end_at, overlap=ScheduleOverlapPolicy.ALLOW_ALL)
    )


class ScheduledRun(BaseModel):
    scheduled_at: datetime
    started_at: datetime
    workflow_id: str


class ScheduleStatus(BaseModel):
    """What ``casework schedules status`` shows."""

    schedule_id: str
    paused: bool
    note: str | None
    recent_runs: list[ScheduledRun]
    running: list[str]
    next_runs: list[datetime]
    runs_total: int
    missed_catchup_window: int
    skipped_overlap: int


async def describe(client: Client, *, schedule_id: str = SCHEDULE_ID) -> ScheduleStatus:
    """The Schedule's state: paused or not, recent and running sweeps, the next run times.

    Raises:
        temporalio.service.RPCError: no such Schedule (status NOT_FOUND).
    """
    desc = await client.get_schedule_handle(schedule_id).describe()
    info = desc.info
    return ScheduleStatus(
        schedule_id=schedule_id,
        paused=desc.schedule.state.paused,
        note=desc.schedule.state.note,
        recent_runs=[
            ScheduledRun(scheduled_at=a.scheduled_at, started_at=a.started_at,
                         workflow_id=a.action.workflow_id)
            for a in info.recent_actions
            if isinstance(a.action, ScheduleActionExecutionStartWorkflow)
        ],
        running=[a.workflow_id for a in info.running_actions
                 if isinstance(a, ScheduleActionExecutionStartWorkflow)],
        next_runs=list(info.next_action_times),
        runs_total=info.num_actions,
        missed_catchup_window=info.num_actions_missed_catchup_window,
        skipped_overlap=info.num_actions_skipped_overlap,
    )


async def delete(client: Client, *, schedule_id: str = SCHEDULE_ID) -> None:
    """Delete the Schedule (runs already started go on)."""
    await client.get_schedule_handle(schedule_id).delete()
