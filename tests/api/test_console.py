"""The web console over ASGI (issue 5 item 4): cookie login on the API's tokens, the pages in zh-CN, jurisdictions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from adapters.auth import issue_token
from adapters.settings import Settings
from api.console.routes import COOKIE
from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.builders import BICHENG, JINSHAN, application_body

COUNTY = "532302"


def token(settings: Settings, role: Role, jurisdiction: str, sub: str = "sup-01") -> str:
    return issue_token(settings, sub=sub, role=role, jurisdiction=jurisdiction, now=datetime.now(UTC))


@asynccontextmanager
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies, like a browser, and does not follow redirects by itself."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://casework.test") as client:
        yield client


async def logged_in(client: httpx.AsyncClient, settings: Settings, role: Role, jurisdiction: str) -> None:
    response = await client.post("/console/login", data={"token": token(settings, role, jurisdiction)})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console"


async def new_case(http: httpx.AsyncClient, auth: TokenFactory) -> str:
    created = await http.post("/v1/cases", json=application_body(), headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert created.status_code == 201, created.text
    return str(created.json()["case_id"])


async def listed(client: httpx.AsyncClient, case_id: str, query: str = "") -> bool:
    """Whether the case list shows the case, once its row is in the read model (bounded wait)."""
    async with asyncio.timeout(20):
        while True:
            page = await client.get(f"/console/cases?{query}")
            assert page.status_code == 200, page.text
            if case_id in page.text:
                return True
            if query:  # a filter that excludes the case: ask once the unfiltered list has it
                return False
            await asyncio.sleep(0.1)


async def test_without_a_cookie_every_page_sends_to_the_login_page(app: FastAPI) -> None:
    async with browser(app) as client:
        for path in ("/console", "/console/cases", "/console/cases/00000000-0000-0000-0000-000000000000"):
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/console/login"
        client.cookies.set(COOKIE, "not-a-token", domain="casework.test", path="/console")
        assert (await client.get("/console")).headers["location"] == "/console/login"
        login = await client.get("/console/login")
        assert login.status_code == 200
        assert "访问令牌" in login.text and 'lang="zh-CN"' in login.text


async def test_login_keeps_the_token_in_an_httponly_strict_cookie_and_logout_clears_it(
    app: FastAPI, api_settings: Settings
) -> None:
    async with browser(app) as client:
        refused = await client.post("/console/login", data={"token": "garbage"})
        assert refused.status_code == 401
        assert "令牌无效" in refused.text
        assert COOKIE not in refused.headers.get("set-cookie", "")

        response = await client.post("/console/login", data={"token": token(api_settings, Role.SUPERVISOR, COUNTY)})
        assert response.status_code == 303
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith(f"{COOKIE}=")
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/;" in cookie + ";"
        assert (await client.get("/console")).status_code == 200

        out = await client.post("/console/logout")
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
        assert (await client.get("/console")).status_code == 303


async def test_dashboard_list_and_case_page_render_in_chinese(
    app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings
) -> None:
    case_id = await new_case(http, auth)
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.SUPERVISOR, COUNTY)
        assert await listed(client, case_id)

        dashboard = await client.get("/console")
        assert dashboard.status_code == 200
        for text in ("办理阶段漏斗", "各乡镇逾期案件", "近 12 个月案件量", "已提交申请", "金山镇", "<svg"):
            assert text in dashboard.text, text
        assert "/console/cases?township_code=532302101&amp;overdue=true" in dashboard.text

        cases = await client.get("/console/cases", params={"township_code": JINSHAN, "stage": "submitted"})
        assert cases.status_code == 200
        for text in ("案件列表", "筛选", "待办角色", "金山镇", "已提交申请", f"/console/cases/{case_id}"):
            assert text in cases.text, text
        assert not await listed(client, case_id, f"township_code={BICHENG}")
        assert not await listed(client, case_id, "stage=approved")

        page = await client.get(f"/console/cases/{case_id}")
        assert page.status_code == 200, page.text
        for text in ("当前阶段", "已提交申请", "金山镇", "保障人数", "待办事项", "材料完整性审查", "受理窗口",
                     'id="stage-timeline"', "办理进度", "决定记录", "提交申请", "staff-01",
                     "通知书"):
            assert text in page.text, text
        assert 'data-stage="submitted"' in page.text and 'class="node current"' in page.text


async def test_a_township_user_sees_only_its_township(
    app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings
) -> None:
    """Issue 5: a township supervisor's console never shows another township's case (403 page, not listed)."""
    case_id = await new_case(http, auth)
    async with browser(app) as jinshan:
        await logged_in(jinshan, api_settings, Role.SUPERVISOR, JINSHAN)
        assert await listed(jinshan, case_id)
    async with browser(app) as bicheng:
        await logged_in(bicheng, api_settings, Role.SUPERVISOR, BICHENG)
        page = await bicheng.get(f"/console/cases/{case_id}")
        assert page.status_code == 403
        assert "无权查看" in page.text and "stage-timeline" not in page.text
        notice = await bicheng.get(f"/console/cases/{case_id}/notices/acceptance")
        assert notice.status_code == 403
        listing = await bicheng.get("/console/cases")
        assert listing.status_code == 200 and case_id not in listing.text
        # asking for the other township by filter narrows to nothing, never widens
        assert case_id not in (await bicheng.get("/console/cases", params={"township_code": JINSHAN})).text
        assert (await bicheng.get("/console/cases/not-a-uuid")).status_code == 404


async def test_filter_values_are_escaped_and_invalid_ones_answered_in_chinese(
    app: FastAPI, api_settings: Settings
) -> None:
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.SUPERVISOR, COUNTY)
        bad = await client.get("/console/cases", params={"village_code": "<script>alert(1)</script>"})
        assert bad.status_code == 422
        assert "筛选条件无效" in bad.text
        assert "<script>alert(1)</script>" not in bad.text
        assert "&lt;script&gt;" in bad.text
        cursor = await client.get("/console/cases", params={"cursor": "bogus"})
        assert cursor.status_code == 422 and "翻页位置无效" in cursor.text


def test_every_event_type_stage_and_role_has_a_chinese_label() -> None:
    """The trail and the timeline never fall back to a code for something the domain can record."""
    from typing import get_args

    from api.console.labels import EVENT_LABELS, ROLE_LABELS, STAGE_LABELS
    from domain.events import CaseEvent
    from domain.programmes.dibao.stages import Stage

    union, *_ = get_args(CaseEvent)  # Annotated[A | B | …, discriminator]
    types = {m.model_fields["type"].default for m in get_args(union)}
    assert types and types <= set(EVENT_LABELS), types - set(EVENT_LABELS)
    assert set(Stage) <= set(STAGE_LABELS)
    assert set(Role) <= set(ROLE_LABELS)


async def test_the_trail_cites_the_law_as_people_do_and_the_api_keeps_the_tags(
    app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings
) -> None:
    """Issue 19 item 6: the console's trail shows 《最低生活保障审核确认办法》第十条, the JSON trail ``S1 Art. 10``."""
    from api.console.citations import cite

    case_id = await new_case(http, auth)
    trail = await http.get(f"/v1/cases/{case_id}/trail", headers=auth(Role.SUPERVISOR, COUNTY))
    assert trail.status_code == 200, trail.text
    tags = {b for entry in trail.json() for b in entry.get("legal_basis", [])}
    assert tags and all(b.startswith("S") for b in tags), tags
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.SUPERVISOR, COUNTY)
        page = await client.get(f"/console/cases/{case_id}")
    assert page.status_code == 200, page.text
    for tag in tags:
        assert cite(tag).startswith("《") and cite(tag) in page.text, tag
        assert f">{tag}<" not in page.text, tag  # the tag only as the hover title, never as the cell's text
