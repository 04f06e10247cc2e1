"""Guards every programme's handlers share: role, stage, parameters, maker ≠ checker, the investigation team.

Each raises a :class:`domain.errors.DomainError` subclass with a message free of personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from domain.actors import Role
from domain.errors import DomainError, InvalidInput, InvalidTransition, NotPermitted
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
