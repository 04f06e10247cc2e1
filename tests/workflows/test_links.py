"""The kernel's links between programmes on real workflows (docs/programmes.md, "Links"; SPEC §6.2, §6.3).

A dibao case's stop reaches the living subsidy of its disabled member (a review opens, recorded on both
trails); a death recorded once on a dibao case reaches every other case of that person in every programme.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.db.cases import PgCaseMembers, PgCaseStore
from adapters.db.payments import generate_roll
from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.household import AreaType, Member, Program, Relation
from domain.ids import workflow_id_for
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import SYSTEM_ACTOR
from domain.months import month_after
from domain.programmes.disability_subsidies.stages import Stage as D
from domain.programmes.old_age_allowance.stages import Stage as A
from tests.builders import JINSHAN_VILLAGE, unique_resident_id
from tests.standard_change_cases import in_payment_state, load_book
from tests.workflows.lifecycle import CASEWORKER, COUNTY_APPROVER, TOWNSHIP_APPROVER, WINDOW, Case
from workflows.case import CaseWorkflow, CaseWorkflowInput

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def claim(pool: asyncpg.Pool, case_id: uuid.UUID, program: str, ids: list[str]) -> None:
    digest = hashlib.sha256(f"{case_id}".encode()).hexdigest()
    await PgCaseMembers(pool).claim(case_id, program, ids, actor_id="test", request_sha256=digest)


async def open_case(env: WorkflowEnvironment, worker: Worker, pool: asyncpg.Pool, app: Any, who: Any) -> Case:
    case_id = uuid.uuid4()
    ids = [m.resident_id for m in getattr(app, "members", None) or [app.member]]
    await claim(pool, case_id, app.program.value, ids)
    handle = await env.client.start_workflow(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=case_id, actor=who, submitted_at=await env.get_current_time(), application=app,
                          index_in_visibility=False),
        id=workflow_id_for(case_id), task_queue=worker.task_queue)
    return Case(env.client.get_workflow_handle_for(CaseWorkflow.run, handle.id))


async def dibao_in_payment(env: WorkflowEnvironment, worker: Worker, pool: asyncpg.Pool, elder: bool = False) -> Any:
    today = (await env.get_current_time()).astimezone(CHINA_TZ).date()
    state = in_payment_state(load_book(DEFAULT_BOOK), village_code=JINSHAN_VILLAGE, decided_on=today - timedelta(days=1))
    if elder:  # the applicant is 86
        members = list(state.members)
        members[0] = members[0].model_copy(update={"resident_id": unique_resident_id(1940)})
        state = state.model_copy(update={"members": tuple(members)})
    await claim(pool, state.case_id, "dibao", [m.resident_id for m in state.members])
    await PgCaseStore(pool).record(state, [])
    app = c.SubmitApplication(program=state.program, village_code=state.village_code, area_type=state.area_type,
                              members=list(state.members), declaration=state.declaration)
    await env.client.start_workflow(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=state.case_id, actor=WINDOW, submitted_at=state.opened_at, application=app,
                          carried=state, index_in_visibility=False),
        id=workflow_id_for(state.case_id), task_queue=worker.task_queue)
    return state, Case(env.client.get_workflow_handle_for(CaseWorkflow.run, workflow_id_for(state.case_id)))


async def disability_in_payment(env: WorkflowEnvironment, worker: Worker, pool: asyncpg.Pool, person: Member) -> Case:
    app = c.SubmitApplication(program=Program.DISABILITY_SUBSIDIES, village_code=JINSHAN_VILLAGE,
                              area_type=AreaType.RURAL,
                              members=[person.model_copy(update={"relation": Relation.APPLICANT,
                                                                 "disability_grade": 1})])
    case = await open_case(env, worker, pool, app, WINDOW)
    await case.do(CASEWORKER, c.ReviewAllowance(disability_kind=c.DisabilityKind.PHYSICAL, grade=1,
                                                certificate_number="ABC12345", long_term_care=True,
                                                recommend=True, note="核对残疾人证"))
    await case.do(COUNTY_APPROVER, c.ConfirmAllowance(note="确认"))
    return case


async def events_of(pool: asyncpg.Pool, case_id: uuid.UUID) -> list[dict[str, Any]]:
    return [r["payload"] if isinstance(r["payload"], dict) else json.loads(r["payload"])
            for r in await PgCaseStore(pool).get_events(case_id)]


async def _recorded(pool: asyncpg.Pool, case_id: uuid.UUID, version: int) -> bool:
    return bool(await pool.fetchval("SELECT version >= $2 FROM cases WHERE case_id = $1", case_id, version))


async def until(predicate: Any, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.1)


async def test_dibao_stop_reaches_the_living_subsidy_on_both_trails(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §6.2: the living subsidy is for a disabled person in a dibao household; the dibao stop opens its
    review (still paid), and both cases record the link: ``links_delivered`` names the target,
    ``link_received`` the source case and event."""
    state, dibao = await dibao_in_payment(ts_env, ts_worker, pg_pool)
    disabled = await disability_in_payment(ts_env, ts_worker, pg_pool, state.members[0])
    granted = (await disabled.snap()).state
    assert granted.stage is D.IN_PAYMENT and {g.kind for g in granted.grants} == {"living", "care"}
    result = await dibao.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.MOVED_AWAY, reasons=["迁出"]))
    stop_seq = result.first_seq + result.events.index("benefit_stopped")

    async def reviewed() -> bool:
        return (await disabled.snap()).state.stage is D.UNDER_REVIEW

    await until(reviewed)
    target = (await disabled.snap()).state
    received = [e for e in await events_of(pg_pool, target.case_id) if e["type"] == "link_received"]
    assert [(r["effect"], r["source_case_id"], r["source_seq"]) for r in received] == [
        ("left_programme", str(state.case_id), stop_seq)]

    async def delivered() -> bool:
        return any(e["type"] == "links_delivered" for e in await events_of(pg_pool, state.case_id))

    await until(delivered)
    sent = [e for e in await events_of(pg_pool, state.case_id) if e["type"] == "links_delivered"]
    deliveries = [(d["target_case_id"], d["outcome"]) for d in sent[0]["deliveries"]]
    assert (str(target.case_id), "applied") in deliveries and sent[0]["source_seq"] == stop_seq
    # the review decides with the dibao case no longer paying: the living subsidy ends, the care subsidy stays
    await disabled.do(TOWNSHIP_APPROVER, c.DecideAllowanceReview(note="家庭已退出低保"))
    after = (await disabled.snap()).state
    assert [g.kind for g in after.grants] == ["care"] and after.stage is D.IN_PAYMENT


