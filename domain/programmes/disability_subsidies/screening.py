"""一门受理: 残疾人两项补贴's screening of an intake (S12 云政发〔2016〕5号; SPEC §6.2): for each member with a
disability certificate grade, the subsidies of ``rules.grants`` — the living subsidy for a household dibao's own
screening (handed over by the kernel) finds may qualify (it is paid once the household is in dibao), the care
subsidy for grade 1 or 2, whose need of long-term care the township review establishes. Each person applies for
themself: one application per person who may qualify. Decides nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.benefit import Criterion
from domain.household import Program
from domain.intake import Screening
from domain.parameters import ResolvedParameters
from domain.programmes.disability_subsidies import rules

TITLE = "残疾人两项补贴"
BASIS = ("S12 云政发〔2016〕5号",)
_KIND = {"living": "困难残疾人生活补贴", "care": "重度残疾人护理补贴"}


def screen(intake: Any, params: ResolvedParameters, _today: date,
           screened: Mapping[Any, Any] | None = None) -> Screening:
    p = params.values.allowances
    if p is None:
        return Screening(program="disability_subsidies", title=TITLE, outcome="not_screened",
                         summary="参数中尚无残疾人两项补贴标准，请窗口人工判断")
    disabled = [(i, m) for i, m in enumerate(intake.members) if m.disability_grade is not None]
    if not disabled:
        return Screening(program="disability_subsidies", title=TITLE, outcome="does_not_qualify",
                         summary="家庭成员均未登记残疾等级（残疾人证），不符合残疾人两项补贴条件")
    dibao = (screened or {}).get(Program.DIBAO)  # the kernel screens dibao first
    household_dibao = dibao is not None and dibao.outcome in {"may_qualify", "incomplete"}
    criteria: list[Criterion] = []
    applicants: list[int] = []
    lines: list[str] = []
    care_to_assess = False
    for index, member in disabled:
        grade = member.disability_grade
        # the care subsidy's need of long-term care is the township review's finding: assumed here for grade 1-2
        facts = rules.Facts(grade=grade, long_term_care=grade in (1, 2), work_injury_care=False,
                            in_dibao=household_dibao, in_tekun=False)
        grants, _why_not = rules.grants(facts, p)
        criteria.append(Criterion(
            code="disability_subsidies.grants",
            inputs={"member": str(index + 1), "disability_grade": str(grade),
                    "household_may_qualify_for_dibao": str(household_dibao).lower()},
            parameters={"living_subsidy_monthly": str(p.living_subsidy_monthly),
                        "care_subsidy_monthly": ", ".join(
                            f"{g}: {a}" for g, a in sorted(p.care_subsidy_monthly.items())),
                        "both_together": str(p.both_together).lower()},
            result=",".join(g.kind for g in grants) or "none", passed=bool(grants), legal_basis=BASIS))
        if grants:
            applicants.append(index)
            care_to_assess = care_to_assess or any(g.kind == "care" for g in grants)
            lines.append(f"第{index + 1}位成员（{grade}级）可能享受"
                         + "、".join(f"{_KIND[g.kind]}每月{g.monthly}元" for g in grants))
    if not applicants:
        return Screening(program="disability_subsidies", title=TITLE, outcome="does_not_qualify",
                         criteria=tuple(criteria),
                         summary="家庭不符合低保条件，且无一、二级重度残疾人：不符合残疾人两项补贴条件")
    notes = []
    if household_dibao:
        notes.append("生活补贴须家庭纳入低保后发放")
    if care_to_assess:
        notes.append("护理补贴须经乡镇审核认定需要长期照护")
    return Screening(program="disability_subsidies", title=TITLE, outcome="may_qualify", criteria=tuple(criteria),
                     applicants=tuple(applicants), summary="；".join(lines) + ("（" + "，".join(notes) + "）"
                                                                           if notes else ""))
