"""The 特困 demo households (S3) through the API: some in a 敬老院, some at home, a minor; past the county's
random check into support when the 公示 closes in seconds (the API tests' book)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from adapters.auth import issue_token
from adapters.settings import Settings
from domain.actors import Role
from services.demo_tekun import run_tekun_demo

pytestmark = pytest.mark.asyncio


async def test_tekun_demo_households_reach_support_and_rerun_creates_nothing(
        http: httpx.AsyncClient, api_settings: Settings) -> None:
    def token(role: Role, jurisdiction: str, sub: str) -> str:
        return issue_token(api_settings, sub=sub, role=role, jurisdiction=jurisdiction, now=datetime.now(UTC))

    seed = int(datetime.now(UTC).timestamp())  # its own households in the shared database
    first = await run_tekun_demo(http, token, seed=seed, fast_publicity=True, publicity_timeout=60)
    assert first.failures == {}
    assert set(first.stages.values()) == {"in_payment"}, first.stages
    home = await http.get(f"/v1/cases/{first.case_ids['elder_in_home']}",
                          headers={"Authorization": f"Bearer {token(Role.COUNTY_REVIEWER, '532302', 'cr-01')}"})
    assert home.json()["tekun"]["support_form"] == "centralised"
    again = await run_tekun_demo(http, token, seed=seed, fast_publicity=True, publicity_timeout=60)
    assert again.case_ids == first.case_ids and again.stages == first.stages
