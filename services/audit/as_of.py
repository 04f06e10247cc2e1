"""As-of re-evaluation (issue 6 item 5): load a case's events and the parameters in force on the decision
date and today, and let the pure :func:`domain.as_of.reevaluate` recompute the decision with both."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from pydantic import TypeAdapter

from adapters.db.cases import PgCaseStore
from adapters.parameters import DEFAULT_BOOK, ParameterFile
from adapters.settings import Settings
from domain.as_of import AsOfReport, decision_date, reevaluate
from domain.errors import InvalidInput
from domain.events import CaseEvent
from domain.kernel.clock import CHINA_TZ
from domain.parameters import resolve

_EVENTS = TypeAdapter(list[CaseEvent])


async def as_of_report(pool: asyncpg.Pool, settings: Settings, case_id: UUID, seq: int, village_code: str,
                       now: datetime) -> AsOfReport:
    """The decision at ``seq`` recomputed with the parameters of its decision date and of ``now``'s date.

    Raises:
        InvalidInput: no event ``seq`` on the case, or it is not a computed decision.
    """
    rows = await PgCaseStore(pool).get_events(case_id)
    events = _EVENTS.validate_python([r["payload"] for r in rows if r["seq"] <= seq])
    if not events or events[-1].seq != seq:
        raise InvalidInput("the case has no decision with this sequence number", field=("path", "seq"))
    book = ParameterFile(settings.parameters_file or DEFAULT_BOOK).book()
    decided = resolve(book, village_code, decision_date(events[-1]))
    today = resolve(book, village_code, now.astimezone(CHINA_TZ).date())
    try:
        return reevaluate(events, seq, decided, today)
    except InvalidInput as err:
        raise InvalidInput(err.message, field=("path", "seq")) from None
