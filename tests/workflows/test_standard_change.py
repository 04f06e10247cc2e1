"""物价联动 on the real Temporal dev server with real PostgreSQL (SPEC §7.4, §8; S4 Art. 10; S1 Arts. 23, 31).

Each test has a database of its own (the recalculation reads every active case) holding cases taken into
payment by the pure domain under the shipped book's 2020 floor; their workflows run from that state. The
book the workers read adds a version, in force since a few days ago, that raises the rural standard from 375
to 420 and lowers the urban one from 640 to 600 yuan per person per month.

- the recalculation records exactly one ``benefit_recalculated`` per case with the amounts the preview
  showed, opens a review where a household crosses out of eligibility, and applying again changes nothing;
- the crash test kills the worker process (SIGKILL) in the middle of the run and starts another: the run
  finishes, still with exactly one recalculation per case, and its counts add up.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.testing import WorkflowEnvironment

from adapters.db.active_cases import PgActiveCases
from adapters.db.pool import create_pool
from adapters.parameters import ParameterFile
from domain.actors import Actor, Role
from domain.household import AreaType
from domain.ids import workflow_id_for
from domain.kernel.clock import CHINA_TZ
from domain.programmes import CaseState
from domain.standard_change import Previewer, StandardChangePreview
from tests.builders import BICHENG_VILLAGE, JINSHAN_VILLAGE
from tests.env import subprocess_env
from tests.standard_change_cases import (
    book_with_version,
    cover_next_year,
    fresh_database,
    in_payment_state,
    load_book,
    recalculations,
    start_in_payment,
)
from worker.main import build_worker
from workflows.case import CaseWorkflow, StandardChangeInput
from workflows.standard_change import (
    StandardChangeProgress,
    StandardChangeWorkflow,
    StandardChangeWorkflowInput,
    standard_change_workflow_id,
)

REPO = Path(__file__).resolve().parents[2]
CASEWORK = str(Path(sys.executable).parent / "casework")
APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction="532302")
OTHER_JINSHAN_VILLAGE = "532302101007"


def china_today() -> date:
    return datetime.now(CHINA_TZ).date()


@pytest_asyncio.fixture
async def db(pg_admin_uri: str) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    """A fresh migrated database of this test's own, its pool, and next year's calendar covered."""
    dsn = await fresh_database(pg_admin_uri)
    pool = await create_pool(dsn, min_size=1, max_size=10)
    await cover_next_year(pool, china_today())
    try:
        yield dsn, pool
    finally:
        await pool.close()


def new_book(tmp_path: Path) -> tuple[Path, str, date]:
    """A book with a new version in force since three days ago: rural 420, urban 600."""
    version = f"sc-{uuid.uuid4().hex[:8]}"
    effective = china_today() - timedelta(days=3)
    return book_with_version(tmp_path / "book.json", version, effective, rural="420.00", urban="600.00"), version, \
        effective


def households(book_path: Path, effective: date, n: int, crossing_out: int = 0) -> list[CaseState]:
    """``n`` cases decided before the new version: rural households of 1-4 members at 0-300 yuan a head in two
    townships, and ``crossing_out`` urban singles at 620 a head (eligible under 640, not under 600)."""
    book = load_book(book_path)
    decided = effective - timedelta(days=10)
    villages = (JINSHAN_VILLAGE, OTHER_JINSHAN_VILLAGE, BICHENG_VILLAGE)
    states = [
        in_payment_state(book, village_code=villages[i % 3], per_capita_monthly=str(50 * (i % 7)),
                         members=1 + i % 4, decided_on=decided)
        for i in range(n - crossing_out)
    ]
    states += [in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="620", members=1,
                                area_type=AreaType.URBAN, decided_on=decided) for _ in range(crossing_out)]
    return states


async def preview_from_db(pool: asyncpg.Pool, book_path: Path, version: str) -> StandardChangePreview:
    """The preview as the API and the CLI compute it: active cases from the read model, the book from the file."""
    previewer = Previewer(load_book(book_path), version)
    rows = [r async for case in PgActiveCases(pool).all(within="532302", page_size=7)
            if case.state is not None and (r := previewer.row(case.state)) is not None]
    return previewer.preview(rows)


async def start_recalculation(client: Client, version: str, effective: date, task_queue: str,
                              workflow_id: str | None = None, **options: Any) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        StandardChangeWorkflow.run,
        StandardChangeWorkflowInput(version=version, effective_from=effective, actor=APPROVER, **options),
        id=workflow_id or standard_change_workflow_id(version),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )


def assert_recorded_as_previewed(recorded: dict[uuid.UUID, list[dict[str, Any]]],
                                 preview: StandardChangePreview) -> None:
    """Exactly one recalculation per previewed case, with the previewed amounts and eligibility."""
    assert set(recorded) == {row.case_id for row in preview.rows}
    for row in preview.rows:
        (event,) = recorded[row.case_id]
        assert Decimal(event["old_amount"]) == row.old_amount, row.case_id
        assert Decimal(event["new_amount"]) == row.new_amount, row.case_id
        assert event["eligible"] is row.eligible_after
        assert event["actor"]["id"] == APPROVER.id and event["actor"]["role"] == "county_approver"


async def test_applying_a_new_standard_records_one_recalculation_per_case_as_previewed(
    dev_env: WorkflowEnvironment, db: tuple[str, asyncpg.Pool], tmp_path: Path
) -> None:
    """S4 Art. 10; S1 Arts. 23, 31: 20 cases in payment, 2 of which the lower urban standard makes ineligible.
    Batches of 6 with a continue-as-new every 2 batches. Every case gets one ``benefit_recalculated`` with the
    previewed amounts; the two that cross out keep their amount and go under review; applying the version
    again starts nothing, and a second run over the same cases changes nothing (already applied)."""
    _, pool = db
    book_path, version, effective = new_book(tmp_path)
    task_queue = f"sc-{uuid.uuid4()}"
    client = dev_env.client
    states = households(book_path, effective, 20, crossing_out=2)
    async with build_worker(client, pool, task_queue, ParameterFile(book_path)):
        await asyncio.gather(*(start_in_payment(client, pool, s, task_queue) for s in states))
        preview = await preview_from_db(pool, book_path, version)
        assert preview.totals.cases == 20 and preview.totals.crossing_out == 2
        assert preview.totals.increased == 18 and preview.totals.difference > 0

        handle = await start_recalculation(client, version, effective, task_queue, batch_size=6, batches_per_run=2)
        result: StandardChangeProgress = await asyncio.wait_for(handle.result(), timeout=60)

        assert result.done and result.batches == 4 and result.cases == 20
        totals = result.totals
        assert (totals.applied, totals.already_applied, totals.not_active, totals.failed) == (20, 0, 0, 0)
        assert totals.reviews_opened == 2
        assert totals.old_total == preview.totals.old_total and totals.new_total == preview.totals.new_total
        assert_recorded_as_previewed(await recalculations(pool, version), preview)
        crossing = {r.case_id for r in preview.rows if r.crosses_out}
        for state in states:  # issue 18: the batch resolved the version's parameters; no case resolved its own
            if state.case_id not in crossing:
                assert "resolve_parameters" not in await calls_after_recalculate(client, state.case_id)
        stages = {r["case_id"]: (r["stage"], r["monthly_amount"]) for r in await pool.fetch(
            "SELECT case_id, stage, monthly_amount FROM cases")}
        for row in preview.rows:
            stage, amount = stages[row.case_id]
            assert stage == ("under_review" if row.case_id in crossing else "in_payment")
            assert amount == row.new_amount
        for case_id in crossing:  # a review, never a stop (S1 Arts. 31, 32)
            events = [r["type"] for r in await pool.fetch(
                "SELECT type FROM case_events WHERE case_id = $1 ORDER BY seq", case_id)]
            assert "ad_hoc_review_opened" in events and "benefit_stopped" not in events

        with pytest.raises(WorkflowAlreadyStartedError):
            await start_recalculation(client, version, effective, task_queue)
        rerun = await start_recalculation(client, version, effective, task_queue,
                                          workflow_id=f"{standard_change_workflow_id(version)}-rerun")
        again: StandardChangeProgress = await asyncio.wait_for(rerun.result(), timeout=60)
        assert (again.totals.applied, again.totals.already_applied, again.totals.failed) == (0, 20, 0)
        one = await client.get_workflow_handle(workflow_id_for(states[0].case_id)).execute_update(
            CaseWorkflow.recalculate, StandardChangeInput(actor=APPROVER, version=version, effective_from=effective))
        assert (one.applied, one.reason) == (False, "already_applied")
        assert_recorded_as_previewed(await recalculations(pool, version), preview)


async def calls_after_recalculate(client: Client, case_id: uuid.UUID) -> list[str]:
    """The activities (regular or local) the case ran from its ``recalculate`` Update on, but its records."""
    history = await client.get_workflow_handle(workflow_id_for(case_id)).fetch_history()
    out: list[str] = []
    accepted = False
    for ev in history.events:
        if ev.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            accepted = accepted or (
                ev.workflow_execution_update_accepted_event_attributes.accepted_request.input.name == "recalculate")
        elif accepted and ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            out.append(ev.activity_task_scheduled_event_attributes.activity_type.name)
        elif (accepted and ev.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
              and ev.marker_recorded_event_attributes.marker_name == "core_local_activity"):
            out.append(json.loads(ev.marker_recorded_event_attributes.details["data"].payloads[0].data)
                       ["activity_type"])
    assert accepted, "no recalculate Update in the history"
    return [name for name in out if name != "record_case"]


# --- the crash test ------------------------------------------------------------------------------------------


class WorkerProcess:
    """``casework worker`` in a process of its own, configured through the environment like production."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own entry point
                [CASEWORK, "worker"], cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no last heartbeat, activities and workflow tasks lost mid-flight."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


