"""``casework demo``: a living 禄丰市 county, created through the public HTTP API (issue 5 item 5).

The demo generates, from a seed, about N households in the 14 townships of 禄丰市 and the (made-up) villages
below them, with valid, unique resident ID numbers (GB 11643-1999), plausible members, incomes and property,
loads departmental extracts for the information check (a database import, as ``casework verification
import`` does), and then drives every case through the API, step by step, with the role the law gives each
step, to a planned stage: every stage of the procedure and of the in-payment life is represented.

Re-running with the same seed is safe. Each application carries an ``Idempotency-Key`` derived from the seed
and the household number, so the API answers with the case it created before; the demo then reads the case's
trail and sends only the steps not yet on record. A case left waiting in 公示 is carried on by a later run.

Time is real:

- **公示** lasts 7 calendar days with the shipped parameter book, so on a first run every case planned past
  公示 stays in ``publicity``. A re-run after the window carries them on, or the API can run with a demo book
  whose window closes in seconds (:func:`write_fast_publicity_book`; ``casework demo --fast-publicity``).
  The demo finds out which book the API uses from the first case it posts (its trail names the unit).
- **Overdue cases** need working days to pass: nothing is back-dated. Deadlines are set from today, so the
  cases waiting to start an investigation become overdue after 3 working days, those at the county after
  10, refusal and stop notices not yet served after 3, and so on; the console shows them then.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Protocol

import httpx

from domain.actors import Role
from domain.divisions import LUFENG_COUNTY_CODE, LUFENG_TOWNSHIPS, LUFENG_VILLAGES
from domain.identity import check_character
from domain.kernel.clock import CHINA_TZ
from domain.labels import STAGE_LABELS
from domain.programmes.dibao.stages import Stage
from domain.verification import RecordSource

#: Birth dates are computed from this fixed day, not from today, so the same seed gives the same people (and
#: the same Idempotency-Keys) in any year.
REFERENCE_DAY = date(2025, 6, 30)
#: Lufeng became a city (532302) in 2021; people registered before carry the old county code 532331.
OLD_ADDRESS, NEW_ADDRESS, NEW_ADDRESS_FROM = "532331", "532302", 2021
#: Yunnan 2020 provincial floors as in the shipped parameter book (yuan/month); used only to size incomes.
STANDARD = {"rural": Decimal("375"), "urban": Decimal("640")}
EMPLOYMENT_DEDUCTION = Decimal("0.20")
DEMO_STAFF = "demo-county-check"
DEFAULT_FAST_SECONDS = 20

Out = Callable[[str], None]
TokenFactory = Callable[[Role, str, str], str]


class RecordsImporter(Protocol):
    """What the demo needs of :class:`adapters.db.economic_records.PgEconomicRecords`."""

    async def import_csv(self, path: Path, source: RecordSource, imported_by: str) -> Any:
        """Import one departmental CSV extract (all or nothing; the same file again is a no-op)."""
        ...


class PublicityNotFast(RuntimeError):
    """``--fast-publicity`` was asked for, but the API's 公示 window is not measured in seconds."""


# --- the county ---------------------------------------------------------------------------------------------

# The county's real villages and communities (统计用区划代码, from china-division 2.7.0: domain/lufeng_villages.py).
# 社区 (residents' committees) are urban, 村 (villagers' committees) rural, as in the NBS scheme.

@dataclass(frozen=True, slots=True)
class Village:
    """A village (村) or urban community (社区) of the demo county."""

    code: str
    name: str
    township_code: str
    township_name: str
    area_type: str  # "urban" (社区) or "rural" (村)


def county_villages() -> list[Village]:
    """The demo county's villages: every village and community of 禄丰市 in the division code table.

    Returns:
        Villages in code order.
    """
    return [Village(code, name, code[:9], LUFENG_TOWNSHIPS[code[:9]], "urban" if name.endswith("社区") else "rural")
            for code, name in sorted(LUFENG_VILLAGES.items())]


# --- people -------------------------------------------------------------------------------------------------

_SURNAMES = "李王张杨刘陈赵普罗段施周黄吴鲁起毕杞何苏朱马钱孙董"
_MALE = "国建文明华志永德学荣春开福忠兴成林富贵云海宝光伟强军"
_FEMALE = "秀兰英芳玉花珍琼美丽云春梅凤菊桂香燕霞娟萍芬红艳"


def _given(rng: random.Random, male: bool) -> str:
    pool = _MALE if male else _FEMALE
    return rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.75 else "")


def resident_id(birth: date, seq: int, male: bool) -> str:
    """A valid resident ID number (GB 11643-1999) with the address code Lufeng had at the birth.

    Args:
        birth: the birth date (positions 7-14).
        seq: 0-999, the sequence code; its parity is forced to the sex (odd = male).
        male: the sex.

    Returns:
        The 18-character number with its ISO 7064 MOD 11-2 check character.
    """
    seq = seq - seq % 2 + (1 if male else 0)
    address = NEW_ADDRESS if birth.year >= NEW_ADDRESS_FROM else OLD_ADDRESS
    body = f"{address}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + check_character(body)


@dataclass
class Person:
    name: str
    resident_id: str
    relation: str
    age: int
    male: bool
    labour_capacity: str = "full"
    disability_grade: int | None = None

    def body(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "resident_id": self.resident_id,
            "relation": self.relation,
        }
        if self.labour_capacity != "full":
            out["labour_capacity"] = self.labour_capacity
        if self.disability_grade is not None:
            out["disability_grade"] = self.disability_grade
        return out


