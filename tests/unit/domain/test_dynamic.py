"""The in-payment life, exit side (SPEC §8, §12 scenarios 10-12): 渐退期, deaths, stops, fraud.

Each case is driven through the whole S1 procedure with ``decide`` and ``project`` (see ``dynamic_support``),
approved on 2026-11-02 and paid from 2026-12; the tests then move the clock and send the in-payment commands.
Reviews, changes and the other sides of 动态管理 are in ``test_dynamic_reviews.py``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from api.schemas import CaseDetail, CasePublic
from domain import commands as c
from domain import events as e
from domain.errors import InvalidInput, InvalidTransition, NotPermitted
from domain.household import Declaration, IncomeKind, LabourCapacity, Relation
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext, every_change
from domain.months import add_months_to_month
from domain.notices import PublicationList
from domain.programmes import decide, pending_step, project
from domain.programmes.dibao.programme import DIBAO
from domain.programmes.dibao.deadlines import DEADLINES
from domain.programmes.dibao.notices import notice_for
from domain.programmes.dibao.stages import Stage
from tests.unit.domain.dynamic_support import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    WINDOW,
    Case,
    at,
    check_review,
    factory_job_declaration,
    in_payment,
    income,
    member,
    paid,
    params,
    review,
    scenario_10_household,
    single_elder,
    types,
)

# --- SPEC §12 scenario 10: income rises through employment → 渐退期 → exit ------------------------------

EXIT_REASONS = ["丈夫稳定就业后家庭人均月收入420.00元，高于当地最低生活保障标准375.00元"]


def _scenario_10_review(**dynamic: object) -> Case:
    """The §7.5 household, paid 710.00 from 2026-12; eight months on the husband reports a stable factory
    job (per capita 420.00 > 375.00) and the review's information check has come back."""
    case = in_payment(*scenario_10_household(), p=params(**dynamic))
    case.on(date(2027, 7, 15))
    case.do(WINDOW, c.ReportChange(declaration=factory_job_declaration(), note="丈夫进厂稳定就业"))
    case.on(date(2027, 7, 20))
    check_review(case)
    return case


def _grant(months: int = 6, **decision: object) -> c.DecideReview:
    return c.DecideReview(reasons=EXIT_REASONS, gradual_exit_months=months,
                          **{"income_from_employment": True, **decision})


def test_scenario_10_household_gets_710_a_month_from_the_month_after_approval() -> None:
    """SPEC §7.5; S1 Art. 13 (wages net of employment costs), S4 Art. 12 and S1 Art. 23 (补差), S1 Art. 21
    (from the month after the decision): 9,600 × 0.8 + 1,800 = 9,480 → 197.50 → (375 − 197.50) × 4."""
    case = in_payment(*scenario_10_household())

    (approved,) = case.of(e.ApplicationApproved)
    assert approved.assessment.countable_income == Decimal("9480.00")
    assert approved.assessment.per_capita_monthly_income == Decimal("197.50")
    assert case.state.monthly_amount == Decimal("710.00")
    assert (case.state.amount_for("2026-11"), case.state.amount_for("2026-12")) == (None, Decimal("710.00"))


def test_a_gradual_exit_of_six_months_is_granted_when_employment_lifts_income_above_the_standard() -> None:
    """S1 Art. 33; S6 §一(三): 渐退期 of at most 6 months; the stop is decided now, with its reasons, and
    takes effect from ``from_month + 6``. Amount during the 渐退期 kept (LOCAL PARAMETER ``keep``)."""
    case = _scenario_10_review()

    events = case.do(COUNTY_APPROVER, _grant(6))

    assert types(events) == ["gradual_exit_granted", "review_completed"]
    grant = events[0]
    assert isinstance(grant, e.GradualExitGranted)
    assert (grant.months, grant.from_month, grant.ends_month) == (6, "2027-08", "2028-01")
    assert grant.stop_effective_month == add_months_to_month(grant.from_month, 6) == "2028-02"
    assert grant.monthly_amount == Decimal("710.00")
    assert grant.assessment.per_capita_monthly_income == Decimal("420.00")
    assert not grant.assessment.eligible
    assert grant.reasons == tuple(EXIT_REASONS)
    assert grant.override_reason is None
    assert "S1 Art. 33" in grant.legal_basis
    assert events[1].outcome == "gradual_exit"
    assert case.state.stage is Stage.GRADUAL_EXIT
    assert case.state.amount_for("2028-01") == Decimal("710.00")
    assert case.state.amount_for("2028-02") is None


def test_the_gradual_exit_amount_may_be_halved_by_local_parameter() -> None:
    """SPEC §7.5: keep, halve or recompute during the 渐退期 is a LOCAL PARAMETER (here ``half``)."""
    case = _scenario_10_review(gradual_exit_amount="half")

    grant = case.do(COUNTY_APPROVER, _grant(6))[0]

    assert isinstance(grant, e.GradualExitGranted)
    assert grant.monthly_amount == Decimal("355.00")
    assert case.state.amount_for("2027-07") == Decimal("710.00")
    assert case.state.amount_for("2027-08") == Decimal("355.00")


def test_more_than_six_months_needs_a_recorded_override_reason() -> None:
    """S1 Art. 33 / S6 §一(三) "原则上不超过6个月": SPEC §12 sc. 10 asks for an explicit override with a
    recorded reason."""
    case = _scenario_10_review()

    with pytest.raises(InvalidInput) as refused:
        case.decide(COUNTY_APPROVER, _grant(7))

    assert refused.value.field == ("override_reason",)


