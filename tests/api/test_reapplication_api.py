"""A household that applies again (issue 20 item 4): its members' earlier cases are linked to the new case at
intake, and a refused case stops holding its members once the refusal is decided. HTTP → API → Temporal dev
server → worker → PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from adapters.settings import Settings
from domain.actors import Role
from domain.household import Declaration, Member, PropertyItem, PropertyKind, Relation
from tests.api.conftest import TokenFactory
from tests.api.test_console import browser, logged_in
from tests.api.test_lifecycle_api import (
    CASEWORKER,
    COUNTY,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    RESIDENT_ID,
    TOWNSHIP_APPROVER,
    WINDOW,
    Api,
    household,
)
from tests.builders import BICHENG, BICHENG_VILLAGE, JINSHAN_VILLAGE, application_body, unique_resident_id
from tests.workflows.lifecycle import income_per_capita

REASONS = ["家庭财产状况不符合规定：住房两套"]
SUPERVISOR = (Role.SUPERVISOR, COUNTY, "sup-01")
VILLAGE = (Role.VILLAGE_COMMITTEE, JINSHAN_VILLAGE, "vc-01")


def _child(name: str) -> Member:
    return Member(name=name, resident_id=unique_resident_id(2012), relation=Relation.CHILD)


def _as_applicant(member: Member) -> Member:
    return member.model_copy(update={"relation": Relation.APPLICANT})


def _two_houses() -> Declaration:
    return Declaration(
        income=income_per_capita(Decimal("200"), 2).income,
        property=[PropertyItem(kind=PropertyKind.HOUSE, value=Decimal("80000")),
                  PropertyItem(kind=PropertyKind.HOUSE, value=Decimal("120000"))],
    )


async def _refused(api: Api, members: list[Member]) -> str:
    """A household with two houses, refused by the county (S1 Arts. 14, 21); the notice not yet served."""
    created = await api.create(application_body(members=members, declaration=_two_houses()))
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await api.investigate(case_id)
    await api.ok(case_id, TOWNSHIP_APPROVER, "decide_village_review", disputed=False, reason="无争议")
    await api.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=False, reasons=["家庭拥有两套住房"])
    await api.ok(case_id, CASEWORKER, "submit_to_county")
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    refused = await api.ok(case_id, COUNTY_APPROVER, "reject", reasons=REASONS)
    assert refused["stage"] == "rejected"
    return case_id


async def _decided_at(api: Api, case_id: str) -> str:
    """When the refusal was recorded, as the case's own trail says."""
    trail = (await api.trail(case_id)).json()
    [rejected] = [t for t in trail if t["type"] == "application_rejected"]
    return rejected["at"]  # type: ignore[no-any-return]


def _same_instant(a: str, b: str) -> bool:
    return datetime.fromisoformat(a.replace("Z", "+00:00")) == datetime.fromisoformat(b.replace("Z", "+00:00"))


