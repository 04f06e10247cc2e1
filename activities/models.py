"""Activity input and result models (one model per call)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

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
