"""Household income, property test, per-capita income and the 补差 amount, each with its explanation.

Every computation returns the criteria it applied: inputs, the parameter value used, the result, pass/fail
and the article it comes from, so a decision can show (and an auditor re-check) how it was reached.
Amounts are kept exact internally and rounded once, to the fen, half up (SPEC §7.3: rounding UNCONFIRMED).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from domain.household import AreaType, Declaration, IncomeItem, IncomeKind, Member, PropertyItem, PropertyKind
from domain.parameters import ResolvedParameters, Treatment

FEN = Decimal("0.01")
ROUNDING_RULE = "ROUND_HALF_UP to 0.01 yuan, once, on the final amount"
_FINANCIAL = {PropertyKind.DEPOSIT, PropertyKind.SECURITIES, PropertyKind.COMMERCIAL_INSURANCE}


def fen(value: Decimal) -> Decimal:
    """Round to the fen, half up."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


class Criterion(BaseModel):
    """One step of an explanation."""

    model_config = ConfigDict(frozen=True)

    code: str
    inputs: dict[str, str] = {}
    parameters: dict[str, str] = {}
    result: str
    passed: bool | None = None
    legal_basis: tuple[str, ...] = ()


class Assessment(BaseModel):
    """The outcome of assessing a household against the parameters in force."""

    model_config = ConfigDict(frozen=True)

    parameter_set_version: str
    household_size: int
    countable_income: Decimal
    per_capita_monthly_income: Decimal
    standard_monthly: Decimal
    income_below_standard: bool
    property_compliant: bool
    eligible: bool
    near_dibao: bool
    monthly_amount: Decimal
    rounding_rule: str = ROUNDING_RULE
    criteria: tuple[Criterion, ...]


def _income_criteria(items: Sequence[IncomeItem], params: ResolvedParameters) -> tuple[Decimal, list[Criterion]]:
    treatment = params.values.income_treatment
    rate = params.values.employment_cost_deduction_rate
    counted = Decimal("0")
    deducted = Decimal("0")
    criteria: list[Criterion] = []
    for i, item in enumerate(items):
        how = treatment[item.kind]
        value = item.amount
        parameters = {"treatment": how.value}
        basis: tuple[str, ...] = ("S1 Art. 13",)
        if how is Treatment.COUNTED and item.kind is IncomeKind.WAGES and rate:
            value = item.amount * (1 - rate)
            parameters["employment_cost_deduction_rate"] = str(rate)
            basis = ("S1 Art. 13", "S5 item 11")
        if how is Treatment.COUNTED:
            counted += value
        elif how is Treatment.DEDUCTED:
            deducted += value
        criteria.append(
            Criterion(
                code=f"income.{item.kind.value}",
                inputs={"item": str(i), "amount": str(item.amount)},
                parameters=parameters,
                result=str(fen(value)) if how is not Treatment.EXCLUDED else "0",
                legal_basis=basis,
            )
        )
    countable = max(Decimal("0"), counted - deducted)
    criteria.append(
        Criterion(
            code="income.countable_total",
            inputs={"counted": str(fen(counted)), "deducted": str(fen(deducted))},
            result=str(fen(countable)),
            legal_basis=("S1 Art. 13",),
        )
    )
    return countable, criteria


