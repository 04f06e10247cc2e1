"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import PoolDep, TemporalDep
from api.schemas import DependencyStatus

router = APIRouter(tags=["health"])

_CHECK_TIMEOUT = 3.0


@router.get("/healthz", response_model=DependencyStatus)
async def healthz() -> DependencyStatus:
    """The process is alive (no dependency is checked)."""
    return DependencyStatus(status="ok")


@router.get("/readyz", response_model=DependencyStatus, responses={503: {"model": DependencyStatus}})
async def readyz(pool: PoolDep, temporal: TemporalDep) -> JSONResponse:
    """Ready when Temporal and PostgreSQL both answer; otherwise 503 naming the failing dependency."""

    async def postgres() -> None:
        await pool.fetchval("SELECT 1", timeout=_CHECK_TIMEOUT)

    async def temporal_up() -> None:
        await temporal.service_client.check_health(timeout=timedelta(seconds=_CHECK_TIMEOUT))

    failing: list[str] = []
    for name, check in (("postgres", postgres), ("temporal", temporal_up)):
        try:
            await asyncio.wait_for(check(), _CHECK_TIMEOUT + 1)
        except Exception:  # any failure of the dependency means "not ready"
            failing.append(name)
    body = DependencyStatus(status="unavailable" if failing else "ready", failing=failing)
    return JSONResponse(status_code=503 if failing else 200, content=body.model_dump())
