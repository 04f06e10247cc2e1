"""Household economic records for the information check (信息核对, S1 Art. 17): the port and its adapters.

The county loads departmental extracts (hukou, income, vehicles, real estate, deposits, business
registrations, social insurance) from CSV files into PostgreSQL; the info-check activity then finds the
records of a household's members by resident ID.

CSV extract format
------------------
- UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8"); comma-separated, ``"``-quoted as needed.
  GBK/ANSI files are refused: re-save them as UTF-8 (:mod:`adapters.csv_text`, shared with the alerts import).
- The first row is the header. Columns, in any order, names case-insensitive:

  ============== ======== ===========================================================================
  column         required content
  ============== ======== ===========================================================================
  resident_id    yes      18-character resident ID number, valid check character (GB 11643-1999);
                          a lower-case ``x`` is accepted and stored upper-case; a 15-digit legacy
                          number (valid address code and 19YYMMDD birth date) is converted to its
                          18-digit form, which is stored
  kind           yes      a kind valid for the file's source (:func:`domain.verification.kinds_for`):
                          ``income``: any IncomeKind value (``wages``, ``business_net``, ...);
                          ``social_insurance``: ``transfer_received``, ``transfer_paid``,
                          ``basic_pension_base``; ``vehicle``: ``vehicle``; ``real_estate``: ``house``;
                          ``deposit``: ``deposit``, ``securities``, ``commercial_insurance``;
                          ``business``: ``business``; ``hukou``: ``hukou``
  amount         yes      yuan, a plain decimal >= 0 with at most 2 decimals and no thousands separator
                          (income: total over the reference period; property: its value);
                          may be empty only for ``hukou`` (stored as 0)
  count          no       items the row covers, integer 1-1000; empty means 1
  detail         no       free text up to 500 characters; for ``hukou`` required: the registered
                          6-, 9- or 12-digit division code
  period_start   no       ISO date ``YYYY-MM-DD``
  period_end     no       ISO date, not before ``period_start``
  ============== ======== ===========================================================================

- Blank lines are skipped. Other columns are refused (an extract should carry nothing we do not need, such
  as names).
- Row numbers in error messages count the header as row 1, as a spreadsheet does.

An extract with any invalid row is refused as a whole, and nothing is stored. Error messages name the row
and the column only, never the value: the values are personal data. A file is identified by its SHA-256;
importing the same file again is a no-op reported as such. Each file becomes one batch,
``<source>-<first 16 hex digits of the SHA-256>``, imported in one transaction.

Newer extracts supersede older ones person by person: for each (person, source), :meth:`find` returns only
the records of the most recently imported batch that mentions that person for that source. So each extract
must be a complete statement, for every person it names, of what that source holds about them (an income
extract covers the whole reference period); people it does not name keep their earlier records.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import asyncpg
import structlog
from pydantic import ValidationError

from adapters.csv_text import CsvUnreadable, read_csv_rows
from domain.divisions import is_jurisdiction_code
from domain.errors import InvalidInput
from domain.identity import parse_resident_id
from domain.verification import EconomicRecord, RecordSource, kinds_for, normalise_resident_id

log = structlog.get_logger(__name__)

REQUIRED_COLUMNS = ("resident_id", "kind", "amount")
OPTIONAL_COLUMNS = ("count", "detail", "period_start", "period_end")
MAX_REPORTED_ERRORS = 50
_AMOUNT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")  # fits numeric(14,2)
_COUNT = re.compile(r"[0-9]{1,4}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_DETAIL = 500
_RECORD_COLUMNS = (
    "batch_id",
    "resident_id",
    "source",
    "kind",
    "amount",
    "count",
    "detail",
    "period_start",
    "period_end",
)

_FIND = """
WITH current_batches AS (
    SELECT DISTINCT ON (r.resident_id, r.source) r.resident_id, r.source, r.batch_id
    FROM economic_records r
    JOIN economic_record_batches b ON b.batch_id = r.batch_id
    WHERE r.resident_id = ANY($1)
    ORDER BY r.resident_id, r.source, b.imported_at DESC, r.id DESC
)
SELECT r.resident_id, r.source, r.kind, r.amount, r.count, r.detail, r.batch_id, r.period_start, r.period_end
FROM economic_records r
JOIN current_batches c ON c.resident_id = r.resident_id AND c.source = r.source AND c.batch_id = r.batch_id
ORDER BY r.id
"""

_BATCH_BY_SHA = "SELECT batch_id, source, row_count FROM economic_record_batches WHERE file_sha256 = $1"

_INSERT_BATCH = """
INSERT INTO economic_record_batches (batch_id, source, file_sha256, row_count, imported_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING
RETURNING batch_id
"""


class EconomicRecordsPort(Protocol):
    """Port: the departmental records held about people, found by resident ID (S1 Art. 17)."""

    async def find(self, resident_ids: Sequence[str]) -> list[EconomicRecord]:
        """The current records of these people, in import order.

        Args:
            resident_ids: resident ID numbers; a lower-case ``x`` matches. Unknown numbers find nothing.

        Returns:
            For each (person, source), the records of the latest batch that mentions that person.
        """
        ...


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong in an extract, by position only.

    Attributes:
        row: the row number, header = 1 (as a spreadsheet shows it); None for the file as a whole.
        column: the column name; None for the whole row or file.
        reason: why, never quoting the value.
    """

    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = [f"row {self.row}" if self.row is not None else "file"]
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}"


