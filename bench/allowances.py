"""高龄津贴 volume (issue 17 item 4): proactive enrolment of N people against bare Temporal starts, and the monthly
payment roll for M allowance cases.

``python -m bench.allowances [--enrol-cases N] [--roll-cases M]`` (``make bench`` runs it as section
``allowances`` with ``--allowance-enrol-cases`` / ``--allowance-roll-cases``).

- **Enrolment**: N people of 80 and over in a hukou extract (``services.enrolment.enrol``, as ``casework enrol
  old-age`` runs it: batches of 500, 16 starts in flight, members claimed, search attributes set), timed from the
  call until every case's first record is in the read model (the workflow ran, resolved its parameters, set its
  confirmation limit with the calendar and recorded it). **Bare starts**: N ``bench.bare.BareUpdateWorkflow``
  starts (the same concurrency) timed until each ran its first task and its local no-op activity
  (``bare_started``) — the Temporal floor under a case start. ``allowance_enrol_vs_bare_ratio`` = enrolment
  seconds ÷ bare seconds.
- **Monthly roll**: M 高龄津贴 cases in payment in one township, recorded in the read model as the worker records
  them (``PgCaseStore.record``, states made by the pure domain: enrolment and confirmation through ``decide``);
  ``adapters.db.payments.generate_roll`` for next month timed once (one line per case), then a second call timed
  (nothing to add: the idempotent top-up).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from temporalio.worker import Worker

from adapters.db.cases import PgCaseStore
from adapters.db.payments import generate_roll
from adapters.parameters import ParameterFile
from bench import bare
from bench.common import Stack, bench_stack, emit
from domain import commands as c
from domain.actors import Role
from domain.household import Member, Program, Relation
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.months import month_after
from domain.parameters import resolve
from domain.programmes import decide, project
from services.enrolment import CONCURRENCY as ENROL_CONCURRENCY
from services.enrolment import HukouRow, enrol, id_key
from tests.builders import JINSHAN, JINSHAN_VILLAGE, actor, unique_resident_id

#: The bare starts run as many in flight as the enrolment does (a fair baseline).
CONCURRENCY = ENROL_CONCURRENCY


async def _until_recorded(stack: Stack, ids: list[uuid.UUID], limit_s: float) -> None:
    async with asyncio.timeout(limit_s):
        query = "SELECT count(*) FROM cases WHERE case_id = ANY($1::uuid[])"
        while await stack.pool.fetchval(query, ids) < len(ids):  # noqa: ASYNC110 - polls the read model
            await asyncio.sleep(0.2)


async def bench_enrolment(stack: Stack, n: int) -> list[dict[str, Any]]:
    from services.enrolment import case_id_for

    source = f"bench {uuid.uuid4().hex[:8]}"
    rows = [HukouRow(resident_id=unique_resident_id(1930 + i % 15), name="测试", village_code=JINSHAN_VILLAGE)
            for i in range(n)]
    book = ParameterFile(stack.settings.parameters_file).book()
    started = time.perf_counter()
    key = id_key(stack.settings.effective_enrolment_key_file)
    counts = await enrol(stack.pool, stack.client, stack.settings.temporal_task_queue, book, rows, source,
                         datetime.now(UTC), key=key)
    await _until_recorded(stack, [case_id_for(r.resident_id, source, key) for r in rows], limit_s=60 + n)
    engine_s = time.perf_counter() - started
    queue = f"bench-bare-{uuid.uuid4()}"
    async with Worker(stack.client, task_queue=queue, workflows=[bare.BareUpdateWorkflow],
                      activities=[bare.bare_started]):
        gate = asyncio.Semaphore(CONCURRENCY)
        handles: list[Any] = []

        async def start(i: int) -> None:
            async with gate:
                handles.append(await stack.client.start_workflow(bare.BareUpdateWorkflow.run, id=f"bare-{queue}-{i}",
                                                                 task_queue=queue))

        started = time.perf_counter()
        await asyncio.gather(*(start(i) for i in range(n)))
        for h in handles:  # each ran its first task and the local activity: the history shows the marker
            async with asyncio.timeout(60):
                while len((await h.fetch_history()).events) < 5:  # noqa: ASYNC110 - polls the history
                    await asyncio.sleep(0.1)
        bare_s = time.perf_counter() - started
        for h in handles:
            await h.terminate()
    return [
        {"figure": "allowance_enrolment", "people": n, "opened": counts.get("proposed", 0),
         "seconds": round(engine_s, 2), "cases_per_s": round(n / engine_s, 1), "concurrency": CONCURRENCY},
        {"figure": "allowance_bare_starts", "workflows": n, "seconds": round(bare_s, 2),
         "starts_per_s": round(n / bare_s, 1)},
        {"figure": "allowance_enrol_vs_bare_ratio", "ratio": round(engine_s / bare_s, 2)},
    ]


def _in_payment(now: datetime) -> Any:
    """A 高龄津贴 case found and confirmed today, through the pure domain."""
    case_id = uuid.uuid4()
    member = Member(name="测试", resident_id=unique_resident_id(1935), relation=Relation.APPLICANT)
    params = resolve(ParameterFile().book(), JINSHAN_VILLAGE, now.date())
    state = project(decide(None, c.ProposeEnrolment(program=Program.OLD_AGE_ALLOWANCE, village_code=JINSHAN_VILLAGE,
                                                    member=member, band_min_age=80, source="bench"),
                           DecisionContext(now=now, actor=SYSTEM_ACTOR, case_id=case_id)))
    township = actor(Role.TOWNSHIP_APPROVER, sub="ta-bench")
    return project(decide(state, c.ConfirmAllowance(note="确认"),
                          DecisionContext(now=now, actor=township, case_id=case_id, params=params)), state)


async def bench_roll(stack: Stack, m: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    store = PgCaseStore(stack.pool)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def seed(_: int) -> None:
        async with gate:
            await store.record(_in_payment(now), [])

    started = time.perf_counter()
    await asyncio.gather(*(seed(i) for i in range(m)))
    seeding_s = time.perf_counter() - started
    month = month_after(now.astimezone(CHINA_TZ).date())
    started = time.perf_counter()
    roll = await generate_roll(stack.pool, JINSHAN, month, "bench")
    roll_s = time.perf_counter() - started
    started = time.perf_counter()
    again = await generate_roll(stack.pool, JINSHAN, month, "bench")
    again_s = time.perf_counter() - started
    return [{"figure": "allowance_monthly_roll", "cases": m, "lines": roll.added, "seconds": round(roll_s, 2),
             "top_up_seconds": round(again_s, 2), "top_up_added": again.added, "seeding_seconds": round(seeding_s, 1)}]


async def bench(stack: Stack, enrol_cases: int | None, roll_cases: int | None) -> list[dict[str, Any]]:
    return [*await bench_enrolment(stack, enrol_cases or 10_000), *await bench_roll(stack, roll_cases or 50_000)]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.allowances")
    parser.add_argument("--enrol-cases", type=int, default=10_000)
    parser.add_argument("--roll-cases", type=int, default=50_000)
    args = parser.parse_args()

    async def run() -> None:
        async with bench_stack() as stack:
            for figure in await bench(stack, args.enrol_cases, args.roll_cases):
                emit(figure)

    asyncio.run(run())


if __name__ == "__main__":
    main()
