"""The console's 高龄津贴 survival-check due list and its per-programme case lists (issue 17 item 5; SPEC §6.3:
the annual 生存认证, a missed one holds the payment, never stops it)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import asyncpg
import httpx
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from adapters.parameters import ParameterFile
from adapters.settings import Settings
from domain.actors import Role
from domain.kernel.clock import CHINA_TZ
from services.demo_allowances import enrolment
from tests.api.conftest import TokenFactory
from tests.api.test_console import browser, logged_in
from tests.api.test_lifecycle_api import CASEWORKER, Api
from tests.builders import BICHENG, BICHENG_VILLAGE, JINSHAN, JINSHAN_VILLAGE, unique_resident_id

KEY = b"survival-list-test-key-32-bytes!"


async def _row(pool: asyncpg.Pool, case_id: str, stage: str) -> None:
    async with asyncio.timeout(20):
        while await pool.fetchval("SELECT stage FROM cases WHERE case_id = $1", uuid.UUID(case_id)) != stage:
            await asyncio.sleep(0.05)


async def pool_overdue(pool: asyncpg.Pool, case_id: str) -> bool:
    return bool(await pool.fetchval("SELECT overdue FROM cases WHERE case_id = $1", uuid.UUID(case_id)))


async def test_the_survival_check_due_list_shows_due_and_held_people_of_the_jurisdiction_spec_6_3(
    app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings, pg_pool: asyncpg.Pool,
    dev_env: WorkflowEnvironment,
) -> None:
    """Held payments first (暂停发放, not stopped), then checks due within the window; a check due next year
    and another township's person are not on the list; the case list filters by every programme."""
    api = Api(http, auth)
    today = datetime.now(CHINA_TZ).date()
    people = {"due": ("测试到期", JINSHAN_VILLAGE), "held": ("测试暂停", JINSHAN_VILLAGE),
              "later": ("测试未到", JINSHAN_VILLAGE), "elsewhere": ("测试外镇", BICHENG_VILLAGE)}
    rows = [{"resident_id": unique_resident_id(1935), "name": name, "village_code": village}
            for name, village in people.values()]
    source = f"测试户籍数据 {uuid.uuid4().hex[:8]}"
    enrol = enrolment(pg_pool, dev_env.client, api_settings.temporal_task_queue,
                      ParameterFile(api_settings.parameters_file).book(), KEY)
    opened = await enrol(rows, source)
    ids = dict(zip(people, (opened[r["resident_id"]] for r in rows), strict=True))
    for key, case_id in ids.items():
        township = JINSHAN if people[key][1] == JINSHAN_VILLAGE else BICHENG
        approver = (Role.TOWNSHIP_APPROVER, township, "tsa-01")
        await api.ok(case_id, approver, "confirm_allowance", note="确认")
    await api.ok(ids["due"], CASEWORKER, "record_survival_check", method="home_visit",
                 checked_on=(today - timedelta(days=350)).isoformat())
    await api.ok(ids["held"], CASEWORKER, "record_survival_check", method="in_person",
                 checked_on=(today - timedelta(days=366 + 45)).isoformat())
    # missed: the case's timer escalates (SPEC §0.1: never a decision); the township approver holds payment
    async with asyncio.timeout(20):
        while not await pool_overdue(pg_pool, ids["held"]):
            await asyncio.sleep(0.05)
    await api.ok(ids["held"], (Role.TOWNSHIP_APPROVER, JINSHAN, "tsa-01"), "hold_payment",
                 reason="逾期未完成生存认证，暂停发放")
    await _row(pg_pool, ids["held"], "payment_held")
    await _row(pg_pool, ids["elsewhere"], "in_payment")
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.TOWNSHIP_CASEWORKER, JINSHAN)
        page = await client.get("/console/survival-checks")
        assert page.status_code == 200, page.text
        text = page.text
        for expected in ("高龄津贴生存认证到期名单", "测试到期", "测试暂停", "暂停发放", "登记生存认证"):
            assert expected in text, expected
        assert text.index("测试暂停") < text.index("测试到期")  # held first
        assert "测试未到" not in text and "测试外镇" not in text
        wider = await client.get("/console/survival-checks", params={"days": "366"})
        assert "测试未到" in wider.text and "测试外镇" not in wider.text
        listed = await client.get("/console/cases", params={"program": "old_age_allowance"})
        assert listed.status_code == 200
        for name in ("最低生活保障", "特困人员救助供养", "临时救助", "残疾人两项补贴", "高龄津贴"):
            assert f">{name}</option>" in listed.text, name
        assert ids["due"][:8] in listed.text
        # 我的待办: a check due within 30 days (or a held payment) is work; one due next year is not yet
        work = await client.get("/console/work", params={"step": "survival_check"})
        assert work.status_code == 200
        assert "测试到期" in work.text and "测试暂停" in work.text and "测试未到" not in work.text
