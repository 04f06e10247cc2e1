"""The PostgreSQL case store: idempotent and order-safe writes."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import asyncpg
import pytest

from adapters.db.cases import MemberAlreadyInCase, PgCaseMembers, PgCaseStore
from domain import commands as cmd
from domain.kernel.context import SYSTEM_ACTOR
from domain.programmes import decide, project
from domain.programmes.dibao.stages import Stage
from tests.builders import application, ctx, unique_resident_id
from tests.unit.domain import dynamic_support as dynamic


async def test_recording_a_submission_writes_the_case_row_and_its_event(pg_pool: asyncpg.Pool) -> None:
    store = PgCaseStore(pg_pool)
    c = ctx()
    events = decide(None, application(), c)
    state = project(events)
    assert state is not None

    await store.record(state, events)

    row = await store.get_case(c.case_id)
    assert row is not None
    assert row["stage"] == "submitted"
    assert row["township_code"] == "532302101"
    assert row["household_size"] == 2
    assert row["workflow_id"] == f"case-{c.case_id}"
    stored = await store.get_events(c.case_id)
    assert [(e["seq"], e["type"]) for e in stored] == [(1, "application_submitted")]
    assert stored[0]["payload"]["actor"] == {"id": "window-01", "role": "front_office", "jurisdiction": "532302101"}
    assert "S1 Art. 4" in stored[0]["payload"]["legal_basis"]


async def test_a_retried_write_changes_nothing(pg_pool: asyncpg.Pool) -> None:
    store = PgCaseStore(pg_pool)
    c = ctx()
    events = decide(None, application(), c)
    state = project(events)
    assert state is not None

    await store.record(state, events)
    await store.record(state, events)

    assert len(await store.get_events(c.case_id)) == 1
    assert (await store.get_case(c.case_id))["version"] == 1  # type: ignore[index]


async def test_a_step_decided_again_at_another_instant_writes_nothing_and_gets_the_recorded_events_back(
    pg_pool: asyncpg.Pool,
) -> None:
    """Issue 18: a local ``record_case`` committed, then its workflow task was lost (worker killed -9); the next
    task decides the same step again at its own instant (``at`` differs). Nothing is written twice or
    differently — events, case row and ledger stay as first recorded — and the store hands back the recorded
    events for the case to adopt; the same write again is a plain no-op (None)."""
    store = PgCaseStore(pg_pool)
    c = ctx(case_id=uuid4())
    submitted = decide(None, application(), c)
    state = project(submitted)
    assert state is not None
    assert await store.record(state, submitted) is None
    first = decide(state, cmd.AcceptApplication(), c)
    after_first = project(first, state)
    assert after_first is not None
    assert await store.record(after_first, first) is None
    row_before = await store.get_case(c.case_id)
    ledger_before = await pg_pool.fetch("SELECT entry_key, entry_hash FROM audit_ledger ORDER BY position")

    later = ctx(case_id=c.case_id, now=c.now + timedelta(seconds=7))
    again = decide(state, cmd.AcceptApplication(), later)
    assert [e.seq for e in again] == [e.seq for e in first] and again != first
    after_again = project(again, state)
    assert after_again is not None

    assert await store.record(after_again, again) == first
    assert await store.record(after_first, first) is None  # a plain retry of the first write
    assert [e["payload"]["at"] for e in await store.get_events(c.case_id)][1:] == [
        e.model_dump(mode="json")["at"] for e in first]
    assert await store.get_case(c.case_id) == row_before
    assert await pg_pool.fetch("SELECT entry_key, entry_hash FROM audit_ledger ORDER BY position") == ledger_before


async def test_an_older_write_arriving_late_never_moves_the_case_backwards(pg_pool: asyncpg.Pool) -> None:
    store = PgCaseStore(pg_pool)
    c = ctx(case_id=uuid4())
    events = decide(None, application(), c)
    v1 = project(events)
    assert v1 is not None
    v2 = v1.model_copy(
        update={"version": 2, "stage": Stage.ACCEPTED, "stage_since": v1.updated_at + timedelta(hours=1)}
    )

    await store.record(v2, [])
    await store.record(v1, events)

    row = await store.get_case(c.case_id)
    assert row is not None
    assert (row["version"], row["stage"]) == (2, "accepted")
    assert len(await store.get_events(c.case_id)) == 1


async def test_a_stopping_case_keeps_its_members_until_it_exits(pg_pool: asyncpg.Pool) -> None:
    """S1 Art. 32; one active dibao case per person: a stop decided from next month leaves the case in payment
    (``stopping``), so its members are still in an active case — a new application naming them is refused —
    until the case exits (its month begun, its notice served); then they are released."""
    [elder], declaration = dynamic.single_elder()
    alone = elder.model_copy(update={"resident_id": unique_resident_id(1950)})  # unique in the session's database
    case = dynamic.in_payment([alone], declaration, case_id=uuid4())
    store, claims = PgCaseStore(pg_pool), PgCaseMembers(pg_pool)
    resident_id = case.state.members[0].resident_id
    await claims.claim(case.state.case_id, "dibao", [resident_id], actor_id="window-01", request_sha256="a" * 64)
    case.on(date(2027, 4, 15))
    case.do(dynamic.COUNTY_APPROVER, cmd.StopBenefit(reason_code=cmd.StopReason.VOLUNTARY_EXIT,
                                                     reasons=["本人申请退出"]))
    case.on(date(2027, 4, 16))
    case.do(dynamic.CASEWORKER, cmd.ServeStopNotice())
    await store.record(case.state, case.events)

    with pytest.raises(MemberAlreadyInCase) as still:
        await claims.claim(uuid4(), "dibao", [resident_id], actor_id="window-01", request_sha256="b" * 64)
    assert still.value.case_id == case.state.case_id

    case.on(date(2027, 5, 1), 0)
    exited = case.do(SYSTEM_ACTOR, cmd.CompleteExit())
    await store.record(case.state, exited)

    assert (await store.get_case(case.state.case_id))["stage"] == "exited"  # type: ignore[index]
    await claims.claim(uuid4(), "dibao", [resident_id], actor_id="window-01", request_sha256="c" * 64)
