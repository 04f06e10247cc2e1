"""Legacy 15-digit resident ID numbers over real HTTP (GB 11643-1999; SPEC §10.1): the window is told it holds a
legacy number (not "at least 18 characters"), and a data-comparison alert sent with the legacy form of a member's
number reaches that member's case, as the 18-digit number it converts to."""

from __future__ import annotations

import httpx

from tests.api.conftest import TokenFactory
from tests.api.test_in_payment_api import CHECKING_CENTRE, in_payment
from tests.api.test_lifecycle_api import Api, household
from tests.builders import application_body


def _legacy(resident_id: str) -> str:
    """The pre-1999 form of an 18-digit number born in the 1900s: no century, no check character."""
    assert resident_id[6:8] == "19"
    return resident_id[:6] + resident_id[8:17]


async def test_a_legacy_number_at_the_window_is_a_422_saying_so_and_nothing_is_opened(
    http: httpx.AsyncClient, auth: TokenFactory,
) -> None:
    """GB 11643-1999; SPEC §10.1: the 422 names the member, says "15-digit legacy" and asks for the 18-digit
    number from the card or hukou register; the number is not echoed."""
    body = application_body()
    legacy = _legacy(body["members"][0]["resident_id"])  # type: ignore[index]
    body["members"][0]["resident_id"] = legacy  # type: ignore[index]
    answer = await http.post("/v1/cases", json=body, headers=auth())
    assert answer.status_code == 422, answer.text
    [detail] = [d for d in answer.json()["detail"] if d["loc"] == ["body", "members", 0, "resident_id"]]
    assert "15-digit legacy resident ID number" in detail["msg"] and "18-digit" in detail["msg"]
    assert "at least 18" not in detail["msg"] and legacy not in answer.text


async def test_a_death_alert_with_the_legacy_number_reaches_the_case_of_the_converted_number(
    http: httpx.AsyncClient, auth: TokenFactory,
) -> None:
    """GB 11643-1999 (conversion: "19" inserted, check character appended); S6 §三(二): the death match from
    another department's system, sent with a 15-digit number, is raised on the case; sent again with the 18-digit
    number it is the same match (the same answer, nothing twice); a legacy number with no real birth date is 422."""
    api = Api(http, auth)
    members = household("钱老大", "孙二")
    case_id = await in_payment(api, members)
    modern = members[1].resident_id
    row = {"resident_id": _legacy(modern), "alert": "death", "occurred_on": "2026-11-01"}

    posted = await http.post("/v1/data-alerts", json={"source": "民政殡葬数据比对", "alerts": [row]},
                             headers=api.headers(CHECKING_CENTRE))
    assert posted.status_code == 200, posted.text
    assert [(o["outcome"], o["case_id"]) for o in posted.json()] == [("raised", case_id)]
    again = await http.post("/v1/data-alerts", json={"source": "民政殡葬数据比对",
                                                     "alerts": [{**row, "resident_id": modern}]},
                            headers=api.headers(CHECKING_CENTRE))
    assert again.json() == posted.json()
    trail = (await api.trail(case_id)).json()
    assert [e["type"] for e in trail].count("data_alert_raised") == 1

    bad = {**row, "resident_id": row["resident_id"][:8] + "30" + row["resident_id"][10:]}  # month 30
    refused = await http.post("/v1/data-alerts", json={"source": "x", "alerts": [bad]},
                              headers=api.headers(CHECKING_CENTRE))
    assert refused.status_code == 422
    [detail] = refused.json()["detail"]
    assert detail["loc"] == ["body", "alerts", 0, "resident_id"] and "15-digit legacy number" in detail["msg"]
    assert bad["resident_id"] not in refused.text