def test_an_override_above_six_months_is_allowed_and_recorded() -> None:
    """S1 Art. 33 ("原则上"): with a recorded reason, 7 months are allowed; the reason is on the grant."""
    case = _scenario_10_review()

    grant = case.do(COUNTY_APPROVER, _grant(7, override_reason="家中有重病患者，经集体研究延长一个月"))[0]

    assert isinstance(grant, e.GradualExitGranted)
    assert grant.months == 7
    assert grant.override_reason == "家中有重病患者，经集体研究延长一个月"
    assert grant.stop_effective_month == "2028-03"


def test_an_override_reason_within_the_cap_is_not_recorded_as_an_override() -> None:
    """S1 Art. 33: within 6 months no override is needed, so none is recorded."""
    case = _scenario_10_review()

    grant = case.do(COUNTY_APPROVER, _grant(6, override_reason="无需"))[0]

    assert isinstance(grant, e.GradualExitGranted)
    assert grant.override_reason is None


def test_no_gradual_exit_when_the_income_did_not_rise_through_employment() -> None:
    """S1 Art. 33: the 渐退期 is for households whose income rose through employment."""
    case = _scenario_10_review()

    with pytest.raises(InvalidInput) as refused:
        case.decide(COUNTY_APPROVER, _grant(6, income_from_employment=False))

    assert refused.value.field == ("income_from_employment",)


def test_without_a_gradual_exit_the_review_stops_the_benefit_at_once() -> None:
    """S1 Art. 32: income above the standard, no 渐退期 asked for → stop (next month), with reasons; the
    household is referred to low-income monitoring (S1 Art. 8: 420 < 1.5 × 375)."""
    case = _scenario_10_review()

    events = case.do(COUNTY_APPROVER, c.DecideReview(reasons=EXIT_REASONS))

    assert types(events) == ["benefit_stopped", "edge_monitoring_referred", "review_completed"]
    stopped = events[0]
    assert isinstance(stopped, e.BenefitStopped)
    assert stopped.reason_code is c.StopReason.INCOME_ABOVE_STANDARD
    assert (stopped.effective_month, stopped.reasons) == ("2027-08", tuple(EXIT_REASONS))
    assert case.state.stage is Stage.STOPPING  # paid through July; exits once August begins, notice served


def test_the_gradual_exit_cannot_end_before_its_stop_month() -> None:
    """S1 Art. 33: paid through ``ends_month``; the engine's timer may end it only from the stop month on."""
    case = _scenario_10_review()
    case.do(COUNTY_APPROVER, _grant(6))
    case.on(date(2028, 1, 31), hour=23, minute=59)

    with pytest.raises(InvalidTransition, match="not run out"):
        case.decide(SYSTEM_ACTOR, c.EndGradualExit())


def test_when_the_gradual_exit_ends_the_stop_decided_with_it_takes_effect() -> None:
    """S1 Arts. 32-33; SPEC §12 sc. 10: ``GradualExitEnded`` → ``BenefitStopped{income_above_standard}`` with
    the grant's reasons (the decision is the grant: ``decided_seq``), then the household enters low-income
    monitoring (S1 Art. 8; S7 §三): 420.00 < 1.5 × 375.00 = 562.50."""
    case = _scenario_10_review()
    grant = case.do(COUNTY_APPROVER, _grant(6))[0]
    case.on(date(2028, 2, 1), hour=0, minute=5)

    events = case.do(SYSTEM_ACTOR, c.EndGradualExit())

    assert types(events) == ["gradual_exit_ended", "benefit_stopped", "edge_monitoring_referred"]
    ended, stopped, referred = events
    assert isinstance(ended, e.GradualExitEnded)
    assert ended.granted_seq == grant.seq
    assert isinstance(stopped, e.BenefitStopped)
    assert stopped.reason_code is c.StopReason.INCOME_ABOVE_STANDARD
    assert stopped.reasons == tuple(EXIT_REASONS)
    assert stopped.decided_seq == grant.seq
    assert stopped.effective_month == "2028-02"
    assert stopped.parameter_set_version == grant.parameter_set_version
    assert isinstance(referred, e.EdgeMonitoringReferred)
    assert referred.per_capita_monthly_income == Decimal("420.00")
    assert referred.threshold == Decimal("562.50")
    assert case.state.stage is Stage.STOPPING  # S1 Art. 32: the notice is still to be served
    assert case.state.amount_for("2028-01") == Decimal("710.00")
    assert case.state.amount_for("2028-02") is None
    step = pending_step(case.state)
    assert step is not None
    assert step.step == "serve_stop_notice"
    case.do(CASEWORKER, c.ServeStopNotice())
    exit_now = DIBAO.follow_up(case.state)  # the stop month has begun: the engine takes the case out at once
    assert exit_now == c.CompleteExit()
    assert types(case.do(SYSTEM_ACTOR, exit_now)) == ["case_exited"]
    assert case.state.stage is Stage.EXITED
    assert case.state.is_closed


def test_only_the_engine_ends_a_gradual_exit() -> None:
    """SPEC §0.1: natural transitions (a timer running out) are the engine's, not a person's."""
    case = _scenario_10_review()
    case.do(COUNTY_APPROVER, _grant(6))
    case.on(date(2028, 2, 1))

    with pytest.raises(NotPermitted):
        case.decide(COUNTY_APPROVER, c.EndGradualExit())


