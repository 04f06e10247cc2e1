"""Read-model queries for the daily review sweep (issue 4): due-but-unopened reviews and overdue ones.

Only the ``cases`` table is read (migrations 0001 and 0007); nothing is written here. A case's periodic
review is *due but unopened* while its row is still in stage ``in_payment`` with ``next_review_due`` on or
before the sweep's day: the case's own timer opens it at the start of that day, so a row found here belongs to
a case whose workflow was down, stuck or reset. Rows carry ids, dates and township codes only, never personal
data.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple, Protocol
from uuid import UUID

import asyncpg

#: Keyset paging by case id (stable while the sweep opens reviews: an opened case drops out of the set, and a
#: case that failed to open is passed by, never fetched again in the same sweep). ``cases_review_due_idx``
#: (partial on stage = 'in_payment') serves the due-date range.
_DUE_UNOPENED = """
SELECT case_id, next_review_due
FROM cases
WHERE stage = 'in_payment' AND next_review_due <= $1 AND case_id > $2
ORDER BY case_id
LIMIT $3
"""

_DUE_UNOPENED_BY_TOWNSHIP = """
SELECT township_code, count(*) AS n
FROM cases
WHERE stage = 'in_payment' AND next_review_due <= $1
GROUP BY township_code
ORDER BY township_code
"""

_OVERDUE_BY_TOWNSHIP = """
SELECT township_code, count(*) AS n
FROM cases
WHERE stage = 'under_review' AND overdue
GROUP BY township_code
ORDER BY township_code
"""

#: Below every random (version 4) case id: the start of the first page.
FIRST_PAGE = UUID(int=0)


class DueReviewRow(NamedTuple):
    case_id: UUID
    next_review_due: date


class ReviewSweepQueries(Protocol):
    """Port for the sweep's reads."""

    async def due_unopened(self, as_of: date, after: UUID, limit: int) -> list[DueReviewRow]: ...

    async def due_unopened_by_township(self, as_of: date) -> dict[str, int]: ...

    async def overdue_reviews_by_township(self) -> dict[str, int]: ...


class PgReviewSweepQueries:
    """The sweep's reads on PostgreSQL. It does not own the pool it is given and never closes it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def due_unopened(
        self, as_of: date, after: UUID = FIRST_PAGE, limit: int = 100
    ) -> list[DueReviewRow]:
        """One page of cases in payment whose periodic review fell due on or before ``as_of``.

        Args:
            as_of: the sweep's day (China date).
            after: the last case id of the previous page (:data:`FIRST_PAGE` for the first).
            limit: the page size (at least 1).

        Returns:
            Up to ``limit`` rows ordered by case id.

        Raises:
            ValueError: ``limit`` is not positive.
        """
        if limit < 1:
            raise ValueError("limit must be positive")
        rows = await self._pool.fetch(_DUE_UNOPENED, as_of, after, limit)
        return [DueReviewRow(r["case_id"], r["next_review_due"]) for r in rows]

    async def due_unopened_by_township(self, as_of: date) -> dict[str, int]:
        """How many reviews due on or before ``as_of`` are still unopened, per township code."""
        rows = await self._pool.fetch(_DUE_UNOPENED_BY_TOWNSHIP, as_of)
        return {r["township_code"]: r["n"] for r in rows}

    async def overdue_reviews_by_township(self) -> dict[str, int]:
        """How many open reviews are overdue (an escalated deadline still open), per township code.

        ``overdue`` is the read model's current flag (written with every transition), so this counts as of
        now, whatever day a sweep runs for.
        """
        rows = await self._pool.fetch(_OVERDUE_BY_TOWNSHIP)
        return {r["township_code"]: r["n"] for r in rows}
