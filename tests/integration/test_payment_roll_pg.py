"""Payment rolls (发放名册) in PostgreSQL: who is paid for a month, once, and with which amount.

The session database is shared with every other test, so each test uses months of its own (years long before
any other test's cases are paid) and looks at the lines of the cases it seeded; uniqueness (no case twice) is
checked over the whole roll.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import pytest

from adapters.db.cases import PgCaseStore
from adapters.db.payments import Roll, RollLine, UnknownCase, generate_roll, get_roll, set_payee, withdraw_lines
from adapters.rendering.payment_roll import CSV_HEADER, render_roll_csv, render_roll_html, roll_heading
from domain import commands as cmd
from domain.errors import InvalidInput
from domain.events import PaymentLinesWithdrawn
from domain.household import Declaration, IncomeKind, LabourCapacity, Member, Relation
from domain.identity import parse_resident_id
from domain.procedure.records import BenefitPeriod
from domain.programmes import CaseState, decide, project
from domain.programmes.dibao.stages import Stage
from tests.builders import BICHENG, JINSHAN, actor, application, ctx
from tests.unit.domain import dynamic_support as dynamic

JINSHAN_VILLAGE_1 = "532302101001"
JINSHAN_VILLAGE_2 = "532302101002"
BICHENG_VILLAGE_1 = "532302103001"

ROOT = Path(__file__).resolve().parents[2]


async def seed_case(
    pool: asyncpg.Pool,
    periods: list[tuple[str, str]] | list[tuple[str, str, int]],
    *,
    village_code: str = JINSHAN_VILLAGE_1,
    stage: Stage = Stage.IN_PAYMENT,
    stop: str | None = None,
    version: int = 10,
) -> CaseState:
    """Store a case (as the workflow's record activity would) with ``periods`` of ``(from_month, amount[,
    household_size])``; its first payment month is the first period's month."""
    who = actor(jurisdiction=village_code[:9])
    c = ctx(who, case_id=uuid4())
    submitted = project(decide(None, application(village_code, unique=True), c))
    assert submitted is not None
    bps = tuple(
        BenefitPeriod(from_month=p[0], monthly_amount=Decimal(p[1]), household_size=p[2] if len(p) > 2 else 2,
                      parameter_set_version="test", seq=10 + i)
        for i, p in enumerate(periods)
    )
    state = submitted.model_copy(update={
        "version": version,
        "stage": stage,
        "benefit_periods": bps,
        "first_payment_month": bps[0].from_month if bps else None,
        "monthly_amount": bps[-1].monthly_amount if bps else None,
        "stop_effective_month": stop,
    })
    await PgCaseStore(pool).record(state, [])
    return state


def mine(roll: Roll, *cases: CaseState) -> dict[UUID, RollLine]:
    ids = {c.case_id for c in cases}
    return {line.case_id: line for line in roll.lines if line.case_id in ids}


def assert_no_case_twice(roll: Roll) -> None:
    counts = Counter(line.case_id for line in roll.lines)
    assert all(n == 1 for n in counts.values()), counts.most_common(3)


