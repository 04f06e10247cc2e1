"""The PostgreSQL case store: idempotent and order-safe writes."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import asyncpg

from adapters.db.cases import PgCaseStore
from domain.programmes import decide, project
from domain.programmes.dibao.stages import Stage
from tests.builders import application, ctx


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
