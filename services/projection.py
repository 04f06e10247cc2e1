"""Rebuilding the case read model (``cases`` and ``benefit_periods``) from the workflows, when it is lost.

Sources, for each case:

1. a running workflow (or one that continued as new): its ``CaseWorkflow.snapshot`` query (needs a worker);
2. a completed workflow: its result (the final ``CaseSnapshot``; no worker needed);
3. anything else (a failed or terminated workflow, a query that did not answer, or a closed case that
   Temporal's retention period removed from visibility but whose events are in ``case_events``): the case's
   recorded events folded with ``domain.programmes.project``.

Every state is written through ``PgCaseStore.record(state, [])``, the record activity's own write, so the
rows are exactly what the workflows would have written.

**After a DROP.** The migration runner records applied files in ``schema_migrations`` and would not create a
dropped table again, so the rebuild (re)creates the projection tables itself from ``PROJECTION_SCHEMA`` below
(idempotent: ``IF NOT EXISTS``), and restores the foreign keys from ``benefit_periods``, ``case_payees`` and
``payment_lines`` once the rows are back. ``PROJECTION_SCHEMA`` is the shape migrations 0001, 0007, 0009, 0019, 0020
and 0021 give those tables; ``tests/integration/test_case_queries_pg.py`` checks that the two agree, so a migration
that changes ``cases`` must change it too. ``case_events`` (the engine's record) is never touched.

**Modes.** By default the rebuild refills: order-safe upserts that recreate missing rows and move stale ones
forward, never backwards. ``reset=True`` replaces the projection as a whole in one transaction (for corrupt
rows, or rows ahead of a workflow that was reset): it locks ``cases`` first (the record activity waits),
reads every workflow, empties the two tables and writes them again; if a payment line or payee refers to a
case that could not be rebuilt, restoring the foreign keys fails and nothing changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from pydantic import TypeAdapter
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

from adapters.db.cases import PgCaseStore
from domain.events import CaseEvent
from domain.ids import WORKFLOW_ID_PREFIX
from domain.programmes import CaseState, project
from workflows.case import CaseSnapshot, CaseWorkflow

log = structlog.get_logger(__name__)

CASE_WORKFLOWS = 'WorkflowType="CaseWorkflow"'

_EVENTS = TypeAdapter(list[CaseEvent])

PROJECTION_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    case_id              uuid PRIMARY KEY,
    workflow_id          text        NOT NULL UNIQUE,
    program              text        NOT NULL,
    stage                text        NOT NULL,
    village_code         char(12)    NOT NULL,
    township_code        char(9)     NOT NULL,
    county_code          char(6)     NOT NULL,
    household_size       smallint    NOT NULL CHECK (household_size > 0),
    version              integer     NOT NULL CHECK (version > 0),
    opened_at            timestamptz NOT NULL,
    stage_since          timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    area_type            text,
    monthly_amount       numeric(12, 2),
    first_payment_month  char(7),
    stop_effective_month char(7),
    next_review_due      date,
    overdue              boolean NOT NULL DEFAULT false,
    state                jsonb,
    pending_step         text,
    pending_roles        text[] NOT NULL DEFAULT '{}',
    pending_due          date,
    decided_at           timestamptz,
    outcome              text CHECK (outcome IN ('approved', 'rejected', 'terminated', 'withdrawn', 'exited',
                                            'forwarded'))
);
CREATE INDEX IF NOT EXISTS cases_township_stage_idx ON cases (township_code, stage);
CREATE INDEX IF NOT EXISTS cases_county_stage_idx ON cases (county_code, stage);
CREATE INDEX IF NOT EXISTS cases_review_due_idx ON cases (next_review_due) WHERE stage = 'in_payment';
CREATE INDEX IF NOT EXISTS cases_active_idx ON cases (case_id) WHERE stage IN (
    'in_payment', 'under_review', 'gradual_exit',
    'termination_proposed', 'termination_publicity', 'termination_objection', 'termination_investigation',
    'termination_decision'
);
CREATE INDEX IF NOT EXISTS cases_county_opened_idx ON cases (county_code, opened_at DESC, case_id DESC);
CREATE INDEX IF NOT EXISTS cases_township_opened_idx ON cases (township_code, opened_at DESC, case_id DESC);
CREATE INDEX IF NOT EXISTS cases_village_opened_idx ON cases (village_code, opened_at DESC, case_id DESC);
CREATE INDEX IF NOT EXISTS cases_stage_opened_idx ON cases (stage, opened_at DESC, case_id DESC);
CREATE INDEX IF NOT EXISTS cases_overdue_idx ON cases (township_code, opened_at DESC, case_id DESC)
    WHERE overdue;
CREATE INDEX IF NOT EXISTS cases_pending_roles_idx ON cases USING gin (pending_roles);
CREATE INDEX IF NOT EXISTS cases_pending_due_idx ON cases (pending_due) WHERE pending_due IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_decided_idx ON cases (township_code, decided_at)
    WHERE decided_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_old_age_active_idx ON cases (case_id)
    WHERE program = 'old_age_allowance' AND stage IN ('in_payment', 'payment_held');

CREATE TABLE IF NOT EXISTS benefit_periods (
    case_id               uuid          NOT NULL,
    from_month            char(7)       NOT NULL,
    monthly_amount        numeric(12, 2) NOT NULL CHECK (monthly_amount >= 0),
    household_size        smallint      NOT NULL,
    parameter_set_version text,
    seq                   integer       NOT NULL,
    PRIMARY KEY (case_id, from_month)
);
"""

