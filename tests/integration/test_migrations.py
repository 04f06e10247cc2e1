"""The forward-only migration runner against a real PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from adapters.db.migrate import MIGRATIONS_DIR, MigrationError, load_migrations, migrate
from adapters.db.pool import ensure_database


@pytest.fixture
async def empty_db(pg_admin_uri: str):
    dsn = await ensure_database(pg_admin_uri, f"mig_{uuid.uuid4().hex[:10]}")
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def test_all_migrations_apply_to_an_empty_database_and_are_recorded(empty_db: asyncpg.Connection) -> None:
    applied = await migrate(empty_db)

    versions = [m.version for m in load_migrations()]
    assert applied == versions
    recorded = await empty_db.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in recorded] == versions
    assert {r["checksum"] for r in recorded} == {m.checksum for m in load_migrations()}
    tables = {r["tablename"] for r in await empty_db.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert {"cases", "case_events", "schema_migrations"} <= tables


async def test_a_second_run_applies_nothing(empty_db: asyncpg.Connection) -> None:
    await migrate(empty_db)
    assert await migrate(empty_db) == []


async def test_a_new_file_is_applied_after_the_old_ones(empty_db: asyncpg.Connection, tmp_path: Path) -> None:
    for path in MIGRATIONS_DIR.glob("*.sql"):
        (tmp_path / path.name).write_text(path.read_text())
    await migrate(empty_db, tmp_path)
    (tmp_path / "9999_add_probe.sql").write_text("CREATE TABLE probe (id int);")

    assert await migrate(empty_db, tmp_path) == [9999]
    assert await empty_db.fetchval("SELECT count(*) FROM probe") == 0


async def test_an_applied_file_that_was_edited_is_refused(empty_db: asyncpg.Connection, tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first_t (id int);")
    await migrate(empty_db, tmp_path)
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first_t (id bigint);")

    with pytest.raises(MigrationError, match="forward-only"):
        await migrate(empty_db, tmp_path)


async def test_a_failing_migration_leaves_nothing_half_applied(empty_db: asyncpg.Connection, tmp_path: Path) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok_t (id int);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE half_t (id int); SELECT * FROM no_such_table;")

    with pytest.raises(asyncpg.UndefinedTableError):
        await migrate(empty_db, tmp_path)

    assert await empty_db.fetchval("SELECT to_regclass('half_t')") is None
    assert [r["version"] for r in await empty_db.fetch("SELECT version FROM schema_migrations")] == [1]


def test_misnamed_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1_bad.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="misnamed"):
        load_migrations(tmp_path)
