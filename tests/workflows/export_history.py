"""Export a fresh history for the replay tests: ``python -m tests.workflows.export_history NAME``.

Run at release time for each new workflow path (STYLE guideline 14); commit the JSON under ``histories/``.
Uses the time-skipping test server and a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from infra.db.migrate import migrate
from infra.db.pool import create_pool, ensure_database
from infra.embedded import EmbeddedPostgres, temporal_test_server_path
from tests.workflows.helpers import running_worker, start_case, wait_for_case_row

HISTORIES = Path(__file__).parent / "histories"


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
            handle = await start_case(env.client, worker, case_id=case_id)
            await wait_for_case_row(pool, case_id)
            # Export once the workflow task after the activity has completed: a whole, quiescent history.
            while True:
                history = await handle.fetch_history()
                types = [e.event_type for e in history.events]
                if EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in types and types[-1] == (
                    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
                ):
                    break
                await asyncio.sleep(0.1)
    finally:
        await env.shutdown()
        await pool.close()
    out = HISTORIES / f"{name}.json"
    out.write_text(history.to_json())
    return out


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "case_v1_submitted"
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
