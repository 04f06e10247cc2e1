"""特困 eligibility per criterion (S3 Arts. 4-9; S4 Art. 14), the self-care tier (S3 Arts. 21-22) and the amount
(S4 Art. 15; S3 Arts. 19-20), each explained."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import commands as c
from domain.commands import AdlItem, DisabilityKind, SupporterInability
from domain.errors import InvalidInput
from domain.household import AreaType, Declaration, IncomeItem, IncomeKind, PropertyItem, PropertyKind
from domain.parameters import CareTier
from domain.programmes.tekun import rules
from tests.unit.domain.tekun_support import (
    CASEWORKER,
    PARAMS,
    TOWNSHIP_APPROVER,
    Driver,
    apply,
    born,
    params,
    supporter,
)


def _assess(app: c.SubmitApplication | None = None, facts: c.RecordEligibilityFacts | None = None,
            p=PARAMS, failed=(), form="dispersed"):
    d = Driver(p)
    d.investigated(app, facts)
    d.assessed(tuple(failed), form, "jinshan-home" if form == "centralised" else None)
    return rules.assessment(d.state, p)


def _criterion(assessment, code):
    return next(x for x in assessment.criteria if x.code == code)


# --- (1) no capacity to work: S3 Art. 5 ----------------------------------------------------------------


def test_s3_art_5_1_aged_60_or_over_has_no_capacity_to_work() -> None:
    a = _assess(apply(age=60))
    assert _criterion(a, "incapacity").passed and _criterion(a, "incapacity").result == "aged"
    assert a.eligible


def test_s3_art_5_an_adult_of_59_without_a_qualifying_disability_is_refused_explained() -> None:
    a = _assess(apply(age=59, days=-300))
    crit = _criterion(a, "incapacity")
    assert crit.passed is False and crit.result == "capable_of_work" and crit.inputs["age"] == "59"
    assert not a.eligible and crit.legal_basis[0] == "S3 Art. 5"


def test_s3_art_5_2_a_minor_under_16_and_the_limit_is_a_parameter_s5_item_5() -> None:
    assert _criterion(_assess(apply(age=15)), "incapacity").result == "minor"
    sixteen = apply(age=16)
    assert _criterion(_assess(sixteen), "incapacity").passed is False  # S3 Art. 5: 未满16周岁
    extended = _assess(sixteen, p=params(minor_age_limit=18))
    assert _criterion(extended, "incapacity").result == "minor"  # S5 item 5: to 18
    assert "S5 item 5" in _criterion(extended, "incapacity").legal_basis


@pytest.mark.parametrize(("kind", "grade", "ok"), [
    (DisabilityKind.INTELLECTUAL, 3, True), (DisabilityKind.INTELLECTUAL, 4, False),
    (DisabilityKind.MENTAL, 1, True), (DisabilityKind.MENTAL, 3, True), (DisabilityKind.MENTAL, 4, False),
    (DisabilityKind.PHYSICAL, 2, True), (DisabilityKind.PHYSICAL, 3, False),
    (DisabilityKind.VISUAL, 1, True), (DisabilityKind.VISUAL, 2, False),
    (DisabilityKind.HEARING, 1, False),
])
def test_s3_art_5_3_disability_grades(kind: DisabilityKind, grade: int, ok: bool) -> None:
    """S3 Art. 5(3): intellectual / mental 1-3, physical 1-2, visual 1."""
    a = _assess(apply(age=40), c.RecordEligibilityFacts(disability_kind=kind, disability_grade=grade))
    assert _criterion(a, "incapacity").passed is ok
    assert a.eligible is ok


# --- (2) no means of living: S3 Arts. 6-7 --------------------------------------------------------------


def test_s3_art_6_income_below_the_dibao_standard_with_the_excluded_kinds_not_counted() -> None:
    """The basic pension's base amount and 优抚 benefits are not counted (S3 Art. 6 para 2)."""
    decl = Declaration(income=[IncomeItem(kind=IncomeKind.BASIC_PENSION_BASE, amount=Decimal("1800")),
                               IncomeItem(kind=IncomeKind.PREFERENTIAL_BENEFIT, amount=Decimal("6000")),
                               IncomeItem(kind=IncomeKind.BUSINESS_NET, amount=Decimal("1200"))])
    a = _assess(apply(declaration=decl))
    income = _criterion(a, "means.income")
    assert income.inputs["counted_income"] == "1200.00" and income.inputs["monthly_income"] == "100.00"
    assert income.passed and a.eligible