async def answered(client: Client, case_id: uuid.UUID, seconds: float) -> None:
    """Wait until a worker answers a query on the case (the worker process is up and polling)."""
    handle = client.get_workflow_handle(workflow_id_for(case_id))
    async with asyncio.timeout(seconds):
        while True:
            try:
                await handle.query(CaseWorkflow.snapshot, rpc_timeout=timedelta(seconds=2))
                return
            except Exception:  # noqa: BLE001 - not up yet: no poller, query timed out
                await asyncio.sleep(0.2)


async def test_the_recalculation_survives_its_worker_being_killed_mid_run(
    dev_env: WorkflowEnvironment, db: tuple[str, asyncpg.Pool], tmp_path: Path
) -> None:
    """The worker process is killed (SIGKILL) once some but not all of 80 cases are recalculated, and a new one
    started. The run resumes (the batch activity times out on its heartbeat and is retried, skipping the cases
    its heartbeat listed as done; Update ids and the per-version check make any repeat harmless) and
    completes: every case has exactly one ``benefit_recalculated``, with the previewed amounts, and the run's
    counts add up to the 80 cases. (80 cases and a 1 s heartbeat timeout: since a case's Update is one workflow
    task (issue 18), 40 cases at 2 s were all recalculated before the kill.)"""
    dsn, pool = db
    book_path, version, effective = new_book(tmp_path)
    task_queue = f"sc-crash-{uuid.uuid4()}"
    client = dev_env.client
    env = subprocess_env() | {
        "CASEWORK_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "CASEWORK_DATABASE_URL": dsn,
        "CASEWORK_TEMPORAL_TASK_QUEUE": task_queue,
        "CASEWORK_PARAMETERS_FILE": str(book_path),
        "CASEWORK_VAR_DIR": str(tmp_path / "var"),
        "CASEWORK_LOG_JSON": "true",
    }
    first = WorkerProcess(env, tmp_path / "worker-1.log")
    second = WorkerProcess(env, tmp_path / "worker-2.log")
    n = 80
    states = households(book_path, effective, n)
    started = time.monotonic()
    try:
        first.start()
        await asyncio.gather(*(start_in_payment(client, pool, s, task_queue) for s in states))
        await answered(client, states[0].case_id, seconds=30)
        preview = await preview_from_db(pool, book_path, version)
        assert preview.totals.cases == n

        # One batch, one case at a time, a 1 s heartbeat timeout: the details reach the server at the start of
        # the batch and then every 0.8 s, so a kill 0.9 s after the first recalculation leaves the retried
        # attempt finished cases to skip.
        handle = await start_recalculation(client, version, effective, task_queue, batch_size=n, concurrency=1,
                                           heartbeat_timeout_seconds=1)
        first_seen: float | None = None
        async with asyncio.timeout(30):
            while True:
                done = len(await recalculations(pool, version))
                if done and first_seen is None:
                    first_seen = time.monotonic()
                if first_seen is not None and done >= 4 and time.monotonic() - first_seen >= 0.9:
                    break
                assert first.proc is not None, "worker 1 not started"
                assert first.proc.poll() is None, first.tail()
                await asyncio.sleep(0.01)
        first.kill()
        at_kill = len(await recalculations(pool, version))
        assert 4 <= done <= at_kill < n, f"the batch finished before the kill ({at_kill} of {n})"

        second.start()
        result: StandardChangeProgress = await asyncio.wait_for(handle.result(), timeout=75)
    except BaseException:
        sys.stderr.write(f"--- worker 1 ---\n{first.tail()}\n--- worker 2 ---\n{second.tail()}\n")
        raise
    finally:
        first.stop()
        second.stop()

    totals = result.totals
    assert result.done
    assert (result.cases, result.batches) == (n, 1)
    assert totals.applied + totals.already_applied == n
    assert (totals.not_active, totals.failed) == (0, 0)
    assert 1 <= totals.resumed <= at_kill, "the retried batch did not resume from its heartbeat details"
    assert_recorded_as_previewed(await recalculations(pool, version), preview)
    sys.stderr.write(f"crash test: killed at {at_kill}/{n} recalculated, {totals.resumed} resumed from the "
                     f"heartbeat; {time.monotonic() - started:.1f} s\n")


