"""``casework worker`` processes against the bench stack's Temporal and PostgreSQL (scale-out and memory).

Each is the production entry point in a process of its own, configured through ``CASEWORK_*`` as in
production: the stack's database and parameter book (公示 closing after the stack's few seconds), a task queue
the caller names, payload encryption off (as the stack's in-process worker and client run), logs at WARNING to
a file.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.common import Stack, subprocess_bytecode_env

REPO = Path(__file__).resolve().parents[1]
CASEWORK = str(Path(sys.executable).parent / "casework")


def worker_env(stack: Stack, task_queue: str, var_dir: Path) -> dict[str, str]:
    settings = stack.settings
    env = subprocess_bytecode_env({k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")})
    return env | {
        "CASEWORK_TEMPORAL_ADDRESS": str(settings.temporal_address),
        "CASEWORK_DATABASE_URL": str(settings.database_url),
        "CASEWORK_TEMPORAL_TASK_QUEUE": task_queue,
        "CASEWORK_PARAMETERS_FILE": str(settings.parameters_file),
        "CASEWORK_VAR_DIR": str(var_dir),
        "CASEWORK_PAYLOAD_KEYS_FILE": str(settings.effective_payload_keys_file),
        "CASEWORK_DB_POOL_MAX": str(settings.db_pool_max),
        "CASEWORK_LOG_JSON": "true",
        "CASEWORK_LOG_LEVEL": "WARNING",
    }


class WorkerProcess:
    """One ``casework worker``; :meth:`stop` sends SIGTERM (graceful) and waits, SIGKILL after 20 s."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own entry point
                [CASEWORK, "worker"], cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def _tree(self) -> list[psutil.Process]:
        root = psutil.Process(self.pid)
        return [root, *root.children(recursive=True)]

    def rss(self) -> int:
        """Resident set size of the process and any children, bytes."""
        return sum(p.memory_info().rss for p in self._tree())

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self._tree():
            t = p.cpu_times()
            total += t.user + t.system
        return total

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""


async def pollers(client: Client, task_queue: str) -> set[str]:
    """Identities of the workers polling the task queue for workflow tasks."""
    response = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
    return {p.identity for p in response.pollers}


async def wait_polling(client: Client, task_queue: str, workers: list[WorkerProcess],
                       limit_s: float = 90) -> None:
    """Until a poller identity of each process (``<pid>@host``) shows on the task queue."""
    try:
        async with asyncio.timeout(limit_s):
            while True:
                for w in workers:
                    if not w.alive():
                        raise RuntimeError(f"casework worker exited:\n{w.tail()}")
                seen = await pollers(client, task_queue)
                if all(any(i.startswith(f"{w.pid}@") for i in seen) for w in workers):
                    return
                await asyncio.sleep(0.3)
    except TimeoutError:
        raise RuntimeError("casework worker processes did not start polling:\n"
                           + "\n".join(w.tail() for w in workers)) from None


def cpu_of(workers: list[WorkerProcess]) -> list[float]:
    return [round(w.cpu_seconds(), 1) for w in workers]


def describe(workers: list[WorkerProcess]) -> list[dict[str, Any]]:
    return [{"pid": w.pid, "rss_mb": round(w.rss() / 1e6, 1)} for w in workers]
