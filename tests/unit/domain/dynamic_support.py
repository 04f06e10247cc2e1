"""Driving one dibao case through the pure domain into payment and through its in-payment life (SPEC §8).

Used by the ``test_dynamic_*`` modules. Everything goes through ``decide`` and ``project`` (no Temporal, no
database): the whole S1 procedure up to 公布, then reviews, changes, alerts and exit, on a clock the test sets
day by day (10:00 Beijing time unless told otherwise).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain import events as e
from domain.actors import Actor, Role
from domain.household import (
    AreaType,
    Declaration,
    IncomeItem,
    IncomeKind,
    LabourCapacity,
    Member,
    Program,
    Relation,
)
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.kernel.state import PaidMonth
from domain.months import add_months_to_month
from domain.parameters import DynamicManagement, ParameterBook, ParameterValues, ResolvedParameters, resolve
from domain.programmes import CaseState, decide, project
from domain.procedure.publicity import closes_at as publicity_closes_at
from domain.programmes.dibao.stages import Stage
from domain.verification import InfoCheckReport
from tests.builders import JINSHAN, JINSHAN_VILLAGE, resident_id

BOOK = ParameterBook.model_validate(json.loads(DEFAULT_BOOK.read_text(encoding="utf-8")))
VILLAGE = JINSHAN_VILLAGE
COUNTY = "532302"
#: The shipped book (2020 Yunnan rural floor, 375.00 a month; 20 % employment-cost deduction).
BASE = resolve(BOOK, VILLAGE, date(2026, 11, 2))

WINDOW = Actor(id="window-01", role=Role.FRONT_OFFICE, jurisdiction=JINSHAN)
CASEWORKER = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction=JINSHAN)
TOWNSHIP_APPROVER = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction=JINSHAN)
COUNTY_REVIEWER = Actor(id="cr-01", role=Role.COUNTY_REVIEWER, jurisdiction=COUNTY)
COUNTY_APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction=COUNTY)
TEAM = ["inv-01", "inv-02"]

#: The day the county approves in most tests (a Monday); the first payment month is 2026-12.
DECIDED_ON = date(2026, 11, 2)


def params(base: ResolvedParameters = BASE, *, version: str | None = None, rural: str | None = None,
           effective_from: date | None = None, devolved: bool | None = None,
           **dynamic: Any) -> ResolvedParameters:
    """The shipped parameters with another version id, rural standard, devolution (S1 Art. 2) or 动态管理
    values (validated as the book would be)."""
    values = base.values.model_dump()
    if devolved is not None:
        values["confirmation_devolved_to_township"] = devolved
    if rural is not None:
        standards = values["dibao_standard_monthly"]
        values["dibao_standard_monthly"] = {**standards, AreaType.RURAL: Decimal(rural)}
    if dynamic:
        values["dynamic"] = DynamicManagement.model_validate({**values["dynamic"], **dynamic}).model_dump()
    return base.model_copy(update={"values": ParameterValues.model_validate(values),
                                   "version": version or base.version,
                                   "effective_from": effective_from or base.effective_from})


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """``hour:minute`` Beijing time on ``day``, as the UTC instant ``workflow.now()`` would give."""
    return datetime.combine(day, time(hour, minute), tzinfo=CHINA_TZ).astimezone(UTC)


def member(name: str, born: str, seq: str, relation: Relation = Relation.CHILD,
           labour: LabourCapacity = LabourCapacity.FULL) -> Member:
    return Member(name=name, resident_id=resident_id(birth=born, seq=seq), relation=relation,
                  labour_capacity=labour)


def income(kind: IncomeKind, amount: str | int, member_index: int | None = None,
           irregular: bool = False) -> IncomeItem:
    return IncomeItem(kind=kind, amount=Decimal(amount), member_index=member_index, irregular=irregular)


def months_from(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` through ``last``."""
    out = [first]
    while out[-1] < last:
        out.append(add_months_to_month(out[-1], 1))
    return out


def paid(first: str, last: str, amount: Decimal | str) -> tuple[PaidMonth, ...]:
    """The payment roll's lines for the case: ``amount`` for each month from ``first`` through ``last``."""
    return tuple(PaidMonth(month=m, amount=Decimal(amount)) for m in months_from(first, last))


@dataclass
class Case:
    """One case, its clock and parameters, and every event it recorded."""

    state: CaseState
    now: datetime
    params: ResolvedParameters
    events: list[e.CaseEvent] = field(default_factory=list)

    def on(self, day: date, hour: int = 10, minute: int = 0) -> Case:
        """Move the clock to ``day`` (never backwards: the ledger's order is the clock's order)."""
        moved = at(day, hour, minute)
        assert moved >= self.now, "the clock only moves forward"
        self.now = moved
        return self

    def ctx(self, actor: Actor, payments: tuple[PaidMonth, ...] = (),
            with_params: ResolvedParameters | None = None) -> DecisionContext:
        return DecisionContext(now=self.now, actor=actor, case_id=self.state.case_id,
                               params=with_params or self.params, payments=payments)

    def decide(self, actor: Actor, command: Any, payments: tuple[PaidMonth, ...] = (),
               with_params: ResolvedParameters | None = None) -> list[e.CaseEvent]:
        """What the command would record (the state is not changed)."""
        return decide(self.state, command, self.ctx(actor, payments, with_params))

    def do(self, actor: Actor, command: Any, payments: tuple[PaidMonth, ...] = (),
           with_params: ResolvedParameters | None = None) -> list[e.CaseEvent]:
        """Decide and apply; returns the events recorded."""
        events = self.decide(actor, command, payments, with_params)
        after = project(events, self.state)
        assert after is not None
        self.state = after
        self.events += events
        return events

    def of(self, kind: type[Any]) -> list[Any]:
        """The recorded events of one type, oldest first."""
        return [ev for ev in self.events if isinstance(ev, kind)]


