"""The daily review sweep and its Schedule, on the real Temporal dev server and a real PostgreSQL (issue 4).

Each test gets a database of its own (the sweep reads every due case in the read model, and other tests
leave cases in the session database whose workflows live on another server) and a production worker on a task
queue of its own. Cases are started in payment with ``carried=`` state, as a continue-as-new run would be,
after their rows were written the way the case's record activity writes them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from adapters.db.cases import PgCaseStore
from adapters.db.review_sweep import PgReviewSweepQueries
from cli.main import main as cli_main
from domain.events import CaseEvent
from domain.ids import workflow_id_for
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import DecisionContext
from domain.kernel.state import Deadline
from domain.procedure.records import BenefitPeriod, OpenReview, ReviewClass
from domain.programmes import CaseState, decide, project
from domain.programmes.dibao.stages import Stage
from services import schedules
from tests.builders import JINSHAN, actor, application
from worker.main import build_worker
from workflows import WORKFLOWS
from workflows.case import CaseWorkflow, CaseWorkflowInput
from workflows.review_sweep import ReviewSweepWorkflow, SweepInput, SweepReport

SUBMITTED = datetime(2025, 9, 1, 2, 30, tzinfo=CHINA_TZ)


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture
def pool(fresh_pool: asyncpg.Pool) -> asyncpg.Pool:
    """A fresh, migrated database of this test's own."""
    return fresh_pool


@pytest.fixture
def worker(fresh_dev_worker: Worker) -> Worker:
    """The production worker (every workflow and activity) on this test's database."""
    return fresh_dev_worker


# --- cases ---------------------------------------------------------------------------------------------


def china_today() -> date:
    return datetime.now(CHINA_TZ).date()


def submitted(case_id: UUID) -> tuple[CaseState, list[CaseEvent]]:
    """A two-person rural dibao application at 金山镇, as the window recorded it."""
    ctx = DecisionContext(now=SUBMITTED, actor=actor(), case_id=case_id)
    events = decide(None, application(unique=True), ctx)
    state = project(events)
    assert state is not None
    return state, events


def in_payment(due: date) -> tuple[CaseState, list[CaseEvent]]:
    """A case paid since 2025-10 whose next periodic review is due on ``due``."""
    state, events = submitted(uuid.uuid4())
    period = BenefitPeriod(from_month="2025-10", monthly_amount=Decimal("560.00"), household_size=2,
                           parameter_set_version=None, seq=state.version)
    paying = state.model_copy(update={
        "stage": Stage.IN_PAYMENT,
        "monthly_amount": period.monthly_amount,
        "first_payment_month": period.from_month,
        "benefit_periods": (period,),
        "review_class": ReviewClass.ANNUAL,
        "next_review_due": due,
        "decided_at": SUBMITTED + timedelta(days=25),
    })
    return paying, events


def overdue_review(opened_on: date) -> tuple[CaseState, list[CaseEvent]]:
    """A case whose periodic review opened on ``opened_on`` and whose review deadline passed (escalated)."""
    paying, events = in_payment(opened_on)
    passed = opened_on + timedelta(days=28)
    deadline = Deadline(step="review", due=passed, calendar_version="t", escalated=True)
    reviewing = paying.model_copy(update={
        "stage": Stage.UNDER_REVIEW,
        "next_review_due": None,
        "review": OpenReview(trigger="periodic", opened_seq=paying.version, opened_on=opened_on,
                             due=opened_on),
        "deadlines": {"review": deadline},
    })
    return reviewing, events


async def stored(pool: asyncpg.Pool, case: tuple[CaseState, list[CaseEvent]]) -> CaseState:
    """Write the case's row and events as the record activity does, and return its state."""
    state, events = case
    await PgCaseStore(pool).record(state, events)
    return state


async def start_carried(
    client: Client, task_queue: str, state: CaseState
) -> WorkflowHandle[CaseWorkflow, object]:
    """Start the case's workflow in payment, as a continue-as-new run starts (nothing recorded at start)."""
    return await client.start_workflow(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=state.case_id, actor=actor(), submitted_at=SUBMITTED,
                          application=application(unique=True), carried=state),
        id=workflow_id_for(state.case_id),
        task_queue=task_queue,
    )