def test_s3_art_6_income_at_the_dibao_standard_is_not_below_it() -> None:
    a = _assess(apply(monthly_income="375"))  # the rural standard in the book: 375
    assert _criterion(a, "means.income").passed is False and not a.eligible


def test_s3_art_7_property_outside_the_tekun_property_rule() -> None:
    decl = Declaration(property=[PropertyItem(kind=PropertyKind.VEHICLE, value=Decimal("30000"))])
    a = _assess(apply(declaration=decl))
    assert _criterion(a, "means.property").passed is False and not a.eligible
    assert "S3 Art. 7" in _criterion(a, "means.property").legal_basis


# --- (3) no able supporter: S3 Art. 8 ------------------------------------------------------------------

LOW = Decimal("12000.00")  # below last year's per-capita disposable income in the book (14500)
HIGH = Decimal("20000.00")


@pytest.mark.parametrize(("s", "unable", "why"), [
    (supporter(inability=SupporterInability.TEKUN), True, "themselves_tekun"),
    (supporter(inability=SupporterInability.DIBAO_AGED_60, dibao_recipient=True, resident_id=born(61, seq="201")),
     True, "dibao_aged_60"),
    (supporter(inability=SupporterInability.DIBAO_AGED_60, dibao_recipient=True, resident_id=born(59, seq="202")),
     False, "under_60"),
    (supporter(inability=SupporterInability.DIBAO_AGED_60, dibao_recipient=False, resident_id=born(65, seq="203")),
     False, "not_a_dibao_recipient"),
    (supporter(inability=SupporterInability.AGED_70_LOW_INCOME, resident_id=born(72, seq="204"), annual_income=LOW,
               property_within_low_income_rule=True), True, "aged_70_low_income"),
    (supporter(inability=SupporterInability.AGED_70_LOW_INCOME, resident_id=born(72, seq="205"), annual_income=HIGH,
               property_within_low_income_rule=True), False,
     "income_not_below_last_year_per_capita_disposable_income"),
    (supporter(inability=SupporterInability.AGED_70_LOW_INCOME, resident_id=born(69, seq="206"), annual_income=LOW,
               property_within_low_income_rule=True), False, "under_70"),
    (supporter(inability=SupporterInability.SEVERE_DISABILITY_LOW_INCOME, annual_income=LOW,
               property_within_low_income_rule=True), True, "severe_disability_low_income"),
    (supporter(inability=SupporterInability.SEVERE_DISABILITY_LOW_INCOME, annual_income=LOW,
               property_within_low_income_rule=False), False, "property_outside_low_income_rule"),
    (supporter(inability=SupporterInability.NO_CIVIL_CAPACITY, property_within_low_income_rule=True), True,
     "no_civil_capacity"),
    (supporter(inability=SupporterInability.MISSING, property_within_low_income_rule=True), True, "missing"),
    (supporter(inability=SupporterInability.IN_PRISON, property_within_low_income_rule=True), True, "in_prison"),
    (supporter(inability=SupporterInability.IN_PRISON, property_within_low_income_rule=False), False,
     "property_outside_low_income_rule"),
    (supporter(), False, "able_to_support"),
])
def test_s3_art_8_each_supporter_inability_ground(s: c.Supporter, unable: bool, why: str) -> None:
    a = _assess(facts=c.RecordEligibilityFacts(supporters=[s]))
    crit = _criterion(a, "supporter.0")
    assert (crit.passed, crit.result) == (unable, why)
    assert _criterion(a, "no_able_supporter").passed is unable
    assert a.eligible is unable


def test_s3_art_8_a_supporter_who_can_support_means_refusal_explained() -> None:
    """One unable supporter and one able child: the condition fails, and the criteria say which and why."""
    facts = c.RecordEligibilityFacts(supporters=[supporter("spouse", inability=SupporterInability.TEKUN),
                                                 supporter("child")])
    a = _assess(facts=facts)
    assert not a.eligible
    assert _criterion(a, "no_able_supporter").result == "a_supporter_can"
    assert _criterion(a, "supporter.1").inputs["relation"] == "child"
    d = Driver()
    d.investigated(facts=facts)
    d.assessed()
    d.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))
    with pytest.raises(InvalidInput):  # an 'eligible' opinion contradicts the assessment
        d.try_(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))


