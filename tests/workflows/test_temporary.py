"""临时救助 through the real workflow, PostgreSQL and Temporal: 先行救助 paid from the township's reserve fund
(S8 §二(二), §三(三); S5 item 15), never below zero, exactly once; staged instalments on their months' rolls."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import asyncpg
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.db import reserve_funds
from domain import commands as c
from domain.actors import Actor, Role
from domain.household import AreaType, Member, Program, Relation
from domain.programmes.temporary.stages import Stage
from domain.temporary import ReportSource, Severity, TemporaryCause, TemporaryRequest, TemporaryType
from tests.builders import unique_resident_id
from tests.workflows.helpers import start_case, wait_for_case_row
from tests.workflows.lifecycle import Case

CAIYUN = "532302109"
VILLAGE = "532302109001"
APPROVER = Actor(id="tsa-09", role=Role.TOWNSHIP_APPROVER, jurisdiction=CAIYUN)
CASEWORKER = Actor(id="inv-09", role=Role.TOWNSHIP_CASEWORKER, jurisdiction=CAIYUN)
COUNTY = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction="532302")


def urgent_report(village: str = VILLAGE) -> c.SubmitApplication:
    return c.SubmitApplication(
        program=Program.TEMPORARY, village_code=village, area_type=AreaType.RURAL,
        members=[Member(name="测试丙", resident_id=unique_resident_id(1975), relation=Relation.APPLICANT)],
        temporary=TemporaryRequest(kind=TemporaryType.EMERGENCY, cause=TemporaryCause.FIRE, severity=Severity.MAJOR,
                                   situation="夜间房屋失火", urgent=ReportSource.HOTLINE))


async def _urgent_case(env: WorkflowEnvironment, worker: Worker, pool: asyncpg.Pool) -> Case:
    case_id = uuid.uuid4()
    handle = await start_case(env.client, worker, case_id=case_id, who=CASEWORKER, app=urgent_report())
    await wait_for_case_row(pool, case_id)
    return Case(handle)


@pytest.mark.asyncio
async def test_s8_3_3_concurrent_urgent_grants_of_one_township_exactly_the_affordable_ones_succeed(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """The reserve fund never goes below zero (S8 §三(三)): 1,500 yuan, five grants of 600 at once — two are
    paid, three are refused with 409's code and nothing on their cases; each refusal is on the county's list."""
    await reserve_funds.replenish(pg_pool, township_code=CAIYUN, amount=Decimal("1500.00"), actor=COUNTY,
                                  reason="县级拨付备用金", idempotency_key=f"t-{uuid.uuid4()}")
    cases = await asyncio.gather(*(_urgent_case(ts_env, ts_worker, pg_pool) for _ in range(5)))

    async def grant(case: Case) -> str:
        try:
            await case.do(APPROVER, c.GrantUrgentAssistance(amount=Decimal("600.00"), reason="火灾先行救助"))
        except WorkflowUpdateFailedError as err:
            assert isinstance(err.cause, ApplicationError)
            return err.cause.type or "failed"
        return "granted"

    outcomes = await asyncio.gather(*(grant(case) for case in cases))
    assert sorted(outcomes) == ["granted", "granted", "reserve_fund_insufficient", "reserve_fund_insufficient",
                                "reserve_fund_insufficient"]
    assert await reserve_funds.balance(pg_pool, CAIYUN) == Decimal("300.00")
    stages = [(await case.snap()).state.stage for case in cases]
    assert sorted(stages) == sorted([Stage.URGENT_GRANTED] * 2 + [Stage.URGENT_REPORTED] * 3)
    moves = await reserve_funds.movements(pg_pool, CAIYUN)
    grants = [m for m in moves if m.kind == "urgent_grant"]
    assert len(grants) == 2 and all(m.amount == Decimal("-600.00") and m.actor_id == APPROVER.id for m in grants)
    assert len([s for s in await reserve_funds.shortfalls(pg_pool, CAIYUN)]) == 3
    # a replenishment lets a refused grant through; its draw is keyed by the case and seq, so a retry never
    # draws twice
    await reserve_funds.replenish(pg_pool, township_code=CAIYUN, amount=Decimal("600.00"), actor=COUNTY,
                                  reason="补充备用金", idempotency_key=f"t-{uuid.uuid4()}")
    refused = [case for case, s in zip(cases, stages, strict=True) if s is Stage.URGENT_REPORTED][0]
    await refused.do(APPROVER, c.GrantUrgentAssistance(amount=Decimal("600.00"), reason="火灾先行救助"))
    state = (await refused.snap()).state
    again = await reserve_funds.draw(pg_pool, township_code=CAIYUN, case_id=state.case_id,
                                     case_seq=state.urgent_grant_seq, amount=Decimal("600.00"), actor=APPROVER,
                                     reason="重试")
    assert again.drawn and await reserve_funds.balance(pg_pool, CAIYUN) == Decimal("300.00")
