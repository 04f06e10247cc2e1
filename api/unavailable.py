"""When PostgreSQL is away: 503 with ``Retry-After``, never a 500 (issue 7 item 6).

The API's reads and writes go to PostgreSQL through the pool; while the server is down, restarting or
refusing connections, asyncpg raises connection errors (and the OS a refused connection). Those answer 503
with ``Retry-After`` and a body that names no data; the request changed nothing (a write runs in one
transaction, or — for steps of a case — in the case's workflow, which retries its own writes until
PostgreSQL is back).
"""

from __future__ import annotations

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

log = structlog.get_logger(__name__)

RETRY_AFTER_SECONDS = 5

#: What asyncpg and the OS raise when the database cannot be reached or the connection dropped.
UNAVAILABLE = (
    OSError,  # ConnectionRefusedError, a reset, a missing Unix socket
    asyncpg.exceptions.PostgresConnectionError,  # the connection failed, was rejected or dropped
    asyncpg.exceptions.OperatorInterventionError,  # admin/crash shutdown, cannot connect now (starting up)
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.InterfaceError,  # "connection is closed" / pool closing
    # "cannot switch to state 15; another operation (2) is in progress": the server ended the connection while
    # a query was in flight and the pool's reset on release tripped over the half-finished protocol state
    # (MagicStack/asyncpg#784, #1069). The pool terminates that connection; the next acquire opens a new one.
    asyncpg.exceptions.InternalClientError,
)


def retry_later(detail: str, code: str) -> JSONResponse:
    """503 with ``Retry-After``: nothing was changed, the same request may be sent again."""
    return JSONResponse(status_code=503, content={"detail": detail, "code": code},
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def database_unavailable() -> JSONResponse:
    return retry_later("database unavailable, retry later", "database_unavailable")


def install_unavailability_handlers(app: FastAPI) -> None:
    for exc_type in UNAVAILABLE:
        app.add_exception_handler(exc_type, _unavailable)


async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("database.unavailable", error=type(exc).__name__)
    return database_unavailable()
