"""Written notices of the in-payment life: 增发/减发 and 停发 with reasons and remedy (S1 Arts. 32-34, 38).

The models are rendered on their own (content, incoherent content, whitelist) and built by ``notice_for``
from cases driven through the pure domain (see ``tests/unit/domain/dynamic_support.py``), the way the
notices endpoint builds them from the snapshot and the ledger's events.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from adapters.rendering.notices import render_notice
from api.routes.notices import NoticeKind
from domain import commands as c
from domain.programmes.dibao.notices import NOTICE_KINDS, notice_for
from domain.errors import InvalidTransition
from domain.household import Declaration, IncomeKind, LabourCapacity, Relation
from domain.kernel.context import SYSTEM_ACTOR
from domain.notices import DEFAULT_REMEDY_TEXT, BenefitChangeNotice, Issuer, StopNotice
from tests.unit.domain.dynamic_support import (
    CASEWORKER,
    COUNTY_APPROVER,
    TOWNSHIP_APPROVER,
    WINDOW,
    Case,
    check_review,
    factory_job_declaration,
    in_payment,
    income,
    member,
    params,
    review,
    scenario_10_household,
    single_elder,
)

COUNTY = Issuer(name="禄丰市民政局")
DEATH_REASON = "家庭成员一人于2027年2月14日死亡，保障人口由4人减为3人，家庭人均收入相应增加"
RESIDENT_ID_RUN = re.compile(r"\d{15,}")


def change(**kw: Any) -> BenefitChangeNotice:
    return BenefitChangeNotice(**{
        "case_ref": "DB-0000A1B2", "applicant_name": "杨正华", "direction": "decrease", "household_size": 3,
        "old_amount": Decimal("600"), "new_amount": Decimal("325"), "from_month": "2027-03",
        "reasons": [DEATH_REASON], "decided_on": date(2027, 3, 5), "issued_on": date(2027, 3, 5),
        "issuer": COUNTY, "remedy": DEFAULT_REMEDY_TEXT, **kw})


def stop(**kw: Any) -> StopNotice:
    return StopNotice(**{
        "case_ref": "DB-0000A1B3", "applicant_name": "赵桂英", "reasons": ["家庭财产状况不再符合规定"],
        "effective_month": "2027-05", "decided_on": date(2027, 4, 15), "issued_on": date(2027, 4, 16),
        "issuer": COUNTY, "remedy": DEFAULT_REMEDY_TEXT, **kw})


def visible_text(html: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<style.*?</style>|<[^>]+>", "", html, flags=re.S))


def assert_page(html: str, expected: list[str]) -> None:
    assert html.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    text = visible_text(html)
    missing = [s for s in expected if re.sub(r"\s", "", s) not in text]
    assert missing == []
    assert re.search(r'<p class="issuer">[^<]+</p>\s*<p class="date">\d{4}年\d{1,2}月\d{1,2}日</p>', html)


# --- the models, rendered -------------------------------------------------------------------------------


def test_a_decrease_notice_states_amounts_month_reasons_and_remedy() -> None:
    """S1 Art. 32: a decrease is notified in writing with its reasons; S1 Art. 38: the remedy."""
    notice = change()

    assert_page(render_notice(notice), [
        "最低生活保障金减发通知书", "编号：DB-0000A1B2", "杨正华：", "保障人口：3人",
        "原保障金额：600.00元/月", "调整后保障金额：325.00元/月", "自2027年3月起减发",
        "调整起始月份：2027年3月", DEATH_REASON,
        "《最低生活保障审核确认办法》第三十二条", "《最低生活保障审核确认办法》第三十八条",
        DEFAULT_REMEDY_TEXT,
        "申请行政复议", "提起行政诉讼", "2027年3月5日决定", "禄丰市民政局", *notice.legal_basis,
    ])


def test_an_increase_notice_is_titled_as_such_and_may_omit_reasons() -> None:
    """S1 Art. 32 (增发 is a decision too; reasons are required for decreases and stops)."""
    html = render_notice(change(direction="increase", old_amount=Decimal("550"), new_amount=Decimal("925"),
                                household_size=3, reasons=[]))

    assert_page(html, ["最低生活保障金增发通知书", "自2027年3月起增发", "调整后保障金额：925.00元/月"])
    assert "减发" not in visible_text(html)
    assert "理由如下" not in visible_text(html)


def test_a_member_share_cut_cites_the_job_refusal_article_without_naming_the_member() -> None:
    """S1 Art. 34: that member's share only is reduced; the other members' shares are unchanged."""
    html = render_notice(change(member_share=True, old_amount=Decimal("825"), new_amount=Decimal("550"),
                                reasons=["无正当理由连续3次拒绝接受介绍的工作"]))

    assert_page(html, ["最低生活保障金减发通知书", "第三十二条、第三十四条", "减发该成员本人的最低生活保障金",
                       "其他家庭成员的保障金不变", "原保障金额：825.00元/月", "调整后保障金额：550.00元/月"])


def test_a_stop_notice_states_reasons_the_month_payment_stops_and_the_remedy() -> None:
    """S1 Art. 32: a stop is notified in writing with its reasons; SPEC §8.3: from the effective month;
    S1 Art. 38: 申请行政复议 / 提起行政诉讼, as on the rejection notice."""
    notice = stop()

    assert_page(render_notice(notice), [
        "最低生活保障金停发通知书", "编号：DB-0000A1B3", "赵桂英：", "家庭财产状况不再符合规定",
        "自2027年5月起停发", "停发起始月份：2027年5月", "2027年4月15日决定", DEFAULT_REMEDY_TEXT,
        "申请行政复议", "提起行政诉讼", "《最低生活保障审核确认办法》第三十二条", *notice.legal_basis,
        "2027年4月16日",
    ])
    assert "渐退期" not in visible_text(render_notice(notice))


def test_a_stop_at_the_end_of_a_gradual_exit_says_so() -> None:
    """S1 Art. 33: the stop was decided with the 渐退期 and takes effect when it has run out."""
    html = render_notice(stop(after_gradual_exit=True, effective_month="2028-02",
                              decided_on=date(2027, 7, 20), issued_on=date(2028, 2, 1)))

    assert_page(html, ["渐退期已经届满", "第三十三条", "2027年7月20日决定给予渐退期", "自2028年2月起停发",
                       "2028年2月1日"])


@pytest.mark.parametrize(
    ("make", "bad"),
    [
        (change, {"reasons": []}),  # a decrease without reasons (S1 Art. 32)
        (change, {"new_amount": Decimal("700")}),  # a "decrease" that raises the amount
        (change, {"direction": "increase"}),  # an "increase" that lowers it
        (change, {"direction": "increase", "new_amount": Decimal("600"), "reasons": []}),
        (change, {"direction": "increase", "new_amount": Decimal("700"), "member_share": True}),
        (change, {"issued_on": date(2027, 3, 4)}),
        (change, {"from_month": "2027-3"}),
        (change, {"new_amount": Decimal("-1")}),
        (change, {"household_size": 0}),
        (change, {"reasons": ["x" * 2001]}),
        (stop, {"reasons": []}),
        (stop, {"effective_month": "2027-13"}),
        (stop, {"issued_on": date(2027, 4, 14)}),
    ],
)
def test_change_and_stop_notices_reject_incoherent_content(make: Any, bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        make(**bad)


@pytest.mark.parametrize(
    ("make", "extra"),
    [(change, {"resident_id": "532302198001011231"}),
     (change, {"income": [{"kind": "wages", "amount": 9600}]}),
     (change, {"member_name": "杨老汉"}), (stop, {"disability_grade": 1}), (stop, {"members": []}),
     (stop, {"serious_illness": True}), (stop, {"overpayment": "550.00"})],
)
def test_change_and_stop_notices_hold_only_whitelisted_fields(make: Any, extra: dict[str, Any]) -> None:
    """SPEC §9 engineering recommendations, applied to the household's own notices too: name, household
    size, amounts, months, reasons and remedy — no ID number, income item or health datum."""
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        make(**extra)


def test_an_id_number_quoted_in_a_reason_is_masked_on_the_page() -> None:
    """SPEC §9: never the full ID number; a masked one shows the first 6 and last 4 characters."""
    quoted = "经比对，成员532302202103150029已于2027年3月死亡（53010219200508011X）"
    html = render_notice(stop(reasons=[quoted]))

    text = visible_text(html)
    assert "532302********0029" in text
    assert "530102********011X" in text
    assert RESIDENT_ID_RUN.search(text) is None


# --- notice_for: built from the case's state and events ---------------------------------------------------


def _four_person_death() -> Case:
    """SPEC §12 sc. 12: four members paid 600.00; a member dies; the review decreases to 325.00 for three."""
    members = [member("杨正华", "19750101", "411", Relation.APPLICANT),
               member("陈丽", "19770202", "422", Relation.SPOUSE),
               member("杨小军", "20120303", "433"),
               member("杨老汉", "19450404", "444", Relation.PARENT, LabourCapacity.NONE)]
    case = in_payment(members, Declaration(income=[income(IncomeKind.BUSINESS_NET, 9600),
                                                   income(IncomeKind.TRANSFER_RECEIVED, 1200, 3)]))
    case.on(date(2027, 2, 20))
    case.do(CASEWORKER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=3,
                                         occurred_on=date(2027, 2, 14), source="殡葬管理信息比对"))
    case.on(date(2027, 3, 5))
    review(case, DEATH_REASON)
    return case


def test_the_decrease_notice_of_scenario_12_is_built_from_the_review_decision() -> None:
    """SPEC §12 sc. 12: "a ``BenefitDecreased`` notice with reasons is issued" — N = 3, 600.00 → 325.00 from
    the month after the death, the review's reasons, signed by the county that decided (S1 Arts. 32, 38)."""
    case = _four_person_death()

    notice = notice_for(case.state, "benefit_change", events=case.events)

    assert isinstance(notice, BenefitChangeNotice)
    assert (notice.direction, notice.household_size) == ("decrease", 3)
    assert (notice.old_amount, notice.new_amount) == (Decimal("600.00"), Decimal("325.00"))
    assert notice.from_month == "2027-03"
    assert notice.reasons == [DEATH_REASON]
    assert (notice.applicant_name, notice.decided_on, notice.issuer.name) == ("杨正华", date(2027, 3, 5),
                                                                              "禄丰市民政局")
    assert notice.remedy == DEFAULT_REMEDY_TEXT


