"""Export golden histories for the replay tests: ``python -m tests.workflows.export_history NAME|ALL``.

Run at release time for each new workflow path (STYLE guideline 14); commit the JSON under ``histories/``
(``histories/README.md`` says which branch each file covers; ``test_replay.py`` checks that claim).

``ALL`` exports every scenario added since the first deployed histories; the deployed ones (``case_v1_*`` to
``case_v3_*``) are the record of what ran and are re-exported only when asked for by name. Each scenario gets
a Temporal server and a migrated database of its own on one throwaway embedded PostgreSQL: the time-skipping
test server for the case's timers, or the dev server (``temporal server start-dev``, custom search attributes
registered) for the review sweep and the mass recalculation, which read every case in their database and whose
cases keep their search attributes as in production. A scenario may write several files: one per workflow run
(a case continues as new at each review cycle; the recalculation every ``batches_per_run`` batches).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.calendar import PgCalendarOverrides, package_calendar_data
from adapters.db.cases import PgCaseMembers, PgCaseStore
from adapters.db.economic_records import PgEconomicRecords
from adapters.db.migrate import migrate
from adapters.db.payments import generate_roll
from adapters.db.pool import create_pool, ensure_database
from adapters.parameters import DEFAULT_BOOK, ParameterFile
from adapters.temporal.search_attributes import dev_server_search_attribute_args
from devstack.embedded import EmbeddedPostgres, temporal_cli_path, temporal_test_server_path
from domain import commands as c
from domain.calendar import provisional_year
from domain.actors import Actor
from domain.household import AreaType, Declaration, IncomeItem, IncomeKind, Member, Program, Relation
from domain.kernel.clock import CHINA_TZ
from domain.kernel.state import Deadline, EarlierCase
from domain.months import add_months, first_day, month_after, month_of
from domain.procedure.records import OpenReview
from domain.programmes import CaseState
from domain.programmes.dibao.stages import Stage
from domain.programmes.tekun.stages import Stage as TekunStage
from domain.programmes.temporary.stages import Stage as TStage
from domain.temporary import InKindItem, ReportSource, Severity, TemporaryCause, TemporaryRequest, TemporaryType
from domain.verification import RecordSource
from services.cases import CaseGateway
from domain.kernel.context import SYSTEM_ACTOR
from tests.builders import JINSHAN, JINSHAN_VILLAGE, application, resident_id, unique_resident_id
from tests.params import book_with
from tests.standard_change_cases import book_with_version, in_payment_state, load_book
from tests.workflows.helpers import running_worker, start_case, wait_for_case_row
from tests.workflows.lifecycle import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    HOME_VISIT,
    NO_DISPUTE,
    TEAM,
    TOWNSHIP_APPROVER,
    WINDOW,
    Case,
    income_per_capita,
    investigate,
    to_payment,
    to_publicity,
)
from worker.main import build_worker
from workflows.allowance_catch_up import AllowanceCatchUpWorkflow
from workflows.case import CaseWorkflow, CaseWorkflowInput, search_attributes_for
from workflows.models import AllowanceCatchUpInput, RecomputeDeadlinesInput, StandardChangeInput, StandardChangeResult
from workflows.review_sweep import ReviewSweepWorkflow, SweepInput
from workflows.standard_change import StandardChangeWorkflow, StandardChangeWorkflowInput

HISTORIES = Path(__file__).parent / "histories"

#: A history above this many bytes is too big to keep in the repository (and to replay quickly).
MAX_BYTES = 600_000

COUNTY_TEAM = ["cr-01", "cr-02"]


# --- the export harness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    """One history to write: ``histories/<stem>.json`` from run ``run_id`` (None: the latest run)."""

    stem: str
    workflow_id: str
    run_id: str | None = None


@dataclass
class Export:
    """What a scenario drives with: a server, a migrated database of its own and the production worker."""

    env: WorkflowEnvironment
    pool: asyncpg.Pool
    tmp: Path
    worker: Worker
    stack: AsyncExitStack
    #: The server has the custom search attributes (the dev server): cases keep them as in production.
    index: bool

    @property
    def client(self) -> Client:
        return self.env.client

    async def worker_with(self, book: Path, task_queue: str | None = None) -> Worker:
        """Another production worker, reading ``book``, alive until the export ends (a worker stopped while
        its cases hold timers would stall the time-skipping server)."""
        worker = build_worker(self.client, self.pool, task_queue or f"tq-{uuid.uuid4()}", ParameterFile(book))
        return await self.stack.enter_async_context(worker)

    async def today(self) -> date:
        """The server's date in China (the time-skipping server's clock moves as time is skipped)."""
        return (await self.env.get_current_time()).astimezone(CHINA_TZ).date()

    async def skip_to(self, day: date, hour: int = 9) -> None:
        """Skip the server's clock to ``hour`` o'clock on ``day`` (China time)."""
        now = await self.env.get_current_time()
        target = datetime(day.year, day.month, day.day, hour, tzinfo=CHINA_TZ)
        if target > now:
            await self.env.sleep(target - now)

    def case(self, workflow_id: str) -> Case:
        """The case by workflow id alone: messages reach the newest run, across continue-as-new."""
        return Case(self.client.get_workflow_handle_for(CaseWorkflow.run, workflow_id))

    async def new_case(self, app: c.SubmitApplication | None = None, worker: Worker | None = None) -> Case:
        """A case just submitted at the window (by default a rural household of two at 100 yuan a head)."""
        app = app or application(unique=True, declaration=income_per_capita(Decimal("100"), 2))
        case_id = uuid.uuid4()
        handle = await start_case(self.client, worker or self.worker, case_id=case_id, app=app)
        await wait_for_case_row(self.pool, case_id)
        return self.case(handle.id)

    async def carried(self, state: CaseState, worker: Worker | None = None,
                      task_queue: str | None = None) -> Case:
        """A run of a case in payment, started from its state as every run after a continue-as-new starts;
        the case's row is recorded first, as the run before it left it."""
        await PgCaseStore(self.pool).record(state, [])
        app = c.SubmitApplication(program=state.program, village_code=state.village_code,
                                  area_type=state.area_type, members=list(state.members),
                                  declaration=state.declaration)
        handle = await self.client.start_workflow(
            CaseWorkflow.run,
            CaseWorkflowInput(case_id=state.case_id, actor=WINDOW, submitted_at=state.opened_at,
                              application=app, carried=state, index_in_visibility=self.index),
            id=f"case-{state.case_id}",
            task_queue=task_queue or (worker or self.worker).task_queue,
            search_attributes=search_attributes_for(state) if self.index else None,
        )
        return self.case(handle.id)

    async def runs(self, workflow_id: str, at_least: int = 1, timeout: float = 30) -> list[str]:
        """The run ids of a workflow's chain of runs, first to last (following each continue-as-new), once
        there are ``at_least``."""
        info = (await self.client.get_workflow_handle(workflow_id).describe()).raw_description
        first_run_id = info.workflow_execution_info.first_run_id
        assert first_run_id, "the server does not say which run came first"
        async with asyncio.timeout(timeout):
            while True:
                chain = [first_run_id]
                while True:
                    run = self.client.get_workflow_handle(workflow_id, run_id=chain[-1])
                    last = (await run.fetch_history()).events[-1]
                    if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                        break
                    continued = last.workflow_execution_continued_as_new_event_attributes
                    chain.append(continued.new_execution_run_id)
                if len(chain) >= at_least:
                    return chain
                await asyncio.sleep(0.1)


async def review_ready(case: Case, timeout: float = 30) -> None:
    """Wait until a review is open and its information check is recorded (S1 Art. 31)."""
    async with asyncio.timeout(timeout):
        while True:
            state = (await case.snap()).state
            if state.stage is Stage.UNDER_REVIEW and state.info_check is not None:
                return
            await asyncio.sleep(0.05)


async def escalated(case: Case, *steps: str, timeout: float = 30) -> None:
    """Wait until the case's timers have escalated the deadlines of ``steps``."""
    async with asyncio.timeout(timeout):
        while True:
            deadlines = (await case.snap()).state.deadlines
            if all(s in deadlines and deadlines[s].escalated for s in steps):
                return
            await asyncio.sleep(0.05)


async def import_extract(x: Export, source: RecordSource, rows: list[tuple[str, str, str, str]]) -> None:
    """Load a departmental CSV extract (resident_id, kind, amount, detail) for the information check."""
    path = x.tmp / f"{source.value}-{uuid.uuid4().hex[:8]}.csv"
    path.write_text("\n".join(["resident_id,kind,amount,detail", *(",".join(r) for r in rows)]) + "\n",
                    encoding="utf-8")
    await PgEconomicRecords(x.pool).import_csv(path, source, "county-check-01")


def monthly_income(per_capita: Decimal, n: int) -> Declaration:
    return Declaration(income=[IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=per_capita * n * 12)])


def paying(today: date, *, members: int, per_capita: str, decided_days_ago: int = 60,
           case_id: uuid.UUID | None = None, decided_on: date | None = None) -> CaseState:
    """A 金山镇 household taken by the pure domain through the S1 procedure and into payment under the shipped
    book (able-bodied adults: a review every six months)."""
    return in_payment_state(load_book(DEFAULT_BOOK), village_code=JINSHAN_VILLAGE,
                            per_capita_monthly=per_capita, members=members,
                            decided_on=decided_on or today - timedelta(days=decided_days_ago),
                            case_id=case_id)


# --- 残疾人两项补贴, 高龄津贴 and the kernel's links (issue 17; SPEC §6.2, §6.3) ---------------------------


async def _claimed(x: Export, program: str, app: Any, who: Any = None) -> Case:
    """A case opened with its members claimed in ``case_members`` (as the API claims them), so the kernel's
    links and the allowance rules find the person's other cases."""
    case_id = uuid.uuid4()
    ids = [m.resident_id for m in getattr(app, "members", None) or [app.member]]
    await PgCaseMembers(x.pool).claim(case_id, program, ids, actor_id="export", request_sha256=case_id.hex * 2)
    handle = await start_case(x.client, x.worker, case_id=case_id, app=app, who=who)
    await wait_for_case_row(x.pool, case_id)
    return x.case(handle.id)


def _disability_app(person: Member, grade: int = 1) -> c.SubmitApplication:
    return c.SubmitApplication(program=Program.DISABILITY_SUBSIDIES, village_code=JINSHAN_VILLAGE,
                               area_type=AreaType.RURAL,
                               members=[person.model_copy(update={"relation": Relation.APPLICANT,
                                                                  "disability_grade": grade})])


def _enrolment(person: Member, band: int) -> c.ProposeEnrolment:
    return c.ProposeEnrolment(program=Program.OLD_AGE_ALLOWANCE, village_code=JINSHAN_VILLAGE,
                              member=person.model_copy(update={"relation": Relation.APPLICANT}), band_min_age=band,
                              source="户籍数据比对 高龄")


_REVIEW = c.ReviewAllowance(disability_kind=c.DisabilityKind.PHYSICAL, grade=1, certificate_number="53230219400101",
                            long_term_care=True, recommend=True, note="核对第二代残疾人证")


async def _until(predicate: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.1)


