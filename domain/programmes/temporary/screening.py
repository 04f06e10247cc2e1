"""一门受理: 临时救助's screening of an intake (S4 Art. 47; S8 §二(一), (二), (三)): the type's eligibility and the
tier amount, under the parameters in force; decides nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import SimpleNamespace
from typing import Any

from domain.errors import InvalidInput
from domain.intake import Screening
from domain.parameters import ResolvedParameters
from domain.programmes.temporary import rules

TITLE = "临时救助"


def screen(intake: Any, params: ResolvedParameters, _today: date | None = None,
           _screened: Mapping[Any, Any] | None = None) -> Screening:
    need = intake.temporary
    if need is None:
        return Screening(program="temporary", title=TITLE, outcome="incomplete",
                         summary="未说明遭遇的急难情形或生活必需支出，无法判断",
                         missing=("遭遇的急难情形，或教育、医疗等生活必需支出（S4 Art. 47；S8 §二(一)）",))
    try:
        rules.section(params, params.effective_from)
    except InvalidInput:
        return Screening(program="temporary", title=TITLE, outcome="not_screened",
                         summary="参数中尚无临时救助标准，请窗口人工判断")
    household = SimpleNamespace(kind=need.kind, cause=need.cause, severity=need.severity, members=intake.members,
                                area_type=intake.area_type, declaration=intake.declaration,
                                essential_expenditure=need.essential_expenditure,
                                on_dibao_or_tekun=need.on_dibao_or_tekun)
    a = rules.assessment(household, params)
    urgent = "，可先行救助" if need.urgent is not None else ""
    if a.eligible:
        return Screening(program="temporary", title=TITLE, outcome="may_qualify", criteria=a.criteria,
                         summary=f"可能符合临时救助{urgent}，按分档标准测算救助金额{a.monthly_amount}元")
    return Screening(program="temporary", title=TITLE, outcome="does_not_qualify", criteria=a.criteria,
                     summary="家庭收入或财产不符合支出型临时救助条件（S8 §二(一)）")
