"""Worker composition root: settings → logging → pool → Temporal client → Worker.

Horizontally scalable: run as many ``casework worker`` processes as needed against one cluster and database.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities import build_activities
from adapters.audit.ledger import Ledger
from adapters.db.cases import PgCaseStore
from adapters.db.economic_records import PgEconomicRecords
from adapters.db.migrate import migrate
from adapters.db.pool import create_pool
from adapters.logging import configure_logging
from adapters.parameters import ParameterFile
from adapters.runtime import database_dsn
from adapters.settings import Settings
from adapters.temporal.client import connect
from services.schedules import ensure_allowance_catch_up_schedule, ensure_review_sweep_schedule
from workflows import WORKFLOWS

log = structlog.get_logger(__name__)


def build_worker(client: Client, pool: asyncpg.Pool, task_queue: str,
                 parameters: ParameterFile | None = None, settings: Settings | None = None,
                 interceptors: Sequence[Interceptor] = ()) -> Worker:
    """A worker for every workflow and activity, wired to the given pool (which it does not own).

    ``settings`` pick the ledger's hash algorithm and where checkpoints are signed (None: SHA-256, none);
    ``interceptors`` wrap its tasks (tests use one to hold an activity at a chosen moment).
    """
    ledger = Ledger(settings.ledger_hash_algorithm if settings else "sha256")
    tuning = settings or Settings.model_construct()  # the defaults, read from no environment
    return Worker(
        client,
        task_queue=task_queue,
        # Slots, pollers and the sticky cache (issue 18): see Settings.worker_*. Local activities hold a pool
        # connection each, so by default there are as many slots as connections (more would queue in the pool
        # while their workflow tasks stay open).
        max_cached_workflows=tuning.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=tuning.worker_workflow_task_slots,
        max_concurrent_activities=tuning.worker_activity_slots,
        max_concurrent_local_activities=tuning.worker_local_activity_slots or pool.get_max_size(),
        max_concurrent_workflow_task_polls=tuning.worker_workflow_task_pollers,
        max_concurrent_activity_task_polls=tuning.worker_activity_task_pollers,
        workflows=WORKFLOWS,
        activities=build_activities(
            store=PgCaseStore(pool, ledger),
            pool=pool,
            records=PgEconomicRecords(pool),
            parameters=parameters or ParameterFile(),
            client=client,
            ledger=ledger,
            settings=settings,
        ),
        interceptors=interceptors,
    )


async def run_worker(client: Client, pool: asyncpg.Pool, settings: Settings, stop: asyncio.Event) -> None:
    """Run a worker until ``stop`` is set, then shut it down gracefully (in-flight tasks finish)."""
    parameters = ParameterFile(settings.parameters_file) if settings.parameters_file else ParameterFile()
    worker = build_worker(client, pool, settings.temporal_task_queue, parameters, settings)
    async with worker:
        log.info("worker.started", task_queue=settings.temporal_task_queue)
        try:
            async with asyncio.timeout(30):
                created = await ensure_review_sweep_schedule(client, settings.temporal_task_queue)
            log.info("schedule.review_sweep", created=created)
        except Exception as err:  # noqa: BLE001 - a missing schedule must not stop case work
            log.warning("schedule.review_sweep_unavailable", error=type(err).__name__, detail=str(err))
        try:
            async with asyncio.timeout(30):
                created = await ensure_allowance_catch_up_schedule(client, settings.temporal_task_queue)
            log.info("schedule.allowance_catch_up", created=created)
        except Exception as err:  # noqa: BLE001 - a missing schedule must not stop case work
            log.warning("schedule.allowance_catch_up_unavailable", error=type(err).__name__, detail=str(err))
        await stop.wait()
    log.info("worker.stopped")


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    pool = await create_pool(database_dsn(settings), min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        client = await connect(settings)
        await run_worker(client, pool, settings, stop)
    finally:
        await pool.close()


def main(settings: Settings | None = None) -> None:
    """``casework worker``."""
    settings = settings or Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    asyncio.run(_main(settings))