def test_the_household_notice_leaks_no_id_number_income_item_or_other_member() -> None:
    """SPEC §9: the page holds the applicant's name and the whitelisted figures only — not the members'
    resident ID numbers, their names, the declared income items (9,600; 1,200) or the countable income."""
    case = _four_person_death()

    text = visible_text(render_notice(notice_for(case.state, "benefit_change", events=case.events)))

    assert RESIDENT_ID_RUN.search(text) is None
    for m in case.state.members:
        assert m.resident_id not in text
    for private in ("陈丽", "杨小军", "杨老汉", "9600", "1200", "9,600", "1,200", "266.67"):
        assert private not in text


def test_the_share_cut_notice_of_scenario_14() -> None:
    """S1 Art. 34; SPEC §12 sc. 14: after three refusals, 825.00 → 550.00 for a household of three."""
    case = in_payment([member("张强", "19800101", "711", Relation.APPLICANT),
                       member("吴芳", "19820202", "722", Relation.SPOUSE), member("张乐", "20120303", "733")],
                      Declaration(income=[income(IncomeKind.BUSINESS_NET, 3600)]))
    case.on(date(2027, 2, 10))
    for _ in range(3):
        case.do(CASEWORKER, c.RecordJobRefusal(member_index=1, offer="保洁岗位"))
    case.do(COUNTY_APPROVER, c.ReduceMemberShare(member_index=1,
                                                 reason="无正当理由连续3次拒绝接受介绍的工作"))

    notice = notice_for(case.state, "benefit_change", events=case.events)

    assert isinstance(notice, BenefitChangeNotice)
    assert (notice.member_share, notice.household_size, notice.old_amount, notice.new_amount) == (
        True, 3, Decimal("825.00"), Decimal("550.00"))
    assert notice.reasons == ["无正当理由连续3次拒绝接受介绍的工作"]
    assert "吴芳" not in visible_text(render_notice(notice))


