"""The demo's 残疾人两项补贴 and 高龄津贴 cases (issue 17), made by ``casework demo`` after the other programmes.

两项补贴 (S12: 云政发〔2016〕5号; SPEC §6.2), through the API: a grade-1 person needing long-term care outside dibao
(the care subsidy only), a grade-3 member of a paying demo dibao household (the living subsidy only), a grade-2
member of another one needing long-term care (both), and an application forwarded under 跨省通办. The living
subsidy needs the person's dibao case in payment: with a 公示 that closes in days no demo dibao case is paying
yet, and those two are left at the township's review (said in the summary).

高龄津贴 (SPEC §6.3, every value a parameter): the proactive enrolment from a synthetic hukou extract
(``services.enrolment``, the import the county runs), then through the API: one person in each band (80+, 90+,
100+) confirmed; one whose survival check is due in a fortnight (the last check, entered from the register, was
350 days ago); one whose check is long overdue, so the case's own timer escalates it and the township approver holds the
payment (held, not stopped);
and one just turned 80, left for the township to confirm (主动发现).

Synthetic people only (names made up, ID numbers valid but invented, as the other demos). Idempotent: the same
seed finds the same cases (a step already taken answers 409 and is skipped; a survival check is entered only
while the case still has the due date its confirmation gave it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from domain.actors import Role
from domain.months import add_months
from services.demo import resident_id

TokenFactory = Callable[[Role, str, str], str]
Out = Callable[[str], None]
#: Opens the 高龄津贴 cases of a hukou extract (``services.enrolment.enrol``) and answers resident id -> case id.
Enrol = Callable[[list[dict[str, str]], str], Awaitable[dict[str, str]]]

COUNTY = "532302"
SOURCE = "演示户籍数据（合成）"
READER = (Role.COUNTY_REVIEWER, COUNTY, "demo-cr-01")


@dataclass(frozen=True)
class Disabled:
    key: str
    name: str
    grade: int
    long_term_care: bool
    kind: str
    #: Needs a member of a paying demo dibao household (the living subsidy).
    in_dibao: bool = False
    #: 跨省通办: forwarded to this county (hukou elsewhere).
    forward_to: str | None = None


DISABLED = (
    Disabled("care_only", "钱玉珍", 1, True, "physical"),
    Disabled("living_only", "", 3, False, "visual", in_dibao=True),
    Disabled("both", "", 2, True, "intellectual", in_dibao=True),
    Disabled("forwarded", "孙立平", 2, True, "hearing", forward_to="510104"),
)


@dataclass(frozen=True)
class Elder:
    key: str
    name: str
    born: date
    village_code: str
    confirm: bool = True
    #: Days ago the last survival check was done (entered from the register), or None.
    checked_days_ago: int | None = None


def elders(today: date) -> tuple[Elder, ...]:
    """Fixed birth dates (the same people on every run): 85, 93, 101, 88 and 82 in 2026, and one who turned 80
    on 2026-09-14."""
    overdue = (today - add_months(today, -12)).days + 45  # a year and 45 days: past the 30-day grace
    return (
        Elder("band_80", "周桂英", date(1941, 3, 5), "532302101001"),
        Elder("band_90", "吴德明", date(1933, 7, 19), "532302102001"),
        Elder("band_100", "郑凤仙", date(1925, 2, 11), "532302103002"),
        Elder("check_due", "王永福", date(1938, 10, 2), "532302101003", checked_days_ago=350),
        Elder("held", "冯秀珍", date(1944, 5, 21), "532302104001", checked_days_ago=overdue),
        Elder("to_confirm", "陈家顺", date(1946, 9, 14), "532302101001", confirm=False),
    )


@dataclass
class AllowanceDemoResult:
    case_ids: dict[str, str] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


class _Api:
    def __init__(self, http: httpx.AsyncClient, token: TokenFactory) -> None:
        self.http, self.token = http, token

    def headers(self, role: Role, jurisdiction: str, sub: str, key: str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.token(role, jurisdiction, sub)}"}
        if key:
            out["Idempotency-Key"] = key
        return out

    async def do(self, case_id: str, who: tuple[Role, str, str], type_: str, **fields: Any) -> bool:
        """One step; a step the case is past already (409) is skipped, so a re-run goes on where it was."""
        r = await self.http.post(f"/v1/cases/{case_id}/commands", json={"command": {"type": type_, **fields}},
                                 headers=self.headers(*who))
        if r.status_code == 409:
            return False
        r.raise_for_status()
        return True

    async def case(self, case_id: str) -> dict[str, Any]:
        r = await self.http.get(f"/v1/cases/{case_id}", headers=self.headers(*READER))
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]


async def paying_dibao_people(http: httpx.AsyncClient, token: TokenFactory, households: list[Any],
                              case_ids: dict[int, str], want: int = 2) -> list[tuple[str, str, str]]:
    """Members of demo dibao households in payment, (name, resident id, village code), a household each, in the
    households' order (the same on a re-run)."""
    api = _Api(http, token)
    out: list[tuple[str, str, str]] = []
    for hh in households:
        if len(out) >= want:
            break
        case_id = case_ids.get(hh.index)
        if case_id is None or hh.target.key != "in_payment":
            continue
        if (await api.case(case_id))["stage"] != "in_payment":
            continue
        member = hh.members[-1]  # a child or spouse where there is one: the disabled member of the household
        out.append((member.name, member.resident_id, hh.village.code))
    return out