async def review_events(pool: asyncpg.Pool, case_id: UUID) -> int:
    return await pool.fetchval(
        "SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'periodic_review_due'", case_id
    )


async def stage_of(pool: asyncpg.Pool, case_id: UUID) -> str:
    return await pool.fetchval("SELECT stage FROM cases WHERE case_id = $1", case_id)


async def settled(pool: asyncpg.Pool, case_ids: list[UUID]) -> None:
    """Wait until every case's review is open and its information check recorded (the case's last write
    after opening a review: S1 Art. 31)."""
    async with asyncio.timeout(30):
        while True:
            checked = await pool.fetchval(
                "SELECT count(DISTINCT e.case_id) FROM case_events e JOIN cases c USING (case_id)"
                " WHERE e.case_id = ANY($1::uuid[]) AND e.type = 'info_check_completed'"
                " AND c.stage = 'under_review'", case_ids)
            if checked == len(case_ids):
                return
            await asyncio.sleep(0.1)


async def sweep(client: Client, worker: Worker, **kw: object) -> SweepReport:
    return await client.execute_workflow(
        ReviewSweepWorkflow.run, SweepInput(**kw), id=f"sweep-{uuid.uuid4()}", task_queue=worker.task_queue
    )


async def activity_started(handle: WorkflowHandle[object, object], name: str) -> None:
    started = PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
    async with asyncio.timeout(20):
        while True:
            desc = await handle.describe()
            if any(a.activity_type.name == name and a.state == started
                   for a in desc.raw_description.pending_activities):
                return
            await asyncio.sleep(0.1)


async def terminate(handles: list[WorkflowHandle[CaseWorkflow, object]]) -> None:
    for h in handles:
        await h.terminate(reason="test over")


# --- the sweep -----------------------------------------------------------------------------------------


async def test_reviews_due_while_a_case_worker_was_down_are_opened_exactly_once(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, worker: Worker
) -> None:
    """Three cases due today whose workers are down: the sweep's Updates wait in Temporal, and once the case
    worker is back each case gets exactly one PeriodicReviewDue, opened by the sweep (whose Update is in the
    case's first workflow task, ahead of the case's own timer). A case due in 30 days is neither listed nor
    touched; the overdue review of another case is reported for its township; a second sweep opens nothing."""
    client, today = dev_env.client, china_today()
    due = [await stored(pool, in_payment(today)) for _ in range(3)]
    later = await stored(pool, in_payment(today + timedelta(days=30)))
    await stored(pool, overdue_review(today - timedelta(days=40)))  # read model only: no workflow
    cases_queue = f"tq-cases-{uuid.uuid4()}"
    handles = [await start_carried(client, cases_queue, s) for s in [*due, later]]

    listed = await PgReviewSweepQueries(pool).due_unopened(today)
    first = await client.start_workflow(ReviewSweepWorkflow.run, SweepInput(as_of=today),
                                        id=f"sweep-{uuid.uuid4()}", task_queue=worker.task_queue)
    await activity_started(first, "open_due_reviews")
    await asyncio.sleep(1)  # the Updates reach the server while nothing polls the cases' queue
    try:
        async with build_worker(client, pool, cases_queue):
            report = await first.result()
            await settled(pool, [s.case_id for s in due])
            again = await sweep(client, worker, as_of=today)
            events = [await review_events(pool, s.case_id) for s in due]
            later_events = await review_events(pool, later.case_id)
            later_stage = await stage_of(pool, later.case_id)
    finally:
        await terminate(handles)

    assert sorted(r.case_id for r in listed) == sorted(s.case_id for s in due)
    assert (report.as_of, report.due_found, report.failed) == (today, 3, 0)
    assert (report.opened, report.already_open) == (3, 0)
    assert report.overdue_reviews_by_township == {JINSHAN: 1}
    assert report.due_unopened_by_township == {}
    assert (report.batches, report.truncated) == (1, False)
    assert events == [1, 1, 1]
    assert (later_events, later_stage) == (0, "in_payment")
    assert (again.due_found, again.opened, again.already_open, again.failed) == (0, 0, 0, 0)
    assert again.overdue_reviews_by_township == {JINSHAN: 1}


