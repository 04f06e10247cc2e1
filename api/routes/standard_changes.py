"""物价联动 endpoints: preview a new standard's impact, apply it to every case in payment, follow the run.

``POST /apply`` answers 409 (code ``standard_change_started``, with the workflow id) when a recalculation for
the version is already running or has completed: one version is applied once. A run that failed or was
terminated may be started again (the cases it reached answer ``already_applied``).
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from adapters.db.active_cases import PgActiveCases
from adapters.parameters import DEFAULT_BOOK, ParameterFile
from adapters.settings import Settings
from api.deps import ClockDep, PoolDep, SettingsDep, TemporalDep, require
from api.policy import Permission
from api.schemas import Problem, RequestBody, SingleLine, safe_line
from domain.actors import Actor
from domain.kernel.clock import CHINA_TZ
from domain.standard_change import (
    Previewer,
    PreviewRow,
    StandardChangePreview,
    check_applicable,
)
from workflows.standard_change import (
    StandardChangeProgress,
    StandardChangeWorkflow,
    standard_change_workflow_id,
    start_standard_change,
)

router = APIRouter(prefix="/v1/standard-changes", tags=["standard changes"])
log = structlog.get_logger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role does not allow it"},
}

#: A version of the parameter book named in the URL: as in a body, one line of at most 100 characters.
VersionPath = Annotated[str, Path(min_length=1, max_length=100, description="a parameter book version"),
                        AfterValidator(safe_line)]


class StandardChangeRequest(RequestBody):
    """A version of the parameter book, by its name (422 ``unknown_version`` when the book has none such)."""

    version: Annotated[str, Field(min_length=1, max_length=100), SingleLine]


class StandardChangeStarted(BaseModel):
    workflow_id: str
    version: str
    effective_from: str
    status_url: str


class StandardChangeStatus(BaseModel):
    """The run of a version: its Temporal status and, while running or once completed, its progress."""

    workflow_id: str
    status: str
    progress: StandardChangeProgress | None = None


def _book_file(settings: Settings) -> ParameterFile:
    return ParameterFile(settings.parameters_file or DEFAULT_BOOK)


@router.post("/preview", response_model=StandardChangePreview, responses=_ERRORS)
async def preview(
    body: StandardChangeRequest,
    actor: Annotated[Actor, Depends(require(Permission.STANDARD_CHANGE_PREVIEW))],
    pool: PoolDep,
    settings: SettingsDep,
) -> StandardChangePreview:
    """What applying ``version`` would do to the cases in payment inside the caller's jurisdiction: per case
    the current and the new monthly amount, eligibility after, and whether the household crosses out of
    eligibility (that opens a review; nothing is stopped automatically); totals per township. Nothing is
    written."""
    previewer = Previewer(_book_file(settings).book(), body.version)
    rows: list[PreviewRow] = []
    unreadable = 0
    async for case in PgActiveCases(pool).all(within=actor.jurisdiction):
        if case.state is None:
            unreadable += 1
            continue
        row = previewer.row(case.state)
        if row is not None:
            rows.append(row)
    log.info("standard_change.previewed", version=body.version, cases=len(rows), unreadable=unreadable)
    return previewer.preview(rows)


_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "already started or completed, not in force yet, or superseded"},
}


@router.post("/apply", status_code=status.HTTP_202_ACCEPTED, response_model=StandardChangeStarted,
             responses={**_ERRORS, **_CONFLICT})
async def apply(
    body: StandardChangeRequest,
    actor: Annotated[Actor, Depends(require(Permission.STANDARD_CHANGE_APPLY))],
    temporal: TemporalDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> StandardChangeStarted:
    """Start the recalculation of every case in payment inside the caller's jurisdiction under ``version``
    (while it is the version in force: 409 before it takes effect or once a later one has). Each case
    records a ``benefit_recalculated`` decision in the caller's name; a household the new version makes
    ineligible gets a review instead of a new amount. 409 if a recalculation for the version is already
    running or has completed."""
    version = check_applicable(_book_file(settings).book(), body.version, clock().astimezone(CHINA_TZ).date())
    workflow_id = await start_standard_change(temporal, settings.temporal_task_queue, version.version,
                                              version.effective_from, actor)
    log.info("standard_change.started", version=version.version, workflow_id=workflow_id)
    return StandardChangeStarted(workflow_id=workflow_id, version=version.version,
                                 effective_from=version.effective_from.isoformat(),
                                 status_url=f"/v1/standard-changes/{version.version}")


@router.get("/{version}", response_model=StandardChangeStatus, responses={**_ERRORS, 404: {"model": Problem}})
async def get_status(
    version: VersionPath,
    _: Annotated[Actor, Depends(require(Permission.STANDARD_CHANGE_PREVIEW))],
    temporal: TemporalDep,
) -> StandardChangeStatus | JSONResponse:
    """The recalculation of ``version``: running (with progress), completed (with its totals), or failed."""
    workflow_id = standard_change_workflow_id(version)
    handle = temporal.get_workflow_handle_for(StandardChangeWorkflow.run, workflow_id)
    try:
        desc = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return JSONResponse(status_code=404, content={"detail": "no recalculation for that version",
                                                          "code": "not_found"})
        raise
    progress: StandardChangeProgress | None = None
    if desc.status == WorkflowExecutionStatus.COMPLETED:
        progress = await handle.result()
    elif desc.status == WorkflowExecutionStatus.RUNNING:
        progress = await handle.query(StandardChangeWorkflow.progress)
    state = desc.status.name.lower() if desc.status else "unknown"
    return StandardChangeStatus(workflow_id=workflow_id, status=state, progress=progress)