def test_a_second_gradual_exit_cannot_be_granted_while_one_runs() -> None:
    """S1 Art. 33: one 渐退期; a later review during it cannot grant another."""
    case = _scenario_10_review()
    case.do(COUNTY_APPROVER, _grant(6))
    case.on(date(2027, 9, 1))
    case.do(CASEWORKER, c.OpenAdHocReview(reason="核实就业情况"))
    check_review(case)

    with pytest.raises(InvalidTransition, match="already running"):
        case.decide(COUNTY_APPROVER, _grant(6))


# --- SPEC §12 scenario 11: death of the sole member of a 单人户 --------------------------------------------

DIED = date(2027, 3, 10)
DEATH = c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=0, occurred_on=DIED, source="殡葬管理信息比对")
PAID_THROUGH_MAY = paid("2026-12", "2027-05", "275.00")


def _sole_member_died(**dynamic: object) -> Case:
    case = in_payment(*single_elder(), p=params(**dynamic))
    case.on(date(2027, 5, 20))
    return case


def test_a_death_alert_opens_a_review_with_a_three_month_deadline() -> None:
    """S6 §三(二) (death data shared within civil affairs) → ``DataAlertRaised{DEATH}``, which opens an
    ad-hoc review (SPEC §8.1); S6 §一(三): the change is finished within 3 months of the death."""
    case = _sole_member_died()

    events = case.do(CASEWORKER, DEATH)

    assert types(events) == ["data_alert_raised", "deadline_set", "ad_hoc_review_opened"]
    alert, deadline, opened = events
    assert isinstance(alert, e.DataAlertRaised)
    assert (alert.alert, alert.member_index, alert.occurred_on) == (c.AlertType.DEATH, 0, DIED)
    assert isinstance(deadline, e.DeadlineSet)
    assert (deadline.step, deadline.due) == ("death_resolution", date(2027, 6, 10))
    assert isinstance(opened, e.AdHocReviewOpened)
    assert opened.trigger == "data_alert"
    assert case.state.stage is Stage.UNDER_REVIEW
    assert case.state.counted_members == ()
    assert DEADLINES.is_open(case.state, "death_resolution")


def test_the_review_stops_a_sole_members_benefit_from_the_month_after_death_and_recovers_the_rest() -> None:
    """S6 §一(三): stop when the only member died; SPEC §12 sc. 11: no payment from the month after the death,
    and what the rolls paid for those months is recovered (local flag, default on)."""
    case = _sole_member_died()
    case.do(CASEWORKER, DEATH)

    events = review(case, "唯一家庭成员已死亡", payments=PAID_THROUGH_MAY)

    assert types(events) == ["benefit_stopped", "overpayment_recovery_ordered", "review_completed"]
    stopped, recovery, completed = events
    assert isinstance(stopped, e.BenefitStopped)
    assert (stopped.reason_code, stopped.effective_month) == (c.StopReason.NO_MEMBERS, "2027-04")
    assert isinstance(recovery, e.OverpaymentRecoveryOrdered)
    assert recovery.months == ("2027-04", "2027-05")
    assert recovery.amount == Decimal("550.00")  # 2 × 275.00
    assert isinstance(completed, e.ReviewCompleted)
    assert completed.outcome == "stopped"
    state = case.state
    assert state.stage is Stage.STOPPING
    assert state.amount_for("2027-03") == Decimal("275.00")
    assert [state.amount_for(m) for m in ("2027-04", "2027-05", "2027-06", "2030-01")] == [None] * 4
    assert state.overpayment_ordered == Decimal("550.00")
    assert not DEADLINES.is_open(state, "death_resolution")
    assert stopped.at.date() <= date(2027, 6, 10)


def test_nothing_is_recovered_after_a_death_when_the_local_flag_is_off() -> None:
    """SPEC §12 sc. 11: the recovery of payments after a death is a local policy flag."""
    case = _sole_member_died(recover_overpayment_after_death=False)
    case.do(CASEWORKER, DEATH)

    events = review(case, "唯一家庭成员已死亡", payments=PAID_THROUGH_MAY)

    assert types(events) == ["benefit_stopped", "review_completed"]
    assert case.state.overpayment_ordered == Decimal("0")
    assert case.state.amount_for("2027-04") is None


def test_no_gradual_exit_for_a_household_without_members() -> None:
    """S1 Art. 33: a 渐退期 needs a household that still exists."""
    case = _sole_member_died()
    case.do(CASEWORKER, DEATH)
    check_review(case)

    with pytest.raises(InvalidInput) as refused:
        case.decide(COUNTY_APPROVER, c.DecideReview(reasons=["死亡"], gradual_exit_months=3,
                                                    income_from_employment=True))

    assert refused.value.field == ("gradual_exit_months",)


@pytest.mark.parametrize(
    ("alert", "field"),
    [
        (c.RaiseDataAlert(alert=c.AlertType.DEATH, occurred_on=DIED, source="殡葬"), ("member_index",)),
        (c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=3, occurred_on=DIED, source="殡葬"),
         ("member_index",)),
        (c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=0, occurred_on=date(2027, 5, 21),
                          source="殡葬"), ("occurred_on",)),
    ],
    ids=["no-member", "no-such-member", "future-date"],
)
def test_a_death_alert_names_a_member_and_a_past_date(alert: c.RaiseDataAlert,
                                                      field: tuple[str, ...]) -> None:
    """S6 §三(二): a member-leaving alert concerns one member of the household, on a known past date."""
    case = _sole_member_died()

    with pytest.raises(InvalidInput) as refused:
        case.decide(CASEWORKER, alert)

    assert refused.value.field == field