def in_payment(members: list[Member], declaration: Declaration, decided_on: date = DECIDED_ON,
               p: ResolvedParameters = BASE, area_type: AreaType = AreaType.RURAL,
               case_id: UUID | None = None) -> Case:
    """The whole S1 procedure without dispute: approved by the county on ``decided_on``, 公布 posted the same
    day, so the case is IN_PAYMENT from the month after (S1 Art. 21)."""
    start = at(date.fromordinal(decided_on.toordinal() - 12))
    submit = c.SubmitApplication(program=Program.DIBAO, village_code=VILLAGE, area_type=area_type,
                                 members=members, declaration=declaration)
    first = decide(None, submit, DecisionContext(now=start, actor=WINDOW, case_id=case_id or UUID(int=7)))
    state = project(first)
    assert state is not None
    case = Case(state=state, now=start, params=p, events=list(first))
    for actor, command in [
        (WINDOW, c.AcceptApplication()),
        (CASEWORKER, c.StartInvestigation(investigators=TEAM)),
        (CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户核实")),
        (CASEWORKER, c.RequestInfoCheck()),
        (SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport())),
        (TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议")),
        (TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True)),
        (CASEWORKER, c.StartPublicity(location="村务公开栏")),
    ]:
        case.do(actor, command)
    case.now = publicity_closes_at(case.state).astimezone(UTC)
    case.do(SYSTEM_ACTOR, c.ClosePublicity())
    case.do(COUNTY_REVIEWER, c.StartCountyReview())
    case.on(decided_on)
    case.do(COUNTY_APPROVER, c.Approve(reason="符合最低生活保障条件"))
    case.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
    assert case.state.stage is Stage.IN_PAYMENT
    return case


def review(case: Case, *reasons: str, report: InfoCheckReport | None = None,
           payments: tuple[PaidMonth, ...] = (), approver: Actor = COUNTY_APPROVER,
           **decision: Any) -> list[e.CaseEvent]:
    """Run the open review's information check, then decide the review (S1 Art. 31); returns the decision's
    events."""
    case.do(SYSTEM_ACTOR, c.RequestReviewCheck())
    case.do(SYSTEM_ACTOR, c.CompleteInfoCheck(report=report or InfoCheckReport()))
    return case.do(approver, c.DecideReview(reasons=list(reasons or ("复核家庭经济状况",)), **decision),
                   payments=payments)


def check_review(case: Case) -> None:
    """Run the open review's information check (empty report), leaving the decision to the test."""
    case.do(SYSTEM_ACTOR, c.RequestReviewCheck())
    case.do(SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport()))


def types(events: list[e.CaseEvent]) -> list[str]:
    return [ev.type for ev in events]


# --- households ---------------------------------------------------------------------------------------


def scenario_10_household() -> tuple[list[Member], Declaration]:
    """SPEC §7.5: a rural couple and two minor children; the husband's casual wages 9,600 a year (20 %
    employment-cost deduction → 7,680) and net farming income 1,800 → 197.50 per capita, 710.00 a month."""
    members = [
        member("王建国", "19850312", "131", Relation.APPLICANT),
        member("李秀兰", "19870705", "142", Relation.SPOUSE),
        member("王小明", "20150101", "153"),
        member("王小红", "20180808", "164"),
    ]
    declaration = Declaration(income=[income(IncomeKind.WAGES, 9600, 0, irregular=True),
                                      income(IncomeKind.BUSINESS_NET, 1800)])
    return members, declaration


def factory_job_declaration() -> Declaration:
    """SPEC §7.5: the husband's stable factory job: wages 22,950 (× 0.8 = 18,360) + farming 1,800 = 20,160 a
    year = 420.00 per capita a month, above the 375.00 standard."""
    return Declaration(income=[income(IncomeKind.WAGES, 22950, 0), income(IncomeKind.BUSINESS_NET, 1800)])


def single_elder() -> tuple[list[Member], Declaration]:
    """A 单人户: one 76-year-old unable to work, 1,200 a year of support → 100.00 per capita, 275.00."""
    return ([member("赵桂英", "19500402", "202", Relation.APPLICANT, LabourCapacity.NONE)],
            Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 1200)]))


def stable_couple() -> tuple[list[Member], Declaration]:
    """Elderly couple, one unable to work, a regular support payment: a stable household (annual review)."""
    return ([member("孙德明", "19500615", "311", Relation.APPLICANT),
             member("周淑珍", "19520920", "322", Relation.SPOUSE, LabourCapacity.NONE)],
            Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 2400)]))
