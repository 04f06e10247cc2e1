"""Activities of the daily review sweep: find due-but-unopened periodic reviews, open them, report.

Opening goes through each case's own workflow (the ``open_periodic_review`` Update), never around it: the
case workflow is the only writer of a case. The Update is idempotent twice over: its id ``review-<due>`` makes
Temporal answer a repeat within a run with the first outcome, and its handler opens nothing that is open
already or not yet due. So a retried batch, two sweeps at once, or a sweep racing the case's own timer is
harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Annotated
from uuid import UUID

import structlog
from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.client import Client

from adapters.db.review_sweep import FIRST_PAGE, ReviewSweepQueries
from services.cases import CaseGateway
from workflows.models import PeriodicReviewInput

log = structlog.get_logger(__name__)

#: How often a running batch reports that it is alive (well inside the workflow's heartbeat timeout).
HEARTBEAT_EVERY = timedelta(seconds=5)


class DueReview(BaseModel):
    """A case whose periodic review is due and, by the read model, not open yet."""

    case_id: UUID
    due: date


class FindDueReviewsInput(BaseModel):
    as_of: date
    #: The last case id of the previous page; None for the first page.
    after: UUID | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


class DueReviewsPage(BaseModel):
    items: list[DueReview]


class OpenDueReviewsInput(BaseModel):
    items: list[DueReview]
    #: Updates in flight at once (each is a round trip to a case workflow and a PostgreSQL write there).
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    #: How long to wait for one case (a case whose workers are down would otherwise hold the batch forever);
    #: a case that times out counts as failed and is found again by the next sweep.
    update_timeout_seconds: Annotated[float, Field(gt=0)] = 60.0


class OpenDueReviewsResult(BaseModel):
    """How a batch went, case by case (one failure never aborts the batch)."""

    opened: int = 0
    already_open: int = 0
    not_due: int = 0
    #: The read model said in payment, the case says otherwise (stopped or suspended since; the row lags).
    not_in_payment: int = 0
    failed: int = 0


class OverdueReviewsInput(BaseModel):
    as_of: date


class OverdueReviewsResult(BaseModel):
    #: Open reviews with an escalated deadline still open, per township code (current state).
    overdue_by_township: dict[str, int] = {}
    #: Reviews due on or before ``as_of`` still unopened, per township code.
    due_unopened_by_township: dict[str, int] = {}


def review_update_id(due: date) -> str:
    """The Update id of opening the periodic review due on ``due`` (one per case and due date)."""
    return f"review-{due.isoformat()}"


class ReviewSweepActivities:
    """Finds due periodic reviews in the read model and opens them through the case workflows.

    Args:
        queries: the read-model queries (not owned).
        client: the worker's Temporal client, for Updates to the case workflows (not owned).
    """

    def __init__(self, queries: ReviewSweepQueries, client: Client) -> None:
        self._queries = queries
        self._gateway = CaseGateway(client)

    @activity.defn(name="find_due_reviews")
    async def find_due_reviews(self, inp: FindDueReviewsInput) -> DueReviewsPage:
        """One keyset page of cases in payment whose review fell due on or before ``as_of``."""
        rows = await self._queries.due_unopened(inp.as_of, inp.after or FIRST_PAGE, inp.limit)
        return DueReviewsPage(items=[DueReview(case_id=r.case_id, due=r.next_review_due) for r in rows])

    @activity.defn(name="open_due_reviews")
    async def open_due_reviews(self, inp: OpenDueReviewsInput) -> OpenDueReviewsResult:
        """Open each listed review through its case's Update, a few at a time; count the outcomes.

        A case that fails (its workflow is gone, closed, rejects the command, or does not answer in time) is
        counted and logged by case id; the others go on. Retrying the whole batch is harmless (see the module
        docstring): within a run, Temporal answers a repeated Update id with its first outcome.
        """
        result = OpenDueReviewsResult()
        gate = asyncio.Semaphore(inp.concurrency)

        async def one(item: DueReview) -> None:
            async with gate:
                outcome = await self._open_one(item, wait=inp.update_timeout_seconds)
            setattr(result, outcome, getattr(result, outcome) + 1)

        done = lambda: sum(result.model_dump().values())  # noqa: E731
        async with _heartbeating(done):
            await asyncio.gather(*(one(item) for item in inp.items))
        log.info("review_sweep.batch_done", cases=len(inp.items), **result.model_dump())
        return result

    async def _open_one(self, item: DueReview, *, wait: float) -> str:
        try:
            async with asyncio.timeout(wait):
                answer = await self._gateway.open_periodic_review(
                    item.case_id, PeriodicReviewInput(due=item.due), update_id=review_update_id(item.due)
                )
        # One case's failure, whatever it is, must not cost the others their review: count it, name the case
        # (a random id, nothing personal) and the error type, and let the next sweep find it again.
        except Exception as err:  # noqa: BLE001
            log.warning("review_sweep.open_failed", case_id=str(item.case_id), due=item.due.isoformat(),
                        error=type(err).__name__)
            return "failed"
        if answer.opened:
            return "opened"
        return answer.reason if answer.reason in ("already_open", "not_due") else "not_in_payment"

    @activity.defn(name="overdue_reviews")
    async def overdue_reviews(self, inp: OverdueReviewsInput) -> OverdueReviewsResult:
        """Overdue open reviews and still-unopened due reviews, per township (counts only)."""
        return OverdueReviewsResult(
            overdue_by_township=await self._queries.overdue_reviews_by_township(),
            due_unopened_by_township=await self._queries.due_unopened_by_township(inp.as_of),
        )


@contextlib.asynccontextmanager
async def _heartbeating(progress: Callable[[], int]) -> AsyncIterator[None]:
    """Heartbeat every few seconds while the body runs, with the number of cases done so far."""

    async def beat() -> None:
        while True:
            activity.heartbeat(progress())
            await asyncio.sleep(HEARTBEAT_EVERY.total_seconds())

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
