"""Export a fresh history for the replay tests: ``python -m tests.workflows.export_history NAME``.

Run at release time for each new workflow path (STYLE guideline 14); commit the JSON under ``histories/``.
Uses the time-skipping test server and a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain import commands as c
from domain.state import Stage
from infra.db.migrate import migrate
from infra.db.pool import create_pool, ensure_database
from infra.embedded import EmbeddedPostgres, temporal_test_server_path
from tests.builders import application
from tests.workflows.helpers import running_worker, start_case, wait_for_case_row
from tests.workflows.lifecycle import CASEWORKER, COUNTY_APPROVER, WINDOW, Case, income_per_capita, to_payment

HISTORIES = Path(__file__).parent / "histories"


async def _review_cycle(env: WorkflowEnvironment, case: Case) -> str | None:
    """Into payment, a reported change, the review's information check and a no-change decision: the first
    run, which ends by continuing as new (one run per review cycle)."""
    await to_payment(env, case)
    await case.do(WINDOW, c.ReportChange(declaration=income_per_capita(Decimal("100"), 2), note="例行报告"))
    await _checked(case)
    await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["无变化"]))
    return case.handle.result_run_id


async def _gradual_exit(env: WorkflowEnvironment, case: Case) -> str | None:
    """A carried run: income above the standard through employment, a 渐退期, its end, the stop and its
    notice; the run that starts after the review cycle, to completion."""
    await to_payment(env, case)
    await case.do(WINDOW, c.ReportChange(declaration=income_per_capita(Decimal("500"), 2), note="务工收入增加"))
    await _checked(case)
    await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["务工收入超标"], gradual_exit_months=2,
                                                  income_from_employment=True))
    await env.sleep(timedelta(days=100))
    await case.wait_stage(Stage.EXITED)
    await case.do(CASEWORKER, c.ServeStopNotice())
    await case.handle.result()
    return None


async def _checked(case: Case) -> None:
    async with asyncio.timeout(20):
        while (await case.snap()).state.info_check is None or (await case.snap()).state.stage is not Stage.UNDER_REVIEW:
            await asyncio.sleep(0.05)


SCENARIOS = {"case_v1_submitted": None, "case_v2_in_payment": to_payment, "case_v3_review_cycle": _review_cycle,
             "case_v3_gradual_exit_run": _gradual_exit}


async def _export(name: str, pg_uri: str) -> Path:
    dsn = await ensure_database(pg_uri, "export_history")
    conn = await asyncpg.connect(dsn)
    await migrate(conn)
    await conn.close()
    pool = await create_pool(dsn)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server_path(), data_converter=pydantic_data_converter
    )
    try:
        async with running_worker(env.client, pool) as worker:
            case_id = uuid.uuid4()
            app = application(unique=True, declaration=income_per_capita(Decimal("100"), 2))
            handle = await start_case(env.client, worker, case_id=case_id, app=app)
            await wait_for_case_row(pool, case_id)
            drive = SCENARIOS[name]
            run_id = await drive(env, Case(handle)) if drive is not None else None
            handle = env.client.get_workflow_handle(handle.id, run_id=run_id)
            # Export once the history has stopped growing: a whole, quiescent history.
            history = await handle.fetch_history()
            while True:
                await asyncio.sleep(0.5)
                again = await handle.fetch_history()
                if len(again.events) == len(history.events):
                    break
                history = again
    finally:
        await env.shutdown()
        await pool.close()
    out = HISTORIES / f"{name}.json"
    out.write_text(history.to_json())
    return out


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "case_v2_in_payment"
    if name not in SCENARIOS:
        sys.exit(f"unknown history {name}; one of {', '.join(SCENARIOS)}")
    with tempfile.TemporaryDirectory() as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "data", Path(tmp) / "run", Path(tmp) / "pg.log")
        uri = pg.start()
        try:
            path = asyncio.run(_export(name, uri))
        finally:
            pg.stop()
    sys.stdout.write(f"wrote {path}\n")


if __name__ == "__main__":
    main()
