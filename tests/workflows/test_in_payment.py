"""The in-payment life of a case on the time-skipping server: SPEC §12 scenarios 10-14, a 10-year case,
a death during the 渐退期, a standard change in 公示 and in review, and the continue-as-new boundary.

Cases run on the production worker (real activities, real PostgreSQL). Every docstring names what it checks.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.db.payments import generate_roll
from adapters.parameters import DEFAULT_BOOK, ParameterFile
from domain import commands as c
from domain.household import Declaration, IncomeItem, IncomeKind, LabourCapacity, Member, Relation
from domain.ids import workflow_id_for
from domain.kernel.clock import CHINA_TZ
from domain.months import add_months, month_after, month_of
from domain.programmes.dibao.stages import Stage
from tests.builders import application, unique_resident_id
from tests.workflows.helpers import start_case
from tests.workflows.lifecycle import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    WINDOW,
    Case,
    to_payment,
    to_publicity,
)
from tests.workflows.test_scenarios import of_type, refused, stored_events, wait_events
from worker.main import build_worker
from workflows.case import CaseSnapshot, CaseWorkflow, StandardChangeInput

TEAM_FINDINGS = "入户复核家庭收入和财产"
ALERTS = c.AlertType


# --- households ----------------------------------------------------------------------------------------


def elderly_couple() -> list[Member]:
    """Two members over working age: an economically stable household (annual review, S1 Art. 31)."""
    return [Member(name="老人甲", resident_id=unique_resident_id(1948), relation=Relation.APPLICANT,
                   labour_capacity=LabourCapacity.NONE),
            Member(name="老人乙", resident_id=unique_resident_id(1950), relation=Relation.SPOUSE,
                   labour_capacity=LabourCapacity.NONE)]


def family(n: int) -> list[Member]:
    """Working-age parents able to work and children (semi-annual review, S1 Art. 31)."""
    rels = [Relation.APPLICANT, Relation.SPOUSE] + [Relation.CHILD] * (n - 2)
    return [Member(name=f"成员{i}", resident_id=unique_resident_id(1985 if i < 2 else 2015), relation=rels[i])
            for i in range(n)]


def lone_elder() -> list[Member]:
    return [Member(name="独居老人", resident_id=unique_resident_id(1945), relation=Relation.APPLICANT,
                   labour_capacity=LabourCapacity.NONE)]


def spec_7_5_declaration(wages: Decimal = Decimal("9600")) -> Declaration:
    """SPEC §7.5: casual wages (20% employment-cost deduction) and 1,800 net farming income a year."""
    return Declaration(income=[IncomeItem(kind=IncomeKind.WAGES, amount=wages, member_index=0, irregular=True),
                               IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=Decimal("1800"))])


def monthly_income(per_capita: Decimal, n: int, irregular: bool = False) -> Declaration:
    return Declaration(income=[IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=per_capita * n * 12,
                                          irregular=irregular)])


async def in_payment(env: WorkflowEnvironment, worker: Worker, members: list[Member],
                     declaration: Declaration) -> Case:
    case = Case(await start_case(env.client, worker, app=application(members=members, declaration=declaration)))
    await to_payment(env, case)
    return case


# --- driving time ----------------------------------------------------------------------------------------


async def china_today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).astimezone(CHINA_TZ).date()


async def skip_to(env: WorkflowEnvironment, day: date, hour: int = 9) -> None:
    """Skip the server's clock to ``hour`` o'clock on ``day`` (China time)."""
    now = await env.get_current_time()
    target = datetime(day.year, day.month, day.day, hour, tzinfo=CHINA_TZ)
    if target > now:
        await env.sleep(target - now)


async def latest(case: Case) -> Case:
    """The case's handle without a run id: after a continue-as-new, messages go to the newest run."""
    client = case.handle._client  # noqa: SLF001 - the same client the handle was made with
    return Case(client.get_workflow_handle_for(CaseWorkflow.run, case.handle.id))


async def review_ready(case: Case, timeout: float = 30) -> CaseSnapshot:
    """Wait until a review is open and its information check has completed (S1 Art. 31)."""
    case = await latest(case)
    async with asyncio.timeout(timeout):
        while True:
            snap = await case.snap()
            if snap.state.stage is Stage.UNDER_REVIEW and snap.state.info_check is not None:
                return snap
            await asyncio.sleep(0.05)


