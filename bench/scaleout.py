"""Lifecycle throughput with one and with two worker processes (issue 8, item 7).

``python -m bench.scaleout [--cases N] [--concurrency C] [--runs R]``

The lifecycle of bench/lifecycle.py (N complete dibao cases through the public API, C in flight), but served
by ``casework worker`` processes (bench/processes.py) polling one task queue of their own on the bench stack's
Temporal dev server and PostgreSQL, instead of the stack's in-process worker: the API (in the benchmark's
process, over ASGI) starts the cases on that queue. Runs alternate one and two processes (which goes first
alternates too); the second process is started (and waited for until it polls) before its run and stopped
after it. Each run is preceded by two untimed cases (the new process's first workflows). Figures are
medians; ``scaleout_ratio`` = throughput with two ÷ throughput with one (2.0: linear). Each process's CPU
seconds over the run are recorded to show where the limit is.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from api.main import create_app
from bench.common import CpuMeter, Stack, bench_stack, emit, enable_bytecode_cache
from bench.lifecycle import _concurrently, engine_case
from bench.processes import WorkerProcess, cpu_of, wait_polling, worker_env


@asynccontextmanager
async def _api_on(stack: Stack, task_queue: str):  # type: ignore[no-untyped-def]
    """The stack's API, configured for another task queue (a second app in the same process)."""
    settings = stack.settings.model_copy(update={"temporal_task_queue": task_queue})
    app = create_app(settings, temporal=stack.client)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://casework.bench", timeout=120) as http:
        yield dataclasses.replace(stack, settings=settings, app=app, http=http, _tokens={})


async def bench(stack: Stack, cases: int, concurrency: int, runs: int) -> list[dict[str, Any]]:
    task_queue = f"bench-scale-{uuid.uuid4()}"
    seconds: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="casework-bench-scale-") as tmp:
        env = worker_env(stack, task_queue, Path(tmp) / "var")
        workers = [WorkerProcess(env, Path(tmp) / f"worker-{i}.log") for i in (1, 2)]
        try:
            workers[0].start()
            await wait_polling(stack.client, task_queue, workers[:1])
            async with _api_on(stack, task_queue) as api:
                for run in range(runs):
                    for count in ((1, 2) if run % 2 == 0 else (2, 1)):
                        if count == 2 and not workers[1].alive():
                            workers[1] = WorkerProcess(env, Path(tmp) / f"worker-2-{run}.log")
                            workers[1].start()
                            await wait_polling(stack.client, task_queue, workers)
                        elif count == 1:
                            workers[1].stop()
                        active = workers[:count]
                        await asyncio.gather(*(engine_case(api) for _ in range(2)))  # warm-up, untimed
                        cpu_before = cpu_of(active)
                        meter = CpuMeter(exclude=[w.pid for w in workers if w.proc is not None])
                        wall, _ = await _concurrently(cases, concurrency, lambda a=api: engine_case(a))
                        seconds[count].append(wall)
                        used = [round(a - b, 1) for a, b in zip(cpu_of(active), cpu_before, strict=True)]
                        cpu[count].append({"workers_cpu_s": used, **meter.read(), "wall_s": round(wall, 1)})
                        for w in active:
                            if not w.alive():
                                raise RuntimeError(f"a worker process died:\n{w.tail()}")
        finally:
            for w in workers:
                w.stop()
    out: list[dict[str, Any]] = []
    medians = {k: statistics.median(v) for k, v in seconds.items()}
    for count in (1, 2):
        out.append({"figure": "scaleout_lifecycle", "worker_processes": count, "cases": cases,
                    "concurrency": concurrency, "runs": runs, "seconds_median": round(medians[count], 2),
                    "seconds_all": [round(s, 2) for s in seconds[count]],
                    "cases_per_s": round(cases / medians[count], 3), "cpu_per_run": cpu[count]})
    out.append({"figure": "scaleout_ratio", "cases": cases, "concurrency": concurrency, "runs": runs,
                "ratio": round(medians[1] / medians[2], 2),
                "ratios_per_run": [round(a / b, 2) for a, b in zip(seconds[1], seconds[2], strict=True)]})
    return out


async def _main(args: argparse.Namespace) -> list[dict[str, Any]]:
    async with bench_stack(publicity_seconds=args.publicity_seconds) as stack:
        return await bench(stack, args.cases, args.concurrency, args.runs)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout")
    parser.add_argument("--cases", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--publicity-seconds", type=int, default=1)
    args = parser.parse_args()
    enable_bytecode_cache()
    for figure in asyncio.run(_main(args)):
        emit(figure)


if __name__ == "__main__":
    main()
