"""先行救助 on the console (issue 16 item 8; S8 §二(二), §三(三); S5 item 15): the township reports an emergency
and grants at once in one form, through ``POST /v1/emergencies`` and ``grant_urgent_assistance`` with an
Idempotency-Key; above the urgent cap the refusal names the cap next to the amount (422), a grant the reserve fund
cannot pay is refused in Chinese (409) and the report stands; the fund's balance is on the console."""

from __future__ import annotations

import re
from typing import Any

import httpx

from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.api.test_console import browser, logged_in
from tests.builders import unique_resident_id

TOWNSHIP = "532302111"  # no other test uses its reserve fund
VILLAGE = "532302111001"


def _form(key: str, amount: str, situation: str = "夜间房屋失火", case_id: str = "") -> dict[str, str]:
    data = {
        "_idempotency_key": key, "village_code": VILLAGE, "area_type": "rural",
        "members.0.name": "测试辛", "members.0.resident_id": unique_resident_id(1980), "members.0.relation": "applicant",
        "temporary.kind": "emergency", "temporary.cause": "fire", "temporary.severity": "major",
        "temporary.situation": situation, "temporary.urgent": "village",
        "grant.amount": amount, "grant.form": "cash", "grant.reason": "火灾先行救助",
    }
    return {**data, "case_id": case_id} if case_id else data


def _reported(page: str) -> str:
    found = re.search(r'name="case_id" value="([0-9a-f-]{36})"', page)
    assert found, page
    return found[1]


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'data-field="{re.escape(name)}">.*?(?:class="field-error" role="alert">([^<]*)<|</div>\s*</div>)',
                      page, re.S)
    return (found[1] or "") if found else ""


async def test_s8_2_2_urgent_grant_form_reports_and_grants_once_refusals_in_chinese_next_to_the_field(
    http: httpx.AsyncClient, auth: TokenFactory, app: Any, api_settings: Any
) -> None:
    """S8 §二(二), S5 item 15: above the urgent cap 422 naming the cap, next to the amount; S8 §三(三): the fund
    short, 409 in Chinese, the report stands and is not made twice; granted: the case's page, the fund drawn once
    however often the form is sent."""
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.TOWNSHIP_APPROVER, TOWNSHIP)
        home = await client.get("/console")
        assert 'href="/console/urgent"' in home.text
        empty = await client.get("/console/urgent")
        assert empty.status_code == 200 and "先行救助" in empty.text and "急难情况报告" in empty.text
        assert f'href="/console/reserve-funds/{TOWNSHIP}"' in empty.text and "当前余额：<strong>0.00 元" in empty.text
        assert 'href="/console/reserve-funds"' in empty.text  # the fund from the console's every page

        # the report itself refused: the field it names, nothing reported
        missing = await client.post("/console/urgent", data=_form("k-missing", "800", situation=""))
        assert missing.status_code == 422 and 'name="case_id"' not in missing.text
        assert _field_error(missing.text, "temporary.situation"), missing.text

        over = await client.post("/console/urgent", data=_form("k-over", "1000.01"))
        assert over.status_code == 422, over.text
        assert "超过先行救助限额 1000" in _field_error(over.text, "grant.amount"), over.text
        case_id = _reported(over.text)

        short = await client.post("/console/urgent", data=_form("k-short", "800.00", case_id=case_id))
        assert short.status_code == 409 and "备用金余额不足" in short.text and _reported(short.text) == case_id

        filled = await http.post(f"/v1/reserve-funds/{TOWNSHIP}/replenishments",
                                 json={"amount": "1000.00", "reason": "县级拨付备用金"},
                                 headers={**auth(Role.COUNTY_APPROVER, "532302"), "Idempotency-Key": "fill-111"})
        assert filled.status_code == 201, filled.text
        for _ in range(2):  # a double click grants once
            granted = await client.post("/console/urgent", data=_form("k-grant", "800.00", case_id=case_id))
            assert granted.status_code == 303, granted.text
            assert granted.headers["location"] == f"/console/cases/{case_id}?done=grant_urgent_assistance"
        case = await client.get(f"/console/cases/{case_id}")
        assert case.status_code == 200
        fund = await client.get(f"/console/reserve-funds/{TOWNSHIP}")
        assert "当前余额：200.00 元" in fund.text
        assert "当前余额：<strong>200.00 元" in (await client.get("/console/urgent")).text
        mine = await client.get("/console/reserve-funds")
        assert mine.status_code == 200 and len(re.findall(r"data-township=", mine.text)) == 1
        assert re.search(rf'data-township="{TOWNSHIP}"><td><a [^>]*>[^<]*</a></td>\s*<td class="num">200\.00<', mine.text)

    async with browser(app) as client:  # the county sees every township's balance and what it was told of
        await logged_in(client, api_settings, Role.COUNTY_APPROVER, "532302")
        county = await client.get("/console/reserve-funds")
        assert county.status_code == 200 and len(re.findall(r"data-township=", county.text)) == 14
        assert re.search(rf'data-township="{TOWNSHIP}"><td><a [^>]*>[^<]*</a></td>\s*<td class="num">200\.00<', county.text)
    async with browser(app) as client:  # the village committee reports but does not read the fund
        await logged_in(client, api_settings, Role.VILLAGE_COMMITTEE, VILLAGE)
        assert (await client.get("/console/reserve-funds")).status_code == 403
        page = await client.get("/console/urgent")
        assert page.status_code == 200 and 'href="/console/reserve-funds"' not in page.text

    stage = (await http.get(f"/v1/cases/{case_id}", headers=auth(Role.TOWNSHIP_APPROVER, TOWNSHIP))).json()["stage"]
    assert stage == "urgent_granted"
    trail = (await http.get(f"/v1/cases/{case_id}/trail", headers=auth(Role.TOWNSHIP_APPROVER, TOWNSHIP))).json()
    assert [t["type"] for t in trail].count("urgent_assistance_granted") == 1