def test_the_window_does_not_record_data_alerts() -> None:
    """SPEC §2: data comparisons reach the caseworker or the county reviewer, not the front office."""
    with pytest.raises(NotPermitted):
        _sole_member_died().decide(WINDOW, DEATH)


def test_a_review_is_decided_only_after_its_information_check() -> None:
    """S1 Art. 31 (the review re-checks the household's economic situation, S1 Art. 17)."""
    case = _sole_member_died()
    case.do(CASEWORKER, DEATH)

    with pytest.raises(InvalidTransition, match="information check"):
        case.decide(COUNTY_APPROVER, c.DecideReview(reasons=["死亡"]))


# --- SPEC §12 scenario 12: a death in a 4-person household -----------------------------------------------


def _four_person_household() -> Case:
    """Couple, a child and a grandparent unable to work: farming 9,600 a year (household) and the
    grandparent's pension 1,200 → 10,800 / 4 / 12 = 225.00 per capita → (375 − 225) × 4 = 600.00."""
    members = [member("杨正华", "19750101", "411", Relation.APPLICANT),
               member("陈丽", "19770202", "422", Relation.SPOUSE),
               member("杨小军", "20120303", "433"),
               member("杨老汉", "19450404", "444", Relation.PARENT, LabourCapacity.NONE)]
    declaration = Declaration(income=[income(IncomeKind.BUSINESS_NET, 9600),
                                      income(IncomeKind.TRANSFER_RECEIVED, 1200, 3)])
    return in_payment(members, declaration)


def test_a_death_in_a_four_person_household_recomputes_n_and_decreases_the_amount_with_reasons() -> None:
    """S6 §一(三) and S1 Art. 7 (N recomputed: the deceased no longer counts, nor their pension), S1 Art. 32
    (a decrease with reasons, for the written notice); SPEC §12 sc. 12: 9,600 / 3 / 12 = 266.67 per capita
    → (375 − 266.67) × 3 = 325.00, from the month after the death; March, already paid at 600.00, is partly
    recovered."""
    case = _four_person_household()
    assert case.state.monthly_amount == Decimal("600.00")
    case.on(date(2027, 2, 20))
    case.do(CASEWORKER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=3,
                                         occurred_on=date(2027, 2, 14), source="殡葬管理信息比对"))
    case.on(date(2027, 3, 5))

    events = review(case, "家庭成员杨老汉于2027年2月14日死亡，保障人口减为3人",
                    payments=paid("2026-12", "2027-03", "600"))

    assert types(events) == ["benefit_decreased", "overpayment_recovery_ordered", "review_completed"]
    decreased, recovery, completed = events
    assert isinstance(decreased, e.BenefitDecreased)
    assert (decreased.old_amount, decreased.new_amount) == (Decimal("600.00"), Decimal("325.00"))
    assert decreased.household_size == 3
    assert decreased.from_month == "2027-03"
    assert decreased.reasons == ("家庭成员杨老汉于2027年2月14日死亡，保障人口减为3人",)
    assert isinstance(recovery, e.OverpaymentRecoveryOrdered)
    assert (recovery.amount, recovery.months) == (Decimal("275.00"), ("2027-03",))
    assert isinstance(completed, e.ReviewCompleted)
    assert completed.outcome == "decreased"
    assert completed.assessment is not None
    assert completed.assessment.household_size == 3
    assert completed.assessment.countable_income == Decimal("9600.00")
    state = case.state
    assert state.counted_members == (0, 1, 2)
    assert state.benefit_periods[-1].household_size == 3
    assert state.amount_for("2027-02") == Decimal("600.00")
    assert state.amount_for("2027-03") == Decimal("325.00")
    assert state.stage is Stage.IN_PAYMENT
    assert state.unresolved_deaths == ()
    assert completed.next_review_due == state.next_review_due == date(2027, 9, 5)  # able-bodied: 6 months


def _shown_size(case: Case) -> int:
    """The household size the API shows for the case (``GET /v1/cases/{id}``; the read model's row the same)."""
    state = case.state
    return CaseDetail.of_snapshot(state, pending_step(state), f"case-{state.case_id}").household_size


def test_after_a_death_the_case_counts_the_household_its_roll_and_benefit_period_pay_for() -> None:
    """S1 Art. 7 (共同生活的家庭成员: a member who died no longer lives in the household) and S6 §一(三) (the
    death is resolved by recomputing N): once the review decides, the case itself — the API's case, the read
    model's row and the 公布 entry — shows the household of 3 that the benefit period and the payment roll pay
    for, not the 4 who applied. Until the decision the amount is still the one decided for 4, and so is the
    household the case shows."""
    case = _four_person_household()
    assert _shown_size(case) == 4
    case.on(date(2027, 2, 20))
    case.do(CASEWORKER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=3,
                                         occurred_on=date(2027, 2, 14), source="殡葬管理信息比对"))
    assert _shown_size(case) == case.state.benefit_periods[-1].household_size == 4
    case.on(date(2027, 3, 5))

    review(case, "家庭成员杨老汉于2027年2月14日死亡，保障人口减为3人", payments=paid("2026-12", "2027-03", "600"))

    state = case.state
    assert state.benefit_periods[-1].household_size == 3
    assert _shown_size(case) == 3
    assert CasePublic.of(state, f"case-{state.case_id}").household_size == state.household_size == 3
    publication = notice_for(state, "publication")
    assert isinstance(publication, PublicationList)
    assert [(entry.household_size, entry.amount) for entry in publication.entries] == [(3, Decimal("325.00"))]
    assert len(state.members) == 4, "the member stays on record; she no longer counts"


