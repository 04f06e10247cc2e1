"""Activities that write a case's transitions to PostgreSQL."""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.models import PaidMonthsInput, RecordCaseInput, RecordCaseResult
from adapters.audit.chain import event_digest
from adapters.db.cases import CaseStore
from domain.events import CaseEvent
from domain.kernel.state import PaidMonth

log = structlog.get_logger(__name__)


class CaseStoreActivities:
    """Records case transitions in the case store.

    The store is idempotent per ``(case_id, seq)`` and never moves a case backwards, so Temporal may retry
    ``record_case`` freely, as a regular or a local activity (see :meth:`PgCaseStore.record`: a seq recorded
    already writes nothing and answers with what was recorded).
    """

    def __init__(self, store: CaseStore) -> None:
        self._store = store

    @activity.defn(name="record_case")
    async def record_case(self, inp: RecordCaseInput) -> RecordCaseResult:
        recorded = await self._store.record(inp.state, inp.events)
        if recorded is not None:
            # Only after a lost workflow task: the step was decided again at another instant. Nothing written.
            log.warning("case.recorded_before", case_id=str(inp.state.case_id), first_seq=inp.events[0].seq,
                        events=len(recorded))
            return RecordCaseResult(version=recorded[-1].seq, recorded=recorded, digests=_digests(recorded))
        log.info(
            "case.recorded",
            case_id=str(inp.state.case_id),
            stage=inp.state.stage.value,
            version=inp.state.version,
            events=len(inp.events),
        )
        return RecordCaseResult(version=inp.state.version, digests=_digests(inp.events))

    @activity.defn(name="paid_months")
    async def paid_months(self, inp: PaidMonthsInput) -> list[PaidMonth]:
        """Months already on a payment roll for the case, with the amounts paid."""
        return await self._store.paid_months(inp.case_id)


def _digests(events: list[CaseEvent]) -> list[str]:
    return [event_digest("sha256", ev.model_dump(mode="json")) for ev in events]
