"""Audit: replay throughput, replaying and verifying a 10-year case, and the ledger (issue 8, item 5).

``python -m bench.audit [--runs R] [--ledger-entries N] [--appends M] [--years Y]``

- **Replay throughput**: every golden history in ``tests/workflows/histories/*.json`` (loaded once, before
  timing) replayed with today's workflow code through :func:`services.audit.replay.replay_runs` — what
  ``casework audit replay`` and ``GET /v1/cases/{id}/replay`` run — R times; histories/s and events/s of the
  median pass.
- **A 10-year case**: a semi-annual household driven on Temporal's time-skipping server through Y years in
  payment (a review every six months, a reported change every third cycle, a job refusal every fourth, the
  monthly roll lines), as ``test_in_payment.py::test_a_ten_year_case_stays_small_per_run`` does,
  with the production worker writing to a fresh PostgreSQL database (so every decision is also in the ledger).
  Then, R times: fetch every run's history (:func:`services.audit.history.case_histories`), replay them all
  (``replay_runs``) and compare the re-derived decisions with the ledger
  (:func:`services.audit.replay.compare_with_ledger`): seconds for each step, median.
- **Ledger verification**: N decision entries, properly chained with :func:`adapters.audit.chain.seal`, each
  with its event in ``case_events`` (payloads are the 10-year case's real events under synthetic case ids), are
  bulk-loaded with COPY into a fresh database; :func:`adapters.audit.ledger.verify_ledger` is timed R times with
  the chain alone and with every event checked against its entry (``casework audit verify``), and scaled
  linearly to a million entries (it streams: one pass, constant memory).
- **Ledger append**: M single-entry appends through :meth:`adapters.audit.ledger.Ledger.append_now` (a
  transaction each, taking the ledger's advisory lock: what the case store pays per recorded transition) one
  at a time and 16 at a time; entries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from adapters.audit.chain import GENESIS, Algorithm, EntryKind, canonical_json, decision_content, seal
from adapters.audit.ledger import Ledger, NewEntry, verify_ledger
from adapters.db.pool import create_pool
from adapters.temporal.client import sdk_runtime
from bench.common import bench_converter, bench_stack, emit, enable_bytecode_cache, percentiles
from bench.profile import REPLAY_BUCKETS, Profile
from devstack.embedded import temporal_test_server_path
from services.audit.history import case_histories
from services.audit.replay import compare_with_ledger, replay_runs
from tests.databases import migrated_database

HISTORY_DIR = Path(__file__).resolve().parents[1] / "tests" / "workflows" / "histories"
T = TypeVar("T")


async def _median_of(runs: int, call: Callable[[], Awaitable[T]], profile: Profile | None = None
                     ) -> tuple[float, list[float], T]:
    """Median seconds of ``runs`` calls, every run's seconds, and the last result; ``profile`` samples the
    last run (py-spy runs in a process of its own)."""
    times: list[float] = []
    result: Any = None
    for run in range(runs):
        sampler: Any = profile if profile is not None and run == runs - 1 else nullcontext()
        async with sampler:
            start = time.perf_counter()
            result = await call()
            times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def _r(xs: list[float], digits: int = 3) -> list[float]:
    return [round(x, digits) for x in xs]


# --- (a) replay throughput ------------------------------------------------------------------------------


def golden_histories() -> list[tuple[str, WorkflowHistory]]:
    return [(p.stem, WorkflowHistory.from_json(f"case-{p.stem}", p.read_text(encoding="utf-8")))
            for p in sorted(HISTORY_DIR.glob("*.json"))]


async def _replay_with_one_worker(histories: list[tuple[str, WorkflowHistory]]) -> int:
    """The same histories through one *sandboxed* replay worker (``Replayer.workflow_replay_iterator`` with the
    SDK's defaults, as ``tests/workflows/test_replay.py`` gates every golden history) without the decision
    capture: what ``replay_runs`` cost before it left the sandbox (issue 18). Returns how many replayed
    deterministically."""
    from workflows import WORKFLOWS

    async def each() -> AsyncIterator[WorkflowHistory]:
        for _, history in histories:
            yield history

    replayer = Replayer(workflows=WORKFLOWS, data_converter=bench_converter())
    ok = 0
    async with replayer.workflow_replay_iterator(each()) as results:
        async for result in results:
            ok += result.replay_failure is None
    return ok


async def replay_throughput(runs: int, profile: bool = False) -> list[dict[str, Any]]:
    histories = golden_histories()
    events = sum(len(h.events) for _, h in histories)
    await replay_runs(histories[:1])  # warm-up: imports, the sandbox's first module loads
    profiler = Profile("audit_replay") if profile else None
    median, times, (results, rederived) = await _median_of(runs, lambda: replay_runs(histories), profiler)
    one_median, one_times, one_ok = await _median_of(runs, lambda: _replay_with_one_worker(histories))
    out: list[dict[str, Any]] = [{
        "figure": "audit_replay_one_worker", "histories": len(histories), "runs": runs,
        "seconds_median": round(one_median, 3), "seconds_all": _r(one_times),
        "histories_per_s": round(len(histories) / one_median, 1), "events_per_s": round(events / one_median),
        "deterministic": one_ok, "sandboxed": True}]
    if profiler is not None:
        out.append(profiler.figure())
    return [{"figure": "audit_replay_throughput", "histories": len(histories), "events": events, "runs": runs,
            "seconds_median": round(median, 3), "seconds_all": _r(times),
            "histories_per_s": round(len(histories) / median, 1), "events_per_s": round(events / median),
            "deterministic": sum(r.deterministic for r in results), "decisions_rederived": len(rederived)},
            *out]


# --- (b) a 10-year case ---------------------------------------------------------------------------------


async def _drive_ten_year_case(env: WorkflowEnvironment, worker: Any, pool: asyncpg.Pool,
                               years: int) -> uuid.UUID:
    """The 10-year case of tests/workflows/test_in_payment.py, two review cycles a year (no assertions)."""
    from domain import commands as c
    from domain.months import month_after, month_of
    from tests.workflows.lifecycle import CASEWORKER, WINDOW
    from tests.workflows.test_in_payment import (
        china_today,
        decide,
        family,
        in_payment,
        latest,
        monthly_income,
        pay,
        review_ready,
        skip_to,
    )

    case = await in_payment(env, worker, family(3), monthly_income(Decimal("200"), 3, irregular=True))
    case_id = (await case.snap()).state.case_id
    income = Decimal("200")
    for cycle in range(2 * years):
        snap = await (await latest(case)).snap()
        due = snap.state.next_review_due
        if due is None:
            raise RuntimeError(f"the 10-year case has no review due in cycle {cycle}")
        month = month_after(await china_today(env))
        while month_of(due) > month:
            await pay(pool, case_id, snap.state.township_code, snap.state.village_code, month,
                      snap.state.amount_for(month))
            month = month_after(datetime.fromisoformat(month + "-01").date())
        if cycle % 3 == 1:
            income += Decimal("5")
            await (await latest(case)).do(WINDOW, c.ReportChange(declaration=monthly_income(income, 3, True),
                                                                 note="收入变化"))
            await review_ready(case)
            await decide(case)
        if cycle % 4 == 2:
            await (await latest(case)).do(CASEWORKER, c.RecordJobRefusal(member_index=1, offer="保洁岗位",
                                                                         good_reason=True))
        snap = await (await latest(case)).snap()
        await skip_to(env, snap.state.next_review_due or due)
        await review_ready(case)
        await decide(case)
    return case_id


#: Untimed replays of the 10-year case sampled for its profile (one pass is ~0.5 s: 50 Hz needs a few).
PROFILE_PASSES = 8


async def ten_year_case(admin_uri: str, runs: int, years: int, profile: bool = False
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The figure (and with ``profile`` the replay's profile, from untimed passes), and the case's recorded
    event payloads (templates for the ledger benchmark)."""
    from worker.main import build_worker

    dsn = await migrated_database(admin_uri, "casework_bench_audit")
    pool = await create_pool(dsn, min_size=1, max_size=10)
    try:
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=temporal_test_server_path(), data_converter=bench_converter(),
            runtime=sdk_runtime())
        try:
            async with build_worker(env.client, pool, f"bench-audit-{uuid.uuid4()}") as worker:
                start = time.perf_counter()
                case_id = await _drive_ten_year_case(env, worker, pool, years)
                drive_s = time.perf_counter() - start
            steps: dict[str, list[float]] = {"fetch": [], "replay": [], "compare": [], "total": [],
                                             "replay_sandboxed": []}
            report: dict[str, Any] = {}
            for _ in range(runs):
                t0 = time.perf_counter()
                histories = await case_histories(env.client, case_id)
                t1 = time.perf_counter()
                results, rederived = await replay_runs([(h.run_id, h.history) for h in histories],
                                                       data_converter=bench_converter())
                t2 = time.perf_counter()
                comparison = await compare_with_ledger(pool, case_id, rederived)
                t3 = time.perf_counter()
                for key, seconds in (("fetch", t1 - t0), ("replay", t2 - t1), ("compare", t3 - t2),
                                     ("total", t3 - t0)):
                    steps[key].append(seconds)
                t4 = time.perf_counter()  # the same replay in Temporal's sandbox, for comparison (not in the total)
                sandboxed, _ = await replay_runs([(h.run_id, h.history) for h in histories],
                                                 data_converter=bench_converter(), sandboxed=True)
                steps["replay_sandboxed"].append(time.perf_counter() - t4)
                if not all(r.deterministic for r in sandboxed):
                    raise RuntimeError("the 10-year case does not replay in the sandbox")
                report = {"runs_of_case": len(histories),
                          "events": sum(len(h.history.events) for h in histories),
                          "deterministic": all(r.deterministic for r in results),
                          "decisions_rederived": comparison.rederived,
                          "ledger_entries": comparison.ledger_entries,
                          "mismatches": len(comparison.mismatches)}
            profiled: list[dict[str, Any]] = []
            if profile:  # after the timed runs, not part of them
                histories = await case_histories(env.client, case_id)
                profiler = Profile("audit_ten_year_replay", REPLAY_BUCKETS, leaf_first=True)
                profiler.passes = PROFILE_PASSES
                async with profiler:
                    for _ in range(PROFILE_PASSES):
                        await replay_runs([(h.run_id, h.history) for h in histories],
                                          data_converter=bench_converter())
                profiled.append(profiler.figure())
        finally:
            await env.shutdown()
        payloads = [r["payload"] for r in await pool.fetch(
            "SELECT payload FROM case_events WHERE case_id = $1 ORDER BY seq", case_id)]
    finally:
        await pool.close()
    figure = {"figure": "audit_ten_year_case", "years": years, **report, "repeats": runs,
              "drive_seconds": round(drive_s, 1),
              **{f"{k}_seconds_median": round(statistics.median(v), 3) for k, v in steps.items()},
              "total_seconds_all": _r(steps["total"])}
    return [figure, *profiled], payloads