async def decide(case: Case, **kwargs: object) -> list[str]:
    """The county decides the open review; the decision's events (deadlines it starts left out)."""
    case = await latest(case)
    result = await case.do(COUNTY_APPROVER, c.DecideReview(reasons=["复核完成"], **kwargs))
    return [e for e in result.events if e != "deadline_set"]


# --- fixtures --------------------------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="session")
async def changing_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("params") / "changing.json"
    path.write_text(DEFAULT_BOOK.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest_asyncio.fixture(scope="session")
async def ts_worker_changing(ts_env: WorkflowEnvironment, pg_pool: asyncpg.Pool,
                             changing_book: Path) -> AsyncIterator[Worker]:
    """A session worker whose parameter book a test may extend with a new version (the file is re-read when
    it changes, as in production)."""
    async with build_worker(ts_env.client, pg_pool, f"tq-chg-{uuid.uuid4()}", ParameterFile(changing_book)) as w:
        yield w


# --- scenario 13: cadence ----------------------------------------------------------------------------------


async def test_scenario_13_stable_yearly_irregular_half_yearly_and_no_change_keeps_the_amount(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 31; S5 item 7 (SPEC §8.1, §12 scenario 13): the review class is set at approval — annual for a
    stable household, every six months for able-bodied members or irregular income; the periodic review opens
    on its due date with a fresh information check; a review with no material change leaves the amount
    unchanged (no increase or decrease events) and schedules the next one."""
    stable = await in_payment(ts_env, ts_worker, elderly_couple(), monthly_income(Decimal("200"), 2))
    irregular = await in_payment(ts_env, ts_worker, family(3), monthly_income(Decimal("200"), 3, irregular=True))
    dues: dict[str, date] = {}
    for name, case, months in (("stable", stable, 12), ("irregular", irregular, 6)):
        events = await stored_events(pg_pool, case)
        [approved] = of_type(events, "application_approved")
        [scheduled] = of_type(events, "review_scheduled")
        decided_on = datetime.fromisoformat(approved["payload"]["at"]).astimezone(CHINA_TZ).date()
        assert scheduled["payload"]["interval_months"] == months, name
        assert date.fromisoformat(scheduled["payload"]["due"]) == add_months(decided_on, months), name
        dues[name] = add_months(decided_on, months)

    await skip_to(ts_env, dues["irregular"] - timedelta(days=1))
    assert (await irregular.snap()).state.stage is Stage.IN_PAYMENT, "not before its due date"
    await skip_to(ts_env, dues["irregular"])
    snap = await review_ready(irregular)
    assert snap.state.review is not None and snap.state.review.due == dues["irregular"]
    assert (await stable.snap()).state.stage is Stage.IN_PAYMENT, "the stable household waits a year"
    amount = snap.state.monthly_amount
    events = await decide(irregular)
    assert events == ["review_completed"], "no material change: no increase or decrease (S1 Art. 31)"
    after = await (await latest(irregular)).snap()
    assert after.state.monthly_amount == amount
    assert after.state.next_review_due == add_months(dues["irregular"], 6)

    await skip_to(ts_env, dues["stable"])
    await review_ready(stable)
    stored = await wait_events(pg_pool, stable, lambda evs: bool(of_type(evs, "periodic_review_due")))
    assert len(of_type(stored, "periodic_review_due")) == 1
    assert of_type(stored, "info_check_completed")[-1]["seq"] > of_type(stored, "periodic_review_due")[0]["seq"]


# --- continue-as-new: a 10-year case -------------------------------------------------------------------------


async def test_a_ten_year_case_stays_small_per_run(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """Issue 4: a semi-annual case reviewed for ten years (20 reviews, several reported changes and job
    refusals, a roll line every month) continues-as-new at each review cycle: every run stays under 2,000
    events and 1 MB of history, and the events recorded in PostgreSQL form one unbroken sequence."""
    members = family(3)
    case = await in_payment(ts_env, ts_worker, members, monthly_income(Decimal("200"), 3, irregular=True))
    case_id = (await case.snap()).state.case_id
    run_ids = [(await case.handle.describe()).run_id]
    income = Decimal("200")
    for cycle in range(20):
        snap = await (await latest(case)).snap()
        due = snap.state.next_review_due
        assert due is not None, cycle
        month = month_after(await china_today(ts_env))
        while month_of(due) > month:  # the monthly rolls up to the review (SPEC §8; issue 4 item 6)
            await pay(pg_pool, case_id, snap.state.township_code, snap.state.village_code, month,
                      snap.state.amount_for(month))
            month = month_after(date.fromisoformat(month + "-01"))
        if cycle % 3 == 1:  # a reported change between reviews opens an ad-hoc review
            income += Decimal("5")
            await (await latest(case)).do(WINDOW, c.ReportChange(declaration=monthly_income(income, 3, True),
                                                                 note="收入变化"))
            await review_ready(case)
            await decide(case)
        if cycle % 4 == 2:
            await (await latest(case)).do(CASEWORKER, c.RecordJobRefusal(member_index=1, offer="保洁岗位",
                                                                         good_reason=True))
        snap = await (await latest(case)).snap()
        await skip_to(ts_env, snap.state.next_review_due or due)
        await review_ready(case)
        await decide(case)
        run_ids.append((await (await latest(case)).handle.describe()).run_id)
    assert len(set(run_ids)) >= 20
    for run_id in set(run_ids):
        history = await ts_env.client.get_workflow_handle(workflow_id_for(case_id), run_id=run_id).fetch_history()
        size = len(json.dumps(history.to_json_dict()).encode())
        assert len(history.events) < 2000, (run_id, len(history.events))
        assert size < 1_000_000, (run_id, size)
    seqs = [row["seq"] for row in await stored_events(pg_pool, case)]
    assert seqs == list(range(1, len(seqs) + 1)), "one unbroken event sequence across all runs"
    assert len(of_type(await stored_events(pg_pool, case), "periodic_review_due")) == 20


async def pay(pool: asyncpg.Pool, case_id: uuid.UUID, township: str, village: str, month: str,
              amount: Decimal | None) -> None:
    """A roll line for the month, as the payment roll writes it (one per case and month)."""
    if amount is None:
        return
    await pool.execute("INSERT INTO payment_rolls (township_code, month, generated_by) VALUES ($1, $2, 'test') "
                       "ON CONFLICT DO NOTHING", township, month)
    await pool.execute("INSERT INTO payment_lines (case_id, month, township_code, village_code, amount, "
                       "household_size, period_seq) VALUES ($1, $2, $3, $4, $5, 1, 1) ON CONFLICT DO NOTHING",
                       case_id, month, township, village, amount)


# --- scenario 10: gradual exit ------------------------------------------------------------------------------


async def test_scenario_10_employment_gradual_exit_then_stop_with_notice_and_edge_monitoring(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S1 Arts. 32, 33; S6 §一(三); S1 Art. 8 (SPEC §7.5, §12 scenario 10): the §7.5 household (710.00) reports
    a stable factory job (per-capita 420 > 375); the county grants a 渐退期 of 6 months (more needs an override
    with a reason); when it runs out the stop decided with it takes effect, with its reasons, the stop notice is
    due, and the household is referred to low-income monitoring (420 < 562.50)."""
    case = await in_payment(ts_env, ts_worker, family(4), spec_7_5_declaration())
    assert (await case.snap()).state.monthly_amount == Decimal("710.00")
    # 420 × 4 × 12 = 20,160 = wages × 0.8 + 1,800  →  wages 22,950
    await case.do(WINDOW, c.ReportChange(declaration=spec_7_5_declaration(Decimal("22950")), note="丈夫进厂务工"))
    await review_ready(case)
    await refused(await latest(case), COUNTY_APPROVER,
                  c.DecideReview(reasons=["收入超标"], gradual_exit_months=7, income_from_employment=True),
                  "invalid_input")
    events = await decide(case, gradual_exit_months=6, income_from_employment=True)
    assert events == ["gradual_exit_granted", "review_completed"]
    snap = await (await latest(case)).snap()
    assert snap.state.stage is Stage.GRADUAL_EXIT
    stop_month = snap.state.stop_effective_month
    assert stop_month is not None and snap.state.amount_for(stop_month) is None
    await skip_to(ts_env, date.fromisoformat(stop_month + "-01"))
    stored = await wait_events(pg_pool, case, lambda evs: bool(of_type(evs, "benefit_stopped")))
    [stopped] = of_type(stored, "benefit_stopped")
    assert stopped["payload"]["reason_code"] == "income_above_standard"
    assert stopped["payload"]["effective_month"] == stop_month
    assert stopped["payload"]["decided_seq"] == of_type(stored, "gradual_exit_granted")[0]["seq"]
    assert of_type(stored, "gradual_exit_ended")
    [edge] = of_type(await wait_events(pg_pool, case, lambda evs: bool(of_type(evs, "edge_monitoring_referred"))),
                     "edge_monitoring_referred")
    assert Decimal(edge["payload"]["per_capita_monthly_income"]) == Decimal("420.00")
    assert Decimal(edge["payload"]["threshold"]) == Decimal("562.50")
    snap = await (await latest(case)).snap()
    assert snap.state.stage is Stage.STOPPING and snap.pending is not None  # S1 Art. 32: notice first
    assert snap.pending.step == "serve_stop_notice"
    served = await (await latest(case)).do(CASEWORKER, c.ServeStopNotice())
    assert served.snapshot.state.stage is Stage.EXITED, "the stop month has begun: the notice completes the exit"
    assert (await (await latest(case)).handle.result()).state.is_closed


async def test_a_death_during_the_gradual_exit_stops_from_the_month_after_the_death(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S6 §一(三); S1 Arts. 32, 33: the sole member dies during the 渐退期; the alert opens a review with the
    3-month limit, and the stop takes effect from the month after the death — earlier than the 渐退期's end."""
    members = lone_elder()
    case = await in_payment(ts_env, ts_worker, members, monthly_income(Decimal("200"), 1))
    await case.do(WINDOW, c.ReportChange(declaration=monthly_income(Decimal("400"), 1), note="子女每月给付赡养费"))
    await review_ready(case)
    await decide(case, gradual_exit_months=6, income_from_employment=True)
    gradual = await (await latest(case)).snap()
    assert gradual.state.stage is Stage.GRADUAL_EXIT
    await skip_to(ts_env, (await china_today(ts_env)) + timedelta(days=40))
    died = (await china_today(ts_env)) - timedelta(days=3)
    await (await latest(case)).do(CASEWORKER, c.RaiseDataAlert(alert=ALERTS.DEATH, member_index=0, occurred_on=died,
                                                               source="殡葬信息比对"))
    snap = await review_ready(case)
    assert snap.state.deadlines["death_resolution"].due == add_months(died, 3)
    events = await decide(case)
    assert events[0] == "benefit_stopped" and events[-1] == "review_completed"
    stored = await stored_events(pg_pool, case)
    [stopped] = of_type(stored, "benefit_stopped")
    assert stopped["payload"]["reason_code"] == "no_members"
    assert stopped["payload"]["effective_month"] == month_after(died)
    assert stopped["payload"]["effective_month"] < (gradual.state.stop_effective_month or "")


# --- scenarios 11, 12: deaths ------------------------------------------------------------------------------


async def test_scenario_11_death_of_the_sole_member_stops_and_recovers_what_was_paid_after(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S6 §一(三); S4 Art. 68 (SPEC §12 scenario 11): a death record arrives months late; the stop takes effect
    from the month after the death, no payment is due from then on, and what the rolls paid for those months
    is ordered back."""
    case = await in_payment(ts_env, ts_worker, lone_elder(), monthly_income(Decimal("100"), 1))
    state = (await case.snap()).state
    first = state.first_payment_month
    assert first is not None
    months = [first, month_after(date.fromisoformat(first + "-01"))]
    months.append(month_after(date.fromisoformat(months[1] + "-01")))
    for month in months:
        await pay(pg_pool, state.case_id, state.township_code, state.village_code, month, state.amount_for(month))
    await skip_to(ts_env, date.fromisoformat(months[2] + "-15"))
    died = date.fromisoformat(months[0] + "-20")
    await case.do(CASEWORKER, c.RaiseDataAlert(alert=ALERTS.DEATH, member_index=0, occurred_on=died,
                                               source="民政殡葬数据"))
    await review_ready(case)
    events = await decide(case)
    assert events == ["benefit_stopped", "overpayment_recovery_ordered", "review_completed"]
    stored = await stored_events(pg_pool, case)
    [order] = of_type(stored, "overpayment_recovery_ordered")
    assert order["payload"]["months"] == months[1:]
    assert Decimal(order["payload"]["amount"]) == 2 * state.monthly_amount  # type: ignore[operator]
    final = await (await latest(case)).snap()
    assert final.state.amount_for(months[1]) is None and final.state.amount_for(months[0]) == state.monthly_amount


async def test_scenario_12_death_in_a_four_person_household_recomputes_for_three(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 7; S6 §一(三); S1 Art. 32 (SPEC §12 scenario 12): N becomes 3, the amount is recomputed and a
    decrease with reasons is recorded."""
    case = await in_payment(ts_env, ts_worker, family(4), monthly_income(Decimal("200"), 4))
    assert (await case.snap()).state.monthly_amount == Decimal("700.00")  # (375 − 200) × 4
    died = await china_today(ts_env)
    await case.do(CASEWORKER, c.RaiseDataAlert(alert=ALERTS.DEATH, member_index=3, occurred_on=died,
                                               source="公安户籍注销"))
    await review_ready(case)
    events = await decide(case)
    assert events == ["benefit_decreased", "review_completed"]
    [decreased] = of_type(await stored_events(pg_pool, case), "benefit_decreased")
    assert decreased["payload"]["household_size"] == 3
    # the household's income is unchanged (9,600 a year), now over 3: 266.67 a head → (375 − 266.67) × 3
    assert Decimal(decreased["payload"]["new_amount"]) == Decimal("325.00")
    assert decreased["payload"]["reasons"] == ["复核完成"]


# --- scenario 14: job refusals -------------------------------------------------------------------------------


async def test_scenario_14_three_job_refusals_cut_only_that_members_share(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 34; S4 Art. 45 (SPEC §12 scenario 14): the third refusal without good reason allows the
    county to cut that member's share; the other members' shares are unchanged."""
    case = await in_payment(ts_env, ts_worker, family(3), monthly_income(Decimal("200"), 3))
    before = (await case.snap()).state.monthly_amount
    assert before == Decimal("525.00")
    reduce = c.ReduceMemberShare(member_index=1, reason="连续三次拒绝介绍的工作")
    for i in range(3):
        await refused(case, COUNTY_APPROVER, reduce, "invalid_transition")  # fewer than three refusals
        await case.do(CASEWORKER, c.RecordJobRefusal(member_index=1, offer=f"公益岗位{i}"))
    result = await case.do(COUNTY_APPROVER, reduce)
    assert result.events == ["member_benefit_reduced"]
    assert result.snapshot.state.monthly_amount == Decimal("350.00")  # 525 − 175: two shares of 175 remain


# --- standard change in 公示 and in review ---------------------------------------------------------------------


async def test_a_standard_change_applies_to_a_case_in_review_and_to_the_decision_of_a_case_in_publicity(
    ts_env: WorkflowEnvironment, ts_worker_changing: Worker, changing_book: Path, pg_pool: asyncpg.Pool
) -> None:
    """S4 Art. 10; S1 Arts. 21, 23 (issue 4 item 5): a higher standard from today is recalculated, as a recorded
    decision citing the new version, for a case under review (exactly once); a case still in 公示 is not in
    payment — its approval later computes with the version in force on the decision date."""
    worker = ts_worker_changing
    in_review = await in_payment(ts_env, worker, family(3), monthly_income(Decimal("200"), 3))
    await in_review.do(WINDOW, c.ReportChange(declaration=monthly_income(Decimal("200"), 3), note="例行报告"))
    await review_ready(in_review)
    publicity = Case(await start_case(ts_env.client, worker, app=application(
        members=family(3), declaration=monthly_income(Decimal("200"), 3))))
    await to_publicity(publicity)

    today = await china_today(ts_env)
    version = f"532302-test-{uuid.uuid4().hex[:6]}"
    book = json.loads(changing_book.read_text(encoding="utf-8"))
    newer = json.loads(json.dumps(book["versions"][-1]))
    newer.update(version=version, effective_from=today.isoformat(), label="测试：提高农村低保标准")
    newer["values"]["dibao_standard_monthly"]["rural"] = "420.00"
    book["versions"].append(newer)
    changing_book.write_text(json.dumps(book, ensure_ascii=False), encoding="utf-8")

    change = StandardChangeInput(actor=COUNTY_APPROVER, version=version, effective_from=today)
    review_handle: WorkflowHandle = (await latest(in_review)).handle
    first = await review_handle.execute_update(CaseWorkflow.recalculate, change)
    again = await review_handle.execute_update(CaseWorkflow.recalculate, change)
    assert first.applied and first.new_amount == Decimal("660.00")  # (420 − 200) × 3
    assert not again.applied and again.reason == "already_applied"
    not_active = await publicity.handle.execute_update(CaseWorkflow.recalculate, change)
    assert not not_active.applied and not_active.reason == "not_active"
    [recalc] = of_type(await stored_events(pg_pool, in_review), "benefit_recalculated")
    first_paid = (await (await latest(in_review)).snap()).state.first_payment_month or ""
    assert recalc["payload"]["parameter_set_version"] == version
    assert recalc["payload"]["from_month"] == max(month_of(today), first_paid), "never before the first payment"

    await decide(in_review)
    assert (await (await latest(in_review)).snap()).state.monthly_amount == Decimal("660.00")

    await skip_to(ts_env, today + timedelta(days=8))
    await publicity.wait_stage(Stage.SUBMITTED_TO_COUNTY)
    await publicity.do(COUNTY_REVIEWER, c.StartCountyReview())
    approved = await publicity.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    assert approved.snapshot.state.monthly_amount == Decimal("660.00")
    [event] = of_type(await stored_events(pg_pool, publicity), "application_approved")
    assert event["payload"]["parameter_set_version"] == version


# --- the continue-as-new boundary ---------------------------------------------------------------------------


async def test_no_update_is_lost_at_the_continue_as_new_boundary(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """Issue 4 item 4: updates sent while the review decision (and so the continue-as-new) happens are all
    applied, once each, in the old run or the new one."""
    case = await in_payment(ts_env, ts_worker, family(3), monthly_income(Decimal("200"), 3))
    await case.do(WINDOW, c.ReportChange(declaration=monthly_income(Decimal("200"), 3), note="例行报告"))
    await review_ready(case)
    handle = (await latest(case)).handle
    refusals = [Case(handle).do(CASEWORKER, c.RecordJobRefusal(member_index=0, offer=f"岗位{i}")) for i in range(4)]
    decided, *done = await asyncio.gather(decide(case), *refusals)
    assert decided[-1] == "review_completed"
    assert all(r.events == ["job_refusal_recorded"] for r in done)
    stored = await stored_events(pg_pool, case)
    assert sorted(e["payload"]["consecutive"] for e in of_type(stored, "job_refusal_recorded")) == [1, 2, 3, 4]
    snap = await (await latest(case)).snap()
    assert snap.state.job_refusals[0] == 4
    assert (await (await latest(case)).handle.describe()).run_id != handle.result_run_id


async def test_a_death_not_resolved_within_three_months_raises_an_escalation_never_a_decision(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S6 §一(三); SPEC §0.1: the change after a death must be finished within 3 months of the death; when the
    limit passes with the review still open, the engine escalates (the case shows as overdue) and decides
    nothing — the review stays open for the county."""
    case = await in_payment(ts_env, ts_worker, family(4), monthly_income(Decimal("200"), 4))
    died = await china_today(ts_env)
    await case.do(CASEWORKER, c.RaiseDataAlert(alert=ALERTS.DEATH, member_index=2, occurred_on=died,
                                               source="殡葬信息比对"))
    await review_ready(case)
    await skip_to(ts_env, add_months(died, 3) + timedelta(days=2))
    stored = await wait_events(pg_pool, case, lambda evs: any(
        e["payload"].get("step") == "death_resolution" for e in of_type(evs, "escalation_raised")))
    assert not of_type(stored, "benefit_decreased") and not of_type(stored, "review_completed")
    snap = await (await latest(case)).snap()
    assert snap.state.stage is Stage.UNDER_REVIEW
    assert snap.state.deadlines["death_resolution"].escalated
    row = await pg_pool.fetchrow("SELECT overdue, stage FROM cases WHERE case_id = $1", snap.state.case_id)
    assert row is not None and row["overdue"] and row["stage"] == "under_review"
    assert (await decide(case))[0] == "benefit_decreased", "the county can still decide after the escalation"


# --- stops (S1 Arts. 25, 32) -------------------------------------------------------------------------------


async def test_a_stop_after_next_months_roll_was_drawn_withdraws_its_unpaid_line_instead_of_ordering_it_back(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 32 (停发: nothing payable from the stop month) and S1 Art. 25 (paid month by month): in the first
    payment month its line and next month's are on the rolls; the county stops the benefit from next month. Next
    month has not begun, so its line was not paid: the workflow records its withdrawal (and the store marks it
    withdrawn on the roll) instead of ordering 1 month back; this month's line, paid, stays."""
    case = await in_payment(ts_env, ts_worker, lone_elder(), monthly_income(Decimal("100"), 1))
    state = (await case.snap()).state
    this_month = state.first_payment_month
    assert this_month is not None
    next_month = month_after(date.fromisoformat(this_month + "-01"))
    await skip_to(ts_env, date.fromisoformat(this_month + "-10"))
    for month in (this_month, next_month):
        await pay(pg_pool, state.case_id, state.township_code, state.village_code, month, state.amount_for(month))

    result = await case.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.VOLUNTARY_EXIT,
                                                          reasons=["本人申请退出低保"]))

    assert result.events[:2] == ["benefit_stopped", "payment_lines_withdrawn"]
    assert "overpayment_recovery_ordered" not in result.events
    stored = await stored_events(pg_pool, case)
    [withdrawal] = of_type(stored, "payment_lines_withdrawn")
    assert withdrawal["payload"]["months"] == [next_month]
    lines = {r["month"]: r["withdrawn_seq"] for r in await pg_pool.fetch(
        "SELECT month, withdrawn_seq FROM payment_lines WHERE case_id = $1", state.case_id)}
    assert lines == {this_month: None, next_month: withdrawal["seq"]}


async def test_a_stop_keeps_the_case_in_payment_until_its_month_begins_and_its_notice_is_served(
    ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 32 (停发 with a written notice; SPEC §8.3: from next month): decided on the 10th, the stop leaves
    the case in payment — ``stopping``, an open case, on this month's roll and not on next month's — and the
    notice served the same day does not end it either; at the start of next month the case's timer records the
    exit (the engine's, the stop's consequence), and the run completes."""
    case = await in_payment(ts_env, ts_worker, lone_elder(), monthly_income(Decimal("100"), 1))
    state = (await case.snap()).state
    this_month = state.first_payment_month
    assert this_month is not None
    next_month = month_after(date.fromisoformat(this_month + "-01"))
    await skip_to(ts_env, date.fromisoformat(this_month + "-10"))

    stopped = await case.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.MOVED_AWAY,
                                                           reasons=["全家迁往外省居住"]))

    assert stopped.snapshot.state.stage is Stage.STOPPING
    assert stopped.snapshot.state.stop_effective_month == next_month
    assert stopped.snapshot.pending is not None and stopped.snapshot.pending.step == "serve_stop_notice"
    row = await pg_pool.fetchrow("SELECT stage, outcome FROM cases WHERE case_id = $1", state.case_id)
    assert row is not None and (row["stage"], row["outcome"]) == ("stopping", "approved")
    rolls = [await generate_roll(pg_pool, state.township_code, m, "tsa-01") for m in (this_month, next_month)]
    assert [state.case_id in {line.case_id for line in roll.lines} for roll in rolls] == [True, False]
    served = await case.do(CASEWORKER, c.ServeStopNotice())
    assert served.snapshot.state.stage is Stage.STOPPING, "next month has not begun"
    assert served.snapshot.pending is not None and served.snapshot.pending.step == "stop_takes_effect"

    await skip_to(ts_env, date.fromisoformat(next_month + "-01"))
    final = await case.handle.result()

    assert final.state.stage is Stage.EXITED and final.state.is_closed
    [exited] = of_type(await stored_events(pg_pool, case), "case_exited")
    assert exited["payload"]["actor"]["role"] == "system"
    assert datetime.fromisoformat(exited["payload"]["at"]).astimezone(CHINA_TZ) == datetime.fromisoformat(
        next_month + "-01").replace(tzinfo=CHINA_TZ)
    row = await pg_pool.fetchrow("SELECT stage, outcome FROM cases WHERE case_id = $1", state.case_id)
    assert row is not None and (row["stage"], row["outcome"]) == ("exited", "exited")