async def _disability(api: _Api, p: Disabled, name: str, rid: str, village: str, seed: int, i: int) -> str:
    township = village[:9]
    body = {"program": "disability_subsidies", "village_code": village, "area_type": "rural",
            "members": [{"name": name, "resident_id": rid, "relation": "applicant", "disability_grade": p.grade}]}
    r = await api.http.post("/v1/cases", json=body, headers=api.headers(Role.FRONT_OFFICE, township, "demo-window",
                                                                       key=f"demo-disability-{seed}-{p.key}"))
    r.raise_for_status()
    case_id: str = r.json()["case_id"]
    if p.forward_to:
        await api.do(case_id, (Role.FRONT_OFFICE, township, "demo-window"), "forward_application",
                     destination_code=p.forward_to, note="户籍在外省，跨省通办转递户籍地")
        return case_id
    await api.do(case_id, (Role.TOWNSHIP_CASEWORKER, township, "demo-inv-01"), "review_allowance",
                 disability_kind=p.kind, grade=p.grade, certificate_number=f"DEMO{seed % 1000:03d}{i:05d}",
                 long_term_care=p.long_term_care, recommend=True, note="核对残疾人证（演示）")
    await api.do(case_id, (Role.COUNTY_APPROVER, COUNTY, "demo-ca-01"), "confirm_allowance", note="县级确认（演示）")
    return case_id


async def run_disability_demo(http: httpx.AsyncClient, token: TokenFactory, *, seed: int,
                              dibao_people: list[tuple[str, str, str]],
                              out: Out = lambda _: None) -> AllowanceDemoResult:
    """The 两项补贴 demo cases; ``dibao_people`` from :func:`paying_dibao_people`."""
    api = _Api(http, token)
    result = AllowanceDemoResult()
    people = iter(dibao_people)
    for i, p in enumerate(DISABLED):
        if p.in_dibao:
            person = next(people, None)
            if person is None:
                result.skipped[p.key] = "no demo dibao household is in payment yet (公示 closes in days)"
                continue
            name, rid, village = person
        else:
            name, village = p.name, "532302101002"
            rid = resident_id(date(1971 + i, 4, 8 + i), 600 + (seed * 7 + i) % 99, i % 2 == 0)
        try:
            result.case_ids[p.key] = await _disability(api, p, name, rid, village, seed, i)
        except httpx.HTTPStatusError as err:
            result.skipped[p.key] = f"HTTP {err.response.status_code}"
    for key, case_id in result.case_ids.items():
        result.stages[key] = (await api.case(case_id))["stage"]
    out(f"残疾人两项补贴: {len(result.case_ids)} cases " + ", ".join(f"{k}={v}" for k, v in result.stages.items()))
    for key, why in result.skipped.items():
        out(f"  两项补贴 {key} not made: {why}")
    return result


