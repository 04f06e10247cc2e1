"""特困 end to end through the HTTP API (S3; S4 Arts. 14-19): HTTP → API → Temporal dev server → worker →
PostgreSQL. The worker's book closes a 公示 after ``PUBLICITY_SECONDS`` of wall time."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.api.test_lifecycle_api import (
    CASEWORKER,
    COUNTY,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    WINDOW,
    Api,
    month_after_today_in_china,
)
from tests.builders import JINSHAN, JINSHAN_VILLAGE, unique_resident_id
from tests.workflows.lifecycle import TEAM

pytestmark = pytest.mark.asyncio
COUNTY_TEAM = ["cr-01", "cr-02"]
SMALL_HOME = "532302101-jinshan-jly"  # 2 beds in the register
CENTRE = "532302-regional-centre-1"


def tekun_body(birth_year: int = 1952) -> dict[str, Any]:
    return {"program": "tekun", "village_code": JINSHAN_VILLAGE, "area_type": "rural",
            "members": [{"name": "特困测试", "resident_id": unique_resident_id(birth_year), "relation": "applicant"}],
            "declaration": {"income": [{"kind": "basic_pension_base", "amount": "1800.00"}]}}


async def investigated(api: Api) -> str:
    created = await api.create(tekun_body())
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await api.ok(case_id, WINDOW, "accept_application")
    await api.ok(case_id, CASEWORKER, "start_investigation", investigators=TEAM)
    await api.ok(case_id, CASEWORKER, "record_home_visit", investigators=TEAM, household_signed=True,
                 findings="独居，无劳动能力")
    await api.ok(case_id, CASEWORKER, "request_info_check")
    await api.ok(case_id, CASEWORKER, "record_eligibility_facts",
                 supporters=[{"relation": "child", "inability": "in_prison", "property_within_low_income_rule": True,
                              "signed_check_authorisation": True}])
    return case_id


async def test_s3_recognition_draw_support_form_and_termination_with_referral_over_http(
        http: httpx.AsyncClient, auth: TokenFactory) -> None:
    api = Api(http, auth)
    case_id = await investigated(api)
    await api.ok(case_id, COUNTY_REVIEWER, "record_self_care_assessment", failed_items=["bathing", "toileting"],
                 assessors=COUNTY_TEAM)
    await api.ok(case_id, CASEWORKER, "choose_support_form", form="centralised", institution_id=CENTRE)
    await api.ok(case_id, TOWNSHIP_APPROVER, "decide_village_review", disputed=False, reason="无争议")
    await api.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=True)
    await api.ok(case_id, CASEWORKER, "start_publicity", location="村务公开栏")
    await api.wait_stage(case_id, "submitted_to_county")
    # S3 Art. 16: no decision before the county's random check
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    early = await api.command(case_id, COUNTY_APPROVER, "approve", reason="符合条件")
    assert early.status_code == 409, early.text
    drawn = await http.post("/v1/tekun/county-check-draws", json={"township_code": JINSHAN},
                            headers=api.headers(COUNTY_REVIEWER))
    assert drawn.status_code == 201, drawn.text
    draw = drawn.json()
    assert case_id in draw["batch"] and case_id in draw["recorded"] and draw["drawn_by"] == "cr-01"
    assert len(draw["drawn"]) * 10 >= 3 * len(draw["batch"])  # at least 30 %
    again = await http.get(f"/v1/tekun/county-check-draws/{draw['draw_id']}", headers=api.headers(COUNTY_REVIEWER))
    assert again.json()["seed"] == draw["seed"] and again.json()["drawn"] == draw["drawn"]
    if case_id in draw["drawn"]:
        refused = await api.command(case_id, COUNTY_APPROVER, "approve", reason="符合条件")
        assert refused.status_code == 409 and "drawn" in refused.text
        await api.ok(case_id, COUNTY_REVIEWER, "record_county_home_visit", investigators=COUNTY_TEAM,
                     findings="抽查入户，情况属实")
    approved = await api.ok(case_id, COUNTY_APPROVER, "approve", reason="符合特困人员认定条件")
    assert approved["stage"] == "approved"
    assert approved["monthly_amount"] == "1232.00"  # 832 basic-living + 400 care (centralised, partially lost)
    assert approved["first_payment_month"] == month_after_today_in_china()
    assert approved["tekun"]["care_tier"] == "partial" and approved["tekun"]["support_form"] == "centralised"
    assert (approved["tekun"]["basic_amount"], approved["tekun"]["care_amount"]) == ("832.00", "400.00")
    notice = await api.notice(case_id, "approval")
    assert notice.status_code == 200 and "特困人员认定通知书" in notice.text and "400.00" in notice.text
    await api.ok(case_id, CASEWORKER, "post_publication", location="村务公开栏")
    # termination (S3 Arts. 24-27): 7-day 公示, no objection, the county decides, referral to dibao
    await api.ok(case_id, CASEWORKER, "propose_termination", ground="able_supporter", reasons=["其子刑满释放，具备赡养能力"])
    await api.ok(case_id, CASEWORKER, "start_publicity", location="敬老院公示栏")
    await api.wait_stage(case_id, "termination_decision")
    ended = await api.ok(case_id, COUNTY_APPROVER, "decide_termination", reasons=["公示无异议，终止救助供养"],
                         refer_to=["dibao"], referral_reason="其子家庭收入较低，可申请低保")
    assert ended["stage"] == "terminated" and ended["stop_effective_month"] is not None
    referrals = await http.get("/v1/referrals", params={"to_program": "dibao"}, headers=api.headers(WINDOW))
    assert referrals.status_code == 200, referrals.text
    assert any(r["from_case_id"] == case_id for r in referrals.json())
    decision = await api.notice(case_id, "termination_decision")
    assert decision.status_code == 200 and "终止特困人员救助供养决定书" in decision.text


async def test_s4_art_19_a_full_institution_answers_409_and_the_county_sees_the_waiting_list(
        http: httpx.AsyncClient, auth: TokenFactory) -> None:
    api = Api(http, auth)
    county = (Role.COUNTY_REVIEWER, COUNTY, "cr-01")
    listed = await http.get("/v1/tekun/institutions", headers=api.headers(county))
    home = next(i for i in listed.json() if i["institution_id"] == SMALL_HOME)
    for _ in range(home["beds"] - home["occupied"]):  # fill the free beds
        placed = await investigated(api)
        await api.ok(placed, CASEWORKER, "choose_support_form", form="centralised", institution_id=SMALL_HOME)
    waiting = await investigated(api)
    full = await api.command(waiting, CASEWORKER, "choose_support_form", form="centralised",
                             institution_id=SMALL_HOME)
    assert full.status_code == 409, full.text
    assert full.json()["code"] == "institution_full"
    case = await api.get(waiting)
    assert case["stage"] == "investigating"
    queue = await http.get(f"/v1/tekun/institutions/{SMALL_HOME}/waiting-list", headers=api.headers(county))
    assert queue.status_code == 200 and waiting in [row["case_id"] for row in queue.json()]
    trail = [e["type"] for e in (await api.trail(waiting)).json()]
    assert "placement_waitlisted" in trail and "support_form_chosen" not in trail
    # at home meanwhile (分散供养), still on the list
    await api.ok(waiting, CASEWORKER, "choose_support_form", form="dispersed", carer="邻居")
    queue = await http.get(f"/v1/tekun/institutions/{SMALL_HOME}/waiting-list", headers=api.headers(county))
    assert waiting in [row["case_id"] for row in queue.json()]


async def test_the_console_shows_a_tekun_case_with_its_own_stage_names(
        http: httpx.AsyncClient, auth: TokenFactory, app: Any, api_settings: Any) -> None:
    from tests.api.test_console import browser, logged_in

    api = Api(http, auth)
    case_id = await investigated(api)
    await api.ok(case_id, COUNTY_REVIEWER, "record_self_care_assessment", failed_items=[], assessors=COUNTY_TEAM)
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.COUNTY_REVIEWER, COUNTY)
        page = await client.get(f"/console/cases/{case_id}")
        assert page.status_code == 200, page.text[:300]
        for text in ("调查核实", "记录特困认定条件调查情况", "生活自理能力评估", "特困人员救助供养"):
            assert text in page.text, text
        listed = await client.get("/console/cases", params={"program": "tekun"})
        assert listed.status_code == 200 and case_id in listed.text
