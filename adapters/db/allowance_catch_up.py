"""Read-model query of the daily catch-up of 高龄津贴's own timers (issue 17 item 4; SPEC §6.3).

A case moves to the next age band on the birthday that reaches it, and its survival check's last day passing
escalates (or, for a case confirmed before the patch ``old-age-survival-escalation-v1``, holds payment): each
by the case's own timer. A row found here — a case in payment or held whose next band's birthday or whose
check's last day is on or before the catch-up's day, not yet moved or escalated by the read model — belongs to a
case whose timer has not fired (its workflow was down, stuck or reset), or to one whose row lags. Only the
``cases`` table is read (its ``state``, migration 0007; the page through ``cases_old_age_active_idx``, 0020);
rows carry case ids only, never personal data.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

#: Keyset paging by case id. The next band: the lowest recorded band age above the band paid, reached on the
#: birthday (``date + interval 'N years'``: a 29 February birthday falls on 28 February, as in the domain). The
#: survival check: in payment past its last day (the day before ``hold_on``) and not escalated yet.
_DUE = """
SELECT case_id
FROM cases
WHERE program = 'old_age_allowance' AND stage IN ('in_payment', 'payment_held') AND case_id > $2
  AND (
    (stage = 'in_payment' AND (state ->> 'hold_on')::date <= $1
     AND NOT coalesce((state #>> '{deadlines,survival_check,escalated}')::boolean, false))
    OR (SELECT (state ->> 'birth_date')::date + make_interval(years => min(a::int))
        FROM jsonb_array_elements_text(coalesce(state -> 'band_ages', '[]'::jsonb)) AS a
        WHERE a::int > (state ->> 'band_min_age')::int) <= $1
  )
ORDER BY case_id
LIMIT $3
"""

#: Below every random (version 4) case id: the start of the first page.
FIRST_PAGE = UUID(int=0)


async def due_catch_ups(pool: asyncpg.Pool, as_of: date, after: UUID | None, limit: int) -> list[UUID]:
    """One page of 高龄津贴 cases with a band move or a missed survival check due on or before ``as_of``."""
    rows = await pool.fetch(_DUE, as_of, after or FIRST_PAGE, limit)
    return [r["case_id"] for r in rows]
