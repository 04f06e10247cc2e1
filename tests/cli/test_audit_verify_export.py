"""``casework audit public-key`` and ``casework audit verify-export`` (issue 20 item 8): an export signed where it
was made is checked on another machine with nothing but the export and the public key — no database, no
Temporal server (both pointed at nothing here) — and any tampering fails with exit code 1, naming what."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import WorkflowHistory

from adapters.audit.checkpoints import key_id
from services.audit.history import MANIFEST, RunHistory, write_export
from tests.env import subprocess_env

REPO = Path(__file__).resolve().parents[2]
CASEWORK = str(Path(sys.executable).with_name("casework"))
GOLDEN = REPO / "tests" / "workflows" / "histories" / "case_v4_objection_reinvestigation_rejected.json"
NOWHERE = {"CASEWORK_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "CASEWORK_TEMPORAL_ADDRESS": "127.0.0.1:9"}


def _casework(var: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CASEWORK, "audit", *argv], cwd=var, capture_output=True, text=True, timeout=120,
                          env=subprocess_env(CASEWORK_VAR_DIR=str(var), **NOWHERE, **env))


def test_an_export_verifies_offline_with_the_public_key_and_tampering_fails(tmp_path: Path) -> None:
    # Where the export is made: the ledger's signing key, and its public half handed to the auditor.
    office, laptop = tmp_path / "office", tmp_path / "laptop"
    office.mkdir(), laptop.mkdir()
    key_file = office / "ledger.pem"
    private = Ed25519PrivateKey.generate()
    key_file.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    export = laptop / "export"
    run = RunHistory(run_id="r1", status="completed", history=WorkflowHistory.from_json("w", GOLDEN.read_text()))
    write_export(export, uuid4(), [run], exported_by="aud-01", exported_at=datetime.now(UTC), private_key=private)
    published = _casework(office, "public-key", "--out", str(laptop / "ledger-public.pem"),
                          CASEWORK_LEDGER_SIGNING_KEY_FILE=str(key_file))
    assert published.returncode == 0, published.stderr
    assert f"key id {key_id(private.public_key())}" in published.stderr

    # On the auditor's laptop: no database, no Temporal, no signing key.
    ok = _casework(laptop, "verify-export", str(export), "--public-key", str(laptop / "ledger-public.pem"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"signed with key {key_id(private.public_key())}" in ok.stdout and "OK" in ok.stdout
    as_json = _casework(laptop, "verify-export", str(export), "--json",
                        CASEWORK_LEDGER_VERIFY_KEY_FILE=str(laptop / "ledger-public.pem"))
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["ok"] is True, as_json.stdout + as_json.stderr
    no_key = _casework(laptop, "verify-export", str(export))
    assert no_key.returncode == 1 and "no public key" in no_key.stderr

    history = next(f for f in export.glob("*.json") if f.name != MANIFEST)
    history.write_text(history.read_text().replace('"eventId":"2"', '"eventId":"3"', 1))
    changed = _casework(laptop, "verify-export", str(export), "--public-key", str(laptop / "ledger-public.pem"))
    assert changed.returncode == 1
    assert f"FAILED: {history.name} does not match its SHA-256 in the manifest" in changed.stdout

    doc = json.loads((export / MANIFEST).read_text())
    run_row = doc["runs"][0]
    run_row["sha256"] = hashlib.sha256(history.read_bytes()).hexdigest()  # the forger's fix-up
    (export / MANIFEST).write_text(json.dumps(doc))
    forged = _casework(laptop, "verify-export", str(export), "--public-key", str(laptop / "ledger-public.pem"))
    assert forged.returncode == 1
    assert "the manifest's signature does not verify" in forged.stdout
    assert "does not match its SHA-256" not in forged.stdout, "the file now matches the (forged) manifest"
