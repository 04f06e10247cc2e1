"""Evolve functions registered per event type, instead of one long ``match``.

A programme's module makes one :class:`Mutators`, registers a function per event type it folds, and the
kernel checks the envelope (the ``seq`` follows the version) before calling it. :func:`moved` is the common
tail of every mutator: the version and time advance, and the stage changes when the event moves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, TypeVar

from domain.errors import DomainError
from domain.events import EventBase
from domain.kernel.state import CaseCore

S = TypeVar("S", bound=CaseCore)
Mutator = Callable[[Any, Any], Any]


def moved(state: S, event: EventBase, stage: StrEnum | None = None, **changes: Any) -> S:
    """``state`` after ``event``: version and time advance, the stage moves if given, and ``changes`` apply."""
    update: dict[str, Any] = {"version": event.seq, "updated_at": event.at, **changes}
    if stage is not None and stage is not state.stage:
        update |= {"stage": stage, "stage_since": event.at}
    return state.model_copy(update=update)


class Mutators:
    """A registry of evolve functions, one per event type."""

    def __init__(self) -> None:
        self._by_type: dict[type, Mutator] = {}

    def on(self, *event_types: type) -> Callable[[Mutator], Mutator]:
        """Register the decorated function for ``event_types``."""

        def register(fn: Mutator) -> Mutator:
            for t in event_types:
                if t in self._by_type:
                    raise ValueError(f"two mutators for {t.__name__}")
                self._by_type[t] = fn
            return fn

        return register

    def merge(self, other: Mutators) -> Mutators:
        """A registry with both sets (a procedure component's and the programme's own); no type twice."""
        out = Mutators()
        for registry in (self, other):
            for t, fn in registry._by_type.items():
                out.on(t)(fn)
        return out

    def without(self, *event_types: type) -> Mutators:
        """A registry with all but ``event_types`` (a programme that folds those events its own way)."""
        out = Mutators()
        for t, fn in self._by_type.items():
            if t not in event_types:
                out.on(t)(fn)
        return out

    @property
    def event_types(self) -> frozenset[type]:
        return frozenset(self._by_type)

    def apply(self, state: Any, event: EventBase) -> Any:
        fn = self._by_type.get(type(event))
        if fn is None:
            raise DomainError(f"unknown event {type(event).__name__}")
        return fn(state, event)


def merged(registries: Iterable[Mutators]) -> Mutators:
    out = Mutators()
    for r in registries:
        out = out.merge(r)
    return out
