"""Audit endpoints (issue 6): a case's event histories with their manifest, replay verification against the
ledger, the case's ledger entries, and the as-of re-evaluation of a computed decision. Read-only; every call
is itself written to the audit ledger (who read which case, when)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from temporalio.service import RPCError, RPCStatusCode

from adapters.audit.checkpoints import signing_key
from adapters.audit.ledger import case_entries
from api.deps import ClockDep, LedgerDep, PoolDep, SettingsDep, TemporalDep, require
from api.errors import CaseNotFound
from api.policy import Permission
from api.reads import recorded_case
from api.schemas import Problem
from domain.actors import Actor
from domain.errors import NotPermitted
from services.audit.access import log_access
from services.audit.history import RunHistory, case_histories, manifest, sign_manifest
from services.audit.replay import ReplayReport, compare_with_ledger, replay_runs, sealed_match

router = APIRouter(prefix="/v1/cases", tags=["audit"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role or jurisdiction does not allow it"},
    404: {"model": Problem, "description": "no such case"},
}

AuditorDep = Annotated[Actor, Depends(require(Permission.AUDIT_READ))]


async def _audited_case(pool: PoolDep, case_id: UUID, actor: Actor) -> dict[str, Any]:
    row = await recorded_case(pool, case_id)
    if not actor.covers(row["village_code"]):
        raise NotPermitted("case lies outside the actor's jurisdiction")
    return row


async def _histories(temporal: TemporalDep, case_id: UUID) -> list[RunHistory]:
    try:
        return await case_histories(temporal, case_id)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseNotFound from None  # gone from Temporal (retention): the export made at closing remains
        raise


class RunExport(BaseModel):
    run_id: str
    sha256: str
    #: The run's history in the JSON the Temporal CLI and Web UI use; its canonical JSON has ``sha256``.
    history: dict[str, Any]


class HistoryExport(BaseModel):
    #: Signed with the ledger's Ed25519 key: ``signing_key`` names it, ``signature`` covers the rest (and so,
    #: through each run's SHA-256, every history). Saved as a file, the answer verifies on its own, offline:
    #: ``casework audit verify-export FILE --public-key KEY.pem``.
    manifest: dict[str, Any]
    runs: list[RunExport]


@router.get("/{case_id}/history", response_model=HistoryExport, responses=_ERRORS)
async def export_history(case_id: UUID, actor: AuditorDep, pool: PoolDep, ledger: LedgerDep,
                         temporal: TemporalDep, clock: ClockDep, settings: SettingsDep) -> HistoryExport:
    """The full Temporal event history of every run of the case, oldest first, with a manifest giving each
    run's SHA-256 (over the canonical JSON of its history), signed with the ledger's Ed25519 key so that the
    answer, saved as a file, verifies offline with the public key alone (``casework audit verify-export``).
    Holds personal data: auditors and supervisors."""
    await _audited_case(pool, case_id, actor)
    runs = await _histories(temporal, case_id)
    await log_access(pool, ledger, actor, case_id, "history_export")
    doc = sign_manifest(manifest(case_id, runs, exported_by=actor.id, exported_at=clock()), signing_key(settings))
    return HistoryExport(manifest=doc, runs=[RunExport(run_id=r.run_id, sha256=r.sha256,
                                                       history=json.loads(r.text)) for r in runs])


class ReplayAnswer(BaseModel):
    ok: bool
    report: ReplayReport


@router.post("/{case_id}/replay", response_model=ReplayAnswer, responses=_ERRORS)
async def replay_case(case_id: UUID, actor: AuditorDep, pool: PoolDep, ledger: LedgerDep,
                      temporal: TemporalDep) -> ReplayAnswer:
    """Replay every run of the case with the workflow code deployed now: per run, deterministic or the first
    divergence; then the decisions the replay re-derives against the ledger (any difference is reported), and,
    for a closed case, the histories against the hashes sealed in the ledger when it closed."""
    await _audited_case(pool, case_id, actor)
    runs = await _histories(temporal, case_id)
    await log_access(pool, ledger, actor, case_id, "replay")
    results, events = await replay_runs([(r.run_id, r.history) for r in runs],
                                          data_converter=temporal.data_converter, inline=False)
    report = ReplayReport(case_id=str(case_id), runs=results,
                          ledger=await compare_with_ledger(pool, case_id, events),
                          sealed_hashes_match=await sealed_match(pool, case_id, {r.run_id: r.sha256 for r in runs}))
    return ReplayAnswer(ok=report.ok, report=report)


class LedgerEntryOut(BaseModel):
    position: int
    entry_key: str
    kind: str
    seq: int | None
    actor_id: str
    actor_role: str
    recorded_at: datetime
    content: dict[str, Any]
    algorithm: str
    prev_hash: str
    entry_hash: str


@router.get("/{case_id}/ledger", response_model=list[LedgerEntryOut], responses=_ERRORS)
async def case_ledger(case_id: UUID, actor: AuditorDep, pool: PoolDep, ledger: LedgerDep) -> list[LedgerEntryOut]:
    """The case's ledger entries (decisions, refusals, audit reads, the sealed history hashes), in chain
    order, with their hashes: what ``casework audit verify`` checks."""
    await _audited_case(pool, case_id, actor)
    entries = await case_entries(pool, case_id)
    await log_access(pool, ledger, actor, case_id, "ledger")
    return [LedgerEntryOut(position=e.position, entry_key=e.entry_key, kind=e.kind, seq=e.seq, actor_id=e.actor_id,
                           actor_role=e.actor_role, recorded_at=e.recorded_at, content=json.loads(e.content),
                           algorithm=e.algorithm, prev_hash=e.prev_hash, entry_hash=e.entry_hash) for e in entries]


SeqPath = Annotated[int, Path(ge=1, le=1_000_000)]


@router.get("/{case_id}/decisions/{seq}/as-of", responses=_ERRORS)
async def decision_as_of(case_id: UUID, seq: SeqPath, actor: AuditorDep, pool: PoolDep, ledger: LedgerDep,
                         settings: SettingsDep, clock: ClockDep) -> Any:
    """Recompute a computed decision (an assessment: opinion, approval, review, recalculation) with the
    parameters in force on its decision date and with today's, beside what was recorded: would it still be
    granted?"""
    from services.audit.as_of import as_of_report

    row = await _audited_case(pool, case_id, actor)
    report = await as_of_report(pool, settings, case_id, seq, row["village_code"], clock())
    await log_access(pool, ledger, actor, case_id, "as_of")
    return report
