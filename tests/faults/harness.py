"""A whole engine of separately killable processes, a front office driving cases through it over HTTP, faults,
and the checks that nothing was lost or done twice (issue 7 item 6).

The stack (:class:`Stack`), every piece in a process of its own, all with the same settings:

- PostgreSQL: :class:`devstack.embedded.EmbeddedPostgres` in a temporary directory; an *outage* stops it (fast
  shutdown, or immediate shutdown — a crash, with recovery at the next start) and starts it again seconds
  later;
- Temporal: :class:`devstack.embedded.EmbeddedTemporal`, the real ``temporal server start-dev`` persisted to a
  SQLite file on free ports; a *restart* is SIGTERM, then a new server on the same file and ports;
- ``casework worker`` × N (forked from tests/faults/zygote.py, or from the console script with
  ``fork_workers=False``): a worker Temporal sees polling is SIGKILLed at random moments (seeded) and started
  again after a short random pause; one that exits by itself is restarted too (as systemd would) and counted;
- ``casework api`` on a free port.

The front office (:class:`FrontOffice`) drives each case through the whole dibao procedure (SPEC §3.3) with a
role token per step, an ``Idempotency-Key`` on every request and the behaviour of a real client: a request
that fails with 503, a dropped connection, a timeout or ``409 request_in_progress`` is sent again, with the
same key, after ``Retry-After`` (capped) or a short pause. Every answer is recorded (route, status, whether it
came while PostgreSQL was away, whether a 503 carried ``Retry-After``).

After the batch: a payment roll per township and month (``POST /v1/payment-rolls``), ``casework audit
verify``, every request whose key is still claimed sent again (:func:`resend_left_claimed`), and
:func:`check` — per case, every decision exactly once and nothing else, one ledger entry per
recorded event, one notice served where one is due, one payment line per case and month, the read model equal
to the live workflow, every history replayable by the deployed code — summed into the figures ``make chaos``
prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from temporalio.client import Client

from adapters.auth import issue_token
from adapters.settings import Settings
from devstack.embedded import EmbeddedPostgres, EmbeddedTemporal
from devstack.processes import set_parent_death_signal
from domain.actors import Role
from domain.divisions import LUFENG_VILLAGES
from domain.identity import check_character
from domain.programmes.dibao.stages import Stage
from tests.databases import migrated_database
from tests.env import subprocess_env
from tests.params import fast_publicity_book

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
CASEWORK = str(Path(sys.executable).parent / "casework")
COUNTY = "532302"
#: 禄丰市's townships used by the batches (a case's village is ``<township>00N``).
TOWNSHIPS = [f"532302{n:03d}" for n in range(101, 111)]
PUBLICITY_SECONDS = 2

#: What a case records, in order, besides engine bookkeeping (deadlines, escalations): every one exactly once.
APPROVED_EVENTS = [
    "application_submitted", "application_accepted", "investigation_started", "home_visit_recorded",
    "info_check_requested", "info_check_completed", "village_review_exempted", "prelim_opinion_issued",
    "publicity_started", "publicity_window_elapsed", "case_submitted_to_county", "county_review_started",
    "application_approved", "review_scheduled", "publication_posted", "payment_scheduled",
]
REJECTED_EVENTS = [*APPROVED_EVENTS[:12], "application_rejected", "rejection_notice_served"]
BOOKKEEPING = frozenset({"deadline_set", "escalation_raised"})
NOTICE_EVENTS = frozenset({"rejection_notice_served", "stop_notice_served"})
DECISION_EVENTS = frozenset({"application_approved", "application_rejected", "prelim_opinion_issued",
                             "village_review_exempted", "application_accepted"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _child_preexec() -> None:
    # Own process group (a Ctrl-C to the harness does not reach it first), and gone with the harness.
    os.setpgrp()
    set_parent_death_signal(signal.SIGKILL)


# --- processes ---------------------------------------------------------------------------------------------


class Casework:
    """One ``casework <command>`` process (the API, or a worker when forking is off), configured through the
    environment, started from the console script."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.killed_by_us = False
        self.started_at = 0.0
        #: Not restarted before this (monotonic) time: the pause after a kill.
        self.paused_until = 0.0

    def _banner(self) -> None:
        with self.log.open("ab") as out:
            stamp = datetime.now(UTC).isoformat()
            out.write(f"\n=== {self.name} start {self.starts + 1} at {stamp} ===\n".encode())

    async def start(self) -> None:
        self._banner()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603, ASYNC220 - our own entry point; returns at once
                [CASEWORK, *self.args], cwd=REPO, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, preexec_fn=_child_preexec,
            )
        self._started()

    def _started(self) -> None:
        self.starts += 1
        self.killed_by_us = False
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    @property
    def alive(self) -> bool:
        return self.pid is not None and self.returncode is None

    def running(self, pid: int) -> bool:
        """Whether the process ``pid`` of this slot still runs. Not the same as :attr:`alive`: once it is dead,
        the stack's supervisor may restart the slot at once, and ``alive`` then speaks of the new process."""
        return self.proc is not None and self.proc.pid == pid and self.proc.poll() is None

    async def kill(self) -> None:
        """SIGKILL: no graceful shutdown; workflow tasks and activities in flight are lost."""
        if self.alive:
            pid = self.pid
            assert pid is not None
            self.killed_by_us = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            await self._exited(pid, 30)  # a loaded machine can hold a dying process (in disk I/O) for seconds

    async def stop(self) -> None:
        if self.alive:
            pid = self.pid
            assert pid is not None
            self.killed_by_us = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            try:
                await self._exited(pid, 15)
            except TimeoutError:
                await self.kill()

    async def _exited(self, pid: int, timeout: float) -> None:  # noqa: ASYNC109 - a deadline for polling, not a cancel scope
        """Until the process ``pid`` has ended — that process, not the slot: the supervisor restarting the slot
        while this polled once made it wait 30 s on the healthy new worker (CI: 'did not exit (process state
        S)')."""
        deadline = time.monotonic() + timeout
        while self.running(pid):
            if time.monotonic() > deadline:
                state = process_state(pid)
                raise TimeoutError(f"{self.name} (pid {pid}) did not exit (process state {state})")
            await asyncio.sleep(0.02)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class Zygote:
    """The fork server of tests/faults/zygote.py: a process that imported the worker once."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.exits: dict[int, int] = {}
        self._pids: asyncio.Queue[int] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        with self.log.open("ab") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.faults.zygote", cwd=REPO, env=self.env,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
                preexec_fn=_child_preexec)
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 180)
        if not line:
            raise RuntimeError(f"the zygote did not start: {self.log.read_text(errors='replace')[-2000:]}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            message = json.loads(line)
            if "pid" in message:
                self._pids.put_nowait(message["pid"])
            elif "exit" in message:
                self.exits[message["exit"]] = message["code"]

    async def fork(self, log: Path, env: dict[str, str]) -> int:
        assert self.proc is not None
        assert self.proc.stdin is not None
        async with self._lock:
            self.proc.stdin.write((json.dumps({"log": str(log), "env": env}) + "\n").encode())
            await self.proc.stdin.drain()
            return await asyncio.wait_for(self._pids.get(), 30)

    async def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            self._reader.cancel()


class ForkedWorker(Casework):
    """``casework worker`` forked from the zygote (see tests/faults/zygote.py): the same code and settings, in
    a process of its own, without paying for the imports at every restart."""

    def __init__(self, name: str, zygote: Zygote, env: dict[str, str], log: Path) -> None:
        super().__init__(name, ["worker"], env, log)
        self.zygote = zygote
        self._pid: int | None = None

    async def start(self) -> None:
        self._banner()
        self._pid = await self.zygote.fork(self.log, self.env)
        self._started()

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def returncode(self) -> int | None:
        if self._pid is None:
            return None
        return self.zygote.exits.get(self._pid)

    @property
    def alive(self) -> bool:
        """Running: not reported ended by the zygote, and not dead by the kernel's account either (a zombie
        the zygote has yet to reap, or reaped with its report still on the way: CI once waited 10 s for one)."""
        return self._pid is not None and self.running(self._pid)

    def running(self, pid: int) -> bool:
        return self.zygote.exits.get(pid) is None and process_state(pid) not in (None, "Z", "X")


def process_state(pid: int | None) -> str | None:
    """The state letter in ``/proc/<pid>/stat`` (R, S, D, Z, ...), None when there is no such process."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[0]  # the command name may hold spaces and parentheses


