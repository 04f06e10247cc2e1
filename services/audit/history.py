"""Export a case's Temporal event histories — every run, oldest first — with a manifest of their hashes.

A case lives in one run per review cycle (continue-as-new); its runs are found by walking back from the
newest run through each run's ``continued_execution_run_id``, so nothing depends on visibility search.

Each run's history is written as canonical JSON (:func:`adapters.audit.chain.canonical_json`) of the JSON the
Temporal CLI and Web UI use (``WorkflowHistory.to_json()``); the manifest gives each file's SHA-256. When a
case has closed, the same hashes go into the ledger (a ``history_sealed`` entry), so an export can be checked
after Temporal's retention has deleted the histories.

The manifest is **signed** with the ledger's Ed25519 key (the key that signs the checkpoints,
``CASEWORK_LEDGER_SIGNING_KEY_FILE``): its ``signing_key`` field names the algorithm, the key id and the
SHA-256 fingerprint of the public key, and ``signature`` is the Ed25519 signature (base64) over the canonical
JSON of the manifest without ``signature``. As the manifest gives every run's SHA-256, the signature covers
every file: :func:`verify_export` checks an export on its own, offline, with nothing but the public key — no
database, no Temporal — and any changed, missing or added file, or any changed manifest field, fails it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from adapters.audit.chain import EntryKind, canonical_json, digest
from adapters.audit.checkpoints import key_id
from adapters.audit.ledger import Ledger, NewEntry
from domain.ids import workflow_id_for

log = structlog.get_logger(__name__)

FORMAT = "temporal-history-json/canonical"
MANIFEST = "manifest.json"
#: The manifest's fields that make it verifiable on its own: which key signed it (signed) and the signature.
SIGNING_KEY = "signing_key"
SIGNATURE = "signature"
SIGNATURE_ALGORITHM = "Ed25519"


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
        history = await handle.fetch_history()
        if status is None:  # an earlier run: closed, and its last event says how (no describe call: issue 18)
            status = _closed_status(history) or (await handle.describe()).status
        runs.append(RunHistory(run_id=run_id, history=history, status=_status_name(status)))
        started = history.events[0].workflow_execution_started_event_attributes if history.events else None
        run_id = started.continued_execution_run_id if started is not None else None
        status = None
    runs.reverse()
    return runs


_CLOSE_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: WorkflowExecutionStatus.COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: WorkflowExecutionStatus.FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: WorkflowExecutionStatus.CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: WorkflowExecutionStatus.TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: WorkflowExecutionStatus.CONTINUED_AS_NEW,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: WorkflowExecutionStatus.TIMED_OUT,
}


def _closed_status(history: WorkflowHistory) -> WorkflowExecutionStatus | None:
    """How a closed run ended, from its close event (None: the history does not end with one)."""
    return _CLOSE_EVENTS.get(history.events[-1].event_type) if history.events else None


def _status_name(status: WorkflowExecutionStatus | None) -> str:
    return status.name.lower() if status is not None else "unknown"


def manifest(case_id: UUID, runs: list[RunHistory], *, exported_by: str, exported_at: datetime) -> dict[str, Any]:
    return {"format": FORMAT, "case_id": str(case_id), "workflow_id": workflow_id_for(case_id),
            "exported_at": exported_at.astimezone(UTC).isoformat(), "exported_by": exported_by,
            "closed": bool(runs) and runs[-1].status == "completed",
            "runs": [run.manifest_row(i) for i, run in enumerate(runs, start=1)]}


def public_key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """The SHA-256 of the raw 32-byte public key, hex (its first 16 digits are the key id)."""
    return digest("sha256", public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def signed_bytes(doc: dict[str, Any]) -> bytes:
    """What the manifest's signature covers: the canonical JSON of the manifest without ``signature``."""
    return canonical_json({k: v for k, v in doc.items() if k != SIGNATURE}).encode()


def sign_manifest(doc: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The manifest with the signing key named in it and signed with it (Ed25519 over :func:`signed_bytes`)."""
    public = private_key.public_key()
    body = {k: v for k, v in doc.items() if k not in {SIGNING_KEY, SIGNATURE}}
    body[SIGNING_KEY] = {"algorithm": SIGNATURE_ALGORITHM, "key_id": key_id(public),
                         "public_key_sha256": public_key_fingerprint(public)}
    return {**body, SIGNATURE: base64.b64encode(private_key.sign(signed_bytes(body))).decode()}


def write_export(directory: Path, case_id: UUID, runs: list[RunHistory], *, exported_by: str,
                 exported_at: datetime, private_key: Ed25519PrivateKey | None = None) -> dict[str, Any]:
    """Write each run's history and the manifest (signed with ``private_key``, if given) into ``directory``;
    the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    doc = manifest(case_id, runs, exported_by=exported_by, exported_at=exported_at)
    if private_key is not None:
        doc = sign_manifest(doc, private_key)
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


@dataclass
class ExportVerification:
    """The result of checking an export on its own (:func:`verify_export`).

    Attributes:
        ok: the manifest is signed by the given key, its signature holds, and every run's history matches it.
        case_id: the case the manifest is about (None if there is no readable manifest).
        key_id: the key id the manifest names.
        runs: how many runs the manifest lists.
        problems: what failed, one sentence each, naming files and fields, never their contents.
    """

    ok: bool = False
    case_id: str | None = None
    key_id: str | None = None
    runs: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "case_id": self.case_id, "key_id": self.key_id, "runs": self.runs,
                "problems": self.problems}