async def test_a_roll_pays_every_payable_case_once_and_no_case_whose_stop_is_in_effect(
    pg_pool: asyncpg.Pool,
) -> None:
    """S1 Art. 21 (paid from the month after the approval), S1 Art. 25 (paid monthly), SPEC §8.3 (a stop
    takes effect from its month): the roll for 2003-06 holds every case payable in 2003-06 exactly once —
    in payment, under review, in 渐退期, or exited with the stop still ahead — and no case whose stop is
    effective by 2003-06, whose first payment month is later, whose amount is 0 or that is not yet in payment.
    A case whose stop is decided but not yet in effect (``stopping``) is still paid until its stop month (S1
    Art. 32).
    """
    month = "2003-06"
    paid = await seed_case(pg_pool, [("2003-01", "500.00")])
    in_review = await seed_case(pg_pool, [("2002-11", "320.50", 1)], stage=Stage.UNDER_REVIEW,
                                village_code=JINSHAN_VILLAGE_2)
    gradual = await seed_case(pg_pool, [("2003-02", "410.00")], stage=Stage.GRADUAL_EXIT, stop="2003-07")
    stop_ahead = await seed_case(pg_pool, [("2003-01", "275.00", 3)], stage=Stage.EXITED, stop="2003-09")
    stopping = await seed_case(pg_pool, [("2003-01", "390.00", 2)], stage=Stage.STOPPING, stop="2003-07")
    stopping_from_now = await seed_case(pg_pool, [("2003-01", "390.00")], stage=Stage.STOPPING, stop="2003-06")
    stopped_this_month = await seed_case(pg_pool, [("2003-01", "500.00")], stage=Stage.EXITED, stop="2003-06")
    stopped_before = await seed_case(pg_pool, [("2003-01", "500.00")], stage=Stage.EXITED, stop="2003-03")
    stop_recorded_while_paid = await seed_case(pg_pool, [("2003-01", "500.00")], stop="2003-06")
    not_yet = await seed_case(pg_pool, [("2003-07", "500.00")], stage=Stage.UNDER_REVIEW)
    cut_to_zero = await seed_case(pg_pool, [("2003-01", "300.00"), ("2003-05", "0.00")])
    unpublished = await seed_case(pg_pool, [("2003-01", "500.00")], stage=Stage.APPROVED)
    seeded = (paid, in_review, gradual, stop_ahead, stopping, stopping_from_now, stopped_this_month, stopped_before,
              stop_recorded_while_paid, not_yet, cut_to_zero, unpublished)

    roll = await generate_roll(pg_pool, JINSHAN, month, "county-01")

    lines = mine(roll, *seeded)
    assert set(lines) == {paid.case_id, in_review.case_id, gradual.case_id, stop_ahead.case_id, stopping.case_id}
    assert {c: (line.amount, line.household_size) for c, line in lines.items()} == {
        paid.case_id: (Decimal("500.00"), 2),
        in_review.case_id: (Decimal("320.50"), 1),
        gradual.case_id: (Decimal("410.00"), 2),
        stop_ahead.case_id: (Decimal("275.00"), 3),
        stopping.case_id: (Decimal("390.00"), 2),
    }
    assert_no_case_twice(roll)
    assert (roll.township_code, roll.month, roll.generated_by) == (JINSHAN, month, "county-01")
    assert roll.created
    assert roll.totals.lines == roll.totals.households == len(roll.lines)
    assert roll.totals.persons == sum(line.household_size for line in roll.lines)
    assert roll.totals.amount == sum(line.amount for line in roll.lines)
    keys = [(line.village_code, str(line.case_id)) for line in roll.lines]
    assert keys == sorted(keys)
    assert lines[in_review.case_id].village_code == JINSHAN_VILLAGE_2


async def test_lines_show_the_applicant_by_name_and_masked_id_only(pg_pool: asyncpg.Pool) -> None:
    """SPEC §9: the roll names the applicant and shows the ID number as ``532302********0029`` (first 6 and
    last 4); the full ID number of no member appears anywhere in the roll."""
    case = await seed_case(pg_pool, [("2003-01", "500.00")])

    roll = await generate_roll(pg_pool, JINSHAN, "2003-02", "county-01")

    line = mine(roll, case)[case.case_id]
    applicant = case.members[0]
    assert line.applicant_name == applicant.name == "测试甲"
    assert line.resident_id_masked == parse_resident_id(applicant.resident_id).masked()
    assert line.resident_id_masked == applicant.resident_id[:6] + "********" + applicant.resident_id[-4:]
    dumped = roll.model_dump_json()
    assert all(m.resident_id not in dumped for m in case.members)
    assert "created" not in roll.model_dump()


async def test_generating_a_roll_twice_or_five_times_at_once_pays_each_case_once(
    pg_pool: asyncpg.Pool,
) -> None:
    """S1 Art. 25: a household is paid once a month. Generating again, sequentially or concurrently, returns
    the same lines; the primary key (case_id, month) leaves no room for a duplicate."""
    month = "2004-02"
    cases = [await seed_case(pg_pool, [("2004-01", f"{400 + i}.00")], village_code=v)
             for i, v in enumerate((JINSHAN_VILLAGE_1, JINSHAN_VILLAGE_2, JINSHAN_VILLAGE_1))]

    rolls = await asyncio.gather(*(generate_roll(pg_pool, JINSHAN, month, f"staff-{i}") for i in range(5)))
    again = await generate_roll(pg_pool, JINSHAN, month, "staff-9")

    assert sum(r.created for r in rolls) == 1
    assert not again.created
    assert again.added == 0
    assert all(r.lines == rolls[0].lines for r in (*rolls, again))
    assert all(r.totals == rolls[0].totals for r in (*rolls, again))
    assert len({r.generated_by for r in (*rolls, again)}) == 1  # the first generator stays on the roll
    assert set(mine(again, *cases)) == {c.case_id for c in cases}
    assert_no_case_twice(again)
    stored = await pg_pool.fetch(
        "SELECT case_id, count(*) AS n FROM payment_lines WHERE township_code = $1 AND month = $2"
        " GROUP BY case_id",
        JINSHAN, month,
    )
    assert len(stored) == len(again.lines)
    assert all(r["n"] == 1 for r in stored)


