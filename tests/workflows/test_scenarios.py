"""SPEC §12 scenarios 2-9, 19 and 20 on the time-skipping server; each docstring names the articles checked.

Scenario 1 (the happy path) lives in ``test_lifecycle.py``. These tests drive real cases through the
production worker (real activities, real PostgreSQL) with the actors of ``lifecycle.py``. A refused command
must fail the ``execute`` Update with the domain error code as the ``ApplicationError`` type, and leave the
case exactly as it was. Every case gets fresh resident ID numbers (one person, one active case).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.calendar import CalendarActivities, DeadlineInput
from adapters.db.cases import PgCaseStore
from adapters.db.economic_records import PgEconomicRecords
from adapters.parameters import ParameterFile
from domain import commands as c
from domain.actors import Actor, Role
from domain.programmes.dibao.notices import MATERIAL_LABELS, notice_for
from domain.errors import InvalidInput, InvalidTransition
from domain.events import ApplicationSubmitted
from domain.household import Declaration, Member, PropertyItem, PropertyKind, Relation
from domain.kernel.clock import CHINA_TZ
from domain.notices import ApprovalNotice, DeficiencyNotice, RejectionNotice
from domain.parameters import resolve
from domain.programmes import CaseState, decide
from domain.programmes.dibao.rules import assessment_for
from domain.programmes.dibao.stages import Stage
from domain.verification import DiscrepancyNote, RecordSource
from tests.builders import JINSHAN, actor, application, ctx, resident_id, unique_resident_id
from tests.params import book_with
from tests.workflows.helpers import start_case, wait_for_case_row
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
    to_county_review,
    to_publicity,
)
from worker.main import build_worker
from workflows.case import CaseSnapshot

#: The 12349 hotline is staffed by the county's supervision office (S1 Arts. 35-37).
HOTLINE = Actor(id="hotline-01", role=Role.SUPERVISOR, jurisdiction="532302")
COUNTY_TEAM = ["cr-01", "cr-02"]

_rng = random.Random()


# --- fixtures --------------------------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="session")
async def ts_worker_2012(
    ts_env: WorkflowEnvironment, pg_pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Worker]:
    """A second production worker, on its own task queue, whose book uses the 2012 profile (SPEC §3.7).

    Session-scoped like ``ts_worker``: a worker stopped while its cases still hold timers would leave
    workflow tasks pending, and the time-skipping server does not skip time past pending work.
    """
    book = book_with(tmp_path_factory.mktemp("params") / "parameters_2012.json", procedure_profile="2012")
    worker = build_worker(ts_env.client, pg_pool, f"tq-2012-{uuid.uuid4()}", ParameterFile(book))
    async with worker:
        yield worker


# --- helpers ---------------------------------------------------------------------------------------------


def household(n: int) -> list[Member]:
    """Applicant, spouse and children, with fresh resident ID numbers."""
    rels = [Relation.APPLICANT, Relation.SPOUSE] + [Relation.CHILD] * (n - 2)
    return [Member(name=f"成员{i}", resident_id=unique_resident_id(1980 if i < 2 else 2012), relation=rels[i])
            for i in range(n)]


async def open_case(env: WorkflowEnvironment, worker: Worker, *, members: list[Member] | None = None,
                    monthly: str = "200", property: Sequence[PropertyItem] = ()) -> Case:
    """A rural household (3 members by default) at ``monthly`` yuan per-capita income, just submitted."""
    members = members or household(3)
    income = income_per_capita(Decimal(monthly), len(members)).income
    app = application(members=members, declaration=Declaration(income=income, property=list(property)))
    return Case(await start_case(env.client, worker, app=app))


async def refused(case: Case, who: Actor, command: object, code: str) -> ApplicationError:
    """Send a command that must be refused with ``code``; the case must be left unchanged."""
    before = (await case.snap()).state
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await case.do(who, command)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == code, f"{cause.type}: {cause}"
    assert (await case.snap()).state == before
    return cause


async def case_id_of(case: Case) -> UUID:
    return (await case.snap()).state.case_id


async def stored_events(pool: asyncpg.Pool, case: Case) -> list[dict[str, Any]]:
    """The case's events as recorded in PostgreSQL, in order."""
    return await PgCaseStore(pool).get_events(await case_id_of(case))


async def wait_events(pool: asyncpg.Pool, case: Case, until: Callable[[list[dict[str, Any]]], bool],
                      timeout: float = 20) -> list[dict[str, Any]]:
    """Poll the stored events until ``until`` holds (timers fire asynchronously after a sleep)."""
    async with asyncio.timeout(timeout):
        while not until(events := await stored_events(pool, case)):
            await asyncio.sleep(0.05)
    return events


def of_type(events: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == type_]


def china_date(at: datetime | str) -> date:
    """The local (China) date of an instant, as the law counts days."""
    instant = datetime.fromisoformat(at) if isinstance(at, str) else at
    return instant.astimezone(CHINA_TZ).date()


async def working_days_after(pool: asyncpg.Pool, start: date, days: int) -> date:
    """The deadline the engine's own calendar activity computes: ``days`` working days after ``start``."""
    result = await CalendarActivities(pool).compute_deadline(
        DeadlineInput(start=start, amount=days, unit="working_day"))
    return result.due