class ExtractRefused(ValueError):
    """The extract has invalid rows; nothing was imported.

    Attributes:
        errors: the first :data:`MAX_REPORTED_ERRORS` problems, in file order.
        total: how many problems there are in all.
    """

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.errors = errors
        self.total = len(errors) if total is None else total
        super().__init__(f"extract refused: {self.total} problem(s); nothing was imported")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The outcome of importing one extract file.

    Attributes:
        batch_id: the batch the file is stored as (the earlier one when it was already imported).
        source: the source the batch was stored under.
        row_count: records in the batch.
        already_imported: the same file (same SHA-256) was imported before; nothing changed.
        file_sha256: the file's SHA-256, hex.
    """

    batch_id: str
    source: RecordSource
    row_count: int
    already_imported: bool
    file_sha256: str


def batch_id_for(source: RecordSource, file_sha256: str) -> str:
    """The batch id of an extract: the source and the first 16 hex digits of the file's SHA-256."""
    return f"{source.value}-{file_sha256[:16]}"


def check_staff_id(imported_by: str) -> str:
    """Validate who imports: a staff id, never blank and never a resident ID number (it is logged).

    Raises:
        ValueError: the id is blank, too long, or looks like a resident ID number.
    """
    value = imported_by.strip()
    if not value or len(value) > 100:
        raise ValueError("imported_by must be a staff id of 1-100 characters")
    try:
        parse_resident_id(value, legacy=True)
    except InvalidInput:
        return value
    raise ValueError("imported_by must be a staff id, not a resident ID number")


def parse_extract(data: bytes, source: RecordSource, batch_id: str) -> list[EconomicRecord]:
    """Parse and validate a whole CSV extract (format in the module docstring).

    Args:
        data: the file's bytes.
        source: the department it comes from.
        batch_id: the batch its records will belong to.

    Returns:
        The records, in file order.

    Raises:
        ExtractRefused: any row (or the header, or the encoding) is invalid; errors name rows and columns
            only.
    """
    try:
        rows = read_csv_rows(data)
    except CsvUnreadable as err:
        raise ExtractRefused([RowError(None, None, str(err))]) from None
    if not rows:
        raise ExtractRefused([RowError(None, None, "empty file: expected a header row")])

    header = [h.strip().lower() for h in rows[0]]
    problems = _header_problems(header)
    if problems:
        raise ExtractRefused(problems)

    errors: list[RowError] = []
    records: list[EconomicRecord] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(RowError(number, None, f"has {len(cells)} fields, the header has {len(header)}"))
            continue
        row_errors, record = _parse_row(number, dict(zip(header, cells, strict=True)), source, batch_id)
        errors += row_errors
        if record is not None:
            records.append(record)
    if errors:
        raise ExtractRefused(errors[:MAX_REPORTED_ERRORS], total=len(errors))
    if not records:
        raise ExtractRefused([RowError(None, None, "no data rows")])
    return records


def _header_problems(header: list[str]) -> list[RowError]:
    problems = [RowError(1, c, "required column is missing") for c in REQUIRED_COLUMNS if c not in header]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if name in seen:
            problems.append(RowError(1, name, "column appears twice"))
        elif name not in known:
            # Said by position, not by name: a file without a header has a data row here, personal data.
            problems.append(RowError(1, None, f"unknown column at position {position}"))
        seen.add(name)
    return problems


