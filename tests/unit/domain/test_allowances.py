"""残疾人两项补贴 (S12: 云政发〔2016〕5号, standards 云民发〔2026〕2号; SPEC §6.2) and 高龄津贴 (SPEC §6.3,
UNCONFIRMED: every value a parameter) decided by the pure domain, and the kernel's links (docs/programmes.md)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.actors import Role
from domain.errors import InvalidInput, InvalidTransition, NotPermitted
from domain.household import AreaType, Member, Program, Relation
from domain.kernel import links
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.kernel.state import RelatedCase
from domain.offers import offered_commands
from domain.parameters import ParameterBook, ResolvedParameters, resolve
from domain.programmes import decide, parse_state, programme_of, project
from domain.programmes.disability_subsidies import rules as dis_rules
from domain.programmes.disability_subsidies.stages import Stage as D
from domain.programmes.old_age_allowance import rules as age_rules
from domain.programmes.old_age_allowance.programme import OLD_AGE_ALLOWANCE
from domain.programmes.old_age_allowance.stages import Stage as A
from tests.builders import JINSHAN_VILLAGE, actor, resident_id

BOOK = ParameterBook.load(json.loads(DEFAULT_BOOK.read_text(encoding="utf-8")))
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Beijing time
WINDOW = actor(Role.FRONT_OFFICE)
CASEWORKER = actor(Role.TOWNSHIP_CASEWORKER, sub="tc-01")
TOWNSHIP = actor(Role.TOWNSHIP_APPROVER, sub="ta-01")
COUNTY = actor(Role.COUNTY_APPROVER, jurisdiction="532302", sub="ca-01")
PERSON = resident_id(birth="19700101", seq="231")


def params(on: date) -> ResolvedParameters:
    return resolve(BOOK, JINSHAN_VILLAGE, on)


def ctx(who: Any, now: datetime = NOW, case_id: UUID | None = None, related: tuple[RelatedCase, ...] = ()) -> Any:
    return DecisionContext(now=now, actor=who, case_id=case_id or uuid4(), params=params(now.date()),
                           related=related)


def dibao(paying: bool = True) -> RelatedCase:
    return RelatedCase(case_id=uuid4(), program="dibao", resident_id=PERSON, paying=paying)


def step(state: Any, cmd: Any, context: Any) -> Any:
    events = decide(state, cmd, context)
    return project(events, state), events


def applied(grade: int = 1) -> Any:
    app = c.SubmitApplication(program=Program.DISABILITY_SUBSIDIES, village_code=JINSHAN_VILLAGE,
                              area_type=AreaType.RURAL,
                              members=[Member(name="测试残", resident_id=PERSON, relation=Relation.APPLICANT,
                                              disability_grade=grade)])
    return project(decide(None, app, ctx(WINDOW)))


def reviewed(grade: int = 1, care: bool = True, related: tuple[RelatedCase, ...] = (), **kw: Any) -> Any:
    cmd = c.ReviewAllowance(disability_kind=c.DisabilityKind.PHYSICAL, grade=grade,
                            certificate_number=PERSON + f"4{grade}", long_term_care=care, recommend=True,
                            note="核对残疾人证", **kw)
    return step(applied(grade), cmd, ctx(CASEWORKER, related=related))[0]


def granted(**kw: Any) -> Any:
    related = kw.pop("related", (dibao(),))
    state = reviewed(related=related, **kw)
    return step(state, c.ConfirmAllowance(note="确认"), ctx(COUNTY, related=related))[0]


# --- 残疾人两项补贴 ------------------------------------------------------------------------------------------


def test_living_subsidy_only_while_the_household_is_in_dibao_yunzhengfa_2016_5() -> None:
    """生活补贴 is for a disabled person in a dibao household (云政发〔2016〕5号, SPEC §6.2): 100 yuan from
    2026-01-01 (云民发〔2026〕2号); without a paying dibao case of the person, none."""
    p = params(NOW.date()).values.allowances
    assert p is not None
    facts = dis_rules.Facts(grade=3, long_term_care=False, work_injury_care=False, in_dibao=True, in_tekun=False)
    assert dis_rules.grants(facts, p)[0] == (dis_rules.Grant(kind="living", monthly=Decimal("100.00")),)
    none, why = dis_rules.grants(dis_rules.Facts(3, False, False, in_dibao=False, in_tekun=False), p)
    assert none == () and "生活补贴：家庭不在低保" in why
    # the engine's own dibao case decides it: a dibao case that is not paying does not count
    assert dis_rules.paying((dibao(paying=False),), PERSON, "dibao") is False
    with pytest.raises(InvalidInput):
        reviewed(grade=3, care=False, related=(dibao(paying=False),))


@pytest.mark.parametrize(("grade", "amount"), [(1, "110.00"), (2, "100.00")])
def test_care_subsidy_by_grade_yunminfa_2026_2(grade: int, amount: str) -> None:
    """护理补贴 for grade 1 and 2 needing long-term care: 110 / 100 yuan from 2026-01-01 (云民发〔2026〕2号,
    provincial floors); grade 3 and 4, or no long-term care: none."""
    state = granted(grade=grade, related=())
    assert state.stage is D.IN_PAYMENT
    assert [(g.kind, g.monthly) for g in state.grants] == [("care", Decimal(amount))]
    assert state.first_payment_month == "2026-04" and state.amount_for("2026-03") is None
    assert state.amount_for("2026-04") == Decimal(amount)
    p = params(NOW.date()).values.allowances
    assert p is not None
    assert dis_rules.grants(dis_rules.Facts(3, True, False, False, False), p)[0] == ()
    assert dis_rules.grants(dis_rules.Facts(1, False, False, False, False), p)[0] == ()


def test_both_subsidies_at_once_spec_6_2() -> None:
    """One application yields both: living (in dibao) and care (grade 1, long-term care): 210 yuan a month."""
    state = granted(grade=1)
    assert {g.kind for g in state.grants} == {"living", "care"}
    assert state.amount_for("2026-04") == Decimal("210.00")


def test_care_exclusions_are_parameters_spec_6_2() -> None:
    """特困 recipients and work-injury care allowances are excluded from the care subsidy by default (other
    provinces' rule, Yunnan UNCONFIRMED); the parameter turns it off."""
    p = params(NOW.date()).values.allowances
    assert p is not None
    tekun = dis_rules.Facts(1, True, False, in_dibao=False, in_tekun=True)
    assert dis_rules.grants(tekun, p)[0] == ()
    assert dis_rules.grants(tekun, p.model_copy(update={"care_excludes_tekun": False}))[0][0].kind == "care"
    injury = dis_rules.Facts(2, True, True, in_dibao=False, in_tekun=False)
    assert dis_rules.grants(injury, p)[0] == ()


def test_dibao_stop_opens_a_review_of_the_living_subsidy_and_its_decision_stops_it() -> None:
    """The kernel link: a dibao case's stop reaches the living subsidy (SPEC §6.2): a review opens (still paid);
    decided with the dibao case no longer paying, the living subsidy ends and the care subsidy stays."""
    state = granted(grade=1)
    link = c.ApplyLink(key="k1", effect=c.LinkEffect.LEFT_PROGRAMME, source_case_id=uuid4(), source_program="dibao",
                       source_seq=40, resident_id=PERSON, occurred_on=NOW.date())
    state, events = step(state, link, ctx(SYSTEM_ACTOR))
    assert [ev.type for ev in events] == ["link_received", "allowance_review_opened"]
    assert state.stage is D.UNDER_REVIEW and state.amount_for("2026-04") == Decimal("210.00")
    with pytest.raises(InvalidTransition):  # the same delivery again changes nothing
        decide(state, link, ctx(SYSTEM_ACTOR))
    state, events = step(state, c.DecideAllowanceReview(note="已退出低保"), ctx(TOWNSHIP, related=(dibao(False),)))
    assert state.stage is D.IN_PAYMENT and [g.kind for g in state.grants] == ["care"]
    assert state.amount_for("2026-04") == Decimal("110.00")


def test_living_subsidy_stops_when_the_dibao_case_has_exited_yunzhengfa_2016_5() -> None:
    """云政发〔2016〕5号 (SPEC §6.2): the living subsidy is for a disabled person in a dibao household. Once the
    household's dibao case has exited its membership is released, so the lookup of the person's other cases is
    empty: that answer is authoritative (not "unknown"), and the review stops a living-only subsidy from next
    month (and the county no longer confirms one)."""
    state = granted(grade=3, care=False)
    assert state.in_dibao and [g.kind for g in state.grants] == ["living"]
    link = c.ApplyLink(key="k3", effect=c.LinkEffect.LEFT_PROGRAMME, source_case_id=uuid4(), source_program="dibao",
                       source_seq=41, resident_id=PERSON, occurred_on=NOW.date())
    state, _ = step(state, link, ctx(SYSTEM_ACTOR))
    assert state.stage is D.UNDER_REVIEW
    stopped, events = step(state, c.DecideAllowanceReview(note="家庭已退出低保"), ctx(TOWNSHIP, related=()))
    assert [ev.type for ev in events] == ["allowance_stopped"]
    assert "生活补贴：家庭不在低保" in events[0].reasons and "S12 云政发〔2016〕5号" in events[0].legal_basis
    assert stopped.stage is D.EXITED and stopped.stop_effective_month == "2026-04"
    assert state.amount_for("2026-04") == Decimal("100.00") and stopped.amount_for("2026-04") is None
    # the county confirmation after the dibao case exited: nothing applies any more
    before = reviewed(grade=3, care=False, related=(dibao(),))
    with pytest.raises(InvalidTransition, match="生活补贴：家庭不在低保"):
        decide(before, c.ConfirmAllowance(note="确认"), ctx(COUNTY, related=()))


def test_histories_recorded_before_the_related_fix_keep_their_fallback() -> None:
    """A history recorded before the fix (``ctx.patched`` False on replay) re-derives the events it recorded:
    an empty lookup fell back to the township review's flags then."""
    from domain.programmes.disability_subsidies.programme import RELATED_AUTHORITATIVE_PATCH

    asked: list[str] = []

    def old(change: str) -> bool:
        asked.append(change)
        return False

    state = granted(grade=3, care=False)
    link = c.ApplyLink(key="k4", effect=c.LinkEffect.LEFT_PROGRAMME, source_case_id=uuid4(), source_program="dibao",
                       source_seq=42, resident_id=PERSON, occurred_on=NOW.date())
    state, _ = step(state, link, ctx(SYSTEM_ACTOR))
    replayed = DecisionContext(now=NOW, actor=TOWNSHIP, case_id=state.case_id, params=params(NOW.date()),
                               related=(), patched=old)
    events = decide(state, c.DecideAllowanceReview(note="复核"), replayed)
    assert [ev.type for ev in events] == ["allowance_changed"] and asked == [RELATED_AUTHORITATIVE_PATCH]
    # a lookup that found the person's cases never asks
    asked.clear()
    found = DecisionContext(now=NOW, actor=TOWNSHIP, case_id=state.case_id, params=params(NOW.date()),
                            related=(dibao(False),), patched=old)
    assert [ev.type for ev in decide(state, c.DecideAllowanceReview(note="复核"), found)] == ["allowance_stopped"]
    assert asked == []


def test_death_alert_stops_the_subsidies_from_the_next_month_and_names_a_link() -> None:
    state = granted(grade=1)
    alert = c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=0, occurred_on=date(2026, 2, 20), source="殡葬")
    events = decide(state, alert, ctx(CASEWORKER))
    after = project(events, state)
    assert after.stage is D.EXITED and after.is_closed and after.stop_effective_month == "2026-03"
    found = links.deaths(state, events)
    assert [(x.effect, x.resident_id, x.occurred_on) for x in found] == [
        (c.LinkEffect.PERSON_DIED, PERSON, date(2026, 2, 20))]


