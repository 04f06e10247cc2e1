"""The dibao procedure end to end through the API: HTTP → API → Temporal dev server → worker → PostgreSQL.

Each test drives a case only through ``POST /v1/cases`` and ``POST /v1/cases/{id}/commands`` with the role
the law gives each step (SPEC §3.3), and reads it back through ``GET`` (case, trail, notices). The worker's
parameter book closes the 公示 window after ``PUBLICITY_SECONDS`` of wall time (tests/api/conftest.py).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.rendering.notices import render_notice
from adapters.settings import Settings
from domain.actors import Role
from domain.programmes.dibao.notices import notice_for
from domain.household import Declaration, Member, PropertyItem, PropertyKind, Relation
from domain.kernel.clock import CHINA_TZ
from domain.programmes import decide, project
from domain.programmes.dibao.stages import Stage
from tests.api.conftest import PUBLICITY_SECONDS, TokenFactory
from tests.builders import BICHENG, JINSHAN, application, application_body, ctx, unique_resident_id
from tests.workflows.lifecycle import TEAM, income_per_capita

COUNTY = "532302"
#: A full resident ID number (GB 11643-1999) as a token of its own in a text (not 18 digits inside a ledger
#: entry's hexadecimal hash).
RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")

# (role, jurisdiction, sub) of the people who act on a 金山镇 case. The township approver is not an
# investigator (maker ≠ checker); the investigators are tests.workflows.lifecycle.TEAM.
WINDOW = (Role.FRONT_OFFICE, JINSHAN, "window-01")
CASEWORKER = (Role.TOWNSHIP_CASEWORKER, JINSHAN, "inv-01")
TOWNSHIP_APPROVER = (Role.TOWNSHIP_APPROVER, JINSHAN, "tsa-01")
COUNTY_REVIEWER = (Role.COUNTY_REVIEWER, COUNTY, "cr-01")
COUNTY_APPROVER = (Role.COUNTY_APPROVER, COUNTY, "ca-01")

Who = tuple[Role, str, str]

#: Engine bookkeeping in the trail (not decisions of a person).
BOOKKEEPING = {"deadline_set", "escalation_raised"}


def household(*names: str) -> list[Member]:
    """A household with fresh resident ID numbers; the first name is the applicant's."""
    relations = [Relation.APPLICANT, Relation.SPOUSE, *[Relation.CHILD] * (len(names) - 2)]
    years = [1980, 1982, *[2012] * (len(names) - 2)]
    return [
        Member(name=name, resident_id=unique_resident_id(year), relation=rel)
        for name, rel, year in zip(names, relations, years, strict=True)
    ]


