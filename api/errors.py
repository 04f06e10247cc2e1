"""Exception → HTTP mapping, one handler per family. Bodies never echo input values (privacy).

Every 403 (``NotPermitted``) is also written to the audit ledger as a refusal, once (issue 7).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError

from adapters.auth import AuthError
from api.unavailable import retry_later
from domain.actors import Actor
from domain.errors import DomainError, InvalidInput, InvalidTransition, NotPermitted
from services.audit.access import log_refusal
from services.cases import CallTimedOut, CaseNotReady, TemporalFailure, TemporalUnavailable, temporal_failure

log = structlog.get_logger(__name__)

class CaseNotFound(Exception):
    """No case with that id."""


class ReferralNotFound(Exception):
    """No referral with that id (or none the caller's jurisdiction covers)."""


class IntakeNotFound(Exception):
    """No intake with that id (or none the caller's jurisdiction covers)."""


class CaseNotYetRecorded(Exception):
    """The case was just opened; its first record is not in the read model yet (answered 503, retry)."""


class CaseClosed(Exception):
    """The case's workflow has completed: no more steps."""


class ConflictWithCase(Exception):
    """A member already belongs to another active case."""

    def __init__(self, case_id: object, visible: bool = True) -> None:
        super().__init__(str(case_id))
        self.case_id = case_id
        #: False when the case lies outside the caller's jurisdiction: its id is not told (issue 19).
        self.visible = visible


def _validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    # Drop "input" and "ctx": the offending value may be a resident ID number or a name.
    return {"detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]}


def _case_in_path(request: Request) -> UUID | None:
    raw = request.path_params.get("case_id")
    try:
        return UUID(str(raw)) if raw is not None else None
    except ValueError:
        return None


async def _denying_actor(request: Request) -> Actor | None:
    """Who was refused: the actor the route's guard verified (``require`` keeps it on ``request.state``), else
    the bearer token verified again (a guard of its own, as the codec's, may not keep it)."""
    actor = getattr(request.state, "actor", None)
    if isinstance(actor, Actor):
        return actor
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        verified: Actor = await request.app.state.verifier.authenticate(token.strip())
    except AuthError:
        return None
    return verified


async def _ledger_denial(request: Request, exc: NotPermitted) -> None:
    """Write a 403 into the audit ledger (who tried what on which case, and why), unless it is there already.

    The command is the route (``GET /v1/cases/{case_id}``), or, for a refusal by the policy table, the method
    and the missing right (``POST case.command``). A refusal outside any case has no case id. Recording never
    changes the answer: if it fails, the failure is logged and the 403 still goes out.
    """
    if getattr(exc, "ledgered", False):
        return
    actor = await _denying_actor(request)
    if actor is None:
        log.warning("audit.refusal_unattributed", code=exc.code)
        return
    permission = getattr(exc, "permission", None)
    route = request.scope.get("route")
    what = getattr(permission, "value", None) or getattr(route, "path", None) or request.url.path
    try:
        await log_refusal(request.app.state.pool, request.app.state.ledger, actor, _case_in_path(request),
                          command=f"{request.method} {what}", error=exc)
    except Exception:  # the refusal stands whether or not it could be written down
        log.exception("audit.refusal_not_recorded", code=exc.code)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        log.info("request.invalid", fields=[".".join(map(str, e["loc"])) for e in exc.errors()])
        return JSONResponse(status_code=422, content=_validation_body(list(exc.errors())))

    @app.exception_handler(AuthError)
    async def _unauthenticated(_: Request, exc: AuthError) -> JSONResponse:
        log.info("request.unauthenticated", reason=str(exc))
        return JSONResponse(status_code=401, content={"detail": str(exc)}, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, InvalidInput):
            located = bool(exc.field) and exc.field[0] in ("header", "path", "query")
            loc = list(exc.field) if located else ["body", *exc.field]
            return JSONResponse(
                status_code=422,
                content={"detail": [{"loc": loc, "msg": exc.message, "type": exc.code}], "code": exc.code},
            )
        if isinstance(exc, NotPermitted):
            await _ledger_denial(request, exc)  # every denial is on record (issue 7)
        status = 403 if isinstance(exc, NotPermitted) else 409 if isinstance(exc, InvalidTransition) else 422
        log.info("request.refused", code=exc.code, status=status)
        return JSONResponse(status_code=status, content={"detail": exc.message, "code": exc.code})

    @app.exception_handler(CaseNotFound)
    async def _not_found(_: Request, __: CaseNotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": "case not found"})

    @app.exception_handler(ReferralNotFound)
    async def _referral_not_found(_: Request, __: ReferralNotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": "referral not found"})

    @app.exception_handler(IntakeNotFound)
    async def _intake_not_found(_: Request, __: IntakeNotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": "intake not found"})

    @app.exception_handler(CaseNotYetRecorded)
    async def _not_yet_recorded(_: Request, __: CaseNotYetRecorded) -> JSONResponse:
        return retry_later("the case was just opened and is not recorded yet, retry shortly", "case_not_yet_recorded")

    @app.exception_handler(CaseClosed)
    async def _closed(_: Request, exc: CaseClosed) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": f"the case is closed ({exc})", "code": "case_closed"})

    @app.exception_handler(ConflictWithCase)
    async def _conflict(_: Request, exc: ConflictWithCase) -> JSONResponse:
        if not exc.visible:
            return JSONResponse(status_code=409, content={
                "detail": "a member already belongs to an active case outside your jurisdiction; the county "
                          "civil-affairs bureau (禄丰市民政局) can tell where", "code": "member_in_case_elsewhere"})
        return JSONResponse(
            status_code=409,
            content={"detail": f"a member already belongs to active case {exc.case_id}", "code": "member_in_case",
                     "case_id": str(exc.case_id)},
        )

    @app.exception_handler(RPCError)
    async def _temporal(request: Request, exc: RPCError) -> JSONResponse:
        # Classified as the case gateway classifies it (services.cases), answered as its exceptions are.
        failure = temporal_failure(exc)
        if isinstance(failure, TemporalUnavailable | CaseNotReady):
            return await _temporal_failure(request, failure)
        raise exc

    @app.exception_handler(TemporalUnavailable)
    async def _temporal_unavailable(_: Request, exc: TemporalUnavailable) -> JSONResponse:
        # CANCELLED: the call's own deadline passed in the client ("Timeout expired"), e.g. a query queued
        # behind a workflow task that keeps failing.
        # UNKNOWN "transport error": the connection broke mid-call (the server stopped or restarted).
        if isinstance(exc, CallTimedOut):
            # An Update not completed within the call's deadline: it may still complete; sent again with its
            # Idempotency-Key it is answered once, by the same Update id.
            log.warning("temporal.call_timed_out", error=type(exc.__cause__ or exc).__name__)
            return retry_later("the workflow service did not answer in time, retry later", "workflow_timeout")
        log.warning("temporal.unavailable", status=exc.status)
        return retry_later("workflow service unavailable, retry later", "workflow_service_unavailable")

    @app.exception_handler(CaseNotReady)
    async def _case_not_ready(_: Request, exc: CaseNotReady) -> JSONResponse:
        # The case's last workflow task failed and the server has scheduled another (a task that raced a
        # new message, or a worker that could not complete it): the server refuses queries and Updates
        # until a worker completes one. Nothing was changed; the same request, sent again, will be.
        log.warning("temporal.workflow_task_failed", status=exc.status)
        return retry_later("the case is not ready, retry later", "case_not_ready")

    async def _temporal_failure(request: Request, exc: TemporalFailure) -> JSONResponse:
        if isinstance(exc, TemporalUnavailable):
            return await _temporal_unavailable(request, exc)
        return await _case_not_ready(request, exc)

    @app.exception_handler(RPCTimeoutOrCancelledError)
    async def _temporal_timeout(request: Request, exc: RPCTimeoutOrCancelledError) -> JSONResponse:
        timed_out = CallTimedOut("DEADLINE_EXCEEDED", str(exc))
        timed_out.__cause__ = exc
        return await _temporal_unavailable(request, timed_out)