def test_cross_province_forward_recorded_with_its_status_and_an_offsite_receipt() -> None:
    """跨省通办 (SPEC §6.2): an application for a person whose hukou is elsewhere is recorded and forwarded (a
    referral with a status); one received elsewhere for a resident here is entered."""
    state = applied()
    with pytest.raises(InvalidInput):
        decide(state, c.ForwardApplication(destination_code="532302", note="本县"), ctx(WINDOW))
    state, _ = step(state, c.ForwardApplication(destination_code="510104", note="户籍在成都市"), ctx(WINDOW))
    assert state.stage is D.FORWARDED and state.forward_status == "forwarded" and not state.is_closed
    state, _ = step(state, c.RecordForwardingOutcome(status="accepted", note="已受理"), ctx(WINDOW))
    assert state.forward_status == "accepted" and state.is_closed
    assert programme_of(state.program).outcome(state) == "forwarded"  # the read model's outcome (已转办)
    offsite, events = step(applied(), c.RecordOffsiteReceipt(received_in_code="530102", received_on=date(2026, 3, 1)),
                           ctx(WINDOW))
    assert offsite.received_in_code == "530102" and offsite.stage is D.SUBMITTED


def test_entering_tekun_removes_the_care_subsidy_when_the_parameter_says_so() -> None:
    """The hook point for 特困: an ``entered_programme`` link from ``tekun`` applies the care exclusion."""
    state = granted(grade=2, related=())
    link = c.ApplyLink(key="k2", effect=c.LinkEffect.ENTERED_PROGRAMME, source_case_id=uuid4(),
                       source_program="tekun", source_seq=12, resident_id=PERSON, occurred_on=NOW.date())
    state, events = step(state, link, ctx(SYSTEM_ACTOR))
    assert [ev.type for ev in events] == ["link_received", "allowance_stopped"]  # care was the only subsidy
    assert state.stop_effective_month == "2026-04"



