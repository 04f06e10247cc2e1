"""Deadlines counted provisionally, and counting them again once the year's holiday schedule is entered.

The deadline activity counts a working-day limit that runs into a year the calendar does not cover with
weekdays only, and says so in the calendar version (``…+provisional-2027``): a case must not wait for next
year's State Council schedule (SPEC §0.1: deadlines only escalate). Once staff have entered the year
(``casework calendar complete-year``), every pending step's provisional deadline is sent to its case, whose
``recompute_deadlines`` Update counts it again with the official calendar and records a system
``deadline_set`` citing the step's article. The report (:func:`adapters.db.case_queries.provisional_deadlines`)
lists what is still provisional; outcomes and logs carry case ids, steps and codes only.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio.client import Client

from adapters.calendar import load_calendar
from adapters.db.case_queries import provisional_deadlines
from services.cases import CaseGateway, CaseGatewayError, UpdateFailed
from workflows.models import RecomputeDeadlinesInput

log = structlog.get_logger(__name__)

Outcome = Literal["recomputed", "still_provisional", "unchanged", "failed"]


class RecountOutcome(BaseModel):
    """What one case did: the steps it recomputed, the ones still provisional (their year still uncovered)."""

    case_id: UUID
    outcome: Outcome
    recomputed: list[str] = []
    still_provisional: list[str] = []
    detail: str | None = None


async def recount_provisional_deadlines(pool: asyncpg.Pool, temporal: Client, jurisdiction: str, *,
                                        year: int | None = None) -> list[RecountOutcome]:
    """Send every case inside ``jurisdiction`` with a pending step's provisional deadline (from ``year``, if
    given) the ``recompute_deadlines`` Update; one case's failure never stops the others.

    The Update id names the calendar's version: sent again with the same calendar, a case answers as the first
    time and records nothing twice.
    """
    listed = await provisional_deadlines(pool, jurisdiction, year=year)
    version = (await load_calendar(pool)).version
    cases = CaseGateway(temporal)
    out: list[RecountOutcome] = []
    for case_id in dict.fromkeys(p.case_id for p in listed):
        try:
            result = await cases.recompute_deadlines(case_id, RecomputeDeadlinesInput(year=year),
                                                     update_id=f"recount-deadlines-{version}-{year or 'all'}")
        except UpdateFailed as err:
            out.append(RecountOutcome(case_id=case_id, outcome="failed", detail=err.code))
            continue
        except CaseGatewayError as err:
            out.append(RecountOutcome(case_id=case_id, outcome="failed", detail=getattr(err, "code", None)
                                      or type(err).__name__))
            continue
        recomputed = [r.step for r in result.recomputed]
        outcome: Outcome = ("recomputed" if recomputed else
                            "still_provisional" if result.still_provisional else "unchanged")
        out.append(RecountOutcome(case_id=case_id, outcome=outcome, recomputed=recomputed,
                                  still_provisional=result.still_provisional))
    counts: dict[str, int] = {}
    for o in out:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    log.info("calendar.provisional_recounted", year=year, calendar_version=version, cases=len(out), **counts)
    return out
