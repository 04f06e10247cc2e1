"""The cases in payment, read page by page from the read model (``cases``), for the standard-change
preview and the mass recalculation.

Keyset paging (``case_id > after ORDER BY case_id LIMIT n``) on the partial index ``cases_active_idx``: each
page costs the same however far the cursor has gone, and a case whose stage changes between pages is neither
skipped nor read twice because of it (the order is by id, not by anything that changes). Each state is read as
JSON text and validated straight from it (``parse_state`` of the text: no intermediate dict).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict

from domain.programmes import REGISTRY, CaseState, parse_state

#: Before any case id (a random case id is never the nil UUID).
START = UUID(int=0)

# The stage list is spelt out (not a parameter) so the planner can use the partial index cases_active_idx
# (migrations 0007, 0021), whose predicate names exactly these stages.
_ACTIVE_SQL_STAGES = frozenset({
    "in_payment", "under_review", "gradual_exit",
    "termination_proposed", "termination_publicity", "termination_objection", "termination_investigation",
    "termination_decision",
})
if {s.value for p in REGISTRY.values() for s in p.active_stages} != _ACTIVE_SQL_STAGES:  # pragma: no cover
    # guards a new programme or stage: the partial index (a new migration) and this list must name them too
    raise RuntimeError("adapters/db/active_cases.py lists other stages than the programmes' active_stages")

_PAGE_IDS = """
SELECT case_id FROM cases
WHERE stage IN ('in_payment', 'under_review', 'gradual_exit', 'termination_proposed', 'termination_publicity',
                'termination_objection', 'termination_investigation', 'termination_decision')
  AND case_id > $1 AND starts_with(village_code, $2)
ORDER BY case_id
LIMIT $3
"""

_VILLAGES = "SELECT case_id, village_code FROM cases WHERE case_id = ANY($1::uuid[])"

# ``state::text``: the JSON text as PostgreSQL prints it, validated by pydantic in one pass
# (``validate_json``) instead of decoded to a dict by the pool's JSON codec and validated from the dict —
# the same validation, about half the time per state, and the preview's largest cost (issue 18).
_PAGE_ROWS = """
SELECT case_id, township_code, village_code, state::text AS state FROM cases
WHERE stage IN ('in_payment', 'under_review', 'gradual_exit', 'termination_proposed', 'termination_publicity',
                'termination_objection', 'termination_investigation', 'termination_decision')
  AND case_id > $1 AND starts_with(village_code, $2)
ORDER BY case_id
LIMIT $3
"""


class ActiveCase(BaseModel):
    """An active case as the read model holds it. ``state`` is None for a row written before the read model
    kept the state (it is filled at the case's next transition)."""

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    township_code: str
    village_code: str
    state: CaseState | None


class PgActiveCases:
    """Reads active cases. Does not own the pool it is given and never closes it.

    Args:
        pool: an asyncpg pool with the JSON codecs of :func:`adapters.db.pool.create_pool`.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def villages(self, case_ids: list[UUID]) -> dict[UUID, str]:
        """The village code of each of ``case_ids`` the read model holds (one query for a batch)."""
        rows = await self._pool.fetch(_VILLAGES, case_ids)
        return {r["case_id"]: r["village_code"] for r in rows}

    async def ids(self, after: UUID | None, limit: int, within: str = "") -> list[UUID]:
        """The ids of the next ``limit`` active cases after ``after``, in id order.

        Args:
            after: the last id of the previous page, or None for the first page.
            limit: the page size (1 or more).
            within: a division code the cases' villages must lie in ("" for all).

        Returns:
            Up to ``limit`` case ids; fewer (or none) at the end.
        """
        rows = await self._pool.fetch(_PAGE_IDS, after or START, within, limit)
        return [r["case_id"] for r in rows]

    async def page(self, after: UUID | None, limit: int, within: str = "") -> list[ActiveCase]:
        """The next ``limit`` active cases after ``after``, with their states parsed (see :meth:`ids`)."""
        return [_active_case(r) for r in await self._rows(after, limit, within)]

    async def all(self, within: str = "", page_size: int = 500) -> AsyncIterator[ActiveCase]:
        """Every active case in ``within``, page by page, in id order.

        Each case's state is parsed as the case is yielded, not a page at a time: a caller that keeps only what
        it computes from a state (the preview keeps a row) lets each state die young. A page of parsed states
        alive together outlived the collector's young generations and made it sweep the process's whole heap
        again and again (most of the preview's time before issue 18)."""
        after: UUID | None = None
        while True:
            rows = await self._rows(after, page_size, within)
            for row in rows:
                yield _active_case(row)
            if len(rows) < page_size:
                return
            after = rows[-1]["case_id"]

    async def _rows(self, after: UUID | None, limit: int, within: str) -> list[asyncpg.Record]:
        return await self._pool.fetch(_PAGE_ROWS, after or START, within, limit)  # type: ignore[no-any-return]


def _active_case(r: asyncpg.Record) -> ActiveCase:
    return ActiveCase(
        case_id=r["case_id"],
        township_code=r["township_code"],
        village_code=r["village_code"],
        state=parse_state(r["state"]) if r["state"] is not None else None,
    )
