"""The case workflow: one durable workflow per case, a thin orchestrator over the pure domain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities, DeadlineInput
    from activities.cases import CaseStoreActivities
    from activities.links import DeliverLinksInput, LinkActivities, LinkToDeliver, RelatedCasesInput
    from activities.models import FundDrawInput, PaidMonthsInput, RecordCaseInput
    from activities.parameters import ParameterActivities, ResolveParametersInput
    from activities.reserve_fund import ReserveFundActivities
    from activities.verification import InfoCheckInput, VerificationActivities
    from adapters.temporal.search_attributes import SA_OVERDUE, SA_PROGRAM, SA_STAGE, SA_TOWNSHIP
    from domain import commands as c
    from domain.errors import DomainError, ReserveFundShort
    from domain.events import CaseEvent
    from domain.kernel import links as kernel_links
    from domain.kernel.clock import CHINA_TZ, end_of_day
    from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
    from domain.kernel.deadlines import recount, recount_reason
    from domain.kernel.programme import Programme
    from domain.kernel.state import PaidMonth, RelatedCase
    from domain.parameters import PublicityUnit, ResolvedParameters
    from domain.procedure.publicity import counts_start_day
    from domain.programmes import REGISTRY, CaseState, decide, programme_of, project
    from domain.verification import InfoCheckReport
    from workflows._policies import LOCAL_STORE_TIMEOUT, LOCAL_STORE_WINDOW, STORE_RETRY, STORE_TIMEOUT
    from workflows.models import (
        CATCHING_UP,
        ApplyLinkInput,
        ApplyLinkResult,
        CaseSnapshot,
        CaseWorkflowInput,
        CatchUpInput,
        CatchUpResult,
        CommandInput,
        CommandResult,
        PeriodicReviewInput,
        PeriodicReviewResult,
        RecomputedDeadline,
        RecomputeDeadlinesInput,
        RecomputeDeadlinesResult,
        StandardChangeInput,
        StandardChangeResult,
    )

#: Runs that take this patch record what each deadline counted (start, working days) with its ``deadline_set``,
#: so a provisional one can be counted again exactly; runs recorded before it re-derive their events unchanged.
DEADLINE_COUNT_PATCH = "case-deadline-count-v1"


def search_attributes_for(state: CaseState) -> TypedSearchAttributes:
    """The case's search attributes: stage, programme and township code. Nothing personal."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(SA_STAGE, str(state.stage)),
            SearchAttributePair(SA_PROGRAM, str(state.program)),
            SearchAttributePair(SA_TOWNSHIP, state.township_code),
        ]
    )


def _domain_failure(err: DomainError) -> ApplicationError:
    return ApplicationError(err.message, {"code": err.code, "field": list(err.field)}, type=err.code,
                            non_retryable=True)


def validator_refusal(err: DomainError, wake: datetime | None, now: datetime) -> ApplicationError:
    """What the ``execute`` validator answers for a command the current state refuses.

    When a decision fell due at ``wake`` and is not taken yet (``wake <= now``) — a timer's task retried after its
    worker was lost, its record possibly already in PostgreSQL where reads find the case past it, with the command
    delivered in the same activation before the run loop has the lock — the state is about to change: the refusal
    is :data:`~workflows.models.CATCHING_UP` (the API answers 503 with Retry-After), never "refused" against a
    stage the case is leaving. Otherwise the domain's refusal.
    """
    if wake is not None and wake <= now:
        return ApplicationError("the case is taking a decision that fell due; retry shortly",
                                {"code": CATCHING_UP, "field": []}, type=CATCHING_UP, non_retryable=True)
    return _domain_failure(err)