async def test_the_living_subsidy_alone_is_granted_from_the_persons_dibao_case(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """云政发〔2016〕5号 (SPEC §6.2): a grade-3 member of a paying dibao household, no long-term care: the living
    subsidy alone, found by the engine from its own dibao case (the validator leaves that to the handler)."""
    state, _dibao = await dibao_in_payment(ts_env, ts_worker, pg_pool)
    app = c.SubmitApplication(program=Program.DISABILITY_SUBSIDIES, village_code=JINSHAN_VILLAGE,
                              area_type=AreaType.RURAL,
                              members=[state.members[0].model_copy(update={"relation": Relation.APPLICANT,
                                                                          "disability_grade": 3})])
    case = await open_case(ts_env, ts_worker, pg_pool, app, WINDOW)

    async def settled() -> bool:  # the case has started (its limit is set): the validator runs, unlocked
        return "township_review" in (await case.snap()).state.deadlines

    await until(settled)
    await case.do(CASEWORKER, c.ReviewAllowance(disability_kind=c.DisabilityKind.VISUAL, grade=3,
                                                certificate_number="ABC12345", long_term_care=False,
                                                recommend=True, note="核对残疾人证"))
    result = await case.do(COUNTY_APPROVER, c.ConfirmAllowance(note="确认"))
    granted = result.snapshot.state
    assert granted.in_dibao and [(g.kind, str(g.monthly)) for g in granted.grants] == [("living", "100.00")]
    # one roll per township and month, a line per programme and case, totals per programme
    await until(lambda: _recorded(pg_pool, granted.case_id, granted.version))
    roll = await generate_roll(pg_pool, granted.township_code, granted.first_payment_month, "test")
    lines = {(line.case_id, line.program): line.amount for line in roll.lines}
    assert lines[(granted.case_id, "disability_subsidies")] == Decimal("100.00")
    assert (state.case_id, "dibao") in lines
    assert roll.totals_by_program["disability_subsidies"].lines >= 1 and roll.totals_by_program["dibao"].lines >= 1


async def test_a_death_recorded_once_reaches_every_case_of_the_person(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """A death data alert on the dibao case (S6 §三) stops the person's 两项补贴 and 高龄津贴 too (SPEC §6.2,
    §6.3), each from the month after the death; the dibao case records where the death went."""
    state, dibao = await dibao_in_payment(ts_env, ts_worker, pg_pool, elder=True)
    person = state.members[0]
    disabled = await disability_in_payment(ts_env, ts_worker, pg_pool, person)
    enrolment = c.ProposeEnrolment(program=Program.OLD_AGE_ALLOWANCE, village_code=JINSHAN_VILLAGE,
                                   member=person.model_copy(update={"relation": Relation.APPLICANT}),
                                   band_min_age=80, source="户籍数据")
    elder = await open_case(ts_env, ts_worker, pg_pool, enrolment, SYSTEM_ACTOR)
    await elder.do(TOWNSHIP_APPROVER, c.ConfirmAllowance(note="确认"))
    died = (await ts_env.get_current_time()).astimezone(CHINA_TZ).date() - timedelta(days=2)
    await dibao.do(CASEWORKER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=0, occurred_on=died,
                                                source="殡葬数据比对"))

    async def both_stopped() -> bool:
        return ((await disabled.snap()).state.stage is D.EXITED
                and (await elder.handle.query(CaseWorkflow.snapshot)).state.stage is A.EXITED)

    await until(both_stopped)
    for case in (disabled, elder):
        stopped = (await case.snap()).state
        assert stopped.stop_effective_month == month_after(died)

    async def delivered() -> bool:
        return any(e["type"] == "links_delivered" for e in await events_of(pg_pool, state.case_id))

    await until(delivered)
    sent = next(e for e in await events_of(pg_pool, state.case_id) if e["type"] == "links_delivered")
    assert sorted(d["target_program"] for d in sent["deliveries"] if d["effect"] == "person_died") == [
        "disability_subsidies", "old_age_allowance"]
    assert all(d["outcome"] == "applied" for d in sent["deliveries"])
    # each delivery names the source event it delivered (two sources in one batch are told apart by it)
    assert {d["source_seq"] for d in sent["deliveries"]} == {sent["source_seq"]}


async def test_living_subsidy_review_after_the_dibao_case_exited_stops_it(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """云政发〔2016〕5号 (SPEC §6.2): the living subsidy is for people in dibao households. When the household's
    dibao case has exited (its membership released), the ``related_cases`` lookup finds nothing: that answer is
    authoritative, and the review the dibao stop opened stops the living-only subsidy from next month."""
    state, dibao = await dibao_in_payment(ts_env, ts_worker, pg_pool)
    app = c.SubmitApplication(program=Program.DISABILITY_SUBSIDIES, village_code=JINSHAN_VILLAGE,
                              area_type=AreaType.RURAL,
                              members=[state.members[0].model_copy(update={"relation": Relation.APPLICANT,
                                                                          "disability_grade": 3})])
    case = await open_case(ts_env, ts_worker, pg_pool, app, WINDOW)
    await case.do(CASEWORKER, c.ReviewAllowance(disability_kind=c.DisabilityKind.VISUAL, grade=3,
                                                certificate_number="ABC12345", long_term_care=False,
                                                recommend=True, note="核对残疾人证"))
    await case.do(COUNTY_APPROVER, c.ConfirmAllowance(note="确认"))
    await dibao.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.MOVED_AWAY, reasons=["迁出"]))

    async def reviewed() -> bool:
        return (await case.snap()).state.stage is D.UNDER_REVIEW

    await until(reviewed)
    await PgCaseMembers(pg_pool).release(state.case_id)  # what the read model does once the dibao case exits
    result = await case.do(TOWNSHIP_APPROVER, c.DecideAllowanceReview(note="家庭已退出低保"))
    after = result.snapshot.state
    assert result.events == ["allowance_stopped"] and after.stage is D.EXITED
    today = (await ts_env.get_current_time()).astimezone(CHINA_TZ).date()
    assert after.stop_effective_month == month_after(today)
    await until(lambda: _recorded(pg_pool, after.case_id, after.version))
    stopped = [e for e in await events_of(pg_pool, after.case_id) if e["type"] == "allowance_stopped"]
    assert "生活补贴：家庭不在低保" in stopped[0]["reasons"]


