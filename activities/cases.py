"""Activities that write a case's transitions to PostgreSQL."""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.models import PaidMonthsInput, RecordCaseInput, RecordCaseResult
from adapters.db.cases import CaseStore
from domain.kernel.state import PaidMonth

log = structlog.get_logger(__name__)


class CaseStoreActivities:
    """Records case transitions in the case store.

    The store is idempotent per ``(case_id, seq)`` and never moves a case backwards, so Temporal may retry
    ``record_case`` freely.
    """

    def __init__(self, store: CaseStore) -> None:
        self._store = store

    @activity.defn(name="record_case")
    async def record_case(self, inp: RecordCaseInput) -> RecordCaseResult:
        await self._store.record(inp.state, inp.events)
        log.info(
            "case.recorded",
            case_id=str(inp.state.case_id),
            stage=inp.state.stage.value,
            version=inp.state.version,
            events=len(inp.events),
        )
        return RecordCaseResult(version=inp.state.version)

    @activity.defn(name="paid_months")
    async def paid_months(self, inp: PaidMonthsInput) -> list[PaidMonth]:
        """Months already on a payment roll for the case, with the amounts paid."""
        return await self._store.paid_months(inp.case_id)
