"""The programmes the bureau runs, each a module on the kernel, and the static registry of them.

Everything outside ``domain`` that needs to know what a programme does asks it here — decide, evolve,
project, what is pending, whether a case is overdue, its outcome, its payable amount, its stage labels —
and never tests the programme code itself. A new programme is a new module and one line in
:data:`REGISTRY` (docs/programmes.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from domain.errors import DomainError, InvalidInput, InvalidTransition
from domain.events import CaseEvent
from domain.household import Program
from domain.kernel.context import DecisionContext
from domain.kernel.programme import Programme
from domain.kernel.state import PendingStep
from domain.programmes.dibao.programme import DIBAO
from domain.programmes.dibao.state import DibaoState
from domain.programmes.disability_subsidies.programme import DISABILITY_SUBSIDIES, DisabilityState
from domain.programmes.old_age_allowance.programme import OLD_AGE_ALLOWANCE, OldAgeState
from domain.programmes.tekun.programme import TEKUN
from domain.programmes.tekun.state import TekunState
from domain.programmes.temporary.programme import TEMPORARY
from domain.programmes.temporary.state import TemporaryState

#: Every programme on the kernel, by code. Static: the workflow sandbox imports exactly these.
REGISTRY: Mapping[Program, Programme] = {
    p.code: p for p in (DIBAO, TEKUN, DISABILITY_SUBSIDIES, OLD_AGE_ALLOWANCE, TEMPORARY)
}

#: A case's state, whichever its programme: a union discriminated on ``program``.
CaseState = Annotated[DibaoState | TekunState | DisabilityState | OldAgeState | TemporaryState,
                      Field(discriminator="program")]
#: Validates a stored state (the read model's JSON) into the state of its programme.
CASE_STATE: TypeAdapter[Any] = TypeAdapter(CaseState)
_CASE_STATE = CASE_STATE


def parse_state(data: Any) -> Any:
    """A stored or transported state (a dict or JSON text), as its programme's state type."""
    if isinstance(data, str | bytes):
        return _CASE_STATE.validate_json(data)
    return _CASE_STATE.validate_python(data)


def programme_of(code: Program | str) -> Programme:
    """The programme registered for ``code``.

    Raises:
        InvalidInput: no programme has that code (a code the enumeration knows but nothing implements yet).
    """
    programme = REGISTRY.get(Program(code))
    if programme is None:
        raise InvalidInput(f"programme {code} has no lifecycle yet", field=("program",))
    return programme


def decide(state: Any | None, command: Any, ctx: DecisionContext) -> list[CaseEvent]:
    """Decide what a command does to a case: the events it produces, in order, numbered by the kernel.

    Args:
        state: the current state, or None for a case that does not exist yet (then ``command`` opens it).
        command: a command of the case's programme.
        ctx: clock, actor, case id and (for computed decisions) the parameters in force.

    Raises:
        NotPermitted: the actor's role or jurisdiction does not allow it (or maker ≠ checker).
        InvalidTransition: the command does not fit the current stage.
        InvalidInput: the command's content breaks a rule; ``field`` names the input.
    """
    if state is None:
        code = getattr(command, "program", None)  # only an application names its programme
        if code is None:
            raise InvalidTransition("the case does not exist")
        return programme_of(code).decide(None, command, ctx)
    return programme_of(state.program).decide(state, command, ctx)


def evolve(state: Any | None, event: CaseEvent) -> Any:
    """Apply one event to a case's state (the programme's registered mutator)."""
    code = state.program if state is not None else getattr(event, "program", None)
    if code is None:
        raise DomainError(f"{event.type} before the application")
    return programme_of(code).evolve(state, event)


def project(events: Iterable[CaseEvent], state: Any | None = None) -> Any | None:
    """Fold events into a state, starting from ``state``."""
    for event in events:
        state = evolve(state, event)
    return state


def pending_step(state: Any) -> PendingStep | None:
    """Who must act next on a case, and by when (None: nobody, for now)."""
    return programme_of(state.program).pending(state)


def is_overdue(state: Any) -> bool:
    """Whether an escalated deadline's step is still pending (the case is overdue)."""
    return programme_of(state.program).deadlines.overdue(state)


def all_stages() -> tuple[str, ...]:
    """Every stage code of every programme, each once, in each programme's legal order."""
    return tuple(dict.fromkeys(s.value for p in REGISTRY.values() for s in p.stages))


def notice_kinds() -> tuple[str, ...]:
    """Every notice kind of every programme, each once."""
    return tuple(dict.fromkeys(k for p in REGISTRY.values() for k in p.notice_kinds))


def notice_for(state: Any, kind: str, **options: Any) -> Any:
    """A printable notice of a case, as its programme builds it.

    Raises:
        InvalidTransition: the case's programme issues no such notice, or not yet.
    """
    programme = programme_of(state.program)
    if programme.notice_for is None or kind not in programme.notice_kinds:
        raise InvalidTransition(f"no {kind} notice is issued in this programme")
    return programme.notice_for(state, kind, **options)


_PROGRAM_TITLES = {Program.TEKUN: "特困人员救助供养", Program.DISABILITY_SUBSIDIES: "残疾人两项补贴",
                   Program.OLD_AGE_ALLOWANCE: "高龄津贴"}


def screen(intake: Any, params: Any, today: date) -> list[Any]:
    """一门受理 (S5 item 23; S4 Art. 60): the intake screened against every programme, in the order of
    :class:`Program`, each screening given those made before it (残疾人两项补贴's living subsidy rests on the
    household's dibao: it reads dibao's screening, never calls it); a programme without a lifecycle (or a
    screening) here says so, and the window screens it by hand. Pure: decides nothing."""
    from domain.intake import Screening

    out = []
    screened: dict[Program, Any] = {}
    for code in Program:
        programme = REGISTRY.get(code)
        if programme is not None and programme.screen is not None:
            screened[code] = programme.screen(intake, params, today, screened.copy())
            out.append(screened[code])
        else:
            title = programme.title if programme is not None else _PROGRAM_TITLES.get(code, code.value)
            out.append(Screening(program=code, title=title, outcome="not_screened",
                                 summary="本系统尚未对该项目进行自动筛查，请窗口人工判断"))
    return out
