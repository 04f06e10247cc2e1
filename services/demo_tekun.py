"""特困 demo households for ``casework demo`` (S3): an old man in the 仁兴镇敬老院 (集中供养), an old woman at home
with a neighbour as her carer, a minor of 14 at home, and a man with a grade-1 physical disability whose chosen
敬老院 is asked for — driven through the public API like the dibao households, idempotently (the same seed gives
the same cases), as far as the API's 公示 window allows (past it and through the county's random check when the
window closes in seconds)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from domain.actors import Role
from services.demo import resident_id

TokenFactory = Callable[[Role, str, str], str]
COUNTY = "532302"
TEAM = ["demo-inv-01", "demo-inv-02"]
COUNTY_TEAM = ["demo-cr-01", "demo-cr-02"]


@dataclass(frozen=True)
class TekunHousehold:
    key: str
    name: str
    birth: date
    male: bool
    village_code: str
    form: str
    institution_id: str | None = None
    carer: str | None = None
    failed_items: tuple[str, ...] = ()
    disability: tuple[str, int] | None = None
    supporters: tuple[dict[str, Any], ...] = ()


HOUSEHOLDS = (
    TekunHousehold("elder_in_home", "杨福贵", date(1948, 3, 11), True, "532302102001", "centralised",
                   institution_id="532302102-renxing-jly", failed_items=("bathing", "walking_indoors")),
    TekunHousehold("elder_at_home", "李秀兰", date(1951, 9, 23), False, "532302101003", "dispersed", carer="邻居王某",
                   supporters=({"relation": "child", "inability": "in_prison", "property_within_low_income_rule": True,
                                "signed_check_authorisation": True},)),
    TekunHousehold("minor", "张小明", date(2012, 5, 2), True, "532302103002", "dispersed", carer="村委会指定照料人"),
    TekunHousehold("disabled_adult", "赵建国", date(1981, 1, 17), True, "532302104001", "dispersed",
                   disability=("physical", 1), failed_items=("bathing", "dressing", "toileting", "bed_transfer")),
)


@dataclass
class TekunDemoResult:
    case_ids: dict[str, str] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


class _Driver:
    def __init__(self, http: httpx.AsyncClient, token: TokenFactory) -> None:
        self.http = http
        self.token = token

    def headers(self, role: Role, jurisdiction: str, sub: str, key: str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.token(role, jurisdiction, sub)}"}
        if key:
            out["Idempotency-Key"] = key
        return out

    async def do(self, case_id: str, role: Role, jurisdiction: str, sub: str, command: dict[str, Any]) -> bool:
        """Send one step; a step the case is already past (409) is skipped, so a re-run goes on where it was."""
        r = await self.http.post(f"/v1/cases/{case_id}/commands", json={"command": command},
                                 headers=self.headers(role, jurisdiction, sub))
        if r.status_code == 409:
            return False
        r.raise_for_status()
        return True

    async def case(self, case_id: str) -> dict[str, Any]:
        r = await self.http.get(f"/v1/cases/{case_id}",
                                headers=self.headers(Role.COUNTY_REVIEWER, COUNTY, "demo-cr-01"))
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]


async def _township_part(d: _Driver, hh: TekunHousehold, seed: int) -> str:
    township = hh.village_code[:9]
    body = {"program": "tekun", "village_code": hh.village_code, "area_type": "rural",
            "members": [{"name": hh.name, "resident_id": resident_id(hh.birth, 900 + (seed * 7) % 99, hh.male),
                         "relation": "applicant"}],
            "declaration": {"income": [{"kind": "basic_pension_base", "amount": "1836.00"}]}}
    r = await d.http.post("/v1/cases", json=body, headers=d.headers(Role.FRONT_OFFICE, township, "demo-window",
                                                                   key=f"demo-tekun-{seed}-{hh.key}"))
    r.raise_for_status()
    case_id: str = r.json()["case_id"]
    caseworker = (Role.TOWNSHIP_CASEWORKER, township, "demo-inv-01")
    approver = (Role.TOWNSHIP_APPROVER, township, "demo-tsa-01")
    county = (Role.COUNTY_REVIEWER, COUNTY, "demo-cr-01")
    await d.do(case_id, Role.FRONT_OFFICE, township, "demo-window", {"type": "accept_application"})
    await d.do(case_id, *caseworker, {"type": "start_investigation", "investigators": TEAM})
    await d.do(case_id, *caseworker, {"type": "record_home_visit", "investigators": TEAM, "household_signed": True,
                                      "findings": "入户调查：无劳动能力，无生活来源"})
    await d.do(case_id, *caseworker, {"type": "request_info_check"})
    facts: dict[str, Any] = {"type": "record_eligibility_facts", "supporters": list(hh.supporters)}
    if hh.disability:
        facts |= {"disability_kind": hh.disability[0], "disability_grade": hh.disability[1]}
    await d.do(case_id, *caseworker, facts)
    await d.do(case_id, *county, {"type": "record_self_care_assessment", "failed_items": list(hh.failed_items),
                                  "assessors": COUNTY_TEAM})
    form: dict[str, Any] = {"type": "choose_support_form", "form": hh.form}
    if hh.institution_id:
        form["institution_id"] = hh.institution_id
    if hh.carer:
        form["carer"] = hh.carer
    await d.do(case_id, *caseworker, form)
    await d.do(case_id, *approver, {"type": "decide_village_review", "disputed": False, "reason": "无争议"})
    await d.do(case_id, *approver, {"type": "issue_prelim_opinion", "eligible": True})
    await d.do(case_id, *caseworker, {"type": "start_publicity", "location": "村务公开栏"})
    return case_id


async def run_tekun_demo(http: httpx.AsyncClient, token: TokenFactory, *, seed: int = 1, fast_publicity: bool,
                         out: Callable[[str], None] = lambda _: None,
                         publicity_timeout: float = 180.0) -> TekunDemoResult:
    """Create the 特困 demo cases; with a 公示 window of seconds, carry them through the county's random check
    (one draw per township), approval and 公布 into support."""
    d = _Driver(http, token)
    result = TekunDemoResult()
    for hh in HOUSEHOLDS:
        try:
            result.case_ids[hh.key] = await _township_part(d, hh, seed)
        except httpx.HTTPStatusError as err:
            result.failures[hh.key] = f"{err.response.status_code} {err.response.text[:120]}"
    if fast_publicity:
        async with asyncio.timeout(publicity_timeout):
            for case_id in result.case_ids.values():
                while (await d.case(case_id))["stage"] in {"publicity", "prelim_opinion_issued"}:  # noqa: ASYNC110
                    await asyncio.sleep(0.5)
        county_reviewer = (Role.COUNTY_REVIEWER, COUNTY, "demo-cr-01")
        for township in sorted({hh.village_code[:9] for hh in HOUSEHOLDS if hh.key in result.case_ids}):
            await http.post("/v1/tekun/county-check-draws", json={"township_code": township},
                            headers=d.headers(*county_reviewer))  # 409: drawn in an earlier run
        for case_id in result.case_ids.values():
            case = await d.case(case_id)
            if case["stage"] not in {"submitted_to_county", "county_review"}:
                continue
            await d.do(case_id, *county_reviewer, {"type": "start_county_review"})
            if (case.get("tekun") or {}).get("drawn_for_county_check"):
                await d.do(case_id, *county_reviewer, {"type": "record_county_home_visit",
                                                       "investigators": COUNTY_TEAM, "findings": "县级抽查入户核实"})
            await d.do(case_id, Role.COUNTY_APPROVER, COUNTY, "demo-ca-01",
                       {"type": "approve", "reason": "符合特困人员认定条件"})
            township = case["village_code"][:9]
            await d.do(case_id, Role.TOWNSHIP_CASEWORKER, township, "demo-inv-01",
                       {"type": "post_publication", "location": "村务公开栏"})
    for key, case_id in result.case_ids.items():
        result.stages[key] = (await d.case(case_id))["stage"]
    out("特困 demo: " + ", ".join(f"{k} {v}" for k, v in result.stages.items())
        + (f"; failed: {result.failures}" if result.failures else ""))
    return result
