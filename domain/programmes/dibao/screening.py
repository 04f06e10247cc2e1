"""一门受理: dibao's screening of an intake (S4 Art. 9; S1 Arts. 9, 13, 14; SPEC §7): the same assessment as the
procedure's, under the parameters in force; decides nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain import benefit
from domain.intake import Screening
from domain.parameters import ResolvedParameters


def screen(intake: Any, params: ResolvedParameters, _today: date | None = None,
           _screened: Mapping[Any, Any] | None = None) -> Screening:
    a = benefit.assess(intake.members, intake.area_type, intake.declaration, params)
    missing: tuple[str, ...] = ()
    if not intake.declaration.income and not intake.declaration.property:
        missing = ("家庭收入和财产状况书面声明（S1 Art. 9）",)
    if a.eligible:
        outcome = "incomplete" if missing else "may_qualify"
        summary = (f"家庭人均月收入{a.per_capita_monthly_income}元，低于当地低保标准{a.standard_monthly}元，"
                   f"财产符合规定：可能符合最低生活保障，测算月保障金{a.monthly_amount}元")
    else:
        outcome = "does_not_qualify"
        summary = (f"家庭人均月收入{a.per_capita_monthly_income}元，当地低保标准{a.standard_monthly}元"
                   + ("，财产不符合规定" if not a.property_compliant else "")
                   + ("：不符合低保条件，属低保边缘家庭" if a.near_dibao else "：不符合低保条件"))
    return Screening(program="dibao", title="最低生活保障", outcome=outcome, summary=summary, criteria=a.criteria,
                     missing=missing)