#: Behind this patch a command naming another parameter book re-resolves the parameters the same day.
PARAMS_BOOK_PATCH = "case-params-book-v1"
#: Behind this patch a recalculation that reaches back to a month already on a roll reads the paid months and
#: decides the 补发 (back pay) with it.
BACK_PAY_PATCH = "case-back-pay-v1"
#: Runs that take this patch run the store's quick calls (``record_case``, ``compute_deadline``,
#: ``resolve_parameters``, ``paid_months``, ``related_cases``) as local activities, in the workflow task of the
#: decision: no server round trip each (issue 18). Runs recorded before it run them as regular activities.
LOCAL_RECORDS_PATCH = "case-local-records-v1"
#: Every patch before :data:`LOCAL_RECORDS_PATCH`: a run that took it has them all by construction, so it never
#: asks Temporal about them (``CaseWorkflow._patched``). This matters beyond the markers saved: on this SDK a
#: local activity's result can reach the code in another activation on replay than it did live (temporalio
#: sdk-python #1881), and a patch first asked for after one would then be asked for before Temporal has said the
#: history holds it (TMPRL1100, seen in the standard-change crash test). A patch added after this one goes in
#: ASKED_AT_START instead.
IMPLIED_BY_LOCAL_RECORDS = frozenset({
    "case-params-preload-v1", "case-timer-instant-v1", "case-deadline-count-v1", PARAMS_BOOK_PATCH, BACK_PAY_PATCH,
    kernel_links.LINKS_PATCH, "case-dynamic-v1", "case-stopping-v1", "case-stop-withdraws-unpaid-v1",
    "case-tekun-recalculation-v1", "case-disability-related-authoritative-v1", "old-age-survival-escalation-v1",
    "case-disability-link-latest-dibao-v1",
})
#: Runs that take this patch (and LOCAL_RECORDS_PATCH) run the information check (``run_info_check``) as a local
#: activity too: it reads the departmental records imported into PostgreSQL (adapters/db/economic_records.py) and
#: has no side effect, so it is as quick and as safe to repeat as the store's calls, and the decision that needs it
#: takes one workflow task instead of three (schedule, the activity task, the task its completion starts).
LOCAL_INFO_CHECK_PATCH = "case-local-info-check-v1"
#: Patches added after LOCAL_RECORDS_PATCH, wherever the code asks for them (a programme's decide, a timer): each
#: run asks for them first at its start, before any local activity, so the answer is memoized for the run where
#: live and replay agree (a run that started before the patch answers False to the end of the run).
ASKED_AT_START: tuple[str, ...] = (LOCAL_INFO_CHECK_PATCH, *(
    p.in_payment.back_pay_patch for p in REGISTRY.values() if p.in_payment and p.in_payment.back_pay_patch))


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    """One social-assistance case of any programme, from submission to a decision and into payment.

    The workflow knows no programme: it asks the case's :class:`~domain.kernel.programme.Programme` what a
    command needs, what falls due when and which system command to run then, and what follows a decision.

    Updates:
        execute: one human step (a :data:`domain.commands.HumanCommand`); its validator runs ``decide`` so a
            command in the wrong stage, by the wrong role, outside the jurisdiction, missing its evidence or
            breaking maker ≠ checker is rejected before anything is written to history.
        recalculate: 物价联动 under a new parameter version (the standard-change batch; once per version).
        open_periodic_review: the daily review sweep's catch-up of a periodic review the case's timer owes.
        catch_up_timers: the daily allowance catch-up (高龄津贴's band moves, survival-check deadlines).
        apply_link: an effect of another case of the same person (a death, a programme left or entered).
        recompute_deadlines: provisional deadlines counted again once a year's calendar is complete.

    Every decision is recorded (events, read-model row, ledger) by a local activity on runs since
    ``case-local-records-v1``: one workflow task per decision on the common path (issue 18).

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
        self._programme: Programme = programme_of(self._state.program)
        self._cycles_at_start = self._programme.cycles(self._state)
        self._lock = asyncio.Lock()
        self._params: ResolvedParameters | None = None
        self._params_day: date | None = None
        self._dirty = False
        self._index = inp.index_in_visibility
        #: Effects of recorded events on the person's other cases, delivered by the run loop outside the lock
        #: (a delivery waits for the target, which may be delivering to this case at the same time).
        self._outbox: list[kernel_links.Link] = []
        self._local: bool | None = None
        #: On runs that took LOCAL_RECORDS_PATCH: the instant of the decision being taken, pinned where it began
        #: (a handler's or the run's first step, a timer's instant), never read after a local activity: on replay
        #: the code after one may run in another workflow task, with another workflow.now() (see
        #: IMPLIED_BY_LOCAL_RECORDS). None: workflow.now(), as runs recorded before have it.
        self._now_pin: datetime | None = None
        self._woken_at: datetime | None = None

    @workflow.run
    async def run(self, inp: CaseWorkflowInput) -> CaseSnapshot:
        opening: list[CaseEvent] = []
        if self._local_store():  # decided here first in every run (memoized for the run)
            for patch_id in ASKED_AT_START:
                workflow.patched(patch_id)
        started = workflow.now()
        self._pin(started)
        if inp.carried is None:
            recorded = await self._record(self._state, self._pending)
            if recorded is not None:  # see _commit
                self._pending = recorded
                state = project(recorded)
                assert state is not None
                self._state = state
            opening, self._pending = self._pending, []
        if self._patched("case-params-preload-v1"):
            await self._params_today()
        # A programme whose limit runs from the application itself (两项补贴's township review) starts it now;
        # dibao's start at 受理, so its runs record nothing here.
        if opening and self._params is not None and self._programme.deadlines.to_set(self._state, opening,
                                                                                     self._params):
            async with self._lock:  # an Update may already be deciding on the new case
                self._pin(started)
                await self._commit([], starts=opening)
        # workflow.logger is replay-safe (silent during replay); ids go to extra, never personal data.
        workflow.logger.info(
            "case.opened", extra={"case_id": str(self._state.case_id), "stage": str(self._state.stage)}
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
                    at = wake_at if fired and self._patched("case-timer-instant-v1") else None
                    self._pin(at or self._woken_at or workflow.now())
                    await self._fire_due(at)
            await self._deliver_links()
            if self._cycle_done():
                # One run per review cycle keeps every history bounded (issue 4). Updates in flight finish
                # first; an update that arrives after this point is delivered to the new run.
                await self._settle()
                if self._cycle_done():
                    workflow.continue_as_new(inp.model_copy(update={"carried": self._state}))
        await self._settle()
        return self._snapshot()

    async def _settle(self) -> None:
        """Wait until no Update is in flight and every link is delivered, before the run ends or continues as
        new: a delivery waits on an activity, and an Update accepted meanwhile must finish in this run (one
        dropped by continue-as-new would fail its caller for a valid command)."""
        while True:
            await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._lock.locked())
            if not self._outbox:
                return
            await self._deliver_links()

    # --- messages ------------------------------------------------------------------------------------

    @workflow.query
    def snapshot(self) -> CaseSnapshot:
        return self._snapshot()

    @workflow.update
    async def execute(self, inp: CommandInput) -> CommandResult:
        async with self._decision() as began:
            cmd = inp.command
            needs = self._programme.needs(cmd)
            params = await self._params_today(inp.params_book) if needs.params else self._params
            ends_on = await self._publicity_end(params) if needs.publicity_end else None
            payments = await self._paid_months() if needs.payments else ()
            related = await self._related_cases() if needs.related else ()
            # patched: a change of behaviour made after cases were running applies only where the history is
            # new (a replayed history re-derives the events it recorded; see DecisionContext.patched).
            ctx = DecisionContext(now=self._clock(), actor=inp.actor, case_id=self._state.case_id, params=params,
                                  publicity_ends_on=ends_on, payments=payments, patched=self._patched,
                                  related=related)
            try:
                events = decide(self._state, cmd, ctx)
            except DomainError as err:
                raise _domain_failure(err) from None
            if needs.fund_draw:  # only commands added with the reserve fund ask it: no recorded history changes
                await self._draw(events)
            if needs.info_check:
                events += await self._run_info_check(events)
            first_seq = self._state.version + 1
            await self._commit(events)
            await self._follow_up()
            self._woke(began)
            return CommandResult(snapshot=self._snapshot(), events=[ev.type for ev in events], first_seq=first_seq)

    @workflow.update
    async def recalculate(self, inp: StandardChangeInput) -> StandardChangeResult:
        """物价联动: recalculate under a new parameter version (once per version: a repeat changes nothing)."""
        async with self._decision() as began:
            state = self._state
            hooks = self._programme.in_payment
            refused = "not_active" if hooks is None else hooks.recalculation_refused(state, inp.version)
            if hooks is not None and refused is None and hooks.patch is not None and not self._patched(
                    hooks.patch):
                refused = "not_active"  # a case that answered so before its programme had the hook
            if hooks is None or refused is not None:
                return StandardChangeResult(applied=False, reason=refused)
            given = inp.params
            if (given is not None and given.division_code == state.village_code
                    and given.effective_from <= inp.effective_from and self._local_store()):
                params = given  # the batch resolved them once for the version (issue 18; runs since local records)
            else:
                params = await self._resolve(inp.effective_from)
            # The book has changed since the parameters were last loaded: the next decision reloads them, so it
            # never computes with a superseded version later the same day.
            self._params_day = None
            # A change effective from a month that is already on a roll (a standard issued late with a past
            # effective date) decides the 补发 for those months: it needs what the rolls paid.
            retroactive = inp.effective_from.strftime("%Y-%m") <= self._today().strftime("%Y-%m")
            payments = (await self._paid_months()
                        if retroactive and self._patched(BACK_PAY_PATCH) else ())
            if hooks.back_pay_patch is not None and not self._patched(hooks.back_pay_patch):
                payments = ()  # the programme decided no 补发 then: a history from before keeps that answer
            ctx = DecisionContext(now=self._clock(), actor=inp.actor, case_id=state.case_id, params=params,
                                  payments=payments)
            cmd = hooks.recalculate_command(inp.version, inp.effective_from)
            try:
                events = decide(state, cmd, ctx)
            except DomainError as err:
                raise _domain_failure(err) from None
            await self._commit(events)
            await self._follow_up()
            self._woke(began)
            return StandardChangeResult(applied=True, old_amount=hooks.monthly_amount(state),
                                        new_amount=hooks.monthly_amount(self._state),
                                        events=[ev.type for ev in events])

    @workflow.update
    async def open_periodic_review(self, inp: PeriodicReviewInput) -> PeriodicReviewResult:
        """The daily sweep's catch-up: open the periodic review due on ``inp.due`` unless it is open already
        (the case's own timer opens it on the day; whichever comes first wins, the other changes nothing)."""
        async with self._decision() as began:
            hooks = self._programme.in_payment
            refused = "not_in_payment" if hooks is None else hooks.periodic_review_refused(self._state, inp.due,
                                                                                          self._today())
            if hooks is None or refused is not None:
                return PeriodicReviewResult(opened=False, reason=refused)
            await self._system(hooks.periodic_command(inp.due))
            await self._follow_up()
            self._woke(began)
            return PeriodicReviewResult(opened=True)

    @workflow.update
    async def catch_up_timers(self, inp: CatchUpInput) -> CatchUpResult:
        """The daily catch-up (高龄津贴's band moves and survival checks, issue 17 item 4): decide what the case's
        own timers and deadlines have due by now. The timer on the day and this catch-up race harmlessly:
        whichever comes first records it, the other finds nothing due and changes nothing."""
        async with self._decision() as began:
            version = self._state.version
            workflow.logger.info("case.catch_up", extra={"case_id": str(self._state.case_id),
                                                         "as_of": inp.as_of.isoformat()})
            if not self._state.is_closed:
                await self._fire_due()
            self._woke(began)
            return CatchUpResult(recorded=self._state.version - version)

    @workflow.update
    async def apply_link(self, inp: ApplyLinkInput) -> ApplyLinkResult:
        """An effect of another case of the same person (a death, a programme left or entered; see
        :mod:`domain.kernel.links`), delivered by the engine: recorded as ``link_received`` naming the source
        case and event, with what this case's programme makes of it. A key applied already changes nothing."""
        async with self._decision() as began:
            cmd = inp.command
            if kernel_links.already_applied(self._state, cmd):
                return ApplyLinkResult(outcome="already_applied")
            needs = self._programme.needs(cmd)
            params = await self._params_today() if needs.params else self._params
            related = await self._related_cases() if needs.related else ()
            ctx = DecisionContext(now=self._clock(), actor=SYSTEM_ACTOR, case_id=self._state.case_id, params=params,
                                  patched=self._patched, related=related)
            try:
                events = decide(self._state, cmd, ctx)
            except DomainError as err:
                raise _domain_failure(err) from None
            await self._commit(events)
            await self._follow_up()
            self._woke(began)
            return ApplyLinkResult(outcome="applied", events=[ev.type for ev in events])

    @workflow.update
    async def recompute_deadlines(self, inp: RecomputeDeadlinesInput) -> RecomputeDeadlinesResult:
        """A year's holiday schedule has been entered: count the deadlines of pending steps that were counted
        provisionally (weekdays only) again, and record each new due date as a system ``deadline_set`` citing
        the step's article. A deadline whose year is still not covered is left as it is; a repeat changes
        nothing. Only a deadline; never a decision (SPEC §0.1)."""
        async with self._decision() as began:
            result = RecomputeDeadlinesResult()
            events: list[CaseEvent] = []
            after = self._state
            for deadline in self._programme.deadlines.provisional(self._state, inp.year):
                basis = recount(deadline)
                assert basis is not None
                start, days = basis
                counted = await self._store_call(CalendarActivities.compute_deadline,
                                                 DeadlineInput(start=start, amount=days, unit="working_day"))
                reason = recount_reason(deadline, counted.calendar_version)
                if reason is None:
                    result.still_provisional.append(deadline.step)
                    continue
                ctx = DecisionContext(now=self._clock(), actor=SYSTEM_ACTOR, case_id=self._state.case_id)
                new = decide(after, c.SetDeadline(step=deadline.step, due=counted.due,
                                                  calendar_version=counted.calendar_version, start=start,
                                                  working_days=days, reason=reason), ctx)
                events += new
                after = project(new, after)
                assert after is not None
                result.recomputed.append(RecomputedDeadline(step=deadline.step, old_due=deadline.due, due=counted.due,
                                                            calendar_version=counted.calendar_version))
            if events:
                await self._commit(events)
                self._woke(began)
            return result

    @execute.validator
    def _validate(self, inp: CommandInput) -> None:
        # Another decision is being taken (a timer's, another command's: its record may already be in PostgreSQL
        # and on the trail): the state is about to change, so the command is decided by the handler once it has
        # the lock, on the state that decision leaves — not refused here against the state before it.
        if self._lock.locked():
            return
        # A decision on the members' other cases (two-subsidy eligibility from dibao) is the handler's alone: the
        # validator cannot read them, and deciding without them would refuse what they allow.
        if self._programme.needs(inp.command).related:
            return
        # Validators cannot run activities, so this uses the parameters last loaded; the handler decides
        # again, authoritatively, with the parameters in force today.
        # A working-day 公示 end comes from the calendar activity in the handler; any date will do to validate.
        now = workflow.now()
        ctx = DecisionContext(now=now, actor=inp.actor, case_id=self._state.case_id, params=self._params,
                              publicity_ends_on=now.astimezone(CHINA_TZ).date())
        try:
            decide(self._state, inp.command, ctx)
        except DomainError as err:
            if type(err) is DomainError and self._params is None:
                return  # "needs the parameters in force": only the handler can load them
            raise validator_refusal(err, self._next_wake_at(), now) from None

    # --- internals -----------------------------------------------------------------------------------

    def _snapshot(self) -> CaseSnapshot:
        return CaseSnapshot(state=self._state, pending=self._programme.pending(self._state))

    def _today(self) -> date:
        return self._clock().astimezone(CHINA_TZ).date()

    def _clock(self) -> datetime:
        """The instant of the decision being taken (see ``_now_pin``)."""
        return workflow.now() if self._now_pin is None else self._now_pin

    def _pin(self, at: datetime) -> None:
        """Pin the decision's instant, on runs that took LOCAL_RECORDS_PATCH (called under the lock)."""
        self._now_pin = at if self._local_store() else None

    def _began(self) -> datetime:
        """A handler's first step: the instant it was delivered (decided before any local activity)."""
        self._local_store()
        return workflow.now()

    @asynccontextmanager
    async def _decision(self) -> AsyncIterator[datetime]:
        """An Update handler's decision: the instant it was delivered (``_began``, before any local activity), then
        the lock, under which that instant is pinned; yields the instant. The handler itself wakes the run loop
        (``_woke``) where it has decided: a refusal, a failure, or a recount that found nothing leaves the loop
        asleep, and the catch-up wakes it even when nothing was due — a wake more or less is a timer command more
        or less, so where each handler wakes is part of the recorded command sequence."""
        began = self._began()
        async with self._lock:
            self._pin(began)
            yield began

    def _woke(self, began: datetime) -> None:
        """A handler decided: the run loop looks at what is due, at the handler's instant."""
        self._woken_at = began
        self._dirty = True

    def _patched(self, patch_id: str) -> bool:
        """``workflow.patched``, but a patch before LOCAL_RECORDS_PATCH is simply true on runs that took it."""
        if patch_id in IMPLIED_BY_LOCAL_RECORDS and self._local_store():
            return True
        return workflow.patched(patch_id)

    async def _params_today(self, book: str | None = None) -> ResolvedParameters:
        """The parameters in force today, read by an activity: once a day per case, and again when the command
        names a parameter book other than the one they came from (a version added to the book today)."""
        today = self._today()
        stale = (book is not None and self._params is not None and self._params.book_sha256 != book
                 and self._patched(PARAMS_BOOK_PATCH))
        if self._params is None or self._params_day != today or stale:
            self._params = await self._resolve(today)
            self._params_day = today
        return self._params

    async def _resolve(self, on: date) -> ResolvedParameters:
        """The parameters in force for the case's village on ``on`` (an activity: replay never reads the file)."""
        return await self._store_call(ParameterActivities.resolve_parameters,
                                      ResolveParametersInput(division_code=self._state.village_code, on=on))

    async def _paid_months(self) -> tuple[PaidMonth, ...]:
        """Months already on a payment roll for this case (a stop or decrease may reach back over them)."""
        paid = await self._store_call(CaseStoreActivities.paid_months, PaidMonthsInput(case_id=self._state.case_id))
        return tuple(paid)

    async def _related_cases(self) -> tuple[RelatedCase, ...]:
        """The members' other active cases, any programme (the ``case_members`` read model)."""
        related = await self._store_call(
            LinkActivities.related_cases,
            RelatedCasesInput(case_id=self._state.case_id, resident_ids=[m.resident_id for m in self._state.members]))
        return tuple(related)

    async def _deliver_links(self) -> None:
        """Deliver the effects of recorded events to the person's other cases (outside the lock: the target may be
        delivering to this case meanwhile), then record on this case where each went (``links_delivered``)."""
        while self._outbox:
            batch, self._outbox = self._outbox, []
            deliveries = await workflow.execute_activity_method(
                LinkActivities.deliver_links,
                DeliverLinksInput(source_case_id=self._state.case_id, source_program=str(self._state.program),
                                  links=[LinkToDeliver(effect=x.effect, resident_id=x.resident_id, seq=x.seq,
                                                       occurred_on=x.occurred_on.isoformat() if x.occurred_on
                                                       else None) for x in batch]),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=STORE_RETRY,
            )
            delivered_at = workflow.now()  # the activity's result is in this task's history, live and on replay
            async with self._lock:
                self._pin(delivered_at)
                for seq in dict.fromkeys(x.seq for x in batch):
                    await self._system(c.RecordLinkDeliveries(
                        source_seq=seq, deliveries=kernel_links.deliveries_of(seq, batch, deliveries)))

    async def _draw(self, events: list[CaseEvent]) -> None:
        """Draw what the decision spends from a township's fund (临时救助备用金, S8 §三(三)) before recording it,
        keyed by the case and the decision's first seq (a retried activity never draws twice). A fund that
        cannot pay refuses the command (409; nothing recorded on the case) and the county is told (the
        activity records the shortfall)."""
        assert self._programme.fund_draw is not None
        draw = self._programme.fund_draw(events)
        if draw is None:
            return
        result = await workflow.execute_activity_method(
            ReserveFundActivities.draw,
            FundDrawInput(township_code=draw.township_code, case_id=self._state.case_id, case_seq=events[0].seq,
                          amount=draw.amount, actor=events[0].actor, reason=draw.reason),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
        if not result.drawn:
            raise _domain_failure(ReserveFundShort(
                f"the township's reserve fund holds {result.balance} yuan and cannot pay {draw.amount}; the county "
                "has been told (S8 §三(三))"))

    async def _follow_up(self) -> None:
        """What the programme runs after every decision (dibao: a review just opened re-runs the information
        check, S1 Art. 31, before anyone decides it)."""
        cmd = self._programme.follow_up(self._state)
        if cmd is None:
            return
        ctx = DecisionContext(now=self._clock(), actor=SYSTEM_ACTOR, case_id=self._state.case_id,
                              patched=self._patched)
        events = decide(self._state, cmd, ctx)
        if self._programme.needs(cmd).info_check:
            events += await self._run_info_check(events)
        await self._commit(events)

    def _cycle_done(self) -> bool:
        """A review cycle finished in this run and the case is back in payment: time for a new run."""
        state = self._state
        if not self._programme.at_rest(state):
            return False
        return (self._programme.cycles(state) > self._cycles_at_start
                or workflow.info().is_continue_as_new_suggested())

    async def _publicity_end(self, params: ResolvedParameters | None) -> date | None:
        if params is None or params.values.publicity_unit is not PublicityUnit.WORKING_DAY:
            return None
        # Day 1 is the first working day after the posting day (民法典 Art. 201), or from the posting day on
        # where the parameters recorded say the posting day counts (cases decided before that was a parameter).
        start = self._today() - timedelta(days=counts_start_day(params))
        result = await self._store_call(CalendarActivities.compute_deadline,
                                        DeadlineInput(start=start, amount=params.values.publicity_period,
                                                      unit="working_day"))
        return result.due

    async def _run_info_check(self, events: list[CaseEvent]) -> list[CaseEvent]:
        check = InfoCheckInput(members=list(self._state.members), declaration=self._state.declaration)
        if self._local_store() and self._patched(LOCAL_INFO_CHECK_PATCH):
            report: InfoCheckReport = await self._store_call(VerificationActivities.run_info_check, check)
        else:
            report = await workflow.execute_activity_method(VerificationActivities.run_info_check, check,
                                                            start_to_close_timeout=timedelta(minutes=5),
                                                            retry_policy=STORE_RETRY)
        requested = project(events, self._state)
        assert requested is not None
        ctx = DecisionContext(now=self._clock(), actor=SYSTEM_ACTOR, case_id=self._state.case_id)
        assert self._programme.info_check_command is not None
        return decide(requested, self._programme.info_check_command(report), ctx)

    async def _system(self, command: Any, now: datetime | None = None) -> None:
        # A system command that computes (高龄津贴's band move) reads the parameters in force; dibao's need none.
        params = await self._params_today() if self._programme.needs(command).params else None
        ctx = DecisionContext(now=now or self._clock(), actor=SYSTEM_ACTOR, case_id=self._state.case_id,
                              patched=self._patched, params=params)
        await self._commit(decide(self._state, command, ctx))

    async def _commit(self, events: list[CaseEvent], starts: list[CaseEvent] | None = None) -> None:
        """Add the deadlines the events (or ``starts``: events recorded already) start, record everything in
        PostgreSQL, then evolve."""
        after = project(events, self._state)
        assert after is not None
        # Parameters are preloaded when the case starts; a case started before that (no preload) loads them here.
        params = self._params or await self._params_today()
        for step, start, days in self._programme.deadlines.to_set(after, events if starts is None else starts,
                                                                  params):
            result = await self._store_call(CalendarActivities.compute_deadline,
                                            DeadlineInput(start=start, amount=days, unit="working_day"))
            ctx = DecisionContext(now=self._clock(), actor=SYSTEM_ACTOR, case_id=self._state.case_id)
            counted = self._patched(DEADLINE_COUNT_PATCH)
            events += decide(after, c.SetDeadline(step=step, due=result.due, calendar_version=result.calendar_version,
                                                  start=start if counted else None,
                                                  working_days=days if counted else None), ctx)
            after = project(events[-1:], after)
            assert after is not None
        recorded = await self._record(after, events)
        if recorded is not None:
            # The step was recorded before, by a workflow task that was lost after its local record committed
            # (a worker killed): this task decided it again at its own instant. PostgreSQL and the ledger hold
            # the first decision; the case takes it, so history and record never disagree.
            events[:] = recorded
            after = project(recorded, self._state)
            assert after is not None
        before = self._state
        self._state = after
        effects = self._programme.links(before, events)
        if effects and self._patched(kernel_links.LINKS_PATCH):
            self._outbox += effects
        overdue = self._programme.deadlines.overdue
        if self._index and (before.stage is not after.stage or overdue(before) != overdue(after)):
            workflow.upsert_search_attributes(
                [SA_STAGE.value_set(str(after.stage)), SA_OVERDUE.value_set(overdue(after))]
            )

    async def _record(self, state: CaseState, events: list[CaseEvent]) -> list[CaseEvent] | None:
        """Write the events and the state after them to PostgreSQL (exactly once per case and seq). Returns the
        events recorded before under those seqs when they differ from ``events`` (see ``PgCaseStore.record``);
        the caller adopts them."""
        result = await self._store_call(CaseStoreActivities.record_case, RecordCaseInput(state=state, events=events))
        return result.recorded if self._local_store() else None

    def _local_store(self) -> bool:
        """Whether this run calls the store as local activities (decided once per run, at its first call)."""
        if self._local is None:
            self._local = workflow.patched(LOCAL_RECORDS_PATCH)
        return self._local

    async def _store_call(self, activity: Any, arg: Any) -> Any:
        """One quick call to PostgreSQL or the parameter file: a local activity on runs that took
        :data:`LOCAL_RECORDS_PATCH` (in this workflow task, no server round trip), a regular one before.

        A local attempt is bounded (``LOCAL_STORE_TIMEOUT``) and retried within ``LOCAL_STORE_WINDOW``; when the
        window runs out (PostgreSQL down for minutes) the call starts again, so an outage delays the case and
        never fails it. A non-retryable refusal (no parameters in force) is raised as before.
        """
        if not self._local_store():
            return await workflow.execute_activity_method(activity, arg, start_to_close_timeout=STORE_TIMEOUT,
                                                          retry_policy=STORE_RETRY)
        while True:
            try:
                return await workflow.execute_local_activity_method(
                    activity, arg, start_to_close_timeout=LOCAL_STORE_TIMEOUT,
                    schedule_to_close_timeout=LOCAL_STORE_WINDOW, retry_policy=STORE_RETRY)
            except ActivityError as err:
                # Only the window running out (or attempts exhausted on a retryable failure) starts the call
                # again. A refusal is the caller's, and anything else (a cancellation) must propagate: a loop
                # that schedules another local activity while the run is being cancelled or evicted never ends.
                cause = err.cause
                if not (isinstance(cause, TemporalTimeoutError)
                        or (isinstance(cause, ApplicationError) and not cause.non_retryable)):
                    raise
                workflow.logger.warning("case.store_unavailable", extra={"case_id": str(self._state.case_id),
                                                                        "activity": err.activity_type})

    def _next_wake_at(self) -> datetime | None:
        """The earliest instant something falls due: a programme's timer (the 公示 window's end, a review, the
        渐退期's end) or an open deadline (the end of its day)."""
        state, deadlines = self._state, self._programme.deadlines
        instants = [t.at for t in self._programme.timers(state, self._patched)]
        for d in state.deadlines.values():
            if not d.escalated and deadlines.is_open(state, d.step):
                instants.append(end_of_day(d.due))
        return min(instants, default=None)

    async def _fire_due(self, at: datetime | None = None) -> None:
        """Decide what is due at ``at`` (the instant a timer was set for), or now after a message."""
        now = self._clock() if at is None else at
        for timer in self._programme.due(self._state, now, self._patched):
            workflow.logger.info("case.timer_due", extra={"case_id": str(self._state.case_id),
                                                         "command": timer.command.type})
            await self._system(timer.command, at)
            if timer.then_follow_up:
                await self._follow_up()
        deadlines = self._programme.deadlines
        for d in list(self._state.deadlines.values()):
            if not d.escalated and deadlines.is_open(self._state, d.step) and now >= end_of_day(d.due):
                workflow.logger.warning("case.escalated", extra={"case_id": str(self._state.case_id),
                                                                 "step": d.step})
                await self._system(c.RaiseEscalation(step=d.step), at)