async def allowance_links(x: Export) -> list[Exported]:
    """An 86-year-old disabled member of a dibao household with a 两项补贴 case (received elsewhere: 跨省通办)
    and a 高龄津贴 case. The dibao stop reviews the living subsidy (a link on both trails); the review keeps the
    care subsidy; the death reported on the 两项补贴 case stops it and reaches the dibao and 高龄津贴 cases."""
    today = await x.today()
    state = paying(today, members=2, per_capita="200")
    members = list(state.members)
    members[0] = members[0].model_copy(update={"resident_id": unique_resident_id(1940)})
    state = state.model_copy(update={"members": tuple(members)})
    await PgCaseMembers(x.pool).claim(state.case_id, "dibao", [m.resident_id for m in members], actor_id="export",
                                      request_sha256=state.case_id.hex * 2)
    dibao = await x.carried(state)
    person = members[0]
    disabled = await _claimed(x, "disability_subsidies", _disability_app(person))
    await disabled.do(WINDOW, c.RecordOffsiteReceipt(received_in_code="510104", received_on=today))
    await disabled.do(CASEWORKER, _REVIEW)
    await disabled.do(COUNTY_APPROVER, c.ConfirmAllowance(note="县级确认"))
    elder = await _claimed(x, "old_age_allowance", _enrolment(person, 80), SYSTEM_ACTOR)
    await elder.do(TOWNSHIP_APPROVER, c.ConfirmAllowance(note="乡镇确认"))
    await dibao.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.MOVED_AWAY, reasons=["户籍迁出"]))

    async def reviewing() -> bool:
        return str((await disabled.snap()).state.stage) == "under_review"

    await _until(reviewing)
    await disabled.do(TOWNSHIP_APPROVER, c.DecideAllowanceReview(note="家庭已停保，生活补贴停发，护理补贴继续"))
    await disabled.do(CASEWORKER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=0,
                                                   occurred_on=today - timedelta(days=1), source="殡葬数据比对"))
    await disabled.handle.result()

    async def elder_stopped() -> bool:
        return str((await elder.snap()).state.stage) == "exited"

    await _until(elder_stopped)
    await elder.handle.result()
    runs = await x.runs(disabled.handle.id, at_least=2)
    return [Exported("case_v7_links_dibao_stopped", dibao.handle.id),
            Exported("case_v7_links_disability_run1_reviewed", disabled.handle.id, runs[0]),
            Exported("case_v7_links_disability_run2_died", disabled.handle.id, runs[1]),
            Exported("case_v7_links_old_age_stopped_by_death", elder.handle.id)]


async def allowance_end_branches(x: Export) -> list[Exported]:
    """两项补贴: the township's limit passes (escalation) and it does not recommend (refused); a 跨省通办
    forward returned; a withdrawal after the township's review. 高龄津贴: the township finds the person not
    entitled (refused)."""
    people = [Member(name=f"测试{i}", resident_id=unique_resident_id(1960), relation=Relation.APPLICANT)
              for i in range(3)]
    refused = await _claimed(x, "disability_subsidies", _disability_app(people[0], grade=3))
    await x.env.sleep(timedelta(days=20))
    await escalated(refused, "township_review")
    await refused.do(CASEWORKER, _REVIEW.model_copy(update={"grade": 3, "long_term_care": False,
                                                            "recommend": False, "note": "不符合条件"}))
    await refused.handle.result()
    forwarded = await _claimed(x, "disability_subsidies", _disability_app(people[1]))
    await forwarded.do(WINDOW, c.ForwardApplication(destination_code="510104", note="户籍在四川省成都市，转户籍地办理"))
    await forwarded.do(WINDOW, c.RecordForwardingOutcome(status="returned", note="户籍地退回：已在当地享受"))
    await forwarded.handle.result()
    withdrawn = await _claimed(x, "disability_subsidies", _disability_app(people[2]))
    await withdrawn.do(CASEWORKER, _REVIEW)
    await withdrawn.do(WINDOW, c.WithdrawApplication(reason="申请人撤回"))
    await withdrawn.handle.result()
    elder = Member(name="测试老", resident_id=unique_resident_id(1944), relation=Relation.APPLICANT)
    not_here = await _claimed(x, "old_age_allowance", _enrolment(elder, 80), SYSTEM_ACTOR)
    await not_here.do(TOWNSHIP_APPROVER, c.RefuseAllowance(reasons=["长期在外省居住，已在居住地领取"]))
    await not_here.handle.result()
    return [Exported("case_v7_disability_escalated_refused", refused.handle.id),
            Exported("case_v7_disability_forwarded_returned", forwarded.handle.id),
            Exported("case_v7_disability_withdrawn", withdrawn.handle.id),
            Exported("case_v7_old_age_refused", not_here.handle.id)]


async def old_age_band_survival(x: Export) -> list[Exported]:
    """高龄津贴 found in the hukou data at 89; the township's limit escalates before it confirms; the case's own
    timer moves the person to the 90 band on the birthday; the survival check is missed (payment held), done
    late (resumed, months owed) — a new run — and a death alert stops it from the next month."""
    today = await x.today()
    born = date(today.year - 90, 1, 1) + timedelta(days=(today - date(today.year, 1, 1)).days + 40)
    person = Member(name="测试寿", resident_id=resident_id(birth=born.strftime("%Y%m%d"), seq="517"),
                    relation=Relation.APPLICANT)
    case = await _claimed(x, "old_age_allowance", _enrolment(person, 80), SYSTEM_ACTOR)
    await x.env.sleep(timedelta(days=20))
    await escalated(case, "enrolment_confirmation")
    await case.do(TOWNSHIP_APPROVER, c.ConfirmAllowance(note="乡镇确认"))
    await x.env.sleep(timedelta(days=30))

    async def moved_band() -> bool:
        return (await case.snap()).state.band_min_age == 90

    await _until(moved_band)
    await x.env.sleep(timedelta(days=400))

    async def held() -> bool:
        return str((await case.snap()).state.stage) == "payment_held"

    await _until(held)
    await x.env.sleep(timedelta(days=35))
    checked = await x.today()
    await case.do(CASEWORKER, c.RecordSurvivalCheck(checked_on=checked, method="home_visit"))
    runs = await x.runs(case.handle.id, at_least=2)
    await case.do(CASEWORKER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=0, occurred_on=checked,
                                               source="殡葬数据比对"))
    await case.handle.result()
    return [Exported("case_v7_old_age_run1_band_held_resumed", case.handle.id, runs[0]),
            Exported("case_v7_old_age_run2_died", case.handle.id, runs[1])]


async def old_age_survival_escalated_held(x: Export) -> list[Exported]:
    """高龄津贴 under the patch old-age-survival-escalation-v1: the survival check's limit is a kernel deadline
    (set with the grant); missed, it escalates (timer, no decision); a township approver holds payment
    (``hold_payment``); the late check resumes it with the months owed and sets the next limit — a new run —
    and a death alert stops it."""
    person = Member(name="测试认", resident_id=unique_resident_id(1941), relation=Relation.APPLICANT)
    case = await _claimed(x, "old_age_allowance", _enrolment(person, 80), SYSTEM_ACTOR)
    await case.do(TOWNSHIP_APPROVER, c.ConfirmAllowance(note="乡镇确认"))
    await x.env.sleep(timedelta(days=400))
    await escalated(case, "survival_check")
    await case.do(TOWNSHIP_APPROVER, c.HoldPayment(reason="逾期未完成生存认证，经乡镇审批暂停发放"))
    await x.env.sleep(timedelta(days=35))
    checked = await x.today()
    await case.do(CASEWORKER, c.RecordSurvivalCheck(checked_on=checked, method="video"))
    runs = await x.runs(case.handle.id, at_least=2)
    await case.do(CASEWORKER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=0, occurred_on=checked,
                                               source="殡葬数据比对"))
    await case.handle.result()
    return [Exported("case_v8_old_age_survival_escalated_held", case.handle.id, runs[0])]


# --- the deployed scenarios (re-exported only by name) ---------------------------------------------------


async def _review_cycle(env: WorkflowEnvironment, case: Case) -> str | None:
    """Into payment, a reported change, the review's information check and a no-change decision: the first
    run, which ends by continuing as new (one run per review cycle)."""
    await to_payment(env, case)
    await case.do(WINDOW, c.ReportChange(declaration=income_per_capita(Decimal("100"), 2), note="例行报告"))
    await _checked(case)
    await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["无变化"]))
    return case.handle.result_run_id


async def _gradual_exit(env: WorkflowEnvironment, case: Case) -> str | None:
    """A carried run: income above the standard through employment, a 渐退期, its end, the stop and its
    notice; the run that starts after the review cycle, to completion."""
    await to_payment(env, case)
    await case.do(WINDOW, c.ReportChange(declaration=income_per_capita(Decimal("500"), 2), note="务工收入增加"))
    await _checked(case)
    await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["务工收入超标"], gradual_exit_months=2,
                                                  income_from_employment=True))
    await env.sleep(timedelta(days=100))
    await case.wait_stage(Stage.EXITED)
    await case.do(CASEWORKER, c.ServeStopNotice())
    await case.handle.result()
    return None


async def _checked(case: Case) -> None:
    async with asyncio.timeout(20):
        while (s := (await case.snap()).state).info_check is None or s.stage is not Stage.UNDER_REVIEW:
            await asyncio.sleep(0.05)


def _deployed(name: str, drive: Callable[[WorkflowEnvironment, Case], Awaitable[str | None]] | None
              ) -> Callable[[Export], Awaitable[list[Exported]]]:
    async def run(x: Export) -> list[Exported]:
        case_id = uuid.uuid4()
        app = application(unique=True, declaration=income_per_capita(Decimal("100"), 2))
        handle = await start_case(x.client, x.worker, case_id=case_id, app=app)
        await wait_for_case_row(x.pool, case_id)
        run_id = await drive(x.env, Case(handle)) if drive is not None else None
        return [Exported(name, handle.id, run_id)]

    return run


# --- the dibao procedure's other branches (S1; SPEC §3) --------------------------------------------------


async def objection_reinvestigation_rejected(x: Export) -> list[Exported]:
    """A villager objects during the 公示 (the limit extended to 45 working days on that ground); after the
    window the township orders a re-investigation, which finds work income; the re-issued 'ineligible'
    opinion goes to the county without a second 公示; the county refuses, the notice is served and the case
    closes (S1 Arts. 19, 21, 22, 38)."""
    case = await x.new_case()
    await to_publicity(case)
    await x.env.sleep(timedelta(days=3))
    await case.do(CASEWORKER, c.LogObjection(real_name=True, content="村民反映该户申请人常年在县城务工"))
    await case.do(TOWNSHIP_APPROVER, c.ExtendDeadline(ground=c.ExtensionGround.PUBLICITY_OBJECTION,
                                                      reason="公示期间有实名异议，需重新调查"))
    await x.env.sleep(timedelta(days=5))
    await case.wait_stage(Stage.OBJECTION_RECEIVED)
    await case.do(TOWNSHIP_APPROVER, c.ResolveObjection(path="reinvestigation", reason="异议涉及收入认定，重新入户调查"))
    await case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True,
                                                findings="重新入户：申请人在县城务工，月工资约3000元"))
    reasons = ["重新调查核实申请人有稳定务工收入，家庭人均收入高于当地低保标准"]
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=reasons))
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await case.do(COUNTY_APPROVER, c.Reject(reasons=reasons))
    await case.do(CASEWORKER, c.ServeRejectionNotice())
    await case.handle.result()
    return [Exported("case_v4_objection_reinvestigation_rejected", case.handle.id)]


