"""Export a case's Temporal event histories — every run, oldest first — with a manifest of their hashes.

A case lives in one run per review cycle (continue-as-new); its runs are found by walking back from the
newest run through each run's ``continued_execution_run_id``, so nothing depends on visibility search.

Each run's history is written as canonical JSON (:func:`adapters.audit.chain.canonical_json`) of the JSON the
Temporal CLI and Web UI use (``WorkflowHistory.to_json()``); the manifest gives each file's SHA-256. When a
case has closed, the same hashes go into the ledger (a ``history_sealed`` entry), so an export can be checked
after Temporal's retention has deleted the histories.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from adapters.audit.chain import EntryKind, canonical_json, digest
from adapters.audit.ledger import Ledger, NewEntry
from domain.ids import workflow_id_for

log = structlog.get_logger(__name__)

FORMAT = "temporal-history-json/canonical"
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class RunHistory:
    """One run's history, as exported."""

    run_id: str
    history: WorkflowHistory
    status: str  # running | completed | continued_as_new | failed | terminated | ...

    @property
    def text(self) -> str:
        return canonical_json(json.loads(self.history.to_json()))

    @property
    def sha256(self) -> str:
        return digest("sha256", self.text.encode())

    def manifest_row(self, index: int) -> dict[str, Any]:
        events = self.history.events
        return {"index": index, "run_id": self.run_id, "file": f"{index:02d}-{self.run_id}.json",
                "sha256": self.sha256, "events": len(events), "status": self.status,
                "first_event_time": events[0].event_time.ToDatetime(UTC).isoformat() if events else None,
                "last_event_time": events[-1].event_time.ToDatetime(UTC).isoformat() if events else None}


async def case_histories(client: Client, case_id: UUID) -> list[RunHistory]:
    """Every run of the case's workflow, oldest first.

    Raises:
        temporalio.service.RPCError: NOT_FOUND when Temporal holds no run of the case (never started, or
            deleted after retention).
    """
    workflow_id = workflow_id_for(case_id)
    newest = await client.get_workflow_handle(workflow_id).describe()
    runs: list[RunHistory] = []
    run_id: str | None = newest.run_id
    status = newest.status
    while run_id:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        if status is None:
            status = (await handle.describe()).status
        history = await handle.fetch_history()
        runs.append(RunHistory(run_id=run_id, history=history, status=_status_name(status)))
        started = history.events[0].workflow_execution_started_event_attributes if history.events else None
        run_id = started.continued_execution_run_id if started is not None else None
        status = None
    runs.reverse()
    return runs


def _status_name(status: WorkflowExecutionStatus | None) -> str:
    return status.name.lower() if status is not None else "unknown"


def manifest(case_id: UUID, runs: list[RunHistory], *, exported_by: str, exported_at: datetime) -> dict[str, Any]:
    return {"format": FORMAT, "case_id": str(case_id), "workflow_id": workflow_id_for(case_id),
            "exported_at": exported_at.astimezone(UTC).isoformat(), "exported_by": exported_by,
            "closed": bool(runs) and runs[-1].status == "completed",
            "runs": [run.manifest_row(i) for i, run in enumerate(runs, start=1)]}


def write_export(directory: Path, case_id: UUID, runs: list[RunHistory], *, exported_by: str,
                 exported_at: datetime) -> dict[str, Any]:
    """Write each run's history and the manifest into ``directory``; the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    doc = manifest(case_id, runs, exported_by=exported_by, exported_at=exported_at)
    for run, row in zip(runs, doc["runs"], strict=True):
        (directory / row["file"]).write_text(run.text, encoding="utf-8")
    (directory / MANIFEST).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return doc


class ExportProblem(Exception):
    """An exported file is missing or does not match its manifest."""


def read_export(path: Path) -> tuple[dict[str, Any] | None, list[tuple[str, WorkflowHistory]]]:
    """Load an export: a directory with a manifest (every file checked against its SHA-256), or a single
    history file (no manifest). Returns the manifest (or None) and (run id or file name, history) pairs.

    Raises:
        ExportProblem: a file named by the manifest is missing or its hash differs.
    """
    if path.is_dir():
        doc = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        out = []
        for row in doc["runs"]:
            file = path / row["file"]
            if not file.exists():
                raise ExportProblem(f"{row['file']} is missing")
            text = file.read_text(encoding="utf-8")
            if digest("sha256", text.encode()) != row["sha256"]:
                raise ExportProblem(f"{row['file']} does not match its SHA-256 in the manifest")
            out.append((row["run_id"], WorkflowHistory.from_json(doc["workflow_id"], text)))
        return doc, out
    text = path.read_text(encoding="utf-8")
    return None, [(path.stem, WorkflowHistory.from_json(path.stem, text))]


def sealed_runs(runs: list[RunHistory]) -> list[dict[str, Any]]:
    return [{"run_id": r.run_id, "sha256": r.sha256, "events": len(r.history.events)} for r in runs]


_UNSEALED_CLOSED = """
SELECT c.case_id FROM cases c
WHERE (c.stage IN ('terminated_noncooperation', 'withdrawn')
       OR (c.stage = 'rejected' AND (c.state ->> 'rejection_notice_served')::boolean)
       OR (c.stage = 'exited' AND (c.state ->> 'stop_notice_served')::boolean))
  AND NOT EXISTS (SELECT 1 FROM audit_ledger l WHERE l.entry_key = 'history:' || c.case_id::text)
ORDER BY c.case_id
LIMIT $1
"""


async def seal_closed_histories(client: Client, pool: asyncpg.Pool, ledger: Ledger, *, limit: int = 500) -> int:
    """Write the history hashes of closed cases whose workflows have completed into the ledger (once per case).
    Returns how many cases were sealed; a case whose workflow is still finishing is left for the next time.

    A case Temporal holds no run of (its history deleted by retention before a sweep could seal it — the
    sweep did not run for longer than the namespace's retention — or recorded by another cluster) cannot be
    sealed: it is logged and passed over, so that it does not stop the sealing of the others and the day's
    checkpoint. Its events and decisions remain in the ledger; only the history's hash is missing.
    """
    sealed = 0
    for row in await pool.fetch(_UNSEALED_CLOSED, limit):
        try:
            runs = await case_histories(client, row["case_id"])
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            log.warning("audit.history_unavailable", case_id=str(row["case_id"]))
            continue
        if not runs or runs[-1].status != "completed":
            continue
        await ledger.append_now(pool, [history_entry(row["case_id"], runs)])
        sealed += 1
    return sealed


def history_entry(case_id: UUID, runs: list[RunHistory]) -> NewEntry:
    return NewEntry(entry_key=f"history:{case_id}", kind=EntryKind.HISTORY_SEALED, actor_id="system",
                    actor_role="system", case_id=case_id,
                    content={"workflow_id": workflow_id_for(case_id), "format": FORMAT, "runs": sealed_runs(runs)})

