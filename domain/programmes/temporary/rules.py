"""临时救助's pure rules, each explained per criterion: eligibility by type (S8 §二(一), (二)), the tiered amount
(S8 §二(三); S5 item 14), who approves what (S4 Art. 48; S8 §二(二); S5 item 15), repeat assistance, and the
plan of instalments (S8 §二(四)).

Every limit and amount comes from the parameters in force (``params.values.temporary``), never a constant.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from domain import benefit
from domain.benefit import Assessment, Criterion, fen
from domain.errors import InvalidInput
from domain.household import Member
from domain.kernel.context import DecisionContext
from domain.kernel.state import EarlierCase
from domain.months import add_months
from domain.parameters import ResolvedParameters, TemporaryAssistance, TemporaryTier
from domain.programmes.dibao.rules import validated_members as _dibao_validated_members
from domain.temporary import Instalment, TemporaryType

_TWELVE = Decimal("12")


def section(params: ResolvedParameters, on: date) -> TemporaryAssistance:
    """The 临时救助 section of the parameters in force on ``on``.

    Raises:
        InvalidInput: the book has no 临时救助 section in force (field ``program``).
    """
    values = params.values.temporary
    if values is None or values.effective_from > on:
        raise InvalidInput(f"parameter version {params.version} has no 临时救助 section in force (S4 Art. 49)",
                           field=("program",))
    return values


def validated_members(members: Iterable[Member], ctx: DecisionContext) -> tuple[Member, ...]:
    """The household's members, checked as for every programme (ID numbers, one applicant)."""
    return _dibao_validated_members(members, ctx)


def assessment(state: Any, params: ResolvedParameters) -> Assessment:
    """Whether the household qualifies for 临时救助 and the tier amount, explained.

    急难型: the emergency on record qualifies it (S4 Art. 47; S8 §二(一)): no income or property test.
    支出型: per-capita income below last year's local per-capita disposable income and property within the
    local rule (S8 §二(一)), and an essential expenditure on record. For a dibao or 特困 household only the
    essential expenditure is checked (S8 §二(二)).
    ``monthly_amount`` holds the one-off tier amount (a temporary case has no monthly benefit).
    """
    kind = state.kind
    members = state.members
    area = state.area_type
    base = benefit.assess(members, area, state.declaration, params)
    t = params.values.temporary
    criteria: list[Criterion] = []
    eligible = True
    income_ok = True
    property_ok = True
    if kind is TemporaryType.EXPENDITURE:
        spent = state.essential_expenditure
        has_spending = spent > 0
        criteria.append(Criterion(code="temporary.essential_expenditure", inputs={"essential_expenditure": str(spent)},
                                  result=str(spent), passed=has_spending, legal_basis=("S8 §二(一)", "S4 Art. 47")))
        eligible = has_spending
        if not state.on_dibao_or_tekun:
            annual = base.per_capita_monthly_income * _TWELVE
            limit = t.per_capita_disposable_income_last_year[area] if t else Decimal("0")
            income_ok = annual < limit
            property_ok = base.property_compliant
            criteria.append(Criterion(
                code="temporary.per_capita_income_below_disposable",
                inputs={"per_capita_annual_income": str(fen(annual)), "members": str(len(members))},
                parameters={"per_capita_disposable_income_last_year": str(limit), "area_type": area.value},
                result=str(fen(annual)), passed=income_ok, legal_basis=("S8 §二(一)",)))
            criteria += [c for c in base.criteria if c.code.startswith("property")]
            eligible = eligible and income_ok and property_ok
        else:
            criteria.append(Criterion(code="temporary.dibao_or_tekun_household", result="expenditure_only",
                                      passed=True, legal_basis=("S8 §二(二)",)))
    else:
        criteria.append(Criterion(code="temporary.emergency", inputs={"cause": str(state.cause)},
                                  result="emergency", passed=True, legal_basis=("S4 Art. 47", "S8 §二(一)")))
    amount, tier_criteria = tier_amount(state, params) if t is not None else (Decimal("0.00"), [])
    criteria += tier_criteria
    return Assessment(
        parameter_set_version=params.version,
        household_size=len(members),
        countable_income=base.countable_income,
        per_capita_monthly_income=base.per_capita_monthly_income,
        standard_monthly=base.standard_monthly,
        income_below_standard=income_ok,
        property_compliant=property_ok,
        eligible=eligible,
        near_dibao=False,
        monthly_amount=amount if eligible else Decimal("0.00"),
        criteria=tuple(criteria),
    )


