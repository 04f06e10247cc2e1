"""Mass recalculation (物价联动): preview over P active cases, apply to N, against bare Updates (issue 8,
item 6).

``python -m bench.recalc [--preview-cases P] [--apply-cases N] [--runs R] [--concurrency C] [--memory]``

The cases: states made by the pure domain (``tests/standard_change_cases.in_payment_state``: the whole S1
procedure through ``decide``) for 28 household shapes (1-4 members, 0-300 yuan a head, three villages in two
townships) plus urban singles at 620 a head whose eligibility the new version ends (1 %); each case is one of
them under a case id of its own. The parameter book adds a version in force since three days ago (rural
standard 375 → 420, urban 640 → 600 yuan per person per month).

- **Preview** over P cases (default 10,000): read-model rows only, in a fresh database (the templates
  recorded by ``PgCaseStore.record`` as the worker records a case, then copied under fresh ids in SQL) — the
  preview reads the read model and computes with the pure domain; no workflow is involved. ``Previewer``
  over ``PgActiveCases.all``, as ``casework standard-change preview`` and the API compute it, R times, median.
- **Apply** to N cases (default 10,000) in a second fresh database: each case's row, and an open
  ``CaseWorkflow`` started from its state (``carried``, as after a continue-as-new:
  ``tests/standard_change_cases.start_in_payment``) on the stack's dev server, served by the production
  worker (``build_worker``, in this process) with the new book. Seeding is reported, not a figure; it goes in
  waves of 50 that each settle (every workflow ran its first task and its ``resolve_parameters`` activity)
  before the next. ``StandardChangeWorkflow`` is then started as ``casework standard-change apply`` starts it
  (batches of 50, C = 16 Updates in flight) and timed from its start to its result, once (a version applies
  once).
- **Bare Updates**: N ``bench.bare.BareUpdateWorkflow`` workflows (seeded the same way, on their own task
  queue and worker in this process), each sent one no-op Update, C in flight, in random order (the apply
  goes in case-id order: random too) — the Temporal floor under a per-case Update at that concurrency.

``recalc_apply_vs_bare_ratio`` = apply seconds per case ÷ bare seconds per case (1.0: no overhead).

Seeding 10,000 open cases costs every case a new sandboxed workflow instance and the dev server (SQLite) a
start, two workflow tasks and an activity before the recalculation even starts — about 17 min here, and half
that again for the bare counterparts — so the apply dominates ``make bench``'s time; ``--recalc-apply-cases``
makes it smaller. Past the worker's cache (1,000 workflows by default) an Update first rebuilds the case's
instance and replays its history; bench/sandbox.py measures that cost.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from adapters.db.active_cases import PgActiveCases
from adapters.db.cases import PgCaseStore
from adapters.db.pool import create_pool
from adapters.parameters import ParameterFile
from bench import bare
from bench.common import CpuMeter, Stack, bench_stack, emit, enable_bytecode_cache, start_dev_server
from bench.profile import Profile
from domain.actors import Actor, Role
from domain.household import AreaType
from domain.kernel.clock import CHINA_TZ
from domain.programmes import CaseState
from domain.standard_change import Previewer, StandardChangePreview
from tests.databases import migrated_database
from tests.standard_change_cases import (
    book_with_version,
    cover_next_year,
    in_payment_state,
    load_book,
    start_in_payment,
)

APPROVER = Actor(id="ca-bench", role=Role.COUNTY_APPROVER, jurisdiction="532302")
VILLAGES = ("532302101001", "532302101007", "532302102001")  # 金山镇 ×2, 碧城镇
SEED_CONCURRENCY = 32
SEED_WAVE = 50


class CountingParameterFile(ParameterFile):
    """The book, counting reads: each ``resolve_parameters`` activity reads it once."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads = 0

    def book(self) -> Any:
        self.reads += 1
        return super().book()