INTAKE_TOWNSHIP = "532302203"
INTAKE_VILLAGE = "532302203201"


async def test_s5_item_23_console_intake_entered_once_screened_per_programme_cases_opened_from_it(
    app: Any, api_settings: Any
) -> None:
    """一门受理 on the console (S5 item 23; S4 Art. 60): the window enters the household once through
    ``POST /v1/intakes``, sees each programme's screening, opens dibao and 临时救助 from it (both listed on the
    intake's page); a field refused is shown next to it; opening again is refused (409) next to the programme."""
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.FRONT_OFFICE, INTAKE_TOWNSHIP)
        assert 'href="/console/intakes/new"' in (await client.get("/console/work")).text
        empty = await client.get("/console/intakes/new")
        assert empty.status_code == 200 and "一门受理" in empty.text
        form = {
            "_idempotency_key": "intake-1", "village_code": INTAKE_VILLAGE, "area_type": "rural",
            "members.0.name": "测试壬", "members.0.resident_id": unique_resident_id(1980),
            "members.0.relation": "applicant",
            "members.1.name": "测试癸", "members.1.resident_id": unique_resident_id(1982),
            "members.1.relation": "spouse",
            "declaration.income.0.kind": "business_net", "declaration.income.0.amount": "2400.00",
            "temporary.kind": "emergency", "temporary.cause": "fire", "temporary.severity": "serious",
            "temporary.situation": "房屋失火",
        }
        bad = await client.post("/console/intakes/new", data={**form, "area_type": "", "_idempotency_key": "i-0"})
        assert bad.status_code == 422 and _field_error(bad.text, "area_type"), bad.text

        screened = await client.post("/console/intakes/new", data=form)
        assert screened.status_code == 303, screened.text
        page_url = screened.headers["location"]
        page = await client.get(page_url)
        assert page.status_code == 200 and "可能符合" in page.text and "尚未据此受理案件" in page.text
        assert 'value="dibao"' in page.text and 'value="temporary"' in page.text
        key = re.search(r'name="_idempotency_key" value="([0-9a-f]+)"', page.text)
        assert key
        open_url = f"{page_url}/open"
        for _ in range(2):  # a double click opens each once
            opened = await client.post(open_url, data={"_idempotency_key": key[1], "program": ["dibao", "temporary"]})
            assert opened.status_code == 303, opened.text
        page = await client.get(page_url)
        case_ids = re.findall(r'href="/console/cases/([0-9a-f-]{36})"', page.text)
        assert len(set(case_ids)) == 2 and "开立所选申请" not in page.text

        # the same household again, a second dibao case from the new intake: 409 next to the programme
        again = await client.post("/console/intakes/new", data={**form, "_idempotency_key": "intake-2"})
        second = again.headers["location"]
        refused = await client.post(f"{second}/open", data={"_idempotency_key": "open-2", "program": "dibao"})
        assert refused.status_code == 409 and "不能重复开立" in refused.text