async def test_two_deaths_delivered_in_one_batch_each_name_their_own_targets(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S4 Art. 60, S5 item 23 (a death reaches every case of the person; the link on both trails): both members
    of a dibao household, each with a 高龄津贴 case, reported dead at once (two source events, possibly one
    delivery batch): each ``links_delivered`` names its own source event's target only, by ``source_seq``."""
    today = (await ts_env.get_current_time()).astimezone(CHINA_TZ).date()
    state = in_payment_state(load_book(DEFAULT_BOOK), village_code=JINSHAN_VILLAGE, decided_on=today - timedelta(days=1))
    members = [m.model_copy(update={"resident_id": unique_resident_id(1940)}) for m in state.members[:2]]
    state = state.model_copy(update={"members": (*members, *state.members[2:])})
    await claim(pg_pool, state.case_id, "dibao", [m.resident_id for m in state.members])
    await PgCaseStore(pg_pool).record(state, [])
    app = c.SubmitApplication(program=state.program, village_code=state.village_code, area_type=state.area_type,
                              members=list(state.members), declaration=state.declaration)
    await ts_env.client.start_workflow(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=state.case_id, actor=WINDOW, submitted_at=state.opened_at, application=app,
                          carried=state, index_in_visibility=False),
        id=workflow_id_for(state.case_id), task_queue=ts_worker.task_queue)
    dibao = Case(ts_env.client.get_workflow_handle_for(CaseWorkflow.run, workflow_id_for(state.case_id)))
    elders = []
    for m in members:
        enrolment = c.ProposeEnrolment(program=Program.OLD_AGE_ALLOWANCE, village_code=JINSHAN_VILLAGE,
                                       member=m.model_copy(update={"relation": Relation.APPLICANT}),
                                       band_min_age=80, source="户籍数据")
        elder = await open_case(ts_env, ts_worker, pg_pool, enrolment, SYSTEM_ACTOR)
        await elder.do(TOWNSHIP_APPROVER, c.ConfirmAllowance(note="确认"))
        elders.append((await elder.snap()).state.case_id)
    died = today - timedelta(days=2)
    results = await asyncio.gather(*(
        dibao.do(CASEWORKER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=i, occurred_on=died,
                                              source="殡葬数据比对")) for i in (0, 1)))
    source_of = {r.first_seq + r.events.index("data_alert_raised"): i for i, r in enumerate(results)}

    async def delivered() -> bool:
        sent = [e for e in await events_of(pg_pool, state.case_id) if e["type"] == "links_delivered"]
        return len(sent) == 2

    await until(delivered)
    sent = [e for e in await events_of(pg_pool, state.case_id) if e["type"] == "links_delivered"]
    for record in sent:
        targets = [(d["target_case_id"], d["source_seq"]) for d in record["deliveries"] if d["effect"] == "person_died"]
        assert targets == [(str(elders[source_of[record["source_seq"]]]), record["source_seq"])], record