async def import_extract(pool: asyncpg.Pool, path: Path, source: RecordSource,
                         rows: Sequence[tuple[str, str, str, str]]) -> None:
    """Load a departmental CSV extract (resident_id, kind, amount, detail) for the information check."""
    lines = ["resident_id,kind,amount,detail", *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    await PgEconomicRecords(pool).import_csv(path, source, "county-check-01")


async def sleep_until_china_time(env: WorkflowEnvironment,
                                 target: Callable[[datetime], datetime]) -> datetime:
    """Skip the server's clock to ``target(now in China)`` and return that instant."""
    now = (await env.get_current_time()).astimezone(CHINA_TZ)
    when = target(now)
    assert when > now
    await env.sleep(when - now)
    return when


def attendees(representatives: int, others: int) -> list[c.Attendee]:
    return [c.Attendee(staff_or_member_id=f"rep-{i:02d}", villager_representative=True)
            for i in range(representatives)] + [
        c.Attendee(staff_or_member_id=f"staff-{i:02d}", villager_representative=False) for i in range(others)]


def appraisal(representatives: int, others: int) -> c.RecordDemocraticAppraisal:
    return c.RecordDemocraticAppraisal(minutes="宣讲政策、介绍情况、现场评议、形成结论、签字确认",
                                       attendance=attendees(representatives, others), signed=True,
                                       conclusion="eligible")


# --- scenario 2 ------------------------------------------------------------------------------------------


async def test_scenario_2_one_complete_list_of_missing_materials_and_t0_at_acceptance(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.2 — S1 Art. 10; S5 item 24: the window issues ONE list naming all missing materials, may not
    demand what it can fetch from government platforms (户口簿, 残疾证), cannot issue a second list, and T0 is
    the later date of 受理, not the submission."""
    case = await open_case(ts_env, ts_worker)
    for platform_item in (c.Material.HUKOU_RECORD, c.Material.DISABILITY_CERTIFICATE):
        err = await refused(case, WINDOW, c.NotifyMissingMaterials(items=[c.Material.PLEDGE, platform_item]),
                            "invalid_input")
        assert platform_item.value in str(err)
    missing = [c.Material.PLEDGE, c.Material.CHECK_AUTHORISATION, c.Material.INCOME_PROPERTY_DECLARATION]

    notified = await case.do(WINDOW, c.NotifyMissingMaterials(items=missing))
    second_list = c.NotifyMissingMaterials(items=[c.Material.MEDICAL_DIAGNOSIS])
    await refused(case, WINDOW, second_list, "invalid_transition")
    await ts_env.sleep(timedelta(days=2))
    accepted = await case.do(WINDOW, c.AcceptApplication())

    assert notified.snapshot.state.stage is Stage.MATERIALS_INCOMPLETE
    assert notified.snapshot.state.materials_missing == tuple(missing)
    notice = notice_for(notified.snapshot.state, "deficiency")
    assert isinstance(notice, DeficiencyNotice)
    assert notice.missing_items == [MATERIAL_LABELS[m] for m in missing]
    events = await stored_events(pg_pool, case)
    [deficiency] = of_type(events, "materials_deficiency_notified")
    assert deficiency["payload"]["items"] == [m.value for m in missing]
    assert "S1 Art. 10" in deficiency["payload"]["legal_basis"]
    state = accepted.snapshot.state
    assert state.stage is Stage.ACCEPTED
    [acceptance] = of_type(events, "application_accepted")
    assert state.t0 == china_date(acceptance["payload"]["at"])
    assert (state.t0 - china_date(deficiency["payload"]["at"])).days >= 2
    assert state.t0 > china_date(state.opened_at)
    assert state.deadlines["overall"].due == await working_days_after(pg_pool, state.t0, 30)


# --- scenario 3 ------------------------------------------------------------------------------------------


async def test_scenario_3_check_negative_objection_recheck_keeps_the_clock(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """SPEC §12.3 — S1 Arts. 14, 17, 18, 22: the check finds a 150,000-yuan deposit, the applicant is told and
    objects with evidence that it belongs to a relative; the recheck returns the case to INVESTIGATING with
    T0 and the 30-wd limit unchanged, and the investigation resumes with a corrected extract."""
    members = household(3)
    applicant = members[0].resident_id
    await import_extract(pg_pool, tmp_path / "deposit-1.csv", RecordSource.DEPOSIT,
                         [(applicant, "deposit", "150000.00", "定期存款")])
    case = await open_case(ts_env, ts_worker, members=members)
    await case.do(WINDOW, c.AcceptApplication())
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, HOME_VISIT)

    checked = await case.do(CASEWORKER, c.RequestInfoCheck())
    notified = await case.do(CASEWORKER, c.NotifyInfoCheckIneligible(
        reasons=["信息核对发现存款150000元，人均超过24个月低保标准"]))
    objected = await case.do(WINDOW, c.ObjectToCheckResult(evidence="银行证明：该定期存款属申请人之兄，仅以申请人名义代存"))

    before = checked.snapshot.state
    assert checked.events[:2] == ["info_check_requested", "info_check_completed"]
    assert before.info_check is not None
    [deposit] = [d for d in before.info_check.discrepancies if d.kind == PropertyKind.DEPOSIT.value]
    assert (deposit.note, deposit.found) == (DiscrepancyNote.UNDECLARED_DEPOSIT, Decimal("150000.00"))
    assert before.t0 is not None
    params = resolve(ParameterFile().book(), before.village_code, before.t0)
    assert not assessment_for(before, params).property_compliant
    assert notified.snapshot.state.stage is Stage.INFO_CHECK_NEGATIVE_NOTIFIED
    after = objected.snapshot.state
    assert after.stage is Stage.INVESTIGATING
    assert after.rechecks == 1
    assert after.t0 == before.t0
    assert after.deadlines["overall"] == before.deadlines["overall"]
    assert after.deadlines["prelim_opinion"] == before.deadlines["prelim_opinion"]

    # The bank's corrected extract supersedes the first for this person; the rerun check passes.
    await import_extract(pg_pool, tmp_path / "deposit-2.csv", RecordSource.DEPOSIT,
                         [(applicant, "deposit", "3200.00", "活期账户")])
    await case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="复查入户"))
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await case.do(TOWNSHIP_APPROVER, NO_DISPUTE)
    opinion = await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))

    assessment = opinion.snapshot.state.prelim_assessment
    assert assessment is not None and assessment.eligible and assessment.monthly_amount == Decimal("525.00")
    events = await stored_events(pg_pool, case)
    assert len([e for e in of_type(events, "deadline_set") if e["payload"]["step"] == "overall"]) == 1
    [objection] = of_type(events, "check_result_objected")
    assert "S1 Art. 18" in objection["payload"]["legal_basis"]


# --- scenario 4 ------------------------------------------------------------------------------------------


async def test_scenario_4_objection_in_publicity_resolved_by_democratic_appraisal(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.4 — S1 Arts. 19 (para 2), 20, 22; S6 §四(一): a villager objects on day 4 of the 公示; the
    45-wd extension is allowed on ground PUBLICITY_OBJECTION; after the window the township orders 民主评议;
    neither the county review nor a new 初审意见 is possible before the appraisal record, after which the
    re-issued opinion goes to the county without a second 公示 and the county can confirm."""
    case = await open_case(ts_env, ts_worker)
    await to_publicity(case)
    first_overall = (await case.snap()).state.deadlines["overall"]
    await ts_env.sleep(timedelta(days=3))

    await case.do(CASEWORKER, c.LogObjection(real_name=True, content="村民反映该户有稳定务工收入"))
    extended = await case.do(TOWNSHIP_APPROVER, c.ExtendDeadline(
        ground=c.ExtensionGround.PUBLICITY_OBJECTION, reason="公示期间有异议，需民主评议"))
    await ts_env.sleep(timedelta(days=5))
    await case.wait_stage(Stage.OBJECTION_RECEIVED)
    ordered = await case.do(TOWNSHIP_APPROVER, c.ResolveObjection(path="democratic_appraisal",
                                                                  reason="异议涉及收入认定，交村民评议"))
    await refused(case, COUNTY_REVIEWER, c.StartCountyReview(), "invalid_transition")
    await refused(case, TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True), "invalid_transition")
    await refused(case, CASEWORKER, c.SubmitToCounty(), "invalid_transition")
    await case.do(CASEWORKER, appraisal(representatives=5, others=2))
    reissued = await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    approved = await case.do(COUNTY_APPROVER, c.Approve(reason="民主评议认定符合条件"))

    t0 = extended.snapshot.state.t0
    assert t0 is not None
    assert extended.snapshot.state.extension_ground is c.ExtensionGround.PUBLICITY_OBJECTION
    assert extended.snapshot.state.deadlines["overall"].due == await working_days_after(pg_pool, t0, 45)
    assert extended.snapshot.state.deadlines["overall"].due > first_overall.due
    assert ordered.snapshot.state.stage is Stage.DEMOCRATIC_APPRAISAL
    assert reissued.events[:2] == ["prelim_opinion_issued", "case_submitted_to_county"]
    assert reissued.snapshot.state.stage is Stage.SUBMITTED_TO_COUNTY
    assert reissued.snapshot.state.publicity_rounds == 1
    assert approved.snapshot.state.stage is Stage.APPROVED
    assert approved.snapshot.state.monthly_amount == Decimal("525.00")
    events = await stored_events(pg_pool, case)
    [logged] = of_type(events, "publicity_objection_logged")
    started = china_date(of_type(events, "publicity_started")[0]["payload"]["at"])
    assert (china_date(logged["payload"]["at"]) - started).days == 3  # day 4 of the 公示
    assert of_type(events, "publicity_window_elapsed")[0]["payload"]["objections"] == 1
    [held] = of_type(events, "democratic_appraisal_held")
    assert len(held["payload"]["attendance"]) == 7
    assert [e["payload"]["reissued"] for e in of_type(events, "prelim_opinion_issued")] == [False, True]
    assert len(of_type(events, "publicity_started")) == 1
    types = [e["type"] for e in events]
    assert types.index("democratic_appraisal_held") < types.index("county_review_started")


async def test_scenario_4_profile_2012_makes_appraisal_mandatory_with_two_thirds_representatives(
    ts_env: WorkflowEnvironment, ts_worker_2012: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.4, §3.7 — S2 Arts. 21-23 (PROFILE_2012): an undisputed case may not skip 民主评议, and the
    appraisal needs villager representatives to be at least two thirds of the participants."""
    case = await open_case(ts_env, ts_worker_2012)
    await investigate(case)

    await refused(case, TOWNSHIP_APPROVER, NO_DISPUTE, "invalid_input")
    ordered = await case.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=True,
                                                                     reason="2012年办法：民主评议为必经程序"))
    await refused(case, CASEWORKER, appraisal(representatives=1, others=2), "invalid_input")
    await refused(case, CASEWORKER, appraisal(representatives=3, others=2), "invalid_input")  # 60 %
    held = await case.do(CASEWORKER, appraisal(representatives=3, others=1))  # 75 %
    opinion = await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))

    assert ordered.snapshot.state.stage is Stage.DEMOCRATIC_APPRAISAL
    assert held.snapshot.state.village_review == "appraisal_held"
    assert opinion.snapshot.state.stage is Stage.PRELIM_OPINION_ISSUED
    assert opinion.snapshot.state.prelim_assessment is not None
    assert opinion.snapshot.state.prelim_assessment.parameter_set_version.endswith("-test")  # the 2012 book
    [appraisal_held] = of_type(await stored_events(pg_pool, case), "democratic_appraisal_held")
    assert appraisal_held["payload"]["legal_basis"] == ["S1 Art. 19", "S2 Arts. 22-23"]


async def test_scenario_4_profile_2012_accepts_exactly_two_thirds_representatives(
    ts_env: WorkflowEnvironment, ts_worker_2012: Worker
) -> None:
    """SPEC §3.7 — S2 Art. 22: two villager representatives out of three participants is two thirds."""
    case = await open_case(ts_env, ts_worker_2012)
    await investigate(case)
    await case.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=True, reason="2012年办法：民主评议为必经程序"))

    held = await case.do(CASEWORKER, appraisal(representatives=2, others=1))

    assert held.snapshot.state.village_review == "appraisal_held"


# --- scenario 5 ------------------------------------------------------------------------------------------


async def test_scenario_5_objection_reinvestigation_finds_a_vehicle_and_the_county_rejects(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """SPEC §12.5 — S1 Arts. 14, 19 (para 2), 21, 38: an objection leads to re-investigation, which finds an
    undeclared vehicle; the new 初审意见 'ineligible' goes to the county without a second 公示; the county
    rejects; the refusal notice (reasons and remedy) is served within 3 working days and the case closes."""
    members = household(3)
    case = await open_case(ts_env, ts_worker, members=members)
    await to_publicity(case)
    await ts_env.sleep(timedelta(days=2))
    await case.do(WINDOW, c.LogObjection(real_name=False, content="匿名反映该户有一辆货车未申报"))
    await ts_env.sleep(timedelta(days=6))
    await case.wait_stage(Stage.OBJECTION_RECEIVED)
    await import_extract(pg_pool, tmp_path / "vehicles.csv", RecordSource.VEHICLE,
                         [(members[0].resident_id, "vehicle", "45000.00", "轻型货车")])

    ordered = await case.do(TOWNSHIP_APPROVER, c.ResolveObjection(path="reinvestigation", reason="核实车辆情况"))
    await case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True,
                                                findings="入户发现未申报的轻型货车一辆"))
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await refused(case, TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True), "invalid_input")
    reasons = ["家庭拥有未申报的机动车辆，不符合家庭财产规定"]
    reissued = await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=reasons))
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    rejected = await case.do(COUNTY_APPROVER, c.Reject(reasons=reasons))
    await case.do(CASEWORKER, c.ServeRejectionNotice())
    final: CaseSnapshot = await case.handle.result()

    assert ordered.snapshot.state.stage is Stage.REINVESTIGATION
    assert reissued.events[:2] == ["prelim_opinion_issued", "case_submitted_to_county"]
    assert reissued.snapshot.state.stage is Stage.SUBMITTED_TO_COUNTY
    assert reissued.snapshot.state.publicity_rounds == 1  # no second 公示 (SPEC §3.3 row 15)
    state = rejected.snapshot.state
    assert state.stage is Stage.REJECTED and state.rejection_reasons == tuple(reasons)
    assert state.decided_at is not None
    assert state.deadlines["rejection_notice"].due == await working_days_after(
        pg_pool, china_date(state.decided_at), 3)
    notice = notice_for(state, "rejection")
    assert isinstance(notice, RejectionNotice)
    assert notice.reasons == reasons
    assert "行政复议" in notice.remedy and "行政诉讼" in notice.remedy
    assert final.state.stage is Stage.REJECTED
    assert final.state.rejection_notice_served and final.state.is_closed
    events = await stored_events(pg_pool, case)
    [rejection] = of_type(events, "application_rejected")
    [served] = of_type(events, "rejection_notice_served")
    assert {"S1 Art. 21", "S1 Art. 38"} <= set(rejection["payload"]["legal_basis"])
    assert china_date(served["payload"]["at"]) <= state.deadlines["rejection_notice"].due
    assert len(of_type(events, "publicity_started")) == 1
    assert not of_type(events, "publication_posted")


# --- scenario 6 ------------------------------------------------------------------------------------------


async def test_scenario_6_close_relative_filed_and_approval_needs_a_county_home_visit(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.6 — S1 Arts. 11, 20 (para 2): the applicant's brother is the village committee director:
    the relation is filed (单独登记备案) at 受理, and the county cannot confirm before its own home visit.
    Filing relatives of other public officials is off unless the parameters enable it (SPEC §3.3 row 3)."""
    case = await open_case(ts_env, ts_worker)
    await refused(case, WINDOW, c.AcceptApplication(close_relatives=[
        c.CloseRelative(member_index=0, related_to="public_official", note="申请人之兄为镇政府干部")]), "invalid_input")
    await refused(case, WINDOW, c.AcceptApplication(close_relatives=[
        c.CloseRelative(member_index=3, related_to="village_committee_member", note="无此成员")]),
        "invalid_input")
    accepted = await case.do(WINDOW, c.AcceptApplication(close_relatives=[
        c.CloseRelative(member_index=0, related_to="village_committee_member", note="申请人之兄为村委会主任")]))
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    await case.do(CASEWORKER, HOME_VISIT)
    await case.do(CASEWORKER, c.RequestInfoCheck())
    await case.do(TOWNSHIP_APPROVER, NO_DISPUTE)
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    await case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    await ts_env.sleep(timedelta(days=8))
    await case.wait_stage(Stage.SUBMITTED_TO_COUNTY)
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())

    err = await refused(case, COUNTY_APPROVER, c.Approve(reason="符合条件"), "invalid_transition")
    await case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=COUNTY_TEAM, findings="县级入户核查属实"))
    approved = await case.do(COUNTY_APPROVER, c.Approve(reason="经县级入户核查符合条件"))

    assert accepted.events[:2] == ["application_accepted", "close_relative_filed"]
    assert accepted.snapshot.state.close_relatives == (0,)
    assert "home visit" in str(err)
    assert approved.snapshot.state.stage is Stage.APPROVED
    events = await stored_events(pg_pool, case)
    [filed] = of_type(events, "close_relative_filed")
    assert filed["payload"]["related_to"] == "village_committee_member"
    assert filed["payload"]["legal_basis"] == ["S1 Art. 11"]
    assert filed["payload"]["reason"] == "申请人之兄为村委会主任"
    [visit] = of_type(events, "county_home_visit_recorded")
    assert "S1 Art. 20" in visit["payload"]["legal_basis"]


