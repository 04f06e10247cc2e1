"""The bare-Temporal baseline of the lifecycle benchmark: the same round trips as an engine case, no-op bodies.

A *plan* is read off one complete engine case's history (``plan_from_history``): a list of segments, one per
trigger — the workflow's start, each accepted Update, each fired timer — with the number of activities the
engine scheduled in it, one after another, and the timers it started (long deadline timers, each replacing the
previous one as the engine's deadline timer does, and the short 公示 timer whose firing starts the next
segment). ``BareCaseWorkflow`` replays that shape with a no-op activity, so the difference between the two runs
is what the engine adds on top of Temporal's own round trips: domain logic, payloads, PostgreSQL writes, the API,
search-attribute upserts.

The *floor* (issue 18, item 4) is the same plan with every activity taken out (``floor_plan``): the case's
updates and timers alone, each Update answered in the one workflow task it needs — the one-round-trip-per-decision
limit an engine case could reach if recording a decision cost no server round trip at all.
``BareCaseWorkflow`` runs it unchanged (a segment with no activities schedules none).

Imported by the workflow sandbox: nothing but ``temporalio`` and the standard library.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

#: A timer shorter than this is the one the case waits on (the 公示 window); longer ones are deadlines.
SHORT_TIMER_S = 3600.0
_DEADLINE = timedelta(days=30)
_NOOP_TIMEOUT = timedelta(seconds=60)


@activity.defn(name="bare_noop")
async def bare_noop() -> None:
    """Nothing: the activity's cost is only its round trip through the server."""


def _segment(trigger: str) -> dict[str, Any]:
    return {"trigger": trigger, "activities": 0, "long_timers": 0, "short_timer_s": None}


def plan_from_history(events: list[Any]) -> list[dict[str, Any]]:
    """Segments from a history's events (``temporalio.api.history.v1.HistoryEvent``)."""
    from temporalio.api.enums.v1 import EventType

    segments: list[dict[str, Any]] = []
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            segments.append(_segment("start"))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            segments.append(_segment("update"))
        elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
            segments.append(_segment("timer"))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            segments[-1]["activities"] += 1
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
            duration = event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta().total_seconds()
            if duration < SHORT_TIMER_S:
                segments[-1]["short_timer_s"] = duration
            else:
                segments[-1]["long_timers"] += 1
    return segments


def floor_plan(plan: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The plan with no activities: the same updates, deadline timers and 公示 timer."""
    return [{**segment, "activities": 0} for segment in plan]


def plan_shape(plan: list[dict[str, Any]]) -> dict[str, int]:
    """Updates, activities and timers of a plan."""
    return {"updates": sum(1 for s in plan if s["trigger"] == "update"),
            "activities": sum(s["activities"] for s in plan),
            "long_timers": sum(s["long_timers"] for s in plan),
            "short_timers": sum(1 for s in plan if s["short_timer_s"])}


@workflow.defn(name="BareCaseWorkflow")
class BareCaseWorkflow:
    """Runs the plan's start segment, then one update segment per ``step`` Update and one timer segment per
    fired short timer; stays open afterwards as an engine case in payment does."""

    @workflow.init
    def __init__(self, plan: list[dict[str, Any]]) -> None:
        self._plan = plan
        self._started = False
        self._cursor = 0
        self._deadline: asyncio.Task[None] | None = None
        self._short_due: float | None = None
        self._timers_fired = 0

    async def _run_segment(self, segment: dict[str, Any]) -> None:
        for _ in range(segment["activities"]):
            await workflow.execute_activity(bare_noop, start_to_close_timeout=_NOOP_TIMEOUT)
        for _ in range(segment["long_timers"]):
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = asyncio.create_task(workflow.sleep(_DEADLINE))
        if segment["short_timer_s"] is not None:
            self._short_due = segment["short_timer_s"]

    def _take(self, trigger: str) -> dict[str, Any]:
        segment = self._plan[self._cursor]
        if segment["trigger"] != trigger:
            raise workflow.ApplicationError(f"plan expects {segment['trigger']} at {self._cursor}, got {trigger}")
        self._cursor += 1
        return segment

    @workflow.run
    async def run(self, plan: list[dict[str, Any]]) -> None:  # noqa: ARG002 - same signature as the engine driver
        await self._run_segment(self._take("start"))
        self._started = True
        while True:
            await workflow.wait_condition(lambda: self._short_due is not None)
            due, self._short_due = self._short_due, None
            await workflow.sleep(due)  # type: ignore[arg-type]
            await self._run_segment(self._take("timer"))
            self._timers_fired += 1

    @workflow.update
    async def step(self) -> int:
        await workflow.wait_condition(lambda: self._started)
        await self._run_segment(self._take("update"))
        return self._cursor

    @workflow.query
    def timers_fired(self) -> int:
        return self._timers_fired


#: How many ``BareUpdateWorkflow`` runs have started (their first workflow task ran ``bare_started``), in this
#: process: the mass-recalculation benchmark waits for every one before it times the updates.
STARTED = {"count": 0}


@activity.defn(name="bare_started")
async def bare_started() -> None:
    """Counts a started bare workflow (a local activity: no extra round trip through the server)."""
    STARTED["count"] += 1


@workflow.defn(name="BareUpdateWorkflow")
class BareUpdateWorkflow:
    """The mass recalculation's baseline: an open workflow that answers a no-op ``touch`` Update (no activity,
    no validator), as many as there are cases, and otherwise waits as a case in payment does."""

    @workflow.init
    def __init__(self) -> None:
        self._touched = 0

    @workflow.run
    async def run(self) -> None:
        await workflow.execute_local_activity(bare_started, start_to_close_timeout=_NOOP_TIMEOUT)
        await workflow.wait_condition(lambda: False)

    @workflow.update
    async def touch(self) -> int:
        self._touched += 1
        return self._touched


@activity.defn(name="bench_local_noop")
async def bench_local_noop(payload: str) -> str:
    """Hands its argument back: a local activity's cost is the SDK's round trip through the worker."""
    return payload


@workflow.defn(name="LocalActivityProbeWorkflow")
class LocalActivityProbeWorkflow:
    """What one local activity costs the worker (issue 18): each ``step`` Update runs ``n`` no-op local
    activities with a payload of the size of a recorded decision, then answers; n = 0 is the Update alone."""

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.update
    async def step(self, n: int, payload: str) -> int:
        for _ in range(n):
            await workflow.execute_local_activity(bench_local_noop, payload, start_to_close_timeout=_NOOP_TIMEOUT)
        return n
