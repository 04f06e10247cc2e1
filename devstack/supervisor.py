"""``casework up``: the whole engine in the foreground — what ``make run`` runs.

Starts the embedded PostgreSQL and Temporal (unless settings name existing ones), applies migrations,
then runs the worker and the API in this process. Ctrl-C or SIGTERM stops everything in reverse order:
API, worker, Temporal, PostgreSQL. Children are tied to this process (see :mod:`devstack.processes`), and a
survivor of a ``kill -9`` is found by its pid file and stopped at the next start, so ``make run`` always
finds every case where it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from types import FrameType

import psutil
import structlog
import uvicorn

from adapters.auth import ensure_dev_key
from adapters.db.migrate import migrate
from adapters.db.pool import create_pool, ensure_database
from adapters.logging import configure_logging
from adapters.parameters import ParameterBookUnusable, check_parameter_book
from adapters.runtime import database_dsn, embedded_pg_uri_file
from adapters.settings import Settings
from adapters.temporal.client import connect, ensure_search_attributes
from api.main import create_app
from api.server import server_options
from devstack.embedded import EmbeddedPostgres, EmbeddedTemporal
from devstack.processes import set_parent_death_signal
from worker.main import run_worker

log = structlog.get_logger(__name__)


class AlreadyRunning(RuntimeError):
    """Another ``casework up`` is running with the same ``var/``."""


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the supervisor decides when the API stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _claim_pid_file(settings: Settings) -> None:
    pid_file = settings.run_dir / "up.pid"
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().split()[0])
            proc = psutil.Process(pid)
            if pid != os.getpid() and proc.is_running() and "up" in proc.cmdline() and any(
                "casework" in part for part in proc.cmdline()
            ):
                raise AlreadyRunning(f"casework is already running (pid {pid}) with {settings.var_dir}")
        except (ValueError, IndexError, psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    pid_file.write_text(f"{os.getpid()}\n")


def _port_in_use(host: str, port: int) -> str | None:
    """Why the API could not listen on ``host:port`` (checked before any server starts), or None.

    Bound as uvicorn binds (``SO_REUSEADDR``), so a port merely in TIME_WAIT after a restart is not "in use".
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        return f"cannot resolve the host: {err.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            return err.strerror or str(err)
    return None


async def _serve_api(server: uvicorn.Server, port: int) -> None:
    """uvicorn's ``serve``; its ``sys.exit(1)`` when it cannot bind (a port taken since the check) becomes an
    error, so ``casework up`` exits non-zero instead of taking it for Ctrl-C."""
    try:
        await server.serve()
    except SystemExit as err:
        raise RuntimeError(f"the API could not start (port {port} in use?)") from err


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


