"""Activities of the links between programmes (:mod:`domain.kernel.links`): the person's other cases, and the
delivery of a case's effects to them.

The other cases of a person come from the ``case_members`` read model (active memberships, any programme).
A delivery sends each target case its ``apply_link`` Update with a key per source case, event, effect and
target: the Update id is the key (a retried activity gets the first outcome back from Temporal within the
target's run), and the target refuses a key it has applied already (``already_applied``), so a retry across a
continue-as-new never applies it twice either. Nothing personal is logged: case ids and counts only.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client

from domain import commands as c
from domain.kernel.links import key_of
from domain.kernel.state import RelatedCase
from domain.programmes import REGISTRY
from services.cases import CaseClosed, CaseGateway, CaseNotFound, CaseRefused, UpdateFailed
from workflows.models import ApplyLinkInput

log = structlog.get_logger(__name__)

#: The person's other active cases, any programme, with the stage to tell whether each is paying.
_RELATED = """
SELECT m.case_id, m.program, m.resident_id::text AS resident_id, c.stage
FROM case_members m LEFT JOIN cases c ON c.case_id = m.case_id
WHERE m.active AND m.resident_id = ANY($1::text[]) AND m.case_id <> $2
ORDER BY m.case_id
"""
_PAYING = {p.code.value: {s.value for s in p.active_stages} for p in REGISTRY.values()}


class RelatedCasesInput(BaseModel):
    case_id: UUID
    resident_ids: list[str]


class LinkToDeliver(BaseModel):
    effect: c.LinkEffect
    resident_id: str
    seq: int
    occurred_on: str | None = None  # ISO date


class DeliverLinksInput(BaseModel):
    source_case_id: UUID
    source_program: str
    links: list[LinkToDeliver]


async def related_cases(pool: asyncpg.Pool, case_id: UUID, resident_ids: list[str]) -> list[RelatedCase]:
    rows = await pool.fetch(_RELATED, resident_ids, case_id)
    return [RelatedCase(case_id=r["case_id"], program=r["program"], resident_id=r["resident_id"],
                        paying=r["stage"] in _PAYING.get(r["program"], set())) for r in rows]


class LinkActivities:
    """Reads the person's other cases and delivers effects to them. Does not own the pool or the client."""

    def __init__(self, pool: asyncpg.Pool, client: Client) -> None:
        self._pool = pool
        self._cases = CaseGateway(client)

    @activity.defn(name="related_cases")
    async def related_cases(self, inp: RelatedCasesInput) -> list[RelatedCase]:
        return await related_cases(self._pool, inp.case_id, inp.resident_ids)

    @activity.defn(name="deliver_links")
    async def deliver_links(self, inp: DeliverLinksInput) -> list[c.LinkDelivery]:
        out: list[c.LinkDelivery] = []
        for link in inp.links:
            for target in await related_cases(self._pool, inp.source_case_id, [link.resident_id]):
                key = key_of(inp.source_case_id, link.seq, link.effect, target.case_id)
                command = c.ApplyLink(key=key, effect=link.effect, source_case_id=inp.source_case_id,
                                      source_program=inp.source_program, source_seq=link.seq,
                                      resident_id=link.resident_id, occurred_on=link.occurred_on)
                out.append(c.LinkDelivery(effect=link.effect, target_case_id=target.case_id,
                                          target_program=target.program,
                                          outcome=await self._deliver(target.case_id, command),
                                          source_seq=link.seq))
        log.info("links.delivered", case_id=str(inp.source_case_id), deliveries=len(out))
        return out

    async def _deliver(self, case_id: UUID, command: c.ApplyLink) -> str:
        try:
            result = await self._cases.apply_link(case_id, ApplyLinkInput(command=command), update_id=command.key)
        except CaseClosed:
            return "closed"
        except CaseNotFound:
            return "not_found"
        except CaseRefused as err:
            return f"refused: {err.code}"
        except UpdateFailed as err:
            return f"failed: {err.code}"
        return result.outcome
