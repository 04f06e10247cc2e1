"""Cases in payment and parameter books with a second version, for the standard-change (物价联动) tests.

A case in payment is made the way the engine makes one: the pure ``decide`` drives a household through the
whole S1 procedure (受理 → investigation → information check → 初审 → 公示 → county review → approval → 公布)
under the parameters in force on ``decided_on``; nothing is forged field by field.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.actors import Actor, Role
from domain.divisions import county_of, township_of
from domain.household import AreaType, Declaration, IncomeItem, IncomeKind, Member, Program, Relation
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.parameters import ParameterBook, resolve
from domain.programmes import CaseState, decide, project
from domain.programmes.dibao.stages import Stage
from domain.verification import InfoCheckReport
from tests.builders import unique_resident_id

if TYPE_CHECKING:
    import asyncpg
    from temporalio.client import Client

TEAM = ["inv-01", "inv-02"]


def book_with_version(path: Path, version: str, effective_from: date, *, rural: str, urban: str) -> Path:
    """Write the shipped book plus a version from ``effective_from`` with new monthly standards.

    The new version copies the last one's values (so only the standards differ) and its label says it is a test.
    """
    book = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    last = book["versions"][-1]
    new = copy.deepcopy(last)
    new["version"] = version
    new["effective_from"] = effective_from.isoformat()
    new["label"] = f"test standard change {version}: rural {rural}, urban {urban} per person per month"
    new["values"]["dibao_standard_monthly"] = {"urban": urban, "rural": rural}
    book["versions"].append(new)
    path.write_text(json.dumps(book, ensure_ascii=False), encoding="utf-8")
    return path


def load_book(path: Path) -> ParameterBook:
    return ParameterBook.model_validate(json.loads(path.read_text(encoding="utf-8")))


def household(n: int) -> list[Member]:
    """Applicant, spouse and children, with fresh resident ID numbers."""
    relations = [Relation.APPLICANT, Relation.SPOUSE, *[Relation.CHILD] * max(0, n - 2)][:n]
    return [Member(name=f"成员{i}", resident_id=unique_resident_id(1975 if i < 2 else 2012), relation=relations[i])
            for i in range(n)]


def income(per_capita_monthly: str, members: int) -> Declaration:
    """Countable income of ``per_capita_monthly`` yuan per person per month (net business income, 12 months)."""
    return Declaration(income=[IncomeItem(kind=IncomeKind.BUSINESS_NET,
                                          amount=Decimal(per_capita_monthly) * members * 12)])


def in_payment_state(book: ParameterBook, *, village_code: str, per_capita_monthly: str = "200", members: int = 2,
                     area_type: AreaType = AreaType.RURAL, decided_on: date, case_id: uuid.UUID | None = None
                     ) -> CaseState:
    """A dibao case taken through the S1 procedure by ``decide`` and into payment.

    Args:
        book: the parameter book (the version in force on each day of the procedure is used).
        village_code: the household's village.
        per_capita_monthly: countable income per person per month.
        members: household size.
        area_type: urban or rural standard.
        decided_on: the day of the county's approval (the procedure starts ten days before).
        case_id: the case id (random by default).

    Returns:
        The state after 公布, stage ``in_payment``.
    """
    township, county = township_of(village_code), county_of(village_code)
    window = Actor(id="window-01", role=Role.FRONT_OFFICE, jurisdiction=township)
    caseworker = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction=township)
    township_approver = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction=township)
    county_reviewer = Actor(id="cr-01", role=Role.COUNTY_REVIEWER, jurisdiction=county)
    county_approver = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction=county)
    case_id = case_id or uuid.uuid4()
    start = datetime.combine(decided_on - timedelta(days=10), time(10, 0), tzinfo=CHINA_TZ)
    after_publicity = datetime.combine(decided_on, time(10, 0), tzinfo=CHINA_TZ)
    people = household(members)
    steps: list[tuple[datetime, Actor, Any]] = [
        (start, window, c.SubmitApplication(program=Program.DIBAO, village_code=village_code, area_type=area_type,
                                            members=people, declaration=income(per_capita_monthly, members))),
        (start, window, c.AcceptApplication()),
        (start, caseworker, c.StartInvestigation(investigators=TEAM)),
        (start, caseworker, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户核实")),
        (start, caseworker, c.RequestInfoCheck()),
        (start, SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport())),
        (start, township_approver, c.DecideVillageReview(disputed=False, reason="无争议")),
        (start, township_approver, c.IssuePrelimOpinion(eligible=True)),
        (start, caseworker, c.StartPublicity(location="村务公开栏")),
        (after_publicity, SYSTEM_ACTOR, c.ClosePublicity()),
        (after_publicity, county_reviewer, c.StartCountyReview()),
        (after_publicity, county_approver, c.Approve(reason="符合条件")),
        (after_publicity, caseworker, c.PostPublication(location="村务公开栏")),
    ]
    state: CaseState | None = None
    for now, who, command in steps:
        params = resolve(book, village_code, now.date())
        events = decide(state, command, DecisionContext(now=now, actor=who, case_id=case_id, params=params))
        state = project(events, state)
    assert state is not None and state.stage is Stage.IN_PAYMENT, state
    return state


# --- real servers -----------------------------------------------------------------------------------------


async def fresh_database(admin_uri: str) -> str:
    """A new, migrated database of its own: the mass recalculation reads *every* active case, so a test that
    shares the session database would recalculate (or count) other tests' cases."""
    from tests.databases import migrated_database

    return await migrated_database(admin_uri, "casework_sc")


async def cover_next_year(pool: asyncpg.Pool, today: date) -> None:
    """Declare next year's calendar complete in this test database, so a review deadline (20 working days) set
    near the end of a year can be computed instead of being refused until the State Council publishes it."""
    from adapters.calendar import PgCalendarOverrides

    store = PgCalendarOverrides(pool)
    year = today.year + 1
    await store.set_day(date(year, 1, 1), "holiday", "元旦 (test data)", "sc-test")
    await store.mark_year_complete(year, "test schedule", "sc-test")


async def start_in_payment(client: Client, pool: asyncpg.Pool, state: CaseState, task_queue: str) -> None:
    """Record the case in the read model and start its workflow in payment (``carried``: a run of a case in
    payment starts from its state, as after a continue-as-new)."""
    from adapters.db.cases import PgCaseStore
    from domain.ids import workflow_id_for
    from workflows.case import CaseWorkflow, CaseWorkflowInput, search_attributes_for

    await PgCaseStore(pool).record(state, [])
    application = c.SubmitApplication(program=state.program, village_code=state.village_code,
                                      area_type=state.area_type, members=list(state.members),
                                      declaration=state.declaration)
    window = Actor(id="window-01", role=Role.FRONT_OFFICE, jurisdiction=state.township_code)
    await client.start_workflow(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=state.case_id, actor=window, submitted_at=state.opened_at,
                          application=application, carried=state),
        id=workflow_id_for(state.case_id),
        task_queue=task_queue,
        search_attributes=search_attributes_for(state),
    )


async def recalculations(pool: asyncpg.Pool, version: str) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The ``benefit_recalculated`` events recorded for ``version``, per case."""
    rows = await pool.fetch(
        "SELECT case_id, payload FROM case_events WHERE type = 'benefit_recalculated' AND payload->>'version' = $1",
        version,
    )
    out: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["case_id"], []).append(r["payload"])
    return out