def verify_export(path: Path, public_key: Ed25519PublicKey) -> ExportVerification:
    """Check an export offline with the ledger's public key: the manifest's Ed25519 signature, that it was
    made with this key, and every run's history against the SHA-256 the manifest gives.

    Args:
        path: an export directory (``manifest.json`` and one file per run, as ``casework audit export``
            writes it), its ``manifest.json``, or one JSON file as ``GET /v1/cases/{id}/history`` answers it
            (``{"manifest": ..., "runs": [{"run_id", "sha256", "history"}]}``).
        public_key: the ledger's Ed25519 public key.

    Returns:
        The verdict with every problem found (not only the first).
    """
    result = ExportVerification()
    try:
        doc, histories, by = _load_for_verification(path)
    except (OSError, ValueError) as err:
        result.problems.append(str(err))
        return result
    result.case_id = doc.get("case_id") if isinstance(doc.get("case_id"), str) else None
    rows = doc.get("runs")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        result.problems.append("the manifest lists no runs")
        return result
    result.runs = len(rows)
    result.problems += _signature_problems(doc, public_key, result)
    listed: set[str] = set()
    for row in rows:
        name, want = str(row.get(by)), row.get("sha256")
        listed.add(name)
        text = histories.pop(name, None)
        if text is None:
            result.problems.append(f"{name} is missing")
        elif digest("sha256", text.encode()) != want:
            result.problems.append(f"{name} does not match its SHA-256 in the manifest")
    result.problems += [f"{name} is not listed in the manifest" for name in sorted(histories)]
    result.ok = not result.problems
    return result


def _signature_problems(doc: dict[str, Any], public_key: Ed25519PublicKey,
                        result: ExportVerification) -> list[str]:
    named = doc.get(SIGNING_KEY)
    signature = doc.get(SIGNATURE)
    if not isinstance(named, dict) or not isinstance(signature, str):
        return ["the manifest is not signed"]
    result.key_id = str(named.get("key_id"))
    if named.get("algorithm") != SIGNATURE_ALGORITHM:
        return [f"the manifest is signed with {named.get('algorithm')!s:.20}, not {SIGNATURE_ALGORITHM}"]
    if named.get("key_id") != key_id(public_key) or named.get("public_key_sha256") != public_key_fingerprint(
            public_key):
        return [f"the manifest was signed with key {result.key_id:.32}, not with the given key "
                f"{key_id(public_key)}"]
    try:
        public_key.verify(base64.b64decode(signature, validate=True), signed_bytes(doc))
    except (InvalidSignature, binascii.Error, ValueError):
        return ["the manifest's signature does not verify: the manifest was changed after it was signed"]
    return []


def _load_for_verification(path: Path) -> tuple[dict[str, Any], dict[str, str], str]:
    """The manifest, each run's history text by the name the manifest gives it, and which of the manifest's
    fields that name is: ``file`` in a directory, ``run_id`` in an API answer (its texts are the canonical JSON
    of each history, what the manifest's SHA-256 is over).

    Raises:
        OSError: the path cannot be read.
        ValueError: not an export (no manifest, not JSON).
    """
    if path.is_dir() or path.name == MANIFEST:
        directory = path if path.is_dir() else path.parent
        doc = _json_object(directory / MANIFEST, "manifest.json")
        files = {f.name: f.read_text(encoding="utf-8") for f in sorted(directory.glob("*.json"))
                 if f.name != MANIFEST}
        return doc, files, "file"
    answer = _json_object(path, path.name)
    doc, runs = answer.get("manifest"), answer.get("runs")
    if not isinstance(doc, dict) or not isinstance(runs, list):
        raise ValueError(f"{path.name} is neither an export directory's manifest nor a history export "
                         "(GET /v1/cases/{id}/history)")
    texts: dict[str, str] = {}
    for i, run in enumerate(runs):
        if not isinstance(run, dict) or not isinstance(run.get("history"), dict):
            raise ValueError(f"runs[{i}] holds no history")
        texts[str(run.get("run_id"))] = canonical_json(run["history"])
    return doc, texts, "run_id"


def _json_object(file: Path, name: str) -> dict[str, Any]:
    if not file.exists():
        raise ValueError(f"{name} is missing")
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{name} is not JSON") from None
    if not isinstance(value, dict):
        raise ValueError(f"{name} is not a JSON object")
    return value


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