# --- Stops and the stop notice (S1 Art. 32) ---------------------------------------------------------------

VEHICLE = ["经信息核对，家庭新购置非生活必需机动车一辆，财产状况不再符合规定"]


def _stop(**dynamic: object) -> tuple[Case, list[e.CaseEvent]]:
    case = in_payment(*single_elder(), p=params(**dynamic))
    case.on(date(2027, 4, 15))
    stop = c.StopBenefit(reason_code=c.StopReason.PROPERTY_NON_COMPLIANT, reasons=VEHICLE)
    events = case.do(COUNTY_APPROVER, stop, payments=paid("2026-12", "2027-04", "275"))
    return case, events


def test_a_stop_leaves_the_case_in_payment_until_its_month_begins_and_its_notice_is_served() -> None:
    """S1 Art. 32: a stop is a decision with reasons, notified in writing (停发通知书); SPEC §8.3: effective from
    the next month by default. Decided on 15 April, the case stays in payment — ``stopping``, April still paid,
    still an open case — until both May has begun and the notice is served; the exit is then the engine's
    (a natural transition at the month's start), never a decision of its own."""
    case, events = _stop()

    assert types(events) == ["benefit_stopped"]
    stopped = events[0]
    assert isinstance(stopped, e.BenefitStopped)
    assert (stopped.effective_month, stopped.reasons, stopped.schema_version) == ("2027-05", tuple(VEHICLE), 2)
    state = case.state
    assert state.stage is Stage.STOPPING
    assert (state.amount_for("2027-04"), state.amount_for("2027-05")) == (Decimal("275.00"), None)
    assert not state.is_closed and not DIBAO.at_rest(state)
    assert DIBAO.outcome(state) == "approved"
    step = pending_step(state)
    assert step is not None
    assert step.step == "serve_stop_notice"
    assert DEADLINES.is_open(state, "stop_notice")  # its limit (set by the workflow) runs and escalates
    assert DIBAO.timers(state, every_change) == []  # no exit before the notice is served
    with pytest.raises(InvalidTransition, match="notice has not been served"):
        case.decide(SYSTEM_ACTOR, c.CompleteExit())

    case.on(date(2027, 4, 16))
    assert types(case.do(CASEWORKER, c.ServeStopNotice())) == ["stop_notice_served"]
    state = case.state
    assert state.stage is Stage.STOPPING and not state.is_closed
    assert DIBAO.follow_up(state) is None  # May has not begun
    step = pending_step(state)
    assert step is not None
    assert (step.step, step.roles, step.due) == ("stop_takes_effect", (), date(2027, 5, 1))
    [timer] = DIBAO.timers(state, every_change)
    assert (timer.at, timer.command) == (at(date(2027, 5, 1), 0), c.CompleteExit())
    with pytest.raises(InvalidTransition, match="already served"):
        case.decide(CASEWORKER, c.ServeStopNotice())
    case.on(date(2027, 4, 30), 23, 59)
    with pytest.raises(InvalidTransition, match="has not begun"):
        case.decide(SYSTEM_ACTOR, c.CompleteExit())

    case.on(date(2027, 5, 1), 0)
    [exited] = case.do(SYSTEM_ACTOR, c.CompleteExit())

    assert isinstance(exited, e.CaseExited)
    assert (exited.effective_month, exited.legal_basis, exited.actor) == ("2027-05", ("S1 Art. 32",), SYSTEM_ACTOR)
    assert case.state.stage is Stage.EXITED
    assert case.state.is_closed
    assert pending_step(case.state) is None
    assert DIBAO.outcome(case.state) == "exited"


def test_a_notice_served_once_the_stop_month_has_begun_exits_the_case_at_once() -> None:
    """S1 Art. 32: the stop is decided on 15 April from May, and the notice served only on 3 May (late; its
    limit escalates, never decides): the month has begun, so the engine's follow-up takes the case out at once."""
    case, _ = _stop()
    case.on(date(2027, 5, 3))

    case.do(CASEWORKER, c.ServeStopNotice())

    assert case.state.stage is Stage.STOPPING
    assert DIBAO.follow_up(case.state) == c.CompleteExit()
    assert types(case.do(SYSTEM_ACTOR, c.CompleteExit())) == ["case_exited"]
    assert case.state.is_closed


def test_only_the_engine_completes_an_exit() -> None:
    """SPEC §0.1: the exit is the stop's consequence, taken by the engine, not a person's decision."""
    case, _ = _stop()
    case.on(date(2027, 5, 3))
    case.do(CASEWORKER, c.ServeStopNotice())

    with pytest.raises(NotPermitted):
        case.decide(COUNTY_APPROVER, c.CompleteExit())


