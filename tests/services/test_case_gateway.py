"""The case gateway's one error mapping: Temporal's failures as typed exceptions.

The classification of RPC errors and Update failures is tested on the failures themselves; what a real server
answers (a refused command, no such case, a closed case, an id taken, no server at all) on the time-skipping
server with the production worker (``ts_worker``).
"""

from __future__ import annotations

import uuid

import pytest
from temporalio.common import TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError, RetryState
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain import commands as c
from domain.ids import workflow_id_for
from services.cases import (
    CaseAlreadyStarted,
    CaseClosed,
    CaseGateway,
    CaseNotFound,
    CaseNotReady,
    CaseRefused,
    TemporalFailure,
    TemporalUnavailable,
    UpdateFailed,
    _update_failure,
    temporal_failure,
)
from tests.builders import FIXED_NOW, actor, application
from workflows.models import CaseWorkflowInput, CommandInput, PeriodicReviewInput

# --- classification ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED,
                                    RPCStatusCode.CANCELLED, RPCStatusCode.RESOURCE_EXHAUSTED])
def test_a_service_that_is_unwell_is_unavailable(status: RPCStatusCode) -> None:
    failure = temporal_failure(RPCError("down", status, b""))
    assert type(failure) is TemporalUnavailable
    assert failure.status == status.name


def test_a_broken_connection_is_unavailable_another_unknown_error_is_not() -> None:
    assert type(temporal_failure(RPCError("transport error", RPCStatusCode.UNKNOWN, b""))) is TemporalUnavailable
    other = temporal_failure(RPCError("something odd", RPCStatusCode.UNKNOWN, b""))
    assert type(other) is TemporalFailure
    assert other.code == "rpc_unknown"


def test_a_failed_workflow_task_makes_the_case_not_ready() -> None:
    err = RPCError("Unable to query workflow due to Workflow Task in failed state.",
                   RPCStatusCode.FAILED_PRECONDITION, b"")
    failure = temporal_failure(err)
    assert type(failure) is CaseNotReady
    assert failure.code == "rpc_failed_precondition"


def test_any_other_rpc_error_is_a_temporal_failure_with_its_status_as_code() -> None:
    failure = temporal_failure(RPCError("no", RPCStatusCode.PERMISSION_DENIED, b""))
    assert type(failure) is TemporalFailure
    assert failure.code == "rpc_permission_denied"


def test_a_domain_error_from_the_workflow_is_a_refusal_with_its_code_message_and_field() -> None:
    cause = ApplicationError("members[0].resident_id: bad", {"code": "invalid_input", "field": ["members", "0"]},
                             type="invalid_input", non_retryable=True)
    refused = _update_failure(cause)
    assert isinstance(refused, CaseRefused)
    assert (refused.code, refused.message, refused.field) == ("invalid_input", "members[0].resident_id: bad",
                                                              ("members", "0"))


def test_another_update_failure_carries_the_innermost_application_error_type() -> None:
    inner = ApplicationError("calendar not covered", type="calendar_not_covered")
    outer = ActivityError("activity failed", scheduled_event_id=1, started_event_id=2, identity="w",
                          activity_type="load_calendar", activity_id="1", retry_state=RetryState.NON_RETRYABLE_FAILURE)
    outer.__cause__ = inner
    failed = _update_failure(outer)
    assert type(failed) is UpdateFailed
    assert failed.code == "calendar_not_covered"
    assert _update_failure(None).code == "update_failed"


def test_the_gateway_names_the_case_workflow_as_temporal_knows_it() -> None:
    from temporalio.workflow import _Definition

    from services import cases
    from workflows.case import CaseWorkflow

    defn = _Definition.must_from_class(CaseWorkflow)
    assert defn.name == cases.CASE_WORKFLOW
    assert cases.SNAPSHOT_QUERY in defn.queries
    assert {cases.EXECUTE_UPDATE, cases.RECALCULATE_UPDATE, cases.OPEN_PERIODIC_REVIEW_UPDATE,
            cases.CATCH_UP_TIMERS_UPDATE} <= set(defn.updates)


# --- against a real server -----------------------------------------------------------------------------


async def _started(gateway: CaseGateway) -> uuid.UUID:
    case_id = uuid.uuid4()
    await gateway.start(
        CaseWorkflowInput(case_id=case_id, actor=actor(), submitted_at=FIXED_NOW, application=application(),
                          index_in_visibility=False),  # not what these tests are about
        TypedSearchAttributes.empty,
    )
    return case_id


async def test_a_started_case_answers_its_snapshot_and_takes_a_command(dev_env: WorkflowEnvironment,
                                                                       dev_worker: Worker) -> None:
    gateway = CaseGateway(dev_env.client, dev_worker.task_queue)
    case_id = await _started(gateway)
    snap = await gateway.snapshot(case_id)
    assert snap.state.case_id == case_id
    result = await gateway.execute(case_id, CommandInput(actor=actor(), command=c.AcceptApplication()))
    assert result.events
    assert (await gateway.snapshot(case_id)).state.stage == result.snapshot.state.stage


async def test_the_same_case_started_twice_is_already_started(dev_env: WorkflowEnvironment,
                                                              dev_worker: Worker) -> None:
    gateway = CaseGateway(dev_env.client, dev_worker.task_queue)
    case_id = await _started(gateway)
    with pytest.raises(CaseAlreadyStarted):
        await gateway.start(
            CaseWorkflowInput(case_id=case_id, actor=actor(), submitted_at=FIXED_NOW, application=application(),
                              index_in_visibility=False),
            TypedSearchAttributes.empty,
        )


async def test_a_command_the_case_refuses_is_a_refusal_with_the_domain_code(dev_env: WorkflowEnvironment,
                                                                            dev_worker: Worker) -> None:
    gateway = CaseGateway(dev_env.client, dev_worker.task_queue)
    case_id = await _started(gateway)
    before = await gateway.snapshot(case_id)
    with pytest.raises(CaseRefused) as refused:  # a submitted case goes to no county before it is accepted
        await gateway.execute(case_id, CommandInput(actor=actor(), command=c.SubmitToCounty()))
    assert refused.value.code in ("invalid_transition", "not_permitted", "invalid_input")
    assert refused.value.message
    assert (await gateway.snapshot(case_id)).state == before.state


async def test_no_such_case_is_not_found_for_queries_and_updates(dev_env: WorkflowEnvironment) -> None:
    gateway = CaseGateway(dev_env.client)
    with pytest.raises(CaseNotFound) as queried:
        await gateway.snapshot(uuid.uuid4())
    assert type(queried.value) is CaseNotFound
    with pytest.raises(CaseNotFound) as updated:
        await gateway.execute(uuid.uuid4(), CommandInput(actor=actor(), command=c.AcceptApplication()))
    assert type(updated.value) is CaseNotFound


async def test_an_update_to_a_completed_case_is_closed_with_its_status(dev_env: WorkflowEnvironment,
                                                                      dev_worker: Worker) -> None:
    gateway = CaseGateway(dev_env.client, dev_worker.task_queue)
    case_id = await _started(gateway)
    await dev_env.client.get_workflow_handle(workflow_id_for(case_id)).terminate(reason="test")
    with pytest.raises(CaseClosed) as closed:
        await gateway.open_periodic_review(case_id, PeriodicReviewInput(due=FIXED_NOW.date()))
    assert closed.value.status == "TERMINATED"