def templates(book_path: Path, effective: date) -> tuple[list[CaseState], CaseState]:
    """28 rural households decided before the new version, and one urban single it makes ineligible."""
    book = load_book(book_path)
    decided = effective - timedelta(days=10)
    rural = [in_payment_state(book, village_code=VILLAGES[i % 3], per_capita_monthly=str(50 * (i % 7)),
                              members=1 + i % 4, decided_on=decided) for i in range(28)]
    crossing = in_payment_state(book, village_code=VILLAGES[0], per_capita_monthly="620", members=1,
                                area_type=AreaType.URBAN, decided_on=decided)
    return rural, crossing


def case_states(n: int, rural: list[CaseState], crossing: CaseState) -> list[CaseState]:
    """N states under fresh case ids; one in a hundred crosses out."""
    return [(crossing if i % 100 == 99 else rural[i % len(rural)]).model_copy(
        update={"case_id": uuid.uuid4()}) for i in range(n)]


async def _gathered(items: list[Any], concurrency: int, call: Any) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Any) -> None:
        async with gate:
            await call(item)

    start = time.perf_counter()
    await asyncio.gather(*(one(item) for item in items))
    return time.perf_counter() - start


async def _until(predicate: Any, limit_s: float, what: str) -> None:
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {limit_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)


async def _waves(items: list[Any], start_one: Any, settled: Any, what: str) -> float:
    """Start the workflows a wave at a time, each wave once the last has settled (``settled()`` counts them):
    a worker handed thousands of new workflows at once lets their first tasks time out (10 s) while it builds
    the instances, and retries them. Returns the seconds spent in the start calls."""
    calls = 0.0
    for i in range(0, len(items), SEED_WAVE):
        wave = items[i:i + SEED_WAVE]
        calls += await _gathered(wave, SEED_CONCURRENCY, start_one)
        done = i + len(wave)
        await _until(lambda n=done: settled() >= n, 180, what)
    return calls


async def preview(pool: asyncpg.Pool, book_path: Path, version: str) -> StandardChangePreview:
    """As the CLI computes it: the active cases of the county from the read model, the book from the file."""
    previewer = Previewer(load_book(book_path), version)
    rows = [r async for case in PgActiveCases(pool).all(within="532302")
            if case.state is not None and (r := previewer.row(case.state)) is not None]
    return previewer.preview(rows)


async def _fresh(admin_uri: str, today: date) -> asyncpg.Pool:
    pool = await create_pool(await migrated_database(admin_uri, "casework_bench_sc"), min_size=2, max_size=20)
    await cover_next_year(pool, today)
    return pool


async def _load_rows(pool: asyncpg.Pool, n: int, rural: list[CaseState], crossing: CaseState) -> None:
    """N read-model rows: the templates recorded as the worker records a case (``PgCaseStore.record``), then
    copied in SQL under fresh case ids (the state's ``case_id`` too): one statement instead of N
    transactions. One row in a hundred is the crossing-out single."""
    store = PgCaseStore(pool)
    for state in [*rural, crossing]:
        await store.record(state, [])
    copies = max(0, n - len(rural) - 1)
    order = [crossing.case_id if i % 100 == 99 else rural[i % len(rural)].case_id for i in range(copies)]
    columns = [r["column_name"] for r in await pool.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'cases' "
        "AND is_generated = 'NEVER' AND column_name NOT IN ('case_id', 'workflow_id', 'state') "
        "ORDER BY ordinal_position")]
    listed = ", ".join(columns)
    await pool.execute(f"""
        INSERT INTO cases (case_id, workflow_id, state, {listed})
        SELECT n.id, 'case-' || n.id, jsonb_set(c.state, '{{case_id}}', to_jsonb(n.id::text)),
               {", ".join(f"c.{col}" for col in columns)}
        FROM (SELECT template, gen_random_uuid() AS id FROM unnest($1::uuid[]) AS template) n
        JOIN cases c ON c.case_id = n.template""", order)  # noqa: S608 - column names from the catalogue
    await pool.execute("ANALYZE cases")