def test_the_stop_notice_at_the_end_of_scenario_10s_gradual_exit() -> None:
    """S1 Arts. 32-33; SPEC §12 sc. 10: "``GradualExitEnded`` triggers ``BenefitStopped`` and a stop notice
    with reasons" — the grant's reasons, decided on the grant's day by the county, issued when it took
    effect."""
    case = in_payment(*scenario_10_household())
    case.on(date(2027, 7, 15))
    case.do(WINDOW, c.ReportChange(declaration=factory_job_declaration(), note="丈夫进厂稳定就业"))
    case.on(date(2027, 7, 20))
    check_review(case)
    reasons = ["丈夫稳定就业后家庭人均月收入420.00元，高于当地最低生活保障标准375.00元"]
    case.do(COUNTY_APPROVER, c.DecideReview(reasons=reasons, gradual_exit_months=6,
                                            income_from_employment=True))
    with pytest.raises(InvalidTransition):
        notice_for(case.state, "stop", events=case.events)
    case.on(date(2028, 2, 1))
    case.do(SYSTEM_ACTOR, c.EndGradualExit())

    notice = notice_for(case.state, "stop", events=case.events)

    assert isinstance(notice, StopNotice)
    assert notice.after_gradual_exit
    assert (notice.reasons, notice.effective_month) == (reasons, "2028-02")
    assert (notice.decided_on, notice.issued_on, notice.issuer.name) == (date(2027, 7, 20), date(2028, 2, 1),
                                                                         "禄丰市民政局")
    assert "渐退期已经届满" in visible_text(render_notice(notice))


