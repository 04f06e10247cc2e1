"""The tamper-evident audit ledger (issue 6 item 2): one hash chain of every decision, refusal and audit read,
appended once per key, that the application's role cannot change, and that `casework audit verify` checks."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio

from adapters.audit.chain import Algorithm, EntryKind, digest
from adapters.audit.checkpoints import check_checkpoints, read_checkpoints, take_checkpoint, verify_key
from adapters.audit.ledger import Ledger, actor_entry, verify_ledger
from adapters.db.cases import PgCaseStore
from adapters.db.pool import create_pool
from adapters.settings import Settings
from domain.actors import Actor, Role
from domain.programmes import decide, project
from tests.builders import application, ctx
from tests.databases import migrated_database
from tests.env import subprocess_env

REPO = Path(__file__).resolve().parents[2]
CASEWORK = str(Path(sys.executable).with_name("casework"))
AUDITOR = Actor(id="aud-01", role=Role.AUDITOR, jurisdiction="532302")


@pytest_asyncio.fixture
async def ledger_db(pg_admin_uri: str) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    dsn = await migrated_database(pg_admin_uri, "casework_ledger")
    pool = await create_pool(dsn, min_size=1, max_size=8)
    try:
        yield dsn, pool
    finally:
        await pool.close()


async def _populate(pool: asyncpg.Pool, cases: int = 25, algorithm: Algorithm = Algorithm.SHA256) -> list[uuid.UUID]:
    """Real cases recorded through the case store (each event → a decision entry), plus refusals and reads."""
    store = PgCaseStore(pool, Ledger(algorithm))
    ledger = Ledger(algorithm)
    ids = []
    for _ in range(cases):
        c = ctx(case_id=uuid.uuid4())
        events = decide(None, application(unique=True), c)
        state = project(events)
        assert state is not None
        await store.record(state, events)
        ids.append(c.case_id)
        await ledger.append_now(pool, [actor_entry(EntryKind.ACCESS, f"access:{uuid.uuid4()}", AUDITOR,
                                                   {"action": "trail", "via": "test"}, c.case_id)])
    return ids


async def test_every_recorded_event_is_in_the_ledger_once_even_when_the_write_is_retried(
    ledger_db: tuple[str, asyncpg.Pool],
) -> None:
    """Idempotent under activity retries: keyed by case and sequence, never by run."""
    _, pool = ledger_db
    store = PgCaseStore(pool)
    c = ctx(case_id=uuid.uuid4())
    events = decide(None, application(unique=True), c)
    state = project(events)
    assert state is not None

    await store.record(state, events)
    await store.record(state, events)

    rows = await pool.fetch("SELECT entry_key, kind, seq FROM audit_ledger WHERE case_id = $1", c.case_id)
    assert [(r["entry_key"], r["kind"], r["seq"]) for r in rows] == [(f"decision:{c.case_id}:1", "decision", 1)]
    assert (await verify_ledger(pool)).ok


async def test_concurrent_writers_build_one_unbroken_chain(ledger_db: tuple[str, asyncpg.Pool]) -> None:
    _, pool = ledger_db
    ledger = Ledger()

    async def write(i: int) -> None:
        await ledger.append_now(pool, [actor_entry(EntryKind.ACCESS, f"access:{i}:{j}", AUDITOR, {"i": i, "j": j})
                                       for j in range(3)])

    await asyncio.gather(*(write(i) for i in range(40)))

    result = await verify_ledger(pool)
    assert result.ok, result.as_dict()
    assert result.entries == 120
    assert await pool.fetchval("SELECT max(position) FROM audit_ledger") == 120


async def test_an_sm3_chain_and_a_chain_that_switched_algorithm_both_verify(
    ledger_db: tuple[str, asyncpg.Pool],
) -> None:
    """SM3 (GB/T 32905-2016) for deployments under the commercial-cryptography rules; each entry keeps its own."""
    _, pool = ledger_db
    assert digest(Algorithm.SM3, b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    await _populate(pool, cases=3, algorithm=Algorithm.SHA256)
    await _populate(pool, cases=3, algorithm=Algorithm.SM3)

    assert {r["algorithm"] for r in await pool.fetch("SELECT algorithm FROM audit_ledger")} == {"sha256", "sm3"}
    assert (await verify_ledger(pool)).ok


async def test_the_ledger_refuses_update_delete_and_truncate_from_the_application(
    ledger_db: tuple[str, asyncpg.Pool],
) -> None:
    """Append-only for the connection the application uses (here a superuser, as embedded): triggers refuse."""
    _, pool = ledger_db
    await _populate(pool, cases=1)
    for statement in ("UPDATE audit_ledger SET actor_id = 'x'", "DELETE FROM audit_ledger",
                      "TRUNCATE audit_ledger"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await pool.execute(statement)
    assert (await verify_ledger(pool)).ok


async def test_an_ordinary_role_may_append_but_not_change_alter_or_drop_the_ledger(
    ledger_db: tuple[str, asyncpg.Pool],
) -> None:
    """How production runs the application (README "Audit"): an ordinary role with SELECT and INSERT; the
    ledger belongs to a role nobody logs in as, so its triggers cannot be disabled by the application."""
    dsn, pool = ledger_db
    role = f"app_{uuid.uuid4().hex[:8]}"
    await pool.execute(f"CREATE ROLE {role} LOGIN")
    await pool.execute(f"GRANT SELECT, INSERT ON audit_ledger TO {role}")
    parts = urlsplit(dsn)
    netloc = f"{role}@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    conn = await asyncpg.connect(urlunsplit(parts._replace(netloc=netloc)))
    try:
        assert await conn.fetchval("SELECT current_user") == role
        async with conn.transaction():
            await Ledger().append(conn, [actor_entry(EntryKind.ACCESS, "access:by-app", AUDITOR, {"a": 1})])
        for statement in ("UPDATE audit_ledger SET actor_id = 'x'", "DELETE FROM audit_ledger",
                          "TRUNCATE audit_ledger", "ALTER TABLE audit_ledger DISABLE TRIGGER USER",
                          "DROP TABLE audit_ledger"):
            with pytest.raises((asyncpg.InsufficientPrivilegeError, asyncpg.exceptions.InsufficientPrivilegeError)):
                await conn.execute(statement)
    finally:
        await conn.close()
    assert await pool.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_ledger'") == \
        "casework_ledger_owner"
    assert (await verify_ledger(pool)).ok


# --- tampering, as a superuser outside the application --------------------------------------------------------


async def _as_superuser(pool: asyncpg.Pool, sql: str, *args: Any) -> None:
    """Triggers off for this session only (session_replication_role needs a superuser): the attacker's view."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql, *args)