async def test_a_sweep_racing_the_cases_own_timers_opens_each_review_once(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, worker: Worker
) -> None:
    """Cases due today on a running worker: their timers fire at once and the sweep runs at the same moment,
    one case per batch. Whoever comes second changes nothing: one PeriodicReviewDue per case, and everything
    the sweep found was either opened by it or already open."""
    client, today = dev_env.client, china_today()
    due = [await stored(pool, in_payment(today)) for _ in range(4)]
    handles = [await start_carried(client, worker.task_queue, s) for s in due]
    try:
        report = await sweep(client, worker, as_of=today, batch_size=1)
        await settled(pool, [s.case_id for s in due])
        again = await sweep(client, worker, as_of=today, batch_size=1)
        events = [await review_events(pool, s.case_id) for s in due]
    finally:
        await terminate(handles)

    assert events == [1, 1, 1, 1]
    assert report.opened + report.already_open == report.due_found <= 4
    assert (report.failed, report.not_due, report.not_in_payment) == (0, 0, 0)
    assert report.batches == report.due_found
    assert (again.due_found, again.opened) == (0, 0)


async def test_a_lagging_read_model_gets_already_open_and_nothing_changes(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, worker: Worker
) -> None:
    """The case's timer opened its review, but the read model still says in payment (an old row restored,
    a write lost): the sweep lists it, the case's Update answers already_open, and no second event is
    written."""
    client, today = dev_env.client, china_today()
    state = await stored(pool, in_payment(today))
    handle = await start_carried(client, worker.task_queue, state)
    try:
        await settled(pool, [state.case_id])
        await pool.execute("UPDATE cases SET stage = 'in_payment' WHERE case_id = $1", state.case_id)
        report = await sweep(client, worker, as_of=today)
        events = await review_events(pool, state.case_id)
    finally:
        await terminate([handle])

    assert (report.due_found, report.opened, report.already_open, report.failed) == (1, 0, 1, 0)
    assert events == 1


async def test_a_case_that_cannot_be_reached_counts_as_failed_and_max_batches_bounds_the_sweep(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, worker: Worker
) -> None:
    """Three due rows whose workflows do not exist: each Update fails on its own (the batch goes on), the
    sweep stops after ``max_batches`` and says it was truncated, and all three still count as due and
    unopened."""
    today = china_today()
    rows = [await stored(pool, in_payment(today - timedelta(days=3))) for _ in range(3)]

    report = await sweep(dev_env.client, worker, as_of=today, batch_size=1, max_batches=2)

    assert (report.due_found, report.failed, report.opened) == (2, 2, 0)
    assert (report.batches, report.truncated) == (2, True)
    assert report.due_unopened_by_township == {JINSHAN: 3}
    assert [await stage_of(pool, s.case_id) for s in rows] == ["in_payment"] * 3


async def test_a_review_due_after_the_sweeps_day_is_not_listed(pool: asyncpg.Pool) -> None:
    """The read-model query pages by case id and stops at the sweep's day."""
    today = china_today()
    cases = sorted([(await stored(pool, in_payment(today - timedelta(days=i)))).case_id for i in range(3)])
    await stored(pool, in_payment(today + timedelta(days=1)))
    queries = PgReviewSweepQueries(pool)

    first = await queries.due_unopened(today, limit=2)
    rest = await queries.due_unopened(today, after=first[-1].case_id, limit=2)

    assert [r.case_id for r in first + rest] == cases
    assert await queries.due_unopened(today - timedelta(days=3)) == []


# --- the Schedule --------------------------------------------------------------------------------------


async def sweep_runs(client: Client, task_queue: str, n: int) -> list[SweepReport]:
    """The reports of the first ``n`` sweeps started on ``task_queue`` (waiting for them to be listed)."""
    query = f"WorkflowType = 'ReviewSweepWorkflow' AND TaskQueue = '{task_queue}'"
    async with asyncio.timeout(40):
        while True:
            ids = [wf.id async for wf in client.list_workflows(query)]
            if len(ids) >= n:
                return [await client.get_workflow_handle(i, result_type=SweepReport).result() for i in ids]
            await asyncio.sleep(0.2)


