"""A deadline counted provisionally is reported, and counted again when its year's schedule is entered (issue 20
item 8): S1 Art. 22 — 30 working days from 受理 — counted by the statutory calendar (SPEC §0.1), which knows
a year's holidays only once the State Council's schedule has been entered.

Time-skipping server, the production worker on a database of the test's own (the calendar entered here must
not reach other tests), and the operator's CLI (``casework calendar provisional|set|complete-year|recompute``)
as a subprocess on the same database and server. The case is accepted in December of the last year the
calendar covers (the shared clock is moved there if it is earlier), so its 30 working days run into the next
year, counted weekdays only.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest_asyncio
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.calendar import CalendarActivities, DeadlineInput, DeadlineResult
from adapters.calendar import PgCalendarOverrides, load_calendar, package_calendar_data
from adapters.db.case_queries import provisional_deadlines
from adapters.db.cases import PgCaseStore
from adapters.db.pool import create_pool
from domain import commands as c
from domain.calendar import provisional_year
from domain.kernel.clock import CHINA_TZ
from services.cases import CaseGateway
from tests.builders import application
from tests.databases import migrated_database
from tests.env import subprocess_env
from tests.workflows.helpers import running_worker, start_case
from tests.workflows.lifecycle import WINDOW, Case
from workflows.models import RecomputeDeadlinesInput

COUNTY = "532302"
CASEWORK = str(Path(sys.executable).with_name("casework"))


@pytest_asyncio.fixture
async def db(pg_admin_uri: str) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    dsn = await migrated_database(pg_admin_uri, "casework_own")
    pool = await create_pool(dsn, min_size=1, max_size=5)
    try:
        yield dsn, pool
    finally:
        await pool.close()


async def _into_december_of_the_last_covered_year(env: WorkflowEnvironment) -> None:
    target = datetime(max(package_calendar_data().years), 12, 1, 10, tzinfo=CHINA_TZ)
    now = await env.get_current_time()
    if now < target:
        await env.sleep(target - now)


def _two_counted_weekdays_in(year: int, start: date, due: date) -> list[date]:
    """Two weekdays of ``year`` that the count ``(start, due]`` went through: the holidays the test enters."""
    first = max(start, date(year - 1, 12, 31))
    counted = [first + timedelta(days=i) for i in range(1, (due - first).days + 1)]
    days = [d for d in counted if d.weekday() < 5 and d.year == year][:2]
    assert len(days) == 2
    return days


async def _count(pool: asyncpg.Pool, start: date, days: int) -> DeadlineResult:
    """The statutory count as the calendar activity makes it now (provisional again for a later uncovered year,
    when the shared clock has been moved far enough for the count to reach one)."""
    return await ActivityEnvironment().run(CalendarActivities(pool).compute_deadline,
                                           DeadlineInput(start=start, amount=days, unit="working_day"))


async def test_a_provisional_30_working_day_deadline_is_reported_then_recounted_when_the_year_is_entered(
    ts_env: WorkflowEnvironment, db: tuple[str, asyncpg.Pool], tmp_path: Path,
) -> None:
    """S1 Art. 22; SPEC §0.1: the overall deadline counted weekdays-only into an uncovered year is listed (case,
    step, article, due, calendar version; nothing personal); recounting before the year is entered changes
    nothing; once two of the counted weekdays are entered as holidays, ``complete-year`` has the case record a
    system ``deadline_set`` (S1 Art. 22) with the official due date — two working days later — and the
    deadline leaves the list; a second recount finds nothing to do."""
    dsn, pool = db
    env = subprocess_env(CASEWORK_DATABASE_URL=dsn, CASEWORK_VAR_DIR=str(tmp_path / "var"),
                         CASEWORK_TEMPORAL_ADDRESS=ts_env.client.service_client.config.target_host)

    async def calendar(*argv: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(subprocess.run, [CASEWORK, "calendar", *argv], env=env, capture_output=True,
                                       text=True, timeout=120)

    async with running_worker(ts_env.client, pool) as worker:
        await _into_december_of_the_last_covered_year(ts_env)
        app = application(unique=True)
        case = Case(await start_case(ts_env.client, worker, app=app))
        try:
            state = (await case.do(WINDOW, c.AcceptApplication())).snapshot.state
            t0, overall = state.t0, state.deadlines["overall"]
            year = provisional_year(overall.calendar_version)
            assert t0 is not None and year is not None and overall.due.year >= year
            assert (overall.start, overall.working_days) == (t0, 30), "what was counted is recorded"

            report = await calendar("provisional", "--json")
            assert report.returncode == 0, report.stderr
            [listed] = [json.loads(line) for line in report.stdout.splitlines()
                        if json.loads(line)["step"] == "overall"]
            assert (listed["case_id"], listed["legal_basis"], listed["due"], listed["calendar_version"]) == (
                str(state.case_id), ["S1 Art. 22"], overall.due.isoformat(), overall.calendar_version)
            assert (listed["provisional_from"], listed["escalated"], listed["recount"]) == (year, False, "exact")
            assert not any(m.name in report.stdout or m.resident_id in report.stdout for m in app.members)
            assert await provisional_deadlines(pool, "532302102") == [], "another township's report is empty"
            assert await provisional_deadlines(pool, COUNTY, year=year + 1) == []

            early = await CaseGateway(ts_env.client).recompute_deadlines(state.case_id, RecomputeDeadlinesInput())
            assert early.recomputed == [] and "overall" in early.still_provisional

            holidays = _two_counted_weekdays_in(year, t0, overall.due)
            for day in holidays:
                entered = await calendar("set", day.isoformat(), "holiday", "--note", "test schedule", "--by", "cal-01")
                assert entered.returncode == 0, entered.stderr
            completed = await calendar("complete-year", str(year), "--source", "test schedule", "--by", "cal-01")
            assert completed.returncode == 0, completed.stdout + completed.stderr
            [line] = [x for x in completed.stdout.splitlines() if x.startswith(f"case {state.case_id}:")]
            assert line.startswith(f"case {state.case_id}: recomputed") and "overall" in line

            expected = await _count(pool, t0, 30)
            after = (await case.snap()).state.deadlines["overall"]
            assert (after.due, after.calendar_version) == (expected.due, expected.calendar_version)
            assert after.due > overall.due and provisional_year(after.calendar_version) != year
            assert expected.calendar_version.startswith((await load_calendar(pool)).version)
            recorded = [e for e in await PgCaseStore(pool).get_events(state.case_id) if e["type"] == "deadline_set"]
            last = recorded[-1]["payload"]
            assert (last["step"], last["due"], last["legal_basis"]) == ("overall", after.due.isoformat(),
                                                                        ["S1 Art. 22"])
            assert last["actor"]["role"] == "system" and f"{year}年节假日安排已录入" in last["reason"]
            assert await provisional_deadlines(pool, COUNTY, year=year) == []
            again = await calendar("recompute", "--year", str(year))
            assert again.returncode == 0 and "0 case(s) with provisional deadlines" in again.stdout, "nothing twice"
        finally:
            await case.handle.terminate(reason="test over")  # leave no task behind for a stopped worker


async def test_an_escalated_provisional_deadline_not_yet_due_by_the_official_calendar_is_no_longer_overdue(
    ts_env: WorkflowEnvironment, db: tuple[str, asyncpg.Pool],
) -> None:
    """S1 Art. 22; SPEC §0.1 (an escalation informs, it never decides): the provisional due date passes and the
    overall limit escalates; the year's schedule then puts two holidays inside the count, so by the official
    calendar the limit is two working days later and not yet passed: the recount clears the overdue flag, and
    when the official date passes the limit escalates again, citing that date."""
    _, pool = db
    async with running_worker(ts_env.client, pool) as worker:
        await _into_december_of_the_last_covered_year(ts_env)
        case = Case(await start_case(ts_env.client, worker, app=application(unique=True)))
        try:
            state = (await case.do(WINDOW, c.AcceptApplication())).snapshot.state
            t0, overall = state.t0, state.deadlines["overall"]
            year = provisional_year(overall.calendar_version)
            assert t0 is not None and year is not None
            await ts_env.sleep(datetime(overall.due.year, overall.due.month, overall.due.day, 23, 59, 59,
                                        tzinfo=CHINA_TZ) + timedelta(minutes=5) - await ts_env.get_current_time())
            async with asyncio.timeout(20):
                while not (await case.snap()).state.deadlines["overall"].escalated:
                    await asyncio.sleep(0.05)

            calendar = PgCalendarOverrides(pool)
            for day in _two_counted_weekdays_in(year, t0, overall.due):
                await calendar.set_day(day, "holiday", "test schedule", "cal-admin")
            await calendar.mark_year_complete(year, "test schedule", "cal-admin")
            result = await CaseGateway(ts_env.client).recompute_deadlines(state.case_id, RecomputeDeadlinesInput())

            [recounted] = [r for r in result.recomputed if r.step == "overall"]
            assert recounted.due == (await _count(pool, t0, 30)).due > overall.due
            after = (await case.snap()).state
            assert after.deadlines["overall"].escalated is False
            assert (await ts_env.get_current_time()).astimezone(CHINA_TZ).date() < recounted.due

            await ts_env.sleep(datetime(recounted.due.year, recounted.due.month, recounted.due.day, 23, 59, 59,
                                        tzinfo=CHINA_TZ) + timedelta(minutes=5) - await ts_env.get_current_time())
            async with asyncio.timeout(20):
                while not (await case.snap()).state.deadlines["overall"].escalated:
                    await asyncio.sleep(0.05)
            escalations = [e["payload"] for e in await PgCaseStore(pool).get_events(state.case_id)
                           if e["type"] == "escalation_raised" and e["payload"]["step"] == "overall"]
            assert [(e["due"], e["legal_basis"]) for e in escalations] == [
                (overall.due.isoformat(), ["S1 Art. 22"]), (recounted.due.isoformat(), ["S1 Art. 22"])]
        finally:
            await case.handle.terminate(reason="test over")
