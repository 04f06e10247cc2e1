"""Properties of the in-payment life: random in-payment command sequences through the pure domain (SPEC §8).

Each run takes an eligible household (1-4 members, random ages, labour capacity and income) through the whole
S1 procedure into payment, with random local parameters (stop/change effective this or next month, recovery
after death on or off, 渐退期 amount kept or halved, a material-change threshold). Then, step by step, the
clock moves 0-40 days, the payment roll pays every month now due at the amount then payable (as the payroll
does, and as ``DecisionContext.payments`` reports it), and one in-payment command is sent: reported changes,
data alerts, ad-hoc and periodic reviews with their information check, review decisions (with or without a
渐退期), job refusals and share cuts, fraud findings, stops, stop notices, the end of a 渐退期 and standard
changes. Most commands come from the role that may send them; many are refused, which is part of the point.

After every accepted command the invariants below must hold, each citing the article it protects; at the end
the stream, stored as JSON and folded again, must give the same state.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from domain import commands as c
from domain import events as e
from domain.actors import Actor, Role
from domain.errors import DomainError
from domain.household import Declaration, IncomeKind, LabourCapacity, Member, Relation
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import SYSTEM_ACTOR
from domain.kernel.state import PaidMonth
from domain.months import add_months_to_month, month_after, month_of
from domain.parameters import ResolvedParameters
from domain.programmes import CaseState, project
from domain.programmes.dibao.rules import household_assessment
from domain.programmes.dibao.stages import Stage
from domain.verification import InfoCheckReport
from tests.builders import resident_id
from tests.unit.domain.dynamic_support import (
    CASEWORKER,
    COUNTY_APPROVER,
    DECIDED_ON,
    WINDOW,
    Case,
    in_payment,
    income,
    months_from,
    params,
)

EVENT_STREAM = TypeAdapter(list[e.CaseEvent])
NAMES = "甲乙丙丁"
TEXT = st.sampled_from(("复核家庭经济状况", "收入变化", "经信息比对核实", "本人申请"))

#: Each step's command kind, with weights: reviews get checked and decided, refusals pile up to a share cut,
#: and the ends of a case (fraud, stop) are rare enough for runs to live long.
WEIGHTS = {"report_income": 10, "report_leaving": 4, "report_joining": 3, "alert": 7, "ad_hoc": 4,
           "periodic": 6, "check": 12, "decide": 14, "refusal": 12, "reduce": 6, "fraud": 1, "stop": 2,
           "serve": 4, "end_exit": 5, "exit": 4, "standard": 4}
KINDS = tuple(kind for kind, weight in WEIGHTS.items() for _ in range(weight))

#: A stop decided: stopping (still paid until the stop month) or exited (S1 Art. 32).
STOPPED = (Stage.STOPPING, Stage.EXITED)
#: Events that lower or end what the household gets: each needs a person's decision (SPEC §8; S1 Art. 32).
ADVERSE = (e.BenefitStopped, e.BenefitDecreased, e.MemberBenefitReduced, e.GradualExitGranted)
MULTIPLES = (Decimal(1), Decimal("2.5"), Decimal(3))  # S4 Art. 68: one to three times
#: Per-capita monthly income levels (hypothesis draws small integers far more often than large ones, so levels
#: around the 375.00 standard and the 562.50 near-dibao line are sampled instead).
ELIGIBLE_PER_CAPITA = (0, 60, 150, 230, 310, 360, 374)
PER_CAPITA = (*ELIGIBLE_PER_CAPITA, 376, 420, 480, 562, 563, 700)


@st.composite
def households(draw: Any) -> tuple[list[Member], Declaration]:
    """1-4 members (ages 6-86, any labour capacity) with countable income below the 375.00 standard."""
    n = draw(st.integers(1, 4))
    members = []
    for i in range(n):
        born = draw(st.dates(date(1940, 1, 1), date(2020, 12, 31)))
        members.append(Member(name=f"成员{NAMES[i]}", resident_id=resident_id(birth=born.strftime("%Y%m%d"),
                                                                              seq=f"{100 + i:03d}"),
                              relation=Relation.APPLICANT if i == 0 else Relation.CHILD,
                              labour_capacity=draw(st.sampled_from(LabourCapacity))))
    total = draw(st.sampled_from(ELIGIBLE_PER_CAPITA)) * 12 * n
    irregular = draw(st.booleans())
    return members, Declaration(income=[income(IncomeKind.BUSINESS_NET, total, irregular=irregular)])


local_parameters = st.builds(
    params,
    change_effective=st.sampled_from(("next_month", "this_month")),
    recover_overpayment_after_death=st.booleans(),
    gradual_exit_amount=st.sampled_from(("keep", "half")),
    material_change_min_yuan=st.sampled_from((Decimal("0"), Decimal("20"))),
)


class Run:
    """One case, the payment roll's lines so far, and the invariants checked after each accepted command."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.roll: dict[str, Decimal] = {}

    @property
    def today(self) -> date:
        return self.case.now.astimezone(CHINA_TZ).date()

    def pay_due_months(self, draw_next: bool = False) -> None:
        """The payroll pays each month once, in that month, at the amount then payable; next month's roll may
        already be drawn up (at most next month: its line is on the roll, not paid yet)."""
        state = self.case.state
        assert state.first_payment_month is not None
        current = month_of(self.today)
        last = month_after(self.today) if draw_next else current
        if state.first_payment_month > last:
            return
        for month in months_from(state.first_payment_month, last):
            amount = state.amount_for(month)
            if month not in self.roll and amount is not None and amount > 0:
                self.roll[month] = amount

    def payments(self) -> tuple[PaidMonth, ...]:
        return tuple(PaidMonth(month=m, amount=a) for m, a in sorted(self.roll.items()))

    def send(self, actor: Actor, command: Any,
             with_params: ResolvedParameters | None = None) -> list[e.CaseEvent]:
        before = self.case.state
        try:
            events = self.case.do(actor, command, payments=self.payments(), with_params=with_params)
        except DomainError:
            assert self.case.state is before
            return []
        for ev in events:
            event(f"recorded {ev.type}")
        self.check(before, command, events)
        for ev in events:  # the store marks them withdrawn: no longer lines the roll pays
            if isinstance(ev, e.PaymentLinesWithdrawn):
                for month in ev.months:
                    del self.roll[month]
        return events

    # --- invariants -----------------------------------------------------------------------------------

    def check(self, before: CaseState, command: Any, events: list[e.CaseEvent]) -> None:
        after = self.case.state
        assert [ev.seq for ev in events] == list(range(before.version + 1, after.version + 1))

        # The amount's history is a sequence of periods with strictly increasing start months (one amount per
        # month: S1 Arts. 21, 25) and no negative amount (S4 Art. 12: max(0, S − I) × N).
        starts = [p.from_month for p in after.benefit_periods]
        assert all(a < b for a, b in zip(starts, starts[1:], strict=False)), starts
        assert all(p.monthly_amount >= 0 for p in after.benefit_periods)

        # A month is never ordered back beyond what the roll paid for it (S4 Art. 68; SPEC §12 sc. 11).
        for month, amount in after.recovered.items():
            assert amount <= self.roll.get(month, Decimal("0")), (month, amount, self.roll.get(month))

        # No payable month from the stop's effective month on (S1 Art. 32; SPEC §12 sc. 11), once stopping.
        if after.stage in STOPPED:
            stop = after.stop_effective_month
            assert stop is not None
            assert after.stop_reason is not None
            first = after.first_payment_month
            assert first is not None
            for month in months_from(min(first, stop), add_months_to_month(stop, 36)):
                if month >= stop:
                    assert after.amount_for(month) is None, month

        # A stop is final: the stop month and the amounts paid up to it never change again, and an exit stays
        # an exit (S1 Art. 32).
        if before.stage in STOPPED:
            assert after.stage in STOPPED
            assert after.stop_effective_month == before.stop_effective_month
            assert after.benefit_periods == before.benefit_periods
        if before.stage is Stage.EXITED:
            assert after.stage is Stage.EXITED

        # A stopping case is still in payment (not closed: its members stay in an active case) until it exits,
        # which it does only once its stop month has begun and its notice is served (S1 Art. 32).
        if after.stage is Stage.STOPPING:
            assert not after.is_closed
        if after.stage is Stage.EXITED and before.stage is not Stage.EXITED:
            assert before.stage is Stage.STOPPING
            assert after.stop_notice_served
            assert after.stop_effective_month is not None
            assert month_of(self.today) >= after.stop_effective_month

        # A 渐退期 pays through its last month and stops after it (S1 Art. 33).
        if after.stage is Stage.GRADUAL_EXIT:
            assert after.gradual_exit_ends_month is not None
            assert after.stop_effective_month == add_months_to_month(after.gradual_exit_ends_month, 1)

        history = {ev.seq: ev for ev in self.case.events}
        for ev in events:
            decided = ev.at.astimezone(CHINA_TZ).date()
            # Nothing lowers or stops a benefit without a person's decision (S1 Art. 32; SPEC §8): the one
            # stop the engine carries out is the end of a 渐退期, decided (by a person) when it was granted.
            if isinstance(ev, ADVERSE) and ev.actor.role is Role.SYSTEM:
                assert isinstance(ev, e.BenefitStopped)
                assert ev.decided_seq is not None
                grant = history[ev.decided_seq]
                assert isinstance(grant, e.GradualExitGranted)
                assert grant.actor.role is not Role.SYSTEM
            if isinstance(ev, e.BenefitStopped):
                # Never dated later than the month after the decision (SPEC §8.3), with reasons (S1 Art. 32).
                assert ev.effective_month <= month_after(decided)
                assert ev.reasons
                self.check_recovery(before, after, ev, events)
            if isinstance(ev, e.BenefitDecreased):
                assert ev.reasons
            if isinstance(ev, e.GradualExitGranted):
                # The 渐退期's stop is decided now: a drawn line from its stop month on (never begun yet) is
                # withdrawn now, not paid (S1 Arts. 25, 32, 33).
                withdrawn = {m for w in events if isinstance(w, e.PaymentLinesWithdrawn) for m in w.months}
                assert withdrawn == {m for m in self.roll if m >= ev.stop_effective_month}
                assert all(m > month_of(self.today) for m in withdrawn)
        # A standard change never stops or decreases by itself; crossing out of eligibility opens a review
        # (S1 Arts. 31-32).
        if isinstance(command, c.ApplyStandardChange):
            assert not any(isinstance(ev, e.BenefitStopped | e.BenefitDecreased) for ev in events)
            recalculated = events[0]
            assert isinstance(recalculated, e.BenefitRecalculated)
            if not recalculated.eligible:  # kept; a review decides (a running 渐退期 simply goes on)
                assert recalculated.new_amount == recalculated.old_amount
                running_exit = before.gradual_exit_ends_month is not None
                assert after.stage is (before.stage if running_exit else Stage.UNDER_REVIEW)

    def check_recovery(self, before: CaseState, after: CaseState, stopped: e.BenefitStopped,
                       events: list[e.CaseEvent]) -> None:
        """S4 Art. 68; S6 §五(五); SPEC §12 sc. 11: all the roll paid for months from the stop on is ordered
        back (with what earlier decreases ordered back, exactly what was paid) — unless the stop follows only
        a death and the local flag is off; fraud orders the finding's amount instead."""
        recoveries = [ev for ev in events if isinstance(ev, e.OverpaymentRecoveryOrdered)]
        # S1 Arts. 25, 32: a line from the stop on whose month has not begun was not paid: withdrawn, and
        # nothing is (or stays) ordered back for it; one whose month has begun was paid.
        withdrawn = {m for ev in events if isinstance(ev, e.PaymentLinesWithdrawn) for m in ev.months}
        unpaid = {m for m in self.roll if m >= stopped.effective_month and m > month_of(self.today)}
        assert withdrawn == unpaid, (withdrawn, unpaid)
        assert not withdrawn & set(after.recovered)
        assert not withdrawn & set(after.back_paid)
        death_only = bool(before.unresolved_deaths) and stopped.reason_code is c.StopReason.NO_MEMBERS
        if stopped.reason_code is c.StopReason.FRAUD:
            assert any(ev.amount > 0 and not ev.per_month for ev in recoveries)
        elif death_only and not self.case.params.values.dynamic.recover_overpayment_after_death:
            assert not recoveries
        else:
            for month, amount in self.roll.items():
                if stopped.effective_month <= month <= month_of(self.today):
                    assert after.recovered.get(month) == amount, (month, amount, after.recovered)

    # --- commands -------------------------------------------------------------------------------------

    def step(self, draw: Any, number: int) -> None:
        state = self.case.state
        self.case.on(self.today + timedelta(days=draw(st.integers(0, 40))))
        self.pay_due_months(draw_next=draw(st.booleans()))
        n = len(state.members)
        index = st.integers(0, n - 1)
        since = st.dates(DECIDED_ON - timedelta(days=60), self.today)  # some deaths during the procedure
        kind = draw(st.sampled_from(KINDS))
        roll = draw(st.integers(0, 99))
        if state.stage is Stage.UNDER_REVIEW and roll < 50:
            kind = "decide" if state.info_check is not None else "check"
        elif state.stage is Stage.GRADUAL_EXIT and roll < 30:
            kind = "end_exit"
        elif roll < 40 and any(n >= 3 and i not in state.share_cuts for i, n in state.job_refusals.items()):
            kind = "reduce"
        event(f"tried {kind}")
        match kind:
            case "report_income":
                counted = max(1, len(state.counted_members))
                total = draw(st.sampled_from(PER_CAPITA)) * 12 * counted + draw(st.integers(0, 11))
                declaration = Declaration(income=[income(IncomeKind.BUSINESS_NET, total)])
                self.send(WINDOW, c.ReportChange(note=draw(TEXT), declaration=declaration))
            case "report_leaving":
                reason = draw(st.sampled_from(c.LeaveReason))
                leaving = c.MemberLeaving(member_index=draw(index), reason=reason, on=draw(since))
                self.send(WINDOW, c.ReportChange(note=draw(TEXT), members_leaving=[leaving]))
            case "report_joining":
                rid = resident_id(birth=draw(since).strftime("%Y%m%d"), seq=f"{500 + number:03d}")
                baby = Member(name="新成员", relation=Relation.CHILD, labour_capacity=LabourCapacity.NONE,
                              resident_id=rid)
                self.send(WINDOW, c.ReportChange(note=draw(TEXT), members_joining=[baby]))
            case "alert":
                self.send(CASEWORKER, c.RaiseDataAlert(alert=draw(st.sampled_from(c.AlertType)),
                                                       member_index=draw(st.none() | index),
                                                       occurred_on=draw(since), source="数据比对"))
            case "ad_hoc":
                self.send(CASEWORKER, c.OpenAdHocReview(reason=draw(TEXT)))
            case "periodic":
                due = state.next_review_due or self.today
                if draw(st.integers(0, 3)):  # the case's timer fires on the due date
                    self.case.on(max(self.today, due))
                    self.pay_due_months()
                self.send(SYSTEM_ACTOR, c.OpenPeriodicReview(due=due))
            case "check":
                self.send(SYSTEM_ACTOR, c.RequestReviewCheck())
                wages = draw(st.sampled_from(PER_CAPITA)) * 12 * max(1, len(state.counted_members))
                found = [] if draw(st.integers(0, 3)) else [income(IncomeKind.WAGES, wages)]
                self.send(SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport(found_income=found)))
            case "decide":
                # Mostly ask for a 渐退期 when the household is no longer eligible (as a county would).
                ineligible = (state.stage is Stage.UNDER_REVIEW and state.info_check is not None
                              and bool(state.counted_members)
                              and not household_assessment(state, self.case.params).eligible)
                months = draw(st.integers(1, 6)) if ineligible and draw(st.integers(0, 3)) else draw(
                    st.none() | st.integers(1, 8))
                employment = draw(st.integers(0, 3)) > 0
                self.send(COUNTY_APPROVER, c.DecideReview(
                    reasons=[draw(TEXT)], gradual_exit_months=months, income_from_employment=employment,
                    override_reason=draw(st.none() | st.just("经集体研究延长"))))
            case "refusal":  # mostly the same member able to work, so that refusals run to three in a row
                able = [i for i in state.counted_members
                        if state.members[i].labour_capacity is not LabourCapacity.NONE]
                who = able[0] if able and draw(st.integers(0, 3)) else draw(index)
                self.send(CASEWORKER, c.RecordJobRefusal(member_index=who, offer="公益性岗位",
                                                         good_reason=draw(st.integers(0, 9)) == 0))
            case "reduce":  # mostly the member with the longest streak of refusals
                streaks = sorted(state.job_refusals, key=lambda i: -state.job_refusals[i])
                who = streaks[0] if streaks and draw(st.integers(0, 3)) else draw(index)
                self.send(COUNTY_APPROVER, c.ReduceMemberShare(member_index=who, reason=draw(TEXT)))
            case "fraud":
                self.send(COUNTY_APPROVER, c.RecordFraudFinding(
                    amount_obtained=Decimal(draw(st.integers(1, 500_000))) / 100, findings=draw(TEXT),
                    fine_multiple=draw(st.none() | st.sampled_from(MULTIPLES))))
            case "stop":
                reason = draw(st.sampled_from([r for r in c.StopReason if r is not c.StopReason.FRAUD]))
                self.send(COUNTY_APPROVER, c.StopBenefit(reason_code=reason, reasons=[draw(TEXT)]))
            case "serve":
                self.send(CASEWORKER, c.ServeStopNotice())
            case "end_exit":
                if state.stop_effective_month and draw(st.booleans()):  # the timer fires on the stop month
                    self.case.on(max(self.today, date.fromisoformat(f"{state.stop_effective_month}-01")))
                    self.pay_due_months()
                self.send(SYSTEM_ACTOR, c.EndGradualExit())
            case "exit":  # the engine's exit: its timer fires at the start of the stop month (S1 Art. 32)
                if state.stop_effective_month and draw(st.booleans()):
                    self.case.on(max(self.today, date.fromisoformat(f"{state.stop_effective_month}-01")))
                    self.pay_due_months()
                self.send(SYSTEM_ACTOR, c.CompleteExit())
            case "standard":  # with nobody left it is refused (the open review decides the stop)
                version = f"532302-test-{number}"
                new = params(self.case.params, version=version, rural=str(draw(st.integers(150, 500))),
                             effective_from=self.today)
                change = c.ApplyStandardChange(version=version, effective_from=self.today)
                if self.send(COUNTY_APPROVER, change, with_params=new):
                    self.case.params = new  # the new version is in force from now on


