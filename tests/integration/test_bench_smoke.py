"""The lifecycle benchmark's harness runs end to end (N=2, no timing asserted), so ``bench/`` never rots: two
complete cases through the API, the bare-Temporal baseline with the same shape, and the round-trip counts."""

from __future__ import annotations

from bench.common import bench_stack
from bench.lifecycle import bench


async def test_the_lifecycle_benchmark_runs_and_reports_every_figure() -> None:
    async with bench_stack(publicity_seconds=1, quiet_logs=False) as stack:
        figures = await bench(stack, cases=2, concurrency=2, runs=1)
    by = {(f["figure"], f.get("source")): f for f in figures}
    assert by[("lifecycle_vs_bare_ratio", None)]["ratio"] > 0
    engine, bare = by[("round_trips_per_case", "engine")], by[("round_trips_per_case", "bare")]
    assert engine["updates"] == bare["updates"] == 10
    assert engine["workflow_tasks"] > 0
    assert engine["activity_tasks"] > 0
    assert engine["history_events"] > 0
    assert by[("lifecycle_engine", None)]["decisions_per_case"] > 0