async def test_the_schedule_is_created_once_paused_unpaused_and_backfilled_day_by_day(
    dev_env: WorkflowEnvironment, worker: Worker
) -> None:
    """ensure creates the Schedule once (daily 02:00 Asia/Shanghai, overlap SKIP, 7-day catch-up); pause and
    unpause show in describe; a backfill of two past days starts one sweep per day, each as of its own day
    (read from the TemporalScheduledStartTime search attribute), and a run's history replays."""
    client, sid = dev_env.client, f"sweep-schedule-{uuid.uuid4()}"
    today = china_today()
    try:
        created = [await schedules.ensure_review_sweep_schedule(client, worker.task_queue, schedule_id=sid,
                                                                workflow_id=sid) for _ in range(2)]
        fresh = await schedules.describe(client, schedule_id=sid)
        await schedules.pause(client, "迁移中", schedule_id=sid)
        paused = await schedules.describe(client, schedule_id=sid)
        await schedules.unpause(client, schedule_id=sid)
        unpaused = await schedules.describe(client, schedule_id=sid)
        days = (today - timedelta(days=3), today - timedelta(days=2))
        await schedules.backfill(client, *days, schedule_id=sid)
        reports = await sweep_runs(client, worker.task_queue, 2)
        desc = await client.get_schedule_handle(sid).describe()
        status = await schedules.describe(client, schedule_id=sid)
        history = await client.get_workflow_handle(status.recent_runs[0].workflow_id).fetch_history()
        await Replayer(workflows=WORKFLOWS, data_converter=client.data_converter).replay_workflow(history)
    finally:
        await schedules.delete(client, schedule_id=sid)

    assert created == [True, False]
    assert not fresh.paused
    assert all(t.astimezone(CHINA_TZ).time() == schedules.RUN_AT for t in fresh.next_runs)
    assert (paused.paused, paused.note) == (True, "迁移中")
    assert not unpaused.paused
    assert sorted(r.as_of for r in reports) == list(days)
    assert desc.schedule.spec.time_zone_name == "Asia/Shanghai"
    assert desc.schedule.policy.catchup_window == timedelta(days=7)
    assert desc.schedule.policy.overlap.name == "SKIP"
    assert sorted(r.scheduled_at.astimezone(CHINA_TZ).date() for r in status.recent_runs) == sorted(
        r.as_of for r in reports)
    assert all(r.workflow_id.startswith(f"{sid}-") for r in status.recent_runs)


async def test_the_cli_shows_pauses_and_unpauses_the_schedule_and_runs_one_sweep(
    dev_env: WorkflowEnvironment, worker: Worker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``casework schedules … / review-sweep`` against the dev server (run in a thread: the CLI has its own
    event loop, and this test's loop must keep the worker polling)."""
    sid = f"sweep-cli-{uuid.uuid4()}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CASEWORK_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CASEWORK_TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    monkeypatch.setenv("CASEWORK_TEMPORAL_TASK_QUEUE", worker.task_queue)
    run = lambda *argv: asyncio.to_thread(cli_main, list(argv))  # noqa: E731
    await schedules.ensure_review_sweep_schedule(dev_env.client, worker.task_queue, schedule_id=sid,
                                                 workflow_id=sid)
    # The CLI configures logging onto this test's captured stderr; later tests must not log into it once closed.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        codes = [await run("schedules", "--schedule-id", sid, "pause", "--note", "维护")]
        paused = await schedules.describe(dev_env.client, schedule_id=sid)
        codes += [await run("schedules", "--schedule-id", sid, "unpause"),
                  await run("schedules", "--schedule-id", sid, "status")]
        status_out = capsys.readouterr().out
        codes.append(await run("review-sweep", "--as-of", "2026-11-20"))
        sweep_out = capsys.readouterr().out
        missing = await run("schedules", "--schedule-id", f"{sid}-absent", "status")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        await schedules.delete(dev_env.client, schedule_id=sid)

    assert codes == [0, 0, 0, 0]
    assert (paused.paused, paused.note) == (True, "维护")
    assert '"paused": false' in status_out
    report = SweepReport.model_validate_json(sweep_out)
    assert (report.as_of, report.due_found) == (date(2026, 11, 20), 0)
    assert missing == 1
