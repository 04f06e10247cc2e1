"""``casework projection rebuild``: rebuild the case read model from the workflows when it is lost.

    casework projection rebuild          # refill: missing rows (and dropped tables) again, stale ones forward
    casework projection rebuild --reset  # replace the whole projection in one transaction

It first applies pending migrations, then runs :func:`services.projection.rebuild`, which also recreates the
projection tables if they were dropped (the migration runner would not: it remembers them as applied).
Running cases are read through their snapshot query, so a worker should be up (``casework up`` or
``casework worker``); without one their recorded events are folded instead. Prints the counts; exits 1 when
a case could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``projection`` command group to the ``casework`` parser.

    Args:
        subparsers: the object returned by ``ArgumentParser.add_subparsers()``.
    """
    group = subparsers.add_parser("projection", help="the case read model (cases table)")
    sub = group.add_subparsers(dest="projection_command", required=True)
    r = sub.add_parser("rebuild", help="rebuild the case read model from the workflows and events")
    r.add_argument("--reset", action="store_true",
                   help="empty the projection and write it again in one transaction (for corrupt rows)")
    r.add_argument("--query", default=None, help="visibility query (default: every CaseWorkflow)")
    r.set_defaults(func=_cmd_rebuild)


def _cmd_rebuild(args: argparse.Namespace) -> int:
    import asyncpg

    from adapters.db.migrate import migrate
    from adapters.db.pool import create_pool
    from adapters.logging import configure_logging
    from adapters.runtime import NotConfigured, database_dsn
    from adapters.settings import Settings
    from adapters.temporal.client import connect
    from services.projection import CASE_WORKFLOWS, RebuildReport, rebuild

    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)

    async def run() -> RebuildReport:
        dsn = database_dsn(settings)
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        client = await connect(settings)
        pool = await create_pool(dsn, min_size=1, max_size=4)
        try:
            return await rebuild(pool, client, query=args.query or CASE_WORKFLOWS, reset=args.reset)
        finally:
            await pool.close()

    try:
        report = asyncio.run(run())
    except NotConfigured as err:
        sys.stderr.write(f"casework: {err}\n")
        return 1
    sys.stdout.write(
        f"cases: {report.cases} (running: {report.from_running}, completed: {report.from_closed}, "
        f"from events: {report.from_events}); failed: {report.failed}; ahead of their workflow: "
        f"{len(report.ahead)}{'; projection tables recreated' if report.schema_recreated else ''}\n"
    )
    for case_id in report.failed_ids:
        sys.stderr.write(f"casework: could not read case {case_id}\n")
    for case_id in report.ahead:
        sys.stderr.write(f"casework: row ahead of its workflow (use --reset): {case_id}\n")
    return 1 if report.failed else 0