# --- scenario 7 ------------------------------------------------------------------------------------------


async def test_scenario_7_complaint_in_county_review_needs_a_home_visit_and_feedback(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.7 — S1 Arts. 20 (para 2), 36, 37: a real-name hotline report on county day 3 blocks the
    confirmation until the county has visited the household and the complaint is resolved with feedback
    to the reporter; resolving it without feedback is refused."""
    case = await open_case(ts_env, ts_worker)
    await to_county_review(ts_env, case)
    await ts_env.sleep(timedelta(days=2))

    await case.do(HOTLINE, c.LogComplaint(real_name=True, content="12349热线实名举报：该户子女在外地务工收入较高"))
    await refused(case, COUNTY_APPROVER, c.Approve(reason="符合条件"), "invalid_transition")
    await case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=COUNTY_TEAM,
                                                           findings="子女已分户，不属共同生活家庭成员"))
    err = await refused(case, COUNTY_APPROVER, c.Approve(reason="符合条件"), "invalid_transition")
    no_feedback = await refused(case, COUNTY_REVIEWER,
                                c.ResolveComplaint(feedback_sent=False, finding="举报不实"), "invalid_input")
    resolved = await case.do(COUNTY_REVIEWER, c.ResolveComplaint(feedback_sent=True,
                                                                 finding="举报不实，已电话反馈举报人"))
    approved = await case.do(COUNTY_APPROVER, c.Approve(reason="经核查符合条件"))

    assert "complaint" in str(err)
    assert "feedback" in str(no_feedback)
    assert resolved.snapshot.state.complaints[0].feedback_sent
    assert approved.snapshot.state.stage is Stage.APPROVED
    events = await stored_events(pg_pool, case)
    [received] = of_type(events, "complaint_received")
    review_started = china_date(of_type(events, "county_review_started")[0]["payload"]["at"])
    assert (china_date(received["payload"]["at"]) - review_started).days == 2  # county day 3
    [done] = of_type(events, "complaint_resolved")
    assert done["payload"]["feedback_sent"] is True
    assert "S1 Art. 37" in done["payload"]["legal_basis"]


async def test_scenario_7_a_home_visit_before_the_complaint_does_not_count(
    ts_env: WorkflowEnvironment, ts_worker: Worker
) -> None:
    """SPEC §12.7 — S1 Art. 20 para 2: the mandatory visit answers the complaint, so it must follow it."""
    case = await open_case(ts_env, ts_worker)
    await to_county_review(ts_env, case)
    await case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=COUNTY_TEAM, findings="抽查入户"))

    await case.do(HOTLINE, c.LogComplaint(real_name=False, content="匿名举报"))
    await case.do(COUNTY_REVIEWER, c.ResolveComplaint(feedback_sent=False, finding="匿名举报，无需反馈"))

    await refused(case, COUNTY_APPROVER, c.Approve(reason="符合条件"), "invalid_transition")


# --- scenario 8 ------------------------------------------------------------------------------------------


async def test_scenario_8_property_over_the_limit_is_rejected_without_any_publication(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.8 — S1 Arts. 14, 19, 21, 24, 38; SPEC §9: a household with two houses (limit one) cannot be
    given an 'eligible' opinion; the 'ineligible' one is not posted for 公示 but sent to the county, which
    rejects; the notice is served through the township within 3 working days and nothing about the
    household is ever published."""
    two_houses = [PropertyItem(kind=PropertyKind.HOUSE, value=Decimal("200000"), count=2)]
    case = await open_case(ts_env, ts_worker, property=two_houses)
    await investigate(case)
    await case.do(TOWNSHIP_APPROVER, NO_DISPUTE)

    err = await refused(case, TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True), "invalid_input")
    reasons = ["家庭财产超过规定：拥有住房2套（限1套）"]
    no_reasons = c.IssuePrelimOpinion(eligible=False)
    await refused(case, TOWNSHIP_APPROVER, no_reasons, "invalid_input")
    opinion = await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=reasons))
    await refused(case, CASEWORKER, c.StartPublicity(location="村务公开栏"), "invalid_transition")
    await case.do(CASEWORKER, c.SubmitToCounty())
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await refused(case, COUNTY_APPROVER, c.Approve(reason="符合条件"), "invalid_transition")
    rejected = await case.do(COUNTY_APPROVER, c.Reject(reasons=reasons))
    await refused(case, CASEWORKER, c.PostPublication(location="村务公开栏"), "invalid_transition")
    await case.do(CASEWORKER, c.ServeRejectionNotice())
    final: CaseSnapshot = await case.handle.result()

    assert "contradicts the assessment" in str(err)
    prelim = opinion.snapshot.state.prelim_assessment
    assert prelim is not None and not prelim.property_compliant and prelim.income_below_standard
    [houses] = [k for k in prelim.criteria if k.code == "property.houses"]
    assert houses.passed is False and houses.result == "2"
    state = rejected.snapshot.state
    assert state.stage is Stage.REJECTED and state.decided_at is not None
    assert state.deadlines["rejection_notice"].due == await working_days_after(
        pg_pool, china_date(state.decided_at), 3)
    assert final.state.rejection_notice_served and final.state.is_closed
    with pytest.raises(InvalidTransition, match="no publication notice"):
        notice_for(final.state, "publication")
    with pytest.raises(InvalidTransition, match="no publicity notice"):
        notice_for(final.state, "publicity")
    events = await stored_events(pg_pool, case)
    types = {e["type"] for e in events}
    published = {"publicity_started", "publication_posted", "payment_scheduled", "application_approved"}
    assert not types & published
    [rejection] = of_type(events, "application_rejected")
    assert rejection["payload"]["assessment"]["property_compliant"] is False
    assert rejection["payload"]["parameter_set_version"] == prelim.parameter_set_version
    [served] = of_type(events, "rejection_notice_served")
    assert served["payload"]["actor"]["role"] == Role.TOWNSHIP_CASEWORKER.value
    assert china_date(served["payload"]["at"]) <= state.deadlines["rejection_notice"].due