async def materials_appraisal_complaint_approved(x: Export) -> list[Exported]:
    """补正 then 受理 with a close relative filed; home, neighbour and letter evidence; a disputed case goes to
    民主评议; a 公示 counted in working days (the calendar activity dates its end); a real-name complaint at the
    county answered after the county's own home visit; approval and 公布 into payment (S1 Arts. 10, 11, 16,
    19, 20, 24, 37)."""
    worker = await x.worker_with(book_with(x.tmp / "working_day.json", publicity_unit="working_day"))
    case = await x.new_case(worker=worker)
    await case.do(WINDOW, c.NotifyMissingMaterials(items=[c.Material.PLEDGE, c.Material.CHECK_AUTHORISATION]))
    await x.env.sleep(timedelta(days=2))
    await case.do(WINDOW, c.AcceptApplication(close_relatives=[c.CloseRelative(
        member_index=0, related_to="village_committee_member", note="申请人之弟为村委会委员")]))
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, HOME_VISIT)
    await case.do(CASEWORKER, c.RecordNeighbourVisit(notes="走访邻居两户，反映情况与申报一致"))
    await case.do(CASEWORKER, c.RecordLetterEvidence(notes="向申请人原工作单位发函，回函证实已离职"))
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await case.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=True, reason="村民对该户收入有不同看法"))
    await case.do(CASEWORKER, c.RecordDemocraticAppraisal(
        minutes="宣讲政策、介绍情况、现场评议、形成结论、签字确认",
        attendance=[*(c.Attendee(staff_or_member_id=f"rep-{i:02d}", villager_representative=True)
                      for i in range(5)),
                    c.Attendee(staff_or_member_id="staff-01", villager_representative=False)],
        signed=True, conclusion="eligible"))
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=14))
    await case.wait_stage(Stage.SUBMITTED_TO_COUNTY)
    await case.do(COUNTY_REVIEWER, c.LogComplaint(real_name=True, content="实名举报：该户有亲属在村委会任职"))
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=COUNTY_TEAM,
                                                           findings="县级入户核查：家庭收入与申报一致"))
    await case.do(COUNTY_REVIEWER, c.ResolveComplaint(feedback_sent=True, finding="经核查，举报不影响认定；已反馈举报人"))
    await case.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    await case.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
    return [Exported("case_v4_materials_appraisal_complaint_approved", case.handle.id)]


async def close_relative_staff_recused(x: Export) -> list[Exported]:
    """受理 with a close relative filed who is a township case worker, named by staff id: the filing and the
    recusal (回避) are recorded; the township investigates without him; the county's own home visit, then
    approval and 公布 into payment (S1 Arts. 11, 16, 19, 20 para 2, 24; issue 20 item 3)."""
    case = await x.new_case()
    await case.do(WINDOW, c.AcceptApplication(close_relatives=[c.CloseRelative(
        member_index=0, related_to="case_worker", note="申请人之兄为镇民政所低保经办人员", staff_id="inv-07")]))
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, HOME_VISIT)
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await case.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=8))
    await case.wait_stage(Stage.SUBMITTED_TO_COUNTY)
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=COUNTY_TEAM,
                                                           findings="县级入户核查：家庭收入与申报一致"))
    await case.do(COUNTY_APPROVER, c.Approve(reason="经县级入户核查符合条件"))
    await case.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
    return [Exported("case_v6_close_relative_staff_recused", case.handle.id)]


async def _deposit_case(x: Export) -> Case:
    """A case whose information check finds an undeclared 150,000-yuan deposit of the applicant."""
    app = application(unique=True, declaration=income_per_capita(Decimal("100"), 2))
    applicant = app.members[0].resident_id
    await import_extract(x, RecordSource.DEPOSIT, [(applicant, "deposit", "150000.00", "定期存款")])
    case = await x.new_case(app)
    await investigate(case)
    return case


async def check_objection_withdrawn(x: Export) -> list[Exported]:
    """The check finds an undeclared deposit; the applicant is told and objects with evidence; the recheck
    resumes the investigation (T0 kept) and the applicant then withdraws (S1 Arts. 17, 18; SPEC §3.2)."""
    case = await _deposit_case(x)
    await case.do(CASEWORKER, c.NotifyInfoCheckIneligible(reasons=["信息核对发现存款150000元，超过规定"]))
    await case.do(WINDOW, c.ObjectToCheckResult(evidence="银行证明：该定期存款属申请人之兄，仅以申请人名义代存"))
    await case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="复查入户"))
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await case.do(WINDOW, c.WithdrawApplication(reason="申请人外出务工，主动撤回申请"))
    await case.handle.result()
    return [Exported("case_v4_check_objection_withdrawn", case.handle.id)]


async def check_ineligible_rejected_escalated(x: Export) -> list[Exported]:
    """The check shows ineligibility and the applicant does not object: an 'ineligible' opinion goes to the
    county without 公示 (submit_to_county), the county refuses; the 3-working-day limit for the notice
    passes and the timer escalates (never decides), then the notice is served and the case closes (S1 Arts.
    18, 21)."""
    case = await _deposit_case(x)
    reasons = ["信息核对发现存款150000元，家庭财产超过规定"]
    await case.do(CASEWORKER, c.NotifyInfoCheckIneligible(reasons=reasons))
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=reasons))
    await case.do(CASEWORKER, c.SubmitToCounty())
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await case.do(COUNTY_APPROVER, c.Reject(reasons=reasons))
    await x.env.sleep(timedelta(days=10))
    await escalated(case, "rejection_notice")
    await case.do(CASEWORKER, c.ServeRejectionNotice())
    await case.handle.result()
    return [Exported("case_v4_check_ineligible_rejected_escalated", case.handle.id)]


async def reapplication_linked(x: Export) -> list[Exported]:
    """A household refused by the county (its notice not yet served: the refusal is decided, S1 Art. 21) applies
    again; at intake the engine finds the refused case in the register and links it to the new one, recorded
    with the application (``earlier_cases_linked``: S4 Art. 59, S1 Art. 20); the new case is then accepted.
    The members are claimed as the API claims them, so the register knows them."""
    members = PgCaseMembers(x.pool)
    first = uuid.uuid4()
    app = application(unique=True, declaration=income_per_capita(Decimal("500"), 2))
    ids = [m.resident_id for m in app.members]
    await members.claim(first, app.program.value, ids, actor_id=WINDOW.id, request_sha256="golden-first")
    handle = await start_case(x.client, x.worker, case_id=first, app=app)
    await wait_for_case_row(x.pool, first)
    refused = Case(handle)
    await investigate(refused)
    await refused.do(TOWNSHIP_APPROVER, NO_DISPUTE)
    reasons = ["家庭人均收入高于当地低保标准"]
    await refused.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=reasons))
    await refused.do(CASEWORKER, c.SubmitToCounty())
    await refused.do(COUNTY_REVIEWER, c.StartCountyReview())
    await refused.do(COUNTY_APPROVER, c.Reject(reasons=reasons))

    second = uuid.uuid4()
    earlier = await members.earlier_cases(second, ids)
    assert [(e.case_id, e.outcome, e.reasons) for e in earlier] == [(first, "rejected", tuple(reasons))], earlier
    await members.claim(second, app.program.value, ids, actor_id=WINDOW.id, request_sha256="golden-second")
    handle = await start_case(x.client, x.worker, case_id=second, app=app.model_copy(update={"earlier_cases": earlier}))
    await wait_for_case_row(x.pool, second)
    case = Case(handle)
    await case.do(WINDOW, c.AcceptApplication())
    assert (await case.snap()).state.earlier_cases == earlier
    return [Exported("case_v6_reapplication_linked", case.handle.id)]


async def refused_referred_to_temporary(x: Export) -> list[Exported]:
    """The county refuses (income above the standard); before the refusal notice is served the township refers the
    household to 临时救助 (转介 / 转办, S4 Art. 60; S5 item 23): ``referral_recorded`` on this case, listed for
    the receiving window. The notice is then served and the case closes (S1 Art. 21)."""
    case = await x.new_case(application(unique=True, declaration=income_per_capita(Decimal("500"), 2)))
    await investigate(case)
    await case.do(TOWNSHIP_APPROVER, NO_DISPUTE)
    reasons = ["家庭人均收入高于当地低保标准"]
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=reasons))
    await case.do(CASEWORKER, c.SubmitToCounty())
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await case.do(COUNTY_APPROVER, c.Reject(reasons=reasons))
    await case.do(CASEWORKER, c.RecordReferral(to_program=Program.TEMPORARY, member_indexes=[0, 1],
                                               note="家庭成员突发重病，医疗支出大，转临时救助"))
    await case.do(CASEWORKER, c.ServeRejectionNotice())
    await case.handle.result()
    return [Exported("case_v7_refused_referred_to_temporary", case.handle.id)]


async def escalation_noncooperation(x: Export) -> list[Exported]:
    """Nobody acts for 60 days after 受理: the timers escalate the 3-wd start and the 30-wd overall limits (the
    case stays where it was); the investigation starts late, the family twice refuses the home visit, and the
    procedure is ended for non-cooperation (S1 Arts. 15, 22, 29; SPEC §0.1)."""
    case = await x.new_case()
    await case.do(WINDOW, c.AcceptApplication())
    await x.env.sleep(timedelta(days=60))
    await escalated(case, "start_investigation", "overall")
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await escalated(case, "prelim_opinion")
    await case.do(CASEWORKER, c.RecordNonCooperation(note="第一次拒绝入户调查，无正当理由"))
    await case.do(CASEWORKER, c.RecordNonCooperation(note="第二次拒绝入户调查，无正当理由"))
    await case.do(TOWNSHIP_APPROVER, c.TerminateForNonCooperation(reason="两次无正当理由拒绝入户调查"))
    await case.handle.result()
    return [Exported("case_v4_escalation_noncooperation", case.handle.id)]


async def timers_decide_at_their_instant(x: Export) -> list[Exported]:
    """Every timer of a case decided at the instant it was set for (patch ``case-timer-instant-v1``): the 公示
    window closes on its own, the county's decision limit passes and escalates (never decides), the county
    approves, and a year on the periodic review opens on its due day (S1 Arts. 18-19, 31; SPEC §0.1)."""
    case = await x.new_case()
    await to_publicity(case)
    await x.env.sleep(timedelta(days=8))
    await case.wait_stage(Stage.SUBMITTED_TO_COUNTY)
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await x.env.sleep(timedelta(days=30))
    await escalated(case, "county_decision")
    await case.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    await case.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
    due = (await case.snap()).state.next_review_due
    assert due is not None
    await x.skip_to(due)
    await review_ready(case)
    return [Exported("case_v5_timers_decide_at_their_instant", case.handle.id)]


async def amendments_republished(x: Export) -> list[Exported]:
    """Household changes before the decision (issue 20 item 1): a child who came back to live with the household joins by
    the window's amendment; during the 公示 the funeral data match one member (a proposal) and the hukou data
    another (dismissed as a wrong match); the township confirms the death, the opinion is given again for the
    smaller household and published again, and the county confirms it (S1 Arts. 7, 9, 19, 20; S6 §三(二))."""
    three = application(unique=True, declaration=income_per_capita(Decimal("100"), 2))
    case = await x.new_case(three)
    await investigate(case)
    born = application(unique=True).members[1].model_copy(update={"name": "测试丙"})
    await case.do(WINDOW, c.AmendHousehold(members_joining=[born], evidence="户口簿", note="子女回家共同生活"))
    await case.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=2))
    today = await x.today()
    death = await case.do(COUNTY_REVIEWER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=1,
                                                            occurred_on=today, source="民政殡葬数据比对"))
    moved = await case.do(COUNTY_REVIEWER, c.RaiseDataAlert(alert=c.AlertType.HUKOU_MOVED, member_index=0,
                                                            occurred_on=today, source="公安户籍比对"))
    await case.do(TOWNSHIP_APPROVER, c.ConfirmAmendment(proposal_seq=moved.first_seq, confirmed=False,
                                                        note="入户核实，户主仍共同生活，系误匹配"))
    await case.do(CASEWORKER, c.ConfirmAmendment(proposal_seq=death.first_seq, confirmed=True,
                                                 note="经核实该成员已死亡"))
    await case.wait_stage(Stage.REINVESTIGATION)
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=8))
    await case.wait_stage(Stage.SUBMITTED_TO_COUNTY)
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await case.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    return [Exported("case_v6_amendments_republished", case.handle.id)]