def _tekun_link(key: str) -> c.ApplyLink:
    return c.ApplyLink(key=key, effect=c.LinkEffect.ENTERED_PROGRAMME, source_case_id=uuid4(), source_program="tekun",
                       source_seq=77, resident_id=PERSON, occurred_on=NOW.date())


def _living_ended_by_review() -> Any:
    """Both subsidies granted (grade 1, in dibao); the household's dibao case exits (the ``left_programme``
    link); the review decided on the lookup ends the living subsidy, the care subsidy stays."""
    state = granted(grade=1)
    assert {g.kind for g in state.grants} == {"living", "care"} and state.in_dibao
    left = c.ApplyLink(key="k5", effect=c.LinkEffect.LEFT_PROGRAMME, source_case_id=uuid4(), source_program="dibao",
                       source_seq=43, resident_id=PERSON, occurred_on=NOW.date())
    state, _ = step(state, left, ctx(SYSTEM_ACTOR))
    state, _ = step(state, c.DecideAllowanceReview(note="已退出低保"), ctx(TOWNSHIP, related=(dibao(False),)))
    assert [g.kind for g in state.grants] == ["care"] and state.dibao_left
    return state


def test_entering_tekun_after_the_dibao_exit_never_grants_the_living_subsidy_again_yunzhengfa_2016_5() -> None:
    """云政发〔2016〕5号 (SPEC §6.2): the living subsidy is only for a person in a dibao household; issue 17 item 3.
    After the dibao exit ended it, the 特困 link's care exclusion recomputes from what the case knows now (the
    exit), not from the township review's stale flag: care excluded (the parameter's default), living not granted
    again, so nothing is left and the subsidies stop from next month."""
    state = _living_ended_by_review()
    stopped, events = step(state, _tekun_link("k6"), ctx(SYSTEM_ACTOR))
    assert [ev.type for ev in events] == ["link_received", "allowance_stopped"]
    assert "生活补贴：家庭不在低保" in events[1].reasons and "护理补贴：特困供养人员不享受（参数）" in events[1].reasons
    assert stopped.stage is D.EXITED and stopped.stop_effective_month == "2026-04"
    # the exclusion turned off by the parameter: the care subsidy stays, and still no living subsidy
    context = ctx(SYSTEM_ACTOR)
    p = context.params
    no_exclusion = p.model_copy(update={"values": p.values.model_copy(update={
        "allowances": p.values.allowances.model_copy(update={"care_excludes_tekun": False})})})
    assert decide(state, _tekun_link("k7"), dataclasses.replace(context, params=no_exclusion))[1:] == []