_COLUMNS = {  # column → a change of one row's value
    "content": "content = content || ' '",
    "entry_hash": "entry_hash = translate(entry_hash, '0123456789abcdef', '123456789abcdef0')",
    "prev_hash": "prev_hash = translate(prev_hash, '0123456789abcdef', '123456789abcdef0')",
    "actor_id": "actor_id = actor_id || 'x'",
    "actor_role": "actor_role = 'county_approver'",
    "recorded_at": "recorded_at = recorded_at + interval '1 microsecond'",
    "kind": "kind = CASE kind WHEN 'access' THEN 'refusal' ELSE 'access' END",
    "entry_key": "entry_key = entry_key || '#'",
    "seq": "seq = coalesce(seq, 0) + 1",
    "case_id": "case_id = gen_random_uuid()",
    "algorithm": "algorithm = CASE algorithm WHEN 'sha256' THEN 'sm3' ELSE 'sha256' END",
}


async def _tamper(pool: asyncpg.Pool, position: int, how: str) -> dict[str, Any]:
    """Tamper with one row; returns what is needed to put it back."""
    row = dict(await pool.fetchrow("SELECT * FROM audit_ledger WHERE position = $1", position))
    if how == "delete":
        await _as_superuser(pool, "DELETE FROM audit_ledger WHERE position = $1", position)
    else:
        await _as_superuser(pool, f"UPDATE audit_ledger SET {_COLUMNS[how]} WHERE position = $1", position)
    return row


async def _restore(pool: asyncpg.Pool, row: dict[str, Any]) -> None:
    await _as_superuser(pool, "DELETE FROM audit_ledger WHERE position = $1", row["position"])
    cols = list(row)
    await _as_superuser(pool, f"INSERT INTO audit_ledger ({', '.join(cols)}) "
                              f"VALUES ({', '.join(f'${i}' for i in range(1, len(cols) + 1))})", *row.values())


def _settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var")


async def test_a_hundred_random_single_row_tamperings_are_all_detected_and_located(
    ledger_db: tuple[str, asyncpg.Pool], tmp_path: Path,
) -> None:
    """Any one row changed in any column, or removed (the newest one included, caught by the signed
    checkpoint), is found, and the first break named is that row."""
    _, pool = ledger_db
    await _populate(pool, cases=20)
    settings = _settings(tmp_path)
    await take_checkpoint(pool, settings)
    checkpoints = read_checkpoints(settings.effective_ledger_checkpoint_dir)
    key = verify_key(settings)
    head = await pool.fetchval("SELECT max(position) FROM audit_ledger")
    rng = random.Random(20261129)
    kinds = [*_COLUMNS, "delete"]
    for trial in range(100):
        position, how = rng.randint(1, head), kinds[trial % len(kinds)]
        original = await _tamper(pool, position, how)
        try:
            result = await verify_ledger(pool, check_events=False)
            cp_problems = await check_checkpoints(pool, checkpoints, key)
            if result.broken is not None:
                assert result.broken.position == position, (trial, how, position, result.as_dict())
            else:  # only the newest row's removal leaves the chain itself intact
                assert (how, position) == ("delete", head), (trial, how, position)
                assert cp_problems == [{"position": head, "problem": "entry_missing_since_checkpoint"}]
        finally:
            await _restore(pool, original)
    assert (await verify_ledger(pool)).ok


