"""Lifecycle throughput against the bare-Temporal ceiling, in the same run (issue 8, items 1 and 2).

``python -m bench.lifecycle [--cases N] [--concurrency C] [--runs R] [--publicity-seconds S]``

On the embedded stack (bench/common.py: PostgreSQL, the Temporal dev server on a SQLite file, the production
worker, the API in-process over ASGI) N complete dibao cases go through the public API, C in flight at a time:
create → accept → start investigation → home visit → information check → exemption from 民主评议 → 初审意见 →
公示 (closing after S seconds; the client polls ``GET`` until the case reaches the county) → county review →
approve → 公布 (in payment). The baseline runs ``bench.bare.BareCaseWorkflow`` on its own task queue on the same
server, with the plan read off one engine case's history (same updates, activities and timers, no-op bodies),
driven by a client with the same concurrency, polling a query the same way through the window. The *floor*
(issue 18) runs the same workflow with the activities taken out of the plan (``bench.bare.floor_plan``: the
same updates and timers, one workflow task per Update). Engine, bare and floor runs take turns R times (which
goes first rotates); figures are medians. ``lifecycle_vs_bare_ratio`` = engine seconds per case ÷ bare seconds
per case (1.0 means zero overhead); ``lifecycle_vs_floor_ratio`` = engine seconds per case ÷ floor seconds per
case. Round trips per case are counted from the histories, and from them the engine's workflow tasks per
decision: per human decision (per Update) and per recorded decision (per event in ``case_events``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections import Counter
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare import (
    BareCaseWorkflow,
    LocalActivityProbeWorkflow,
    bare_noop,
    bench_local_noop,
    floor_plan,
    plan_from_history,
    plan_shape,
)
from bench.common import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TEAM,
    TOWNSHIP_APPROVER,
    WINDOW,
    CpuMeter,
    Stack,
    bench_stack,
    command,
    create_case,
    emit,
)

POLL_S = 0.1
#: (who, command type, fields) after the 公示 window closed; before it, ``BEFORE_PUBLICITY_CLOSES``.
BEFORE_PUBLICITY_CLOSES: list[tuple[Any, str, dict[str, Any]]] = [
    (WINDOW, "accept_application", {}),
    (CASEWORKER, "start_investigation", {"investigators": TEAM}),
    (CASEWORKER, "record_home_visit", {"investigators": TEAM, "household_signed": True, "findings": "入户调查"}),
    (CASEWORKER, "request_info_check", {}),
    (TOWNSHIP_APPROVER, "decide_village_review", {"disputed": False, "reason": "无争议"}),
    (TOWNSHIP_APPROVER, "issue_prelim_opinion", {"eligible": True}),
    (CASEWORKER, "start_publicity", {"location": "村务公开栏"}),
]
AFTER_PUBLICITY_CLOSES: list[tuple[Any, str, dict[str, Any]]] = [
    (COUNTY_REVIEWER, "start_county_review", {}),
    (COUNTY_APPROVER, "approve", {"reason": "经审核符合条件"}),
    (CASEWORKER, "post_publication", {"location": "村务公开栏"}),
]
#: API writes per case: the creation and every command.
WRITES_PER_CASE = 1 + len(BEFORE_PUBLICITY_CLOSES) + len(AFTER_PUBLICITY_CLOSES)


async def engine_case(stack: Stack, timeout: float = 120) -> str:  # noqa: ASYNC109 - a deadline of the harness, not a cancel scope
    """One complete case through the API; its case id."""
    case_id = await create_case(stack)
    for who, type_, fields in BEFORE_PUBLICITY_CLOSES:
        await command(stack, case_id, who, type_, **fields)
    async with asyncio.timeout(timeout):
        while True:
            response = await stack.http.get(f"/v1/cases/{case_id}", headers=stack.headers(WINDOW))
            if response.json()["stage"] == "submitted_to_county":
                break
            await asyncio.sleep(POLL_S)
    stage = None
    for who, type_, fields in AFTER_PUBLICITY_CLOSES:
        stage = (await command(stack, case_id, who, type_, **fields))["stage"]
    if stage != "in_payment":
        raise RuntimeError(f"case {case_id} ended in {stage}")
    return case_id


async def bare_case(client: Client, task_queue: str, plan: list[dict[str, Any]], timeout: float = 120,  # noqa: ASYNC109 - a deadline of the harness
                    prefix: str = "bare") -> str:
    """One bare case (or, with the floor's plan, a floor case): start, then each update, waiting for the short
    timer after the segment that starts it."""
    handle = await client.start_workflow(BareCaseWorkflow.run, plan, id=f"{prefix}-{uuid.uuid4()}",
                                         task_queue=task_queue)
    fired = 0
    for segment in plan[1:]:
        if segment["trigger"] == "update":
            await handle.execute_update(BareCaseWorkflow.step)
        else:
            fired += 1
            async with asyncio.timeout(timeout):
                while await handle.query(BareCaseWorkflow.timers_fired) < fired:  # noqa: ASYNC110 - polls a workflow query
                    await asyncio.sleep(POLL_S)
    return handle.id


async def _concurrently(n: int, concurrency: int, one: Any) -> tuple[float, list[str]]:
    gate = asyncio.Semaphore(concurrency)

    async def guarded() -> str:
        async with gate:
            return await one()  # type: ignore[no-any-return]

    start = time.perf_counter()
    ids = await asyncio.gather(*(guarded() for _ in range(n)))
    return time.perf_counter() - start, list(ids)


async def round_trips(client: Client, workflow_ids: list[str]) -> dict[str, Any]:
    """Mean workflow tasks, activity tasks, timers, updates and history events per case, from the histories."""
    totals: Counter[str] = Counter()
    for workflow_id in workflow_ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        totals["history_events"] += len(history.events)
        for event in history.events:
            totals[EventType.Name(event.event_type)] += 1
            if (event.HasField("marker_recorded_event_attributes")
                    and event.marker_recorded_event_attributes.marker_name == "core_local_activity"):
                totals["local_activities"] += 1
            if event.HasField("activity_task_scheduled_event_attributes"):
                totals["activity:" + event.activity_task_scheduled_event_attributes.activity_type.name] += 1
    n = len(workflow_ids)
    return {
        "workflow_tasks": totals["EVENT_TYPE_WORKFLOW_TASK_SCHEDULED"] / n,
        "activity_tasks": totals["EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"] / n,
        "local_activities": totals["local_activities"] / n,
        "timers_started": totals["EVENT_TYPE_TIMER_STARTED"] / n,
        "timers_cancelled": totals["EVENT_TYPE_TIMER_CANCELED"] / n,
        "updates": totals["EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED"] / n,
        "timers_fired": totals["EVENT_TYPE_TIMER_FIRED"] / n,
        # A task that failed (a deadlock detected under CPU starvation, a worker error) or timed out is scheduled
        # again: these say how many of the workflow tasks above were such repeats.
        "workflow_tasks_failed": totals["EVENT_TYPE_WORKFLOW_TASK_FAILED"] / n,
        "workflow_tasks_timed_out": totals["EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT"] / n,
        "search_attribute_upserts": totals["EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"] / n,
        "history_events": totals["history_events"] / n,
        "activities_by_type": {k.removeprefix("activity:"): round(v / n, 2)
                               for k, v in sorted(totals.items()) if k.startswith("activity:")},
    }


def _rounded(trips: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in trips.items()}


def _cpu_per_case(runs: list[dict[str, float]], cases: int) -> dict[str, float]:
    """Median CPU milliseconds per case over the runs: this process (API, workers, clients), the Temporal dev
    server, PostgreSQL."""
    return {key.removesuffix("_cpu_s"): round(statistics.median(r[key] for r in runs) * 1000 / cases, 1)
            for key in runs[0]} if runs else {}


#: Local activities per Update in the probe, and the payload's size (a recorded decision's state and events).
PROBE_LOCAL_ACTIVITIES = 4
PROBE_PAYLOAD_BYTES = 8000


async def local_activity_cost(client: Client, workflows: int = 16, updates: int = 10,
                              rounds: int = 3) -> dict[str, Any]:
    """CPU of this process (the worker) and of the Temporal dev server per Update with no local activity and
    with :data:`PROBE_LOCAL_ACTIVITIES` no-op ones (the workflow sandboxed, as the case worker runs it): the
    difference is what one local activity costs, which an engine decision pays for each store call."""
    queue = f"bench-la-probe-{uuid.uuid4()}"
    payload = "x" * PROBE_PAYLOAD_BYTES
    cpu: dict[int, list[dict[str, float]]] = {0: [], PROBE_LOCAL_ACTIVITIES: []}
    async with Worker(client, task_queue=queue, workflows=[LocalActivityProbeWorkflow],
                      activities=[bench_local_noop]):
        handles = [await client.start_workflow(LocalActivityProbeWorkflow.run, id=f"bench-la-probe-{uuid.uuid4()}",
                                               task_queue=queue) for _ in range(workflows)]
        for h in handles:  # every instance built and cached before anything is timed
            await h.execute_update(LocalActivityProbeWorkflow.step, args=[0, ""])

        async def drive(h: Any, n: int) -> None:
            for _ in range(updates):
                await h.execute_update(LocalActivityProbeWorkflow.step, args=[n, payload])

        for _ in range(rounds):
            for n in cpu:
                meter = CpuMeter()
                await asyncio.gather(*(drive(h, n) for h in handles))
                cpu[n].append(meter.read_split())
        for h in handles:
            await h.terminate("probe over")
    total = workflows * updates

    def per_update(n: int, key: str) -> float:
        return round(statistics.median(r[key] for r in cpu[n]) * 1000 / total, 2)

    keys = ("bench_process_cpu_s", "temporal_cpu_s")
    alone = {k.removesuffix("_cpu_s"): per_update(0, k) for k in keys}
    with_las = {k.removesuffix("_cpu_s"): per_update(PROBE_LOCAL_ACTIVITIES, k) for k in keys}
    return {"figure": "local_activity_cost", "workflows": workflows, "updates": total, "rounds": rounds,
            "local_activities_per_update": PROBE_LOCAL_ACTIVITIES, "payload_bytes": PROBE_PAYLOAD_BYTES,
            "cpu_ms_per_update_alone": alone, "cpu_ms_per_update_with_local_activities": with_las,
            "cpu_ms_per_local_activity": {k: round((with_las[k] - alone[k]) / PROBE_LOCAL_ACTIVITIES, 2)
                                          for k in alone}}


def _workflow_id(case_id: str) -> str:
    return case_id if case_id.startswith("case-") else f"case-{case_id}"


async def bench(stack: Stack, cases: int, concurrency: int, runs: int,
                la_probe: tuple[int, int, int] = (16, 10, 3)) -> list[dict[str, Any]]:
    """Every lifecycle figure, as dicts (one JSON line each); ``la_probe``: workflows, Updates each and rounds of
    :func:`local_activity_cost`."""
    # Warm-up (not timed): one engine case gives the plan of the baseline.
    probe = await engine_case(stack)
    history = await stack.client.get_workflow_handle(_workflow_id(probe)).fetch_history()
    plan = plan_from_history(list(history.events))
    floor = floor_plan(plan)
    bare_queue = f"bench-bare-{uuid.uuid4()}"
    out: list[dict[str, Any]] = []
    kinds = ("engine", "bare", "floor")
    seconds: dict[str, list[float]] = {k: [] for k in kinds}
    ids: dict[str, list[str]] = {k: [] for k in kinds}
    cpu: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    one = {"engine": lambda: engine_case(stack),
           "bare": lambda: bare_case(stack.client, bare_queue, plan),
           "floor": lambda: bare_case(stack.client, bare_queue, floor, prefix="floor")}
    async with Worker(stack.client, task_queue=bare_queue, workflows=[BareCaseWorkflow], activities=[bare_noop]):
        await bare_case(stack.client, bare_queue, plan)
        await bare_case(stack.client, bare_queue, floor, prefix="floor")
        for run in range(runs):
            # Rotate which goes first: the SQLite history grows during the run, and none should always meet the
            # larger database.
            for which in kinds[run % 3:] + kinds[:run % 3]:
                meter = CpuMeter()
                wall, made = await _concurrently(cases, concurrency, one[which])
                cpu[which].append(meter.read_split())
                seconds[which].append(wall)
                ids[which] = ids[which] or made
        engine_trips = await round_trips(stack.client, [_workflow_id(i) for i in ids["engine"]])
        bare_trips = await round_trips(stack.client, ids["bare"])
        floor_trips = await round_trips(stack.client, ids["floor"])
    engine_ids = ids["engine"]
    engine_s, bare_s, floor_s = seconds["engine"], seconds["bare"], seconds["floor"]
    decisions = await stack.pool.fetchval(
        "SELECT count(*) FROM case_events WHERE case_id = ANY($1::uuid[])",
        [i.removeprefix("case-") for i in engine_ids]) / len(engine_ids)
    engine_med, bare_med = statistics.median(engine_s), statistics.median(bare_s)
    floor_med = statistics.median(floor_s)
    common = {"cases": cases, "concurrency": concurrency, "runs": runs,
              "publicity_window_s": next((s["short_timer_s"] for s in plan if s["short_timer_s"]), None)}
    out.append({"figure": "lifecycle_engine", **common,
                "seconds_median": round(engine_med, 2), "seconds_all": [round(s, 2) for s in engine_s],
                "cases_per_s": round(cases / engine_med, 3),
                "api_writes_per_s": round(cases * WRITES_PER_CASE / engine_med, 2),
                "decisions_per_s": round(cases * decisions / engine_med, 2),
                "api_writes_per_case": WRITES_PER_CASE, "decisions_per_case": round(decisions, 2),
                "cpu_ms_per_case": _cpu_per_case(cpu["engine"], cases)})
    updates = plan_shape(plan)["updates"]
    out.append({"figure": "lifecycle_bare_temporal", **common,
                "seconds_median": round(bare_med, 2), "seconds_all": [round(s, 2) for s in bare_s],
                "cases_per_s": round(cases / bare_med, 3),
                "updates_per_s": round(cases * updates / bare_med, 2),
                "plan": plan_shape(plan), "cpu_ms_per_case": _cpu_per_case(cpu["bare"], cases)})
    out.append({"figure": "lifecycle_floor", **common,
                "seconds_median": round(floor_med, 2), "seconds_all": [round(s, 2) for s in floor_s],
                "cases_per_s": round(cases / floor_med, 3),
                "updates_per_s": round(cases * updates / floor_med, 2),
                "plan": plan_shape(floor), "cpu_ms_per_case": _cpu_per_case(cpu["floor"], cases)})
    out.append({"figure": "lifecycle_vs_bare_ratio", **common,
                "ratio": round(engine_med / bare_med, 2),
                "ratios_per_run": [round(e / b, 2) for e, b in zip(engine_s, bare_s, strict=True)],
                "engine_s_per_case": round(engine_med / cases, 4), "bare_s_per_case": round(bare_med / cases, 4)})
    out.append({"figure": "lifecycle_vs_floor_ratio", **common,
                "ratio": round(engine_med / floor_med, 2),
                "ratios_per_run": [round(e / f, 2) for e, f in zip(engine_s, floor_s, strict=True)],
                "engine_s_per_case": round(engine_med / cases, 4),
                "floor_s_per_case": round(floor_med / cases, 4)})
    out.append({"figure": "round_trips_per_case", "source": "engine", "cases": len(engine_ids),
                **_rounded(engine_trips)})
    out.append({"figure": "round_trips_per_case", "source": "bare", "cases": len(ids["bare"]),
                **_rounded(bare_trips)})
    out.append({"figure": "round_trips_per_case", "source": "floor", "cases": len(ids["floor"]),
                **_rounded(floor_trips)})
    out.append(tasks_per_decision(engine_trips, floor_trips, decisions))
    out.append(await local_activity_cost(stack.client, *la_probe))
    return out


def _triggers(trips: dict[str, Any]) -> float:
    """What starts a workflow task, per case: the case's start (the application registered), each Update, each
    fired timer. 1.0 task per trigger is one task each; below 1.0, triggers arrived together and shared a task."""
    return 1 + trips["updates"] + trips["timers_fired"]


def tasks_per_decision(engine: dict[str, Any], floor: dict[str, Any], decisions: float) -> dict[str, Any]:
    """The engine's workflow tasks per human decision (per Update), per recorded decision and per trigger (the
    start, each Update, each fired timer), from the histories; the floor's beside them."""
    return {"figure": "workflow_tasks_per_decision",
            "workflow_tasks_per_case": round(engine["workflow_tasks"], 2),
            "updates_per_case": round(engine["updates"], 2), "decisions_per_case": round(decisions, 2),
            "per_human_decision": round(engine["workflow_tasks"] / engine["updates"], 2),
            "per_recorded_decision": round(engine["workflow_tasks"] / decisions, 2),
            "floor_per_human_decision": round(floor["workflow_tasks"] / floor["updates"], 2),
            "triggers_per_case": round(_triggers(engine), 2),
            "per_trigger": round(engine["workflow_tasks"] / _triggers(engine), 2),
            "floor_per_trigger": round(floor["workflow_tasks"] / _triggers(floor), 2)}


async def _main(cases: int, concurrency: int, runs: int, publicity_seconds: int) -> list[dict[str, Any]]:
    async with bench_stack(publicity_seconds=publicity_seconds) as stack:
        return await bench(stack, cases, concurrency, runs)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lifecycle")
    parser.add_argument("--cases", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--publicity-seconds", type=int, default=1)
    args = parser.parse_args()
    for figure in asyncio.run(_main(args.cases, args.concurrency, args.runs, args.publicity_seconds)):
        emit(figure)


if __name__ == "__main__":
    main()
