"""The case workflow: one durable workflow per case, a thin orchestrator over the pure domain."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import domain.dynamic  # noqa: F401 - the in-payment rules domain.case dispatches to
    from activities.calendar import CalendarActivities, DeadlineInput
    from activities.cases import CaseStoreActivities
    from activities.models import PaidMonthsInput, RecordCaseInput
    from activities.parameters import ParameterActivities, ResolveParametersInput
    from activities.verification import InfoCheckInput, VerificationActivities
    from adapters.temporal.search_attributes import SA_OVERDUE, SA_PROGRAM, SA_STAGE, SA_TOWNSHIP
    from domain import commands as c
    from domain.case import (
        CHINA_TZ,
        NEEDS_PARAMS,
        SYSTEM_ACTOR,
        DecisionContext,
        deadline_open,
        deadlines_to_set,
        decide,
        end_of_day,
        is_overdue,
        pending_step,
        project,
        publicity_closes_at,
    )
    from domain.errors import DomainError
    from domain.events import CaseEvent
    from domain.months import first_day
    from domain.parameters import PublicityUnit, ResolvedParameters
    from domain.state import ACTIVE_STAGES, CaseState, PaidMonth, Stage
    from workflows._policies import STORE_RETRY, STORE_TIMEOUT
    from workflows.models import (
        CaseSnapshot,
        CaseWorkflowInput,
        CommandInput,
        CommandResult,
        PeriodicReviewInput,
        PeriodicReviewResult,
        StandardChangeInput,
        StandardChangeResult,
    )


def search_attributes_for(state: CaseState) -> TypedSearchAttributes:
    """The case's search attributes: stage, programme and township code. Nothing personal."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(SA_STAGE, state.stage.value),
            SearchAttributePair(SA_PROGRAM, state.program.value),
            SearchAttributePair(SA_TOWNSHIP, state.township_code),
        ]
    )


