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
