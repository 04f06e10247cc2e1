"""Every benchmark harness of ``make bench`` runs end to end at tiny sizes, so ``bench/`` never rots. No
timing is asserted: only that each harness completes and reports its figures in the shape that
docs/benchmarks.md renders.

One bench stack (embedded PostgreSQL, the Temporal dev server on a SQLite file, the production worker, the API
over ASGI) serves the tests of this module; the audit harness brings its own time-skipping server.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bench import api_latency, audit, memory, recalc, sandbox, scaleout
from bench.common import Stack, bench_stack
from bench.lifecycle import bench as lifecycle_bench
from bench.profile import Profile


@pytest_asyncio.fixture(scope="module")
async def stack() -> AsyncIterator[Stack]:
    async with bench_stack(publicity_seconds=1, quiet_logs=False) as s:
        yield s


async def test_the_lifecycle_benchmark_runs_and_reports_every_figure(stack: Stack) -> None:
    figures = await lifecycle_bench(stack, cases=2, concurrency=2, runs=1, la_probe=(2, 5, 1))
    by = {(f["figure"], f.get("source")): f for f in figures}
    assert by[("lifecycle_vs_bare_ratio", None)]["ratio"] > 0
    engine, bare = by[("round_trips_per_case", "engine")], by[("round_trips_per_case", "bare")]
    assert engine["updates"] == bare["updates"] == 10
    assert engine["workflow_tasks"] > 0
    # Issue 18: every call an engine case makes runs as a local activity (the information check too, since
    # case-local-info-check-v1): no activity task is left.
    assert engine["activity_tasks"] == 0
    assert engine["history_events"] > 0
    assert by[("lifecycle_engine", None)]["decisions_per_case"] > 0
    floor = by[("round_trips_per_case", "floor")]
    assert floor["updates"] == 10 and floor["activity_tasks"] == 0
    assert floor["timers_started"] == bare["timers_started"]
    assert by[("lifecycle_vs_floor_ratio", None)]["ratio"] > 0
    per = by[("workflow_tasks_per_decision", None)]
    assert per["per_human_decision"] == round(engine["workflow_tasks"] / engine["updates"], 2)
    assert per["per_recorded_decision"] > 0
    assert engine["timers_fired"] == 1 and per["triggers_per_case"] == 12
    assert per["per_trigger"] == round(engine["workflow_tasks"] / 12, 2)
    # every store call is a local activity (a record per decision at least), the floor makes none
    assert engine["local_activities"] >= 12 and floor["local_activities"] == 0
    la = by[("local_activity_cost", None)]
    assert la["cpu_ms_per_update_with_local_activities"]["bench_process"] > la["cpu_ms_per_update_alone"][
        "bench_process"] > 0
    assert engine["workflow_tasks_failed"] >= 0 and engine["workflow_tasks_timed_out"] >= 0
    from bench import run

    env = {"cpus": 2, "cpu_model": "test", "platform": "test", "python": "3.11", "postgresql": "18",
           "temporal": "temporal", "bytecode_cache": "on", "py_spy": False}
    page = run.render(figures, env, argparse.Namespace(argv=["--quick"], only=["lifecycle"]), 1.0)
    for shown in ("**CPU per case**", "**One local activity**", "**Per trigger**", "local_activities"):
        assert shown in page, shown


async def test_the_audit_benchmark_replays_verifies_and_appends(pg_admin_uri: str) -> None:
    figures = await audit.bench(pg_admin_uri, runs=1, entries=300, appends=5, years=1)
    by = {f["figure"]: f for f in figures}
    assert by["audit_replay_throughput"]["histories"] > 0
    assert by["audit_replay_throughput"]["deterministic"] == by["audit_replay_throughput"]["histories"]
    ten = by["audit_ten_year_case"]
    assert ten["runs_of_case"] >= 2
    assert ten["deterministic"]
    assert ten["mismatches"] == 0
    assert ten["ledger_entries"] == ten["decisions_rederived"] > 0
    for name in ("audit_ledger_verify_chain", "audit_ledger_verify_full"):
        assert by[name]["ok"]
        assert by[name]["entries"] == 300
    assert by["audit_ledger_verify_full"]["events_checked"] == 300
    assert {f["concurrency"] for f in figures if f["figure"] == "audit_ledger_append"} == {1, 16}


async def test_the_mass_recalculation_benchmark_previews_and_applies(stack: Stack) -> None:
    figures = await recalc.bench(stack, preview_cases=30, apply_cases=8, runs=1)
    by = {f["figure"]: f for f in figures}
    assert by["recalc_preview"]["cases"] == 30
    assert by["recalc_apply"]["applied"] == by["recalc_apply"]["recalculations_recorded"] == 8
    assert by["recalc_bare_update"]["cases"] == 8
    assert by["recalc_apply_vs_bare_ratio"]["ratio"] > 0


@pytest.mark.timeout(300)
async def test_the_scale_out_benchmark_runs_one_and_two_worker_processes(stack: Stack) -> None:
    figures = await scaleout.bench(stack, cases=2, concurrency=2, runs=1)
    runs = {f["worker_processes"]: f for f in figures if f["figure"] == "scaleout_lifecycle"}
    assert set(runs) == {1, 2}
    assert len(runs[2]["cpu_per_run"][0]["workers_cpu_s"]) == 2
    assert next(f for f in figures if f["figure"] == "scaleout_ratio")["ratio"] > 0


@pytest.mark.timeout(180)
async def test_the_memory_benchmark_reads_the_worker_rss(stack: Stack) -> None:
    [figure] = await memory.bench(stack, cases=6, warmup=2)
    assert figure["rss_after_mb"] > 0
    assert figure["rss_idle_mb"] > 0
    assert "kb_per_case" in figure


async def test_the_command_path_and_sandbox_probes_run(stack: Stack) -> None:
    figures = await api_latency.command_path(stack, 4)
    passes = [f for f in figures if f["figure"] == "api_command_path"]
    assert {(f["temporal"], f["concurrency"]) for f in passes} == {("sqlite_file", 16), ("in_memory", 1),
                                                                     ("in_memory", 16)}
    assert any(f["figure"] == "profile" for f in figures)  # a profile, or why there is none
    [cost] = await sandbox.bench(2)
    assert cost["default_cpu_ms"] > 0
    assert cost["workflows_passed_through_cpu_ms"] > 0


async def test_the_profiler_reports_a_profile_or_why_not() -> None:
    async with Profile("smoke") as profile:
        sum(i * i for i in range(200_000))
    figure = profile.figure()
    assert figure["figure"] == "profile"
    assert figure["name"] == "smoke"
    assert "error" in figure or figure["samples"] >= 0


def test_the_page_renders_every_section_from_figures() -> None:
    """render() turns a full set of figures (as the harnesses emit them) into the page, every section."""
    from bench import run

    figures = _sample_figures()
    args = argparse.Namespace(argv=["--quick"], only=list(run.SECTIONS))
    env = {"cpus": 2, "cpu_model": "test", "platform": "test", "python": "3.11", "postgresql": "18",
           "temporal": "temporal", "bytecode_cache": "on", "py_spy": True}
    page = run.render(figures, env, args, 1.0)
    for heading in ("## 5. Audit", "## 6. Mass recalculation", "## 7. Scale-out", "## 8. Memory",
                    "## Where the time goes", "### The API command path"):
        assert heading in page, heading
    assert "NOT IN THIS RUN" not in page


def _f(figure: str, **fields: object) -> dict[str, object]:
    return {"figure": figure, **fields}


def _sample_figures() -> list[dict[str, object]]:
    cpu = {"bench_process_cpu_s": 1.0, "servers_cpu_s": 2.0}
    verify = {"entries": 100, "runs": 1, "ok": True, "seconds_all": [0.1], "extrapolated": True}
    return [
        _f("audit_replay_throughput", histories=2, events=20, runs=1, seconds_median=1.0, seconds_all=[1.0],
           histories_per_s=2.0, events_per_s=20, deterministic=2, decisions_rederived=4),
        _f("audit_replay_one_worker", histories=2, runs=1, seconds_median=0.5, seconds_all=[0.5],
           histories_per_s=4.0, events_per_s=40, deterministic=2),
        _f("audit_ten_year_case", years=1, runs_of_case=3, events=100, deterministic=True,
           decisions_rederived=10, ledger_entries=10, mismatches=0, repeats=1, drive_seconds=1.0,
           fetch_seconds_median=0.1, replay_seconds_median=0.5, compare_seconds_median=0.01,
           total_seconds_median=0.61, total_seconds_all=[0.61]),
        _f("audit_ledger_verify_chain", **verify, events_checked=0, seconds_median=0.1, entries_per_s=1000,
           seconds_per_million_entries=1000.0),
        _f("audit_ledger_verify_full", **verify, events_checked=100, seconds_median=0.2, entries_per_s=500,
           seconds_per_million_entries=2000.0),
        _f("audit_ledger_load", entries=100, build_seconds=0.1, copy_seconds=0.1, ledger_mb=0.1,
           templates=10),
        _f("audit_ledger_append", concurrency=1, appends=5, ledger_entries_before=100, seconds=0.1,
           entries_per_s=50.0, p50_ms=5.0, p95_ms=6.0, p99_ms=7.0, samples=5),
        _f("recalc_preview", cases=30, runs=1, rows_loaded_seconds=0.1, seconds_median=0.1, seconds_all=[0.1],
           cases_per_s=300, increased=29, crossing_out=1, monthly_difference="1.00"),
        _f("recalc_seed", cases=8, engine_seconds=1.0, engine_cases_per_s=8.0, engine_cpu=cpu,
           bare_seconds=1.0, bare_workflows_per_s=8.0, bare_cpu=cpu),
        _f("recalc_bare_update", cases=8, concurrency=16, seconds=0.5, updates_per_s=16.0, cpu=cpu),
        _f("recalc_apply", cases=8, batches=1, batch_size=50, concurrency=16, seconds=2.0, cases_per_s=4.0,
           applied=8, reviews_opened=0, failed=0, recalculations_recorded=8, cpu=cpu, old_total="1.00",
           new_total="2.00"),
        _f("recalc_apply_vs_bare_ratio", cases=8, ratio=4.0, apply_s_per_case=0.25, bare_s_per_case=0.0625,
           preview_s_per_case=0.003, apply_vs_preview_per_case=75),
        *[_f("profile", name=name, seconds=1.0, samples=10, rate_hz=50, busy_percent_of_one_cpu=20.0,
             buckets_percent={"other": 100.0}, top_self=[["f (x.py:1)", 50.0]], top_inclusive=[], **cpu)
          for name in ("recalc_apply", "recalc_preview", "audit_replay", "api_command_16_clients")],
        *[_f("scaleout_lifecycle", worker_processes=n, cases=2, concurrency=2, runs=1, seconds_median=5.0,
             seconds_all=[5.0], cases_per_s=0.4,
             cpu_per_run=[{"workers_cpu_s": [1.0] * n, "bench_process_cpu_s": 1.0, "servers_cpu_s": 1.0,
                           "wall_s": 5.0}])
          for n in (1, 2)],
        _f("scaleout_ratio", cases=2, concurrency=2, runs=1, ratio=1.0, ratios_per_run=[1.0]),
        _f("worker_rss_per_cached_case", cases=6, warmup_cases=2, rss_idle_mb=90.0, rss_after_warmup_mb=95.0,
           rss_after_half_mb=96.0, rss_after_mb=97.0, kb_per_case=300.0, kb_per_case_first_half=300.0,
           kb_per_case_second_half=300.0, mb_per_1000_cases=300.0, seconds=1.0),
        _f("workflow_instance_cost", instances=2, history_events=10, bytecode_cache=True, default_ms=60.0,
           default_cpu_ms=50.0, workflows_passed_through_ms=10.0, workflows_passed_through_cpu_ms=8.0,
           cpu_saved_ms=42.0),
        *[_f("api_command_path", temporal=t, concurrency=c, requests=4, requests_per_s=4.0 * c, p50_ms=100.0,
             p95_ms=200.0, p99_ms=200.0, samples=4, bench_cpu_ms_per_command=80,
             servers_cpu_ms_per_command=140, bench_cpu_percent=50.0, servers_cpu_percent=50.0)
          for t, c in (("sqlite_file", 16), ("in_memory", 1), ("in_memory", 16))],
    ]


async def test_the_urgent_path_benchmark_reports_its_ratio_and_renders(stack: Stack) -> None:
    """临时救助's report → 先行救助 grant against create → accept (issue 16): its figures and its section."""
    from bench import run, urgent

    figures = await urgent.bench(stack, per_client=1, concurrency=2)
    by = {f["figure"]: f for f in figures}
    assert by["urgent_vs_baseline_ratio"]["p50_ratio"] > 0
    assert by["urgent_urgent_report_grant"]["samples"] == 2
    args = argparse.Namespace(argv=["--quick"], only=["urgent"])
    env = {"cpus": 2, "cpu_model": "test", "platform": "test", "python": "3.11", "postgresql": "18",
           "temporal": "temporal", "bytecode_cache": "on", "py_spy": False}
    assert "## 临时救助: report → 先行救助 grant" in run.render(figures, env, args, 1.0)


def test_the_urgent_benchmark_reports_from_a_real_village_of_every_township() -> None:
    """Every township the urgent-path benchmark spreads its reports over gets a village of its own from the
    division code table (``{township}001`` is not a village everywhere: the full run's report got a 422)."""
    from bench.urgent import _village_of
    from domain.divisions import LUFENG_TOWNSHIPS, LUFENG_VILLAGES, township_of

    for township in LUFENG_TOWNSHIPS:
        village = _village_of(township)
        assert village in LUFENG_VILLAGES and township_of(village) == township