def test_a_stopping_case_is_on_the_rolls_until_its_stop_month_and_is_not_reviewed() -> None:
    """S1 Arts. 25, 31, 32: until May a stopping case is payable (its stage is on the rolls) and nothing is
    payable from May; the periodic review sweep and the standard change leave it alone (its stop is decided)."""
    case, _ = _stop()
    state = case.state

    assert state.stage in DIBAO.payable_stages
    assert DIBAO.amount_for(state, "2027-04") == Decimal("275.00")
    assert DIBAO.amount_for(state, "2027-05") is None
    assert state.next_review_due is None
    assert DIBAO.in_payment is not None
    assert DIBAO.in_payment.periodic_review_refused(state, date(2027, 4, 20), date(2027, 4, 20)) == "not_in_payment"
    assert DIBAO.in_payment.recalculation_refused(state, "532302-new") == "not_active"


def test_a_stop_in_a_history_recorded_before_the_stopping_stage_exits_at_once() -> None:
    """STYLE guideline 14 (versioning): a history that took its stop before patch ``case-stopping-v1``
    re-derives a version-1 stop, which folds to ``exited`` at once (closed when its notice is served)."""
    case = in_payment(*single_elder())
    case.on(date(2027, 4, 15))
    stop = c.StopBenefit(reason_code=c.StopReason.PROPERTY_NON_COMPLIANT, reasons=VEHICLE)

    events = decide(case.state, stop, DecisionContext(
        now=case.now, actor=COUNTY_APPROVER, case_id=case.state.case_id, params=case.params,
        patched=lambda change_id: change_id != "case-stopping-v1"))
    state = project(events, case.state)

    assert isinstance(events[0], e.BenefitStopped)
    assert events[0].schema_version == 1
    assert "schema_version" not in events[0].model_dump(exclude_defaults=True)
    assert state is not None and state.stage is Stage.EXITED and not state.is_closed
    served = project(decide(state, c.ServeStopNotice(), case.ctx(CASEWORKER)), state)
    assert served is not None and served.stage is Stage.EXITED and served.is_closed


def test_a_stop_may_take_effect_this_month_and_then_recovers_this_months_payment() -> None:
    """SPEC §8.3: the stop's effective month is configurable (``this_month``); what the roll already paid for
    it is to be repaid (S4 Art. 68; S6 §五(五))."""
    case, events = _stop(change_effective="this_month")

    assert types(events) == ["benefit_stopped", "overpayment_recovery_ordered"]
    stopped, recovery = events
    assert isinstance(stopped, e.BenefitStopped)
    assert stopped.effective_month == "2027-04"
    assert isinstance(recovery, e.OverpaymentRecoveryOrdered)
    assert (recovery.amount, recovery.months) == (Decimal("275.00"), ("2027-04",))
    assert case.state.amount_for("2027-04") is None


def _stop_after_mays_roll(**dynamic: object) -> tuple[Case, list[e.CaseEvent]]:
    """Paid 275.00 a month from 2026-12; on 15 April May's roll is already drawn up (a roll is drawn up at most
    for next month) when the county stops the benefit."""
    case = in_payment(*single_elder(), p=params(**dynamic))
    case.on(date(2027, 4, 15))
    stop = c.StopBenefit(reason_code=c.StopReason.PROPERTY_NON_COMPLIANT, reasons=VEHICLE)
    events = case.do(COUNTY_APPROVER, stop, payments=paid("2026-12", "2027-05", "275"))
    return case, events


def test_a_stop_decided_after_next_months_roll_was_drawn_withdraws_its_unpaid_line_instead_of_ordering_it_back(
) -> None:
    """S1 Art. 32 (停发: nothing is paid from the stop month, SPEC §8.3) and S1 Art. 25 (paid month by month):
    May's line is on the roll but May has not begun, so it has not been paid — the stop withdraws it from the
    roll, and no repayment is ordered for money the household never received (S4 Art. 68 recovers what was
    paid)."""
    case, events = _stop_after_mays_roll()

    assert types(events) == ["benefit_stopped", "payment_lines_withdrawn"]
    stopped, withdrawn = events
    assert isinstance(stopped, e.BenefitStopped)
    assert stopped.effective_month == "2027-05"
    assert isinstance(withdrawn, e.PaymentLinesWithdrawn)
    assert (withdrawn.months, withdrawn.per_month, withdrawn.amount) == (
        ("2027-05",), {"2027-05": Decimal("275.00")}, Decimal("275.00"))
    assert withdrawn.legal_basis == ("S1 Art. 32", "S1 Art. 25")
    assert case.state.overpayment_ordered == Decimal("0")
    assert case.state.amount_for("2027-05") is None


def test_a_stop_this_month_orders_back_the_paid_month_and_withdraws_next_months_unpaid_line() -> None:
    """S1 Arts. 25, 32; S4 Art. 68: with the stop effective this month (a local parameter, SPEC §8.3), April —
    begun, so paid by the roll — is ordered back, and May's line, drawn but not paid, is withdrawn."""
    _, events = _stop_after_mays_roll(change_effective="this_month")

    assert types(events) == ["benefit_stopped", "payment_lines_withdrawn", "overpayment_recovery_ordered"]
    _, withdrawn, recovery = events
    assert isinstance(withdrawn, e.PaymentLinesWithdrawn)
    assert withdrawn.months == ("2027-05",)
    assert isinstance(recovery, e.OverpaymentRecoveryOrdered)
    assert (recovery.months, recovery.amount) == (("2027-04",), Decimal("275.00"))


