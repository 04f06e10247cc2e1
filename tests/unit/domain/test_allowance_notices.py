"""The allowances' individual notices, built from decided cases and rendered (issue 17 item 5).

残疾人两项补贴 (S12: 云政发〔2016〕5号, standards 云民发〔2026〕2号; SPEC §6.2): confirmation with the amount per
subsidy, refusal, the review's change, the stop. 高龄津贴 (SPEC §6.3, every value an UNCONFIRMED parameter):
confirmation, refusal, band move, suspension (held, not stopped), resumption with the months owed, stop on death.
Individual notices carry no ID number or certificate number (SPEC §9)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from adapters.rendering.notices import render_notice
from domain import commands as c
from domain.errors import InvalidTransition
from domain.household import AreaType, Member, Program, Relation
from domain.kernel.context import SYSTEM_ACTOR
from domain.programmes import decide, notice_for, project
from domain.programmes.allowance import notices as n
from domain.programmes.old_age_allowance.programme import OLD_AGE_ALLOWANCE
from tests.builders import JINSHAN_VILLAGE
from tests.unit.domain.test_allowances import CASEWORKER, COUNTY, ELDER, PERSON, TOWNSHIP, WINDOW, ctx, dibao
from tests.unit.test_change_notices import assert_page, visible_text


class Trail:
    """A case and every event it recorded, oldest first (what the notices route reads from the ledger)."""

    def __init__(self, state: Any, events: list[Any]) -> None:
        self.state, self.events = state, list(events)

    def do(self, cmd: Any, context: Any) -> Trail:
        new = decide(self.state, cmd, context)
        self.state = project(new, self.state)
        self.events += new
        return self

    def notice(self, kind: str) -> Any:
        return notice_for(self.state, kind, events=self.events)


def disability(grade: int = 1, care: bool = True, related: tuple[Any, ...] = (dibao(),)) -> Trail:
    app = c.SubmitApplication(program=Program.DISABILITY_SUBSIDIES, village_code=JINSHAN_VILLAGE,
                              area_type=AreaType.RURAL,
                              members=[Member(name="测试残", resident_id=PERSON, relation=Relation.APPLICANT,
                                              disability_grade=grade)])
    review = c.ReviewAllowance(disability_kind=c.DisabilityKind.PHYSICAL, grade=grade,
                               certificate_number=PERSON + f"4{grade}", long_term_care=care, recommend=True,
                               note="核对残疾人证")
    return Trail(None, []).do(app, ctx(WINDOW)).do(review, ctx(CASEWORKER, related=related))


def no_personal_numbers(html: str, trail: Trail) -> None:
    text = visible_text(html)
    assert PERSON not in text and ELDER not in text
    if getattr(trail.state, "certificate_number", None):
        assert trail.state.certificate_number not in text


# --- 残疾人两项补贴 ---------------------------------------------------------------------------------------------


def test_subsidy_confirmation_names_each_subsidy_with_its_amount_yunzhengfa_2016_5() -> None:
    """Both subsidies (S12): 生活补贴 100.00 and 护理补贴 (grade 1) 110.00, 210.00 a month from the month after the
    county's confirmation (云民发〔2026〕2号), signed by the county bureau."""
    trail = disability(grade=1).do(c.ConfirmAllowance(note="确认"), ctx(COUNTY, related=(dibao(),)))
    notice = trail.notice("approval")
    assert isinstance(notice, n.SubsidyApprovalNotice) and notice.issuer.name == "禄丰市民政局"
    html = render_notice(notice)
    assert_page(html, ["残疾人两项补贴确认通知书", "测试残：", "云政发〔2016〕5号", "困难残疾人生活补贴：100.00元/月",
                       "重度残疾人护理补贴（一级）：110.00元/月", "补贴合计：210.00元/月", "起始发放月份：2026年4月",
                       "云民发〔2026〕2号", "禄丰市民政局"])
    no_personal_numbers(html, trail)


def test_subsidy_confirmation_of_one_subsidy_shows_only_that_one() -> None:
    care_only = disability(grade=2, related=()).do(c.ConfirmAllowance(note="确认"), ctx(COUNTY, related=()))
    text = visible_text(render_notice(care_only.notice("approval")))
    assert "重度残疾人护理补贴（二级）：100.00元/月" in text and "困难残疾人生活补贴：" not in text
    living_only = disability(grade=3, care=False).do(c.ConfirmAllowance(note="确认"),
                                                     ctx(COUNTY, related=(dibao(),)))
    text = visible_text(render_notice(living_only.notice("approval")))
    assert "困难残疾人生活补贴：100.00元/月" in text and "重度残疾人护理补贴" not in text
    assert "最低生活保障家庭中的残疾人" in text