# --- (c) the ledger -----------------------------------------------------------------------------------------

_LEDGER_COLUMNS = ["position", "entry_key", "kind", "case_id", "seq", "actor_id", "actor_role", "recorded_at",
                   "content", "algorithm", "prev_hash", "entry_hash"]
_EVENT_COLUMNS = ["case_id", "seq", "type", "at", "actor_id", "actor_role", "actor_jurisdiction", "payload"]


def _chained(templates: list[dict[str, Any]], n: int, chunk: int = 20_000):  # type: ignore[no-untyped-def]
    """Chunks of (ledger rows, event rows): ``n`` decision entries chained from the genesis, one event each;
    the templates' payloads under a new case id every ``len(templates)`` entries."""
    algorithm = Algorithm.SHA256
    prev = GENESIS
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ledger_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    case_id = uuid.uuid4()
    for i in range(n):
        template = templates[i % len(templates)]
        if i % len(templates) == 0:
            case_id = uuid.uuid4()
        seq = i % len(templates) + 1
        payload = {**template, "case_id": str(case_id), "seq": seq}
        actor = payload.get("actor") or {}
        entry = seal(position=i + 1, entry_key=f"decision:{case_id}:{seq}", kind=EntryKind.DECISION.value,
                     case_id=str(case_id), seq=seq, actor_id=str(actor.get("id")),
                     actor_role=str(actor.get("role")), recorded_at=at + timedelta(milliseconds=i),
                     content=canonical_json(decision_content(payload, algorithm)), algorithm=algorithm,
                     prev_hash=prev)
        prev = entry.entry_hash
        ledger_rows.append((entry.position, entry.entry_key, entry.kind, case_id, seq, entry.actor_id,
                            entry.actor_role, entry.recorded_at, entry.content, entry.algorithm,
                            entry.prev_hash, entry.entry_hash))
        event_rows.append((case_id, seq, str(payload.get("type")), datetime.fromisoformat(str(payload["at"])),
                           entry.actor_id, entry.actor_role, str(actor.get("jurisdiction")),
                           canonical_json(payload)))
        if len(ledger_rows) >= chunk:
            yield ledger_rows, event_rows
            ledger_rows, event_rows = [], []
    if ledger_rows:
        yield ledger_rows, event_rows