def test_a_review_finding_the_household_in_dibao_again_is_the_latest_knowledge_yunzhengfa_2016_5() -> None:
    """A review whose lookup finds the household in dibao again (a new dibao case) grants the living subsidy;
    the 特困 link then keeps it (SPEC §6.2: living while in dibao) and excludes only the care subsidy."""
    state = granted(grade=1)
    left = c.ApplyLink(key="k8", effect=c.LinkEffect.LEFT_PROGRAMME, source_case_id=uuid4(), source_program="dibao",
                       source_seq=44, resident_id=PERSON, occurred_on=NOW.date())
    state, _ = step(state, left, ctx(SYSTEM_ACTOR))
    state, _ = step(state, c.DecideAllowanceReview(note="已重新纳入低保"), ctx(TOWNSHIP, related=(dibao(),)))
    assert {g.kind for g in state.grants} == {"living", "care"} and not state.dibao_left
    state, events = step(state, _tekun_link("k9"), ctx(SYSTEM_ACTOR))
    assert [ev.type for ev in events] == ["link_received", "allowance_changed"]
    assert [g.kind for g in state.grants] == ["living"]


def test_histories_recorded_before_the_latest_dibao_fix_replay_their_link() -> None:
    """A history recorded before the fix (``ctx.patched`` False on replay) re-derives what it recorded: the 特困
    link recomputed from the township review's flag then."""
    from domain.programmes.disability_subsidies.programme import LATEST_DIBAO_PATCH

    asked: list[str] = []

    def old(change: str) -> bool:
        asked.append(change)
        return False

    state = _living_ended_by_review()
    replayed = dataclasses.replace(ctx(SYSTEM_ACTOR), patched=old)
    events = decide(state, _tekun_link("k10"), replayed)
    assert [ev.type for ev in events] == ["link_received", "allowance_changed"] and asked == [LATEST_DIBAO_PATCH]
    assert [g.kind for g in events[1].grants] == ["living"]  # the stale flag re-granted it (the defect)
    # no dibao exit on record: the fix never asks
    asked.clear()
    decide(granted(grade=2, related=()), _tekun_link("k11"), replayed)
    assert asked == []

