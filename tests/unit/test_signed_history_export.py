"""A history export's manifest signed with the ledger's Ed25519 key (issue 20 item 8; issue 6 items 3, 5): the
export verifies on its own, offline, with only the public key; changing, removing or adding any history file,
or any field of the manifest, fails the verification. No server: the runs are golden histories."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import WorkflowHistory

from adapters.audit.checkpoints import key_id
from services.audit.history import (
    MANIFEST,
    RunHistory,
    manifest,
    public_key_fingerprint,
    sign_manifest,
    verify_export,
    write_export,
)

HISTORIES = Path(__file__).resolve().parents[1] / "workflows" / "histories"
RUNS = ["case_v4_reviews_run1_periodic_increase", "case_v4_reviews_run2_ad_hoc_decrease"]
KEY = Ed25519PrivateKey.generate()
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _runs() -> list[RunHistory]:
    return [RunHistory(run_id=f"run-{i}", status="continued_as_new",
                       history=WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text()))
            for i, name in enumerate(RUNS, start=1)]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("export")
    write_export(directory, uuid4(), _runs(), exported_by="aud-01", exported_at=AT, private_key=KEY)
    return directory


@pytest.fixture
def export(signed: Path, tmp_path: Path) -> Path:
    """A fresh copy of the signed export, for a test to tamper with."""
    return Path(shutil.copytree(signed, tmp_path / "export"))


def test_the_manifest_names_its_key_and_the_export_verifies_with_the_public_key_alone(export: Path) -> None:
    doc = json.loads((export / MANIFEST).read_text())
    assert doc["signing_key"] == {"algorithm": "Ed25519", "key_id": key_id(KEY.public_key()),
                                  "public_key_sha256": public_key_fingerprint(KEY.public_key())}
    assert doc["signing_key"]["public_key_sha256"].startswith(doc["signing_key"]["key_id"])
    result = verify_export(export, KEY.public_key())
    assert result.ok, result.problems
    assert (result.runs, result.key_id, result.case_id) == (2, key_id(KEY.public_key()), doc["case_id"])
    assert verify_export(export / MANIFEST, KEY.public_key()).ok


def test_a_changed_history_file_fails_naming_the_file(export: Path) -> None:
    file = sorted(export.glob("01-*.json"))[0]
    file.write_text(file.read_text().replace('"eventId":"2"', '"eventId":"3"', 1))
    result = verify_export(export, KEY.public_key())
    assert not result.ok
    assert result.problems == [f"{file.name} does not match its SHA-256 in the manifest"]


def test_a_missing_or_an_added_history_file_fails(export: Path) -> None:
    removed = sorted(export.glob("02-*.json"))[0]
    removed.unlink()
    (export / "03-forged.json").write_text("{}")
    assert verify_export(export, KEY.public_key()).problems == [f"{removed.name} is missing",
                                                                 "03-forged.json is not listed in the manifest"]


@pytest.mark.parametrize("change", [
    lambda d: d.update(exported_by="someone-else"),
    lambda d: d.update(closed=True),
    lambda d: d["runs"][0].update(sha256="0" * 64),  # a manifest rewritten to match a changed file
    lambda d: d["runs"].pop(),  # a run dropped from the manifest and its file deleted
])
def test_any_change_to_the_manifest_breaks_its_signature(export: Path, change) -> None:  # noqa: ANN001
    doc = json.loads((export / MANIFEST).read_text())
    change(doc)
    (export / MANIFEST).write_text(json.dumps(doc))
    result = verify_export(export, KEY.public_key())
    assert not result.ok
    assert "the manifest's signature does not verify: the manifest was changed after it was signed" in result.problems


def test_a_manifest_re_signed_with_another_key_or_unsigned_fails(export: Path) -> None:
    doc = json.loads((export / MANIFEST).read_text())
    forger = Ed25519PrivateKey.generate()
    (export / MANIFEST).write_text(json.dumps(sign_manifest({**doc, "exported_by": "x"}, forger)))
    [problem] = verify_export(export, KEY.public_key()).problems
    assert problem == (f"the manifest was signed with key {key_id(forger.public_key())}, not with the given key "
                       f"{key_id(KEY.public_key())}")
    (export / MANIFEST).write_text(json.dumps({k: v for k, v in doc.items() if k != "signature"}))
    assert verify_export(export, KEY.public_key()).problems == ["the manifest is not signed"]


def test_the_api_answer_saved_as_one_file_verifies_and_a_changed_history_in_it_fails(tmp_path: Path) -> None:
    """``GET /v1/cases/{id}/history`` answers ``{"manifest", "runs": [{"run_id", "sha256", "history"}]}``."""
    runs = _runs()
    doc = sign_manifest(manifest(uuid4(), runs, exported_by="aud-01", exported_at=AT), KEY)
    answer = {"manifest": doc, "runs": [{"run_id": r.run_id, "sha256": r.sha256, "history": json.loads(r.text)}
                                        for r in runs]}
    file = tmp_path / "history.json"
    file.write_text(json.dumps(answer, ensure_ascii=False, indent=2))
    assert verify_export(file, KEY.public_key()).ok

    answer["runs"][1]["history"]["events"].pop()
    file.write_text(json.dumps(answer))
    assert verify_export(file, KEY.public_key()).problems == ["run-2 does not match its SHA-256 in the manifest"]


def test_what_is_not_an_export_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert verify_export(tmp_path / "empty", KEY.public_key()).problems == ["manifest.json is missing"]
    (tmp_path / "x.json").write_text("[1, 2]")
    assert verify_export(tmp_path / "x.json", KEY.public_key()).problems == ["x.json is not a JSON object"]