#: The foreign keys into ``cases``, restored after the rows (a DROP ... CASCADE of ``cases`` removed them).
_FOREIGN_KEYS = [
    ("benefit_periods", "benefit_periods_case_id_fkey"),
    ("case_payees", "case_payees_case_id_fkey"),
    ("payment_lines", "payment_lines_case_id_fkey"),
]
_HAS_CONSTRAINT = "SELECT 1 FROM pg_constraint WHERE conname = $1 AND conrelid = to_regclass($2)"
_ADD_FK = {
    "benefit_periods": "ALTER TABLE benefit_periods ADD CONSTRAINT benefit_periods_case_id_fkey "
                       "FOREIGN KEY (case_id) REFERENCES cases (case_id)",
    "case_payees": "ALTER TABLE case_payees ADD CONSTRAINT case_payees_case_id_fkey "
                   "FOREIGN KEY (case_id) REFERENCES cases (case_id)",
    "payment_lines": "ALTER TABLE payment_lines ADD CONSTRAINT payment_lines_case_id_fkey "
                     "FOREIGN KEY (case_id) REFERENCES cases (case_id)",
}
_DROP_FK = {
    "benefit_periods": "ALTER TABLE benefit_periods DROP CONSTRAINT IF EXISTS benefit_periods_case_id_fkey",
    "case_payees": "ALTER TABLE case_payees DROP CONSTRAINT IF EXISTS case_payees_case_id_fkey",
    "payment_lines": "ALTER TABLE payment_lines DROP CONSTRAINT IF EXISTS payment_lines_case_id_fkey",
}
_EVENT_CASES = "SELECT DISTINCT case_id FROM case_events"
_CASE_EVENTS = "SELECT payload FROM case_events WHERE case_id = $1 ORDER BY seq"
_STORED_VERSION = "SELECT version FROM cases WHERE case_id = $1"


@dataclass
class RebuildReport:
    """What a rebuild wrote.

    Attributes:
        cases: rows written (or found already up to date).
        from_running: states read from running workflows (the snapshot query).
        from_closed: states read from completed workflows' results.
        from_events: states folded from ``case_events`` (closed otherwise, or not in visibility any more).
        failed: cases whose state could not be read; their ids are in ``failed_ids``.
        ahead: cases whose stored row has a higher version than the workflow (left as they are unless reset).
        schema_recreated: the ``cases`` table was missing and was created again.
    """

    cases: int = 0
    from_running: int = 0
    from_closed: int = 0
    from_events: int = 0
    failed: int = 0
    failed_ids: list[UUID] = field(default_factory=list)
    ahead: list[UUID] = field(default_factory=list)
    schema_recreated: bool = False


