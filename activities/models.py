"""Activity input and result models (one model per call)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel

from domain.actors import Actor
from domain.events import CaseEvent
from domain.programmes import CaseState


class RecordCaseInput(BaseModel):
    """A transition to record: the events it produced and the state after them."""

    state: CaseState
    events: list[CaseEvent]


class RecordCaseResult(BaseModel):
    version: int
    #: The events recorded before under the same seqs, when they differ from the ones given: a local
    #: ``record_case`` run again after its workflow task was lost decides the step again at the new task's time;
    #: what PostgreSQL and the ledger hold is the decision, and the workflow takes it (None: written now, or
    #: recorded exactly so before).
    recorded: list[CaseEvent] | None = None
    #: The SHA-256 digest of each event now in PostgreSQL for the seqs recorded (``adapters.audit.chain
    #: .event_digest``, as the ledger pins them): a history whose records ran as local activities (no activity
    #: input in history) still pins every decision. Empty in results recorded before.
    digests: list[str] = []


class PaidMonthsInput(BaseModel):
    case_id: UUID


class FundDrawInput(BaseModel):
    """A decision's draw on a township fund (临时救助备用金), keyed by the case and the decision's first seq."""

    township_code: str
    case_id: UUID
    case_seq: int
    amount: Decimal
    actor: Actor
    reason: str


class FundDrawResult(BaseModel):
    drawn: bool
    balance: Decimal
