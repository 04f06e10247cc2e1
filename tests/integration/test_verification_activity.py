"""The ``run_info_check`` activity against real PostgreSQL, with the sample extracts in tests/data."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import asyncpg
from structlog.testing import capture_logs
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import ActivityEnvironment

from activities.verification import InfoCheckInput, VerificationActivities
from adapters.db.economic_records import PgEconomicRecords
from domain.household import Declaration, IncomeItem, IncomeKind, Member, PropertyItem, PropertyKind, Relation
from domain.verification import DiscrepancyNote, InfoCheckReport, RecordSource
from tests.contracts.economic_records_contract import unique_resident_id

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "economic_records"
APPLICANT, SPOUSE, CHILD = "532302197503150411", "532302197806200623", "532302200809010133"
NEIGHBOUR = "532331196902030211"


def sample_household() -> list[Member]:
    return [
        Member(name="测试甲", resident_id=APPLICANT, relation=Relation.APPLICANT),
        Member(name="测试乙", resident_id=SPOUSE, relation=Relation.SPOUSE),
        Member(name="测试丙", resident_id=CHILD, relation=Relation.CHILD),
    ]


async def import_samples(records: PgEconomicRecords) -> dict[RecordSource, str]:
    batches = {}
    for name, source in [
        ("vehicles_sample.csv", RecordSource.VEHICLE),
        ("deposits_sample.csv", RecordSource.DEPOSIT),
        ("income_sample.csv", RecordSource.INCOME),
        ("hukou_sample.csv", RecordSource.HUKOU),
    ]:
        result = await records.import_csv(SAMPLES / name, source, "county-01")
        batches[source] = result.batch_id
    return batches


async def test_the_check_finds_the_undeclared_deposit_and_vehicle_of_the_sample_household(
    pg_pool: asyncpg.Pool,
) -> None:
    """SPEC §12 scenarios 3 and 5: a 150,000-yuan deposit and a vehicle the declaration left out."""
    records = PgEconomicRecords(pg_pool)
    batches = await import_samples(records)
    acts = VerificationActivities(records)
    inp = InfoCheckInput(
        members=sample_household(),
        declaration=Declaration(
            income=[
                IncomeItem(kind=IncomeKind.WAGES, amount=Decimal("18000"), member_index=0),
                IncomeItem(kind=IncomeKind.SCHOLARSHIP, amount=Decimal("1500"), member_index=2),
            ],
            property=[PropertyItem(kind=PropertyKind.DEPOSIT, value=Decimal("3200.50"))],
        ),
    )

    with capture_logs() as logs:
        report = await ActivityEnvironment().run(acts.run_info_check, inp)

    assert [(d.kind, d.note, d.found) for d in report.discrepancies] == [
        ("deposit", DiscrepancyNote.PROPERTY_ABOVE_DECLARED, Decimal("153200.50")),
        ("vehicle", DiscrepancyNote.UNDECLARED_VEHICLE, Decimal("45000.00")),
    ]
    assert report.records_used == 8  # the neighbour's vehicle is not the household's
    assert report.batches == sorted(batches.values())
    assert report.members_without_records == []
    [line] = [e for e in logs if e["event"] == "info_check.completed"]
    assert line["batches"] == report.batches
    for rid in (APPLICANT, SPOUSE, CHILD, NEIGHBOUR):
        assert rid[:10] not in repr(logs)


async def test_a_household_the_departments_do_not_know_gets_a_report_listing_every_member(
    pg_pool: asyncpg.Pool,
) -> None:
    acts = VerificationActivities(PgEconomicRecords(pg_pool))
    members = [
        Member(name="测试丁", resident_id=unique_resident_id(), relation=Relation.APPLICANT),
        Member(
            name="测试戊", resident_id=unique_resident_id(ending_in_x=True).lower(), relation=Relation.SPOUSE
        ),
    ]

    report = await ActivityEnvironment().run(acts.run_info_check, InfoCheckInput(members=members))

    assert report == InfoCheckReport(members_without_records=[0, 1])


async def test_the_report_survives_the_pydantic_data_converter(pg_pool: asyncpg.Pool) -> None:
    """The report is a Temporal payload: Decimals and enums must round-trip exactly."""
    records = PgEconomicRecords(pg_pool)
    await import_samples(records)
    report = await ActivityEnvironment().run(
        VerificationActivities(records).run_info_check, InfoCheckInput(members=sample_household())
    )
    assert report.discrepancies

    payloads = await pydantic_data_converter.encode([report])
    [decoded] = await pydantic_data_converter.decode(payloads, [InfoCheckReport])

    assert decoded == report
