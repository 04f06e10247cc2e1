"""API composition root: ``create_app(settings)``; the lifespan owns the pool and the Temporal client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline
from temporalio.client import Client

from adapters.audit.ledger import Ledger
from adapters.auth import TokenVerifier
from adapters.db.pool import create_pool
from adapters.parameters import DEFAULT_BOOK, ParameterFile
from adapters.runtime import database_dsn
from adapters.settings import Settings
from adapters.temporal.client import connect
from api.console import allowances_router, one_window_router, urgent_router, workbench_router
from api.console import router as console_router
from api.errors import install_error_handlers
from api.idempotency import IdempotencyMiddleware
from api.middleware import CodecCORSMiddleware, RequestBodyGuardMiddleware, RequestContextMiddleware
from api.routes import alerts, audit, cases, codec, health, notices, standard_changes
from api.routes import household as household_routes
from api.routes import intakes as intake_routes
from api.routes import payments as payment_routes
from api.routes import queries as query_routes
from api.routes import referrals as referral_routes
from api.routes import reserve_funds as reserve_fund_routes
from api.routes import tekun as tekun_routes
from api.unavailable import install_unavailability_handlers


def create_app(settings: Settings, *, temporal: Client | None = None) -> FastAPI:
    """Build the API.

    Args:
        settings: the process settings.
        temporal: an existing client to use instead of connecting (the caller keeps owning it).

    Returns:
        The application; its lifespan opens (and closes) the pool and, unless given, the Temporal client.
        Neither needs its server to be up at start: ``/readyz`` reports what is missing.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(database_dsn(settings), min_size=0, max_size=settings.db_pool_max)
        client = temporal or await connect(settings, lazy=True)
        app.state.settings = settings
        app.state.parameters = ParameterFile(settings.parameters_file or DEFAULT_BOOK)
        app.state.pool = pool
        app.state.temporal = client
        app.state.verifier = TokenVerifier(settings)
        app.state.ledger = Ledger(settings.ledger_hash_algorithm)
        try:
            yield
        finally:
            await pool.close()

    # /docs and /redoc with Swagger UI and ReDoc served from the fastapi-offline package, not from CDNs that are
    # unreachable offline and blocked for many users in China (issue 19).
    app = FastAPIOffline(
        title="casework",
        summary="社会救助案件工作流引擎 — case-workflow engine for county social assistance",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(IdempotencyMiddleware)  # inside the request context: replays are logged like the rest
    app.add_middleware(RequestBodyGuardMiddleware, max_bytes=settings.api_max_body_bytes,
                       json_prefixes=("/v1/", "/codec/"))
    app.add_middleware(RequestContextMiddleware)
    # The Temporal Web UI calls the codec server from the browser (issue 7); nothing else is cross-origin.
    app.add_middleware(CodecCORSMiddleware, origins=settings.codec_cors_origins)
    install_error_handlers(app)
    install_unavailability_handlers(app)
    app.include_router(health.router)
    app.include_router(cases.router)
    app.include_router(cases.emergency_router)
    app.include_router(household_routes.router)
    app.include_router(audit.router)
    app.include_router(codec.router)
    app.include_router(alerts.router)
    app.include_router(notices.router)
    app.include_router(payment_routes.router)
    app.include_router(reserve_fund_routes.router)
    app.include_router(standard_changes.router)
    app.include_router(query_routes.router)
    app.include_router(referral_routes.router)
    app.include_router(tekun_routes.router)
    app.include_router(intake_routes.router)
    app.include_router(one_window_router)  # /console/intakes/new before /console/intakes/{id}
    app.include_router(console_router)
    app.include_router(workbench_router)
    app.include_router(urgent_router)
    app.include_router(allowances_router)  # 高龄津贴 生存认证到期名单

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        """The address people type: to the console (issue 19)."""
        return RedirectResponse("/console", status_code=307)
    return app