async def provisional_deadline_recounted(x: Export) -> list[Exported]:
    """受理 in December of the last year the calendar covers: the 30-wd overall limit (S1 Art. 22) runs into the
    next year and is counted weekdays only, recording what it counted (patch ``case-deadline-count-v1``); the
    year's schedule is entered and the ``recompute_deadlines`` Update counts it again (a ``deadline_set`` with
    the official calendar version). SPEC §0.1."""
    await x.skip_to(date(max(package_calendar_data().years), 12, 1))
    case = await x.new_case()
    await case.do(WINDOW, c.AcceptApplication())
    state = (await case.snap()).state
    year = provisional_year(state.deadlines["overall"].calendar_version)
    assert year is not None
    store = PgCalendarOverrides(x.pool)
    await store.set_day(date(year, 1, 1), "holiday", "元旦 (test schedule)", "cal-admin")
    await store.mark_year_complete(year, "test schedule", "cal-admin")
    result = await CaseGateway(x.client).recompute_deadlines(state.case_id, RecomputeDeadlinesInput(year=year))
    assert [r.step for r in result.recomputed] == ["overall"]
    return [Exported("case_v6_provisional_deadline_recounted", case.handle.id)]


# --- the in-payment life (SPEC §8; S1 Arts. 30-34; S4 Arts. 10, 45, 68; S6 §一(三)) -----------------------


async def alert_fraud_stopped(x: Export) -> list[Exported]:
    """A data comparison finds undeclared wages: the alert opens an ad-hoc review with a fresh check; the
    county finds fraud — stop, recovery of what was obtained and a fine — and the stop notice is served, which
    closes the case (S6 §三; S4 Art. 68; S1 Art. 32)."""
    today = await x.today()
    case = await x.carried(paying(today, members=3, per_capita="150"))
    await case.do(CASEWORKER, c.RaiseDataAlert(alert=c.AlertType.DATA_MISMATCH,
                                               occurred_on=today - timedelta(days=2), source="税务部门工资数据比对"))
    await review_ready(case)
    await case.do(COUNTY_APPROVER, c.RecordFraudFinding(amount_obtained=Decimal("3150.00"),
                                                        fine_multiple=Decimal("1.5"),
                                                        findings="隐瞒申请人在外务工工资收入，骗取低保金"))
    await case.do(CASEWORKER, c.ServeStopNotice())
    await case.handle.result()
    return [Exported("case_v4_alert_fraud_stopped", case.handle.id)]


async def job_refusals_stopped(x: Export) -> list[Exported]:
    """Three refusals of a suitable job without good reason; the county cuts only that member's share; later
    the household moves away, the county stops the benefit and the stop notice is served (S1 Arts. 32, 34;
    S4 Art. 45)."""
    today = await x.today()
    case = await x.carried(paying(today, members=3, per_capita="200"))
    for offer in ("公益性岗位：保洁", "扶贫车间：包装工", "公益性岗位：护林员"):
        await case.do(CASEWORKER, c.RecordJobRefusal(member_index=1, offer=offer))
    await case.do(COUNTY_APPROVER, c.ReduceMemberShare(member_index=1, reason="连续三次无正当理由拒绝介绍的工作"))
    await case.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.MOVED_AWAY,
                                                 reasons=["全家迁往外省居住，不再在本地生活"]))
    await case.do(CASEWORKER, c.ServeStopNotice())
    await case.handle.result()
    return [Exported("case_v4_job_refusals_stopped", case.handle.id)]


async def stop_withdraws_unpaid_line(x: Export) -> list[Exported]:
    """This month's and next month's rolls are drawn up; the household moves away and the county stops the
    benefit from next month: next month's line, not paid yet, is withdrawn (patch
    ``case-stop-withdraws-unpaid-v1``), nothing is ordered back; the stop notice is served (S1 Arts. 25, 32)."""
    today = await x.today()
    case = await x.carried(paying(today, members=2, per_capita="150"))
    for month in (month_of(today), month_after(today)):
        await generate_roll(x.pool, JINSHAN, month, "tsa-01")
    await case.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.MOVED_AWAY,
                                                 reasons=["全家迁往外省居住，不再在本地生活"]))
    await case.do(CASEWORKER, c.ServeStopNotice())
    await case.handle.result()
    return [Exported("case_v6_stop_withdraws_unpaid_line", case.handle.id)]


async def stop_exits_when_its_month_begins(x: Export) -> list[Exported]:
    """The household asks to leave; the county stops the benefit from next month and the stop notice is served at
    once: the case stays in payment, ``stopping`` (patch ``case-stopping-v1``), until next month begins, when its
    timer records the exit and the run completes (S1 Art. 32)."""
    today = await x.today()
    case = await x.carried(paying(today, members=2, per_capita="150"))
    await case.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.VOLUNTARY_EXIT,
                                                 reasons=["户主书面申请自愿退出最低生活保障"]))
    await case.do(CASEWORKER, c.ServeStopNotice())
    assert (await case.snap()).state.stage is Stage.STOPPING
    await x.skip_to(first_day(month_after(today)))
    await case.handle.result()
    return [Exported("case_v6_stop_exits_when_its_month_begins", case.handle.id)]


async def gradual_exit_stopping_notice_late(x: Export) -> list[Exported]:
    """Employment lifts the income above the standard: a one-month 渐退期 (a review cycle, then a new run); when
    it runs out its timer carries out the stop decided with it and the case stays ``stopping`` until the stop
    notice, served two days into the stop month, takes it out at once (S1 Arts. 32, 33)."""
    today = await x.today()
    case = await x.carried(paying(today, members=2, per_capita="150"))
    await case.do(WINDOW, c.ReportChange(declaration=income_per_capita(Decimal("500"), 2), note="务工收入增加"))
    await review_ready(case)
    await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["务工收入超过低保标准"], gradual_exit_months=1,
                                                  income_from_employment=True))
    stop_month = (await case.snap()).state.stop_effective_month
    assert stop_month is not None
    await x.skip_to(first_day(stop_month) + timedelta(days=1))
    await case.wait_stage(Stage.STOPPING)
    await case.do(CASEWORKER, c.ServeStopNotice())
    await case.handle.result()
    return [Exported("case_v6_gradual_exit_stopping_notice_late", case.handle.id)]


async def death_reported_late(x: Export) -> list[Exported]:
    """A death reported 100 days after it happened: the 3-month limit (from the death) has already passed, so
    the timer escalates at once; the review still decides, a decrease for the household of one, and the run
    continues as new (S6 §一(三); S1 Arts. 7, 31, 32)."""
    today = await x.today()
    case = await x.carried(paying(today, members=2, per_capita="100", decided_days_ago=150))
    await case.do(WINDOW, c.ReportChange(members_leaving=[c.MemberLeaving(
        member_index=1, reason=c.LeaveReason.DEATH, on=today - timedelta(days=100))], note="配偶病故，家属迟报"))
    await review_ready(case)
    await escalated(case, "death_resolution")
    await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["家庭成员死亡，保障人口减为1人"]))
    [first, *_] = await x.runs(case.handle.id, at_least=2)
    return [Exported("case_v4_death_reported_late", case.handle.id, first)]


async def reviews(x: Export) -> list[Exported]:
    """Three review cycles of one case, one run each: the periodic review opened by the case's own timer on
    its due day, and an increase after a reported fall in income; an ad-hoc review opened by the county's
    reviewer, with a decrease; a reported employment income above the standard and a 渐退期 granted (S1 Arts.
    31-33)."""
    today = await x.today()
    case = await x.carried(paying(today, members=3, per_capita="200",
                                  decided_on=add_months(today, -6) + timedelta(days=5)))
    due = (await case.snap()).state.next_review_due
    assert due is not None
    assert due > today
    await x.skip_to(due)
    await review_ready(case)
    await case.do(WINDOW, c.ReportChange(declaration=monthly_income(Decimal("120"), 3), note="家庭经营收入下降"))
    await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["定期复核：家庭收入下降"]))
    await x.runs(case.handle.id, at_least=2)

    await case.do(COUNTY_REVIEWER, c.OpenAdHocReview(reason="村委会反映该户收入增加"))
    await review_ready(case)
    await case.do(WINDOW, c.ReportChange(declaration=monthly_income(Decimal("250"), 3), note="养殖收入增加"))
    await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["核实家庭收入增加"]))
    await x.runs(case.handle.id, at_least=3)

    wages = Declaration(income=[IncomeItem(kind=IncomeKind.WAGES, amount=Decimal("24000"), member_index=0)])
    await case.do(WINDOW, c.ReportChange(declaration=wages, note="申请人进厂务工"))
    await review_ready(case)
    await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["务工收入超过低保标准"], gradual_exit_months=3,
                                                  income_from_employment=True))
    runs = await x.runs(case.handle.id, at_least=4)
    stems = ("case_v4_reviews_run1_periodic_increase", "case_v4_reviews_run2_ad_hoc_decrease",
             "case_v4_reviews_run3_gradual_exit_granted")
    return [Exported(stem, case.handle.id, run) for stem, run in zip(stems, runs, strict=False)]


# --- the other workflows, on the dev server ------------------------------------------------------------


async def review_sweep(x: Export) -> list[Exported]:
    """The daily sweep, as its Schedule starts it (no ``as_of``: the day comes from the clock), in batches of
    one and at most two: two cases due today whose worker is down get their reviews opened through the
    case's Update (one at least by the sweep, ahead of the case's own timer), a third due row — whose
    workflow is gone — is left for the next sweep (truncated), and an overdue review is reported."""
    today = await x.today()
    ids = sorted(uuid.uuid4() for _ in range(3))
    decided = add_months(today, -6)
    due_a, due_b, gone = (paying(today, members=2, per_capita="150", decided_on=decided, case_id=i)
                          for i in ids)
    assert due_a.next_review_due is not None
    assert due_a.next_review_due <= today
    await PgCaseStore(x.pool).record(gone, [])
    await PgCaseStore(x.pool).record(_overdue_review(today), [])
    cases_queue = f"tq-cases-{uuid.uuid4()}"
    a = await x.carried(due_a, task_queue=cases_queue)
    await x.carried(due_b, task_queue=cases_queue)
    sweep = await x.client.start_workflow(ReviewSweepWorkflow.run, SweepInput(batch_size=1, max_batches=2),
                                          id=f"review-sweep-{uuid.uuid4()}", task_queue=x.worker.task_queue)
    await _activity_started(sweep, "open_due_reviews")
    await asyncio.sleep(1)  # the Update reaches the server while nothing polls the cases' queue
    await x.stack.enter_async_context(build_worker(x.client, x.pool, cases_queue))
    report = await sweep.result()
    assert report.truncated, report
    assert report.opened >= 1, report
    await review_ready(a)
    return [Exported("review_sweep_v1", sweep.id), Exported("case_v4_review_opened_by_sweep", a.handle.id)]