def test_after_a_sole_members_death_the_unpaid_line_is_withdrawn_even_where_nothing_is_recovered() -> None:
    """S6 §一(三); SPEC §12 sc. 11: with the local recovery flag off nothing paid is ordered back after a death,
    but next month's line, not paid yet, must not be paid either (S1 Arts. 25, 32)."""
    case = _sole_member_died(recover_overpayment_after_death=False)
    case.do(CASEWORKER, DEATH)

    events = review(case, "唯一家庭成员已死亡", payments=paid("2026-12", "2027-06", "275.00"))

    assert types(events) == ["benefit_stopped", "payment_lines_withdrawn", "review_completed"]
    assert isinstance(events[1], e.PaymentLinesWithdrawn)
    assert events[1].months == ("2027-06",)


def test_a_withdrawn_month_cancels_what_an_earlier_decrease_ordered_back_for_it() -> None:
    """S1 Arts. 25, 32; S4 Art. 68: a decrease from May, decided after May's roll was drawn at 275.00, orders the
    100.00 difference back; the stop decided later that month withdraws May's line — May is never paid, so the
    100.00 is no longer owed."""
    case = in_payment(*single_elder())
    case.on(date(2027, 4, 12))
    case.do(WINDOW, c.ReportChange(declaration=Declaration(income=[income(IncomeKind.TRANSFER_RECEIVED, 2400)]),
                                   note="子女赡养费增加"))
    check_review(case)
    drawn = paid("2026-12", "2027-05", "275")
    decreased = case.do(COUNTY_APPROVER, c.DecideReview(reasons=["赡养费增加"]), payments=drawn)
    assert types(decreased) == ["benefit_decreased", "overpayment_recovery_ordered", "review_completed"]
    assert case.state.recovered == {"2027-05": Decimal("100.00")}
    case.on(date(2027, 4, 20))

    events = case.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.VOLUNTARY_EXIT,
                                                    reasons=["本人申请退出"]), payments=drawn)

    assert types(events) == ["benefit_stopped", "payment_lines_withdrawn"]
    withdrawn = events[1]
    assert isinstance(withdrawn, e.PaymentLinesWithdrawn)
    assert (withdrawn.months, withdrawn.recoveries_cancelled) == (("2027-05",), {"2027-05": Decimal("100.00")})
    assert (case.state.recovered, case.state.overpayment_ordered) == ({}, Decimal("0.00"))


def test_a_withdrawn_month_cancels_the_back_pay_decided_for_it() -> None:
    """S4 Art. 10 (补发 after a raised standard) and S1 Arts. 25, 32: a standard raised from March, applied on
    15 April when May's roll is already drawn at 275.00, decides 45.00 more for March, April and May; the stop
    decided the same day withdraws May's line, so May's 补发 is no longer owed."""
    case = in_payment(*single_elder())
    case.on(date(2027, 4, 15))
    raised = params(case.params, version="532302-test-raise", rural="420", effective_from=date(2027, 3, 1))
    drawn = paid("2026-12", "2027-05", "275")
    recalculated = case.do(COUNTY_APPROVER, c.ApplyStandardChange(version="532302-test-raise",
                                                                  effective_from=date(2027, 3, 1)),
                           payments=drawn, with_params=raised)
    assert types(recalculated) == ["benefit_recalculated", "back_pay_decided"]
    assert case.state.back_paid == {m: Decimal("45.00") for m in ("2027-03", "2027-04", "2027-05")}
    case.params = raised

    events = case.do(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.VOLUNTARY_EXIT,
                                                    reasons=["本人申请退出"]), payments=drawn)

    assert types(events) == ["benefit_stopped", "payment_lines_withdrawn"]
    withdrawn = events[1]
    assert isinstance(withdrawn, e.PaymentLinesWithdrawn)
    assert withdrawn.back_pay_cancelled == {"2027-05": Decimal("45.00")}
    assert case.state.back_paid == {m: Decimal("45.00") for m in ("2027-03", "2027-04")}
    assert case.state.back_pay_decided == Decimal("90.00")


def test_a_gradual_exit_whose_stop_month_is_on_a_drawn_roll_withdraws_that_line_at_the_grant() -> None:
    """S1 Arts. 25, 32, 33: the 渐退期's stop is decided with the grant. With changes effective this month (a local
    parameter) a one-month 渐退期 granted on 20 July stops from August, whose roll is already drawn up: August's
    line, not paid yet, is withdrawn at once."""
    case = _scenario_10_review(change_effective="this_month")

    events = case.do(COUNTY_APPROVER, _grant(1), payments=paid("2026-12", "2027-08", "710"))

    assert types(events) == ["gradual_exit_granted", "payment_lines_withdrawn", "review_completed"]
    granted, withdrawn = events[:2]
    assert isinstance(granted, e.GradualExitGranted)
    assert granted.stop_effective_month == "2027-08"
    assert isinstance(withdrawn, e.PaymentLinesWithdrawn)
    assert withdrawn.months == ("2027-08",)


def test_a_history_recorded_before_the_withdrawal_still_orders_the_unpaid_line_back() -> None:
    """STYLE guideline 14 (versioning): a case whose history took the stop before the change
    (``case-stop-withdraws-unpaid-v1`` not patched) re-derives the recovery it recorded."""
    case = in_payment(*single_elder())
    case.on(date(2027, 4, 15))
    stop = c.StopBenefit(reason_code=c.StopReason.PROPERTY_NON_COMPLIANT, reasons=VEHICLE)
    asked: list[str] = []

    def before_the_change(change_id: str) -> bool:
        asked.append(change_id)
        return False

    events = decide(case.state, stop, DecisionContext(
        now=case.now, actor=COUNTY_APPROVER, case_id=case.state.case_id, params=case.params,
        payments=paid("2026-12", "2027-05", "275"), patched=before_the_change))

    assert "case-stop-withdraws-unpaid-v1" in asked
    assert "payment_lines_withdrawn" not in types(events)
    [recovery] = [ev for ev in events if isinstance(ev, e.OverpaymentRecoveryOrdered)]
    assert (recovery.months, recovery.amount) == (("2027-05",), Decimal("275.00"))


