"""What a new workflow instance costs the worker: the sandbox as configured, and with the workflow modules
passed through (the experiment behind the fix proposed in docs/benchmarks.md).

``python -m bench.sandbox [--instances N]``

A worker builds a workflow instance for every new workflow and for every workflow that is not in its cache
(then it replays the history into it). Temporal's Python sandbox builds each instance by re-importing the
workflow's module — ``workflows/__init__.py`` (which imports nothing eagerly) and ``workflows/case.py``; their
pydantic models live in ``workflows/models.py``, passed through, so they are built once per process, not once
per instance — in a fresh module namespace. This times it
without a server: one ``Replayer`` replays N copies of the smallest golden history (a case just submitted:
``case_v1_submitted``, 10 events), so nearly all of each replay is building the instance. Wall and CPU
milliseconds per instance, with the production configuration (``default``) and with
``SandboxRestrictions.default.with_passthrough_modules("workflows")`` (``workflows_passed_through``: the
modules imported once, shared by every instance; the sandbox's other checks stay).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from bench.common import emit, enable_bytecode_cache

HISTORY = Path(__file__).resolve().parents[1] / "tests" / "workflows" / "histories" / "case_v1_submitted.json"


async def _per_instance(history: WorkflowHistory, n: int, runner: Any | None) -> tuple[float, float]:
    from workflows import WORKFLOWS

    kwargs = {"workflow_runner": runner} if runner is not None else {}
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter, **kwargs)
    await replayer.replay_workflow(history)  # the worker's one-time preparation, not timed

    async def copies() -> AsyncIterator[WorkflowHistory]:
        for i in range(n):
            yield WorkflowHistory(f"{history.workflow_id}-{i}", history.events)

    wall, cpu = time.perf_counter(), time.process_time()
    async with replayer.workflow_replay_iterator(copies()) as results:
        async for result in results:
            if result.replay_failure is not None:
                raise RuntimeError(f"replay failed: {result.replay_failure}")
    return (time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000


async def bench(instances: int) -> list[dict[str, Any]]:
    history = WorkflowHistory.from_json("case-bench-sandbox", HISTORY.read_text(encoding="utf-8"))
    passthrough = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows"))
    out: dict[str, Any] = {"figure": "workflow_instance_cost", "instances": instances,
                           "history_events": len(history.events),
                           "bytecode_cache": not sys.dont_write_bytecode}
    for name, runner in (("default", None), ("workflows_passed_through", passthrough)):
        wall_ms, cpu_ms = await _per_instance(history, instances, runner)
        out[f"{name}_ms"] = round(wall_ms, 1)
        out[f"{name}_cpu_ms"] = round(cpu_ms, 1)
    out["cpu_saved_ms"] = round(out["default_cpu_ms"] - out["workflows_passed_through_cpu_ms"], 1)
    return [out]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox")
    parser.add_argument("--instances", type=int, default=30)
    args = parser.parse_args()
    enable_bytecode_cache()
    for figure in asyncio.run(bench(args.instances)):
        emit(figure)


if __name__ == "__main__":
    main()
