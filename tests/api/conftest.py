"""The API in-process over ASGI, against the real Temporal dev server, a real worker and real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from adapters.auth import issue_token
from adapters.parameters import ParameterFile
from adapters.settings import Settings
from api.main import create_app
from domain.actors import Role
from tests.params import fast_publicity_book
from worker.main import build_worker

#: The 公示 window of the API tests' parameter book, in seconds of wall time (the dev server cannot skip time).
PUBLICITY_SECONDS = 2

TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def api_settings(pg_dsn: str, dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("var")
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        var_dir=var,
        parameters_file=fast_publicity_book(var / "parameters.json", seconds=PUBLICITY_SECONDS),
        database_url=pg_dsn,
        temporal_address=dev_env.client.service_client.config.target_host,
        temporal_task_queue=f"api-{uuid.uuid4()}",
        jwt_secret="test-secret-" + uuid.uuid4().hex,
    )


@pytest_asyncio.fixture(scope="session")
async def api_worker(dev_env: WorkflowEnvironment, pg_pool: asyncpg.Pool, api_settings: Settings) -> AsyncIterator[None]:
    parameters = ParameterFile(api_settings.parameters_file) if api_settings.parameters_file else None
    async with build_worker(dev_env.client, pg_pool, api_settings.temporal_task_queue, parameters, api_settings):
        yield


@pytest_asyncio.fixture(scope="session")
async def app(api_settings: Settings, dev_env: WorkflowEnvironment, api_worker: None) -> AsyncIterator[FastAPI]:
    application = create_app(api_settings, temporal=dev_env.client)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://casework.test") as client:
        yield client


@pytest.fixture
def auth(api_settings: Settings) -> TokenFactory:
    """``auth(role, jurisdiction)`` → an Authorization header for that actor."""

    def make(role: Role = Role.FRONT_OFFICE, jurisdiction: str = "532302101", sub: str = "staff-01",
             ttl: timedelta = timedelta(hours=1)) -> dict[str, str]:
        token = issue_token(api_settings, sub=sub, role=role, jurisdiction=jurisdiction, now=datetime.now(UTC), ttl=ttl)
        return {"Authorization": f"Bearer {token}"}

    return make
