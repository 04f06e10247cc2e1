"""asyncpg pool factory. The caller owns the pool and closes it."""

from __future__ import annotations

import json

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Register the JSON codecs once per connection so repositories pass dicts, not strings.
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(
            typ, encoder=lambda v: json.dumps(v, ensure_ascii=False), decoder=json.loads, schema="pg_catalog"
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """A connection going back to the pool: nothing to send. asyncpg still rolls back a transaction left open
    and drops listeners before this runs; its default reset would also send ``pg_advisory_unlock_all(); CLOSE
    ALL; UNLISTEN *; RESET ALL`` — a round trip per acquire (every API request, every recorded decision; issue
    18) for session state this project never leaves behind: locks are transaction-scoped (the migration runner's
    session lock is released in its ``finally``), cursors live in transactions, nothing LISTENs, nothing runs
    a session-level ``SET``. Code that does any of these must undo it before releasing the connection."""


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool with the JSON codecs registered.

    Args:
        dsn: a ``postgresql://`` URL.
        min_size: minimum connections.
        max_size: maximum connections.

    Returns:
        The open pool; close it with ``await pool.close()``.
    """
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=30,
        reset=_keep_session,
    )
    assert pool is not None  # asyncpg types it Optional; it is never None when awaited
    return pool


def with_database(dsn: str, database: str) -> str:
    """The same server URL pointing at another database (Unix-socket URLs keep their ``host=`` query)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def ensure_database(admin_dsn: str, database: str) -> str:
    """Create ``database`` on the server if it does not exist (embedded server only).

    Args:
        admin_dsn: a URL to a database we may connect to as a superuser (``postgres``).
        database: the name; a plain identifier.

    Returns:
        The URL of ``database``.
    """
    if not database.replace("_", "").isalnum():
        raise ValueError("database name must be a plain identifier")
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            # CREATE DATABASE takes no parameters; the name was checked to be a plain identifier above.
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    return with_database(admin_dsn, database)
