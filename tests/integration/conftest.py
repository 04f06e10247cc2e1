"""Fixtures shared by the integration tests (real PostgreSQL through ``pg_pool``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest


@pytest.fixture
async def staff(pg_pool: asyncpg.Pool) -> AsyncIterator[str]:
    """A staff id unique to the test; every calendar override and year it entered is removed afterwards."""
    by = f"test-{uuid.uuid4().hex[:10]}"
    yield by
    await pg_pool.execute("DELETE FROM calendar_overrides WHERE created_by = $1", by)
    await pg_pool.execute("DELETE FROM calendar_years WHERE created_by = $1", by)
