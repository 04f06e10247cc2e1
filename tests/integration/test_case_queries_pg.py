"""The case list read model and its queries against a real PostgreSQL (issue 5).

Each test has a database of its own (the session database holds other tests' cases), so counts are exact.
Cases are made with the pure ``decide`` and then placed in a stage with ``model_copy``, the way the record
activity would store them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from pydantic import ValidationError

from adapters.db.case_queries import (
    CaseQuery,
    InvalidCursor,
    list_cases,
    monthly_caseload,
    overdue_by_township,
    sla_breaches,
    stage_counts,
)
from adapters.db.cases import PgCaseStore
from adapters.db.pool import create_pool
from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.actors import Role
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import DecisionContext
from domain.kernel.state import Deadline
from domain.programmes import all_stages, CaseState, decide, project
from domain.programmes.dibao.stages import Stage
from services.projection import rebuild
from tests.builders import BICHENG, BICHENG_VILLAGE, JINSHAN, JINSHAN_VILLAGE, actor, application
from tests.databases import migrated_database
from tests.standard_change_cases import in_payment_state, load_book

COUNTY = "532302"
RENXING_VILLAGE = "532302102001"


@pytest_asyncio.fixture
async def pool(pg_admin_uri: str) -> AsyncIterator[asyncpg.Pool]:
    dsn = await migrated_database(pg_admin_uri, "casework_q")
    p = await create_pool(dsn, min_size=1, max_size=5)
    try:
        yield p
    finally:
        await p.close()


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=CHINA_TZ) + timedelta(
        hours=hour
    )


def submitted(village: str, opened: datetime) -> CaseState:
    events = decide(
        None,
        application(village, unique=True),
        DecisionContext(now=opened, actor=actor(jurisdiction=village[:9]), case_id=uuid.uuid4()),
    )
    state = project(events)
    assert state is not None
    return state


def moved(state: CaseState, stage: Stage, **update: Any) -> CaseState:
    return state.model_copy(
        update={
            "stage": stage,
            "version": state.version + 1,
            "stage_since": state.opened_at + timedelta(days=1),
            "updated_at": state.opened_at + timedelta(days=1),
            **update,
        }
    )


def overdue_accepted(village: str, opened: datetime) -> CaseState:
    due = opened.date() + timedelta(days=5)
    return moved(
        submitted(village, opened),
        Stage.ACCEPTED,
        deadlines={
            "start_investigation": Deadline(
                step="start_investigation", due=due, calendar_version="t", escalated=True
            )
        },
    )


def county_review(village: str, opened: datetime) -> CaseState:
    due = opened.date() + timedelta(days=20)
    return moved(
        submitted(village, opened),
        Stage.COUNTY_REVIEW,
        deadlines={"county_decision": Deadline(step="county_decision", due=due, calendar_version="t")},
    )


def rejected(village: str, opened: datetime, decided: datetime) -> CaseState:
    return moved(submitted(village, opened), Stage.REJECTED, decided_at=decided)


async def store(pool: asyncpg.Pool, *states: CaseState) -> None:
    for s in states:
        await PgCaseStore(pool).record(s, [])


async def all_pages(pool: asyncpg.Pool, jurisdiction: str, **filters: Any) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    cursor = None
    while True:
        page = await list_cases(pool, jurisdiction, CaseQuery(**filters, cursor=cursor))
        ids += [r.case_id for r in page.rows]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


# --- the projection --------------------------------------------------------------------------------------


async def test_duplicate_and_out_of_order_writes_leave_the_newest_row(pool: asyncpg.Pool) -> None:
    v1 = submitted(JINSHAN_VILLAGE, at("2026-10-01"))
    v2 = moved(
        v1,
        Stage.ACCEPTED,
        deadlines={
            "start_investigation": Deadline(
                step="start_investigation", due=date(2026, 10, 9), calendar_version="t", escalated=True
            )
        },
    )
    v3 = moved(
        v2,
        Stage.INVESTIGATING,
        deadlines={
            "prelim_opinion": Deadline(step="prelim_opinion", due=date(2026, 11, 12), calendar_version="t")
        },
    )

    await store(pool, v1, v3, v2, v1, v3, v2)

    row = await pool.fetchrow("SELECT * FROM cases WHERE case_id = $1", v1.case_id)
    assert row["version"] == 3
    assert row["stage"] == "investigating"
    assert row["pending_step"] == "investigation"
    assert row["pending_roles"] == ["township_approver", "township_caseworker"]
    assert row["pending_due"] == date(2026, 11, 12)
    assert row["overdue"] is False
    assert row["outcome"] is None
    assert row["decided_at"] is None


async def test_decided_cases_carry_their_outcome_and_decision_time(pool: asyncpg.Pool) -> None:
    refused = rejected(JINSHAN_VILLAGE, at("2026-09-10"), at("2026-10-25"))
    paying = in_payment_state(
        load_book(DEFAULT_BOOK), village_code=JINSHAN_VILLAGE, decided_on=date(2026, 10, 20)
    )
    withdrawn = moved(submitted(JINSHAN_VILLAGE, at("2026-09-01")), Stage.WITHDRAWN)
    await store(pool, refused, paying, withdrawn)

    rows = {
        r["case_id"]: r
        for r in await pool.fetch("SELECT case_id, outcome, decided_at, pending_step FROM cases")
    }
    assert rows[refused.case_id]["outcome"] == "rejected"
    assert rows[refused.case_id]["decided_at"] == at("2026-10-25")
    assert rows[refused.case_id]["pending_step"] == "serve_rejection_notice"
    assert rows[paying.case_id]["outcome"] == "approved"
    assert rows[paying.case_id]["decided_at"] == paying.decided_at
    assert rows[paying.case_id]["pending_step"] is None  # in payment: nothing pending
    assert rows[withdrawn.case_id]["outcome"] == "withdrawn"
    assert rows[withdrawn.case_id]["decided_at"] == withdrawn.stage_since


# --- the list ---------------------------------------------------------------------------------------------


async def test_keyset_pagination_returns_every_case_exactly_once(pool: asyncpg.Pool) -> None:
    same_moment = at("2026-10-05")  # ties on opened_at are broken by case_id
    cases = [
        submitted(JINSHAN_VILLAGE, same_moment if i % 3 == 0 else at("2026-10-01") + timedelta(minutes=i))
        for i in range(37)
    ]
    await store(pool, *cases)

    pages = []
    cursor = None
    while True:
        page = await list_cases(pool, JINSHAN, CaseQuery(limit=10, cursor=cursor))
        pages.append(page.rows)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert [len(p) for p in pages] == [10, 10, 10, 7]
    ids = [r.case_id for p in pages for r in p]
    assert sorted(ids) == sorted(s.case_id for s in cases)
    assert len(set(ids)) == 37
    keys = [(r.opened_at, r.case_id) for p in pages for r in p]
    assert keys == sorted(keys, reverse=True)


async def test_a_township_supervisor_never_lists_another_townships_case(pool: asyncpg.Pool) -> None:
    jinshan = [
        submitted(JINSHAN_VILLAGE, at("2026-10-01")),
        overdue_accepted(JINSHAN_VILLAGE, at("2026-10-02")),
    ]
    bicheng = [
        submitted(BICHENG_VILLAGE, at("2026-10-01")),
        overdue_accepted(BICHENG_VILLAGE, at("2026-10-03")),
    ]
    await store(pool, *jinshan, *bicheng)

    assert set(await all_pages(pool, JINSHAN)) == {s.case_id for s in jinshan}
    assert await all_pages(pool, JINSHAN, township_code=BICHENG) == []
    assert await all_pages(pool, JINSHAN, village_code=BICHENG_VILLAGE) == []
    assert await all_pages(pool, JINSHAN, township_code=BICHENG, village_code=JINSHAN_VILLAGE) == []
    assert await all_pages(pool, JINSHAN_VILLAGE, township_code=BICHENG) == []
    # The county sees both, and narrows to one township by filter.
    assert set(await all_pages(pool, COUNTY)) == {s.case_id for s in jinshan + bicheng}
    assert set(await all_pages(pool, COUNTY, township_code=BICHENG)) == {s.case_id for s in bicheng}
    assert await all_pages(pool, "532303", township_code=BICHENG) == []  # another county
    # Reports keep to the jurisdiction too.
    assert [t.township_code for t in await overdue_by_township(pool, JINSHAN)] == [JINSHAN]
    assert sum((await stage_counts(pool, JINSHAN)).values()) == 2


async def test_filters_by_stage_overdue_pending_role_programme_and_dates(pool: asyncpg.Pool) -> None:
    new = submitted(JINSHAN_VILLAGE, at("2026-09-05"))
    late = overdue_accepted(JINSHAN_VILLAGE, at("2026-10-01"))
    county = county_review(JINSHAN_VILLAGE, at("2026-10-02"))
    other_village = submitted("532302101002", at("2026-10-03"))
    await store(pool, new, late, county, other_village)

    def ids(*states: CaseState) -> set[uuid.UUID]:
        return {s.case_id for s in states}

    assert set(await all_pages(pool, JINSHAN, stage=["submitted"])) == ids(new, other_village)
    assert set(await all_pages(pool, JINSHAN, stage=["accepted", "county_review"])) == ids(late, county)
    assert set(await all_pages(pool, JINSHAN, overdue=True)) == ids(late)
    assert set(await all_pages(pool, JINSHAN, overdue=False)) == ids(new, county, other_village)
    assert set(await all_pages(pool, JINSHAN, pending_role="county_approver")) == ids(county)
    assert set(await all_pages(pool, JINSHAN, pending_role="front_office")) == ids(new, other_village)
    assert set(await all_pages(pool, JINSHAN, program="dibao")) == ids(new, late, county, other_village)
    assert set(await all_pages(pool, JINSHAN, village_code="532302101002")) == ids(other_village)
    assert set(
        await all_pages(pool, JINSHAN, opened_from=date(2026, 10, 1), opened_to=date(2026, 10, 2))
    ) == ids(late, county)
    assert set(await all_pages(pool, JINSHAN, opened_to=date(2026, 9, 30))) == ids(new)

    page = await list_cases(pool, JINSHAN, CaseQuery(pending_role="county_reviewer"))
    row = page.rows[0]
    assert row.pending_step == "county_decision"
    assert row.pending_roles == ["county_approver", "county_reviewer"]
    assert row.pending_due == county.deadlines["county_decision"].due
    assert not {"members", "name", "resident_id", "state"} & set(row.model_dump())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("township_code", "53230210"),
        ("village_code", "5323021010x1"),
        ("stage", ["paid"]),
        ("pending_role", "system"),
        ("program", "no_such_programme"),
        ("cursor", "not-a-cursor"),
        ("limit", 201),
        ("limit", 0),
    ],
)
def test_bad_filters_are_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as err:
        CaseQuery(**{field: value})
    assert err.value.errors()[0]["loc"] == (field,)


def test_an_inverted_date_range_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        CaseQuery(opened_from=date(2026, 10, 2), opened_to=date(2026, 10, 1))
    assert err.value.errors()[0]["loc"] == ("opened_to",)


def test_a_forged_cursor_is_refused() -> None:
    from adapters.db.case_queries import decode_cursor

    with pytest.raises(InvalidCursor):
        decode_cursor("eyJvIjogMX0")  # {"o": 1}


# --- reports ----------------------------------------------------------------------------------------------


async def test_reports_count_stages_overdue_and_the_monthly_caseload(pool: asyncpg.Pool) -> None:
    a = submitted(JINSHAN_VILLAGE, at("2026-09-05"))
    e = rejected(JINSHAN_VILLAGE, at("2026-09-10"), at("2026-10-25"))
    b = overdue_accepted(JINSHAN_VILLAGE, at("2026-10-01"))
    cr = county_review(JINSHAN_VILLAGE, at("2026-10-02"))
    d = in_payment_state(load_book(DEFAULT_BOOK), village_code=JINSHAN_VILLAGE, decided_on=date(2026, 10, 20))
    f = submitted(BICHENG_VILLAGE, at("2026-11-01"))
    g = overdue_accepted(BICHENG_VILLAGE, at("2026-11-02"))
    await store(pool, a, e, b, cr, d, f, g)
    assert d.first_payment_month == "2026-11"
    assert d.monthly_amount is not None
    await pool.execute(
        "INSERT INTO payment_rolls (township_code, month, generated_by) VALUES ($1, '2026-11', 't')", JINSHAN
    )
    await pool.execute(
        "INSERT INTO payment_lines (case_id, month, township_code, village_code, amount, household_size,"
        " period_seq) VALUES ($1, '2026-11', $2, $3, $4, 2, 1)",
        d.case_id,
        JINSHAN,
        JINSHAN_VILLAGE,
        d.monthly_amount,
    )

    stages = await stage_counts(pool, COUNTY)
    assert {k: v for k, v in stages.items() if v} == {
        "submitted": 2,
        "rejected": 1,
        "accepted": 2,
        "county_review": 1,
        "in_payment": 1,
    }
    assert set(stages) == set(all_stages())  # every programme's stages (dibao's and 特困's)

    overdue = {
        t.township_code: (t.open_cases, t.overdue_cases) for t in await overdue_by_township(pool, COUNTY)
    }
    # 金山镇 open: submitted, rejected (notice pending), accepted, county review; not the case in payment.
    assert overdue == {JINSHAN: (4, 1), BICHENG: (2, 1)}
    breaches = await sla_breaches(pool, COUNTY)
    assert [(t.township_code, t.by_step) for t in breaches] == [
        (JINSHAN, {"start_investigation": 1}),
        (BICHENG, {"start_investigation": 1}),
    ]

    report = await monthly_caseload(pool, COUNTY, months=3, today=date(2026, 11, 20))
    got = {
        (r.month, r.township_code): (r.opened, r.approved, r.rejected, r.active, r.payment_total)
        for r in report
    }
    zero = (0, 0, 0, 0, Decimal(0))
    assert got == {
        ("2026-09", JINSHAN): (2, 0, 0, 0, Decimal(0)),
        ("2026-10", JINSHAN): (
            3,
            1,
            1,
            0,
            Decimal(0),
        ),  # b, cr and d opened (d on 10-10); d approved, e refused
        ("2026-11", JINSHAN): (0, 0, 0, 1, d.monthly_amount),
        ("2026-09", BICHENG): zero,
        ("2026-10", BICHENG): zero,
        ("2026-11", BICHENG): (2, 0, 0, 0, Decimal(0)),
    }
    assert [r.month for r in report] == sorted(r.month for r in report)
    # A township approver of 碧城镇 sees 碧城镇 only.
    assert {
        r.township_code for r in await monthly_caseload(pool, BICHENG, months=2, today=date(2026, 11, 20))
    } == {BICHENG}


# --- rebuild after DROP (from the recorded events; the workflow rebuild is in tests/workflows) -----------


class _NoWorkflows:
    """A Temporal client whose visibility lists nothing (as after retention removed every closed case)."""

    async def list_workflows(self, query: str) -> AsyncIterator[Any]:
        for _ in ():
            yield _


async def _schema(pool: asyncpg.Pool) -> dict[str, Any]:
    tables = ["cases", "benefit_periods", "case_payees", "payment_lines"]
    columns = await pool.fetch(
        "SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, is_nullable,"
        " column_default FROM information_schema.columns WHERE table_name = ANY($1) ORDER BY 1, 2",
        tables,
    )
    indexes = await pool.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1) ORDER BY 1", tables
    )
    constraints = await pool.fetch(
        "SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint"
        " WHERE conrelid::regclass::text = ANY($1) ORDER BY 1, 2",
        tables,
    )
    return {
        "columns": [dict(r) for r in columns],
        "indexes": [dict(r) for r in indexes],
        "constraints": [dict(r) for r in constraints],
    }


async def test_a_rebuild_after_drop_of_the_tables_reproduces_the_same_rows_and_schema(
    pool: asyncpg.Pool,
) -> None:
    window, caseworker = actor(), actor(role=Role.TOWNSHIP_CASEWORKER, sub="inv-01")
    for i in range(3):
        case_id = uuid.uuid4()
        now = at("2026-10-01") + timedelta(hours=i)
        events = decide(
            None, application(unique=True), DecisionContext(now=now, actor=window, case_id=case_id)
        )
        state = project(events)
        await PgCaseStore(pool).record(state, events)  # type: ignore[arg-type]
        if i:
            more = decide(
                state, c.AcceptApplication(), DecisionContext(now=now, actor=window, case_id=case_id)
            )
            state = project(more, state)
            await PgCaseStore(pool).record(state, more)  # type: ignore[arg-type]
        if i == 2:
            more = decide(
                state,
                c.StartInvestigation(investigators=["inv-01", "inv-02"]),
                DecisionContext(now=now, actor=caseworker, case_id=case_id),
            )
            state = project(more, state)
            await PgCaseStore(pool).record(state, more)  # type: ignore[arg-type]
    schema_before = await _schema(pool)
    rows_before = [dict(r) for r in await pool.fetch("SELECT * FROM cases ORDER BY case_id")]
    assert len(rows_before) == 3

    await pool.execute("DROP TABLE benefit_periods, cases CASCADE")
    report = await rebuild(pool, _NoWorkflows())  # type: ignore[arg-type]

    assert report.schema_recreated
    assert (report.cases, report.from_events, report.failed) == (3, 3, 0)
    assert [dict(r) for r in await pool.fetch("SELECT * FROM cases ORDER BY case_id")] == rows_before
    assert await _schema(pool) == schema_before
