"""临时救助's urgent path (issue 16 item 8): report → 先行救助 grant latency with 16 clients across the county's
townships at once, against a baseline of the same two-request shape in the same run.

``python -m bench.urgent [--per-client N] [--concurrency C]``

Each job is ``POST /v1/emergencies`` (the township's caseworker reports a fire) then ``grant_urgent_assistance``
by the township approver — the grant's Update draws the township's reserve fund (row lock, keyed by case and
seq) before it records. The baseline job is ``POST /v1/cases`` (dibao) then ``accept_application`` (an Update
without a draw). Reported: p50 / p95 / p99 of the job's wall time, jobs per second, and the ratio of the urgent
path's median to the baseline's (the figure this harness stands behind; absolute times depend on the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from bench.common import WINDOW, Stack, StepFailed, bench_stack, command, create_case, emit, percentiles
from domain.actors import Role
from domain.divisions import LUFENG_TOWNSHIPS, LUFENG_VILLAGES
from tests.builders import application_body

COUNTY_APPROVER = (Role.COUNTY_APPROVER, "532302", "ca-bench")


def _village_of(township: str) -> str:
    """The township's first village in the division code table (an emergency report names a real 村/社区)."""
    return min(code for code in LUFENG_VILLAGES if code.startswith(township))


async def _urgent(stack: Stack, township: str) -> None:
    body = application_body(_village_of(township))
    body.pop("program", None)
    body["temporary"] = {"kind": "emergency", "cause": "fire", "severity": "major", "situation": "房屋失火",
                         "urgent": "hotline"}
    reporter = (Role.TOWNSHIP_CASEWORKER, township, "inv-bench")
    response = await stack.http.post("/v1/emergencies", json=body, headers=stack.headers(reporter))
    if response.status_code != 201:
        raise StepFailed(f"report: {response.status_code} {response.text[:300]}")
    approver = (Role.TOWNSHIP_APPROVER, township, "tsa-bench")
    await command(stack, response.json()["case_id"], approver, "grant_urgent_assistance", amount="100.00",
                  reason="先行救助")


async def _baseline(stack: Stack, _township: str) -> None:
    case_id = await create_case(stack)
    await command(stack, case_id, WINDOW, "accept_application")


async def _pool(stack: Stack, jobs: list[str], concurrency: int, call: Any) -> tuple[list[float], float]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    times: list[float] = []

    async def client() -> None:
        while not queue.empty():
            township = queue.get_nowait()
            start = time.perf_counter()
            await call(stack, township)
            times.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return times, time.perf_counter() - start


async def bench(stack: Stack, per_client: int = 4, concurrency: int = 16) -> list[dict[str, Any]]:
    townships = sorted(LUFENG_TOWNSHIPS)
    for code in townships:
        response = await stack.http.post(f"/v1/reserve-funds/{code}/replenishments",
                                         json={"amount": "1000000.00", "reason": "基准测试备用金"},
                                         headers={**stack.headers(COUNTY_APPROVER), "Idempotency-Key": f"bench-{code}"})
        if response.status_code != 201:
            raise StepFailed(f"replenish: {response.status_code} {response.text[:300]}")
    await _urgent(stack, townships[0])  # warm-up: first start, Update and draw pay one-time costs
    await _baseline(stack, townships[0])
    n = per_client * concurrency
    jobs = [townships[i % len(townships)] for i in range(n)]
    out: list[dict[str, Any]] = []
    medians: dict[str, float] = {}
    for name, call in (("baseline_create_accept", _baseline), ("urgent_report_grant", _urgent)):
        times, wall = await _pool(stack, jobs, concurrency, call)
        figure = {"figure": f"urgent_{name}", "concurrency": concurrency, "townships": len(set(jobs)),
                  "jobs_per_s": round(n / wall, 2), **percentiles(times)}
        medians[name] = figure["p50_ms"]
        out.append(figure)
    out.append({"figure": "urgent_vs_baseline_ratio", "concurrency": concurrency,
                "p50_ratio": round(medians["urgent_report_grant"] / medians["baseline_create_accept"], 2)})
    return out


async def _main(per_client: int, concurrency: int) -> list[dict[str, Any]]:
    async with bench_stack() as stack:
        return await bench(stack, per_client, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.urgent")
    parser.add_argument("--per-client", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    for figure in asyncio.run(_main(args.per_client, args.concurrency)):
        emit(figure)


if __name__ == "__main__":
    main()