def _parse_row(
    number: int, cells: dict[str, str], source: RecordSource, batch_id: str
) -> tuple[list[RowError], EconomicRecord | None]:
    errors: list[RowError] = []

    def bad(column: str, reason: str) -> None:
        errors.append(RowError(number, column, reason))

    resident_id = ""
    try:
        resident_id = parse_resident_id(cells["resident_id"], legacy=True).value
    except InvalidInput as err:
        bad("resident_id", err.message)  # InvalidInput names the reason, never the number

    kind = cells["kind"].strip().lower()
    if kind not in kinds_for(source):
        expected = ", ".join(sorted(kinds_for(source)))
        bad("kind", f"not a kind of source {source.value}: expected one of {expected}")

    amount = _parse_amount(cells["amount"], allow_empty=source is RecordSource.HUKOU)
    if amount is None:
        bad("amount", "must be a plain decimal >= 0 with at most 12 digits before the point and 2 after")

    count: int | None = 1
    raw_count = cells.get("count", "").strip()
    if raw_count:
        count = int(raw_count) if _COUNT.fullmatch(raw_count) and 1 <= int(raw_count) <= 1000 else None
        if count is None:
            bad("count", "must be a whole number from 1 to 1000")

    detail = cells.get("detail", "").strip() or None
    if detail is not None and len(detail) > _MAX_DETAIL:
        bad("detail", f"longer than {_MAX_DETAIL} characters")
    if source is RecordSource.HUKOU and (detail is None or not is_jurisdiction_code(detail)):
        bad("detail", "hukou rows need the registered 6-, 9- or 12-digit division code")

    period: dict[str, date | None] = {}
    for column in ("period_start", "period_end"):
        raw = cells.get(column, "").strip()
        period[column] = None
        if raw:
            with contextlib.suppress(ValueError):  # e.g. 2025-02-30
                period[column] = date.fromisoformat(raw) if _ISO_DATE.fullmatch(raw) else None
            if period[column] is None:
                bad(column, "must be an ISO date YYYY-MM-DD")
    start, end = period["period_start"], period["period_end"]
    if start is not None and end is not None and end < start:
        bad("period_end", "is before period_start")

    if errors or amount is None or count is None:
        return errors, None
    try:
        record = EconomicRecord(
            resident_id=resident_id,
            source=source,
            kind=kind,
            amount=amount,
            count=count,
            detail=detail,
            batch_id=batch_id,
            period_start=start,
            period_end=end,
        )
    except ValidationError as err:
        # Every field was checked above; should the model still disagree, name its fields, never the input.
        columns: list[str | None] = [*sorted({str(e["loc"][0]) for e in err.errors() if e["loc"]})] or [None]
        return [RowError(number, c, "rejected by the record model") for c in columns], None
    return [], record


def _parse_amount(raw: str, *, allow_empty: bool) -> Decimal | None:
    text = raw.strip()
    if not text:
        return Decimal("0.00") if allow_empty else None
    # ASCII digits only: no signs, exponents, separators, NaN, Infinity or full-width digits.
    if not _AMOUNT.fullmatch(text):
        return None
    return Decimal(text).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class _Prepared:
    sha256: str
    batch_id: str
    staff: str


def _prepare(data: bytes, source: RecordSource, imported_by: str) -> _Prepared:
    sha = hashlib.sha256(data).hexdigest()
    return _Prepared(sha, batch_id_for(source, sha), check_staff_id(imported_by))


