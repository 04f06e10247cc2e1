"""Case behaviour as three pure functions: ``decide``, ``evolve`` and ``project`` (STYLE guideline 1).

``decide`` checks a command against the state, the actor and the clock given in the context and returns the
events it produces, or raises a :class:`domain.errors.DomainError`. The API calls it to validate before
anything is written; the workflow calls it again to record the decision. ``evolve`` applies one event.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID

from domain.actors import Actor, Role
from domain.commands import CaseCommand, SubmitApplication
from domain.divisions import county_of, township_of, validate_village_code
from domain.errors import DomainError, InvalidInput, InvalidTransition, NotPermitted
from domain.events import ApplicationSubmitted, CaseEvent
from domain.household import Member, Relation
from domain.identity import parse_resident_id
from domain.state import CaseState, Stage

#: China Standard Time (no daylight saving): dates in the law are local dates.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

#: Who may hand in an application: the window, or the village committee as agent (S1 Arts. 4, 6; S4 Art. 60).
SUBMIT_ROLES = frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE})


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """What a decision needs from outside the domain: the clock, the actor and the case id.

    Attributes:
        now: timezone-aware current time (``workflow.now()`` in workflows, an injected clock in the API).
        actor: the authenticated actor.
        case_id: the case the command is for.
    """

    now: datetime
    actor: Actor
    case_id: UUID

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("DecisionContext.now must be timezone-aware")

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(CHINA_TZ)


def decide(state: CaseState | None, command: CaseCommand, ctx: DecisionContext) -> list[CaseEvent]:
    """Decide what a command does to a case.

    Args:
        state: the current state, or None for a case that does not exist yet.
        command: the command.
        ctx: clock, actor and case id.

    Returns:
        The events the command produces, in order.

    Raises:
        NotPermitted: the actor's role or jurisdiction does not allow it.
        InvalidTransition: the command does not fit the current stage.
        InvalidInput: the command's content breaks a rule; ``field`` names the input.
    """
    if isinstance(command, SubmitApplication):
        return _submit_application(state, command, ctx)
    raise InvalidInput(f"unknown command {type(command).__name__}")  # pragma: no cover - exhaustive


def _submit_application(state: CaseState | None, cmd: SubmitApplication, ctx: DecisionContext) -> list[CaseEvent]:
    if state is not None:
        raise InvalidTransition(f"case already exists in stage {state.stage}")
    if ctx.actor.role not in SUBMIT_ROLES:
        raise NotPermitted(
            f"role {ctx.actor.role} may not submit applications; needs one of "
            + ", ".join(sorted(SUBMIT_ROLES))
        )
    try:
        validate_village_code(cmd.village_code)
    except InvalidInput as err:
        raise InvalidInput(err.message, field=("village_code",)) from None
    if not ctx.actor.covers(cmd.village_code):
        raise NotPermitted("village_code lies outside the actor's jurisdiction")
    members = _validated_members(cmd.members, ctx)
    return [
        ApplicationSubmitted(
            case_id=ctx.case_id,
            seq=1,
            at=ctx.now,
            actor=ctx.actor,
            legal_basis=("S1 Art. 4", "S1 Art. 6", "S1 Art. 9") if ctx.actor.role == Role.VILLAGE_COMMITTEE
            else ("S1 Art. 4", "S1 Art. 9"),
            program=cmd.program,
            village_code=cmd.village_code,
            area_type=cmd.area_type,
            members=members,
        )
    ]


def _validated_members(members: Iterable[Member], ctx: DecisionContext) -> tuple[Member, ...]:
    today = ctx.local_now.date()
    seen: set[str] = set()
    out: list[Member] = []
    for i, member in enumerate(members):
        field = ("members", i, "resident_id")
        try:
            rid = parse_resident_id(member.resident_id)
        except InvalidInput as err:
            raise InvalidInput(err.message, field=field) from None
        if rid.birth_date > today:
            raise InvalidInput("birth date (positions 7-14) lies in the future", field=field)
        if rid.value in seen:
            raise InvalidInput("the same resident ID number appears twice in the household", field=field)
        seen.add(rid.value)
        out.append(member.model_copy(update={"resident_id": rid.value}))
    applicants = [i for i, m in enumerate(out) if m.relation == Relation.APPLICANT]
    if len(applicants) != 1:
        raise InvalidInput(
            f"exactly one member must have relation 'applicant' (S1 Art. 4), found {len(applicants)}",
            field=("members",),
        )
    return tuple(out)


def evolve(state: CaseState | None, event: CaseEvent) -> CaseState:
    """Apply one event to the state.

    Args:
        state: the state before the event (None before the first event).
        event: the event.

    Returns:
        The state after the event.

    Raises:
        DomainError: the event does not follow from the state (a corrupted stream).
    """
    if isinstance(event, ApplicationSubmitted):
        if state is not None:
            raise DomainError("application_submitted on an existing case")
        return CaseState(
            case_id=event.case_id,
            program=event.program,
            stage=Stage.SUBMITTED,
            village_code=event.village_code,
            township_code=township_of(event.village_code),
            county_code=county_of(event.village_code),
            area_type=event.area_type,
            members=event.members,
            version=event.seq,
            opened_at=event.at,
            stage_since=event.at,
            updated_at=event.at,
        )
    raise DomainError(f"unknown event {type(event).__name__}")  # pragma: no cover - exhaustive


def project(events: Iterable[CaseEvent], state: CaseState | None = None) -> CaseState | None:
    """Fold events into a state, starting from ``state``."""
    return functools.reduce(evolve, events, state)
