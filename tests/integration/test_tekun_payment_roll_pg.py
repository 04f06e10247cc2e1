"""特困 on the payment roll (S4 Art. 15; S3 Arts. 17, 20, 26): the line shows the basic-living part and the care
part; nothing is paid from the termination's month."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from adapters.db.cases import PgCaseStore
from adapters.db.payments import generate_roll
from adapters.rendering.payment_roll import render_roll_csv, render_roll_html, roll_heading
from domain import commands as c
from domain.commands import AdlItem, TerminationGround
from tests.unit.domain.tekun_support import CASEWORKER, COUNTY_APPROVER, Driver

pytestmark = pytest.mark.asyncio


async def test_s4_art_15_the_roll_shows_both_parts_and_stops_at_the_termination(pg_pool: asyncpg.Pool) -> None:
    d = Driver()
    d.in_payment(failed=(AdlItem.BATHING, AdlItem.TOILETING), form="centralised", institution="jinshan-home")
    await PgCaseStore(pg_pool).record(d.state, d.events)
    # The months of this test lie years ahead of the case's decision (2026-11) and of any other test's rolls.
    roll = await generate_roll(pg_pool, d.state.township_code, "2026-12", "tsa-01")
    line = next(x for x in roll.lines if x.case_id == d.case_id)
    assert line.amount == Decimal("1232.00") and line.program == "tekun"
    assert (line.basic_amount, line.care_amount) == (Decimal("832.00"), Decimal("400.00"))
    html = render_roll_html(roll, roll_heading(roll), d.now.date())
    assert "832.00 / 400.00" in html
    assert "tekun,832.00,400.00" in render_roll_csv(roll).decode("utf-8-sig")

    recorded = len(d.events)
    d.do(CASEWORKER, c.ProposeTermination(ground=TerminationGround.VOLUNTARY_EXIT, reasons=["本人申请退出"]))
    d.do(CASEWORKER, c.StartPublicity(location="敬老院公示栏"))
    d.close_publicity()
    d.do(COUNTY_APPROVER, c.DecideTermination(reasons=["公示无异议"]))
    await PgCaseStore(pg_pool).record(d.state, d.events[recorded:])
    assert d.state.termination_effective_month == "2026-12"
    later = await generate_roll(pg_pool, d.state.township_code, "2027-01", "tsa-01")
    assert d.case_id not in {x.case_id for x in later.lines}