async def test_a_new_amount_applies_from_the_month_of_its_benefit_period(pg_pool: asyncpg.Pool) -> None:
    """SPEC §8 (an increase, decrease or recalculation takes effect from its month): 500 yuan for 3 people
    until 2005-03, 650 yuan for 4 from 2005-04."""
    case = await seed_case(pg_pool, [("2005-01", "500.00", 3), ("2005-04", "650.00", 4)])

    march, april, may = [await generate_roll(pg_pool, JINSHAN, m, "county-01")
                         for m in ("2005-03", "2005-04", "2005-05")]

    def paid(roll: Roll) -> tuple[Decimal, int]:
        line = mine(roll, case)[case.case_id]
        return line.amount, line.household_size

    assert paid(march) == (Decimal("500.00"), 3)
    assert paid(april) == (Decimal("650.00"), 4)
    assert paid(may) == (Decimal("650.00"), 4)


async def test_after_a_death_the_case_row_counts_the_household_the_roll_pays_for(pg_pool: asyncpg.Pool) -> None:
    """S1 Art. 7 (a member who died no longer lives in the household) and S6 §一(三) (N recomputed): a household
    of 4 loses a member, the review decreases the amount for 3; the read model's case row then shows the
    household of 3, as the benefit period and the roll line do (it showed the 4 who applied)."""
    case = dynamic.in_payment(*_household_of_four(), case_id=uuid4())
    case.on(date(2027, 2, 20))
    case.do(dynamic.CASEWORKER, cmd.RaiseDataAlert(alert=cmd.AlertType.DEATH, member_index=3,
                                                   occurred_on=date(2027, 2, 14), source="殡葬管理信息比对"))
    case.on(date(2027, 3, 5))
    dynamic.review(case, "家庭成员死亡，保障人口减为3人", payments=dynamic.paid("2026-12", "2027-03", "600"))
    store = PgCaseStore(pg_pool)
    await store.record(case.state, case.events)

    roll = await generate_roll(pg_pool, JINSHAN, "2027-04", "county-01")

    row = await store.get_case(case.state.case_id)
    assert row is not None
    line = mine(roll, case.state)[case.state.case_id]
    assert (line.household_size, line.amount) == (3, Decimal("325.00"))
    assert row["household_size"] == 3
    assert await pg_pool.fetchval("SELECT household_size FROM benefit_periods WHERE case_id = $1 "
                                  "ORDER BY from_month DESC LIMIT 1", case.state.case_id) == 3