class Api:
    """A thin driver over the HTTP API: one actor per call, as the tokens say."""

    def __init__(self, http: httpx.AsyncClient, auth: TokenFactory) -> None:
        self.http = http
        self.auth = auth

    def headers(self, who: Who, key: str | None = None) -> dict[str, str]:
        role, jurisdiction, sub = who
        headers = self.auth(role, jurisdiction, sub)
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def create(self, body: dict[str, object], who: Who = WINDOW, key: str | None = None) -> httpx.Response:
        return await self.http.post("/v1/cases", json=body, headers=self.headers(who, key))

    async def command(self, case_id: str, who: Who, type_: str, key: str | None = None,
                      **fields: Any) -> httpx.Response:
        return await self.http.post(f"/v1/cases/{case_id}/commands", json={"command": {"type": type_, **fields}},
                                    headers=self.headers(who, key))

    async def ok(self, case_id: str, who: Who, type_: str, **fields: Any) -> dict[str, Any]:
        """Run a step that must succeed; return the case as the answer shows it."""
        response = await self.command(case_id, who, type_, **fields)
        assert response.status_code == 200, f"{type_}: {response.status_code} {response.text}"
        return response.json()["case"]  # type: ignore[no-any-return]

    async def get(self, case_id: str, who: Who = WINDOW) -> dict[str, Any]:
        response = await self.http.get(f"/v1/cases/{case_id}", headers=self.headers(who))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def trail(self, case_id: str, who: Who = COUNTY_REVIEWER) -> httpx.Response:
        response = await self.http.get(f"/v1/cases/{case_id}/trail", headers=self.headers(who))
        assert response.status_code == 200, response.text
        return response

    async def notice(self, case_id: str, kind: str, who: Who = WINDOW) -> httpx.Response:
        return await self.http.get(f"/v1/cases/{case_id}/notices/{kind}", headers=self.headers(who))

    async def wait_stage(self, case_id: str, stage: str, timeout: float = 20) -> dict[str, Any]:
        """Poll ``GET`` (bounded) until the case reaches ``stage``."""
        case: dict[str, Any] = {}
        async with asyncio.timeout(timeout):
            while (case := await self.get(case_id))["stage"] != stage:
                await asyncio.sleep(0.1)
        return case

    # --- the township part of the procedure, up to a given point ---------------------------------------

    async def investigate(self, case_id: str) -> dict[str, Any]:
        """受理 → investigation by a team of two → home visit → information check (S1 Arts. 10, 15-17)."""
        await self.ok(case_id, WINDOW, "accept_application")
        await self.ok(case_id, CASEWORKER, "start_investigation", investigators=TEAM)
        await self.ok(case_id, CASEWORKER, "record_home_visit", investigators=TEAM, household_signed=True,
                      findings="入户调查：住房简陋，无大额财产")
        return await self.ok(case_id, CASEWORKER, "request_info_check")

    async def to_publicity(self, case_id: str) -> dict[str, Any]:
        """… → exemption from 民主评议 → 初审 eligible → 公示 posted (S1 Art. 19; S5 item 24)."""
        await self.investigate(case_id)
        await self.ok(case_id, TOWNSHIP_APPROVER, "decide_village_review", disputed=False, reason="无争议")
        await self.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=True)
        return await self.ok(case_id, CASEWORKER, "start_publicity", location="村务公开栏")


def month_after_today_in_china() -> str:
    today = datetime.now(CHINA_TZ).date()
    return f"{today.year + 1}-01" if today.month == 12 else f"{today.year}-{today.month + 1:02d}"


def decisions(trail: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in trail if entry["type"] not in BOOKKEEPING]


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


# --- 1. happy path ----------------------------------------------------------------------------------------


