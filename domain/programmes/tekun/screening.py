"""一门受理: 特困's screening of an intake (S3 Arts. 4-8; S4 Art. 14): which members lack the capacity to work —
aged, a minor, or (from the grade alone) a disability — and whether the household's income is below the local
dibao standard and its property within the 特困 rule (``rules.means_of_living``, S3 Arts. 6, 7). The third condition,
no statutory supporter able to support them (S3 Art. 8), an intake does not tell: a person who passes the first two
is ``incomplete`` with the supporters to be investigated, never ``may_qualify``. Each person applies for themself
(S3 Art. 10): one application per such member. Decides nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.intake import Screening
from domain.parameters import ResolvedParameters
from domain.programmes.tekun import rules

TITLE = "特困人员救助供养"
SUPPORTERS = "法定赡养、抚养、扶养义务人的情况及其履行能力（S3 Art. 8），由调查核实"
MEANS = "本人收入和财产状况的书面声明（S3 Arts. 6, 7）"
DISABILITY_KIND = ("残疾类别（残疾人证）：智力、精神残疾一至三级，肢体残疾一、二级，视力残疾一级为无劳动能力"
                   "（S3 Art. 5）")


def screen(intake: Any, params: ResolvedParameters, today: date,
           _screened: Mapping[Any, Any] | None = None) -> Screening:
    p = params.values.tekun
    if p is None:
        return Screening(program="tekun", title=TITLE, outcome="not_screened",
                         summary="参数中尚无特困人员供养标准，请窗口人工判断")
    incapable = [(i, rules.incapacity(m, None, None, today, p)) for i, m in enumerate(intake.members)]
    # the disability kind is not on an intake: a grade that means incapacity for some kind (S3 Art. 5(3)) makes
    # the member a candidate, the kind to be told
    worst = max(rules.INCAPACITY_GRADES.values())
    by_grade = {i for i, m in enumerate(intake.members)
                if m.disability_grade is not None and m.disability_grade <= worst}
    applicants = tuple(i for i, crit in incapable if crit.passed or i in by_grade)
    kind_needed = any(not crit.passed and i in by_grade for i, crit in incapable)
    standard = params.standard(intake.area_type)
    means, _counted, monthly, below, within = rules.means_of_living(
        intake.declaration, standard, params.values.reference_period_months, p)
    criteria = (*(crit for _, crit in incapable), *means)
    if not applicants:
        return Screening(program="tekun", title=TITLE, outcome="does_not_qualify", criteria=criteria,
                         summary=f"家庭成员均有劳动能力（未满{p.incapacity_age}周岁、年满{p.minor_age_limit}周岁且无重度"
                                 "残疾），不符合特困人员认定条件")
    if not (below and within):
        reason = "收入" if not below else "财产"
        return Screening(program="tekun", title=TITLE, outcome="does_not_qualify", criteria=criteria,
                         summary=f"家庭{reason}不符合特困人员认定条件（月收入{monthly}元，当地低保标准{standard}元）")
    who = "、".join(f"第{i + 1}位成员" for i in applicants)
    undeclared = not intake.declaration.income and not intake.declaration.property
    missing = (SUPPORTERS, *((DISABILITY_KIND,) if kind_needed else ()), *((MEANS,) if undeclared else ()))
    return Screening(program="tekun", title=TITLE, outcome="incomplete", criteria=criteria, applicants=applicants,
                     missing=missing,
                     summary=f"{who}可能无劳动能力，家庭收入、财产符合特困人员认定条件；是否有能够履行义务的法定"
                             "赡养、抚养、扶养义务人须经调查核实，方能认定")
