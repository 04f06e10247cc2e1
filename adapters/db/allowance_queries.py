"""The 高龄津贴 survival-check due list (生存认证; issue 17 item 5; SPEC §6.3): the cases inside the caller's
jurisdiction whose annual check falls due within a window, or is past due, and those whose payment is held for a
missed check (held, not stopped). Read from the ``cases`` read model (the pending step ``survival_check`` and its
due date, as the programme's ``pending`` writes them). Rows carry the person's name, like the work queue: the
console shows them to staff only; nothing is logged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from adapters.db.case_queries import _narrowest, _scope

_DUE = """
SELECT case_id, village_code, township_code, stage, pending_due, monthly_amount,
       state -> 'members' -> 0 ->> 'name' AS name, state ->> 'held_from_month' AS held_from_month
FROM cases
WHERE {scope} AND program = 'old_age_allowance' AND pending_step = 'survival_check'
  AND (stage = 'payment_held' OR pending_due <= $2)
ORDER BY (stage = 'payment_held') DESC, pending_due ASC NULLS LAST, case_id
LIMIT $3
"""


class SurvivalCheckDue(BaseModel):
    """One person whose survival check is due (or missed: ``held``), with the monthly allowance at stake."""

    case_id: UUID
    village_code: str
    township_code: str
    stage: str
    pending_due: date | None
    monthly_amount: Decimal | None
    name: str | None
    held_from_month: str | None

    @property
    def held(self) -> bool:
        return self.stage == "payment_held"


async def survival_checks_due(pool: asyncpg.Pool, jurisdiction: str, until: date, *,
                              limit: int = 500) -> list[SurvivalCheckDue]:
    """Held cases first, then the checks due on or before ``until`` (overdue ones first), at most ``limit``."""
    code = _narrowest(jurisdiction)
    if code is None:
        return []
    rows = await pool.fetch(_DUE.format(scope=_scope(code)), code, until, limit)
    return [SurvivalCheckDue(**dict(r)) for r in rows]