async def _preview_figure(admin_uri: str, cases: int, runs: int, book_path: Path, version: str,
                          effective: date, today: date, profile: bool = False) -> list[dict[str, Any]]:
    pool = await _fresh(admin_uri, today)
    try:
        start = time.perf_counter()
        await _load_rows(pool, cases, *templates(book_path, effective))
        load_s = time.perf_counter() - start
        times: list[float] = []
        result: StandardChangePreview | None = None
        profiler: Any = nullcontext()
        for run in range(runs):
            if profile and run == runs - 1:
                profiler = Profile("recalc_preview")  # the last run, sampled (py-spy runs in its own process)
            async with profiler:
                start = time.perf_counter()
                result = await preview(pool, book_path, version)
                times.append(time.perf_counter() - start)
        assert result is not None
        if result.totals.cases != cases:
            raise RuntimeError(f"the preview saw {result.totals.cases} of {cases} cases")
    finally:
        await pool.close()
    median = statistics.median(times)
    out = [{"figure": "recalc_preview", "cases": cases, "runs": runs, "rows_loaded_seconds": round(load_s, 1),
            "seconds_median": round(median, 2), "seconds_all": [round(t, 2) for t in times],
            "cases_per_s": round(cases / median), "increased": result.totals.increased,
            "crossing_out": result.totals.crossing_out, "monthly_difference": str(result.totals.difference)}]
    if profile:
        out.append({**profiler.figure(), "cases": cases})
    return out