class _OneConnection:
    """A pool stand-in that always hands out the same connection, so ``PgCaseStore`` writes inside our
    transaction (its own transaction becomes a savepoint)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self._conn


def _case_id(workflow_id: str) -> UUID | None:
    if not workflow_id.startswith(WORKFLOW_ID_PREFIX):
        return None
    try:
        return UUID(workflow_id.removeprefix(WORKFLOW_ID_PREFIX))
    except ValueError:
        return None


async def _latest_runs(client: Client, query: str) -> dict[UUID, WorkflowExecution]:
    """The newest run of every case workflow that visibility lists (a continued-as-new case has several)."""
    latest: dict[UUID, WorkflowExecution] = {}
    async for wf in client.list_workflows(query):
        case_id = _case_id(wf.id)
        if case_id is None:
            continue
        known = latest.get(case_id)
        if known is None or _rank(wf) > _rank(known):
            latest[case_id] = wf
    return latest


def _rank(wf: WorkflowExecution) -> tuple[bool, datetime]:
    # The running run, else the newest one.
    return wf.status is WorkflowExecutionStatus.RUNNING, wf.start_time


async def _folded(conn: asyncpg.Connection | asyncpg.Pool, case_id: UUID) -> CaseState | None:
    rows = await conn.fetch(_CASE_EVENTS, case_id)
    return project(_EVENTS.validate_python([r["payload"] for r in rows])) if rows else None


async def _state_of(client: Client, pool: asyncpg.Pool, case_id: UUID, wf: WorkflowExecution | None,
                    report: RebuildReport, query_timeout: float) -> CaseState | None:
    try:
        if wf is not None and wf.status in (WorkflowExecutionStatus.RUNNING,
                                            WorkflowExecutionStatus.CONTINUED_AS_NEW):
            handle = client.get_workflow_handle_for(CaseWorkflow.run, wf.id)  # the newest run
            try:
                snap = await asyncio.wait_for(handle.query(CaseWorkflow.snapshot), query_timeout)
            except Exception as err:  # noqa: BLE001 - no worker, or a stuck one: the events still tell
                log.warning("projection.query_failed", case_id=str(case_id), error=type(err).__name__)
            else:
                report.from_running += 1
                return snap.state
        elif wf is not None and wf.status is WorkflowExecutionStatus.COMPLETED:
            handle = client.get_workflow_handle_for(CaseWorkflow.run, wf.id, run_id=wf.run_id)
            result: CaseSnapshot = await handle.result(follow_runs=False)
            report.from_closed += 1
            return result.state
        state = await _folded(pool, case_id)
        if state is not None:
            report.from_events += 1
        return state
    except Exception as err:  # noqa: BLE001 - one unreadable case must not stop the others
        log.warning("projection.case_unreadable", case_id=str(case_id), error=type(err).__name__)
        return None


async def _restore_foreign_keys(conn: asyncpg.Connection) -> None:
    for table, name in _FOREIGN_KEYS:
        if await conn.fetchval("SELECT to_regclass($1)", table) is None:
            continue
        if await conn.fetchval(_HAS_CONSTRAINT, name, table) is None:
            await conn.execute(_ADD_FK[table])


async def rebuild(pool: asyncpg.Pool, client: Client, *, query: str = CASE_WORKFLOWS, reset: bool = False,
                  concurrency: int = 16, query_timeout: float = 10.0) -> RebuildReport:
    """Rebuild the ``cases`` and ``benefit_periods`` rows from the case workflows (and ``case_events``).

    Args:
        pool: the engine's database (its migrations applied; the projection tables may be missing).
        client: a Temporal client with the pydantic data converter, on the cases' namespace.
        query: the visibility query listing the case workflows (open and closed).
        reset: empty the two tables and write them again in one transaction (see the module docstring);
            otherwise refill with order-safe upserts.
        concurrency: how many workflows are read at once.
        query_timeout: seconds to wait for a running workflow's snapshot before folding its events instead.

    Returns:
        What was written, by source, and what could not be read.
    """
    report = RebuildReport()
    async with pool.acquire() as conn, conn.transaction():
        report.schema_recreated = await conn.fetchval("SELECT to_regclass('cases')") is None
        await conn.execute(PROJECTION_SCHEMA)
        await _restore_foreign_keys(conn)  # a lone DROP of benefit_periods: cases is there, restore now
        if reset:
            # Taken before reading the workflows: a transition recorded meanwhile waits, then applies on top.
            await conn.execute("LOCK TABLE cases IN EXCLUSIVE MODE")
        runs = await _latest_runs(client, query)
        # Cases whose workflows visibility no longer lists (retention) are rebuilt from their events.
        known = set(runs) | {r["case_id"] for r in await conn.fetch(_EVENT_CASES)}
        gate = asyncio.Semaphore(concurrency)

        async def read(case_id: UUID) -> tuple[UUID, CaseState | None]:
            async with gate:
                state = await _state_of(client, pool, case_id, runs.get(case_id), report, query_timeout)
                return case_id, state

        states = await asyncio.gather(*(read(cid) for cid in sorted(known)))
        if reset:
            for table in _DROP_FK:
                if await conn.fetchval("SELECT to_regclass($1)", table) is not None:
                    await conn.execute(_DROP_FK[table])
            await conn.execute("TRUNCATE benefit_periods, cases")
        store = PgCaseStore(_OneConnection(conn))  # type: ignore[arg-type]
        for case_id, state in states:
            if state is None:
                report.failed += 1
                report.failed_ids.append(case_id)
                continue
            await store.record(state, [])
            report.cases += 1
            if await conn.fetchval(_STORED_VERSION, state.case_id) > state.version:
                report.ahead.append(state.case_id)
        await _restore_foreign_keys(conn)
    log.info("projection.rebuilt", **_summary(report))
    return report


def _summary(report: RebuildReport) -> dict[str, Any]:
    return {"cases": report.cases, "from_running": report.from_running, "from_closed": report.from_closed,
            "from_events": report.from_events, "failed": report.failed, "ahead": len(report.ahead),
            "schema_recreated": report.schema_recreated}
