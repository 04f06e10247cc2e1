"""The case workflow: one durable workflow per case, a thin orchestrator over the pure domain."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel
from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseStoreActivities
    from activities.models import RecordCaseInput
    from domain.actors import Actor
    from domain.case import DecisionContext, decide, project
    from domain.commands import SubmitApplication
    from domain.state import CaseState
    from infra.search_attributes import SA_PROGRAM, SA_STAGE, SA_TOWNSHIP
    from workflows._policies import STORE_RETRY, STORE_TIMEOUT


class CaseWorkflowInput(BaseModel):
    """How a case starts: its random id, who submitted it, when, and the application.

    ``submitted_at`` is the API's clock at the moment the window received the application: the legal time
    of submission. It is part of the input, so it is recorded in history and replays identically.
    """

    case_id: UUID
    actor: Actor
    submitted_at: AwareDatetime
    application: SubmitApplication


class CaseSnapshot(BaseModel):
    """The case as the ``snapshot`` query answers it."""

    state: CaseState


def search_attributes_for(state: CaseState) -> TypedSearchAttributes:
    """The case's search attributes: stage, programme and township code. Nothing personal."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(SA_STAGE, state.stage.value),
            SearchAttributePair(SA_PROGRAM, state.program.value),
            SearchAttributePair(SA_TOWNSHIP, state.township_code),
        ]
    )


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    """One social-assistance case, from submission to closure.

    Queries:
        snapshot: the current :class:`CaseState`.

    Updates and signals: none yet; the lifecycle adds one Update per human step.

    The application is decided in ``__init__`` (at its submission time) so the state is queryable at once;
    ``run`` then records the decision in PostgreSQL and waits, durably, until the case closes. Later
    commands take ``workflow.now()`` as their decision time.
    """

    @workflow.init
    def __init__(self, inp: CaseWorkflowInput) -> None:
        ctx = DecisionContext(now=inp.submitted_at, actor=inp.actor, case_id=inp.case_id)
        # The API ran the same decide() before starting us; a DomainError here means a code change made a
        # once-valid application invalid, and failing the task (rather than the case) is the right outcome.
        self._pending = decide(None, inp.application, ctx)
        state = project(self._pending)
        assert state is not None
        self._state: CaseState = state

    @workflow.run
    async def run(self, inp: CaseWorkflowInput) -> CaseSnapshot:  # noqa: ARG002 - input consumed by __init__
        await workflow.execute_activity_method(
            CaseStoreActivities.record_case,
            RecordCaseInput(state=self._state, events=self._pending),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
        self._pending = []
        # workflow.logger is replay-safe (silent during replay); ids go to extra, never personal data.
        workflow.logger.info(
            "case.opened", extra={"case_id": str(self._state.case_id), "stage": self._state.stage.value}
        )
        await workflow.wait_condition(lambda: self._state.is_closed)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseSnapshot(state=self._state)

    @workflow.query
    def snapshot(self) -> CaseSnapshot:
        return CaseSnapshot(state=self._state)
