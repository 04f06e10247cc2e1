"""The economic-records contract, run against the in-memory twin and against PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from adapters.db.economic_records import InMemoryEconomicRecords, PgEconomicRecords
from domain.verification import EconomicRecord, RecordSource
from tests.contracts.economic_records_contract import EconomicRecordsContract, unique_resident_id


class TestInMemoryEconomicRecords(EconomicRecordsContract):
    def make_port(self, backend: None) -> InMemoryEconomicRecords:
        return InMemoryEconomicRecords()


class TestPgEconomicRecords(EconomicRecordsContract):
    @pytest.fixture
    def backend(self, pg_pool: asyncpg.Pool) -> asyncpg.Pool:
        return pg_pool

    def make_port(self, backend: asyncpg.Pool) -> PgEconomicRecords:
        return PgEconomicRecords(backend)


async def test_the_memory_twin_takes_records_directly_one_batch_per_batch_id() -> None:
    """``add`` is the file-less set-up for workflow tests; later batches still supersede earlier ones."""
    port = InMemoryEconomicRecords()
    rid = unique_resident_id(ending_in_x=True)
    old = EconomicRecord(
        resident_id=rid.lower(), source=RecordSource.DEPOSIT, kind="deposit", amount="5", batch_id="d-1"
    )
    new = old.model_copy(update={"amount": Decimal("7"), "batch_id": "d-2"})

    port.add([old])
    port.add([new])

    assert await port.find([rid]) == [new]