# --- 高龄津贴 ------------------------------------------------------------------------------------------------

BORN = date(1946, 5, 17)  # 80 on 2026-05-17, 90 on 2036-05-17
ELDER = resident_id(birth=BORN.strftime("%Y%m%d"), seq="412")


def enrolled(now: datetime, patched: bool = True) -> Any:
    cmd = c.ProposeEnrolment(program=Program.OLD_AGE_ALLOWANCE, village_code=JINSHAN_VILLAGE,
                             member=Member(name="测试老", resident_id=ELDER, relation=Relation.APPLICANT),
                             band_min_age=80, source="户籍数据 2026-06")
    state = project(decide(None, cmd, ctx(SYSTEM_ACTOR, now)))
    confirm = ctx(TOWNSHIP, now)
    if not patched:  # a case confirmed before the patch old-age-survival-escalation-v1
        confirm = dataclasses.replace(confirm, patched=lambda _: False)
    return step(state, c.ConfirmAllowance(note="确认"), confirm)[0]


def test_band_ages_and_birthdays_spec_6_3() -> None:
    p = params(date(2026, 6, 1)).values.allowances
    assert p is not None
    assert age_rules.band_for(BORN, date(2026, 5, 16), p) is None
    assert age_rules.band_for(BORN, date(2026, 5, 17), p).min_age == 80  # type: ignore[union-attr]
    assert age_rules.birthday(date(1944, 2, 29), 82) == date(2026, 2, 28)
    with pytest.raises(InvalidInput):  # not yet 80
        decide(None, c.ProposeEnrolment(program=Program.OLD_AGE_ALLOWANCE, village_code=JINSHAN_VILLAGE,
                                        member=Member(name="测试老", resident_id=ELDER, relation=Relation.APPLICANT),
                                        band_min_age=80, source="x"), ctx(SYSTEM_ACTOR))


