"""Driving a case through the procedure in workflow tests: actors and a small command driver."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from temporalio.client import WorkflowHandle

from domain.actors import Actor, Role
from domain.household import Declaration, IncomeItem, IncomeKind
from domain.state import Stage
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
