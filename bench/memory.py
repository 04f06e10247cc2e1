"""Worker memory per cached open case (issue 8, item 8).

``python -m bench.memory [--cases N] [--warmup W]``

A ``casework worker`` process (bench/processes.py) serves a task queue of its own on the bench stack. W cases
are started first and left open (warm-up: the imports, the sandbox's first workflow, the connection pool),
then N more, in two halves; each case is a new application (``CaseWorkflow`` started as the API starts it,
through the Temporal client) that records itself, loads its parameters and waits in ``submitted`` for the
window to accept it — an open case the worker keeps in its workflow cache (the SDK's default
``max_cached_workflows`` is 1,000, so all stay cached). After each step, once every case's workflow has no
task or activity pending, the worker's RSS (psutil) is read; the figure is
(RSS after N − RSS after warm-up) ÷ N, and the two halves show whether growth is linear.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench.common import Stack, bench_stack, emit, enable_bytecode_cache
from bench.processes import WorkerProcess, wait_polling, worker_env
from domain.actors import Actor, Role
from domain.ids import workflow_id_for
from tests.builders import JINSHAN, application
from workflows.case import CaseWorkflow, CaseWorkflowInput

WINDOW = Actor(id="window-01", role=Role.FRONT_OFFICE, jurisdiction=JINSHAN)


async def _start_cases(client: Client, task_queue: str, n: int, concurrency: int = 16) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> str:
        case_id = uuid.uuid4()
        async with gate:
            await client.start_workflow(
                CaseWorkflow.run,
                CaseWorkflowInput(case_id=case_id, actor=WINDOW, submitted_at=datetime.now(UTC),
                                  application=application(unique=True)),
                id=workflow_id_for(case_id), task_queue=task_queue)
        return workflow_id_for(case_id)

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def _settled(client: Client, workflow_ids: list[str], limit_s: float) -> None:
    """Until no case has a workflow task or an activity pending."""
    pending = list(workflow_ids)
    gate = asyncio.Semaphore(16)

    async def busy(wid: str) -> bool:
        async with gate:
            raw = (await client.get_workflow_handle(wid).describe()).raw_description
        return raw.HasField("pending_workflow_task") or len(raw.pending_activities) > 0

    async with asyncio.timeout(limit_s):
        while pending:
            flags = await asyncio.gather(*(busy(w) for w in pending))
            pending = [w for w, f in zip(pending, flags, strict=True) if f]
            if pending:
                await asyncio.sleep(0.5)


async def _steady_rss(worker: WorkerProcess, seconds: float = 2.0) -> int:
    """RSS once it stops moving (two reads ``seconds`` apart within 1 %), at most five tries."""
    last = worker.rss()
    for _ in range(5):
        await asyncio.sleep(seconds)
        now = worker.rss()
        if abs(now - last) <= 0.01 * last:
            return now
        last = now
    return last


async def bench(stack: Stack, cases: int, warmup: int = 20) -> list[dict[str, Any]]:
    task_queue = f"bench-mem-{uuid.uuid4()}"
    with tempfile.TemporaryDirectory(prefix="casework-bench-mem-") as tmp:
        worker = WorkerProcess(worker_env(stack, task_queue, Path(tmp) / "var"), Path(tmp) / "worker.log")
        worker.start()
        try:
            await wait_polling(stack.client, task_queue, [worker])
            idle = await _steady_rss(worker, 1.0)
            start = time.perf_counter()
            warm = await _start_cases(stack.client, task_queue, warmup)
            await _settled(stack.client, warm, 60 + warmup)
            before = await _steady_rss(worker)
            half = cases // 2
            first = await _start_cases(stack.client, task_queue, half)
            await _settled(stack.client, first, 60 + half)
            middle = await _steady_rss(worker)
            second = await _start_cases(stack.client, task_queue, cases - half)
            await _settled(stack.client, second, 60 + cases)
            after = await _steady_rss(worker)
            seconds = time.perf_counter() - start
            if not worker.alive():
                raise RuntimeError(f"the worker died:\n{worker.tail()}")
        finally:
            worker.stop()
    per_case = (after - before) / cases
    return [{"figure": "worker_rss_per_cached_case", "cases": cases, "warmup_cases": warmup,
             "rss_idle_mb": round(idle / 1e6, 1), "rss_after_warmup_mb": round(before / 1e6, 1),
             "rss_after_half_mb": round(middle / 1e6, 1), "rss_after_mb": round(after / 1e6, 1),
             "kb_per_case": round(per_case / 1024, 1),
             "kb_per_case_first_half": round((middle - before) / half / 1024, 1) if half else None,
             "kb_per_case_second_half": round((after - middle) / (cases - half) / 1024, 1),
             "mb_per_1000_cases": round(per_case * 1000 / 1e6, 1), "seconds": round(seconds, 1)}]


async def _main(args: argparse.Namespace) -> list[dict[str, Any]]:
    async with bench_stack() as stack:
        return await bench(stack, args.cases, args.warmup)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    enable_bytecode_cache()
    for figure in asyncio.run(_main(args)):
        emit(figure)


if __name__ == "__main__":
    main()
