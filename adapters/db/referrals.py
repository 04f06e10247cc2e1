"""The referrals read model (migration 0014): referrals between programmes, listed for the receiving window and
taken up when it opens one as a new application."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

_COLUMNS = """referral_id, from_case_id, from_seq, from_program, to_program, village_code, township_code,
              county_code, member_indexes, referred_at, status, taken_case_id, taken_at"""


class ReferralTaken(Exception):
    """The referral was taken up by another application."""

    def __init__(self, case_id: UUID | None) -> None:
        super().__init__("referral already taken")
        self.case_id = case_id


class PgReferrals:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, referral_id: UUID) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM referrals WHERE referral_id = $1", referral_id)
        return dict(row) if row else None

    async def list(self, jurisdiction: str, *, status: str | None, to_program: str | None,
                   limit: int) -> list[dict[str, Any]]:
        """Referrals whose village lies in ``jurisdiction`` (a 6-, 9- or 12-digit code prefix), newest first."""
        rows = await self._pool.fetch(
            f"""SELECT {_COLUMNS} FROM referrals
                WHERE village_code LIKE $1 || '%' AND ($2::text IS NULL OR status = $2)
                  AND ($3::text IS NULL OR to_program = $3)
                ORDER BY referred_at DESC, referral_id LIMIT $4""",
            jurisdiction, status, to_program, limit)
        return [dict(r) for r in rows]

    async def take(self, referral_id: UUID, case_id: UUID, actor_id: str, at: datetime) -> None:
        """Mark the referral taken by ``case_id`` (again: nothing changes).

        Raises:
            ReferralTaken: another case took it first.
        """
        row = await self._pool.fetchrow(
            """UPDATE referrals SET status = 'taken', taken_case_id = $2, taken_at = $3, taken_by = $4
               WHERE referral_id = $1 AND (status = 'open' OR taken_case_id = $2)
               RETURNING referral_id""",
            referral_id, case_id, at, actor_id)
        if row is None:
            current = await self.get(referral_id)
            raise ReferralTaken(current["taken_case_id"] if current else None)

    async def release(self, referral_id: UUID, case_id: UUID) -> None:
        """Open the referral again after the case that took it could not be started."""
        await self._pool.execute(
            """UPDATE referrals SET status = 'open', taken_case_id = NULL, taken_at = NULL, taken_by = NULL
               WHERE referral_id = $1 AND taken_case_id = $2""", referral_id, case_id)
