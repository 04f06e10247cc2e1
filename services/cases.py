"""The case gateway: the one way into a case workflow from outside it — start a case, send it a command (the
``execute`` Update and the other case Updates), read its snapshot — with one error mapping.

Temporal's failures become typed exceptions here, and only here:

- the workflow refused the Update with a domain error (an ``ApplicationError`` whose type is the error code)
  → :class:`CaseRefused`; any other failure of the Update → :class:`UpdateFailed`;
- no such workflow → :class:`CaseNotFound`; for an Update, a workflow that exists but has completed →
  :class:`CaseClosed`;
- the workflow id is taken → :class:`CaseAlreadyStarted`;
- the service is unwell (unavailable, deadline exceeded, cancelled, exhausted, a broken connection) →
  :class:`TemporalUnavailable`; a call that ran out of time → :class:`CallTimedOut`; the case's last workflow
  task failed and the server refuses it for now → :class:`CaseNotReady`; any other RPC error →
  :class:`TemporalFailure`.

The API maps these to its HTTP answers, the CLIs to their messages and exit codes, the activities to their
counts. Messages carry codes and case ids only, never personal data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID

from temporalio.client import Client, RPCTimeoutOrCancelledError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, FailureError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.ids import workflow_id_for
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
    RecomputeDeadlinesInput,
    RecomputeDeadlinesResult,
    StandardChangeInput,
    StandardChangeResult,
)

T = TypeVar("T")

# The case workflow by its Temporal names, not by its class: importing workflows.case would import the
# activities package, whose sweep and recalculation send their Updates through this gateway.
# tests/services/test_case_gateway.py checks the names against the workflow's definition.
CASE_WORKFLOW = "CaseWorkflow"
SNAPSHOT_QUERY = "snapshot"
EXECUTE_UPDATE = "execute"
RECALCULATE_UPDATE = "recalculate"
OPEN_PERIODIC_REVIEW_UPDATE = "open_periodic_review"
RECOMPUTE_DEADLINES_UPDATE = "recompute_deadlines"
APPLY_LINK_UPDATE = "apply_link"
CATCH_UP_TIMERS_UPDATE = "catch_up_timers"

#: RPC statuses that say "the service is unwell, try again", as opposed to "this case cannot be served".
TRANSIENT = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED,
                       RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.CANCELLED})

#: How Temporal words a refusal while a workflow's last task failed ("Unable to query workflow due to
#: Workflow Task in failed state.", "Unable to perform workflow execution update due to Workflow Task in
#: failed state.").
_TASK_FAILED = "workflow task in failed state"


class CaseGatewayError(Exception):
    """Something kept the gateway from serving a case."""


class CaseNotFound(CaseGatewayError):
    """No workflow for that case."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"no case {case_id}")
        self.case_id = case_id


class CaseClosed(CaseNotFound):
    """The case's workflow has completed (``status``: COMPLETED, TERMINATED …): it takes no more commands."""

    def __init__(self, case_id: UUID, status: str) -> None:
        super().__init__(case_id)
        self.args = (f"case {case_id} is closed ({status})",)
        self.status = status


