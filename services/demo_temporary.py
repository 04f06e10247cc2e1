"""The demo's 临时救助 cases (issue 16 item 8), through the API: the county fills three townships' reserve funds;
a house fire and a sudden illness are reported for 先行救助 and granted at once (one regularised with a referral
to dibao, one left awaiting its formalities, so it becomes overdue when the LOCAL limit passes); a school-fee
(支出型) application goes the normal path up to its 公示. Idempotent: a re-run with the same seed finds the same
cases (the steps already taken answer 409 and are skipped)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from domain.actors import Role
from domain.identity import check_character

TokenFactory = Callable[[Role, str, str], str]
Out = Callable[[str], None]

COUNTY = "532302"


def resident_id(birth: date, seq: int, male: bool) -> str:
    """A valid resident ID number (GB 11643-1999) with Lufeng's address code; odd sequence codes are male."""
    seq = seq - seq % 2 + (1 if male else 0)
    body = f"{COUNTY}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + check_character(body)
#: (township, village) of each demo case: 金山镇, 广通镇, 黑井镇.
PLACES = (("532302101", "532302101001"), ("532302106", "532302106001"), ("532302107", "532302107001"))


class _Api:
    def __init__(self, http: httpx.AsyncClient, token: TokenFactory) -> None:
        self.http = http
        self.token = token
        self.commands = 0

    def headers(self, role: Role, jurisdiction: str, sub: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(role, jurisdiction, sub)}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    async def post(self, path: str, body: dict[str, Any], who: tuple[Role, str, str], key: str | None = None,
                   ok: tuple[int, ...] = (200, 201)) -> httpx.Response | None:
        response = await self.http.post(path, json=body, headers=self.headers(*who, key=key))
        if response.status_code == 409:  # taken already by an earlier run
            return None
        if response.status_code not in ok:
            raise RuntimeError(f"{path}: HTTP {response.status_code} {response.text[:200]}")
        self.commands += 1
        return response

    async def command(self, case_id: str, who: tuple[Role, str, str], type_: str, **fields: Any) -> None:
        await self.post(f"/v1/cases/{case_id}/commands", {"command": {"type": type_, **fields}}, who)


def _household(rng: random.Random, seed: int, index: int, size: int) -> list[dict[str, Any]]:
    surnames = "李王张刘杨赵黄周"
    surname = surnames[index % len(surnames)]
    out = []
    for i in range(size):
        birth = date(1970 + i * 15, 3 + index, 1 + seed % 27)
        seq = 100 + (seed * 37 + index * 10 + i) % 800
        out.append({"name": surname + "国华秀英"[i % 4] + "明", "resident_id": resident_id(birth, seq, male=i % 2 == 0),
                    "relation": "applicant" if i == 0 else "child"})
    rng.shuffle(out[1:])
    return out


async def run_temporary_demo(http: httpx.AsyncClient, token: TokenFactory, *, seed: int = 1,
                             out: Out = lambda _: None) -> dict[str, str]:
    """Create the demo's 临时救助 cases; returns ``label -> case id``."""
    api = _Api(http, token)
    rng = random.Random(seed)
    county = (Role.COUNTY_APPROVER, COUNTY, "demo-county-approver")
    for township, _village in PLACES:
        await api.post(f"/v1/reserve-funds/{township}/replenishments",
                       {"amount": "5000.00", "reason": "县级拨付乡镇临时救助备用金（演示）"}, county,
                       key=f"demo-fund-{township}-{seed}")
    cases: dict[str, str] = {}
    plans = [
        ("fire", {"kind": "emergency", "cause": "fire", "severity": "major", "situation": "夜间房屋失火，衣物被褥烧毁",
                  "urgent": "hotline"}, 3),
        ("illness", {"kind": "emergency", "cause": "sudden_illness", "severity": "serious",
                     "situation": "家庭主要劳动力突发重病住院", "urgent": "village"}, 2),
        ("school_fees", {"kind": "expenditure", "cause": "education_expenditure", "severity": "ordinary",
                         "situation": "子女考入大学，学费住宿费一次性支出", "essential_expenditure": "9000.00"}, 3),
    ]
    for index, (label, need, size) in enumerate(plans):
        township, village = PLACES[index]
        window = (Role.FRONT_OFFICE, township, "demo-window")
        caseworker = (Role.TOWNSHIP_CASEWORKER, township, "demo-caseworker-1")
        approver = (Role.TOWNSHIP_APPROVER, township, "demo-approver")
        body = {"village_code": village, "area_type": "rural", "members": _household(rng, seed, index, size),
                "temporary": need}
        key = f"demo-temporary-{label}-{seed}"
        if need.get("urgent"):
            response = await api.post("/v1/emergencies", body, caseworker, key=key)
        else:
            response = await api.post("/v1/cases", {**body, "program": "temporary"}, window, key=key)
        if response is None:
            out(f"  临时救助 {label}: a member is in another active case; skipped")
            continue
        case_id = response.json()["case_id"]
        cases[label] = case_id
        if label == "fire":
            await api.command(case_id, approver, "grant_urgent_assistance", amount="1000.00", reason="火灾先行救助")
            await api.command(case_id, caseworker, "record_emergency_eased", note="已投亲靠友安置")
            await api.command(case_id, caseworker, "regularise_urgent_grant",
                              registration="登记救助对象、救助事由、救助金额1000元",
                              signatures=["demo-caseworker-1", "demo-approver"], sealed=True,
                              referrals=[{"to_program": "dibao", "member_indexes": list(range(size)),
                                          "note": "火灾后家庭收入低于低保标准，转介申请低保"}])
        elif label == "illness":
            await api.command(case_id, approver, "grant_urgent_assistance", amount="800.00", form="in_kind",
                              reason="突发重病，发放生活物资",
                              in_kind=[{"what": "大米（袋）", "quantity": 4, "value": "400.00"},
                                       {"what": "食用油（桶）", "quantity": 4, "value": "400.00"}])
        else:
            await api.command(case_id, window, "accept_application")
            team = ["demo-caseworker-1", "demo-caseworker-2"]
            await api.command(case_id, caseworker, "start_investigation", investigators=team)
            await api.command(case_id, caseworker, "record_home_visit", investigators=team, household_signed=True,
                              findings="核实录取通知书及缴费通知")
            await api.command(case_id, caseworker, "request_info_check")
            await api.command(case_id, approver, "decide_village_review", disputed=False, reason="无争议")
            await api.command(case_id, approver, "issue_prelim_opinion", eligible=True)
            await api.command(case_id, caseworker, "start_publicity", location="村务公开栏")
        out(f"  临时救助 {label}: case {case_id}")
    return cases
