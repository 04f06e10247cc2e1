"""公示 with objections: posting the notice for a period (calendar days, working days from the calendar, or — in
tests — seconds), objections logged while it runs, the window closing on its own (a natural transition, the
engine's), and the township's choice of how objections are answered (S1 Art. 19; S3 Arts. 15, 26; S6 §四(二)).

What follows a window without objection is the programme's (``ProcedureSpec.after_publicity``); unless it
says otherwise, the package goes to the confirming authority (:func:`submitted_for_confirmation`): dibao's to
the county, 特困's termination to the county's decision, 临时救助's to the approving authority.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from domain import commands as c
from domain import events as e
from domain.errors import DomainError, InvalidTransition
from domain.kernel.clock import CHINA_TZ, end_of_day
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    TOWNSHIP_APPROVER,
    VILLAGE_COMMITTEE,
    WINDOW,
    need_params,
    need_role,
    need_stage,
)
from domain.kernel.mutators import Mutators, moved
from domain.kernel.programme import Handler
from domain.parameters import PeriodCounting, PublicityUnit, ResolvedParameters
from domain.procedure.amendment import need_no_open_proposal
from domain.procedure.records import Objection
from domain.procedure.spec import ProcedureSpec

FIELDS = frozenset(
    {
        "prelim_eligible",
        "publicity_starts_on",
        "publicity_ends_on",
        "publicity_ends_at",
        "publicity_rounds",
        "publicity_days",
        "publicity_counting",
        "objections",
    }
)
ARTICLE_KEYS = frozenset({"publicity_start", "objection", "publicity_close", "objection_follow_up"})


def submitted_for_confirmation(spec: ProcedureSpec) -> list[Draft]:
    """The package goes to the confirming authority: what a 公示 without objection leads to, unless the
    programme's ``after_publicity`` says otherwise (the key ``submit_for_confirmation`` is the confirmation
    step's)."""
    return [draft(e.CaseSubmittedToCounty, *spec.basis("submit_for_confirmation"))]


def closes_at(state: Any) -> datetime:
    """When the current 公示 window closes."""
    if state.publicity_ends_at is not None:
        return state.publicity_ends_at
    assert state.publicity_ends_on is not None
    return end_of_day(state.publicity_ends_on)


def counts_start_day(params: ResolvedParameters) -> int:
    """1 when the posting day is day 1 of the 公示 (the rule before 民法典 Art. 201 became the parameter), else 0."""
    return int(params.values.publicity_counting in (None, PeriodCounting.INCLUDE_START_DAY))


def open_objections(state: Any) -> int:
    return sum(1 for o in state.objections if not o.resolved)


def _start(spec: ProcedureSpec, state: Any, cmd: c.StartPublicity, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, CASEWORKER, "post the 公示")
    need_stage(state, {spec.stages.prelim_opinion}, "starting the 公示")
    if not state.prelim_eligible:
        raise InvalidTransition("only an 'eligible' opinion is posted for 公示; send an ineligible one to the county")
    need_no_open_proposal(state, spec, "the 公示")
    unit = params.values.publicity_unit
    if unit is PublicityUnit.SECOND:
        ends_at = ctx.now + timedelta(seconds=params.values.publicity_period)
        ends_on = ends_at.astimezone(CHINA_TZ).date()
    else:
        # 民法典 Art. 201 (the book's default): the posting day is not counted, day 1 is the next day; a period
        # recorded before the rule was a parameter counted the posting day as day 1. The window runs to the end
        # of its last day (China time).
        if unit is PublicityUnit.CALENDAR_DAY:
            ends_on = ctx.today + timedelta(days=params.values.publicity_period - counts_start_day(params))
        elif ctx.publicity_ends_on is not None:
            ends_on = ctx.publicity_ends_on
        else:
            raise DomainError("a working-day 公示 needs its end date from the calendar")
        ends_at = end_of_day(ends_on)
    return [
        draft(
            e.PublicityStarted,
            *spec.basis("publicity_start"),
            params_version=params.version,
            location=cmd.location,
            starts_on=ctx.today,
            ends_on=ends_on,
            ends_at=ends_at,
            unit=unit.value,
            notice_sha256=cmd.notice_sha256,
            # Recorded with the counting rule only (parameters recorded before it keep their events' bytes).
            days=(None if unit is PublicityUnit.SECOND or params.values.publicity_counting is None
                  else params.values.publicity_period),
            counting=params.values.publicity_counting,
        )
    ]


def _log_objection(spec: ProcedureSpec, state: Any, cmd: c.LogObjection, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | CASEWORKER | VILLAGE_COMMITTEE, "log an objection")
    need_stage(state, {spec.stages.publicity}, "logging a 公示 objection")
    if ctx.now >= closes_at(state):
        raise InvalidTransition("the 公示 window has closed")
    return [draft(e.PublicityObjectionLogged, *spec.basis("objection"), real_name=cmd.real_name, content=cmd.content)]


def _close(spec: ProcedureSpec, state: Any, _: c.ClosePublicity, ctx: DecisionContext) -> list[Draft]:
    need_stage(state, {spec.stages.publicity}, "closing the 公示")
    out = [draft(e.PublicityWindowElapsed, *spec.basis("publicity_close"), objections=open_objections(state))]
    if open_objections(state) == 0:
        out += (submitted_for_confirmation(spec) if spec.after_publicity is None
                else spec.after_publicity(state, ctx))
    return out


def _resolve_objection(spec: ProcedureSpec, state: Any, cmd: c.ResolveObjection, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, TOWNSHIP_APPROVER, "choose how an objection is resolved")
    # The window runs to its end (SPEC §3.3 row 13); the township answers the objections afterwards.
    need_stage(state, {spec.stages.objection_received}, "resolving an objection")
    if open_objections(state) == 0:
        raise InvalidTransition("no open objection is on record")
    if cmd.path == "reinvestigation":
        return [draft(e.ReinvestigationOrdered, *spec.basis("objection_follow_up"), reason=cmd.reason)]
    return [draft(e.DemocraticAppraisalOrdered, *spec.basis("objection_follow_up"), reason=cmd.reason)]


_HANDLERS = {
    c.StartPublicity: _start,
    c.LogObjection: _log_objection,
    c.ClosePublicity: _close,
    c.ResolveObjection: _resolve_objection,
}


def handlers(spec: ProcedureSpec) -> dict[type, Handler]:
    return {t: partial(fn, spec) for t, fn in _HANDLERS.items()}


def mutators(spec: ProcedureSpec) -> Mutators:
    s = spec.stages
    m = Mutators()

    @m.on(e.PublicityStarted)
    def _(state: Any, event: Any) -> Any:
        return moved(
            state,
            event,
            s.publicity,
            publicity_starts_on=event.starts_on,
            publicity_ends_on=event.ends_on,
            publicity_ends_at=event.ends_at or end_of_day(event.ends_on),
            publicity_days=event.days,
            publicity_counting=event.counting,
        )

    @m.on(e.PublicityObjectionLogged)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, objections=(*state.objections, Objection(seq=event.seq, real_name=event.real_name)))

    @m.on(e.PublicityWindowElapsed)
    def _(state: Any, event: Any) -> Any:
        stage = s.objection_received if event.objections else state.stage
        return moved(state, event, stage, publicity_rounds=state.publicity_rounds + 1)

    @m.on(e.ReinvestigationOrdered)
    def _(state: Any, event: Any) -> Any:
        return moved(
            state,
            event,
            s.reinvestigation,
            objections=tuple(o.model_copy(update={"resolved": True}) for o in state.objections),
        )

    return m