async def test_a_refused_household_that_applies_again_has_the_refusal_and_its_reasons_linked(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S4 Art. 59, S1 Art. 20, S1 Art. 21: a household refused (with reasons) applies again; the engine links the
    refused case to the new one at intake — its id, programme, outcome, decision time, the refusal's reasons
    and which members it shares — and records the link with the application (``earlier_cases_linked``, seq 2,
    on the trail with ids, outcomes and dates but no reasons and no ID numbers). The window, the township and
    the county see it on the new case. The caller cannot set the link: ``earlier_cases`` in the body is 422."""
    api = Api(http, auth)
    members = household("孙丽华", "周大山")
    old = await _refused(api, members)
    await api.ok(old, CASEWORKER, "serve_rejection_notice")
    decided_at = await _decided_at(api, old)

    body = application_body(members=[*members, _child("周小雨")],
                            declaration=income_per_capita(Decimal("150"), 3))
    smuggled = await api.create({**body, "earlier_cases": []})
    assert smuggled.status_code == 422, smuggled.text
    assert smuggled.json()["detail"][0]["loc"] == ["body", "earlier_cases"]

    created = await api.create(body)
    assert created.status_code == 201, created.text
    new = created.json()
    assert new["case_id"] != old
    [link] = new["earlier_cases"]
    assert link["case_id"] == old
    assert link["program"] == "dibao" and link["village_code"] == JINSHAN_VILLAGE
    assert link["outcome"] == "rejected"
    assert _same_instant(link["decided_at"], decided_at)
    assert link["reasons"] == REASONS
    assert link["member_indexes"] == [0, 1]

    for who in (WINDOW, CASEWORKER, TOWNSHIP_APPROVER, COUNTY_REVIEWER, COUNTY_APPROVER):
        assert (await api.get(new["case_id"], who))["earlier_cases"] == [link], who
    assert (await api.get(old))["earlier_cases"] == [], "the first application had no earlier case"

    trail = (await api.trail(new["case_id"])).json()
    [linked] = [t for t in trail if t["type"] == "earlier_cases_linked"]
    assert linked["seq"] == 2 and linked["ledger_position"] and linked["ledger_hash"]
    assert linked["legal_basis"] == ["S4 Art. 59", "S1 Art. 20"]
    [recorded] = linked["details"]["earlier_cases"]
    assert recorded["case_id"] == old and recorded["outcome"] == "rejected"
    assert _same_instant(recorded["decided_at"], decided_at)
    assert recorded["member_indexes"] == [0, 1]
    assert "reasons" not in recorded
    text = json.dumps(trail, ensure_ascii=False)
    assert "住房两套" not in text, "the refusal's free-text reasons are not on the new case's trail"
    assert not RESIDENT_ID.search(text), "no resident ID number on the trail"


async def test_a_refused_household_may_apply_again_before_the_refusal_notice_is_served(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S1 Art. 21, S1 Art. 4: 不予确认同意 is decided when the county records it; the notice, due within 3 working
    days, tells the applicant of a decision already taken. So a member of a refused case is free to apply again
    at once (201, the refused case linked), not only once the notice is served — while an undecided case
    still holds its members (409 naming it). The refused case still waits for its notice; serving it later
    does not free the members of the new case (409 naming the new one)."""
    api = Api(http, auth)
    members = household("钱玉梅", "李建华")
    spouse_applies = [_as_applicant(members[1]), _child("李小明")]

    first = await api.create(application_body(members=members, declaration=_two_houses()))
    assert first.status_code == 201, first.text
    undecided = await api.create(application_body(members=spouse_applies))
    assert undecided.status_code == 409, undecided.text
    assert undecided.json()["code"] == "member_in_case"
    assert undecided.json()["case_id"] == first.json()["case_id"]
    await api.ok(first.json()["case_id"], WINDOW, "withdraw_application", reason="申请人撤回后重新申请")

    old = await _refused(api, members)
    case = await api.get(old)
    assert case["pending"]["step"] == "serve_rejection_notice", "the refusal notice is still to be served"

    again = await api.create(application_body(members=spouse_applies))
    assert again.status_code == 201, again.text
    new = again.json()
    assert [(e["case_id"], e["outcome"], e["reasons"], e["member_indexes"]) for e in new["earlier_cases"]] == [
        (first.json()["case_id"], "withdrawn", [], [0]),
        (old, "rejected", REASONS, [0]),
    ]

    served = await api.ok(old, CASEWORKER, "serve_rejection_notice")
    assert served["pending"] is None
    third = await api.create(application_body(members=[members[0], _child("钱小二")]))
    assert third.status_code == 201, "the applicant of the refused case is free too"
    fourth = await api.create(application_body(members=[spouse_applies[0], _child("李小花")]))
    assert fourth.status_code == 409, fourth.text
    assert fourth.json()["case_id"] == new["case_id"], "serving the old notice left the new case's claim alone"


async def test_an_earlier_case_outside_the_readers_jurisdiction_is_not_shown(
    http: httpx.AsyncClient, auth: TokenFactory, app: FastAPI, api_settings: Settings
) -> None:
    """S4 Art. 61 (staff keep what they learn confidential) and the jurisdiction rule (SPEC §2, §10.2): a
    household that applied in 碧城镇 and withdrew applies again in 金山镇. The link is recorded (any outcome,
    any member: here the spouse alone), and shown to the county and supervision, whose jurisdiction covers both
    townships — in the API and on the console's case page (既往申请) — but not to 金山镇's window, township or
    village committee, who could not read the 碧城镇 case either."""
    api = Api(http, auth)
    bicheng_window = (Role.FRONT_OFFICE, BICHENG, "window-bc")
    members = household("王芳", "赵强")
    elsewhere = await api.create(application_body(BICHENG_VILLAGE, members=members), who=bicheng_window)
    assert elsewhere.status_code == 201, elsewhere.text
    old = elsewhere.json()["case_id"]
    await api.ok(old, bicheng_window, "withdraw_application", reason="户口迁往金山镇")

    spouse = [_as_applicant(members[1])]
    created = await api.create(application_body(members=spouse))
    assert created.status_code == 201, created.text
    new: dict[str, Any] = created.json()
    assert new["earlier_cases"] == [], "the window of 金山镇 does not see a 碧城镇 case"

    for who in (COUNTY_REVIEWER, COUNTY_APPROVER, SUPERVISOR):
        [link] = (await api.get(new["case_id"], who))["earlier_cases"]
        assert (link["case_id"], link["village_code"], link["outcome"]) == (old, BICHENG_VILLAGE, "withdrawn")
        assert link["member_indexes"] == [0] and link["decided_at"]
    for who in (WINDOW, CASEWORKER, TOWNSHIP_APPROVER, VILLAGE):
        assert (await api.get(new["case_id"], who))["earlier_cases"] == [], who
    trail = (await api.trail(new["case_id"])).json()
    assert [t["details"]["earlier_cases"][0]["case_id"] for t in trail if t["type"] == "earlier_cases_linked"] == [old]

    async with browser(app) as client:
        await logged_in(client, api_settings, Role.COUNTY_REVIEWER, COUNTY)
        page = await client.get(f"/console/cases/{new['case_id']}")
        assert page.status_code == 200, page.text
        assert 'id="earlier-cases"' in page.text and "既往申请" in page.text and "撤回申请" in page.text
        assert f'href="/console/cases/{old}"' in page.text
    async with browser(app) as client:
        await logged_in(client, api_settings, Role.TOWNSHIP_CASEWORKER, "532302101")
        page = await client.get(f"/console/cases/{new['case_id']}")
        assert page.status_code == 200, page.text
        assert 'id="earlier-cases"' not in page.text and old not in page.text
