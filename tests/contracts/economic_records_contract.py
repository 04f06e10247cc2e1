"""Contract every economic-records adapter satisfies (STYLE guideline 11).

Subclasses provide :meth:`EconomicRecordsContract.make_port`; the PostgreSQL subclass also overrides the
``backend`` fixture to hand it the session's pool. The PostgreSQL database is shared by the whole test
session, so every test uses resident ID numbers of its own (:func:`unique_resident_id`).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import pytest

from adapters.db.economic_records import EconomicRecordsPort, ImportResult
from domain.identity import check_character
from domain.verification import EconomicRecord, RecordSource

_rng = random.Random()
_issued: set[str] = set()


def unique_resident_id(*, ending_in_x: bool = False) -> str:
    """A valid, fictional resident ID number not handed out before in this process (GB 11643-1999)."""
    while True:
        birth = f"{_rng.randint(1940, 2015)}{_rng.randint(1, 12):02d}{_rng.randint(1, 28):02d}"
        body = f"532302{birth}{_rng.randint(0, 999):03d}"
        rid = body + check_character(body)
        if rid not in _issued and (rid.endswith("X") or not ending_in_x):
            _issued.add(rid)
            return rid


def write_extract(
    directory: Path,
    rows: Sequence[Sequence[object]],
    header: Sequence[str] = ("resident_id", "kind", "amount"),
    *,
    name: str | None = None,
    bom: bool = False,
) -> Path:
    """Write a CSV extract with a unique file name; cells are joined with commas as given."""
    path = directory / (name or f"extract-{_rng.getrandbits(64):016x}.csv")
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    path.write_bytes(("\ufeff" if bom else "").encode() + ("\n".join(lines) + "\n").encode("utf-8"))
    return path


class ImportingPort(EconomicRecordsPort, Protocol):
    async def import_csv(self, path: Path, source: RecordSource, imported_by: str) -> ImportResult: ...


class EconomicRecordsContract(ABC):
    """What ``find`` and ``import_csv`` promise, whatever stores the records."""

    @abstractmethod
    def make_port(self, backend: Any) -> ImportingPort:
        """A fresh adapter over ``backend`` (whatever the ``backend`` fixture gives)."""

    @pytest.fixture
    def backend(self) -> Any:
        return None

    @pytest.fixture
    def port(self, backend: Any) -> ImportingPort:
        return self.make_port(backend)

    async def test_find_returns_the_records_of_the_ids_asked_for(
        self, port: ImportingPort, tmp_path: Path
    ) -> None:
        a, b, other = unique_resident_id(), unique_resident_id(), unique_resident_id()
        path = write_extract(
            tmp_path, [(a, "vehicle", "45000.00"), (b, "vehicle", "12000"), (other, "vehicle", "1")]
        )
        result = await port.import_csv(path, RecordSource.VEHICLE, "county-01")

        found = await port.find([a, b])

        assert found == [
            EconomicRecord(
                resident_id=a,
                source=RecordSource.VEHICLE,
                kind="vehicle",
                amount="45000.00",
                batch_id=result.batch_id,
            ),
            EconomicRecord(
                resident_id=b,
                source=RecordSource.VEHICLE,
                kind="vehicle",
                amount="12000",
                batch_id=result.batch_id,
            ),
        ]

    async def test_unknown_ids_find_nothing(self, port: ImportingPort, tmp_path: Path) -> None:
        known = unique_resident_id()
        await port.import_csv(
            write_extract(tmp_path, [(known, "deposit", "10")]), RecordSource.DEPOSIT, "county-01"
        )

        assert await port.find([unique_resident_id(), unique_resident_id()]) == []
        assert await port.find([]) == []

    async def test_a_lower_case_x_finds_the_record(self, port: ImportingPort, tmp_path: Path) -> None:
        rid = unique_resident_id(ending_in_x=True)
        await port.import_csv(
            write_extract(tmp_path, [(rid.lower(), "house", "90000")]), RecordSource.REAL_ESTATE, "c"
        )

        found = await port.find([rid.lower()])

        assert [(r.resident_id, r.kind) for r in found] == [(rid, "house")]

    async def test_reimporting_the_same_file_changes_nothing(
        self, port: ImportingPort, tmp_path: Path
    ) -> None:
        rid = unique_resident_id()
        path = write_extract(tmp_path, [(rid, "wages", "18000"), (rid, "other", "500")])

        first = await port.import_csv(path, RecordSource.INCOME, "county-01")
        again = await port.import_csv(path, RecordSource.INCOME, "county-02")

        assert (first.already_imported, again.already_imported) == (False, True)
        assert (again.batch_id, again.row_count) == (first.batch_id, 2)
        assert len(await port.find([rid])) == 2

    async def test_a_newer_extract_supersedes_what_an_older_one_said_about_the_same_person(
        self, port: ImportingPort, tmp_path: Path
    ) -> None:
        """Extracts are complete per person: re-importing a month later must not double a deposit."""
        rid, untouched = unique_resident_id(), unique_resident_id()
        old = await port.import_csv(
            write_extract(tmp_path, [(rid, "deposit", "150000"), (untouched, "deposit", "700")]),
            RecordSource.DEPOSIT,
            "county-01",
        )
        await port.import_csv(
            write_extract(tmp_path, [(rid, "vehicle", "9000")]), RecordSource.VEHICLE, "county-01"
        )
        new = await port.import_csv(
            write_extract(tmp_path, [(rid, "deposit", "151000")]), RecordSource.DEPOSIT, "c"
        )

        found = {(r.source, r.amount, r.batch_id) for r in await port.find([rid, untouched])}

        assert (RecordSource.DEPOSIT, 151000, new.batch_id) in found
        assert (RecordSource.DEPOSIT, 150000, old.batch_id) not in found
        assert (RecordSource.DEPOSIT, 700, old.batch_id) in found
        assert {s for s, _, _ in found} == {RecordSource.DEPOSIT, RecordSource.VEHICLE}
        assert len(found) == 3
