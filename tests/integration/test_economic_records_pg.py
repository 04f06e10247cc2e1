"""Importing departmental CSV extracts into PostgreSQL and finding records by resident ID (S1 Art. 17)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from structlog.testing import capture_logs

from adapters.db.economic_records import ExtractRefused, PgEconomicRecords, RowError
from domain.verification import RecordSource
from tests.builders import with_bad_check_digit
from tests.contracts.economic_records_contract import unique_resident_id, write_extract

FULL_HEADER = ("resident_id", "kind", "amount", "count", "detail", "period_start", "period_end")


async def batch_count(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM economic_record_batches"))


async def test_an_extract_is_imported_as_one_batch_and_found_by_id(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    a, b = unique_resident_id(), unique_resident_id()
    path = write_extract(
        tmp_path,
        [
            (a, "wages", "18000.5", "", "", "2025-10-01", "2026-09-30"),
            (b, "business_net", "7200", "1", "小卖部", "", ""),
            (a, "transfer_received", "0", "", "", "", ""),
        ],
        header=FULL_HEADER,
        bom=True,
    )
    records = PgEconomicRecords(pg_pool)

    result = await records.import_csv(path, RecordSource.INCOME, "county-01")

    assert not result.already_imported
    assert result.row_count == 3
    assert result.batch_id == f"income-{result.file_sha256[:16]}"
    found = await records.find([a])
    assert [(r.kind, r.amount, r.period_start, r.period_end) for r in found] == [
        ("wages", Decimal("18000.50"), date(2025, 10, 1), date(2026, 9, 30)),
        ("transfer_received", Decimal("0.00"), None, None),
    ]
    [other] = await records.find([b])
    assert (other.detail, other.count, other.batch_id) == ("小卖部", 1, result.batch_id)
    batch = await pg_pool.fetchrow(
        "SELECT * FROM economic_record_batches WHERE batch_id = $1", result.batch_id
    )
    assert (batch["source"], batch["row_count"], batch["imported_by"]) == ("income", 3, "county-01")


async def test_reimporting_the_same_file_is_a_no_op_reported_as_such(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    rid = unique_resident_id()
    path = write_extract(tmp_path, [(rid, "vehicle", "30000")])
    records = PgEconomicRecords(pg_pool)
    first = await records.import_csv(path, RecordSource.VEHICLE, "county-01")
    batches_before = await batch_count(pg_pool)

    copy = tmp_path / "renamed-copy.csv"
    copy.write_bytes(path.read_bytes())
    again = await records.import_csv(copy, RecordSource.VEHICLE, "county-02")

    assert again.already_imported
    assert (again.batch_id, again.row_count, again.source) == (first.batch_id, 1, RecordSource.VEHICLE)
    assert await batch_count(pg_pool) == batches_before
    assert len(await records.find([rid])) == 1


async def test_one_bad_row_refuses_the_whole_file_naming_rows_and_columns_but_never_values(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    good, bad_source = unique_resident_id(), unique_resident_id()
    bad_id = with_bad_check_digit(bad_source)
    path = write_extract(
        tmp_path,
        [
            (good, "deposit", "1000", ""),
            (bad_id, "deposit", "2000", ""),
            (good, "vehicle", "-5", "2025-02-30"),
        ],
        header=("resident_id", "kind", "amount", "period_end"),
    )
    records = PgEconomicRecords(pg_pool)
    batches_before = await batch_count(pg_pool)

    with capture_logs() as logs, pytest.raises(ExtractRefused) as refused:
        await records.import_csv(path, RecordSource.DEPOSIT, "county-01")

    assert [(e.row, e.column) for e in refused.value.errors] == [
        (3, "resident_id"),
        (4, "kind"),
        (4, "amount"),
        (4, "period_end"),
    ]
    texts = [str(e) for e in refused.value.errors] + [str(refused.value), repr(logs)]
    for value in (bad_id, good, bad_id[:14], "-5", "2025-02-30"):
        assert not any(value in t for t in texts), value
    assert "row 3, column resident_id: check digit does not match" in texts[0]
    assert await records.find([good]) == []
    assert await batch_count(pg_pool) == batches_before


async def test_a_file_without_a_header_is_refused_without_quoting_its_first_row(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    rid = unique_resident_id()
    path = tmp_path / "no-header.csv"
    path.write_text(f"{rid},vehicle,30000\n", encoding="utf-8")

    with pytest.raises(ExtractRefused) as refused:
        await PgEconomicRecords(pg_pool).import_csv(path, RecordSource.VEHICLE, "county-01")

    assert RowError(1, "resident_id", "required column is missing") in refused.value.errors
    assert not any(rid in str(e) for e in refused.value.errors)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("resident_id,kind,amount,detail\n{rid},vehicle,1,禄丰市金山镇\n".encode("gbk"), "not UTF-8"),
        (b"resident_id,kind\n{rid},vehicle\n", "row 1, column amount: required column is missing"),
        (b"resident_id,kind,amount,name\n{rid},vehicle,1,x\n", "unknown column at position 4"),
        (b"resident_id,kind,amount\n{rid},vehicle,1,2\n", "row 2: has 4 fields"),
        (b'resident_id,kind,amount\n{rid},vehicle,"1,000"\n', "row 2, column amount"),
        (b"resident_id,kind,amount\n{rid},vehicle,1.005\n", "row 2, column amount"),
        (b"resident_id,kind,amount,count\n{rid},vehicle,1,0\n", "row 2, column count"),
        (b"resident_id,kind,amount\n", "no data rows"),
    ],
)
async def test_malformed_extracts_are_refused_with_the_reason(
    pg_pool: asyncpg.Pool, tmp_path: Path, content: bytes, problem: str
) -> None:
    rid = unique_resident_id()
    path = tmp_path / "bad.csv"
    path.write_bytes(content.replace(b"{rid}", rid.encode()))

    with pytest.raises(ExtractRefused) as refused:
        await PgEconomicRecords(pg_pool).import_csv(path, RecordSource.VEHICLE, "county-01")

    assert any(problem in str(e) for e in refused.value.errors), refused.value.errors


async def test_hukou_rows_carry_the_registered_division_code(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    rid, no_code = unique_resident_id(), unique_resident_id()
    header = ("resident_id", "kind", "amount", "detail")
    records = PgEconomicRecords(pg_pool)

    await records.import_csv(
        write_extract(tmp_path, [(rid, "hukou", "", "532302101001")], header=header),
        RecordSource.HUKOU,
        "c-1",
    )
    with pytest.raises(ExtractRefused) as refused:
        await records.import_csv(
            write_extract(tmp_path, [(no_code, "hukou", "", "")], header=header), RecordSource.HUKOU, "c-1"
        )

    [rec] = await records.find([rid])
    assert (rec.source, rec.kind, rec.amount, rec.detail) == (RecordSource.HUKOU, "hukou", 0, "532302101001")
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "detail")]


async def test_the_importer_must_be_a_staff_id_not_a_resident_id(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    path = write_extract(tmp_path, [(unique_resident_id(), "vehicle", "1")])

    with pytest.raises(ValueError, match="staff id"):
        await PgEconomicRecords(pg_pool).import_csv(path, RecordSource.VEHICLE, unique_resident_id())