async def run_old_age_demo(http: httpx.AsyncClient, token: TokenFactory, enrol: Enrol, *, seed: int, today: date,
                           out: Out = lambda _: None) -> AllowanceDemoResult:
    """The 高龄津贴 demo cases: enrolled from a synthetic extract, then confirmed and checked through the API."""
    api = _Api(http, token)
    result = AllowanceDemoResult()
    people = elders(today)
    ids = {e.key: resident_id(e.born, 500 + (seed * 11 + i) % 99, i % 2 == 1) for i, e in enumerate(people)}
    rows = [{"resident_id": ids[e.key], "name": e.name, "village_code": e.village_code} for e in people]
    opened = await enrol(rows, SOURCE)
    for e in people:
        case_id = opened.get(ids[e.key])
        if case_id is None or (await api.http.get(f"/v1/cases/{case_id}",
                                                  headers=api.headers(*READER))).status_code != 200:
            result.skipped[e.key] = "not enrolled"
            continue
        result.case_ids[e.key] = case_id
        township = e.village_code[:9]
        if e.confirm:
            await api.do(case_id, (Role.TOWNSHIP_APPROVER, township, "demo-tsa-01"), "confirm_allowance",
                         note="乡镇确认（演示）")
        if e.checked_days_ago is not None:
            case = await api.case(case_id)
            due = (case.get("pending") or {}).get("due")
            if case["stage"] == "in_payment" and due and date.fromisoformat(due) > today + timedelta(days=60):
                await api.do(case_id, (Role.TOWNSHIP_CASEWORKER, township, "demo-inv-01"), "record_survival_check",
                             checked_on=(today - timedelta(days=e.checked_days_ago)).isoformat(),
                             method="home_visit")
    held = result.case_ids.get("held")
    for _ in range(40):  # the case's own timer escalates the missed check a moment after it is entered
        if held is None or (await api.case(held))["stage"] != "in_payment":
            break
        if ((await api.case(held)).get("pending") or {}).get("overdue"):
            # an escalation decides nothing (SPEC §0.1): the township approver holds the payment
            township = next(e.village_code[:9] for e in people if e.key == "held")
            await api.do(held, (Role.TOWNSHIP_APPROVER, township, "demo-tsa-01"), "hold_payment",
                         reason="逾期未完成生存认证，暂停发放（演示）")
            break
        await asyncio.sleep(0.25)
    for key, case_id in result.case_ids.items():
        result.stages[key] = (await api.case(case_id))["stage"]
    out(f"高龄津贴: {len(result.case_ids)} cases " + ", ".join(f"{k}={v}" for k, v in result.stages.items()))
    return result


def enrolment(pool: Any, temporal: Any, task_queue: str, book: Any, key: bytes, *, index: bool = True) -> Enrol:
    """The county's enrolment import (``services.enrolment.enrol``) as the demo calls it: the rows of a
    synthetic extract in, resident id -> case id out (the case id follows from the person and the extract)."""
    from datetime import UTC, datetime

    from services.enrolment import HukouRow, case_id_for, enrol

    async def run(rows: list[dict[str, str]], source: str) -> dict[str, str]:
        hukou = [HukouRow(**r) for r in rows]
        await enrol(pool, temporal, task_queue, book, hukou, source, datetime.now(UTC), key=key, index=index)
        return {r.resident_id: str(case_id_for(r.resident_id, source, key)) for r in hukou}

    return run