def test_band_move_on_the_90th_birthday_changes_the_amount_that_month_not_before() -> None:
    """The case's own timer on the birthday that reaches 90: 100 yuan from that month, 50 before (SPEC §6.3:
    bands and amounts UNCONFIRMED parameters)."""
    state = enrolled(datetime(2035, 6, 2, 2, tzinfo=UTC))
    assert state.amount_for("2035-07") == Decimal("50.00")
    timers = OLD_AGE_ALLOWANCE.timers(state, lambda _: True)
    move = next(t for t in timers if isinstance(t.command, c.MoveAgeBand))
    assert move.command.on == date(2036, 5, 17)
    # keep the survival check current so only the band move is due
    state = state.model_copy(update={"hold_on": date(2037, 1, 1), "survival_check_due": date(2036, 12, 1)})
    due = OLD_AGE_ALLOWANCE.due(state, move.at, lambda _: True)
    assert [type(t.command) for t in due] == [c.MoveAgeBand]
    state, _ = step(state, move.command, ctx(SYSTEM_ACTOR, move.at))
    assert state.amount_for("2036-04") == Decimal("50.00")
    assert state.amount_for("2036-05") == Decimal("100.00")
    assert state.band_min_age == 90
    assert age_rules.next_band_day(BORN, state.band_ages, 90) == date(2046, 5, 17)


def test_missed_survival_check_holds_payment_and_a_late_one_resumes_it_with_the_months_owed() -> None:
    """The annual survival check (SPEC §6.3, UNCONFIRMED), as cases confirmed before the patch
    old-age-survival-escalation-v1 keep it: its grace runs out → payment held (not stopped) from next month by
    the case's own timer; the late check resumes payment and lists the months owed."""
    state = enrolled(datetime(2026, 6, 2, 2, tzinfo=UTC), patched=False)
    assert "survival_check" not in state.deadlines
    assert state.survival_check_due == date(2027, 6, 2) and state.hold_on == date(2027, 7, 2)
    hold = next(t for t in OLD_AGE_ALLOWANCE.timers(state, lambda _: True)
                if isinstance(t.command, c.HoldForSurvivalCheck))
    state, _ = step(state, hold.command, ctx(SYSTEM_ACTOR, hold.at))
    assert state.stage is A.PAYMENT_HELD and not state.is_closed
    assert OLD_AGE_ALLOWANCE.pending(state).overdue_escalated  # type: ignore[union-attr]
    assert state.amount_for("2027-07") == Decimal("50.00") and state.amount_for("2027-08") is None
    late = datetime(2027, 9, 10, 2, tzinfo=UTC)
    check = c.RecordSurvivalCheck(checked_on=late.date(), method="home_visit")
    state, events = step(state, check, ctx(CASEWORKER, late))
    assert events[0].resumed_months == ("2027-08", "2027-09")
    assert state.stage is A.IN_PAYMENT and state.back_pay_owed == {"2027-08": Decimal("50.00"),
                                                                    "2027-09": Decimal("50.00")}
    assert state.amount_for("2027-10") == Decimal("50.00") and state.survival_check_due == date(2028, 9, 10)


def test_death_from_another_case_stops_the_allowance_next_month() -> None:
    state = enrolled(datetime(2026, 6, 2, 2, tzinfo=UTC))
    link = c.ApplyLink(key="k3", effect=c.LinkEffect.PERSON_DIED, source_case_id=uuid4(), source_program="dibao",
                       source_seq=9, resident_id=ELDER, occurred_on=date(2026, 8, 30))
    state, events = step(state, link, ctx(SYSTEM_ACTOR, datetime(2026, 9, 3, 2, tzinfo=UTC)))
    assert [ev.type for ev in events] == ["link_received", "allowance_stopped"]
    assert state.stop_effective_month == "2026-09" and state.is_closed


def test_the_state_travels_as_the_discriminated_union() -> None:
    state = granted(grade=1)
    again = parse_state(state.model_dump(mode="json"))
    assert type(again) is type(state) and again == state
    elder = enrolled(datetime(2026, 6, 2, 2, tzinfo=UTC))
    assert type(parse_state(elder.model_dump_json())) is type(elder)