def _property_criteria(items: Sequence[PropertyItem], n: int, params: ResolvedParameters,
                       standard: Decimal) -> tuple[bool, list[Criterion]]:
    limits = params.values.property_limits
    live = [p for p in items if not p.exempt_reason]
    financial = sum((p.value for p in live if p.kind in _FINANCIAL), Decimal("0"))
    per_capita_cap = standard * limits.financial_assets_per_capita_max_months
    counts = {k: sum(p.count for p in live if p.kind is k) for k in PropertyKind}
    rules = [
        ("property.financial_assets_per_capita", {"financial_assets": str(fen(financial)), "members": str(n)},
         {"max_months_of_standard": str(limits.financial_assets_per_capita_max_months),
          "cap_per_capita": str(fen(per_capita_cap))}, fen(financial / n), financial / n <= per_capita_cap),
        ("property.vehicles", {"vehicles": str(counts[PropertyKind.VEHICLE])},
         {"vehicles_max": str(limits.vehicles_max)}, counts[PropertyKind.VEHICLE],
         counts[PropertyKind.VEHICLE] <= limits.vehicles_max),
        ("property.houses", {"houses": str(counts[PropertyKind.HOUSE])}, {"houses_max": str(limits.houses_max)},
         counts[PropertyKind.HOUSE], counts[PropertyKind.HOUSE] <= limits.houses_max),
        ("property.businesses", {"businesses": str(counts[PropertyKind.BUSINESS])},
         {"businesses_max": str(limits.businesses_max)}, counts[PropertyKind.BUSINESS],
         counts[PropertyKind.BUSINESS] <= limits.businesses_max),
    ]
    criteria = [
        Criterion(code=code, inputs=inputs, parameters=parameters, result=str(result), passed=ok,
                  legal_basis=("S1 Art. 14",))
        for code, inputs, parameters, result, ok in rules
    ]
    exempt = [p for p in items if p.exempt_reason]
    if exempt:
        criteria.append(
            Criterion(code="property.exemptions", inputs={"exempt_items": str(len(exempt))},
                      result="not counted", legal_basis=("S1 Art. 14",))
        )
    return all(c.passed for c in criteria if c.passed is not None), criteria


def assess(members: Sequence[Member], area_type: AreaType, declaration: Declaration,
           params: ResolvedParameters) -> Assessment:
    """Assess a household: countable income, per-capita monthly income, property test, eligibility,
    near-dibao classification and the monthly 补差 amount.

    ``monthly_amount = max(0, S − I) × N`` [S4 Art. 12; S1 Art. 23], where S is the monthly standard for the
    household's area type and I the per-capita monthly countable income over the reference period.
    Eligible when I < S and property complies [S4 Art. 9; S1 Arts. 12-14]; near-dibao (低保边缘) when not
    eligible, I < multiple × S and property complies [S1 Art. 8; S6 §一(四)].

    Args:
        members: the household members counted (N = len(members)).
        area_type: urban or rural, selecting the standard.
        declaration: income items (totals over the reference period) and property.
        params: the parameters in force.

    Returns:
        The assessment with its criteria.
    """
    n = len(members)
    months = params.values.reference_period_months
    standard = params.standard(area_type)
    countable, criteria = _income_criteria(declaration.income, params)
    per_capita = countable / n / months
    below = per_capita < standard
    criteria.append(
        Criterion(
            code="income.per_capita_monthly",
            inputs={"countable_income": str(fen(countable)), "members": str(n)},
            parameters={"reference_period_months": str(months), "standard_monthly": str(standard),
                        "area_type": area_type.value},
            result=str(fen(per_capita)),
            passed=below,
            legal_basis=("S1 Art. 13", "S4 Art. 9"),
        )
    )
    property_ok, property_criteria = _property_criteria(declaration.property, n, params, standard)
    criteria += property_criteria
    eligible = below and property_ok
    amount = fen(max(Decimal("0"), standard - per_capita) * n) if eligible else Decimal("0.00")
    criteria.append(
        Criterion(
            code="amount.gap_top_up",
            inputs={"standard_monthly": str(standard), "per_capita_monthly_income": str(fen(per_capita)),
                    "members": str(n)},
            parameters={"rounding": ROUNDING_RULE},
            result=str(amount),
            passed=eligible,
            legal_basis=("S4 Art. 12", "S1 Art. 23"),
        )
    )
    multiple = params.values.near_dibao_multiple
    near = (not eligible) and property_ok and per_capita < multiple * standard
    criteria.append(
        Criterion(
            code="classification.near_dibao",
            inputs={"per_capita_monthly_income": str(fen(per_capita))},
            parameters={"near_dibao_multiple": str(multiple), "threshold": str(fen(multiple * standard))},
            result="near_dibao" if near else ("eligible" if eligible else "neither"),
            passed=near,
            legal_basis=("S1 Art. 8", "S6 §一(四)"),
        )
    )
    return Assessment(
        parameter_set_version=params.version,
        household_size=n,
        countable_income=fen(countable),
        per_capita_monthly_income=fen(per_capita),
        standard_monthly=standard,
        income_below_standard=below,
        property_compliant=property_ok,
        eligible=eligible,
        near_dibao=near,
        monthly_amount=amount,
        criteria=tuple(criteria),
    )