async def _connect_ready(settings: Settings, timeout: float = 90):  # noqa: ASYNC109 - a start-up deadline  # type: ignore[no-untyped-def]
    """Connect to Temporal, retrying while the dev server finishes starting its namespace."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = await connect(settings)
            await client.count_workflows()  # namespace and visibility answer
            return client
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _serve(settings: Settings, admin_pg_uri: str | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    if admin_pg_uri is not None:
        await ensure_database(admin_pg_uri, settings.database_name)
    pool = await create_pool(database_dsn(settings), min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    try:
        async with pool.acquire() as conn:
            applied = await migrate(conn)
        log.info("migrations.applied", versions=applied)
        client = await _connect_ready(settings)
        if not settings.embedded_temporal:
            added = await ensure_search_attributes(client)
            log.info("search_attributes.ensured", added=added)

        server = _Server(
            uvicorn.Config(create_app(settings, temporal=client), **server_options(settings), lifespan="on")
        )
        worker_stop = asyncio.Event()
        worker_task = asyncio.create_task(run_worker(client, pool, settings, worker_stop), name="worker")
        api_task = asyncio.create_task(_serve_api(server, settings.api_port), name="api")
        while not server.started and not api_task.done() and not stop.is_set():  # noqa: ASYNC110 - polls uvicorn and the stop flag
            await asyncio.sleep(0.05)
        if server.started:
            _announce(settings)
        stop_task = asyncio.create_task(stop.wait(), name="signal")
        done, _ = await asyncio.wait({stop_task, api_task, worker_task}, return_when=asyncio.FIRST_COMPLETED)
        log.info("casework.stopping", reason="signal" if stop_task in done else "component exited")
        server.should_exit = True
        worker_stop.set()
        stop_task.cancel()
        results = await asyncio.gather(api_task, worker_task, return_exceptions=True)
        for name, result in zip(("api", "worker"), results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("component.failed", component=name, error=repr(result))
        if api_task in done and not stop.is_set():
            raise RuntimeError(f"the API could not start or stopped unexpectedly (port {settings.api_port}?)")
    finally:
        await pool.close()


def _announce(settings: Settings) -> None:
    base = f"http://{settings.api_host}:{settings.api_port}"
    lines = [
        "",
        "casework is up (社会救助案件工作流引擎)",
        f"  Console       {base}/console   (控制台; an account: .venv/bin/casework users add ID --role R "
        "--jurisdiction CODE)",
        f"  API           {base}",
        f"  API docs      {base}/docs",
        f"  Readiness     {base}/readyz",
    ]
    if settings.embedded_temporal:
        lines.append(f"  Temporal UI   http://127.0.0.1:{settings.embedded_temporal_ui_port}")
    lines += [
        f"  Temporal      {settings.effective_temporal_address} (namespace {settings.temporal_namespace})",
        "  A token:      .venv/bin/casework token --role front_office --jurisdiction 532302101 --sub window-01",
        "Press Ctrl-C to stop.",
        "",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def up(settings: Settings) -> int:
    """Run the whole engine in the foreground until Ctrl-C or SIGTERM.

    Returns:
        The process exit code.
    """
    configure_logging(json=settings.log_json, level=settings.log_level)
    try:
        check_parameter_book(settings.parameters_file)
    except ParameterBookUnusable as err:
        sys.stderr.write(f"casework up: {err}\n")
        return 1
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    _claim_pid_file(settings)
    busy = _port_in_use(settings.api_host, settings.api_port)
    if busy is not None:
        (settings.run_dir / "up.pid").unlink(missing_ok=True)
        sys.stderr.write(
            f"casework up: the API port {settings.api_host}:{settings.api_port} is in use ({busy}) "
            f"(API 端口已被占用); stop what listens there or set CASEWORK_API_PORT\n"
        )
        return 1
    # If whatever started us (make) dies, we get SIGTERM and shut down cleanly instead of lingering.
    set_parent_death_signal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_exit)  # during the synchronous start-up phase
    ensure_dev_key(settings)
    pg = (
        EmbeddedPostgres(settings.var_dir / "pg", settings.run_dir, settings.var_dir / "log" / "postgres.log")
        if settings.embedded_postgres
        else None
    )
    temporal = (
        EmbeddedTemporal(
            settings.var_dir / "temporal" / "temporal.db",
            settings.run_dir,
            settings.var_dir / "log" / "temporal.log",
            port=settings.embedded_temporal_port,
            ui_port=settings.embedded_temporal_ui_port,
            codec_endpoint=f"http://{settings.api_host}:{settings.api_port}/codec",
        )
        if settings.embedded_temporal
        else None
    )
    admin_uri: str | None = None
    try:
        if pg is not None:
            admin_uri = pg.start()
            embedded_pg_uri_file(settings).write_text(admin_uri + "\n")
        if temporal is not None:
            temporal.start()
        asyncio.run(_serve(settings, admin_uri))
        return 0
    except (KeyboardInterrupt, SystemExit):
        return 0
    except Exception as err:
        log.error("casework.failed", error=str(err))
        sys.stderr.write(f"casework up: {err}\n")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if temporal is not None:
            temporal.stop()
        if pg is not None:
            pg.stop()
            embedded_pg_uri_file(settings).unlink(missing_ok=True)
        (settings.run_dir / "up.pid").unlink(missing_ok=True)
        log.info("casework.stopped")