def _old_age_granted(born: date, confirmed_on: date, seq: str) -> tuple[CaseState, c.ProposeEnrolment]:
    """A 高龄津贴 case confirmed on ``confirmed_on`` under today's code (its survival check a kernel deadline)."""
    from domain.kernel.context import DecisionContext
    from domain.parameters import resolve
    from domain.programmes import decide, project

    app = _enrolment(Member(name="测试追", resident_id=resident_id(birth=born.strftime("%Y%m%d"), seq=seq),
                            relation=Relation.APPLICANT), 80)
    at = datetime(confirmed_on.year, confirmed_on.month, confirmed_on.day, 10, tzinfo=CHINA_TZ)
    params = resolve(load_book(DEFAULT_BOOK), JINSHAN_VILLAGE, confirmed_on)
    ctx = DecisionContext(now=at, actor=SYSTEM_ACTOR, case_id=uuid.uuid4(), params=params)
    state = project(decide(None, app, ctx))
    state = project(decide(state, c.ConfirmAllowance(note="乡镇确认"),
                           DecisionContext(now=at, actor=TOWNSHIP_APPROVER, case_id=ctx.case_id, params=params)),
                    state)
    assert state is not None
    return state, app


async def allowance_catch_up(x: Export) -> list[Exported]:
    """The daily 高龄津贴 catch-up as its Schedule starts it (no ``as_of``), one case per batch and per run (so
    it continues as new with its cursor): a 90th birthday passed and a missed survival check, the cases' worker
    down; each case gets the ``catch_up_timers`` Update (in its first task, ahead of its own timer): the band
    moves, the missed check escalates (no hold: the township approver decides)."""
    today = await x.today()
    born = date(today.year - 90, today.month, min(today.day, 28)) - timedelta(days=1)
    band, band_app = _old_age_granted(born, today - timedelta(days=30), "601")
    missed, missed_app = _old_age_granted(date(1941, 3, 3), add_months(today, -13) - timedelta(days=5), "602")
    cases_queue = f"tq-cases-{uuid.uuid4()}"
    handles = []
    for state, app in ((band, band_app), (missed, missed_app)):
        await PgCaseStore(x.pool).record(state, [])
        handles.append(await x.client.start_workflow(
            CaseWorkflow.run,
            CaseWorkflowInput(case_id=state.case_id, actor=SYSTEM_ACTOR, submitted_at=state.opened_at,
                              application=app, carried=state, index_in_visibility=x.index),
            id=f"case-{state.case_id}", task_queue=cases_queue,
            search_attributes=search_attributes_for(state) if x.index else None))
    run = await x.client.start_workflow(AllowanceCatchUpWorkflow.run,
                                        AllowanceCatchUpInput(batch_size=1, batches_per_run=1),
                                        id=f"allowance-catch-up-{uuid.uuid4()}", task_queue=x.worker.task_queue)
    await _activity_started(run, "catch_up_allowances")
    await asyncio.sleep(1)  # the Update reaches the server while nothing polls the cases' queue
    await x.stack.enter_async_context(build_worker(x.client, x.pool, cases_queue))
    report = await run.result()
    assert report.totals.found == 2 and report.totals.caught_up >= 1, report
    runs = await x.runs(run.id, at_least=3)  # a full page continues as new; the third finds the end
    first = Case(x.client.get_workflow_handle_for(CaseWorkflow.run, handles[0].id))

    async def moved() -> bool:
        return (await first.snap()).state.band_min_age == 90

    await _until(moved)
    return [Exported("allowance_catch_up_v1_run1", run.id, runs[0]),
            Exported("allowance_catch_up_v1_run2", run.id, runs[1]),
            Exported("allowance_catch_up_v1_run3", run.id, runs[2]),
            Exported("case_v8_old_age_band_moved_by_catch_up", handles[0].id)]


def _overdue_review(today: date) -> CaseState:
    """A case (read model only) whose periodic review opened 40 days ago and whose deadline was escalated."""
    opened = today - timedelta(days=40)
    state = paying(today, members=2, per_capita="150", decided_on=add_months(opened, -6))
    return state.model_copy(update={
        "stage": Stage.UNDER_REVIEW, "next_review_due": None,
        "review": OpenReview(trigger="periodic", opened_seq=state.version, opened_on=opened, due=opened),
        "deadlines": {"review": Deadline(step="review", due=opened + timedelta(days=28),
                                         calendar_version="golden", escalated=True)},
    })


async def _activity_started(handle: WorkflowHandle[object, object], name: str) -> None:
    started = PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
    async with asyncio.timeout(20):
        while True:
            desc = await handle.describe()
            if any(a.activity_type.name == name and a.state == started
                   for a in desc.raw_description.pending_activities):
                return
            await asyncio.sleep(0.1)


async def standard_change(x: Export) -> list[Exported]:
    """物价联动: a version from three days ago raises the rural standard to 420 and lowers the urban one to 600;
    the recalculation runs over four cases in batches of three, continuing as new after each batch; three
    rural cases are recalculated, the urban single at 620 a head crosses out of eligibility and has a review
    opened, never a stop (S4 Art. 10; S1 Arts. 23, 31)."""
    today = await x.today()
    effective = today - timedelta(days=3)
    book_path = book_with_version(x.tmp / "standard_change.json", "sc-golden-v1", effective, rural="420.00",
                                  urban="600.00")
    worker = await x.worker_with(book_path)
    book = load_book(book_path)
    decided = effective - timedelta(days=10)
    states = [in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly=str(100 * i),
                               members=1 + i, decided_on=decided) for i in range(3)]
    crossing = in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="620", members=1,
                                area_type=AreaType.URBAN, decided_on=decided)
    for state in (*states, crossing):
        await x.carried(state, worker=worker)
    handle = await x.client.start_workflow(
        StandardChangeWorkflow.run,
        StandardChangeWorkflowInput(version="sc-golden-v1", effective_from=effective, actor=COUNTY_APPROVER,
                                    batch_size=3, batches_per_run=1),
        id=f"standard-change-sc-golden-v1-{uuid.uuid4().hex[:8]}", task_queue=worker.task_queue)
    result = await handle.result()  # follows the continue-as-new
    assert result.done, result
    assert (result.totals.applied, result.totals.reviews_opened) == (4, 1), result
    crossed = x.case(f"case-{crossing.case_id}")
    await review_ready(crossed)
    runs = await x.runs(handle.id)
    assert len(runs) == 2, runs
    return [Exported("standard_change_v1_run1", handle.id, runs[0]),
            Exported("standard_change_v1_run2", handle.id, runs[1]),
            Exported("case_v4_standard_change_crossing_out", crossed.handle.id)]


async def back_pay(x: Export) -> list[Exported]:
    """A standard issued late with a past effective date (raised to 420 from the first of the month before
    last, issued today): the case's recalculation reaches back over months already on the rolls at 550 and
    decides the 补发 of 90 a month for them (patch ``case-back-pay-v1``; S4 Art. 10, S1 Art. 23)."""
    today = await x.today()
    effective = add_months(today.replace(day=1), -2)
    book_path = book_with_version(x.tmp / "back_pay.json", "bp-golden-v1", effective, rural="420.00",
                                  urban="640.00")
    worker = await x.worker_with(book_path)
    state = in_payment_state(load_book(book_path), village_code=JINSHAN_VILLAGE, per_capita_monthly="100",
                             members=2, decided_on=effective - timedelta(days=40))
    case = await x.carried(state, worker=worker)
    month = effective
    while month <= today:
        await generate_roll(x.pool, state.township_code, month.strftime("%Y-%m"), "golden")
        month = add_months(month, 1)
    result = await case.handle.execute_update(
        "recalculate", StandardChangeInput(actor=COUNTY_APPROVER, version="bp-golden-v1", effective_from=effective),
        result_type=StandardChangeResult)
    assert result.applied and "back_pay_decided" in result.events, result
    return [Exported("case_v6_back_pay", case.handle.id)]


async def tekun_back_pay(x: Export) -> list[Exported]:
    """补发 for 特困 (S4 Art. 10; S3 Arts. 19, 20): a 特困 person in payment since a past month (the domain driver's
    decision, carried into a run); a version raising the basic-living standard from that month is issued today,
    after the rolls paid those months at the old amount: the ``recalculate`` Update decides
    ``benefit_recalculated`` and ``back_pay_decided`` with the difference for each month on a roll (patch
    ``case-tekun-back-pay-v1``, asked at the run's start)."""
    import json

    from tests.unit.domain.tekun_support import Driver

    today = await x.today()
    state = Driver().in_payment()
    assert state.benefit_periods, state
    first = state.benefit_periods[0].from_month
    effective = first_day(first)
    assert month_of(effective) <= month_of(today), (first, today)
    book = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    new = json.loads(json.dumps(book["versions"][-1]))
    new.update(version="tekun-bp-golden-v1", effective_from=effective.isoformat(), label="test 特困 补发")
    new["values"]["tekun"]["basic_living_standard_monthly"] = {"urban": "900.00", "rural": "900.00"}
    book["versions"].append(new)
    path = x.tmp / "tekun-back-pay.json"
    path.write_text(json.dumps(book, ensure_ascii=False), encoding="utf-8")
    worker = await x.worker_with(path)
    case = await x.carried(state, worker=worker)
    month = effective
    while month_of(month) <= month_of(today):
        await generate_roll(x.pool, state.township_code, month_of(month), "golden")
        month = add_months(month, 1)
    inp = StandardChangeInput(actor=COUNTY_APPROVER, version="tekun-bp-golden-v1", effective_from=effective)
    result = await case.handle.execute_update("recalculate", inp, result_type=StandardChangeResult)
    assert result.applied and result.events == ["benefit_recalculated", "back_pay_decided"], result
    return [Exported("tekun_v3_back_pay", case.handle.id)]


# --- 特困人员救助供养 (tekun, S3; SPEC §4) ----------------------------------------------------------------

TEKUN_INSTITUTION = "532302101-jinshan-jly"  # 金山镇敬老院 (reference data: data/institutions)


def _tekun_app(birth: date, seq: str) -> c.SubmitApplication:
    from domain.household import Member, Program, Relation

    return c.SubmitApplication(
        program=Program.TEKUN, village_code=JINSHAN_VILLAGE, area_type=AreaType.RURAL,
        members=[Member(name="供养甲", resident_id=resident_id(birth=birth.strftime("%Y%m%d"), seq=seq),
                        relation=Relation.APPLICANT)],
        declaration=Declaration(income=[IncomeItem(kind=IncomeKind.BASIC_PENSION_BASE, amount=Decimal("1800"))]),
    )


def _years_before(day: date, years: int, days: int = 0) -> date:
    return day.replace(year=day.year - years, day=min(day.day, 28)) + timedelta(days=days)


def _tekun_book(x: Export, **tekun: object) -> Path:
    import json

    from adapters.parameters import DEFAULT_BOOK

    book = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    for version in book["versions"]:
        version["values"]["tekun"].update(tekun)
        version["version"] += "-tekun-test"
    path = x.tmp / f"tekun-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(book, ensure_ascii=False), encoding="utf-8")
    return path


async def _tekun_draw(case: Case, drawn: bool) -> None:
    """The county's random check over this case and three others of 金山镇, with a seed that draws it or not
    (S3 Art. 16); the batch's other cases are recorded in their own cases (here: only this one is real)."""
    from domain.programmes.tekun.rules import county_check_draw

    case_id = (await case.snap()).state.case_id
    batch = [case_id, *(uuid.UUID(int=i + 1) for i in range(3))]
    seed = next(f"lufeng-2026-{i:04d}" for i in range(10_000)
                if (case_id in county_check_draw(batch, f"lufeng-2026-{i:04d}", Decimal("0.30"))) is drawn)
    await case.do(COUNTY_REVIEWER, c.RecordCountyCheckDraw(
        draw_id=uuid.uuid4(), seed=seed, township_code=JINSHAN, batch=batch,
        drawn=list(county_check_draw(batch, seed, Decimal("0.30")))))