# Random exploration on developers' machines, a fixed example sequence in CI (CI=true), as in
# test_lifecycle_properties.py. A passing run takes seconds; shrinking a failing one can take minutes, hence
# the longer timeout, and no explain phase (on Python < 3.12 its line tracer multiplies that time).
@pytest.mark.timeout(600)
@settings(max_examples=120, deadline=None, derandomize=os.environ.get("CI") == "true",
          phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink))
@given(household=households(), p=local_parameters, data=st.data())
def test_in_payment_command_sequences_keep_the_payment_invariants(household: tuple[list[Member], Declaration],
                                                                  p: ResolvedParameters,
                                                                  data: st.DataObject) -> None:
    """SPEC §8 as a whole: for random sequences of in-payment commands, nothing is payable from a stop's
    effective month on, ``benefit_periods`` start months strictly increase, exits are final, only people
    lower or stop a benefit, stops recover what the roll paid after them, and the stream refolds to the
    state (event sourcing, STYLE guideline 1)."""
    run = Run(in_payment(*household, p=p))

    for number in range(data.draw(st.integers(5, 40), label="steps")):
        run.step(data.draw, number)

    stored = EVENT_STREAM.validate_json(EVENT_STREAM.dump_json(run.case.events))
    assert project(stored) == run.case.state
    event(f"ended in {run.case.state.stage.value}")