async def test_happy_path_from_application_to_payment(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """SPEC §12.1; S1 Arts. 10, 15-17, 19-21, 24: a rural household of 3 with a per-capita income of 200 goes
    受理 → investigation → information check → 初审 eligible (no 民主评议) → 7-day 公示 without objection →
    county confirmation → 公布 and payment from the month after the decision, at (375 − 200) × 3 = 525.00.
    Every decision is in the trail with actor, legal basis, parameter version and explanation, and no
    resident ID number or name; the public notices show only name, household size and amount (SPEC §9)."""
    api = Api(http, auth)
    members = household("李春花", "王建国", "王小明")
    body = application_body(members=members, declaration=income_per_capita(Decimal("200"), 3))

    created = await api.create(body)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    assert created.json()["household_size"] == 3

    await api.to_publicity(case_id)
    publicity = await api.notice(case_id, "publicity")
    case = await api.wait_stage(case_id, "submitted_to_county", timeout=PUBLICITY_SECONDS + 18)
    assert case["pending"]["step"] == "start_county_review"
    assert case["pending"]["roles"] == ["county_reviewer"]

    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    month_before = month_after_today_in_china()
    approved = await api.ok(case_id, COUNTY_APPROVER, "approve", reason="经审核符合条件")
    month_after = month_after_today_in_china()
    assert approved["stage"] == "approved"
    assert approved["monthly_amount"] == "525.00"
    assert approved["first_payment_month"] in {month_before, month_after}

    paid = await api.ok(case_id, CASEWORKER, "post_publication", location="村务公开栏")
    assert paid["stage"] == "in_payment"
    case = await api.get(case_id)
    assert case["stage"] == "in_payment"
    assert case["pending"] is None
    assert case["monthly_amount"] == "525.00"
    assert case["first_payment_month"] == approved["first_payment_month"]
    assert case["prelim_eligible"] is True

    # --- the trail: every decision, in order, with who, on what basis, with which parameters ---------------
    trail_response = await api.trail(case_id)
    trail = decisions(trail_response.json())
    assert [(d["type"], d["actor_id"], d["actor_role"]) for d in trail] == [
        ("application_submitted", "window-01", "front_office"),
        ("application_accepted", "window-01", "front_office"),
        ("investigation_started", "inv-01", "township_caseworker"),
        ("home_visit_recorded", "inv-01", "township_caseworker"),
        ("info_check_requested", "inv-01", "township_caseworker"),
        ("info_check_completed", "casework-engine", "system"),
        ("village_review_exempted", "tsa-01", "township_approver"),
        ("prelim_opinion_issued", "tsa-01", "township_approver"),
        ("publicity_started", "inv-01", "township_caseworker"),
        ("publicity_window_elapsed", "casework-engine", "system"),
        ("case_submitted_to_county", "casework-engine", "system"),
        ("county_review_started", "cr-01", "county_reviewer"),
        ("application_approved", "ca-01", "county_approver"),
        ("review_scheduled", "ca-01", "county_approver"),
        ("publication_posted", "inv-01", "township_caseworker"),
        ("payment_scheduled", "inv-01", "township_caseworker"),
    ]
    seqs = [entry["seq"] for entry in trail_response.json()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert not any("democratic_appraisal" in d["type"] for d in trail), "no 民主评议 without a dispute (S5 item 24)"
    by_type = {d["type"]: d for d in trail}
    for event_type, article in [
        ("application_accepted", "S1 Art. 10"), ("investigation_started", "S1 Art. 15"),
        ("home_visit_recorded", "S1 Art. 16"), ("info_check_requested", "S1 Art. 17"),
        ("village_review_exempted", "S5 item 24"), ("prelim_opinion_issued", "S1 Art. 19"),
        ("publicity_started", "S1 Art. 19"), ("county_review_started", "S1 Art. 20"),
        ("application_approved", "S1 Art. 21"), ("publication_posted", "S1 Art. 24"),
        ("payment_scheduled", "S1 Art. 25"),
    ]:
        assert article in by_type[event_type]["legal_basis"], event_type
    assert by_type["application_submitted"]["details"]["household_size"] == 3
    assert by_type["investigation_started"]["details"]["investigators"] == TEAM
    for event_type in ("prelim_opinion_issued", "application_approved"):
        entry = by_type[event_type]
        assert entry["parameter_set_version"], event_type
        assert entry["details"]["monthly_amount"] == "525.00"
        assert entry["details"]["eligible"] is True
        assert entry["explanation"], f"{event_type} must carry its explanation"
        for criterion in entry["explanation"]:
            assert criterion["legal_basis"], criterion["code"]
        codes = {criterion["code"] for criterion in entry["explanation"]}
        assert {"income.per_capita_monthly", "property.houses", "amount.gap_top_up"} <= codes
        [gap] = [c for c in entry["explanation"] if c["code"] == "amount.gap_top_up"]
        assert gap["result"] == "525.00"
    assert by_type["prelim_opinion_issued"]["parameter_set_version"] == by_type["application_approved"][
        "parameter_set_version"]
    # Privacy: no resident ID number and no name anywhere in the trail.
    assert not RESIDENT_ID.search(trail_response.text)
    for member in members:
        assert member.resident_id not in trail_response.text
        assert member.name not in trail_response.text

    # --- notices -------------------------------------------------------------------------------------------
    approval = await api.notice(case_id, "approval")
    assert approval.status_code == 200
    assert approval.headers["content-type"].startswith("text/html")
    assert "确认通知书" in approval.text and "525.00" in approval.text

    publication = await api.notice(case_id, "publication")
    for notice in (publicity, publication):
        assert notice.status_code == 200, notice.text
        assert notice.headers["content-type"].startswith("text/html")
        assert "李春花" in notice.text and "525.00" in notice.text
        assert not RESIDENT_ID.search(notice.text), "public notices carry no resident ID number (SPEC §9)"
        for member in members:
            assert member.resident_id not in notice.text
        assert "王建国" not in notice.text and "王小明" not in notice.text, "only the applicant is named"
        # Issue 19: the village by name (division code table), the township once.
        assert "（金山镇董户村社区）" in notice.text and "金山镇金山镇" not in notice.text
    assert "公示" in publicity.text


# --- 2. objection during 公示 → 民主评议 -------------------------------------------------------------------


async def test_an_objection_during_publicity_leads_to_democratic_appraisal(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """SPEC §12.4; S1 Art. 19 para 2, S1 Art. 22, S6 §四(一): an objection logged during the 公示 window
    stops the automatic submission; the township may extend the time limit on the ground
    ``publicity_objection`` and resolves the objection by 民主评议; the county cannot start its review before
    the appraisal record exists; the re-issued 初审意见 goes to the county without a second 公示
    (SPEC §3.3 row 15) and the county may then confirm."""
    api = Api(http, auth)
    body = application_body(members=household("赵桂英", "钱有福", "钱小花"),
                            declaration=income_per_capita(Decimal("200"), 3))
    created = await api.create(body)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    await api.to_publicity(case_id)
    logged = await api.ok(case_id, CASEWORKER, "log_objection", real_name=True, content="村民反映其家中有货车")
    assert logged["stage"] == "publicity"
    assert logged["open_objections"] == 1

    case = await api.wait_stage(case_id, "objection_received", timeout=PUBLICITY_SECONDS + 18)
    assert case["pending"]["step"] == "resolve_objection"
    assert case["pending"]["roles"] == ["township_approver"]
    overall_before = {d["step"]: d["due"] for d in case["deadlines"]}["overall"]

    extended = await api.ok(case_id, TOWNSHIP_APPROVER, "extend_deadline", ground="publicity_objection",
                            reason="公示期间有异议，需民主评议")
    overall_after = {d["step"]: d["due"] for d in extended["deadlines"]}["overall"]
    assert overall_after > overall_before, "45 working days instead of 30 (S1 Art. 22)"

    ordered = await api.ok(case_id, TOWNSHIP_APPROVER, "resolve_objection", path="democratic_appraisal",
                           reason="组织民主评议")
    assert ordered["stage"] == "democratic_appraisal"
    assert ordered["open_objections"] == 0

    before = (await api.get(case_id))["version"]
    too_early = await api.command(case_id, COUNTY_REVIEWER, "start_county_review")
    assert_refused(too_early, 409, "invalid_transition")
    assert (await api.get(case_id))["version"] == before

    await api.ok(case_id, CASEWORKER, "record_democratic_appraisal", minutes="评议认为该户符合条件",
                 attendance=[{"staff_or_member_id": "vr-01", "villager_representative": True},
                             {"staff_or_member_id": "vr-02", "villager_representative": True},
                             {"staff_or_member_id": "tsa-01", "villager_representative": False}],
                 signed=True, conclusion="eligible")
    reissued = await api.command(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=True)
    assert reissued.status_code == 200, reissued.text
    assert reissued.json()["case"]["stage"] == "submitted_to_county"
    assert reissued.json()["events"][:2] == ["prelim_opinion_issued", "case_submitted_to_county"]

    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    approved = await api.command(case_id, COUNTY_APPROVER, "approve", reason="民主评议后经审核符合条件")
    assert approved.status_code == 200, approved.text
    assert approved.json()["case"]["stage"] == "approved"
    assert approved.json()["case"]["monthly_amount"] == "525.00"

    trail = decisions((await api.trail(case_id)).json())
    types = [d["type"] for d in trail]
    assert types.count("publicity_started") == 1, "no second 公示 for dibao (SPEC §3.3 row 15)"
    assert types.count("prelim_opinion_issued") == 2
    assert types.index("publicity_objection_logged") < types.index("publicity_window_elapsed") < types.index(
        "democratic_appraisal_ordered") < types.index("democratic_appraisal_held") < types.index(
        "county_review_started")
    by_type = {d["type"]: d for d in trail}
    assert by_type["deadline_extended"]["details"]["ground"] == "publicity_objection"
    assert "S1 Art. 22" in by_type["deadline_extended"]["legal_basis"]
    assert "S1 Art. 19 para 2" in by_type["democratic_appraisal_ordered"]["legal_basis"]
    assert "content" not in by_type["publicity_objection_logged"]["details"]
    assert "货车" not in str(trail), "objection texts are not part of the trail"


# --- 3. refusal: property over the limit ------------------------------------------------------------------


async def test_a_household_with_two_houses_is_refused_with_reasons_and_remedy(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """SPEC §12.8, §12.5; S1 Arts. 14, 21, 38: with two houses the household fails the property test, so an
    'eligible' 初审意见 contradicts the assessment (422); the 'ineligible' opinion goes to the county without
    公示, the county refuses with reasons, the refusal notice (with the remedy: 行政复议/行政诉讼) is due
    within 3 working days and, once served, closes the case. Nothing of the household is published."""
    api = Api(http, auth)
    declaration = Declaration(
        income=income_per_capita(Decimal("200"), 3).income,
        property=[PropertyItem(kind=PropertyKind.HOUSE, value=Decimal("80000")),
                  PropertyItem(kind=PropertyKind.HOUSE, value=Decimal("120000"))],
    )
    created = await api.create(application_body(members=household("孙丽华", "周大山", "周小雨"),
                                                 declaration=declaration))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    await api.investigate(case_id)
    await api.ok(case_id, TOWNSHIP_APPROVER, "decide_village_review", disputed=False, reason="无争议")

    before = (await api.get(case_id))["version"]
    contradicting = await api.command(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=True)
    assert_refused(contradicting, 422, "invalid_input")
    assert contradicting.json()["detail"][0]["loc"][-1] == "eligible"
    assert (await api.get(case_id))["version"] == before

    opinion = await api.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=False,
                           reasons=["家庭拥有两套住房，超过财产限额"])
    assert opinion["prelim_eligible"] is False
    no_publicity = await api.command(case_id, CASEWORKER, "start_publicity", location="村务公开栏")
    assert_refused(no_publicity, 409, "invalid_transition")

    await api.ok(case_id, CASEWORKER, "submit_to_county")
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    refused = await api.ok(case_id, COUNTY_APPROVER, "reject", reasons=["家庭财产状况不符合规定：住房两套"])
    assert refused["stage"] == "rejected"
    assert refused["rejection_reasons"] == ["家庭财产状况不符合规定：住房两套"]

    case = await api.get(case_id)
    assert case["pending"]["step"] == "serve_rejection_notice"
    assert case["pending"]["roles"] == ["township_caseworker"]
    assert case["pending"]["due"] is not None, "the notice is due within 3 working days (S1 Art. 21)"
    assert case["pending"]["due"] >= datetime.now(CHINA_TZ).date().isoformat()

    notice = await api.notice(case_id, "rejection")
    assert notice.status_code == 200, notice.text
    assert "不予确认" in notice.text
    assert "住房两套" in notice.text
    assert "行政复议" in notice.text and "行政诉讼" in notice.text
    for kind in ("publicity", "publication", "approval"):
        assert (await api.notice(case_id, kind)).status_code == 409, f"no {kind} notice for a refused household"

    trail = decisions((await api.trail(case_id)).json())
    by_type = {d["type"]: d for d in trail}
    assert "publicity_started" not in by_type
    rejected = by_type["application_rejected"]
    assert {"S1 Art. 21", "S1 Art. 38"} <= set(rejected["legal_basis"])
    assert rejected["actor_id"] == "ca-01" and rejected["parameter_set_version"]
    [houses] = [c for c in rejected["explanation"] if c["code"] == "property.houses"]
    assert houses["passed"] is False and houses["legal_basis"] == ["S1 Art. 14"]

    served = await api.ok(case_id, CASEWORKER, "serve_rejection_notice")
    assert served["pending"] is None
    after = await api.command(case_id, CASEWORKER, "serve_rejection_notice")
    assert after.status_code == 409, after.text
    assert after.json()["code"] in {"case_closed", "invalid_transition"}
    another = await api.command(case_id, COUNTY_APPROVER, "approve", reason="x")
    assert another.status_code == 409, another.text
    assert another.json()["code"] in {"case_closed", "invalid_transition"}


# --- 4. refusals change nothing ---------------------------------------------------------------------------


async def test_refused_commands_change_nothing(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """SPEC §2, §3.3; S1 Arts. 10, 16: a step by the wrong role (403 not_permitted), in the wrong stage (409
    invalid_transition), with a one-person investigation team (422 naming ``investigators``), or by staff of
    another township (403) is refused and leaves the case's version unchanged; unknown command types and
    smuggled fields are 422 before anything reaches the workflow."""
    api = Api(http, auth)
    created = await api.create(application_body())
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    async def unchanged(response: httpx.Response, status: int, code: str | None, version: int) -> None:
        assert response.status_code == status, response.text
        if code is not None:
            assert response.json()["code"] == code, response.text
        assert (await api.get(case_id))["version"] == version

    v0 = (await api.get(case_id))["version"]
    await unchanged(await api.command(case_id, CASEWORKER, "accept_application"), 403, "not_permitted", v0)
    await unchanged(await api.command(case_id, COUNTY_APPROVER, "approve", reason="提前确认"), 409,
                    "invalid_transition", v0)
    await unchanged(await api.command(case_id, WINDOW, "start_investigation", investigators=TEAM), 403,
                    "not_permitted", v0)

    await api.ok(case_id, WINDOW, "accept_application")
    investigating = await api.ok(case_id, CASEWORKER, "start_investigation", investigators=TEAM)
    v1 = investigating["version"]
    assert investigating["stage"] == "investigating"

    lone = await api.command(case_id, CASEWORKER, "record_home_visit", investigators=["inv-01"],
                             household_signed=True, findings="一人入户")
    await unchanged(lone, 422, "invalid_input", v1)
    assert "investigators" in lone.json()["detail"][0]["loc"]
    same_twice = await api.command(case_id, CASEWORKER, "record_home_visit", investigators=["inv-01", "inv-01"],
                                   household_signed=True, findings="同一人两次")
    await unchanged(same_twice, 422, "invalid_input", v1)

    other_township = (Role.TOWNSHIP_CASEWORKER, BICHENG, "inv-09")
    foreign = await api.command(case_id, other_township, "record_home_visit", investigators=["inv-08", "inv-09"],
                                household_signed=True, findings="跨镇入户")
    await unchanged(foreign, 403, "not_permitted", v1)
    assert "jurisdiction" in foreign.json()["detail"]

    unknown = await api.command(case_id, CASEWORKER, "grant_everything")
    await unchanged(unknown, 422, None, v1)
    smuggled = await api.command(case_id, COUNTY_APPROVER, "approve", reason="x", amount="9999")
    await unchanged(smuggled, 422, None, v1)
    assert any(e["loc"][-1] == "amount" for e in smuggled.json()["detail"])
    outside = await http.post(f"/v1/cases/{case_id}/commands",
                              json={"command": {"type": "request_info_check"}, "stage": "approved"},
                              headers=api.headers(CASEWORKER))
    await unchanged(outside, 422, None, v1)
    system = await api.command(case_id, CASEWORKER, "close_publicity")
    await unchanged(system, 422, None, v1)

    # The refusals recorded no decision; the trail lists them as refused (issue 6), nothing else.
    trail = (await api.trail(case_id)).json()
    assert [d["type"] for d in decisions(trail) if d["kind"] == "decision"] == [
        "application_submitted", "application_accepted", "investigation_started"]
    assert {d["details"]["code"] for d in trail if d["kind"] == "refused"} <= {
        "not_permitted", "invalid_transition", "invalid_input"}


# --- 5. idempotency and one active case per person --------------------------------------------------------


async def _workflow_count(dev_env: WorkflowEnvironment, settings: Settings, workflow_id: str) -> int:
    query = f'WorkflowId = "{workflow_id}" AND TaskQueue = "{settings.temporal_task_queue}"'
    count = 0
    for _ in range(100):  # visibility is eventually consistent
        count = (await dev_env.client.count_workflows(query)).count
        if count:
            break
        await asyncio.sleep(0.05)
    return count


async def test_the_same_idempotency_key_gives_the_same_case(
    http: httpx.AsyncClient, auth: TokenFactory, dev_env: WorkflowEnvironment, api_settings: Settings
) -> None:
    """Idempotent submission (S1 Art. 9; engineering rule; issue 7): the same request with the same
    Idempotency-Key gets the first answer again, byte for byte (201, marked replayed); only one workflow runs."""
    api = Api(http, auth)
    body = application_body()
    key = f"window-form-{uuid.uuid4()}"

    first = await api.create(body, key=key)
    second = await api.create(body, key=key)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert second.content == first.content and second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == f"/v1/cases/{first.json()['case_id']}"
    assert await _workflow_count(dev_env, api_settings, first.json()["workflow_id"]) == 1


async def test_one_active_case_per_person_until_it_closes(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """SPEC §1 (one active case per person and programme): a new application naming a member of an active
    case is 409 ``member_in_case`` naming that case; once it is withdrawn (SPEC §3.2 WITHDRAWN) the person
    may apply again."""
    api = Api(http, auth)
    members = household("吴秀兰", "郑国强")
    first = await api.create(application_body(members=members), key=f"k-{uuid.uuid4()}")
    assert first.status_code == 201, first.text
    case_id = first.json()["case_id"]

    again = household("郑国强", "郑小军")
    again[0] = again[0].model_copy(update={"resident_id": members[1].resident_id})  # the spouse applies
    conflict = await api.create(application_body(members=again), key=f"k-{uuid.uuid4()}")
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["code"] == "member_in_case"
    assert conflict.json()["case_id"] == case_id
    assert members[1].resident_id not in conflict.text

    withdrawn = await api.ok(case_id, WINDOW, "withdraw_application", reason="申请人撤回申请")
    assert withdrawn["stage"] == "withdrawn"
    assert withdrawn["pending"] is None

    retry = await api.create(application_body(members=again), key=f"k-{uuid.uuid4()}")
    assert retry.status_code == 201, retry.text
    assert retry.json()["case_id"] != case_id


async def test_the_same_command_with_the_same_idempotency_key_records_once(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """Idempotent steps: a command re-sent with the same Idempotency-Key (a retry after a lost answer) is
    one Temporal Update (its id is actor + key) and records its events once; a new key records again."""
    api = Api(http, auth)
    created = await api.create(application_body())
    case_id = created.json()["case_id"]
    await api.ok(case_id, WINDOW, "accept_application")
    await api.ok(case_id, CASEWORKER, "start_investigation", investigators=TEAM)
    version = (await api.get(case_id))["version"]

    first = await api.command(case_id, CASEWORKER, "record_neighbour_visit", key="nv-1", notes="邻居反映情况属实")
    retry = await api.command(case_id, CASEWORKER, "record_neighbour_visit", key="nv-1", notes="邻居反映情况属实")

    assert first.status_code == 200 and retry.status_code == 200, retry.text
    assert retry.json()["first_seq"] == first.json()["first_seq"] == version + 1
    assert retry.json()["events"] == first.json()["events"] == ["neighbour_visit_recorded"]
    assert (await api.get(case_id))["version"] == version + 1

    fresh = await api.command(case_id, CASEWORKER, "record_neighbour_visit", key="nv-2", notes="第二次邻里访问")
    assert fresh.status_code == 200, fresh.text
    assert (await api.get(case_id))["version"] == version + 2
    trail = (await api.trail(case_id)).json()
    assert [d["type"] for d in trail].count("neighbour_visit_recorded") == 2

    other = await api.command(case_id, CASEWORKER, "record_neighbour_visit", key="nv-1", notes="另一条记录")
    assert other.status_code == 422, other.text
    assert other.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    assert (await api.get(case_id))["version"] == version + 2


# --- regressions: defects found while writing these tests, fixed -----------------------------------------


async def test_replaying_a_submission_after_its_case_closed_returns_that_case(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """Idempotent submission: a retry with the same Idempotency-Key answers as it did the first time, naming the
    case it created, even after that case was withdrawn (SPEC §3.2 WITHDRAWN); it neither re-opens it nor
    names a phantom case (the case's state today is a GET away)."""
    api = Api(http, auth)
    body = application_body()
    key = f"window-form-{uuid.uuid4()}"
    first = await api.create(body, key=key)
    assert first.status_code == 201, first.text
    case_id = first.json()["case_id"]
    await api.ok(case_id, WINDOW, "withdraw_application", reason="申请人撤回申请")

    replay = await api.create(body, key=key)

    assert replay.status_code == 201, replay.text
    assert replay.content == first.content
    assert (await api.get(case_id))["stage"] == "withdrawn"


async def test_a_reused_idempotency_key_with_other_members_claims_nobody(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """One active case per person: an Idempotency-Key reused with a different household must not make that
    household's members members of the key's case (they may still apply on their own)."""
    api = Api(http, auth)
    key = f"window-form-{uuid.uuid4()}"
    first = await api.create(application_body(), key=key)
    assert first.status_code == 201, first.text
    other = application_body()

    reused = await api.create(other, key=key)
    own = await api.create(other, key=f"window-form-{uuid.uuid4()}")

    assert reused.status_code == 422
    assert reused.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    assert own.status_code == 201, own.text


@pytest.mark.parametrize(("decided_at", "china_day", "first_month"), [
    (datetime(2026, 12, 14, 17, 0, tzinfo=UTC), date(2026, 12, 15), "2027-01"),  # 15 Dec 01:00 Beijing
    (datetime(2026, 11, 30, 17, 0, tzinfo=UTC), date(2026, 12, 1), "2027-01"),  # 1 Dec 01:00 Beijing
])
def test_notice_dates_are_china_dates(decided_at: datetime, china_day: date, first_month: str) -> None:
    """S1 Art. 21 (payment from the month after the decision): the 确认通知书 dates the decision on the China
    date, the same date the first payment month is computed from."""
    state = project(decide(None, application(unique=True), ctx(now=decided_at)))
    assert state is not None
    state = state.model_copy(update={"stage": Stage.APPROVED, "monthly_amount": Decimal("525.00"),
                                     "first_payment_month": first_month, "decided_at": decided_at})

    notice = notice_for(state, "approval")

    assert notice.decided_on == china_day  # type: ignore[attr-defined]
    assert f"{china_day.year}年{china_day.month}月{china_day.day}日" in render_notice(notice)  # type: ignore[arg-type]
