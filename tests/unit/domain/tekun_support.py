"""Builders for 特困 domain tests: a person, the parameters, and the procedure driven through ``decide``."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.actors import Actor, Role
from domain.household import AreaType, Declaration, IncomeItem, IncomeKind, Member, Program, Relation
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.parameters import ParameterBook, ResolvedParameters, resolve
from domain.programmes import decide, project
from domain.programmes.tekun.state import TekunState
from domain.verification import InfoCheckReport
from tests.builders import FIXED_NOW, JINSHAN_VILLAGE, resident_id

TODAY = FIXED_NOW.date()  # 2026-11-02
WINDOW = Actor(id="w1", role=Role.FRONT_OFFICE, jurisdiction="532302101")
CASEWORKER = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction="532302101")
TOWNSHIP_APPROVER = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction="532302101")
COUNTY_REVIEWER = Actor(id="cr-01", role=Role.COUNTY_REVIEWER, jurisdiction="532302")
COUNTY_APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction="532302")
VILLAGE = Actor(id="vc-01", role=Role.VILLAGE_COMMITTEE, jurisdiction="532302101001")
TEAM = ["inv-01", "inv-02"]
COUNTY_TEAM = ["cr-01", "cr-02"]


def params(**tekun: Any) -> ResolvedParameters:
    """The shipped book's parameters in force today, with the tekun section's values replaced."""
    raw = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    for version in raw["versions"]:
        version["values"]["tekun"].update(tekun)
    return resolve(ParameterBook.model_validate(raw), JINSHAN_VILLAGE, TODAY)


PARAMS = params()


def born(years_ago: int, days: int = 0, seq: str = "101") -> str:
    """A resident ID of someone who turns ``years_ago`` years old ``days`` days from today (negative: ago)."""
    d = TODAY.replace(year=TODAY.year - years_ago) + timedelta(days=days)
    return resident_id(birth=d.strftime("%Y%m%d"), seq=seq)


def apply(age: int = 72, *, days: int = -30, monthly_income: str = "0", area: AreaType = AreaType.RURAL,
          income_kind: IncomeKind = IncomeKind.BUSINESS_NET, declaration: Declaration | None = None
          ) -> c.SubmitApplication:
    income = Decimal(monthly_income) * 12
    return c.SubmitApplication(
        program=Program.TEKUN, village_code=JINSHAN_VILLAGE, area_type=area,
        members=[Member(name="特困甲", resident_id=born(age, days), relation=Relation.APPLICANT)],
        declaration=declaration or Declaration(income=[IncomeItem(kind=income_kind, amount=income)] if income else []),
    )


class Driver:
    """Runs commands through the pure ``decide`` and ``project``, a minute apart (or at a given instant)."""

    def __init__(self, p: ResolvedParameters = PARAMS, start: datetime = FIXED_NOW, case_id: UUID | None = None):
        self.params = p
        self.now = start
        self.case_id = case_id or uuid4()
        self.state: Any = None
        self.events: list[Any] = []

    def ctx(self, who: Actor, **extra: Any) -> DecisionContext:
        return DecisionContext(now=self.now, actor=who, case_id=self.case_id, params=self.params, **extra)

    def do(self, who: Actor, cmd: Any, *, after: timedelta = timedelta(minutes=1), **extra: Any) -> TekunState:
        self.now += after
        events = decide(self.state, cmd, self.ctx(who, **extra))
        self.events += events
        self.state = project(events, self.state)
        return self.state

    def try_(self, who: Actor, cmd: Any, **extra: Any) -> list[Any]:
        return decide(self.state, cmd, self.ctx(who, **extra))

    def close_publicity(self) -> TekunState:
        return self.do(SYSTEM_ACTOR, c.ClosePublicity(), after=timedelta(days=8))

    # --- the path -----------------------------------------------------------------------------------------

    def investigated(self, app: c.SubmitApplication | None = None, facts: c.RecordEligibilityFacts | None = None,
                     report: InfoCheckReport | None = None) -> TekunState:
        self.do(WINDOW, app or apply())
        self.do(WINDOW, c.AcceptApplication())
        self.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
        self.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="独居，无收入"))
        self.do(CASEWORKER, c.RequestInfoCheck())
        self.do(SYSTEM_ACTOR, c.CompleteInfoCheck(report=report or InfoCheckReport()))
        return self.do(CASEWORKER, facts or c.RecordEligibilityFacts())

    def assessed(self, failed: tuple[c.AdlItem, ...] = (), form: str = "dispersed",
                 institution: str | None = None) -> TekunState:
        self.do(COUNTY_REVIEWER, c.RecordSelfCareAssessment(failed_items=list(failed), assessors=COUNTY_TEAM))
        return self.do(CASEWORKER, c.ChooseSupportForm(form=form, institution_id=institution))

    def published(self) -> TekunState:
        self.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))
        self.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
        self.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
        return self.close_publicity()

    def drawn(self, drawn: bool, others: int = 3) -> TekunState:
        """A draw over this case and ``others`` of the township, with a seed that does (or does not) draw it."""
        from domain.programmes.tekun.rules import county_check_draw

        batch = [self.case_id, *(UUID(int=i + 1) for i in range(others))]
        rate = self.params.values.tekun.county_check_rate
        seed = next(f"seed-{i:04d}" for i in range(10_000)
                    if (self.case_id in county_check_draw(batch, f"seed-{i:04d}", rate)) is drawn)
        return self.do(COUNTY_REVIEWER, c.RecordCountyCheckDraw(
            draw_id=uuid4(), seed=seed, township_code="532302101", batch=batch,
            drawn=list(county_check_draw(batch, seed, rate))))

    def approved(self, failed: tuple[c.AdlItem, ...] = (), form: str = "dispersed",
                 institution: str | None = None) -> TekunState:
        self.investigated()
        self.assessed(failed, form, institution)
        self.published()
        self.drawn(False)
        self.do(COUNTY_REVIEWER, c.StartCountyReview())
        return self.do(COUNTY_APPROVER, c.Approve(reason="符合特困人员认定条件"))

    def in_payment(self, **kw: Any) -> TekunState:
        self.approved(**kw)
        return self.do(CASEWORKER, c.PostPublication(location="村务公开栏"))


def supporter(relation: str = "child", **kw: Any) -> c.Supporter:
    return c.Supporter(relation=relation, signed_check_authorisation=True, **kw)


def on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=FIXED_NOW.tzinfo)