async def _tekun_investigated(case: Case, supporters: list[c.Supporter] | None = None) -> None:
    await case.do(WINDOW, c.AcceptApplication())
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, HOME_VISIT)
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await case.do(CASEWORKER, c.RecordEligibilityFacts(supporters=supporters or []))


async def _tekun_to_payment(x: Export, case: Case) -> None:
    """Undisputed: investigated, assessed (capable, at home), 公示 without objection, not drawn, approved, 公布."""
    await _tekun_investigated(case)
    await case.do(COUNTY_REVIEWER, c.RecordSelfCareAssessment(failed_items=[], assessors=COUNTY_TEAM))
    await case.do(CASEWORKER, c.ChooseSupportForm(form="dispersed"))
    await case.do(TOWNSHIP_APPROVER, NO_DISPUTE)
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=8))
    await case.wait_stage(TekunStage.SUBMITTED_TO_COUNTY)
    await _tekun_draw(case, drawn=False)
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await case.do(COUNTY_APPROVER, c.Approve(reason="符合特困人员认定条件"))
    await case.do(CASEWORKER, c.PostPublication(location="村务公开栏"))


async def tekun_standard_change(x: Export) -> list[Exported]:
    """物价联动 for 特困 (S4 Art. 10): a version from the first of the month after next raises the basic-living
    standard to 873.455 and the care standard of a capable person at home to 65.005 (each rounded to the fen: 873.46 + 65.01);
    the case in payment answers the ``recalculate`` Update with ``benefit_recalculated`` from that month (patch
    ``case-tekun-recalculation-v1``); a repeat for the same version changes nothing."""
    import json

    from adapters.parameters import DEFAULT_BOOK

    today = await x.today()
    effective = add_months(today.replace(day=1), 2)  # after the 公示's days: the approval is under the old version
    book = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    new = json.loads(json.dumps(book["versions"][-1]))
    new.update(version="tekun-golden-v1", effective_from=effective.isoformat(), label="test 特困 standard change")
    new["values"]["tekun"]["basic_living_standard_monthly"] = {"urban": "873.455", "rural": "873.455"}
    new["values"]["tekun"]["care_standard_monthly"]["dispersed"]["capable"] = "65.005"
    book["versions"].append(new)
    path = x.tmp / "tekun-standard-change.json"
    path.write_text(json.dumps(book, ensure_ascii=False), encoding="utf-8")
    worker = await x.worker_with(path)
    case = await x.new_case(_tekun_app(_years_before(today, 75, -20), "331"), worker=worker)
    await _tekun_to_payment(x, case)
    inp = StandardChangeInput(actor=COUNTY_APPROVER, version="tekun-golden-v1", effective_from=effective)
    result = await case.handle.execute_update("recalculate", inp, result_type=StandardChangeResult)
    assert result.applied and result.events == ["benefit_recalculated"], result
    assert result.new_amount == Decimal("938.47"), result
    again = await case.handle.execute_update("recalculate", inp, result_type=StandardChangeResult)
    assert not again.applied and again.reason == "already_applied", again
    return [Exported("tekun_v2_standard_change", case.handle.id)]


async def tekun_recognised_terminated(x: Export) -> list[Exported]:
    """特困 end to end (S3 Arts. 10-27): 补正 then 受理; the investigation records a supporter in prison; the
    county's self-care assessment (two items not achieved: partially lost); the chosen 敬老院 is full, so the
    case waits on its list and is supported at home with a named carer; 民主评议; an objection in the 7-day 公示,
    re-investigation and a second 公示 (S3 Art. 15); drawn in the county's random check, county home visit,
    approval and 公布. Another person in payment: the termination's 7-day 公示 meets an objection, the county investigates and publishes again, then decides the
    termination from next month with a referral to dibao (S3 Arts. 26-27); the notice is served."""
    today = await x.today()
    case = first = await x.new_case(_tekun_app(_years_before(today, 72, -40), "301"))
    await case.do(WINDOW, c.NotifyMissingMaterials(items=[c.Material.CHECK_AUTHORISATION]))
    await x.env.sleep(timedelta(days=1))
    await _tekun_investigated(case, [c.Supporter(relation="child", inability=c.SupporterInability.IN_PRISON,
                                                 property_within_low_income_rule=True,
                                                 signed_check_authorisation=True)])
    await case.do(COUNTY_REVIEWER, c.RecordSelfCareAssessment(
        failed_items=[c.AdlItem.BATHING, c.AdlItem.BED_TRANSFER], assessors=COUNTY_TEAM))
    await case.do(CASEWORKER, c.WaitForPlacement(institution_id=TEKUN_INSTITUTION))
    await case.do(CASEWORKER, c.ChooseSupportForm(form="dispersed", carer="邻居（照料服务人）"))
    await case.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=True, reason="村民对其子赡养情况有不同看法"))
    await case.do(CASEWORKER, c.RecordDemocraticAppraisal(
        minutes="宣讲政策、介绍情况、现场评议、形成结论、签字确认",
        attendance=[c.Attendee(staff_or_member_id=f"rep-{i:02d}", villager_representative=True) for i in range(5)],
        signed=True, conclusion="eligible"))
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=2))
    await case.do(CASEWORKER, c.LogObjection(real_name=True, content="村民反映其子已刑满释放"))
    await x.env.sleep(timedelta(days=7))
    await case.wait_stage(TekunStage.OBJECTION_RECEIVED)
    await case.do(TOWNSHIP_APPROVER, c.ResolveObjection(path="reinvestigation", reason="重新调查赡养义务人情况"))
    await case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True,
                                                findings="核实其子仍在监狱服刑"))
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=8))
    await case.wait_stage(TekunStage.SUBMITTED_TO_COUNTY)
    await _tekun_draw(case, drawn=True)
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=COUNTY_TEAM, findings="抽查入户，情况属实"))
    await case.do(COUNTY_APPROVER, c.Approve(reason="符合特困人员认定条件"))
    await case.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
    # The termination goes on another case (one history would grow past the size limit).
    leaving = await x.new_case(_tekun_app(_years_before(today, 70, -40), "302"))
    await _tekun_to_payment(x, leaving)
    await x.env.sleep(timedelta(days=30))
    case = leaving
    await case.do(CASEWORKER, c.ProposeTermination(ground=c.TerminationGround.ABLE_SUPPORTER,
                                                   reasons=["其子刑满释放，有稳定收入，具有赡养能力"]))
    await case.do(CASEWORKER, c.StartPublicity(location="敬老院公示栏"))
    await x.env.sleep(timedelta(days=3))
    await case.do(CASEWORKER, c.LogObjection(real_name=False, content="其子收入不足以赡养"))
    await x.env.sleep(timedelta(days=6))
    await case.wait_stage(TekunStage.TERMINATION_OBJECTION)
    await case.do(COUNTY_REVIEWER, c.ResolveObjection(path="reinvestigation", reason="县级组织调查核实"))
    await case.do(COUNTY_REVIEWER, c.ProposeTermination(ground=c.TerminationGround.ABLE_SUPPORTER,
                                                        reasons=["县级调查核实其子月收入稳定，具有赡养能力"]))
    await case.do(CASEWORKER, c.StartPublicity(location="敬老院公示栏"))
    await x.env.sleep(timedelta(days=8))
    await case.wait_stage(TekunStage.TERMINATION_DECISION)
    await case.do(COUNTY_APPROVER, c.DecideTermination(reasons=["重新公示无异议，终止救助供养"], refer_to=["dibao"],
                                                       referral_reason="其子家庭人均收入较低，可申请最低生活保障"))
    await case.do(CASEWORKER, c.ServeTerminationNotice())
    await case.handle.result()
    return [Exported("tekun_v1_recognised", first.handle.id),
            Exported("tekun_v1_terminated_after_objection", leaving.handle.id)]


async def tekun_minors_at_18(x: Export) -> list[Exported]:
    """Two minors of 17 recognised where the age limit is 18 (S5 item 5, a parameter). One turns 18 without
    recorded schooling: the case's own timer opens a review on the birthday (never a decision); the township
    proposes the termination, 7-day 公示 without objection, the county decides it from next month, notice served.
    The other is recorded in high school: no review at 18 (S3 Art. 24 note); the annual review (S5 item 7) opens
    a year on, is concluded, and the case continues as new."""
    worker = await x.worker_with(_tekun_book(x, minor_age_limit=18))
    today = await x.today()
    leaving = await x.new_case(_tekun_app(_years_before(today, 18, 40), "311"), worker=worker)
    staying = await x.new_case(_tekun_app(_years_before(today, 18, 45), "312"), worker=worker)
    await _tekun_to_payment(x, leaving)
    await _tekun_to_payment(x, staying)
    await staying.do(CASEWORKER, c.RecordSchooling(school_level="high_school",
                                                   expected_end=today + timedelta(days=600),
                                                   evidence="普通高中在读证明"))
    await x.env.sleep(timedelta(days=40))
    await leaving.wait_stage(TekunStage.UNDER_REVIEW)
    await leaving.do(CASEWORKER, c.ProposeTermination(ground=c.TerminationGround.CAPACITY_TO_WORK,
                                                      reasons=["已年满18周岁且未在校就读"]))
    await leaving.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=8))
    await leaving.wait_stage(TekunStage.TERMINATION_DECISION)
    await leaving.do(COUNTY_APPROVER, c.DecideTermination(reasons=["公示无异议，终止救助供养"]))
    await leaving.do(CASEWORKER, c.ServeTerminationNotice())
    await leaving.handle.result()
    await x.env.sleep(timedelta(days=330))
    await staying.wait_stage(TekunStage.UNDER_REVIEW)
    await staying.do(COUNTY_APPROVER, c.ConcludeTekunReview(reasons=["在校就读，继续供养"]))
    first = (await x.runs(staying.handle.id, at_least=2))[0]
    return [Exported("tekun_v1_minor_turns_18_terminated", leaving.handle.id),
            Exported("tekun_v1_minor_in_school_reviewed", staying.handle.id, first)]