async def test_a_stop_withdraws_its_unpaid_line_from_the_drawn_roll_which_never_pays_or_adds_it_back(
    pg_pool: asyncpg.Pool,
) -> None:
    """S1 Art. 32 (nothing paid from the stop month) and S1 Art. 25 (paid month by month): April's and May's rolls
    are drawn up; on 15 April the county stops the benefit from May. Recording the stop withdraws May's line —
    not paid yet, its month has not begun — so May's roll no longer pays it (nor its totals, nor the CSV the bank
    pays from), lists it as withdrawn, a new generation does not add it back, and the months paid for the case
    (what a later decision may order back) are April's and earlier only."""
    case = dynamic.in_payment(*dynamic.single_elder(), case_id=uuid4())
    store = PgCaseStore(pg_pool)
    case.on(date(2027, 4, 1))
    await store.record(case.state, case.events)
    for month in ("2027-04", "2027-05"):
        await generate_roll(pg_pool, JINSHAN, month, "county-01")
    case.on(date(2027, 4, 15))
    paid = tuple(await store.paid_months(case.state.case_id))
    assert [(p.month, p.amount) for p in paid] == [("2027-04", Decimal("275.00")), ("2027-05", Decimal("275.00"))]
    before = case.state.version

    events = case.do(dynamic.COUNTY_APPROVER, cmd.StopBenefit(reason_code=cmd.StopReason.VOLUNTARY_EXIT,
                                                              reasons=["本人申请退出"]), payments=paid)
    await store.record(case.state, [ev for ev in events if ev.seq > before])
    await store.record(case.state, [ev for ev in events if ev.seq > before])  # an activity retry

    assert [ev.type for ev in events][:2] == ["benefit_stopped", "payment_lines_withdrawn"]
    may = await get_roll(pg_pool, JINSHAN, "2027-05")
    assert may is not None
    assert case.state.case_id not in mine(may, case.state)
    assert [line.case_id for line in may.withdrawn if line.case_id == case.state.case_id] == [case.state.case_id]
    assert may.totals.lines == len(may.lines)
    assert may.totals.amount == sum((line.amount for line in may.lines), Decimal("0.00"))
    assert str(case.state.case_id) not in render_roll_csv(may).decode("utf-8-sig")
    page = render_roll_html(may, roll_heading(may), date(2027, 4, 15))
    assert f"已撤回 {len(may.withdrawn)} 户" in page
    again = await generate_roll(pg_pool, JINSHAN, "2027-05", "county-01")
    assert case.state.case_id not in mine(again, case.state)
    april = await get_roll(pg_pool, JINSHAN, "2027-04")
    assert april is not None
    assert mine(april, case.state)[case.state.case_id].amount == Decimal("275.00")
    assert [(p.month, p.amount) for p in await store.paid_months(case.state.case_id)] == [
        ("2027-04", Decimal("275.00"))]
    withdrawal = events[1]
    assert await pg_pool.fetchval(
        "SELECT withdrawn_seq FROM payment_lines WHERE case_id = $1 AND month = '2027-05'", case.state.case_id
    ) == withdrawal.seq


async def test_a_withdrawn_line_is_drawn_again_only_for_a_case_payable_that_month_again(pg_pool: asyncpg.Pool) -> None:
    """S1 Arts. 25, 33: a 渐退期's stop withdrew the line of its stop month; a review then resumed the benefit, so
    the case is payable that month again and the next generation draws the line anew, at the amount now in
    force. A case whose stop still stands keeps its line withdrawn."""
    month = "2008-04"
    resumed = await seed_case(pg_pool, [("2008-01", "500.00")])
    stopped = await seed_case(pg_pool, [("2008-01", "300.00")])
    await generate_roll(pg_pool, JINSHAN, month, "county-01")
    async with pg_pool.acquire() as conn:
        for case in (resumed, stopped):
            await withdraw_lines(conn, PaymentLinesWithdrawn(
                case_id=case.case_id, seq=case.version + 1, at=datetime(2008, 3, 20, tzinfo=UTC),
                actor=actor(), months=(month,), per_month={month: Decimal("1")}, amount=Decimal("1")))
    await seed_case_update(pg_pool, resumed, periods=(("2008-01", "500.00"), ("2008-04", "450.00")))
    await PgCaseStore(pg_pool).record(stopped.model_copy(update={
        "version": stopped.version + 1, "stage": Stage.EXITED, "stop_effective_month": month}), [])

    roll = await generate_roll(pg_pool, JINSHAN, month, "county-01")

    assert {c: line.amount for c, line in mine(roll, resumed, stopped).items()} == {
        resumed.case_id: Decimal("450.00")}
    assert [line.case_id for line in roll.withdrawn if line.case_id in {resumed.case_id, stopped.case_id}] == [
        stopped.case_id]


def _household_of_four() -> tuple[list[Member], Declaration]:
    """SPEC §12 sc. 12: four rural members, 9,600 a year of farming and a parent's 1,200 pension: 600.00."""
    members = [dynamic.member("杨大", "19800101", "411", Relation.APPLICANT),
               dynamic.member("柳二", "19820202", "422", Relation.SPOUSE),
               dynamic.member("杨小", "20120303", "433"),
               dynamic.member("杨老汉", "19450404", "444", Relation.PARENT, LabourCapacity.NONE)]
    declaration = Declaration(income=[dynamic.income(IncomeKind.BUSINESS_NET, 9600),
                                      dynamic.income(IncomeKind.TRANSFER_RECEIVED, 1200, 3)])
    return members, declaration