def test_subsidy_refusal_states_the_reasons_and_the_remedy() -> None:
    trail = disability(grade=1).do(c.RefuseAllowance(reasons=["残疾人证已过有效期"]), ctx(COUNTY))
    with pytest.raises(InvalidTransition):
        trail.notice("approval")
    html = render_notice(trail.notice("rejection"))
    assert_page(html, ["残疾人两项补贴不予确认通知书", "云政发〔2016〕5号", "残疾人证已过有效期", "行政复议",
                       "行政诉讼"])
    no_personal_numbers(html, trail)


def test_review_after_the_dibao_stop_changes_the_subsidies_from_next_month() -> None:
    """The dibao stop opens a review; its outcome (the living subsidy ends, the care subsidy stays) is notified
    with both subsidies before and after and the month it applies from (S12: living subsidy only in dibao)."""
    trail = disability(grade=1).do(c.ConfirmAllowance(note="确认"), ctx(COUNTY, related=(dibao(),)))
    with pytest.raises(InvalidTransition):
        trail.notice("subsidy_change")
    link = c.ApplyLink(key="n1", effect=c.LinkEffect.LEFT_PROGRAMME, source_case_id=uuid4(), source_program="dibao",
                       source_seq=40, resident_id=PERSON, occurred_on=date(2026, 3, 2))
    trail.do(link, ctx(SYSTEM_ACTOR)).do(c.DecideAllowanceReview(note="家庭已退出低保"), ctx(TOWNSHIP, related=()))
    notice = trail.notice("subsidy_change")
    assert (notice.old_amount, notice.new_amount, notice.from_month) == (210, 110, "2026-04")
    assert notice.issuer.name == "禄丰市金山镇人民政府"
    html = render_notice(notice)
    assert_page(html, ["残疾人两项补贴变更通知书", "困难残疾人生活补贴：100.00元/月→停发",
                       "重度残疾人护理补贴：110.00元/月→110.00元/月", "补贴合计：210.00元/月→110.00元/月",
                       "起始月份：2026年4月", "家庭已退出低保", "最低生活保障家庭中的残疾人", "行政复议"])


def test_subsidy_stop_notice_after_the_dibao_exit_and_on_death() -> None:
    """A living-only subsidy stops at the review once the dibao case has exited; a death: to the family."""
    trail = disability(grade=3, care=False).do(c.ConfirmAllowance(note="确认"), ctx(COUNTY, related=(dibao(),)))
    link = c.ApplyLink(key="n2", effect=c.LinkEffect.LEFT_PROGRAMME, source_case_id=uuid4(), source_program="dibao",
                       source_seq=41, resident_id=PERSON, occurred_on=date(2026, 3, 2))
    trail.do(link, ctx(SYSTEM_ACTOR)).do(c.DecideAllowanceReview(note="家庭已退出低保"), ctx(TOWNSHIP, related=()))
    html = render_notice(trail.notice("stop"))
    assert_page(html, ["残疾人两项补贴停发通知书", "测试残：", "自2026年4月起停发", "生活补贴：家庭不在低保",
                       "云政发〔2016〕5号", "行政复议"])
    died = disability(grade=1).do(c.ConfirmAllowance(note="确认"), ctx(COUNTY, related=(dibao(),)))
    died.do(c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=0, occurred_on=date(2026, 2, 20), source="殡葬"),
            ctx(CASEWORKER))
    notice = died.notice("stop")
    assert notice.deceased and notice.effective_month == "2026-03"
    assert_page(render_notice(notice), ["测试残家属：", "已去世", "自2026年3月起停发其残疾人两项补贴"])


# --- 高龄津贴 -------------------------------------------------------------------------------------------------


ENROLMENT = c.ProposeEnrolment(program=Program.OLD_AGE_ALLOWANCE, village_code=JINSHAN_VILLAGE,
                               member=Member(name="测试老", resident_id=ELDER, relation=Relation.APPLICANT),
                               band_min_age=80, source="户籍数据")


def old_age(now: datetime) -> Trail:
    return Trail(None, []).do(ENROLMENT, ctx(SYSTEM_ACTOR, now)).do(c.ConfirmAllowance(note="确认"),
                                                                   ctx(TOWNSHIP, now))


