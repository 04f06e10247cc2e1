"""Case endpoints: start a case, read where it stands."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

import structlog
from fastapi import APIRouter, Depends, Response, status
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from api.deps import ClockDep, SettingsDep, TemporalDep, require
from api.errors import CaseNotFound
from api.policy import Permission
from api.schemas import CaseCreate, CasePublic, Problem
from domain.actors import Actor
from domain.case import DecisionContext, decide, project
from domain.commands import SubmitApplication
from domain.errors import NotPermitted
from domain.household import Member
from domain.ids import workflow_id_for
from workflows.case import CaseWorkflow, CaseWorkflowInput, search_attributes_for

router = APIRouter(prefix="/v1/cases", tags=["cases"])
log = structlog.get_logger(__name__)

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role or jurisdiction does not allow it"},
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CasePublic, responses=_ERRORS)
async def create_case(
    body: CaseCreate,
    actor: Annotated[Actor, Depends(require(Permission.CASE_CREATE))],
    temporal: TemporalDep,
    settings: SettingsDep,
    clock: ClockDep,
    response: Response,
) -> CasePublic:
    """Hand in an application (S1 Arts. 4, 6, 9) and start its case workflow.

    The case id is random; the workflow id is ``case-<case_id>``. Nothing is started when the
    application breaks a rule: the same pure ``decide`` the workflow runs is run here first.
    """
    case_id = uuid4()
    command = SubmitApplication(
        program=body.program,
        village_code=body.village_code,
        area_type=body.area_type,
        members=[Member(name=m.name, resident_id=m.resident_id, relation=m.relation) for m in body.members],
    )
    now = clock()
    events = decide(None, command, DecisionContext(now=now, actor=actor, case_id=case_id))
    state = project(events)
    assert state is not None
    workflow_id = workflow_id_for(case_id)
    structlog.contextvars.bind_contextvars(case_id=str(case_id), workflow_id=workflow_id)
    await temporal.start_workflow(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=case_id, actor=actor, submitted_at=now, application=command),
        id=workflow_id,
        task_queue=settings.temporal_task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        search_attributes=search_attributes_for(state),
    )
    log.info("case.started", stage=state.stage.value, township_code=state.township_code)
    response.headers["Location"] = f"/v1/cases/{case_id}"
    return CasePublic.of(state, workflow_id)


@router.get("/{case_id}", response_model=CasePublic, responses={**_ERRORS, 404: {"model": Problem}})
async def get_case(
    case_id: UUID,
    actor: Annotated[Actor, Depends(require(Permission.CASE_READ))],
    temporal: TemporalDep,
) -> CasePublic:
    """Where a case stands now, answered live by its workflow (a Temporal query)."""
    workflow_id = workflow_id_for(case_id)
    structlog.contextvars.bind_contextvars(case_id=str(case_id), workflow_id=workflow_id)
    try:
        snapshot = await temporal.get_workflow_handle(workflow_id).query(CaseWorkflow.snapshot)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseNotFound from None
        raise
    if not actor.covers(snapshot.state.village_code):
        raise NotPermitted("case lies outside the actor's jurisdiction")
    return CasePublic.of(snapshot.state, workflow_id)
