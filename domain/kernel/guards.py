"""Guards every programme's handlers share: role, stage, parameters, maker ≠ checker, the investigation team,
and the recusal (回避) of staff filed as close relatives, which the kernel runs before every human command.

Each raises a :class:`domain.errors.DomainError` subclass with a message free of personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from domain.actors import Role
from domain.errors import ConflictOfInterest, DomainError, InvalidInput, InvalidTransition, NotPermitted
from domain.kernel.context import DecisionContext
from domain.kernel.state import CaseCore
from domain.parameters import ResolvedParameters

WINDOW = frozenset({Role.FRONT_OFFICE})
CASEWORKER = frozenset({Role.TOWNSHIP_CASEWORKER})
TOWNSHIP_APPROVER = frozenset({Role.TOWNSHIP_APPROVER})
COUNTY_REVIEWER = frozenset({Role.COUNTY_REVIEWER})
COUNTY_APPROVER = frozenset({Role.COUNTY_APPROVER})
VILLAGE_COMMITTEE = frozenset({Role.VILLAGE_COMMITTEE})
SUPERVISOR = frozenset({Role.SUPERVISOR})


def need_stage(state: CaseCore, allowed: Iterable[StrEnum], what: str) -> None:
    allowed = frozenset(allowed)
    if state.stage not in allowed:
        raise InvalidTransition(
            f"{what} is not possible in stage {state.stage}; allowed in: " + ", ".join(sorted(s.value for s in allowed))
        )


def need_role(ctx: DecisionContext, roles: frozenset[Role], what: str) -> None:
    if ctx.actor.role not in roles:
        raise NotPermitted(f"role {ctx.actor.role.value} may not {what}; needs " + " or ".join(sorted(roles)))


def need_params(ctx: DecisionContext) -> ResolvedParameters:
    if ctx.params is None:
        raise DomainError("this decision needs the parameters in force")  # a wiring error, not a user one
    return ctx.params


def need_jurisdiction(state: CaseCore, ctx: DecisionContext) -> None:
    if not ctx.actor.covers(state.village_code):
        raise NotPermitted("the case lies outside the actor's jurisdiction")


def not_recused(state: CaseCore, command: Any, ctx: DecisionContext) -> None:
    """回避: a staff member filed as a close relative of a member (``state.recused_staff``) takes no step on
    the case, and no command may name them as taking part in one (an investigation team, a 民主评议's
    attendees: ``command.staff_named()``). The filing's articles are the programme's (dibao: S1 Art. 11, with
    the fairness of S1 Art. 3 and S4 Art. 2; no article names 回避 itself), recorded on its ``StaffRecused``.

    Raises:
        ConflictOfInterest: the actor, or a named staff member, stands aside; ``field`` names the entry. The
            message names neither the staff member nor the household.
    """
    recused = set(state.recused_staff)
    if not recused:
        return
    if ctx.actor.id in recused:
        raise ConflictOfInterest(
            "the actor is filed as a close relative of a member of this household and stands aside from the "
            "case (回避)"
        )
    staff_named = getattr(command, "staff_named", None)
    for path, staff in staff_named() if staff_named is not None else ():
        if staff.strip() in recused:
            raise ConflictOfInterest(
                "a staff member named here is filed as a close relative of a member of this household and "
                "stands aside from the case (回避)",
                field=path,
            )


def not_maker(investigators: Iterable[str], ctx: DecisionContext) -> None:
    """Maker ≠ checker: whoever investigated the case may not take the decision that checks it."""
    if ctx.actor.id in set(investigators):
        raise NotPermitted("maker ≠ checker: an investigator of this case may not take this decision")


def team(ids: Iterable[str], field_name: str, basis: str) -> tuple[str, ...]:
    """An investigation team: at least two different people (``basis`` names the article that says so)."""
    members = tuple(dict.fromkeys(i.strip() for i in ids))
    if len(members) < 2:
        raise InvalidInput(f"at least two different investigators are required ({basis})", field=(field_name,))
    return members