async def ledger(admin_uri: str, templates: list[dict[str, Any]], entries: int, appends: int,
                 runs: int, profile: bool = False) -> list[dict[str, Any]]:
    dsn = await migrated_database(admin_uri, "casework_bench_ledger")
    conn = await asyncpg.connect(dsn)  # no JSON codec: COPY sends jsonb as text
    build_s = copy_s = 0.0
    try:
        chunks = _chained(templates, entries)
        while True:
            start = time.perf_counter()
            batch = next(chunks, None)
            build_s += time.perf_counter() - start
            if batch is None:
                break
            start = time.perf_counter()
            await conn.copy_records_to_table("audit_ledger", records=batch[0], columns=_LEDGER_COLUMNS)
            await conn.copy_records_to_table("case_events", records=batch[1], columns=_EVENT_COLUMNS)
            copy_s += time.perf_counter() - start
        await conn.execute("ANALYZE audit_ledger")
        await conn.execute("ANALYZE case_events")
        size = await conn.fetchval("SELECT pg_total_relation_size('audit_ledger')")
    finally:
        await conn.close()
    pool = await create_pool(dsn, min_size=2, max_size=20)
    out: list[dict[str, Any]] = []
    try:
        outcome: dict[str, Any] = {}
        profiler = Profile("audit_ledger_verify_full") if profile else None
        for name, check_events in (("audit_ledger_verify_chain", False), ("audit_ledger_verify_full", True)):
            median, times, result = await _median_of(
                runs, lambda ce=check_events: verify_ledger(pool, check_events=ce),  # type: ignore[misc]
                profiler if check_events else None)
            outcome[name] = result
            out.append({"figure": name, "entries": entries, "runs": runs,
                        "events_checked": result.events_checked,
                        "ok": result.ok, "seconds_median": round(median, 2), "seconds_all": _r(times, 2),
                        "entries_per_s": round(entries / median),
                        "seconds_per_million_entries": round(median * 1_000_000 / entries, 1),
                        "extrapolated": entries != 1_000_000})
        if profiler is not None:
            out.append(profiler.figure())
        out.append({"figure": "audit_ledger_load", "entries": entries, "build_seconds": round(build_s, 1),
                    "copy_seconds": round(copy_s, 1), "ledger_mb": round(size / 1e6, 1),
                    "templates": len(templates)})
        for concurrency in (1, 16):
            ledger_ = Ledger()
            gate = asyncio.Semaphore(concurrency)
            latencies: list[float] = []

            async def one(i: int, c: int = concurrency, lg: Ledger = ledger_, gate: asyncio.Semaphore = gate,
                          latencies: list[float] = latencies) -> None:
                async with gate:
                    began = time.perf_counter()
                    await lg.append_now(pool, [NewEntry(entry_key=f"access:bench:{c}:{i}:{uuid.uuid4()}",
                                                        kind=EntryKind.ACCESS, actor_id="auditor-01",
                                                        actor_role="auditor",
                                                        content={"action": "bench", "i": i})])
                    latencies.append(time.perf_counter() - began)

            start = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(appends)))
            seconds = time.perf_counter() - start
            out.append({"figure": "audit_ledger_append", "concurrency": concurrency, "appends": appends,
                        "ledger_entries_before": entries, "seconds": round(seconds, 2),
                        "entries_per_s": round(appends / seconds, 1), **percentiles(latencies)})
        final = await verify_ledger(pool, check_events=False)
        if not final.ok:
            raise RuntimeError(f"the benchmark ledger does not verify: {final.as_dict()}")
    finally:
        await pool.close()
    return out


async def bench(admin_uri: str, runs: int, entries: int, appends: int, years: int = 10,
                profile: bool = False) -> list[dict[str, Any]]:
    """Every audit figure; ``profile`` adds an untimed replay pass and verification under py-spy."""
    out = await replay_throughput(runs, profile)
    ten_year, payloads = await ten_year_case(admin_uri, runs, years, profile)
    out += ten_year
    out += await ledger(admin_uri, payloads, entries, appends, runs, profile)
    return out


async def _main(args: argparse.Namespace) -> list[dict[str, Any]]:
    async with bench_stack() as stack:
        return await bench(stack.admin_uri, args.runs, args.ledger_entries, args.appends, args.years)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.audit")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ledger-entries", type=int, default=100_000)
    parser.add_argument("--appends", type=int, default=1_000)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    enable_bytecode_cache()
    for figure in asyncio.run(_main(args)):
        emit(figure)


if __name__ == "__main__":
    main()
