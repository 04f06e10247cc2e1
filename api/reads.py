"""Reads of a case from the read model (PostgreSQL), and what they answer while a case is being opened.

A case's workflow records its first events a moment after ``POST /v1/cases`` started it. The create waits for
that record before it answers 201 (issue 20 item 7), so a caller that creates and then reads finds the case.
Should the record be slower than the create's wait (the create then answers 202), a read in between answers 503
``case_not_yet_recorded`` with ``Retry-After`` — never 404, which means there is no such case.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from adapters.db.cases import PgCaseStore
from api.errors import CaseNotFound, CaseNotYetRecorded


async def recorded_case(pool: asyncpg.Pool, case_id: UUID) -> dict[str, Any]:
    """The case's row in the read model.

    Raises:
        CaseNotFound: there is no such case.
        CaseNotYetRecorded: the case was just opened and its first record has not arrived yet.
    """
    store = PgCaseStore(pool)
    row = await store.get_case(case_id)
    if row is not None:
        return row
    if await store.is_opening(case_id):
        raise CaseNotYetRecorded
    raise CaseNotFound
