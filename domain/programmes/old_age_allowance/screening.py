"""一门受理: 高龄津贴's screening of an intake (SPEC §6.3; bands and amounts UNCONFIRMED parameters): each member's age
on the day from the resident ID number (SPEC §10.1) against the bands. 高龄津贴 opens no case from an application:
the county enrols the people who reach a band from the hukou extract (``casework enrol old-age``) and the township
confirms them, so the screening tells the window so and offers no application. Decides nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.benefit import Criterion
from domain.intake import Screening
from domain.parameters import ResolvedParameters
from domain.programmes.old_age_allowance import rules

TITLE = "高龄津贴"
BASIS = ("SPEC §6.3",)


def screen(intake: Any, params: ResolvedParameters, today: date,
           _screened: Mapping[Any, Any] | None = None) -> Screening:
    p = params.values.allowances
    if p is None:
        return Screening(program="old_age_allowance", title=TITLE, outcome="not_screened", by_application=False,
                         summary="参数中尚无高龄津贴标准，请窗口人工判断")
    first = p.old_age_bands[0].min_age
    criteria: list[Criterion] = []
    reached: list[str] = []
    for index, member in enumerate(intake.members):
        born = rules.birth_date(member.resident_id)
        age, band = rules.age_on(born, today), rules.band_for(born, today, p)
        criteria.append(Criterion(
            code="old_age.band", inputs={"member": str(index + 1), "age": str(age)},
            parameters={"bands": ", ".join(f"{b.min_age}+: {b.monthly}" for b in p.old_age_bands),
                        "rule": "UNCONFIRMED"},
            result=f"band_{band.min_age}" if band else "below_first_band", passed=band is not None,
            legal_basis=BASIS))
        if band is not None:
            reached.append(f"第{index + 1}位成员年满{age}周岁，可能享受每月{band.monthly}元")
    if not reached:
        return Screening(program="old_age_allowance", title=TITLE, outcome="does_not_qualify", by_application=False,
                         criteria=tuple(criteria), summary=f"家庭成员均未满{first}周岁，不符合高龄津贴条件")
    return Screening(program="old_age_allowance", title=TITLE, outcome="may_qualify", by_application=False,
                     criteria=tuple(criteria),
                     summary="；".join(reached) + "。高龄津贴由县级依户籍数据主动纳入、乡镇确认，无需申请；"
                     "如未纳入，请核对户籍登记")
