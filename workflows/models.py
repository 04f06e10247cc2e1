"""The workflows' inputs, outputs and messages: pydantic models, in a module of their own so that the workflow
sandbox passes it through (each workflow module imports it under ``workflow.unsafe.imports_passed_through()``).

The sandbox builds every new workflow instance by re-executing the workflow modules; a model defined there
would have its pydantic schema rebuilt for every instance (tens of ms of CPU and about half a MB per cached
case: docs/benchmarks.md, "New workflow instances"). Defined here, each model is built once per process. They
are plain data, like the domain models the workflows already pass through.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from domain import commands as c
from domain.actors import Actor
from domain.kernel.state import PendingStep
from domain.parameters import ResolvedParameters
from domain.programmes import CaseState

# --- CaseWorkflow ---------------------------------------------------------------------------------------


class CaseWorkflowInput(BaseModel):
    """How a case starts: its random id, who submitted it, when, and the application.

    ``submitted_at`` is the API's clock at the moment the window received the application: the legal time
    of submission. It is part of the input, so it is recorded in history and replays identically.
    """

    case_id: UUID
    actor: Actor
    submitted_at: AwareDatetime
    application: Annotated[c.SubmitApplication | c.ProposeEnrolment, Field(discriminator="type")]
    #: The state carried over a continue-as-new (one run per review cycle); None for a new case.
    carried: CaseState | None = None
    #: Keep the stage and overdue search attributes current. Off only where the server has no custom search
    #: attributes (Temporal's time-skipping test server implements no operator service to register them).
    index_in_visibility: bool = True


class CommandInput(BaseModel):
    """One human step: who acts, and the typed command."""

    actor: Actor
    command: c.HumanCommand
    #: The digest of the parameter book as the sender sees it (the API's, at the request): when it differs from
    #: the book the case last resolved its parameters from, the case resolves them again before deciding, so a
    #: version added today counts today (issue 20 item 5). None: the parameters loaded today are used.
    params_book: str | None = None


class StandardChangeInput(BaseModel):
    """物价联动 for one case: the county approver who applied the change, and the version and its date."""

    actor: Actor
    version: str
    effective_from: date
    #: The version's parameters for the case's village, resolved once by the batch (issue 18): the case uses
    #: them rather than resolving them itself. None (and in Updates sent before): the case resolves them.
    params: ResolvedParameters | None = None


class StandardChangeResult(BaseModel):
    applied: bool
    reason: str | None = None  # why nothing was applied: already_applied | not_active
    old_amount: Decimal | None = None
    new_amount: Decimal | None = None
    events: list[str] = []


class PeriodicReviewInput(BaseModel):
    due: date


class PeriodicReviewResult(BaseModel):
    opened: bool
    reason: str | None = None  # why not: already_open | not_due | not_in_payment


class RecomputeDeadlinesInput(BaseModel):
    """Count a case's provisional deadlines again with the calendar as it is now (a year's holiday schedule has
    been entered); only those provisional from ``year`` when it is given."""

    year: int | None = None


class RecomputedDeadline(BaseModel):
    step: str
    old_due: date
    due: date
    calendar_version: str


class RecomputeDeadlinesResult(BaseModel):
    """What the case recorded (a ``deadline_set`` per recomputed step) and what is still provisional (its year
    still not covered)."""

    recomputed: list[RecomputedDeadline] = []
    still_provisional: list[str] = []


class ApplyLinkInput(BaseModel):
    """An effect of another case of the same person (:mod:`domain.kernel.links`), delivered by the engine."""

    command: c.ApplyLink


class ApplyLinkResult(BaseModel):
    outcome: str  # applied | already_applied
    events: list[str] = []


#: The type of the refusal a case's ``execute`` validator gives a command that its current state refuses while a
#: decision has fallen due and is not yet taken (a timer's task being retried after a worker was lost, with the
#: command delivered in the same activation): the state is about to change, so "retry shortly", not "refused".
CATCHING_UP = "case_catching_up"


class CaseSnapshot(BaseModel):
    """The case as queries and updates answer it: the state and who must act next, by when."""

    state: CaseState
    pending: PendingStep | None = None


class CommandResult(BaseModel):
    """What an accepted command recorded."""

    snapshot: CaseSnapshot
    events: list[str]
    first_seq: int


# --- ReviewSweepWorkflow -------------------------------------------------------------------------------


class SweepInput(BaseModel):
    """One sweep. ``as_of`` None: the day the Schedule started the run for (China date), else today."""

    as_of: date | None = None
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 100
    max_batches: Annotated[int, Field(ge=1)] = 50


class SweepReport(BaseModel):
    """What a sweep found and did: case counts and township codes only, nothing personal."""

    as_of: date
    #: Due-but-unopened reviews found in the read model (over all batches).
    due_found: int = 0
    opened: int = 0
    #: Opened meanwhile by the case's own timer (or another sweep): nothing was changed.
    already_open: int = 0
    not_due: int = 0
    #: The case had left payment (stopped or suspended) since the read model was written.
    not_in_payment: int = 0
    failed: int = 0
    #: Open reviews with an escalated deadline still open, per township code.
    overdue_reviews_by_township: dict[str, int] = {}
    #: Reviews due on or before ``as_of`` still unopened after the sweep (failed or left over), per township.
    due_unopened_by_township: dict[str, int] = {}
    batches: int = 0
    #: ``max_batches`` ran out with due cases left (the next sweep, or a manual one, goes on with them).
    truncated: bool = False
    #: Audit housekeeping (issue 6): closed cases whose history hashes went into the ledger, and the ledger
    #: position the day's signed checkpoint covers.
    histories_sealed: int = 0
    checkpoint_position: int | None = None


# --- StandardChangeWorkflow ----------------------------------------------------------------------------

#: Failed cases listed by id (the rest are only counted), so a county-wide run keeps its history bounded.
MAX_LISTED_FAILURES = 100


class CaseFailure(BaseModel):
    case_id: UUID
    code: str


class StandardChangeCounts(BaseModel):
    """What a batch (or a whole run) did, case by case.

    ``old_total`` and ``new_total`` sum the amounts of the cases recalculated by this run (``applied``).
    """

    applied: int = 0
    already_applied: int = 0
    not_active: int = 0
    failed: int = 0
    reviews_opened: int = 0
    old_total: Decimal = Decimal("0.00")
    new_total: Decimal = Decimal("0.00")
    failures: dict[str, int] = {}  # code → cases
    #: Cases a retried attempt did not send again: an earlier attempt's heartbeat listed them as finished.
    resumed: int = 0
    failed_cases: list[CaseFailure] = []  # the first MAX_LISTED_FAILURES

    @property
    def cases(self) -> int:
        return self.applied + self.already_applied + self.not_active + self.failed

    def plus(self, other: StandardChangeCounts) -> StandardChangeCounts:
        failures = dict(self.failures)
        for code, n in other.failures.items():
            failures[code] = failures.get(code, 0) + n
        return StandardChangeCounts(
            applied=self.applied + other.applied,
            already_applied=self.already_applied + other.already_applied,
            not_active=self.not_active + other.not_active,
            failed=self.failed + other.failed,
            reviews_opened=self.reviews_opened + other.reviews_opened,
            old_total=self.old_total + other.old_total,
            new_total=self.new_total + other.new_total,
            failures=failures,
            failed_cases=(self.failed_cases + other.failed_cases)[:MAX_LISTED_FAILURES],
            resumed=self.resumed + other.resumed,
        )


class StandardChangeWorkflowInput(BaseModel):
    """What to apply, by whom, how; and, across continue-as-new, how far it got.

    ``actor`` is the county approver who applied the change; cases outside the actor's jurisdiction are not
    touched. ``cursor``, ``totals`` and ``batches`` are carried from one run to the next.
    """

    version: str
    effective_from: date
    actor: Actor
    batch_size: int = Field(default=50, ge=1, le=1000)
    concurrency: int = Field(default=16, ge=1, le=100)
    batches_per_run: int = Field(default=20, ge=1)
    #: A worker that dies mid-batch is noticed this fast; the retry resumes from the last heartbeat details,
    #: which reach the server at most 0.8 × this late.
    heartbeat_timeout_seconds: int = Field(default=10, ge=1, le=300)
    cursor: UUID | None = None
    totals: StandardChangeCounts = StandardChangeCounts()
    batches: int = 0


class StandardChangeProgress(BaseModel):
    """Where the recalculation stands: the last case id reached, the counts so far, and whether it is done."""

    version: str
    effective_from: date
    cursor: UUID | None
    batches: int
    totals: StandardChangeCounts
    done: bool
    cases: int = 0


# --- the daily catch-up of the allowances' own timers (issue 17 item 4) --------------------------------------


class CatchUpInput(BaseModel):
    """The ``catch_up_timers`` Update: decide what the case's own timers and deadlines have due by now (the
    daily catch-up of ``as_of``; its Update id is per case and day)."""

    as_of: date


class CatchUpResult(BaseModel):
    """How many events the catch-up recorded; 0: nothing was due (the case's own timer came first)."""

    recorded: int = 0


class AllowanceCatchUpCounts(BaseModel):
    """What a batch (or the whole chain of runs) did, case by case."""

    found: int = 0
    #: Something was due and is now recorded (a band move, a missed survival check's escalation or hold).
    caught_up: int = 0
    #: The case's own timer came first (or the read model lagged): nothing changed.
    nothing_due: int = 0
    failed: int = 0

    def plus(self, other: AllowanceCatchUpCounts) -> AllowanceCatchUpCounts:
        return AllowanceCatchUpCounts(**{k: getattr(self, k) + getattr(other, k) for k in type(self).model_fields})


class AllowanceCatchUpInput(BaseModel):
    """One day's catch-up. ``as_of`` None: the day the Schedule started the run for (China date), else today.
    ``cursor``, ``totals`` and ``batches`` are carried across continue-as-new (and let a run resume)."""

    as_of: date | None = None
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 200
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    batches_per_run: Annotated[int, Field(ge=1)] = 20
    cursor: UUID | None = None
    totals: AllowanceCatchUpCounts = AllowanceCatchUpCounts()
    batches: int = 0


class AllowanceCatchUpReport(BaseModel):
    """Where the catch-up stands: its day, the last case id reached, the counts so far (ids and counts only)."""

    as_of: date
    cursor: UUID | None
    batches: int
    totals: AllowanceCatchUpCounts
    done: bool