def test_nothing_more_happens_to_a_stopped_case_but_its_notice() -> None:
    """S1 Art. 32: after the stop only the notice remains; no review, change or second stop."""
    case, _ = _stop()

    for actor, command in [
        (WINDOW, c.ReportChange(note="新增成员", declaration=Declaration())),
        (CASEWORKER, c.OpenAdHocReview(reason="复核")),
        (COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.OTHER, reasons=["再次停保"])),
        (CASEWORKER, c.RecordJobRefusal(member_index=0, offer="保洁")),
    ]:
        with pytest.raises(InvalidTransition):
            case.decide(actor, command)


def test_a_stop_is_decided_by_the_confirming_authority() -> None:
    """S1 Arts. 2, 32: the county (or the township where confirmation is devolved) decides the stop."""
    case = in_payment(*single_elder())
    stop = c.StopBenefit(reason_code=c.StopReason.VOLUNTARY_EXIT, reasons=["本人申请退出"])

    for actor in (CASEWORKER, TOWNSHIP_APPROVER, COUNTY_REVIEWER):
        with pytest.raises(NotPermitted):
            case.decide(actor, stop)
    devolved = params(devolved=True)
    assert types(case.decide(TOWNSHIP_APPROVER, stop, with_params=devolved)) == ["benefit_stopped"]
    with pytest.raises(NotPermitted):
        case.decide(COUNTY_APPROVER, stop, with_params=devolved)


def test_a_fraud_stop_goes_through_the_fraud_finding() -> None:
    """S4 Art. 68: fraud has its own decision (recovery and fine), not a plain stop."""
    case = in_payment(*single_elder())

    with pytest.raises(InvalidInput) as refused:
        case.decide(COUNTY_APPROVER, c.StopBenefit(reason_code=c.StopReason.FRAUD, reasons=["骗取"]))

    assert refused.value.field == ("reason_code",)


# --- Fraud (S4 Art. 68) -----------------------------------------------------------------------------------

FINDING = "隐瞒家庭成员经营收入，骗取最低生活保障金"


def _fraud(multiple: str | None) -> c.RecordFraudFinding:
    return c.RecordFraudFinding(amount_obtained=Decimal("3300.00"), findings=FINDING,
                                fine_multiple=None if multiple is None else Decimal(multiple))


@pytest.mark.parametrize(("multiple", "fine"), [("1", "3300.00"), ("2.5", "8250.00"), ("3", "9900.00")])
def test_fraud_stops_the_benefit_orders_repayment_and_fines_the_multiple(multiple: str, fine: str) -> None:
    """S4 Art. 68 (虚报、隐瞒、伪造): stop, order repayment of what was obtained, and a fine of 1-3 times it;
    SPEC §8.2."""
    case = in_payment(*single_elder())
    case.on(date(2027, 6, 10))

    events = case.do(COUNTY_APPROVER, _fraud(multiple), payments=paid("2026-12", "2027-06", "275"))

    assert types(events) == ["benefit_stopped", "overpayment_recovery_ordered", "fine_imposed"]
    stopped, recovery, fined = events
    assert isinstance(stopped, e.BenefitStopped)
    assert (stopped.reason_code, stopped.effective_month, stopped.reasons) == (
        c.StopReason.FRAUD, "2027-07", (FINDING,))
    assert isinstance(recovery, e.OverpaymentRecoveryOrdered)
    assert recovery.amount == Decimal("3300.00")
    assert isinstance(fined, e.FineImposed)
    assert (fined.multiple, fined.amount) == (Decimal(multiple), Decimal(fine))
    assert all("S4 Art. 68" in ev.legal_basis for ev in events)
    assert case.state.stage is Stage.STOPPING


def test_a_fraud_finding_without_a_fine_orders_repayment_only() -> None:
    """S4 Art. 68: the fine is possible, not mandatory."""
    case = in_payment(*single_elder())

    events = case.do(COUNTY_APPROVER, _fraud(None))

    assert types(events) == ["benefit_stopped", "overpayment_recovery_ordered"]


@pytest.mark.parametrize("multiple", ["3.5", "0.5", "0", "-1"])
def test_a_fine_outside_one_to_three_times_is_rejected_by_the_command_model(multiple: str) -> None:
    """S4 Art. 68: "一倍以上三倍以下" — anything else is not a valid command."""
    with pytest.raises(ValidationError):
        _fraud(multiple)


@pytest.mark.parametrize("actor", [TOWNSHIP_APPROVER, CASEWORKER, COUNTY_REVIEWER])
def test_only_the_county_approver_records_a_fraud_finding(actor: object) -> None:
    """S4 Art. 68: the county civil-affairs department decides repayment and the fine."""
    case = in_payment(*single_elder())

    with pytest.raises(NotPermitted):
        case.decide(actor, _fraud("2"))  # type: ignore[arg-type]
