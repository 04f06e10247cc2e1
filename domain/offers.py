"""Which commands a person may send to a case now: asked of the domain, never re-written by a front end.

The programme's own ``decide`` is run with each of its human command types, built without content
(``model_construct``): a command the role, the jurisdiction, the stage or a guard (maker ≠ checker, 回避) rules
out is refused before any content is looked at (NotPermitted, InvalidTransition); a refusal about the content
(InvalidInput, or the missing content itself) means the step is open and the form must be filled in. So the
console offers exactly the steps ``decide`` would consider, and a programme's new command appears in it
without any console change. The API still decides on the real command: an offer is never a permission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.actors import Actor, Role
from domain.errors import InvalidTransition, NotPermitted
from domain.kernel.context import DecisionContext
from domain.programmes import programme_of


def offered_commands(state: Any, actor: Actor, now: datetime, params: Any = None) -> list[type]:
    """The human command types of the case's programme that ``actor`` may send in the case's present state,
    in the programme's vocabulary order (the pending step's commands among them). ``params``: the parameters
    in force for the case today (steps that compute, or depend on devolution, ask for them)."""
    if actor.role is Role.SYSTEM:
        return []
    programme = programme_of(state.program)
    order = [t for t in programme.command_vocabulary if t in programme.handlers] or list(programme.handlers)
    out: list[type] = []
    for command_type in order:
        if command_type in programme.system_commands or command_type in programme.recusal_exempt:
            continue
        probe = command_type.model_construct()  # type: ignore[attr-defined]
        ctx = DecisionContext(now=now, actor=actor, case_id=state.case_id, params=params)
        try:
            programme.decide(state, probe, ctx)
        except (NotPermitted, InvalidTransition):
            continue
        except Exception:  # noqa: BLE001, S110 — the content is missing: the step is open, the form asks for it
            pass
        out.append(command_type)
    return out
