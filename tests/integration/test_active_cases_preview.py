"""The standard-change preview reads each active case's state as JSON text and validates it in one pass, one
case at a time (adapters/db/active_cases.py, issue 18). Its rows must be exactly those computed from the full
states in memory, and agree with what the domain's own recalculation (``decide``) records — for 低保 (the
household's gap top-up, a crossing out) and 特困 (the amount-only recalculation of both parts; S4 Art. 10), a
特困 person whose termination is being decided included (still paid, S3 Arts. 25-26; migration 0021).
The allowances (高龄津贴, 残疾人两项补贴) have no in-payment recalculation: the preview leaves them out."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import pytest

from adapters.db.active_cases import PgActiveCases
from adapters.db.cases import PgCaseStore
from domain import commands as c
from domain.actors import Actor, Role
from domain.events import BenefitRecalculated
from domain.household import AreaType
from domain.kernel.context import DecisionContext
from domain.parameters import ParameterBook, resolve
from domain.programmes import CaseState, decide, parse_state
from domain.standard_change import Previewer
from tests.builders import BICHENG_VILLAGE, JINSHAN_VILLAGE
from tests.standard_change_cases import book_with_version, in_payment_state, load_book
from domain.programmes.tekun.stages import Stage as TekunStage
from tests.unit.domain.tekun_support import CASEWORKER, Driver

NEW = "532302-test-preview-fast-path"
APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction="532302")


@pytest.fixture
def book(tmp_path: Path) -> ParameterBook:
    return load_book(book_with_version(tmp_path / "book.json", NEW, _effective(), rural="420.00", urban="600.00"))


def _effective() -> date:
    """After the 特困 driver's decision (it decides at its fixed instant), so the version applies to it."""
    tekun = Driver().in_payment()
    return date(tekun.decided_at.year + 1, 1, 1)


def _states(book: ParameterBook, effective: date) -> list[CaseState]:
    decided = date(effective.year - 1, 3, 2)
    dibao = [
        in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="200", members=2, decided_on=decided),
        in_payment_state(book, village_code=BICHENG_VILLAGE, per_capita_monthly="0", members=3, decided_on=decided),
        in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="620", members=1,
                         area_type=AreaType.URBAN, decided_on=decided),  # crosses out under the new version
    ]
    terminating = Driver()
    terminating.in_payment()
    terminating.do(CASEWORKER, c.ProposeTermination(ground=c.TerminationGround.ABLE_SUPPORTER, reasons=["其子返乡"]))
    assert terminating.state.stage is TekunStage.TERMINATION_PROPOSED
    return [*dibao, Driver().in_payment(), terminating.state]


def _recalculation(book: ParameterBook, state: CaseState, effective: date) -> list[object]:
    params = resolve(book, state.village_code, effective)
    ctx = DecisionContext(now=datetime(effective.year, 2, 2, 2, 30, tzinfo=UTC), actor=APPROVER,
                          case_id=state.case_id, params=params)
    return decide(state, c.ApplyStandardChange(version=NEW, effective_from=effective), ctx)


async def test_the_preview_read_from_json_text_equals_the_full_states_and_the_recalculation_s4_art_10(
    fresh_pool: asyncpg.Pool, book: ParameterBook,
) -> None:
    effective = _effective()
    states = sorted(_states(book, effective), key=lambda s: s.case_id)
    store = PgCaseStore(fresh_pool)
    for state in states:
        await store.record(state, [])

    read = [case async for case in PgActiveCases(fresh_pool).all(within="532302", page_size=2)]

    # The states come back whole: the same as the full state, and as validating the decoded dict would give.
    assert [r.state for r in read] == states
    for state in states:
        text = state.model_dump_json()
        assert parse_state(text) == parse_state(json.loads(text)) == state
    fast = Previewer(book, NEW)
    full = Previewer(book, NEW)
    rows = [fast.row(case.state) for case in read if case.state is not None]
    assert rows == [full.row(state) for state in states]
    assert all(row is not None for row in rows) and fast.skipped == []
    programmes = {row.case_id: state.program for row, state in zip(rows, states, strict=True)}
    assert set(programmes.values()) == {"dibao", "tekun"}
    assert "termination_proposed" in {state.stage for state in states}  # listed, previewed and recalculated
    for row, state in zip(rows, states, strict=True):
        assert row is not None
        events = _recalculation(book, state, effective)
        first = events[0]
        assert isinstance(first, BenefitRecalculated), (state.program, first)
        assert (first.old_amount, first.new_amount) == (row.old_amount, row.new_amount)
        assert [e.type for e in events[1:]] == (["ad_hoc_review_opened"] if row.opens_review else [])
    assert any(row.crosses_out for row in rows if row is not None)
