"""特困 read-model queries: beds taken in each institution and its waiting list (S4 Art. 19), the township's
submissions awaiting the county's random check and the draws recorded (S3 Art. 16)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

#: Stages in which a case no longer holds a bed or a place on a waiting list.
_RELEASED = ("rejected", "withdrawn", "terminated_noncooperation", "terminated")

_OCCUPIED = f"""
SELECT count(*) FROM cases
WHERE program = 'tekun' AND state ->> 'institution_id' = $1 AND stage NOT IN {_RELEASED!r}
  AND case_id <> $2
"""

_WAITING = f"""
SELECT case_id, village_code, (state ->> 'waiting_since')::timestamptz AS waiting_since FROM cases
WHERE program = 'tekun' AND state ->> 'waiting_for' = $1 AND stage NOT IN {_RELEASED!r}
  AND starts_with(village_code, $2)
ORDER BY waiting_since, case_id
"""

_AWAITING_DRAW = """
SELECT case_id FROM cases
WHERE program = 'tekun' AND township_code = $1 AND stage IN ('submitted_to_county', 'county_review')
  AND coalesce(state -> 'drawn_for_county_check', 'null'::jsonb) = 'null'::jsonb
ORDER BY case_id
"""

_INSERT_DRAW = """
INSERT INTO tekun_county_check_draws
  (draw_id, township_code, seed, rate, parameter_set_version, drawn_by, drawn_by_role, drawn_at, batch, drawn)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""

_GET_DRAW = "SELECT * FROM tekun_county_check_draws WHERE draw_id = $1"


async def lock_institution(conn: asyncpg.Connection, institution_id: str) -> None:
    """Serialise placements into one institution for the rest of the transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"tekun-bed:{institution_id}")


async def occupied(conn: asyncpg.Connection | asyncpg.Pool, institution_id: str,
                   except_case: UUID | None = None) -> int:
    """Beds taken in the institution by cases still supported or being decided (``except_case`` not counted)."""
    return int(await conn.fetchval(_OCCUPIED, institution_id, except_case or UUID(int=0)))


async def waiting_list(conn: asyncpg.Connection | asyncpg.Pool, institution_id: str,
                       within: str = "") -> list[dict[str, Any]]:
    """The cases waiting for a bed, first come first, inside the division ``within`` (a code prefix)."""
    return [dict(r) for r in await conn.fetch(_WAITING, institution_id, within)]


async def awaiting_draw(pool: asyncpg.Pool, township_code: str) -> list[UUID]:
    """The township's 特困 submissions at the county not yet in a random-check draw."""
    return [r["case_id"] for r in await pool.fetch(_AWAITING_DRAW, township_code)]


async def record_draw(pool: asyncpg.Pool, *, draw_id: UUID, township_code: str, seed: str, rate: Decimal,
                      parameter_set_version: str, drawn_by: str, drawn_by_role: str, drawn_at: datetime,
                      batch: list[UUID], drawn: list[UUID]) -> None:
    await pool.execute(_INSERT_DRAW, draw_id, township_code, seed, rate, parameter_set_version, drawn_by,
                       drawn_by_role, drawn_at, batch, drawn)


async def get_draw(pool: asyncpg.Pool, draw_id: UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow(_GET_DRAW, draw_id)
    return dict(row) if row else None
