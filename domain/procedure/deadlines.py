"""Time limits of the shared procedure steps, the same rule for each programme that runs them (dibao, 特困,
临时救助): the step, the stages in which it stays open and the event that starts it come from the procedure;
the articles and the number of working days (read from the parameters in force) are the programme's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

from domain import events as e
from domain.kernel.deadlines import DeadlineRule, on_event_day
from domain.parameters import ResolvedParameters
from domain.procedure.spec import Stages

Length = Callable[[ResolvedParameters], int]


def acceptance(stages: Stages, basis: tuple[str, ...], length: Length) -> DeadlineRule:
    """The missing materials told at once (一次性告知): the application is to be accepted or refused in time."""
    return DeadlineRule(
        step="acceptance",
        basis=basis,
        open_while=lambda s: s.stage is stages.materials_incomplete,
        starts={e.MaterialsDeficiencyNotified: on_event_day(length)},
    )


def decision(step: str, stages: Stages, basis: tuple[str, ...], length: Length,
             also_open_in: Iterable[StrEnum] = ()) -> DeadlineRule:
    """The confirming authority decides in time once the package is submitted (and while it reviews it)."""
    open_in = frozenset({stages.submitted_for_confirmation, stages.confirmation_review, *also_open_in})
    return DeadlineRule(
        step=step,
        basis=basis,
        open_while=lambda s: s.stage in open_in,
        starts={e.CaseSubmittedToCounty: on_event_day(length)},
    )


def rejection_notice(stages: Stages, basis: tuple[str, ...], length: Length) -> DeadlineRule:
    """A refusal is served on the applicant in writing, with its reasons, in time."""
    return DeadlineRule(
        step="rejection_notice",
        basis=basis,
        open_while=lambda s: s.stage is stages.rejected and not s.rejection_notice_served,
        starts={e.ApplicationRejected: on_event_day(length)},
    )
