"""Data-comparison alerts in bulk (S6 §三(二), §三(三); SPEC §8.1): the death, prison, hukou and relapse-monitoring
matches another department sends as a list of resident ID numbers, each routed to the case its person belongs to.

The sender knows people, not cases: each row names a resident ID number; the engine finds an active case that
counts the person (any programme; a death then reaches the person's other cases through the kernel's links),
checks the sender's jurisdiction, and sends the case a ``raise_data_alert`` command (the case opens an ad-hoc
review; a death also starts the 3-month limit). Outcomes name rows by their position, never
by ID number, so the answer and the logs stay free of personal data.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import structlog
from pydantic import BaseModel, ConfigDict, Field, field_validator
from temporalio.client import Client

from domain import commands as c
from domain.actors import Actor
from domain.errors import InvalidInput
from domain.identity import parse_resident_id
from domain.procedure.amendment import open_proposals
from services.cases import CaseGateway, CaseGatewayError, CaseRefused, UpdateFailed
from workflows.models import CommandInput

log = structlog.get_logger(__name__)

MAX_ROWS = 1000


class AlertRow(BaseModel):
    """One match: whose, what, when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resident_id: str
    alert: c.AlertType
    occurred_on: date

    @field_validator("resident_id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        # Another department's data may still hold a 15-digit legacy number: it is converted (SPEC §10.1).
        try:
            return parse_resident_id(value, legacy=True).value
        except InvalidInput as err:
            raise ValueError(err.message) from None


class AlertBatch(BaseModel):
    """A file of matches from one source (e.g. ``民政殡葬数据比对 2027-03``)."""

    model_config = ConfigDict(extra="forbid")

    source: Annotated[str, Field(min_length=1, max_length=100)]
    alerts: Annotated[list[AlertRow], Field(min_length=1, max_length=MAX_ROWS)]


#: What happened to a row, and only that:
#: ``raised`` — the alert is recorded on a case in payment (an ad-hoc review opened or joined);
#: ``proposed`` — the case is not yet decided: the alert is recorded as a proposed household amendment for the
#: township to confirm (issue 20 item 1);
#: ``already_recorded`` — the case already shows the fact (the member no longer counts, or the same proposal
#: awaits the township): nothing new was recorded, and nothing needed to be;
#: ``refused`` — the case refused the alert (``detail`` says why: its code and message); it is NOT on record;
#: ``no_active_case`` — no case counts the person (also a case outside the sender's jurisdiction: the answer
#: reveals nothing about it).
Outcome = Literal["raised", "proposed", "no_active_case", "already_recorded", "refused"]


class AlertOutcome(BaseModel):
    row: int
    outcome: Outcome
    case_id: UUID | None = None
    detail: str | None = None


#: The person's active case in any programme, a household's case before a single person's (its review or
#: amendment is the one the alert opens); the kernel's links take a death from there to every other case of
#: the person (domain.kernel.links). The second part finds cases recorded before members were claimed.
_FIND_CASE = """
(SELECT m.case_id FROM case_members m WHERE m.active AND m.resident_id = $1
 ORDER BY (SELECT count(*) FROM case_members o WHERE o.case_id = m.case_id) DESC, m.case_id LIMIT 1)
UNION ALL
(SELECT case_id FROM cases
 WHERE stage IN ('in_payment', 'under_review', 'gradual_exit')
   AND state -> 'members' @> jsonb_build_array(jsonb_build_object('resident_id', $1::text))
 LIMIT 1)
LIMIT 1
"""


def _update_id(source: str, row: AlertRow) -> str:
    """The same match sent again is the same Update (no second alert in the same run of the case)."""
    key = f"{source}\x1f{row.resident_id}\x1f{row.alert.value}\x1f{row.occurred_on.isoformat()}"
    return "alert-" + hashlib.sha256(key.encode()).hexdigest()[:32]


async def raise_alerts(pool: asyncpg.Pool, temporal: Client, actor: Actor, batch: AlertBatch) -> list[AlertOutcome]:
    """Route each row to its case and raise the alert there; one row's failure never stops the others."""
    out: list[AlertOutcome] = []
    for i, row in enumerate(batch.alerts):
        out.append(await _raise_one(pool, temporal, actor, batch.source, i, row))
    counts: dict[str, int] = {}
    for o in out:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    log.info("data_alerts.processed", rows=len(out), **counts)
    return out


async def _raise_one(pool: asyncpg.Pool, temporal: Client, actor: Actor, source: str, i: int,
                     row: AlertRow) -> AlertOutcome:
    case_id = await pool.fetchval(_FIND_CASE, row.resident_id)
    if case_id is None:
        return AlertOutcome(row=i, outcome="no_active_case")
    cases = CaseGateway(temporal)
    try:
        snap = await cases.snapshot(case_id)
    except CaseGatewayError:
        return AlertOutcome(row=i, outcome="no_active_case")
    if not actor.covers(snap.state.village_code):
        return AlertOutcome(row=i, outcome="no_active_case")
    index = next((n for n, m in enumerate(snap.state.members) if m.resident_id == row.resident_id), None)
    if index is None:  # pragma: no cover - the lookup matched on this very field
        return AlertOutcome(row=i, outcome="no_active_case")
    command = c.RaiseDataAlert(alert=row.alert, member_index=index, occurred_on=row.occurred_on, source=source)
    try:
        result = await cases.execute(case_id, CommandInput(actor=actor, command=command),
                                     update_id=_update_id(source, row))
    except CaseRefused as err:
        # "Already recorded" only where the case shows the fact now; any other refusal means NOT recorded, and
        # the clerk must not read it as "on record".
        if err.code == "invalid_transition" and _on_record((await cases.snapshot(case_id)).state, row.alert, index):
            return AlertOutcome(row=i, outcome="already_recorded", case_id=case_id, detail=err.message)
        return AlertOutcome(row=i, outcome="refused", case_id=case_id, detail=f"{err.code}: {err.message}")
    except UpdateFailed:
        return AlertOutcome(row=i, outcome="refused", case_id=case_id, detail="refused")
    outcome: Outcome = "proposed" if "amendment_proposed" in result.events else "raised"
    return AlertOutcome(row=i, outcome=outcome, case_id=case_id)


def _on_record(state: Any, alert: c.AlertType, index: int) -> bool:
    """The case already shows what the alert says: the member it names has left the household, or the same
    alert's proposed amendment awaits the township."""
    if alert in c.MEMBER_LEAVING_ALERTS and index not in state.counted_members:
        return True
    return any((p.alert, p.member_index) == (alert.value, index) for p in open_proposals(state))
