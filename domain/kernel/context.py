"""What a decision needs from outside the domain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.actors import Actor, Role
from domain.kernel.clock import CHINA_TZ
from domain.kernel.state import PaidMonth, RelatedCase
from domain.parameters import ResolvedParameters

#: The engine's own actor for natural transitions, deadlines and escalations.
SYSTEM_ACTOR = Actor(id="casework-engine", role=Role.SYSTEM, jurisdiction="000000")


def every_change(_change_id: str) -> bool:
    """Outside a workflow (the API's early check, tests) every change of behaviour applies."""
    return True


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """What a decision needs from outside the domain.

    Attributes:
        now: timezone-aware current time (``workflow.now()`` in workflows, an injected clock in the API).
        actor: the authenticated actor.
        case_id: the case the command is for.
        params: the parameters in force for the case's village today (decisions that compute need them).
        publicity_ends_on: the last day of a working-day 公示 being started (from the calendar activity).
        payments: months already on a payment roll for the case (for stops and decreases that reach back).
        related: the other active cases of the case's members, any programme (``Needs.related``).
        patched: whether a change of behaviour made after cases were running applies to this decision: the
            workflow passes ``workflow.patched``, so a replayed history takes the path it took when it was
            recorded and re-derives the very events it recorded. A handler asks it only on the path the change
            is about (the change's id is the patch id); elsewhere every change applies.
    """

    now: datetime
    actor: Actor
    case_id: UUID
    params: ResolvedParameters | None = None
    publicity_ends_on: date | None = None
    payments: tuple[PaidMonth, ...] = ()
    patched: Callable[[str], bool] = every_change
    related: tuple[RelatedCase, ...] = ()

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("DecisionContext.now must be timezone-aware")

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(CHINA_TZ)

    @property
    def today(self) -> date:
        return self.local_now.date()