def test_a_stop_decided_by_the_township_where_confirmation_is_devolved_is_signed_by_it() -> None:
    """S1 Art. 2; S6 §四(一): where the township confirms, it also decides (and signs) the stop."""
    case = in_payment(*single_elder())
    case.on(date(2027, 4, 15))
    stop_ = c.StopBenefit(reason_code=c.StopReason.VOLUNTARY_EXIT, reasons=["本人书面申请退出"])
    case.do(TOWNSHIP_APPROVER, stop_, with_params=params(devolved=True))

    notice = notice_for(case.state, "stop", events=case.events)

    assert isinstance(notice, StopNotice)
    assert (notice.issuer.name, notice.effective_month, notice.reasons) == (
        "禄丰市金山镇人民政府", "2027-05", ["本人书面申请退出"])
    assert not notice.after_gradual_exit


def test_a_fraud_stop_notice_states_the_findings() -> None:
    """S4 Art. 68 with S1 Art. 32: the findings are the stop's reasons; the county decided."""
    case = in_payment(*single_elder())
    case.on(date(2027, 6, 10))
    case.do(COUNTY_APPROVER, c.RecordFraudFinding(amount_obtained=Decimal("3300"), fine_multiple=Decimal("2"),
                                                  findings="隐瞒家庭经营收入"))

    notice = notice_for(case.state, "stop", events=case.events)

    assert isinstance(notice, StopNotice)
    assert (notice.reasons, notice.effective_month, notice.issuer.name) == (["隐瞒家庭经营收入"], "2027-07",
                                                                            "禄丰市民政局")
    text = visible_text(render_notice(notice))
    assert "3300" not in text  # the recovery and the fine are decisions of their own, not on this notice


def test_no_change_or_stop_notice_before_the_decision() -> None:
    """409 before the step: an approved household in payment has neither notice yet."""
    case = in_payment(*single_elder())

    for kind in ("benefit_change", "stop"):
        with pytest.raises(InvalidTransition):
            notice_for(case.state, kind, events=case.events)


def test_the_notices_endpoint_serves_every_notice_kind() -> None:
    """The API's path parameter and the domain's notice kinds (every programme's) are the same list."""
    from domain.programmes import notice_kinds

    assert set(get_args(NoticeKind)) == set(notice_kinds())
    assert set(NOTICE_KINDS) <= set(notice_kinds())
