"""Activities of the daily catch-up of 高龄津贴's own timers (issue 17 item 4): find the cases with a band move or
a missed survival check due, and send each its ``catch_up_timers`` Update.

The case workflow is the only writer of a case, and the Update is idempotent twice over: its id
``catch-up-<day>`` makes Temporal answer a repeat within a run with the first outcome, and its handler decides
only what is still due (the case's own timer may have come first: then nothing changes). So a retried batch,
two catch-ups at once, or a catch-up racing the case's timer is harmless. Case ids and counts only in logs.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated
from uuid import UUID

import asyncpg
import structlog
from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.client import Client

from activities.review_sweep import _heartbeating
from adapters.db.allowance_catch_up import due_catch_ups
from services.cases import CaseGateway
from workflows.models import AllowanceCatchUpCounts, CatchUpInput

log = structlog.get_logger(__name__)


class FindCatchUpsInput(BaseModel):
    as_of: date
    #: The last case id of the previous page; None for the first page.
    after: UUID | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 200


class CatchUpBatchInput(BaseModel):
    as_of: date
    case_ids: list[UUID]
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    #: A case that does not answer in time counts as failed; the next day's catch-up finds it again.
    update_timeout_seconds: Annotated[float, Field(gt=0)] = 60.0


def catch_up_update_id(as_of: date) -> str:
    """The Update id of one day's catch-up of a case (one per case and day)."""
    return f"catch-up-{as_of.isoformat()}"


class AllowanceCatchUpActivities:
    """Pages through the read model and catches each case up through its own workflow.

    Args:
        pool: the application database (not owned).
        client: the worker's Temporal client, for the case workflows' Updates (not owned).
    """

    def __init__(self, pool: asyncpg.Pool, client: Client) -> None:
        self._pool = pool
        self._gateway = CaseGateway(client)

    @activity.defn(name="find_allowance_catch_ups")
    async def find_allowance_catch_ups(self, inp: FindCatchUpsInput) -> list[UUID]:
        return await due_catch_ups(self._pool, inp.as_of, inp.after, inp.limit)

    @activity.defn(name="catch_up_allowances")
    async def catch_up_allowances(self, inp: CatchUpBatchInput) -> AllowanceCatchUpCounts:
        """Send each case its Update, a few at a time; one case's failure never aborts the batch."""
        counts = AllowanceCatchUpCounts(found=len(inp.case_ids))
        gate = asyncio.Semaphore(inp.concurrency)

        async def one(case_id: UUID) -> None:
            async with gate:
                outcome = await self._one(case_id, inp.as_of, inp.update_timeout_seconds)
            setattr(counts, outcome, getattr(counts, outcome) + 1)

        async with _heartbeating(lambda: counts.caught_up + counts.nothing_due + counts.failed):
            await asyncio.gather(*(one(case_id) for case_id in inp.case_ids))
        log.info("allowance_catch_up.batch_done", **counts.model_dump())
        return counts

    async def _one(self, case_id: UUID, as_of: date, wait: float) -> str:
        try:
            async with asyncio.timeout(wait):
                result = await self._gateway.catch_up_timers(case_id, CatchUpInput(as_of=as_of),
                                                             update_id=catch_up_update_id(as_of))
        # One case's failure (gone, closed, refusing, not answering) must not cost the others their catch-up.
        except Exception as err:  # noqa: BLE001
            log.warning("allowance_catch_up.failed", case_id=str(case_id), error=type(err).__name__)
            return "failed"
        return "caught_up" if result.recorded else "nothing_due"
