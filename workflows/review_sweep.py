"""The daily review sweep: the catch-up and reporting side of periodic reviews (issue 4; SPEC §8.1).

Each case opens its own periodic review with a durable timer at the start of its due day. The sweep, started
every night by the ``casework-review-sweep`` Schedule (services/schedules.py), finds reviews that are due but
still not opened in the read model (a case whose workflow was down, stuck or reset) and opens them through the
case's idempotent ``open_periodic_review`` Update; then it reports overdue reviews per township.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from activities.audit import AuditActivities, DailyAuditInput
    from activities.review_sweep import (
        DueReview,
        FindDueReviewsInput,
        OpenDueReviewsInput,
        OverdueReviewsInput,
        ReviewSweepActivities,
    )
    from domain.kernel.clock import CHINA_TZ
    from workflows._policies import STORE_RETRY, STORE_TIMEOUT
    from workflows.models import SweepInput, SweepReport

#: Set by the server on every workflow a Schedule starts (a backfilled run gets the time it stands in for).
SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")

#: A batch waits for its slowest case (each one bounded by the activity's own per-case timeout).
OPEN_BATCH_TIMEOUT = timedelta(minutes=30)
#: Sealing up to 500 closed cases' histories (each a few history fetches) and signing one checkpoint.
DAILY_AUDIT_TIMEOUT = timedelta(minutes=30)
OPEN_BATCH_HEARTBEAT = timedelta(seconds=30)
#: A batch never raises for one case; an attempt fails only when the worker or the database does.
OPEN_BATCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=1),
                               maximum_attempts=5)


@workflow.defn(name="ReviewSweepWorkflow")
class ReviewSweepWorkflow:
    """Open every due-but-unopened periodic review, in bounded batches, and report overdue reviews.

    No updates, queries or signals. Pages through the read model by case id (keyset), so a case that fails
    to open is passed by rather than retried in a loop; the next day's sweep finds it again.
    """

    @workflow.run
    async def run(self, inp: SweepInput) -> SweepReport:
        report = SweepReport(as_of=_sweep_day(inp))
        after: UUID | None = None
        while True:
            if report.batches >= inp.max_batches:
                more = await self._find(report.as_of, after, 1)
                report.truncated = bool(more)
                break
            page = await self._find(report.as_of, after, inp.batch_size)
            if not page:
                break
            report.batches += 1
            report.due_found += len(page)
            result = await workflow.execute_activity_method(
                ReviewSweepActivities.open_due_reviews,
                OpenDueReviewsInput(items=page),
                start_to_close_timeout=OPEN_BATCH_TIMEOUT,
                heartbeat_timeout=OPEN_BATCH_HEARTBEAT,
                retry_policy=OPEN_BATCH_RETRY,
            )
            report.opened += result.opened
            report.already_open += result.already_open
            report.not_due += result.not_due
            report.not_in_payment += result.not_in_payment
            report.failed += result.failed
            after = page[-1].case_id
            if len(page) < inp.batch_size:
                break
        overdue = await workflow.execute_activity_method(
            ReviewSweepActivities.overdue_reviews,
            OverdueReviewsInput(as_of=report.as_of),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
        report.overdue_reviews_by_township = overdue.overdue_by_township
        report.due_unopened_by_township = overdue.due_unopened_by_township
        # Sweeps recorded before the audit ledger replay unchanged.
        if workflow.patched("sweep-daily-audit-v1"):
            audit = await workflow.execute_activity_method(
                AuditActivities.daily_audit,
                DailyAuditInput(),
                start_to_close_timeout=DAILY_AUDIT_TIMEOUT,
                retry_policy=STORE_RETRY,
            )
            report.histories_sealed = audit.histories_sealed
            report.checkpoint_position = audit.checkpoint_position
        # workflow.logger is replay-safe; counts and township codes only.
        workflow.logger.info("review_sweep.done", extra={"report": report.model_dump(mode="json")})
        return report

    async def _find(self, as_of: date, after: UUID | None, limit: int) -> list[DueReview]:
        page = await workflow.execute_activity_method(
            ReviewSweepActivities.find_due_reviews,
            FindDueReviewsInput(as_of=as_of, after=after, limit=limit),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
        return page.items


def _sweep_day(inp: SweepInput) -> date:
    """The China date the sweep runs as of: given, else the scheduled start (so a backfilled run sweeps as of
    the day it stands in for), else now."""
    if inp.as_of is not None:
        return inp.as_of
    at = workflow.info().typed_search_attributes.get(SCHEDULED_START_TIME) or workflow.now()
    if at.tzinfo is None:  # the server sends UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA_TZ).date()