async def test_generating_again_adds_a_case_that_became_payable_and_changes_no_line(
    pg_pool: asyncpg.Pool,
) -> None:
    """A case published after the roll was first generated is added by the next generation; a line already
    on the roll (the money already on its way) is never changed by a later decision."""
    month = "2006-03"
    early = await seed_case(pg_pool, [("2006-01", "500.00")])
    late = await seed_case(pg_pool, [("2006-03", "300.00")], stage=Stage.APPROVED)
    first = await generate_roll(pg_pool, JINSHAN, month, "county-01")
    await seed_case_update(pg_pool, late, stage=Stage.IN_PAYMENT)
    await seed_case_update(pg_pool, early, periods=(("2006-01", "500.00"), ("2006-03", "700.00")))

    second = await generate_roll(pg_pool, JINSHAN, month, "county-01")

    assert set(mine(first, early, late)) == {early.case_id}
    assert set(mine(second, early, late)) == {early.case_id, late.case_id}
    assert second.added == 1
    assert not second.created
    assert mine(second, early)[early.case_id].amount == Decimal("500.00")


async def seed_case_update(pool: asyncpg.Pool, state: CaseState, *, stage: Stage | None = None,
                           periods: tuple[tuple[str, str], ...] | None = None) -> CaseState:
    """Record a newer version of a seeded case."""
    update: dict[str, object] = {"version": state.version + 1}
    if stage is not None:
        update["stage"] = stage
    if periods is not None:
        update["benefit_periods"] = tuple(
            BenefitPeriod(from_month=m, monthly_amount=Decimal(a), household_size=2,
                          parameter_set_version="test", seq=20 + i)
            for i, (m, a) in enumerate(periods))
    newer = state.model_copy(update=update)
    await PgCaseStore(pool).record(newer, [])
    return newer


async def test_a_case_of_another_township_never_appears_on_the_roll(pg_pool: asyncpg.Pool) -> None:
    """S1 Art. 25 through the township: 金山镇's roll holds 金山镇's households only, 碧城镇's its own."""
    month = "2007-05"
    jinshan = await seed_case(pg_pool, [("2007-01", "500.00")])
    bicheng = await seed_case(pg_pool, [("2007-01", "500.00")], village_code=BICHENG_VILLAGE_1)

    jinshan_roll = await generate_roll(pg_pool, JINSHAN, month, "county-01")
    bicheng_roll = await generate_roll(pg_pool, BICHENG, month, "county-01")

    assert bicheng.case_id not in {line.case_id for line in jinshan_roll.lines}
    assert jinshan.case_id not in {line.case_id for line in bicheng_roll.lines}
    assert set(mine(jinshan_roll, jinshan, bicheng)) == {jinshan.case_id}
    assert set(mine(bicheng_roll, jinshan, bicheng)) == {bicheng.case_id}
    assert all(line.village_code.startswith(JINSHAN) for line in jinshan_roll.lines)
    assert all(line.village_code.startswith(BICHENG) for line in bicheng_roll.lines)


async def test_a_roll_not_generated_is_none_and_bad_months_or_townships_are_refused(
    pg_pool: asyncpg.Pool,
) -> None:
    assert await get_roll(pg_pool, JINSHAN, "2001-01") is None
    with pytest.raises(InvalidInput) as bad_month:
        await generate_roll(pg_pool, JINSHAN, "2027-13", "county-01")
    with pytest.raises(InvalidInput) as bad_township:
        await generate_roll(pg_pool, "53230210", "2027-03", "county-01")
    with pytest.raises(InvalidInput):
        await get_roll(pg_pool, "532302999", "2027-03")  # not a township of 禄丰市

    assert bad_month.value.field == ("month",)
    assert bad_township.value.field == ("township_code",)
    assert await pg_pool.fetchval("SELECT count(*) FROM payment_rolls WHERE month = '2027-13'") == 0