class CaseAlreadyStarted(CaseGatewayError):
    """A workflow with the case's id exists already."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"case {case_id} already started")
        self.case_id = case_id


class UpdateFailed(CaseGatewayError):
    """The case workflow failed the Update.

    Attributes:
        code: the innermost application error type in the failure chain, or ``update_failed``.
        message: what the failure says.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CaseRefused(UpdateFailed):
    """The case refused the command with a domain error: ``code`` (``invalid_transition``,
    ``not_permitted`` …), ``message`` and the ``field`` it concerns; nothing was written to its history."""

    def __init__(self, code: str, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(code, message)
        self.field = field


class TemporalFailure(CaseGatewayError):
    """Temporal answered with an RPC error the case cannot do anything about (``status``: its name)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status

    @property
    def code(self) -> str:
        return f"rpc_{self.status.lower()}"


class TemporalUnavailable(TemporalFailure):
    """The workflow service is unwell (unavailable, overloaded, the call's deadline passed, the connection
    broke): the same call, later, may well succeed."""


class CallTimedOut(TemporalUnavailable):
    """The call was not answered within its deadline (an Update may still complete: send it again by its
    id)."""


class CaseNotReady(TemporalFailure):
    """The case's last workflow task failed; the server refuses queries and Updates until a worker completes
    one. Nothing was changed."""


def temporal_failure(err: RPCError) -> TemporalFailure:
    """What an RPC error from Temporal means, as a typed exception (the one classification of them)."""
    status = err.status.name if err.status is not None else "ERROR"
    if err.status in TRANSIENT or (err.status == RPCStatusCode.UNKNOWN and "transport error" in err.message):
        return TemporalUnavailable(status, err.message)
    if err.status == RPCStatusCode.FAILED_PRECONDITION and _TASK_FAILED in err.message.lower():
        return CaseNotReady(status, err.message)
    return TemporalFailure(status, err.message)


def _update_failure(cause: BaseException | None) -> UpdateFailed | CaseNotReady:
    """A failed Update's cause as a typed exception: the workflow's own refusal (an application error, the
    domain error code as its type, ``{"code", "field"}`` as its details), a case catching up with a decision
    that fell due (:data:`~workflows.models.CATCHING_UP`: not ready, retry), or another failure."""
    if isinstance(cause, ApplicationError) and cause.type == CATCHING_UP:
        return CaseNotReady(CATCHING_UP.upper(), cause.message)
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        return CaseRefused(cause.type or "update_failed", cause.message, tuple(details.get("field", [])))
    code = "update_failed"
    err = cause
    while err is not None:
        if isinstance(err, ApplicationError) and err.type:
            code = err.type
        err = err.cause if isinstance(err, FailureError) else None
    return UpdateFailed(code, str(cause) if cause is not None else "update failed")


class CaseGateway:
    """Starts cases, sends them commands, reads their snapshots.

    Args:
        client: a connected Temporal client (not owned).
        task_queue: where new case workflows run (needed by :meth:`start` only).
    """

    def __init__(self, client: Client, task_queue: str | None = None) -> None:
        self._client = client
        self._task_queue = task_queue

    def _handle(self, case_id: UUID) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(workflow_id_for(case_id))

    async def start(self, inp: CaseWorkflowInput, search_attributes: TypedSearchAttributes) -> None:
        """Start the case's workflow (its id follows from the case id; an id never used twice).

        Raises:
            CaseAlreadyStarted: the case exists (e.g. the same Idempotency-Key sent again).
            TemporalFailure: Temporal refused the call.
        """
        if self._task_queue is None:
            raise ValueError("CaseGateway.start needs a task queue")
        try:
            await self._client.start_workflow(
                CASE_WORKFLOW,
                inp,
                id=workflow_id_for(inp.case_id),
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=search_attributes,
            )
        except WorkflowAlreadyStartedError:
            raise CaseAlreadyStarted(inp.case_id) from None
        except RPCError as err:
            raise temporal_failure(err) from err
        except RPCTimeoutOrCancelledError as err:
            raise CallTimedOut("DEADLINE_EXCEEDED", str(err)) from err

    async def snapshot(self, case_id: UUID, *, rpc_timeout: timedelta | None = None) -> CaseSnapshot:
        """The case as its workflow answers it now (within ``rpc_timeout`` when given).

        Raises:
            CaseNotFound: no workflow for the case.
            CallTimedOut: not answered within ``rpc_timeout``.
            TemporalFailure: the query could not be answered.
        """
        try:
            return await self._handle(case_id).query(SNAPSHOT_QUERY, result_type=CaseSnapshot,
                                                     rpc_timeout=rpc_timeout)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise CaseNotFound(case_id) from None
            raise temporal_failure(err) from err
        except RPCTimeoutOrCancelledError as err:
            raise CallTimedOut("DEADLINE_EXCEEDED", str(err)) from err

    async def execute(self, case_id: UUID, command: CommandInput, *,
                      update_id: str | None = None) -> CommandResult:
        """Run one human step (the ``execute`` Update). ``update_id``: a repeat with the same id is answered
        with the first outcome.

        Raises:
            CaseRefused: the case refused the command (a domain error).
            UpdateFailed: the Update failed otherwise.
            CaseNotFound: no workflow; CaseClosed: a completed one.
            TemporalFailure: see the module.
        """
        return await self._update(case_id, EXECUTE_UPDATE, command, update_id, CommandResult)

    async def recalculate(self, case_id: UUID, change: StandardChangeInput, *,
                          update_id: str | None = None) -> StandardChangeResult:
        """Apply a standard change (物价联动) to the case (the ``recalculate`` Update). Raises as
        :meth:`execute`."""
        return await self._update(case_id, RECALCULATE_UPDATE, change, update_id, StandardChangeResult)

    async def open_periodic_review(self, case_id: UUID, review: PeriodicReviewInput, *,
                                   update_id: str | None = None) -> PeriodicReviewResult:
        """Open the periodic review due (the ``open_periodic_review`` Update). Raises as :meth:`execute`."""
        return await self._update(case_id, OPEN_PERIODIC_REVIEW_UPDATE, review, update_id,
                                  PeriodicReviewResult)

    async def catch_up_timers(self, case_id: UUID, inp: CatchUpInput, *, update_id: str | None = None
                              ) -> CatchUpResult:
        """Decide what the case's own timers have due (the ``catch_up_timers`` Update). Raises as
        :meth:`execute`."""
        return await self._update(case_id, CATCH_UP_TIMERS_UPDATE, inp, update_id, CatchUpResult)

    async def recompute_deadlines(self, case_id: UUID, recount: RecomputeDeadlinesInput, *,
                                  update_id: str | None = None) -> RecomputeDeadlinesResult:
        """Count the case's provisional deadlines again with today's calendar (the ``recompute_deadlines``
        Update). Raises as :meth:`execute`."""
        return await self._update(case_id, RECOMPUTE_DEADLINES_UPDATE, recount, update_id, RecomputeDeadlinesResult)

    async def apply_link(self, case_id: UUID, link: ApplyLinkInput, *, update_id: str | None = None) -> ApplyLinkResult:
        """Deliver an effect of another case of the same person (the ``apply_link`` Update). Raises as
        :meth:`execute`."""
        return await self._update(case_id, APPLY_LINK_UPDATE, link, update_id, ApplyLinkResult)

    async def _update(self, case_id: UUID, update: str, arg: Any, update_id: str | None,
                      result_type: type[T]) -> T:
        handle = self._handle(case_id)
        try:
            return await handle.execute_update(update, arg, id=update_id, result_type=result_type)
        except WorkflowUpdateFailedError as err:
            raise _update_failure(err.cause) from err
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise await self._not_found(case_id, handle) from None
            raise temporal_failure(err) from err
        except RPCTimeoutOrCancelledError as err:
            raise CallTimedOut("DEADLINE_EXCEEDED", str(err)) from err

    @staticmethod
    async def _not_found(case_id: UUID, handle: WorkflowHandle[Any, Any]) -> CaseNotFound:
        """An Update's NOT_FOUND: a completed workflow (it still describes) or none at all."""
        try:
            desc = await handle.describe()
        except RPCError:
            return CaseNotFound(case_id)
        return CaseClosed(case_id, str(desc.status.name if desc.status else "closed"))
