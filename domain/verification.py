"""Information check (信息核对): the household's declaration compared with departmental records.

The county's checking unit (``COUNTY_VERIFICATION_CENTER``) looks up each member's hukou, income, vehicles,
real estate, deposits and other financial assets, business registrations and social insurance in the data
the departments share with it, and reports where the declaration and the records disagree (S1 Art. 17;
SPEC §2, §3.3 row 7). A negative result is notified to the applicant, who may object with evidence
(S1 Art. 18; SPEC §3.3 rows 8-9), so the report says *what* disagrees and *which extracts* it came from; it
never decides eligibility. That is for the benefit rules (SPEC §7.1, §7.2) and the people who apply them.

Everything here is pure: the records are fetched by an activity and passed in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.household import Declaration, IncomeItem, IncomeKind, Member, PropertyItem, PropertyKind

HUKOU_KIND = "hukou"
"""The ``kind`` of a hukou (户籍) record; its ``detail`` holds the registered division code."""


class RecordSource(StrEnum):
    """The department (or group of departments) an extract comes from (S1 Art. 17; SPEC §2)."""

    HUKOU = "hukou"  # 公安: household registration
    INCOME = "income"  # 税务 and other income data: wages, business, property income, transfers
    VEHICLE = "vehicle"  # 公安交管: motor vehicles (and vessels)
    REAL_ESTATE = "real_estate"  # 不动产登记: houses
    DEPOSIT = "deposit"  # banks, securities firms, insurers: deposits, securities, funds, insurance
    BUSINESS = "business"  # 市场监管: business registrations
    SOCIAL_INSURANCE = "social_insurance"  # 人社: pensions, unemployment benefit, contributions paid


_PROPERTY_SOURCE_KINDS: dict[RecordSource, frozenset[str]] = {
    RecordSource.VEHICLE: frozenset({PropertyKind.VEHICLE.value}),
    RecordSource.REAL_ESTATE: frozenset({PropertyKind.HOUSE.value}),
    RecordSource.DEPOSIT: frozenset(
        {PropertyKind.DEPOSIT.value, PropertyKind.SECURITIES.value, PropertyKind.COMMERCIAL_INSURANCE.value}
    ),
    RecordSource.BUSINESS: frozenset({PropertyKind.BUSINESS.value}),
}
_INCOME_SOURCE_KINDS: dict[RecordSource, frozenset[str]] = {
    RecordSource.INCOME: frozenset(k.value for k in IncomeKind),
    RecordSource.SOCIAL_INSURANCE: frozenset(
        {
            IncomeKind.TRANSFER_RECEIVED.value,  # pensions, unemployment benefit
            IncomeKind.TRANSFER_PAID.value,  # contributions paid
            IncomeKind.BASIC_PENSION_BASE.value,  # 城乡居民基础养老金, base part
        }
    ),
}

#: Income kinds subtracted from household income (S1 Art. 13): finding more of them than was declared is
#: reported, but it does not count against the household.
_SUBTRACTED_INCOME = frozenset({IncomeKind.TRANSFER_PAID, IncomeKind.RIGID_EXPENDITURE})

#: Property kinds whose limits are numbers of items (SPEC §7.2: vehicles, houses, business registrations);
#: financial assets are judged by value only, so the number of accounts is not compared.
_COUNTED_PROPERTY = frozenset({PropertyKind.VEHICLE, PropertyKind.HOUSE, PropertyKind.BUSINESS})


def kinds_for(source: RecordSource) -> frozenset[str]:
    """The ``kind`` values a record from ``source`` may carry.

    Args:
        source: the extract's source.

    Returns:
        :class:`~domain.household.IncomeKind` values for income sources,
        :class:`~domain.household.PropertyKind` values for property sources, and ``{"hukou"}`` for the hukou
        register.
    """
    if source is RecordSource.HUKOU:
        return frozenset({HUKOU_KIND})
    if source in _INCOME_SOURCE_KINDS:
        return _INCOME_SOURCE_KINDS[source]
    return _PROPERTY_SOURCE_KINDS[source]


def is_income_source(source: RecordSource) -> bool:
    """Whether records from ``source`` are income (their ``kind`` is an :class:`IncomeKind`)."""
    return source in _INCOME_SOURCE_KINDS


def is_property_source(source: RecordSource) -> bool:
    """Whether records from ``source`` are property (their ``kind`` is a :class:`PropertyKind`)."""
    return source in _PROPERTY_SOURCE_KINDS


def normalise_resident_id(raw: str) -> str:
    """The form resident IDs are matched in: surrounding blanks removed, check character ``X`` upper-case.

    This does not validate the number (see :func:`domain.identity.parse_resident_id`).
    """
    return raw.strip().upper()


class EconomicRecord(BaseModel):
    """One fact a department holds about one person, as loaded from an extract (S1 Art. 17).

    Attributes:
        resident_id: the person's resident ID number, normalised (upper-case ``X``).
        source: the department the extract came from.
        kind: for income sources an :class:`IncomeKind` value, for property sources a :class:`PropertyKind`
            value, for the hukou register ``"hukou"``.
        amount: yuan; for income the total over the reference period, for property its value; 0 for hukou.
        count: how many items (vehicles, houses, registrations) the record covers.
        detail: free text from the department; for hukou the registered division code.
        batch_id: the import batch (one extract file) the record came from.
        period_start: first day the record covers, when the extract says.
        period_end: last day the record covers, when the extract says.
    """

    # Validation errors must not echo the input: it holds a resident ID number.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    resident_id: str
    source: RecordSource
    kind: str
    amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] = Decimal("0")
    count: Annotated[int, Field(ge=1, le=1000)] = 1
    detail: Annotated[str, Field(max_length=500)] | None = None
    batch_id: Annotated[str, Field(min_length=1, max_length=100)]
    period_start: date | None = None
    period_end: date | None = None

    @field_validator("resident_id")
    @classmethod
    def _normalise_id(cls, value: str) -> str:
        return normalise_resident_id(value)

    @model_validator(mode="after")
    def _kind_fits_source(self) -> EconomicRecord:
        # Messages name the field, never the value: records carry personal data.
        if self.kind not in kinds_for(self.source):
            raise ValueError("kind is not valid for the record's source")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class DiscrepancyNote(StrEnum):
    """What a discrepancy is, in a stable English code (decisions and notices map it to wording)."""

    UNDECLARED_INCOME = "undeclared_income"  # an income kind found that the declaration does not list
    INCOME_ABOVE_DECLARED = "income_above_declared"  # found exceeds declared by more than the tolerance
    DEDUCTION_ABOVE_DECLARED = "deduction_above_declared"  # more paid out than declared (household's favour)
    UNDECLARED_DEPOSIT = "undeclared_deposit"
    UNDECLARED_SECURITIES = "undeclared_securities"
    UNDECLARED_COMMERCIAL_INSURANCE = "undeclared_commercial_insurance"
    UNDECLARED_VEHICLE = "undeclared_vehicle"
    UNDECLARED_HOUSE = "undeclared_house"
    UNDECLARED_BUSINESS = "undeclared_business"
    PROPERTY_ABOVE_DECLARED = "property_above_declared"  # found value exceeds declared value
    PROPERTY_COUNT_ABOVE_DECLARED = "property_count_above_declared"  # e.g. two vehicles found, one declared


_UNDECLARED_PROPERTY: dict[PropertyKind, DiscrepancyNote] = {
    PropertyKind.DEPOSIT: DiscrepancyNote.UNDECLARED_DEPOSIT,
    PropertyKind.SECURITIES: DiscrepancyNote.UNDECLARED_SECURITIES,
    PropertyKind.COMMERCIAL_INSURANCE: DiscrepancyNote.UNDECLARED_COMMERCIAL_INSURANCE,
    PropertyKind.VEHICLE: DiscrepancyNote.UNDECLARED_VEHICLE,
    PropertyKind.HOUSE: DiscrepancyNote.UNDECLARED_HOUSE,
    PropertyKind.BUSINESS: DiscrepancyNote.UNDECLARED_BUSINESS,
}


class Discrepancy(BaseModel):
    """One disagreement between the declaration and the records (S1 Arts. 17, 18).

    Attributes:
        member_index: the member concerned; None for household-level comparisons (every property kind, and
            income kinds the declaration gives without member indexes).
        category: ``"income"`` or ``"property"``.
        kind: the :class:`IncomeKind` or :class:`PropertyKind` value compared.
        declared: the declared total (value for property); None when the kind was not declared at all.
        found: the total the records show.
        declared_count: for property, the declared number of items; None otherwise or when not declared.
        found_count: for property, the number of items the records show; None for income.
        note: what the disagreement is.
    """

    model_config = ConfigDict(frozen=True)

    member_index: int | None
    category: Literal["income", "property"]
    kind: str
    declared: Decimal | None
    found: Decimal | None
    declared_count: int | None = None
    found_count: int | None = None
    note: DiscrepancyNote


class InfoCheckReport(BaseModel):
    """The result of an information check (核对报告, S1 Art. 17; SPEC §3.3 row 7).

    Attributes:
        found_income: income found, one item per (member, kind), ``member_index`` set, amounts summed.
        found_property: property found, one item per kind for the whole household, values and counts summed.
        discrepancies: where the declaration and the records disagree, in a stable order.
        records_used: how many records matched a member.
        batches: the import batches those records came from, sorted, so a decision can cite its extracts.
        members_without_records: indexes of members no record of any source matched (a wrong ID number, or
            someone the departments do not know: worth a look, not a discrepancy by itself).
    """

    model_config = ConfigDict(frozen=True)

    found_income: list[IncomeItem] = []
    found_property: list[PropertyItem] = []
    discrepancies: list[Discrepancy] = []
    records_used: int = 0
    batches: list[str] = []
    members_without_records: list[int] = []

    @property
    def has_discrepancies(self) -> bool:
        """Whether anything disagrees."""
        return bool(self.discrepancies)


_INCOME_ORDER = {k: i for i, k in enumerate(IncomeKind)}
_PROPERTY_ORDER = {k: i for i, k in enumerate(PropertyKind)}


def compare_declaration(
    members: Sequence[Member],
    declaration: Declaration,
    records: Sequence[EconomicRecord],
    *,
    tolerance: Decimal = Decimal("0"),
) -> InfoCheckReport:
    """Compare a household's declaration with the departmental records found for its members.

    Records are matched to members by normalised resident ID; records of anyone else are ignored. Only
    records showing *more* than was declared are discrepancies: departmental data does not cover informal
    income, so finding less proves nothing (S1 Art. 17 is a check of the declaration, S1 Art. 18 lets the
    applicant answer it).

    Income is compared per (member, kind). Where the declaration lists a kind without a member index, that
    kind is compared for the household as a whole. Property is compared per kind for the household:
    a kind found but not declared, a found value above the declared value, or (for vehicles, houses and
    business registrations, whose limits are counts) more items found than declared is a discrepancy.
    Exempt declared property (``exempt_reason``) still counts as declared.

    Args:
        members: the household's members, in case order (indexes refer to this order).
        declaration: the household's declaration (S1 Art. 9).
        records: the records the departments hold about the members (others are ignored).
        tolerance: yuan by which found income may exceed declared income, per comparison, before it is a
            discrepancy (a LOCAL PARAMETER; rounding and timing differences). Not applied to property.

    Returns:
        The check report.

    Raises:
        ValueError: ``tolerance`` is negative.
    """
    if tolerance < 0:
        raise ValueError("tolerance must not be negative")
    index_of: dict[str, int] = {}
    for i, member in enumerate(members):
        index_of.setdefault(normalise_resident_id(member.resident_id), i)

    used = [(index_of[r.resident_id], r) for r in records if r.resident_id in index_of]
    found_income: dict[tuple[int, IncomeKind], Decimal] = defaultdict(Decimal)
    found_value: dict[PropertyKind, Decimal] = defaultdict(Decimal)
    found_count: dict[PropertyKind, int] = defaultdict(int)
    for i, rec in used:
        if is_income_source(rec.source):
            found_income[(i, IncomeKind(rec.kind))] += rec.amount
        elif is_property_source(rec.source):
            kind = PropertyKind(rec.kind)
            found_value[kind] += rec.amount
            found_count[kind] += rec.count

    discrepancies = _income_discrepancies(declaration, found_income, tolerance)
    discrepancies += _property_discrepancies(declaration, found_value, found_count)

    with_records = {i for i, _ in used}
    return InfoCheckReport(
        found_income=[
            IncomeItem(kind=kind, amount=amount, member_index=i)
            for (i, kind), amount in sorted(
                found_income.items(), key=lambda kv: (kv[0][0], _INCOME_ORDER[kv[0][1]])
            )
        ],
        found_property=[
            PropertyItem(kind=kind, value=found_value[kind], count=found_count[kind])
            for kind in sorted(found_value, key=_PROPERTY_ORDER.__getitem__)
        ],
        discrepancies=discrepancies,
        records_used=len(used),
        batches=sorted({r.batch_id for _, r in used}),
        members_without_records=[i for i in range(len(members)) if i not in with_records],
    )


def _income_discrepancies(
    declaration: Declaration, found: dict[tuple[int, IncomeKind], Decimal], tolerance: Decimal
) -> list[Discrepancy]:
    household_kinds = {item.kind for item in declaration.income if item.member_index is None}
    declared: dict[tuple[int | None, IncomeKind], Decimal] = defaultdict(Decimal)
    for item in declaration.income:
        key = None if item.kind in household_kinds else item.member_index
        declared[(key, item.kind)] += item.amount
    compared: dict[tuple[int | None, IncomeKind], Decimal] = defaultdict(Decimal)
    for (member, kind), amount in found.items():
        compared[(None if kind in household_kinds else member, kind)] += amount

    out: list[Discrepancy] = []
    for (who, kind), amount in sorted(
        compared.items(), key=lambda kv: (-1 if kv[0][0] is None else kv[0][0], _INCOME_ORDER[kv[0][1]])
    ):
        was_declared = (who, kind) in declared
        declared_amount = declared[(who, kind)] if was_declared else None
        if amount - (declared_amount or Decimal("0")) <= tolerance:
            continue
        if kind in _SUBTRACTED_INCOME:
            note = DiscrepancyNote.DEDUCTION_ABOVE_DECLARED
        elif was_declared:
            note = DiscrepancyNote.INCOME_ABOVE_DECLARED
        else:
            note = DiscrepancyNote.UNDECLARED_INCOME
        out.append(
            Discrepancy(
                member_index=who,
                category="income",
                kind=kind.value,
                declared=declared_amount,
                found=amount,
                note=note,
            )
        )
    return out


def _property_discrepancies(
    declaration: Declaration, found_value: dict[PropertyKind, Decimal], found_count: dict[PropertyKind, int]
) -> list[Discrepancy]:
    declared_value: dict[PropertyKind, Decimal] = defaultdict(Decimal)
    declared_count: dict[PropertyKind, int] = defaultdict(int)
    for item in declaration.property:
        declared_value[item.kind] += item.value
        declared_count[item.kind] += item.count

    out: list[Discrepancy] = []
    for kind in sorted(found_value, key=_PROPERTY_ORDER.__getitem__):
        value, count = found_value[kind], found_count[kind]
        if kind not in declared_value:
            notes = [_UNDECLARED_PROPERTY[kind]]
        else:
            notes = []
            if value > declared_value[kind]:
                notes.append(DiscrepancyNote.PROPERTY_ABOVE_DECLARED)
            if kind in _COUNTED_PROPERTY and count > declared_count[kind]:
                notes.append(DiscrepancyNote.PROPERTY_COUNT_ABOVE_DECLARED)
        out += [
            Discrepancy(
                member_index=None,
                category="property",
                kind=kind.value,
                declared=declared_value.get(kind),
                found=value,
                declared_count=declared_count.get(kind),
                found_count=count,
                note=note,
            )
            for note in notes
        ]
    return out