async def tekun_other_branches(x: Export) -> list[Exported]:
    """A negative information check, an 'ineligible' opinion to the county, not drawn, refusal and its notice
    (S3 Art. 18); a withdrawal; two refusals to cooperate and the procedure ended (S3 Art. 13 para 2); in
    payment, 集中供养 once a bed frees and a reported change re-assessed (S3 Art. 23), then a termination objected
    to, the county's investigation finds no ground: the support goes on (S3 Art. 26)."""
    today = await x.today()
    refused = await x.new_case(_tekun_app(_years_before(today, 66, -10), "321"))
    await _tekun_investigated(refused)
    await refused.do(CASEWORKER, c.NotifyInfoCheckIneligible(reasons=["核对发现名下有非营运车辆一辆"]))
    await refused.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=["财产状况不符合特困人员规定"]))
    await refused.do(CASEWORKER, c.SubmitToCounty())
    await _tekun_draw(refused, drawn=False)
    await refused.do(COUNTY_REVIEWER, c.StartCountyReview())
    await refused.do(COUNTY_APPROVER, c.Reject(reasons=["财产状况不符合特困人员财产状况规定（S3 Art. 7）"]))
    await refused.do(CASEWORKER, c.ServeRejectionNotice())
    await refused.handle.result()

    withdrawn = await x.new_case(_tekun_app(_years_before(today, 80, -5), "322"))
    await withdrawn.do(WINDOW, c.AcceptApplication())
    await withdrawn.do(WINDOW, c.WithdrawApplication(reason="本人申请撤回，随子女生活"))
    await withdrawn.handle.result()

    ended = await x.new_case(_tekun_app(_years_before(today, 64, -5), "323"))
    await ended.do(WINDOW, c.AcceptApplication())
    await ended.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await ended.do(CASEWORKER, c.RecordNonCooperation(note="拒绝入户调查"))
    await ended.do(CASEWORKER, c.RecordNonCooperation(note="再次拒绝入户调查"))
    await ended.do(TOWNSHIP_APPROVER, c.TerminateForNonCooperation(reason="无正当理由拒不配合调查"))
    await ended.handle.result()

    kept = await x.new_case(_tekun_app(_years_before(today, 75, -5), "324"))
    await _tekun_to_payment(x, kept)
    # A bed frees in the 敬老院: 集中供养 from next month; a reported change, re-assessed (S3 Art. 23).
    await kept.do(CASEWORKER, c.ChooseSupportForm(form="centralised", institution_id=TEKUN_INSTITUTION))
    await kept.do(WINDOW, c.ReportSelfCareChange(note="敬老院报告：跌倒后行走困难"))
    await kept.do(COUNTY_REVIEWER, c.RecordSelfCareAssessment(
        failed_items=[c.AdlItem.BATHING, c.AdlItem.BED_TRANSFER, c.AdlItem.WALKING_INDOORS, c.AdlItem.TOILETING],
        assessors=COUNTY_TEAM))
    await kept.do(CASEWORKER, c.ProposeTermination(ground=c.TerminationGround.MEANS_OF_LIVING,
                                                   reasons=["群众反映其有经营收入"]))
    await kept.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await kept.do(CASEWORKER, c.LogObjection(real_name=True, content="本人称摊位已转让，无经营收入"))
    await x.env.sleep(timedelta(days=8))
    await kept.wait_stage(TekunStage.TERMINATION_OBJECTION)
    await kept.do(COUNTY_REVIEWER, c.ResolveObjection(path="reinvestigation", reason="县级组织调查核实"))
    await kept.do(COUNTY_APPROVER, c.DropTermination(reasons=["经核实摊位已转让，无经营收入，继续供养"]))
    return [Exported("tekun_v1_refused", refused.handle.id), Exported("tekun_v1_withdrawn", withdrawn.handle.id),
            Exported("tekun_v1_noncooperation", ended.handle.id),
            Exported("tekun_v1_termination_dropped", kept.handle.id)]


@dataclass(frozen=True)
class Scenario:
    drive: Callable[[Export], Awaitable[list[Exported]]]
    #: Run on the dev server (real clock, custom search attributes) instead of the time-skipping server.
    dev_server: bool = False


#: The histories first deployed: the record of what ran, re-exported only when asked for by name.
# --- 临时救助 (temporary assistance, issue 16) -----------------------------------------------------------------


def temporary_app(kind: str = "emergency", cause: str = "fire", severity: str = "serious",
                  urgent: str | None = None, members: int = 2, expenditure: str = "0",
                  earlier: tuple[EarlierCase, ...] = ()) -> c.SubmitApplication:
    """A 金山镇 household applying for 临时救助 (fresh ID numbers)."""
    app = application(unique=True, declaration=income_per_capita(Decimal("300"), 2))
    return app.model_copy(update={
        "program": Program.TEMPORARY, "members": app.members[:members], "earlier_cases": earlier,
        "temporary": TemporaryRequest(kind=TemporaryType(kind), cause=TemporaryCause(cause), severity=Severity(severity),
                                      situation="家庭遭遇突发困难", essential_expenditure=Decimal(expenditure),
                                      urgent=ReportSource(urgent) if urgent else None)})


async def _temporary_case(x: Export, app: c.SubmitApplication, who: Actor = WINDOW) -> Case:
    case_id = uuid.uuid4()
    handle = await start_case(x.client, x.worker, case_id=case_id, who=who, app=app)
    await wait_for_case_row(x.pool, case_id)
    return Case(handle)


async def temporary_normal_staged(x: Export) -> list[Exported]:
    """支出型 (medical) on the normal path (S4 Art. 48): 一次性告知 then 受理; investigation with the information
    check; a disputed village review goes to 民主评议; 公示 with an objection, re-investigation, the re-issued
    opinion goes to approval; the township approves within its cap, in two instalments (S8 §二(四)); the
    assistance completes when the month of the last instalment begins."""
    case = await _temporary_case(x, temporary_app("expenditure", "medical_expenditure", "ordinary",
                                                  expenditure="20000.00"))
    await case.do(WINDOW, c.NotifyMissingMaterials(items=[c.Material.MEDICAL_DIAGNOSIS]))
    await x.env.sleep(timedelta(days=1))
    await case.do(WINDOW, c.AcceptApplication())
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, HOME_VISIT)
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await case.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=True, reason="村民对医疗支出有不同看法"))
    await case.do(CASEWORKER, c.RecordDemocraticAppraisal(
        minutes="介绍情况、现场评议、形成结论、签字确认",
        attendance=[*(c.Attendee(staff_or_member_id=f"rep-{i:02d}", villager_representative=True) for i in range(5)),
                    c.Attendee(staff_or_member_id="staff-01", villager_representative=False)],
        signed=True, conclusion="eligible"))
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=2))
    await case.do(CASEWORKER, c.LogObjection(real_name=True, content="村民反映该户医疗费用已由保险报销"))
    await x.env.sleep(timedelta(days=7))
    await case.wait_stage(TStage.OBJECTION_RECEIVED)
    await case.do(TOWNSHIP_APPROVER, c.ResolveObjection(path="reinvestigation", reason="核实医疗费用报销情况"))
    await case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True,
                                                findings="核实：自付医疗费用约2万元，未获报销"))
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(TOWNSHIP_APPROVER, c.StartCountyReview())
    today = await x.today()
    next_month = first_day(month_after(today)) + timedelta(days=9)
    await case.do(TOWNSHIP_APPROVER, c.ApproveTemporaryAssistance(reason="符合支出型临时救助条件", instalments=[
        c.PlannedInstalment(on=today, amount=Decimal("450.00")),
        c.PlannedInstalment(on=next_month, amount=Decimal("300.00"))]))
    await x.skip_to(first_day(month_after(today)), hour=1)
    await case.wait_stage(TStage.ASSISTED)
    await case.handle.result()
    return [Exported("case_v7_temporary_normal_staged", case.handle.id)]


async def temporary_urgent_follow_up_case_by_case(x: Export) -> list[Exported]:
    """先行救助 reported through the hotline, granted at once within the urgent cap and paid from the township's
    reserve fund (S8 §二(二), §三(三)); the emergency eases, the formalities are completed and 跟进救助 continues on
    the normal path in the same case (S5 item 15): a complaint answered after a home visit, the household's
    earlier 临时救助 within the repeat period justified, the county's 一事一议 meeting (S8 §二(三)), the county's
    approval in two instalments; next month's roll is drawn, then its instalment is cancelled (withdrawn)."""
    from adapters.db import reserve_funds

    await reserve_funds.replenish(x.pool, township_code=JINSHAN, amount=Decimal("5000.00"), actor=COUNTY_APPROVER,
                                  reason="县级拨付乡镇临时救助备用金", idempotency_key="golden-replenish")
    now = await x.env.get_current_time()
    earlier = EarlierCase(case_id=uuid.uuid4(), program=Program.TEMPORARY, village_code=JINSHAN_VILLAGE,
                          opened_at=now - timedelta(days=120), outcome="approved",
                          decided_at=now - timedelta(days=110), member_indexes=(0,))
    case = await _temporary_case(x, temporary_app(severity="major", urgent="hotline", members=2, earlier=(earlier,)),
                                 who=CASEWORKER)
    await case.do(TOWNSHIP_APPROVER, c.GrantUrgentAssistance(amount=Decimal("1000.00"), reason="夜间火灾，先行救助"))
    await x.env.sleep(timedelta(days=2))
    await case.do(CASEWORKER, c.RecordEmergencyEased(note="一家人已安置在亲属家中"))
    await case.do(CASEWORKER, c.RegulariseUrgentGrant(registration="登记救助对象、救助事由、救助金额1000元",
                                                      signatures=["inv-01", "tsa-01"], sealed=True, follow_up=True))
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, HOME_VISIT)
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await case.do(TOWNSHIP_APPROVER, NO_DISPUTE)
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await x.env.sleep(timedelta(days=8))
    await case.wait_stage(TStage.SUBMITTED_FOR_APPROVAL)
    await case.do(COUNTY_REVIEWER, c.LogComplaint(real_name=True, content="实名反映该户已获保险赔付"))
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=COUNTY_TEAM, findings="县级核查：未获赔付"))
    await case.do(COUNTY_REVIEWER, c.ResolveComplaint(feedback_sent=True, finding="经核查反映不实，已反馈"))
    await case.do(COUNTY_APPROVER, c.JustifyRepeatAssistance(justification="前次为医疗支出救助，本次为火灾，事由不同"))
    today = await x.today()
    await case.do(COUNTY_APPROVER, c.RecordCaseDiscussion(
        meeting_date=today, members=["县民政局", "县财政局", "县卫健局", "县应急局"], decision="approve",
        amount=Decimal("12000.00"), minutes="困难群众基本生活保障工作协调机制一事一议，同意救助12000元，分两次发放"))
    next_month = first_day(month_after(today)) + timedelta(days=4)
    await case.do(COUNTY_APPROVER, c.ApproveTemporaryAssistance(
        reason="依一事一议决定救助", amount=Decimal("12000.00"), instalments=[
            c.PlannedInstalment(on=today, amount=Decimal("8000.00")),
            c.PlannedInstalment(on=next_month, amount=Decimal("4000.00"))]))
    await generate_roll(x.pool, JINSHAN, month_after(today), "tsa-01")
    await case.do(TOWNSHIP_APPROVER, c.CancelInstalments(from_index=1, reason="已获慈善组织转介救助，困难缓解"))
    await case.wait_stage(TStage.ASSISTED)
    await case.handle.result()
    return [Exported("case_v7_temporary_urgent_follow_up_case_by_case", case.handle.id)]


async def temporary_urgent_overdue(x: Export) -> list[Exported]:
    """先行救助 in kind (S8 §二(四)); nobody completes the formalities within the LOCAL limit: the timer escalates
    (never decides; S8 §二(二)); the formalities are then completed and the case closes without follow-up."""
    from adapters.db import reserve_funds

    await reserve_funds.replenish(x.pool, township_code=JINSHAN, amount=Decimal("2000.00"), actor=COUNTY_APPROVER,
                                  reason="县级拨付乡镇临时救助备用金", idempotency_key="golden-replenish-2")
    case = await _temporary_case(x, temporary_app(cause="sudden_illness", urgent="village", members=2),
                                 who=CASEWORKER)
    await case.do(TOWNSHIP_APPROVER, c.GrantUrgentAssistance(
        amount=Decimal("600.00"), form="in_kind", reason="突发重病，发放生活物资",
        in_kind=[InKindItem(what="大米（袋）", quantity=4, value=Decimal("400.00")),
                 InKindItem(what="食用油（桶）", quantity=4, value=Decimal("200.00"))]))
    await x.env.sleep(timedelta(days=25))
    await escalated(case, "regularisation")
    await case.do(CASEWORKER, c.RegulariseUrgentGrant(registration="补登记救助对象、事由、物资及价值",
                                                      signatures=["inv-01", "tsa-01"], sealed=True))
    await case.handle.result()
    return [Exported("case_v7_temporary_urgent_overdue", case.handle.id)]


