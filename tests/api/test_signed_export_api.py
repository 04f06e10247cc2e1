"""A history export signed with the ledger's Ed25519 key, through the API and the CLI (issue 20 item 8): the
answer of ``GET /v1/cases/{id}/history`` saved as a file, and the directory ``casework audit export`` writes,
each verify offline with the ledger's public key alone (``casework audit verify-export``), and fail once changed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization

from adapters.audit.checkpoints import key_id, verify_key
from adapters.settings import Settings
from services.audit.history import verify_export
from tests.api.conftest import TokenFactory
from tests.api.test_audit_api import AUDITOR
from tests.api.test_lifecycle_api import WINDOW, Api, household
from tests.builders import application_body
from tests.env import subprocess_env

REPO = Path(__file__).resolve().parents[2]
CASEWORK = str(Path(sys.executable).with_name("casework"))


async def test_the_api_and_cli_exports_verify_offline_with_the_public_key_and_fail_when_changed(
    http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings, tmp_path: Path,
) -> None:
    api = Api(http, auth)
    created = await api.create(application_body(members=household("韩立", "韩梅")))
    case_id = created.json()["case_id"]
    await api.ok(case_id, WINDOW, "accept_application")
    public = verify_key(api_settings)
    public_pem = tmp_path / "ledger-public.pem"
    public_pem.write_bytes(public.public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo))

    answer = await http.get(f"/v1/cases/{case_id}/history", headers=api.headers(AUDITOR))
    assert answer.status_code == 200, answer.text
    manifest = answer.json()["manifest"]
    assert manifest["signing_key"]["algorithm"] == "Ed25519"
    assert manifest["signing_key"]["key_id"] == key_id(public) and manifest["signature"]
    saved = tmp_path / "history.json"
    saved.write_text(answer.text)
    assert verify_export(saved, public).ok

    env = subprocess_env(
        CASEWORK_DATABASE_URL=api_settings.database_url or "", CASEWORK_VAR_DIR=str(tmp_path / "var"),
        CASEWORK_TEMPORAL_ADDRESS=api_settings.temporal_address or "", CASEWORK_LOG_JSON="true",
        CASEWORK_PARAMETERS_FILE=str(api_settings.parameters_file),
        CASEWORK_LEDGER_SIGNING_KEY_FILE=str(api_settings.effective_ledger_signing_key_file))
    offline = subprocess_env(CASEWORK_VAR_DIR=str(tmp_path / "elsewhere"), CASEWORK_TEMPORAL_ADDRESS="127.0.0.1:9",
                             CASEWORK_DATABASE_URL="postgresql://nobody@127.0.0.1:9/none")

    def audit(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CASEWORK, "audit", *args], cwd=REPO, env=environment, capture_output=True, text=True,
                              timeout=180)

    out = tmp_path / "export"
    done = await asyncio.to_thread(audit, env, "export", case_id, "--out", str(out), "--by", "aud-02")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"signed with key {key_id(public)}" in done.stdout
    for target in (saved, out):
        checked = await asyncio.to_thread(audit, offline, "verify-export", str(target), "--public-key", str(public_pem))
        assert checked.returncode == 0, checked.stdout + checked.stderr

    body = json.loads(saved.read_text())
    body["manifest"]["exported_by"] = "someone-else"
    saved.write_text(json.dumps(body, ensure_ascii=False))
    changed = await asyncio.to_thread(audit, offline, "verify-export", str(saved), "--public-key", str(public_pem))
    assert changed.returncode == 1 and "signature does not verify" in changed.stdout