@dataclass
class Events:
    """What happened to the processes, for the figures."""

    kills: int = 0
    worker_restarts: int = 0
    unplanned_exits: list[dict[str, Any]] = field(default_factory=list)
    temporal_restarts: list[dict[str, float]] = field(default_factory=list)
    pg_outages: list[dict[str, Any]] = field(default_factory=list)
    #: (start, end) monotonic times during which PostgreSQL was not accepting connections; end None = ongoing.
    pg_windows: list[list[float | None]] = field(default_factory=list)
    temporal_windows: list[list[float | None]] = field(default_factory=list)


class Stack:
    """PostgreSQL, Temporal, N workers and the API, each separately controllable.

    Servers are started and stopped from one long-lived thread of their own: the embedded servers are tied to
    the life of the thread that started them (``PR_SET_PDEATHSIG``), and starting one blocks for seconds.
    """

    def __init__(self, base: Path, *, workers: int = 2, publicity_seconds: int = PUBLICITY_SECONDS,
                 api_pool_max: int = 20, fork_workers: bool = True) -> None:
        self.base = base
        self.n_workers = workers
        self.fork_workers = fork_workers
        self.zygote: Zygote | None = None
        self.temporal_client: Client | None = None
        #: Pids of the worker processes Temporal has seen polling the task queue.
        self.polling: set[int] = set()
        self.publicity_seconds = publicity_seconds
        self.api_pool_max = api_pool_max
        self.events = Events()
        self._servers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fault-servers")
        self.pg = EmbeddedPostgres(base / "pg" / "data", base / "pg" / "run", base / "log" / "postgres.log")
        self.temporal = EmbeddedTemporal(base / "temporal" / "temporal.db", base / "temporal" / "run",
                                         base / "log" / "temporal.log", port=free_port(), ui_port=free_port())
        self.api_port = 0  # chosen in start(), once PostgreSQL and Temporal hold their ports
        self.jwt_secret = "fault-secret-" + uuid.uuid4().hex
        self.task_queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.dsn = ""
        self.env: dict[str, str] = {}
        self.workers: list[Casework] = []
        self.api: Casework | None = None
        self._monitor: asyncio.Task[None] | None = None
        #: Every case the front office created on this stack (its database holds no other).
        self.case_ids: set[str] = set()
        #: Households planned on this stack so far (each scenario's ID numbers are new to the database).
        self.households = 0
        self._token_settings = Settings(_env_file=None, jwt_secret=self.jwt_secret,  # type: ignore[call-arg]
                                        var_dir=base / "var")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    async def _in_server_thread(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._servers, fn)

    async def start(self) -> None:
        (self.base / "log").mkdir(parents=True, exist_ok=True)
        uri = await self._in_server_thread(self.pg.start)
        self.dsn = await migrated_database(uri, "casework_faults")
        await self._in_server_thread(self.temporal.start)
        # Chosen only now: a port picked before the servers started could be taken by one of the ports the
        # Temporal dev server or PostgreSQL bind on their own, and the API would then never bind (CI: 73 starts,
        # "address already in use", "the API was not ready within 180s").
        self.api_port = free_port()
        book = fast_publicity_book(self.base / "parameters.json", seconds=self.publicity_seconds)
        self.env = subprocess_env(
            CASEWORK_DATABASE_URL=self.dsn,
            CASEWORK_TEMPORAL_ADDRESS=self.temporal.address,
            CASEWORK_TEMPORAL_TASK_QUEUE=self.task_queue,
            CASEWORK_PARAMETERS_FILE=str(book),
            CASEWORK_JWT_SECRET=self.jwt_secret,
            CASEWORK_VAR_DIR=str(self.base / "var"),
            CASEWORK_API_PORT=str(self.api_port),
            CASEWORK_LOG_JSON="true",
            CASEWORK_LOG_LEVEL="WARNING",
        )
        self.api = Casework("api", ["api"], self.env | {"CASEWORK_DB_POOL_MAX": str(self.api_pool_max)},
                            self.base / "log" / "api.log")
        await self.api.start()
        if self.fork_workers:
            self.zygote = Zygote(self.env, self.base / "log" / "zygote.log")
            await self.zygote.start()
        logs = [self.base / "log" / f"worker-{i}.log" for i in range(1, self.n_workers + 1)]
        self.workers = [ForkedWorker(log.stem, self.zygote, self.env, log) if self.zygote
                        else Casework(log.stem, ["worker"], self.env, log) for log in logs]
        for worker in self.workers:
            await worker.start()
        self.temporal_client = await Client.connect(self.temporal.address)
        self._monitor = asyncio.create_task(self._supervise(), name="fault-supervisor")
        self._watcher = asyncio.create_task(self._watch_pollers(), name="fault-pollers")
        await self.wait_ready(timeout=180)
        await self.workers_polling(timeout=180)

    async def wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109 - a deadline for polling, not a cancel scope
        """Until ``/readyz`` answers 200 (PostgreSQL and Temporal reachable from the API)."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5) as http:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/readyz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    api_tail = self.api.tail() if self.api else ""
                    raise TimeoutError(f"the API was not ready within {timeout:.0f}s:\n{api_tail}")
                await asyncio.sleep(0.25)

    async def _supervise(self) -> None:
        """Restart what is down: a killed worker once its pause is over, a worker or API that exited by itself
        at once (recorded as an unplanned exit with the end of its log)."""
        while True:
            now = time.monotonic()
            for proc in [*self.workers, *([self.api] if self.api else [])]:
                if proc.pid is None or proc.alive or now < proc.paused_until:
                    continue
                if not proc.killed_by_us:
                    # A worker cannot start while PostgreSQL or Temporal is away (it exits): counted apart.
                    self.events.unplanned_exits.append({
                        "process": proc.name, "returncode": proc.returncode, "tail": proc.tail(1500),
                        "pg_down": self.pg_down_during(proc.started_at, now),
                        "temporal_down": self.temporal_down_during(proc.started_at, now)})
                await proc.start()
                if proc in self.workers:
                    self.events.worker_restarts += 1
            await asyncio.sleep(0.1)

    async def _watch_pollers(self) -> None:
        """Which worker processes poll the task queue (their identity is ``pid@host``), once a second."""
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

        assert self.temporal_client is not None
        while True:
            seen: set[int] = set()
            try:
                for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
                    answer = await self.temporal_client.workflow_service.describe_task_queue(
                        DescribeTaskQueueRequest(namespace="default",
                                                 task_queue=TaskQueue(name=self.task_queue),
                                                 task_queue_type=kind),
                        timeout=timedelta(seconds=3))
                    for poller in answer.pollers:
                        with contextlib.suppress(ValueError):
                            seen.add(int(poller.identity.split("@", 1)[0]))
                self.polling = seen
            except Exception:  # noqa: BLE001 - Temporal restarting: keep the last answer
                pass
            await asyncio.sleep(1.0)

    def serving(self) -> list[Casework]:
        """Workers alive whose current process Temporal has seen polling."""
        return [w for w in self.workers if w.alive and w.pid in self.polling]

    async def workers_polling(self, timeout: float = 60) -> None:  # noqa: ASYNC109 - a deadline for polling, not a cancel scope
        """Until every worker process is alive and polling."""
        deadline = time.monotonic() + timeout
        while len(self.serving()) < len(self.workers):
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers not polling after {timeout:.0f}s:\n{self.logs_tail()}")
            await asyncio.sleep(0.2)

    # --- faults ------------------------------------------------------------------------------------------

    async def kill_worker(self, rng: random.Random, pause: tuple[float, float]) -> bool:
        """SIGKILL one worker that is polling (one still starting up would prove nothing)."""
        serving = self.serving()
        if not serving:
            return False
        victim = rng.choice(serving)
        victim.paused_until = time.monotonic() + rng.uniform(*pause)
        await victim.kill()
        self.events.kills += 1
        return True

    async def restart_temporal(self, down_seconds: float) -> dict[str, float]:
        """SIGTERM the dev server, wait, start a new one on the same SQLite file and ports."""
        window: list[float | None] = [time.monotonic(), None]
        self.events.temporal_windows.append(window)
        started = time.monotonic()
        await self._in_server_thread(self.temporal.stop)
        stopped = time.monotonic()
        await asyncio.sleep(down_seconds)
        await self._in_server_thread(self.temporal.start)
        window[1] = time.monotonic()
        record = {"stop_s": round(stopped - started, 2), "down_s": round(window[1] - started, 2)}
        self.events.temporal_restarts.append(record)
        return record

    async def pg_outage(self, down_seconds: float, mode: str = "fast") -> dict[str, Any]:
        """Take PostgreSQL away for ``down_seconds``: ``fast`` shutdown (SIGINT) or ``immediate`` (SIGQUIT: no
        checkpoint, crash recovery at the next start), then start it again on the same data."""
        window: list[float | None] = [time.monotonic(), None]
        self.events.pg_windows.append(window)
        started = time.monotonic()
        sig = signal.SIGQUIT if mode == "immediate" else signal.SIGINT

        def stop() -> None:
            from devstack.processes import stop as stop_process

            assert self.pg.proc is not None
            stop_process("postgres", self.pg.proc, sig=sig, timeout=30)
            self.pg.pid_file.unlink(missing_ok=True)

        await self._in_server_thread(stop)
        await asyncio.sleep(down_seconds)
        await self._in_server_thread(self.pg.start)
        window[1] = time.monotonic()
        record = {"mode": mode, "down_s": round(window[1] - started, 2)}
        self.events.pg_outages.append(record)
        return record

    def pg_down_during(self, sent: float, received: float) -> bool:
        return any(start <= received and (end is None or sent <= end)
                   for start, end in self.events.pg_windows if start is not None)

    def temporal_down_during(self, sent: float, received: float) -> bool:
        return any(start <= received and (end is None or sent <= end)
                   for start, end in self.events.temporal_windows if start is not None)

    # --- helpers -----------------------------------------------------------------------------------------

    def token(self, role: Role, jurisdiction: str, sub: str) -> str:
        return issue_token(self._token_settings, sub=sub, role=role, jurisdiction=jurisdiction,
                           now=datetime.now(UTC), ttl=timedelta(hours=12))

    def casework_cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CASEWORK, *args], cwd=REPO, env=self.env, capture_output=True, text=True,  # noqa: S603
                              timeout=timeout, check=False)

    def logs_tail(self) -> str:
        procs = [*self.workers, *([self.api] if self.api else [])]
        parts = [f"--- {p.name} ---\n{p.tail(2000)}" for p in procs]
        return "\n".join(parts)

    async def close(self) -> None:
        for task in (self._monitor, getattr(self, "_watcher", None)):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for proc in [*([self.api] if self.api else []), *self.workers]:
            with contextlib.suppress(Exception):
                await proc.stop()
        if self.zygote is not None:
            await self.zygote.close()
        with contextlib.suppress(Exception):
            await self._in_server_thread(self.temporal.stop)
        with contextlib.suppress(Exception):
            await self._in_server_thread(self.pg.stop)
        self._servers.shutdown(wait=True)


# --- the front office --------------------------------------------------------------------------------------


class GaveUp(Exception):
    """A request did not get a usable answer within its budget, or got one no retry can fix."""




@dataclass
class Http:
    """Every answer the front office got."""

    statuses: Counter[str] = field(default_factory=Counter)
    by_route: Counter[tuple[str, int]] = field(default_factory=Counter)
    during_pg_outage: Counter[str] = field(default_factory=Counter)
    during_temporal_restart: Counter[str] = field(default_factory=Counter)
    #: 503s while PostgreSQL was away that did not say when to come back.
    pg_503_without_retry_after: int = 0
    #: 503s (any cause) without Retry-After, per route.
    no_retry_after: Counter[str] = field(default_factory=Counter)
    #: Any 5xx but 503: route, status, body (the API log has the traceback).
    other_5xx: list[dict[str, Any]] = field(default_factory=list)
    #: Answers a correct engine never gives to these requests (e.g. a 409 for a step re-sent with its key).
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    transport_errors: Counter[str] = field(default_factory=Counter)
    #: Keys answered ``409 request_in_progress`` ``LONG_IN_PROGRESS`` times in a row (the API waits 60 s
    #: before each), and, for requests harmless to repeat, that the client went on under a new key.
    long_in_progress: list[dict[str, Any]] = field(default_factory=list)
    replayed: int = 0
    requests: int = 0


class FrontOffice:
    """An HTTP client that behaves as a front-office system should: one Idempotency-Key per intended action,
    sent again unchanged until the action has an answer."""

    RETRY_AFTER_CAP = 3.0
    #: ``409 request_in_progress`` answers in a row (the API waits 60 s before each) worth recording; a
    #: request harmless to repeat (``renew_stuck_key``) then goes on under a new key.
    LONG_IN_PROGRESS = 2

    def __init__(self, stack: Stack, http: httpx.AsyncClient, rng: random.Random,
                 budget: float = 900) -> None:
        self.stack = stack
        self.http = http
        self.rng = rng
        self.budget = budget
        self.answers = Http()
        self._tokens: dict[tuple[Role, str, str], str] = {}
        #: Every keyed request as it was sent (key → method, path, who, body, route): to send it again.
        self.keyed: dict[str, tuple[str, str, tuple[Role, str, str], Any, str]] = {}

    def headers(self, who: tuple[Role, str, str], key: str | None) -> dict[str, str]:
        if who not in self._tokens:
            self._tokens[who] = self.stack.token(*who)
        headers = {"Authorization": f"Bearer {self._tokens[who]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def send(self, method: str, path: str, who: tuple[Role, str, str], *, route: str, key: str | None,
                   body: Any = None, ok: frozenset[int] = frozenset({200, 201}), attempts: int | None = None,
                   renew_stuck_key: bool = False) -> httpx.Response:
        """Send until an answer in ``ok`` (returned) or one no retry can change (``GaveUp``); ``attempts``
        bounds the tries (a probe); ``renew_stuck_key``: a request harmless to repeat goes on under a new key
        when its key is stuck."""
        deadline = time.monotonic() + self.budget
        pause = 0.2
        tries = 0
        in_progress = 0
        while True:
            if time.monotonic() > deadline:
                raise GaveUp(f"{route}: no answer within {self.budget:.0f}s")
            if attempts is not None and tries >= attempts:
                raise GaveUp(f"{route}: no usable answer in {attempts} tries")
            tries += 1
            if key is not None:
                self.keyed[key] = (method, path, who, body, route)
            sent = time.monotonic()
            self.answers.requests += 1
            try:
                response = await self.http.request(method, path, json=body, headers=self.headers(who, key))
            except httpx.TransportError as err:  # refused, reset, timed out: the answer (if any) was lost
                self.answers.transport_errors[f"{type(err).__name__} {route}"] += 1
                await asyncio.sleep(pause + self.rng.uniform(0, pause))
                pause = min(pause * 2, 2.0)
                continue
            received = time.monotonic()
            status = response.status_code
            self.answers.statuses[str(status)] += 1
            self.answers.by_route[(route, status)] += 1
            pg_down = self.stack.pg_down_during(sent, received)
            if pg_down:
                self.answers.during_pg_outage[str(status)] += 1
            if self.stack.temporal_down_during(sent, received):
                self.answers.during_temporal_restart[str(status)] += 1
            if response.headers.get("idempotent-replayed") == "true":
                self.answers.replayed += 1
            retry_after = response.headers.get("retry-after")
            if status == 409 and _code(response) == "request_in_progress":
                in_progress += 1
                if in_progress == self.LONG_IN_PROGRESS:
                    renew = renew_stuck_key and key is not None
                    self.answers.long_in_progress.append({"route": route, "key": key, "renewed": renew})
                    if renew:  # harmless to repeat: a new key
                        key, in_progress = f"{key}:again", 0
                        continue
                await asyncio.sleep(min(float(retry_after or 1), self.RETRY_AFTER_CAP))
                continue
            if status in ok:
                return response
            if status == 503:
                if retry_after is None:
                    self.answers.no_retry_after[route] += 1
                    if pg_down:
                        self.answers.pg_503_without_retry_after += 1
                wait = min(float(retry_after or 1), self.RETRY_AFTER_CAP)
                await asyncio.sleep(wait * self.rng.uniform(0.5, 1.0))
                continue
            if status >= 500:
                self.answers.other_5xx.append({"route": route, "status": status, "body": response.text[:500],
                                               "pg_down": pg_down, "at": datetime.now(UTC).isoformat()})
                await asyncio.sleep(1.0)
                continue  # a 5xx released the key: the same request may run again
            self.answers.unexpected.append({"route": route, "status": status, "body": response.text[:500],
                                            "key": key})
            raise GaveUp(f"{route}: {status} {response.text[:300]}")


def _code(response: httpx.Response) -> str | None:
    with contextlib.suppress(ValueError, AttributeError):
        return response.json().get("code")  # type: ignore[no-any-return]
    return None


def resident_id(birth: date, seq: int) -> str:
    body = f"532302{birth:%Y%m%d}{seq % 1000:03d}"
    return body + check_character(body)


@dataclass
class CasePlan:
    index: int
    #: Unique on the stack (its database): the household's ID numbers derive from it.
    household: int
    township: str
    village: str
    approve: bool
    key: str

    def body(self) -> dict[str, Any]:
        """A rural household of two whose per-capita income is 200 yuan a month: (375 − 200) × 2 = 350.00.
        ID numbers unique in the batch by construction (the birth dates differ)."""
        n = self.household
        applicant = resident_id(date(1950, 1, 1) + timedelta(days=n), n)
        child = resident_id(date(2008, 1, 1) + timedelta(days=n % 5000), n + 7)
        income = Decimal(200) * 2 * 12
        return {
            "program": "dibao", "village_code": self.village, "area_type": "rural",
            "members": [{"name": f"测试户{self.index}", "resident_id": applicant, "relation": "applicant"},
                        {"name": f"测试子{self.index}", "resident_id": child, "relation": "child"}],
            "declaration": {"income": [{"kind": "business_net", "amount": str(income)}]},
        }


def plan_batch(n: int, rng: random.Random, *, townships: int, reject_every: int, run: str,
               first_household: int = 0) -> list[CasePlan]:
    towns = TOWNSHIPS[:townships]
    plans = []
    for i in range(n):
        township = towns[i % len(towns)]
        village = rng.choice(sorted(c for c in LUFENG_VILLAGES if c.startswith(township)))  # the real villages
        refused = bool(reject_every) and i % reject_every == reject_every - 1
        plans.append(CasePlan(i, first_household + i, township, village, approve=not refused,
                              key=f"{run}-case-{i}"))
    return plans


@dataclass
class Outcome:
    plan: CasePlan
    case_id: str | None = None
    stage: str | None = None
    first_payment_month: str | None = None
    error: str | None = None
    seconds: float = 0.0
    #: Why the case was given up while the faults went on (it was then driven again).
    given_up: str | None = None


class Procedure:
    """The dibao procedure through the API, as the people of SPEC §3.3 do it, one token per person."""

    def __init__(self, office: FrontOffice, publicity_timeout: float = 600) -> None:
        self.office = office
        self.publicity_timeout = publicity_timeout
        self.steps_done = 0
        self.started: list[Outcome] = []

    @staticmethod
    def people(township: str) -> dict[str, tuple[Role, str, str]]:
        t = township[-3:]
        return {
            "window": (Role.FRONT_OFFICE, township, f"window-{t}"),
            "caseworker": (Role.TOWNSHIP_CASEWORKER, township, f"inv-{t}-1"),
            "approver": (Role.TOWNSHIP_APPROVER, township, f"tsa-{t}"),
            "county_reviewer": (Role.COUNTY_REVIEWER, COUNTY, "cr-01"),
            "county_approver": (Role.COUNTY_APPROVER, COUNTY, "ca-01"),
        }

    #: Requests per case (submission, 10 steps, payee): progress is counted in these.
    STEPS = 12

    async def command(self, plan: CasePlan, case_id: str, who: tuple[Role, str, str], type_: str,
                      **fields: Any) -> dict[str, Any]:
        route = f"POST /v1/cases/{{id}}/commands {type_}"
        body = {"command": {"type": type_, **fields}}
        key = f"{plan.key}:{type_}"
        # Never under another key: "in progress" may be true (an update waiting minutes for a worker or for
        # PostgreSQL), and the step sent again under a new key would then be done twice.
        response = await self.office.send("POST", f"/v1/cases/{case_id}/commands", who, route=route, key=key,
                                          body=body, ok=frozenset({200}))
        self.steps_done += 1
        return response.json()  # type: ignore[no-any-return]

    async def run(self, plan: CasePlan) -> Outcome:
        outcome = Outcome(plan)
        self.started.append(outcome)
        started = time.monotonic()
        p = self.people(plan.township)
        team = [p["caseworker"][2], f"inv-{plan.township[-3:]}-2"]
        try:
            # A resubmission under a new key (stuck key) is refused naming the case the first one created.
            # 202: started, but its first record was slower than the API waits (a worker killed meanwhile): the
            # case exists, and the next steps' reads answer 503 with Retry-After until it is recorded (issue 20
            # item 7). Treating it as a failure gave the case up and left it counted as a duplicate.
            created = await self.office.send("POST", "/v1/cases", p["window"], route="POST /v1/cases",
                                             key=f"{plan.key}:submit", body=plan.body(), renew_stuck_key=True,
                                             ok=frozenset({200, 201, 202, 409}))
            if created.status_code == 409 and _code(created) != "member_in_case":
                raise GaveUp(f"POST /v1/cases: {created.status_code} {created.text[:300]}")
            self.steps_done += 1
            case_id = outcome.case_id = created.json()["case_id"]
            self.office.stack.case_ids.add(case_id)
            await self.command(plan, case_id, p["window"], "accept_application")
            await self.command(plan, case_id, p["caseworker"], "start_investigation", investigators=team)
            await self.command(plan, case_id, p["caseworker"], "record_home_visit", investigators=team,
                               household_signed=True, findings="入户调查：住房简陋，无大额财产")
            await self.command(plan, case_id, p["caseworker"], "request_info_check")
            await self.command(plan, case_id, p["approver"], "decide_village_review", disputed=False,
                               reason="无争议")
            await self.command(plan, case_id, p["approver"], "issue_prelim_opinion", eligible=True)
            await self.command(plan, case_id, p["caseworker"], "start_publicity", location="村务公开栏")
            await self.wait_stage(case_id, p["window"], "submitted_to_county")
            await self.command(plan, case_id, p["county_reviewer"], "start_county_review")
            if plan.approve:
                approved = await self.command(plan, case_id, p["county_approver"], "approve",
                                              reason="经审核符合条件")
                outcome.first_payment_month = approved["case"]["first_payment_month"]
                # The account the benefit goes to (the read model has the case: the approval was recorded).
                await self.office.send("PUT", f"/v1/cases/{case_id}/payee", p["window"],
                                       route="PUT /v1/cases/{id}/payee", key=f"{plan.key}:payee",
                                       ok=frozenset({200}), renew_stuck_key=True,
                                       body={"bank_name": "禄丰农村商业银行",
                                             "account_number": f"6217{plan.household:012d}"})
                self.steps_done += 1
                done = await self.command(plan, case_id, p["caseworker"], "post_publication",
                                          location="村务公开栏")
            else:
                await self.command(plan, case_id, p["county_approver"], "reject",
                                   reasons=["核查后家庭收入高于标准"])
                self.steps_done += 1  # no payee: the same number of requests per case
                done = await self.command(plan, case_id, p["caseworker"], "serve_rejection_notice")
            outcome.stage = done["case"]["stage"]
        except GaveUp as err:
            outcome.error = str(err)
        outcome.seconds = time.monotonic() - started
        return outcome

    async def wait_stage(self, case_id: str, who: tuple[Role, str, str], stage: str) -> None:
        """Poll ``GET /v1/cases/{id}`` until the case has reached ``stage`` (or gone beyond it): after 公示,
        until the window has closed and the case went to the county."""
        deadline = time.monotonic() + self.publicity_timeout
        while True:
            response = await self.office.send("GET", f"/v1/cases/{case_id}", who, route="GET /v1/cases/{id}",
                                              key=None, ok=frozenset({200}))
            # A stage further on counts too: a case driven again after it was given up may be past it already.
            if _STAGE_ORDER.index(response.json()["stage"]) >= _STAGE_ORDER.index(stage):
                return
            if time.monotonic() > deadline:
                raise GaveUp(f"case {case_id} not {stage} within {self.publicity_timeout:.0f}s")
            await asyncio.sleep(self.office.rng.uniform(1.0, 2.0))  # a chaos run has hundreds polling


# --- a scenario: the batch under faults ---------------------------------------------------------------------


#: The stages in their legal order (domain.programmes.dibao.stages.Stage is declared in it).
_STAGE_ORDER = [s.value for s in Stage]


@dataclass
class Faults:
    """Which faults a scenario injects.

    - ``kill_every``: seconds between two worker SIGKILLs (uniform in the range); None: no kills.
    - ``kill_pause``: how long a killed worker stays down; ``max_kills``: stop killing after so many.
    - ``temporal_restarts_at`` / ``pg_outages_at``: fractions of the batch's requests done at which Temporal
      is restarted / PostgreSQL taken away (one disruption at a time, in order).
    """

    kill_every: tuple[float, float] | None = None
    kill_pause: tuple[float, float] = (0.2, 1.5)
    max_kills: int | None = None
    temporal_restarts_at: tuple[float, ...] = ()
    temporal_down: tuple[float, float] = (1.0, 3.0)
    pg_outages_at: tuple[float, ...] = ()
    pg_down: tuple[float, float] = (3.0, 6.0)


@dataclass
class Scenario:
    name: str
    cases: int
    faults: Faults
    concurrency: int = 8
    townships: int = 4
    reject_every: int = 5
    seed: int = 1
    #: Seconds a request may take, retries included, before its case is given up while the faults go on.
    request_budget: float = 900
    #: Once the faults have stopped, each case given up is driven again from the start with the same keys (the
    #: steps it did answer from the idempotency store) with this budget per request: a case that still does
    #: not complete then is lost.
    recovery_budget: float = 180


async def _injector(stack: Stack, faults: Faults, rng: random.Random, progress: Callable[[], float],
                    done: asyncio.Event, probe: Callable[[], Awaitable[None]]) -> None:
    async def kills() -> None:
        assert faults.kill_every is not None
        killed = 0
        while not done.is_set() and (faults.max_kills is None or killed < faults.max_kills):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), rng.uniform(*faults.kill_every))
            if not done.is_set():
                killed += await stack.kill_worker(rng, faults.kill_pause)

    async def probing(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await probe()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    async def disruptions() -> None:
        plan = sorted([(f, "temporal") for f in faults.temporal_restarts_at]
                      + [(f, "pg") for f in faults.pg_outages_at])
        modes = ["fast", "immediate"]
        for at, kind in plan:
            while progress() < at and not done.is_set():  # noqa: ASYNC110 - progress is a count, not an event
                await asyncio.sleep(0.1)
            if done.is_set():
                return
            if kind == "temporal":
                await stack.restart_temporal(rng.uniform(*faults.temporal_down))
            else:
                # While it is away, reads that need PostgreSQL are tried too (the batch mostly sends steps).
                stop = asyncio.Event()
                prober = asyncio.create_task(probing(stop))
                try:
                    mode = modes[len(stack.events.pg_outages) % 2]
                    await stack.pg_outage(rng.uniform(*faults.pg_down), mode)
                finally:
                    stop.set()
                    await prober

    tasks = [asyncio.create_task(disruptions())]
    if faults.kill_every is not None:
        tasks.append(asyncio.create_task(kills()))
    await asyncio.gather(*tasks)


async def run_scenario(stack: Stack, scenario: Scenario, *, log: Callable[[str], None] = lambda _: None,
                       ) -> dict[str, Any]:
    """Drive ``scenario.cases`` cases through the procedure while the faults happen, then draw up the rolls,
    verify the ledger and check every case. Returns the figures."""
    started = time.monotonic()
    rng = random.Random(scenario.seed)
    run = f"{scenario.name}-{uuid.uuid4().hex[:6]}"
    plans = plan_batch(scenario.cases, rng, townships=scenario.townships, reject_every=scenario.reject_every,
                       run=run, first_household=stack.households)
    stack.households += len(plans)
    kills0, restarts0 = stack.events.kills, stack.events.worker_restarts
    tr0, pg0 = len(stack.events.temporal_restarts), len(stack.events.pg_outages)
    ue0 = len(stack.events.unplanned_exits)
    api_log = stack.base / "log" / "api.log"
    api_log0 = api_log.stat().st_size if api_log.exists() else 0
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=httpx.Timeout(120, connect=5),
                                 limits=httpx.Limits(max_connections=scenario.concurrency * 2 + 8)) as http:
        office = FrontOffice(stack, http, random.Random(scenario.seed + 1), budget=scenario.request_budget)
        procedure = Procedure(office)
        total = len(plans) * Procedure.STEPS
        done = asyncio.Event()

        async def probe() -> None:
            """One try each of reads served from PostgreSQL: the case list and a case's trail (no retry)."""
            some = next((o for o in procedure.started if o.case_id), None)
            township = some.plan.township if some else TOWNSHIPS[0]
            who = Procedure.people(township)["approver"]
            paths = [("GET /v1/cases", "/v1/cases?limit=5")]
            if some is not None:
                paths.append(("GET /v1/cases/{id}/trail", f"/v1/cases/{some.case_id}/trail"))
            for route, path in paths:
                with contextlib.suppress(GaveUp):
                    await office.send("GET", path, who, route=route, key=None, attempts=1)

        injector = asyncio.create_task(
            _injector(stack, scenario.faults, random.Random(scenario.seed + 2),
                      lambda: procedure.steps_done / total, done, probe))
        gate = asyncio.Semaphore(scenario.concurrency)

        async def one(plan: CasePlan) -> Outcome:
            async with gate:
                return await procedure.run(plan)

        async def report() -> None:
            while not done.is_set():
                await asyncio.sleep(10)
                log(f"[{scenario.name}] {time.monotonic() - started:6.0f}s  requests done "
                    f"{procedure.steps_done}/{total}  kills {stack.events.kills - kills0}  temporal restarts "
                    f"{len(stack.events.temporal_restarts) - tr0}  "
                    f"pg outages {len(stack.events.pg_outages) - pg0}")

        reporter = asyncio.create_task(report())
        try:
            outcomes = await asyncio.gather(*(one(plan) for plan in plans))
        finally:
            done.set()
            await injector
            reporter.cancel()
        batch_seconds = time.monotonic() - started
        # The faults are over: every worker back; the cases given up meanwhile driven again; then the month's
        # rolls and the audit.
        await stack.workers_polling()
        await stack.wait_ready(timeout=120)
        given_up = [i for i, o in enumerate(outcomes) if o.error is not None]
        office.budget = procedure.publicity_timeout = scenario.recovery_budget
        retried = await asyncio.gather(*(procedure.run(outcomes[i].plan) for i in given_up))
        for i, again in zip(given_up, retried, strict=True):
            again.given_up = outcomes[i].error
            outcomes[i] = again
        rolls = await draw_up_rolls(office, outcomes)
        claimed = await resend_left_claimed(stack, office)
        resent = claimed.pop("resent_claimed_keys")
        figures = await check(stack, office, outcomes) | claimed
        figures["details"]["resent_claimed_keys"] = resent
    logged = api_exceptions(api_log, start=api_log0)
    figures["api_exceptions_logged"] = len(logged)
    figures["details"]["api_exceptions"] = logged[:10]
    verify = await asyncio.to_thread(stack.casework_cli, "audit", "verify", "--json")
    figures |= {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "kills": stack.events.kills - kills0,
        "worker_restarts": stack.events.worker_restarts - restarts0,
        "unplanned_worker_exits": len(stack.events.unplanned_exits) - ue0,
        "unplanned_worker_exits_outside_outages": sum(
            1 for e in stack.events.unplanned_exits[ue0:] if not (e["pg_down"] or e["temporal_down"])),
        "temporal_restarts": len(stack.events.temporal_restarts) - tr0,
        "pg_outages": len(stack.events.pg_outages) - pg0,
        "pg_outage_seconds": [o["down_s"] for o in stack.events.pg_outages[pg0:]],
        "rolls": rolls,
        "audit_verify_exit": verify.returncode,
        "given_up_during_faults": len(given_up),
        "completed_after_faults_stopped": sum(1 for i in given_up if outcomes[i].error is None),
        "batch_seconds": round(batch_seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
    }
    if verify.returncode != 0:
        figures["audit_verify_output"] = (verify.stdout + verify.stderr)[-2000:]
    return figures


async def draw_up_rolls(office: FrontOffice, outcomes: list[Outcome]) -> dict[str, int]:
    """``POST /v1/payment-rolls`` for every township and first payment month of the batch, by that township's
    approver, with a key; then the same request once more (a resend after a lost answer)."""
    wanted = sorted({(o.plan.township, o.first_payment_month) for o in outcomes if o.first_payment_month})
    lines: dict[str, int] = {}
    for township, month in wanted:
        who = Procedure.people(township)["approver"]
        key = f"{outcomes[0].plan.key}:roll:{township}:{month}"
        body = {"township_code": township, "month": month}
        first = await office.send("POST", "/v1/payment-rolls", who, route="POST /v1/payment-rolls", key=key,
                                  body=body, renew_stuck_key=True)
        again = await office.send("POST", "/v1/payment-rolls", who, route="POST /v1/payment-rolls", key=key,
                                  body=body, renew_stuck_key=True)
        assert again.content == first.content or again.headers.get("idempotent-replayed") != "true"
        lines[f"{township}/{month}"] = first.json()["totals"]["lines"]
    return lines


async def resend_left_claimed(stack: Stack, office: FrontOffice) -> dict[str, Any]:
    """Keys still claimed without an answer once the batch is over (no request of ours is running any more):
    each request is sent again with its key, as a client that lost the answer would. It must get an answer —
    the stored one, or the request run again (a command's update id makes Temporal return the first
    outcome) — and not ``409 request_in_progress`` for ever. Run before :func:`check`, which would count a
    step done twice."""
    conn = await asyncpg.connect(stack.dsn)
    try:
        rows = await conn.fetch("SELECT actor_id, idempotency_key, created_at FROM idempotent_requests "
                                "WHERE status IS NULL ORDER BY created_at")
    finally:
        await conn.close()

    async def again(key: str) -> dict[str, Any]:
        method, path, who, body, route = office.keyed[key]
        statuses = []
        for _ in range(3):  # the API waits 60 s before each 409: well past any lease
            try:
                response = await office.http.request(method, path, json=body,
                                                     headers=office.headers(who, key))
            except httpx.TransportError as err:
                statuses.append(type(err).__name__)
                continue
            statuses.append(response.status_code)
            if not (response.status_code == 409 and _code(response) == "request_in_progress"):
                break
        return {"key": key, "route": route, "answers": statuses,
                "stuck": all(s == 409 for s in statuses)}

    mine = [r["idempotency_key"] for r in rows if r["idempotency_key"] in office.keyed]
    resent = await asyncio.gather(*(again(key) for key in mine))
    return {"idempotency_keys_left_claimed": len(rows),
            "idempotency_keys_stuck": sum(1 for r in resent if r["stuck"]),
            "resent_claimed_keys": resent[:10]}


async def check(stack: Stack, office: FrontOffice, outcomes: list[Outcome]) -> dict[str, Any]:
    """Every case, against the database and the live workflow. Returns the figures."""
    ids = [uuid.UUID(o.case_id) for o in outcomes if o.case_id]
    conn = await asyncpg.connect(stack.dsn)
    try:
        events = await conn.fetch("SELECT case_id, seq, type FROM case_events WHERE case_id = ANY($1) "
                                  "ORDER BY case_id, seq", ids)
        ledger = await conn.fetch("SELECT case_id, seq FROM audit_ledger WHERE kind = 'decision' "
                                  "AND case_id = ANY($1)", ids)
        rows = {r["case_id"]: r for r in await conn.fetch(
            "SELECT case_id, stage, version, first_payment_month FROM cases WHERE case_id = ANY($1)", ids)}
        lines = await conn.fetch("SELECT case_id, month FROM payment_lines WHERE case_id = ANY($1)", ids)
        all_cases = await conn.fetchval("SELECT count(*) FROM cases")
    finally:
        await conn.close()

    by_case: dict[uuid.UUID, list[asyncpg.Record]] = {}
    for r in events:
        by_case.setdefault(r["case_id"], []).append(r)
    ledger_keys = Counter((r["case_id"], r["seq"]) for r in ledger)
    lines_by_case = Counter((r["case_id"], r["month"]) for r in lines)

    dup_decisions = dup_events = dup_ledger = dup_notices = dup_lines = 0
    unexpected_events: list[dict[str, Any]] = []
    ledger_mismatch: list[str] = []
    read_model_mismatch: list[dict[str, Any]] = []
    missing_lines: list[str] = []
    completed = 0
    lost: list[dict[str, Any]] = []
    for o in outcomes:
        if o.case_id is None or o.error is not None:
            lost.append({"case": o.plan.index, "case_id": o.case_id, "error": o.error})
            continue
        cid = uuid.UUID(o.case_id)
        case_events = by_case.get(cid, [])
        types = [r["type"] for r in case_events if r["type"] not in BOOKKEEPING]
        expected = APPROVED_EVENTS if o.plan.approve else REJECTED_EVENTS
        counts = Counter(types)
        for t, n in counts.items():
            if n > 1:
                dup_events += n - 1
                if t in DECISION_EVENTS:
                    dup_decisions += n - 1
                if t in NOTICE_EVENTS:
                    dup_notices += n - 1
        if types != expected:
            unexpected_events.append({"case_id": o.case_id, "types": types})
        seqs = [r["seq"] for r in case_events]
        if seqs != list(range(1, len(seqs) + 1)):
            unexpected_events.append({"case_id": o.case_id, "seqs": seqs})
        # One ledger entry per recorded event, and none for an event that is not there.
        entries = {k: n for k, n in ledger_keys.items() if k[0] == cid}
        dup_ledger += sum(n - 1 for n in entries.values())
        if set(entries) != {(cid, s) for s in seqs}:
            ledger_mismatch.append(o.case_id)
        # Payment: one line for the first month of an approved case, none for a refused one.
        case_lines = {k: n for k, n in lines_by_case.items() if k[0] == cid}
        dup_lines += sum(n - 1 for n in case_lines.values())
        if o.plan.approve and (cid, o.first_payment_month) not in case_lines:
            missing_lines.append(o.case_id)
        if not o.plan.approve and case_lines:
            missing_lines.append(f"{o.case_id} (refused, but on a roll)")
        # The read model against the live workflow.
        try:
            live = await office.send("GET", f"/v1/cases/{o.case_id}",
                                     Procedure.people(o.plan.township)["window"], route="GET /v1/cases/{id}",
                                     key=None, ok=frozenset({200}), attempts=10)
        except GaveUp as err:
            lost.append({"case": o.plan.index, "case_id": o.case_id, "live": str(err)[:200]})
            continue
        snap = live.json()
        row = rows.get(cid)
        target = "in_payment" if o.plan.approve else "rejected"
        if row is None or row["stage"] != snap["stage"] or row["version"] != snap["version"] \
                or (seqs and row["version"] != seqs[-1]):
            read_model_mismatch.append({"case_id": o.case_id, "row": dict(row) if row else None,
                                        "live": {"stage": snap["stage"], "version": snap["version"]},
                                        "last_seq": seqs[-1] if seqs else None})
        if snap["stage"] == target and snap["pending"] is None:
            completed += 1
        else:
            lost.append({"case": o.plan.index, "case_id": o.case_id, "stage": snap["stage"]})
    replay = await replay_histories(stack, [str(i) for i in ids])

    answers = office.answers
    return {
        "cases": len(outcomes),
        "completed": completed,
        "lost": len(lost),
        "approved": sum(1 for o in outcomes if o.plan.approve),
        "refused_with_notice": sum(1 for o in outcomes if not o.plan.approve),
        "duplicates": {"decisions": dup_decisions, "events": dup_events, "ledger_entries": dup_ledger,
                       "notices": dup_notices, "payment_lines": dup_lines,
                       "cases": all_cases - len(stack.case_ids)},
        "payment_lines": len(lines),
        "missing_payment_lines": len(missing_lines),
        "ledger_mismatches": len(ledger_mismatch),
        "unexpected_event_sequences": len(unexpected_events),
        "read_model_mismatches": len(read_model_mismatch),
        "http_requests": answers.requests,
        "http_statuses": dict(sorted(answers.statuses.items())),
        "http_during_pg_outage": dict(sorted(answers.during_pg_outage.items())),
        "http_during_temporal_restart": dict(sorted(answers.during_temporal_restart.items())),
        "http_5xx_other_than_503": len(answers.other_5xx),
        "http_503_without_retry_after_during_pg_outage": answers.pg_503_without_retry_after,
        "http_503_without_retry_after": dict(answers.no_retry_after),
        "http_unexpected_answers": len(answers.unexpected),
        "http_transport_errors": dict(answers.transport_errors),
        "http_replayed_answers": answers.replayed,
        "http_409_in_progress_long": len(answers.long_in_progress),
        "histories_replayed": replay["replayed"],
        "histories_nondeterministic": len(replay["nondeterministic"]),
        "workflows_stuck_on_nondeterminism": len(replay["stuck"]),
        "replayed_decisions_differing_from_ledger": len(replay["ledger_mismatch"]),
        "details": {"by_route": {f"{r} {s}": n for (r, s), n in sorted(answers.by_route.items())},
                    "lost": lost[:10], "unexpected_events": unexpected_events[:5],
                    "ledger_mismatch": ledger_mismatch[:5], "read_model_mismatch": read_model_mismatch[:5],
                    "missing_lines": missing_lines[:5], "other_5xx": answers.other_5xx[:10],
                    "unexpected_answers": answers.unexpected[:10],
                    "long_in_progress": answers.long_in_progress[:10],
                    "nondeterministic": replay["nondeterministic"][:5],
                    "stuck_workflows": replay["stuck"][:5],
                    "replay_vs_ledger": replay["ledger_mismatch"][:5]},
    }


def api_exceptions(log: Path, start: int = 0) -> list[dict[str, Any]]:
    """The exceptions the API logged from byte ``start`` on (type, message, our frames and innermost ones).
    One is a 500, or a failure after the answer went out (an answer not stored for its key); a CI run keeps
    no files, so its cause must travel in the figures."""
    ours = tuple(f"{REPO}/{package}/" for package in ("api", "adapters", "services", "cli", "devstack",
                                                      "domain", "activities", "workflows"))

    def where(frame: dict[str, Any]) -> str:
        path = str(frame.get("filename", "")).removeprefix(f"{REPO}/")
        return f"{path}:{frame.get('lineno')} {frame.get('name')}"

    found: list[dict[str, Any]] = []
    if not log.exists():
        return found
    with log.open("rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        for exc in record.get("exception") or []:
            if isinstance(exc, dict):
                frames = exc.get("frames", [])
                mine = [f for f in frames if str(f.get("filename", "")).startswith(ours)]
                found.append({"at": record.get("timestamp"), "type": exc.get("exc_type"),
                              "message": str(exc.get("exc_value"))[:300],
                              "frames": [where(f) for f in [*mine[-3:], *frames[-3:]]]})
    return found


async def replay_histories(stack: Stack, case_ids: list[str]) -> dict[str, Any]:
    """Replay every run of every case with the deployed workflow code, as ``casework audit replay`` does (and
    as a worker does after a restart): a history the code cannot reproduce is a case that any later worker
    restart will stop; a decision the replay computes differently from its ledger entry (an event recorded
    with a worker's stale clock, say) is one an auditor cannot prove. Also names the workflows whose last
    workflow task already failed on nondeterminism."""
    from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
    from temporalio.runtime import Runtime, TelemetryConfig

    from adapters.temporal.codec import data_converter
    from services.audit.history import case_histories
    from services.audit.replay import compare_with_ledger, replay_runs
    from tests.env import test_codec

    converter = data_converter(test_codec())
    client = await Client.connect(stack.temporal.address, data_converter=converter)
    # The SDK's core would print every failing replay to stdout (where chaos prints its figures).
    quiet = Runtime(telemetry=TelemetryConfig(logging=None))
    nondeterministic: list[dict[str, str]] = []
    stuck: list[dict[str, str]] = []
    ledger: list[dict[str, Any]] = []
    pool = await asyncpg.create_pool(stack.dsn, min_size=1, max_size=2)
    try:
        for case_id in case_ids:
            runs = await case_histories(client, uuid.UUID(case_id))
            results, events = await replay_runs([(r.run_id, r.history) for r in runs],
                                                data_converter=converter, runtime=quiet)
            nondeterministic += [{"case_id": case_id, "run_id": r.run_id,
                                  "failure": (r.divergence or "")[:300]}
                                 for r in results if not r.deterministic]
            comparison = await compare_with_ledger(pool, uuid.UUID(case_id), events, complete=True)
            if comparison.mismatches:
                ledger.append({"case_id": case_id,
                               "mismatches": [m.model_dump() for m in comparison.mismatches[:5]]})
            history = runs[-1].history
            failed = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
                      and e.workflow_task_failed_event_attributes.cause
                      == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR]
            completed_after = failed and any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
                                             and e.event_id > failed[-1].event_id for e in history.events)
            if failed and not completed_after:
                failure = failed[-1].workflow_task_failed_event_attributes.failure
                stuck.append({"case_id": case_id, "failure": failure.message[:300]})
    finally:
        await pool.close()
    return {"replayed": len(case_ids), "nondeterministic": nondeterministic, "stuck": stuck,
            "ledger_mismatch": ledger}


def new_base(prefix: str = "casework-faults-") -> Path:
    """A fresh directory for one stack; short, so that PostgreSQL's socket path fits."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def dumps(figures: dict[str, Any]) -> str:
    return json.dumps(figures, ensure_ascii=False, default=str)
