"""一门受理 in PostgreSQL (migration 0018): intakes with their screening, and the cases opened from them."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

from domain.actors import Actor


class IntakeProgramOpened(Exception):
    """A case of that programme was opened from the intake already."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__("a case of that programme was opened from the intake already")
        self.case_id = case_id


class PgIntakes:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, intake_id: UUID, village_code: str, township_code: str, actor: Actor,
                     parameter_set_version: str, household: dict[str, Any], screening: list[dict[str, Any]]) -> None:
        await self._pool.execute(
            "INSERT INTO intakes (intake_id, village_code, township_code, actor_id, actor_role, "
            "parameter_set_version, household, screening) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (intake_id) DO NOTHING",
            intake_id, village_code, township_code, actor.id, actor.role.value, parameter_set_version,
            json.dumps(household, ensure_ascii=False), json.dumps(screening, ensure_ascii=False))

    async def get(self, intake_id: UUID) -> dict[str, Any] | None:
        row = await self._pool.fetchrow("SELECT * FROM intakes WHERE intake_id = $1", intake_id)
        if row is None:
            return None
        out = dict(row)
        out["household"] = json.loads(out["household"]) if isinstance(out["household"], str) else out["household"]
        out["screening"] = json.loads(out["screening"]) if isinstance(out["screening"], str) else out["screening"]
        return out

    async def cases(self, intake_id: UUID) -> list[dict[str, Any]]:
        """The cases opened from the intake, with where each stands now (the read model)."""
        rows = await self._pool.fetch(
            "SELECT ic.program, ic.case_id, ic.opened_at, c.stage, c.outcome, c.pending_step, ic.person "
            "FROM intake_cases ic LEFT JOIN cases c ON c.case_id = ic.case_id "
            "WHERE ic.intake_id = $1 ORDER BY ic.opened_at", intake_id)
        return [dict(r) for r in rows]

    async def link(self, intake_id: UUID, program: str, case_id: UUID, actor_id: str, person: str = "") -> None:
        """Record the case opened from the intake for ``program`` (again for the same case: nothing changes) —
        for ``person`` (the applicant's resident ID number) where the programme is applied for by one person,
        else for the household (``""``).

        Raises:
            IntakeProgramOpened: another case of the programme (for that person) was opened from it.
        """
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO intake_cases (intake_id, program, person, case_id, opened_by) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", intake_id, program, person, case_id, actor_id)
            current = await conn.fetchval(
                "SELECT case_id FROM intake_cases WHERE intake_id = $1 AND program = $2 AND person = $3",
                intake_id, program, person)
        if current != case_id:
            raise IntakeProgramOpened(current)

    async def unlink(self, intake_id: UUID, program: str, case_id: UUID) -> None:
        await self._pool.execute("DELETE FROM intake_cases WHERE intake_id = $1 AND program = $2 AND case_id = $3",
                                 intake_id, program, case_id)
