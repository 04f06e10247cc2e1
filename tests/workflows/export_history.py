"""Export a fresh history for the replay tests: ``python -m tests.workflows.export_history NAME``.

Run at release time for each new workflow path (STYLE guideline 14); commit the JSON under ``histories/``.
Uses the time-skipping test server and a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from infra.db.migrate import migrate
from infra.db.pool import create_pool, ensure_database
from infra.embedded import EmbeddedPostgres, temporal_test_server_path
from tests.builders import application
from tests.workflows.helpers import running_worker, start_case, wait_for_case_row
from tests.workflows.lifecycle import Case, income_per_capita, to_payment

HISTORIES = Path(__file__).parent / "histories"


SCENARIOS = {"case_v1_submitted": None, "case_v2_in_payment": to_payment}


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
            if drive is not None:
                await drive(env, Case(handle))
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
