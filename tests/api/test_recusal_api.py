"""回避 through the API (issue 20 item 3): HTTP → API → Temporal dev server → worker → PostgreSQL.

S1 Art. 11 files (单独登记备案) a household with a member who is a close relative of a dibao case worker or of a
village committee member. The filing names the staff member (``staff_id``); from then on every command of theirs
on the case, and every command naming them in an investigation team, is refused with 403
``conflict_of_interest`` — written to the audit ledger and shown on ``GET /v1/cases/{id}/trail`` like every 403.
No article of S1 or S4 names 回避; it rests on that filing and the fairness principle (S1 Art. 3; S4 Art. 2).
S1 Art. 20 para 2 (the county's own home visit for a filed case) stays.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import httpx

from adapters.audit.chain import EntryKind
from adapters.audit.ledger import case_entries
from domain.actors import Role
from tests.api.conftest import PUBLICITY_SECONDS, TokenFactory
from tests.api.test_lifecycle_api import (
    CASEWORKER,
    COUNTY,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    WINDOW,
    Api,
    assert_refused,
    decisions,
    household,
)
from tests.builders import JINSHAN, application_body
from tests.workflows.lifecycle import TEAM

#: A township caseworker who is the applicant's brother, a second window officer and a second county approver.
RELATIVE = (Role.TOWNSHIP_CASEWORKER, JINSHAN, "inv-07")
WINDOW_2 = (Role.FRONT_OFFICE, JINSHAN, "window-02")
COUNTY_APPROVER_2 = (Role.COUNTY_APPROVER, COUNTY, "ca-02")
NOTE = "申请人之兄在镇民政所任低保经办人员"
BROTHER = {"member_index": 0, "related_to": "case_worker", "note": NOTE, "staff_id": "inv-07"}
RECUSAL_BASIS = ["S1 Art. 11", "S1 Art. 3", "S4 Art. 2"]


async def _new_case(api: Api) -> str:
    created = await api.create(application_body(members=household("孙秀英", "孙小军")))
    assert created.status_code == 201, created.text
    return str(created.json()["case_id"])


def _refusals(trail: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in trail if entry["kind"] == "refused"]


async def test_the_recused_staff_members_commands_are_refused_403_on_the_trail_and_in_the_ledger(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 11 and 回避: the filing at 受理 names the caseworker who is the applicant's brother; his own
    ``start_investigation`` and a team naming him are 403 ``conflict_of_interest`` and change nothing; both
    refusals are in the audit ledger (status 403, the field) and on the trail, beside the ``staff_recused``
    decision (staff id, legal basis; the household's note withheld). A team without him starts the
    investigation (S1 Arts. 15-16)."""
    api = Api(http, auth)
    case_id = await _new_case(api)

    accepted = await api.command(case_id, WINDOW, "accept_application", close_relatives=[BROTHER])
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["events"][:3] == ["application_accepted", "close_relative_filed", "staff_recused"]
    assert accepted.json()["case"]["close_relative_filed"] is True
    version = (await api.get(case_id))["version"]

    own = await api.command(case_id, RELATIVE, "start_investigation", investigators=["inv-07", "inv-01"])
    assert_refused(own, 403, "conflict_of_interest")
    assert "回避" in own.json()["detail"]
    named = await api.command(case_id, CASEWORKER, "start_investigation", investigators=["inv-01", "inv-07"])
    assert_refused(named, 403, "conflict_of_interest")
    assert (await api.get(case_id))["version"] == version, "a refused command changes nothing"
    started = await api.ok(case_id, CASEWORKER, "start_investigation", investigators=TEAM)
    assert started["stage"] == "investigating"

    trail_response = await api.trail(case_id)
    trail = trail_response.json()
    [recused] = [d for d in trail if d["type"] == "staff_recused"]
    assert (recused["actor_id"], recused["actor_role"]) == ("window-01", "front_office")
    assert recused["details"] == {"staff_id": "inv-07", "member_index": 0, "related_to": "case_worker"}
    assert recused["legal_basis"] == RECUSAL_BASIS
    assert recused["reason"] is None
    assert NOTE not in trail_response.text, "the household's note stays out of the trail"
    refusals = _refusals(trail)
    assert [(r["type"], r["actor_id"], r["details"]["code"], r["details"]["status"], r["details"]["field"])
            for r in refusals] == [
        ("start_investigation", "inv-07", "conflict_of_interest", 403, []),
        ("start_investigation", "inv-01", "conflict_of_interest", 403, ["investigators", 1]),
    ]
    assert [d["type"] for d in decisions(trail) if d["kind"] == "decision"][-1] == "investigation_started"

    ledgered = await case_entries(pg_pool, UUID(case_id), EntryKind.REFUSAL)
    assert [(entry.actor_id, entry.actor_role) for entry in ledgered] == [
        ("inv-07", "township_caseworker"), ("inv-01", "township_caseworker")]
    for entry in ledgered:
        assert '"code":"conflict_of_interest"' in entry.content
        assert '"status":403' in entry.content