def _domain_failure(err: DomainError) -> ApplicationError:
    return ApplicationError(err.message, {"code": err.code, "field": list(err.field)}, type=err.code,
                            non_retryable=True)


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    """One social-assistance case, from submission to a decision and into payment (S1; SPEC §3).

    Updates:
        execute: one human step (a :data:`domain.commands.HumanCommand`); its validator runs ``decide`` so a
            command in the wrong stage, by the wrong role, outside the jurisdiction, missing its evidence or
            breaking maker ≠ checker is rejected before anything is written to history.

    Queries:
        snapshot: the current :class:`CaseState` and the pending step.

    Timers: the 公示 window closes on its own (a natural transition); a passed deadline raises an
    escalation. Timers never decide a case (SPEC §0.1).
    """

    @workflow.init
    def __init__(self, inp: CaseWorkflowInput) -> None:
        if inp.carried is not None:  # a new run of a case in payment: everything so far is recorded
            self._pending: list[CaseEvent] = []
            self._state: CaseState = inp.carried
        else:
            ctx = DecisionContext(now=inp.submitted_at, actor=inp.actor, case_id=inp.case_id)
            # The API ran the same decide() before starting us; a DomainError here means a code change made a
            # once-valid application invalid, and failing the task (rather than the case) is the right outcome.
            self._pending = decide(None, inp.application, ctx)
            state = project(self._pending)
            assert state is not None
            self._state = state
        self._reviews_at_start = self._state.reviews_completed
        self._lock = asyncio.Lock()
        self._params: ResolvedParameters | None = None
        self._params_day: date | None = None
        self._dirty = False
        self._index = inp.index_in_visibility

    @workflow.run
    async def run(self, inp: CaseWorkflowInput) -> CaseSnapshot:
        if inp.carried is None:
            await self._record(self._state, self._pending)
            self._pending = []
        if workflow.patched("case-params-preload-v1"):
            await self._params_today()
        # workflow.logger is replay-safe (silent during replay); ids go to extra, never personal data.
        workflow.logger.info(
            "case.opened", extra={"case_id": str(self._state.case_id), "stage": self._state.stage.value}
        )
        while not self._state.is_closed:
            wake_at = self._next_wake_at()
            wake = None if wake_at is None else max(wake_at - workflow.now(), timedelta(milliseconds=100))
            # A timeout is the timer firing (公示 window end or a deadline); either way, look at what is due.
            fired = False
            try:
                await workflow.wait_condition(lambda: self._dirty or self._state.is_closed, timeout=wake)
            except TimeoutError:
                fired = True
            self._dirty = False
            if not self._state.is_closed:
                async with self._lock:
                    # When the timer fired, what is due is decided at the instant it was set for, not by
                    # workflow.now(): a worker that takes a task over from a killed sticky worker can be handed
                    # an earlier task's time (it then started a second timer where a replay closes the window:
                    # TMPRL1100). The instant comes from the state alone, so live and replay agree.
                    at = wake_at if fired and workflow.patched("case-timer-instant-v1") else None
                    await self._fire_due(at)
            if self._cycle_done():
                # One run per review cycle keeps every history bounded (issue 4). Updates in flight finish
                # first; an update that arrives after this point is delivered to the new run.
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._lock.locked())
                if self._cycle_done():
                    workflow.continue_as_new(inp.model_copy(update={"carried": self._state}))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._snapshot()

    # --- messages ------------------------------------------------------------------------------------

    @workflow.query
    def snapshot(self) -> CaseSnapshot:
        return self._snapshot()

    @workflow.update
    async def execute(self, inp: CommandInput) -> CommandResult:
        async with self._lock:
            cmd = inp.command
            params = await self._params_today() if type(cmd) in NEEDS_PARAMS else self._params
            ends_on = await self._publicity_end(params) if isinstance(cmd, c.StartPublicity) else None
            payments = await self._paid_months() if isinstance(cmd, NEEDS_PAYMENTS) else ()
            ctx = DecisionContext(now=workflow.now(), actor=inp.actor, case_id=self._state.case_id, params=params,
                                  publicity_ends_on=ends_on, payments=payments)
            try:
                events = decide(self._state, cmd, ctx)
            except DomainError as err:
                raise _domain_failure(err) from None
            if isinstance(cmd, c.RequestInfoCheck):
                events += await self._run_info_check(events)
            first_seq = self._state.version + 1
            await self._commit(events)
            await self._review_check()
            self._dirty = True
            return CommandResult(snapshot=self._snapshot(), events=[ev.type for ev in events], first_seq=first_seq)

    @workflow.update
    async def recalculate(self, inp: StandardChangeInput) -> StandardChangeResult:
        """物价联动: recalculate under a new parameter version (once per version: a repeat changes nothing)."""
        async with self._lock:
            state = self._state
            if inp.version in state.standard_versions_applied:
                return StandardChangeResult(applied=False, reason="already_applied")
            if state.stage not in ACTIVE_STAGES:
                return StandardChangeResult(applied=False, reason="not_active")
            params = await self._resolve(inp.effective_from)
            # The book has changed since the parameters were last loaded: the next decision reloads them, so it
            # never computes with a superseded version later the same day.
            self._params_day = None
            ctx = DecisionContext(now=workflow.now(), actor=inp.actor, case_id=state.case_id, params=params)
            cmd = c.ApplyStandardChange(version=inp.version, effective_from=inp.effective_from)
            try:
                events = decide(state, cmd, ctx)
            except DomainError as err:
                raise _domain_failure(err) from None
            await self._commit(events)
            await self._review_check()
            self._dirty = True
            return StandardChangeResult(applied=True, old_amount=state.monthly_amount,
                                        new_amount=self._state.monthly_amount, events=[ev.type for ev in events])

    @workflow.update
    async def open_periodic_review(self, inp: PeriodicReviewInput) -> PeriodicReviewResult:
        """The daily sweep's catch-up: open the periodic review due on ``inp.due`` unless it is open already
        (the case's own timer opens it on the day; whichever comes first wins, the other changes nothing)."""
        async with self._lock:
            state = self._state
            if state.stage is not Stage.IN_PAYMENT:
                return PeriodicReviewResult(opened=False, reason="already_open" if state.review else "not_in_payment")
            if state.next_review_due != inp.due:
                return PeriodicReviewResult(opened=False, reason="already_open")
            if self._today() < inp.due:
                return PeriodicReviewResult(opened=False, reason="not_due")
            await self._system(c.OpenPeriodicReview(due=inp.due))
            await self._review_check()
            self._dirty = True
            return PeriodicReviewResult(opened=True)

    @execute.validator
    def _validate(self, inp: CommandInput) -> None:
        # Another decision is being taken (a timer's, another command's: its record may already be in PostgreSQL
        # and on the trail): the state is about to change, so the command is decided by the handler once it has
        # the lock, on the state that decision leaves — not refused here against the state before it.
        if self._lock.locked():
            return
        # Validators cannot run activities, so this uses the parameters last loaded; the handler decides
        # again, authoritatively, with the parameters in force today.
        # A working-day 公示 end comes from the calendar activity in the handler; any date will do to validate.
        ctx = DecisionContext(now=workflow.now(), actor=inp.actor, case_id=self._state.case_id, params=self._params,
                              publicity_ends_on=self._today())
        try:
            decide(self._state, inp.command, ctx)
        except DomainError as err:
            if type(err) is DomainError and self._params is None:
                return  # "needs the parameters in force": only the handler can load them
            raise _domain_failure(err) from None

    # --- internals -----------------------------------------------------------------------------------

    def _snapshot(self) -> CaseSnapshot:
        return CaseSnapshot(state=self._state, pending=pending_step(self._state))

    def _today(self) -> date:
        return workflow.now().astimezone(CHINA_TZ).date()

    async def _params_today(self) -> ResolvedParameters:
        """The parameters in force today, read by an activity (at most once a day per case)."""
        today = self._today()
        if self._params is None or self._params_day != today:
            self._params = await self._resolve(today)
            self._params_day = today
        return self._params

    async def _resolve(self, on: date) -> ResolvedParameters:
        """The parameters in force for the case's village on ``on`` (an activity: replay never reads the file)."""
        return await workflow.execute_activity_method(
            ParameterActivities.resolve_parameters,
            ResolveParametersInput(division_code=self._state.village_code, on=on),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )

    async def _paid_months(self) -> tuple[PaidMonth, ...]:
        """Months already on a payment roll for this case (a stop or decrease may reach back over them)."""
        paid = await workflow.execute_activity_method(
            CaseStoreActivities.paid_months,
            PaidMonthsInput(case_id=self._state.case_id),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
        return tuple(paid)

    async def _review_check(self) -> None:
        """A review just opened: re-run the information check (S1 Art. 31) before anyone decides it."""
        if self._state.stage is not Stage.UNDER_REVIEW or self._state.info_check_requested:
            return
        ctx = DecisionContext(now=workflow.now(), actor=SYSTEM_ACTOR, case_id=self._state.case_id)
        requested = decide(self._state, c.RequestReviewCheck(), ctx)
        await self._commit(requested + await self._run_info_check(requested))

    def _cycle_done(self) -> bool:
        """A review cycle finished in this run and the case is back in payment: time for a new run."""
        state = self._state
        if state.is_closed or state.stage not in {Stage.IN_PAYMENT, Stage.GRADUAL_EXIT}:
            return False
        return state.reviews_completed > self._reviews_at_start or workflow.info().is_continue_as_new_suggested()

    async def _publicity_end(self, params: ResolvedParameters | None) -> date | None:
        if params is None or params.values.publicity_unit is not PublicityUnit.WORKING_DAY:
            return None
        # Day 1 is the first working day from the posting day on.
        result = await workflow.execute_activity_method(
            CalendarActivities.compute_deadline,
            DeadlineInput(start=self._today() - timedelta(days=1), amount=params.values.publicity_period,
                          unit="working_day"),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
        return result.due

    async def _run_info_check(self, events: list[CaseEvent]) -> list[CaseEvent]:
        report = await workflow.execute_activity_method(
            VerificationActivities.run_info_check,
            InfoCheckInput(members=list(self._state.members), declaration=self._state.declaration),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=STORE_RETRY,
        )
        requested = project(events, self._state)
        assert requested is not None
        ctx = DecisionContext(now=workflow.now(), actor=SYSTEM_ACTOR, case_id=self._state.case_id)
        return decide(requested, c.CompleteInfoCheck(report=report), ctx)

    async def _system(self, command: Any, now: datetime | None = None) -> None:
        ctx = DecisionContext(now=now or workflow.now(), actor=SYSTEM_ACTOR, case_id=self._state.case_id)
        await self._commit(decide(self._state, command, ctx))

    async def _commit(self, events: list[CaseEvent]) -> None:
        """Add the deadlines the events start, record everything in PostgreSQL, then evolve."""
        after = project(events, self._state)
        assert after is not None
        # Parameters are preloaded when the case starts; a case started before that (no preload) loads them here.
        params = self._params or await self._params_today()
        for step, start, days in deadlines_to_set(after, events, params):
            result = await workflow.execute_activity_method(
                CalendarActivities.compute_deadline,
                DeadlineInput(start=start, amount=days, unit="working_day"),
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=STORE_RETRY,
            )
            ctx = DecisionContext(now=workflow.now(), actor=SYSTEM_ACTOR, case_id=self._state.case_id)
            events += decide(after, c.SetDeadline(step=step, due=result.due,
                                                  calendar_version=result.calendar_version), ctx)
            after = project(events[-1:], after)
            assert after is not None
        await self._record(after, events)
        before = self._state
        self._state = after
        if self._index and (before.stage is not after.stage or is_overdue(before) != is_overdue(after)):
            workflow.upsert_search_attributes(
                [SA_STAGE.value_set(after.stage.value), SA_OVERDUE.value_set(is_overdue(after))]
            )

    async def _record(self, state: CaseState, events: list[CaseEvent]) -> None:
        """Write the events and the state after them to PostgreSQL (idempotent per case and seq)."""
        await workflow.execute_activity_method(
            CaseStoreActivities.record_case,
            RecordCaseInput(state=state, events=events),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )

    def _in_payment_timers(self) -> bool:
        # Cases recorded before the in-payment life existed waited without timers once in payment; their
        # histories must replay unchanged (tests/workflows/histories), so the new timers sit behind a patch.
        return self._state.stage in ACTIVE_STAGES and workflow.patched("case-dynamic-v1")

    def _next_wake_at(self) -> datetime | None:
        """The earliest instant something falls due: the 公示 window's end, a review, the 渐退期's end, a
        deadline (end of its day)."""
        instants: list[datetime] = []
        if self._state.stage is Stage.PUBLICITY:
            instants.append(publicity_closes_at(self._state))
        if self._in_payment_timers():
            instants += [t for t in (_review_opens_at(self._state), _gradual_exit_ends_at(self._state)) if t]
        for d in self._state.deadlines.values():
            if not d.escalated and deadline_open(self._state, d.step):
                instants.append(end_of_day(d.due))
        return min(instants, default=None)

    async def _fire_due(self, at: datetime | None = None) -> None:
        """Decide what is due at ``at`` (the instant a timer was set for), or now after a message."""
        now = workflow.now() if at is None else at
        state = self._state
        if state.stage is Stage.PUBLICITY and now >= publicity_closes_at(state):
            await self._system(c.ClosePublicity(), at)
        if self._in_payment_timers():
            review_at, exit_at = _review_opens_at(state), _gradual_exit_ends_at(state)
            if exit_at is not None and now >= exit_at:
                await self._system(c.EndGradualExit(), at)
            elif review_at is not None and now >= review_at and state.next_review_due is not None:
                workflow.logger.info("case.review_due", extra={"case_id": str(state.case_id)})
                await self._system(c.OpenPeriodicReview(due=state.next_review_due), at)
                await self._review_check()
        for d in list(self._state.deadlines.values()):
            if not d.escalated and deadline_open(self._state, d.step) and now >= end_of_day(d.due):
                workflow.logger.warning("case.escalated", extra={"case_id": str(self._state.case_id),
                                                                 "step": d.step})
                await self._system(c.RaiseEscalation(step=d.step), at)


#: Commands whose decision may reach back over months already on a payment roll.
NEEDS_PAYMENTS = (c.DecideReview, c.StopBenefit)


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)


def _review_opens_at(state: CaseState) -> datetime | None:
    """The periodic review opens at the start of its due day (S1 Art. 31)."""
    if state.stage is Stage.IN_PAYMENT and state.next_review_due is not None:
        return _start_of(state.next_review_due)
    return None


def _gradual_exit_ends_at(state: CaseState) -> datetime | None:
    """The 渐退期 runs out at the start of the stop month decided with it (S1 Art. 33)."""
    if state.gradual_exit_ends_month is not None and state.stop_effective_month is not None:
        return _start_of(first_day(state.stop_effective_month))
    return None
