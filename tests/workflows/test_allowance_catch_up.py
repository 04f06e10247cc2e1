"""The daily catch-up of 高龄津贴's own timers (issue 17 item 4; SPEC §6.3, §0.1), on the real Temporal dev server
and a real PostgreSQL database of the test's own (the catch-up reads every allowance case in its database).

Cases are started in payment with ``carried=`` state, as a continue-as-new run starts, after their rows were
written the way the record activity writes them. The catch-up runs beside each case's own timer: whichever
comes first records the band move or the missed check, the other changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.db.allowance_catch_up import due_catch_ups
from adapters.db.cases import PgCaseStore
from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.household import Member, Program, Relation
from domain.ids import workflow_id_for
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.months import add_months
from domain.parameters import ParameterBook, resolve
from domain.programmes import decide, project
from services import schedules
from tests.builders import JINSHAN_VILLAGE, resident_id
from tests.workflows.lifecycle import TOWNSHIP_APPROVER, Case
from worker.main import build_worker
from workflows.allowance_catch_up import AllowanceCatchUpWorkflow
from workflows.case import CaseWorkflow, CaseWorkflowInput
from workflows.models import AllowanceCatchUpInput, AllowanceCatchUpReport

pytestmark = pytest.mark.asyncio(loop_scope="session")

BOOK = ParameterBook.load(json.loads(DEFAULT_BOOK.read_text(encoding="utf-8")))
_rng = random.Random()


def china_today() -> date:
    return datetime.now(CHINA_TZ).date()


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def enrolment(born: date) -> c.ProposeEnrolment:
    rid = resident_id(birth=born.strftime("%Y%m%d"), seq=f"{_rng.randrange(1000):03d}")
    return c.ProposeEnrolment(program=Program.OLD_AGE_ALLOWANCE, village_code=JINSHAN_VILLAGE,
                              member=Member(name="测试追", resident_id=rid, relation=Relation.APPLICANT),
                              band_min_age=80, source="户籍数据比对")


def granted(born: date, confirmed_on: date, *, escalates: bool = True) -> tuple[Any, list[Any], c.ProposeEnrolment]:
    """A 高龄津贴 case confirmed on ``confirmed_on`` (``escalates``: under the patch
    old-age-survival-escalation-v1, its survival check a kernel deadline; else the old hold timer)."""
    at = datetime.combine(confirmed_on, time(10), CHINA_TZ)
    app = enrolment(born)
    params = resolve(BOOK, JINSHAN_VILLAGE, confirmed_on)
    ctx = DecisionContext(now=at, actor=SYSTEM_ACTOR, case_id=uuid.uuid4(), params=params)
    events = decide(None, app, ctx)
    state = project(events)
    confirm = DecisionContext(now=at, actor=TOWNSHIP_APPROVER, case_id=ctx.case_id, params=params,
                              patched=lambda _: escalates)
    more = decide(state, c.ConfirmAllowance(note="确认"), confirm)
    return project(more, state), [*events, *more], app


async def started(client: Client, pool: asyncpg.Pool, queue: str, case: tuple[Any, list[Any], Any]
                  ) -> WorkflowHandle[CaseWorkflow, Any]:
    state, events, app = case
    await PgCaseStore(pool).record(state, events)
    return await client.start_workflow(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=state.case_id, actor=SYSTEM_ACTOR, submitted_at=state.opened_at, application=app,
                          carried=state),
        id=workflow_id_for(state.case_id), task_queue=queue)


async def count(pool: asyncpg.Pool, case_id: UUID, kind: str) -> int:
    return await pool.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1 AND type = $2", case_id, kind)


async def catch_up(client: Client, worker: Worker, **kw: Any) -> AllowanceCatchUpReport:
    return await client.execute_workflow(AllowanceCatchUpWorkflow.run, AllowanceCatchUpInput(**kw),
                                         id=f"catch-up-{uuid.uuid4()}", task_queue=worker.task_queue)


async def test_band_moves_and_missed_survival_checks_are_caught_up_once_spec_6_3(
    dev_env: WorkflowEnvironment, fresh_pool: asyncpg.Pool, fresh_dev_worker: Worker
) -> None:
    """SPEC §6.3 (bands, survival check; UNCONFIRMED parameters) and §0.1 (a timer escalates, never decides):
    with the cases' worker down, the daily catch-up finds the 90th birthday passed (the band moves that month),
    the survival check missed under the patch (escalated — payment still paid until the township approver
    holds it) and, for a case confirmed before the patch, missed (held, the old timer's decision); a case with
    nothing due is not listed. Each is recorded exactly once; a second catch-up finds nothing."""
    client, pool, today = dev_env.client, fresh_pool, china_today()
    birthday_90 = today - timedelta(days=1)
    band = granted(years_before(birthday_90, 90), today - timedelta(days=30))
    checks_missed = add_months(today, -13) - timedelta(days=5)
    missed = granted(date(1941, 3, 3), checks_missed)
    missed_old = granted(date(1942, 4, 4), checks_missed, escalates=False)
    quiet = granted(date(1944, 5, 5), today - timedelta(days=30))
    due = [band, missed, missed_old]
    cases_queue = f"tq-cases-{uuid.uuid4()}"
    handles = [await started(client, pool, cases_queue, x) for x in [*due, quiet]]
    assert sorted(await due_catch_ups(pool, today, None, 100)) == sorted(x[0].case_id for x in due)
    first = await client.start_workflow(AllowanceCatchUpWorkflow.run, AllowanceCatchUpInput(as_of=today, batch_size=2),
                                        id=f"catch-up-{uuid.uuid4()}", task_queue=fresh_dev_worker.task_queue)
    try:
        async with build_worker(client, pool, cases_queue):
            report = await first.result()
            again = await catch_up(client, fresh_dev_worker, as_of=today)
            escalated = Case(handles[1])
            snap = await escalated.snap()
            # the escalation decided nothing: the township approver holds payment by hand
            assert str(snap.state.stage) == "in_payment" and snap.state.deadlines["survival_check"].escalated
            await escalated.do(TOWNSHIP_APPROVER, c.HoldPayment(reason="逾期未生存认证，暂停发放"))
            held = await escalated.snap()
            moved = await Case(handles[0]).snap()
            old = await Case(handles[2]).snap()
            counts = {
                "band": await count(pool, band[0].case_id, "allowance_changed"),
                "escalated": await count(pool, missed[0].case_id, "escalation_raised"),
                "held": await count(pool, missed[0].case_id, "payment_held"),
                "old_held": await count(pool, missed_old[0].case_id, "payment_held"),
                "quiet": await pool.fetchval("SELECT version FROM cases WHERE case_id = $1", quiet[0].case_id),
            }
    finally:
        for h in handles:
            await h.terminate(reason="test over")

    assert (report.as_of, report.totals.found, report.totals.failed) == (today, 3, 0)
    assert report.totals.caught_up + report.totals.nothing_due == 3 and report.totals.caught_up >= 1
    assert (report.batches, report.done) == (2, True)  # pages of two: bounded batches
    assert (again.totals.found, again.batches) == (0, 0)
    assert counts == {"band": 1, "escalated": 1, "held": 1, "old_held": 1, "quiet": quiet[0].version}
    assert moved.state.band_min_age == 90
    bands = resolve(BOOK, JINSHAN_VILLAGE, today).values.allowances.old_age_bands  # type: ignore[union-attr]
    assert moved.state.amount_for(birthday_90.strftime("%Y-%m")) == next(b.monthly for b in bands if b.min_age == 90)
    assert str(held.state.stage) == "payment_held" and str(old.state.stage) == "payment_held"


async def test_the_catch_up_resumes_from_its_cursor_and_a_repeat_changes_nothing(
    dev_env: WorkflowEnvironment, fresh_pool: asyncpg.Pool, fresh_dev_worker: Worker
) -> None:
    """Bounded and resumable (issue 17 item 4): a run started from a cursor pages only the cases after it, one
    batch per run (continue-as-new carrying the cursor and the counts), and a case it cannot reach counts as
    failed without stopping the batch. Then, on a running worker, the cases' own timers and the catch-up race
    harmlessly (one band move per case), and a lagging row is answered "nothing due"."""
    client, pool, today = dev_env.client, fresh_pool, china_today()
    birthday_90 = today - timedelta(days=2)
    cases = [granted(years_before(birthday_90, 90), today - timedelta(days=30)) for _ in range(3)]
    ids = sorted(x[0].case_id for x in cases)
    for state, events, _app in cases:  # rows only: no workflow yet
        await PgCaseStore(pool).record(state, events)
    unreachable = await catch_up(client, fresh_dev_worker, as_of=today, cursor=ids[0], batch_size=1,
                                 batches_per_run=1)
    handles = [await started(client, pool, fresh_dev_worker.task_queue, x) for x in cases]
    try:
        raced = await catch_up(client, fresh_dev_worker, as_of=today)

        async def all_moved() -> bool:
            return all([await count(pool, i, "allowance_changed") == 1 for i in ids])

        async with asyncio.timeout(30):
            while not await all_moved():
                await asyncio.sleep(0.1)
        await pool.execute("UPDATE cases SET state = jsonb_set(state, '{band_min_age}', '80') WHERE case_id = $1",
                           ids[1])  # a lagging row: listed again, the case answers nothing due
        # the next day's catch-up (today's Update id would get today's first answer back from Temporal)
        repeat = await catch_up(client, fresh_dev_worker, as_of=today + timedelta(days=1))
        moves = [await count(pool, i, "allowance_changed") for i in ids]
    finally:
        for h in handles:
            await h.terminate(reason="test over")

    assert (unreachable.totals.found, unreachable.totals.failed, unreachable.batches) == (2, 2, 2)
    assert unreachable.cursor == ids[2] and unreachable.done
    assert raced.totals.failed == 0 and raced.totals.caught_up + raced.totals.nothing_due == raced.totals.found
    assert (repeat.totals.found, repeat.totals.caught_up, repeat.totals.nothing_due) == (1, 0, 1)
    assert moves == [1, 1, 1]


async def test_the_catch_up_schedule_is_created_once_daily_in_beijing_time(
    dev_env: WorkflowEnvironment, fresh_dev_worker: Worker
) -> None:
    """The daily Schedule (issue 17 item 4): created once (a second start-up leaves it), 02:30 Asia/Shanghai,
    starting the catch-up as of its day; a run now catches up."""
    client = dev_env.client
    sid = f"test-catch-up-{uuid.uuid4().hex[:8]}"
    assert await schedules.ensure_allowance_catch_up_schedule(client, fresh_dev_worker.task_queue, schedule_id=sid,
                                                              workflow_id=sid)
    try:
        assert not await schedules.ensure_allowance_catch_up_schedule(client, fresh_dev_worker.task_queue,
                                                                      schedule_id=sid, workflow_id=sid)
        desc = await client.get_schedule_handle(sid).describe()
        cal = desc.schedule.spec.calendars[0]
        assert desc.schedule.spec.time_zone_name == "Asia/Shanghai"
        assert (cal.hour[0].start, cal.minute[0].start) == (2, 30)
        await schedules.run_now(client, schedule_id=sid)
        async with asyncio.timeout(30):
            while not (status := await schedules.describe(client, schedule_id=sid)).recent_runs:
                await asyncio.sleep(0.2)
        run = client.get_workflow_handle(status.recent_runs[0].workflow_id)
        report = AllowanceCatchUpReport.model_validate(await run.result())
        assert report.done and report.as_of == china_today()
    finally:
        await schedules.delete(client, schedule_id=sid)
