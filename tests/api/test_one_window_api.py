"""一门受理 for every programme (S5 item 23; S4 Art. 60) over the API: an elderly couple — he 85, she 65 with a
grade-2 disability — tell their situation once. The screening answers for all five programmes: 低保 and 特困 (for
each of them, the supporters to be investigated, S3 Art. 8), 残疾人两项补贴 for her (S12), 高龄津贴 for him —
enrolled by the county from the hukou data, so no application is offered (SPEC §6.3). The programmes applied for
by one person get one pre-filled application per person (the person as applicant); the window opens them, one
case per programme and person from the intake (409 for the same person again), and the console offers only what
is still to open."""

from __future__ import annotations

import re
from typing import Any

import httpx

from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.api.test_lifecycle_api import Api
from tests.builders import unique_resident_id

VILLAGE = "532302110001"  # 和平镇
WINDOW = (Role.FRONT_OFFICE, "532302110", "window-11")


def _body() -> dict[str, Any]:
    return {
        "village_code": VILLAGE, "area_type": "rural",
        "members": [
            {"name": "测试老甲", "resident_id": unique_resident_id(1941), "relation": "applicant"},
            {"name": "测试老乙", "resident_id": unique_resident_id(1961), "relation": "spouse", "disability_grade": 2},
        ],
        "declaration": {"income": [{"kind": "business_net", "amount": "1200.00"}]},  # 50 yuan a head a month
    }


async def test_s5_item_23_every_programme_screened_one_application_per_person_where_one_person_applies(
    http: httpx.AsyncClient, auth: TokenFactory, app: Any, api_settings: Any
) -> None:
    api = Api(http, auth)
    body = _body()
    created = await http.post("/v1/intakes", json=body, headers=api.headers(WINDOW))
    assert created.status_code == 201, created.text
    intake = created.json()
    by_program = {s["program"]: s for s in intake["screening"]}
    assert {p: s["outcome"] for p, s in by_program.items()} == {
        "dibao": "may_qualify", "tekun": "incomplete", "temporary": "incomplete",
        "disability_subsidies": "may_qualify", "old_age_allowance": "may_qualify"}
    assert by_program["tekun"]["applicants"] == [0, 1] and "S3 Art. 8" in by_program["tekun"]["missing"][0]
    assert by_program["disability_subsidies"]["applicants"] == [1]
    assert by_program["old_age_allowance"]["by_application"] is False
    drafts = intake["applications"]
    assert sorted((d["program"], d["members"][0]["name"], len(d["members"])) for d in drafts) == [
        ("dibao", "测试老甲", 2), ("disability_subsidies", "测试老乙", 1), ("tekun", "测试老乙", 1),
        ("tekun", "测试老甲", 1)]  # no 临时救助 application: no emergency or expenditure was told
    assert all(set(d) >= {"intake_id", "program", "members"} and "key" not in d and "opened" not in d
               for d in drafts)  # a draft is a request body, nothing more
    per_person = [d for d in drafts if d["program"] in ("tekun", "disability_subsidies")]
    assert all(d["members"][0]["relation"] == "applicant" for d in per_person)

    from tests.api.test_console import browser, logged_in

    async with browser(app) as client:  # the window's page offers each person's application by name
        await logged_in(client, api_settings, Role.FRONT_OFFICE, "532302110")
        console = await client.get(f"/console/intakes/{intake['intake_id']}")
    assert 'value="tekun:1"' in console.text and 'value="tekun:2"' in console.text
    assert 'value="disability_subsidies:2"' in console.text and 'value="old_age_allowance' not in console.text
    assert "残疾人两项补贴（测试老乙本人申请）" in console.text

    opened = []
    for draft in per_person:  # 特困 for each of them over the API; the subsidies for her on the console below
        if draft["program"] == "tekun":
            response = await api.create({k: v for k, v in draft.items() if v is not None}, who=WINDOW)
            assert response.status_code == 201, response.text
            opened.append(response.json()["case_id"])
    again = await api.create({k: v for k, v in per_person[0].items() if v is not None}, who=WINDOW)
    assert again.status_code == 409
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.FRONT_OFFICE, "532302110")
        url = f"/console/intakes/{intake['intake_id']}"
        key = re.search(r'name="_idempotency_key" value="([0-9a-f]+)"', (await client.get(url)).text)
        assert key
        done = await client.post(f"{url}/open", data={"_idempotency_key": key[1],
                                                      "program": "disability_subsidies:2"})
        assert done.status_code == 303, done.text
    page = (await http.get(f"/v1/intakes/{intake['intake_id']}", headers=api.headers(WINDOW))).json()
    opened += [c["case_id"] for c in page["cases"] if c["program"] == "disability_subsidies"]
    assert len(opened) == 3  # three cases from one intake: 特困 for each of them, the subsidies for her

    page = (await http.get(f"/v1/intakes/{intake['intake_id']}", headers=api.headers(WINDOW))).json()
    assert sorted(c["case_id"] for c in page["cases"]) == sorted(opened)
    async with browser(app) as client:  # what is left to open: the household's programmes
        await logged_in(client, api_settings, Role.FRONT_OFFICE, "532302110")
        console = await client.get(f"/console/intakes/{intake['intake_id']}")
    assert console.status_code == 200
    assert 'value="dibao"' in console.text and 'value="temporary"' not in console.text
    assert 'value="tekun:' not in console.text and 'value="disability_subsidies:' not in console.text
    assert "高龄津贴" in console.text and "无需申请" in console.text
