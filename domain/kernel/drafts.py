"""Events as handlers draft them, and the kernel's numbering of them.

A handler returns :class:`Draft` objects — the event type, its legal basis, the reason, the parameter
version and its own fields — never a ``seq``: :func:`number` gives the drafts of one decision the sequence
numbers that follow the state's version, in order, and fills in the envelope every event carries (case id,
time, actor, parameter-set version). The envelope is exactly the one events always had, so a recorded
event's payload is the same whichever way it was built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from domain.events import CaseEvent, EventBase
from domain.kernel.context import DecisionContext
from domain.kernel.state import CaseCore


@dataclass(frozen=True, slots=True)
class Draft:
    """An event before the kernel numbers it.

    Attributes:
        type: the event class.
        basis: the legal basis (source tag and article, SPEC §0.2).
        reason: why, in the actor's words (or the engine's).
        params_version: the parameter-set version the decision used; None takes the context's.
        fields: the event's own fields.
    """

    type: type[EventBase]
    basis: tuple[str, ...] = ()
    reason: str | None = None
    params_version: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]


def draft(
    event_type: type[EventBase],
    *basis: str,
    reason: str | None = None,
    params_version: str | None = None,
    **fields: Any,
) -> Draft:
    """Draft one event: ``draft(e.ApplicationAccepted, "S1 Art. 10", t0=today)``."""
    return Draft(type=event_type, basis=basis, reason=reason, params_version=params_version, fields=fields)


def number(drafts: Iterable[Draft], state: CaseCore | None, ctx: DecisionContext) -> list[CaseEvent]:
    """The drafts of one decision as events, numbered from the state's version on (1 for a new case)."""
    base = state.version if state is not None else 0
    case_id = ctx.case_id if state is None else state.case_id
    default_version = ctx.params.version if ctx.params else None
    return [
        d.type(
            case_id=case_id,
            seq=base + i,
            at=ctx.now,
            actor=ctx.actor,
            legal_basis=d.basis,
            reason=d.reason,
            parameter_set_version=d.params_version or default_version,
            **d.fields,
        )
        for i, d in enumerate(drafts, start=1)
    ]
