"""The demo's 残疾人两项补贴 and 高龄津贴 cases (issue 17; S12: 云政发〔2016〕5号, SPEC §6.2, §6.3) through the API
and the enrolment import: the living subsidy alone, the care subsidy alone, both, a 跨省通办 forward; 高龄津贴
in each band, a survival check due, one held (not stopped), one left for the township; a re-run makes nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.auth import issue_token
from adapters.db.cases import PgCaseMembers, PgCaseStore
from adapters.parameters import ParameterFile
from adapters.settings import Settings
from domain.actors import Role
from domain.kernel.clock import CHINA_TZ
from services.demo_allowances import enrolment, run_disability_demo, run_old_age_demo
from tests.builders import JINSHAN_VILLAGE
from tests.standard_change_cases import in_payment_state, load_book

pytestmark = pytest.mark.asyncio

KEY = b"demo-test-enrolment-key-32-bytes"


async def test_allowance_demo_cases_reach_their_stages_and_a_rerun_makes_nothing(
        http: httpx.AsyncClient, api_settings: Settings, pg_pool: asyncpg.Pool, dev_env: WorkflowEnvironment) -> None:
    def token(role: Role, jurisdiction: str, sub: str) -> str:
        return issue_token(api_settings, sub=sub, role=role, jurisdiction=jurisdiction, now=datetime.now(UTC))

    today = datetime.now(CHINA_TZ).date()
    seed = int(datetime.now(UTC).timestamp())
    book = ParameterFile(api_settings.parameters_file).book()
    people = []
    for _ in range(2):  # two paying dibao households in the read model, as the dibao demo leaves them
        state = in_payment_state(load_book(api_settings.parameters_file), village_code=JINSHAN_VILLAGE,
                                 decided_on=today - timedelta(days=1))
        digest = hashlib.sha256(str(state.case_id).encode()).hexdigest()
        await PgCaseMembers(pg_pool).claim(state.case_id, "dibao", [m.resident_id for m in state.members],
                                           actor_id="test", request_sha256=digest)
        await PgCaseStore(pg_pool).record(state, [])
        people.append((state.members[-1].name, state.members[-1].resident_id, state.village_code))

    disability = await run_disability_demo(http, token, seed=seed, dibao_people=people)
    assert disability.skipped == {}
    assert disability.stages == {"care_only": "in_payment", "living_only": "in_payment", "both": "in_payment",
                                 "forwarded": "forwarded"}
    headers = {"Authorization": f"Bearer {token(Role.COUNTY_REVIEWER, '532302', 'cr-01')}"}
    amounts = {k: (await http.get(f"/v1/cases/{v}", headers=headers)).json()["monthly_amount"]
               for k, v in disability.case_ids.items() if k != "forwarded"}
    assert {k: Decimal(v) for k, v in amounts.items()} == {"care_only": Decimal("110.00"),
                                                          "living_only": Decimal("100.00"),
                                                          "both": Decimal("200.00")}

    enrol = enrolment(pg_pool, dev_env.client, api_settings.temporal_task_queue, book, KEY)
    old_age = await run_old_age_demo(http, token, enrol, seed=seed, today=today)
    assert old_age.skipped == {}
    assert old_age.stages == {"band_80": "in_payment", "band_90": "in_payment", "band_100": "in_payment",
                              "check_due": "in_payment", "held": "payment_held", "to_confirm": "proposed"}
    cases = {k: (await http.get(f"/v1/cases/{v}", headers=headers)).json() for k, v in old_age.case_ids.items()}
    bands = {k: Decimal(cases[k]["monthly_amount"]) for k in ("band_80", "band_90", "band_100")}
    assert bands == {"band_80": Decimal("50.00"), "band_90": Decimal("100.00"), "band_100": Decimal("300.00")}
    due = date.fromisoformat(cases["check_due"]["pending"]["due"])
    assert today < due <= today + timedelta(days=30)

    again = await run_disability_demo(http, token, seed=seed, dibao_people=people)
    assert again.case_ids == disability.case_ids and again.stages == disability.stages
    old_again = await run_old_age_demo(http, token, enrol, seed=seed, today=today)
    assert old_again.case_ids == old_age.case_ids and old_again.stages == old_age.stages
    recheck = (await http.get(f"/v1/cases/{old_age.case_ids['check_due']}", headers=headers)).json()
    assert recheck["pending"]["due"] == cases["check_due"]["pending"]["due"]  # no second survival check