def test_old_age_confirmation_names_the_band_amount_and_survival_check() -> None:
    trail = old_age(datetime(2026, 6, 2, 2, tzinfo=UTC))
    html = render_notice(trail.notice("approval"))
    assert_page(html, ["高龄津贴确认通知书", "测试老：", "年满80周岁", "津贴标准：50.00元/月", "起始发放月份：2026年7月",
                       "下次生存认证截止日期：2027年6月2日", "暂停发放（不是停发）", "禄丰市金山镇人民政府"])
    no_personal_numbers(html, trail)
    for kind in ("band_change", "suspension", "resumption", "stop", "rejection"):
        with pytest.raises(InvalidTransition):
            trail.notice(kind)


def test_old_age_refusal() -> None:
    now = datetime(2026, 6, 2, 2, tzinfo=UTC)
    trail = Trail(None, []).do(ENROLMENT, ctx(SYSTEM_ACTOR, now)).do(c.RefuseAllowance(reasons=["户籍已迁出本县"]),
                                                                  ctx(TOWNSHIP, now))
    assert_page(render_notice(trail.notice("rejection")), ["高龄津贴不予确认通知书", "户籍已迁出本县", "行政复议"])


def test_band_move_notice_gives_the_new_amount_from_the_birthday_month() -> None:
    """The 90th birthday (SPEC §6.3): 100.00 from May 2036, 50.00 before."""
    trail = old_age(datetime(2035, 6, 2, 2, tzinfo=UTC))
    trail.state = trail.state.model_copy(update={"hold_on": date(2037, 1, 1), "survival_check_due": date(2036, 12, 1)})
    move = next(t for t in OLD_AGE_ALLOWANCE.timers(trail.state, lambda _: True) if isinstance(t.command,
                                                                                               c.MoveAgeBand))
    trail.do(move.command, ctx(SYSTEM_ACTOR, move.at))
    html = render_notice(trail.notice("band_change"))
    assert_page(html, ["高龄津贴调档通知书", "您已年满90周岁", "原津贴标准：50.00元/月", "新津贴标准：100.00元/月",
                       "新标准起始月份：2036年5月"])


def test_suspension_and_resumption_notices_with_the_months_owed() -> None:
    """A missed survival check escalates and the township approver holds payment (not a stop) from next month
    (SPEC §0.1: the timer only escalates); the late check resumes it, the held months paid (补发): 2027-08 and
    2027-09, 100.00 yuan, paid as usual from October (SPEC §6.3)."""
    trail = old_age(datetime(2026, 6, 2, 2, tzinfo=UTC))
    missed = datetime(2027, 7, 2, 2, tzinfo=UTC)
    trail.do(c.RaiseEscalation(step="survival_check"), ctx(SYSTEM_ACTOR, missed))
    trail.do(c.HoldPayment(reason="逾期未完成生存认证，暂停发放"), ctx(TOWNSHIP, missed))
    suspended = render_notice(trail.notice("suspension"))
    assert_page(suspended, ["高龄津贴暂停发放通知书", "2027年6月2日前完成高龄津贴年度生存认证",
                            "自2027年8月起暂停发放您的高龄津贴（50.00元/月）", "暂停发放不是停发", "补发"])
    with pytest.raises(InvalidTransition):
        trail.notice("resumption")
    late = datetime(2027, 9, 10, 2, tzinfo=UTC)
    trail.do(c.RecordSurvivalCheck(checked_on=late.date(), method="home_visit"), ctx(CASEWORKER, late))
    notice = trail.notice("resumption")
    assert (notice.months_owed, notice.amount_owed, notice.resumes_from) == (["2027-08", "2027-09"], 100,
                                                                            "2027-10")
    assert_page(render_notice(notice), ["高龄津贴恢复发放通知书", "2027年9月10日完成高龄津贴生存认证",
                                        "补发月份：2027年8月、2027年9月（共2个月）", "补发金额：100.00元",
                                        "恢复发放月份：2027年10月", "下次生存认证截止日期：2028年9月10日"])


def test_old_age_stop_on_death_takes_effect_the_next_month() -> None:
    trail = old_age(datetime(2026, 6, 2, 2, tzinfo=UTC))
    link = c.ApplyLink(key="n3", effect=c.LinkEffect.PERSON_DIED, source_case_id=uuid4(), source_program="dibao",
                       source_seq=9, resident_id=ELDER, occurred_on=date(2026, 8, 30))
    trail.do(link, ctx(SYSTEM_ACTOR, datetime(2026, 9, 3, 2, tzinfo=UTC)))
    notice = trail.notice("stop")
    assert notice.deceased and notice.effective_month == "2026-09" and notice.issuer.name == "禄丰市民政局"
    html = render_notice(notice)
    assert_page(html, ["高龄津贴停发通知书", "测试老家属：", "已去世", "自2026年9月起停发其高龄津贴"])
    no_personal_numbers(html, trail)
