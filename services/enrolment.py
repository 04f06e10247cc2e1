"""高龄津贴 proactive enrolment (主动发现; SPEC §6.3) from a hukou extract, in bounded, resumable batches.

The extract is a UTF-8 CSV ``resident_id,name,village_code`` (the public-security hukou data the county receives).
Everyone who has reached the first age band of the parameters in force (the birth date from the ID number,
SPEC §10.1) gets a case opened for the township to confirm — no application. The case id follows from the
person and the extract (UUID v5), its members are claimed as at the window, and its workflow id never reused:
importing the same extract twice opens each case once (the second run answers ``already_enrolled``), and a run
cut short is resumed by running it again. People below the band, outside the county or already enrolled are
counted, never listed (no personal data in the report or the logs).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import secrets
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import asyncpg
import structlog
from pydantic import BaseModel, ConfigDict, ValidationError
from temporalio.client import Client
from temporalio.common import TypedSearchAttributes

from adapters.db.cases import MemberAlreadyInCase, PgCaseMembers, RequestMismatch
from domain import commands as c
from domain.errors import DomainError, InvalidInput
from domain.household import Member, Program, Relation
from domain.identity import parse_resident_id
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.parameters import Allowances, ParameterBook, ParametersNotInForce, resolve
from domain.programmes import decide, project
from domain.programmes.old_age_allowance import rules
from services.cases import CaseAlreadyStarted, CaseGateway
from workflows.case import search_attributes_for
from workflows.models import CaseWorkflowInput

log = structlog.get_logger(__name__)

#: Cases opened per batch (bounded memory and load); each batch starts its cases ``CONCURRENCY`` at a time.
BATCH = 500
CONCURRENCY = 16
_NAMESPACE = uuid.UUID("6f1d3c1e-6b1a-4b8e-9a51-17a0a1c0e0a7")


class HukouRow(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    resident_id: str
    name: str
    village_code: str


class EnrolmentReport(BaseModel):
    """Counts per outcome: ``proposed`` (a case opened), ``already_enrolled``, ``below_band``,
    ``outside_county``, ``invalid`` (a row that does not parse; ``invalid_rows`` names its line numbers)."""

    counts: dict[str, int]
    invalid_rows: list[int] = []


def read_extract(path: Path) -> tuple[list[HukouRow], list[int]]:
    """The rows of an extract, and the line numbers of rows that do not parse (never their values)."""
    rows: list[HukouRow] = []
    invalid: list[int] = []
    with path.open(encoding="utf-8", newline="") as f:
        for line, raw in enumerate(csv.DictReader(f), start=2):
            try:
                row = HukouRow.model_validate(raw)
                rows.append(row.model_copy(update={"resident_id": parse_resident_id(row.resident_id).value}))
            except (ValidationError, InvalidInput):
                invalid.append(line)
    return rows, invalid


def case_id_for(resident_id: str, source: str, key: bytes) -> uuid.UUID:
    """One case per person and extract: the same extract imported again names the same cases. Keyed (HMAC with
    the deployment's enrolment key, :func:`id_key`): the workflow id derives from the case id, and an unkeyed hash
    of an ID number and a known source label could be reversed by trying the ID numbers of everyone aged 80+."""
    mac = hmac.new(key, f"{Program.OLD_AGE_ALLOWANCE.value}|{resident_id}|{source}".encode(), hashlib.sha256)
    return uuid.UUID(bytes=mac.digest()[:16], version=4)


def id_key(path: Path) -> bytes:
    """The deployment's enrolment key (32 random bytes), created on first use like the other development keys;
    production names the file (``CASEWORK_ENROLMENT_KEY_FILE``) and keeps it with the other secrets."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


def band_reached(book: ParameterBook, row: HukouRow, today: date,
                 in_force: dict[str, Allowances | None] | None = None) -> int | None:
    """The band the person has reached today, under the parameters in force for their village (None: none).
    ``in_force``: the allowances already resolved per village today (one import resolves each village once)."""
    cache = {} if in_force is None else in_force
    if row.village_code not in cache:
        cache[row.village_code] = resolve(book, row.village_code, today).values.allowances
    allowances = cache[row.village_code]
    if allowances is None:
        return None
    band = rules.band_for(rules.birth_date(row.resident_id), today, allowances)
    return band.min_age if band else None


async def enrol(pool: asyncpg.Pool, temporal: Client, task_queue: str, book: ParameterBook, rows: Iterable[HukouRow],
                source: str, now: datetime, *, key: bytes, index: bool = True) -> Counter[str]:
    """Open a case for everyone in ``rows`` who has reached a band; batch by batch (see the module).

    ``index``: keep the cases' search attributes (off only on a server without them: the time-skipping one)."""
    counts: Counter[str] = Counter()
    today = now.date()
    batch: list[HukouRow] = []
    in_force: dict[str, Allowances | None] = {}
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            counts += await _batch(pool, temporal, task_queue, book, batch, source, now, today, index, key, in_force)
            batch = []
    if batch:
        counts += await _batch(pool, temporal, task_queue, book, batch, source, now, today, index, key, in_force)
    log.info("enrolment.imported", **counts)
    return counts


async def _batch(pool: asyncpg.Pool, temporal: Client, task_queue: str, book: ParameterBook, rows: list[HukouRow],
                 source: str, now: datetime, today: date, index: bool, key: bytes,
                 in_force: dict[str, Allowances | None]) -> Counter[str]:
    gate = asyncio.Semaphore(CONCURRENCY)
    cases = CaseGateway(temporal, task_queue)

    async def one(row: HukouRow) -> str:
        async with gate:
            return await _enrol_one(pool, cases, book, row, source, now, today, index, key, in_force)

    return Counter(await asyncio.gather(*(one(r) for r in rows)))


async def _enrol_one(pool: asyncpg.Pool, cases: CaseGateway, book: ParameterBook, row: HukouRow, source: str,
                     now: datetime, today: date, index: bool, key: bytes,
                     in_force: dict[str, Allowances | None]) -> str:
    try:
        band = band_reached(book, row, today, in_force)
    except ParametersNotInForce:
        return "outside_county"
    if band is None:
        return "below_band"
    case_id = case_id_for(row.resident_id, source, key)
    command = c.ProposeEnrolment(program=Program.OLD_AGE_ALLOWANCE, village_code=row.village_code,
                                 member=Member(name=row.name, resident_id=row.resident_id,
                                               relation=Relation.APPLICANT),
                                 band_min_age=band, source=source[:100])
    try:
        state = project(decide(None, command, DecisionContext(now=now, actor=SYSTEM_ACTOR, case_id=case_id)))
    except DomainError:
        return "invalid"
    digest = hashlib.sha256(f"{case_id}|{source}".encode()).hexdigest()
    try:
        await PgCaseMembers(pool).claim(case_id, Program.OLD_AGE_ALLOWANCE.value, [row.resident_id],
                                        actor_id=SYSTEM_ACTOR.id, request_sha256=digest)
    except (MemberAlreadyInCase, RequestMismatch):
        return "already_enrolled"
    try:
        await cases.start(CaseWorkflowInput(case_id=case_id, actor=SYSTEM_ACTOR, submitted_at=now, application=command,
                                            index_in_visibility=index),
                          search_attributes_for(state) if index else TypedSearchAttributes.empty)
    except CaseAlreadyStarted:
        return "already_enrolled"
    return "proposed"