async def test_the_filing_must_name_a_case_worker_and_not_the_officer_who_accepts(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 11: a case worker filed as a close relative must be named by staff id (422 naming
    ``close_relatives.0.staff_id``, nothing recorded); the window officer the filing names may not accept the
    application (403 ``conflict_of_interest``, on the trail and in the ledger); a colleague accepts it."""
    api = Api(http, auth)
    case_id = await _new_case(api)
    version = (await api.get(case_id))["version"]

    unnamed = await api.command(case_id, WINDOW, "accept_application", close_relatives=[
        {"member_index": 0, "related_to": "case_worker", "note": NOTE}])
    assert unnamed.status_code == 422, unnamed.text
    assert ["body", "command", "accept_application", "close_relatives", 0, "staff_id"] in [
        d["loc"] for d in unnamed.json()["detail"]]
    assert NOTE not in unnamed.text

    self_filed = {"member_index": 1, "related_to": "case_worker", "note": "受理人员之外甥", "staff_id": "window-01"}
    own = await api.command(case_id, WINDOW, "accept_application", close_relatives=[self_filed])
    assert_refused(own, 403, "conflict_of_interest")
    assert (await api.get(case_id))["version"] == version

    accepted = await api.ok(case_id, WINDOW_2, "accept_application", close_relatives=[self_filed])
    assert accepted["stage"] == "accepted"
    withdrawn = await api.command(case_id, WINDOW, "withdraw_application", reason="撤回")
    assert_refused(withdrawn, 403, "conflict_of_interest")

    refusals = _refusals((await api.trail(case_id)).json())
    assert [(r["type"], r["actor_id"], r["details"]["code"], r["details"]["field"]) for r in refusals] == [
        ("accept_application", "window-01", "conflict_of_interest", ["close_relatives", 0, "staff_id"]),
        ("withdraw_application", "window-01", "conflict_of_interest", []),
    ]
    assert len(await case_entries(pg_pool, UUID(case_id), EntryKind.REFUSAL)) == 2


async def test_a_recused_county_approver_is_refused_and_the_county_home_visit_stays_mandatory(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S1 Art. 20 para 2 with Art. 11 and 回避: a filed case still needs the county's own home visit before it is
    confirmed (409 without it); the county approver filed as a relative may not confirm it, nor be on the
    county's home-visit team (403 ``conflict_of_interest``); another approver confirms it after the visit."""
    api = Api(http, auth)
    case_id = await _new_case(api)
    uncle = {"member_index": 1, "related_to": "case_worker", "note": "申请人之子之舅在县民政局任审批人员",
             "staff_id": "ca-01"}
    await api.ok(case_id, WINDOW, "accept_application", close_relatives=[uncle])
    await api.ok(case_id, CASEWORKER, "start_investigation", investigators=TEAM)
    await api.ok(case_id, CASEWORKER, "record_home_visit", investigators=TEAM, household_signed=True,
                 findings="入户调查")
    await api.ok(case_id, CASEWORKER, "request_info_check")
    await api.ok(case_id, TOWNSHIP_APPROVER, "decide_village_review", disputed=False, reason="无争议")
    await api.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=True)
    await api.ok(case_id, CASEWORKER, "start_publicity", location="村务公开栏")
    await api.wait_stage(case_id, "submitted_to_county", timeout=PUBLICITY_SECONDS + 18)
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")

    assert_refused(await api.command(case_id, COUNTY_APPROVER_2, "approve", reason="符合条件"), 409,
                   "invalid_transition")
    assert_refused(await api.command(case_id, COUNTY_APPROVER, "approve", reason="符合条件"), 403,
                   "conflict_of_interest")
    assert_refused(await api.command(case_id, COUNTY_REVIEWER, "record_county_home_visit",
                                     investigators=["cr-01", "ca-01"], findings="县级入户"), 403,
                   "conflict_of_interest")
    await api.ok(case_id, COUNTY_REVIEWER, "record_county_home_visit", investigators=["cr-01", "cr-02"],
                 findings="县级入户核查属实")
    approved = await api.ok(case_id, COUNTY_APPROVER_2, "approve", reason="经县级入户核查符合条件")
    assert approved["stage"] == "approved"

    codes = [(r["type"], r["details"]["code"]) for r in _refusals((await api.trail(case_id)).json())]
    assert codes == [("approve", "invalid_transition"), ("approve", "conflict_of_interest"),
                     ("record_county_home_visit", "conflict_of_interest")]
