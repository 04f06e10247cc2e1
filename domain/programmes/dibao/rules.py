"""Dibao's rules that several of its steps share: the assessment (with the information check's corrections),
the payable amount, the review schedule, who confirms (S1 Art. 2: the county, or the township where devolved),
and the members' ID checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from domain import events as e
from domain.actors import Role
from domain.benefit import Assessment, assess, fen
from domain.errors import InvalidInput, InvalidTransition
from domain.household import Declaration, IncomeItem, LabourCapacity, Member, PropertyItem, Relation
from domain.identity import parse_resident_id
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import COUNTY_APPROVER, COUNTY_REVIEWER, TOWNSHIP_APPROVER, need_params
from domain.months import add_months
from domain.parameters import ResolvedParameters
from domain.procedure.records import ReviewClass
from domain.programmes.dibao.state import DibaoState
from domain.verification import InfoCheckReport


def devolved(ctx: DecisionContext) -> bool:
    return ctx.params is not None and ctx.params.values.confirmation_devolved_to_township


def confirming_roles(ctx: DecisionContext) -> tuple[frozenset[Role], frozenset[Role]]:
    """(reviewer roles, approver roles) for 审核确认: the county, or the township where devolved (S1 Art. 2)."""
    if devolved(ctx):
        return TOWNSHIP_APPROVER, TOWNSHIP_APPROVER
    return COUNTY_REVIEWER, COUNTY_APPROVER


def assessed_declaration(declared: Declaration, report: InfoCheckReport | None) -> Declaration:
    """The declaration corrected by the information check: per kind, the larger of declared and found.

    S1 Art. 17-18: the check's findings prevail unless the applicant's objection succeeds; we take the
    higher of the two so that neither an under-declaration nor a stale record lowers the assessed income.
    """
    if report is None:
        return declared
    income: dict[Any, Decimal] = {}
    for item in declared.income:
        income[item.kind] = income.get(item.kind, Decimal("0")) + item.amount
    found_income: dict[Any, Decimal] = {}
    for item in report.found_income:
        found_income[item.kind] = found_income.get(item.kind, Decimal("0")) + item.amount
    merged_income = [
        IncomeItem(kind=k, amount=max(income.get(k, Decimal("0")), found_income.get(k, Decimal("0"))))
        for k in sorted(set(income) | set(found_income))
    ]
    prop = list(declared.property)
    declared_kinds = {p.kind for p in declared.property}
    for kind in sorted({p.kind for p in report.found_property}):
        found = [p for p in report.found_property if p.kind == kind]
        value = sum((p.value for p in found), Decimal("0"))
        count = sum(p.count for p in found)
        if kind not in declared_kinds:
            prop.append(PropertyItem(kind=kind, value=value, count=count))
            continue
        mine = [p for p in prop if p.kind == kind and not p.exempt_reason]
        d_value = sum((p.value for p in mine), Decimal("0"))
        d_count = sum(p.count for p in mine)
        if value > d_value or count > d_count:
            prop = [p for p in prop if not (p.kind == kind and not p.exempt_reason)]
            prop.append(PropertyItem(kind=kind, value=max(value, d_value), count=max(count, d_count)))
    return Declaration(income=merged_income, property=prop)


def assessment_for(state: DibaoState, params: ResolvedParameters) -> Assessment:
    """Assess the household with the declaration as corrected by the information check."""
    return assess(state.members, state.area_type, assessed_declaration(state.declaration, state.info_check), params)


def validated_members(members: Iterable[Member], ctx: DecisionContext) -> tuple[Member, ...]:
    out = validated_ids(members, ctx, "members")
    applicants = [i for i, m in enumerate(out) if m.relation == Relation.APPLICANT]
    if len(applicants) != 1:
        raise InvalidInput(
            f"exactly one member must have relation 'applicant' (S1 Art. 4), found {len(applicants)}",
            field=("members",),
        )
    return out


def validated_ids(members: Iterable[Member], ctx: DecisionContext, field_name: str) -> tuple[Member, ...]:
    """Members with checked, normalised resident ID numbers (GB 11643), none twice, none born in the future."""
    today = ctx.today
    seen: set[str] = set()
    out: list[Member] = []
    for i, member in enumerate(members):
        fld = (field_name, i, "resident_id")
        try:
            rid = parse_resident_id(member.resident_id)
        except InvalidInput as err:
            raise InvalidInput(err.message, field=fld) from None
        if rid.birth_date > today:
            raise InvalidInput("birth date (positions 7-14) lies in the future", field=fld)
        if rid.value in seen:
            raise InvalidInput("the same resident ID number appears twice in the household", field=fld)
        seen.add(rid.value)
        out.append(member.model_copy(update={"resident_id": rid.value}))
    return tuple(out)


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def review_class_for(state: DibaoState, params: ResolvedParameters, today: date) -> tuple[ReviewClass, int]:
    """Annual for a household whose situation is stable; every six months when a counted member is able to
    work and of working age, or an income item is irregular (S1 Art. 31; S5 item 7). Both intervals and the
    working age are parameters (the 2012 profile's shorter cycles are a parameter version too)."""
    dm = params.values.dynamic
    counted = state.counted_members
    able = False
    for i in counted:
        member = state.members[i]
        if member.labour_capacity is not LabourCapacity.FULL:
            continue
        age = _age_on(parse_resident_id(member.resident_id).birth_date, today)
        able = able or dm.working_age_min <= age <= dm.working_age_max
    irregular = any(
        item.irregular for item in state.declaration.income if item.member_index is None or item.member_index in counted
    )
    if able or irregular:
        return ReviewClass.SEMI_ANNUAL, dm.review_months_irregular
    return ReviewClass.ANNUAL, dm.review_months_stable


def review_schedule(state: DibaoState, ctx: DecisionContext) -> Draft:
    """The next periodic review, counted from today's decision (SPEC §8.1)."""
    params = need_params(ctx)
    klass, months = review_class_for(state, params, ctx.today)
    return draft(
        e.ReviewScheduled,
        "S1 Art. 31",
        "S5 item 7",
        review_class=klass,
        interval_months=months,
        due=add_months(ctx.today, months),
    )


def household_assessment(state: DibaoState, params: ResolvedParameters) -> Assessment:
    """Assess the members who still count, with the declaration as corrected by the last information check;
    income of members who left (a deceased member's pension, say) no longer counts (S1 Arts. 7, 13).

    Raises:
        InvalidTransition: no member counts any more (nothing to assess; a stop is for the review to decide).
    """
    counted = set(state.counted_members)
    if not counted:
        raise InvalidTransition("no member counts in the household any more")
    members = [state.members[i] for i in sorted(counted)]
    declared = Declaration(
        income=[i for i in state.declaration.income if i.member_index is None or i.member_index in counted],
        property=state.declaration.property,
    )
    report = state.info_check
    if report is not None:
        report = report.model_copy(
            update={
                "found_income": [i for i in report.found_income if i.member_index is None or i.member_index in counted]
            }
        )
    return assess(members, state.area_type, assessed_declaration(declared, report), params)


def payable_amount(state: DibaoState, assessment: Assessment, params: ResolvedParameters) -> Decimal:
    """The 补差 amount less the shares cut for job refusals (S1 Art. 34): only those members' shares."""
    n = assessment.household_size
    cut_members = [i for i in state.share_cuts if i in state.counted_members]
    if not cut_members or n == 0:
        return assessment.monthly_amount
    share = assessment.monthly_amount / n * params.values.dynamic.job_refusal_share_cut
    return max(Decimal("0.00"), fen(assessment.monthly_amount - share * len(cut_members)))
