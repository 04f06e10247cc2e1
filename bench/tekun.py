"""The 特困 lifecycle against the bare-Temporal ceiling, in the same run (issue 15: a 特困 lifecycle figure).

N complete 特困 cases go through the public API, C in flight: create → 受理 → investigation (team, home visit,
information check) → the 特困 facts → self-care assessment → support form → exemption → 初审意见 → 公示 (closing
after the stack's window) → the county's random check (a batch of the case alone: drawn) → county review → the
county's home visit → approval → 公布 (in support). The baseline replays one engine case's plan on bare Temporal
(``bench.bare``), as the dibao lifecycle does; ``tekun_lifecycle_vs_bare_ratio`` = engine s/case ÷ bare s/case.
"""

from __future__ import annotations

import asyncio
import statistics
import uuid
from typing import Any

from temporalio.worker import Worker

from bench.bare import BareCaseWorkflow, bare_noop, plan_from_history
from bench.common import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TEAM,
    TOWNSHIP_APPROVER,
    WINDOW,
    Stack,
    StepFailed,
    command,
)
from bench.lifecycle import POLL_S, _concurrently, _workflow_id, bare_case, round_trips
from tests.builders import JINSHAN, JINSHAN_VILLAGE, unique_resident_id

COUNTY_TEAM = ["cr-01", "cr-02"]
BEFORE: list[tuple[Any, str, dict[str, Any]]] = [
    (WINDOW, "accept_application", {}),
    (CASEWORKER, "start_investigation", {"investigators": TEAM}),
    (CASEWORKER, "record_home_visit", {"investigators": TEAM, "household_signed": True, "findings": "入户调查"}),
    (CASEWORKER, "request_info_check", {}),
    (CASEWORKER, "record_eligibility_facts", {}),
    (COUNTY_REVIEWER, "record_self_care_assessment", {"failed_items": ["bathing"], "assessors": COUNTY_TEAM}),
    (CASEWORKER, "choose_support_form", {"form": "dispersed", "carer": "邻居"}),
    (TOWNSHIP_APPROVER, "decide_village_review", {"disputed": False, "reason": "无争议"}),
    (TOWNSHIP_APPROVER, "issue_prelim_opinion", {"eligible": True}),
    (CASEWORKER, "start_publicity", {"location": "村务公开栏"}),
]
AFTER: list[tuple[Any, str, dict[str, Any]]] = [
    (COUNTY_REVIEWER, "start_county_review", {}),
    (COUNTY_REVIEWER, "record_county_home_visit", {"investigators": COUNTY_TEAM, "findings": "抽查入户"}),
    (COUNTY_APPROVER, "approve", {"reason": "符合特困人员认定条件"}),
    (CASEWORKER, "post_publication", {"location": "村务公开栏"}),
]
WRITES_PER_CASE = 1 + len(BEFORE) + 1 + len(AFTER)


async def tekun_case(stack: Stack, timeout: float = 120) -> str:  # noqa: ASYNC109 - a deadline of the harness
    body = {"program": "tekun", "village_code": JINSHAN_VILLAGE, "area_type": "rural",
            "members": [{"name": "供养测试", "resident_id": unique_resident_id(1950), "relation": "applicant"}]}
    response = await stack.http.post("/v1/cases", json=body, headers=stack.headers(WINDOW))
    if response.status_code != 201:
        raise StepFailed(f"create: {response.status_code} {response.text[:300]}")
    case_id = str(response.json()["case_id"])
    for who, type_, fields in BEFORE:
        await command(stack, case_id, who, type_, **fields)
    async with asyncio.timeout(timeout):
        while True:  # polls the API: the window closes in the worker, there is nothing to wait on here
            case = (await stack.http.get(f"/v1/cases/{case_id}", headers=stack.headers(WINDOW))).json()
            if case["stage"] == "submitted_to_county":
                break
            await asyncio.sleep(POLL_S)
    await command(stack, case_id, COUNTY_REVIEWER, "record_county_check_draw", draw_id=str(uuid.uuid4()),
                  seed=f"bench-{case_id}", township_code=JINSHAN, batch=[case_id], drawn=[case_id])
    stage = None
    for who, type_, fields in AFTER:
        stage = (await command(stack, case_id, who, type_, **fields))["stage"]
    if stage != "in_payment":
        raise RuntimeError(f"case {case_id} ended in {stage}")
    return case_id


async def bench(stack: Stack, cases: int, concurrency: int, runs: int) -> list[dict[str, Any]]:
    """The 特困 lifecycle figures, as dicts (one JSON line each)."""
    probe = await tekun_case(stack)
    history = await stack.client.get_workflow_handle(_workflow_id(probe)).fetch_history()
    plan = plan_from_history(list(history.events))
    bare_queue = f"bench-tekun-bare-{uuid.uuid4()}"
    engine_s: list[float] = []
    bare_s: list[float] = []
    engine_ids: list[str] = []
    async with Worker(stack.client, task_queue=bare_queue, workflows=[BareCaseWorkflow], activities=[bare_noop]):
        await bare_case(stack.client, bare_queue, plan)
        for run in range(runs):
            for which in (("engine", "bare") if run % 2 == 0 else ("bare", "engine")):
                if which == "engine":
                    wall, ids = await _concurrently(cases, concurrency, lambda: tekun_case(stack))
                    engine_s.append(wall)
                    engine_ids = engine_ids or ids
                else:
                    wall, _ids = await _concurrently(cases, concurrency,
                                                     lambda: bare_case(stack.client, bare_queue, plan))
                    bare_s.append(wall)
        trips = await round_trips(stack.client, [_workflow_id(i) for i in engine_ids])
    engine_med, bare_med = statistics.median(engine_s), statistics.median(bare_s)
    common = {"cases": cases, "concurrency": concurrency, "runs": runs}
    return [
        {"figure": "tekun_lifecycle_engine", **common, "seconds_median": round(engine_med, 2),
         "seconds_all": [round(s, 2) for s in engine_s], "cases_per_s": round(cases / engine_med, 3),
         "api_writes_per_case": WRITES_PER_CASE, "updates_per_case": round(trips["updates"], 2),
         "history_events_per_case": round(trips["history_events"], 2)},
        {"figure": "tekun_lifecycle_bare_temporal", **common, "seconds_median": round(bare_med, 2),
         "seconds_all": [round(s, 2) for s in bare_s]},
        {"figure": "tekun_lifecycle_vs_bare_ratio", **common, "ratio": round(engine_med / bare_med, 2),
         "ratios_per_run": [round(e / b, 2) for e, b in zip(engine_s, bare_s, strict=True)]},
    ]