# --- scenario 9 ------------------------------------------------------------------------------------------


async def test_scenario_9_two_refusals_end_the_procedure_without_a_decision_on_the_merits(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.9 — S1 Art. 29: the family refuses the home visit twice without good reason; the procedure
    is ended for non-cooperation (one refusal is not enough), the case closes, and no approval or
    rejection is recorded."""
    case = await open_case(ts_env, ts_worker)
    await case.do(WINDOW, c.AcceptApplication())
    await case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))

    await case.do(CASEWORKER, c.RecordNonCooperation(note="第一次拒绝入户调查，无正当理由"))
    await refused(case, TOWNSHIP_APPROVER, c.TerminateForNonCooperation(reason="拒不配合"), "invalid_transition")
    await case.do(CASEWORKER, c.RecordNonCooperation(note="第二次拒绝入户调查，无正当理由"))
    await refused(case, CASEWORKER, c.TerminateForNonCooperation(reason="拒不配合"), "not_permitted")
    ended = await case.do(TOWNSHIP_APPROVER, c.TerminateForNonCooperation(reason="两次无正当理由拒绝入户调查"))
    final: CaseSnapshot = await case.handle.result()

    assert ended.events == ["review_terminated_for_non_cooperation"]
    assert final.state.stage is Stage.TERMINATED_NONCOOPERATION and final.state.is_closed
    assert final.state.monthly_amount is None and final.state.prelim_eligible is None
    assert final.pending is None
    events = await stored_events(pg_pool, case)
    types = [e["type"] for e in events]
    assert types.count("non_cooperation_recorded") == 2
    assert types[-1] == "review_terminated_for_non_cooperation"
    assert not set(types) & {"application_approved", "application_rejected", "prelim_opinion_issued"}
    assert events[-1]["payload"]["legal_basis"] == ["S1 Art. 29"]


# --- scenario 19 -----------------------------------------------------------------------------------------


def _fresh_id_ending_in_x(address: str) -> str:
    while True:
        rid = resident_id(address=address, birth=f"19{_rng.randrange(40, 99)}0{_rng.randrange(1, 10)}15",
                          seq=f"{_rng.randrange(1000):03d}")
        if rid.endswith("X"):
            return rid


def test_scenario_19_submission_normalises_a_lower_case_x_and_refuses_a_bad_check_digit() -> None:
    """SPEC §12.19, §10.1 — GB 11643-1999: 11010519491231002X (entered with a lower-case x) and
    532331198001011231 are valid and stored upper-case; 110105194912310021 is refused, naming the field."""
    members = [Member(name="测试甲", resident_id="11010519491231002x", relation=Relation.APPLICANT),
               Member(name="测试乙", resident_id="532331198001011231", relation=Relation.SPOUSE)]

    (event,) = decide(None, application(members=members), ctx(actor(Role.FRONT_OFFICE, JINSHAN)))

    assert isinstance(event, ApplicationSubmitted)
    assert [m.resident_id for m in event.members] == ["11010519491231002X", "532331198001011231"]
    bad = [members[0].model_copy(update={"resident_id": "110105194912310021"})]
    with pytest.raises(InvalidInput) as err:
        decide(None, application(members=bad), ctx(actor(Role.FRONT_OFFICE, JINSHAN)))
    assert err.value.field == ("members", 0, "resident_id")


async def test_scenario_19_a_case_starts_with_an_old_lufeng_county_prefix(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.19, §10.1-10.2: an ID issued under 禄丰县 (prefix 532331) opens a case in a 禄丰市 (532302)
    village, and a lower-case x entered at the window is stored upper-case."""
    old = _fresh_id_ending_in_x("532331")
    members = [Member(name="测试甲", resident_id=old.lower(), relation=Relation.APPLICANT),
               Member(name="测试乙", resident_id=unique_resident_id(2012), relation=Relation.CHILD)]

    case = await open_case(ts_env, ts_worker, members=members)
    accepted = await case.do(WINDOW, c.AcceptApplication())

    state = accepted.snapshot.state
    assert state.members[0].resident_id == old
    assert state.members[0].resident_id.startswith("532331") and state.county_code == "532302"
    assert state.stage is Stage.ACCEPTED
    row = await wait_for_case_row(pg_pool, state.case_id)
    assert row["county_code"] == "532302"


# --- scenario 20 -----------------------------------------------------------------------------------------


async def test_scenario_20_off_site_application_extends_the_limit_to_45_working_days(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.20, §3.4 — S1 Art. 22; S6 §四(一): ground OFF_SITE_APPLICATION extends the overall limit
    from 30 to 45 working days from T0, once; the ground must be on the list and, for PUBLICITY_OBJECTION,
    backed by an objection on record; only an approver may extend."""
    case = await open_case(ts_env, ts_worker)
    accepted = await case.do(WINDOW, c.AcceptApplication())

    await refused(case, CASEWORKER, c.ExtendDeadline(ground=c.ExtensionGround.OFF_SITE_APPLICATION,
                                                     reason="异地申办"), "not_permitted")
    await refused(case, TOWNSHIP_APPROVER, c.ExtendDeadline(ground=c.ExtensionGround.PUBLICITY_OBJECTION,
                                                            reason="无异议记录"), "invalid_input")
    extended = await case.do(TOWNSHIP_APPROVER, c.ExtendDeadline(
        ground=c.ExtensionGround.OFF_SITE_APPLICATION, reason="家庭成员户籍分属两省，异地申办"))
    await refused(case, COUNTY_APPROVER, c.ExtendDeadline(ground=c.ExtensionGround.DIFFICULT_INVESTIGATION,
                                                          reason="再次延长"), "invalid_transition")

    t0 = accepted.snapshot.state.t0
    assert t0 is not None
    first = accepted.snapshot.state.deadlines["overall"].due
    second = extended.snapshot.state.deadlines["overall"].due
    assert first == await working_days_after(pg_pool, t0, 30)
    assert second == await working_days_after(pg_pool, t0, 45)
    assert second > first
    assert extended.snapshot.state.extension_ground is c.ExtensionGround.OFF_SITE_APPLICATION
    assert extended.events[0] == "deadline_extended"
    events = await stored_events(pg_pool, case)
    overall = [e["payload"]["due"] for e in of_type(events, "deadline_set")
               if e["payload"]["step"] == "overall"]
    assert overall == [first.isoformat(), second.isoformat()]
    [ext] = of_type(events, "deadline_extended")
    assert ext["payload"]["ground"] == "off_site_application"
    assert {"S1 Art. 22", "S6 §四(一)"} <= set(ext["payload"]["legal_basis"])


# --- timers never decide ---------------------------------------------------------------------------------


async def test_timers_escalate_but_never_decide(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §0.1, §3.3 row 4 — S1 Arts. 15, 22: 60 days after 受理 with nobody acting, the passed limits
    (start of investigation within 3 wd, 30 wd overall) raise escalations; the case stays ACCEPTED."""
    case = await open_case(ts_env, ts_worker)
    accepted = await case.do(WINDOW, c.AcceptApplication())

    await ts_env.sleep(timedelta(days=60))
    events = await wait_events(pg_pool, case, lambda evs: {"start_investigation", "overall"} <= {
        e["payload"]["step"] for e in of_type(evs, "escalation_raised")})

    snap = await case.snap()
    assert snap.state.stage is Stage.ACCEPTED
    assert snap.state.t0 == accepted.snapshot.state.t0
    assert snap.pending is not None and snap.pending.step == "start_investigation"
    assert snap.pending.overdue_escalated
    after_acceptance = [e["type"] for e in events if e["seq"] > accepted.snapshot.state.version]
    assert set(after_acceptance) == {"escalation_raised"}
    [start] = [e for e in of_type(events, "escalation_raised")
               if e["payload"]["step"] == "start_investigation"]
    assert start["payload"]["due"] == accepted.snapshot.state.deadlines["start_investigation"].due.isoformat()
    assert start["payload"]["legal_basis"] == ["S1 Art. 15"]
    assert start["payload"]["actor"]["role"] == Role.SYSTEM.value


# --- dates on notices are China dates (regression: decided_at.date() used to take the UTC date) ------------


def _next_half_past_midnight(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=30, second=0, microsecond=0)


def _first_of_next_month_half_past_midnight(now: datetime) -> datetime:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return now.replace(year=year, month=month, day=1, hour=0, minute=30, second=0, microsecond=0)


async def test_a_rejection_notice_dates_the_decision_in_china_time(
    ts_env: WorkflowEnvironment, ts_worker: Worker
) -> None:
    """S1 Art. 21; SPEC §0.1 (dates are local): a refusal decided at 00:30 Beijing time (16:30 UTC the day
    before) is dated that day."""
    case = await open_case(ts_env, ts_worker, property=[PropertyItem(kind=PropertyKind.HOUSE, count=2)])
    await investigate(case)
    await case.do(TOWNSHIP_APPROVER, NO_DISPUTE)
    await case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=["住房超过规定"]))
    await case.do(CASEWORKER, c.SubmitToCounty())
    await case.do(COUNTY_REVIEWER, c.StartCountyReview())
    await sleep_until_china_time(ts_env, _next_half_past_midnight)

    rejected = await case.do(COUNTY_APPROVER, c.Reject(reasons=["住房超过规定"]))

    state: CaseState = rejected.snapshot.state
    assert state.decided_at is not None
    notice = notice_for(state, "rejection")
    assert isinstance(notice, RejectionNotice)
    assert notice.decided_on == china_date(state.decided_at)
    assert notice.decided_on != state.decided_at.astimezone(UTC).date()  # the case this test is about


