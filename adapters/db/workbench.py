"""The caseworker's workbench queries (issue 19): my work (待办) and the search by name or resident ID number.

Scoped like the case list: every query takes the caller's jurisdiction and never leaves it. Unlike the case list,
these rows carry names and ID numbers (the applicant's name on a work item; the matched member on a search hit):
the console shows them only to roles that may see them, masks ID numbers by role, and writes each search to the
audit ledger. Names and numbers are never logged.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from adapters.db.case_queries import _narrowest, _scope

# The applicant's name from the read model's state (the member whose relation is applicant).
_APPLICANT = ("(SELECT m ->> 'name' FROM jsonb_array_elements(coalesce(state -> 'members', '[]'::jsonb)) m "
              "WHERE m ->> 'relation' = 'applicant' LIMIT 1)")

_APPLICANT_C = _APPLICANT.replace("state ->", "c.state ->")

_WORK = f"""
SELECT case_id, village_code, township_code, program, stage, household_size, pending_step, pending_due, overdue,
       opened_at, stage_since, {_APPLICANT} AS applicant_name
FROM cases
WHERE {{scope}} AND pending_roles @> ARRAY[$2::text] AND pending_step IS NOT NULL
  AND (pending_step <> 'survival_check' OR $4::date IS NULL OR pending_due IS NULL OR pending_due <= $4)
ORDER BY overdue DESC, pending_due ASC NULLS LAST, opened_at ASC, case_id
LIMIT $3
"""

_WORK_COUNTS = """
SELECT pending_step, count(*) AS n, count(*) FILTER (WHERE overdue) AS overdue
FROM cases
WHERE {scope} AND pending_roles @> ARRAY[$2::text] AND pending_step IS NOT NULL
  AND (pending_step <> 'survival_check' OR $3::date IS NULL OR pending_due IS NULL OR pending_due <= $3)
GROUP BY pending_step
ORDER BY count(*) DESC, pending_step
"""


class WorkItem(BaseModel):
    """A case waiting on the caller's role: where, which step, by when, whose."""

    case_id: UUID
    village_code: str
    township_code: str
    program: str
    stage: str
    household_size: int
    pending_step: str
    pending_due: date | None
    overdue: bool
    opened_at: datetime
    stage_since: datetime
    applicant_name: str | None


class StepCount(BaseModel):
    step: str
    cases: int
    overdue: int


async def work_queue(pool: asyncpg.Pool, jurisdiction: str, role: str, *, limit: int = 300,
                     survival_horizon: date | None = None) -> tuple[list[WorkItem], list[StepCount]]:
    """The cases inside ``jurisdiction`` whose pending step waits on ``role``: overdue first, then soonest due,
    then oldest; and how many wait on each step (all of them, not only the first ``limit``).

    ``survival_horizon``: a 高龄津贴 case in payment always waits on its next annual survival check; it is work
    only once the check falls due by that day (or the payment is held: its due date has passed). Without it,
    every recipient would fill the queue months ahead and push the steps without a due date past ``limit``."""
    code = _narrowest(jurisdiction)
    if code is None:
        return [], []
    rows = await pool.fetch(_WORK.format(scope=_scope(code)), code, role, limit, survival_horizon)
    counts = await pool.fetch(_WORK_COUNTS.format(scope=_scope(code)), code, role, survival_horizon)
    return ([WorkItem(**dict(r)) for r in rows],
            [StepCount(step=r["pending_step"], cases=r["n"], overdue=r["overdue"]) for r in counts])


# --- search ---------------------------------------------------------------------------------------------

_BY_ID = """
SELECT c.case_id, c.program, c.stage, c.village_code, c.township_code, c.opened_at, c.outcome, c.pending_step,
       m ->> 'name' AS name, m ->> 'resident_id' AS resident_id, m ->> 'relation' AS relation,
       {applicant} AS applicant_name
FROM case_members cm
JOIN cases c ON c.case_id = cm.case_id
CROSS JOIN LATERAL jsonb_array_elements(coalesce(c.state -> 'members', '[]'::jsonb)) m
WHERE cm.resident_id = $2 AND m ->> 'resident_id' = $2 AND {scope}
ORDER BY c.opened_at DESC
LIMIT $3
"""

_BY_NAME = """
SELECT c.case_id, c.program, c.stage, c.village_code, c.township_code, c.opened_at, c.outcome, c.pending_step,
       m ->> 'name' AS name, m ->> 'resident_id' AS resident_id, m ->> 'relation' AS relation,
       {applicant} AS applicant_name
FROM cases c
CROSS JOIN LATERAL jsonb_array_elements(coalesce(c.state -> 'members', '[]'::jsonb)) m
WHERE c.state -> 'members' @> jsonb_build_array(jsonb_build_object('name', $2::text)) AND m ->> 'name' = $2
  AND {scope}
ORDER BY c.opened_at DESC
LIMIT $3
"""


class SearchHit(BaseModel):
    """A member found on a case: who (as recorded), on which case, where, and where the case stands."""

    case_id: UUID
    program: str
    stage: str
    village_code: str
    township_code: str
    opened_at: datetime
    outcome: str | None
    pending_step: str | None
    name: str
    resident_id: str
    relation: str
    applicant_name: str | None


async def search_members(pool: asyncpg.Pool, jurisdiction: str, *, resident_id: str | None = None,
                         name: str | None = None, limit: int = 50) -> list[SearchHit]:
    """Members matching an exact resident ID number or an exact name on cases inside ``jurisdiction`` (any
    programme, any outcome), newest case first. Exactly one of ``resident_id`` and ``name``."""
    code = _narrowest(jurisdiction)
    if code is None or (resident_id is None) == (name is None):
        return []
    scope = "c." + _scope(code)
    sql = (_BY_ID if resident_id is not None else _BY_NAME).format(scope=scope, applicant=_APPLICANT_C)
    rows = await pool.fetch(sql, code, resident_id if resident_id is not None else name, limit)
    return [SearchHit(**dict(r)) for r in rows]


_HOUSEHOLD_CASES = """
SELECT DISTINCT c.case_id, c.program, c.stage, c.village_code, c.township_code, c.opened_at, c.outcome,
       c.pending_step
FROM case_members cm
JOIN cases c ON c.case_id = cm.case_id
WHERE cm.resident_id = ANY($2::text[]) AND {scope}
ORDER BY c.opened_at DESC
LIMIT 100
"""


class HouseholdCase(BaseModel):
    case_id: UUID
    program: str
    stage: str
    village_code: str
    township_code: str
    opened_at: datetime
    outcome: str | None
    pending_step: str | None


async def cases_of_people(pool: asyncpg.Pool, jurisdiction: str, resident_ids: list[str]) -> list[HouseholdCase]:
    """Every case inside ``jurisdiction`` (any programme, any outcome) naming any of these people."""
    code = _narrowest(jurisdiction)
    if code is None or not resident_ids:
        return []
    scope = "c." + _scope(code)
    rows = await pool.fetch(_HOUSEHOLD_CASES.format(scope=scope), code, resident_ids)
    return [HouseholdCase(**dict(r)) for r in rows]
