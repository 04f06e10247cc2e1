"""The programme a module fills in, and the kernel's generic decide / evolve / pending / timers over it.

A programme (dibao, 特困 …) is one static :class:`Programme` value registered in :mod:`domain.programmes`
(no plugin discovery: the workflow sandbox imports exactly what is registered). Everything the engine does
with a case goes through it: the workflow asks it what a command needs, what falls due when and which system
command to run then, what to do after a decision; the read model, payment rolls, console and notices ask it
for the outcome, the payable amount and the labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.actors import Role
from domain.errors import DomainError, InvalidInput, InvalidTransition, NotPermitted
from domain.events import CaseEvent
from domain.household import Program
from domain.kernel.context import DecisionContext
from domain.kernel.deadlines import DeadlineBook
from domain.kernel.drafts import Draft, number
from domain.kernel.guards import need_jurisdiction, not_recused
from domain.kernel.links import LinksOf, no_links
from domain.kernel.mutators import Mutators
from domain.kernel.state import CaseCore, PendingStep

#: A command handler: the state, the command and the context in; the drafted events out.
Handler = Callable[[Any, Any, DecisionContext], list[Draft]]


@dataclass(frozen=True, slots=True)
class Needs:
    """What deciding a command needs from outside, fetched by the workflow (activities) before it decides.

    Attributes:
        params: the parameters in force today.
        publicity_end: the last day of a working-day 公示 (the calendar).
        payments: the months already on a payment roll.
        info_check: the decision requests the information check: the workflow runs it and records its result
            (a system command) in the same decision.
        related: the other active cases of the case's members (any programme), from the ``case_members`` read
            model (e.g. whether a disabled person's household is in dibao).
        fund_draw: the decision spends from a township's fund (临时救助's 备用金): the workflow draws it,
            keyed by the case and the decision's first seq, before recording; a draw refused records nothing.
    """

    params: bool = False
    publicity_end: bool = False
    payments: bool = False
    info_check: bool = False
    related: bool = False
    fund_draw: bool = False


NOTHING = Needs()


@dataclass(frozen=True, slots=True)
class Timer:
    """Something that falls due at an instant, and the system command the engine then runs.

    Attributes:
        at: the instant (timers decide at the instant they were set for, never at a worker's clock).
        command: a system command of the programme.
        group: of the due timers in one group only the first listed fires (the others are moot after it).
        then_follow_up: after the command, run the programme's follow-up (e.g. a review's information check).
    """

    at: datetime
    command: Any
    group: str | None = None
    then_follow_up: bool = False


@dataclass(frozen=True, slots=True)
class InPayment:
    """What the workflow's in-payment Updates ask a programme that pays a benefit month by month.

    Attributes:
        recalculation_refused: why a standard change does not apply to a case (``already_applied``,
            ``not_active``), or None when it does; the recalculation then decides ``recalculate_command``.
        recalculate_command: the command a recalculation under a parameter version decides.
        periodic_review_refused: why the daily sweep's catch-up opens no periodic review due on a day
            (``already_open``, ``not_in_payment``, ``not_due``), or None; it then decides ``periodic_command``.
        periodic_command: the system command that opens the periodic review due on a day.
        monthly_amount: the amount in payment now.
        patch: a workflow patch id for hooks added after cases of the programme were running: a history
            recorded without it keeps the answer it had then (``not_active``); None: no patch (dibao's).
        recalculated_amount: the amount the recalculation records under a version, for the standard-change
            preview, where the programme computes it itself (None: the household 补差 assessment, dibao's).
        back_pay_patch: a workflow patch id behind which a retroactive recalculation is handed the months on
            the rolls to decide the 补发 (a programme that gained it after its cases were running); None: always
            (dibao's, behind the workflow's own ``case-back-pay-v1``).
    """

    recalculation_refused: Callable[[Any, str], str | None]
    recalculate_command: Callable[[str, Any], Any]
    periodic_review_refused: Callable[[Any, Any, Any], str | None]
    periodic_command: Callable[[Any], Any]
    monthly_amount: Callable[[Any], Decimal | None]
    patch: str | None = None
    recalculated_amount: Callable[[Any, Any], Decimal] | None = None
    back_pay_patch: str | None = None


@dataclass(frozen=True, slots=True)
class FundDraw:
    """What a decision spends from a township's fund (临时救助's 备用金, S8 §三(三)): the workflow draws it,
    keyed by the case and the decision's first seq, before the decision is recorded."""

    township_code: str
    amount: Decimal
    reason: str


@dataclass(frozen=True)
class Programme:
    """One assistance programme on the kernel.

    Attributes:
        code: the programme code (``program`` on every case and application).
        title: the programme's name for staff and citizens (zh-CN).
        state_type: the programme's case state (a :class:`CaseCore`).
        stages: the programme's stage enum; ``stage_labels`` names each in zh-CN.
        submit: the command that opens a case; ``open`` decides it (no state yet).
        handlers: command type → handler for every other command.
        system_commands: the command types only the engine issues.
        first_event: the event type that opens a case; ``initial`` folds it into a new state.
        mutators: event type → evolve function for every other event.
        deadlines: the programme's deadline rules.
        pending: who must act next, and by when (None: nobody, for now).
        needs: what deciding a command needs from outside.
        timers: what falls due when; takes the state and ``patched`` (the workflow's
            ``workflow.patched``, for timers added after cases were running).
        follow_up: a system command to decide after every decision (None: nothing), e.g. a review's check.
        at_rest: whether the case waits only for time (a new workflow run may start here).
        cycles: a count that grows when the case finishes a cycle (one workflow run per cycle).
        outcome: the read model's outcome column (None: not decided yet).
        amount_for: the monthly amount payable for a month (YYYY-MM), or None.
        payable_stages: the stages in which a case is on the payment rolls.
        in_payment: the in-payment Updates' hooks (None: the programme pays no monthly benefit).
        info_check_command: the system command that records the information check's report.
        command_vocabulary: every command type the programme accepts (from the API, the engine, its Updates):
            the contract test checks each has a handler.
        event_vocabulary: every event type a case of the programme records: each has a mutator.
        vocabulary_only_stages: stages kept in the enumeration that no event enters (old codes).
        procedure: the spec the shared procedure steps run with (a ``domain.procedure.spec.ProcedureSpec``).
        steps: (shared step module, the spec it runs with) for each shared step the programme uses (each module
            lists the state ``FIELDS`` it needs and the ``ARTICLE_KEYS`` it cites).
        active_stages: the stages in which a benefit is being paid (the mass recalculation's cases).
        notice_kinds: the printable notices the programme issues; ``event_notice_kinds`` those that need the
            case's events (a decision's reasons); ``notice_for(state, kind, events=…)`` builds one (or raises
            InvalidTransition before its step).
        main_path: the stages every case's timeline shows (the path of an approved case).
        end_branches: stages that end a case before a decision on it (its timeline stops there).
        links: the effects of a decision's events on the other cases of the same person (a death, a stop …):
            :mod:`domain.kernel.links`; the workflow delivers them. The programme handles the kernel's
            ``ApplyLink`` (what it makes of an effect) through ``domain.kernel.links.handlers``.
        screen: 一门受理's screening of an intake (a ``domain.intake.Intake``) under the parameters in force on
            the day (``screen(intake, params, today, screened)``; ages count on it; ``screened``: the screenings
            of the programmes before it, by programme): a ``domain.intake.Screening`` (pure; decides nothing).
        fund_draw: for a decision whose ``needs`` ask a fund draw, what it draws (from its drafted events).
        recusal_exempt: commands a person issues to every case alike, with no discretion over the household
            (a standard change applied by the mass recalculation): a filed relative does not stand aside from
            them (refusing would only keep the new standard from the household).
    """

    @property
    def procedure_order(self) -> tuple[StrEnum, ...]:
        """The programme's stages in the legal order, without the vocabulary-only ones."""
        return tuple(s for s in self.stages if s not in self.vocabulary_only_stages)

    code: Program
    title: str
    state_type: type[CaseCore]
    stages: type[StrEnum]
    stage_labels: Mapping[str, str]
    submit: type
    open: Handler
    handlers: Mapping[type, Handler]
    system_commands: frozenset[type]
    first_event: type
    initial: Callable[[Any], Any]
    mutators: Mutators
    deadlines: DeadlineBook
    pending: Callable[[Any], PendingStep | None]
    needs: Callable[[Any], Needs]
    timers: Callable[[Any, Callable[[str], bool]], list[Timer]]
    follow_up: Callable[[Any], Any | None]
    at_rest: Callable[[Any], bool]
    cycles: Callable[[Any], int]
    outcome: Callable[[Any], str | None]
    amount_for: Callable[[Any, str], Decimal | None]
    payable_stages: frozenset[StrEnum]
    info_check_command: Callable[[Any], Any] | None = None
    in_payment: InPayment | None = None
    command_vocabulary: tuple[type, ...] = ()
    event_vocabulary: tuple[type, ...] = ()
    vocabulary_only_stages: frozenset[StrEnum] = frozenset()
    procedure: Any = None
    steps: tuple[tuple[Any, Any], ...] = ()
    active_stages: frozenset[StrEnum] = frozenset()
    notice_kinds: tuple[str, ...] = ()
    event_notice_kinds: frozenset[str] = frozenset()
    notice_for: Callable[..., Any] | None = None
    main_path: tuple[StrEnum, ...] = ()
    end_branches: frozenset[StrEnum] = frozenset()
    recusal_exempt: frozenset[type] = frozenset()
    links: LinksOf = no_links
    fund_draw: Callable[[list[CaseEvent]], FundDraw | None] | None = None
    #: 一门受理: the programme's screening of an intake under the parameters in force (None: not screened yet).
    screen: Callable[[Any, Any, date, Mapping[Any, Any]], Any] | None = None

    @property
    def commands(self) -> frozenset[type]:
        return frozenset({self.submit, *self.handlers})

    @property
    def event_types(self) -> frozenset[type]:
        return frozenset({self.first_event, *self.mutators.event_types})

    # --- decide ----------------------------------------------------------------------------------------

    def decide(self, state: Any | None, command: Any, ctx: DecisionContext) -> list[CaseEvent]:
        """Decide what a command does to a case (see :func:`domain.programmes.decide`)."""
        if isinstance(command, self.submit):
            if state is not None:
                raise InvalidTransition(f"case already exists in stage {state.stage}")
            return number(self.open(None, command, ctx), None, ctx)
        if state is None:
            raise InvalidTransition("the case does not exist")
        system = type(command) in self.system_commands
        if ctx.actor.role is Role.SYSTEM:
            if not system:
                raise NotPermitted("the engine issues only system commands")
        else:
            if system:
                raise NotPermitted("system commands are issued by the engine only")
            need_jurisdiction(state, ctx)
            if type(command) not in self.recusal_exempt:
                not_recused(state, command, ctx)  # 回避 after a close-relative filing: before any rule of the step
        handler = self.handlers.get(type(command))
        if handler is None:
            raise InvalidInput(f"unknown command {type(command).__name__}")
        return number(handler(state, command, ctx), state, ctx)

    # --- evolve ----------------------------------------------------------------------------------------

    def evolve(self, state: Any | None, event: CaseEvent) -> Any:
        """Apply one event to the state.

        Raises:
            DomainError: the event does not follow from the state (a corrupted stream).
        """
        if isinstance(event, self.first_event):
            if state is not None:
                raise DomainError(f"{event.type} on an existing case")
            return self.initial(event)
        if state is None:
            raise DomainError(f"{event.type} before the application")
        if event.seq != state.version + 1:
            raise DomainError(f"event seq {event.seq} does not follow version {state.version}")
        return self.mutators.apply(state, event)

    # --- time ------------------------------------------------------------------------------------------

    def due(self, state: Any, now: datetime, patched: Callable[[str], bool]) -> list[Timer]:
        """The timers due at ``now``, in the order they fire (one per group)."""
        out: list[Timer] = []
        groups: set[str] = set()
        for timer in self.timers(state, patched):
            if now < timer.at or (timer.group is not None and timer.group in groups):
                continue
            if timer.group is not None:
                groups.add(timer.group)
            out.append(timer)
        return out