def _tier(t: TemporaryAssistance, kind: str, severity: str) -> TemporaryTier:
    for tier in t.tiers:
        if tier.kind == kind and tier.severity == severity:
            return tier
    raise InvalidInput(f"the tier table has no row for {kind} / {severity} (S8 §二(三))", field=("severity",))


def tier_amount(state: Any, params: ResolvedParameters) -> tuple[Decimal, list[Criterion]]:
    """The tier table's amount for the case's type, severity and household size (S8 §二(三); S5 item 14),
    with its explanation: months of the local dibao standard (or a fixed sum) × the members counted."""
    t = params.values.temporary
    assert t is not None
    kind, severity = str(state.kind), str(state.severity)
    tier = _tier(t, kind, severity)
    n = len(state.members)
    counted = min(n, tier.max_members) if tier.per_member else 1
    area = state.area_type
    if tier.months_of_standard is not None:
        standard = params.standard(area)
        unit = standard * tier.months_of_standard
        unit_basis = {"months_of_standard": str(tier.months_of_standard), "standard_monthly": str(standard),
                      "area_type": area.value}
    else:
        assert tier.fixed_yuan is not None
        unit = tier.fixed_yuan
        unit_basis = {"fixed_yuan": str(tier.fixed_yuan)}
    amount = fen(unit * counted)
    return amount, [Criterion(
        code="temporary.tier_amount",
        inputs={"kind": kind, "severity": severity, "members": str(n), "members_counted": str(counted)},
        parameters={**unit_basis, "per_member": str(tier.per_member).lower(), "max_members": str(tier.max_members)},
        result=str(amount), passed=True, legal_basis=("S8 §二(三)", "S5 item 14", "S4 Art. 49"))]


def repeat_earlier(state: Any, t: TemporaryAssistance, today: date) -> tuple[EarlierCase, ...]:
    """Earlier 临时救助 cases of the household's members approved for the same cause within the repeat period
    (linked at intake): a further approval needs a recorded justification (LOCAL rule, UNCONFIRMED period)."""
    since = add_months(today, -t.repeat_period_months)
    cause = str(state.cause) if state.cause is not None else None
    return tuple(
        ec for ec in state.earlier_cases
        if str(ec.program) == "temporary" and ec.outcome == "approved" and ec.decided_at is not None
        and ec.decided_at.date() >= since
        and (ec.cause is None or cause is None or ec.cause == cause)  # an unknown cause counts as the same
    )


def planned(instalments: Iterable[tuple[date, Decimal]], amount: Decimal, today: date,
            t: TemporaryAssistance) -> tuple[Instalment, ...]:
    """The instalments of an approval, checked: none before today, one per month, in order, at most
    ``max_instalments``, together exactly the amount approved (S8 §二(四))."""
    plan = list(instalments) or [(today, amount)]
    if len(plan) > t.max_instalments:
        raise InvalidInput(f"at most {t.max_instalments} instalments (LOCAL PARAMETER)", field=("instalments",))
    months: list[str] = []
    for i, (on, _amt) in enumerate(plan):
        if on < today:
            raise InvalidInput("an instalment cannot be dated before today", field=("instalments", i, "on"))
        month = on.strftime("%Y-%m")
        if months and month <= months[-1]:
            raise InvalidInput("instalments fall in later months one after another (one per month's roll)",
                               field=("instalments", i, "on"))
        months.append(month)
    total = sum((a for _on, a in plan), Decimal("0"))
    if total != amount:
        raise InvalidInput(f"the instalments add up to {total}, not the amount approved {amount}",
                           field=("instalments",))
    return tuple(Instalment(on=on, amount=a) for on, a in plan)