def test_two_deaths_delivered_in_one_batch_each_list_their_own_targets_s4_art_60() -> None:
    """S4 Art. 60 / S5 item 23 (the link on both trails): two sources of one effect delivered in one batch —
    each ``links_delivered`` names the targets of its own source event, matched by ``source_seq``; a delivery
    recorded before ``source_seq`` was kept is matched by its effect (and its payload is unchanged)."""
    died = c.LinkEffect.PERSON_DIED
    batch = [links.Link(died, "A", 7), links.Link(died, "B", 8)]
    to_a = c.LinkDelivery(effect=died, target_case_id=uuid4(), target_program="old_age_allowance",
                          outcome="applied", source_seq=7)
    to_b = to_a.model_copy(update={"target_case_id": uuid4(), "source_seq": 8})
    assert links.deliveries_of(7, batch, [to_a, to_b]) == [to_a]
    assert links.deliveries_of(8, batch, [to_a, to_b]) == [to_b]
    old = to_a.model_copy(update={"source_seq": None})
    assert links.deliveries_of(7, batch, [old]) == [old] == links.deliveries_of(8, batch, [old])
    assert "source_seq" not in old.model_dump() and to_a.model_dump()["source_seq"] == 7


def test_missed_survival_check_escalates_and_the_township_holds_payment_spec_6_3_and_0_1() -> None:
    """SPEC §6.3 (annual survival check, UNCONFIRMED) and §0.1 (timers raise escalations, never decisions): the
    check's limit is a kernel deadline; its passing raises an escalation and holds nothing; a township approver
    holds payment from next month (``hold_payment``, with the reason); the late check resumes payment with the
    months owed and sets the next deadline."""
    state = enrolled(datetime(2026, 6, 2, 2, tzinfo=UTC))
    deadline = state.deadlines["survival_check"]
    assert deadline.due == date(2027, 7, 1) and state.hold_on == date(2027, 7, 2) and not deadline.escalated
    assert not [t for t in OLD_AGE_ALLOWANCE.timers(state, lambda _: True)
                if isinstance(t.command, c.HoldForSurvivalCheck)]
    hold = c.HoldPayment(reason="逾期未生存认证，暂停发放")
    with pytest.raises(InvalidTransition):  # not overdue yet: nothing to hold
        step(state, hold, ctx(TOWNSHIP, datetime(2027, 6, 20, 2, tzinfo=UTC)))
    missed = datetime(2027, 7, 2, 2, tzinfo=UTC)
    state, events = step(state, c.RaiseEscalation(step="survival_check"), ctx(SYSTEM_ACTOR, missed))
    assert [ev.type for ev in events] == ["escalation_raised"] and state.stage is A.IN_PAYMENT
    assert OLD_AGE_ALLOWANCE.deadlines.overdue(state) and OLD_AGE_ALLOWANCE.pending(state).overdue_escalated  # type: ignore[union-attr]
    assert state.amount_for("2027-08") == Decimal("50.00")  # the escalation decided nothing
    with pytest.raises(NotPermitted):  # the caseworker records checks; the township approver holds
        step(state, hold, ctx(CASEWORKER, missed))
    # the workbench offers the hold to the township approver once escalated, never to the caseworker
    assert c.HoldPayment in offered_commands(state, TOWNSHIP, missed, params(missed.date()))
    assert c.HoldPayment not in offered_commands(state, CASEWORKER, missed, params(missed.date()))
    state, events = step(state, hold, ctx(TOWNSHIP, missed))
    assert [(ev.type, ev.reason, ev.actor.role) for ev in events] == [
        ("payment_held", "逾期未生存认证，暂停发放", Role.TOWNSHIP_APPROVER)]
    assert state.stage is A.PAYMENT_HELD and state.amount_for("2027-08") is None
    assert not OLD_AGE_ALLOWANCE.deadlines.overdue(state)  # the step is decided; the case still shows it missed
    late = datetime(2027, 9, 10, 2, tzinfo=UTC)
    state, events = step(state, c.RecordSurvivalCheck(checked_on=late.date(), method="home_visit"),
                         ctx(CASEWORKER, late))
    assert [ev.type for ev in events] == ["survival_check_recorded", "deadline_set"]
    assert events[0].resumed_months == ("2027-08", "2027-09") and state.stage is A.IN_PAYMENT
    assert state.back_pay_owed == {"2027-08": Decimal("50.00"), "2027-09": Decimal("50.00")}
    assert state.deadlines["survival_check"].due == date(2028, 10, 9)
    assert not state.deadlines["survival_check"].escalated