class PgEconomicRecords:
    """PostgreSQL economic records (tables of migration 0002).

    It does not own the pool it is given and never closes it.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def find(self, resident_ids: Sequence[str]) -> list[EconomicRecord]:
        """See :meth:`EconomicRecordsPort.find`."""
        ids = sorted({normalise_resident_id(r) for r in resident_ids})
        if not ids:
            return []
        rows = await self._pool.fetch(_FIND, ids)
        return [
            EconomicRecord(
                resident_id=r["resident_id"],
                source=RecordSource(r["source"]),
                kind=r["kind"],
                amount=r["amount"],
                count=r["count"],
                detail=r["detail"],
                batch_id=r["batch_id"],
                period_start=r["period_start"],
                period_end=r["period_end"],
            )
            for r in rows
        ]

    async def import_csv(self, path: Path, source: RecordSource, imported_by: str) -> ImportResult:
        """Import one extract file as one batch, in one transaction (format in the module docstring).

        Args:
            path: the CSV file.
            source: the department it comes from.
            imported_by: the staff id of who imports it (recorded with the batch).

        Returns:
            The batch; ``already_imported`` when the same file was imported before (nothing changes).

        Raises:
            ExtractRefused: the file has invalid rows; nothing was imported.
            ValueError: ``imported_by`` is not a plausible staff id.
            OSError: the file cannot be read.
        """
        data = await asyncio.to_thread(path.read_bytes)
        prep = _prepare(data, source, imported_by)
        existing = await self._pool.fetchrow(_BATCH_BY_SHA, prep.sha256)
        if existing is not None:
            return self._already(existing, prep.sha256)
        try:
            records = parse_extract(data, source, prep.batch_id)
        except ExtractRefused as err:
            log.warning("economic_records.import_refused", source=source.value, problems=err.total)
            raise
        async with self._pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                _INSERT_BATCH, prep.batch_id, source.value, prep.sha256, len(records), prep.staff
            )
            if inserted is None:
                # A concurrent import of the same file committed first: the unique SHA-256 made ours a no-op.
                existing = await conn.fetchrow(_BATCH_BY_SHA, prep.sha256)
                if existing is None:
                    raise RuntimeError("batch id collision with a different file")
                return self._already(existing, prep.sha256)
            await conn.copy_records_to_table(
                "economic_records", records=_copy_rows(records), columns=list(_RECORD_COLUMNS)
            )
        log.info(
            "economic_records.imported",
            batch_id=prep.batch_id,
            source=source.value,
            rows=len(records),
            imported_by=prep.staff,
        )
        return ImportResult(
            prep.batch_id, source, len(records), already_imported=False, file_sha256=prep.sha256
        )

    @staticmethod
    def _already(row: asyncpg.Record, sha256: str) -> ImportResult:
        log.info("economic_records.already_imported", batch_id=row["batch_id"])
        return ImportResult(
            row["batch_id"],
            RecordSource(row["source"]),
            row["row_count"],
            already_imported=True,
            file_sha256=sha256,
        )


def _copy_rows(records: Iterable[EconomicRecord]) -> list[tuple[object, ...]]:
    return [
        (
            r.batch_id,
            r.resident_id,
            r.source.value,
            r.kind,
            r.amount,
            r.count,
            r.detail,
            r.period_start,
            r.period_end,
        )
        for r in records
    ]


@dataclass
class _MemoryBatch:
    batch_id: str
    source: RecordSource
    sha256: str
    records: list[EconomicRecord] = field(default_factory=list)


class InMemoryEconomicRecords:
    """In-memory twin of :class:`PgEconomicRecords` for unit tests; passes the same contract tests."""

    def __init__(self) -> None:
        self._batches: list[_MemoryBatch] = []  # in import order

    async def find(self, resident_ids: Sequence[str]) -> list[EconomicRecord]:
        """See :meth:`EconomicRecordsPort.find`."""
        wanted = {normalise_resident_id(r) for r in resident_ids}
        current: dict[tuple[str, RecordSource], str] = {}
        for batch in self._batches:  # later batches overwrite earlier ones: the latest wins
            for rec in batch.records:
                if rec.resident_id in wanted:
                    current[(rec.resident_id, rec.source)] = batch.batch_id
        return [
            rec
            for batch in self._batches
            for rec in batch.records
            if current.get((rec.resident_id, rec.source)) == batch.batch_id
        ]

    async def import_csv(self, path: Path, source: RecordSource, imported_by: str) -> ImportResult:
        """See :meth:`PgEconomicRecords.import_csv`."""
        data = await asyncio.to_thread(path.read_bytes)
        prep = _prepare(data, source, imported_by)
        for batch in self._batches:
            if batch.sha256 == prep.sha256:
                return ImportResult(
                    batch.batch_id,
                    batch.source,
                    len(batch.records),
                    already_imported=True,
                    file_sha256=prep.sha256,
                )
        records = parse_extract(data, source, prep.batch_id)
        self._batches.append(_MemoryBatch(prep.batch_id, source, prep.sha256, records))
        return ImportResult(
            prep.batch_id, source, len(records), already_imported=False, file_sha256=prep.sha256
        )

    def add(self, records: Iterable[EconomicRecord]) -> None:
        """Store records directly, as one batch per distinct ``batch_id`` (test set-up without a file)."""
        for rec in records:
            batch = next((b for b in self._batches if b.batch_id == rec.batch_id), None)
            if batch is None:
                batch = _MemoryBatch(rec.batch_id, rec.source, sha256=f"added:{rec.batch_id}")
                self._batches.append(batch)
            batch.records.append(rec)
