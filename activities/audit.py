"""The daily audit housekeeping, run by the review sweep: seal the histories of cases that have closed into
the ledger, and sign a checkpoint of the ledger's head where one is configured (issue 6)."""

from __future__ import annotations

import asyncpg
from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client

from adapters.audit.checkpoints import take_checkpoint
from adapters.audit.ledger import Ledger
from adapters.settings import Settings
from services.audit.history import seal_closed_histories


class DailyAuditInput(BaseModel):
    #: At most this many closed cases sealed per run (the next run goes on).
    seal_limit: int = 500


class DailyAuditResult(BaseModel):
    histories_sealed: int
    #: The ledger position the checkpoint signed (None: no checkpoint configured, or an empty ledger).
    checkpoint_position: int | None = None


class AuditActivities:
    """``settings`` None: no checkpoint (a worker built without settings, as in tests, signs nothing)."""

    def __init__(self, pool: asyncpg.Pool, client: Client, ledger: Ledger, settings: Settings | None) -> None:
        self._pool = pool
        self._client = client
        self._ledger = ledger
        self._settings = settings

    @activity.defn(name="daily_audit")
    async def daily_audit(self, inp: DailyAuditInput) -> DailyAuditResult:
        sealed = await seal_closed_histories(self._client, self._pool, self._ledger, limit=inp.seal_limit)
        checkpoint = await take_checkpoint(self._pool, self._settings) if self._settings is not None else None
        return DailyAuditResult(histories_sealed=sealed,
                                checkpoint_position=checkpoint.position if checkpoint else None)
