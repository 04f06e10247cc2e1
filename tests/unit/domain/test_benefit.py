"""The assessment: countable income, per-capita income, property test, 补差 amount and near-dibao class.

Pure functions over the shipped 禄丰市 parameter book (2020 Yunnan rural floor S = 375.00/month, 20 %
employment-cost deduction, 24 months of S per capita in financial assets, no vehicle, one house), so the
numbers are those of SPEC §7.5 and §12.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import domain
from domain.benefit import Assessment, Criterion, assess
from domain.household import (
    AreaType,
    Declaration,
    IncomeItem,
    IncomeKind,
    Member,
    PropertyItem,
    PropertyKind,
    Relation,
)
from domain.parameters import ParameterBook, ResolvedParameters, resolve
from tests.builders import JINSHAN_VILLAGE, resident_id

BOOK = ParameterBook.model_validate(
    json.loads((Path(domain.__file__).parent / "data" / "parameters_532302.json").read_text(encoding="utf-8"))
)
PARAMS: ResolvedParameters = resolve(BOOK, JINSHAN_VILLAGE, date(2026, 11, 2))


def household(n: int) -> list[Member]:
    """A couple and their children (SPEC §7.5: 4 rural members)."""
    relations = [Relation.APPLICANT, Relation.SPOUSE] + [Relation.CHILD] * (n - 2)
    return [Member(name=f"成员{i}", resident_id=resident_id(birth="19800101" if i < 2 else "20120101",
                                                         seq=f"{100 + i:03d}"), relation=relations[i])
            for i in range(n)]


def income(*items: tuple[IncomeKind, str]) -> list[IncomeItem]:
    return [IncomeItem(kind=kind, amount=Decimal(amount)) for kind, amount in items]


def assess_rural(n: int, declaration: Declaration) -> Assessment:
    return assess(household(n), AreaType.RURAL, declaration, PARAMS)


def criterion(assessment: Assessment, code: str) -> Criterion:
    [found] = [c for c in assessment.criteria if c.code == code]
    return found


SECTION_7_5 = Declaration(income=income(
    (IncomeKind.WAGES, "9600"),  # casual wages, 20 % employment-cost deduction → 7,680
    (IncomeKind.BUSINESS_NET, "1800"),  # net farming income
    (IncomeKind.FAMILY_PLANNING_SUPPORT, "600"),  # 计划生育扶助金: excluded
    (IncomeKind.SOCIAL_ASSISTANCE, "1000"),  # 临时救助 received last year: excluded
))


def test_the_worked_example_of_section_7_5_pays_710_yuan_a_month() -> None:
    """SPEC §7.5 — S1 Art. 13 (exclusions, employment costs); S4 Art. 12 (补差): 4 rural members,
    countable 7,680 + 1,800 = 9,480 a year → 197.50 per capita a month → (375 − 197.50) × 4 = 710.00."""
    result = assess_rural(4, SECTION_7_5)

    assert result.standard_monthly == Decimal("375.00")
    assert result.countable_income == Decimal("9480.00")
    assert result.per_capita_monthly_income == Decimal("197.50")
    assert result.household_size == 4
    assert result.income_below_standard and result.property_compliant and result.eligible
    assert not result.near_dibao
    assert result.monthly_amount == Decimal("710.00")
    assert str(result.monthly_amount) == "710.00"  # exactly to the fen


def test_the_worked_example_explains_each_income_item() -> None:
    """SPEC §7.5 — S1 Art. 13; S5 item 11: wages counted net of the book's 20 % deduction, farming counted,
    family-planning support and government assistance excluded."""
    result = assess_rural(4, SECTION_7_5)

    wages = criterion(result, "income.wages")
    assert wages.result == "7680.00"
    assert wages.parameters == {"treatment": "counted", "employment_cost_deduction_rate": "0.20"}
    assert wages.legal_basis == ("S1 Art. 13", "S5 item 11")
    assert criterion(result, "income.business_net").result == "1800.00"
    for code in ("income.family_planning_support", "income.social_assistance"):
        excluded = criterion(result, code)
        assert (excluded.result, excluded.parameters["treatment"]) == ("0", "excluded")
    assert criterion(result, "income.countable_total").result == "9480.00"
    assert criterion(result, "income.per_capita_monthly").result == "197.50"
    assert criterion(result, "amount.gap_top_up").result == "710.00"


def test_scenario_1_three_members_at_200_a_month_get_525() -> None:
    """SPEC §12.1 — S4 Art. 12; S1 Art. 23: (375 − 200) × 3 = 525.00."""
    declaration = Declaration(income=income((IncomeKind.BUSINESS_NET, "7200")))  # 200 × 3 × 12

    result = assess_rural(3, declaration)

    assert result.per_capita_monthly_income == Decimal("200.00")
    assert result.eligible
    assert result.monthly_amount == Decimal("525.00")


def test_the_amount_is_rounded_once_on_the_final_amount() -> None:
    """SPEC §7.3 (rounding recorded): 7,000 / 3 / 12 = 194.444…; (375 − 194.444…) × 3 = 541.666… → 541.67,
    not (375 − 194.44) × 3 = 541.68 as rounding the per-capita income first would give."""
    result = assess_rural(3, Declaration(income=income((IncomeKind.BUSINESS_NET, "7000"))))

    assert result.per_capita_monthly_income == Decimal("194.44")
    assert result.monthly_amount == Decimal("541.67")
    assert "ROUND_HALF_UP" in result.rounding_rule


def test_transfers_paid_are_deducted_from_counted_income() -> None:
    """S1 Art. 13: net transfer income = transfers received − transfers paid."""
    declaration = Declaration(
        income=income((IncomeKind.BUSINESS_NET, "9600"), (IncomeKind.TRANSFER_PAID, "2400")))

    result = assess_rural(4, declaration)

    assert result.countable_income == Decimal("7200.00")
    assert result.per_capita_monthly_income == Decimal("150.00")


def test_income_at_the_standard_is_not_eligible() -> None:
    """S4 Art. 9: eligibility needs per-capita income *below* the standard."""
    result = assess_rural(2, Declaration(income=income((IncomeKind.BUSINESS_NET, "9000"))))  # 375 × 2 × 12

    assert result.per_capita_monthly_income == Decimal("375.00")
    assert not result.income_below_standard and not result.eligible
    assert result.monthly_amount == Decimal("0.00")


@pytest.mark.parametrize(
    ("deposit", "compliant"),
    [("36000.00", True), ("36000.04", False), ("150000.00", False)],
)
def test_financial_assets_above_24_months_of_the_standard_per_capita_fail(
    deposit: str, compliant: bool
) -> None:
    """S1 Art. 14 (limit a LOCAL PARAMETER): 4 members × 24 × 375 = 36,000 is the most a household of
    four may hold."""
    declaration = Declaration(income=SECTION_7_5.income,
                              property=[PropertyItem(kind=PropertyKind.DEPOSIT, value=Decimal(deposit))])

    result = assess_rural(4, declaration)

    rule = criterion(result, "property.financial_assets_per_capita")
    assert rule.passed is compliant
    assert rule.parameters == {"max_months_of_standard": "24", "cap_per_capita": "9000.00"}
    assert rule.legal_basis == ("S1 Art. 14",)
    assert result.property_compliant is compliant
    assert result.eligible is compliant
    assert result.monthly_amount == (Decimal("710.00") if compliant else Decimal("0.00"))


def test_securities_and_insurance_count_with_deposits() -> None:
    """S1 Art. 14: deposits, securities and commercial insurance are financial assets together."""
    declaration = Declaration(income=SECTION_7_5.income, property=[
        PropertyItem(kind=PropertyKind.DEPOSIT, value=Decimal("20000")),
        PropertyItem(kind=PropertyKind.SECURITIES, value=Decimal("10000")),
        PropertyItem(kind=PropertyKind.COMMERCIAL_INSURANCE, value=Decimal("6001")),
    ])

    assert not assess_rural(4, declaration).property_compliant


def test_an_exempt_vehicle_is_not_counted_but_an_ordinary_one_is() -> None:
    """S1 Art. 14; S2 Art. 17: a disability mobility vehicle is exempt; the book allows no other vehicle."""
    exempt = PropertyItem(kind=PropertyKind.VEHICLE, value=Decimal("8000"), exempt_reason="残疾人功能性补偿代步机动车辆")
    ordinary = PropertyItem(kind=PropertyKind.VEHICLE, value=Decimal("45000"))

    with_exempt = assess_rural(4, Declaration(income=SECTION_7_5.income, property=[exempt]))
    with_ordinary = assess_rural(4, Declaration(income=SECTION_7_5.income, property=[exempt, ordinary]))

    assert with_exempt.property_compliant and with_exempt.monthly_amount == Decimal("710.00")
    assert criterion(with_exempt, "property.vehicles").inputs == {"vehicles": "0"}
    assert criterion(with_exempt, "property.exemptions").result == "not counted"
    assert not with_ordinary.property_compliant
    assert criterion(with_ordinary, "property.vehicles").passed is False


def test_a_second_house_fails_the_property_test() -> None:
    """S1 Art. 14; SPEC §12.8: the book allows one house."""
    declaration = Declaration(income=SECTION_7_5.income,
                              property=[PropertyItem(kind=PropertyKind.HOUSE, count=2)])

    result = assess_rural(4, declaration)

    assert criterion(result, "property.houses").passed is False
    assert result.income_below_standard and not result.eligible


def test_after_the_job_420_a_month_is_near_dibao_below_562_50() -> None:
    """SPEC §7.5 edge-family check — S1 Art. 8; S6 §一(四): 420 > 375 ends eligibility, but 420 < 1.5 × 375
    = 562.50 makes the household a 低保边缘家庭 while its property complies."""
    after_job = Declaration(income=income((IncomeKind.WAGES, "25200")))  # × 0.8 = 20,160 = 420 × 4 × 12

    result = assess_rural(4, after_job)

    assert result.per_capita_monthly_income == Decimal("420.00")
    assert not result.eligible and result.monthly_amount == Decimal("0.00")
    assert result.near_dibao
    near = criterion(result, "classification.near_dibao")
    assert (near.result, near.passed) == ("near_dibao", True)
    assert near.parameters == {"near_dibao_multiple": "1.5", "threshold": "562.50"}


@pytest.mark.parametrize(
    ("declaration", "near"),
    [
        (Declaration(income=income((IncomeKind.BUSINESS_NET, "27000"))), False),  # exactly 562.50
        (Declaration(income=income((IncomeKind.WAGES, "25200")),
                     property=[PropertyItem(kind=PropertyKind.VEHICLE, value=Decimal("45000"))]), False),
        (SECTION_7_5, False),  # eligible households are not near-dibao
    ],
)
def test_near_dibao_needs_income_below_one_and_a_half_standards_and_compliant_property(
    declaration: Declaration, near: bool
) -> None:
    """S1 Art. 8: strictly below 1.5 × S, property complying, and not eligible for dibao itself."""
    assert assess_rural(4, declaration).near_dibao is near


@pytest.mark.parametrize("declaration", [SECTION_7_5, Declaration(
    income=income((IncomeKind.WAGES, "25200"), (IncomeKind.RIGID_EXPENDITURE, "100")),
    property=[PropertyItem(kind=PropertyKind.VEHICLE, value=Decimal("8000"), exempt_reason="残疾人代步车"),
              PropertyItem(kind=PropertyKind.HOUSE, count=2)])])
def test_every_criterion_carries_a_legal_basis_and_the_parameter_version_is_recorded(
    declaration: Declaration,
) -> None:
    """SPEC §0.1, §7: each step of the explanation names its article; the assessment names the book
    version it used."""
    result = assess_rural(4, declaration)

    assert result.criteria
    for step in result.criteria:
        assert step.legal_basis, step.code
        assert all(basis.startswith(("S1 ", "S4 ", "S5 ", "S6 ")) for basis in step.legal_basis), step.code
    assert result.parameter_set_version == PARAMS.version == "532302-yn-floor-2020"
    assert result.rounding_rule
