"""特困's rules, pure and explained per criterion: the three conditions of S3 Art. 4 (no capacity to work, Art. 5;
no means of living, Arts. 6-7; no able supporter, Art. 8) and the orphan-scheme exclusion (Art. 9); the
self-care tier (Arts. 20-22); the amount (basic-living standard + the tier's care standard for the support form,
S4 Art. 15; S3 Art. 19); the county's reproducible random check (Art. 16); ages from the resident ID number.

Every criterion carries its inputs, the parameter values used, the result and its article, like dibao's
assessment, so a decision shows how it was reached.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.actors import Role
from domain.benefit import Assessment, Criterion, fen
from domain.commands import AdlItem, DisabilityKind, Supporter, SupporterInability
from domain.errors import DomainError, InvalidInput
from domain.household import Declaration, IncomeItem, IncomeKind, Member, PropertyItem, PropertyKind, Relation
from domain.identity import parse_resident_id
from domain.kernel.clock import local_date
from domain.kernel.context import DecisionContext
from domain.kernel.guards import COUNTY_APPROVER, COUNTY_REVIEWER, TOWNSHIP_APPROVER
from domain.parameters import CareTier, ResolvedParameters, SupportForm, TekunParameters
from domain.verification import InfoCheckReport

ROUNDING = "ROUND_HALF_UP to 0.01 yuan, once, on each part"


def tekun_params(params: ResolvedParameters) -> TekunParameters:
    """The 特困 section of the parameters in force (a book without it cannot decide a 特困 case)."""
    if params.values.tekun is None:
        raise DomainError(f"parameter version {params.version} has no 特困 (tekun) section")
    return params.values.tekun


def devolved(ctx: DecisionContext) -> bool:
    """Confirmation devolved to the township (S3 Art. 28)."""
    return ctx.params is not None and ctx.params.values.tekun is not None and (
        ctx.params.values.tekun.confirmation_devolved_to_township)


def confirming_roles(ctx: DecisionContext) -> tuple[frozenset[Role], frozenset[Role]]:
    """(reviewer roles, approver roles): the county (S3 Art. 16), or the township where devolved (S3 Art. 28)."""
    if devolved(ctx):
        return TOWNSHIP_APPROVER, TOWNSHIP_APPROVER
    return COUNTY_REVIEWER, COUNTY_APPROVER


# --- ages ---------------------------------------------------------------------------------------------------


def age_on(resident_id: str, day: date) -> int:
    """Full years of age on ``day``, from the birth date in the resident ID number (GB 11643)."""
    birth = parse_resident_id(resident_id).birth_date
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def birthday(resident_id: str, years: int) -> date:
    """The day the person turns ``years`` (29 February births: 1 March in a common year)."""
    birth = parse_resident_id(resident_id).birth_date
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return date(birth.year + years, 3, 1)


# --- (1) no capacity to work, S3 Art. 5 ---------------------------------------------------------------------

#: S3 Art. 5(3): the grades of each disability kind that mean no capacity to work (1 is the most severe).
INCAPACITY_GRADES: dict[DisabilityKind, int] = {
    DisabilityKind.INTELLECTUAL: 3,
    DisabilityKind.MENTAL: 3,
    DisabilityKind.PHYSICAL: 2,
    DisabilityKind.VISUAL: 1,
}


def incapacity(person: Member, kind: DisabilityKind | None, grade: int | None, today: date,
               p: TekunParameters) -> Criterion:
    """无劳动能力 (S3 Art. 5): aged ≥ 60, under the minor age limit (16 by S3 Art. 5, a parameter: 18 by S5 item
    5), or an intellectual / mental disability of grade 1-3, physical grade 1-2, visual grade 1."""
    age = age_on(person.resident_id, today)
    grounds: list[str] = []
    if age >= p.incapacity_age:
        grounds.append("aged")
    if age < p.minor_age_limit:
        grounds.append("minor")
    if kind is not None and grade is not None and grade <= INCAPACITY_GRADES.get(kind, 0):
        grounds.append(f"disability_{kind.value}_grade_{grade}")
    return Criterion(
        code="incapacity",
        inputs={"age": str(age), "disability_kind": kind.value if kind else "none",
                "disability_grade": str(grade) if grade else "none"},
        parameters={"incapacity_age": str(p.incapacity_age), "minor_age_limit": str(p.minor_age_limit),
                    "disability_grades": "intellectual/mental 1-3, physical 1-2, visual 1"},
        result=",".join(grounds) if grounds else "capable_of_work",
        passed=bool(grounds),
        legal_basis=("S3 Art. 5", "S4 Art. 14") + (("S5 item 5",) if p.minor_age_limit > 16 else ()),
    )


# --- (2) no means of living, S3 Arts. 6-7 -------------------------------------------------------------------


def checked_declaration(declared: Declaration, report: InfoCheckReport | None) -> Declaration:
    """The declaration as the information check corrects it: per income kind the larger of declared and found;
    property found and not declared is added (S3 Art. 13: 信息核对)."""
    if report is None:
        return declared
    income: dict[IncomeKind, Decimal] = {}
    for item in declared.income:
        income[item.kind] = income.get(item.kind, Decimal("0")) + item.amount
    found: dict[IncomeKind, Decimal] = {}
    for item in report.found_income:
        found[item.kind] = found.get(item.kind, Decimal("0")) + item.amount
    merged = [IncomeItem(kind=k, amount=max(income.get(k, Decimal("0")), found.get(k, Decimal("0"))))
              for k in sorted(set(income) | set(found))]
    declared_kinds = {p.kind for p in declared.property}
    prop = list(declared.property) + [p for p in report.found_property if p.kind not in declared_kinds]
    return Declaration(income=merged, property=prop)


def means_of_living(declaration: Declaration, standard: Decimal, months: int,
                    p: TekunParameters) -> tuple[list[Criterion], Decimal, Decimal, bool, bool]:
    """无生活来源 (S3 Art. 6): monthly income below the local dibao standard — the basic pension's base amount,
    social insurance, 优抚 benefits and 高龄津贴 not counted — and property within the 特困 property rule (S3 Art.
    7; the prefecture's rule, a parameter). Returns (criteria, annual counted income, monthly income, income
    below, property within)."""
    counted = Decimal("0")
    excluded = Decimal("0")
    for item in declaration.income:
        if item.kind.value in p.income_excluded:
            excluded += item.amount
        elif item.kind in (IncomeKind.TRANSFER_PAID,):
            counted -= item.amount  # 转移净收入: transfers paid come off
        elif item.kind is not IncomeKind.RIGID_EXPENDITURE:
            counted += item.amount
    counted = max(counted, Decimal("0"))
    monthly = fen(counted / months)
    below = monthly < standard
    income = Criterion(
        code="means.income",
        inputs={"counted_income": str(fen(counted)), "excluded_income": str(fen(excluded)),
                "monthly_income": str(monthly)},
        parameters={"dibao_standard_monthly": str(standard), "reference_period_months": str(months),
                    "not_counted": ",".join(p.income_excluded)},
        result="below_standard" if below else "not_below_standard",
        passed=below,
        legal_basis=("S3 Art. 6",),
    )
    prop, within = _property(declaration.property, standard, p)
    return [income, prop], counted, monthly, below, within


def _property(items: Sequence[PropertyItem], standard: Decimal, p: TekunParameters) -> tuple[Criterion, bool]:
    counted = [i for i in items if not i.exempt_reason]
    financial = sum((i.value for i in counted if i.kind in {PropertyKind.DEPOSIT, PropertyKind.SECURITIES,
                                                              PropertyKind.COMMERCIAL_INSURANCE}), Decimal("0"))
    limit = standard * p.financial_assets_max_months
    vehicles = sum(i.count for i in counted if i.kind is PropertyKind.VEHICLE)
    houses = sum(i.count for i in counted if i.kind is PropertyKind.HOUSE)
    businesses = sum(i.count for i in counted if i.kind is PropertyKind.BUSINESS)
    within = (financial <= limit and vehicles <= p.vehicles_max and houses <= p.houses_max
              and businesses <= p.businesses_max)
    return Criterion(
        code="means.property",
        inputs={"financial_assets": str(fen(financial)), "vehicles": str(vehicles), "houses": str(houses),
                "businesses": str(businesses)},
        parameters={"financial_assets_max": str(fen(limit)), "vehicles_max": str(p.vehicles_max),
                    "houses_max": str(p.houses_max), "businesses_max": str(p.businesses_max),
                    "rule": "UNCONFIRMED"},
        result="within_rule" if within else "outside_rule",
        passed=within,
        legal_basis=("S3 Art. 6", "S3 Art. 7"),
    ), within


# --- (3) no able supporter, S3 Art. 8 -----------------------------------------------------------------------


def supporter_unable(s: Supporter, today: date, p: TekunParameters) -> tuple[bool, str]:
    """Whether a statutory supporter counts as unable to support (S3 Art. 8), and why (or why not)."""
    if s.inability is None:
        return False, "able_to_support"
    age = age_on(s.resident_id, today) if s.resident_id else None
    low_income = s.annual_income is not None and s.annual_income < p.per_capita_disposable_income_last_year
    match s.inability:
        case SupporterInability.TEKUN:
            return True, "themselves_tekun"  # Art. 8(1)
        case SupporterInability.DIBAO_AGED_60:
            if not s.dibao_recipient:
                return False, "not_a_dibao_recipient"
            if age is None or age < 60:
                return False, "under_60"
            return True, "dibao_aged_60"  # Art. 8(2)
        case SupporterInability.AGED_70_LOW_INCOME:
            if age is None or age < 70:
                return False, "under_70"
            if not low_income:
                return False, "income_not_below_last_year_per_capita_disposable_income"
            if s.property_within_low_income_rule is not True:
                return False, "property_outside_low_income_rule"
            return True, "aged_70_low_income"  # Art. 8(3)
        case SupporterInability.SEVERE_DISABILITY_LOW_INCOME:
            if not low_income:
                return False, "income_not_below_last_year_per_capita_disposable_income"
            if s.property_within_low_income_rule is not True:
                return False, "property_outside_low_income_rule"
            return True, "severe_disability_low_income"  # Art. 8(4)
        case SupporterInability.NO_CIVIL_CAPACITY | SupporterInability.MISSING | SupporterInability.IN_PRISON:
            if s.property_within_low_income_rule is not True:
                return False, "property_outside_low_income_rule"
            return True, s.inability.value  # Art. 8(5)
    return False, "unknown_ground"  # pragma: no cover


def no_able_supporter(supporters: Sequence[Supporter], today: date, p: TekunParameters) -> list[Criterion]:
    """无法定义务人或者义务人无履行义务能力 (S3 Art. 8): one criterion per supporter, and the condition itself."""
    out: list[Criterion] = []
    all_unable = True
    for i, s in enumerate(supporters):
        unable, why = supporter_unable(s, today, p)
        all_unable = all_unable and unable
        out.append(Criterion(
            code=f"supporter.{i}",
            inputs={"relation": s.relation, "ground": s.inability.value if s.inability else "none",
                    "age": str(age_on(s.resident_id, today)) if s.resident_id else "unknown",
                    "annual_income": str(s.annual_income) if s.annual_income is not None else "unknown",
                    "property_within_low_income_rule": str(s.property_within_low_income_rule).lower()},
            parameters={"per_capita_disposable_income_last_year": str(p.per_capita_disposable_income_last_year)},
            result=why,
            passed=unable,
            legal_basis=("S3 Art. 8",),
        ))
    out.append(Criterion(
        code="no_able_supporter",
        inputs={"supporters": str(len(supporters))},
        result="no_statutory_supporter" if not supporters else ("all_unable" if all_unable else "a_supporter_can"),
        passed=all_unable,
        legal_basis=("S3 Art. 4(3)", "S3 Art. 8"),
    ))
    return out


# --- the self-care tier (S3 Arts. 21-22) and the amount (S4 Art. 15; S3 Arts. 19, 20) ------------------------


def care_tier(failed: Iterable[AdlItem]) -> CareTier:
    """S3 Art. 22: all six items achieved → capable; 1-3 not achieved → partially lost; ≥ 4 → completely lost."""
    n = len(set(failed))
    if n == 0:
        return CareTier.CAPABLE
    return CareTier.PARTIAL if n <= 3 else CareTier.COMPLETE


def amount_parts(state: Any, p: TekunParameters, tier: CareTier | None = None,
                 form: SupportForm | None = None) -> tuple[Decimal, Decimal] | None:
    """(basic-living part, care part) per month for the case's area, support form and care tier, to the fen;
    None while the tier or the form is not on record."""
    tier = tier or state.care_tier
    form = form or state.support_form
    if tier is None or form is None:
        return None
    return fen(p.basic_living_standard_monthly[state.treatment_area]), fen(p.care_standard_monthly[form][tier])


def assessment(state: Any, params: ResolvedParameters) -> Assessment:
    """The 特困 assessment of the applicant (S3 Arts. 4-9), each criterion explained, with the amount (S4 Art. 15)
    once the self-care tier and the support form are on record. Ages count on the day of the case's last
    recorded event (the decision's own time is the next one's: deterministic on replay)."""
    p = tekun_params(params)
    today = local_date(state.updated_at)
    person = state.members[0]
    area = state.treatment_area
    standard = params.standard(area)
    months = params.values.reference_period_months
    criteria: list[Criterion] = [
        Criterion(code="treatment", inputs={"applied_as": state.area_type.value,
                                            "contracted_land": str(state.contracted_land).lower(),
                                            "relocated_to_town": str(state.relocated_to_town).lower()},
                  result=area.value, legal_basis=("S3 Art. 19",)),
        incapacity(person, state.disability_kind, state.disability_grade, today, p),
    ]
    means, counted, monthly, below, within = means_of_living(
        checked_declaration(state.declaration, state.info_check), standard, months, p)
    criteria += means
    criteria += no_able_supporter(state.supporters, today, p)
    minor = age_on(person.resident_id, today) < p.benefit_continuation_age
    orphan = minor and state.orphan_scheme_chosen
    criteria.append(Criterion(
        code="orphan_scheme",
        inputs={"minor": str(minor).lower(), "orphan_scheme_chosen": str(state.orphan_scheme_chosen).lower()},
        parameters={"benefit_continuation_age": str(p.benefit_continuation_age)},
        result="chose_orphan_scheme" if orphan else "not_applicable",
        passed=not orphan,
        legal_basis=("S3 Art. 9",),
    ))
    criteria.append(Criterion(
        code="facts_on_record",
        inputs={"investigation_facts": str(state.facts_recorded).lower()},
        result="recorded" if state.facts_recorded else "missing",
        passed=state.facts_recorded,
        legal_basis=("S3 Art. 13",),
    ))
    eligible = all(c.passed for c in criteria if c.passed is not None and not c.code.startswith("supporter."))
    parts = amount_parts(state, p)
    amount = Decimal("0.00")
    if parts is not None:
        basic, care = parts
        amount = basic + care if eligible else Decimal("0.00")
        criteria.append(Criterion(
            code="amount",
            inputs={"area_type": area.value, "support_form": state.support_form.value,
                    "care_tier": state.care_tier.value},
            parameters={"basic_living_standard_monthly": str(basic), "care_standard_monthly": str(care),
                        "status": "LOCAL, UNCONFIRMED"},
            result=str(amount),
            legal_basis=("S4 Art. 15", "S3 Art. 19", "S3 Art. 20"),
        ))
    return Assessment(
        parameter_set_version=params.version,
        household_size=1,
        countable_income=fen(counted),
        per_capita_monthly_income=monthly,
        standard_monthly=standard,
        income_below_standard=below,
        property_compliant=within,
        eligible=eligible,
        near_dibao=False,
        monthly_amount=amount,
        rounding_rule=ROUNDING,
        criteria=tuple(criteria),
    )


# --- the county's random check, S3 Art. 16 -----------------------------------------------------------------


def county_check_draw(batch: Iterable[UUID], seed: str, rate: Decimal) -> tuple[UUID, ...]:
    """The cases drawn for the county's check: ⌈rate × n⌉ of the batch (at least one; ``rate`` ≥ 30 %, S3 Art.
    16). Each case is ranked by SHA-256 of ``seed:case_id`` and the lowest ranks are drawn, so anyone with the
    seed and the batch recomputes the same list (no PRNG state, no order dependence). Returned in id order."""
    ordered = sorted(set(batch), key=str)
    if not ordered:
        return ()
    k = max(1, math.ceil(Decimal(len(ordered)) * rate))
    ranked = sorted(ordered, key=lambda case_id: hashlib.sha256(f"{seed}:{case_id}".encode()).hexdigest())
    return tuple(sorted(ranked[:k], key=str))


# --- the applicant ---------------------------------------------------------------------------------------------


def validated_members(members: Iterable[Member], ctx: DecisionContext) -> tuple[Member, ...]:
    """特困 is applied for by one person (S3 Art. 10): exactly one member, the applicant, with a valid ID number;
    the statutory supporters are recorded by the investigation (S3 Art. 13), not as household members."""
    out = list(members)
    if len(out) != 1 or out[0].relation is not Relation.APPLICANT:
        raise InvalidInput("a 特困 application names exactly one person, the applicant (S3 Art. 10)",
                           field=("members",))
    try:
        rid = parse_resident_id(out[0].resident_id)
    except InvalidInput as err:
        raise InvalidInput(err.message, field=("members", 0, "resident_id")) from None
    if rid.birth_date > ctx.today:
        raise InvalidInput("birth date (positions 7-14) lies in the future", field=("members", 0, "resident_id"))
    return (out[0].model_copy(update={"resident_id": rid.value}),)
