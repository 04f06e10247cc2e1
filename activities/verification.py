"""The information check (信息核对, S1 Art. 17) as an activity: find the members' records, compare."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import structlog
from pydantic import BaseModel, Field
from temporalio import activity

from adapters.db.economic_records import EconomicRecordsPort
from domain.household import MAX_MEMBERS, Declaration, Member
from domain.verification import InfoCheckReport, compare_declaration

log = structlog.get_logger(__name__)


class InfoCheckInput(BaseModel):
    """What the county checks: the household's members and its declaration (S1 Arts. 9, 17).

    ``tolerance`` is the yuan by which found income may exceed declared income before it counts as a
    discrepancy (a LOCAL PARAMETER; see :func:`domain.verification.compare_declaration`).
    """

    members: Annotated[list[Member], Field(min_length=1, max_length=MAX_MEMBERS)]
    declaration: Declaration = Declaration()
    tolerance: Annotated[Decimal, Field(ge=0)] = Decimal("0")


class VerificationActivities:
    """Runs information checks against the departmental records (S1 Art. 17; SPEC §3.3 row 7).

    Reading records and comparing have no side effects, so Temporal may retry ``run_info_check`` freely; a
    retry after a newer extract was imported sees the newer records, and the report's ``batches`` says which.

    Args:
        records: the economic-records port (not owned: this class never closes it).
    """

    def __init__(self, records: EconomicRecordsPort) -> None:
        self._records = records

    @activity.defn(name="run_info_check")
    async def run_info_check(self, inp: InfoCheckInput) -> InfoCheckReport:
        """Find every member's records and compare them with the declaration.

        Args:
            inp: the members and the declaration.

        Returns:
            The check report (核对报告).
        """
        records = await self._records.find([m.resident_id for m in inp.members])
        report = compare_declaration(inp.members, inp.declaration, records, tolerance=inp.tolerance)
        # Counts and batch ids only: never resident IDs, amounts or kinds of a named household.
        log.info(
            "info_check.completed",
            members=len(inp.members),
            records_used=report.records_used,
            batches=report.batches,
            discrepancies=len(report.discrepancies),
            members_without_records=len(report.members_without_records),
        )
        return report
