"""Activities of the mass recalculation (物价联动): page through the active cases, and send each case of a
batch its ``recalculate`` Update.

Every step is safe to repeat. The case workflow applies a version once (a repeat answers ``already_applied``),
the Update id ``recalc-<version>-…`` makes Temporal answer a repeat within one run with the first outcome, and
the batch heartbeats the ids it has finished so a retried attempt (say, after the worker was killed) starts
where the last one stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client

from adapters.db.active_cases import PgActiveCases
from adapters.parameters import ParameterFile
from domain.actors import Actor
from domain.parameters import ParametersNotInForce, ResolvedParameters, resolve
from services.cases import CaseGateway, CaseNotFound, TemporalFailure, TemporalUnavailable, UpdateFailed
from workflows.models import CaseFailure, StandardChangeCounts, StandardChangeInput

if TYPE_CHECKING:
    import asyncpg

log = structlog.get_logger(__name__)

#: How often the batch heartbeats while Updates are in flight (the workflow's heartbeat timeout is longer).
HEARTBEAT_EVERY = 1.0


class ListActiveCasesInput(BaseModel):
    """A page of active cases: after ``after`` (None: from the start), at most ``limit``, in ``within``."""

    after: UUID | None = None
    limit: int = 50
    within: str = ""


class ApplyStandardChangeBatchInput(BaseModel):
    """One batch: the cases, the version and its date, and the county approver who applied the change.

    ``update_id`` names the Updates: a repeat with the same id (an activity retry) gets the first outcome back
    from Temporal instead of running again; the recalculation workflow makes it
    ``recalc-<version>-<run chain>``, so a later, separate run reports ``already_applied`` honestly rather
    than the first run's outcome.
    """

    case_ids: list[UUID]
    version: str
    effective_from: date
    actor: Actor
    concurrency: int = 16
    update_id: str | None = None  # None: recalc-<version>


class _Progress(BaseModel):
    """The heartbeat details: the cases finished in this batch and their counts."""

    done: list[UUID] = []
    counts: StandardChangeCounts = StandardChangeCounts()


class StandardChangeActivities:
    """The mass recalculation's activities.

    Args:
        pool: the application database (not owned), for the active-case pages.
        client: a Temporal client (not owned), to send the case workflows their Updates.
        parameters: the parameter book the workers read: a batch resolves the version's parameters once per
            village and sends them in each case's Update (None: each case resolves them itself).
    """

    def __init__(self, pool: asyncpg.Pool, client: Client, parameters: ParameterFile | None = None) -> None:
        self._cases = PgActiveCases(pool)
        self._gateway = CaseGateway(client)
        self._parameters = parameters

    @activity.defn(name="list_active_cases")
    async def list_active_cases(self, inp: ListActiveCasesInput) -> list[UUID]:
        """The next page of active case ids, in id order (an empty list at the end)."""
        return await self._cases.ids(inp.after, inp.limit, inp.within)

    @activity.defn(name="apply_standard_change_batch")
    async def apply_standard_change_batch(self, inp: ApplyStandardChangeBatchInput) -> StandardChangeCounts:
        """Recalculate each case of the batch under the version; never give up the batch for one case.

        Each case is counted once: applied, already_applied, not_active, or failed with the code of the
        refusal (a domain error, or ``workflow_not_found``). A Temporal outage raises, so the activity is
        retried; the cases the heartbeat details list as done are not sent again.
        """
        info = activity.info()
        progress = _Progress()
        if info.heartbeat_details:
            progress = _Progress.model_validate(info.heartbeat_details[0])
        done = set(progress.done)
        todo = [cid for cid in inp.case_ids if cid not in done]
        log.info("standard_change.batch", version=inp.version, cases=len(inp.case_ids), resumed=len(done),
                 attempt=info.attempt)
        update = StandardChangeInput(actor=inp.actor, version=inp.version, effective_from=inp.effective_from)
        update_id = inp.update_id or f"recalc-{inp.version}"
        params = await self._params_by_case(todo, inp.effective_from)
        gate = asyncio.Semaphore(max(1, inp.concurrency))

        def beat() -> None:
            activity.heartbeat(progress.model_dump(mode="json"))

        async def one(case_id: UUID) -> None:
            nonlocal progress
            async with gate:
                given = params.get(case_id)
                counts = await self._recalculate(case_id, update if given is None else update.model_copy(
                    update={"params": given}), update_id)
            # Single-threaded event loop: no await between reading and replacing ``progress``.
            progress = _Progress(done=[*progress.done, case_id], counts=progress.counts.plus(counts))
            beat()

        async def ticker() -> None:
            # Updates can take a while (a case may run its information check): keep the heartbeat alive.
            while True:
                await asyncio.sleep(HEARTBEAT_EVERY)
                beat()

        beat()
        tick = asyncio.create_task(ticker())
        try:
            async with asyncio.TaskGroup() as group:
                for case_id in todo:
                    group.create_task(one(case_id))
        finally:
            tick.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tick
        return progress.counts.model_copy(update={"resumed": len(done)})

    async def _params_by_case(self, case_ids: list[UUID], on: date) -> dict[UUID, ResolvedParameters]:
        """The parameters in force on ``on`` for each case's village, resolved once per village for the batch
        (issue 18): the case then decides with them, without a ``resolve_parameters`` call of its own. A case
        whose village has none (or no row) gets none, and resolves (and refuses) as before."""
        if self._parameters is None or not case_ids:
            return {}
        book, sha256 = self._parameters.current()
        by_village: dict[str, ResolvedParameters | None] = {}
        out: dict[UUID, ResolvedParameters] = {}
        for case_id, village in (await self._cases.villages(case_ids)).items():
            if village not in by_village:
                try:
                    by_village[village] = resolve(book, village, on).model_copy(update={"book_sha256": sha256})
                except ParametersNotInForce:
                    by_village[village] = None
            if (resolved := by_village[village]) is not None:
                out[case_id] = resolved
        return out

    async def _recalculate(self, case_id: UUID, update: StandardChangeInput,
                           update_id: str) -> StandardChangeCounts:
        try:
            result = await self._gateway.recalculate(case_id, update, update_id=update_id)
        except UpdateFailed as err:  # the case refused (a domain code) or the Update failed
            return self._failed(case_id, err.code)
        except TemporalUnavailable:
            raise  # the whole attempt is retried; finished cases are skipped
        except CaseNotFound:  # closed cases too
            return self._failed(case_id, "workflow_not_found")
        except TemporalFailure as err:
            return self._failed(case_id, err.code)
        if result.applied:
            return StandardChangeCounts(
                applied=1,
                reviews_opened=int("ad_hoc_review_opened" in result.events),
                old_total=result.old_amount or Decimal("0.00"),
                new_total=result.new_amount or Decimal("0.00"),
            )
        if result.reason == "already_applied":
            return StandardChangeCounts(already_applied=1)
        return StandardChangeCounts(not_active=1)

    @staticmethod
    def _failed(case_id: UUID, code: str) -> StandardChangeCounts:
        log.warning("standard_change.case_failed", case_id=str(case_id), code=code)
        return StandardChangeCounts(failed=1, failures={code: 1}, failed_cases=[CaseFailure(case_id=case_id,
                                                                                             code=code)])