async def test_a_rewritten_tail_passes_the_chain_but_not_the_signed_checkpoint(
    ledger_db: tuple[str, asyncpg.Pool], tmp_path: Path,
) -> None:
    """Whoever holds the database can recompute every hash from a changed entry on; the checkpoint, signed
    with a key the database operator does not hold, still catches it. A forged checkpoint is refused."""
    _, pool = ledger_db
    await _populate(pool, cases=5)
    settings = _settings(tmp_path)
    cp = await take_checkpoint(pool, settings)
    assert cp is not None
    rows = [dict(r) for r in await pool.fetch("SELECT * FROM audit_ledger WHERE position >= 3 ORDER BY position")]
    from adapters.audit.chain import seal

    prev = await pool.fetchval("SELECT entry_hash FROM audit_ledger WHERE position = 2")
    for i, row in enumerate(rows):
        content = row["content"] + (" " if i == 0 else "")
        entry = seal(position=row["position"], entry_key=row["entry_key"], kind=row["kind"],
                     case_id=str(row["case_id"]) if row["case_id"] else None, seq=row["seq"],
                     actor_id=row["actor_id"], actor_role=row["actor_role"], recorded_at=row["recorded_at"],
                     content=content, algorithm=Algorithm(row["algorithm"]), prev_hash=prev)
        prev = entry.entry_hash
        await _as_superuser(pool, "UPDATE audit_ledger SET content = $2, prev_hash = $3, entry_hash = $4 "
                                  "WHERE position = $1", row["position"], content, entry.prev_hash, entry.entry_hash)

    assert (await verify_ledger(pool, check_events=False)).broken is None
    problems = await check_checkpoints(pool, read_checkpoints(settings.effective_ledger_checkpoint_dir),
                                       verify_key(settings))
    assert problems == [{"position": cp.position, "problem": "entry_differs_from_checkpoint"}]

    forged = cp.model_copy(update={"entry_hash": prev})
    assert await check_checkpoints(pool, [forged], verify_key(settings)) == [
        {"position": cp.position, "problem": "checkpoint_signature_invalid"}]


async def test_changed_removed_or_added_events_are_found_against_the_ledger(
    ledger_db: tuple[str, asyncpg.Pool],
) -> None:
    """The ledger pins every recorded event by digest: case_events cannot be edited behind its back."""
    _, pool = ledger_db
    changed, removed, *_ = await _populate(pool, cases=4)
    await _as_superuser(pool, "UPDATE case_events SET payload = jsonb_set(payload, '{reason}', '\"改过\"') "
                              "WHERE case_id = $1", changed)
    await _as_superuser(pool, "DELETE FROM case_events WHERE case_id = $1", removed)
    added = uuid.uuid4()
    await _as_superuser(pool, "INSERT INTO case_events SELECT $1, seq, type, at, actor_id, actor_role, "
                              "actor_jurisdiction, payload, recorded_at FROM case_events LIMIT 1", added)

    result = await verify_ledger(pool)

    assert result.broken is None
    assert sorted((p["case_id"], p["problem"]) for p in result.event_problems) == sorted([
        (str(changed), "event_changed"), (str(removed), "event_missing"), (str(added), "event_not_in_ledger")])


async def test_casework_audit_verify_names_the_tampered_row_and_exits_non_zero(
    ledger_db: tuple[str, asyncpg.Pool], tmp_path: Path,
) -> None:
    dsn, pool = ledger_db
    await _populate(pool, cases=6)
    env = subprocess_env() | {
        "CASEWORK_DATABASE_URL": dsn, "CASEWORK_VAR_DIR": str(tmp_path / "var"), "CASEWORK_LOG_JSON": "true"}

    def audit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CASEWORK, "audit", *args], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=120)

    clean = await asyncio.to_thread(audit, "verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "OK" in clean.stdout
    assert (await asyncio.to_thread(audit, "checkpoint")).returncode == 0

    await _tamper(pool, 7, "actor_id")
    broken = await asyncio.to_thread(audit, "verify", "--json")

    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["first_break"]["position"] == 7
    assert report["first_break"]["problem"] == "content_changed"
    assert report["checkpoints"] == 1
    text = await asyncio.to_thread(audit, "verify")
    assert "BROKEN at entry 7" in text.stdout and text.returncode == 1


def test_recorded_at_is_hashed_to_the_microsecond() -> None:
    """The instant PostgreSQL keeps is the instant hashed (a change of one microsecond is a change)."""
    from datetime import UTC, datetime

    from adapters.audit.chain import entry_hash

    at = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)
    fields: dict[str, Any] = dict(position=1, entry_key="k", kind="access", case_id=None, seq=None, actor_id="a",
                                  actor_role="auditor", content="{}", algorithm="sha256", prev_hash="0" * 64)
    assert entry_hash(recorded_at=at, **fields) != entry_hash(recorded_at=at + timedelta(microseconds=1), **fields)