async def test_an_approval_notice_can_be_issued_for_a_decision_early_on_the_first_of_a_month(
    ts_env: WorkflowEnvironment, ts_worker: Worker
) -> None:
    """S1 Art. 21: payment from the month after the decision; an approval at 00:30 Beijing time on the 1st
    (still the previous month in UTC) gets a notice that agrees with its first payment month."""
    case = await open_case(ts_env, ts_worker)
    await to_county_review(ts_env, case)
    await sleep_until_china_time(ts_env, _first_of_next_month_half_past_midnight)

    approved = await case.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))

    notice = notice_for(approved.snapshot.state, "approval")
    assert isinstance(notice, ApprovalNotice)
    decided = approved.snapshot.state.decided_at
    assert decided is not None and notice.decided_on == china_date(decided) and notice.decided_on.day == 1
    assert decided.astimezone(UTC).month != notice.decided_on.month  # the case this test is about
    assert notice.first_payment_month == approved.snapshot.state.first_payment_month


async def test_scenario_20_a_two_province_household_applies_where_hukou_and_residence_coincide(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §12.20 — S1 Art. 5 para 1: the applicant's hukou is in Guangdong, the spouse's in 金山镇 where the
    spouse lives; the case is opened in 金山镇, the submission cites Art. 5, and the off-site ground extends
    the overall limit."""
    members = household(2)
    members = [
        members[0].model_copy(update={"hukou_code": "440106001001", "residence_code": "532302101001"}),
        members[1].model_copy(update={"hukou_code": "532302101001", "residence_code": "532302101001"}),
    ]
    case = await open_case(ts_env, ts_worker, members=members)
    await case.do(WINDOW, c.AcceptApplication())
    extended = await case.do(TOWNSHIP_APPROVER, c.ExtendDeadline(
        ground=c.ExtensionGround.OFF_SITE_APPLICATION, reason="家庭成员户籍分属两省"))

    [submitted] = of_type(await stored_events(pg_pool, case), "application_submitted")
    assert "S1 Art. 5" in submitted["payload"]["legal_basis"]
    assert extended.snapshot.state.extension_ground is c.ExtensionGround.OFF_SITE_APPLICATION
