"""Exception → HTTP mapping, one handler per family. Bodies never echo input values (privacy)."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import DomainError, InvalidInput, InvalidTransition, NotPermitted
from infra.auth import AuthError

log = structlog.get_logger(__name__)


class CaseNotFound(Exception):
    """No case with that id."""


class CaseClosed(Exception):
    """The case's workflow has completed: no more steps."""


class ConflictWithCase(Exception):
    """A member already belongs to another active case."""

    def __init__(self, case_id: object) -> None:
        super().__init__(str(case_id))
        self.case_id = case_id


def _validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    # Drop "input" and "ctx": the offending value may be a resident ID number or a name.
    return {"detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]}


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
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, InvalidInput):
            located = bool(exc.field) and exc.field[0] in ("header", "path", "query")
            loc = list(exc.field) if located else ["body", *exc.field]
            return JSONResponse(
                status_code=422,
                content={"detail": [{"loc": loc, "msg": exc.message, "type": exc.code}], "code": exc.code},
            )
        status = 403 if isinstance(exc, NotPermitted) else 409 if isinstance(exc, InvalidTransition) else 422
        log.info("request.refused", code=exc.code, status=status)
        return JSONResponse(status_code=status, content={"detail": exc.message, "code": exc.code})

    @app.exception_handler(CaseNotFound)
    async def _not_found(_: Request, __: CaseNotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": "case not found"})

    @app.exception_handler(CaseClosed)
    async def _closed(_: Request, exc: CaseClosed) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": f"the case is closed ({exc})", "code": "case_closed"})

    @app.exception_handler(ConflictWithCase)
    async def _conflict(_: Request, exc: ConflictWithCase) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={"detail": f"a member already belongs to active case {exc.case_id}", "code": "member_in_case",
                     "case_id": str(exc.case_id)},
        )

    @app.exception_handler(RPCError)
    async def _temporal(_: Request, exc: RPCError) -> JSONResponse:
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            log.warning("temporal.unavailable", status=exc.status.name)
            return JSONResponse(status_code=503, content={"detail": "workflow service unavailable, retry later"})
        raise exc
