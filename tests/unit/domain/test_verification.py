"""The information check's pure comparison of the declaration with departmental records (S1 Arts. 17, 18)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.household import (
    Declaration,
    IncomeItem,
    IncomeKind,
    Member,
    PropertyItem,
    PropertyKind,
    Relation,
)
from domain.verification import (
    Discrepancy,
    DiscrepancyNote,
    EconomicRecord,
    RecordSource,
    compare_declaration,
    kinds_for,
)
from tests.builders import resident_id

APPLICANT = resident_id(birth="19750315", seq="041")
SPOUSE = resident_id(birth="19780620", seq="062")
CHILD = resident_id(birth="20080901", seq="013")
NEIGHBOUR = resident_id(address="532331", birth="19690203", seq="021")


def household() -> list[Member]:
    return [
        Member(name="测试甲", resident_id=APPLICANT, relation=Relation.APPLICANT),
        Member(name="测试乙", resident_id=SPOUSE, relation=Relation.SPOUSE),
        Member(name="测试丙", resident_id=CHILD, relation=Relation.CHILD),
    ]


def rec(
    rid: str, source: RecordSource, kind: str, amount: str, batch: str = "b-1", count: int = 1
) -> EconomicRecord:
    return EconomicRecord(
        resident_id=rid, source=source, kind=kind, amount=Decimal(amount), count=count, batch_id=batch
    )


def wages(amount: str, member: int | None = 0) -> IncomeItem:
    return IncomeItem(kind=IncomeKind.WAGES, amount=Decimal(amount), member_index=member)


def test_a_150000_yuan_deposit_found_but_not_declared_is_a_discrepancy() -> None:
    """SPEC §12 scenario 3: the check shows a deposit the household did not declare."""
    declaration = Declaration(income=[wages("18000")])
    records = [
        rec(APPLICANT, RecordSource.INCOME, "wages", "18000"),
        rec(SPOUSE, RecordSource.DEPOSIT, "deposit", "150000.00", batch="deposit-aa"),
    ]

    report = compare_declaration(household(), declaration, records)

    assert report.discrepancies == [
        Discrepancy(
            member_index=None,
            category="property",
            kind="deposit",
            declared=None,
            found=Decimal("150000.00"),
            declared_count=None,
            found_count=1,
            note=DiscrepancyNote.UNDECLARED_DEPOSIT,
        )
    ]
    assert report.found_property == [PropertyItem(kind=PropertyKind.DEPOSIT, value=Decimal("150000.00"))]
    assert report.has_discrepancies


def test_an_undeclared_vehicle_is_a_discrepancy() -> None:
    """SPEC §12 scenario 5: an undeclared vehicle is found."""
    records = [rec(APPLICANT, RecordSource.VEHICLE, "vehicle", "45000")]

    report = compare_declaration(household(), Declaration(), records)

    assert [(d.kind, d.note, d.found) for d in report.discrepancies] == [
        ("vehicle", DiscrepancyNote.UNDECLARED_VEHICLE, Decimal("45000"))
    ]


def test_a_declaration_that_matches_the_records_gives_no_discrepancy() -> None:
    declaration = Declaration(
        income=[
            wages("18000", member=0),
            IncomeItem(kind=IncomeKind.SCHOLARSHIP, amount=Decimal("1500"), member_index=2),
        ],
        property=[
            PropertyItem(kind=PropertyKind.DEPOSIT, value=Decimal("153200.50")),
            PropertyItem(kind=PropertyKind.VEHICLE, value=Decimal("45000"), count=1),
        ],
    )
    records = [
        rec(APPLICANT, RecordSource.INCOME, "wages", "18000.00"),
        rec(CHILD, RecordSource.INCOME, "scholarship", "1500"),
        rec(SPOUSE, RecordSource.DEPOSIT, "deposit", "150000"),
        rec(APPLICANT, RecordSource.DEPOSIT, "deposit", "3200.50"),
        rec(APPLICANT, RecordSource.VEHICLE, "vehicle", "45000"),
    ]

    report = compare_declaration(household(), declaration, records)

    assert report.discrepancies == []
    assert not report.has_discrepancies
    assert report.records_used == 5


def test_declaring_more_than_the_records_show_is_not_a_discrepancy() -> None:
    """Departmental data does not cover informal income or cash: finding less proves nothing."""
    declaration = Declaration(
        income=[wages("30000")],
        property=[PropertyItem(kind=PropertyKind.DEPOSIT, value=Decimal("9000"), count=2)],
    )
    records = [
        rec(APPLICANT, RecordSource.INCOME, "wages", "12000"),
        rec(APPLICANT, RecordSource.DEPOSIT, "deposit", "5000"),
    ]

    assert compare_declaration(household(), declaration, records).discrepancies == []


def test_members_without_any_record_are_listed() -> None:
    records = [
        rec(APPLICANT, RecordSource.INCOME, "wages", "18000"),
        rec(CHILD, RecordSource.HUKOU, "hukou", "0"),
    ]

    report = compare_declaration(household(), Declaration(income=[wages("18000")]), records)

    assert report.members_without_records == [1]


def test_records_of_people_outside_the_household_are_ignored() -> None:
    records = [rec(NEIGHBOUR, RecordSource.VEHICLE, "vehicle", "30000", batch="vehicle-zz")]

    report = compare_declaration(household(), Declaration(), records)

    assert report.discrepancies == []
    assert report.found_property == []
    assert report.records_used == 0
    assert report.batches == []
    assert report.members_without_records == [0, 1, 2]


def test_found_income_is_summed_per_member_and_kind_above_the_declared_amount() -> None:
    records = [
        rec(APPLICANT, RecordSource.INCOME, "wages", "10000", batch="income-2"),
        rec(APPLICANT, RecordSource.INCOME, "wages", "9000", batch="income-1"),
        rec(SPOUSE, RecordSource.INCOME, "wages", "6000", batch="income-1"),
    ]

    report = compare_declaration(household(), Declaration(income=[wages("18000", member=0)]), records)

    assert report.found_income == [
        IncomeItem(kind=IncomeKind.WAGES, amount=Decimal("19000"), member_index=0),
        IncomeItem(kind=IncomeKind.WAGES, amount=Decimal("6000"), member_index=1),
    ]
    assert [(d.member_index, d.declared, d.found, d.note) for d in report.discrepancies] == [
        (0, Decimal("18000"), Decimal("19000"), DiscrepancyNote.INCOME_ABOVE_DECLARED),
        (1, None, Decimal("6000"), DiscrepancyNote.UNDECLARED_INCOME),
    ]
    assert report.batches == ["income-1", "income-2"]


def test_income_within_the_tolerance_is_not_a_discrepancy() -> None:
    records = [rec(APPLICANT, RecordSource.INCOME, "wages", "18100")]
    declaration = Declaration(income=[wages("18000")])

    within = compare_declaration(household(), declaration, records, tolerance=Decimal("100"))
    beyond = compare_declaration(household(), declaration, records, tolerance=Decimal("99.99"))

    assert within.discrepancies == []
    assert [d.note for d in beyond.discrepancies] == [DiscrepancyNote.INCOME_ABOVE_DECLARED]


def test_income_declared_without_member_indexes_is_compared_for_the_household() -> None:
    records = [
        rec(APPLICANT, RecordSource.INCOME, "wages", "10000"),
        rec(SPOUSE, RecordSource.INCOME, "wages", "8000"),
    ]

    matching = compare_declaration(household(), Declaration(income=[wages("18000", member=None)]), records)
    short = compare_declaration(household(), Declaration(income=[wages("15000", member=None)]), records)

    assert matching.discrepancies == []
    assert [(d.member_index, d.declared, d.found) for d in short.discrepancies] == [
        (None, Decimal("15000"), Decimal("18000"))
    ]


def test_more_contributions_paid_than_declared_are_reported_as_a_deduction_not_as_income() -> None:
    records = [rec(SPOUSE, RecordSource.SOCIAL_INSURANCE, "transfer_paid", "2400")]

    report = compare_declaration(household(), Declaration(), records)

    assert [(d.member_index, d.note) for d in report.discrepancies] == [
        (1, DiscrepancyNote.DEDUCTION_ABOVE_DECLARED)
    ]


def test_property_found_above_the_declared_value_or_count_is_a_discrepancy() -> None:
    declaration = Declaration(
        property=[PropertyItem(kind=PropertyKind.VEHICLE, value=Decimal("20000"), count=1)]
    )
    records = [
        rec(APPLICANT, RecordSource.VEHICLE, "vehicle", "20000"),
        rec(SPOUSE, RecordSource.VEHICLE, "vehicle", "35000"),
    ]

    report = compare_declaration(household(), declaration, records)

    assert [(d.note, d.declared, d.found, d.declared_count, d.found_count) for d in report.discrepancies] == [
        (DiscrepancyNote.PROPERTY_ABOVE_DECLARED, Decimal("20000"), Decimal("55000"), 1, 2),
        (DiscrepancyNote.PROPERTY_COUNT_ABOVE_DECLARED, Decimal("20000"), Decimal("55000"), 1, 2),
    ]


def test_an_exempt_declared_vehicle_counts_as_declared() -> None:
    declaration = Declaration(
        property=[
            PropertyItem(
                kind=PropertyKind.VEHICLE, value=Decimal("8000"), exempt_reason="disability mobility vehicle"
            )
        ]
    )
    records = [rec(APPLICANT, RecordSource.VEHICLE, "vehicle", "8000")]

    assert compare_declaration(household(), declaration, records).discrepancies == []


def test_ids_match_whatever_the_case_of_the_check_character() -> None:
    rid = next(
        resident_id(birth="19900101", seq=f"{n:03d}")
        for n in range(1000)
        if resident_id(birth="19900101", seq=f"{n:03d}").endswith("X")
    )
    members = [Member(name="测试丁", resident_id=rid.lower(), relation=Relation.APPLICANT)]
    records = [rec(rid, RecordSource.VEHICLE, "vehicle", "1000")]

    report = compare_declaration(members, Declaration(), records)

    assert report.records_used == 1
    assert report.members_without_records == []


def test_a_negative_tolerance_is_refused() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        compare_declaration(household(), Declaration(), [], tolerance=Decimal("-1"))


@pytest.mark.parametrize(
    ("source", "kind"),
    [(RecordSource.VEHICLE, "house"), (RecordSource.INCOME, "deposit"), (RecordSource.HUKOU, "wages")],
)
def test_a_record_whose_kind_does_not_fit_its_source_is_refused_without_echoing_the_id(
    source: RecordSource, kind: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        rec(APPLICANT, source, kind, "1")
    assert "not valid for the record's source" in str(caught.value)
    assert APPLICANT[:8] not in str(caught.value)
    assert kind not in kinds_for(source)


def test_every_source_has_kinds_and_property_and_income_kinds_are_disjoint() -> None:
    assert all(kinds_for(s) for s in RecordSource)
    assert not {k.value for k in IncomeKind} & {k.value for k in PropertyKind}