# --- what each household's case is driven to ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    label: str
    weight: int


TARGETS: tuple[Target, ...] = (
    Target("submitted", "已提交待受理", 3),
    Target("materials_incomplete", "材料不全（一次性告知）", 3),
    Target("accepted", "已受理待调查", 4),
    Target("investigating", "调查核实中", 5),
    Target("democratic_appraisal", "民主评议中", 2),
    Target("info_check_negative", "核对不符已告知", 3),
    Target("publicity", "公示中", 4),
    Target("publicity_objection", "公示中（有异议）", 1),
    Target("submitted_to_county", "已报县级", 4),
    Target("county_review", "县级审核中", 4),
    Target("approved", "已确认待公布", 3),
    Target("in_payment", "在保", 43),
    Target("under_review", "复核中（报告变化）", 5),
    Target("gradual_exit", "渐退期", 3),
    Target("rejected", "不予确认（已送达）", 4),
    Target("rejected_unserved", "不予确认（待送达）", 1),
    Target("terminated", "不配合终止", 2),
    Target("withdrawn", "撤回申请", 2),
    Target("exited", "停发（通知已送达，次月起退出）", 4),
    Target("death_overdue", "成员死亡逾期未处理", 2),
)
_TARGET = {t.key: t for t in TARGETS}



def target_for(index: int, rng: random.Random) -> Target:
    """The planned stage of household ``index`` (1-based): the first households take every target once, so
    even a small demo shows every stage; the rest are drawn by weight. Independent of N."""
    if index <= len(TARGETS):
        return TARGETS[index - 1]
    return rng.choices(TARGETS, weights=[t.weight for t in TARGETS])[0]


@dataclass(frozen=True, slots=True)
class Step:
    """One command of a plan, the actor who sends it, and the event type that shows it is on record."""

    command: str
    who: str  # window | caseworker | approver | county_reviewer | county_approver
    done: str
    fields: dict[str, Any] = field(default_factory=dict)
    tolerate: bool = False  # a refusal is an expected outcome (an objection after a 2-second window closed)


#: The 公示 window closing: not a command; a case waits for it (done when the window has elapsed).
WAIT_PUBLICITY = Step("wait_publicity", "", "publicity_window_elapsed")


@dataclass
class Household:
    index: int
    key: str
    target: Target
    village: Village
    members: list[Person]
    declaration: dict[str, Any]
    plan: list[Step]
    extract_rows: dict[RecordSource, list[tuple[str, str, str, str, str]]]

    def body(self) -> dict[str, object]:
        return {
            "program": "dibao",
            "village_code": self.village.code,
            "area_type": self.village.area_type,
            "members": [m.body() for m in self.members],
            "declaration": self.declaration,
        }


