"""Liveness, readiness and the published API description."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from temporalio.client import Client

from adapters.settings import Settings
from api.main import create_app


async def test_healthz_answers_without_dependencies(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_is_200_when_temporal_and_postgres_answer(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "failing": []}


@pytest.mark.parametrize("broken", ["postgres", "temporal"])
async def test_readyz_is_503_naming_the_failing_dependency(api_settings: Settings, broken: str) -> None:
    overrides: dict[str, object] = {}
    if broken == "postgres":
        overrides["database_url"] = f"postgresql://postgres@/nowhere?host=/nonexistent-{uuid.uuid4().hex[:6]}"
    else:
        overrides["temporal_address"] = "127.0.0.1:1"  # nothing listens on port 1
    settings = api_settings.model_copy(update=overrides)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            response = await http.get("/readyz")
        temporal: Client = app.state.temporal

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": [broken]}
    assert temporal is not None


async def test_openapi_and_docs_are_published(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/openapi.json")).json()
    docs = await http.get("/docs")

    assert "/v1/cases" in spec["paths"]
    assert "/v1/cases/{case_id}" in spec["paths"]
    assert docs.status_code == 200


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_issue19_the_api_docs_load_every_asset_from_the_api_itself(http: httpx.AsyncClient, page: str) -> None:
    """Issue 19: /docs and /redoc must work offline (and where CDNs are blocked): every script, stylesheet and
    icon they reference is served by the API, none comes from another host."""
    html = (await http.get(page)).text
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assets += re.findall(r"""(?:url|Url)\s*:\s*["']([^"']+\.(?:js|css|png))["']""", html)

    assert assets, html
    external = [a for a in assets if a.startswith(("http:", "https:", "//"))]
    assert not external, external
    for asset in assets:
        response = await http.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 0