async def bench(stack: Stack, preview_cases: int, apply_cases: int, runs: int, concurrency: int = 16,
                client: Client | None = None, profile: bool = False) -> list[dict[str, Any]]:
    """Every figure; ``client`` is the Temporal server to run on (None: the stack's); ``profile`` samples this
    process with py-spy during the apply (bench/profile.py; 50 Hz, non-blocking)."""
    from worker.main import build_worker
    from workflows.standard_change import (
        StandardChangeProgress,
        StandardChangeWorkflow,
        StandardChangeWorkflowInput,
        standard_change_workflow_id,
    )

    client = client or stack.client
    today = datetime.now(CHINA_TZ).date()
    cases = apply_cases
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="casework-bench-sc-") as tmp:
        version, effective = f"bench-{uuid.uuid4().hex[:6]}", today - timedelta(days=3)
        book_path = book_with_version(Path(tmp) / "book.json", version, effective, rural="420.00",
                                      urban="600.00")
        out += await _preview_figure(stack.admin_uri, preview_cases, runs, book_path, version, effective,
                                     today, profile)
        pool = await _fresh(stack.admin_uri, today)
        try:
            rural, crossing = templates(book_path, effective)
            states = case_states(cases, rural, crossing)
            parameters = CountingParameterFile(book_path)
            task_queue = f"bench-sc-{uuid.uuid4()}"
            bare_queue = f"bench-sc-bare-{uuid.uuid4()}"
            async with build_worker(client, pool, task_queue, parameters), \
                    Worker(client, task_queue=bare_queue, workflows=[bare.BareUpdateWorkflow],
                           activities=[bare.bare_started]):
                # --- seeding (reported, not a figure) ----------------------------------------------------
                meter = CpuMeter()
                start = time.perf_counter()
                await _waves(states, lambda s: start_in_payment(client, pool, s, task_queue),
                             lambda: parameters.reads, "cases settled")
                settle_s = time.perf_counter() - start
                seed_cpu = meter.read()
                meter.mark()
                bare.STARTED["count"] = 0
                bare_ids = [f"bench-bare-update-{uuid.uuid4()}" for _ in range(cases)]
                start = time.perf_counter()
                await _waves(bare_ids, lambda wid: client.start_workflow(
                    bare.BareUpdateWorkflow.run, id=wid, task_queue=bare_queue),
                    lambda: bare.STARTED["count"], "bare workflows started")
                bare_settle_s = time.perf_counter() - start
                bare_seed_cpu = meter.read()
                await asyncio.sleep(1)  # the last workflow tasks after the counted activities complete
                out.append({"figure": "recalc_seed", "cases": cases, "engine_seconds": round(settle_s, 1),
                            "engine_cases_per_s": round(cases / settle_s, 1), "engine_cpu": seed_cpu,
                            "bare_seconds": round(bare_settle_s, 1),
                            "bare_workflows_per_s": round(cases / bare_settle_s, 1),
                            "bare_cpu": bare_seed_cpu})

                # --- bare Updates ------------------------------------------------------------------------
                random.shuffle(bare_ids)
                meter.mark()
                bare_s = await _gathered(bare_ids, concurrency, lambda wid: client.get_workflow_handle(wid)
                                         .execute_update(bare.BareUpdateWorkflow.touch))
                out.append({"figure": "recalc_bare_update", "cases": cases, "concurrency": concurrency,
                            "seconds": round(bare_s, 1), "updates_per_s": round(cases / bare_s, 1),
                            "cpu": meter.read()})

                # --- apply ---------------------------------------------------------------------------------
                meter.mark()
                profiler: Any = Profile("recalc_apply") if profile else nullcontext()
                start = time.perf_counter()
                async with profiler:
                    # As workflows.standard_change.start_standard_change starts it, at the benchmark's
                    # concurrency.
                    handle = await client.start_workflow(
                        StandardChangeWorkflow.run,
                        StandardChangeWorkflowInput(version=version, effective_from=effective, actor=APPROVER,
                                                    concurrency=concurrency),
                        id=standard_change_workflow_id(version), task_queue=task_queue)
                    progress: StandardChangeProgress = await asyncio.wait_for(handle.result(),
                                                                              timeout=120 + cases)
                apply_s = time.perf_counter() - start
                apply_cpu = meter.read()
            totals = progress.totals
            if totals.applied != cases or totals.failed:
                raise RuntimeError(f"the recalculation applied {totals.applied} of {cases} "
                                   f"(failed {totals.failed}: {totals.failures})")
            events = await pool.fetchval(
                "SELECT count(*) FROM case_events WHERE type = 'benefit_recalculated'")
        finally:
            await pool.close()
    out.append({"figure": "recalc_apply", "cases": cases, "batches": progress.batches,
                "batch_size": StandardChangeWorkflowInput.model_fields["batch_size"].default,
                "concurrency": concurrency, "seconds": round(apply_s, 1),
                "cases_per_s": round(cases / apply_s, 2),
                "applied": totals.applied, "reviews_opened": totals.reviews_opened, "failed": totals.failed,
                "recalculations_recorded": events, "cpu": apply_cpu, "old_total": str(totals.old_total),
                "new_total": str(totals.new_total)})
    preview_s = next(f for f in out if f["figure"] == "recalc_preview")["seconds_median"] / preview_cases
    out.append({"figure": "recalc_apply_vs_bare_ratio", "cases": cases,
                "ratio": round(apply_s / bare_s, 2),
                "apply_s_per_case": round(apply_s / cases, 4), "bare_s_per_case": round(bare_s / cases, 4),
                "preview_s_per_case": round(preview_s, 5),
                "apply_vs_preview_per_case": round((apply_s / cases) / preview_s)})
    if profile:
        out.append({**profiler.figure(), "cases": cases, **apply_cpu})
    return out


async def _main(args: argparse.Namespace) -> list[dict[str, Any]]:
    async with bench_stack() as stack:
        if not args.memory:
            return await bench(stack, args.preview_cases, args.apply_cases, args.runs, args.concurrency)
        env = await start_dev_server(None)
        try:
            return await bench(stack, args.preview_cases, args.apply_cases, args.runs, args.concurrency,
                               client=env.client)
        finally:
            await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.recalc")
    parser.add_argument("--preview-cases", type=int, default=10_000)
    parser.add_argument("--apply-cases", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--memory", action="store_true", help="on an in-memory dev server of its own")
    args = parser.parse_args()
    enable_bytecode_cache()
    for figure in asyncio.run(_main(args)):
        emit(figure)


if __name__ == "__main__":
    main()
