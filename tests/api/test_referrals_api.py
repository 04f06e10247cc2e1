"""Referrals between programmes (转介 / 转办, S4 Art. 60; S5 item 23), through HTTP → API → Temporal dev server →
worker → PostgreSQL: recorded on the referring case, listed for the receiving window without personal data,
opened as a pre-filled application (ledgered), and taken up exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from adapters.db.referrals import PgReferrals, ReferralTaken
from domain.actors import Role
from tests.api.conftest import TokenFactory
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
from tests.builders import BICHENG, application_body

REFER = {"to_program": "temporary", "member_indexes": [0, 1], "note": "家庭成员突发重病，转临时救助"}


async def _refused_and_referred(api: Api) -> tuple[str, list[str]]:
    members = household("张三", "李四")
    created = await api.create(application_body(members=members))
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await api.investigate(case_id)
    await api.ok(case_id, TOWNSHIP_APPROVER, "decide_village_review", disputed=False, reason="无争议")
    await api.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=False, reasons=["收入高于标准"])
    await api.ok(case_id, CASEWORKER, "submit_to_county")
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    await api.ok(case_id, COUNTY_APPROVER, "reject", reasons=["收入高于标准"])
    await api.ok(case_id, CASEWORKER, "record_referral", **REFER)
    return case_id, [m.resident_id for m in members]


async def test_a_referral_is_recorded_listed_and_opened_pre_filled_s4_art_60(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S4 Art. 60: the township passes a request it does not handle to the programme that does."""
    api = Api(http, auth)
    case_id, resident_ids = await _refused_and_referred(api)

    [entry] = [t for t in (await api.trail(case_id)).json() if t["type"] == "referral_recorded"]
    assert "S4 Art. 60" in entry["legal_basis"]
    assert (entry["actor_id"], entry["actor_role"]) == (CASEWORKER[2], "township_caseworker")

    listed = await http.get("/v1/referrals", params={"to_program": "temporary"}, headers=api.headers(WINDOW))
    assert listed.status_code == 200, listed.text
    [mine] = [r for r in listed.json() if r["from_case_id"] == case_id]
    assert (mine["status"], mine["members"], mine["from_program"]) == ("open", 2, "dibao")
    assert not RESIDENT_ID.search(listed.text) and "张三" not in listed.text  # the list carries no personal data

    draft = await http.get(f"/v1/referrals/{mine['referral_id']}/application", headers=api.headers(WINDOW))
    assert draft.status_code == 200, draft.text
    body = draft.json()
    assert body["program"] == "temporary"
    assert [m["resident_id"] for m in body["members"]] == resident_ids
    assert body["members"][0]["relation"] == "applicant"
    assert draft.headers["cache-control"] == "no-store"

    # the window of another township neither lists nor opens it; the village committee has no list
    elsewhere = (Role.FRONT_OFFICE, BICHENG, "window-09")
    other = await http.get("/v1/referrals", headers=api.headers(elsewhere))
    assert other.status_code == 200 and all(r["from_case_id"] != case_id for r in other.json())
    assert (await http.get(f"/v1/referrals/{mine['referral_id']}/application",
                           headers=api.headers(elsewhere))).status_code == 404
    village = (Role.VILLAGE_COMMITTEE, "532302101001", "vc-01")
    assert (await http.get("/v1/referrals", headers=api.headers(village))).status_code == 403
    assert (await http.get(f"/v1/referrals/{mine['referral_id']}/application",
                           headers=api.headers(village))).status_code == 403
    # supervision follows referrals but sees ID numbers masked, as on the household page (PIPL Arts. 6, 28)
    supervised = await http.get(f"/v1/referrals/{mine['referral_id']}/application",
                                headers=api.headers((Role.SUPERVISOR, COUNTY, "sup-01")))
    assert supervised.status_code == 200 and not RESIDENT_ID.search(supervised.text)

    # taken up by an application of the programme it names only: a dibao application cannot take it
    wrong = application_body() | {"referral_id": mine["referral_id"]}
    refused = await api.create(wrong)
    assert refused.status_code == 422, refused.text
    assert "referral_id" in refused.text and "temporary" in refused.text


async def test_a_referral_to_the_cases_own_programme_or_to_nobody_is_refused_and_changes_nothing(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    api = Api(http, auth)
    created = await api.create(application_body())
    case_id = created.json()["case_id"]
    before = await api.get(case_id)
    own = await api.command(case_id, WINDOW, "record_referral", **(REFER | {"to_program": "dibao"}))
    assert own.status_code == 422 and "to_program" in own.text
    nobody = await api.command(case_id, WINDOW, "record_referral", **(REFER | {"member_indexes": [5]}))
    assert nobody.status_code == 422 and "member_indexes" in nobody.text
    village = (Role.VILLAGE_COMMITTEE, "532302101001", "vc-01")
    assert (await api.command(case_id, village, "record_referral", **REFER)).status_code == 403
    assert (await api.get(case_id))["version"] == before["version"]


async def test_a_referral_is_taken_once_and_released_when_its_case_cannot_start(pg_pool: asyncpg.Pool) -> None:
    """Two windows opening the same referral: the first takes it, a retry of the first is no change, the
    second is refused; a case that could not be started gives it back."""
    referral_id, source, first, second = (uuid.uuid4() for _ in range(4))
    now = datetime.now(UTC)
    await pg_pool.execute(
        """INSERT INTO referrals (referral_id, from_case_id, from_seq, from_program, to_program, village_code,
                                  township_code, county_code, member_indexes, referred_at)
           VALUES ($1, $2, 9, 'dibao', 'temporary', '532302101001', '532302101', '532302', '{0}', $3)""",
        referral_id, source, now)
    referrals = PgReferrals(pg_pool)
    await referrals.take(referral_id, first, "window-01", now)
    await referrals.take(referral_id, first, "window-01", now)  # the same request again
    with pytest.raises(ReferralTaken) as taken:
        await referrals.take(referral_id, second, "window-02", now)
    assert taken.value.case_id == first
    await referrals.release(referral_id, second)  # not the taker: nothing changes
    assert (await referrals.get(referral_id))["taken_case_id"] == first
    await referrals.release(referral_id, first)
    assert (await referrals.get(referral_id))["status"] == "open"
    await referrals.take(referral_id, second, "window-02", now)
    assert (await referrals.get(referral_id))["taken_case_id"] == second