async def test_a_payee_account_keeps_its_reference_and_shows_its_last_four_digits_only(
    pg_pool: asyncpg.Pool,
) -> None:
    """S1 Art. 25 (paid through a bank or credit-union account); SPEC §9: the roll carries the account
    reference and the last four digits, never the number."""
    case = await seed_case(pg_pool, [("2008-01", "500.00")])
    without = await seed_case(pg_pool, [("2008-01", "200.00")])

    ref = await set_payee(pg_pool, case.case_id, "禄丰农村商业银行", "6217 0000 1111 2222 333", "window-01")
    same_ref = await set_payee(pg_pool, case.case_id, "中国邮政储蓄银行", "6221889900001234", "window-01")
    roll = await generate_roll(pg_pool, JINSHAN, "2008-02", "county-01")

    assert same_ref == ref
    lines = mine(roll, case, without)
    assert (lines[case.case_id].account_ref, lines[case.case_id].account_masked) == (ref, "****1234")
    assert (lines[without.case_id].account_ref, lines[without.case_id].account_masked) == (None, None)
    assert roll.totals.without_account >= 1
    text = roll.model_dump_json() + render_roll_csv(roll).decode("utf-8-sig")
    assert "6221889900001234" not in text
    assert "62170000111122223333" not in text
    with pytest.raises(InvalidInput):
        await set_payee(pg_pool, case.case_id, "银行", "1234", "window-01")
    with pytest.raises(UnknownCase):
        await set_payee(pg_pool, uuid4(), "银行", "6221889900001234", "window-01")


async def test_the_csv_starts_with_a_bom_and_chinese_headers(pg_pool: asyncpg.Pool) -> None:
    """Excel opens a UTF-8 CSV as Chinese text only when it starts with a byte-order mark."""
    case = await seed_case(pg_pool, [("2009-01", "512.30")])
    roll = await generate_roll(pg_pool, JINSHAN, "2009-01", "county-01")

    data = render_roll_csv(roll)

    assert data.startswith(b"\xef\xbb\xbf")
    rows = data.decode("utf-8-sig").splitlines()
    assert rows[0].split(",") == list(CSV_HEADER)
    assert {"村(社区)代码", "户主姓名", "身份证号(脱敏)", "保障人数", "月保障金额(元)", "账户引用"} <= set(
        CSV_HEADER
    )
    row = next(r for r in rows if str(case.case_id) in r).split(",")
    masked = mine(roll, case)[case.case_id].resident_id_masked
    assert row[1:7] == [JINSHAN_VILLAGE_1, str(case.case_id), "测试甲", masked, "2", "512.30"]
    assert all(m.resident_id not in data.decode("utf-8-sig") for m in case.members)


_RUNNER = """
import argparse, sys
from cli.payments import register
parser = argparse.ArgumentParser(prog="casework")
register(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


async def casework(dsn: str, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEWORK_DATABASE_URL": dsn, "CASEWORK_LOG_JSON": "true", "PYTHONPATH": str(ROOT)}
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", _RUNNER, *argv], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=60,
    )


async def test_the_cli_generates_a_roll_writes_csv_and_html_and_shows_it(
    pg_pool: asyncpg.Pool, pg_dsn: str, tmp_path: Path
) -> None:
    case = await seed_case(pg_pool, [("2010-01", "500.00")])
    csv_path, html_path = tmp_path / "roll.csv", tmp_path / "roll.html"

    missing = await casework(pg_dsn, tmp_path, "payments", "show", "--township", JINSHAN,
                             "--month", "2010-03")
    made = await casework(pg_dsn, tmp_path, "payments", "roll", "--township", JINSHAN, "--month", "2010-03",
                          "--csv", str(csv_path), "--html", str(html_path), "--by", "county-01")
    shown = await casework(pg_dsn, tmp_path, "payments", "show", "--township", JINSHAN, "--month", "2010-03")
    bad = await casework(pg_dsn, tmp_path, "payments", "roll", "--township", JINSHAN, "--month", "2010-13")

    assert missing.returncode == 1
    assert "no roll" in missing.stderr
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("created; lines added: ")
    assert "禄丰市 金山镇 2010年3月 最低生活保障金发放名册" in made.stdout
    assert shown.returncode == 0, shown.stderr
    assert "generated by county-01" in shown.stdout
    assert bad.returncode == 2
    assert "--month" in bad.stderr
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert str(case.case_id) in csv_path.read_text(encoding="utf-8-sig")
    html = html_path.read_text(encoding="utf-8")
    assert "<title>禄丰市 金山镇 2010年3月 最低生活保障金发放名册</title>" in html
    assert all(m.resident_id not in html for m in case.members)
    assert csv_path.stat().st_mode & 0o077 == 0
