"""Deadline rules as data: one :class:`DeadlineRule` per step a time limit governs.

A rule says which article sets the limit, which events start it (and from which day, for how many working
days — read from the parameters in force), and while which states the step stays open, so that passing the
due date raises an escalation (never a decision: SPEC §0.1). A programme lists its rules; the kernel derives
from them what the workflow asks: the deadlines a batch of events starts, whether a deadline is still open,
and the legal basis recorded with ``deadline_set`` and ``escalation_raised``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.calendar import provisional_year, weekdays_between
from domain.errors import InvalidTransition
from domain.events import CaseEvent
from domain.kernel.clock import local_date
from domain.kernel.drafts import draft
from domain.kernel.mutators import Mutators, moved
from domain.kernel.state import CaseCore, Deadline
from domain.parameters import ResolvedParameters

#: How a rule starts: given the state after the batch, the starting event and the parameters, the day the
#: count starts from and the number of working days.
Start = Callable[[Any, Any, ResolvedParameters], tuple[date, int]]


def on_event_day(length: Callable[[ResolvedParameters], int]) -> Start:
    """A count from the day of the starting event (China time), for ``length(params)`` working days."""
    return lambda _state, ev, params: (local_date(ev.at), length(params))


@dataclass(frozen=True)
class DeadlineRule:
    """One step's time limit.

    Attributes:
        step: the step's name (the key of ``state.deadlines``; stable, it is in recorded events).
        basis: the articles that set the limit, recorded with the deadline and its escalation.
        open_while: whether the step is still pending in a state (a passed deadline then escalates).
        starts: per event type, how that event starts (or restarts) the count in working days. Empty for a
            limit the programme's handler sets itself (one counted in calendar months, say).
    """

    step: str
    basis: tuple[str, ...]
    open_while: Callable[[Any], bool]
    starts: Mapping[type, Start] = field(default_factory=dict)


class DeadlineBook:
    """A programme's deadline rules, looked up by step."""

    def __init__(self, rules: Sequence[DeadlineRule]) -> None:
        self.rules = tuple(rules)
        self._by_step = {r.step: r for r in self.rules}
        if len(self._by_step) != len(self.rules):
            raise ValueError("two deadline rules for one step")

    def basis(self, step: str) -> tuple[str, ...]:
        rule = self._by_step.get(step)
        return rule.basis if rule else ()

    def is_open(self, state: CaseCore, step: str) -> bool:
        """Whether the step a deadline governs is still pending (so passing it raises an escalation)."""
        rule = self._by_step.get(step)
        return rule is not None and rule.open_while(state)

    def to_set(
        self, state: CaseCore, new_events: Iterable[CaseEvent], params: ResolvedParameters
    ) -> list[tuple[str, date, int]]:
        """Deadlines a batch of events starts: (step, start date, working days) for the calendar to compute,
        in the order of the events (and of the rules, for one event that starts several)."""
        out: list[tuple[str, date, int]] = []
        for ev in new_events:
            for rule in self.rules:
                start = rule.starts.get(type(ev))
                if start is not None:
                    day, amount = start(state, ev, params)
                    out.append((rule.step, day, amount))
        return out

    def overdue(self, state: CaseCore) -> bool:
        """Whether an escalated deadline's step is still pending (the case is overdue)."""
        return any(d.escalated and self.is_open(state, d.step) for d in state.deadlines.values())

    def provisional(self, state: CaseCore, year: int | None = None) -> list[Deadline]:
        """The deadlines of pending steps that were counted provisionally (weekdays only, in a year the
        calendar did not cover), in step order; only those provisional from ``year`` when it is given."""
        out = []
        for d in state.deadlines.values():
            first = provisional_year(d.calendar_version)
            if first is not None and (year is None or first == year) and self.is_open(state, d.step):
                out.append(d)
        return out


def recount(deadline: Deadline) -> tuple[date, int] | None:
    """What to count again to recompute a provisional deadline with the calendar as it is now: (start, working
    days). None for a deadline counted officially.

    Where the deadline's event recorded what it counted, that. Otherwise (recorded before it was kept) the count
    restarts on 31 December before the first provisional year with the working days the provisional count
    found from there to the due date — every day of that year and after was a working day for it exactly when
    it was a weekday. This is the same count whenever the original count started before that year, as every
    deadline recorded before the year began did; one started inside the year itself cannot be recovered.
    """
    first = provisional_year(deadline.calendar_version)
    if first is None:
        return None
    if deadline.start is not None and deadline.working_days is not None:
        return deadline.start, deadline.working_days
    eve = date(first - 1, 12, 31)
    return eve, max(weekdays_between(eve, deadline.due), 1)


def recount_reason(deadline: Deadline, calendar_version: str) -> str | None:
    """Why a provisional deadline counted again under ``calendar_version`` is recorded anew (zh-CN, for the
    trail), or None when the new count is no less provisional than the old one (its year is still not covered):
    then nothing is recorded."""
    was = provisional_year(deadline.calendar_version)
    now = provisional_year(calendar_version)
    if was is None or (now is not None and now <= was):
        return None
    return (f"{was}年节假日安排已录入，按法定工作日历重新计算期限（原到期日 {deadline.due.isoformat()}，"
            f"原按工作日临时计算，日历版本 {deadline.calendar_version}）")


def deadline_handlers(
    book: DeadlineBook, set_command: type, escalate_command: type, set_event: type, escalation_event: type
) -> dict[type, Callable[..., list[Any]]]:
    """The two system commands every programme takes for its deadlines: record a computed deadline, and raise
    the escalation when one has passed with its step still open (an escalation, never a decision)."""

    def set_deadline(_state: CaseCore, cmd: Any, _ctx: Any) -> list[Any]:
        return [
            draft(set_event, *book.basis(cmd.step), reason=cmd.reason, step=cmd.step, due=cmd.due,
                  calendar_version=cmd.calendar_version, start=cmd.start, working_days=cmd.working_days)
        ]

    def raise_escalation(state: CaseCore, cmd: Any, _ctx: Any) -> list[Any]:
        deadline = state.deadlines.get(cmd.step)
        if deadline is None or deadline.escalated:
            raise InvalidTransition("nothing to escalate")
        return [draft(escalation_event, *book.basis(cmd.step), step=cmd.step, due=deadline.due)]

    return {set_command: set_deadline, escalate_command: raise_escalation}


def deadline_mutators(set_event: type, escalation_event: type) -> Mutators:
    """How a recorded deadline and its escalation change the case (the same for every programme)."""
    m = Mutators()

    @m.on(set_event)
    def _(state: Any, event: Any) -> Any:
        deadlines = dict(state.deadlines)
        deadlines[event.step] = Deadline(step=event.step, due=event.due, calendar_version=event.calendar_version,
                                         start=event.start, working_days=event.working_days)
        return moved(state, event, deadlines=deadlines)

    @m.on(escalation_event)
    def _(state: Any, event: Any) -> Any:
        deadlines = dict(state.deadlines)
        deadlines[event.step] = deadlines[event.step].model_copy(update={"escalated": True})
        return moved(state, event, deadlines=deadlines)

    return m