async def temporary_check_negative_rejected(x: Export) -> list[Exported]:
    """支出型 (school fees): the information check finds a deposit, the applicant objects, the recheck confirms it;
    neighbour and letter evidence; an 'ineligible' opinion goes to approval without 公示, the township refuses
    and the notice is served (S4 Arts. 48, 58, 65; S8 §二(一))."""
    app = temporary_app("expenditure", "education_expenditure", "ordinary", expenditure="9000.00")
    await import_extract(x, RecordSource.DEPOSIT, [(app.members[0].resident_id, "deposit", "300000.00", "定期存款")])
    case = await _temporary_case(x, app)
    await case.do(WINDOW, c.AcceptApplication())
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, HOME_VISIT)
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await case.do(CASEWORKER, c.NotifyInfoCheckIneligible(reasons=["信息核对发现存款30万元"]))
    await case.do(WINDOW, c.ObjectToCheckResult(evidence="申请人称存款属亲属代存"))
    await case.do(CASEWORKER, c.RecordNeighbourVisit(notes="走访邻居：存款为申请人本人所有"))
    await case.do(CASEWORKER, c.RecordLetterEvidence(notes="银行回函：存款户名为申请人本人"))
    await case.do(CASEWORKER, c.RequestInfoCheck())
    reasons = ["家庭财产超过当地规定，不符合支出型临时救助条件"]
    await case.do(CASEWORKER, c.NotifyInfoCheckIneligible(reasons=["复查核对：存款30万元属申请人本人"]))
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=reasons))
    await case.do(CASEWORKER, c.SubmitToCounty())
    await case.do(TOWNSHIP_APPROVER, c.StartCountyReview())
    await case.do(TOWNSHIP_APPROVER, c.Reject(reasons=reasons))
    await case.do(CASEWORKER, c.ServeRejectionNotice())
    await case.handle.result()
    return [Exported("case_v7_temporary_check_negative_rejected", case.handle.id)]


async def temporary_noncooperation_withdrawn(x: Export) -> list[Exported]:
    """Two cases: one accepted with a close relative who is a case worker (回避), the family twice refuses the
    home visit and the procedure ends (S4 Art. 58); an emergency report withdrawn before any grant."""
    case = await _temporary_case(x, temporary_app(cause="traffic_accident"))
    await case.do(WINDOW, c.AcceptApplication(close_relatives=[c.CloseRelative(
        member_index=0, related_to="case_worker", note="申请人之兄为镇民政所经办人员", staff_id="inv-07")]))
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, c.RecordNonCooperation(note="拒绝入户调查"))
    await case.do(CASEWORKER, c.RecordNonCooperation(note="再次拒绝入户调查"))
    await case.do(TOWNSHIP_APPROVER, c.TerminateForNonCooperation(reason="两次无正当理由拒绝入户调查"))
    await case.handle.result()
    reported = await _temporary_case(x, temporary_app(cause="other_sudden_difficulty", urgent="self"), who=WINDOW)
    await reported.do(WINDOW, c.WithdrawApplication(reason="困难已由亲属帮助解决"))
    await reported.handle.result()
    return [Exported("case_v7_temporary_noncooperation", case.handle.id),
            Exported("case_v7_temporary_urgent_withdrawn", reported.handle.id)]


async def temporary_opened_from_intake(x: Export) -> list[Exported]:
    """一门受理 (S5 item 23): a 临时救助 application opened from an intake that screened the household for every
    programme; the intake is linked on the trail with the application (``intake_linked``); accepted, then withdrawn
    (the household's dibao case from the same intake carries it on)."""
    from domain.intake import IntakeLink

    link = IntakeLink(intake_id=uuid.UUID("5b0c1a52-0d4e-4f7a-9c1e-7a2b3c4d5e6f"), screened_with="532302-yn-floor-2020",
                      outcomes={"dibao": "may_qualify", "temporary": "may_qualify", "tekun": "not_screened",
                                "disability_subsidies": "not_screened", "old_age_allowance": "not_screened"})
    app = temporary_app(cause="fire").model_copy(update={"intake": link})
    case = await _temporary_case(x, app)
    await case.do(WINDOW, c.AcceptApplication())
    await case.do(WINDOW, c.WithdrawApplication(reason="经一门受理评估，先办理低保"))
    await case.handle.result()
    return [Exported("case_v7_temporary_opened_from_intake", case.handle.id)]


# --- one round trip per decision (issue 18) ----------------------------------------------------------------


async def local_records(x: Export) -> list[Exported]:
    """The whole S1 procedure into payment on a run that took ``case-local-records-v1``: every record, deadline,
    公示 end and parameter read runs as a local activity in the decision's own workflow task (``MarkerRecorded``,
    no ``ActivityTaskScheduled``); the information check is still an activity."""
    case = await x.new_case()
    await to_payment(x.env, case)
    return [Exported("case_v8_local_records_in_payment", case.handle.id)]


async def local_info_check(x: Export) -> list[Exported]:
    """The same procedure on a run that also took ``case-local-info-check-v1``: the information check reads the
    imported departmental records as a local activity too, so no activity task is left on the path."""
    case = await x.new_case()
    await to_payment(x.env, case)
    return [Exported("case_v9_local_info_check_in_payment", case.handle.id)]


DEPLOYED = {
    "case_v1_submitted": Scenario(_deployed("case_v1_submitted", None)),
    "case_v2_in_payment": Scenario(_deployed("case_v2_in_payment", to_payment)),
    "case_v3_review_cycle": Scenario(_deployed("case_v3_review_cycle", _review_cycle)),
    "case_v3_gradual_exit_run": Scenario(_deployed("case_v3_gradual_exit_run", _gradual_exit)),
}

#: Every branch added since; ``ALL`` exports these.
NEW = {
    "case_v4_objection_reinvestigation_rejected": Scenario(objection_reinvestigation_rejected),
    "case_v4_materials_appraisal_complaint_approved": Scenario(materials_appraisal_complaint_approved),
    "case_v4_check_objection_withdrawn": Scenario(check_objection_withdrawn),
    "case_v4_check_ineligible_rejected_escalated": Scenario(check_ineligible_rejected_escalated),
    "case_v4_escalation_noncooperation": Scenario(escalation_noncooperation),
    "case_v4_alert_fraud_stopped": Scenario(alert_fraud_stopped),
    "case_v4_job_refusals_stopped": Scenario(job_refusals_stopped),
    "case_v4_death_reported_late": Scenario(death_reported_late),
    "case_v4_reviews": Scenario(reviews),
    "case_v5_timers_decide_at_their_instant": Scenario(timers_decide_at_their_instant),
    "case_v6_amendments_republished": Scenario(amendments_republished),
    "case_v6_back_pay": Scenario(back_pay),
    "case_v6_close_relative_staff_recused": Scenario(close_relative_staff_recused),
    "case_v6_reapplication_linked": Scenario(reapplication_linked),
    "case_v6_provisional_deadline_recounted": Scenario(provisional_deadline_recounted),
    "case_v6_stop_withdraws_unpaid_line": Scenario(stop_withdraws_unpaid_line),
    "case_v6_stop_exits_when_its_month_begins": Scenario(stop_exits_when_its_month_begins),
    "case_v6_gradual_exit_stopping_notice_late": Scenario(gradual_exit_stopping_notice_late),
    "case_v7_refused_referred_to_temporary": Scenario(refused_referred_to_temporary),
    "case_v7_allowance_links": Scenario(allowance_links),
    "case_v7_allowance_end_branches": Scenario(allowance_end_branches),
    "case_v7_old_age_band_survival": Scenario(old_age_band_survival),
    "case_v8_old_age_survival_escalated_held": Scenario(old_age_survival_escalated_held),
    "case_v7_temporary_normal_staged": Scenario(temporary_normal_staged),
    "case_v7_temporary_urgent_follow_up_case_by_case": Scenario(temporary_urgent_follow_up_case_by_case),
    "case_v7_temporary_urgent_overdue": Scenario(temporary_urgent_overdue),
    "case_v7_temporary_check_negative_rejected": Scenario(temporary_check_negative_rejected),
    "case_v7_temporary_noncooperation_withdrawn": Scenario(temporary_noncooperation_withdrawn),
    "case_v7_temporary_opened_from_intake": Scenario(temporary_opened_from_intake),
    "case_v8_local_records": Scenario(local_records),
    "case_v9_local_info_check": Scenario(local_info_check),
    "review_sweep_v1": Scenario(review_sweep, dev_server=True),
    "allowance_catch_up_v1": Scenario(allowance_catch_up, dev_server=True),
    "standard_change_v1": Scenario(standard_change, dev_server=True),
    "tekun_v1_recognised_and_terminated": Scenario(tekun_recognised_terminated),
    "tekun_v1_minors_at_18": Scenario(tekun_minors_at_18),
    "tekun_v1_other_branches": Scenario(tekun_other_branches),
    "tekun_v2_standard_change": Scenario(tekun_standard_change),
    "tekun_v3_back_pay": Scenario(tekun_back_pay),
}

SCENARIOS = {**DEPLOYED, **NEW}


async def _quiescent(client: Client, item: Exported) -> str:
    """The run's history once it has stopped growing: a whole, quiescent history, as JSON."""
    handle = client.get_workflow_handle(item.workflow_id, run_id=item.run_id)
    history = await handle.fetch_history()
    while True:
        await asyncio.sleep(0.5)
        again = await handle.fetch_history()
        if len(again.events) == len(history.events):
            return history.to_json()
        history = again


async def _export(name: str, pg_uri: str) -> list[Path]:
    scenario = SCENARIOS[name]
    dsn = await ensure_database(pg_uri, f"export_{uuid.uuid4().hex[:8]}")
    conn = await asyncpg.connect(dsn)
    await migrate(conn)
    await conn.close()
    pool = await create_pool(dsn)
    if scenario.dev_server:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli_path(), data_converter=pydantic_data_converter,
            dev_server_extra_args=dev_server_search_attribute_args())
    else:
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=temporal_test_server_path(), data_converter=pydantic_data_converter)
    out: list[Path] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with AsyncExitStack() as stack:
                worker = await stack.enter_async_context(running_worker(env.client, pool))
                x = Export(env=env, pool=pool, tmp=Path(tmp), worker=worker, stack=stack,
                           index=scenario.dev_server)
                items = await scenario.drive(x)
                texts = [(item.stem, await _quiescent(env.client, item)) for item in items]
        for stem, text in texts:
            path = HISTORIES / f"{stem}.json"
            path.write_text(text)
            out.append(path)
    finally:
        await env.shutdown()
        await pool.close()
    return out


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "case_v2_in_payment"
    if name != "ALL" and name not in SCENARIOS:
        sys.exit(f"unknown history {name}; ALL or one of {', '.join(SCENARIOS)}")
    names = list(NEW) if name == "ALL" else [name]
    with tempfile.TemporaryDirectory() as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "data", Path(tmp) / "run", Path(tmp) / "pg.log")
        uri = pg.start()
        try:
            for one in names:
                started = time.monotonic()
                paths = asyncio.run(_export(one, uri))
                for path in paths:
                    size = path.stat().st_size
                    warn = f"  (over {MAX_BYTES} bytes!)" if size > MAX_BYTES else ""
                    sys.stdout.write(f"wrote {path} ({size} bytes){warn}\n")
                sys.stdout.write(f"{one}: {time.monotonic() - started:.1f} s\n")
                sys.stdout.flush()
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
