"""Test databases on the session's PostgreSQL server."""

from __future__ import annotations

import uuid

import asyncpg

from adapters.db.migrate import migrate
from adapters.db.pool import ensure_database


async def migrated_database(admin_uri: str, prefix: str = "casework_test") -> str:
    """A new database on the server, with every migration applied; its URL."""
    dsn = await ensure_database(admin_uri, f"{prefix}_{uuid.uuid4().hex[:8]}")
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return dsn
