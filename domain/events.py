"""Events: what happened to a case (past-tense names), each a complete decision record.

Every event records who (actor id, role, jurisdiction), when, why, the legal basis (source tag and article
from SPEC §0.2) and the parameter-set version it used, if any. Events are numbered per case by ``seq``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.actors import Actor
from domain.household import AreaType, Member, Program


class EventBase(BaseModel):
    """Fields common to every event."""

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    seq: int = Field(ge=1)
    at: datetime
    actor: Actor
    reason: str | None = None
    legal_basis: tuple[str, ...] = ()
    parameter_set_version: str | None = None
    schema_version: int = 1


class ApplicationSubmitted(EventBase):
    """The household's application was handed in (S1 Arts. 4, 6, 9). Not yet accepted: no T0."""

    type: Literal["application_submitted"] = "application_submitted"
    program: Program
    village_code: str
    area_type: AreaType
    members: tuple[Member, ...]


# Becomes ``Annotated[A | B | ..., Field(discriminator="type")]`` as the lifecycle adds events.
CaseEvent = ApplicationSubmitted
