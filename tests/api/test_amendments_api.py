"""Household changes before the decision, over real HTTP (issue 20 items 1 and 2).

S1 Art. 7 (the household is who lives together), S6 §一(三) (a death is acted on), S6 §三(二) (data
comparisons), S1 Art. 19 (the opinion and its 公示). A death matched by the funeral data during the 公示 lands on
the case as a proposed amendment; the township confirms it; the opinion is given again and published again; the
county confirms two persons, not three. Each row of a bulk alert file says what happened to it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.api.conftest import PUBLICITY_SECONDS, TokenFactory
from tests.api.test_in_payment_api import CHECKING_CENTRE
from tests.api.test_lifecycle_api import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    WINDOW,
    Api,
    household,
)
from tests.builders import application_body, unique_resident_id
from tests.workflows.lifecycle import income_per_capita


async def _new(api: Api, members: list[Any]) -> str:
    body = application_body(members=members, declaration=income_per_capita(Decimal("100"), len(members)))
    created = await api.create(body)
    assert created.status_code == 201, created.text
    return str(created.json()["case_id"])


def _seq_of(trail: list[dict[str, Any]], type_: str) -> int:
    return next(e["seq"] for e in trail if e["type"] == type_)


async def test_a_death_matched_during_the_publicity_is_confirmed_and_the_county_confirms_two_persons(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S1 Art. 7, S6 §一(三), §三(二), S1 Art. 19: the issue's case — the county confirmed three persons where
    two were due. Now the match is a proposal (row outcome ``proposed``), the township confirms it, the opinion
    is given and published again, and the approval computes for two."""
    api = Api(http, auth)
    members = household("孙大", "李二", "孙小")
    case_id = await _new(api, members)
    await api.to_publicity(case_id)
    batch = {"source": "民政殡葬数据比对", "alerts": [
        {"resident_id": members[1].resident_id, "alert": "death", "occurred_on": "2026-11-01"}]}
    posted = await http.post("/v1/data-alerts", json=batch, headers=api.headers(CHECKING_CENTRE))
    assert posted.status_code == 200, posted.text
    assert [(o["row"], o["outcome"]) for o in posted.json()] == [(0, "proposed")]
    again = await http.post("/v1/data-alerts", json=batch, headers=api.headers(CHECKING_CENTRE))
    assert again.json() == posted.json(), "the same file again: the same answer"
    other = await http.post("/v1/data-alerts", json={**batch, "source": "公安户籍注销"},
                            headers=api.headers(CHECKING_CENTRE))
    assert other.json()[0]["outcome"] == "already_recorded", "the same proposal already awaits the township"

    case = await api.get(case_id)
    assert case["pending"]["step"] == "confirm_amendment"
    refused = await api.command(case_id, COUNTY_APPROVER, "approve", reason="符合条件")
    assert refused.status_code in (403, 409)
    trail = (await api.trail(case_id)).json()
    proposal = _seq_of(trail, "amendment_proposed")
    case = await api.ok(case_id, CASEWORKER, "confirm_amendment", proposal_seq=proposal, confirmed=True,
                        note="经核实，该成员已于11月1日死亡")
    assert case["stage"] == "reinvestigation", "the published opinion (three persons) no longer holds"
    assert case["household_size"] == 2

    await api.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=True)
    await api.ok(case_id, CASEWORKER, "start_publicity", location="村务公开栏")
    await api.wait_stage(case_id, "submitted_to_county", timeout=PUBLICITY_SECONDS + 18)
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    approved = await api.ok(case_id, COUNTY_APPROVER, "approve", reason="经审核符合条件")
    assert approved["monthly_amount"] == "450.00"  # 3,600 a year over two: (375 − 150) × 2, not (375 − 100) × 3

    trail = (await api.trail(case_id)).json()
    types = [e["type"] for e in trail]
    assert types.index("amendment_proposed") < types.index("household_amended") \
        < types.index("opinion_reopened_by_amendment")
    amended = next(e for e in trail if e["type"] == "household_amended")
    assert amended["legal_basis"] == ["S1 Art. 7", "S1 Art. 9", "S6 §一(三)"]
    assert amended["reason"] is None, "a note about the household stays off the trail"
    assert amended["details"]["proposal_seq"] == proposal
    assert members[1].resident_id not in str(trail)


async def test_the_window_amends_the_household_with_its_evidence(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S1 Arts. 7, 9: a child (born last year, moved back in) is recorded by the window with its evidence; a
    malformed amendment is 422 naming the field and changes nothing."""
    api = Api(http, auth)
    case_id = await _new(api, household("周大", "吴二"))
    await api.investigate(case_id)
    baby = {"name": "周小", "resident_id": unique_resident_id(2025), "relation": "child"}
    bad = await api.command(case_id, WINDOW, "amend_household", members_leaving=[
        {"member_index": 5, "reason": "death"}], evidence="死亡医学证明", note="x")
    assert bad.status_code == 422, bad.text
    case = await api.ok(case_id, WINDOW, "amend_household", members_joining=[baby], evidence="出生医学证明",
                        note="新生儿随父母共同生活")
    assert case["household_size"] == 3
    assert case["stage"] == "investigating"


async def test_a_refused_alert_row_says_refused_never_already_recorded(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S6 §三(二): a clerk importing the funeral match file must not be told a death is on record when the case
    refused it. A case approved but not yet published (公布, S1 Art. 24) takes no alert: the row is
    ``refused`` with the case's reason, and nothing is on the case's trail."""
    api = Api(http, auth)
    members = household("郑大", "王二")
    case_id = await _new(api, members)
    await api.to_publicity(case_id)
    await api.wait_stage(case_id, "submitted_to_county", timeout=PUBLICITY_SECONDS + 18)
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    await api.ok(case_id, COUNTY_APPROVER, "approve", reason="经审核符合条件")
    batch = {"source": "民政殡葬数据比对", "alerts": [
        {"resident_id": members[1].resident_id, "alert": "death", "occurred_on": "2026-11-01"}]}
    posted = await http.post("/v1/data-alerts", json=batch, headers=api.headers(CHECKING_CENTRE))
    assert posted.status_code == 200, posted.text
    [row] = posted.json()
    assert row["outcome"] == "refused", row
    assert row["detail"].startswith("invalid_transition")
    assert members[1].resident_id not in posted.text
    trail = (await api.trail(case_id)).json()
    assert not {"data_alert_raised", "amendment_proposed"} & {e["type"] for e in trail}