def _yuan(value: Decimal) -> str:
    return str(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class _PeopleFactory:
    """Members with unique ID numbers: households are made in order, a clash moves the sequence code on."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def person(self, rng: random.Random, surname: str, relation: str, age: int, male: bool) -> Person:
        birth = REFERENCE_DAY - timedelta(days=365 * age + rng.randrange(365))
        seq = rng.randrange(1000)
        rid = resident_id(birth, seq, male)
        while rid in self.seen:
            seq = (seq + 2) % 1000
            rid = resident_id(birth, seq, male)
        self.seen.add(rid)
        return Person(surname + _given(rng, male), rid, relation, age, male)


def _members(rng: random.Random, people: _PeopleFactory, needs_worker: bool) -> list[Person]:
    kind = (
        "family"
        if needs_worker
        else rng.choices(
            ["lone_elder", "elder_couple", "family", "single_parent", "disabled"],
            weights=[25, 15, 35, 15, 10],
        )[0]
    )
    surname = rng.choice(_SURNAMES)
    other = rng.choice(_SURNAMES)
    if kind == "lone_elder":
        male = rng.random() < 0.45
        p = people.person(rng, surname, "applicant", rng.randint(62, 88), male)
        p.labour_capacity = rng.choice(["none", "partial"])
        return [p]
    if kind == "elder_couple":
        a = people.person(rng, surname, "applicant", rng.randint(63, 85), True)
        b = people.person(rng, other, "spouse", a.age - rng.randint(0, 4), False)
        a.labour_capacity = b.labour_capacity = "partial"
        return [a, b]
    if kind == "disabled":
        a = people.person(rng, surname, "applicant", rng.randint(50, 72), rng.random() < 0.5)
        child = people.person(rng, surname, "child", rng.randint(18, 40), rng.random() < 0.6)
        child.labour_capacity, child.disability_grade = "none", rng.choice([1, 2])
        return [a, child]
    applicant_male = kind == "family" or rng.random() < 0.3
    a = people.person(
        rng, surname if applicant_male else other, "applicant", rng.randint(28, 52), applicant_male
    )
    out = [a]
    if kind == "family":
        out.append(people.person(rng, other, "spouse", a.age + rng.randint(-4, 3), False))
    for _ in range(rng.randint(1, 3 if kind == "family" else 2)):
        out.append(
            people.person(rng, a.name[0], "child", rng.randint(2, min(17, a.age - 18)), rng.random() < 0.5)
        )
    if kind == "family" and rng.random() < 0.3:
        parent = people.person(
            rng, a.name[0], "parent", min(a.age + rng.randint(24, 30), 90), rng.random() < 0.4
        )
        parent.labour_capacity = "partial"
        out.append(parent)
    return out


def _worker_index(members: Sequence[Person]) -> int | None:
    for i, m in enumerate(members):
        if 18 <= m.age <= 58 and m.labour_capacity == "full":
            return i
    return None


def _declaration(
    rng: random.Random,
    members: Sequence[Person],
    area: str,
    per_capita: Decimal,
    wages_share: Decimal | None = None,
) -> dict[str, Any]:
    """A declaration whose countable per-capita monthly income is ``per_capita`` (wages net of the 20%
    employment-cost deduction, farming, family support), plus excluded pensions and modest property."""
    n = len(members)
    total = per_capita * n * 12
    worker = _worker_index(members)
    if wages_share is None:
        wages_share = Decimal(rng.choice(["0.5", "0.6", "0.7"])) if worker is not None else Decimal("0")
    income: list[dict[str, Any]] = []
    if worker is not None and wages_share > 0:
        irregular = rng.random() < 0.6  # 零工 / seasonal work: reviewed every six months
        wages = total * wages_share / (1 - EMPLOYMENT_DEDUCTION)
        income.append(
            {"kind": "wages", "amount": _yuan(wages), "member_index": worker, "irregular": irregular}
        )
    rest = total * (1 - wages_share)
    if area == "rural":
        farming = rest * Decimal(rng.choice(["0.5", "0.7", "1"]))
        income.append({"kind": "business_net", "amount": _yuan(farming)})
        rest -= farming
    if rest > 0:
        income.append({"kind": "transfer_received", "amount": _yuan(rest)})  # 子女赡养费等
    for i, m in enumerate(members):
        if m.age >= 60:  # 城乡居民基础养老金 (excluded from income)
            income.append({"kind": "basic_pension_base", "amount": "1476", "member_index": i})
    prop: list[dict[str, Any]] = []
    if area == "rural" or rng.random() < 0.3:
        prop.append({"kind": "house", "value": str(rng.randrange(30, 150) * 1000), "count": 1})
    if rng.random() < 0.5:
        prop.append({"kind": "deposit", "value": str(rng.randrange(2, 40) * 100 * n)})
    return {"income": income, "property": prop}


def _counted_other(declaration: dict[str, Any]) -> Decimal:
    return sum(
        (
            Decimal(i["amount"])
            for i in declaration["income"]
            if i["kind"] in {"business_net", "transfer_received"}
        ),
        Decimal("0"),
    )


# --- plans --------------------------------------------------------------------------------------------------

_HOME_VISIT = "入户调查：住房简陋，家庭收入来源单一，无大额财产"
_MISSING = ["income_property_declaration", "check_authorisation"]


def _plan(hh: Household, rng: random.Random) -> list[Step]:  # noqa: C901 - one branch per target, read top-down
    key = hh.target.key
    t = hh.village.township_code
    team = [f"demo-inv-{t}-1", f"demo-inv-{t}-2"]
    steps: list[Step] = []
    if key == "submitted":
        return steps
    if key == "materials_incomplete" or rng.random() < 0.15:
        steps.append(
            Step("notify_missing_materials", "window", "materials_deficiency_notified", {"items": _MISSING})
        )
        if key == "materials_incomplete":
            return steps
    if key == "withdrawn":
        return [
            *steps,
            Step(
                "withdraw_application",
                "window",
                "application_withdrawn",
                {"reason": "申请人家庭情况好转，主动撤回申请"},
            ),
        ]
    steps.append(Step("accept_application", "window", "application_accepted"))
    if key == "accepted":
        return steps
    steps.append(Step("start_investigation", "caseworker", "investigation_started", {"investigators": team}))
    if key == "terminated":
        note = "申请人拒绝配合入户调查"
        return [
            *steps,
            Step("record_non_cooperation", "caseworker", "non_cooperation_recorded", {"note": note}),
            Step(
                "record_non_cooperation",
                "caseworker",
                "non_cooperation_recorded",
                {"note": "再次通知后仍拒绝提供授权书"},
            ),
            Step(
                "terminate_for_non_cooperation",
                "approver",
                "review_terminated_for_non_cooperation",
                {"reason": "申请人无正当理由拒不配合调查，终止审核确认程序"},
            ),
        ]
    steps.append(
        Step(
            "record_home_visit",
            "caseworker",
            "home_visit_recorded",
            {"investigators": team, "household_signed": True, "findings": _HOME_VISIT},
        )
    )
    if rng.random() < 0.4:
        steps.append(
            Step(
                "record_neighbour_visit",
                "caseworker",
                "neighbour_visit_recorded",
                {"notes": "邻里走访：反映情况属实"},
            )
        )
    if key == "investigating" and rng.random() < 0.5:
        return steps
    steps.append(Step("request_info_check", "caseworker", "info_check_requested"))
    if key == "investigating":
        return steps
    if key == "info_check_negative":
        return [
            *steps,
            Step(
                "notify_info_check_ineligible",
                "caseworker",
                "ineligibility_by_info_check_notified",
                {"reasons": ["信息核对发现家庭存款超过24个月当地低保标准，未如实申报"]},
            ),
        ]
    if key in {"rejected", "rejected_unserved"}:
        what = "机动车" if hh.index % 2 else "工商登记"
        reasons = [f"信息核对发现家庭成员名下有{what}，财产状况不符合规定"]
        steps += [
            Step(
                "decide_village_review",
                "approver",
                "village_review_exempted",
                {"disputed": False, "reason": "无争议"},
            ),
            Step(
                "issue_prelim_opinion",
                "approver",
                "prelim_opinion_issued",
                {"eligible": False, "reasons": reasons},
            ),
            Step("submit_to_county", "caseworker", "case_submitted_to_county"),
            Step("start_county_review", "county_reviewer", "county_review_started"),
            Step("reject", "county_approver", "application_rejected", {"reasons": reasons}),
        ]
        if key == "rejected":
            steps.append(Step("serve_rejection_notice", "caseworker", "rejection_notice_served"))
        return steps
    if key == "democratic_appraisal" or rng.random() < 0.12:
        steps.append(
            Step(
                "decide_village_review",
                "approver",
                "democratic_appraisal_ordered",
                {"disputed": True, "reason": "村民对该户家庭经济状况有不同意见，组织民主评议"},
            )
        )
        if key == "democratic_appraisal":
            return steps
        attendance = [
            {"staff_or_member_id": f"demo-vr-{hh.village.code}-{k}", "villager_representative": True}
            for k in range(1, 6)
        ]
        attendance.append({"staff_or_member_id": f"demo-tsa-{t}", "villager_representative": False})
        steps.append(
            Step(
                "record_democratic_appraisal",
                "caseworker",
                "democratic_appraisal_held",
                {
                    "minutes": "民主评议：与会代表认为该户符合条件",
                    "attendance": attendance,
                    "signed": True,
                    "conclusion": "eligible",
                },
            )
        )
    else:
        steps.append(
            Step(
                "decide_village_review",
                "approver",
                "village_review_exempted",
                {"disputed": False, "reason": "无争议"},
            )
        )
    steps += [
        Step("issue_prelim_opinion", "approver", "prelim_opinion_issued", {"eligible": True}),
        Step("start_publicity", "caseworker", "publicity_started", {"location": "村务公开栏"}),
    ]
    if key == "publicity":
        return steps
    if key == "publicity_objection":
        return [
            *steps,
            Step(
                "log_objection",
                "caseworker",
                "publicity_objection_logged",
                {"real_name": True, "content": "村民反映该户有子女在外务工，收入未申报"},
                tolerate=True,
            ),
        ]
    steps.append(WAIT_PUBLICITY)
    if key == "submitted_to_county":
        return steps
    steps.append(Step("start_county_review", "county_reviewer", "county_review_started"))
    if key == "county_review":
        return steps
    steps.append(
        Step("approve", "county_approver", "application_approved", {"reason": "经审核符合最低生活保障条件"})
    )
    if key == "approved":
        return steps
    steps.append(Step("post_publication", "caseworker", "publication_posted", {"location": "村务公开栏"}))
    return steps + _in_payment_steps(hh, rng)


def _in_payment_steps(hh: Household, rng: random.Random) -> list[Step]:
    key, area, n = hh.target.key, hh.village.area_type, len(hh.members)
    std = STANDARD[area]
    if key == "under_review":
        lower = {
            **_declaration(rng, hh.members, area, std * Decimal("0.1")),
            "property": hh.declaration["property"],
        }
        return [
            Step(
                "report_change",
                "window",
                "change_reported",
                {"declaration": lower, "note": "家庭成员患病，务工收入减少"},
            )
        ]
    if key == "gradual_exit":
        worker = _worker_index(hh.members)
        assert worker is not None
        target_total = std * Decimal(rng.choice(["1.15", "1.25", "1.35"])) * n * 12
        other = _counted_other(hh.declaration)
        wages = (target_total - other) / (1 - EMPLOYMENT_DEDUCTION)
        income = [i for i in hh.declaration["income"] if i["kind"] != "wages"]
        income.append({"kind": "wages", "amount": _yuan(wages), "member_index": worker})
        richer = {"income": income, "property": hh.declaration["property"]}
        return [
            Step(
                "report_change",
                "window",
                "change_reported",
                {"declaration": richer, "note": "家庭成员进厂务工，工资收入稳定增加"},
            ),
            Step(
                "decide_review",
                "county_approver",
                "gradual_exit_granted",
                {
                    "reasons": ["家庭人均收入超过当地低保标准，因就业增收给予渐退期"],
                    "gradual_exit_months": 6,
                    "income_from_employment": True,
                },
            ),
        ]
    if key == "death_overdue":
        # A death the civil-affairs data reports 125 days late: the 3-month limit to finish the change
        # (S6 §一(三)) has already passed, so the case's own timer raises a real escalation at once — the
        # console shows an overdue case on the first run, with nothing faked.
        died = datetime.now(CHINA_TZ).date() - timedelta(days=125)
        return [
            Step(
                "raise_data_alert",
                "caseworker",
                "data_alert_raised",
                {"alert": "death", "member_index": len(hh.members) - 1, "occurred_on": died.isoformat(),
                 "source": "民政殡葬数据比对（示例）"},
            )
        ]
    if key != "exited":
        return []
    if hh.index % 3 == 0:  # the review finds the household above the line: a stop decided with reasons
        income = [
            *hh.declaration["income"],
            {"kind": "business_net", "amount": _yuan(std * Decimal("1.6") * n * 12)},
        ]
        return [
            Step(
                "report_change",
                "window",
                "change_reported",
                {
                    "declaration": {"income": income, "property": hh.declaration["property"]},
                    "note": "家庭开办小卖部，经营收入增加",
                },
            ),
            Step(
                "decide_review",
                "county_approver",
                "benefit_stopped",
                {"reasons": ["家庭人均收入超过当地低保标准"]},
            ),
            Step("serve_stop_notice", "caseworker", "stop_notice_served"),
        ]
    code, reason = (
        ("moved_away", "全家迁往外地居住") if hh.index % 2 else ("voluntary_exit", "户主申请自愿退出低保")
    )
    return [
        Step(
            "stop_benefit", "county_approver", "benefit_stopped", {"reason_code": code, "reasons": [reason]}
        ),
        Step("serve_stop_notice", "caseworker", "stop_notice_served"),
    ]


def _extract_rows(
    hh: Household, rng: random.Random
) -> dict[RecordSource, list[tuple[str, str, str, str, str]]]:
    """What the departments hold about the household: mostly what it declared; for the households planned to
    fail the check, an undeclared deposit, vehicle or business registration."""
    rows: dict[RecordSource, list[tuple[str, str, str, str, str]]] = {s: [] for s in RecordSource}
    members = hh.members
    for m in members:
        rows[RecordSource.HUKOU].append((m.resident_id, "hukou", "", "1", hh.village.code))
    for item in hh.declaration["income"]:
        i = item.get("member_index")
        if item["kind"] == "wages" and i is not None and rng.random() < 0.6:
            rows[RecordSource.INCOME].append(
                (members[i].resident_id, "wages", item["amount"], "1", "个税代扣数据")
            )
        if item["kind"] == "basic_pension_base" and i is not None:
            rows[RecordSource.SOCIAL_INSURANCE].append(
                (members[i].resident_id, "basic_pension_base", item["amount"], "1", "城乡居民基础养老金")
            )
    applicant = members[0].resident_id
    for item in hh.declaration["property"]:
        if item["kind"] == "house":
            rows[RecordSource.REAL_ESTATE].append((applicant, "house", item["value"], "1", "农村宅基地房屋"))
        elif item["kind"] == "deposit" and rng.random() < 0.7:
            rows[RecordSource.DEPOSIT].append((applicant, "deposit", item["value"], "1", "活期存款"))
    key = hh.target.key
    if key == "info_check_negative":
        rows[RecordSource.DEPOSIT] = [r for r in rows[RecordSource.DEPOSIT] if r[0] != applicant]
        rows[RecordSource.DEPOSIT].append(
            (applicant, "deposit", str(rng.randrange(120, 260) * 1000), "1", "定期存款")
        )
    elif key in {"rejected", "rejected_unserved"}:
        if hh.index % 2:
            rows[RecordSource.VEHICLE].append(
                (applicant, "vehicle", str(rng.randrange(40, 120) * 1000), "1", "小型普通客车")
            )
        else:
            rows[RecordSource.BUSINESS].append((applicant, "business", "50000", "1", "个体工商户登记"))
    return rows


def make_households(n: int, seed: int) -> list[Household]:
    """The demo's households, generated from the seed.

    Household ``i`` depends only on the seed and the households before it, never on ``n``, so a larger run
    with the same seed extends a smaller one (and re-sends the same applications).

    Args:
        n: how many households.
        seed: the seed.

    Returns:
        Households 1..n with their members, declaration, planned stage, plan and departmental records.
    """
    villages = county_villages()
    people = _PeopleFactory()
    out: list[Household] = []
    for index in range(1, n + 1):
        rng = random.Random(f"casework-demo:{seed}:{index}")
        target = target_for(index, rng)
        village = rng.choice(villages)
        members = _members(rng, people, needs_worker=target.key == "gradual_exit")
        std = STANDARD[village.area_type]
        per_capita = std * Decimal(rng.randrange(5, 75)) / 100
        declaration = _declaration(rng, members, village.area_type, per_capita)
        hh = Household(index, f"demo-{seed}-{index:05d}", target, village, members, declaration, [], {})
        hh.plan = _plan(hh, rng)
        hh.extract_rows = _extract_rows(hh, rng)
        out.append(hh)
    return out


def extract_files(households: Sequence[Household], directory: Path, seed: int) -> dict[RecordSource, Path]:
    """Write one departmental CSV extract per source (format: :mod:`adapters.db.economic_records`).

    Returns:
        The files written, by source; sources with no rows are left out.
    """
    directory.mkdir(parents=True, exist_ok=True)
    out: dict[RecordSource, Path] = {}
    for source in RecordSource:
        rows = [row for hh in households for row in hh.extract_rows[source]]
        if not rows:
            continue
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["resident_id", "kind", "amount", "count", "detail"])
        writer.writerows(rows)
        path = directory / f"demo-{seed}-{len(households)}-{source.value}.csv"
        path.write_text(buf.getvalue(), encoding="utf-8")
        out[source] = path
    return out


def write_fast_publicity_book(base: Path, path: Path, seconds: int = DEFAULT_FAST_SECONDS) -> Path:
    """Write a copy of a parameter book whose 公示 window closes ``seconds`` after posting (DEMO ONLY).

    Every version keeps its values but ``publicity_unit``/``publicity_period``, and is renamed
    ``<version>-demo-fast-publicity`` so decisions taken under it say so.

    Args:
        base: the book to copy (the shipped one, or ``CASEWORK_PARAMETERS_FILE``).
        path: where to write it.
        seconds: the window.

    Returns:
        ``path``.
    """
    book = json.loads(base.read_text(encoding="utf-8"))
    for version in book["versions"]:
        version["values"].update(publicity_unit="second", publicity_period=seconds)
        if not version["version"].endswith("-demo-fast-publicity"):
            version["version"] += "-demo-fast-publicity"
            version["label"] = f"DEMO ONLY — 公示 closes after {seconds} seconds. " + version.get("label", "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(book, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


# --- driving the API ----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to one household in one pass."""

    household: Household
    case_id: str | None = None
    created: bool = False
    commands: int = 0
    waiting_publicity: bool = False
    sent: list[str] = field(default_factory=list)
    conflict: bool = False
    failure: str | None = None


@dataclass
class DemoResult:
    """The demo's summary.

    Attributes:
        households: the households generated.
        created: cases created by this run (a re-run with the same seed creates none).
        existing: cases that existed already (same seed, same household).
        commands: commands this run sent.
        conflicts: households refused because a member is in another active case (409).
        failures: ``household index -> what went wrong``.
        stages: cases per stage, read back from the API at the end.
        targets: planned stage per household key, and how many households were planned for it.
        overdue: cases whose pending step is past its deadline.
        publicity_unit: the API's 公示 unit as the trail of a 公示 posted by this run shows it (None: this run
            posted none, so the book in force is not known).
        waiting_publicity: cases left in 公示 because the window closes in days.
        publicity_ends_on: the latest day such a window closes.
        case_ids: household index -> case id.
    """

    households: list[Household]
    created: int = 0
    existing: int = 0
    commands: int = 0
    conflicts: int = 0
    failures: dict[int, str] = field(default_factory=dict)
    stages: Counter[str] = field(default_factory=Counter)
    targets: Counter[str] = field(default_factory=Counter)
    overdue: int = 0
    publicity_unit: str | None = None
    waiting_publicity: int = 0
    publicity_ends_on: str | None = None
    case_ids: dict[int, str] = field(default_factory=dict)
    #: The 特困 demo cases (``services.demo_tekun``, made by ``casework demo`` after these), or None.
    tekun: Any = None
    #: 临时救助's demo cases (a fire, an illness, school fees): label -> case id (services.demo_temporary).
    temporary: dict[str, str] = field(default_factory=dict)
    #: 残疾人两项补贴 and 高龄津贴 demo cases (services.demo_allowances), by programme code.
    allowances: Any = None

    @property
    def fast_publicity(self) -> bool:
        return self.publicity_unit == "second"


class _StepFailed(Exception):
    """A step the API refused, or a wait that ran out; the household is reported and left where it is."""

    @classmethod
    def of(cls, step: str, response: httpx.Response) -> _StepFailed:
        code = ""
        with contextlib.suppress(ValueError, AttributeError):
            code = str(response.json().get("code") or "")
        return cls(f"{step}: HTTP {response.status_code} {code}".strip())


class Demo:
    """Drives the demo's households through the API (bounded concurrency)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token: TokenFactory,
        out: Out,
        concurrency: int = 16,
        publicity_timeout: float = 180.0,
    ) -> None:
        self.http = http
        self.token = token
        self.out = out
        self.sem = asyncio.Semaphore(concurrency)
        self.publicity_timeout = publicity_timeout
        self._tokens: dict[tuple[Role, str, str], str] = {}

    def _headers(self, role: Role, jurisdiction: str, sub: str, key: str | None = None) -> dict[str, str]:
        ident = (role, jurisdiction, sub)
        if ident not in self._tokens:
            self._tokens[ident] = self.token(role, jurisdiction, sub)
        headers = {"Authorization": f"Bearer {self._tokens[ident]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def _who(self, who: str, hh: Household) -> dict[str, str]:
        t = hh.village.township_code
        match who:
            case "window":
                return self._headers(Role.FRONT_OFFICE, t, f"demo-window-{t}")
            case "caseworker":
                return self._headers(Role.TOWNSHIP_CASEWORKER, t, f"demo-inv-{t}-1")
            case "approver":
                return self._headers(Role.TOWNSHIP_APPROVER, t, f"demo-tsa-{t}")
            case "county_reviewer":
                return self._headers(Role.COUNTY_REVIEWER, LUFENG_COUNTY_CODE, "demo-cr-01")
            case "county_approver":
                return self._headers(Role.COUNTY_APPROVER, LUFENG_COUNTY_CODE, "demo-ca-01")
        raise ValueError(who)

    def _reader(self) -> dict[str, str]:
        return self._headers(Role.COUNTY_REVIEWER, LUFENG_COUNTY_CODE, "demo-cr-01")

    async def trail(self, case_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"/v1/cases/{case_id}/trail", headers=self._reader())
        if response.status_code != 200:
            raise _StepFailed.of("trail", response)
        return response.json()  # type: ignore[no-any-return]

    async def case(self, case_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/cases/{case_id}", headers=self._reader())
        if response.status_code != 200:
            raise _StepFailed.of("get", response)
        return response.json()  # type: ignore[no-any-return]

    async def drive(self, hh: Household, *, through_publicity: bool) -> Outcome:
        """Create (or find) the household's case and send the steps of its plan not yet on record."""
        async with self.sem:
            outcome = Outcome(hh)
            try:
                await self._drive(hh, outcome, through_publicity)
            except _StepFailed as err:
                outcome.failure = str(err)
            except httpx.HTTPError as err:
                outcome.failure = f"{type(err).__name__}: {err}"
            return outcome

    async def _drive(self, hh: Household, outcome: Outcome, through_publicity: bool) -> None:
        created = await self.http.post(
            "/v1/cases", json=hh.body(), headers={**self._who("window", hh), "Idempotency-Key": hh.key}
        )
        if created.status_code == 409 and created.json().get("code") == "member_in_case":
            outcome.conflict = True
            return
        if created.status_code not in (200, 201):
            raise _StepFailed.of("submit_application", created)
        outcome.case_id = case_id = created.json()["case_id"]
        # A resend of the same application is answered with the first answer (201), marked as replayed.
        outcome.created = created.status_code == 201 and created.headers.get("idempotent-replayed") != "true"
        # What is on record already (a re-run): each step's event, counted, in plan order.
        done: Counter[str] = (
            Counter() if outcome.created else Counter(e["type"] for e in await self.trail(case_id))
        )
        for step in hh.plan:
            if done[step.done] > 0:
                done[step.done] -= 1
                continue
            if step is WAIT_PUBLICITY:
                if not through_publicity:
                    outcome.waiting_publicity = True
                    return
                if not await self._await_publicity(case_id):
                    outcome.waiting_publicity = True
                    return
                continue
            response = await self.http.post(
                f"/v1/cases/{case_id}/commands",
                json={"command": {"type": step.command, **step.fields}},
                headers=self._who(step.who, hh),
            )
            outcome.commands += 1
            outcome.sent.append(step.command)
            if response.status_code != 200 and not step.tolerate:
                raise _StepFailed.of(step.command, response)

    async def _await_publicity(self, case_id: str) -> bool:
        """Wait for a window that closes in seconds; False (do not wait) for one that closes on a later day,
        such as a window posted under the shipped book before the API was restarted with the demo book."""
        case = await self.case(case_id)
        due = (case.get("pending") or {}).get("due")
        if case["stage"] == Stage.PUBLICITY and due and due > (date.today() + timedelta(days=1)).isoformat():
            return False
        try:
            async with asyncio.timeout(self.publicity_timeout):
                # Polling over HTTP: the window closes in another process, there is nothing to wait on.
                while (await self.case(case_id))["stage"] == Stage.PUBLICITY:  # noqa: ASYNC110
                    await asyncio.sleep(0.5)
                return True
        except TimeoutError:
            raise _StepFailed(
                f"wait_publicity: the 公示 window did not close within {self.publicity_timeout:.0f} s"
            ) from None

    async def gather(
        self, households: Sequence[Household], *, through_publicity: bool, label: str
    ) -> list[Outcome]:
        """Drive households concurrently (bounded), printing progress every tenth."""
        outcomes: list[Outcome] = []
        every = max(1, len(households) // 10)

        async def one(hh: Household) -> None:
            outcomes.append(await self.drive(hh, through_publicity=through_publicity))
            if len(outcomes) % every == 0 or len(outcomes) == len(households):
                self.out(f"  {label}: {len(outcomes)}/{len(households)}")

        async with asyncio.TaskGroup() as tg:
            for hh in households:
                tg.create_task(one(hh))
        return outcomes


async def run_demo(
    http: httpx.AsyncClient,
    token: TokenFactory,
    *,
    households: int = 1000,
    seed: int = 1,
    concurrency: int = 16,
    records: RecordsImporter | None = None,
    work_dir: Path | None = None,
    require_fast_publicity: bool = False,
    out: Out = lambda _: None,
    publicity_timeout: float = 180.0,
) -> DemoResult:
    """Create the demo county through the API.

    Args:
        http: a client for the API (``base_url`` set; an ``ASGITransport`` client in tests).
        token: issues a bearer token for ``(role, jurisdiction, staff id)``.
        households: how many households.
        seed: the seed; the same seed gives the same households and the same cases.
        concurrency: households driven at once.
        records: where the departmental extracts go (the API's database); None skips them.
        work_dir: where the extract files are written (needed with ``records``).
        require_fast_publicity: stop (:class:`PublicityNotFast`) after the first case reaches 公示 unless the
            API's window closes in seconds.
        out: where progress lines go.
        publicity_timeout: seconds to wait for one 公示 window (fast mode only).

    Returns:
        The summary.

    Raises:
        PublicityNotFast: see ``require_fast_publicity``.
    """
    plan = make_households(households, seed)
    result = DemoResult(households=plan, targets=Counter(hh.target.key for hh in plan))
    out(
        f"casework demo: {households} households in {len(LUFENG_TOWNSHIPS)} townships of 禄丰市 (seed {seed})"
    )
    if records is not None:
        assert work_dir is not None
        for source, path in extract_files(plan, work_dir, seed).items():
            imported = await records.import_csv(path, source, DEMO_STAFF)
            state = "already imported" if getattr(imported, "already_imported", False) else "imported"
            out(f"  departmental extract {source.value}: {getattr(imported, 'row_count', '?')} rows {state}")
    demo = Demo(http, token, out, concurrency, publicity_timeout)
    outcomes: dict[int, Outcome] = {}

    # Cases one by one first, until one posts its 公示 now: its trail tells which window the API's parameter
    # book has (a window posted by an earlier run may have been posted under another book).
    # Only a 公示 posted by this run tells the book in force: one posted by an earlier run keeps the window of the
    # book it was posted under (issue 19: a plain run, then --fast-publicity after a restart, must not dead-end).
    candidates = [hh for hh in plan if WAIT_PUBLICITY in hh.plan]
    for probe in candidates:
        outcome = outcomes[probe.index] = await demo.drive(probe, through_publicity=False)
        if outcome.case_id is None or "start_publicity" not in outcome.sent:
            continue
        started = [e for e in await demo.trail(outcome.case_id) if e["type"] == "publicity_started"]
        if started:
            result.publicity_unit = started[-1]["details"].get("unit")
        break
    if candidates:
        out(
            f"  公示 unit of the API's parameter book: {result.publicity_unit}" if result.publicity_unit
            else "  公示 unit of the API's parameter book: not known (every 公示 of this seed was posted by an "
            "earlier run and keeps its window; `make clean-var` starts afresh)"
        )
        if require_fast_publicity and result.publicity_unit is not None and not result.fast_publicity:
            raise PublicityNotFast(
                f"the API's 公示 window is measured in {result.publicity_unit}, not seconds"
            )

    rest = [hh for hh in plan if hh.index not in outcomes]
    for o in await demo.gather(rest, through_publicity=False, label="households"):
        outcomes[o.household.index] = o
    for o in outcomes.values():
        result.created += o.created
    waiting = [outcomes[i].household for i in sorted(outcomes) if outcomes[i].waiting_publicity]
    # Unknown book: try them — a window closing on a later day is left at once (Demo._await_publicity).
    if waiting and (result.fast_publicity or result.publicity_unit is None):
        out(f"  {len(waiting)} cases in 公示: waiting for the window to close, then carrying them on")
        for o in await demo.gather(waiting, through_publicity=True, label="after 公示"):
            o.commands += outcomes[o.household.index].commands
            o.created = outcomes[o.household.index].created
            outcomes[o.household.index] = o

    for o in outcomes.values():
        result.commands += o.commands
        result.conflicts += o.conflict
        result.waiting_publicity += o.waiting_publicity
        if o.failure:
            result.failures[o.household.index] = o.failure
        if o.case_id:
            result.case_ids[o.household.index] = o.case_id
    result.existing = len(result.case_ids) - result.created
    await _read_back(demo, result)
    from services.demo_temporary import run_temporary_demo

    result.temporary = await run_temporary_demo(http, token, seed=seed, out=out)
    return result


async def _read_back(demo: Demo, result: DemoResult) -> None:
    sem = asyncio.Semaphore(32)

    async def one(case_id: str) -> None:
        async with sem:
            case = await demo.case(case_id)
        result.stages[case["stage"]] += 1
        pending = case.get("pending") or {}
        # As the reports count (domain.programmes.is_overdue): any escalated deadline whose step is still
        # pending, not only the pending step's own (a death reported late escalates another deadline).
        result.overdue += bool(case.get("overdue"))
        if case["stage"] == Stage.PUBLICITY and pending.get("due"):
            result.publicity_ends_on = max(result.publicity_ends_on or "", pending["due"])

    async with asyncio.TaskGroup() as tg:
        for case_id in result.case_ids.values():
            tg.create_task(one(case_id))


def summary_lines(result: DemoResult) -> list[str]:
    """The summary the CLI prints: cases per stage, and what time still has to do."""
    lines = [
        f"cases: {len(result.case_ids)} ({result.created} created now, {result.existing} existed already); "
        f"{result.commands} commands sent"
    ]
    lines.append("cases per stage (read back from the API):")
    for stage in Stage:
        if result.stages[stage]:
            lines.append(f"  {result.stages[stage]:>6}  {stage.value:<30} {STAGE_LABELS.get(stage, '')}")
    if result.conflicts:
        lines.append(f"{result.conflicts} households refused: a member is in another active case (409)")
    for index, failure in sorted(result.failures.items())[:20]:
        lines.append(f"household {index} ({result.households[index - 1].target.key}): {failure}")
    if len(result.failures) > 20:
        lines.append(f"... and {len(result.failures) - 20} more failures")
    if result.waiting_publicity:
        lines += [
            f"{result.waiting_publicity} cases are planned past 公示 but wait in it: "
            + (f"the API's window is {result.publicity_unit}" if result.publicity_unit
               else "their windows were posted by an earlier run, each keeps the window it was posted with")
            + (f" and the last one closes on {result.publicity_ends_on}" if result.publicity_ends_on else "")
            + ".",
            "  Run `casework demo` again with the same seed after that day to carry them on (nothing is",
            "  created twice), or start afresh with a demo book whose 公示 closes in seconds: stop `make run`,",
            "  `make clean-var` (deletes var/: every case), `.venv/bin/casework demo --fast-publicity` writes",
            "  var/demo/parameters.json and says how to restart with it.",
        ]
    lines.append(
        f"overdue now: {result.overdue}. Deadlines run in working days from today (nothing is "
        "back-dated): cases waiting to start an investigation are overdue after 3 working days, "
        "at the county after 10, unserved refusal/stop notices after 3; the console shows them then."
    )
    return lines
