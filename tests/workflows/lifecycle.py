"""Driving a case through the procedure in workflow tests: actors and a small command driver."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain import commands as c
from domain.actors import Actor, Role
from domain.household import Declaration, IncomeItem, IncomeKind
from domain.programmes.dibao.stages import Stage
from workflows.case import CaseSnapshot, CaseWorkflow, CommandInput, CommandResult

WINDOW = Actor(id="window-01", role=Role.FRONT_OFFICE, jurisdiction="532302101")
CASEWORKER = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction="532302101")
TOWNSHIP_APPROVER = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction="532302101")
COUNTY_REVIEWER = Actor(id="cr-01", role=Role.COUNTY_REVIEWER, jurisdiction="532302")
COUNTY_APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction="532302")
TEAM = ["inv-01", "inv-02"]


def income_per_capita(monthly: Decimal, members: int, months: int = 12) -> Declaration:
    """A declaration whose countable per-capita monthly income is ``monthly`` (net business income)."""
    return Declaration(income=[IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=monthly * members * months)])


@dataclass
class Case:
    handle: WorkflowHandle[CaseWorkflow, CaseSnapshot]

    async def do(self, actor: Actor, command: object) -> CommandResult:
        return await self.handle.execute_update(CaseWorkflow.execute, CommandInput(actor=actor, command=command))

    async def snap(self) -> CaseSnapshot:
        return await self.handle.query(CaseWorkflow.snapshot)

    async def wait_stage(self, stage: Stage, timeout: float = 20) -> CaseSnapshot:
        async with asyncio.timeout(timeout):
            while (s := await self.snap()).state.stage is not stage:
                await asyncio.sleep(0.05)
        return s


HOME_VISIT = c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户核实家庭收入和财产")
NO_DISPUTE = c.DecideVillageReview(disputed=False, reason="无争议")


async def investigate(case: Case) -> None:
    """受理, a team of two starts the investigation, one home visit, the information check."""
    await case.do(WINDOW, c.AcceptApplication())
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, HOME_VISIT)
    await case.do(CASEWORKER, c.RequestInfoCheck())


async def to_publicity(case: Case) -> None:
    """Investigated, undisputed, an 'eligible' 初审意见 posted for 公示 today (day 1 of 7)."""
    await investigate(case)
    await case.do(TOWNSHIP_APPROVER, NO_DISPUTE)
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))


async def to_county_review(env: WorkflowEnvironment, case: Case) -> None:
    """Through a 公示 without objection into the county's review (time skipped past the window)."""
    await to_publicity(case)
    await env.sleep(timedelta(days=8))
    await case.wait_stage(Stage.SUBMITTED_TO_COUNTY)
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())


async def to_payment(env: WorkflowEnvironment, case: Case) -> CommandResult:
    """The whole S1 procedure without dispute, through approval and 公布 into payment."""
    await to_county_review(env, case)
    await case.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    return await case.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