# --- the CLI -------------------------------------------------------------------------------------------------


def casework(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CASEWORK, "standard-change", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


async def test_the_cli_previews_applies_and_reports_the_run(
    dev_env: WorkflowEnvironment, db: tuple[str, asyncpg.Pool], tmp_path: Path
) -> None:
    """``casework standard-change preview|apply|status`` against the configured database, Temporal and book:
    the per-township table, the JSON preview, the workflow id, a refused second apply, the final counts."""
    dsn, pool = db
    book_path, version, effective = new_book(tmp_path)
    task_queue = f"sc-cli-{uuid.uuid4()}"
    client = dev_env.client
    env = subprocess_env() | {
        "CASEWORK_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "CASEWORK_DATABASE_URL": dsn,
        "CASEWORK_TEMPORAL_TASK_QUEUE": task_queue,
        "CASEWORK_PARAMETERS_FILE": str(book_path),
        "CASEWORK_VAR_DIR": str(tmp_path / "var"),
    }
    states = households(book_path, effective, 4)
    async with build_worker(client, pool, task_queue, ParameterFile(book_path)):
        await asyncio.gather(*(start_in_payment(client, pool, s, task_queue) for s in states))
        expected = await preview_from_db(pool, book_path, version)

        table = await asyncio.to_thread(casework, env, "preview", version)
        assert table.returncode == 0, table.stderr
        assert "金山镇" in table.stdout and "碧城镇" in table.stdout
        total_line = next(line for line in table.stdout.splitlines() if line.startswith("total"))
        assert total_line.split()[1:5] == [str(expected.totals.cases), str(expected.totals.old_total),
                                           str(expected.totals.new_total), str(expected.totals.difference)]
        as_json = await asyncio.to_thread(casework, env, "preview", version, "--json")
        assert StandardChangePreview.model_validate_json(as_json.stdout) == expected
        unknown = await asyncio.to_thread(casework, env, "preview", "no-such-version")
        assert unknown.returncode == 2 and "unknown_version" in unknown.stderr

        applied = await asyncio.to_thread(casework, env, "apply", version, "--by", "ca-cli")
        assert applied.returncode == 0, applied.stderr
        assert applied.stdout.strip() == standard_change_workflow_id(version)
        twice = await asyncio.to_thread(casework, env, "apply", version, "--by", "ca-cli")
        assert twice.returncode == 2 and "standard_change_started" in twice.stderr
        handle = client.get_workflow_handle_for(StandardChangeWorkflow.run, standard_change_workflow_id(version))
        await asyncio.wait_for(handle.result(), timeout=60)
        status = await asyncio.to_thread(casework, env, "status", version)
    assert status.returncode == 0, status.stderr
    assert "completed" in status.stdout and "applied: 4" in status.stdout and "failed: 0" in status.stdout
    recorded = await recalculations(pool, version)
    assert {len(v) for v in recorded.values()} == {1} and len(recorded) == 4
    assert {v[0]["actor"]["id"] for v in recorded.values()} == {"ca-cli"}
