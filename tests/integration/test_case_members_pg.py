"""Who holds a member, and a member's earlier cases, in PostgreSQL (issue 20 item 4)."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from adapters.db.migrate import MIGRATIONS_DIR, migrate
from adapters.db.pool import ensure_database
from tests.builders import JINSHAN_VILLAGE, unique_resident_id

_CASE = """
INSERT INTO cases (case_id, workflow_id, program, stage, village_code, township_code, county_code, household_size,
                   version, opened_at, stage_since, updated_at, outcome)
VALUES ($1, $2, 'dibao', $3, $4, '532302101', '532302', 1, 5, $5, $5, $5, $6)
"""


async def test_the_migration_frees_the_members_of_cases_refused_before_it(pg_admin_uri: str, tmp_path: Path) -> None:
    """S1 Art. 21: a refusal is decided when it is recorded; members of cases refused before the rule changed,
    whose notice is still to be served, are released by the migration (0012) — an undecided case keeps its own."""
    [ours] = [int(p.name[:4]) for p in MIGRATIONS_DIR.glob("*_case_members_by_resident.sql")]
    conn = await asyncpg.connect(await ensure_database(pg_admin_uri, f"mig_{uuid.uuid4().hex[:10]}"))
    try:
        before = tmp_path / "before"
        before.mkdir()
        for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
            if int(path.name[:4]) < ours:
                shutil.copy(path, before / path.name)
        await migrate(conn, before)
        at = datetime(2026, 11, 2, 2, 30, tzinfo=UTC)
        refused, undecided = uuid.uuid4(), uuid.uuid4()
        for case_id, stage, outcome in ((refused, "rejected", "rejected"), (undecided, "investigating", None)):
            await conn.execute(_CASE, case_id, f"case-{case_id}", stage, JINSHAN_VILLAGE, at, outcome)
            await conn.execute("INSERT INTO case_members (case_id, resident_id, program) VALUES ($1, $2, 'dibao')",
                               case_id, unique_resident_id())

        assert ours in await migrate(conn)

        active = dict(await conn.fetch("SELECT case_id, active FROM case_members"))
        assert active == {refused: False, undecided: True}
    finally:
        await conn.close()