def test_s3_art_8_no_statutory_supporter_at_all() -> None:
    assert _criterion(_assess(), "no_able_supporter").result == "no_statutory_supporter"


def test_s3_art_10_every_supporter_signs_the_check_authorisation() -> None:
    d = Driver()
    d.investigated(facts=c.RecordEligibilityFacts())
    unsigned = c.Supporter(relation="child", inability=SupporterInability.TEKUN)
    with pytest.raises(InvalidInput) as err:
        d.try_(CASEWORKER, c.RecordEligibilityFacts(supporters=[unsigned]))
    assert err.value.field == ("supporters", 0, "signed_check_authorisation")


# --- S3 Art. 9: the orphan scheme ----------------------------------------------------------------------


def test_s3_art_9_a_minor_who_chose_the_orphan_scheme_is_not_recognised() -> None:
    a = _assess(apply(age=10), c.RecordEligibilityFacts(orphan_scheme_chosen=True))
    assert _criterion(a, "orphan_scheme").passed is False and not a.eligible
    assert _assess(apply(age=10)).eligible


# --- the self-care tier: S3 Arts. 21-22 ----------------------------------------------------------------

ITEMS = list(AdlItem)


@pytest.mark.parametrize(("failed", "tier"), [
    (0, CareTier.CAPABLE), (1, CareTier.PARTIAL), (3, CareTier.PARTIAL), (4, CareTier.COMPLETE),
    (6, CareTier.COMPLETE),
])
def test_s3_art_22_adl_boundaries_set_the_care_tier(failed: int, tier: CareTier) -> None:
    assert rules.care_tier(ITEMS[:failed]) is tier
    d = Driver()
    d.investigated()
    state = d.assessed(tuple(ITEMS[:failed]))
    assert state.care_tier is tier


# --- the amount: S4 Art. 15; S3 Arts. 19-20 -------------------------------------------------------------


@pytest.mark.parametrize(("form", "failed", "amount"), [
    ("dispersed", 0, Decimal("892.00")), ("dispersed", 2, Decimal("1132.00")), ("dispersed", 5, Decimal("1432.00")),
    ("centralised", 0, Decimal("932.00")), ("centralised", 4, Decimal("1632.00")),
])
def test_s4_art_15_amount_is_basic_living_plus_the_tiers_care_standard(form: str, failed: int,
                                                                       amount: Decimal) -> None:
    a = _assess(form=form, failed=ITEMS[:failed])
    assert a.monthly_amount == amount
    crit = _criterion(a, "amount")
    assert crit.parameters["basic_living_standard_monthly"] == "832.00"
    assert "UNCONFIRMED" in crit.parameters["status"] and a.parameter_set_version == PARAMS.version


def test_s4_art_15_amounts_to_the_fen_and_urban_treatment_s3_art_19() -> None:
    p = params(basic_living_standard_monthly={"urban": "1018.355", "rural": "832.00"},
               care_standard_monthly={"dispersed": {"capable": "60.125", "partial": "300.00", "complete": "600.00"},
                                      "centralised": {"capable": "100", "partial": "400", "complete": "800"}})
    a = _assess(apply(area=AreaType.URBAN), p=p)
    assert a.monthly_amount == Decimal("1018.36") + Decimal("60.13")  # each part rounded half up to the fen
    assert _criterion(a, "amount").inputs["area_type"] == "urban"


@pytest.mark.parametrize(("applied", "land", "relocated", "treated", "basic"), [
    (AreaType.URBAN, True, False, "rural", "832.00"),
    (AreaType.RURAL, None, True, "urban", "900.00"),
    (AreaType.RURAL, None, False, "rural", "832.00"),
])
def test_s3_art_19_urban_or_rural_treatment(applied: AreaType, land: bool | None, relocated: bool, treated: str,
                                            basic: str) -> None:
    """Contracted land or a share in collective income → rural treatment; poverty-alleviation relocation to a
    town → urban (S3 Art. 19); otherwise the area applied as."""
    p = params(basic_living_standard_monthly={"urban": "900.00", "rural": "832.00"})
    facts = c.RecordEligibilityFacts(contracted_land=land, relocated_to_town=relocated)
    a = _assess(apply(area=applied), facts, p=p)
    assert _criterion(a, "treatment").result == treated
    assert _criterion(a, "amount").parameters["basic_living_standard_monthly"] == basic
