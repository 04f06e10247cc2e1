"""API latency at 1, 16 and 64 concurrent clients (issue 8, item 3).

``python -m bench.api_latency [--samples S] [--levels 1,16,64]``

On the embedded stack (bench/common.py) C clients at a time issue, per level, ``max(S, 2·C)`` requests of each
kind, one kind after the other: ``POST /v1/cases`` (create: validation, then the workflow's start),
``POST /v1/cases/{id}/commands`` with ``accept_application`` on the cases just created (an Update and its
recording activity), ``GET /v1/cases/{id}`` (a workflow query) and ``GET /v1/cases`` (the read model, first
page of the county). p50 / p95 / p99 in ms (nearest rank) of each request's wall time through httpx's ASGI
transport (no sockets: the figure is the app, Temporal and PostgreSQL, not the network).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import (
    COUNTY_REVIEWER,
    WINDOW,
    Stack,
    StepFailed,
    bench_stack,
    command,
    create_case,
    emit,
    percentiles,
)


async def _timed_pool(jobs: list[Any], concurrency: int,
                      call: Callable[[Any], Awaitable[Any]]) -> tuple[list[float], list[Any], float]:
    """Run ``call(job)`` for every job with ``concurrency`` clients; per-request seconds, results, wall time."""
    queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
    for item in enumerate(jobs):
        queue.put_nowait(item)
    times: list[float] = [0.0] * len(jobs)
    results: list[Any] = [None] * len(jobs)

    async def client() -> None:
        while not queue.empty():
            index, job = queue.get_nowait()
            start = time.perf_counter()
            results[index] = await call(job)
            times[index] = time.perf_counter() - start

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return times, results, time.perf_counter() - start


async def bench(stack: Stack, samples: int, levels: list[int]) -> list[dict[str, Any]]:
    async def get(case_id: str) -> None:
        response = await stack.http.get(f"/v1/cases/{case_id}", headers=stack.headers(WINDOW))
        if response.status_code != 200:
            raise StepFailed(f"get: {response.status_code}")

    async def list_page(_: object) -> None:
        response = await stack.http.get("/v1/cases", params={"limit": 50}, headers=stack.headers(COUNTY_REVIEWER))
        if response.status_code != 200:
            raise StepFailed(f"list: {response.status_code} {response.text[:200]}")

    # Warm-up: the first workflow start, update, query and list on a fresh stack pay one-time costs.
    warm = await create_case(stack)
    await command(stack, warm, WINDOW, "accept_application")
    await get(warm)
    await list_page(None)

    out: list[dict[str, Any]] = []
    for concurrency in levels:
        n = max(samples, 2 * concurrency)
        kinds: dict[str, tuple[list[Any], Callable[[Any], Awaitable[Any]]]] = {}
        times, case_ids, wall = await _timed_pool([None] * n, concurrency, lambda _: create_case(stack))
        out.append({"figure": "api_latency", "request": "create", "concurrency": concurrency,
                    "requests_per_s": round(n / wall, 2), **percentiles(times)})
        kinds["command_accept_application"] = (
            case_ids, lambda case_id: command(stack, case_id, WINDOW, "accept_application"))
        kinds["get_case"] = (case_ids, get)
        kinds["list_cases"] = ([None] * n, list_page)
        for request, (jobs, call) in kinds.items():
            times, _, wall = await _timed_pool(jobs, concurrency, call)
            out.append({"figure": "api_latency", "request": request, "concurrency": concurrency,
                        "requests_per_s": round(n / wall, 2), **percentiles(times)})
    cases = await stack.pool.fetchval("SELECT count(*) FROM cases")
    for figure in out:
        if figure["request"] == "list_cases":
            figure["cases_in_read_model"] = cases
    return out


async def _main(samples: int, levels: list[int]) -> list[dict[str, Any]]:
    async with bench_stack() as stack:
        return await bench(stack, samples, levels)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api_latency")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--levels", default="1,16,64")
    args = parser.parse_args()
    for figure in asyncio.run(_main(args.samples, [int(x) for x in args.levels.split(",")])):
        emit(figure)


if __name__ == "__main__":
    main()



async def command_pass(stack: Stack, n: int, concurrency: int, temporal: str, profile: bool = False
                       ) -> list[dict[str, Any]]:
    """``accept_application`` on ``n`` fresh cases at ``concurrency`` clients: throughput and the CPU this
    process and the servers (Temporal dev server, PostgreSQL) spend per command; with ``profile``, a py-spy
    profile of this process during the pass (bench/profile.py)."""
    from contextlib import nullcontext

    from bench.common import CpuMeter
    from bench.profile import Profile

    case_ids = [await create_case(stack) for _ in range(n)]
    await asyncio.sleep(1)  # the new cases' first tasks (record, parameters) are done
    meter = CpuMeter()
    name = f"api_command_accept_application_{concurrency}_clients"
    profiler: Any = Profile(name) if profile else nullcontext()
    async with profiler:
        times, _, wall = await _timed_pool(
            case_ids, concurrency, lambda case_id: command(stack, case_id, WINDOW, "accept_application"))
    cpu = meter.read()
    figure = {"figure": "api_command_path", "temporal": temporal, "concurrency": concurrency, "requests": n,
              "requests_per_s": round(n / wall, 2), **percentiles(times),
              "bench_cpu_ms_per_command": round(cpu["bench_process_cpu_s"] / n * 1000),
              "servers_cpu_ms_per_command": round(cpu["servers_cpu_s"] / n * 1000),
              "bench_cpu_percent": round(100 * cpu["bench_process_cpu_s"] / wall, 1),
              "servers_cpu_percent": round(100 * cpu["servers_cpu_s"] / wall, 1)}
    out = [figure]
    if profile:
        out.append({**profiler.figure(), "temporal": temporal, "concurrency": concurrency})
    return out


async def command_path(stack: Stack, n: int, profile: bool = True) -> list[dict[str, Any]]:
    """Where a command's time goes: a profiled pass at 16 clients on the stack (the dev server on its SQLite
    file), then passes at 1 and 16 clients with the dev server in memory (``bench.common.in_memory_variant``)."""
    from bench.common import in_memory_variant

    out = await command_pass(stack, n, 16, "sqlite_file", profile=profile)
    async with in_memory_variant(stack) as memory:
        await command(memory, await create_case(memory), WINDOW, "accept_application")  # warm-up
        out += await command_pass(memory, max(8, n // 3), 1, "in_memory")
        out += await command_pass(memory, n, 16, "in_memory")
    return out
