"""一门受理 (S5 item 23; S4 Art. 60): an intake screened against 特困, 残疾人两项补贴 and 高龄津贴 with their own rules —
who may qualify, what is missing, and who applies (one application per person for the programmes applied for by
one person; none for 高龄津贴, which the county enrols from the hukou extract). Fixed resident ID numbers and a
fixed day: ages are exact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from adapters.parameters import DEFAULT_BOOK
from domain.household import AreaType, Declaration, IncomeItem, IncomeKind, Member, Program, Relation
from domain.intake import Intake, Screening
from domain.parameters import ParameterBook, resolve
from domain.programmes import screen
from domain.programmes.tekun.screening import DISABILITY_KIND, MEANS, SUPPORTERS
from tests.builders import JINSHAN_VILLAGE, resident_id

TODAY = date(2026, 12, 7)
PARAMS = resolve(ParameterBook.model_validate_json(DEFAULT_BOOK.read_text(encoding="utf-8")), JINSHAN_VILLAGE, TODAY)
POOR = Declaration(income=[IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=Decimal("1200"))])  # 100 a month
RICH = Declaration(income=[IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=Decimal("120000"))])


def person(born: str, seq: str, relation: Relation = Relation.APPLICANT, grade: int | None = None) -> Member:
    return Member(name=f"测试{seq}", resident_id=resident_id(birth=born, seq=seq), relation=relation,
                  disability_grade=grade)


def screened(*members: Member, declaration: Declaration = POOR) -> dict[Program, Screening]:
    intake = Intake(village_code=JINSHAN_VILLAGE, area_type=AreaType.RURAL, members=members, declaration=declaration)
    return {s.program: s for s in screen(intake, PARAMS, TODAY)}


# --- 高龄津贴 (SPEC §6.3: bands UNCONFIRMED parameters) ------------------------------------------------------


def test_a_member_of_80_or_more_may_have_the_old_age_allowance_which_is_enrolled_not_applied_for() -> None:
    s = screened(person("19401208", "101"), person("19461207", "102", Relation.SPOUSE))[Program.OLD_AGE_ALLOWANCE]
    # born 1940-12-08: 85 today (86 tomorrow); born 1946-12-07: 80 today
    assert s.outcome == "may_qualify" and not s.by_application and s.applicants == ()
    assert "第1位成员年满85周岁" in s.summary and "第2位成员年满80周岁" in s.summary and "50.00" in s.summary
    assert "无需申请" in s.summary
    assert [c.result for c in s.criteria] == ["band_80", "band_80"]


def test_nobody_of_80_no_old_age_allowance() -> None:
    s = screened(person("19461208", "103"))[Program.OLD_AGE_ALLOWANCE]  # 80 tomorrow
    assert s.outcome == "does_not_qualify" and s.criteria[0].result == "below_first_band"


# --- 特困 (S3 Arts. 5-8) -------------------------------------------------------------------------------------


def test_an_aged_person_without_means_is_incomplete_until_the_supporters_are_investigated_s3_art_8() -> None:
    s = screened(person("19500101", "104"))[Program.TEKUN]  # 76, 100 yuan a month
    assert s.outcome == "incomplete" and s.applicants == (0,) and s.by_application
    assert s.missing == (SUPPORTERS,)
    assert {c.code: c.passed for c in s.criteria} == {"incapacity": True, "means.income": True,
                                                       "means.property": True}


def test_capable_of_work_or_with_means_is_not_tekun_s3_arts_5_6() -> None:
    capable = screened(person("19800101", "105"))[Program.TEKUN]
    assert capable.outcome == "does_not_qualify" and capable.applicants == ()
    with_means = screened(person("19500101", "106"), declaration=RICH)[Program.TEKUN]
    assert with_means.outcome == "does_not_qualify" and "收入" in with_means.summary


def test_a_disability_grade_without_its_kind_asks_for_the_kind_s3_art_5_and_an_undeclared_income_for_it() -> None:
    s = screened(person("19800101", "107", grade=2), declaration=Declaration())[Program.TEKUN]
    assert s.outcome == "incomplete" and s.applicants == (0,)
    assert s.missing == (SUPPORTERS, DISABILITY_KIND, MEANS)
    grade_4 = screened(person("19800101", "108", grade=4))[Program.TEKUN]  # no kind's grade 4 is incapacity
    assert grade_4.outcome == "does_not_qualify"


# --- 残疾人两项补贴 (S12 云政发〔2016〕5号) -----------------------------------------------------------------------


def test_each_disabled_member_is_screened_for_both_subsidies_and_applies_for_themself_s12() -> None:
    result = screened(person("19800101", "109"), person("19820101", "110", Relation.SPOUSE, grade=2),
                      person("20000101", "111", Relation.CHILD, grade=4))
    assert result[Program.DIBAO].outcome == "may_qualify"
    s = result[Program.DISABILITY_SUBSIDIES]
    assert s.outcome == "may_qualify" and s.applicants == (1, 2)
    assert [c.result for c in s.criteria] == ["living,care", "living"]
    assert "第2位成员（2级）可能享受困难残疾人生活补贴每月100.00元、重度残疾人护理补贴每月100.00元" in s.summary
    assert "须家庭纳入低保" in s.summary and "长期照护" in s.summary


def test_outside_dibao_only_a_grade_1_or_2_member_may_have_the_care_subsidy_s12() -> None:
    rich = screened(person("19800101", "112", grade=1), person("19820101", "113", Relation.SPOUSE, grade=3),
                    declaration=RICH)
    assert rich[Program.DIBAO].outcome == "does_not_qualify"  # the living subsidy reads dibao's screening
    s = rich[Program.DISABILITY_SUBSIDIES]
    assert s.outcome == "may_qualify" and s.applicants == (0,)
    assert [c.result for c in s.criteria] == ["care", "none"]
    assert "困难残疾人生活补贴" not in s.summary and "重度残疾人护理补贴每月110.00元" in s.summary
    nobody = screened(person("19800101", "114", grade=3), declaration=RICH)[Program.DISABILITY_SUBSIDIES]
    assert nobody.outcome == "does_not_qualify" and nobody.applicants == ()
    none_disabled = screened(person("19800101", "115"))[Program.DISABILITY_SUBSIDIES]
    assert none_disabled.outcome == "does_not_qualify" and not none_disabled.criteria
